//! Services, their instances and their pipeline: CreateService, GetService, ListServices,
//! UpdateService (description), DeleteService, GetServiceInstance, ListServiceInstances,
//! ListServiceInstanceOutputs, ListServicePipelineOutputs and the provisioned-resource lists.
//!
//! A service's status follows its deployments: `CREATE_IN_PROGRESS` until every instance and the
//! pipeline have finished, then `ACTIVE` or `CREATE_FAILED`; deleting waits for self-managed
//! teardowns to be reported, then removes the service.

use baryon_model::proton::{
    CreateServiceInput, CreateServiceInstanceInput, CreateServiceInstanceOutput,
    CreateServiceOutput, DeleteServiceInput, DeleteServiceOutput, DeploymentState,
    DeploymentStatus, Environment, GetServiceInput, GetServiceInstanceInput,
    GetServiceInstanceOutput, GetServiceOutput, ListServiceInstanceOutputsInput,
    ListServiceInstanceOutputsOutput, ListServiceInstanceProvisionedResourcesInput,
    ListServiceInstanceProvisionedResourcesOutput, ListServicePipelineOutputsInput,
    ListServicePipelineOutputsOutput, ListServicePipelineProvisionedResourcesInput,
    ListServicePipelineProvisionedResourcesOutput, ListServicesInput, ListServicesOutput, Service,
    ServiceInstance, ServiceInstanceState, ServicePipeline, ServicePipelineState, ServiceStatus,
    ServiceTemplate, ServiceTemplateVersion, UpdateServiceInput, UpdateServiceOutput,
};
use baryon_model::schema;
use baryon_model::spec::{self, Spec};

use super::deploy::{self, Target};
use super::template_version::{self as tv, Family, convert};
use super::{Created, idempotent_create, list_page};
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind};

const WHAT: &str = "service";

async fn load(cx: &Cx, name: &str) -> Result<(Service, i64), ApiError> {
    let row = cx
        .store
        .get::<Service>(Kind::Service, name)
        .await?
        .ok_or_else(|| ApiError::not_found(WHAT, name))?;
    Ok((row.doc, row.version))
}

async fn save(cx: &Cx, s: &Service, version: i64) -> Result<bool, ApiError> {
    let mut stored = s.clone();
    stored.pipeline = None; // the pipeline is its own row
    let cols = Columns {
        name: &s.name,
        parent: &s.template_name,
        status: s.status.as_str(),
        arn: &s.arn,
    };
    Ok(cx
        .store
        .update(Kind::Service, &cols, version, &stored)
        .await?)
}

async fn instances(cx: &Cx, service: &str) -> Result<Vec<ServiceInstance>, ApiError> {
    let page = cx
        .store
        .list_prefixed::<ServiceInstance>(
            Kind::ServiceInstance,
            &format!("{service}/"),
            None,
            10_000,
        )
        .await?;
    Ok(page.items.into_iter().map(|(i, _)| i).collect())
}

async fn pipeline(cx: &Cx, service: &str) -> Result<Option<ServicePipeline>, ApiError> {
    Ok(cx
        .store
        .get::<ServicePipeline>(Kind::ServicePipeline, service)
        .await?
        .map(|r| r.doc))
}

/// The service as the API returns it (with its pipeline).
async fn assemble(cx: &Cx, mut s: Service) -> Result<Service, ApiError> {
    s.pipeline = pipeline(cx, &s.name).await?;
    Ok(s)
}

/// Whether any service instance runs in `environment`.
pub async fn environment_in_use(cx: &Cx, environment: &str) -> Result<bool, ApiError> {
    let page = cx
        .store
        .list_prefixed::<ServiceInstance>(Kind::ServiceInstance, "", None, 100_000)
        .await?;
    Ok(page
        .items
        .iter()
        .any(|(i, _)| i.environment_name == environment))
}

