//! What a Distributed Map's `ResultWriter` writes, per its `WriterConfig`: one record
//! per child as AWS writes them to `SUCCEEDED_0.json` / `FAILED_0.json`, and the
//! `Transformation` that turns succeeded children's records into their outputs
//! (`COMPACT`) or their outputs' elements (`FLATTEN`). A failed child always keeps its
//! whole record: AWS's docs say a failed child's result is returned "unchanged", as
//! with `NONE`.
//!
//! A record's fields, in AWS's (alphabetical) order:
//!
//! ```json
//! {"ExecutionArn": "…:execution:<machine>/<label>:<run id>-<index>",
//!  "Input": "{\"x\":1}", "InputDetails": {"Included": true},
//!  "Name": "<run id>-<index>",
//!  "Output": "{\"y\":2}", "OutputDetails": {"Included": true},
//!  "RedriveCount": 0, "RedriveStatus": "NOT_REDRIVABLE",
//!  "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven",
//!  "StartDate": "2024-01-01T00:00:00.000Z", "StateMachineArn": "…:stateMachine:<machine>/<label>",
//!  "Status": "SUCCEEDED", "StopDate": "2024-01-01T00:00:01.000Z"}
//! ```
//!
//! A failed child's record has `Cause` and `Error` (first, in that order) instead of
//! `Output` and `OutputDetails`.

use serde_json::{json, Map, Value};

use super::context::iso8601;
use super::event::ChildEnd;
use super::io::compact;
use super::map_run;

/// `WriterConfig.Transformation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transformation {
    None,
    Compact,
    Flatten,
}

impl Transformation {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Compact => "COMPACT",
            Self::Flatten => "FLATTEN",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "NONE" => Some(Self::None),
            "COMPACT" => Some(Self::Compact),
            "FLATTEN" => Some(Self::Flatten),
            _ => None,
        }
    }
}

/// The accepted `WriterConfig.OutputType` values.
pub(crate) const OUTPUT_TYPES: [&str; 2] = ["JSON", "JSONL"];

/// The accepted `WriterConfig.Transformation` values.
pub(crate) const TRANSFORMATIONS: [&str; 3] = ["NONE", "COMPACT", "FLATTEN"];

/// Who the children are: their ARNs and names derive from the Map Run's.
pub(crate) struct RunNames<'a> {
    pub map_run_arn: &'a str,
}

/// One child's status and record. `end` is what the caller knows of it (nothing for a
/// caller that reports no details: the child then succeeded).
pub(crate) fn record(
    names: &RunNames<'_>,
    index: usize,
    output: &Value,
    end: Option<&ChildEnd>,
) -> (&'static str, Value) {
    let failed = end.is_some_and(|e| e.failed);
    let status = if failed { "FAILED" } else { "SUCCEEDED" };
    let child = map_run::child_execution(names.map_run_arn, index as u64);
    let mut record = Map::new();
    if failed {
        if let Some(cause) = output.get("Cause") {
            record.insert("Cause".into(), cause.clone());
        }
        record.insert("Error".into(), output.get("Error").cloned().into());
    }
    record.insert("ExecutionArn".into(), child.arn.into());
    match end.and_then(|e| e.input.as_ref()) {
        Some(input) => {
            record.insert("Input".into(), compact(input).into());
            record.insert("InputDetails".into(), json!({"Included": true}));
        }
        None => {
            record.insert("InputDetails".into(), json!({"Included": false}));
        }
    }
    record.insert("Name".into(), child.name.into());
    if !failed {
        record.insert("Output".into(), compact(output).into());
        record.insert("OutputDetails".into(), json!({"Included": true}));
    }
    record.insert("RedriveCount".into(), 0.into());
    record.insert("RedriveStatus".into(), "NOT_REDRIVABLE".into());
    record.insert(
        "RedriveStatusReason".into(),
        format!("Execution is {status} and cannot be redriven").into(),
    );
    if let Some(start) = end.and_then(|e| e.start_date) {
        record.insert("StartDate".into(), iso8601(start).into());
    }
    record.insert("StateMachineArn".into(), child.state_machine_arn.into());
    record.insert("Status".into(), status.into());
    if let Some(stop) = end.and_then(|e| e.stop_date) {
        record.insert("StopDate".into(), iso8601(stop).into());
    }
    (status, Value::Object(record))
}

/// The results of every child, by status, transformed: what the result files hold.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Results {
    pub succeeded: Vec<Value>,
    pub failed: Vec<Value>,
    /// Every result in child order: the Map's output when nothing is written to S3.
    pub all: Vec<Value>,
}

pub(crate) fn results(
    names: &RunNames<'_>,
    outputs: Vec<Value>,
    children: &[ChildEnd],
    transformation: Transformation,
) -> Results {
    let mut results = Results::default();
    for (index, output) in outputs.into_iter().enumerate() {
        let (failed, kept) = shaped(names, index, output, children.get(index), transformation);
        let file = match failed {
            true => &mut results.failed,
            false => &mut results.succeeded,
        };
        file.extend(kept.iter().cloned());
        results.all.extend(kept);
    }
    results
}

