//! A Distributed Map's `ResultWriter` (`arn:aws:states:::s3:putObject`): the children's
//! results as AWS lays them out under `<Prefix>/<map run id>/`: `SUCCEEDED_0.json`,
//! `FAILED_0.json`, `PENDING_0.json` (each written only when it has results) and
//! `manifest.json` naming them. The request is the core's (see
//! `stepwise_core::interp::RESULT_WRITER_RESOURCE`); the answer is the Map's result,
//! `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`.

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{json, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::{TaskRequest, RESULT_WRITER_FAILED};

use super::errors::from_sdk;
use super::S3;

/// The statuses a result file is written for, in the order AWS's manifest lists them.
const STATUSES: [&str; 3] = ["FAILED", "PENDING", "SUCCEEDED"];

pub(crate) async fn write(
    client: &aws_sdk_s3::Client,
    request: &TaskRequest,
) -> Result<Value, Failure> {
    let parameters = &request.parameters["Parameters"];
    let bucket = parameters["Bucket"].as_str().ok_or_else(|| {
        writer_failed("The ResultWriter's Parameters need a string field 'Bucket'.")
    })?;
    let prefix = parameters["Prefix"].as_str().unwrap_or_default();
    let arn = request.parameters["MapRunArn"].as_str().unwrap_or_default();
    let run_id = arn.rsplit(':').next().unwrap_or_default();
    let folder = match prefix.trim_end_matches('/') {
        "" => format!("{run_id}/"),
        prefix => format!("{prefix}/{run_id}/"),
    };
    let children = request.parameters["Children"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let records: Vec<(String, Value)> = children
        .iter()
        .map(|child| {
            (
                child["Status"].as_str().unwrap_or("FAILED").to_owned(),
                record(request, arn, child),
            )
        })
        .collect();
    let mut files = json!({});
    for status in STATUSES {
        let mine: Vec<&Value> = records
            .iter()
            .filter(|(s, _)| s == status)
            .map(|(_, r)| r)
            .collect();
        let mut listed = Vec::new();
        if !mine.is_empty() {
            let key = format!("{folder}{status}_0.json");
            let body = serde_json::to_vec(&mine).unwrap_or_default();
            listed.push(json!({"Key": key, "Size": body.len()}));
            put(client, bucket, &key, body).await?;
        }
        files[status] = listed.into();
    }
    let key = format!("{folder}manifest.json");
    let manifest = json!({"DestinationBucket": bucket, "MapRunArn": arn, "ResultFiles": files});
    put(
        client,
        bucket,
        &key,
        serde_json::to_vec(&manifest).unwrap_or_default(),
    )
    .await?;
    Ok(json!({"MapRunArn": arn, "ResultWriterDetails": {"Bucket": bucket, "Key": key}}))
}

/// One child's record. Children are no executions of their own here: their ARN and name
/// are made from the Map Run's id and the child's index, and their input and dates are
/// not kept (`InputDetails.Included` is false).
fn record(request: &TaskRequest, arn: &str, child: &Value) -> Value {
    let index = child["Index"].as_u64().unwrap_or(0);
    let run_id = arn.rsplit(':').next().unwrap_or_default();
    let name = format!("{run_id}-{index}");
    let machine = request.parameters["StateMachineArn"]
        .as_str()
        .unwrap_or_default();
    let execution = format!(
        "{}:{name}",
        machine.replacen(":stateMachine:", ":execution:", 1)
    );
    let status = child["Status"].as_str().unwrap_or("FAILED");
    let mut record = json!({
        "ExecutionArn": execution,
        "InputDetails": {"Included": false},
        "Name": name,
        "RedriveCount": 0,
        "RedriveStatus": "NOT_REDRIVABLE",
        "RedriveStatusReason": format!("Execution is {status} and cannot be redriven"),
        "StateMachineArn": machine,
        "Status": status,
    });
    match status {
        "SUCCEEDED" => {
            record["Output"] = child["Output"].to_string().into();
            record["OutputDetails"] = json!({"Included": true});
        }
        _ => {
            record["Error"] = child["Error"].clone();
            record["Cause"] = child["Cause"].clone();
        }
    }
    record
}

async fn put(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
) -> Result<(), Failure> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(ByteStream::from(body))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            let failure = from_sdk(S3, &e, super::errors::by_code);
            writer_failed(format!(
                "PutObject s3://{bucket}/{key}: {}: {}",
                failure.error.unwrap_or_default(),
                failure.cause.unwrap_or_default()
            ))
        })
}

fn writer_failed(cause: impl Into<String>) -> Failure {
    Failure::new(RESULT_WRITER_FAILED, cause)
}
