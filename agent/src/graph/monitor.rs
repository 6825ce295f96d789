//! The Monitor node: firing alerts of one model (in one environment) make
//! one incident; alerts that fire while it is open join it; resolved
//! alerts leave its firing set. Pure: the worker feeds it every
//! `AlertEvent` it reads, in order, and replaying one changes nothing.

use std::collections::BTreeMap;

use mlobs_schemas::{AlertEvent, AlertStatus};

use super::incident::{incident_id, Incident, IncidentStatus, Node};

/// What one alert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Folded {
    /// It opened this incident.
    Opened(String),
    /// It changed this open incident (joined it, or resolved in it).
    Changed(String),
    /// Nothing to do (already known, or about no open incident).
    Unchanged,
}

/// Folds `alert` into `incidents` (all of them, by id) at `now_ms`.
pub fn fold(incidents: &mut BTreeMap<String, Incident>, alert: &AlertEvent, now_ms: i64) -> Folded {
    let open = incidents.values_mut().find(|i| {
        i.status == IncidentStatus::Open
            && i.model == alert.model
            && i.environment == alert.environment
    });
    match (alert.status, open) {
        (AlertStatus::Firing, Some(incident)) => {
            let joined = incident.alerts.insert(alert.alert_id.clone());
            let firing = incident.firing.insert(alert.alert_id.clone());
            if joined || firing {
                incident.updated_ms = now_ms;
                Folded::Changed(incident.incident_id.clone())
            } else {
                Folded::Unchanged
            }
        }
        (AlertStatus::Firing, None) => {
            let id = incident_id(&alert.model, &alert.alert_id);
            if incidents.contains_key(&id) {
                // Replayed after the incident closed.
                return Folded::Unchanged;
            }
            let ids = std::iter::once(alert.alert_id.clone()).collect();
            incidents.insert(
                id.clone(),
                Incident {
                    incident_id: id.clone(),
                    model: alert.model.clone(),
                    environment: alert.environment.clone(),
                    node: Node::Monitor,
                    status: IncidentStatus::Open,
                    opened_by: alert.alert_id.clone(),
                    alerts: ids,
                    firing: std::iter::once(alert.alert_id.clone()).collect(),
                    report: None,
                    narration: None,
                    action_id: None,
                    follow_up_ids: Vec::new(),
                    verify_after_ms: None,
                    resolution: String::new(),
                    opened_ms: now_ms,
                    updated_ms: now_ms,
                },
            );
            Folded::Opened(id)
        }
        (AlertStatus::Resolved, Some(incident)) => {
            if incident.firing.remove(&alert.alert_id) {
                incident.updated_ms = now_ms;
                Folded::Changed(incident.incident_id.clone())
            } else {
                Folded::Unchanged
            }
        }
        (AlertStatus::Resolved, None) => Folded::Unchanged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlobs_schemas::{AlertEvidence, Severity};

    fn alert(id: &str, model: &str, status: AlertStatus) -> AlertEvent {
        AlertEvent {
            alert_id: id.into(),
            rule: "accuracy_slo".into(),
            severity: Severity::Critical,
            status,
            model: model.into(),
            version: "2".into(),
            environment: "production".into(),
            summary: String::new(),
            source: "stream".into(),
            evidence: AlertEvidence {
                metric: "accuracy".into(),
                value: 0.9,
                threshold: 0.95,
                window_start: 0,
                window_end: 0,
            },
            started_at: 0,
            updated_at: 0,
            reason: String::new(),
            details: Default::default(),
        }
    }

    #[test]
    fn alerts_of_one_model_make_one_incident_and_a_replay_changes_nothing() {
        let mut incidents = BTreeMap::new();
        let Folded::Opened(id) = fold(
            &mut incidents,
            &alert("a1", "churn", AlertStatus::Firing),
            1,
        ) else {
            panic!("the first alert opens an incident")
        };
        assert_eq!(
            fold(
                &mut incidents,
                &alert("a2", "churn", AlertStatus::Firing),
                2
            ),
            Folded::Changed(id.clone())
        );
        assert!(matches!(
            fold(
                &mut incidents,
                &alert("b1", "fraud", AlertStatus::Firing),
                3
            ),
            Folded::Opened(_)
        ));
        assert_eq!(
            fold(
                &mut incidents,
                &alert("a2", "churn", AlertStatus::Firing),
                4
            ),
            Folded::Unchanged
        );
        fold(
            &mut incidents,
            &alert("a1", "churn", AlertStatus::Resolved),
            5,
        );
        let incident = &incidents[&id];
        assert_eq!(incident.alerts.len(), 2);
        assert_eq!(incident.firing.iter().collect::<Vec<_>>(), ["a2"]);
        assert_eq!(incidents.len(), 2);
    }

    #[test]
    fn a_closed_incident_is_not_reopened_by_its_replayed_alert() {
        let mut incidents = BTreeMap::new();
        let Folded::Opened(id) = fold(
            &mut incidents,
            &alert("a1", "churn", AlertStatus::Firing),
            1,
        ) else {
            panic!("opens")
        };
        incidents.get_mut(&id).unwrap().status = IncidentStatus::Resolved;
        assert_eq!(
            fold(
                &mut incidents,
                &alert("a1", "churn", AlertStatus::Firing),
                2
            ),
            Folded::Unchanged
        );
        assert!(matches!(
            fold(
                &mut incidents,
                &alert("a3", "churn", AlertStatus::Firing),
                3
            ),
            Folded::Opened(_)
        ));
    }
}
