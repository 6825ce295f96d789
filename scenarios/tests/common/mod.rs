//! Test support: an `Output` that keeps everything in memory, a recount of
//! the truth from what it kept, and a small scenario to vary.

#![allow(dead_code)] // each test file uses its own subset

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use mlobs_scenarios::{Output, Scenario, SimError, Truth, WindowTruth};
use mlobs_schemas::{GroundTruthEvent, PredictionEvent};

/// One event as it left the simulator.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    Prediction(Box<PredictionEvent>),
    Label(GroundTruthEvent),
}

impl Sent {
    pub fn event_time(&self) -> i64 {
        match self {
            Sent::Prediction(p) => p.event_time,
            Sent::Label(l) => l.event_time,
        }
    }
}

/// Keeps every event in sending order; optionally drops every n-th prediction
/// (as a full logger queue would).
#[derive(Debug, Default)]
pub struct Memory {
    pub sent: Vec<Sent>,
    pub drop_every: Option<u64>,
    /// Predictions offered since the last drop.
    offered: u64,
}

impl Memory {
    pub fn dropping_every(n: u64) -> Memory {
        Memory {
            drop_every: Some(n),
            ..Memory::default()
        }
    }

    pub fn predictions(&self) -> impl Iterator<Item = &PredictionEvent> {
        self.sent.iter().filter_map(|s| match s {
            Sent::Prediction(p) => Some(p.as_ref()),
            Sent::Label(_) => None,
        })
    }

    pub fn labels(&self) -> impl Iterator<Item = &GroundTruthEvent> {
        self.sent.iter().filter_map(|s| match s {
            Sent::Label(l) => Some(l),
            Sent::Prediction(_) => None,
        })
    }

    /// How long after its prediction each label came (ms).
    pub fn label_delays(&self) -> Vec<i64> {
        let times: std::collections::HashMap<&str, i64> = self
            .predictions()
            .map(|p| (p.prediction_id.as_str(), p.event_time))
            .collect();
        self.labels()
            .map(|l| l.event_time - times[l.prediction_id.as_str()])
            .collect()
    }
}

impl Output for Memory {
    fn prediction(&mut self, event: PredictionEvent) -> Result<bool, SimError> {
        self.offered += 1;
        if self.drop_every == Some(self.offered) {
            self.offered = 0;
            return Ok(false);
        }
        self.sent.push(Sent::Prediction(Box::new(event)));
        Ok(true)
    }

    fn label(&mut self, event: GroundTruthEvent) -> Result<(), SimError> {
        self.sent.push(Sent::Label(event));
        Ok(())
    }
}

/// The truth recounted from the events with the pipeline's attribution: a
/// prediction in the window of its time, a label (labeled, correct when equal
/// to the prediction) in the window of the label's time. `classified_right`
/// cannot be recounted and is 0 (see [`recountable`]).
pub fn recount(memory: &Memory, window_ms: i64) -> Truth {
    let window = |t: i64| t.div_euclid(window_ms) * window_ms;
    let mut counts: BTreeMap<(i64, String, String), [u64; 4]> = BTreeMap::new();
    let mut by_id: HashMap<&str, &PredictionEvent> = HashMap::new();
    for p in memory.predictions() {
        by_id.insert(&p.prediction_id, p);
        let c = counts
            .entry((window(p.event_time), p.model.clone(), p.version.clone()))
            .or_default();
        c[0] += 1;
        c[3] += u64::from(p.error.is_none());
    }
    for l in memory.labels() {
        let p = by_id[l.prediction_id.as_str()];
        let c = counts
            .entry((window(l.event_time), p.model.clone(), p.version.clone()))
            .or_default();
        c[1] += 1;
        c[2] += u64::from(l.label == p.prediction);
    }
    let windows = counts
        .into_iter()
        .map(
            |((start, model, version), [predictions, labeled, correct, classified])| WindowTruth {
                model,
                version,
                window_start: start,
                window_end: start + window_ms,
                counts: mlobs_scenarios::Counts {
                    predictions,
                    labeled,
                    correct,
                    classified,
                    // Not in the events: the world's true class of an
                    // unlabeled prediction is known to the simulator only.
                    classified_right: 0,
                },
            },
        )
        .collect();
    Truth { windows }
}

/// `truth` without what a recount cannot know (`classified_right`).
pub fn recountable(truth: &Truth) -> Truth {
    let mut truth = truth.clone();
    for window in &mut truth.windows {
        window.counts.classified_right = 0;
    }
    truth
}

/// A shipped scenario file, unpaced for tests.
pub fn shipped(name: &str) -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name);
    Scenario::load(&path).expect("shipped scenarios are valid")
}

/// Plays a scenario as fast as possible into memory.
pub fn play(scenario: Scenario, window_ms: i64) -> (Memory, Truth) {
    let mut world = scenario.without_pacing().prepare().expect("trains");
    let mut memory = Memory::default();
    let truth = world.run(&mut memory, window_ms).expect("runs");
    (memory, truth)
}

/// A small scenario: one model with two versions, 20 minutes at 2/s;
/// `extra` is appended (drift, faults).
pub fn small(extra: &str) -> String {
    format!(
        r#"
seed = 3
start = "2026-03-01T00:00:00Z"
duration = "20m"
rate = 2

[[models]]
name = "fraud"
classes = ["ok", "fraud"]
training_rows = 800

[[models.features]]
name = "amount"
distribution = "lognormal"
median = 40
sigma = 1

[[models.features]]
name = "hour"
distribution = "uniform"
low = 0
high = 24

[[models.features]]
name = "channel"
distribution = "categorical"
categories = {{ web = 3, app = 2, store = 1 }}

[models.truth]
intercept = -5.5
weights = {{ amount = 0.03, hour = 0.2 }}
effects = {{ channel = {{ web = 1.0, store = -1.0, voucher = 3.0 }} }}

[[models.versions]]
name = "a"

[[models.versions]]
name = "b"
training_rows = 100
flip_sign = ["hour"]

[[models.traffic]]
at = "0s"
weights = {{ a = 1, b = 1 }}

[models.labels]
coverage = 0.8
delay = {{ distribution = "uniform", min = "10s", max = "2m" }}
{extra}
"#
    )
}
