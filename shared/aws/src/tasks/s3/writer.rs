//! A Distributed Map's `ResultWriter` (`arn:aws:states:::s3:putObject`): the children's
//! results as AWS lays them out under `<Prefix>/<map run id>/`: `SUCCEEDED_0.json`,
//! `FAILED_0.json`, `PENDING_0.json` (each written only when it has results) and
//! `manifest.json` naming them. The request is the core's, its results already shaped by
//! the `WriterConfig` (see `stepwise_core::interp::RESULT_WRITER_RESOURCE`); with
//! `OutputType` `JSONL` a file holds one result a line instead of a JSON array. The
//! answer is the Map's result, `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`.
//!
//! The durable engine writes a large run's results a file at a time instead (see
//! `stepwise_engine`'s `results.rs`): a request with `"File": {"Status", "Index",
//! "Results"}` writes `<STATUS>_<Index>.json` and answers `{"Key", "Size"}`; one with
//! `"Manifest": {"FAILED": [...], "PENDING": [...], "SUCCEEDED": [...]}` (those answers)
//! writes `manifest.json` and answers the Map's result.

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
    let jsonl = request.parameters["OutputType"] == "JSONL";
    if let Some(file) = request.parameters.get("File") {
        let status = file["Status"].as_str().unwrap_or("SUCCEEDED");
        let index = file["Index"].as_u64().unwrap_or(0);
        let results = file["Results"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let key = format!("{folder}{status}_{index}.json");
        let body = body(results, jsonl);
        let size = body.len();
        put(client, bucket, &key, body).await?;
        return Ok(json!({"Key": key, "Size": size}));
    }
    let mut files = json!({});
    match request.parameters.get("Manifest") {
        // The files are written already: a file per request.
        Some(listed) => {
            for status in STATUSES {
                files[status] = listed.get(status).cloned().unwrap_or_else(|| json!([]));
            }
        }
        None => {
            for status in STATUSES {
                let results = request.parameters["Results"][status]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let mut listed = Vec::new();
                if !results.is_empty() {
                    let key = format!("{folder}{status}_0.json");
                    let body = body(results, jsonl);
                    listed.push(json!({"Key": key, "Size": body.len()}));
                    put(client, bucket, &key, body).await?;
                }
                files[status] = listed.into();
            }
        }
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

/// A result file's body: a JSON array, or JSON Lines.
fn body(results: &[Value], jsonl: bool) -> Vec<u8> {
    match jsonl {
        false => serde_json::to_vec(results).unwrap_or_default(),
        true => results
            .iter()
            .flat_map(|r| {
                let mut line = serde_json::to_vec(r).unwrap_or_default();
                line.push(b'\n');
                line
            })
            .collect(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_json_arrays_or_json_lines() {
        let results = [json!({"a": 1}), json!([2])];
        assert_eq!(body(&results, false), br#"[{"a":1},[2]]"#);
        assert_eq!(body(&results, true), b"{\"a\":1}\n[2]\n");
    }
}
