//! The structural checks Grafana applies when it loads a dashboard (and
//! the ones a broken import would only show as an empty panel), run on the
//! JSON itself: tests run them on the checked-in files. Also lists a
//! dashboard's queries, which the live-data test runs.

use std::collections::HashSet;

use serde_json::Value;

/// Panel types of a stock Grafana.
pub const KNOWN_PANEL_TYPES: [&str; 14] = [
    "timeseries",
    "table",
    "heatmap",
    "stat",
    "gauge",
    "bargauge",
    "barchart",
    "piechart",
    "state-timeline",
    "status-history",
    "histogram",
    "text",
    "logs",
    "row",
];

/// Dashboard schema versions Grafana 10 to 12 read without a migration
/// that could change panels.
pub const SCHEMA_VERSIONS: std::ops::RangeInclusive<u64> = 36..=41;

/// The variables every mlobs dashboard must offer.
pub const VARIABLES: [&str; 3] = ["model", "version", "environment"];

/// A datasource as provisioned: its plugin type and uid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datasource {
    /// Plugin id, e.g. `prometheus`.
    pub kind: String,
    /// The uid dashboards refer to it by.
    pub uid: String,
}

/// The datasources a Grafana provisioning file defines (its `type:` and
/// `uid:` keys under `datasources:`), read without a YAML parser: the file
/// is ours and flat.
pub fn provisioned(yaml: &str) -> Vec<Datasource> {
    let mut found: Vec<Datasource> = Vec::new();
    for line in yaml.lines() {
        let line = line.trim();
        if line.starts_with("- name:") {
            found.push(Datasource {
                kind: String::new(),
                uid: String::new(),
            });
        }
        let Some(last) = found.last_mut() else {
            continue;
        };
        if let Some(kind) = line.strip_prefix("type:") {
            last.kind = kind.trim().to_string();
        } else if let Some(uid) = line.strip_prefix("uid:") {
            last.uid = uid.trim().to_string();
        }
    }
    found
}

/// One query found in a dashboard: in a panel, a variable or an annotation.
#[derive(Debug, Clone)]
pub struct FoundQuery {
    /// Where it is: the panel title, `variable <name>` or `annotation <name>`.
    pub place: String,
    /// The panel type (`variable`, `annotation` for those).
    pub panel_type: String,
    /// The datasource uid.
    pub datasource: String,
    /// PromQL or SQL as written, variables unfilled.
    pub text: String,
    /// The legend pattern (PromQL targets), else empty.
    pub legend: String,
    /// `timeSeries` or `table` (SQL targets), else empty.
    pub query_type: String,
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

/// Every query of a dashboard.
pub fn queries(dashboard: &Value) -> Vec<FoundQuery> {
    let mut found = Vec::new();
    let none = Vec::new();
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    for panel in dashboard["panels"].as_array().unwrap_or(&none) {
        for target in list(&panel["targets"]) {
            found.push(FoundQuery {
                place: text(&panel["title"]),
                panel_type: text(&panel["type"]),
                datasource: text(&target["datasource"]["uid"]),
                text: text(&target["expr"]) + &text(&target["rawSql"]),
                legend: text(&target["legendFormat"]),
                query_type: text(&target["queryType"]),
            });
        }
    }
    for variable in list(&dashboard["templating"]["list"]) {
        found.push(FoundQuery {
            place: format!("variable {}", text(&variable["name"])),
            panel_type: "variable".into(),
            datasource: text(&variable["datasource"]["uid"]),
            text: text(&variable["query"]),
            legend: String::new(),
            query_type: "table".into(),
        });
    }
    for annotation in list(&dashboard["annotations"]["list"]) {
        found.push(FoundQuery {
            place: format!("annotation {}", text(&annotation["name"])),
            panel_type: "annotation".into(),
            datasource: text(&annotation["datasource"]["uid"]),
            text: text(&annotation["expr"]) + &text(&annotation["target"]["rawSql"]),
            legend: String::new(),
            query_type: text(&annotation["target"]["queryType"]),
        });
    }
    found
}

/// What is wrong with a set of dashboards, given the datasources
/// provisioned: empty when Grafana would load every panel.
pub fn problems(dashboards: &[Value], datasources: &[Datasource]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut uids = HashSet::new();
    for dashboard in dashboards {
        let uid = text(&dashboard["uid"]);
        let mut say = |what: String| problems.push(format!("dashboard {uid:?}: {what}"));
        if uid.is_empty() || uid.len() > 40 {
            say("a uid of 1 to 40 characters is required".into());
        }
        if !uids.insert(uid.clone()) {
            say("the uid is used by another dashboard".into());
        }
        if text(&dashboard["title"]).is_empty() {
            say("no title".into());
        }
        match dashboard["schemaVersion"].as_u64() {
            Some(v) if SCHEMA_VERSIONS.contains(&v) => {}
            other => say(format!(
                "schemaVersion {other:?} is not one of {SCHEMA_VERSIONS:?}"
            )),
        }
        let variables: Vec<String> = dashboard["templating"]["list"]
            .as_array()
            .map(|l| l.iter().map(|v| text(&v["name"])).collect())
            .unwrap_or_default();
        for wanted in VARIABLES {
            if !variables.iter().any(|v| v == wanted) {
                say(format!("no variable {wanted:?}"));
            }
        }
        panel_problems(dashboard, &mut say);
        datasource_problems(dashboard, datasources, &mut say);
    }
    problems
}

fn panel_problems(dashboard: &Value, say: &mut impl FnMut(String)) {
    let mut ids = HashSet::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        let title = text(&panel["title"]);
        match panel["id"].as_u64() {
            Some(id) if ids.insert(id) => {}
            Some(id) => say(format!("panel {title:?}: id {id} is used twice")),
            None => say(format!("panel {title:?}: no numeric id")),
        }
        let kind = text(&panel["type"]);
        if !KNOWN_PANEL_TYPES.contains(&kind.as_str()) {
            say(format!("panel {title:?}: unknown type {kind:?}"));
        }
        let grid = &panel["gridPos"];
        let (x, w, h) = (grid["x"].as_u64(), grid["w"].as_u64(), grid["h"].as_u64());
        match (x, w, h) {
            (Some(x), Some(w), Some(h)) if w > 0 && h > 0 && x + w <= 24 => {}
            _ => say(format!(
                "panel {title:?}: gridPos {grid} does not fit the 24 columns"
            )),
        }
        let mut ref_ids = HashSet::new();
        for target in panel["targets"].as_array().into_iter().flatten() {
            if !ref_ids.insert(text(&target["refId"])) {
                say(format!(
                    "panel {title:?}: refId {} is used twice",
                    target["refId"]
                ));
            }
        }
    }
}

fn datasource_problems(
    dashboard: &Value,
    datasources: &[Datasource],
    say: &mut impl FnMut(String),
) {
    for query in queries(dashboard) {
        if !datasources.iter().any(|d| d.uid == query.datasource) {
            say(format!(
                "{}: datasource uid {:?} is not provisioned",
                query.place, query.datasource
            ));
        }
        if query.text.trim().is_empty() {
            say(format!("{}: an empty query", query.place));
        }
    }
}
