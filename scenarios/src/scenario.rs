//! A scenario: a seeded, timed story of models, traffic, labels, drift and
//! faults, read from a TOML file (docs/scenarios.md) and checked completely
//! before anything runs, so that a bad file is one clear message, not a
//! panic halfway through a run.

use std::path::Path;
use std::time::Duration;

use mlobs_schemas::time::parse_rfc3339;

use crate::duration::parse_span;
use crate::file::ScenarioFile;
use crate::injections::{parse_drift, parse_fault, Drift, Fault};
use crate::model::{parse_model, Model};
use crate::world::World;
use crate::SimError;

/// Event times the pipeline accepts (it refuses others as unit mistakes).
const PLAUSIBLE_MS: std::ops::Range<i64> = 946_684_800_000..7_258_118_400_000;

/// A parsed and validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub(crate) seed: u64,
    pub(crate) start_ms: i64,
    pub(crate) duration_ms: i64,
    /// Event-time seconds per wall second; 0 plays as fast as possible.
    pub(crate) speedup: f64,
    /// Predictions per event-time second, over all models.
    pub(crate) rate: f64,
    pub(crate) models: Vec<Model>,
    pub(crate) drifts: Vec<Drift>,
    pub(crate) faults: Vec<Fault>,
}

impl Scenario {
    /// Parses and checks a scenario; errors name the key and what is allowed.
    pub fn from_toml(text: &str) -> Result<Scenario, SimError> {
        let file: ScenarioFile =
            toml::from_str(text).map_err(|e| SimError::Scenario(describe(text, &e)))?;
        let start_ms = parse_rfc3339(&file.start)
            .ok()
            .filter(|ms| PLAUSIBLE_MS.contains(ms))
            .ok_or_else(|| {
                SimError::invalid(
                    "start",
                    &file.start,
                    "an RFC 3339 time between 2000 and 2200, e.g. 2026-01-05T09:00:00Z",
                )
            })?;
        let duration_ms = parse_span(&file.duration)
            .ok()
            .filter(|ms| *ms > 0 && PLAUSIBLE_MS.contains(&(start_ms + ms)))
            .ok_or_else(|| {
                SimError::invalid(
                    "duration",
                    &file.duration,
                    "a span longer than 0s such as \"2h\" or \"90m\", ending before 2200",
                )
            })?;
        if !(file.speedup.is_finite() && file.speedup >= 0.0) {
            return Err(SimError::invalid(
                "speedup",
                file.speedup,
                "event-time seconds per wall second, >= 0 (0 = as fast as possible)",
            ));
        }
        if !(file.rate.is_finite() && file.rate > 0.0) {
            return Err(SimError::invalid(
                "rate",
                file.rate,
                "predictions per event-time second, > 0",
            ));
        }
        let mut models: Vec<Model> = Vec::new();
        for model in file.models {
            let model = parse_model(model, start_ms)?;
            if models.iter().any(|m| m.name == model.name) {
                return Err(SimError::invalid(
                    "models.name",
                    &model.name,
                    "model names must be unique",
                ));
            }
            models.push(model);
        }
        if models.is_empty() {
            return Err(SimError::at("models", "give at least one [[models]] table"));
        }
        let mut drifts = Vec::new();
        for (i, drift) in file.drift.into_iter().enumerate() {
            drifts.extend(parse_drift(i, drift, &models, start_ms)?);
        }
        let faults = file
            .faults
            .into_iter()
            .enumerate()
            .map(|(i, fault)| parse_fault(i, fault, &models, start_ms))
            .collect::<Result<_, _>>()?;
        Ok(Scenario {
            seed: file.seed,
            start_ms,
            duration_ms,
            speedup: file.speedup,
            rate: file.rate,
            models,
            drifts,
            faults,
        })
    }

    /// Reads and checks a scenario file; errors name the file.
    pub fn load(path: &Path) -> Result<Scenario, SimError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            SimError::Scenario(format!("cannot read scenario file {}: {e}", path.display()))
        })?;
        Self::from_toml(&text).map_err(|e| match e {
            SimError::Scenario(detail) => {
                SimError::Scenario(format!("{}: {detail}", path.display()))
            }
            other => other,
        })
    }

    /// Trains every version (deterministic from the seed).
    pub fn prepare(&self) -> Result<World, SimError> {
        World::train(self.clone())
    }

    /// The same scenario played as fast as possible: identical events, no
    /// waiting, for tests and for replaying a story into a fresh topic.
    pub fn without_pacing(mut self) -> Scenario {
        self.speedup = 0.0;
        self
    }

    /// Wall time a run takes at the scenario's speedup (the last label comes
    /// up to the longest label delay after the last prediction); `None` when
    /// unpaced. Lets a caller say how long to wait.
    pub fn play_time(&self) -> Option<Duration> {
        let longest_delay = self
            .models
            .iter()
            .map(|m| m.labels.delay.max_ms())
            .fold(0.0, f64::max)
            * self.longest_label_delay_factor();
        (self.speedup > 0.0).then(|| {
            Duration::from_secs_f64(
                (self.duration_ms as f64 + longest_delay) / 1000.0 / self.speedup,
            )
        })
    }
}

impl Scenario {
    /// The largest factor a `label_delay` fault stretches label delays by
    /// (1 without one): the last label may come that much later.
    fn longest_label_delay_factor(&self) -> f64 {
        self.faults
            .iter()
            .filter_map(|f| match f.kind {
                crate::injections::FaultKind::LabelDelay { factor } => Some(factor),
                _ => None,
            })
            .fold(1.0, f64::max)
    }
}

/// One line from a TOML error: where, the line as written (which names the
/// key), and what serde expected there.
fn describe(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().replace('\n', " ");
    let Some(span) = error.span() else {
        return message;
    };
    let before = text.get(..span.start).unwrap_or_default();
    let line_no = before.matches('\n').count() + 1;
    let spanned = text.get(span).unwrap_or_default();
    if spanned.contains('\n') || spanned.is_empty() {
        return format!("{message} (in the table at line {line_no})");
    }
    let line = text.lines().nth(line_no - 1).unwrap_or_default().trim();
    format!("line {line_no} `{line}`: {message}")
}
