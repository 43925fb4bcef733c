//! Environment and service templates: list, detail with versions, create a template, create a
//! version from an uploaded `.tar.gz` bundle (registration polled until it ends), publish,
//! delete. Both families share the pages; [`Family`] picks the operations.

use baryon_model::Timestamp;
use baryon_model::proton::{
    CompatibleEnvironmentTemplateInput, CreateEnvironmentTemplateInput,
    CreateEnvironmentTemplateVersionInput, CreateServiceTemplateInput,
    CreateServiceTemplateVersionInput, DeleteEnvironmentTemplateInput,
    DeleteEnvironmentTemplateVersionInput, DeleteServiceTemplateInput,
    DeleteServiceTemplateVersionInput, GetEnvironmentTemplateInput, GetServiceTemplateInput,
    GetServiceTemplateVersionInput, ListEnvironmentTemplateVersionsInput,
    ListEnvironmentTemplatesInput, ListServiceTemplateVersionsInput, ListServiceTemplatesInput,
    Provisioning, TemplateVersionSourceInput, TemplateVersionStatus,
    UpdateEnvironmentTemplateVersionInput, UpdateServiceTemplateVersionInput, ops,
};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api::{ApiError, call, upload_bundle};
use crate::form::request_problems;
use crate::sync::TemplateSync;
use crate::ui::{
    ErrorBox, Facts, Head, Loaded, Status, Tags, TextField, act, confirm, effect, load, memo,
    param, poll_while, show, table, when,
};

/// The published version a template's `recommendedVersion` names, as `(major, minor)`.
/// Proton gives the recommended *major* (`"2"`); its minor is that major's
/// `recommendedMinorVersion`. A full `"2.1"` is read as major and minor.
pub fn recommended_version(recommended: &str, versions: &[VersionRow]) -> Option<(String, String)> {
    let (major, minor) = match recommended.split_once('.') {
        Some((a, b)) => (a.to_owned(), Some(b.to_owned())),
        None => (recommended.to_owned(), None),
    };
    let minor = minor.or_else(|| {
        versions
            .iter()
            .find(|v| v.major == major)
            .and_then(|v| v.recommended_minor.clone())
    })?;
    versions
        .iter()
        .any(|v| v.major == major && v.minor == minor && v.status == "PUBLISHED")
        .then_some((major, minor))
}

/// The two template families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Environment templates.
    Environment,
    /// Service templates.
    Service,
}

impl Family {
    /// The URL segment: `environment` or `service`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Environment => "environment",
            Self::Service => "service",
        }
    }

    /// `Environment templates` / `Service templates`.
    pub fn title(self) -> &'static str {
        match self {
            Self::Environment => "Environment templates",
            Self::Service => "Service templates",
        }
    }
}

/// What the pages show of a template, whichever the family.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateRow {
    /// Name.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// `major.minor` of the recommended version.
    pub recommended_version: Option<String>,
    /// Environment: `provisioning`; service: `pipelineProvisioning`.
    pub provisioning: Option<String>,
    /// Creation time.
    pub created_at: Timestamp,
}

/// What the pages show of a template version, whichever the family.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRow {
    /// Major version.
    pub major: String,
    /// Minor version.
    pub minor: String,
    /// Status (`REGISTRATION_IN_PROGRESS`, `DRAFT`, `PUBLISHED`, `REGISTRATION_FAILED`).
    pub status: String,
    /// Why registration failed, when it did.
    pub status_message: Option<String>,
    /// The recommended minor version of this major version.
    pub recommended_minor: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Service templates: `name:major` of each compatible environment template.
    pub compatible: Vec<String>,
    /// Creation time.
    pub created_at: Timestamp,
}

fn provisioning(p: Option<&Provisioning>) -> Option<String> {
    p.map(|p| p.as_str().to_owned())
}

