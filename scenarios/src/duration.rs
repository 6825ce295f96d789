//! Spans and instants of event time as scenario files write them. Spans are
//! human ("90s", "15m", "1h30m") so that a file reads like the story it
//! tells; instants are either a span after the scenario's start ("45m") or an
//! absolute RFC 3339 time, whichever the author finds clearer.

use mlobs_schemas::time::parse_rfc3339;

/// Units a span may use, longest suffix first so that "ms" is not read as "m".
const UNITS: [(&str, f64); 5] = [
    ("ms", 1.0),
    ("s", 1_000.0),
    ("m", 60_000.0),
    ("h", 3_600_000.0),
    ("d", 86_400_000.0),
];

/// What a span looks like, for error messages.
pub const SPAN_HELP: &str = "a span such as \"250ms\", \"90s\", \"15m\", \"2h\" or \"1h30m\"";

/// Milliseconds in a span such as "1h30m" or "2.5s".
pub fn parse_span(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not {SPAN_HELP}");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let (unit, factor) = UNITS
            .iter()
            .find(|(unit, _)| {
                rest.starts_with(unit)
                    && !rest[unit.len()..].starts_with(|c: char| c.is_ascii_alphabetic())
            })
            .ok_or_else(bad)?;
        total += number * factor;
        rest = &rest[unit.len()..];
    }
    if total > 1e15 {
        return Err(bad());
    }
    Ok(total.round() as i64)
}

/// Milliseconds since the epoch of an instant written as RFC 3339 or as a
/// span after `start_ms`.
pub fn parse_instant(text: &str, start_ms: i64) -> Result<i64, String> {
    if let Ok(absolute) = parse_rfc3339(text) {
        return Ok(absolute);
    }
    parse_span(text).map(|offset| start_ms + offset).map_err(|_| {
        format!("{text:?} is neither {SPAN_HELP} after `start` nor an RFC 3339 time such as 2026-01-05T10:30:00Z")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_instants() {
        assert_eq!(parse_span("90s"), Ok(90_000));
        assert_eq!(parse_span("1h30m"), Ok(5_400_000));
        assert_eq!(parse_span("250ms"), Ok(250));
        assert_eq!(parse_span("2.5s"), Ok(2_500));
        assert_eq!(parse_span("0s"), Ok(0));
        for bad in ["", "10", "h", "5 minutes", "1x", "-3s", "1mss"] {
            assert!(parse_span(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_instant("15m", 1_000), Ok(901_000));
        assert_eq!(
            parse_instant("2026-01-05T00:00:01Z", 0),
            parse_rfc3339("2026-01-05T00:00:01Z")
        );
        let error = parse_instant("soon", 0).unwrap_err();
        assert!(
            error.contains("RFC 3339") && error.contains("15m"),
            "{error}"
        );
    }
}
