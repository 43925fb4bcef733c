//! `rendering_engine: jinja`: Proton's Jinja rendering through minijinja, matching Python
//! Jinja2 with its default settings (Proton renders with Jinja2): no autoescaping, one
//! trailing newline of the template dropped (`keep_trailing_newline=False`), `\r\n` and `\r`
//! read as `\n`, values printed as Python's `str()` prints them (`True`, `None`, `['a']`), and
//! `tojson` as Jinja2's (sorted keys, `", "`/`": "` separators, ASCII only, HTML-safe).
//! Undefined values are errors (Jinja2's `StrictUndefined`); `is defined` and `default` still
//! work. A fuel limit stops runaway templates.
//!
//! Proton's filters, as documented in "Parameter filters for CloudFormation IaC files":
//! `proton_cfn_ecs_task_definition_formatted_env_vars(raw=True)` (a YAML list of
//! `{Name, Value}`), `proton_cfn_lambda_function_formatted_env_vars(raw=True)` (a YAML mapping),
//! `proton_cfn_iam_policy_arns` (a YAML list of the values that are IAM policy ARNs) and
//! `proton_cfn_sanitize`. With `raw=False` every value must match `^[a-zA-Z0-9_-]*$`.
//! The multi-line results are indented to the column where the expression's output starts,
//! so they sit correctly under a YAML key, as the documentation's examples show.

use std::fmt::Write as _;
use std::sync::LazyLock;

use crate::pattern::Regex;
use minijinja::value::{Kwargs, ValueKind};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior, Value};

use super::RenderError;
use super::context::RenderContext;

/// Fuel (minijinja instructions) one template may use. Every aws-samples template needs a
/// few thousand; a runaway loop stops with [`RenderError::OutOfFuel`].
pub const DEFAULT_FUEL: u64 = 2_000_000;

/// Marks where a multi-line filter result starts (its column is the indentation of its
/// following lines). Private-use characters, refused in templates.
const INDENT_START: char = '\u{E000}';
/// Marks a following line of a multi-line filter result.
const INDENT_LINE: char = '\u{E001}';

static SAFE_VALUE: LazyLock<Regex> = LazyLock::new(|| re(r"^[a-zA-Z0-9_-]*$"));
static IAM_POLICY_ARN: LazyLock<Regex> =
    LazyLock::new(|| re(r"^arn:[a-zA-Z-]+:iam::\d{12}:policy/"));
static ARN: LazyLock<Regex> =
    LazyLock::new(|| re(r"^arn:[a-zA-Z0-9-]+:[a-zA-Z0-9-]+:[a-zA-Z0-9-]*:(\d{12})?:\S+$"));
static YAML_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^0[xXoObB]|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$",
    )
});

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("built-in pattern {pattern}: {e}"))
}

/// Renders one Jinja template of a bundle with Proton's namespaces from `ctx`.
/// `file_name` names the file in errors.
pub fn render_jinja(
    file_name: &str,
    source: &str,
    ctx: &RenderContext,
) -> Result<String, RenderError> {
    render_jinja_with_fuel(file_name, source, ctx, DEFAULT_FUEL)
}

/// [`render_jinja`] with an explicit fuel limit.
pub fn render_jinja_with_fuel(
    file_name: &str,
    source: &str,
    ctx: &RenderContext,
    fuel: u64,
) -> Result<String, RenderError> {
    render_jinja_value(file_name, source, &ctx.to_jinja(), fuel)
}

/// Renders a template with any serialisable context object (such as the JSON of
/// [`RenderContext::to_jinja`]), Proton's filters and Jinja2's defaults. What [`render_jinja`]
/// runs.
pub fn render_jinja_value<C: serde::Serialize>(
    file_name: &str,
    source: &str,
    ctx: &C,
    fuel: u64,
) -> Result<String, RenderError> {
    let ctx = Value::from(minijinja::value::Serde(ctx));
    if let Some((line, _)) = source
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains([INDENT_START, INDENT_LINE]))
    {
        return Err(RenderError::Template {
            file: file_name.to_owned(),
            line: line + 1,
            message: "the template contains the private-use characters U+E000/U+E001, which \
                the renderer reserves"
                .into(),
        });
    }
    let normalized = source.replace("\r\n", "\n").replace('\r', "\n");
    let env = environment(fuel);
    let rendered = env
        .render_named_str(file_name, &normalized, &ctx)
        .map_err(|e| map_error(file_name, &normalized, &e))?;
    Ok(apply_indent_markers(&rendered))
}

