//! What a deployment renders: its template version's bundle (read again from the artifact
//! store) and Proton's parameter namespaces built from the stored resources — the spec from the
//! deployment's target state (inputs validated, schema defaults applied), the environment's
//! outputs, the service's repository. The rendering itself is `baryon_model::render`, the same
//! code the console previews with.

use baryon_model::proton::{
    Deployment, DeploymentState, Environment, Output, Service, TemplateVersionSourceInput,
};
use baryon_model::render::preview::context_for;
use baryon_model::render::{
    Params, RenderContext, RenderTarget, RenderedFile, ResourceMetadata, ServiceContext,
    SpecRenderOptions, contexts_from_spec, render_bundle,
};
use std::collections::BTreeMap;

use baryon_model::manifest::{Manifest, RenderingEngine, parse_manifest};
use serde_json::Value;

use crate::bundle;
use crate::context::Cx;
use crate::error::ApiError;
use crate::handlers::deployment;
use crate::handlers::template_version::{self as tv, Family};
use crate::store::Kind;

/// The files a deployment renders to, or why it can't render (a problem of the template or the
/// spec, which fails the deployment). Storage trouble is an `ApiError` (retried).
pub async fn render_deployment(
    cx: &Cx,
    d: &Deployment,
) -> Result<Result<Vec<RenderedFile>, String>, ApiError> {
    Ok(match prepare(cx, d).await? {
        Ok(p) => render_bundle(&p.files, &p.context).map_err(|e| e.to_string()),
        Err(e) => Err(e),
    })
}

/// What a deployment is rendered from: its template version's bundle and its parameter
/// namespaces.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The bundle's files by path.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The parameter namespaces.
    pub context: RenderContext,
}

impl Prepared {
    /// The bundle directory this deployment uses (`infrastructure`, `instance_infrastructure`,
    /// `pipeline_infrastructure`; empty for a component).
    #[must_use]
    pub fn dir(&self) -> &'static str {
        self.context.target.bundle_dir()
    }

    /// The parsed `manifest.yaml` of [`Self::dir`], or why it can't be read.
    pub fn manifest(&self) -> Result<Manifest, String> {
        let path = if self.dir().is_empty() {
            "manifest.yaml".to_owned()
        } else {
            format!("{}/manifest.yaml", self.dir())
        };
        let bytes = self
            .files
            .get(&path)
            .ok_or_else(|| format!("the template bundle has no {path}"))?;
        let text = std::str::from_utf8(bytes).map_err(|e| format!("{path} is not UTF-8: {e}"))?;
        parse_manifest(text).map_err(|diags| {
            format!(
                "{path}: {}",
                diags
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })
    }
}

/// How the deployment's template provisions (the first template of its manifest), `None`
/// when that can't be told (the deployment then fails with the reason when rendered).
pub async fn rendering_engine(
    cx: &Cx,
    d: &Deployment,
) -> Result<Option<RenderingEngine>, ApiError> {
    Ok(prepare(cx, d).await?.ok().and_then(|p| {
        p.manifest().ok().and_then(|m| {
            m.infrastructure
                .templates
                .first()
                .map(|t| t.rendering_engine)
        })
    }))
}

