//! The service binaries as separate processes (SIGTERM, environment and
//! slow-client tests): started on an ephemeral loopback port, their address
//! read from their "serving" log line, killed if a test leaves them running.

#![allow(dead_code)] // each test binary uses a part

use std::{
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

/// A service binary, its address read from its "serving" log line.
pub(crate) struct Service {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub addr: String,
}

impl Service {
    /// Starts `bin args` on an ephemeral loopback port with `env` on top of
    /// a clean one (no `OTEL_*` or `FAULTS` from the caller's shell) and
    /// waits for its address.
    pub(crate) fn spawn(bin: &str, args: &[&str], env: &[(&str, &str)]) -> Service {
        let mut command = Command::new(bin);
        for (k, _) in std::env::vars() {
            if k.starts_with("OTEL_") {
                command.env_remove(k);
            }
        }
        let mut child = command
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .env_remove("FAULTS")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(rest) = line.split("listen=").nth(1) {
                    let addr = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    tx.send(addr).ok();
                }
                eprintln!("{line}");
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the service logs its address");
        Service { child, addr }
    }

    /// Sends SIGTERM (a graceful stop that flushes the spans).
    pub(crate) fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits (at most 30 s) for the process to exit.
    pub(crate) async fn wait(&mut self) -> ExitStatus {
        let child = &mut self.child;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the service exits after SIGTERM");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}
