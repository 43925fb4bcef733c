//! Baryon's own operations (`baryon_model::extensions`), served on `POST /` beside Proton's
//! under the `X-Amz-Target` prefix `Baryon20261203`, signed for `proton` like Proton's.
//!
//! `GetRenderInputs`: what the console's rendered-IaC preview renders with — loaded exactly as
//! a deployment loads it ([`crate::rendering::load`]) for the proposed template version and,
//! when the resource exists, for the version and spec it is deployed with.

use baryon_model::extensions::{GetRenderInputsInput, Operation, PreviewTarget};
use baryon_model::proton::{Environment, ServiceInstance, ServicePipeline};
use baryon_model::render::RenderTarget;
use baryon_model::render::preview::RenderInputs;
use serde::Serialize;
use serde_json::Value;

use crate::context::Cx;
use crate::error::ApiError;
use crate::handlers::deploy::Target;
use crate::handlers::run;
use crate::rendering::{LoadError, Loaded, Names, Version, load};
use crate::store::Kind;

/// Runs one of Baryon's operations.
pub async fn dispatch(cx: &Cx, op: Operation, body: Value) -> Result<Value, ApiError> {
    match op {
        Operation::GetRenderInputs => run(cx, body, get_render_inputs).await,
    }
}

/// `GetRenderInputs`' answer.
#[derive(Debug, Serialize)]
pub struct GetRenderInputsOutput {
    /// The create or update being previewed.
    pub proposed: RenderInputs,
    /// What the resource is deployed with now (absent for a resource that does not exist or
    /// whose current version can no longer be loaded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<RenderInputs>,
}

/// The id a preview's proposed side renders with: the deployment does not exist yet.
pub const NEXT_DEPLOYMENT: &str = "(next deployment)";

fn required(value: Option<String>, member: &str, target: &str) -> Result<String, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::Validation(format!("{member} is required to preview a {target}")))
}

async fn get_render_inputs(
    cx: &Cx,
    input: GetRenderInputsInput,
) -> Result<GetRenderInputsOutput, ApiError> {
    let (target, names) = match input.target {
        PreviewTarget::Environment => (
            RenderTarget::Environment,
            Names {
                environment: required(input.environment_name, "environmentName", "environment")?,
                ..Names::default()
            },
        ),
        PreviewTarget::ServiceInstance => (
            RenderTarget::ServiceInstance,
            Names {
                environment: required(
                    input.environment_name,
                    "environmentName",
                    "service instance",
                )?,
                service: required(input.service_name, "serviceName", "service instance")?,
                instance: required(
                    input.service_instance_name,
                    "serviceInstanceName",
                    "service instance",
                )?,
            },
        ),
        PreviewTarget::ServicePipeline => (
            RenderTarget::ServicePipeline,
            Names {
                environment: input.environment_name.unwrap_or_default(),
                service: required(input.service_name, "serviceName", "pipeline")?,
                ..Names::default()
            },
        ),
    };
    let version = Version {
        template: input.template_name,
        major: input.template_major_version,
        minor: input.template_minor_version,
    };
    let proposed = match load(cx, target, &names, &version, NEXT_DEPLOYMENT).await? {
        Ok(loaded) => inputs(loaded, target, &names, &version, None),
        Err(LoadError::NoVersion(m)) => return Err(ApiError::ResourceNotFound(m)),
        Err(LoadError::Bundle(m)) => return Err(ApiError::InternalServer(m)),
    };
    let current = match deployed(cx, target, &names).await? {
        Some((version, spec, deployment_id)) => {
            match load(cx, target, &names, &version, &deployment_id).await? {
                Ok(loaded) => Some(inputs(loaded, target, &names, &version, Some(spec))),
                Err(e) => {
                    tracing::debug!(error = %e.message(), "no current side for the preview");
                    None
                }
            }
        }
        None => None,
    };
    Ok(GetRenderInputsOutput { proposed, current })
}

fn inputs(
    loaded: Loaded,
    target: RenderTarget,
    names: &Names,
    version: &Version,
    spec: Option<String>,
) -> RenderInputs {
    RenderInputs {
        target,
        instance_name: (target == RenderTarget::ServiceInstance).then(|| names.instance.clone()),
        template_name: version.template.clone(),
        template_major_version: version.major.clone(),
        template_minor_version: version.minor.clone(),
        files: loaded
            .files
            .into_iter()
            .filter_map(|(path, bytes)| String::from_utf8(bytes).ok().map(|text| (path, text)))
            .collect(),
        schema: loaded.schema,
        options: loaded.options,
        resource: loaded.resource,
        spec,
    }
}

/// The version, spec and last deployment of the resource as it is deployed now; `None` when
/// it does not exist.
async fn deployed(
    cx: &Cx,
    target: RenderTarget,
    names: &Names,
) -> Result<Option<(Version, String, String)>, ApiError> {
    // (template, major, minor, spec, last succeeded deployment) of the stored resource.
    type Deployed = (String, String, String, Option<String>, Option<String>);
    let found: Option<Deployed> = match target {
        RenderTarget::Environment => cx
            .store
            .get::<Environment>(Kind::Environment, &names.environment)
            .await?
            .map(|r| {
                let e = r.doc;
                (
                    e.template_name,
                    e.template_major_version,
                    e.template_minor_version,
                    e.spec,
                    e.last_succeeded_deployment_id,
                )
            }),
        RenderTarget::ServiceInstance => {
            let row = Target::ServiceInstance(names.service.clone(), names.instance.clone()).row();
            cx.store
                .get::<ServiceInstance>(Kind::ServiceInstance, &row)
                .await?
                .map(|r| {
                    let i = r.doc;
                    (
                        i.template_name,
                        i.template_major_version,
                        i.template_minor_version,
                        i.spec,
                        i.last_succeeded_deployment_id,
                    )
                })
        }
        _ => cx
            .store
            .get::<ServicePipeline>(Kind::ServicePipeline, &names.service)
            .await?
            .map(|r| {
                let p = r.doc;
                (
                    p.template_name,
                    p.template_major_version,
                    p.template_minor_version,
                    p.spec,
                    p.last_succeeded_deployment_id,
                )
            }),
    };
    Ok(found.map(|(template, major, minor, spec, deployment)| {
        (
            Version {
                template,
                major,
                minor,
            },
            spec.unwrap_or_default(),
            deployment.unwrap_or_default(),
        )
    }))
}
