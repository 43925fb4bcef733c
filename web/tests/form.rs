//! The schema-driven form logic, run in headless Chromium by `wasm-bindgen-test`
//! (`cargo test -p baryon-console --no-default-features --target wasm32-unknown-unknown --test form`).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // a panic is a test's failure report

use baryon_console::form::{
    Choice, FieldKind, InputSet, InstanceInputs, environment_spec, field_messages, input_form,
    parameter_problem, request_problems, service_spec, spec_inputs, with_pipeline,
};
use baryon_model::proton::{CreateEnvironmentTemplateInput, ops};
use baryon_model::spec::validate_spec;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const QUEUE_SCHEMA: &str =
    include_str!("../../tests/fixtures/templates/queue-env/v1/schema/schema.yaml");
const WORKER_SCHEMA: &str =
    include_str!("../../tests/fixtures/templates/worker-svc/v1/schema/schema.yaml");

#[wasm_bindgen_test]
fn environment_schema_becomes_one_field_per_input_with_kind_default_and_constraints() {
    let form = input_form(QUEUE_SCHEMA, InputSet::Environment)
        .unwrap()
        .unwrap();
    assert_eq!(form.type_name, "QueueEnvironmentInput");
    let names: Vec<_> = form.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "queue_name",
            "retention_seconds",
            "fifo",
            "alarm_email",
            "owners"
        ]
    );
    let queue = &form.fields[0];
    assert_eq!(queue.kind, FieldKind::Text);
    assert!(queue.required);
    assert_eq!(
        queue.description.as_deref(),
        Some("Name of the shared queue")
    );
    assert_eq!(queue.hint, "pattern ^[a-z][a-z0-9-]*$ · 3–80 characters");
    let retention = &form.fields[1];
    assert_eq!(retention.kind, FieldKind::Number { integer: false });
    assert_eq!(retention.default.as_deref(), Some("345600"));
    assert_eq!(retention.hint, "60 ≤ n ≤ 1209600");
    assert_eq!(form.fields[2].kind, FieldKind::Boolean);
    assert_eq!(form.fields[2].default.as_deref(), Some("false"));
    assert_eq!(form.fields[4].kind, FieldKind::Yaml);
    assert_eq!(form.fields[4].default.as_deref(), Some("[]"));
}

#[wasm_bindgen_test]
fn enums_become_choices_and_a_schema_without_pipeline_has_no_pipeline_form() {
    let form = input_form(WORKER_SCHEMA, InputSet::ServiceInstance)
        .unwrap()
        .unwrap();
    let level = form.fields.iter().find(|f| f.name == "log_level").unwrap();
    let FieldKind::Choice(choices) = &level.kind else {
        panic!("log_level should be a choice, is {:?}", level.kind);
    };
    assert_eq!(
        choices[0],
        Choice {
            label: "debug".into(),
            literal: "\"debug\"".into()
        }
    );
    assert_eq!(level.default.as_deref(), Some("\"info\""));
    let batch = form.fields.iter().find(|f| f.name == "batch_size").unwrap();
    assert_eq!(batch.kind, FieldKind::Number { integer: true });
    assert!(
        input_form(WORKER_SCHEMA, InputSet::Pipeline)
            .unwrap()
            .is_some()
    );
    assert!(
        input_form(QUEUE_SCHEMA, InputSet::Pipeline)
            .unwrap()
            .is_none()
    );
}

#[wasm_bindgen_test]
fn a_broken_schema_reports_its_diagnostics() {
    let diags = input_form("schema: [", InputSet::Environment).unwrap_err();
    assert!(!diags.is_empty());
}

#[wasm_bindgen_test]
fn initial_values_give_a_spec_that_only_misses_the_required_input() {
    let form = input_form(QUEUE_SCHEMA, InputSet::Environment)
        .unwrap()
        .unwrap();
    let values = form.initial_values();
    let spec = environment_spec(&form, &values);
    assert_eq!(spec, "proton: EnvironmentSpec\nspec:\n  fifo: false\n");
    let result = validate_spec(QUEUE_SCHEMA, &spec);
    let messages = field_messages(&result.diagnostics, "spec", &form);
    assert_eq!(
        messages.of("queue_name"),
        ["2:1: required input \"queue_name\" is missing"]
    );
    assert!(messages.general.is_empty());
}

