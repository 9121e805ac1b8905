//! The HTTP facts Step Functions copies into an integration's result: `SdkHttpMetadata`
//! (the response headers and status) and `SdkResponseMetadata` (the request id), as the
//! AWS SDK for Java serialises them.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Headers;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::{Map, Value};

/// A response's status and headers (names as received, values in order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpMeta {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl HttpMeta {
    pub fn from_headers(status: u16, headers: &Headers) -> Self {
        Self {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// The request id AWS services answer with (`x-amzn-RequestId`, S3-style
    /// `x-amz-request-id`), or `""`.
    pub fn request_id(&self) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| {
                k.eq_ignore_ascii_case("x-amzn-requestid")
                    || k.eq_ignore_ascii_case("x-amz-request-id")
            })
            .map_or("", |(_, v)| v.as_str())
    }

    /// `{"AllHttpHeaders": {name: [values]}, "HttpHeaders": {name: first value},
    /// "HttpStatusCode": n}`, header names spelt as AWS sends them (our HTTP client
    /// lower-cases them) and sorted case-insensitively, as the Java SDK's maps are.
    pub fn sdk_http_metadata(&self) -> Value {
        let mut names: Vec<(String, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (canonical_header(k), v.as_str()))
            .collect();
        names.sort_by_key(|(k, _)| k.to_ascii_lowercase());
        let mut all = Map::new();
        let mut first = Map::new();
        for (name, value) in names {
            match all.get_mut(&name) {
                Some(Value::Array(values)) => values.push(value.into()),
                _ => {
                    all.insert(name.clone(), Value::Array(vec![value.into()]));
                    first.insert(name, value.into());
                }
            }
        }
        let mut metadata = Map::new();
        metadata.insert("AllHttpHeaders".into(), Value::Object(all));
        metadata.insert("HttpHeaders".into(), Value::Object(first));
        metadata.insert("HttpStatusCode".into(), self.status.into());
        Value::Object(metadata)
    }

    /// `{"RequestId": …}`.
    pub fn sdk_response_metadata(&self) -> Value {
        let mut metadata = Map::new();
        metadata.insert("RequestId".into(), self.request_id().into());
        Value::Object(metadata)
    }

    /// Adds both metadata objects to an integration's result.
    pub fn add_to(&self, result: &mut Map<String, Value>) {
        result.insert("SdkHttpMetadata".into(), self.sdk_http_metadata());
        result.insert("SdkResponseMetadata".into(), self.sdk_response_metadata());
    }
}

/// AWS's spelling of the headers its services send, where it is not plain Title-Case.
const SPELLINGS: &[&str] = &[
    "x-amzn-RequestId",
    "x-amzn-Remapped-Content-Length",
    "x-amz-crc32",
    "x-amzn-ErrorType",
    "x-amzn-query-error",
];

fn canonical_header(name: &str) -> String {
    if let Some(spelt) = SPELLINGS.iter().find(|s| s.eq_ignore_ascii_case(name)) {
        return (*spelt).to_owned();
    }
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(c) => {
                    c.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// An interceptor installed on one call (`.customize().interceptor(…)`) that keeps the
/// response's status and headers: the SDK's outputs do not carry them.
#[derive(Debug, Clone, Default)]
pub struct Capture(Arc<Mutex<Option<HttpMeta>>>);

impl Capture {
    pub fn new() -> Self {
        Self::default()
    }

    /// What the last response carried (empty if none arrived).
    pub fn take(&self) -> HttpMeta {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_default()
    }
}

impl Intercept for Capture {
    fn name(&self) -> &'static str {
        "stepwise.tasks.Capture"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let meta = HttpMeta::from_headers(response.status().as_u16(), response.headers());
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(meta);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn meta(headers: &[(&str, &str)]) -> HttpMeta {
        HttpMeta {
            status: 200,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn headers_are_spelt_and_ordered_as_aws_does() {
        let meta = meta(&[
            ("x-amzn-trace-id", "root=1"),
            ("content-type", "application/json"),
            ("x-amzn-requestid", "req-1"),
            ("x-amz-executed-version", "$LATEST"),
            ("date", "Tue, 24 Nov 2026 12:00:00 GMT"),
        ]);
        let value = meta.sdk_http_metadata();
        let names: Vec<&String> = value["HttpHeaders"].as_object().unwrap().keys().collect();
        assert_eq!(
            names,
            [
                "Content-Type",
                "Date",
                "X-Amz-Executed-Version",
                "x-amzn-RequestId",
                "X-Amzn-Trace-Id"
            ]
        );
        assert_eq!(
            value["AllHttpHeaders"]["x-amzn-RequestId"],
            json!(["req-1"])
        );
        assert_eq!(value["HttpStatusCode"], json!(200));
        assert_eq!(meta.sdk_response_metadata(), json!({"RequestId": "req-1"}));
    }

    #[test]
    fn a_repeated_header_lists_every_value_and_keeps_the_first() {
        let value = meta(&[("vary", "a"), ("Vary", "b")]).sdk_http_metadata();
        assert_eq!(value["AllHttpHeaders"], json!({"Vary": ["a", "b"]}));
        assert_eq!(value["HttpHeaders"], json!({"Vary": "a"}));
    }

    #[test]
    fn no_request_id_is_an_empty_string() {
        assert_eq!(meta(&[]).sdk_response_metadata(), json!({"RequestId": ""}));
    }
}
