//! The JavaScript API, run in headless Chromium by `wasm-bindgen-test`
//! (`cargo test -p baryon-model --features wasm --target wasm32-unknown-unknown --test wasm`).
#![cfg(all(target_arch = "wasm32", feature = "wasm"))]
#![allow(clippy::unwrap_used)] // a panic is a test's failure report

use baryon_model::wasm::{parse_arn, parse_manifest, validate_request, validate_spec};
use serde_json::{Value, json};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const QUEUE_SCHEMA: &str =
    include_str!("../../../tests/fixtures/templates/queue-env/v1/schema/schema.yaml");
const QUEUE_SPEC: &str = include_str!("../../../tests/fixtures/specs/queue-env.yaml");
const THREE_ERRORS: &str =
    include_str!("../../../tests/fixtures/specs/queue-env-three-errors.yaml");
const WORKER_SCHEMA: &str =
    include_str!("../../../tests/fixtures/templates/worker-svc/v1/schema/schema.yaml");
const WORKER_SPEC: &str = include_str!("../../../tests/fixtures/specs/worker-svc.yaml");
const CODEBUILD_MANIFEST: &str = include_str!(
    "../../../tests/fixtures/templates/worker-svc/v1/pipeline_infrastructure/manifest.yaml"
);

/// What JavaScript sees: the JS value turned back into JSON.
fn js<T: tsify::Tsify>(value: tsify::Ts<T>) -> Value {
    serde_wasm_bindgen::from_value(value.js_value()).expect("a JSON-compatible JS value")
}

#[wasm_bindgen_test]
fn a_valid_environment_spec_has_no_diagnostics_and_gets_defaults() {
    let result = js(validate_spec(QUEUE_SCHEMA, QUEUE_SPEC).unwrap());
    assert_eq!(result["ok"], json!(true));
    assert_eq!(result["diagnostics"], json!([]));
    assert_eq!(
        result["inputs"],
        json!({"queue_name": "orders", "owners": ["team-a"], "retention_seconds": 345600, "fifo": false})
    );
}

#[wasm_bindgen_test]
fn wrong_type_missing_required_and_pattern_give_three_positioned_diagnostics() {
    let result = js(validate_spec(QUEUE_SCHEMA, THREE_ERRORS).unwrap());
    assert_eq!(result["ok"], json!(false));
    let found: Vec<(String, u64, u64)> = result["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["col"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("spec".to_owned(), 3, 1),
            ("spec.retention_seconds".to_owned(), 4, 22),
            ("spec.alarm_email".to_owned(), 6, 16),
        ]
    );
}

#[wasm_bindgen_test]
fn a_service_spec_with_pipeline_and_instances_validates() {
    let result = js(validate_spec(WORKER_SCHEMA, WORKER_SPEC).unwrap());
    assert_eq!(result["ok"], json!(true), "{result}");
    assert_eq!(
        result["inputs"]["pipeline"],
        json!({"test_command": "cargo test"})
    );
    assert_eq!(
        result["inputs"]["instances"][0]["inputs"]["batch_size"],
        json!(5)
    );
    assert_eq!(
        result["inputs"]["instances"][1]["inputs"]["log_level"],
        json!("warn")
    );
}

#[wasm_bindgen_test]
fn a_codebuild_manifest_parses_with_its_commands() {
    let result = js(parse_manifest(CODEBUILD_MANIFEST).unwrap());
    assert_eq!(result["ok"], json!(true), "{result}");
    assert_eq!(result["diagnostics"], json!([]));
}

#[wasm_bindgen_test]
fn a_broken_manifest_is_reported_with_a_position() {
    let result = js(parse_manifest(
        "infrastructure:\n  templates:\n    - file: x.yaml\n      rendering_engine: mustache\n",
    )
    .unwrap());
    assert_eq!(result["ok"], json!(false));
    assert_eq!(result["diagnostics"][0]["line"], json!(4));
}

#[wasm_bindgen_test]
fn an_arn_parses_into_its_parts() {
    let result = js(parse_arn(
        "arn:aws:proton:eu-west-1:123456789012:service/orders/service-instance/prod",
    )
    .unwrap());
    assert_eq!(result["ok"], json!(true), "{result}");
    assert_eq!(result["arn"]["region"], json!("eu-west-1"));
    let bad = js(parse_arn("arn:aws:s3:::bucket").unwrap());
    assert_eq!(bad["ok"], json!(false));
}

#[wasm_bindgen_test]
fn a_request_is_validated_with_the_aws_message() {
    let result = js(validate_request(
        "CreateService",
        r#"{"name":"bad name","spec":"x","templateName":"t","templateMajorVersion":"1"}"#,
    )
    .unwrap());
    assert_eq!(result["ok"], json!(false));
    assert_eq!(result["errorType"], json!("ValidationException"));
    assert_eq!(
        result["message"],
        json!(
            "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9A-Za-z]+[0-9A-Za-z_\\-]*$"
        )
    );
    let unknown = js(validate_request("Nope", "{}").unwrap());
    assert_eq!(unknown["errorType"], json!("UnknownOperationException"));
    let ok = js(validate_request("AwsProton20200720.ListServices", "{}").unwrap());
    assert_eq!(ok["ok"], json!(true));
}

/// Rendering (feature `render`) runs in the browser, as the console's previews need.
#[cfg(feature = "render")]
#[wasm_bindgen_test]
fn a_service_instance_template_renders_in_the_browser() {
    use baryon_model::render::{
        EnvironmentContext, RenderContext, ServiceContext, ServiceInstanceContext, render_jinja,
    };
    let mut instance = ServiceInstanceContext {
        name: "web".into(),
        environment: EnvironmentContext {
            name: "beta".into(),
            ..EnvironmentContext::default()
        },
        ..ServiceInstanceContext::default()
    };
    instance.inputs.insert("port".into(), json!(80));
    instance.components_default_outputs =
        Some([("Bucket".to_owned(), json!("b"))].into_iter().collect());
    let service = ServiceContext {
        name: "orders".into(),
        ..ServiceContext::default()
    };
    let ctx = RenderContext::service_instance(service, instance);
    let out = render_jinja(
        "cloudformation.yaml",
        "Name: {{ service.name }}-{{ service_instance.name }}:{{ service_instance.inputs.port }}\nEnv:\n  {{ service_instance.components.default.outputs | proton_cfn_ecs_task_definition_formatted_env_vars }}\n",
        &ctx,
    )
    .unwrap();
    assert_eq!(
        out,
        "Name: orders-web:80\nEnv:\n  - Name: Bucket\n    Value: b"
    );
    let err = render_jinja(
        "cloudformation.yaml",
        "{{ environment.outputs.Nope }}",
        &ctx,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cloudformation.yaml:1: undefined variable: environment.outputs.Nope is not defined for this render"
    );
}
