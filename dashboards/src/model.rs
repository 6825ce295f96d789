//! The few Grafana concepts the dashboards use, as small Rust values that
//! turn into Grafana's dashboard JSON. Writing panels as values (rather
//! than editing five JSON files by hand) keeps ids, datasources, variables
//! and layout consistent: a panel only says what it shows.

use serde_json::{json, Value};

use crate::datasources::{CLICKHOUSE, PROMETHEUS};

/// Where a query runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// PromQL on the live metrics (wall-clock time, about 15 days kept).
    Prometheus,
    /// SQL on the ClickHouse history (event time, kept for good).
    ClickHouse,
}

impl Source {
    /// The datasource reference Grafana stores in panels and targets.
    pub fn reference(self) -> Value {
        match self {
            Source::Prometheus => json!({"type": "prometheus", "uid": PROMETHEUS}),
            Source::ClickHouse => {
                json!({"type": "grafana-clickhouse-datasource", "uid": CLICKHOUSE})
            }
        }
    }
}

/// What a SQL query returns: Grafana draws a time series from a `time`
/// column, a label column and value columns; a table as it comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Rows of time, optional label columns, then numbers.
    TimeSeries,
    /// Any rows.
    Table,
}

/// One query of a panel.
#[derive(Debug, Clone)]
pub struct Query {
    /// Where it runs.
    pub source: Source,
    /// PromQL or SQL, with Grafana's variables and macros.
    pub text: String,
    /// Series name pattern (PromQL's `{{label}}`); empty for the default.
    pub legend: &'static str,
    /// What it returns.
    pub shape: Shape,
}

/// A PromQL query whose series are named by `legend`.
pub fn promql(text: impl Into<String>, legend: &'static str) -> Query {
    Query {
        source: Source::Prometheus,
        text: text.into(),
        legend,
        shape: Shape::TimeSeries,
    }
}

/// A SQL query of rows (time, label, value...) drawn as time series.
pub fn sql_series(text: impl Into<String>) -> Query {
    Query {
        source: Source::ClickHouse,
        text: text.into(),
        legend: "",
        shape: Shape::TimeSeries,
    }
}

/// A SQL query shown as a table.
pub fn sql_table(text: impl Into<String>) -> Query {
    Query {
        source: Source::ClickHouse,
        text: text.into(),
        legend: "",
        shape: Shape::Table,
    }
}

impl Query {
    /// The Grafana target (query) object, `ref_id` being its letter.
    fn target(&self, ref_id: &str) -> Value {
        match self.source {
            Source::Prometheus => json!({
                "refId": ref_id,
                "datasource": self.source.reference(),
                "expr": self.text,
                "legendFormat": if self.legend.is_empty() { "__auto" } else { self.legend },
                "range": true,
            }),
            Source::ClickHouse => {
                let (query_type, format) = match self.shape {
                    Shape::TimeSeries => ("timeSeries", 0),
                    Shape::Table => ("table", 1),
                };
                json!({
                    "refId": ref_id,
                    "datasource": self.source.reference(),
                    "editorType": "sql",
                    "queryType": query_type,
                    "format": format,
                    "rawSql": self.text,
                })
            }
        }
    }
}

/// Grafana's panel types that the dashboards use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Lines over time.
    TimeSeries,
    /// Rows and columns.
    Table,
    /// Cells over time, coloured by value (one row per series).
    Heatmap,
    /// One big number per series.
    Stat,
}

impl Kind {
    /// Grafana's `type` of the panel.
    pub fn name(self) -> &'static str {
        match self {
            Kind::TimeSeries => "timeseries",
            Kind::Table => "table",
            Kind::Heatmap => "heatmap",
            Kind::Stat => "stat",
        }
    }
}

/// One panel: what it shows and how big it is.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Title, as users will search for it.
    pub title: &'static str,
    /// The hover text: what the numbers mean and where they come from.
    pub description: &'static str,
    /// How it is drawn.
    pub kind: Kind,
    /// Grafana unit id: `percentunit`, `ms`, `s`, `reqps`, `short`...
    pub unit: &'static str,
    /// Its queries, each one series or more.
    pub queries: Vec<Query>,
    /// Width in grid columns (24 in a row).
    pub width: u32,
}

impl Panel {
    /// A panel of `kind` and `unit`, half a row wide.
    pub fn new(kind: Kind, title: &'static str, unit: &'static str) -> Panel {
        Panel {
            title,
            description: "",
            kind,
            unit,
            queries: Vec::new(),
            width: 12,
        }
    }

    /// With hover text.
    pub fn about(mut self, description: &'static str) -> Panel {
        self.description = description;
        self
    }

    /// With one more query.
    pub fn query(mut self, query: Query) -> Panel {
        self.queries.push(query);
        self
    }

