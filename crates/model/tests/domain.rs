//! Proton domain logic: YAML positions, `schema.yaml`, spec files, manifests, ARNs and
//! template versions.
//!
//! Spec validation is data-driven: every directory under `tests/spec_cases/` holds a
//! `schema.yaml`, a `spec.yaml` and the exact `expected.json` result of `validate_spec`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use baryon_model::arn::{ArnError, ProtonArn, ProtonResource, validate_resource_name};
use baryon_model::diagnostic::Diagnostic;
use baryon_model::manifest::{RenderingEngine, TemplateLanguage, parse_manifest};
use baryon_model::schema::{SchemaType, parse_schema, validate_inputs};
use baryon_model::spec::{Spec, parse_spec, validate_spec};
use baryon_model::version::{
    DeploymentKind, TemplateVersion, check_version_change, next_version, parse_version_part,
    recommended, recommended_minor_for_major,
};
use baryon_model::yaml::{self, NodeValue};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Data-driven spec cases
// ---------------------------------------------------------------------------------------------

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec_cases")
}

#[test]
fn every_spec_case_gives_exactly_its_expected_result() {
    let mut dirs: Vec<PathBuf> = fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 25,
        "expected the spec cases, found {}",
        dirs.len()
    );
    let mut failures = Vec::new();
    for dir in &dirs {
        let read = |name: &str| {
            fs::read_to_string(dir.join(name))
                .unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
        };
        let result = validate_spec(&read("schema.yaml"), &read("spec.yaml"));
        let actual = serde_json::to_value(&result).unwrap();
        let expected: Value = serde_json::from_str(&read("expected.json"))
            .unwrap_or_else(|e| panic!("{}/expected.json: {e}", dir.display()));
        if actual != expected {
            failures.push(format!(
                "case {}:\n  expected: {}\n  actual:   {}",
                dir.file_name().unwrap().to_string_lossy(),
                serde_json::to_string_pretty(&expected).unwrap(),
                serde_json::to_string_pretty(&actual).unwrap()
            ));
        }
        // Invariants of every result.
        assert_eq!(
            result.ok,
            result.diagnostics.is_empty(),
            "{}",
            dir.display()
        );
        let positions: Vec<(usize, usize)> =
            result.diagnostics.iter().map(|d| (d.line, d.col)).collect();
        let mut sorted = positions.clone();
        sorted.sort_unstable();
        assert_eq!(
            positions,
            sorted,
            "{}: diagnostics not sorted",
            dir.display()
        );
        assert!(
            positions.iter().all(|&(l, c)| l >= 1 && c >= 1),
            "{}",
            dir.display()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The acceptance case: a wrong type, a missing required input and a pattern violation give
/// exactly three diagnostics, each at the right place.
#[test]
fn wrong_type_missing_required_and_pattern_give_exactly_three_positioned_diagnostics() {
    let dir = cases_dir().join("three-errors");
    let result = validate_spec(
        &fs::read_to_string(dir.join("schema.yaml")).unwrap(),
        &fs::read_to_string(dir.join("spec.yaml")).unwrap(),
    );
    assert!(!result.ok);
    let found: Vec<(&str, usize, usize)> = result
        .diagnostics
        .iter()
        .map(|d| (d.path.as_str(), d.line, d.col))
        .collect();
    assert_eq!(
        found,
        vec![
            ("spec", 3, 1),
            ("spec.retention_seconds", 4, 22),
            ("spec.alarm_email", 6, 16)
        ]
    );
    assert_eq!(
        result.diagnostics[0].message,
        "required input \"queue_name\" is missing"
    );
    assert_eq!(
        result.diagnostics[1].message,
        "expected number, found string \"four days\""
    );
    assert_eq!(
        result.diagnostics[2].message,
        "\"ops-at-example.com\" does not match pattern \"^[^@ ]+@[^@ ]+$\""
    );
    assert_eq!(
        result.diagnostics[1].to_string(),
        "4:22: spec.retention_seconds: expected number, found string \"four days\""
    );
}

/// The project's own fixtures (also used by the wasm and npm tests) give the same results
/// natively.
#[test]
fn the_project_fixtures_validate_as_the_wasm_tests_expect() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    if !root.exists() {
        println!("SKIPPED: tests/fixtures not present");
        return;
    }
    let read = |p: &str| fs::read_to_string(root.join(p)).unwrap();
    let queue_schema = read("templates/queue-env/v1/schema/schema.yaml");
    let ok = validate_spec(&queue_schema, &read("specs/queue-env.yaml"));
    assert!(ok.ok, "{:?}", ok.diagnostics);
    assert_eq!(
        ok.inputs,
        json!({"queue_name": "orders", "owners": ["team-a"], "retention_seconds": 345_600, "fifo": false})
    );
    let bad = validate_spec(&queue_schema, &read("specs/queue-env-three-errors.yaml"));
    let found: Vec<(&str, usize, usize)> = bad
        .diagnostics
        .iter()
        .map(|d| (d.path.as_str(), d.line, d.col))
        .collect();
    assert_eq!(
        found,
        vec![
            ("spec", 3, 1),
            ("spec.retention_seconds", 4, 22),
            ("spec.alarm_email", 6, 16)
        ]
    );
    let worker = validate_spec(
        &read("templates/worker-svc/v1/schema/schema.yaml"),
        &read("specs/worker-svc.yaml"),
    );
    assert!(worker.ok, "{:?}", worker.diagnostics);
    assert_eq!(
        worker.inputs["pipeline"],
        json!({"test_command": "cargo test"})
    );
    assert_eq!(
        worker.inputs["instances"][0]["inputs"]["batch_size"],
        json!(5)
    );
    assert_eq!(
        worker.inputs["instances"][1]["inputs"]["log_level"],
        json!("warn")
    );
    for manifest in [
        "templates/queue-env/v1/infrastructure/manifest.yaml",
        "templates/worker-svc/v1/instance_infrastructure/manifest.yaml",
        "templates/worker-svc/v1/pipeline_infrastructure/manifest.yaml",
    ] {
        parse_manifest(&read(manifest)).unwrap_or_else(|d| panic!("{manifest}: {d:?}"));
    }
}

// ---------------------------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------------------------

#[test]
fn yaml_nodes_carry_one_based_positions() {
    let doc = yaml::parse("a: 1\nb:\n  - x\n  - {c: true}\n").unwrap();
    assert_eq!((doc.line, doc.col), (1, 1));
    let (key, value) = doc.entry("b").unwrap();
    assert_eq!(key.pos(), (2, 1));
    let items = value.as_seq().unwrap();
    assert_eq!(items[0].pos(), (3, 5));
    assert_eq!(items[1].get("c").unwrap().pos(), (4, 9));
    assert_eq!(doc.get("a").unwrap().value, NodeValue::Int(1));
    assert_eq!(doc.to_json(), json!({"a": 1, "b": ["x", {"c": true}]}));
}

#[test]
fn yaml_scalars_resolve_with_the_core_schema_and_quotes_and_tags() {
    let doc = yaml::parse(
        "n1: null\nn2: ~\nn3:\nb: FALSE\ni: -42\nh: 0xff\no: 0o17\nf: 1.5e3\ninf: -.inf\nnan: .NaN\n\
         s1: yes\ns2: '123'\ns3: \"true\"\ns4: !!str 42\ni2: !!int \"7\"\nf2: !!float 3\nblk: >\n  a\n  b\n",
    )
    .unwrap();
    let v = |k: &str| doc.get(k).unwrap().value.clone();
    assert_eq!(v("n1"), NodeValue::Null);
    assert_eq!(v("n2"), NodeValue::Null);
    assert_eq!(v("n3"), NodeValue::Null);
    assert_eq!(v("b"), NodeValue::Bool(false));
    assert_eq!(v("i"), NodeValue::Int(-42));
    assert_eq!(v("h"), NodeValue::Int(255));
    assert_eq!(v("o"), NodeValue::Int(15));
    assert_eq!(v("f"), NodeValue::Float(1500.0));
    assert_eq!(v("inf"), NodeValue::Float(f64::NEG_INFINITY));
    assert!(matches!(v("nan"), NodeValue::Float(f) if f.is_nan()));
    assert_eq!(v("s1"), NodeValue::String("yes".into()));
    assert_eq!(v("s2"), NodeValue::String("123".into()));
    assert_eq!(v("s3"), NodeValue::String("true".into()));
    assert_eq!(v("s4"), NodeValue::String("42".into()));
    assert_eq!(v("i2"), NodeValue::Int(7));
    assert_eq!(v("f2"), NodeValue::Float(3.0));
    assert_eq!(v("blk"), NodeValue::String("a b\n".into()));
}

#[test]
fn yaml_errors_have_positions() {
    let e = yaml::parse("a: 1\n b: 2\n").unwrap_err();
    assert_eq!((e.line, e.col), (2, 3));
    let e = yaml::parse("a: 1\na: 2\n").unwrap_err();
    assert_eq!(
        (e.line, e.col, e.message.as_str()),
        (2, 1, "duplicate mapping key \"a\"")
    );
    let e = yaml::parse("a: !!int abc\n").unwrap_err();
    assert_eq!((e.line, e.col), (1, 4));
    assert!(e.message.contains("!!int"), "{e}");
    let e = yaml::parse("a: *nope\n").unwrap_err();
    assert_eq!(e.line, 1);
}

#[test]
fn yaml_empty_documents_are_null_at_the_start() {
    for src in ["", "# only a comment\n", "\n\n"] {
        let doc = yaml::parse(src).unwrap();
        assert_eq!(
            (doc.value.clone(), doc.line, doc.col),
            (NodeValue::Null, 1, 1),
            "{src:?}"
        );
    }
    // Only the first document is read.
    let doc = yaml::parse("a: 1\n---\nb: [\n").unwrap();
    assert_eq!(doc.to_json(), json!({"a": 1}));
}

#[test]
fn yaml_aliases_expand_and_billion_laughs_are_refused() {
    let doc = yaml::parse("a: &x {k: [1, 2]}\nb: *x\n").unwrap();
    assert_eq!(doc.get("b").unwrap().to_json(), json!({"k": [1, 2]}));
    assert_eq!(doc.get("b").unwrap().pos(), (2, 4));
    let mut bomb = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let aliases = vec![format!("*l{}", i - 1); 10].join(", ");
        writeln!(bomb, "l{i}: &l{i} [{aliases}]").unwrap();
    }
    let e = yaml::parse(&bomb).unwrap_err();
    assert!(e.message.contains("more than 100000 nodes"), "{e}");
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let e = yaml::parse(&deep).unwrap_err();
    assert_eq!(
        (e.line, e.col, e.message.as_str()),
        (1, 129, "the document nests deeper than 128 levels")
    );
    let deeper = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    assert!(yaml::parse(&deeper).is_err());
    // Aliases cannot stack nesting past the limit either.
    let mut chain = format!("a0: &a0 {}x{}\n", "[".repeat(100), "]".repeat(100));
    for i in 1..4 {
        writeln!(
            chain,
            "a{i}: &a{i} {}*a{}{}",
            "[".repeat(20),
            i - 1,
            "]".repeat(20)
        )
        .unwrap();
    }
    let e = yaml::parse(&chain).unwrap_err();
    assert_eq!(
        (e.line, e.col, e.message.as_str()),
        (3, 29, "the document nests deeper than 128 levels")
    );
}

