//! One state: the fields common to several types, then each type's own.

use serde_json::{Map, Value};

use crate::jsonpath::Path;

use super::ctx::{Ctx, Obj};
use super::{
    choice, credentials, graph, item_reader, jsonata, jsonata_states, paths, query_language,
    result_writer, retry, template,
};
use super::{timestamp_millis, MAX_SECONDS};
use crate::definition::{
    fields, ChoiceState, Count, FailState, InputPath, ItemBatcher, MapState, MaxConcurrency,
    ParallelState, PassState, Payload, ProcessorMode, QueryLanguage, ResultPath, Seconds, State,
    StateKind, TaskState, Tolerance, Transition, WaitState,
};

/// Parses the state `name`; `None` if anything about it is invalid.
pub(crate) fn state(cx: &mut Ctx, name: &str, obj: &Obj<'_>) -> Option<State> {
    let ty = obj.req_string(cx, "Type")?;
    if !fields::STATE_TYPES.contains(&ty) {
        cx.err(
            &obj.at("Type"),
            format!(
                "\"{ty}\" is not a state type (expected one of {})",
                fields::STATE_TYPES.join(", ")
            ),
        );
        return None;
    }
    let language = match query_language(cx, obj) {
        Some(QueryLanguage::JsonPath) if cx.query_language == QueryLanguage::Jsonata => {
            cx.err(
                &obj.at("QueryLanguage"),
                "a state of a JSONata state machine cannot use JSONPath",
            );
            return None;
        }
        Some(language) => language,
        None => cx.query_language,
    };
    cx.state_language = language;
    let jsonata = language == QueryLanguage::Jsonata;
    let what = if jsonata {
        format!("a JSONata {ty} state")
    } else {
        format!("a {ty} state")
    };
    obj.check_fields(cx, &fields::all_for(ty, jsonata), &what);
    let before = cx.diags.len();

    let has = |key: &str| fields::allowed(ty, key, jsonata) && obj.has(key);
    let comment = obj.string(cx, "Comment").map(str::to_owned);
    let input_path = if has("InputPath") {
        paths::input_path(cx, obj, "InputPath")
    } else {
        Some(InputPath::Whole)
    };
    let output_path = if has("OutputPath") {
        paths::input_path(cx, obj, "OutputPath")
    } else {
        Some(InputPath::Whole)
    };
    let parameters = if has("Parameters") && ty != "Map" {
        template::field(cx, obj, "Parameters")
    } else {
        None
    };
    let result_selector = if has("ResultSelector") {
        template::field(cx, obj, "ResultSelector")
    } else {
        None
    };
    let result_path = if has("ResultPath") {
        paths::result_path(cx, obj)
    } else {
        Some(ResultPath::Whole)
    };
    let transition = if fields::allowed(ty, "Next", jsonata) {
        next_or_end(cx, obj)
    } else {
        Some(Transition::None)
    };
    let retry = if has("Retry") {
        retry::retry(cx, obj)
    } else {
        Some(Vec::new())
    };
    let catch = if has("Catch") {
        retry::catch(cx, obj)
    } else {
        Some(Vec::new())
    };
    let arguments = if has("Arguments") {
        jsonata::field(cx, obj, "Arguments")
    } else {
        None
    };
    // Only a Task, Parallel or Map has a result for Output and Assign to read.
    cx.result_available = matches!(ty, "Task" | "Parallel" | "Map");
    let assign = if has("Assign") {
        jsonata::assign(cx, obj)
    } else {
        Some(None)
    };
    let output = if has("Output") {
        jsonata::field(cx, obj, "Output")
    } else {
        None
    };
    cx.result_available = false;
    let kind = match ty {
        "Pass" => Some(StateKind::Pass(PassState {
            result: if jsonata {
                None
            } else {
                obj.get("Result").cloned()
            },
        })),
        "Task" => task(cx, obj).map(StateKind::Task),
        "Choice" => choice_state(cx, obj).map(StateKind::Choice),
        "Wait" if jsonata => jsonata_states::wait(cx, obj).map(StateKind::Wait),
        "Wait" => wait(cx, obj).map(StateKind::Wait),
        "Succeed" => Some(StateKind::Succeed),
        "Fail" if jsonata => jsonata_states::fail(cx, obj).map(StateKind::Fail),
        "Fail" => fail(cx, obj).map(StateKind::Fail),
        "Parallel" => parallel(cx, obj).map(StateKind::Parallel),
        _ => map(cx, obj).map(StateKind::Map),
    };
    if cx.diags.len() != before {
        return None;
    }
    Some(State {
        name: name.to_owned(),
        comment,
        query_language: language,
        kind: kind?,
        input_path: input_path?,
        output_path: output_path?,
        parameters,
        result_selector,
        result_path: result_path?,
        transition: transition?,
        retry: retry?,
        catch: catch?,
        assign: assign?,
        arguments,
        output,
    })
}

