//! Deployments: the record of each attempt to bring a resource to a target state
//! (GetDeployment, ListDeployments, DeleteDeployment), and NotifyResourceDeploymentStatusChange,
//! through which self-managed provisioning reports the outcome.
//!
//! A deployment is a resource row (kind `deployment`, named by its time-ordered id, parent = the
//! environment name) whose document is the API's `Deployment`.

use baryon_model::proton::{
    DeleteDeploymentInput, DeleteDeploymentOutput, Deployment, DeploymentStatus, DeploymentSummary,
    GetDeploymentInput, GetDeploymentOutput, ListDeploymentsInput, ListDeploymentsOutput,
    NotifyResourceDeploymentStatusChangeInput, NotifyResourceDeploymentStatusChangeOutput, Output,
    ResourceDeploymentStatus,
};

use super::deploy::{self, Outcome, Target};
use super::{Rows, filtered_page};
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind};

/// Statuses after which a deployment never changes again.
pub fn is_terminal(s: &DeploymentStatus) -> bool {
    matches!(
        s,
        DeploymentStatus::Succeeded
            | DeploymentStatus::Failed
            | DeploymentStatus::Cancelled
            | DeploymentStatus::DeleteComplete
            | DeploymentStatus::DeleteFailed
    )
}

/// Loads a deployment by id.
pub async fn load(cx: &Cx, id: &str) -> Result<(Deployment, i64), ApiError> {
    let row = cx
        .store
        .get::<Deployment>(Kind::Deployment, id)
        .await?
        .ok_or_else(|| ApiError::ResourceNotFound(format!("The deployment {id} was not found.")))?;
    Ok((row.doc, row.version))
}

/// Moves a deployment to a terminal (or `CANCELLING`) status.
pub async fn finish(
    cx: &Cx,
    id: &str,
    status: DeploymentStatus,
    message: Option<String>,
) -> Result<Deployment, ApiError> {
    for _ in 0..10 {
        let (mut d, version) = load(cx, id).await?;
        if is_terminal(&d.deployment_status) {
            return Ok(d);
        }
        let now = cx.clock.now();
        d.deployment_status = status.clone();
        d.deployment_status_message.clone_from(&message);
        d.last_modified_at = now;
        if is_terminal(&status) {
            d.completed_at = Some(now);
        }
        let cols = Columns {
            name: &d.id,
            parent: &d.environment_name,
            status: d.deployment_status.as_str(),
            arn: &d.arn,
        };
        if cx
            .store
            .update(Kind::Deployment, &cols, version, &d)
            .await?
        {
            return Ok(d);
        }
    }
    Err(ApiError::Conflict(format!(
        "The deployment {id} kept changing; retry."
    )))
}

/// GetDeployment.
pub async fn get(cx: &Cx, input: GetDeploymentInput) -> Result<GetDeploymentOutput, ApiError> {
    let (d, _) = load(cx, &input.id).await?;
    let differs = |want: &Option<String>, have: Option<&String>| {
        want.as_ref().is_some_and(|w| have != Some(w))
    };
    if differs(&input.environment_name, Some(&d.environment_name))
        || differs(&input.service_name, d.service_name.as_ref())
        || differs(
            &input.service_instance_name,
            d.service_instance_name.as_ref(),
        )
        || differs(&input.component_name, d.component_name.as_ref())
    {
        return Err(ApiError::ResourceNotFound(format!(
            "The deployment {} was not found.",
            input.id
        )));
    }
    Ok(GetDeploymentOutput {
        deployment: Some(d),
    })
}

/// ListDeployments, in id order, which is creation order (ids are time-ordered), optionally
/// of one environment, service, service instance or component.
pub async fn list(cx: &Cx, input: ListDeploymentsInput) -> Result<ListDeploymentsOutput, ApiError> {
    if input.service_instance_name.is_some() && input.service_name.is_none() {
        return Err(ApiError::Validation(
            "serviceInstanceName needs serviceName to name a service instance.".into(),
        ));
    }
    let environment = input.environment_name.as_deref();
    let scope = format!(
        "ListDeployments:{}:{}:{}:{}",
        environment.unwrap_or(""),
        input.service_name.as_deref().unwrap_or(""),
        input.service_instance_name.as_deref().unwrap_or(""),
        input.component_name.as_deref().unwrap_or("")
    );
    let matches = |want: &Option<String>, have: &Option<String>| {
        want.as_ref().is_none_or(|w| have.as_ref() == Some(w))
    };
    let (deployments, next_token) = filtered_page::<Deployment, DeploymentSummary>(
        cx,
        Rows::Under(Kind::Deployment, environment),
        &scope,
        input.next_token.as_deref(),
        input.max_results,
        |d| d.id.clone(),
        |d| {
            matches(&input.service_name, &d.service_name)
                && matches(&input.service_instance_name, &d.service_instance_name)
                && matches(&input.component_name, &d.component_name)
        },
    )
    .await?;
    Ok(ListDeploymentsOutput {
        next_token,
        deployments,
    })
}

