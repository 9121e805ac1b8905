//! A Distributed Map's ItemReader read a page at a time by the durable engine: a source of
//! thousands of items never travels in one answer, and the Map ends as if it had read
//! every item at once.

mod support;

use std::sync::Mutex;

use serde_json::{json, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{
    Clock, Config, Engine, ExecutionStatus, Handled, MessageKind, StartRequest, TaskInvoker,
};
use support::{ManualClock, Scheduled, T0};

/// A reader over `{"n": i, "fail": …}` items whose cursor is the next index.
struct Source {
    items: usize,
    failing: fn(usize) -> bool,
    /// A page that cannot be read (by its first index).
    broken_at: Option<usize>,
    /// The item count of every answer.
    answers: Mutex<Vec<usize>>,
}

impl Source {
    fn new(items: usize, failing: fn(usize) -> bool) -> Self {
        Self {
            items,
            failing,
            broken_at: None,
            answers: Mutex::new(Vec::new()),
        }
    }

    fn item(&self, n: usize) -> Value {
        json!({"n": n, "fail": (self.failing)(n)})
    }

    fn answers(&self) -> Vec<usize> {
        self.answers.lock().expect("answers").clone()
    }
}

impl TaskInvoker for Source {
    async fn invoke(&self, _execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        let parameters = &request.parameters;
        let max = parameters["ReaderConfig"]["MaxItems"]
            .as_u64()
            .filter(|&n| n > 0)
            .map_or(usize::MAX, |n| n as usize);
        let Some(size) = parameters["Page"]["Size"].as_u64() else {
            let items: Vec<Value> = (0..self.items.min(max)).map(|n| self.item(n)).collect();
            self.answers.lock().expect("answers").push(items.len());
            return Ok(Value::Array(items));
        };
        let at = parameters["Page"]["Cursor"].as_u64().unwrap_or(0) as usize;
        if self.broken_at == Some(at) {
            return Err(Failure::new(
                "S3.InternalError",
                "We encountered an internal error.",
            ));
        }
        let end = (at + (size as usize).min(max)).min(self.items);
        let items: Vec<Value> = (at..end).map(|n| self.item(n)).collect();
        self.answers.lock().expect("answers").push(items.len());
        let cursor = if end < self.items {
            json!(end)
        } else {
            Value::Null
        };
        Ok(json!({"Items": items, "Cursor": cursor}))
    }
}

type PagedEngine = Engine<MemoryStore, MemoryQueue, Source, ManualClock>;

fn engine(source: Source) -> PagedEngine {
    Engine::with(
        MemoryStore::default(),
        MemoryQueue::default(),
        source,
        ManualClock::at(T0),
        Config::local(),
    )
}

/// A Distributed Map reading the source; `extra` adds or overrides Map fields.
fn definition(extra: Value) -> String {
    let mut map = json!({
        "Type": "Map",
        "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b"}},
        "ItemSelector": {"n.$": "$$.Map.Item.Value.n", "fail.$": "$$.Map.Item.Value.fail",
                         "index.$": "$$.Map.Item.Index"},
        "MaxConcurrency": 40,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Check", "States": {
                "Check": {"Type": "Choice",
                          "Choices": [{"Variable": "$.fail", "BooleanEquals": true, "Next": "Bad"}],
                          "Default": "Double"},
                "Bad": {"Type": "Fail", "Error": "Bad", "Cause": "a failing item"},
                "Double": {"Type": "Pass", "Parameters": {"d.$": "States.MathAdd($.n, $.n)", "index.$": "$.index"}, "End": true}
            }
        },
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
        "Next": "Done"
    });
    for (key, value) in extra.as_object().expect("an object") {
        map[key] = value.clone();
    }
    json!({"StartAt": "M", "States": {
        "M": map,
        "Caught": {"Type": "Pass", "End": true},
        "Done": {"Type": "Succeed"}
    }})
    .to_string()
}

/// Runs the execution to its end, handling every first delivery twice (as if its handler
/// outlived the visibility timeout); returns the ARN and the `ReadPage` messages handled.
async fn run(engine: &PagedEngine, definition: &str) -> (String, usize) {
    run_watching(engine, definition, |_| {}).await
}

/// [`run`], calling `watch` with the ARN before each `ReadPage` is handled.
async fn run_watching(
    engine: &PagedEngine,
    definition: &str,
    mut watch: impl FnMut(&str),
) -> (String, usize) {
    let arn = engine
        .start(StartRequest::new("m", definition, json!({})))
        .await
        .expect("start")
        .execution_arn;
    let mut scheduled = Scheduled::default();
    let mut pages = 0;
    for handled in 0.. {
        assert!(handled < 200_000, "runaway message loop");
        scheduled.take(engine.queue(), engine.clock().now());
        let Some((at, out)) = scheduled.pop() else {
            break;
        };
        engine.clock().advance_to(at);
        let message = out.message;
        if matches!(message.kind, MessageKind::ReadPage { .. }) {
            pages += 1;
            watch(&arn);
        }
        let handled = engine.handle(message.clone(), 1).await.expect("handle");
        // A child's successor asked for before its page was read is started by the
        // page, not by a `Run` going round until the page comes.
        assert!(
            !(message.kind == MessageKind::Run && handled == Handled::Delayed),
            "a Run waited for its page: {message:?}"
        );
        if !message.resent {
            engine.handle(message, 2).await.expect("redelivery");
        }
    }
    (arn, pages)
}

