//! The Verify node: after a remedy, the windows that start after it took
//! effect decide. The incident resolves when the model's accuracy is back
//! at its objective for `for_windows` windows in a row (each with enough
//! labels), and is escalated when `verify_windows` windows passed without
//! that, with the numbers.

pub use crate::tools::span::WindowTotals;

/// What the windows say.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Not enough windows yet.
    Pending,
    /// Back at the objective; the sentence says with what numbers.
    Resolved(String),
    /// Not back within the windows allowed; the sentence gives the numbers.
    Escalated(String),
}

/// The objective a remedy must restore.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    /// Minimum accuracy (fraction).
    pub min_accuracy: f64,
    /// Fewer labels than this: the window says nothing.
    pub min_labeled: u64,
    /// Windows in a row at the objective.
    pub for_windows: usize,
    /// Windows allowed before escalating.
    pub verify_windows: usize,
}

/// Judges `windows` (in start order) against `objective`; `done` says what
/// was done, as the resolution's opening words ("rolled back to version 1").
pub fn judge(windows: &[WindowTotals], objective: Objective, done: &str) -> Verdict {
    let measured: Vec<&WindowTotals> = windows
        .iter()
        .filter(|w| w.labeled >= objective.min_labeled.max(1))
        .collect();
    let accuracy = |w: &WindowTotals| w.correct as f64 / w.labeled as f64;
    let mut streak: Vec<&WindowTotals> = Vec::new();
    for w in &measured {
        if accuracy(w) >= objective.min_accuracy {
            streak.push(w);
            if streak.len() >= objective.for_windows.max(1) {
                let (labeled, correct) = streak
                    .iter()
                    .fold((0, 0), |(l, c), w| (l + w.labeled, c + w.correct));
                return Verdict::Resolved(format!(
                    "{done}, accuracy now {:.1}% over {} windows ({correct} of {labeled} labeled predictions right; objective {:.1}%)",
                    100.0 * correct as f64 / labeled as f64,
                    streak.len(),
                    100.0 * objective.min_accuracy
                ));
            }
        } else {
            streak.clear();
        }
    }
    if measured.len() >= objective.verify_windows.max(1) {
        let shown: Vec<String> = measured
            .iter()
            .map(|w| format!("{:.1}%", 100.0 * accuracy(w)))
            .collect();
        return Verdict::Escalated(format!(
            "{done}, but accuracy is not back at {:.1}% after {} windows: {}",
            100.0 * objective.min_accuracy,
            measured.len(),
            shown.join(", ")
        ));
    }
    Verdict::Pending
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJECTIVE: Objective = Objective {
        min_accuracy: 0.95,
        min_labeled: 50,
        for_windows: 2,
        verify_windows: 4,
    };

    fn w(start_ms: i64, labeled: u64, correct: u64) -> WindowTotals {
        WindowTotals {
            start_ms,
            labeled,
            correct,
        }
    }

    #[test]
    fn two_good_windows_in_a_row_resolve_with_the_numbers() {
        let windows = [w(0, 100, 90), w(1, 100, 96), w(2, 10, 0), w(3, 100, 97)];
        let Verdict::Resolved(text) = judge(&windows, OBJECTIVE, "rolled back to version 1") else {
            panic!("resolved")
        };
        assert_eq!(
            text,
            "rolled back to version 1, accuracy now 96.5% over 2 windows (193 of 200 labeled predictions right; objective 95.0%)"
        );
    }

    #[test]
    fn too_few_labels_wait_and_no_recovery_escalates() {
        assert_eq!(judge(&[w(0, 10, 10)], OBJECTIVE, "x"), Verdict::Pending);
        let bad = [w(0, 100, 90), w(1, 100, 96), w(2, 100, 80), w(3, 100, 85)];
        let Verdict::Escalated(text) = judge(&bad, OBJECTIVE, "rolled back to version 1") else {
            panic!("escalated")
        };
        assert!(text.contains("90.0%, 96.0%, 80.0%, 85.0%"), "{text}");
    }
}
