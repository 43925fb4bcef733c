//! Git sync configuration: template sync configs (Create/Get/Update/DeleteTemplateSyncConfig),
//! service sync configs (Create/Get/Update/DeleteServiceSyncConfig),
//! ListRepositorySyncDefinitions, and the sync state queries GetTemplateSyncStatus,
//! GetRepositorySyncStatus, GetServiceInstanceSyncStatus, GetServiceSyncBlockerSummary and
//! UpdateServiceSyncBlocker.
//!
//! A sync config ties a template (by type and name) or a service to a branch of a repository
//! linked with CreateRepository; one config per template or service. The sync state — attempts
//! (`latestSync`, `latestSuccessfulSync`, `desiredState`) and blockers — is what the sync
//! worker records as it runs (rows of kind `sync_status` and `sync_blocker`); before any sync
//! has run there is no attempt to report, and the answers say exactly that (no members).

use baryon_model::proton::BlockerStatus;
use baryon_model::proton::{
    CreateServiceSyncConfigInput, CreateServiceSyncConfigOutput, CreateTemplateSyncConfigInput,
    CreateTemplateSyncConfigOutput, DeleteServiceSyncConfigInput, DeleteServiceSyncConfigOutput,
    DeleteTemplateSyncConfigInput, DeleteTemplateSyncConfigOutput, GetRepositorySyncStatusInput,
    GetRepositorySyncStatusOutput, GetServiceInstanceSyncStatusInput,
    GetServiceInstanceSyncStatusOutput, GetServiceSyncBlockerSummaryInput,
    GetServiceSyncBlockerSummaryOutput, GetServiceSyncConfigInput, GetServiceSyncConfigOutput,
    GetTemplateSyncConfigInput, GetTemplateSyncConfigOutput, GetTemplateSyncStatusInput,
    GetTemplateSyncStatusOutput, ListRepositorySyncDefinitionsInput,
    ListRepositorySyncDefinitionsOutput, Repository, RepositoryProvider, RepositorySyncDefinition,
    Service, ServiceInstance, ServiceSyncBlockerSummary, ServiceSyncConfig, SyncBlocker, SyncType,
    TemplateSyncConfig, TemplateType, UpdateServiceSyncBlockerInput,
    UpdateServiceSyncBlockerOutput, UpdateServiceSyncConfigInput, UpdateServiceSyncConfigOutput,
    UpdateTemplateSyncConfigInput, UpdateTemplateSyncConfigOutput,
};
use serde::{Deserialize, Serialize};

use super::template_version::Family;
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind};

fn family(t: &TemplateType) -> Result<Family, ApiError> {
    match t {
        TemplateType::Environment => Ok(Family::Environment),
        TemplateType::Service => Ok(Family::Service),
        TemplateType::Unknown(s) => Err(ApiError::Validation(format!("Unknown templateType {s}."))),
    }
}

fn template_key(t: &TemplateType, name: &str) -> String {
    format!("{t}/{name}")
}

/// The row name of a linked repository (as `repository.rs` stores it).
fn repository_key(provider: &RepositoryProvider, name: &str) -> String {
    format!("{}:{name}", provider.as_str())
}

/// The repository must be linked (CreateRepository) before anything syncs from it.
async fn linked_repository(
    cx: &Cx,
    provider: &RepositoryProvider,
    name: &str,
) -> Result<Repository, ApiError> {
    cx.store
        .get::<Repository>(Kind::Repository, &repository_key(provider, name))
        .await?
        .map(|r| r.doc)
        .ok_or_else(|| {
            ApiError::Validation(format!(
                "The repository {name} ({provider}) is not linked; link it with CreateRepository first."
            ))
        })
}

/// Whether any sync config uses a repository (it can't be deleted while one does).
pub async fn repository_in_use(
    cx: &Cx,
    provider: &RepositoryProvider,
    name: &str,
) -> Result<bool, ApiError> {
    let key = repository_key(provider, name);
    Ok(cx
        .store
        .has_children(Kind::TemplateSyncConfig, &key)
        .await?
        || cx.store.has_children(Kind::ServiceSyncConfig, &key).await?)
}

// --- template sync configs -------------------------------------------------------------------

async fn load_template_config(
    cx: &Cx,
    t: &TemplateType,
    name: &str,
) -> Result<(TemplateSyncConfig, i64), ApiError> {
    let row = cx
        .store
        .get::<TemplateSyncConfig>(Kind::TemplateSyncConfig, &template_key(t, name))
        .await?
        .ok_or_else(|| {
            ApiError::ResourceNotFound(format!(
                "The {} template {name} has no template sync config.",
                t.as_str().to_ascii_lowercase()
            ))
        })?;
    Ok((row.doc, row.version))
}

