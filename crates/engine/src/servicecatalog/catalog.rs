//! Products, provisioning artifacts, portfolios and launch paths.
//!
//! A product is visible to end users (DescribeProduct, SearchProducts, ProvisionProduct, …)
//! through a launch path: a portfolio it is associated with. Admin operations see every
//! product of the account. Principals associated with a portfolio are recorded; every caller
//! signed by one of the account's keys is treated as such a principal.

use std::collections::BTreeMap;

use baryon_model::servicecatalog::{
    AssociatePrincipalWithPortfolioInput, AssociatePrincipalWithPortfolioOutput,
    AssociateProductWithPortfolioInput, AssociateProductWithPortfolioOutput, CreatePortfolioInput,
    CreatePortfolioOutput, CreateProductInput, CreateProductOutput,
    CreateProvisioningArtifactInput, CreateProvisioningArtifactOutput, DeletePortfolioInput,
    DeletePortfolioOutput, DeleteProductInput, DeleteProductOutput,
    DeleteProvisioningArtifactInput, DeleteProvisioningArtifactOutput, DescribePortfolioInput,
    DescribePortfolioOutput, DescribeProductAsAdminInput, DescribeProductAsAdminOutput,
    DescribeProductInput, DescribeProductOutput, DescribeProductViewInput,
    DescribeProductViewOutput, DescribeProvisioningArtifactInput,
    DescribeProvisioningArtifactOutput, DescribeProvisioningParametersInput,
    DescribeProvisioningParametersOutput, DisassociateProductFromPortfolioInput,
    DisassociateProductFromPortfolioOutput, LaunchPath, LaunchPathSummary, ListLaunchPathsInput,
    ListLaunchPathsOutput, ListPortfoliosInput, ListPortfoliosOutput,
    ListProvisioningArtifactsInput, ListProvisioningArtifactsOutput, PortfolioDetail,
    PrincipalType, ProductType, ProductViewDetail, ProductViewSortBy, ProductViewSummary,
    ProvisioningArtifact, ProvisioningArtifactDetail, ProvisioningArtifactGuidance,
    ProvisioningArtifactProperties, ProvisioningArtifactSummary, ProvisioningArtifactType,
    SearchProductsAsAdminInput, SearchProductsAsAdminOutput, SearchProductsInput,
    SearchProductsOutput, SortOrder, Status, Tag, UpdateProductInput, UpdateProductOutput,
    UpdateProvisioningArtifactInput, UpdateProvisioningArtifactOutput,
};
use serde::{Deserialize, Serialize};

use super::{
    all, all_prefixed, arn, new_id, page_size, scan_page, sorted_page, template, token_used,
};
use crate::context::Cx;
use crate::error::ApiError;
use crate::store::{Columns, Kind, NewRow, Row_};

/// A stored product.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductDoc {
    /// What DescribeProductAsAdmin shows.
    #[serde(rename = "ProductViewDetail")]
    pub detail: ProductViewDetail,
    /// Its tags.
    #[serde(rename = "Tags", default)]
    pub tags: Vec<Tag>,
}

impl ProductDoc {
    /// The product id.
    pub fn id(&self) -> String {
        self.summary().product_id.clone().unwrap_or_default()
    }

    fn summary(&self) -> &ProductViewSummary {
        static EMPTY: std::sync::OnceLock<ProductViewSummary> = std::sync::OnceLock::new();
        self.detail
            .product_view_summary
            .as_ref()
            .unwrap_or_else(|| EMPTY.get_or_init(ProductViewSummary::default))
    }

    /// The product name.
    pub fn name(&self) -> String {
        self.summary().name.clone().unwrap_or_default()
    }
}

/// A stored provisioning artifact: its detail, `Info` and the template it read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArtifactDoc {
    /// Its product.
    #[serde(rename = "ProductId")]
    pub product_id: String,
    /// What DescribeProvisioningArtifact shows.
    #[serde(rename = "ProvisioningArtifactDetail")]
    pub detail: ProvisioningArtifactDetail,
    /// The `Info` it was created with.
    #[serde(rename = "Info", default)]
    pub info: BTreeMap<String, String>,
    /// The CloudFormation template, as read when the artifact was created.
    #[serde(rename = "Template")]
    pub template: String,
}

impl ArtifactDoc {
    /// The artifact id.
    pub fn id(&self) -> String {
        self.detail.id.clone().unwrap_or_default()
    }
}

/// A stored portfolio.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PortfolioDoc {
    /// What DescribePortfolio shows.
    #[serde(rename = "PortfolioDetail")]
    pub detail: PortfolioDetail,
    /// Its tags.
    #[serde(rename = "Tags", default)]
    pub tags: Vec<Tag>,
}

/// A product–portfolio association.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Association {
    #[serde(rename = "ProductId")]
    product_id: String,
    #[serde(rename = "PortfolioId")]
    portfolio_id: String,
}

/// A principal associated with a portfolio.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Principal {
    #[serde(rename = "PortfolioId")]
    portfolio_id: String,
    #[serde(rename = "PrincipalARN")]
    arn: String,
    #[serde(rename = "PrincipalType")]
    kind: PrincipalType,
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::CatalogResourceNotFound(format!("{what} {id} not found."))
}

