//! `listObjectsV2`: one item per object under a prefix, page after page.

use aws_smithy_types::date_time::DateTime;
use serde_json::{json, Value};
use stepwise_core::failure::Failure;

use super::{s3_failure, Items};

pub(crate) async fn read(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: Option<&str>,
    items: &mut Items,
) -> Result<(), Failure> {
    let mut token = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .set_prefix(prefix.map(str::to_owned))
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| s3_failure(&format!("ListObjectsV2 on bucket '{bucket}'"), &e))?;
        for object in page.contents() {
            items.push(item(object));
        }
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() || items.full() {
            return Ok(());
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
