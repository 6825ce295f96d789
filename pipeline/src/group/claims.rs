//! Claims: how an instance says "I am alive, and I own these partitions" in
//! a way every instance can read with the standard protocol alone.
//!
//! Every few seconds each stage of each instance writes a claim to the
//! claims topic (keyed by group and instance, so that compaction keeps the
//! newest one). A partition whose newest claim is old is owned by nobody:
//! on tansu, which does not rebalance when it evicts a crashed member, that
//! state lasts until something makes the group assign again. The same claims
//! reveal a second live process using this instance's identity, whether or
//! not it owns anything.
//!
//! Pure: the board (`board.rs`) writes and reads the claims, the watchdog
//! (`watch.rs`) acts on what these functions decide.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// A partition of one of the group's topics.
pub type Partition = (String, i32);

/// Who this process is: the configured instance id plus when and as which
/// process it started (two processes never share both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `kafka.instance_id` (or the host name): the group.instance.id.
    pub instance: String,
    /// When this process started (ms since 1970).
    pub started_ms: i64,
    /// This process's id.
    pub pid: u32,
}

/// One claim record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The consumer group.
    pub group: String,
    /// The claimer's instance id.
    pub instance: String,
    /// When the claimer's process started.
    pub started_ms: i64,
    /// The claimer's process id.
    pub pid: u32,
    /// When the claim was made (the claimer's clock).
    pub at_ms: i64,
    /// The partitions the claimer owns.
    pub partitions: Vec<Partition>,
}

impl Identity {
    /// This process, as `instance`.
    pub fn of_this_process(instance: &str) -> Self {
        Identity {
            instance: instance.to_string(),
            started_ms: mlobs_schemas::time::now_ms(),
            pid: std::process::id(),
        }
    }

    /// The claim on `partitions` in `group`, made at `now_ms`.
    pub fn claim(&self, group: &str, partitions: Vec<Partition>, now_ms: i64) -> Claim {
        Claim {
            group: group.to_string(),
            instance: self.instance.clone(),
            started_ms: self.started_ms,
            pid: self.pid,
            at_ms: now_ms,
            partitions,
        }
    }

    /// True when `claim` was made by another process using this identity.
    fn is_other_process_of_mine(&self, claim: &Claim) -> bool {
        claim.instance == self.instance
            && (claim.started_ms, claim.pid) != (self.started_ms, self.pid)
    }
}

impl Claim {
    /// The record key: compaction keeps the newest claim of each process
    /// identity in each group.
    pub fn key(&self) -> String {
        format!("{}/{}", self.group, self.instance)
    }
}

/// The newest claim on each of `partitions` among `claims` (of one group),
/// as the time it was made.
pub fn newest_claims<'a>(
    partitions: &[Partition],
    claims: impl IntoIterator<Item = &'a Claim>,
) -> BTreeMap<Partition, Option<i64>> {
    let mut newest: BTreeMap<Partition, Option<i64>> =
        partitions.iter().map(|p| (p.clone(), None)).collect();
    for claim in claims {
        for partition in &claim.partitions {
            if let Some(at) = newest.get_mut(partition) {
                *at = Some(at.map_or(claim.at_ms, |t| t.max(claim.at_ms)));
            }
        }
    }
    newest
}

/// Remembers since when each partition has been without a claim, and
/// decides which ones nobody owns.
#[derive(Debug, Default)]
pub struct Ownership {
    /// Partitions seen without any claim, and since when (our clock).
    unclaimed_since: HashMap<Partition, i64>,
}

impl Ownership {
    /// The partitions whose newest claim (or, without one, the first time
    /// this watchdog saw them) is older than `unowned_after_ms` at `now_ms`.
    pub fn unowned(
        &mut self,
        newest: &BTreeMap<Partition, Option<i64>>,
        now_ms: i64,
        unowned_after_ms: i64,
    ) -> Vec<Partition> {
        let mut unowned = Vec::new();
        for (partition, claimed_at) in newest {
            let since = match claimed_at {
                Some(at) => {
                    self.unclaimed_since.remove(partition);
                    *at
                }
                None => *self
                    .unclaimed_since
                    .entry(partition.clone())
                    .or_insert(now_ms),
            };
            if now_ms - since > unowned_after_ms {
                unowned.push(partition.clone());
            }
        }
        unowned
    }

    /// After the group was made to assign again: every partition gets a new
    /// grace period before it counts as unowned.
    pub fn reassigned(&mut self, partitions: impl IntoIterator<Item = Partition>, now_ms: i64) {
        for partition in partitions {
            self.unclaimed_since.insert(partition, now_ms);
        }
    }
}

/// A claim showing that another process uses `me`'s identity and is alive:
/// it claimed more than `margin_ms` after `me` started (a crashed
/// predecessor cannot). Only the younger of two such processes gets an
/// answer (the older one keeps running): a claimer that started later is
/// the newcomer, and it will see this process's claims itself.
pub fn live_duplicate<'a>(
    me: &Identity,
    claims: impl IntoIterator<Item = &'a Claim>,
    margin_ms: i64,
) -> Option<&'a Claim> {
    claims.into_iter().find(|claim| {
        me.is_other_process_of_mine(claim)
            && claim.at_ms > me.started_ms + margin_ms
            && (claim.started_ms, claim.pid) < (me.started_ms, me.pid)
    })
}