/// Recomputes a service's status from its instances and pipeline.
pub async fn refresh_status(cx: &Cx, name: &str) -> Result<(), ApiError> {
    for _ in 0..10 {
        let Some(row) = cx.store.get::<Service>(Kind::Service, name).await? else {
            return Ok(());
        };
        let (mut s, version) = (row.doc, row.version);
        let members: Vec<DeploymentStatus> = instances(cx, name)
            .await?
            .into_iter()
            .map(|i| i.deployment_status)
            .chain(pipeline(cx, name).await?.map(|p| p.deployment_status))
            .collect();
        let running = members.iter().any(|m| {
            matches!(
                m,
                DeploymentStatus::InProgress
                    | DeploymentStatus::DeleteInProgress
                    | DeploymentStatus::Cancelling
            )
        });
        match s.status {
            ServiceStatus::DeleteInProgress if members.is_empty() => {
                cx.store
                    .delete(Kind::Service, name, &s.arn, "create:service")
                    .await?;
                return Ok(());
            }
            ServiceStatus::DeleteInProgress
                if !running && members.contains(&DeploymentStatus::DeleteFailed) =>
            {
                s.status = ServiceStatus::DeleteFailed;
                s.status_message = Some("deleting an instance or the pipeline failed".into());
            }
            ServiceStatus::CreateInProgress | ServiceStatus::UpdateInProgress if !running => {
                let failed = members
                    .iter()
                    .filter(|m| **m != DeploymentStatus::Succeeded)
                    .count();
                let creating = s.status == ServiceStatus::CreateInProgress;
                if failed == 0 {
                    s.status = ServiceStatus::Active;
                    s.status_message = None;
                } else {
                    s.status = if creating {
                        ServiceStatus::CreateFailed
                    } else {
                        ServiceStatus::UpdateFailed
                    };
                    s.status_message = Some(format!(
                        "{failed} of {} deployments did not succeed",
                        members.len()
                    ));
                }
            }
            _ => return Ok(()),
        }
        s.last_modified_at = cx.clock.now();
        if save(cx, &s, version).await? {
            return Ok(());
        }
    }
    Err(ApiError::Conflict(format!(
        "The service {name} kept changing; retry."
    )))
}

