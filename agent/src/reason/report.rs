//! The output of `mlobs agent investigate`: the stable JSON contract of
//! issue 11, and a plain-text rendering of the same content.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::category::Category;
use super::diagnosis::{Diagnosis, Rejection};
use super::evidence::Evidence;
use super::hypothesis::{num, EvidenceLine};
use super::remedies::Remedy;

/// A firing alert as the contract shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SymptomOut {
    /// Rule id.
    pub alert: String,
    /// Observed value.
    pub value: f64,
    /// Threshold crossed.
    pub threshold: f64,
}

/// The cause named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RootCause {
    /// Category id.
    pub category: Category,
    /// The feature at fault, or null.
    pub feature: Option<String>,
    /// The version at fault, or null.
    pub version: Option<String>,
}

/// The contract: field names and order are what scripts read; change them
/// only with a new contract version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvestigationReport {
    /// Model name.
    pub model: String,
    /// Start of the span investigated (RFC 3339).
    pub window_start: String,
    /// End of the span investigated (RFC 3339).
    pub window_end: String,
    /// The firing alerts.
    pub symptoms: Vec<SymptomOut>,
    /// The cause.
    pub root_cause: RootCause,
    /// In [0, 1].
    pub confidence: f64,
    /// Facts with numbers.
    pub evidence: Vec<EvidenceLine>,
    /// Every alternative with the reason it was rejected.
    pub rejected: Vec<Rejection>,
    /// Ranked remedies.
    pub proposed_actions: Vec<Remedy>,
}

impl InvestigationReport {
    /// Assembles the report of `d` and `remedies` over `ev`.
    pub fn new(ev: &Evidence, d: &Diagnosis, remedies: Vec<Remedy>) -> Self {
        InvestigationReport {
            model: ev.model.clone(),
            window_start: ev.window_start.clone(),
            window_end: ev.window_end.clone(),
            symptoms: ev
                .symptoms
                .iter()
                .map(|s| SymptomOut {
                    alert: s.alert.clone(),
                    value: s.value,
                    threshold: s.threshold,
                })
                .collect(),
            root_cause: RootCause {
                category: d.category,
                feature: d.feature.clone(),
                version: d.version.clone(),
            },
            confidence: d.confidence,
            evidence: d.evidence.clone(),
            rejected: d.rejected.clone(),
            proposed_actions: remedies,
        }
    }

    /// The text of `--format text`: what an on-call engineer reads first
    /// comes first (cause, confidence, actions), then the evidence.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "model {} from {} to {}",
            self.model, self.window_start, self.window_end
        );
        let mut cause = format!("root cause: {}", self.root_cause.category);
        if let Some(f) = &self.root_cause.feature {
            let _ = write!(cause, " (feature {f})");
        }
        if let Some(v) = &self.root_cause.version {
            let _ = write!(cause, " (version {v})");
        }
        let _ = writeln!(s, "{cause}, confidence {}", num(self.confidence));
        let _ = writeln!(s, "symptoms:");
        for x in &self.symptoms {
            let _ = writeln!(
                s,
                "  {} {} (threshold {})",
                x.alert,
                num(x.value),
                num(x.threshold)
            );
        }
        let _ = writeln!(s, "evidence:");
        for e in &self.evidence {
            let _ = writeln!(s, "  - {} [{}]", e.claim, e.source);
        }
        let _ = writeln!(s, "proposed actions:");
        for (i, a) in self.proposed_actions.iter().enumerate() {
            let action = crate::graph::incident::name_of(&a.action);
            let target = a
                .target_version
                .as_ref()
                .map(|v| format!(" to version {v}"))
                .unwrap_or_default();
            let _ = writeln!(s, "  {}. {action}{target}: {}", i + 1, a.expected_effect);
        }
        let _ = writeln!(s, "rejected:");
        for r in &self.rejected {
            let _ = writeln!(s, "  {}: {}", r.category, r.why);
        }
        s
    }
}
