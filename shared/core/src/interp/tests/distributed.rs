//! A Distributed Map over items from the input: batching and failure tolerance
//! (developer guide: "ItemBatcher", "Setting failure thresholds for Distributed Map").

use serde_json::{json, Value};

use super::run;

fn distributed(extra: Value, processor_states: Value) -> Value {
    let mut map = json!({
        "Type": "Map",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Check",
            "States": processor_states
        },
        "End": true
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        map[k] = v;
    }
    json!({"StartAt": "M", "States": {"M": map}})
}

/// Fails items equal to "bad", passes the others through.
fn fail_bad_items() -> Value {
    json!({
        "Check": {"Type": "Choice",
                  "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "Boom"}],
                  "Default": "Ok"},
        "Boom": {"Type": "Fail", "Error": "Bad", "Cause": "bad item"},
        "Ok": {"Type": "Pass", "End": true}
    })
}

#[test]
fn item_batcher_groups_items_and_adds_batch_input() {
    let r = run(
        distributed(
            json!({
                "ItemSelector": {"v.$": "$$.Map.Item.Value"},
                "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"run.$": "$.run"}},
                "ItemsPath": "$.items"
            }),
            json!({"Check": {"Type": "Pass", "End": true}}),
        ),
        json!({"run": 7, "items": [1, 2, 3]}),
    );
    assert_eq!(
        r.output(),
        &json!([
            {"BatchInput": {"run": 7}, "Items": [{"v": 1}, {"v": 2}]},
            {"BatchInput": {"run": 7}, "Items": [{"v": 3}]}
        ])
    );
}

#[test]
fn one_failed_child_exceeds_the_default_zero_tolerance() {
    let r = run(
        distributed(json!({}), fail_bad_items()),
        json!(["good", "bad", "good"]),
    );
    let f = r.failure();
    assert_eq!(
        f.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
    assert_eq!(
        f.cause.as_deref(),
        Some("The specified tolerated failure threshold was exceeded")
    );
}

#[test]
fn failures_within_tolerance_keep_their_error_output_in_the_results() {
    let r = run(
        distributed(json!({"ToleratedFailureCount": 1}), fail_bad_items()),
        json!(["good", "bad", "good"]),
    );
    assert_eq!(
        r.output(),
        &json!(["good", {"Error": "Bad", "Cause": "bad item"}, "good"])
    );
    let over = run(
        distributed(json!({"ToleratedFailurePercentage": 50}), fail_bad_items()),
        json!(["bad", "bad", "good"]),
    );
    assert_eq!(
        over.failure().error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
}

#[test]
fn the_threshold_error_is_catchable() {
    let mut def = distributed(json!({}), fail_bad_items());
    def["States"]["M"]["Catch"] = json!([
        {"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Caught"}
    ]);
    def["States"]["Caught"] = json!({"Type": "Pass", "Result": "caught", "End": true});
    assert_eq!(run(def, json!(["bad"])).output(), &json!("caught"));
}

#[test]
fn inline_maps_ignore_tolerance_and_fail_with_the_childs_error() {
    let r = run(
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "ToleratedFailureCount": 5,
            "ItemProcessor": {"StartAt": "Check", "States": fail_bad_items()},
            "End": true}}}),
        json!(["good", "bad"]),
    );
    assert_eq!(r.failure().error.as_deref(), Some("Bad"));
}

#[test]
fn tolerance_paths_are_validated_at_run_time() {
    let def = distributed(
        json!({"ToleratedFailureCountPath": "$.tolerance", "ItemsPath": "$.items"}),
        fail_bad_items(),
    );
    let negative = run(def.clone(), json!({"tolerance": -1, "items": []}));
    assert!(negative
        .failure()
        .cause
        .as_deref()
        .unwrap_or_default()
        .ends_with("ToleratedFailureCount cannot be negative."));
    let ok = run(def, json!({"tolerance": "1", "items": ["bad", "good"]}));
    assert_eq!(
        ok.output(),
        &json!([{"Error": "Bad", "Cause": "bad item"}, "good"])
    );
}

