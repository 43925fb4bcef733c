//! Git sync: linked repositories (list, detail with GetRepositorySyncStatus), a template's
//! sync config (create, update, delete; GetTemplateSyncStatus) on its template page, and a
//! service's sync config with its sync blockers (GetServiceSyncBlockerSummary, resolve with
//! UpdateServiceSyncBlocker) on its service page.

use baryon_model::proton::Operation;
use baryon_model::proton::{
    CreateRepositoryInput, CreateServiceSyncConfigInput, CreateTemplateSyncConfigInput,
    DeleteServiceSyncConfigInput, DeleteTemplateSyncConfigInput, GetRepositoryInput,
    GetRepositorySyncStatusInput, GetServiceSyncBlockerSummaryInput, GetServiceSyncConfigInput,
    GetTemplateSyncConfigInput, GetTemplateSyncStatusInput, ListRepositoriesInput,
    RepositoryProvider, ResourceSyncAttempt, SyncType, TemplateType, UpdateServiceSyncBlockerInput,
    UpdateTemplateSyncConfigInput, ops,
};
use baryon_model::shape::OperationShape;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api::{ApiError, call};
use crate::form::request_problems;
use crate::templates::Family;
use crate::ui::{
    Empty, ErrorBox, Facts, Head, Status, TextField, act, confirm, effect, fetch, list, load, memo,
    param, show, table, when,
};

/// `/repositories`: the linked repositories, and a form to link one (CreateRepository).
#[component]
pub fn Repositories() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let page = fetch::<ops::ListRepositories>(move || {
        tick.track();
        ListRepositoriesInput::default()
    });
    let provider = RwSignal::new("GITHUB".to_owned());
    let name = RwSignal::new(String::new());
    let connection = RwSignal::new(String::new());
    let request = move || CreateRepositoryInput {
        provider: RepositoryProvider::from(provider.get().as_str()),
        name: name.get().trim().to_owned(),
        connection_arn: connection.get().trim().to_owned(),
        encryption_key: None,
        tags: None,
    };
    let problems = memo(move || request_problems::<ops::CreateRepository>(&request()));
    let problem =
        move |path: &'static str| Signal::derive(move || problems.with(|p| p.get(path).cloned()));
    let navigate = use_navigate();
    let create = act(move |input: &CreateRepositoryInput| {
        let input = input.clone();
        async move { call::<ops::CreateRepository>(input).await }
    });
    effect(move || {
        if let Some(Ok(out)) = create.value() {
            let r = out.repository;
            navigate(
                &format!("/repositories/{}/{}", r.provider.as_str(), r.name),
                NavigateOptions::default(),
            );
        }
    });
    view! {
        <Head title="Repositories" />
        {list(page, &["Name", "Provider", "Connection"], "No linked repositories.", |out| {
            out.repositories.into_iter().map(|r| view! {
                <tr>
                    <td><a href=format!("/repositories/{}/{}", r.provider.as_str(), r.name)>{r.name.clone()}</a></td>
                    <td>{r.provider.as_str().to_owned()}</td>
                    <td class="mono">{r.connection_arn.clone()}</td>
                </tr>
            }.into_any()).collect()
        })}
        <h2>"Link a repository"</h2>
        <form class="panel" on:submit=move |ev| {
            ev.prevent_default();
            if problems.with_untracked(std::collections::BTreeMap::is_empty) {
                create.dispatch(request());
            }
        }>
            <label>
                "Provider"
                <select name="provider" prop:value=move || provider.get() on:change=move |ev| provider.set(event_target_value(&ev))>
                    {RepositoryProvider::VALUES.iter().map(|v| view! { <option value=*v>{*v}</option> }).collect_view()}
                </select>
            </label>
            <TextField label="Name" name="repositoryName" value=name error=problem("name") placeholder="owner/repository" />
            <TextField label="Connection ARN" name="connectionArn" value=connection error=problem("connectionArn") placeholder="arn:aws:codestar-connections:…" />
            {move || create.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
            <button type="submit" class="primary" disabled=move || create.pending() || problems.with(|p| !p.is_empty())>"Link repository"</button>
        </form>
    }
}

