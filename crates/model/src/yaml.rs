//! A positioned YAML tree built from `saphyr-parser` events.
//!
//! Every node carries the 1-based line and column where it starts, so validators can point at
//! the exact place of a problem. Plain scalars are resolved with the YAML 1.2 core schema;
//! quoted and block scalars are always strings. Aliases are expanded (bounded by
//! [`MAX_NODES`], which refuses "billion laughs" documents), nesting is bounded by
//! [`MAX_DEPTH`], and duplicate mapping keys are errors.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde::{Serialize, Serializer};

/// The most nodes one document may expand to, aliases included.
pub const MAX_NODES: usize = 100_000;

/// The deepest nesting of sequences and mappings a document may have.
pub const MAX_DEPTH: usize = 128;

/// A YAML node with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The node's value.
    pub value: NodeValue,
    /// 1-based line of the node's first character.
    pub line: usize,
    /// 1-based column of the node's first character.
    pub col: usize,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A floating-point number (including `.inf` and `.nan`).
    Float(f64),
    /// A string.
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order. Keys are nodes so their positions are known.
    Map(Vec<(Node, Node)>),
}

/// A YAML syntax error, or a document this module refuses (too large, duplicate keys, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: {message}")]
pub struct YamlError {
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column of the problem.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

impl YamlError {
    fn at(line: usize, col: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            col,
            message: message.into(),
        }
    }
}

impl Node {
    /// A node at a position.
    pub fn new(value: NodeValue, line: usize, col: usize) -> Self {
        Self { value, line, col }
    }

    /// The node's position as `(line, col)`.
    pub fn pos(&self) -> (usize, usize) {
        (self.line, self.col)
    }

    /// The value of `key` when this node is a mapping with a string key `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value node of `key` when this node is a mapping with that string key.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// The string, when this node is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, when this node is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            NodeValue::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The integer, when this node is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            NodeValue::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The number, when this node is an integer or a float.
    #[allow(clippy::cast_precision_loss)]
    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            NodeValue::Int(i) => Some(i as f64),
            NodeValue::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The items, when this node is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, when this node is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            NodeValue::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Whether this node is null.
    pub fn is_null(&self) -> bool {
        matches!(self.value, NodeValue::Null)
    }

    /// The JSON name of this node's type: `null`, `boolean`, `number`, `string`, `array` or
    /// `object`.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "boolean",
            NodeValue::Int(_) | NodeValue::Float(_) => "number",
            NodeValue::String(_) => "string",
            NodeValue::Seq(_) => "array",
            NodeValue::Map(_) => "object",
        }
    }

    /// A short human description for messages: `string "abc"`, `number 80`, `boolean true`,
    /// `null`, `array`, `object`. Long strings are shortened.
    pub fn describe(&self) -> String {
        match &self.value {
            NodeValue::Null => "null".to_owned(),
            NodeValue::Bool(b) => format!("boolean {b}"),
            NodeValue::Int(i) => format!("number {i}"),
            NodeValue::Float(f) => format!("number {}", format_f64(*f)),
            NodeValue::String(s) => format!("string {}", quote_short(s)),
            NodeValue::Seq(_) => "array".to_owned(),
            NodeValue::Map(_) => "object".to_owned(),
        }
    }

    /// The node as JSON. Mapping keys become strings (scalars by their text, other keys by
    /// their JSON text); non-finite floats become `null`, as JSON has no such numbers.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::from(*i),
            NodeValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => {
                // Inserted one by one (a later duplicate key wins, as with `collect`), which
                // does not compile a sort for this iterator type into the console.
                let mut map = serde_json::Map::new();
                for (k, v) in entries {
                    map.insert(k.key_text(), v.to_json());
                }
                Value::Object(map)
            }
        }
    }

    /// The text of a node used as a mapping key.
    pub fn key_text(&self) -> String {
        match &self.value {
            NodeValue::Null => "null".to_owned(),
            NodeValue::Bool(b) => b.to_string(),
            NodeValue::Int(i) => i.to_string(),
            NodeValue::Float(f) => format_f64(*f),
            NodeValue::String(s) => s.clone(),
            NodeValue::Seq(_) | NodeValue::Map(_) => self.to_json().to_string(),
        }
    }

    /// How many nodes this subtree holds (itself included; a key and a value count as two).
    pub fn node_count(&self) -> usize {
        1 + match &self.value {
            NodeValue::Seq(items) => items.iter().map(Node::node_count).sum(),
            NodeValue::Map(entries) => entries
                .iter()
                .map(|(k, v)| k.node_count() + v.node_count())
                .sum(),
            _ => 0,
        }
    }

    /// How many levels of sequences and mappings this subtree nests (0 for a scalar).
    pub fn nesting_depth(&self) -> usize {
        match &self.value {
            NodeValue::Seq(items) => 1 + items.iter().map(Node::nesting_depth).max().unwrap_or(0),
            NodeValue::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.nesting_depth().max(v.nesting_depth()))
                    .max()
                    .unwrap_or(0)
            }
            _ => 0,
        }
    }
}

