//! The preview worker's answers, run in headless Chromium by `wasm-bindgen-test` (patterns
//! through the browser's `RegExp`, as in the worker): a create renders every file as added, an
//! update diffs line by line against the current spec, and bad requests answer an error.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // a panic is a test's failure report

use serde_json::{Value, json};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const MANIFEST: &str =
    include_str!("../../../tests/fixtures/templates/queue-env/v1/infrastructure/manifest.yaml");
const TEMPLATE: &str = include_str!(
    "../../../tests/fixtures/templates/queue-env/v1/infrastructure/cloudformation.yaml"
);
const SCHEMA: &str =
    include_str!("../../../tests/fixtures/templates/queue-env/v1/schema/schema.yaml");

fn side(spec: Option<&str>) -> Value {
    let mut side = json!({
        "target": "environment",
        "templateName": "queue-env",
        "templateMajorVersion": "1",
        "templateMinorVersion": "0",
        "files": {
            "infrastructure/manifest.yaml": MANIFEST,
            "infrastructure/cloudformation.yaml": TEMPLATE,
        },
        "schema": SCHEMA,
        "options": { "environment_name": "staging", "account_id": "123456789012" },
        "resource": { "arn": "arn:aws:proton:eu-west-1:123456789012:environment/staging" },
    });
    if let Some(spec) = spec {
        side["spec"] = json!(spec);
    }
    side
}

fn spec(retention: u32) -> String {
    format!(
        "proton: EnvironmentSpec\nspec:\n  queue_name: orders\n  retention_seconds: {retention}\n"
    )
}

fn answer(request: &Value) -> Value {
    serde_json::from_str(&baryon_preview::answer(&request.to_string())).unwrap()
}

#[wasm_bindgen_test]
fn a_create_renders_each_file_as_added() {
    let out = answer(&json!({ "inputs": { "proposed": side(None) }, "spec": spec(600) }));
    let file = &out["preview"]["files"][0];
    assert_eq!(file["path"], json!("cloudformation.yaml"));
    assert_eq!(file["change"], json!("added"));
    let contents = file["contents"].as_str().unwrap();
    assert!(contents.contains("QueueName: \"orders\""), "{contents}");
    assert!(
        contents.contains("MessageRetentionPeriod: 600"),
        "{contents}"
    );
}

#[wasm_bindgen_test]
fn an_update_is_a_line_diff_against_the_current_spec() {
    let out = answer(&json!({
        "inputs": { "proposed": side(None), "current": side(Some(&spec(600))) },
        "spec": spec(1200),
    }));
    let file = &out["preview"]["files"][0];
    assert_eq!(file["change"], json!("modified"));
    let hunk = &file["hunks"][0];
    assert_eq!(
        (hunk["oldStart"].clone(), hunk["newStart"].clone()),
        (json!(5), json!(5))
    );
    let changed: Vec<&Value> = hunk["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] != json!("context"))
        .collect();
    assert_eq!(
        changed,
        vec![
            &json!({"kind": "removed", "text": "      MessageRetentionPeriod: 600"}),
            &json!({"kind": "added", "text": "      MessageRetentionPeriod: 1200"}),
        ]
    );
}

#[wasm_bindgen_test]
fn an_update_that_renders_the_same_is_unchanged() {
    let out = answer(&json!({
        "inputs": { "proposed": side(None), "current": side(Some(&spec(600))) },
        "spec": spec(600),
    }));
    assert_eq!(out["preview"]["files"][0]["change"], json!("unchanged"));
    assert_eq!(out["preview"]["files"][0]["hunks"], json!([]));
}

#[wasm_bindgen_test]
fn a_spec_the_schema_refuses_is_the_answer_error() {
    let out = answer(&json!({
        "inputs": { "proposed": side(None) },
        "spec": "proton: EnvironmentSpec\nspec:\n  queue_name: Bad_Name\n",
    }));
    let error = out["error"].as_str().unwrap();
    assert!(
        error.starts_with("the spec is not valid for queue-env:1.0: "),
        "{error}"
    );
    assert!(error.contains("queue_name"), "{error}");
}

#[wasm_bindgen_test]
fn a_request_that_is_not_json_is_the_answer_error() {
    let out: Value = serde_json::from_str(&baryon_preview::answer("not json")).unwrap();
    assert!(
        out["error"]
            .as_str()
            .unwrap()
            .starts_with("the preview request is not JSON: "),
        "{out}"
    );
}

#[wasm_bindgen_test]
fn proton_filters_with_patterns_run_on_the_browser_regexp() {
    let mut proposed = side(None);
    proposed["files"]["infrastructure/cloudformation.yaml"] =
        json!("Name: {{ environment.inputs.queue_name | proton_cfn_sanitize }}\n");
    let out = answer(&json!({ "inputs": { "proposed": proposed }, "spec": spec(600) }));
    assert_eq!(
        out["preview"]["files"][0]["contents"],
        json!("Name: orders"), // Jinja drops the final line break, as Jinja2 does
        "{out}"
    );
}
