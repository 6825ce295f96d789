//! Baselines fetched from MLflow, kept on disk (`mlflow.cache_dir`) so a
//! restart while MLflow is down still tests drift. One file per version,
//! `<model>/<version>.json` with unsafe characters percent-encoded,
//! holding the model, version, artifact URI and the profile itself; files
//! are written whole (a temporary file renamed), so two processes sharing
//! the folder never read half a file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One cached baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Registered model.
    pub model: String,
    /// Version.
    pub version: String,
    /// The artifact it came from: a changed URI in MLflow means a new
    /// baseline.
    pub uri: String,
    /// The profile JSON, as stored in MLflow.
    pub profile: String,
}

/// The cache folder.
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache in `dir` (created on first write).
    pub fn new(dir: PathBuf) -> Cache {
        Cache { dir }
    }

    /// Every readable entry; an unreadable file is skipped with a warning
    /// (MLflow gives it again).
    pub fn load(&self) -> Vec<Entry> {
        let Ok(models) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let files = models
            .flatten()
            .filter_map(|model| std::fs::read_dir(model.path()).ok())
            .flat_map(|versions| versions.flatten().map(|v| v.path()))
            .filter(|path| path.extension().is_some_and(|x| x == "json"));
        files
            .filter_map(|path| {
                let read = std::fs::read_to_string(&path).map_err(|e| e.to_string());
                match read.and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string())) {
                    Ok(entry) => Some(entry),
                    Err(error) => {
                        tracing::warn!(path = %path.display(), %error, "skipping an unreadable cached baseline");
                        None
                    }
                }
            })
            .collect()
    }

    /// Writes `entry` (replacing the version's earlier one).
    pub fn store(&self, entry: &Entry) -> std::io::Result<()> {
        let path = self.path(&entry.model, &entry.version);
        let folder = path.parent().expect("a file in a model folder");
        std::fs::create_dir_all(folder)?;
        let partial = folder.join(format!(
            ".{}.{}.partial",
            encode(&entry.version),
            std::process::id()
        ));
        std::fs::write(&partial, serde_json::to_vec(entry).expect("serializable"))?;
        std::fs::rename(&partial, &path)
    }

    /// Forgets the baseline of `model`/`version`.
    pub fn remove(&self, model: &str, version: &str) {
        let _ = std::fs::remove_file(self.path(model, version));
    }

    /// The folder, for messages.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, model: &str, version: &str) -> PathBuf {
        self.dir
            .join(encode(model))
            .join(format!("{}.json", encode(version)))
    }
}

/// `name` with every byte outside `A-Z a-z 0-9 - _` (and a leading dot)
/// written `%XX`, so no name can leave the folder or collide with another.
fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, byte) in name.bytes().enumerate() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' || (byte == b'.' && i > 0) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_names_stay_in_the_folder() {
        let dir = std::env::temp_dir().join(format!("mlobs-cache-test-{}", std::process::id()));
        let cache = Cache::new(dir.clone());
        let entry = Entry {
            model: "../team/churn".into(),
            version: "3".into(),
            uri: "mlflow-artifacts:/1/r/artifacts/mlobs/baseline.json".into(),
            profile: "{}".into(),
        };
        cache.store(&entry).unwrap();
        assert!(dir.join("%2E.%2Fteam%2Fchurn/3.json").is_file());
        assert_eq!(cache.load(), std::slice::from_ref(&entry));
        cache.remove(&entry.model, "3");
        assert!(cache.load().is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
