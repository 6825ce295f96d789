//! Parquet input through arrow's reader: the same table written by pandas
//! and pyarrow as Parquet (floats, integers, float32, dictionary-encoded
//! categories, nulls) gives the same drift report as its CSV, and a bad
//! cell is named by row.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mlobs_testkit::unique_name;
use serde_json::Value;

fn mlobs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlobs"))
        .args(args)
        .output()
        .expect("mlobs runs")
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(unique_name("mlobs-parquet"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A CSV of `rows` rows: a float column with gaps, an integer column, a
/// float column pyarrow will store as float32, a category and a text
/// column of numbers with one bad cell at row 7.
fn write_csv(path: &Path, rows: usize, shift: f64) {
    let mut text = String::from("x,kids,score,plan,amount\n");
    for i in 0..rows {
        let u = ((i * 7919) % rows) as f64 / rows as f64;
        let x = if i % 50 == 0 {
            "NA".to_string()
        } else {
            format!("{}", u * 4.0 - 2.0 + shift)
        };
        let plan = ["a", "a", "b", "c", ""][i % 5];
        let amount = if i == 6 {
            "n/a?".to_string()
        } else {
            format!("{}", i % 97)
        };
        // 0.5-steps are exact in float32, so both files hold the same numbers.
        let score = (i % 40) as f64 * 0.5 + shift;
        text.push_str(&format!("{x},{},{score},{plan},{amount}\n", i % 3));
    }
    std::fs::write(path, text).unwrap();
}

/// Converts with pandas and pyarrow: `score` as float32, `plan` as a
/// pandas category (an arrow dictionary), `amount` as text. Numbers are
/// parsed round-trip: pandas's default parser can be off by the last bit.
fn to_parquet(dir: &Path, csv: &Path) -> PathBuf {
    let parquet = csv.with_extension("parquet");
    let script = dir.join("to_parquet.py");
    std::fs::write(
        &script,
        "import sys, pandas as pd\n\
         df = pd.read_csv(sys.argv[1], dtype={'amount': str}, float_precision='round_trip')\n\
         df['score'] = df['score'].astype('float32')\n\
         df['plan'] = df['plan'].astype('category')\n\
         df.to_parquet(sys.argv[2], engine='pyarrow')\n",
    )
    .unwrap();
    let converted = Command::new(mlobs_testkit::reference_python())
        .args([&script, csv, &parquet].map(|p| p.to_str().unwrap()))
        .status()
        .unwrap();
    assert!(converted.success());
    parquet
}

fn report(reference: &Path, current: &Path) -> Value {
    let out = mlobs(&[
        "drift",
        "--reference",
        reference.to_str().unwrap(),
        "--current",
        current.to_str().unwrap(),
        "--columns",
        "x,kids,score,plan",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn parquet_gives_the_report_of_the_same_csv() {
    let dir = scratch();
    let (reference, current) = (dir.join("ref.csv"), dir.join("cur.csv"));
    write_csv(&reference, 3000, 0.0);
    write_csv(&current, 2000, 0.5);
    let from_csv = report(&reference, &current);
    let from_parquet = report(&to_parquet(&dir, &reference), &to_parquet(&dir, &current));
    assert_eq!(from_parquet["features"], from_csv["features"]);
    // The report is not trivially empty: x shifted by half its spread, and
    // every column was read in full.
    let features = from_csv["features"].as_array().unwrap();
    let x = features.iter().find(|f| f["name"] == "x").unwrap();
    assert_eq!(x["drift_detected"], true, "{from_csv}");
    for feature in features {
        let counted = &feature["current"];
        let rows = counted["count"].as_u64().unwrap() + counted["missing"].as_u64().unwrap();
        assert_eq!(rows, 2000, "{feature}");
    }
}

#[test]
fn a_bad_cell_in_a_column_forced_numeric_is_named_by_row() {
    let dir = scratch();
    let csv = dir.join("ref.csv");
    write_csv(&csv, 100, 0.0);
    let parquet = to_parquet(&dir, &csv);
    let out = mlobs(&[
        "baseline",
        "build",
        "--input",
        parquet.to_str().unwrap(),
        "--numeric",
        "amount",
        "--output",
        dir.join("baseline.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("column \"amount\" is forced numeric but row 7 has \"n/a?\""),
        "{stderr}"
    );
}
