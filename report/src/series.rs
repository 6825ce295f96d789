//! The five charts of a report, from its rows: accuracy per version with
//! the SLO, traffic share per version, drift per feature with thresholds,
//! latency percentiles with their SLOs, errors by type. Pure.

use std::collections::BTreeMap;

use mlobs_operators::alerts::AlertThresholds;

use crate::chart::{decimals, y_range, Chart, Ink, Line, Stroke, TimeAxis};
use crate::history::History;
use crate::rows::WindowRow;

/// Every chart of `history`, in the page's order.
pub fn charts(history: &History, thresholds: &AlertThresholds, axis: &TimeAxis) -> Vec<Chart> {
    let versions = versions(&history.windows);
    vec![
        accuracy(&history.windows, &versions, thresholds, axis),
        traffic(&history.windows, &versions),
        drift(history, axis),
        latency(&history.windows, &versions, thresholds, axis),
        errors(history),
    ]
}

/// The versions in the windows, numbers in numeric order ("2" before "10").
pub fn versions(windows: &[WindowRow]) -> Vec<String> {
    let mut versions: Vec<String> = windows.iter().map(|w| w.version.clone()).collect();
    versions.sort_by_key(|v| (v.parse::<u64>().unwrap_or(u64::MAX), v.clone()));
    versions.dedup();
    versions
}

/// One solid line per version of `value` (skipping windows without one).
fn per_version(
    windows: &[WindowRow],
    versions: &[String],
    suffix: &str,
    value: impl Fn(&WindowRow) -> Option<f64>,
) -> Vec<Line> {
    versions
        .iter()
        .enumerate()
        .map(|(i, version)| Line {
            name: format!("version {version}{suffix}"),
            ink: Ink::Series(i),
            stroke: Stroke::Solid,
            points: windows
                .iter()
                .filter(|w| &w.version == version)
                .filter_map(|w| value(w).map(|v| (w.start_ms, v)))
                .collect(),
        })
        .filter(|line| !line.points.is_empty())
        .collect()
}

/// Accuracy (% of labeled predictions right) per version, and the SLO. A
/// window with fewer than `min_labeled` labels is left out, as the alert
/// rules leave it out: a version's last few predictions after a rollback
/// would otherwise draw 100% or 60% from a handful of labels.
pub fn accuracy(
    windows: &[WindowRow],
    versions: &[String],
    thresholds: &AlertThresholds,
    axis: &TimeAxis,
) -> Chart {
    let enough = thresholds.min_labeled.max(1);
    let mut lines = per_version(windows, versions, "", |w| {
        (w.labeled >= enough).then(|| 100.0 * w.correct as f64 / w.labeled as f64)
    });
    let slo = 100.0 * thresholds.min_accuracy;
    let y = y_range(values(&lines), &[slo], 0.0, 100.0);
    lines.push(Line::limit(
        format!("SLO {slo:.1}%"),
        slo,
        Stroke::Dashed,
        axis,
    ));
    Chart {
        file: "accuracy",
        title: "Accuracy per version".into(),
        y_label: "accuracy (% of labeled predictions)".into(),
        y_range: y,
        y_decimals: decimals(y.1 - y.0),
        lines,
        empty_note: "no labeled predictions in this range".into(),
    }
}

/// Each version's share (%) of the model's predictions, per window (0
/// where the version had none).
pub fn traffic(windows: &[WindowRow], versions: &[String]) -> Chart {
    let mut totals: BTreeMap<i64, u64> = BTreeMap::new();
    for w in windows {
        *totals.entry(w.start_ms).or_default() += w.predictions;
    }
    let lines = versions
        .iter()
        .enumerate()
        .map(|(i, version)| Line {
            name: format!("version {version}"),
            ink: Ink::Series(i),
            stroke: Stroke::Solid,
            points: totals
                .iter()
                .filter(|(_, total)| **total > 0)
                .map(|(start, total)| {
                    let own: u64 = windows
                        .iter()
                        .filter(|w| w.start_ms == *start && &w.version == version)
                        .map(|w| w.predictions)
                        .sum();
                    (*start, 100.0 * own as f64 / *total as f64)
                })
                .collect(),
        })
        .collect();
    Chart {
        file: "traffic",
        title: "Traffic share per version".into(),
        y_label: "share of the model's predictions (%)".into(),
        y_range: (0.0, 105.0),
        y_decimals: 0,
        lines,
        empty_note: "no predictions in this range".into(),
    }
}

