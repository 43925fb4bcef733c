//! Template versions of both families (environment and service), implemented once.
//!
//! Versions are stored in the `ServiceTemplateVersion` shape, a superset of
//! `EnvironmentTemplateVersion` (it adds `compatibleEnvironmentTemplates` and
//! `supportedComponentSources`); the typed handlers in `environment_template` and
//! `service_template` convert at the edge with [`convert`].
//!
//! Registration is asynchronous as on Proton: a new version is `REGISTRATION_IN_PROGRESS`, and a
//! job (written in the version's transaction, see [`crate::jobs`]) reads the bundle from the
//! artifact store and moves it to `DRAFT` or to `REGISTRATION_FAILED` with a `statusMessage`
//! saying exactly what is wrong ([`run_registration`]); a crash only delays it.

use baryon_model::proton::{
    CompatibleEnvironmentTemplate, EnvironmentTemplate, ServiceTemplate,
    ServiceTemplateSupportedComponentSourceType, ServiceTemplateVersion, Tag,
    TemplateVersionSourceInput, TemplateVersionStatus,
};
use baryon_model::version::{self, TemplateVersion};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{page_size, request_hash};
use crate::bundle::{self, TemplateKind};
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind};

/// Client tokens are honoured for eight hours.
pub const CLIENT_TOKEN_TTL_MILLIS: i64 = 8 * 60 * 60 * 1000;

/// Whether a template of the family exists.
pub async fn template_exists(cx: &Cx, family: Family, name: &str) -> Result<bool, ApiError> {
    Ok(cx
        .store
        .get::<serde_json::Value>(family.template_kind(), name)
        .await?
        .is_some())
}

/// Which template family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Environment templates.
    Environment,
    /// Service templates.
    Service,
}

impl Family {
    fn template_kind(self) -> Kind {
        match self {
            Self::Environment => Kind::EnvironmentTemplate,
            Self::Service => Kind::ServiceTemplate,
        }
    }

    /// The row kind of the family's versions.
    pub fn version_kind(self) -> Kind {
        match self {
            Self::Environment => Kind::EnvironmentTemplateVersion,
            Self::Service => Kind::ServiceTemplateVersion,
        }
    }

    /// `environment template` / `service template`.
    pub fn what(self) -> &'static str {
        match self {
            Self::Environment => "environment template",
            Self::Service => "service template",
        }
    }

    /// `environment-template` / `service-template` (ARN resource type).
    pub fn arn_type(self) -> &'static str {
        match self {
            Self::Environment => "environment-template",
            Self::Service => "service-template",
        }
    }

    fn bundle_kind(self) -> TemplateKind {
        match self {
            Self::Environment => TemplateKind::Environment,
            Self::Service => TemplateKind::Service,
        }
    }

    fn create_operation(self) -> &'static str {
        match self {
            Self::Environment => "CreateEnvironmentTemplateVersion",
            Self::Service => "CreateServiceTemplateVersion",
        }
    }
}

/// Converts between the two families' shapes through their shared JSON.
pub fn convert<A: Serialize, B: DeserializeOwned>(a: &A) -> Result<B, ApiError> {
    serde_json::to_value(a)
        .and_then(serde_json::from_value)
        .map_err(|e| ApiError::InternalServer(format!("could not convert a stored document: {e}")))
}

/// The row name of a version: zero-padded so that name order is version order.
fn row_name(template: &str, v: TemplateVersion) -> String {
    format!("{template}/{:010}.{:010}", v.major, v.minor)
}

fn major_prefix(template: &str, major: u32) -> String {
    format!("{template}/{major:010}.")
}

fn parse_major(s: &str) -> Result<u32, ApiError> {
    version::parse_version_part(s).map_err(|e| ApiError::Validation(e.to_string()))
}

fn parse_version(major: &str, minor: &str) -> Result<TemplateVersion, ApiError> {
    Ok(TemplateVersion::new(
        parse_major(major)?,
        parse_major(minor)?,
    ))
}

