//! What can go wrong in a tool, said so that the caller (a person, the
//! agent, an MCP client) knows what to change: bad arguments are errors,
//! never an empty success.

use mlobs_pipeline::sinks::clickhouse::ClickHouseError;

/// Why a tool gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// An argument cannot be parsed; the message names the accepted forms.
    #[error("bad argument {name} = {value:?}: {why}")]
    BadArgument {
        /// The parameter.
        name: String,
        /// What was given.
        value: String,
        /// What is wrong and what is accepted.
        why: String,
    },
    /// The model has no history, nor (for an alias) a registry entry.
    #[error("unknown model {model:?}: no prediction of it in ClickHouse; known models: {}", known.join(", "))]
    UnknownModel {
        /// What was asked.
        model: String,
        /// Models that have history.
        known: Vec<String>,
    },
    /// The version has no history.
    #[error("model {model:?} has no version {version:?} in ClickHouse; versions with history: {}", known.join(", "))]
    UnknownVersion {
        /// The model.
        model: String,
        /// What was asked.
        version: String,
        /// Versions that have history.
        known: Vec<String>,
    },
    /// The window holds no data the tool needs.
    #[error("no {what} for {model} between {start} and {end}; widen time_window or check that the pipeline runs")]
    EmptyWindow {
        /// What is missing ("labeled predictions", "drift results", ...).
        what: String,
        /// The model (and version) asked about.
        model: String,
        /// Window start, RFC 3339.
        start: String,
        /// Window end, RFC 3339.
        end: String,
    },
    /// No model has this feature.
    #[error("unknown feature {feature:?}{}; known features: {}", scope.as_deref().map(|m| format!(" in model {m:?}")).unwrap_or_default(), known.join(", "))]
    UnknownFeature {
        /// What was asked.
        feature: String,
        /// The model it was looked for in, if one was given.
        scope: Option<String>,
        /// Features that exist there.
        known: Vec<String>,
    },
    /// The feature exists in several models and none was named.
    #[error("feature {feature:?} exists in several models ({}); pass model_name", models.join(", "))]
    AmbiguousFeature {
        /// The feature.
        feature: String,
        /// The models that have it.
        models: Vec<String>,
    },
    /// A `name@alias` needs MLflow, which is not configured or failed.
    #[error("cannot resolve {spec:?} through MLflow: {why}")]
    Registry {
        /// The model spec.
        spec: String,
        /// What failed.
        why: String,
    },
    /// ClickHouse failed.
    #[error(transparent)]
    ClickHouse(#[from] ClickHouseError),
}

impl ToolError {
    /// A [`ToolError::BadArgument`].
    pub fn bad(name: &str, value: &str, why: impl Into<String>) -> ToolError {
        ToolError::BadArgument {
            name: name.into(),
            value: value.into(),
            why: why.into(),
        }
    }
}
