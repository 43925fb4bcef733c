//! Figure 6: the built console's transfer size (wasm + js + css, gzip -9; the on-demand preview
//! worker in the note) next to the model's
//! own wasm (the npm package, gzip -9), and its first contentful paint in headless Chromium
//! (Debian's, driven by `playwright-core` from `tests/node_modules`) next to a one-line HTML
//! page served by the same `baryon serve`. Nothing is built here: an absent console is "not
//! built".

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::{Figure, load};
use crate::harness::engine::{self, Engine};

fn gzip_size(path: &Path) -> Result<u64> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&std::fs::read(path)?)?;
    Ok(gz.finish()?.len() as u64)
}

fn kb(bytes: u64) -> f64 {
    load::f64_of(bytes) / 1000.0
}

const FCP_SCRIPT: &str = r#"
import { createRequire } from "node:module";
import { join } from "node:path";
const [nodeModules, base, runs, chromiumPath] = process.argv.slice(2);
const require = createRequire(join(nodeModules, "bench.cjs"));
const { chromium } = require("playwright-core");
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
async function fcp(url) {
  const times = [];
  for (let i = 0; i < Number(runs); i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction(() => performance.getEntriesByName("first-contentful-paint").length > 0,
                               null, { timeout: 15000 });
    times.push(await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0].startTime));
    await context.close();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
const baseline = await fcp(base + "/bench-baseline.html");
const console_ = await fcp(base + "/");
await browser.close();
console.log(JSON.stringify({ baseline, console: console_ }));
"#;

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

async fn first_contentful_paint(
    root: &Path,
    bin: &Path,
    dist: &Path,
    work: &Path,
) -> Result<Figure> {
    const NAME: &str = "console first contentful paint, headless Chromium";
    let node_modules = root.join("tests/node_modules");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    if !node_modules.join("playwright-core").exists() {
        return Ok(Figure::not_measured(
            NAME,
            "—",
            "tests/node_modules/playwright-core not installed (scripts/setup.sh)",
        ));
    }
    if !Path::new(&chromium).exists() {
        return Ok(Figure::not_measured(
            NAME,
            "—",
            &format!("no Chromium at {chromium}"),
        ));
    }
    let served = work.join("dist");
    copy_dir(dist, &served)?;
    std::fs::write(
        served.join("bench-baseline.html"),
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>baseline</title></head>\
         <body><p>Baryon</p></body></html>\n",
    )?;
    let options = engine::Options {
        console_dir: Some(served),
        ..engine::Options::default()
    };
    let engine = Engine::start(bin, &work.join("data"), &options).await?;
    let script = work.join("fcp.mjs");
    std::fs::write(&script, FCP_SCRIPT)?;
    let out = Command::new("node")
        .arg(&script)
        .arg(&node_modules)
        .arg(format!("http://{}", engine.addr))
        .arg("5")
        .arg(&chromium)
        .output()
        .context("running node")?;
    engine.stop()?;
    if !out.status.success() {
        bail!(
            "the Chromium run failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let result: Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("node printed {}", String::from_utf8_lossy(&out.stdout)))?;
    let (console, baseline) = (
        result["console"].as_f64().context("no console FCP")?,
        result["baseline"].as_f64().context("no baseline FCP")?,
    );
    println!("  first contentful paint: console {console:.0} ms, one-line page {baseline:.0} ms");
    Ok(Figure::info(
        NAME,
        console,
        baseline,
        "ms",
        "one-line HTML page, same server",
    )
    .note("median of 5 fresh browser contexts, 1280×800, served by baryon serve on loopback"))
}

/// Runs the group.
pub async fn run(root: &Path, bin: &Path, dist: &Path, work: &Path) -> Result<Vec<Figure>> {
    const SIZE: &str = "console wasm+js+css, gzip -9";
    const FCP: &str = "console first contentful paint, headless Chromium";
    if !dist.join("index.html").exists() {
        let why = format!(
            "not built ({} has no index.html; scripts/build-console.sh builds it)",
            dist.display()
        );
        return Ok(vec![
            Figure::not_measured(SIZE, "≤ 400 KB", &why),
            Figure::not_measured(FCP, "—", &why),
        ]);
    }
    // The preview worker (`baryon-preview*`) is fetched only when a preview is opened: it is
    // reported on its own, not as part of what every page load transfers.
    let (mut total, mut raw, mut worker) = (0, 0, 0);
    for entry in std::fs::read_dir(dist)? {
        let path = entry?.path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("wasm" | "js" | "css")
        ) {
            let size = gzip_size(&path)?;
            let is_worker = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("baryon-preview"));
            if is_worker {
                worker += size;
            } else {
                total += size;
                raw += std::fs::metadata(&path)?.len();
            }
        }
    }
    let model_wasm = root.join("build/npm/baryon-model/baryon_model_bg.wasm");
    let size = if model_wasm.exists() {
        let model = gzip_size(&model_wasm)?;
        let mut f = Figure::with_ratio(
            SIZE,
            kb(total),
            kb(model),
            "KB",
            "@baryon/model wasm alone, gzip -9",
        );
        "≤ 400 KB".clone_into(&mut f.target);
        f.met = Some(kb(total) <= 400.0);
        f
    } else {
        Figure {
            name: SIZE.to_owned(),
            value: Some(kb(total)),
            unit: "KB".to_owned(),
            baseline: None,
            baseline_name: String::new(),
            ratio: None,
            target: "≤ 400 KB".to_owned(),
            met: Some(kb(total) <= 400.0),
            note: String::new(),
        }
    };
    println!(
        "  console: {:.0} KB gzip -9 ({:.0} KB raw)",
        kb(total),
        kb(raw)
    );
    let size = size.note(format!(
        "{} ({:.0} KB uncompressed); the preview worker, loaded only when a preview is opened, \
         is {:.0} KB gzip -9 more",
        dist.display(),
        kb(raw),
        kb(worker)
    ));
    let fcp = match first_contentful_paint(root, bin, dist, work).await {
        Ok(f) => f,
        Err(e) => Figure::not_measured(FCP, "—", &format!("error: {e:#}")),
    };
    Ok(vec![size, fcp])
}
