//! A simulated model: its world (features, true relationship), its versions
//! and how traffic is split between them over time, and when labels arrive.

use std::collections::BTreeSet;

use crate::duration::{parse_instant, parse_span};
use crate::features::{check_weights, parse_feature, parse_relation, Feature, Relation};
use crate::file::{DelayFile, LabelsFile, LatencyFile, ModelFile, TrafficFile, VersionFile};
use crate::SimError;

/// Latency when a file gives none: a typical small model behind an API.
const DEFAULT_LATENCY: Latency = Latency {
    median: 20.0,
    sigma: 0.3,
};
/// Fewer rows than this cannot train anything meaningful.
const MIN_TRAINING_ROWS: usize = 10;

/// A model and everything the simulator needs to serve and label it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Model {
    pub(crate) name: String,
    /// Negative and positive class labels.
    pub(crate) classes: [String; 2],
    /// Share of the scenario's predictions this model serves (relative).
    pub(crate) share: f64,
    pub(crate) features: Vec<Feature>,
    pub(crate) relation: Relation,
    pub(crate) versions: Vec<Version>,
    /// Version weights, ordered by time; the first starts at the scenario start.
    pub(crate) traffic: Vec<TrafficStep>,
    pub(crate) labels: Labels,
    /// Whether the servers follow the traffic plan or the registry.
    pub(crate) serving: Serving,
}

/// Who decides which version serves a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serving {
    /// The scenario's traffic plan (`[[models.traffic]]`), fixed in advance.
    Plan,
    /// The registry's aliases and traffic share, as the servers last read
    /// them (the first traffic step is the registry's starting point).
    Registry,
}

/// Lognormal inference latency in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Latency {
    pub(crate) median: f64,
    pub(crate) sigma: f64,
}

/// One trained version and the quirks of its training.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Version {
    pub(crate) name: String,
    pub(crate) training_rows: usize,
    /// Features whose learned weights are negated after training (a bug).
    pub(crate) flip_sign: Vec<usize>,
    /// Features the version neither trains on nor looks at when serving.
    pub(crate) dropped: Vec<usize>,
    pub(crate) latency: Latency,
}

/// Version weights (same order as the versions) from `at_ms` on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TrafficStep {
    pub(crate) at_ms: i64,
    pub(crate) weights: Vec<f64>,
}

/// Which predictions get labels and how late.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Labels {
    /// Share of (successful) predictions that ever get a label.
    pub(crate) coverage: f64,
    pub(crate) delay: Delay,
}

/// Time from a prediction to its label, in milliseconds of event time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Delay {
    /// Exponential with mean `mean_ms`, conditioned on at most `max_ms`.
    Exponential { mean_ms: f64, max_ms: f64 },
    /// Uniform in [min_ms, max_ms].
    Uniform { min_ms: f64, max_ms: f64 },
}

impl Delay {
    /// The longest possible delay: the pipeline's join TTL must be above it.
    pub(crate) fn max_ms(&self) -> f64 {
        match self {
            Delay::Exponential { max_ms, .. } | Delay::Uniform { max_ms, .. } => *max_ms,
        }
    }
}

