//! `listObjectsV2`: one item per object under a prefix, S3 page after S3 page.
//!
//! Paged reads resume with `{"StartAfter": "<last key returned>"}`: S3's own `StartAfter`
//! (keys sort in UTF-8 byte order, the order S3 lists them in), so a page costs one
//! listing call per 1,000 keys it returns and nothing before it.

use aws_smithy_types::date_time::DateTime;
use serde_json::{json, Value};
use stepwise_core::failure::Failure;

use super::page::Cursor;
use super::{reader_failed, s3_failure, Items};

/// S3 lists at most this many keys per call.
const LIST_LIMIT: usize = 1000;

/// Reads from `cursor` (or the first key) until `items` is full or the listing ends;
/// returns the cursor of the next key, `None` when S3 has no key after the last returned.
pub(crate) async fn read(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: Option<&str>,
    cursor: Option<&Cursor<'_>>,
    items: &mut Items,
) -> Result<Option<Value>, Failure> {
    let mut start_after = cursor
        .map(|c| c.str("StartAfter").map(str::to_owned))
        .transpose()
        .map_err(reader_failed)?;
    let mut token = None;
    loop {
        // No more keys than the page still needs: a page of 7 lists 7 keys, not 1,000.
        let wanted = items.room().map(|n| n.min(LIST_LIMIT));
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .set_prefix(prefix.map(str::to_owned))
            // Only the first call: a continuation token already encodes the position.
            .set_start_after(start_after.take())
            .set_continuation_token(token.take())
            .set_max_keys(wanted.map(|n| i32::try_from(n).unwrap_or(i32::MAX)))
            .send()
            .await
            .map_err(|e| s3_failure(&format!("ListObjectsV2 on bucket '{bucket}'"), &e))?;
        let objects = page.contents();
        for (i, object) in objects.iter().enumerate() {
            items.push(item(object));
            if items.full() {
                if i + 1 == objects.len() && page.next_continuation_token().is_none() {
                    return Ok(None);
                }
                let key = object.key().ok_or_else(|| {
                    reader_failed(format!(
                        "ListObjectsV2 on bucket '{bucket}' listed an object without a key."
                    ))
                })?;
                return Ok(Some(json!({"StartAfter": key})));
            }
        }
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            return Ok(None);
        }
    }
}

/// `{Etag, Key, LastModified, Size, StorageClass}`, LastModified in epoch seconds.
fn item(object: &aws_sdk_s3::types::Object) -> Value {
    json!({
        "Etag": object.e_tag(),
        "Key": object.key(),
        "LastModified": object.last_modified().map(DateTime::secs),
        "Size": object.size(),
        "StorageClass": object.storage_class().map(|c| c.as_str()),
    })
}
