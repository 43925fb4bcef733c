//! One crash round: `baryon serve` killed with SIGKILL in the middle of 200 concurrent creates
//! and updates, restarted on the same data, and checked through the API — as
//! `tests/conformance/test_crash_safety.py` does once, with a random kill point and with
//! per-resource updates, so every acknowledged update can be checked too.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::{Mutex, Notify};

use super::{list_all, text};
use crate::harness::engine::{self, Engine};
use crate::harness::load;

/// Requests per round.
pub const REQUESTS: usize = 200;
/// Requests in flight at once (the pytest's thread pool).
pub const CONCURRENCY: usize = 16;
/// The server is killed after this many acknowledgements (chosen at random each round).
pub const KILL_AFTER: RangeInclusive<u64> = 10..=180;
/// How long a restarted engine has to conclude every deployment: PostgreSQL engines share
/// their database, so a job the killed engine held is due again only when its lease (15 s)
/// expires; SQLite's embedded engine releases its leases at start.
const SETTLE: Duration = Duration::from_mins(1);
/// No single request waits longer than this for its answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

const ROLE: &str = "arn:aws:iam::123456789012:role/proton";
const SPEC: &str = "proton: EnvironmentSpec\nspec:\n  queue_name: orders\n";

/// What a round did and found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Requests sent.
    pub sent: usize,
    /// Requests answered 2xx, by index.
    pub acknowledged: BTreeSet<usize>,
    /// Requests answered with an HTTP error before the kill (`index: status body`).
    pub refused: Vec<String>,
    /// Requests without an answer: in flight at the kill, or sent after it.
    pub unanswered: usize,
    /// The kill point: acknowledgements before SIGKILL.
    pub killed_after: u64,
    /// Acknowledged writes found after the restart.
    pub present: usize,
    /// Acknowledged writes missing after the restart.
    pub lost: Vec<String>,
    /// Resources written in part (an environment without its deployment, a deployment without
    /// its environment, statuses that disagree).
    pub half_written: Vec<String>,
    /// Environments or deployments still in progress after [`SETTLE`].
    pub stuck: Vec<String>,
    /// Environments present after the restart.
    pub environments: usize,
    /// From the restart until the engine was healthy and no deployment was in progress.
    pub recovery: Duration,
}

impl Outcome {
    /// One line for the progress log.
    pub fn summary(&self) -> String {
        format!(
            "{} sent, {} acknowledged, {} unanswered, {} refused; after restart: {} present, {} lost, {} half-written, {} stuck; recovered in {:.2} s",
            self.sent,
            self.acknowledged.len(),
            self.unanswered,
            self.refused.len(),
            self.present,
            self.lost.len(),
            self.half_written.len(),
            self.stuck.len(),
            self.recovery.as_secs_f64()
        )
    }
}

/// Request `i`: a third create environment templates, a third create environments (whose
/// deployments need a provisioner this engine does not have, so they end `FAILED`), a third
/// update the description of a template of their own made before the load.
fn request(i: usize) -> (&'static str, Value) {
    match i % 3 {
        0 => (
            "CreateEnvironmentTemplate",
            json!({"name": format!("t-{i}")}),
        ),
        1 => (
            "CreateEnvironment",
            json!({"name": format!("e-{i}"), "templateName": "queue-env", "templateMajorVersion": "1",
                   "spec": SPEC, "protonServiceRoleArn": ROLE}),
        ),
        _ => (
            "UpdateEnvironmentTemplate",
            json!({"name": format!("u-{i}"), "description": format!("d-{i}")}),
        ),
    }
}

/// Runs one round in `dir` (SQLite there, or the PostgreSQL `database`).
pub async fn round(
    root: &Path,
    bin: &Path,
    dir: &Path,
    database: Option<String>,
    kill_at: u64,
) -> Result<Outcome> {
    let options = engine::Options {
        database,
        ..engine::Options::default()
    };
    let data = dir.join("data");
    let mut server = Engine::start(bin, &data, &options).await?;
    set_up(root, &server).await?;

    let mut outcome = fire(&mut server, kill_at).await?;
    drop(server);

    let restarted = Instant::now();
    let again = Engine::start(bin, &data, &options)
        .await
        .context("restarting after SIGKILL")?;
    check(&again, restarted, &mut outcome).await?;
    again.stop()?;
    Ok(outcome)
}

/// The published AWS-managed template `queue-env` (its fixture) and the templates the
/// updates change.
async fn set_up(root: &Path, server: &Engine) -> Result<()> {
    server
        .call("CreateEnvironmentTemplate", &json!({"name": "queue-env"}))
        .await?;
    engine::publish(server, root, "Environment", "queue-env", &json!({})).await?;
    for i in (0..REQUESTS).filter(|i| i % 3 == 2) {
        server
            .call(
                "CreateEnvironmentTemplate",
                &json!({"name": format!("u-{i}")}),
            )
            .await?;
    }
    Ok(())
}