/// Checks one `[[models]]` table of a scenario starting at `start_ms`.
pub(crate) fn parse_model(file: ModelFile, start_ms: i64) -> Result<Model, SimError> {
    if file.name.trim().is_empty() {
        return Err(SimError::invalid("models.name", &file.name, "give a name"));
    }
    let key = format!("models[{}]", file.name);
    let classes: [String; 2] = match file.classes.as_slice() {
        [a, b] if a != b && !a.trim().is_empty() && !b.trim().is_empty() => [a.clone(), b.clone()],
        _ => {
            return Err(SimError::invalid(
                &format!("{key}.classes"),
                &file.classes,
                "give two different labels, negative first, e.g. [\"stay\", \"churn\"]",
            ))
        }
    };
    if !(file.share.is_finite() && file.share > 0.0) {
        return Err(SimError::invalid(
            &format!("{key}.share"),
            file.share,
            "must be a number > 0 (relative to the other models' shares)",
        ));
    }
    let training_rows = check_rows(&format!("{key}.training_rows"), file.training_rows)?;
    let latency =
        parse_latency(&format!("{key}.latency_ms"), file.latency_ms)?.unwrap_or(DEFAULT_LATENCY);
    let mut features = Vec::new();
    for feature in file.features {
        let fkey = format!("{key}.features[{}]", feature.name);
        if feature.name.trim().is_empty()
            || features.iter().any(|f: &Feature| f.name == feature.name)
        {
            return Err(SimError::at(
                &fkey,
                "feature names must be unique and not empty",
            ));
        }
        features.push(parse_feature(&fkey, feature)?);
    }
    if features.is_empty() {
        return Err(SimError::at(
            &format!("{key}.features"),
            "give at least one feature",
        ));
    }
    let relation = parse_relation(&format!("{key}.truth"), file.truth, &features)?;
    let mut versions = Vec::new();
    for version in file.versions {
        let version = parse_version(&key, version, &features, training_rows, latency)?;
        if versions.iter().any(|v: &Version| v.name == version.name) {
            return Err(SimError::invalid(
                &format!("{key}.versions.name"),
                &version.name,
                "version names must be unique",
            ));
        }
        versions.push(version);
    }
    if versions.is_empty() {
        return Err(SimError::at(
            &format!("{key}.versions"),
            "give at least one version",
        ));
    }
    let traffic = parse_traffic(&key, file.traffic, &versions, start_ms)?;
    let labels = parse_labels(&format!("{key}.labels"), file.labels)?;
    let serving = match file.serving.as_deref() {
        None | Some("plan") => Serving::Plan,
        Some("registry") => Serving::Registry,
        Some(other) => {
            return Err(SimError::invalid(
                &format!("{key}.serving"),
                other,
                "use \"plan\" (the traffic steps, the default) or \"registry\" (MLflow's aliases, read every few seconds; needs `mlobs simulate --register`)",
            ))
        }
    };
    Ok(Model {
        name: file.name,
        classes,
        share: file.share,
        features,
        relation,
        versions,
        traffic,
        labels,
        serving,
    })
}

fn check_rows(key: &str, rows: usize) -> Result<usize, SimError> {
    if rows < MIN_TRAINING_ROWS {
        return Err(SimError::invalid(key, rows, "train on at least 10 rows"));
    }
    Ok(rows)
}

fn parse_latency(key: &str, file: Option<LatencyFile>) -> Result<Option<Latency>, SimError> {
    let Some(LatencyFile { median, sigma }) = file else {
        return Ok(None);
    };
    if !(median.is_finite() && median > 0.0) {
        return Err(SimError::invalid(
            &format!("{key}.median"),
            median,
            "milliseconds > 0",
        ));
    }
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(SimError::invalid(
            &format!("{key}.sigma"),
            sigma,
            "a number >= 0",
        ));
    }
    Ok(Some(Latency { median, sigma }))
}