/// Each version's number and whether it is published — what the recommended-version and
/// deployment-type rules work on.
pub fn numbered<'a>(
    versions: impl IntoIterator<Item = &'a ServiceTemplateVersion>,
) -> Vec<(TemplateVersion, bool)> {
    versions
        .into_iter()
        .filter_map(|v| {
            version_of(v)
                .ok()
                .map(|n| (n, v.status == TemplateVersionStatus::Published))
        })
        .collect()
}

fn version_of(v: &ServiceTemplateVersion) -> Result<TemplateVersion, ApiError> {
    parse_version(&v.major_version, &v.minor_version)
}

/// Every version of a template, in version order.
async fn all_versions(
    cx: &Cx,
    family: Family,
    template: &str,
) -> Result<Vec<(ServiceTemplateVersion, i64)>, ApiError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = cx
            .store
            .list_prefixed::<ServiceTemplateVersion>(
                family.version_kind(),
                &format!("{template}/"),
                after.as_deref(),
                500,
            )
            .await?;
        out.extend(page.items);
        match page.next_after {
            Some(a) => after = Some(a),
            None => return Ok(out),
        }
    }
}

/// Loads one version.
pub async fn load(
    cx: &Cx,
    family: Family,
    template: &str,
    major: &str,
    minor: &str,
) -> Result<(ServiceTemplateVersion, i64), ApiError> {
    let v = parse_version(major, minor)?;
    let row = cx
        .store
        .get::<ServiceTemplateVersion>(family.version_kind(), &row_name(template, v))
        .await?
        .ok_or_else(|| {
            ApiError::ResourceNotFound(format!(
                "The {} version {template}:{v} was not found.",
                family.what()
            ))
        })?;
    Ok((row.doc, row.version))
}

/// What a create request asks for, whatever the family.
#[derive(Debug, Clone, Serialize)]
pub struct NewVersion {
    /// Template name.
    pub template_name: String,
    /// Requested major version (a new minor of it), or `None` for a new major.
    pub major_version: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Where the bundle is.
    pub source: TemplateVersionSourceInput,
    /// Service templates: compatible environment templates.
    pub compatible_environment_templates: Vec<CompatibleEnvironmentTemplate>,
    /// Service templates: supported component sources.
    pub supported_component_sources: Option<Vec<ServiceTemplateSupportedComponentSourceType>>,
    /// Tags.
    pub tags: Option<Vec<Tag>>,
    /// Idempotency token.
    #[serde(skip)]
    pub client_token: Option<String>,
}

async fn check_compatible_environments(
    cx: &Cx,
    compatible: &[CompatibleEnvironmentTemplate],
) -> Result<(), ApiError> {
    for c in compatible {
        let major = parse_major(&c.major_version)?;
        let versions = all_versions(cx, Family::Environment, &c.template_name).await?;
        if versions.is_empty()
            && cx
                .store
                .get::<EnvironmentTemplate>(Kind::EnvironmentTemplate, &c.template_name)
                .await?
                .is_none()
        {
            return Err(ApiError::ResourceNotFound(format!(
                "The environment template {} was not found.",
                c.template_name
            )));
        }
        if !versions
            .iter()
            .any(|(v, _)| version_of(v).is_ok_and(|tv| tv.major == major))
        {
            return Err(ApiError::Validation(format!(
                "The environment template {} has no major version {major}.",
                c.template_name
            )));
        }
    }
    Ok(())
}

