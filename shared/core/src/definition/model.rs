//! The typed ASL definition: what the parser produces and the interpreter walks.
//!
//! Every path, template and intrinsic is compiled here, once; the interpreter never parses
//! text. Field names follow ASL (`ResultPath` → `result_path`).

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::intrinsics::Intrinsic;
use crate::jsonata::Expression;
use crate::jsonpath::Path;

/// A parsed, validated state machine (the top level of a definition).
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub comment: Option<String>,
    pub version: Option<String>,
    /// `TimeoutSeconds` of the whole execution.
    pub timeout_seconds: Option<u64>,
    pub graph: Graph,
}

/// The hasher for state-name lookups, done several times per transition: foldhash with a
/// fixed seed is several times faster than SipHash on short names, and definitions are
/// trusted input, so HashDoS resistance buys nothing here.
pub type StateHasher = foldhash::fast::FixedState;

/// A `StartAt` plus `States`: the top level, a Parallel branch, or a Map's processor.
#[derive(Debug, Clone)]
pub struct Graph {
    pub start_at: String,
    /// Insertion order kept: diagnostics and renderings follow the author's order.
    pub states: IndexMap<String, State, StateHasher>,
}

impl Graph {
    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.get(name)
    }
}

/// One state. Fields common to several types live here; the rest in [`StateKind`].
#[derive(Debug, Clone)]
pub struct State {
    pub name: String,
    pub comment: Option<String>,
    pub query_language: QueryLanguage,
    pub kind: StateKind,
    pub input_path: InputPath,
    pub output_path: InputPath,
    /// `Parameters` (Pass, Task, Parallel) — for Map see [`MapState::item_selector`].
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: ResultPath,
    /// `Next`/`End`. Choice, Succeed and Fail have [`Transition::None`].
    pub transition: Transition,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    /// `Assign`: workflow variables set when the state succeeds (for a Choice state, when
    /// its `Default` is taken; rules carry their own).
    pub assign: Option<Payload>,
    /// `Arguments` (JSONata Task and Parallel): the input handed on.
    pub arguments: Option<JsonataValue>,
    /// `Output` (JSONata): the state's output; absent → the input, or the result for
    /// Task, Parallel and Map.
    pub output: Option<JsonataValue>,
}

/// Which language a state's fields are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryLanguage {
    #[default]
    JsonPath,
    Jsonata,
}

/// A JSON value whose `"{% … %}"` strings (at any depth) are JSONata expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonataValue {
    /// No expression anywhere inside: copied as is.
    Literal(Value),
    Expr(Box<JsonataExpr>),
    Object(Vec<(String, JsonataValue)>),
    Array(Vec<JsonataValue>),
}

/// One `{% … %}` expression, parsed once, with the field it sits in (`Output/result`),
/// which AWS names in its errors.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonataExpr {
    pub expression: Expression,
    pub field: String,
}

/// A field that is a payload template in JSONPath states and a JSONata value in JSONata
/// states (`Assign`, a Map's `ItemSelector`).
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Template(Template),
    Jsonata(JsonataValue),
}

impl State {
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Next(String),
    End,
    /// Terminal or branching states that carry neither `Next` nor `End`.
    None,
}

/// `InputPath` and `OutputPath`: absent or `"$"` pass everything, `null` gives `{}`.
#[derive(Debug, Clone, PartialEq)]
pub enum InputPath {
    Whole,
    Null,
    Path(Path),
}

/// `ResultPath`: absent or `"$"` replace the input, `null` discards the result.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultPath {
    Whole,
    Discard,
    /// A reference path into the raw state input.
    Path(Path),
}

/// `Parameters`, `ResultSelector`, `ItemSelector`: JSON with `"key.$"` fields evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    /// A subtree with no `.$` keys anywhere: copied as is.
    Literal(Value),
    /// Output keys in order; `.$` suffixes already stripped.
    Object(ObjectTemplate),
    Array(Vec<Template>),
}

/// The fields of an object template, in output order, and (when the output keys are
/// distinct) the output object with every key and null values: evaluating clones it and
/// fills the values in order, so no key is hashed or copied one by one at run time.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectTemplate {
    fields: Vec<(String, TemplateValue)>,
    skeleton: Option<Map<String, Value>>,
}

impl ObjectTemplate {
    pub fn new(fields: Vec<(String, TemplateValue)>) -> ObjectTemplate {
        let mut skeleton = Map::with_capacity(fields.len());
        for (key, _) in &fields {
            skeleton.insert(key.clone(), Value::Null);
        }
        // A repeated key (`"a"` and `"a.$"`) is written twice at run time, in place.
        let skeleton = (skeleton.len() == fields.len()).then_some(skeleton);
        ObjectTemplate { fields, skeleton }
    }

    /// Output keys and values in order.
    pub fn fields(&self) -> &[(String, TemplateValue)] {
        &self.fields
    }

    /// The output object with null values, when the keys are distinct.
    pub fn skeleton(&self) -> Option<&Map<String, Value>> {
        self.skeleton.as_ref()
    }
}

