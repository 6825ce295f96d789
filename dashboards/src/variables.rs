//! The dashboard variables: model, environment and version(s), listed
//! from the ClickHouse history (every model ever seen, not only those
//! Prometheus still holds), each narrowing the next.

use serde_json::{json, Value};

use crate::model::Source;

/// One variable listed by a SQL query.
fn listed(name: &str, label: &str, sql: &str, several: bool) -> Value {
    let mut variable = json!({
        "name": name,
        "label": label,
        "type": "query",
        "datasource": Source::ClickHouse.reference(),
        "query": sql,
        "definition": sql,
        "refresh": 2,
        "sort": 1,
        "multi": several,
        "includeAll": several,
    });
    if several {
        variable["allValue"] = json!(".*");
        variable["current"] = json!({"text": ["All"], "value": ["$__all"]});
    }
    variable
}

/// The variables every dashboard has, in the order they narrow.
pub fn all() -> Vec<Value> {
    vec![
        listed(
            "model",
            "Model",
            "SELECT DISTINCT model FROM window_metrics ORDER BY model",
            false,
        ),
        listed(
            "environment",
            "Environment",
            "SELECT DISTINCT environment FROM window_metrics WHERE model = '$model' ORDER BY environment",
            false,
        ),
        listed(
            "version",
            "Version",
            "SELECT DISTINCT version FROM window_metrics WHERE model = '$model' AND environment = '$environment' ORDER BY version",
            true,
        ),
    ]
}
