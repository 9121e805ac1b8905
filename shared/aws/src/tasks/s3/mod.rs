//! A Distributed Map's `ItemReader` on S3: the core asks for the items as a task whose
//! resource is the reader (`arn:aws:states:::s3:getObject` or `…:s3:listObjectsV2`) and
//! whose parameters are `{"Parameters": {Bucket, Key | Prefix}, "ReaderConfig": {…}}`.
//!
//! | reader | items |
//! |---|---|
//! | `listObjectsV2` (`Bucket`, `Prefix`) | `{Etag, Key, LastModified, Size, StorageClass}` per object, every page |
//! | `getObject`, `InputType: JSON` (the default) | the elements of the object's JSON array |
//! | `getObject`, `InputType: JSONL` | each non-empty line, parsed |
//! | `getObject`, `InputType: CSV` | `{header: field}` per row; headers from the first row or `CSVHeaders` |
//! | `getObject`, `InputType: MANIFEST` | the rows of an S3 inventory's gzipped CSV files, keyed by its `fileSchema` |
//!
//! Bodies are read as they stream in (JSONL and CSV row by row, a JSON array element by
//! element, gzip inflated chunk by chunk) and reading stops at `MaxItems`. Any failure is
//! `States.ItemReaderFailed` with the S3 error as AWS words it.
//!
//! ## Pages
//!
//! With `"Page": {"Size": n, "Cursor": c}` beside `ReaderConfig`, the answer is one page,
//! `{"Items": [...], "Cursor": next}`: at most `min(n, MaxItems)` items from where `c`
//! points (`null`: the source's start), and the cursor of the item after them, `null` when
//! none follows. A page may end exactly at the source's end and still carry a cursor
//! (when the reader cannot tell cheaply); the next page is then empty with a `null`
//! cursor. The caller passes `next` back verbatim and lowers `MaxItems` by what it has
//! read. A page reads from its cursor's position (S3's `StartAfter`, a ranged GET) and
//! stops at its last item, so its work and memory are those of one page. Cursors are
//! small JSON objects, never items:
//!
//! | reader | cursor |
//! |---|---|
//! | `listObjectsV2` | `{"StartAfter": <last key returned>}` ([`list`]) |
//! | `getObject` JSON, JSONL, CSV | `{"Offset": <byte of the next item>, "Index" / "Line" / "Row", "Headers" (CSV FIRST_ROW), "ETag"}` ([`object`]) |
//! | `getObject` MANIFEST | `{"File": i, "Row": r}`; gzip cannot seek, so file `i` is inflated again and `r` rows skipped ([`inventory`]) |
//!
//! A cursor that is not one the reader returned (a missing field, an offset past the
//! object) is `States.ItemReaderFailed` saying so.

mod csv_items;
mod inventory;
mod json_array;
mod json_lines;
mod list;
mod object;
mod page;
mod writer;

pub(crate) use writer::write;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::{json, Value};
use stepwise_core::failure::{names, Failure};
use stepwise_core::interp::TaskRequest;

use self::page::Page;
use super::errors::{self, Service};

pub(crate) const GET_OBJECT: &str = "arn:aws:states:::s3:getObject";
pub(crate) const LIST_OBJECTS: &str = "arn:aws:states:::s3:listObjectsV2";

const S3: Service = Service {
    prefix: "S3",
    java_name: "Amazon S3",
};

/// Whether `resource` is the result writer (it exists for nothing else).
pub(crate) fn is_writer(resource: &str) -> bool {
    resource == stepwise_core::interp::RESULT_WRITER_RESOURCE
}

/// Whether `resource` is an item reader (these resources exist for nothing else).
pub(crate) fn is_reader(resource: &str) -> bool {
    resource == GET_OBJECT || resource == LIST_OBJECTS
}

/// Reads a Map's items as the request describes them.
pub(crate) async fn read(
    client: &aws_sdk_s3::Client,
    request: &TaskRequest,
) -> Result<Value, Failure> {
    let parameters = request.parameters.get("Parameters").unwrap_or(&Value::Null);
    let config = request
        .parameters
        .get("ReaderConfig")
        .unwrap_or(&Value::Null);
    let max = config
        .get("MaxItems")
        .and_then(Value::as_u64)
        .filter(|n| *n > 0)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let page = Page::of(&request.parameters).map_err(reader_failed)?;
    // A page holds no more than what is left of MaxItems (the caller lowers it page by
    // page). Readers stop the moment `items` is full, so their cursor points just past
    // the last item returned, never past an item dropped for lack of room.
    let limit = match &page {
        Some(page) => Some(max.map_or(page.size, |max| max.min(page.size))),
        None => max,
    };
    let cursor = page.as_ref().and_then(|p| p.cursor.as_ref());
    let mut items = Items::new(limit);
    let bucket = required(parameters, "Bucket")?;
    let next = if request.resource == LIST_OBJECTS {
        let prefix = parameters.get("Prefix").and_then(Value::as_str);
        list::read(client, bucket, prefix, cursor, &mut items).await?
    } else {
        let key = required(parameters, "Key")?;
        let version = parameters.get("VersionId").and_then(Value::as_str);
        match config
            .get("InputType")
            .and_then(Value::as_str)
            .unwrap_or("JSON")
        {
            "MANIFEST" => inventory::read(client, bucket, key, cursor, &mut items).await?,
            input_type => {
                let format = object::Format::of(input_type, config).map_err(reader_failed)?;
                let location = object::Location {
                    bucket,
                    key,
                    version,
                };
                object::read(client, &location, format, cursor, &mut items).await?
            }
        }
    };
    Ok(match page {
        None => Value::Array(items.into_vec()),
        Some(_) => json!({"Items": items.into_vec(), "Cursor": next}),
    })
}

fn required<'a>(parameters: &'a Value, field: &str) -> Result<&'a str, Failure> {
    parameters
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| {
            reader_failed(format!(
                "The ItemReader's Parameters need a string field '{field}'."
            ))
        })
}

/// The items read so far, up to `MaxItems` or the page's size.
#[derive(Debug)]
pub(crate) struct Items {
    items: Vec<Value>,
    max: Option<usize>,
}

impl Items {
    pub(crate) fn new(max: Option<usize>) -> Self {
        Self {
            items: Vec::new(),
            max,
        }
    }

    /// Adds an item unless `MaxItems` are already read.
    pub(crate) fn push(&mut self, item: Value) {
        if !self.full() {
            self.items.push(item);
        }
    }

    /// How many more items fit; `None` without a limit.
    pub(crate) fn room(&self) -> Option<usize> {
        self.max.map(|max| max.saturating_sub(self.items.len()))
    }

    /// Whether `MaxItems` are read: the reader stops fetching.
    pub(crate) fn full(&self) -> bool {
        self.max.is_some_and(|max| self.items.len() >= max)
    }

    pub(crate) fn into_vec(self) -> Vec<Value> {
        self.items
    }
}

pub(crate) fn reader_failed(cause: impl Into<String>) -> Failure {
    Failure::new(names::ITEM_READER_FAILED, cause)
}

/// An S3 call's error as the cause of `States.ItemReaderFailed`.
pub(crate) fn s3_failure<E>(what: &str, error: &SdkError<E, Response>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let failure = errors::from_sdk(S3, error, errors::by_code);
    let detail = failure.cause.unwrap_or_default();
    let code = failure.error.unwrap_or_default();
    reader_failed(format!("{what}: {code}: {detail}"))
}
