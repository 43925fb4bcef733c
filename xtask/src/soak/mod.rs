//! `cargo xtask soak`: the fault tests too long for the test command (issue #10), repeated.
//!
//! Each round, on SQLite and (when Debian's PostgreSQL server binaries are installed) on a
//! throwaway PostgreSQL cluster:
//! - [`crash`]: 200 concurrent creates and updates against `baryon serve`, which is killed with
//!   SIGKILL after a random number of acknowledgements, then restarted on the same data. Every
//!   write that was answered 2xx must be there, nothing half-written, and no deployment may stay
//!   `IN_PROGRESS`.
//! - [`two_engines`] (PostgreSQL only): two engines on one database and one data directory,
//!   concurrent creates then redeploys through both; every deployment must run exactly once.
//!
//! The one-round versions of both are in the test command as pytest
//! (`tests/conformance/test_crash_safety.py`, `test_two_engines.py`). Bounded in rounds and
//! time, loopback only; exits non-zero on any violation. JSON in `<target-dir>/soak/soak.json`.

mod crash;
mod two_engines;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::harness::{self, engine};

/// Options of `cargo xtask soak`.
#[derive(Debug, Clone, clap::Args)]
pub struct SoakArgs {
    /// Rounds per database (each round: a crash round, and on PostgreSQL a two-engine round).
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
    /// No round starts after this many seconds (at least one always runs).
    #[arg(long, default_value_t = 600)]
    pub seconds: u64,
    /// Require PostgreSQL (fail when its server binaries are missing) instead of skipping its
    /// rounds.
    #[arg(long)]
    pub postgres: bool,
    /// Seed of the kill points (printed, so a run can be repeated); default: from the clock.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// `cargo xtask soak`: builds `baryon` in release, runs the rounds, prints the figures.
pub fn main(root: &Path, args: &SoakArgs) -> Result<()> {
    harness::build_release(root, &["-p", "baryon"])?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(root, args))
}

/// Which database a round ran on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    /// SQLite in the data directory.
    Sqlite,
    /// A database of the throwaway cluster.
    Postgres,
}

