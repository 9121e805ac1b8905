//! `getObject`: the items in one object (a JSON array, JSON Lines or CSV), read from the
//! body as it streams in.
//!
//! A page starts at its cursor's byte offset with a ranged GET (`Range: bytes=N-`) and
//! drops the body once the page is full, so a page downloads little more than its own
//! items. Cursors (`ETag` pins the object: a page of an object replaced since the first
//! page fails rather than mixing two files, through `If-Match`):
//!
//! | `InputType` | cursor |
//! |---|---|
//! | `JSON` | `{"Offset": <byte after the ',' that ends the last item>, "Index": <items before it>, "ETag"}` |
//! | `JSONL` | `{"Offset": <first byte of the next line>, "Line": <lines before it>, "ETag"}` |
//! | `CSV` | `{"Offset": <first byte of the next record>, "Row": <records before it>, "Headers": [..] (FIRST_ROW only), "ETag"}` |
//!
//! `Index`, `Line` and `Row` only keep error messages numbering as in the whole file.
//! JSON Lines and CSV return no cursor when the page ends at the object's last byte; when
//! only blank lines follow, the next page comes back empty, without a cursor. A JSON array
//! knows exactly: its closing `]` ends it.

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_smithy_types::error::metadata::ProvideErrorMetadata as _;
use serde_json::{json, Value};
use stepwise_core::failure::Failure;

use super::csv_items::{self, CsvItems};
use super::json_array::JsonArray;
use super::json_lines::JsonLines;
use super::page::Cursor;
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

/// Reads from `cursor` (or the object's first byte) until `items` is full or the object
/// ends; returns the cursor of the next item, `None` when none follows.
pub(crate) async fn read(
    client: &aws_sdk_s3::Client,
    at: &Location<'_>,
    format: Format,
    cursor: Option<&Cursor<'_>>,
    items: &mut Items,
) -> Result<Option<Value>, Failure> {
    let what = format!("GetObject s3://{}/{}", at.bucket, at.key);
    let failed = |problem: String| reader_failed(format!("{what}: {problem}"));
    let start = match cursor {
        Some(cursor) => Start::of(cursor, &format).map_err(reader_failed)?,
        None => Start::default(),
    };
    let response = get(client, at, &start, &what).await?;
    let size = object_size(&response);
    let etag = response.e_tag().map(str::to_owned);
    let mut body = response.body;
    let mut parser = Parser::new(format, start);
    while let Some(chunk) = body.next().await {
        parser
            .feed(&chunk.map_err(|e| failed(e.to_string()))?, items)
            .map_err(&failed)?;
        if items.full() {
            // Dropping the body here closes the download: the rest is the next pages'.
            return Ok(parser.cursor(size, etag));
        }
    }
    parser.finish(items).map_err(failed)?;
    Ok(None)
}

/// Where a page starts, from its cursor.
#[derive(Debug, Default)]
struct Start {
    offset: u64,
    /// Items, lines or records before `offset`.
    count: u64,
    /// The CSV headers the first row gave.
    headers: Option<Vec<String>>,
    etag: Option<String>,
}

impl Start {
    fn of(cursor: &Cursor<'_>, format: &Format) -> Result<Self, String> {
        let (count, headers) = match format {
            Format::Json => (cursor.u64("Index")?, None),
            Format::JsonLines => (cursor.u64("Line")?, None),
            Format::Csv { headers: None, .. } => {
                let headers = cursor.optional_strings("Headers")?.ok_or_else(|| {
                    cursor.invalid("a CSV read with FIRST_ROW headers needs its 'Headers'")
                })?;
                (cursor.u64("Row")?, Some(headers))
            }
            Format::Csv { .. } => (cursor.u64("Row")?, None),
        };
        Ok(Self {
            offset: cursor.u64("Offset")?,
            count,
            headers,
            etag: cursor.optional_str("ETag")?.map(str::to_owned),
        })
    }
}

/// The object from `start.offset` on, as long as it is the one the first page read.
async fn get(
    client: &aws_sdk_s3::Client,
    at: &Location<'_>,
    start: &Start,
    what: &str,
) -> Result<GetObjectOutput, Failure> {
    client
        .get_object()
        .bucket(at.bucket)
        .key(at.key)
        .set_version_id(at.version.map(str::to_owned))
        .set_range((start.offset > 0).then(|| format!("bytes={}-", start.offset)))
        .set_if_match(start.etag.clone())
        .send()
        .await
        .map_err(|e| match e.code() {
            Some("PreconditionFailed") => reader_failed(format!(
                "{what}: the object changed since the Map's first page was read (its ETag is no longer {}).",
                start.etag.as_deref().unwrap_or_default()
            )),
            Some("InvalidRange") => reader_failed(format!(
                "{what}: the ItemReader's Page.Cursor has Offset {}, past the end of the object.",
                start.offset
            )),
            _ => s3_failure(what, &e),
        })
}

