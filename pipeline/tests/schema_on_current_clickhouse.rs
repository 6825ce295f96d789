//! The schema is written for ClickHouse 18.16 (the Debian server the other
//! tests use); this checks it also runs, twice, on current ClickHouse
//! (embedded through PyPI's chdb), with every table a ReplacingMergeTree.

use mlobs_pipeline::sinks::clickhouse::migrate::{statements, SCHEMA, TABLES};
use mlobs_testkit::run_reference_python;
use serde_json::{json, Value};

#[test]
fn the_schema_runs_on_current_clickhouse() {
    let job = json!({
        "database": "mlobs",
        "statements": statements(SCHEMA, "mlobs"),
        "tables": TABLES,
    });
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/chdb_schema.py");
    let answer: Value =
        serde_json::from_str(&run_reference_python(&script, &job.to_string())).unwrap();
    let major: u32 = answer["version"]
        .as_str()
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse().ok())
        .unwrap();
    assert!(
        major >= 24,
        "a current ClickHouse, not {}",
        answer["version"]
    );
    for table in TABLES {
        assert_eq!(answer["engines"][table], "ReplacingMergeTree", "{table}");
    }
}
