//! The agent's tools over MCP: `get_incident` (read) and the write tools
//! `rollback_model` and `approve_action`. A write tool never changes the
//! registry itself: it records the request or the decision on the actions
//! topic (see [`crate::approval`]), and the agent worker carries an
//! approved action out, once. So the approval policy holds for MCP hosts
//! as for everyone: with `require` (the default) a rollback asked for over
//! MCP waits for `approve_action` or `mlobs agent approve`.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router, ErrorData};
use serde::Deserialize;

use super::tools::{answer, DiagnosisServer};
use crate::approval::{self, ApprovalError};

/// `get_incident` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct IncidentArgs {
    /// The incident's id (from an alert's incident or `mlobs agent incidents`).
    pub incident_id: Option<String>,
    /// Or: a model, for its newest incidents.
    pub model_name: Option<String>,
}

/// `rollback_model` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RollbackArgs {
    /// The registered model.
    pub model_name: String,
    /// The version to serve alone again.
    pub version: String,
    /// The environment whose approval policy applies (default `production`).
    pub environment: Option<String>,
}

/// `approve_action` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ApproveArgs {
    /// The action's id.
    pub action_id: String,
    /// false rejects it instead (default true).
    pub approve: Option<bool>,
    /// Why, kept with the action.
    pub reason: Option<String>,
}

/// Who a decision over MCP is recorded as.
const MCP_ACTOR: &str = "mcp";

#[tool_router(router = action_router, vis = "pub(super)")]
impl DiagnosisServer {
    #[tool(
        description = "An incident of the agent as it stands (node, status, root cause, resolution) with its action; by incident_id, or a model's newest incidents."
    )]
    async fn get_incident(
        &self,
        Parameters(a): Parameters<IncidentArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        answer(&self.tools, move |t| {
            t.get_incident(a.incident_id.as_deref(), a.model_name.as_deref())
        })
        .await
    }

    #[tool(
        description = "Ask for a rollback of a model to a version. Under the environment's approval policy it is approved at once (auto) or waits for approve_action; the agent worker carries it out. Answers the action with its status."
    )]
    async fn rollback_model(
        &self,
        Parameters(a): Parameters<RollbackArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let config = self.config.clone();
        decided(move || {
            let environment = a.environment.as_deref().unwrap_or("production");
            approval::request_rollback(&config, &a.model_name, &a.version, environment)
        })
        .await
    }

    #[tool(
        description = "Approve (or, with approve=false, reject) an action waiting for approval; the agent worker then carries an approved one out."
    )]
    async fn approve_action(
        &self,
        Parameters(a): Parameters<ApproveArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let config = self.config.clone();
        decided(move || {
            let reason = a.reason.as_deref().unwrap_or_default();
            approval::decide(
                &config,
                &a.action_id,
                a.approve.unwrap_or(true),
                MCP_ACTOR,
                reason,
            )
        })
        .await
    }
}

/// Runs a blocking approval call and answers the action, or its error for
/// the calling model to read.
async fn decided<F>(call: F) -> Result<CallToolResult, ErrorData>
where
    F: FnOnce() -> Result<crate::graph::Action, ApprovalError> + Send + 'static,
{
    let outcome = tokio::task::spawn_blocking(call)
        .await
        .map_err(|e| ErrorData::internal_error(format!("the tool panicked: {e}"), None))?;
    match outcome {
        Ok(action) => {
            let json = serde_json::to_value(action)
                .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
            Ok(CallToolResult::structured(json))
        }
        Err(e) => Ok(CallToolResult::error(vec![ContentBlock::text(
            e.to_string(),
        )])),
    }
}