fn product_row(cx: &Cx, doc: &ProductDoc) -> Result<NewRow, ApiError> {
    let id = doc.id();
    let arn = doc
        .detail
        .product_arn
        .clone()
        .unwrap_or_else(|| arn(cx, "catalog", &format!("product/{id}")));
    Ok(NewRow::new(
        Kind::CatalogProduct,
        &Columns {
            name: &id,
            parent: "",
            status: "",
            arn: &arn,
        },
        doc,
    )?)
}

fn artifact_name(product: &str, artifact: &str) -> String {
    format!("{product}/{artifact}")
}

fn artifact_row(cx: &Cx, doc: &ArtifactDoc) -> Result<NewRow, ApiError> {
    let name = artifact_name(&doc.product_id, &doc.id());
    let arn = arn(cx, "catalog", &format!("product/{name}"));
    Ok(NewRow::new(
        Kind::CatalogArtifact,
        &Columns {
            name: &name,
            parent: &doc.product_id,
            status: "",
            arn: &arn,
        },
        doc,
    )?)
}

/// A product by id, with its row version.
pub async fn product(cx: &Cx, id: &str) -> Result<Row_<ProductDoc>, ApiError> {
    cx.store
        .get::<ProductDoc>(Kind::CatalogProduct, id)
        .await?
        .ok_or_else(|| not_found("Product", id))
}

/// A product by id or (first match of) name.
pub async fn find_product(
    cx: &Cx,
    id: Option<&str>,
    name: Option<&str>,
) -> Result<ProductDoc, ApiError> {
    match (id, name) {
        (Some(id), _) => Ok(product(cx, id).await?.doc),
        (None, Some(name)) => all::<ProductDoc>(cx, Kind::CatalogProduct, None)
            .await?
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| not_found("Product", name)),
        (None, None) => Err(ApiError::InvalidParameters(
            "Either the product's Id or its Name must be given.".to_owned(),
        )),
    }
}

/// The artifacts of a product, in creation order.
pub async fn artifacts(cx: &Cx, product_id: &str) -> Result<Vec<ArtifactDoc>, ApiError> {
    all(cx, Kind::CatalogArtifact, Some(product_id)).await
}

/// An artifact of a product by id or name.
pub async fn find_artifact(
    cx: &Cx,
    product_id: &str,
    id: Option<&str>,
    name: Option<&str>,
) -> Result<ArtifactDoc, ApiError> {
    match (id, name) {
        (Some(id), _) => cx
            .store
            .get::<ArtifactDoc>(Kind::CatalogArtifact, &artifact_name(product_id, id))
            .await?
            .map(|r| r.doc)
            .ok_or_else(|| not_found("ProvisioningArtifact", id)),
        (None, Some(name)) => artifacts(cx, product_id)
            .await?
            .into_iter()
            .find(|a| a.detail.name.as_deref() == Some(name))
            .ok_or_else(|| not_found("ProvisioningArtifact", name)),
        (None, None) => Err(ApiError::InvalidParameters(
            "Either the ProvisioningArtifactId or the ProvisioningArtifactName must be given."
                .to_owned(),
        )),
    }
}

/// The launch paths of a product: the portfolios it is associated with, in id order.
pub async fn launch_paths(cx: &Cx, product_id: &str) -> Result<Vec<PortfolioDetail>, ApiError> {
    let mut out = Vec::new();
    for a in
        all_prefixed::<Association>(cx, Kind::CatalogPortfolioProduct, &format!("{product_id}/"))
            .await?
    {
        if let Some(p) = cx
            .store
            .get::<PortfolioDoc>(Kind::CatalogPortfolio, &a.portfolio_id)
            .await?
        {
            out.push(p.doc.detail);
        }
    }
    Ok(out)
}

/// The launch path a provisioning request uses: `PathId` (or `PathName`) when given, else
/// the product's only path. A product without one is not visible to end users.
pub async fn launch_path(
    cx: &Cx,
    product_id: &str,
    path_id: Option<&str>,
    path_name: Option<&str>,
) -> Result<PortfolioDetail, ApiError> {
    let paths = launch_paths(cx, product_id).await?;
    if paths.is_empty() {
        return Err(not_found("Product", product_id));
    }
    match (path_id, path_name) {
        (Some(id), _) => paths
            .into_iter()
            .find(|p| p.id.as_deref() == Some(id))
            .ok_or_else(|| {
                ApiError::InvalidParameters(format!(
                    "{id} is not a launch path of product {product_id}."
                ))
            }),
        (None, Some(name)) => paths
            .into_iter()
            .find(|p| p.display_name.as_deref() == Some(name))
            .ok_or_else(|| {
                ApiError::InvalidParameters(format!(
                    "{name} is not a launch path of product {product_id}."
                ))
            }),
        (None, None) if paths.len() == 1 => Ok(paths.into_iter().next().unwrap_or_default()),
        (None, None) => Err(ApiError::InvalidParameters(format!(
            "Product {product_id} has {} launch paths; give PathId.",
            paths.len()
        ))),
    }
}