/// A `ResultWriter` with only a `WriterConfig` writes nothing: the transformed results
/// are the Map's output, and a failed child keeps its whole record (developer guide,
/// "ResultWriter": a failed child's result is returned unchanged, as with NONE).
#[test]
fn writer_config_alone_shapes_the_map_output() {
    let states = json!({
        "Check": {"Type": "Choice",
                  "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "Boom"}],
                  "Default": "Pair"},
        "Boom": {"Type": "Fail", "Error": "Bad", "Cause": "bad item"},
        "Pair": {"Type": "Pass", "Parameters": {"p.$": "States.Array($, $)"}, "OutputPath": "$.p", "End": true}
    });
    let writer = |transformation: &str| {
        json!({"ToleratedFailureCount": 1,
               "ResultWriter": {"WriterConfig": {"Transformation": transformation}}})
    };
    let r = run(
        distributed(writer("FLATTEN"), states.clone()),
        json!(["a", "bad", "b"]),
    );
    let output = r.output().as_array().cloned().unwrap_or_default();
    assert_eq!(output.len(), 5, "{output:?}");
    assert_eq!(output[..2], [json!("a"), json!("a")]);
    assert_eq!(output[2]["Status"], "FAILED");
    assert_eq!(output[2]["Error"], "Bad");
    assert_eq!(output[2]["Input"], r#""bad""#);
    assert_eq!(output[3..], [json!("b"), json!("b")]);

    let r = run(distributed(writer("COMPACT"), states.clone()), json!(["a"]));
    assert_eq!(r.output(), &json!([["a", "a"]]));

    let r = run(distributed(writer("NONE"), states), json!(["a"]));
    let record = &r.output()[0];
    assert_eq!(record["Status"], "SUCCEEDED");
    assert_eq!(record["Output"], r#"["a","a"]"#);
    assert_eq!(record["InputDetails"], json!({"Included": true}));
    assert!(record["StartDate"].is_string() && record["StopDate"].is_string());
}

/// Map Run events sit inside the Map's own: started after `MapStateStarted`, ended
/// before `MapStateSucceeded` / `MapStateFailed` (placement as LocalStack, tested
/// against AWS, emits them); an inline Map has none.
#[test]
fn map_run_events_frame_the_children() {
    let map_events = |r: &super::Run| -> Vec<String> {
        r.event_types()
            .into_iter()
            .filter(|t| t.starts_with("MapState") || t.starts_with("MapRun"))
            .map(str::to_owned)
            .collect()
    };
    let r = run(distributed(json!({}), fail_bad_items()), json!(["a", "b"]));
    assert_eq!(
        map_events(&r),
        [
            "MapStateEntered",
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited"
        ]
    );
    let started = r
        .history
        .iter()
        .find(|e| e.event.event_type == "MapRunStarted")
        .map(|e| e.event.to_aws_json(1, 0, "t"))
        .unwrap_or_default();
    let arn = started["mapRunStartedEventDetails"]["mapRunArn"]
        .as_str()
        .unwrap_or_default();
    assert!(arn.contains(":mapRun:") && arn.contains("/M:"), "{started}");

    let r = run(
        distributed(json!({}), fail_bad_items()),
        json!(["a", "bad"]),
    );
    let failed = r
        .history
        .iter()
        .find(|e| e.event.event_type == "MapRunFailed")
        .map(|e| e.event.to_aws_json(1, 0, "t"))
        .unwrap_or_default();
    assert_eq!(
        failed["mapRunFailedEventDetails"]["error"],
        "States.ExceedToleratedFailureThreshold"
    );
    let types = map_events(&r);
    let at = |t: &str| types.iter().position(|x| x == t);
    assert!(at("MapRunFailed") < at("MapStateFailed"), "{types:?}");

    let inline = run(
        json!({"StartAt": "M", "States": {"M": {"Type": "Map",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "End": true}}}),
        json!([1]),
    );
    assert!(!inline.event_types().iter().any(|t| t.starts_with("MapRun")));
}

/// JSONata states name the writer's bucket with `Arguments`, evaluated when it runs.
#[test]
fn jsonata_arguments_name_the_writers_bucket() {
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {
        "Type": "Map", "Items": "{% $states.input.items %}",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
            "Arguments": {"Bucket": "{% $states.input.bucket %}", "Prefix": "{% 'runs/' & $states.input.run %}"}},
        "End": true}}});
    let written = json!({"MapRunArn": "a", "ResultWriterDetails": {"Bucket": "b", "Key": "k"}});
    let r = super::run_scripted(
        &super::machine(definition),
        json!({"items": [1], "bucket": "results", "run": 7}),
        vec![Ok(written.clone())],
    );
    assert_eq!(r.output(), &written);
    let request = &r.tasks[0].1.request.parameters;
    assert_eq!(
        request["Parameters"],
        json!({"Bucket": "results", "Prefix": "runs/7"})
    );
    assert_eq!(request["Results"]["SUCCEEDED"][0]["Output"], "1");
}