async fn run(root: &Path, args: &SoakArgs) -> Result<()> {
    let target = harness::target_dir(root);
    let bin = target.join("release/baryon");
    let out_dir = target.join("soak");
    let work = out_dir.join("work");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    println!(
        "soak: seed {seed}, {} round(s), at most {} s",
        args.rounds, args.seconds
    );
    let mut rng = fastrand::Rng::with_seed(seed);

    let pg = match engine::Postgres::find() {
        Some(pg_bin) => Some(engine::Postgres::start(pg_bin, &work.join("pg"))?),
        None if args.postgres => {
            bail!("--postgres: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        }
        None => {
            println!(
                "PostgreSQL rounds skipped: no server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin"
            );
            None
        }
    };

    let started = Instant::now();
    let budget = Duration::from_secs(args.seconds);
    let mut crashes: Vec<(Database, crash::Outcome)> = Vec::new();
    let mut deployments: Vec<two_engines::Outcome> = Vec::new();
    for round in 0..args.rounds {
        if round > 0 && started.elapsed() > budget {
            println!("time budget spent: stopping after {round} round(s)");
            break;
        }
        let kill_at = rng.u64(crash::KILL_AFTER);
        println!(
            "round {}: SQLite, SIGKILL after {kill_at} acknowledgements …",
            round + 1
        );
        let dir = work.join(format!("sqlite-{round}"));
        let outcome = crash::round(root, &bin, &dir, None, kill_at).await?;
        println!("  {}", outcome.summary());
        crashes.push((Database::Sqlite, outcome));
        if let Some(pg) = &pg {
            let kill_at = rng.u64(crash::KILL_AFTER);
            println!(
                "round {}: PostgreSQL, SIGKILL after {kill_at} acknowledgements …",
                round + 1
            );
            let url = pg.create_database(&format!("crash_{round}"))?;
            let dir = work.join(format!("pg-{round}"));
            let outcome = crash::round(root, &bin, &dir, Some(url), kill_at).await?;
            println!("  {}", outcome.summary());
            crashes.push((Database::Postgres, outcome));

            println!("round {}: two engines on one PostgreSQL …", round + 1);
            let url = pg.create_database(&format!("two_engines_{round}"))?;
            let dir = work.join(format!("two-{round}"));
            let outcome = two_engines::round(&bin, &dir, url).await?;
            println!("  {}", outcome.summary());
            deployments.push(outcome);
        }
    }
    drop(pg);

    let report = Report {
        crashes: &crashes,
        deployments: &deployments,
    };
    println!();
    report.print();
    let violations = report.violations();
    let json = json!({
        "seed": seed,
        "elapsed_s": started.elapsed().as_secs_f64(),
        "figures": report.json(),
        "violations": violations,
    });
    let path = out_dir.join("soak.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json)? + "\n")?;
    println!("\nwritten to {}", path.display());
    if violations.is_empty() {
        std::fs::remove_dir_all(&work).ok();
        Ok(())
    } else {
        for v in &violations {
            eprintln!("VIOLATION: {v}");
        }
        bail!(
            "{} violation(s); logs and data kept under {}",
            violations.len(),
            work.display()
        )
    }
}

struct Report<'a> {
    crashes: &'a [(Database, crash::Outcome)],
    deployments: &'a [two_engines::Outcome],
}

impl Report<'_> {
    fn on(&self, db: Database) -> impl Iterator<Item = &crash::Outcome> {
        self.crashes
            .iter()
            .filter(move |(d, _)| *d == db)
            .map(|(_, o)| o)
    }

    fn sum(&self, db: Database, f: impl Fn(&crash::Outcome) -> usize) -> usize {
        self.on(db).map(f).sum()
    }

    /// Rows: figure, SQLite, PostgreSQL, required.
    fn rows(&self) -> Vec<[String; 4]> {
        let per_db = |name: &str, required: &str, f: &dyn Fn(Database) -> String| {
            [
                name.to_owned(),
                f(Database::Sqlite),
                if self.on(Database::Postgres).next().is_some() {
                    f(Database::Postgres)
                } else {
                    "not run".to_owned()
                },
                required.to_owned(),
            ]
        };
        let count =
            |f: fn(&crash::Outcome) -> usize| move |db: Database| self.sum(db, f).to_string();
        let mut rows = vec![
            per_db("crash rounds", "—", &|db| self.on(db).count().to_string()),
            per_db("requests sent", "—", &count(|o| o.sent)),
            per_db("acknowledged (2xx)", "—", &count(|o| o.acknowledged.len())),
            per_db(
                "unanswered (killed in flight or after)",
                "—",
                &count(|o| o.unanswered),
            ),
            per_db("refused (HTTP error)", "—", &count(|o| o.refused.len())),
            per_db("verified present", "= acknowledged", &count(|o| o.present)),
            per_db("lost", "0", &count(|o| o.lost.len())),
            per_db("half-written", "0", &count(|o| o.half_written.len())),
            per_db("stuck IN_PROGRESS", "0", &count(|o| o.stuck.len())),
            per_db(
                "environments checked after restart",
                "—",
                &count(|o| o.environments),
            ),
            per_db("max recovery after restart", "—", &|db| {
                self.on(db)
                    .map(|o| o.recovery.as_secs_f64())
                    .reduce(f64::max)
                    .map_or_else(|| "—".to_owned(), |s| format!("{s:.2} s"))
            }),
            per_db("kill points (acks before SIGKILL)", "—", &|db| {
                self.on(db)
                    .map(|o| o.killed_after.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        ];
        let total = |f: fn(&two_engines::Outcome) -> usize| {
            self.deployments.iter().map(f).sum::<usize>().to_string()
        };
        let two = |name: &str, required: &str, value: String| {
            let pg = if self.deployments.is_empty() {
                "not run".to_owned()
            } else {
                value
            };
            [name.to_owned(), "—".to_owned(), pg, required.to_owned()]
        };
        rows.extend([
            two("two-engine rounds", "—", self.deployments.len().to_string()),
            two("deployments", "—", total(|o| o.deployments)),
            two("ran exactly once", "= deployments", total(|o| o.once)),
            two("ran twice or more", "0", total(|o| o.duplicated.len())),
            two("never ran / not SUCCEEDED", "0", total(|o| o.missing.len())),
            two(
                "runs per engine (a / b)",
                "both > 0",
                format!(
                    "{} / {}",
                    total(|o| o.per_engine[0]),
                    total(|o| o.per_engine[1])
                ),
            ),
        ]);
        rows
    }

    fn print(&self) {
        harness::print_table(["figure", "SQLite", "PostgreSQL", "required"], &self.rows());
    }

    fn json(&self) -> Value {
        Value::Array(
            self.rows()
                .into_iter()
                .map(|[figure, sqlite, postgres, required]| {
                    json!({"figure": figure, "sqlite": sqlite, "postgres": postgres, "required": required})
                })
                .collect(),
        )
    }

    /// Every broken promise, in words.
    fn violations(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (db, o) in self.crashes {
            let db = match db {
                Database::Sqlite => "SQLite",
                Database::Postgres => "PostgreSQL",
            };
            for (what, list) in [
                ("lost", &o.lost),
                ("half-written", &o.half_written),
                ("stuck IN_PROGRESS", &o.stuck),
            ] {
                if !list.is_empty() {
                    out.push(format!(
                        "{db} round (kill after {}): {what}: {}",
                        o.killed_after,
                        list.join("; ")
                    ));
                }
            }
        }
        for (i, o) in self.deployments.iter().enumerate() {
            if !o.duplicated.is_empty() {
                out.push(format!(
                    "two engines round {}: ran more than once: {}",
                    i + 1,
                    o.duplicated.join(", ")
                ));
            }
            if o.per_engine.contains(&0) {
                out.push(format!(
                    "two engines round {}: one engine ran nothing (runs a/b {}/{})",
                    i + 1,
                    o.per_engine[0],
                    o.per_engine[1]
                ));
            }
            if !o.missing.is_empty() {
                out.push(format!(
                    "two engines round {}: never ran or did not succeed: {}",
                    i + 1,
                    o.missing.join(", ")
                ));
            }
        }
        out
    }
}

/// Every item of a paginated Proton list (`nextToken` followed), from `member`.
pub async fn list_all(
    engine: &engine::Engine,
    operation: &str,
    input: &Value,
    member: &str,
) -> Result<Vec<Value>> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut page_input = input.clone();
        page_input["maxResults"] = json!(100);
        if let Some(t) = &token {
            page_input["nextToken"] = json!(t);
        }
        let page = engine.call(operation, &page_input).await?;
        if let Some(list) = page[member].as_array() {
            items.extend(list.iter().cloned());
        }
        match page["nextToken"].as_str() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return Ok(items),
        }
    }
}

/// A string member of a JSON document ("" when absent).
fn text<'v>(value: &'v Value, member: &str) -> &'v str {
    value[member].as_str().unwrap_or_default()
}
