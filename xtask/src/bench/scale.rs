//! Figures 2 and 7: ListEnvironmentTemplates first-page latency with 1k vs 100k rows in the
//! `resources` table, and the engine's RSS idle and with 100k rows.
//!
//! One environment template is created through the API; with the engine stopped, its row is
//! copied in SQL (`sqlite3`) under new names — the same columns, the name and ARN changed in
//! the columns and in the JSON document, exactly as the API would have written them. A copy is
//! then read back through GetEnvironmentTemplate to check it is what the API would answer.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use bytes::Bytes;
use serde_json::json;

use super::{Figure, Settings};
use crate::harness::engine::{self, Engine};
use crate::harness::load::{self, Stats};

const TEMPLATE: &str = "bench-tpl";

/// Copies the template's row as `bench-tpl-NNNNNN` for `from..=to`.
fn copy_rows(db: &Path, from: u32, to: u32) -> Result<()> {
    let suffix = "printf('-%06d', n.i)";
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {to})
         INSERT INTO resources
             (kind, account_id, name, parent, status, arn, created_at, updated_at, version, doc)
         SELECT r.kind, r.account_id, r.name || {suffix}, r.parent, r.status, r.arn || {suffix},
                r.created_at, r.updated_at, r.version,
                replace(replace(r.doc, '/{TEMPLATE}\"', '/{TEMPLATE}' || {suffix} || '\"'),
                        '\"name\":\"{TEMPLATE}\"', '\"name\":\"{TEMPLATE}' || {suffix} || '\"')
         FROM resources r, n
         WHERE r.kind = 'environment_template' AND r.name = '{TEMPLATE}';"
    );
    let out = Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .context("running sqlite3 (install the sqlite3 command-line tool)")?;
    if !out.status.success() {
        bail!("sqlite3: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

fn count_rows(db: &Path) -> Result<u64> {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg("SELECT count(*) FROM resources WHERE kind = 'environment_template';")
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

/// First-page ListEnvironmentTemplates latency, one connection, sequential.
async fn list_latency(engine: &Engine, settings: &Settings) -> Result<Stats> {
    let first = engine.call("ListEnvironmentTemplates", &json!({})).await?;
    let n = first["templates"].as_array().map_or(0, Vec::len);
    ensure!(n == 100, "the first page has {n} templates, not 100");
    let (addr, credentials) = (engine.addr, engine.credentials.clone());
    let make = move || {
        engine::signed(
            addr,
            &credentials,
            "ListEnvironmentTemplates",
            &Bytes::from_static(b"{}"),
        )
    };
    load::run(addr, settings.warm_up(1), make.clone()).await?;
    let stats = load::run(addr, settings.latency_load(), make).await?;
    stats.check("ListEnvironmentTemplates")?;
    Ok(stats)
}

/// Checks that a copied row reads back as the API would answer it.
async fn check_copy(engine: &Engine, name: &str) -> Result<()> {
    let got = engine
        .call("GetEnvironmentTemplate", &json!({"name": name}))
        .await?;
    let t = &got["environmentTemplate"];
    ensure!(
        t["name"] == name
            && t["arn"]
                .as_str()
                .is_some_and(|a| a.ends_with(&format!("/{name}"))),
        "a copied row does not read back as {name}: {t}"
    );
    Ok(())
}

fn mib(kib: u64) -> f64 {
    load::f64_of(kib) / 1024.0
}

/// Runs the group.
pub async fn run(bin: &Path, data: &Path, settings: &Settings) -> Result<Vec<Figure>> {
    let options = engine::Options::default();
    let db = data.join("baryon.db");

    let engine = Engine::start(bin, data, &options).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle = engine.rss_kib()?;
    engine
        .call(
            "CreateEnvironmentTemplate",
            &json!({"name": TEMPLATE, "displayName": "bench", "description": "a template row copied for the scale benchmark"}),
        )
        .await?;
    engine.stop()?;

    copy_rows(&db, 1, 999)?;
    ensure!(count_rows(&db)? == 1_000, "expected 1,000 template rows");
    let engine = Engine::start(bin, data, &options).await?;
    check_copy(&engine, "bench-tpl-000500").await?;
    let small = list_latency(&engine, settings).await?;
    engine.stop()?;

    copy_rows(&db, 1_000, 99_999)?;
    ensure!(
        count_rows(&db)? == 100_000,
        "expected 100,000 template rows"
    );
    let engine = Engine::start(bin, data, &options).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_100k_start = engine.rss_kib()?;
    check_copy(&engine, "bench-tpl-099999").await?;
    let large = list_latency(&engine, settings).await?;
    let rss_100k = engine.rss_kib()?;
    engine.stop()?;

    let (p_small, p_large) = (small.percentile_ms(50.0), large.percentile_ms(50.0));
    println!(
        "  ListEnvironmentTemplates p50: {p_small:.3} ms at 1k rows, {p_large:.3} ms at 100k; \
         RSS {:.1} MiB idle, {:.1} MiB with 100k",
        mib(rss_idle),
        mib(rss_100k)
    );
    Ok(vec![
        Figure::ratio_at_most(
            "ListEnvironmentTemplates first page p50, 100k rows",
            p_large,
            p_small,
            "ms",
            "same at 1k rows",
            1.5,
        )
        .note(format!(
            "SQLite; p99 {:.3} ms at 100k, {:.3} ms at 1k; 1 connection",
            large.percentile_ms(99.0),
            small.percentile_ms(99.0)
        )),
        Figure::info(
            "engine RSS with 100k resources (after listing)",
            mib(rss_100k),
            mib(rss_idle),
            "MiB",
            "idle, empty database",
        )
        .note(format!(
            "{:.1} MiB right after start with 100k rows",
            mib(rss_100k_start)
        )),
    ])
}
