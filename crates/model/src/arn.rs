//! Proton ARNs (`arn:aws:proton:<region>:<account>:<resource>`) and resource names.
//!
//! Resources:
//! - `environment/NAME`
//! - `environment-template/NAME`, and a version: `environment-template/NAME:MAJOR.MINOR`
//! - `service-template/NAME`, and a version: `service-template/NAME:MAJOR.MINOR`
//! - `service/NAME`, `service/SERVICE/service-instance/NAME`, `service/SERVICE/pipeline`
//! - `component/NAME`
//! - `environment-account-connection/ID`
//! - `repository/PROVIDER:NAME` (provider in lower case, such as `github`; name such as
//!   `org/repo`)
//! - `deployment/ID`

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::version::TemplateVersion;

/// The partitions Proton ARNs may name.
pub const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

/// The resource types a Proton ARN may name, as written in the ARN.
pub const RESOURCE_TYPES: [&str; 8] = [
    "environment",
    "environment-template",
    "service-template",
    "service",
    "component",
    "environment-account-connection",
    "repository",
    "deployment",
];

/// The longest resource name Proton accepts.
pub const MAX_NAME_LEN: usize = 100;

/// A parsed Proton ARN. [`fmt::Display`] rebuilds the exact text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct ProtonArn {
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
    /// The region, such as `us-east-1`.
    pub region: String,
    /// The 12-digit account ID.
    pub account_id: String,
    /// The resource the ARN names.
    pub resource: ProtonResource,
}

/// The resource part of a Proton ARN. Serialized with a `type` tag in the ARN's spelling
/// (`service-instance`, `environment-template-version`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[serde(
    tag = "type",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum ProtonResource {
    /// `environment/NAME`.
    Environment {
        /// The environment's name.
        name: String,
    },
    /// `environment-template/NAME`.
    EnvironmentTemplate {
        /// The template's name.
        name: String,
    },
    /// `environment-template/NAME:MAJOR.MINOR`.
    EnvironmentTemplateVersion {
        /// The template's name.
        template_name: String,
        /// The version.
        version: TemplateVersion,
    },
    /// `service-template/NAME`.
    ServiceTemplate {
        /// The template's name.
        name: String,
    },
    /// `service-template/NAME:MAJOR.MINOR`.
    ServiceTemplateVersion {
        /// The template's name.
        template_name: String,
        /// The version.
        version: TemplateVersion,
    },
    /// `service/NAME`.
    Service {
        /// The service's name.
        name: String,
    },
    /// `service/SERVICE/service-instance/NAME`.
    ServiceInstance {
        /// The service's name.
        service_name: String,
        /// The instance's name.
        name: String,
    },
    /// `service/SERVICE/pipeline`.
    ServicePipeline {
        /// The service's name.
        service_name: String,
    },
    /// `component/NAME`.
    Component {
        /// The component's name.
        name: String,
    },
    /// `environment-account-connection/ID`.
    EnvironmentAccountConnection {
        /// The connection's ID (a lower-case UUID).
        id: String,
    },
    /// `repository/PROVIDER:NAME`.
    Repository {
        /// The provider in lower case (`github`, `bitbucket`, ...).
        provider: String,
        /// The repository's name (`org/repo`).
        name: String,
    },
    /// `deployment/ID`.
    Deployment {
        /// The deployment's ID (a lower-case UUID).
        id: String,
    },
}

