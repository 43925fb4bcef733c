//! Environments: CreateEnvironment, GetEnvironment, ListEnvironments, UpdateEnvironment,
//! DeleteEnvironment, CancelEnvironmentDeployment, ListEnvironmentOutputs,
//! ListEnvironmentProvisionedResources.
//!
//! Provisioning follows the template: `CUSTOMER_MANAGED` templates are self-managed — the
//! deployment stays `IN_PROGRESS` until `NotifyResourceDeploymentStatusChange` reports its
//! outcome. AWS-managed provisioning needs a CloudFormation provisioner; until one is configured
//! such deployments end `FAILED` with a message saying so (never a pretend success). A failed or
//! cancelled deployment puts the environment back to its deployment's initial state.

use baryon_model::proton::{
    CancelEnvironmentDeploymentInput, CancelEnvironmentDeploymentOutput, CreateEnvironmentInput,
    CreateEnvironmentOutput, DeleteEnvironmentInput, DeleteEnvironmentOutput, DeploymentState,
    DeploymentStatus, Environment, EnvironmentState, EnvironmentSummary, EnvironmentTemplate,
    GetEnvironmentInput, GetEnvironmentOutput, ListEnvironmentOutputsInput,
    ListEnvironmentOutputsOutput, ListEnvironmentProvisionedResourcesInput,
    ListEnvironmentProvisionedResourcesOutput, ListEnvironmentsInput, ListEnvironmentsOutput,
    Provisioning, RepositoryBranch, RepositoryBranchInput, UpdateEnvironmentInput,
    UpdateEnvironmentOutput,
};

use super::deploy::{self, Target};
use super::deployment::{self};
use super::template_version::{self as tv, Family, convert};
use super::{Created, Rows, filtered_page, idempotent_create};
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind};

const WHAT: &str = "environment";

fn arn(cx: &Cx, name: &str) -> String {
    cx.arn(&format!("environment/{name}"))
}

async fn load(cx: &Cx, name: &str) -> Result<(Environment, i64), ApiError> {
    let row = cx
        .store
        .get::<Environment>(Kind::Environment, name)
        .await?
        .ok_or_else(|| ApiError::not_found(WHAT, name))?;
    Ok((row.doc, row.version))
}

async fn save(cx: &Cx, env: &Environment, version: i64) -> Result<bool, ApiError> {
    let cols = Columns {
        name: &env.name,
        parent: &env.template_name,
        status: env.deployment_status.as_str(),
        arn: &env.arn,
    };
    Ok(cx
        .store
        .update(Kind::Environment, &cols, version, env)
        .await?)
}

fn repository_branch(cx: &Cx, r: &RepositoryBranchInput) -> RepositoryBranch {
    RepositoryBranch {
        arn: cx.arn(&format!(
            "repository/{}:{}",
            r.provider.as_str().to_ascii_lowercase(),
            r.name
        )),
        branch: r.branch.clone(),
        name: r.name.clone(),
        provider: r.provider.clone(),
    }
}

fn state_of(env: &Environment) -> DeploymentState {
    DeploymentState::Environment(EnvironmentState {
        spec: env.spec.clone(),
        template_major_version: env.template_major_version.clone(),
        template_minor_version: env.template_minor_version.clone(),
        template_name: env.template_name.clone(),
    })
}

