//! Decoding the generated shapes from a parsed [`serde_json::Value`] ([`FromJson`]) and
//! encoding them as one ([`ToJson`]).
//!
//! Every generated structure, union and enum implements [`FromJson`] (emitted by
//! `cargo xtask codegen` next to its serde derives) with the same wire rules as its
//! `Deserialize`: required members must be present, an absent or `null` optional member is
//! `None`, unknown members are ignored, an enum keeps a value it does not know in `Unknown`, a
//! union is an object with exactly one member, a timestamp is epoch seconds.
//!
//! Why a second decoder: serde's derive compiles a visitor, a field matcher and a
//! per-container `Option`/`Vec` instantiation for every type, once per input format. In the
//! console, which decodes ~90 operation outputs, that was the largest part of its wasm
//! (docs/benchmarks.md). Here the text is parsed once into a `Value` by serde_json's one
//! untyped visitor, and each type is a short sequence of calls to the small functions below.
//! The engine and every native user keep using serde; unit tests check that both decoders
//! agree on every structure of both services (filled in, partly filled, with wrong members).
//! One deliberate difference: serde's derive also reads a structure from an array,
//! positionally, which no AWS protocol does; here that is an error.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::Timestamp;

/// Why a value is not the shape expected, and where in the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{problem}", Where(path))]
pub struct DecodeError {
    /// Member names and list indexes from the document's root (`environment.outputs[2]`).
    path: String,
    /// What is wrong there.
    problem: String,
}

/// `at <path>: ` before a problem, or nothing at the root.
struct Where<'a>(&'a str);

impl fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "at {}: ", self.0)
        }
    }
}

impl DecodeError {
    fn new(problem: String) -> Self {
        Self {
            path: String::new(),
            problem,
        }
    }

    /// A required member is absent (its name is the path).
    #[inline(never)]
    fn missing() -> Self {
        Self::new("a required member is missing".to_owned())
    }

    /// `expected <what>, found <the value's JSON type>`.
    #[inline(never)]
    fn expected(what: &str, found: &Value) -> Self {
        let kind = match found {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        };
        Self::new(format!("expected {what}, found {kind}"))
    }

    /// The error one level down, under member `key`.
    #[must_use]
    #[inline(never)]
    pub fn at(mut self, key: &str) -> Self {
        self.path = if self.path.is_empty() {
            key.to_owned()
        } else if self.path.starts_with('[') {
            format!("{key}{}", self.path)
        } else {
            format!("{key}.{}", self.path)
        };
        self
    }

    /// The error one level down, at list index `i`.
    #[must_use]
    #[inline(never)]
    fn at_index(mut self, i: usize) -> Self {
        self.path = if self.path.is_empty() || self.path.starts_with('[') {
            format!("[{i}]{}", self.path)
        } else {
            format!("[{i}].{}", self.path)
        };
        self
    }

    /// The path of the value in error (empty: the document itself).
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// A value that can be decoded from a parsed JSON value.
pub trait FromJson: Sized {
    /// Decodes `value`, taking its strings and containers without copying them.
    fn from_json(value: Value) -> Result<Self, DecodeError>;

    /// A stand-in (empty string, zero, first union member…) for a required member that could
    /// not be decoded: the structure is still built, then dropped whole with the first error
    /// (see [`Object::finish`]). Never returned to a caller of `from_json`.
    fn empty() -> Self;
}

/// Parses `text` and decodes it as a `T`.
pub fn from_str<T: FromJson>(text: &str) -> Result<T, DecodeError> {
    T::from_json(parse(text)?)
}

/// `text` as a JSON value.
#[inline(never)]
pub fn parse(text: &str) -> Result<Value, DecodeError> {
    serde_json::from_str(text).map_err(|e| DecodeError::new(e.to_string()))
}

/// The members of a structure being decoded; each is taken out once.
///
/// A member that fails does not return early: its stand-in ([`FromJson::empty`]) takes its
/// place, the first error is kept, and [`Object::finish`] reports it. So a structure's decoder
/// is one call per member, with no clean-up path per member (with `?` after each one, the
/// compiler wrote a different clean-up for each, quadratic in the number of members).
pub struct Object {
    members: Map<String, Value>,
    error: Option<DecodeError>,
}

impl Object {
    /// The members of `value`, which must be an object.
    pub fn new(value: Value) -> Result<Self, DecodeError> {
        match value {
            Value::Object(members) => Ok(Self {
                members,
                error: None,
            }),
            other => Err(DecodeError::expected("an object", &other)),
        }
    }

