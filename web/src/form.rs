//! Schema-driven input forms, as pure logic (no browser types, so it is unit-tested in
//! headless Chromium and usable natively).
//!
//! A template version's `schema` (the text of its `schema.yaml`) is parsed with
//! [`baryon_model::schema::parse_schema`]; the properties of one of its input types become
//! [`Field`]s (text, number, checkbox, select, or YAML for arrays and objects). The values the
//! user typed are written back as a spec file ([`environment_spec`], [`service_spec`]), which
//! is validated with [`baryon_model::spec::validate_spec`] — the very code the engine runs —
//! and the diagnostics are mapped back onto the fields ([`field_messages`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use baryon_model::diagnostic::Diagnostic;
use baryon_model::schema::{Schema, SchemaType, TemplateSchema, parse_schema};
use baryon_model::shape::{OperationName, OperationShape};
use baryon_model::spec::{Spec, parse_spec};
use baryon_model::yaml::{Node, NodeValue, quote_short};

/// Which of a schema's input types a form is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputSet {
    /// `environment_input_type`: the `spec:` of an `EnvironmentSpec`.
    Environment,
    /// `service_input_type`: each service instance's `spec:`.
    ServiceInstance,
    /// `pipeline_input_type`: a service's `pipeline:`.
    Pipeline,
}

/// How a field is edited.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    /// A one-line text input; the value is written as a quoted string.
    Text,
    /// A number input; `integer` when the schema says `integer`.
    Number {
        /// Whether only integers are accepted.
        integer: bool,
    },
    /// A checkbox; the value is `true` or `false`.
    Boolean,
    /// A select over the schema's `enum`.
    Choice(Vec<Choice>),
    /// Free YAML (arrays, objects and untyped inputs), e.g. `[a, b]`.
    Yaml,
}

/// One option of a [`FieldKind::Choice`].
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// What the user sees.
    pub label: String,
    /// The YAML literal written to the spec (and the form value).
    pub literal: String,
}

/// One input of a template's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The input's name (the key in the spec).
    pub name: String,
    /// `title`, else the name.
    pub label: String,
    /// How it is edited.
    pub kind: FieldKind,
    /// Listed in `required` (and without a default, the user must fill it in).
    pub required: bool,
    /// `description`.
    pub description: Option<String>,
    /// The default as the user would type it (`345600`, `info`, `[]`).
    pub default: Option<String>,
    /// The constraints in words (`pattern ^[a-z]+$ · 3–80 characters`), empty when none.
    pub hint: String,
}

/// The fields of one input type.
#[derive(Debug, Clone, PartialEq)]
pub struct InputForm {
    /// The schema type the inputs follow.
    pub type_name: String,
    /// The type's `description`.
    pub description: Option<String>,
    /// Its properties, in document order.
    pub fields: Vec<Field>,
}

/// Form values by field name: the raw text of text, number and YAML fields, the literal of a
/// choice, `true`/`false` for checkboxes. An empty value leaves the input out of the spec (so
/// its default applies).
pub type Values = BTreeMap<String, String>;

/// The form for `set` of a template version's schema. `Ok(None)` when the schema declares no
/// such input type (a service template without a pipeline); `Err` with the schema's own
/// diagnostics when it cannot be read.
pub fn input_form(schema_yaml: &str, set: InputSet) -> Result<Option<InputForm>, Vec<Diagnostic>> {
    let schema = parse_schema(schema_yaml)?;
    let type_name = match set {
        InputSet::Environment => &schema.environment_input_type,
        InputSet::ServiceInstance => &schema.service_input_type,
        InputSet::Pipeline => &schema.pipeline_input_type,
    };
    let Some(type_name) = type_name.clone() else {
        return Ok(None);
    };
    let Some(root) = schema
        .type_schema(&type_name)
        .and_then(|s| schema.resolve(s))
    else {
        return Ok(None);
    };
    let fields = root
        .properties
        .iter()
        .map(|p| field(&schema, &p.name, &p.schema, root.is_required(&p.name)))
        .collect();
    Ok(Some(InputForm {
        type_name,
        description: root.description.clone(),
        fields,
    }))
}

