//! Figure 3: CreateEnvironment → GetEnvironment showing `SUCCEEDED` through the CodeBuild-style
//! provisioner (`baryon serve --codebuild`) whose provision command is `true`; the baseline is
//! starting `sh -e -c true` directly, the least any such run costs.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use serde_json::json;

use super::{Figure, Settings};
use crate::harness::engine::new_environment_template;
use crate::harness::engine::{self, Engine};

const MANIFEST: &str = "infrastructure:
  templates:
    - rendering_engine: codebuild
      settings:
        image: aws/codebuild/amazonlinux2-x86_64-standard:4.0
        provision:
          - \"true\"
        deprovision:
          - \"true\"
";

const SCHEMA: &str = "schema:
  format:
    openapi: \"3.0.0\"
  environment_input_type: \"BenchInput\"
  types:
    BenchInput:
      type: object
      properties:
        greeting:
          type: string
          default: \"hello\"
";

const ROLE: &str = "arn:aws:iam::123456789012:role/proton-codebuild";
const POLL: Duration = Duration::from_millis(5);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the group.
pub async fn run(bin: &Path, data: &Path, settings: &Settings) -> Result<Vec<Figure>> {
    let options = engine::Options {
        codebuild: true,
        ..engine::Options::default()
    };
    let engine = Engine::start(bin, data, &options).await?;
    new_environment_template(
        &engine,
        "true-env",
        &[
            ("infrastructure/manifest.yaml", MANIFEST),
            ("schema/schema.yaml", SCHEMA),
        ],
    )
    .await?;

    let mut times = Vec::new();
    for i in 0..settings.creates() {
        let name = format!("true-{i}");
        let start = Instant::now();
        engine
            .call(
                "CreateEnvironment",
                &json!({"name": name, "templateName": "true-env", "templateMajorVersion": "1",
                        "spec": "proton: EnvironmentSpec\nspec:\n  greeting: hi\n",
                        "codebuildRoleArn": ROLE, "protonServiceRoleArn": ROLE}),
            )
            .await?;
        let status = engine
            .wait_until_not(
                "GetEnvironment",
                &json!({"name": name}),
                "environment",
                "deploymentStatus",
                &["IN_PROGRESS"],
                POLL,
            )
            .await?;
        let took = start.elapsed().as_secs_f64() * 1000.0;
        ensure!(status == "SUCCEEDED", "{name} ended {status}");
        times.push(took);
    }
    engine.stop()?;

    let mut spawns = Vec::new();
    for _ in 0..settings.creates() {
        let start = Instant::now();
        let status = Command::new("sh").args(["-e", "-c", "true"]).status()?;
        ensure!(status.success(), "sh -e -c true failed");
        spawns.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let (max, min) = (
        times.iter().copied().fold(f64::MIN, f64::max),
        times.iter().copied().fold(f64::MAX, f64::min),
    );
    let n = times.len();
    let (got, base) = (median(times), median(spawns));
    println!("  create → SUCCEEDED: median {got:.1} ms of {n} (min {min:.1}, max {max:.1})");
    Ok(vec![
        Figure::value_below(
            "CreateEnvironment → SUCCEEDED, CodeBuild-style `true`",
            got,
            base,
            "ms",
            "`sh -e -c true` spawned directly",
            1000.0,
        )
        .note(format!(
            "median of {n} (min {min:.1} ms, max {max:.1} ms), SQLite, GetEnvironment polled every {} ms",
            POLL.as_millis()
        )),
    ])
}