fn environment(fuel: u64) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(fuel));
    // Jinja2's keep_trailing_newline=False is minijinja's default too.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_formatter(|out, _state, value| {
        out.write_str(&py_str(value))
            .map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()))
    });
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.add_filter("tojson", tojson);
    env.add_filter("truncate", truncate);
    env.add_filter(
        "proton_cfn_ecs_task_definition_formatted_env_vars",
        ecs_env_vars,
    );
    env.add_filter(
        "proton_cfn_lambda_function_formatted_env_vars",
        lambda_env_vars,
    );
    env.add_filter("proton_cfn_iam_policy_arns", iam_policy_arns);
    env.add_filter("proton_cfn_sanitize", sanitize);
    env
}

fn map_error(file: &str, source: &str, e: &Error) -> RenderError {
    let file = file.to_owned();
    let line = e.line().unwrap_or(1);
    let detail = || {
        e.detail()
            .map_or_else(|| e.kind().to_string(), str::to_owned)
    };
    match e.kind() {
        ErrorKind::SyntaxError | ErrorKind::BadEscape => RenderError::Syntax {
            file,
            line,
            message: detail(),
        },
        ErrorKind::UndefinedError => RenderError::Undefined {
            file,
            line,
            expression: e
                .range()
                .and_then(|r| source.get(r))
                .map_or_else(|| "a value".to_owned(), |s| s.trim().to_owned()),
        },
        ErrorKind::OutOfFuel => RenderError::OutOfFuel { file, line },
        _ => RenderError::Template {
            file,
            line,
            message: detail(),
        },
    }
}

/// Replaces the indentation markers of multi-line filter results by spaces.
fn apply_indent_markers(rendered: &str) -> String {
    if !rendered.contains([INDENT_START, INDENT_LINE]) {
        return rendered.to_owned();
    }
    let mut out = String::with_capacity(rendered.len());
    let mut column = 0usize;
    let mut indent = 0usize;
    for c in rendered.chars() {
        match c {
            INDENT_START => indent = column,
            INDENT_LINE => {
                out.extend(std::iter::repeat_n(' ', indent));
                column += indent;
            }
            '\n' => {
                out.push(c);
                column = 0;
            }
            _ => {
                out.push(c);
                column += 1;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Python's str() and json.dumps
// ---------------------------------------------------------------------------------------------

/// What Python's `str()` prints for a value (Jinja2's `{{ value }}`).
pub fn py_str(value: &Value) -> String {
    match value.as_str() {
        Some(s) => s.to_owned(),
        None => py_repr(value),
    }
}

fn to_json(value: &Value) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Python's `repr()` of a value (objects in their order).
fn py_repr(value: &Value) -> String {
    match value.kind() {
        ValueKind::Undefined => String::new(),
        ValueKind::None => "None".into(),
        ValueKind::Bool => if value.is_true() { "True" } else { "False" }.into(),
        ValueKind::Number if !value.is_integer() => {
            f64::try_from(value.clone()).map_or_else(|_| value.to_string(), |f| py_float(f, false))
        }
        ValueKind::String => py_str_repr(value.as_str().unwrap_or_default()),
        ValueKind::Seq | ValueKind::Iterable => {
            let parts: Vec<String> = value
                .try_iter()
                .map(|it| it.map(|v| py_repr(&v)).collect())
                .unwrap_or_default();
            format!("[{}]", parts.join(", "))
        }
        ValueKind::Map => {
            let parts: Vec<String> = value
                .try_iter()
                .map(|it| {
                    it.map(|k| {
                        let v = value.get_item(&k).unwrap_or_default();
                        format!("{}: {}", py_repr(&k), py_repr(&v))
                    })
                    .collect()
                })
                .unwrap_or_default();
            format!("{{{}}}", parts.join(", "))
        }
        _ => value.to_string(),
    }
}

fn py_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from
/// 1e16. `json` selects `json.dumps`' spelling of the non-finite values.
pub fn py_float(f: f64, json: bool) -> String {
    if f.is_nan() {
        return if json { "NaN" } else { "nan" }.into();
    }
    if f.is_infinite() {
        let s = if json { "Infinity" } else { "inf" };
        return if f < 0.0 { format!("-{s}") } else { s.into() };
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-5".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa
        .strip_prefix('-')
        .map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else {
            let point = point.unsigned_abs() as usize;
            if digits.len() <= point {
                format!("{digits}{}.0", "0".repeat(point - digits.len()))
            } else {
                format!("{}.{}", &digits[..point], &digits[point..])
            }
        };
        format!("{sign}{body}")
    } else {
        let mantissa = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exp.unsigned_abs())
    }
}

/// Python's `json.dumps(value, sort_keys=True, indent=indent)` (ASCII only).
pub fn py_json(v: &serde_json::Value, indent: Option<usize>) -> String {
    let mut out = String::new();
    write_py_json(&mut out, v, indent, 0);
    out
}

fn write_py_json(out: &mut String, v: &serde_json::Value, indent: Option<usize>, level: usize) {
    use serde_json::Value as J;
    let newline = |out: &mut String, level: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', n * level));
        }
    };
    let item_sep = if indent.is_some() { "," } else { ", " };
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Number(n) => match n.as_f64().filter(|_| n.is_f64()) {
            Some(f) => out.push_str(&py_float(f, true)),
            None => out.push_str(&n.to_string()),
        },
        J::String(s) => py_json_string(out, s),
        J::Array(items) if items.is_empty() => out.push_str("[]"),
        J::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, level + 1);
                write_py_json(out, item, indent, level + 1);
            }
            newline(out, level);
            out.push(']');
        }
        J::Object(map) if map.is_empty() => out.push_str("{}"),
        J::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, level + 1);
                py_json_string(out, k);
                out.push_str(": ");
                write_py_json(out, item, indent, level + 1);
            }
            newline(out, level);
            out.push('}');
        }
    }
}

