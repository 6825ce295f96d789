//! The handle both stages read baselines through: a snapshot that the
//! refresher replaces (stage 1 re-applies feature specs when the
//! generation moves; stage 2 takes the snapshot per publish), and the
//! bookkeeping of versions seen without a baseline, reported as the gauge
//! `mlobs_baseline_missing{model,version}` and in `/readyz`'s details.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use super::Baselines;
use crate::health::Health;
use crate::sinks::Metrics;

/// Baselines that may change while the pipeline runs.
pub struct LiveBaselines {
    current: RwLock<Arc<Baselines>>,
    /// Moves on every replacement, so readers notice cheaply.
    generation: AtomicU64,
    /// Versions seen in predictions (by stage 2's window results).
    seen: Mutex<BTreeSet<(String, String)>>,
    report: Option<(Arc<Metrics>, Arc<Health>)>,
}

impl LiveBaselines {
    /// A handle on `initial`, reporting missing baselines to `report`'s
    /// metrics and health when given.
    pub fn new(initial: Baselines, report: Option<(Arc<Metrics>, Arc<Health>)>) -> LiveBaselines {
        LiveBaselines {
            current: RwLock::new(Arc::new(initial)),
            generation: AtomicU64::new(0),
            seen: Mutex::new(BTreeSet::new()),
            report,
        }
    }

    /// A handle on baselines that never change (tests, one-shot commands).
    pub fn fixed(baselines: Baselines) -> Arc<LiveBaselines> {
        Arc::new(LiveBaselines::new(baselines, None))
    }

    /// The baselines now.
    pub fn current(&self) -> Arc<Baselines> {
        self.current.read().expect("not poisoned").clone()
    }

    /// A number that changes whenever [`LiveBaselines::current`] does.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Replaces the baselines (the refresher found new or changed ones).
    pub fn replace(&self, baselines: Baselines) {
        *self.current.write().expect("not poisoned") = Arc::new(baselines);
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.report();
    }

    /// Stage 2 saw predictions of `model`/`version` in a window.
    pub fn saw(&self, model: &str, version: &str) {
        let key = (model.to_string(), version.to_string());
        let new = self.seen.lock().expect("not poisoned").insert(key);
        if new {
            if !self.current().contains(model, version) {
                tracing::warn!(
                    model,
                    version,
                    "no baseline for this model version: no drift for it until one is registered"
                );
            }
            self.report();
        }
    }

    /// The versions seen in predictions that have no baseline now.
    pub fn missing(&self) -> Vec<(String, String)> {
        let current = self.current();
        self.seen
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|(model, version)| !current.contains(model, version))
            .cloned()
            .collect()
    }

    fn report(&self) {
        let Some((metrics, health)) = &self.report else {
            return;
        };
        let current = self.current();
        for (model, version) in self.seen.lock().expect("not poisoned").iter() {
            metrics.baseline_missing(model, version, !current.contains(model, version));
        }
        health.set_without_baseline(self.missing());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlobs_operators::baseline::{Baseline, ColumnData};

    #[test]
    fn a_version_seen_without_baseline_is_missing_until_one_arrives() {
        let metrics = Arc::new(Metrics::new(10));
        let health = Arc::new(Health::new(&[], false));
        let live = LiveBaselines::new(
            Baselines::default(),
            Some((metrics.clone(), health.clone())),
        );
        live.saw("m", "1");
        assert_eq!(live.missing(), [("m".to_string(), "1".to_string())]);
        assert!(metrics
            .render()
            .contains("mlobs_baseline_missing{model=\"m\",version=\"1\"} 1"));
        assert_eq!(health.details().len(), 1);

        let before = live.generation();
        let mut with = Baselines::default();
        let column = ("x".to_string(), ColumnData::Numeric(vec![1.0, 2.0, 3.0]));
        with.insert("m", "1", &Baseline::build(&[column]));
        live.replace(with);
        assert!(live.generation() > before);
        assert!(live.missing().is_empty());
        assert!(metrics
            .render()
            .contains("mlobs_baseline_missing{model=\"m\",version=\"1\"} 0"));
        assert!(health.details().is_empty());
    }
}
