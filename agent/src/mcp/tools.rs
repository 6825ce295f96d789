//! The read tools as MCP tools: one method per tool of [`crate::tools`],
//! with the exact names and parameters (their JSON Schema comes
//! from the argument structs below, doc comments included, so that a
//! client's model reads what each argument accepts).
//!
//! The tools library is blocking (ClickHouse and MLflow clients made for
//! threads), so each call runs on tokio's blocking pool; its answer goes
//! back as structured JSON (and the same JSON as text, for clients that
//! only read text), and a [`ToolError`] goes back as an MCP tool error
//! carrying its message: the calling model reads what to change instead
//! of an empty success.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{tool, tool_router, ErrorData};
use serde::{Deserialize, Serialize};

use mlobs_pipeline::Config;

use crate::tools::logs::Filters;
use crate::tools::{ToolError, Tools};

/// `get_model_accuracy` and `estimate_performance` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AccuracyArgs {
    /// The model: a name, `name:version` or `name@alias` (e.g. `churn@champion`).
    pub model_name: String,
    /// A version, when model_name names none; every version when absent.
    pub version: Option<String>,
    /// A span ending now (`1h`, `30m`, `7d`) or an RFC 3339 range `START/END`.
    pub time_window: String,
}

/// `detect_data_drift` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DriftArgs {
    /// The model: a name, `name:version` or `name@alias`.
    pub model_name: String,
    /// Share of drifted features at which the dataset counts as drifted (default 0.5).
    pub threshold: Option<f64>,
}

/// `query_inference_logs` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct LogsArgs {
    /// The model: a name, `name:version` or `name@alias`.
    pub model_name: String,
    /// A version, when model_name names none.
    pub version: Option<String>,
    /// Filters, all optional and combined with AND.
    #[serde(default)]
    pub filters: Filters,
}

/// `compare_model_versions` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CompareArgs {
    /// The first model version (`name:version` or `name@alias`).
    pub model_a: String,
    /// The second model version.
    pub model_b: String,
    /// The window both are compared on; default: the span both have data in.
    pub time_window: Option<String>,
}

/// `get_feature_distribution` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct DistributionArgs {
    /// The feature.
    pub feature_name: String,
    /// A span ending now (`1h`) or an RFC 3339 range `START/END`.
    pub time_window: String,
    /// The model, required when several models have this feature.
    pub model_name: Option<String>,
}

/// `list_alerts` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AlertsArgs {
    /// Only this model's alerts.
    pub model_name: Option<String>,
    /// `firing` or `resolved`.
    pub status: Option<String>,
    /// Alerts that changed in this window (firing ones always); default 24h.
    pub time_window: Option<String>,
}

/// Arguments of the per-model series tools (`get_latency_and_errors`,
/// `get_resource_usage`).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SeriesArgs {
    /// The model: a name, `name:version` or `name@alias`.
    pub model_name: String,
    /// A span ending now (`1h`) or an RFC 3339 range `START/END`.
    pub time_window: String,
    /// Bucket size of the series (`1m`, `5m`, `1h`).
    pub bucket: Option<String>,
}

/// `find_error_slices` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SlicesArgs {
    /// The model: a name, `name:version` or `name@alias`.
    pub model_name: String,
    /// A span ending now (`1h`) or an RFC 3339 range `START/END`.
    pub time_window: String,
    /// `errors` (failed predictions, default) or `incorrect` (wrong labeled ones).
    pub target: Option<String>,
    /// Least share of rows a slice must hold (default 0.05).
    pub min_support: Option<f64>,
}

/// The MCP server: the tools library behind rmcp's tool router.
#[derive(Clone)]
pub struct DiagnosisServer {
    pub(super) tools: Arc<Tools>,
    /// The agent's topics and approval policy (the write tools).
    pub(super) config: Arc<Config>,
    pub(super) tool_router: ToolRouter<DiagnosisServer>,
}

/// Runs `call` on the blocking pool and turns its outcome into a tool result.
pub(super) async fn answer<T, F>(tools: &Arc<Tools>, call: F) -> Result<CallToolResult, ErrorData>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&Tools) -> Result<T, ToolError> + Send + 'static,
{
    let tools = Arc::clone(tools);
    let outcome = tokio::task::spawn_blocking(move || call(&tools))
        .await
        .map_err(|e| ErrorData::internal_error(format!("the tool panicked: {e}"), None))?;
    match outcome {
        Ok(value) => {
            let json = serde_json::to_value(value)
                .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
            Ok(CallToolResult::structured(json))
        }
        Err(e) => Ok(CallToolResult::error(vec![ContentBlock::text(
            e.to_string(),
        )])),
    }
}

