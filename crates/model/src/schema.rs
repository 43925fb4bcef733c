//! Proton `schema.yaml`: the OpenAPI 3.0 subset that declares a template's inputs, and the
//! validator that checks spec inputs against it (applying defaults).
//!
//! ```yaml
//! schema:
//!   format:
//!     openapi: "3.0.0"
//!   environment_input_type: "EnvInput"   # environment templates
//!   service_input_type: "SvcInput"       # service templates
//!   pipeline_input_type: "PipelineInput" # optional, service templates
//!   types:
//!     EnvInput:
//!       type: object
//!       properties:
//!         vpc_cidr: {type: string, default: "10.0.0.0/16"}
//!       required: [vpc_cidr]
//! ```
//!
//! Supported keywords: `type` (`string`, `number`, `integer`, `boolean`, `array`, `object`),
//! `properties`, `required`, `default`, `enum`, `pattern` (searched, not anchored, as in JSON
//! Schema), `minimum`/`maximum` with the OpenAPI 3.0 boolean `exclusiveMinimum` /
//! `exclusiveMaximum`, `multipleOf`, `minLength`/`maxLength` (in characters),
//! `minItems`/`maxItems`, `uniqueItems`, `items`, `nullable`, `$ref: "#/types/Name"`, and the
//! metadata `title`, `description`, `format`, `example`, `deprecated`, `readOnly`, `writeOnly`,
//! `externalDocs`, `xml` and `x-*` extensions. Anything else is reported, so a typo in a
//! keyword never silently disables a check. Inputs that an object does not declare in its
//! `properties` are errors.
//!
//! Defaults are applied recursively: an absent property with a `default` takes it (and a
//! default object gets its own properties' defaults). A required property that is absent but
//! has a default is satisfied by the default. Every `default` must itself satisfy its schema.

use std::collections::HashSet;
use std::fmt;

use crate::pattern::Regex;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, index_path, join_path, sort_diagnostics};
use crate::yaml::{self, Node, NodeValue, quote_short};

/// The OpenAPI version Proton schemas must declare.
pub const OPENAPI_VERSION: &str = "3.0.0";

/// How many `$ref` hops are followed before a chain is called a cycle.
const MAX_REF_HOPS: usize = 32;

/// A parsed, checked `schema.yaml`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateSchema {
    /// `schema.format.openapi` (always `3.0.0` once checked).
    pub openapi: String,
    /// The type that environment inputs (`spec:` of an `EnvironmentSpec`) follow.
    pub environment_input_type: Option<String>,
    /// The type that each service instance's inputs follow.
    pub service_input_type: Option<String>,
    /// The type that the service pipeline's inputs follow.
    pub pipeline_input_type: Option<String>,
    /// `schema.types`, in document order.
    pub types: Vec<NamedType>,
}

/// One entry of `schema.types`.
#[derive(Debug, Clone, Serialize)]
pub struct NamedType {
    /// The type's name.
    pub name: String,
    /// Its definition.
    pub schema: Schema,
}

/// The JSON type a schema accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaType {
    /// A string.
    String,
    /// Any number.
    Number,
    /// An integral number.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// A sequence.
    Array,
    /// A mapping.
    Object,
}

impl SchemaType {
    /// All type names, as written in `type:`.
    pub const NAMES: [&'static str; 6] =
        ["string", "number", "integer", "boolean", "array", "object"];

    /// The type named `name` (`string`, `number`, ...).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "string" => Self::String,
            "number" => Self::Number,
            "integer" => Self::Integer,
            "boolean" => Self::Boolean,
            "array" => Self::Array,
            "object" => Self::Object,
            _ => return None,
        })
    }

    /// The name as written in `type:`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::Array => "array",
            Self::Object => "object",
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One schema: a type definition, a property or an array's `items`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    /// `type`; `None` accepts any value (an untyped schema with `properties` is an object).
    #[serde(rename = "type")]
    pub kind: Option<SchemaType>,
    /// The type name of `$ref: "#/types/Name"`; other keywords beside it are ignored, as in
    /// OpenAPI 3.0.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `format` (metadata only).
    pub format: Option<String>,
    /// `properties`, in document order.
    pub properties: Vec<Property>,
    /// `required` property names.
    pub required: Vec<String>,
    /// `default`.
    pub default: Option<Node>,
    /// `enum`.
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<Node>>,
    /// `pattern` (searched, not anchored).
    pub pattern: Option<String>,
    #[serde(skip)]
    regex: Option<Regex>,
    /// `minimum`.
    pub minimum: Option<f64>,
    /// `maximum`.
    pub maximum: Option<f64>,
    /// `exclusiveMinimum` (OpenAPI 3.0: a boolean modifying `minimum`).
    pub exclusive_minimum: bool,
    /// `exclusiveMaximum` (OpenAPI 3.0: a boolean modifying `maximum`).
    pub exclusive_maximum: bool,
    /// `multipleOf`.
    pub multiple_of: Option<f64>,
    /// `minLength`, in characters.
    pub min_length: Option<u64>,
    /// `maxLength`, in characters.
    pub max_length: Option<u64>,
    /// `minItems`.
    pub min_items: Option<u64>,
    /// `maxItems`.
    pub max_items: Option<u64>,
    /// `uniqueItems`.
    pub unique_items: bool,
    /// `items`.
    pub items: Option<Box<Schema>>,
    /// `nullable`.
    pub nullable: bool,
    /// 1-based line where the schema starts in `schema.yaml`.
    pub line: usize,
    /// 1-based column where the schema starts in `schema.yaml`.
    pub col: usize,
}