/// Exactly one of `Next` (a string) and `End: true`.
fn next_or_end(cx: &mut Ctx, obj: &Obj<'_>) -> Option<Transition> {
    let next = obj.string(cx, "Next");
    // `"End": false` is read as "no End" (then `Next` is needed), not rejected.
    let end = obj.boolean(cx, "End");
    if obj.has("Next") && end == Some(true) {
        cx.err(&obj.ptr, "cannot have both \"Next\" and \"End\"");
        return None;
    }
    if let Some(next) = next {
        return Some(Transition::Next(next.to_owned()));
    }
    if end == Some(true) {
        return Some(Transition::End);
    }
    if !obj.has("Next") && (!obj.has("End") || end == Some(false)) {
        cx.err(&obj.ptr, "must have either \"Next\" or \"End\": true");
    }
    None
}

/// Literal seconds or the `…Path` twin; at most one of the two.
fn seconds(cx: &mut Ctx, obj: &Obj<'_>, key: &str) -> Option<Option<Seconds>> {
    if cx.jsonata() {
        return match obj.get(key) {
            None => Some(None),
            Some(_) => jsonata::expr_or(
                cx,
                obj,
                key,
                |cx, obj, key| obj.integer(cx, key, 1, MAX_SECONDS).map(Seconds::Literal),
                Seconds::Jsonata,
            )
            .map(Some),
        };
    }
    literal_or_path(
        cx,
        obj,
        key,
        |cx, obj, key| obj.integer(cx, key, 1, MAX_SECONDS).map(Seconds::Literal),
        Seconds::Path,
    )
}

fn task(cx: &mut Ctx, obj: &Obj<'_>) -> Option<TaskState> {
    let resource = obj.req_string(cx, "Resource");
    if let Some(r) = resource {
        if !r.starts_with("arn:") {
            cx.err(
                &obj.at("Resource"),
                format!("\"{r}\" is not an ARN (expected \"arn:…\")"),
            );
        }
    }
    let timeout = seconds(cx, obj, "TimeoutSeconds");
    let heartbeat = seconds(cx, obj, "HeartbeatSeconds");
    if let (Some(Some(Seconds::Literal(t))), Some(Some(Seconds::Literal(h)))) =
        (&timeout, &heartbeat)
    {
        if h >= t {
            cx.err(
                &obj.at("HeartbeatSeconds"),
                "must be smaller than TimeoutSeconds",
            );
        }
    }
    let credentials = credentials::field(cx, obj);
    Some(TaskState {
        resource: resource?.to_owned(),
        timeout: timeout?,
        heartbeat: heartbeat?,
        credentials: credentials?,
    })
}

fn choice_state(cx: &mut Ctx, obj: &Obj<'_>) -> Option<ChoiceState> {
    let choices = choice::choices(cx, obj);
    let default = obj.string(cx, "Default").map(str::to_owned);
    Some(ChoiceState {
        choices: choices?,
        default,
    })
}

