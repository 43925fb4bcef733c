//! Request validation against the generated constraint tables, producing violations and
//! messages the way AWS (Coral) writes a `ValidationException`:
//!
//! `1 validation error detected: Value at 'name' failed to satisfy constraint: Member must
//! satisfy regular expression pattern: ^[0-9A-Za-z]+[0-9A-Za-z_\-]*$`
//!
//! The walker works on the decoded JSON value, before typed deserialization, so that a
//! missing required member is reported as AWS reports it instead of as a serde error, and so
//! that the same code validates requests in the engine and in the browser.

use std::fmt;

use serde_json::Value;

use crate::shape::{ServiceDef, ShapeId, ShapeKind};

/// What is wrong with one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViolationKind {
    /// A required member is absent or `null`.
    Null,
    /// The JSON type is wrong (AWS answers these with a `SerializationException`).
    Type {
        /// What the model expects.
        expected: &'static str,
        /// What was sent.
        found: &'static str,
    },
    /// Fewer characters (or list items, or map entries) than allowed.
    MinLength(i64),
    /// More characters (or list items, or map entries) than allowed.
    MaxLength(i64),
    /// A number below the minimum.
    MinValue(i64),
    /// A number above the maximum.
    MaxValue(i64),
    /// A string that does not match the pattern (the model's own text).
    Pattern(&'static str),
    /// A string outside the enum.
    Enum(&'static [&'static str]),
    /// A union with zero or several members set.
    Union,
}

/// One violation at one path (`tags.1.member.key` style, as AWS writes paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Path of the offending member.
    pub path: String,
    /// What is wrong.
    pub kind: ViolationKind,
}

impl Violation {
    /// Whether this is a wire-type problem (AWS: `SerializationException`) rather than a
    /// constraint violation (AWS: `ValidationException`).
    pub fn is_serialization(&self) -> bool {
        matches!(self.kind, ViolationKind::Type { .. })
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match &self.kind {
            ViolationKind::Null => {
                return write!(
                    f,
                    "Value null at '{path}' failed to satisfy constraint: Member must not be null"
                );
            }
            ViolationKind::Type { expected, found } => {
                return if path.is_empty() {
                    write!(f, "Expected {expected} as the request body, found {found}")
                } else {
                    write!(f, "Expected {expected} at '{path}', found {found}")
                };
            }
            _ => {}
        }
        write!(f, "Value at '{path}' failed to satisfy constraint: ")?;
        match &self.kind {
            ViolationKind::MinLength(n) => {
                write!(f, "Member must have length greater than or equal to {n}")
            }
            ViolationKind::MaxLength(n) => {
                write!(f, "Member must have length less than or equal to {n}")
            }
            ViolationKind::MinValue(n) => {
                write!(f, "Member must have value greater than or equal to {n}")
            }
            ViolationKind::MaxValue(n) => {
                write!(f, "Member must have value less than or equal to {n}")
            }
            ViolationKind::Pattern(p) => {
                write!(f, "Member must satisfy regular expression pattern: {p}")
            }
            ViolationKind::Enum(values) => {
                write!(
                    f,
                    "Member must satisfy enum value set: [{}]",
                    values.join(", ")
                )
            }
            ViolationKind::Union => write!(f, "Union must have exactly one member set"),
            ViolationKind::Null | ViolationKind::Type { .. } => Ok(()),
        }
    }
}

/// All violations of one request, rendered as AWS renders them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors {
    /// Every violation, in model member order.
    pub violations: Vec<Violation>,
}

impl ValidationErrors {
    /// Whether any violation is a wire-type problem (`SerializationException`).
    pub fn is_serialization(&self) -> bool {
        self.violations.iter().any(Violation::is_serialization)
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v) = self.violations.iter().find(|v| v.is_serialization()) {
            return write!(f, "{v}");
        }
        let n = self.violations.len();
        write!(
            f,
            "{n} validation error{} detected: ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

/// Validates a request body for `operation` of `service`. An operation without an input
/// shape accepts any object.
pub fn validate_input(
    service: &ServiceDef,
    operation: &str,
    body: &Value,
) -> Result<(), ValidationErrors> {
    let Some(op) = service.operation(operation) else {
        return Ok(());
    };
    let violations = match op.input {
        Some(id) => validate_value(service, id, body),
        None if body.is_object() => Vec::new(),
        None => vec![Violation {
            path: String::new(),
            kind: ViolationKind::Type {
                expected: "an object",
                found: json_type(body),
            },
        }],
    };
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors { violations })
    }
}