/// CreateEnvironment (idempotent create).
pub async fn create(
    cx: &Cx,
    input: CreateEnvironmentInput,
) -> Result<CreateEnvironmentOutput, ApiError> {
    let template = cx
        .store
        .get::<EnvironmentTemplate>(Kind::EnvironmentTemplate, &input.template_name)
        .await?
        .ok_or_else(|| ApiError::not_found("environment template", &input.template_name))?
        .doc;
    let version = tv::published_version(
        cx,
        Family::Environment,
        &input.template_name,
        &input.template_major_version,
        input.template_minor_version.as_deref(),
    )
    .await?;
    tv::check_spec(&version, &input.spec)?;
    let provisioning = template.provisioning.clone();
    if provisioning == Some(Provisioning::CustomerManaged) {
        if input.provisioning_repository.is_none() {
            return Err(ApiError::Validation(
                "A self-managed (CUSTOMER_MANAGED) environment needs a provisioningRepository."
                    .into(),
            ));
        }
    } else if input.proton_service_role_arn.is_none()
        && input.environment_account_connection_id.is_none()
    {
        return Err(ApiError::Validation(
            "You must specify a protonServiceRoleArn or an environmentAccountConnectionId.".into(),
        ));
    }
    if input.proton_service_role_arn.is_some() && input.environment_account_connection_id.is_some()
    {
        return Err(ApiError::Validation(
            "Specify either protonServiceRoleArn or environmentAccountConnectionId, not both: an environment in another account is provisioned with its connection's role.".into(),
        ));
    }
    let environment_account_id = match &input.environment_account_connection_id {
        Some(id) => Some(super::account_connection::for_environment(cx, id, &input.name).await?),
        None => None,
    };
    let now = cx.clock.now();
    let arn = arn(cx, &input.name);
    let deployment_id = cx.ids.uuid();
    let env = Environment {
        arn: arn.clone(),
        codebuild_role_arn: input.codebuild_role_arn.clone(),
        component_role_arn: input.component_role_arn.clone(),
        created_at: now,
        deployment_status: DeploymentStatus::InProgress,
        deployment_status_message: None,
        description: input.description.clone(),
        environment_account_connection_id: input.environment_account_connection_id.clone(),
        environment_account_id,
        last_attempted_deployment_id: Some(deployment_id.clone()),
        last_deployment_attempted_at: now,
        last_deployment_succeeded_at: now,
        last_succeeded_deployment_id: None,
        name: input.name.clone(),
        proton_service_role_arn: input.proton_service_role_arn.clone(),
        provisioning,
        provisioning_repository: input
            .provisioning_repository
            .as_ref()
            .map(|r| repository_branch(cx, r)),
        spec: Some(input.spec.clone()),
        template_major_version: version.major_version.clone(),
        template_minor_version: version.minor_version.clone(),
        template_name: input.template_name.clone(),
    };
    let cols = Columns {
        name: &input.name,
        parent: &input.template_name,
        status: env.deployment_status.as_str(),
        arn: &arn,
    };
    // The environment, its first deployment and that deployment's job: one transaction.
    let first = deploy::prepare(
        cx,
        deployment_id,
        &Target::Environment(env.name.clone()),
        &env.name,
        &arn,
        now,
        None,
        state_of(&env),
        (None, None),
    );
    match idempotent_create(
        cx,
        Kind::Environment,
        WHAT,
        &cols,
        &input,
        &env,
        Some(&first),
    )
    .await?
    {
        Created::Existing(existing) => {
            return Ok(CreateEnvironmentOutput {
                environment: existing,
            });
        }
        Created::New => {}
    }
    super::tags::store_initial(cx, &arn, input.tags.as_deref()).await?;
    Ok(CreateEnvironmentOutput { environment: env })
}

/// GetEnvironment.
pub async fn get(cx: &Cx, input: GetEnvironmentInput) -> Result<GetEnvironmentOutput, ApiError> {
    Ok(GetEnvironmentOutput {
        environment: load(cx, &input.name).await?.0,
    })
}

/// ListEnvironments, optionally only those of some template majors.
pub async fn list(
    cx: &Cx,
    input: ListEnvironmentsInput,
) -> Result<ListEnvironmentsOutput, ApiError> {
    let filters = input.environment_templates.unwrap_or_default();
    let (environments, next_token) = filtered_page::<Environment, EnvironmentSummary>(
        cx,
        Rows::Under(Kind::Environment, None),
        "ListEnvironments",
        input.next_token.as_deref(),
        input.max_results,
        |env| env.name.clone(),
        |env| {
            filters.is_empty()
                || filters.iter().any(|f| {
                    f.template_name == env.template_name
                        && f.major_version == env.template_major_version
                })
        },
    )
    .await?;
    Ok(ListEnvironmentsOutput {
        environments,
        next_token,
    })
}

/// UpdateEnvironment: metadata and, unless `deploymentType` is `NONE`, a deployment under the
/// documented deployment-type rules — all in one write, after every check.
pub async fn update(
    cx: &Cx,
    input: UpdateEnvironmentInput,
) -> Result<UpdateEnvironmentOutput, ApiError> {
    let row = cx
        .store
        .get::<serde_json::Value>(Kind::Environment, &input.name)
        .await?
        .ok_or_else(|| ApiError::not_found(WHAT, &input.name))?;
    if input.proton_service_role_arn.is_some() && input.environment_account_connection_id.is_some()
    {
        return Err(ApiError::Validation(
            "You can update either environmentAccountConnectionId or protonServiceRoleArn, not both.".into(),
        ));
    }
    let mut env: Environment = convert(&row.doc)?;
    if input.description.is_some() {
        env.description = input.description.clone();
    }
    if input.proton_service_role_arn.is_some() {
        env.proton_service_role_arn = input.proton_service_role_arn.clone();
    }
    if let Some(id) = &input.environment_account_connection_id {
        let Some(current) = env.environment_account_id.clone() else {
            return Err(ApiError::Validation(format!(
                "The environment {} isn't in an environment account; it can't switch to an environment account connection.",
                env.name
            )));
        };
        let account = super::account_connection::for_environment(cx, id, &env.name).await?;
        if account != current {
            return Err(ApiError::Validation(format!(
                "The environment account connection {id} is for account {account}; environment {} is in account {current}.",
                env.name
            )));
        }
        env.environment_account_connection_id = Some(id.clone());
    }
    if input.proton_service_role_arn.is_some() && env.environment_account_connection_id.is_some() {
        return Err(ApiError::Validation(format!(
            "The environment {} is provisioned through an environment account connection; don't give it a protonServiceRoleArn.",
            env.name
        )));
    }
    if input.codebuild_role_arn.is_some() {
        env.codebuild_role_arn = input.codebuild_role_arn.clone();
    }
    if input.component_role_arn.is_some() {
        env.component_role_arn = input.component_role_arn.clone();
    }
    if let Some(r) = &input.provisioning_repository {
        env.provisioning_repository = Some(repository_branch(cx, r));
    }
    let doc = serde_json::to_value(&env)
        .map_err(|e| ApiError::InternalServer(format!("could not encode the environment: {e}")))?;
    let req = deploy::Redeploy {
        kind: deploy::deployment_kind(&input.deployment_type)?,
        spec: input.spec,
        major: input.template_major_version,
        minor: input.template_minor_version,
        client_token: None,
    };
    let doc = deploy::redeploy(
        cx,
        Target::Environment(input.name.clone()),
        doc,
        row.doc,
        row.version,
        req,
    )
    .await?;
    super::mark_modified(cx, Kind::Environment, &input.name).await?;
    Ok(UpdateEnvironmentOutput {
        environment: convert(&doc)?,
    })
}

