//! `mlobs baseline build` and `mlobs drift` on real files: the JSON contract,
//! the table, Parquet input, and one clear line with exit code 2 for every
//! kind of bad input.

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

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "mlobs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A scratch folder for this test.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(unique_name("mlobs-drift-cli"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a CSV: `x` shifts by `shift`, `plan` gains category "d" when `new_category`.
fn write_csv(path: &Path, rows: usize, shift: f64, new_category: bool) {
    let mut text = String::from("id,x,kids,plan\n");
    for i in 0..rows {
        let u = ((i * 7919) % rows) as f64 / rows as f64;
        let plan = match i % 10 {
            0..=4 => "a",
            5..=7 => "b",
            8 => "c",
            _ if new_category => "d",
            _ => "c",
        };
        let x = if i % 50 == 0 {
            String::new()
        } else {
            format!("{}", u * 4.0 - 2.0 + shift)
        };
        text.push_str(&format!("{i},{x},{},{plan}\n", i % 3));
    }
    std::fs::write(path, text).unwrap();
}

const EXPECTED_KEYS: [&str; 17] = [
    "name",
    "kind",
    "method",
    "score",
    "threshold",
    "drift_detected",
    "status",
    "ks_statistic",
    "ks_p_value",
    "wasserstein",
    "wasserstein_normalized",
    "psi",
    "jensen_shannon",
    "chi2_statistic",
    "chi2_p_value",
    "reference",
    "current",
];

#[test]
fn drift_json_follows_the_contract() {
    let dir = scratch();
    let (reference, current) = (dir.join("ref.csv"), dir.join("cur.csv"));
    write_csv(&reference, 3000, 0.0, false);
    write_csv(&current, 2000, 0.8, true);
    let out = stdout(&mlobs(&[
        "drift",
        "--reference",
        reference.to_str().unwrap(),
        "--current",
        current.to_str().unwrap(),
        "--exclude",
        "id",
        "--categorical",
        "kids",
        "--format",
        "json",
    ]));
    assert!(!out.contains("NaN"));
    let report: Value = serde_json::from_str(&out).unwrap();
    let features = report["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    let mut expected = EXPECTED_KEYS;
    expected.sort();
    for f in features {
        let keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, expected, "keys of {}", f["name"]);
        for side in ["reference", "current"] {
            let mut keys: Vec<&str> = f[side]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort();
            assert_eq!(keys, ["count", "max", "mean", "min", "missing", "std"]);
        }
    }
    // The keys also come in the documented order.
    let first = &out[out.find("\"features\"").unwrap()..];
    let positions: Vec<usize> = EXPECTED_KEYS
        .iter()
        .map(|k| first.find(&format!("\"{k}\"")).unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "key order: {positions:?}"
    );
    let by_name = |name: &str| features.iter().find(|f| f["name"] == name).unwrap();
    let x = by_name("x");
    assert_eq!(
        (x["kind"].as_str(), x["method"].as_str()),
        (Some("numeric"), Some("wasserstein"))
    );
    assert_eq!(x["drift_detected"], true);
    assert!(x["chi2_statistic"].is_null() && x["ks_statistic"].is_number() && x["psi"].is_number());
    assert_eq!(
        (
            x["reference"]["missing"].as_u64(),
            x["current"]["missing"].as_u64()
        ),
        (Some(60), Some(40))
    );
    let plan = by_name("plan");
    assert_eq!(plan["kind"], "categorical");
    assert!(
        plan["ks_statistic"].is_null()
            && plan["chi2_p_value"].is_number()
            && plan["reference"]["mean"].is_null()
    );
    assert_eq!(by_name("kids")["drift_detected"], false);
    assert_eq!(report["drifted_features"], 2);
    assert_eq!(report["dataset_drift"], true);
    let drifted: Vec<bool> = features
        .iter()
        .map(|f| f["drift_detected"].as_bool().unwrap())
        .collect();
    assert_eq!(drifted, [true, true, false], "drifted features come first");
}

