//! What can go wrong talking to MLflow, each error naming the call (the
//! endpoint and its subject, e.g. `registered-models/alias (get
//! churn@champion)`), MLflow's `error_code`, and what to do.

/// An MLflow call that failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No answer: MLflow is down, the URL is wrong, or the network is.
    #[error("mlflow {call}: cannot reach MLflow at {url}: {detail}; is it running (`make up` starts the local one) and is mlflow.url (MLOBS_MLFLOW_URL) right?")]
    Unreachable {
        /// The endpoint and its subject.
        call: String,
        /// The base URL the client was given.
        url: String,
        /// The transport's reason.
        detail: String,
    },
    /// MLflow answered that the thing does not exist (404
    /// `RESOURCE_DOES_NOT_EXIST`); typed so callers can say what to create.
    #[error("mlflow {call}: {status} {code}: {message}")]
    NotFound {
        /// The endpoint and its subject.
        call: String,
        /// HTTP status (404).
        status: u16,
        /// MLflow's `error_code`.
        code: String,
        /// MLflow's `message`.
        message: String,
    },
    /// MLflow refused the request for another reason.
    #[error("mlflow {call}: {status} {code}: {message}{hint}")]
    Api {
        /// The endpoint and its subject.
        call: String,
        /// HTTP status.
        status: u16,
        /// MLflow's `error_code` (`HTTP_<status>` when the answer was not
        /// MLflow's JSON, e.g. the 403 of its Host-header check).
        code: String,
        /// MLflow's `message`, or the start of the body.
        message: String,
        /// What to do, when the status tells.
        hint: &'static str,
    },
    /// MLflow answered something this client cannot read.
    #[error("mlflow {call}: unexpected answer: {detail}")]
    Decode {
        /// The endpoint and its subject.
        call: String,
        /// What did not fit.
        detail: String,
    },
    /// The configured URL cannot be used at all.
    #[error("mlflow.url {url:?} cannot be used: {detail}; give http://host:port or https://host")]
    Url {
        /// The URL as given.
        url: String,
        /// Why not.
        detail: String,
    },
}

impl RegistryError {
    /// True when MLflow said the model, version, run or artifact does not
    /// exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, RegistryError::NotFound { .. })
    }

    /// True when MLflow could not be reached at all (as opposed to
    /// refusing): callers with a cache fall back to it.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, RegistryError::Unreachable { .. })
    }

    /// MLflow's `error_code`, when it answered.
    pub fn code(&self) -> Option<&str> {
        match self {
            RegistryError::NotFound { code, .. } | RegistryError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// What to add to an error of `status`.
pub(crate) fn hint(status: u16) -> &'static str {
    match status {
        403 => "; MLflow refuses requests whose Host header it does not serve (DNS-rebinding protection): use the address MLflow listens on in mlflow.url, or start it with --allowed-hosts naming this one",
        401 => "; this MLflow asks for credentials, which mlobs does not send yet",
        502..=504 => "; a proxy in front of MLflow could not reach it: is MLflow running?",
        _ => "",
    }
}
