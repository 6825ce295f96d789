//! The transport: one reqwest blocking client, JSON requests and answers,
//! raw bytes for artifacts, and the mapping of every failure to a
//! [`RegistryError`] that names the call.

use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{hint, RegistryError};
use crate::Result;

/// Longest wait for one call (an artifact upload of a large baseline
/// included).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for a connection: a dead host fails fast, so a pipeline
/// falling back to its cache does not stall.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A client of one MLflow server; clones share the connection pool.
#[derive(Clone, Debug)]
pub struct Registry {
    base: String,
    http: Client,
}

/// The name of a call in errors and logs: the endpoint and its subject,
/// `registered-models/alias (get churn@champion)`.
pub(crate) fn call(endpoint: &str, subject: impl std::fmt::Display) -> String {
    format!("{endpoint} ({subject})")
}

impl Registry {
    /// A client of the MLflow server at `url` (`mlflow.url`), with
    /// timeouts that keep a dead server from stalling the caller.
    pub fn new(url: &str) -> Result<Registry> {
        let http = Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| RegistryError::Url {
                url: url.to_string(),
                detail: e.to_string(),
            })?;
        Registry::with_client(url, http)
    }

    /// A client that sends through `http`, for settings this crate does not
    /// make (an auth header, a proxy, a private CA, a name resolved
    /// elsewhere).
    pub fn with_client(url: &str, http: Client) -> Result<Registry> {
        let base = url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(RegistryError::Url {
                url: url.to_string(),
                detail: "not an http:// or https:// URL".into(),
            });
        }
        Ok(Registry { base, http })
    }

    /// The base URL, as errors and logs name it.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// `GET /api/2.0/mlflow/<endpoint>?<query>`, answer as `T`.
    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        call: &str,
        endpoint: &str,
        query: &[(&str, &str)],
    ) -> Result<T> {
        let request = self.http.get(self.api(endpoint)).query(query);
        decode(call, self.send(call, request)?)
    }

    /// Every item of a search: `GET <endpoint>?filter=..&max_results=..`,
    /// page after page until MLflow's `next_page_token` is empty; the items
    /// are the answer's array `items`.
    pub(crate) fn search<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        items: &str,
        filter: &str,
        max_results: u32,
    ) -> Result<Vec<T>> {
        let call = call(endpoint, filter);
        let max_results = max_results.to_string();
        let mut found = Vec::new();
        let mut token = String::new();
        loop {
            let mut query = vec![("max_results", max_results.as_str()), ("filter", filter)];
            if !token.is_empty() {
                query.push(("page_token", &token));
            }
            let mut page: serde_json::Map<String, serde_json::Value> =
                self.get(&call, endpoint, &query)?;
            if let Some(list) = page.remove(items) {
                let list: Vec<T> =
                    serde_json::from_value(list).map_err(|e| RegistryError::Decode {
                        call: call.clone(),
                        detail: format!("{items}: {e}"),
                    })?;
                found.extend(list);
            }
            match page.remove("next_page_token") {
                Some(serde_json::Value::String(next)) if !next.is_empty() => token = next,
                _ => return Ok(found),
            }
        }
    }

    /// `<method> /api/2.0/mlflow/<endpoint>` with a JSON body, answer as
    /// `T` (MLflow wants `Content-Type: application/json` even on DELETE).
    pub(crate) fn call<T: DeserializeOwned>(
        &self,
        call: &str,
        method: Method,
        endpoint: &str,
        body: &impl Serialize,
    ) -> Result<T> {
        let request = self.http.request(method, self.api(endpoint)).json(body);
        decode(call, self.send(call, request)?)
    }

    /// `PUT` raw bytes to the artifact proxy at `path` (below
    /// `/api/2.0/mlflow-artifacts/artifacts/`).
    pub(crate) fn put_bytes(&self, call: &str, path: &str, bytes: Vec<u8>) -> Result<()> {
        let url = format!("{}/api/2.0/mlflow-artifacts/artifacts/{path}", self.base);
        self.send(call, self.http.put(url).body(bytes)).map(drop)
    }

    /// `GET` raw bytes from the artifact proxy at `path`.
    pub(crate) fn get_bytes(&self, call: &str, path: &str) -> Result<Vec<u8>> {
        let url = format!("{}/api/2.0/mlflow-artifacts/artifacts/{path}", self.base);
        let answer = self.send(call, self.http.get(url))?;
        answer
            .bytes()
            .map(|b| b.to_vec())
            .map_err(|e| self.unreachable(call, &e))
    }

    fn api(&self, endpoint: &str) -> String {
        format!("{}/api/2.0/mlflow/{endpoint}", self.base)
    }

    /// Sends and turns every non-2xx answer into an error naming the call.
    fn send(&self, call: &str, request: RequestBuilder) -> Result<Response> {
        tracing::debug!(mlflow = %self.base, call, "mlflow request");
        let answer = request.send().map_err(|e| self.unreachable(call, &e))?;
        let status = answer.status();
        if status.is_success() {
            return Ok(answer);
        }
        let body = answer.text().unwrap_or_default();
        Err(refusal(call, status.as_u16(), &body))
    }

    fn unreachable(&self, call: &str, error: &reqwest::Error) -> RegistryError {
        // reqwest's Display hides the cause ("error sending request"); the
        // chain says "Connection refused" or "timed out".
        let mut detail = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            detail = format!("{detail}: {cause}");
            source = cause.source();
        }
        RegistryError::Unreachable {
            call: call.to_string(),
            url: self.base.clone(),
            detail,
        }
    }
}

