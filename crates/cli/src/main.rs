//! `baryon`: the Baryon command line. `serve` runs the AWS Proton-compatible engine with the
//! console and its signing proxy; `proxy` runs the signing proxy alone in front of any Proton
//! endpoint; `validate`, `manifest`, `arn` and `request` run the model's checks so template
//! authors can lint before they register.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod proxy;
mod serve;

use anyhow::{Context, Result};
use baryon_model::{arn, manifest, proton, servicecatalog, spec, validate};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "baryon",
    version,
    about = "Baryon: a self-hosted AWS Proton-compatible control plane"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the AWS Proton API (awsJson 1.0, SigV4) on one port, with an embedded SQLite
    /// database by default.
    Serve(serve::ServeArgs),
    /// Run the console's signing proxy in front of a Proton endpoint, with your AWS
    /// credentials: the browser calls `/api/proton/<Operation>` on the proxy's own origin.
    Proxy(proxy::ProxyArgs),
    /// Validate a spec file (EnvironmentSpec or ServiceSpec) against a template's schema.yaml.
    Validate {
        /// The template's `schema/schema.yaml`.
        #[arg(long)]
        schema: PathBuf,
        /// The spec file.
        #[arg(long)]
        spec: PathBuf,
        /// Print the full result (ok, diagnostics, inputs with defaults) as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a template bundle's manifest.yaml.
    Manifest {
        /// Path to `manifest.yaml`.
        file: PathBuf,
    },
    /// Parse a Proton ARN and show its parts.
    Arn {
        /// The ARN.
        arn: String,
    },
    /// Validate an API request body against the Proton or Service Catalog model.
    Request {
        /// Operation name, e.g. `CreateService` (Proton) or `ProvisionProduct` (Service Catalog).
        operation: String,
        /// The JSON request body.
        body: String,
    },
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Runs a server command: `tracing` to stderr (`RUST_LOG`, default info), a tokio runtime.
fn run_server(server: impl std::future::Future<Output = Result<()>>) -> Result<bool> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(server)?;
    Ok(true)
}

fn run() -> Result<bool> {
    match Cli::parse().command {
        Command::Serve(args) => run_server(serve::serve(args)),
        Command::Proxy(args) => run_server(proxy::proxy(args)),
        Command::Validate {
            schema,
            spec: spec_path,
            json,
        } => {
            let result = spec::validate_spec(&read(&schema)?, &read(&spec_path)?);
            if json {
                println!("{}", serde_json::to_string_pretty(&result)?);
            } else if result.ok {
                println!("{}: valid", spec_path.display());
                println!("{}", serde_json::to_string_pretty(&result.inputs)?);
            } else {
                for d in &result.diagnostics {
                    eprintln!("{}:{d}", spec_path.display());
                }
            }
            Ok(result.ok)
        }
        Command::Manifest { file } => match manifest::parse_manifest(&read(&file)?) {
            Ok(m) => {
                println!("{}", serde_json::to_string_pretty(&m)?);
                Ok(true)
            }
            Err(diagnostics) => {
                for d in &diagnostics {
                    eprintln!("{}:{d}", file.display());
                }
                Ok(false)
            }
        },
        Command::Arn { arn: text } => match arn::ProtonArn::parse(&text) {
            Ok(a) => {
                println!("{}", serde_json::to_string_pretty(&a)?);
                Ok(true)
            }
            Err(e) => {
                eprintln!("{e}");
                Ok(false)
            }
        },
        Command::Request { operation, body } => {
            let value: serde_json::Value =
                serde_json::from_str(&body).context("the body is not JSON")?;
            let service = if proton::Operation::from_name(&operation).is_some() {
                &proton::SERVICE
            } else if servicecatalog::Operation::from_name(&operation).is_some() {
                &servicecatalog::SERVICE
            } else {
                anyhow::bail!("unknown operation {operation}");
            };
            match validate::validate_input(service, &operation, &value) {
                Ok(()) => {
                    println!("valid {operation} request");
                    Ok(true)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(false)
                }
            }
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