/// A row's unique `arn` column for a sync config (they have no ARN of their own).
fn config_arn(cx: &Cx, what: &str, key: &str) -> String {
    cx.arn(&format!("{what}/{key}"))
}

/// CreateTemplateSyncConfig.
pub async fn create_template_config(
    cx: &Cx,
    input: CreateTemplateSyncConfigInput,
) -> Result<CreateTemplateSyncConfigOutput, ApiError> {
    let f = family(&input.template_type)?;
    if !super::template_version::template_exists(cx, f, &input.template_name).await? {
        return Err(ApiError::Validation(format!(
            "The {} {} doesn't exist.",
            f.what(),
            input.template_name
        )));
    }
    linked_repository(cx, &input.repository_provider, &input.repository_name).await?;
    let config = TemplateSyncConfig {
        branch: input.branch,
        repository_name: input.repository_name,
        repository_provider: input.repository_provider,
        subdirectory: input.subdirectory,
        template_name: input.template_name,
        template_type: input.template_type,
    };
    let key = template_key(&config.template_type, &config.template_name);
    let parent = repository_key(&config.repository_provider, &config.repository_name);
    let arn = config_arn(cx, "template-sync-config", &key);
    let cols = Columns {
        name: &key,
        parent: &parent,
        status: "",
        arn: &arn,
    };
    if !cx
        .store
        .insert(Kind::TemplateSyncConfig, &cols, &config)
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "The {} {} already has a template sync config.",
            f.what(),
            config.template_name
        )));
    }
    cx.sync_wake.notify_one();
    Ok(CreateTemplateSyncConfigOutput {
        template_sync_config: Some(config),
    })
}

/// GetTemplateSyncConfig.
pub async fn get_template_config(
    cx: &Cx,
    input: GetTemplateSyncConfigInput,
) -> Result<GetTemplateSyncConfigOutput, ApiError> {
    let (config, _) = load_template_config(cx, &input.template_type, &input.template_name).await?;
    Ok(GetTemplateSyncConfigOutput {
        template_sync_config: Some(config),
    })
}

/// UpdateTemplateSyncConfig: the repository, branch and subdirectory.
pub async fn update_template_config(
    cx: &Cx,
    input: UpdateTemplateSyncConfigInput,
) -> Result<UpdateTemplateSyncConfigOutput, ApiError> {
    let (mut config, version) =
        load_template_config(cx, &input.template_type, &input.template_name).await?;
    linked_repository(cx, &input.repository_provider, &input.repository_name).await?;
    config.branch = input.branch;
    config.repository_name = input.repository_name;
    config.repository_provider = input.repository_provider;
    config.subdirectory = input.subdirectory;
    let key = template_key(&config.template_type, &config.template_name);
    let parent = repository_key(&config.repository_provider, &config.repository_name);
    save_config(
        cx,
        Kind::TemplateSyncConfig,
        &key,
        &parent,
        version,
        &config,
    )
    .await?;
    cx.sync_wake.notify_one();
    Ok(UpdateTemplateSyncConfigOutput {
        template_sync_config: Some(config),
    })
}

/// Replaces a sync config row (the parent column follows its repository).
async fn save_config<T: Serialize>(
    cx: &Cx,
    kind: Kind,
    key: &str,
    parent: &str,
    version: i64,
    doc: &T,
) -> Result<(), ApiError> {
    let what = if kind == Kind::TemplateSyncConfig {
        "template-sync-config"
    } else {
        "service-sync-config"
    };
    let arn = config_arn(cx, what, key);
    let cols = Columns {
        name: key,
        parent,
        status: "",
        arn: &arn,
    };
    if cx.store.update(kind, &cols, version, doc).await? {
        Ok(())
    } else {
        Err(ApiError::Conflict(format!(
            "The sync config {key} was changed concurrently; retry."
        )))
    }
}

/// DeleteTemplateSyncConfig.
pub async fn delete_template_config(
    cx: &Cx,
    input: DeleteTemplateSyncConfigInput,
) -> Result<DeleteTemplateSyncConfigOutput, ApiError> {
    let (config, _) = load_template_config(cx, &input.template_type, &input.template_name).await?;
    let key = template_key(&input.template_type, &input.template_name);
    cx.store
        .delete(
            Kind::TemplateSyncConfig,
            &key,
            &config_arn(cx, "template-sync-config", &key),
            "",
        )
        .await?;
    Ok(DeleteTemplateSyncConfigOutput {
        template_sync_config: Some(config),
    })
}

