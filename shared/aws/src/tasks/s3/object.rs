//! `getObject`: the items in one object (a JSON array, JSON Lines or CSV), read from the
//! body as it streams in.

use serde_json::Value;
use stepwise_core::failure::Failure;

use super::csv_items::{self, CsvItems};
use super::{reader_failed, s3_failure, Items};

/// Which object to read.
#[derive(Debug)]
pub(crate) struct Location<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub version: Option<&'a str>,
}

/// How the object holds its items (`ReaderConfig.InputType` and the CSV settings).
#[derive(Debug)]
pub(crate) enum Format {
    Json,
    JsonLines,
    Csv {
        delimiter: u8,
        /// `CSVHeaders` when `CSVHeaderLocation` is `GIVEN`; else the first row.
        headers: Option<Vec<String>>,
    },
}

impl Format {
    pub(crate) fn of(input_type: &str, config: &Value) -> Result<Self, String> {
        match input_type {
            "JSON" => Ok(Self::Json),
            "JSONL" => Ok(Self::JsonLines),
            "CSV" => {
                let delimiter =
                    csv_items::delimiter(config.get("CSVDelimiter").and_then(Value::as_str))?;
                let given =
                    config.get("CSVHeaderLocation").and_then(Value::as_str) == Some("GIVEN");
                let headers = match config.get("CSVHeaders").and_then(Value::as_array) {
                    Some(names) if given => Some(
                        names
                            .iter()
                            .map(|h| h.as_str().unwrap_or_default().to_owned())
                            .collect(),
                    ),
                    None if given => {
                        return Err("CSVHeaderLocation GIVEN needs CSVHeaders.".to_owned())
                    }
                    _ => None,
                };
                Ok(Self::Csv { delimiter, headers })
            }
            other => Err(format!("Unknown InputType '{other}'.")),
        }
    }
}

pub(crate) async fn read(
    client: &aws_sdk_s3::Client,
    at: &Location<'_>,
    format: Format,
    items: &mut Items,
) -> Result<(), Failure> {
    let what = format!("GetObject s3://{}/{}", at.bucket, at.key);
    let mut body = client
        .get_object()
        .bucket(at.bucket)
        .key(at.key)
        .set_version_id(at.version.map(str::to_owned))
        .send()
        .await
        .map_err(|e| s3_failure(&what, &e))?
        .body;
    let failed = |problem: String| reader_failed(format!("{what}: {problem}"));
    match format {
        Format::Json => {
            // A JSON array has no natural boundary to stream on: it is parsed once whole.
            let mut bytes = Vec::new();
            while let Some(chunk) = body.next().await {
                bytes.extend_from_slice(&chunk.map_err(|e| failed(e.to_string()))?);
            }
            let array: Vec<Value> = serde_json::from_slice(&bytes)
                .map_err(|e| failed(format!("the object is not a JSON array: {e}")))?;
            drop(bytes);
            for item in array {
                items.push(item);
            }
        }
        Format::JsonLines => {
            let mut lines = JsonLines::default();
            while let Some(chunk) = body.next().await {
                lines
                    .feed(&chunk.map_err(|e| failed(e.to_string()))?, items)
                    .map_err(failed)?;
                if items.full() {
                    return Ok(());
                }
            }
            lines.finish(items).map_err(failed)?;
        }
        Format::Csv { delimiter, headers } => {
            let mut csv = CsvItems::new(delimiter, headers);
            while let Some(chunk) = body.next().await {
                csv.feed(&chunk.map_err(|e| failed(e.to_string()))?, items)
                    .map_err(failed)?;
                if items.full() {
                    return Ok(());
                }
            }
            csv.finish(items).map_err(failed)?;
        }
    }
    Ok(())
}

/// JSON Lines: each complete line is parsed as it arrives; only a partial line waits.
#[derive(Debug, Default)]
struct JsonLines {
    partial: Vec<u8>,
    line: u64,
}

impl JsonLines {
    fn feed(&mut self, mut chunk: &[u8], items: &mut Items) -> Result<(), String> {
        while let Some(end) = chunk.iter().position(|&b| b == b'\n') {
            let line = if self.partial.is_empty() {
                self.parse(&chunk[..end], items)
            } else {
                self.partial.extend_from_slice(&chunk[..end]);
                let whole = std::mem::take(&mut self.partial);
                self.parse(&whole, items)
            };
            line?;
            chunk = &chunk[end + 1..];
            if items.full() {
                return Ok(());
            }
        }
        self.partial.extend_from_slice(chunk);
        Ok(())
    }

    fn finish(&mut self, items: &mut Items) -> Result<(), String> {
        let rest = std::mem::take(&mut self.partial);
        self.parse(&rest, items)
    }

    fn parse(&mut self, line: &[u8], items: &mut Items) -> Result<(), String> {
        self.line += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let item = serde_json::from_slice(line)
            .map_err(|e| format!("line {} is not JSON: {e}", self.line))?;
        items.push(item);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_lines_split_across_chunks() {
        let mut items = Items::new(None);
        let mut lines = JsonLines::default();
        lines
            .feed(b"{\"a\":1}\n{\"a\"", &mut items)
            .expect("parses");
        lines.feed(b":2}\r\n\n[3]", &mut items).expect("parses");
        lines.finish(&mut items).expect("parses");
        assert_eq!(
            items.into_vec(),
            vec![json!({"a": 1}), json!({"a": 2}), json!([3])]
        );
        let mut lines = JsonLines::default();
        let err = lines.feed(b"1\nnope\n", &mut Items::new(None)).unwrap_err();
        assert!(err.starts_with("line 2 is not JSON"), "{err}");
    }

    #[test]
    fn formats_come_from_the_reader_config() {
        let csv = Format::of(
            "CSV",
            &json!({"CSVHeaderLocation": "GIVEN", "CSVHeaders": ["x"], "CSVDelimiter": "SEMICOLON"}),
        );
        assert!(matches!(csv, Ok(Format::Csv { delimiter: b';', headers: Some(h) }) if h == ["x"]));
        assert!(Format::of("CSV", &json!({"CSVHeaderLocation": "GIVEN"})).is_err());
        assert!(Format::of("XML", &json!({})).is_err());
    }
}
