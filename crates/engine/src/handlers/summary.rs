//! GetResourcesSummary: counts of resources, and of environments by deployment health and by how
//! far their template version is behind the recommended one.

use std::collections::BTreeMap;

use baryon_model::proton::{
    CountsSummary, DeploymentStatus, Environment, EnvironmentTemplate, GetResourcesSummaryInput,
    GetResourcesSummaryOutput, ResourceCountsSummary, ServiceTemplate, ServiceTemplateVersion,
    TemplateVersionStatus,
};
use baryon_model::version::{self, TemplateVersion};

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

/// GetResourcesSummary.
pub async fn get(
    cx: &Cx,
    _input: GetResourcesSummaryInput,
) -> Result<GetResourcesSummaryOutput, ApiError> {
    let env_templates = all::<EnvironmentTemplate>(cx, Kind::EnvironmentTemplate).await?;
    let service_templates = all::<ServiceTemplate>(cx, Kind::ServiceTemplate).await?;
    let environments = all::<Environment>(cx, Kind::Environment).await?;
    // The recommended version of each environment template in use.
    let mut recommended: BTreeMap<String, Option<TemplateVersion>> = BTreeMap::new();
    for env in &environments {
        if !recommended.contains_key(&env.template_name) {
            let versions = cx
                .store
                .list_prefixed::<ServiceTemplateVersion>(
                    Kind::EnvironmentTemplateVersion,
                    &format!("{}/", env.template_name),
                    None,
                    10_000,
                )
                .await?;
            let numbers = versions.items.iter().filter_map(|(v, _)| {
                TemplateVersion::parse(&format!("{}.{}", v.major_version, v.minor_version))
                    .ok()
                    .map(|n| (n, v.status == TemplateVersionStatus::Published))
            });
            recommended.insert(env.template_name.clone(), version::recommended(numbers));
        }
    }
    let (mut failed, mut up_to_date, mut behind_minor, mut behind_major) = (0, 0, 0, 0);
    for env in &environments {
        if env.deployment_status == DeploymentStatus::Failed {
            failed += 1;
        }
        let current = TemplateVersion::parse(&format!(
            "{}.{}",
            env.template_major_version, env.template_minor_version
        ))
        .ok();
        match (
            current,
            recommended.get(&env.template_name).copied().flatten(),
        ) {
            (Some(c), Some(r)) if c.major < r.major => behind_major += 1,
            (Some(c), Some(r)) if c.major == r.major && c.minor < r.minor => behind_minor += 1,
            _ => up_to_date += 1,
        }
    }
    let total = |n: usize| {
        Some(ResourceCountsSummary {
            total: count(n),
            ..ResourceCountsSummary::default()
        })
    };
    Ok(GetResourcesSummaryOutput {
        counts: CountsSummary {
            components: total(0),
            environment_templates: total(env_templates.len()),
            environments: Some(ResourceCountsSummary {
                behind_major: Some(behind_major),
                behind_minor: Some(behind_minor),
                failed: Some(failed),
                total: count(environments.len()),
                up_to_date: Some(up_to_date),
            }),
            pipelines: total(0),
            service_instances: total(0),
            service_templates: total(service_templates.len()),
            services: total(0),
        },
    })
}
