//! AWS-style constraint validation of requests, message for message.
#![allow(clippy::unwrap_used)] // a panic is a test's failure report

use baryon_model::proton;
use baryon_model::servicecatalog;
use baryon_model::validate::validate_input;
use serde_json::{Value, json};

fn proton_error(op: &str, body: &Value) -> String {
    validate_input(&proton::SERVICE, op, body)
        .unwrap_err()
        .to_string()
}

#[test]
fn a_valid_request_passes() {
    let body = json!({"name": "my-env", "templateName": "env-tpl", "templateMajorVersion": "1",
        "spec": "proton: EnvironmentSpec\nspec: {}\n"});
    assert_eq!(
        validate_input(&proton::SERVICE, "CreateEnvironment", &body),
        Ok(())
    );
}

#[test]
fn a_missing_required_member_is_null() {
    assert_eq!(
        proton_error("GetService", &json!({})),
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn an_explicit_json_null_counts_as_missing() {
    assert_eq!(
        proton_error("GetService", &json!({"name": null})),
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn a_pattern_violation_quotes_the_model_pattern() {
    assert_eq!(
        proton_error("GetService", &json!({"name": "bad name!"})),
        "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9A-Za-z]+[0-9A-Za-z_\\-]*$"
    );
}

#[test]
fn several_violations_are_counted_and_joined() {
    let long = "a".repeat(101);
    assert_eq!(
        proton_error("GetService", &json!({"name": long})),
        "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to 100"
    );
    assert_eq!(
        proton_error(
            "CreateEnvironmentTemplate",
            &json!({"name": "-x", "provisioning": "SOMETIMES"})
        ),
        "2 validation errors detected: Value at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9A-Za-z]+[0-9A-Za-z_\\-]*$; Value at 'provisioning' failed to satisfy constraint: Member must satisfy enum value set: [CUSTOMER_MANAGED]"
    );
}

#[test]
fn list_elements_use_one_based_member_paths() {
    let body = json!({"resourceArn": "arn:aws:proton:us-east-1:123456789012:service/s",
        "tags": [{"key": "a", "value": "b"}, {"key": "", "value": "c"}]});
    assert_eq!(
        proton_error("TagResource", &body),
        "1 validation error detected: Value at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

#[test]
fn numeric_ranges_are_checked() {
    assert_eq!(
        proton_error("ListServices", &json!({"maxResults": 0})),
        "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
    assert_eq!(
        proton_error("ListServices", &json!({"maxResults": 101})),
        "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"
    );
}

#[test]
fn nested_structures_are_validated_with_their_path() {
    let body = json!({"templateName": "t", "source": {"s3": {"bucket": "my-bucket"}}});
    assert_eq!(
        proton_error("CreateEnvironmentTemplateVersion", &body),
        "1 validation error detected: Value null at 'source.s3.key' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn a_union_needs_exactly_one_member() {
    let body = json!({"templateName": "t", "source": {}});
    assert_eq!(
        proton_error("CreateEnvironmentTemplateVersion", &body),
        "1 validation error detected: Value at 'source' failed to satisfy constraint: Union must have exactly one member set"
    );
}

#[test]
fn wrong_json_types_are_serialization_errors() {
    let err = validate_input(&proton::SERVICE, "GetService", &json!({"name": 5})).unwrap_err();
    assert!(err.is_serialization());
    assert_eq!(
        err.to_string(),
        "Expected a string at 'name', found a number"
    );
    let err = validate_input(&proton::SERVICE, "GetService", &json!([1])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Expected an object as the request body, found a list"
    );
}

#[test]
fn unknown_members_are_ignored_as_aws_does() {
    assert_eq!(
        validate_input(
            &proton::SERVICE,
            "GetService",
            &json!({"name": "s", "extra": 1})
        ),
        Ok(())
    );
}

#[test]
fn lengths_count_utf16_code_units_like_java() {
    // One astral character is two UTF-16 code units.
    let body = json!({"name": "s", "description": "😀".repeat(251)});
    assert_eq!(
        proton_error("UpdateService", &body),
        "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 500"
    );
}

#[test]
fn service_catalog_requests_are_validated_too() {
    let err = validate_input(
        &servicecatalog::SERVICE,
        "DescribeProduct",
        &json!({"Id": "x".repeat(101)}),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 validation error detected: Value at 'Id' failed to satisfy constraint: Member must have length less than or equal to 100"
    );
}
