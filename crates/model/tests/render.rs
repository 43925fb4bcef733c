//! Proton rendering (feature `render`), data-driven:
//!
//! - `tests/fixtures/render/jinja/<case>/`: `template`, `context.json` (the Jinja context
//!   object) and `expected` (the exact output) or `error` (the exact error message). The
//!   expected outputs are also checked against Python's Jinja2 by `tests/render/test_golden.py`.
//! - `tests/fixtures/render/bundles/<case>/`: `bundle/` (files as a template bundle holds
//!   them), `context.json` (a `RenderContext`) and `expected/` (every rendered file, exactly).
//! - the aws-samples templates in `../shared/fixtures/proton-samples` (a SKIPPED line when
//!   absent): every bundle renders for its spec, and `dev-resources/proton.auto.tfvars.json`
//!   of `vpc-env` is reproduced byte for byte.
#![cfg(feature = "render")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use baryon_model::render::{
    ComponentContext, EnvironmentContext, Params, PipelineContext, RenderContext, RenderError,
    RenderTarget, ResourceMetadata, ServiceContext, ServiceInstanceContext, SpecRenderOptions,
    contexts_from_spec, render_bundle, render_jinja, render_jinja_value, render_jinja_with_fuel,
};
use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(repo().join("tests/fixtures/render").join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn read_tree(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_tree(root, &path, out);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.insert(rel, fs::read(&path).unwrap());
        }
    }
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    read_tree(dir, dir, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Data-driven fixtures
// ---------------------------------------------------------------------------------------------

#[test]
fn every_jinja_fixture_renders_exactly_its_expected_output_or_error() {
    let dirs = fixtures("jinja");
    assert!(
        dirs.len() >= 15,
        "expected the jinja fixtures, found {}",
        dirs.len()
    );
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let source = fs::read_to_string(dir.join("template")).unwrap();
        // Parsed into minijinja's order-preserving value, so objects keep the file's order
        // (as Python's json.load does).
        let ctx: minijinja::Value =
            serde_json::from_str(&fs::read_to_string(dir.join("context.json")).unwrap())
                .unwrap_or_else(|e| panic!("{name}/context.json: {e}"));
        let result = render_jinja_value("template", &source, &ctx, 2_000_000);
        let error_file = dir.join("error");
        if error_file.exists() {
            let expected = fs::read_to_string(&error_file).unwrap();
            match result {
                Err(e) if e.to_string() == expected.trim_end() => {}
                other => failures.push(format!(
                    "{name}: expected error {:?}, got {other:?}",
                    expected.trim_end()
                )),
            }
        } else {
            let expected = fs::read_to_string(dir.join("expected")).unwrap();
            match result {
                Ok(out) if out == expected => {}
                other => failures.push(format!(
                    "{name}:\n--- expected\n{expected}\n--- actual\n{other:?}"
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_bundle_fixture_renders_exactly_its_expected_files() {
    let dirs = fixtures("bundles");
    assert!(
        dirs.len() >= 3,
        "expected the bundle fixtures, found {}",
        dirs.len()
    );
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let ctx: RenderContext =
            serde_json::from_str(&fs::read_to_string(dir.join("context.json")).unwrap())
                .unwrap_or_else(|e| panic!("{name}/context.json: {e}"));
        let rendered = render_bundle(&tree(&dir.join("bundle")), &ctx)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let actual: BTreeMap<String, String> =
            rendered.into_iter().map(|f| (f.path, f.contents)).collect();
        if std::env::var_os("RENDER_BLESS").is_some() {
            // Writes the expected files from this run (review them before committing).
            for (path, contents) in &actual {
                let target = dir.join("expected").join(path);
                fs::create_dir_all(target.parent().unwrap()).unwrap();
                fs::write(target, contents).unwrap();
            }
        }
        let expected: BTreeMap<String, String> = tree(&dir.join("expected"))
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8(v).unwrap()))
            .collect();
        assert_eq!(
            actual.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{name}: rendered paths"
        );
        for (path, contents) in &expected {
            assert_eq!(&actual[path], contents, "{name}: {path}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Typed contexts and Proton's namespaces
// ---------------------------------------------------------------------------------------------

fn params(v: &Value) -> Params {
    baryon_model::render::params_from_json(v)
}

fn env(outputs: &Value) -> EnvironmentContext {
    EnvironmentContext {
        name: "beta".into(),
        account_id: "111122223333".into(),
        inputs: Params::new(),
        outputs: params(outputs),
    }
}

fn service() -> ServiceContext {
    ServiceContext {
        name: "orders".into(),
        branch_name: "main".into(),
        repository_connection_arn:
            "arn:aws:codestar-connections:us-east-1:111122223333:connection/x".into(),
        repository_id: "me/orders".into(),
    }
}

fn instance(name: &str) -> ServiceInstanceContext {
    ServiceInstanceContext {
        name: name.into(),
        inputs: params(&json!({"port": 80, "image": "nginx"})),
        outputs: params(&json!({"Url": "http://x"})),
        environment: env(&json!({"VpcId": "vpc-1"})),
        components_default_outputs: None,
    }
}

fn jinja(ctx: &RenderContext) -> Value {
    serde_json::to_value(ctx.to_jinja()).unwrap()
}

#[test]
fn an_environment_render_sees_environment_name_account_and_inputs() {
    let ctx = RenderContext::environment(EnvironmentContext {
        inputs: params(&json!({"vpc_cidr": "10.0.0.0/16"})),
        ..env(&json!({}))
    });
    assert_eq!(
        jinja(&ctx),
        json!({"environment": {"name": "beta", "account_id": "111122223333",
            "inputs": {"vpc_cidr": "10.0.0.0/16"}}})
    );
}

#[test]
fn a_service_instance_render_sees_its_environment_service_and_component_outputs() {
    let mut inst = instance("web");
    inst.components_default_outputs = Some(params(&json!({"BucketName": "b"})));
    let ctx = RenderContext::service_instance(service(), inst);
    let out = render_jinja(
        "t.yaml",
        "{{ environment.outputs.VpcId }} {{ service.name }} {{ service.branch_name }} \
         {{ service.repository_id }} {{ service_instance.name }} {{ service_instance.inputs.port }} \
         {{ service_instance.environment.name }} {{ service_instance.environment.account_id }} \
         {{ service_instance.environment.outputs.VpcId }} \
         {{ service_instance.components.default.outputs.BucketName }}",
        &ctx,
    )
    .unwrap();
    assert_eq!(
        out,
        "vpc-1 orders main me/orders web 80 beta 111122223333 vpc-1 b"
    );
}

#[test]
fn without_a_component_its_outputs_are_empty_so_default_and_length_work() {
    let ctx = RenderContext::service_instance(service(), instance("web"));
    let out = render_jinja(
        "t.yaml",
        "{{ service_instance.components.default.outputs.test | default('[optional-value]') }} \
         {{ service_instance.components.default.outputs | length }}",
        &ctx,
    )
    .unwrap();
    assert_eq!(out, "[optional-value] 0");
    let err = render_jinja(
        "t.yaml",
        "\n{{ service_instance.components.default.outputs.test }}",
        &ctx,
    )
    .unwrap_err();
    assert_eq!(
        err,
        RenderError::Undefined {
            file: "t.yaml".into(),
            line: 2,
            expression: "service_instance.components.default.outputs.test".into()
        }
    );
}

#[test]
fn a_pipeline_render_sees_the_service_instances_list_and_pipeline_inputs() {
    let ctx = RenderContext::pipeline(
        service(),
        PipelineContext {
            inputs: params(&json!({"unit_test_command": "make test"})),
        },
        vec![instance("one"), instance("two")],
    );
    let out = render_jinja(
        "p.yaml",
        "{{ pipeline.inputs.unit_test_command }}\n{% for i in service_instances %}\
         {{ loop.index }}:{{ i.name }}:{{ i.outputs.Url }}:{{ i.environment.name }}\n{% endfor %}",
        &ctx,
    )
    .unwrap();
    assert_eq!(out, "make test\n1:one:http://x:beta\n2:two:http://x:beta\n");
    assert!(
        render_jinja("p.yaml", "{{ service_instance.name }}", &ctx).is_err(),
        "a pipeline has no service_instance"
    );
}

#[test]
fn a_component_render_sees_component_environment_and_its_instance() {
    let ctx = RenderContext::component(
        ComponentContext {
            name: "bucket".into(),
            inputs: params(&json!({"versioned": true})),
        },
        env(&json!({"VpcId": "vpc-1"})),
        Some((service(), instance("web"))),
    );
    let out = render_jinja(
        "c.yaml",
        "{{ environment.name }}-{{ service.name }}-{{ service_instance.name }}-{{ component.name }} \
         {{ component.inputs.versioned }} {{ environment.outputs.VpcId }}",
        &ctx,
    )
    .unwrap();
    assert_eq!(out, "beta-orders-web-bucket True vpc-1");
}

#[test]
fn contexts_from_a_spec_have_schema_defaults_in_schema_order() {
    let schema = fs::read_to_string(
        repo().join("tests/fixtures/templates/worker-svc/v1/schema/schema.yaml"),
    )
    .unwrap();
    let spec = fs::read_to_string(repo().join("tests/fixtures/specs/worker-svc.yaml")).unwrap();
    let opts = SpecRenderOptions {
        service: service(),
        ..SpecRenderOptions::default()
    };
    let contexts = contexts_from_spec(&schema, &spec, &opts).unwrap();
    let targets: Vec<RenderTarget> = contexts.iter().map(|c| c.target).collect();
    assert!(targets.contains(&RenderTarget::ServiceInstance));
    let first = contexts[0].service_instance.as_ref().unwrap();
    let validated = baryon_model::spec::validate_spec(&schema, &spec);
    let expected = &validated.inputs["instances"][0]["inputs"];
    // Same inputs as validation (defaults applied) ...
    assert_eq!(serde_json::to_value(&first.inputs).unwrap(), *expected);
    // ... in the order the schema declares them.
    let parsed = baryon_model::schema::parse_schema(&schema).unwrap();
    let t = parsed.service_input_type.clone().unwrap();
    let order: Vec<&str> = parsed
        .type_schema(&t)
        .unwrap()
        .properties
        .iter()
        .map(|p| p.name.as_str())
        .filter(|n| first.inputs.contains_key(*n))
        .collect();
    assert_eq!(
        first.inputs.keys().map(String::as_str).collect::<Vec<_>>(),
        order
    );
}

#[test]
fn an_invalid_spec_gives_its_diagnostics_instead_of_contexts() {
    let schema =
        fs::read_to_string(repo().join("tests/fixtures/templates/queue-env/v1/schema/schema.yaml"))
            .unwrap();
    let spec = fs::read_to_string(repo().join("tests/fixtures/specs/queue-env-three-errors.yaml"))
        .unwrap();
    let diags = contexts_from_spec(&schema, &spec, &SpecRenderOptions::default()).unwrap_err();
    assert_eq!(diags.len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Limits and errors
// ---------------------------------------------------------------------------------------------

#[test]
fn a_runaway_template_stops_when_its_fuel_runs_out() {
    let ctx = RenderContext::environment(env(&json!({})));
    let err = render_jinja_with_fuel(
        "loop.yaml",
        "a\n{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
        &ctx,
        10_000,
    )
    .unwrap_err();
    assert!(
        matches!(err, RenderError::OutOfFuel { line: 2, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("loop.yaml:2: rendering stopped"),
        "{err}"
    );
}

#[test]
fn a_syntax_error_names_file_and_line() {
    let ctx = RenderContext::environment(env(&json!({})));
    let err = render_jinja("cf.yaml", "ok\n{{ environment.name \n", &ctx).unwrap_err();
    assert!(
        matches!(err, RenderError::Syntax { line: 2, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("cf.yaml:2: template syntax error: "),
        "{err}"
    );
}

#[test]
fn templates_with_the_reserved_private_use_characters_are_refused() {
    let ctx = RenderContext::environment(env(&json!({})));
    let err = render_jinja("cf.yaml", "a\nb\u{E000}", &ctx).unwrap_err();
    assert!(err.to_string().starts_with("cf.yaml:2: "), "{err}");
}

fn files(entries: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
        .collect()
}

#[test]
fn a_bundle_whose_manifest_names_a_missing_file_says_which() {
    let ctx = RenderContext::environment(env(&json!({})));
    let bundle = files(&[(
        "infrastructure/manifest.yaml",
        "infrastructure:\n  templates:\n    - file: cloudformation.yaml\n      rendering_engine: jinja\n      template_language: cloudformation\n",
    )]);
    let err = render_bundle(&bundle, &ctx).unwrap_err();
    assert_eq!(
        err.to_string(),
        "infrastructure/cloudformation.yaml: the manifest names this file, but the bundle does not have it"
    );
}

#[test]
fn a_bundle_without_a_valid_manifest_reports_its_diagnostics() {
    let ctx = RenderContext::environment(env(&json!({})));
    let missing = render_bundle(&BTreeMap::new(), &ctx).unwrap_err();
    assert!(
        missing
            .to_string()
            .starts_with("infrastructure/manifest.yaml: ")
    );
    let bundle = files(&[("infrastructure/manifest.yaml", "infrastructure: 3\n")]);
    let err = render_bundle(&bundle, &ctx).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("infrastructure/manifest.yaml: 1:"),
        "{err}"
    );
}

#[test]
fn codebuild_templates_are_not_rendered() {
    let ctx = RenderContext::environment(env(&json!({})));
    let bundle = files(&[(
        "infrastructure/manifest.yaml",
        "infrastructure:\n  templates:\n    - rendering_engine: codebuild\n      settings:\n        provision: [\"make\"]\n        deprovision: [\"make destroy\"]\n",
    )]);
    let err = render_bundle(&bundle, &ctx).unwrap_err();
    assert!(
        err.to_string()
            .contains("codebuild templates are not rendered"),
        "{err}"
    );
}

#[test]
fn terraform_files_get_the_managed_by_proton_note_and_metadata_with_a_resource() {
    let ctx = RenderContext::environment(env(&json!({}))).with_resource(ResourceMetadata {
        arn: "arn:aws:proton:us-east-1:111122223333:environment/beta".into(),
        template_arn: "arn:aws:proton:us-east-1:111122223333:environment-template/vpc".into(),
        template_major_version: "1".into(),
        template_minor_version: "0".into(),
        deployment_id: "d-1".into(),
        environment_arn: None,
    });
    let bundle = files(&[
        (
            "infrastructure/manifest.yaml",
            "infrastructure:\n  templates:\n    - file: \"*\"\n      rendering_engine: hcl\n      template_language: terraform\n",
        ),
        ("infrastructure/main.tf", "# main\n"),
        ("infrastructure/README.md", "notes\n"),
    ]);
    let out = render_bundle(&bundle, &ctx).unwrap();
    let by_path: BTreeMap<&str, &str> = out
        .iter()
        .map(|f| (f.path.as_str(), f.contents.as_str()))
        .collect();
    assert!(by_path["main.tf"].starts_with("/*\nThis file is managed by AWS Proton."));
    assert!(by_path["main.tf"].ends_with("*/\n\n# main\n"));
    assert_eq!(
        by_path["README.md"], "notes\n",
        "only .tf files get the note"
    );
    assert!(by_path[".proton/deployment-metadata.json"].contains("\"deploymentId\" : \"d-1\""));
    assert!(
        by_path["proton.auto.tfvars.json"]
            .ends_with("\"//\" : \"arn:aws:proton:us-east-1:111122223333:environment/beta\"\n}\n")
    );
}

// ---------------------------------------------------------------------------------------------
// aws-samples (../shared/fixtures/proton-samples)
// ---------------------------------------------------------------------------------------------

fn samples() -> Option<PathBuf> {
    let dir = repo().join("../shared/fixtures/proton-samples");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("SKIPPED: {} is absent", dir.display());
        None
    }
}

#[test]
fn aws_samples_vpc_env_dev_resources_tfvars_is_reproduced_byte_for_byte() {
    let Some(root) = samples() else { return };
    let sample = root.join("terraform/environment-templates/vpc-env");
    let bundle = tree(&sample.join("v1"));
    let schema = String::from_utf8(bundle["schema/schema.yaml"].clone()).unwrap();
    let spec = fs::read_to_string(sample.join("spec/spec.yaml")).unwrap();
    let opts = SpecRenderOptions {
        environment_name: "vpc-env".into(),
        ..SpecRenderOptions::default()
    };
    let contexts = contexts_from_spec(&schema, &spec, &opts).unwrap();
    let rendered = render_bundle(&bundle, &contexts[0]).unwrap();
    let tfvars = rendered
        .iter()
        .find(|f| f.path == "proton.auto.tfvars.json")
        .unwrap();
    let expected =
        fs::read_to_string(sample.join("dev-resources/proton.auto.tfvars.json")).unwrap();
    assert_eq!(tfvars.contents, expected);
}
