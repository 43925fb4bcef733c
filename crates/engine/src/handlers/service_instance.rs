//! ListServiceInstances: the instances of every service (or of one), with the API's filters
//! (`name`, `deploymentStatus`, `templateName`, `serviceName`, `environmentName`,
//! `deployedTemplateVersionStatus`, `createdAt{Before,After}`,
//! `lastDeploymentAttemptedAt{Before,After}`) and sorting (`sortBy`, `sortOrder`).
//!
//! Without `sortBy`, rows are read in index order (service, then instance) and filtered page by
//! page. With `sortBy`, the matching instances are read, sorted (ties broken by service, then
//! instance) and paged by position; the `nextToken` is tied to the request's sort and filters.
//! `deployedTemplateVersionStatus` takes `UP_TO_DATE`, `BEHIND_MINOR` or `BEHIND_MAJOR` (how far
//! the instance's version is behind its template's recommended version). Time filters take
//! RFC 3339 date-times.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use baryon_model::Timestamp;
use baryon_model::proton::{
    ListServiceInstancesFilterBy as By, ListServiceInstancesInput, ListServiceInstancesOutput,
    ListServiceInstancesSortBy as SortBy, Service, ServiceInstance, ServiceInstanceSummary,
    SortOrder,
};
use baryon_model::version::TemplateVersion;
use sha2::{Digest, Sha256};

use super::summary::{Lag, recommended_versions};
use super::template_version::{Family, convert};
use super::{Rows, filtered_page, page_size};
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::Kind;

/// One parsed filter.
enum Filter {
    Equals(By, String),
    Lag(Lag),
    Before(By, Timestamp),
    After(By, Timestamp),
}

fn parse_filters(input: &ListServiceInstancesInput) -> Result<Vec<Filter>, ApiError> {
    let mut out = Vec::new();
    for f in input.filters.iter().flatten() {
        let (Some(key), Some(value)) = (&f.key, &f.value) else {
            return Err(ApiError::Validation(
                "Each filter needs a key and a value.".into(),
            ));
        };
        let time = || {
            Timestamp::parse_rfc3339(value).ok_or_else(|| {
                ApiError::Validation(format!(
                    "The {key} filter value '{value}' is not an RFC 3339 date-time (for example 1985-04-12T23:20:50.52Z)."
                ))
            })
        };
        out.push(match key {
            By::Name | By::DeploymentStatus | By::TemplateName | By::ServiceName | By::EnvironmentName => {
                Filter::Equals(key.clone(), value.clone())
            }
            By::DeployedTemplateVersionStatus => Filter::Lag(match value.as_str() {
                "UP_TO_DATE" => Lag::UpToDate,
                "BEHIND_MINOR" => Lag::BehindMinor,
                "BEHIND_MAJOR" => Lag::BehindMajor,
                _ => {
                    return Err(ApiError::Validation(format!(
                        "The deployedTemplateVersionStatus filter takes UP_TO_DATE, BEHIND_MINOR or BEHIND_MAJOR, not '{value}'."
                    )));
                }
            }),
            By::CreatedAtBefore | By::LastDeploymentAttemptedAtBefore => {
                Filter::Before(key.clone(), time()?)
            }
            By::CreatedAtAfter | By::LastDeploymentAttemptedAtAfter => {
                Filter::After(key.clone(), time()?)
            }
            By::Unknown(k) => {
                return Err(ApiError::Validation(format!("Unknown filter key {k}.")));
            }
        });
    }
    Ok(out)
}

fn time_of(key: &By, i: &ServiceInstance) -> Timestamp {
    match key {
        By::CreatedAtBefore | By::CreatedAtAfter => i.created_at,
        _ => i.last_deployment_attempted_at,
    }
}

fn matches(
    filters: &[Filter],
    recommended: &BTreeMap<String, Option<TemplateVersion>>,
    i: &ServiceInstance,
) -> bool {
    filters.iter().all(|f| match f {
        Filter::Equals(key, value) => match key {
            By::Name => i.name == *value,
            By::DeploymentStatus => i.deployment_status.as_str() == value,
            By::TemplateName => i.template_name == *value,
            By::ServiceName => i.service_name == *value,
            _ => i.environment_name == *value,
        },
        Filter::Lag(lag) => {
            Lag::of(
                &i.template_major_version,
                &i.template_minor_version,
                recommended.get(&i.template_name).copied().flatten(),
            ) == *lag
        }
        Filter::Before(key, t) => time_of(key, i) < *t,
        Filter::After(key, t) => time_of(key, i) > *t,
    })
}