/// CreateService (idempotent create): validates the spec against the template version, checks
/// each instance's environment is compatible, then deploys every instance and the pipeline.
pub async fn create(cx: &Cx, input: CreateServiceInput) -> Result<CreateServiceOutput, ApiError> {
    cx.store
        .get::<ServiceTemplate>(Kind::ServiceTemplate, &input.template_name)
        .await?
        .ok_or_else(|| ApiError::not_found("service template", &input.template_name))?;
    let version = tv::published_version(
        cx,
        Family::Service,
        &input.template_name,
        &input.template_major_version,
        input.template_minor_version.as_deref(),
    )
    .await?;
    tv::check_spec(&version, &input.spec)?;
    let Ok(Spec::Service(parsed)) = spec::parse_spec(&input.spec) else {
        return Err(ApiError::Validation(
            "The spec of a service must be a ServiceSpec.".into(),
        ));
    };
    let mut environments = Vec::new();
    for instance in &parsed.instances {
        environments.push(compatible_environment(cx, &version, &instance.environment).await?);
    }
    let has_pipeline = version
        .schema
        .as_deref()
        .and_then(|s| schema::parse_schema(s).ok())
        .is_some_and(|s| s.pipeline_input_type.is_some());
    if has_pipeline
        && (input.repository_connection_arn.is_none()
            || input.repository_id.is_none()
            || input.branch_name.is_none())
    {
        return Err(ApiError::Validation(
            "A service whose template has a pipeline needs repositoryConnectionArn, repositoryId and branchName.".into(),
        ));
    }
    let now = cx.clock.now();
    let arn = cx.arn(&format!("service/{}", input.name));
    let pending = !parsed.instances.is_empty() || has_pipeline;
    let service = Service {
        arn: arn.clone(),
        branch_name: input.branch_name.clone(),
        created_at: now,
        description: input.description.clone(),
        last_modified_at: now,
        name: input.name.clone(),
        pipeline: None,
        repository_connection_arn: input.repository_connection_arn.clone(),
        repository_id: input.repository_id.clone(),
        spec: input.spec.clone(),
        status: if pending {
            ServiceStatus::CreateInProgress
        } else {
            ServiceStatus::Active
        },
        status_message: None,
        template_name: input.template_name.clone(),
    };
    let cols = Columns {
        name: &input.name,
        parent: &input.template_name,
        status: service.status.as_str(),
        arn: &arn,
    };
    if let Created::Existing(existing) =
        idempotent_create(cx, Kind::Service, WHAT, &cols, &input, &service, None).await?
    {
        return Ok(CreateServiceOutput {
            service: assemble(cx, existing).await?,
        });
    }
    super::tags::store_initial(cx, &arn, input.tags.as_deref()).await?;
    for (instance, env) in parsed.instances.iter().zip(&environments) {
        add_instance(
            cx,
            &input.name,
            &instance.name,
            env,
            &version,
            &input.spec,
            None,
        )
        .await?;
    }
    if has_pipeline {
        let id = cx.ids.uuid();
        let target = Target::ServicePipeline(input.name.clone());
        let pipeline_arn = format!("{arn}/pipeline");
        let doc = ServicePipeline {
            arn: pipeline_arn.clone(),
            created_at: now,
            deployment_status: DeploymentStatus::InProgress,
            deployment_status_message: None,
            last_attempted_deployment_id: Some(id.clone()),
            last_deployment_attempted_at: now,
            last_deployment_succeeded_at: now,
            last_succeeded_deployment_id: None,
            spec: Some(input.spec.clone()),
            template_major_version: version.major_version.clone(),
            template_minor_version: version.minor_version.clone(),
            template_name: input.template_name.clone(),
        };
        let pcols = Columns {
            name: &input.name,
            parent: &input.name,
            status: "IN_PROGRESS",
            arn: &pipeline_arn,
        };
        let goal = DeploymentState::ServicePipeline(ServicePipelineState {
            spec: Some(input.spec.clone()),
            template_major_version: version.major_version.clone(),
            template_minor_version: version.minor_version.clone(),
            template_name: input.template_name.clone(),
        });
        let d = deploy::prepare(
            cx,
            id,
            &target,
            "",
            &pipeline_arn,
            now,
            None,
            goal,
            (None, None),
        );
        // The pipeline, its first deployment and that deployment's job: one transaction.
        if !deploy::insert_with_first(cx, Kind::ServicePipeline, &pcols, &doc, &d).await? {
            return Err(ApiError::Conflict(format!(
                "The service {} already has a pipeline.",
                input.name
            )));
        }
    }
    Ok(CreateServiceOutput {
        service: assemble(cx, service).await?,
    })
}

/// The environment an instance is to run in, checked compatible with the service template version.
async fn compatible_environment(
    cx: &Cx,
    version: &ServiceTemplateVersion,
    name: &str,
) -> Result<Environment, ApiError> {
    let env = cx
        .store
        .get::<Environment>(Kind::Environment, name)
        .await?
        .ok_or_else(|| ApiError::not_found("environment", name))?
        .doc;
    let compatible = version.compatible_environment_templates.iter().any(|c| {
        c.template_name == env.template_name && c.major_version == env.template_major_version
    });
    if !compatible {
        return Err(ApiError::Validation(format!(
            "Environment {} uses {}:{}, which is not compatible with service template {}:{}.",
            env.name,
            env.template_name,
            env.template_major_version,
            version.template_name,
            version.major_version
        )));
    }
    Ok(env)
}

