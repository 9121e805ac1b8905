//! Distributed Map on the emulator: items read from S3 (a CSV object, a prefix of
//! objects, JSON Lines, an S3 inventory) by the durable engine through the start and
//! advance functions, with the figures the issue asks for printed (`--nocapture`).
//!
//! The default sizes keep the suite quick; `STEPWISE_DMAP_ROWS=100000` and
//! `STEPWISE_DMAP_OBJECTS=10000` run the full-size scenarios.

use std::io::Write as _;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use stepwise_core::interp::{iso8601, TaskRequest};
use stepwise_engine::{ExecutionStatus, TaskInvoker};
use stepwise_local_tasks::{LocalTasks, Registry};
use stepwise_tests::harness::{expect_succeeded, unique, Harness};
use stepwise_tests::s3::{bucket, drop_bucket, put, put_all};

const DEADLINE: Duration = Duration::from_secs(1800);
const POLLERS: usize = 4;

fn size(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn distributed(reader: Value, extra: Value, processor: Value) -> Value {
    let mut map = json!({
        "Type": "Map",
        "ItemReader": reader,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Check", "States": processor
        },
        "End": true
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        map[k] = v;
    }
    json!({"StartAt": "Read", "States": {"Read": map}})
}

/// Peak resident memory of this process (the functions run in it), in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Prints the issue's figures for one run of `items` items.
fn report(what: &str, harness: &Harness, items: usize, took: Duration) {
    let counts = harness.counter().snapshot();
    let requests: u64 = counts.values().sum();
    let writes: u64 = counts
        .iter()
        .filter(|(name, _)| {
            [
                "PutItem",
                "UpdateItem",
                "TransactWriteItems",
                "BatchWriteItem",
                "DeleteItem",
            ]
            .iter()
            .any(|w| name.ends_with(w))
        })
        .map(|(_, n)| n)
        .sum();
    let stats = harness.poller().stats();
    let dynamo = harness.counter().usage_total("DynamoDB");
    println!(
        "{what}: {} conditional writes, {} refused by their condition ({:.1}%), {} write units",
        dynamo.conditional_writes,
        dynamo.condition_failed,
        dynamo.condition_failed as f64 * 100.0 / dynamo.conditional_writes.max(1) as f64,
        dynamo.write_units
    );
    println!(
        "{what}: {items} items in {:.1}s = {:.0} items/s; {requests} requests = {:.2} per item ({writes} DynamoDB writes); \
         messages received {} retried {} ({:.2}%); peak RSS {:.0} MiB; {counts:?}",
        took.as_secs_f64(),
        items as f64 / took.as_secs_f64(),
        requests as f64 / items as f64,
        stats.received,
        stats.failed,
        stats.failed as f64 * 100.0 / stats.received.max(1) as f64,
        peak_rss_mib()
    );
}

#[tokio::test]
async fn csv_rows_become_batches_of_child_executions() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("dmap-csv").await? else {
        return Ok(());
    };
    let rows = size("STEPWISE_DMAP_ROWS", 5_000);
    let bucket = bucket(&harness, "csv").await?;
    let mut csv = b"id;name;note\n".to_vec();
    for i in 0..rows {
        writeln!(csv, "{i};name-{i};\"a;b\"")?;
    }
    put(&harness, &bucket, "data/rows.csv", csv).await?;
    // Each batch checks its first row's shape and reports its size and first id.
    let definition = distributed(
        json!({"Resource": "arn:aws:states:::s3:getObject",
               "Parameters": {"Bucket.$": "$.bucket", "Key": "data/rows.csv"},
               "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "SEMICOLON"}}),
        json!({"ItemBatcher": {"MaxItemsPerBatch": 100}, "MaxConcurrency": 200}),
        json!({
            "Check": {"Type": "Choice", "Choices": [
                {"Variable": "$.Items[0].note", "StringEquals": "a;b", "Next": "Count"}],
                "Default": "Bad"},
            "Bad": {"Type": "Fail", "Error": "Bad.Row"},
            "Count": {"Type": "Pass", "End": true,
                "Parameters": {"n.$": "States.ArrayLength($.Items)", "first.$": "$.Items[0].id"}}
        }),
    );
    harness.counter().reset();
    let arn = harness
        .start("dmap-csv", &definition, None, json!({"bucket": bucket}))
        .await?;
    let (record, took) = harness.run(&arn, POLLERS, DEADLINE).await?;
    let output = expect_succeeded(&record)?;
    let batches = output.as_array().cloned().unwrap_or_default();
    assert_eq!(batches.len(), rows.div_ceil(100));
    let total: u64 = batches.iter().filter_map(|b| b["n"].as_u64()).sum();
    assert_eq!(total as usize, rows);
    // Rows stay in file order: batch k starts at row 100k.
    for (k, batch) in batches.iter().enumerate() {
        assert_eq!(batch["first"], json!((k * 100).to_string()));
    }
    report("CSV rows", &harness, rows, took);
    drop_bucket(&harness, &bucket).await?;
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn a_prefix_of_objects_becomes_one_child_per_object() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("dmap-prefix").await? else {
        return Ok(());
    };
    let objects = size("STEPWISE_DMAP_OBJECTS", 250);
    let bucket = bucket(&harness, "prefix").await?;
    put_all(
        &harness,
        &bucket,
        (0..objects).map(|i| (format!("in/{i:06}.txt"), vec![b'x'; i % 7])),
    )
    .await?;
    put(&harness, &bucket, "other/skip.txt", b"no".to_vec()).await?;
    // One child per object; each checks its item's listObjectsV2 shape.
    let definition = distributed(
        json!({"Resource": "arn:aws:states:::s3:listObjectsV2",
               "Parameters": {"Bucket": bucket, "Prefix": "in/"}}),
        json!({"ItemSelector": {"object.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"}}),
        json!({
            "Check": {"Type": "Choice", "Choices": [{"And": [
                {"Variable": "$.object.Key", "StringMatches": "in/*.txt"},
                {"Variable": "$.object.Size", "IsNumeric": true},
                {"Variable": "$.object.Etag", "IsString": true},
                {"Variable": "$.object.LastModified", "IsNumeric": true},
                {"Variable": "$.object.StorageClass", "StringEquals": "STANDARD"}],
                "Next": "Ok"}], "Default": "Bad"},
            "Bad": {"Type": "Fail", "Error": "Bad.Object"},
            "Ok": {"Type": "Pass", "InputPath": "$.object.Size", "End": true}
        }),
    );
    harness.counter().reset();
    let arn = harness
        .start("dmap-prefix", &definition, None, json!({}))
        .await?;
    let (record, took) = harness.run(&arn, POLLERS, DEADLINE).await?;
    let output = expect_succeeded(&record)?;
    let sizes: Vec<u64> = output
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    // Listed in key order, so child i read object i.
    let expected: Vec<u64> = (0..objects).map(|i| (i % 7) as u64).collect();
    assert_eq!(sizes, expected);
    report("prefix objects", &harness, objects, took);
    drop_bucket(&harness, &bucket).await?;
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn json_lines_inventories_and_max_items() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("dmap-small").await? else {
        return Ok(());
    };
    let bucket = bucket(&harness, "small").await?;
    put(
        &harness,
        &bucket,
        "lines.jsonl",
        b"{\"a\":1}\n{\"a\":2}\n\n{\"a\":3}\n{\"a\":4}".to_vec(),
    )
    .await?;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(b"src,k1,10\nsrc,\"k,2\",20\n")?;
    put(&harness, &bucket, "inv/data/1.csv.gz", gzip.finish()?).await?;
    let manifest = json!({"sourceBucket": "src", "destinationBucket": format!("arn:aws:s3:::{bucket}"),
        "fileFormat": "CSV", "fileSchema": "Bucket, Key, Size",
        "files": [{"key": "inv/data/1.csv.gz", "size": 1, "MD5checksum": "x"}]});
    put(
        &harness,
        &bucket,
        "inv/manifest.json",
        manifest.to_string().into_bytes(),
    )
    .await?;
    let echo = json!({"Check": {"Type": "Pass", "End": true}});
    let cases = [
        (
            json!({"Resource": "arn:aws:states:::s3:getObject",
                   "Parameters": {"Bucket": bucket, "Key": "lines.jsonl"},
                   "ReaderConfig": {"InputType": "JSONL", "MaxItemsPath": "$.max"}}),
            json!([{"a": 1}, {"a": 2}, {"a": 3}]),
        ),
        (
            json!({"Resource": "arn:aws:states:::s3:getObject",
                   "Parameters": {"Bucket": bucket, "Key": "inv/manifest.json"},
                   "ReaderConfig": {"InputType": "MANIFEST"}}),
            json!([{"Bucket": "src", "Key": "k1", "Size": "10"}, {"Bucket": "src", "Key": "k,2", "Size": "20"}]),
        ),
    ];
    for (i, (reader, expected)) in cases.into_iter().enumerate() {
        let definition = distributed(reader, json!({}), echo.clone());
        let arn = harness
            .start(
                &format!("dmap-small-{i}"),
                &definition,
                None,
                json!({"max": 3}),
            )
            .await?;
        let (record, _) = harness.run(&arn, 2, Duration::from_secs(120)).await?;
        assert_eq!(expect_succeeded(&record)?, &expected);
    }
    drop_bucket(&harness, &bucket).await?;
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn a_missing_object_fails_the_map_with_item_reader_failed() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("dmap-missing").await? else {
        return Ok(());
    };
    let bucket = bucket(&harness, "missing").await?;
    let definition = distributed(
        json!({"Resource": "arn:aws:states:::s3:getObject",
               "Parameters": {"Bucket": bucket, "Key": "nope.json"}}),
        json!({}),
        json!({"Check": {"Type": "Pass", "End": true}}),
    );
    let started = Instant::now();
    let arn = harness
        .start("dmap-missing", &definition, None, json!({}))
        .await?;
    let (record, _) = harness.run(&arn, 2, Duration::from_secs(60)).await?;
    assert_eq!(record.status, ExecutionStatus::Failed);
    let failure = record
        .failure
        .clone()
        .unwrap_or_else(|| panic!("no failure"));
    assert_eq!(failure.error.as_deref(), Some("States.ItemReaderFailed"));
    let cause = failure.cause.unwrap_or_default();
    assert!(
        cause.contains("NoSuchKey") && cause.contains("nope.json"),
        "{cause}"
    );
    println!("missing object failed in {:?}", started.elapsed());
    drop_bucket(&harness, &bucket).await?;
    harness.clean_up().await;
    Ok(())
}

/// The reader `stepwise run` and `stepwise serve` use with `--aws-endpoint`: listing
/// follows continuation tokens past the first page of 1,000 keys.
#[tokio::test]
async fn the_local_reader_lists_page_after_page() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("dmap-local").await? else {
        return Ok(());
    };
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") else {
        return Ok(());
    };
    let bucket = bucket(&harness, "pages").await?;
    let objects = 1_050;
    put_all(
        &harness,
        &bucket,
        (0..objects).map(|i| (format!("p/{i:05}"), Vec::new())),
    )
    .await?;
    let tasks = LocalTasks::new(Registry::default(), Some(&endpoint), "000000000000").await;
    let read = |max: Value| {
        TaskRequest::new(
            "Read",
            "arn:aws:states:::s3:listObjectsV2",
            json!({"Parameters": {"Bucket": bucket, "Prefix": "p/"}, "ReaderConfig": max}),
        )
    };
    let items = tasks
        .invoke("arn:x", &read(json!({})))
        .await
        .map_err(anyhow::Error::msg)?;
    let keys: Vec<&str> = items
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["Key"].as_str()).collect())
        .unwrap_or_default();
    let expected: Vec<String> = (0..objects).map(|i| format!("p/{i:05}")).collect();
    assert_eq!(keys, expected);
    // MaxItems stops the listing early.
    let items = tasks
        .invoke("arn:x", &read(json!({"MaxItems": 3})))
        .await
        .map_err(anyhow::Error::msg)?;
    assert_eq!(items.as_array().map(Vec::len), Some(3));
    // A missing bucket is the Map's ItemReaderFailed, as the S3 error words it.
    let missing = TaskRequest::new(
        "Read",
        "arn:aws:states:::s3:listObjectsV2",
        json!({"Parameters": {"Bucket": format!("{bucket}-none")}}),
    );
    let failure = tasks.invoke("arn:x", &missing).await.unwrap_err();
    assert_eq!(failure.error.as_deref(), Some("States.ItemReaderFailed"));
    assert!(
        failure
            .cause
            .as_deref()
            .unwrap_or("")
            .contains("NoSuchBucket"),
        "{failure:?}"
    );
    drop_bucket(&harness, &bucket).await?;
    harness.clean_up().await;
    Ok(())
}