    /// `width` grid columns wide (24 is a whole row).
    pub fn wide(mut self, width: u32) -> Panel {
        self.width = width;
        self
    }

    /// The panel JSON at `position` (x, y, w, h), numbered `id`.
    fn to_json(&self, id: usize, position: (u32, u32, u32, u32)) -> Value {
        let (x, y, w, h) = position;
        let targets: Vec<Value> = self
            .queries
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let mut target = q.target(&ref_id(i));
                if self.kind == Kind::Heatmap && q.source == Source::Prometheus {
                    // Histogram buckets as heatmap rows, not as lines.
                    target["format"] = json!("heatmap");
                }
                target
            })
            .collect();
        let mut defaults = json!({"unit": self.unit});
        if self.unit == "percentunit" {
            defaults["min"] = json!(0);
            defaults["max"] = json!(1);
        }
        let mut panel = json!({
            "id": id,
            "type": self.kind.name(),
            "title": self.title,
            "description": self.description,
            "gridPos": {"x": x, "y": y, "w": w, "h": h},
            "datasource": self.queries.first().map(|q| q.source.reference()),
            "targets": targets,
            "fieldConfig": {"defaults": defaults, "overrides": []},
        });
        panel["options"] = match self.kind {
            Kind::TimeSeries => json!({
                "legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "mean"]},
                "tooltip": {"mode": "multi", "sort": "desc"},
            }),
            Kind::Heatmap => json!({
                "calculate": false,
                "yAxis": {"axisPlacement": "left"},
                "color": {"mode": "scheme", "scheme": "Reds"},
                "cellGap": 1,
            }),
            Kind::Stat => {
                json!({"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "background"})
            }
            Kind::Table => json!({"showHeader": true}),
        };
        panel
    }
}

/// A, B, C... as Grafana names a panel's queries.
fn ref_id(index: usize) -> String {
    char::from(b'A' + index as u8).to_string()
}

/// A line of events drawn over every time series of a dashboard.
#[derive(Debug, Clone)]
pub struct Annotation {
    /// What the toggle at the top of the dashboard says.
    pub name: &'static str,
    /// Marker colour.
    pub color: &'static str,
    /// The query: PromQL (a series present = an event) or SQL returning
    /// `time` and `text`.
    pub query: Query,
    /// PromQL only: the marker's title, from the series' labels.
    pub title: &'static str,
}

impl Annotation {
    fn to_json(&self) -> Value {
        let mut annotation = json!({
            "name": self.name,
            "enable": true,
            "iconColor": self.color,
            "datasource": self.query.source.reference(),
        });
        match self.query.source {
            Source::Prometheus => {
                annotation["expr"] = json!(self.query.text);
                annotation["step"] = json!("60s");
                annotation["titleFormat"] = json!(self.title);
                annotation["useValueForTime"] = json!(false);
            }
            Source::ClickHouse => annotation["target"] = self.query.target("Anno"),
        }
        annotation
    }
}

/// One dashboard: one file, one `uid` that links to it stay valid with.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Stable id (URLs, links, provisioning).
    pub uid: &'static str,
    /// Title in Grafana's list.
    pub title: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// Time range when opened, e.g. `now-24h`.
    pub from: &'static str,
    /// Panels, laid out left to right, top to bottom.
    pub panels: Vec<Panel>,
    /// Event markers.
    pub annotations: Vec<Annotation>,
}

/// Height of every panel in grid rows.
const PANEL_HEIGHT: u32 = 8;

/// The dashboard schema version written (Grafana 10.4 and 11).
pub const SCHEMA_VERSION: u64 = 39;

impl Dashboard {
    /// The file name it is written as.
    pub fn file_name(&self) -> String {
        format!("{}.json", self.uid)
    }

    /// Grafana's dashboard JSON.
    pub fn to_json(&self) -> Value {
        let (mut x, mut y) = (0, 0);
        let panels: Vec<Value> = self
            .panels
            .iter()
            .enumerate()
            .map(|(i, panel)| {
                if x + panel.width > 24 {
                    (x, y) = (0, y + PANEL_HEIGHT);
                }
                let json = panel.to_json(i + 1, (x, y, panel.width, PANEL_HEIGHT));
                x += panel.width;
                json
            })
            .collect();
        let annotations: Vec<Value> = self.annotations.iter().map(Annotation::to_json).collect();
        json!({
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["mlobs"],
            "editable": true,
            "timezone": "utc",
            "refresh": "30s",
            "schemaVersion": SCHEMA_VERSION,
            "version": 1,
            "time": {"from": self.from, "to": "now"},
            "templating": {"list": crate::variables::all()},
            "annotations": {"list": annotations},
            "links": [{"title": "mlobs", "type": "dashboards", "tags": ["mlobs"], "asDropdown": true}],
            "panels": panels,
        })
    }
}