#[wasm_bindgen_test]
fn a_value_breaking_the_pattern_is_reported_on_its_field_with_line_and_column() {
    let form = input_form(QUEUE_SCHEMA, InputSet::Environment)
        .unwrap()
        .unwrap();
    let mut values = form.initial_values();
    values.insert("queue_name".into(), "Bad Name".into());
    let spec = environment_spec(&form, &values);
    let result = validate_spec(QUEUE_SCHEMA, &spec);
    assert!(!result.ok);
    let messages = field_messages(&result.diagnostics, "spec", &form);
    let queue = messages.of("queue_name");
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert!(queue[0].starts_with("3:15: "), "{}", queue[0]);
    assert!(queue[0].contains("^[a-z][a-z0-9-]*$"), "{}", queue[0]);
}

#[wasm_bindgen_test]
fn a_number_field_holding_text_is_a_type_error_on_that_field() {
    let form = input_form(QUEUE_SCHEMA, InputSet::Environment)
        .unwrap()
        .unwrap();
    let mut values = form.initial_values();
    values.insert("queue_name".into(), "orders".into());
    values.insert("retention_seconds".into(), "four days".into());
    let spec = environment_spec(&form, &values);
    assert!(
        spec.contains("  retention_seconds: \"four days\"\n"),
        "{spec}"
    );
    let result = validate_spec(QUEUE_SCHEMA, &spec);
    let messages = field_messages(&result.diagnostics, "spec", &form);
    assert_eq!(messages.of("retention_seconds").len(), 1);
    assert!(messages.of("queue_name").is_empty());
}

#[wasm_bindgen_test]
fn valid_values_give_a_valid_spec_with_defaults_applied() {
    let form = input_form(QUEUE_SCHEMA, InputSet::Environment)
        .unwrap()
        .unwrap();
    let mut values = form.initial_values();
    values.insert("queue_name".into(), "orders".into());
    values.insert("owners".into(), "[ana, bo]".into());
    let result = validate_spec(QUEUE_SCHEMA, &environment_spec(&form, &values));
    assert!(result.ok, "{:?}", result.diagnostics);
    assert_eq!(result.inputs["retention_seconds"], 345_600);
    assert_eq!(result.inputs["owners"][1], "bo");
}

#[wasm_bindgen_test]
fn a_service_spec_carries_pipeline_and_instance_inputs_and_maps_messages_per_instance() {
    let instance = input_form(WORKER_SCHEMA, InputSet::ServiceInstance)
        .unwrap()
        .unwrap();
    let pipeline = input_form(WORKER_SCHEMA, InputSet::Pipeline)
        .unwrap()
        .unwrap();
    let mut good = instance.initial_values();
    good.insert("batch_size".into(), "20".into());
    let mut bad = instance.initial_values();
    bad.insert("batch_size".into(), "0".into());
    let pipeline_values = pipeline.initial_values();
    let spec = service_spec(
        Some((&pipeline, &pipeline_values)),
        &[
            InstanceInputs {
                name: "a",
                environment: "beta",
                form: &instance,
                values: &good,
            },
            InstanceInputs {
                name: "b",
                environment: "prod",
                form: &instance,
                values: &bad,
            },
        ],
    );
    let result = validate_spec(WORKER_SCHEMA, &spec);
    assert!(!result.ok);
    let first = field_messages(&result.diagnostics, "instances[0].spec", &instance);
    let second = field_messages(&result.diagnostics, "instances[1].spec", &instance);
    assert!(first.is_empty(), "{first:?}");
    assert_eq!(second.of("batch_size").len(), 1, "{second:?}");
}

#[wasm_bindgen_test]
fn request_problems_use_the_api_model_constraints() {
    let problems =
        request_problems::<ops::CreateEnvironmentTemplate>(&CreateEnvironmentTemplateInput {
            name: "not a name!".into(),
            ..Default::default()
        });
    let name = problems.get("name").unwrap();
    assert!(
        name.starts_with("Value at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern"),
        "{name}"
    );
    let ok = request_problems::<ops::CreateEnvironmentTemplate>(&CreateEnvironmentTemplateInput {
        name: "queue".into(),
        ..Default::default()
    });
    assert!(ok.is_empty(), "{ok:?}");
}

