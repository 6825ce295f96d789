//! The incident graph of the seed's section 5, one pure module per node
//! (the worker in [`crate::worker`] does the I/O between them):
//!
//! 1. [`monitor`]: firing alerts of one model make one incident.
//! 2. Investigate and 3. Reason: [`crate::investigate`] and
//!    [`crate::reason`], shared with `mlobs agent investigate`.
//! 4. [`act`]: the first remedy becomes an action, approved by the
//!    environment's [`policy`] or waiting for a person.
//! 5. [`verify`]: the windows after the remedy resolve or escalate it.
//!
//! [`incident`] holds the records every node reads and writes; the node an
//! incident is at is part of it, so a restarted worker continues where the
//! last one stopped.

pub mod act;
pub mod incident;
pub mod monitor;
pub mod policy;
pub mod verify;

pub use incident::{Action, ActionStatus, Incident, IncidentStatus, Node};
