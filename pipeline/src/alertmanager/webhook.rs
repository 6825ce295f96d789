//! The HTTP edge of `mlobs alerts webhook`: Alertmanager posts a
//! notification, each alert goes to the alerts topic as an `AlertEvent`
//! (see [`super::convert`]), and the answer tells Alertmanager whether to
//! retry: 200 once the broker acknowledged every record, 503 when it did
//! not within the acknowledgement timeout (Alertmanager retries 5xx), 400
//! for a body that retrying cannot fix.
//!
//! Requests are handled one at a time on one thread: Alertmanager sends a
//! notification per group and interval, a handful a minute, so a slow
//! broker holding one request back costs nothing that matters.

use std::io::Read;
use std::net::SocketAddr;
use std::time::Duration;

use mlobs_schemas::AlertEvent;
use rdkafka::producer::{FutureProducer, FutureRecord};
use tiny_http::{Header, Method, Request, Response, Server};

use super::convert::alert_events;
use crate::alerts_topic::record_key;
use crate::config::KafkaConfig;
use crate::kafka_log::Quiet;
use crate::shutdown::Shutdown;
use crate::PipelineError;

/// The path Alertmanager posts to (`webhook_configs.url`).
pub const PATH: &str = "/alerts";
/// The largest body accepted: Alertmanager sends every alert of a group in
/// one notification, a few KB each.
const MAX_BODY: u64 = 16 * 1024 * 1024;

/// Where to listen, where to publish, how long to wait for the broker.
pub struct WebhookConfig {
    /// `host:port` to listen on (port 0 picks a free one).
    pub listen: String,
    /// The alerts topic (`kafka.topics.alerts`).
    pub topic: String,
    /// How long a notification waits for the broker's acknowledgement
    /// before it is answered 503 (Alertmanager then retries).
    pub ack_timeout: Duration,
}

/// Answers notifications until `shutdown`; `bound` learns the address
/// once the port is open. Fails at once when the port is taken or the
/// topic does not exist.
pub fn serve(
    kafka: &KafkaConfig,
    config: &WebhookConfig,
    shutdown: &Shutdown,
    bound: impl FnOnce(SocketAddr),
) -> Result<(), PipelineError> {
    let server = Server::http(&config.listen).map_err(|e| {
        PipelineError::Stopped(format!(
            "cannot listen on {} for Alertmanager: {e}; free the port or choose another with --listen (and set it in alertmanager.yml)",
            config.listen
        ))
    })?;
    let address = server
        .server_addr()
        .to_ip()
        .expect("an IP listener was asked for");
    crate::topics::partition_count(kafka, &config.topic)?;
    let publisher = Publisher::new(kafka, config)?;
    tracing::info!(%address, path = PATH, topic = %config.topic, "receiving Alertmanager notifications");
    bound(address);
    while !shutdown.requested() {
        match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(request)) => handle(request, &publisher),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "a request could not be read"),
        }
    }
    tracing::info!(%address, "stopped receiving Alertmanager notifications");
    Ok(())
}

/// Answers one request.
fn handle(mut request: Request, publisher: &Publisher) {
    let path = request
        .url()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    let (status, body) = match (request.method(), path.as_str()) {
        (Method::Get, "/healthz") => (200, "ok".to_string()),
        (Method::Post, PATH) => notification(&mut request, publisher),
        (_, PATH) => (
            405,
            format!("POST Alertmanager's webhook notifications to {PATH}"),
        ),
        _ => (
            404,
            format!("not found; Alertmanager posts to {PATH}, health is /healthz"),
        ),
    };
    let header = Header::from_bytes("Content-Type", "text/plain; charset=utf-8").expect("valid");
    let response = Response::from_string(format!("{body}\n"))
        .with_status_code(status)
        .with_header(header);
    if let Err(e) = request.respond(response) {
        tracing::warn!(error = %e, status, "the answer could not be sent");
    }
}

