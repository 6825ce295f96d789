//! `mlobs agent approve|reject ACTION_ID`: a person's decision on an
//! action the approval policy held back.

use mlobs_agent::approval::{self, ApprovalError};
use mlobs_pipeline::Config;

use crate::{bad_input, out};

#[derive(clap::Args)]
pub struct DecideArgs {
    /// The action's id (`mlobs agent incidents` lists them).
    action_id: String,
    /// Who decides; default: $USER.
    #[arg(long)]
    by: Option<String>,
    /// Why, kept with the action.
    #[arg(long, default_value = "")]
    reason: String,
}

pub fn execute(config: &Config, args: DecideArgs, approve: bool) -> anyhow::Result<()> {
    let who = args
        .by
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into());
    let decided = approval::decide(config, &args.action_id, approve, &who, &args.reason).map_err(
        |e| match e {
            ApprovalError::Unknown(_) | ApprovalError::NotWaiting(_) => bad_input!("{e}"),
            other => anyhow::Error::new(other),
        },
    )?;
    out!(
        "action {} {} by {}",
        decided.action_id,
        if approve { "approved" } else { "rejected" },
        decided.decided_by
    );
    Ok(())
}