#[tool_router(vis = "pub(super)")]
impl DiagnosisServer {
    /// A server answering from `tools`, recording requests and decisions
    /// on the agent's topics of `config`.
    pub fn new(tools: Arc<Tools>, config: Arc<Config>) -> DiagnosisServer {
        DiagnosisServer {
            tools,
            config,
            tool_router: Self::tool_router() + Self::action_router(),
        }
    }

    #[tool(
        description = "Accuracy of a model per version over a time window: labeled and correct counts, accuracy, errors, with the range covered."
    )]
    async fn get_model_accuracy(
        &self,
        Parameters(a): Parameters<AccuracyArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        answer(&self.tools, move |t| {
            t.get_model_accuracy(&a.model_name, a.version.as_deref(), &a.time_window)
        })
        .await
    }

    #[tool(
        description = "Accuracy a model's predictions should have, from their calibrated confidences (CBPE), per version over a time window, with its band, estimated precision/recall/F1 of binary models, the calibration used, and beside it the accuracy of the labels that arrived so far (labels_agree false: the relation between inputs and labels changed). Use it before labels arrive, or when they are late."
    )]
    async fn estimate_performance(
        &self,
        Parameters(a): Parameters<AccuracyArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        answer(&self.tools, move |t| {
            t.estimate_performance(&a.model_name, a.version.as_deref(), &a.time_window)
        })
        .await
    }

    #[tool(
        description = "Latest input drift of a model against its training baseline, per feature (test, statistic, p-value, threshold) and whether the dataset drifted."
    )]
    async fn detect_data_drift(
        &self,
        Parameters(a): Parameters<DriftArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        answer(&self.tools, move |t| {
            t.detect_data_drift(&a.model_name, a.threshold)
        })
        .await
    }

    #[tool(
        description = "A sample of a model's predictions (newest first) with errors and outcomes, plus match counts and errors by type. Filters: time, error type, feature ranges and categories, correct/incorrect, confidence."
    )]
    async fn query_inference_logs(
        &self,
        Parameters(a): Parameters<LogsArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        answer(&self.tools, move |t| {
            t.query_inference_logs(&a.model_name, a.version.as_deref(), &a.filters)
        })
        .await
    }

    #[tool(
        description = "Two model versions compared on the same window: counts, accuracy, error rate, latency, with a significance test per metric."
    )]
    async fn compare_model_versions(
        &self,
        Parameters(a): Parameters<CompareArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        answer(&self.tools, move |t| {
            t.compare_model_versions(&a.model_a, &a.model_b, a.time_window.as_deref())
        })
        .await
    }

    #[tool(
        description = "A feature's current distribution against its training baseline: summary, percentiles, top categories, missing rate, unseen values."
    )]
    async fn get_feature_distribution(
        &self,
        Parameters(a): Parameters<DistributionArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        answer(&self.tools, move |t| {
            t.get_feature_distribution(&a.feature_name, &a.time_window, a.model_name.as_deref())
        })
        .await
    }

    #[tool(
        description = "Alerts as they stand (firing or resolved), newest first; every firing alert is listed whatever the window."
    )]
    async fn list_alerts(
        &self,
        Parameters(a): Parameters<AlertsArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        answer(&self.tools, move |t| {
            t.list_alerts(
                a.model_name.as_deref(),
                a.status.as_deref(),
                a.time_window.as_deref().unwrap_or("24h"),
            )
        })
        .await
    }

    #[tool(
        description = "Latency p50/p95/p99 (ms) and errors by type, per version and time bucket."
    )]
    async fn get_latency_and_errors(
        &self,
        Parameters(a): Parameters<SeriesArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        answer(&self.tools, move |t| {
            t.get_latency_and_errors(&a.model_name, &a.time_window, a.bucket.as_deref())
        })
        .await
    }

    #[tool(
        description = "CPU, GPU memory and utilisation per version and bucket, and their correlation with latency and errors."
    )]
    async fn get_resource_usage(
        &self,
        Parameters(a): Parameters<SeriesArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        answer(&self.tools, move |t| {
            t.get_resource_usage(&a.model_name, &a.time_window, a.bucket.as_deref())
        })
        .await
    }

    #[tool(
        description = "Feature ranges or categories where errors (or wrong predictions) concentrate, with lift and support."
    )]
    async fn find_error_slices(
        &self,
        Parameters(a): Parameters<SlicesArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        answer(&self.tools, move |t| {
            t.find_error_slices(
                &a.model_name,
                &a.time_window,
                a.target.as_deref(),
                a.min_support,
            )
        })
        .await
    }
}