fn field(schema: &TemplateSchema, name: &str, declared: &Schema, required: bool) -> Field {
    let s = schema.resolve(declared).unwrap_or(declared);
    let kind = if let Some(values) = &s.enum_values {
        FieldKind::Choice(
            values
                .iter()
                .map(|v| Choice {
                    label: display(v),
                    literal: literal_of(v),
                })
                .collect(),
        )
    } else {
        match s.kind {
            Some(SchemaType::String) => FieldKind::Text,
            Some(SchemaType::Number) => FieldKind::Number { integer: false },
            Some(SchemaType::Integer) => FieldKind::Number { integer: true },
            Some(SchemaType::Boolean) => FieldKind::Boolean,
            Some(SchemaType::Array | SchemaType::Object) | None => FieldKind::Yaml,
        }
    };
    let default = s
        .default
        .as_ref()
        .or(declared.default.as_ref())
        .map(|d| match kind {
            FieldKind::Choice(_) => literal_of(d),
            _ => display(d),
        });
    Field {
        name: name.to_owned(),
        label: s
            .title
            .clone()
            .or_else(|| declared.title.clone())
            .unwrap_or_else(|| name.to_owned()),
        kind,
        required,
        description: declared
            .description
            .clone()
            .or_else(|| s.description.clone()),
        default,
        hint: hint(s),
    }
}

/// A YAML node as the user reads and types it: strings bare, everything else as JSON.
fn display(node: &Node) -> String {
    match &node.value {
        NodeValue::String(s) => s.clone(),
        _ => node.to_json().to_string(),
    }
}

/// A YAML node as a one-line YAML literal (JSON is YAML).
fn literal_of(node: &Node) -> String {
    node.to_json().to_string()
}

fn hint(s: &Schema) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &s.pattern {
        parts.push(format!("pattern {p}"));
    }
    match (s.min_length, s.max_length) {
        (Some(a), Some(b)) => parts.push(format!("{a}–{b} characters")),
        (Some(a), None) => parts.push(format!("at least {a} characters")),
        (None, Some(b)) => parts.push(format!("at most {b} characters")),
        (None, None) => {}
    }
    let (lt, gt) = (
        if s.exclusive_minimum { "<" } else { "≤" },
        if s.exclusive_maximum { "<" } else { "≤" },
    );
    match (s.minimum, s.maximum) {
        (Some(a), Some(b)) => parts.push(format!("{a} {lt} n {gt} {b}")),
        (Some(a), None) => parts.push(format!(
            "n {} {a}",
            if s.exclusive_minimum { ">" } else { "≥" }
        )),
        (None, Some(b)) => parts.push(format!("n {gt} {b}")),
        (None, None) => {}
    }
    if let Some(m) = s.multiple_of {
        parts.push(format!("multiple of {m}"));
    }
    match (s.min_items, s.max_items) {
        (Some(a), Some(b)) => parts.push(format!("{a}–{b} items")),
        (Some(a), None) => parts.push(format!("at least {a} items")),
        (None, Some(b)) => parts.push(format!("at most {b} items")),
        (None, None) => {}
    }
    if s.unique_items {
        parts.push("unique items".to_owned());
    }
    parts.join(" · ")
}

impl InputForm {
    /// The values a new form starts with: checkboxes at their default (else unchecked),
    /// everything else empty (defaults are shown as placeholders and applied by validation).
    pub fn initial_values(&self) -> Values {
        let mut values = Values::new();
        for f in &self.fields {
            let v = match f.kind {
                FieldKind::Boolean => f.default.clone().unwrap_or_else(|| "false".to_owned()),
                _ => String::new(),
            };
            values.insert(f.name.clone(), v);
        }
        values
    }

