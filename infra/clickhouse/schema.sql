-- The mlobs history in ClickHouse. Applied by `mlobs clickhouse migrate`
-- (and by `mlobs run` at start): every statement is idempotent.
--
-- Portable on purpose: it runs on ClickHouse 18.16 (Debian) and on current
-- releases (checked with chdb by pipeline/tests/schema_on_current_clickhouse.rs). Hence DateTime in
-- UTC plus an Int64 millisecond column where milliseconds matter (no
-- DateTime64), parallel arrays instead of Map, no TTL or codecs: retention is
-- by DROP PARTITION (partitions are days or months).
--
-- Every table is a ReplacingMergeTree keyed by what identifies a row, so a
-- row written again (a replay, a retried insert whose first attempt did
-- land) replaces the earlier one instead of counting twice. Merges replace
-- eventually: read with FINAL (or argMax by the version column) for exact
-- answers.

CREATE DATABASE IF NOT EXISTS mlobs;

-- One row per prediction, written by stage 1.
CREATE TABLE IF NOT EXISTS mlobs.inference_log (
    prediction_id String,
    model String,
    version String,
    environment String,
    event_time DateTime,
    event_time_ms Int64,
    numeric_feature_names Array(String),
    numeric_feature_values Array(Float64),
    categorical_feature_names Array(String),
    categorical_feature_values Array(String),
    missing_features Array(String),
    features_hash Nullable(String),
    prediction String,
    prediction_value Nullable(Float64),
    confidence Nullable(Float64),
    class_names Array(String),
    class_probabilities Array(Float64),
    latency_ms Float64,
    error_type Nullable(String),
    error_message Nullable(String),
    cpu_time_ms Nullable(Float64),
    gpu_memory_mb Nullable(Float64),
    gpu_utilization Nullable(Float64),
    request_id Nullable(String),
    trace_id Nullable(String)
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (model, version, environment, event_time, prediction_id);

-- One row per prediction joined with its label, written by stage 1.
CREATE TABLE IF NOT EXISTS mlobs.outcomes (
    prediction_id String,
    model String,
    version String,
    environment String,
    prediction String,
    label String,
    correct Nullable(UInt8),
    absolute_error Nullable(Float64),
    prediction_time DateTime,
    prediction_time_ms Int64,
    label_time DateTime,
    label_time_ms Int64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(label_time)
ORDER BY (model, version, environment, label_time, prediction_id);

-- One row per (series, window), written by stage 2. A window re-emitted
-- (a late partial) replaces the earlier row: the highest updated_ms wins.
-- The *_estimated columns are CBPE's estimate for the predictions made in
-- the window; their realized accuracy is in mlobs.outcomes by
-- prediction_time (labels arrive windows later).
CREATE TABLE IF NOT EXISTS mlobs.window_metrics (
    model String,
    version String,
    environment String,
    window_start DateTime,
    window_end DateTime,
    window_start_ms Int64,
    complete UInt8,
    sources_with_data Int32,
    sources_expected Int32,
    predictions Int64,
    labeled Int64,
    correct Int64,
    unlabeled Int64,
    accuracy Nullable(Float64),
    error_types Array(String),
    error_counts Array(Int64),
    latency_p50_ms Nullable(Float64),
    latency_p95_ms Nullable(Float64),
    latency_p99_ms Nullable(Float64),
    confidence_mean Nullable(Float64),
    confidence_histogram Array(Int64),
    mae Nullable(Float64),
    rmse Nullable(Float64),
    cpu_time_ms_mean Nullable(Float64),
    gpu_memory_mb_mean Nullable(Float64),
    gpu_utilization_mean Nullable(Float64),
    dataset_drift UInt8,
    share_drifted Float64,
    accuracy_estimated Nullable(Float64),
    accuracy_estimated_lower Nullable(Float64),
    accuracy_estimated_upper Nullable(Float64),
    precision_estimated Nullable(Float64),
    recall_estimated Nullable(Float64),
    f1_estimated Nullable(Float64),
    calibration_source String DEFAULT '',
    calibration_ece Nullable(Float64),
    updated_ms Int64
) ENGINE = ReplacingMergeTree(updated_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model, version, environment, window_start);

-- One row per (series, window, feature), written with window_metrics.
CREATE TABLE IF NOT EXISTS mlobs.feature_drift (
    model String,
    version String,
    environment String,
    window_start DateTime,
    window_start_ms Int64,
    feature String,
    kind String,
    method String,
    score Nullable(Float64),
    threshold Float64,
    drifted UInt8,
    status String DEFAULT 'ok', -- ok, drifted, missing, not_monitored (added after release: see ADDED_COLUMNS in migrate.rs)
    ks_statistic Nullable(Float64),
    ks_p_value Nullable(Float64),
    wasserstein Nullable(Float64),
    wasserstein_normalized Nullable(Float64),
    psi Nullable(Float64),
    jensen_shannon Nullable(Float64),
    chi2_statistic Nullable(Float64),
    chi2_p_value Nullable(Float64),
    current_count Int64,
    current_missing Int64,
    current_unseen Int64 DEFAULT 0, -- categorical values the baseline never saw (added after release)
    updated_ms Int64
) ENGINE = ReplacingMergeTree(updated_ms)
PARTITION BY toYYYYMM(window_start)
ORDER BY (model, version, environment, window_start, feature);

-- Alert transitions (firing, resolved); the latest state of an alert wins.
-- details is the event's details map as a JSON object (18.16 has no Map).
CREATE TABLE IF NOT EXISTS mlobs.alerts (
    alert_id String,
    rule String,
    severity String,
    status String,
    model String,
    version String,
    environment String DEFAULT 'production',
    source String DEFAULT 'stream',
    summary String,
    metric String,
    value Float64,
    threshold Float64,
    window_start DateTime,
    window_end DateTime,
    started_at DateTime,
    updated_at DateTime,
    reason String DEFAULT '',
    details String DEFAULT '{}',
    updated_ms Int64
) ENGINE = ReplacingMergeTree(updated_ms)
PARTITION BY toYYYYMM(started_at)
ORDER BY (alert_id);

-- What the agent proposed, who approved it, what it did and how it ended;
-- the latest state of an action wins. incident_id is empty for an action
-- asked for over MCP; evidence is the report's evidence claims (JSON).
CREATE TABLE IF NOT EXISTS mlobs.agent_actions (
    action_id String,
    incident_id String DEFAULT '',
    alert_id String,
    model String,
    environment String DEFAULT 'production',
    version String,
    action String,
    target_version String,
    expected_effect String DEFAULT '',
    status String,
    root_cause String,
    evidence String,
    requested_by String,
    approved_by String,
    result String,
    created_at DateTime,
    updated_at DateTime,
    updated_ms Int64
) ENGINE = ReplacingMergeTree(updated_ms)
PARTITION BY toYYYYMM(created_at)
ORDER BY (action_id);

-- The agent's incidents (`mlobs agent run`): one row per incident, the
-- latest state wins. node is where in the graph it is (monitor,
-- investigate, reason, act, verify, closed); report is the investigation
-- report of `mlobs agent investigate` as JSON; narration the LLM
-- narrator's words (JSON, empty without one).
CREATE TABLE IF NOT EXISTS mlobs.incidents (
    incident_id String,
    model String,
    environment String,
    node String,
    status String,
    alerts Array(String),
    firing Array(String),
    root_cause String,
    feature String,
    version String,
    confidence Float64,
    action_id String,
    resolution String,
    report String,
    narration String,
    opened_at DateTime,
    updated_at DateTime,
    updated_ms Int64
) ENGINE = ReplacingMergeTree(updated_ms)
PARTITION BY toYYYYMM(opened_at)
ORDER BY (incident_id);

-- Every change of what serves (`mlobs model promote|rollback|traffic`):
-- who, why and when, with what it replaced. Written once per change; the
-- key makes a retried insert replace itself.
CREATE TABLE IF NOT EXISTS mlobs.registry_events (
    event_time DateTime,
    event_time_ms Int64,
    model String,
    action String,
    version String,
    previous_version String,
    share Float64,
    previous_share Float64,
    actor String,
    reason String
) ENGINE = ReplacingMergeTree(event_time_ms)
PARTITION BY toYYYYMM(event_time)
ORDER BY (model, event_time_ms, action, version);
