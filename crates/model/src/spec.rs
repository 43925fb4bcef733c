//! Proton spec files, and their validation against a template's `schema.yaml`.
//!
//! ```yaml
//! proton: EnvironmentSpec
//! spec:
//!   vpc_cidr: 10.0.0.0/16
//! ```
//!
//! ```yaml
//! proton: ServiceSpec
//! pipeline:            # optional
//!   unit_test_command: make test
//! instances:
//!   - name: frontend-dev
//!     environment: beta
//!     spec:            # optional
//!       port: 80
//! ```

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::arn::validate_resource_name;
use crate::diagnostic::{Diagnostic, index_path, join_path, sort_diagnostics};
use crate::schema::{TemplateSchema, parse_schema, validate_inputs};
use crate::yaml::{self, Node, quote_short};

/// `proton:` of an environment spec.
pub const ENVIRONMENT_SPEC: &str = "EnvironmentSpec";
/// `proton:` of a service spec.
pub const SERVICE_SPEC: &str = "ServiceSpec";

/// A parsed spec file.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    /// `proton: EnvironmentSpec`.
    Environment(EnvironmentSpec),
    /// `proton: ServiceSpec`.
    Service(ServiceSpec),
}

/// A parsed `proton: EnvironmentSpec`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentSpec {
    /// The `spec:` mapping of inputs; `None` when absent.
    pub inputs: Option<Node>,
    /// Where problems with the inputs as a whole are reported (missing required inputs): the
    /// `spec` key, or the start of the document when there is none.
    pub inputs_pos: (usize, usize),
    /// Position of the `proton:` value.
    pub proton_pos: (usize, usize),
}

/// A parsed `proton: ServiceSpec`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSpec {
    /// The `pipeline:` mapping of inputs; `None` when absent.
    pub pipeline: Option<Node>,
    /// Position of the `pipeline` key, when present.
    pub pipeline_key_pos: Option<(usize, usize)>,
    /// Where problems with the pipeline inputs as a whole are reported: the `pipeline` key,
    /// or the start of the document when there is none.
    pub pipeline_pos: (usize, usize),
    /// `instances:`, in order.
    pub instances: Vec<InstanceSpec>,
    /// Position of the `proton:` value.
    pub proton_pos: (usize, usize),
}

/// One entry of a service spec's `instances:`.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceSpec {
    /// `name:` of the service instance.
    pub name: String,
    /// `environment:`, the name of the environment to deploy it to.
    pub environment: String,
    /// The `spec:` mapping of inputs; `None` when absent.
    pub inputs: Option<Node>,
    /// Where problems with the inputs as a whole are reported: the instance's `spec` key, or
    /// the start of the instance.
    pub inputs_pos: (usize, usize),
    /// 1-based line where the instance starts.
    pub line: usize,
    /// 1-based column where the instance starts.
    pub col: usize,
}

impl Spec {
    /// `EnvironmentSpec` or `ServiceSpec`.
    pub fn kind(&self) -> &'static str {
        match self {
            Spec::Environment(_) => ENVIRONMENT_SPEC,
            Spec::Service(_) => SERVICE_SPEC,
        }
    }
}

/// The result of [`validate_spec`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm", tsify(missing_as_null, hashmap_as_object))]
pub struct SpecValidation {
    /// Whether the spec is valid (no diagnostics).
    pub ok: bool,
    /// Every problem, sorted by position. Problems found in `schema.yaml` itself have messages
    /// starting with `schema.yaml: ` and paths starting with `schema`.
    pub diagnostics: Vec<Diagnostic>,
    /// The inputs with defaults applied (best effort when invalid). For an environment spec,
    /// the object of environment inputs; for a service spec,
    /// `{"pipeline": {...} | null, "instances": [{"name", "environment", "inputs"}]}`;
    /// `null` when the spec or schema could not be read.
    #[cfg_attr(feature = "wasm", tsify(type = "unknown"))]
    pub inputs: Value,
}

