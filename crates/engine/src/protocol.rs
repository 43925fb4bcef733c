//! The awsJson protocols on `POST /`: 1.0 as AWS Proton speaks it (`Content-Type:
//! application/x-amz-json-1.0`, `X-Amz-Target: AwsProton20200720.<Operation>`) and 1.1 as
//! Service Catalog speaks it (`application/x-amz-json-1.1`,
//! `AWS242ServiceCatalogService.<Operation>`); a JSON object body; errors as
//! `{"__type", "message"}`. The target's prefix picks the service.

use baryon_model::proton::{self, Operation};
use baryon_model::{extensions, servicecatalog};
use http::HeaderMap;
use serde_json::Value;

use crate::error::ApiError;

/// The content type of awsJson 1.0 requests and responses.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// The content type of awsJson 1.1 (Service Catalog) requests and responses.
pub const CONTENT_TYPE_1_1: &str = "application/x-amz-json-1.1";

/// An operation of one of the services this endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// AWS Proton.
    Proton(Operation),
    /// AWS Service Catalog.
    ServiceCatalog(servicecatalog::Operation),
    /// Baryon's own operations (`baryon_model::extensions`).
    Baryon(extensions::Operation),
}

impl Api {
    /// The SigV4 signing name of the operation's service.
    pub fn signing_name(self) -> &'static str {
        match self {
            Self::Proton(_) | Self::Baryon(_) => proton::SIGNING_NAME,
            Self::ServiceCatalog(_) => servicecatalog::SIGNING_NAME,
        }
    }
}

fn target_header(headers: &HeaderMap) -> &str {
    headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Whether `X-Amz-Target` names Service Catalog (its prefix, whatever the operation).
pub fn is_service_catalog(headers: &HeaderMap) -> bool {
    target_header(headers)
        .strip_prefix(servicecatalog::TARGET_PREFIX)
        .is_some_and(|rest| rest.starts_with('.'))
}

/// The SigV4 signing name a `POST /` request must be signed for, from its target's prefix
/// (Proton's for anything that is not Service Catalog's).
pub fn signing_name(headers: &HeaderMap) -> &'static str {
    if is_service_catalog(headers) {
        servicecatalog::SIGNING_NAME
    } else {
        proton::SIGNING_NAME
    }
}

/// Reads the operation of either service from `X-Amz-Target` and checks the content type
/// (1.0 for Proton, 1.1 for Service Catalog).
pub fn api_operation(headers: &HeaderMap) -> Result<Api, ApiError> {
    if let Some(name) = target_header(headers)
        .strip_prefix(extensions::TARGET_PREFIX)
        .and_then(|rest| rest.strip_prefix('.'))
    {
        check_content_type(headers, CONTENT_TYPE)?;
        return extensions::Operation::from_name(name)
            .map(Api::Baryon)
            .ok_or_else(|| {
                ApiError::UnknownOperation(format!("Unknown operation {}", target_header(headers)))
            });
    }
    if !is_service_catalog(headers) {
        return operation(headers).map(Api::Proton);
    }
    check_content_type(headers, CONTENT_TYPE_1_1)?;
    let target = target_header(headers);
    let name = target
        .strip_prefix(servicecatalog::TARGET_PREFIX)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or("");
    servicecatalog::Operation::from_name(name)
        .map(Api::ServiceCatalog)
        .ok_or_else(|| ApiError::UnknownOperation(format!("Unknown operation {target}")))
}

fn check_content_type(headers: &HeaderMap, expected: &str) -> Result<(), ApiError> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type must be {expected}, got '{content_type}'"
        )))
    }
}