impl std::ops::Deref for ObjectTemplate {
    type Target = [(String, TemplateValue)];

    fn deref(&self) -> &Self::Target {
        &self.fields
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplateValue {
    Template(Template),
    /// `"key.$": "$.path"` or `"key.$": "$$.path"`.
    Path(Path),
    /// `"key.$": "States.Format(…)"`.
    Intrinsic(Intrinsic),
}

/// (Map is much larger than the other kinds; states are few and long-lived, so the
/// enum is not boxed.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum StateKind {
    Pass(PassState),
    Task(TaskState),
    Choice(ChoiceState),
    Wait(WaitState),
    Succeed,
    Fail(FailState),
    Parallel(ParallelState),
    Map(MapState),
}

impl StateKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Pass(_) => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PassState {
    /// `Result`: literal JSON, `.$` keys are *not* evaluated (AWS keeps them verbatim).
    pub result: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct TaskState {
    pub resource: String,
    pub timeout: Option<Seconds>,
    pub heartbeat: Option<Seconds>,
    /// `Credentials`: the role Step Functions assumes for the call. The parser checks it
    /// holds exactly one `RoleArn` (a string or `{% %}`) or `RoleArn.$` (a path or an
    /// intrinsic function); the interpreter resolves it into [`crate::interp::TaskRequest`].
    pub credentials: Option<Payload>,
}

/// A number of seconds given literally or through a path (`TimeoutSecondsPath`).
#[derive(Debug, Clone, PartialEq)]
pub enum Seconds {
    Literal(u64),
    Path(Path),
    Jsonata(JsonataValue),
}

#[derive(Debug, Clone)]
pub struct ChoiceState {
    pub choices: Vec<ChoiceRule>,
    pub default: Option<String>,
}

/// A top-level Choice rule: a condition and where it leads.
#[derive(Debug, Clone)]
pub struct ChoiceRule {
    pub condition: Condition,
    pub next: String,
    /// Variables set when this rule is taken.
    pub assign: Option<Payload>,
    /// JSONata `Output` when this rule is taken (else the state's `Output`).
    pub output: Option<JsonataValue>,
}

/// A boolean expression over the state input.
#[derive(Debug, Clone)]
pub enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Compare {
        variable: Path,
        op: Comparison,
        operand: Operand,
    },
    /// A JSONata rule's `Condition`: an expression (or literal) that must give a boolean.
    Jsonata(JsonataValue),
}

/// The comparison operators, without their `Path` twins (see [`Operand`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

impl Comparison {
    pub const ALL: &'static [Comparison] = &[
        Comparison::StringEquals,
        Comparison::StringLessThan,
        Comparison::StringGreaterThan,
        Comparison::StringLessThanEquals,
        Comparison::StringGreaterThanEquals,
        Comparison::StringMatches,
        Comparison::NumericEquals,
        Comparison::NumericLessThan,
        Comparison::NumericGreaterThan,
        Comparison::NumericLessThanEquals,
        Comparison::NumericGreaterThanEquals,
        Comparison::BooleanEquals,
        Comparison::TimestampEquals,
        Comparison::TimestampLessThan,
        Comparison::TimestampGreaterThan,
        Comparison::TimestampLessThanEquals,
        Comparison::TimestampGreaterThanEquals,
        Comparison::IsNull,
        Comparison::IsPresent,
        Comparison::IsNumeric,
        Comparison::IsString,
        Comparison::IsBoolean,
        Comparison::IsTimestamp,
    ];

    /// The ASL field name (`"NumericEquals"`).
    pub fn name(self) -> &'static str {
        match self {
            Comparison::StringEquals => "StringEquals",
            Comparison::StringLessThan => "StringLessThan",
            Comparison::StringGreaterThan => "StringGreaterThan",
            Comparison::StringLessThanEquals => "StringLessThanEquals",
            Comparison::StringGreaterThanEquals => "StringGreaterThanEquals",
            Comparison::StringMatches => "StringMatches",
            Comparison::NumericEquals => "NumericEquals",
            Comparison::NumericLessThan => "NumericLessThan",
            Comparison::NumericGreaterThan => "NumericGreaterThan",
            Comparison::NumericLessThanEquals => "NumericLessThanEquals",
            Comparison::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            Comparison::BooleanEquals => "BooleanEquals",
            Comparison::TimestampEquals => "TimestampEquals",
            Comparison::TimestampLessThan => "TimestampLessThan",
            Comparison::TimestampGreaterThan => "TimestampGreaterThan",
            Comparison::TimestampLessThanEquals => "TimestampLessThanEquals",
            Comparison::TimestampGreaterThanEquals => "TimestampGreaterThanEquals",
            Comparison::IsNull => "IsNull",
            Comparison::IsPresent => "IsPresent",
            Comparison::IsNumeric => "IsNumeric",
            Comparison::IsString => "IsString",
            Comparison::IsBoolean => "IsBoolean",
            Comparison::IsTimestamp => "IsTimestamp",
        }
    }

    /// Whether `<Name>Path` exists (every comparison except `StringMatches` and the `Is*` tests).
    pub fn has_path_form(self) -> bool {
        !matches!(
            self,
            Comparison::StringMatches
                | Comparison::IsNull
                | Comparison::IsPresent
                | Comparison::IsNumeric
                | Comparison::IsString
                | Comparison::IsBoolean
                | Comparison::IsTimestamp
        )
    }
}