/// Parses a spec file. Every structural problem is reported with its position: YAML syntax,
/// a missing or unknown `proton:`, unknown keys, instances without a valid unique `name` or an
/// `environment`. Inputs are not checked here; see [`validate_spec`].
pub fn parse_spec(spec_yaml: &str) -> Result<Spec, Vec<Diagnostic>> {
    let (spec, mut diags) = parse_spec_partial(spec_yaml);
    sort_diagnostics(&mut diags);
    match spec {
        Some(spec) if diags.is_empty() => Ok(spec),
        _ => Err(diags),
    }
}

/// Validates a spec (`EnvironmentSpec` or `ServiceSpec`) against a template's `schema.yaml`,
/// applying defaults. Never panics; YAML errors in either document are diagnostics.
pub fn validate_spec(schema_yaml: &str, spec_yaml: &str) -> SpecValidation {
    let (spec, mut diags) = parse_spec_partial(spec_yaml);
    let schema = match parse_schema(schema_yaml) {
        Ok(schema) => Some(schema),
        Err(schema_diags) => {
            diags.extend(schema_diags.into_iter().map(|mut d| {
                d.message = format!("schema.yaml: {}", d.message);
                d
            }));
            None
        }
    };
    let mut inputs = Value::Null;
    if let (Some(spec), Some(schema)) = (&spec, &schema) {
        inputs = match spec {
            Spec::Environment(env) => environment_inputs(schema, env, &mut diags),
            Spec::Service(svc) => service_inputs(schema, svc, &mut diags),
        };
    }
    sort_diagnostics(&mut diags);
    SpecValidation {
        ok: diags.is_empty(),
        diagnostics: diags,
        inputs,
    }
}

fn environment_inputs(
    schema: &TemplateSchema,
    env: &EnvironmentSpec,
    diags: &mut Vec<Diagnostic>,
) -> Value {
    if schema.environment_input_type.is_none() {
        diags.push(Diagnostic::new(
            "proton",
            env.proton_pos,
            "this is an EnvironmentSpec, but the schema is for a service \
                template (it declares no environment_input_type)",
        ));
        return Value::Null;
    }
    let (value, d) = validate_environment_inputs(schema, env.inputs.as_ref(), env.inputs_pos);
    diags.extend(d);
    value
}

fn service_inputs(
    schema: &TemplateSchema,
    svc: &ServiceSpec,
    diags: &mut Vec<Diagnostic>,
) -> Value {
    if schema.service_input_type.is_none() {
        diags.push(Diagnostic::new(
            "proton",
            svc.proton_pos,
            "this is a ServiceSpec, but the schema is for an environment \
                template (it declares no service_input_type)",
        ));
        return Value::Null;
    }
    let pipeline = if schema.pipeline_input_type.is_some() {
        let (value, d) = validate_pipeline_inputs(schema, svc.pipeline.as_ref(), svc.pipeline_pos);
        diags.extend(d);
        value
    } else {
        if let Some(pos) = svc.pipeline_key_pos {
            diags.push(Diagnostic::new(
                "pipeline",
                pos,
                "this service template has no pipeline (its schema declares \
                    no pipeline_input_type); remove the pipeline section",
            ));
        }
        Value::Null
    };
    let instances: Vec<Value> = svc
        .instances
        .iter()
        .enumerate()
        .map(|(i, inst)| {
            let (value, d) =
                validate_service_instance_inputs(schema, i, inst.inputs.as_ref(), inst.inputs_pos);
            diags.extend(d);
            json!({"name": inst.name, "environment": inst.environment, "inputs": value})
        })
        .collect();
    json!({"pipeline": pipeline, "instances": instances})
}

/// Validates environment inputs (the `spec:` mapping of an `EnvironmentSpec`, path `spec`)
/// against the schema's `environment_input_type`. `pos` is where problems with the mapping as
/// a whole are reported (its key). Returns the inputs with defaults applied.
pub fn validate_environment_inputs(
    schema: &TemplateSchema,
    inputs: Option<&Node>,
    pos: (usize, usize),
) -> (Value, Vec<Diagnostic>) {
    match &schema.environment_input_type {
        Some(t) => validate_inputs(schema, t, inputs, "spec", pos),
        None => (
            Value::Null,
            vec![Diagnostic::new(
                "spec",
                pos,
                "the schema declares no environment_input_type",
            )],
        ),
    }
}