/// Ids of the products associated with `portfolio` (with any portfolio when `None`).
async fn products_in(
    cx: &Cx,
    portfolio: Option<&str>,
) -> Result<std::collections::HashSet<String>, ApiError> {
    Ok(
        all::<Association>(cx, Kind::CatalogPortfolioProduct, portfolio)
            .await?
            .into_iter()
            .map(|a| a.product_id)
            .collect(),
    )
}

/// A product that end users can see (it has a launch path).
async fn visible_product(
    cx: &Cx,
    id: Option<&str>,
    name: Option<&str>,
) -> Result<ProductDoc, ApiError> {
    let p = find_product(cx, id, name).await?;
    if launch_paths(cx, &p.id()).await?.is_empty() {
        return Err(not_found("Product", &p.id()));
    }
    Ok(p)
}

fn check_artifact_type(
    t: Option<&ProvisioningArtifactType>,
) -> Result<ProvisioningArtifactType, ApiError> {
    match t {
        None | Some(ProvisioningArtifactType::CloudFormationTemplate) => {
            Ok(ProvisioningArtifactType::CloudFormationTemplate)
        }
        Some(other) => Err(ApiError::InvalidParameters(format!(
            "Provisioning artifact type {} is not supported by this engine; it provisions CLOUD_FORMATION_TEMPLATE.",
            other.as_str()
        ))),
    }
}