/// A [`TemplateRow`] from either family's template (or summary) `$t`, whose provisioning is
/// in its field `$prov`.
macro_rules! template_row {
    ($t:expr, $prov:ident) => {{
        let t = $t;
        TemplateRow {
            provisioning: provisioning(t.$prov.as_ref()),
            name: t.name,
            arn: t.arn,
            display_name: t.display_name,
            description: t.description,
            recommended_version: t.recommended_version,
            created_at: t.created_at,
        }
    }};
}

/// Every template of a family.
pub async fn list_templates(family: Family) -> Result<Vec<TemplateRow>, ApiError> {
    let mut rows = Vec::new();
    let mut next_token = None;
    loop {
        let next = match family {
            Family::Environment => {
                let out = call::<ops::ListEnvironmentTemplates>(ListEnvironmentTemplatesInput {
                    next_token,
                    ..Default::default()
                })
                .await?;
                rows.extend(
                    out.templates
                        .into_iter()
                        .map(|t| template_row!(t, provisioning)),
                );
                out.next_token
            }
            Family::Service => {
                let out = call::<ops::ListServiceTemplates>(ListServiceTemplatesInput {
                    next_token,
                    ..Default::default()
                })
                .await?;
                rows.extend(
                    out.templates
                        .into_iter()
                        .map(|t| template_row!(t, pipeline_provisioning)),
                );
                out.next_token
            }
        };
        match next {
            Some(t) => next_token = Some(t),
            None => return Ok(rows),
        }
    }
}

/// One template.
pub async fn get_template(family: Family, name: String) -> Result<TemplateRow, ApiError> {
    Ok(match family {
        Family::Environment => {
            let t = call::<ops::GetEnvironmentTemplate>(GetEnvironmentTemplateInput { name })
                .await?
                .environment_template;
            template_row!(t, provisioning)
        }
        Family::Service => {
            let t = call::<ops::GetServiceTemplate>(GetServiceTemplateInput { name })
                .await?
                .service_template;
            template_row!(t, pipeline_provisioning)
        }
    })
}

/// Every version of a template, newest first. Service versions are read one by one for their
/// compatible environment templates.
pub async fn list_versions(family: Family, name: String) -> Result<Vec<VersionRow>, ApiError> {
    let mut rows = Vec::new();
    let mut next_token = None;
    loop {
        let next = match family {
            Family::Environment => {
                let out = call::<ops::ListEnvironmentTemplateVersions>(
                    ListEnvironmentTemplateVersionsInput {
                        template_name: name.clone(),
                        next_token,
                        ..Default::default()
                    },
                )
                .await?;
                rows.extend(out.template_versions.into_iter().map(|v| VersionRow {
                    major: v.major_version,
                    minor: v.minor_version,
                    status: v.status.as_str().to_owned(),
                    status_message: v.status_message,
                    recommended_minor: v.recommended_minor_version,
                    description: v.description,
                    compatible: Vec::new(),
                    created_at: v.created_at,
                }));
                out.next_token
            }
            Family::Service => {
                let out =
                    call::<ops::ListServiceTemplateVersions>(ListServiceTemplateVersionsInput {
                        template_name: name.clone(),
                        next_token,
                        ..Default::default()
                    })
                    .await?;
                for v in out.template_versions {
                    let detail =
                        call::<ops::GetServiceTemplateVersion>(GetServiceTemplateVersionInput {
                            template_name: name.clone(),
                            major_version: v.major_version.clone(),
                            minor_version: v.minor_version.clone(),
                        })
                        .await?
                        .service_template_version;
                    rows.push(VersionRow {
                        major: v.major_version,
                        minor: v.minor_version,
                        status: v.status.as_str().to_owned(),
                        status_message: v.status_message,
                        recommended_minor: v.recommended_minor_version,
                        description: v.description,
                        compatible: detail
                            .compatible_environment_templates
                            .into_iter()
                            .map(|c| format!("{}:{}", c.template_name, c.major_version))
                            .collect(),
                        created_at: v.created_at,
                    });
                }
                out.next_token
            }
        };
        match next {
            Some(t) => next_token = Some(t),
            None => break,
        }
    }
    rows.sort_by_key(|v| std::cmp::Reverse(version_key(v)));
    Ok(rows)
}

