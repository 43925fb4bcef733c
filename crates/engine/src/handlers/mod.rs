//! Handlers, one module per resource family. Dispatch from the generated `Operation` enum is
//! the one `match` below: from an operation name to its handler in one jump.

use baryon_model::proton::{self, Operation};
use baryon_model::validate::validate_input;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind};

pub mod account_connection;
pub mod component;
pub mod deploy;
pub mod deployment;
pub mod environment;
pub mod environment_template;
pub mod repository;
pub mod service;
pub mod service_instance;
pub mod service_template;
pub mod settings;
pub mod summary;
pub mod sync;
pub mod tags;
pub mod template_version;

/// Validates the body against the model, decodes it, runs the handler, encodes the output.
pub async fn dispatch(cx: &Cx, op: Operation, body: Value) -> Result<Value, ApiError> {
    validate_input(&proton::SERVICE, op.name(), &body)?;
    match op {
        Operation::CreateEnvironmentTemplate => run(cx, body, environment_template::create).await,
        Operation::GetEnvironmentTemplate => run(cx, body, environment_template::get).await,
        Operation::ListEnvironmentTemplates => run(cx, body, environment_template::list).await,
        Operation::UpdateEnvironmentTemplate => run(cx, body, environment_template::update).await,
        Operation::DeleteEnvironmentTemplate => run(cx, body, environment_template::delete).await,
        Operation::CreateServiceTemplate => run(cx, body, service_template::create).await,
        Operation::GetServiceTemplate => run(cx, body, service_template::get).await,
        Operation::ListServiceTemplates => run(cx, body, service_template::list).await,
        Operation::UpdateServiceTemplate => run(cx, body, service_template::update).await,
        Operation::DeleteServiceTemplate => run(cx, body, service_template::delete).await,
        Operation::CreateEnvironmentTemplateVersion => {
            run(cx, body, environment_template::create_version).await
        }
        Operation::GetEnvironmentTemplateVersion => {
            run(cx, body, environment_template::get_version).await
        }
        Operation::ListEnvironmentTemplateVersions => {
            run(cx, body, environment_template::list_versions).await
        }
        Operation::UpdateEnvironmentTemplateVersion => {
            run(cx, body, environment_template::update_version).await
        }
        Operation::DeleteEnvironmentTemplateVersion => {
            run(cx, body, environment_template::delete_version).await
        }
        Operation::CreateServiceTemplateVersion => {
            run(cx, body, service_template::create_version).await
        }
        Operation::GetServiceTemplateVersion => run(cx, body, service_template::get_version).await,
        Operation::ListServiceTemplateVersions => {
            run(cx, body, service_template::list_versions).await
        }
        Operation::UpdateServiceTemplateVersion => {
            run(cx, body, service_template::update_version).await
        }
        Operation::DeleteServiceTemplateVersion => {
            run(cx, body, service_template::delete_version).await
        }
        Operation::CreateEnvironment => run(cx, body, environment::create).await,
        Operation::GetEnvironment => run(cx, body, environment::get).await,
        Operation::ListEnvironments => run(cx, body, environment::list).await,
        Operation::UpdateEnvironment => run(cx, body, environment::update).await,
        Operation::DeleteEnvironment => run(cx, body, environment::delete).await,
        Operation::CancelEnvironmentDeployment => run(cx, body, environment::cancel).await,
        Operation::ListEnvironmentOutputs => run(cx, body, environment::list_outputs).await,
        Operation::ListEnvironmentProvisionedResources => {
            run(cx, body, environment::list_provisioned_resources).await
        }
        Operation::GetDeployment => run(cx, body, deployment::get).await,
        Operation::ListDeployments => run(cx, body, deployment::list).await,
        Operation::DeleteDeployment => run(cx, body, deployment::delete).await,
        Operation::NotifyResourceDeploymentStatusChange => run(cx, body, deployment::notify).await,
        Operation::GetAccountSettings => run(cx, body, settings::get).await,
        Operation::UpdateAccountSettings => run(cx, body, settings::update).await,
        Operation::CreateRepository => run(cx, body, repository::create).await,
        Operation::GetRepository => run(cx, body, repository::get).await,
        Operation::ListRepositories => run(cx, body, repository::list).await,
        Operation::DeleteRepository => run(cx, body, repository::delete).await,
        Operation::GetResourcesSummary => run(cx, body, summary::get).await,
        Operation::CreateService => run(cx, body, service::create).await,
        Operation::GetService => run(cx, body, service::get).await,
        Operation::ListServices => run(cx, body, service::list).await,
        Operation::UpdateService => {
            // Instances the new spec leaves out are deleted: a manual change for service sync.
            let name = body["name"].as_str().unwrap_or_default().to_owned();
            let removed = match body["spec"].as_str() {
                Some(spec) => service::instances_missing_from(cx, &name, spec).await?,
                None => Vec::new(),
            };
            let out = run(cx, body, service::update).await?;
            if !removed.is_empty() {
                crate::service_sync::note_manual_change(
                    cx,
                    &name,
                    None,
                    &format!("UpdateService deleted {}", removed.join(", ")),
                )
                .await?;
            }
            Ok(out)
        }
        Operation::DeleteService => run(cx, body, service::delete).await,
        Operation::UpdateServiceInstance => {
            let (service, instance) = service_and_instance(&body);
            let out = run(cx, body, service::update_instance).await?;
            crate::service_sync::note_manual_change(
                cx,
                &service,
                Some(&instance),
                "UpdateServiceInstance",
            )
            .await?;
            Ok(out)
        }
        Operation::UpdateServicePipeline => run(cx, body, service::update_pipeline).await,
        Operation::CancelServiceInstanceDeployment => run(cx, body, service::cancel_instance).await,
        Operation::CancelServicePipelineDeployment => run(cx, body, service::cancel_pipeline).await,
        Operation::CreateServiceInstance => {
            let (service, instance) = service_and_instance(&body);
            let out = run(cx, body, service::create_instance).await?;
            crate::service_sync::note_manual_change(
                cx,
                &service,
                Some(&instance),
                "CreateServiceInstance",
            )
            .await?;
            Ok(out)
        }
        Operation::GetServiceInstance => run(cx, body, service::get_instance).await,
        Operation::ListServiceInstances => run(cx, body, service_instance::list).await,
        Operation::ListServiceInstanceOutputs => {
            run(cx, body, service::list_instance_outputs).await
        }
        Operation::ListServiceInstanceProvisionedResources => {
            run(cx, body, service::list_instance_provisioned_resources).await
        }
        Operation::ListServicePipelineOutputs => {
            run(cx, body, service::list_pipeline_outputs).await
        }
        Operation::ListServicePipelineProvisionedResources => {
            run(cx, body, service::list_pipeline_provisioned_resources).await
        }
        Operation::CreateComponent => run(cx, body, component::create).await,
        Operation::GetComponent => run(cx, body, component::get).await,
        Operation::ListComponents => run(cx, body, component::list).await,
        Operation::UpdateComponent => run(cx, body, component::update).await,
        Operation::DeleteComponent => run(cx, body, component::delete).await,
        Operation::CancelComponentDeployment => run(cx, body, component::cancel).await,
        Operation::ListComponentOutputs => run(cx, body, component::list_outputs).await,
        Operation::ListComponentProvisionedResources => {
            run(cx, body, component::list_provisioned_resources).await
        }
        Operation::CreateEnvironmentAccountConnection => {
            run(cx, body, account_connection::create).await
        }
        Operation::GetEnvironmentAccountConnection => run(cx, body, account_connection::get).await,
        Operation::ListEnvironmentAccountConnections => {
            run(cx, body, account_connection::list).await
        }
        Operation::AcceptEnvironmentAccountConnection => {
            run(cx, body, account_connection::accept).await
        }
        Operation::RejectEnvironmentAccountConnection => {
            run(cx, body, account_connection::reject).await
        }
        Operation::UpdateEnvironmentAccountConnection => {
            run(cx, body, account_connection::update).await
        }
        Operation::DeleteEnvironmentAccountConnection => {
            run(cx, body, account_connection::delete).await
        }
        Operation::TagResource => run(cx, body, tags::tag).await,
        Operation::UntagResource => run(cx, body, tags::untag).await,
        Operation::ListTagsForResource => run(cx, body, tags::list).await,
        Operation::CreateTemplateSyncConfig => run(cx, body, sync::create_template_config).await,
        Operation::GetTemplateSyncConfig => run(cx, body, sync::get_template_config).await,
        Operation::UpdateTemplateSyncConfig => run(cx, body, sync::update_template_config).await,
        Operation::DeleteTemplateSyncConfig => run(cx, body, sync::delete_template_config).await,
        Operation::CreateServiceSyncConfig => run(cx, body, sync::create_service_config).await,
        Operation::GetServiceSyncConfig => run(cx, body, sync::get_service_config).await,
        Operation::UpdateServiceSyncConfig => run(cx, body, sync::update_service_config).await,
        Operation::DeleteServiceSyncConfig => run(cx, body, sync::delete_service_config).await,
        Operation::ListRepositorySyncDefinitions => run(cx, body, sync::list_definitions).await,
        Operation::GetTemplateSyncStatus => run(cx, body, sync::get_template_status).await,
        Operation::GetRepositorySyncStatus => run(cx, body, sync::get_repository_status).await,
        Operation::GetServiceInstanceSyncStatus => run(cx, body, sync::get_instance_status).await,
        Operation::GetServiceSyncBlockerSummary => run(cx, body, sync::get_blocker_summary).await,
        Operation::UpdateServiceSyncBlocker => run(cx, body, sync::update_blocker).await,
    }
}