    /// The inputs as YAML mapping lines indented by `indent` spaces; empty when no input has
    /// a value.
    pub fn yaml_lines(&self, values: &Values, indent: usize) -> String {
        let pad = " ".repeat(indent);
        let mut out = String::new();
        for f in &self.fields {
            let Some(raw) = values.get(&f.name) else {
                continue;
            };
            let Some(lit) = value_literal(&f.kind, raw) else {
                continue;
            };
            let key = yaml_key(&f.name);
            if lit.contains('\n') {
                let _ = writeln!(out, "{pad}{key}:");
                for line in lit.lines() {
                    let _ = writeln!(out, "{pad}  {line}");
                }
            } else {
                let _ = writeln!(out, "{pad}{key}: {lit}");
            }
        }
        out
    }
}

impl InputForm {
    /// A form without fields (a version whose schema declares no such inputs).
    pub fn empty() -> Self {
        Self {
            type_name: String::new(),
            description: None,
            fields: Vec::new(),
        }
    }

    /// The values of a spec's inputs mapping as this form edits them (the inverse of
    /// [`InputForm::yaml_lines`]): what is not in `inputs` keeps its initial value. Used to
    /// re-check current inputs against another template version's schema.
    pub fn values_from(&self, inputs: Option<&Node>) -> Values {
        let mut values = self.initial_values();
        let Some(inputs) = inputs else {
            return values;
        };
        for f in &self.fields {
            if let Some(node) = inputs.get(&f.name) {
                let v = match f.kind {
                    FieldKind::Choice(_) => literal_of(node),
                    _ => display(node),
                };
                values.insert(f.name.clone(), v);
            }
        }
        values
    }
}

/// The inputs of a spec: an `EnvironmentSpec`'s `spec:`, or, in a `ServiceSpec`, the `spec:` of
/// the instance named `instance` (its `pipeline:` when `instance` is `None`). `None` when the
/// spec cannot be read or has no such inputs.
pub fn spec_inputs(spec_yaml: &str, instance: Option<&str>) -> Option<Node> {
    match (parse_spec(spec_yaml).ok()?, instance) {
        (Spec::Environment(e), _) => e.inputs,
        (Spec::Service(s), None) => s.pipeline,
        (Spec::Service(s), Some(name)) => s
            .instances
            .into_iter()
            .find(|i| i.name == name)
            .and_then(|i| i.inputs),
    }
}

/// A key written plainly when that is safe, else quoted.
fn yaml_key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !name.starts_with('-')
    {
        name.to_owned()
    } else {
        json_string(name)
    }
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// The YAML literal for a field's raw value, `None` when the input is left out. A number
/// field holding something that is not a number is written as a string, so validation
/// reports the type error where the user sees it.
pub fn value_literal(kind: &FieldKind, raw: &str) -> Option<String> {
    let t = raw.trim();
    match kind {
        FieldKind::Text => (!raw.is_empty()).then(|| json_string(raw)),
        FieldKind::Number { .. } => {
            if t.is_empty() {
                None
            } else if is_plain_number(t) {
                Some(t.to_owned())
            } else {
                Some(json_string(t))
            }
        }
        FieldKind::Boolean => Some(if t == "true" { "true" } else { "false" }.to_owned()),
        FieldKind::Choice(_) | FieldKind::Yaml => (!t.is_empty()).then(|| t.to_owned()),
    }
}

fn is_plain_number(t: &str) -> bool {
    t.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && t.parse::<f64>().is_ok_and(f64::is_finite)
}

/// An `EnvironmentSpec` with the form's values as its `spec:`.
pub fn environment_spec(form: &InputForm, values: &Values) -> String {
    let lines = form.yaml_lines(values, 2);
    if lines.is_empty() {
        "proton: EnvironmentSpec\n".to_owned()
    } else {
        format!("proton: EnvironmentSpec\nspec:\n{lines}")
    }
}

