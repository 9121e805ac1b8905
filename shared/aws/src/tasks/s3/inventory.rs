//! An S3 inventory as the item source: `manifest.json` names gzipped CSV data files (no
//! header row; the manifest's `fileSchema` names the columns), each inflated and parsed
//! chunk by chunk as it streams in.
//!
//! Paged reads resume with `{"File": <index in the manifest's files>, "Row": <rows of that
//! file already returned>}`. A gzip stream cannot be entered in the middle, so a page
//! re-reads the (small) manifest, then inflates file `File` from its start and parses
//! `Row` rows without making items of them: a page costs the rows before it in its file
//! (inventory files are split by S3, so a file stays bounded). A page that ends on a
//! file's last row may return a cursor; the next page then finds that file ended.

use std::io::Write as _;

use flate2::write::GzDecoder;
use serde_json::{json, Value};
use stepwise_core::failure::Failure;

use super::csv_items::CsvItems;
use super::page::Cursor;
use super::{reader_failed, s3_failure, Items};

/// Reads from `cursor` (or the first file's first row) until `items` is full or the last
/// file ends; returns the cursor of the next row, `None` when none follows.
pub(crate) async fn read(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    cursor: Option<&Cursor<'_>>,
    items: &mut Items,
) -> Result<Option<Value>, Failure> {
    let (first, skip) = match cursor {
        Some(cursor) => (cursor.u64("File"), cursor.u64("Row")),
        None => (Ok(0), Ok(0)),
    };
    let (first, mut skip) = (first.map_err(reader_failed)?, skip.map_err(reader_failed)?);
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
    let first = usize::try_from(first).unwrap_or(usize::MAX);
    if first > 0 && first >= files.len() {
        return Err(reader_failed(format!(
            "The ItemReader's Page.Cursor names file {first} but {what} lists {} files.",
            files.len()
        )));
    }
    for (i, file) in files.iter().enumerate().skip(first) {
        let stopped = read_file(
            client,
            &data_bucket,
            file,
            &headers,
            std::mem::take(&mut skip),
            items,
        )
        .await?;
        if items.full() {
            return Ok(match stopped {
                Some(row) => Some(json!({"File": i, "Row": row})),
                None if i + 1 < files.len() => Some(json!({"File": i + 1, "Row": 0})),
                None => None,
            });
        }
    }
    Ok(None)
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

/// Reads one data file after its first `skip` rows; returns the rows read so far when
/// `items` filled before the file ended.
async fn read_file(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    headers: &[String],
    skip: u64,
    items: &mut Items,
) -> Result<Option<u64>, Failure> {
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
    let mut csv = CsvItems::new(b',', Some(headers.to_vec())).skipping(skip);
    // A write-side decoder inflates whatever it is given into its buffer, which the CSV
    // parser then drains: no async adapter, and nothing kept past one chunk.
    let mut gzip = GzDecoder::new(Vec::new());
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| failed(e.to_string()))?;
        gzip.write_all(&chunk).map_err(|e| failed(e.to_string()))?;
        let inflated = std::mem::take(gzip.get_mut());
        csv.feed(&inflated, items).map_err(&failed)?;
        if items.full() {
            return Ok(Some(csv.position().1));
        }
    }
    let rest = gzip.finish().map_err(|e| failed(e.to_string()))?;
    csv.feed(&rest, items).map_err(&failed)?;
    if items.full() {
        return Ok(Some(csv.position().1));
    }
    csv.finish(items).map_err(&failed)?;
    if csv.skipping_left() > 0 {
        return Err(failed(format!(
            "the ItemReader's Page.Cursor skips {skip} rows but the file has {}.",
            csv.position().1
        )));
    }
    Ok(None)
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