/// DeleteDeployment: only finished deployments that are not the resource's last attempted or
/// last succeeded one may be deleted (those are the resource's history).
pub async fn delete(
    cx: &Cx,
    input: DeleteDeploymentInput,
) -> Result<DeleteDeploymentOutput, ApiError> {
    let Some(row) = cx
        .store
        .get::<Deployment>(Kind::Deployment, &input.id)
        .await?
    else {
        return Ok(DeleteDeploymentOutput { deployment: None });
    };
    let d = row.doc;
    if !is_terminal(&d.deployment_status) {
        return Err(ApiError::Conflict(format!(
            "The deployment {} is still {}.",
            d.id, d.deployment_status
        )));
    }
    let target = Target::of(&d);
    if let Some(row) = cx
        .store
        .get::<serde_json::Value>(target.kind(), &target.row())
        .await?
        && [
            &row.doc["lastAttemptedDeploymentId"],
            &row.doc["lastSucceededDeploymentId"],
        ]
        .iter()
        .any(|v| v.as_str() == Some(d.id.as_str()))
    {
        return Err(ApiError::Conflict(format!(
            "The deployment {} is the last attempted or last succeeded deployment of {}.",
            d.id, d.target_arn
        )));
    }
    cx.store.delete(Kind::Deployment, &d.id, &d.arn, "").await?;
    Ok(DeleteDeploymentOutput {
        deployment: Some(d),
    })
}

/// NotifyResourceDeploymentStatusChange: self-managed provisioning reports the status and
/// outputs of a deployment of an environment, a service instance, a service pipeline or a
/// component.
pub async fn notify(
    cx: &Cx,
    input: NotifyResourceDeploymentStatusChangeInput,
) -> Result<NotifyResourceDeploymentStatusChangeOutput, ApiError> {
    let arn = &input.resource_arn;
    let not_found = || ApiError::ResourceNotFound(format!("The resource {arn} was not found."));
    let target = if let Some(name) = arn.strip_prefix(&cx.arn("environment/")) {
        Target::Environment(name.to_owned())
    } else if let Some(name) = arn.strip_prefix(&cx.arn("component/")) {
        Target::Component(name.to_owned())
    } else if let Some(rest) = arn.strip_prefix(&cx.arn("service/")) {
        match rest.split('/').collect::<Vec<_>>().as_slice() {
            [service, "service-instance", instance] => {
                Target::ServiceInstance((*service).to_owned(), (*instance).to_owned())
            }
            [service, "pipeline"] => Target::ServicePipeline((*service).to_owned()),
            _ => return Err(not_found()),
        }
    } else {
        return Err(not_found());
    };
    let doc = cx
        .store
        .get::<serde_json::Value>(target.kind(), &target.row())
        .await?
        .ok_or_else(not_found)?
        .doc;
    let id = match &input.deployment_id {
        Some(id) => id.clone(),
        None => doc["lastAttemptedDeploymentId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::Validation(format!(
                    "The resource {arn} has no deployment to report on."
                ))
            })?,
    };
    let (d, _) = load(cx, &id).await?;
    if d.target_arn != *arn {
        return Err(ApiError::Validation(format!(
            "The deployment {id} is not a deployment of {arn}."
        )));
    }
    let self_managed = deploy::self_managed(cx, &d).await?;
    let status = input.status.unwrap_or(ResourceDeploymentStatus::Succeeded);
    if !self_managed {
        // CodeBuild-provisioned commands report outputs while they run; their exit status
        // decides the outcome.
        let codebuild =
            crate::codebuild::uses_codebuild(crate::rendering::rendering_engine(cx, &d).await?);
        if !codebuild {
            return Err(ApiError::Validation(format!(
                "The resource {arn} is not self-managed; its provisioner reports its deployments."
            )));
        }
        if status != ResourceDeploymentStatus::InProgress {
            return Err(ApiError::Validation(format!(
                "The resource {arn} is provisioned by CodeBuild commands, whose exit status decides the outcome; report outputs with status IN_PROGRESS."
            )));
        }
    }
    if is_terminal(&d.deployment_status) {
        return Err(ApiError::Conflict(format!(
            "The deployment {id} already ended {}.",
            d.deployment_status
        )));
    }
    let mut outputs = reported_outputs(cx, &id).await?;
    for o in input.outputs.unwrap_or_default() {
        if let Some(existing) = outputs.iter_mut().find(|e| e.key == o.key) {
            *existing = o;
        } else {
            outputs.push(o);
        }
    }
    let outcome = match status {
        ResourceDeploymentStatus::Succeeded => Outcome::Succeeded,
        ResourceDeploymentStatus::Failed => Outcome::Failed(
            input
                .status_message
                .unwrap_or_else(|| "the provisioning reported a failure".into()),
        ),
        ResourceDeploymentStatus::InProgress => {
            // Outputs reported on the way are kept with the deployment, and become the
            // resource's when it succeeds.
            if !outputs.is_empty() {
                store_outputs(cx, &reported_key(&id), &outputs).await?;
            }
            return Ok(NotifyResourceDeploymentStatusChangeOutput {});
        }
        ResourceDeploymentStatus::Unknown(s) => {
            return Err(ApiError::Validation(format!("Unknown status {s}.")));
        }
    };
    let target = deploy::conclude(cx, &id, outcome, &outputs).await?;
    if let Some(service) = target.service() {
        super::service::refresh_status(cx, service).await?;
    }
    Ok(NotifyResourceDeploymentStatusChangeOutput {})
}

