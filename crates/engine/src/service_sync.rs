//! Service sync: a service's spec kept in git drives the service, as Proton's service sync did.
//!
//! A service sync config names a repository branch and an ops file (`filePath`). The ops file
//! says where each service's spec lives:
//!
//! ```yaml
//! sync:
//!   services:
//!     frontend-svc:
//!       spec: ./frontend-svc/spec.yaml
//! ```
//!
//! (a service the ops file does not name uses `.proton/deployments/<service>.yaml`). When that
//! spec file changes on the branch, the service follows it: instances new in the spec are
//! created and instances gone from it deleted (UpdateService), each remaining instance whose
//! own inputs changed is redeployed (UpdateServiceInstance, `CURRENT_VERSION`), and the
//! pipeline too when its inputs changed. A sync that fails (an invalid spec, a refused update)
//! records an `AUTOMATED` blocker with the reason; while a blocker is `ACTIVE` the service is
//! not synced, until UpdateServiceSyncBlocker resolves it. Each instance's attempt is what
//! GetServiceInstanceSyncStatus reports.

use std::path::Path;

use baryon_model::proton::{
    BlockerStatus, BlockerType, DeploymentUpdateType, ResourceSyncAttempt, ResourceSyncEvent,
    ResourceSyncStatus, Revision, ServiceSyncConfig, SyncBlocker, UpdateServiceInput,
    UpdateServiceInstanceInput, UpdateServicePipelineInput,
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

/// Where the ops file says the service's spec is.
async fn spec_path(dir: &Path, head: &str, c: &ServiceSyncConfig) -> Result<String, String> {
    let default = format!(".proton/deployments/{}.yaml", c.service_name);
    let Some(bytes) = git::file_at(dir, head, &c.file_path)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(default);
    };
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", c.file_path))?;
    let root = baryon_model::yaml::parse(&text).map_err(|e| format!("{}: {e}", c.file_path))?;
    let named = root
        .get("sync")
        .and_then(|s| s.get("services"))
        .and_then(|s| s.get(&c.service_name))
        .and_then(|s| s.get("spec"))
        .and_then(|s| s.as_str().map(str::to_owned));
    Ok(named.map_or(default, |p| p.trim_start_matches("./").to_owned()))
}

async fn sync_service(cx: &Cx, c: &ServiceSyncConfig) -> Result<(), ApiError> {
    if active_blocker(cx, &c.service_name).await?.is_some() {
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
    let path = match spec_path(&dir, &head, c).await {
        Ok(p) => p,
        Err(reason) => return block(cx, c, &reason).await,
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
        return block(cx, c, &format!("{path} is not UTF-8")).await;
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
        Err(e) => block(cx, c, &format!("Syncing {path} at {head} failed: {e}")).await,
    }
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
        record_instance(cx, &c.service_name, name, revision, started, &event).await?;
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
        &json!({ "latestSync": attempt, "latestSuccessfulSync": attempt, "desiredState": revision }),
    )
    .await
}

async fn active_blocker(cx: &Cx, service: &str) -> Result<Option<StoredBlocker>, ApiError> {
    Ok(cx
        .store
        .list::<StoredBlocker>(Kind::SyncBlocker, Some(service), None, 1000)
        .await?
        .items
        .into_iter()
        .find(|b| b.blocker.status == BlockerStatus::Active))
}

/// Records an `AUTOMATED` blocker on the service: syncing stops until it is resolved.
async fn block(cx: &Cx, c: &ServiceSyncConfig, reason: &str) -> Result<(), ApiError> {
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
        service_instance_name: None,
    };
    let arn = cx.arn(&format!("sync-blocker/{id}"));
    let cols = Columns {
        name: &id,
        parent: &c.service_name,
        status: BlockerStatus::Active.as_str(),
        arn: &arn,
    };
    cx.store.insert(Kind::SyncBlocker, &cols, &stored).await?;
    tracing::info!(service = %c.service_name, reason, "service sync blocked");
    Ok(())
}