    /// Member `key`, taken out (not inlined, like every non-generic step here: the generic
    /// ones stay a few instructions each).
    #[inline(never)]
    fn take(&mut self, key: &str) -> Option<Value> {
        self.members.remove(key)
    }

    /// Keeps `error` (under `key`) when it is the first.
    #[inline(never)]
    fn fail(&mut self, key: &str, error: DecodeError) {
        if self.error.is_none() {
            self.error = Some(error.at(key));
        }
    }

    /// The required member `key` (its stand-in after an error).
    pub fn req<T: FromJson>(&mut self, key: &str) -> T {
        let result = match self.take(key) {
            Some(value) => T::from_json(value),
            None => Err(DecodeError::missing()),
        };
        result.unwrap_or_else(|e| {
            self.fail(key, e);
            T::empty()
        })
    }

    /// The optional member `key`: `None` when absent or `null` (or after an error).
    pub fn opt<T: FromJson>(&mut self, key: &str) -> Option<T> {
        match self.take(key) {
            None | Some(Value::Null) => None,
            Some(value) => T::from_json(value).map_or_else(
                |e| {
                    self.fail(key, e);
                    None
                },
                Some,
            ),
        }
    }

    /// The structure decoded, or the first member's error.
    pub fn finish<T>(self, value: T) -> Result<T, DecodeError> {
        match self.error {
            None => Ok(value),
            Some(e) => Err(e),
        }
    }
}

/// A union's one member: its name and value (`{"s3": {...}}` → `("s3", {...})`).
pub fn union(value: Value) -> Result<(String, Value), DecodeError> {
    match value {
        Value::Object(map) if map.len() == 1 => match map.into_iter().next() {
            Some(member) => Ok(member),
            None => Err(DecodeError::new("expected one member".to_owned())),
        },
        Value::Object(_) => Err(DecodeError::new(
            "expected exactly one member of the union".to_owned(),
        )),
        other => Err(DecodeError::expected("an object", &other)),
    }
}

/// The error for a union member this model does not define.
pub fn unknown_member(name: &str, union: &str) -> DecodeError {
    DecodeError::new(format!("`{name}` is not a member of {union}"))
}

impl FromJson for String {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(DecodeError::expected("a string", &other)),
        }
    }

    fn empty() -> Self {
        Self::new()
    }
}

impl FromJson for bool {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        match value {
            Value::Bool(b) => Ok(b),
            other => Err(DecodeError::expected("a boolean", &other)),
        }
    }

    fn empty() -> Self {
        false
    }
}

impl FromJson for i64 {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        match &value {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
        .ok_or_else(|| DecodeError::expected("an integer", &value))
    }

    fn empty() -> Self {
        0
    }
}

impl FromJson for i32 {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        let n = i64::from_json(value)?;
        i32::try_from(n)
            .map_err(|_| DecodeError::new(format!("{n} is out of range for an integer")))
    }

    fn empty() -> Self {
        0
    }
}

impl FromJson for f64 {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        match &value {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
        .ok_or_else(|| DecodeError::expected("a number", &value))
    }

    fn empty() -> Self {
        0.0
    }
}

impl FromJson for Timestamp {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        let secs = f64::from_json(value)?;
        Self::from_epoch_seconds(secs)
            .ok_or_else(|| DecodeError::new("timestamp out of range".to_owned()))
    }

    fn empty() -> Self {
        Self::from_millis(0)
    }
}

/// Calls `f` on each element of an array (`f` pushes the decoded element; the index goes
/// into the error's path). Not generic: the loop is compiled once, not once per element type.
#[inline(never)]
fn each_element(
    value: Value,
    f: &mut dyn FnMut(Value) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    match value {
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                f(item).map_err(|e| e.at_index(i))?;
            }
            Ok(())
        }
        other => Err(DecodeError::expected("an array", &other)),
    }
}

