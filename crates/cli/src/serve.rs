//! `baryon serve`: the engine on one port.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use baryon_engine::credentials::Source;
use baryon_engine::{EngineConfig, start};

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
}

async fn shutdown_signal() {
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
    let engine = start(EngineConfig {
        data_dir: args.data_dir.clone(),
        database_url: args.database.clone(),
        region: args.region.clone(),
        account_id: args.account_id.clone(),
        environment_accounts: args.environment_accounts.clone(),
    })
    .await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    println!("Baryon is serving the AWS Proton API at {url}");
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
    axum::serve(listener, engine.router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
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
