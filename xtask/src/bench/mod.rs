//! `cargo xtask bench`: the project's benchmarks. Every figure is measured next to a baseline
//! taken in the same run on the same machine, and printed as a table (figure, value, baseline,
//! ratio, target, met?) and written as JSON to `<target-dir>/bench/bench.json`.
//!
//! Loads are bounded (count and time), loopback only, and stop by themselves. The engine runs
//! as the release `baryon serve` binary in a child process; the load generator, the bare axum
//! baseline and the native validation loop run in this process, which is why `cargo xtask
//! bench` first builds `baryon` and `xtask` in release and re-runs itself from there.
//!
//! One module per group: `throughput` (engine vs bare handler, proxy vs direct), `scale`
//! (list latency at 1k vs 100k rows, RSS), `provision` (CodeBuild-style create → SUCCEEDED),
//! `validation` (native vs wasm in Node), `console` (size, first contentful paint).

mod console;
mod provision;
mod scale;
mod servicecatalog;
mod throughput;
mod validation;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::harness::{self, engine, load};

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Shorter loads (a smoke check of the harness, not figures to quote).
    #[arg(long)]
    pub quick: bool,
    /// A built console to measure as it is. Without it, the bench first builds the current
    /// console into `web/dist` (`scripts/build-console.sh`, quick when nothing changed).
    #[arg(long)]
    pub console_dir: Option<PathBuf>,
}

/// Load sizes for a run.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// `--quick`.
    pub quick: bool,
}

impl Settings {
    /// Throughput runs: 8 connections.
    pub fn throughput_load(self) -> load::Load {
        load::Load {
            connections: 8,
            duration: Duration::from_secs(if self.quick { 2 } else { 8 }),
            max_requests: if self.quick { 50_000 } else { 2_000_000 },
        }
    }

    /// Latency runs: one connection, sequential requests.
    pub fn latency_load(self) -> load::Load {
        load::Load {
            connections: 1,
            duration: Duration::from_secs(if self.quick { 1 } else { 4 }),
            max_requests: if self.quick { 2_000 } else { 20_000 },
        }
    }

    /// The warm-up before a measured run (discarded).
    pub fn warm_up(self, connections: usize) -> load::Load {
        load::Load {
            connections,
            duration: Duration::from_millis(if self.quick { 300 } else { 1_000 }),
            max_requests: 20_000,
        }
    }

    /// Repetitions of the create → SUCCEEDED measurement.
    pub fn creates(self) -> usize {
        if self.quick { 3 } else { 10 }
    }

    /// Time spent in each validation timing loop.
    pub fn validation_time(self) -> Duration {
        Duration::from_secs(if self.quick { 1 } else { 4 })
    }
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct Figure {
    /// What was measured.
    pub name: String,
    /// The measured value; `None` when not measured (the note says why).
    pub value: Option<f64>,
    /// Its unit.
    pub unit: String,
    /// The baseline measured in the same run.
    pub baseline: Option<f64>,
    /// What the baseline is.
    pub baseline_name: String,
    /// value / baseline.
    pub ratio: Option<f64>,
    /// The target, in words.
    pub target: String,
    /// Whether the target is met (`None`: no target, or not measured).
    pub met: Option<bool>,
    /// Details.
    pub note: String,
}

impl Figure {
    /// A figure with its baseline and their ratio, no target.
    pub fn with_ratio(
        name: &str,
        value: f64,
        baseline: f64,
        unit: &str,
        baseline_name: &str,
    ) -> Self {
        Self {
            name: name.to_owned(),
            value: Some(value),
            unit: unit.to_owned(),
            baseline: Some(baseline),
            baseline_name: baseline_name.to_owned(),
            ratio: Some(value / baseline),
            target: "—".to_owned(),
            met: None,
            note: String::new(),
        }
    }

    /// A figure whose ratio to the baseline must be at least `min`.
    pub fn ratio_at_least(
        name: &str,
        value: f64,
        baseline: f64,
        unit: &str,
        baseline_name: &str,
        min: f64,
    ) -> Self {
        let mut f = Self::with_ratio(name, value, baseline, unit, baseline_name);
        f.target = format!("≥ {min}×");
        f.met = f.ratio.map(|r| r >= min);
        f
    }