/// Serializes as the node's JSON value ([`Node::to_json`]); positions are not serialized.
impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// Formats a float the way YAML and JSON readers expect: integral values keep a `.0`,
/// non-finite ones use YAML's spelling.
pub fn format_f64(f: f64) -> String {
    if f.is_nan() {
        ".nan".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 {
            ".inf".to_owned()
        } else {
            "-.inf".to_owned()
        }
    } else {
        let s = f.to_string();
        if s.contains(['.', 'e', 'E']) {
            s
        } else {
            format!("{s}.0")
        }
    }
}

/// Quotes a string for a message: in double quotes, with `"` and control characters escaped
/// (backslashes are left alone, so patterns read as written), shortened past 80 characters.
pub fn quote_short(s: &str) -> String {
    const MAX: usize = 80;
    let mut out = String::with_capacity(s.len().min(MAX * 4) + 2);
    out.push('"');
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            out.push_str("...");
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parses the first document of `src` into a positioned tree. An empty document is a null
/// node at 1:1.
pub fn parse(src: &str) -> Result<Node, YamlError> {
    Builder::default().run(src)
}

enum Frame {
    Seq {
        items: Vec<Node>,
        line: usize,
        col: usize,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        seen: HashSet<String>,
        line: usize,
        col: usize,
        anchor: usize,
    },
}

fn depth_error(line: usize, col: usize) -> YamlError {
    YamlError::at(
        line,
        col,
        format!("the document nests deeper than {MAX_DEPTH} levels"),
    )
}

/// An anchored node, with its size and nesting depth so aliases are checked without walking it.
struct Anchored {
    node: Node,
    size: usize,
    depth: usize,
}

impl Anchored {
    fn new(node: &Node) -> Self {
        Self {
            node: node.clone(),
            size: node.node_count(),
            depth: node.nesting_depth(),
        }
    }
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    /// Anchored nodes with their sizes.
    anchors: HashMap<usize, Anchored>,
    nodes: usize,
    root: Option<Node>,
}

fn pos(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

impl Builder {
    fn run(mut self, src: &str) -> Result<Node, YamlError> {
        for event in Parser::new_from_str(src) {
            let (event, span) = event.map_err(|e| {
                YamlError::at(e.marker().line(), e.marker().col() + 1, e.info().to_owned())
            })?;
            let (line, col) = pos(&span);
            match event {
                Event::StreamStart | Event::Nothing | Event::DocumentStart(_) => {}
                Event::DocumentEnd | Event::StreamEnd => break,
                Event::Alias(id) => {
                    let Some(anchored) = self.anchors.get(&id) else {
                        return Err(YamlError::at(line, col, "alias to an unknown anchor"));
                    };
                    let (size, depth) = (anchored.size, anchored.depth);
                    if self.stack.len() + depth > MAX_DEPTH {
                        return Err(depth_error(line, col));
                    }
                    let mut node = anchored.node.clone();
                    self.count(size, line, col)?;
                    node.line = line;
                    node.col = col;
                    self.push(node)?;
                }
                Event::Scalar(text, style, anchor, tag) => {
                    self.count(1, line, col)?;
                    let value = resolve_scalar(&text, style, tag.as_deref())
                        .map_err(|m| YamlError::at(line, col, m))?;
                    let node = Node::new(value, line, col);
                    if anchor != 0 {
                        self.anchors.insert(anchor, Anchored::new(&node));
                    }
                    self.push(node)?;
                }
                Event::SequenceStart(anchor, tag) => {
                    check_collection_tag(tag.as_deref(), "seq", line, col)?;
                    self.open(line, col)?;
                    self.stack.push(Frame::Seq {
                        items: Vec::new(),
                        line,
                        col,
                        anchor,
                    });
                }
                Event::MappingStart(anchor, tag) => {
                    check_collection_tag(tag.as_deref(), "map", line, col)?;
                    self.open(line, col)?;
                    self.stack.push(Frame::Map {
                        entries: Vec::new(),
                        key: None,
                        seen: HashSet::new(),
                        line,
                        col,
                        anchor,
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let (node, anchor) = match self.stack.pop() {
                        Some(Frame::Seq {
                            items,
                            line,
                            col,
                            anchor,
                        }) => (Node::new(NodeValue::Seq(items), line, col), anchor),
                        Some(Frame::Map {
                            entries,
                            line,
                            col,
                            anchor,
                            ..
                        }) => (Node::new(NodeValue::Map(entries), line, col), anchor),
                        None => return Err(YamlError::at(line, col, "unbalanced collection end")),
                    };
                    if anchor != 0 {
                        self.anchors.insert(anchor, Anchored::new(&node));
                    }
                    self.push(node)?;
                }
            }
            if self.root.is_some() && self.stack.is_empty() {
                break;
            }
        }
        Ok(self
            .root
            .unwrap_or_else(|| Node::new(NodeValue::Null, 1, 1)))
    }

    fn count(&mut self, n: usize, line: usize, col: usize) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(YamlError::at(
                line,
                col,
                format!("the document expands to more than {MAX_NODES} nodes (aliases included)"),
            ));
        }
        Ok(())
    }

    fn open(&mut self, line: usize, col: usize) -> Result<(), YamlError> {
        self.count(1, line, col)?;
        if self.stack.len() >= MAX_DEPTH {
            return Err(depth_error(line, col));
        }
        Ok(())
    }

    fn push(&mut self, node: Node) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries, key, seen, ..
            }) => match key.take() {
                None => {
                    let canonical = canonical_key(&node.value);
                    if !seen.insert(canonical) {
                        return Err(YamlError::at(
                            node.line,
                            node.col,
                            format!("duplicate mapping key {}", describe_key(&node)),
                        ));
                    }
                    *key = Some(node);
                }
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }
}

