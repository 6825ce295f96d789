//! `mlobs agent timeline`: what happened to a model, in the order it
//! happened, read from ClickHouse: each completed window's accuracy and
//! drifted features, alerts, the agent's diagnosis and options, its
//! actions and each step of a retrain, moves in the registry, and how the
//! incident closed. Each line starts with the event time the history had
//! reached when it happened (a window completes some time after its end,
//! once its late labels are in), so a replayed or simulated story reads
//! like a live one. `--follow` keeps printing as the story goes on (the `make
//! demo` screen).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use mlobs_pipeline::sinks::clickhouse::query::{num, quote, text};
use mlobs_pipeline::sinks::clickhouse::ClickHouse;
use mlobs_pipeline::Config;
use mlobs_schemas::time::format_rfc3339;
use serde_json::Value;

use crate::{bad_input, out};

#[derive(clap::Args)]
pub struct TimelineArgs {
    /// The model.
    #[arg(long)]
    model: String,
    /// Keep printing new events, once a second.
    #[arg(long)]
    follow: bool,
    /// With --follow: stop once an incident of the model has closed and
    /// the registry has been quiet for 10 s after it.
    #[arg(long, requires = "follow")]
    until_closed: bool,
    /// With --follow: stop after this many seconds in any case.
    #[arg(long, default_value_t = 600, requires = "follow")]
    timeout_s: u64,
}

/// How long the registry must be quiet after an incident closed before
/// `--until-closed` stops (a promotion may follow the rollback).
const SETTLE: Duration = Duration::from_secs(10);