/// One child's results as its file holds them (whether it failed, and its results).
fn shaped(
    names: &RunNames<'_>,
    index: usize,
    output: Value,
    end: Option<&ChildEnd>,
    transformation: Transformation,
) -> (bool, Vec<Value>) {
    let failed = end.is_some_and(|e| e.failed);
    let kept = match (transformation, failed) {
        (Transformation::None, _) | (_, true) => vec![record(names, index, &output, end).1],
        (Transformation::Compact, false) => vec![output],
        (Transformation::Flatten, false) => match output {
            Value::Array(items) => items,
            other => vec![other],
        },
    };
    (failed, kept)
}

/// One child's results for a caller that writes result files itself, a page of children
/// at a time (see [`super::Event::ChildrenSucceeded`]'s `stored`): `request` is the
/// writer request the Map made (its `MapRunArn` and `InStore.Transformation`). Whether
/// the child failed, and what its file gets.
pub fn child_results(
    request: &Value,
    index: u64,
    output: Value,
    end: &ChildEnd,
) -> (bool, Vec<Value>) {
    let names = RunNames {
        map_run_arn: request["MapRunArn"].as_str().unwrap_or_default(),
    };
    let transformation = request["InStore"]["Transformation"]
        .as_str()
        .and_then(Transformation::parse)
        .unwrap_or(Transformation::None);
    shaped(&names, index as usize, output, Some(end), transformation)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: RunNames<'static> = RunNames {
        map_run_arn: "arn:aws:states:r:1:mapRun:m/L:run",
    };

    fn ended(failed: bool) -> ChildEnd {
        ChildEnd {
            failed,
            input: Some(json!({"x": 1})),
            start_date: Some(1_704_067_200_000),
            stop_date: Some(1_704_067_201_500),
        }
    }

    #[test]
    fn records_carry_input_dates_and_aws_field_order() {
        let (status, record) = record(&NAMES, 3, &json!({"y": [2]}), Some(&ended(false)));
        assert_eq!(status, "SUCCEEDED");
        let keys: Vec<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "ExecutionArn",
                "Input",
                "InputDetails",
                "Name",
                "Output",
                "OutputDetails",
                "RedriveCount",
                "RedriveStatus",
                "RedriveStatusReason",
                "StartDate",
                "StateMachineArn",
                "Status",
                "StopDate"
            ]
        );
        assert_eq!(record["Input"], r#"{"x":1}"#);
        assert_eq!(record["Output"], r#"{"y":[2]}"#);
        assert_eq!(record["StartDate"], "2024-01-01T00:00:00.000Z");
        assert_eq!(record["StopDate"], "2024-01-01T00:00:01.500Z");
        assert_eq!(record["Name"], "run-3");
        assert_eq!(
            record["ExecutionArn"],
            "arn:aws:states:r:1:execution:m/L:run-3"
        );
    }

    #[test]
    fn status_comes_from_the_child_not_from_its_output() {
        let output = json!({"Error": "E", "Cause": "c"});
        let (status, lookalike) = record(&NAMES, 0, &output, Some(&ended(false)));
        assert_eq!(
            status, "SUCCEEDED",
            "a succeeded child whose output looks like an error"
        );
        assert_eq!(lookalike["Output"], r#"{"Error":"E","Cause":"c"}"#);
        let (status, failed) = record(&NAMES, 0, &output, Some(&ended(true)));
        assert_eq!(status, "FAILED");
        let keys: Vec<&str> = failed
            .as_object()
            .unwrap()
            .keys()
            .take(3)
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["Cause", "Error", "ExecutionArn"]);
        assert!(failed.get("Output").is_none());
        let (_, unknown) = record_without_details();
        assert_eq!(unknown["InputDetails"], json!({"Included": false}));
        assert!(unknown.get("StartDate").is_none());
    }

    fn record_without_details() -> (&'static str, Value) {
        record(&NAMES, 0, &json!(1), None)
    }

    #[test]
    fn transformations_shape_succeeded_results_and_keep_failed_records() {
        let outputs = vec![json!([1, 2]), json!({"Error": "E"}), json!(3)];
        let children = vec![ended(false), ended(true), ended(false)];
        let none = results(&NAMES, outputs.clone(), &children, Transformation::None);
        assert_eq!(none.succeeded.len(), 2);
        assert_eq!(none.succeeded[0]["Output"], "[1,2]");
        assert_eq!(none.failed[0]["Error"], "E");

        let compact = results(&NAMES, outputs.clone(), &children, Transformation::Compact);
        assert_eq!(compact.succeeded, vec![json!([1, 2]), json!(3)]);
        assert_eq!(compact.all[1]["Status"], "FAILED");

        let flat = results(&NAMES, outputs, &children, Transformation::Flatten);
        assert_eq!(flat.succeeded, vec![json!(1), json!(2), json!(3)]);
        assert_eq!(flat.all.len(), 4);
        assert_eq!(flat.failed.len(), 1);
    }
}
