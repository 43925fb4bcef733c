//! Components (directly defined): CreateComponent, GetComponent, ListComponents,
//! UpdateComponent, DeleteComponent, CancelComponentDeployment, ListComponentOutputs,
//! ListComponentProvisionedResources.
//!
//! A component is infrastructure a developer defines next to a service instance (attached:
//! `serviceName` + `serviceInstanceName`, whose environment it runs in) or in an environment
//! alone (detached: `environmentName`). Its state is its attachment, `serviceSpec` and
//! `templateFile`; its `manifest` says how the file is rendered. Proton's rules apply: an
//! attached component needs a service template version whose `supportedComponentSources`
//! includes `DIRECTLY_DEFINED`, a service instance has at most one component, an AWS-managed
//! environment needs a `componentRoleArn`. Deployments follow the environment's provisioning,
//! like the instances in it (self-managed: reported by NotifyResourceDeploymentStatusChange).
//!
//! The stored document is the API's `Component` plus `manifest` and `templateFile`, which the
//! API does not return; the typed conversion at the edge drops them.

use baryon_model::proton::{
    CancelComponentDeploymentInput, CancelComponentDeploymentOutput, Component,
    ComponentDeploymentUpdateType, ComponentSummary, CreateComponentInput, CreateComponentOutput,
    DeleteComponentInput, DeleteComponentOutput, DeploymentStatus, Environment, GetComponentInput,
    GetComponentOutput, ListComponentOutputsInput, ListComponentOutputsOutput,
    ListComponentProvisionedResourcesInput, ListComponentProvisionedResourcesOutput,
    ListComponentsInput, ListComponentsOutput, Provisioning, ServiceInstance,
    ServiceTemplateSupportedComponentSourceType, UpdateComponentInput, UpdateComponentOutput,
};
use serde_json::{Value, json};

use super::deploy::{self, Target};
use super::template_version::{self as tv, Family, convert};
use super::{Created, Rows, filtered_page, idempotent_create};
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind};

const WHAT: &str = "component";

async fn load(cx: &Cx, name: &str) -> Result<(Value, i64), ApiError> {
    let row = cx
        .store
        .get::<Value>(Kind::Component, name)
        .await?
        .ok_or_else(|| ApiError::not_found(WHAT, name))?;
    Ok((row.doc, row.version))
}

/// Every component (for the in-use checks of environments and service instances).
async fn all(cx: &Cx) -> Result<Vec<Component>, ApiError> {
    Ok(cx
        .store
        .list::<Component>(Kind::Component, None, None, 100_000)
        .await?
        .items)
}

/// The component attached to a service instance, if any.
pub async fn attached_to(
    cx: &Cx,
    service: &str,
    instance: &str,
) -> Result<Option<String>, ApiError> {
    Ok(all(cx)
        .await?
        .into_iter()
        .find(|c| {
            c.service_name.as_deref() == Some(service)
                && c.service_instance_name.as_deref() == Some(instance)
        })
        .map(|c| c.name))
}

/// The components deployed in an environment.
pub async fn in_environment(cx: &Cx, environment: &str) -> Result<Vec<String>, ApiError> {
    Ok(all(cx)
        .await?
        .into_iter()
        .filter(|c| c.environment_name == environment)
        .map(|c| c.name)
        .collect())
}

/// Checks a component manifest with the model's manifest rules.
fn check_manifest(manifest: &str) -> Result<(), ApiError> {
    baryon_model::manifest::parse_manifest(manifest).map_err(|diagnostics| {
        let all = diagnostics
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        ApiError::Validation(format!("The component manifest is not valid: {all}"))
    })?;
    Ok(())
}

