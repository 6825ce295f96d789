//! `mlobs model show|promote|rollback|traffic`: what serves a model, and
//! changing it, in
//! the MLflow registry (aliases `champion` and `challenger`, the
//! registered-model tag `mlobs.traffic.challenger`), audited with who, why
//! and when on the version's tags and in ClickHouse's `registry_events`.

use clap::Subcommand;
use mlobs_pipeline::sinks::clickhouse::{audit, ClickHouse};
use mlobs_pipeline::Config;
use mlobs_registry::serving::{
    self, Change, Event, ServingError, AUDIT_ACTION, AUDIT_BY, AUDIT_REASON,
};
use mlobs_registry::Registry;

use crate::{bad_input, out};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Print what serves a model: champion, challenger and its share, and
    /// the last audited change of each.
    Show {
        /// Registered model name.
        model: String,
    },
    /// Make a version the champion (alias `champion`); a challenger
    /// promoted stops being the challenger and its share goes to 0.
    Promote {
        /// Registered model name.
        model: String,
        /// The version to serve.
        #[arg(long, value_name = "V", value_parser = version_number)]
        version: String,
        #[command(flatten)]
        audit: Audit,
    },
    /// Move the champion back to an earlier version.
    Rollback {
        /// Registered model name.
        model: String,
        /// The version to serve again.
        #[arg(long, value_name = "V", value_parser = version_number)]
        to: String,
        #[command(flatten)]
        audit: Audit,
    },
    /// Name the challenger (alias `challenger`) and give it a share of the
    /// traffic; without --challenger, change the current challenger's share.
    Traffic {
        /// Registered model name.
        model: String,
        /// The version to try beside the champion.
        #[arg(long, value_name = "V", value_parser = version_number)]
        challenger: Option<String>,
        /// Its fraction of the traffic, 0 to 1 (0 keeps it named but idle).
        #[arg(long, value_parser = share)]
        share: f64,
        #[command(flatten)]
        audit: Audit,
    },
}

/// Who and why, recorded with every change.
#[derive(clap::Args)]
struct Audit {
    /// Who makes the change (default: $USER).
    #[arg(long, value_name = "WHO", env = "USER")]
    by: String,
    /// Why: it is kept with the change.
    #[arg(long, value_name = "TEXT")]
    reason: String,
}

/// A version as MLflow numbers them: 1, 2, ...
pub(super) fn version_number(text: &str) -> Result<String, String> {
    match text.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n.to_string()),
        _ => Err(format!(
            "{text:?} is not a model version; MLflow numbers versions 1, 2, 3, ..."
        )),
    }
}

fn share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!(
            "{text:?} is not a share; give a fraction of traffic from 0 to 1, e.g. 0.1"
        )),
    }
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    let registry = Registry::new(&config.mlflow.url)?;
    let change = |audit: Audit| Change {
        actor: audit.by,
        reason: audit.reason,
        at_ms: mlobs_schemas::time::now_ms(),
    };
    let outcome = match args.action {
        Action::Show { model } => return show(&registry, &model),
        Action::Promote {
            model,
            version,
            audit,
        } => serving::promote(&registry, &model, &version, &change(audit)).map(|e| {
            e.ok_or(format!(
                "version {version} is the champion of {model} already"
            ))
        }),
        Action::Rollback { model, to, audit } => {
            serving::rollback(&registry, &model, &to, &change(audit))
                .map(|e| e.ok_or(format!("version {to} is the champion of {model} already")))
        }
        Action::Traffic {
            model,
            challenger,
            share,
            audit,
        } => serving::traffic(
            &registry,
            &model,
            challenger.as_deref(),
            share,
            &change(audit),
        )
        .map(Ok),
    };
    let event = match outcome {
        Ok(Ok(event)) => event,
        Ok(Err(unchanged)) => {
            out!("{unchanged}; nothing changed");
            return Ok(());
        }
        Err(ServingError::Invalid(why)) => return Err(bad_input!("{why}")),
        Err(ServingError::Registry(e)) => return Err(e.into()),
    };
    out!("{}", describe(&event));
    record(config, &event)
}

/// The serving state of `model`, one line per role.
fn show(registry: &Registry, model: &str) -> anyhow::Result<()> {
    let now = match serving::serving(registry, model) {
        Ok(now) => now,
        Err(ServingError::Invalid(why)) => return Err(bad_input!("{why}")),
        Err(ServingError::Registry(e)) => return Err(e.into()),
    };
    for (role, version) in [("champion", &now.champion), ("challenger", &now.challenger)] {
        let Some(version) = version else {
            out!("{role}: none");
            continue;
        };
        let share = if role == "challenger" {
            format!(" (share {})", now.share)
        } else {
            String::new()
        };
        let tags = registry.version(model, version)?;
        let last = match (
            tags.tag(AUDIT_ACTION),
            tags.tag(AUDIT_BY),
            tags.tag(AUDIT_REASON),
        ) {
            (Some(action), Some(by), Some(reason)) => {
                format!("; last change: {action} by {by}: {reason}")
            }
            _ => String::new(),
        };
        out!("{role}: version {version}{share}{last}");
    }
    Ok(())
}

/// One line saying what changed.
fn describe(e: &Event) -> String {
    let before = match e.previous_version.as_str() {
        "" => "none".to_string(),
        v => format!("version {v}"),
    };
    match e.action {
        "traffic" => format!(
            "{}: challenger is version {} with share {} (was {before} with share {}), by {}",
            e.model, e.version, e.share, e.previous_share, e.actor
        ),
        action => format!(
            "{}: {action}: champion is version {} (was {before}), by {}",
            e.model, e.version, e.actor
        ),
    }
}

/// The history row; the registry changed already, so a failure says so.
pub(crate) fn record(config: &Config, event: &Event) -> anyhow::Result<()> {
    let Some(clickhouse) = ClickHouse::from_config(&config.clickhouse)? else {
        tracing::warn!("clickhouse.url is empty: the change is audited on the version's tags only");
        return Ok(());
    };
    audit::record(&clickhouse, event).map_err(|e| {
        anyhow::anyhow!(
            "the registry changed (see the version's mlobs.audit.* tags) but its history row was not written to {}.{}: {e}",
            clickhouse.database(),
            audit::TABLE
        )
    })
}
