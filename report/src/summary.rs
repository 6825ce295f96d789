//! One line per version over the whole range: the numbers behind the
//! charts, for the page's first table. Pure.

use crate::rows::WindowRow;
use crate::series::versions;

/// A version's totals over the report's windows.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionSummary {
    /// The version.
    pub version: String,
    /// Windows it had predictions in.
    pub windows: usize,
    /// Its predictions.
    pub predictions: u64,
    /// Its share of the model's predictions, %.
    pub share: f64,
    /// Its labeled predictions.
    pub labeled: u64,
    /// Correct over labeled, % (`None` without labels).
    pub accuracy: Option<f64>,
}

/// Each version's totals, versions in numeric order.
pub fn summarize(windows: &[WindowRow]) -> Vec<VersionSummary> {
    let all: u64 = windows.iter().map(|w| w.predictions).sum();
    versions(windows)
        .into_iter()
        .map(|version| {
            let own: Vec<&WindowRow> = windows.iter().filter(|w| w.version == version).collect();
            let predictions: u64 = own.iter().map(|w| w.predictions).sum();
            let labeled: u64 = own.iter().map(|w| w.labeled).sum();
            let correct: u64 = own.iter().map(|w| w.correct).sum();
            VersionSummary {
                windows: own.iter().filter(|w| w.predictions > 0).count(),
                predictions,
                share: if all > 0 {
                    100.0 * predictions as f64 / all as f64
                } else {
                    0.0
                },
                labeled,
                accuracy: (labeled > 0).then(|| 100.0 * correct as f64 / labeled as f64),
                version,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(version: &str, predictions: u64, labeled: u64, correct: u64) -> WindowRow {
        WindowRow {
            version: version.into(),
            start_ms: 0,
            end_ms: 1,
            predictions,
            labeled,
            correct,
            latency_ms: [None; 3],
            written_ms: 1,
        }
    }

    #[test]
    fn totals_add_windows_up_per_version() {
        let s = summarize(&[
            window("1", 30, 20, 19),
            window("1", 50, 20, 18),
            window("2", 20, 0, 0),
        ]);
        assert_eq!(s[0].version, "1");
        assert_eq!((s[0].windows, s[0].predictions, s[0].labeled), (2, 80, 40));
        assert_eq!(s[0].share, 80.0);
        assert_eq!(s[0].accuracy, Some(92.5));
        assert_eq!(s[1].accuracy, None);
    }
}
