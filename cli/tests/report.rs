//! `mlobs report` on the real stack: the seed's section-7 incident played
//! through the pipeline and the agent (rollback approved by policy, then
//! verified), a few timeouts on the way, and the report drawn from
//! ClickHouse afterwards; and the errors a user can make.

mod support;

use std::path::Path;
use std::time::Duration;

use mlobs_testkit::wait_until;
use serde_json::Value;
use support::investigate::incidents;
use support::{counts, stop_gracefully, Pipeline, DEADLINE};

const CHARTS: [&str; 5] = ["accuracy", "traffic", "drift", "latency", "errors"];

/// The width of a PNG, from its IHDR chunk.
fn png_width(path: &Path) -> u32 {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[1..4], b"PNG", "{} is a PNG", path.display());
    u32::from_be_bytes(bytes[16..20].try_into().unwrap())
}

/// The cells of the page's table row whose first cell is `first`.
fn row(page: &str, first: &str) -> Vec<String> {
    let start = format!("<tr><td>{first}</td>");
    let line = page
        .lines()
        .find(|l| l.starts_with(&start))
        .unwrap_or_else(|| panic!("no row {first} in {page}"));
    line.trim_start_matches("<tr><td>")
        .trim_end_matches("</td></tr>")
        .split("</td><td>")
        .map(str::to_string)
        .collect()
}