/// Where the outputs a deployment's provisioning reported while in progress are kept.
fn reported_key(deployment_id: &str) -> String {
    format!("deployment/{deployment_id}")
}

/// The outputs reported for a deployment while it was in progress
/// (NotifyResourceDeploymentStatusChange with status IN_PROGRESS).
pub async fn reported_outputs(cx: &Cx, deployment_id: &str) -> Result<Vec<Output>, ApiError> {
    Ok(cx
        .store
        .get::<Vec<Output>>(
            Kind::Outputs,
            &format!("{}#outputs", reported_key(deployment_id)),
        )
        .await?
        .map(|r| r.doc)
        .unwrap_or_default())
}

/// Stores a resource's outputs (replacing earlier ones).
pub async fn store_outputs(cx: &Cx, target_arn: &str, outputs: &[Output]) -> Result<(), ApiError> {
    let key = format!("{target_arn}#outputs");
    if let Some(row) = cx.store.get::<Vec<Output>>(Kind::Outputs, &key).await? {
        let cols = Columns {
            name: &key,
            parent: target_arn,
            status: "",
            arn: &key,
        };
        cx.store
            .update(Kind::Outputs, &cols, row.version, &outputs)
            .await?;
    } else {
        let cols = Columns {
            name: &key,
            parent: target_arn,
            status: "",
            arn: &key,
        };
        cx.store.insert(Kind::Outputs, &cols, &outputs).await?;
    }
    Ok(())
}

/// Stores a resource's provisioned resources (replacing earlier ones).
pub async fn store_provisioned_resources(
    cx: &Cx,
    target_arn: &str,
    resources: &[baryon_model::proton::ProvisionedResource],
) -> Result<(), ApiError> {
    let key = format!("{target_arn}#resources");
    let cols = Columns {
        name: &key,
        parent: target_arn,
        status: "",
        arn: &key,
    };
    match cx
        .store
        .get::<Vec<baryon_model::proton::ProvisionedResource>>(Kind::Outputs, &key)
        .await?
    {
        Some(row) => {
            cx.store
                .update(Kind::Outputs, &cols, row.version, &resources)
                .await?;
        }
        None => {
            cx.store.insert(Kind::Outputs, &cols, &resources).await?;
        }
    }
    Ok(())
}

/// A resource's provisioned resources (none for self-managed provisioning).
pub async fn provisioned_resources(
    cx: &Cx,
    target_arn: &str,
) -> Result<Vec<baryon_model::proton::ProvisionedResource>, ApiError> {
    Ok(cx
        .store
        .get::<Vec<baryon_model::proton::ProvisionedResource>>(
            Kind::Outputs,
            &format!("{target_arn}#resources"),
        )
        .await?
        .map(|r| r.doc)
        .unwrap_or_default())
}

/// A resource's outputs.
pub async fn outputs(cx: &Cx, target_arn: &str) -> Result<Vec<Output>, ApiError> {
    Ok(cx
        .store
        .get::<Vec<Output>>(Kind::Outputs, &format!("{target_arn}#outputs"))
        .await?
        .map(|r| r.doc)
        .unwrap_or_default())
}