/// Creates one service instance row and starts its deployment.
async fn add_instance(
    cx: &Cx,
    service: &str,
    name: &str,
    env: &Environment,
    version: &ServiceTemplateVersion,
    spec: &str,
    client_token: Option<String>,
) -> Result<ServiceInstance, ApiError> {
    let now = cx.clock.now();
    let id = cx.ids.uuid();
    let target = Target::ServiceInstance(service.to_owned(), name.to_owned());
    let instance_arn = cx.arn(&format!("service/{service}/service-instance/{name}"));
    let doc = ServiceInstance {
        arn: instance_arn.clone(),
        created_at: now,
        deployment_status: DeploymentStatus::InProgress,
        deployment_status_message: None,
        environment_name: env.name.clone(),
        last_attempted_deployment_id: Some(id.clone()),
        last_client_request_token: client_token,
        last_deployment_attempted_at: now,
        last_deployment_succeeded_at: now,
        last_succeeded_deployment_id: None,
        name: name.to_owned(),
        service_name: service.to_owned(),
        spec: Some(spec.to_owned()),
        template_major_version: version.major_version.clone(),
        template_minor_version: version.minor_version.clone(),
        template_name: version.template_name.clone(),
    };
    let row = target.row();
    let cols = Columns {
        name: &row,
        parent: service,
        status: "IN_PROGRESS",
        arn: &instance_arn,
    };
    let goal = DeploymentState::ServiceInstance(ServiceInstanceState {
        last_successful_component_deployment_ids: None,
        last_successful_environment_deployment_id: env.last_succeeded_deployment_id.clone(),
        last_successful_service_pipeline_deployment_id: None,
        spec: spec.to_owned(),
        template_major_version: version.major_version.clone(),
        template_minor_version: version.minor_version.clone(),
        template_name: version.template_name.clone(),
    });
    let d = deploy::prepare(
        cx,
        id,
        &target,
        &env.name,
        &instance_arn,
        now,
        None,
        goal,
        (None, None),
    );
    // The instance, its first deployment and that deployment's job: one transaction.
    if !deploy::insert_with_first(cx, Kind::ServiceInstance, &cols, &doc, &d).await? {
        return Err(ApiError::Conflict(format!(
            "The service {service} already has an instance named {name}."
        )));
    }
    Ok(doc)
}

/// The version new instances of a service use: the one given, else the version its existing
/// instances (or pipeline) run, else the template's recommended version.
async fn version_for_new_instances(
    cx: &Cx,
    service: &Service,
    major: Option<&str>,
    minor: Option<&str>,
) -> Result<ServiceTemplateVersion, ApiError> {
    if let Some(major) = major {
        return tv::published_version(cx, Family::Service, &service.template_name, major, minor)
            .await;
    }
    let running = instances(cx, &service.name)
        .await?
        .into_iter()
        .map(|i| (i.template_major_version, i.template_minor_version))
        .next()
        .or(pipeline(cx, &service.name)
            .await?
            .map(|p| (p.template_major_version, p.template_minor_version)));
    if let Some((major, minor)) = running {
        tv::published_version(
            cx,
            Family::Service,
            &service.template_name,
            &major,
            Some(&minor),
        )
        .await
    } else {
        let (t, _) =
            tv::load_template::<ServiceTemplate>(cx, Family::Service, &service.template_name)
                .await?;
        let major = t.recommended_version.ok_or_else(|| {
            ApiError::Validation(format!(
                "Service template {} has no published version.",
                service.template_name
            ))
        })?;
        tv::published_version(cx, Family::Service, &service.template_name, &major, None).await
    }
}

fn parse_service_spec(spec: &str) -> Result<spec::ServiceSpec, ApiError> {
    match spec::parse_spec(spec) {
        Ok(Spec::Service(s)) => Ok(s),
        _ => Err(ApiError::Validation(
            "The spec of a service must be a ServiceSpec.".into(),
        )),
    }
}

