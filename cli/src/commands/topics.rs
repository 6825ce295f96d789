//! `mlobs topics create|check|acls`.

use anyhow::Context;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Subcommand;
use mlobs_pipeline::acls::{self, Component};
use mlobs_pipeline::topics::{self, Created};
use mlobs_pipeline::Config;
use serde::Serialize;

use crate::out;
use crate::output::{print_json, print_table, Format};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Create every configured topic that is missing (safe to repeat).
    Create,
    /// Verify that predictions and labels exist and are co-partitioned.
    Check,
    /// Print the ACLs a component needs on a cluster that enforces them,
    /// with the configured topic and group names (all ALLOW, literal).
    Acls(AclsArgs),
}

#[derive(clap::Args)]
struct AclsArgs {
    /// The principal that runs the component, e.g. User:mlobs-pipeline.
    #[arg(long)]
    principal: String,
    /// The component: run (or join, evaluate: one stage), producer (model
    /// servers, SDKs, simulate), agent, mcp (also agent approve|reject),
    /// reader (windows, alerts, agent incidents), webhook (alerts
    /// webhook), topics (create, check).
    #[arg(long = "for", value_parser = component_parser())]
    component: Component,
    /// Table for people, JSON for scripts that create them.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn component_parser() -> impl TypedValueParser<Value = Component> {
    PossibleValuesParser::new(Component::ALL.map(Component::name))
        .map(|name| Component::named(&name).expect("one of the possible values"))
}

/// One ACL of `mlobs topics acls`, as it prints it.
#[derive(Serialize)]
struct Grant<'a> {
    principal: &'a str,
    permission: &'static str,
    operation: &'static str,
    resource_type: &'static str,
    resource_name: String,
    pattern_type: &'static str,
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Create => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let outcome = runtime.block_on(topics::create(&config.kafka))?;
            let keys = config.kafka.topics.all();
            for ((topic, state), (key, _)) in outcome.into_iter().zip(keys) {
                match state {
                    Created::New { partitions } => {
                        let settings: Vec<String> = topics::settings(&config.kafka, key)
                            .into_iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect();
                        out!(
                            "created  {topic} ({}, replication {}, {})",
                            plural(partitions, "partition"),
                            config.kafka.replication_factor,
                            settings.join(", ")
                        )
                    }
                    Created::Existing { partitions } => {
                        out!(
                            "exists   {topic} ({}; settings left as they are)",
                            plural(partitions, "partition")
                        )
                    }
                }
            }
        }
        Action::Acls(args) => {
            let grants: Vec<Grant> = acls::needed(&config.kafka, args.component)
                .into_iter()
                .map(|acl| Grant {
                    principal: &args.principal,
                    permission: "ALLOW",
                    operation: acl.operation,
                    resource_type: acl.resource,
                    resource_name: acl.name,
                    pattern_type: "LITERAL",
                })
                .collect();
            match args.format {
                Format::Json => print_json(&grants)?,
                Format::Table => {
                    let rows: Vec<Vec<String>> = grants
                        .iter()
                        .map(|g| {
                            vec![
                                g.principal.to_string(),
                                g.permission.to_string(),
                                g.operation.to_string(),
                                g.resource_type.to_string(),
                                g.resource_name.clone(),
                                g.pattern_type.to_string(),
                            ]
                        })
                        .collect();
                    print_table(
                        &[
                            "PRINCIPAL",
                            "PERMISSION",
                            "OPERATION",
                            "RESOURCE",
                            "NAME",
                            "PATTERN",
                        ],
                        &rows,
                    )?;
                }
            }
        }
        Action::Check => {
            let partitions = topics::check_copartitioned(&config.kafka)
                .context("predictions and labels are not ready for mlobs")?;
            out!(
                "ok: {} and {} are co-partitioned ({partitions} partitions each)",
                config.kafka.topics.predictions,
                config.kafka.topics.labels
            );
        }
    }
    Ok(())
}

/// "1 partition", "3 partitions".
fn plural(count: i32, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
