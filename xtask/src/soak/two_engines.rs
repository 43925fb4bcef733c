//! One two-engine round: two `baryon serve --codebuild` on one PostgreSQL database and one data
//! directory; environments created concurrently through both, then each redeployed
//! (`CURRENT_VERSION`) through both. Each deployment's provision command appends its deployment
//! id and its engine's name to a marker file, so runs can be counted: every deployment must run
//! exactly once (`tests/conformance/test_two_engines.py`, repeated and with redeploys).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::{list_all, text};
use crate::harness::engine::{self, Engine};

/// Environments per round; each is deployed twice (create, redeploy).
const ENVIRONMENTS: usize = 32;
/// How long the deployments of one wave may take.
const SETTLE: Duration = Duration::from_mins(2);
const ROLE: &str = "arn:aws:iam::123456789012:role/proton-codebuild";
const SCHEMA: &str = "schema:
  format:
    openapi: \"3.0.0\"
  environment_input_type: \"Input\"
  types:
    Input:
      type: object
      properties:
        n:
          type: string
          default: \"0\"
";
const MANIFEST: &str = "infrastructure:
  templates:
    - rendering_engine: codebuild
      settings:
        image: aws/codebuild/amazonlinux2-x86_64-standard:4.0
        provision:
          - echo \"$DEPLOYMENT_ID $SOAK_ENGINE\" >> \"$RUNS_MARKER\"
        deprovision:
          - \"true\"
";

/// What a round found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Deployments the engines recorded.
    pub deployments: usize,
    /// Deployments whose command ran exactly once.
    pub once: usize,
    /// Deployments whose command ran more than once (`id ×n`).
    pub duplicated: Vec<String>,
    /// Deployments that never ran or did not end `SUCCEEDED`.
    pub missing: Vec<String>,
    /// Runs by engine a and b.
    pub per_engine: [usize; 2],
}

impl Outcome {
    /// One line for the progress log.
    pub fn summary(&self) -> String {
        format!(
            "{} deployments: {} ran once, {} more than once, {} never or not SUCCEEDED; runs a/b {}/{}",
            self.deployments,
            self.once,
            self.duplicated.len(),
            self.missing.len(),
            self.per_engine[0],
            self.per_engine[1]
        )
    }
}

/// Runs one round in `dir` on the PostgreSQL `database`.
pub async fn round(bin: &Path, dir: &Path, database: String) -> Result<Outcome> {
    let marker = dir.join("runs.txt");
    let data = dir.join("data");
    let options = |name: &str| engine::Options {
        database: Some(database.clone()),
        codebuild: true,
        env: vec![
            (
                "RUNS_MARKER".to_owned(),
                marker.to_string_lossy().into_owned(),
            ),
            ("SOAK_ENGINE".to_owned(), name.to_owned()),
        ],
        ..engine::Options::default()
    };
    let a = Engine::start(bin, &data, &options("a")).await?;
    let b = Engine::start(bin, &data, &options("b")).await?;
    engine::new_environment_template(
        &a,
        "count-env",
        &[
            ("schema/schema.yaml", SCHEMA),
            ("infrastructure/manifest.yaml", MANIFEST),
        ],
    )
    .await?;
    let engines = [&a, &b];

    // Wave 1: concurrent creates, alternating engines.
    all_ok(engines, "CreateEnvironment", |i| {
        json!({"name": format!("env-{i}"), "templateName": "count-env",
               "templateMajorVersion": "1", "protonServiceRoleArn": ROLE,
               "spec": format!("proton: EnvironmentSpec\nspec:\n  n: \"{i}\"\n")})
    })
    .await?;
    settle(&a).await?;
    // Wave 2: concurrent redeploys, through the other engine than the create.
    let swapped = [&b, &a];
    all_ok(
        swapped,
        "UpdateEnvironment",
        |i| json!({"name": format!("env-{i}"), "deploymentType": "CURRENT_VERSION"}),
    )
    .await?;
    settle(&a).await?;

    let deployments = list_all(&a, "ListDeployments", &json!({}), "deployments").await?;
    let runs = std::fs::read_to_string(&marker).unwrap_or_default();
    a.stop()?;
    b.stop()?;

    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    let mut outcome = Outcome::default();
    for line in runs.lines() {
        let mut words = line.split_whitespace();
        let id = words.next().unwrap_or_default();
        *count.entry(id).or_default() += 1;
        match words.next() {
            Some("a") => outcome.per_engine[0] += 1,
            Some("b") => outcome.per_engine[1] += 1,
            _ => {}
        }
    }
    outcome.deployments = deployments.len();
    for d in &deployments {
        let id = text(d, "id");
        match count.get(id).copied().unwrap_or(0) {
            1 if text(d, "deploymentStatus") == "SUCCEEDED" => outcome.once += 1,
            0 | 1 => outcome
                .missing
                .push(format!("{id} ({})", text(d, "deploymentStatus"))),
            n => outcome.duplicated.push(format!("{id} ×{n}")),
        }
    }
    if deployments.len() != 2 * ENVIRONMENTS {
        outcome.missing.push(format!(
            "{} deployments recorded for {} requested",
            deployments.len(),
            2 * ENVIRONMENTS
        ));
    }
    Ok(outcome)
}

/// Sends `operation` for every environment at once, environment `i` through engine `i % 2`;
/// fails unless every call answered 200.
async fn all_ok(
    engines: [&Engine; 2],
    operation: &'static str,
    input: impl Fn(usize) -> Value,
) -> Result<()> {
    let tasks: Vec<_> = (0..ENVIRONMENTS)
        .map(|i| {
            let engine = engines[i % 2];
            let (addr, credentials, input) = (engine.addr, engine.credentials.clone(), input(i));
            tokio::spawn(async move {
                engine::call_at(engine::PROTON, addr, &credentials, operation, &input).await
            })
        })
        .collect();
    let mut failures = Vec::new();
    for task in tasks {
        if let Err(e) = task.await? {
            failures.push(format!("{e:#}"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        bail!("{} call(s) failed: {}", failures.len(), failures.join("; "))
    }
}

/// Waits until every environment's deployment has concluded.
async fn settle(engine: &Engine) -> Result<()> {
    let deadline = Instant::now() + SETTLE;
    loop {
        let envs = list_all(engine, "ListEnvironments", &json!({}), "environments").await?;
        if envs.len() == ENVIRONMENTS
            && envs
                .iter()
                .all(|e| !matches!(text(e, "deploymentStatus"), "IN_PROGRESS" | "CANCELLING"))
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Ok(()); // what did not conclude is reported as not SUCCEEDED
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
