//! DynamoDB JSON (`{"S": "x"}`, `{"N": "1"}`, `{"M": {…}}`) ↔ the SDK's `AttributeValue`,
//! exactly: numbers stay strings (DynamoDB keeps 38 digits), binaries are base64, sets
//! and lists keep their order. Map keys come out sorted (the SDK's map has no order).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::Blob;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{Map, Value};

/// Why a JSON value is not DynamoDB JSON, and where (`Item.tags.L[1]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct Invalid {
    pub path: String,
    pub problem: String,
}

fn invalid(path: &str, problem: impl Into<String>) -> Invalid {
    Invalid {
        path: path.to_owned(),
        problem: problem.into(),
    }
}

/// A map of attributes (`Key`, `Item`, `ExpressionAttributeValues`); `path` names it.
pub fn map_from_json(
    value: &Map<String, Value>,
    path: &str,
) -> Result<HashMap<String, AttributeValue>, Invalid> {
    value
        .iter()
        .map(|(name, v)| Ok((name.clone(), from_json(v, &format!("{path}.{name}"))?)))
        .collect()
}

/// One attribute value.
pub fn from_json(value: &Value, path: &str) -> Result<AttributeValue, Invalid> {
    let Value::Object(fields) = value else {
        return Err(invalid(
            path,
            format!("expected an attribute value object like {{\"S\": \"…\"}}, got {value}"),
        ));
    };
    let mut entries = fields.iter();
    let (Some((kind, inner)), None) = (entries.next(), entries.next()) else {
        return Err(invalid(
            path,
            "an attribute value must have exactly one of S, N, B, SS, NS, BS, M, L, NULL, BOOL",
        ));
    };
    let at = format!("{path}.{kind}");
    let string = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| invalid(&at, format!("expected a string, got {v}")))
    };
    let blob = |v: &Value| -> Result<Blob, Invalid> {
        let text = string(v)?;
        BASE64
            .decode(text.as_bytes())
            .map(Blob::new)
            .map_err(|e| invalid(&at, format!("not base64: {e}")))
    };
    let array = |v| array_at(v, &at);
    Ok(match kind.as_str() {
        "S" => AttributeValue::S(string(inner)?),
        "N" => AttributeValue::N(string(inner)?),
        "B" => AttributeValue::B(blob(inner)?),
        "SS" => AttributeValue::Ss(array(inner)?.iter().map(string).collect::<Result<_, _>>()?),
        "NS" => AttributeValue::Ns(array(inner)?.iter().map(string).collect::<Result<_, _>>()?),
        "BS" => AttributeValue::Bs(array(inner)?.iter().map(blob).collect::<Result<_, _>>()?),
        "L" => AttributeValue::L(
            array(inner)?
                .iter()
                .enumerate()
                .map(|(i, v)| from_json(v, &format!("{at}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        "M" => match inner {
            Value::Object(map) => AttributeValue::M(map_from_json(map, &at)?),
            other => return Err(invalid(&at, format!("expected an object, got {other}"))),
        },
        "NULL" => match inner {
            Value::Bool(b) => AttributeValue::Null(*b),
            other => return Err(invalid(&at, format!("expected a boolean, got {other}"))),
        },
        "BOOL" => match inner {
            Value::Bool(b) => AttributeValue::Bool(*b),
            other => return Err(invalid(&at, format!("expected a boolean, got {other}"))),
        },
        other => return Err(invalid(path, format!("unknown attribute type '{other}'"))),
    })
}

fn array_at<'v>(value: &'v Value, at: &str) -> Result<&'v Vec<Value>, Invalid> {
    value
        .as_array()
        .ok_or_else(|| invalid(at, format!("expected an array, got {value}")))
}

/// A map of attributes as DynamoDB JSON, keys sorted.
pub fn map_to_json(map: &HashMap<String, AttributeValue>) -> Value {
    let mut names: Vec<&String> = map.keys().collect();
    names.sort();
    Value::Object(
        names
            .into_iter()
            .map(|name| (name.clone(), to_json(&map[name])))
            .collect(),
    )
}

