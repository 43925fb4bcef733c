//! "Update to X.Y" on environment and service-instance pages: when the template has a newer
//! recommended version — a minor one of the current major (same inputs, `MINOR_VERSION`) or a
//! newer recommended major (`MAJOR_VERSION`, whose inputs are re-checked against the new
//! schema in the generated form, starting from the current ones) — one action deploys it.

use std::collections::BTreeMap;

use baryon_model::extensions::{GetRenderInputsInput, PreviewTarget};
use baryon_model::proton::{
    DeploymentUpdateType, GetEnvironmentTemplateVersionInput, GetServiceTemplateVersionInput,
    ListEnvironmentsInput, ListServiceInstancesInput, UpdateEnvironmentInput,
    UpdateServiceInstanceInput, UpdateServicePipelineInput, ops,
};
use baryon_model::spec::validate_spec;
use leptos::prelude::*;

use crate::api::{ApiError, call};
use crate::form::{
    InputForm, InputSet, InstanceInputs, environment_spec, field_messages, input_form,
    service_spec, spec_inputs, with_pipeline,
};
use crate::inputs::{InputsForm, instance_form, schema_error};
use crate::preview::RenderPreview;
use crate::templates::{Family, get_template, list_versions, recommended_version};
use crate::ui::{Act, ErrorBox, act, confirm, effect, load, memo};

/// What is updated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An environment, by name.
    Environment(String),
    /// A service instance: service name, instance name, its environment.
    Instance(String, String, String),
    /// A service's pipeline, by service name.
    Pipeline(String),
}

impl Target {
    fn family(&self) -> Family {
        match self {
            Self::Environment(_) => Family::Environment,
            Self::Instance(..) | Self::Pipeline(_) => Family::Service,
        }
    }
}

/// The versions a resource on `major.minor` can move to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offers {
    /// The recommended minor version of the current major, when newer: `(major, minor)`.
    pub minor: Option<(String, String)>,
    /// The template's recommended version, when its major is newer.
    pub major: Option<(String, String)>,
}

fn num(s: &str) -> u64 {
    s.parse().unwrap_or(0)
}

async fn offers(
    family: Family,
    template: String,
    major: String,
    minor: String,
) -> Result<Offers, ApiError> {
    let versions = list_versions(family, template.clone()).await?;
    let published = |a: &str, b: &str| {
        versions
            .iter()
            .any(|v| v.major == a && v.minor == b && v.status == "PUBLISHED")
    };
    let minor_offer = versions
        .iter()
        .find(|v| v.major == major)
        .and_then(|v| v.recommended_minor.clone())
        .filter(|r| num(r) > num(&minor) && published(&major, r))
        .map(|r| (major.clone(), r));
    let major_offer = get_template(family, template)
        .await?
        .recommended_version
        .and_then(|r| recommended_version(&r, &versions))
        .filter(|(a, _)| num(a) > num(&major));
    Ok(Offers {
        minor: minor_offer,
        major: major_offer,
    })
}

/// Starts one update deployment of `target`.
pub async fn deploy(
    target: Target,
    kind: DeploymentUpdateType,
    (major, minor): (String, String),
    spec: Option<String>,
) -> Result<(), ApiError> {
    // CURRENT_VERSION keeps the deployed version: Proton takes no version with it.
    let (major, minor) = if kind == DeploymentUpdateType::CurrentVersion {
        (None, None)
    } else {
        (Some(major), Some(minor))
    };
    match target {
        Target::Environment(name) => call::<ops::UpdateEnvironment>(UpdateEnvironmentInput {
            name,
            deployment_type: kind,
            template_major_version: major,
            template_minor_version: minor,
            spec,
            codebuild_role_arn: None,
            component_role_arn: None,
            description: None,
            environment_account_connection_id: None,
            proton_service_role_arn: None,
            provisioning_repository: None,
        })
        .await
        .map(|_| ()),
        Target::Instance(service_name, name, _) => {
            call::<ops::UpdateServiceInstance>(UpdateServiceInstanceInput {
                name,
                service_name,
                deployment_type: kind,
                template_major_version: major,
                template_minor_version: minor,
                spec,
                client_token: None,
            })
            .await
            .map(|_| ())
        }
        Target::Pipeline(service_name) => {
            call::<ops::UpdateServicePipeline>(UpdateServicePipelineInput {
                service_name,
                deployment_type: kind,
                template_major_version: major,
                template_minor_version: minor,
                spec: spec.unwrap_or_default(),
            })
            .await
            .map(|_| ())
        }
    }
}

