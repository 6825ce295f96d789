//! What a scenario does to the world at given times: drift on a feature, and
//! faults in serving (latency spikes, error bursts). Each is a window of
//! event time `[from, until)` so that the pipeline's detection can be checked
//! against when the change really began and ended.

use crate::duration::parse_instant;
use crate::features::Distribution;
use crate::file::{DriftFile, FaultFile};
use crate::model::Model;
use crate::SimError;

/// A change to one feature of one model during `[from_ms, until_ms)`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Drift {
    pub(crate) model: usize,
    pub(crate) feature: usize,
    pub(crate) from_ms: i64,
    pub(crate) until_ms: i64,
    pub(crate) change: Change,
    pub(crate) stage: Stage,
}

/// How a drifting feature's values change.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    /// Numeric: add this.
    Shift(f64),
    /// Numeric: multiply by this.
    Scale(f64),
    /// Categorical: a value never seen in training replaces a draw with this
    /// probability (its weight relative to the existing categories).
    NewCategory { value: String, probability: f64 },
    /// The value is missing (null) with this probability.
    Missing(f64),
}

/// Whether a drift changes the world or only what the model is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// The model receives changed values; the true class still follows the
    /// unchanged ones (an upstream bug, a unit change): accuracy suffers.
    Input,
    /// The world itself changed; the true class follows the new values
    /// (covariate shift): accuracy may hold.
    Population,
}

/// Something going wrong in serving during `[from_ms, until_ms)`, for one
/// model and version or all of them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fault {
    pub(crate) from_ms: i64,
    pub(crate) until_ms: i64,
    pub(crate) model: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) kind: FaultKind,
}

/// What goes wrong.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FaultKind {
    /// Latency is multiplied by `factor`.
    LatencySpike { factor: f64 },
    /// Another workload shares the machine: latency (and with it CPU time)
    /// is multiplied by `factor` and the GPU is busy at `gpu_utilization`.
    ResourceContention { factor: f64, gpu_utilization: f64 },
    /// Labels of the predictions made during the fault arrive `factor`
    /// times later (a slower labelling process or a stalled feedback job).
    LabelDelay { factor: f64 },
    /// A share `rate` of predictions fails with this error.
    Errors {
        error_type: String,
        message: String,
        rate: f64,
    },
}

/// GPU utilisation while a `resource_contention` fault does not say.
const CONTENDED_GPU_UTILIZATION: f64 = 0.97;

/// Parameters each drift kind takes.
const DRIFT_PARAMETERS: [(&str, &[&str]); 4] = [
    ("shift", &["by"]),
    ("scale", &["factor"]),
    ("new_category", &["value", "weight"]),
    ("missing", &["rate"]),
];

