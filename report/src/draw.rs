//! Drawing one [`Chart`] with its markers, the same drawing to a PNG
//! (1200 px wide) and to an SVG, with plotters. Layout: the plot on the
//! left, the legend in a column on the right (never over the data).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::chart::{Chart, Ink, Marker, Stroke, TimeAxis};
use crate::font::FAMILY;
use crate::rows::EventKind;
use crate::ReportError;

/// Width of every chart, in pixels (the SVG's too).
pub const WIDTH: u32 = 1200;
/// Height of every chart, in pixels.
pub const HEIGHT: u32 = 520;
/// The legend column on the right.
const LEGEND_WIDTH: u32 = 270;
/// Legend text longer than this wraps onto the next line.
const LEGEND_CHARS: usize = 30;
/// Rows of marker labels in the band above the plot (never over the data).
const LABEL_ROWS: usize = 4;
/// Height of one row of marker labels, px.
const LABEL_ROW: i32 = 18;
/// Width of a marker label's character, px (14 px DejaVu Sans, a little more).
const LABEL_CHAR: i32 = 8;

/// Series colours (Tableau 10 without the markers' red, purple and green).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(127, 127, 127),
    RGBColor(0, 0, 128),
    RGBColor(0, 128, 128),
    RGBColor(204, 153, 0),
];
/// SLOs and thresholds.
const LIMIT: RGBColor = RGBColor(60, 60, 60);

/// A marker kind's colour: grey marks, red alerts, orange diagnoses,
/// purple actions, green resolutions.
fn marker_color(kind: EventKind) -> RGBColor {
    match kind {
        EventKind::Marked => RGBColor(127, 127, 127),
        EventKind::AlertFired => RGBColor(214, 39, 40),
        EventKind::Diagnosed => RGBColor(255, 127, 14),
        EventKind::ActionTaken => RGBColor(148, 103, 189),
        EventKind::IncidentResolved => RGBColor(44, 160, 44),
    }
}

fn ink(ink: Ink) -> RGBColor {
    match ink {
        Ink::Series(i) => PALETTE[i % PALETTE.len()],
        Ink::Limit => LIMIT,
    }
}

/// Writes `dir/<chart.file>.png` and `.svg`; returns both paths.
pub fn write(
    chart: &Chart,
    axis: &TimeAxis,
    markers: &[Marker],
    dir: &Path,
) -> Result<[PathBuf; 2], ReportError> {
    let failed = |detail: String| ReportError::Draw {
        chart: chart.file.into(),
        detail,
    };
    let png = dir.join(format!("{}.png", chart.file));
    let svg = dir.join(format!("{}.svg", chart.file));
    {
        let root = BitMapBackend::new(&png, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart, axis, markers).map_err(failed)?;
        root.present().map_err(|e| output(&png, e))?;
    }
    {
        let root = SVGBackend::new(&svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, chart, axis, markers).map_err(failed)?;
        root.present().map_err(|e| output(&svg, e))?;
    }
    Ok([png, svg])
}

fn output(path: &Path, e: impl std::fmt::Debug) -> ReportError {
    ReportError::Output {
        path: path.display().to_string(),
        detail: format!("{e:?}"),
    }
}

