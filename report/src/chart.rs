//! What a chart shows, decided before anything is drawn: its lines, its
//! axes and the marked moments. Pure values, so that what a report says
//! is tested without drawing; `draw` turns them into PNG and SVG files.

use mlobs_schemas::time::format_rfc3339;

use crate::rows::EventKind;

/// One time chart: lines over a shared time axis, with markers.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File name without extension (`accuracy` gives accuracy.png and .svg).
    pub file: &'static str,
    /// The caption above the plot.
    pub title: String,
    /// The y axis' title, with its unit.
    pub y_label: String,
    /// The y axis' range.
    pub y_range: (f64, f64),
    /// Decimals of the y labels (see [`decimals`]; 0 for counts).
    pub y_decimals: usize,
    /// The data lines, then the limits (SLOs, thresholds).
    pub lines: Vec<Line>,
    /// Said in the plot when there are no data lines (e.g. no errors).
    pub empty_note: String,
}

/// One line of a chart, as its legend names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The legend's words.
    pub name: String,
    /// Its colour.
    pub ink: Ink,
    /// Solid for data, dashed or dotted for limits.
    pub stroke: Stroke,
    /// (time in ms, value) in time order.
    pub points: Vec<(i64, f64)>,
}

/// A line's colour: the n-th of the palette, or the limits' colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ink {
    /// The n-th series colour (a version keeps its colour on the accuracy
    /// and traffic charts).
    Series(usize),
    /// A limit: an SLO or a drift threshold.
    Limit,
}

/// How a line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stroke {
    /// Data: a solid line with a dot per window.
    Solid,
    /// A limit.
    Dashed,
    /// A second limit on the same chart.
    Dotted,
}

impl Line {
    /// A horizontal limit at `value` across the axis.
    pub fn limit(name: String, value: f64, stroke: Stroke, axis: &TimeAxis) -> Line {
        Line {
            name,
            ink: Ink::Limit,
            stroke,
            points: vec![(axis.start_ms, value), (axis.end_ms, value)],
        }
    }
}

/// A moment marked on every chart by a vertical line.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Alert, action or incident.
    pub kind: EventKind,
    /// Where on the (event-time) axis.
    pub at_ms: i64,
    /// A few words beside the line (the rule, the action).
    pub label: String,
}

/// The shared time axis: its span and its ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeAxis {
    /// Left end (ms).
    pub start_ms: i64,
    /// Right end (ms).
    pub end_ms: i64,
    /// Tick positions, on round times.
    pub ticks: Vec<i64>,
    /// Whether tick labels need the date (the span crosses midnight).
    pub with_date: bool,
}

const MINUTE: i64 = 60_000;
/// Tick steps from which the axis takes the smallest giving at most
/// [`MAX_TICKS`] ticks.
const STEPS: [i64; 14] = [
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    60 * MINUTE,
    120 * MINUTE,
    180 * MINUTE,
    360 * MINUTE,
    720 * MINUTE,
    1_440 * MINUTE,
    2 * 1_440 * MINUTE,
    7 * 1_440 * MINUTE,
];
/// More ticks than this crowd a 1200 px axis with "MM-DD HH:MM" labels.
const MAX_TICKS: i64 = 12;

impl TimeAxis {
    /// The axis from `start_ms` to `end_ms` (at least a minute), ticks on
    /// multiples of a round step.
    pub fn new(start_ms: i64, end_ms: i64) -> TimeAxis {
        let end_ms = end_ms.max(start_ms + MINUTE);
        let span = end_ms - start_ms;
        let step = STEPS
            .into_iter()
            .find(|s| span / s <= MAX_TICKS)
            .unwrap_or(span / MAX_TICKS);
        let first = start_ms.div_euclid(step) * step;
        let ticks = (0..)
            .map(|i| first + i * step)
            .skip_while(|t| *t < start_ms)
            .take_while(|t| *t <= end_ms)
            .collect();
        TimeAxis {
            start_ms,
            end_ms,
            ticks,
            with_date: format_rfc3339(start_ms)[..10] != format_rfc3339(end_ms - 1)[..10],
        }
    }

    /// A tick's label: `HH:MM`, or `MM-DD HH:MM` when the span crosses days.
    pub fn tick_label(&self, ms: i64) -> String {
        let text = format_rfc3339(ms);
        if self.with_date {
            format!("{} {}", &text[5..10], &text[11..16])
        } else {
            text[11..16].to_string()
        }
    }

    /// The axis' title: says UTC, and the day when the span is within one.
    pub fn title(&self) -> String {
        if self.with_date {
            "window start (UTC, month-day hour:minute)".into()
        } else {
            format!(
                "window start (UTC, {}, hour:minute)",
                &format_rfc3339(self.start_ms)[..10]
            )
        }
    }
}

/// A y range holding every value and `always` (an SLO, a threshold), with
/// some room above and below, kept within `[floor, ceiling]`.
pub fn y_range(
    values: impl IntoIterator<Item = f64>,
    always: &[f64],
    floor: f64,
    ceiling: f64,
) -> (f64, f64) {
    let finite: Vec<f64> = values
        .into_iter()
        .chain(always.iter().copied())
        .filter(|v| v.is_finite())
        .collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return (
            floor.max(0.0),
            if ceiling.is_finite() { ceiling } else { 1.0 },
        );
    }
    let room = ((hi - lo) * 0.1).max(hi.abs() * 0.02).max(1e-3);
    ((lo - room).max(floor), (hi + room).min(ceiling))
}

/// Decimals a y label needs on an axis spanning `span` (8 ticks or so):
/// none for counts and percentages, more for small scores.
pub fn decimals(span: f64) -> usize {
    match span {
        s if s >= 20.0 => 0,
        s if s >= 2.0 => 1,
        s if s >= 0.2 => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 60 * MINUTE;
    /// 2026-01-05T09:00:00Z.
    const NINE: i64 = 1_767_603_600_000;

    #[test]
    fn a_few_hours_tick_every_half_hour_without_the_date() {
        let axis = TimeAxis::new(NINE + 5 * MINUTE, NINE + 5 * HOUR);
        assert_eq!(axis.ticks.first(), Some(&(NINE + 30 * MINUTE)));
        assert_eq!(axis.ticks.len(), 10);
        assert!(!axis.with_date);
        assert_eq!(axis.tick_label(NINE + 30 * MINUTE), "09:30");
        assert_eq!(axis.title(), "window start (UTC, 2026-01-05, hour:minute)");
    }

    #[test]
    fn days_tick_with_the_date() {
        let axis = TimeAxis::new(NINE, NINE + 48 * HOUR);
        assert!(axis.ticks.len() as i64 <= MAX_TICKS + 1);
        assert!(axis.with_date);
        assert_eq!(axis.tick_label(NINE), "01-05 09:00");
        assert!(axis.title().contains("UTC"));
    }

    #[test]
    fn y_ranges_hold_values_and_limits_within_bounds() {
        let (lo, hi) = y_range([88.0, 96.0], &[95.0], 0.0, 100.0);
        assert!(lo < 88.0 && lo > 80.0, "{lo}");
        assert!(hi > 96.0 && hi <= 100.0, "{hi}");
        assert_eq!(y_range([], &[], 0.0, 100.0), (0.0, 100.0));
        let (lo, _) = y_range([0.01, 0.9], &[0.1], 0.0, f64::INFINITY);
        assert_eq!(lo, 0.0);
        assert_eq!((decimals(105.0), decimals(6.0), decimals(1.0)), (0, 1, 2));
    }
}