// --- service sync configs --------------------------------------------------------------------

async fn load_service_config(cx: &Cx, service: &str) -> Result<(ServiceSyncConfig, i64), ApiError> {
    let row = cx
        .store
        .get::<ServiceSyncConfig>(Kind::ServiceSyncConfig, service)
        .await?
        .ok_or_else(|| {
            ApiError::ResourceNotFound(format!("The service {service} has no service sync config."))
        })?;
    Ok((row.doc, row.version))
}

fn check_ops_file(path: &str) -> Result<(), ApiError> {
    if path.starts_with('/') || path.split('/').any(|p| p == "..") {
        return Err(ApiError::Validation(format!(
            "filePath {path} must be a path inside the repository (relative, without '..')."
        )));
    }
    Ok(())
}

/// CreateServiceSyncConfig.
pub async fn create_service_config(
    cx: &Cx,
    input: CreateServiceSyncConfigInput,
) -> Result<CreateServiceSyncConfigOutput, ApiError> {
    if cx
        .store
        .get::<Service>(Kind::Service, &input.service_name)
        .await?
        .is_none()
    {
        return Err(ApiError::Validation(format!(
            "The service {} doesn't exist.",
            input.service_name
        )));
    }
    check_ops_file(&input.file_path)?;
    linked_repository(cx, &input.repository_provider, &input.repository_name).await?;
    let config = ServiceSyncConfig {
        branch: input.branch,
        file_path: input.file_path,
        repository_name: input.repository_name,
        repository_provider: input.repository_provider,
        service_name: input.service_name,
    };
    let parent = repository_key(&config.repository_provider, &config.repository_name);
    let arn = config_arn(cx, "service-sync-config", &config.service_name);
    let cols = Columns {
        name: &config.service_name,
        parent: &parent,
        status: "",
        arn: &arn,
    };
    if !cx
        .store
        .insert(Kind::ServiceSyncConfig, &cols, &config)
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "The service {} already has a service sync config.",
            config.service_name
        )));
    }
    cx.sync_wake.notify_one();
    Ok(CreateServiceSyncConfigOutput {
        service_sync_config: Some(config),
    })
}

/// GetServiceSyncConfig.
pub async fn get_service_config(
    cx: &Cx,
    input: GetServiceSyncConfigInput,
) -> Result<GetServiceSyncConfigOutput, ApiError> {
    Ok(GetServiceSyncConfigOutput {
        service_sync_config: Some(load_service_config(cx, &input.service_name).await?.0),
    })
}

/// UpdateServiceSyncConfig.
pub async fn update_service_config(
    cx: &Cx,
    input: UpdateServiceSyncConfigInput,
) -> Result<UpdateServiceSyncConfigOutput, ApiError> {
    let (mut config, version) = load_service_config(cx, &input.service_name).await?;
    check_ops_file(&input.file_path)?;
    linked_repository(cx, &input.repository_provider, &input.repository_name).await?;
    config.branch = input.branch;
    config.file_path = input.file_path;
    config.repository_name = input.repository_name;
    config.repository_provider = input.repository_provider;
    let parent = repository_key(&config.repository_provider, &config.repository_name);
    save_config(
        cx,
        Kind::ServiceSyncConfig,
        &config.service_name,
        &parent,
        version,
        &config,
    )
    .await?;
    cx.sync_wake.notify_one();
    Ok(UpdateServiceSyncConfigOutput {
        service_sync_config: Some(config),
    })
}

/// DeleteServiceSyncConfig.
pub async fn delete_service_config(
    cx: &Cx,
    input: DeleteServiceSyncConfigInput,
) -> Result<DeleteServiceSyncConfigOutput, ApiError> {
    let (config, _) = load_service_config(cx, &input.service_name).await?;
    cx.store
        .delete(
            Kind::ServiceSyncConfig,
            &config.service_name,
            &config_arn(cx, "service-sync-config", &config.service_name),
            "",
        )
        .await?;
    Ok(DeleteServiceSyncConfigOutput {
        service_sync_config: Some(config),
    })
}

// --- definitions, status and blockers --------------------------------------------------------