async fn new_artifact(
    cx: &Cx,
    product_id: &str,
    props: &ProvisioningArtifactProperties,
) -> Result<ArtifactDoc, ApiError> {
    let artifact_type = check_artifact_type(props.r#type.as_ref())?;
    let template = template::load(
        cx,
        props.info.as_ref(),
        props.disable_template_validation == Some(true),
    )
    .await?;
    Ok(ArtifactDoc {
        product_id: product_id.to_owned(),
        detail: ProvisioningArtifactDetail {
            id: Some(new_id(cx, "pa")),
            name: props.name.clone(),
            description: props.description.clone(),
            r#type: Some(artifact_type),
            created_time: Some(cx.clock.now()),
            active: Some(true),
            guidance: Some(ProvisioningArtifactGuidance::Default),
            source_revision: None,
        },
        info: props.info.clone().unwrap_or_default(),
        template,
    })
}

fn view_id(product_id: &str) -> String {
    format!(
        "prodview-{}",
        product_id.strip_prefix("prod-").unwrap_or(product_id)
    )
}

pub async fn create_product(
    cx: &Cx,
    input: CreateProductInput,
) -> Result<CreateProductOutput, ApiError> {
    const SCOPE: &str = "sc:CreateProduct";
    if let Some(id) = token_used(cx, SCOPE, &input.idempotency_token, &input).await? {
        let p = product(cx, &id).await?.doc;
        let first = artifacts(cx, &id).await?.into_iter().next();
        return Ok(CreateProductOutput {
            product_view_detail: Some(p.detail),
            provisioning_artifact_detail: first.map(|a| a.detail),
            tags: Some(p.tags),
        });
    }
    if input.product_type != ProductType::CloudFormationTemplate {
        return Err(ApiError::InvalidParameters(format!(
            "Product type {} is not supported by this engine; it provisions CLOUD_FORMATION_TEMPLATE products.",
            input.product_type.as_str()
        )));
    }
    if input.source_connection.is_some() {
        return Err(ApiError::InvalidParameters(
            "SourceConnection is not supported by this engine.".to_owned(),
        ));
    }
    let props = input
        .provisioning_artifact_parameters
        .clone()
        .ok_or_else(|| {
            ApiError::InvalidParameters(
            "ProvisioningArtifactParameters are required for a CLOUD_FORMATION_TEMPLATE product."
                .to_owned(),
        )
        })?;
    let id = new_id(cx, "prod");
    let artifact = new_artifact(cx, &id, &props).await?;
    let doc = ProductDoc {
        detail: ProductViewDetail {
            product_view_summary: Some(ProductViewSummary {
                id: Some(view_id(&id)),
                product_id: Some(id.clone()),
                name: Some(input.name.clone()),
                owner: Some(input.owner.clone()),
                short_description: input.description.clone(),
                r#type: Some(input.product_type.clone()),
                distributor: input.distributor.clone(),
                has_default_path: Some(false),
                support_email: input.support_email.clone(),
                support_description: input.support_description.clone(),
                support_url: input.support_url.clone(),
            }),
            status: Some(Status::Available),
            product_arn: Some(arn(cx, "catalog", &format!("product/{id}"))),
            created_time: Some(cx.clock.now()),
            source_connection: None,
        },
        tags: input.tags.clone().unwrap_or_default(),
    };
    let hash = crate::handlers::request_hash(&input);
    let rows = [product_row(cx, &doc)?, artifact_row(cx, &artifact)?];
    if !cx
        .store
        .write_all(
            &[],
            &[],
            &rows,
            &[],
            Some(((SCOPE, &input.idempotency_token, &hash), &id)),
        )
        .await?
    {
        return Err(ApiError::InternalServer(
            "The product id was taken; retry.".to_owned(),
        ));
    }
    Ok(CreateProductOutput {
        product_view_detail: Some(doc.detail),
        provisioning_artifact_detail: Some(artifact.detail),
        tags: Some(doc.tags),
    })
}

fn artifact_brief(a: &ArtifactDoc) -> ProvisioningArtifact {
    ProvisioningArtifact {
        id: a.detail.id.clone(),
        name: a.detail.name.clone(),
        description: a.detail.description.clone(),
        created_time: a.detail.created_time,
        guidance: a.detail.guidance.clone(),
    }
}

async fn active_artifacts(
    cx: &Cx,
    product_id: &str,
) -> Result<Vec<ProvisioningArtifact>, ApiError> {
    Ok(artifacts(cx, product_id)
        .await?
        .iter()
        .filter(|a| a.detail.active != Some(false))
        .map(artifact_brief)
        .collect())
}

pub async fn describe_product(
    cx: &Cx,
    input: DescribeProductInput,
) -> Result<DescribeProductOutput, ApiError> {
    let p = visible_product(cx, input.id.as_deref(), input.name.as_deref()).await?;
    let paths = launch_paths(cx, &p.id()).await?;
    Ok(DescribeProductOutput {
        provisioning_artifacts: Some(active_artifacts(cx, &p.id()).await?),
        budgets: Some(Vec::new()),
        launch_paths: Some(
            paths
                .into_iter()
                .map(|d| LaunchPath {
                    id: d.id,
                    name: d.display_name,
                })
                .collect(),
        ),
        product_view_summary: p.detail.product_view_summary,
    })
}

pub async fn describe_product_as_admin(
    cx: &Cx,
    input: DescribeProductAsAdminInput,
) -> Result<DescribeProductAsAdminOutput, ApiError> {
    let p = find_product(cx, input.id.as_deref(), input.name.as_deref()).await?;
    let summaries = artifacts(cx, &p.id())
        .await?
        .into_iter()
        .map(|a| ProvisioningArtifactSummary {
            id: a.detail.id,
            name: a.detail.name,
            description: a.detail.description,
            created_time: a.detail.created_time,
            provisioning_artifact_metadata: Some(a.info),
        })
        .collect();
    Ok(DescribeProductAsAdminOutput {
        product_view_detail: Some(p.detail),
        provisioning_artifact_summaries: Some(summaries),
        tags: Some(p.tags),
        tag_options: Some(Vec::new()),
        budgets: Some(Vec::new()),
    })
}

pub async fn describe_product_view(
    cx: &Cx,
    input: DescribeProductViewInput,
) -> Result<DescribeProductViewOutput, ApiError> {
    let id = input
        .id
        .strip_prefix("prodview-")
        .map(|rest| format!("prod-{rest}"))
        .ok_or_else(|| not_found("ProductView", &input.id))?;
    let p = visible_product(cx, Some(&id), None)
        .await
        .map_err(|_| not_found("ProductView", &input.id))?;
    Ok(DescribeProductViewOutput {
        provisioning_artifacts: Some(active_artifacts(cx, &id).await?),
        product_view_summary: p.detail.product_view_summary,
    })
}

pub async fn update_product(
    cx: &Cx,
    input: UpdateProductInput,
) -> Result<UpdateProductOutput, ApiError> {
    if input.source_connection.is_some() {
        return Err(ApiError::InvalidParameters(
            "SourceConnection is not supported by this engine.".to_owned(),
        ));
    }
    let row = product(cx, &input.id).await?;
    let mut doc = row.doc;
    let mut summary = doc.detail.product_view_summary.clone().unwrap_or_default();
    let set = |field: &mut Option<String>, value: &Option<String>| {
        if let Some(v) = value {
            *field = Some(v.clone());
        }
    };
    set(&mut summary.name, &input.name);
    set(&mut summary.owner, &input.owner);
    set(&mut summary.short_description, &input.description);
    set(&mut summary.distributor, &input.distributor);
    set(&mut summary.support_description, &input.support_description);
    set(&mut summary.support_email, &input.support_email);
    set(&mut summary.support_url, &input.support_url);
    doc.detail.product_view_summary = Some(summary);
    if let Some(remove) = &input.remove_tags {
        doc.tags.retain(|t| !remove.contains(&t.key));
    }
    for tag in input.add_tags.unwrap_or_default() {
        doc.tags.retain(|t| t.key != tag.key);
        doc.tags.push(tag);
    }
    let arn_ = doc.detail.product_arn.clone().unwrap_or_default();
    let cols = Columns {
        name: &input.id,
        parent: "",
        status: "",
        arn: &arn_,
    };
    if !cx
        .store
        .update(Kind::CatalogProduct, &cols, row.version, &doc)
        .await?
    {
        return Err(ApiError::InvalidParameters(format!(
            "Product {} was changed by another request; retry.",
            input.id
        )));
    }
    Ok(UpdateProductOutput {
        product_view_detail: Some(doc.detail),
        tags: Some(doc.tags),
    })
}

pub async fn delete_product(
    cx: &Cx,
    input: DeleteProductInput,
) -> Result<DeleteProductOutput, ApiError> {
    product(cx, &input.id).await?;
    let paths = launch_paths(cx, &input.id).await?;
    if let Some(first) = paths.first() {
        return Err(ApiError::ResourceInUse(format!(
            "Product {} is associated with portfolio {}; disassociate it first.",
            input.id,
            first.id.as_deref().unwrap_or("")
        )));
    }
    let names: Vec<String> = artifacts(cx, &input.id)
        .await?
        .iter()
        .map(|a| artifact_name(&input.id, &a.id()))
        .collect();
    let mut deletes: Vec<(Kind, &str)> = names
        .iter()
        .map(|n| (Kind::CatalogArtifact, n.as_str()))
        .collect();
    deletes.push((Kind::CatalogProduct, &input.id));
    cx.store.write_all(&[], &deletes, &[], &[], None).await?;
    Ok(DeleteProductOutput {})
}

/// Whether a product matches SearchProducts' `Filters` (`FullTextSearch`, `Owner`,
/// `ProductType`; values of one key are alternatives, keys must all match).
fn matches_filters(p: &ProductDoc, filters: Option<&BTreeMap<String, Vec<String>>>) -> bool {
    let Some(filters) = filters else { return true };
    let s = p.summary();
    filters.iter().all(|(key, values)| {
        values.is_empty()
            || values.iter().any(|v| {
                let v_lower = v.to_lowercase();
                match key.as_str() {
                    "FullTextSearch" => [&s.name, &s.owner, &s.short_description, &s.distributor]
                        .iter()
                        .any(|f| {
                            f.as_deref()
                                .is_some_and(|f| f.to_lowercase().contains(&v_lower))
                        }),
                    "Owner" => s.owner.as_deref() == Some(v),
                    "ProductType" => s.r#type.as_ref().is_some_and(|t| t.as_str() == v),
                    _ => false,
                }
            })
    })
}

fn check_filters(filters: Option<&BTreeMap<String, Vec<String>>>) -> Result<(), ApiError> {
    for key in filters.into_iter().flat_map(BTreeMap::keys) {
        if !["FullTextSearch", "Owner", "ProductType", "SourceProductId"].contains(&key.as_str()) {
            return Err(ApiError::InvalidParameters(format!(
                "Unknown filter {key}."
            )));
        }
    }
    Ok(())
}

/// Paging and order of a product search.
struct Page<'a> {
    token: Option<&'a str>,
    size: i32,
    sort_by: Option<&'a ProductViewSortBy>,
    sort_order: Option<&'a SortOrder>,
}

