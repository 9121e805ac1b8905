//! The task registry (`--tasks FILE`): which local program answers which Task resource.
//!
//! The file is one JSON object. Each key names resources, each value says where they run:
//!
//! ```json
//! {
//!   "arn:aws:lambda:us-east-1:000000000000:function:greet": {"http": "http://127.0.0.1:3000/greet"},
//!   "function:resize": {"command": ["python3", "resize.py"]},
//!   "function:billing": {"lambda": "http://127.0.0.1:9001"},
//!   "arn:aws:states:::sqs:sendMessage": {"command": ["sh", "-c", "cat"]}
//! }
//! ```
//!
//! - A key is a `Resource` exactly as the definition writes it, or `function:<name>`,
//!   which matches every call of the Lambda function `<name>`: a bare function ARN naming
//!   it (any region, account or qualifier) and `arn:aws:states:::lambda:invoke` (with or
//!   without `.waitForTaskToken`) whose `FunctionName` names it (a name, `name:qualifier`,
//!   a partial or a full ARN). An exact key wins over a `function:` key.
//! - `{"http": URL}`: an HTTP POST (see `http.rs`); `{"command": [prog, args…]}`: a
//!   process (see `command.rs`); `{"lambda": ENDPOINT}`: the Lambda Invoke API at ENDPOINT
//!   (`cargo lambda watch`, LocalStack) through the AWS integrations themselves.

use std::collections::HashMap;

use serde_json::Value;
use stepwise_aws::tasks::{Integration, Resource};
use stepwise_core::interp::TaskRequest;

use crate::error::{member, Error, Result};

/// Where a resource runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// POST the input to this URL.
    Http(String),
    /// Run this program with these arguments.
    Command(Vec<String>),
    /// Invoke through the Lambda API at this endpoint.
    Lambda(String),
}

/// How a request reached its target: a `lambda:invoke` call sends its `Payload` and wraps
/// the answer as Lambda's Invoke response; anything else sends the parameters as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Plain,
    LambdaInvoke,
}

/// The parsed `--tasks` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registry {
    exact: HashMap<String, Target>,
    functions: HashMap<String, Target>,
}

const FUNCTION_PREFIX: &str = "function:";

impl Registry {
    /// Parses the registry's JSON text; every problem names its JSON path.
    pub fn parse(text: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::Json(e.to_string()))?;
        let Value::Object(entries) = value else {
            return Err(Error::at(
                "$",
                "must be an object mapping resources to targets",
            ));
        };
        let mut registry = Self::default();
        for (key, value) in entries {
            let path = member("$", &key);
            let target = target(&path, &value)?;
            match key.strip_prefix(FUNCTION_PREFIX) {
                Some("") => return Err(Error::at(&path, "names no function after 'function:'")),
                Some(name) => registry.functions.insert(name.to_owned(), target),
                None if key.is_empty() => return Err(Error::at(&path, "names no resource")),
                None => registry.exact.insert(key, target),
            };
        }
        Ok(registry)
    }

    pub(crate) fn targets(&self) -> impl Iterator<Item = &Target> {
        self.exact.values().chain(self.functions.values())
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.functions.is_empty()
    }

    /// The target that runs `request`, and the shape of the call.
    pub fn lookup(&self, request: &TaskRequest) -> Option<(&Target, Shape)> {
        let shape = match Resource::parse(&request.resource) {
            Ok(Resource::Service {
                integration: Integration::LambdaInvoke,
                ..
            }) => Shape::LambdaInvoke,
            _ => Shape::Plain,
        };
        if let Some(target) = self.exact.get(&request.resource) {
            return Some((target, shape));
        }
        let name = function_name(request, shape)?;
        self.functions.get(name).map(|target| (target, shape))
    }
}

/// The function a request calls: a bare function ARN's name, or `lambda:invoke`'s
/// `FunctionName` (`name`, `name:qualifier`, `account:function:name`, or an ARN).
fn function_name(request: &TaskRequest, shape: Shape) -> Option<&str> {
    let named = match shape {
        Shape::LambdaInvoke => request.parameters.get("FunctionName")?.as_str()?,
        Shape::Plain => match Resource::parse(&request.resource) {
            Ok(Resource::LambdaFunction { .. }) => request.resource.as_str(),
            _ => return None,
        },
    };
    let after = named
        .split_once(":function:")
        .map_or(named, |(_, rest)| rest);
    after.split(':').next().filter(|n| !n.is_empty())
}

