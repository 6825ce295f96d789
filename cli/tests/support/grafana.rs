//! What Grafana does to a dashboard query before it runs it: fill in the
//! variables and the time macros, as Grafana 11 and the ClickHouse plugin
//! (v4, pkg/macros) do, so that tests run the queries a user's Grafana
//! would send; and run them against the test's services, checking that
//! what comes back is what the panel draws.

use mlobs_dashboards::check::{self, FoundQuery};
use mlobs_dashboards::datasources::PROMETHEUS;
use serde_json::Value;

use super::services::prometheus_range;
use super::Pipeline;

/// The dashboard variables as a user picks them.
pub struct Selection<'a> {
    pub model: &'a str,
    pub environment: &'a str,
    /// One version, or `None` for All (the variable's allValue, `.*`).
    pub version: Option<&'a str>,
}

/// The time picker's range, Unix seconds.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start_s: i64,
    pub end_s: i64,
}

/// `query` with every variable and macro filled in; `rate_interval` is
/// what Grafana computes for `$__rate_interval` (four scrape intervals at
/// least). Panics on a `$name` left over: a macro this does not know.
pub fn fill(query: &str, selection: &Selection, span: Span, rate_interval: &str) -> String {
    let version = selection.version.unwrap_or(".*");
    let mut text = query
        .replace("${version:regex}", version)
        .replace("$version", version)
        .replace("$model", selection.model)
        .replace("$environment", selection.environment)
        .replace("$__rate_interval", rate_interval)
        .replace("$__interval", rate_interval)
        .replace("$__fromTime", &format!("toDateTime({})", span.start_s))
        .replace("$__toTime", &format!("toDateTime({})", span.end_s));
    while let Some(at) = text.find("$__timeFilter(") {
        let open = at + "$__timeFilter(".len();
        let close = open + text[open..].find(')').expect("a closing parenthesis");
        let column = text[open..close].trim().to_string();
        let filter = format!(
            "{column} >= toDateTime({}) AND {column} <= toDateTime({})",
            span.start_s, span.end_s
        );
        text.replace_range(at..=close, &filter);
    }
    let left = text.char_indices().find(|(i, c)| {
        *c == '$'
            && text[i + 1..]
                .chars()
                .next()
                .is_some_and(|n| n.is_ascii_alphabetic() || n == '_' || n == '{')
    });
    assert!(left.is_none(), "an unknown variable or macro in {text}");
    text
}

/// The `{{label}}` names a legend pattern uses.
pub fn legend_labels(legend: &str) -> Vec<&str> {
    legend
        .split("{{")
        .skip(1)
        .filter_map(|part| part.split("}}").next())
        .map(str::trim)
        .collect()
}

/// What Grafana makes of `$__rate_interval` with the private Prometheus's
/// 1 s scrapes of test targets (at least four scrapes).
pub const RATE_INTERVAL: &str = "10s";

/// The checked-in dashboards (the generator's output, checked elsewhere).
pub fn dashboards() -> Vec<Value> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/grafana/dashboards");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap())
        .collect()
}

/// Runs one dashboard query; `Err` says why it does not do its job.
pub fn run(
    pipeline: &Pipeline,
    prometheus: &str,
    query: &FoundQuery,
    selection: &Selection,
    wall: Span,
    events: Span,
) -> Result<Value, String> {
    if query.datasource == PROMETHEUS {
        let promql = fill(&query.text, selection, wall, RATE_INTERVAL);
        let data = prometheus_range(prometheus, &promql, wall.start_s, wall.end_s, 2)?;
        let series = data["result"].as_array().cloned().unwrap_or_default();
        let with_values = series
            .iter()
            .filter(|s| {
                s["values"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|v| v[1] != "NaN")
            })
            .count();
        if with_values == 0 {
            return Err(format!("no data for {promql}"));
        }
        for label in legend_labels(&query.legend) {
            if series.iter().any(|s| s["metric"][label].is_null()) {
                return Err(format!(
                    "the legend's {label} is not a label of every series of {promql}"
                ));
            }
        }
        return Ok(data);
    }
    let span = if query.text.contains("registry_events") {
        wall
    } else {
        events
    };
    let sql = fill(&query.text, selection, span, RATE_INTERVAL);
    let answer = pipeline.history_compact(&sql)?;
    let rows = answer["data"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return Err(format!("no rows for {sql}"));
    }
    let columns: Vec<(String, String)> = answer["meta"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |name: &str| columns.iter().any(|(n, _)| n == name);
    let shaped = match (query.panel_type.as_str(), query.query_type.as_str()) {
        ("variable", _) => columns.len() == 1,
        ("annotation", _) => has("time") && has("text"),
        (_, "timeSeries") => {
            columns[0].0 == "time"
                && columns[0].1.starts_with("DateTime")
                && columns.iter().any(|(_, t)| {
                    ["Float", "Int", "UInt", "Nullable(Float"]
                        .iter()
                        .any(|p| t.starts_with(p))
                })
        }
        _ => !columns.is_empty(),
    };
    match shaped {
        true => Ok(answer),
        false => Err(format!(
            "columns {columns:?} are not what a {} panel draws, of {sql}",
            query.panel_type
        )),
    }
}

/// The rows of the SQL panel `title` of dashboard `uid`.
pub fn panel_rows(
    pipeline: &Pipeline,
    uid: &str,
    title: &str,
    selection: &Selection,
    events: Span,
) -> Vec<Value> {
    let dashboard = dashboards().into_iter().find(|d| d["uid"] == uid).unwrap();
    let query = check::queries(&dashboard)
        .into_iter()
        .find(|q| q.place == title)
        .unwrap();
    let answer = run(pipeline, "", &query, selection, events, events).unwrap();
    answer["data"].as_array().unwrap().clone()
}
