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
//! - what expiry costs: the median time of the per-checkpoint `advance`
//!   (which expires the join and closes windows) with 360,000 pending.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use mlobs_pipeline::baselines::Baselines;
use mlobs_pipeline::stage1::checkpoint::{Checkpointer, Plan};
use mlobs_pipeline::stage1::worker::{Effects, Input, PartitionWorker, SourceRecord};
use mlobs_pipeline::wire;
use mlobs_schemas::{encode, GroundTruthEvent, Outcome, PredictionEvent, WriterSchemas};
use mlobs_testkit::workload::{baseline, features, stage1_config, T0};
use mlobs_testkit::TestRng;

const RATE_PER_S: i64 = 100;
const TTL_MS: i64 = 3_600_000;
const CHECKPOINT_MS: i64 = 2_000;
const MEASURED_MS: i64 = 30 * 60_000;

/// The events of one partition in event-time order, Avro-encoded.
struct Traffic {
    rng: TestRng,
    next: i64,
    labels: VecDeque<(i64, Vec<u8>)>,
}

impl Traffic {
    /// Every event with an event time before `until`.
    fn until(&mut self, until: i64) -> Vec<(Input, Vec<u8>)> {
        let mut out = Vec::new();
        while self.next < until {
            let t = T0 + self.next * 1_000 / RATE_PER_S;
            while self.labels.front().is_some_and(|(at, _)| *at <= t) {
                out.push((Input::Labels, self.labels.pop_front().unwrap().1));
            }
            let id = format!("pred-{:09}", self.next);
            let class = if self.rng.uniform() < 0.5 { "yes" } else { "no" };
            let prediction = PredictionEvent {
                prediction_id: id.clone(),
                model: "bench".into(),
                version: "1".into(),
                environment: "bench".into(),
                event_time: t,
                features: features(&mut self.rng),
                features_hash: None,
                prediction: Outcome::Class(class.into()),
                confidence: Some(0.8),
                class_probabilities: None,
                latency_ms: 5.0,
                resources: None,
                error: None,
                request_id: None,
                trace_id: None,
            };
            out.push((Input::Predictions, encode(&prediction).unwrap()));
            if self.rng.uniform() < 0.8 {
                let label = GroundTruthEvent {
                    prediction_id: id,
                    event_time: t + 30_000,
                    label: Outcome::Class(class.into()),
                    source: "bench".into(),
                };
                self.labels.push_back((t + 30_000, encode(&label).unwrap()));
            }
            self.next += 1;
        }
        out
    }
}

fn main() {
    let mut baselines = Baselines::default();
    baselines.insert("bench", "1", &baseline(20_000));
    let mut config = stage1_config();
    config.label_ttl_ms = TTL_MS;
    config.windows.size_ms = 60_000;
    let schemas = Arc::new(WriterSchemas::builtin());
    let mut worker = PartitionWorker::new(0, 1, config, None, &baselines, schemas);
    let mut checkpointer = Checkpointer::new("changelog", 0, None);
    let mut traffic = Traffic {
        rng: TestRng::new(5),
        next: 0,
        labels: VecDeque::new(),
    };
    let mut effects = Effects::default();
    let mut offsets = [0i64; 2];
    let (mut input_bytes, mut written, mut snapshots, mut whole_state) = (0, 0, 0, 0);
    let mut advances = Vec::new();
    let mut manifest_offset = 0;
    let warm_up = TTL_MS * RATE_PER_S / 1_000;
    let checkpoints = (TTL_MS + MEASURED_MS) / CHECKPOINT_MS;
    for checkpoint in 1..=checkpoints {
        let until = checkpoint * CHECKPOINT_MS * RATE_PER_S / 1_000;
        let measured = traffic.next >= warm_up;
        for (input, payload) in traffic.until(until) {
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
    println!(
        "join expiry with {pending} pending: advance every {} s of event time takes {:.3} ms median, {:.3} ms at the 99th percentile, {:.3} ms max ({} calls)",
        CHECKPOINT_MS / 1_000,
        advances[advances.len() / 2],
        advances[advances.len() * 99 / 100],
        advances[advances.len() - 1],
        advances.len()
    );
}
