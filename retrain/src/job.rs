//! The job, step by step (seed section 6): fetch recent labeled
//! production rows, build the dataset, train, judge against the champion
//! on a holdout neither saw, register in MLflow with metrics, lineage and
//! baseline, stage it as `challenger`, and promote it by policy. Nothing
//! before the last step touches the champion, so a job that fails midway
//! leaves serving as it was.

use mlobs_operators::cbpe::validation::Validation;
use mlobs_pipeline::config::RetrainConfig;
use mlobs_pipeline::sinks::clickhouse::action_row::ActionRow;
use mlobs_pipeline::sinks::clickhouse::{audit, ClickHouse};
use mlobs_registry::baseline;
use mlobs_registry::serving::{self, Change};
use mlobs_registry::trained::Trained;
use mlobs_registry::{Registry, Tag, FEATURES_TAG};
use mlobs_schemas::time::{format_rfc3339, now_ms};
use mlobs_trainer::{from_json_lines, kinds, to_json_lines, Example, Kind, Logistic};

use crate::data::{self, Span};
use crate::dataset::split;
use crate::judge::{decide, Decision, Paired};
use crate::profile;
use crate::steps::{StepRecord, Steps};
use crate::RetrainError;

/// What a job needs to reach.
pub struct Services<'a> {
    /// `[retrain]`.
    pub config: &'a RetrainConfig,
    /// MLflow.
    pub registry: &'a Registry,
    /// ClickHouse: the data, and the audit of the steps.
    pub clickhouse: &'a ClickHouse,
}

/// One job: which model, which data, and who asked.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Model.
    pub model: String,
    /// Only this environment's predictions ("" for all).
    pub environment: String,
    /// Production rows from here (ms of event time); `None`: the config's
    /// window back from the newest labeled prediction.
    pub since_ms: Option<i64>,
    /// The job's id: its steps are `<job_id>/<n>-<step>` in `agent_actions`.
    pub job_id: String,
    /// The incident that asked for it ("" for none).
    pub incident_id: String,
    /// Who asked (`mlobs-agent`, a trigger, a person).
    pub requested_by: String,
    /// Who approved it.
    pub approved_by: String,
}

/// What a finished job did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Model.
    pub model: String,
    /// The version registered.
    pub version: String,
    /// The champion it was judged against.
    pub champion: String,
    /// Holdout accuracy of every version judged, the new one first.
    pub accuracy: Vec<(String, f64)>,
    /// Whether it is the champion now.
    pub promoted: bool,
    /// The policy's reasoning.
    pub decision: String,
    /// Every step.
    pub steps: Vec<StepRecord>,
}

impl Outcome {
    /// One line for people and the agent's action result.
    pub fn summary(&self) -> String {
        let scores: Vec<String> = self
            .accuracy
            .iter()
            .map(|(v, a)| format!("version {v} {:.1}%", 100.0 * a))
            .collect();
        let verdict = if self.promoted {
            format!("promoted to champion (was {})", self.champion)
        } else {
            format!(
                "challenger, awaiting approval (`mlobs model promote {} --version {}`)",
                self.model, self.version
            )
        };
        format!(
            "registered version {}, {verdict}; holdout: {}; {}",
            self.version,
            scores.join(", "),
            self.decision
        )
    }
}

