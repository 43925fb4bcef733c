//! Service sync: service specs kept in git drive the service, as Proton's service sync did.
//!
//! A service sync config names a repository, the branch of its ops file and the ops file
//! (`filePath`, e.g. `proton-ops.yaml`). The ops file is Proton's:
//!
//! ```yaml
//! sync:
//!   services:
//!     frontend-svc:
//!       alpha:
//!         branch: dev
//!         spec: ./frontend-svc/test/frontend-spec.yaml
//!       prod-one:
//!         branch: prod
//!         spec: ./frontend-svc/prod/frontend-spec.yaml
//! ```
//!
//! Each instance named there follows the spec file at the head of its branch: when that file
//! changes, the instance is created (CreateServiceInstance) if the service does not have it yet,
//! or redeployed (UpdateServiceInstance, `CURRENT_VERSION`) when its own inputs changed. The
//! spec must define the instance; instances the ops file does not name are left alone. A sync
//! that fails records an `AUTOMATED` blocker on the instance; so does a change of the instance
//! made outside sync (CreateServiceInstance / UpdateServiceInstance through the API), and
//! deleting an instance (UpdateService) blocks the whole service ([`note_manual_change`]).
//! While a blocker is `ACTIVE` what it blocks is not synced, until UpdateServiceSyncBlocker
//! resolves it.
//!
//! Baryon also reads a whole-service form, `frontend-svc: {spec: <path>}` (and, with no ops
//! file, `.proton/deployments/<service>.yaml` on the config's branch): the service follows that
//! one spec — instances added and removed (UpdateService), changed instances and the pipeline
//! redeployed. Each instance's attempt is what GetServiceInstanceSyncStatus reports.

use std::path::Path;

use baryon_model::proton::{
    BlockerStatus, BlockerType, CreateServiceInstanceInput, DeploymentUpdateType,
    ResourceSyncAttempt, ResourceSyncEvent, ResourceSyncStatus, Revision, ServiceSyncConfig,
    SyncBlocker, UpdateServiceInput, UpdateServiceInstanceInput, UpdateServicePipelineInput,
};
use baryon_model::spec::{self, Spec};
use serde_json::{Value, json};

use crate::context::Cx;
use crate::error::ApiError;
use crate::git;
use crate::handlers::service;
use crate::handlers::sync::{StoredBlocker, instance_status_key};
use crate::store::{Columns, Kind};
use crate::template_sync::{load_state, save_state};

/// One pass over an account's service sync configs.
pub async fn sync_account(cx: &Cx) -> Result<(), ApiError> {
    let configs = cx
        .store
        .list::<ServiceSyncConfig>(Kind::ServiceSyncConfig, None, None, 100_000)
        .await?
        .items;
    for c in configs {
        if let Err(e) = sync_service(cx, &c).await {
            tracing::warn!(service = %c.service_name, error = %e, "service sync failed");
        }
    }
    Ok(())
}

fn state_key(service: &str) -> String {
    format!("service:{service}")
}

/// What the ops file asks for one service.
#[derive(Debug, PartialEq)]
enum Plan {
    /// Baryon's whole-service form: the service follows this spec on the config's branch.
    Service(String),
    /// Proton's form: each instance follows its own spec on its own branch.
    Instances(Vec<InstanceSync>),
}

/// One instance of Proton's ops file.
#[derive(Debug, PartialEq)]
struct InstanceSync {
    name: String,
    branch: String,
    spec: String,
}

/// Reads the ops file at the config's branch head.
async fn plan(dir: &Path, head: &str, c: &ServiceSyncConfig) -> Result<Plan, String> {
    let default = Plan::Service(format!(".proton/deployments/{}.yaml", c.service_name));
    let Some(bytes) = git::file_at(dir, head, c.file_path.trim_start_matches("./"))
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(default);
    };
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", c.file_path))?;
    parse_plan(&text, &c.file_path, &c.service_name).map(|p| p.unwrap_or(default))
}

/// The ops file's plan for `service`; `None` when the file does not name it.
fn parse_plan(text: &str, file: &str, service: &str) -> Result<Option<Plan>, String> {
    let root = baryon_model::yaml::parse(text).map_err(|e| format!("{file}: {e}"))?;
    let Some(entry) = root
        .get("sync")
        .and_then(|s| s.get("services"))
        .and_then(|s| s.get(service))
    else {
        return Ok(None);
    };
    let path = |s: &str| s.trim_start_matches("./").to_owned();
    if let Some(spec) = entry.get("spec").and_then(|s| s.as_str()) {
        return Ok(Some(Plan::Service(path(spec))));
    }
    let Some(map) = entry.as_map() else {
        return Err(format!(
            "{file}: sync.services.{service} must map instance names to a branch and a spec"
        ));
    };
    let mut instances = Vec::new();
    for (key, value) in map {
        let name = key.key_text();
        let field = |f: &str| value.get(f).and_then(|v| v.as_str()).map(str::to_owned);
        let (Some(branch), Some(spec)) = (field("branch"), field("spec")) else {
            return Err(format!(
                "{file}: sync.services.{service}.{name} needs a branch and a spec"
            ));
        };
        instances.push(InstanceSync {
            name,
            branch,
            spec: path(&spec),
        });
    }
    Ok(Some(Plan::Instances(instances)))
}