/// CreateServiceInstance: adds one instance, defined in the given ServiceSpec, to a service.
pub async fn create_instance(
    cx: &Cx,
    input: CreateServiceInstanceInput,
) -> Result<CreateServiceInstanceOutput, ApiError> {
    let (s, _) = load(cx, &input.service_name).await?;
    if s.status == ServiceStatus::DeleteInProgress {
        return Err(ApiError::Conflict(format!(
            "The service {} is being deleted.",
            s.name
        )));
    }
    let version = version_for_new_instances(
        cx,
        &s,
        input.template_major_version.as_deref(),
        input.template_minor_version.as_deref(),
    )
    .await?;
    tv::check_spec(&version, &input.spec)?;
    let parsed = parse_service_spec(&input.spec)?;
    let Some(def) = parsed.instances.iter().find(|i| i.name == input.name) else {
        return Err(ApiError::Validation(format!(
            "The spec has no instance named {}.",
            input.name
        )));
    };
    let env = compatible_environment(cx, &version, &def.environment).await?;
    let service_instance = add_instance(
        cx,
        &s.name,
        &input.name,
        &env,
        &version,
        &input.spec,
        input.client_token,
    )
    .await?;
    let arn = service_instance.arn.clone();
    super::tags::store_initial(cx, &arn, input.tags.as_deref()).await?;
    Ok(CreateServiceInstanceOutput { service_instance })
}

/// The service's instances a new spec leaves out (UpdateService would delete them); none when
/// the service or the spec can't be read (UpdateService then answers the error).
pub async fn instances_missing_from(
    cx: &Cx,
    service: &str,
    spec: &str,
) -> Result<Vec<String>, ApiError> {
    let Ok(parsed) = parse_service_spec(spec) else {
        return Ok(Vec::new());
    };
    Ok(instances(cx, service)
        .await?
        .into_iter()
        .filter(|i| !parsed.instances.iter().any(|d| d.name == i.name))
        .map(|i| i.name)
        .collect())
}

/// GetService.
pub async fn get(cx: &Cx, input: GetServiceInput) -> Result<GetServiceOutput, ApiError> {
    let (s, _) = load(cx, &input.name).await?;
    Ok(GetServiceOutput {
        service: Some(assemble(cx, s).await?),
    })
}

/// ListServices.
pub async fn list(cx: &Cx, input: ListServicesInput) -> Result<ListServicesOutput, ApiError> {
    let (services, next_token) = list_page::<Service, _>(
        cx,
        Kind::Service,
        None,
        "ListServices",
        input.next_token.as_deref(),
        input.max_results,
    )
    .await?;
    Ok(ListServicesOutput {
        next_token,
        services,
    })
}

/// UpdateService: the description, and through the spec the set of instances — instances new
/// in the spec are created and deployed, instances missing from it are deleted. Existing
/// instances and the pipeline are not changed here (use their own update operations).
pub async fn update(cx: &Cx, input: UpdateServiceInput) -> Result<UpdateServiceOutput, ApiError> {
    let (mut s, version) = load(cx, &input.name).await?;
    if matches!(
        s.status,
        ServiceStatus::DeleteInProgress
            | ServiceStatus::CreateInProgress
            | ServiceStatus::UpdateInProgress
    ) {
        return Err(ApiError::Conflict(format!(
            "The service {} is {}; wait for it to finish.",
            s.name, s.status
        )));
    }
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut tv_version = None;
    if let Some(new_spec) = input.spec.as_ref().filter(|spec| **spec != s.spec) {
        let v = version_for_new_instances(cx, &s, None, None).await?;
        tv::check_spec(&v, new_spec)?;
        let parsed = parse_service_spec(new_spec)?;
        let existing = instances(cx, &s.name).await?;
        for def in &parsed.instances {
            match existing.iter().find(|i| i.name == def.name) {
                Some(i) if i.environment_name != def.environment => {
                    return Err(ApiError::Validation(format!(
                        "Instance {} runs in environment {}; an existing instance can't move to {}.",
                        def.name, i.environment_name, def.environment
                    )));
                }
                Some(_) => {}
                None => added.push((
                    def.name.clone(),
                    compatible_environment(cx, &v, &def.environment).await?,
                )),
            }
        }
        for i in existing {
            if !parsed.instances.iter().any(|d| d.name == i.name) {
                if i.deployment_status == DeploymentStatus::InProgress {
                    return Err(ApiError::Conflict(format!(
                        "Instance {} has a deployment in progress; cancel it first.",
                        i.name
                    )));
                }
                refuse_attached_component(cx, &s.name, &i.name).await?;
                removed.push(i.name);
            }
        }
        s.spec.clone_from(new_spec);
        tv_version = Some(v);
    }
    if input.description.is_some() {
        s.description = input.description;
    }
    if !added.is_empty() || !removed.is_empty() {
        s.status = ServiceStatus::UpdateInProgress;
        s.status_message = None;
    }
    s.last_modified_at = cx.clock.now();
    if !save(cx, &s, version).await? {
        return Err(ApiError::Conflict(format!(
            "The service {} was changed concurrently; retry.",
            s.name
        )));
    }
    super::mark_modified(cx, Kind::Service, &s.name).await?;
    if let Some(v) = &tv_version {
        for (name, env) in &added {
            add_instance(cx, &s.name, name, env, v, &s.spec, None).await?;
        }
    }
    for name in removed {
        tear_down(cx, Target::ServiceInstance(s.name.clone(), name)).await?;
    }
    refresh_status(cx, &s.name).await?;
    let (fresh, _) = load(cx, &s.name).await?;
    Ok(UpdateServiceOutput {
        service: assemble(cx, fresh).await?,
    })
}