/// `serviceName` and `name` of an instance request.
fn service_and_instance(body: &Value) -> (String, String) {
    let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    (text("serviceName"), text("name"))
}

pub(crate) async fn run<I, O>(
    cx: &Cx,
    body: Value,
    handler: impl AsyncFnOnce(&Cx, I) -> Result<O, ApiError>,
) -> Result<Value, ApiError>
where
    I: DeserializeOwned,
    O: Serialize,
{
    let input: I = serde_json::from_value(body).map_err(|e| {
        ApiError::Serialization(format!(
            "The request body does not match the operation: {e}"
        ))
    })?;
    let output = handler(cx, input).await?;
    serde_json::to_value(output)
        .map_err(|e| ApiError::InternalServer(format!("could not encode the response: {e}")))
}

/// A stable hash of a request (minus its `clientToken`), to tell a retry from a different
/// request with the same name or token.
pub fn request_hash<T: Serialize>(input: &T) -> String {
    let mut value = serde_json::to_value(input).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.remove("clientToken");
    }
    hex::encode(Sha256::digest(canonical(&value).as_bytes()))
}

/// JSON text with every object's keys sorted, whatever order serde_json's maps keep (its
/// `preserve_order` feature depends on the rest of the build).
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), canonical(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// Page size: the request's `maxResults` or the default.
pub fn page_size(max_results: Option<i32>) -> usize {
    max_results
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(100)
}

/// One page of rows of `kind` (optionally under `parent`) for a List* operation, converted to
/// its summary shape `S` (a subset of the stored document's members), with the opaque,
/// tamper-evident `nextToken` for `scope`.
pub async fn list_page<T, S>(
    cx: &Cx,
    kind: Kind,
    parent: Option<&str>,
    scope: &str,
    next_token: Option<&str>,
    max_results: Option<i32>,
) -> Result<(Vec<S>, Option<String>), ApiError>
where
    T: Serialize + DeserializeOwned,
    S: DeserializeOwned,
{
    let after = next_token
        .map(|t| cx.parse_next_token(scope, t))
        .transpose()?;
    let page = cx
        .store
        .list::<T>(kind, parent, after.as_deref(), page_size(max_results))
        .await?;
    let items = page
        .items
        .iter()
        .map(template_version::convert)
        .collect::<Result<_, _>>()?;
    Ok((items, page.next_after.map(|a| cx.next_token(scope, &a))))
}

/// Which rows a filtered list reads, in name order.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    /// Rows of a kind, optionally only those under a parent.
    Under(Kind, Option<&'a str>),
    /// Rows of a kind whose name starts with a prefix.
    Prefixed(Kind, &'a str),
    /// Rows of a kind under a parent, in every account.
    UnderAnyAccount(Kind, &'a str),
}

impl Rows<'_> {
    async fn page<T: DeserializeOwned>(
        self,
        cx: &Cx,
        after: Option<&str>,
        size: usize,
    ) -> Result<crate::store::Page<T>, ApiError> {
        Ok(match self {
            Rows::Under(kind, parent) => cx.store.list::<T>(kind, parent, after, size).await?,
            Rows::UnderAnyAccount(kind, parent) => {
                cx.store
                    .list_under_any_account::<T>(kind, parent, after, size)
                    .await?
            }
            Rows::Prefixed(kind, prefix) => {
                let page = cx
                    .store
                    .list_prefixed::<T>(kind, prefix, after, size)
                    .await?;
                crate::store::Page {
                    items: page.items.into_iter().map(|(doc, _)| doc).collect(),
                    next_after: page.next_after,
                }
            }
        })
    }
}

/// One page of a List* operation whose filters the index can't answer: pages of `rows` are
/// read and filtered with `keep` until `maxResults` items are found or the rows run out.
/// `key` gives a row's name, which the opaque `nextToken` (for `scope`) continues after.
pub async fn filtered_page<T, S>(
    cx: &Cx,
    rows: Rows<'_>,
    scope: &str,
    next_token: Option<&str>,
    max_results: Option<i32>,
    key: impl Fn(&T) -> String,
    keep: impl Fn(&T) -> bool,
) -> Result<(Vec<S>, Option<String>), ApiError>
where
    T: Serialize + DeserializeOwned,
    S: DeserializeOwned,
{
    let mut after = next_token
        .map(|t| cx.parse_next_token(scope, t))
        .transpose()?;
    let size = page_size(max_results);
    let mut out = Vec::new();
    loop {
        let page = rows.page::<T>(cx, after.as_deref(), size).await?;
        let exhausted = page.next_after.is_none();
        for item in page.items {
            after = Some(key(&item));
            if keep(&item) {
                out.push(template_version::convert(&item)?);
                if out.len() == size {
                    let token = after.as_deref().map(|a| cx.next_token(scope, a));
                    return Ok((out, token));
                }
            }
        }
        if exhausted {
            return Ok((out, None));
        }
    }
}

/// The outcome of an idempotent create (CreateEnvironmentTemplate, CreateServiceTemplate,
/// CreateEnvironment, CreateService): as documented, a retry with the same parameters of an
/// unmodified resource returns it; a modified one is a conflict; other parameters are an
/// `IdempotentParameterMismatch`.
pub enum Created<T> {
    /// Newly created.
    New,
    /// An earlier identical request created it; here it is.
    Existing(T),
}

/// What the creation record of a resource says once an update has modified it.
const MODIFIED: &str = "modified";

/// Records that a user update modified a resource made by an idempotent create, so that a
/// later retry of that create is a `ConflictException`.
pub async fn mark_modified(cx: &Cx, kind: Kind, name: &str) -> Result<(), ApiError> {
    cx.store
        .set_request_hash(&format!("create:{}", kind.as_str()), name, MODIFIED)
        .await?;
    Ok(())
}

/// Inserts `doc` unless a resource of that name exists, applying the idempotent-create rules;
/// `first` is the resource's first deployment, written in the same transaction with its job.
pub async fn idempotent_create<T, I>(
    cx: &Cx,
    kind: Kind,
    what: &str,
    cols: &Columns<'_>,
    input: &I,
    doc: &T,
    first: Option<&baryon_model::proton::Deployment>,
) -> Result<Created<T>, ApiError>
where
    T: Serialize + DeserializeOwned,
    I: Serialize,
{
    let hash = request_hash(input);
    let scope = format!("create:{}", kind.as_str());
    let job_id = cx.ids.uuid();
    let (rows, jobs) = match first {
        Some(d) => (
            vec![deploy::row(d)?],
            vec![crate::jobs::new_job(&job_id, crate::jobs::DEPLOY, &d.id)],
        ),
        None => (Vec::new(), Vec::new()),
    };
    if cx
        .store
        .insert_with_request(kind, cols, doc, &scope, &hash, &rows, &jobs)
        .await?
    {
        if first.is_some() {
            cx.wake.notify_one();
        }
        return Ok(Created::New);
    }
    let existing = cx.store.get::<T>(kind, cols.name).await?.ok_or_else(|| {
        ApiError::Conflict(format!("The {what} {} is being changed; retry.", cols.name))
    })?;
    match cx.store.request_hash_for(&scope, cols.name).await? {
        Some(h) if h == MODIFIED => Err(ApiError::Conflict(format!(
            "The {what} {} has been modified since it was created.",
            cols.name
        ))),
        Some(h) if h == hash => Ok(Created::Existing(existing.doc)),
        _ => Err(ApiError::Validation(format!(
            "IdempotentParameterMismatch: a {what} named {} already exists with different parameters.",
            cols.name
        ))),
    }
}
