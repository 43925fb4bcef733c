//! The load generator: N HTTP/1 keep-alive connections on loopback, each sending its next
//! request as soon as the previous answer is read, for a fixed time or a fixed count, whichever
//! comes first. Every request is built (and, for the engine, SigV4-signed) by the caller's
//! closure, as a real client builds each call.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One request, ready to send.
pub type Request = http::Request<Full<Bytes>>;

/// How much load to put on.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Concurrent connections.
    pub connections: usize,
    /// Stop after this long.
    pub duration: Duration,
    /// Stop after this many requests in all.
    pub max_requests: u64,
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Answers with status 200.
    pub ok: u64,
    /// Anything else (other status, connection failure).
    pub errors: u64,
    /// The first error seen, for the report.
    pub first_error: Option<String>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Latency of every successful request, sorted.
    pub latencies: Vec<Duration>,
}

impl Stats {
    /// Successful requests per second.
    pub fn rps(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            f64_of(self.ok) / secs
        } else {
            0.0
        }
    }

    /// The `p`-th percentile latency in milliseconds (nearest rank).
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let n = self.latencies.len();
        let rank = (p / 100.0 * f64_of(n as u64)).ceil();
        // `rank` is in 1..=n, so the conversion back is exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let index = (rank as usize).clamp(1, n) - 1;
        self.latencies[index].as_secs_f64() * 1000.0
    }

    /// Fails when the run had errors or answered nothing: a figure from a failing run means
    /// nothing.
    pub fn check(&self, what: &str) -> Result<()> {
        if self.ok == 0 || self.errors > 0 {
            bail!(
                "{what}: {} ok, {} errors (first: {})",
                self.ok,
                self.errors,
                self.first_error.as_deref().unwrap_or("none")
            );
        }
        Ok(())
    }
}

/// `u64` → `f64` for counts far below 2^52.
#[allow(clippy::cast_precision_loss)]
pub fn f64_of(n: u64) -> f64 {
    n as f64
}

/// Sends one request on a fresh connection and returns status and body.
pub async fn once(addr: SocketAddr, request: Request) -> Result<(http::StatusCode, Bytes)> {
    let mut sender = connect(addr).await?;
    let response = sender
        .send_request(request)
        .await
        .context("sending a request")?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .context("reading a response")?
        .to_bytes();
    Ok((status, body))
}

async fn connect(addr: SocketAddr) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP/1 handshake")?;
    tokio::spawn(connection);
    Ok(sender)
}

/// Runs the load: `make` builds each request.
pub async fn run<F>(addr: SocketAddr, load: Load, make: F) -> Result<Stats>
where
    F: Fn() -> Result<Request> + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let budget = Arc::new(std::sync::atomic::AtomicU64::new(load.max_requests));
    let start = Instant::now();
    let deadline = start + load.duration;
    let mut tasks = Vec::with_capacity(load.connections);
    for _ in 0..load.connections {
        let make = Arc::clone(&make);
        let budget = Arc::clone(&budget);
        tasks.push(tokio::spawn(async move {
            let mut stats = Stats::default();
            let mut sender = match connect(addr).await {
                Ok(s) => s,
                Err(e) => {
                    stats.errors += 1;
                    stats.first_error = Some(format!("{e:#}"));
                    return stats;
                }
            };
            while Instant::now() < deadline
                && budget
                    .fetch_update(
                        std::sync::atomic::Ordering::Relaxed,
                        std::sync::atomic::Ordering::Relaxed,
                        |n| n.checked_sub(1),
                    )
                    .is_ok()
            {
                // A server that closes connections after each answer (moto's) gets a new one;
                // the reconnect is part of its wall-clock cost, not an error.
                if sender.is_closed() || sender.ready().await.is_err() {
                    match connect(addr).await {
                        Ok(s) => sender = s,
                        Err(e) => {
                            stats.errors += 1;
                            stats.first_error.get_or_insert_with(|| format!("{e:#}"));
                            break;
                        }
                    }
                }
                let outcome = async {
                    let request = make()?;
                    sender.ready().await.context("connection closed")?;
                    let sent = Instant::now();
                    let response = sender.send_request(request).await?;
                    let code = response.status();
                    let answer = response.into_body().collect().await?.to_bytes();
                    let took = sent.elapsed();
                    if code == http::StatusCode::OK {
                        Ok::<_, anyhow::Error>(took)
                    } else {
                        bail!("HTTP {code}: {}", String::from_utf8_lossy(&answer))
                    }
                }
                .await;
                match outcome {
                    Ok(took) => {
                        stats.ok += 1;
                        stats.latencies.push(took);
                    }
                    Err(e) => {
                        stats.errors += 1;
                        if stats.first_error.is_none() {
                            stats.first_error = Some(format!("{e:#}"));
                        }
                    }
                }
            }
            stats
        }));
    }
    let mut total = Stats::default();
    for task in tasks {
        let stats = task.await.context("a load task panicked")?;
        total.ok += stats.ok;
        total.errors += stats.errors;
        if total.first_error.is_none() {
            total.first_error = stats.first_error;
        }
        total.latencies.extend(stats.latencies);
    }
    total.elapsed = start.elapsed();
    total.latencies.sort_unstable();
    Ok(total)
}