/// Starts removing an instance, the pipeline or a component: a deployed one gets a teardown
/// deployment its provisioner runs; anything else is removed at once.
pub(crate) async fn tear_down(cx: &Cx, target: Target) -> Result<(), ApiError> {
    let Some(row) = cx
        .store
        .get::<serde_json::Value>(target.kind(), &target.row())
        .await?
    else {
        return Ok(());
    };
    let (mut doc, version) = (row.doc, row.version);
    let arn = doc["arn"].as_str().unwrap_or_default().to_owned();
    let deployed = doc["lastSucceededDeploymentId"].is_string();
    let environment = doc["environmentName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let last = doc["lastAttemptedDeploymentId"].as_str().map(str::to_owned);
    let probe = match last {
        Some(id) => super::deployment::load(cx, &id).await.ok().map(|(d, _)| d),
        None => None,
    };
    // Deployed infrastructure is torn down by its provisioner (the self-managed side reports
    // it; CloudFormation deletes the stack); anything never deployed goes at once.
    if !deployed || probe.is_none() {
        cx.store
            .delete(target.kind(), &target.row(), &arn, "")
            .await?;
        return Ok(());
    }
    let id = cx.ids.uuid();
    let state: Option<DeploymentState> = probe.and_then(|d| d.target_state);
    let goal = state
        .clone()
        .ok_or_else(|| ApiError::InternalServer("a deployment without a target state".into()))?;
    let previous = (
        doc["lastAttemptedDeploymentId"].as_str().map(str::to_owned),
        doc["lastSucceededDeploymentId"].as_str().map(str::to_owned),
    );
    let created_at =
        serde_json::from_value(doc["createdAt"].clone()).unwrap_or_else(|_| cx.clock.now());
    deploy::start(
        cx,
        id.clone(),
        &target,
        &environment,
        &arn,
        created_at,
        state,
        goal,
        previous,
    )
    .await?;
    doc["deploymentStatus"] = serde_json::json!("DELETE_IN_PROGRESS");
    doc["lastAttemptedDeploymentId"] = serde_json::json!(id);
    if !deploy::save(cx, &target, &doc, version).await? {
        return Err(ApiError::Conflict(format!(
            "{arn} was changed concurrently; retry."
        )));
    }
    crate::jobs::enqueue_deployment(cx, &id).await?;
    Ok(())
}

/// A service instance with an attached component can't be deleted (delete or detach the
/// component first).
async fn refuse_attached_component(cx: &Cx, service: &str, instance: &str) -> Result<(), ApiError> {
    match super::component::attached_to(cx, service, instance).await? {
        Some(c) => Err(ApiError::Conflict(format!(
            "The service instance {instance} of service {service} has the component {c} attached; delete or detach it first."
        ))),
        None => Ok(()),
    }
}

/// DeleteService (asynchronous idempotent delete).
pub async fn delete(cx: &Cx, input: DeleteServiceInput) -> Result<DeleteServiceOutput, ApiError> {
    let Some(row) = cx.store.get::<Service>(Kind::Service, &input.name).await? else {
        return Ok(DeleteServiceOutput { service: None });
    };
    let (mut s, version) = (row.doc, row.version);
    if s.status == ServiceStatus::DeleteInProgress {
        return Ok(DeleteServiceOutput {
            service: Some(assemble(cx, s).await?),
        });
    }
    let members = instances(cx, &s.name).await?;
    let pipe = pipeline(cx, &s.name).await?;
    if members
        .iter()
        .any(|i| i.deployment_status == DeploymentStatus::InProgress)
        || pipe
            .as_ref()
            .is_some_and(|p| p.deployment_status == DeploymentStatus::InProgress)
    {
        return Err(ApiError::Conflict(format!(
            "The service {} has deployments in progress; cancel them first.",
            s.name
        )));
    }
    for i in &members {
        refuse_attached_component(cx, &s.name, &i.name).await?;
    }
    let shown = assemble(cx, s.clone()).await?;
    s.status = ServiceStatus::DeleteInProgress;
    s.last_modified_at = cx.clock.now();
    if !save(cx, &s, version).await? {
        return Err(ApiError::Conflict(format!(
            "The service {} was changed concurrently; retry.",
            s.name
        )));
    }
    for i in &members {
        tear_down(cx, Target::ServiceInstance(s.name.clone(), i.name.clone())).await?;
    }
    if pipe.is_some() {
        tear_down(cx, Target::ServicePipeline(s.name.clone())).await?;
    }
    refresh_status(cx, &s.name).await?;
    let mut shown = shown;
    shown.status = ServiceStatus::DeleteInProgress;
    Ok(DeleteServiceOutput {
        service: Some(shown),
    })
}

/// GetServiceInstance.
pub async fn get_instance(
    cx: &Cx,
    input: GetServiceInstanceInput,
) -> Result<GetServiceInstanceOutput, ApiError> {
    let row = cx
        .store
        .get::<ServiceInstance>(
            Kind::ServiceInstance,
            &format!("{}/{}", input.service_name, input.name),
        )
        .await?
        .ok_or_else(|| {
            ApiError::ResourceNotFound(format!(
                "The service instance {} of service {} was not found.",
                input.name, input.service_name
            ))
        })?;
    Ok(GetServiceInstanceOutput {
        service_instance: row.doc,
    })
}

/// ListServiceInstanceOutputs.
pub async fn list_instance_outputs(
    cx: &Cx,
    input: ListServiceInstanceOutputsInput,
) -> Result<ListServiceInstanceOutputsOutput, ApiError> {
    let instance = get_instance(
        cx,
        GetServiceInstanceInput {
            name: input.service_instance_name,
            service_name: input.service_name,
        },
    )
    .await?
    .service_instance;
    Ok(ListServiceInstanceOutputsOutput {
        next_token: None,
        outputs: super::deployment::outputs(cx, &instance.arn).await?,
    })
}

/// ListServiceInstanceProvisionedResources (none for self-managed provisioning).
pub async fn list_instance_provisioned_resources(
    cx: &Cx,
    input: ListServiceInstanceProvisionedResourcesInput,
) -> Result<ListServiceInstanceProvisionedResourcesOutput, ApiError> {
    let instance = get_instance(
        cx,
        GetServiceInstanceInput {
            name: input.service_instance_name,
            service_name: input.service_name,
        },
    )
    .await?
    .service_instance;
    Ok(ListServiceInstanceProvisionedResourcesOutput {
        next_token: None,
        provisioned_resources: super::deployment::provisioned_resources(cx, &instance.arn).await?,
    })
}

async fn load_pipeline(cx: &Cx, service: &str) -> Result<ServicePipeline, ApiError> {
    load(cx, service).await?;
    pipeline(cx, service).await?.ok_or_else(|| {
        ApiError::ResourceNotFound(format!("The service {service} has no pipeline."))
    })
}

/// ListServicePipelineOutputs.
pub async fn list_pipeline_outputs(
    cx: &Cx,
    input: ListServicePipelineOutputsInput,
) -> Result<ListServicePipelineOutputsOutput, ApiError> {
    let p = load_pipeline(cx, &input.service_name).await?;
    Ok(ListServicePipelineOutputsOutput {
        next_token: None,
        outputs: super::deployment::outputs(cx, &p.arn).await?,
    })
}

/// ListServicePipelineProvisionedResources (none for self-managed provisioning).
pub async fn list_pipeline_provisioned_resources(
    cx: &Cx,
    input: ListServicePipelineProvisionedResourcesInput,
) -> Result<ListServicePipelineProvisionedResourcesOutput, ApiError> {
    let p = load_pipeline(cx, &input.service_name).await?;
    Ok(ListServicePipelineProvisionedResourcesOutput {
        next_token: None,
        provisioned_resources: super::deployment::provisioned_resources(cx, &p.arn).await?,
    })
}

// --- updating and cancelling instance and pipeline deployments -------------------------------

use baryon_model::proton::{
    CancelServiceInstanceDeploymentInput, CancelServiceInstanceDeploymentOutput,
    CancelServicePipelineDeploymentInput, CancelServicePipelineDeploymentOutput,
    UpdateServiceInstanceInput, UpdateServiceInstanceOutput, UpdateServicePipelineInput,
    UpdateServicePipelineOutput,
};

/// UpdateServiceInstance.
pub async fn update_instance(
    cx: &Cx,
    input: UpdateServiceInstanceInput,
) -> Result<UpdateServiceInstanceOutput, ApiError> {
    let target = Target::ServiceInstance(input.service_name.clone(), input.name.clone());
    let req = deploy::Redeploy {
        kind: deploy::deployment_kind(&input.deployment_type)?,
        spec: input.spec,
        major: input.template_major_version,
        minor: input.template_minor_version,
        client_token: input.client_token,
    };
    let doc = deploy::redeploy_loaded(cx, target, req).await?;
    Ok(UpdateServiceInstanceOutput {
        service_instance: convert(&doc)?,
    })
}

/// UpdateServicePipeline.
pub async fn update_pipeline(
    cx: &Cx,
    input: UpdateServicePipelineInput,
) -> Result<UpdateServicePipelineOutput, ApiError> {
    load_pipeline(cx, &input.service_name).await?;
    let target = Target::ServicePipeline(input.service_name.clone());
    let req = deploy::Redeploy {
        kind: deploy::deployment_kind(&input.deployment_type)?,
        spec: Some(input.spec),
        major: input.template_major_version,
        minor: input.template_minor_version,
        client_token: None,
    };
    let doc = deploy::redeploy_loaded(cx, target, req).await?;
    Ok(UpdateServicePipelineOutput {
        pipeline: convert(&doc)?,
    })
}

/// CancelServiceInstanceDeployment.
pub async fn cancel_instance(
    cx: &Cx,
    input: CancelServiceInstanceDeploymentInput,
) -> Result<CancelServiceInstanceDeploymentOutput, ApiError> {
    let doc = deploy::cancel(
        cx,
        &Target::ServiceInstance(input.service_name, input.service_instance_name),
    )
    .await?;
    Ok(CancelServiceInstanceDeploymentOutput {
        service_instance: convert(&doc)?,
    })
}

/// CancelServicePipelineDeployment.
pub async fn cancel_pipeline(
    cx: &Cx,
    input: CancelServicePipelineDeploymentInput,
) -> Result<CancelServicePipelineDeploymentOutput, ApiError> {
    load_pipeline(cx, &input.service_name).await?;
    let doc = deploy::cancel(cx, &Target::ServicePipeline(input.service_name)).await?;
    Ok(CancelServicePipelineDeploymentOutput {
        pipeline: convert(&doc)?,
    })
}
