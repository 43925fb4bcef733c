//! AWS Service Catalog, served by the same engine as Proton: products and their provisioning
//! artifacts (CloudFormation templates read from the artifact store), portfolios, and
//! provisioned products run as CloudFormation stacks by the durable job queue.
//!
//! Both wire protocols (awsJson 1.1 and Smithy RPC v2 CBOR) arrive here as the same JSON
//! document; [`dispatch`] validates it against the model's constraint tables, decodes the
//! generated input type and runs the handler. Service Catalog's own error names are used:
//! model-constraint failures are `InvalidParametersException`, a missing resource is its
//! `ResourceNotFoundException` (HTTP 400, as Service Catalog answers).

use baryon_model::servicecatalog::{self as sc, Operation};
use baryon_model::validate::validate_input;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::context::Cx;
use crate::error::ApiError;
use crate::handlers::run;

pub mod catalog;
pub mod provisioning;
pub mod template;

/// Validates the body against the model, decodes it, runs the handler, encodes the output.
pub async fn dispatch(cx: &Cx, op: Operation, body: Value) -> Result<Value, ApiError> {
    let result = route(cx, op, body).await;
    result.map_err(catalog_error)
}

async fn route(cx: &Cx, op: Operation, body: Value) -> Result<Value, ApiError> {
    validate_input(&sc::SERVICE, op.name(), &body)?;
    match op {
        Operation::CreateProduct => run(cx, body, catalog::create_product).await,
        Operation::DescribeProduct => run(cx, body, catalog::describe_product).await,
        Operation::DescribeProductAsAdmin => {
            run(cx, body, catalog::describe_product_as_admin).await
        }
        Operation::DescribeProductView => run(cx, body, catalog::describe_product_view).await,
        Operation::UpdateProduct => run(cx, body, catalog::update_product).await,
        Operation::DeleteProduct => run(cx, body, catalog::delete_product).await,
        Operation::SearchProducts => run(cx, body, catalog::search_products).await,
        Operation::SearchProductsAsAdmin => run(cx, body, catalog::search_products_as_admin).await,
        Operation::CreateProvisioningArtifact => {
            run(cx, body, catalog::create_provisioning_artifact).await
        }
        Operation::DescribeProvisioningArtifact => {
            run(cx, body, catalog::describe_provisioning_artifact).await
        }
        Operation::ListProvisioningArtifacts => {
            run(cx, body, catalog::list_provisioning_artifacts).await
        }
        Operation::UpdateProvisioningArtifact => {
            run(cx, body, catalog::update_provisioning_artifact).await
        }
        Operation::DeleteProvisioningArtifact => {
            run(cx, body, catalog::delete_provisioning_artifact).await
        }
        Operation::CreatePortfolio => run(cx, body, catalog::create_portfolio).await,
        Operation::DescribePortfolio => run(cx, body, catalog::describe_portfolio).await,
        Operation::ListPortfolios => run(cx, body, catalog::list_portfolios).await,
        Operation::DeletePortfolio => run(cx, body, catalog::delete_portfolio).await,
        Operation::AssociateProductWithPortfolio => run(cx, body, catalog::associate_product).await,
        Operation::DisassociateProductFromPortfolio => {
            run(cx, body, catalog::disassociate_product).await
        }
        Operation::AssociatePrincipalWithPortfolio => {
            run(cx, body, catalog::associate_principal).await
        }
        Operation::ListLaunchPaths => run(cx, body, catalog::list_launch_paths).await,
        Operation::DescribeProvisioningParameters => {
            run(cx, body, catalog::describe_provisioning_parameters).await
        }
        Operation::ProvisionProduct => run(cx, body, provisioning::provision).await,
        Operation::UpdateProvisionedProduct => run(cx, body, provisioning::update).await,
        Operation::TerminateProvisionedProduct => run(cx, body, provisioning::terminate).await,
        Operation::DescribeProvisionedProduct => run(cx, body, provisioning::describe).await,
        Operation::ScanProvisionedProducts => run(cx, body, provisioning::scan).await,
        Operation::SearchProvisionedProducts => run(cx, body, provisioning::search).await,
        Operation::GetProvisionedProductOutputs => run(cx, body, provisioning::outputs).await,
        Operation::DescribeRecord => run(cx, body, provisioning::describe_record).await,
        Operation::ListRecordHistory => run(cx, body, provisioning::list_record_history).await,
        other => Err(ApiError::NotImplemented(format!(
            "{} is an operation of AWS Service Catalog that this Baryon engine does not serve yet.",
            other.name()
        ))),
    }
}

