//! The CloudFormation provisioner (AWS-managed provisioning): renders the deployment's template
//! ([`crate::rendering`]), then CreateStack or UpdateStack (or DeleteStack for a teardown) on the
//! configured CloudFormation endpoint, and polls DescribeStacks until the stack settles. Stack
//! outputs become the resource's outputs and the stack's resources its provisioned resources;
//! a failed or rolled-back stack fails the deployment with CloudFormation's reason; "No updates
//! are to be performed" is a successful deployment that changed nothing.
//!
//! Stack names are deterministic (`baryon-<account>-<resource>`), so every step can run again
//! after a crash: a create that already happened finds its stack and updates it instead.
//!
//! The client is AWS's own SDK over rustls: AWS CloudFormation itself (the regional endpoint,
//! system trust roots) or any CloudFormation-compatible endpoint, `https://` or plain `http://`
//! on a trusted network or loopback (such as moto).

use std::time::Duration;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{Capability, StackStatus, Tag};
use baryon_model::manifest::RenderingEngine;
use baryon_model::proton::{
    Deployment, DeploymentStatus, Output, ProvisionedResource, ProvisionedResourceEngine,
};

use crate::context::Cx;
use crate::error::ApiError;
use crate::handlers::deploy::Target;
use crate::provision::{BoxFuture, Progress, Provisioner, tears_down};
use crate::store::Kind;

/// Where the CloudFormation API is and how to sign for it.
#[derive(Clone)]
pub struct CloudFormationConfig {
    /// `http(s)://host:port` of the CloudFormation API; `None`: AWS's endpoint for the region.
    pub endpoint: Option<String>,
    /// The region to sign for.
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key (never logged).
    pub secret_access_key: String,
    /// Session token, if any.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for CloudFormationConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudFormationConfig")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// The CloudFormation provisioner.
#[derive(Debug, Clone)]
pub struct CloudFormation {
    client: Client,
}

/// How often an in-progress stack is polled.
const POLL: Duration = Duration::from_secs(2);

impl CloudFormation {
    /// A provisioner for this endpoint (`http://` or `https://`; `None`: AWS's regional
    /// endpoint); `Err` for an endpoint that is neither.
    pub fn new(config: &CloudFormationConfig) -> Result<Self, String> {
        if let Some(endpoint) = &config.endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(format!(
                "the CloudFormation endpoint must be an http:// or https:// URL: {endpoint}"
            ));
        }
        let credentials = aws_credential_types::Credentials::new(
            config.access_key_id.clone(),
            config.secret_access_key.clone(),
            config.session_token.clone(),
            None,
            "baryon",
        );
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut conf = aws_sdk_cloudformation::Config::builder()
            .behavior_version(aws_sdk_cloudformation::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudformation::config::Region::new(
                config.region.clone(),
            ))
            .credentials_provider(credentials)
            .http_client(http);
        conf.set_endpoint_url(config.endpoint.clone());
        let conf = conf.build();
        Ok(Self {
            client: Client::from_conf(conf),
        })
    }

    /// The SDK client, for other users of the same endpoint (Service Catalog's provisioned
    /// products).
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn describe(
        &self,
        stack: &str,
    ) -> Result<Option<aws_sdk_cloudformation::types::Stack>, ApiError> {
        match self.client.describe_stacks().stack_name(stack).send().await {
            Ok(out) => Ok(out.stacks.unwrap_or_default().into_iter().next()),
            Err(e) if e.message().is_some_and(|m| m.contains("does not exist")) => Ok(None),
            Err(e) => Err(sdk_error("DescribeStacks", &e)),
        }
    }

