//! Figures 1 and 4: GetService / ListServices through SigV4 verification on SQLite and
//! PostgreSQL against a bare axum handler answering the same bytes, and the console proxy's
//! round trip against the direct call.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::extract::State;
use bytes::Bytes;
use http_body_util::Full;
use serde_json::json;

use super::{Figure, Settings};
use crate::harness::engine::{self, Credentials, Engine, publish};
use crate::harness::load::{self, Load, Stats};

const SERVICE_SPEC: &str = "proton: ServiceSpec\npipeline:\n  test_command: \"cargo test\"\n\
instances:\n  - name: \"worker-dev\"\n    environment: \"dev\"\n    spec:\n      batch_size: 5\n";
const CONNECTION: &str = "arn:aws:codestar-connections:us-east-1:123456789012:connection/0b1c2d3e-aaaa-bbbb-cccc-123456789012";

/// Seeds what a team has on day one: a published self-managed environment template, an
/// environment `dev` deployed (notified), a published service template and service `worker`
/// with one instance in `dev` — all through the API.
pub async fn seed_service(engine: &Engine, root: &Path) -> Result<()> {
    engine
        .call(
            "CreateEnvironmentTemplate",
            &json!({"name": "queue-env", "provisioning": "CUSTOMER_MANAGED"}),
        )
        .await?;
    publish(engine, root, "Environment", "queue-env", &json!({})).await?;
    let env = engine
        .call(
            "CreateEnvironment",
            &json!({"name": "dev", "templateName": "queue-env", "templateMajorVersion": "1",
                    "spec": "proton: EnvironmentSpec\nspec:\n  queue_name: orders\n",
                    "provisioningRepository":
                        {"provider": "GITHUB", "name": "acme/infra", "branch": "main"}}),
        )
        .await?;
    let arn = env["environment"]["arn"]
        .as_str()
        .context("CreateEnvironment returned no arn")?;
    engine
        .call(
            "NotifyResourceDeploymentStatusChange",
            &json!({"resourceArn": arn, "status": "SUCCEEDED"}),
        )
        .await?;
    engine
        .call(
            "CreateServiceTemplate",
            &json!({"name": "worker-svc", "pipelineProvisioning": "CUSTOMER_MANAGED"}),
        )
        .await?;
    publish(
        engine,
        root,
        "Service",
        "worker-svc",
        &json!({"compatibleEnvironmentTemplates":
                    [{"templateName": "queue-env", "majorVersion": "1"}]}),
    )
    .await?;
    engine
        .call(
            "CreateService",
            &json!({"name": "worker", "templateName": "worker-svc", "templateMajorVersion": "1",
                    "spec": SERVICE_SPEC, "repositoryConnectionArn": CONNECTION,
                    "repositoryId": "acme/worker", "branchName": "main"}),
        )
        .await?;
    Ok(())
}

