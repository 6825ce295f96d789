//! Reading the history back: what every reader of [`super::ClickHouse::json_rows`]
//! needs (the agent's tools, `mlobs report`), kept here so that quoting
//! and the JSON quirks of ClickHouse are handled once.

use serde_json::Value;

/// `text` as a ClickHouse string literal. Values are quoted, never pasted
/// raw: model names and other arguments come from people and MCP clients.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A JSON number, also when ClickHouse quoted it (JSONEachRow writes
/// 64-bit integers as strings).
pub fn num(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A JSON string ("" when absent).
pub fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quoting_escapes_what_would_end_the_literal() {
        assert_eq!(quote("churn"), "'churn'");
        assert_eq!(quote("a'b\\c"), "'a\\'b\\\\c'");
    }

    #[test]
    fn numbers_are_read_whether_quoted_or_not() {
        assert_eq!(num(&json!(1.5)), Some(1.5));
        assert_eq!(num(&json!("1700000000000")), Some(1.7e12));
        assert_eq!(num(&json!(null)), None);
        assert_eq!(text(&json!("v")), "v");
        assert_eq!(text(&json!(null)), "");
    }
}