fn wait(cx: &mut Ctx, obj: &Obj<'_>) -> Option<WaitState> {
    const KEYS: [&str; 4] = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"];
    let present: Vec<&str> = KEYS.iter().copied().filter(|k| obj.has(k)).collect();
    match present.as_slice() {
        [] => {
            cx.err(
                &obj.ptr,
                "a Wait state needs one of \"Seconds\", \"Timestamp\", \"SecondsPath\", \"TimestampPath\"",
            );
            None
        }
        ["Seconds"] => obj
            .integer(cx, "Seconds", 0, MAX_SECONDS)
            .map(WaitState::Seconds),
        ["Timestamp"] => {
            let text = obj.string(cx, "Timestamp")?;
            match timestamp_millis(text) {
                Some(epoch_millis) => Some(WaitState::Timestamp {
                    text: text.to_owned(),
                    epoch_millis,
                }),
                None => {
                    cx.err(
                        &obj.at("Timestamp"),
                        format!("\"{text}\" is not a timestamp (RFC 3339, e.g. \"2016-03-14T01:59:00Z\")"),
                    );
                    None
                }
            }
        }
        ["SecondsPath"] => {
            paths::reference_path_field(cx, obj, "SecondsPath").map(WaitState::SecondsPath)
        }
        ["TimestampPath"] => {
            paths::reference_path_field(cx, obj, "TimestampPath").map(WaitState::TimestampPath)
        }
        many => {
            let list: Vec<String> = many.iter().map(|k| format!("\"{k}\"")).collect();
            cx.err(
                &obj.ptr,
                format!(
                    "a Wait state must have exactly one of these, found {}",
                    list.join(", ")
                ),
            );
            None
        }
    }
}

fn fail(cx: &mut Ctx, obj: &Obj<'_>) -> Option<FailState> {
    use crate::definition::FailField;
    let field = |cx: &mut Ctx, key: &str| -> Option<Option<FailField>> {
        let path_key = format!("{key}Path");
        if !obj.at_most_one(cx, &[key, &path_key]) {
            return None;
        }
        if obj.has(key) {
            return obj
                .string(cx, key)
                .map(|s| Some(FailField::Literal(s.to_owned())));
        }
        if obj.has(&path_key) {
            return paths::path_or_intrinsic(cx, obj, &path_key).map(Some);
        }
        Some(None)
    };
    let error = field(cx, "Error");
    let cause = field(cx, "Cause");
    Some(FailState {
        error: error?,
        cause: cause?,
    })
}

fn parallel(cx: &mut Ctx, obj: &Obj<'_>) -> Option<ParallelState> {
    let items = obj.req_nonempty_array(cx, "Branches")?;
    let at = obj.at("Branches");
    let mut branches = Vec::with_capacity(items.len());
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        let Some(branch) = Obj::from_value(cx, item, at.index(i)) else {
            complete = false;
            continue;
        };
        branch.check_fields(cx, fields::BRANCH, "a Parallel branch");
        match graph(cx, &branch) {
            Some(g) => branches.push(g),
            None => complete = false,
        }
    }
    complete.then_some(ParallelState { branches })
}