/// The two operations under load and their request bodies.
const OPERATIONS: [(&str, &str); 2] = [
    ("GetService", r#"{"name":"worker"}"#),
    ("ListServices", "{}"),
];

/// Runs signed requests for `operation` against `addr` under `load`, after a short warm-up.
async fn signed_load(
    addr: SocketAddr,
    credentials: &Credentials,
    operation: &'static str,
    body: &'static str,
    settings: &Settings,
    load: Load,
) -> Result<Stats> {
    let make = {
        let credentials = credentials.clone();
        move || {
            engine::signed(
                addr,
                &credentials,
                operation,
                &Bytes::from_static(body.as_bytes()),
            )
        }
    };
    load::run(addr, settings.warm_up(load.connections), make.clone()).await?;
    let stats = load::run(addr, load, make).await?;
    stats.check(operation)?;
    Ok(stats)
}

/// A bare axum server answering every POST with the bytes recorded for its `X-Amz-Target`, on
/// its own two-worker runtime (like a separate process). Dropping the handle stops it.
pub struct Bare {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Answers = Arc<Vec<(String, Bytes)>>;

async fn bare_handler(
    State(answers): State<Answers>,
    headers: http::HeaderMap,
    _body: Bytes,
) -> axum::response::Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let body = answers
        .iter()
        .find(|(t, _)| t == target)
        .map(|(_, b)| b.clone())
        .unwrap_or_default();
    axum::response::Response::builder()
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-requestid", "00000000-0000-4000-8000-000000000000")
        .body(axum::body::Body::from(body))
        .unwrap_or_default()
}

impl Bare {
    /// Starts it on a free loopback port.
    pub fn start(answers: Vec<(String, Bytes)>) -> Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = axum::Router::new()
            .route("/", axum::routing::post(bare_handler))
            .with_state(Arc::new(answers));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the engine answers each operation (recorded for the bare handler).
async fn answers(engine: &Engine) -> Result<Vec<(String, Bytes)>> {
    let mut out = Vec::new();
    for (operation, body) in OPERATIONS {
        let answer = engine.call(operation, &serde_json::from_str(body)?).await?;
        out.push((
            format!("AwsProton20200720.{operation}"),
            Bytes::from(serde_json::to_vec(&answer)?),
        ));
    }
    Ok(out)
}

/// Figure 1 for one database: engine vs bare handler, per operation (req/s and latency).
pub async fn engine_vs_bare(
    engine: &Engine,
    database: &str,
    settings: &Settings,
) -> Result<Vec<Figure>> {
    let recorded = answers(engine).await?;
    let bare = Bare::start(recorded)?;
    let load = settings.throughput_load();
    let mut figures = Vec::new();
    for (operation, body) in OPERATIONS {
        let bare_stats = signed_load(
            bare.addr,
            &engine.credentials,
            operation,
            body,
            settings,
            load,
        )
        .await?;
        let got = signed_load(
            engine.addr,
            &engine.credentials,
            operation,
            body,
            settings,
            load,
        )
        .await?;
        println!(
            "  {operation} on {database}: {:.0} req/s (bare {:.0}), p50 {:.3} ms, p99 {:.3} ms",
            got.rps(),
            bare_stats.rps(),
            got.percentile_ms(50.0),
            got.percentile_ms(99.0)
        );
        figures.push(Figure::ratio_at_least(
            &format!(
                "{operation} req/s, {database}, SigV4, {} conns",
                load.connections
            ),
            got.rps(),
            bare_stats.rps(),
            "req/s",
            "bare axum handler",
            0.5,
        ));
        figures.push(Figure::info(
            &format!("{operation} p50 latency, {database}"),
            got.percentile_ms(50.0),
            bare_stats.percentile_ms(50.0),
            "ms",
            "bare axum handler",
        ));
        figures.push(Figure::info(
            &format!("{operation} p99 latency, {database}"),
            got.percentile_ms(99.0),
            bare_stats.percentile_ms(99.0),
            "ms",
            "bare axum handler",
        ));
    }
    Ok(figures)
}

/// Figure 4: GetService through `POST /api/proton/GetService` (the console's signing proxy,
/// which signs and forwards to the engine over loopback) vs signed directly; one connection,
/// sequential requests, p50.
pub async fn proxy_vs_direct(engine: &Engine, settings: &Settings) -> Result<Figure> {
    let load = settings.latency_load();
    let direct = signed_load(
        engine.addr,
        &engine.credentials,
        "GetService",
        r#"{"name":"worker"}"#,
        settings,
        load,
    )
    .await?;
    let addr = engine.addr;
    let make = move || {
        Ok(
            http::Request::post(format!("http://{addr}/api/proton/GetService"))
                .header("host", addr.to_string())
                .header("content-type", "application/json")
                .header("x-baryon-csrf", "1")
                .body(Full::new(Bytes::from_static(br#"{"name":"worker"}"#)))?,
        )
    };
    load::run(addr, settings.warm_up(1), make).await?;
    let proxied = load::run(addr, load, make).await?;
    proxied.check("GetService through the proxy")?;
    let (p, d) = (proxied.percentile_ms(50.0), direct.percentile_ms(50.0));
    println!("  GetService p50: direct {d:.3} ms, through the proxy {p:.3} ms");
    Ok(Figure {
        name: "proxy round trip added at p50 (GetService)".into(),
        value: Some(p - d),
        unit: "ms".into(),
        baseline: Some(d),
        baseline_name: "direct signed GetService p50".into(),
        ratio: Some(p / d),
        target: "< 0.3 ms added".into(),
        met: Some(p - d < 0.3),
        note: format!("proxy p50 {p:.3} ms, 1 connection"),
    })
}
