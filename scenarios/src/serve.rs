//! One request at a given event time: which model and version serve it, the
//! row as the world has it and as the model receives it (after drift), the
//! version's prediction, latency and faults, and the label that follows.

use std::borrow::Cow;
use std::collections::BTreeMap;

use mlobs_schemas::{GroundTruthEvent, Outcome, PredictionError, PredictionEvent, ResourceUsage};
use mlobs_trainer::Logistic;

use crate::injections::{FaultKind, Stage};
use crate::model::{Delay, Model, Serving, Version};
use crate::process::{apply_change, draw_row, true_class, Row};
use crate::rng::Rng;
use crate::routing::Routing;
use crate::Scenario;

/// Resource usage of a simulated server, drawn from no random stream (so
/// the events of existing scenarios stay as they were): CPU time is this
/// share of the latency, the GPU holds the model in this much memory and is
/// this busy unless a `resource_contention` fault says otherwise.
const CPU_SHARE_OF_LATENCY: f64 = 0.6;
const GPU_MEMORY_MB: f64 = 1_800.0;
const IDLE_GPU_UTILIZATION: f64 = 0.35;

/// Independent random streams of a run. Each concern draws from its own so
/// that adding a drift or a fault changes nothing else in the run, and a
/// test can compare two scenarios event by event.
pub(crate) struct Streams {
    /// Arrival times, model and version choice.
    pub(crate) traffic: Rng,
    population: Rng,
    drift: Rng,
    outcome: Rng,
    serving: Rng,
}

impl Streams {
    /// The streams of a run of a scenario seeded with `seed`.
    pub(crate) fn new(seed: u64) -> Streams {
        Streams {
            traffic: Rng::stream(seed, 1),
            population: Rng::stream(seed, 2),
            drift: Rng::stream(seed, 3),
            outcome: Rng::stream(seed, 4),
            serving: Rng::stream(seed, 5),
        }
    }
}

/// A prediction and what follows from it.
pub(crate) struct Served {
    pub(crate) model: usize,
    /// The serving version's name.
    pub(crate) version: String,
    pub(crate) event: PredictionEvent,
    /// The label, if this prediction gets one (not failed, covered).
    pub(crate) label: Option<GroundTruthEvent>,
    /// Whether the label equals the prediction.
    pub(crate) correct: bool,
}

