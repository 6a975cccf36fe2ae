//! Clients that send their headers slowly (slowloris) against the real
//! binaries: a connection whose request headers are not complete within
//! `--header-read-timeout` is closed, a byte at a time or not at all, while
//! ordinary requests are served.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A service binary on a free port; killed when dropped.
struct Running {
    child: Child,
    addr: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `bin` and waits for its `serving listen=ADDR` log line.
fn start(bin: &str, args: &[&str]) -> Running {
    let mut child = Command::new(bin)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("FAULTS")
        .env("OTEL_TRACES_EXPORTER", "none")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("the service logs `serving`").unwrap();
        if let Some(rest) = line.split("listen=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining stderr so the service never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Running { child, addr }
}

/// Reads until the server closes the connection; what it sent.
async fn until_closed(socket: &mut TcpStream) -> Vec<u8> {
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer).await;
    answer
}

async fn health(addr: &str) -> String {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    String::from_utf8_lossy(&until_closed(&mut socket).await).into_owned()
}

#[tokio::test]
async fn connections_that_never_finish_their_headers_are_closed() {
    for bin in [
        env!("CARGO_BIN_EXE_order-api"),
        env!("CARGO_BIN_EXE_payment-service"),
    ] {
        let service = start(bin, &["--header-read-timeout", "300ms"]);
        // Stalled: half a request line, then nothing. Waits for the server to
        // close it (bounded, so that a server that never does fails the test).
        let mut stalled = TcpStream::connect(&service.addr).await.unwrap();
        stalled.write_all(b"GET /health HT").await.unwrap();
        let closed =
            tokio::time::timeout(Duration::from_secs(30), until_closed(&mut stalled)).await;
        assert!(closed.is_ok(), "{bin}: a stalled client kept its socket");

        // Trickling: a byte every 20 ms would finish its headers in ~2 s;
        // the server closes it once the 300 ms are up, whatever it sends.
        let request = format!(
            "POST /orders HTTP/1.1\r\nhost: x\r\n{}\r\n",
            "x-pad: y\r\n".repeat(8)
        );
        let mut trickle = TcpStream::connect(&service.addr).await.unwrap();
        let mut sent = 0;
        for byte in request.as_bytes() {
            if trickle.write_all(&[*byte]).await.is_err() {
                break;
            }
            sent += 1;
            let mut probe = [0u8; 1];
            // The pacing of the hostile client, and the check that the
            // server has closed: a read that ends (0 bytes or an error).
            let read =
                tokio::time::timeout(Duration::from_millis(20), trickle.read(&mut probe)).await;
            if matches!(read, Ok(Ok(0) | Err(_))) {
                break;
            }
        }
        assert!(
            sent < request.len(),
            "{bin}: the whole {}-byte header went through a byte at a time",
            request.len()
        );
        // Ordinary clients are served all along.
        assert!(
            health(&service.addr).await.starts_with("HTTP/1.1 200"),
            "{bin}"
        );
    }
}
