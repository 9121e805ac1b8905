//! A Distributed Map with an ItemReader asks the caller for its items as a task whose
//! result is the array (developer guide: "ItemReader (Map)").

use serde_json::json;

use super::{machine, run_scripted};
use crate::failure::{names, Failure};

/// A step's environment for these tests: the execution `info`, ten states at most.
fn env<'a>(
    info: &'a crate::interp::ExecutionInfo,
    entropy: &'a mut crate::entropy::SplitMix64,
    items_per_page: Option<u32>,
) -> crate::interp::Env<'a> {
    crate::interp::Env {
        now: super::T0,
        execution: info,
        entropy,
        first_event_id: 1,
        record_history: false,
        max_transitions: 10,
        task_token_prefix: None,
        items_per_page,
    }
}

fn reader_map(reader: serde_json::Value) -> crate::definition::StateMachine {
    machine(json!({"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "ItemReader": reader,
        "ItemSelector": {"line.$": "$$.Map.Item.Value", "run.$": "$.run"},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}
        },
        "ResultPath": "$.out",
        "End": true
    }}}))
}

#[test]
fn the_reader_is_a_task_whose_result_is_the_items() {
    let definition = reader_map(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "Parameters": {"Bucket.$": "$.bucket", "Key": "data.csv"},
        "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItemsPath": "$.max"}
    }));
    let r = run_scripted(
        &definition,
        json!({"bucket": "b", "run": 3, "max": 2}),
        vec![Ok(json!([{"a": "1"}, {"a": "2"}]))],
    );
    let (_, task) = &r.tasks[0];
    assert_eq!(task.request.resource, "arn:aws:states:::s3:getObject");
    assert_eq!(
        task.request.parameters,
        json!({"Parameters": {"Bucket": "b", "Key": "data.csv"},
               "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": 2}})
    );
    // ItemSelector still reads the Map's input; ResultPath merges into it.
    assert_eq!(
        r.output()["out"],
        json!([{"line": {"a": "1"}, "run": 3}, {"line": {"a": "2"}, "run": 3}])
    );
    assert_eq!(r.output()["bucket"], "b");
}

#[test]
fn a_literal_max_items_trims_a_generous_reader() {
    let definition = reader_map(json!({
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "Parameters": {"Bucket": "b"},
        "ReaderConfig": {"MaxItems": 1}
    }));
    let r = run_scripted(&definition, json!({"run": 1}), vec![Ok(json!(["x", "y"]))]);
    assert_eq!(r.output()["out"], json!([{"line": "x", "run": 1}]));
}

#[test]
fn a_failed_read_fails_the_map_with_item_reader_failed() {
    let definition = reader_map(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "Parameters": {"Bucket": "b", "Key": "k"}
    }));
    let r = run_scripted(
        &definition,
        json!({}),
        vec![Err(Failure::new(
            "S3.NoSuchKey",
            "The specified key does not exist.",
        ))],
    );
    let failure = r.failure();
    assert_eq!(failure.error.as_deref(), Some(names::ITEM_READER_FAILED));
    assert!(failure.cause.as_deref().unwrap_or("").contains("NoSuchKey"));
    // A result that is not an array fails the same way.
    let r = run_scripted(&definition, json!({}), vec![Ok(json!({"not": "items"}))]);
    assert_eq!(
        r.failure().error.as_deref(),
        Some(names::ITEM_READER_FAILED)
    );
}

#[test]
fn a_bad_max_items_path_fails_before_reading() {
    let definition = reader_map(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "Parameters": {"Bucket": "b", "Key": "k"},
        "ReaderConfig": {"MaxItemsPath": "$.max"}
    }));
    let r = run_scripted(&definition, json!({"max": "lots"}), Vec::new());
    assert_eq!(r.failure().error.as_deref(), Some(names::RUNTIME));
    assert!(r.tasks.is_empty());
}

#[test]
fn reader_definitions_are_checked() {
    let bad = |reader: serde_json::Value, mode: &str| {
        crate::definition::parse_value(&json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "End": true, "ItemReader": reader,
            "ItemProcessor": {"ProcessorConfig": {"Mode": mode},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}
        }}}))
        .is_err()
    };
    let good = json!({"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}});
    assert!(!bad(good.clone(), "DISTRIBUTED"));
    assert!(bad(good, "INLINE"));
    assert!(bad(
        json!({"Resource": "arn:aws:states:::s3:putObject"}),
        "DISTRIBUTED"
    ));
    assert!(bad(
        json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"CSVDelimiter": "COLON"}}),
        "DISTRIBUTED"
    ));
    assert!(bad(
        json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"CSVHeaderLocation": "GIVEN"}}),
        "DISTRIBUTED"
    ));
}

#[test]
fn a_distributed_map_runs_ten_thousand_children_at_once_by_default() {
    use crate::interp::{step, Effect, Event, ExecutionInfo, Frame};
    let max_concurrency = |mode: &str| {
        let definition = machine(json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": mode},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}
        }}}));
        let info = ExecutionInfo::local("t", "e", json!([1, 2]), super::T0);
        let mut frame = Frame::root(&definition, json!([1, 2]), super::T0);
        let mut entropy = crate::entropy::SplitMix64::new(1);
        let mut env = env(&info, &mut entropy, None);
        let out = step(&definition, &mut frame, Event::Run, &mut env).expect("steps");
        match &out.effects[..] {
            [Effect::RunChildren(request)] => request.max_concurrency,
            other => panic!("expected children, got {other:?}"),
        }
    };
    assert_eq!(max_concurrency("DISTRIBUTED"), Some(10_000));
    assert_eq!(max_concurrency("INLINE"), None);
}