    async fn start_deployment(&self, cx: &Cx, d: &Deployment) -> Result<Progress, ApiError> {
        let stack = stack_name(cx, d);
        if tears_down(cx, d).await? {
            if self.describe(&stack).await?.is_none() {
                return Ok(Progress::Succeeded(Vec::new()));
            }
            self.client
                .delete_stack()
                .stack_name(&stack)
                .send()
                .await
                .map_err(|e| sdk_error("DeleteStack", &e))?;
            return Ok(Progress::InProgress { poll_after: POLL });
        }
        let files = match crate::rendering::render_deployment(cx, d).await? {
            Ok(files) => files,
            Err(reason) => return Ok(Progress::Failed(format!("Rendering failed: {reason}"))),
        };
        let Some(template) = files
            .iter()
            .find(|f| f.engine == Some(RenderingEngine::Jinja))
        else {
            return Ok(Progress::Failed(
                "This template is not a CloudFormation template (its manifest renders no jinja file); Terraform and CodeBuild provisioning are not configured in this Baryon engine.".into(),
            ));
        };
        match self.describe(&stack).await? {
            Some(s)
                if !matches!(
                    s.stack_status(),
                    Some(StackStatus::DeleteComplete | StackStatus::RollbackComplete)
                ) =>
            {
                let sent = self
                    .client
                    .update_stack()
                    .stack_name(&stack)
                    .template_body(&template.contents)
                    .set_capabilities(Some(capabilities()))
                    .send()
                    .await;
                match sent {
                    Ok(_) => Ok(Progress::InProgress { poll_after: POLL }),
                    Err(e)
                        if e.message()
                            .is_some_and(|m| m.contains("No updates are to be performed")) =>
                    {
                        Ok(Progress::Succeeded(outputs(&s)))
                    }
                    Err(e) => Ok(Progress::Failed(format!(
                        "CloudFormation refused the update: {}",
                        e.message().unwrap_or("no reason given")
                    ))),
                }
            }
            existing => {
                if existing.is_some() {
                    // A stack whose creation rolled back can't be updated: start it afresh.
                    self.client
                        .delete_stack()
                        .stack_name(&stack)
                        .send()
                        .await
                        .map_err(|e| sdk_error("DeleteStack", &e))?;
                }
                let sent = self
                    .client
                    .create_stack()
                    .stack_name(&stack)
                    .template_body(&template.contents)
                    .set_capabilities(Some(capabilities()))
                    .tags(Tag::builder().key("baryon:deployment").value(&d.id).build())
                    .tags(
                        Tag::builder()
                            .key("baryon:resource")
                            .value(&d.target_arn)
                            .build(),
                    )
                    .send()
                    .await;
                match sent {
                    Ok(_) => Ok(Progress::InProgress { poll_after: POLL }),
                    Err(e) if e.code() == Some("AlreadyExistsException") => {
                        // A create from an earlier run of this step: follow it.
                        Ok(Progress::InProgress { poll_after: POLL })
                    }
                    Err(e) if e.code() == Some("ValidationError") => Ok(Progress::Failed(format!(
                        "CloudFormation refused the template: {}",
                        e.message().unwrap_or("no reason given")
                    ))),
                    Err(e) => Err(sdk_error("CreateStack", &e)),
                }
            }
        }
    }

    async fn poll_deployment(&self, cx: &Cx, d: &Deployment) -> Result<Progress, ApiError> {
        let stack = stack_name(cx, d);
        let teardown = tears_down(cx, d).await?;
        let Some(s) = self.describe(&stack).await? else {
            return Ok(if teardown {
                Progress::Succeeded(Vec::new())
            } else if d.deployment_status == DeploymentStatus::Cancelling {
                Progress::Cancelled
            } else {
                Progress::Failed(format!("The stack {stack} disappeared"))
            });
        };
        let status = s
            .stack_status()
            .cloned()
            .unwrap_or(StackStatus::ReviewInProgress);
        let reason = s.stack_status_reason().unwrap_or_default().to_owned();
        let cancelling = d.deployment_status == DeploymentStatus::Cancelling;
        Ok(match status {
            StackStatus::DeleteComplete if teardown => Progress::Succeeded(Vec::new()),
            // A cancelled update rolled back; a cancelled create was deleted.
            StackStatus::UpdateRollbackComplete | StackStatus::DeleteComplete if cancelling => {
                Progress::Cancelled
            }
            StackStatus::CreateComplete | StackStatus::UpdateComplete if !teardown => {
                self.record_resources(cx, &stack, &d.target_arn).await?;
                Progress::Succeeded(outputs(&s))
            }
            s if s.as_str().ends_with("_IN_PROGRESS") => Progress::InProgress { poll_after: POLL },
            other => {
                let why = if reason.is_empty() {
                    self.failure_reason(&stack).await
                } else {
                    reason
                };
                Progress::Failed(format!("The stack {stack} ended {}: {why}", other.as_str()))
            }
        })
    }

