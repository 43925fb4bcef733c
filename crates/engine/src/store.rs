//! Storage: SQLite (embedded default) or PostgreSQL, through `sqlx`'s `Any` driver so both
//! back ends run the same SQL and the same migrations (`migrations/`).
//!
//! Each resource is one row of `resources`: indexed columns (kind, account, name, parent,
//! status, ARN, timestamps, a row version for optimistic concurrency) plus the full resource
//! as the API returns it, as a JSON document. Lists are keyset-paginated on `name`, so a page
//! costs O(page) whatever the table size.

use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};

use crate::error::ApiError;

/// Storage failures. Handlers turn them into `InternalServerException` without leaking SQL.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored document is not the JSON we wrote.
    #[error("corrupt stored document: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// The database URL is not one we support.
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage failure");
        ApiError::InternalServer("An internal error occurred while storing the request.".into())
    }
}

/// A stored resource row.
#[derive(Debug, Clone)]
pub struct Row_<T> {
    /// The resource document.
    pub doc: T,
    /// Row version, incremented on every write (optimistic concurrency).
    pub version: i64,
}

/// What `list` returns: one page and the key to continue after.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The page, ordered by name.
    pub items: Vec<T>,
    /// The last name of the page when more rows follow.
    pub next_after: Option<String>,
}

/// The kinds of resource rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `EnvironmentTemplate`.
    EnvironmentTemplate,
    /// `EnvironmentTemplateVersion`, named `<template>/<major>.<minor>`.
    EnvironmentTemplateVersion,
    /// `ServiceTemplate`.
    ServiceTemplate,
    /// `ServiceTemplateVersion`, named `<template>/<major>.<minor>`.
    ServiceTemplateVersion,
    /// `Environment`.
    Environment,
    /// `Service`.
    Service,
    /// `ServiceInstance`, named `<service>/<instance>`.
    ServiceInstance,
    /// A service's pipeline, named by the service.
    ServicePipeline,
    /// `Component`.
    Component,
    /// `EnvironmentAccountConnection`, named by id.
    EnvironmentAccountConnection,
    /// `Repository`, named `<provider>:<name>`.
    Repository,
    /// `Deployment`, named by its (time-ordered) id, parent = environment name.
    Deployment,
    /// A resource's outputs, named `<arn>#outputs`.
    Outputs,
    /// `TemplateSyncConfig`, named `<TYPE>/<template>`, parent = `<PROVIDER>:<repository>`.
    TemplateSyncConfig,
    /// `ServiceSyncConfig`, named by its service, parent = `<PROVIDER>:<repository>`.
    ServiceSyncConfig,
    /// Recorded sync state of a template version, service instance or repository branch.
    SyncStatus,
    /// A service sync blocker, named by its id, parent = its service.
    SyncBlocker,
    /// The account settings (one row, named `settings`).
    AccountSettings,
    /// Service Catalog product, named by its id (`prod-…`).
    CatalogProduct,
    /// Service Catalog provisioning artifact, named `<product id>/<artifact id>`, parent = product.
    CatalogArtifact,
    /// Service Catalog portfolio, named by its id (`port-…`).
    CatalogPortfolio,
    /// A product's association with a portfolio, named `<product id>/<portfolio id>`,
    /// parent = portfolio.
    CatalogPortfolioProduct,
    /// A principal associated with a portfolio, named `<portfolio id>/<principal ARN>`,
    /// parent = portfolio.
    CatalogPrincipal,
    /// Service Catalog provisioned product, named by its id (`pp-…`), status = its status.
    CatalogProvisionedProduct,
    /// The unique-name index of provisioned products: named by the name, doc = the id.
    CatalogProvisionedProductName,
    /// Service Catalog record, named by its (time-ordered) id, parent = provisioned product,
    /// status = record status.
    CatalogRecord,
}

