//! Avro single-object encoding of mlobs events.
//!
//! Every record on an mlobs topic starts with the marker `C3 01` and the 8-byte
//! Rabin fingerprint of its writer schema, then the Avro binary datum. A
//! consumer looks the fingerprint up among the schemas it knows
//! ([`WriterSchemas`]), so no schema registry is needed; serde then maps the
//! writer's fields onto the reader's struct, which gives schema evolution in
//! both directions (see `events`).

use std::collections::HashMap;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_avro_fast::ser::SerializerConfig;
use serde_avro_fast::Schema;

use crate::events::{AlertEvent, GroundTruthEvent, PredictionEvent, WindowMetrics};
use crate::SchemaError;

/// The two bytes that open every single-object encoded record.
pub const MAGIC: [u8; 2] = [0xC3, 0x01];
/// Length of the single-object header: marker plus fingerprint.
pub const HEADER_LEN: usize = 10;

/// An event type with a compiled-in Avro schema.
pub trait AvroRecord: Serialize + DeserializeOwned {
    /// Full Avro name (namespace.name), used to refuse a record of another type.
    const FULL_NAME: &'static str;
    /// The schema this version of the code writes.
    fn schema() -> &'static Schema;
}

macro_rules! avro_record {
    ($type:ty, $name:literal, $file:literal) => {
        impl AvroRecord for $type {
            const FULL_NAME: &'static str = $name;
            fn schema() -> &'static Schema {
                static SCHEMA: OnceLock<Schema> = OnceLock::new();
                SCHEMA.get_or_init(|| {
                    include_str!($file).parse().expect(concat!(
                        $file,
                        " is a valid Avro schema (checked by the tests)"
                    ))
                })
            }
        }
    };
}

avro_record!(
    PredictionEvent,
    "io.mlobs.PredictionEvent",
    "../prediction_event.avsc"
);
avro_record!(
    GroundTruthEvent,
    "io.mlobs.GroundTruthEvent",
    "../ground_truth_event.avsc"
);
avro_record!(AlertEvent, "io.mlobs.AlertEvent", "../alert_event.avsc");
avro_record!(
    WindowMetrics,
    "io.mlobs.WindowMetrics",
    "../window_metrics.avsc"
);

/// The schema files shipped in `schemas/`, by file name, and the earlier
/// versions of them (`schemas/history/`) so that records written before an
/// upgrade (a compacted topic keeps them) still decode.
pub const BUILTIN_SCHEMAS: [(&str, &str); 6] = [
    (
        "prediction_event.avsc",
        include_str!("../prediction_event.avsc"),
    ),
    (
        "ground_truth_event.avsc",
        include_str!("../ground_truth_event.avsc"),
    ),
    ("alert_event.avsc", include_str!("../alert_event.avsc")),
    (
        "window_metrics.avsc",
        include_str!("../window_metrics.avsc"),
    ),
    (
        "history/window_metrics.v1.avsc",
        include_str!("../history/window_metrics.v1.avsc"),
    ),
    (
        "history/window_metrics.v2.avsc",
        include_str!("../history/window_metrics.v2.avsc"),
    ),
];

/// Why a record could not be decoded. Each variant has a short, stable
/// [`reason`](DecodeError::reason) used as the dead-letter header and metric label.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than the header.
    #[error("record is {len} bytes, shorter than the 10-byte Avro single-object header")]
    TooShort { len: usize },
    /// The record does not start with `C3 01`.
    #[error("record does not start with the Avro single-object marker C3 01 (found {found:02X?}); produce with mlobs' PredictionLogger or the schemas in schemas/*.avsc")]
    NotSingleObject { found: [u8; 2] },
    /// The fingerprint matches no known writer schema.
    #[error("unknown writer schema fingerprint {fingerprint}; put the writer's .avsc file in the schema directory (config key `schemas_dir`) so this reader can decode it")]
    UnknownFingerprint { fingerprint: String },
    /// The writer schema is a different record type.
    #[error("record was written as {found} but {expected} was expected; check the topic the producer writes to")]
    WrongRecord {
        expected: &'static str,
        found: String,
    },
    /// The datum ended before the record was complete.
    #[error("truncated {record} record: {detail}")]
    Truncated {
        record: &'static str,
        detail: String,
    },
    /// The datum does not match its writer schema.
    #[error("malformed {record} record: {detail}")]
    Malformed {
        record: &'static str,
        detail: String,
    },
}

impl DecodeError {
    /// Every [`DecodeError::reason`], so that metrics can show a reason at 0
    /// before its first record (Prometheus's `rate()` cannot see the first
    /// increment of a series that starts at 1).
    pub const REASONS: [&'static str; 6] = [
        "too_short",
        "not_avro",
        "unknown_schema",
        "wrong_record_type",
        "truncated",
        "malformed",
    ];

    /// Short machine-readable reason, stable across releases.
    pub fn reason(&self) -> &'static str {
        match self {
            DecodeError::TooShort { .. } => "too_short",
            DecodeError::NotSingleObject { .. } => "not_avro",
            DecodeError::UnknownFingerprint { .. } => "unknown_schema",
            DecodeError::WrongRecord { .. } => "wrong_record_type",
            DecodeError::Truncated { .. } => "truncated",
            DecodeError::Malformed { .. } => "malformed",
        }
    }
}