/// A version's schema and inputs form.
async fn version_form(
    target: Target,
    template: String,
    (major, minor): (String, String),
) -> Result<(String, InputForm), ApiError> {
    let schema = match target {
        Target::Environment(_) => {
            call::<ops::GetEnvironmentTemplateVersion>(GetEnvironmentTemplateVersionInput {
                template_name: template,
                major_version: major,
                minor_version: minor,
            })
            .await?
            .environment_template_version
            .schema
        }
        Target::Instance(..) | Target::Pipeline(_) => {
            call::<ops::GetServiceTemplateVersion>(GetServiceTemplateVersionInput {
                template_name: template,
                major_version: major,
                minor_version: minor,
            })
            .await?
            .service_template_version
            .schema
        }
    }
    .unwrap_or_default();
    let form = match target {
        Target::Environment(_) => input_form(&schema, InputSet::Environment)
            .map_err(|d| schema_error(&d))?
            .unwrap_or_else(InputForm::empty),
        Target::Instance(..) => instance_form(&schema)?,
        Target::Pipeline(_) => input_form(&schema, InputSet::Pipeline)
            .map_err(|d| schema_error(&d))?
            .unwrap_or_else(InputForm::empty),
    };
    Ok((schema, form))
}

/// The update actions of a resource on `template` `major.minor` whose spec is `spec`. Nothing
/// is shown while a deployment runs or when no newer recommended version exists. `on_done`
/// runs after a deployment was started.
#[component]
#[allow(clippy::needless_pass_by_value)] // component props are owned
pub fn Upgrade(
    /// What is updated.
    target: Target,
    /// Its template.
    template: String,
    /// Its major version.
    major: String,
    /// Its minor version.
    minor: String,
    /// Its current spec.
    spec: String,
    /// Called once an update started.
    on_done: Callback<()>,
) -> impl IntoView {
    let family = target.family();
    let found = load({
        let (template, major, minor) = (template.clone(), major.clone(), minor.clone());
        move || offers(family, template.clone(), major.clone(), minor.clone())
    });
    let run = act({
        let (target, current_spec) = (target.clone(), spec.clone());
        move |(kind, to, spec): &(DeploymentUpdateType, (String, String), Option<String>)| {
            // UpdateServicePipeline always takes a spec: a minor update keeps the current one.
            let spec = spec
                .clone()
                .or_else(|| matches!(target, Target::Pipeline(_)).then(|| current_spec.clone()));
            deploy(target.clone(), kind.clone(), to.clone(), spec)
        }
    });
    effect(move || {
        if let Some(Ok(())) = run.value() {
            on_done.run(());
        }
    });
    // The open update panel: its deployment type and version.
    let editing = RwSignal::new(None::<Choice>);
    let current = (major.clone(), minor.clone());
    let choices = memo(move || {
        let offers = found.get().and_then(Result::ok).unwrap_or_default();
        let mut choices = vec![(DeploymentUpdateType::CurrentVersion, current.clone())];
        choices.extend(
            offers
                .minor
                .map(|to| (DeploymentUpdateType::MinorVersion, to)),
        );
        choices.extend(
            offers
                .major
                .map(|to| (DeploymentUpdateType::MajorVersion, to)),
        );
        choices
    });
    let panel_view = {
        let (target, template, spec) = (target.clone(), template.clone(), spec.clone());
        move || {
            editing.get().map(|(kind, to)| {
                let form = load({
                    let (target, template, to) = (target.clone(), template.clone(), to.clone());
                    move || version_form(target.clone(), template.clone(), to.clone())
                });
                let panel = Panel {
                    target: target.clone(),
                    template: template.clone(),
                    spec: spec.clone(),
                    kind,
                    to,
                };
                move || match form.get() {
                    None => ().into_any(),
                    Some(Err(e)) => view! { <ErrorBox error=e /> }.into_any(),
                    Some(Ok((schema, form))) => {
                        update_panel(panel.clone(), schema, form, run, editing, choices).into_any()
                    }
                }
            })
        }
    };
    let edit_label = format!("Edit inputs ({major}.{minor})");
    let edit_to = (major, minor);
    view! {
        <div class="upgrade">
            <div class="actions">
                {move || found.get().and_then(Result::ok).map(|o| {
                    let minor = o.minor.map(|to| {
                        let label = format!("Update to {}.{}", to.0, to.1);
                        view! {
                            <button type="button" class="primary" title="A minor version: same inputs, deployed with MINOR_VERSION" on:click=move |_| {
                                if confirm(&format!("Deploy version {}.{} (minor update, same inputs)?", to.0, to.1)) {
                                    run.dispatch((DeploymentUpdateType::MinorVersion, to.clone(), None));
                                }
                            }>{label}</button>
                        }
                    });
                    let major = o.major.map(|to| {
                        let label = format!("Update to {}.{}", to.0, to.1);
                        view! {
                            <button type="button" title="A major version: the inputs are re-checked against its schema first" on:click=move |_| editing.set(Some((DeploymentUpdateType::MajorVersion, to.clone())))>{label}</button>
                        }
                    });
                    view! { {minor}{major} }
                })}
                <button type="button" title="New inputs for the deployed version, deployed with CURRENT_VERSION" on:click=move |_| editing.set(Some((DeploymentUpdateType::CurrentVersion, edit_to.clone())))>{edit_label}</button>
            </div>
            {panel_view}
            {move || run.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        </div>
    }
}

/// Starts a deployment: deployment type, `(major, minor)`, new spec.
type Deploy = Act<(DeploymentUpdateType, (String, String), Option<String>), Result<(), ApiError>>;

/// A deployment type and the version it deploys.
type Choice = (DeploymentUpdateType, (String, String));

/// What an update panel edits.
#[derive(Clone)]
struct Panel {
    target: Target,
    template: String,
    /// The current spec (the form starts from its inputs).
    spec: String,
    kind: DeploymentUpdateType,
    to: (String, String),
}

/// What a deployment type does, in one sentence.
fn explain(kind: &DeploymentUpdateType, (major, minor): &(String, String)) -> String {
    match kind {
        DeploymentUpdateType::CurrentVersion => format!(
            "CURRENT_VERSION: redeploys version {major}.{minor}, as deployed, with the inputs below."
        ),
        DeploymentUpdateType::MinorVersion => format!(
            "MINOR_VERSION: moves to {major}.{minor}, a newer minor version of the same major; its schema accepts the inputs the current one does."
        ),
        _ => format!(
            "MAJOR_VERSION: moves to {major}.{minor}, a new major version; its schema may differ, so the inputs are checked against it."
        ),
    }
}

/// The update form: the deployment type (explained), the current inputs in the chosen
/// version's form, validated as typed, the rendered-IaC preview and its diff, and Deploy.
fn update_panel(
    panel: Panel,
    schema: String,
    form: InputForm,
    run: Deploy,
    editing: RwSignal<Option<Choice>>,
    choices: Memo<Vec<Choice>>,
) -> impl IntoView {
    let Panel {
        target,
        template,
        spec,
        kind,
        to,
    } = panel;
    let instance = match &target {
        Target::Instance(_, name, env) => Some((name.clone(), env.clone())),
        _ => None,
    };
    let pipeline = matches!(target, Target::Pipeline(_));
    let values = RwSignal::new(
        form.values_from(spec_inputs(&spec, instance.as_ref().map(|(n, _)| n.as_str())).as_ref()),
    );
    let prefix = match (&instance, pipeline) {
        (Some(_), _) => "instances[0].spec",
        (None, true) => "pipeline",
        (None, false) => "spec",
    };
    let new_spec = memo({
        let form = form.clone();
        move || {
            values.with(|v| match &instance {
                // The service's spec with only its pipeline inputs changed.
                None if pipeline => with_pipeline(&spec, &form.yaml_lines(v, 2)),
                None => environment_spec(&form, v),
                Some((name, env)) => service_spec(
                    None,
                    &[InstanceInputs {
                        name,
                        environment: env,
                        form: &form,
                        values: v,
                    }],
                ),
            })
        }
    });
    let diagnostics = memo(move || new_spec.with(|s| validate_spec(&schema, s).diagnostics));
    let messages = {
        let form = form.clone();
        Signal::derive(move || diagnostics.with(|d| field_messages(d, prefix, &form)))
    };
    let preview_input = {
        let (target, to) = (target.clone(), to.clone());
        let (preview_target, environment, service, instance) = match target {
            Target::Environment(name) => (PreviewTarget::Environment, name, None, None),
            Target::Pipeline(service) => (
                PreviewTarget::ServicePipeline,
                String::new(),
                Some(service),
                None,
            ),
            Target::Instance(service, instance, env) => (
                PreviewTarget::ServiceInstance,
                env,
                Some(service),
                Some(instance),
            ),
        };
        Signal::stored(Some(GetRenderInputsInput {
            target: preview_target,
            environment_name: (!environment.is_empty()).then_some(environment),
            service_name: service,
            service_instance_name: instance,
            template_name: template,
            template_major_version: to.0,
            template_minor_version: to.1,
        }))
    };
    let label = format!("Deploy {}.{}", to.0, to.1);
    let explanation = explain(&kind, &to);
    let chosen = format!("{}:{}.{}", kind.as_str(), to.0, to.1);
    let deploy_kind = kind.clone();
    view! {
        <div class="panel major-update">
            <h2>{format!("Inputs for version {}.{}", to.0, to.1)}</h2>
            <label>
                "Deployment type"
                <select name="deploymentType" on:change=move |ev| {
                    let picked = event_target_value(&ev);
                    if let Some(c) = choices.get_untracked().into_iter().find(|(k, v)| format!("{}:{}.{}", k.as_str(), v.0, v.1) == picked) {
                        editing.set(Some(c));
                    }
                }>
                    {move || choices.get().into_iter().map(|(k, v)| {
                        let value = format!("{}:{}.{}", k.as_str(), v.0, v.1);
                        let selected = value == chosen;
                        let text = format!("{} — {}.{}", k.as_str(), v.0, v.1);
                        view! { <option value=value selected=selected>{text}</option> }
                    }).collect_view()}
                </select>
            </label>
            <p class="muted explain">{explanation}</p>
            <InputsForm form=form values=values messages=messages id_prefix="upgrade" />
            <div class="diagnostics">
                {move || messages.with(|m| m.general.iter().map(|t| view! { <div class="field-error">{t.clone()}</div> }).collect_view())}
            </div>
            <RenderPreview input=preview_input spec=new_spec />
            <div class="actions">
                <button type="button" class="primary" disabled=move || diagnostics.with(|d| !d.is_empty()) || run.pending() on:click=move |_| {
                    run.dispatch((deploy_kind.clone(), to.clone(), Some(new_spec.get_untracked())));
                }>{label}</button>
                <button type="button" on:click=move |_| editing.set(None)>"Close"</button>
            </div>
        </div>
    }
}

/// A resource whose template has a newer recommended version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// What would be updated.
    pub target: Target,
    /// Its template.
    pub template: String,
    /// Its deployed `major.minor`.
    pub deployed: String,
    /// What it can move to.
    pub offers: Offers,
}