/// A JSON string as Python's `json.dumps` writes it with `ensure_ascii=True`.
pub fn py_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------------

/// Jinja2's `tojson`: `json.dumps(value, sort_keys=True)` with `<`, `>`, `&`, `'` escaped.
#[allow(clippy::needless_pass_by_value)] // minijinja hands filters their Kwargs by value
fn tojson(value: &Value, indent: Option<usize>, kwargs: Kwargs) -> Result<Value, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?.or(indent);
    kwargs.assert_all_used()?;
    let json = py_json(&to_json(value), indent)
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\'', "\\u0027");
    Ok(Value::from_safe_string(json))
}

/// Jinja2's `truncate(s, length=255, killwords=False, end='...', leeway=None)` (leeway 5).
#[allow(clippy::needless_pass_by_value)] // minijinja hands filters their Kwargs by value
fn truncate(s: &Value, positional: &[Value], kwargs: Kwargs) -> Result<Value, Error> {
    if positional.len() > 4 {
        return Err(Error::new(
            ErrorKind::TooManyArguments,
            "truncate takes at most length, killwords, end and leeway",
        ));
    }
    let arg = |i: usize, name: &str| -> Result<Option<Value>, Error> {
        let kw = kwargs.get::<Option<Value>>(name)?;
        Ok(kw.or_else(|| positional.get(i).cloned()))
    };
    let number = |v: Option<Value>, default: usize| -> Result<usize, Error> {
        v.map_or(Ok(default), usize::try_from)
    };
    let length = number(arg(0, "length")?, 255)?;
    let killwords = arg(1, "killwords")?.is_some_and(|v| v.is_true());
    let end = arg(2, "end")?.map_or_else(|| "...".to_owned(), |v| py_str(&v));
    let leeway = number(arg(3, "leeway")?, 5)?;
    kwargs.assert_all_used()?;
    let s = py_str(s);
    let end_len = end.chars().count();
    if length < end_len {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("truncate: length {length} is shorter than the end {end:?}"),
        ));
    }
    if s.chars().count() <= length + leeway {
        return Ok(Value::from(s));
    }
    let kept: String = s.chars().take(length - end_len).collect();
    let kept = if killwords {
        kept
    } else {
        kept.rsplit_once(' ')
            .map_or(kept.clone(), |(head, _)| head.to_owned())
    };
    Ok(Value::from(kept + &end))
}

