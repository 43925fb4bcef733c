//! What `cargo xtask bench` and `cargo xtask soak` share: `baryon serve` as a child process
//! with a SigV4-signing client ([`engine`]), the load generator ([`load`]), and the release
//! build both run against.

pub mod engine;
pub mod load;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The target directory (`CARGO_TARGET_DIR` or `<root>/target`).
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// `cargo build --release <packages>` in the workspace.
pub fn build_release(root: &Path, packages: &[&str]) -> Result<()> {
    let status = Command::new(env!("CARGO"))
        .current_dir(root)
        .args(["build", "--release"])
        .args(packages)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --release {} failed", packages.join(" "));
    }
    Ok(())
}

/// Builds `packages` (which must include `xtask`) in release and runs the release xtask with
/// this process's arguments, so a load generator in this process is not the bottleneck.
pub fn rerun_in_release(root: &Path, packages: &[&str]) -> Result<()> {
    build_release(root, packages)?;
    let exe = target_dir(root).join("release/xtask");
    let status = Command::new(&exe)
        .args(std::env::args_os().skip(1))
        .status()
        .with_context(|| format!("running {}", exe.display()))?;
    if !status.success() {
        bail!("the release xtask failed ({status})");
    }
    Ok(())
}

/// Prints a Markdown table (columns padded to their widest cell).
pub fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    line(&header.map(str::to_owned));
    line(&widths.map(|w| "-".repeat(w)));
    for row in rows {
        line(row);
    }
}
