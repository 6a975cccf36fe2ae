//! Hostile backends scripted at the TCP level, on an ephemeral loopback port:
//! answers too large to hold, and answers that never come. Each counts its
//! connections and the bytes it managed to send, so tests can prove the
//! verifier stopped reading and did not retry.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

/// What the backend does with every request.
#[derive(Clone, Debug)]
pub(crate) enum Script {
    /// 200 with a chunked body of `total` bytes in 64 KiB chunks, or until
    /// the client hangs up.
    Chunked { total: usize },
    /// 200 with `Content-Length: length` and no body at all.
    Announce { length: u64 },
    /// 200 with a gzip body that inflates to `inflated` bytes.
    GzipBomb { inflated: usize },
    /// Reads the request and never answers (until released).
    Silent,
    /// Sends the head and the start of the body, then nothing (until released).
    StallBody,
}

/// A running scripted backend.
pub(crate) struct Scripted {
    pub url: String,
    connections: Arc<AtomicUsize>,
    sent: Arc<AtomicUsize>,
    done: watch::Receiver<usize>,
    release: Arc<Notify>,
}

impl Scripted {
    pub(crate) async fn start(script: Script) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let sent = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(Notify::new());
        let (done_tx, done) = watch::channel(0usize);
        let done_tx = Arc::new(done_tx);
        let (c, s, r) = (connections.clone(), sent.clone(), release.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                let (script, sent, release, done_tx) =
                    (script.clone(), s.clone(), r.clone(), done_tx.clone());
                tokio::spawn(async move {
                    serve(socket, script, &sent, &release).await;
                    done_tx.send_modify(|n| *n += 1);
                });
            }
        });
        Scripted {
            url,
            connections,
            sent,
            done,
            release,
        }
    }

    /// Connections accepted so far.
    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Body bytes written so far (into the socket, not necessarily read).
    pub(crate) fn sent(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }

    /// Waits until `n` connections have been served to their end (the
    /// script finished or the client hung up).
    pub(crate) async fn served(&self, n: usize) {
        let mut done = self.done.clone();
        done.wait_for(|served| *served >= n).await.unwrap();
    }

    /// Lets silent and stalled connections end.
    pub(crate) fn release(&self) {
        self.release.notify_waiters();
    }
}

async fn serve(mut socket: TcpStream, script: Script, sent: &AtomicUsize, release: &Notify) {
    let mut head = [0u8; 8192];
    let _ = socket.read(&mut head).await;
    const OK: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n";
    match script {
        Script::Chunked { total } => {
            let head = format!("{OK}transfer-encoding: chunked\r\n\r\n");
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            const CHUNK: usize = 64 * 1024;
            let framed = [
                format!("{CHUNK:x}\r\n").into_bytes(),
                vec![b' '; CHUNK],
                b"\r\n".to_vec(),
            ]
            .concat();
            let mut written = 0;
            while written < total {
                if socket.write_all(&framed).await.is_err() {
                    return;
                }
                written += CHUNK;
                sent.fetch_add(CHUNK, Ordering::SeqCst);
            }
            let _ = socket.write_all(b"0\r\n\r\n").await;
        }
        Script::Announce { length } => {
            let head = format!("{OK}content-length: {length}\r\n\r\n");
            let _ = socket.write_all(head.as_bytes()).await;
            // Hold the socket: a client that waits for the body waits forever.
            release.notified().await;
        }
        Script::GzipBomb { inflated } => {
            use std::io::Write as _;
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let zeros = vec![b' '; 1 << 20];
            let mut left = inflated;
            while left > 0 {
                let n = left.min(zeros.len());
                encoder.write_all(&zeros[..n]).unwrap();
                left -= n;
            }
            let body = encoder.finish().unwrap();
            let head = format!(
                "{OK}content-encoding: gzip\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            if socket.write_all(head.as_bytes()).await.is_ok()
                && socket.write_all(&body).await.is_ok()
            {
                sent.fetch_add(body.len(), Ordering::SeqCst);
            }
            // Wait for the client to hang up.
            let mut rest = [0u8; 64];
            let _ = socket.read(&mut rest).await;
        }
        Script::Silent => release.notified().await,
        Script::StallBody => {
            let head = format!("{OK}content-length: 1000\r\n\r\n{{\"services\":[");
            let _ = socket.write_all(head.as_bytes()).await;
            release.notified().await;
        }
    }
}
