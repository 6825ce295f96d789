//! Privacy the pipeline enforces itself (`[privacy]`): for a model in
//! `hash` mode, raw features that arrive anyway are replaced by their keyed
//! hash the moment a record is decoded, before anything else sees the
//! event. So they reach no ClickHouse table, no topic mlobs writes (the
//! dead letters included), no partial and no checkpoint.

use std::collections::BTreeMap;

use mlobs_schemas::features_hash::features_hash;
use mlobs_schemas::PredictionEvent;
use serde::{Deserialize, Serialize};

/// What the pipeline keeps of a model's features.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrivacyMode {
    /// Raw features are used and kept (sketches, inference_log).
    #[default]
    Raw,
    /// Raw features are never kept: only their hash. Drift is not
    /// monitored (every feature is `not_monitored`).
    Hash,
}

/// One model's privacy setting (`[privacy.models.NAME]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrivacy {
    /// The mode for this model.
    pub mode: PrivacyMode,
}

/// `[privacy]`: a mode for every model, overrides per model, and the key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// The mode of models without their own setting.
    pub mode: PrivacyMode,
    /// Per model name.
    pub models: BTreeMap<String, ModelPrivacy>,
    /// The HMAC key raw features are hashed with (set it through
    /// `MLOBS_PRIVACY_HASH_KEY`, never in a file in the repository). Empty:
    /// raw features of a hashed model are dropped and the hash the producer
    /// sent, if any, is kept.
    pub hash_key: String,
}

impl PrivacyConfig {
    /// The mode that applies to `model`.
    pub fn mode_of(&self, model: &str) -> PrivacyMode {
        self.models.get(model).map_or(self.mode, |m| m.mode)
    }

    /// True when some model may be in `hash` mode: then a record that
    /// cannot be decoded (whose model is unknown) may hold private features.
    pub fn hashes_any(&self) -> bool {
        self.mode == PrivacyMode::Hash || self.models.values().any(|m| m.mode == PrivacyMode::Hash)
    }

    /// Withholds the raw features of `event` when its model is in `hash`
    /// mode; true when it is (the event is private, whether or not raw
    /// features arrived).
    pub fn enforce(&self, event: &mut PredictionEvent) -> bool {
        if self.mode_of(&event.model) != PrivacyMode::Hash {
            return false;
        }
        if !self.hash_key.is_empty() && !event.features.is_empty() {
            event.features_hash = Some(features_hash(self.hash_key.as_bytes(), &event.features));
        }
        event.features.clear();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_models_in_hash_mode_lose_their_features() {
        let config: PrivacyConfig =
            toml::from_str("hash_key = \"k\"\n[models.churn]\nmode = \"hash\"\n").unwrap();
        assert!(config.hashes_any());
        assert_eq!(config.mode_of("fraud"), PrivacyMode::Raw);
        let (mut events, _) = mlobs_testkit::workload::stream(2);
        let mut other = events.pop().unwrap();
        let mut event = events.pop().unwrap();
        event.model = "churn".into();
        other.model = "fraud".into();
        let raw = event.features.clone();
        assert!(!raw.is_empty());
        assert!(config.enforce(&mut event));
        assert!(event.features.is_empty());
        assert_eq!(event.features_hash, Some(features_hash(b"k", &raw)));
        assert!(!config.enforce(&mut other));
        assert!(!other.features.is_empty());
    }
}