/// The newest claim by another process using `me`'s identity, made within
/// `fresh_ms` before `now_ms`: a predecessor that just crashed, or a live
/// duplicate; which one only the next claims can tell.
pub fn recent_claim_of_mine<'a>(
    me: &Identity,
    claims: impl IntoIterator<Item = &'a Claim>,
    now_ms: i64,
    fresh_ms: i64,
) -> Option<&'a Claim> {
    claims
        .into_iter()
        .filter(|claim| me.is_other_process_of_mine(claim) && now_ms - claim.at_ms <= fresh_ms)
        .max_by_key(|claim| claim.at_ms)
}

/// The one instance that heals the group: the smallest instance id among
/// the processes that claimed within `fresh_ms` before `now_ms`, `me`
/// included. Two members that leave and rejoin at the same moment can leave
/// tansu 0.6's group with no assignment at all (seen in CI: both survivors
/// healed 2 s apart and nothing was assigned for 100 s); one healer at a
/// time makes the group form with everyone else still in it.
pub fn healer<'a>(
    me: &'a Identity,
    claims: impl IntoIterator<Item = &'a Claim>,
    now_ms: i64,
    fresh_ms: i64,
) -> &'a str {
    claims
        .into_iter()
        .filter(|claim| now_ms - claim.at_ms <= fresh_ms)
        .map(|claim| claim.instance.as_str())
        .chain([me.instance.as_str()])
        .min()
        .expect("me is always there")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Identity {
        Identity {
            instance: "host-a".into(),
            started_ms: 10_000,
            pid: 7,
        }
    }

    fn claim(instance: &str, started_ms: i64, pid: u32, at_ms: i64, partitions: &[i32]) -> Claim {
        Claim {
            group: "g".into(),
            instance: instance.into(),
            started_ms,
            pid,
            at_ms,
            partitions: partitions.iter().map(|p| ("t".to_string(), *p)).collect(),
        }
    }

    fn p(n: i32) -> Partition {
        ("t".to_string(), n)
    }

    #[test]
    fn a_partition_without_a_fresh_claim_is_unowned_after_the_bound() {
        let claims = [claim("a", 0, 1, 1_000, &[0]), claim("b", 0, 2, 9_000, &[1])];
        let newest = newest_claims(&[p(0), p(1), p(2)], &claims);
        assert_eq!(newest[&p(2)], None);
        let mut ownership = Ownership::default();
        assert_eq!(ownership.unowned(&newest, 10_000, 5_000), vec![p(0)]);
        // p2 has had no claim since 10,000 (first seen).
        assert_eq!(
            ownership.unowned(&newest, 15_001, 5_000),
            vec![p(0), p(1), p(2)]
        );
        ownership.reassigned([p(2)], 15_001);
        let unclaimed = newest_claims(&[p(2)], &[]);
        assert!(ownership.unowned(&unclaimed, 20_000, 5_000).is_empty());
    }

    #[test]
    fn the_newest_of_several_claims_on_a_partition_counts() {
        let claims = [claim("a", 0, 1, 1_000, &[0]), claim("b", 0, 2, 3_000, &[0])];
        assert_eq!(newest_claims(&[p(0)], &claims)[&p(0)], Some(3_000));
    }

    #[test]
    fn only_a_live_older_process_with_my_identity_is_a_duplicate() {
        let me = me();
        let crashed_predecessor = claim("host-a", 1_000, 3, 9_990, &[]);
        let live_older = claim("host-a", 1_000, 3, 12_000, &[]);
        let live_newer = claim("host-a", 11_000, 9, 12_000, &[0]);
        let someone_else = claim("other", 1_000, 3, 12_000, &[0]);
        let myself = claim("host-a", 10_000, 7, 12_000, &[1]);
        for (claims, expected) in [
            (vec![&crashed_predecessor], None),
            (vec![&live_newer, &someone_else, &myself], None),
            (vec![&crashed_predecessor, &live_older], Some(&live_older)),
        ] {
            assert_eq!(live_duplicate(&me, claims, 1_000), expected);
        }
        assert_eq!(
            recent_claim_of_mine(&me, [&crashed_predecessor, &someone_else], 11_000, 2_000),
            Some(&crashed_predecessor)
        );
        assert_eq!(
            recent_claim_of_mine(&me, [&crashed_predecessor], 12_000, 2_000),
            None
        );
    }

    #[test]
    fn the_smallest_live_instance_heals_and_a_silent_one_is_passed_over() {
        let me = me();
        let live_b = claim("b", 0, 2, 9_000, &[0]);
        let silent_a = claim("a", 0, 1, 1_000, &[1]);
        assert_eq!(healer(&me, [&live_b, &silent_a], 10_000, 5_000), "b");
        assert_eq!(healer(&me, [&silent_a], 10_000, 5_000), "host-a");
        assert_eq!(healer(&me, [], 10_000, 5_000), "host-a");
    }
}
