//! MLflow as mlobs' model registry of record.
//!
//! A small typed client for MLflow's REST API 2.0 ([`Registry`]): registered
//! models, model versions, aliases, runs and artifacts through the
//! `mlflow-artifacts` proxy; and on top of it what mlobs keeps in the
//! registry: each version's baseline profile as an artifact
//! ([`baseline`]), which versions serve and with what traffic share, and
//! who changed that, when and why ([`serving`]).
//!
//! Why blocking: every caller is a plain thread (the pipeline's stages and
//! their baseline refresher, CLI commands), never an async task, and the
//! calls are rare (one listing per refresh period, one command at a time).
//! `reqwest::blocking` runs its own I/O thread, so a caller must not be
//! inside a tokio runtime; none is.
//!
//! Why not an existing crate: no maintained Rust client covers aliases, and
//! the quirks of MLflow 3.17 (a missing alias answers 400, versions are
//! strings, a foreign `Host` is refused) are easier to own in a few
//! hundred lines (see ../shared/STACK.md).

pub mod artifacts;
pub mod baseline;
mod client;
mod error;
pub mod models;
pub mod runs;
pub mod serving;
pub mod trained;
pub mod types;
pub mod versions;

pub use client::Registry;
pub use error::RegistryError;
pub use types::{Alias, ModelVersion, RegisteredModel, Run, Tag};

/// Version tag naming the input features a version reads, comma-separated.
/// Set by `mlobs simulate --register` (and by whoever registers a model
/// trained on fewer features); the agent reads it to propose a rollback
/// to a version that a drifted or missing feature cannot hurt.
pub const FEATURES_TAG: &str = "mlobs.features";

/// Results of registry calls.
pub type Result<T> = std::result::Result<T, RegistryError>;
