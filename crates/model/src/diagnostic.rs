//! Positioned diagnostics shared by the spec, schema and manifest validators.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One problem found in a YAML document, with where it is.
///
/// `path` is a dotted path from the document root: `spec.vpc_cidr`,
/// `instances[0].spec.port`, `pipeline.service_dir`, `schema.types.X.properties.y`; it is
/// empty for problems with the document as a whole (such as a YAML syntax error).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
pub struct Diagnostic {
    /// Dotted path of the offending node from the document root.
    pub path: String,
    /// 1-based line of the offending node.
    pub line: usize,
    /// 1-based column of the offending node.
    pub col: usize,
    /// What is wrong, for a human.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at `(line, col)`.
    pub fn new(
        path: impl Into<String>,
        (line, col): (usize, usize),
        message: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            line,
            col,
            message: message.into(),
        }
    }
}

/// `line:col: path: message`, or `line:col: message` when the path is empty.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}:{}: {}", self.line, self.col, self.message)
        } else {
            write!(
                f,
                "{}:{}: {}: {}",
                self.line, self.col, self.path, self.message
            )
        }
    }
}

/// Sorts diagnostics by position, then path and message, and removes exact duplicates, so
/// results are deterministic.
pub fn sort_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        (a.line, a.col, &a.path, &a.message).cmp(&(b.line, b.col, &b.path, &b.message))
    });
    diagnostics.dedup();
}

/// Joins a dotted path: `join_path("spec", "port") == "spec.port"`, `join_path("", "port") ==
/// "port"`.
pub fn join_path(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_owned()
    } else {
        format!("{base}.{key}")
    }
}

/// Appends an index: `index_path("spec.subnets", 2) == "spec.subnets[2]"`.
pub fn index_path(base: &str, index: usize) -> String {
    format!("{base}[{index}]")
}
