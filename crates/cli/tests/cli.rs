//! The `baryon` binary, run as a user runs it.
#![allow(clippy::unwrap_used)] // a panic is a test's failure report

use std::process::Command;

fn fixture(rel: &str) -> String {
    format!("{}/../../tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn baryon(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baryon"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_valid_spec_exits_zero_and_prints_inputs_with_defaults() {
    let schema = fixture("templates/queue-env/v1/schema/schema.yaml");
    let spec = fixture("specs/queue-env.yaml");
    let (code, out, _) = baryon(&["validate", "--schema", &schema, "--spec", &spec]);
    assert_eq!(code, 0);
    assert!(out.contains("\"retention_seconds\": 345600"), "{out}");
}

#[test]
fn an_invalid_spec_exits_one_with_file_line_col_diagnostics() {
    let schema = fixture("templates/queue-env/v1/schema/schema.yaml");
    let spec = fixture("specs/queue-env-three-errors.yaml");
    let (code, _, err) = baryon(&["validate", "--schema", &schema, "--spec", &spec]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with(&format!("{spec}:3:1: spec: ")),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!("{spec}:4:22: spec.retention_seconds: ")),
        "{err}"
    );
    assert!(
        lines[2].starts_with(&format!("{spec}:6:16: spec.alarm_email: ")),
        "{err}"
    );
}

#[test]
fn json_output_is_the_full_validation_result() {
    let schema = fixture("templates/worker-svc/v1/schema/schema.yaml");
    let spec = fixture("specs/worker-svc.yaml");
    let (code, out, _) = baryon(&["validate", "--json", "--schema", &schema, "--spec", &spec]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["inputs"]["pipeline"]["test_command"], "cargo test");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let (code, _, err) = baryon(&[
        "validate",
        "--schema",
        "/nonexistent/schema.yaml",
        "--spec",
        "x",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/schema.yaml"), "{err}");
}

#[test]
fn a_request_is_checked_against_the_api_model() {
    let (code, _, err) = baryon(&["request", "GetService", "{}"]);
    assert_eq!(code, 1);
    assert_eq!(
        err.trim(),
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
    );
    let (code, out, _) = baryon(&["request", "DescribeProduct", r#"{"Id": "prod-abc"}"#]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_manifest_with_an_unknown_engine_is_refused() {
    let dir = std::env::temp_dir().join(format!("baryon-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("manifest.yaml");
    std::fs::write(
        &file,
        "infrastructure:\n  templates:\n    - file: a.yaml\n      rendering_engine: mustache\n",
    )
    .unwrap();
    let (code, _, err) = baryon(&["manifest", file.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 1);
    assert!(err.contains(":4:"), "{err}");
}
