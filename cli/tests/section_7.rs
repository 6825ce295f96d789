//! The seed's section 7 as `make demo` tells it (scenarios/section7.toml,
//! the demo's approval policy and retrain settings), on the real stack:
//! drift is detected within 2 windows, diagnosed as input drift on
//! monthly_charges, rolled back (Option A) and retrained (Option B) without
//! a person, and accuracy is back, as the simulator's truth says it is.

mod support;

use std::time::Duration;

use mlobs_schemas::time::parse_rfc3339;
use support::investigate::{detection, incident_once};
use support::{counts, stop_gracefully, Pipeline};

/// When the scenario changes monthly_charges' unit.
const INJECTED: &str = "2026-01-05T10:00:00Z";
/// Three hours of event time at 100x, then the last windows and the
/// verification: the whole story.
const STORY: Duration = Duration::from_secs(420);

/// (labeled, correct) of the windows of `counts` starting at or after
/// `after_ms`.
fn tally(counts: &support::WindowCounts, after_ms: i64) -> (u64, u64) {
    counts
        .iter()
        .filter(|w| parse_rfc3339(&w.2).unwrap() >= after_ms)
        .fold((0, 0), |(l, c), w| (l + w.5, c + w.6))
}

#[test]
fn make_demo_story_detects_diagnoses_rolls_back_retrains_and_recovers() {
    let (mut pipeline, model, _) = Pipeline::on_registry("section7", "section7.toml");
    let scenario = pipeline.scenario_for("section7.toml", &model, "story", &[]);
    // infra/demo.sh's settings.
    let policies = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/agent/policies");
    pipeline.set("MLOBS_WINDOWS_ALLOWED_LATENESS_MS", "1500000");
    pipeline.set("MLOBS_ALERTS_DEFAULTS_MIN_ACCURACY", "0.94");
    pipeline.set("MLOBS_AGENT_POLICY_DIR", policies);
    pipeline.set("MLOBS_RETRAIN_HOLDOUT_SHARE", "0.3");
    pipeline.set("MLOBS_RETRAIN_MARGIN", "0.005");
    let run = pipeline.start("run", &[]);
    let agent = pipeline.agent();
    let simulator = pipeline.simulate_registered(&scenario);

    let closed = incident_once(&pipeline, STORY, "the incident to close", |i| {
        i["status"] != "open"
    });
    println!("{closed:#}");
    let truth = pipeline.background_truth(simulator);

    // Detected within 2 windows, the right category, both options carried
    // out under the demo's policy.
    detection(&pipeline, INJECTED, 600_000);
    let report = &closed["report"];
    assert_eq!(report["root_cause"]["category"], "data.drift");
    assert_eq!(report["root_cause"]["feature"], "monthly_charges");
    let rollback = &closed["action"];
    assert_eq!(rollback["action"], "rollback");
    assert_eq!(rollback["target_version"], "1");
    assert_eq!(rollback["status"], "executed");
    assert_eq!(rollback["decided_by"], "policy:simulation");
    let retrain = &closed["follow_ups"][0];
    assert_eq!(retrain["action"], "retrain", "{closed:#}");
    assert_eq!(retrain["status"], "executed", "{retrain:#}");
    assert_eq!(retrain["decided_by"], "policy:simulation");
    let result = retrain["result"].as_str().unwrap();
    assert!(
        result.starts_with("registered version 3, promoted to champion (was 1)"),
        "{result}"
    );
    assert_eq!(closed["status"], "resolved", "{closed:#}");

    // Every step of the job, in agent_actions under the action's id.
    let job = retrain["action_id"].as_str().unwrap();
    let steps = pipeline.history(&format!(
        "SELECT action, status FROM {{db}}.agent_actions FINAL WHERE action_id LIKE '{job}/%' ORDER BY action_id"
    ));
    let names: Vec<&str> = steps
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "retrain.fetch",
            "retrain.dataset",
            "retrain.train",
            "retrain.evaluate",
            "retrain.register",
            "retrain.challenger",
            "retrain.promote"
        ]
    );
    assert!(steps.iter().all(|s| s["status"] == "executed"), "{steps:?}");
    let moves = pipeline.history(&format!(
        "SELECT action, version, actor FROM {{db}}.registry_events WHERE model = '{model}' \
         AND actor = 'mlobs-agent' ORDER BY event_time_ms"
    ));
    let moves: Vec<(&str, &str)> = moves
        .iter()
        .map(|m| {
            (
                m["action"].as_str().unwrap(),
                m["version"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [("rollback", "1"), ("traffic", "3"), ("promote", "3")]
    );
    let shown = pipeline.succeed(&["model", "show", &model]);
    assert!(shown.starts_with("champion: version 3"), "{shown}");

    // Accuracy after the remedies: at least 95%, and what the simulator
    // says it was within a point.
    let after = closed["verify_after_ms"].as_i64().unwrap();
    let (labeled, correct) = tally(&pipeline.history_windows(), after);
    let (true_labeled, true_correct) = tally(&counts(&truth), after);
    let accuracy = correct as f64 / labeled as f64;
    let true_accuracy = true_correct as f64 / true_labeled as f64;
    println!("after recovery: {accuracy:.4} of {labeled} labeled; truth {true_accuracy:.4} of {true_labeled}");
    assert!(labeled > 1000, "{labeled} labels after the remedies");
    assert!(accuracy >= 0.95, "{accuracy}");
    assert!(
        (accuracy - true_accuracy).abs() <= 0.01,
        "{accuracy} vs {true_accuracy}"
    );

    // The demo's report marks every turn of the story.
    let dir = pipeline.path("report");
    pipeline.succeed(&[
        "report",
        "--model",
        &model,
        "--since",
        "2026-01-05T09:00:00Z",
        "--until",
        "2026-01-05T12:30:00Z",
        "--output",
        dir.to_str().unwrap(),
        "--mark",
        &format!("{INJECTED}=monthly_charges x1.8 injected"),
    ]);
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for kind in [
        "marked",
        "alert fired",
        "incident diagnosed",
        "action taken",
        "incident resolved",
    ] {
        assert!(page.contains(kind), "no {kind} in the report");
    }
    let table = &page[page.find("<h2>Alerts").unwrap_or(0)..];
    assert!(
        table.contains("registered version 3"),
        "the retrain is an action of its own: {table}"
    );

    stop_gracefully(agent);
    stop_gracefully(run);
}