/// One page of the products `keep` accepts. Creation order (the default, `CreationDate`
/// ascending) pages the name index; other orders (`Title`, `VersionCount`, descending) sort
/// the matches in memory and page them by the last item's sort key and id.
async fn search(
    cx: &Cx,
    scope: &str,
    page: Page<'_>,
    keep: impl Fn(&ProductDoc) -> bool,
) -> Result<(Vec<ProductDoc>, Option<String>), ApiError> {
    let descending = page.sort_order == Some(&SortOrder::Descending);
    let by = page.sort_by.unwrap_or(&ProductViewSortBy::CreationDate);
    if *by == ProductViewSortBy::CreationDate && !descending {
        return scan_page(
            cx,
            Kind::CatalogProduct,
            None,
            scope,
            page.token,
            page.size,
            ProductDoc::id,
            keep,
        )
        .await;
    }
    let mut items = Vec::new();
    for p in all::<ProductDoc>(cx, Kind::CatalogProduct, None).await? {
        if !keep(&p) {
            continue;
        }
        let key = match by {
            ProductViewSortBy::Title => p.name().to_lowercase(),
            ProductViewSortBy::VersionCount => {
                format!("{:010}", artifacts(cx, &p.id()).await?.len())
            }
            _ => p.id(),
        };
        items.push((key, p.id(), p));
    }
    let scope = format!("{scope}:{}:{descending}", by.as_str());
    sorted_page(cx, &scope, page.token, page.size, items, descending)
}

pub async fn search_products(
    cx: &Cx,
    input: SearchProductsInput,
) -> Result<SearchProductsOutput, ApiError> {
    check_filters(input.filters.as_ref())?;
    let filters = input.filters.as_ref();
    let launchable = products_in(cx, None).await?;
    let (items, next) = search(
        cx,
        "sc:SearchProducts",
        Page {
            token: input.page_token.as_deref(),
            size: page_size(input.page_size),
            sort_by: input.sort_by.as_ref(),
            sort_order: input.sort_order.as_ref(),
        },
        |p: &ProductDoc| matches_filters(p, filters) && launchable.contains(&p.id()),
    )
    .await?;
    Ok(SearchProductsOutput {
        product_view_summaries: Some(
            items
                .into_iter()
                .filter_map(|p| p.detail.product_view_summary)
                .collect(),
        ),
        product_view_aggregations: None,
        next_page_token: next,
    })
}

pub async fn search_products_as_admin(
    cx: &Cx,
    input: SearchProductsAsAdminInput,
) -> Result<SearchProductsAsAdminOutput, ApiError> {
    check_filters(input.filters.as_ref())?;
    if let Some(portfolio) = &input.portfolio_id {
        portfolio_row(cx, portfolio).await?;
    }
    let filters = input.filters.as_ref();
    let in_portfolio = match input.portfolio_id.as_deref() {
        Some(port) => Some(products_in(cx, Some(port)).await?),
        None => None,
    };
    let (items, next) = search(
        cx,
        "sc:SearchProductsAsAdmin",
        Page {
            token: input.page_token.as_deref(),
            size: page_size(input.page_size),
            sort_by: input.sort_by.as_ref(),
            sort_order: input.sort_order.as_ref(),
        },
        |p: &ProductDoc| {
            in_portfolio
                .as_ref()
                .is_none_or(|set| set.contains(&p.id()))
                && matches_filters(p, filters)
        },
    )
    .await?;
    Ok(SearchProductsAsAdminOutput {
        product_view_details: Some(items.into_iter().map(|p| p.detail).collect()),
        next_page_token: next,
    })
}

