//! The watchdog of one stage's membership, on a thread of its own next to
//! the consumer: every `claim_every` it commits the safe offsets and posts
//! this instance's claim; every few claims it reads everyone's. When a
//! partition has had no claim for `unowned_after` (its owner crashed and
//! never came back, and the broker did not reassign it: tansu 0.6 does not),
//! it asks the stage to rejoin the group, which makes the group assign every
//! partition again. When another live process claims under this instance's
//! identity, it tells the stage to stop.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};

use super::board::ClaimBoard;
use super::claims::{self, Ownership, Partition};
use super::Membership;
use crate::shutdown::Shutdown;
use crate::sinks::Metrics;
use crate::PipelineError;

/// Claims are read this many postings apart.
const READ_EVERY_CLAIMS: u32 = 3;
/// How long one reading of the claims may take.
const READ_BUDGET: Duration = Duration::from_secs(5);

/// Timings of the watchdog.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// How often claims are posted (and offsets committed).
    pub claim_every: Duration,
    /// A partition without a claim for this long is unowned.
    pub unowned_after: Duration,
}

impl Timings {
    /// Claims posted at every checkpoint interval; unowned after
    /// `runtime.unowned_after_ms`.
    pub fn of(runtime: &crate::config::RuntimeConfig) -> Self {
        Timings {
            claim_every: Duration::from_millis(runtime.checkpoint_interval_ms),
            unowned_after: Duration::from_millis(runtime.unowned_after_ms),
        }
    }
}

/// Takes part in the group as `membership`: makes sure no live process uses
/// this identity, subscribes to its topics, and runs `work` (the stage's
/// poll loop) with the watchdog beside it. The caller stops its tasks,
/// commits and leaves the group afterwards.
pub fn participate<C: ConsumerContext, T>(
    membership: &Membership,
    consumer: &BaseConsumer<C>,
    config: &crate::Config,
    metrics: &Metrics,
    shutdown: &Shutdown,
    work: impl FnOnce() -> Result<T, PipelineError>,
) -> Result<T, PipelineError> {
    let timings = Timings::of(&config.runtime);
    let board = wait_out_predecessor(membership, &config.kafka, timings.claim_every, shutdown)?;
    // A stop that came while the claims were read must not join: the leave
    // right after would race the join (tansu holds a static member's join
    // for 3 s), and the broker would keep a member nobody runs, with
    // partitions assigned to it, for the whole session timeout. `work`
    // then sees the stop and returns at once.
    if !shutdown.requested() {
        let topics: Vec<&str> = membership.topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&topics)
            .map_err(|e| PipelineError::kafka("subscribing to the group's topics", e))?;
    }
    let watching = Shutdown::default();
    std::thread::scope(|scope| {
        scope.spawn(|| run(membership, consumer, board, timings, metrics, &watching));
        let outcome = work();
        watching.trigger();
        outcome
    })
}

/// Commits, claims and watches the group until `stop`.
fn run<C: ConsumerContext>(
    membership: &Membership,
    consumer: &BaseConsumer<C>,
    mut board: ClaimBoard,
    timings: Timings,
    metrics: &Metrics,
    stop: &Shutdown,
) {
    let mut ownership = Ownership::default();
    let mut postings = 0u32;
    // After a heal, the next one waits until the group had time to assign
    // and the new owners to claim.
    let mut quiet_until = Instant::now();
    while !stop.requested() {
        membership.commit(consumer);
        let now_ms = mlobs_schemas::time::now_ms();
        board.post(
            &membership
                .identity
                .claim(&membership.group, membership.owned(), now_ms),
        );
        postings += 1;
        if postings.is_multiple_of(READ_EVERY_CLAIMS) {
            match board
                .catch_up(READ_BUDGET)
                .and_then(|()| partitions(membership, consumer))
            {
                Ok(all) => inspect(
                    membership,
                    &board,
                    &all,
                    &mut ownership,
                    timings,
                    metrics,
                    &mut quiet_until,
                ),
                Err(error) => {
                    tracing::debug!(group = %membership.group, %error, "claims not read this time")
                }
            }
        }
        stop.wait(timings.claim_every);
    }
}

/// Every partition of the stage's topics.
fn partitions<C: ConsumerContext>(
    membership: &Membership,
    consumer: &BaseConsumer<C>,
) -> Result<Vec<Partition>, PipelineError> {
    let mut all = Vec::new();
    for topic in &membership.topics {
        let metadata = consumer
            .fetch_metadata(Some(topic), READ_BUDGET)
            .map_err(|e| PipelineError::kafka("reading the partitions of the group's topics", e))?;
        for described in metadata.topics() {
            all.extend(
                described
                    .partitions()
                    .iter()
                    .map(|p| (topic.clone(), p.id())),
            );
        }
    }
    Ok(all)
}