#[test]
fn yaml_columns_count_characters() {
    let doc = yaml::parse("ä: \"ö\"\n").unwrap();
    assert_eq!(doc.get("ä").unwrap().pos(), (1, 4));
}

// ---------------------------------------------------------------------------------------------
// schema.yaml and input validation
// ---------------------------------------------------------------------------------------------

const SCHEMA: &str = r#"schema:
  format:
    openapi: "3.0.0"
  service_input_type: "SvcInput"
  pipeline_input_type: "PipeInput"
  types:
    SvcInput:
      type: object
      properties:
        port: {type: integer, default: 80, minimum: 1}
        name: {type: string}
      required: [name]
    PipeInput:
      type: object
      properties:
        cmd: {type: string, default: "make"}
"#;

#[test]
fn a_schema_parses_into_typed_definitions() {
    let schema = parse_schema(SCHEMA).unwrap();
    assert_eq!(schema.openapi, "3.0.0");
    assert_eq!(schema.service_input_type.as_deref(), Some("SvcInput"));
    assert_eq!(schema.pipeline_input_type.as_deref(), Some("PipeInput"));
    assert!(schema.environment_input_type.is_none());
    assert!(schema.is_service_template() && !schema.is_environment_template());
    let svc = schema.type_schema("SvcInput").unwrap();
    assert_eq!(svc.kind, Some(SchemaType::Object));
    assert_eq!(svc.required, vec!["name".to_owned()]);
    let port = svc.property("port").unwrap();
    assert_eq!(
        (port.kind, port.minimum),
        (Some(SchemaType::Integer), Some(1.0))
    );
    assert_eq!(port.default.as_ref().unwrap().to_json(), json!(80));
    assert_eq!((svc.line, svc.col), (8, 7));
}

