//! What a deployment renders: its template version's bundle (read again from the artifact
//! store) and Proton's parameter namespaces built from the stored resources — the spec from the
//! deployment's target state (inputs validated, schema defaults applied), the environment's
//! outputs, the service's repository. The rendering itself is `baryon_model::render`, the same
//! code the console previews with.

use baryon_model::proton::{
    Deployment, DeploymentState, Environment, Output, Service, TemplateVersionSourceInput,
};
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
        Some(DeploymentState::Component(_)) => {
            return Ok(Err(
                "Rendering directly defined components for CloudFormation is not supported by this Baryon engine yet; use a self-managed environment for components.".into(),
            ));
        }
        None => return Ok(Err("the deployment has no target state".into())),
    };
    let family = if target == RenderTarget::Environment {
        Family::Environment
    } else {
        Family::Service
    };
    let row = tv::version_row(&template, &major, &minor)?;
    let Some(version) = cx
        .store
        .get::<baryon_model::proton::ServiceTemplateVersion>(family.version_kind(), &row)
        .await?
    else {
        return Ok(Err(format!(
            "{} {template}:{major}.{minor} no longer exists",
            family.what()
        )));
    };
    let Some(TemplateVersionSourceInput::S3(s3)) = cx
        .store
        .version_source::<TemplateVersionSourceInput>(family.version_kind(), &row)
        .await?
    else {
        return Ok(Err(format!(
            "the bundle of {template}:{major}.{minor} was not recorded"
        )));
    };
    let bytes = match cx.artifacts.get(&s3.bucket, &s3.key).await {
        Ok(b) => b,
        Err(e) => return Ok(Err(format!("the template bundle can't be read: {e}"))),
    };
    let files = match bundle::read(&bytes) {
        Ok(b) => b.files,
        Err(e) => return Ok(Err(format!("the template bundle can't be read: {}", e.0))),
    };
    let mut opts = SpecRenderOptions {
        environment_name: d.environment_name.clone(),
        account_id: cx.config.account_id.clone(),
        ..SpecRenderOptions::default()
    };
    if target != RenderTarget::Environment {
        if let Some(env) = cx
            .store
            .get::<Environment>(Kind::Environment, &d.environment_name)
            .await?
        {
            opts.environment_outputs = outputs(&deployment::outputs(cx, &env.doc.arn).await?);
            if let Some(account) = env.doc.environment_account_id {
                opts.account_id = account;
            }
        }
        let service_name = d.service_name.clone().unwrap_or_default();
        if let Some(s) = cx
            .store
            .get::<Service>(Kind::Service, &service_name)
            .await?
        {
            opts.service = ServiceContext {
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
    let schema = version.doc.schema.clone().unwrap_or_default();
    let contexts = match contexts_from_spec(&schema, &spec, &opts) {
        Ok(c) => c,
        Err(diagnostics) => {
            return Ok(Err(format!(
                "the spec is not valid for {template}:{major}.{minor}: {}",
                diagnostics
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
    };
    let instance = d.service_instance_name.clone().unwrap_or_default();
    let Some(ctx) = contexts.into_iter().find(|c| match target {
        RenderTarget::ServiceInstance => c
            .service_instance
            .as_ref()
            .is_some_and(|i| i.name == instance),
        _ => c.target == target,
    }) else {
        return Ok(Err(format!(
            "the spec has nothing to render for this {}",
            match target {
                RenderTarget::ServiceInstance => "service instance",
                RenderTarget::ServicePipeline => "pipeline",
                _ => "environment",
            }
        )));
    };
    let resource = ResourceMetadata {
        arn: d.target_arn.clone(),
        template_arn: cx.arn(&format!(
            "{}/{template}",
            if family == Family::Environment {
                "environment-template"
            } else {
                "service-template"
            }
        )),
        template_major_version: major,
        template_minor_version: minor,
        deployment_id: d.id.clone(),
        environment_arn: (target != RenderTarget::Environment)
            .then(|| cx.arn(&format!("environment/{}", d.environment_name))),
    };
    Ok(Ok(Prepared {
        files,
        context: with_environment(ctx, &d.environment_name).with_resource(resource),
    }))
}

/// An environment render's context names the environment (a spec does not).
fn with_environment(mut ctx: RenderContext, name: &str) -> RenderContext {
    if let Some(env) = ctx.environment.as_mut()
        && env.name.is_empty()
    {
        name.clone_into(&mut env.name);
    }
    ctx
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