/// One entry of `properties`.
#[derive(Debug, Clone, Serialize)]
pub struct Property {
    /// The input's name.
    pub name: String,
    /// Its schema.
    pub schema: Schema,
}

impl Schema {
    /// The property named `name`.
    pub fn property(&self, name: &str) -> Option<&Schema> {
        self.properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| &p.schema)
    }

    /// Whether `name` is listed in `required`.
    pub fn is_required(&self, name: &str) -> bool {
        self.required.iter().any(|r| r == name)
    }
}

impl TemplateSchema {
    /// The type named `name` in `schema.types`.
    pub fn type_schema(&self, name: &str) -> Option<&Schema> {
        self.types
            .iter()
            .find(|t| t.name == name)
            .map(|t| &t.schema)
    }

    /// Follows `$ref`s from `schema` to the schema that holds the constraints. `None` for a
    /// dangling reference or a cycle (which a checked schema never has).
    pub fn resolve<'a>(&'a self, mut schema: &'a Schema) -> Option<&'a Schema> {
        for _ in 0..MAX_REF_HOPS {
            match &schema.reference {
                None => return Some(schema),
                Some(name) => schema = self.type_schema(name)?,
            }
        }
        None
    }

    /// Whether the template is an environment template (it declares
    /// `environment_input_type`).
    pub fn is_environment_template(&self) -> bool {
        self.environment_input_type.is_some()
    }

    /// Whether the template is a service template (it declares `service_input_type`).
    pub fn is_service_template(&self) -> bool {
        self.service_input_type.is_some()
    }
}

/// Parses and checks a `schema.yaml`. Every problem is reported, with its position.
pub fn parse_schema(src: &str) -> Result<TemplateSchema, Vec<Diagnostic>> {
    let root = match yaml::parse(src) {
        Ok(root) => root,
        Err(e) => {
            return Err(vec![Diagnostic::new(
                "",
                (e.line, e.col),
                format!("invalid YAML: {}", e.message),
            )]);
        }
    };
    parse_schema_node(&root)
}

/// [`parse_schema`] on an already parsed document.
pub fn parse_schema_node(root: &Node) -> Result<TemplateSchema, Vec<Diagnostic>> {
    let mut p = SchemaParser::default();
    let schema = p.document(root);
    let mut diags = p.diags;
    if let Some(schema) = &schema {
        check_defaults_and_enums(schema, &mut diags);
    }
    sort_diagnostics(&mut diags);
    match schema {
        Some(schema) if diags.is_empty() => Ok(schema),
        _ => Err(diags),
    }
}

#[derive(Default)]
struct SchemaParser {
    diags: Vec<Diagnostic>,
    type_names: HashSet<String>,
}

const METADATA_KEYWORDS: [&str; 6] = [
    "example",
    "deprecated",
    "readOnly",
    "writeOnly",
    "externalDocs",
    "xml",
];
const UNSUPPORTED_KEYWORDS: [&str; 9] = [
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "discriminator",
    "patternProperties",
];

impl SchemaParser {
    fn diag(&mut self, path: impl Into<String>, pos: (usize, usize), message: impl Into<String>) {
        self.diags.push(Diagnostic::new(path, pos, message));
    }

