//! `mlobs agent run`: the worker until SIGTERM or Ctrl-C.

use mlobs_pipeline::shutdown::Shutdown;
use mlobs_pipeline::Config;

use crate::bad_input;

#[derive(clap::Args)]
pub struct RunArgs {}

pub fn execute(config: &Config, _: RunArgs) -> anyhow::Result<()> {
    let shutdown = Shutdown::on_signals();
    mlobs_agent::worker::run(config, &shutdown).map_err(|e| match e {
        mlobs_agent::worker::WorkerError::Policy(_)
        | mlobs_agent::worker::WorkerError::Tools(_) => {
            bad_input!("{e}")
        }
        other => anyhow::Error::new(other),
    })
}
