//! Helpers for integration tests that talk to the real local stack
//! (started by `make up` / `make test`, see infra/).
//!
//! Tests never mock Kafka, ClickHouse, Prometheus or MLflow; they use unique
//! topic and group names so that they can run in parallel against one stack.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::OwnedMessage;
use rdkafka::{ClientConfig, Message};

/// Kafka bootstrap address of the local stack (override: MLOBS_KAFKA_BROKERS).
pub fn brokers() -> String {
    std::env::var("MLOBS_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// MLflow of the local stack (override: MLOBS_MLFLOW_URL, the variable of
/// config key `mlflow.url`).
pub fn mlflow_url() -> String {
    std::env::var("MLOBS_MLFLOW_URL").unwrap_or_else(|_| "http://127.0.0.1:5000".into())
}

/// A name no other test run uses: `prefix-<pid>-<time>-<counter>`.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}-{}-{}-{n}",
        std::process::id(),
        nanos % 1_000_000_000
    )
}

/// Polls `check` every 50 ms until it returns `Some`, or panics with `what`
/// after `timeout`. This is how tests wait: on a condition, with a deadline.
pub fn wait_until<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Creates topics with `partitions` partitions each on the local broker;
/// they are deleted when the answer is dropped.
pub fn create_topics(names: &[&str], partitions: i32) -> OwnTopics {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .expect("admin client");
    let topics: Vec<NewTopic> = names
        .iter()
        .map(|n| NewTopic::new(n, partitions, TopicReplication::Fixed(1)))
        .collect();
    let runtime = tokio_free_block_on(admin.create_topics(&topics, &AdminOptions::new()));
    for result in runtime.expect("the broker answers CreateTopics; is the stack up (make up)?") {
        if let Err((topic, code)) = result {
            panic!("creating test topic {topic} failed: {code}");
        }
    }
    OwnTopics::on(&brokers(), names)
}

/// Reads every record of `topic` from the beginning until `expected` records
/// arrived or `timeout` passed; returns what arrived.
pub fn consume_all(topic: &str, expected: usize, timeout: Duration) -> Vec<OwnedMessage> {
    consume_all_at(&brokers(), topic, expected, timeout)
}

/// [`consume_all`] from the broker at `brokers`.
pub fn consume_all_at(
    brokers: &str,
    topic: &str,
    expected: usize,
    timeout: Duration,
) -> Vec<OwnedMessage> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", unique_name("testkit-reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let deadline = Instant::now() + timeout;
    let mut records = Vec::new();
    while records.len() < expected && Instant::now() < deadline {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
            records.push(message.detach());
        }
    }
    // Give duplicates a chance to show up: read until the topic is quiet.
    let quiet_until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < quiet_until {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
            records.push(message.detach());
        }
    }
    records
}

/// Runs a future to completion on the current thread without a tokio
/// runtime (rdkafka's admin futures are runtime-independent).
pub(crate) fn tokio_free_block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park_timeout(Duration::from_millis(100));
    }
}

/// The payload of a record, or an empty slice for a tombstone.
pub fn payload(message: &OwnedMessage) -> &[u8] {
    message.payload().unwrap_or_default()
}

/// The reference Python interpreter (scipy, numpy, pandas, pyarrow, mcp) that
/// `make test` installs with infra/pyref/install.sh (override: MLOBS_PYREF).
pub fn reference_python() -> std::path::PathBuf {
    cached_python("MLOBS_PYREF", "pyref-7", "infra/pyref/install.sh")
}

/// The Python SDK's interpreter (sdk/python installed in its own virtualenv)
/// that `make test` prepares with infra/pysdk/install.sh (override:
/// MLOBS_PYSDK).
pub fn sdk_python() -> std::path::PathBuf {
    cached_python("MLOBS_PYSDK", "pysdk-1", "infra/pysdk/install.sh")
}

/// The interpreter `variable` names, else the one of virtualenv `venv` in
/// the tool cache, which `installer` makes.
fn cached_python(variable: &str, venv: &str, installer: &str) -> std::path::PathBuf {
    let path = std::env::var(variable).map(Into::into).unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        std::path::Path::new(&home)
            .join(".cache/mlobs")
            .join(venv)
            .join("bin/python")
    });
    assert!(
        path.exists(),
        "{} is missing: run `{installer}` (make test does)",
        path.display()
    );
    path
}

/// Runs `script` with the reference Python, feeding `input` on stdin, and
/// returns its stdout; panics with its stderr if it fails.
pub fn run_reference_python(script: &std::path::Path, input: &str) -> String {
    run_python(&reference_python(), script, input)
}

/// Runs `script` with the interpreter `python`, feeding `input` on stdin,
/// and returns its stdout; panics with its stderr if it fails.
pub fn run_python(python: &std::path::Path, script: &std::path::Path, input: &str) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the reference Python starts");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input.as_bytes())
        .expect("script reads stdin");
    let output = child.wait_with_output().expect("the reference Python runs");
    assert!(
        output.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// A deterministic stream of test data (SplitMix64): the same seed gives the
/// same numbers on every machine and release.
pub struct TestRng(u64);

impl TestRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        TestRng(seed)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (1.0 - self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

pub mod cluster;
pub mod services;
pub mod topics;
pub mod workload;

pub use topics::OwnTopics;
