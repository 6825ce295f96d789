//! One stage's time in its group: subscribe, commit the safe offsets every
//! checkpoint interval while the stage works, and leave so that the
//! partitions move to the other instances at once.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};

use super::Membership;
use crate::shutdown::Shutdown;
use crate::PipelineError;

/// Subscribes to the stage's topics and runs `work` (the stage's poll
/// loop) with a thread beside it that commits the safe offsets every
/// `runtime.checkpoint_interval_ms`. The caller stops its tasks, commits
/// and [`leave`]s afterwards.
pub fn participate<C: ConsumerContext, T>(
    membership: &Membership,
    consumer: &BaseConsumer<C>,
    config: &crate::Config,
    work: impl FnOnce() -> Result<T, PipelineError>,
) -> Result<T, PipelineError> {
    let topics: Vec<&str> = membership.topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .map_err(|e| PipelineError::kafka("subscribing to the group's topics", e))?;
    let every = Duration::from_millis(config.runtime.checkpoint_interval_ms);
    let working = Shutdown::default();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while working.wait(every) {
                membership.commit(consumer);
            }
        });
        let outcome = work();
        working.trigger();
        outcome
    })
}

/// How long a stopping member waits for the group to answer: first for
/// its join to complete, then for its partitions to be revoked. Offsets are
/// committed before this, so giving up loses nothing: the coordinator then
/// keeps the partitions for `session.timeout.ms` before moving them.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a member waits, once its partitions are revoked, for librdkafka
/// to send the LeaveGroup that follows an unsubscribe.
const LEAVE_SETTLE: Duration = Duration::from_millis(1_500);

/// Leaves the group now (its partitions are revoked through the rebalance
/// callback, which the polls here serve). A static member does not send
/// LeaveGroup when it closes (KIP-345), only when it unsubscribes; without
/// this, its partitions would wait for the session timeout (45 s) before
/// moving to the other instances.
///
/// After a graceful stop (`graceful`), a member still joining is let
/// finish first: an unsubscribe while the JoinGroup is in flight sends no
/// LeaveGroup the broker can apply (the member has no id yet), and the
/// broker then completes the join and keeps the partitions for a process
/// that is gone. Seen on Kafka 4.4 with a process stopped a second after it
/// started. A stage that failed (the group refused it, say) does not wait.
pub fn leave<C: ConsumerContext>(
    membership: &Membership,
    consumer: &BaseConsumer<C>,
    name: &str,
    graceful: bool,
) {
    let deadline = Instant::now() + LEAVE_TIMEOUT;
    while graceful && !membership.joined() && Instant::now() < deadline {
        // Records fetched here are not processed: their offsets were never
        // committed.
        let _ = consumer.poll(Duration::from_millis(100));
    }
    consumer.unsubscribe();
    let mut settled_at = None;
    while Instant::now() < deadline {
        let _ = consumer.poll(Duration::from_millis(100));
        let unassigned = consumer.assignment().is_ok_and(|a| a.count() == 0);
        let since = *settled_at.get_or_insert_with(Instant::now);
        if !unassigned {
            settled_at = None;
        } else if since.elapsed() >= LEAVE_SETTLE {
            return;
        }
    }
    tracing::warn!(
        consumer = name,
        group = %membership.group,
        "leaving the group took longer than expected; its partitions move after the session timeout"
    );
}