fn target(path: &str, value: &Value) -> Result<Target> {
    let Value::Object(fields) = value else {
        return Err(Error::at(
            path,
            r#"must be an object: {"http": URL}, {"command": [PROGRAM, ARG…]} or {"lambda": ENDPOINT}"#,
        ));
    };
    let mut kinds = fields.iter();
    let (Some((kind, body)), None) = (kinds.next(), kinds.next()) else {
        return Err(Error::at(
            path,
            "must have exactly one field: \"http\", \"command\" or \"lambda\"",
        ));
    };
    let at = member(path, kind);
    match kind.as_str() {
        "http" => Ok(Target::Http(http_url(&at, body)?)),
        "lambda" => Ok(Target::Lambda(http_url(&at, body)?)),
        "command" => {
            let Some(items) = body.as_array().filter(|items| !items.is_empty()) else {
                return Err(Error::at(
                    &at,
                    "must be a non-empty array of strings: the program, then its arguments",
                ));
            };
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    item.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| Error::at(&format!("{at}[{i}]"), "must be a string"))
                })
                .collect::<Result<Vec<_>>>()
                .map(Target::Command)
        }
        other => Err(Error::at(
            path,
            format!("unknown target '{other}': expected \"http\", \"command\" or \"lambda\""),
        )),
    }
}

/// An `http://` URL (the local targets are plain HTTP; TLS adds nothing on loopback).
fn http_url(path: &str, value: &Value) -> Result<String> {
    let Some(url) = value.as_str() else {
        return Err(Error::at(path, "must be a URL string"));
    };
    match url.parse::<hyper::Uri>() {
        Ok(uri) if uri.scheme_str() == Some("http") && uri.host().is_some() => Ok(url.to_owned()),
        Ok(_) => Err(Error::at(
            path,
            format!("'{url}' is not an http:// URL with a host"),
        )),
        Err(e) => Err(Error::at(path, format!("'{url}' is not a URL: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(resource: &str, parameters: Value) -> TaskRequest {
        TaskRequest::new("S", resource, parameters)
    }

    #[test]
    fn matches_exact_resources_and_functions_by_name() {
        let registry = Registry::parse(
            r#"{"function:greet": {"http": "http://127.0.0.1:1/g"},
                "arn:aws:lambda:us-east-1:000000000000:function:greet": {"command": ["cat"]}}"#,
        )
        .unwrap();
        let by_name = Target::Http("http://127.0.0.1:1/g".into());
        let exact = Target::Command(vec!["cat".into()]);
        let cases = [
            (
                "arn:aws:lambda:us-east-1:000000000000:function:greet",
                json!({}),
                Some((&exact, Shape::Plain)),
            ),
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:greet:live",
                json!({}),
                Some((&by_name, Shape::Plain)),
            ),
            (
                "arn:aws:states:::lambda:invoke",
                json!({"FunctionName": "greet:2"}),
                Some((&by_name, Shape::LambdaInvoke)),
            ),
            (
                "arn:aws:states:::lambda:invoke.waitForTaskToken",
                json!({"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:greet"}),
                Some((&by_name, Shape::LambdaInvoke)),
            ),
            (
                "arn:aws:states:::lambda:invoke",
                json!({"FunctionName": "other"}),
                None,
            ),
            ("arn:aws:states:::sqs:sendMessage", json!({}), None),
        ];
        for (resource, parameters, expected) in cases {
            assert_eq!(
                registry.lookup(&request(resource, parameters)),
                expected,
                "{resource}"
            );
        }
    }

    #[test]
    fn bad_entries_name_their_json_path() {
        let cases = [
            (r#"[]"#, "$: must be an object mapping resources to targets"),
            (
                r#"{"function:f": {"http": "ftp://x"}}"#,
                r#"$["function:f"].http: 'ftp://x' is not an http:// URL with a host"#,
            ),
            (
                r#"{"function:f": {"command": ["a", 1]}}"#,
                r#"$["function:f"].command[1]: must be a string"#,
            ),
            (
                r#"{"function:": {"command": ["a"]}}"#,
                r#"$["function:"]: names no function after 'function:'"#,
            ),
            (
                r#"{"x": {"grpc": "y"}}"#,
                r#"$.x: unknown target 'grpc': expected "http", "command" or "lambda""#,
            ),
            (
                r#"{"x": {"http": "http://a", "command": ["b"]}}"#,
                r#"$.x: must have exactly one field: "http", "command" or "lambda""#,
            ),
        ];
        for (text, message) in cases {
            assert_eq!(
                Registry::parse(text).unwrap_err().to_string(),
                message,
                "{text}"
            );
        }
    }
}
