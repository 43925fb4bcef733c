//! Template sync: template versions registered from git, as Proton did.
//!
//! A worker polls (every `sync_interval`, seconds by default) each branch that a template sync
//! config follows. When the branch moved, every `<subdirectory>/<template>/v<major>/` directory
//! of the configured templates whose tree differs from the one last synced becomes a template
//! version: the directory is archived (`git archive`) into the artifact store (bucket
//! `baryon-template-sync`) and registered exactly like CreateXTemplateVersion — a new minor of
//! `<major>` when that major exists, else the next new major. A service template's
//! `.template-registration.yaml` (`compatible_environments: ["env:1"]`,
//! `supported_component_sources: [DIRECTLY_DEFINED]`) gives the version's compatibility. The
//! sync waits for the registration's outcome and records it truthfully: the template's
//! `GetTemplateSyncStatus` (attempts with events and revisions) and the repository's
//! `GetRepositorySyncStatus`. A tree that was tried is not tried again until it changes, so a
//! broken bundle is reported once, with its reason, and nothing else changes.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use baryon_model::proton::{
    CompatibleEnvironmentTemplate, RepositoryProvider, RepositorySyncAttempt, RepositorySyncEvent,
    RepositorySyncStatus, ResourceSyncAttempt, ResourceSyncEvent, ResourceSyncStatus, Revision,
    ServiceTemplateSupportedComponentSourceType, ServiceTemplateVersion, SyncType,
    TemplateSyncConfig, TemplateType, TemplateVersionSourceInput, TemplateVersionStatus,
};
use serde_json::{Value, json};

use crate::context::Cx;
use crate::error::ApiError;
use crate::git;
use crate::handlers::sync::{repository_status_key, template_status_key};
use crate::handlers::template_version::{self as tv, Family, NewVersion};
use crate::store::{Columns, Kind};

/// The bucket synced bundles are stored in.
pub const BUCKET: &str = "baryon-template-sync";
/// How long a sync waits for a registration to finish.
const REGISTRATION_WAIT: Duration = Duration::from_mins(1);

/// Starts the sync worker (template sync, then service sync) for the given accounts.
pub fn spawn(cx: Cx, accounts: Vec<String>, interval: Duration) -> tokio::task::JoinHandle<()> {
    spawn_push_watcher(cx.clone());
    tokio::spawn(async move {
        loop {
            let started = tokio::time::Instant::now();
            for account in &accounts {
                let cx = cx.for_account(account);
                if let Err(e) = sync_account(&cx).await {
                    tracing::warn!(account = %account, error = %e, "template sync pass failed");
                }
                if let Err(e) = crate::service_sync::sync_account(&cx).await {
                    tracing::warn!(account = %account, error = %e, "service sync pass failed");
                }
            }
            // The next pass: after the interval, or sooner when woken — but never more than
            // one pass per `MIN_SPACING`, however often a webhook is called.
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = cx.sync_wake.notified() => {}
            }
            tokio::time::sleep_until(started + MIN_SPACING).await;
        }
    })
}

/// The shortest time between two sync passes.
const MIN_SPACING: Duration = Duration::from_millis(500);

/// Watches the file the repositories' `post-receive` hooks touch
/// ([`git::Repositories::push_trigger`]): a push to a repository Baryon keeps starts a sync
/// pass within a quarter second instead of at the end of the interval.
fn spawn_push_watcher(cx: Cx) {
    let file = cx.repositories.push_trigger();
    tokio::spawn(async move {
        let modified = |f: &std::path::Path| std::fs::metadata(f).and_then(|m| m.modified()).ok();
        let mut last = modified(&file);
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let now = modified(&file);
            if now != last {
                last = now;
                tracing::debug!("a push to a local repository: syncing now");
                cx.sync_wake.notify_one();
            }
        }
    });
}

fn git_error(e: &git::GitError) -> ApiError {
    ApiError::InternalServer(format!("git: {e}"))
}

/// One pass over an account's template sync configs, grouped by repository branch.
pub async fn sync_account(cx: &Cx) -> Result<(), ApiError> {
    let configs = cx
        .store
        .list::<TemplateSyncConfig>(Kind::TemplateSyncConfig, None, None, 100_000)
        .await?
        .items;
    let mut by_branch: BTreeMap<(String, String, String), Vec<TemplateSyncConfig>> =
        BTreeMap::new();
    for c in configs {
        by_branch
            .entry((
                c.repository_provider.as_str().to_owned(),
                c.repository_name.clone(),
                c.branch.clone(),
            ))
            .or_default()
            .push(c);
    }
    for ((_, name, branch), configs) in by_branch {
        let provider = configs[0].repository_provider.clone();
        sync_branch(cx, &provider, &name, &branch, &configs).await?;
    }
    Ok(())
}