fn describe_key(node: &Node) -> String {
    match &node.value {
        NodeValue::String(s) => quote_short(s),
        _ => node.key_text(),
    }
}

/// A string that is equal for equal keys (type included), ignoring positions.
fn canonical_key(value: &NodeValue) -> String {
    fn write(out: &mut String, value: &NodeValue) {
        match value {
            NodeValue::Null => out.push('~'),
            NodeValue::Bool(b) => {
                let _ = write!(out, "b{b}");
            }
            NodeValue::Int(i) => {
                let _ = write!(out, "i{i}");
            }
            NodeValue::Float(f) => {
                let _ = write!(out, "f{}", format_f64(*f));
            }
            NodeValue::String(s) => {
                let _ = write!(out, "s{}", serde_json::Value::String(s.clone()));
            }
            NodeValue::Seq(items) => {
                out.push('[');
                for item in items {
                    write(out, &item.value);
                    out.push(',');
                }
                out.push(']');
            }
            NodeValue::Map(entries) => {
                out.push('{');
                for (k, v) in entries {
                    write(out, &k.value);
                    out.push(':');
                    write(out, &v.value);
                    out.push(',');
                }
                out.push('}');
            }
        }
    }
    let mut out = String::new();
    write(&mut out, value);
    out
}

const CORE: &str = "tag:yaml.org,2002:";

fn core_suffix(tag: &Tag) -> Option<&str> {
    (tag.handle == CORE || tag.handle == "!!").then_some(tag.suffix.as_str())
}