/// ListRepositorySyncDefinitions: what syncs from a repository — for `TEMPLATE_SYNC` each
/// template sync config (parent and target: the template; directory: its subdirectory), for
/// `SERVICE_SYNC` each service sync config (parent and target: the service; directory: its
/// ops file).
pub async fn list_definitions(
    cx: &Cx,
    input: ListRepositorySyncDefinitionsInput,
) -> Result<ListRepositorySyncDefinitionsOutput, ApiError> {
    let parent = repository_key(&input.repository_provider, &input.repository_name);
    let scope = format!("ListRepositorySyncDefinitions:{parent}:{}", input.sync_type);
    let after = input
        .next_token
        .as_deref()
        .map(|t| cx.parse_next_token(&scope, t))
        .transpose()?;
    let size = super::page_size(None);
    let after = after.as_deref();
    let (sync_definitions, next) = match &input.sync_type {
        SyncType::TemplateSync => {
            definitions::<TemplateSyncConfig>(
                cx,
                Kind::TemplateSyncConfig,
                &parent,
                after,
                size,
                |c| {
                    (
                        c.branch,
                        c.subdirectory.unwrap_or_default(),
                        c.template_name,
                    )
                },
            )
            .await?
        }
        SyncType::ServiceSync => {
            definitions::<ServiceSyncConfig>(
                cx,
                Kind::ServiceSyncConfig,
                &parent,
                after,
                size,
                |c| (c.branch, c.file_path, c.service_name),
            )
            .await?
        }
        SyncType::Unknown(s) => {
            return Err(ApiError::Validation(format!("Unknown syncType {s}.")));
        }
    };
    Ok(ListRepositorySyncDefinitionsOutput {
        next_token: next.map(|a| cx.next_token(&scope, &a)),
        sync_definitions,
    })
}

/// One page of the sync configs of `kind` on a repository, as definitions: `parts` gives a
/// config's (branch, directory, resource), the resource being both parent and target.
async fn definitions<T: serde::de::DeserializeOwned>(
    cx: &Cx,
    kind: Kind,
    repository: &str,
    after: Option<&str>,
    size: usize,
    parts: impl Fn(T) -> (String, String, String),
) -> Result<(Vec<RepositorySyncDefinition>, Option<String>), ApiError> {
    let page = cx
        .store
        .list::<T>(kind, Some(repository), after, size)
        .await?;
    let defs = page
        .items
        .into_iter()
        .map(|c| {
            let (branch, directory, resource) = parts(c);
            RepositorySyncDefinition {
                branch,
                directory,
                parent: resource.clone(),
                target: resource,
            }
        })
        .collect();
    Ok((defs, page.next_after))
}

/// The recorded sync state of one resource, as the sync worker writes it.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSyncState {
    /// The last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_sync: Option<baryon_model::proton::ResourceSyncAttempt>,
    /// The last successful attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_successful_sync: Option<baryon_model::proton::ResourceSyncAttempt>,
    /// The revision the resource should reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_state: Option<baryon_model::proton::Revision>,
}

async fn sync_state(cx: &Cx, key: &str) -> Result<ResourceSyncState, ApiError> {
    Ok(cx
        .store
        .get::<ResourceSyncState>(Kind::SyncStatus, key)
        .await?
        .map(|r| r.doc)
        .unwrap_or_default())
}

/// The `sync_status` row name of a template version's sync state.
pub fn template_status_key(t: &TemplateType, name: &str, major: &str) -> String {
    format!("template:{t}/{name}/{major}")
}

/// The `sync_status` row name of a service instance's sync state.
pub fn instance_status_key(service: &str, instance: &str) -> String {
    format!("instance:{service}/{instance}")
}

/// The `sync_status` row name of a repository branch's sync state.
pub fn repository_status_key(
    provider: &RepositoryProvider,
    name: &str,
    branch: &str,
    sync_type: &SyncType,
) -> String {
    format!(
        "repository:{sync_type}:{}:{branch}",
        repository_key(provider, name)
    )
}

/// GetTemplateSyncStatus (of a template's major version).
pub async fn get_template_status(
    cx: &Cx,
    input: GetTemplateSyncStatusInput,
) -> Result<GetTemplateSyncStatusOutput, ApiError> {
    load_template_config(cx, &input.template_type, &input.template_name).await?;
    let state = sync_state(
        cx,
        &template_status_key(
            &input.template_type,
            &input.template_name,
            &input.template_version,
        ),
    )
    .await?;
    Ok(GetTemplateSyncStatusOutput {
        desired_state: state.desired_state,
        latest_successful_sync: state.latest_successful_sync,
        latest_sync: state.latest_sync,
    })
}