/// Checks `[[drift]]` entry `i`: one drift per model that it applies to.
pub(crate) fn parse_drift(
    i: usize,
    file: DriftFile,
    models: &[Model],
    start_ms: i64,
) -> Result<Vec<Drift>, SimError> {
    let key = format!("drift[{i}]");
    let kind = file.kind.as_str();
    let Some((_, allowed)) = DRIFT_PARAMETERS.iter().find(|(k, _)| *k == kind) else {
        return Err(SimError::invalid(
            &format!("{key}.kind"),
            kind,
            "use shift, scale, new_category or missing",
        ));
    };
    let takes = format!("kind {kind:?} takes {}", allowed.join(" and "));
    for (parameter, present) in [
        ("by", file.by.is_some()),
        ("factor", file.factor.is_some()),
        ("value", file.value.is_some()),
        ("weight", file.weight.is_some()),
        ("rate", file.rate.is_some()),
    ] {
        if present != allowed.contains(&parameter) {
            let problem = if present {
                "not a parameter here"
            } else {
                "missing"
            };
            return Err(SimError::at(
                &format!("{key}.{parameter}"),
                &format!("{problem}; {takes}"),
            ));
        }
    }
    let (from_ms, until_ms) = parse_span_of(&key, "at", &file.at, file.until.as_deref(), start_ms)?;
    let stage = match file.affects.as_deref() {
        None | Some("input") => Stage::Input,
        Some("population") if kind != "missing" => Stage::Population,
        Some(other) => {
            return Err(SimError::invalid(
                &format!("{key}.affects"),
                other,
                "use input (the model is sent changed values) or population (the world changed; not for missing)",
            ))
        }
    };
    let targets: Vec<usize> = models
        .iter()
        .enumerate()
        .filter(|(_, m)| file.model.as_ref().is_none_or(|name| &m.name == name))
        .map(|(i, _)| i)
        .collect();
    if targets.is_empty() {
        return Err(unknown_model(
            &format!("{key}.model"),
            file.model.as_deref(),
            models,
        ));
    }
    let mut drifts = Vec::new();
    for m in targets {
        let Some(feature) = models[m]
            .features
            .iter()
            .position(|f| f.name == file.feature)
        else {
            if file.model.is_some() {
                return Err(SimError::invalid(
                    &format!("{key}.feature"),
                    &file.feature,
                    &format!("model {:?} has no such feature", models[m].name),
                ));
            }
            continue;
        };
        let distribution = &models[m].features[feature].distribution;
        let positive =
            |name: &str, v: Option<f64>| number(&key, name, v, |x| x > 0.0, "a number > 0");
        let change = match kind {
            "shift" => Change::Shift(number(&key, "by", file.by, |_| true, "a finite number")?),
            "scale" => Change::Scale(positive("factor", file.factor)?),
            "new_category" => {
                let value = file.value.clone().unwrap_or_default();
                let Distribution::Categorical { values, weights } = distribution else {
                    return Err(wrong_kind(&key, &file.feature, "numeric", kind));
                };
                if values.contains(&value) || value.trim().is_empty() {
                    return Err(SimError::invalid(
                        &format!("{key}.value"),
                        &value,
                        "must be a category the feature does not already have",
                    ));
                }
                let weight = positive("weight", file.weight)?;
                let probability = weight / (weight + weights.iter().sum::<f64>());
                Change::NewCategory { value, probability }
            }
            _ => Change::Missing(number(
                &key,
                "rate",
                file.rate,
                |x| (0.0..=1.0).contains(&x),
                "a share between 0 and 1",
            )?),
        };
        if matches!(change, Change::Shift(_) | Change::Scale(_)) && !distribution.is_numeric() {
            return Err(wrong_kind(&key, &file.feature, "categorical", kind));
        }
        drifts.push(Drift {
            model: m,
            feature,
            from_ms,
            until_ms,
            change,
            stage,
        });
    }
    if drifts.is_empty() {
        return Err(SimError::invalid(
            &format!("{key}.feature"),
            &file.feature,
            "no model has a feature of this name",
        ));
    }
    Ok(drifts)
}

