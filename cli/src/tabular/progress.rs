//! A progress line on stderr while large files are read: users of the
//! peers wait hours on wide files without knowing how far along they are.
//! Drawn only on a terminal and only once the work has taken 2 s, so that
//! quick runs, pipes and logs stay silent.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Work shorter than this draws nothing.
const QUIET_FOR: Duration = Duration::from_secs(2);
/// How often the line is redrawn.
const REDRAW_EVERY: Duration = Duration::from_millis(200);

/// Bytes done out of a known total, shared by the threads doing the work.
pub struct Progress {
    what: &'static str,
    total: u64,
    done: AtomicU64,
}

impl Progress {
    /// Progress of `what` (e.g. "reading") over `total` bytes.
    pub fn new(what: &'static str, total: u64) -> Self {
        Progress {
            what,
            total,
            done: AtomicU64::new(0),
        }
    }

    /// Counts `bytes` more as done.
    pub fn add(&self, bytes: u64) {
        self.done.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Runs `work`, drawing the line beside it when stderr is a terminal;
    /// the line is erased when the work ends.
    pub fn show_while<T>(&self, work: impl FnOnce() -> T) -> T {
        if !std::io::stderr().is_terminal() {
            return work();
        }
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::scope(|scope| {
            scope.spawn(move || self.draw_until(&stopped));
            let outcome = work();
            drop(stop);
            outcome
        })
    }

    fn draw_until(&self, stopped: &mpsc::Receiver<()>) {
        let started = Instant::now();
        let mut drawn = false;
        while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(REDRAW_EVERY) {
            let elapsed = started.elapsed();
            if elapsed >= QUIET_FOR {
                eprint!("\r{}\x1b[K", self.line(elapsed));
                drawn = true;
            }
        }
        if drawn {
            eprint!("\r\x1b[K");
            let _ = std::io::stderr().flush();
        }
    }

    /// "reading: 45% of 358 MB, 3 s, about 4 s left"
    fn line(&self, elapsed: Duration) -> String {
        let done = self.done.load(Ordering::Relaxed).min(self.total);
        let share = if self.total == 0 {
            1.0
        } else {
            done as f64 / self.total as f64
        };
        let left = if share > 0.0 {
            format!(
                ", about {:.0} s left",
                elapsed.as_secs_f64() * (1.0 - share) / share
            )
        } else {
            String::new()
        };
        format!(
            "{}: {:.0}% of {} MB, {:.0} s{left}",
            self.what,
            share * 100.0,
            self.total / 1_000_000,
            elapsed.as_secs_f64()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_how_far_and_how_long_is_left() {
        let progress = Progress::new("reading", 400_000_000);
        progress.add(100_000_000);
        assert_eq!(
            progress.line(Duration::from_secs(3)),
            "reading: 25% of 400 MB, 3 s, about 9 s left"
        );
        progress.add(500_000_000);
        assert!(progress
            .line(Duration::from_secs(4))
            .starts_with("reading: 100%"));
    }
}
