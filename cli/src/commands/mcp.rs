//! `mlobs mcp serve`: the diagnosis tools over MCP, on stdio for hosts
//! that start the server themselves, or on streamable HTTP (127.0.0.1 by
//! default) for hosts that connect, behind the bearer token
//! `MLOBS_MCP_TOKEN`. The server itself is mlobs_agent::mcp.

use std::net::SocketAddr;
use std::sync::Arc;

use clap::Subcommand;
use mlobs_agent::mcp;
use mlobs_agent::tools::Tools;
use mlobs_pipeline::sinks::clickhouse::ClickHouse;
use mlobs_pipeline::Config;
use mlobs_registry::Registry;

use crate::bad_input;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Serve the read tools (accuracy, drift, logs, ...) to MCP hosts.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct Transport {
    /// Speak MCP on stdin/stdout (for hosts that start the server, e.g. Claude Desktop).
    #[arg(long)]
    stdio: bool,
    /// Serve streamable HTTP at http://ADDRESS/mcp (e.g. 127.0.0.1:8765); needs MLOBS_MCP_TOKEN.
    #[arg(long, value_name = "ADDRESS")]
    listen: Option<String>,
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    transport: Transport,
}

/// Where the bearer token comes from: the environment only, never a flag
/// (a flag shows in `ps` and shell history).
const TOKEN_VAR: &str = "MLOBS_MCP_TOKEN";

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    let Action::Serve(args) = args.action;
    // Refuse a tokenless HTTP server before touching anything: no data
    // must be reachable without the token.
    let http = match &args.transport.listen {
        Some(listen) => {
            let token = std::env::var(TOKEN_VAR).ok();
            let token = token.filter(|t| !t.trim().is_empty()).ok_or_else(|| {
                bad_input!(
                    "mcp serve --listen needs a bearer token: set MLOBS_MCP_TOKEN (e.g. `export MLOBS_MCP_TOKEN=$(openssl rand -hex 32)`) and give clients the same value"
                )
            })?;
            Some((parse_listen(listen)?, token))
        }
        None => None,
    };
    let clickhouse = ClickHouse::from_config(&config.clickhouse)?.ok_or_else(|| {
        bad_input!("clickhouse.url is empty (the history is off); the tools read it, set it")
    })?;
    let registry = Registry::new(&config.mlflow.url)?;
    // The blocking MLflow client must be dropped outside the async runtime:
    // this handle outlives it.
    let tools = Arc::new(Tools::new(clickhouse, Some(registry)));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let served = Arc::clone(&tools);
    let config = Arc::new(config.clone());
    runtime.block_on(async move {
        match http {
            None => {
                tracing::info!("MCP server on stdio");
                mcp::serve_stdio(served, config).await
            }
            Some((address, token)) => {
                let listener = tokio::net::TcpListener::bind(address).await?;
                tracing::info!(
                    "MCP server on http://{}{}",
                    listener.local_addr()?,
                    mcp::http::PATH
                );
                // Ctrl-C or SIGTERM (a service manager's stop) end it.
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
                let stop = async move {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                    tracing::info!("MCP server stopping");
                };
                mcp::http::serve(served, config, listener, token, stop).await
            }
        }
    })?;
    runtime.shutdown_background();
    drop(tools);
    Ok(())
}

/// `--listen`: `HOST:PORT`, or a bare port on 127.0.0.1.
fn parse_listen(text: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse().map_err(|_| {
        bad_input!("--listen {text:?}: give HOST:PORT such as 127.0.0.1:8765, or a port")
    })
}