/// The whole object's size: a ranged answer's `Content-Range: bytes a-b/size`, else its
/// length.
fn object_size(response: &GetObjectOutput) -> Option<u64> {
    match response.content_range() {
        Some(range) => range.rsplit_once('/')?.1.parse().ok(),
        None => response
            .content_length()
            .and_then(|n| u64::try_from(n).ok()),
    }
}

/// The parser of one page, in its format.
#[derive(Debug)]
enum Parser {
    Json(JsonArray),
    JsonLines(JsonLines),
    Csv {
        // Boxed: the CSV parser's state is ten times the others'.
        csv: Box<CsvItems>,
        /// Whether the headers came from the first row (so the cursor carries them).
        first_row: bool,
    },
}

impl Parser {
    fn new(format: Format, start: Start) -> Self {
        let Start {
            offset,
            count,
            headers,
            ..
        } = start;
        match format {
            Format::Json if offset == 0 => Self::Json(JsonArray::new()),
            Format::Json => Self::Json(JsonArray::resume(offset, count)),
            Format::JsonLines => Self::JsonLines(JsonLines::resume(offset, count)),
            Format::Csv {
                delimiter,
                headers: given,
            } => Self::Csv {
                first_row: given.is_none(),
                csv: Box::new(CsvItems::resume(
                    delimiter,
                    given.or(headers),
                    offset,
                    count,
                )),
            },
        }
    }

    fn feed(&mut self, chunk: &[u8], items: &mut Items) -> Result<(), String> {
        match self {
            Self::Json(array) => array.feed(chunk, items),
            Self::JsonLines(lines) => lines.feed(chunk, items),
            Self::Csv { csv, .. } => csv.feed(chunk, items),
        }
    }

    fn finish(&mut self, items: &mut Items) -> Result<(), String> {
        match self {
            Self::Json(array) => array.finish(),
            Self::JsonLines(lines) => lines.finish(items),
            Self::Csv { csv, .. } => csv.finish(items),
        }
    }

    /// The cursor of the item after the last one read; `None` when the object ends there.
    fn cursor(&self, size: Option<u64>, etag: Option<String>) -> Option<Value> {
        let (offset, mut cursor) = match self {
            Self::Json(array) => {
                let (offset, index) = array.position()?;
                (offset, json!({"Offset": offset, "Index": index}))
            }
            Self::JsonLines(lines) => {
                let (offset, line) = lines.position();
                (offset, json!({"Offset": offset, "Line": line}))
            }
            Self::Csv { csv, first_row } => {
                let (offset, row) = csv.position();
                let mut cursor = json!({"Offset": offset, "Row": row});
                if *first_row {
                    cursor["Headers"] = json!(csv.headers());
                }
                (offset, cursor)
            }
        };
        if size.is_some_and(|size| offset >= size) {
            return None;
        }
        if let (Some(etag), Value::Object(fields)) = (etag, &mut cursor) {
            fields.insert("ETag".to_owned(), Value::String(etag));
        }
        Some(cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_object_size_comes_from_the_content_range_of_a_ranged_get() {
        let ranged = GetObjectOutput::builder()
            .content_range("bytes 100-199/200")
            .content_length(100)
            .build();
        assert_eq!(object_size(&ranged), Some(200));
        let whole = GetObjectOutput::builder().content_length(42).build();
        assert_eq!(object_size(&whole), Some(42));
        assert_eq!(object_size(&GetObjectOutput::builder().build()), None);
    }

    #[test]
    fn a_page_that_ends_at_the_last_byte_has_no_cursor() {
        let lines = Parser::JsonLines(JsonLines::resume(10, 2));
        assert_eq!(lines.cursor(Some(10), Some("\"e\"".into())), None);
        assert_eq!(
            lines.cursor(Some(11), Some("\"e\"".into())),
            Some(json!({"Offset": 10, "Line": 2, "ETag": "\"e\""}))
        );
        let csv = Parser::new(
            Format::Csv {
                delimiter: b',',
                headers: None,
            },
            Start {
                offset: 4,
                count: 1,
                headers: Some(vec!["a".into()]),
                etag: None,
            },
        );
        assert_eq!(
            csv.cursor(None, None),
            Some(json!({"Offset": 4, "Row": 1, "Headers": ["a"]}))
        );
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
