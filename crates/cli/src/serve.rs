//! `baryon serve`: the engine, the console's signing proxy (`/api/`) and the console's static
//! files on one port. The proxy forwards to the engine itself over loopback HTTP, signing with
//! the engine's key pair, so console requests are verified like any other client's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use baryon_engine::credentials::Source;
use baryon_engine::{EngineConfig, start};
use baryon_proxy::{Proxy, ProxyConfig, ProxyCredentials};

/// Options of `baryon serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. Binding anything but loopback exposes the API to the network.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Directory for the embedded SQLite database, the generated credentials file and artifacts.
    #[arg(long, default_value = "./baryon-data")]
    pub data_dir: PathBuf,
    /// Database URL: `sqlite://PATH` or `postgres://USER:PASS@HOST/DB`. Default: SQLite in the data dir.
    #[arg(long)]
    pub database: Option<String>,
    /// AWS region reported in ARNs; clients may sign for any region.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// 12-digit account id reported in ARNs: the management account.
    #[arg(long, default_value = "123456789012")]
    pub account_id: String,
    /// Also serve this 12-digit account as an environment account (repeatable), for
    /// environment account connections. Its key pair is profile `account-<id>` of the
    /// credentials file in the data dir.
    #[arg(long = "environment-account", value_name = "ACCOUNT_ID")]
    pub environment_accounts: Vec<String>,
    /// Map a repository provider to a git base URL (repeatable), e.g.
    /// `GITHUB=https://git.example.com/`: its linked repositories are then mirrors of
    /// `<base><owner>/<name>.git`. Unmapped providers use bare repositories Baryon keeps under
    /// `<data-dir>/repositories/<provider>/<owner>/<name>.git`, which you clone and push to.
    #[arg(long = "git-remote", value_name = "PROVIDER=BASE_URL", value_parser = parse_remote)]
    pub git_remotes: Vec<(String, String)>,
    /// Seconds between template sync passes over the branches sync configs follow.
    #[arg(long, default_value_t = 2)]
    pub sync_interval: u64,
    /// The CloudFormation API that provisions AWS-managed environments, service instances and
    /// pipelines: `aws` for AWS CloudFormation itself (in AWS_REGION, else --region), or the
    /// `https://` / `http://` URL of a CloudFormation-compatible endpoint (e.g. moto on
    /// loopback). Signed with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN)
    /// from the environment. Without it, AWS-managed deployments fail saying no provisioner is
    /// configured.
    #[arg(long, value_name = "aws|URL")]
    pub cloudformation_endpoint: Option<String>,
    /// Allow CodeBuild-style provisioning: `rendering_engine: codebuild` templates' `provision`
    /// and `deprovision` commands run with `sh` on this machine, as the user running Baryon.
    /// Off by default; without it those deployments fail saying so.
    #[arg(long)]
    pub codebuild: bool,
    /// Seconds the commands of one CodeBuild-style deployment may run before they are stopped.
    #[arg(long, default_value_t = 3600)]
    pub codebuild_timeout: u64,
    /// Directory of the built console (default: `web/dist` when it exists).
    #[arg(long)]
    pub console_dir: Option<PathBuf>,
    /// Login token the console proxy (`/api/`) requires when listening on a non-loopback
    /// address (at least 16 characters); generated and printed when not given.
    #[arg(long)]
    pub login_token: Option<String>,
}

/// The console directory: the one given (which must exist), else `web/dist` when it exists,
/// else none.
pub(crate) fn console_dir(flag: Option<PathBuf>) -> Result<Option<PathBuf>> {
    match flag {
        Some(dir) if dir.is_dir() => Ok(Some(dir)),
        Some(dir) => bail!("console directory {} does not exist", dir.display()),
        None => {
            let default = Path::new("web/dist");
            if default.is_dir() {
                Ok(Some(default.to_owned()))
            } else {
                tracing::info!("no console: web/dist not found (build it, or pass --console-dir)");
                Ok(None)
            }
        }
    }
}