/// Validates the inputs of the service instance at `index` (path `instances[index].spec`)
/// against the schema's `service_input_type`. Returns the inputs with defaults applied.
pub fn validate_service_instance_inputs(
    schema: &TemplateSchema,
    index: usize,
    inputs: Option<&Node>,
    pos: (usize, usize),
) -> (Value, Vec<Diagnostic>) {
    let path = join_path(&index_path("instances", index), "spec");
    match &schema.service_input_type {
        Some(t) => validate_inputs(schema, t, inputs, &path, pos),
        None => (
            Value::Null,
            vec![Diagnostic::new(
                path,
                pos,
                "the schema declares no service_input_type",
            )],
        ),
    }
}

/// Validates pipeline inputs (path `pipeline`) against the schema's `pipeline_input_type`;
/// `inputs` is `None` when the spec has no pipeline section (defaults and required inputs
/// still apply). Returns the inputs with defaults applied.
pub fn validate_pipeline_inputs(
    schema: &TemplateSchema,
    inputs: Option<&Node>,
    pos: (usize, usize),
) -> (Value, Vec<Diagnostic>) {
    match &schema.pipeline_input_type {
        Some(t) => validate_inputs(schema, t, inputs, "pipeline", pos),
        None => (
            Value::Null,
            vec![Diagnostic::new(
                "pipeline",
                pos,
                "the schema declares no pipeline_input_type",
            )],
        ),
    }
}

fn not_a_mapping(path: &str, node: &Node) -> Diagnostic {
    Diagnostic::new(
        path,
        node.pos(),
        format!("expected a mapping of inputs, found {}", node.describe()),
    )
}

/// Parses what can be parsed, reporting every structural problem. The spec is `None` only
/// when its kind cannot be told.
fn parse_spec_partial(src: &str) -> (Option<Spec>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let root = match yaml::parse(src) {
        Ok(root) => root,
        Err(e) => {
            diags.push(Diagnostic::new(
                "",
                (e.line, e.col),
                format!("invalid YAML: {}", e.message),
            ));
            return (None, diags);
        }
    };
    let Some(entries) = root.as_map() else {
        let message = if root.is_null() {
            "the spec is empty; expected a mapping starting with proton: \
                EnvironmentSpec or proton: ServiceSpec"
                .to_owned()
        } else {
            format!(
                "expected a mapping with a \"proton\" key, found {}",
                root.describe()
            )
        };
        diags.push(Diagnostic::new("", root.pos(), message));
        return (None, diags);
    };
    let kind = match root.get("proton") {
        None => {
            diags.push(Diagnostic::new(
                "proton",
                root.pos(),
                "missing \"proton\": the spec must start with proton: \
                EnvironmentSpec or proton: ServiceSpec",
            ));
            None
        }
        Some(v) => {
            if let Some(k @ (ENVIRONMENT_SPEC | SERVICE_SPEC)) = v.as_str() {
                Some((k, v.pos()))
            } else {
                diags.push(Diagnostic::new(
                    "proton",
                    v.pos(),
                    format!(
                        "must be EnvironmentSpec or ServiceSpec, found {}",
                        v.describe()
                    ),
                ));
                None
            }
        }
    };
    let Some((kind, proton_pos)) = kind else {
        return (None, diags);
    };
    let allowed: &[&str] = if kind == ENVIRONMENT_SPEC {
        &["proton", "spec"]
    } else {
        &["proton", "pipeline", "instances"]
    };
    for (k, _) in entries {
        if !k.as_str().is_some_and(|key| allowed.contains(&key)) {
            diags.push(Diagnostic::new(
                k.key_text(),
                k.pos(),
                format!(
                    "unknown key {}; {}",
                    quote_short(&k.key_text()),
                    if kind == ENVIRONMENT_SPEC {
                        "an EnvironmentSpec has only proton and spec"
                    } else {
                        "a ServiceSpec has only proton, pipeline and instances"
                    }
                ),
            ));
        }
    }
    let section =
        |key: &str, diags: &mut Vec<Diagnostic>| -> (Option<Node>, Option<(usize, usize)>) {
            match root.entry(key) {
                None => (None, None),
                Some((k, v)) => {
                    if !v.is_null() && v.as_map().is_none() {
                        diags.push(not_a_mapping(key, v));
                    }
                    (Some(v.clone()), Some(k.pos()))
                }
            }
        };
    if kind == ENVIRONMENT_SPEC {
        let (inputs, key_pos) = section("spec", &mut diags);
        let spec = EnvironmentSpec {
            inputs,
            inputs_pos: key_pos.unwrap_or(root.pos()),
            proton_pos,
        };
        return (Some(Spec::Environment(spec)), diags);
    }
    let (pipeline, pipeline_key_pos) = section("pipeline", &mut diags);
    let instances = root
        .get("instances")
        .map(|n| instances(n, &mut diags))
        .unwrap_or_default();
    let spec = ServiceSpec {
        pipeline,
        pipeline_key_pos,
        pipeline_pos: pipeline_key_pos.unwrap_or(root.pos()),
        instances,
        proton_pos,
    };
    (Some(Spec::Service(spec)), diags)
}

