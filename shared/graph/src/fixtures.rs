//! Definitions the renderers' tests share.

use crate::Diagram;

pub fn diagram(json: &str) -> Diagram {
    Diagram::new(&stepwise_core::definition::parse(json).expect("valid"))
}

/// A Parallel with a Catch, a Map, a Choice loop and a retrier: every kind of box and edge.
pub const NESTED: &str = r#"{
    "StartAt": "P",
    "States": {
        "P": {"Type": "Parallel", "Next": "M", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:b", "End": true,
                "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2}]}}}
        ], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Oops"}]},
        "M": {"Type": "Map", "Next": "Loop?", "ItemProcessor": {"StartAt": "C", "States": {
            "C": {"Type": "Pass", "End": true}}}},
        "Loop?": {"Type": "Choice", "Default": "Done", "Choices": [
            {"Variable": "$.again", "BooleanEquals": true, "Next": "P"}]},
        "Done": {"Type": "Succeed"},
        "Oops": {"Type": "Fail", "Error": "E"}
    }
}"#;
