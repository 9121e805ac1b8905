//! Invalid definitions, each rejected with a diagnostic at the JSON Pointer of the field at
//! fault. The cases come from two rule sets:
//!
//! - the Amazon States Language specification and the Step Functions developer guide
//!   (required fields, transitions, Retry/Catch, paths, Choice rules, Map and Parallel
//!   structure, timeouts, JSONata vs JSONPath fields);
//! - `statelint`'s rule file (`data/StateMachine.j2119` in awslabs/statelint), the
//!   validator AWS published for the language; its sentence is quoted on each case.
//!
//! Every definition in the recorded AWS executions parses (tests/definitions.rs), so
//! rejecting these does not reject what AWS accepts.

use serde_json::{json, Value};
use stepwise_core::definition::parse_value;

struct Case {
    name: &'static str,
    /// The rule, as AWS's documentation or statelint states it.
    rule: &'static str,
    definition: Value,
    /// The JSON Pointer the diagnostic must carry.
    path: String,
    /// Words the diagnostic's message must contain.
    message: &'static str,
}

fn case(
    name: &'static str,
    rule: &'static str,
    definition: Value,
    path: impl Into<String>,
    message: &'static str,
) -> Case {
    Case {
        name,
        rule,
        definition,
        path: path.into(),
        message,
    }
}

/// A machine whose single state `S` is `state`.
fn one(state: Value) -> Value {
    json!({"StartAt": "S", "States": {"S": state}})
}

/// A machine whose state `S` is `state`, followed by a terminal state `Done`.
fn then_done(state: Value) -> Value {
    json!({"StartAt": "S", "States": {"S": state, "Done": {"Type": "Succeed"}}})
}

/// A Task state (`End`) with `extra` fields merged in.
fn task(extra: Value) -> Value {
    merge(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}),
        extra,
    )
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

