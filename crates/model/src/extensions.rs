//! Baryon's own operations, beside Proton's: what AWS Proton never offered and a console
//! needs. Same protocol as Proton (awsJson 1.0, `POST /`, SigV4 for `proton`) under their own
//! `X-Amz-Target` prefix, [`TARGET_PREFIX`], so they can never be mistaken for a Proton
//! operation and a Proton client never sees them.
//!
//! - `GetRenderInputs` ([`GetRenderInputsInput`]): what a rendered-IaC preview needs besides
//!   the spec being edited — the template version's bundle and schema and the namespaces the
//!   engine fills from stored resources — for the proposed template version and, when the
//!   resource exists, for what it is deployed with now (with its spec). The answer is
//!   `{"proposed": RenderInputs, "current": RenderInputs?}` (`render::preview::RenderInputs`).

use serde::{Deserialize, Serialize};

/// The `X-Amz-Target` prefix of Baryon's operations.
pub const TARGET_PREFIX: &str = "Baryon20261203";

/// Baryon's operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `GetRenderInputs`.
    GetRenderInputs,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Self; 1] = [Self::GetRenderInputs];

    /// The operation's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::GetRenderInputs => "GetRenderInputs",
        }
    }

    /// The operation of this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// What a preview renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PreviewTarget {
    /// An environment (`environmentName`).
    Environment,
    /// A service instance (`serviceName`, `serviceInstanceName`, `environmentName`).
    ServiceInstance,
    /// A service's pipeline (`serviceName`).
    ServicePipeline,
}

/// `GetRenderInputs`' input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetRenderInputsInput {
    /// What is rendered.
    pub target: PreviewTarget,
    /// The environment rendered, or the one the service instance is (to be) deployed in.
    #[serde(default)]
    pub environment_name: Option<String>,
    /// The service (service instances and pipelines); it need not exist yet.
    #[serde(default)]
    pub service_name: Option<String>,
    /// The service instance; it need not exist yet.
    #[serde(default)]
    pub service_instance_name: Option<String>,
    /// The template the create or update uses.
    pub template_name: String,
    /// Its major version.
    pub template_major_version: String,
    /// Its minor version.
    pub template_minor_version: String,
}
