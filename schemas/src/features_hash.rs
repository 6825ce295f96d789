//! The hash that stands in for a prediction's features when they must not
//! leave the serving process (privacy mode).
//!
//! HMAC-SHA-256 keyed with a secret only the operator holds
//! (`privacy_hash_key`, or `MLOBS_PRIVACY_HASH_KEY`): an unkeyed hash of a
//! low-cardinality value is undone by hashing every guess. The message is
//! the Avro binary encoding of the features map, exactly as the
//! `PredictionEvent` schema encodes its `features` field, written as one
//! block with the keys in sorted (byte) order, so that any SDK with an Avro
//! encoder (the Python one too) computes the same hash.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::events::FeatureValue;

/// Environment variable read when the config sets no key.
pub const HASH_KEY_ENV: &str = "MLOBS_PRIVACY_HASH_KEY";

/// The key from the config, else from [`HASH_KEY_ENV`]; `None` when
/// neither sets a non-empty one.
pub fn hash_key(configured: Option<&str>) -> Option<String> {
    configured
        .map(str::to_string)
        .or_else(|| std::env::var(HASH_KEY_ENV).ok())
        .filter(|key| !key.is_empty())
}

/// Hex HMAC-SHA-256 of the features' Avro encoding under `key`.
pub fn features_hash(key: &[u8], features: &BTreeMap<String, Option<FeatureValue>>) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(&avro_features(features));
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `map<union{null, double, string}>` in Avro binary: one block (its count,
/// then key and value per entry, keys ascending) and the empty block that
/// ends a map; an empty map is the end block alone.
pub fn avro_features(features: &BTreeMap<String, Option<FeatureValue>>) -> Vec<u8> {
    let mut out = Vec::new();
    if !features.is_empty() {
        long(&mut out, features.len() as i64);
        for (name, value) in features {
            string(&mut out, name);
            match value {
                None => long(&mut out, 0),
                Some(FeatureValue::Numeric(x)) => {
                    long(&mut out, 1);
                    out.extend_from_slice(&x.to_le_bytes());
                }
                Some(FeatureValue::Categorical(s)) => {
                    long(&mut out, 2);
                    string(&mut out, s);
                }
            }
        }
    }
    long(&mut out, 0);
    out
}

/// Avro `long`: zig-zag, then base-128 varint.
fn long(out: &mut Vec<u8>, value: i64) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8 & 0x7F) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn string(out: &mut Vec<u8>, s: &str) {
    long(out, s.len() as i64);
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoding_is_the_schemas_own() {
        // The same map inside a full PredictionEvent, encoded by the codec:
        // the features field's bytes must be ours.
        let features = BTreeMap::from([
            ("b".to_string(), Some(FeatureValue::Categorical("x".into()))),
            ("a".to_string(), Some(FeatureValue::Numeric(1.5))),
            ("c".to_string(), None),
        ]);
        let ours = avro_features(&features);
        let schema: serde_avro_fast::Schema =
            r#"{"type": "map", "values": ["null", "double", "string"]}"#
                .parse()
                .unwrap();
        let config = &mut serde_avro_fast::ser::SerializerConfig::new(&schema);
        let theirs = serde_avro_fast::to_datum_vec(&features, config).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(avro_features(&BTreeMap::new()), vec![0]);
    }

    #[test]
    fn the_key_changes_the_hash() {
        let features = BTreeMap::from([("a".to_string(), Some(FeatureValue::Numeric(1.0)))]);
        assert_ne!(
            features_hash(b"k1", &features),
            features_hash(b"k2", &features)
        );
        assert_eq!(features_hash(b"k1", &features).len(), 64);
    }
}
