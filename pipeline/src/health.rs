//! What `/readyz` reports: the broker answers, the ClickHouse history takes
//! writes (when it is on), and each stage this process runs owns at least
//! one partition. Writers and consumer groups report here as they go; a
//! background check asks the broker and ClickHouse every few seconds, so
//! the answer stays true while the pipeline is idle.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::shutdown::Shutdown;
use crate::sinks::clickhouse::ClickHouse;

const CLICKHOUSE_OFF: u8 = 0;
const CLICKHOUSE_OK: u8 = 1;
const CLICKHOUSE_FAILING: u8 = 2;

/// The stages a process can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Stage 1.
    Join,
    /// Stage 2.
    Evaluate,
}

/// Readiness, shared by everything that knows a part of it.
pub struct Health {
    broker: AtomicBool,
    clickhouse: AtomicU8,
    /// Partitions owned per stage; `None` for a stage this process skips.
    assigned: [Option<AtomicUsize>; 2],
    /// Stage-1 partitions whose checkpoint restore keeps failing, and why.
    restoring: Mutex<BTreeMap<i32, String>>,
    /// Model versions seen in predictions without a baseline: no drift for
    /// them. Not a readiness problem (the rest works), a detail of it.
    without_baseline: Mutex<Vec<(String, String)>>,
}

impl Health {
    /// Health of a process running `stages`, with the history on or off.
    pub fn new(stages: &[Stage], clickhouse_on: bool) -> Health {
        let runs = |stage| stages.contains(&stage).then(|| AtomicUsize::new(0));
        Health {
            broker: AtomicBool::new(false),
            clickhouse: AtomicU8::new(if clickhouse_on {
                CLICKHOUSE_FAILING
            } else {
                CLICKHOUSE_OFF
            }),
            assigned: [runs(Stage::Join), runs(Stage::Evaluate)],
            restoring: Mutex::new(BTreeMap::new()),
            without_baseline: Mutex::new(Vec::new()),
        }
    }

    /// Partition `partition` is retrying its restore (`Some(why)`), or is
    /// done with it (`None`).
    pub fn set_restoring(&self, partition: i32, why: Option<String>) {
        let mut restoring = self.restoring.lock().expect("not poisoned");
        match why {
            Some(why) => restoring.insert(partition, why),
            None => restoring.remove(&partition),
        };
    }

    /// The broker answered (or not).
    pub fn set_broker(&self, ok: bool) {
        self.broker.store(ok, Ordering::Relaxed);
    }

    /// ClickHouse took a write or answered a ping (or not).
    pub fn set_clickhouse(&self, ok: bool) {
        if self.clickhouse.load(Ordering::Relaxed) != CLICKHOUSE_OFF {
            let state = if ok {
                CLICKHOUSE_OK
            } else {
                CLICKHOUSE_FAILING
            };
            self.clickhouse.store(state, Ordering::Relaxed);
        }
    }

    /// `stage` now owns `partitions` partitions here.
    pub fn set_assigned(&self, stage: Stage, partitions: usize) {
        if let Some(count) = &self.assigned[stage as usize] {
            count.store(partitions, Ordering::Relaxed);
        }
    }

    /// The model versions seen in predictions that have no baseline now.
    pub fn set_without_baseline(&self, versions: Vec<(String, String)>) {
        *self.without_baseline.lock().expect("not poisoned") = versions;
    }

    /// What a ready process does not do, one line per item: the versions
    /// without a baseline get no drift.
    pub fn details(&self) -> Vec<String> {
        self.without_baseline
            .lock()
            .expect("not poisoned")
            .iter()
            .map(|(model, version)| {
                format!("no baseline for model {model} version {version}: no drift for it")
            })
            .collect()
    }

    /// `Ok` when ready, else what is wrong, one item per problem.
    pub fn readiness(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if !self.broker.load(Ordering::Relaxed) {
            problems.push("the Kafka broker does not answer".to_string());
        }
        if self.clickhouse.load(Ordering::Relaxed) == CLICKHOUSE_FAILING {
            problems.push("ClickHouse does not take writes".to_string());
        }
        for (stage, count) in ["join", "evaluate"].iter().zip(&self.assigned) {
            if count
                .as_ref()
                .is_some_and(|c| c.load(Ordering::Relaxed) == 0)
            {
                problems.push(format!("the {stage} stage owns no partition"));
            }
        }
        for (partition, why) in self.restoring.lock().expect("not poisoned").iter() {
            problems.push(format!(
                "partition {partition} is waiting to restore its checkpoint ({why})"
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Asks the broker (and ClickHouse, when on) every `every` until shutdown.
pub fn spawn_checks(
    health: Arc<Health>,
    offsets: BaseConsumer<crate::kafka_log::Quiet>,
    clickhouse: Option<ClickHouse>,
    shutdown: Shutdown,
    every: Duration,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("health".into())
        .spawn(move || {
            while !shutdown.requested() {
                let answered = offsets.fetch_metadata(None, Duration::from_secs(3));
                health.set_broker(answered.is_ok());
                if let Some(clickhouse) = &clickhouse {
                    health.set_clickhouse(clickhouse.ping());
                }
                shutdown.wait(every);
            }
        })
        .expect("spawning the health thread")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_names_every_problem_and_ignores_what_the_process_does_not_run() {
        let health = Health::new(&[Stage::Join], true);
        let problems = health.readiness().unwrap_err();
        assert_eq!(
            problems,
            [
                "the Kafka broker does not answer",
                "ClickHouse does not take writes",
                "the join stage owns no partition"
            ]
        );
        health.set_broker(true);
        health.set_clickhouse(true);
        health.set_assigned(Stage::Join, 2);
        health.set_assigned(Stage::Evaluate, 0);
        assert_eq!(health.readiness(), Ok(()));
        health.set_restoring(2, Some("attempt 3 failed: timed out".into()));
        assert_eq!(
            health.readiness(),
            Err(vec![
                "partition 2 is waiting to restore its checkpoint (attempt 3 failed: timed out)"
                    .to_string()
            ])
        );
        health.set_restoring(2, None);
        assert_eq!(health.readiness(), Ok(()));
        health.set_without_baseline(vec![("churn".into(), "3".into())]);
        assert_eq!(health.readiness(), Ok(()), "a missing baseline is a detail");
        assert_eq!(
            health.details(),
            ["no baseline for model churn version 3: no drift for it"]
        );

        let without_history = Health::new(&[Stage::Evaluate], false);
        without_history.set_broker(true);
        without_history.set_clickhouse(false);
        without_history.set_assigned(Stage::Evaluate, 1);
        assert_eq!(without_history.readiness(), Ok(()));
    }
}