/// `spec` (a `ServiceSpec`) with its top-level `pipeline:` block replaced by `lines` (the
/// pipeline's inputs as [`InputForm::yaml_lines`] writes them at indent 2), or removed when
/// `lines` is empty. Every other block is kept as written — the instances above all, which a
/// pipeline template reads as `service_instances`. A top-level block starts at a line whose
/// first character begins a key (not a space, `-`, `#` or `---`); a missing `pipeline:` is
/// added after the `proton:` line.
pub fn with_pipeline(spec: &str, lines: &str) -> String {
    let top_key = |line: &str| {
        line.chars()
            .next()
            .is_some_and(|c| !matches!(c, ' ' | '\t' | '-' | '#'))
            && line.contains(':')
    };
    let block = if lines.is_empty() {
        String::new()
    } else {
        format!("pipeline:\n{lines}")
    };
    let mut out = String::new();
    let mut in_pipeline = false;
    // Where it goes: in place of the existing block, else after the `proton:` line.
    let after_proton = !spec
        .lines()
        .any(|l| top_key(l) && l.starts_with("pipeline:"));
    let mut placed = false;
    for line in spec.split_inclusive('\n') {
        if top_key(line) {
            in_pipeline = line.starts_with("pipeline:");
            if in_pipeline {
                out.push_str(&block);
                placed = true;
                continue;
            }
        }
        if !in_pipeline {
            out.push_str(line);
            if !out.ends_with('\n') {
                out.push('\n');
            }
            if after_proton && !placed && line.starts_with("proton:") {
                out.push_str(&block);
                placed = true;
            }
        }
    }
    if !placed {
        out.push_str(&block);
    }
    out
}

/// One service instance of a [`service_spec`].
#[derive(Debug, Clone, Copy)]
pub struct InstanceInputs<'a> {
    /// The instance's name.
    pub name: &'a str,
    /// The environment it deploys to.
    pub environment: &'a str,
    /// Its inputs' form.
    pub form: &'a InputForm,
    /// Its inputs' values.
    pub values: &'a Values,
}

/// A `ServiceSpec` with pipeline inputs (when the template has a pipeline) and instances.
pub fn service_spec(
    pipeline: Option<(&InputForm, &Values)>,
    instances: &[InstanceInputs<'_>],
) -> String {
    let mut out = "proton: ServiceSpec\n".to_owned();
    if let Some((form, values)) = pipeline {
        let lines = form.yaml_lines(values, 2);
        if !lines.is_empty() {
            out.push_str("pipeline:\n");
            out.push_str(&lines);
        }
    }
    out.push_str("instances:\n");
    for i in instances {
        let _ = writeln!(out, "  - name: {}", json_string(i.name));
        let _ = writeln!(out, "    environment: {}", json_string(i.environment));
        let lines = i.form.yaml_lines(i.values, 6);
        if !lines.is_empty() {
            out.push_str("    spec:\n");
            out.push_str(&lines);
        }
    }
    out
}

/// Diagnostics sorted onto a form's fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldMessages {
    /// `line:col: message` by field name.
    pub by_field: BTreeMap<String, Vec<String>>,
    /// Messages that belong to no single field of this form.
    pub general: Vec<String>,
}

impl FieldMessages {
    /// The messages of one field (empty when none).
    pub fn of(&self, field: &str) -> &[String] {
        self.by_field.get(field).map_or(&[], Vec::as_slice)
    }

    /// Whether there is no message at all.
    pub fn is_empty(&self) -> bool {
        self.by_field.is_empty() && self.general.is_empty()
    }
}

/// Sorts `diagnostics` of a spec onto the fields of `form`, whose inputs live under `prefix`
/// (`spec`, `pipeline`, `instances[0].spec`). Diagnostics under other prefixes are ignored;
/// those about the inputs as a whole go to [`FieldMessages::general`], except "required input
/// … is missing", which goes to its field.
pub fn field_messages(diagnostics: &[Diagnostic], prefix: &str, form: &InputForm) -> FieldMessages {
    let mut out = FieldMessages::default();
    for d in diagnostics {
        let text = format!("{}:{}: {}", d.line, d.col, d.message);
        let Some(rest) = d.path.strip_prefix(prefix) else {
            if prefix_of_other_form(&d.path) {
                continue;
            }
            out.general.push(text);
            continue;
        };
        let owner = if let Some(rest) = rest.strip_prefix('.') {
            form.fields.iter().find(|f| {
                rest.strip_prefix(f.name.as_str())
                    .is_some_and(|tail| tail.is_empty() || tail.starts_with(['.', '[']))
            })
        } else if rest.is_empty() {
            form.fields.iter().find(|f| {
                d.message == format!("required input {} is missing", quote_short(&f.name))
            })
        } else {
            // `instances[1]…` seen with prefix `instances[10]`: not ours.
            continue;
        };
        match owner {
            Some(f) => out.by_field.entry(f.name.clone()).or_default().push(text),
            None => out.general.push(text),
        }
    }
    out
}

