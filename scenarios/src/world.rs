//! A prepared scenario: every version trained on its own synthetic training
//! data, and that data's profile kept as the version's baseline, ready to
//! be played any number of times.

use mlobs_operators::baseline::{Baseline, ColumnData};
use mlobs_operators::cbpe::validation::Validation;
use mlobs_schemas::FeatureValue;
use mlobs_trainer::{Example, Kind, Logistic};

use crate::features::Feature;
use crate::model::Model;
use crate::model::Serving;
use crate::play::play;
use crate::process::{training_set, Row};
use crate::rng::Rng;
use crate::routing::Routing;
use crate::truth::Truth;
use crate::{Output, Scenario, SimError};

/// Training streams are numbered from here (run streams are below).
const TRAINING_STREAMS: u64 = 1 << 32;
/// A version's validation stream is its training stream plus this.
const VALIDATION_STREAMS: u64 = 1 << 31;
/// Validation rows per version: the estimate's calibration is learned
/// from them, so enough that each confidence decile holds hundreds.
const VALIDATION_ROWS: usize = 5_000;

/// Trained models of a scenario and their baselines.
pub struct World {
    scenario: Scenario,
    /// Per model, per version (the scenario's order).
    trained: Vec<Vec<Logistic>>,
    /// Per model, per version: the rows it was trained on.
    training: Vec<Vec<Vec<Example>>>,
    baselines: Vec<(String, String, Baseline)>,
    routing: Routing,
}

/// A model as a registry sees it: what to register and how it starts.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    /// Model name.
    pub name: String,
    /// Who picks the version of each request.
    pub serving: Serving,
    /// Versions in file order: (name, trained weights as JSON).
    pub versions: Vec<(String, String)>,
    /// The first traffic step: each version's share at the start.
    pub initial_shares: Vec<(String, f64)>,
    /// The input features each version reads (its `drop_features` left
    /// out), by version name: what the agent needs to know which version
    /// a drifted feature cannot hurt.
    pub features: std::collections::BTreeMap<String, Vec<String>>,
}

impl World {
    /// Trains every version of every model, each on its own training set
    /// drawn from the undrifted process with a stream of the seed.
    pub(crate) fn train(scenario: Scenario) -> Result<World, SimError> {
        let mut trained = Vec::new();
        let mut training = Vec::new();
        let mut baselines = Vec::new();
        for (m, model) in scenario.models.iter().enumerate() {
            let mut versions = Vec::new();
            let mut examples = Vec::new();
            for (v, version) in model.versions.iter().enumerate() {
                let stream = TRAINING_STREAMS + ((m as u64) << 16) + v as u64;
                let mut rng = Rng::stream(scenario.seed, stream);
                let (rows, classes) = training_set(model, version.training_rows, &mut rng);
                let rows_named = labeled(model, &rows, &classes);
                let reads: Vec<(String, Kind)> = model
                    .features
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !version.dropped.contains(i))
                    .map(|(_, f)| (f.name.clone(), kind(f)))
                    .collect();
                let mut logistic = Logistic::train(&reads, &rows_named, &model.classes)
                    .map_err(|e| {
                        SimError::at(
                            &format!("models[{}].truth", model.name),
                            &format!(
                                "version {:?} cannot be trained: {e}; adjust the intercept or weights so both classes occur",
                                version.name
                            ),
                        )
                    })?;
                for feature in &version.flip_sign {
                    logistic.flip_sign(&model.features[*feature].name);
                }
                let mut baseline = Baseline::build(&columns(&model.features, &rows));
                baseline.validation = Some(validation(model, &logistic, stream, scenario.seed));
                versions.push(logistic);
                examples.push(rows_named);
                baselines.push((model.name.clone(), version.name.clone(), baseline));
            }
            trained.push(versions);
            training.push(examples);
        }
        Ok(World {
            scenario,
            trained,
            training,
            baselines,
            routing: Routing::default(),
        })
    }

    /// One baseline per (model, version), built from that version's training
    /// data with mlobs_operators::baseline::Baseline::build (features only,
    /// not the label): what the pipeline compares live features against.
    pub fn baselines(&self) -> Vec<(String, String, Baseline)> {
        self.baselines.clone()
    }

    /// Plays the scenario into `output`, paced by the scenario's speedup, and
    /// returns what was actually sent, cut into event-time windows of
    /// `window_ms`. Every run replays the same events.
    pub fn run(&mut self, output: &mut impl Output, window_ms: i64) -> Result<Truth, SimError> {
        play(
            &self.scenario,
            &self.trained,
            &self.routing,
            output,
            window_ms,
        )
    }

    /// Every model with its versions, for registering them.
    pub fn models(&self) -> Vec<ModelSpec> {
        let scenario = &self.scenario;
        scenario
            .models
            .iter()
            .zip(&self.trained)
            .map(|(model, trained)| ModelSpec {
                name: model.name.clone(),
                serving: model.serving,
                versions: model
                    .versions
                    .iter()
                    .zip(trained)
                    .map(|(v, t)| (v.name.clone(), t.to_json()))
                    .collect(),
                initial_shares: model
                    .versions
                    .iter()
                    .zip(&model.traffic[0].weights)
                    .map(|(v, w)| (v.name.clone(), *w))
                    .collect(),
                features: model
                    .versions
                    .iter()
                    .map(|v| {
                        let reads = model.features.iter().enumerate();
                        let reads = reads.filter(|(i, _)| !v.dropped.contains(i));
                        (v.name.clone(), reads.map(|(_, f)| f.name.clone()).collect())
                    })
                    .collect(),
            })
            .collect()
    }

    /// The rows `version` of `model` was trained on, as JSON lines
    /// ([`mlobs_trainer::to_json_lines`]): the registry's training-data
    /// artifact, which a retrain mixes with production rows. Made on
    /// demand: only registering needs it.
    pub fn training_data(&self, model: &str, version: &str) -> Option<String> {
        let m = self.scenario.models.iter().position(|m| m.name == model)?;
        let versions = &self.scenario.models[m].versions;
        let v = versions.iter().position(|v| v.name == version)?;
        Some(mlobs_trainer::to_json_lines(&self.training[m][v]))
    }

    /// Renames a version everywhere (events, truth, baselines, faults):
    /// the registry numbers versions, and events carry its numbers.
    pub fn rename_version(&mut self, model: &str, from: &str, to: &str) {
        for m in self.scenario.models.iter_mut().filter(|m| m.name == model) {
            for v in m.versions.iter_mut().filter(|v| v.name == from) {
                v.name = to.to_string();
            }
        }
        for fault in &mut self.scenario.faults {
            let ours = fault.model.as_ref().is_none_or(|m| m == model);
            if ours && fault.version.as_deref() == Some(from) {
                fault.version = Some(to.to_string());
            }
        }
        for (m, v, _) in &mut self.baselines {
            if m == model && v == from {
                *v = to.to_string();
            }
        }
    }

    /// Serves `version` of `model` with `weights` (the JSON of
    /// [`World::models`], read back from where it was stored), so that what
    /// serves is what the registry holds.
    pub fn serve_weights(
        &mut self,
        model: &str,
        version: &str,
        weights: &str,
    ) -> Result<(), SimError> {
        let logistic = Logistic::from_json(weights)
            .map_err(|e| SimError::Scenario(format!("{model} version {version}: {e}")))?;
        let m = self.scenario.models.iter().position(|m| m.name == model);
        let v = m.and_then(|m| {
            self.scenario.models[m]
                .versions
                .iter()
                .position(|v| v.name == version)
        });
        match (m, v) {
            (Some(m), Some(v)) => {
                self.trained[m][v] = logistic;
                Ok(())
            }
            _ => Err(SimError::Scenario(format!(
                "no version {version} of model {model}"
            ))),
        }
    }

    /// Where to say which versions serve the registry-served models while
    /// the run goes on.
    pub fn routing(&self) -> Routing {
        self.routing.clone()
    }
}