fn check_collection_tag(
    tag: Option<&Tag>,
    want: &str,
    line: usize,
    col: usize,
) -> Result<(), YamlError> {
    if let Some(suffix) = tag.and_then(core_suffix)
        && suffix != want
    {
        return Err(YamlError::at(
            line,
            col,
            format!(
                "tag !!{suffix} cannot be used on a {}",
                if want == "seq" { "sequence" } else { "mapping" }
            ),
        ));
    }
    Ok(())
}

fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<NodeValue, String> {
    if let Some(tag) = tag {
        if let Some(suffix) = core_suffix(tag) {
            return match suffix {
                "str" => Ok(NodeValue::String(text.to_owned())),
                "null" => match resolve_plain(text) {
                    NodeValue::Null => Ok(NodeValue::Null),
                    _ => Err(format!("{} is not a valid !!null", quote_short(text))),
                },
                "bool" => match resolve_plain(text) {
                    v @ NodeValue::Bool(_) => Ok(v),
                    _ => Err(format!("{} is not a valid !!bool", quote_short(text))),
                },
                "int" => match resolve_int(text) {
                    Some(v @ NodeValue::Int(_)) => Ok(v),
                    _ => Err(format!("{} is not a valid !!int", quote_short(text))),
                },
                "float" => match resolve_plain(text) {
                    #[allow(clippy::cast_precision_loss)]
                    NodeValue::Int(i) => Ok(NodeValue::Float(i as f64)),
                    v @ NodeValue::Float(_) => Ok(v),
                    _ => Err(format!("{} is not a valid !!float", quote_short(text))),
                },
                "seq" | "map" => Err(format!("tag !!{suffix} cannot be used on a scalar")),
                other => Err(format!("unsupported tag !!{other}")),
            };
        }
        if tag.handle == "!" && tag.suffix.is_empty() {
            // The non-specific tag `!` forces a string.
            return Ok(NodeValue::String(text.to_owned()));
        }
        // Application tags are ignored: the scalar resolves as if untagged.
    }
    Ok(match style {
        ScalarStyle::Plain => resolve_plain(text),
        _ => NodeValue::String(text.to_owned()),
    })
}

/// Resolves a plain scalar with the YAML 1.2 core schema.
fn resolve_plain(text: &str) -> NodeValue {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return NodeValue::Null,
        "true" | "True" | "TRUE" => return NodeValue::Bool(true),
        "false" | "False" | "FALSE" => return NodeValue::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return NodeValue::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return NodeValue::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return NodeValue::Float(f64::NAN),
        _ => {}
    }
    if let Some(v) = resolve_int(text) {
        return v;
    }
    if is_core_float(text)
        && let Ok(f) = text.parse::<f64>()
    {
        return NodeValue::Float(f);
    }
    NodeValue::String(text.to_owned())
}

/// Core-schema integers: `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`. Decimal integers too
/// large for 64 bits become floats; octal and hexadecimal ones stay strings.
fn resolve_int(text: &str) -> Option<NodeValue> {
    if let Some(hex) = text.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return i64::from_str_radix(hex, 16).ok().map(NodeValue::Int);
        }
        return None;
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return i64::from_str_radix(oct, 8).ok().map(NodeValue::Int);
        }
        return None;
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match text.parse::<i64>() {
        Ok(i) => Some(NodeValue::Int(i)),
        Err(_) => text.parse::<f64>().ok().map(NodeValue::Float),
    }
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_core_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text).as_bytes();
    let mut i = 0;
    let int_digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if s.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = s[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exp_digits = s[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_resolve_with_the_core_schema() {
        let cases = [
            ("~", NodeValue::Null),
            ("", NodeValue::Null),
            ("True", NodeValue::Bool(true)),
            ("0x1F", NodeValue::Int(31)),
            ("0o17", NodeValue::Int(15)),
            ("-12", NodeValue::Int(-12)),
            ("1.5", NodeValue::Float(1.5)),
            ("1e3", NodeValue::Float(1000.0)),
            (".5", NodeValue::Float(0.5)),
            ("10.0.0.0/16", NodeValue::String("10.0.0.0/16".into())),
            ("yes", NodeValue::String("yes".into())),
            ("1.", NodeValue::Float(1.0)),
            ("e3", NodeValue::String("e3".into())),
        ];
        for (text, want) in cases {
            assert_eq!(resolve_plain(text), want, "{text}");
        }
    }
}
