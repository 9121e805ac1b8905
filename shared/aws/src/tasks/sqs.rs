//! SQS: `arn:aws:states:::sqs:sendMessage`.
//!
//! `MessageBody` is sent as is when it is a string and serialised when it is other JSON.
//! The result is SendMessage's response as the AWS SDK for Java shows it
//! (`MD5OfMessageBody`, `MessageId`, `SdkHttpMetadata`, `SdkResponseMetadata`, …).
//! Service errors are named after the Java SDK's exception classes
//! (`SQS.QueueDoesNotExistException`; unmodelled ones `SQS.AmazonSQSException`).

use aws_sdk_sqs::operation::send_message::{SendMessageError, SendMessageOutput};
use aws_sdk_sqs::types::MessageAttributeValue;
use aws_smithy_types::Blob;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{Map, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;

use super::errors::{self, SQS};
use super::http::{Capture, HttpMeta};
use super::params::Params;

const SEND_FIELDS: &[&str] = &[
    "QueueUrl",
    "MessageBody",
    "DelaySeconds",
    "MessageAttributes",
    "MessageGroupId",
    "MessageDeduplicationId",
];

pub async fn send_message(
    client: &aws_sdk_sqs::Client,
    request: &TaskRequest,
) -> Result<Value, Failure> {
    let params = Params::new(
        &request.state,
        &request.resource,
        &request.parameters,
        SEND_FIELDS,
    )?;
    let mut call = client
        .send_message()
        .queue_url(params.required_string("QueueUrl")?)
        .message_body(message_body(params.required("MessageBody")?));
    if let Some(delay) = params.i32("DelaySeconds")? {
        call = call.delay_seconds(delay);
    }
    if let Some(attributes) = params.object("MessageAttributes")? {
        for (name, value) in attributes {
            let attribute = message_attribute(value).map_err(|problem| {
                params.invalid(format!("MessageAttributes.{name}: {problem}"))
            })?;
            call = call.message_attributes(name, attribute);
        }
    }
    if let Some(group) = params.string("MessageGroupId")? {
        call = call.message_group_id(group);
    }
    if let Some(id) = params.string("MessageDeduplicationId")? {
        call = call.message_deduplication_id(id);
    }
    let capture = Capture::new();
    let output = call
        .customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(|e| errors::from_sdk(SQS, &e, |err, _| error_name(err)))?;
    Ok(send_result(&output, &capture.take()))
}

/// The text sent: a string as is, other JSON serialised compactly.
pub fn message_body(body: &Value) -> String {
    match body {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `{"DataType", "StringValue" | "BinaryValue" (base64) | "StringListValues" |
/// "BinaryListValues"}`.
pub fn message_attribute(value: &Value) -> Result<MessageAttributeValue, String> {
    let Value::Object(fields) = value else {
        return Err(format!("expected an object, got {value}"));
    };
    let string = |name: &str| -> Result<Option<String>, String> {
        match fields.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("'{name}' must be a string, got {other}")),
        }
    };
    let blob = |text: &str| {
        BASE64
            .decode(text)
            .map(Blob::new)
            .map_err(|e| format!("binary values must be base64: {e}"))
    };
    let list = |name: &str| -> Result<Vec<String>, String> {
        match fields.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or(format!("'{name}' must hold strings, got {v}"))
                })
                .collect(),
            Some(other) => Err(format!("'{name}' must be an array, got {other}")),
        }
    };
    for name in fields.keys() {
        if ![
            "DataType",
            "StringValue",
            "BinaryValue",
            "StringListValues",
            "BinaryListValues",
        ]
        .contains(&name.as_str())
        {
            return Err(format!("unknown field '{name}'"));
        }
    }
    let mut builder = MessageAttributeValue::builder()
        .set_data_type(string("DataType")?)
        .set_string_value(string("StringValue")?);
    if let Some(binary) = string("BinaryValue")? {
        builder = builder.binary_value(blob(&binary)?);
    }
    for value in list("StringListValues")? {
        builder = builder.string_list_values(value);
    }
    for value in list("BinaryListValues")? {
        builder = builder.binary_list_values(blob(&value)?);
    }
    builder.build().map_err(|e| e.to_string())
}