/// MLflow's error body: `{"error_code": ..., "message": ...}`.
#[derive(serde::Deserialize)]
struct ErrorBody {
    error_code: String,
    #[serde(default)]
    message: String,
}

/// The error for a refused call, from MLflow's JSON or the raw body.
fn refusal(call: &str, status: u16, body: &str) -> RegistryError {
    let (code, message) = match serde_json::from_str::<ErrorBody>(body) {
        Ok(e) => (e.error_code, e.message),
        Err(_) => (
            format!("HTTP_{status}"),
            body.trim().chars().take(300).collect(),
        ),
    };
    let call = call.to_string();
    if code == "RESOURCE_DOES_NOT_EXIST" {
        return RegistryError::NotFound {
            call,
            status,
            code,
            message,
        };
    }
    RegistryError::Api {
        call,
        status,
        code,
        message,
        hint: hint(status),
    }
}

fn decode<T: DeserializeOwned>(call: &str, answer: Response) -> Result<T> {
    let text = answer.text().map_err(|e| RegistryError::Decode {
        call: call.to_string(),
        detail: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| RegistryError::Decode {
        call: call.to_string(),
        detail: format!("{e} in {}", text.chars().take(200).collect::<String>()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_call_and_mlflows_code() {
        let body = r#"{"error_code": "INVALID_PARAMETER_VALUE", "message": "bad"}"#;
        let error = refusal("registered-models/alias (get m@champion)", 400, body);
        assert_eq!(
            error.to_string(),
            "mlflow registered-models/alias (get m@champion): 400 INVALID_PARAMETER_VALUE: bad"
        );
        let missing = refusal("x (y)", 404, r#"{"error_code": "RESOURCE_DOES_NOT_EXIST"}"#);
        assert!(missing.is_not_found());
        let html = refusal("x (y)", 403, "Invalid Host header");
        assert_eq!(html.code(), Some("HTTP_403"));
        assert!(html.to_string().contains("--allowed-hosts"));
    }

    #[test]
    fn only_http_urls_are_taken() {
        assert!(Registry::new("127.0.0.1:5000").is_err());
        assert_eq!(
            Registry::new("http://h:5000/").unwrap().url(),
            "http://h:5000"
        );
    }
}
