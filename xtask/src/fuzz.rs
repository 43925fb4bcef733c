//! `cargo xtask fuzz`: the cargo-fuzz targets of `fuzz/`, each run for a bounded time.
//!
//! The machine has the stable toolchain only, so cargo-fuzz's nightly flags are allowed with
//! `RUSTC_BOOTSTRAP=1` (AddressSanitizer works that way too: its runtime ships with the stable
//! standard library). Installs cargo-fuzz (pinned) when it is missing. Each target's corpus
//! lives under `<target-dir>/fuzz/corpus/<target>` (kept between runs, never committed) and is
//! seeded from `fuzz/corpus-seeds/<target>`; crash inputs go to
//! `<target-dir>/fuzz/artifacts/<target>/`, libFuzzer's output to `<target-dir>/fuzz/logs/`.
//! Not part of the test command.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::harness;

/// The cargo-fuzz release installed when missing.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Options of `cargo xtask fuzz`.
#[derive(Debug, Clone, clap::Args)]
pub struct FuzzArgs {
    /// Seconds per target.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Run only this target (repeatable); default: every target of `fuzz/`.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
    /// The sanitizer cargo-fuzz builds with: `address` (default: ASan, for the dependencies'
    /// unsafe code — ours has none) or `none` (faster).
    #[arg(long, default_value = "address")]
    pub sanitizer: String,
}

/// What one target's run found.
struct Run {
    target: String,
    runs: Option<u64>,
    execs_per_sec: Option<u64>,
    corpus: usize,
    /// `None`: clean; else what libFuzzer stopped on and where its input is.
    crash: Option<String>,
}

/// `cargo xtask fuzz`.
pub fn main(root: &Path, args: &FuzzArgs) -> Result<()> {
    ensure_cargo_fuzz()?;
    let fuzz_dir = root.join("fuzz");
    let available = list_targets(&fuzz_dir)?;
    let targets = if args.targets.is_empty() {
        available
    } else {
        for t in &args.targets {
            if !available.contains(t) {
                bail!(
                    "no fuzz target {t}; the targets are {}",
                    available.join(", ")
                );
            }
        }
        args.targets.clone()
    };
    let out = harness::target_dir(root).join("fuzz");
    // Every target at once (`cargo fuzz build` takes one name or none; they share one build).
    println!("building the fuzz targets …");
    let status = cargo_fuzz(root, "build", &args.sanitizer)
        .status()
        .context("running cargo fuzz build")?;
    if !status.success() {
        bail!("cargo fuzz build failed ({status})");
    }
    let mut results = Vec::new();
    for target in &targets {
        println!("fuzzing {target} for {} s …", args.seconds);
        let result = run_one(root, &out, target, args)?;
        results.push(result);
    }
    print_table(&results);
    let crashed: Vec<&Run> = results.iter().filter(|r| r.crash.is_some()).collect();
    if crashed.is_empty() {
        Ok(())
    } else {
        for r in &crashed {
            eprintln!(
                "{}: {} — reproduce with `RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz -s {} {} <input>`",
                r.target,
                r.crash.as_deref().unwrap_or_default(),
                args.sanitizer,
                r.target
            );
        }
        bail!("{} target(s) crashed", crashed.len())
    }
}

/// `cargo fuzz <subcommand>` on `fuzz/`, built with debug assertions (overflow checks) into
/// the usual target directory.
fn cargo_fuzz(root: &Path, subcommand: &str, sanitizer: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root)
        .env("RUSTC_BOOTSTRAP", "1")
        .args([
            "fuzz",
            subcommand,
            "--fuzz-dir",
            "fuzz",
            "--debug-assertions",
        ])
        .args(["--sanitizer", sanitizer])
        .arg("--target-dir")
        .arg(harness::target_dir(root));
    cmd
}