/// Creates a version (CreateEnvironmentTemplateVersion / CreateServiceTemplateVersion).
pub async fn create(
    cx: &Cx,
    family: Family,
    req: NewVersion,
) -> Result<ServiceTemplateVersion, ApiError> {
    if !template_exists(cx, family, &req.template_name).await? {
        return Err(ApiError::not_found(family.what(), &req.template_name));
    }
    let hash = request_hash(&req);
    let token_scope = family.create_operation();
    let now = cx.clock.now();
    if let Some(token) = &req.client_token
        && let Some((stored_hash, name)) = cx
            .store
            .client_token(
                token_scope,
                token,
                now.as_millis() - CLIENT_TOKEN_TTL_MILLIS,
            )
            .await?
    {
        if stored_hash != hash {
            return Err(ApiError::Validation(format!(
                "IdempotentParameterMismatch: the client token {token} was used with different parameters."
            )));
        }
        // Same token, same parameters: the original version, as it is now (if it still exists).
        if let Some(row) = cx
            .store
            .get::<ServiceTemplateVersion>(family.version_kind(), &name)
            .await?
        {
            return Ok(row.doc);
        }
    }
    if family == Family::Service {
        check_compatible_environments(cx, &req.compatible_environment_templates).await?;
    }
    let requested_major = req.major_version.as_deref().map(parse_major).transpose()?;
    // Numbering races with a concurrent create; the insert decides, so retry a few times.
    for _ in 0..5 {
        let existing = all_versions(cx, family, &req.template_name).await?;
        let numbers = existing.iter().filter_map(|(v, _)| version_of(v).ok());
        let next = version::next_version(numbers, requested_major).map_err(ApiError::Validation)?;
        let arn = cx.arn(&format!(
            "{}/{}:{next}",
            family.arn_type(),
            req.template_name
        ));
        let doc = ServiceTemplateVersion {
            arn: arn.clone(),
            compatible_environment_templates: req.compatible_environment_templates.clone(),
            created_at: now,
            description: req.description.clone(),
            last_modified_at: now,
            major_version: next.major.to_string(),
            minor_version: next.minor.to_string(),
            recommended_minor_version: existing
                .iter()
                .find(|(v, _)| v.major_version == next.major.to_string())
                .and_then(|(v, _)| v.recommended_minor_version.clone()),
            schema: None,
            status: TemplateVersionStatus::RegistrationInProgress,
            status_message: None,
            supported_component_sources: req.supported_component_sources.clone(),
            template_name: req.template_name.clone(),
        };
        let name = row_name(&req.template_name, next);
        let cols = Columns {
            name: &name,
            parent: &req.template_name,
            status: doc.status.as_str(),
            arn: &arn,
        };
        let token = req
            .client_token
            .as_deref()
            .map(|t| (token_scope, t, hash.as_str()));
        let job_id = cx.ids.uuid();
        let job = crate::jobs::new_job(&job_id, crate::jobs::register_kind(family), &name);
        if cx
            .store
            .insert_version(family.version_kind(), &cols, &doc, &req.source, token, &job)
            .await?
        {
            super::tags::store_initial(cx, &arn, req.tags.as_deref()).await?;
            cx.wake.notify_one();
            return Ok(doc);
        }
    }
    Err(ApiError::Conflict(format!(
        "Another version of {} {} is being created; retry.",
        family.what(),
        req.template_name
    )))
}

/// The row name of version `major.minor` of `template`.
pub fn version_row(template: &str, major: &str, minor: &str) -> Result<String, ApiError> {
    Ok(row_name(template, parse_version(major, minor)?))
}

/// The row name of a stored version.
pub fn row_name_of(v: &ServiceTemplateVersion) -> Result<String, ApiError> {
    Ok(row_name(&v.template_name, version_of(v)?))
}

/// Runs the registration of the version stored as `row` (a job's work): reads and checks its
/// bundle and records `DRAFT` or `REGISTRATION_FAILED`. A version no longer in progress (or
/// deleted) is left alone.
pub async fn run_registration(cx: &Cx, family: Family, row: &str) -> Result<(), ApiError> {
    let Some(stored) = cx
        .store
        .get::<ServiceTemplateVersion>(family.version_kind(), row)
        .await?
    else {
        return Ok(());
    };
    if stored.doc.status != TemplateVersionStatus::RegistrationInProgress {
        return Ok(());
    }
    let v = version_of(&stored.doc)?;
    let Some(source) = cx
        .store
        .version_source::<TemplateVersionSourceInput>(family.version_kind(), row)
        .await?
    else {
        return fail_registration(
            cx,
            family,
            row,
            "the version's bundle source was not recorded",
        )
        .await;
    };
    register(cx, family, &stored.doc.template_name, v, &source).await
}

