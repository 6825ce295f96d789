//! HTTPS to ClickHouse with rustls: which certificates are trusted, and
//! what a failed handshake means in terms of the settings.
//!
//! The connector is built here rather than taken from the clickhouse crate
//! (whose own is the same hyper-rustls with the machine's trust store)
//! because `clickhouse.ca_file` must be able to name a private CA, the
//! usual case for a self-signed server certificate. Like `curl --cacert`,
//! the file then replaces the machine's trust store.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use clickhouse::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{CertificateError, RootCertStore};

use super::ClickHouseError;
use crate::config::ClickHouseConfig;

/// How long a TCP connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long opening a connection may take with its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// ClickHouse closes idle connections after 3 s (`keep_alive_timeout`);
/// the pool lets go of them before that.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(2);

/// A clickhouse client whose transport speaks HTTP, and HTTPS with the
/// trust `config` asks for.
pub(super) fn client(config: &ClickHouseConfig) -> Result<Client, ClickHouseError> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(CONNECT_TIMEOUT));
    http.set_nodelay(true);
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default TLS versions")
    .with_root_certificates(roots(&config.ca_file)?)
    .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    let transport = HyperClient::builder(TokioExecutor::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build(Deadline(connector));
    Ok(Client::with_http_client(transport))
}

/// A connector whose connections must be open, TLS included, within
/// [`HANDSHAKE_TIMEOUT`]: a TLS client at a port that does not speak TLS
/// can otherwise wait as long as the server does (ClickHouse's HTTP port
/// waits for the end of a request line that never comes).
#[derive(Clone)]
struct Deadline<C>(C);

/// A connection that was not open in time.
#[derive(Debug, thiserror::Error)]
#[error("no connection with a finished TLS handshake within {0:?}: does this port speak TLS (ClickHouse's https_port), or should clickhouse.url be http://?")]
struct HandshakeTimeout(Duration);

type BoxError = Box<dyn StdError + Send + Sync>;

impl<C> tower_service::Service<http::Uri> for Deadline<C>
where
    C: tower_service::Service<http::Uri>,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let connecting = self.0.call(uri);
        Box::pin(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, connecting).await {
                Ok(connected) => connected.map_err(Into::into),
                Err(_) => Err(Box::new(HandshakeTimeout(HANDSHAKE_TIMEOUT)) as BoxError),
            }
        })
    }
}

/// The CAs in `ca_file`, or the machine's trust store when it is empty.
fn roots(ca_file: &str) -> Result<RootCertStore, ClickHouseError> {
    let mut roots = RootCertStore::empty();
    if ca_file.is_empty() {
        // Unreadable entries of the system store are skipped: a server
        // signed by one of them fails its handshake with a clear message.
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        return Ok(roots);
    }
    let setting = |detail: String| ClickHouseError::Setting {
        key: "clickhouse.ca_file",
        value: ca_file.to_string(),
        detail,
    };
    let certificates = CertificateDer::pem_file_iter(ca_file)
        .map_err(|e| setting(format!("cannot be read ({e}); give the PEM file of the CA that signed ClickHouse's certificate")))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| setting(format!("is not a PEM certificate file ({e})")))?;
    let (added, _) = roots.add_parsable_certificates(certificates);
    if added == 0 {
        return Err(setting(
            "holds no usable certificate; give the PEM file (-----BEGIN CERTIFICATE-----) of the CA that signed ClickHouse's certificate".into(),
        ));
    }
    Ok(roots)
}

/// The TLS failure somewhere in `error`'s chain, as a [`ClickHouseError::Tls`]
/// naming the setting to change; `None` when the failure is not about TLS.
pub(super) fn tls_failure(
    error: &(dyn StdError + 'static),
    config: &ClickHouseConfig,
) -> Option<ClickHouseError> {
    let rustls = find_rustls(error)?;
    let url = config.url.clone();
    let ca = if config.ca_file.is_empty() {
        "set clickhouse.ca_file to the PEM file of the CA that signed it".to_string()
    } else {
        format!(
            "clickhouse.ca_file ({}) does not hold the CA that signed it",
            config.ca_file
        )
    };
    let detail = match rustls {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
            "certificate verify failed (self-signed, or signed by a CA not trusted here); {ca}"
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "certificate verify failed (the certificate is not valid for this host name); use the name or address the certificate was made for".to_string(),
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "certificate verify failed (the server's certificate has expired)".to_string(),
        rustls::Error::InvalidCertificate(other) => {
            format!("certificate verify failed ({other:?}); {ca}")
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "TLS handshake failed: the port does not speak TLS (is it ClickHouse's https_port, or should the URL be http://?)".to_string()
        }
        other => format!("TLS handshake failed ({other})"),
    };
    Some(ClickHouseError::Tls { url, detail })
}

/// The rustls error in a chain of sources. An `io::Error` hides its inner
/// error from `source()` (it returns the inner error's source), so each
/// `io::Error` is opened as well.
fn find_rustls<'a>(mut error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    loop {
        if let Some(found) = error.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(found) = find_rustls(inner) {
                return Some(found);
            }
        }
        error = error.source()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(ca_file: &str) -> ClickHouseConfig {
        ClickHouseConfig {
            url: "https://127.0.0.1:8443".into(),
            ca_file: ca_file.into(),
            ..ClickHouseConfig::default()
        }
    }

    #[test]
    fn a_ca_file_that_is_missing_or_not_pem_names_the_setting() {
        let missing = roots("/nonexistent/ca.pem").unwrap_err().to_string();
        assert!(
            missing.starts_with("clickhouse.ca_file /nonexistent/ca.pem: "),
            "{missing}"
        );
        let text = std::env::temp_dir().join(format!("mlobs-not-pem-{}", std::process::id()));
        std::fs::write(&text, "not a certificate").unwrap();
        let junk = roots(text.to_str().unwrap()).unwrap_err().to_string();
        std::fs::remove_file(&text).unwrap();
        assert!(junk.starts_with("clickhouse.ca_file "), "{junk}");
        assert!(client(&config("/nonexistent/ca.pem")).is_err());
        assert!(client(&config("")).is_ok());
    }

    #[test]
    fn a_rustls_error_inside_io_errors_is_found_and_named() {
        let inner = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner);
        let wrapped = std::io::Error::other(io);
        let error = tls_failure(&wrapped, &config("")).unwrap().to_string();
        assert!(
            error.starts_with("clickhouse.url https://127.0.0.1:8443: certificate verify failed"),
            "{error}"
        );
        assert!(error.contains("clickhouse.ca_file"), "{error}");
        let plain = std::io::Error::other("connection refused");
        assert!(tls_failure(&plain, &config("")).is_none());
    }
}
