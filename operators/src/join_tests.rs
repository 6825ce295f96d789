use super::*;

fn class(id: u32) -> Value {
    Value::Class(id)
}

#[test]
fn a_label_after_its_prediction_joins() {
    let mut join = Join::new(1_000, 10);
    assert_eq!(
        join.on_prediction(key_of("a"), 3, 100, class(1), None),
        OnPrediction::Waiting
    );
    assert_eq!(
        join.on_label(key_of("a"), 400, class(2)),
        OnLabel::Joined {
            version: 3,
            prediction_time: 100,
            prediction: class(1),
            confidence: None
        }
    );
    assert_eq!(
        join.on_label(key_of("a"), 450, class(2)),
        OnLabel::Duplicate
    );
}

#[test]
fn a_label_before_its_prediction_waits_and_joins() {
    let mut join = Join::new(1_000, 10);
    assert_eq!(
        join.on_label(key_of("b"), 300, Value::Number(2.5)),
        OnLabel::Waiting
    );
    assert_eq!(join.waiting_labels(), 1);
    assert_eq!(
        join.on_prediction(key_of("b"), 1, 200, Value::Number(2.0), None),
        OnPrediction::Joined {
            label_time: 300,
            label: Value::Number(2.5)
        }
    );
    assert_eq!(join.waiting_labels(), 0);
}

#[test]
fn duplicates_are_recognised_within_the_ttl() {
    let mut join = Join::new(1_000, 10);
    join.on_prediction(key_of("c"), 0, 100, class(0), None);
    assert_eq!(
        join.on_prediction(key_of("c"), 0, 150, class(0), None),
        OnPrediction::Duplicate
    );
    join.on_label(key_of("d"), 100, class(0));
    assert_eq!(
        join.on_label(key_of("d"), 120, class(0)),
        OnLabel::Duplicate
    );
}

#[test]
fn entries_expire_the_moment_the_horizon_passes_them() {
    let mut join = Join::new(1_000, 10);
    join.on_prediction(key_of("old"), 7, 100, class(0), None);
    join.on_label(key_of("orphan"), 120, class(0));
    join.on_prediction(key_of("young"), 7, 900, class(0), None);
    join.set_progress(1_100); // horizon 100: a sweep, nothing expired
                              // Horizon 150 has passed "old" and "orphan", but no sweep is due (one
                              // waits for a sixteenth of the TTL of progress): they are still held.
    join.set_progress(1_150);
    assert_eq!((join.predictions(), join.waiting_labels()), (2, 1));
    assert_eq!(
        join.on_label(key_of("old"), 1_150, class(0)),
        OnLabel::Waiting,
        "an expired prediction no longer joins"
    );
    assert_eq!(
        join.on_prediction(key_of("orphan"), 7, 1_100, class(0), None),
        OnPrediction::Waiting,
        "an expired label no longer joins either"
    );
    assert_eq!(
        join.on_prediction(key_of("old"), 7, 1_150, class(0), None),
        OnPrediction::Joined {
            label_time: 1_150,
            label: class(0)
        },
        "the id is new again after its TTL"
    );
    assert_eq!(
        join.on_label(key_of("young"), 1_150, class(1)),
        OnLabel::Joined {
            version: 7,
            prediction_time: 900,
            prediction: class(0),
            confidence: None
        }
    );
}

#[test]
fn sweeps_reclaim_expired_slots_and_count_orphans_only_when_due() {
    let mut join = Join::new(1_600, 10);
    join.on_prediction(key_of("p"), 1, 0, class(0), None);
    join.on_label(key_of("orphan"), 10, class(0));
    join.set_progress(1_550); // horizon -50: the first sweep, nothing expired
    join.set_progress(1_620); // horizon 20: both expired, no sweep due yet
    assert_eq!((join.predictions(), join.waiting_labels()), (1, 1));
    assert_eq!(join.take_orphans(), 0, "not swept: nothing counted yet");
    // The horizon moved 100 (1/16 of the TTL) past the last sweep: due.
    join.set_progress(1_650);
    assert_eq!((join.predictions(), join.waiting_labels()), (0, 0));
    assert_eq!(join.take_orphans(), 1);
    assert_eq!(join.take_orphans(), 0, "taken once");
}

#[test]
fn waiting_labels_are_bounded() {
    let mut join = Join::new(1_000, 2);
    join.on_label(key_of("1"), 0, class(0));
    join.on_label(key_of("2"), 0, class(0));
    assert_eq!(join.on_label(key_of("3"), 0, class(0)), OnLabel::Overflow);
}

#[test]
fn a_snapshot_restores_the_same_state() {
    let mut join = Join::new(1_000, 10);
    join.on_prediction(key_of("x"), 2, 10, Value::Number(1.5), None);
    join.on_label(key_of("y"), 20, class(4));
    let json = serde_json::to_string(&join).unwrap();
    let mut restored: Join = serde_json::from_str(&json).unwrap();
    assert_eq!(
        restored.on_label(key_of("x"), 30, Value::Number(1.0)),
        OnLabel::Joined {
            version: 2,
            prediction_time: 10,
            prediction: Value::Number(1.5),
            confidence: None
        }
    );
    assert_eq!(
        restored.on_prediction(key_of("y"), 0, 15, class(4), None),
        OnPrediction::Joined {
            label_time: 20,
            label: class(4)
        }
    );
}

#[test]
fn a_classification_keeps_its_confidence_until_its_label() {
    let mut join = Join::new(1_000, 10);
    join.on_prediction(key_of("c"), 1, 100, class(2), Some(0.75));
    assert_eq!(
        join.on_label(key_of("c"), 200, class(2)),
        OnLabel::Joined {
            version: 1,
            prediction_time: 100,
            prediction: class(2),
            confidence: Some(0.75)
        }
    );
}

#[test]
fn a_slot_is_26_bytes() {
    assert_eq!(std::mem::size_of::<Slot>(), 26);
}
