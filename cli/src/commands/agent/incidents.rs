//! `mlobs agent incidents`: every incident with its action, read from the
//! agent's topics (the record of truth; ClickHouse has the same rows).

use mlobs_agent::graph::incident::name_of;
use mlobs_agent::graph::{Action, Incident};
use mlobs_agent::worker::store::{restore_actions, restore_incidents};
use mlobs_pipeline::Config;
use serde::Serialize;

use crate::output::{print_json, print_table, Format};

#[derive(clap::Args)]
pub struct IncidentsArgs {
    /// Only this model's incidents.
    #[arg(long)]
    model: Option<String>,
    /// table for people, json for programs.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// An incident with its action, as `--format json` prints it.
#[derive(Serialize)]
struct Listed {
    #[serde(flatten)]
    incident: Incident,
    action: Option<Action>,
    /// The other actions proposed beside it (`follow_up_ids`).
    follow_ups: Vec<Action>,
}

pub fn execute(config: &Config, args: IncidentsArgs) -> anyhow::Result<()> {
    let actions = restore_actions(&config.kafka)?;
    let listed: Vec<Listed> = restore_incidents(&config.kafka)?
        .into_values()
        .filter(|i| args.model.as_ref().is_none_or(|m| *m == i.model))
        .map(|incident| Listed {
            follow_ups: incident
                .follow_up_ids
                .iter()
                .filter_map(|id| actions.get(id))
                .cloned()
                .collect(),
            action: incident
                .action_id
                .as_ref()
                .and_then(|id| actions.get(id))
                .cloned(),
            incident,
        })
        .collect();
    match args.format {
        Format::Json => print_json(&listed),
        Format::Table => {
            let rows: Vec<Vec<String>> = listed
                .iter()
                .map(|l| {
                    let i = &l.incident;
                    let cause = i.report.as_ref().map(|r| name_of(&r.root_cause.category));
                    vec![
                        i.incident_id.clone(),
                        i.model.clone(),
                        name_of(&i.status),
                        name_of(&i.node),
                        cause.unwrap_or_default(),
                        l.action
                            .as_ref()
                            .map(|a| a.action_id.clone())
                            .unwrap_or_default(),
                        l.action
                            .as_ref()
                            .map(|a| name_of(&a.status))
                            .unwrap_or_default(),
                        i.resolution.clone(),
                    ]
                })
                .collect();
            let header = [
                "INCIDENT",
                "MODEL",
                "STATUS",
                "NODE",
                "ROOT CAUSE",
                "ACTION",
                "ACTION STATUS",
                "RESOLUTION",
            ];
            print_table(&header, &rows)?;
            Ok(())
        }
    }
}
