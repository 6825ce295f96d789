//! CBPE at stage 2: each published window gets the estimated accuracy of
//! its predictions, and each estimate is checked against its labels as
//! they arrive (gauges, and a warning a user can act on).

use std::sync::Arc;

use mlobs_operators::cbpe::stream::{Check, Estimator, Source};
use mlobs_operators::stage2::WindowResult;
use mlobs_schemas::WindowMetrics;

use crate::baselines::VersionBaseline;
use crate::sinks::Metrics;

/// The estimator of one stage-2 process and where its checks are shown.
pub struct Estimates {
    estimator: Estimator,
    metrics: Arc<Metrics>,
}

impl Estimates {
    /// Estimates from scratch; checks go to `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Estimates {
            estimator: Estimator::default(),
            metrics,
        }
    }

    /// Fills the estimate fields of `window` (the published form of
    /// `result`) and reports the checks its labels complete.
    pub fn apply(
        &mut self,
        result: &WindowResult,
        baseline: Option<&VersionBaseline>,
        window: &mut WindowMetrics,
    ) {
        let key = &result.key;
        let series = (
            key.model.as_str(),
            key.version.as_str(),
            key.environment.as_str(),
        );
        let validation = baseline.and_then(|b| b.validation.as_ref());
        let (estimated, checks) =
            self.estimator
                .on_window(series, key.window_start, &result.metrics, validation);
        if let Some(e) = estimated.estimate {
            window.accuracy_estimated = Some(e.accuracy);
            window.accuracy_estimated_lower = Some(e.accuracy_lower);
            window.accuracy_estimated_upper = Some(e.accuracy_upper);
            window.precision_estimated = e.binary.map(|b| b.precision);
            window.recall_estimated = e.binary.map(|b| b.recall);
            window.f1_estimated = e.binary.map(|b| b.f1);
            window.calibration_source = estimated.source.name().to_string();
            window.calibration_ece = estimated.ece.filter(|_| estimated.source != Source::None);
        }
        for check in &checks {
            self.report(series, check);
        }
    }

    fn report(&self, (model, version, environment): (&str, &str, &str), check: &Check) {
        self.metrics
            .observe_check([model, version, environment], check);
        if check.out_of_band() {
            tracing::warn!(
                stage = "evaluate",
                model,
                version,
                environment,
                window_start = %mlobs_schemas::time::format_rfc3339(check.window_start),
                estimated = format!("{:.3}", check.estimated),
                realized = format!("{:.3}", check.realized),
                labeled = check.labeled,
                "the labels disagree with the estimated accuracy beyond its band: the relation between inputs and labels changed (concept drift, or an input the model cannot see is broken); look at the drifted features and the label source"
            );
        }
    }
}