#[test]
fn a_baseline_from_parquet_gives_the_verdicts_of_the_raw_reference() {
    let dir = scratch();
    let (csv, parquet, baseline, current) = (
        dir.join("ref.csv"),
        dir.join("ref.parquet"),
        dir.join("baseline.json"),
        dir.join("cur.csv"),
    );
    write_csv(&csv, 3000, 0.0, false);
    write_csv(&current, 2000, 0.8, true);
    let script = dir.join("to_parquet.py");
    std::fs::write(
        &script,
        "import sys, pandas as pd\npd.read_csv(sys.argv[1]).to_parquet(sys.argv[2])\n",
    )
    .unwrap();
    let converted = Command::new(mlobs_testkit::reference_python())
        .args([
            script.to_str().unwrap(),
            csv.to_str().unwrap(),
            parquet.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(converted.success());
    let built = stdout(&mlobs(&[
        "baseline",
        "build",
        "--input",
        parquet.to_str().unwrap(),
        "--exclude",
        "id",
        "--output",
        baseline.to_str().unwrap(),
    ]));
    assert!(
        built.contains("3 features (2 numeric, 1 categorical) from 3000 rows"),
        "{built}"
    );
    let verdicts = |against: &str, path: &Path| {
        let out = stdout(&mlobs(&[
            "drift",
            against,
            path.to_str().unwrap(),
            "--current",
            current.to_str().unwrap(),
            "--columns",
            "x,kids",
            "--format",
            "json",
        ]));
        let report: Value = serde_json::from_str(&out).unwrap();
        report["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["name"].clone(), f["drift_detected"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        verdicts("--baseline", &baseline),
        verdicts("--reference", &csv)
    );
}

#[test]
fn the_table_lists_drifted_features_first_with_aligned_columns() {
    let dir = scratch();
    let (reference, current) = (dir.join("ref.csv"), dir.join("cur.csv"));
    write_csv(&reference, 1500, 0.0, false);
    write_csv(&current, 1500, 1.0, false);
    let out = stdout(&mlobs(&[
        "drift",
        "--reference",
        reference.to_str().unwrap(),
        "--current",
        current.to_str().unwrap(),
    ]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("FEATURE"), "{out}");
    assert!(
        lines[1].starts_with("x ") && lines[1].contains("DRIFT"),
        "{out}"
    );
    let drift_column = lines[0].find("DRIFT").unwrap();
    assert!(
        lines[1..4]
            .iter()
            .all(|l| l[drift_column..].starts_with("DRIFT") || l[drift_column..].starts_with("ok")),
        "{out}"
    );
    assert!(lines.last().unwrap().starts_with("dataset drift:"), "{out}");
}

#[test]
fn bad_input_gives_one_clear_line_and_exit_code_2() {
    let dir = scratch();
    let good = dir.join("good.csv");
    write_csv(&good, 100, 0.0, false);
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let header_only = dir.join("header.csv");
    std::fs::write(&header_only, "id,x\n").unwrap();
    let text = dir.join("text.csv");
    std::fs::write(&text, "x,plan\n1.5,a\noops,b\n").unwrap();
    let g = good.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["drift", "--reference", "/nonexistent.csv", "--current", g],
            "does not exist",
        ),
        (
            vec![
                "drift",
                "--reference",
                g,
                "--current",
                g,
                "--columns",
                "nope",
            ],
            "column \"nope\"",
        ),
        (
            vec![
                "drift",
                "--reference",
                text.to_str().unwrap(),
                "--current",
                g,
                "--numeric",
                "x",
            ],
            "forced numeric but line 3",
        ),
        (
            vec![
                "baseline",
                "build",
                "--input",
                empty.to_str().unwrap(),
                "--output",
                "/tmp/x.json",
            ],
            "is empty",
        ),
        (
            vec![
                "baseline",
                "build",
                "--input",
                header_only.to_str().unwrap(),
                "--output",
                "/tmp/x.json",
            ],
            "no rows",
        ),
        (
            vec!["drift", "--reference", g, "--current", g, "--method", "ks"],
            "applies to numeric features",
        ),
        (
            vec!["drift", "--baseline", g, "--current", g],
            "not an mlobs baseline",
        ),
        (
            vec!["drift", "--reference", g, "--current", "data.xlsx"],
            "does not exist",
        ),
    ];
    for (args, expected) in cases {
        let output = mlobs(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(
            stderr.lines().count(),
            1,
            "{args:?}: one line expected, got {stderr}"
        );
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // 300 features make a report larger than a pipe's buffer, so mlobs is
    // still writing when the reader goes away.
    let dir = scratch();
    let wide = dir.join("wide.csv");
    let header: Vec<String> = (0..300).map(|i| format!("f{i}")).collect();
    let mut text = header.join(",") + "\n";
    for row in 0..50 {
        let cells: Vec<String> = (0..300).map(|c| format!("{}", (row * c) % 17)).collect();
        text += &(cells.join(",") + "\n");
    }
    std::fs::write(&wide, text).unwrap();
    let script = dir.join("read_one_line.py");
    std::fs::write(
        &script,
        "import subprocess, sys\np = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\np.stdout.readline(); p.stdout.close()\nerr = p.stderr.read().decode(); code = p.wait()\nprint(code, 'panicked' in err)\n",
    )
    .unwrap();
    let w = wide.to_str().unwrap();
    let output = Command::new(mlobs_testkit::reference_python())
        .args([
            script.to_str().unwrap(),
            env!("CARGO_BIN_EXE_mlobs"),
            "drift",
            "--reference",
            w,
            "--current",
            w,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "0 False");
}

/// The same rows with every cell quoted: read by the csv crate on one
/// thread instead of the parallel reader.
fn quoted_copy(path: &Path) -> PathBuf {
    let text = std::fs::read_to_string(path).unwrap();
    let quoted: String = text
        .lines()
        .map(|line| {
            let cells: Vec<String> = line.split(',').map(|c| format!("\"{c}\"")).collect();
            cells.join(",") + "\r\n"
        })
        .collect();
    let copy = path.with_extension("quoted.csv");
    std::fs::write(&copy, quoted).unwrap();
    copy
}

#[test]
fn the_parallel_reader_and_the_csv_crate_give_the_same_report() {
    // 2.5 MB a file: cut into ranges read on every core.
    let dir = scratch();
    let (reference, current) = (dir.join("ref.csv"), dir.join("cur.csv"));
    write_csv(&reference, 100_000, 0.0, false);
    write_csv(&current, 100_000, 0.1, true);
    let report = |reference: &Path, current: &Path| {
        let args = [
            "drift",
            "--reference",
            reference.to_str().unwrap(),
            "--current",
            current.to_str().unwrap(),
            "--format",
            "json",
        ];
        serde_json::from_str::<Value>(&stdout(&mlobs(&args))).unwrap()
    };
    let parallel = report(&reference, &current);
    let quoted = report(&quoted_copy(&reference), &quoted_copy(&current));
    assert_eq!(parallel, quoted);
    assert_eq!(parallel["features"].as_array().unwrap().len(), 4);
    let missing = &parallel["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "x")
        .unwrap()["reference"]["missing"];
    assert_eq!(missing, 2_000, "every 50th x is empty");
}

#[test]
fn a_row_with_a_cell_too_few_names_its_line() {
    let dir = scratch();
    let (good, short) = (dir.join("good.csv"), dir.join("short.csv"));
    write_csv(&good, 100, 0.0, false);
    std::fs::write(&short, "id,x,kids,plan\n1,0.5,1,a\n2,0.5,1\n").unwrap();
    let output = mlobs(&[
        "drift",
        "--reference",
        good.to_str().unwrap(),
        "--current",
        short.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("line 3 has 3 cells"), "{stderr}");
}
