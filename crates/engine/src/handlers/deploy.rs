//! What every deployment target shares — environments, service instances and service
//! pipelines carry the same status and state members (`deploymentStatus`,
//! `lastAttemptedDeploymentId`, `spec`, `templateMajorVersion`, ...), so starting and concluding
//! a deployment is written once, over their JSON documents.

use baryon_model::proton::{
    Deployment, DeploymentState, DeploymentStatus, DeploymentTargetResourceType, Output,
};
use serde_json::{Value, json};

use baryon_model::proton::{DeploymentUpdateType, Environment};
use baryon_model::version::{self, DeploymentKind, TemplateVersion};

use super::deployment::{self, is_terminal};
use super::template_version::{self as tv, Family};
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind, NewRow};

/// A resource deployments act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An environment.
    Environment(String),
    /// A service instance: (service, instance).
    ServiceInstance(String, String),
    /// A service's pipeline.
    ServicePipeline(String),
    /// A component.
    Component(String),
}

impl Target {
    /// The row kind.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Environment(_) => Kind::Environment,
            Self::ServiceInstance(..) => Kind::ServiceInstance,
            Self::ServicePipeline(_) => Kind::ServicePipeline,
            Self::Component(_) => Kind::Component,
        }
    }

    /// The row name.
    pub fn row(&self) -> String {
        match self {
            Self::Environment(n) | Self::ServicePipeline(n) | Self::Component(n) => n.clone(),
            Self::ServiceInstance(s, i) => format!("{s}/{i}"),
        }
    }

    /// The row parent (what lists filter on).
    pub fn parent(&self, doc: &Value) -> String {
        match self {
            Self::Environment(_) => doc["templateName"].as_str().unwrap_or_default().to_owned(),
            Self::ServiceInstance(s, _) | Self::ServicePipeline(s) => s.clone(),
            Self::Component(_) => doc["environmentName"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }
    }

    /// The service whose status this target's deployments count towards, if any.
    pub fn service(&self) -> Option<&str> {
        match self {
            Self::Environment(_) | Self::Component(_) => None,
            Self::ServiceInstance(s, _) | Self::ServicePipeline(s) => Some(s),
        }
    }

    /// The target of a deployment.
    pub fn of(d: &Deployment) -> Target {
        match d.target_resource_type {
            DeploymentTargetResourceType::ServiceInstance => Self::ServiceInstance(
                d.service_name.clone().unwrap_or_default(),
                d.service_instance_name.clone().unwrap_or_default(),
            ),
            DeploymentTargetResourceType::ServicePipeline => {
                Self::ServicePipeline(d.service_name.clone().unwrap_or_default())
            }
            DeploymentTargetResourceType::Component => {
                Self::Component(d.component_name.clone().unwrap_or_default())
            }
            _ => Self::Environment(d.environment_name.clone()),
        }
    }

    /// The members of the target's document that its deployments change (and a failed or
    /// cancelled deployment puts back).
    pub fn state_members(&self) -> &'static [&'static str] {
        match self {
            Self::Component(_) => &[
                "serviceName",
                "serviceInstanceName",
                "serviceSpec",
                "templateFile",
            ],
            _ => &["spec", "templateMajorVersion", "templateMinorVersion"],
        }
    }

    /// The `DeploymentState` union member for this target.
    fn state_key(&self) -> &'static str {
        match self {
            Self::ServiceInstance(..) => "serviceInstance",
            Self::ServicePipeline(_) => "servicePipeline",
            Self::Environment(_) => "environment",
            Self::Component(_) => "component",
        }
    }

    fn resource_type(&self) -> DeploymentTargetResourceType {
        match self {
            Self::Environment(_) => DeploymentTargetResourceType::Environment,
            Self::ServiceInstance(..) => DeploymentTargetResourceType::ServiceInstance,
            Self::ServicePipeline(_) => DeploymentTargetResourceType::ServicePipeline,
            Self::Component(_) => DeploymentTargetResourceType::Component,
        }
    }
}

