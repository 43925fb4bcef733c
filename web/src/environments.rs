//! Environments: paginated list, detail (spec, outputs, deployment history polled live, tags,
//! cancel, delete) and the create page whose inputs form is generated from the template
//! version's schema and validated as the user types.

use baryon_model::diagnostic::Diagnostic;
use baryon_model::extensions::{GetRenderInputsInput, PreviewTarget};
use baryon_model::proton::{
    CancelEnvironmentDeploymentInput, CreateEnvironmentInput, DeleteEnvironmentInput,
    EnvironmentTemplateFilter, GetEnvironmentInput, GetEnvironmentTemplateVersionInput,
    ListDeploymentsInput, ListEnvironmentOutputsInput, ListEnvironmentsInput,
    RepositoryBranchInput, RepositoryProvider, ops,
};
use baryon_model::spec::validate_spec;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::{ApiError, call};
use crate::form::{
    FieldMessages, InputForm, InputSet, Values, environment_spec, field_messages, input_form,
    request_problems,
};
use crate::inputs::InputsForm;
use crate::preview::RenderPreview;
use crate::templates::{Family, TemplateRow, VersionPicker, list_templates, list_versions};
use crate::ui::{
    Deployments, ErrorBox, Facts, Head, Loading, Pager, Status, Tags, TextField, act, confirm,
    create_then_open, effect, fetch, in_progress, list, load, memo, outputs_table, param,
    poll_while, show, when,
};
use crate::upgrade::{Target, Upgrade};

const PAGE_SIZE: i32 = 20;

/// `/environments`.
#[component]
pub fn EnvironmentList() -> impl IntoView {
    // `?template=NAME&major=N` filters by template major version (ListEnvironments'
    // `environmentTemplates`); the address is shareable.
    let query = use_query_map();
    let filter = memo(move || {
        query.with(|q| match (q.get("template"), q.get("major")) {
            (Some(t), Some(m)) if !t.is_empty() && !m.is_empty() => Some((t, m)),
            _ => None,
        })
    });
    let tokens = RwSignal::new(vec![None::<String>]);
    // Another filter starts again from the first page.
    effect(move || {
        filter.track();
        tokens.set(vec![None]);
    });
    let page = fetch::<ops::ListEnvironments>(move || {
        let next_token = tokens.with(|t| t.last().cloned().flatten());
        let environment_templates = filter.get().map(|(template_name, major_version)| {
            vec![EnvironmentTemplateFilter {
                template_name,
                major_version,
            }]
        });
        ListEnvironmentsInput {
            next_token,
            max_results: Some(PAGE_SIZE),
            environment_templates,
        }
    });
    let majors = load(template_majors);
    let navigate = use_navigate();
    let next = Signal::derive(move || page.get().and_then(Result::ok).and_then(|p| p.next_token));
    view! {
        <Head title="Environments">
            <a class="button" href="/environments/new">"Create environment"</a>
        </Head>
        <div class="filters">
            <label>
                "Template"
                <select name="templateFilter" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    let to = match v.split_once(':') {
                        Some((t, m)) => format!("/environments?template={t}&major={m}"),
                        None => "/environments".to_owned(),
                    };
                    navigate(&to, NavigateOptions::default());
                }>
                    <option value="" selected=move || filter.with(Option::is_none)>"All templates"</option>
                    {move || majors.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|(t, m)| {
                        let value = format!("{t}:{m}");
                        let label = format!("{t} {m}.x");
                        let (t2, m2) = (t.clone(), m.clone());
                        view! { <option value=value selected=move || filter.with(|f| f.as_ref().is_some_and(|(a, b)| *a == t2 && *b == m2))>{label}</option> }
                    }).collect_view()}
                </select>
            </label>
        </div>
        {list(page, &["Name", "Template", "Deployment", "Last attempted"], "No environments yet.", |p| {
            p.environments.into_iter().map(|e| view! {
                <tr data-name=e.name.clone()>
                    <td><a href=format!("/environments/{}", e.name)>{e.name.clone()}</a></td>
                    <td>
                        <a href=format!("/templates/environment/{}", e.template_name)>{e.template_name.clone()}</a>
                        {format!(" {}.{}", e.template_major_version, e.template_minor_version)}
                    </td>
                    <td><Status status=e.deployment_status.as_str().to_owned() /></td>
                    <td>{when(e.last_deployment_attempted_at)}</td>
                </tr>
            }.into_any()).collect()
        })}
        <Pager tokens=tokens next=next />
    }
}

