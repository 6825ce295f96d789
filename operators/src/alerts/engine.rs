//! The alert state of one model's versions between windows.

use std::collections::{BTreeMap, VecDeque};

use mlobs_schemas::{AlertEvent, AlertEvidence, AlertStatus, WindowMetrics};
use serde::{Deserialize, Serialize};

use super::checks::{window_checks, Check, Trailing};
use super::lifecycle::{step, AlertIdentity, Firing, Phase, Transition};
use super::regression::{compare, Counts};
use super::{AlertThresholds, RuleId};

/// Windows of accuracy kept per version for the champion comparison.
const RECENT_WINDOWS: usize = 32;

/// Every version (per environment) of one model: its recent windows and the
/// phase of each of its alerts. Serializable, so the runtime can persist it
/// and a restart continues where the last run stopped.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelAlerts {
    model: String,
    #[serde(with = "crate::serde_pairs")]
    series: BTreeMap<SeriesKey, Series>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct SeriesKey {
    environment: String,
    version: String,
}

/// One rule on one subject (feature, error type) of a version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct AlertKey {
    rule: RuleId,
    subject: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Series {
    /// The last window evaluated; an older or equal one is a replay.
    last_start: Option<i64>,
    last_end: i64,
    window_ms: i64,
    recent: VecDeque<Counts>,
    /// The last window compared with the champion.
    compared_through: i64,
    trailing: Trailing,
    #[serde(with = "crate::serde_pairs")]
    alerts: BTreeMap<AlertKey, Phase>,
}

/// What a transition is about and when, for building its event.
struct Occasion<'a> {
    key: &'a SeriesKey,
    window_start: i64,
    window_end: i64,
}

impl ModelAlerts {
    /// No state yet for `model`.
    pub fn new(model: &str) -> Self {
        ModelAlerts {
            model: model.to_string(),
            series: BTreeMap::new(),
        }
    }

    /// The model this state belongs to.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Evaluates every rule on a completed window of this model and returns
    /// the alerts that changed state. A window at or before the version's
    /// last evaluated one (a replay after a restart) changes nothing.
    /// `champion` is the version the registry serves as champion, if known;
    /// `dataset_share` the share of drifted features that is dataset drift.
    pub fn on_window(
        &mut self,
        window: &WindowMetrics,
        t: &AlertThresholds,
        champion: Option<&str>,
        dataset_share: f64,
    ) -> Vec<AlertEvent> {
        let key = SeriesKey {
            environment: window.environment.clone(),
            version: window.version.clone(),
        };
        let mut events = Vec::new();
        let series = self.series.entry(key.clone()).or_default();
        if series
            .last_start
            .is_some_and(|last| window.window_start <= last)
        {
            return events;
        }
        if series.last_start.is_some() && window.window_start != series.last_end {
            // A gap: streaks end; long enough, firing alerts resolve.
            events.extend(resolve_if_idle(
                &self.model,
                &key,
                series,
                window.window_start,
                t,
            ));
            series
                .alerts
                .retain(|_, phase| matches!(phase, Phase::Firing(_)));
        }
        let watched: Vec<&str> = series
            .alerts
            .keys()
            .filter(|k| k.rule == RuleId::ErrorRate)
            .map(|k| k.subject.as_str())
            .collect();
        let checks = window_checks(window, t, dataset_share, &series.trailing, &watched);
        let occasion = Occasion {
            key: &key,
            window_start: window.window_start,
            window_end: window.window_end,
        };
        let mut keys: Vec<AlertKey> = checks
            .iter()
            .map(|c| AlertKey {
                rule: c.rule,
                subject: c.subject.clone(),
            })
            .collect();
        keys.extend(
            series
                .alerts
                .keys()
                .filter(|k| k.rule != RuleId::VersionRegression)
                .cloned(),
        );
        keys.sort();
        keys.dedup();
        for alert in keys {
            let check = checks
                .iter()
                .find(|c| c.rule == alert.rule && c.subject == alert.subject);
            events.extend(advance(
                &self.model,
                series,
                alert,
                check,
                &occasion,
                t.for_windows,
            ));
        }
        series
            .trailing
            .remember(&checks, window, t.trailing_windows);
        series.last_start = Some(window.window_start);
        series.last_end = window.window_end;
        series.window_ms = window.window_end - window.window_start;
        series.recent.push_back(Counts {
            start: window.window_start,
            end: window.window_end,
            labeled: window.labeled.max(0) as u64,
            correct: window.correct.max(0) as u64,
        });
        if series.recent.len() > RECENT_WINDOWS {
            series.recent.pop_front();
        }
        if let Some(champion) = champion {
            events.extend(self.compare_with(champion, &window.environment, t));
        }
        events
    }

    /// Resolves, with the reason `no_traffic`, the alerts of versions that
    /// received no window for `for_windows` windows before `now_ms` (the
    /// event time the stage has reached), and forgets versions idle long
    /// enough to have nothing left to compare.
    pub fn on_clock(&mut self, now_ms: i64, t: &AlertThresholds) -> Vec<AlertEvent> {
        let mut events = Vec::new();
        for (key, series) in &mut self.series {
            events.extend(resolve_if_idle(&self.model, key, series, now_ms, t));
        }
        let horizon = i64::from(t.for_windows.max(t.trailing_windows)) * 2;
        self.series.retain(|_, s| {
            !s.alerts.is_empty() || s.window_ms == 0 || now_ms - s.last_end < horizon * s.window_ms
        });
        events
    }

