//! The HTTP endpoints: `/metrics` for Prometheus, `/healthz` (the process
//! is alive) and `/readyz` (it can do its job; 503 with the reasons when
//! not). A small blocking server on its own thread: scrapes are rare and
//! cheap, so it needs no async runtime.

use std::net::SocketAddr;
use std::sync::Arc;

use tiny_http::{Header, Response, Server};

use super::Metrics;
use crate::health::Health;
use crate::PipelineError;

/// Starts serving on `listen` (port 0 picks a free port); returns the
/// address it bound.
pub fn serve(
    listen: &str,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
) -> Result<SocketAddr, PipelineError> {
    let server = Server::http(listen).map_err(|e| {
        PipelineError::Stopped(format!(
            "cannot serve metrics on {listen}: {e}; free the port or set metrics.listen (\"\" switches the endpoint off)"
        ))
    })?;
    let address = server
        .server_addr()
        .to_ip()
        .expect("an IP listener was asked for");
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                let (status, content_type, body) = answer(request.url(), &metrics, &health);
                let header = Header::from_bytes("Content-Type", content_type).expect("valid");
                let response = Response::from_string(body)
                    .with_status_code(status)
                    .with_header(header);
                let _ = request.respond(response);
            }
        })
        .expect("spawning the metrics thread");
    Ok(address)
}

/// Status, content type and body for a path.
fn answer(path: &str, metrics: &Metrics, health: &Health) -> (u16, &'static str, String) {
    const TEXT: &str = "text/plain; charset=utf-8";
    match path.split('?').next().unwrap_or_default() {
        "/metrics" => {
            metrics.ready(health.readiness().is_ok());
            (200, "text/plain; version=0.0.4", metrics.render())
        }
        "/healthz" => (200, TEXT, "ok\n".into()),
        "/readyz" => match health.readiness() {
            Ok(()) => (200, TEXT, with_details("ready", health)),
            Err(problems) => (
                503,
                TEXT,
                with_details(&format!("not ready: {}", problems.join("; ")), health),
            ),
        },
        _ => (
            404,
            TEXT,
            "not found; try /metrics, /healthz or /readyz\n".into(),
        ),
    }
}

/// `first` and then one line per detail (`note: ...`).
fn with_details(first: &str, health: &Health) -> String {
    let mut body = format!("{first}\n");
    for detail in health.details() {
        body.push_str(&format!("note: {detail}\n"));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::Stage;

    #[test]
    fn each_path_answers_with_its_status() {
        let metrics = Metrics::default();
        let health = Health::new(&[Stage::Join], false);
        assert_eq!(answer("/healthz", &metrics, &health).0, 200);
        let (status, _, body) = answer("/readyz", &metrics, &health);
        assert_eq!(status, 503);
        assert!(body.contains("broker"), "{body}");
        health.set_broker(true);
        health.set_assigned(Stage::Join, 1);
        assert_eq!(answer("/readyz", &metrics, &health).0, 200);
        health.set_without_baseline(vec![("m".into(), "2".into())]);
        let (status, _, body) = answer("/readyz", &metrics, &health);
        assert_eq!(status, 200);
        assert_eq!(
            body,
            "ready\nnote: no baseline for model m version 2: no drift for it\n"
        );
        assert_eq!(answer("/nope", &metrics, &health).0, 404);
        let (status, _, body) = answer("/metrics?x=1", &metrics, &health);
        assert_eq!(status, 200);
        assert!(body.contains("\nmlobs_ready 1\n"), "ready, as /readyz says");
        health.set_broker(false);
        let (_, _, body) = answer("/metrics", &metrics, &health);
        assert!(
            body.contains("\nmlobs_ready 0\n"),
            "not ready, as /readyz says"
        );
    }

    #[test]
    fn every_dead_letter_reason_is_a_series_before_its_first_record() {
        let body = answer("/metrics", &Metrics::default(), &Health::new(&[], false)).2;
        for reason in [
            "not_avro",
            "missing_field",
            "future_event_time",
            "sink_rejected",
        ] {
            let series = format!("mlobs_records_rejected_total{{reason=\"{reason}\"}} 0\n");
            assert!(body.contains(&series), "{series} not in {body}");
        }
    }
}