    /// A figure whose ratio to the baseline must be at most `max`.
    pub fn ratio_at_most(
        name: &str,
        value: f64,
        baseline: f64,
        unit: &str,
        baseline_name: &str,
        max: f64,
    ) -> Self {
        let mut f = Self::with_ratio(name, value, baseline, unit, baseline_name);
        f.target = format!("≤ {max}×");
        f.met = f.ratio.map(|r| r <= max);
        f
    }

    /// A figure whose value must stay below `limit` (in its unit); the baseline gives scale.
    pub fn value_below(
        name: &str,
        value: f64,
        baseline: f64,
        unit: &str,
        baseline_name: &str,
        limit: f64,
    ) -> Self {
        let mut f = Self::with_ratio(name, value, baseline, unit, baseline_name);
        f.target = format!("< {limit} {unit}");
        f.met = Some(value < limit);
        f
    }

    /// A figure without a target.
    pub fn info(name: &str, value: f64, baseline: f64, unit: &str, baseline_name: &str) -> Self {
        Self::with_ratio(name, value, baseline, unit, baseline_name)
    }

    /// A row that was not measured, with the reason.
    pub fn not_measured(name: &str, target: &str, reason: &str) -> Self {
        Self {
            name: name.to_owned(),
            value: None,
            unit: String::new(),
            baseline: None,
            baseline_name: String::new(),
            ratio: None,
            target: target.to_owned(),
            met: None,
            note: format!("not measured: {reason}"),
        }
    }

    /// Sets the note.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    fn json(&self) -> Value {
        json!({
            "figure": self.name, "value": self.value, "unit": self.unit,
            "baseline": self.baseline, "baseline_is": self.baseline_name, "ratio": self.ratio,
            "target": self.target, "met": self.met, "note": self.note,
        })
    }
}

fn number(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "—".to_owned(),
        Some(v) if v.is_nan() => "—".to_owned(),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0} {unit}"),
        Some(v) if v.abs() >= 1.0 => format!("{v:.2} {unit}"),
        Some(v) => format!("{v:.3} {unit}"),
    }
}

fn print_table(figures: &[Figure]) {
    let rows: Vec<[String; 6]> = figures
        .iter()
        .map(|f| {
            [
                f.name.clone(),
                number(f.value, &f.unit),
                match f.baseline {
                    Some(_) => format!("{} ({})", number(f.baseline, &f.unit), f.baseline_name),
                    None => "—".to_owned(),
                },
                f.ratio
                    .map_or_else(|| "—".to_owned(), |r| format!("{r:.2}×")),
                f.target.clone(),
                match (f.met, f.value) {
                    (_, None) => "not measured".to_owned(),
                    (Some(true), _) => "yes".to_owned(),
                    (Some(false), _) => "NO".to_owned(),
                    (None, _) => "—".to_owned(),
                },
            ]
        })
        .collect();
    harness::print_table(
        ["figure", "value", "baseline", "ratio", "target", "met?"],
        &rows,
    );
    for f in figures.iter().filter(|f| !f.note.is_empty()) {
        println!("  {}: {}", f.name, f.note);
    }
}

/// The machine, for the report.
fn machine() -> Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned());
    let mem_kib = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    let output = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    json!({
        "nproc": std::thread::available_parallelism().map(std::num::NonZero::get).ok(),
        "cpu": cpu,
        "mem_total_gib": mem_kib.map(|k| (load::f64_of(k) / 1_048_576.0 * 10.0).round() / 10.0),
        "kernel": output("uname", &["-r"]),
        "loadavg_at_start": read("/proc/loadavg").split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "date": output("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]),
    })
}

/// `cargo xtask bench`: from a debug xtask, builds `baryon` and `xtask` in release and runs the
/// release xtask (so the load generator is not the bottleneck); from a release one, runs.
pub fn main(root: &Path, args: &BenchArgs) -> Result<()> {
    if cfg!(debug_assertions) {
        return harness::rerun_in_release(root, &["-p", "baryon", "-p", "xtask"]);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(root, args))
}

/// Runs one group; a failing group becomes a "not measured" row with its error instead of
/// stopping the others.
fn group(figures: &mut Vec<Figure>, name: &str, target: &str, result: Result<Vec<Figure>>) {
    match result {
        Ok(f) => figures.extend(f),
        Err(e) => {
            eprintln!("{name}: {e:#}");
            figures.push(Figure::not_measured(name, target, &format!("error: {e:#}")));
        }
    }
}