/// Serves one request at event time `t` with prediction id `id`.
pub(crate) fn serve(
    scenario: &Scenario,
    trained: &[Vec<Logistic>],
    routing: &Routing,
    streams: &mut Streams,
    t: i64,
    id: String,
) -> Served {
    let shares: Vec<f64> = scenario.models.iter().map(|m| m.share).collect();
    let m = streams.traffic.pick(&shares);
    let model = &scenario.models[m];
    let step = model
        .traffic
        .iter()
        .rev()
        .find(|s| s.at_ms <= t)
        .unwrap_or(&model.traffic[0]);
    let followed = match model.serving {
        Serving::Plan => None,
        Serving::Registry => routing.route(model),
    };
    let v = streams
        .traffic
        .pick(followed.as_ref().map_or(&step.weights, |r| &r.weights));
    // A version the registry added while the run goes on serves with the
    // latency of the scenario's newest.
    let (version, logistic) = match (v.checked_sub(model.versions.len()), &followed) {
        (Some(added), Some(route)) => {
            let (name, weights) = &route.added[added];
            let newest = model.versions.last().expect("a model has versions");
            let version = Version {
                name: name.clone(),
                ..newest.clone()
            };
            (Cow::Owned(version), weights.as_ref())
        }
        _ => (Cow::Borrowed(&model.versions[v]), &trained[m][v]),
    };

    let mut world = draw_row(model, &mut streams.population);
    drift(
        scenario,
        m,
        t,
        Stage::Population,
        &mut world,
        &mut streams.drift,
    );
    let actual = true_class(&model.relation, &world, &mut streams.outcome);
    let mut input = world;
    drift(scenario, m, t, Stage::Input, &mut input, &mut streams.drift);

    let mut latency_ms = streams
        .serving
        .lognormal(version.latency.median, version.latency.sigma);
    let mut error = None;
    let faults = scenario.faults.iter().filter(|f| {
        (f.from_ms..f.until_ms).contains(&t)
            && f.model.as_ref().is_none_or(|name| name == &model.name)
            && f.version.as_ref().is_none_or(|name| name == &version.name)
    });
    let mut gpu_utilization = IDLE_GPU_UTILIZATION;
    let mut label_delay_factor = 1.0;
    for fault in faults {
        match &fault.kind {
            FaultKind::LatencySpike { factor } => latency_ms *= factor,
            FaultKind::LabelDelay { factor } => label_delay_factor *= factor,
            FaultKind::ResourceContention {
                factor,
                gpu_utilization: busy,
            } => {
                latency_ms *= factor;
                gpu_utilization = *busy;
            }
            FaultKind::Errors {
                error_type,
                message,
                rate,
            } => {
                if streams.serving.chance(*rate) && error.is_none() {
                    error = Some(PredictionError {
                        error_type: error_type.clone(),
                        message: message.clone(),
                    });
                }
            }
        }
    }

    let covered = streams.outcome.chance(model.labels.coverage);
    let delay_ms = match model.labels.delay {
        Delay::Exponential { mean_ms, max_ms } => {
            streams.outcome.truncated_exponential(mean_ms, max_ms)
        }
        Delay::Uniform { min_ms, max_ms } => streams.outcome.between(min_ms, max_ms),
    } * label_delay_factor;
    let class = |positive: bool| model.classes[usize::from(positive)].clone();
    let label = (covered && error.is_none()).then(|| GroundTruthEvent {
        prediction_id: id.clone(),
        event_time: t + delay_ms.round() as i64,
        label: Outcome::Class(class(actual)),
        source: "simulation".into(),
    });

    let p = logistic.probability(|name| {
        let i = model.features.iter().position(|f| f.name == name)?;
        input[i].as_ref()
    });
    let predicted = p >= 0.5;
    let failed = error.is_some();
    let event = PredictionEvent {
        prediction_id: id,
        model: model.name.clone(),
        version: version.name.clone(),
        environment: "simulation".into(),
        event_time: t,
        features: named(model, input),
        features_hash: None,
        // A failed inference has no output; the placeholder is an empty class.
        prediction: Outcome::Class(if failed {
            String::new()
        } else {
            class(predicted)
        }),
        confidence: (!failed).then(|| p.max(1.0 - p)),
        class_probabilities: (!failed)
            .then(|| BTreeMap::from([(class(false), 1.0 - p), (class(true), p)])),
        latency_ms,
        resources: Some(ResourceUsage {
            cpu_time_ms: Some(latency_ms * CPU_SHARE_OF_LATENCY),
            gpu_memory_mb: Some(GPU_MEMORY_MB),
            gpu_utilization: Some(gpu_utilization),
        }),
        error,
        request_id: None,
        trace_id: None,
    };
    Served {
        model: m,
        version: version.name.clone(),
        event,
        label,
        correct: predicted == actual,
    }
}

/// Applies the drifts of `stage` active at `t` on model `m` to `row`.
fn drift(scenario: &Scenario, m: usize, t: i64, stage: Stage, row: &mut Row, rng: &mut Rng) {
    let active = scenario
        .drifts
        .iter()
        .filter(|d| d.model == m && d.stage == stage && (d.from_ms..d.until_ms).contains(&t));
    for d in active {
        let value = row[d.feature].take();
        row[d.feature] = apply_change(&d.change, value, rng);
    }
}

fn named(model: &Model, row: Row) -> BTreeMap<String, Option<mlobs_schemas::FeatureValue>> {
    model
        .features
        .iter()
        .map(|f| f.name.clone())
        .zip(row)
        .collect()
}
