//! Clients that send their headers slowly (slowloris) against the real
//! binaries: a connection whose request headers are not complete within
//! `--header-read-timeout` is closed, a byte at a time or not at all, while
//! ordinary requests are served.

mod binary;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use binary::Service;

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
        let service = Service::spawn(
            bin,
            &["--header-read-timeout", "300ms"],
            &[("OTEL_TRACES_EXPORTER", "none")],
        );
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
