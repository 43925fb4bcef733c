//! `baryon`: the Baryon command line. `serve` runs the AWS Proton-compatible engine with the
//! console and its signing proxy; `proxy` runs the signing proxy alone in front of any Proton
//! endpoint; `validate`, `manifest`, `arn` and `request` run the model's checks so template
//! authors can lint before they register.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod proxy;
mod serve;

use anyhow::{Context, Result};
use baryon_model::{arn, manifest, proton, render, servicecatalog, spec, validate};
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
    /// Render a template bundle directory for a spec as Proton would (Jinja templates
    /// rendered, Terraform variable files added) and print the rendered files as JSON:
    /// `{"renders": [{"target", "name", "context", "files": [{"path", "contents"}] | "error"}]}`.
    Render(RenderArgs),
    /// Run the console's signing proxy in front of a Proton endpoint, with your AWS
    /// credentials: the browser calls `/api/proton/<Operation>` on the proxy's own origin.
    Proxy(proxy::ProxyArgs),
    /// Print the log of a CodeBuild-provisioned deployment's commands (kept under
    /// `<data-dir>/codebuild`).
    Logs {
        /// The deployment id (as GetDeployment shows it).
        deployment_id: String,
        /// The engine's data directory.
        #[arg(long, default_value = "./baryon-data")]
        data_dir: PathBuf,
    },
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

/// Arguments of `baryon render`.
#[derive(clap::Args)]
struct RenderArgs {
    /// The template bundle directory (with `schema/schema.yaml`).
    #[arg(long)]
    bundle_dir: PathBuf,
    /// The spec file (EnvironmentSpec or ServiceSpec).
    #[arg(long)]
    spec: PathBuf,
    /// The environment's name, for an EnvironmentSpec.
    #[arg(long, default_value = "env")]
    environment_name: String,
    /// The account the environments are in.
    #[arg(long, default_value = "123456789012")]
    account_id: String,
    /// The service: JSON `{"name", "branch_name", "repository_connection_arn", "repository_id"}`.
    #[arg(long, default_value = r#"{"name": "service"}"#)]
    service: String,
    /// Outputs of the environment(s), as a JSON object.
    #[arg(long, default_value = "{}")]
    environment_outputs: String,
    /// Outputs of each service instance, as a JSON object (pipeline templates read them).
    #[arg(long, default_value = "{}")]
    instance_outputs: String,
    /// Outputs of a directly defined component attached to each instance, as a JSON object.
    #[arg(long)]
    component_outputs: Option<String>,
}

fn read_tree(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            read_tree(root, &path, files)?;
        } else {
            let rel = path
                .strip_prefix(root)?
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(rel, std::fs::read(&path)?);
        }
    }
    Ok(())
}

fn json_object(what: &str, text: &str) -> Result<render::Params> {
    let value: serde_json::Value =
        serde_json::from_str(text).with_context(|| format!("{what} is not JSON"))?;
    anyhow::ensure!(value.is_object(), "{what} must be a JSON object");
    // Parsed again into an order-preserving map: the order is kept as written.
    Ok(serde_json::from_str(text)?)
}

fn render_command(args: &RenderArgs) -> Result<bool> {
    let mut files = BTreeMap::new();
    read_tree(&args.bundle_dir, &args.bundle_dir, &mut files)?;
    let schema = String::from_utf8(
        files
            .get("schema/schema.yaml")
            .context("the bundle has no schema/schema.yaml")?
            .clone(),
    )?;
    let opts = render::SpecRenderOptions {
        environment_name: args.environment_name.clone(),
        account_id: args.account_id.clone(),
        service: serde_json::from_str(&args.service)
            .context("--service is not a service JSON object")?,
        environment_outputs: json_object("--environment-outputs", &args.environment_outputs)?,
        instance_outputs: json_object("--instance-outputs", &args.instance_outputs)?,
        component_outputs: args
            .component_outputs
            .as_deref()
            .map(|t| json_object("--component-outputs", t))
            .transpose()?,
    };
    let contexts = match render::contexts_from_spec(&schema, &read(&args.spec)?, &opts) {
        Ok(c) => c,
        Err(diagnostics) => {
            for d in &diagnostics {
                eprintln!("{}:{d}", args.spec.display());
            }
            return Ok(false);
        }
    };
    let mut ok = true;
    let mut renders = Vec::new();
    for ctx in &contexts {
        let name = match ctx.target {
            render::RenderTarget::Environment => opts.environment_name.clone(),
            render::RenderTarget::ServiceInstance => ctx
                .service_instance
                .as_ref()
                .map(|i| i.name.clone())
                .unwrap_or_default(),
            _ => opts.service.name.clone(),
        };
        let dir = ctx.target.bundle_dir();
        if !files.contains_key(&format!("{dir}/manifest.yaml")) {
            continue;
        }
        let mut entry = serde_json::json!({
            "target": ctx.target,
            "name": name,
            "context": ctx.to_jinja(),
        });
        match render::render_bundle(&files, ctx) {
            Ok(rendered) => entry["files"] = serde_json::to_value(rendered)?,
            Err(e) => {
                ok = false;
                entry["error"] = e.to_string().into();
            }
        }
        renders.push(entry);
    }
    println!("{}", serde_json::json!({ "renders": renders }));
    Ok(ok)
}

fn run() -> Result<bool> {
    match Cli::parse().command {
        Command::Render(args) => render_command(&args),
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
        Command::Logs {
            deployment_id,
            data_dir,
        } => {
            let root = data_dir.join("codebuild");
            let Some(path) = baryon_engine::codebuild::find_log(&root, &deployment_id) else {
                eprintln!(
                    "no CodeBuild log for deployment {deployment_id} under {}",
                    root.display()
                );
                return Ok(false);
            };
            let log =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            std::io::Write::write_all(&mut std::io::stdout(), &log)?;
            Ok(true)
        }
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
