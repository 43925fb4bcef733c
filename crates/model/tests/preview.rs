//! Rendered-IaC previews (feature `render`): the proposed render, the current render, and the
//! line diff between them, for the project's `queue-env` test template.
#![cfg(feature = "render")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use baryon_model::render::preview::{
    Change, DiffLine, Hunk, LineKind, PreviewRequest, RenderInputs, line_diff, preview,
};
use baryon_model::render::{RenderTarget, ResourceMetadata, SpecRenderOptions};
use serde_json::json;

fn queue_env() -> RenderInputs {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/templates/queue-env/v1");
    let mut files = BTreeMap::new();
    for file in [
        "infrastructure/manifest.yaml",
        "infrastructure/cloudformation.yaml",
    ] {
        files.insert(
            file.to_owned(),
            fs::read_to_string(root.join(file)).unwrap(),
        );
    }
    RenderInputs {
        target: RenderTarget::Environment,
        instance_name: None,
        template_name: "queue-env".into(),
        template_major_version: "1".into(),
        template_minor_version: "0".into(),
        files,
        schema: fs::read_to_string(root.join("schema/schema.yaml")).unwrap(),
        options: SpecRenderOptions {
            environment_name: "staging".into(),
            account_id: "111122223333".into(),
            ..SpecRenderOptions::default()
        },
        resource: ResourceMetadata::default(),
        spec: None,
    }
}

fn spec(queue: &str, retention: u32) -> String {
    format!(
        "proton: EnvironmentSpec\nspec:\n  queue_name: \"{queue}\"\n  owners: [team-a]\n  \
         retention_seconds: {retention}\n"
    )
}

fn line(kind: LineKind, text: &str) -> DiffLine {
    DiffLine {
        kind,
        text: text.to_owned(),
    }
}

#[test]
fn equal_texts_have_no_hunks() {
    assert_eq!(line_diff("a\nb\n", "a\nb\n", 3), Vec::<Hunk>::new());
}

#[test]
fn a_changed_line_is_one_hunk_with_its_context() {
    let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
    let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
    assert_eq!(
        line_diff(old, new, 2),
        vec![Hunk {
            old_start: 3,
            old_lines: 5,
            new_start: 3,
            new_lines: 5,
            lines: vec![
                line(LineKind::Context, "3"),
                line(LineKind::Context, "4"),
                line(LineKind::Removed, "5"),
                line(LineKind::Added, "five"),
                line(LineKind::Context, "6"),
                line(LineKind::Context, "7"),
            ],
        }]
    );
}

#[test]
fn changes_far_apart_are_separate_hunks() {
    let old: String = (1..=20).map(|n| n.to_string() + "\n").collect();
    let new: String = (1..=20)
        .map(|n| match n {
            2 => "two\n".to_owned(),
            19 => "nineteen\n".to_owned(),
            n => n.to_string() + "\n",
        })
        .collect();
    let hunks = line_diff(&old, &new, 1);
    assert_eq!(hunks.len(), 2);
    assert_eq!((hunks[0].old_start, hunks[1].old_start), (1, 18));
    assert_eq!(hunks[1].lines[1], line(LineKind::Removed, "19"));
}

#[test]
fn a_create_preview_shows_every_rendered_file_as_added() {
    let request = PreviewRequest {
        proposed: queue_env(),
        spec: spec("orders", 600),
        current: None,
    };
    let out = preview(&request).unwrap();
    assert_eq!(out.files.len(), 1);
    let file = &out.files[0];
    assert_eq!(
        (file.path.as_str(), file.change),
        ("cloudformation.yaml", Change::Added)
    );
    assert!(
        file.contents.contains("QueueName: \"orders\""),
        "{}",
        file.contents
    );
    assert!(file.contents.contains("MessageRetentionPeriod: 600"));
    assert!(file.contents.contains("Shared queue for staging"));
    assert_eq!(out.current_error, None);
}