/// `mlobs report args` fails with exit code 2 and a message holding
/// `expected`, not a panic.
fn fails(pipeline: &Pipeline, args: &[&str], expected: &str) {
    let output = pipeline
        .mlobs(&[&["report"], args].concat())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Accuracy (%) of `version` over every window of the truth.
fn true_accuracy(truth: &Value, version: &str) -> f64 {
    let (mut labeled, mut correct) = (0, 0);
    for (_, v, _, _, _, l, c) in counts(truth) {
        if v == version {
            labeled += l;
            correct += c;
        }
    }
    100.0 * correct as f64 / labeled as f64
}

#[test]
fn a_rolled_back_incident_is_drawn_with_its_alerts_action_and_resolution() {
    let (mut pipeline, model, scenario) = Pipeline::section_7("report");
    let policies = pipeline.path("policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::write(policies.join("simulation.toml"), "auto = [\"rollback\"]\n").unwrap();
    pipeline.set("MLOBS_AGENT_POLICY_DIR", policies.to_str().unwrap());
    // 2% timeouts of version 2 for 20 minutes: under the 5% that alerts.
    let mut text = std::fs::read_to_string(&scenario).unwrap();
    text.push_str(
        "\n[[faults]]\nkind = \"errors\"\ntype = \"timeout\"\nrate = 0.02\nfrom = \"20m\"\nuntil = \"40m\"\nversion = \"2\"\n",
    );
    std::fs::write(&scenario, text).unwrap();

    let run = pipeline.start("run", &[]);
    let agent = pipeline.agent();
    let simulator = pipeline.simulate_registered(&scenario);
    let resolved = wait_until(
        Duration::from_secs(300),
        "the incident to be resolved",
        || {
            incidents(&pipeline)
                .into_iter()
                .find(|i| i["status"] != "open")
        },
    );
    assert_eq!(resolved["status"], "resolved", "{resolved:#}");
    let truth = pipeline.background_truth(simulator);
    wait_until(DEADLINE, "ClickHouse's windows to equal the truth", || {
        (pipeline.history_windows() == counts(&truth)).then_some(())
    });

    let out = pipeline.path("report");
    let printed = pipeline.succeed(&[
        "report",
        "--model",
        &model,
        "--since",
        "2026-01-05T09:00:00Z",
        "--until",
        "2026-01-05T14:00:00Z",
        "--output",
        out.to_str().unwrap(),
    ]);
    println!("{printed}");
    assert!(printed.starts_with("wrote "), "{printed}");

    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    for chart in CHARTS {
        assert_eq!(
            png_width(&out.join(format!("{chart}.png"))),
            1200,
            "{chart}"
        );
        assert!(
            page.contains(&format!("<img src=\"{chart}.svg\"")),
            "{chart}"
        );
        assert!(
            page.contains(&format!("<a href=\"{chart}.png\">")),
            "{chart}"
        );
        let svg = std::fs::read_to_string(out.join(format!("{chart}.svg"))).unwrap();
        assert!(
            svg.contains("window start (UTC, 2026-01-05, hour:minute)"),
            "{chart}"
        );
        // Every chart marks the three moments, each with its legend entry.
        for legend in ["alert fired", "action taken", "incident resolved"] {
            assert!(svg.contains(legend), "{chart} has no {legend:?}");
        }
        assert!(
            svg.contains("accuracy_slo (v2)"),
            "{chart}: the alert's label"
        );
        assert!(svg.contains("rollback to 1"), "{chart}: the action's label");
    }
    let svg = |chart: &str| std::fs::read_to_string(out.join(format!("{chart}.svg"))).unwrap();
    let accuracy = svg("accuracy");
    for text in [
        "accuracy (% of labeled predictions)",
        "version 1",
        "version 2",
        "SLO 94.0%",
    ] {
        assert!(accuracy.contains(text), "accuracy.svg: {text:?}");
    }
    assert!(svg("traffic").contains("share of the model"));
    let drift = svg("drift");
    assert!(drift.contains("monthly_charges (wasserstein)"), "drift.svg");
    assert!(drift.contains("threshold 0.1"), "drift.svg");
    let latency = svg("latency");
    assert!(latency.contains("latency (ms)") && latency.contains("version 2 p99"));
    let errors = svg("errors");
    assert!(errors.contains("timeout") && errors.contains("failed predictions per window"));

    // The numbers: each version's accuracy is the truth's.
    for version in ["1", "2"] {
        let cells = row(&page, version);
        let shown: f64 = cells[5].trim_end_matches('%').parse().unwrap();
        let truth = true_accuracy(&truth, version);
        assert!(
            (shown - truth).abs() < 0.01,
            "version {version}: {shown} vs {truth}"
        );
    }
    // The agent's wall-clock moments land in event time, in their order.
    let order: Vec<usize> = [
        "<td>alert fired</td>",
        "<td>action taken</td>",
        "<td>incident resolved</td>",
    ]
    .iter()
    .map(|what| {
        page.find(what)
            .unwrap_or_else(|| panic!("{what} in the table"))
    })
    .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{order:?}");

    // A range the model has no window in says where its windows are.
    let out = out.to_str().unwrap();
    let since = ["--model", &model, "--since"];
    fails(
        &pipeline,
        &[&since[..], &["2026-01-06T00:00:00Z", "--output", out]].concat(),
        "its windows start from 2026-01-05T09:00:00Z",
    );
    // An output folder that cannot be made (under a file).
    let blocked = format!("{out}/report.html/inside");
    fails(
        &pipeline,
        &[&since[..], &["2026-01-05T09:00:00Z", "--output", &blocked]].concat(),
        "give an --output folder you can write to",
    );

    stop_gracefully(agent);
    stop_gracefully(run);
}

#[test]
fn bad_input_says_what_to_change() {
    let pipeline = Pipeline::unstarted("report-input", 1);
    pipeline.succeed(&["clickhouse", "migrate"]);
    let out = pipeline.path("report");
    let out = out.to_str().unwrap();
    fails(
        &pipeline,
        &[
            "--model",
            "nope",
            "--since",
            "2026-01-05T09:00:00Z",
            "--output",
            out,
        ],
        "model \"nope\" has no evaluation windows in ClickHouse; known models: none yet",
    );
    fails(
        &pipeline,
        &[
            "--model",
            "churn",
            "--since",
            "2026-01-05T12:00:00Z",
            "--until",
            "2026-01-05T09:00:00Z",
            "--output",
            out,
        ],
        "--since 2026-01-05T12:00:00Z is not before --until 2026-01-05T09:00:00Z",
    );
    fails(
        &pipeline,
        &["--model", "churn", "--since", "yesterday", "--output", out],
        "--since: \"yesterday\" is not an RFC 3339 time",
    );
}