/// Why a string is not a Proton ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// Not of the form `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
    #[error("{0:?} is not an ARN: expected arn:PARTITION:proton:REGION:ACCOUNT:RESOURCE")]
    NotAnArn(String),
    /// An unknown partition.
    #[error("unknown partition {0:?}: expected aws, aws-cn or aws-us-gov")]
    Partition(String),
    /// Another service's ARN.
    #[error("not an AWS Proton ARN: the service is {0:?}, expected \"proton\"")]
    Service(String),
    /// A malformed region.
    #[error("invalid region {0:?}: expected a region such as us-east-1")]
    Region(String),
    /// A malformed account ID.
    #[error("invalid account ID {0:?}: expected 12 digits")]
    Account(String),
    /// A resource type Proton does not have.
    #[error(
        "unknown Proton resource type {0:?}: expected environment, \
            environment-template, service-template, service, component, \
            environment-account-connection, repository or deployment"
    )]
    ResourceType(String),
    /// A malformed resource part.
    #[error("invalid resource {resource:?}: {reason}")]
    Resource {
        /// The resource part of the ARN.
        resource: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Checks a Proton resource name (environment, service, service instance, template,
/// component): 1 to 100 characters matching `^[0-9A-Za-z]+[0-9A-Za-z_\-]*$`.
pub fn validate_resource_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err("must not be empty".to_owned());
    };
    if name.chars().count() > MAX_NAME_LEN {
        return Err(format!("must be at most {MAX_NAME_LEN} characters long"));
    }
    if !first.is_ascii_alphanumeric() {
        return Err("must start with a letter or a digit".to_owned());
    }
    if let Some(bad) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-')) {
        return Err(format!(
            "must contain only letters, digits, hyphens and underscores (found {bad:?})"
        ));
    }
    Ok(())
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, len)| {
            g.len() == len
                && g.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

fn is_region(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}

fn is_provider(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// `[A-Za-z0-9_.-].*/[A-Za-z0-9_.-].*`, 1 to 100 characters.
fn check_repository_name(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(format!(
            "repository name must be 1 to {MAX_NAME_LEN} characters long"
        ));
    }
    let Some((owner, repo)) = name.split_once('/') else {
        return Err(format!(
            "repository name {name:?} must have the form owner/repository"
        ));
    };
    if !owner.starts_with(ok_char) || !repo.starts_with(ok_char) {
        return Err(format!(
            "repository name {name:?} must have the form owner/repository"
        ));
    }
    Ok(())
}

impl ProtonResource {
    /// The resource part of the ARN (`service/orders/service-instance/prod`).
    pub fn path(&self) -> String {
        match self {
            Self::Environment { name } => format!("environment/{name}"),
            Self::EnvironmentTemplate { name } => format!("environment-template/{name}"),
            Self::EnvironmentTemplateVersion {
                template_name,
                version,
            } => {
                format!("environment-template/{template_name}:{version}")
            }
            Self::ServiceTemplate { name } => format!("service-template/{name}"),
            Self::ServiceTemplateVersion {
                template_name,
                version,
            } => {
                format!("service-template/{template_name}:{version}")
            }
            Self::Service { name } => format!("service/{name}"),
            Self::ServiceInstance { service_name, name } => {
                format!("service/{service_name}/service-instance/{name}")
            }
            Self::ServicePipeline { service_name } => format!("service/{service_name}/pipeline"),
            Self::Component { name } => format!("component/{name}"),
            Self::EnvironmentAccountConnection { id } => {
                format!("environment-account-connection/{id}")
            }
            Self::Repository { provider, name } => format!("repository/{provider}:{name}"),
            Self::Deployment { id } => format!("deployment/{id}"),
        }
    }

    /// Parses the resource part of a Proton ARN.
    pub fn parse(resource: &str) -> Result<Self, ArnError> {
        let bad = |reason: String| ArnError::Resource {
            resource: resource.to_owned(),
            reason,
        };
        let name = |what: &str, n: &str| -> Result<String, ArnError> {
            validate_resource_name(n).map_err(|e| bad(format!("{what} {n:?} {e}")))?;
            Ok(n.to_owned())
        };
        let Some((kind, rest)) = resource.split_once('/') else {
            return if RESOURCE_TYPES.contains(&resource) {
                Err(bad(format!("expected {resource}/NAME")))
            } else {
                Err(ArnError::ResourceType(resource.to_owned()))
            };
        };
        let template = |rest: &str,
                        plain: fn(String) -> Self,
                        versioned: fn(String, TemplateVersion) -> Self| {
            match rest.split_once(':') {
                None => Ok(plain(name("template name", rest)?)),
                Some((n, v)) => {
                    let version = TemplateVersion::parse(v).map_err(|e| bad(e.to_string()))?;
                    Ok(versioned(name("template name", n)?, version))
                }
            }
        };
        match kind {
            "environment" => Ok(Self::Environment {
                name: name("environment name", rest)?,
            }),
            "environment-template" => template(
                rest,
                |name| Self::EnvironmentTemplate { name },
                |template_name, version| Self::EnvironmentTemplateVersion {
                    template_name,
                    version,
                },
            ),
            "service-template" => template(
                rest,
                |name| Self::ServiceTemplate { name },
                |template_name, version| Self::ServiceTemplateVersion {
                    template_name,
                    version,
                },
            ),
            "service" => {
                let parts: Vec<&str> = rest.split('/').collect();
                match parts.as_slice() {
                    [svc] => Ok(Self::Service {
                        name: name("service name", svc)?,
                    }),
                    [svc, "pipeline"] => Ok(Self::ServicePipeline {
                        service_name: name("service name", svc)?,
                    }),
                    [svc, "service-instance", inst] => Ok(Self::ServiceInstance {
                        service_name: name("service name", svc)?,
                        name: name("service instance name", inst)?,
                    }),
                    _ => Err(bad("expected service/NAME, service/NAME/pipeline or \
                            service/NAME/service-instance/NAME"
                        .to_owned())),
                }
            }
            "component" => Ok(Self::Component {
                name: name("component name", rest)?,
            }),
            "environment-account-connection" | "deployment" => {
                if !is_uuid(rest) {
                    return Err(bad(format!("ID {rest:?} must be a lower-case UUID")));
                }
                let id = rest.to_owned();
                Ok(if kind == "deployment" {
                    Self::Deployment { id }
                } else {
                    Self::EnvironmentAccountConnection { id }
                })
            }
            "repository" => {
                let Some((provider, repo)) = rest.split_once(':') else {
                    return Err(bad("expected repository/PROVIDER:OWNER/NAME".to_owned()));
                };
                if !is_provider(provider) {
                    return Err(bad(format!(
                        "provider {provider:?} must be in lower case, such as github"
                    )));
                }
                check_repository_name(repo).map_err(bad)?;
                Ok(Self::Repository {
                    provider: provider.to_owned(),
                    name: repo.to_owned(),
                })
            }
            other => Err(ArnError::ResourceType(other.to_owned())),
        }
    }
}

impl ProtonArn {
    /// An ARN in the `aws` partition.
    pub fn new(
        region: impl Into<String>,
        account_id: impl Into<String>,
        resource: ProtonResource,
    ) -> Self {
        Self {
            partition: "aws".to_owned(),
            region: region.into(),
            account_id: account_id.into(),
            resource,
        }
    }

    /// The same ARN in another partition.
    #[must_use]
    pub fn with_partition(mut self, partition: impl Into<String>) -> Self {
        self.partition = partition.into();
        self
    }

    /// The ARN of another resource in the same partition, region and account.
    #[must_use]
    pub fn sibling(&self, resource: ProtonResource) -> Self {
        Self {
            resource,
            ..self.clone()
        }
    }

    /// The pipeline ARN of a service ARN (`service/NAME` → `service/NAME/pipeline`).
    pub fn pipeline(&self) -> Option<Self> {
        match &self.resource {
            ProtonResource::Service { name } => {
                Some(self.sibling(ProtonResource::ServicePipeline {
                    service_name: name.clone(),
                }))
            }
            _ => None,
        }
    }

    /// Parses a Proton ARN, checking the partition, region, account and the resource part.
    pub fn parse(arn: &str) -> Result<Self, ArnError> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
            return Err(ArnError::NotAnArn(arn.to_owned()));
        };
        if *prefix != "arn" {
            return Err(ArnError::NotAnArn(arn.to_owned()));
        }
        if !PARTITIONS.contains(partition) {
            return Err(ArnError::Partition((*partition).to_owned()));
        }
        if *service != "proton" {
            return Err(ArnError::Service((*service).to_owned()));
        }
        if !is_region(region) {
            return Err(ArnError::Region((*region).to_owned()));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ArnError::Account((*account).to_owned()));
        }
        Ok(Self {
            partition: (*partition).to_owned(),
            region: (*region).to_owned(),
            account_id: (*account).to_owned(),
            resource: ProtonResource::parse(resource)?,
        })
    }
}

impl fmt::Display for ProtonArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:proton:{}:{}:{}",
            self.partition,
            self.region,
            self.account_id,
            self.resource.path()
        )
    }
}

impl std::str::FromStr for ProtonArn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