    fn document(&mut self, root: &Node) -> Option<TemplateSchema> {
        let Some(entries) = root.as_map() else {
            self.diag(
                "",
                root.pos(),
                format!(
                    "expected a mapping with a \"schema\" key, found {}",
                    root.describe()
                ),
            );
            return None;
        };
        for (k, _) in entries {
            if k.as_str() != Some("schema") {
                self.diag(
                    k.key_text(),
                    k.pos(),
                    format!(
                        "unknown key {}; schema.yaml has only \"schema\"",
                        quote_key(k)
                    ),
                );
            }
        }
        let Some((schema_key, schema)) = root.entry("schema") else {
            self.diag("", root.pos(), "missing \"schema\"");
            return None;
        };
        // Problems with the `schema` mapping as a whole are reported at its key.
        let schema_pos = schema_key.pos();
        let Some(entries) = schema.as_map() else {
            self.diag(
                "schema",
                schema.pos(),
                format!("expected a mapping, found {}", schema.describe()),
            );
            return None;
        };
        let mut out = TemplateSchema {
            openapi: String::new(),
            environment_input_type: None,
            service_input_type: None,
            pipeline_input_type: None,
            types: Vec::new(),
        };
        // Type names first, so `$ref`s and input types can be checked while parsing.
        let types_node = schema.get("types");
        if let Some(types) = types_node.and_then(Node::as_map) {
            for (k, _) in types {
                if let Some(name) = k.as_str() {
                    self.type_names.insert(name.to_owned());
                }
            }
        }
        let mut input_types = Vec::new();
        for (k, v) in entries {
            let key = k.key_text();
            let path = join_path("schema", &key);
            match k.as_str() {
                Some("format") => {
                    if let Some(openapi) = self.format(k, v, &path) {
                        out.openapi = openapi;
                    }
                }
                Some(
                    which @ ("environment_input_type"
                    | "service_input_type"
                    | "pipeline_input_type"),
                ) => {
                    let Some(name) = v.as_str() else {
                        self.diag(
                            path,
                            v.pos(),
                            format!("expected a type name, found {}", v.describe()),
                        );
                        continue;
                    };
                    input_types.push((path, v.pos(), name.to_owned()));
                    let slot = match which {
                        "environment_input_type" => &mut out.environment_input_type,
                        "service_input_type" => &mut out.service_input_type,
                        _ => &mut out.pipeline_input_type,
                    };
                    *slot = Some(name.to_owned());
                }
                Some("types") => {
                    let Some(types) = v.as_map() else {
                        self.diag(
                            path,
                            v.pos(),
                            format!(
                                "expected a mapping of type names to schemas, found {}",
                                v.describe()
                            ),
                        );
                        continue;
                    };
                    for (tk, tv) in types {
                        let Some(name) = tk.as_str() else {
                            self.diag(
                                join_path(&path, &tk.key_text()),
                                tk.pos(),
                                "type names must be strings",
                            );
                            continue;
                        };
                        let tpath = join_path(&path, name);
                        let schema = self.schema(tv, &tpath);
                        out.types.push(NamedType {
                            name: name.to_owned(),
                            schema,
                        });
                    }
                }
                _ => self.diag(
                    path,
                    k.pos(),
                    format!(
                        "unknown key {}; expected format, environment_input_type, \
                            service_input_type, pipeline_input_type or types",
                        quote_key(k)
                    ),
                ),
            }
        }
        if schema.get("format").is_none() {
            self.diag(
                "schema",
                schema_pos,
                "missing \"format\" (with openapi: \"3.0.0\")",
            );
        }
        if types_node.is_none() {
            self.diag("schema", schema_pos, "missing \"types\"");
        }
        if out.environment_input_type.is_none() && out.service_input_type.is_none() {
            self.diag(
                "schema",
                schema_pos,
                "missing an input type: environment templates declare \
                    environment_input_type, service templates service_input_type",
            );
        }
        if out.environment_input_type.is_some()
            && out.service_input_type.is_some()
            && let Some((k, _)) = schema.entry("service_input_type")
        {
            self.diag(
                "schema.service_input_type",
                k.pos(),
                "a schema declares either environment_input_type \
                    (environment template) or service_input_type (service \
                    template), not both",
            );
        }
        if out.pipeline_input_type.is_some()
            && out.service_input_type.is_none()
            && let Some((k, _)) = schema.entry("pipeline_input_type")
        {
            self.diag(
                "schema.pipeline_input_type",
                k.pos(),
                "pipeline_input_type is only for service templates (with service_input_type)",
            );
        }
        // Input types must name object types.
        for (path, pos, name) in input_types {
            if !self.type_names.contains(&name) {
                self.diag(
                    path,
                    pos,
                    format!("type {} is not defined in schema.types", quote_short(&name)),
                );
                continue;
            }
            let resolved = out.type_schema(&name).and_then(|t| out.resolve(t));
            if let Some(schema) = resolved
                && schema.kind != Some(SchemaType::Object)
            {
                self.diag(
                    path,
                    pos,
                    format!(
                        "input type {} must be an object type (type: object)",
                        quote_short(&name)
                    ),
                );
            }
        }
        // `$ref` cycles.
        for t in &out.types {
            if t.schema.reference.is_some() && out.resolve(&t.schema).is_none() {
                self.diags.push(Diagnostic::new(
                    format!("schema.types.{}", t.name),
                    (t.schema.line, t.schema.col),
                    "$ref chain never reaches a type definition (it is a cycle)",
                ));
            }
        }
        Some(out)
    }