pub fn to_json(value: &AttributeValue) -> Value {
    let b64 = |blob: &Blob| Value::String(BASE64.encode(blob.as_ref()));
    let strings =
        |items: &[String]| Value::Array(items.iter().cloned().map(Value::String).collect());
    let (kind, inner) = match value {
        AttributeValue::S(s) => ("S", Value::String(s.clone())),
        AttributeValue::N(n) => ("N", Value::String(n.clone())),
        AttributeValue::B(b) => ("B", b64(b)),
        AttributeValue::Ss(items) => ("SS", strings(items)),
        AttributeValue::Ns(items) => ("NS", strings(items)),
        AttributeValue::Bs(items) => ("BS", Value::Array(items.iter().map(b64).collect())),
        AttributeValue::L(items) => ("L", Value::Array(items.iter().map(to_json).collect())),
        AttributeValue::M(map) => ("M", map_to_json(map)),
        AttributeValue::Null(b) => ("NULL", Value::Bool(*b)),
        AttributeValue::Bool(b) => ("BOOL", Value::Bool(*b)),
        // A type newer than this SDK: nothing faithful to show.
        _ => ("NULL", Value::Bool(true)),
    };
    let mut object = Map::new();
    object.insert(kind.to_owned(), inner);
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_type_round_trips_exactly() {
        let item = json!({
            "b": {"B": "AAEC/w=="},
            "bool": {"BOOL": false},
            "bs": {"BS": ["AQ==", "Ag=="]},
            "l": {"L": [{"S": "x"}, {"N": "1"}, {"L": []}]},
            "m": {"M": {"a": {"NULL": true}, "z": {"SS": ["q", "p"]}}},
            "n": {"N": "12345678901234567890123456789012345678"},
            "ns": {"NS": ["1.5", "-0"]},
            "null": {"NULL": true},
            "s": {"S": "héllo"},
            "ss": {"SS": ["b", "a"]}
        });
        let map = map_from_json(item.as_object().unwrap(), "Item").unwrap();
        assert_eq!(
            map["n"],
            AttributeValue::N("12345678901234567890123456789012345678".into())
        );
        assert_eq!(map["b"], AttributeValue::B(Blob::new(vec![0, 1, 2, 255])));
        assert_eq!(map_to_json(&map), item);
    }

    #[test]
    fn map_keys_come_out_sorted() {
        let map = HashMap::from([
            ("zeta".to_owned(), AttributeValue::S("z".into())),
            ("alpha".to_owned(), AttributeValue::S("a".into())),
        ]);
        let keys: Vec<String> = map_to_json(&map)
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["alpha", "zeta"]);
    }

    #[test]
    fn problems_name_the_path() {
        let cases = [
            (
                json!({"id": "x"}),
                "Key.id",
                "expected an attribute value object",
            ),
            (
                json!({"id": {"S": 1}}),
                "Key.id.S",
                "expected a string, got 1",
            ),
            (
                json!({"id": {"N": 1}}),
                "Key.id.N",
                "expected a string, got 1",
            ),
            (
                json!({"id": {"S": "a", "N": "1"}}),
                "Key.id",
                "exactly one of",
            ),
            (
                json!({"id": {"X": "a"}}),
                "Key.id",
                "unknown attribute type 'X'",
            ),
            (json!({"id": {"B": "%%"}}), "Key.id.B", "not base64"),
            (
                json!({"id": {"L": [{"S": "a"}, {"BOOL": "yes"}]}}),
                "Key.id.L[1].BOOL",
                "expected a boolean",
            ),
            (
                json!({"id": {"M": {"in": {}}}}),
                "Key.id.M.in",
                "exactly one of",
            ),
        ];
        for (value, path, problem) in cases {
            let error = map_from_json(value.as_object().unwrap(), "Key").unwrap_err();
            assert_eq!(error.path, path, "{value}");
            assert!(
                error.problem.contains(problem),
                "{value}: {}",
                error.problem
            );
        }
    }
}