/// Status and body for a posted notification.
fn notification(request: &mut Request, publisher: &Publisher) -> (u16, String) {
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body);
    if let Err(e) = read {
        return (400, format!("the body could not be read: {e}"));
    }
    if body.len() as u64 > MAX_BODY {
        return (413, format!("the body is over {MAX_BODY} bytes"));
    }
    let events = match alert_events(&body) {
        Ok(events) => events,
        Err(e) => {
            tracing::warn!(error = %e, bytes = body.len(), "refused a notification (400)");
            return (400, e.to_string());
        }
    };
    match publisher.publish(&events) {
        Ok(()) => {
            for e in &events {
                tracing::info!(alert_id = %e.alert_id, rule = %e.rule, model = %e.model, version = %e.version, status = ?e.status, "published an Alertmanager alert");
            }
            (200, format!("published {} alerts", events.len()))
        }
        Err(e) => {
            tracing::warn!(error = %e, alerts = events.len(), "the broker did not acknowledge; answered 503 so that Alertmanager retries");
            (503, e)
        }
    }
}

/// Sends events to the alerts topic and waits for the broker.
struct Publisher {
    producer: FutureProducer<Quiet>,
    topic: String,
    timeout: Duration,
    waiter: tokio::runtime::Runtime,
}

impl Publisher {
    /// A producer that gives up on a record after `ack_timeout`
    /// (`message.timeout.ms`): Alertmanager's retry replaces ours.
    fn new(kafka: &KafkaConfig, config: &WebhookConfig) -> Result<Self, PipelineError> {
        let mut settings = mlobs_schemas::kafka::producer_config(&kafka.brokers, &kafka.librdkafka);
        let timeout_ms = config.ack_timeout.as_millis().max(1).to_string();
        settings.set("message.timeout.ms", &timeout_ms);
        for (key, value) in &kafka.librdkafka {
            settings.set(key, value);
        }
        let producer = settings
            .create_with_context(Quiet)
            .map_err(|e| PipelineError::kafka("creating the webhook's producer", e))?;
        let waiter = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime builds");
        Ok(Publisher {
            producer,
            topic: config.topic.clone(),
            timeout: config.ack_timeout,
            waiter,
        })
    }

    /// Sends every event, keyed `model/version`, and waits until the broker
    /// acknowledged all of them; the error says which one failed and why.
    /// Records sent before a failure stay sent: the retry sends them again
    /// with the same ids, which readers deduplicate.
    fn publish(&self, events: &[AlertEvent]) -> Result<(), String> {
        let mut deliveries = Vec::with_capacity(events.len());
        for event in events {
            let payload = mlobs_schemas::encode(event)
                .map_err(|e| format!("alert {} could not be encoded: {e}", event.alert_id))?;
            let key = record_key(event);
            let record = FutureRecord::to(&self.topic).key(key).payload(&payload);
            let delivery = self.producer.send_result(record).map_err(|(e, _)| {
                format!("the producer's queue refused alert {}: {e}", event.alert_id)
            })?;
            deliveries.push((event.alert_id.as_str(), delivery));
        }
        // librdkafka fails a record after message.timeout.ms; this deadline
        // only guards against a delivery report that never comes.
        let backstop = self.timeout + Duration::from_secs(5);
        self.waiter.block_on(async {
            for (id, delivery) in deliveries {
                match tokio::time::timeout(backstop, delivery).await {
                    Ok(Ok(Ok(_))) => {}
                    Ok(Ok(Err((e, _)))) => {
                        return Err(format!("the broker did not take alert {id}: {e}"))
                    }
                    Ok(Err(_)) => return Err("the producer closed".to_string()),
                    Err(_) => {
                        return Err(format!(
                            "no acknowledgement for alert {id} within {} s",
                            backstop.as_secs()
                        ))
                    }
                }
            }
            Ok(())
        })
    }
}
