//! Checks on decoded events that the schema cannot express. A record that
//! fails goes to the dead-letter topic with the reason.

use mlobs_schemas::{GroundTruthEvent, Outcome, PredictionEvent};

/// Why an event was refused: a short stable reason and a detail for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}: {detail}")]
pub struct Invalid {
    /// Stable short reason (dead-letter header, metric label).
    pub reason: &'static str,
    /// What exactly is wrong.
    pub detail: String,
}

/// Every reason an event is refused with (here and in the stage-1
/// operator), so that metrics can show a reason at 0 before its first event.
pub const REASONS: [&str; 6] = [
    "missing_field",
    "invalid_latency",
    "invalid_confidence",
    "invalid_event_time",
    "invalid_value",
    "too_many_versions",
];

impl Invalid {
    /// An invalid-event error.
    pub fn new(reason: &'static str, detail: impl Into<String>) -> Self {
        Invalid {
            reason,
            detail: detail.into(),
        }
    }
}

/// Event times before 2000-01-01 are taken as unit mistakes (seconds instead
/// of milliseconds); the end is the last second ClickHouse's `DateTime`
/// holds (2106-02-07T06:28:15Z), past which it would store a wrapped-around
/// time (microseconds instead of milliseconds land there too).
const PLAUSIBLE_MS: std::ops::RangeInclusive<i64> = 946_684_800_000..=4_294_967_295_999;

/// Empty or only whitespace; stops at the first other character (a
/// `trim()` on every id showed in the stage-1 profile).
fn is_blank(value: &str) -> bool {
    value.chars().all(char::is_whitespace)
}

/// Checks a prediction.
pub fn validate_prediction(event: &PredictionEvent) -> Result<(), Invalid> {
    for (field, value) in [
        ("prediction_id", &event.prediction_id),
        ("model", &event.model),
        ("version", &event.version),
    ] {
        if is_blank(value) {
            return Err(Invalid::new("missing_field", format!("{field} is empty")));
        }
    }
    check_time(event.event_time)?;
    if !(event.latency_ms.is_finite() && event.latency_ms >= 0.0) {
        return Err(Invalid::new(
            "invalid_latency",
            format!("latency_ms is {}", event.latency_ms),
        ));
    }
    if let Some(c) = event.confidence {
        if !(0.0..=1.0).contains(&c) {
            return Err(Invalid::new(
                "invalid_confidence",
                format!("confidence {c} is outside [0, 1]"),
            ));
        }
    }
    check_outcome("prediction", &event.prediction)
}

/// Checks a label.
pub fn validate_label(event: &GroundTruthEvent) -> Result<(), Invalid> {
    if is_blank(&event.prediction_id) {
        return Err(Invalid::new("missing_field", "prediction_id is empty"));
    }
    check_time(event.event_time)?;
    check_outcome("label", &event.label)
}

fn check_time(t: i64) -> Result<(), Invalid> {
    if PLAUSIBLE_MS.contains(&t) {
        Ok(())
    } else {
        Err(Invalid::new(
            "invalid_event_time",
            format!(
                "event_time {t} is not milliseconds since 1970 between 2000 and 2106-02-07 (the last time ClickHouse's DateTime holds)"
            ),
        ))
    }
}

fn check_outcome(field: &str, outcome: &Outcome) -> Result<(), Invalid> {
    match outcome {
        Outcome::Value(x) if !x.is_finite() => {
            Err(Invalid::new("invalid_value", format!("{field} is {x}")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    /// Every reason literal given to `Invalid::new` in the sources that
    /// refuse events (their code, not these tests) is in [`super::REASONS`].
    #[test]
    fn every_reason_in_the_code_is_listed() {
        let sources = [include_str!("validate.rs"), include_str!("stage1.rs")];
        let mut found = Vec::new();
        for source in sources {
            let code = source.split("#[cfg(test)]").next().unwrap();
            for (at, _) in code.match_indices("Invalid::new(") {
                let rest = code[at + "Invalid::new(".len()..].trim_start();
                if let Some(quoted) = rest.strip_prefix('"') {
                    found.push(quoted.split('"').next().unwrap().to_string());
                }
            }
        }
        for listed in super::REASONS {
            assert!(
                found.iter().any(|r| r == listed),
                "{listed} is in no code: {found:?}"
            );
        }
        for reason in &found {
            assert!(
                super::REASONS.contains(&reason.as_str()),
                "{reason} is not in REASONS"
            );
        }
    }
}