/// SendMessage's result, keys in the order AWS prints them.
pub fn send_result(output: &SendMessageOutput, http: &HttpMeta) -> Value {
    let mut result = Map::new();
    let mut put = |key: &str, value: &Option<String>| {
        if let Some(value) = value {
            result.insert(key.into(), value.clone().into());
        }
    };
    put("MD5OfMessageAttributes", &output.md5_of_message_attributes);
    put("MD5OfMessageBody", &output.md5_of_message_body);
    put(
        "MD5OfMessageSystemAttributes",
        &output.md5_of_message_system_attributes,
    );
    put("MessageId", &output.message_id);
    http.add_to(&mut result);
    if let Some(sequence) = &output.sequence_number {
        result.insert("SequenceNumber".into(), sequence.clone().into());
    }
    Value::Object(result)
}

/// The Java SDK's exception class for an SQS error.
fn error_name(error: &SendMessageError) -> String {
    let name = match error {
        SendMessageError::QueueDoesNotExist(_) => "QueueDoesNotExistException",
        SendMessageError::InvalidMessageContents(_) => "InvalidMessageContentsException",
        SendMessageError::UnsupportedOperation(_) => "UnsupportedOperationException",
        SendMessageError::RequestThrottled(_) => "RequestThrottledException",
        SendMessageError::InvalidSecurity(_) => "InvalidSecurityException",
        SendMessageError::InvalidAddress(_) => "InvalidAddressException",
        SendMessageError::KmsAccessDenied(_) => "KmsAccessDeniedException",
        SendMessageError::KmsDisabled(_) => "KmsDisabledException",
        SendMessageError::KmsInvalidKeyUsage(_) => "KmsInvalidKeyUsageException",
        SendMessageError::KmsInvalidState(_) => "KmsInvalidStateException",
        SendMessageError::KmsNotFound(_) => "KmsNotFoundException",
        SendMessageError::KmsOptInRequired(_) => "KmsOptInRequiredException",
        SendMessageError::KmsThrottled(_) => "KmsThrottledException",
        _ => "AmazonSQSException",
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bodies_are_strings_or_serialised_json() {
        assert_eq!(message_body(&json!("as is")), "as is");
        assert_eq!(message_body(&json!({"a": [1, "b"]})), r#"{"a":[1,"b"]}"#);
        assert_eq!(message_body(&json!(3)), "3");
    }

    #[test]
    fn attributes_convert_with_binary_as_base64() {
        let attribute =
            message_attribute(&json!({"DataType": "Binary", "BinaryValue": "AAE="})).unwrap();
        assert_eq!(attribute.data_type(), "Binary");
        assert_eq!(attribute.binary_value().unwrap().as_ref(), &[0, 1]);
        let attribute =
            message_attribute(&json!({"DataType": "String", "StringValue": "v"})).unwrap();
        assert_eq!(attribute.string_value(), Some("v"));
        assert!(message_attribute(&json!({"StringValue": "v"})).is_err());
        assert_eq!(
            message_attribute(&json!({"DataType": "String", "Nope": 1})).unwrap_err(),
            "unknown field 'Nope'"
        );
    }

    #[test]
    fn the_result_has_aws_shape() {
        let output = SendMessageOutput::builder()
            .message_id("m-1")
            .md5_of_message_body("abc")
            .build();
        let result = send_result(
            &output,
            &HttpMeta {
                status: 200,
                headers: Vec::new(),
            },
        );
        let keys: Vec<&String> = result.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "MD5OfMessageBody",
                "MessageId",
                "SdkHttpMetadata",
                "SdkResponseMetadata"
            ]
        );
    }
}
