//! The contracts between mlobs and the systems around it: the events model
//! servers publish, their Avro wire format, and the logger serving code uses
//! to publish them without slowing inference down.

pub mod codec;
pub mod events;
pub mod features_hash;
pub mod kafka;
pub mod logger;
pub mod time;

pub use codec::{encode, AvroRecord, DecodeError, EncodeError, Encoder, WriterSchemas};
pub use events::{
    AlertEvent, AlertEvidence, AlertStatus, FeatureDriftResult, FeatureValue, GroundTruthEvent,
    Outcome, PredictionError, PredictionEvent, PredictionWindowOutcomes, ResourceUsage, Severity,
    WindowMetrics,
};
pub use logger::{Logged, LoggerConfig, LoggerError, LoggerStats, PredictionLogger};

/// A writer schema that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The JSON is not a valid Avro schema.
    #[error("schema {name} is not a valid Avro record schema: {detail}")]
    Invalid { name: String, detail: String },
    /// A schema file or directory could not be read.
    #[error("cannot read schema file {path}: {detail}")]
    Io { path: String, detail: String },
}
