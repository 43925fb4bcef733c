//! Smithy RPC v2 CBOR framing (Service Catalog's preferred protocol): `POST
//! /service/<service>/operation/<Operation>`, `smithy-protocol: rpc-v2-cbor`, `application/cbor`
//! bodies. Requests are converted to the `serde_json::Value` the awsJson path produces, so
//! validation and handlers are shared; responses are converted back guided by the model's
//! output shape, so timestamps go out as CBOR tag 1 (epoch seconds) as the protocol requires.

use baryon_model::shape::{ServiceDef, ShapeId, ShapeKind};
use ciborium::Value as Cbor;
use serde_json::{Map, Number, Value};

use crate::error::ApiError;

/// The content type of rpc-v2-cbor requests and responses.
pub const CONTENT_TYPE: &str = "application/cbor";
/// The value of the `smithy-protocol` header, in requests and responses.
pub const PROTOCOL: &str = "rpc-v2-cbor";
/// The CBOR tag of an epoch-seconds date-time (RFC 8949 §3.4.2).
const EPOCH_TAG: u64 = 1;

/// Decodes a request body: a CBOR map (an empty body counts as an empty map). Tag-1 timestamps
/// become epoch-seconds numbers; members whose value is `null` are absent, as Smithy says.
pub fn decode(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let cbor: Cbor = ciborium::de::from_reader(bytes)
        .map_err(|e| ApiError::Serialization(format!("The request body is not valid CBOR: {e}")))?;
    let value = to_json(cbor)?;
    if !value.is_object() {
        return Err(ApiError::Serialization(
            "The request body must be a CBOR map".to_owned(),
        ));
    }
    Ok(value)
}

fn to_json(cbor: Cbor) -> Result<Value, ApiError> {
    Ok(match cbor {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Text(s) => Value::String(s),
        Cbor::Integer(i) => {
            let n = i128::from(i);
            if let Ok(v) = i64::try_from(n) {
                Value::Number(v.into())
            } else if let Ok(v) = u64::try_from(n) {
                Value::Number(v.into())
            } else {
                return Err(ApiError::Serialization(format!(
                    "The integer {n} is out of range"
                )));
            }
        }
        Cbor::Float(f) => Value::Number(Number::from_f64(f).ok_or_else(|| {
            ApiError::Serialization(format!("The number {f} is not a finite value"))
        })?),
        Cbor::Tag(_, inner) => to_json(*inner)?,
        Cbor::Array(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Cbor::Map(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                let Cbor::Text(key) = k else {
                    return Err(ApiError::Serialization(
                        "CBOR map keys must be text strings".to_owned(),
                    ));
                };
                let v = to_json(v)?;
                if !v.is_null() {
                    map.insert(key, v);
                }
            }
            Value::Object(map)
        }
        Cbor::Bytes(_) => {
            return Err(ApiError::Serialization(
                "Byte strings are not accepted by this service".to_owned(),
            ));
        }
        _ => {
            return Err(ApiError::Serialization(
                "The request body holds a CBOR value this service does not accept".to_owned(),
            ));
        }
    })
}

/// Encodes a response document of `shape` (an operation's output) as CBOR.
pub fn encode(service: &ServiceDef, shape: Option<ShapeId>, value: &Value) -> Vec<u8> {
    bytes(&to_cbor(service, shape, value))
}

/// Encodes an error: a map with `__type` (the error's shape id) and `message`.
pub fn encode_error(namespace: &str, error: &ApiError) -> Vec<u8> {
    bytes(&Cbor::Map(vec![
        (
            Cbor::Text("__type".to_owned()),
            Cbor::Text(format!("{namespace}#{}", error.aws_type())),
        ),
        (
            Cbor::Text("message".to_owned()),
            Cbor::Text(error.to_string()),
        ),
    ]))
}

fn bytes(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and every value built here is serializable.
    if ciborium::ser::into_writer(value, &mut out).is_err() {
        out.clear();
    }
    out
}

