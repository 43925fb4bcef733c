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
pub mod cbor;
pub mod cloudformation;
pub mod codebuild;
pub mod context;
pub mod credentials;
pub mod error;
pub mod extensions;
pub mod git;
pub mod handlers;
pub mod jobs;
pub mod protocol;
pub mod provision;
pub mod pull_request;
pub mod rendering;
pub mod server;
pub mod service_sync;
pub mod servicecatalog;
pub mod sigv4;
pub mod store;
pub mod template_sync;

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
    /// Account id in ARNs (12 digits): the engine's own (management) account.
    pub account_id: String,
    /// Further accounts served, as environment accounts that connect to the management
    /// account (environment account connections); each gets its own key pair, profile
    /// `account-<id>` of `<data-dir>/credentials`.
    pub environment_accounts: Vec<String>,
    /// Git base URLs by repository provider (`GITHUB` → `https://git.example.com/`): linked
    /// repositories of a mapped provider are mirrors of `<base><name>.git`; the others are bare
    /// repositories under `<data-dir>/repositories`.
    pub git_remotes: std::collections::BTreeMap<String, String>,
    /// How often template sync looks at the branches it follows.
    pub sync_interval: std::time::Duration,
    /// The CloudFormation API AWS-managed deployments are provisioned with; `None`: they fail
    /// saying no provisioner is configured.
    pub cloudformation: Option<cloudformation::CloudFormationConfig>,
    /// CodeBuild-style provisioning (runs template commands on this machine); `None`: off, and
    /// codebuild templates' deployments fail saying so.
    pub codebuild: Option<CodeBuildOptions>,
}

/// How `rendering_engine: codebuild` templates' commands run.
#[derive(Debug, Clone)]
pub struct CodeBuildOptions {
    /// The URL the commands reach this engine at (`AWS_ENDPOINT_URL`).
    pub endpoint_url: String,
    /// How long the commands of one deployment may run.
    pub timeout: std::time::Duration,
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
    /// The key pairs of the environment accounts, by account id.
    pub account_credentials: Vec<(String, credentials::Credentials)>,
    /// The database URL in use.
    pub database_url: String,
}

/// Opens storage, loads credentials and builds the router.
pub async fn start(config: EngineConfig) -> Result<Engine, EngineError> {
    for account in std::iter::once(&config.account_id).chain(&config.environment_accounts) {
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(EngineError::Config(format!(
                "account id must be 12 digits, got '{account}'"
            )));
        }
    }
    let mut accounts = vec![config.account_id.clone()];
    for account in &config.environment_accounts {
        if accounts.contains(account) {
            return Err(EngineError::Config(format!(
                "account {account} is given twice (the engine's own account is {})",
                config.account_id
            )));
        }
        accounts.push(account.clone());
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
    let account_credentials =
        credentials::load_or_create_accounts(&config.data_dir, &config.environment_accounts)?;
    let token_key: [u8; 32] = Sha256::new()
        .chain_update(b"baryon nextToken key\0")
        .chain_update(credentials.secret_access_key.as_bytes())
        .finalize()
        .into();
    let cfn = config
        .cloudformation
        .as_ref()
        .map(cloudformation::CloudFormation::new)
        .transpose()
        .map_err(EngineError::Config)?
        .map(Arc::new);
    let codebuild = config.codebuild.as_ref().map(|o| {
        Arc::new(codebuild::CodeBuild::new(codebuild::CodeBuildConfig {
            root: config.data_dir.join("codebuild"),
            endpoint_url: o.endpoint_url.clone(),
            region: config.region.clone(),
            credentials: std::iter::once((config.account_id.clone(), credentials.clone()))
                .chain(account_credentials.iter().cloned())
                .collect(),
            timeout: o.timeout,
        }))
    });
    let cx = context::Cx {
        store,
        artifacts: artifacts::ArtifactStore::new(config.data_dir.join("buckets")),
        config: Arc::new(context::Config {
            region: config.region,
            account_id: config.account_id.clone(),
            accounts: accounts.clone(),
        }),
        clock: Arc::new(context::SystemClock),
        ids: Arc::new(context::RandomIds),
        token_key: Arc::new(token_key),
        wake: Arc::new(tokio::sync::Notify::new()),
        sync_wake: Arc::new(tokio::sync::Notify::new()),
        repositories: Arc::new(git::Repositories::new(
            config.data_dir.join("repositories"),
            config.git_remotes.clone(),
        )),
        cloudformation: cfn,
        codebuild,
    };
    if cx.store.is_sqlite() {
        // The embedded engine is the only worker on its database: leases still held were
        // its previous process's.
        let released = cx.store.release_leases().await?;
        if released > 0 {
            tracing::info!(released, "resuming jobs a previous run left unfinished");
        }
    }
    let mut recovered = 0;
    for account in &accounts {
        recovered += jobs::recover(&cx.for_account(account))
            .await
            .map_err(|e| EngineError::Config(format!("could not recover background work: {e}")))?;
    }
    if recovered > 0 {
        tracing::info!(recovered, "queued work left in progress without a job");
    }
    jobs::spawn_worker(cx.clone());
    template_sync::spawn(cx.clone(), accounts.clone(), config.sync_interval);
    let keys = std::iter::once((config.account_id.clone(), credentials.clone()))
        .chain(account_credentials.iter().cloned())
        .collect();
    let router = server::router(server::AppState {
        cx,
        credentials: Arc::new(keys),
    });
    Ok(Engine {
        router,
        credentials,
        credentials_source,
        account_credentials,
        database_url,
    })
}