/// Where a component goes: the environment it runs in, checked against Proton's rules.
/// `attachment` is `(serviceName, serviceInstanceName)`; `name` is the component itself (so
/// re-attaching it to its own instance is not a conflict).
async fn placement(
    cx: &Cx,
    name: &str,
    attachment: Option<(&str, &str)>,
    environment: Option<&str>,
) -> Result<Environment, ApiError> {
    let env_name = match attachment {
        Some((service, instance)) => {
            let i = cx
                .store
                .get::<ServiceInstance>(Kind::ServiceInstance, &format!("{service}/{instance}"))
                .await?
                .ok_or_else(|| {
                    ApiError::ResourceNotFound(format!(
                        "The service instance {instance} of service {service} was not found."
                    ))
                })?
                .doc;
            if let Some(e) = environment.filter(|e| *e != i.environment_name) {
                return Err(ApiError::Validation(format!(
                    "The service instance {instance} runs in environment {}, not {e}; an attached component runs in its instance's environment.",
                    i.environment_name
                )));
            }
            let v = tv::published_version(
                cx,
                Family::Service,
                &i.template_name,
                &i.template_major_version,
                Some(&i.template_minor_version),
            )
            .await?;
            let supported = v.supported_component_sources.unwrap_or_default();
            if !supported.contains(&ServiceTemplateSupportedComponentSourceType::DirectlyDefined) {
                return Err(ApiError::Validation(format!(
                    "Service template version {}:{}.{} of instance {instance} doesn't support directly defined components (supportedComponentSources has no DIRECTLY_DEFINED).",
                    i.template_name, i.template_major_version, i.template_minor_version
                )));
            }
            if let Some(other) = attached_to(cx, service, instance)
                .await?
                .filter(|c| c != name)
            {
                return Err(ApiError::Conflict(format!(
                    "The service instance {instance} of service {service} already has the component {other} attached."
                )));
            }
            i.environment_name
        }
        None => environment
            .ok_or_else(|| {
                ApiError::Validation(
                    "You must specify environmentName when the component isn't attached to a service instance (serviceName and serviceInstanceName)."
                        .into(),
                )
            })?
            .to_owned(),
    };
    let env = cx
        .store
        .get::<Environment>(Kind::Environment, &env_name)
        .await?
        .ok_or_else(|| ApiError::not_found("environment", &env_name))?
        .doc;
    if env.provisioning != Some(Provisioning::CustomerManaged) && env.component_role_arn.is_none() {
        return Err(ApiError::Validation(format!(
            "The environment {env_name} has no componentRoleArn; set one with UpdateEnvironment before deploying components to it."
        )));
    }
    Ok(env)
}

/// `(serviceName, serviceInstanceName)` from optional members, both or neither.
fn attachment<'a>(
    service: Option<&'a str>,
    instance: Option<&'a str>,
) -> Result<Option<(&'a str, &'a str)>, ApiError> {
    match (service, instance) {
        (Some(s), Some(i)) => Ok(Some((s, i))),
        (None, None) => Ok(None),
        _ => Err(ApiError::Validation(
            "serviceName and serviceInstanceName go together: give both to attach the component to a service instance, or neither.".into(),
        )),
    }
}

/// CreateComponent (idempotent create).
pub async fn create(
    cx: &Cx,
    input: CreateComponentInput,
) -> Result<CreateComponentOutput, ApiError> {
    check_manifest(&input.manifest)?;
    let attach = attachment(
        input.service_name.as_deref(),
        input.service_instance_name.as_deref(),
    )?;
    if attach.is_none() && input.service_spec.is_some() {
        return Err(ApiError::Validation(
            "serviceSpec is only for a component attached to a service instance.".into(),
        ));
    }
    let env = placement(cx, &input.name, attach, input.environment_name.as_deref()).await?;
    let now = cx.clock.now();
    let arn = cx.arn(&format!("component/{}", input.name));
    let deployment_id = cx.ids.uuid();
    let mut doc = json!({
        "arn": arn,
        "createdAt": now,
        "deploymentStatus": DeploymentStatus::InProgress.as_str(),
        "environmentName": env.name,
        "lastAttemptedDeploymentId": deployment_id,
        "lastDeploymentAttemptedAt": now,
        "lastModifiedAt": now,
        "name": input.name,
        "manifest": input.manifest,
        "templateFile": input.template_file,
    });
    for (key, value) in [
        ("description", &input.description),
        ("serviceName", &input.service_name),
        ("serviceInstanceName", &input.service_instance_name),
        ("serviceSpec", &input.service_spec),
        ("lastClientRequestToken", &input.client_token),
    ] {
        if let Some(v) = value {
            doc[key] = json!(v);
        }
    }
    let cols = Columns {
        name: &input.name,
        parent: &env.name,
        status: DeploymentStatus::InProgress.as_str(),
        arn: &arn,
    };
    let target = Target::Component(input.name.clone());
    let first = deploy::prepare(
        cx,
        deployment_id,
        &target,
        &env.name,
        &arn,
        now,
        None,
        deploy::state(&target, &doc)?,
        (None, None),
    );
    if let Created::Existing(existing) =
        idempotent_create(cx, Kind::Component, WHAT, &cols, &input, &doc, Some(&first)).await?
    {
        return Ok(CreateComponentOutput {
            component: convert(&existing)?,
        });
    }
    super::tags::store_initial(cx, &arn, input.tags.as_deref()).await?;
    Ok(CreateComponentOutput {
        component: convert(&doc)?,
    })
}

/// GetComponent (an absent component is an empty answer, as the API documents).
pub async fn get(cx: &Cx, input: GetComponentInput) -> Result<GetComponentOutput, ApiError> {
    let (doc, _) = load(cx, &input.name).await?;
    Ok(GetComponentOutput {
        component: Some(convert(&doc)?),
    })
}

