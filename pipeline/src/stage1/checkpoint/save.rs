//! Writing checkpoints: a snapshot when one is due, else a progress record.

use super::{chunk_key, encode, ChangelogRecord, Progress, SnapshotPolicy};
use crate::outbox::{Outbox, Outgoing};
use crate::stage1::worker::{Input, PartitionWorker};
use crate::{wire, PipelineError};

/// Bytes per chunk record (under the default 1 MB message limit).
const CHUNK: usize = 512 * 1024;

/// The records of the next checkpoint.
pub enum Plan {
    /// A snapshot of this generation, in chunk records.
    Snapshot {
        /// Its generation.
        generation: u64,
        /// The encoded chunk records.
        chunks: Vec<Vec<u8>>,
    },
    /// A progress record.
    Progress {
        /// The encoded record.
        payload: Vec<u8>,
    },
}

/// What one checkpoint wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// "snapshot" or "progress".
    pub kind: &'static str,
    /// Bytes of changelog records.
    pub bytes: usize,
}

/// Writes the checkpoints of one partition to its changelog partition.
pub struct Checkpointer {
    topic: String,
    partition: i32,
    /// Generation of the newest snapshot (0: none written).
    generation: u64,
    /// Where the newest snapshot's manifest is.
    manifest_offset: Option<i64>,
    policy: SnapshotPolicy,
}

impl Checkpointer {
    /// A checkpointer for `partition` whose newest snapshot is
    /// (`generation`, `manifest_offset`), if one was restored.
    pub fn new(topic: &str, partition: i32, snapshot: Option<(u64, i64)>) -> Self {
        Checkpointer {
            topic: topic.to_string(),
            partition,
            generation: snapshot.map_or(0, |(generation, _)| generation),
            manifest_offset: snapshot.map(|(_, offset)| offset),
            policy: SnapshotPolicy::default(),
        }
    }

    /// Saves `worker`'s checkpoint after everything queued in `outbox` is
    /// acknowledged (outputs are durable before the state that produced
    /// them), and waits until the broker has it.
    pub fn save(
        &mut self,
        outbox: &mut Outbox,
        worker: &mut PartitionWorker,
    ) -> Result<Written, PipelineError> {
        outbox.flush()?;
        match self.plan(worker) {
            Plan::Progress { payload } => {
                self.send(outbox, &format!("p{}/progress", self.partition), &payload)?;
                outbox.flush()?;
                Ok(Written {
                    kind: "progress",
                    bytes: payload.len(),
                })
            }
            Plan::Snapshot { generation, chunks } => {
                let mut written = 0;
                for (index, payload) in chunks.iter().enumerate() {
                    written += payload.len();
                    let key = chunk_key(self.partition, generation, index as u32);
                    self.send(outbox, &key, payload)?;
                }
                let chunk_offsets = outbox.flush()?.into_iter().map(|(_, o)| o).collect();
                let manifest = encode(&ChangelogRecord::Manifest {
                    generation,
                    chunk_offsets,
                });
                written += manifest.len();
                self.send(outbox, &format!("p{}/manifest", self.partition), &manifest)?;
                let (_, manifest_offset) =
                    *outbox.flush()?.last().expect("the manifest was just sent");
                self.snapshot_written(generation, manifest_offset, written);
                Ok(Written {
                    kind: "snapshot",
                    bytes: written,
                })
            }
        }
    }

    /// What the next checkpoint of `worker` writes: the snapshot's chunks
    /// when one is due, else a progress record. Pure, so that the volume can
    /// be measured without a broker (`benches/checkpoint.rs`); a snapshot
    /// counts once [`Checkpointer::snapshot_written`] says where it landed.
    pub fn plan(&mut self, worker: &mut PartitionWorker) -> Plan {
        self.policy.input_bytes_since += worker.take_input_bytes();
        match self.manifest_offset {
            Some(manifest_offset) if !self.policy.snapshot_due(true) => Plan::Progress {
                payload: encode(&ChangelogRecord::Progress(progress_of(
                    worker,
                    manifest_offset,
                ))),
            },
            _ => {
                let generation = self.generation + 1;
                let state = wire::encode(&worker.snapshot());
                let chunks = state
                    .chunks(CHUNK)
                    .enumerate()
                    .map(|(index, bytes)| {
                        encode(&ChangelogRecord::Chunk {
                            generation,
                            index: index as u32,
                            bytes: bytes.to_vec(),
                        })
                    })
                    .collect();
                Plan::Snapshot { generation, chunks }
            }
        }
    }

    /// Snapshot `generation` (`bytes` in all) is complete, its manifest at
    /// `manifest_offset`.
    pub fn snapshot_written(&mut self, generation: u64, manifest_offset: i64, bytes: usize) {
        self.generation = generation;
        self.manifest_offset = Some(manifest_offset);
        self.policy = SnapshotPolicy {
            snapshot_bytes: bytes as u64,
            input_bytes_since: 0,
        };
    }

    fn send(&self, outbox: &mut Outbox, key: &str, payload: &[u8]) -> Result<(), PipelineError> {
        outbox.send(Outgoing {
            topic: &self.topic,
            partition: Some(self.partition),
            key: key.as_bytes(),
            payload,
            headers: None,
            timestamp: None,
        })
    }
}

/// The progress record of `worker`, building on the snapshot whose manifest
/// is at `manifest_offset`.
fn progress_of(worker: &PartitionWorker, manifest_offset: i64) -> Progress {
    let (watermark, floor) = worker.watermark();
    Progress {
        manifest_offset,
        next_offsets: worker.next_offsets(),
        watermark,
        floor,
        idle: [Input::Predictions, Input::Labels].map(|input| worker.is_idle(input)),
    }
}