#[wasm_bindgen_test]
fn current_inputs_read_back_into_a_form_give_the_same_spec() {
    let form = input_form(QUEUE_SCHEMA, InputSet::Environment)
        .unwrap()
        .unwrap();
    let spec = "proton: EnvironmentSpec\nspec:\n  queue_name: \"orders\"\n  retention_seconds: 600\n  fifo: true\n  owners: [ana, bo]\n";
    let values = form.values_from(spec_inputs(spec, None).as_ref());
    assert_eq!(values["queue_name"], "orders");
    assert_eq!(values["retention_seconds"], "600");
    assert_eq!(values["fifo"], "true");
    assert_eq!(values["alarm_email"], "");
    let again = environment_spec(&form, &values);
    assert!(validate_spec(QUEUE_SCHEMA, &again).ok, "{again}");
    assert_eq!(
        spec_inputs(&again, None).unwrap().to_json(),
        spec_inputs(spec, None).unwrap().to_json()
    );

    let instance = input_form(WORKER_SCHEMA, InputSet::ServiceInstance)
        .unwrap()
        .unwrap();
    let service = "proton: ServiceSpec\ninstances:\n  - name: a\n    environment: beta\n  - name: b\n    environment: prod\n    spec:\n      log_level: warn\n      batch_size: 5\n";
    let b = instance.values_from(spec_inputs(service, Some("b")).as_ref());
    assert_eq!(b["log_level"], "\"warn\"");
    assert_eq!(b["batch_size"], "5");
    assert!(spec_inputs(service, Some("a")).is_none());
    assert!(spec_inputs("not: a spec", Some("a")).is_none());
}

/// A Service Catalog parameter as `DescribeProvisioningParameters` describes it.
fn parameter(
    kind: &str,
    default: Option<&str>,
    constraints: baryon_model::servicecatalog::ParameterConstraints,
) -> baryon_model::servicecatalog::ProvisioningArtifactParameter {
    baryon_model::servicecatalog::ProvisioningArtifactParameter {
        parameter_key: Some("P".to_owned()),
        default_value: default.map(str::to_owned),
        parameter_type: Some(kind.to_owned()),
        parameter_constraints: Some(constraints),
        ..Default::default()
    }
}

/// The pattern runner of these tests: only the patterns they use.
fn digits_only(pattern: &str, value: &str) -> bool {
    assert_eq!(pattern, "[0-9]+");
    value.chars().all(|c| c.is_ascii_digit())
}

#[wasm_bindgen_test]
fn a_catalog_parameter_without_default_needs_a_value_unless_an_update_keeps_the_previous_one() {
    let p = parameter(
        "String",
        None,
        baryon_model::servicecatalog::ParameterConstraints::default(),
    );
    assert_eq!(
        parameter_problem(&p, "", false, digits_only).as_deref(),
        Some("Enter a value: this parameter has no default.")
    );
    assert_eq!(parameter_problem(&p, "", true, digits_only), None);
    let with_default = parameter(
        "String",
        Some("dev"),
        baryon_model::servicecatalog::ParameterConstraints::default(),
    );
    assert_eq!(
        parameter_problem(&with_default, "", false, digits_only),
        None
    );
}

#[wasm_bindgen_test]
fn catalog_parameter_constraints_are_checked_as_cloudformation_checks_them() {
    use baryon_model::servicecatalog::ParameterConstraints;
    let allowed = parameter(
        "String",
        None,
        ParameterConstraints {
            allowed_values: Some(vec!["dev".into(), "prod".into()]),
            ..Default::default()
        },
    );
    assert_eq!(
        parameter_problem(&allowed, "test", false, digits_only).as_deref(),
        Some("Choose one of: dev, prod.")
    );
    assert_eq!(
        parameter_problem(&allowed, "prod", false, digits_only),
        None
    );
    let length = parameter(
        "String",
        None,
        ParameterConstraints {
            min_length: Some("2".into()),
            max_length: Some("3".into()),
            ..Default::default()
        },
    );
    assert_eq!(
        parameter_problem(&length, "a", false, digits_only).as_deref(),
        Some("At least 2 characters.")
    );
    assert_eq!(
        parameter_problem(&length, "abcd", false, digits_only).as_deref(),
        Some("At most 3 characters.")
    );
    let number = parameter(
        "Number",
        None,
        ParameterConstraints {
            min_value: Some("1".into()),
            max_value: Some("10".into()),
            ..Default::default()
        },
    );
    assert_eq!(
        parameter_problem(&number, "ten", false, digits_only).as_deref(),
        Some("Enter a number.")
    );
    assert_eq!(
        parameter_problem(&number, "11", false, digits_only).as_deref(),
        Some("At most 10.")
    );
    assert_eq!(parameter_problem(&number, "10", false, digits_only), None);
}