/// Drift score per feature (the highest of the versions'), and one
/// threshold line per distinct threshold naming its features.
pub fn drift(history: &History, axis: &TimeAxis) -> Chart {
    let mut features: BTreeMap<(&str, &str), Vec<(i64, f64)>> = BTreeMap::new();
    let mut thresholds: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for row in history.drift.iter().filter(|r| r.score.is_finite()) {
        features
            .entry((&row.feature, &row.method))
            .or_default()
            .push((row.start_ms, row.score));
        let named = thresholds.entry(format!("{}", row.threshold)).or_default();
        if !named.contains(&row.feature.as_str()) {
            named.push(&row.feature);
        }
    }
    let mut lines: Vec<Line> = features
        .into_iter()
        .enumerate()
        .map(|(i, ((feature, method), points))| Line {
            name: format!("{feature} ({method})"),
            ink: Ink::Series(i),
            stroke: Stroke::Solid,
            points,
        })
        .collect();
    let limits: Vec<f64> = thresholds.keys().filter_map(|t| t.parse().ok()).collect();
    let y = y_range(values(&lines), &limits, 0.0, f64::INFINITY);
    for (i, (threshold, named)) in thresholds.iter().enumerate() {
        let stroke = if i == 0 {
            Stroke::Dashed
        } else {
            Stroke::Dotted
        };
        let name = format!("threshold {threshold} ({})", named.join(", "));
        lines.push(Line::limit(
            name,
            threshold.parse().unwrap_or(0.0),
            stroke,
            axis,
        ));
    }
    Chart {
        file: "drift",
        title: "Drift score per feature".into(),
        y_label: "drift score (the method's statistic)".into(),
        y_range: y,
        y_decimals: decimals(y.1 - y.0),
        lines,
        empty_note: "no drift scores in this range (no baseline?)".into(),
    }
}

/// Latency p50, p95 and p99 per version, and the p95 and p99 SLOs.
pub fn latency(
    windows: &[WindowRow],
    versions: &[String],
    t: &AlertThresholds,
    axis: &TimeAxis,
) -> Chart {
    let mut lines = Vec::new();
    for (i, version) in versions.iter().enumerate() {
        for (p, name) in ["p50", "p95", "p99"].iter().enumerate() {
            let mut line = per_version(
                windows,
                std::slice::from_ref(version),
                &format!(" {name}"),
                |w| w.latency_ms[p],
            );
            for l in &mut line {
                l.ink = Ink::Series(i * 3 + p);
            }
            lines.extend(line);
        }
    }
    let data_max = values(&lines).fold(0.0, f64::max);
    // An SLO far above the data would squash it flat: such a limit is
    // named in the legend but not drawn.
    let shown = |slo: f64| slo <= 2.0 * data_max;
    let slos = [t.latency_p95_ms, t.latency_p99_ms];
    let drawn: Vec<f64> = slos.iter().copied().filter(|s| shown(*s)).collect();
    let y = y_range(values(&lines), &drawn, 0.0, f64::INFINITY);
    for (name, slo, stroke) in [
        ("p95", slos[0], Stroke::Dashed),
        ("p99", slos[1], Stroke::Dotted),
    ] {
        let mut limit = Line::limit(format!("{name} SLO {slo} ms"), slo, stroke, axis);
        if !shown(slo) {
            limit.name.push_str(" (above the chart)");
            limit.points.clear();
        }
        lines.push(limit);
    }
    Chart {
        file: "latency",
        title: "Latency percentiles per version".into(),
        y_label: "latency (ms)".into(),
        y_range: y,
        y_decimals: decimals(y.1 - y.0),
        lines,
        empty_note: "no latencies in this range".into(),
    }
}

/// Failed predictions per window, one line per error type (0 in the
/// windows without that error).
pub fn errors(history: &History) -> Chart {
    let mut types: BTreeMap<&str, BTreeMap<i64, u64>> = BTreeMap::new();
    for row in &history.errors {
        *types
            .entry(&row.error_type)
            .or_default()
            .entry(row.start_ms)
            .or_default() += row.count;
    }
    let mut starts: Vec<i64> = history.windows.iter().map(|w| w.start_ms).collect();
    starts.sort_unstable();
    starts.dedup();
    let lines: Vec<Line> = types
        .into_iter()
        .enumerate()
        .map(|(i, (error_type, counts))| Line {
            name: error_type.to_string(),
            ink: Ink::Series(i),
            stroke: Stroke::Solid,
            points: starts
                .iter()
                .map(|s| (*s, counts.get(s).copied().unwrap_or(0) as f64))
                .collect(),
        })
        .collect();
    Chart {
        file: "errors",
        title: "Errors by type".into(),
        y_label: "failed predictions per window".into(),
        // At least 0-5: a few errors, or none, on a readable scale.
        y_range: y_range(values(&lines), &[0.0, 4.5], 0.0, f64::INFINITY),
        y_decimals: 0,
        lines,
        empty_note: "no failed predictions in this range".into(),
    }
}