/// Why an event could not be encoded (a value the schema cannot hold).
#[derive(Debug, thiserror::Error)]
#[error("cannot encode {record}: {detail}")]
pub struct EncodeError {
    record: &'static str,
    detail: String,
}

struct KnownSchema {
    full_name: String,
    schema: Schema,
}

/// The writer schemas a consumer can decode, by fingerprint: the built-in
/// ones plus any registered at run time (for records from newer producers).
pub struct WriterSchemas {
    by_fingerprint: HashMap<[u8; 8], KnownSchema>,
}

impl WriterSchemas {
    /// The schemas compiled into this build.
    pub fn builtin() -> Self {
        let mut schemas = WriterSchemas {
            by_fingerprint: HashMap::new(),
        };
        for (file, json) in BUILTIN_SCHEMAS {
            schemas
                .register(json)
                .unwrap_or_else(|e| panic!("built-in schema {file} is invalid: {e}"));
        }
        schemas
    }

    /// Adds a writer schema given as Avro JSON; returns its fingerprint.
    pub fn register(&mut self, json: &str) -> Result<[u8; 8], SchemaError> {
        let full_name = full_name(json)?;
        let schema: Schema = json.parse().map_err(|e| SchemaError::Invalid {
            name: full_name.clone(),
            detail: format!("{e}"),
        })?;
        let fingerprint = *schema.rabin_fingerprint();
        self.by_fingerprint
            .insert(fingerprint, KnownSchema { full_name, schema });
        Ok(fingerprint)
    }

    /// Adds every `*.avsc` file in `dir`; returns how many were added.
    pub fn register_dir(&mut self, dir: &Path) -> Result<usize, SchemaError> {
        let entries = std::fs::read_dir(dir).map_err(|e| SchemaError::Io {
            path: dir.display().to_string(),
            detail: e.to_string(),
        })?;
        let mut added = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "avsc") {
                let json = std::fs::read_to_string(&path).map_err(|e| SchemaError::Io {
                    path: path.display().to_string(),
                    detail: e.to_string(),
                })?;
                self.register(&json)?;
                added += 1;
            }
        }
        Ok(added)
    }

    /// Decodes one single-object encoded record as `T`.
    pub fn decode<T: AvroRecord>(&self, bytes: &[u8]) -> Result<T, DecodeError> {
        if bytes.len() < HEADER_LEN {
            return Err(DecodeError::TooShort { len: bytes.len() });
        }
        if bytes[..2] != MAGIC {
            return Err(DecodeError::NotSingleObject {
                found: [bytes[0], bytes[1]],
            });
        }
        let fingerprint: [u8; 8] = bytes[2..HEADER_LEN].try_into().expect("8 bytes");
        let known = self.by_fingerprint.get(&fingerprint).ok_or_else(|| {
            DecodeError::UnknownFingerprint {
                fingerprint: hex(&fingerprint),
            }
        })?;
        if known.full_name != T::FULL_NAME {
            return Err(DecodeError::WrongRecord {
                expected: T::FULL_NAME,
                found: known.full_name.clone(),
            });
        }
        serde_avro_fast::from_datum_slice(&bytes[HEADER_LEN..], &known.schema).map_err(|e| {
            let ended_early =
                e.io_error().map(|io| io.kind()) == Some(std::io::ErrorKind::UnexpectedEof);
            let detail = format!("{e:?}");
            if ended_early || detail.contains("EOF") || detail.contains("end of slice") {
                DecodeError::Truncated {
                    record: T::FULL_NAME,
                    detail,
                }
            } else {
                DecodeError::Malformed {
                    record: T::FULL_NAME,
                    detail,
                }
            }
        })
    }
}

/// Encodes events of one type, reusing its buffers between calls.
pub struct Encoder<T: AvroRecord> {
    config: SerializerConfig<'static>,
    _record: PhantomData<fn(&T)>,
}

impl<T: AvroRecord> Default for Encoder<T> {
    fn default() -> Self {
        Encoder {
            config: SerializerConfig::new(T::schema()),
            _record: PhantomData,
        }
    }
}

impl<T: AvroRecord> Encoder<T> {
    /// Encodes `event` as a complete single-object record.
    pub fn encode(&mut self, event: &T) -> Result<Vec<u8>, EncodeError> {
        serde_avro_fast::to_single_object_vec(event, &mut self.config).map_err(|e| EncodeError {
            record: T::FULL_NAME,
            detail: e.to_string(),
        })
    }
}

/// Encodes one event; prefer an [`Encoder`] in loops.
pub fn encode<T: AvroRecord>(event: &T) -> Result<Vec<u8>, EncodeError> {
    Encoder::<T>::default().encode(event)
}

fn full_name(json: &str) -> Result<String, SchemaError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| SchemaError::Invalid {
            name: "(unparsed)".into(),
            detail: e.to_string(),
        })?;
    let name = value
        .get("name")
        .and_then(|n| n.as_str())
        .ok_or_else(|| SchemaError::Invalid {
            name: "(unnamed)".into(),
            detail: "a writer schema must be a named record".into(),
        })?;
    Ok(match value.get("namespace").and_then(|n| n.as_str()) {
        Some(namespace) if !name.contains('.') => format!("{namespace}.{name}"),
        _ => name.to_string(),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
