//! The `mlobs` processes a test starts: stopped gracefully, crashed, or
//! killed when the test ends however it ends.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mlobs_testkit::wait_until;

/// Stops a `mlobs run` with SIGTERM and waits; it must exit cleanly.
pub fn stop_gracefully(mut running: Running) {
    running.terminate();
    let exit = running.exit_within(Duration::from_secs(60), "mlobs run to stop after SIGTERM");
    assert!(
        exit.success(),
        "mlobs run exited with {exit:?} after SIGTERM"
    );
}

/// Runs `command` to its end like `Command::output`, but kills it and fails
/// the test after `timeout`.
pub fn output_within(mut command: Command, timeout: Duration) -> std::process::Output {
    use std::io::Read;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read both pipes while waiting, so a full pipe cannot stall the child.
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).map(|_| bytes)
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let what = format!("{:?} to finish", command.get_args().collect::<Vec<_>>());
    let status = Running(child).exit_within(timeout, &what);
    std::process::Output {
        status,
        stdout: stdout.join().unwrap().unwrap(),
        stderr: stderr.join().unwrap().unwrap(),
    }
}

/// Kills a process the hard way (SIGKILL), as a crash would.
pub fn crash(mut running: Running) {
    running.0.kill().unwrap();
    running.0.wait().unwrap();
}

/// A process a test started; killed when dropped, so a failing test leaves
/// nothing running behind it.
pub struct Running(pub(super) Child);

impl Running {
    /// Asks the process to stop (SIGTERM), without waiting.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }

    /// The process's resident memory, in KB.
    pub fn rss_kb(&self) -> i64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// Waits for the process to exit; fails the test after `timeout` (and
    /// the process is killed as the failure drops it).
    pub fn exit_within(&mut self, timeout: Duration, what: &str) -> std::process::ExitStatus {
        wait_until(timeout, what, || self.0.try_wait().unwrap())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
