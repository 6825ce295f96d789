//! Running a scenario: deterministic, in event-time order, counted exactly
//! as the pipeline attributes, with traffic, labels, drift and faults where
//! and when the scenario puts them.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{play, recount, recountable, small, Memory, Sent};
use mlobs_scenarios::Scenario;
use mlobs_schemas::time::parse_rfc3339;
use mlobs_schemas::{FeatureValue, Outcome};

const MINUTE: i64 = 60_000;

fn scenario(extra: &str) -> Scenario {
    Scenario::from_toml(&small(extra)).expect("valid")
}

fn start() -> i64 {
    parse_rfc3339("2026-03-01T00:00:00Z").unwrap()
}

#[test]
fn the_same_seed_gives_the_same_events_and_truth() {
    let (first, truth) = play(scenario(""), MINUTE);
    let (second, again) = play(scenario(""), MINUTE);
    assert_eq!(first.sent, second.sent);
    assert_eq!(truth, again);
    let mut world = scenario("").without_pacing().prepare().unwrap();
    let mut third = Memory::default();
    let replay = world.run(&mut third, MINUTE).unwrap();
    let mut fourth = Memory::default();
    assert_eq!(
        world.run(&mut fourth, MINUTE).unwrap(),
        replay,
        "a world replays"
    );
    assert_eq!(third.sent, fourth.sent);
    let (other, _) = play(
        Scenario::from_toml(&small("").replace("seed = 3", "seed = 4")).unwrap(),
        MINUTE,
    );
    assert_ne!(first.sent, other.sent, "another seed, another run");
}

#[test]
fn truth_equals_a_recount_of_what_was_sent_even_when_the_output_drops() {
    for window_ms in [MINUTE, 7_000] {
        let (memory, truth) = play(scenario(""), window_ms);
        assert_eq!(recountable(&truth), recount(&memory, window_ms));
        assert!(truth
            .windows
            .iter()
            .any(|w| w.counts.correct < w.counts.labeled));
        // Labels sample the predictions: their accuracy is the world's.
        let total = |f: fn(&mlobs_scenarios::Counts) -> u64| {
            truth.windows.iter().map(|w| f(&w.counts)).sum::<u64>() as f64
        };
        let labeled = total(|c| c.correct) / total(|c| c.labeled);
        let world = total(|c| c.classified_right) / total(|c| c.classified);
        assert!((labeled - world).abs() < 0.03, "{labeled} {world}");
    }
    let mut world = scenario("").without_pacing().prepare().unwrap();
    let mut dropping = Memory::dropping_every(7);
    let truth = world.run(&mut dropping, MINUTE).unwrap();
    assert_eq!(recountable(&truth), recount(&dropping, MINUTE));
    let sent: HashSet<&str> = dropping
        .predictions()
        .map(|p| p.prediction_id.as_str())
        .collect();
    assert!(dropping
        .labels()
        .all(|l| sent.contains(l.prediction_id.as_str())));
    let (all, _) = play(scenario(""), MINUTE);
    let total = all.predictions().count();
    assert_eq!(
        sent.len(),
        total - total / 7,
        "every 7th prediction dropped"
    );
    assert!(dropping.labels().count() < all.labels().count());
}

#[test]
fn events_leave_in_event_time_order_with_unique_ids() {
    let (memory, truth) = play(scenario(""), MINUTE);
    let times: Vec<i64> = memory.sent.iter().map(Sent::event_time).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "one timeline");
    let ids: HashSet<&str> = memory
        .predictions()
        .map(|p| p.prediction_id.as_str())
        .collect();
    assert_eq!(ids.len(), memory.predictions().count());
    assert!(ids.iter().all(|id| id.starts_with("sim-3-")));
    let end = start() + 20 * MINUTE;
    assert!(memory
        .predictions()
        .all(|p| (start()..end).contains(&p.event_time)));
    // 20 minutes at 2 per second.
    let n = memory.predictions().count() as f64;
    assert!((n - 2_400.0).abs() < 150.0, "{n}");
    let windows: HashSet<i64> = truth.windows.iter().map(|w| w.window_start).collect();
    assert!(windows.len() >= 21, "labels reach past the end");
}

#[test]
fn traffic_weights_label_coverage_and_delays_hold() {
    let (memory, _) = play(scenario(""), MINUTE);
    let predictions: Vec<_> = memory.predictions().collect();
    let share_b =
        predictions.iter().filter(|p| p.version == "b").count() as f64 / predictions.len() as f64;
    assert!((share_b - 0.5).abs() < 0.04, "{share_b}");
    let coverage = memory.labels().count() as f64 / predictions.len() as f64;
    assert!((coverage - 0.8).abs() < 0.03, "{coverage}");
    let delays = memory.label_delays();
    assert!(delays.iter().all(|d| (10_000..=120_000).contains(d)));
    let mean = delays.iter().sum::<i64>() as f64 / delays.len() as f64;
    assert!((mean - 65_000.0).abs() < 3_000.0, "{mean}");
    // The buggy version (fewer rows, flipped sign) is visibly worse.
    let (_, truth) = play(scenario(""), MINUTE);
    let totals = truth.totals();
    let accuracy = |v: &str| {
        totals[&("fraud".to_string(), v.to_string())]
            .accuracy()
            .unwrap()
    };
    assert!(
        accuracy("a") > accuracy("b") + 0.03,
        "{} vs {}",
        accuracy("a"),
        accuracy("b")
    );
}