/// A branch (Parallel) or item processor (Map) with one Pass state.
fn branch() -> Value {
    json!({"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}})
}

fn machine_cases() -> Vec<Case> {
    vec![
        case(
            "definition is not an object",
            "This document specifies a JSON object called a \"State Machine\".",
            json!(["StartAt"]),
            "",
            "must be a JSON object",
        ),
        case(
            "no States",
            "A State Machine MUST have an object field named \"States\".",
            json!({"StartAt": "S"}),
            "",
            "missing required field \"States\"",
        ),
        case(
            "no StartAt",
            "A State Machine MUST have a string field named \"StartAt\".",
            json!({"States": {"S": {"Type": "Succeed"}}}),
            "",
            "missing required field \"StartAt\"",
        ),
        case(
            "StartAt names no state",
            "StartAt's value MUST exactly match one of the names of the States field (spec).",
            json!({"StartAt": "Nope", "States": {"S": {"Type": "Succeed"}}}),
            "/StartAt",
            "no state named \"Nope\"",
        ),
        case(
            "StartAt is a number",
            "A State Machine MUST have a string field named \"StartAt\".",
            json!({"StartAt": 1, "States": {"S": {"Type": "Succeed"}}}),
            "/StartAt",
            "must be a string",
        ),
        case(
            "States is an array",
            "A State Machine MUST have an object field named \"States\".",
            json!({"StartAt": "S", "States": [{"Type": "Succeed"}]}),
            "/States",
            "must be an object",
        ),
        case(
            "States is empty",
            "States: an object containing a comma-delimited set of states (spec); one is needed to start at.",
            json!({"StartAt": "S", "States": {}}),
            "/States",
            "at least one state",
        ),
        case(
            "Comment is not a string",
            "A State Machine MAY have a string field named \"Comment\".",
            merge(one(json!({"Type": "Succeed"})), json!({"Comment": 7})),
            "/Comment",
            "must be a string",
        ),
        case(
            "Version is not a string",
            "A State Machine MAY have a string field named \"Version\".",
            merge(one(json!({"Type": "Succeed"})), json!({"Version": 1.0})),
            "/Version",
            "must be a string",
        ),
        case(
            "machine TimeoutSeconds is zero",
            "A State Machine MAY have a positive-integer field named \"TimeoutSeconds\".",
            merge(one(json!({"Type": "Succeed"})), json!({"TimeoutSeconds": 0})),
            "/TimeoutSeconds",
            "positive integer",
        ),
        case(
            "machine TimeoutSeconds too large",
            "… whose value MUST be less than 99999999.",
            merge(one(json!({"Type": "Succeed"})), json!({"TimeoutSeconds": 100_000_000})),
            "/TimeoutSeconds",
            "between 1 and 99999999",
        ),
        case(
            "unknown top-level field",
            "Fields not named by the specification are rejected by Step Functions (SCHEMA_VALIDATION_FAILED).",
            merge(one(json!({"Type": "Succeed"})), json!({"Start": "S"})),
            "/Start",
            "not supported",
        ),
        case(
            "QueryLanguage is unknown",
            "QueryLanguage is \"JSONPath\" or \"JSONata\" (developer guide).",
            merge(one(json!({"Type": "Succeed"})), json!({"QueryLanguage": "XPath"})),
            "/QueryLanguage",
            "\"JSONPath\" or \"JSONata\"",
        ),
        case(
            "state name over 80 characters",
            "State names must be 80 Unicode characters or fewer (spec).",
            json!({"StartAt": "x".repeat(81), "States": {"x".repeat(81): {"Type": "Succeed"}}}),
            format!("/States/{}", "x".repeat(81)),
            "the limit is 80",
        ),
        case(
            "state is not an object",
            "each field is a \"State\" (a JSON object).",
            json!({"StartAt": "S", "States": {"S": "Succeed"}}),
            "/States/S",
            "must be an object",
        ),
        case(
            "unreachable state",
            "Every state must be reachable from StartAt (Step Functions: MISSING_TRANSITION_TARGET / unreachable).",
            json!({"StartAt": "S", "States": {"S": {"Type": "Succeed"}, "Orphan": {"Type": "Succeed"}}}),
            "/States/Orphan",
            "not reachable",
        ),
    ]
}

fn common_state_cases() -> Vec<Case> {
    vec![
        case(
            "state without Type",
            "A State MUST have a string field named \"Type\".",
            one(json!({"End": true})),
            "/States/S",
            "missing required field \"Type\"",
        ),
        case(
            "unknown Type",
            "… whose value MUST be one of \"Pass\", \"Succeed\", \"Fail\", \"Task\", \"Choice\", \"Wait\", \"Parallel\", or \"Map\".",
            one(json!({"Type": "Sleep", "End": true})),
            "/States/S/Type",
            "Sleep",
        ),
        case(
            "state Comment is not a string",
            "A State MAY have a string field named \"Comment\".",
            one(json!({"Type": "Pass", "Comment": ["c"], "End": true})),
            "/States/S/Comment",
            "must be a string",
        ),
        case(
            "neither Next nor End",
            "A State which is not a Terminal State or a Choice State MUST have a string field named \"Next\".",
            one(json!({"Type": "Pass"})),
            "/States/S",
            "Next",
        ),
        case(
            "both Next and End",
            "A Terminal State MUST NOT have a field named \"Next\".",
            then_done(json!({"Type": "Pass", "Next": "Done", "End": true})),
            "/States/S",
            "cannot have both \"Next\" and \"End\"",
        ),
        case(
            "End is not a boolean",
            "Each of a Pass State, a Task State, a Wait State, a Parallel State, and a Map State MAY have a boolean field named \"End\".",
            one(json!({"Type": "Pass", "End": "true"})),
            "/States/S/End",
            "must be a boolean",
        ),
        case(
            "End is false without Next",
            "A State which is not a Terminal State … MUST have a string field named \"Next\".",
            one(json!({"Type": "Pass", "End": false})),
            "/States/S",
            "must have either \"Next\" or \"End\": true",
        ),
        case(
            "Next names no state",
            "Next: the name of the next state; it MUST exactly match a state's name (spec).",
            one(json!({"Type": "Pass", "Next": "Nowhere"})),
            "/States/S/Next",
            "no state named \"Nowhere\"",
        ),
        case(
            "Next is not a string",
            "… MUST have a string field named \"Next\".",
            one(json!({"Type": "Pass", "Next": 1})),
            "/States/S/Next",
            "must be a string",
        ),
        case(
            "Succeed with Next",
            "Each of a Succeed State and a Fail State is a \"Terminal State\"; a Terminal State MUST NOT have a field named \"Next\".",
            then_done(json!({"Type": "Succeed", "Next": "Done"})),
            "/States/S/Next",
            "not supported",
        ),
        case(
            "Succeed with End",
            "Succeed states have no End field: they are terminal (spec).",
            one(json!({"Type": "Succeed", "End": true})),
            "/States/S/End",
            "not supported",
        ),
        case(
            "InputPath is not a path",
            "A State MAY have a nullable-JSONPath field named \"InputPath\".",
            one(json!({"Type": "Pass", "InputPath": "input", "End": true})),
            "/States/S/InputPath",
            "is not a path",
        ),
        case(
            "OutputPath is not a path",
            "A State MAY have a nullable-JSONPath field named \"OutputPath\".",
            one(json!({"Type": "Pass", "OutputPath": "$.[", "End": true})),
            "/States/S/OutputPath",
            "is not a valid path",
        ),
        case(
            "InputPath is a number",
            "A State MAY have a nullable-JSONPath field named \"InputPath\".",
            one(json!({"Type": "Pass", "InputPath": 3, "End": true})),
            "/States/S/InputPath",
            "string",
        ),
        case(
            "ResultPath with a wildcard",
            "… a nullable-referencePath field named \"ResultPath\" (a Reference Path has no wildcards, filters or slices).",
            one(json!({"Type": "Pass", "ResultPath": "$.items[*]", "End": true})),
            "/States/S/ResultPath",
            "is not a reference path",
        ),
        case(
            "ResultPath into the context object",
            "ResultPath is a Reference Path into the state's input, never `$$` (developer guide).",
            one(json!({"Type": "Pass", "ResultPath": "$$.Execution", "End": true})),
            "/States/S/ResultPath",
            "context object cannot be written",
        ),
        case(
            "Parameters field ending in .$ is not a path",
            "A field whose name ends in \".$\" holds a path or an intrinsic function (developer guide: Parameters).",
            one(json!({"Type": "Pass", "Parameters": {"x.$": "not a path"}, "End": true})),
            "/States/S/Parameters/x.$",
            "must be a path or an intrinsic function",
        ),
        case(
            "unknown intrinsic function",
            "Intrinsic functions are the documented States.* functions (developer guide).",
            one(json!({"Type": "Pass", "Parameters": {"x.$": "States.Nope($.a)"}, "End": true})),
            "/States/S/Parameters/x.$",
            "States.Nope",
        ),
        case(
            "intrinsic with the wrong argument count",
            "States.ArrayLength takes one argument (developer guide: intrinsic functions).",
            one(json!({"Type": "Pass", "Parameters": {"n.$": "States.ArrayLength($.a, $.b)"}, "End": true})),
            "/States/S/Parameters/n.$",
            "argument",
        ),
        case(
            "unknown state field",
            "Fields a state type does not define are rejected (SCHEMA_VALIDATION_FAILED).",
            one(json!({"Type": "Pass", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "End": true})),
            "/States/S/Resource",
            "not supported",
        ),
    ]
}

fn pass_fail_wait_cases() -> Vec<Case> {
    vec![
        case(
            "Fail with InputPath",
            "A Fail State MUST NOT have a field named \"InputPath\".",
            one(json!({"Type": "Fail", "InputPath": "$"})),
            "/States/S/InputPath",
            "not supported",
        ),
        case(
            "Fail with OutputPath",
            "A Fail State MUST NOT have a field named \"OutputPath\".",
            one(json!({"Type": "Fail", "OutputPath": "$"})),
            "/States/S/OutputPath",
            "not supported",
        ),
        case(
            "Fail with ResultPath",
            "Each of a Pass State, a Task State, a Parallel State, and a Map State MAY have … \"ResultPath\" (so a Fail State may not).",
            one(json!({"Type": "Fail", "ResultPath": "$.r"})),
            "/States/S/ResultPath",
            "not supported",
        ),
        case(
            "Fail Error is not a string",
            "A Fail State MAY have a string field named \"Error\".",
            one(json!({"Type": "Fail", "Error": 500})),
            "/States/S/Error",
            "must be a string",
        ),
        case(
            "Fail Cause is not a string",
            "A Fail State MAY have a string field named \"Cause\".",
            one(json!({"Type": "Fail", "Cause": {"why": "x"}})),
            "/States/S/Cause",
            "must be a string",
        ),
        case(
            "Fail with Error and ErrorPath",
            "A Fail State may have Error or ErrorPath, not both (developer guide).",
            one(json!({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"})),
            "/States/S",
            "cannot have both \"Error\" and \"ErrorPath\"",
        ),
        case(
            "Fail with Cause and CausePath",
            "A Fail State may have Cause or CausePath, not both (developer guide).",
            one(json!({"Type": "Fail", "Cause": "C", "CausePath": "$.c"})),
            "/States/S",
            "cannot have both \"Cause\" and \"CausePath\"",
        ),
        case(
            "Succeed with ResultPath",
            "Only Pass, Task, Parallel and Map states MAY have \"ResultPath\".",
            one(json!({"Type": "Succeed", "ResultPath": "$.r"})),
            "/States/S/ResultPath",
            "not supported",
        ),
        case(
            "Wait with Parameters",
            "Each of a Pass State, a Task State, a Parallel State, and a Map State MAY have a field named \"Parameters\" (so a Wait State may not).",
            one(json!({"Type": "Wait", "Seconds": 1, "Parameters": {}, "End": true})),
            "/States/S/Parameters",
            "not supported",
        ),
        case(
            "Wait without a duration",
            "A Wait State MUST have a field named one of \"Seconds\", \"SecondsPath\", \"Timestamp\", or \"TimestampPath\".",
            one(json!({"Type": "Wait", "End": true})),
            "/States/S",
            "Seconds",
        ),
        case(
            "Wait with two durations",
            "A Wait State MUST have only one of \"Seconds\", \"SecondsPath\", \"Timestamp\", and \"TimestampPath\".",
            one(json!({"Type": "Wait", "Seconds": 1, "Timestamp": "2024-01-01T00:00:00Z", "End": true})),
            "/States/S",
            "exactly one",
        ),
        case(
            "Wait Seconds negative",
            "A Wait State MAY have a positive-integer field named \"Seconds\".",
            one(json!({"Type": "Wait", "Seconds": -1, "End": true})),
            "/States/S/Seconds",
            "integer",
        ),
        case(
            "Wait Seconds fractional",
            "A Wait State MAY have a positive-integer field named \"Seconds\".",
            one(json!({"Type": "Wait", "Seconds": 1.5, "End": true})),
            "/States/S/Seconds",
            "integer",
        ),
        case(
            "Wait Timestamp not RFC 3339",
            "A Wait State MAY have a timestamp field named \"Timestamp\" (RFC3339, e.g. 2016-03-14T01:59:00Z).",
            one(json!({"Type": "Wait", "Timestamp": "tomorrow", "End": true})),
            "/States/S/Timestamp",
            "timestamp",
        ),
        case(
            "Wait SecondsPath not a reference path",
            "A Wait State MAY have a referencePath field named \"SecondsPath\".",
            one(json!({"Type": "Wait", "SecondsPath": "$.a[*]", "End": true})),
            "/States/S/SecondsPath",
            "is not a reference path",
        ),
        case(
            "Wait TimestampPath not a path",
            "A Wait State MAY have a referencePath field named \"TimestampPath\".",
            one(json!({"Type": "Wait", "TimestampPath": "when", "End": true})),
            "/States/S/TimestampPath",
            "is not a path",
        ),
    ]
}

fn task_cases() -> Vec<Case> {
    vec![
        case(
            "Task without Resource",
            "A Task State MUST have a URI field named \"Resource\".",
            one(json!({"Type": "Task", "End": true})),
            "/States/S",
            "missing required field \"Resource\"",
        ),
        case(
            "Task Resource not a URI",
            "A Task State MUST have a URI field named \"Resource\".",
            one(json!({"Type": "Task", "Resource": "my function", "End": true})),
            "/States/S/Resource",
            "is not an ARN",
        ),
        case(
            "Task TimeoutSeconds zero",
            "A Task State MAY have a positive-integer field named \"TimeoutSeconds\".",
            one(task(json!({"TimeoutSeconds": 0}))),
            "/States/S/TimeoutSeconds",
            "positive integer",
        ),
        case(
            "Task HeartbeatSeconds zero",
            "A Task State MAY have a positive-integer field named \"HeartbeatSeconds\".",
            one(task(json!({"HeartbeatSeconds": 0}))),
            "/States/S/HeartbeatSeconds",
            "positive integer",
        ),
        case(
            "Task HeartbeatSeconds not below TimeoutSeconds",
            "HeartbeatSeconds must be smaller than TimeoutSeconds (spec: Task state).",
            one(task(json!({"TimeoutSeconds": 10, "HeartbeatSeconds": 10}))),
            "/States/S/HeartbeatSeconds",
            "TimeoutSeconds",
        ),
        case(
            "Task TimeoutSeconds and TimeoutSecondsPath",
            "A Task State may have TimeoutSeconds or TimeoutSecondsPath, not both (spec).",
            one(task(
                json!({"TimeoutSeconds": 10, "TimeoutSecondsPath": "$.t"}),
            )),
            "/States/S",
            "cannot have both",
        ),
        case(
            "Task HeartbeatSeconds and HeartbeatSecondsPath",
            "A Task State may have HeartbeatSeconds or HeartbeatSecondsPath, not both (spec).",
            one(task(
                json!({"HeartbeatSeconds": 10, "HeartbeatSecondsPath": "$.h"}),
            )),
            "/States/S",
            "cannot have both",
        ),
        case(
            "Task Credentials is not an object",
            "Credentials is an object holding RoleArn or RoleArn.$ (developer guide: Task state).",
            one(task(json!({"Credentials": "arn:aws:iam::111122223333:role/R"}))),
            "/States/S/Credentials",
            "must be an object",
        ),
        case(
            "Task Credentials without a role",
            "Credentials holds a RoleArn (or RoleArn.$) naming the role to assume (developer guide).",
            one(task(json!({"Credentials": {}}))),
            "/States/S/Credentials",
            "missing required field \"RoleArn\"",
        ),
        case(
            "Task Credentials with both RoleArn and RoleArn.$",
            "RoleArn is either literal or a path, like any payload field (developer guide).",
            one(task(json!({"Credentials": {"RoleArn": "arn:aws:iam::111122223333:role/R", "RoleArn.$": "$.role"}}))),
            "/States/S/Credentials",
            "cannot have both",
        ),
        case(
            "Task Credentials with an unknown field",
            "Credentials has one field, RoleArn (API TaskCredentials: roleArn).",
            one(task(json!({"Credentials": {"RoleArn": "arn:aws:iam::111122223333:role/R", "ExternalId": "x"}}))),
            "/States/S/Credentials/ExternalId",
            "not supported in Credentials",
        ),
        case(
            "Task Credentials RoleArn that is not a role ARN",
            "The role Step Functions assumes is named by its IAM role ARN (developer guide).",
            one(task(json!({"Credentials": {"RoleArn": "Writer"}}))),
            "/States/S/Credentials/RoleArn",
            "is not an IAM role ARN",
        ),
        case(
            "Task Credentials RoleArn that is not a string",
            "RoleArn is a string (API TaskCredentials: roleArn, String).",
            one(task(json!({"Credentials": {"RoleArn": 7}}))),
            "/States/S/Credentials/RoleArn",
            "must be a string",
        ),
        case(
            "Task Credentials RoleArn.$ that is not a path",
            "RoleArn.$ holds a path or an intrinsic function (developer guide: payload templates).",
            one(task(json!({"Credentials": {"RoleArn.$": "role"}}))),
            "/States/S/Credentials/RoleArn.$",
            "must be a path or an intrinsic function",
        ),
        case(
            "Task Credentials RoleArn.$ with an invalid intrinsic",
            "RoleArn.$ holds a path or an intrinsic function (developer guide: payload templates).",
            one(task(json!({"Credentials": {"RoleArn.$": "States.Format('{}', "}}))),
            "/States/S/Credentials/RoleArn.$",
            "not a valid intrinsic function",
        ),
        case(
            "Task with Result",
            "A Pass State MAY have a field named \"Result\" (a Task State may not).",
            one(task(json!({"Result": {}}))),
            "/States/S/Result",
            "not supported",
        ),
        case(
            "ResultSelector is not an object",
            "ResultSelector is a JSON object whose fields build the result (developer guide).",
            one(task(json!({"ResultSelector": "$.Payload"}))),
            "/States/S/ResultSelector",
            "object",
        ),
    ]
}

fn retry_catch_cases() -> Vec<Case> {
    vec![
        case(
            "Retry is not an array",
            "Each of a Task State, a Parallel State, and a Map State MAY have an object-array field named \"Retry\".",
            one(task(json!({"Retry": {"ErrorEquals": ["States.ALL"]}}))),
            "/States/S/Retry",
            "must be an array",
        ),
        case(
            "Retrier without ErrorEquals",
            "A Retrier MUST have a nonempty-string-array field named \"ErrorEquals\".",
            one(task(json!({"Retry": [{"MaxAttempts": 2}]}))),
            "/States/S/Retry/0",
            "missing required field \"ErrorEquals\"",
        ),
        case(
            "Retrier with empty ErrorEquals",
            "A Retrier MUST have a nonempty-string-array field named \"ErrorEquals\".",
            one(task(json!({"Retry": [{"ErrorEquals": []}]}))),
            "/States/S/Retry/0/ErrorEquals",
            "must not be empty",
        ),
        case(
            "Retrier ErrorEquals holds a number",
            "A Retrier MUST have a nonempty-string-array field named \"ErrorEquals\".",
            one(task(json!({"Retry": [{"ErrorEquals": [500]}]}))),
            "/States/S/Retry/0/ErrorEquals/0",
            "must be a string",
        ),
        case(
            "Retrier IntervalSeconds zero",
            "A Retrier MAY have an positive-integer field named \"IntervalSeconds\".",
            one(task(json!({"Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 0}]}))),
            "/States/S/Retry/0/IntervalSeconds",
            "positive integer",
        ),
        case(
            "Retrier MaxAttempts negative",
            "A Retrier MAY have a nonnegative-integer field named \"MaxAttempts\".",
            one(task(json!({"Retry": [{"ErrorEquals": ["E"], "MaxAttempts": -1}]}))),
            "/States/S/Retry/0/MaxAttempts",
            "non-negative integer",
        ),
        case(
            "Retrier BackoffRate below 1",
            "A Retrier MAY have a float field named \"BackoffRate\" whose value MUST be greater than or equal to 1.0.",
            one(task(json!({"Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}]}))),
            "/States/S/Retry/0/BackoffRate",
            "1",
        ),
        case(
            "Retrier unknown JitterStrategy",
            "JitterStrategy is FULL or NONE (developer guide: Retry).",
            one(task(json!({"Retry": [{"ErrorEquals": ["E"], "JitterStrategy": "HALF"}]}))),
            "/States/S/Retry/0/JitterStrategy",
            "FULL",
        ),
        case(
            "States.ALL not alone",
            "The reserved name States.ALL must appear alone in its ErrorEquals array (spec).",
            one(task(json!({"Retry": [{"ErrorEquals": ["States.ALL", "E"]}]}))),
            "/States/S/Retry/0/ErrorEquals",
            "States.ALL",
        ),
        case(
            "States.ALL retrier not last",
            "A retrier with States.ALL must be the last retrier (spec).",
            one(task(json!({"Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}]}))),
            "/States/S/Retry/0/ErrorEquals",
            "alone in the last retrier",
        ),
        case(
            "Catcher without Next",
            "A Catcher MUST have a string field named \"Next\".",
            then_done(task(json!({"Catch": [{"ErrorEquals": ["States.ALL"]}]}))),
            "/States/S/Catch/0",
            "missing required field \"Next\"",
        ),
        case(
            "Catcher Next names no state",
            "A Catcher MUST have a string field named \"Next\" naming a state (spec).",
            one(task(json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Gone"}]}))),
            "/States/S/Catch/0/Next",
            "no state named \"Gone\"",
        ),
        case(
            "Catcher with empty ErrorEquals",
            "A Catcher MUST have an nonempty-string-array field named \"ErrorEquals\".",
            then_done(task(json!({"Catch": [{"ErrorEquals": [], "Next": "Done"}]}))),
            "/States/S/Catch/0/ErrorEquals",
            "must not be empty",
        ),
        case(
            "Catcher ResultPath with a filter",
            "A Catcher MAY have a nullable-referencePath field named \"ResultPath\".",
            then_done(task(json!({"Catch": [{"ErrorEquals": ["E"], "Next": "Done", "ResultPath": "$.a[?(@.b)]"}]}))),
            "/States/S/Catch/0/ResultPath",
            "is not a reference path",
        ),
        case(
            "Catcher with an unknown field",
            "A Catcher has ErrorEquals, Next, ResultPath (and Comment, Output, Assign) (spec).",
            then_done(task(json!({"Catch": [{"ErrorEquals": ["E"], "Next": "Done", "MaxAttempts": 1}]}))),
            "/States/S/Catch/0/MaxAttempts",
            "not supported",
        ),
        case(
            "Pass with Retry",
            "Each of a Task State, a Parallel State, and a Map State MAY have … \"Retry\" (a Pass State may not).",
            one(json!({"Type": "Pass", "Retry": [{"ErrorEquals": ["E"]}], "End": true})),
            "/States/S/Retry",
            "not supported",
        ),
    ]
}

fn choice_cases() -> Vec<Case> {
    let choice = |choices: Value| {
        then_done(json!({"Type": "Choice", "Choices": choices, "Default": "Done"}))
    };
    vec![
        case(
            "Choice without Choices",
            "A Choice State MUST have a nonempty-object-array field named \"Choices\".",
            then_done(json!({"Type": "Choice", "Default": "Done"})),
            "/States/S",
            "missing required field \"Choices\"",
        ),
        case(
            "Choice with empty Choices",
            "A Choice State MUST have a nonempty-object-array field named \"Choices\".",
            choice(json!([])),
            "/States/S/Choices",
            "must not be empty",
        ),
        case(
            "Choice with Next",
            "A Choice State MUST NOT have a field named \"Next\".",
            then_done(json!({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "Done"}], "Next": "Done"})),
            "/States/S/Next",
            "not supported",
        ),
        case(
            "Choice with End",
            "A Choice State MUST NOT have a field named \"End\".",
            then_done(json!({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "Done"}], "End": true})),
            "/States/S/End",
            "not supported",
        ),
        case(
            "Choice Default names no state",
            "A Choice State MAY have a string field named \"Default\" naming a state (spec).",
            then_done(json!({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "Done"}], "Default": "Elsewhere"})),
            "/States/S/Default",
            "no state named \"Elsewhere\"",
        ),
        case(
            "Choice with ResultPath",
            "Only Pass, Task, Parallel and Map states MAY have \"ResultPath\".",
            then_done(json!({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "Done"}], "ResultPath": "$.r"})),
            "/States/S/ResultPath",
            "not supported",
        ),
        case(
            "top-level rule without Next",
            "A Choice Rule MUST have a string field named \"Next\".",
            choice(json!([{"Variable": "$.a", "IsPresent": true}])),
            "/States/S/Choices/0",
            "missing required field \"Next\"",
        ),
        case(
            "rule Next names no state",
            "A Choice Rule MUST have a string field named \"Next\" naming a state (spec).",
            choice(json!([{"Variable": "$.a", "IsPresent": true, "Next": "Missing"}])),
            "/States/S/Choices/0/Next",
            "no state named \"Missing\"",
        ),
        case(
            "nested rule with Next",
            "A Nested Rule MUST NOT have a field named \"Next\".",
            choice(json!([{"Not": {"Variable": "$.a", "IsPresent": true, "Next": "Done"}, "Next": "Done"}])),
            "/States/S/Choices/0/Not/Next",
            "cannot have \"Next\"",
        ),
        case(
            "comparison without an operator",
            "A Comparison MUST have a field named one of \"StringEquals\", … (a comparison operator).",
            choice(json!([{"Variable": "$.a", "Next": "Done"}])),
            "/States/S/Choices/0",
            "needs a comparison operator",
        ),
        case(
            "comparison with two operators",
            "A comparison has exactly one operator (spec: Choice Rules).",
            choice(json!([{"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1, "Next": "Done"}])),
            "/States/S/Choices/0",
            "exactly one comparison operator",
        ),
        case(
            "StringEquals with a number",
            "A Comparison MAY have a string field named \"StringEquals\".",
            choice(json!([{"Variable": "$.a", "StringEquals": 1, "Next": "Done"}])),
            "/States/S/Choices/0/StringEquals",
            "string",
        ),
        case(
            "NumericEquals with a string",
            "A Comparison MAY have a numeric field named \"NumericEquals\".",
            choice(json!([{"Variable": "$.a", "NumericEquals": "1", "Next": "Done"}])),
            "/States/S/Choices/0/NumericEquals",
            "number",
        ),
        case(
            "BooleanEquals with a string",
            "A Comparison MAY have a boolean field named \"BooleanEquals\".",
            choice(json!([{"Variable": "$.a", "BooleanEquals": "true", "Next": "Done"}])),
            "/States/S/Choices/0/BooleanEquals",
            "boolean",
        ),
        case(
            "TimestampEquals not a timestamp",
            "A Comparison MAY have a timestamp field named \"TimestampEquals\".",
            choice(json!([{"Variable": "$.a", "TimestampEquals": "yesterday", "Next": "Done"}])),
            "/States/S/Choices/0/TimestampEquals",
            "timestamp",
        ),
        case(
            "Variable not a path",
            "A Choice Rule MAY have a referencePath field named \"Variable\".",
            choice(json!([{"Variable": "a", "IsPresent": true, "Next": "Done"}])),
            "/States/S/Choices/0/Variable",
            "is not a path",
        ),
        case(
            "comparison with And",
            "A Comparison MUST NOT have a field named \"And\".",
            choice(json!([{"Variable": "$.a", "IsNull": true, "And": [{"Variable": "$.b", "IsNull": true}], "Next": "Done"}])),
            "/States/S/Choices/0",
            "exactly one comparison operator",
        ),
        case(
            "empty And",
            "A Choice Rule MAY have a nonempty-object-array field named \"And\".",
            choice(json!([{"And": [], "Next": "Done"}])),
            "/States/S/Choices/0/And",
            "must not be empty",
        ),
        case(
            "Or is an object",
            "A Choice Rule MAY have a nonempty-object-array field named \"Or\".",
            choice(json!([{"Or": {"Variable": "$.a", "IsNull": true}, "Next": "Done"}])),
            "/States/S/Choices/0/Or",
            "array",
        ),
        case(
            "Not is an array",
            "A Choice Rule MAY have an object field named \"Not\".",
            choice(json!([{"Not": [{"Variable": "$.a", "IsNull": true}], "Next": "Done"}])),
            "/States/S/Choices/0/Not",
            "object",
        ),
        case(
            "nested comparison without an operator",
            "A Nested Comparison has one comparison operator, like a Comparison.",
            choice(json!([{"And": [{"Variable": "$.a", "IsNull": true}, {"Variable": "$.b"}], "Next": "Done"}])),
            "/States/S/Choices/0/And/1",
            "needs a comparison operator",
        ),
        case(
            "StringEqualsPath not a path",
            "The *Path comparison operators take a Reference Path (developer guide).",
            choice(json!([{"Variable": "$.a", "StringEqualsPath": "b", "Next": "Done"}])),
            "/States/S/Choices/0/StringEqualsPath",
            "is not a path",
        ),
    ]
}

fn parallel_map_cases() -> Vec<Case> {
    vec![
        case(
            "Parallel without Branches",
            "A Parallel State MUST have an object-array field named \"Branches\".",
            one(json!({"Type": "Parallel", "End": true})),
            "/States/S",
            "missing required field \"Branches\"",
        ),
        case(
            "Parallel Branches is an object",
            "A Parallel State MUST have an object-array field named \"Branches\".",
            one(json!({"Type": "Parallel", "Branches": branch(), "End": true})),
            "/States/S/Branches",
            "array",
        ),
        case(
            "branch without StartAt",
            "A Branch MUST have a string field named \"StartAt\".",
            one(json!({"Type": "Parallel", "Branches": [{"States": {"B": {"Type": "Succeed"}}}], "End": true})),
            "/States/S/Branches/0",
            "missing required field \"StartAt\"",
        ),
        case(
            "branch without States",
            "A Branch MUST have an object field named \"States\".",
            one(json!({"Type": "Parallel", "Branches": [{"StartAt": "B"}], "End": true})),
            "/States/S/Branches/0",
            "missing required field \"States\"",
        ),
        case(
            "branch state transitions out of its branch",
            "States within a branch may transition only to states in the same branch (spec: Parallel).",
            then_done(json!({"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "Done"}}}], "End": true})),
            "/States/S/Branches/0/States/B/Next",
            "no state named \"Done\"",
        ),
        case(
            "outer state jumps into a branch",
            "No state outside a branch may transition into it (spec: Parallel).",
            json!({"StartAt": "S", "States": {
                "S": {"Type": "Parallel", "Branches": [branch()], "Next": "B"},
            }}),
            "/States/S/Next",
            "no state named \"B\"",
        ),
        case(
            "Map without ItemProcessor or Iterator",
            "A Map State MUST have an object field named \"Iterator\" (now \"ItemProcessor\").",
            one(json!({"Type": "Map", "End": true})),
            "/States/S",
            "ItemProcessor",
        ),
        case(
            "Map with ItemProcessor and Iterator",
            "ItemProcessor replaces Iterator; a Map State has one of them (developer guide).",
            one(json!({"Type": "Map", "ItemProcessor": branch(), "Iterator": branch(), "End": true})),
            "/States/S",
            "cannot have both",
        ),
        case(
            "Map with Parameters and ItemSelector",
            "ItemSelector replaces Parameters in a Map State; not both (developer guide).",
            one(json!({"Type": "Map", "ItemProcessor": branch(), "Parameters": {}, "ItemSelector": {}, "End": true})),
            "/States/S",
            "cannot have both",
        ),
        case(
            "Map ItemsPath not a reference path",
            "A Map State MAY have a referencePath field named \"ItemsPath\".",
            one(json!({"Type": "Map", "ItemProcessor": branch(), "ItemsPath": "$.items[*]", "End": true})),
            "/States/S/ItemsPath",
            "is not a reference path",
        ),
        case(
            "Map MaxConcurrency negative",
            "A Map State MAY have a numeric field named \"MaxConcurrency\" (a non-negative integer).",
            one(json!({"Type": "Map", "ItemProcessor": branch(), "MaxConcurrency": -1, "End": true})),
            "/States/S/MaxConcurrency",
            "integer",
        ),
        case(
            "Map ProcessorConfig Mode unknown",
            "ProcessorConfig.Mode is INLINE or DISTRIBUTED (developer guide).",
            one(json!({"Type": "Map", "ItemProcessor": merge(branch(), json!({"ProcessorConfig": {"Mode": "PARALLEL"}})), "End": true})),
            "/States/S/ItemProcessor/ProcessorConfig/Mode",
            "INLINE",
        ),
        case(
            "Map ToleratedFailurePercentage above 100",
            "ToleratedFailurePercentage is between 0 and 100 (developer guide: Distributed Map).",
            one(json!({"Type": "Map", "ItemProcessor": merge(branch(), json!({"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}})), "ToleratedFailurePercentage": 101, "End": true})),
            "/States/S/ToleratedFailurePercentage",
            "100",
        ),
        case(
            "item processor without StartAt",
            "A Branch (the Map's processor) MUST have a string field named \"StartAt\".",
            one(json!({"Type": "Map", "ItemProcessor": {"States": {"B": {"Type": "Succeed"}}}, "End": true})),
            "/States/S/ItemProcessor",
            "missing required field \"StartAt\"",
        ),
    ]
}

fn jsonata_cases() -> Vec<Case> {
    let jsonata = |state: Value| merge(one(state), json!({"QueryLanguage": "JSONata"}));
    vec![
        case(
            "JSONata state with InputPath",
            "JSONata states have no InputPath, Parameters, ResultSelector, ResultPath or OutputPath (developer guide).",
            jsonata(json!({"Type": "Pass", "InputPath": "$.a", "End": true})),
            "/States/S/InputPath",
            "not supported in JSONata states",
        ),
        case(
            "JSONata Task with Parameters",
            "JSONata states use Arguments, not Parameters (developer guide).",
            jsonata(task(json!({"Parameters": {"a": 1}}))),
            "/States/S/Parameters",
            "not supported in JSONata states",
        ),
        case(
            "JSONata state with ResultPath",
            "JSONata states use Output, not ResultPath (developer guide).",
            jsonata(json!({"Type": "Pass", "ResultPath": "$.r", "End": true})),
            "/States/S/ResultPath",
            "not supported in JSONata states",
        ),
        case(
            "JSONPath state with Arguments",
            "Arguments and Output are JSONata fields; a JSONPath state may not use them (developer guide).",
            one(task(json!({"Arguments": {"a": 1}}))),
            "/States/S/Arguments",
            "only supported in JSONata states",
        ),
        case(
            "JSONPath Choice rule with Condition",
            "Condition is the JSONata form of a Choice rule (developer guide).",
            then_done(json!({"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "Done"}]})),
            "/States/S/Choices/0/Condition",
            "only supported in JSONata states",
        ),
        case(
            "JSONata Choice rule with Variable",
            "JSONata Choice rules use Condition, not Variable (developer guide).",
            merge(then_done(json!({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "Done"}]})), json!({"QueryLanguage": "JSONata"})),
            "/States/S/Choices/0/Variable",
            "not supported in JSONata states (use \"Condition\")",
        ),
        case(
            "JSONata expression that does not parse",
            "A {% %} string holds a JSONata expression (developer guide).",
            jsonata(json!({"Type": "Pass", "Output": "{% $states.input. %}", "End": true})),
            "/States/S/Output",
            "not a valid JSONata expression",
        ),
        case(
            "JSONPath state in a JSONata machine",
            "A state cannot use JSONPath when the machine's QueryLanguage is JSONata (developer guide).",
            merge(one(json!({"Type": "Pass", "QueryLanguage": "JSONPath", "End": true})), json!({"QueryLanguage": "JSONata"})),
            "/States/S/QueryLanguage",
            "cannot use JSONPath",
        ),
        case(
            "JSONata Credentials with RoleArn.$",
            "JSONata states write RoleArn as a {% %} expression; .$ keys are JSONPath (developer guide).",
            jsonata(json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true, "Credentials": {"RoleArn.$": "$.role"}})),
            "/States/S/Credentials/RoleArn.$",
            "not supported in JSONata states",
        ),
        case(
            "JSONata Credentials expression that does not parse",
            "A {% %} string holds a JSONata expression (developer guide).",
            jsonata(json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true, "Credentials": {"RoleArn": "{% $states.input. %}"}})),
            "/States/S/Credentials/RoleArn",
            "not a valid JSONata expression",
        ),
        case(
            "Assign with a reserved variable name",
            "Variable names cannot be `states` (developer guide: workflow variables).",
            one(json!({"Type": "Pass", "Assign": {"states": 1}, "End": true})),
            "/States/S/Assign/states",
            "is reserved",
        ),
    ]
}

#[test]
fn invalid_definitions_are_rejected_at_their_path() {
    let groups = [
        machine_cases(),
        common_state_cases(),
        pass_fail_wait_cases(),
        task_cases(),
        retry_catch_cases(),
        choice_cases(),
        parallel_map_cases(),
        jsonata_cases(),
    ];
    let cases: Vec<Case> = groups.into_iter().flatten().collect();
    let mut failures = Vec::new();
    for c in &cases {
        match parse_value(&c.definition) {
            Ok(_) => failures.push(format!(
                "{}: accepted, but the rule says\n    {}\n  definition: {}",
                c.name, c.rule, c.definition
            )),
            Err(invalid) => {
                let hit = invalid
                    .diagnostics
                    .iter()
                    .any(|d| d.path == c.path && d.message.contains(c.message));
                if !hit {
                    failures.push(format!(
                        "{}: expected {:?} at {:?}; got {:?}",
                        c.name,
                        c.message,
                        c.path,
                        invalid
                            .diagnostics
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // The table is the point of this file: it must not shrink unnoticed.
    assert!(cases.len() >= 60, "only {} cases", cases.len());
}