/// The whole picture on `root`.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    axis: &TimeAxis,
    markers: &[Marker],
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("{e:?}");
    root.fill(&WHITE).map_err(err)?;
    let (plot_area, legend_area) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
    let (y0, y1) = chart.y_range;
    // The title at the top, then the band of marker labels, then the plot.
    let title = TextStyle::from((FAMILY, 26).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    plot_area
        .draw(&Text::new(
            chart.title.clone(),
            ((WIDTH - LEGEND_WIDTH) as i32 / 2, 10),
            title,
        ))
        .map_err(err)?;
    let mut plot = ChartBuilder::on(&plot_area)
        .margin(14)
        .margin_top(44 + LABEL_ROW * LABEL_ROWS as i32)
        .x_label_area_size(58)
        .y_label_area_size(84)
        .build_cartesian_2d(
            (axis.start_ms..axis.end_ms).with_key_points(axis.ticks.clone()),
            y0..y1,
        )
        .map_err(err)?;
    plot.configure_mesh()
        .x_desc(axis.title())
        .y_desc(&chart.y_label)
        .x_label_formatter(&|ms| axis.tick_label(*ms))
        .y_labels(8)
        .y_label_formatter(&|v| format!("{v:.*}", chart.y_decimals))
        .label_style((FAMILY, 16))
        .axis_desc_style((FAMILY, 17))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(WHITE)
        .draw()
        .map_err(err)?;

    for line in &chart.lines {
        let style = ShapeStyle::from(ink(line.ink)).stroke_width(2);
        let points = line.points.iter().copied();
        match line.stroke {
            Stroke::Solid => plot
                .draw_series(LineSeries::new(points, style).point_size(3))
                .map(|_| ()),
            Stroke::Dashed => plot
                .draw_series(DashedLineSeries::new(points, 12, 8, style))
                .map(|_| ()),
            Stroke::Dotted => plot
                .draw_series(DashedLineSeries::new(points, 3, 5, style))
                .map(|_| ()),
        }
        .map_err(err)?;
    }
    if chart
        .lines
        .iter()
        .all(|l| l.stroke != Stroke::Solid || l.points.is_empty())
    {
        let middle = (
            axis.start_ms + (axis.end_ms - axis.start_ms) / 3,
            (y0 + y1) / 2.0,
        );
        plot.draw_series(std::iter::once(Text::new(
            chart.empty_note.clone(),
            middle,
            (FAMILY, 20).into_font().color(&LIMIT),
        )))
        .map_err(err)?;
    }
    let xs: Vec<i32> = markers
        .iter()
        .map(|m| plot.backend_coord(&(m.at_ms, y1)).0)
        .collect();
    let top = plot.backend_coord(&(axis.start_ms, y1)).1;
    let widths: Vec<i32> = markers
        .iter()
        .map(|m| LABEL_CHAR * m.label.chars().count() as i32)
        .collect();
    let rows = label_rows(&xs, &widths, LABEL_ROWS);
    for ((m, x), row) in markers.iter().zip(&xs).zip(rows) {
        let color = marker_color(m.kind);
        plot.draw_series(std::iter::once(PathElement::new(
            vec![(m.at_ms, y0), (m.at_ms, y1)],
            color.stroke_width(2),
        )))
        .map_err(err)?;
        // The label in the band above the plot, joined to its line; a label
        // with no room left is only in the page's table.
        if let Some(row) = row {
            let y = top - LABEL_ROW * (row as i32 + 1);
            plot_area
                .draw(&PathElement::new(
                    vec![(*x, top), (*x, y + 2)],
                    color.stroke_width(1),
                ))
                .map_err(err)?;
            let font = (FAMILY, 14).into_font().color(&color);
            plot_area
                .draw(&Text::new(m.label.clone(), (*x + 4, y), font))
                .map_err(err)?;
        }
    }
    legend(&legend_area, chart, markers).map_err(err)
}

/// The legend column: a sample of each line, then each marker kind shown.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
    markers: &[Marker],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let mut entries: Vec<(String, RGBColor, Stroke)> = chart
        .lines
        .iter()
        .map(|l| (l.name.clone(), ink(l.ink), l.stroke))
        .collect();
    let mut kinds: Vec<EventKind> = markers.iter().map(|m| m.kind).collect();
    kinds.sort();
    kinds.dedup();
    entries.extend(
        kinds
            .into_iter()
            .map(|k| (k.label().to_string(), marker_color(k), Stroke::Solid)),
    );

    let text = (FAMILY, 15).into_font().color(&BLACK);
    let mut y = 104;
    for (name, color, stroke) in entries {
        let style = color.stroke_width(if stroke == Stroke::Solid { 3 } else { 2 });
        let segments: &[(i32, i32)] = match stroke {
            Stroke::Solid => &[(8, 40)],
            Stroke::Dashed => &[(8, 20), (28, 40)],
            Stroke::Dotted => &[(8, 12), (18, 22), (28, 32), (38, 40)],
        };
        for (from, to) in segments {
            area.draw(&PathElement::new(vec![(*from, y), (*to, y)], style))?;
        }
        let parts = wrap(&name, LEGEND_CHARS);
        for (n, part) in parts.iter().enumerate() {
            area.draw(&Text::new(
                part.clone(),
                (48, y - 8 + 18 * n as i32),
                text.clone(),
            ))?;
        }
        y += 26 + 18 * (parts.len() as i32 - 1);
    }
    Ok(())
}

/// The row (0 nearest the plot) of each marker label, by the labels'
/// left ends `xs` and `widths` in px: the first row where it does not
/// overlap the label before it; `None` when all `rows` are taken there.
fn label_rows(xs: &[i32], widths: &[i32], rows: usize) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by_key(|i| xs[*i]);
    let mut free_from = vec![i32::MIN; rows];
    let mut out = vec![None; xs.len()];
    for i in order {
        if let Some(row) = (0..rows).find(|r| free_from[*r] <= xs[i]) {
            free_from[row] = xs[i] + widths[i] + 12;
            out[i] = Some(row);
        }
    }
    out
}

/// `text` in lines of at most `width` characters, broken at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split(' ') {
        let last = lines.last_mut().expect("one line at least");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::{label_rows, wrap};

    #[test]
    fn marker_labels_close_together_stack_and_the_rest_wait() {
        let rows = label_rows(&[100, 110, 500, 120, 130], &[80, 80, 80, 80, 80], 3);
        assert_eq!(rows, [Some(0), Some(1), Some(0), Some(2), None]);
    }

    #[test]
    fn legend_text_wraps_at_spaces() {
        assert_eq!(wrap("version 2", 30), ["version 2"]);
        assert_eq!(
            wrap("threshold 0.1 (monthly_charges, tenure_months)", 30),
            ["threshold 0.1", "(monthly_charges,", "tenure_months)"]
        );
    }
}