async fn run(root: &Path, args: &BenchArgs) -> Result<()> {
    let settings = Settings { quick: args.quick };
    let target = harness::target_dir(root);
    let bin = target.join("release/baryon");
    if !bin.exists() {
        bail!(
            "{} is missing: run `cargo build --release -p baryon` (or `cargo xtask bench`)",
            bin.display()
        );
    }
    let out_dir = target.join("bench");
    let work = out_dir.join("work");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let machine = machine();
    println!("machine: {machine}");
    let mut figures = Vec::new();

    println!("engine vs bare axum handler, SQLite …");
    let sqlite = async {
        let engine =
            engine::Engine::start(&bin, &work.join("sqlite"), &engine::Options::default()).await?;
        throughput::seed_service(&engine, root).await?;
        let mut f = throughput::engine_vs_bare(&engine, "SQLite", &settings).await?;
        println!("proxy round trip vs direct …");
        f.push(throughput::proxy_vs_direct(&engine, &settings).await?);
        engine.stop()?;
        Ok::<_, anyhow::Error>(f)
    }
    .await;
    group(&mut figures, "engine throughput, SQLite", "≥ 0.5×", sqlite);

    println!("engine vs bare axum handler, PostgreSQL …");
    match engine::Postgres::find() {
        None => figures.push(Figure::not_measured(
            "engine throughput, PostgreSQL",
            "≥ 0.5×",
            "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin",
        )),
        Some(pg_bin) => {
            let postgres = async {
                let pg = engine::Postgres::start(pg_bin, &work.join("pg"))?;
                let options = engine::Options {
                    database: Some(pg.url()),
                    ..engine::Options::default()
                };
                let engine = engine::Engine::start(&bin, &work.join("pg-data"), &options).await?;
                throughput::seed_service(&engine, root).await?;
                let f = throughput::engine_vs_bare(&engine, "PostgreSQL", &settings).await?;
                engine.stop()?;
                drop(pg);
                Ok::<_, anyhow::Error>(f)
            }
            .await;
            group(
                &mut figures,
                "engine throughput, PostgreSQL",
                "≥ 0.5×",
                postgres,
            );
        }
    }

    println!("list latency at 1k vs 100k rows, RSS …");
    let scale = scale::run(&bin, &work.join("scale"), &settings).await;
    group(&mut figures, "list latency 1k vs 100k", "≤ 1.5×", scale);

    println!("CodeBuild-style create → SUCCEEDED …");
    let provision = provision::run(&bin, &work.join("codebuild"), &settings).await;
    group(&mut figures, "create → SUCCEEDED", "< 1000 ms", provision);

    println!("spec validation, native vs wasm in Node …");
    let validation = validation::run(root, &work.join("validation"), settings);
    group(&mut figures, "spec validation", "≤ 2×", validation);

    println!("console …");
    let console_dir = if let Some(dir) = args.console_dir.clone() {
        dir
    } else {
        // The figures are of the console in this checkout, not of whatever was built last.
        let built = std::process::Command::new("bash")
            .arg(root.join("scripts/build-console.sh"))
            .current_dir(root)
            .status();
        if !built.is_ok_and(|s| s.success()) {
            println!("  (scripts/build-console.sh failed; measuring web/dist as it is)");
        }
        root.join("web/dist")
    };
    let console = console::run(root, &bin, &console_dir, &work.join("console")).await;
    group(&mut figures, "console", "—", console);

    println!("Service Catalog DescribeProduct vs moto_server …");
    let catalog = servicecatalog::run(&bin, root, &work.join("servicecatalog"), &settings).await;
    group(
        &mut figures,
        "Service Catalog vs moto_server",
        "≥ 50×",
        catalog,
    );

    println!();
    print_table(&figures);
    let report = json!({
        "machine": machine,
        "quick": args.quick,
        "figures": figures.iter().map(Figure::json).collect::<Vec<_>>(),
    });
    let path = out_dir.join("bench.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")?;
    println!("\nwritten to {}", path.display());
    std::fs::remove_dir_all(&work).ok();
    Ok(())
}
