//! A pipeline of its own for one test: unique topics and groups on the real
//! local broker, fast timings, `mlobs` processes started and stopped here.

#![allow(dead_code)] // each test file uses part of this

pub mod grafana;
pub mod investigate;
pub mod process;
pub mod results;
pub mod services;
pub mod topic_reader;
pub mod verdicts;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use mlobs_testkit::services::free_port;
use mlobs_testkit::{brokers, unique_name, wait_until};
use serde_json::Value;

#[allow(unused_imports)] // each test file uses part of these
pub use process::{crash, output_within, stop_gracefully, Running};
pub use results::{counts, WindowCounts};

/// A retention that keeps the scenarios' historical event times.
pub const TEN_YEARS_MS: i64 = 10 * 365 * 24 * 3_600_000;

/// How long a test waits for anything the pipeline should get to.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// The topics model servers write and mlobs reads.
pub const INPUT_TOPICS: [&str; 2] = ["predictions", "labels"];
/// The topics mlobs writes.
pub const WRITTEN_TOPICS: [&str; 8] = [
    "dlq",
    "partials",
    "changelog",
    "window_metrics",
    "alerts",
    "alert_state",
    "incidents",
    "agent_actions",
];

/// A test's own topics, groups, baselines folder and log files. Its
/// ClickHouse database is dropped when it is dropped.
pub struct Pipeline {
    pub prefix: String,
    pub dir: PathBuf,
    env: Vec<(String, String)>,
    partitions: i32,
    /// The metrics port of each instance started, by name.
    metrics_ports: Mutex<HashMap<String, u16>>,
}

impl Pipeline {
    /// Topics with `partitions` partitions each, created by `mlobs topics create`.
    pub fn new(name: &str, partitions: i32) -> Self {
        let pipeline = Pipeline::unstarted(name, partitions);
        pipeline.succeed(&["topics", "create"]);
        pipeline
    }

    /// The settings of a pipeline whose topics are not created yet (enough
    /// for commands that need no topic, with a ClickHouse database and a
    /// folder of its own).
    pub fn unstarted(name: &str, partitions: i32) -> Self {
        let prefix = unique_name(name);
        let dir = std::env::temp_dir().join(&prefix);
        std::fs::create_dir_all(dir.join("baselines")).unwrap();
        let mut env = vec![
            ("MLOBS_KAFKA_BROKERS".to_string(), brokers()),
            ("MLOBS_KAFKA_PARTITIONS".to_string(), partitions.to_string()),
            (
                "MLOBS_KAFKA_GROUPS_JOIN".to_string(),
                format!("{prefix}-join"),
            ),
            (
                "MLOBS_KAFKA_GROUPS_EVALUATE".to_string(),
                format!("{prefix}-evaluate"),
            ),
            (
                "MLOBS_KAFKA_GROUPS_AGENT".to_string(),
                format!("{prefix}-agent"),
            ),
            (
                "MLOBS_CLICKHOUSE_DATABASE".to_string(),
                prefix.replace('-', "_"),
            ),
            // Retention counts from the record timestamp, the event time:
            // the scenarios' January 2026 must outlive the broker's
            // retention pass (docs/architecture.md).
            (
                "MLOBS_KAFKA_RETENTION_MS".to_string(),
                TEN_YEARS_MS.to_string(),
            ),
            ("MLOBS_WINDOWS_SIZE_MS".to_string(), "300000".into()),
            // Scenarios run event time ~900x faster than the wall clock, so the
            // wall-clock idleness below spans many minutes of event time: the
            // lateness must cover it (docs/architecture.md, idleness).
            (
                "MLOBS_WINDOWS_ALLOWED_LATENESS_MS".to_string(),
                "1800000".into(),
            ),
            (
                "MLOBS_RUNTIME_CHECKPOINT_INTERVAL_MS".to_string(),
                "1000".into(),
            ),
            ("MLOBS_RUNTIME_IDLE_AFTER_MS".to_string(), "1500".into()),
            ("MLOBS_RUNTIME_FLUSH_AFTER_MS".to_string(), "4000".into()),
            (
                "MLOBS_RUNTIME_COMPLETION_TIMEOUT_MS".to_string(),
                "60000".into(),
            ),
            ("MLOBS_RUNTIME_CHANNEL_CAPACITY".to_string(), "2000".into()),
            (
                "MLOBS_BASELINES_DIR".to_string(),
                dir.join("baselines").display().to_string(),
            ),
        ];
        for topic in INPUT_TOPICS.iter().chain(&WRITTEN_TOPICS) {
            env.push((
                format!("MLOBS_KAFKA_TOPICS_{}", topic.to_uppercase()),
                format!("{prefix}.{topic}"),
            ));
        }
        Pipeline {
            prefix,
            dir,
            env,
            partitions,
            metrics_ports: Mutex::new(HashMap::new()),
        }
    }

    /// [`Pipeline::new`] on another broker than the local stack's.
    pub fn on_brokers(name: &str, partitions: i32, brokers: &str) -> Self {
        let mut pipeline = Pipeline::unstarted(name, partitions);
        pipeline.set("MLOBS_KAFKA_BROKERS", brokers);
        pipeline.succeed(&["topics", "create"]);
        pipeline
    }