/// Runs `request` to the end, or to the first failed step.
pub fn run(services: &Services, request: &Request) -> Result<Outcome, RetrainError> {
    let Services {
        config,
        registry,
        clickhouse,
    } = services;
    let template = ActionRow {
        action_id: request.job_id.clone(),
        incident_id: request.incident_id.clone(),
        model: request.model.clone(),
        environment: request.environment.clone(),
        evidence: "[]".into(),
        requested_by: request.requested_by.clone(),
        approved_by: request.approved_by.clone(),
        ..ActionRow::default()
    };
    let mut steps = Steps::new(clickhouse, template);
    let model = request.model.as_str();

    let production = steps.run("fetch", || {
        let span = Span {
            model: model.to_string(),
            environment: request.environment.clone(),
            since_ms: request.since_ms,
            window_ms: config.window_ms,
        };
        let production = data::fetch(clickhouse, &span)?;
        let n = production.rows.len();
        if n < config.min_rows {
            return Err(RetrainError::NoData(format!(
                "{n} labeled predictions of {model} from {} to {}, fewer than retrain.min_rows = {}; wait for more labels or widen the window (--since)",
                format_rfc3339(production.since_ms),
                format_rfc3339(production.until_ms),
                config.min_rows
            )));
        }
        let text = format!(
            "{n} labeled predictions from {} to {}",
            format_rfc3339(production.since_ms),
            format_rfc3339(production.until_ms)
        );
        Ok((production, text))
    })?;

    let (champion, champion_model, split) = steps.run("dataset", || {
        let now = serving::serving(registry, model)?;
        let champion = now.champion.ok_or_else(|| {
            RetrainError::Registry(format!(
                "model {model} has no champion to improve on; promote one with `mlobs model promote {model} --version V`"
            ))
        })?;
        let version = registry.version(model, &champion)?;
        let champion_model = Logistic::from_json(&registry.weights(&version)?).map_err(|e| {
            RetrainError::Registry(format!(
                "the champion, version {champion}, is not a model mlobs can retrain ({e}); mlobs retrains the logistic models it registers itself"
            ))
        })?;
        let training = match registry.training_data(&version)? {
            Some(text) => from_json_lines(&text).map_err(|e| {
                RetrainError::Registry(format!("the training data of version {champion} is unreadable: {e}"))
            })?,
            None => Vec::new(),
        };
        let split = split(
            &production.rows,
            &training,
            config.holdout_share,
            config.training_share,
        );
        let text = format!(
            "{} training rows ({} production, {} from version {champion}'s training data), {} held out (the newest)",
            split.train.len(),
            split.production_rows,
            split.training_rows,
            split.holdout.len()
        );
        Ok(((champion, champion_model, split), text))
    })?;

    let new_model = steps.run("train", || {
        let columns: Vec<(String, Kind)> = kinds(&split.train).into_iter().collect();
        let trained = Logistic::train(&columns, &split.train, champion_model.classes())
            .map_err(|e| RetrainError::Training(e.to_string()))?;
        let text = format!(
            "logistic regression on {} rows, reading {}; {:.1}% right on its own training rows",
            split.train.len(),
            trained.features().join(", "),
            100.0 * accuracy(&trained, &split.train)
        );
        Ok((trained, text))
    })?;

    let (paired, accuracy_table) = steps.run("evaluate", || {
        let paired = Paired::count(
            split
                .holdout
                .iter()
                .map(|r| (right(&new_model, r), right(&champion_model, r))),
        );
        let mut table = vec![("new".to_string(), paired.new_accuracy())];
        for version in registry.search_versions(&format!("name='{}'", model.replace('\'', "\\'")))? {
            if let Some(other) = registry.weights(&version).ok().and_then(|w| Logistic::from_json(&w).ok()) {
                table.push((version.version.clone(), accuracy(&other, &split.holdout)));
            }
        }
        // MLflow numbers versions: 2 before 10.
        table[1..].sort_by_key(|(v, _)| v.parse::<u64>().unwrap_or(u64::MAX));
        let text = format!(
            "on the {} newest rows: {}; McNemar p = {:.4} against the champion (version {champion})",
            paired.rows,
            table
                .iter()
                .map(|(v, a)| format!("{} {:.1}%", if v == "new" { "new model".to_string() } else { format!("version {v}") }, 100.0 * a))
                .collect::<Vec<_>>()
                .join(", "),
            paired.p_value()
        );
        Ok(((paired, table), text))
    })?;

    let version = steps.run("register", || {
        let trained = Trained {
            run_name: format!("{model} retrain {}", request.job_id),
            weights: new_model.to_json(),
            training_data: to_json_lines(&split.train),
            metrics: vec![
                ("holdout_accuracy", paired.new_accuracy()),
                ("champion_holdout_accuracy", paired.champion_accuracy()),
                ("mcnemar_p_value", paired.p_value()),
                ("holdout_rows", paired.rows as f64),
                ("training_rows", split.train.len() as f64),
            ],
            tags: vec![
                tag(FEATURES_TAG, &new_model.features().join(",")),
                tag("mlobs.retrain.job", &request.job_id),
                tag("mlobs.retrain.parent", &champion),
                tag(
                    "mlobs.retrain.window",
                    &format!(
                        "{}/{}",
                        format_rfc3339(production.since_ms),
                        format_rfc3339(production.until_ms)
                    ),
                ),
                tag(
                    "mlobs.retrain.mix",
                    &format!(
                        "{} production rows, {} training rows of version {champion}",
                        split.production_rows, split.training_rows
                    ),
                ),
            ],
        };
        let registered =
            registry.register_trained(&config.experiment, model, &trained, now_ms())?;
        // The baseline is the production part: the world the new version
        // is meant for (the old training rows would read as drift).
        let validation = Validation::of(
            Some(new_model.classes()[1].clone()),
            new_model.outcomes(&split.holdout),
        );
        let (profile, summary) = profile::of(&split.train[..split.production_rows], validation);
        baseline::publish(registry, model, &registered.version, &profile, summary, now_ms())?;
        let text = format!(
            "version {} (run {}), with its training rows, metrics and a baseline of the production rows",
            registered.version, registered.run_id
        );
        Ok((registered.version, text))
    })?;
    steps.target(&version);

    let change = |reason: String| Change {
        actor: request.requested_by.clone(),
        reason,
        at_ms: now_ms(),
    };
    steps.run("challenger", || {
        let event = serving::traffic(
            registry,
            model,
            Some(&version),
            0.0,
            &change(format!(
                "retrain job {}: staged for evaluation",
                request.job_id
            )),
        )?;
        audit::record_or_warn(clickhouse, &event);
        Ok((
            (),
            format!("version {version} is the challenger, with no traffic yet"),
        ))
    })?;

    let decision = decide(&paired, config.promote, config.margin, config.significance);
    let promoted = match &decision {
        Decision::Promote(why) => {
            steps.run("promote", || {
                let reason = format!("retrain job {}: {why}", request.job_id);
                if let Some(event) = serving::promote(registry, model, &version, &change(reason))? {
                    audit::record_or_warn(clickhouse, &event);
                }
                Ok(((), format!("version {version} is the champion: {why}")))
            })?;
            true
        }
        Decision::Wait(why) => {
            steps.record(
                "promote",
                "awaiting_approval",
                format!("version {version} stays challenger: {why}; promote it with `mlobs model promote {model} --version {version}`"),
                now_ms(),
            );
            false
        }
    };
    let (Decision::Promote(reason) | Decision::Wait(reason)) = decision;
    let mut accuracy = accuracy_table;
    accuracy[0].0 = version.clone();
    Ok(Outcome {
        model: model.to_string(),
        version,
        champion,
        accuracy,
        promoted,
        decision: reason,
        steps: steps.done,
    })
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.to_string(),
        value: value.to_string(),
    }
}

fn right(model: &Logistic, row: &Example) -> bool {
    model.predict(|name| row.features.get(name)) == row.label
}

fn accuracy(model: &Logistic, rows: &[Example]) -> f64 {
    let n = rows.len().max(1) as f64;
    rows.iter().filter(|r| right(model, r)).count() as f64 / n
}