#[test]
fn drift_changes_only_the_named_feature_and_only_from_its_start() {
    let (clean, _) = play(scenario(""), MINUTE);
    let drift = r#"
[[drift]]
feature = "amount"
kind = "shift"
by = 100
at = "10m"
until = "15m"

[[drift]]
feature = "channel"
kind = "new_category"
value = "voucher"
weight = 6
at = "12m"

[[drift]]
feature = "hour"
kind = "missing"
rate = 0.5
at = "2026-03-01T00:05:00Z"
until = "6m"
"#;
    let (drifted, _) = play(scenario(drift), MINUTE);
    let (a, b): (Vec<_>, Vec<_>) = (
        clean.predictions().collect(),
        drifted.predictions().collect(),
    );
    assert_eq!(a.len(), b.len(), "drift draws from its own stream");
    let at = |m: i64| start() + m * MINUTE;
    let mut vouchers = 0;
    let mut missing = 0;
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.event_time, y.event_time);
        let t = x.event_time;
        let amount = |p: &mlobs_schemas::PredictionEvent| match p.features["amount"] {
            Some(FeatureValue::Numeric(v)) => v,
            _ => panic!("amount is never missing"),
        };
        if (at(10)..at(15)).contains(&t) {
            assert!((amount(y) - amount(x) - 100.0).abs() < 1e-9);
        } else {
            assert_eq!(amount(x), amount(y));
        }
        if y.features["channel"] != x.features["channel"] {
            assert!(t >= at(12));
            assert_eq!(
                y.features["channel"],
                Some(FeatureValue::Categorical("voucher".into()))
            );
            vouchers += 1;
        }
        if y.features["hour"] != x.features["hour"] {
            assert!((at(5)..at(6)).contains(&t), "{t}");
            assert_eq!(y.features["hour"], None);
            missing += 1;
        }
        if t < at(5) {
            assert_eq!(x, y, "nothing changes before the first drift");
        }
    }
    let after_12 = a.iter().filter(|p| p.event_time >= at(12)).count() as f64;
    let share = vouchers as f64 / after_12;
    assert!((share - 0.5).abs() < 0.05, "voucher share {share}");
    let in_minute_5 = a
        .iter()
        .filter(|p| (at(5)..at(6)).contains(&p.event_time))
        .count();
    assert!((missing as f64 / in_minute_5 as f64 - 0.5).abs() < 0.15);
    // Input drift leaves the world alone: the same true classes.
    let labels = |m: &Memory| m.labels().map(|l| l.label.clone()).collect::<Vec<_>>();
    assert_eq!(labels(&clean), labels(&drifted));
    // Population drift changes the world: the labels follow.
    let population = drift.replacen(
        "until = \"15m\"",
        "until = \"15m\"\naffects = \"population\"",
        1,
    );
    let (shifted, _) = play(scenario(&population), MINUTE);
    assert_ne!(labels(&clean), labels(&shifted));
}

#[test]
fn error_bursts_and_latency_spikes_hit_their_window_and_version() {
    let faults = r#"
[[faults]]
kind = "errors"
type = "gpu_oom"
rate = 0.3
from = "5m"
until = "10m"
version = "b"

[[faults]]
kind = "errors"
type = "timeout"
rate = 1
from = "15m"
until = "16m"

[[faults]]
kind = "latency_spike"
factor = 10
from = "2m"
until = "3m"
"#;
    let (memory, truth) = play(scenario(faults), MINUTE);
    let at = |m: i64| start() + m * MINUTE;
    let labeled: HashSet<&str> = memory.labels().map(|l| l.prediction_id.as_str()).collect();
    let mut oom = (0, 0);
    for p in memory.predictions() {
        let t = p.event_time;
        match &p.error {
            Some(e) => {
                assert!(
                    !labeled.contains(p.prediction_id.as_str()),
                    "a failure gets no label"
                );
                assert_eq!(p.prediction, Outcome::Class(String::new()));
                assert_eq!(p.confidence, None);
                if e.error_type == "gpu_oom" {
                    assert!((at(5)..at(10)).contains(&t) && p.version == "b");
                    assert_eq!(e.message, "CUDA out of memory");
                } else {
                    assert_eq!(e.error_type, "timeout");
                    assert!((at(15)..at(16)).contains(&t));
                }
            }
            None => assert!(
                !(at(15)..at(16)).contains(&t),
                "every request times out then"
            ),
        }
        if (at(5)..at(10)).contains(&t) && p.version == "b" {
            oom.0 += 1;
            oom.1 += u64::from(p.error.is_some());
        }
    }
    let rate = oom.1 as f64 / oom.0 as f64;
    assert!((rate - 0.3).abs() < 0.08, "gpu_oom rate {rate}");
    let predictions: u64 = truth.windows.iter().map(|w| w.counts.predictions).sum();
    assert_eq!(
        predictions as usize,
        memory.predictions().count(),
        "failures count"
    );

    let median = |from: i64, until: i64| {
        let mut l: Vec<f64> = memory
            .predictions()
            .filter(|p| (at(from)..at(until)).contains(&p.event_time))
            .map(|p| p.latency_ms)
            .collect();
        l.sort_by(f64::total_cmp);
        l[l.len() / 2]
    };
    let ratio = median(2, 3) / median(0, 2);
    assert!((5.0..20.0).contains(&ratio), "latency x{ratio}");
}