fn map(cx: &mut Ctx, obj: &Obj<'_>) -> Option<MapState> {
    let before = cx.diags.len();
    // The processor: `ItemProcessor`, or the legacy `Iterator`.
    let mut mode = ProcessorMode::Inline;
    let mut distributed = Map::new();
    let processor = if !obj.at_most_one(cx, &["ItemProcessor", "Iterator"]) {
        None
    } else if obj.has("ItemProcessor") || obj.has("Iterator") {
        let (key, what) = if obj.has("ItemProcessor") {
            ("ItemProcessor", "an ItemProcessor")
        } else {
            ("Iterator", "an Iterator")
        };
        obj.object(cx, key).and_then(|p| {
            // The legacy Iterator accepts a ProcessorConfig too: AWS runs recorded
            // definitions with `Iterator.ProcessorConfig`.
            p.check_fields(cx, fields::ITEM_PROCESSOR, what);
            if let Some(config) = p.object(cx, "ProcessorConfig") {
                mode = processor_config(cx, &config, &mut distributed);
            }
            graph(cx, &p)
        })
    } else {
        obj.missing(cx, "ItemProcessor");
        None
    };

    if cx.jsonata() {
        // The processor's states may have switched the language being parsed.
        cx.state_language = QueryLanguage::Jsonata;
    }
    let items_path = if cx.jsonata() {
        Some(InputPath::Whole)
    } else {
        paths::items_path(cx, obj)
    };
    let items = if cx.jsonata() {
        jsonata::field(cx, obj, "Items")
    } else {
        None
    };
    if let Some(crate::definition::JsonataValue::Literal(v)) = &items {
        if !v.is_array() {
            cx.err(&obj.at("Items"), "must be an array or a JSONata expression");
        }
    }
    let item_selector = if cx.jsonata() {
        jsonata::field(cx, obj, "ItemSelector").map(Payload::Jsonata)
    } else if obj.at_most_one(cx, &["ItemSelector", "Parameters"]) {
        template::field(cx, obj, "ItemSelector")
            .or_else(|| template::field(cx, obj, "Parameters"))
            .map(Payload::Template)
    } else {
        None
    };

    let max_concurrency = if cx.jsonata() {
        jsonata::expr_or(
            cx,
            obj,
            "MaxConcurrency",
            |cx, obj, key| {
                obj.integer(cx, key, 0, u64::MAX)
                    .map(MaxConcurrency::Literal)
            },
            MaxConcurrency::Jsonata,
        )
        .or_else(|| (!obj.has("MaxConcurrency")).then_some(MaxConcurrency::Literal(0)))
    } else if !obj.at_most_one(cx, &["MaxConcurrency", "MaxConcurrencyPath"]) {
        None
    } else if obj.has("MaxConcurrencyPath") {
        paths::reference_path_field(cx, obj, "MaxConcurrencyPath").map(MaxConcurrency::Path)
    } else if obj.has("MaxConcurrency") {
        obj.integer(cx, "MaxConcurrency", 0, u64::MAX)
            .map(MaxConcurrency::Literal)
    } else {
        Some(MaxConcurrency::Literal(0))
    };

    // Tolerated failures: AWS accepts them on inline Maps too (a recorded execution has
    // `ToleratedFailureCount` on an inline Map), so they are not restricted to DISTRIBUTED.
    let tolerated_failure_count = tolerance(cx, obj, "ToleratedFailureCount", |cx, obj, key| {
        obj.integer(cx, key, 0, u64::MAX).map(|n| n as f64)
    });
    let tolerated_failure_percentage =
        tolerance(cx, obj, "ToleratedFailurePercentage", |cx, obj, key| {
            let n = obj.number(cx, key)?;
            if !(0.0..=100.0).contains(&n) {
                cx.err(&obj.at(key), "must be a number between 0 and 100");
                return None;
            }
            Some(n)
        });

    let item_batcher = match obj.object(cx, "ItemBatcher") {
        Some(batcher) => item_batcher(cx, &batcher).map(Some),
        None => Some(None),
    };

    // A non-object ItemReader is reported once, by the loop below.
    let item_reader = match obj.get("ItemReader").and_then(Value::as_object) {
        Some(reader) => item_reader::parse(cx, &Obj::new(reader, obj.at("ItemReader"))).map(Some),
        None => Some(None),
    };
    if matches!(item_reader, Some(Some(_))) && mode != ProcessorMode::Distributed {
        cx.err(
            &obj.at("ItemReader"),
            "needs a DISTRIBUTED Map (ItemProcessor.ProcessorConfig.Mode)",
        );
    }
    if let Some(writer) = obj.get("ResultWriter").and_then(Value::as_object) {
        let writer = Obj::new(writer, obj.at("ResultWriter"));
        result_writer::check(cx, &writer);
        if mode != ProcessorMode::Distributed {
            cx.err(
                &obj.at("ResultWriter"),
                "needs a DISTRIBUTED Map (ItemProcessor.ProcessorConfig.Mode)",
            );
        }
    }
    for key in ["ItemReader", "ItemBatcher", "ResultWriter"] {
        if let Some(o) = obj.object(cx, key) {
            distributed.insert(key.into(), Value::Object(o.map.clone()));
        }
    }
    if let Some(label) = obj.string(cx, "Label") {
        distributed.insert("Label".into(), label.into());
    }

    if cx.diags.len() != before {
        return None;
    }
    Some(MapState {
        items_path: items_path?,
        items,
        item_selector,
        processor: processor?,
        mode,
        max_concurrency: max_concurrency?,
        tolerated_failure_count: tolerated_failure_count?,
        tolerated_failure_percentage: tolerated_failure_percentage?,
        item_batcher: item_batcher?,
        item_reader: item_reader?,
        distributed: (!distributed.is_empty()).then_some(Value::Object(distributed)),
    })
}

