//! `[retrain]`: how `mlobs retrain` builds, judges and promotes a new
//! version, and per model what starts one on its own.
//!
//! ```toml
//! [retrain]
//! window_ms = 86400000      # production rows from the last 24 h of event time
//! training_share = 0.1      # at most this share of the dataset from the old training rows
//! holdout_share = 0.2       # the newest 20% of the production rows judge, nobody trains on them
//! promote = "auto"          # or "approval": a person runs `mlobs model promote`
//! margin = 0.01             # auto-promote only when at least 1 point better ...
//! significance = 0.05       # ... and McNemar's test says so at this level
//! [retrain.models.churn]    # triggers; none configured means on demand only
//! accuracy_below = 0.90
//! drift_on = ["monthly_charges"]
//! every_ms = 604800000      # weekly
//! cooldown_ms = 21600000    # at most one job per 6 h, whatever starts it
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[retrain]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetrainConfig {
    /// How far back (event time, from the newest labeled prediction) the
    /// production rows reach.
    pub window_ms: i64,
    /// At most this share of the new dataset comes from the champion's
    /// training rows; the rest is recent production. 0 trains on
    /// production alone (an input whose scale changed upstream).
    pub training_share: f64,
    /// The newest share of the production rows held out: the new model
    /// and the champion are judged on rows neither trained on.
    pub holdout_share: f64,
    /// Fewer labeled production rows than this and the job refuses.
    pub min_rows: usize,
    /// `auto` promotes a model that wins by the margin with significance;
    /// `approval` always leaves it as challenger for a person.
    pub promote: Promote,
    /// How much better (accuracy, 0..1) than the champion a model must be
    /// on the holdout to be promoted without a person.
    pub margin: f64,
    /// The level McNemar's test on the holdout must reach.
    pub significance: f64,
    /// MLflow experiment the training runs go to.
    pub experiment: String,
    /// Per model: what starts a job on its own.
    pub models: BTreeMap<String, RetrainTriggers>,
}

/// Whether a winning model is promoted without a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Promote {
    /// By policy: margin and significance.
    Auto,
    /// Always by a person (`mlobs model promote MODEL VERSION`).
    Approval,
}

/// `[retrain.models.<model>]`: the triggers of one model. Each is off
/// when unset; on demand (`mlobs retrain`, the agent's `retrain`) is
/// always on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetrainTriggers {
    /// A complete window of the champion below this accuracy starts one.
    pub accuracy_below: Option<f64>,
    /// A window in which one of these features drifted starts one.
    pub drift_on: Vec<String>,
    /// One every this many ms of wall time.
    pub every_ms: Option<u64>,
    /// No job starts within this many ms (wall time) of the last one,
    /// whatever asks: one incident starts one job, not ten.
    pub cooldown_ms: u64,
}

impl Default for RetrainTriggers {
    fn default() -> Self {
        RetrainTriggers {
            accuracy_below: None,
            drift_on: Vec::new(),
            every_ms: None,
            cooldown_ms: 6 * 3_600_000,
        }
    }
}

impl Default for RetrainConfig {
    fn default() -> Self {
        RetrainConfig {
            window_ms: 24 * 3_600_000,
            training_share: 0.1,
            holdout_share: 0.2,
            min_rows: 500,
            promote: Promote::Auto,
            margin: 0.01,
            significance: 0.05,
            experiment: "mlobs-retraining".into(),
            models: BTreeMap::new(),
        }
    }
}

impl RetrainConfig {
    /// The triggers of `model` (defaults: on demand only, 6 h cool-down).
    pub fn triggers(&self, model: &str) -> RetrainTriggers {
        self.models.get(model).cloned().unwrap_or_default()
    }

    /// Checks values that parse but cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, value: &dyn ToString, allowed: &str| ConfigError::Invalid {
            key: format!("retrain.{key}"),
            value: value.to_string(),
            allowed: allowed.into(),
        };
        let share = |x: f64| (0.0..1.0).contains(&x);
        let open_unit = |x: f64| x > 0.0 && x < 1.0;
        if self.window_ms <= 0 {
            return Err(invalid(
                "window_ms",
                &self.window_ms,
                "give a positive number of ms",
            ));
        }
        if !share(self.training_share) {
            return Err(invalid(
                "training_share",
                &self.training_share,
                "use 0 to below 1",
            ));
        }
        if !open_unit(self.holdout_share) {
            return Err(invalid(
                "holdout_share",
                &self.holdout_share,
                "use above 0 and below 1",
            ));
        }
        if !(share(self.margin) && open_unit(self.significance)) {
            return Err(invalid(
                "margin",
                &format!("{} (significance {})", self.margin, self.significance),
                "margin is an accuracy difference in 0..1, significance a level in (0, 1)",
            ));
        }
        for (model, triggers) in &self.models {
            if let Some(x) = triggers.accuracy_below.filter(|x| !(0.0..=1.0).contains(x)) {
                return Err(invalid(
                    &format!("models.{model}.accuracy_below"),
                    &x,
                    "use 0 to 1",
                ));
            }
            if triggers.every_ms == Some(0) {
                return Err(invalid(
                    &format!("models.{model}.every_ms"),
                    &0,
                    "give a positive period, or leave it out",
                ));
            }
        }
        Ok(())
    }
}
