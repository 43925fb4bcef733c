//! Provisioning artifact templates: `Info.LoadTemplateFromURL` resolved in the engine's
//! artifact store (S3-style URLs only; nothing is fetched from the network), and the
//! CloudFormation template's `Parameters` and `Outputs`.

use baryon_model::servicecatalog::{
    ParameterConstraints, ProvisioningArtifactOutput, ProvisioningArtifactParameter,
};
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::artifacts::ArtifactError;
use crate::context::Cx;
use crate::error::ApiError;

/// Largest template accepted (CloudFormation's limit for templates in S3).
pub const MAX_TEMPLATE_BYTES: usize = 1024 * 1024;

/// `(bucket, key)` of an S3 URL: `s3://b/k`, `https://b.s3[.region|-region].amazonaws.com/k`
/// or `https://s3[.region].amazonaws.com/b/k`.
pub fn s3_location(url: &str) -> Option<(String, String)> {
    let decode = |k: &str| {
        percent_decode_str(k)
            .decode_utf8()
            .ok()
            .map(std::borrow::Cow::into_owned)
    };
    if let Some(rest) = url.strip_prefix("s3://") {
        let (bucket, key) = rest.split_once('/')?;
        return Some((bucket.to_owned(), decode(key)?));
    }
    let rest = url.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/')?;
    let path = path.split(['?', '#']).next().unwrap_or("");
    let host = host.strip_suffix(".amazonaws.com")?;
    if host == "s3" || host.starts_with("s3.") || host.starts_with("s3-") {
        let (bucket, key) = path.split_once('/')?;
        return Some((bucket.to_owned(), decode(key)?));
    }
    let (bucket, region) = host.split_once(".s3")?;
    (region.is_empty() || region.starts_with('.') || region.starts_with('-'))
        .then(|| Some((bucket.to_owned(), decode(path)?)))
        .flatten()
}

