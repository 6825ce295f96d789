//! report.html: a self-contained page (no script, no external file but the
//! charts beside it) with the model, the range, every chart and a table of
//! what happened. Pure: the page is a string.

use mlobs_schemas::time::format_rfc3339;

use crate::chart::Chart;
use crate::markers::Placed;
use crate::summary::VersionSummary;

/// What the page says above the charts.
pub struct Page<'a> {
    /// The model.
    pub model: &'a str,
    /// The range asked for, ms.
    pub since_ms: i64,
    /// The range asked for, ms.
    pub until_ms: i64,
    /// First and last window start in the range.
    pub data_ms: (i64, i64),
    /// The versions seen.
    pub versions: &'a [String],
    /// Whether the agent's wall-clock times were mapped onto event time.
    pub replayed: bool,
}

/// The page, each chart shown from its SVG (the PNG is linked beside it).
pub fn page(p: &Page, versions: &[VersionSummary], charts: &[Chart], events: &[Placed]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>mlobs report: {model}</title>\n<style>\n\
         body {{ font-family: sans-serif; max-width: 1240px; margin: 1em auto; color: #222; }}\n\
         img {{ width: 1200px; max-width: 100%; border: 1px solid #ddd; }}\n\
         table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}\n\
         </style>\n</head>\n<body>\n<h1>mlobs report: {model}</h1>\n",
        model = escape(p.model)
    ));
    out.push_str(&format!(
        "<p>Range asked for: {} to {} (UTC). Windows shown: {} to {}. Versions: {}.</p>\n",
        format_rfc3339(p.since_ms),
        format_rfc3339(p.until_ms),
        format_rfc3339(p.data_ms.0),
        format_rfc3339(p.data_ms.1),
        escape(&p.versions.join(", "))
    ));
    if p.replayed {
        out.push_str(
            "<p>This history was replayed or simulated (its event time is in the past): \
             the agent's actions and incidents, recorded in wall-clock time, are placed at the \
             event time the pipeline had reached when they happened.</p>\n",
        );
    }
    out.push_str(&version_table(versions));
    for chart in charts {
        out.push_str(&format!(
            "<h2>{title}</h2>\n<p><img src=\"{file}.svg\" alt=\"{title}\"> <a href=\"{file}.png\">PNG</a></p>\n",
            title = escape(&chart.title),
            file = chart.file
        ));
    }
    out.push_str("<h2>Alerts, actions and incidents</h2>\n");
    if events.is_empty() {
        out.push_str("<p>None in this range.</p>\n");
    } else {
        out.push_str("<table>\n<tr><th>time (UTC)</th><th>what</th><th>version</th><th>name</th><th>details</th></tr>\n");
        for e in events {
            let at = format_rfc3339(e.at_ms);
            let when = if e.event.wall_clock && e.event.at_ms != e.at_ms {
                format!("{at} (recorded {})", format_rfc3339(e.event.at_ms))
            } else {
                at
            };
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                when,
                e.event.kind.label(),
                escape(&e.event.version),
                escape(&e.event.what),
                escape(&e.event.detail)
            ));
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Per version: windows, predictions, share, labeled, accuracy.
fn version_table(versions: &[VersionSummary]) -> String {
    let mut out = String::from(
        "<h2>Versions in this range</h2>\n<table>\n<tr><th>version</th><th>windows</th><th>predictions</th>\
         <th>share of predictions</th><th>labeled</th><th>accuracy</th></tr>\n",
    );
    for v in versions {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1}%</td><td>{}</td><td>{}</td></tr>\n",
            escape(&v.version),
            v.windows,
            v.predictions,
            v.share,
            v.labeled,
            v.accuracy.map_or("-".into(), |a| format!("{a:.2}%"))
        ));
    }
    out.push_str("</table>\n");
    out
}

/// `text` safe inside HTML text and attribute values.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::{Event, EventKind};

    #[test]
    fn the_page_shows_every_chart_and_event_escaped() {
        let chart = Chart {
            file: "accuracy",
            title: "Accuracy per version".into(),
            y_label: String::new(),
            y_range: (0.0, 1.0),
            y_decimals: 0,
            lines: vec![],
            empty_note: String::new(),
        };
        let event = Placed {
            at_ms: 1_767_608_400_000,
            event: Event {
                kind: EventKind::AlertFired,
                at_ms: 1_767_608_400_000,
                wall_clock: false,
                version: "2".into(),
                what: "accuracy_slo".into(),
                detail: "v2 accuracy <89%".into(),
            },
        };
        let versions = ["2".to_string()];
        let page = page(
            &Page {
                model: "churn<x>",
                since_ms: 0,
                until_ms: 1_767_608_400_000,
                data_ms: (0, 0),
                versions: &versions,
                replayed: false,
            },
            &[VersionSummary {
                version: "2".into(),
                windows: 3,
                predictions: 10,
                share: 100.0,
                labeled: 8,
                accuracy: Some(87.5),
            }],
            &[chart],
            &[event],
        );
        assert!(page.contains("<h1>mlobs report: churn&lt;x&gt;</h1>"));
        assert!(page.contains("<img src=\"accuracy.svg\""));
        assert!(page.contains("<td>2026-01-05T10:20:00Z</td><td>alert fired</td>"));
        assert!(page.contains("v2 accuracy &lt;89%"));
        assert!(page.contains(
            "<tr><td>2</td><td>3</td><td>10</td><td>100.0%</td><td>8</td><td>87.50%</td></tr>"
        ));
    }
}