fn values(lines: &[Line]) -> impl Iterator<Item = f64> + '_ {
    lines.iter().flat_map(|l| l.points.iter().map(|p| p.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::{DriftRow, ErrorRow};

    const MIN: i64 = 60_000;

    fn window(
        version: &str,
        start_ms: i64,
        predictions: u64,
        labeled: u64,
        correct: u64,
    ) -> WindowRow {
        WindowRow {
            version: version.into(),
            start_ms,
            end_ms: start_ms + 10 * MIN,
            predictions,
            labeled,
            correct,
            latency_ms: [Some(18.0), Some(30.0), Some(45.0)],
            written_ms: start_ms + 11 * MIN,
        }
    }

    fn history() -> History {
        History {
            windows: vec![
                window("2", 0, 90, 80, 72),
                window("10", 0, 10, 10, 10),
                window("2", 10 * MIN, 100, 50, 40),
            ],
            errors: vec![ErrorRow {
                start_ms: 10 * MIN,
                error_type: "timeout".into(),
                count: 3,
            }],
            drift: vec![DriftRow {
                feature: "monthly_charges".into(),
                method: "wasserstein".into(),
                start_ms: 0,
                score: 0.9,
                threshold: 0.1,
            }],
            events: vec![],
        }
    }

    fn line<'a>(chart: &'a Chart, name: &str) -> &'a Line {
        chart
            .lines
            .iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("{name} in {chart:#?}"))
    }

    #[test]
    fn versions_sort_as_numbers() {
        assert_eq!(versions(&history().windows), ["2", "10"]);
    }

    #[test]
    fn accuracy_is_correct_over_labeled_per_version_with_the_slo() {
        let axis = TimeAxis::new(0, 20 * MIN);
        let h = history();
        let thresholds = AlertThresholds {
            min_accuracy: 0.95,
            min_labeled: 10,
            ..AlertThresholds::default()
        };
        let chart = accuracy(&h.windows, &versions(&h.windows), &thresholds, &axis);
        assert_eq!(
            line(&chart, "version 2").points,
            [(0, 90.0), (10 * MIN, 80.0)]
        );
        assert_eq!(line(&chart, "version 10").points, [(0, 100.0)]);
        let stricter = AlertThresholds {
            min_labeled: 11,
            ..thresholds
        };
        let chart = accuracy(&h.windows, &versions(&h.windows), &stricter, &axis);
        assert!(
            chart.lines.iter().all(|l| l.name != "version 10"),
            "10 labels say too little: {chart:#?}"
        );
        let slo = line(&chart, "SLO 95.0%");
        assert_eq!((slo.ink, slo.points[0].1), (Ink::Limit, 95.0));
        assert!(chart.y_range.0 < 80.0 && chart.y_range.1 <= 100.0);
    }

    #[test]
    fn traffic_shares_add_up_to_all_and_are_zero_without_predictions() {
        let h = history();
        let chart = traffic(&h.windows, &versions(&h.windows));
        assert_eq!(
            line(&chart, "version 2").points,
            [(0, 90.0), (10 * MIN, 100.0)]
        );
        assert_eq!(
            line(&chart, "version 10").points,
            [(0, 10.0), (10 * MIN, 0.0)]
        );
    }

    #[test]
    fn drift_errors_and_latency_name_their_lines_and_limits() {
        let axis = TimeAxis::new(0, 20 * MIN);
        let h = history();
        let all = charts(&h, &AlertThresholds::default(), &axis);
        let files: Vec<&str> = all.iter().map(|c| c.file).collect();
        assert_eq!(files, ["accuracy", "traffic", "drift", "latency", "errors"]);
        assert_eq!(
            line(&all[2], "monthly_charges (wasserstein)").points,
            [(0, 0.9)]
        );
        assert_eq!(
            line(&all[2], "threshold 0.1 (monthly_charges)").points[0].1,
            0.1
        );
        assert_eq!(line(&all[3], "version 10 p99").points, [(0, 45.0)]);
        let p95 = line(&all[3], "p95 SLO 500 ms (above the chart)");
        assert!(p95.points.is_empty(), "500 ms would squash 45 ms flat");
        assert_eq!(line(&all[4], "timeout").points, [(0, 0.0), (10 * MIN, 3.0)]);
    }
}