/// Paths that belong to another input form of the same spec.
fn prefix_of_other_form(path: &str) -> bool {
    path == "pipeline"
        || path.starts_with("pipeline.")
        || path.starts_with("instances[")
        || path == "spec"
        || path.starts_with("spec.")
}

/// Checks a request against the API model's constraints (the engine's own validator), by
/// member path: `{"name": "Value at 'name' failed to satisfy constraint: …"}`. Empty when the
/// request is valid.
pub fn request_problems<Op>(input: &Op::Input) -> BTreeMap<String, String>
where
    Op: OperationShape,
    Op::Op: OperationName,
{
    let body = baryon_model::json::ToJson::to_json(input);
    match baryon_model::validate::validate_input(Op::SERVICE, Op::OPERATION.operation_name(), &body)
    {
        Ok(()) => BTreeMap::new(),
        Err(e) => {
            // Inserted one by one: `collect` into a map compiles a sort per iterator type.
            let mut problems = BTreeMap::new();
            for v in &e.violations {
                problems.insert(v.path.clone(), v.to_string());
            }
            problems
        }
    }
}

/// What is wrong with `value` for a Service Catalog provisioning parameter (a CloudFormation
/// template parameter as `DescribeProvisioningParameters` describes it), checked as
/// CloudFormation checks it: a value is needed when there is no default; `AllowedValues`,
/// `MinLength`/`MaxLength`, `Number` with `MinValue`/`MaxValue`, and `AllowedPattern` (the
/// whole value must match; `matches(pattern, value)` runs the pattern, so the browser can use
/// its own regular expressions). When a constraint fails, the template's
/// `ConstraintDescription` is the message if it has one. `None` when the value is fine.
/// `keep_previous`: an empty value keeps the previous one (an update), so it is not missing.
pub fn parameter_problem(
    parameter: &baryon_model::servicecatalog::ProvisioningArtifactParameter,
    value: &str,
    keep_previous: bool,
    matches: impl Fn(&str, &str) -> bool,
) -> Option<String> {
    if value.is_empty() {
        return (!keep_previous && parameter.default_value.is_none())
            .then(|| "Enter a value: this parameter has no default.".to_owned());
    }
    let c = parameter.parameter_constraints.clone().unwrap_or_default();
    let limit = |s: &Option<String>| s.as_deref().and_then(|s| s.trim().parse::<f64>().ok());
    let chars = f64::from(u32::try_from(value.chars().count()).unwrap_or(u32::MAX));
    let number = value.trim().parse::<f64>().ok();
    let problem = if let Some(allowed) = c.allowed_values.as_ref().filter(|a| !a.is_empty())
        && !allowed.iter().any(|a| a == value)
    {
        Some(format!("Choose one of: {}.", allowed.join(", ")))
    } else if let Some(min) = limit(&c.min_length)
        && chars < min
    {
        Some(format!("At least {min} characters."))
    } else if let Some(max) = limit(&c.max_length)
        && chars > max
    {
        Some(format!("At most {max} characters."))
    } else if parameter.parameter_type.as_deref() == Some("Number") && number.is_none() {
        Some("Enter a number.".to_owned())
    } else if let (Some(n), Some(min)) = (number, limit(&c.min_value))
        && n < min
    {
        Some(format!("At least {min}."))
    } else if let (Some(n), Some(max)) = (number, limit(&c.max_value))
        && n > max
    {
        Some(format!("At most {max}."))
    } else if let Some(pattern) = c.allowed_pattern.as_deref()
        && !matches(pattern, value)
    {
        Some(format!("Must match the pattern {pattern}."))
    } else {
        None
    };
    problem.map(|p| c.constraint_description.unwrap_or(p))
}