/// Largest request body accepted. Proton's largest member (a spec) is 51,200 characters;
/// this leaves room for JSON escaping and the other members.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Reads the operation from `X-Amz-Target` and checks the content type.
pub fn operation(headers: &HeaderMap) -> Result<Operation, ApiError> {
    check_content_type(headers, CONTENT_TYPE)?;
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::UnknownOperation("Missing X-Amz-Target header".to_owned()))?;
    let name = target
        .strip_prefix(proton::TARGET_PREFIX)
        .and_then(|rest| rest.strip_prefix('.'))
        .ok_or_else(|| {
            ApiError::UnknownOperation(format!(
                "X-Amz-Target '{target}' does not name an operation of {}",
                proton::TARGET_PREFIX
            ))
        })?;
    Operation::from_name(name)
        .ok_or_else(|| ApiError::UnknownOperation(format!("Unknown operation {target}")))
}

/// Parses the body: a JSON object (an empty body counts as `{}`, as AWS front ends accept).
pub fn body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::RequestEntityTooLarge(format!(
            "Request body of {} bytes exceeds the limit of {MAX_BODY_BYTES} bytes",
            bytes.len()
        )));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::Serialization(format!("The request body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::Serialization(
            "The request body must be a JSON object".to_owned(),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn a_proton_target_names_its_operation() {
        let h = headers(&[
            ("content-type", CONTENT_TYPE),
            ("x-amz-target", "AwsProton20200720.ListServices"),
        ]);
        assert_eq!(operation(&h), Ok(Operation::ListServices));
    }

    #[test]
    fn an_unknown_operation_is_refused() {
        let h = headers(&[
            ("content-type", CONTENT_TYPE),
            ("x-amz-target", "AwsProton20200720.ListWidgets"),
        ]);
        let err = operation(&h).unwrap_err();
        assert_eq!(err.aws_type(), "UnknownOperationException");
        assert_eq!(
            err.to_string(),
            "Unknown operation AwsProton20200720.ListWidgets"
        );
    }

    #[test]
    fn another_services_target_is_refused() {
        let h = headers(&[
            ("content-type", CONTENT_TYPE),
            ("x-amz-target", "DynamoDB_20120810.ListTables"),
        ]);
        assert_eq!(
            operation(&h).unwrap_err().aws_type(),
            "UnknownOperationException"
        );
    }

    #[test]
    fn a_wrong_content_type_is_refused() {
        let h = headers(&[
            ("content-type", "application/json"),
            ("x-amz-target", "AwsProton20200720.ListServices"),
        ]);
        let err = operation(&h).unwrap_err();
        assert_eq!(err.http_status(), 400);
        assert_eq!(
            err.to_string(),
            "Content-Type must be application/x-amz-json-1.0, got 'application/json'"
        );
    }

    #[test]
    fn a_service_catalog_target_is_json_1_1_signed_for_servicecatalog() {
        let h = headers(&[
            ("content-type", CONTENT_TYPE_1_1),
            ("x-amz-target", "AWS242ServiceCatalogService.SearchProducts"),
        ]);
        assert_eq!(
            api_operation(&h),
            Ok(Api::ServiceCatalog(
                servicecatalog::Operation::SearchProducts
            ))
        );
        assert_eq!(signing_name(&h), "servicecatalog");
    }

    #[test]
    fn a_service_catalog_target_with_json_1_0_is_refused() {
        let h = headers(&[
            ("content-type", CONTENT_TYPE),
            ("x-amz-target", "AWS242ServiceCatalogService.SearchProducts"),
        ]);
        assert_eq!(
            api_operation(&h).unwrap_err().to_string(),
            "Content-Type must be application/x-amz-json-1.1, got 'application/x-amz-json-1.0'"
        );
    }

    #[test]
    fn malformed_json_is_a_serialization_error() {
        let err = body(b"{\"name\": ").unwrap_err();
        assert_eq!(err.aws_type(), "SerializationException");
    }

    #[test]
    fn an_empty_body_is_an_empty_object() {
        assert_eq!(body(b""), Ok(serde_json::json!({})));
    }

    #[test]
    fn an_oversize_body_is_refused_before_parsing() {
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(body(&big).unwrap_err().http_status(), 413);
    }
}