    /// Overrides one setting (an `MLOBS_*` variable) for what starts next.
    pub fn set(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    /// The value this pipeline gives setting `key` (an `MLOBS_*` variable).
    pub fn env_value(&self, key: &str) -> Option<String> {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// The name of one of this pipeline's topics (`predictions`, `dlq`, ...).
    pub fn topic(&self, name: &str) -> String {
        format!("{}.{name}", self.prefix)
    }

    /// `mlobs` with this pipeline's configuration.
    pub fn mlobs(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mlobs"));
        command
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs `mlobs args` to success and returns its stdout.
    pub fn succeed(&self, args: &[&str]) -> String {
        let output = output_within(self.mlobs(args), DEADLINE);
        assert!(
            output.status.success(),
            "mlobs {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Plays a shipped scenario; writes the baselines; returns the truth.
    pub fn simulate(&self, scenario: &str) -> Value {
        let truth = self.dir.join(format!("truth-{}.json", unique_name("t")));
        let output = output_within(self.simulate_command(scenario, &truth), DEADLINE);
        assert!(
            output.status.success(),
            "mlobs simulate failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_str(&std::fs::read_to_string(truth).unwrap()).unwrap()
    }

    /// Plays a shipped scenario in the background (baselines are written
    /// before it starts sending).
    pub fn simulate_in_background(&self, scenario: &str) -> Running {
        let child = self
            .simulate_command(scenario, &self.dir.join("truth.json"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Running(child)
    }

    fn simulate_command(&self, scenario: &str, truth: &Path) -> Command {
        let baselines = self.dir.join("baselines");
        self.mlobs(&[
            "simulate",
            "--scenario",
            &scenario_path(scenario),
            "--truth",
            truth.to_str().unwrap(),
            "--baselines",
            baselines.to_str().unwrap(),
        ])
    }

    /// The truth written by [`Pipeline::simulate_in_background`] once it ended.
    pub fn background_truth(&self, mut simulator: Running) -> Value {
        let exit = simulator.exit_within(Duration::from_secs(600), "the scenario to finish");
        assert!(exit.success(), "the simulator failed");
        serde_json::from_str(&std::fs::read_to_string(self.dir.join("truth.json")).unwrap())
            .unwrap()
    }

    /// Starts `mlobs run` (extra args appended) as instance `name` of the
    /// groups, serving its metrics on a free port of its own, logging to
    /// `<name>.log`. Starting `name` again is a restart of that instance.
    pub fn start(&self, name: &str, extra: &[&str]) -> Running {
        self.start_as(name, name, extra)
    }

    /// [`Pipeline::start`] of a process `name` that uses instance
    /// `identity`'s identity in the groups.
    pub fn start_as(&self, name: &str, identity: &str, extra: &[&str]) -> Running {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log(name))
            .unwrap();
        let port = *self
            .metrics_ports
            .lock()
            .unwrap()
            .entry(name.to_string())
            .or_insert_with(free_port);
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        let child = self
            .mlobs(&args)
            .env(
                "MLOBS_KAFKA_INSTANCE_ID",
                format!("{}-{identity}", self.prefix),
            )
            .env("MLOBS_METRICS_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Running(child)
    }

    /// The address instance `name` serves `/metrics` on, once it answers
    /// (its sinks are ready then: the ClickHouse tables exist).
    pub fn serving(&self, name: &str) -> String {
        let address = self.metrics_address(name);
        wait_until(DEADLINE, "the metrics endpoint", || {
            services::get(&format!("http://{address}/healthz")).map(|_| ())
        });
        address
    }

    /// The address instance `name` serves `/metrics` on.
    pub fn metrics_address(&self, name: &str) -> String {
        let port = self.metrics_ports.lock().unwrap()[name];
        format!("127.0.0.1:{port}")
    }

    /// The value of an unlabelled-or-summed series on instance `name`'s
    /// `/metrics` (the sum over every series of that name that matches
    /// `filter`), or `None` while the endpoint does not answer.
    pub fn metric(&self, name: &str, metric: &str, filter: &str) -> Option<f64> {
        let url = format!("http://{}/metrics", self.metrics_address(name));
        let (_, body) = services::get(&url)?;
        Some(
            body.lines()
                .filter(|line| line.starts_with(metric) && line.contains(filter))
                .filter(|line| line[metric.len()..].starts_with(['{', ' ']))
                .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
                .sum(),
        )
    }

    /// The log file of a process started with [`Pipeline::start`].
    pub fn log(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.log"))
    }

    /// A file in this pipeline's own folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The broker this pipeline uses.
    pub fn brokers(&self) -> String {
        self.env_value("MLOBS_KAFKA_BROKERS")
            .unwrap_or_else(brokers)
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        // A broker of the test's own goes with its data; the shared one
        // keeps only what it had.
        if self.brokers() == brokers() {
            drop(mlobs_testkit::OwnTopics::on(
                &self.brokers(),
                &[&self.prefix],
            ));
        }
        self.drop_database();
    }
}

/// A shipped scenario by file name, or any scenario by path.
fn scenario_path(name: &str) -> String {
    if name.contains('/') {
        return name.to_string();
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(name)
        .display()
        .to_string()
}
