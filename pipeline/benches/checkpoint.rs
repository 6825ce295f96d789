//! `make bench` for the cost of keeping stage-1 state durable, in process:
//! one partition at 100 predictions/s of event time (80% labeled 30 s later)
//! with a one-hour label TTL, so that the join holds about 360,000
//! predictions once warm. Then 30 minutes of event time with a checkpoint
//! every 2 s of it (the default interval, event time standing in for the
//! wall clock). Prints:
//!
//! - the bytes the changelog receives per second against the input's bytes
//!   per second (snapshots plus progress records, the real policy of
//!   `Checkpointer::plan`), next to what writing the whole state at every
//!   checkpoint (the earlier format) would cost;
//! - what expiry costs with 360,000 pending: the time to process each 2 s of
//!   traffic (decode, join, sketches, and the join's expiry as the inputs'
//!   event time moves) and of the `advance` that closes windows; intervals
//!   that include a sweep of the join (its reclaiming pass over the whole
//!   table, which the earlier code made at every loop pass) stand out as the
//!   maximum.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use mlobs_pipeline::baselines::Baselines;
use mlobs_pipeline::stage1::checkpoint::{Checkpointer, Plan};
use mlobs_pipeline::stage1::worker::{Effects, Input, PartitionWorker, SourceRecord};
use mlobs_pipeline::wire;
use mlobs_schemas::{encode, GroundTruthEvent, PredictionEvent, WriterSchemas};
use mlobs_testkit::workload::{baseline, stage1_config, traffic, T0};

const RATE_PER_S: i64 = 100;
const TTL_MS: i64 = 3_600_000;
const CHECKPOINT_MS: i64 = 2_000;
const MEASURED_MS: i64 = 30 * 60_000;

/// The events of one partition in event-time order, Avro-encoded: the
/// shared benchmark traffic (10 ms apart, labels 30 s later).
struct Traffic<I: Iterator> {
    events: std::iter::Peekable<I>,
    labels: VecDeque<(i64, Vec<u8>)>,
}

impl<I: Iterator<Item = (PredictionEvent, Option<GroundTruthEvent>)>> Traffic<I> {
    /// Every event with an event time before `until`.
    fn until(&mut self, until: i64) -> Vec<(Input, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some((prediction, _)) = self.events.peek() {
            let t = prediction.event_time;
            if t >= until {
                break;
            }
            while self.labels.front().is_some_and(|(at, _)| *at <= t) {
                out.push((Input::Labels, self.labels.pop_front().unwrap().1));
            }
            let (prediction, label) = self.events.next().unwrap();
            out.push((Input::Predictions, encode(&prediction).unwrap()));
            if let Some(label) = label {
                self.labels
                    .push_back((label.event_time, encode(&label).unwrap()));
            }
        }
        out
    }
}

fn main() {
    let mut baselines = Baselines::default();
    let profile = baseline(20_000);
    baselines.insert("bench", "1", &profile);
    baselines.insert("bench", "2", &profile);
    let mut config = stage1_config();
    config.label_ttl_ms = TTL_MS;
    config.windows.size_ms = 60_000;
    let schemas = Arc::new(WriterSchemas::builtin());
    let mut worker = PartitionWorker::new(0, 1, config, None, &baselines, schemas);
    let mut checkpointer = Checkpointer::new("changelog", 0, None);
    let mut traffic = Traffic {
        events: traffic().peekable(),
        labels: VecDeque::new(),
    };
    let mut effects = Effects::default();
    let mut offsets = [0i64; 2];
    let (mut input_bytes, mut written, mut snapshots, mut whole_state) = (0, 0, 0, 0);
    let (mut advances, mut intervals) = (Vec::new(), Vec::new());
    let mut manifest_offset = 0;
    let checkpoints = (TTL_MS + MEASURED_MS) / CHECKPOINT_MS;
    for checkpoint in 1..=checkpoints {
        let until = T0 + checkpoint * CHECKPOINT_MS;
        let measured = until > T0 + TTL_MS;
        let events = traffic.until(until);
        let started = Instant::now();
        for (input, payload) in events {
            let offset = &mut offsets[input as usize];
            if measured {
                input_bytes += payload.len();
            }
            let record = SourceRecord {
                input,
                offset: *offset,
                key: None,
                payload: &payload,
            };
            worker.handle(record, &mut effects);
            *offset += 1;
        }
        let interval = started.elapsed();
        let started = Instant::now();
        worker.advance(&mut effects);
        let advance = started.elapsed();
        effects.clear();
        let plan = checkpointer.plan(&mut worker);
        if !measured {
            // Warming up: keep the policy's snapshot size current only.
            if let Plan::Snapshot { generation, chunks } = plan {
                let bytes = chunks.iter().map(Vec::len).sum();
                manifest_offset += chunks.len() as i64 + 1;
                checkpointer.snapshot_written(generation, manifest_offset, bytes);
            }
            continue;
        }
        advances.push(advance.as_secs_f64() * 1e3);
        intervals.push(interval.as_secs_f64() * 1e3);
        whole_state += wire::encode(&worker.snapshot()).len();
        match plan {
            Plan::Progress { payload } => written += payload.len(),
            Plan::Snapshot { generation, chunks } => {
                let bytes = chunks.iter().map(Vec::len).sum();
                written += bytes;
                snapshots += 1;
                manifest_offset += chunks.len() as i64 + 1;
                checkpointer.snapshot_written(generation, manifest_offset, bytes);
            }
        }
    }
    let seconds = MEASURED_MS as f64 / 1_000.0;
    let (pending, _) = worker.join_size();
    advances.sort_by(f64::total_cmp);
    intervals.sort_by(f64::total_cmp);
    println!(
        "stage-1 checkpoints, {pending} predictions pending (1 h TTL, {RATE_PER_S}/s, 25 features): changelog {:.0} B/s against {:.0} B/s of input (ratio {:.2}; {snapshots} snapshots in {:.0} min); writing the whole state every {} s would be {:.0} B/s (ratio {:.0})",
        written as f64 / seconds,
        input_bytes as f64 / seconds,
        written as f64 / input_bytes as f64,
        seconds / 60.0,
        CHECKPOINT_MS / 1_000,
        whole_state as f64 / seconds,
        whole_state as f64 / input_bytes as f64,
    );
    let median = |v: &[f64]| v[v.len() / 2];
    let events_per_interval = (CHECKPOINT_MS * RATE_PER_S / 1_000) as f64 * 1.8;
    println!(
        "join expiry with {pending} pending: each {} s of traffic ({events_per_interval:.0} events) takes {:.3} ms median to process, {:.3} ms at most (an interval with a sweep of the whole join; sweeps run every {} s of event time, before at every loop pass); closing windows (advance) {:.3} ms median, {:.3} ms max; {} intervals",
        CHECKPOINT_MS / 1_000,
        median(&intervals),
        intervals[intervals.len() - 1],
        TTL_MS / 16 / 1_000,
        median(&advances),
        advances[advances.len() - 1],
        intervals.len()
    );
}
