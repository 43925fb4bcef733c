//! Figure 5: validating a ~1 MB spec against the worker-svc schema — natively (the model
//! crate, as the engine runs it) vs the `@baryon/model` npm package's wasm in Node (as a
//! console or a Node tool runs it). Both time `validateSpec` in a loop and take the median.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use super::{Figure, Settings};

/// A valid ServiceSpec of at least `bytes` bytes: a pipeline and as many instances as it takes.
fn big_spec(bytes: usize) -> String {
    let mut s = String::from(
        "proton: ServiceSpec\npipeline:\n  test_command: \"cargo test\"\ninstances:\n",
    );
    let mut i = 0u32;
    while s.len() < bytes {
        let _ = write!(
            s,
            "  - name: \"worker-{i:06}\"\n    environment: \"env-{:03}\"\n    spec:\n      \
             topic_display_name: \"worker events for shard {i} of the order pipeline\"\n      \
             batch_size: {}\n      log_level: \"{}\"\n",
            i % 500,
            i % 10_000 + 1,
            ["debug", "info", "warn", "error"][(i % 4) as usize]
        );
        i += 1;
    }
    s
}

const NODE_SCRIPT: &str = r#"
import { readFileSync } from "node:fs";
import { join } from "node:path";
const [pkgDir, schemaPath, specPath, seconds] = process.argv.slice(2);
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const model = await import(join(pkgDir, pkg.module));
model.initSync({ module: readFileSync(join(pkgDir, "baryon_model_bg.wasm")) });
const schema = readFileSync(schemaPath, "utf8");
const spec = readFileSync(specPath, "utf8");
let result = model.validateSpec(schema, spec);
const times = [];
const end = performance.now() + Number(seconds) * 1000;
while (times.length < 3 || (performance.now() < end && times.length < 1000)) {
  const t = performance.now();
  result = model.validateSpec(schema, spec);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ ok: result.ok, diagnostics: result.diagnostics.length, median_ms: times[Math.floor(times.length / 2)], runs: times.length }));
"#;

/// Runs the group.
pub fn run(root: &Path, work: &Path, settings: Settings) -> Result<Vec<Figure>> {
    std::fs::create_dir_all(work)?;
    let schema_path = root.join("tests/fixtures/templates/worker-svc/v1/schema/schema.yaml");
    let schema = std::fs::read_to_string(&schema_path)?;
    let spec = big_spec(1 << 20);
    let spec_path = work.join("spec.yaml");
    std::fs::write(&spec_path, &spec)?;

    let first = baryon_model::spec::validate_spec(&schema, &spec);
    ensure!(
        first.ok,
        "the generated spec is not valid: {:?}",
        first.diagnostics.first()
    );
    let mut times = Vec::new();
    let end = Instant::now() + settings.validation_time();
    while times.len() < 3 || (Instant::now() < end && times.len() < 1000) {
        let start = Instant::now();
        let result = baryon_model::spec::validate_spec(&schema, std::hint::black_box(&spec));
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(result);
    }
    times.sort_by(f64::total_cmp);
    let native = times[times.len() / 2];
    println!(
        "  native: {native:.1} ms per {} KiB spec ({} runs)",
        spec.len() / 1024,
        times.len()
    );
    let name = format!("validateSpec, {} KiB spec, wasm in Node", spec.len() / 1024);

    let pkg = root.join("build/npm/baryon-model");
    if !pkg.join("package.json").exists() {
        println!("  building the npm package (cargo xtask npm) …");
        if let Err(e) = crate::npm::build(root) {
            return Ok(vec![
                Figure::not_measured(
                    &name,
                    "≤ 2×",
                    &format!("the npm package could not be built: {e:#}"),
                )
                .note(format!("native {native:.1} ms")),
            ]);
        }
    }
    let script = work.join("validate.mjs");
    std::fs::write(&script, NODE_SCRIPT)?;
    let out = Command::new("node")
        .arg(&script)
        .arg(&pkg)
        .arg(&schema_path)
        .arg(&spec_path)
        .arg(settings.validation_time().as_secs().to_string())
        .output()
        .context("running node")?;
    if !out.status.success() {
        bail!("node: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let result: Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("node printed {}", String::from_utf8_lossy(&out.stdout)))?;
    ensure!(
        result["ok"] == true,
        "the wasm validator disagrees: {result}"
    );
    let wasm = result["median_ms"].as_f64().context("no median_ms")?;
    println!("  wasm in Node: {wasm:.1} ms ({} runs)", result["runs"]);
    Ok(vec![
        Figure::ratio_at_most(&name, wasm, native, "ms", "native (release)", 2.0).note(format!(
            "median per call; wasm is the npm package (release-wasm: opt-level z), Node {}",
            Command::new("node")
                .arg("--version")
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default()
        )),
    ])
}