/// Calls `f` on each member of an object (the key goes into the error's path).
#[inline(never)]
fn each_member(
    value: Value,
    f: &mut dyn FnMut(&str, Value) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                f(&key, item).map_err(|e| e.at(&key))?;
            }
            Ok(())
        }
        other => Err(DecodeError::expected("an object", &other)),
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        let mut out = Vec::new();
        each_element(value, &mut |item| {
            out.push(T::from_json(item)?);
            Ok(())
        })?;
        Ok(out)
    }

    fn empty() -> Self {
        Self::new()
    }
}

impl<T: FromJson> FromJson for BTreeMap<String, T> {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        let mut out = BTreeMap::new();
        each_member(value, &mut |key, item| {
            out.insert(key.to_owned(), T::from_json(item)?);
            Ok(())
        })?;
        Ok(out)
    }

    fn empty() -> Self {
        Self::new()
    }
}

impl FromJson for Value {
    fn from_json(value: Value) -> Result<Self, DecodeError> {
        Ok(value)
    }

    fn empty() -> Self {
        Self::Null
    }
}

/// A value that can be encoded as a JSON value — the generated types' `Serialize`, as a
/// `serde_json::Value` built by small out-of-line steps (for the same reason as [`FromJson`]).
/// Members are written as serde writes them (`None` left out), in the `Value`'s key order.
pub trait ToJson {
    /// The value as JSON.
    fn to_json(&self) -> Value;
}

/// The members of a structure being encoded.
pub struct Members(Map<String, Value>);

impl Default for Members {
    fn default() -> Self {
        Self::new()
    }
}

impl Members {
    /// No member yet.
    pub fn new() -> Self {
        Self(Map::new())
    }

    #[inline(never)]
    fn put(&mut self, key: &str, value: Value) {
        self.0.insert(key.to_owned(), value);
    }

    /// A required member.
    pub fn req<T: ToJson>(&mut self, key: &str, value: &T) {
        self.put(key, value.to_json());
    }

    /// An optional member: left out when `None`.
    pub fn opt<T: ToJson>(&mut self, key: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.put(key, v.to_json());
        }
    }

    /// The structure.
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// A union's value: `{key: value}`.
pub fn one_member<T: ToJson>(key: &str, value: &T) -> Value {
    let mut members = Members::new();
    members.req(key, value);
    members.into_value()
}

/// A string value.
#[inline(never)]
pub fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}

impl ToJson for String {
    fn to_json(&self) -> Value {
        string(self)
    }
}

impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl ToJson for i32 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl ToJson for i64 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl ToJson for f64 {
    fn to_json(&self) -> Value {
        // Like serde_json: a non-finite number is `null`.
        serde_json::Number::from_f64(*self).map_or(Value::Null, Value::Number)
    }
}

