//! The MCP server (`mlobs mcp serve`): the diagnosis tools of
//! [`crate::tools`] served with the official Rust SDK (rmcp) to any MCP
//! host, on stdio (a host that starts the server itself, e.g. Claude
//! Desktop) or on streamable HTTP behind a bearer token ([`http`]).
//!
//! The read tools are open to any client holding the token; the write
//! tools (`rollback_model`, `approve_action`) record requests and decisions
//! that the agent worker carries out under the approval policy
//! ([`actions`]).

mod actions;
pub mod http;
mod tools;

use std::sync::Arc;

use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::{tool_handler, ServerHandler, ServiceExt};

use mlobs_pipeline::Config;

use crate::tools::Tools;
pub use tools::DiagnosisServer;

/// What a host shows its model about this server.
const INSTRUCTIONS: &str = "mlobs: diagnosis tools for ML models in production. \
Models are named `name`, `name:version` or `name@alias`; a time_window is a span \
ending now (`1h`, `30m`, `7d`) or an RFC 3339 range `START/END`. Answers are JSON \
with units and the range covered; a bad argument is a tool error saying what exists.";

/// The names of the tools served, in the order of the issues.
pub const TOOL_NAMES: [&str; 13] = [
    "get_model_accuracy",
    "estimate_performance",
    "detect_data_drift",
    "query_inference_logs",
    "compare_model_versions",
    "get_feature_distribution",
    "list_alerts",
    "get_latency_and_errors",
    "get_resource_usage",
    "find_error_slices",
    "get_incident",
    "rollback_model",
    "approve_action",
];

#[tool_handler(router = self.tool_router)]
impl ServerHandler for DiagnosisServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("mlobs", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS.to_string())
    }
}

/// Serves `tools` on stdin/stdout until the host closes them.
pub async fn serve_stdio(tools: Arc<Tools>, config: Arc<Config>) -> std::io::Result<()> {
    let running = DiagnosisServer::new(tools, config)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(std::io::Error::other)?;
    running.waiting().await.map_err(std::io::Error::other)?;
    Ok(())
}