/// Saves a target document (the `status` column is its `deploymentStatus`).
pub async fn save(cx: &Cx, target: &Target, doc: &Value, version: i64) -> Result<bool, ApiError> {
    let name = target.row();
    let parent = target.parent(doc);
    let cols = Columns {
        name: &name,
        parent: &parent,
        status: doc["deploymentStatus"].as_str().unwrap_or_default(),
        arn: doc["arn"].as_str().unwrap_or_default(),
    };
    Ok(cx.store.update(target.kind(), &cols, version, doc).await?)
}

/// Records a new deployment of `target` (environment `environment`), from `initial` to `goal`.
#[allow(clippy::too_many_arguments)]
pub async fn start(
    cx: &Cx,
    id: String,
    target: &Target,
    environment: &str,
    target_arn: &str,
    target_created_at: baryon_model::Timestamp,
    initial: Option<DeploymentState>,
    goal: DeploymentState,
    previous: (Option<String>, Option<String>),
) -> Result<Deployment, ApiError> {
    let d = prepare(
        cx,
        id,
        target,
        environment,
        target_arn,
        target_created_at,
        initial,
        goal,
        previous,
    );
    let r = row(&d)?;
    if !cx.store.insert_all(&[r], &[]).await? {
        return Err(ApiError::Conflict(format!(
            "A deployment with id {} exists; retry.",
            d.id
        )));
    }
    Ok(d)
}

/// The deployment row of `d`, to insert with the resource it deploys.
pub fn row(d: &Deployment) -> Result<NewRow, ApiError> {
    let cols = Columns {
        name: &d.id,
        parent: &d.environment_name,
        status: d.deployment_status.as_str(),
        arn: &d.arn,
    };
    Ok(NewRow::new(Kind::Deployment, &cols, d)?)
}

/// Inserts a new target row together with its first deployment and that deployment's job, in
/// one transaction; `Ok(false)` (nothing written) when the target's name is taken.
pub async fn insert_with_first<T: serde::Serialize>(
    cx: &Cx,
    kind: Kind,
    cols: &Columns<'_>,
    doc: &T,
    d: &Deployment,
) -> Result<bool, ApiError> {
    let rows = [NewRow::new(kind, cols, doc)?, row(d)?];
    let job_id = cx.ids.uuid();
    let inserted = cx
        .store
        .insert_all(
            &rows,
            &[crate::jobs::new_job(&job_id, crate::jobs::DEPLOY, &d.id)],
        )
        .await?;
    if inserted {
        cx.wake.notify_one();
    }
    Ok(inserted)
}

/// A new deployment of `target` (environment `environment`), from `initial` to `goal`, not yet
/// stored.
#[allow(clippy::too_many_arguments)]
pub fn prepare(
    cx: &Cx,
    id: String,
    target: &Target,
    environment: &str,
    target_arn: &str,
    target_created_at: baryon_model::Timestamp,
    initial: Option<DeploymentState>,
    goal: DeploymentState,
    previous: (Option<String>, Option<String>),
) -> Deployment {
    let now = cx.clock.now();
    let (service_name, service_instance_name, component_name) = match target {
        Target::Environment(_) => (None, None, None),
        Target::ServiceInstance(s, i) => (Some(s.clone()), Some(i.clone()), None),
        Target::ServicePipeline(s) => (Some(s.clone()), None, None),
        Target::Component(c) => {
            let fields = state_fields(&goal);
            let member = |k: &str| fields[k].as_str().map(str::to_owned);
            (
                member("serviceName"),
                member("serviceInstanceName"),
                Some(c.clone()),
            )
        }
    };
    Deployment {
        arn: cx.arn(&format!("deployment/{id}")),
        completed_at: None,
        component_name,
        created_at: now,
        deployment_status: DeploymentStatus::InProgress,
        deployment_status_message: None,
        environment_name: environment.to_owned(),
        id,
        initial_state: initial,
        last_attempted_deployment_id: previous.0,
        last_modified_at: now,
        last_succeeded_deployment_id: previous.1,
        service_instance_name,
        service_name,
        target_arn: target_arn.to_owned(),
        target_resource_created_at: target_created_at,
        target_resource_type: target.resource_type(),
        target_state: Some(goal),
    }
}

