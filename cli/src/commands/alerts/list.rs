//! `mlobs alerts [--status firing]`: each alert's newest state, read back
//! from the alerts topic (stage 2's rules and Alertmanager's, one shape).

use std::collections::BTreeMap;

use mlobs_pipeline::read_back::read_topic;
use mlobs_pipeline::Config;
use mlobs_schemas::time::format_rfc3339;
use mlobs_schemas::{AlertEvent, AlertStatus};

use crate::output::{print_json, print_table, Format};

/// Which alerts to print.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum StatusFilter {
    /// Alerts whose condition holds now.
    Firing,
    /// Alerts that ended.
    Resolved,
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// Only alerts in this state.
    #[arg(long, value_enum)]
    status: Option<StatusFilter>,
    /// Only this model.
    #[arg(long)]
    model: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn execute(config: &Config, args: ListArgs) -> anyhow::Result<()> {
    let schemas = config.writer_schemas()?;
    let events: Vec<AlertEvent> = read_topic(
        &config.kafka,
        &config.kafka.topics.alerts,
        &schemas,
        "alerts",
    )?;
    let wanted = |e: &AlertEvent| match args.status {
        Some(StatusFilter::Firing) => e.status == AlertStatus::Firing,
        Some(StatusFilter::Resolved) => e.status == AlertStatus::Resolved,
        None => true,
    };
    let alerts: Vec<AlertEvent> = newest_per_alert(events)
        .into_iter()
        .filter(|e| wanted(e) && args.model.as_ref().is_none_or(|m| *m == e.model))
        .collect();
    if let Format::Json = args.format {
        return print_json(&alerts);
    }
    let rows: Vec<Vec<String>> = alerts
        .iter()
        .map(|e| {
            vec![
                format!("{:?}", e.status).to_lowercase(),
                e.rule.clone(),
                format!("{}/{}", e.model, e.version),
                format_rfc3339(e.started_at),
                format_rfc3339(e.updated_at),
                e.summary.clone(),
            ]
        })
        .collect();
    print_table(
        &[
            "STATUS",
            "RULE",
            "MODEL/VERSION",
            "STARTED",
            "UPDATED",
            "SUMMARY",
        ],
        &rows,
    )?;
    Ok(())
}

/// The newest event of each alert, ordered by when they started: a
/// resolution wins over its firing, a redelivery changes nothing.
fn newest_per_alert(events: Vec<AlertEvent>) -> Vec<AlertEvent> {
    let mut newest: BTreeMap<String, AlertEvent> = BTreeMap::new();
    for event in events {
        let rank = |e: &AlertEvent| (e.updated_at, e.status == AlertStatus::Resolved);
        match newest.get(&event.alert_id) {
            Some(kept) if rank(kept) >= rank(&event) => {}
            _ => {
                newest.insert(event.alert_id.clone(), event);
            }
        }
    }
    let mut alerts: Vec<AlertEvent> = newest.into_values().collect();
    alerts.sort_by(|a, b| {
        (a.started_at, &a.model, &a.version).cmp(&(b.started_at, &b.model, &b.version))
    });
    alerts
}