/// Ends a registration that could not run as `REGISTRATION_FAILED`, with the reason.
pub async fn fail_registration(
    cx: &Cx,
    family: Family,
    row: &str,
    reason: &str,
) -> Result<(), ApiError> {
    let Some(stored) = cx
        .store
        .get::<ServiceTemplateVersion>(family.version_kind(), row)
        .await?
    else {
        return Ok(());
    };
    record_registration(
        cx,
        family,
        &stored.doc.template_name,
        version_of(&stored.doc)?,
        &Err(reason.to_owned()),
    )
    .await
}

/// Reads and checks the bundle, then records DRAFT or REGISTRATION_FAILED.
async fn register(
    cx: &Cx,
    family: Family,
    template: &str,
    v: TemplateVersion,
    source: &TemplateVersionSourceInput,
) -> Result<(), ApiError> {
    let TemplateVersionSourceInput::S3(s3) = source;
    let outcome = match cx.artifacts.get(&s3.bucket, &s3.key).await {
        Ok(bytes) => bundle::read(&bytes)
            .and_then(|b| b.validate(family.bundle_kind()))
            .map_err(|e| e.0),
        Err(e) => Err(e.to_string()),
    };
    record_registration(cx, family, template, v, &outcome).await
}

/// Records a registration's outcome: `DRAFT` with the schema, or `REGISTRATION_FAILED` with
/// the reason (unless the version is no longer in progress).
async fn record_registration(
    cx: &Cx,
    family: Family,
    template: &str,
    v: TemplateVersion,
    outcome: &Result<String, String>,
) -> Result<(), ApiError> {
    let name = row_name(template, v);
    for _ in 0..10 {
        let Some(row) = cx
            .store
            .get::<ServiceTemplateVersion>(family.version_kind(), &name)
            .await?
        else {
            return Ok(()); // deleted meanwhile
        };
        let mut doc = row.doc;
        if doc.status != TemplateVersionStatus::RegistrationInProgress {
            return Ok(());
        }
        match outcome {
            Ok(schema) => {
                doc.status = TemplateVersionStatus::Draft;
                doc.schema = Some(schema.clone());
                doc.status_message = None;
            }
            Err(message) => {
                doc.status = TemplateVersionStatus::RegistrationFailed;
                doc.status_message = Some(message.clone());
            }
        }
        doc.last_modified_at = cx.clock.now();
        let cols = Columns {
            name: &name,
            parent: template,
            status: doc.status.as_str(),
            arn: &doc.arn,
        };
        if cx
            .store
            .update(family.version_kind(), &cols, row.version, &doc)
            .await?
        {
            tracing::debug!(template, version = %v, status = doc.status.as_str(), "registration finished");
            return Ok(());
        }
    }
    Err(ApiError::Conflict(
        "the version kept changing during registration".into(),
    ))
}