/// Reads the template `Info` names (`LoadTemplateFromURL`) and checks it unless
/// `DisableTemplateValidation`.
pub async fn load(
    cx: &Cx,
    info: Option<&std::collections::BTreeMap<String, String>>,
    skip_validation: bool,
) -> Result<String, ApiError> {
    let url = info
        .and_then(|i| i.get("LoadTemplateFromURL"))
        .ok_or_else(|| {
            ApiError::InvalidParameters(
                "Info must contain LoadTemplateFromURL (this engine reads CloudFormation templates from its artifact store; ImportFromPhysicalId is not supported).".to_owned(),
            )
        })?;
    let (bucket, key) = s3_location(url).ok_or_else(|| {
        ApiError::InvalidParameters(format!(
            "LoadTemplateFromURL '{url}' is not an S3 URL of this engine's artifact store (s3://bucket/key or https://bucket.s3.amazonaws.com/key)."
        ))
    })?;
    let bytes = cx.artifacts.get(&bucket, &key).await.map_err(|e| match e {
        ArtifactError::NotFound { .. } => {
            ApiError::InvalidParameters(format!("The template at {url} was not found."))
        }
        ArtifactError::Io { .. } => {
            ApiError::InternalServer(format!("The template at {url} could not be read."))
        }
        other => ApiError::InvalidParameters(format!("LoadTemplateFromURL '{url}': {other}")),
    })?;
    if bytes.len() > MAX_TEMPLATE_BYTES {
        return Err(ApiError::InvalidParameters(format!(
            "The template at {url} is larger than {MAX_TEMPLATE_BYTES} bytes."
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        ApiError::InvalidParameters(format!("The template at {url} is not UTF-8 text."))
    })?;
    if !skip_validation {
        parse(&text).map_err(|reason| {
            ApiError::InvalidParameters(format!("The template at {url} is not valid: {reason}"))
        })?;
    }
    Ok(text)
}

/// The template (JSON, or YAML with CloudFormation's short-form tags such as `!Ref`, which are
/// read as the untagged value: only the template's structure is looked at here, and the text
/// goes to CloudFormation unchanged) as a JSON object with a `Resources` object.
pub fn parse(text: &str) -> Result<Value, String> {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(json) if text.trim_start().starts_with('{') => {
            return Err(format!("it is not valid JSON ({json})"));
        }
        Err(_) => baryon_model::yaml::parse(text)
            .map(|node| yaml_to_json(&node))
            .map_err(|e| format!("it is not valid YAML ({e})"))?,
    };
    if !value.get("Resources").is_some_and(Value::is_object) {
        return Err("it has no Resources section".to_owned());
    }
    Ok(value)
}

fn yaml_to_json(node: &baryon_model::yaml::Node) -> Value {
    use baryon_model::yaml::NodeValue;
    match &node.value {
        NodeValue::Null => Value::Null,
        NodeValue::Bool(b) => Value::Bool(*b),
        NodeValue::Int(i) => Value::Number((*i).into()),
        NodeValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        NodeValue::String(s) => Value::String(s.clone()),
        NodeValue::Seq(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        NodeValue::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match yaml_to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The template's `Parameters`, in the template's key order (sorted, as JSON objects are).
pub fn parameters(text_: &str) -> Vec<ProvisioningArtifactParameter> {
    let Ok(value) = parse(text_) else {
        return Vec::new();
    };
    let Some(params) = value.get("Parameters").and_then(Value::as_object) else {
        return Vec::new();
    };
    params
        .iter()
        .map(|(key, p)| {
            let field = |name: &str| p.get(name).and_then(text);
            let allowed = p
                .get("AllowedValues")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(text).collect::<Vec<_>>());
            let constraints = ParameterConstraints {
                allowed_values: allowed,
                allowed_pattern: field("AllowedPattern"),
                constraint_description: field("ConstraintDescription"),
                max_length: field("MaxLength"),
                min_length: field("MinLength"),
                max_value: field("MaxValue"),
                min_value: field("MinValue"),
            };
            ProvisioningArtifactParameter {
                parameter_key: Some(key.clone()),
                default_value: field("Default"),
                parameter_type: field("Type"),
                is_no_echo: Some(field("NoEcho").is_some_and(|v| v.eq_ignore_ascii_case("true"))),
                description: field("Description"),
                parameter_constraints: Some(constraints),
            }
        })
        .collect()
}

/// The template's `Outputs` keys with their descriptions.
pub fn outputs(text_: &str) -> Vec<ProvisioningArtifactOutput> {
    let Ok(value) = parse(text_) else {
        return Vec::new();
    };
    value
        .get("Outputs")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| ProvisioningArtifactOutput {
                    key: Some(k.clone()),
                    description: v.get("Description").and_then(text),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_name_a_bucket_and_key() {
        let loc = |u: &str| s3_location(u).map(|(b, k)| format!("{b}|{k}"));
        assert_eq!(loc("s3://tpl/a/b.json").as_deref(), Some("tpl|a/b.json"));
        assert_eq!(
            loc("https://tpl.s3.amazonaws.com/a%20b.json").as_deref(),
            Some("tpl|a b.json")
        );
        assert_eq!(
            loc("https://tpl.s3.eu-west-1.amazonaws.com/k").as_deref(),
            Some("tpl|k")
        );
        assert_eq!(
            loc("https://s3.eu-west-1.amazonaws.com/tpl/k").as_deref(),
            Some("tpl|k")
        );
        assert_eq!(loc("https://example.com/tpl/k"), None);
        assert_eq!(loc("http://127.0.0.1/tpl/k"), None);
        assert_eq!(loc("file:///etc/passwd"), None);
    }

    #[test]
    fn parameters_carry_defaults_and_constraints() {
        let t = r#"{"Parameters": {"Size": {"Type": "Number", "Default": 3, "AllowedValues": [1, 3],
            "Description": "How many"}}, "Resources": {}}"#;
        let p = parameters(t);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].default_value.as_deref(), Some("3"));
        assert_eq!(p[0].parameter_type.as_deref(), Some("Number"));
        assert_eq!(
            p[0].parameter_constraints.as_ref().unwrap().allowed_values,
            Some(vec!["1".to_owned(), "3".to_owned()])
        );
    }

    #[test]
    fn a_template_without_resources_is_refused() {
        assert_eq!(parse("{}").unwrap_err(), "it has no Resources section");
        assert_eq!(
            parse("Resources: []").unwrap_err(),
            "it has no Resources section"
        );
        assert!(
            parse("{\"Resources\": ")
                .unwrap_err()
                .starts_with("it is not valid JSON")
        );
    }

    #[test]
    fn a_yaml_template_with_short_form_tags_is_read() {
        let t = "Parameters:\n  Name:\n    Type: String\n    Default: orders\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref Name\nOutputs:\n  Url:\n    Value: !GetAtt Q.QueueUrl\n    Description: the URL\n";
        assert_eq!(parameters(t)[0].default_value.as_deref(), Some("orders"));
        assert_eq!(outputs(t)[0].description.as_deref(), Some("the URL"));
    }
}
