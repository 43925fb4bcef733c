//! `cargo xtask <chore>`.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};
use xtask::codegen;

#[derive(Parser)]
#[command(about = "Baryon project chores")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Regenerate `crates/model/src/generated/` from `crates/model/api/`.
    Codegen {
        /// Only check that the committed files are current; exit 1 if not.
        #[arg(long)]
        check: bool,
    },
    /// Run the benchmarks (bounded loads on loopback; see `xtask/src/bench/mod.rs`) and print
    /// the table; JSON in `<target-dir>/bench/bench.json`. Not part of the test command.
    Bench(xtask::bench::BenchArgs),
    /// Run each cargo-fuzz target of `fuzz/` for a bounded time (installs cargo-fuzz when
    /// missing; stable toolchain with `RUSTC_BOOTSTRAP=1`); exit 1 on a crash. Not part of the
    /// test command.
    Fuzz(xtask::fuzz::FuzzArgs),
    /// Fault tests: SIGKILL during 200 concurrent writes then restart, and two engines on one
    /// PostgreSQL, for a number of rounds; prints the figures, exit 1 on any violation. JSON in
    /// `<target-dir>/soak/soak.json`. Not part of the test command.
    Soak(xtask::soak::SoakArgs),
    /// Build the `@baryon/model` npm package into `build/npm/baryon-model`.
    Npm,
    /// Refresh `crates/model/api/` from an unpacked botocore package directory.
    VendorModel {
        /// Path to the `botocore` package directory (the one holding `data/`).
        #[arg(long)]
        botocore: PathBuf,
    },
}

fn main() -> Result<()> {
    let root = codegen::workspace_root();
    match Cli::parse().command {
        Cmd::Codegen { check: false } => codegen::write_all(&root),
        Cmd::Codegen { check: true } => {
            let stale = codegen::stale_files(&root)?;
            if stale.is_empty() {
                println!("generated code is current");
                Ok(())
            } else {
                bail!("stale generated files (run `cargo xtask codegen`): {stale:?}")
            }
        }
        Cmd::Bench(args) => xtask::bench::main(&root, &args),
        Cmd::Fuzz(args) => xtask::fuzz::main(&root, &args),
        Cmd::Soak(args) => xtask::soak::main(&root, &args),
        Cmd::Npm => xtask::npm::build(&root).map(|_| ()),
        Cmd::VendorModel { botocore } => xtask::vendor::run(&root, &botocore),
    }
}