/// One page of versions (optionally of one major), in version order.
pub async fn list(
    cx: &Cx,
    family: Family,
    template: &str,
    major: Option<&str>,
    max_results: Option<i32>,
    next_token: Option<&str>,
) -> Result<(Vec<ServiceTemplateVersion>, Option<String>), ApiError> {
    let prefix = match major {
        Some(m) => major_prefix(template, parse_major(m)?),
        None => format!("{template}/"),
    };
    let scope = format!("{}:versions:{prefix}", family.arn_type());
    let after = next_token
        .map(|t| cx.parse_next_token(&scope, t))
        .transpose()?;
    let page = cx
        .store
        .list_prefixed::<ServiceTemplateVersion>(
            family.version_kind(),
            &prefix,
            after.as_deref(),
            page_size(max_results),
        )
        .await?;
    if page.items.is_empty() && after.is_none() {
        let exists = match family {
            Family::Environment => cx
                .store
                .get::<EnvironmentTemplate>(family.template_kind(), template)
                .await?
                .is_some(),
            Family::Service => cx
                .store
                .get::<ServiceTemplate>(family.template_kind(), template)
                .await?
                .is_some(),
        };
        if !exists {
            return Err(ApiError::not_found(family.what(), template));
        }
    }
    Ok((
        page.items.into_iter().map(|(d, _)| d).collect(),
        page.next_after.map(|a| cx.next_token(&scope, &a)),
    ))
}

/// What an update may change.
#[derive(Debug, Clone, Default)]
pub struct VersionChanges {
    /// New description.
    pub description: Option<String>,
    /// New status (only `DRAFT` → `PUBLISHED` is allowed).
    pub status: Option<TemplateVersionStatus>,
    /// Service templates: new compatible environment templates.
    pub compatible_environment_templates: Option<Vec<CompatibleEnvironmentTemplate>>,
    /// Service templates: new supported component sources.
    pub supported_component_sources: Option<Vec<ServiceTemplateSupportedComponentSourceType>>,
}

/// Updates a version; publishing recomputes the recommended versions.
pub async fn update(
    cx: &Cx,
    family: Family,
    template: &str,
    major: &str,
    minor: &str,
    changes: VersionChanges,
) -> Result<ServiceTemplateVersion, ApiError> {
    let (mut doc, row_version) = load(cx, family, template, major, minor).await?;
    let number = version_of(&doc)?;
    let mut publish = false;
    if let Some(status) = &changes.status {
        match (&doc.status, status) {
            (current, wanted) if current == wanted => {}
            (TemplateVersionStatus::Draft, TemplateVersionStatus::Published) => publish = true,
            (current, wanted) => {
                return Err(ApiError::Validation(format!(
                    "The status of {} version {template}:{number} cannot change from {current} to {wanted}; only DRAFT versions can be PUBLISHED.",
                    family.what()
                )));
            }
        }
    }
    if let Some(compatible) = &changes.compatible_environment_templates {
        check_compatible_environments(cx, compatible).await?;
        doc.compatible_environment_templates = compatible.clone();
    }
    if changes.supported_component_sources.is_some() {
        doc.supported_component_sources = changes.supported_component_sources;
    }
    if changes.description.is_some() {
        doc.description = changes.description;
    }
    if publish {
        doc.status = TemplateVersionStatus::Published;
    }
    doc.last_modified_at = cx.clock.now();
    let name = row_name(template, number);
    let cols = Columns {
        name: &name,
        parent: template,
        status: doc.status.as_str(),
        arn: &doc.arn,
    };
    if !cx
        .store
        .update(family.version_kind(), &cols, row_version, &doc)
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "The {} version {template}:{number} was changed concurrently; retry.",
            family.what()
        )));
    }
    if publish {
        refresh_recommended(cx, family, template).await?;
        let (fresh, _) = load(cx, family, template, major, minor).await?;
        return Ok(fresh);
    }
    Ok(doc)
}

