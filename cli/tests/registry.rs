//! `mlobs model promote|rollback|traffic` and `mlobs baseline build
//! --register` against the local stack's MLflow and ClickHouse (no mock):
//! aliases, tags and the `registry_events` history, and what a wrong flag
//! or an unknown version prints.

mod support;

use std::process::Output;

use mlobs_registry::serving::{AUDIT_ACTION, AUDIT_BY, AUDIT_REASON, AUDIT_REPLACED, TRAFFIC_TAG};
use mlobs_registry::{baseline, Registry};
use mlobs_testkit::{mlflow_url, unique_name};
use support::{output_within, Pipeline, DEADLINE};

fn registry() -> Registry {
    Registry::new(&mlflow_url()).unwrap()
}

/// A registered model of a unique name with `versions` versions.
fn model_with_versions(versions: usize) -> String {
    let registry = registry();
    let name = unique_name("registry-cli");
    registry.create_model(&name).unwrap();
    let experiment = registry.experiment("mlobs-registry-tests").unwrap();
    let run = registry.create_run(&experiment, &name, 0, &[]).unwrap();
    for _ in 0..versions {
        let source = format!("runs:/{}/model", run.run_id);
        registry
            .create_version(&name, &source, &run.run_id)
            .unwrap();
    }
    name
}

fn run(pipeline: &Pipeline, args: &[&str]) -> Output {
    output_within(pipeline.mlobs(args), DEADLINE)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// Runs `mlobs args` expecting exit code 2 and one `error:` line without a
/// panic; returns that line.
fn refused(pipeline: &Pipeline, args: &[&str]) -> String {
    let output = run(pipeline, args);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "mlobs {args:?}: {text}");
    assert!(!text.contains("panicked"), "{text}");
    text
}

