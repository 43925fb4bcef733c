//! The create-service wizard (`/services/new?template=NAME`): a published service template
//! version → name, description, repository (required only when the version has a pipeline) →
//! instances, each with a compatible environment and its inputs → pipeline inputs → review of
//! the generated spec → CreateService. The spec is validated in the browser with the engine's
//! own validator as the user types; every step stays mounted, so going back keeps the values.

use std::collections::BTreeSet;

use baryon_model::extensions::{GetRenderInputsInput, PreviewTarget};
use baryon_model::proton::{
    CreateServiceInput, EnvironmentSummary, GetServiceTemplateVersionInput, ListEnvironmentsInput,
    ops,
};
use baryon_model::spec::validate_spec;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{ApiError, call};
use crate::form::{
    InputForm, InputSet, InstanceInputs, Values, field_messages, input_form, request_problems,
    service_spec,
};
use crate::inputs::{InputsForm, instance_form, schema_error};
use crate::preview::RenderPreview;
use crate::templates::{Family, TemplateRow, VersionPicker};
use crate::ui::{ErrorBox, Head, Loading, TextField, create_then_open, effect, load, memo};

/// The steps, in order.
const STEPS: [&str; 5] = ["Template", "Details", "Instances", "Pipeline", "Review"];

/// What the wizard knows of the chosen version.
#[derive(Debug, Clone, PartialEq)]
struct Version {
    /// The version's `schema.yaml`.
    schema: String,
    /// The instances' inputs form (empty when the schema has no `service_input_type`).
    instance: InputForm,
    /// The pipeline's inputs form, when the version has a pipeline.
    pipeline: Option<InputForm>,
    /// `name:major` of each compatible environment template.
    compatible: BTreeSet<(String, String)>,
}

/// What the review step previews: an instance (`(name, environment)`) or the pipeline of the
/// service being created; `None` until the version, the service and the instance are named.
fn preview_input(
    target: PreviewTarget,
    template: &str,
    version: &str,
    service: String,
    instance: Option<(String, String)>,
) -> Option<GetRenderInputsInput> {
    let (major, minor) = version.split_once('.')?;
    let (instance, environment) = match instance {
        Some((i, e)) if i.is_empty() || e.is_empty() => return None,
        Some((i, e)) => (Some(i), Some(e)),
        None => (None, None),
    };
    (!service.is_empty()).then(|| GetRenderInputsInput {
        target,
        environment_name: environment,
        service_name: Some(service),
        service_instance_name: instance,
        template_name: template.to_owned(),
        template_major_version: major.to_owned(),
        template_minor_version: minor.to_owned(),
    })
}

/// One instance being edited; `key` identifies it across additions and removals.
#[derive(Debug, Clone, Copy)]
struct Draft {
    key: u32,
    name: RwSignal<String>,
    environment: RwSignal<String>,
    values: RwSignal<Values>,
}

async fn load_version(template: String, version: String) -> Result<Option<Version>, ApiError> {
    let Some((major, minor)) = version.split_once('.') else {
        return Ok(None);
    };
    let v = call::<ops::GetServiceTemplateVersion>(GetServiceTemplateVersionInput {
        template_name: template,
        major_version: major.to_owned(),
        minor_version: minor.to_owned(),
    })
    .await?
    .service_template_version;
    let schema = v.schema.unwrap_or_default();
    let instance = instance_form(&schema)?;
    let pipeline = input_form(&schema, InputSet::Pipeline).map_err(|d| schema_error(&d))?;
    // Inserted one by one: `collect` into a set compiles a sort per iterator type.
    let mut compatible = BTreeSet::new();
    for c in v.compatible_environment_templates {
        compatible.insert((c.template_name, c.major_version));
    }
    Ok(Some(Version {
        schema,
        instance,
        pipeline,
        compatible,
    }))
}

async fn all_environments() -> Result<Vec<EnvironmentSummary>, ApiError> {
    let mut out = Vec::new();
    let mut next_token = None;
    loop {
        let page = call::<ops::ListEnvironments>(ListEnvironmentsInput {
            next_token,
            max_results: Some(100),
            ..Default::default()
        })
        .await?;
        out.extend(page.environments);
        match page.next_token {
            Some(t) => next_token = Some(t),
            None => return Ok(out),
        }
    }
}