    fn format(&mut self, k: &Node, v: &Node, path: &str) -> Option<String> {
        if v.as_map().is_none() {
            self.diag(
                path,
                v.pos(),
                format!(
                    "expected a mapping with openapi: \"3.0.0\", found {}",
                    v.describe()
                ),
            );
            return None;
        }
        let Some(openapi) = v.get("openapi") else {
            self.diag(path, k.pos(), "missing \"openapi\" (must be \"3.0.0\")");
            return None;
        };
        let text = match &openapi.value {
            NodeValue::String(s) => s.clone(),
            _ => openapi.key_text(),
        };
        if text != OPENAPI_VERSION {
            self.diag(
                join_path(path, "openapi"),
                openapi.pos(),
                format!(
                    "openapi must be \"{OPENAPI_VERSION}\", found {}",
                    openapi.describe()
                ),
            );
            return None;
        }
        Some(text)
    }

    fn schema(&mut self, node: &Node, path: &str) -> Schema {
        let mut s = Schema {
            line: node.line,
            col: node.col,
            ..Schema::default()
        };
        let Some(entries) = node.as_map() else {
            self.diag(
                path,
                node.pos(),
                format!("expected a schema (a mapping), found {}", node.describe()),
            );
            return s;
        };
        let mut required_nodes: Vec<&Node> = Vec::new();
        for (k, v) in entries {
            let Some(key) = k.as_str() else {
                self.diag(
                    join_path(path, &k.key_text()),
                    k.pos(),
                    "schema keywords must be strings",
                );
                continue;
            };
            let kpath = join_path(path, key);
            match key {
                "type" => match v.as_str().map(|t| (t, SchemaType::from_name(t))) {
                    Some((_, Some(t))) => s.kind = Some(t),
                    Some((t, None)) => self.diag(
                        kpath,
                        v.pos(),
                        format!(
                            "unknown type {}; expected one of: {}",
                            quote_short(t),
                            SchemaType::NAMES.join(", ")
                        ),
                    ),
                    None => self.diag(
                        kpath,
                        v.pos(),
                        format!("expected a type name, found {}", v.describe()),
                    ),
                },
                "$ref" => {
                    let Some(r) = v.as_str() else {
                        self.diag(
                            kpath,
                            v.pos(),
                            format!("expected \"#/types/Name\", found {}", v.describe()),
                        );
                        continue;
                    };
                    match r.strip_prefix("#/types/") {
                        Some(name) if self.type_names.contains(name) => {
                            s.reference = Some(name.to_owned());
                        }
                        Some(name) => self.diag(
                            kpath,
                            v.pos(),
                            format!(
                                "$ref {} names no type in schema.types (no type {})",
                                quote_short(r),
                                quote_short(name)
                            ),
                        ),
                        None => self.diag(
                            kpath,
                            v.pos(),
                            format!(
                                "$ref must have the form \"#/types/Name\", found {}",
                                quote_short(r)
                            ),
                        ),
                    }
                }
                "title" => s.title = self.string(v, &kpath),
                "description" => s.description = self.string(v, &kpath),
                "format" => s.format = self.string(v, &kpath),
                "properties" => {
                    let Some(props) = v.as_map() else {
                        self.diag(
                            kpath,
                            v.pos(),
                            format!(
                                "expected a mapping of input names to schemas, found {}",
                                v.describe()
                            ),
                        );
                        continue;
                    };
                    for (pk, pv) in props {
                        let Some(name) = pk.as_str() else {
                            self.diag(
                                join_path(&kpath, &pk.key_text()),
                                pk.pos(),
                                "property names must be strings",
                            );
                            continue;
                        };
                        let schema = self.schema(pv, &join_path(&kpath, name));
                        s.properties.push(Property {
                            name: name.to_owned(),
                            schema,
                        });
                    }
                }
                "required" => {
                    let Some(items) = v.as_seq() else {
                        self.diag(
                            kpath,
                            v.pos(),
                            format!("expected a list of property names, found {}", v.describe()),
                        );
                        continue;
                    };
                    for (i, item) in items.iter().enumerate() {
                        match item.as_str() {
                            Some(name) => {
                                s.required.push(name.to_owned());
                                required_nodes.push(item);
                            }
                            None => self.diag(
                                index_path(&kpath, i),
                                item.pos(),
                                format!("expected a property name, found {}", item.describe()),
                            ),
                        }
                    }
                }
                "default" => s.default = Some(v.clone()),
                "enum" => match v.as_seq() {
                    Some(items) if !items.is_empty() => s.enum_values = Some(items.to_vec()),
                    _ => self.diag(
                        kpath,
                        v.pos(),
                        format!(
                            "expected a non-empty list of values, found {}",
                            v.describe()
                        ),
                    ),
                },
                "pattern" => {
                    let Some(p) = v.as_str() else {
                        self.diag(
                            kpath,
                            v.pos(),
                            format!("expected a regular expression, found {}", v.describe()),
                        );
                        continue;
                    };
                    match Regex::new(p) {
                        Ok(re) => {
                            s.pattern = Some(p.to_owned());
                            s.regex = Some(re);
                        }
                        Err(e) => self.diag(
                            kpath,
                            v.pos(),
                            format!("invalid pattern {}: {e}", quote_short(p)),
                        ),
                    }
                }
                "minimum" => s.minimum = self.number(v, &kpath),
                "maximum" => s.maximum = self.number(v, &kpath),
                "multipleOf" => {
                    s.multiple_of = self.number(v, &kpath);
                    if s.multiple_of.is_some_and(|m| m <= 0.0) {
                        s.multiple_of = None;
                        self.diag(kpath, v.pos(), "multipleOf must be greater than 0");
                    }
                }
                "exclusiveMinimum" => {
                    s.exclusive_minimum = self.boolean(v, &kpath).unwrap_or(false);
                }
                "exclusiveMaximum" => {
                    s.exclusive_maximum = self.boolean(v, &kpath).unwrap_or(false);
                }
                "minLength" => s.min_length = self.count(v, &kpath),
                "maxLength" => s.max_length = self.count(v, &kpath),
                "minItems" => s.min_items = self.count(v, &kpath),
                "maxItems" => s.max_items = self.count(v, &kpath),
                "uniqueItems" => s.unique_items = self.boolean(v, &kpath).unwrap_or(false),
                "nullable" => s.nullable = self.boolean(v, &kpath).unwrap_or(false),
                "items" => s.items = Some(Box::new(self.schema(v, &kpath))),
                k if METADATA_KEYWORDS.contains(&k) || k.starts_with("x-") => {}
                k if UNSUPPORTED_KEYWORDS.contains(&k) => {
                    self.diag(
                        kpath,
                        k_pos(entries, k),
                        format!("{k} is not supported in Proton schemas"),
                    );
                }
                k => self.diag(
                    kpath,
                    k_pos(entries, k),
                    format!("unknown schema keyword {}", quote_short(k)),
                ),
            }
        }
        if s.kind.is_none()
            && s.reference.is_none()
            && (!s.properties.is_empty() || !s.required.is_empty())
        {
            s.kind = Some(SchemaType::Object);
        }
        if s.kind == Some(SchemaType::Object) || s.kind.is_none() {
            for node in required_nodes {
                if let Some(name) = node.as_str()
                    && s.property(name).is_none()
                {
                    self.diag(
                        join_path(path, "required"),
                        node.pos(),
                        format!(
                            "required input {} is not defined in properties",
                            quote_short(name)
                        ),
                    );
                }
            }
        }
        if let (Some(kind), false) = (s.kind, s.properties.is_empty())
            && kind != SchemaType::Object
            && let Some((k, _)) = node.entry("properties")
        {
            self.diag(
                join_path(path, "properties"),
                k.pos(),
                format!("properties only apply to type object, not {kind}"),
            );
        }
        s
    }

