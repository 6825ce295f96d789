//! Graceful shutdown: SIGINT or SIGTERM sets a flag the runners poll; they
//! finish in-flight work, checkpoint, commit and leave their groups.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Set once shutdown was asked for.
#[derive(Clone, Default)]
pub struct Shutdown(Arc<AtomicBool>);

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
                eprintln!(
                    "mlobs: shutting down (finishing in-flight work, checkpointing, committing)"
                );
                flag.trigger();
            })
            .expect("spawning the signal thread");
        shutdown
    }

    /// Asks for shutdown.
    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once shutdown was asked for.
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
