//! The awsJson 1.0 protocol as AWS Proton speaks it: `POST /`, `Content-Type:
//! application/x-amz-json-1.0`, `X-Amz-Target: AwsProton20200720.<Operation>`, a JSON object
//! body; errors as `{"__type", "message"}`.

use baryon_model::proton::{self, Operation};
use http::HeaderMap;
use serde_json::Value;

use crate::error::ApiError;

/// The content type of awsJson 1.0 requests and responses.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// Largest request body accepted. Proton's largest member (a spec) is 51,200 characters;
/// this leaves room for JSON escaping and the other members.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Reads the operation from `X-Amz-Target` and checks the content type.
pub fn operation(headers: &HeaderMap) -> Result<Operation, ApiError> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case(CONTENT_TYPE) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type must be {CONTENT_TYPE}, got '{content_type}'"
        )));
    }
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
