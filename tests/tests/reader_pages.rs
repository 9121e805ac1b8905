//! Paged reads of the Distributed Map's S3 ItemReader on the emulator: for each reader,
//! reading page after page (`"Page": {"Size", "Cursor"}`) until the cursor is null gives
//! exactly the items of a one-shot read, in order; MaxItems holds across pages (the caller
//! lowers it by what it has read); a cursor the reader did not return fails the read with
//! `States.ItemReaderFailed`.

use std::io::Write as _;

use serde_json::{json, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::TaskInvoker;
use stepwise_local_tasks::{LocalTasks, Registry};
use stepwise_tests::harness::Harness;
use stepwise_tests::s3::{bucket, drop_bucket, put, put_all};

const GET_OBJECT: &str = "arn:aws:states:::s3:getObject";
const LIST_OBJECTS: &str = "arn:aws:states:::s3:listObjectsV2";

/// A cursor travels in SQS messages and DynamoDB items: it must stay this small.
const CURSOR_LIMIT: usize = 512;

/// The reader `stepwise run` uses with `--aws-endpoint`, and one reader request.
struct Reader {
    tasks: LocalTasks,
    resource: &'static str,
    parameters: Value,
    config: Value,
}

impl Reader {
    async fn new(resource: &'static str, parameters: Value, config: Value) -> Option<Self> {
        let endpoint = std::env::var("AWS_ENDPOINT_URL").ok()?;
        let tasks = LocalTasks::new(Registry::default(), Some(&endpoint), "000000000000").await;
        Some(Self {
            tasks,
            resource,
            parameters,
            config,
        })
    }

    async fn call(&self, max: Option<usize>, page: Option<Value>) -> Result<Value, Failure> {
        let mut config = self.config.clone();
        if let Some(max) = max {
            config["MaxItems"] = json!(max);
        }
        let mut request = json!({"Parameters": self.parameters, "ReaderConfig": config});
        if let Some(page) = page {
            request["Page"] = page;
        }
        let request = TaskRequest::new("Read", self.resource, request);
        self.tasks.invoke("arn:x", &request).await
    }

    /// Every item (up to `max`) in one answer, as without pages.
    async fn one_shot(&self, max: Option<usize>) -> anyhow::Result<Vec<Value>> {
        let items = self.call(max, None).await.map_err(failed)?;
        items
            .as_array()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("not an array: {items}"))
    }

    /// One page: its items and the next cursor.
    async fn page(
        &self,
        size: usize,
        cursor: &Value,
        max: Option<usize>,
    ) -> Result<(Vec<Value>, Value), Failure> {
        let answer = self
            .call(max, Some(json!({"Size": size, "Cursor": cursor})))
            .await?;
        let items = answer["Items"].as_array().cloned();
        let items = items.unwrap_or_else(|| panic!("no Items: {answer}"));
        Ok((items, answer["Cursor"].clone()))
    }

    /// Pages of `size` until the cursor is null or `max` items are read; returns the items
    /// and the number of pages.
    async fn pages(&self, size: usize, max: Option<usize>) -> anyhow::Result<(Vec<Value>, usize)> {
        let (mut items, mut cursor, mut pages) = (Vec::new(), Value::Null, 0);
        loop {
            let left = max.map(|max| max - items.len());
            if left == Some(0) {
                return Ok((items, pages));
            }
            let (page, next) = self.page(size, &cursor, left).await.map_err(failed)?;
            pages += 1;
            let most = left.map_or(size, |left| left.min(size));
            assert!(page.len() <= most, "page {pages}: {} > {most}", page.len());
            let text = next.to_string();
            assert!(text.len() <= CURSOR_LIMIT, "page {pages}: cursor {text}");
            assert!(next.is_null() || next.is_object(), "page {pages}: {text}");
            items.extend(page);
            if next.is_null() {
                return Ok((items, pages));
            }
            assert_ne!(next, cursor, "page {pages} did not move");
            cursor = next;
        }
    }

    /// Paged reads of each size give the one-shot read's items, and MaxItems (`max`) holds.
    async fn pages_match_one_shot(
        &self,
        sizes: &[usize],
        max: usize,
    ) -> anyhow::Result<Vec<Value>> {
        let all = self.one_shot(None).await?;
        for &size in sizes {
            let (paged, pages) = self.pages(size, None).await?;
            assert_eq!(paged.len(), all.len(), "pages of {size}");
            assert!(
                paged == all,
                "pages of {size} differ from the one-shot read"
            );
            // One page more than full pages at most: a page may end exactly at the end.
            assert!(pages <= all.len() / size + 1, "{pages} pages of {size}");
            let (limited, _) = self.pages(size, Some(max)).await?;
            assert!(
                limited[..] == all[..max.min(all.len())],
                "pages of {size} up to MaxItems {max}"
            );
        }
        assert!(self.one_shot(Some(max)).await?[..] == all[..max.min(all.len())]);
        Ok(all)
    }

    /// The failure of a page at `cursor`.
    async fn refused(&self, cursor: Value) -> Failure {
        match self.page(3, &cursor, None).await {
            Ok(answer) => panic!("cursor {cursor} was accepted: {answer:?}"),
            Err(failure) => failure,
        }
    }
}

