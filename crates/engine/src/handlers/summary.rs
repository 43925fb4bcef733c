//! GetResourcesSummary: counts of every resource kind, and for deployed resources
//! (environments, service instances, pipelines) how many failed and how far their template
//! version is behind the recommended one.

use std::collections::BTreeMap;

use baryon_model::proton::{
    Component, CountsSummary, DeploymentStatus, Environment, EnvironmentTemplate,
    GetResourcesSummaryInput, GetResourcesSummaryOutput, ResourceCountsSummary, Service,
    ServiceInstance, ServicePipeline, ServiceTemplate, ServiceTemplateVersion,
};
use baryon_model::version::{self, TemplateVersion};

use super::template_version::Family;
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::Kind;

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

async fn all<T: serde::de::DeserializeOwned>(cx: &Cx, kind: Kind) -> Result<Vec<T>, ApiError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = cx
            .store
            .list::<T>(kind, None, after.as_deref(), 1000)
            .await?;
        out.extend(page.items);
        match page.next_after {
            Some(a) => after = Some(a),
            None => return Ok(out),
        }
    }
}

/// What the summary needs of a deployed resource.
struct Deployed<'a> {
    template: &'a str,
    major: &'a str,
    minor: &'a str,
    failed: bool,
}

/// How far a deployed version is behind its template's recommended version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lag {
    /// On the recommended version (or there is none).
    UpToDate,
    /// On the recommended major version, behind its minor.
    BehindMinor,
    /// On an older major version.
    BehindMajor,
}

impl Lag {
    /// The lag of `major.minor` behind `recommended`.
    pub fn of(major: &str, minor: &str, recommended: Option<TemplateVersion>) -> Lag {
        let current = TemplateVersion::parse(&format!("{major}.{minor}")).ok();
        match (current, recommended) {
            (Some(c), Some(r)) if c.major < r.major => Lag::BehindMajor,
            (Some(c), Some(r)) if c.major == r.major && c.minor < r.minor => Lag::BehindMinor,
            _ => Lag::UpToDate,
        }
    }

    /// `UP_TO_DATE`, `BEHIND_MINOR`, `BEHIND_MAJOR` (the values ListServiceInstances'
    /// `deployedTemplateVersionStatus` filter takes).
    pub fn as_str(self) -> &'static str {
        match self {
            Lag::UpToDate => "UP_TO_DATE",
            Lag::BehindMinor => "BEHIND_MINOR",
            Lag::BehindMajor => "BEHIND_MAJOR",
        }
    }
}

/// The recommended version of each of `templates` (of one family).
pub async fn recommended_versions(
    cx: &Cx,
    family: Family,
    templates: &[&str],
) -> Result<BTreeMap<String, Option<TemplateVersion>>, ApiError> {
    let version_kind = match family {
        Family::Environment => Kind::EnvironmentTemplateVersion,
        Family::Service => Kind::ServiceTemplateVersion,
    };
    let mut recommended = BTreeMap::new();
    for &template in templates {
        if !recommended.contains_key(template) {
            let versions = cx
                .store
                .list_prefixed::<ServiceTemplateVersion>(
                    version_kind,
                    &format!("{template}/"),
                    None,
                    10_000,
                )
                .await?;
            let numbers = super::template_version::numbered(versions.items.iter().map(|(v, _)| v));
            recommended.insert(template.to_owned(), version::recommended(numbers));
        }
    }
    Ok(recommended)
}

/// Counts deployed resources of one family: total, failed, up to date, behind a minor or a major
/// version of their template's recommended version.
async fn health(
    cx: &Cx,
    family: Family,
    items: &[Deployed<'_>],
) -> Result<ResourceCountsSummary, ApiError> {
    let templates: Vec<&str> = items.iter().map(|i| i.template).collect();
    let recommended = recommended_versions(cx, family, &templates).await?;
    let (mut failed, mut up_to_date, mut behind_minor, mut behind_major) = (0, 0, 0, 0);
    for item in items {
        if item.failed {
            failed += 1;
        }
        match Lag::of(
            item.major,
            item.minor,
            recommended.get(item.template).copied().flatten(),
        ) {
            Lag::BehindMajor => behind_major += 1,
            Lag::BehindMinor => behind_minor += 1,
            Lag::UpToDate => up_to_date += 1,
        }
    }
    Ok(ResourceCountsSummary {
        behind_major: Some(behind_major),
        behind_minor: Some(behind_minor),
        failed: Some(failed),
        total: count(items.len()),
        up_to_date: Some(up_to_date),
    })
}

fn total(n: usize) -> ResourceCountsSummary {
    ResourceCountsSummary {
        total: count(n),
        ..ResourceCountsSummary::default()
    }
}

/// GetResourcesSummary.
pub async fn get(
    cx: &Cx,
    _input: GetResourcesSummaryInput,
) -> Result<GetResourcesSummaryOutput, ApiError> {
    let env_templates = all::<EnvironmentTemplate>(cx, Kind::EnvironmentTemplate).await?;
    let service_templates = all::<ServiceTemplate>(cx, Kind::ServiceTemplate).await?;
    let environments = all::<Environment>(cx, Kind::Environment).await?;
    let services = all::<Service>(cx, Kind::Service).await?;
    let instances = all::<ServiceInstance>(cx, Kind::ServiceInstance).await?;
    let pipelines = all::<ServicePipeline>(cx, Kind::ServicePipeline).await?;
    let failed = |s: &DeploymentStatus| *s == DeploymentStatus::Failed;
    let components = all::<Component>(cx, Kind::Component).await?;
    let components = ResourceCountsSummary {
        total: count(components.len()),
        failed: Some(count(
            components
                .iter()
                .filter(|c| failed(&c.deployment_status))
                .count(),
        )),
        ..ResourceCountsSummary::default()
    };
    let env_items: Vec<Deployed<'_>> = environments
        .iter()
        .map(|e| Deployed {
            template: &e.template_name,
            major: &e.template_major_version,
            minor: &e.template_minor_version,
            failed: failed(&e.deployment_status),
        })
        .collect();
    let instance_items: Vec<Deployed<'_>> = instances
        .iter()
        .map(|i| Deployed {
            template: &i.template_name,
            major: &i.template_major_version,
            minor: &i.template_minor_version,
            failed: failed(&i.deployment_status),
        })
        .collect();
    let pipeline_items: Vec<Deployed<'_>> = pipelines
        .iter()
        .map(|p| Deployed {
            template: &p.template_name,
            major: &p.template_major_version,
            minor: &p.template_minor_version,
            failed: failed(&p.deployment_status),
        })
        .collect();
    Ok(GetResourcesSummaryOutput {
        counts: CountsSummary {
            components: Some(components),
            environment_templates: Some(total(env_templates.len())),
            environments: Some(health(cx, Family::Environment, &env_items).await?),
            pipelines: Some(health(cx, Family::Service, &pipeline_items).await?),
            service_instances: Some(health(cx, Family::Service, &instance_items).await?),
            service_templates: Some(total(service_templates.len())),
            services: Some(total(services.len())),
        },
    })
}
