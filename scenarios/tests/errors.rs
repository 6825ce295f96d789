//! A bad scenario is one clear message naming the key and what is allowed,
//! never a panic.

mod common;

use std::path::Path;

use common::{small, Memory};
use mlobs_scenarios::{Scenario, SimError};

/// The message of a scenario that must be refused.
fn refused(text: &str) -> String {
    match Scenario::from_toml(text) {
        Err(SimError::Scenario(message)) => {
            assert!(!message.contains('\n'), "one line: {message}");
            message
        }
        other => panic!("expected a scenario error, got {other:?}"),
    }
}

/// `small()` with `from` replaced by `to` (which must change something).
fn edited(from: &str, to: &str) -> String {
    let text = small("");
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1)
}

#[test]
fn every_bad_value_names_its_key_and_what_is_allowed() {
    let cases: &[(String, &[&str])] = &[
        (edited("seed = 3", "sede = 3"), &["unknown field `sede`", "line 2", "`seed`"]),
        (edited("rate = 2", "rate = \"fast\""), &["line 5", "rate = \"fast\"", "invalid type"]),
        (edited("duration = \"20m\"", "duration = \"20 minutes\""), &["`duration`", "2h"]),
        (edited("start = \"2026-03-01T00:00:00Z\"", "start = \"yesterday\""), &["`start`", "RFC 3339"]),
        (edited("rate = 2", "rate = 0"), &["`rate`", "> 0"]),
        (edited("rate = 2", "rate = 2\nspeedup = -1"), &["`speedup`", ">= 0"]),
        (edited("sigma = 1", "sigma = -1"), &["`models[fraud].features[amount].sigma`", "> 0"]),
        (edited("distribution = \"lognormal\"", "distribution = \"poisson\""), &["`models[fraud].features[amount].distribution`", "normal, lognormal, uniform or categorical"]),
        (edited("median = 40", "mean = 40"), &["`models[fraud].features[amount].mean`", "not a parameter here", "median and sigma"]),
        (edited("low = 0\n", ""), &["`models[fraud].features[hour].low`", "missing"]),
        (edited("high = 24", "high = -1"), &["features[hour].high", "greater than `low`"]),
        (edited("classes = [\"ok\", \"fraud\"]", "classes = [\"ok\"]"), &["`models[fraud].classes`", "two different labels"]),
        (edited("hour = 0.2 }", "hours = 0.2 }"), &["`models[fraud].truth.weights.hours`", "numeric features: amount, hour"]),
        (edited("flip_sign = [\"hour\"]", "flip_sign = [\"minute\"]"), &["`models[fraud].versions[b].flip_sign`", "\"minute\"", "amount, hour, channel"]),
        (edited("training_rows = 100", "training_rows = 3"), &["`models[fraud].versions[b].training_rows`", "at least 10"]),
        (edited("weights = { a = 1, b = 1 }", "weights = { a = 1, c = 1 }"), &["`models[fraud].traffic[0].weights.c`", "versions: a, b"]),
        (edited("at = \"0s\"", "at = \"5m\""), &["`models[fraud].traffic[0].at`", "scenario start"]),
        (edited("coverage = 0.8", "coverage = 1.5"), &["`models[fraud].labels.coverage`", "between 0 and 1"]),
        (edited("min = \"10s\", ", ""), &["`models[fraud].labels.delay.min`", "min and max"]),
        (edited("distribution = \"uniform\", min", "distribution = \"gamma\", min"), &["`models[fraud].labels.delay.distribution`", "exponential"]),
        (small("[[drift]]\nfeature = \"colour\"\nkind = \"shift\"\nby = 1\nat = \"1m\""), &["`drift[0].feature`", "no model has"]),
        (small("[[drift]]\nfeature = \"channel\"\nkind = \"scale\"\nfactor = 2\nat = \"1m\""), &["`drift[0].kind`", "categorical"]),
        (small("[[drift]]\nfeature = \"amount\"\nkind = \"scale\"\nby = 2\nat = \"1m\""), &["`drift[0].by`", "not a parameter here", "factor"]),
        (small("[[drift]]\nfeature = \"amount\"\nkind = \"missing\"\nrate = 0.1\nat = \"1m\"\naffects = \"population\""), &["`drift[0].affects`", "input"]),
        (small("[[drift]]\nfeature = \"amount\"\nkind = \"shift\"\nby = 1\nat = \"5m\"\nuntil = \"1m\""), &["`drift[0].until`", "later than `at`"]),
        (small("[[drift]]\nfeature = \"channel\"\nkind = \"new_category\"\nvalue = \"web\"\nweight = 1\nat = \"1m\""), &["`drift[0].value`", "does not already have"]),
        (small("[[faults]]\nkind = \"meltdown\"\nfrom = \"1m\"\nuntil = \"2m\""), &["`faults[0].kind`", "latency_spike", "errors"]),
        (small("[[faults]]\nkind = \"errors\"\ntype = \"timeout\"\nrate = 2\nfrom = \"1m\"\nuntil = \"2m\""), &["`faults[0].rate`", "between 0 and 1"]),
        (small("[[faults]]\nkind = \"errors\"\ntype = \"timeout\"\nrate = 0.1\nfrom = \"1m\"\nuntil = \"2m\"\nversion = \"z\""), &["`faults[0].version`", "no such version"]),
        (small("[[faults]]\nkind = \"latency_spike\"\nfrom = \"1m\"\nuntil = \"2m\""), &["`faults[0].factor`", "missing"]),
        (small("[[faults]]\nkind = \"resource_contention\"\nfactor = 3\ngpu_utilization = 1.5\nfrom = \"1m\"\nuntil = \"2m\""), &["`faults[0].gpu_utilization`", "between 0 and 1"]),
        (small("[[faults]]\nkind = \"latency_spike\"\nfactor = 3\ngpu_utilization = 0.9\nfrom = \"1m\"\nuntil = \"2m\""), &["`faults[0].gpu_utilization`", "resource_contention"]),
        (small("[[faults]]\nkind = \"latency_spike\"\nfactor = 3\nfrom = \"soon\"\nuntil = \"2m\""), &["`faults[0].from`", "RFC 3339"]),
    ];
    let mut wrong = Vec::new();
    for (text, expected) in cases {
        let message = refused(text);
        if let Some(part) = expected.iter().find(|part| !message.contains(*part)) {
            wrong.push(format!("{part:?} not in: {message}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_truncated_or_garbled_file_is_an_error_not_a_panic() {
    let text = small("");
    let lines: Vec<&str> = text.lines().collect();
    for n in 0..lines.len() {
        let prefix = lines[..n].join("\n");
        let _ = Scenario::from_toml(&prefix);
        let without_line: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != n)
            .map(|(_, l)| *l)
            .collect();
        let _ = Scenario::from_toml(&without_line.join("\n"));
    }
    let missing = refused(&edited("seed = 3\n", ""));
    assert!(missing.contains("missing field `seed`"), "{missing}");
}

#[test]
fn unreadable_files_untrainable_worlds_and_bad_windows_are_errors() {
    let path = Path::new("/nonexistent/scenario.toml");
    let message = Scenario::load(path).unwrap_err().to_string();
    assert!(message.contains("/nonexistent/scenario.toml"), "{message}");

    let one_class = Scenario::from_toml(&edited("intercept = -5.5", "intercept = 500")).unwrap();
    let message = one_class.prepare().err().unwrap().to_string();
    assert!(
        message.contains("models[fraud].truth") && message.contains("same class"),
        "{message}"
    );

    let mut world = Scenario::from_toml(&small("")).unwrap().prepare().unwrap();
    let message = world
        .run(&mut Memory::default(), 0)
        .unwrap_err()
        .to_string();
    assert!(message.contains("window size 0 ms"), "{message}");
}
