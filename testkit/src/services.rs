//! Services of the local stack started for one test alone: a test that
//! stops a service (to see what the pipeline does while it is away) must
//! never stop the one every other test shares. Each runs on free ports with
//! a data folder of its own, through the stack's own scripts
//! (`infra/stack.sh`), and is stopped when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

/// A service of our own.
pub struct PrivateService {
    service: &'static str,
    data: PathBuf,
    env: Vec<(&'static str, String)>,
    /// The port it answers on.
    pub port: u16,
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

impl PrivateService {
    /// An Apache Kafka broker of our own (`127.0.0.1:port`; its KRaft
    /// controller listens on another free port).
    pub fn kafka() -> Self {
        let (port, controller) = (free_port(), free_port());
        Self::start(
            "kafka",
            port,
            vec![
                ("MLOBS_KAFKA_PORT", port.to_string()),
                ("MLOBS_KAFKA_CONTROLLER_PORT", controller.to_string()),
            ],
        )
    }

    /// An Apache Kafka broker of our own whose client port speaks SASL_SSL
    /// (SCRAM-SHA-512, a certificate signed by a CA of its own:
    /// [`PrivateService::ca_file`]) and enforces ACLs with Kafka's standard
    /// authorizer. `users` are (name, password); `admin` is the super user.
    pub fn kafka_secure(users: &[(&str, &str)]) -> Self {
        let (port, controller) = (free_port(), free_port());
        let users: Vec<String> = users.iter().map(|(u, p)| format!("{u}:{p}")).collect();
        Self::start(
            "kafka",
            port,
            vec![
                ("MLOBS_KAFKA_PORT", port.to_string()),
                ("MLOBS_KAFKA_CONTROLLER_PORT", controller.to_string()),
                ("MLOBS_KAFKA_SASL_USERS", users.join(",")),
            ],
        )
    }

    /// A ClickHouse server of our own (HTTP on `port`).
    pub fn clickhouse() -> Self {
        let port = free_port();
        let native = free_port();
        Self::start(
            "clickhouse",
            port,
            vec![
                ("MLOBS_CLICKHOUSE_PORT", port.to_string()),
                ("MLOBS_CLICKHOUSE_NATIVE_PORT", native.to_string()),
            ],
        )
    }

    /// A ClickHouse server of our own that also serves HTTPS
    /// ([`PrivateService::https_url`]) with a certificate signed by a CA of
    /// its own ([`PrivateService::ca_file`]), made by infra/clickhouse.
    pub fn clickhouse_with_https() -> Self {
        let (port, native, https) = (free_port(), free_port(), free_port());
        Self::start(
            "clickhouse",
            port,
            vec![
                ("MLOBS_CLICKHOUSE_PORT", port.to_string()),
                ("MLOBS_CLICKHOUSE_NATIVE_PORT", native.to_string()),
                ("MLOBS_CLICKHOUSE_HTTPS_PORT", https.to_string()),
            ],
        )
    }

    /// `https://127.0.0.1:port` of a service started with HTTPS.
    pub fn https_url(&self) -> String {
        let port = self
            .env
            .iter()
            .find(|(key, _)| key.ends_with("_HTTPS_PORT"))
            .map(|(_, port)| port.clone())
            .expect("a service started with HTTPS");
        format!("https://127.0.0.1:{port}")
    }

    /// The PEM file of the CA that signed the service's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.data.join(self.service).join("tls/ca.crt")
    }

    /// An MLflow server of our own (`http://127.0.0.1:port`).
    pub fn mlflow() -> Self {
        let port = free_port();
        Self::start(
            "mlflow",
            port,
            vec![("MLOBS_MLFLOW_PORT", port.to_string())],
        )
    }

    /// An Alertmanager of our own (`http://127.0.0.1:port`) that delivers
    /// every alert to the webhook at `webhook_url`.
    pub fn alertmanager(webhook_url: &str) -> Self {
        let port = free_port();
        Self::start(
            "alertmanager",
            port,
            vec![
                ("MLOBS_ALERTMANAGER_PORT", port.to_string()),
                ("MLOBS_ALERTS_WEBHOOK_URL", webhook_url.to_string()),
            ],
        )
    }

    /// A Prometheus of our own (`http://127.0.0.1:port`) that evaluates the
    /// rule files matching `rules` (a glob) and sends its alerts to the
    /// Alertmanager on `alertmanager_port`. It scrapes the targets written
    /// to [`PrivateService::scrape_targets`].
    pub fn prometheus(rules: &str, alertmanager_port: u16) -> Self {
        let port = free_port();
        Self::start(
            "prometheus",
            port,
            vec![
                ("MLOBS_PROMETHEUS_PORT", port.to_string()),
                ("MLOBS_PROMETHEUS_RULES", rules.to_string()),
                ("MLOBS_ALERTMANAGER_PORT", alertmanager_port.to_string()),
            ],
        )
    }

    /// The folder of a private Prometheus's file_sd target files (JSON).
    pub fn scrape_targets(&self) -> PathBuf {
        self.data.join("prometheus/targets")
    }

    fn start(service: &'static str, port: u16, env: Vec<(&'static str, String)>) -> Self {
        let data = std::env::temp_dir().join(crate::unique_name(&format!("private-{service}")));
        let this = PrivateService {
            service,
            data,
            env,
            port,
        };
        this.up();
        this
    }

    /// `host:port`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address())
    }

    /// Starts it (again) and waits until it is ready.
    pub fn up(&self) {
        self.stack("up");
    }

    /// Stops it, and every process it started.
    pub fn down(&self) {
        self.stack("down");
    }

    fn stack(&self, command: &str) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/stack.sh");
        let status = Command::new(script)
            .args([command, self.service])
            .env("MLOBS_DATA", &self.data)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .status()
            .expect("infra/stack.sh runs");
        assert!(
            status.success(),
            "infra/stack.sh {command} {} (data in {}) failed",
            self.service,
            self.data.display()
        );
    }
}

impl Drop for PrivateService {
    fn drop(&mut self) {
        self.stack("down");
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
