//! The arguments every tool shares: which model (`name`, `name:version`,
//! `name@alias`) and which time range (`"1h"` ending now, or
//! `"START/END"` in RFC 3339). Parsing is pure; resolving an alias asks
//! MLflow (see [`super::Tools::resolve`]).

use mlobs_schemas::time::{format_rfc3339, parse_rfc3339};
use serde::Serialize;

use super::ToolError;

/// Which version(s) of a model a spec selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Every version.
    All,
    /// One version, as MLflow numbers it.
    Version(String),
    /// The version an MLflow alias points at (`champion`, `challenger`).
    Alias(String),
}

/// A parsed model argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    /// Registered model name.
    pub name: String,
    /// Which versions.
    pub selector: Selector,
}

impl ModelSpec {
    /// Parses `name`, `name:version` or `name@alias`.
    pub fn parse(text: &str) -> Result<ModelSpec, ToolError> {
        let text = text.trim();
        let bad = |why: &str| ToolError::bad("model", text, why);
        let (name, selector) = if let Some((name, alias)) = text.split_once('@') {
            (name, Selector::Alias(alias.to_string()))
        } else if let Some((name, version)) = text.split_once(':') {
            (name, Selector::Version(version.to_string()))
        } else {
            (text, Selector::All)
        };
        if name.is_empty() {
            return Err(bad(
                "empty model name; use name, name:version or name@alias",
            ));
        }
        match &selector {
            Selector::Alias(a) | Selector::Version(a) if a.is_empty() => {
                return Err(bad(
                    "nothing after ':' or '@'; use name:version or name@alias",
                ))
            }
            _ => {}
        }
        Ok(ModelSpec {
            name: name.to_string(),
            selector,
        })
    }
}

/// A resolved model: a name and at most one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelRef {
    /// Registered model name.
    pub model: String,
    /// The version, or `None` for all versions together.
    pub version: Option<String>,
}

impl ModelRef {
    /// `model` or `model:version`, for messages.
    pub fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("{}:{v}", self.model),
            None => self.model.clone(),
        }
    }
}

/// A half-open time range `[start_ms, end_ms)` in Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// Inclusive start.
    pub start_ms: i64,
    /// Exclusive end.
    pub end_ms: i64,
}

/// The range an answer covers, as it appears in every answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Range {
    /// Start, RFC 3339 (inclusive).
    pub start: String,
    /// End, RFC 3339 (exclusive).
    pub end: String,
}

impl TimeWindow {
    /// Parses `"1h"`, `"30m"`, `"7d"`, `"45s"` (a span ending at `now_ms`)
    /// or `"START/END"` (RFC 3339).
    pub fn parse(text: &str, now_ms: i64) -> Result<TimeWindow, ToolError> {
        let text = text.trim();
        let bad = |why: String| ToolError::bad("time_window", text, why);
        if let Some((start, end)) = text.split_once('/') {
            let start_ms = parse_rfc3339(start.trim()).map_err(|e| bad(format!("start: {e}")))?;
            let end_ms = parse_rfc3339(end.trim()).map_err(|e| bad(format!("end: {e}")))?;
            if end_ms <= start_ms {
                return Err(bad("the end is not after the start".into()));
            }
            return Ok(TimeWindow { start_ms, end_ms });
        }
        let forms = "use a span such as 30m, 1h, 7d (s, m, h, d) or START/END in RFC 3339";
        let split = text.len().saturating_sub(1);
        let (number, unit) = (
            text.get(..split).unwrap_or(""),
            text.get(split..).unwrap_or(""),
        );
        let unit_ms: i64 = match unit {
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad(forms.into())),
        };
        let n: i64 = number.parse().map_err(|_| bad(forms.into()))?;
        if n <= 0 {
            return Err(bad("the span must be positive".into()));
        }
        Ok(TimeWindow {
            start_ms: now_ms - n * unit_ms,
            end_ms: now_ms,
        })
    }

    /// The range for an answer.
    pub fn range(&self) -> Range {
        Range {
            start: format_rfc3339(self.start_ms),
            end: format_rfc3339(self.end_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_specs_parse_in_their_three_forms() {
        let spec = ModelSpec::parse("churn").unwrap();
        assert_eq!(spec.selector, Selector::All);
        let spec = ModelSpec::parse("churn:2").unwrap();
        assert_eq!(
            (spec.name.as_str(), spec.selector),
            ("churn", Selector::Version("2".into()))
        );
        let spec = ModelSpec::parse("churn@champion").unwrap();
        assert_eq!(spec.selector, Selector::Alias("champion".into()));
        for bad in ["", ":2", "churn:", "churn@"] {
            assert!(ModelSpec::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn spans_end_now_and_ranges_are_rfc3339() {
        let now = 1_700_000_000_000;
        assert_eq!(
            TimeWindow::parse("1h", now).unwrap().start_ms,
            now - 3_600_000
        );
        assert_eq!(
            TimeWindow::parse("30m", now).unwrap().start_ms,
            now - 1_800_000
        );
        assert_eq!(
            TimeWindow::parse("7d", now).unwrap().start_ms,
            now - 7 * 86_400_000
        );
        let w = TimeWindow::parse("2024-01-01T00:00:00Z/2024-01-01T01:00:00Z", now).unwrap();
        assert_eq!(w.end_ms - w.start_ms, 3_600_000);
        assert_eq!(w.range().start, "2024-01-01T00:00:00Z");
        for bad in [
            "",
            "h",
            "0h",
            "-1h",
            "1w",
            "1.5h",
            "2024-01-01T01:00:00Z/2024-01-01T00:00:00Z",
            "x/y",
        ] {
            let e = TimeWindow::parse(bad, now).unwrap_err();
            assert!(e.to_string().contains("time_window"), "{e}");
        }
    }
}