fn version_key(v: &VersionRow) -> (u64, u64) {
    (v.major.parse().unwrap_or(0), v.minor.parse().unwrap_or(0))
}

/// `/templates/<family>`.
#[component]
pub fn TemplateList(
    /// Which templates.
    family: Family,
) -> impl IntoView {
    let rows = load(move || list_templates(family));
    view! {
        <Head title=family.title()>
            <a class="button" href=format!("/templates/{}/new", family.slug())>"Create template"</a>
        </Head>
        {show(rows, move |rows| {
            if rows.is_empty() {
                return view! {
                    <p class="muted empty">
                        "No templates yet. "
                        <a href=format!("/templates/{}/new", family.slug())>"Create one"</a>
                        " and register a version from a bundle."
                    </p>
                }
                    .into_any();
            }
            let rows = rows
                .into_iter()
                .map(|t| {
                    view! {
                        <tr>
                            <td>
                                <a href=format!("/templates/{}/{}", family.slug(), t.name)>{t.name.clone()}</a>
                            </td>
                            <td>{t.display_name.unwrap_or_default()}</td>
                            <td>{t.recommended_version.unwrap_or_else(|| "—".into())}</td>
                            <td>{t.provisioning.unwrap_or_else(|| "AWS managed".into())}</td>
                            <td>{when(t.created_at)}</td>
                        </tr>
                    }
                    .into_any()
                })
                .collect();
            table(&["Name", "Display name", "Recommended version", "Provisioning", "Created"], "", rows)
        })}
    }
}