#[test]
fn inputs_validate_against_a_named_type_with_the_given_base_path_and_position() {
    let schema = parse_schema(SCHEMA).unwrap();
    let node = yaml::parse("port: 0\n").unwrap();
    let (value, diags) = validate_inputs(
        &schema,
        "SvcInput",
        Some(&node),
        "instances[2].spec",
        (9, 5),
    );
    assert_eq!(value, json!({}));
    assert_eq!(
        diags,
        vec![
            Diagnostic::new("instances[2].spec.port", (1, 7), "must be >= 1"),
            Diagnostic::new(
                "instances[2].spec",
                (9, 5),
                "required input \"name\" is missing"
            ),
        ]
    );
    // No inputs at all: defaults, and the missing required input at the parent position.
    let (value, diags) = validate_inputs(&schema, "SvcInput", None, "spec", (3, 1));
    assert_eq!(value, json!({"port": 80}));
    assert_eq!(diags.len(), 1);
    assert_eq!((diags[0].line, diags[0].col), (3, 1));
    // A type the schema does not have.
    let (value, diags) = validate_inputs(&schema, "Nope", None, "spec", (1, 1));
    assert_eq!(value, Value::Null);
    assert_eq!(
        diags[0].message,
        "input type \"Nope\" is not defined in the schema"
    );
    // Inputs that are not a mapping.
    let node = yaml::parse("spec: [1]\n").unwrap();
    let (_, diags) = validate_inputs(&schema, "PipeInput", node.get("spec"), "spec", (1, 1));
    assert_eq!(
        diags,
        vec![Diagnostic::new(
            "spec",
            (1, 7),
            "expected a mapping of inputs, found array"
        )]
    );
}

#[test]
fn schema_document_problems_are_positioned() {
    /// (path, line, col, message)
    type Expected<'a> = &'a [(&'a str, usize, usize, &'a str)];
    let cases: &[(&str, Expected)] = &[
        (
            "",
            &[(
                "",
                1,
                1,
                "expected a mapping with a \"schema\" key, found null",
            )],
        ),
        (
            "foo: 1\n",
            &[
                ("", 1, 1, "missing \"schema\""),
                (
                    "foo",
                    1,
                    1,
                    "unknown key \"foo\"; schema.yaml has only \"schema\"",
                ),
            ],
        ),
        (
            "schema:\n  types: {}\n",
            &[
                (
                    "schema",
                    1,
                    1,
                    "missing \"format\" (with openapi: \"3.0.0\")",
                ),
                (
                    "schema",
                    1,
                    1,
                    "missing an input type: environment templates declare environment_input_type, service templates service_input_type",
                ),
            ],
        ),
        (
            "schema:\n  format: {openapi: 3.0.0}\n  environment_input_type: A\n  service_input_type: A\n  types:\n    A: {type: object, properties: {x: {type: string, minLength: -1}}}\n",
            &[
                (
                    "schema.service_input_type",
                    4,
                    3,
                    "a schema declares either environment_input_type (environment template) or service_input_type (service template), not both",
                ),
                (
                    "schema.types.A.properties.x.minLength",
                    6,
                    65,
                    "expected a non-negative integer, found number -1",
                ),
            ],
        ),
        (
            "schema:\n  format: {openapi: \"3.0.0\"}\n  environment_input_type: A\n  types:\n    A: {$ref: \"#/types/B\"}\n    B: {$ref: \"#/types/A\"}\n",
            &[
                (
                    "schema.types.A",
                    5,
                    8,
                    "$ref chain never reaches a type definition (it is a cycle)",
                ),
                (
                    "schema.types.B",
                    6,
                    8,
                    "$ref chain never reaches a type definition (it is a cycle)",
                ),
            ],
        ),
    ];
    for (src, want) in cases {
        let diags = parse_schema(src).unwrap_err();
        let got: Vec<(&str, usize, usize, &str)> = diags
            .iter()
            .map(|d| (d.path.as_str(), d.line, d.col, d.message.as_str()))
            .collect();
        assert_eq!(&got, want, "{src}");
    }
}

// ---------------------------------------------------------------------------------------------
// Spec files
// ---------------------------------------------------------------------------------------------

