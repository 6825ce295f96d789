use super::*;

fn partial(window_start: i64, predictions: u64) -> ClosedPartial {
    let metrics = MetricsPartial {
        predictions,
        ..MetricsPartial::default()
    };
    ClosedPartial {
        model: "m".into(),
        version: "1".into(),
        environment: "test".into(),
        window_start,
        window_end: window_start + 60,
        metrics,
    }
}

fn window(source: u32, window_start: i64, predictions: u64) -> PartialRecord {
    PartialRecord::Window {
        source,
        partial: Box::new(partial(window_start, predictions)),
    }
}

fn heartbeat(source: u32, closed_before: Option<i64>) -> PartialRecord {
    PartialRecord::Heartbeat(Heartbeat {
        source,
        sources: 2,
        closed_before,
        idle_empty: false,
    })
}

#[test]
fn a_window_completes_when_every_source_has_moved_past_it() {
    let mut e = Evaluator::new(10_000);
    e.on_record(window(0, 0, 5), 0, 0);
    e.on_record(heartbeat(0, Some(60)), 1, 0);
    assert!(e.poll(1).is_empty(), "source 1 has not reported");
    e.on_record(heartbeat(1, Some(60)), 2, 1);
    let results = e.poll(2);
    assert_eq!(results.len(), 1);
    assert!(results[0].complete);
    assert_eq!(
        (results[0].metrics.predictions, results[0].sources_with_data),
        (5, 1)
    );
    assert_eq!(
        e.safe_offset(),
        0,
        "until both checkpoints have the window closed"
    );
    e.on_record(heartbeat(0, Some(60)), 3, 2);
    e.on_record(heartbeat(1, Some(120)), 4, 2);
    assert_eq!(
        e.safe_offset(),
        5,
        "settled: nothing before offset 5 is needed"
    );
}

#[test]
fn a_restarted_evaluator_rebuilds_a_window_before_a_replayed_partial_can_replace_it() {
    // Source 0 crashed after its partial and heartbeat, and replays the partial.
    let log = [
        window(0, 0, 5),
        window(1, 0, 7),
        heartbeat(0, Some(60)),
        heartbeat(1, Some(60)),
        window(0, 0, 5),
    ];
    let mut first = Evaluator::new(10_000);
    for (offset, record) in log.iter().take(4).enumerate() {
        first.on_record(record.clone(), offset as i64, 0);
    }
    assert_eq!(first.poll(0)[0].metrics.predictions, 12);
    let committed = first.safe_offset();
    // A new owner starts from the committed offset and sees everything again.
    let mut second = Evaluator::new(10_000);
    let mut results = Vec::new();
    for (offset, record) in log.iter().enumerate().skip(committed as usize) {
        results.extend(second.on_record(record.clone(), offset as i64, 0));
        results.extend(second.poll(0));
    }
    assert!(!results.is_empty());
    assert!(
        results.iter().all(|r| r.metrics.predictions == 12),
        "never a result with one source only"
    );
}

#[test]
fn duplicates_are_dropped_and_merge_order_does_not_matter() {
    let mut a = Evaluator::new(10_000);
    let mut b = Evaluator::new(10_000);
    for (i, r) in [
        window(0, 0, 5),
        window(1, 0, 7),
        window(0, 0, 5),
        heartbeat(0, Some(60)),
        heartbeat(1, Some(60)),
    ]
    .into_iter()
    .enumerate()
    {
        a.on_record(r, i as i64, 0);
    }
    for (i, r) in [
        heartbeat(1, Some(60)),
        window(1, 0, 7),
        heartbeat(0, Some(60)),
        window(0, 0, 5),
    ]
    .into_iter()
    .enumerate()
    {
        b.on_record(r, i as i64, 0);
    }
    let (ra, rb) = (a.poll(0), b.poll(0));
    assert_eq!(ra[0].metrics.predictions, 12);
    assert_eq!(ra[0].metrics, rb[0].metrics);
    assert!(
        a.on_record(window(1, 0, 7), 9, 0).is_empty(),
        "a replayed partial of a completed window"
    );
}

#[test]
fn a_silent_source_makes_the_window_incomplete_after_the_timeout_and_a_late_partial_completes_it() {
    let mut e = Evaluator::new(1_000);
    e.on_record(window(0, 0, 5), 0, 0);
    e.on_record(heartbeat(0, Some(60)), 1, 0);
    e.on_record(heartbeat(1, None), 2, 0);
    assert!(e.poll(999).is_empty());
    let results = e.poll(1_000);
    assert!(!results[0].complete);
    let updated = e.on_record(window(1, 0, 3), 3, 2_000);
    assert_eq!(updated.len(), 1);
    assert!(updated[0].complete);
    assert_eq!(updated[0].metrics.predictions, 8);
}

#[test]
fn an_idle_empty_source_owes_nothing() {
    let mut e = Evaluator::new(10_000);
    e.on_record(window(0, 0, 5), 0, 0);
    e.on_record(heartbeat(0, Some(60)), 1, 0);
    e.on_record(
        PartialRecord::Heartbeat(Heartbeat {
            source: 1,
            sources: 2,
            closed_before: None,
            idle_empty: true,
        }),
        2,
        0,
    );
    assert!(e.poll(0)[0].complete);
}

#[test]
fn a_window_closed_before_the_evaluator_listened_is_never_emitted_from_a_part() {
    // This evaluator starts reading after source 0's partial for window 0:
    // its first heartbeat from source 0 already says the window is closed.
    let mut late = Evaluator::new(1_000);
    late.on_record(heartbeat(0, Some(60)), 10, 0);
    late.on_record(window(1, 0, 7), 11, 0);
    late.on_record(heartbeat(1, Some(60)), 12, 0);
    assert!(
        late.poll(0).is_empty(),
        "source 0 may have a partial before offset 10"
    );
    assert!(
        late.poll(5_000).is_empty(),
        "not even as incomplete after the timeout"
    );
    assert_eq!(late.unprovable(), 1);
}

#[test]
fn the_safe_offset_keeps_the_heartbeats_that_prove_a_pending_window() {
    let mut e = Evaluator::new(10_000);
    e.on_record(heartbeat(0, Some(0)), 20, 0);
    e.on_record(heartbeat(1, None), 21, 0);
    e.on_record(window(0, 0, 5), 22, 0);
    e.on_record(heartbeat(0, Some(60)), 23, 0);
    assert!(e.poll(0).is_empty(), "source 1 still has the window open");
    assert_eq!(
        e.safe_offset(),
        20,
        "the heartbeats that had the window open"
    );
    e.on_record(heartbeat(1, Some(60)), 24, 0);
    assert_eq!(e.poll(0)[0].metrics.predictions, 5);
    e.on_record(heartbeat(0, Some(60)), 25, 0);
    e.on_record(heartbeat(1, Some(60)), 26, 0);
    assert_eq!(e.poll(0).len(), 0);
    assert_eq!(e.safe_offset(), 27, "settled: nothing is needed any more");
}
