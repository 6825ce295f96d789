//! Streamable HTTP for MCP hosts that connect to a running server: rmcp's
//! [`StreamableHttpService`] at `/mcp`, behind a bearer-token check done
//! before rmcp sees the request, so that a request without the token (or
//! with a wrong one) gets 401 and never reaches a tool. hyper serves it
//! directly: one route and one header check need no web framework.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http::{header, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::net::TcpListener;

use super::DiagnosisServer;
use crate::tools::Tools;

/// The path MCP hosts post to.
pub const PATH: &str = "/mcp";

type Body = BoxBody<Bytes, Infallible>;
type Service = StreamableHttpService<DiagnosisServer, LocalSessionManager>;

/// True when `authorization` is `Bearer <token>`, compared in time that
/// does not depend on where the first wrong byte is.
pub fn authorized(authorization: Option<&str>, token: &str) -> bool {
    let Some(given) = authorization.and_then(|h| h.strip_prefix("Bearer ")) else {
        return false;
    };
    let (a, b) = (given.trim().as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A plain-text answer.
fn plain(status: StatusCode, text: &str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(text.to_string())).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        "text/plain; charset=utf-8".parse().expect("static"),
    );
    response
}

/// One request: the token first, then the path, then rmcp.
async fn handle(service: Service, token: Arc<str>, request: Request<Incoming>) -> Response<Body> {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !authorized(given, &token) {
        let mut response = plain(
            StatusCode::UNAUTHORIZED,
            "401: send Authorization: Bearer <MLOBS_MCP_TOKEN>\n",
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, "Bearer".parse().expect("static"));
        return response;
    }
    if request.uri().path() != PATH {
        return plain(StatusCode::NOT_FOUND, "404: the MCP endpoint is /mcp\n");
    }
    service.handle(request).await
}

/// Serves `tools` (the write tools record on `agent`'s topics) on
/// `listener` until `shutdown` completes; requests need
/// `Authorization: Bearer <token>`.
pub async fn serve(
    tools: Arc<Tools>,
    agent: Arc<mlobs_pipeline::Config>,
    listener: TcpListener,
    token: String,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let local: SocketAddr = listener.local_addr()?;
    // rmcp refuses Host headers other than loopback names (DNS rebinding);
    // a server listening elsewhere must also accept its own address.
    let mut hosts = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    hosts.push(local.ip().to_string());
    hosts.push(local.to_string());
    let config = StreamableHttpServerConfig::default().with_allowed_hosts(hosts);
    let service: Service = StreamableHttpService::new(
        move || Ok(DiagnosisServer::new(Arc::clone(&tools), Arc::clone(&agent))),
        LocalSessionManager::default().into(),
        config,
    );
    let token: Arc<str> = token.into();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            accepted = listener.accept() => accepted?,
        };
        let (service, token) = (service.clone(), Arc::clone(&token));
        tokio::spawn(async move {
            let serve = service_fn(move |request| {
                let (service, token) = (service.clone(), Arc::clone(&token));
                async move { Ok::<_, Infallible>(handle(service, token, request).await) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), serve)
                .await
            {
                tracing::debug!(%peer, error = %e, "MCP connection ended");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::authorized;

    #[test]
    fn only_the_exact_bearer_token_is_authorized() {
        assert!(authorized(Some("Bearer s3cret"), "s3cret"));
        assert!(!authorized(Some("Bearer s3cre"), "s3cret"));
        assert!(!authorized(Some("Bearer s3cretX"), "s3cret"));
        assert!(!authorized(Some("Basic s3cret"), "s3cret"));
        assert!(!authorized(Some("s3cret"), "s3cret"));
        assert!(!authorized(None, "s3cret"));
    }
}