/// Where this process can reach its own listener: the address itself, or loopback when it
/// listens on every interface.
fn own_address(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Runs the server until SIGINT/SIGTERM.
pub async fn serve(args: ServeArgs) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    let engine = start(EngineConfig {
        data_dir: args.data_dir.clone(),
        database_url: args.database.clone(),
        region: args.region.clone(),
        account_id: args.account_id.clone(),
        environment_accounts: args.environment_accounts.clone(),
        git_remotes: args.git_remotes.iter().cloned().collect(),
        sync_interval: std::time::Duration::from_secs(args.sync_interval.max(1)),
        cloudformation: args
            .cloudformation_endpoint
            .as_ref()
            .map(|endpoint| cloudformation_config(endpoint, &args.region))
            .transpose()?,
        codebuild: args.codebuild.then(|| baryon_engine::CodeBuildOptions {
            endpoint_url: format!("http://{}", own_address(addr)),
            timeout: std::time::Duration::from_secs(args.codebuild_timeout.max(1)),
        }),
    })
    .await?;
    let url = format!("http://{addr}");
    let remote = !addr.ip().is_loopback();
    let login_token = match args.login_token {
        Some(t) => Some(t),
        None if remote => Some(baryon_proxy::generate_login_token()?),
        None => None,
    };
    let mut proxy_config = ProxyConfig::new(
        format!("http://{}", own_address(addr)),
        args.region.clone(),
        ProxyCredentials {
            access_key_id: engine.credentials.access_key_id.clone(),
            secret_access_key: engine.credentials.secret_access_key.clone(),
            session_token: None,
        },
    );
    proxy_config.bind_remote = remote;
    proxy_config.login_token.clone_from(&login_token);
    proxy_config.artifacts_dir = Some(args.data_dir.join("buckets"));
    let proxy = Proxy::new(proxy_config)?;
    let console = console_dir(args.console_dir)?;
    let mut app = engine.router.merge(baryon_proxy::router(proxy));
    if let Some(dir) = &console {
        app = app.merge(baryon_proxy::console::router(dir));
    }
    println!("Baryon is serving the AWS Proton API at {url}");
    match &console {
        Some(dir) => println!("Console: open {url}/ (files from {})", dir.display()),
        None => println!(
            "No console files (web/dist not found; --console-dir DIR serves one); the console API is at {url}/api/"
        ),
    }
    if let Some(token) = &login_token {
        println!(
            "Login token for the console API (send 'Authorization: Bearer <token>' or a baryon_token cookie): {token}"
        );
    }
    match &engine.credentials_source {
        Source::Environment => {
            println!(
                "Credentials: BARYON_ACCESS_KEY_ID / BARYON_SECRET_ACCESS_KEY from the environment"
            );
        }
        Source::File(p) | Source::Generated(p) => {
            println!("Credentials: {} (profile default)", p.display());
            println!(
                "Try: AWS_SHARED_CREDENTIALS_FILE={} aws proton list-environment-templates --region {} --endpoint-url {url}",
                p.display(),
                args.region
            );
        }
    }
    for (account, _) in &engine.account_credentials {
        println!(
            "Environment account {account}: profile {} of {}",
            baryon_engine::credentials::account_profile(account),
            args.data_dir.join("credentials").display()
        );
    }
    let db = engine
        .database_url
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    tracing::info!(%addr, database = %redact(&db), "listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

/// The CloudFormation endpoint and the credentials to sign for it, from the environment.
fn cloudformation_config(
    endpoint: &str,
    region: &str,
) -> Result<baryon_engine::cloudformation::CloudFormationConfig> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (Some(access_key_id), Some(secret_access_key)) =
        (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
    else {
        anyhow::bail!(
            "--cloudformation-endpoint needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment"
        );
    };
    Ok(baryon_engine::cloudformation::CloudFormationConfig {
        endpoint: (endpoint != "aws").then(|| endpoint.to_owned()),
        region: var("AWS_REGION").unwrap_or_else(|| region.to_owned()),
        access_key_id,
        secret_access_key,
        session_token: var("AWS_SESSION_TOKEN"),
    })
}

fn parse_remote(s: &str) -> Result<(String, String), String> {
    let (provider, base) = s
        .split_once('=')
        .ok_or_else(|| format!("expected PROVIDER=BASE_URL, got '{s}'"))?;
    let provider = provider.to_ascii_uppercase();
    if !["GITHUB", "GITHUB_ENTERPRISE", "BITBUCKET"].contains(&provider.as_str()) {
        return Err(format!(
            "unknown provider '{provider}' (GITHUB, GITHUB_ENTERPRISE or BITBUCKET)"
        ));
    }
    Ok((provider, base.to_owned()))
}

/// Hides a password in a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{user}:***@{}", &url[..s], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
