//! `baryon proxy`: the console's signing proxy in front of any Proton endpoint, with the
//! caller's AWS credentials (found the usual AWS way) and a fixed upstream.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use baryon_proxy::{Proxy, ProxyConfig, credentials};

use crate::serve::{console_dir, shutdown_signal};

/// Options of `baryon proxy`.
#[derive(clap::Args)]
pub struct ProxyArgs {
    /// The Proton endpoint to forward to, `https://host[:port]` (or `http://` on a trusted
    /// network). Fixed for the proxy's life: browsers cannot choose where requests go.
    #[arg(long)]
    pub upstream: String,
    /// Where the console's bundle uploads go: an S3-compatible store (`https://host[:port]`,
    /// path-style buckets) or `aws` for Amazon S3 in the signing region, with the same
    /// credentials. Without it uploads answer 501 (upload bundles to S3 yourself).
    #[arg(long, value_name = "aws|URL")]
    pub bundle_store: Option<String>,
    /// Address to listen on. Anything but loopback needs `--allow-remote`.
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,
    /// Region to sign for. Default: `AWS_REGION`, `AWS_DEFAULT_REGION`, else us-east-1.
    #[arg(long)]
    pub region: Option<String>,
    /// Profile of the shared credentials file (wins over AWS_ACCESS_KEY_ID, like the AWS CLI).
    /// Default: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, else profile AWS_PROFILE or default.
    #[arg(long)]
    pub profile: Option<String>,
    /// Allow listening on a non-loopback address. Every request then needs the login token.
    #[arg(long)]
    pub allow_remote: bool,
    /// The login token (at least 16 characters); generated and printed when `--allow-remote`
    /// is given without one.
    #[arg(long)]
    pub login_token: Option<String>,
    /// Directory of the built console (default: `web/dist` when it exists).
    #[arg(long)]
    pub console_dir: Option<PathBuf>,
}

/// The region: the flag, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else us-east-1.
fn region(flag: Option<String>) -> String {
    flag.or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "us-east-1".to_owned())
}

/// Runs the proxy until SIGINT/SIGTERM.
pub async fn proxy(args: ProxyArgs) -> Result<()> {
    let remote = !args.listen.ip().is_loopback();
    if remote && !args.allow_remote {
        bail!(
            "refusing to listen on {}: it is not a loopback address, and the proxy signs \
             requests with your AWS credentials for whoever reaches it. Pass --allow-remote to \
             expose it behind a login token.",
            args.listen
        );
    }
    let (credentials, source) =
        credentials::resolve(args.profile.as_deref(), |k| std::env::var(k).ok())?;
    let login_token = match args.login_token {
        Some(t) => Some(t),
        None if remote => Some(baryon_proxy::generate_login_token()?),
        None => None,
    };
    let region = region(args.region);
    let mut config = ProxyConfig::new(args.upstream, region.clone(), credentials);
    config.bind_remote = remote;
    config.login_token.clone_from(&login_token);
    config.bundle_store = args.bundle_store;
    let proxy = Proxy::new(config)?;
    let upstream = proxy.upstream().uri().to_string();
    let console = console_dir(args.console_dir)?;
    let mut app = baryon_proxy::router(proxy);
    if let Some(dir) = &console {
        app = app.merge(baryon_proxy::console::router(dir));
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!("Baryon proxy listening at http://{addr}, forwarding to {upstream}");
    println!("Signing for region {region} with credentials from {source}");
    match &console {
        Some(dir) => println!(
            "Console: open http://{addr}/ (files from {})",
            dir.display()
        ),
        None => println!("No console files: pass --console-dir DIR (default web/dist)"),
    }
    if let Some(token) = &login_token {
        println!(
            "Login token (send 'Authorization: Bearer <token>' or a baryon_token cookie): {token}"
        );
    }
    tracing::info!(%addr, %upstream, remote, "proxy listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}