/// Acts on one reading of the claims.
fn inspect(
    membership: &Membership,
    board: &ClaimBoard,
    all: &[Partition],
    ownership: &mut Ownership,
    timings: Timings,
    metrics: &Metrics,
    quiet_until: &mut Instant,
) {
    let group = &membership.group;
    let margin = timings.claim_every.as_millis() as i64;
    if let Some(claim) = claims::live_duplicate(&membership.identity, board.claims(group), margin) {
        membership.found_duplicate(claim.clone());
        return;
    }
    let now_ms = mlobs_schemas::time::now_ms();
    let mut newest = claims::newest_claims(all, board.claims(group));
    // What this instance owns right now is owned, whatever the board (which
    // may lag its own claims by seconds under load) says.
    for partition in membership.owned() {
        newest.insert(partition, Some(now_ms));
    }
    let unowned = ownership.unowned(&newest, now_ms, timings.unowned_after.as_millis() as i64);
    metrics.unowned_partitions(group, unowned.len());
    if unowned.is_empty() || Instant::now() < *quiet_until {
        return;
    }
    let fresh_ms = timings.unowned_after.as_millis() as i64 / 2;
    let healer = claims::healer(&membership.identity, board.claims(group), now_ms, fresh_ms);
    if healer != membership.identity.instance {
        tracing::info!(
            %group,
            partitions = ?unowned,
            %healer,
            "partitions without an owner: leaving the rejoin to the instance that heals this group"
        );
        return;
    }
    tracing::warn!(
        %group,
        partitions = ?unowned,
        unowned_after_s = timings.unowned_after.as_secs(),
        "partitions without an owner: rejoining the group so that it assigns them again"
    );
    metrics.group_heal(group);
    membership.request_rejoin();
    ownership.reassigned(all.iter().cloned(), now_ms);
    *quiet_until = Instant::now() + timings.unowned_after;
}

/// Before joining: when another process claimed under this identity moments
/// ago, waits a few claim periods to tell a predecessor that just crashed
/// (a restart must not be refused) from a live duplicate (which must be).
/// Returns the board, read up to now, for the watchdog.
fn wait_out_predecessor(
    membership: &Membership,
    kafka: &crate::config::KafkaConfig,
    claim_every: Duration,
    stop: &Shutdown,
) -> Result<ClaimBoard, PipelineError> {
    let mut board = ClaimBoard::open(kafka)?;
    read_claims_patiently(membership, &mut board, stop)?;
    let me = &membership.identity;
    let fresh_ms = 3 * claim_every.as_millis() as i64;
    let now_ms = mlobs_schemas::time::now_ms();
    let group = &membership.group;
    let Some(newest) = claims::recent_claim_of_mine(me, board.claims(group), now_ms, fresh_ms)
        .map(|claim| claim.at_ms)
    else {
        return Ok(board);
    };
    tracing::info!(
        %group,
        instance = %me.instance,
        "another process claimed partitions as this instance moments ago; waiting to see whether it is still alive"
    );
    stop.wait(claim_every * 3);
    read_claims_patiently(membership, &mut board, stop)?;
    let alive = board
        .claims(group)
        .find(|c| {
            c.instance == me.instance
                && (c.started_ms, c.pid) != (me.started_ms, me.pid)
                && c.at_ms > newest
        })
        .cloned();
    match alive {
        Some(claim) => {
            membership.found_duplicate(claim);
            Err(membership.duplicate().expect("just recorded"))
        }
        None => Ok(board),
    }
}

/// Reads the claims up to now, retrying with backoff while the broker is
/// slow or away: an instance never gives up starting because of that (it is
/// simply not ready yet; it owns no partition).
fn read_claims_patiently(
    membership: &Membership,
    board: &mut ClaimBoard,
    stop: &Shutdown,
) -> Result<(), PipelineError> {
    let mut pause = Duration::from_millis(500);
    loop {
        match board.catch_up(READ_BUDGET) {
            Ok(()) => return Ok(()),
            Err(error) => tracing::info!(
                group = %membership.group,
                %error,
                retry_in_ms = pause.as_millis() as u64,
                "reading the claims before joining; retrying"
            ),
        }
        if !stop.wait(pause) {
            return Err(PipelineError::Stopped(
                "shut down while reading the claims".into(),
            ));
        }
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}