/// Every environment template's major versions, as `(template, major)`.
async fn template_majors() -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for t in list_templates(Family::Environment).await? {
        // In numeric order, once each (a set rather than a sort: no sort compiled for it).
        let mut majors = std::collections::BTreeSet::new();
        for v in list_versions(Family::Environment, t.name.clone()).await? {
            majors.insert((v.major.parse::<u64>().unwrap_or(0), v.major));
        }
        out.extend(majors.into_iter().map(|(_, m)| (t.name.clone(), m)));
    }
    Ok(out)
}

/// `/environments/:name`.
#[component]
pub fn EnvironmentDetail() -> impl IntoView {
    let name = param("name");
    let tick = RwSignal::new(0u32);
    let env = fetch::<ops::GetEnvironment>(move || {
        tick.track();
        GetEnvironmentInput { name: name.get() }
    });
    let deployments = fetch::<ops::ListDeployments>(move || {
        tick.track();
        ListDeploymentsInput {
            environment_name: Some(name.get()),
            ..Default::default()
        }
    });
    let outputs = fetch::<ops::ListEnvironmentOutputs>(move || {
        tick.track();
        ListEnvironmentOutputsInput {
            environment_name: name.get(),
            ..Default::default()
        }
    });
    poll_while(tick, env, 2000, |e| {
        in_progress(e.environment.deployment_status.as_str())
    });
    let navigate = use_navigate();
    let action = act(move |what: &&'static str| {
        let (what, n) = (*what, name.get_untracked());
        async move {
            if what == "cancel" {
                call::<ops::CancelEnvironmentDeployment>(CancelEnvironmentDeploymentInput {
                    environment_name: n,
                })
                .await
                .map(|_| what)
            } else {
                call::<ops::DeleteEnvironment>(DeleteEnvironmentInput { name: n })
                    .await
                    .map(|_| what)
            }
        }
    });
    effect(move || match action.value() {
        Some(Ok("delete")) => navigate("/environments", NavigateOptions::default()),
        Some(Ok(_)) => tick.update(|t| *t = t.wrapping_add(1)),
        _ => {}
    });
    let busy = move || {
        env.get()
            .and_then(Result::ok)
            .is_some_and(|e| in_progress(e.environment.deployment_status.as_str()))
    };
    view! {
        <Head title=move || name.get()>
            <button disabled=move || !busy() on:click=move |_| {
                if confirm("Cancel the deployment in progress?") {
                    action.dispatch("cancel");
                }
            }>"Cancel deployment"</button>
            <button class="danger" on:click=move |_| {
                if confirm(&format!("Delete environment {}? This tears down its infrastructure.", name.get_untracked())) {
                    action.dispatch("delete");
                }
            }>"Delete"</button>
        </Head>
        {move || action.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        {show(env, move |out| {
            let e = out.environment;
            let arn = e.arn.clone();
            let upgrade = (!in_progress(e.deployment_status.as_str())).then(|| view! {
                <Upgrade
                    target=Target::Environment(e.name.clone())
                    template=e.template_name.clone()
                    major=e.template_major_version.clone()
                    minor=e.template_minor_version.clone()
                    spec=e.spec.clone().unwrap_or_default()
                    on_done=Callback::new(move |()| tick.update(|t| *t = t.wrapping_add(1)))
                />
            });
            view! {
                <div class="status-line">
                    <Status status=e.deployment_status.as_str().to_owned() />
                    {e.deployment_status_message.clone().map(|m| view! { <span class="status-message">{m}</span> })}
                </div>
                {upgrade}
                <Facts rows=vec![
                    ("Template", Some(format!("{} {}.{}", e.template_name, e.template_major_version, e.template_minor_version))),
                    ("Description", e.description.clone()),
                    ("Provisioning", Some(e.provisioning.as_ref().map_or("AWS managed".to_owned(), |p| p.as_str().to_owned()))),
                    ("Provisioning repository", e.provisioning_repository.as_ref().map(|r| format!("{} {} ({})", r.provider.as_str(), r.name, r.branch))),
                    ("Service role", e.proton_service_role_arn.clone()),
                    ("Account connection", e.environment_account_connection_id.clone()),
                    ("ARN", Some(e.arn.clone())),
                    ("Created", Some(when(e.created_at))),
                    ("Last attempted deployment", e.last_attempted_deployment_id.clone()),
                    ("Last succeeded deployment", e.last_succeeded_deployment_id.clone()),
                ] />
                <h2>"Spec"</h2>
                <pre class="spec">{e.spec.unwrap_or_default()}</pre>
                <Tags arn=arn />
            }
        })}
        <h2>"Outputs"</h2>
        {show(outputs, |o| outputs_table(o.outputs))}
        <h2>"Deployment history"</h2>
        {show(deployments, |d| view! { <Deployments rows=d.deployments /> })}
    }
}

