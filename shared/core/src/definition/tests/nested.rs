//! Parallel and Map states: nested graphs and Map settings.

use serde_json::{json, Value};

use super::{ok, one, rejects};
use crate::definition::{Count, InputPath, MaxConcurrency, ProcessorMode, StateKind, Tolerance};

#[test]
fn parallel_state() {
    let m = ok(one(
        json!({"Type": "Parallel", "End": true, "Parameters": {"x.$": "$.y"}, "ResultSelector": {"r.$": "$[0]"},
        "Branches": [
            {"StartAt": "A", "Comment": "c", "States": {"A": {"Type": "Succeed"}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Succeed"}}}
        ]}),
    ));
    let s = &m.graph.states["S"];
    let StateKind::Parallel(p) = &s.kind else {
        panic!()
    };
    assert_eq!(p.branches.len(), 2);
    assert_eq!(p.branches[1].start_at, "B");
    assert!(s.parameters.is_some() && s.result_selector.is_some());
    let bad = [
        (
            json!({"Type": "Parallel", "End": true}),
            "/States/S",
            "missing required field \"Branches\"",
        ),
        (
            json!({"Type": "Parallel", "End": true, "Branches": []}),
            "/States/S/Branches",
            "must not be empty",
        ),
        (
            json!({"Type": "Parallel", "End": true, "Branches": [1]}),
            "/States/S/Branches/0",
            "must be an object",
        ),
        (
            json!({"Type": "Parallel", "End": true, "Branches": [{"States": {"A": {"Type": "Succeed"}}}]}),
            "/States/S/Branches/0",
            "missing required field \"StartAt\"",
        ),
        (
            json!({"Type": "Parallel", "End": true, "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}, "Version": "1.0"}]}),
            "/States/S/Branches/0/Version",
            "not supported in a Parallel branch",
        ),
        (
            json!({"Type": "Parallel", "End": true, "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Bad"}}}]}),
            "/States/S/Branches/0/States/A/Type",
            "is not a state type",
        ),
    ];
    for (state, path, needle) in bad {
        rejects(one(state), path, needle);
    }
}

fn processor() -> serde_json::Value {
    json!({"StartAt": "I", "States": {"I": {"Type": "Succeed"}}})
}