/// Deletes a version under Proton's rules for recommended versions.
pub async fn delete(
    cx: &Cx,
    family: Family,
    template: &str,
    major: &str,
    minor: &str,
) -> Result<Option<ServiceTemplateVersion>, ApiError> {
    let v = parse_version(major, minor)?;
    let Some(row) = cx
        .store
        .get::<ServiceTemplateVersion>(family.version_kind(), &row_name(template, v))
        .await?
    else {
        return Ok(None);
    };
    let all = all_versions(cx, family, template).await?;
    let numbers = numbered(all.iter().map(|(d, _)| d));
    let recommended = version::recommended(numbers.iter().copied());
    let recommended_minor = version::recommended_minor_for_major(numbers.iter().copied(), v.major);
    if recommended == Some(v) && numbers.len() > 1 {
        return Err(ApiError::Conflict(format!(
            "{template}:{v} is the recommended version of the {}; it can only be deleted when it is the last version.",
            family.what()
        )));
    }
    let same_major = numbers.iter().filter(|(n, _)| n.major == v.major).count();
    if recommended_minor == Some(v) && same_major > 1 {
        return Err(ApiError::Conflict(format!(
            "{template}:{v} is the recommended minor version of major version {}; delete the other minor versions first.",
            v.major
        )));
    }
    cx.store
        .delete(
            family.version_kind(),
            &row_name(template, v),
            &row.doc.arn,
            "",
        )
        .await?;
    refresh_recommended(cx, family, template).await?;
    Ok(Some(row.doc))
}

/// Recomputes `recommendedVersion` on the template and `recommendedMinorVersion` on every
/// version.
async fn refresh_recommended(cx: &Cx, family: Family, template: &str) -> Result<(), ApiError> {
    let all = all_versions(cx, family, template).await?;
    let numbers = numbered(all.iter().map(|(d, _)| d));
    for (doc, row_version) in all {
        let n = version_of(&doc)?;
        let wanted = version::recommended_minor_for_major(numbers.iter().copied(), n.major)
            .map(|r| r.minor.to_string());
        if doc.recommended_minor_version != wanted {
            let mut doc = doc;
            doc.recommended_minor_version = wanted;
            let name = row_name(template, n);
            let cols = Columns {
                name: &name,
                parent: template,
                status: doc.status.as_str(),
                arn: &doc.arn,
            };
            cx.store
                .update(family.version_kind(), &cols, row_version, &doc)
                .await?;
        }
    }
    let recommended = version::recommended(numbers.iter().copied()).map(|r| r.major.to_string());
    let wanted = recommended.map_or(serde_json::Value::Null, serde_json::Value::String);
    for _ in 0..10 {
        // Both families keep `recommendedVersion` under the same name; edit it as JSON.
        let Some(row) = cx
            .store
            .get::<serde_json::Value>(family.template_kind(), template)
            .await?
        else {
            return Ok(());
        };
        let mut t = row.doc;
        if t.get("recommendedVersion")
            .unwrap_or(&serde_json::Value::Null)
            == &wanted
        {
            return Ok(());
        }
        match (&wanted, t.as_object_mut()) {
            (serde_json::Value::Null, Some(m)) => {
                m.remove("recommendedVersion");
            }
            (v, Some(m)) => {
                m.insert("recommendedVersion".to_owned(), v.clone());
            }
            (_, None) => {
                return Err(ApiError::InternalServer(
                    "a stored template is not an object".into(),
                ));
            }
        }
        let arn = t["arn"].as_str().unwrap_or_default().to_owned();
        let cols = Columns {
            name: template,
            parent: "",
            status: "",
            arn: &arn,
        };
        if cx
            .store
            .update(family.template_kind(), &cols, row.version, &t)
            .await?
        {
            return Ok(());
        }
    }
    Err(ApiError::Conflict(format!(
        "The {} {template} kept changing; retry.",
        family.what()
    )))
}

/// The published version `major[.minor]` of a template (minor defaults to the major's
/// recommended minor).
pub async fn published_version(
    cx: &Cx,
    family: Family,
    template: &str,
    major: &str,
    minor: Option<&str>,
) -> Result<ServiceTemplateVersion, ApiError> {
    let major_n = parse_major(major)?;
    let (versions, _) = list(cx, family, template, Some(major), Some(1000), None).await?;
    let chosen = if let Some(m) = minor {
        versions.into_iter().find(|v| v.minor_version == m)
    } else {
        let numbers = numbered(&versions);
        let rec = version::recommended_minor_for_major(numbers, major_n);
        versions
            .into_iter()
            .find(|v| rec.is_some_and(|r| v.minor_version == r.minor.to_string()))
    };
    let what = family.what();
    let what = what[..1].to_uppercase() + &what[1..];
    match chosen {
        Some(v) if v.status == TemplateVersionStatus::Published => Ok(v),
        Some(v) => Err(ApiError::Validation(format!(
            "{what} version {template}:{}.{} is {}, not PUBLISHED.",
            v.major_version, v.minor_version, v.status
        ))),
        None => Err(ApiError::Validation(format!(
            "{what} {template} has no published version {major}{}.",
            minor.map(|m| format!(".{m}")).unwrap_or_default()
        ))),
    }
}

