//! The selections every query repeats, in one place: the dashboard
//! variables `model`, `version` (several, or All) and `environment`, as
//! PromQL label matchers and as SQL conditions. ClickHouse queries name
//! tables without a database: the datasource's default database (`mlobs`)
//! applies, so a history kept elsewhere needs no dashboard edit.

/// PromQL label matchers of the selected series.
pub const SERIES: &str = r#"model="$model", version=~"$version", environment="$environment""#;

/// PromQL label matchers of the selected model in every version.
pub const MODEL: &str = r#"model="$model", environment="$environment""#;

/// SQL: the selected model, environment and versions (`${version:regex}`
/// is `.*` for All, `(1|2)` for two versions).
pub fn sql_series() -> &'static str {
    "model = '$model' AND environment = '$environment' AND match(version, '^(${version:regex})$')"
}

/// SQL: the selected series in the time picker's range of `column`.
pub fn sql_in_range(column: &str) -> String {
    format!("{} AND $__timeFilter({column})", sql_series())
}

/// SQL: every version of the selected model in the range of `column`
/// (what a share or a gap is measured against).
pub fn sql_model_in_range(column: &str) -> String {
    format!("model = '$model' AND environment = '$environment' AND $__timeFilter({column})")
}

/// SQL: `value` (an aggregate over window_metrics) per window and selected
/// version, as Grafana draws time series (time, version_name, value);
/// `having` filters the groups (empty, or ` HAVING ...`).
pub fn per_version_window(value: &str, having: &str) -> String {
    format!(
        "SELECT window_start AS time, concat('v', version) AS version_name, {value} \
         FROM window_metrics FINAL WHERE {} GROUP BY window_start, version{having} ORDER BY time",
        sql_in_range("window_start")
    )
}

/// `rate()` of a counter of the selected series, summed by `by`.
pub fn rate_by(by: &str, metric: &str) -> String {
    format!("sum by ({by}) (rate({metric}{{{SERIES}}}[$__rate_interval]))")
}

/// The `quantile` of a latency histogram of the selected series, by `by`.
pub fn quantile_by(quantile: f64, by: &str, histogram: &str, matchers: &str) -> String {
    let le = if by.is_empty() {
        "le".to_string()
    } else {
        format!("{by}, le")
    };
    format!(
        "histogram_quantile({quantile}, sum by ({le}) (rate({histogram}_bucket{{{matchers}}}[$__rate_interval])))"
    )
}