/// Checks `[[faults]]` entry `i`.
pub(crate) fn parse_fault(
    i: usize,
    file: FaultFile,
    models: &[Model],
    start_ms: i64,
) -> Result<Fault, SimError> {
    let key = format!("faults[{i}]");
    let (from_ms, until_ms) = parse_span_of(&key, "from", &file.from, Some(&file.until), start_ms)?;
    let scope: Vec<&Model> = models
        .iter()
        .filter(|m| file.model.as_ref().is_none_or(|name| &m.name == name))
        .collect();
    if scope.is_empty() {
        return Err(unknown_model(
            &format!("{key}.model"),
            file.model.as_deref(),
            models,
        ));
    }
    if let Some(version) = &file.version {
        if !scope
            .iter()
            .any(|m| m.versions.iter().any(|v| &v.name == version))
        {
            return Err(SimError::invalid(
                &format!("{key}.version"),
                version,
                "no such version in the model(s) this fault applies to",
            ));
        }
    }
    let misplaced = |name: &str, present: bool, takes: &str| {
        if present {
            Err(SimError::at(
                &format!("{key}.{name}"),
                &format!("not a parameter here; {takes}"),
            ))
        } else {
            Ok(())
        }
    };
    if file.kind != "resource_contention" {
        misplaced(
            "gpu_utilization",
            file.gpu_utilization.is_some(),
            "only kind \"resource_contention\" takes gpu_utilization",
        )?;
    }
    let kind = match file.kind.as_str() {
        "resource_contention" => {
            let takes = "kind \"resource_contention\" takes factor and gpu_utilization";
            misplaced("rate", file.rate.is_some(), takes)?;
            misplaced("type", file.error_type.is_some(), takes)?;
            misplaced("message", file.message.is_some(), takes)?;
            FaultKind::ResourceContention {
                factor: number(&key, "factor", file.factor, |x| x > 0.0, "a number > 0")?,
                gpu_utilization: number(
                    &key,
                    "gpu_utilization",
                    Some(file.gpu_utilization.unwrap_or(CONTENDED_GPU_UTILIZATION)),
                    |x| (0.0..=1.0).contains(&x),
                    "a share between 0 and 1",
                )?,
            }
        }
        "latency_spike" | "label_delay" => {
            let takes = format!("kind {:?} takes factor", file.kind);
            let takes = takes.as_str();
            misplaced("rate", file.rate.is_some(), takes)?;
            misplaced("type", file.error_type.is_some(), takes)?;
            misplaced("message", file.message.is_some(), takes)?;
            let factor = number(&key, "factor", file.factor, |x| x > 0.0, "a number > 0")?;
            if file.kind == "label_delay" {
                FaultKind::LabelDelay { factor }
            } else {
                FaultKind::LatencySpike { factor }
            }
        }
        "errors" => {
            misplaced(
                "factor",
                file.factor.is_some(),
                "kind \"errors\" takes type, rate and message",
            )?;
            let error_type = file.error_type.unwrap_or_default();
            if error_type.trim().is_empty() {
                return Err(SimError::invalid(
                    &format!("{key}.type"),
                    &error_type,
                    "name the error class, e.g. \"gpu_oom\" or \"timeout\"",
                ));
            }
            FaultKind::Errors {
                message: file.message.unwrap_or_else(|| default_message(&error_type)),
                rate: number(
                    &key,
                    "rate",
                    file.rate,
                    |x| (0.0..=1.0).contains(&x),
                    "a share between 0 and 1",
                )?,
                error_type,
            }
        }
        other => {
            return Err(SimError::invalid(
                &format!("{key}.kind"),
                other,
                "use latency_spike (factor), errors (type, rate, message), resource_contention (factor, gpu_utilization) or label_delay (factor)",
            ))
        }
    };
    Ok(Fault {
        from_ms,
        until_ms,
        model: file.model,
        version: file.version,
        kind,
    })
}

/// What a server would say for the common error classes.
fn default_message(error_type: &str) -> String {
    match error_type {
        "gpu_oom" => "CUDA out of memory".into(),
        "timeout" => "inference timed out".into(),
        other => format!("simulated {other} error"),
    }
}

fn number(
    key: &str,
    name: &str,
    value: Option<f64>,
    ok: impl Fn(f64) -> bool,
    allowed: &str,
) -> Result<f64, SimError> {
    match value {
        Some(x) if x.is_finite() && ok(x) => Ok(x),
        Some(x) => Err(SimError::invalid(&format!("{key}.{name}"), x, allowed)),
        None => Err(SimError::at(
            &format!("{key}.{name}"),
            &format!("missing; {allowed}"),
        )),
    }
}

/// `[from, until)` from two instants; `until` absent means to the end.
fn parse_span_of(
    key: &str,
    from_key: &str,
    from: &str,
    until: Option<&str>,
    start_ms: i64,
) -> Result<(i64, i64), SimError> {
    let from_ms = parse_instant(from, start_ms)
        .map_err(|e| SimError::at(&format!("{key}.{from_key}"), &e))?;
    let until_ms = match until {
        Some(text) => {
            parse_instant(text, start_ms).map_err(|e| SimError::at(&format!("{key}.until"), &e))?
        }
        None => i64::MAX,
    };
    if until_ms <= from_ms {
        return Err(SimError::invalid(
            &format!("{key}.until"),
            until.unwrap_or_default(),
            &format!("must be later than `{from_key}`"),
        ));
    }
    Ok((from_ms, until_ms))
}

fn unknown_model(key: &str, name: Option<&str>, models: &[Model]) -> SimError {
    let names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
    SimError::invalid(
        key,
        name.unwrap_or_default(),
        &format!("models: {}", names.join(", ")),
    )
}

fn wrong_kind(key: &str, feature: &str, is: &str, kind: &str) -> SimError {
    SimError::invalid(
        &format!("{key}.kind"),
        kind,
        &format!("feature {feature:?} is {is}; shift and scale apply to numeric features, new_category to categorical ones"),
    )
}