/// `/services/new?template=<name>`.
#[component]
pub fn CreateService() -> impl IntoView {
    let query = use_query_map();
    let template = RwSignal::new(query.with_untracked(|q| q.get("template").unwrap_or_default()));
    let version = RwSignal::new(String::new());
    let chosen = RwSignal::new(None::<TemplateRow>);
    let step = RwSignal::new(0usize);
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let connection = RwSignal::new(String::new());
    let repository = RwSignal::new(String::new());
    let branch = RwSignal::new("main".to_owned());
    let pipeline_values = RwSignal::new(Values::new());
    let next_key = RwSignal::new(1u32);
    let new_draft = move |key: u32| Draft {
        key,
        name: RwSignal::new(String::new()),
        environment: RwSignal::new(String::new()),
        values: RwSignal::new(Values::new()),
    };
    let drafts = RwSignal::new(vec![new_draft(0)]);

    let loaded = load(move || load_version(template.get(), version.get()));
    let current = memo(move || loaded.get().and_then(Result::ok).flatten());
    // A new version's forms start from their initial values.
    effect(move || {
        if let Some(v) = current.get() {
            for d in drafts.get_untracked() {
                d.values.set(v.instance.initial_values());
            }
            pipeline_values.set(
                v.pipeline
                    .as_ref()
                    .map(InputForm::initial_values)
                    .unwrap_or_default(),
            );
        }
    });
    let environments = load(all_environments);

    let spec_yaml = memo(move || {
        let Some(v) = current.get() else {
            return String::new();
        };
        let rows: Vec<(String, String, Values)> = drafts
            .get()
            .iter()
            .map(|d| (d.name.get(), d.environment.get(), d.values.get()))
            .collect();
        let pipeline = pipeline_values.get();
        let instances: Vec<InstanceInputs<'_>> = rows
            .iter()
            .map(|(n, e, vals)| InstanceInputs {
                name: n,
                environment: e,
                form: &v.instance,
                values: vals,
            })
            .collect();
        service_spec(v.pipeline.as_ref().map(|p| (p, &pipeline)), &instances)
    });
    let diagnostics = memo(move || match current.get() {
        Some(v) => spec_yaml.with(|s| validate_spec(&v.schema, s).diagnostics),
        None => Vec::new(),
    });
    let has_pipeline =
        memo(move || current.with(|v| v.as_ref().is_some_and(|v| v.pipeline.is_some())));

    let request = memo(move || {
        let (major, minor) = version
            .get()
            .split_once('.')
            .map(|(a, b)| (a.to_owned(), Some(b.to_owned())))
            .unwrap_or_default();
        let opt = |s: String| (!s.trim().is_empty()).then_some(s);
        CreateServiceInput {
            name: name.get(),
            template_name: template.get(),
            template_major_version: major,
            template_minor_version: minor,
            description: opt(description.get()),
            repository_connection_arn: opt(connection.get()),
            repository_id: opt(repository.get()),
            branch_name: opt(branch.get()),
            spec: spec_yaml.get(),
            ..Default::default()
        }
    });
    let problems = memo(move || {
        let mut p = request.with(request_problems::<ops::CreateService>);
        if has_pipeline.get() {
            request.with(|r| {
                for (key, value) in [
                    ("repositoryConnectionArn", &r.repository_connection_arn),
                    ("repositoryId", &r.repository_id),
                    ("branchName", &r.branch_name),
                ] {
                    if value.is_none() {
                        p.entry(key.to_owned()).or_insert_with(|| {
                            "Required: this template version has a pipeline.".to_owned()
                        });
                    }
                }
            });
        }
        p
    });
    let problem =
        move |path: &'static str| Signal::derive(move || problems.with(|p| p.get(path).cloned()));
    // Instance names must be given and distinct; each needs an environment.
    let instance_problems = memo(move || {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, d) in drafts.get().iter().enumerate() {
            let n = d.name.get();
            if n.trim().is_empty() {
                out.push(format!("Instance {}: give it a name.", i + 1));
            } else if !seen.insert(n.clone()) {
                out.push(format!("Instance {}: the name {n} is used twice.", i + 1));
            }
            if d.environment.with(String::is_empty) {
                out.push(format!("Instance {}: choose an environment.", i + 1));
            }
        }
        if out.is_empty() && drafts.with(Vec::is_empty) {
            out.push("Add at least one instance.".to_owned());
        }
        out
    });
    let step_ok = move |i: usize| match i {
        0 => current.with(Option::is_some),
        1 => problems.with(|p| {
            [
                "name",
                "description",
                "repositoryConnectionArn",
                "repositoryId",
                "branchName",
            ]
            .iter()
            .all(|k| !p.contains_key(*k))
        }),
        2 => {
            instance_problems.with(Vec::is_empty)
                && diagnostics.with(|d| !d.iter().any(|d| d.path.starts_with("instances")))
        }
        3 => diagnostics.with(|d| !d.iter().any(|d| d.path.starts_with("pipeline"))),
        _ => {
            current.with(Option::is_some)
                && problems.with(std::collections::BTreeMap::is_empty)
                && instance_problems.with(Vec::is_empty)
                && diagnostics.with(Vec::is_empty)
        }
    };

    let create = create_then_open::<ops::CreateService>("/services");

    let step_nav = move || {
        STEPS
            .iter()
            .enumerate()
            .map(|(i, label)| {
                view! {
                    <li>
                        <button
                            type="button"
                            class:active=move || step.get() == i
                            aria-current=move || (step.get() == i).then_some("step")
                            disabled=move || { i > 0 && !step_ok(0) }
                            on:click=move |_| step.set(i)
                        >
                            {format!("{}. {label}", i + 1)}
                        </button>
                    </li>
                }
            })
            .collect_view()
    };

    let instances_view = move || {
        let Some(v) = current.get() else {
            return view! { <Loading /> }.into_any();
        };
        let compatible = v.compatible.clone();
        let envs = Signal::derive(move || {
            environments
                .get()
                .and_then(Result::ok)
                .unwrap_or_default()
                .into_iter()
                .filter(|e| {
                    compatible
                        .contains(&(e.template_name.clone(), e.template_major_version.clone()))
                })
                .map(|e| e.name)
                .collect::<Vec<_>>()
        });
        drafts
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                let form = v.instance.clone();
                let messages = {
                    let form = form.clone();
                    Signal::derive(move || {
                        diagnostics.with(|ds| field_messages(ds, &format!("instances[{i}].spec"), &form))
                    })
                };
                let key = d.key;
                view! {
                    <fieldset class="instance" data-instance=i.to_string()>
                        <legend>{format!("Instance {}", i + 1)}</legend>
                        <div class="row">
                            <label>
                                "Instance name"
                                <input name=format!("instance-{i}-name") prop:value=move || d.name.get() on:input=move |ev| d.name.set(event_target_value(&ev)) />
                            </label>
                            <label>
                                "Environment"
                                <select name=format!("instance-{i}-environment") on:change=move |ev| d.environment.set(event_target_value(&ev))>
                                    <option value="" selected=move || d.environment.with(String::is_empty)>"— choose —"</option>
                                    {move || envs.get().into_iter().map(|e| {
                                        let e2 = e.clone();
                                        view! { <option value=e.clone() selected=move || d.environment.get() == e2>{e.clone()}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                        </div>
                        <InputsForm form=form values=d.values messages=messages id_prefix=format!("i{i}-spec") />
                        <button type="button" class="danger" aria-label=format!("Remove instance {}", i + 1) on:click=move |_| drafts.update(|ds| ds.retain(|x| x.key != key))>
                            "Remove instance"
                        </button>
                    </fieldset>
                }
            })
            .collect_view()
            .into_any()
    };

    let pipeline_view = move || match current.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Version { pipeline: None, .. }) => {
            view! { <p class="muted">"This template version has no pipeline."</p> }.into_any()
        }
        Some(Version {
            pipeline: Some(form),
            ..
        }) => {
            let messages = {
                let form = form.clone();
                Signal::derive(move || diagnostics.with(|ds| field_messages(ds, "pipeline", &form)))
            };
            view! { <InputsForm form=form values=pipeline_values messages=messages id_prefix="pipeline" /> }.into_any()
        }
    };

    view! {
        <Head title="Create service">
            <a href="/services">"Cancel"</a>
        </Head>
        <form class="panel wide wizard" on:submit=move |ev| {
            ev.prevent_default();
            if step_ok(4) {
                create.dispatch(request.get_untracked());
            }
        }>
            <ol class="steps" aria-label="Steps">{step_nav}</ol>
            <section class:hidden=move || step.get() != 0 aria-label="Template">
                <VersionPicker family=Family::Service template=template version=version chosen=chosen />
                {move || chosen.get().and_then(|t| t.description).map(|d| view! { <p class="muted">{d}</p> })}
                {move || match loaded.get() {
                    Some(Err(e)) => view! { <ErrorBox error=e /> }.into_any(),
                    Some(Ok(Some(v))) => view! {
                        <p class="muted">
                            {if v.pipeline.is_some() { "With a pipeline. " } else { "Without a pipeline. " }}
                            {format!("Compatible environment templates: {}", v.compatible.iter().map(|(n, m)| format!("{n}:{m}")).collect::<Vec<_>>().join(", "))}
                        </p>
                    }.into_any(),
                    _ => ().into_any(),
                }}
            </section>
            <section class:hidden=move || step.get() != 1 aria-label="Details">
                <TextField label="Name" name="name" value=name error=problem("name") />
                <TextField label="Description" name="description" value=description error=problem("description") />
                <fieldset>
                    <legend>{move || if has_pipeline.get() { "Source repository (for the pipeline)" } else { "Source repository (optional: no pipeline)" }}</legend>
                    <TextField label="Repository connection ARN" name="repositoryConnectionArn" value=connection error=problem("repositoryConnectionArn") placeholder="arn:aws:codestar-connections:us-east-1:123456789012:connection/…" />
                    <div class="row">
                        <TextField label="Repository (owner/name)" name="repositoryId" value=repository error=problem("repositoryId") />
                        <TextField label="Branch" name="branchName" value=branch error=problem("branchName") />
                    </div>
                </fieldset>
            </section>
            <section class:hidden=move || step.get() != 2 aria-label="Instances">
                {instances_view}
                <button type="button" on:click=move |_| {
                    let key = next_key.get_untracked();
                    next_key.set(key + 1);
                    let d = new_draft(key);
                    if let Some(v) = current.get_untracked() {
                        d.values.set(v.instance.initial_values());
                    }
                    drafts.update(|ds| ds.push(d));
                }>"Add instance"</button>
                <div class="diagnostics">
                    {move || instance_problems.get().into_iter().map(|t| view! { <div class="field-error">{t}</div> }).collect_view()}
                </div>
            </section>
            <section class:hidden=move || step.get() != 3 aria-label="Pipeline">{pipeline_view}</section>
            <section class:hidden=move || step.get() != 4 aria-label="Review">
                <p class="muted">"The spec this creates (validated against the version's schema):"</p>
                <pre class="spec yaml-preview">{move || spec_yaml.get()}</pre>
                <h2>"Rendered infrastructure"</h2>
                {move || drafts.get().into_iter().map(|d| {
                    let input = Signal::derive(move || {
                        preview_input(PreviewTarget::ServiceInstance, &template.get(), &version.get(), name.get(), Some((d.name.get(), d.environment.get())))
                    });
                    view! {
                        <h3>{move || format!("Instance {}", d.name.get())}</h3>
                        <RenderPreview input=input spec=spec_yaml />
                    }
                }).collect_view()}
                {move || current.with(|v| v.as_ref().is_some_and(|v| v.pipeline.is_some())).then(|| {
                    let input = Signal::derive(move || preview_input(PreviewTarget::ServicePipeline, &template.get(), &version.get(), name.get(), None));
                    view! {
                        <h3>"Pipeline"</h3>
                        <RenderPreview input=input spec=spec_yaml />
                    }
                })}
                <div class="diagnostics">
                    {move || diagnostics.get().into_iter().map(|d| view! { <div class="field-error">{d.to_string()}</div> }).collect_view()}
                    {move || problems.get().into_values().map(|t| view! { <div class="field-error">{t}</div> }).collect_view()}
                    {move || instance_problems.get().into_iter().map(|t| view! { <div class="field-error">{t}</div> }).collect_view()}
                </div>
                {move || create.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
            </section>
            <div class="wizard-nav">
                <button type="button" disabled=move || step.get() == 0 on:click=move |_| step.update(|s| *s = s.saturating_sub(1))>"Back"</button>
                <button type="button" class:hidden=move || step.get() == 4 disabled=move || !step_ok(step.get()) on:click=move |_| step.update(|s| *s = (*s + 1).min(4))>"Next"</button>
                <button type="submit" class="primary" class:hidden=move || step.get() != 4 disabled=move || !step_ok(4) || create.pending()>
                    {move || if create.pending() { "Creating…" } else { "Create service" }}
                </button>
            </div>
        </form>
    }
}