async fn sync_branch(
    cx: &Cx,
    provider: &RepositoryProvider,
    name: &str,
    branch: &str,
    configs: &[TemplateSyncConfig],
) -> Result<(), ApiError> {
    let repos = &cx.repositories;
    if let Err(e) = repos.refresh(provider, name).await {
        tracing::warn!(repository = %name, error = %e, "could not fetch a synced repository");
        return Ok(());
    }
    let dir = repos.dir(provider, name).map_err(|e| git_error(&e))?;
    if !dir.join("HEAD").exists() {
        return Ok(());
    }
    let Some(head) = git::branch_head(&dir, branch)
        .await
        .map_err(|e| git_error(&e))?
    else {
        return Ok(());
    };
    let repo_key = repository_status_key(provider, name, branch, &SyncType::TemplateSync);
    let repo_state = load_state(cx, &repo_key).await?;
    // Configs created since the last pass are synced even when the branch did not move.
    let synced: Vec<String> = repo_state["templates"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let wanted: Vec<String> = configs
        .iter()
        .map(|c| format!("{}/{}", c.template_type, c.template_name))
        .collect();
    if repo_state["commit"].as_str() == Some(head.as_str()) && synced == wanted {
        return Ok(());
    }
    let started = cx.clock.now();
    let mut events = vec![repo_event(
        cx,
        "SYNC_STARTED",
        format!("Branch {branch} is at {head}"),
        &head,
    )];
    let mut failed = false;
    for c in configs {
        let outcomes = sync_template(cx, c, &dir, &head).await?;
        for (what, ok) in outcomes {
            failed |= !ok;
            events.push(repo_event(
                cx,
                if ok {
                    "TEMPLATE_SYNCED"
                } else {
                    "TEMPLATE_SYNC_FAILED"
                },
                what,
                &head,
            ));
        }
    }
    let attempt = RepositorySyncAttempt {
        events,
        started_at: started,
        status: if failed {
            RepositorySyncStatus::Failed
        } else {
            RepositorySyncStatus::Succeeded
        },
    };
    save_state(
        cx,
        &repo_key,
        &json!({ "latestSync": attempt, "commit": head, "templates": wanted }),
    )
    .await
}

fn repo_event(cx: &Cx, kind: &str, event: String, sha: &str) -> RepositorySyncEvent {
    RepositorySyncEvent {
        event,
        external_id: Some(sha.to_owned()),
        time: cx.clock.now(),
        r#type: kind.to_owned(),
    }
}

fn family(t: &TemplateType) -> Family {
    if *t == TemplateType::Service {
        Family::Service
    } else {
        Family::Environment
    }
}

/// Syncs every `v<major>` directory of one template; returns what happened to each changed one.
async fn sync_template(
    cx: &Cx,
    c: &TemplateSyncConfig,
    dir: &Path,
    head: &str,
) -> Result<Vec<(String, bool)>, ApiError> {
    let base = match c.subdirectory.as_deref().map(|s| s.trim_matches('/')) {
        Some(s) if !s.is_empty() => format!("{s}/{}", c.template_name),
        _ => c.template_name.clone(),
    };
    let majors: Vec<u64> = git::subdirectories(dir, head, &base)
        .await
        .map_err(|e| git_error(&e))?
        .iter()
        .filter_map(|d| d.strip_prefix('v')?.parse().ok())
        .collect();
    let mut out = Vec::new();
    for major in majors {
        let path = format!("{base}/v{major}");
        let Some(tree) = git::object_at(dir, head, &path)
            .await
            .map_err(|e| git_error(&e))?
        else {
            continue;
        };
        let key = template_status_key(&c.template_type, &c.template_name, &major.to_string());
        let state = load_state(cx, &key).await?;
        if state["tree"].as_str() == Some(tree.as_str()) {
            continue; // this content was synced (or tried) already
        }
        let (ok, events, version) = sync_version(cx, c, dir, head, &path, &tree, major).await?;
        let revision = Revision {
            branch: c.branch.clone(),
            directory: path.clone(),
            repository_name: c.repository_name.clone(),
            repository_provider: c.repository_provider.clone(),
            sha: head.to_owned(),
        };
        let initial = serde_json::from_value::<Revision>(state["desiredState"].clone())
            .unwrap_or_else(|_| revision.clone());
        let attempt = ResourceSyncAttempt {
            events,
            initial_revision: initial,
            started_at: cx.clock.now(),
            status: if ok {
                ResourceSyncStatus::Succeeded
            } else {
                ResourceSyncStatus::Failed
            },
            target: c.template_name.clone(),
            target_revision: revision.clone(),
        };
        let mut doc = json!({ "latestSync": attempt, "tree": tree });
        if ok {
            doc["latestSuccessfulSync"] = json!(attempt);
            doc["desiredState"] = json!(revision);
        } else {
            for k in ["latestSuccessfulSync", "desiredState"] {
                if !state[k].is_null() {
                    doc[k] = state[k].clone();
                }
            }
        }
        save_state(cx, &key, &doc).await?;
        out.push((
            format!(
                "{} {} v{major}: {}",
                c.template_type,
                c.template_name,
                version.unwrap_or_else(|| "no version registered".to_owned())
            ),
            ok,
        ));
    }
    Ok(out)
}

fn resource_event(
    cx: &Cx,
    kind: &str,
    event: String,
    external: Option<String>,
) -> ResourceSyncEvent {
    ResourceSyncEvent {
        event,
        external_id: external,
        time: cx.clock.now(),
        r#type: kind.to_owned(),
    }
}

/// Registers one changed directory as a version and waits for the outcome:
/// (succeeded, events, "version X.Y <status>").
async fn sync_version(
    cx: &Cx,
    c: &TemplateSyncConfig,
    dir: &Path,
    head: &str,
    path: &str,
    tree: &str,
    major: u64,
) -> Result<(bool, Vec<ResourceSyncEvent>, Option<String>), ApiError> {
    let fam = family(&c.template_type);
    let mut events = vec![resource_event(
        cx,
        "SYNC_STARTED",
        format!("{path} changed at {head}"),
        Some(head.to_owned()),
    )];
    let fail = |mut events: Vec<ResourceSyncEvent>, message: String| {
        events.push(resource_event(cx, "SYNC_FAILED", message.clone(), None));
        Ok((false, events, Some(message)))
    };
    let bundle = match git::archive(dir, head, path).await {
        Ok(b) => b,
        Err(e) => return fail(events, format!("could not archive {path}: {e}")),
    };
    let key = format!(
        "{}/{}/{tree}.tar.gz",
        c.template_type.as_str().to_ascii_lowercase(),
        c.template_name
    );
    let mut object = cx
        .artifacts
        .create(BUCKET, &key)
        .await
        .map_err(|e| ApiError::InternalServer(e.to_string()))?;
    object
        .write(&bundle)
        .await
        .map_err(|e| ApiError::InternalServer(e.to_string()))?;
    object
        .commit()
        .await
        .map_err(|e| ApiError::InternalServer(e.to_string()))?;
    let (compatible, sources) = if fam == Family::Service {
        match registration_file(dir, head, path).await {
            Ok(r) => r,
            Err(message) => return fail(events, message),
        }
    } else {
        (Vec::new(), None)
    };
    let existing = tv::list(cx, fam, &c.template_name, None, Some(1000), None)
        .await?
        .0;
    let numbers = tv::numbered(&existing);
    let max_major = numbers
        .iter()
        .map(|(v, _)| u64::from(v.major))
        .max()
        .unwrap_or(0);
    let requested = if numbers.iter().any(|(v, _)| u64::from(v.major) == major) {
        Some(major.to_string())
    } else if major == max_major + 1 {
        None
    } else {
        return fail(
            events,
            format!(
                "{path} can't be registered: {} {}'s next new major version is {}",
                fam.what(),
                c.template_name,
                max_major + 1
            ),
        );
    };
    let req = NewVersion {
        template_name: c.template_name.clone(),
        major_version: requested,
        description: Some(format!(
            "Synced from {}@{} ({path})",
            c.repository_name,
            &head[..head.len().min(12)]
        )),
        source: TemplateVersionSourceInput::S3(baryon_model::proton::S3ObjectSource {
            bucket: BUCKET.to_owned(),
            key,
        }),
        compatible_environment_templates: compatible,
        supported_component_sources: sources,
        tags: None,
        client_token: None,
    };
    let created = match tv::create(cx, fam, req).await {
        Ok(v) => v,
        Err(e) => return fail(events, format!("{path} was not registered: {e}")),
    };
    let label = format!("{}.{}", created.major_version, created.minor_version);
    events.push(resource_event(
        cx,
        "VERSION_CREATED",
        format!("Version {label} registering"),
        Some(created.arn.clone()),
    ));
    let done = wait_registered(cx, fam, &created).await?;
    match done.status {
        TemplateVersionStatus::RegistrationFailed => {
            let why = done.status_message.unwrap_or_default();
            fail(
                events,
                format!("Version {label} REGISTRATION_FAILED: {why}"),
            )
        }
        TemplateVersionStatus::RegistrationInProgress => fail(
            events,
            format!("Version {label} was still registering after {REGISTRATION_WAIT:?}"),
        ),
        status => {
            events.push(resource_event(
                cx,
                "SYNC_SUCCEEDED",
                format!("Version {label} {status}"),
                Some(created.arn.clone()),
            ));
            Ok((true, events, Some(format!("version {label} {status}"))))
        }
    }
}

async fn wait_registered(
    cx: &Cx,
    fam: Family,
    v: &ServiceTemplateVersion,
) -> Result<ServiceTemplateVersion, ApiError> {
    let deadline = tokio::time::Instant::now() + REGISTRATION_WAIT;
    let row = tv::row_name_of(v)?;
    loop {
        let current = cx
            .store
            .get::<ServiceTemplateVersion>(fam.version_kind(), &row)
            .await?
            .map_or_else(|| v.clone(), |r| r.doc);
        if current.status != TemplateVersionStatus::RegistrationInProgress
            || tokio::time::Instant::now() >= deadline
        {
            return Ok(current);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A service template version's `.template-registration.yaml`.
async fn registration_file(
    dir: &Path,
    head: &str,
    path: &str,
) -> Result<
    (
        Vec<CompatibleEnvironmentTemplate>,
        Option<Vec<ServiceTemplateSupportedComponentSourceType>>,
    ),
    String,
> {
    let file = format!("{path}/.template-registration.yaml");
    let Some(bytes) = git::file_at(dir, head, &file)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Err(format!(
            "{file} is missing: a service template version needs compatible_environments"
        ));
    };
    let text = String::from_utf8(bytes).map_err(|_| format!("{file} is not UTF-8"))?;
    let root = baryon_model::yaml::parse(&text).map_err(|e| format!("{file}: {e}"))?;
    let mut compatible = Vec::new();
    for entry in root
        .get("compatible_environments")
        .and_then(|n| n.as_seq())
        .unwrap_or_default()
    {
        let (line, col) = entry.pos();
        let Some((name, major)) = entry.as_str().and_then(|s| s.split_once(':')) else {
            return Err(format!(
                "{file}:{line}:{col}: compatible_environments entries are \"<template>:<major>\""
            ));
        };
        compatible.push(CompatibleEnvironmentTemplate {
            major_version: major.to_owned(),
            template_name: name.to_owned(),
        });
    }
    if compatible.is_empty() {
        return Err(format!("{file} lists no compatible_environments"));
    }
    let sources = root
        .get("supported_component_sources")
        .and_then(|n| n.as_seq())
        .map(|s| {
            s.iter()
                .filter_map(|n| n.as_str())
                .map(|v| {
                    if v == "DIRECTLY_DEFINED" {
                        ServiceTemplateSupportedComponentSourceType::DirectlyDefined
                    } else {
                        ServiceTemplateSupportedComponentSourceType::Unknown(v.to_owned())
                    }
                })
                .collect()
        });
    Ok((compatible, sources))
}

/// A sync state row (`Null` when none).
pub async fn load_state(cx: &Cx, key: &str) -> Result<Value, ApiError> {
    Ok(cx
        .store
        .get::<Value>(Kind::SyncStatus, key)
        .await?
        .map_or(Value::Null, |r| r.doc))
}

/// Writes a sync state row (insert or replace).
pub async fn save_state(cx: &Cx, key: &str, doc: &Value) -> Result<(), ApiError> {
    let arn = cx.arn(&format!("sync-status/{key}"));
    let cols = Columns {
        name: key,
        parent: "",
        status: doc["latestSync"]["status"].as_str().unwrap_or_default(),
        arn: &arn,
    };
    for _ in 0..5 {
        match cx.store.get::<Value>(Kind::SyncStatus, key).await? {
            Some(row) => {
                if cx
                    .store
                    .update(Kind::SyncStatus, &cols, row.version, doc)
                    .await?
                {
                    return Ok(());
                }
            }
            None => {
                if cx.store.insert(Kind::SyncStatus, &cols, doc).await? {
                    return Ok(());
                }
            }
        }
    }
    Err(ApiError::Conflict(format!(
        "the sync state {key} kept changing"
    )))
}