/// The right-hand side of a comparison: a literal, or a path for the `…Path` operators.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Literal(Value),
    Path(Path),
}

#[derive(Debug, Clone, PartialEq)]
pub enum WaitState {
    Seconds(u64),
    /// An ISO-8601 timestamp as written, and its instant in epoch milliseconds.
    Timestamp {
        text: String,
        epoch_millis: i64,
    },
    SecondsPath(Path),
    TimestampPath(Path),
    /// JSONata `Seconds` / `Timestamp` given as expressions.
    SecondsExpr(JsonataValue),
    TimestampExpr(JsonataValue),
}

/// `Error`/`ErrorPath` and `Cause`/`CausePath`; the path forms also accept intrinsics.
#[derive(Debug, Clone)]
pub struct FailState {
    pub error: Option<FailField>,
    pub cause: Option<FailField>,
}

#[derive(Debug, Clone)]
pub enum FailField {
    Literal(String),
    Path(Path),
    Intrinsic(Intrinsic),
    Jsonata(JsonataValue),
}

#[derive(Debug, Clone)]
pub struct ParallelState {
    pub branches: Vec<Graph>,
}

#[derive(Debug, Clone)]
pub struct MapState {
    pub items_path: InputPath,
    /// JSONata `Items`: the array to iterate (absent → the state input).
    pub items: Option<JsonataValue>,
    /// `ItemSelector`, or the legacy `Parameters` of a Map (same meaning).
    pub item_selector: Option<Payload>,
    /// `ItemProcessor`, or the legacy `Iterator`.
    pub processor: Graph,
    pub mode: ProcessorMode,
    pub max_concurrency: MaxConcurrency,
    pub tolerated_failure_count: Option<Tolerance>,
    pub tolerated_failure_percentage: Option<Tolerance>,
    /// `ItemBatcher` (Distributed mode): children get batches of items.
    pub item_batcher: Option<ItemBatcher>,
    /// `ItemReader`: where a Distributed Map's items come from instead of its input.
    pub item_reader: Option<ItemReader>,
    /// `ItemReader`, `ItemBatcher`, `ResultWriter`, `Label`: Distributed Map settings, kept
    /// as written until the distributed runner interprets them.
    pub distributed: Option<Value>,
}

/// `ItemReader`: the engine reads the items (the core does no I/O) and hands them back.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemReader {
    /// `arn:aws:states:::s3:getObject` or `arn:aws:states:::s3:listObjectsV2`.
    pub resource: String,
    /// `Parameters` (JSONPath) or `Arguments` (JSONata): `Bucket`, `Key` / `Prefix`.
    pub parameters: Option<Payload>,
    /// `ReaderConfig.MaxItems` / `MaxItemsPath`: read no more items than this.
    pub max_items: Option<Count>,
    /// The rest of `ReaderConfig` (`InputType`, `CSVHeaderLocation`, `CSVHeaders`,
    /// `CSVDelimiter`, `ManifestType`), passed to the reader as written.
    pub reader_config: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessorMode {
    Inline,
    Distributed,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MaxConcurrency {
    /// 0 means no limit, as in AWS.
    Literal(u64),
    Path(Path),
    Jsonata(JsonataValue),
}

/// `ItemBatcher`: each child gets `{"BatchInput": …, "Items": [...]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemBatcher {
    /// `MaxItemsPerBatch` / `MaxItemsPerBatchPath`.
    pub max_items: Option<Count>,
    /// `MaxInputBytesPerBatch` / `MaxInputBytesPerBatchPath` (at most 256 KiB).
    pub max_bytes: Option<Count>,
    /// `BatchInput`: added to every batch, evaluated against the Map's effective input.
    pub batch_input: Option<Template>,
}

/// A positive count given literally or through a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Count {
    Literal(u64),
    Path(Path),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tolerance {
    Literal(f64),
    Path(Path),
    Jsonata(JsonataValue),
}

/// One entry of a state's `Retry` list.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    /// Default 1.
    pub interval_seconds: u64,
    /// Default 3; 0 means never retry.
    pub max_attempts: u32,
    /// Default 2.0; at least 1.0.
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u64>,
    pub jitter: Jitter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    None,
    /// Uniform in `[0, computed interval]`.
    Full,
}

/// One entry of a state's `Catch` list.
#[derive(Debug, Clone, PartialEq)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: String,
    /// Defaults to `$`: the error output replaces the input.
    pub result_path: ResultPath,
    /// Variables set when this catcher is taken.
    pub assign: Option<Payload>,
    /// JSONata `Output` (absent → the error output).
    pub output: Option<JsonataValue>,
}
