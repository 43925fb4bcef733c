//! The generated model: completeness against the vendored API model, wire names, enums.
#![allow(clippy::unwrap_used)] // a panic is a test's failure report

use baryon_model::proton::{self, DeploymentStatus, Operation};
use baryon_model::servicecatalog;
use baryon_model::shape::OperationShape;
use serde_json::json;

fn vendored(file: &str) -> serde_json::Value {
    let path = format!("{}/api/{file}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn proton_has_all_87_operations() {
    assert_eq!(Operation::ALL.len(), 87);
    assert_eq!(proton::SERVICE.operations.len(), 87);
}

#[test]
fn every_vendored_operation_is_in_the_operation_enum() {
    for (file, service) in [
        ("proton-2020-07-20.json", &proton::SERVICE),
        ("servicecatalog-2015-12-10.json", &servicecatalog::SERVICE),
    ] {
        let model = vendored(file);
        let ops = model["operations"].as_object().unwrap();
        assert_eq!(ops.len(), service.operations.len(), "{file}");
        for name in ops.keys() {
            assert!(service.operation(name).is_some(), "{name} missing");
        }
    }
}

#[test]
fn operation_names_round_trip() {
    for op in Operation::ALL {
        assert_eq!(Operation::from_name(op.name()), Some(*op));
    }
    for op in servicecatalog::Operation::ALL {
        assert_eq!(servicecatalog::Operation::from_name(op.name()), Some(*op));
    }
    assert_eq!(Operation::from_name("createService"), None);
}

#[test]
fn service_metadata_matches_the_wire_protocols() {
    assert_eq!(proton::TARGET_PREFIX, "AwsProton20200720");
    assert_eq!(proton::JSON_VERSION, "1.0");
    assert_eq!(proton::SIGNING_NAME, "proton");
    assert_eq!(servicecatalog::TARGET_PREFIX, "AWS242ServiceCatalogService");
    assert_eq!(servicecatalog::JSON_VERSION, "1.1");
    assert_eq!(servicecatalog::SIGNING_NAME, "servicecatalog");
}

#[test]
fn every_model_pattern_compiles_for_the_rust_regex_engine() {
    for service in [&proton::SERVICE, &servicecatalog::SERVICE] {
        for (shape, p) in service.patterns() {
            assert!(p.regex().is_some(), "{shape}: {} does not compile", p.rust);
        }
    }
}

#[test]
fn marker_types_tie_operations_to_their_shapes() {
    fn name<O: OperationShape<Op = Operation>>() -> &'static str {
        O::OPERATION.name()
    }
    assert_eq!(name::<proton::ops::CreateService>(), "CreateService");
    let def = Operation::CreateService.def();
    assert_eq!(
        proton::SHAPES[def.input.unwrap()].name,
        "CreateServiceInput"
    );
    assert_eq!(
        proton::SHAPES[def.output.unwrap()].name,
        "CreateServiceOutput"
    );
    assert!(def.errors.contains(&"ConflictException"));
}

#[test]
fn structures_use_the_exact_wire_names() {
    let input: proton::CreateServiceInput = serde_json::from_value(json!({
        "name": "svc", "spec": "proton: ServiceSpec", "templateName": "tpl",
        "templateMajorVersion": "1", "repositoryConnectionArn": "arn:aws:codestar-connections:us-east-1:123456789012:connection/x"
    }))
    .unwrap();
    assert_eq!(input.template_major_version, "1");
    let back = serde_json::to_value(&input).unwrap();
    assert_eq!(back["templateName"], "tpl");
    assert!(
        back.get("branchName").is_none(),
        "absent optionals are not serialized"
    );
}

#[test]
fn enums_keep_unknown_values_readable() {
    let known: DeploymentStatus = serde_json::from_value(json!("IN_PROGRESS")).unwrap();
    assert_eq!(known, DeploymentStatus::InProgress);
    let unknown: DeploymentStatus = serde_json::from_value(json!("PAUSED")).unwrap();
    assert_eq!(unknown, DeploymentStatus::Unknown("PAUSED".into()));
    assert_eq!(serde_json::to_value(&unknown).unwrap(), json!("PAUSED"));
    assert!(DeploymentStatus::VALUES.contains(&"CANCELLED"));
}

#[test]
fn unions_are_externally_tagged_like_aws_json() {
    let src: proton::TemplateVersionSourceInput =
        serde_json::from_value(json!({"s3": {"bucket": "b", "key": "k.tar.gz"}})).unwrap();
    assert_eq!(
        serde_json::to_value(&src).unwrap(),
        json!({"s3": {"bucket": "b", "key": "k.tar.gz"}})
    );
}

#[test]
fn sensitive_members_are_redacted_in_debug_output() {
    let input = proton::CreateServiceInput {
        name: "svc".into(),
        spec: "secret-spec-text".into(),
        template_name: "t".into(),
        template_major_version: "1".into(),
        ..Default::default()
    };
    let shown = format!("{input:?}");
    assert!(!shown.contains("secret-spec-text"), "{shown}");
    assert!(shown.contains("Sensitive Data Redacted"));
}

#[test]
fn timestamps_are_epoch_seconds_on_the_wire() {
    let out: proton::GetServiceOutput = serde_json::from_value(json!({"service": {
        "arn": "arn:aws:proton:us-east-1:123456789012:service/svc", "name": "svc",
        "createdAt": 1_700_000_000.5, "lastModifiedAt": 1_700_000_001,
        "spec": "s", "status": "ACTIVE", "templateName": "t"
    }}))
    .unwrap();
    assert_eq!(
        out.service.as_ref().unwrap().created_at.as_millis(),
        1_700_000_000_500
    );
    assert_eq!(
        serde_json::to_value(&out).unwrap()["service"]["lastModifiedAt"],
        json!(1_700_000_001)
    );
}