fn compare(by: &SortBy, a: &ServiceInstance, b: &ServiceInstance) -> Ordering {
    let primary = match by {
        SortBy::DeploymentStatus => a
            .deployment_status
            .as_str()
            .cmp(b.deployment_status.as_str()),
        SortBy::TemplateName => a.template_name.cmp(&b.template_name),
        SortBy::ServiceName => a.service_name.cmp(&b.service_name),
        SortBy::EnvironmentName => a.environment_name.cmp(&b.environment_name),
        SortBy::LastDeploymentAttemptedAt => a
            .last_deployment_attempted_at
            .cmp(&b.last_deployment_attempted_at),
        SortBy::CreatedAt => a.created_at.cmp(&b.created_at),
        SortBy::Name | SortBy::Unknown(_) => a.name.cmp(&b.name),
    };
    primary
        .then_with(|| a.service_name.cmp(&b.service_name))
        .then_with(|| a.name.cmp(&b.name))
}

/// ListServiceInstances.
pub async fn list(
    cx: &Cx,
    input: ListServiceInstancesInput,
) -> Result<ListServiceInstancesOutput, ApiError> {
    if let Some(service) = &input.service_name
        && cx
            .store
            .get::<Service>(Kind::Service, service)
            .await?
            .is_none()
    {
        return Err(ApiError::not_found("service", service));
    }
    if let Some(SortBy::Unknown(s)) = &input.sort_by {
        return Err(ApiError::Validation(format!("Unknown sortBy {s}.")));
    }
    if let Some(SortOrder::Unknown(s)) = &input.sort_order {
        return Err(ApiError::Validation(format!("Unknown sortOrder {s}.")));
    }
    let filters = parse_filters(&input)?;
    let recommended = if filters.iter().any(|f| matches!(f, Filter::Lag(_))) {
        let templates = cx
            .store
            .list::<serde_json::Value>(Kind::ServiceTemplate, None, None, 100_000)
            .await?
            .items;
        let names: Vec<&str> = templates
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        recommended_versions(cx, Family::Service, &names).await?
    } else {
        BTreeMap::new()
    };
    let prefix = input
        .service_name
        .as_deref()
        .map(|s| format!("{s}/"))
        .unwrap_or_default();
    // The token is only valid for the same service, sort and filters.
    let request = serde_json::to_string(&(&input.filters, &input.sort_by, &input.sort_order))
        .unwrap_or_default();
    let scope = format!(
        "ListServiceInstances:{prefix}:{}",
        hex::encode(&Sha256::digest(request.as_bytes())[..8])
    );
    let keep = |i: &ServiceInstance| matches(&filters, &recommended, i);
    let Some(sort_by) = &input.sort_by else {
        let (service_instances, next_token) = filtered_page::<ServiceInstance, _>(
            cx,
            Rows::Prefixed(Kind::ServiceInstance, &prefix),
            &scope,
            input.next_token.as_deref(),
            input.max_results,
            |i| format!("{}/{}", i.service_name, i.name),
            keep,
        )
        .await?;
        return Ok(ListServiceInstancesOutput {
            next_token,
            service_instances,
        });
    };
    let mut all: Vec<ServiceInstance> = cx
        .store
        .list_prefixed::<ServiceInstance>(Kind::ServiceInstance, &prefix, None, usize::MAX / 2)
        .await?
        .items
        .into_iter()
        .map(|(i, _)| i)
        .filter(|i| keep(i))
        .collect();
    all.sort_by(|a, b| compare(sort_by, a, b));
    if input.sort_order == Some(SortOrder::Descending) {
        all.reverse();
    }
    let start = match input.next_token.as_deref() {
        Some(t) => cx
            .parse_next_token(&scope, t)?
            .parse::<usize>()
            .map_err(|_| ApiError::Validation(format!("The nextToken '{t}' is not valid.")))?,
        None => 0,
    };
    let size = page_size(input.max_results);
    let end = start.saturating_add(size).min(all.len());
    let service_instances = all
        .get(start.min(end)..end)
        .unwrap_or_default()
        .iter()
        .map(convert::<_, ServiceInstanceSummary>)
        .collect::<Result<_, _>>()?;
    Ok(ListServiceInstancesOutput {
        next_token: (end < all.len()).then(|| cx.next_token(&scope, &end.to_string())),
        service_instances,
    })
}