fn instances(node: &Node, diags: &mut Vec<Diagnostic>) -> Vec<InstanceSpec> {
    if node.is_null() {
        return Vec::new();
    }
    let Some(items) = node.as_seq() else {
        diags.push(Diagnostic::new(
            "instances",
            node.pos(),
            format!(
                "expected a list of service instances, found {}",
                node.describe()
            ),
        ));
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let path = index_path("instances", i);
        let Some(entries) = item.as_map() else {
            diags.push(Diagnostic::new(
                &path,
                item.pos(),
                format!(
                    "expected a service instance (a mapping with name, \
                environment and spec), found {}",
                    item.describe()
                ),
            ));
            continue;
        };
        for (k, _) in entries {
            if !k
                .as_str()
                .is_some_and(|key| ["name", "environment", "spec"].contains(&key))
            {
                diags.push(Diagnostic::new(
                    join_path(&path, &k.key_text()),
                    k.pos(),
                    format!(
                        "unknown key {} in a service instance; expected name, environment, spec",
                        quote_short(&k.key_text())
                    ),
                ));
            }
        }
        let mut name_field = |field: &str, what: &str| -> String {
            match item.get(field) {
                None => {
                    diags.push(Diagnostic::new(
                        &path,
                        item.pos(),
                        format!("missing \"{field}\": the {what}"),
                    ));
                    String::new()
                }
                Some(v) => match v.as_str() {
                    None => {
                        diags.push(Diagnostic::new(
                            join_path(&path, field),
                            v.pos(),
                            format!("expected the {what} (a string), found {}", v.describe()),
                        ));
                        String::new()
                    }
                    Some(s) => {
                        if let Err(e) = validate_resource_name(s) {
                            diags.push(Diagnostic::new(
                                join_path(&path, field),
                                v.pos(),
                                format!("invalid {what} {}: {e}", quote_short(s)),
                            ));
                        }
                        s.to_owned()
                    }
                },
            }
        };
        let name = name_field("name", "service instance name");
        let environment = name_field("environment", "environment name");
        if !name.is_empty() {
            if let Some(first) = names.get(&name) {
                if let Some(v) = item.get("name") {
                    diags.push(Diagnostic::new(
                        join_path(&path, "name"),
                        v.pos(),
                        format!(
                            "duplicate service instance name {} (also used by instances[{first}])",
                            quote_short(&name)
                        ),
                    ));
                }
            } else {
                names.insert(name.clone(), i);
            }
        }
        let (inputs, inputs_pos) = match item.entry("spec") {
            None => (None, item.pos()),
            Some((k, v)) => {
                if !v.is_null() && v.as_map().is_none() {
                    diags.push(not_a_mapping(&join_path(&path, "spec"), v));
                }
                (Some(v.clone()), k.pos())
            }
        };
        out.push(InstanceSpec {
            name,
            environment,
            inputs,
            inputs_pos,
            line: item.line,
            col: item.col,
        });
    }
    out
}