pub async fn create_provisioning_artifact(
    cx: &Cx,
    input: CreateProvisioningArtifactInput,
) -> Result<CreateProvisioningArtifactOutput, ApiError> {
    const SCOPE: &str = "sc:CreateProvisioningArtifact";
    product(cx, &input.product_id).await?;
    if let Some(id) = token_used(cx, SCOPE, &input.idempotency_token, &input).await? {
        let a = find_artifact(cx, &input.product_id, Some(&id), None).await?;
        return Ok(CreateProvisioningArtifactOutput {
            provisioning_artifact_detail: Some(a.detail),
            info: Some(a.info),
            status: Some(Status::Available),
        });
    }
    let artifact = new_artifact(cx, &input.product_id, &input.parameters).await?;
    let hash = crate::handlers::request_hash(&input);
    let id = artifact.id();
    cx.store
        .write_all(
            &[],
            &[],
            &[artifact_row(cx, &artifact)?],
            &[],
            Some(((SCOPE, &input.idempotency_token, &hash), &id)),
        )
        .await?;
    Ok(CreateProvisioningArtifactOutput {
        provisioning_artifact_detail: Some(artifact.detail),
        info: Some(artifact.info),
        status: Some(Status::Available),
    })
}

pub async fn describe_provisioning_artifact(
    cx: &Cx,
    input: DescribeProvisioningArtifactInput,
) -> Result<DescribeProvisioningArtifactOutput, ApiError> {
    let p = find_product(
        cx,
        input.product_id.as_deref(),
        input.product_name.as_deref(),
    )
    .await?;
    let a = find_artifact(
        cx,
        &p.id(),
        input.provisioning_artifact_id.as_deref(),
        input.provisioning_artifact_name.as_deref(),
    )
    .await?;
    let parameters = (input.include_provisioning_artifact_parameters == Some(true))
        .then(|| template::parameters(&a.template));
    Ok(DescribeProvisioningArtifactOutput {
        provisioning_artifact_detail: Some(a.detail),
        info: Some(a.info),
        status: Some(Status::Available),
        provisioning_artifact_parameters: parameters,
    })
}

pub async fn list_provisioning_artifacts(
    cx: &Cx,
    input: ListProvisioningArtifactsInput,
) -> Result<ListProvisioningArtifactsOutput, ApiError> {
    product(cx, &input.product_id).await?;
    Ok(ListProvisioningArtifactsOutput {
        provisioning_artifact_details: Some(
            artifacts(cx, &input.product_id)
                .await?
                .into_iter()
                .map(|a| a.detail)
                .collect(),
        ),
        next_page_token: None,
    })
}

pub async fn update_provisioning_artifact(
    cx: &Cx,
    input: UpdateProvisioningArtifactInput,
) -> Result<UpdateProvisioningArtifactOutput, ApiError> {
    product(cx, &input.product_id).await?;
    let name = artifact_name(&input.product_id, &input.provisioning_artifact_id);
    let row = cx
        .store
        .get::<ArtifactDoc>(Kind::CatalogArtifact, &name)
        .await?
        .ok_or_else(|| not_found("ProvisioningArtifact", &input.provisioning_artifact_id))?;
    let mut doc = row.doc;
    if let Some(n) = input.name {
        doc.detail.name = Some(n);
    }
    if let Some(d) = input.description {
        doc.detail.description = Some(d);
    }
    if let Some(a) = input.active {
        doc.detail.active = Some(a);
    }
    if let Some(g) = input.guidance {
        doc.detail.guidance = Some(g);
    }
    let arn_ = arn(cx, "catalog", &format!("product/{name}"));
    let cols = Columns {
        name: &name,
        parent: &input.product_id,
        status: "",
        arn: &arn_,
    };
    if !cx
        .store
        .update(Kind::CatalogArtifact, &cols, row.version, &doc)
        .await?
    {
        return Err(ApiError::InvalidParameters(format!(
            "Provisioning artifact {} was changed by another request; retry.",
            input.provisioning_artifact_id
        )));
    }
    Ok(UpdateProvisioningArtifactOutput {
        provisioning_artifact_detail: Some(doc.detail),
        info: Some(doc.info),
        status: Some(Status::Available),
    })
}