/// Reads the bundle and builds the parameter namespaces of a deployment, or says why it can't
/// (a problem of the template or the spec). Storage trouble is an `ApiError` (retried).
pub async fn prepare(cx: &Cx, d: &Deployment) -> Result<Result<Prepared, String>, ApiError> {
    let (spec, template, major, minor, target) = match &d.target_state {
        Some(DeploymentState::Environment(s)) => (
            s.spec.clone().unwrap_or_default(),
            s.template_name.clone(),
            s.template_major_version.clone(),
            s.template_minor_version.clone(),
            RenderTarget::Environment,
        ),
        Some(DeploymentState::ServiceInstance(s)) => (
            s.spec.clone(),
            s.template_name.clone(),
            s.template_major_version.clone(),
            s.template_minor_version.clone(),
            RenderTarget::ServiceInstance,
        ),
        Some(DeploymentState::ServicePipeline(s)) => (
            s.spec.clone().unwrap_or_default(),
            s.template_name.clone(),
            s.template_major_version.clone(),
            s.template_minor_version.clone(),
            RenderTarget::ServicePipeline,
        ),
        Some(DeploymentState::Component(state)) => {
            return prepare_component(cx, d, state).await;
        }
        None => return Ok(Err("the deployment has no target state".into())),
    };
    let names = Names {
        environment: d.environment_name.clone(),
        service: d.service_name.clone().unwrap_or_default(),
        instance: d.service_instance_name.clone().unwrap_or_default(),
    };
    let version = Version {
        template,
        major,
        minor,
    };
    let loaded = match load(cx, target, &names, &version, &d.id).await? {
        Ok(l) => l,
        Err(e) => return Ok(Err(e.message())),
    };
    let ctx = match context_for(
        &loaded.schema,
        &spec,
        &loaded.options,
        target,
        &names.instance,
    ) {
        Ok(ctx) => ctx,
        Err(e) => {
            return Ok(Err(e.describe(
                &version.template,
                &version.major,
                &version.minor,
            )));
        }
    };
    // The deployment's own record of its target (the same ARN, as it was stored).
    let mut resource = loaded.resource;
    resource.arn.clone_from(&d.target_arn);
    Ok(Ok(Prepared {
        files: loaded.files,
        context: ctx.with_resource(resource),
    }))
}

/// The names a render reads resources by: the environment, and for service targets the
/// service and instance (empty when not relevant).
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// The environment (deployed in, or rendered).
    pub environment: String,
    /// The service (service instances and pipelines).
    pub service: String,
    /// The service instance (service instances).
    pub instance: String,
}

/// A template version.
#[derive(Debug, Clone)]
pub struct Version {
    /// The template.
    pub template: String,
    /// Major version.
    pub major: String,
    /// Minor version.
    pub minor: String,
}

/// Everything a render of a spec needs besides the spec.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The bundle's files by path.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The version's `schema.yaml`.
    pub schema: String,
    /// Names, account and outputs of resources deployed earlier.
    pub options: SpecRenderOptions,
    /// Where the resource lives.
    pub resource: ResourceMetadata,
}

/// Why a render's inputs can't be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The template version does not exist.
    NoVersion(String),
    /// Its bundle is missing or unreadable.
    Bundle(String),
}

impl LoadError {
    /// What went wrong, in one sentence.
    pub fn message(self) -> String {
        match self {
            Self::NoVersion(m) | Self::Bundle(m) => m,
        }
    }
}

