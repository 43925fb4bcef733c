//! `Cx`: what every handler gets — the store, the configuration, and the injected clock and
//! id generator (so tests are deterministic).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use baryon_model::Timestamp;
use sha2::{Digest, Sha256};

use crate::artifacts::ArtifactStore;
use crate::error::ApiError;
use crate::store::Store;

/// A source of time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp::from_millis(millis)
    }
}

/// A source of unique ids (deployment ids, request ids).
pub trait IdGen: Send + Sync + std::fmt::Debug {
    /// A new UUID-shaped id.
    fn uuid(&self) -> String;
}

/// Random, time-ordered (v7) UUIDs: ids sort in creation order, which lists rely on.
#[derive(Debug, Default)]
pub struct RandomIds;

impl IdGen for RandomIds {
    fn uuid(&self) -> String {
        uuid::Uuid::now_v7().to_string()
    }
}

/// Sequential UUID-shaped ids for tests.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGen for SequentialIds {
    fn uuid(&self) -> String {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        format!("00000000-0000-4000-8000-{n:012x}")
    }
}

/// Engine configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The region ARNs name.
    pub region: String,
    /// The account of the request being handled (12 digits): the engine's own account, or
    /// one of its environment accounts.
    pub account_id: String,
    /// Every account this engine serves, its own first.
    pub accounts: Vec<String>,
}

/// The handler context.
#[derive(Debug, Clone)]
pub struct Cx {
    /// Storage.
    pub store: Store,
    /// Where template bundles are read from.
    pub artifacts: ArtifactStore,
    /// Configuration.
    pub config: Arc<Config>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// Ids.
    pub ids: Arc<dyn IdGen>,
    /// Key for tamper-evident pagination tokens.
    pub token_key: Arc<[u8; 32]>,
    /// Wakes the job worker when a job is enqueued.
    pub wake: Arc<tokio::sync::Notify>,
    /// Wakes the sync worker before its interval ends (a push, a webhook, a new sync config).
    pub sync_wake: Arc<tokio::sync::Notify>,
    /// Linked git repositories.
    pub repositories: Arc<crate::git::Repositories>,
    /// The CloudFormation provisioner, when an endpoint is configured.
    pub cloudformation: Option<Arc<crate::cloudformation::CloudFormation>>,
    /// The CodeBuild-style provisioner, when enabled.
    pub codebuild: Option<Arc<crate::codebuild::CodeBuild>>,
}

impl Cx {
    /// The same context acting for another account this engine serves.
    #[must_use]
    pub fn for_account(&self, account_id: &str) -> Cx {
        if account_id == self.config.account_id {
            return self.clone();
        }
        Cx {
            store: self.store.for_account(account_id),
            config: Arc::new(Config {
                account_id: account_id.to_owned(),
                ..(*self.config).clone()
            }),
            ..self.clone()
        }
    }

    /// `arn:aws:proton:<region>:<account>:<resource>`.
    pub fn arn(&self, resource: &str) -> String {
        format!(
            "arn:aws:proton:{}:{}:{resource}",
            self.config.region, self.config.account_id
        )
    }

    /// An opaque, tamper-evident `nextToken` continuing after `after` in `scope`: the hex of
    /// the key followed by a MAC, so it satisfies the model's `^[A-Za-z0-9+=/]+$`.
    pub fn next_token(&self, scope: &str, after: &str) -> String {
        let payload = hex::encode(after.as_bytes());
        let mac = self.token_mac(scope, &payload);
        payload + &mac
    }

    /// Decodes a `nextToken` made by [`Cx::next_token`] for the same scope.
    pub fn parse_next_token(&self, scope: &str, token: &str) -> Result<String, ApiError> {
        let invalid = || ApiError::Validation(format!("The nextToken '{token}' is not valid."));
        let split = token.len().checked_sub(TOKEN_MAC_HEX).ok_or_else(invalid)?;
        let (payload, mac) = (
            token.get(..split).ok_or_else(invalid)?,
            token.get(split..).ok_or_else(invalid)?,
        );
        if self.token_mac(scope, payload) != mac {
            return Err(invalid());
        }
        String::from_utf8(hex::decode(payload).map_err(|_| invalid())?).map_err(|_| invalid())
    }

    fn token_mac(&self, scope: &str, payload: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.token_key.as_slice());
        h.update(scope.as_bytes());
        h.update([0]);
        h.update(payload.as_bytes());
        hex::encode(&h.finalize()[..TOKEN_MAC_HEX / 2])
    }
}

/// Hex digits of MAC at the end of a `nextToken`.
const TOKEN_MAC_HEX: usize = 24;
