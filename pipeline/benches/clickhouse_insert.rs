//! `make bench` for the ClickHouse history: how many `inference_log` rows
//! per second the pipeline's writer gets into the local ClickHouse (rows
//! with 20 numeric and 5 categorical features, sent as RowBinary through
//! the clickhouse crate, inserted in batches of `clickhouse.batch_rows`,
//! acknowledged). Writes to
//! a database of its own, dropped at the end. Prints the median of five runs.

use std::sync::Arc;
use std::time::Instant;

use mlobs_pipeline::health::Health;
use mlobs_pipeline::shutdown::Shutdown;
use mlobs_pipeline::sinks::clickhouse::migrate::migrate;
use mlobs_pipeline::sinks::clickhouse::writer::{HistoryWriter, WriterEnv};
use mlobs_pipeline::sinks::clickhouse::ClickHouse;
use mlobs_pipeline::sinks::Metrics;
use mlobs_pipeline::Config;
use mlobs_testkit::workload::stream;

const ROWS: usize = 200_000;

fn main() {
    let mut config = Config::load(None).expect("the mlobs config");
    config.clickhouse.database = format!("bench_insert_{}", std::process::id());
    let clickhouse = ClickHouse::from_config(&config.clickhouse)
        .expect("a usable clickhouse config")
        .expect("clickhouse.url is set");
    migrate(&clickhouse).expect("the schema applies (is ClickHouse up? make up)");
    let (predictions, _) = stream(ROWS);
    let env = WriterEnv {
        shutdown: Shutdown::default(),
        metrics: Arc::new(Metrics::default()),
        health: Arc::new(Health::new(&[], true)),
    };
    let mut rates = Vec::new();
    for _ in 0..5 {
        let mut writer = HistoryWriter::new(
            clickhouse.clone(),
            config.clickhouse.batch_rows,
            env.clone(),
        );
        // The writer keeps what it is given until the insert: the copies are
        // made before the clock starts, as a stage hands over its events.
        let run = predictions.clone();
        let started = Instant::now();
        for prediction in run {
            writer.add(prediction);
            if writer.is_full() {
                writer.flush().expect("the insert succeeds");
            }
        }
        writer.flush().expect("the insert succeeds");
        rates.push(predictions.len() as f64 / started.elapsed().as_secs_f64());
    }
    let database = &config.clickhouse.database;
    let stored = clickhouse
        .count(&format!(
            "SELECT count() FROM {database}.inference_log FINAL"
        ))
        .expect("counting");
    clickhouse
        .execute(&format!("DROP DATABASE {database}"))
        .expect("dropping the bench database");
    // Every run writes the same predictions: the key keeps one of each.
    assert_eq!(stored, predictions.len() as u64);
    rates.sort_by(f64::total_cmp);
    println!(
        "ClickHouse history writer (inference_log, RowBinary, batches of {}): {:.0} rows/s median of 5 (min {:.0}, max {:.0}), {} rows per run",
        config.clickhouse.batch_rows, rates[2], rates[0], rates[4], predictions.len()
    );
}
