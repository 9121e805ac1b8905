//! Which fields each state type accepts (AWS Step Functions, JSONPath query language).
//!
//! Sources: the AWS developer guide pages `amazon-states-language-<type>-state` and
//! "statemachine-structure", the ASL specification (states-language.net) and statelint.

/// Fields every state accepts.
const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

const PASS: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "Result",
    "ResultPath",
    "Next",
    "End",
];

const TASK: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Next",
    "End",
    "Retry",
    "Catch",
    "Resource",
    "TimeoutSeconds",
    "TimeoutSecondsPath",
    "HeartbeatSeconds",
    "HeartbeatSecondsPath",
    "Credentials",
];

const CHOICE: &[&str] = &["InputPath", "OutputPath", "Choices", "Default"];

const WAIT: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Next",
    "End",
    "Seconds",
    "Timestamp",
    "SecondsPath",
    "TimestampPath",
];

const SUCCEED: &[&str] = &["InputPath", "OutputPath"];

/// Fail accepts no I/O paths at all.
const FAIL: &[&str] = &["Error", "Cause", "ErrorPath", "CausePath"];

const PARALLEL: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Next",
    "End",
    "Retry",
    "Catch",
    "Branches",
];

const MAP: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "ItemSelector",
    "ResultSelector",
    "ResultPath",
    "Next",
    "End",
    "Retry",
    "Catch",
    "Iterator",
    "ItemProcessor",
    "ItemsPath",
    "MaxConcurrency",
    "MaxConcurrencyPath",
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "Label",
];

/// The eight state types.
pub(crate) const STATE_TYPES: &[&str] = &[
    "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map",
];

/// Top-level fields of a state machine.
pub(crate) const MACHINE: &[&str] = &[
    "StartAt",
    "States",
    "Comment",
    "Version",
    "TimeoutSeconds",
    "QueryLanguage",
];

/// A Parallel branch.
pub(crate) const BRANCH: &[&str] = &["StartAt", "States", "Comment"];

/// A Map `ItemProcessor`, or the legacy `Iterator` (AWS accepts `ProcessorConfig` in both).
pub(crate) const ITEM_PROCESSOR: &[&str] = &["StartAt", "States", "Comment", "ProcessorConfig"];

pub(crate) const PROCESSOR_CONFIG: &[&str] = &["Mode", "ExecutionType"];

/// Fields of a Map's `ItemBatcher`.
pub(crate) const ITEM_BATCHER: &[&str] = &[
    "MaxItemsPerBatch",
    "MaxItemsPerBatchPath",
    "MaxInputBytesPerBatch",
    "MaxInputBytesPerBatchPath",
    "BatchInput",
];

pub(crate) const RETRIER: &[&str] = &[
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
];

pub(crate) const CATCHER: &[&str] = &["ErrorEquals", "Next", "ResultPath", "Comment"];

/// Whether a field is accepted by a state of type `ty` (one of [`STATE_TYPES`]).
pub(crate) fn allowed(ty: &str, field: &str) -> bool {
    COMMON.contains(&field) || specific(ty).contains(&field)
}

/// Every field a state of type `ty` accepts.
pub(crate) fn all_for(ty: &str) -> Vec<&'static str> {
    COMMON.iter().chain(specific(ty)).copied().collect()
}

fn specific(ty: &str) -> &'static [&'static str] {
    match ty {
        "Pass" => PASS,
        "Task" => TASK,
        "Choice" => CHOICE,
        "Wait" => WAIT,
        "Succeed" => SUCCEED,
        "Fail" => FAIL,
        "Parallel" => PARALLEL,
        "Map" => MAP,
        _ => &[],
    }
}

/// Fields AWS accepts that this engine does not implement yet, with the feature they
/// belong to: they are rejected with "not supported yet" rather than "not supported".
pub(crate) fn not_yet(field: &str) -> Option<&'static str> {
    match field {
        "Assign" => Some("workflow variables"),
        "Arguments" | "Output" | "Items" | "Condition" => Some("JSONata"),
        _ => None,
    }
}