    fn string(&mut self, v: &Node, path: &str) -> Option<String> {
        if let Some(s) = v.as_str() {
            return Some(s.to_owned());
        }
        self.diag(
            path,
            v.pos(),
            format!("expected a string, found {}", v.describe()),
        );
        None
    }

    fn number(&mut self, v: &Node, path: &str) -> Option<f64> {
        match v.as_f64() {
            Some(f) if f.is_finite() => Some(f),
            _ => {
                self.diag(
                    path,
                    v.pos(),
                    format!("expected a finite number, found {}", v.describe()),
                );
                None
            }
        }
    }

    fn boolean(&mut self, v: &Node, path: &str) -> Option<bool> {
        if let Some(b) = v.as_bool() {
            return Some(b);
        }
        self.diag(
            path,
            v.pos(),
            format!("expected true or false, found {}", v.describe()),
        );
        None
    }

    fn count(&mut self, v: &Node, path: &str) -> Option<u64> {
        let n = v.as_i64().and_then(|i| u64::try_from(i).ok());
        if n.is_none() {
            self.diag(
                path,
                v.pos(),
                format!("expected a non-negative integer, found {}", v.describe()),
            );
        }
        n
    }
}

fn k_pos(entries: &[(Node, Node)], key: &str) -> (usize, usize) {
    entries
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map_or((1, 1), |(k, _)| k.pos())
}