/// The Map's output, from its `MapStateExited` event.
fn map_output(history: &[Value]) -> Value {
    let output = history
        .iter()
        .find(|e| e["type"] == "MapStateExited")
        .and_then(|e| e["stateExitedEventDetails"]["output"].as_str())
        .expect("the Map exited");
    serde_json::from_str(output).expect("JSON")
}

fn expected(items: usize, failing: fn(usize) -> bool) -> Value {
    Value::Array(
        (0..items)
            .map(|n| match failing(n) {
                true => json!({"Error": "Bad", "Cause": "a failing item"}),
                false => json!({"d": 2 * n, "index": n}),
            })
            .collect(),
    )
}

fn every_hundredth(n: usize) -> bool {
    n % 100 == 7
}

#[tokio::test]
async fn a_large_source_is_read_a_page_at_a_time_and_maps_as_one_read() {
    let items = 2_500;
    let engine = engine(Source::new(items, every_hundredth));
    let definition = definition(json!({"ToleratedFailurePercentage": 5}));
    let (arn, pages) = run(&engine, &definition).await;
    let record = engine.describe(&arn).await.expect("describe");
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    let history = engine.history(&arn).await.expect("history");
    let output = map_output(&history);
    assert_eq!(output, expected(items, every_hundredth));
    // Three pages; none holds more than a thousand items.
    assert_eq!(engine.tasks().answers(), vec![1_000, 1_000, 500]);
    assert!(pages >= 2, "{pages} ReadPage messages");
    let started = history
        .iter()
        .filter(|e| e["type"] == "MapIterationStarted")
        .count();
    assert_eq!(started, items);
    assert_eq!(engine.store().frames(&arn).len(), items + 1);
}

#[tokio::test]
async fn a_failure_percentage_is_judged_once_every_item_is_read() {
    // Thirty failures, all in the first page: 3 % of it, 1.2 % of the whole.
    let early = |n: usize| n < 30;
    for (tolerated, status) in [(2, "Done"), (1, "Caught")] {
        let engine = engine(Source::new(2_500, early));
        let definition = definition(json!({"ToleratedFailurePercentage": tolerated}));
        let (arn, _) = run(&engine, &definition).await;
        let history = engine.history(&arn).await.expect("history");
        let after_map: Vec<&str> = history
            .iter()
            .filter_map(|e| e["stateEnteredEventDetails"]["name"].as_str())
            .filter(|name| ["Caught", "Done"].contains(name))
            .collect();
        assert_eq!(after_map, [status], "tolerating {tolerated} %");
        let exceeded = history.iter().any(|e| {
            e["type"] == "MapRunFailed"
                && e.to_string()
                    .contains("States.ExceedToleratedFailureThreshold")
        });
        assert_eq!(exceeded, status == "Caught", "tolerating {tolerated} %");
    }
}

#[tokio::test]
async fn a_page_that_cannot_be_read_fails_the_map_with_item_reader_failed() {
    let mut source = Source::new(2_500, |_| false);
    source.broken_at = Some(2_000);
    let engine = engine(source);
    let (arn, _) = run(&engine, &definition(json!({}))).await;
    let record = engine.describe(&arn).await.expect("describe");
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    let history = engine.history(&arn).await.expect("history");
    let caught = history
        .iter()
        .find(|e| e["type"] == "PassStateEntered")
        .and_then(|e| e["stateEnteredEventDetails"]["input"].as_str())
        .expect("the Catch ran");
    let caught: Value = serde_json::from_str(caught).expect("JSON");
    assert_eq!(caught["Error"], "States.ItemReaderFailed");
    assert!(caught["Cause"]
        .as_str()
        .unwrap_or("")
        .contains("S3.InternalError"));
}

#[tokio::test]
async fn batches_and_max_items_come_out_as_from_one_read() {
    let batched = json!({
        "ItemBatcher": {"MaxItemsPerBatch": 7},
        "ItemSelector": {"n.$": "$$.Map.Item.Value.n"},
        "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                       "Parameters": {"Bucket": "b"}, "ReaderConfig": {"MaxItems": 2_200}},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED"},
            "StartAt": "Count", "States": {"Count": {"Type": "Pass",
                "Parameters": {"first.$": "$.Items[0].n", "size.$": "States.ArrayLength($.Items)"}, "End": true}}
        }
    });
    let engine = engine(Source::new(2_500, |_| false));
    let (arn, _) = run(&engine, &definition(batched)).await;
    let history = engine.history(&arn).await.expect("history");
    let output = map_output(&history);
    let expected: Vec<Value> = (0..2_200)
        .step_by(7)
        .map(|first| json!({"first": first, "size": (2_200 - first).min(7)}))
        .collect();
    assert_eq!(output, Value::Array(expected));
    // MaxItems ends the reading: the third page asks for the 200 items left.
    assert_eq!(engine.tasks().answers(), vec![1_000, 1_000, 200]);
}
