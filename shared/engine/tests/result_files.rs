//! A Distributed Map's results written to S3 by the durable engine a file at a time:
//! read from the store a page at a time, split into files of a bounded size, then the
//! manifest.

mod support;

use std::sync::Mutex;

use serde_json::{json, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{Clock, Config, Engine, ExecutionStatus, StartRequest, TaskInvoker};
use support::{ManualClock, Scheduled, T0};

/// S3 as the writer sees it: every file and manifest request, answered as the real
/// writer answers.
#[derive(Default)]
struct Bucket {
    requests: Mutex<Vec<Value>>,
    /// Fail the file of this status and index.
    broken: Option<(&'static str, u64)>,
}

impl Bucket {
    fn requests(&self) -> Vec<Value> {
        self.requests.lock().expect("requests").clone()
    }
}

impl TaskInvoker for Bucket {
    async fn invoke(&self, _execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        let parameters = request.parameters.clone();
        self.requests
            .lock()
            .expect("requests")
            .push(parameters.clone());
        let arn = parameters["MapRunArn"].as_str().unwrap_or_default();
        if let Some(file) = parameters.get("File") {
            let (status, index) = (
                file["Status"].as_str().unwrap_or(""),
                file["Index"].as_u64().unwrap_or(0),
            );
            if self.broken == Some((status, index)) {
                return Err(Failure::new(
                    "States.ResultWriterFailed",
                    "PutObject s3://b/k: S3.SlowDown",
                ));
            }
            return Ok(
                json!({"Key": format!("out/{status}_{index}.json"), "Size": file["Results"].to_string().len()}),
            );
        }
        assert!(
            parameters.get("Manifest").is_some(),
            "a file or the manifest: {parameters}"
        );
        Ok(
            json!({"MapRunArn": arn, "ResultWriterDetails": {"Bucket": "b", "Key": "out/manifest.json"}}),
        )
    }
}

type WritingEngine = Engine<MemoryStore, MemoryQueue, Bucket, ManualClock>;

fn engine(bucket: Bucket, result_file_bytes: usize) -> WritingEngine {
    Engine::with(
        MemoryStore::default(),
        MemoryQueue::default(),
        bucket,
        ManualClock::at(T0),
        Config {
            result_file_bytes,
            ..Config::local()
        },
    )
}

/// `items` children, those whose `n` is a multiple of 7 failing (tolerated).
fn definition(transformation: &str) -> String {
    json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "ToleratedFailurePercentage": 50,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED"},
            "StartAt": "Check", "States": {
                "Check": {"Type": "Choice",
                          "Choices": [{"Variable": "$.bad", "BooleanEquals": true, "Next": "Bad"}],
                          "Default": "Double"},
                "Bad": {"Type": "Fail", "Error": "Bad", "Cause": "a seventh"},
                "Double": {"Type": "Pass", "Parameters": {"d.$": "States.MathAdd($.n, $.n)"}, "End": true}
            }
        },
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": "b", "Prefix": "out"},
                         "WriterConfig": {"Transformation": transformation}},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
        "End": true
    }, "Caught": {"Type": "Pass", "End": true}}})
    .to_string()
}

fn input(items: u64) -> Value {
    json!({"items": (0..items).map(|n| json!({"n": n, "bad": n % 7 == 0})).collect::<Vec<_>>()})
}

async fn run(engine: &WritingEngine, definition: &str, input: Value) -> String {
    let arn = engine
        .start(StartRequest::new("m", definition, input))
        .await
        .expect("start")
        .execution_arn;
    let mut scheduled = Scheduled::default();
    for handled in 0.. {
        assert!(handled < 100_000, "runaway message loop");
        scheduled.take(engine.queue(), engine.clock().now());
        let Some((at, out)) = scheduled.pop() else {
            break;
        };
        engine.clock().advance_to(at);
        engine.handle(out.message, 1).await.expect("handle");
    }
    arn
}

#[tokio::test]
async fn results_are_written_a_bounded_file_at_a_time_then_the_manifest() {
    let items = 1_200;
    let engine = engine(Bucket::default(), 8_000);
    let arn = run(&engine, &definition("COMPACT"), input(items)).await;
    let record = engine.describe(&arn).await.expect("describe");
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    assert_eq!(
        record
            .output
            .as_ref()
            .map(|o| o["ResultWriterDetails"]["Key"].clone()),
        Some(json!("out/manifest.json"))
    );
    let requests = engine.tasks().requests();
    let (manifest, files) = requests.split_last().expect("requests");
    let mut succeeded = Vec::new();
    let mut failed = Vec::new();
    let mut indices = std::collections::BTreeMap::<String, Vec<u64>>::new();
    for file in files {
        let file = &file["File"];
        let results = file["Results"].as_array().expect("results").clone();
        // A file is begun again once it holds 8,000 bytes: no file much over it.
        assert!(file["Results"].to_string().len() < 9_000);
        let status = file["Status"].as_str().expect("status").to_owned();
        indices
            .entry(status.clone())
            .or_default()
            .push(file["Index"].as_u64().unwrap());
        match status.as_str() {
            "SUCCEEDED" => succeeded.extend(results),
            _ => failed.extend(results),
        }
    }
    // COMPACT: succeeded children's outputs, in child order; failed children's records.
    let expected: Vec<Value> = (0..items)
        .filter(|n| n % 7 != 0)
        .map(|n| json!({"d": 2 * n}))
        .collect();
    assert_eq!(succeeded, expected);
    assert_eq!(failed.len(), items.div_ceil(7) as usize);
    assert_eq!(failed[1]["Error"], "Bad");
    assert!(
        failed[1]["Name"].as_str().unwrap_or("").ends_with("-7"),
        "{}",
        failed[1]
    );
    assert_eq!(failed[1]["Input"], r#"{"n":7,"bad":true}"#);
    let counts: Vec<usize> = indices.values().map(Vec::len).collect();
    assert!(
        counts.iter().all(|&n| n >= 2),
        "every status split: {indices:?}"
    );
    for listed in indices.values() {
        assert_eq!(*listed, (0..listed.len() as u64).collect::<Vec<_>>());
    }
    // The manifest lists every file, as the writer answered for it.
    let listed = &manifest["Manifest"];
    assert_eq!(listed["PENDING"], json!([]));
    assert_eq!(
        listed["SUCCEEDED"].as_array().map(Vec::len),
        Some(indices["SUCCEEDED"].len())
    );
    assert_eq!(listed["FAILED"][0]["Key"], "out/FAILED_0.json");
}

#[tokio::test]
async fn a_file_that_cannot_be_written_fails_the_map_with_result_writer_failed() {
    let bucket = Bucket {
        broken: Some(("SUCCEEDED", 1)),
        ..Bucket::default()
    };
    let engine = engine(bucket, 10_000);
    let arn = run(&engine, &definition("NONE"), input(300)).await;
    let history = engine.history(&arn).await.expect("history");
    let caught = history
        .iter()
        .find(|e| e["stateEnteredEventDetails"]["name"] == "Caught")
        .and_then(|e| e["stateEnteredEventDetails"]["input"].as_str())
        .expect("the Catch ran");
    let caught: Value = serde_json::from_str(caught).expect("JSON");
    assert_eq!(caught["Error"], "States.ResultWriterFailed");
    // No manifest names files that were not all written.
    assert!(engine
        .tasks()
        .requests()
        .iter()
        .all(|r| r.get("Manifest").is_none()));
}
