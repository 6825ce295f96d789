//! Stage-1 checkpoints: snapshots of a partition's state, and between them
//! small progress records; the input topics themselves are the log of what
//! changed in between.
//!
//! The changelog partition p holds, for input partition p:
//! - a **snapshot**: the state in chunks, then a manifest naming the chunks'
//!   offsets. Chunks alternate between two key slots, so that compaction
//!   (on a Kafka that compacts) never removes the chunks of the newest
//!   complete snapshot while the next one is being written;
//! - **progress** records, one per checkpoint in between: how far the inputs
//!   were processed (and the watermark, which the wall clock moved too). A
//!   restore loads the snapshot and replays the inputs from its offsets to
//!   the progress offsets, silently (all its outputs were acknowledged).
//!
//! A snapshot is written when the input read since the previous one is at
//! least as large as that snapshot was, so the changelog grows at most as
//! fast as the input (plus a few dozen bytes per checkpoint), however large
//! the join state is; a restore replays at most one snapshot's worth of
//! input.

mod replay;
mod restore;
mod save;

use serde::{Deserialize, Serialize};

pub use replay::replay_inputs;
pub use restore::{restore, Restored};
pub use save::{Checkpointer, Plan};

/// Format byte of changelog records (the partials' format is separate):
/// 2 since snapshots and progress records.
const FORMAT: u8 = 2;

/// One record of the changelog.
#[derive(Debug, Serialize, Deserialize)]
enum ChangelogRecord {
    /// A piece of a snapshot.
    Chunk {
        generation: u64,
        index: u32,
        bytes: Vec<u8>,
    },
    /// A complete snapshot: where its chunks are.
    Manifest {
        generation: u64,
        chunk_offsets: Vec<i64>,
    },
    /// Progress since the snapshot whose manifest is at `manifest_offset`.
    Progress(Progress),
}

/// How far a partition got since its last snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Offset of the manifest of the snapshot this progress builds on.
    pub manifest_offset: i64,
    /// Next offset to process per input: the replay goes up to here.
    pub next_offsets: [i64; 2],
    /// The watermark then (inputs' progress, and the flush floor): idleness
    /// and flushes moved it by the wall clock, which a replay cannot redo.
    pub watermark: Option<i64>,
    /// The flush floor then.
    pub floor: Option<i64>,
    /// Which inputs were idle.
    pub idle: [bool; 2],
}

fn encode(record: &ChangelogRecord) -> Vec<u8> {
    let mut bytes = vec![FORMAT];
    bincode::serialize_into(&mut bytes, record).expect("in-memory serialization does not fail");
    bytes
}

fn decode(bytes: &[u8]) -> Result<ChangelogRecord, String> {
    match bytes.split_first() {
        Some((&FORMAT, rest)) => bincode::deserialize(rest).map_err(|e| e.to_string()),
        Some((other, _)) => Err(format!(
            "changelog format {other} is not read by this mlobs (it writes {FORMAT})"
        )),
        None => Err("empty changelog record".into()),
    }
}

/// The key of a chunk: two slots by generation, so that the chunks of the
/// newest complete snapshot are never the newest records of their key while
/// the next snapshot is being written.
fn chunk_key(partition: i32, generation: u64, index: u32) -> String {
    format!("p{partition}/s{}/c{index}", generation % 2)
}

/// When a snapshot is due: never written yet, or the input read since the
/// last one is at least as large as it was.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct SnapshotPolicy {
    /// Size of the last snapshot, in bytes.
    pub snapshot_bytes: u64,
    /// Input bytes (keys and values) processed since.
    pub input_bytes_since: u64,
}

impl SnapshotPolicy {
    /// True when the next checkpoint should be a snapshot.
    pub fn snapshot_due(&self, has_snapshot: bool) -> bool {
        !has_snapshot || self.input_bytes_since >= self.snapshot_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_old_formats_are_named() {
        let progress = Progress {
            manifest_offset: 7,
            next_offsets: [10, 20],
            watermark: Some(5),
            floor: None,
            idle: [true, false],
        };
        let bytes = encode(&ChangelogRecord::Progress(progress.clone()));
        assert!(matches!(decode(&bytes), Ok(ChangelogRecord::Progress(p)) if p == progress));
        assert!(decode(&[1, 0, 0]).unwrap_err().contains("format 1"));
    }

    #[test]
    fn a_snapshot_is_due_when_the_input_since_outweighs_it() {
        let policy = SnapshotPolicy {
            snapshot_bytes: 1_000,
            input_bytes_since: 999,
        };
        assert!(
            policy.snapshot_due(false),
            "the first checkpoint is a snapshot"
        );
        assert!(!policy.snapshot_due(true));
        let policy = SnapshotPolicy {
            input_bytes_since: 1_000,
            ..policy
        };
        assert!(policy.snapshot_due(true));
    }

    #[test]
    fn chunk_keys_alternate_between_two_slots() {
        assert_eq!(chunk_key(3, 4, 0), "p3/s0/c0");
        assert_eq!(chunk_key(3, 5, 0), "p3/s1/c0");
        assert_eq!(chunk_key(3, 6, 2), "p3/s0/c2");
    }
}
