//! What the narrator is asked, and whether its answer may be shown: the
//! category must be the diagnosis' own, and every number in the words must
//! be one the evidence holds (as written, rounded, or a fraction written
//! as a percentage). Anything else is discarded and the deterministic
//! report stands alone. Pure: no model is needed to test it.

use serde::{Deserialize, Serialize};

use crate::reason::{Category, InvestigationReport};

/// The narrator's words for one diagnosis, once checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Narration {
    /// One sentence: what went wrong.
    pub hypothesis: String,
    /// A few sentences: why the evidence says so, and what to do.
    pub explanation: String,
}

/// Why an answer was discarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discarded {
    /// Not the JSON object asked for.
    NotJson(String),
    /// A category that is not an id, or not the diagnosis' one.
    WrongCategory(String),
    /// A number the evidence does not hold.
    UnknownNumber(String),
}

impl Discarded {
    /// The label of `mlobs_agent_narrations_total`.
    pub fn outcome(&self) -> &'static str {
        match self {
            Discarded::NotJson(_) => "discarded_not_json",
            Discarded::WrongCategory(_) => "discarded_category",
            Discarded::UnknownNumber(_) => "discarded_number",
        }
    }
}

impl std::fmt::Display for Discarded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Discarded::NotJson(e) => write!(f, "the answer is not the JSON asked for: {e}"),
            Discarded::WrongCategory(c) => {
                write!(f, "the answer names category {c:?}, not the diagnosis' one")
            }
            Discarded::UnknownNumber(n) => write!(
                f,
                "the answer says {n}, a number the evidence does not hold"
            ),
        }
    }
}

/// The system and user messages for `report`.
pub fn messages(report: &InvestigationReport) -> (String, String) {
    let system = "You narrate the diagnosis of an ML monitoring agent for an on-call engineer. \
        You get the diagnosis as JSON. Answer with one JSON object and nothing else: \
        {\"category\": <the diagnosis' root_cause.category, unchanged>, \
        \"hypothesis\": <one sentence: what went wrong>, \
        \"explanation\": <at most four sentences: why the evidence says so and what the first proposed action does>}. \
        Use only numbers that appear in the diagnosis, written as they appear there; compute no new ones."
        .to_string();
    let user = serde_json::to_string_pretty(report).expect("reports serialize");
    (system, user)
}

/// The narration in `answer`, if it may be shown beside `report`.
pub fn accept(report: &InvestigationReport, answer: &str) -> Result<Narration, Discarded> {
    #[derive(Deserialize)]
    struct Answer {
        category: String,
        hypothesis: String,
        explanation: String,
    }
    // Models like to wrap JSON in prose or a code fence: take the object.
    let object = match (answer.find('{'), answer.rfind('}')) {
        (Some(start), Some(end)) if start < end => &answer[start..=end],
        _ => return Err(Discarded::NotJson("no JSON object".into())),
    };
    let parsed: Answer =
        serde_json::from_str(object).map_err(|e| Discarded::NotJson(e.to_string()))?;
    let category: Option<Category> =
        serde_json::from_value(serde_json::Value::String(parsed.category.clone())).ok();
    if category != Some(report.root_cause.category) {
        return Err(Discarded::WrongCategory(parsed.category));
    }
    let known = numbers(&serde_json::to_string(report).expect("reports serialize"));
    for (token, value) in tokens(&format!("{} {}", parsed.hypothesis, parsed.explanation)) {
        if !known.iter().any(|k| matches(value, decimals(&token), *k)) {
            return Err(Discarded::UnknownNumber(token));
        }
    }
    Ok(Narration {
        hypothesis: parsed.hypothesis,
        explanation: parsed.explanation,
    })
}

/// Whether `said` (written with `places` decimals) is `known`, rounded, or
/// `known` as a percentage.
fn matches(said: f64, places: i32, known: f64) -> bool {
    let half_unit = 0.5 * 10f64.powi(-places) + 1e-9;
    [known, known * 100.0]
        .iter()
        .any(|k| (k.abs() - said).abs() <= half_unit)
}

fn decimals(token: &str) -> i32 {
    token.split('.').nth(1).map_or(0, |d| d.len() as i32)
}

/// Every number in `text`, as values.
fn numbers(text: &str) -> Vec<f64> {
    tokens(text).into_iter().map(|(_, v)| v).collect()
}

/// The numbers written in `text` (digits with an optional decimal part,
/// not glued to a letter as in `p95` or `v2`), as written and as values;
/// signs are dropped (a fall "of 8" and a change "-8" say the same).
fn tokens(text: &str) -> Vec<(String, f64)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        if i > 0 && (chars[i - 1].is_alphabetic() || chars[i - 1] == '_') {
            // Part of a word (p95, v2): skip its digits too.
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
        }
        let token: String = chars[start..i].iter().collect();
        // An exponent (1e-9 in JSON) belongs to the number before it.
        if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
            let rest: String = chars[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '-' || **c == '+')
                .collect();
            if let Ok(value) = format!("{token}{rest}").parse::<f64>() {
                out.push((token, value));
                i += rest.len();
                continue;
            }
        }
        if let Ok(value) = token.parse::<f64>() {
            out.push((token, value));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> InvestigationReport {
        serde_json::from_value(serde_json::json!({
            "model": "churn", "window_start": "2026-01-05T09:00:00Z", "window_end": "2026-01-05T12:00:00Z",
            "symptoms": [{"alert": "accuracy_slo", "value": 0.878, "threshold": 0.95}],
            "root_cause": {"category": "data.drift", "feature": "monthly_charges", "version": null},
            "confidence": 0.9,
            "evidence": [{"claim": "monthly_charges mean 70.1 -> 87.6 (+25%), normalised Wasserstein 0.42 >= 0.1",
                          "metric": "monthly_charges.mean", "value": 87.6, "baseline": 70.1, "source": "clickhouse:feature_drift"}],
            "rejected": [], "proposed_actions": [{"action": "rollback", "target_version": "1", "expected_effect": "serve version 1"}]
        }))
        .unwrap()
    }

    fn answer(category: &str, explanation: &str) -> String {
        serde_json::json!({"category": category, "hypothesis": "The input drifted.", "explanation": explanation}).to_string()
    }

    #[test]
    fn numbers_from_the_evidence_pass_rounded_or_as_percentages() {
        let text = answer(
            "data.drift",
            "monthly_charges rose from 70 to 87.6 (+25%); accuracy fell to 87.8%, below 95%. Roll back to version 1.",
        );
        let wrapped = format!("Here you are:\n```json\n{text}\n```");
        let narration = accept(&report(), &wrapped).unwrap();
        assert_eq!(narration.hypothesis, "The input drifted.");
    }

    #[test]
    fn an_invented_number_or_another_category_is_discarded() {
        let invented = answer("data.drift", "accuracy fell by 12.5 points");
        assert_eq!(
            accept(&report(), &invented),
            Err(Discarded::UnknownNumber("12.5".into()))
        );
        let other = answer("model.version_bug", "version 1 is fine");
        assert_eq!(
            accept(&report(), &other),
            Err(Discarded::WrongCategory("model.version_bug".into()))
        );
        let unknown = answer("data.weather", "");
        assert!(matches!(
            accept(&report(), &unknown),
            Err(Discarded::WrongCategory(_))
        ));
        assert!(matches!(
            accept(&report(), "I think it is drift."),
            Err(Discarded::NotJson(_))
        ));
    }

    #[test]
    fn words_glued_to_digits_are_not_numbers() {
        let said: Vec<String> = tokens("p95 of v2 rose 3.5x to 120 ms")
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(said, ["3.5", "120"]);
    }
}