impl Kind {
    /// The `kind` column value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EnvironmentTemplate => "environment_template",
            Self::EnvironmentTemplateVersion => "environment_template_version",
            Self::ServiceTemplate => "service_template",
            Self::ServiceTemplateVersion => "service_template_version",
            Self::Environment => "environment",
            Self::Service => "service",
            Self::ServiceInstance => "service_instance",
            Self::ServicePipeline => "service_pipeline",
            Self::Component => "component",
            Self::EnvironmentAccountConnection => "environment_account_connection",
            Self::Repository => "repository",
            Self::Deployment => "deployment",
            Self::Outputs => "outputs",
            Self::TemplateSyncConfig => "template_sync_config",
            Self::ServiceSyncConfig => "service_sync_config",
            Self::SyncStatus => "sync_status",
            Self::SyncBlocker => "sync_blocker",
            Self::AccountSettings => "account_settings",
            Self::CatalogProduct => "sc_product",
            Self::CatalogArtifact => "sc_provisioning_artifact",
            Self::CatalogPortfolio => "sc_portfolio",
            Self::CatalogPortfolioProduct => "sc_portfolio_product",
            Self::CatalogPrincipal => "sc_portfolio_principal",
            Self::CatalogProvisionedProduct => "sc_provisioned_product",
            Self::CatalogProvisionedProductName => "sc_provisioned_product_name",
            Self::CatalogRecord => "sc_record",
        }
    }
}

/// Columns written with a resource besides its document.
#[derive(Debug, Clone, Default)]
pub struct Columns<'a> {
    /// The resource's unique name within its kind and account.
    pub name: &'a str,
    /// Parent key (template name for versions, service name for instances), or empty.
    pub parent: &'a str,
    /// Status used for filtering, or empty.
    pub status: &'a str,
    /// The resource's ARN.
    pub arn: &'a str,
}

/// A resource row to insert together with others (see [`Store::insert_all`]).
#[derive(Debug, Clone)]
pub struct NewRow {
    /// Kind.
    pub kind: Kind,
    /// Name.
    pub name: String,
    /// Parent.
    pub parent: String,
    /// Status.
    pub status: String,
    /// ARN.
    pub arn: String,
    /// The document, as JSON text.
    pub doc: String,
}

impl NewRow {
    /// A row of `kind` with these columns and document.
    pub fn new<T: Serialize>(kind: Kind, cols: &Columns<'_>, doc: &T) -> Result<Self, StoreError> {
        Ok(Self {
            kind,
            name: cols.name.to_owned(),
            parent: cols.parent.to_owned(),
            status: cols.status.to_owned(),
            arn: cols.arn.to_owned(),
            doc: serde_json::to_string(doc)?,
        })
    }

    fn columns(&self) -> Columns<'_> {
        Columns {
            name: &self.name,
            parent: &self.parent,
            status: &self.status,
            arn: &self.arn,
        }
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    /// Unique id.
    pub id: &'a str,
    /// What to do (`deploy`, `register:<version kind>`).
    pub kind: &'a str,
    /// What to do it to (a deployment id, a version row name).
    pub subject: &'a str,
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Unique id.
    pub id: String,
    /// The account it acts for.
    pub account_id: String,
    /// What to do.
    pub kind: String,
    /// What to do it to.
    pub subject: String,
    /// Where the work stands (`start`, then what the job records).
    pub step: String,
    /// How many times it was claimed (this claim included).
    pub attempts: i64,
}

/// The database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    account_id: String,
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Turns `limit + 1` fetched rows (`name`, `doc`, `version`) into a page: at most `limit`
/// items and, when a further row exists, the name to continue after.
fn page<T>(
    rows: Vec<sqlx::any::AnyRow>,
    limit: usize,
    item: impl Fn(&str, i64) -> Result<T, StoreError>,
) -> Result<Page<T>, StoreError> {
    let more = rows.len() > limit;
    let mut items = Vec::with_capacity(rows.len().min(limit));
    let mut last = None;
    for r in rows.into_iter().take(limit) {
        let doc: String = r.try_get("doc")?;
        items.push(item(&doc, r.try_get("version")?)?);
        last = Some(r.try_get::<String, _>("name")?);
    }
    Ok(Page {
        items,
        next_after: if more { last } else { None },
    })
}