fn to_cbor(service: &ServiceDef, shape: Option<ShapeId>, value: &Value) -> Cbor {
    let kind = shape.and_then(|id| service.shapes.get(id)).map(|s| &s.kind);
    match (kind, value) {
        (Some(ShapeKind::Timestamp), Value::Number(n)) => {
            let inner = match n.as_i64() {
                Some(i) => Cbor::Integer(i.into()),
                None => Cbor::Float(n.as_f64().unwrap_or(0.0)),
            };
            Cbor::Tag(EPOCH_TAG, Box::new(inner))
        }
        (Some(ShapeKind::Float), Value::Number(n)) => Cbor::Float(n.as_f64().unwrap_or(0.0)),
        (_, Value::Null) => Cbor::Null,
        (_, Value::Bool(b)) => Cbor::Bool(*b),
        (_, Value::String(s)) => Cbor::Text(s.clone()),
        (_, Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Cbor::Integer(i.into())
            } else if let Some(u) = n.as_u64() {
                Cbor::Integer(u.into())
            } else {
                Cbor::Float(n.as_f64().unwrap_or(0.0))
            }
        }
        (kind, Value::Array(items)) => {
            let member = match kind {
                Some(ShapeKind::List { member, .. }) => Some(*member),
                _ => None,
            };
            Cbor::Array(items.iter().map(|v| to_cbor(service, member, v)).collect())
        }
        (kind, Value::Object(map)) => Cbor::Map(
            map.iter()
                .map(|(k, v)| {
                    let target = match kind {
                        Some(ShapeKind::Structure { members, .. }) => {
                            members.iter().find(|m| m.name == k).map(|m| m.shape)
                        }
                        Some(ShapeKind::Map { value, .. }) => Some(*value),
                        _ => None,
                    };
                    (Cbor::Text(k.clone()), to_cbor(service, target, v))
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baryon_model::servicecatalog;

    #[test]
    fn a_timestamp_goes_out_as_tag_1() {
        let service = &servicecatalog::SERVICE;
        let op = service.operation("DescribePortfolio").unwrap();
        let body = serde_json::json!({"PortfolioDetail": {"Id": "port-1", "CreatedTime": 1_700_000_000.5}});
        let cbor: Cbor = ciborium::de::from_reader(&encode(service, op.output, &body)[..]).unwrap();
        let Cbor::Map(top) = cbor else { panic!() };
        let Cbor::Map(detail) = &top[0].1 else {
            panic!()
        };
        let created = detail
            .iter()
            .find(|(k, _)| k == &Cbor::Text("CreatedTime".into()))
            .unwrap();
        assert_eq!(
            created.1,
            Cbor::Tag(1, Box::new(Cbor::Float(1_700_000_000.5)))
        );
    }

    #[test]
    fn a_request_map_becomes_json_without_nulls() {
        let mut buf = Vec::new();
        let value = Cbor::Map(vec![
            (Cbor::Text("Id".into()), Cbor::Text("prod-1".into())),
            (Cbor::Text("PageSize".into()), Cbor::Integer(5.into())),
            (Cbor::Text("PageToken".into()), Cbor::Null),
            (
                Cbor::Text("When".into()),
                Cbor::Tag(1, Box::new(Cbor::Integer(10.into()))),
            ),
        ]);
        ciborium::ser::into_writer(&value, &mut buf).unwrap();
        assert_eq!(
            decode(&buf).unwrap(),
            serde_json::json!({"Id": "prod-1", "PageSize": 5, "When": 10})
        );
    }

    #[test]
    fn an_empty_body_is_an_empty_map_and_garbage_is_a_serialization_error() {
        assert_eq!(decode(b"").unwrap(), serde_json::json!({}));
        assert_eq!(
            decode(b"\xff\x00").unwrap_err().aws_type(),
            "SerializationException"
        );
        assert_eq!(
            decode(b"\x01").unwrap_err().aws_type(),
            "SerializationException"
        );
    }
}