/// Sends the requests from [`CONCURRENCY`] tasks and kills the server with SIGKILL once
/// `kill_at` of them are acknowledged; returns when every task has stopped.
async fn fire(server: &mut Engine, kill_at: u64) -> Result<Outcome> {
    let next = Arc::new(AtomicUsize::new(0));
    let acks = Arc::new(AtomicU64::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let kill_now = Arc::new(Notify::new());
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let (addr, credentials) = (server.addr, server.credentials.clone());
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (next, acks, killed, kill_now, outcome, credentials) = (
            Arc::clone(&next),
            Arc::clone(&acks),
            Arc::clone(&killed),
            Arc::clone(&kill_now),
            Arc::clone(&outcome),
            credentials.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= REQUESTS || killed.load(Ordering::Relaxed) {
                    return Ok::<_, anyhow::Error>(());
                }
                let (operation, input) = request(i);
                let body = Bytes::from(serde_json::to_vec(&input)?);
                let signed = engine::signed(addr, &credentials, operation, &body)?;
                outcome.lock().await.sent += 1;
                let answer = tokio::time::timeout(REQUEST_TIMEOUT, load::once(addr, signed)).await;
                let mut o = outcome.lock().await;
                match answer {
                    Ok(Ok((status, _))) if status.is_success() => {
                        o.acknowledged.insert(i);
                        if acks.fetch_add(1, Ordering::Relaxed) + 1 == kill_at {
                            kill_now.notify_one();
                        }
                    }
                    Ok(Ok((status, body))) => o.refused.push(format!(
                        "{operation} #{i}: {status} {}",
                        String::from_utf8_lossy(&body)
                    )),
                    Ok(Err(_)) | Err(_) => o.unanswered += 1,
                }
            }
        }));
    }
    let all = tokio::spawn(async move {
        for task in tasks {
            task.await.context("a soak task panicked")??;
        }
        Ok::<_, anyhow::Error>(())
    });
    tokio::pin!(all);
    let mut finished = None;
    tokio::select! {
        () = kill_now.notified() => {}
        done = &mut all => finished = Some(done),
    }
    killed.store(true, Ordering::Relaxed);
    server.kill()?;
    match finished {
        Some(done) => done.context("a soak task panicked")??,
        None => all.await.context("a soak task panicked")??,
    }
    let mut outcome = Arc::try_unwrap(outcome)
        .map_err(|_| anyhow::anyhow!("soak tasks still hold the outcome"))?
        .into_inner();
    outcome.killed_after = acks.load(Ordering::Relaxed).min(kill_at);
    Ok(outcome)
}

/// Checks the restarted engine: acknowledged writes, whole resources, nothing in progress.
async fn check(server: &Engine, restarted: Instant, outcome: &mut Outcome) -> Result<()> {
    let templates: BTreeMap<String, Value> =
        list_all(server, "ListEnvironmentTemplates", &json!({}), "templates")
            .await?
            .into_iter()
            .map(|t| (text(&t, "name").to_owned(), t))
            .collect();

    // Wait until no environment is in progress (or SETTLE passes).
    let deadline = Instant::now() + SETTLE;
    let environments = loop {
        let envs = list_all(server, "ListEnvironments", &json!({}), "environments").await?;
        let busy = envs
            .iter()
            .any(|e| matches!(text(e, "deploymentStatus"), "IN_PROGRESS" | "CANCELLING"));
        if !busy || Instant::now() > deadline {
            break envs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let deployments = list_all(server, "ListDeployments", &json!({}), "deployments").await?;
    outcome.recovery = restarted.elapsed();
    outcome.environments = environments.len();
    let environments: BTreeMap<String, Value> = environments
        .into_iter()
        .map(|e| (text(&e, "name").to_owned(), e))
        .collect();

    for &i in &outcome.acknowledged.clone() {
        let (operation, input) = request(i);
        let name = text(&input, "name").to_owned();
        let found = match operation {
            "CreateEnvironmentTemplate" => templates.contains_key(&name),
            "CreateEnvironment" => environments.contains_key(&name),
            _ => {
                // The template list has no descriptions: read it.
                let got = server
                    .call("GetEnvironmentTemplate", &json!({"name": name}))
                    .await?;
                text(&got["environmentTemplate"], "description") == text(&input, "description")
            }
        };
        if found {
            outcome.present += 1;
        } else {
            outcome.lost.push(format!("{operation} {name}"));
        }
    }

    for (name, env) in &environments {
        let status = text(env, "deploymentStatus");
        if matches!(status, "IN_PROGRESS" | "CANCELLING") {
            outcome.stuck.push(format!("environment {name} {status}"));
        }
        let id = text(env, "lastAttemptedDeploymentId");
        let got = server.call("GetDeployment", &json!({"id": id})).await;
        match got {
            Ok(d) => {
                let d = &d["deployment"];
                if text(d, "targetArn") != text(env, "arn") || text(d, "deploymentStatus") != status
                {
                    outcome.half_written.push(format!(
                        "environment {name} ({status}) vs its deployment {id} ({}, {})",
                        text(d, "deploymentStatus"),
                        text(d, "targetArn")
                    ));
                }
            }
            Err(e) => outcome.half_written.push(format!(
                "environment {name} without its deployment {id:?}: {e:#}"
            )),
        }
    }
    for d in &deployments {
        let id = text(d, "id");
        let status = text(d, "deploymentStatus");
        if matches!(status, "IN_PROGRESS" | "CANCELLING") {
            outcome.stuck.push(format!("deployment {id} {status}"));
        }
        let target = text(d, "environmentName");
        if !environments.contains_key(target) {
            outcome.half_written.push(format!(
                "deployment {id} of a missing environment {target:?}"
            ));
        }
    }
    Ok(())
}