/// The `(name, value)` pairs of a filter's dict argument, values as text.
fn outputs_of(filter: &str, value: &Value) -> Result<Vec<(String, String)>, Error> {
    if value.kind() != ValueKind::Map {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "{filter} expects a dict of outputs (such as \
                 service_instance.components.default.outputs), got {}",
                value.kind()
            ),
        ));
    }
    let mut out = Vec::new();
    for key in value.try_iter()? {
        let item = value.get_item(&key)?;
        out.push((py_str(&key), py_str(&item)));
    }
    Ok(out)
}

fn check_raw(raw: Option<bool>, kwargs: &Kwargs, pairs: &[(String, String)]) -> Result<(), Error> {
    let raw = kwargs.get::<Option<bool>>("raw")?.or(raw).unwrap_or(true);
    kwargs.assert_all_used()?;
    if !raw {
        for (_, v) in pairs {
            if !SAFE_VALUE.is_match(v) {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!(
                        "Illegal character(s) detected in \"{v}\". Must match regex ^[a-zA-Z0-9_-]*$"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Lines of a multi-line YAML result: the first at the output's column, the others indented
/// to it.
fn block(lines: &[String]) -> Value {
    let mut out = String::new();
    out.push(INDENT_START);
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push(INDENT_LINE);
        }
        out.push_str(line);
    }
    Value::from(out)
}

#[allow(clippy::needless_pass_by_value)] // minijinja hands filters their Kwargs by value
fn ecs_env_vars(value: &Value, raw: Option<bool>, kwargs: Kwargs) -> Result<Value, Error> {
    let pairs = outputs_of("proton_cfn_ecs_task_definition_formatted_env_vars", value)?;
    check_raw(raw, &kwargs, &pairs)?;
    if pairs.is_empty() {
        return Ok(Value::from("[]"));
    }
    let mut lines = Vec::new();
    for (k, v) in &pairs {
        lines.push(format!("- Name: {}", yaml_scalar(k)));
        lines.push(format!("  Value: {}", yaml_scalar(v)));
    }
    Ok(block(&lines))
}

#[allow(clippy::needless_pass_by_value)] // minijinja hands filters their Kwargs by value
fn lambda_env_vars(value: &Value, raw: Option<bool>, kwargs: Kwargs) -> Result<Value, Error> {
    let pairs = outputs_of("proton_cfn_lambda_function_formatted_env_vars", value)?;
    check_raw(raw, &kwargs, &pairs)?;
    if pairs.is_empty() {
        return Ok(Value::from("{}"));
    }
    let lines: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}: {}", yaml_scalar(k), yaml_scalar(v)))
        .collect();
    Ok(block(&lines))
}

fn iam_policy_arns(value: &Value) -> Result<Value, Error> {
    let pairs = outputs_of("proton_cfn_iam_policy_arns", value)?;
    let lines: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| IAM_POLICY_ARN.is_match(v))
        .map(|(_, v)| format!("- {}", yaml_scalar(v)))
        .collect();
    if lines.is_empty() {
        return Ok(Value::from(""));
    }
    Ok(block(&lines))
}

fn sanitize(value: &Value) -> Result<Value, Error> {
    let s = py_str(value);
    if SAFE_VALUE.is_match(&s) || ARN.is_match(&s) {
        Ok(Value::from(s))
    } else {
        Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "Illegal character(s) detected in \"{s}\". Must match regex ^[a-zA-Z0-9_-]*$ or be a valid ARN"
            ),
        ))
    }
}

/// A YAML scalar: plain when that reads back as the same string, else double-quoted (JSON,
/// which is valid YAML).
pub fn yaml_scalar(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || "_./".contains(c))
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@=+-".contains(c))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        )
        && !YAML_NUMBER.is_match(s);
    if plain {
        s.to_owned()
    } else {
        let mut out = String::new();
        py_json_string(&mut out, s);
        out
    }
}