async fn sync_service(cx: &Cx, c: &ServiceSyncConfig) -> Result<(), ApiError> {
    if active_blocker(cx, &c.service_name, None).await?.is_some() {
        return Ok(());
    }
    let repos = &cx.repositories;
    if let Err(e) = repos
        .refresh(&c.repository_provider, &c.repository_name)
        .await
    {
        tracing::warn!(repository = %c.repository_name, error = %e, "could not fetch a synced repository");
        return Ok(());
    }
    let git_err = |e: git::GitError| ApiError::InternalServer(format!("git: {e}"));
    let dir = repos
        .dir(&c.repository_provider, &c.repository_name)
        .map_err(git_err)?;
    if !dir.join("HEAD").exists() {
        return Ok(());
    }
    let Some(head) = git::branch_head(&dir, &c.branch).await.map_err(git_err)? else {
        return Ok(());
    };
    let path = match plan(&dir, &head, c).await {
        Ok(Plan::Service(p)) => p,
        Ok(Plan::Instances(list)) => {
            for instance in &list {
                sync_instance(cx, c, &dir, instance).await?;
            }
            return Ok(());
        }
        Err(reason) => return block(cx, c, None, &reason).await,
    };
    let Some(blob) = git::object_at(&dir, &head, &path).await.map_err(git_err)? else {
        return Ok(()); // no spec yet
    };
    let key = state_key(&c.service_name);
    let state = load_state(cx, &key).await?;
    if state["blob"].as_str() == Some(blob.as_str()) {
        return Ok(());
    }
    let bytes = git::file_at(&dir, &head, &path)
        .await
        .map_err(git_err)?
        .unwrap_or_default();
    let Ok(text) = String::from_utf8(bytes) else {
        return block(cx, c, None, &format!("{path} is not UTF-8")).await;
    };
    let revision = Revision {
        branch: c.branch.clone(),
        directory: path.clone(),
        repository_name: c.repository_name.clone(),
        repository_provider: c.repository_provider.clone(),
        sha: head.clone(),
    };
    match apply(cx, c, &text, &revision).await {
        Ok(()) => save_state(cx, &key, &json!({ "blob": blob, "commit": head })).await,
        // Another change is running: try again on a later pass.
        Err(ApiError::Conflict(m)) => {
            tracing::debug!(service = %c.service_name, reason = %m, "service sync deferred");
            Ok(())
        }
        Err(e) => {
            block(
                cx,
                c,
                None,
                &format!("Syncing {path} at {head} failed: {e}"),
            )
            .await
        }
    }
}