/// Loads a template version's bundle and schema and the namespaces a render of `target` fills
/// from stored resources: the environment's account and outputs, the service's repository,
/// the resource's ARN. Shared by deployments ([`prepare`]) and previews (Baryon's
/// `GetRenderInputs`), so a preview renders what the deployment will.
pub async fn load(
    cx: &Cx,
    target: RenderTarget,
    names: &Names,
    version: &Version,
    deployment_id: &str,
) -> Result<Result<Loaded, LoadError>, ApiError> {
    let Version {
        template,
        major,
        minor,
    } = version;
    let family = if target == RenderTarget::Environment {
        Family::Environment
    } else {
        Family::Service
    };
    let row = tv::version_row(template, major, minor)?;
    let Some(stored) = cx
        .store
        .get::<baryon_model::proton::ServiceTemplateVersion>(family.version_kind(), &row)
        .await?
    else {
        return Ok(Err(LoadError::NoVersion(format!(
            "{} {template}:{major}.{minor} no longer exists",
            family.what()
        ))));
    };
    let Some(TemplateVersionSourceInput::S3(s3)) = cx
        .store
        .version_source::<TemplateVersionSourceInput>(family.version_kind(), &row)
        .await?
    else {
        return Ok(Err(LoadError::Bundle(format!(
            "the bundle of {template}:{major}.{minor} was not recorded"
        ))));
    };
    let bytes = match cx.artifacts.get(&s3.bucket, &s3.key).await {
        Ok(b) => b,
        Err(e) => {
            return Ok(Err(LoadError::Bundle(format!(
                "the template bundle can't be read: {e}"
            ))));
        }
    };
    let files = match bundle::read(&bytes) {
        Ok(b) => b.files,
        Err(e) => {
            return Ok(Err(LoadError::Bundle(format!(
                "the template bundle can't be read: {}",
                e.0
            ))));
        }
    };
    let mut options = SpecRenderOptions {
        environment_name: names.environment.clone(),
        account_id: cx.config.account_id.clone(),
        ..SpecRenderOptions::default()
    };
    if target != RenderTarget::Environment {
        if let Some(env) = cx
            .store
            .get::<Environment>(Kind::Environment, &names.environment)
            .await?
        {
            options.environment_outputs = outputs(&deployment::outputs(cx, &env.doc.arn).await?);
            if let Some(account) = env.doc.environment_account_id {
                options.account_id = account;
            }
        }
        options.service.name.clone_from(&names.service);
        if let Some(s) = cx
            .store
            .get::<Service>(Kind::Service, &names.service)
            .await?
        {
            options.service = ServiceContext {
                name: s.doc.name.clone(),
                branch_name: s.doc.branch_name.clone().unwrap_or_default(),
                repository_connection_arn: s
                    .doc
                    .repository_connection_arn
                    .clone()
                    .unwrap_or_default(),
                repository_id: s.doc.repository_id.clone().unwrap_or_default(),
            };
        }
    }
    let arn = match target {
        RenderTarget::Environment => cx.arn(&format!("environment/{}", names.environment)),
        RenderTarget::ServiceInstance => cx.arn(&format!(
            "service/{}/service-instance/{}",
            names.service, names.instance
        )),
        _ => cx.arn(&format!("service/{}/pipeline", names.service)),
    };
    let resource = ResourceMetadata {
        arn,
        template_arn: cx.arn(&format!(
            "{}/{template}",
            if family == Family::Environment {
                "environment-template"
            } else {
                "service-template"
            }
        )),
        template_major_version: major.clone(),
        template_minor_version: minor.clone(),
        deployment_id: deployment_id.to_owned(),
        environment_arn: (target != RenderTarget::Environment)
            .then(|| cx.arn(&format!("environment/{}", names.environment))),
    };
    Ok(Ok(Loaded {
        files,
        schema: stored.doc.schema.clone().unwrap_or_default(),
        options,
        resource,
    }))
}

fn outputs(list: &[Output]) -> Params {
    list.iter()
        .map(|o| {
            (
                o.key.clone().unwrap_or_default(),
                Value::String(o.value_string.clone().unwrap_or_default()),
            )
        })
        .collect()
}