    /// Compares every other version of `environment` with the champion on
    /// the windows both have completed and not yet compared.
    fn compare_with(
        &mut self,
        champion: &str,
        environment: &str,
        t: &AlertThresholds,
    ) -> Vec<AlertEvent> {
        let champion_key = SeriesKey {
            environment: environment.to_string(),
            version: champion.to_string(),
        };
        let Some(reference) = self.series.get(&champion_key) else {
            return Vec::new();
        };
        let (reference, reference_last) =
            (reference.recent.clone(), reference.last_start.unwrap_or(0));
        let mut events = Vec::new();
        for (key, series) in &mut self.series {
            if key.environment != environment || key.version == champion {
                continue;
            }
            let due: Vec<Counts> = series
                .recent
                .iter()
                .filter(|c| c.start > series.compared_through && c.start <= reference_last)
                .copied()
                .collect();
            for window in due {
                let check = compare(
                    (&key.version, &series.recent),
                    (champion, &reference),
                    window.start,
                    t,
                );
                let occasion = Occasion {
                    key,
                    window_start: window.start,
                    window_end: window.end,
                };
                let alert = AlertKey {
                    rule: RuleId::VersionRegression,
                    subject: String::new(),
                };
                // Pooled over for_windows windows already: one verdict decides.
                events.extend(advance(
                    &self.model,
                    series,
                    alert,
                    check.as_ref(),
                    &occasion,
                    1,
                ));
                series.compared_through = window.start;
            }
        }
        events
    }
}

/// Steps one alert and returns its event, if it changed state.
fn advance(
    model: &str,
    series: &mut Series,
    alert: AlertKey,
    check: Option<&Check>,
    at: &Occasion<'_>,
    for_windows: u32,
) -> Option<AlertEvent> {
    let identity = AlertIdentity {
        rule: alert.rule,
        model,
        version: &at.key.version,
        environment: &at.key.environment,
        subject: &alert.subject,
    };
    let phase = series.alerts.remove(&alert);
    let (next, transition) = step(phase, check, &identity, at.window_end, for_windows);
    if let Some(next) = next {
        series.alerts.insert(alert.clone(), next);
    }
    let check = check?;
    let evidence = AlertEvidence {
        metric: check.metric.clone(),
        value: check.value,
        threshold: check.threshold,
        window_start: at.window_start,
        window_end: at.window_end,
    };
    Some(match transition? {
        Transition::Fired(f) => event(
            &identity,
            &f,
            AlertStatus::Firing,
            &check.summary,
            evidence,
            "",
            &check.details,
        ),
        Transition::Recovered(f) => {
            let summary = format!("resolved: {}", check.summary);
            event(
                &identity,
                &f,
                AlertStatus::Resolved,
                &summary,
                evidence,
                "recovered",
                &check.details,
            )
        }
    })
}

/// Resolves the firing alerts of a version idle for `for_windows` windows
/// before `now_ms`; their event is dated at the end of the last empty window.
fn resolve_if_idle(
    model: &str,
    key: &SeriesKey,
    series: &mut Series,
    now_ms: i64,
    t: &AlertThresholds,
) -> Vec<AlertEvent> {
    let idle_until = series.last_end + i64::from(t.for_windows) * series.window_ms;
    if series.window_ms == 0 || now_ms < idle_until || series.alerts.is_empty() {
        return Vec::new();
    }
    let alerts = std::mem::take(&mut series.alerts);
    alerts
        .into_iter()
        .filter_map(|(alert, phase)| match phase {
            Phase::Firing(firing) => Some((alert, firing)),
            Phase::Pending { .. } => None,
        })
        .map(|(alert, firing)| {
            let identity = AlertIdentity {
                rule: alert.rule,
                model,
                version: &key.version,
                environment: &key.environment,
                subject: &alert.subject,
            };
            let evidence = AlertEvidence {
                metric: "predictions".into(),
                value: 0.0,
                threshold: 0.0,
                window_start: series.last_end,
                window_end: idle_until,
            };
            let summary = format!(
                "resolved: v{} received no predictions for {} windows",
                key.version, t.for_windows
            );
            let mut details = BTreeMap::new();
            if !alert.subject.is_empty() {
                details.insert("subject".to_string(), alert.subject.clone());
            }
            let mut event = event(
                &identity,
                &firing,
                AlertStatus::Resolved,
                &summary,
                evidence,
                "no_traffic",
                &details,
            );
            event.updated_at = idle_until;
            event
        })
        .collect()
}

fn event(
    id: &AlertIdentity<'_>,
    firing: &Firing,
    status: AlertStatus,
    summary: &str,
    evidence: AlertEvidence,
    reason: &str,
    details: &BTreeMap<String, String>,
) -> AlertEvent {
    AlertEvent {
        alert_id: firing.alert_id.clone(),
        rule: id.rule.name().to_string(),
        severity: id.rule.severity(),
        status,
        model: id.model.to_string(),
        version: id.version.to_string(),
        environment: id.environment.to_string(),
        summary: summary.to_string(),
        source: "stream".to_string(),
        updated_at: evidence.window_end,
        evidence,
        started_at: firing.started_at,
        reason: reason.to_string(),
        details: details.clone(),
    }
}