pub async fn delete_provisioning_artifact(
    cx: &Cx,
    input: DeleteProvisioningArtifactInput,
) -> Result<DeleteProvisioningArtifactOutput, ApiError> {
    product(cx, &input.product_id).await?;
    let name = artifact_name(&input.product_id, &input.provisioning_artifact_id);
    find_artifact(
        cx,
        &input.product_id,
        Some(&input.provisioning_artifact_id),
        None,
    )
    .await?;
    if artifacts(cx, &input.product_id).await?.len() == 1 {
        return Err(ApiError::InvalidParameters(format!(
            "Provisioning artifact {} is the last one of product {}; a product keeps at least one.",
            input.provisioning_artifact_id, input.product_id
        )));
    }
    let users = super::provisioning::using_artifact(cx, &input.provisioning_artifact_id).await?;
    if let Some(pp) = users.first() {
        return Err(ApiError::ResourceInUse(format!(
            "Provisioning artifact {} is used by provisioned product {pp}.",
            input.provisioning_artifact_id
        )));
    }
    cx.store
        .write_all(&[], &[(Kind::CatalogArtifact, &name)], &[], &[], None)
        .await?;
    Ok(DeleteProvisioningArtifactOutput {})
}

async fn portfolio_row(cx: &Cx, id: &str) -> Result<Row_<PortfolioDoc>, ApiError> {
    cx.store
        .get::<PortfolioDoc>(Kind::CatalogPortfolio, id)
        .await?
        .ok_or_else(|| not_found("Portfolio", id))
}

pub async fn create_portfolio(
    cx: &Cx,
    input: CreatePortfolioInput,
) -> Result<CreatePortfolioOutput, ApiError> {
    const SCOPE: &str = "sc:CreatePortfolio";
    if let Some(id) = token_used(cx, SCOPE, &input.idempotency_token, &input).await? {
        let p = portfolio_row(cx, &id).await?.doc;
        return Ok(CreatePortfolioOutput {
            portfolio_detail: Some(p.detail),
            tags: Some(p.tags),
        });
    }
    let id = new_id(cx, "port");
    let arn_ = arn(cx, "catalog", &format!("portfolio/{id}"));
    let doc = PortfolioDoc {
        detail: PortfolioDetail {
            id: Some(id.clone()),
            arn: Some(arn_.clone()),
            display_name: Some(input.display_name.clone()),
            description: input.description.clone(),
            created_time: Some(cx.clock.now()),
            provider_name: Some(input.provider_name.clone()),
        },
        tags: input.tags.clone().unwrap_or_default(),
    };
    let hash = crate::handlers::request_hash(&input);
    let row = NewRow::new(
        Kind::CatalogPortfolio,
        &Columns {
            name: &id,
            parent: "",
            status: "",
            arn: &arn_,
        },
        &doc,
    )?;
    cx.store
        .write_all(
            &[],
            &[],
            &[row],
            &[],
            Some(((SCOPE, &input.idempotency_token, &hash), &id)),
        )
        .await?;
    Ok(CreatePortfolioOutput {
        portfolio_detail: Some(doc.detail),
        tags: Some(doc.tags),
    })
}

pub async fn describe_portfolio(
    cx: &Cx,
    input: DescribePortfolioInput,
) -> Result<DescribePortfolioOutput, ApiError> {
    let p = portfolio_row(cx, &input.id).await?.doc;
    Ok(DescribePortfolioOutput {
        portfolio_detail: Some(p.detail),
        tags: Some(p.tags),
        tag_options: Some(Vec::new()),
        budgets: Some(Vec::new()),
    })
}

pub async fn list_portfolios(
    cx: &Cx,
    input: ListPortfoliosInput,
) -> Result<ListPortfoliosOutput, ApiError> {
    let (items, next) = scan_page::<PortfolioDoc>(
        cx,
        Kind::CatalogPortfolio,
        None,
        "sc:ListPortfolios",
        input.page_token.as_deref(),
        page_size(input.page_size),
        |p| p.detail.id.clone().unwrap_or_default(),
        |_| true,
    )
    .await?;
    Ok(ListPortfoliosOutput {
        portfolio_details: Some(items.into_iter().map(|p| p.detail).collect()),
        next_page_token: next,
    })
}

pub async fn delete_portfolio(
    cx: &Cx,
    input: DeletePortfolioInput,
) -> Result<DeletePortfolioOutput, ApiError> {
    let p = portfolio_row(cx, &input.id).await?.doc;
    if cx
        .store
        .has_children(Kind::CatalogPortfolioProduct, &input.id)
        .await?
    {
        return Err(ApiError::ResourceInUse(format!(
            "Portfolio {} has products associated with it; disassociate them first.",
            input.id
        )));
    }
    if cx
        .store
        .has_children(Kind::CatalogPrincipal, &input.id)
        .await?
    {
        return Err(ApiError::ResourceInUse(format!(
            "Portfolio {} has principals associated with it.",
            input.id
        )));
    }
    cx.store
        .delete(
            Kind::CatalogPortfolio,
            &input.id,
            p.detail.arn.as_deref().unwrap_or(""),
            "",
        )
        .await?;
    Ok(DeletePortfolioOutput {})
}