impl Store {
    /// Opens (creating if needed) the database at `url` and runs the migrations.
    /// `sqlite://path` or `postgres://…`.
    pub async fn open(url: &str, account_id: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let is_sqlite = url.starts_with("sqlite:");
        if !is_sqlite && !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        let url = if is_sqlite && !url.contains('?') {
            format!("{url}?mode=rwc")
        } else {
            url.to_owned()
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if is_sqlite { 4 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if is_sqlite {
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        if is_sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self {
            pool,
            account_id: account_id.to_owned(),
        })
    }

    /// The account this store reads and writes.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The same database, reading and writing another account's resources.
    #[must_use]
    pub fn for_account(&self, account_id: &str) -> Self {
        Self {
            pool: self.pool.clone(),
            account_id: account_id.to_owned(),
        }
    }

    /// A resource of `kind` named `name` in whichever account holds it (for resources named
    /// by a globally unique id, such as environment account connections), with that account.
    pub async fn get_any_account<T: DeserializeOwned>(
        &self,
        kind: Kind,
        name: &str,
    ) -> Result<Option<(String, Row_<T>)>, StoreError> {
        let row = sqlx::query(
            "SELECT account_id, doc, version FROM resources WHERE kind = $1 AND name = $2",
        )
        .bind(kind.as_str())
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| -> Result<_, StoreError> {
            let doc: String = r.try_get("doc")?;
            Ok((
                r.try_get("account_id")?,
                Row_ {
                    doc: serde_json::from_str(&doc)?,
                    version: r.try_get("version")?,
                },
            ))
        })
        .transpose()
    }

    /// One page of resources of `kind` under `parent` in every account, ordered by name.
    pub async fn list_under_any_account<T: DeserializeOwned>(
        &self,
        kind: Kind,
        parent: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<T>, StoreError> {
        let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
        let rows = sqlx::query(
            "SELECT name, doc, version FROM resources WHERE kind = $1 AND parent = $2 \
             AND name > $3 ORDER BY name LIMIT $4",
        )
        .bind(kind.as_str())
        .bind(parent)
        .bind(after.unwrap_or(""))
        .bind(fetch)
        .fetch_all(&self.pool)
        .await?;
        page(rows, limit, |doc, _| Ok(serde_json::from_str(doc)?))
    }

    /// The connection pool (for transactions spanning several writes).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Reads one resource.
    pub async fn get<T: DeserializeOwned>(
        &self,
        kind: Kind,
        name: &str,
    ) -> Result<Option<Row_<T>>, StoreError> {
        let row = sqlx::query(
            "SELECT doc, version FROM resources WHERE kind = $1 AND account_id = $2 AND name = $3",
        )
        .bind(kind.as_str())
        .bind(&self.account_id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| -> Result<_, StoreError> {
            let doc: String = r.try_get("doc")?;
            Ok(Row_ {
                doc: serde_json::from_str(&doc)?,
                version: r.try_get("version")?,
            })
        })
        .transpose()
    }

    /// Inserts a new resource; `Ok(false)` when the name is taken.
    pub async fn insert<T: Serialize>(
        &self,
        kind: Kind,
        cols: &Columns<'_>,
        doc: &T,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let inserted = self
            .insert_row(&mut tx, kind, cols, doc, now_millis())
            .await?;
        tx.commit().await?;
        Ok(inserted)
    }

    async fn insert_row<T: Serialize>(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        kind: Kind,
        cols: &Columns<'_>,
        doc: &T,
        now: i64,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO resources (kind, account_id, name, parent, status, arn, created_at, updated_at, version, doc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1, $8) ON CONFLICT (kind, account_id, name) DO NOTHING",
        )
        .bind(kind.as_str())
        .bind(&self.account_id)
        .bind(cols.name)
        .bind(cols.parent)
        .bind(cols.status)
        .bind(cols.arn)
        .bind(now)
        .bind(serde_json::to_string(doc)?)
        .execute(&mut **tx)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Replaces a resource (document, status and parent) if its row version is still
    /// `version`; `Ok(false)` when another write got there first.
    pub async fn update<T: Serialize>(
        &self,
        kind: Kind,
        cols: &Columns<'_>,
        version: i64,
        doc: &T,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE resources SET status = $1, updated_at = $2, version = version + 1, doc = $3, \
             parent = $8 WHERE kind = $4 AND account_id = $5 AND name = $6 AND version = $7",
        )
        .bind(cols.status)
        .bind(now_millis())
        .bind(serde_json::to_string(doc)?)
        .bind(kind.as_str())
        .bind(&self.account_id)
        .bind(cols.name)
        .bind(version)
        .bind(cols.parent)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Deletes a resource, its tags and its creation record (`create_scope`), in one
    /// transaction; `Ok(false)` when it was not there.
    pub async fn delete(
        &self,
        kind: Kind,
        name: &str,
        arn: &str,
        create_scope: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let result =
            sqlx::query("DELETE FROM resources WHERE kind = $1 AND account_id = $2 AND name = $3")
                .bind(kind.as_str())
                .bind(&self.account_id)
                .bind(name)
                .execute(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM tags WHERE arn = $1")
            .bind(arn)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM idempotency WHERE account_id = $1 AND operation = $2 AND token = $3",
        )
        .bind(&self.account_id)
        .bind(create_scope)
        .bind(name)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(result.rows_affected() == 1)
    }

    /// Inserts rows (and enqueues jobs) in one transaction, all or nothing; `Ok(false)` (and
    /// nothing written) when any name is taken.
    pub async fn insert_all(
        &self,
        rows: &[NewRow],
        jobs: &[NewJob<'_>],
    ) -> Result<bool, StoreError> {
        let now = now_millis();
        let mut tx = self.pool.begin().await?;
        if !self.insert_rows(&mut tx, rows, jobs, now).await? {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn insert_rows(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        rows: &[NewRow],
        jobs: &[NewJob<'_>],
        now: i64,
    ) -> Result<bool, StoreError> {
        for row in rows {
            let doc: serde_json::Value = serde_json::from_str(&row.doc)?;
            if !self
                .insert_row(tx, row.kind, &row.columns(), &doc, now)
                .await?
            {
                return Ok(false);
            }
        }
        for job in jobs {
            self.enqueue_in(tx, job, now).await?;
        }
        Ok(true)
    }

    /// Inserts a new resource together with the hash of the request that created it (under
    /// `scope`, keyed by name) and any further rows and jobs that come with it (its first
    /// deployment), in one transaction; `Ok(false)` (and nothing written) when a name is taken.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_with_request<T: Serialize>(
        &self,
        kind: Kind,
        cols: &Columns<'_>,
        doc: &T,
        scope: &str,
        request_hash: &str,
        extra: &[NewRow],
        jobs: &[NewJob<'_>],
    ) -> Result<bool, StoreError> {
        let now = now_millis();
        let mut tx = self.pool.begin().await?;
        if !self.insert_row(&mut tx, kind, cols, doc, now).await?
            || !self.insert_rows(&mut tx, extra, jobs, now).await?
        {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO idempotency (account_id, operation, token, request_hash, response, created_at) \
             VALUES ($1, $2, $3, $4, '', $5) \
             ON CONFLICT (account_id, operation, token) DO UPDATE SET request_hash = excluded.request_hash, created_at = excluded.created_at",
        )
        .bind(&self.account_id)
        .bind(scope)
        .bind(cols.name)
        .bind(request_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// One write of several rows, all or nothing: rows replaced if their row version is still
    /// the given one (`(kind, columns, version, document)`), rows deleted
    /// (`(kind, name)`), rows inserted, jobs enqueued and a client token
    /// `(scope, token, request hash)` recorded as naming `token_names`. `Ok(false)` (and
    /// nothing written) when a version moved on or an inserted name is taken.
    #[allow(clippy::too_many_arguments)]
    pub async fn write_all(
        &self,
        updates: &[(Kind, Columns<'_>, i64, String)],
        deletes: &[(Kind, &str)],
        rows: &[NewRow],
        jobs: &[NewJob<'_>],
        token: Option<((&str, &str, &str), &str)>,
    ) -> Result<bool, StoreError> {
        let now = now_millis();
        let mut tx = self.pool.begin().await?;
        for (kind, cols, version, doc) in updates {
            let result = sqlx::query(
                "UPDATE resources SET status = $1, updated_at = $2, version = version + 1, doc = $3, \
                 parent = $8 WHERE kind = $4 AND account_id = $5 AND name = $6 AND version = $7",
            )
            .bind(cols.status)
            .bind(now)
            .bind(doc)
            .bind(kind.as_str())
            .bind(&self.account_id)
            .bind(cols.name)
            .bind(*version)
            .bind(cols.parent)
            .execute(&mut *tx)
            .await?;
            if result.rows_affected() != 1 {
                return Ok(false);
            }
        }
        for (kind, name) in deletes {
            sqlx::query("DELETE FROM resources WHERE kind = $1 AND account_id = $2 AND name = $3")
                .bind(kind.as_str())
                .bind(&self.account_id)
                .bind(*name)
                .execute(&mut *tx)
                .await?;
        }
        if !self.insert_rows(&mut tx, rows, jobs, now).await? {
            return Ok(false);
        }
        if let Some((token, name)) = token {
            self.record_token(&mut tx, token, name, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces the hash recorded by [`Store::insert_with_request`] for `name` under `scope`.
    pub async fn set_request_hash(
        &self,
        scope: &str,
        name: &str,
        hash: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE idempotency SET request_hash = $1 WHERE account_id = $2 AND operation = $3 AND token = $4")
            .bind(hash)
            .bind(&self.account_id)
            .bind(scope)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The hash recorded by [`Store::insert_with_request`] for `name` under `scope`.
    pub async fn request_hash_for(
        &self,
        scope: &str,
        name: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT request_hash FROM idempotency WHERE account_id = $1 AND operation = $2 AND token = $3",
        )
        .bind(&self.account_id)
        .bind(scope)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get("request_hash"))
            .transpose()
            .map_err(Into::into)
    }

    /// One page of resources of `kind` (optionally under `parent`), ordered by name, after
    /// the name `after`.
    pub async fn list<T: DeserializeOwned>(
        &self,
        kind: Kind,
        parent: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<T>, StoreError> {
        let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
        let rows = sqlx::query(
            "SELECT name, doc, version FROM resources WHERE kind = $1 AND account_id = $2 \
             AND ($3 = '' OR parent = $4) AND name > $5 ORDER BY name LIMIT $6",
        )
        .bind(kind.as_str())
        .bind(&self.account_id)
        .bind(parent.unwrap_or(""))
        .bind(parent.unwrap_or(""))
        .bind(after.unwrap_or(""))
        .bind(fetch)
        .fetch_all(&self.pool)
        .await?;
        page(rows, limit, |doc, _| Ok(serde_json::from_str(doc)?))
    }

    /// One page of resources of `kind` whose name starts with `prefix`, in name order, each
    /// with its row version.
    pub async fn list_prefixed<T: DeserializeOwned>(
        &self,
        kind: Kind,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<(T, i64)>, StoreError> {
        // Names are ASCII; the range [prefix, prefix + U+FFFF) holds exactly the names that
        // start with it, and is an index range scan on both back ends.
        let upper = format!("{prefix}\u{ffff}");
        let lower = match after {
            Some(a) if a >= prefix => a.to_owned(),
            _ => String::new(),
        };
        let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
        let rows = sqlx::query(
            "SELECT name, doc, version FROM resources WHERE kind = $1 AND account_id = $2 \
             AND name >= $3 AND name < $4 AND name > $5 ORDER BY name LIMIT $6",
        )
        .bind(kind.as_str())
        .bind(&self.account_id)
        .bind(prefix)
        .bind(&upper)
        .bind(&lower)
        .bind(fetch)
        .fetch_all(&self.pool)
        .await?;
        page(rows, limit, |doc, version| {
            Ok((serde_json::from_str(doc)?, version))
        })
    }

    /// Every resource of `kind` with `status` (used at start-up to resume work).
    pub async fn list_by_status<T: DeserializeOwned>(
        &self,
        kind: Kind,
        status: &str,
    ) -> Result<Vec<T>, StoreError> {
        let rows = sqlx::query(
            "SELECT doc FROM resources WHERE kind = $1 AND account_id = $2 AND status = $3 ORDER BY name",
        )
        .bind(kind.as_str())
        .bind(&self.account_id)
        .bind(status)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| Ok(serde_json::from_str(&r.try_get::<String, _>("doc")?)?))
            .collect()
    }

    /// A client token recorded under `scope` no earlier than `since_millis`:
    /// (request hash, name of the resource it created).
    pub async fn client_token(
        &self,
        scope: &str,
        token: &str,
        since_millis: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT request_hash, response FROM idempotency WHERE account_id = $1 AND operation = $2 \
             AND token = $3 AND created_at >= $4",
        )
        .bind(&self.account_id)
        .bind(scope)
        .bind(token)
        .bind(since_millis)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get("request_hash")?, r.try_get("response")?)))
            .transpose()
    }

    /// Inserts a template version, its bundle source, its registration job and (when given)
    /// its client token `(scope, token, request hash)`, in one transaction; `Ok(false)` when the
    /// name is taken.
    pub async fn insert_version<T: Serialize, S: Serialize>(
        &self,
        kind: Kind,
        cols: &Columns<'_>,
        doc: &T,
        source: &S,
        token: Option<(&str, &str, &str)>,
        job: &NewJob<'_>,
    ) -> Result<bool, StoreError> {
        let now = now_millis();
        let mut tx = self.pool.begin().await?;
        if !self.insert_row(&mut tx, kind, cols, doc, now).await? {
            return Ok(false);
        }
        self.enqueue_in(&mut tx, job, now).await?;
        sqlx::query(
            "INSERT INTO registrations (kind, account_id, name, source) VALUES ($1, $2, $3, $4)",
        )
        .bind(kind.as_str())
        .bind(&self.account_id)
        .bind(cols.name)
        .bind(serde_json::to_string(source)?)
        .execute(&mut *tx)
        .await?;
        if let Some(token) = token {
            self.record_token(&mut tx, token, cols.name, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Records a client token `(scope, token, request hash)` as having created `name`.
    async fn record_token(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        (scope, token, hash): (&str, &str, &str),
        name: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO idempotency (account_id, operation, token, request_hash, response, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, operation, token) \
             DO UPDATE SET request_hash = excluded.request_hash, response = excluded.response, created_at = excluded.created_at",
        )
        .bind(&self.account_id)
        .bind(scope)
        .bind(token)
        .bind(hash)
        .bind(name)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Inserts a new resource and (when given) the client token `(scope, token, request hash)`
    /// that created it, in one transaction; `Ok(false)` when the name is taken.
    pub async fn insert_with_token<T: Serialize>(
        &self,
        kind: Kind,
        cols: &Columns<'_>,
        doc: &T,
        token: Option<(&str, &str, &str)>,
    ) -> Result<bool, StoreError> {
        let now = now_millis();
        let mut tx = self.pool.begin().await?;
        if !self.insert_row(&mut tx, kind, cols, doc, now).await? {
            return Ok(false);
        }
        if let Some(token) = token {
            self.record_token(&mut tx, token, cols.name, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The bundle source recorded with a template version.
    pub async fn version_source<S: DeserializeOwned>(
        &self,
        kind: Kind,
        name: &str,
    ) -> Result<Option<S>, StoreError> {
        let row = sqlx::query(
            "SELECT source FROM registrations WHERE kind = $1 AND account_id = $2 AND name = $3",
        )
        .bind(kind.as_str())
        .bind(&self.account_id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok(serde_json::from_str(&r.try_get::<String, _>("source")?)?))
            .transpose()
    }

    /// Whether any resource of `kind` has `parent`.
    pub async fn has_children(&self, kind: Kind, parent: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM resources WHERE kind = $1 AND account_id = $2 AND parent = $3",
        )
        .bind(kind.as_str())
        .bind(&self.account_id)
        .bind(parent)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// The tags of a resource, ordered by key.
    pub async fn tags(&self, arn: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT key, value FROM tags WHERE arn = $1 ORDER BY key")
            .bind(arn)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get("key")?, r.try_get("value")?)))
            .collect()
    }

    /// Sets tags (insert or overwrite), in one transaction.
    pub async fn put_tags(&self, arn: &str, tags: &[(String, String)]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for (k, v) in tags {
            sqlx::query(
                "INSERT INTO tags (arn, key, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value",
            )
            .bind(arn)
            .bind(k)
            .bind(v)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes tags by key, in one transaction.
    pub async fn remove_tags(&self, arn: &str, keys: &[String]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for k in keys {
            sqlx::query("DELETE FROM tags WHERE arn = $1 AND key = $2")
                .bind(arn)
                .bind(k)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether a resource with this ARN exists (for tagging).
    pub async fn arn_exists(&self, arn: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM resources WHERE arn = $1")
            .bind(arn)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    // --- the job queue -------------------------------------------------------------------

    async fn enqueue_in(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        job: &NewJob<'_>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO jobs (id, account_id, kind, subject, step, run_after, created_at) \
             VALUES ($1, $2, $3, $4, 'start', $5, $5)",
        )
        .bind(job.id)
        .bind(&self.account_id)
        .bind(job.kind)
        .bind(job.subject)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Enqueues a job, due now.
    pub async fn enqueue(&self, job: &NewJob<'_>) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        self.enqueue_in(&mut tx, job, now_millis()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Inserts a new resource and enqueues the job that works on it, in one transaction;
    /// `Ok(false)` (and no job) when the name is taken.
    pub async fn insert_with_job<T: Serialize>(
        &self,
        kind: Kind,
        cols: &Columns<'_>,
        doc: &T,
        job: &NewJob<'_>,
    ) -> Result<bool, StoreError> {
        let now = now_millis();
        let mut tx = self.pool.begin().await?;
        if !self.insert_row(&mut tx, kind, cols, doc, now).await? {
            return Ok(false);
        }
        self.enqueue_in(&mut tx, job, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Claims the oldest due job of any account for `lease_millis`: a conditional UPDATE on
    /// its lease, so two workers never both win it; a job whose lease expired is due again.
    pub async fn claim_job(&self, lease_millis: i64) -> Result<Option<Job>, StoreError> {
        for _ in 0..5 {
            let now = now_millis();
            let Some(row) = sqlx::query(
                "SELECT id FROM jobs WHERE run_after <= $1 AND lease_until <= $1 \
                 ORDER BY run_after, id LIMIT 1",
            )
            .bind(now)
            .fetch_optional(&self.pool)
            .await?
            else {
                return Ok(None);
            };
            let id: String = row.try_get("id")?;
            let claimed = sqlx::query(
                "UPDATE jobs SET lease_until = $1, attempts = attempts + 1 \
                 WHERE id = $2 AND lease_until <= $3 AND run_after <= $3",
            )
            .bind(now.saturating_add(lease_millis))
            .bind(&id)
            .bind(now)
            .execute(&self.pool)
            .await?;
            if claimed.rows_affected() == 1 {
                let r = sqlx::query(
                    "SELECT id, account_id, kind, subject, step, attempts FROM jobs WHERE id = $1",
                )
                .bind(&id)
                .fetch_one(&self.pool)
                .await?;
                return Ok(Some(Job {
                    id: r.try_get("id")?,
                    account_id: r.try_get("account_id")?,
                    kind: r.try_get("kind")?,
                    subject: r.try_get("subject")?,
                    step: r.try_get("step")?,
                    attempts: r.try_get("attempts")?,
                }));
            }
        }
        Ok(None)
    }

    /// Removes a finished job.
    pub async fn finish_job(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM jobs WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Releases a job to run again at `run_after_millis`, at `step`; `reset_attempts` when it
    /// made progress (so attempts count failures in a row).
    pub async fn defer_job(
        &self,
        id: &str,
        step: &str,
        run_after_millis: i64,
        reset_attempts: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE jobs SET step = $1, run_after = $2, lease_until = 0, \
             attempts = CASE WHEN $3 = 1 THEN 0 ELSE attempts END WHERE id = $4",
        )
        .bind(step)
        .bind(run_after_millis)
        .bind(i64::from(reset_attempts))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Releases every lease (start-up of the embedded engine, the only worker on its SQLite
    /// database: whatever held a lease died with the previous process).
    pub async fn release_leases(&self) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("UPDATE jobs SET lease_until = 0 WHERE lease_until > 0")
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Whether a job of `kind` on `subject` is queued.
    pub async fn has_job(&self, kind: &str, subject: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM jobs WHERE kind = $1 AND subject = $2")
            .bind(kind)
            .bind(subject)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// Whether the database is SQLite (the embedded, single-engine default).
    pub fn is_sqlite(&self) -> bool {
        self.pool
            .connect_options()
            .database_url
            .scheme()
            .starts_with("sqlite")
    }
}
