//! Graceful shutdown: SIGINT or SIGTERM sets a flag the runners poll; they
//! finish in-flight work, checkpoint, commit and leave their groups.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Set once shutdown was asked for.
#[derive(Clone, Default)]
pub struct Shutdown(Arc<OnceLock<Instant>>);

impl Shutdown {
    /// A flag that SIGINT and SIGTERM will set.
    pub fn on_signals() -> Self {
        let shutdown = Shutdown::default();
        let flag = shutdown.clone();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    let mut term =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                            .expect("SIGTERM can be handled");
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                });
                tracing::info!(
                    "shutting down: finishing in-flight work, checkpointing, committing"
                );
                flag.trigger();
            })
            .expect("spawning the signal thread");
        shutdown
    }

    /// Asks for shutdown (the first request's time is kept).
    pub fn trigger(&self) {
        let _ = self.0.set(Instant::now());
    }

    /// True once shutdown was asked for.
    pub fn requested(&self) -> bool {
        self.0.get().is_some()
    }

    /// True when shutdown was asked for more than `grace` ago: work that
    /// waits on a service (the broker, ClickHouse) gives up then, so that a
    /// stop ends in bounded time even while the service is away.
    pub fn overdue(&self, grace: Duration) -> bool {
        self.0.get().is_some_and(|at| at.elapsed() > grace)
    }

    /// Waits `duration` (a pause between retries or checks), cut short by
    /// shutdown; false when shutdown was asked for.
    pub fn wait(&self, duration: Duration) -> bool {
        let deadline = Instant::now() + duration;
        while !self.requested() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_runs_its_course_unless_shutdown_cuts_it_short() {
        let shutdown = Shutdown::default();
        let started = Instant::now();
        assert!(shutdown.wait(Duration::from_millis(120)));
        assert!(started.elapsed() >= Duration::from_millis(120));
        assert!(!shutdown.overdue(Duration::ZERO));
        shutdown.trigger();
        assert!(!shutdown.wait(Duration::from_secs(3600)));
        assert!(!shutdown.overdue(Duration::from_secs(3600)));
    }
}