/// Checks a spec against a version's schema; the AWS message lists each problem with its
/// position.
pub fn check_spec(v: &ServiceTemplateVersion, spec: &str) -> Result<(), ApiError> {
    let schema = v.schema.as_deref().unwrap_or_default();
    let result = baryon_model::spec::validate_spec(schema, spec);
    if result.ok {
        return Ok(());
    }
    let problems: Vec<String> = result
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "line {}, column {}: {}: {}",
                d.line, d.col, d.path, d.message
            )
        })
        .collect();
    Err(ApiError::Validation(format!(
        "The spec is not valid for {}:{}.{}: {}",
        v.template_name,
        v.major_version,
        v.minor_version,
        problems.join("; ")
    )))
}

// --- templates (both families) --------------------------------------------------------------

/// Loads a template document of either family (typed by the caller).
pub async fn load_template<T: DeserializeOwned>(
    cx: &Cx,
    family: Family,
    name: &str,
) -> Result<(T, i64), ApiError> {
    let row = cx
        .store
        .get::<T>(family.template_kind(), name)
        .await?
        .ok_or_else(|| ApiError::not_found(family.what(), name))?;
    Ok((row.doc, row.version))
}

/// UpdateEnvironmentTemplate / UpdateServiceTemplate: display name and description.
pub async fn update_template<T: Serialize + DeserializeOwned>(
    cx: &Cx,
    family: Family,
    name: &str,
    display_name: Option<String>,
    description: Option<String>,
) -> Result<T, ApiError> {
    let (mut doc, version) = load_template::<serde_json::Value>(cx, family, name).await?;
    if let Some(d) = description {
        doc["description"] = serde_json::Value::String(d);
    }
    if let Some(d) = display_name {
        doc["displayName"] = serde_json::Value::String(d);
    }
    doc["lastModifiedAt"] = serde_json::to_value(cx.clock.now()).unwrap_or(serde_json::Value::Null);
    let arn = doc["arn"].as_str().unwrap_or_default().to_owned();
    let cols = Columns {
        name,
        parent: "",
        status: "",
        arn: &arn,
    };
    if !cx
        .store
        .update(family.template_kind(), &cols, version, &doc)
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "The {} {name} was changed concurrently; retry.",
            family.what()
        )));
    }
    super::mark_modified(cx, family.template_kind(), name).await?;
    convert(&doc)
}

/// DeleteEnvironmentTemplate / DeleteServiceTemplate (idempotent delete): refused while
/// versions exist.
pub async fn delete_template<T: Serialize + DeserializeOwned>(
    cx: &Cx,
    family: Family,
    name: &str,
) -> Result<Option<T>, ApiError> {
    let Some(row) = cx
        .store
        .get::<serde_json::Value>(family.template_kind(), name)
        .await?
    else {
        return Ok(None);
    };
    if cx.store.has_children(family.version_kind(), name).await? {
        return Err(ApiError::Conflict(format!(
            "The {} {name} still has versions; delete them first.",
            family.what()
        )));
    }
    let arn = row.doc["arn"].as_str().unwrap_or_default().to_owned();
    cx.store
        .delete(
            family.template_kind(),
            name,
            &arn,
            &format!("create:{}", family.template_kind().as_str()),
        )
        .await?;
    convert(&row.doc).map(Some)
}