/// Reads `items` through a paged reader `size` at a time (the caller's loop of
/// [`next_page_request`] and [`map_page`]) and returns every child input in index
/// order, with the reads' requests.
fn paged(
    definition: &crate::definition::StateMachine,
    input: serde_json::Value,
    items: &[serde_json::Value],
    size: usize,
) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    use crate::interp::{map_page, next_page_request, step, Effect, Event, ExecutionInfo};
    use crate::interp::{Feed, Frame};
    let info = ExecutionInfo::local("t", "e", input.clone(), super::T0);
    let mut frame = Frame::root(definition, input, super::T0);
    let mut entropy = crate::entropy::SplitMix64::new(1);
    let mut env = env(&info, &mut entropy, Some(size as u32));
    // A reader over `items`: the cursor is the next index.
    let answer = |request: &serde_json::Value| {
        let at = request["Page"]["Cursor"].as_u64().unwrap_or(0) as usize;
        let max = request["ReaderConfig"]["MaxItems"].as_u64().unwrap_or(0) as usize;
        let take = if max > 0 { size.min(max) } else { size };
        let end = (at + take).min(items.len());
        let cursor = if end < items.len() {
            json!(end)
        } else {
            json!(null)
        };
        json!({"Items": items[at..end], "Cursor": cursor})
    };
    let out = step(definition, &mut frame, Event::Run, &mut env).expect("steps");
    let [Effect::InvokeTask(first)] = &out.effects[..] else {
        panic!("expected a read, got {:?}", out.effects)
    };
    let mut requests = vec![first.parameters.clone()];
    let output = answer(&first.parameters);
    let out = step(
        definition,
        &mut frame,
        Event::TaskSucceeded { output },
        &mut env,
    )
    .expect("steps");
    let [Effect::RunChildren(request)] = &out.effects[..] else {
        panic!("expected children, got {:?}", out.effects)
    };
    let mut inputs: Vec<_> = request.children.iter().map(|c| c.input().clone()).collect();
    let mut feed: Option<Feed> = request.feed.clone();
    while let Some(at) = feed.take() {
        assert_eq!(at.children, inputs.len() as u64, "children run on");
        let read = next_page_request(definition, &frame, &at, &mut env).expect("a request");
        requests.push(read.parameters.clone());
        let page = map_page(
            definition,
            &frame,
            &at,
            Ok(answer(&read.parameters)),
            &mut env,
        )
        .expect("a page");
        inputs.extend(page.children.iter().map(|c| c.input().clone()));
        feed = page.next;
    }
    (inputs, requests)
}

#[test]
fn pages_make_the_children_one_read_makes() {
    let items: Vec<_> = (0..23).map(|i| json!({"n": i})).collect();
    let definition = machine(json!({"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                       "Parameters": {"Bucket": "b"}, "ReaderConfig": {"MaxItems": 20}},
        "ItemSelector": {"n.$": "$$.Map.Item.Value.n", "index.$": "$$.Map.Item.Index"},
        "ItemBatcher": {"MaxItemsPerBatch": 3, "BatchInput": {"run.$": "$.run"}},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}
        },
        "End": true
    }}}));
    let input = json!({"run": 7});
    let (whole, _) = paged(&definition, input.clone(), &items, 1000);
    assert_eq!(whole.len(), 7, "20 items in batches of 3");
    assert_eq!(
        whole[6],
        json!({"BatchInput": {"run": 7}, "Items": [{"n": 18, "index": 18}, {"n": 19, "index": 19}]})
    );
    for size in [1, 2, 4, 7] {
        let (inputs, requests) = paged(&definition, input.clone(), &items, size);
        assert_eq!(inputs, whole, "pages of {size}");
        // Each read asks for what MaxItems leaves, from where the last one stopped.
        let last = requests.last().expect("reads");
        assert_eq!(last["Page"]["Size"], size);
        let read_before: u64 = 20 - last["ReaderConfig"]["MaxItems"].as_u64().unwrap();
        assert_eq!(last["Page"]["Cursor"], json!(read_before));
    }
}

#[test]
fn a_later_page_that_fails_fails_the_map_with_item_reader_failed() {
    use crate::interp::{map_page, Feed, Frame, Phase};
    let definition = reader_map(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "Parameters": {"Bucket": "b", "Key": "k"}
    }));
    let info = crate::interp::ExecutionInfo::local("t", "e", json!({}), super::T0);
    let mut frame = Frame::root(&definition, json!({}), super::T0);
    frame.phase = Phase::Children;
    let mut entropy = crate::entropy::SplitMix64::new(1);
    let mut env = env(&info, &mut entropy, Some(10));
    let feed = Feed {
        page: 1,
        cursor: json!(10),
        items: 10,
        children: 10,
        carry: Vec::new(),
    };
    let failure = map_page(
        &definition,
        &frame,
        &feed,
        Err(Failure::new(
            "S3.SlowDown",
            "Please reduce your request rate.",
        )),
        &mut env,
    )
    .expect_err("fails");
    assert_eq!(failure.error.as_deref(), Some(names::ITEM_READER_FAILED));
    let failure = map_page(&definition, &frame, &feed, Ok(json!(3)), &mut env).expect_err("fails");
    assert_eq!(failure.error.as_deref(), Some(names::ITEM_READER_FAILED));
}