/// CancelEnvironmentDeployment: a self-managed deployment in progress is cancelled at once and
/// the environment put back to its state before it.
pub async fn cancel(
    cx: &Cx,
    input: CancelEnvironmentDeploymentInput,
) -> Result<CancelEnvironmentDeploymentOutput, ApiError> {
    load(cx, &input.environment_name).await?;
    let doc = deploy::cancel(cx, &Target::Environment(input.environment_name)).await?;
    Ok(CancelEnvironmentDeploymentOutput {
        environment: convert(&doc)?,
    })
}

/// DeleteEnvironment (asynchronous idempotent delete).
pub async fn delete(
    cx: &Cx,
    input: DeleteEnvironmentInput,
) -> Result<DeleteEnvironmentOutput, ApiError> {
    let Some(row) = cx
        .store
        .get::<Environment>(Kind::Environment, &input.name)
        .await?
    else {
        return Ok(DeleteEnvironmentOutput { environment: None });
    };
    let (mut env, version) = (row.doc, row.version);
    match env.deployment_status {
        DeploymentStatus::DeleteInProgress => {
            return Ok(DeleteEnvironmentOutput {
                environment: Some(env),
            });
        }
        DeploymentStatus::InProgress | DeploymentStatus::Cancelling => {
            return Err(ApiError::Conflict(format!(
                "The environment {} has a deployment in progress; cancel it first.",
                env.name
            )));
        }
        _ => {}
    }
    if super::service::environment_in_use(cx, &env.name).await? {
        return Err(ApiError::Conflict(format!(
            "The environment {} still has service instances; delete them first.",
            env.name
        )));
    }
    let components = super::component::in_environment(cx, &env.name).await?;
    if !components.is_empty() {
        return Err(ApiError::Conflict(format!(
            "The environment {} still has components ({}); delete them first.",
            env.name,
            components.join(", ")
        )));
    }
    let deployed = env.last_succeeded_deployment_id.is_some();
    env.deployment_status = DeploymentStatus::DeleteInProgress;
    env.deployment_status_message = None;
    if deployed {
        // The infrastructure exists: a teardown deployment its provisioner runs (the
        // self-managed side reports when it is gone; CloudFormation deletes the stack).
        let previous = (
            env.last_attempted_deployment_id.clone(),
            env.last_succeeded_deployment_id.clone(),
        );
        let d = deploy::start(
            cx,
            cx.ids.uuid(),
            &Target::Environment(env.name.clone()),
            &env.name,
            &env.arn,
            env.created_at,
            Some(state_of(&env)),
            state_of(&env),
            previous,
        )
        .await?;
        env.last_attempted_deployment_id = Some(d.id.clone());
        env.last_deployment_attempted_at = cx.clock.now();
        if !save(cx, &env, version).await? {
            return Err(ApiError::Conflict(format!(
                "The environment {} was changed concurrently; retry.",
                env.name
            )));
        }
        crate::jobs::enqueue_deployment(cx, &d.id).await?;
        return Ok(DeleteEnvironmentOutput {
            environment: Some(env),
        });
    }
    // Nothing was ever provisioned: the deletion completes at once.
    cx.store
        .delete(Kind::Environment, &env.name, &env.arn, "create:environment")
        .await?;
    Ok(DeleteEnvironmentOutput {
        environment: Some(env),
    })
}

/// ListEnvironmentOutputs.
pub async fn list_outputs(
    cx: &Cx,
    input: ListEnvironmentOutputsInput,
) -> Result<ListEnvironmentOutputsOutput, ApiError> {
    let (env, _) = load(cx, &input.environment_name).await?;
    Ok(ListEnvironmentOutputsOutput {
        next_token: None,
        outputs: deployment::outputs(cx, &env.arn).await?,
    })
}

/// ListEnvironmentProvisionedResources: resources a provisioner created (none for self-managed).
pub async fn list_provisioned_resources(
    cx: &Cx,
    input: ListEnvironmentProvisionedResourcesInput,
) -> Result<ListEnvironmentProvisionedResourcesOutput, ApiError> {
    let (env, _) = load(cx, &input.environment_name).await?;
    Ok(ListEnvironmentProvisionedResourcesOutput {
        next_token: None,
        provisioned_resources: deployment::provisioned_resources(cx, &env.arn).await?,
    })
}
