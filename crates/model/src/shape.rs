//! The static description of an API model that generated code fills in and the
//! [`crate::validate`] walker reads: shapes, members, constraints and operations.

use std::sync::OnceLock;

use crate::pattern::Regex;

/// Index of a shape in its service's `SHAPES` table.
pub type ShapeId = usize;

/// A whole service: its shapes and operations.
#[derive(Debug)]
pub struct ServiceDef {
    /// The model's `serviceId` (e.g. `Proton`).
    pub service_id: &'static str,
    /// `X-Amz-Target` prefix (e.g. `AwsProton20200720`).
    pub target_prefix: &'static str,
    /// SigV4 signing name (e.g. `proton`).
    pub signing_name: &'static str,
    /// Every shape, indexed by [`ShapeId`].
    pub shapes: &'static [ShapeDef],
    /// Every operation.
    pub operations: &'static [OperationDef],
}

impl ServiceDef {
    /// Looks up an operation by name.
    pub fn operation(&self, name: &str) -> Option<&'static OperationDef> {
        self.operations.iter().find(|o| o.name == name)
    }

    /// Looks up a shape by name.
    pub fn shape_id(&self, name: &str) -> Option<ShapeId> {
        self.shapes.iter().position(|s| s.name == name)
    }

    /// Every string shape's pattern, with the shape's name.
    pub fn patterns(&self) -> impl Iterator<Item = (&'static str, &'static Pattern)> + use<> {
        let shapes: &'static [ShapeDef] = self.shapes;
        shapes.iter().filter_map(|s| match &s.kind {
            ShapeKind::String {
                pattern: Some(p), ..
            } => Some((s.name, *p)),
            _ => None,
        })
    }
}

/// One operation of a service.
#[derive(Debug)]
pub struct OperationDef {
    /// Operation name (e.g. `CreateService`).
    pub name: &'static str,
    /// Input shape, if any.
    pub input: Option<ShapeId>,
    /// Output shape, if any.
    pub output: Option<ShapeId>,
    /// Names of the error shapes the operation may return.
    pub errors: &'static [&'static str],
    /// Whether the model marks the operation idempotent.
    pub idempotent: bool,
}

/// One shape of a model.
#[derive(Debug)]
pub struct ShapeDef {
    /// Shape name as in the model.
    pub name: &'static str,
    /// Sensitive values are never echoed in messages or `Debug` output.
    pub sensitive: bool,
    /// What the shape is and its constraints.
    pub kind: ShapeKind,
}

/// The kinds of shape the awsJson/CBOR protocols carry.
#[derive(Debug)]
pub enum ShapeKind {
    /// A structure (or union, or error structure).
    Structure {
        /// Members in model order.
        members: &'static [MemberDef],
        /// Exactly one member must be set.
        union: bool,
        /// The shape is an error shape.
        error: bool,
    },
    /// A string, possibly constrained.
    String {
        /// Minimum length in characters.
        min: Option<i64>,
        /// Maximum length in characters.
        max: Option<i64>,
        /// Whole-string pattern.
        pattern: Option<&'static Pattern>,
        /// Allowed values, when an enum.
        enum_values: &'static [&'static str],
    },
    /// An integer or long.
    Integer {
        /// Minimum value.
        min: Option<i64>,
        /// Maximum value.
        max: Option<i64>,
    },
    /// A float or double.
    Float,
    /// A boolean.
    Boolean,
    /// A timestamp (epoch seconds on the awsJson wire).
    Timestamp,
    /// Binary data (base64 on the JSON wire).
    Blob,
    /// A list.
    List {
        /// Element shape.
        member: ShapeId,
        /// Minimum length.
        min: Option<i64>,
        /// Maximum length.
        max: Option<i64>,
    },
    /// A map with string keys.
    Map {
        /// Key shape.
        key: ShapeId,
        /// Value shape.
        value: ShapeId,
        /// Minimum entries.
        min: Option<i64>,
        /// Maximum entries.
        max: Option<i64>,
    },
}

/// A structure member.
#[derive(Debug)]
pub struct MemberDef {
    /// Wire name.
    pub name: &'static str,
    /// Target shape.
    pub shape: ShapeId,
    /// The member must be present.
    pub required: bool,
    /// The member is an idempotency token (`clientToken`).
    pub idempotency_token: bool,
}

/// A model pattern: the original (Java) text for messages and a Rust regex compiled once,
/// on first use.
#[derive(Debug)]
pub struct Pattern {
    /// The pattern exactly as the model writes it (used in messages, as AWS does).
    pub source: &'static str,
    /// The same pattern rewritten for the `regex` crate and anchored.
    pub rust: &'static str,
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    /// A pattern; compiled lazily.
    pub const fn new(source: &'static str, rust: &'static str) -> Self {
        Self {
            source,
            rust,
            compiled: OnceLock::new(),
        }
    }

    /// Whether `value` satisfies the pattern. A pattern the regex engine cannot compile
    /// accepts everything (a test asserts every model pattern compiles).
    pub fn is_match(&self, value: &str) -> bool {
        self.regex().is_none_or(|r| r.is_match(value))
    }

    /// The compiled regex, if it compiles.
    pub fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| Regex::new(self.rust).ok())
            .as_ref()
    }
}

/// Ties an operation's marker type to its input and output types.
pub trait OperationShape {
    /// Input structure.
    type Input: serde::Serialize + serde::de::DeserializeOwned + crate::json::ToJson;
    /// Output structure.
    type Output: serde::Serialize + serde::de::DeserializeOwned + crate::json::FromJson;
    /// The operation.
    const OPERATION: Self::Op;
    /// The service it belongs to.
    const SERVICE: &'static ServiceDef;
    /// The service's operation enum.
    type Op: Copy;
}

/// A service's operation enum (`proton::Operation`, `servicecatalog::Operation`): what a
/// client needs to address an operation without knowing which service it belongs to.
pub trait OperationName: Copy {
    /// The operation's name as sent in `X-Amz-Target` (e.g. `CreateEnvironment`).
    fn operation_name(self) -> &'static str;
}

impl OperationName for crate::proton::Operation {
    fn operation_name(self) -> &'static str {
        self.name()
    }
}

impl OperationName for crate::servicecatalog::Operation {
    fn operation_name(self) -> &'static str {
        self.name()
    }
}

/// The empty input/output of operations that have none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unit {}