/// A directly defined component's files (its manifest and template file, as a bundle with
/// both at the root) and namespaces: `component`, `environment` and, when attached,
/// `service` and `service_instance` (inputs from the component's `serviceSpec`, else the
/// instance's spec, with the instance template's schema defaults).
async fn prepare_component(
    cx: &Cx,
    d: &Deployment,
    state: &baryon_model::proton::ComponentState,
) -> Result<Result<Prepared, String>, ApiError> {
    use baryon_model::proton::ServiceInstance;
    use baryon_model::render::{ComponentContext, EnvironmentContext, ServiceInstanceContext};
    let name = d.component_name.clone().unwrap_or_default();
    let Some(doc) = cx.store.get::<Value>(Kind::Component, &name).await? else {
        return Ok(Err(format!("the component {name} no longer exists")));
    };
    let manifest = doc.doc["manifest"].as_str().unwrap_or_default().to_owned();
    let template = state
        .template_file
        .clone()
        .or_else(|| doc.doc["templateFile"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let parsed = match parse_manifest(&manifest) {
        Ok(m) => m,
        Err(diags) => {
            return Ok(Err(format!(
                "the component manifest is not valid: {}",
                diags
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
    };
    let mut files = BTreeMap::new();
    files.insert("manifest.yaml".to_owned(), manifest.into_bytes());
    for t in &parsed.infrastructure.templates {
        if let Some(file) = t.file.as_deref().filter(|f| *f != "*") {
            files.insert(file.to_owned(), template.clone().into_bytes());
        }
    }
    let env = cx
        .store
        .get::<Environment>(Kind::Environment, &d.environment_name)
        .await?;
    let environment = EnvironmentContext {
        name: d.environment_name.clone(),
        account_id: env
            .as_ref()
            .and_then(|e| e.doc.environment_account_id.clone())
            .unwrap_or_else(|| cx.config.account_id.clone()),
        inputs: Params::new(),
        outputs: match &env {
            Some(e) => outputs(&deployment::outputs(cx, &e.doc.arn).await?),
            None => Params::new(),
        },
    };
    let mut inputs = Params::new();
    let attached = match (&state.service_name, &state.service_instance_name) {
        (Some(service_name), Some(instance_name)) => {
            let Some(service) = cx.store.get::<Service>(Kind::Service, service_name).await? else {
                return Ok(Err(format!("the service {service_name} no longer exists")));
            };
            let row = crate::handlers::deploy::Target::ServiceInstance(
                service_name.clone(),
                instance_name.clone(),
            )
            .row();
            let Some(instance) = cx
                .store
                .get::<ServiceInstance>(Kind::ServiceInstance, &row)
                .await?
            else {
                return Ok(Err(format!(
                    "the service instance {service_name}/{instance_name} no longer exists"
                )));
            };
            let i = instance.doc;
            let version_row = tv::version_row(
                &i.template_name,
                &i.template_major_version,
                &i.template_minor_version,
            )?;
            let schema = cx
                .store
                .get::<baryon_model::proton::ServiceTemplateVersion>(
                    Family::Service.version_kind(),
                    &version_row,
                )
                .await?
                .and_then(|v| v.doc.schema)
                .unwrap_or_default();
            let spec = state
                .service_spec
                .clone()
                .or_else(|| i.spec.clone())
                .unwrap_or_default();
            let opts = SpecRenderOptions {
                environment_name: d.environment_name.clone(),
                account_id: environment.account_id.clone(),
                environment_outputs: environment.outputs.clone(),
                ..SpecRenderOptions::default()
            };
            let instance_inputs = contexts_from_spec(&schema, &spec, &opts)
                .ok()
                .and_then(|contexts| {
                    contexts
                        .into_iter()
                        .find_map(|c| c.service_instance.filter(|si| si.name == *instance_name))
                })
                .map(|si| si.inputs)
                .unwrap_or_default();
            inputs.clone_from(&instance_inputs);
            let s = service.doc;
            Some((
                ServiceContext {
                    name: s.name.clone(),
                    branch_name: s.branch_name.clone().unwrap_or_default(),
                    repository_connection_arn: s
                        .repository_connection_arn
                        .clone()
                        .unwrap_or_default(),
                    repository_id: s.repository_id.clone().unwrap_or_default(),
                },
                ServiceInstanceContext {
                    name: instance_name.clone(),
                    inputs: instance_inputs,
                    outputs: Params::new(),
                    environment: environment.clone(),
                    components_default_outputs: None,
                },
            ))
        }
        _ => None,
    };
    let context =
        RenderContext::component(ComponentContext { name, inputs }, environment, attached)
            .with_resource(ResourceMetadata {
                arn: d.target_arn.clone(),
                deployment_id: d.id.clone(),
                environment_arn: Some(cx.arn(&format!("environment/{}", d.environment_name))),
                ..ResourceMetadata::default()
            });
    Ok(Ok(Prepared { files, context }))
}