    /// Cancels what CloudFormation is doing for a deployment: an update is cancelled
    /// (CancelUpdateStack; the stack rolls back and the deployment ends CANCELLED), a create is
    /// stopped by deleting the half-made stack; a teardown can't be cancelled.
    async fn cancel_deployment(&self, cx: &Cx, d: &Deployment) -> Result<Progress, ApiError> {
        let stack = stack_name(cx, d);
        let Some(s) = self.describe(&stack).await? else {
            // The deployment had not reached CloudFormation: it stops here.
            return Ok(Progress::Cancelled);
        };
        match s.stack_status() {
            Some(StackStatus::UpdateInProgress) => {
                match self
                    .client
                    .cancel_update_stack()
                    .stack_name(&stack)
                    .send()
                    .await
                {
                    Ok(_) => {}
                    // The update got past the point of cancelling (it is completing): the
                    // polls report how it ended.
                    Err(e) if e.code() == Some("ValidationError") => {
                        tracing::info!(%stack, reason = e.message().unwrap_or_default(), "the update could not be cancelled");
                    }
                    Err(e) => return Err(sdk_error("CancelUpdateStack", &e)),
                }
                Ok(Progress::InProgress { poll_after: POLL })
            }
            Some(StackStatus::CreateInProgress) => {
                self.client
                    .delete_stack()
                    .stack_name(&stack)
                    .send()
                    .await
                    .map_err(|e| sdk_error("DeleteStack", &e))?;
                Ok(Progress::InProgress { poll_after: POLL })
            }
            Some(StackStatus::DeleteInProgress) => Err(ApiError::Conflict(format!(
                "The stack {stack} is being deleted; a deletion can't be cancelled."
            ))),
            Some(other) if other.as_str().ends_with("_IN_PROGRESS") => {
                Err(ApiError::Conflict(format!(
                    "The stack {stack} is {}; CloudFormation can't cancel that.",
                    other.as_str()
                )))
            }
            // The stack already settled; the next poll concludes the deployment.
            _ => Ok(Progress::InProgress { poll_after: POLL }),
        }
    }

    /// The first failure CloudFormation recorded for the stack.
    async fn failure_reason(&self, stack: &str) -> String {
        let Ok(events) = self
            .client
            .describe_stack_events()
            .stack_name(stack)
            .send()
            .await
        else {
            return "no reason given".into();
        };
        events
            .stack_events()
            .iter()
            .rev()
            .find(|e| {
                e.resource_status()
                    .is_some_and(|s| s.as_str().ends_with("_FAILED"))
            })
            .and_then(|e| e.resource_status_reason().map(str::to_owned))
            .unwrap_or_else(|| "no reason given".into())
    }

    /// Stores the stack's resources as the resource's provisioned resources.
    async fn record_resources(
        &self,
        cx: &Cx,
        stack: &str,
        target_arn: &str,
    ) -> Result<(), ApiError> {
        let listed = self
            .client
            .list_stack_resources()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| sdk_error("ListStackResources", &e))?;
        let resources: Vec<ProvisionedResource> = listed
            .stack_resource_summaries()
            .iter()
            .map(|r| ProvisionedResource {
                identifier: r.physical_resource_id().map(str::to_owned),
                name: r.logical_resource_id().map(str::to_owned),
                provisioning_engine: Some(ProvisionedResourceEngine::Cloudformation),
            })
            .collect();
        crate::handlers::deployment::store_provisioned_resources(cx, target_arn, &resources).await
    }
}

fn capabilities() -> Vec<Capability> {
    vec![
        Capability::CapabilityIam,
        Capability::CapabilityNamedIam,
        Capability::CapabilityAutoExpand,
    ]
}

fn outputs(s: &aws_sdk_cloudformation::types::Stack) -> Vec<Output> {
    s.outputs()
        .iter()
        .map(|o| Output {
            key: o.output_key().map(str::to_owned),
            value_string: o.output_value().map(str::to_owned),
        })
        .collect()
}

fn sdk_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    op: &str,
    e: &aws_sdk_cloudformation::error::SdkError<E>,
) -> ApiError {
    let detail = e.message().map_or_else(
        || format!("{}", aws_sdk_cloudformation::error::DisplayErrorContext(e)),
        str::to_owned,
    );
    ApiError::InternalServer(format!("CloudFormation {op} failed: {detail}"))
}

/// `baryon-<account>-<resource>`: deterministic, within CloudFormation's name rules.
pub fn stack_name(cx: &Cx, d: &Deployment) -> String {
    let resource = match Target::of(d) {
        Target::Environment(e) => format!("env-{e}"),
        Target::ServiceInstance(s, i) => format!("svc-{s}-{i}"),
        Target::ServicePipeline(s) => format!("svc-{s}-pipeline"),
        Target::Component(c) => format!("component-{c}"),
    };
    let name: String = format!("baryon-{}-{resource}", cx.config.account_id)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name.chars().take(128).collect()
}

impl Provisioner for CloudFormation {
    fn name(&self) -> &'static str {
        "cloudformation"
    }

    fn start<'a>(
        &'a self,
        cx: &'a Cx,
        d: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>> {
        Box::pin(self.start_deployment(cx, d))
    }

    fn poll<'a>(
        &'a self,
        cx: &'a Cx,
        d: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>> {
        Box::pin(self.poll_deployment(cx, d))
    }

    fn cancel<'a>(
        &'a self,
        cx: &'a Cx,
        d: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>> {
        Box::pin(self.cancel_deployment(cx, d))
    }
}

/// Whether a resource kind is one CloudFormation provisions here.
pub fn provisions(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Environment | Kind::ServiceInstance | Kind::ServicePipeline | Kind::Component
    )
}
