//! The durable job queue and its worker. Background work — registering a template version,
//! running a deployment through its provisioner — is a row of `jobs`, written in the same
//! transaction as the resource it works on (or right after the target points at it), so it
//! survives a crash. One worker task per engine claims due jobs (a lease set by a conditional
//! UPDATE; an expired lease makes the job due again) and runs up to [`CONCURRENCY`] at once.
//!
//! A job that fails (storage unavailable, provisioner error) is retried with backoff; after
//! [`MAX_ATTEMPTS`] failures in a row its subject is ended with the reason (the deployment
//! `FAILED`, the version `REGISTRATION_FAILED`), so nothing stays in progress forever. At
//! start-up the embedded engine releases leases its previous process held, and any deployment
//! or registration in progress without a job (written before a crash, or by an older engine)
//! gets one.

use std::sync::Arc;
use std::time::Duration;

use baryon_model::proton::{
    Deployment, DeploymentStatus, ServiceTemplateVersion, TemplateVersionStatus,
};
use tokio::sync::Semaphore;

use crate::context::Cx;
use crate::error::ApiError;
use crate::handlers::deploy::{self, Outcome};
use crate::handlers::deployment;
use crate::handlers::template_version::{self as tv, Family};
use crate::provision::{self, Progress};
use crate::servicecatalog::provisioning as catalog;
use crate::store::{Job, Kind, NewJob};

/// Runs a deployment through its provisioner.
pub const DEPLOY: &str = "deploy";
/// How long a claimed job is a worker's before it is due again.
pub const LEASE_MILLIS: i64 = 15_000;
/// Failures in a row before a job's subject is ended with the reason.
pub const MAX_ATTEMPTS: i64 = 5;
/// Jobs run at once.
pub const CONCURRENCY: usize = 8;

/// The job kind that registers versions of a family.
pub fn register_kind(family: Family) -> &'static str {
    match family {
        Family::Environment => "register:environment_template_version",
        Family::Service => "register:service_template_version",
    }
}

/// A new job row for `kind` on `subject`, with a fresh id.
pub fn new_job<'a>(id: &'a str, kind: &'a str, subject: &'a str) -> NewJob<'a> {
    NewJob { id, kind, subject }
}

/// Enqueues the job that runs deployment `id` and wakes the worker. Called once the target
/// points at the deployment.
pub async fn enqueue_deployment(cx: &Cx, id: &str) -> Result<(), ApiError> {
    let job_id = cx.ids.uuid();
    cx.store.enqueue(&new_job(&job_id, DEPLOY, id)).await?;
    cx.wake.notify_one();
    Ok(())
}

/// What a job step asks for next.
enum Next {
    Done,
    PollAfter(Duration),
}

