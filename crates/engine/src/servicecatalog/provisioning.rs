//! Provisioned products and their records. A provisioned product is a CloudFormation stack
//! named deterministically (`SC-<account>-<provisioned product id>`), so a job step can run
//! again after a crash; each Provision/Update/Terminate request is a record, worked through by
//! the durable job queue (job kind [`JOB`], subject = record id): `CREATED` →
//! `IN_PROGRESS` → `SUCCEEDED` | `FAILED` (with `RecordErrors`). Without a CloudFormation
//! endpoint the record fails saying so — never a pretend success.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{Capability, Parameter, Stack};
use baryon_model::servicecatalog::{
    AccessLevelFilter, AccessLevelFilterKey, CloudWatchDashboard, DescribeProvisionedProductInput,
    DescribeProvisionedProductOutput, DescribeRecordInput, DescribeRecordOutput,
    GetProvisionedProductOutputsInput, GetProvisionedProductOutputsOutput, ListRecordHistoryInput,
    ListRecordHistoryOutput, ProvisionProductInput, ProvisionProductOutput,
    ProvisionedProductAttribute, ProvisionedProductDetail, ProvisionedProductStatus, RecordDetail,
    RecordError, RecordOutput, RecordStatus, RecordTag, ScanProvisionedProductsInput,
    ScanProvisionedProductsOutput, SearchProvisionedProductsInput, SearchProvisionedProductsOutput,
    SortOrder, Tag, TerminateProvisionedProductInput, TerminateProvisionedProductOutput,
    UpdateProvisionedProductInput, UpdateProvisionedProductOutput,
};
use serde::{Deserialize, Serialize};

use super::catalog::{self, ArtifactDoc};
use super::{all, arn, new_id, page_size, scan_page, sorted_page, template, token_used};
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind, NewJob, NewRow, Row_};

/// The job kind that works a record through CloudFormation.
pub const JOB: &str = "servicecatalog:record";
/// How often a stack in progress is looked at.
const POLL: Duration = Duration::from_secs(1);

const PROVISION: &str = "PROVISION_PRODUCT";
const UPDATE: &str = "UPDATE_PROVISIONED_PRODUCT";
const TERMINATE: &str = "TERMINATE_PROVISIONED_PRODUCT";
/// The provisioned product type of CloudFormation stacks.
const CFN_STACK: &str = "CFN_STACK";

/// A stored provisioned product.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProvisionedDoc {
    /// What DescribeProvisionedProduct shows.
    #[serde(rename = "ProvisionedProductDetail")]
    pub detail: ProvisionedProductDetail,
    /// Tags given at launch.
    #[serde(rename = "Tags", default)]
    pub tags: Vec<Tag>,
    /// The parameters of the last successful provisioning.
    #[serde(rename = "Parameters", default)]
    pub parameters: BTreeMap<String, String>,
    /// The stack's outputs after the last successful provisioning.
    #[serde(rename = "Outputs", default)]
    pub outputs: Vec<RecordOutput>,
    /// The product's name when launched.
    #[serde(rename = "ProductName", default)]
    pub product_name: Option<String>,
    /// The launch path.
    #[serde(rename = "PathId", default)]
    pub path_id: Option<String>,
}

impl ProvisionedDoc {
    fn id(&self) -> String {
        self.detail.id.clone().unwrap_or_default()
    }
    fn name(&self) -> String {
        self.detail.name.clone().unwrap_or_default()
    }
}

/// A stored record: the request, and its outcome.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordDoc {
    /// What DescribeRecord shows.
    #[serde(rename = "RecordDetail")]
    pub detail: RecordDetail,
    /// The stack's outputs once it succeeded.
    #[serde(rename = "RecordOutputs", default)]
    pub outputs: Vec<RecordOutput>,
    /// The template to provision (Provision, Update).
    #[serde(rename = "Template", default)]
    pub template: Option<String>,
    /// The stack parameters to provision with.
    #[serde(rename = "Parameters", default)]
    pub parameters: BTreeMap<String, String>,
    /// TerminateProvisionedProduct's `IgnoreErrors`.
    #[serde(rename = "IgnoreErrors", default)]
    pub ignore_errors: bool,
    /// TerminateProvisionedProduct's `RetainPhysicalResources`.
    #[serde(rename = "RetainPhysicalResources", default)]
    pub retain: bool,
}

impl RecordDoc {
    fn id(&self) -> String {
        self.detail.record_id.clone().unwrap_or_default()
    }
    fn kind(&self) -> &str {
        self.detail.record_type.as_deref().unwrap_or("")
    }
    fn status(&self) -> RecordStatus {
        self.detail.status.clone().unwrap_or(RecordStatus::Created)
    }
}

fn pp_arn(cx: &Cx, name: &str, id: &str) -> String {
    arn(cx, "servicecatalog", &format!("stack/{name}/{id}"))
}

fn pp_cols<'a>(doc: &'a ProvisionedDoc, arn_: &'a str, status: &'a str) -> Columns<'a> {
    Columns {
        name: doc.detail.id.as_deref().unwrap_or(""),
        parent: "",
        status,
        arn: arn_,
    }
}

fn status_str(doc: &ProvisionedDoc) -> String {
    doc.detail
        .status
        .as_ref()
        .map_or_else(String::new, |s| s.as_str().to_owned())
}

fn record_row(cx: &Cx, doc: &RecordDoc) -> Result<NewRow, ApiError> {
    let id = doc.id();
    let arn_ = arn(cx, "servicecatalog", &format!("record/{id}"));
    Ok(NewRow::new(
        Kind::CatalogRecord,
        &Columns {
            name: &id,
            parent: doc.detail.provisioned_product_id.as_deref().unwrap_or(""),
            status: doc.status().as_str(),
            arn: &arn_,
        },
        doc,
    )?)
}