#[test]
fn promote_traffic_and_rollback_move_aliases_and_are_audited() {
    let pipeline = Pipeline::unstarted("registry-cli", 1);
    let model = model_with_versions(3);
    let m = model.as_str();
    let registry = registry();

    let ok = |args: &[&str], by: &str, reason: &str| {
        let args = [args, &["--by", by, "--reason", reason]].concat();
        let output = run(&pipeline, &args);
        assert!(
            output.status.success(),
            "mlobs {args:?}: {}",
            stderr(&output)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    ok(
        &["model", "promote", m, "--version", "1"],
        "alice",
        "first release",
    );
    assert_eq!(registry.model(m).unwrap().alias("champion"), Some("1"));

    ok(
        &["model", "traffic", m, "--challenger", "2", "--share", "0.1"],
        "bob",
        "canary",
    );
    let after = registry.model(m).unwrap();
    assert_eq!(after.alias("challenger"), Some("2"));
    assert_eq!(after.tag(TRAFFIC_TAG), Some("0.1"));
    let shown = run(&pipeline, &["model", "show", m]);
    assert_eq!(
        String::from_utf8_lossy(&shown.stdout),
        "champion: version 1; last change: promote by alice: first release\n\
         challenger: version 2 (share 0.1); last change: traffic by bob: canary\n"
    );

    // --by defaults to $USER; without --challenger the current one is kept.
    let mut as_erin =
        pipeline.mlobs(&["model", "traffic", m, "--share", "0.25", "--reason", "more"]);
    as_erin.env("USER", "erin");
    let output = output_within(as_erin, DEADLINE);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(registry.model(m).unwrap().tag(TRAFFIC_TAG), Some("0.25"));
    assert_eq!(
        registry.version(m, "2").unwrap().tag(AUDIT_BY),
        Some("erin")
    );

    let promoted = ok(
        &["model", "promote", m, "--version", "2"],
        "carol",
        "canary won",
    );
    assert!(
        promoted.contains("champion is version 2 (was version 1)"),
        "{promoted}"
    );
    let after = registry.model(m).unwrap();
    assert_eq!(after.alias("champion"), Some("2"));
    assert_eq!(
        after.alias("challenger"),
        None,
        "a promoted challenger is no longer one"
    );
    assert_eq!(after.tag(TRAFFIC_TAG), Some("0"));

    let again = ok(&["model", "promote", m, "--version", "2"], "carol", "again");
    assert!(again.contains("nothing changed"), "{again}");

    let shown = run(&pipeline, &["model", "show", m]);
    assert_eq!(
        String::from_utf8_lossy(&shown.stdout),
        "champion: version 2; last change: promote by carol: canary won\nchallenger: none\n"
    );
    ok(
        &["model", "rollback", m, "--to", "1"],
        "dave",
        "accuracy fell",
    );
    assert_eq!(registry.model(m).unwrap().alias("champion"), Some("1"));
    let v1 = registry.version(m, "1").unwrap();
    assert_eq!(v1.tag(AUDIT_ACTION), Some("rollback"));
    assert_eq!(v1.tag(AUDIT_BY), Some("dave"));
    assert_eq!(v1.tag(AUDIT_REASON), Some("accuracy fell"));
    assert_eq!(v1.tag(AUDIT_REPLACED), Some("2"));

    // A rollback to the champion itself stops its canary.
    ok(
        &["model", "traffic", m, "--challenger", "3", "--share", "0.2"],
        "bob",
        "new canary",
    );
    ok(
        &["model", "rollback", m, "--to", "1"],
        "dave",
        "canary is worse",
    );
    let after = registry.model(m).unwrap();
    assert_eq!(after.alias("champion"), Some("1"));
    assert_eq!(after.alias("challenger"), None);
    assert_eq!(after.tag(TRAFFIC_TAG), Some("0"));
    let again = ok(&["model", "rollback", m, "--to", "1"], "dave", "again");
    assert!(again.contains("nothing changed"), "{again}");

    let rows = pipeline.history(&format!(
        "SELECT action, version, previous_version, share, previous_share, actor, reason \
         FROM {{db}}.registry_events FINAL WHERE model = '{m}' ORDER BY event_time_ms, action"
    ));
    let got: Vec<(String, String, String, f64, f64, String, String)> = rows
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_string();
            (
                s("action"),
                s("version"),
                s("previous_version"),
                support::services::number(&r["share"]),
                support::services::number(&r["previous_share"]),
                s("actor"),
                s("reason"),
            )
        })
        .collect();
    let row = |a: &str, v: &str, p: &str, share: f64, before: f64, by: &str, why: &str| {
        (
            a.to_string(),
            v.to_string(),
            p.to_string(),
            share,
            before,
            by.to_string(),
            why.to_string(),
        )
    };
    assert_eq!(
        got,
        [
            row("promote", "1", "", 0.0, 0.0, "alice", "first release"),
            row("traffic", "2", "", 0.1, 0.0, "bob", "canary"),
            row("traffic", "2", "2", 0.25, 0.1, "erin", "more"),
            row("promote", "2", "1", 0.0, 0.25, "carol", "canary won"),
            row("rollback", "1", "2", 0.0, 0.0, "dave", "accuracy fell"),
            row("traffic", "3", "", 0.2, 0.0, "bob", "new canary"),
            row("rollback", "1", "1", 0.0, 0.2, "dave", "canary is worse"),
        ]
    );
    pipeline.drop_database();
}

