//! Provisioners: what turns a recorded deployment into infrastructure. The job queue
//! ([`crate::jobs`]) drives them — `start` when a deployment's job first runs, `poll` when a
//! provisioner asked to be called again, `cancel` when a user cancels — and records the outcome
//! they report. A provisioner never touches the target's document itself.
//!
//! Which provisioner runs a deployment is decided in one place, [`for_deployment`]:
//! self-managed targets (environment `provisioning: CUSTOMER_MANAGED`, its instances and
//! components, pipelines of `pipelineProvisioning: CUSTOMER_MANAGED` templates) use
//! [`SelfManaged`], which waits for `NotifyResourceDeploymentStatusChange`; AWS-managed ones
//! use the provisioner their template asks for: [`crate::codebuild::CodeBuild`] for
//! `rendering_engine: codebuild` templates, else [`crate::cloudformation::CloudFormation`] —
//! when configured; otherwise [`Unavailable`] fails the deployment with a message saying what
//! is missing, never a pretend success.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use baryon_model::proton::{Deployment, Output};

use crate::context::Cx;
use crate::error::ApiError;

/// A boxed future, so provisioners can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a provisioner's work on a deployment stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Someone else reports the outcome (NotifyResourceDeploymentStatusChange).
    AwaitingReport,
    /// Still running; call `poll` again after this long.
    InProgress {
        /// When to poll again.
        poll_after: Duration,
    },
    /// Done, with these outputs.
    Succeeded(Vec<Output>),
    /// Failed, for this reason.
    Failed(String),
    /// Stopped by a cancellation.
    Cancelled,
}

/// A way of provisioning deployments. Every step must be idempotent: after a crash a step may
/// run again.
pub trait Provisioner: Send + Sync + std::fmt::Debug {
    /// A short name for logs.
    fn name(&self) -> &'static str;
    /// Begins a deployment (a teardown when its target is `DELETE_IN_PROGRESS`).
    fn start<'a>(
        &'a self,
        cx: &'a Cx,
        d: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>>;
    /// Checks on a deployment that answered [`Progress::InProgress`].
    fn poll<'a>(
        &'a self,
        cx: &'a Cx,
        d: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>>;
    /// Tries to stop a deployment in progress: [`Progress::Cancelled`] when it stopped,
    /// [`Progress::InProgress`] when stopping takes time (the deployment is `CANCELLING`).
    fn cancel<'a>(
        &'a self,
        cx: &'a Cx,
        d: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>>;
}

/// Self-managed provisioning: the rendered files are proposed to the provisioning repository
/// ([`crate::pull_request`]); the customer's own pipeline does the work and reports the
/// outcome with NotifyResourceDeploymentStatusChange.
#[derive(Debug)]
pub struct SelfManaged;

impl Provisioner for SelfManaged {
    fn name(&self) -> &'static str {
        "self-managed"
    }

    fn start<'a>(
        &'a self,
        cx: &'a Cx,
        d: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>> {
        Box::pin(crate::pull_request::propose(cx, d))
    }

    fn poll<'a>(
        &'a self,
        _: &'a Cx,
        _: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>> {
        Box::pin(async { Ok(Progress::AwaitingReport) })
    }

    fn cancel<'a>(
        &'a self,
        _: &'a Cx,
        _: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>> {
        // Nothing runs here to stop; the self-managed side sees the CANCELLED status.
        Box::pin(async { Ok(Progress::Cancelled) })
    }
}

/// Why AWS-managed deployments fail while no provisioner is configured for them.
pub const NO_PROVISIONER: &str = "AWS-managed provisioning needs a CloudFormation provisioner, and none is \
     configured in this Baryon engine; use a CUSTOMER_MANAGED (self-managed) template, or configure \
     CloudFormation provisioning when this engine offers it.";

/// A provisioning mode this engine can't run as configured: every deployment fails, saying
/// why, never a pretend success.
#[derive(Debug)]
pub struct Unavailable(pub &'static str);

/// AWS-managed provisioning with no CloudFormation provisioner configured.
pub static UNCONFIGURED: Unavailable = Unavailable(NO_PROVISIONER);

/// CodeBuild provisioning while it is off.
pub static CODEBUILD_OFF: Unavailable = Unavailable(crate::codebuild::DISABLED);

impl Provisioner for Unavailable {
    fn name(&self) -> &'static str {
        "unavailable"
    }

    fn start<'a>(
        &'a self,
        _: &'a Cx,
        _: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>> {
        Box::pin(async { Ok(Progress::Failed(self.0.to_owned())) })
    }

    fn poll<'a>(
        &'a self,
        _: &'a Cx,
        _: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>> {
        Box::pin(async { Ok(Progress::Failed(self.0.to_owned())) })
    }

    fn cancel<'a>(
        &'a self,
        _: &'a Cx,
        _: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>> {
        Box::pin(async { Ok(Progress::Cancelled) })
    }
}

/// Whether the deployment tears its target down (the target is `DELETE_IN_PROGRESS`).
pub async fn tears_down(cx: &Cx, d: &Deployment) -> Result<bool, ApiError> {
    let target = crate::handlers::deploy::Target::of(d);
    Ok(cx
        .store
        .get::<serde_json::Value>(target.kind(), &target.row())
        .await?
        .is_some_and(|r| r.doc["deploymentStatus"] == "DELETE_IN_PROGRESS"))
}

/// The provisioner that runs a deployment.
pub async fn for_deployment<'a>(
    cx: &'a Cx,
    d: &Deployment,
) -> Result<&'a dyn Provisioner, ApiError> {
    if crate::handlers::deploy::self_managed(cx, d).await? {
        return Ok(&SelfManaged);
    }
    if crate::codebuild::uses_codebuild(crate::rendering::rendering_engine(cx, d).await?) {
        return Ok(match &cx.codebuild {
            Some(codebuild) => codebuild.as_ref(),
            None => &CODEBUILD_OFF,
        });
    }
    let kind = crate::handlers::deploy::Target::of(d).kind();
    match &cx.cloudformation {
        Some(cfn) if crate::cloudformation::provisions(kind) => Ok(cfn.as_ref()),
        _ => Ok(&UNCONFIGURED),
    }
}