#[test]
fn map_state() {
    let m = ok(one(
        json!({"Type": "Map", "End": true, "ItemsPath": "$.items", "MaxConcurrency": 2,
        "ItemSelector": {"v.$": "$$.Map.Item.Value"}, "ResultSelector": {"n": 1}, "ResultPath": "$.out",
        "ItemProcessor": processor()}),
    ));
    let s = &m.graph.states["S"];
    let StateKind::Map(map) = &s.kind else {
        panic!()
    };
    assert!(matches!(&map.items_path, InputPath::Path(p) if p.source() == "$.items"));
    assert_eq!(map.max_concurrency, MaxConcurrency::Literal(2));
    assert_eq!(map.mode, ProcessorMode::Inline);
    assert!(map.item_selector.is_some());
    assert!(
        s.parameters.is_none(),
        "a Map's Parameters go to item_selector"
    );
    assert_eq!(map.processor.start_at, "I");
    assert!(map.distributed.is_none());

    // Legacy spellings: Iterator + Parameters.
    let m = ok(one(
        json!({"Type": "Map", "End": true, "Parameters": {"a.$": "$"}, "Iterator": processor()}),
    ));
    let StateKind::Map(map) = &m.graph.states["S"].kind else {
        panic!()
    };
    assert!(map.item_selector.is_some());
    assert_eq!(map.items_path, InputPath::Whole);
    assert_eq!(map.max_concurrency, MaxConcurrency::Literal(0));

    // Distributed.
    let m = ok(one(json!({"Type": "Map", "End": true,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}},
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}},
        "ItemBatcher": {"MaxItemsPerBatch": 10}, "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b"}},
        "Label": "L", "ToleratedFailurePercentage": 12.5, "ToleratedFailureCountPath": "$.n", "MaxConcurrencyPath": "$.mc"})));
    let StateKind::Map(map) = &m.graph.states["S"].kind else {
        panic!()
    };
    assert_eq!(map.mode, ProcessorMode::Distributed);
    assert_eq!(
        map.tolerated_failure_percentage,
        Some(Tolerance::Literal(12.5))
    );
    assert!(matches!(
        &map.tolerated_failure_count,
        Some(Tolerance::Path(_))
    ));
    assert!(matches!(&map.max_concurrency, MaxConcurrency::Path(_)));
    let d = map.distributed.as_ref().unwrap();
    assert_eq!(d["Label"], "L");
    assert_eq!(d["ExecutionType"], "EXPRESS");
    assert_eq!(d["ItemBatcher"], json!({"MaxItemsPerBatch": 10}));
    assert!(d.get("ItemReader").is_some() && d.get("ResultWriter").is_some());

    // AWS accepts ProcessorConfig in the legacy Iterator too (recorded executions).
    let m = ok(one(json!({"Type": "Map", "End": true,
        "Iterator": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}, "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}})));
    let StateKind::Map(map) = &m.graph.states["S"].kind else {
        panic!()
    };
    assert_eq!(map.mode, ProcessorMode::Distributed);

    // Tolerated failures are accepted on an inline Map too.
    ok(one(
        json!({"Type": "Map", "End": true, "ToleratedFailureCount": 1, "ItemProcessor": processor()}),
    ));
}

#[test]
fn map_state_errors() {
    let bad = [
        (
            json!({"Type": "Map", "End": true}),
            "/States/S",
            "missing required field \"ItemProcessor\"",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": processor(), "Iterator": processor()}),
            "/States/S",
            "cannot have both \"ItemProcessor\" and \"Iterator\"",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": processor(), "ItemSelector": {}, "Parameters": {}}),
            "/States/S",
            "cannot have both \"ItemSelector\" and \"Parameters\"",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": processor(), "ItemsPath": null}),
            "/States/S/ItemsPath",
            "null is not allowed",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": processor(), "MaxConcurrency": -1}),
            "/States/S/MaxConcurrency",
            "non-negative integer",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": processor(), "MaxConcurrency": 1, "MaxConcurrencyPath": "$.m"}),
            "/States/S",
            "cannot have both",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": processor(), "ToleratedFailurePercentage": 101}),
            "/States/S/ToleratedFailurePercentage",
            "between 0 and 100",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": processor(), "ToleratedFailureCount": 1.5}),
            "/States/S/ToleratedFailureCount",
            "non-negative integer",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": processor(), "ToleratedFailureCount": 1, "ToleratedFailureCountPath": "$.x"}),
            "/States/S",
            "cannot have both",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": processor(), "ItemReader": "s3"}),
            "/States/S/ItemReader",
            "must be an object",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": processor(), "Label": 1}),
            "/States/S/Label",
            "must be a string",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": {"ProcessorConfig": {"Mode": "PARALLEL"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}),
            "/States/S/ItemProcessor/ProcessorConfig/Mode",
            "must be \"INLINE\" or \"DISTRIBUTED\"",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": {"ProcessorConfig": {"ExecutionType": "FAST"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}),
            "/States/S/ItemProcessor/ProcessorConfig/ExecutionType",
            "must be \"STANDARD\" or \"EXPRESS\"",
        ),
        (
            json!({"Type": "Map", "End": true, "Iterator": {"ProcessorConfig": {"Mode": "X"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}),
            "/States/S/Iterator/ProcessorConfig/Mode",
            "must be \"INLINE\" or \"DISTRIBUTED\"",
        ),
        (
            json!({"Type": "Map", "End": true, "Iterator": {"Version": "1", "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}),
            "/States/S/Iterator/Version",
            "not supported in an Iterator",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": processor(), "Items": [1]}),
            "/States/S/Items",
            "only supported in JSONata states",
        ),
    ];
    for (state, path, needle) in bad {
        rejects(one(state), path, needle);
    }
}

#[test]
fn item_batcher() {
    let with = |batcher: serde_json::Value| {
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "ItemBatcher": batcher,
            "End": true}}})
    };
    let m = ok(with(
        json!({"MaxItemsPerBatch": 10, "BatchInput": {"k.$": "$.k"}}),
    ));
    let StateKind::Map(map) = &m.graph.states["M"].kind else {
        panic!("a Map")
    };
    let batcher = map.item_batcher.as_ref().expect("an ItemBatcher");
    assert_eq!(batcher.max_items, Some(Count::Literal(10)));
    assert!(batcher.batch_input.is_some());
    ok(with(json!({"MaxInputBytesPerBatchPath": "$.bytes"})));
    rejects(
        with(json!({"BatchInput": {}})),
        "/States/M/ItemBatcher",
        "must set",
    );
    rejects(
        with(json!({"MaxItemsPerBatch": 0})),
        "/States/M/ItemBatcher/MaxItemsPerBatch",
        "",
    );
    rejects(
        with(json!({"MaxInputBytesPerBatch": 300000})),
        "/States/M/ItemBatcher/MaxInputBytesPerBatch",
        "",
    );
    rejects(
        with(json!({"MaxItemsPerBatch": 1, "MaxItemsPerBatchPath": "$.n"})),
        "/States/M/ItemBatcher",
        "",
    );
    rejects(
        with(json!({"MaxItemsPerBatch": 1, "Bogus": 1})),
        "/States/M/ItemBatcher/Bogus",
        "",
    );
}

#[test]
fn result_writer_is_checked_at_definition_time() {
    let map = |writer: Value| {
        one(json!({"Type": "Map", "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "I", "States": {"I": {"Type": "Succeed"}}},
            "ResultWriter": writer}))
    };
    ok(map(json!({"Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket.$": "$.b", "Prefix": "p"},
        "WriterConfig": {"OutputType": "JSONL", "Transformation": "FLATTEN"}})));
    ok(map(json!({"WriterConfig": {"Transformation": "COMPACT"}})));
    let at = "/States/S/ResultWriter";
    let bad = [
        (
            json!({}),
            at.to_owned() + "/Resource",
            "needs a WriterConfig",
        ),
        (
            json!({"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b"}}),
            at.to_owned() + "/Resource",
            "not a result writer",
        ),
        (
            json!({"Resource": "arn:aws:states:::s3:putObject"}),
            at.to_owned() + "/Parameters",
            "required with a Resource",
        ),
        (
            json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Prefix": "p"}}),
            at.to_owned() + "/Parameters/Bucket",
            "is required",
        ),
        (
            json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Key": "k"}}),
            at.to_owned() + "/Parameters/Key",
            "not a ResultWriter field",
        ),
        (
            json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket.$": "$$$"}}),
            at.to_owned() + "/Parameters/Bucket.$",
            "",
        ),
        (
            json!({"WriterConfig": {"OutputType": "CSV"}}),
            at.to_owned() + "/WriterConfig/OutputType",
            "must be one of JSON, JSONL",
        ),
        (
            json!({"WriterConfig": {"Transformation": "SQUASH"}}),
            at.to_owned() + "/WriterConfig/Transformation",
            "must be one of NONE, COMPACT, FLATTEN",
        ),
        (
            json!({"WriterConfig": {"Format": "JSON"}}),
            at.to_owned() + "/WriterConfig/Format",
            "",
        ),
    ];
    for (writer, path, needle) in bad {
        rejects(map(writer), &path, needle);
    }
    rejects(
        one(json!({"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}},
            "ResultWriter": {"WriterConfig": {"Transformation": "COMPACT"}}})),
        at,
        "needs a DISTRIBUTED Map",
    );
}
