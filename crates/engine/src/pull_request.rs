//! Self-managed provisioning's half of the work, as Proton does it: the deployment's rendered
//! files are proposed to the provisioning repository as a branch (Proton opens a pull
//! request), in the directory the aws-samples provisioning workflows expect —
//! `<environment>/` for an environment, `<environment>/<service>-<instance>/` for a service
//! instance, `pipeline/<service>/` for a pipeline and `<environment>/component-<name>/` for a
//! component. The branch is `proton/<deployment-id>`, based on the repository's configured
//! branch; a teardown proposes removing the directory. The customer's automation provisions
//! from it and reports with NotifyResourceDeploymentStatusChange.
//!
//! The repository is the environment's `provisioningRepository` (for environments, their
//! service instances and components) or the account's `pipelineProvisioningRepository`; it is
//! written only when it is linked (CreateRepository). A template that can't render fails the
//! deployment with the reason instead of waiting for a report that can't come.

use baryon_model::proton::{
    AccountSettings, Deployment, Environment, Repository, RepositoryBranch,
};

use crate::context::Cx;
use crate::error::ApiError;
use crate::handlers::deploy::Target;
use crate::provision::{Progress, tears_down};
use crate::store::Kind;

/// Proposes the deployment's files (see the module docs), then waits for the report.
pub async fn propose(cx: &Cx, d: &Deployment) -> Result<Progress, ApiError> {
    let Some(repository) = provisioning_repository(cx, d).await? else {
        return Ok(Progress::AwaitingReport);
    };
    let linked = cx
        .store
        .get::<Repository>(
            Kind::Repository,
            &format!("{}:{}", repository.provider.as_str(), repository.name),
        )
        .await?
        .is_some();
    if !linked {
        tracing::debug!(deployment = %d.id, repository = %repository.name, "provisioning repository not linked; nothing proposed");
        return Ok(Progress::AwaitingReport);
    }
    let teardown = tears_down(cx, d).await?;
    let files: Vec<(String, Vec<u8>)> = if teardown {
        Vec::new()
    } else {
        match crate::rendering::render_deployment(cx, d).await? {
            Ok(files) => files
                .into_iter()
                .map(|f| (f.path, f.contents.into_bytes()))
                .collect(),
            Err(reason) => return Ok(Progress::Failed(reason)),
        }
    };
    let dir = directory(d);
    let branch = format!("proton/{}", d.id);
    let message = format!(
        "{} {} (Proton deployment {})\n\nResource: {}\n",
        if teardown { "Delete" } else { "Deploy" },
        dir,
        d.id,
        d.target_arn
    );
    let commit = cx
        .repositories
        .propose(
            &repository.provider,
            &repository.name,
            &crate::git::Change {
                base_branch: &repository.branch,
                new_branch: &branch,
                dir: &dir,
                files: &files,
                message: &message,
            },
        )
        .await
        .map_err(|e| ApiError::InternalServer(format!("proposing the deployment: {e}")))?;
    tracing::info!(deployment = %d.id, repository = %repository.name, %branch, %commit, "deployment proposed");
    Ok(Progress::AwaitingReport)
}

/// The directory a resource's files live in.
fn directory(d: &Deployment) -> String {
    let env = &d.environment_name;
    match Target::of(d) {
        Target::Environment(_) => env.clone(),
        Target::ServiceInstance(service, instance) => format!("{env}/{service}-{instance}"),
        Target::ServicePipeline(service) => format!("pipeline/{service}"),
        Target::Component(name) => format!("{env}/component-{name}"),
    }
}

async fn provisioning_repository(
    cx: &Cx,
    d: &Deployment,
) -> Result<Option<RepositoryBranch>, ApiError> {
    Ok(match Target::of(d) {
        Target::ServicePipeline(_) => cx
            .store
            .get::<AccountSettings>(Kind::AccountSettings, "settings")
            .await?
            .and_then(|s| s.doc.pipeline_provisioning_repository),
        _ => cx
            .store
            .get::<Environment>(Kind::Environment, &d.environment_name)
            .await?
            .and_then(|e| e.doc.provisioning_repository),
    })
}