#[test]
fn wrong_flags_and_unknown_versions_say_what_to_do() {
    let pipeline = Pipeline::unstarted("registry-cli-errors", 1);
    let model = model_with_versions(2);
    let m = model.as_str();
    fn with<'a>(args: &[&'a str]) -> Vec<&'a str> {
        [args, &["--by", "tester", "--reason", "test"]].concat()
    }

    let unknown = refused(&pipeline, &with(&["model", "promote", m, "--version", "9"]));
    assert!(
        unknown.contains(&format!("model {m} has no version \"9\"")),
        "{unknown}"
    );
    assert!(unknown.contains(&format!("#/models/{m}")), "{unknown}");

    let unknown_show = refused(&pipeline, &["model", "show", "never-registered-x"]);
    assert!(
        unknown_show.contains("no registered model"),
        "{unknown_show}"
    );
    let no_model = refused(
        &pipeline,
        &with(&["model", "promote", "never-registered-x", "--version", "1"]),
    );
    assert!(
        no_model.contains("no registered model \"never-registered-x\""),
        "{no_model}"
    );

    let no_champion = refused(&pipeline, &with(&["model", "rollback", m, "--to", "1"]));
    assert!(no_champion.contains("has no champion"), "{no_champion}");
    assert!(no_champion.contains("mlobs model promote"), "{no_champion}");

    let share = refused(
        &pipeline,
        &with(&["model", "traffic", m, "--challenger", "2", "--share", "1.5"]),
    );
    assert!(share.contains("from 0 to 1"), "{share}");
    let version = refused(
        &pipeline,
        &with(&["model", "promote", m, "--version", "two"]),
    );
    assert!(version.contains("MLflow numbers versions"), "{version}");
    let no_reason = refused(
        &pipeline,
        &["model", "promote", m, "--version", "1", "--by", "x"],
    );
    assert!(no_reason.contains("--reason"), "{no_reason}");

    let ok = run(&pipeline, &with(&["model", "promote", m, "--version", "1"]));
    assert!(ok.status.success(), "{}", stderr(&ok));
    let same = refused(
        &pipeline,
        &with(&["model", "traffic", m, "--challenger", "1", "--share", "0.1"]),
    );
    assert!(same.contains("is the champion"), "{same}");
    let none = refused(&pipeline, &with(&["model", "traffic", m, "--share", "0.1"]));
    assert!(none.contains("--challenger V"), "{none}");

    // MLflow away: a failure at run time (exit 1) naming the call and the setting.
    let mut away = pipeline.mlobs(&with(&["model", "promote", m, "--version", "2"]));
    away.env(
        "MLOBS_MLFLOW_URL",
        format!("http://127.0.0.1:{}", mlobs_testkit::services::free_port()),
    );
    let output = output_within(away, DEADLINE);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "mlflow registered-models/get ({m}): cannot reach MLflow"
        )),
        "{text}"
    );
    assert!(text.contains("mlflow.url"), "{text}");
    assert_eq!(
        registry().model(m).unwrap().alias("champion"),
        Some("1"),
        "nothing changed"
    );
    pipeline.drop_database();
}

#[test]
fn baseline_build_registers_the_profile_on_the_model_version() {
    let pipeline = Pipeline::unstarted("registry-baseline", 1);
    let model = model_with_versions(1);
    let m = model.as_str();
    let train = pipeline.dir.join("train.csv");
    let mut csv = String::from("age,plan\n");
    for i in 0..200 {
        csv.push_str(&format!("{},{}\n", 20 + i % 50, ["basic", "pro"][i % 2]));
    }
    std::fs::write(&train, csv).unwrap();
    let output = pipeline.dir.join("baseline.json");
    let (train, output_path) = (train.to_str().unwrap(), output.to_str().unwrap());

    let missing = refused(
        &pipeline,
        &[
            "baseline",
            "build",
            "--input",
            train,
            "--register",
            m,
            "--model-version",
            "5",
        ],
    );
    assert!(
        missing.contains(&format!("no version 5 of a registered model \"{m}\"")),
        "{missing}"
    );
    assert!(
        missing.contains("register the model version first"),
        "{missing}"
    );
    let half = refused(
        &pipeline,
        &["baseline", "build", "--input", train, "--register", m],
    );
    assert!(half.contains("--model-version"), "{half}");

    let done = run(
        &pipeline,
        &[
            "baseline",
            "build",
            "--input",
            train,
            "--output",
            output_path,
            "--register",
            m,
            "--model-version",
            "1",
        ],
    );
    assert!(done.status.success(), "{}", stderr(&done));
    let registry = registry();
    let version = registry.version(m, "1").unwrap();
    assert_eq!(version.tag(baseline::ROWS_TAG), Some("200"));
    assert_eq!(version.tag(baseline::FEATURES_TAG), Some("2"));
    assert_eq!(version.tag(baseline::FORMAT_TAG), Some("1"));
    let uri = version.tag(baseline::URI_TAG).expect("the URI tag");
    assert_eq!(
        baseline::fetch(&registry, uri).unwrap(),
        std::fs::read_to_string(&output).unwrap(),
        "MLflow holds the profile written to --output"
    );
}
