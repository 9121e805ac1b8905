//! Which fields each state type accepts (AWS Step Functions), per query language.
//!
//! Sources: the AWS developer guide pages `amazon-states-language-<type>-state` and
//! "statemachine-structure", the ASL specification (states-language.net) and statelint.

/// Fields every state accepts.
const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

/// `Assign`, in both languages, on every type but Succeed and Fail.
const ASSIGN: &[&str] = &["Assign"];

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

pub(crate) const CATCHER: &[&str] = &["ErrorEquals", "Next", "ResultPath", "Comment", "Assign"];

pub(crate) const CATCHER_JSONATA: &[&str] = &["ErrorEquals", "Next", "Comment", "Assign", "Output"];

/// Fields only JSONPath states have: the five I/O fields, `Result`, and every `…Path`
/// twin of a literal field.
const JSONPATH_ONLY: &[&str] = &[
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Result",
    "ItemsPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
];

/// Fields only JSONata states have, per type.
fn jsonata_fields(ty: &str) -> &'static [&'static str] {
    match ty {
        "Task" | "Parallel" => &["Arguments", "Output"],
        "Map" => &["Items", "Output"],
        "Fail" => &[],
        _ => &["Output"],
    }
}

pub(crate) fn is_jsonpath_only(field: &str) -> bool {
    JSONPATH_ONLY.contains(&field)
}

pub(crate) fn is_jsonata_only(field: &str) -> bool {
    matches!(field, "Arguments" | "Output" | "Items" | "Condition")
}

/// Whether a field is accepted by a state of type `ty` (one of [`STATE_TYPES`]).
pub(crate) fn allowed(ty: &str, field: &str, jsonata: bool) -> bool {
    all_for(ty, jsonata).contains(&field)
}

/// Every field a state of type `ty` accepts in the given language.
pub(crate) fn all_for(ty: &str, jsonata: bool) -> Vec<&'static str> {
    let assign: &[&str] = if matches!(ty, "Succeed" | "Fail") {
        &[]
    } else {
        ASSIGN
    };
    let base = COMMON.iter().chain(specific(ty)).chain(assign).copied();
    if jsonata {
        base.filter(|f| !is_jsonpath_only(f))
            .chain(jsonata_fields(ty).iter().copied())
            .collect()
    } else {
        base.collect()
    }
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

/// Why a field is rejected when it belongs to the other query language.
pub(crate) fn wrong_language(field: &str, jsonata: bool) -> Option<String> {
    if jsonata && is_jsonpath_only(field) {
        return Some(format!(
            "field \"{field}\" is not supported in JSONata states (use Arguments, Output or Assign)"
        ));
    }
    if !jsonata && is_jsonata_only(field) {
        return Some(format!(
            "field \"{field}\" is only supported in JSONata states (\"QueryLanguage\": \"JSONata\")"
        ));
    }
    None
}
