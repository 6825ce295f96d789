//! Artifacts through MLflow's proxy (`mlflow-artifacts`): the server
//! stores them where `--artifacts-destination` says, and clients need no
//! credentials for the store behind it.

use crate::client::call;
use crate::{Registry, RegistryError, Result, Run};

/// The scheme of URIs the proxy serves: `mlflow-artifacts:/<exp>/<run>/
/// artifacts/<path>`.
const SCHEME: &str = "mlflow-artifacts:";

impl Registry {
    /// Uploads `bytes` as artifact `path` (`mlobs/baseline.json`) of
    /// `run`, and returns its URI (`mlflow-artifacts:/...`).
    pub fn put_artifact(&self, run: &Run, path: &str, bytes: Vec<u8>) -> Result<String> {
        let uri = format!("{}/{path}", run.artifact_uri.trim_end_matches('/'));
        let relative = proxied(&uri).ok_or_else(|| RegistryError::Decode {
            call: call("mlflow-artifacts PUT", &uri),
            detail: format!(
                "run {} keeps artifacts at {}, not behind the artifact proxy ({SCHEME}/...); start mlflow server with --artifacts-destination",
                run.run_id, run.artifact_uri
            ),
        })?;
        self.put_bytes(&call("mlflow-artifacts PUT", &uri), relative, bytes)?;
        Ok(uri)
    }

    /// The bytes of artifact `uri` (`mlflow-artifacts:/...`).
    pub fn get_artifact(&self, uri: &str) -> Result<Vec<u8>> {
        let call = call("mlflow-artifacts GET", uri);
        let relative = proxied(uri).ok_or_else(|| RegistryError::Decode {
            call: call.clone(),
            detail: format!("only {SCHEME}/... URIs can be read through MLflow"),
        })?;
        self.get_bytes(&call, relative)
    }
}

/// The path below the proxy's root of a `mlflow-artifacts:` URI (with or
/// without a host part, `mlflow-artifacts://host/...`).
fn proxied(uri: &str) -> Option<&str> {
    let rest = uri.strip_prefix(SCHEME)?;
    let rest = match rest.strip_prefix("//") {
        Some(with_host) => &with_host[with_host.find('/')?..],
        None => rest,
    };
    Some(rest.trim_start_matches('/')).filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn proxied_paths() {
        assert_eq!(
            super::proxied("mlflow-artifacts:/1/r/artifacts/a.json"),
            Some("1/r/artifacts/a.json")
        );
        assert_eq!(
            super::proxied("mlflow-artifacts://h:5000/1/r/artifacts/a"),
            Some("1/r/artifacts/a")
        );
        assert_eq!(super::proxied("s3://bucket/a"), None);
        assert_eq!(super::proxied("mlflow-artifacts:/"), None);
    }
}