/// How a deployment ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// It reached its target state.
    Succeeded,
    /// It failed, for this reason.
    Failed(String),
    /// It was cancelled.
    Cancelled,
}

/// The inner state object of a `DeploymentState` union (`{"environment": {...}}` → `{...}`).
fn state_fields(state: &DeploymentState) -> Value {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_object().and_then(|m| m.values().next().cloned()))
        .unwrap_or(Value::Null)
}

/// Records a deployment's outcome on the deployment and on its target: success moves the
/// target's "last succeeded" members (and stores outputs); failure or cancellation puts the
/// target back to the deployment's initial state; a successful delete removes the target.
/// Returns the target it concluded.
pub async fn conclude(
    cx: &Cx,
    id: &str,
    outcome: Outcome,
    outputs: &[Output],
) -> Result<Target, ApiError> {
    for _ in 0..10 {
        let (d, _) = deployment::load(cx, id).await?;
        let target = Target::of(&d);
        if is_terminal(&d.deployment_status) {
            return Ok(target);
        }
        let Some(row) = cx.store.get::<Value>(target.kind(), &target.row()).await? else {
            deployment::finish(
                cx,
                id,
                DeploymentStatus::Cancelled,
                Some("the resource no longer exists".into()),
            )
            .await?;
            return Ok(target);
        };
        let (mut doc, version) = (row.doc, row.version);
        let deleting = doc["deploymentStatus"] == json!("DELETE_IN_PROGRESS");
        let current = doc["lastAttemptedDeploymentId"].as_str() == Some(id);
        let (status, message) = match (&outcome, deleting) {
            (Outcome::Succeeded, false) => (DeploymentStatus::Succeeded, None),
            (Outcome::Succeeded, true) => (DeploymentStatus::DeleteComplete, None),
            (Outcome::Failed(m), false) => (DeploymentStatus::Failed, Some(m.clone())),
            (Outcome::Failed(m), true) => (DeploymentStatus::DeleteFailed, Some(m.clone())),
            (Outcome::Cancelled, _) => (
                DeploymentStatus::Cancelled,
                Some("the deployment was cancelled".into()),
            ),
        };
        if current {
            if deleting && matches!(outcome, Outcome::Succeeded) {
                deployment::finish(cx, id, status, message).await?;
                let arn = doc["arn"].as_str().unwrap_or_default().to_owned();
                cx.store
                    .delete(
                        target.kind(),
                        &target.row(),
                        &arn,
                        &format!("create:{}", target.kind().as_str()),
                    )
                    .await?;
                return Ok(target);
            }
            doc["deploymentStatus"] = json!(status.as_str());
            doc["deploymentStatusMessage"] = message.clone().map_or(Value::Null, Value::String);
            if let Value::Object(m) = &mut doc {
                m.retain(|_, v| !v.is_null());
            }
            match &outcome {
                Outcome::Succeeded => {
                    doc["lastSucceededDeploymentId"] = json!(id);
                    doc["lastDeploymentSucceededAt"] =
                        serde_json::to_value(cx.clock.now()).unwrap_or(Value::Null);
                }
                Outcome::Failed(_) | Outcome::Cancelled => {
                    if let (Some(initial), Value::Object(m)) = (&d.initial_state, &mut doc) {
                        let fields = state_fields(initial);
                        for key in target.state_members() {
                            match fields.get(*key) {
                                Some(v) if !v.is_null() => {
                                    m.insert((*key).to_owned(), v.clone());
                                }
                                _ => {
                                    m.remove(*key);
                                }
                            }
                        }
                    }
                }
            }
            if !save(cx, &target, &doc, version).await? {
                continue;
            }
            if matches!(outcome, Outcome::Succeeded) && !outputs.is_empty() {
                deployment::store_outputs(cx, &d.target_arn, outputs).await?;
            }
        }
        deployment::finish(cx, id, status, message).await?;
        return Ok(target);
    }
    Err(ApiError::Conflict(format!(
        "The target of deployment {id} kept changing; retry."
    )))
}