/// `/templates/<family>/new`.
#[component]
pub fn CreateTemplate(
    /// Which kind of template.
    family: Family,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let self_managed = RwSignal::new(false);
    let navigate = use_navigate();
    let opt = |s: String| (!s.trim().is_empty()).then_some(s);
    let problems = memo(move || {
        let (n, d, desc) = (name.get(), display_name.get(), description.get());
        match family {
            Family::Environment => request_problems::<ops::CreateEnvironmentTemplate>(
                &CreateEnvironmentTemplateInput {
                    name: n,
                    display_name: opt(d),
                    description: opt(desc),
                    ..Default::default()
                },
            ),
            Family::Service => {
                request_problems::<ops::CreateServiceTemplate>(&CreateServiceTemplateInput {
                    name: n,
                    display_name: opt(d),
                    description: opt(desc),
                    ..Default::default()
                })
            }
        }
    });
    let create = act(move |(): &()| {
        let (n, d, desc) = (
            name.get_untracked(),
            display_name.get_untracked(),
            description.get_untracked(),
        );
        let prov = self_managed
            .get_untracked()
            .then_some(Provisioning::CustomerManaged);
        async move {
            match family {
                Family::Environment => {
                    call::<ops::CreateEnvironmentTemplate>(CreateEnvironmentTemplateInput {
                        name: n.clone(),
                        display_name: opt(d),
                        description: opt(desc),
                        provisioning: prov,
                        ..Default::default()
                    })
                    .await
                    .map(|_| n)
                }
                Family::Service => call::<ops::CreateServiceTemplate>(CreateServiceTemplateInput {
                    name: n.clone(),
                    display_name: opt(d),
                    description: opt(desc),
                    pipeline_provisioning: prov,
                    ..Default::default()
                })
                .await
                .map(|_| n),
            }
        }
    });
    effect(move || {
        if let Some(Ok(n)) = create.value() {
            navigate(
                &format!("/templates/{}/{n}", family.slug()),
                NavigateOptions::default(),
            );
        }
    });
    let problem =
        move |path: &'static str| Signal::derive(move || problems.with(|p| p.get(path).cloned()));
    view! {
        <Head title=format!("Create {}", family.title().trim_end_matches('s').to_lowercase())>
            <a href=format!("/templates/{}", family.slug())>"Cancel"</a>
        </Head>
        <form class="panel" on:submit=move |ev| {
            ev.prevent_default();
            create.dispatch(());
        }>
            <TextField label="Name" name="name" value=name error=problem("name") />
            <TextField label="Display name" name="displayName" value=display_name error=problem("displayName") />
            <label>
                "Description"
                <textarea name="description" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
                <span class="field-error">{problem("description")}</span>
            </label>
            <label class="check">
                <input type="checkbox" name="selfManaged" prop:checked=move || self_managed.get() on:change=move |ev| self_managed.set(event_target_checked(&ev)) />
                {match family {
                    Family::Environment => "Self-managed provisioning (CUSTOMER_MANAGED): deployments are reported back through NotifyResourceDeploymentStatusChange",
                    Family::Service => "Self-managed pipeline provisioning (CUSTOMER_MANAGED)",
                }}
            </label>
            {move || create.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
            <button type="submit" class="primary" disabled=move || create.pending() || !problems.with(std::collections::BTreeMap::is_empty)>
                {move || if create.pending() { "Creating…" } else { "Create template" }}
            </button>
        </form>
    }
}

/// `/templates/<family>/:name`.
#[component]
pub fn TemplateDetail(
    /// Which kind of template.
    family: Family,
) -> impl IntoView {
    let name = param("name");
    let tick = RwSignal::new(0u32);
    let template = load(move || {
        tick.track();
        get_template(family, name.get())
    });
    let versions: Loaded<Vec<VersionRow>> = load(move || {
        tick.track();
        list_versions(family, name.get())
    });
    poll_while(tick, versions, 1000, |vs| {
        vs.iter().any(|v| v.status == "REGISTRATION_IN_PROGRESS")
    });
    let navigate = use_navigate();
    let delete = act(move |(): &()| {
        let n = name.get_untracked();
        async move {
            match family {
                Family::Environment => {
                    call::<ops::DeleteEnvironmentTemplate>(DeleteEnvironmentTemplateInput {
                        name: n,
                    })
                    .await
                    .map(|_| ())
                }
                Family::Service => {
                    call::<ops::DeleteServiceTemplate>(DeleteServiceTemplateInput { name: n })
                        .await
                        .map(|_| ())
                }
            }
        }
    });
    effect(move || {
        if let Some(Ok(())) = delete.value() {
            navigate(
                &format!("/templates/{}", family.slug()),
                NavigateOptions::default(),
            );
        }
    });
    let refresh = move || {
        tick.update(|t| *t = t.wrapping_add(1));
    };
    view! {
        <Head title=move || name.get()>
            {move || match family {
                Family::Environment => view! { <a class="button" href=format!("/environments/new?template={}", name.get())>"Create environment"</a> },
                Family::Service => view! { <a class="button" href=format!("/services/new?template={}", name.get())>"Create service"</a> },
            }}
            <button class="danger" on:click=move |_| {
                if confirm(&format!("Delete template {}? Its versions must be deleted first.", name.get_untracked())) {
                    delete.dispatch(());
                }
            }>"Delete template"</button>
        </Head>
        {move || delete.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        {show(template, |t| {
            let arn = t.arn.clone();
            view! {
                <Facts rows=vec![
                    ("Display name", t.display_name),
                    ("Description", t.description),
                    ("Recommended version", Some(t.recommended_version.unwrap_or_else(|| "none published yet".into()))),
                    ("Provisioning", Some(t.provisioning.unwrap_or_else(|| "AWS managed".into()))),
                    ("ARN", Some(t.arn)),
                    ("Created", Some(when(t.created_at))),
                ] />
                <Tags arn=arn />
            }
        })}
        <h2>"Versions"</h2>
        {show(versions, move |vs| view! { <VersionTable family=family name=name.get_untracked() versions=vs on_change=Callback::new(move |()| refresh()) /> })}
        <NewVersion family=family name=name on_created=Callback::new(move |()| refresh()) />
        <TemplateSync family=family name=name />
    }
}

#[component]
fn VersionTable(
    family: Family,
    name: String,
    versions: Vec<VersionRow>,
    on_change: Callback<()>,
) -> impl IntoView {
    if versions.is_empty() {
        return view! { <p class="muted empty">"No versions yet: upload a bundle below."</p> }
            .into_any();
    }
    let error = RwSignal::new(None::<ApiError>);
    let act = act(
        move |(what, major, minor): &(&'static str, String, String)| {
            let (what, major, minor, name) = (*what, major.clone(), minor.clone(), name.clone());
            async move {
                let r = version_action(family, what, name, major, minor).await;
                match r {
                    Ok(()) => error.set(None),
                    Err(e) => error.set(Some(e)),
                }
                on_change.run(());
            }
        },
    );
    view! {
        {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
        <table class="versions">
            <thead>
                <tr>
                    <th>"Version"</th>
                    <th>"Status"</th>
                    <th>"Description"</th>
                    {(family == Family::Service).then(|| view! { <th>"Compatible environment templates"</th> })}
                    <th>"Created"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {versions
                    .into_iter()
                    .map(|v| {
                        let recommended = v.recommended_minor.as_deref() == Some(v.minor.as_str());
                        let (major, minor) = (v.major.clone(), v.minor.clone());
                        let (major2, minor2) = (v.major.clone(), v.minor.clone());
                        let draft = v.status == "DRAFT";
                        view! {
                            <tr data-version=format!("{}.{}", v.major, v.minor)>
                                <td>
                                    {format!("{}.{}", v.major, v.minor)}
                                    {recommended.then(|| view! { " " <span class="pill ok">"recommended"</span> })}
                                </td>
                                <td>
                                    <Status status=v.status.clone() />
                                    {v.status_message.map(|m| view! { <div class="status-message">{m}</div> })}
                                </td>
                                <td>{v.description.unwrap_or_default()}</td>
                                {(family == Family::Service).then(|| view! { <td>{v.compatible.join(", ")}</td> })}
                                <td>{when(v.created_at)}</td>
                                <td class="row-actions">
                                    {draft.then(|| view! {
                                        <button class="primary" on:click=move |_| {
                                            act.dispatch(("publish", major.clone(), minor.clone()));
                                        }>"Publish"</button>
                                    })}
                                    <button class="danger" on:click=move |_| {
                                        if confirm(&format!("Delete version {major2}.{minor2}?")) {
                                            act.dispatch(("delete", major2.clone(), minor2.clone()));
                                        }
                                    }>"Delete"</button>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

async fn version_action(
    family: Family,
    what: &str,
    template_name: String,
    major_version: String,
    minor_version: String,
) -> Result<(), ApiError> {
    match (family, what) {
        (Family::Environment, "publish") => {
            call::<ops::UpdateEnvironmentTemplateVersion>(UpdateEnvironmentTemplateVersionInput {
                template_name,
                major_version,
                minor_version,
                status: Some(TemplateVersionStatus::Published),
                ..Default::default()
            })
            .await
            .map(|_| ())
        }
        (Family::Service, "publish") => {
            call::<ops::UpdateServiceTemplateVersion>(UpdateServiceTemplateVersionInput {
                template_name,
                major_version,
                minor_version,
                status: Some(TemplateVersionStatus::Published),
                ..Default::default()
            })
            .await
            .map(|_| ())
        }
        (Family::Environment, _) => {
            call::<ops::DeleteEnvironmentTemplateVersion>(DeleteEnvironmentTemplateVersionInput {
                template_name,
                major_version,
                minor_version,
            })
            .await
            .map(|_| ())
        }
        (Family::Service, _) => {
            call::<ops::DeleteServiceTemplateVersion>(DeleteServiceTemplateVersionInput {
                template_name,
                major_version,
                minor_version,
            })
            .await
            .map(|_| ())
        }
    }
}

/// A bundle object key: `<template>/<epoch ms>-<file name>` with anything but
/// `[A-Za-z0-9._-]` in the file name replaced.
fn bundle_key(template: &str, file_name: &str, millis: u64) -> String {
    let clean: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{template}/{millis}-{clean}")
}

/// What the new-version form sends.
#[derive(Clone)]
struct NewVersionRequest {
    file: send_wrapper::SendWrapper<web_sys::File>,
    major: Option<String>,
    description: Option<String>,
    compatible: Vec<CompatibleEnvironmentTemplateInput>,
}

#[component]
fn NewVersion(family: Family, name: Signal<String>, on_created: Callback<()>) -> impl IntoView {
    let file_ref = NodeRef::<leptos::html::Input>::new();
    let major = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let compat_name = RwSignal::new(String::new());
    let compat_major = RwSignal::new("1".to_owned());
    let missing_file = RwSignal::new(false);
    let env_templates = load(move || async move {
        if family == Family::Service {
            list_templates(Family::Environment).await
        } else {
            Ok(Vec::new())
        }
    });
    let create = act(move |req: &NewVersionRequest| {
        let req = req.clone();
        let template = name.get_untracked();
        async move {
            let millis = js_sys::Date::now().max(0.0);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let key = bundle_key(&template, &req.file.name(), millis as u64);
            let source: TemplateVersionSourceInput =
                upload_bundle("templates", &key, req.file.take()).await?;
            match family {
                Family::Environment => call::<ops::CreateEnvironmentTemplateVersion>(
                    CreateEnvironmentTemplateVersionInput {
                        template_name: template,
                        major_version: req.major,
                        description: req.description,
                        source,
                        client_token: None,
                        tags: None,
                    },
                )
                .await
                .map(|o| {
                    let v = o.environment_template_version;
                    format!("{}.{}", v.major_version, v.minor_version)
                }),
                Family::Service => {
                    call::<ops::CreateServiceTemplateVersion>(CreateServiceTemplateVersionInput {
                        template_name: template,
                        major_version: req.major,
                        description: req.description,
                        source,
                        compatible_environment_templates: req.compatible,
                        client_token: None,
                        supported_component_sources: None,
                        tags: None,
                    })
                    .await
                    .map(|o| {
                        let v = o.service_template_version;
                        format!("{}.{}", v.major_version, v.minor_version)
                    })
                }
            }
        }
    });
    effect(move || {
        if let Some(Ok(_)) = create.value() {
            on_created.run(());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let file = file_ref
            .get()
            .and_then(|input| input.files())
            .and_then(|files| files.get(0));
        let Some(file) = file else {
            missing_file.set(true);
            return;
        };
        missing_file.set(false);
        let opt = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let compatible = match family {
            Family::Service => vec![CompatibleEnvironmentTemplateInput {
                template_name: compat_name.get_untracked(),
                major_version: compat_major.get_untracked(),
            }],
            Family::Environment => Vec::new(),
        };
        create.dispatch(NewVersionRequest {
            file: send_wrapper::SendWrapper::new(file),
            major: opt(major.get_untracked()),
            description: opt(description.get_untracked()),
            compatible,
        });
    };
    view! {
        <h2>"New version"</h2>
        <form class="panel" on:submit=submit>
            <label>
                "Template bundle (.tar.gz with schema/schema.yaml and the infrastructure manifest)"
                <input type="file" name="bundle" accept=".tar.gz,.tgz,application/gzip" node_ref=file_ref />
                {move || missing_file.get().then(|| view! { <span class="field-error">"Choose a bundle file."</span> })}
            </label>
            <label>
                "Major version"
                <input name="majorVersion" placeholder="empty: a new major version" prop:value=move || major.get() on:input=move |ev| major.set(event_target_value(&ev)) />
                <span class="hint">"Give an existing major version to add a minor version to it."</span>
            </label>
            <label>
                "Description"
                <input name="versionDescription" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
            </label>
            {(family == Family::Service).then(|| view! {
                <fieldset>
                    <legend>"Compatible environment template"</legend>
                    {show(env_templates, move |ts| view! {
                        <select name="compatibleTemplate" on:change=move |ev| compat_name.set(event_target_value(&ev))>
                            <option value="">"— choose —"</option>
                            {ts.into_iter().map(|t| view! { <option value=t.name.clone()>{t.name.clone()}</option> }).collect_view()}
                        </select>
                    })}
                    <label>
                        "Major version"
                        <input name="compatibleMajor" prop:value=move || compat_major.get() on:input=move |ev| compat_major.set(event_target_value(&ev)) />
                    </label>
                </fieldset>
            })}
            {move || create.value().map(|r| match r {
                Ok(v) => view! { <p class="notice">{format!("Version {v} created; registration runs now.")}</p> }.into_any(),
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
            })}
            <button type="submit" class="primary" disabled=move || create.pending()>
                {move || if create.pending() { "Uploading…" } else { "Upload and register" }}
            </button>
        </form>
    }
}

/// The template and published-version selects of the create pages: `template` and `version`
/// (`major.minor`) are written as the user picks; the version starts at the template's
/// recommended one. `chosen` receives the template's row (for its provisioning).
#[component]
pub fn VersionPicker(
    /// Which templates.
    family: Family,
    /// The chosen template's name.
    template: RwSignal<String>,
    /// The chosen version, `major.minor` (empty until one is known).
    version: RwSignal<String>,
    /// The chosen template, once the list is loaded.
    chosen: RwSignal<Option<TemplateRow>>,
) -> impl IntoView {
    let templates = load(move || list_templates(family));
    effect(move || {
        let t = template.get();
        let row = templates
            .get()
            .and_then(Result::ok)
            .and_then(|ts| ts.into_iter().find(|x| x.name == t));
        chosen.set(row);
    });
    let versions = load(move || {
        let t = template.get();
        async move {
            if t.is_empty() {
                return Ok(Vec::new());
            }
            let all = list_versions(family, t).await?;
            Ok::<_, ApiError>(
                all.into_iter()
                    .filter(|v| v.status == "PUBLISHED")
                    .collect::<Vec<_>>(),
            )
        }
    });
    // Default to the recommended version once the versions are known.
    effect(move || {
        let recommended = chosen.get().and_then(|t| t.recommended_version);
        if let Some(Ok(vs)) = versions.get() {
            let named = |(a, b): (String, String)| format!("{a}.{b}");
            let current = version.get_untracked();
            if !vs
                .iter()
                .any(|v| format!("{}.{}", v.major, v.minor) == current)
            {
                let pick = recommended
                    .and_then(|r| recommended_version(&r, &vs))
                    .or_else(|| vs.first().map(|v| (v.major.clone(), v.minor.clone())))
                    .map(named)
                    .unwrap_or_default();
                version.set(pick);
            }
        }
    });
    let label = match family {
        Family::Environment => "Environment template",
        Family::Service => "Service template",
    };
    view! {
        <div class="row">
            <label>
                {label}
                {show(templates, move |ts| view! {
                    <select name="template" on:change=move |ev| template.set(event_target_value(&ev))>
                        <option value="" selected=move || template.get().is_empty()>"— choose —"</option>
                        {ts.into_iter().map(|t| {
                            let n = t.name.clone();
                            view! { <option value=t.name.clone() selected=move || template.get() == n>{t.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                })}
            </label>
            <label>
                "Version"
                {show(versions, move |vs| {
                    if vs.is_empty() {
                        return view! { <span class="muted">"No published version."</span> }.into_any();
                    }
                    view! {
                        <select name="version" on:change=move |ev| version.set(event_target_value(&ev))>
                            {vs.into_iter().map(|v| {
                                let v = format!("{}.{}", v.major, v.minor);
                                let v2 = v.clone();
                                view! { <option value=v.clone() selected=move || version.get() == v2>{v.clone()}</option> }
                            }).collect_view()}
                        </select>
                    }
                    .into_any()
                })}
            </label>
        </div>
    }
}