#[test]
fn parse_spec_gives_a_typed_spec() {
    let spec = parse_spec(
        "proton: ServiceSpec\npipeline:\n  cmd: x\ninstances:\n  - name: a\n    environment: dev\n    spec:\n      port: 1\n  - name: b\n    environment: prod\n",
    )
    .unwrap();
    let Spec::Service(svc) = spec else {
        panic!("not a service spec")
    };
    assert_eq!(svc.pipeline_key_pos, Some((2, 1)));
    assert_eq!(
        svc.pipeline.as_ref().unwrap().get("cmd").unwrap().as_str(),
        Some("x")
    );
    assert_eq!(svc.instances.len(), 2);
    assert_eq!(
        (
            svc.instances[0].name.as_str(),
            svc.instances[0].environment.as_str()
        ),
        ("a", "dev")
    );
    assert_eq!(svc.instances[0].inputs_pos, (7, 5));
    assert_eq!(svc.instances[1].inputs, None);
    assert_eq!(svc.instances[1].inputs_pos, (9, 5));

    let env = parse_spec("proton: EnvironmentSpec\nspec:\n  a: 1\n").unwrap();
    assert_eq!(env.kind(), "EnvironmentSpec");
    let Spec::Environment(env) = env else {
        panic!("not an environment spec")
    };
    assert_eq!(env.inputs_pos, (2, 1));
    assert_eq!(env.inputs.unwrap().to_json(), json!({"a": 1}));

    let errs = parse_spec("proton: ServiceSpec\ninstances: {}\n").unwrap_err();
    assert_eq!(
        errs[0].message,
        "expected a list of service instances, found object"
    );
    let errs = parse_spec("- a\n").unwrap_err();
    assert_eq!(
        errs[0].message,
        "expected a mapping with a \"proton\" key, found array"
    );
    let errs = parse_spec("").unwrap_err();
    assert!(errs[0].message.starts_with("the spec is empty"), "{errs:?}");
    let errs = parse_spec("proton: EnvironmentSpec\nspec: 5\n").unwrap_err();
    assert_eq!(
        errs,
        vec![Diagnostic::new(
            "spec",
            (2, 7),
            "expected a mapping of inputs, found number 5"
        )]
    );
}

