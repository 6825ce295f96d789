//! A toy model server that logs every prediction with PredictionLogger.
//!
//! ```text
//! cargo run -p mlobs-schemas --example model_server -- [BROKERS] [TOPIC] [COUNT]
//! ```
//!
//! It "serves" COUNT requests of a churn model (a fixed logistic score of two
//! features), logging each one without waiting for Kafka, then flushes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mlobs_schemas::{FeatureValue, LoggerConfig, Outcome, PredictionEvent, PredictionLogger};

fn main() {
    let mut args = std::env::args().skip(1);
    let brokers = args.next().unwrap_or_else(|| "127.0.0.1:9092".into());
    let topic = args.next().unwrap_or_else(|| "mlobs.predictions".into());
    let count: u64 = match args.next().map(|c| c.parse()) {
        None => 1_000,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            eprintln!("error: COUNT must be a whole number, e.g. 1000");
            std::process::exit(2);
        }
    };
    let logger = match PredictionLogger::start(LoggerConfig {
        brokers,
        topic,
        ..Default::default()
    }) {
        Ok(logger) => logger,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    for i in 0..count {
        let started = Instant::now();
        let tenure = (i % 48) as f64;
        let plan = if i % 3 == 0 { "basic" } else { "pro" };
        let score = 1.0 / (1.0 + (-(2.0 - 0.1 * tenure)).exp());
        let prediction = if score > 0.5 { "churn" } else { "stay" };
        let now = mlobs_schemas::time::now_ms();
        logger.log(PredictionEvent {
            prediction_id: format!("example-{now}-{i}"),
            model: "churn".into(),
            version: "1".into(),
            environment: "example".into(),
            event_time: now,
            features: BTreeMap::from([
                ("tenure".into(), Some(FeatureValue::Numeric(tenure))),
                ("plan".into(), Some(FeatureValue::Categorical(plan.into()))),
            ]),
            features_hash: None,
            prediction: Outcome::Class(prediction.into()),
            confidence: Some(score.max(1.0 - score)),
            class_probabilities: None,
            latency_ms: started.elapsed().as_secs_f64() * 1000.0,
            resources: None,
            error: None,
            request_id: None,
            trace_id: None,
        });
    }
    let stats = logger.shutdown(Duration::from_secs(30));
    println!(
        "served {count}: {} delivered, {} dropped, {} failed, {} unsent",
        stats.delivered,
        stats.dropped,
        stats.failed,
        stats.in_flight()
    );
}
