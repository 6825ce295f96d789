//! Event markers shared by the dashboards: alerts (Prometheus's rules and
//! stage 2's stream rules) and registry changes (promotions, rollbacks,
//! traffic moves, from `registry_events`).

use crate::model::{promql, sql_table, Annotation};

/// Alerts of Prometheus's rules (infra/prometheus/rules), while firing.
pub fn prometheus_alerts() -> Annotation {
    Annotation {
        name: "Alerts (Prometheus rules)",
        color: "red",
        query: promql(
            r#"ALERTS{alertstate="firing", model="$model", environment="$environment"}"#,
            "",
        ),
        title: "{{alertname}} v{{version}}",
    }
}

/// Alerts of stage 2's rules, when they started (event time).
pub fn stream_alerts() -> Annotation {
    Annotation {
        name: "Alerts (mlobs stream rules)",
        color: "orange",
        query: sql_table(
            "SELECT min(started_at) AS time, any(concat(rule, ' v', version, ': ', summary)) AS text \
             FROM alerts WHERE model = '$model' AND environment = '$environment' \
             AND status = 'firing' AND $__timeFilter(started_at) GROUP BY alert_id ORDER BY time",
        ),
        title: "",
    }
}

/// Changes of what serves: who moved which alias, and why.
pub fn registry_changes() -> Annotation {
    Annotation {
        name: "Registry changes",
        color: "blue",
        query: sql_table(REGISTRY_EVENTS),
        title: "",
    }
}

/// The registry's audit trail of the selected model in the range.
pub const REGISTRY_EVENTS: &str =
    "SELECT event_time AS time, concat(action, ' v', version, ' (was v', previous_version, ') by ', actor, \
     if(reason = '', '', concat(': ', reason))) AS text FROM registry_events \
     WHERE model = '$model' AND $__timeFilter(event_time) ORDER BY time";