#[test]
fn a_label_delay_fault_stretches_the_delays_of_its_span_and_version_only() {
    let fault = r#"
[[faults]]
kind = "label_delay"
factor = 10
from = "5m"
until = "10m"
version = "b"
"#;
    let (clean, _) = play(scenario(""), MINUTE);
    let (late, _) = play(scenario(fault), MINUTE);
    let at = |m: i64| start() + m * MINUTE;
    let delays = |m: &Memory| -> std::collections::HashMap<String, i64> {
        let times: std::collections::HashMap<&str, (i64, &str)> = m
            .predictions()
            .map(|p| (p.prediction_id.as_str(), (p.event_time, p.version.as_str())))
            .collect();
        m.labels()
            .map(|l| {
                (
                    l.prediction_id.clone(),
                    l.event_time - times[l.prediction_id.as_str()].0,
                )
            })
            .collect()
    };
    let (before, after) = (delays(&clean), delays(&late));
    assert_eq!(before.len(), after.len(), "the same predictions get labels");
    let mut stretched = 0;
    for p in late.predictions() {
        let Some(d) = after.get(&p.prediction_id) else {
            continue;
        };
        let original = before[&p.prediction_id];
        if (at(5)..at(10)).contains(&p.event_time) && p.version == "b" {
            assert!((d - original * 10).abs() <= 10, "{d} vs 10 x {original}");
            stretched += 1;
        } else {
            assert_eq!(*d, original, "outside the fault nothing changes");
        }
    }
    assert!(stretched > 20, "{stretched} labels stretched");
    // The last label may come 10x later: the run lasts that much longer.
    let text = small(fault).replace("duration = \"20m\"", "duration = \"20m\"\nspeedup = 60");
    let paced = Scenario::from_toml(&text).unwrap();
    assert_eq!(
        paced.play_time().unwrap(),
        Duration::from_secs(20 * 60 / 60 + 1200 / 60)
    );
}

#[test]
fn a_paced_run_takes_its_event_time_divided_by_the_speedup() {
    let text = small("")
        .replace("duration = \"20m\"", "duration = \"30s\"\nspeedup = 15")
        .replace("max = \"2m\"", "max = \"15s\"");
    let scenario = Scenario::from_toml(&text).unwrap();
    let expected = scenario.play_time().unwrap();
    assert_eq!(expected, Duration::from_secs(3));
    let mut world = scenario.prepare().unwrap();
    let began = Instant::now();
    world.run(&mut Memory::default(), MINUTE).unwrap();
    let took = began.elapsed();
    assert!(
        took >= Duration::from_millis(2_000) && took <= expected + Duration::from_millis(1_500),
        "{took:?}"
    );
}

#[test]
fn baselines_profile_each_versions_training_features() {
    let world = scenario("").prepare().unwrap();
    let baselines = world.baselines();
    let names: Vec<(&str, &str)> = baselines
        .iter()
        .map(|(m, v, _)| (m.as_str(), v.as_str()))
        .collect();
    assert_eq!(names, [("fraud", "a"), ("fraud", "b")]);
    let (_, _, a) = &baselines[0];
    assert_eq!(a.rows, 800);
    assert_eq!(baselines[1].2.rows, 100);
    let features: Vec<&str> = a.features.keys().map(String::as_str).collect();
    assert_eq!(
        features,
        ["amount", "channel", "hour"],
        "features only, no label"
    );
    let json = a.to_json();
    assert_eq!(
        &mlobs_operators::baseline::Baseline::from_json(&json).unwrap(),
        a
    );
}

#[test]
fn truth_serializes_as_an_array_with_rfc3339_windows() {
    let (_, truth) = play(scenario(""), MINUTE);
    let json = serde_json::to_value(&truth).unwrap();
    let first = &json[0];
    assert_eq!(first["window_start"], "2026-03-01T00:00:00Z");
    assert_eq!(first["window_end"], "2026-03-01T00:01:00Z");
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "classified",
            "classified_right",
            "correct",
            "labeled",
            "model",
            "predictions",
            "version",
            "window_end",
            "window_start"
        ]
    );
    let back: mlobs_scenarios::Truth = serde_json::from_value(json).unwrap();
    assert_eq!(back, truth);
}