/// GetRepositorySyncStatus (of a linked repository's branch).
pub async fn get_repository_status(
    cx: &Cx,
    input: GetRepositorySyncStatusInput,
) -> Result<GetRepositorySyncStatusOutput, ApiError> {
    let key = repository_key(&input.repository_provider, &input.repository_name);
    if cx
        .store
        .get::<Repository>(Kind::Repository, &key)
        .await?
        .is_none()
    {
        return Err(ApiError::ResourceNotFound(format!(
            "The repository {} ({}) was not found.",
            input.repository_name, input.repository_provider
        )));
    }
    let status_key = repository_status_key(
        &input.repository_provider,
        &input.repository_name,
        &input.branch,
        &input.sync_type,
    );
    Ok(cx
        .store
        .get::<GetRepositorySyncStatusOutput>(Kind::SyncStatus, &status_key)
        .await?
        .map_or(GetRepositorySyncStatusOutput { latest_sync: None }, |r| {
            r.doc
        }))
}

/// GetServiceInstanceSyncStatus.
pub async fn get_instance_status(
    cx: &Cx,
    input: GetServiceInstanceSyncStatusInput,
) -> Result<GetServiceInstanceSyncStatusOutput, ApiError> {
    let row = format!("{}/{}", input.service_name, input.service_instance_name);
    if cx
        .store
        .get::<ServiceInstance>(Kind::ServiceInstance, &row)
        .await?
        .is_none()
    {
        return Err(ApiError::ResourceNotFound(format!(
            "The service instance {} of service {} was not found.",
            input.service_instance_name, input.service_name
        )));
    }
    let state = sync_state(
        cx,
        &instance_status_key(&input.service_name, &input.service_instance_name),
    )
    .await?;
    Ok(GetServiceInstanceSyncStatusOutput {
        desired_state: state.desired_state,
        latest_successful_sync: state.latest_successful_sync,
        latest_sync: state.latest_sync,
    })
}

/// A stored sync blocker: the API's `SyncBlocker` and what it blocks.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredBlocker {
    /// The blocker.
    pub blocker: SyncBlocker,
    /// The blocked service.
    pub service_name: String,
    /// The blocked instance, when the blocker is an instance's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_instance_name: Option<String>,
}

/// GetServiceSyncBlockerSummary: the service's (or one instance's) latest blockers.
pub async fn get_blocker_summary(
    cx: &Cx,
    input: GetServiceSyncBlockerSummaryInput,
) -> Result<GetServiceSyncBlockerSummaryOutput, ApiError> {
    if cx
        .store
        .get::<Service>(Kind::Service, &input.service_name)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("service", &input.service_name));
    }
    let blockers = cx
        .store
        .list::<StoredBlocker>(Kind::SyncBlocker, Some(&input.service_name), None, 1000)
        .await?
        .items
        .into_iter()
        .filter(|b| b.service_instance_name == input.service_instance_name)
        .map(|b| b.blocker)
        .collect();
    Ok(GetServiceSyncBlockerSummaryOutput {
        service_sync_blocker_summary: Some(ServiceSyncBlockerSummary {
            latest_blockers: Some(blockers),
            service_instance_name: input.service_instance_name,
            service_name: input.service_name,
        }),
    })
}

/// UpdateServiceSyncBlocker: resolves an active blocker so syncing can go on.
pub async fn update_blocker(
    cx: &Cx,
    input: UpdateServiceSyncBlockerInput,
) -> Result<UpdateServiceSyncBlockerOutput, ApiError> {
    let row = cx
        .store
        .get::<StoredBlocker>(Kind::SyncBlocker, &input.id)
        .await?
        .ok_or_else(|| {
            ApiError::ResourceNotFound(format!("The sync blocker {} was not found.", input.id))
        })?;
    let (mut stored, version) = (row.doc, row.version);
    if stored.blocker.status == BlockerStatus::Resolved {
        return Err(ApiError::Conflict(format!(
            "The sync blocker {} is already resolved.",
            input.id
        )));
    }
    stored.blocker.status = BlockerStatus::Resolved;
    stored.blocker.resolved_reason = Some(input.resolved_reason);
    stored.blocker.resolved_at = Some(cx.clock.now());
    let arn = cx.arn(&format!("sync-blocker/{}", input.id));
    let cols = Columns {
        name: &input.id,
        parent: &stored.service_name,
        status: stored.blocker.status.as_str(),
        arn: &arn,
    };
    if !cx
        .store
        .update(Kind::SyncBlocker, &cols, version, &stored)
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "The sync blocker {} was changed concurrently; retry.",
            input.id
        )));
    }
    Ok(UpdateServiceSyncBlockerOutput {
        service_instance_name: stored.service_instance_name,
        service_name: stored.service_name,
        service_sync_blocker: stored.blocker,
    })
}