/// How the trainer encodes `feature`.
fn kind(feature: &Feature) -> Kind {
    if feature.distribution.is_numeric() {
        Kind::Numeric
    } else {
        Kind::Categorical
    }
}

/// How a trained version does on rows it never saw, drawn from the
/// undrifted process with a stream of its own (`VALIDATION_STREAMS` above
/// its training stream, so that no other draw changes): what the pipeline
/// calibrates CBPE with before the first label arrives.
fn validation(model: &Model, logistic: &Logistic, training_stream: u64, seed: u64) -> Validation {
    let mut rng = Rng::stream(seed, training_stream + VALIDATION_STREAMS);
    let (rows, classes) = training_set(model, VALIDATION_ROWS, &mut rng);
    let examples = labeled(model, &rows, &classes);
    Validation::of(Some(model.classes[1].clone()), logistic.outcomes(&examples))
}

/// Training rows with their features named and their class as a label.
fn labeled(model: &Model, rows: &[Row], classes: &[bool]) -> Vec<Example> {
    rows.iter()
        .zip(classes)
        .map(|(row, positive)| Example {
            features: model
                .features
                .iter()
                .zip(row)
                .filter_map(|(f, value)| Some((f.name.clone(), value.clone()?)))
                .collect(),
            label: model.classes[usize::from(*positive)].clone(),
        })
        .collect()
}

/// Training rows as the named columns a baseline is built from.
fn columns(features: &[Feature], rows: &[Row]) -> Vec<(String, ColumnData)> {
    features
        .iter()
        .enumerate()
        .map(|(i, feature)| {
            let data = if feature.distribution.is_numeric() {
                ColumnData::Numeric(
                    rows.iter()
                        .map(|r| match &r[i] {
                            Some(FeatureValue::Numeric(x)) => *x,
                            _ => f64::NAN,
                        })
                        .collect(),
                )
            } else {
                ColumnData::Categorical(
                    rows.iter()
                        .map(|r| match &r[i] {
                            Some(FeatureValue::Categorical(c)) => Some(c.clone()),
                            _ => None,
                        })
                        .collect(),
                )
            };
            (feature.name.clone(), data)
        })
        .collect()
}