/// What the create page knows of the chosen template version's schema.
#[derive(Debug, Clone, PartialEq)]
enum SchemaState {
    /// Nothing chosen yet, or still loading.
    Waiting,
    /// The form, with the schema text it came from.
    Ready(InputForm, String),
    /// The version's schema could not be read.
    Broken(Vec<Diagnostic>),
}

/// `/environments/new?template=<name>`.
#[component]
pub fn CreateEnvironment() -> impl IntoView {
    let query = use_query_map();
    let template = RwSignal::new(query.with_untracked(|q| q.get("template").unwrap_or_default()));
    let version = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let repo_provider = RwSignal::new("GITHUB".to_owned());
    let repo_name = RwSignal::new(String::new());
    let repo_branch = RwSignal::new("main".to_owned());
    let role_arn = RwSignal::new(String::new());
    let values = RwSignal::new(Values::new());
    let yaml_tab = RwSignal::new(false);

    let chosen = RwSignal::new(None::<TemplateRow>);
    let schema = load(move || {
        let (t, v) = (template.get(), version.get());
        async move {
            let Some((major, minor)) = v.split_once('.') else {
                return Ok(SchemaState::Waiting);
            };
            let out =
                call::<ops::GetEnvironmentTemplateVersion>(GetEnvironmentTemplateVersionInput {
                    template_name: t,
                    major_version: major.to_owned(),
                    minor_version: minor.to_owned(),
                })
                .await?;
            let text = out.environment_template_version.schema.unwrap_or_default();
            Ok::<_, ApiError>(match input_form(&text, InputSet::Environment) {
                Ok(Some(form)) => SchemaState::Ready(form, text),
                Ok(None) => SchemaState::Broken(vec![Diagnostic::new(
                    "schema",
                    (1, 1),
                    "the schema declares no environment_input_type",
                )]),
                Err(d) => SchemaState::Broken(d),
            })
        }
    });
    let state = memo(move || match schema.get() {
        Some(Ok(s)) => Ok(s),
        Some(Err(e)) => Err(e),
        None => Ok(SchemaState::Waiting),
    });
    // A new form starts from its initial values.
    effect(move || {
        if let Ok(SchemaState::Ready(form, _)) = state.get() {
            values.set(form.initial_values());
        }
    });
    let spec_yaml = memo(move || match state.get() {
        Ok(SchemaState::Ready(form, _)) => values.with(|v| environment_spec(&form, v)),
        _ => String::new(),
    });
    let diagnostics = memo(move || match state.get() {
        Ok(SchemaState::Ready(_, schema_text)) => {
            Some(spec_yaml.with(|spec| validate_spec(&schema_text, spec).diagnostics))
        }
        _ => None,
    });
    let messages = Signal::derive(move || match state.get() {
        Ok(SchemaState::Ready(form, _)) => diagnostics
            .get()
            .map(|d| field_messages(&d, "spec", &form))
            .unwrap_or_default(),
        _ => FieldMessages::default(),
    });
    let self_managed = memo(move || {
        chosen
            .get()
            .and_then(|t| t.provisioning)
            .is_some_and(|p| p == "CUSTOMER_MANAGED")
    });
    let request = memo(move || {
        let (major, minor) = version
            .get()
            .split_once('.')
            .map(|(a, b)| (a.to_owned(), Some(b.to_owned())))
            .unwrap_or_default();
        let opt = |s: String| (!s.trim().is_empty()).then_some(s);
        let mut input = CreateEnvironmentInput {
            name: name.get(),
            template_name: template.get(),
            template_major_version: major,
            template_minor_version: minor,
            description: opt(description.get()),
            spec: spec_yaml.get(),
            ..Default::default()
        };
        if self_managed.get() {
            input.provisioning_repository = Some(RepositoryBranchInput {
                provider: RepositoryProvider::from(repo_provider.get().as_str()),
                name: repo_name.get(),
                branch: repo_branch.get(),
            });
        } else {
            input.proton_service_role_arn = Some(role_arn.get());
        }
        input
    });
    let problems = memo(move || request.with(request_problems::<ops::CreateEnvironment>));
    let problem =
        move |path: &'static str| Signal::derive(move || problems.with(|p| p.get(path).cloned()));
    let valid = memo(move || {
        problems.with(std::collections::BTreeMap::is_empty)
            && diagnostics.with(|d| d.as_ref().is_some_and(Vec::is_empty))
    });

    let create = create_then_open::<ops::CreateEnvironment>("/environments");
    let preview_input = Signal::derive(move || {
        let (major, minor) =
            version.with(|v| v.split_once('.').map(|(a, b)| (a.to_owned(), b.to_owned())))?;
        let name = name.get();
        (!name.trim().is_empty()).then(|| GetRenderInputsInput {
            target: PreviewTarget::Environment,
            environment_name: Some(name),
            service_name: None,
            service_instance_name: None,
            template_name: template.get(),
            template_major_version: major,
            template_minor_version: minor,
        })
    });

    view! {
        <Head title="Create environment">
            <a href="/environments">"Cancel"</a>
        </Head>
        <form class="panel wide" on:submit=move |ev| {
            ev.prevent_default();
            if valid.get_untracked() {
                create.dispatch(request.get_untracked());
            }
        }>
            <VersionPicker family=Family::Environment template=template version=version chosen=chosen />
            <TextField label="Name" name="name" value=name error=problem("name") />
            <TextField label="Description" name="description" value=description error=problem("description") />
            {move || if self_managed.get() {
                view! {
                    <fieldset>
                        <legend>"Provisioning repository (self-managed)"</legend>
                        <div class="row">
                            <label>
                                "Provider"
                                <select name="repoProvider" on:change=move |ev| repo_provider.set(event_target_value(&ev))>
                                    {RepositoryProvider::VALUES.iter().map(|p| view! {
                                        <option value=*p selected=move || repo_provider.get() == *p>{*p}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                            <TextField label="Repository (owner/name)" name="repoName" value=repo_name error=problem("provisioningRepository.name") />
                            <TextField label="Branch" name="repoBranch" value=repo_branch error=problem("provisioningRepository.branch") />
                        </div>
                    </fieldset>
                }
                .into_any()
            } else {
                view! {
                    <TextField label="Proton service role ARN" name="protonServiceRoleArn" value=role_arn error=problem("protonServiceRoleArn") placeholder="arn:aws:iam::123456789012:role/proton-service" />
                }
                .into_any()
            }}
            <h2>"Inputs"</h2>
            <div class="tabs">
                <button type="button" class:active=move || !yaml_tab.get() on:click=move |_| yaml_tab.set(false)>"Form"</button>
                <button type="button" class:active=move || yaml_tab.get() on:click=move |_| yaml_tab.set(true)>"YAML"</button>
            </div>
            {move || match state.get() {
                Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                Ok(SchemaState::Waiting) => {
                    if template.with(String::is_empty) {
                        view! { <p class="muted">"Choose a template and a published version."</p> }.into_any()
                    } else {
                        view! { <Loading /> }.into_any()
                    }
                }
                Ok(SchemaState::Broken(d)) => view! {
                    <div class="error" role="alert">
                        "This version's schema cannot be read:"
                        <ul>{d.into_iter().map(|d| view! { <li>{d.to_string()}</li> }).collect_view()}</ul>
                    </div>
                }
                .into_any(),
                Ok(SchemaState::Ready(form, _)) => view! {
                    <div class:hidden=move || yaml_tab.get()>
                        <InputsForm form=form values=values messages=messages id_prefix="spec" />
                    </div>
                    <div class:hidden=move || !yaml_tab.get()>
                        <pre class="spec yaml-preview">{move || spec_yaml.get()}</pre>
                    </div>
                }
                .into_any(),
            }}
            <div class="diagnostics">
                {move || messages.with(|m| m.general.iter().map(|t| view! { <div class="field-error">{t.clone()}</div> }).collect_view())}
                {move || diagnostics.get().filter(|d| !d.is_empty()).map(|d| view! {
                    <p class="muted">{format!("{} problem(s) in the spec", d.len())}</p>
                })}
            </div>
            <RenderPreview input=preview_input spec=spec_yaml />
            {move || create.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
            <button type="submit" class="primary" disabled=move || !valid.get() || create.pending()>
                {move || if create.pending() { "Creating…" } else { "Create environment" }}
            </button>
        </form>
    }
}