/// `/repositories/:provider/*name` (names are `owner/repo`).
#[component]
pub fn RepositoryDetail() -> impl IntoView {
    let provider = param("provider");
    let name = param("name");
    let repo = fetch::<ops::GetRepository>(move || GetRepositoryInput {
        name: name.get(),
        provider: RepositoryProvider::from(provider.get().as_str()),
    });
    let branch = RwSignal::new("main".to_owned());
    let sync_type = RwSignal::new("TEMPLATE_SYNC".to_owned());
    let status = fetch::<ops::GetRepositorySyncStatus>(move || GetRepositorySyncStatusInput {
        branch: branch.get(),
        repository_name: name.get(),
        repository_provider: RepositoryProvider::from(provider.get().as_str()),
        sync_type: SyncType::from(sync_type.get().as_str()),
    });
    view! {
        <Head title=move || name.get()>
            <a href="/repositories">"Repositories"</a>
        </Head>
        {show(repo, |out| {
            let r = out.repository;
            view! {
                <Facts rows=vec![
                    ("Provider", Some(r.provider.as_str().to_owned())),
                    ("Connection", Some(r.connection_arn)),
                    ("Encryption key", r.encryption_key),
                    ("ARN", Some(r.arn)),
                ] />
            }
        })}
        <h2>"Sync status"</h2>
        <div class="row">
            <TextField label="Branch" name="branch" value=branch />
            <label>
                "Sync type"
                <select name="syncType" on:change=move |ev| sync_type.set(event_target_value(&ev))>
                    {SyncType::VALUES.iter().map(|t| view! { <option value=*t selected=move || sync_type.get() == *t>{*t}</option> }).collect_view()}
                </select>
            </label>
        </div>
        {show(status, |out| match out.latest_sync {
            None => view! { <Empty text="No sync has run for this branch yet." /> }.into_any(),
            Some(a) => view! {
                <div class="status-line">
                    <Status status=a.status.as_str().to_owned() />
                    <span class="status-message">{format!("started {}", when(a.started_at))}</span>
                </div>
                {events(a.events.into_iter().map(|e| (e.time, e.r#type, e.event)).collect())}
            }
            .into_any(),
        })}
    }
}

fn events(rows: Vec<(baryon_model::Timestamp, String, String)>) -> AnyView {
    let rows = rows
        .into_iter()
        .map(|(t, kind, event)| {
            view! { <tr><td>{when(t)}</td><td>{kind}</td><td>{event}</td></tr> }.into_any()
        })
        .collect();
    table(&["Time", "Type", "Event"], "No events.", rows)
}

/// Provider, repository and branch fields of a sync config form.
#[component]
fn RepoFields(
    provider: RwSignal<String>,
    repository: RwSignal<String>,
    branch: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="row">
            <label>
                "Provider"
                <select name="syncProvider" on:change=move |ev| provider.set(event_target_value(&ev))>
                    {RepositoryProvider::VALUES.iter().map(|p| view! { <option value=*p selected=move || provider.get() == *p>{*p}</option> }).collect_view()}
                </select>
            </label>
            <TextField label="Repository (owner/name)" name="syncRepository" value=repository />
            <TextField label="Branch" name="syncBranch" value=branch />
        </div>
    }
}

/// Calls `Op` and picks an optional member of its answer; a missing resource reads as `None`,
/// whichever way the engine says it.
async fn optional<Op, T>(
    input: Op::Input,
    pick: fn(Op::Output) -> Option<T>,
) -> Result<Option<T>, ApiError>
where
    Op: OperationShape<Op = Operation>,
{
    match call::<Op>(input).await {
        Ok(out) => Ok(pick(out)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn attempt_view(what: &'static str, a: Option<ResourceSyncAttempt>) -> AnyView {
    match a {
        None => view! { <p class="muted">{format!("{what}: none yet.")}</p> }.into_any(),
        Some(a) => view! {
            <p>
                {format!("{what}: ")}
                <Status status=a.status.as_str().to_owned() />
                {format!(" {} → {} ({})", a.initial_revision.sha, a.target_revision.sha, when(a.started_at))}
            </p>
        }
        .into_any(),
    }
}

/// A template's sync config (on its template page): create it, change it, delete it, and the
/// sync status of one major version.
#[component]
pub fn TemplateSync(
    /// The template's family.
    family: Family,
    /// The template's name.
    name: Signal<String>,
) -> impl IntoView {
    let template_type = move || match family {
        Family::Environment => TemplateType::Environment,
        Family::Service => TemplateType::Service,
    };
    let tick = RwSignal::new(0u32);
    let config = load(move || {
        tick.track();
        optional::<ops::GetTemplateSyncConfig, _>(
            GetTemplateSyncConfigInput {
                template_name: name.get(),
                template_type: template_type(),
            },
            |o| o.template_sync_config,
        )
    });
    let provider = RwSignal::new("GITHUB".to_owned());
    let repository = RwSignal::new(String::new());
    let branch = RwSignal::new("main".to_owned());
    let subdirectory = RwSignal::new(String::new());
    let exists = RwSignal::new(false);
    effect(move || {
        if let Some(Ok(c)) = config.get() {
            exists.set(c.is_some());
            if let Some(c) = c {
                provider.set(c.repository_provider.as_str().to_owned());
                repository.set(c.repository_name);
                branch.set(c.branch);
                subdirectory.set(c.subdirectory.unwrap_or_default());
            }
        }
    });
    let save = act(move |what: &&'static str| {
        let what = *what;
        let (template_name, template_type) = (name.get_untracked(), template_type());
        let repository_provider = RepositoryProvider::from(provider.get_untracked().as_str());
        let (repository_name, branch) = (repository.get_untracked(), branch.get_untracked());
        let subdirectory = Some(subdirectory.get_untracked()).filter(|s| !s.trim().is_empty());
        async move {
            match what {
                "delete" => call::<ops::DeleteTemplateSyncConfig>(DeleteTemplateSyncConfigInput {
                    template_name,
                    template_type,
                })
                .await
                .map(|_| ()),
                "update" => call::<ops::UpdateTemplateSyncConfig>(UpdateTemplateSyncConfigInput {
                    branch,
                    repository_name,
                    repository_provider,
                    subdirectory,
                    template_name,
                    template_type,
                })
                .await
                .map(|_| ()),
                _ => call::<ops::CreateTemplateSyncConfig>(CreateTemplateSyncConfigInput {
                    branch,
                    repository_name,
                    repository_provider,
                    subdirectory,
                    template_name,
                    template_type,
                })
                .await
                .map(|_| ()),
            }
        }
    });
    effect(move || {
        if let Some(Ok(())) = save.value() {
            tick.update(|t| *t = t.wrapping_add(1));
        }
    });
    let version = RwSignal::new("1".to_owned());
    let status = load(move || {
        tick.track();
        let input = GetTemplateSyncStatusInput {
            template_name: name.get(),
            template_type: template_type(),
            template_version: version.get(),
        };
        let has = exists.get();
        async move {
            if !has {
                return Ok(None);
            }
            call::<ops::GetTemplateSyncStatus>(input).await.map(Some)
        }
    });
    view! {
        <h2>"Template sync"</h2>
        <div class="panel template-sync">
            {show(config, |c| match c {
                None => view! { <p class="muted">"Not synced from a repository."</p> }.into_any(),
                Some(c) => view! {
                    <p class="synced">{format!("Synced from {} {} branch {}{}", c.repository_provider.as_str(), c.repository_name, c.branch, c.subdirectory.map(|d| format!(", directory {d}")).unwrap_or_default())}</p>
                }
                .into_any(),
            })}
            <RepoFields provider=provider repository=repository branch=branch />
            <TextField label="Subdirectory (optional)" name="syncSubdirectory" value=subdirectory />
            <div class="actions">
                {move || if exists.get() {
                    view! {
                        <button type="button" on:click=move |_| { save.dispatch("update"); }>"Update sync"</button>
                        <button type="button" class="danger" on:click=move |_| {
                            if confirm("Stop syncing this template from its repository?") {
                                save.dispatch("delete");
                            }
                        }>"Delete sync"</button>
                    }
                    .into_any()
                } else {
                    view! { <button type="button" class="primary" on:click=move |_| { save.dispatch("create"); }>"Sync from repository"</button> }.into_any()
                }}
            </div>
            {move || save.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
            <div class="row">
                <TextField label="Sync status of major version" name="syncVersion" value=version />
            </div>
            {show(status, |s| match s {
                None => ().into_any(),
                Some(s) => view! {
                    {attempt_view("Latest sync", s.latest_sync)}
                    {attempt_view("Latest successful sync", s.latest_successful_sync)}
                }
                .into_any(),
            })}
        </div>
    }
}

/// A service's sync config and sync blockers (on its service page).
#[component]
pub fn ServiceSync(
    /// The service's name.
    name: Signal<String>,
) -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let config = load(move || {
        tick.track();
        optional::<ops::GetServiceSyncConfig, _>(
            GetServiceSyncConfigInput {
                service_name: name.get(),
            },
            |o| o.service_sync_config,
        )
    });
    let provider = RwSignal::new("GITHUB".to_owned());
    let repository = RwSignal::new(String::new());
    let branch = RwSignal::new("main".to_owned());
    let file_path = RwSignal::new("proton/spec.yaml".to_owned());
    // "create" or "delete"
    let act = act(move |what: &&'static str| {
        let what = *what;
        let service_name = name.get_untracked();
        let input = CreateServiceSyncConfigInput {
            branch: branch.get_untracked(),
            file_path: file_path.get_untracked(),
            repository_name: repository.get_untracked(),
            repository_provider: RepositoryProvider::from(provider.get_untracked().as_str()),
            service_name: service_name.clone(),
        };
        async move {
            match what {
                "delete" => call::<ops::DeleteServiceSyncConfig>(DeleteServiceSyncConfigInput {
                    service_name,
                })
                .await
                .map(|_| ()),
                _ => call::<ops::CreateServiceSyncConfig>(input)
                    .await
                    .map(|_| ()),
            }
        }
    });
    effect(move || {
        if let Some(Ok(())) = act.value() {
            tick.update(|t| *t = t.wrapping_add(1));
        }
    });
    view! {
        <h2>"Service sync"</h2>
        <div class="panel service-sync">
            {show(config, move |c| match c {
                None => view! {
                    <p class="muted">"The spec is not synced from a repository."</p>
                    <RepoFields provider=provider repository=repository branch=branch />
                    <TextField label="Spec file path" name="syncFilePath" value=file_path />
                    <button type="button" class="primary" on:click=move |_| { act.dispatch("create"); }>"Sync spec from repository"</button>
                }
                .into_any(),
                Some(c) => view! {
                    <p class="synced">{format!("Spec synced from {} {} branch {}, file {}", c.repository_provider.as_str(), c.repository_name, c.branch, c.file_path)}</p>
                    <button type="button" class="danger" on:click=move |_| {
                        if confirm("Stop syncing this service's spec?") {
                            act.dispatch("delete");
                        }
                    }>"Delete sync"</button>
                }
                .into_any(),
            })}
            {move || act.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
            <h3>"Sync blockers"</h3>
            <SyncBlockers service=name />
        </div>
    }
}

/// The sync blockers of a service (`instance` `None`) or of one of its instances, each active
/// one with a Resolve button (UpdateServiceSyncBlocker with the reason asked for). With
/// `hide_empty`, nothing is shown while there is no blocker.
#[component]
pub fn SyncBlockers(
    /// The service's name.
    service: Signal<String>,
    /// The instance, for an instance's blockers.
    #[prop(optional)]
    instance: Option<Signal<String>>,
    /// Show nothing when there is no blocker (instead of "No sync blockers.").
    #[prop(optional)]
    hide_empty: bool,
) -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let blockers = load(move || {
        tick.track();
        optional::<ops::GetServiceSyncBlockerSummary, _>(
            GetServiceSyncBlockerSummaryInput {
                service_name: service.get(),
                service_instance_name: instance.map(|i| i.get()),
            },
            |o| o.service_sync_blocker_summary,
        )
    });
    // (blocker id, resolved reason)
    let resolve = act(move |(id, reason): &(String, String)| {
        let input = UpdateServiceSyncBlockerInput {
            id: id.clone(),
            resolved_reason: reason.clone(),
        };
        async move {
            call::<ops::UpdateServiceSyncBlocker>(input)
                .await
                .map(|_| ())
        }
    });
    effect(move || {
        if let Some(Ok(())) = resolve.value() {
            tick.update(|t| *t = t.wrapping_add(1));
        }
    });
    view! {
        {move || resolve.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        {show(blockers, move |b| {
            let blockers = b.and_then(|b| b.latest_blockers).unwrap_or_default();
            if hide_empty && blockers.is_empty() {
                return ().into_any();
            }
            let rows = blockers
                .into_iter()
                .map(|b| {
                    let id = b.id.clone();
                    let active = b.status.as_str() == "ACTIVE";
                    view! {
                        <tr class="blocker">
                            <td class="mono">{b.id.clone()}</td>
                            <td>{b.created_reason.clone()}{b.resolved_reason.clone().map(|r| view! { <div class="muted">{format!("Resolved: {r}")}</div> })}</td>
                            <td><Status status=b.status.as_str().to_owned() /></td>
                            <td>{when(b.created_at)}</td>
                            <td>
                                {active.then(|| view! {
                                    <button type="button" on:click=move |_| {
                                        let reason = window().prompt_with_message("Why is this blocker resolved?").ok().flatten();
                                        if let Some(r) = reason.filter(|r| !r.trim().is_empty()) {
                                            resolve.dispatch((id.clone(), r));
                                        }
                                    }>"Resolve"</button>
                                })}
                            </td>
                        </tr>
                    }
                    .into_any()
                })
                .collect();
            let heading = instance.is_some().then(|| view! { <h2>"Sync blockers"</h2> });
            view! { {heading} {table(&["Id", "Reason", "Status", "Created", ""], "No sync blockers.", rows)} }.into_any()
        })}
    }
}