/// Syncs one instance of Proton's ops file from the spec at the head of its branch.
async fn sync_instance(
    cx: &Cx,
    c: &ServiceSyncConfig,
    dir: &Path,
    wanted: &InstanceSync,
) -> Result<(), ApiError> {
    let service_name = &c.service_name;
    if active_blocker(cx, service_name, Some(&wanted.name))
        .await?
        .is_some()
    {
        return Ok(());
    }
    let git_err = |e: git::GitError| ApiError::InternalServer(format!("git: {e}"));
    let Some(head) = git::branch_head(dir, &wanted.branch)
        .await
        .map_err(git_err)?
    else {
        return Ok(()); // the branch does not exist yet
    };
    let Some(blob) = git::object_at(dir, &head, &wanted.spec)
        .await
        .map_err(git_err)?
    else {
        return Ok(()); // no spec yet
    };
    let key = instance_status_key(service_name, &wanted.name);
    let state = load_state(cx, &key).await?;
    if state["blob"].as_str() == Some(blob.as_str())
        && state["desiredState"]["branch"].as_str() == Some(wanted.branch.as_str())
    {
        return Ok(());
    }
    let revision = Revision {
        branch: wanted.branch.clone(),
        directory: wanted.spec.clone(),
        repository_name: c.repository_name.clone(),
        repository_provider: c.repository_provider.clone(),
        sha: head.clone(),
    };
    let started = cx.clock.now();
    let text = String::from_utf8(
        git::file_at(dir, &head, &wanted.spec)
            .await
            .map_err(git_err)?
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    let outcome = apply_instance(cx, service_name, &wanted.name, &text).await;
    match outcome {
        Ok(event) => {
            record_instance(
                cx,
                service_name,
                &wanted.name,
                &revision,
                started,
                &event,
                &blob,
            )
            .await
        }
        Err(ApiError::Conflict(m)) => {
            tracing::debug!(service = %service_name, instance = %wanted.name, reason = %m, "instance sync deferred");
            Ok(())
        }
        Err(e) => {
            block(
                cx,
                c,
                Some(&wanted.name),
                &format!(
                    "Syncing {} at {head} ({}) for {} failed: {e}",
                    wanted.spec, wanted.branch, wanted.name
                ),
            )
            .await
        }
    }
}

/// Creates or redeploys one instance from a spec; what happened, for the sync status.
async fn apply_instance(
    cx: &Cx,
    service_name: &str,
    name: &str,
    text: &str,
) -> Result<String, ApiError> {
    let (wanted, _) = sections(text)
        .ok_or_else(|| ApiError::Validation("the synced file is not a valid ServiceSpec".into()))?;
    let Some((_, inputs)) = wanted.iter().find(|(n, _)| n == name) else {
        return Err(ApiError::Validation(format!(
            "the spec does not define instance {name}"
        )));
    };
    let existing = cx
        .store
        .get::<baryon_model::proton::ServiceInstance>(
            Kind::ServiceInstance,
            &crate::handlers::deploy::Target::ServiceInstance(
                service_name.to_owned(),
                name.to_owned(),
            )
            .row(),
        )
        .await?;
    let Some(existing) = existing else {
        service::create_instance(
            cx,
            CreateServiceInstanceInput {
                client_token: None,
                name: name.to_owned(),
                service_name: service_name.to_owned(),
                spec: text.to_owned(),
                tags: None,
                template_major_version: None,
                template_minor_version: None,
            },
        )
        .await?;
        return Ok("created from the synced spec".into());
    };
    let current = existing
        .doc
        .spec
        .as_deref()
        .and_then(sections)
        .and_then(|(list, _)| list.into_iter().find(|(n, _)| n == name).map(|(_, v)| v));
    if current.as_ref() == Some(inputs) {
        return Ok("unchanged: the synced inputs are the deployed ones".into());
    }
    service::update_instance(
        cx,
        UpdateServiceInstanceInput {
            client_token: None,
            deployment_type: DeploymentUpdateType::CurrentVersion,
            name: name.to_owned(),
            service_name: service_name.to_owned(),
            spec: Some(text.to_owned()),
            template_major_version: None,
            template_minor_version: None,
        },
    )
    .await?;
    Ok("redeployed with the synced spec".into())
}

/// The instances' inputs (as JSON) and the pipeline's, from a service spec.
fn sections(text: &str) -> Option<(Vec<(String, Value)>, Value)> {
    match spec::parse_spec(text).ok()? {
        Spec::Service(s) => Some((
            s.instances
                .iter()
                .map(|i| {
                    (
                        i.name.clone(),
                        i.inputs
                            .as_ref()
                            .map_or(Value::Null, baryon_model::yaml::Node::to_json),
                    )
                })
                .collect(),
            s.pipeline
                .as_ref()
                .map_or(Value::Null, baryon_model::yaml::Node::to_json),
        )),
        Spec::Environment(_) => None,
    }
}

async fn apply(
    cx: &Cx,
    c: &ServiceSyncConfig,
    text: &str,
    revision: &Revision,
) -> Result<(), ApiError> {
    let current = service::get(
        cx,
        baryon_model::proton::GetServiceInput {
            name: c.service_name.clone(),
        },
    )
    .await?
    .service
    .ok_or_else(|| ApiError::not_found("service", &c.service_name))?;
    let (old_instances, old_pipeline) = sections(&current.spec).unwrap_or_default();
    let (new_instances, new_pipeline) = sections(text)
        .ok_or_else(|| ApiError::Validation("the synced file is not a valid ServiceSpec".into()))?;
    let started = cx.clock.now();
    // Instances added or removed, and the service's spec, through UpdateService.
    service::update(
        cx,
        UpdateServiceInput {
            description: None,
            name: c.service_name.clone(),
            spec: Some(text.to_owned()),
        },
    )
    .await?;
    for (name, inputs) in &new_instances {
        let before = old_instances.iter().find(|(n, _)| n == name);
        let event = match before {
            None => "created from the synced spec".to_owned(),
            Some((_, old)) if old == inputs => continue,
            Some(_) => {
                service::update_instance(
                    cx,
                    UpdateServiceInstanceInput {
                        client_token: None,
                        deployment_type: DeploymentUpdateType::CurrentVersion,
                        name: name.clone(),
                        service_name: c.service_name.clone(),
                        spec: Some(text.to_owned()),
                        template_major_version: None,
                        template_minor_version: None,
                    },
                )
                .await?;
                "redeployed with the synced spec".to_owned()
            }
        };
        record_instance(cx, &c.service_name, name, revision, started, &event, "").await?;
    }
    if new_pipeline != old_pipeline && current.pipeline.is_some() {
        service::update_pipeline(
            cx,
            UpdateServicePipelineInput {
                deployment_type: DeploymentUpdateType::CurrentVersion,
                service_name: c.service_name.clone(),
                spec: text.to_owned(),
                template_major_version: None,
                template_minor_version: None,
            },
        )
        .await?;
    }
    Ok(())
}

async fn record_instance(
    cx: &Cx,
    service: &str,
    instance: &str,
    revision: &Revision,
    started: baryon_model::Timestamp,
    event: &str,
    blob: &str,
) -> Result<(), ApiError> {
    let key = instance_status_key(service, instance);
    let state = load_state(cx, &key).await?;
    let attempt = ResourceSyncAttempt {
        events: vec![ResourceSyncEvent {
            event: event.to_owned(),
            external_id: Some(revision.sha.clone()),
            time: cx.clock.now(),
            r#type: "SYNC_SUCCEEDED".to_owned(),
        }],
        initial_revision: serde_json::from_value(state["desiredState"].clone())
            .unwrap_or_else(|_| revision.clone()),
        started_at: started,
        status: ResourceSyncStatus::Succeeded,
        target: instance.to_owned(),
        target_revision: revision.clone(),
    };
    save_state(
        cx,
        &key,
        &json!({ "latestSync": attempt, "latestSuccessfulSync": attempt, "desiredState": revision, "blob": blob }),
    )
    .await
}

/// The active blocker of the service (`instance` `None`) or of one instance.
async fn active_blocker(
    cx: &Cx,
    service: &str,
    instance: Option<&str>,
) -> Result<Option<StoredBlocker>, ApiError> {
    Ok(cx
        .store
        .list::<StoredBlocker>(Kind::SyncBlocker, Some(service), None, 1000)
        .await?
        .items
        .into_iter()
        .find(|b| {
            b.blocker.status == BlockerStatus::Active
                && b.service_instance_name.as_deref() == instance
        }))
}

/// A change made outside service sync to a synced service: an instance created or updated
/// through the API blocks that instance's sync; instances deleted (UpdateService) block the
/// service's. Nothing happens for a service without a sync config, or when that blocker is
/// already active.
pub async fn note_manual_change(
    cx: &Cx,
    service: &str,
    instance: Option<&str>,
    what: &str,
) -> Result<(), ApiError> {
    let Some(config) = cx
        .store
        .get::<ServiceSyncConfig>(Kind::ServiceSyncConfig, service)
        .await?
    else {
        return Ok(());
    };
    if active_blocker(cx, service, instance).await?.is_some() {
        return Ok(());
    }
    let whom = instance.map_or_else(
        || format!("Service {service}"),
        |i| format!("Service instance {i}"),
    );
    let reason = format!(
        "{whom} was changed outside service sync ({what}); its sync is disabled until this blocker is resolved."
    );
    block(cx, &config.doc, instance, &reason).await
}

/// Records an `AUTOMATED` blocker on the service (or one instance): syncing it stops until the
/// blocker is resolved.
async fn block(
    cx: &Cx,
    c: &ServiceSyncConfig,
    instance: Option<&str>,
    reason: &str,
) -> Result<(), ApiError> {
    let id = cx.ids.uuid();
    let stored = StoredBlocker {
        blocker: SyncBlocker {
            contexts: Some(vec![
                baryon_model::proton::SyncBlockerContext {
                    key: "repository".into(),
                    value: format!("{}:{}", c.repository_provider, c.repository_name),
                },
                baryon_model::proton::SyncBlockerContext {
                    key: "branch".into(),
                    value: c.branch.clone(),
                },
            ]),
            created_at: cx.clock.now(),
            created_reason: reason.to_owned(),
            id: id.clone(),
            resolved_at: None,
            resolved_reason: None,
            status: BlockerStatus::Active,
            r#type: BlockerType::Automated,
        },
        service_name: c.service_name.clone(),
        service_instance_name: instance.map(str::to_owned),
    };
    let arn = cx.arn(&format!("sync-blocker/{id}"));
    let cols = Columns {
        name: &id,
        parent: &c.service_name,
        status: BlockerStatus::Active.as_str(),
        arn: &arn,
    };
    cx.store.insert(Kind::SyncBlocker, &cols, &stored).await?;
    tracing::info!(service = %c.service_name, instance, reason, "service sync blocked");
    Ok(())
}