/// Proton's error variants in Service Catalog's vocabulary.
fn catalog_error(e: ApiError) -> ApiError {
    match e {
        ApiError::Validation(m) => ApiError::InvalidParameters(m),
        ApiError::ResourceNotFound(m) => ApiError::CatalogResourceNotFound(m),
        other => other,
    }
}

/// A new resource id: `<prefix>-` and 26 lowercase characters that sort in creation order
/// (the time-ordered UUID of the id generator, in base 32), within the model's `Id` pattern.
pub fn new_id(cx: &Cx, prefix: &str) -> String {
    id_from_uuid(prefix, &cx.ids.uuid())
}

/// `<prefix>-` and the 128 bits of `uuid` in 26 base-32 digits (most significant first).
fn id_from_uuid(prefix: &str, uuid: &str) -> String {
    const DIGITS: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let hex: String = uuid.chars().filter(char::is_ascii_hexdigit).collect();
    let n = u128::from_str_radix(&hex, 16).unwrap_or(0);
    let mut out = String::with_capacity(prefix.len() + 27);
    out.push_str(prefix);
    out.push('-');
    for i in (0..26).rev() {
        let digit = usize::try_from((n >> (i * 5)) & 31).unwrap_or(0);
        out.push(char::from(DIGITS[digit]));
    }
    out
}

/// `arn:aws:<service>:<region>:<account>:<resource>`.
pub fn arn(cx: &Cx, service: &str, resource: &str) -> String {
    format!(
        "arn:aws:{service}:{}:{}:{resource}",
        cx.config.region, cx.config.account_id
    )
}

/// Page size: `PageSize` (0 or absent means the default of 20).
pub fn page_size(page_size: Option<i32>) -> i32 {
    match page_size {
        Some(n) if n > 0 => n,
        _ => 20,
    }
}

/// An idempotency token already used under `scope`: `Ok(Some(name))` of what it made when the
/// request is the same, `InvalidParametersException` when it differs.
pub async fn token_used<I: Serialize>(
    cx: &Cx,
    scope: &str,
    token: &str,
    input: &I,
) -> Result<Option<String>, ApiError> {
    let hash = crate::handlers::request_hash(input);
    match cx.store.client_token(scope, token, 0).await? {
        None => Ok(None),
        Some((h, name)) if h == hash => Ok(Some(name)),
        Some(_) => Err(ApiError::InvalidParameters(format!(
            "The idempotency token {token} was already used with different parameters."
        ))),
    }
}

