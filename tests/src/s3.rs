//! S3 fixtures for the Distributed Map tests: a fresh bucket per test (the emulator is
//! shared), objects put into it, and the bucket emptied and deleted at the end.

use aws_sdk_s3::primitives::ByteStream;
use futures::StreamExt as _;

use crate::harness::{unique, Harness};

/// Puts run this many at a time.
const PARALLEL: usize = 32;

/// A fresh bucket (S3 names: at most 63 lowercase characters).
pub async fn bucket(harness: &Harness, tag: &str) -> anyhow::Result<String> {
    let mut name = unique(tag).to_lowercase();
    name.truncate(63);
    let name = name.trim_end_matches('-').to_owned();
    harness.s3().create_bucket().bucket(&name).send().await?;
    Ok(name)
}

/// Empties and deletes a test's bucket.
pub async fn drop_bucket(harness: &Harness, bucket: &str) -> anyhow::Result<()> {
    let s3 = harness.s3();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token.take())
            .send()
            .await?;
        let deletes = page.contents().iter().filter_map(|o| o.key()).map(|key| {
            let s3 = &s3;
            async move { s3.delete_object().bucket(bucket).key(key).send().await }
        });
        let deleted: Vec<_> = futures::stream::iter(deletes)
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for result in deleted {
            result?;
        }
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    s3.delete_bucket().bucket(bucket).send().await?;
    Ok(())
}

pub async fn put(harness: &Harness, bucket: &str, key: &str, body: Vec<u8>) -> anyhow::Result<()> {
    harness
        .s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await?;
    Ok(())
}

/// Puts many objects, several at a time.
pub async fn put_all(
    harness: &Harness,
    bucket: &str,
    objects: impl IntoIterator<Item = (String, Vec<u8>)>,
) -> anyhow::Result<()> {
    let puts = objects
        .into_iter()
        .map(|(key, body)| async move { put(harness, bucket, &key, body).await });
    let put: Vec<anyhow::Result<()>> = futures::stream::iter(puts)
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    put.into_iter().collect()
}