fn failed(failure: Failure) -> anyhow::Error {
    anyhow::anyhow!("{failure:?}")
}

fn assert_reader_failed(failure: &Failure, words: &str) {
    assert_eq!(
        failure.error.as_deref(),
        Some("States.ItemReaderFailed"),
        "{failure:?}"
    );
    let cause = failure.cause.as_deref().unwrap_or_default();
    assert!(cause.contains(words), "{words:?} not in {cause}");
}

#[tokio::test]
async fn a_prefix_is_listed_page_after_page() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("pages-list").await? else {
        return Ok(());
    };
    let bucket = bucket(&harness, "pages-list").await?;
    let objects = 2_500;
    put_all(
        &harness,
        &bucket,
        (0..objects).map(|i| (format!("p/{i:05}"), vec![b'x'; i % 3])),
    )
    .await?;
    // Keys that sort before and after the prefix stay out of every page.
    put(&harness, &bucket, "a", Vec::new()).await?;
    put(&harness, &bucket, "q/0", Vec::new()).await?;
    let reader = Reader::new(
        LIST_OBJECTS,
        json!({"Bucket": bucket, "Prefix": "p/"}),
        json!({}),
    )
    .await
    .expect("an endpoint");
    let all = reader.pages_match_one_shot(&[1000, 7], 1_234).await?;
    let keys: Vec<&str> = all.iter().filter_map(|i| i["Key"].as_str()).collect();
    let expected: Vec<String> = (0..objects).map(|i| format!("p/{i:05}")).collect();
    assert_eq!(keys, expected);
    // 2,500 = 2 full pages of 1,000 and a last one that S3 says is not truncated.
    assert_eq!(reader.pages(1000, None).await?.1, 3);
    let (first, cursor) = reader
        .page(1000, &Value::Null, None)
        .await
        .map_err(failed)?;
    assert_eq!(cursor, json!({"StartAfter": first[999]["Key"]}));

    assert_reader_failed(
        &reader.refused(json!({"ContinuationToken": "x"})).await,
        "its field 'StartAfter' must be a string",
    );
    assert_reader_failed(&reader.refused(json!("p/00001")).await, "is not an object");
    drop_bucket(&harness, &bucket).await?;
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn csv_rows_with_quoted_newlines_are_read_page_after_page() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("pages-csv").await? else {
        return Ok(());
    };
    let bucket = bucket(&harness, "pages-csv").await?;
    let rows = 3_000;
    let mut csv = b"id,note,n\r\n".to_vec();
    for i in 0..rows {
        match i % 4 {
            0 => write!(csv, "{i},\"two\nlines, {i}\",{i}\r\n")?,
            1 => write!(csv, "{i},\"quote \"\"{i}\"\"\r\n\r\n\",{i}\n")?,
            2 => write!(csv, "{i},plain,{i}\n\n")?,
            _ => write!(csv, "{i},,{i}\r\n")?,
        }
    }
    csv.extend_from_slice(b"last,\"no newline\",x");
    put(&harness, &bucket, "rows.csv", csv).await?;
    let reader = Reader::new(
        GET_OBJECT,
        json!({"Bucket": bucket, "Key": "rows.csv"}),
        json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}),
    )
    .await
    .expect("an endpoint");
    let all = reader.pages_match_one_shot(&[1000, 7], 20).await?;
    assert_eq!(all.len(), rows + 1);
    assert_eq!(
        all[0],
        json!({"id": "0", "note": "two\nlines, 0", "n": "0"})
    );
    assert_eq!(
        all[1],
        json!({"id": "1", "note": "quote \"1\"\r\n\r\n", "n": "1"})
    );
    assert_eq!(all[rows]["note"], "no newline");
    // Later pages know the headers from the cursor, not from the first row again.
    let (_, cursor) = reader.page(7, &Value::Null, None).await.map_err(failed)?;
    assert_eq!(cursor["Headers"], json!(["id", "note", "n"]));
    assert_eq!(cursor["Row"], 8);

    let mut headerless = cursor.clone();
    headerless.as_object_mut().map(|c| c.remove("Headers"));
    assert_reader_failed(&reader.refused(headerless).await, "needs its 'Headers'");
    assert_reader_failed(
        &reader
            .refused(json!({"Offset": "9", "Row": 1, "Headers": ["a"]}))
            .await,
        "its field 'Offset' must be a non-negative integer",
    );
    assert_reader_failed(
        &reader
            .refused(json!({"Offset": 999_999_999, "Row": 1, "Headers": ["a"]}))
            .await,
        "past the end of the object",
    );
    // An error on a later page names the row as the whole file numbers it.
    put(&harness, &bucket, "bad.csv", b"a,b\n1,2\n3,4\n5\n".to_vec()).await?;
    let bad = Reader::new(
        GET_OBJECT,
        json!({"Bucket": bucket, "Key": "bad.csv"}),
        json!({"InputType": "CSV"}),
    )
    .await
    .expect("an endpoint");
    let (_, cursor) = bad.page(1, &Value::Null, None).await.map_err(failed)?;
    let (_, cursor) = bad.page(1, &cursor, None).await.map_err(failed)?;
    assert_reader_failed(
        &bad.refused(cursor).await,
        "Row 4 of the CSV file has 1 fields",
    );
    drop_bucket(&harness, &bucket).await?;
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn csv_rows_with_given_headers_are_read_page_after_page() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("pages-given").await? else {
        return Ok(());
    };
    let bucket = bucket(&harness, "pages-given").await?;
    let rows = 2_000;
    let mut csv = Vec::new();
    for i in 0..rows {
        writeln!(csv, "{i};\"a;{i}\"")?;
    }
    put(&harness, &bucket, "given.csv", csv).await?;
    let reader = Reader::new(
        GET_OBJECT,
        json!({"Bucket": bucket, "Key": "given.csv"}),
        json!({"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["id", "v"], "CSVDelimiter": "SEMICOLON"}),
    )
    .await
    .expect("an endpoint");
    let all = reader.pages_match_one_shot(&[1000, 7], 999).await?;
    assert_eq!(all.len(), rows);
    assert_eq!(all[rows - 1], json!({"id": "1999", "v": "a;1999"}));
    // The file ends with the page's last newline: no cursor, no empty page.
    assert_eq!(reader.pages(1000, None).await?.1, 2);
    let (_, cursor) = reader.page(1, &Value::Null, None).await.map_err(failed)?;
    assert!(cursor.get("Headers").is_none(), "{cursor}");
    drop_bucket(&harness, &bucket).await?;
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn json_lines_are_read_page_after_page() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("pages-jsonl").await? else {
        return Ok(());
    };
    let bucket = bucket(&harness, "pages-jsonl").await?;
    let lines = 2_500;
    let mut text = Vec::new();
    for i in 0..lines {
        writeln!(text, "{}", json!({"i": i, "s": "a\nb,]}"}))?;
        if i % 10 == 0 {
            text.extend_from_slice(b"\r\n  \n");
        }
    }
    put(&harness, &bucket, "lines.jsonl", text.clone()).await?;
    let reader = Reader::new(
        GET_OBJECT,
        json!({"Bucket": bucket, "Key": "lines.jsonl"}),
        json!({"InputType": "JSONL"}),
    )
    .await
    .expect("an endpoint");
    let all = reader.pages_match_one_shot(&[1000, 7], 30).await?;
    let expected: Vec<Value> = (0..lines)
        .map(|i| json!({"i": i, "s": "a\nb,]}"}))
        .collect();
    assert_eq!(all, expected);
    let (_, cursor) = reader.page(2, &Value::Null, None).await.map_err(failed)?;
    assert_eq!(cursor["Line"], 4, "{cursor}");
    assert!(cursor["ETag"].is_string(), "{cursor}");

    // The object replaced between pages: the next page refuses to mix two files.
    text.extend_from_slice(b"{\"i\": \"new\"}\n");
    put(&harness, &bucket, "lines.jsonl", text).await?;
    assert_reader_failed(&reader.refused(cursor.clone()).await, "the object changed");
    assert_reader_failed(
        &reader.refused(json!({"Offset": 3})).await,
        "its field 'Line' must be a non-negative integer",
    );
    drop_bucket(&harness, &bucket).await?;
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn a_json_array_is_read_page_after_page() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("pages-json").await? else {
        return Ok(());
    };
    let bucket = bucket(&harness, "pages-json").await?;
    let elements: Vec<Value> = (0..2_000)
        .map(|i| match i % 3 {
            0 => json!({"i": i, "tricky": "],[\"{", "nested": [[i], {"a": []}]}),
            1 => json!(format!("string, {i}]")),
            _ => json!(i),
        })
        .collect();
    let text = serde_json::to_vec_pretty(&elements)?;
    put(&harness, &bucket, "array.json", text).await?;
    let reader = Reader::new(
        GET_OBJECT,
        json!({"Bucket": bucket, "Key": "array.json"}),
        json!({}),
    )
    .await
    .expect("an endpoint");
    let all = reader.pages_match_one_shot(&[1000, 7], 50).await?;
    assert_eq!(all, elements);
    // The closing `]` tells the last page of 1,000 that nothing follows.
    assert_eq!(reader.pages(1000, None).await?.1, 2);
    let (_, cursor) = reader.page(3, &Value::Null, None).await.map_err(failed)?;
    assert_eq!(cursor["Index"], 3, "{cursor}");
    assert_reader_failed(
        &reader
            .refused(json!({"Offset": 1, "ETag": 5, "Index": 0}))
            .await,
        "its field 'ETag' must be a string",
    );
    put(&harness, &bucket, "object.json", b"{\"a\": 1}".to_vec()).await?;
    let object = Reader::new(
        GET_OBJECT,
        json!({"Bucket": bucket, "Key": "object.json"}),
        json!({"InputType": "JSON"}),
    )
    .await
    .expect("an endpoint");
    assert_reader_failed(&object.refused(Value::Null).await, "is not a JSON array");
    drop_bucket(&harness, &bucket).await?;
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn an_inventory_is_read_page_after_page() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("pages-inventory").await? else {
        return Ok(());
    };
    let bucket = bucket(&harness, "pages-inventory").await?;
    // Three data files, the middle one empty.
    let mut files = Vec::new();
    for (f, rows) in [(0, 5), (1, 0), (2, 8)] {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for r in 0..rows {
            writeln!(gzip, "src,\"k{f},{r}\",{r}")?;
        }
        let key = format!("inv/data/{f}.csv.gz");
        put(&harness, &bucket, &key, gzip.finish()?).await?;
        files.push(json!({"key": key, "size": 1, "MD5checksum": "x"}));
    }
    let manifest = json!({"sourceBucket": "src", "destinationBucket": format!("arn:aws:s3:::{bucket}"),
        "fileFormat": "CSV", "fileSchema": "Bucket, Key, Size", "files": files});
    put(
        &harness,
        &bucket,
        "inv/manifest.json",
        manifest.to_string().into_bytes(),
    )
    .await?;
    let reader = Reader::new(
        GET_OBJECT,
        json!({"Bucket": bucket, "Key": "inv/manifest.json"}),
        json!({"InputType": "MANIFEST"}),
    )
    .await
    .expect("an endpoint");
    let all = reader.pages_match_one_shot(&[1000, 1, 3, 5], 6).await?;
    let keys: Vec<&str> = all.iter().filter_map(|i| i["Key"].as_str()).collect();
    let expected: Vec<String> = (0..5)
        .map(|r| format!("k0,{r}"))
        .chain((0..8).map(|r| format!("k2,{r}")))
        .collect();
    assert_eq!(keys, expected);
    let (_, cursor) = reader.page(3, &Value::Null, None).await.map_err(failed)?;
    assert_eq!(cursor, json!({"File": 0, "Row": 3}));
    assert_reader_failed(
        &reader.refused(json!({"File": 3, "Row": 0})).await,
        "names file 3 but",
    );
    assert_reader_failed(
        &reader.refused(json!({"File": 0, "Row": 6})).await,
        "skips 6 rows but the file has 5",
    );
    assert_reader_failed(
        &reader.refused(json!({"File": 0})).await,
        "its field 'Row' must be a non-negative integer",
    );
    drop_bucket(&harness, &bucket).await?;
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn a_page_needs_a_positive_size() -> anyhow::Result<()> {
    let Some(reader) = Reader::new(LIST_OBJECTS, json!({"Bucket": "any"}), json!({})).await else {
        return Ok(());
    };
    let failure = reader
        .call(None, Some(json!({"Size": 0, "Cursor": null})))
        .await
        .unwrap_err();
    assert_reader_failed(&failure, "Page.Size must be a positive integer");
    Ok(())
}