/// One page of rows of `kind` (optionally under `parent`) in name order, keeping those `keep`
/// accepts, continuing after the tamper-evident `PageToken` for `scope`; rows are read in
/// pages until `size` are kept or the rows run out, so a page costs O(rows read).
#[allow(clippy::too_many_arguments)]
pub async fn scan_page<T: DeserializeOwned>(
    cx: &Cx,
    kind: crate::store::Kind,
    parent: Option<&str>,
    scope: &str,
    token: Option<&str>,
    size: i32,
    key: impl Fn(&T) -> String,
    keep: impl Fn(&T) -> bool,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let mut after = match token {
        Some(t) if !t.is_empty() => Some(cx.parse_next_token(scope, t).map_err(|_| {
            ApiError::InvalidParameters(format!("The PageToken '{t}' is not valid."))
        })?),
        _ => None,
    };
    let size = usize::try_from(size).unwrap_or(20);
    let mut out = Vec::new();
    loop {
        let page = cx
            .store
            .list::<T>(kind, parent, after.as_deref(), size)
            .await?;
        let exhausted = page.next_after.is_none();
        for item in page.items {
            after = Some(key(&item));
            if keep(&item) {
                out.push(item);
                if out.len() == size {
                    let next = after.as_deref().map(|a| cx.next_token(scope, a));
                    return Ok((out, next));
                }
            }
        }
        if exhausted {
            return Ok((out, None));
        }
    }
}

/// Every row of `kind` (optionally under `parent`), in name order.
pub async fn all<T: DeserializeOwned>(
    cx: &Cx,
    kind: crate::store::Kind,
    parent: Option<&str>,
) -> Result<Vec<T>, ApiError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = cx
            .store
            .list::<T>(kind, parent, after.as_deref(), 500)
            .await?;
        out.extend(page.items);
        match page.next_after {
            Some(a) => after = Some(a),
            None => return Ok(out),
        }
    }
}

/// Every row of `kind` whose name starts with `prefix`, in name order.
pub async fn all_prefixed<T: DeserializeOwned>(
    cx: &Cx,
    kind: crate::store::Kind,
    prefix: &str,
) -> Result<Vec<T>, ApiError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = cx
            .store
            .list_prefixed::<T>(kind, prefix, after.as_deref(), 500)
            .await?;
        out.extend(page.items.into_iter().map(|(doc, _)| doc));
        match page.next_after {
            Some(a) => after = Some(a),
            None => return Ok(out),
        }
    }
}

/// One page of `items` (`(sort key, id, item)`) in sort-key then id order (reversed when
/// `descending`), continuing after the item the tamper-evident `PageToken` for `scope` names.
pub fn sorted_page<T>(
    cx: &Cx,
    scope: &str,
    token: Option<&str>,
    size: i32,
    mut items: Vec<(String, String, T)>,
    descending: bool,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    items.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    if descending {
        items.reverse();
    }
    let after = match token {
        Some(t) if !t.is_empty() => {
            let payload = cx.parse_next_token(scope, t).map_err(|_| {
                ApiError::InvalidParameters(format!("The PageToken '{t}' is not valid."))
            })?;
            let (key, id) = payload.split_once('\n').ok_or_else(|| {
                ApiError::InvalidParameters(format!("The PageToken '{t}' is not valid."))
            })?;
            Some((key.to_owned(), id.to_owned()))
        }
        _ => None,
    };
    let size = usize::try_from(size).unwrap_or(20);
    let mut rest: Vec<(String, String, T)> = items
        .into_iter()
        .filter(|(key, id, _)| {
            after.as_ref().is_none_or(|(k, i)| {
                let ord = (key, id).cmp(&(k, i));
                if descending { ord.is_lt() } else { ord.is_gt() }
            })
        })
        .collect();
    let next = (rest.len() > size)
        .then(|| rest.get(size - 1))
        .flatten()
        .map(|(key, id, _)| cx.next_token(scope, &format!("{key}\n{id}")));
    rest.truncate(size);
    Ok((rest.into_iter().map(|(_, _, item)| item).collect(), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_like_the_time_ordered_uuids_they_come_from() {
        let a = id_from_uuid("rec", "0190a1b2-c3d4-7000-8000-00000000ffff");
        let b = id_from_uuid("rec", "0190a1b2-c3d5-7000-8000-000000000000");
        assert!(a < b);
        assert_eq!(a.len(), "rec-".len() + 26);
        assert_eq!(
            id_from_uuid("pp", "00000000-0000-0000-0000-000000000021"),
            "pp-00000000000000000000000011"
        );
    }
}