/// Records a deployment's outcome ([`conclude`]) and lets the owning service recompute its
/// status.
pub async fn conclude_and_refresh(
    cx: &Cx,
    id: &str,
    outcome: Outcome,
    outputs: &[Output],
) -> Result<(), ApiError> {
    let target = conclude(cx, id, outcome, outputs).await?;
    if let Some(service) = target.service() {
        super::service::refresh_status(cx, service).await?;
    }
    Ok(())
}

/// Whether a deployment is self-managed (finished by NotifyResourceDeploymentStatusChange):
/// environments and their service instances and components follow the environment's provisioning; pipelines
/// follow their service template's `pipelineProvisioning`.
pub async fn self_managed(cx: &Cx, d: &Deployment) -> Result<bool, ApiError> {
    use baryon_model::proton::{Environment, Provisioning, Service, ServiceTemplate};
    Ok(match Target::of(d) {
        Target::Environment(_) | Target::ServiceInstance(..) | Target::Component(_) => cx
            .store
            .get::<Environment>(Kind::Environment, &d.environment_name)
            .await?
            .is_some_and(|e| e.doc.provisioning == Some(Provisioning::CustomerManaged)),
        Target::ServicePipeline(service) => {
            let Some(s) = cx.store.get::<Service>(Kind::Service, &service).await? else {
                return Ok(false);
            };
            cx.store
                .get::<ServiceTemplate>(Kind::ServiceTemplate, &s.doc.template_name)
                .await?
                .is_some_and(|t| t.doc.pipeline_provisioning == Some(Provisioning::CustomerManaged))
        }
    })
}

// --- redeploying and cancelling ---------------------------------------------------------------

/// The model's deployment type as the version rules see it.
pub fn deployment_kind(t: &DeploymentUpdateType) -> Result<DeploymentKind, ApiError> {
    Ok(match t {
        DeploymentUpdateType::None => DeploymentKind::None,
        DeploymentUpdateType::CurrentVersion => DeploymentKind::CurrentVersion,
        DeploymentUpdateType::MinorVersion => DeploymentKind::MinorVersion,
        DeploymentUpdateType::MajorVersion => DeploymentKind::MajorVersion,
        DeploymentUpdateType::Unknown(s) => {
            return Err(ApiError::Validation(format!("Unknown deploymentType {s}.")));
        }
    })
}

/// What an update of an instance or pipeline asks for.
pub struct Redeploy {
    /// Deployment type.
    pub kind: DeploymentKind,
    /// New spec, if any.
    pub spec: Option<String>,
    /// Requested major version.
    pub major: Option<String>,
    /// Requested minor version.
    pub minor: Option<String>,
    /// Client token (recorded on service instances).
    pub client_token: Option<String>,
}

/// A target's current state as a `DeploymentState` (its state members, plus the template name
/// of templated targets).
pub fn state(target: &Target, doc: &Value) -> Result<DeploymentState, ApiError> {
    let key = target.state_key();
    let mut fields = serde_json::Map::new();
    let templated: &[&str] = match target {
        Target::Component(_) => &[],
        _ => &["templateName"],
    };
    for k in target.state_members().iter().chain(templated) {
        if let Some(v) = doc.get(*k).filter(|v| !v.is_null()) {
            fields.insert((*k).to_owned(), v.clone());
        }
    }
    serde_json::from_value(json!({ key: fields })).map_err(|e| {
        ApiError::InternalServer(format!("could not describe a deployment state: {e}"))
    })
}

/// Redeploys a service instance or the pipeline as UpdateServiceInstance /
/// UpdateServicePipeline ask, under the documented deployment-type rules.
/// Loads the target and redeploys it (see [`redeploy`]).
pub async fn redeploy_loaded(cx: &Cx, target: Target, req: Redeploy) -> Result<Value, ApiError> {
    let row = cx
        .store
        .get::<Value>(target.kind(), &target.row())
        .await?
        .ok_or_else(|| {
            ApiError::ResourceNotFound(format!("The {} was not found.", describe(&target)))
        })?;
    let before = row.doc.clone();
    redeploy(cx, target, row.doc, before, row.version, req).await
}

