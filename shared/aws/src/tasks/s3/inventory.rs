//! An S3 inventory as the item source: `manifest.json` names gzipped CSV data files (no
//! header row; the manifest's `fileSchema` names the columns), each inflated and parsed
//! chunk by chunk as it streams in.

use std::io::Write as _;

use flate2::write::GzDecoder;
use serde_json::Value;
use stepwise_core::failure::Failure;

use super::csv_items::CsvItems;
use super::{reader_failed, s3_failure, Items};

pub(crate) async fn read(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    items: &mut Items,
) -> Result<(), Failure> {
    let what = format!("S3 inventory manifest s3://{bucket}/{key}");
    let body = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| s3_failure(&what, &e))?
        .body
        .collect()
        .await
        .map_err(|e| reader_failed(format!("{what}: {e}")))?;
    let manifest: Value = serde_json::from_slice(&body.into_bytes())
        .map_err(|e| reader_failed(format!("{what} is not JSON: {e}")))?;
    let Manifest {
        bucket: data_bucket,
        headers,
        files,
    } = Manifest::parse(&manifest).map_err(|p| reader_failed(format!("{what}: {p}")))?;
    for file in files {
        read_file(client, &data_bucket, &file, &headers, items).await?;
        if items.full() {
            break;
        }
    }
    Ok(())
}

/// What the reader needs from a manifest.
#[derive(Debug, PartialEq)]
struct Manifest {
    /// Where the data files are (`destinationBucket`, an ARN).
    bucket: String,
    headers: Vec<String>,
    files: Vec<String>,
}

impl Manifest {
    fn parse(manifest: &Value) -> Result<Self, String> {
        let format = manifest.get("fileFormat").and_then(Value::as_str);
        if format != Some("CSV") {
            return Err(format!(
                "fileFormat must be CSV, not {}",
                format.unwrap_or("absent")
            ));
        }
        let bucket = manifest
            .get("destinationBucket")
            .and_then(Value::as_str)
            .map(|arn| arn.strip_prefix("arn:aws:s3:::").unwrap_or(arn).to_owned())
            .ok_or("the manifest has no destinationBucket")?;
        let headers = manifest
            .get("fileSchema")
            .and_then(Value::as_str)
            .ok_or("the manifest has no fileSchema")?
            .split(',')
            .map(|h| h.trim().to_owned())
            .collect();
        let files = manifest
            .get("files")
            .and_then(Value::as_array)
            .ok_or("the manifest has no files")?
            .iter()
            .map(|f| f.get("key").and_then(Value::as_str).map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or("a file of the manifest has no key")?;
        Ok(Self {
            bucket,
            headers,
            files,
        })
    }
}

async fn read_file(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    headers: &[String],
    items: &mut Items,
) -> Result<(), Failure> {
    let what = format!("S3 inventory file s3://{bucket}/{key}");
    let failed = |problem: String| reader_failed(format!("{what}: {problem}"));
    let mut body = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| s3_failure(&what, &e))?
        .body;
    let mut csv = CsvItems::new(b',', Some(headers.to_vec()));
    // A write-side decoder inflates whatever it is given into its buffer, which the CSV
    // parser then drains: no async adapter, and nothing kept past one chunk.
    let mut gzip = GzDecoder::new(Vec::new());
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| failed(e.to_string()))?;
        gzip.write_all(&chunk).map_err(|e| failed(e.to_string()))?;
        let inflated = std::mem::take(gzip.get_mut());
        csv.feed(&inflated, items).map_err(&failed)?;
        if items.full() {
            return Ok(());
        }
    }
    let rest = gzip.finish().map_err(|e| failed(e.to_string()))?;
    csv.feed(&rest, items).map_err(&failed)?;
    csv.finish(items).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_manifest_names_the_data_files_and_their_columns() {
        let manifest = json!({
            "sourceBucket": "src",
            "destinationBucket": "arn:aws:s3:::inventory",
            "fileFormat": "CSV",
            "fileSchema": "Bucket, Key, Size",
            "files": [{"key": "inv/data/1.csv.gz", "size": 10, "MD5checksum": "x"}]
        });
        assert_eq!(
            Manifest::parse(&manifest),
            Ok(Manifest {
                bucket: "inventory".into(),
                headers: vec!["Bucket".into(), "Key".into(), "Size".into()],
                files: vec!["inv/data/1.csv.gz".into()],
            })
        );
        let orc = json!({"fileFormat": "ORC"});
        assert!(Manifest::parse(&orc).unwrap_err().contains("CSV"));
    }
}