pub fn execute(config: &Config, args: TimelineArgs) -> anyhow::Result<()> {
    let clickhouse = ClickHouse::from_config(&config.clickhouse)?.ok_or_else(|| {
        bad_input!(
            "clickhouse.url is empty: the timeline reads the history from ClickHouse; set it"
        )
    })?;
    let mut timeline = Timeline {
        clickhouse,
        model: quote(&args.model),
        seen: HashSet::new(),
        closed: false,
    };
    let deadline = Instant::now() + Duration::from_secs(args.timeout_s);
    let mut quiet_since: Option<Instant> = None;
    loop {
        let lines = timeline.poll()?;
        for line in &lines {
            out!("{line}");
        }
        if !args.follow || Instant::now() >= deadline {
            return Ok(());
        }
        if args.until_closed && timeline.closed {
            let quiet = quiet_since.get_or_insert_with(Instant::now);
            if !lines.is_empty() {
                *quiet = Instant::now();
            }
            if quiet.elapsed() >= SETTLE {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// The history read so far.
struct Timeline {
    clickhouse: ClickHouse,
    /// The model, quoted for SQL.
    model: String,
    /// Keys of the events printed.
    seen: HashSet<String>,
    /// Whether an incident of the model has closed.
    closed: bool,
}

impl Timeline {
    fn rows(&self, sql: &str) -> anyhow::Result<Vec<Value>> {
        let sql = sql
            .replace("{db}", self.clickhouse.database())
            .replace("{model}", &self.model);
        Ok(self.clickhouse.json_rows(&sql)?)
    }

    /// The events not printed yet, as lines.
    fn poll(&mut self) -> anyhow::Result<Vec<String>> {
        let now = self
            .rows("SELECT max(event_time_ms) AS t FROM {db}.inference_log WHERE model = {model}")?;
        let now = now.first().and_then(|r| num(&r["t"])).unwrap_or(0.0) as i64;
        let mut lines = Vec::new();
        let mut emit = |seen: &mut HashSet<String>, key: String, at_ms: i64, what: String| {
            if seen.insert(key) {
                lines.push(format!("{}  {what}", clock(at_ms)));
            }
        };
        for w in self.rows(WINDOWS)? {
            let start = num(&w["s"]).unwrap_or_default() as i64;
            emit(
                &mut self.seen,
                format!("w{start}"),
                start + num(&w["d"]).unwrap_or_default() as i64,
                window(&w),
            );
        }
        for a in self.rows(ALERTS)? {
            let key = format!("a{}{}", text(&a["alert_id"]), text(&a["status"]));
            emit(&mut self.seen, key, now, alert(&a));
        }
        for i in self.rows(INCIDENTS)? {
            let key = format!("i{}{}", text(&i["incident_id"]), text(&i["node"]));
            let Some(what) = incident(&i) else { continue };
            self.closed |= text(&i["status"]) != "open";
            emit(&mut self.seen, key, now, what);
        }
        for a in self.rows(ACTIONS)? {
            let key = format!("x{}{}", text(&a["action_id"]), text(&a["status"]));
            emit(&mut self.seen, key, now, action(&a));
        }
        for r in self.rows(REGISTRY)? {
            let key = format!("r{}{}", text(&r["event_time_ms"]), text(&r["action"]));
            emit(&mut self.seen, key, now, registry(&r));
        }
        Ok(lines)
    }
}

// ClickHouse 18.16: joins of subqueries with USING (no ON), and no alias
// that shadows a column the same query filters on.
const WINDOWS: &str = "SELECT s, d, l, c, p95, versions, drifted_features AS drifted FROM \
    (SELECT window_start_ms AS s, any(toInt64(toUnixTimestamp(window_end)) * 1000 - window_start_ms) AS d, \
     sum(labeled) AS l, sum(correct) AS c, max(latency_p95_ms) AS p95, \
     groupArray(concat(version, ' ', toString(round(100 * ifNull(accuracy, 0), 1)), '%')) AS versions \
     FROM {db}.window_metrics FINAL WHERE model = {model} AND complete = 1 AND predictions > 0 \
     GROUP BY window_start_ms) \
    ANY LEFT JOIN \
    (SELECT window_start_ms AS s, groupUniqArray(feature) AS drifted_features FROM {db}.feature_drift FINAL \
     WHERE model = {model} AND drifted = 1 GROUP BY window_start_ms) \
    USING s ORDER BY s";
const ALERTS: &str =
    "SELECT alert_id, status, rule, summary FROM {db}.alerts WHERE model = {model} \
    AND status IN ('firing', 'resolved') ORDER BY updated_ms";
const INCIDENTS: &str = "SELECT incident_id, node, status, report, resolution FROM {db}.incidents \
    WHERE model = {model} ORDER BY updated_ms";
const ACTIONS: &str =
    "SELECT action_id, action, status, target_version, expected_effect, approved_by, result \
    FROM {db}.agent_actions WHERE model = {model} ORDER BY updated_ms";
const REGISTRY: &str =
    "SELECT event_time_ms, action, version, previous_version, actor FROM {db}.registry_events \
    WHERE model = {model} ORDER BY event_time_ms";

/// `HH:MM` of event time (`--:--` before the first prediction).
fn clock(ms: i64) -> String {
    if ms <= 0 {
        return "--:--".into();
    }
    let t = format_rfc3339(ms);
    t.get(11..16).unwrap_or(&t).to_string()
}

fn window(w: &Value) -> String {
    let (labeled, correct) = (num(&w["l"]).unwrap_or(0.0), num(&w["c"]).unwrap_or(0.0));
    let accuracy = if labeled > 0.0 {
        format!("{:.1}%", 100.0 * correct / labeled)
    } else {
        "-".into()
    };
    let mut versions: Vec<String> = w["versions"]
        .as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default();
    versions.sort();
    let drifted: Vec<String> = w["drifted"]
        .as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default();
    let start = num(&w["s"]).unwrap_or_default() as i64;
    let end = start + num(&w["d"]).unwrap_or_default() as i64;
    format!(
        "window {}-{} complete: accuracy {accuracy} of {labeled} labeled (version {}), p95 {:.0} ms{}",
        clock(start),
        clock(end),
        versions.join(", version "),
        num(&w["p95"]).unwrap_or(0.0),
        if drifted.is_empty() {
            String::new()
        } else {
            format!(", drifted: {}", drifted.join(", "))
        }
    )
}

fn alert(a: &Value) -> String {
    let status = text(&a["status"]);
    let mark = if status == "firing" {
        "ALERT"
    } else {
        "alert resolved"
    };
    format!("{mark}  {}: {}", text(&a["rule"]), text(&a["summary"]))
}

/// What the agent said at this node, if anything worth a line.
fn incident(i: &Value) -> Option<String> {
    match text(&i["node"]).as_str() {
        "monitor" => Some("agent   incident opened; investigating".into()),
        "act" => {
            let report: Value = serde_json::from_str(&text(&i["report"])).ok()?;
            Some(diagnosis(&report))
        }
        "closed" => Some(format!(
            "agent   incident {}: {}",
            text(&i["status"]),
            text(&i["resolution"])
        )),
        _ => None,
    }
}

/// The diagnosis and the options, as the report has them.
fn diagnosis(report: &Value) -> String {
    let cause = &report["root_cause"];
    let category = text(&cause["category"]);
    let feature = text(&cause["feature"]);
    let what = match category.as_str() {
        "data.drift" => format!("input drift on {feature}"),
        other if !feature.is_empty() => format!("{other} on {feature}"),
        other => other.to_string(),
    };
    let not_model = report["rejected"]
        .as_array()
        .and_then(|r| {
            r.iter()
                .find(|x| text(&x["category"]).starts_with("model."))
        })
        .map(|x| format!(", not a model bug ({})", text(&x["why"])))
        .unwrap_or_default();
    let mut out = format!(
        "agent   diagnosis: {what}{not_model}; confidence {:.0}%",
        100.0 * num(&report["confidence"]).unwrap_or(0.0)
    );
    let evidence = report["evidence"].as_array().cloned().unwrap_or_default();
    for claim in evidence.iter().take(2) {
        out.push_str(&format!("\n        evidence: {}", text(&claim["claim"])));
    }
    let options = report["proposed_actions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (letter, option) in ('A'..='Z').zip(&options) {
        let target = text(&option["target_version"]);
        let to = if target.is_empty() {
            String::new()
        } else {
            format!(" to version {target}")
        };
        out.push_str(&format!(
            "\n        Option {letter}: {}{to}: {}",
            text(&option["action"]),
            text(&option["expected_effect"])
        ));
    }
    out
}

fn action(a: &Value) -> String {
    let name = text(&a["action"]);
    let status = text(&a["status"]);
    if let Some(step) = name.strip_prefix("retrain.") {
        return format!("retrain   {step}: {} ({status})", text(&a["result"]));
    }
    let target = text(&a["target_version"]);
    let what = if target.is_empty() {
        name
    } else {
        format!("{name} to version {target}")
    };
    match status.as_str() {
        "approved" => format!("agent   {what}: approved by {}", text(&a["approved_by"])),
        "awaiting_approval" => format!(
            "agent   {what}: awaiting approval (`mlobs agent approve {}`)",
            text(&a["action_id"])
        ),
        "executing" => format!("agent   {what}: started"),
        _ => format!("agent   {what}: {status}: {}", text(&a["result"])),
    }
}

fn registry(r: &Value) -> String {
    let (action, version, before) = (
        text(&r["action"]),
        text(&r["version"]),
        text(&r["previous_version"]),
    );
    let what = match action.as_str() {
        "traffic" => format!("version {version} is the challenger"),
        _ if before.is_empty() => format!("champion is version {version}"),
        _ => format!("champion {before} -> {version}"),
    };
    format!("registry  {what} ({action} by {})", text(&r["actor"]))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn a_diagnosis_names_the_cause_what_it_is_not_and_the_options() {
        let report = json!({
            "root_cause": {"category": "data.drift", "feature": "monthly_charges"},
            "confidence": 0.9,
            "rejected": [{"category": "model.version_bug", "why": "version 1 fell too"}],
            "evidence": [{"claim": "monthly_charges mean x1.8"}],
            "proposed_actions": [
                {"action": "rollback", "target_version": "1", "expected_effect": "back to 95%"},
                {"action": "retrain", "target_version": null, "expected_effect": "long term"}
            ]
        });
        let text = super::diagnosis(&report);
        assert!(text.starts_with("agent   diagnosis: input drift on monthly_charges, not a model bug (version 1 fell too); confidence 90%"), "{text}");
        assert!(
            text.contains("Option A: rollback to version 1: back to 95%"),
            "{text}"
        );
        assert!(text.contains("Option B: retrain: long term"), "{text}");
        assert!(
            text.contains("evidence: monthly_charges mean x1.8"),
            "{text}"
        );
    }

    #[test]
    fn steps_and_registry_moves_read_as_sentences() {
        let step =
            json!({"action": "retrain.evaluate", "status": "executed", "result": "new 96.5%"});
        assert_eq!(
            super::action(&step),
            "retrain   evaluate: new 96.5% (executed)"
        );
        let moved = json!({"action": "rollback", "version": "1", "previous_version": "2", "actor": "mlobs-agent"});
        assert_eq!(
            super::registry(&moved),
            "registry  champion 2 -> 1 (rollback by mlobs-agent)"
        );
        assert_eq!(super::clock(1_767_603_600_000), "09:00");
    }
}
