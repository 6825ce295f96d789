//! The simplest world: one churn model served by weighted versions at a fixed
//! rate, every prediction labeled after a fixed delay. Enough to prove the
//! contracts and the stack end to end.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mlobs_schemas::{FeatureValue, GroundTruthEvent, Outcome, PredictionEvent};
use serde::Serialize;

use crate::rng::Rng;
use crate::{Output, SimError};

/// Parameters of a simple run.
#[derive(Debug, Clone)]
pub struct SimpleScenario {
    /// Model name.
    pub model: String,
    /// Versions with their traffic weights.
    pub versions: Vec<(String, f64)>,
    /// Predictions per second of wall time.
    pub rate_per_sec: f64,
    /// Predictions to send.
    pub count: u64,
    /// Wall time between a prediction and its label.
    pub label_delay: Duration,
    /// Seed of the random world.
    pub seed: u64,
}

/// What the simulator actually sent, per `model/version`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Truth {
    /// Counts per `model/version`.
    pub versions: BTreeMap<String, VersionTruth>,
}

/// Sent counts of one version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VersionTruth {
    /// Predictions delivered.
    pub predictions: u64,
    /// Labels delivered for them.
    pub labeled: u64,
    /// Labels equal to the prediction.
    pub correct: u64,
}

/// Runs the scenario in real time, writing to `output`.
pub fn run(scenario: &SimpleScenario, output: &mut impl Output) -> Result<Truth, SimError> {
    if scenario.versions.is_empty() || scenario.rate_per_sec <= 0.0 {
        return Err(SimError::Scenario(
            "give at least one version and a positive rate".into(),
        ));
    }
    let mut rng = Rng::new(scenario.seed);
    let weights: Vec<f64> = scenario.versions.iter().map(|(_, w)| *w).collect();
    let mut truth = Truth::default();
    let mut labels: VecDeque<(Instant, GroundTruthEvent, String, bool)> = VecDeque::new();
    let started = Instant::now();
    let run_id = now_ms();
    for i in 0..scenario.count {
        let due = started + Duration::from_secs_f64(i as f64 / scenario.rate_per_sec);
        send_due_labels(&mut labels, due, output, &mut truth)?;
        wait_until(due);
        let version = &scenario.versions[rng.pick(&weights)].0;
        let (event, label) =
            churn_request(&mut rng, scenario, version, &format!("sim-{run_id}-{i}"));
        let key = format!("{}/{}", scenario.model, version);
        let correct = event.prediction == label.label;
        if output.prediction(event)? {
            truth.versions.entry(key.clone()).or_default().predictions += 1;
            labels.push_back((Instant::now() + scenario.label_delay, label, key, correct));
        }
    }
    let end = labels
        .back()
        .map(|(due, ..)| *due)
        .unwrap_or_else(Instant::now);
    send_due_labels(&mut labels, end, output, &mut truth)?;
    Ok(truth)
}

fn send_due_labels(
    labels: &mut VecDeque<(Instant, GroundTruthEvent, String, bool)>,
    until: Instant,
    output: &mut impl Output,
    truth: &mut Truth,
) -> Result<(), SimError> {
    while labels.front().is_some_and(|(due, ..)| *due <= until) {
        let (due, mut label, key, correct) = labels.pop_front().expect("checked");
        wait_until(due);
        label.event_time = now_ms();
        output.label(label)?;
        let counts = truth.versions.entry(key).or_default();
        counts.labeled += 1;
        counts.correct += u64::from(correct);
    }
    Ok(())
}

/// One churn request: features, the version's prediction and the true outcome.
fn churn_request(
    rng: &mut Rng,
    scenario: &SimpleScenario,
    version: &str,
    id: &str,
) -> (PredictionEvent, GroundTruthEvent) {
    let tenure = (24.0 + 12.0 * rng.normal()).max(0.0);
    let monthly = 70.0 + 20.0 * rng.normal();
    let plans = ["basic", "pro", "enterprise"];
    let plan = plans[rng.pick(&[0.5, 0.35, 0.15])];
    let plan_effect = [0.5, 0.0, -1.0][plans.iter().position(|p| *p == plan).expect("known")];
    let true_logit = 1.5 - 0.08 * tenure + 0.03 * (monthly - 70.0) + plan_effect;
    // Later versions in the list are worse: they ignore the plan and
    // under-weight tenure, so the versions' accuracies differ visibly.
    let position = scenario
        .versions
        .iter()
        .position(|(v, _)| v == version)
        .unwrap_or(0);
    let model_logit = if position == 0 {
        true_logit
    } else {
        1.5 - 0.04 * tenure + 0.03 * (monthly - 70.0)
    };
    let p_churn = sigmoid(model_logit);
    let class = |churn: bool| Outcome::Class(if churn { "churn" } else { "stay" }.to_string());
    let now = now_ms();
    let prediction = PredictionEvent {
        prediction_id: id.to_string(),
        model: scenario.model.clone(),
        version: version.to_string(),
        environment: "simulation".into(),
        event_time: now,
        features: BTreeMap::from([
            ("tenure".into(), Some(FeatureValue::Numeric(tenure))),
            (
                "monthly_charges".into(),
                Some(FeatureValue::Numeric(monthly)),
            ),
            ("plan".into(), Some(FeatureValue::Categorical(plan.into()))),
        ]),
        features_hash: None,
        prediction: class(p_churn >= 0.5),
        confidence: Some(p_churn.max(1.0 - p_churn)),
        class_probabilities: None,
        latency_ms: 2.0 + rng.exponential(3.0),
        resources: None,
        error: None,
        request_id: None,
        trace_id: None,
    };
    let label = GroundTruthEvent {
        prediction_id: id.to_string(),
        event_time: now,
        label: class(rng.chance(sigmoid(true_logit))),
        source: "simulation".into(),
    };
    (prediction, label)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64
}

/// Waits for a wall-clock instant; pacing is the point of a real-time simulator.
fn wait_until(instant: Instant) {
    let now = Instant::now();
    if instant > now {
        std::thread::sleep(instant - now);
    }
}