/// The ResultWriter writes AWS's layout under `<Prefix>/<map run id>/` and the Map's
/// output points at the manifest; the Map Run ARN is the one `ListMapRuns` shows.
#[tokio::test]
async fn results_are_written_to_s3_with_a_manifest() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("dmap-writer").await? else {
        return Ok(());
    };
    let bucket = bucket(&harness, "writer").await?;
    let definition = json!({"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ToleratedFailureCount": 2,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Check", "States": {
                "Check": {"Type": "Choice",
                    "Choices": [{"Variable": "$.n", "NumericGreaterThan": 2, "Next": "Big"},
                                {"Variable": "$.n", "NumericEquals": 0, "Next": "Lookalike"}],
                    "Default": "Ok"},
                "Big": {"Type": "Fail", "Error": "TooBig", "Cause": "n > 2"},
                // Succeeds with an output shaped like an error: still SUCCEEDED.
                "Lookalike": {"Type": "Pass", "Result": {"Error": "Not", "Cause": "a failure"}, "End": true},
                "Ok": {"Type": "Pass", "Parameters": {"double.$": "States.MathAdd($.n, $.n)"}, "End": true}
            }
        },
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket.$": "$.bucket", "Prefix": "runs"}},
        "End": true
    }}});
    let input =
        json!({"bucket": bucket, "items": [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]});
    let arn = harness
        .start("dmap-writer", &definition, None, input)
        .await?;
    let (record, _) = harness.run(&arn, 2, Duration::from_secs(120)).await?;
    let output = expect_succeeded(&record)?.clone();
    let map_run = output["MapRunArn"].as_str().unwrap_or_default().to_owned();
    let id = map_run.rsplit(':').next().unwrap_or_default();
    let key = format!("runs/{id}/manifest.json");
    assert!(map_run.contains(":mapRun:dmap-writer"), "{output}");
    assert_eq!(
        output["ResultWriterDetails"],
        json!({"Bucket": bucket, "Key": key})
    );

    // The API names the same Map Run.
    let parts: Vec<&str> = arn.split(':').collect();
    let config = stepwise_engine::Config {
        region: parts[3].to_owned(),
        account: parts[4].to_owned(),
        ..stepwise_engine::Config::local()
    };
    let api = stepwise_api::Api::new(harness.engine().clone(), &config);
    let listed = api
        .call(
            "AWSStepFunctions.ListMapRuns",
            json!({"executionArn": arn}).to_string().as_bytes(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    assert_eq!(
        listed["mapRuns"][0]["mapRunArn"],
        json!(map_run),
        "{listed}"
    );

    let read = |key: String| {
        let s3 = harness.s3();
        let bucket = bucket.clone();
        async move {
            let object = s3.get_object().bucket(bucket).key(&key).send().await?;
            let bytes = object.body.collect().await?.into_bytes();
            anyhow::Ok(serde_json::from_slice::<Value>(&bytes)?)
        }
    };
    let manifest = read(key).await?;
    assert_eq!(manifest["DestinationBucket"], json!(bucket));
    assert_eq!(manifest["MapRunArn"], json!(map_run));
    assert_eq!(manifest["ResultFiles"]["PENDING"], json!([]));
    let file = |status: &str| {
        manifest["ResultFiles"][status][0]["Key"]
            .as_str()
            .map(str::to_owned)
    };
    assert_eq!(
        file("SUCCEEDED"),
        Some(format!("runs/{id}/SUCCEEDED_0.json"))
    );
    assert_eq!(file("FAILED"), Some(format!("runs/{id}/FAILED_0.json")));

    let succeeded = read(file("SUCCEEDED").unwrap_or_default()).await?;
    let outputs: Vec<Value> = succeeded
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            serde_json::from_str(r["Output"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
        })
        .collect();
    assert_eq!(
        outputs,
        [
            json!({"Error": "Not", "Cause": "a failure"}),
            json!({"double": 2}),
            json!({"double": 4})
        ]
    );
    let started = record.info.start_time;
    let stopped = record.stop_time.unwrap_or(i64::MAX);
    for (n, record) in succeeded.as_array().into_iter().flatten().enumerate() {
        assert_eq!(record["Status"], "SUCCEEDED");
        assert_eq!(record["Input"], json!({"n": n}).to_string(), "{record}");
        assert_eq!(record["InputDetails"], json!({"Included": true}));
        assert_dates_within(record, started, stopped)?;
    }
    let failed = read(file("FAILED").unwrap_or_default()).await?;
    let failed = failed.as_array().cloned().unwrap_or_default();
    assert_eq!(failed.len(), 2);
    for (n, record) in failed.iter().enumerate() {
        assert_eq!(record["Status"], "FAILED");
        assert_eq!(record["Error"], "TooBig");
        assert_eq!(record["Cause"], "n > 2");
        assert_eq!(record["Input"], json!({"n": n + 3}).to_string(), "{record}");
        assert_dates_within(record, started, stopped)?;
    }
    drop_bucket(&harness, &bucket).await?;
    harness.clean_up().await;
    Ok(())
}

/// A result record's `StartDate` ≤ `StopDate`, both within the execution's run (ISO 8601
/// in UTC with milliseconds sorts as text).
fn assert_dates_within(record: &Value, started: i64, stopped: i64) -> anyhow::Result<()> {
    let (started, stopped) = (iso8601(started), iso8601(stopped));
    let (start, stop) = (
        record["StartDate"].as_str().unwrap_or_default(),
        record["StopDate"].as_str().unwrap_or_default(),
    );
    anyhow::ensure!(
        start.len() == started.len() && stop.len() == stopped.len(),
        "{record}"
    );
    assert!(
        *started <= *start && start <= stop && *stop <= *stopped,
        "{started} <= {start} <= {stop} <= {stopped}: {record}"
    );
    Ok(())
}

#[tokio::test]
async fn writer_config_flattens_outputs_into_json_lines() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("dmap-jsonl").await? else {
        return Ok(());
    };
    let bucket = bucket(&harness, "jsonl").await?;
    let definition = json!({"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ToleratedFailureCount": 1,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED"},
            "StartAt": "Check", "States": {
                "Check": {"Type": "Choice",
                    "Choices": [{"Variable": "$.fail", "IsPresent": true, "Next": "Fail"}],
                    "Default": "Pairs"},
                "Fail": {"Type": "Fail", "Error": "Asked", "Cause": "to fail"},
                "Pairs": {"Type": "Pass", "Parameters": {"pair.$": "States.Array($.n, $.n)"},
                          "OutputPath": "$.pair", "End": true}
            }
        },
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket.$": "$.bucket", "Prefix": "lines"},
                         "WriterConfig": {"OutputType": "JSONL", "Transformation": "FLATTEN"}},
        "End": true
    }}});
    let input = json!({"bucket": bucket, "items": [{"n": 1}, {"fail": true}, {"n": 2}]});
    let arn = harness
        .start("dmap-jsonl", &definition, None, input)
        .await?;
    let (record, _) = harness.run(&arn, 2, Duration::from_secs(120)).await?;
    let output = expect_succeeded(&record)?.clone();
    let key = output["ResultWriterDetails"]["Key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let read = |key: String| {
        let s3 = harness.s3();
        let bucket = bucket.clone();
        async move {
            let object = s3.get_object().bucket(bucket).key(&key).send().await?;
            let bytes = object.body.collect().await?.into_bytes();
            anyhow::Ok(String::from_utf8(bytes.to_vec())?)
        }
    };
    let manifest: Value = serde_json::from_str(&read(key).await?)?;
    let lines = |text: String| -> anyhow::Result<Vec<Value>> {
        text.lines()
            .map(|l| Ok(serde_json::from_str::<Value>(l)?))
            .collect()
    };
    let file = |status: &str| {
        manifest["ResultFiles"][status][0]["Key"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    // FLATTEN: the succeeded children's arrays, one element a line.
    let succeeded = lines(read(file("SUCCEEDED")).await?)?;
    assert_eq!(succeeded, [json!(1), json!(1), json!(2), json!(2)]);
    // A failed child keeps its whole record.
    let failed = lines(read(file("FAILED")).await?)?;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["Error"], "Asked");
    assert_eq!(failed[0]["Input"], r#"{"fail":true}"#);
    drop_bucket(&harness, &bucket).await?;
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn a_missing_bucket_fails_the_map_with_result_writer_failed() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("dmap-nowrite").await? else {
        return Ok(());
    };
    let definition = json!({"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}
        },
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": unique("absent").to_lowercase(), "Prefix": "p"}},
        "End": true
    }}});
    let arn = harness
        .start("dmap-nowrite", &definition, None, json!([1]))
        .await?;
    let (record, _) = harness.run(&arn, 2, Duration::from_secs(60)).await?;
    assert_eq!(record.status, ExecutionStatus::Failed);
    let failure = record
        .failure
        .clone()
        .unwrap_or_else(|| panic!("no failure"));
    assert_eq!(failure.error.as_deref(), Some("States.ResultWriterFailed"));
    assert!(failure.cause.unwrap_or_default().contains("NoSuchBucket"));
    harness.clean_up().await;
    Ok(())
}