fn quote_key(k: &Node) -> String {
    quote_short(&k.key_text())
}

/// Checks every `default` against its own schema and every `enum` value against the type.
fn check_defaults_and_enums(schema: &TemplateSchema, diags: &mut Vec<Diagnostic>) {
    fn walk(root: &TemplateSchema, s: &Schema, path: &str, diags: &mut Vec<Diagnostic>) {
        if let Some(values) = &s.enum_values
            && let (Some(kind), None) = (s.kind, &s.reference)
        {
            for (i, v) in values.iter().enumerate() {
                if !(type_matches(kind, v) || v.is_null() && s.nullable) {
                    diags.push(Diagnostic::new(
                        index_path(&join_path(path, "enum"), i),
                        v.pos(),
                        format!("enum value {} is not of type {kind}", v.describe()),
                    ));
                }
            }
        }
        if let Some(default) = &s.default {
            let mut v = Validator {
                schema: root,
                diags: Vec::new(),
            };
            v.value(s, default, &join_path(path, "default"), default.pos());
            diags.extend(v.diags.into_iter().map(|mut d| {
                d.message = format!("default does not match its schema: {}", d.message);
                d
            }));
        }
        for p in &s.properties {
            walk(
                root,
                &p.schema,
                &join_path(&join_path(path, "properties"), &p.name),
                diags,
            );
        }
        if let Some(items) = &s.items {
            walk(root, items, &join_path(path, "items"), diags);
        }
    }
    for t in &schema.types {
        walk(
            schema,
            &t.schema,
            &format!("schema.types.{}", t.name),
            diags,
        );
    }
}

fn type_matches(kind: SchemaType, node: &Node) -> bool {
    match (kind, &node.value) {
        (SchemaType::String, NodeValue::String(_))
        | (SchemaType::Number, NodeValue::Int(_) | NodeValue::Float(_))
        | (SchemaType::Integer, NodeValue::Int(_))
        | (SchemaType::Boolean, NodeValue::Bool(_))
        | (SchemaType::Array, NodeValue::Seq(_))
        | (SchemaType::Object, NodeValue::Map(_)) => true,
        (SchemaType::Integer, NodeValue::Float(f)) => f.is_finite() && f.fract() == 0.0,
        _ => false,
    }
}

/// Validates one inputs mapping (`spec:`, `pipeline:` or an instance's `spec:`) against the
/// object type `type_name` of `schema`.
///
/// `node` is the mapping (`None` or a null node when the section is absent or empty);
/// `base_path` is its dotted path (`spec`, `pipeline`, `instances[0].spec`); `parent_pos` is
/// where problems with the mapping as a whole are reported (the position of its key, or of the
/// document when it is absent), such as a missing required input.
///
/// Returns the inputs as JSON with defaults applied recursively (invalid values left out), and
/// the diagnostics sorted by position.
pub fn validate_inputs(
    schema: &TemplateSchema,
    type_name: &str,
    node: Option<&Node>,
    base_path: &str,
    parent_pos: (usize, usize),
) -> (Value, Vec<Diagnostic>) {
    let mut v = Validator {
        schema,
        diags: Vec::new(),
    };
    let Some(type_schema) = schema
        .type_schema(type_name)
        .and_then(|s| schema.resolve(s))
    else {
        v.diags.push(Diagnostic::new(
            base_path,
            parent_pos,
            format!(
                "input type {} is not defined in the schema",
                quote_short(type_name)
            ),
        ));
        return (Value::Null, v.diags);
    };
    let value = match node {
        Some(n) if !n.is_null() => {
            if n.as_map().is_some() {
                Value::Object(v.object(
                    type_schema,
                    n.as_map().unwrap_or(&[]),
                    base_path,
                    parent_pos,
                ))
            } else {
                v.diags.push(Diagnostic::new(
                    base_path,
                    n.pos(),
                    format!("expected a mapping of inputs, found {}", n.describe()),
                ));
                Value::Null
            }
        }
        _ => Value::Object(v.object(type_schema, &[], base_path, parent_pos)),
    };
    let mut diags = v.diags;
    sort_diagnostics(&mut diags);
    (value, diags)
}

