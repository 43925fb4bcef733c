//! `cargo xtask npm`: builds `baryon-model` for wasm32 with the `wasm` feature, runs
//! `wasm-bindgen --target web`, and writes an npm package (ES module + wasm + `.d.ts`,
//! `package.json`, README) to `build/npm/baryon-model`. Nothing is downloaded: it needs
//! the `wasm32-unknown-unknown` target and `wasm-bindgen` 0.2.130 installed
//! (`scripts/setup.sh` does both).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The wasm-bindgen version the crate pins (must equal the CLI's).
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().with_context(|| format!("starting {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn cargo_version(root: &Path) -> Result<String> {
    let text = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let mut in_pkg = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_pkg = line == "[workspace.package]";
        } else if in_pkg && let Some(v) = line.strip_prefix("version = ") {
            return Ok(v.trim_matches('"').to_owned());
        }
    }
    bail!("no version in [workspace.package]")
}

/// Builds the package; returns its directory.
pub fn build(root: &Path) -> Result<PathBuf> {
    let out = root.join("build/npm/baryon-model");
    let bindgen = Command::new("wasm-bindgen").arg("--version").output();
    match bindgen {
        Ok(o) if String::from_utf8_lossy(&o.stdout).contains(WASM_BINDGEN_VERSION) => {}
        _ => bail!(
            "wasm-bindgen {WASM_BINDGEN_VERSION} is required (run scripts/setup.sh, or \
             `cargo install wasm-bindgen-cli --version {WASM_BINDGEN_VERSION}`)"
        ),
    }
    run(Command::new(env!("CARGO"))
        .current_dir(root)
        .args([
            "build",
            "--package",
            "baryon-model",
            "--lib",
            "--features",
            "wasm",
        ])
        .args([
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "release-wasm",
        ]))?;
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let wasm = target_dir.join("wasm32-unknown-unknown/release-wasm/baryon_model.wasm");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;
    run(Command::new("wasm-bindgen")
        .args(["--target", "web", "--out-name", "baryon_model", "--out-dir"])
        .arg(&out)
        .arg(&wasm))?;
    let version = cargo_version(root)?;
    let package = serde_json::json!({
        "name": "@baryon/model",
        "version": version,
        "description": "AWS Proton spec/schema validation, manifest and ARN parsing, and API request validation, compiled from Rust to WebAssembly.",
        "license": "Apache-2.0",
        "type": "module",
        "main": "baryon_model.js",
        "module": "baryon_model.js",
        "types": "baryon_model.d.ts",
        "exports": {
            ".": { "types": "./baryon_model.d.ts", "default": "./baryon_model.js" },
            "./baryon_model_bg.wasm": "./baryon_model_bg.wasm"
        },
        "files": ["baryon_model.js", "baryon_model.d.ts", "baryon_model_bg.wasm", "baryon_model_bg.wasm.d.ts", "README.md"],
        "sideEffects": false
    });
    std::fs::write(
        out.join("package.json"),
        serde_json::to_string_pretty(&package)? + "\n",
    )?;
    std::fs::copy(
        root.join("crates/model/npm-README.md"),
        out.join("README.md"),
    )
    .context("copying crates/model/npm-README.md")?;
    // A .gitignore written by wasm-bindgen would hide the files from `npm pack`.
    let _ = std::fs::remove_file(out.join(".gitignore"));
    let size = std::fs::metadata(out.join("baryon_model_bg.wasm"))?.len();
    println!("npm package in {} (wasm {size} bytes)", out.display());
    Ok(out)
}