/// Starts the worker: claims due jobs, runs them, sleeps until woken or a second passes.
pub fn spawn_worker(cx: Cx) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let permits = Arc::new(Semaphore::new(CONCURRENCY));
        loop {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            match cx.store.claim_job(LEASE_MILLIS).await {
                Ok(Some(job)) => {
                    let cx = cx.clone();
                    tokio::spawn(async move {
                        run(&cx, job).await;
                        drop(permit);
                    });
                }
                Ok(None) => {
                    drop(permit);
                    tokio::select! {
                        () = cx.wake.notified() => {}
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
                Err(e) => {
                    drop(permit);
                    tracing::warn!(error = %e, "could not claim a job");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}

/// Wakes the worker when a job deferred this long is due, so a quick poll (a CodeBuild-style
/// run checked every 100 ms) does not wait for the worker's one-second idle sleep.
fn wake_after(cx: &Cx, after: Duration) {
    if after < Duration::from_secs(1) {
        let wake = cx.wake.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            wake.notify_one();
        });
    }
}

async fn run(cx: &Cx, job: Job) {
    let acx = cx.for_account(&job.account_id);
    let result = match job.kind.as_str() {
        DEPLOY => deploy_step(&acx, &job).await,
        k if k == register_kind(Family::Environment) => {
            register(&acx, Family::Environment, &job).await
        }
        k if k == register_kind(Family::Service) => register(&acx, Family::Service, &job).await,
        catalog::JOB => catalog::step(&acx, &job.subject, job.step == "poll")
            .await
            .map(|next| next.map_or(Next::Done, Next::PollAfter)),
        other => Err(ApiError::InternalServer(format!(
            "unknown job kind {other}"
        ))),
    };
    let now = cx.clock.now().as_millis();
    let recorded = match result {
        Ok(Next::Done) => cx.store.finish_job(&job.id).await,
        Ok(Next::PollAfter(after)) => {
            let at = now.saturating_add(i64::try_from(after.as_millis()).unwrap_or(i64::MAX));
            let deferred = cx.store.defer_job(&job.id, "poll", at, true).await;
            wake_after(cx, after);
            deferred
        }
        Err(e) if job.attempts < MAX_ATTEMPTS => {
            let backoff = 500 * (1_i64 << job.attempts.clamp(0, 6));
            tracing::warn!(job = %job.id, kind = %job.kind, subject = %job.subject, attempt = job.attempts, error = %e, "job failed; retrying");
            cx.store
                .defer_job(&job.id, &job.step, now + backoff, false)
                .await
        }
        Err(e) => {
            tracing::warn!(job = %job.id, kind = %job.kind, subject = %job.subject, error = %e, "job failed too often; ending its work");
            if let Err(give_up) = give_up(&acx, &job, &e).await {
                tracing::warn!(job = %job.id, error = %give_up, "could not end the job's work");
                return; // leave the job leased; it is retried when the lease expires
            }
            cx.store.finish_job(&job.id).await
        }
    };
    if let Err(e) = recorded {
        tracing::warn!(job = %job.id, error = %e, "could not record a job's progress");
    }
}

async fn deploy_step(cx: &Cx, job: &Job) -> Result<Next, ApiError> {
    let d = match deployment::load(cx, &job.subject).await {
        Ok((d, _)) => d,
        Err(ApiError::ResourceNotFound(_)) => return Ok(Next::Done),
        Err(e) => return Err(e),
    };
    if deployment::is_terminal(&d.deployment_status) {
        return Ok(Next::Done);
    }
    let provisioner = provision::for_deployment(cx, &d).await?;
    let progress = if job.step == "poll" {
        provisioner.poll(cx, &d).await?
    } else {
        provisioner.start(cx, &d).await?
    };
    tracing::debug!(deployment = %d.id, provisioner = provisioner.name(), ?progress, "deployment step");
    let outcome = match progress {
        Progress::AwaitingReport => return Ok(Next::Done),
        Progress::InProgress { poll_after } => return Ok(Next::PollAfter(poll_after)),
        Progress::Succeeded(outputs) => (Outcome::Succeeded, outputs),
        Progress::Failed(reason) => (Outcome::Failed(reason), Vec::new()),
        Progress::Cancelled => (Outcome::Cancelled, Vec::new()),
    };
    deploy::conclude_and_refresh(cx, &d.id, outcome.0, &outcome.1).await?;
    Ok(Next::Done)
}

async fn register(cx: &Cx, family: Family, job: &Job) -> Result<Next, ApiError> {
    tv::run_registration(cx, family, &job.subject).await?;
    Ok(Next::Done)
}

/// Ends a job's subject after too many failures.
async fn give_up(cx: &Cx, job: &Job, error: &ApiError) -> Result<(), ApiError> {
    let reason =
        format!("Baryon could not complete this work after {MAX_ATTEMPTS} attempts: {error}");
    if job.kind == DEPLOY {
        deploy::conclude_and_refresh(cx, &job.subject, Outcome::Failed(reason), &[]).await?;
    } else if job.kind == catalog::JOB {
        catalog::give_up(cx, &job.subject, &reason).await?;
    } else {
        let family = if job.kind == register_kind(Family::Environment) {
            Family::Environment
        } else {
            Family::Service
        };
        tv::fail_registration(cx, family, &job.subject, &reason).await?;
    }
    Ok(())
}

/// Start-up recovery for one account: every deployment or registration in progress without a
/// job gets one. Returns how many.
pub async fn recover(cx: &Cx) -> Result<usize, ApiError> {
    let mut n = 0;
    for status in [DeploymentStatus::InProgress, DeploymentStatus::Cancelling] {
        for d in cx
            .store
            .list_by_status::<Deployment>(Kind::Deployment, status.as_str())
            .await?
        {
            if !cx.store.has_job(DEPLOY, &d.id).await? {
                enqueue_deployment(cx, &d.id).await?;
                n += 1;
            }
        }
    }
    for family in [Family::Environment, Family::Service] {
        for v in cx
            .store
            .list_by_status::<ServiceTemplateVersion>(
                family.version_kind(),
                TemplateVersionStatus::RegistrationInProgress.as_str(),
            )
            .await?
        {
            let row = tv::row_name_of(&v)?;
            if !cx.store.has_job(register_kind(family), &row).await? {
                let id = cx.ids.uuid();
                cx.store
                    .enqueue(&new_job(&id, register_kind(family), &row))
                    .await?;
                n += 1;
            }
        }
    }
    n += catalog::recover(cx).await?;
    if n > 0 {
        cx.wake.notify_one();
    }
    Ok(n)
}