/// Installs cargo-fuzz when `cargo fuzz` is not there.
fn ensure_cargo_fuzz() -> Result<()> {
    let present = Command::new(env!("CARGO"))
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    println!("installing cargo-fuzz {CARGO_FUZZ_VERSION} …");
    let status = Command::new(env!("CARGO"))
        .args([
            "install",
            "cargo-fuzz",
            "--locked",
            "--version",
            CARGO_FUZZ_VERSION,
        ])
        .status()
        .context("running cargo install cargo-fuzz")?;
    if !status.success() {
        bail!("cargo install cargo-fuzz failed ({status})");
    }
    Ok(())
}

fn list_targets(fuzz_dir: &Path) -> Result<Vec<String>> {
    let out = Command::new(env!("CARGO"))
        .args(["fuzz", "list", "--fuzz-dir"])
        .arg(fuzz_dir)
        .output()
        .context("running cargo fuzz list")?;
    if !out.status.success() {
        bail!(
            "cargo fuzz list failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

fn run_one(root: &Path, out: &Path, target: &str, args: &FuzzArgs) -> Result<Run> {
    let corpus = out.join("corpus").join(target);
    let artifacts = out.join("artifacts").join(target);
    let logs = out.join("logs");
    for dir in [&corpus, &artifacts, &logs] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    seed(&root.join("fuzz/corpus-seeds").join(target), &corpus)?;
    let before = crash_files(&artifacts)?;
    let log_path = logs.join(format!("{target}.log"));
    let log = std::fs::File::create(&log_path)?;
    let status = cargo_fuzz(root, "run", &args.sanitizer)
        .arg(target)
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={}", args.seconds))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .context("running cargo fuzz run")?;
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    let stat = |name: &str| {
        text.lines()
            .filter_map(|l| l.strip_prefix(name))
            .filter_map(|v| v.trim_start_matches(':').trim().parse::<u64>().ok())
            .next_back()
    };
    let new_crashes: Vec<PathBuf> = crash_files(&artifacts)?
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    let crash = if status.success() && new_crashes.is_empty() {
        None
    } else {
        let reason = text
            .lines()
            .find(|l| {
                l.contains("==ERROR:") || l.contains("panicked at") || l.contains("deadly signal")
            })
            .unwrap_or("libFuzzer stopped")
            .trim()
            .to_owned();
        Some(match new_crashes.first() {
            Some(p) => format!(
                "{reason}; input: {}; log: {}",
                p.display(),
                log_path.display()
            ),
            None => format!("{reason} ({status}); log: {}", log_path.display()),
        })
    };
    Ok(Run {
        target: target.to_owned(),
        runs: stat("stat::number_of_executed_units"),
        execs_per_sec: stat("stat::average_exec_per_sec"),
        corpus: std::fs::read_dir(&corpus)?.count(),
        crash,
    })
}

/// Copies the committed seeds into the scratch corpus (existing entries are kept).
fn seed(seeds: &Path, corpus: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(seeds) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if let Some(name) = path.file_name() {
            std::fs::copy(
                &path,
                corpus.join(format!("seed-{}", name.to_string_lossy())),
            )?;
        }
    }
    Ok(())
}

/// The crash, timeout, leak and out-of-memory inputs libFuzzer left in `dir`.
fn crash_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if ["crash-", "timeout-", "leak-", "oom-", "slow-unit-"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn print_table(results: &[Run]) {
    let number = |v: Option<u64>| v.map_or_else(|| "—".to_owned(), |v| v.to_string());
    let rows: Vec<[String; 5]> = results
        .iter()
        .map(|r| {
            [
                r.target.clone(),
                number(r.runs),
                number(r.execs_per_sec),
                r.corpus.to_string(),
                if r.crash.is_some() { "CRASH" } else { "ok" }.to_owned(),
            ]
        })
        .collect();
    println!();
    harness::print_table(["target", "runs", "execs/s", "corpus", "result"], &rows);
    for r in results {
        if let Some(c) = &r.crash {
            println!("  {}: {c}", r.target);
        }
    }
}