#[wasm_bindgen_test]
fn a_failed_catalog_pattern_reports_the_templates_constraint_description_when_it_has_one() {
    use baryon_model::servicecatalog::ParameterConstraints;
    let plain = parameter(
        "String",
        None,
        ParameterConstraints {
            allowed_pattern: Some("[0-9]+".into()),
            ..Default::default()
        },
    );
    assert_eq!(
        parameter_problem(&plain, "12a", false, digits_only).as_deref(),
        Some("Must match the pattern [0-9]+.")
    );
    assert_eq!(parameter_problem(&plain, "12", false, digits_only), None);
    let described = parameter(
        "String",
        None,
        ParameterConstraints {
            allowed_pattern: Some("[0-9]+".into()),
            constraint_description: Some("Digits only, please.".into()),
            ..Default::default()
        },
    );
    assert_eq!(
        parameter_problem(&described, "x", false, digits_only).as_deref(),
        Some("Digits only, please.")
    );
}

#[wasm_bindgen_test]
fn every_model_pattern_compiles_for_the_browsers_regexp_and_means_what_the_model_says() {
    use baryon_model::{proton, servicecatalog};
    for service in [&proton::SERVICE, &servicecatalog::SERVICE] {
        for (shape, p) in service.patterns() {
            assert!(p.regex().is_some(), "{shape}: {} does not compile", p.rust);
        }
    }
    let name = |service: &baryon_model::shape::ServiceDef, shape: &str| {
        service
            .patterns()
            .find(|(s, _)| *s == shape)
            .map(|(_, p)| p)
            .unwrap()
    };
    let resource_name = name(&proton::SERVICE, "ResourceName");
    assert!(resource_name.is_match("orders-env"));
    assert!(!resource_name.is_match("not a name!"));
    // A `\p{L}` class: Unicode letters, as the `regex` crate reads it.
    let tag_key = name(&servicecatalog::SERVICE, "TagKey");
    assert!(tag_key.is_match("équipe:coût"));
    assert!(!tag_key.is_match("semi;colon"));
}

#[wasm_bindgen_test]
fn a_schema_pattern_the_browser_cannot_compile_is_reported_with_its_message() {
    let schema = "schema:\n  format:\n    openapi: \"3.0.0\"\n  environment_input_type: \"In\"\n  types:\n    In:\n      type: object\n      properties:\n        a:\n          type: string\n          pattern: \"([a-z\"\n";
    let diagnostics = baryon_model::schema::parse_schema(schema).unwrap_err();
    assert!(
        diagnostics
            .iter()
            .any(|d| d.message.starts_with("invalid pattern")
                && d.message.contains("Invalid regular expression")),
        "{diagnostics:?}"
    );
}

const SERVICE_SPEC: &str = "proton: ServiceSpec\npipeline:\n  test_command: \"make\"\n  # a note\ninstances:\n- name: \"a\"\n  environment: \"dev\"\n";

#[wasm_bindgen_test]
fn a_pipeline_update_replaces_only_the_pipeline_block() {
    assert_eq!(
        with_pipeline(SERVICE_SPEC, "  test_command: \"cargo test\"\n"),
        "proton: ServiceSpec\npipeline:\n  test_command: \"cargo test\"\ninstances:\n- name: \"a\"\n  environment: \"dev\"\n"
    );
}

#[wasm_bindgen_test]
fn a_pipeline_without_inputs_drops_the_block() {
    assert_eq!(
        with_pipeline(SERVICE_SPEC, ""),
        "proton: ServiceSpec\ninstances:\n- name: \"a\"\n  environment: \"dev\"\n"
    );
}

#[wasm_bindgen_test]
fn a_spec_without_a_pipeline_gets_one_after_its_proton_line() {
    assert_eq!(
        with_pipeline(
            "proton: ServiceSpec\ninstances:\n  - name: a\n    environment: dev\n",
            "  x: 1\n"
        ),
        "proton: ServiceSpec\npipeline:\n  x: 1\ninstances:\n  - name: a\n    environment: dev\n"
    );
}