/// Validates `value` against shape `id`; the root must be a structure.
pub fn validate_value(service: &ServiceDef, id: ShapeId, value: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut path = String::new();
    walk(service, id, value, &mut path, &mut out);
    out
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn type_error(path: &str, expected: &'static str, v: &Value, out: &mut Vec<Violation>) {
    out.push(Violation {
        path: path.to_owned(),
        kind: ViolationKind::Type {
            expected,
            found: json_type(v),
        },
    });
}

fn check_len(path: &str, len: usize, min: Option<i64>, max: Option<i64>, out: &mut Vec<Violation>) {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    if let Some(min) = min.filter(|m| len < *m) {
        out.push(Violation {
            path: path.to_owned(),
            kind: ViolationKind::MinLength(min),
        });
    }
    if let Some(max) = max.filter(|m| len > *m) {
        out.push(Violation {
            path: path.to_owned(),
            kind: ViolationKind::MaxLength(max),
        });
    }
}

fn push_segment(path: &mut String, seg: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(seg);
    len
}

fn walk(
    service: &ServiceDef,
    id: ShapeId,
    value: &Value,
    path: &mut String,
    out: &mut Vec<Violation>,
) {
    let Some(shape) = service.shapes.get(id) else {
        return;
    };
    match &shape.kind {
        ShapeKind::Structure { members, union, .. } => {
            let Value::Object(map) = value else {
                return type_error(path, "an object", value, out);
            };
            let mut set = 0;
            for m in *members {
                let child = map.get(m.name).filter(|v| !v.is_null());
                let mark = push_segment(path, m.name);
                match child {
                    Some(v) => {
                        set += 1;
                        walk(service, m.shape, v, path, out);
                    }
                    None if m.required => {
                        out.push(Violation {
                            path: path.clone(),
                            kind: ViolationKind::Null,
                        });
                    }
                    None => {}
                }
                path.truncate(mark);
            }
            if *union && set != 1 {
                out.push(Violation {
                    path: path.clone(),
                    kind: ViolationKind::Union,
                });
            }
        }
        ShapeKind::String {
            min,
            max,
            pattern,
            enum_values,
        } => {
            let Value::String(s) = value else {
                return type_error(path, "a string", value, out);
            };
            // Java (and so AWS) counts UTF-16 code units.
            check_len(path, s.encode_utf16().count(), *min, *max, out);
            if let Some(p) = pattern
                && !p.is_match(s)
            {
                out.push(Violation {
                    path: path.clone(),
                    kind: ViolationKind::Pattern(p.source),
                });
            }
            if !enum_values.is_empty() && !enum_values.contains(&s.as_str()) {
                out.push(Violation {
                    path: path.clone(),
                    kind: ViolationKind::Enum(enum_values),
                });
            }
        }
        ShapeKind::Integer { min, max } => {
            let Some(n) = value.as_i64() else {
                return type_error(path, "an integer", value, out);
            };
            if let Some(min) = min.filter(|m| n < *m) {
                out.push(Violation {
                    path: path.clone(),
                    kind: ViolationKind::MinValue(min),
                });
            }
            if let Some(max) = max.filter(|m| n > *m) {
                out.push(Violation {
                    path: path.clone(),
                    kind: ViolationKind::MaxValue(max),
                });
            }
        }
        ShapeKind::Float | ShapeKind::Timestamp => {
            if !value.is_number() {
                type_error(path, "a number", value, out);
            }
        }
        ShapeKind::Boolean => {
            if !value.is_boolean() {
                type_error(path, "a boolean", value, out);
            }
        }
        ShapeKind::Blob => {
            if !value.is_string() {
                type_error(path, "a base64 string", value, out);
            }
        }
        ShapeKind::List { member, min, max } => {
            let Value::Array(items) = value else {
                return type_error(path, "a list", value, out);
            };
            check_len(path, items.len(), *min, *max, out);
            for (i, item) in items.iter().enumerate() {
                let mark = push_segment(path, &format!("{}.member", i + 1));
                if item.is_null() {
                    out.push(Violation {
                        path: path.clone(),
                        kind: ViolationKind::Null,
                    });
                } else {
                    walk(service, *member, item, path, out);
                }
                path.truncate(mark);
            }
        }
        ShapeKind::Map {
            key,
            value: value_shape,
            min,
            max,
        } => {
            let Value::Object(map) = value else {
                return type_error(path, "an object", value, out);
            };
            check_len(path, map.len(), *min, *max, out);
            for (k, v) in map {
                let mark = push_segment(path, k);
                walk(service, *key, &Value::String(k.clone()), path, out);
                walk(service, *value_shape, v, path, out);
                path.truncate(mark);
            }
        }
    }
}