struct Validator<'a> {
    schema: &'a TemplateSchema,
    diags: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn diag(&mut self, path: &str, pos: (usize, usize), message: String) {
        self.diags.push(Diagnostic::new(path, pos, message));
    }

    /// Validates `node` against `s`; `key_pos` is where the node's key is (for problems with
    /// an object as a whole). Returns the value with defaults applied, or `None` when the node
    /// itself is invalid.
    fn value(
        &mut self,
        s: &Schema,
        node: &Node,
        path: &str,
        key_pos: (usize, usize),
    ) -> Option<Value> {
        let Some(s) = self.schema.resolve(s) else {
            return Some(node.to_json());
        };
        if node.is_null() && (s.nullable || s.kind.is_none()) {
            return Some(Value::Null);
        }
        if let Some(kind) = s.kind
            && !type_matches(kind, node)
        {
            self.diag(
                path,
                node.pos(),
                format!("expected {kind}, found {}", node.describe()),
            );
            return None;
        }
        // Checks of the node itself first: when one fails, the node is left out of the inputs.
        let before = self.diags.len();
        match &node.value {
            NodeValue::String(text) => self.string_checks(s, text, node, path),
            NodeValue::Int(_) | NodeValue::Float(_) => self.number_checks(s, node, path),
            NodeValue::Seq(items) if s.kind == Some(SchemaType::Array) => {
                self.item_count_checks(s, items.len(), node, path);
            }
            _ => {}
        }
        if let Some(allowed) = &s.enum_values {
            let key = json_key(&node.to_json());
            if !allowed.iter().any(|a| json_key(&a.to_json()) == key) {
                let list: Vec<String> = allowed.iter().map(show).collect();
                self.diag(
                    path,
                    node.pos(),
                    format!("must be one of: {}", list.join(", ")),
                );
            }
        }
        let own_errors = self.diags.len() > before;
        // Then its members, which report their own problems.
        let value = match (s.kind, &node.value) {
            (Some(SchemaType::Object), NodeValue::Map(entries)) => {
                Value::Object(self.object(s, entries, path, key_pos))
            }
            (Some(SchemaType::Array), NodeValue::Seq(items)) => {
                Value::Array(self.array(s, items, path))
            }
            _ => node.to_json(),
        };
        if own_errors { None } else { Some(value) }
    }

    fn string_checks(&mut self, s: &Schema, text: &str, node: &Node, path: &str) {
        let len = text.chars().count() as u64;
        if let Some(min) = s.min_length
            && len < min
        {
            self.diag(
                path,
                node.pos(),
                format!("must be at least {min} character{} long", plural(min)),
            );
        }
        if let Some(max) = s.max_length
            && len > max
        {
            self.diag(
                path,
                node.pos(),
                format!("must be at most {max} character{} long", plural(max)),
            );
        }
        if let (Some(re), Some(pattern)) = (&s.regex, &s.pattern)
            && !re.is_match(text)
        {
            self.diag(
                path,
                node.pos(),
                format!(
                    "{} does not match pattern {}",
                    quote_short(text),
                    quote_short(pattern)
                ),
            );
        }
    }

    fn number_checks(&mut self, s: &Schema, node: &Node, path: &str) {
        let Some(n) = node.as_f64() else { return };
        if !n.is_finite() {
            self.diag(
                path,
                node.pos(),
                format!("expected a finite number, found {}", node.describe()),
            );
            return;
        }
        if let Some(min) = s.minimum {
            if s.exclusive_minimum && n <= min {
                self.diag(path, node.pos(), format!("must be > {}", fmt_num(min)));
            } else if n < min {
                self.diag(path, node.pos(), format!("must be >= {}", fmt_num(min)));
            }
        }
        if let Some(max) = s.maximum {
            if s.exclusive_maximum && n >= max {
                self.diag(path, node.pos(), format!("must be < {}", fmt_num(max)));
            } else if n > max {
                self.diag(path, node.pos(), format!("must be <= {}", fmt_num(max)));
            }
        }
        if let Some(m) = s.multiple_of {
            let q = n / m;
            if (q - q.round()).abs() > 1e-9 {
                self.diag(
                    path,
                    node.pos(),
                    format!("must be a multiple of {}", fmt_num(m)),
                );
            }
        }
    }

    fn array(&mut self, s: &Schema, items: &[Node], path: &str) -> Vec<Value> {
        let mut out = Vec::with_capacity(items.len());
        let mut seen: Vec<(String, usize)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let ipath = index_path(path, i);
            if s.unique_items {
                let key = json_key(&item.to_json());
                if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                    self.diag(
                        &ipath,
                        item.pos(),
                        format!("duplicate of item [{first}]; items must be unique"),
                    );
                } else {
                    seen.push((key, i));
                }
            }
            let value = match &s.items {
                Some(item_schema) => self.value(item_schema, item, &ipath, item.pos()),
                None => Some(item.to_json()),
            };
            if let Some(value) = value {
                out.push(value);
            }
        }
        out
    }

    fn item_count_checks(&mut self, s: &Schema, count: usize, node: &Node, path: &str) {
        let count = count as u64;
        if let Some(min) = s.min_items
            && count < min
        {
            self.diag(
                path,
                node.pos(),
                format!("must have at least {min} item{}", plural(min)),
            );
        }
        if let Some(max) = s.max_items
            && count > max
        {
            self.diag(
                path,
                node.pos(),
                format!("must have at most {max} item{}", plural(max)),
            );
        }
    }

    fn object(
        &mut self,
        s: &Schema,
        entries: &[(Node, Node)],
        path: &str,
        key_pos: (usize, usize),
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for (k, v) in entries {
            let Some(name) = k.as_str() else {
                self.diag(
                    &join_path(path, &k.key_text()),
                    k.pos(),
                    format!("input names must be strings, found {}", k.describe()),
                );
                continue;
            };
            let ipath = join_path(path, name);
            match s.property(name) {
                None => {
                    let hint = suggestion(name, s.properties.iter().map(|p| p.name.as_str()))
                        .map(|n| format!(" (did you mean {}?)", quote_short(n)))
                        .unwrap_or_default();
                    self.diag(
                        &ipath,
                        k.pos(),
                        format!(
                            "input {} is not defined in the schema{hint}",
                            quote_short(name)
                        ),
                    );
                }
                Some(ps) => {
                    if let Some(value) = self.value(ps, v, &ipath, k.pos()) {
                        out.insert(name.to_owned(), value);
                    }
                }
            }
        }
        for p in &s.properties {
            if entries
                .iter()
                .any(|(k, _)| k.as_str() == Some(p.name.as_str()))
            {
                continue;
            }
            let default = p.schema.default.as_ref().or_else(|| {
                self.schema
                    .resolve(&p.schema)
                    .and_then(|r| r.default.as_ref())
            });
            if let Some(default) = default {
                // Defaults were checked with the schema; validate again only to fill in nested
                // defaults, discarding any diagnostics (they point into schema.yaml).
                let mut quiet = Validator {
                    schema: self.schema,
                    diags: Vec::new(),
                };
                let value =
                    quiet.value(&p.schema, default, &join_path(path, &p.name), default.pos());
                out.insert(p.name.clone(), value.unwrap_or_else(|| default.to_json()));
            } else if s.is_required(&p.name) {
                self.diag(
                    path,
                    key_pos,
                    format!("required input {} is missing", quote_short(&p.name)),
                );
            }
        }
        out
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A value for a message: strings quoted, other values as JSON.
fn show(node: &Node) -> String {
    match node.as_str() {
        Some(s) => quote_short(s),
        None => node.to_json().to_string(),
    }
}

/// A number for a message: integral values without a fractional part.
#[allow(clippy::cast_possible_truncation)]
fn fmt_num(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// A canonical text for a JSON value in which equal numbers (`80` and `80.0`) are equal.
fn json_key(v: &Value) -> String {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => n.as_f64().map_or_else(|| n.to_string(), fmt_num),
        },
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(json_key).collect::<Vec<_>>().join(",")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), json_key(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

/// The closest name within a small edit distance, for "did you mean" hints.
fn suggestion<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 4).clamp(1, 3);
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