/// `ItemBatcher`: at least one limit, each a positive integer or a path (ASL spec).
fn item_batcher(cx: &mut Ctx, batcher: &Obj<'_>) -> Option<ItemBatcher> {
    batcher.check_fields(cx, fields::ITEM_BATCHER, "an ItemBatcher");
    let before = cx.diags.len();
    let max_items = count(cx, batcher, "MaxItemsPerBatch", u64::MAX);
    let max_bytes = count(cx, batcher, "MaxInputBytesPerBatch", 256 * 1024);
    if matches!((&max_items, &max_bytes), (Some(None), Some(None))) {
        cx.err(
            &batcher.ptr,
            "must set MaxItemsPerBatch, MaxInputBytesPerBatch or one of their Path forms",
        );
    }
    let batch_input = match batcher.object(cx, "BatchInput") {
        Some(input) => Some(template::compile(
            cx,
            &batcher.at("BatchInput"),
            &Value::Object(input.map.clone()),
        )),
        None => None,
    };
    if cx.diags.len() != before {
        return None;
    }
    Some(ItemBatcher {
        max_items: max_items?,
        max_bytes: max_bytes?,
        batch_input,
    })
}

/// `key` (a positive integer up to `max`) or `keyPath`; `Some(None)` when neither is present.
pub(super) fn count(cx: &mut Ctx, obj: &Obj<'_>, key: &str, max: u64) -> Option<Option<Count>> {
    literal_or_path(
        cx,
        obj,
        key,
        |cx, obj, key| obj.integer(cx, key, 1, max).map(Count::Literal),
        Count::Path,
    )
}

/// `key` (read with `literal`) or `keyPath`; `Some(None)` when neither is present.
fn tolerance(
    cx: &mut Ctx,
    obj: &Obj<'_>,
    key: &str,
    literal: impl FnOnce(&mut Ctx, &Obj<'_>, &str) -> Option<f64>,
) -> Option<Option<Tolerance>> {
    if cx.jsonata() {
        if !obj.has(key) {
            return Some(None);
        }
        return jsonata::expr_or(
            cx,
            obj,
            key,
            |cx, obj, key| literal(cx, obj, key).map(Tolerance::Literal),
            Tolerance::Jsonata,
        )
        .map(Some);
    }
    literal_or_path(
        cx,
        obj,
        key,
        |cx, obj, key| literal(cx, obj, key).map(Tolerance::Literal),
        Tolerance::Path,
    )
}

/// A field given literally (`key`, read by `literal`) or through its `keyPath` twin, at
/// most one of the two: `None` when invalid, `Some(None)` when neither is present.
fn literal_or_path<T>(
    cx: &mut Ctx,
    obj: &Obj<'_>,
    key: &str,
    literal: impl FnOnce(&mut Ctx, &Obj<'_>, &str) -> Option<T>,
    path: impl FnOnce(Path) -> T,
) -> Option<Option<T>> {
    let path_key = format!("{key}Path");
    if !obj.at_most_one(cx, &[key, &path_key]) {
        return None;
    }
    if obj.has(key) {
        return literal(cx, obj, key).map(Some);
    }
    if obj.has(&path_key) {
        return paths::reference_path_field(cx, obj, &path_key).map(|p| Some(path(p)));
    }
    Some(None)
}

/// `ProcessorConfig`: `Mode` (default INLINE) and `ExecutionType` (kept in `distributed`).
fn processor_config(
    cx: &mut Ctx,
    config: &Obj<'_>,
    distributed: &mut Map<String, Value>,
) -> ProcessorMode {
    config.check_fields(cx, fields::PROCESSOR_CONFIG, "a ProcessorConfig");
    match config.string(cx, "ExecutionType") {
        None => {}
        Some(t @ ("STANDARD" | "EXPRESS")) => {
            distributed.insert("ExecutionType".into(), t.into());
        }
        Some(other) => cx.err(
            &config.at("ExecutionType"),
            format!("must be \"STANDARD\" or \"EXPRESS\", not \"{other}\""),
        ),
    }
    match config.string(cx, "Mode") {
        None | Some("INLINE") => ProcessorMode::Inline,
        Some("DISTRIBUTED") => ProcessorMode::Distributed,
        Some(other) => {
            cx.err(
                &config.at("Mode"),
                format!("must be \"INLINE\" or \"DISTRIBUTED\", not \"{other}\""),
            );
            ProcessorMode::Inline
        }
    }
}