impl Stale {
    /// A key naming the resource (`env` or `service/instance`), also its page's path below
    /// the console root.
    pub fn key(&self) -> String {
        match &self.target {
            Target::Environment(n) => format!("environments/{n}"),
            Target::Instance(s, i, _) => format!("services/{s}/instances/{i}"),
            Target::Pipeline(s) => format!("services/{s}"),
        }
    }
}

/// At most this many pages of environments and of instances are looked at.
const STALE_PAGES: usize = 10;

/// Every environment and service instance (up to [`STALE_PAGES`] pages of each) whose
/// template has a newer recommended version; each template version's offers are asked once.
pub async fn stale() -> Result<Vec<Stale>, ApiError> {
    let mut found: Vec<(Target, String, String, String)> = Vec::new();
    let mut next_token = None;
    for _ in 0..STALE_PAGES {
        let out = call::<ops::ListEnvironments>(ListEnvironmentsInput {
            next_token,
            ..Default::default()
        })
        .await?;
        found.extend(out.environments.into_iter().map(|e| {
            (
                Target::Environment(e.name),
                e.template_name,
                e.template_major_version,
                e.template_minor_version,
            )
        }));
        next_token = out.next_token;
        if next_token.is_none() {
            break;
        }
    }
    let mut next_token = None;
    for _ in 0..STALE_PAGES {
        let out = call::<ops::ListServiceInstances>(ListServiceInstancesInput {
            next_token,
            ..Default::default()
        })
        .await?;
        found.extend(out.service_instances.into_iter().map(|i| {
            (
                Target::Instance(i.service_name, i.name, i.environment_name),
                i.template_name,
                i.template_major_version,
                i.template_minor_version,
            )
        }));
        next_token = out.next_token;
        if next_token.is_none() {
            break;
        }
    }
    let mut known: BTreeMap<(bool, String, String, String), Offers> = BTreeMap::new();
    let mut stale = Vec::new();
    for (target, template, major, minor) in found {
        let family = target.family();
        let key = (
            family == Family::Environment,
            template.clone(),
            major.clone(),
            minor.clone(),
        );
        let offers = if let Some(o) = known.get(&key) {
            o.clone()
        } else {
            let o = offers(family, template.clone(), major.clone(), minor.clone()).await?;
            known.insert(key, o.clone());
            o
        };
        if offers.minor.is_some() || offers.major.is_some() {
            stale.push(Stale {
                target,
                template,
                deployed: format!("{major}.{minor}"),
                offers,
            });
        }
    }
    Ok(stale)
}