fn describe(target: &Target) -> String {
    match target {
        Target::ServiceInstance(s, i) => format!("service instance {i} of service {s}"),
        Target::ServicePipeline(s) => format!("pipeline of service {s}"),
        Target::Environment(e) => format!("environment {e}"),
        Target::Component(c) => format!("component {c}"),
    }
}

/// Redeploys a target under the documented deployment-type rules, in one write: `doc` is the
/// target's document with any metadata changes already applied, `before` the stored one (its
/// state is the deployment's initial state). Everything is checked before anything is written.
pub async fn redeploy(
    cx: &Cx,
    target: Target,
    mut doc: Value,
    before: Value,
    row_version: i64,
    req: Redeploy,
) -> Result<Value, ApiError> {
    let what = describe(&target);
    let status = doc["deploymentStatus"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if matches!(
        status.as_str(),
        "IN_PROGRESS" | "CANCELLING" | "DELETE_IN_PROGRESS"
    ) {
        return Err(ApiError::Conflict(format!(
            "The {what} has a deployment {status}; wait for it or cancel it."
        )));
    }
    let template = doc["templateName"].as_str().unwrap_or_default().to_owned();
    let current = TemplateVersion::parse(&format!(
        "{}.{}",
        doc["templateMajorVersion"].as_str().unwrap_or_default(),
        doc["templateMinorVersion"].as_str().unwrap_or_default()
    ))
    .map_err(|e| ApiError::InternalServer(e.to_string()))?;
    let family = if matches!(target, Target::Environment(_)) {
        Family::Environment
    } else {
        Family::Service
    };
    let (all, _) = tv::list(cx, family, &template, None, Some(1000), None).await?;
    let available = tv::numbered(&all);
    let parse = |s: &Option<String>| {
        s.as_deref()
            .map(version::parse_version_part)
            .transpose()
            .map_err(|e| ApiError::Validation(e.to_string()))
    };
    let goal = version::check_version_change(
        req.kind,
        current,
        parse(&req.major)?,
        parse(&req.minor)?,
        &available,
    )
    .map_err(|m| ApiError::Validation(format!("{m}.")))?;
    if req.kind == DeploymentKind::None {
        if req.spec.is_some() {
            return Err(ApiError::Validation(
                "A spec can't be given with deployment type NONE.".into(),
            ));
        }
        return Ok(doc);
    }
    let v = tv::published_version(
        cx,
        family,
        &template,
        &goal.major.to_string(),
        Some(&goal.minor.to_string()),
    )
    .await?;
    if let Some(spec) = &req.spec {
        doc["spec"] = json!(spec);
    }
    tv::check_spec(&v, doc["spec"].as_str().unwrap_or_default())?;
    let environment = match &target {
        Target::Environment(name) => name.clone(),
        _ => doc["environmentName"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    };
    if let Target::ServiceInstance(..) = &target {
        let env = cx
            .store
            .get::<Environment>(Kind::Environment, &environment)
            .await?
            .ok_or_else(|| ApiError::not_found("environment", &environment))?
            .doc;
        if !v.compatible_environment_templates.iter().any(|c| {
            c.template_name == env.template_name && c.major_version == env.template_major_version
        }) {
            return Err(ApiError::Validation(format!(
                "Environment {} uses {}:{}, which is not compatible with service template {template}:{}.",
                env.name, env.template_name, env.template_major_version, v.major_version
            )));
        }
    }
    let initial = state(&target, &before)?;
    doc["templateMajorVersion"] = json!(v.major_version);
    doc["templateMinorVersion"] = json!(v.minor_version);
    let id = cx.ids.uuid();
    let previous = (
        doc["lastAttemptedDeploymentId"].as_str().map(str::to_owned),
        doc["lastSucceededDeploymentId"].as_str().map(str::to_owned),
    );
    let arn = doc["arn"].as_str().unwrap_or_default().to_owned();
    let created_at =
        serde_json::from_value(doc["createdAt"].clone()).unwrap_or_else(|_| cx.clock.now());
    let d = start(
        cx,
        id.clone(),
        &target,
        &environment,
        &arn,
        created_at,
        Some(initial),
        state(&target, &doc)?,
        previous,
    )
    .await?;
    doc["deploymentStatus"] = json!("IN_PROGRESS");
    doc["lastAttemptedDeploymentId"] = json!(id);
    doc["lastDeploymentAttemptedAt"] = serde_json::to_value(cx.clock.now()).unwrap_or(Value::Null);
    if let Some(m) = doc.as_object_mut() {
        m.remove("deploymentStatusMessage");
    }
    if let (Target::ServiceInstance(..), Some(token)) = (&target, &req.client_token) {
        doc["lastClientRequestToken"] = json!(token);
    }
    if !save(cx, &target, &doc, row_version).await? {
        deployment::finish(
            cx,
            &d.id,
            DeploymentStatus::Cancelled,
            Some("superseded by a concurrent change".into()),
        )
        .await?;
        return Err(ApiError::Conflict(format!(
            "The {what} was changed concurrently; retry."
        )));
    }
    crate::jobs::enqueue_deployment(cx, &d.id).await?;
    Ok(doc)
}

/// Moves a deployment and its target (when it is still the target's current deployment) to
/// `CANCELLING`.
async fn mark_cancelling(cx: &Cx, target: &Target, id: &str) -> Result<(), ApiError> {
    for _ in 0..10 {
        let Some(row) = cx.store.get::<Value>(target.kind(), &target.row()).await? else {
            break;
        };
        let mut doc = row.doc;
        if doc["lastAttemptedDeploymentId"].as_str() != Some(id)
            || doc["deploymentStatus"] != json!("IN_PROGRESS")
        {
            break;
        }
        doc["deploymentStatus"] = json!("CANCELLING");
        if save(cx, target, &doc, row.version).await? {
            break;
        }
    }
    deployment::finish(cx, id, DeploymentStatus::Cancelling, None).await?;
    Ok(())
}

/// Cancels a target's deployment in progress (it ends CANCELLED and the target is put back).
pub async fn cancel(cx: &Cx, target: &Target) -> Result<Value, ApiError> {
    let doc = cx
        .store
        .get::<Value>(target.kind(), &target.row())
        .await?
        .ok_or_else(|| {
            ApiError::ResourceNotFound(format!("The resource {} was not found.", target.row()))
        })?
        .doc;
    if doc["deploymentStatus"] != json!("IN_PROGRESS") {
        return Err(ApiError::Validation(format!(
            "{} has no deployment IN_PROGRESS to cancel (it is {}).",
            doc["arn"].as_str().unwrap_or_default(),
            doc["deploymentStatus"].as_str().unwrap_or_default()
        )));
    }
    if let Some(id) = doc["lastAttemptedDeploymentId"].as_str() {
        let (d, _) = deployment::load(cx, id).await?;
        let provisioner = crate::provision::for_deployment(cx, &d).await?;
        match provisioner.cancel(cx, &d).await? {
            crate::provision::Progress::Cancelled => {
                conclude(cx, id, Outcome::Cancelled, &[]).await?;
            }
            crate::provision::Progress::InProgress { .. } => {
                // Stopping takes time (CloudFormation rolls the update back): the deployment
                // and its target are CANCELLING until the provisioner's polls settle it —
                // CANCELLED, or SUCCEEDED/FAILED when the work ended first.
                mark_cancelling(cx, target, id).await?;
            }
            other => {
                return Err(ApiError::InternalServer(format!(
                    "the {} provisioner answered a cancellation with {other:?}",
                    provisioner.name()
                )));
            }
        }
    }
    if let Some(service) = target.service() {
        super::service::refresh_status(cx, service).await?;
    }
    Ok(cx
        .store
        .get::<Value>(target.kind(), &target.row())
        .await?
        .map(|r| r.doc)
        .unwrap_or(doc))
}