fn parse_version(
    model_key: &str,
    file: VersionFile,
    features: &[Feature],
    model_rows: usize,
    model_latency: Latency,
) -> Result<Version, SimError> {
    if file.name.trim().is_empty() {
        return Err(SimError::invalid(
            &format!("{model_key}.versions.name"),
            &file.name,
            "give a name",
        ));
    }
    let key = format!("{model_key}.versions[{}]", file.name);
    let feature_indices = |list: &str, names: &[String]| {
        let mut seen = BTreeSet::new();
        names
            .iter()
            .map(|name| {
                let i = features.iter().position(|f| &f.name == name);
                match i {
                    Some(i) if seen.insert(i) => Ok(i),
                    _ => Err(SimError::invalid(
                        &format!("{key}.{list}"),
                        name,
                        &format!(
                            "name each feature of the model at most once: {}",
                            features
                                .iter()
                                .map(|f| f.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )),
                }
            })
            .collect::<Result<Vec<usize>, SimError>>()
    };
    let flip_sign = feature_indices("flip_sign", &file.flip_sign)?;
    let dropped = feature_indices("drop_features", &file.drop_features)?;
    if let Some(i) = flip_sign.iter().find(|i| dropped.contains(i)) {
        return Err(SimError::invalid(
            &format!("{key}.flip_sign"),
            &features[*i].name,
            "a dropped feature has no weight to flip",
        ));
    }
    let training_rows = match file.training_rows {
        Some(rows) => check_rows(&format!("{key}.training_rows"), rows)?,
        None => model_rows,
    };
    let latency =
        parse_latency(&format!("{key}.latency_ms"), file.latency_ms)?.unwrap_or(model_latency);
    Ok(Version {
        name: file.name,
        training_rows,
        flip_sign,
        dropped,
        latency,
    })
}

fn parse_traffic(
    model_key: &str,
    steps: Vec<TrafficFile>,
    versions: &[Version],
    start_ms: i64,
) -> Result<Vec<TrafficStep>, SimError> {
    if steps.is_empty() {
        return Ok(vec![TrafficStep {
            at_ms: start_ms,
            weights: vec![1.0; versions.len()],
        }]);
    }
    let mut parsed: Vec<TrafficStep> = Vec::new();
    for (i, step) in steps.into_iter().enumerate() {
        let key = format!("{model_key}.traffic[{i}]");
        let at_ms = parse_instant(&step.at, start_ms)
            .map_err(|e| SimError::at(&format!("{key}.at"), &e))?;
        if i == 0 && at_ms != start_ms {
            return Err(SimError::invalid(
                &format!("{key}.at"),
                &step.at,
                "the first traffic step starts at the scenario start (\"0s\")",
            ));
        }
        if parsed.last().is_some_and(|last| last.at_ms >= at_ms) {
            return Err(SimError::invalid(
                &format!("{key}.at"),
                &step.at,
                "traffic steps must be in increasing time order",
            ));
        }
        let wkey = format!("{key}.weights");
        check_weights(&wkey, &step.weights)?;
        if let Some(unknown) = step
            .weights
            .keys()
            .find(|v| !versions.iter().any(|x| &&x.name == v))
        {
            let names: Vec<&str> = versions.iter().map(|v| v.name.as_str()).collect();
            return Err(SimError::at(
                &format!("{wkey}.{unknown}"),
                &format!(
                    "not a version of this model; versions: {}",
                    names.join(", ")
                ),
            ));
        }
        let weights = versions
            .iter()
            .map(|v| step.weights.get(&v.name).copied().unwrap_or(0.0))
            .collect();
        parsed.push(TrafficStep { at_ms, weights });
    }
    Ok(parsed)
}

fn parse_labels(key: &str, file: LabelsFile) -> Result<Labels, SimError> {
    if !(0.0..=1.0).contains(&file.coverage) {
        return Err(SimError::invalid(
            &format!("{key}.coverage"),
            file.coverage,
            "a share between 0 and 1",
        ));
    }
    let DelayFile {
        distribution,
        mean,
        min,
        max,
    } = file.delay;
    let dkey = format!("{key}.delay");
    let span = |name: &str, value: Option<String>, takes: &str| {
        let text = value
            .ok_or_else(|| SimError::at(&format!("{dkey}.{name}"), &format!("missing; {takes}")))?;
        parse_span(&text)
            .map(|ms| ms as f64)
            .map_err(|e| SimError::at(&format!("{dkey}.{name}"), &e))
    };
    let unexpected = |name: &str, value: &Option<String>, takes: &str| match value {
        Some(_) => Err(SimError::at(
            &format!("{dkey}.{name}"),
            &format!("not a parameter here; {takes}"),
        )),
        None => Ok(()),
    };
    let delay = match distribution.as_str() {
        "exponential" => {
            let takes = "distribution \"exponential\" takes mean and max";
            unexpected("min", &min, takes)?;
            let (mean_ms, max_ms) = (span("mean", mean, takes)?, span("max", max, takes)?);
            if mean_ms <= 0.0 || max_ms <= 0.0 {
                return Err(SimError::at(&dkey, "mean and max must be longer than 0s"));
            }
            Delay::Exponential { mean_ms, max_ms }
        }
        "uniform" => {
            let takes = "distribution \"uniform\" takes min and max";
            unexpected("mean", &mean, takes)?;
            let (min_ms, max_ms) = (span("min", min, takes)?, span("max", max, takes)?);
            if min_ms > max_ms {
                return Err(SimError::at(&dkey, "min must not be longer than max"));
            }
            Delay::Uniform { min_ms, max_ms }
        }
        other => {
            return Err(SimError::invalid(
                &format!("{dkey}.distribution"),
                other,
                "use exponential (mean, max) or uniform (min, max)",
            ))
        }
    };
    Ok(Labels {
        coverage: file.coverage,
        delay,
    })
}