fn name_index_row(cx: &Cx, name: &str, id: &str) -> Result<NewRow, ApiError> {
    let arn_ = format!("{}#name", pp_arn(cx, name, ""));
    Ok(NewRow::new(
        Kind::CatalogProvisionedProductName,
        &Columns {
            name,
            parent: "",
            status: "",
            arn: &arn_,
        },
        &serde_json::json!({ "Id": id }),
    )?)
}

fn not_found(id: &str) -> ApiError {
    ApiError::CatalogResourceNotFound(format!("Provisioned product {id} not found."))
}

/// A provisioned product by id.
async fn by_id(cx: &Cx, id: &str) -> Result<Row_<ProvisionedDoc>, ApiError> {
    cx.store
        .get::<ProvisionedDoc>(Kind::CatalogProvisionedProduct, id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// A provisioned product by id, or by name or ARN.
async fn find(
    cx: &Cx,
    id: Option<&str>,
    name: Option<&str>,
) -> Result<Row_<ProvisionedDoc>, ApiError> {
    match (id, name) {
        (Some(id), _) => by_id(cx, id).await,
        (None, Some(name)) => {
            // An ARN ends with the id: arn:…:stack/<name>/<id>.
            if name.starts_with("arn:") {
                let id = name.rsplit('/').next().unwrap_or("");
                return by_id(cx, id).await.map_err(|_| not_found(name));
            }
            let index = cx
                .store
                .get::<serde_json::Value>(Kind::CatalogProvisionedProductName, name)
                .await?
                .ok_or_else(|| not_found(name))?;
            by_id(cx, index.doc["Id"].as_str().unwrap_or("")).await
        }
        (None, None) => Err(ApiError::InvalidParameters(
            "Either ProvisionedProductId or ProvisionedProductName must be given.".to_owned(),
        )),
    }
}

/// Ids of the provisioned products whose current artifact is `artifact`.
pub async fn using_artifact(cx: &Cx, artifact: &str) -> Result<Vec<String>, ApiError> {
    Ok(
        all::<ProvisionedDoc>(cx, Kind::CatalogProvisionedProduct, None)
            .await?
            .into_iter()
            .filter(|p| p.detail.provisioning_artifact_id.as_deref() == Some(artifact))
            .map(|p| p.id())
            .collect(),
    )
}

/// Stack-set preferences: this engine provisions CloudFormation stacks, not stack sets, so
/// any preference is refused, as AWS refuses them for a non-stack-set product.
fn check_preferences(set: bool) -> Result<(), ApiError> {
    if set {
        return Err(ApiError::InvalidParameters(
            "ProvisioningPreferences apply to CFN_STACKSET products only; this product provisions a CloudFormation stack.".to_owned(),
        ));
    }
    Ok(())
}

/// The stack parameters: `given` checked against the template's `Parameters` (unknown keys
/// refused; keys without a default must have a value).
fn stack_parameters(
    artifact: &ArtifactDoc,
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let declared = template::parameters(&artifact.template);
    for key in given.keys() {
        if !declared
            .iter()
            .any(|p| p.parameter_key.as_deref() == Some(key))
        {
            return Err(ApiError::InvalidParameters(format!(
                "Parameter {key} is not a parameter of provisioning artifact {}.",
                artifact.id()
            )));
        }
    }
    for p in &declared {
        let key = p.parameter_key.as_deref().unwrap_or("");
        if p.default_value.is_none() && !given.contains_key(key) {
            return Err(ApiError::InvalidParameters(format!(
                "Parameter {key} of provisioning artifact {} has no default; give its value.",
                artifact.id()
            )));
        }
    }
    Ok(given.clone())
}

fn record_detail(
    cx: &Cx,
    kind: &str,
    pp: &ProvisionedDoc,
    product_id: &str,
    artifact_id: &str,
    path_id: Option<&str>,
    tags: &[Tag],
) -> RecordDetail {
    let now = cx.clock.now();
    RecordDetail {
        record_id: Some(new_id(cx, "rec")),
        provisioned_product_name: pp.detail.name.clone(),
        status: Some(RecordStatus::Created),
        created_time: Some(now),
        updated_time: Some(now),
        provisioned_product_type: Some(CFN_STACK.to_owned()),
        record_type: Some(kind.to_owned()),
        provisioned_product_id: pp.detail.id.clone(),
        product_id: Some(product_id.to_owned()),
        provisioning_artifact_id: Some(artifact_id.to_owned()),
        path_id: path_id.map(str::to_owned),
        record_errors: Some(Vec::new()),
        record_tags: Some(
            tags.iter()
                .map(|t| RecordTag {
                    key: Some(t.key.clone()),
                    value: Some(t.value.clone()),
                })
                .collect(),
        ),
        launch_role_arn: None,
    }
}

async fn record(cx: &Cx, id: &str) -> Result<Row_<RecordDoc>, ApiError> {
    cx.store
        .get::<RecordDoc>(Kind::CatalogRecord, id)
        .await?
        .ok_or_else(|| ApiError::CatalogResourceNotFound(format!("Record {id} not found.")))
}

pub async fn provision(
    cx: &Cx,
    input: ProvisionProductInput,
) -> Result<ProvisionProductOutput, ApiError> {
    const SCOPE: &str = "sc:ProvisionProduct";
    if let Some(id) = token_used(cx, SCOPE, &input.provision_token, &input).await? {
        return Ok(ProvisionProductOutput {
            record_detail: Some(record(cx, &id).await?.doc.detail),
        });
    }
    check_preferences(input.provisioning_preferences.as_ref().is_some_and(|p| {
        p.stack_set_accounts.is_some()
            || p.stack_set_regions.is_some()
            || p.stack_set_failure_tolerance_count.is_some()
            || p.stack_set_failure_tolerance_percentage.is_some()
            || p.stack_set_max_concurrency_count.is_some()
            || p.stack_set_max_concurrency_percentage.is_some()
    }))?;
    let product = catalog::find_product(
        cx,
        input.product_id.as_deref(),
        input.product_name.as_deref(),
    )
    .await?;
    let product_id = product.id();
    let path = catalog::launch_path(
        cx,
        &product_id,
        input.path_id.as_deref(),
        input.path_name.as_deref(),
    )
    .await?;
    let artifact = catalog::find_artifact(
        cx,
        &product_id,
        input.provisioning_artifact_id.as_deref(),
        input.provisioning_artifact_name.as_deref(),
    )
    .await?;
    if artifact.detail.active == Some(false) {
        return Err(ApiError::InvalidParameters(format!(
            "Provisioning artifact {} is not active.",
            artifact.id()
        )));
    }
    let given: BTreeMap<String, String> = input
        .provisioning_parameters
        .iter()
        .flatten()
        .filter_map(|p| Some((p.key.clone()?, p.value.clone().unwrap_or_default())))
        .collect();
    let parameters = stack_parameters(&artifact, &given)?;
    if cx
        .store
        .get::<serde_json::Value>(
            Kind::CatalogProvisionedProductName,
            &input.provisioned_product_name,
        )
        .await?
        .is_some()
    {
        return Err(duplicate(&input.provisioned_product_name));
    }
    let id = new_id(cx, "pp");
    let name = input.provisioned_product_name.clone();
    let tags = input.tags.clone().unwrap_or_default();
    let mut pp = ProvisionedDoc {
        detail: ProvisionedProductDetail {
            name: Some(name.clone()),
            arn: Some(pp_arn(cx, &name, &id)),
            r#type: Some(CFN_STACK.to_owned()),
            id: Some(id.clone()),
            status: Some(ProvisionedProductStatus::UnderChange),
            status_message: None,
            created_time: Some(cx.clock.now()),
            idempotency_token: Some(input.provision_token.clone()),
            last_record_id: None,
            last_provisioning_record_id: None,
            last_successful_provisioning_record_id: None,
            product_id: Some(product_id.clone()),
            provisioning_artifact_id: artifact.detail.id.clone(),
            launch_role_arn: None,
        },
        tags: tags.clone(),
        parameters: BTreeMap::new(),
        outputs: Vec::new(),
        product_name: Some(product.name()),
        path_id: path.id.clone(),
    };
    let detail = record_detail(
        cx,
        PROVISION,
        &pp,
        &product_id,
        &artifact.id(),
        path.id.as_deref(),
        &tags,
    );
    let rec = RecordDoc {
        detail,
        outputs: Vec::new(),
        template: Some(artifact.template.clone()),
        parameters,
        ignore_errors: false,
        retain: false,
    };
    let rec_id = rec.id();
    pp.detail.last_record_id = Some(rec_id.clone());
    pp.detail.last_provisioning_record_id = Some(rec_id.clone());
    let pp_arn_ = pp.detail.arn.clone().unwrap_or_default();
    let status = status_str(&pp);
    let rows = [
        NewRow::new(
            Kind::CatalogProvisionedProduct,
            &pp_cols(&pp, &pp_arn_, &status),
            &pp,
        )?,
        name_index_row(cx, &name, &id)?,
        record_row(cx, &rec)?,
    ];
    let job_id = cx.ids.uuid();
    let hash = crate::handlers::request_hash(&input);
    let job = NewJob {
        id: &job_id,
        kind: JOB,
        subject: &rec_id,
    };
    if !cx
        .store
        .write_all(
            &[],
            &[],
            &rows,
            &[job],
            Some(((SCOPE, &input.provision_token, &hash), &rec_id)),
        )
        .await?
    {
        return Err(duplicate(&name));
    }
    cx.wake.notify_one();
    Ok(ProvisionProductOutput {
        record_detail: Some(rec.detail),
    })
}

fn duplicate(name: &str) -> ApiError {
    ApiError::DuplicateResource(format!(
        "A provisioned product named {name} already exists."
    ))
}

fn check_stable(pp: &ProvisionedDoc) -> Result<(), ApiError> {
    if pp.detail.status == Some(ProvisionedProductStatus::UnderChange) {
        return Err(ApiError::InvalidState(format!(
            "Provisioned product {} is UNDER_CHANGE; wait for its record {} to finish.",
            pp.id(),
            pp.detail.last_record_id.as_deref().unwrap_or("")
        )));
    }
    Ok(())
}

/// Writes the provisioned product (now `UNDER_CHANGE`, pointing at the record), the record, its
/// job and the token in one transaction.
async fn start_record(
    cx: &Cx,
    row: Row_<ProvisionedDoc>,
    rec: &RecordDoc,
    token: (&str, &str, &str),
) -> Result<(), ApiError> {
    let mut pp = row.doc;
    let rec_id = rec.id();
    pp.detail.status = Some(ProvisionedProductStatus::UnderChange);
    pp.detail.status_message = None;
    pp.detail.last_record_id = Some(rec_id.clone());
    if rec.kind() != TERMINATE {
        pp.detail.last_provisioning_record_id = Some(rec_id.clone());
    }
    let arn_ = pp.detail.arn.clone().unwrap_or_default();
    let status = status_str(&pp);
    let update = (
        Kind::CatalogProvisionedProduct,
        pp_cols(&pp, &arn_, &status),
        row.version,
        serde_json::to_string(&pp).map_err(|e| ApiError::InternalServer(e.to_string()))?,
    );
    let job_id = cx.ids.uuid();
    let job = NewJob {
        id: &job_id,
        kind: JOB,
        subject: &rec_id,
    };
    if !cx
        .store
        .write_all(
            &[update],
            &[],
            &[record_row(cx, rec)?],
            &[job],
            Some((token, &rec_id)),
        )
        .await?
    {
        return Err(ApiError::InvalidState(format!(
            "Provisioned product {} was changed by another request; retry.",
            pp.id()
        )));
    }
    cx.wake.notify_one();
    Ok(())
}

pub async fn update(
    cx: &Cx,
    input: UpdateProvisionedProductInput,
) -> Result<UpdateProvisionedProductOutput, ApiError> {
    const SCOPE: &str = "sc:UpdateProvisionedProduct";
    if let Some(id) = token_used(cx, SCOPE, &input.update_token, &input).await? {
        return Ok(UpdateProvisionedProductOutput {
            record_detail: Some(record(cx, &id).await?.doc.detail),
        });
    }
    check_preferences(input.provisioning_preferences.as_ref().is_some_and(|p| {
        p.stack_set_accounts.is_some()
            || p.stack_set_regions.is_some()
            || p.stack_set_failure_tolerance_count.is_some()
            || p.stack_set_failure_tolerance_percentage.is_some()
            || p.stack_set_max_concurrency_count.is_some()
            || p.stack_set_max_concurrency_percentage.is_some()
            || p.stack_set_operation_type.is_some()
    }))?;
    let row = find(
        cx,
        input.provisioned_product_id.as_deref(),
        input.provisioned_product_name.as_deref(),
    )
    .await?;
    let pp = row.doc.clone();
    check_stable(&pp)?;
    let product_id = match (&input.product_id, &input.product_name) {
        (None, None) => pp.detail.product_id.clone().unwrap_or_default(),
        (id, name) => catalog::find_product(cx, id.as_deref(), name.as_deref())
            .await?
            .id(),
    };
    if Some(&product_id) != pp.detail.product_id.as_ref() {
        return Err(ApiError::InvalidParameters(format!(
            "Provisioned product {} is of product {}; it can't change product.",
            pp.id(),
            pp.detail.product_id.as_deref().unwrap_or("")
        )));
    }
    let path = match (&input.path_id, &input.path_name) {
        (None, None) => pp.path_id.clone(),
        (id, name) => {
            catalog::launch_path(cx, &product_id, id.as_deref(), name.as_deref())
                .await?
                .id
        }
    };
    let artifact = match (
        &input.provisioning_artifact_id,
        &input.provisioning_artifact_name,
    ) {
        (None, None) => {
            catalog::find_artifact(
                cx,
                &product_id,
                pp.detail.provisioning_artifact_id.as_deref(),
                None,
            )
            .await?
        }
        (id, name) => {
            catalog::find_artifact(cx, &product_id, id.as_deref(), name.as_deref()).await?
        }
    };
    let declared = template::parameters(&artifact.template);
    let mut given: BTreeMap<String, String> = pp
        .parameters
        .iter()
        .filter(|(k, _)| {
            declared
                .iter()
                .any(|p| p.parameter_key.as_deref() == Some(k.as_str()))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for p in input.provisioning_parameters.iter().flatten() {
        let Some(key) = p.key.clone() else { continue };
        if p.use_previous_value == Some(true) {
            match pp.parameters.get(&key) {
                Some(v) => given.insert(key, v.clone()),
                None => {
                    return Err(ApiError::InvalidParameters(format!(
                        "Parameter {key} has no previous value."
                    )));
                }
            };
        } else {
            given.insert(key, p.value.clone().unwrap_or_default());
        }
    }
    let parameters = stack_parameters(&artifact, &given)?;
    let detail = record_detail(
        cx,
        UPDATE,
        &pp,
        &product_id,
        &artifact.id(),
        path.as_deref(),
        &input.tags.clone().unwrap_or_default(),
    );
    let rec = RecordDoc {
        detail,
        outputs: Vec::new(),
        template: Some(artifact.template.clone()),
        parameters,
        ignore_errors: false,
        retain: false,
    };
    let hash = crate::handlers::request_hash(&input);
    start_record(cx, row, &rec, (SCOPE, &input.update_token, &hash)).await?;
    Ok(UpdateProvisionedProductOutput {
        record_detail: Some(rec.detail),
    })
}

pub async fn terminate(
    cx: &Cx,
    input: TerminateProvisionedProductInput,
) -> Result<TerminateProvisionedProductOutput, ApiError> {
    const SCOPE: &str = "sc:TerminateProvisionedProduct";
    if let Some(id) = token_used(cx, SCOPE, &input.terminate_token, &input).await? {
        return Ok(TerminateProvisionedProductOutput {
            record_detail: Some(record(cx, &id).await?.doc.detail),
        });
    }
    let row = find(
        cx,
        input.provisioned_product_id.as_deref(),
        input.provisioned_product_name.as_deref(),
    )
    .await?;
    let pp = row.doc.clone();
    check_stable(&pp)?;
    let detail = record_detail(
        cx,
        TERMINATE,
        &pp,
        pp.detail.product_id.as_deref().unwrap_or(""),
        pp.detail.provisioning_artifact_id.as_deref().unwrap_or(""),
        pp.path_id.as_deref(),
        &[],
    );
    let rec = RecordDoc {
        detail,
        outputs: Vec::new(),
        template: None,
        parameters: BTreeMap::new(),
        ignore_errors: input.ignore_errors == Some(true),
        retain: input.retain_physical_resources == Some(true),
    };
    let hash = crate::handlers::request_hash(&input);
    start_record(cx, row, &rec, (SCOPE, &input.terminate_token, &hash)).await?;
    Ok(TerminateProvisionedProductOutput {
        record_detail: Some(rec.detail),
    })
}

pub async fn describe(
    cx: &Cx,
    input: DescribeProvisionedProductInput,
) -> Result<DescribeProvisionedProductOutput, ApiError> {
    let pp = find(cx, input.id.as_deref(), input.name.as_deref())
        .await?
        .doc;
    Ok(DescribeProvisionedProductOutput {
        provisioned_product_detail: Some(pp.detail),
        cloud_watch_dashboards: Some(Vec::<CloudWatchDashboard>::new()),
    })
}

/// `AccessLevelFilter`: every caller of an account is its administrator here, so `Account`
/// (any value) and `User`/`Role` with value `self` all see the account's provisioned products.
fn check_access(filter: Option<&AccessLevelFilter>) -> Result<(), ApiError> {
    let Some(f) = filter else { return Ok(()) };
    match (&f.key, f.value.as_deref()) {
        (Some(AccessLevelFilterKey::Account) | None, _)
        | (Some(AccessLevelFilterKey::User | AccessLevelFilterKey::Role), Some("self")) => Ok(()),
        (Some(k), v) => Err(ApiError::InvalidParameters(format!(
            "AccessLevelFilter {}={} is not supported; use Account or User=self.",
            k.as_str(),
            v.unwrap_or("")
        ))),
    }
}

pub async fn scan(
    cx: &Cx,
    input: ScanProvisionedProductsInput,
) -> Result<ScanProvisionedProductsOutput, ApiError> {
    check_access(input.access_level_filter.as_ref())?;
    let (items, next) = scan_page::<ProvisionedDoc>(
        cx,
        Kind::CatalogProvisionedProduct,
        None,
        "sc:ScanProvisionedProducts",
        input.page_token.as_deref(),
        page_size(input.page_size),
        ProvisionedDoc::id,
        |_| true,
    )
    .await?;
    Ok(ScanProvisionedProductsOutput {
        provisioned_products: Some(items.into_iter().map(|p| p.detail).collect()),
        next_page_token: next,
    })
}

fn attribute(pp: ProvisionedDoc) -> ProvisionedProductAttribute {
    let d = pp.detail;
    ProvisionedProductAttribute {
        name: d.name,
        arn: d.arn,
        r#type: d.r#type,
        id: d.id,
        status: d.status,
        status_message: d.status_message,
        created_time: d.created_time,
        idempotency_token: d.idempotency_token,
        last_record_id: d.last_record_id,
        last_provisioning_record_id: d.last_provisioning_record_id,
        last_successful_provisioning_record_id: d.last_successful_provisioning_record_id,
        tags: Some(pp.tags),
        physical_id: None,
        product_id: d.product_id,
        product_name: pp.product_name,
        provisioning_artifact_id: d.provisioning_artifact_id,
        provisioning_artifact_name: None,
        user_arn: None,
        user_arn_session: None,
    }
}

/// SearchProvisionedProducts' `SearchQuery`: each value is `field:value` (`name`, `id`,
/// `status`, `productId`, `provisioningArtifactId`, `type`, `arn`) or free text matched against
/// name, id and status; values are alternatives.
fn matches_query(pp: &ProvisionedDoc, queries: &[String]) -> bool {
    if queries.is_empty() {
        return true;
    }
    let d = &pp.detail;
    let field = |f: &str| -> Option<String> {
        match f {
            "name" => d.name.clone(),
            "id" => d.id.clone(),
            "status" => d.status.as_ref().map(|s| s.as_str().to_owned()),
            "productId" => d.product_id.clone(),
            "provisioningArtifactId" => d.provisioning_artifact_id.clone(),
            "type" => d.r#type.clone(),
            "arn" => d.arn.clone(),
            _ => None,
        }
    };
    queries.iter().any(|q| match q.split_once(':') {
        Some((f, v)) if field(f).is_some() => field(f).as_deref() == Some(v),
        _ => ["name", "id", "status"]
            .iter()
            .any(|f| field(f).is_some_and(|x| x.to_lowercase().contains(&q.to_lowercase()))),
    })
}

pub async fn search(
    cx: &Cx,
    input: SearchProvisionedProductsInput,
) -> Result<SearchProvisionedProductsOutput, ApiError> {
    check_access(input.access_level_filter.as_ref())?;
    let mut queries = Vec::new();
    for (key, values) in input.filters.iter().flatten() {
        if key != "SearchQuery" {
            return Err(ApiError::InvalidParameters(format!(
                "Unknown filter {key}; use SearchQuery."
            )));
        }
        queries.extend(values.iter().cloned());
    }
    let matching: Vec<ProvisionedDoc> =
        all::<ProvisionedDoc>(cx, Kind::CatalogProvisionedProduct, None)
            .await?
            .into_iter()
            .filter(|p| matches_query(p, &queries))
            .collect();
    let total = matching.len();
    let descending = input.sort_order == Some(SortOrder::Descending);
    let (items, next) = match (input.sort_by.as_deref(), descending) {
        (None, false) => {
            scan_page::<ProvisionedDoc>(
                cx,
                Kind::CatalogProvisionedProduct,
                None,
                "sc:SearchProvisionedProducts",
                input.page_token.as_deref(),
                page_size(input.page_size),
                ProvisionedDoc::id,
                |p| matches_query(p, &queries),
            )
            .await?
        }
        (by, _) => {
            let by = by.unwrap_or("id");
            let key = |p: &ProvisionedDoc| -> Result<String, ApiError> {
                Ok(match by {
                    "arn" => p.detail.arn.clone().unwrap_or_default(),
                    "id" => p.id(),
                    "name" => p.name(),
                    "lastRecordId" => p.detail.last_record_id.clone().unwrap_or_default(),
                    other => {
                        return Err(ApiError::InvalidParameters(format!(
                            "SortBy '{other}' is not one of arn, id, name, lastRecordId."
                        )));
                    }
                })
            };
            let items = matching
                .into_iter()
                .map(|p| Ok((key(&p)?, p.id(), p)))
                .collect::<Result<Vec<_>, ApiError>>()?;
            sorted_page(
                cx,
                &format!("sc:SearchProvisionedProducts:{by}:{descending}"),
                input.page_token.as_deref(),
                page_size(input.page_size),
                items,
                descending,
            )?
        }
    };
    Ok(SearchProvisionedProductsOutput {
        provisioned_products: Some(items.into_iter().map(attribute).collect()),
        total_results_count: Some(i32::try_from(total).unwrap_or(i32::MAX)),
        next_page_token: next,
    })
}

pub async fn outputs(
    cx: &Cx,
    input: GetProvisionedProductOutputsInput,
) -> Result<GetProvisionedProductOutputsOutput, ApiError> {
    let pp = find(
        cx,
        input.provisioned_product_id.as_deref(),
        input.provisioned_product_name.as_deref(),
    )
    .await?
    .doc;
    let scope = format!("sc:GetProvisionedProductOutputs:{}", pp.id());
    let wanted: Vec<RecordOutput> = pp
        .outputs
        .into_iter()
        .filter(|o| {
            input
                .output_keys
                .as_ref()
                .is_none_or(|keys| o.output_key.as_ref().is_some_and(|k| keys.contains(k)))
        })
        .collect();
    let (outs, next) = page_outputs(
        cx,
        &scope,
        wanted,
        input.page_token.as_deref(),
        input.page_size,
    )?;
    Ok(GetProvisionedProductOutputsOutput {
        outputs: Some(outs),
        next_page_token: next,
    })
}

pub async fn describe_record(
    cx: &Cx,
    input: DescribeRecordInput,
) -> Result<DescribeRecordOutput, ApiError> {
    let rec = record(cx, &input.id).await?.doc;
    let scope = format!("sc:DescribeRecord:{}", input.id);
    let (outputs, next) = page_outputs(
        cx,
        &scope,
        rec.outputs,
        input.page_token.as_deref(),
        input.page_size,
    )?;
    Ok(DescribeRecordOutput {
        record_detail: Some(rec.detail),
        record_outputs: Some(outputs),
        next_page_token: next,
    })
}

/// One page of outputs in key order: those after `PageToken` (a token of `scope`, naming
/// the last key of the previous page), at most `PageSize`, and the next page's token.
fn page_outputs(
    cx: &Cx,
    scope: &str,
    mut outputs: Vec<RecordOutput>,
    page_token: Option<&str>,
    size_asked: Option<i32>,
) -> Result<(Vec<RecordOutput>, Option<String>), ApiError> {
    let after = match page_token {
        Some(t) if !t.is_empty() => Some(cx.parse_next_token(scope, t).map_err(|_| {
            ApiError::InvalidParameters(format!("The PageToken '{t}' is not valid."))
        })?),
        _ => None,
    };
    outputs.retain(|o| {
        after
            .as_deref()
            .is_none_or(|a| o.output_key.as_deref().unwrap_or("") > a)
    });
    outputs.sort_by(|a, b| a.output_key.cmp(&b.output_key));
    let size = usize::try_from(page_size(size_asked)).unwrap_or(20);
    let next = (outputs.len() > size)
        .then(|| {
            outputs
                .get(size - 1)
                .and_then(|o| o.output_key.as_deref())
                .map(|k| cx.next_token(scope, k))
        })
        .flatten();
    outputs.truncate(size);
    Ok((outputs, next))
}

pub async fn list_record_history(
    cx: &Cx,
    input: ListRecordHistoryInput,
) -> Result<ListRecordHistoryOutput, ApiError> {
    check_access(input.access_level_filter.as_ref())?;
    let filter = match &input.search_filter {
        Some(f) => match (f.key.as_deref(), f.value.clone()) {
            (Some("product"), Some(v)) => Some((true, v)),
            (Some("provisionedproduct"), Some(v)) => Some((false, v)),
            (k, _) => {
                return Err(ApiError::InvalidParameters(format!(
                    "SearchFilter key '{}' is not one of product, provisionedproduct, or it has no value.",
                    k.unwrap_or("")
                )));
            }
        },
        None => None,
    };
    let (items, next) = scan_page::<RecordDoc>(
        cx,
        Kind::CatalogRecord,
        None,
        "sc:ListRecordHistory",
        input.page_token.as_deref(),
        page_size(input.page_size),
        RecordDoc::id,
        |r: &RecordDoc| match &filter {
            None => true,
            Some((true, v)) => r.detail.product_id.as_deref() == Some(v.as_str()),
            Some((false, v)) => r.detail.provisioned_product_id.as_deref() == Some(v.as_str()),
        },
    )
    .await?;
    Ok(ListRecordHistoryOutput {
        record_details: Some(items.into_iter().map(|r| r.detail).collect()),
        next_page_token: next,
    })
}

// ---- the job ----------------------------------------------------------------------------

/// The stack of a provisioned product: `SC-<account>-<id>`.
pub fn stack_name(cx: &Cx, pp_id: &str) -> String {
    format!("SC-{}-{pp_id}", cx.config.account_id)
}

/// How a record ends.
enum Outcome {
    Succeeded(Vec<RecordOutput>),
    Failed(String),
}

/// One step of a record's job: `poll` is false on the first run (start the stack operation),
/// true afterwards. `Ok(Some(d))`: look again after `d`; `Ok(None)`: done.
pub async fn step(cx: &Cx, record_id: &str, poll: bool) -> Result<Option<Duration>, ApiError> {
    let Some(row) = cx
        .store
        .get::<RecordDoc>(Kind::CatalogRecord, record_id)
        .await?
    else {
        return Ok(None);
    };
    let mut rec = row.doc;
    if matches!(rec.status(), RecordStatus::Succeeded | RecordStatus::Failed) {
        return Ok(None);
    }
    if rec.status() == RecordStatus::Created {
        rec.detail.status = Some(RecordStatus::InProgress);
        rec.detail.updated_time = Some(cx.clock.now());
        let r = record_row(cx, &rec)?;
        let cols = Columns {
            name: &r.name,
            parent: &r.parent,
            status: &r.status,
            arn: &r.arn,
        };
        if !cx
            .store
            .update(Kind::CatalogRecord, &cols, row.version, &rec)
            .await?
        {
            return Err(ApiError::InternalServer(format!(
                "record {record_id} changed; retrying"
            )));
        }
    }
    let pp_id = rec
        .detail
        .provisioned_product_id
        .clone()
        .unwrap_or_default();
    let Some(cfn) = cx.cloudformation.clone() else {
        if rec.kind() == TERMINATE && last_success(cx, &pp_id).await?.is_none() {
            // Nothing was ever provisioned, so there is nothing to delete.
            conclude(cx, record_id, Outcome::Succeeded(Vec::new())).await?;
            return Ok(None);
        }
        conclude(
            cx,
            record_id,
            Outcome::Failed(
                "No CloudFormation provisioner is configured in this Baryon engine (start it with --cloudformation-endpoint), so the stack was not changed.".to_owned(),
            ),
        )
        .await?;
        return Ok(None);
    };
    let client = cfn.client();
    let stack = stack_name(cx, &pp_id);
    if !poll {
        let started = match rec.kind() {
            TERMINATE => start_delete(client, &stack, rec.retain).await?,
            PROVISION => start_create(client, &stack, &rec).await?,
            _ => start_update(client, &stack, &rec).await?,
        };
        if let Some(outcome) = started {
            conclude(cx, record_id, outcome).await?;
            return Ok(None);
        }
        return Ok(Some(POLL));
    }
    let outcome = match describe_stack(client, &stack).await? {
        None if rec.kind() == TERMINATE => Outcome::Succeeded(Vec::new()),
        None => Outcome::Failed(format!("The stack {stack} does not exist.")),
        Some(s) => {
            let status = s.stack_status().map_or("", |st| st.as_str()).to_owned();
            let reason = s.stack_status_reason().unwrap_or("").to_owned();
            match status.as_str() {
                "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
                    if rec.kind() != TERMINATE =>
                {
                    Outcome::Succeeded(stack_outputs(&s))
                }
                "DELETE_COMPLETE" if rec.kind() == TERMINATE => Outcome::Succeeded(Vec::new()),
                s_ if s_.ends_with("_IN_PROGRESS") => return Ok(Some(POLL)),
                _ => Outcome::Failed(if reason.is_empty() {
                    format!("The stack {stack} ended {status}.")
                } else {
                    format!("The stack {stack} ended {status}: {reason}")
                }),
            }
        }
    };
    conclude(cx, record_id, outcome).await?;
    Ok(None)
}

async fn last_success(cx: &Cx, pp_id: &str) -> Result<Option<String>, ApiError> {
    Ok(cx
        .store
        .get::<ProvisionedDoc>(Kind::CatalogProvisionedProduct, pp_id)
        .await?
        .and_then(|r| r.doc.detail.last_successful_provisioning_record_id))
}

fn capabilities() -> Vec<Capability> {
    vec![
        Capability::CapabilityIam,
        Capability::CapabilityNamedIam,
        Capability::CapabilityAutoExpand,
    ]
}

fn stack_params(rec: &RecordDoc) -> Vec<Parameter> {
    rec.parameters
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build()
        })
        .collect()
}

fn stack_outputs(s: &Stack) -> Vec<RecordOutput> {
    let mut outs: Vec<RecordOutput> = s
        .outputs()
        .iter()
        .map(|o| RecordOutput {
            output_key: o.output_key().map(str::to_owned),
            output_value: o.output_value().map(str::to_owned),
            description: o.description().map(str::to_owned),
        })
        .collect();
    outs.sort_by(|a, b| a.output_key.cmp(&b.output_key));
    outs
}

/// A CloudFormation error: the service's own answer (the record fails with it) or a failure
/// to reach the service (the job retries).
fn cfn_failure<E: ProvideErrorMetadata + std::error::Error + 'static>(
    op: &str,
    e: &aws_sdk_cloudformation::error::SdkError<E>,
) -> Result<Outcome, ApiError> {
    match (e.code(), e.message()) {
        (Some(code), message) => Ok(Outcome::Failed(format!(
            "CloudFormation {op} failed: {code}: {}",
            message.unwrap_or("")
        ))),
        (None, _) => Err(ApiError::InternalServer(format!(
            "CloudFormation {op} failed: {}",
            aws_sdk_cloudformation::error::DisplayErrorContext(e)
        ))),
    }
}

async fn describe_stack(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
) -> Result<Option<Stack>, ApiError> {
    match client.describe_stacks().stack_name(stack).send().await {
        Ok(out) => Ok(out.stacks.unwrap_or_default().into_iter().next()),
        Err(e) if e.message().is_some_and(|m| m.contains("does not exist")) => Ok(None),
        Err(e) => Err(ApiError::InternalServer(format!(
            "CloudFormation DescribeStacks failed: {}",
            aws_sdk_cloudformation::error::DisplayErrorContext(&e)
        ))),
    }
}

async fn start_create(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
    rec: &RecordDoc,
) -> Result<Option<Outcome>, ApiError> {
    // A rerun after a crash finds the stack it created: carry on polling it.
    if let Some(s) = describe_stack(client, stack).await?
        && s.stack_status()
            .is_some_and(|st| st.as_str() != "DELETE_COMPLETE")
    {
        return Ok(None);
    }
    let sent = client
        .create_stack()
        .stack_name(stack)
        .template_body(rec.template.as_deref().unwrap_or(""))
        .set_parameters(Some(stack_params(rec)))
        .set_capabilities(Some(capabilities()))
        .send()
        .await;
    match sent {
        Ok(_) => Ok(None),
        Err(e) if e.code() == Some("AlreadyExistsException") => Ok(None),
        Err(e) => cfn_failure("CreateStack", &e).map(Some),
    }
}

async fn start_update(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
    rec: &RecordDoc,
) -> Result<Option<Outcome>, ApiError> {
    let sent = client
        .update_stack()
        .stack_name(stack)
        .template_body(rec.template.as_deref().unwrap_or(""))
        .set_parameters(Some(stack_params(rec)))
        .set_capabilities(Some(capabilities()))
        .send()
        .await;
    match sent {
        Ok(_) => Ok(None),
        Err(e)
            if e.message()
                .is_some_and(|m| m.contains("No updates are to be performed")) =>
        {
            let outputs = describe_stack(client, stack)
                .await?
                .map(|s| stack_outputs(&s))
                .unwrap_or_default();
            Ok(Some(Outcome::Succeeded(outputs)))
        }
        Err(e) => cfn_failure("UpdateStack", &e).map(Some),
    }
}

async fn start_delete(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
    retain: bool,
) -> Result<Option<Outcome>, ApiError> {
    if retain {
        // RetainPhysicalResources: the stack and its resources stay; Service Catalog forgets it.
        return Ok(Some(Outcome::Succeeded(Vec::new())));
    }
    if describe_stack(client, stack).await?.is_none() {
        return Ok(Some(Outcome::Succeeded(Vec::new())));
    }
    match client.delete_stack().stack_name(stack).send().await {
        Ok(_) => Ok(None),
        Err(e) => cfn_failure("DeleteStack", &e).map(Some),
    }
}

/// Ends a record and sets its provisioned product accordingly, in one write: success makes
/// it `AVAILABLE` with the stack's outputs (a terminate removes it); failure leaves it `ERROR`
/// (a failed launch or terminate) or `TAINTED` (a failed update: the stack rolled back to what
/// it was), with the reason in `RecordErrors` and `StatusMessage`.
async fn conclude(cx: &Cx, record_id: &str, outcome: Outcome) -> Result<(), ApiError> {
    let row = record(cx, record_id).await?;
    let mut rec = row.doc;
    let now = cx.clock.now();
    rec.detail.updated_time = Some(now);
    let pp_id = rec
        .detail
        .provisioned_product_id
        .clone()
        .unwrap_or_default();
    let pp_row = cx
        .store
        .get::<ProvisionedDoc>(Kind::CatalogProvisionedProduct, &pp_id)
        .await?;
    let mut updates = Vec::new();
    let mut deletes: Vec<(Kind, String)> = Vec::new();
    match outcome {
        Outcome::Succeeded(outputs) => {
            rec.detail.status = Some(RecordStatus::Succeeded);
            rec.outputs.clone_from(&outputs);
            if let Some(pr) = &pp_row {
                let mut pp = pr.doc.clone();
                if rec.kind() == TERMINATE {
                    deletes.push((Kind::CatalogProvisionedProduct, pp.id()));
                    deletes.push((Kind::CatalogProvisionedProductName, pp.name()));
                } else {
                    pp.detail.status = Some(ProvisionedProductStatus::Available);
                    pp.detail.status_message = None;
                    pp.detail.last_successful_provisioning_record_id = Some(record_id.to_owned());
                    pp.detail
                        .provisioning_artifact_id
                        .clone_from(&rec.detail.provisioning_artifact_id);
                    pp.parameters = rec.parameters.clone();
                    pp.outputs = outputs;
                    if rec.detail.path_id.is_some() {
                        pp.path_id.clone_from(&rec.detail.path_id);
                    }
                    updates.push((pr.version, pp));
                }
            }
        }
        Outcome::Failed(reason) => {
            tracing::debug!(record = %record_id, %reason, "record failed");
            rec.detail.status = Some(RecordStatus::Failed);
            rec.detail.record_errors = Some(vec![RecordError {
                code: Some(
                    if cx.cloudformation.is_some() {
                        "CloudFormation"
                    } else {
                        "ProvisionerNotConfigured"
                    }
                    .to_owned(),
                ),
                description: Some(reason.clone()),
            }]);
            if let Some(pr) = &pp_row {
                let mut pp = pr.doc.clone();
                if rec.kind() == TERMINATE && rec.ignore_errors {
                    deletes.push((Kind::CatalogProvisionedProduct, pp.id()));
                    deletes.push((Kind::CatalogProvisionedProductName, pp.name()));
                } else {
                    pp.detail.status = Some(if rec.kind() == UPDATE {
                        ProvisionedProductStatus::Tainted
                    } else {
                        ProvisionedProductStatus::Error
                    });
                    pp.detail.status_message = Some(reason);
                    updates.push((pr.version, pp));
                }
            }
        }
    }
    let r = record_row(cx, &rec)?;
    let rec_text =
        serde_json::to_string(&rec).map_err(|e| ApiError::InternalServer(e.to_string()))?;
    let mut texts = Vec::new();
    for (version, pp) in &updates {
        texts.push((
            *version,
            pp.detail.arn.clone().unwrap_or_default(),
            status_str(pp),
            serde_json::to_string(pp).map_err(|e| ApiError::InternalServer(e.to_string()))?,
            pp.id(),
        ));
    }
    let mut writes = vec![(
        Kind::CatalogRecord,
        Columns {
            name: &r.name,
            parent: &r.parent,
            status: &r.status,
            arn: &r.arn,
        },
        row.version,
        rec_text,
    )];
    for (version, arn_, status, text, id) in &texts {
        writes.push((
            Kind::CatalogProvisionedProduct,
            Columns {
                name: id,
                parent: "",
                status,
                arn: arn_,
            },
            *version,
            text.clone(),
        ));
    }
    let deletes: Vec<(Kind, &str)> = deletes.iter().map(|(k, n)| (*k, n.as_str())).collect();
    if !cx
        .store
        .write_all(&writes, &deletes, &[], &[], None)
        .await?
    {
        return Err(ApiError::InternalServer(format!(
            "record {record_id} or its provisioned product changed while concluding; retrying"
        )));
    }
    Ok(())
}

/// Ends a record whose job failed too often.
pub async fn give_up(cx: &Cx, record_id: &str, reason: &str) -> Result<(), ApiError> {
    match record(cx, record_id).await {
        Ok(r)
            if !matches!(
                r.doc.status(),
                RecordStatus::Succeeded | RecordStatus::Failed
            ) =>
        {
            conclude(cx, record_id, Outcome::Failed(reason.to_owned())).await
        }
        Ok(_) | Err(ApiError::CatalogResourceNotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Start-up recovery: every record `CREATED` or `IN_PROGRESS` without a job gets one.
pub async fn recover(cx: &Cx) -> Result<usize, ApiError> {
    let mut n = 0;
    for status in [RecordStatus::Created, RecordStatus::InProgress] {
        for rec in cx
            .store
            .list_by_status::<RecordDoc>(Kind::CatalogRecord, status.as_str())
            .await?
        {
            let id = rec.id();
            if !cx.store.has_job(JOB, &id).await? {
                let job_id = cx.ids.uuid();
                cx.store
                    .enqueue(&NewJob {
                        id: &job_id,
                        kind: JOB,
                        subject: &id,
                    })
                    .await?;
                n += 1;
            }
        }
    }
    Ok(n)
}
