//! `make bench` for the stage-1 runtime without a broker: pre-encoded Avro
//! records through decode, validation, join, windows, sketches and partial
//! encoding, on one core. Prints the median of five runs.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use mlobs_pipeline::baselines::Baselines;
use mlobs_pipeline::stage1::worker::{Effects, Input, PartitionWorker, SourceRecord};
use mlobs_schemas::{encode, WriterSchemas};
use mlobs_testkit::workload::{baseline, stage1_config, stream, CATEGORICAL, NUMERIC};

fn main() {
    let (predictions, labels) = stream(200_000);
    // (event time, input, encoded record) in event-time order, as a partition delivers them.
    let mut records: Vec<(i64, Input, Vec<u8>)> = predictions
        .iter()
        .map(|p| (p.event_time, Input::Predictions, encode(p).unwrap()))
        .chain(
            labels
                .iter()
                .map(|l| (l.event_time, Input::Labels, encode(l).unwrap())),
        )
        .collect();
    records.sort_by_key(|(t, input, _)| (*t, *input as u8));
    let mut baselines = Baselines::default();
    let profile = baseline(20_000);
    baselines.insert("bench", "1", &profile);
    baselines.insert("bench", "2", &profile);
    let schemas = Arc::new(WriterSchemas::builtin());
    let config = stage1_config();
    let mut rates = Vec::new();
    for _ in 0..5 {
        let mut worker = PartitionWorker::new(0, 1, config, None, &baselines, schemas.clone());
        let mut effects = Effects::default();
        let mut offsets = [0i64; 2];
        let mut partial_bytes = 0;
        let started = Instant::now();
        for (i, (_, input, payload)) in records.iter().enumerate() {
            let offset = &mut offsets[*input as usize];
            worker.handle(
                SourceRecord {
                    input: *input,
                    offset: *offset,
                    key: None,
                    payload,
                },
                &mut effects,
            );
            *offset += 1;
            if i % 1_000 == 0 {
                worker.advance(&mut effects);
                partial_bytes += effects
                    .partials
                    .drain(..)
                    .map(|(_, p)| p.len())
                    .sum::<usize>();
                effects.outcomes.clear();
                effects.predictions.clear();
            }
        }
        worker.flush(&mut effects);
        partial_bytes += effects
            .partials
            .drain(..)
            .map(|(_, p)| p.len())
            .sum::<usize>();
        rates.push(records.len() as f64 / started.elapsed().as_secs_f64());
        assert!(effects.dead_letters.is_empty());
        black_box(partial_bytes);
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "stage-1 runtime in process (Avro decode + validate + join + windows + {NUMERIC} numeric/{CATEGORICAL} categorical sketches + partial encoding): {:.0} events/s median of 5 (min {:.0}, max {:.0}), {} events per run",
        rates[2], rates[0], rates[4], records.len()
    );
}
