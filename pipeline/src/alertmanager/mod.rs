//! Alerts from Prometheus: Alertmanager's webhook notifications become
//! `AlertEvent`s on the alerts topic, the same shape as the stream rules'
//! (DESIGN: "Alerts come from two places with one shape"). The conversion
//! is pure ([`convert`]); the HTTP server and the producer are the edge
//! ([`webhook`]), run by `mlobs alerts webhook`.

pub mod convert;
pub mod webhook;