#[test]
fn validate_spec_never_panics_on_odd_input() {
    let schemas = [SCHEMA, "", "schema: 5", ":", "schema:\n  types:\n    - a\n"];
    let specs = [
        "",
        ":::",
        "proton: ServiceSpec\ninstances:\n  - 5\n  - name: [a]\n    environment: {}\n",
        "proton: ServiceSpec\npipeline: 3\ninstances: 7\n",
        "proton: [1]\n",
        "proton: EnvironmentSpec\nspec:\n  ? [a, b]\n  : 1\n",
        "\t",
        "proton: EnvironmentSpec\nspec: &a\n  x: *a\n",
    ];
    for schema in schemas {
        for spec in specs {
            let r = validate_spec(schema, spec);
            assert!(!r.ok || r.diagnostics.is_empty());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The aws-samples Proton templates
// ---------------------------------------------------------------------------------------------

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// Template directories directly under `dir` (or `dir` itself): those holding
/// `v*/schema/schema.yaml`. Returns (template dir, schema files).
fn templates_in(dir: &Path) -> Vec<(PathBuf, Vec<PathBuf>)> {
    let schemas_of = |t: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = fs::read_dir(t)
            .map(|rd| {
                rd.map(|e| e.unwrap().path().join("schema/schema.yaml"))
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let own = schemas_of(dir);
    if !own.is_empty() {
        return vec![(dir.to_path_buf(), own)];
    }
    let mut out: Vec<(PathBuf, Vec<PathBuf>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| {
            let s = schemas_of(&p);
            (p, s)
        })
        .filter(|(_, s)| !s.is_empty())
        .collect();
    out.sort();
    out
}

#[test]
fn the_aws_samples_specs_validate_and_their_manifests_parse() {
    let root = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/proton-samples"
    ));
    if !root.is_dir() {
        println!("SKIPPED: ../shared/fixtures/proton-samples not present");
        return;
    }
    // Samples that are not valid by Proton's rules, with the exact diagnostics we expect
    // (path relative to the samples root -> diagnostics as "line:col: path: message").
    let known_invalid: BTreeMap<&str, Vec<&str>> = BTreeMap::from([(
        // The sample's pipeline sets `packaging_commands`, a typo of the schema's
        // `packaging_command`: the input is not defined in PipelineInputs, so Proton's schema
        // validation (unknown inputs are errors) rejects it; the default `make publish` would
        // have been used silently otherwise.
        "cloudformation/lambda-multi-svc/specs/svc-spec.yaml",
        vec![
            "5:3: pipeline.packaging_commands: input \"packaging_commands\" is not defined in the schema (did you mean \"packaging_command\"?)",
        ],
    )]);
    // Multi-template samples with several candidate schemas for a spec kind: which template
    // the spec belongs to (its instance inputs name `resource_handler`, a service-crud input).
    let chosen: BTreeMap<&str, &str> = BTreeMap::from([(
        "cloudformation/lambda-multi-svc/specs/svc-spec.yaml",
        "service-crud",
    )]);

    let mut files = Vec::new();
    yaml_files(root, &mut files);
    let mut manifests = 0;
    let mut pairs = 0;
    let mut failures = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = fs::read_to_string(file).unwrap();
        if file.file_name().is_some_and(|n| n == "manifest.yaml") {
            manifests += 1;
            if let Err(d) = parse_manifest(&text) {
                failures.push(format!("{rel}: {d:?}"));
            }
            continue;
        }
        let parent = file.parent().unwrap();
        let in_spec_dir = parent
            .file_name()
            .is_some_and(|n| n == "spec" || n == "specs");
        if !in_spec_dir {
            continue;
        }
        let spec = parse_spec(&text).unwrap_or_else(|d| panic!("{rel}: {d:?}"));
        let want_env = matches!(spec, Spec::Environment(_));
        let candidates: Vec<(PathBuf, Vec<PathBuf>)> = templates_in(parent.parent().unwrap())
            .into_iter()
            .filter(|(_, schemas)| {
                let s = parse_schema(&fs::read_to_string(&schemas[0]).unwrap()).unwrap();
                if want_env {
                    s.is_environment_template()
                } else {
                    s.is_service_template()
                }
            })
            .collect();
        let (_template, schemas) = match (candidates.len(), chosen.get(rel.as_str())) {
            (1, None) => candidates[0].clone(),
            (_, Some(name)) => candidates
                .iter()
                .find(|(t, _)| t.file_name().is_some_and(|n| n == *name))
                .cloned()
                .unwrap_or_else(|| panic!("{rel}: no template {name}")),
            (n, None) => panic!("{rel}: {n} candidate templates; add it to `chosen`"),
        };
        for schema_file in schemas {
            pairs += 1;
            let result = validate_spec(&fs::read_to_string(&schema_file).unwrap(), &text);
            let got: Vec<String> = result.diagnostics.iter().map(ToString::to_string).collect();
            let want: Vec<String> = known_invalid
                .get(rel.as_str())
                .map(|v| v.iter().map(|s| (*s).to_owned()).collect())
                .unwrap_or_default();
            if got != want {
                failures.push(format!(
                    "{rel} against {}: expected {want:#?}, got {got:#?}",
                    schema_file.strip_prefix(root).unwrap().display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(manifests >= 20, "only {manifests} manifests found");
    assert!(pairs >= 10, "only {pairs} spec/schema pairs found");
    println!("aws-samples: {pairs} spec/schema pairs and {manifests} manifests checked");
}

// ---------------------------------------------------------------------------------------------
// manifest.yaml
// ---------------------------------------------------------------------------------------------

#[test]
fn manifests_parse_for_each_rendering_engine() {
    let jinja = parse_manifest(
        "infrastructure:\n  templates:\n    - file: \"cloudformation.yaml\"\n      rendering_engine: jinja\n      template_language: cloudformation\n",
    )
    .unwrap();
    let t = &jinja.infrastructure.templates[0];
    assert_eq!(t.file.as_deref(), Some("cloudformation.yaml"));
    assert_eq!(t.rendering_engine, RenderingEngine::Jinja);
    assert_eq!(t.template_language, Some(TemplateLanguage::Cloudformation));
    assert_eq!(t.settings, None);

    let hcl = parse_manifest(
        "infrastructure:\n  templates:\n    - file: \"*\"\n      rendering_engine: hcl\n      template_language: terraform\n",
    )
    .unwrap();
    assert_eq!(
        hcl.infrastructure.templates[0].rendering_engine,
        RenderingEngine::Hcl
    );
    assert_eq!(
        serde_json::to_value(&hcl).unwrap(),
        json!({"infrastructure": {"templates": [{"file": "*", "renderingEngine": "hcl", "templateLanguage": "terraform", "settings": null}]}})
    );

    let codebuild = parse_manifest(
        "infrastructure:\n  templates:\n    - rendering_engine: codebuild\n      settings:\n        image: aws/codebuild/amazonlinux2-x86_64-standard:4.0\n        runtimes:\n          nodejs: 16\n          python: \"3.11\"\n        provision:\n          - npm install\n          - npm run deploy\n        deprovision:\n          - npm run destroy\n        project_properties:\n          VpcConfig:\n            VpcId: \"{{ environment.inputs.vpc_id }}\"\n",
    )
    .unwrap();
    let t = &codebuild.infrastructure.templates[0];
    assert_eq!(
        (t.rendering_engine, t.file.as_deref(), t.template_language),
        (RenderingEngine::Codebuild, None, None)
    );
    let s = t.settings.as_ref().unwrap();
    assert_eq!(
        s.image.as_deref(),
        Some("aws/codebuild/amazonlinux2-x86_64-standard:4.0")
    );
    assert_eq!(s.runtimes.get("nodejs").map(String::as_str), Some("16"));
    assert_eq!(s.runtimes.get("python").map(String::as_str), Some("3.11"));
    assert_eq!(s.provision, vec!["npm install", "npm run deploy"]);
    assert_eq!(s.deprovision, vec!["npm run destroy"]);
    assert_eq!(
        s.project_properties,
        Some(json!({"VpcConfig": {"VpcId": "{{ environment.inputs.vpc_id }}"}}))
    );
}

fn manifest_errors(src: &str) -> Vec<String> {
    parse_manifest(src)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn manifest_problems_are_positioned() {
    let t = |body: &str| format!("infrastructure:\n  templates:\n    - {body}");
    assert_eq!(
        manifest_errors(&t("file: x.yaml\n      rendering_engine: mustache\n")),
        vec![
            "4:25: infrastructure.templates[0].rendering_engine: unknown rendering engine \"mustache\"; expected jinja, hcl or codebuild"
        ]
    );
    assert_eq!(
        manifest_errors(&t(
            "file: x.yaml\n      template_language: cloudformation\n"
        )),
        vec![
            "3:7: infrastructure.templates[0]: missing \"rendering_engine\" (jinja, hcl or codebuild)"
        ]
    );
    assert_eq!(
        manifest_errors(&t(
            "rendering_engine: jinja\n      template_language: cloudformation\n"
        )),
        vec!["3:7: infrastructure.templates[0]: missing \"file\": the jinja template file"]
    );
    assert_eq!(
        manifest_errors(&t("file: main.tf\n      rendering_engine: hcl\n")),
        vec![
            "3:7: infrastructure.templates[0]: missing \"template_language\" (terraform with hcl)"
        ]
    );
    assert_eq!(
        manifest_errors(&t(
            "file: x.yaml\n      rendering_engine: jinja\n      template_language: terraform\n"
        )),
        vec![
            "5:26: infrastructure.templates[0].template_language: rendering engine jinja renders cloudformation templates, not terraform"
        ]
    );
    assert_eq!(
        manifest_errors(&t(
            "file: main.tf\n      rendering_engine: hcl\n      template_language: cloudformation\n"
        )),
        vec![
            "5:26: infrastructure.templates[0].template_language: rendering engine hcl renders terraform templates, not cloudformation"
        ]
    );
    assert_eq!(
        manifest_errors(&t(
            "file: x.yaml\n      rendering_engine: jinja\n      template_language: cfn\n"
        )),
        vec![
            "5:26: infrastructure.templates[0].template_language: unknown template language \"cfn\"; expected cloudformation or terraform"
        ]
    );
    assert_eq!(
        manifest_errors(&t("rendering_engine: codebuild\n")),
        vec![
            "3:7: infrastructure.templates[0]: missing \"settings\" (with provision and deprovision commands) for rendering_engine: codebuild"
        ]
    );
    assert_eq!(
        manifest_errors(&t(
            "rendering_engine: codebuild\n      template_language: terraform\n      settings:\n        provision: [\"a\", 5]\n        extra: 1\n"
        )),
        vec![
            "4:7: infrastructure.templates[0].template_language: template_language is not used with rendering_engine: codebuild",
            "5:7: infrastructure.templates[0].settings: missing \"deprovision\": the list of commands CodeBuild runs to deprovision",
            "6:26: infrastructure.templates[0].settings.provision[1]: expected a command (a string), found number 5",
            "7:9: infrastructure.templates[0].settings.extra: unknown key \"extra\"; expected image, runtimes, provision, deprovision, project_properties",
        ]
    );
    assert_eq!(
        manifest_errors(&t(
            "rendering_engine: codebuild\n      settings:\n        provision: \"make\"\n        deprovision: []\n"
        )),
        vec![
            "5:20: infrastructure.templates[0].settings.provision: expected a list of commands, found string \"make\"",
            "6:22: infrastructure.templates[0].settings.deprovision: expected at least one command",
        ]
    );
    assert_eq!(
        manifest_errors("infrastructure:\n  templates: []\n"),
        vec!["2:14: infrastructure.templates: expected at least one template"]
    );
    assert_eq!(
        manifest_errors("infra: {}\n"),
        vec![
            "1:1: missing \"infrastructure\"",
            "1:1: infra: unknown key \"infra\"; expected infrastructure"
        ]
    );
    assert_eq!(
        manifest_errors("infrastructure:\n  templates:\n    - file: [\n"),
        vec!["4:1: invalid YAML: while parsing a node, did not find expected node content"]
    );
}

// ---------------------------------------------------------------------------------------------
// ARNs
// ---------------------------------------------------------------------------------------------

#[test]
fn every_proton_arn_type_round_trips() {
    let v = TemplateVersion::new(2, 1);
    let cases: Vec<(&str, ProtonResource)> = vec![
        (
            "environment/prod",
            ProtonResource::Environment {
                name: "prod".into(),
            },
        ),
        (
            "environment-template/vpc-env",
            ProtonResource::EnvironmentTemplate {
                name: "vpc-env".into(),
            },
        ),
        (
            "environment-template/vpc-env:2.1",
            ProtonResource::EnvironmentTemplateVersion {
                template_name: "vpc-env".into(),
                version: v,
            },
        ),
        (
            "service-template/fargate",
            ProtonResource::ServiceTemplate {
                name: "fargate".into(),
            },
        ),
        (
            "service-template/fargate:2.1",
            ProtonResource::ServiceTemplateVersion {
                template_name: "fargate".into(),
                version: v,
            },
        ),
        (
            "service/orders",
            ProtonResource::Service {
                name: "orders".into(),
            },
        ),
        (
            "service/orders/service-instance/prod_1",
            ProtonResource::ServiceInstance {
                service_name: "orders".into(),
                name: "prod_1".into(),
            },
        ),
        (
            "service/orders/pipeline",
            ProtonResource::ServicePipeline {
                service_name: "orders".into(),
            },
        ),
        (
            "component/bucket",
            ProtonResource::Component {
                name: "bucket".into(),
            },
        ),
        (
            "environment-account-connection/0e2f1a7c-4a1b-4c3d-8e9f-0123456789ab",
            ProtonResource::EnvironmentAccountConnection {
                id: "0e2f1a7c-4a1b-4c3d-8e9f-0123456789ab".into(),
            },
        ),
        (
            "repository/github:my-org/my.repo",
            ProtonResource::Repository {
                provider: "github".into(),
                name: "my-org/my.repo".into(),
            },
        ),
        (
            "repository/bitbucket:team/templates",
            ProtonResource::Repository {
                provider: "bitbucket".into(),
                name: "team/templates".into(),
            },
        ),
        (
            "deployment/9b3c4d5e-6f70-4182-93a4-b5c6d7e8f901",
            ProtonResource::Deployment {
                id: "9b3c4d5e-6f70-4182-93a4-b5c6d7e8f901".into(),
            },
        ),
    ];
    for partition in ["aws", "aws-cn", "aws-us-gov"] {
        for (resource, want) in &cases {
            let text = format!("arn:{partition}:proton:eu-west-1:123456789012:{resource}");
            let arn = ProtonArn::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(&arn.resource, want, "{text}");
            assert_eq!(
                (
                    arn.partition.as_str(),
                    arn.region.as_str(),
                    arn.account_id.as_str()
                ),
                (partition, "eu-west-1", "123456789012")
            );
            assert_eq!(arn.to_string(), text);
            let built =
                ProtonArn::new("eu-west-1", "123456789012", want.clone()).with_partition(partition);
            assert_eq!(built, arn);
            let json = serde_json::to_value(&arn).unwrap();
            let back: ProtonArn = serde_json::from_value(json).unwrap();
            assert_eq!(back, arn);
        }
    }
}

#[test]
fn arns_serialize_with_a_resource_type_tag() {
    let arn = ProtonArn::parse(
        "arn:aws:proton:us-east-1:123456789012:service/orders/service-instance/prod",
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&arn).unwrap(),
        json!({
            "partition": "aws",
            "region": "us-east-1",
            "accountId": "123456789012",
            "resource": {"type": "service-instance", "serviceName": "orders", "name": "prod"}
        })
    );
    let svc = arn.sibling(ProtonResource::Service {
        name: "orders".into(),
    });
    assert_eq!(
        svc.pipeline().unwrap().to_string(),
        "arn:aws:proton:us-east-1:123456789012:service/orders/pipeline"
    );
    assert_eq!(arn.pipeline(), None);
}

#[test]
fn bad_arns_are_refused_with_clear_messages() {
    let cases: &[(&str, &str)] = &[
        (
            "",
            "\"\" is not an ARN: expected arn:PARTITION:proton:REGION:ACCOUNT:RESOURCE",
        ),
        (
            "arn:aws:proton",
            "\"arn:aws:proton\" is not an ARN: expected arn:PARTITION:proton:REGION:ACCOUNT:RESOURCE",
        ),
        (
            "urn:aws:proton:us-east-1:123456789012:service/a",
            "\"urn:aws:proton:us-east-1:123456789012:service/a\" is not an ARN: expected arn:PARTITION:proton:REGION:ACCOUNT:RESOURCE",
        ),
        (
            "arn:aws:s3:::bucket",
            "not an AWS Proton ARN: the service is \"s3\", expected \"proton\"",
        ),
        (
            "arn:azure:proton:us-east-1:123456789012:service/a",
            "unknown partition \"azure\": expected aws, aws-cn or aws-us-gov",
        ),
        (
            "arn:aws:proton::123456789012:service/a",
            "invalid region \"\": expected a region such as us-east-1",
        ),
        (
            "arn:aws:proton:US-EAST-1:123456789012:service/a",
            "invalid region \"US-EAST-1\": expected a region such as us-east-1",
        ),
        (
            "arn:aws:proton:us-east-1:12345:service/a",
            "invalid account ID \"12345\": expected 12 digits",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:widget/a",
            "unknown Proton resource type \"widget\": expected environment, environment-template, service-template, service, component, environment-account-connection, repository or deployment",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:service",
            "invalid resource \"service\": expected service/NAME",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:service/bad name",
            "invalid resource \"service/bad name\": service name \"bad name\" must contain only letters, digits, hyphens and underscores (found ' ')",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:service/-a",
            "invalid resource \"service/-a\": service name \"-a\" must start with a letter or a digit",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:environment/",
            "invalid resource \"environment/\": environment name \"\" must not be empty",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:service/a/b",
            "invalid resource \"service/a/b\": expected service/NAME, service/NAME/pipeline or service/NAME/service-instance/NAME",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:service/a/service-instance/",
            "invalid resource \"service/a/service-instance/\": service instance name \"\" must not be empty",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:environment-template/t:1",
            "invalid resource \"environment-template/t:1\": \"1\" is not a template version: expected MAJOR.MINOR, such as \"1.0\"",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:service-template/t:1.01",
            "invalid resource \"service-template/t:1.01\": \"01\" is not a version number: expected 0 or a number without leading zeros",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:deployment/ABC",
            "invalid resource \"deployment/ABC\": ID \"ABC\" must be a lower-case UUID",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:environment-account-connection/0E2F1A7C-4A1B-4C3D-8E9F-0123456789AB",
            "invalid resource \"environment-account-connection/0E2F1A7C-4A1B-4C3D-8E9F-0123456789AB\": ID \"0E2F1A7C-4A1B-4C3D-8E9F-0123456789AB\" must be a lower-case UUID",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:repository/github",
            "invalid resource \"repository/github\": expected repository/PROVIDER:OWNER/NAME",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:repository/GitHub:a/b",
            "invalid resource \"repository/GitHub:a/b\": provider \"GitHub\" must be in lower case, such as github",
        ),
        (
            "arn:aws:proton:us-east-1:123456789012:repository/github:repo",
            "invalid resource \"repository/github:repo\": repository name \"repo\" must have the form owner/repository",
        ),
    ];
    for (text, message) in cases {
        let e = ProtonArn::parse(text).unwrap_err();
        assert_eq!(&e.to_string(), message, "{text}");
    }
    assert!(
        matches!(ProtonArn::parse("arn:aws:s3:::bucket"), Err(ArnError::Service(s)) if s == "s3")
    );
}

#[test]
fn resource_names_follow_protons_pattern_and_length() {
    for ok in ["a", "A1", "0", "my-env_2", &"x".repeat(100)] {
        assert_eq!(validate_resource_name(ok), Ok(()), "{ok}");
    }
    assert_eq!(validate_resource_name(""), Err("must not be empty".into()));
    assert_eq!(
        validate_resource_name(&"x".repeat(101)),
        Err("must be at most 100 characters long".into())
    );
    assert_eq!(
        validate_resource_name("_a"),
        Err("must start with a letter or a digit".into())
    );
    assert_eq!(
        validate_resource_name("-a"),
        Err("must start with a letter or a digit".into())
    );
    assert_eq!(
        validate_resource_name("a.b"),
        Err("must contain only letters, digits, hyphens and underscores (found '.')".into())
    );
    assert!(validate_resource_name("é").is_err());
}

// ---------------------------------------------------------------------------------------------
// Template versions
// ---------------------------------------------------------------------------------------------

fn tv(s: &str) -> TemplateVersion {
    TemplateVersion::parse(s).unwrap()
}

#[test]
fn versions_parse_order_and_display() {
    assert_eq!(tv("1.0"), TemplateVersion::new(1, 0));
    assert_eq!(tv("0.0").to_string(), "0.0");
    assert_eq!(tv("10.23").to_string(), "10.23");
    assert_eq!(
        "3.4".parse::<TemplateVersion>().unwrap(),
        TemplateVersion::new(3, 4)
    );
    for bad in [
        "", "1", "1.", ".1", "01.0", "1.00", "1.0.0", "a.b", "1,0", "-1.0", "+1.0", " 1.0", "1x0",
    ] {
        assert!(TemplateVersion::parse(bad).is_err(), "{bad:?}");
    }
    assert!(
        TemplateVersion::parse("99999999999.0")
            .unwrap_err()
            .to_string()
            .contains("too large")
    );
    assert_eq!(parse_version_part("0"), Ok(0));
    assert_eq!(parse_version_part("12"), Ok(12));
    assert!(parse_version_part("012").is_err());
    assert!(parse_version_part("").is_err());
    let mut vs = [tv("2.0"), tv("1.10"), tv("1.2"), tv("10.0"), tv("1.9")];
    vs.sort();
    assert_eq!(
        vs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["1.2", "1.9", "1.10", "2.0", "10.0"]
    );
}

#[test]
fn new_versions_are_numbered_as_proton_numbers_them() {
    // "To create a new major and minor version of the template, exclude majorVersion."
    assert_eq!(next_version([], None), Ok(tv("1.0")));
    assert_eq!(next_version([tv("1.0"), tv("1.1")], None), Ok(tv("2.0")));
    assert_eq!(
        next_version([tv("1.0"), tv("3.2"), tv("2.5")], None),
        Ok(tv("4.0"))
    );
    // "To create a new minor version of the template, include a majorVersion."
    assert_eq!(
        next_version([tv("1.0"), tv("1.1"), tv("2.0")], Some(1)),
        Ok(tv("1.2"))
    );
    assert_eq!(next_version([tv("1.0"), tv("2.0")], Some(2)), Ok(tv("2.1")));
    assert_eq!(
        next_version([tv("1.0")], Some(3)),
        Err("major version 3 of the template does not exist; omit the major version to create a new major version".into())
    );
    assert!(next_version([], Some(1)).is_err());
}

#[test]
fn the_recommended_version_is_the_latest_published_one() {
    let versions = [
        (tv("1.0"), true),
        (tv("1.1"), true),
        (tv("1.2"), false),
        (tv("2.0"), true),
        (tv("2.1"), false),
        (tv("3.0"), false),
    ];
    assert_eq!(recommended(versions), Some(tv("2.0")));
    assert_eq!(recommended_minor_for_major(versions, 1), Some(tv("1.1")));
    assert_eq!(recommended_minor_for_major(versions, 2), Some(tv("2.0")));
    assert_eq!(recommended_minor_for_major(versions, 3), None);
    assert_eq!(recommended([(tv("1.0"), false)]), None);
    assert_eq!(recommended([]), None);
}

#[test]
fn deployment_types_choose_the_version_to_deploy() {
    use DeploymentKind::{CurrentVersion, MajorVersion, MinorVersion, None as NoDeployment};
    let available = [
        (tv("1.0"), true),
        (tv("1.1"), true),
        (tv("1.2"), true),
        (tv("1.3"), false),
        (tv("2.0"), true),
        (tv("2.1"), true),
        (tv("3.0"), false),
    ];
    let cur = tv("1.1");
    let check = |kind, major, minor| check_version_change(kind, cur, major, minor, &available);

    // NONE: no deployment, no version change.
    assert_eq!(check(NoDeployment, None, None), Ok(cur));
    assert!(check(NoDeployment, Some(2), None).is_err());
    // CURRENT_VERSION: same version; "Don't include minor or major version parameters".
    assert_eq!(check(CurrentVersion, None, None), Ok(cur));
    assert_eq!(
        check(CurrentVersion, Some(1), None),
        Err("don't include templateMajorVersion or templateMinorVersion with deployment type CURRENT_VERSION".into())
    );
    assert!(check(CurrentVersion, None, Some(2)).is_err());
    // MINOR_VERSION: by default the recommended (latest published) minor of the current major.
    assert_eq!(check(MinorVersion, None, None), Ok(tv("1.2")));
    assert_eq!(check(MinorVersion, Some(1), None), Ok(tv("1.2")));
    assert_eq!(check(MinorVersion, None, Some(2)), Ok(tv("1.2")));
    assert_eq!(check(MinorVersion, Some(1), Some(1)), Ok(tv("1.1")));
    assert_eq!(
        check(MinorVersion, None, Some(3)),
        Err("template version 1.3 is not published".into())
    );
    assert_eq!(
        check(MinorVersion, None, Some(9)),
        Err("template version 1.9 does not exist".into())
    );
    assert_eq!(
        check(MinorVersion, None, Some(0)),
        Err("deployment type MINOR_VERSION can't move from version 1.1 down to 1.0".into())
    );
    assert_eq!(
        check(MinorVersion, Some(2), None),
        Err("deployment type MINOR_VERSION stays in major version 1 (in use); use MAJOR_VERSION to move to major version 2".into())
    );
    // MAJOR_VERSION: by default the template's recommended version; or a higher major, with
    // its recommended minor unless one is given.
    assert_eq!(check(MajorVersion, None, None), Ok(tv("2.1")));
    assert_eq!(check(MajorVersion, Some(2), None), Ok(tv("2.1")));
    assert_eq!(check(MajorVersion, Some(2), Some(0)), Ok(tv("2.0")));
    assert_eq!(
        check(MajorVersion, Some(3), None),
        Err("major version 3 has no published minor version".into())
    );
    assert_eq!(
        check(MajorVersion, Some(3), Some(0)),
        Err("template version 3.0 is not published".into())
    );
    assert_eq!(
        check(MajorVersion, Some(1), None),
        Err("deployment type MAJOR_VERSION moves to a major version higher than 1 (in use), not 1; use MINOR_VERSION within major version 1".into())
    );
    assert_eq!(
        check(MajorVersion, None, Some(1)),
        Err(
            "templateMinorVersion requires templateMajorVersion with deployment type MAJOR_VERSION"
                .into()
        )
    );
    // Nothing published in the current major.
    assert_eq!(
        check_version_change(MinorVersion, tv("3.0"), None, None, &available),
        Err("major version 3 has no published minor version".into())
    );
    assert_eq!(
        check_version_change(MajorVersion, cur, None, None, &[]),
        Err("the template has no published version".into())
    );
}

#[test]
fn deployment_kinds_use_the_api_names() {
    for (kind, name) in [
        (DeploymentKind::None, "NONE"),
        (DeploymentKind::CurrentVersion, "CURRENT_VERSION"),
        (DeploymentKind::MinorVersion, "MINOR_VERSION"),
        (DeploymentKind::MajorVersion, "MAJOR_VERSION"),
    ] {
        assert_eq!(kind.as_str(), name);
        assert_eq!(DeploymentKind::from_api(name), Some(kind));
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(name));
    }
    assert_eq!(DeploymentKind::from_api("minor_version"), None);
}
