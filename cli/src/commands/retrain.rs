//! `mlobs retrain`: one retraining job, run to the end here (the work is
//! in the mlobs-retrain crate). Prints each step as it was recorded in
//! `agent_actions`, then what serves now.

use mlobs_pipeline::sinks::clickhouse::ClickHouse;
use mlobs_pipeline::Config;
use mlobs_registry::Registry;
use mlobs_retrain::{Request, Services};
use mlobs_schemas::time::now_ms;

use crate::bad_input::time_arg;
use crate::{bad_input, out};

#[derive(clap::Args)]
pub struct Args {
    /// The model to retrain; its champion is what the new version must beat.
    #[arg(long)]
    model: String,
    /// Only this environment's predictions (default: all).
    #[arg(long, default_value = "")]
    environment: String,
    /// Production rows from this event time on (RFC 3339); default:
    /// retrain.window_ms back from the newest labeled prediction.
    #[arg(long)]
    since: Option<String>,
    /// Who asks (recorded with every step and registry change; default: $USER).
    #[arg(
        long,
        value_name = "WHO",
        env = "USER",
        default_value = "mlobs retrain"
    )]
    by: String,
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    let since_ms = args
        .since
        .as_deref()
        .map(|t| time_arg("--since", t))
        .transpose()?;
    let clickhouse = ClickHouse::from_config(&config.clickhouse)?.ok_or_else(|| {
        bad_input!(
            "clickhouse.url is empty: retraining reads labeled predictions from ClickHouse; set it"
        )
    })?;
    let registry = Registry::new(&config.mlflow.url)?;
    let request = Request {
        job_id: format!("retrain-{}-{}", args.model, now_ms()),
        model: args.model,
        environment: args.environment,
        since_ms,
        incident_id: String::new(),
        approved_by: args.by.clone(),
        requested_by: args.by,
    };
    let services = Services {
        config: &config.retrain,
        registry: &registry,
        clickhouse: &clickhouse,
    };
    let outcome = mlobs_retrain::run(&services, &request).map_err(|e| {
        if e.is_refusal() {
            bad_input!("retraining {} stopped: {e}", request.model)
        } else {
            anyhow::anyhow!(
                "retraining {} failed: {e}; what serves is unchanged (the steps are in ClickHouse: agent_actions WHERE action_id LIKE '{}/%')",
                request.model,
                request.job_id
            )
        }
    })?;
    for step in &outcome.steps {
        out!("{:<10} {:<17} {}", step.step, step.status, step.result);
    }
    out!("{}", outcome.summary());
    Ok(())
}