#[test]
fn an_update_preview_diffs_against_the_current_spec() {
    let mut current = queue_env();
    current.spec = Some(spec("orders", 600));
    let request = PreviewRequest {
        proposed: queue_env(),
        spec: spec("orders", 1200),
        current: Some(current),
    };
    let out = preview(&request).unwrap();
    let file = &out.files[0];
    assert_eq!(file.change, Change::Modified);
    let changed: Vec<&DiffLine> = file.hunks[0]
        .lines
        .iter()
        .filter(|l| l.kind != LineKind::Context)
        .collect();
    assert_eq!(
        changed,
        vec![
            &line(LineKind::Removed, "      MessageRetentionPeriod: 600"),
            &line(LineKind::Added, "      MessageRetentionPeriod: 1200"),
        ]
    );
}

#[test]
fn an_update_that_renders_the_same_is_unchanged() {
    let mut current = queue_env();
    current.spec = Some(spec("orders", 600));
    let out = preview(&PreviewRequest {
        proposed: queue_env(),
        spec: spec("orders", 600),
        current: Some(current),
    })
    .unwrap();
    assert_eq!(out.files[0].change, Change::Unchanged);
    assert_eq!(out.files[0].hunks, Vec::<Hunk>::new());
}

#[test]
fn an_invalid_proposed_spec_is_the_preview_error() {
    let err = preview(&PreviewRequest {
        proposed: queue_env(),
        spec: "proton: EnvironmentSpec\nspec:\n  owners: [team-a]\n".into(),
        current: None,
    })
    .unwrap_err();
    assert!(
        err.starts_with("the spec is not valid for queue-env:1.0: "),
        "{err}"
    );
    assert!(err.contains("queue_name"), "{err}");
}

#[test]
fn a_current_side_that_cannot_render_is_reported_and_the_files_show_as_added() {
    let mut current = queue_env();
    current.files.remove("infrastructure/cloudformation.yaml");
    current.spec = Some(spec("orders", 600));
    let out = preview(&PreviewRequest {
        proposed: queue_env(),
        spec: spec("orders", 600),
        current: Some(current),
    })
    .unwrap();
    assert_eq!(out.files[0].change, Change::Added);
    assert_eq!(
        out.current_error.as_deref(),
        Some(
            "infrastructure/cloudformation.yaml: the manifest names this file, but the bundle does not have it"
        )
    );
}

#[test]
fn the_preview_serializes_in_the_shape_the_console_reads() {
    let out = preview(&PreviewRequest {
        proposed: queue_env(),
        spec: spec("orders", 600),
        current: None,
    })
    .unwrap();
    let value = serde_json::to_value(&out).unwrap();
    assert_eq!(value["files"][0]["change"], json!("added"));
    assert_eq!(value["files"][0]["hunks"], json!([]));
    assert!(value.get("currentError").is_none());
}

#[test]
fn a_codebuild_target_previews_its_bundle_directory_as_it_is() {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/templates/worker-svc/v1");
    let manifest = fs::read_to_string(root.join("pipeline_infrastructure/manifest.yaml")).unwrap();
    let mut files = BTreeMap::new();
    files.insert(
        "pipeline_infrastructure/manifest.yaml".to_owned(),
        manifest.clone(),
    );
    files.insert(
        "instance_infrastructure/cloudformation.yaml".to_owned(),
        "x".to_owned(),
    );
    let proposed = RenderInputs {
        target: RenderTarget::ServicePipeline,
        instance_name: None,
        template_name: "worker-svc".into(),
        template_major_version: "1".into(),
        template_minor_version: "0".into(),
        files,
        schema: fs::read_to_string(root.join("schema/schema.yaml")).unwrap(),
        options: SpecRenderOptions::default(),
        resource: ResourceMetadata::default(),
        spec: None,
    };
    let spec = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/specs/worker-svc.yaml"),
    )
    .unwrap();
    let out = preview(&PreviewRequest {
        proposed,
        spec,
        current: None,
    })
    .unwrap();
    let paths: Vec<&str> = out.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        ["manifest.yaml", "proton-input.json", "proton-inputs.json"]
    );
    assert_eq!(out.files[0].contents, manifest);
    let input: serde_json::Value = serde_json::from_str(&out.files[1].contents).unwrap();
    assert_eq!(
        input["pipeline"]["inputs"]["test_command"],
        json!("cargo test")
    );
}