pub async fn associate_product(
    cx: &Cx,
    input: AssociateProductWithPortfolioInput,
) -> Result<AssociateProductWithPortfolioOutput, ApiError> {
    product(cx, &input.product_id).await?;
    portfolio_row(cx, &input.portfolio_id).await?;
    if let Some(source) = &input.source_portfolio_id {
        portfolio_row(cx, source).await?;
    }
    let name = format!("{}/{}", input.product_id, input.portfolio_id);
    let arn_ = format!("{}#{name}", arn(cx, "catalog", "portfolio-product"));
    let doc = Association {
        product_id: input.product_id.clone(),
        portfolio_id: input.portfolio_id.clone(),
    };
    // Associating twice is not an error (AWS answers the second one with success too).
    cx.store
        .insert(
            Kind::CatalogPortfolioProduct,
            &Columns {
                name: &name,
                parent: &input.portfolio_id,
                status: "",
                arn: &arn_,
            },
            &doc,
        )
        .await?;
    Ok(AssociateProductWithPortfolioOutput {})
}

pub async fn disassociate_product(
    cx: &Cx,
    input: DisassociateProductFromPortfolioInput,
) -> Result<DisassociateProductFromPortfolioOutput, ApiError> {
    let name = format!("{}/{}", input.product_id, input.portfolio_id);
    let arn_ = format!("{}#{name}", arn(cx, "catalog", "portfolio-product"));
    if !cx
        .store
        .delete(Kind::CatalogPortfolioProduct, &name, &arn_, "")
        .await?
    {
        return Err(ApiError::CatalogResourceNotFound(format!(
            "Product {} is not associated with portfolio {}.",
            input.product_id, input.portfolio_id
        )));
    }
    Ok(DisassociateProductFromPortfolioOutput {})
}

pub async fn associate_principal(
    cx: &Cx,
    input: AssociatePrincipalWithPortfolioInput,
) -> Result<AssociatePrincipalWithPortfolioOutput, ApiError> {
    portfolio_row(cx, &input.portfolio_id).await?;
    if input.principal_type == PrincipalType::Iam && !input.principal_arn.starts_with("arn:") {
        return Err(ApiError::InvalidParameters(format!(
            "PrincipalARN '{}' is not an IAM ARN.",
            input.principal_arn
        )));
    }
    let name = format!("{}/{}", input.portfolio_id, input.principal_arn);
    let arn_ = format!("{}#{name}", arn(cx, "catalog", "portfolio-principal"));
    let doc = Principal {
        portfolio_id: input.portfolio_id.clone(),
        arn: input.principal_arn.clone(),
        kind: input.principal_type.clone(),
    };
    cx.store
        .insert(
            Kind::CatalogPrincipal,
            &Columns {
                name: &name,
                parent: &input.portfolio_id,
                status: "",
                arn: &arn_,
            },
            &doc,
        )
        .await?;
    Ok(AssociatePrincipalWithPortfolioOutput {})
}

pub async fn list_launch_paths(
    cx: &Cx,
    input: ListLaunchPathsInput,
) -> Result<ListLaunchPathsOutput, ApiError> {
    product(cx, &input.product_id).await?;
    let scope = format!("sc:ListLaunchPaths:{}", input.product_id);
    let after = match input.page_token.as_deref() {
        Some(t) if !t.is_empty() => Some(cx.parse_next_token(&scope, t).map_err(|_| {
            ApiError::InvalidParameters(format!("The PageToken '{t}' is not valid."))
        })?),
        _ => None,
    };
    let size = usize::try_from(page_size(input.page_size)).unwrap_or(20);
    let paths: Vec<PortfolioDetail> = launch_paths(cx, &input.product_id)
        .await?
        .into_iter()
        .filter(|p| {
            after
                .as_deref()
                .is_none_or(|a| p.id.as_deref().unwrap_or("") > a)
        })
        .collect();
    let next = (paths.len() > size)
        .then(|| {
            paths
                .get(size - 1)
                .and_then(|p| p.id.as_deref())
                .map(|id| cx.next_token(&scope, id))
        })
        .flatten();
    Ok(ListLaunchPathsOutput {
        launch_path_summaries: Some(
            paths
                .into_iter()
                .take(size)
                .map(|p| LaunchPathSummary {
                    id: p.id,
                    constraint_summaries: Some(Vec::new()),
                    tags: Some(Vec::new()),
                    name: p.display_name,
                })
                .collect(),
        ),
        next_page_token: next,
    })
}

pub async fn describe_provisioning_parameters(
    cx: &Cx,
    input: DescribeProvisioningParametersInput,
) -> Result<DescribeProvisioningParametersOutput, ApiError> {
    let p = visible_product(
        cx,
        input.product_id.as_deref(),
        input.product_name.as_deref(),
    )
    .await?;
    launch_path(
        cx,
        &p.id(),
        input.path_id.as_deref(),
        input.path_name.as_deref(),
    )
    .await?;
    let a = find_artifact(
        cx,
        &p.id(),
        input.provisioning_artifact_id.as_deref(),
        input.provisioning_artifact_name.as_deref(),
    )
    .await?;
    let outputs = template::outputs(&a.template);
    Ok(DescribeProvisioningParametersOutput {
        provisioning_artifact_parameters: Some(template::parameters(&a.template)),
        constraint_summaries: Some(Vec::new()),
        usage_instructions: Some(Vec::new()),
        tag_options: Some(Vec::new()),
        provisioning_artifact_preferences: None,
        provisioning_artifact_outputs: Some(outputs.clone()),
        provisioning_artifact_output_keys: Some(outputs),
    })
}