impl ToJson for Timestamp {
    fn to_json(&self) -> Value {
        // Like its `Serialize`: whole seconds as an integer, else fractional seconds.
        if self.as_millis() % 1000 == 0 {
            Value::from(self.as_millis() / 1000)
        } else {
            self.as_epoch_seconds().to_json()
        }
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}

impl<T: ToJson> ToJson for BTreeMap<String, T> {
    fn to_json(&self) -> Value {
        let mut members = Members::new();
        for (k, v) in self {
            members.req(k, v);
        }
        members.into_value()
    }
}

impl ToJson for Value {
    fn to_json(&self) -> Value {
        self.clone()
    }
}

/// Decodes `value` as a `T` with serde and with [`FromJson`]: `Ok` when both fail, or both
/// give the same value and serde and [`ToJson`] encode it alike.
#[cfg(test)]
pub(crate) fn decodes_alike<T>(value: &Value) -> Result<(), String>
where
    T: FromJson + ToJson + serde::de::DeserializeOwned + serde::Serialize + PartialEq + fmt::Debug,
{
    let by_serde = serde_json::from_value::<T>(value.clone());
    let by_from_json = T::from_json(value.clone());
    match (by_serde, by_from_json) {
        (Ok(a), Ok(b)) if a == b => {
            let (serde, to_json) = (serde_json::to_value(&a), a.to_json());
            match serde {
                Ok(v) if v == to_json => Ok(()),
                other => Err(format!("encoded by serde: {other:?}\nToJson: {to_json}")),
            }
        }
        (Err(_), Err(_)) => Ok(()),
        (a, b) => Err(format!("serde: {a:?}\nFromJson: {b:?}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::shape::{ServiceDef, ShapeKind};
    use crate::{proton, servicecatalog};

    /// How much of a structure a sample fills in.
    #[derive(Clone, Copy, PartialEq)]
    enum Fill {
        /// Every member.
        All,
        /// Required members only.
        Required,
        /// Required members, optional ones `null`.
        Nulls,
    }

    /// A value of shape `id` (nested structures filled the same way, two levels down at most).
    fn sample(service: &ServiceDef, id: usize, fill: Fill, depth: usize) -> Value {
        let shape = &service.shapes[id];
        match &shape.kind {
            ShapeKind::Structure {
                members,
                union: true,
                ..
            } => {
                let m = &members[0];
                json!({ m.name: sample(service, m.shape, fill, depth + 1) })
            }
            ShapeKind::Structure { members, .. } => {
                let mut map = Map::new();
                for m in *members {
                    let value = if m.required || (fill == Fill::All && depth < 3) {
                        sample(service, m.shape, fill, depth + 1)
                    } else if fill == Fill::Nulls {
                        Value::Null
                    } else {
                        continue;
                    };
                    map.insert(m.name.to_owned(), value);
                }
                Value::Object(map)
            }
            ShapeKind::String { enum_values, .. } => {
                json!(enum_values.first().copied().unwrap_or("text"))
            }
            ShapeKind::Integer { .. } => json!(7),
            ShapeKind::Float => json!(1.5),
            ShapeKind::Boolean => json!(true),
            ShapeKind::Timestamp => json!(1_700_000_000.25),
            ShapeKind::Blob => json!("YmFyeW9u"),
            ShapeKind::List { member, .. } => json!([
                sample(service, *member, fill, depth + 1),
                sample(service, *member, fill, depth + 1)
            ]),
            ShapeKind::Map { value, .. } => {
                json!({ "key": sample(service, *value, fill, depth + 1) })
            }
        }
    }

    /// Runs `check` on every structure of both services with each of `values(service, id)`.
    fn every_structure(values: impl Fn(&ServiceDef, usize) -> Vec<Value>) -> usize {
        let mut checked = 0;
        for (service, alike) in [
            (
                &proton::SERVICE,
                proton::decodes_alike as fn(&str, &Value) -> Option<Result<(), String>>,
            ),
            (&servicecatalog::SERVICE, servicecatalog::decodes_alike),
        ] {
            for (id, shape) in service.shapes.iter().enumerate() {
                if !matches!(shape.kind, ShapeKind::Structure { .. }) {
                    continue;
                }
                for value in values(service, id) {
                    match alike(shape.name, &value) {
                        Some(Ok(())) => checked += 1,
                        Some(Err(e)) => panic!("{}: {value}\n{e}", shape.name),
                        None => panic!("{} has no FromJson", shape.name),
                    }
                }
            }
        }
        checked
    }

    #[test]
    fn both_decoders_agree_on_every_structure_filled_in() {
        let n = every_structure(|s, id| {
            vec![
                sample(s, id, Fill::All, 0),
                sample(s, id, Fill::Required, 0),
                sample(s, id, Fill::Nulls, 0),
            ]
        });
        assert!(n > 1000, "{n}");
    }

    #[test]
    fn both_decoders_refuse_a_structure_without_a_required_member() {
        every_structure(|s, id| {
            let ShapeKind::Structure { members, .. } = &s.shapes[id].kind else {
                return Vec::new();
            };
            let full = sample(s, id, Fill::Required, 0);
            members
                .iter()
                .filter(|m| m.required)
                .map(|m| {
                    let mut v = full.clone();
                    if let Some(o) = v.as_object_mut() {
                        o.remove(m.name);
                    }
                    v
                })
                .collect()
        });
    }

    #[test]
    fn both_decoders_refuse_a_member_of_the_wrong_type() {
        every_structure(|s, id| {
            let ShapeKind::Structure { members, .. } = &s.shapes[id].kind else {
                return Vec::new();
            };
            let full = sample(s, id, Fill::All, 0);
            members
                .iter()
                .flat_map(|m| {
                    // Not an array where a structure goes: serde would read it positionally.
                    let structure = matches!(s.shapes[m.shape].kind, ShapeKind::Structure { .. });
                    let array = if structure { json!(2) } else { json!([1]) };
                    [json!({}), json!("text"), json!(3.5), array].map(|wrong| {
                        let mut v = full.clone();
                        if let Some(o) = v.as_object_mut() {
                            o.insert(m.name.to_owned(), wrong);
                        }
                        v
                    })
                })
                .collect()
        });
    }

    #[test]
    fn both_decoders_ignore_unknown_members_and_refuse_non_objects() {
        every_structure(|s, id| {
            let mut v = sample(s, id, Fill::All, 0);
            if let Some(o) = v.as_object_mut() {
                o.insert("notInTheModel".into(), json!({"x": 1}));
            }
            vec![v, json!(null), json!("text"), json!(true)]
        });
    }

    #[test]
    fn an_array_is_not_a_structure() {
        // serde's derive reads a structure from an array positionally; no AWS protocol does.
        let err = proton::Output::from_json(json!(["key", "value"])).unwrap_err();
        assert_eq!(err.to_string(), "expected an object, found an array");
    }

    #[test]
    fn an_enum_value_the_model_does_not_know_is_kept() {
        let status = proton::DeploymentStatus::from_json(json!("NEW_STATUS")).unwrap();
        assert_eq!(
            status,
            proton::DeploymentStatus::Unknown("NEW_STATUS".into())
        );
        assert_eq!(
            proton::DeploymentStatus::from_json(json!("SUCCEEDED")).unwrap(),
            proton::DeploymentStatus::Succeeded
        );
    }

    #[test]
    fn a_union_is_one_member() {
        let source = json!({"s3": {"bucket": "b", "key": "k.tar.gz"}});
        assert_eq!(
            proton::TemplateVersionSourceInput::from_json(source).unwrap(),
            proton::TemplateVersionSourceInput::S3(proton::S3ObjectSource {
                bucket: "b".into(),
                key: "k.tar.gz".into(),
            })
        );
        let two = json!({"s3": {"bucket": "b", "key": "k"}, "other": {}});
        assert_eq!(
            proton::TemplateVersionSourceInput::from_json(two)
                .unwrap_err()
                .to_string(),
            "expected exactly one member of the union"
        );
        let unknown = json!({"git": {}});
        assert_eq!(
            proton::TemplateVersionSourceInput::from_json(unknown)
                .unwrap_err()
                .to_string(),
            "`git` is not a member of TemplateVersionSourceInput"
        );
    }

    #[test]
    fn an_error_names_the_path_to_the_value_in_error() {
        let text = r#"{"tags": [{"key": "a", "value": "b"}, {"key": 5, "value": "c"}]}"#;
        let err = from_str::<proton::ListTagsForResourceOutput>(text).unwrap_err();
        assert_eq!(err.path(), "tags[1].key");
        assert_eq!(
            err.to_string(),
            "at tags[1].key: expected a string, found a number"
        );
        let missing = from_str::<proton::GetEnvironmentOutput>(r#"{"environment": {}}"#)
            .unwrap_err()
            .to_string();
        assert_eq!(missing, "at environment.arn: a required member is missing");
    }

    #[test]
    fn a_text_that_is_not_json_is_refused_with_serde_json_s_message() {
        assert_eq!(
            from_str::<proton::GetEnvironmentOutput>("{")
                .unwrap_err()
                .to_string(),
            "EOF while parsing an object at line 1 column 1"
        );
    }

    #[test]
    fn integers_timestamps_and_maps_decode_as_serde_does() {
        assert_eq!(i32::from_json(json!(7)).unwrap(), 7);
        assert!(i32::from_json(json!(1.0)).is_err());
        assert!(i32::from_json(json!(4_294_967_296_i64)).is_err());
        assert_eq!(
            f64::from_json(json!(2)).unwrap().to_bits(),
            2.0_f64.to_bits()
        );
        assert_eq!(
            Timestamp::from_json(json!(1_700_000_000.123)).unwrap(),
            Timestamp::from_millis(1_700_000_000_123)
        );
        assert!(Timestamp::from_json(json!("2024-01-01T00:00:00Z")).is_err());
        let map = BTreeMap::<String, i64>::from_json(json!({"a": 1, "b": 2})).unwrap();
        assert_eq!(map, BTreeMap::from([("a".into(), 1), ("b".into(), 2)]));
    }
}
