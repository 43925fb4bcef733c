//! `baryon-engine`: the AWS Proton-compatible endpoint.
//!
//! - [`server`]: the HTTP front (awsJson 1.0 over `POST /`, `GET /health`).
//! - [`sigv4`]: verification of AWS Signature Version 4 on every request.
//! - [`protocol`]: `X-Amz-Target`, content type and body decoding.
//! - [`handlers`]: one module per resource family, dispatched from the generated `Operation`.
//! - [`bundle`], [`artifacts`]: template bundles and where they are read from.
//! - [`store`]: SQLite (default) or PostgreSQL through one set of SQL and migrations.
//! - [`context`]: the handler context with injected clock and ids.
//! - [`credentials`]: the key pair clients sign with.

use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest, Sha256};

pub mod artifacts;
pub mod bundle;
pub mod context;
pub mod credentials;
pub mod error;
pub mod handlers;
pub mod protocol;
pub mod server;
pub mod sigv4;
pub mod store;

pub use error::ApiError;

/// How to start an engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Directory for the SQLite database, credentials and artifacts.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: SQLite in the data dir.
    pub database_url: Option<String>,
    /// Region in ARNs.
    pub region: String,
    /// Account id in ARNs (12 digits).
    pub account_id: String,
}

/// Failures starting the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The data directory could not be created.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Storage failed to open or migrate.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// Credentials could not be loaded or created.
    #[error(transparent)]
    Credentials(#[from] credentials::CredentialsError),
}

/// A started engine: its router and where its credentials came from.
#[derive(Debug)]
pub struct Engine {
    /// The HTTP router to serve.
    pub router: axum::Router,
    /// The key pair clients sign with.
    pub credentials: credentials::Credentials,
    /// Where that key pair came from.
    pub credentials_source: credentials::Source,
    /// The database URL in use.
    pub database_url: String,
}

/// Opens storage, loads credentials and builds the router.
pub async fn start(config: EngineConfig) -> Result<Engine, EngineError> {
    if config.account_id.len() != 12 || !config.account_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EngineError::Config(format!(
            "account id must be 12 digits, got '{}'",
            config.account_id
        )));
    }
    if config.region.is_empty()
        || !config
            .region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(EngineError::Config(format!(
            "invalid region '{}'",
            config.region
        )));
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|source| EngineError::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    let database_url = config
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", config.data_dir.join("baryon.db").display()));
    let store = store::Store::open(&database_url, &config.account_id).await?;
    let (credentials, credentials_source) = credentials::load_or_create(&config.data_dir)?;
    let token_key: [u8; 32] = Sha256::new()
        .chain_update(b"baryon nextToken key\0")
        .chain_update(credentials.secret_access_key.as_bytes())
        .finalize()
        .into();
    let cx = context::Cx {
        store,
        artifacts: artifacts::ArtifactStore::new(config.data_dir.join("buckets")),
        config: Arc::new(context::Config {
            region: config.region,
            account_id: config.account_id,
        }),
        clock: Arc::new(context::SystemClock),
        ids: Arc::new(context::RandomIds),
        token_key: Arc::new(token_key),
    };
    let resumed = handlers::template_version::resume_registrations(&cx)
        .await
        .map_err(|e| EngineError::Config(format!("could not resume registrations: {e}")))?;
    let ended = handlers::environment::resume_deployments(&cx)
        .await
        .map_err(|e| EngineError::Config(format!("could not resume deployments: {e}")))?;
    if ended > 0 {
        tracing::info!(
            ended,
            "ending AWS-managed deployments left in progress (no provisioner)"
        );
    }
    if resumed > 0 {
        tracing::info!(
            resumed,
            "resuming template version registrations left in progress"
        );
    }
    let router = server::router(server::AppState {
        cx,
        credentials: Arc::new(vec![credentials.clone()]),
    });
    Ok(Engine {
        router,
        credentials,
        credentials_source,
        database_url,
    })
}
