//! `mlobs alerts webhook`: an Alertmanager webhook receiver that republishes
//! every alert on the alerts topic as an `AlertEvent` (source
//! `alertmanager`), until SIGINT or SIGTERM. The work is in
//! `mlobs_pipeline::alertmanager`; this is its command line.

use std::net::ToSocketAddrs;
use std::time::Duration;

use mlobs_pipeline::alertmanager::webhook::{serve, WebhookConfig, PATH};
use mlobs_pipeline::shutdown::Shutdown;
use mlobs_pipeline::Config;

use crate::bad_input;

/// The default address: beside the pipeline's metrics (9464), on a port of
/// its own that infra/prometheus/alertmanager.yml points at.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9466";

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on; Alertmanager's `webhook_configs` url is
    /// http://ADDRESS/alerts.
    #[arg(long, value_name = "ADDRESS", default_value = DEFAULT_LISTEN, env = "MLOBS_ALERTS_WEBHOOK_LISTEN")]
    listen: String,
    /// How long a notification waits for the broker to acknowledge its
    /// alerts before it is answered 503 (Alertmanager then retries).
    #[arg(long, value_name = "MS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    ack_timeout_ms: u64,
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    let resolves = args
        .listen
        .to_socket_addrs()
        .is_ok_and(|mut addresses| addresses.next().is_some());
    if !resolves {
        return Err(bad_input!(
            "--listen {:?} is not an address to listen on; give host:port such as {DEFAULT_LISTEN}",
            args.listen
        ));
    }
    let webhook = WebhookConfig {
        listen: args.listen,
        topic: config.kafka.topics.alerts.clone(),
        ack_timeout: Duration::from_millis(args.ack_timeout_ms),
    };
    let shutdown = Shutdown::on_signals();
    serve(&config.kafka, &webhook, &shutdown, |address| {
        tracing::info!(url = %format!("http://{address}{PATH}"), "point Alertmanager's webhook_configs url here");
    })?;
    Ok(())
}