/// ListComponents, optionally of one environment, service or service instance.
pub async fn list(cx: &Cx, input: ListComponentsInput) -> Result<ListComponentsOutput, ApiError> {
    if input.service_instance_name.is_some() && input.service_name.is_none() {
        return Err(ApiError::Validation(
            "serviceInstanceName needs serviceName to name a service instance.".into(),
        ));
    }
    let scope = format!(
        "ListComponents:{}:{}:{}",
        input.environment_name.as_deref().unwrap_or(""),
        input.service_name.as_deref().unwrap_or(""),
        input.service_instance_name.as_deref().unwrap_or("")
    );
    let (components, next_token) = filtered_page::<Component, ComponentSummary>(
        cx,
        Rows::Under(Kind::Component, input.environment_name.as_deref()),
        &scope,
        input.next_token.as_deref(),
        input.max_results,
        |c| c.name.clone(),
        |c| {
            input
                .service_name
                .as_ref()
                .is_none_or(|s| c.service_name.as_ref() == Some(s))
                && input
                    .service_instance_name
                    .as_ref()
                    .is_none_or(|i| c.service_instance_name.as_ref() == Some(i))
        },
    )
    .await?;
    Ok(ListComponentsOutput {
        components,
        next_token,
    })
}

/// UpdateComponent: `NONE` changes the description only; `CURRENT_VERSION` redeploys with
/// any new `templateFile`, `serviceSpec` and attachment (an empty `serviceName` and
/// `serviceInstanceName` detach it).
pub async fn update(
    cx: &Cx,
    input: UpdateComponentInput,
) -> Result<UpdateComponentOutput, ApiError> {
    let (mut doc, version) = load(cx, &input.name).await?;
    let before = doc.clone();
    let status = doc["deploymentStatus"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if matches!(
        status.as_str(),
        "IN_PROGRESS" | "CANCELLING" | "DELETE_IN_PROGRESS"
    ) {
        return Err(ApiError::Conflict(format!(
            "The component {} has a deployment {status}; wait for it or cancel it.",
            input.name
        )));
    }
    if let Some(d) = &input.description {
        doc["description"] = json!(d);
    }
    let redeploy = match &input.deployment_type {
        ComponentDeploymentUpdateType::None => {
            if input.template_file.is_some()
                || input.service_spec.is_some()
                || input.service_name.is_some()
                || input.service_instance_name.is_some()
            {
                return Err(ApiError::Validation(
                    "With deploymentType NONE only the description can change; use CURRENT_VERSION to change templateFile, serviceSpec or the attachment.".into(),
                ));
            }
            false
        }
        ComponentDeploymentUpdateType::CurrentVersion => true,
        ComponentDeploymentUpdateType::Unknown(s) => {
            return Err(ApiError::Validation(format!("Unknown deploymentType {s}.")));
        }
    };
    if redeploy {
        if input.service_name.is_some() || input.service_instance_name.is_some() {
            let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
            let (service, instance) = (
                nonempty(&input.service_name),
                nonempty(&input.service_instance_name),
            );
            let attach = attachment(service.as_deref(), instance.as_deref())?;
            let current = before["environmentName"].as_str().unwrap_or_default();
            if attach.is_some() {
                // Detaching keeps the component where it is; attaching must not move it.
                let env = placement(cx, &input.name, attach, None).await?;
                if env.name != current {
                    return Err(ApiError::Validation(format!(
                        "The component {} runs in environment {current}; it can't move to the instance's environment {}.",
                        input.name, env.name
                    )));
                }
            }
            let m = doc.as_object_mut().ok_or_else(|| {
                ApiError::InternalServer("a stored component is not an object".into())
            })?;
            if let Some((s, i)) = attach {
                m.insert("serviceName".into(), json!(s));
                m.insert("serviceInstanceName".into(), json!(i));
            } else {
                m.remove("serviceName");
                m.remove("serviceInstanceName");
                m.remove("serviceSpec");
            }
        }
        if let Some(spec) = &input.service_spec {
            if !doc["serviceName"].is_string() {
                return Err(ApiError::Validation(
                    "serviceSpec is only for a component attached to a service instance.".into(),
                ));
            }
            doc["serviceSpec"] = json!(spec);
        }
        if let Some(file) = &input.template_file {
            doc["templateFile"] = json!(file);
        }
    }
    let now = cx.clock.now();
    doc["lastModifiedAt"] = json!(now);
    if let Some(token) = &input.client_token {
        doc["lastClientRequestToken"] = json!(token);
    }
    let target = Target::Component(input.name.clone());
    let mut started = None;
    if redeploy {
        let id = cx.ids.uuid();
        let previous = (
            doc["lastAttemptedDeploymentId"].as_str().map(str::to_owned),
            doc["lastSucceededDeploymentId"].as_str().map(str::to_owned),
        );
        let created_at = serde_json::from_value(doc["createdAt"].clone()).unwrap_or(now);
        let environment = doc["environmentName"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let d = deploy::start(
            cx,
            id.clone(),
            &target,
            &environment,
            doc["arn"].as_str().unwrap_or_default(),
            created_at,
            Some(deploy::state(&target, &before)?),
            deploy::state(&target, &doc)?,
            previous,
        )
        .await?;
        doc["deploymentStatus"] = json!("IN_PROGRESS");
        doc["lastAttemptedDeploymentId"] = json!(id);
        doc["lastDeploymentAttemptedAt"] = json!(now);
        if let Some(m) = doc.as_object_mut() {
            m.remove("deploymentStatusMessage");
        }
        started = Some(d);
    }
    if !deploy::save(cx, &target, &doc, version).await? {
        if let Some(d) = started {
            super::deployment::finish(
                cx,
                &d.id,
                DeploymentStatus::Cancelled,
                Some("superseded by a concurrent change".into()),
            )
            .await?;
        }
        return Err(ApiError::Conflict(format!(
            "The component {} was changed concurrently; retry.",
            input.name
        )));
    }
    super::mark_modified(cx, Kind::Component, &input.name).await?;
    if let Some(d) = started {
        crate::jobs::enqueue_deployment(cx, &d.id).await?;
    }
    Ok(UpdateComponentOutput {
        component: convert(&doc)?,
    })
}

/// DeleteComponent (asynchronous idempotent delete): a deployed self-managed component gets a
/// teardown deployment to be reported; anything else is removed at once.
pub async fn delete(
    cx: &Cx,
    input: DeleteComponentInput,
) -> Result<DeleteComponentOutput, ApiError> {
    let Some(row) = cx.store.get::<Value>(Kind::Component, &input.name).await? else {
        return Ok(DeleteComponentOutput { component: None });
    };
    let mut doc = row.doc;
    match doc["deploymentStatus"].as_str().unwrap_or_default() {
        "DELETE_IN_PROGRESS" => {
            return Ok(DeleteComponentOutput {
                component: Some(convert(&doc)?),
            });
        }
        "IN_PROGRESS" | "CANCELLING" => {
            return Err(ApiError::Conflict(format!(
                "The component {} has a deployment in progress; cancel it first.",
                input.name
            )));
        }
        _ => {}
    }
    super::service::tear_down(cx, Target::Component(input.name.clone())).await?;
    if let Some(row) = cx.store.get::<Value>(Kind::Component, &input.name).await? {
        doc = row.doc;
    } else {
        doc["deploymentStatus"] = json!("DELETE_COMPLETE");
    }
    Ok(DeleteComponentOutput {
        component: Some(convert(&doc)?),
    })
}

/// CancelComponentDeployment.
pub async fn cancel(
    cx: &Cx,
    input: CancelComponentDeploymentInput,
) -> Result<CancelComponentDeploymentOutput, ApiError> {
    load(cx, &input.component_name).await?;
    let doc = deploy::cancel(cx, &Target::Component(input.component_name)).await?;
    Ok(CancelComponentDeploymentOutput {
        component: convert(&doc)?,
    })
}

/// ListComponentOutputs (of the last successful deployment, or of `deploymentId` when it is
/// that deployment).
pub async fn list_outputs(
    cx: &Cx,
    input: ListComponentOutputsInput,
) -> Result<ListComponentOutputsOutput, ApiError> {
    let (doc, _) = load(cx, &input.component_name).await?;
    if let Some(id) = &input.deployment_id {
        let (d, _) = super::deployment::load(cx, id).await?;
        if d.component_name.as_deref() != Some(input.component_name.as_str()) {
            return Err(ApiError::Validation(format!(
                "The deployment {id} is not a deployment of component {}.",
                input.component_name
            )));
        }
        if doc["lastSucceededDeploymentId"].as_str() != Some(id.as_str()) {
            return Ok(ListComponentOutputsOutput {
                next_token: None,
                outputs: Vec::new(),
            });
        }
    }
    Ok(ListComponentOutputsOutput {
        next_token: None,
        outputs: super::deployment::outputs(cx, doc["arn"].as_str().unwrap_or_default()).await?,
    })
}

/// ListComponentProvisionedResources (what a provisioner created; none for self-managed).
pub async fn list_provisioned_resources(
    cx: &Cx,
    input: ListComponentProvisionedResourcesInput,
) -> Result<ListComponentProvisionedResourcesOutput, ApiError> {
    let (doc, _) = load(cx, &input.component_name).await?;
    Ok(ListComponentProvisionedResourcesOutput {
        next_token: None,
        provisioned_resources: super::deployment::provisioned_resources(
            cx,
            doc["arn"].as_str().unwrap_or_default(),
        )
        .await?,
    })
}
