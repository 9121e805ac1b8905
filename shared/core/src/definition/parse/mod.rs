//! The hand-written parser: JSON value → [`StateMachine`], collecting every problem.
//!
//! Each function reports what is wrong with its part of the document into [`Ctx`] and
//! returns `None` when it cannot build its piece of the model; the caller goes on with the
//! siblings, so one pass finds all problems. Graph-wide checks (targets, reachability,
//! unique names) run afterwards in [`crate::definition::validate`] over [`GraphInfo`]s
//! gathered here.

mod choice;
mod credentials;
pub(crate) mod ctx;
mod item_reader;
mod jsonata;
mod jsonata_states;
mod paths;
mod result_writer;
mod retry;
mod states;
mod template;

use indexmap::IndexMap;
use serde_json::Value;

use crate::definition::fields;
use crate::definition::validate::GraphInfo;
use crate::definition::{Graph, QueryLanguage, StateHasher, StateMachine};
use ctx::{type_name, Ctx, Obj, Ptr};

/// AWS's limit on the length of a state name, in characters.
pub(crate) const MAX_STATE_NAME_CHARS: usize = 80;

/// Upper bound AWS puts on most second counts (`TimeoutSeconds`, `Seconds`, …).
pub(crate) const MAX_SECONDS: u64 = 99_999_999;

/// Parses a whole definition. Graph checks are left to the caller.
pub(crate) fn machine(cx: &mut Ctx, v: &Value) -> Option<StateMachine> {
    let root = match v {
        Value::Object(map) => Obj::new(map, Ptr::root()),
        other => {
            cx.err(
                &Ptr::root(),
                format!(
                    "a state machine definition must be a JSON object, not {}",
                    type_name(other)
                ),
            );
            return None;
        }
    };
    cx.query_language = query_language(cx, &root).unwrap_or_default();
    cx.state_language = cx.query_language;
    root.check_fields(cx, fields::MACHINE, "a state machine definition");
    let comment = root.string(cx, "Comment").map(str::to_owned);
    let version = root.string(cx, "Version").map(str::to_owned);
    let timeout_seconds = root.integer(cx, "TimeoutSeconds", 1, MAX_SECONDS);
    let graph = graph(cx, &root);
    Some(StateMachine {
        comment,
        version,
        timeout_seconds,
        graph: graph?,
    })
}

/// `QueryLanguage` of the machine or a state (`None` when absent or invalid).
pub(crate) fn query_language(cx: &mut Ctx, obj: &Obj<'_>) -> Option<QueryLanguage> {
    match obj.string(cx, "QueryLanguage")? {
        "JSONPath" => Some(QueryLanguage::JsonPath),
        "JSONata" => Some(QueryLanguage::Jsonata),
        other => {
            cx.err(
                &obj.at("QueryLanguage"),
                format!("must be \"JSONPath\" or \"JSONata\", not \"{other}\""),
            );
            None
        }
    }
}

/// `StartAt` + `States` of the top level, a branch or a Map processor. The caller has
/// checked the object's other fields.
pub(crate) fn graph(cx: &mut Ctx, obj: &Obj<'_>) -> Option<Graph> {
    // Each state sets the language it is parsed in; the enclosing state's comes back after.
    let language = cx.state_language;
    let graph = graph_states(cx, obj);
    cx.state_language = language;
    graph
}

fn graph_states(cx: &mut Ctx, obj: &Obj<'_>) -> Option<Graph> {
    let start_at = obj.req_string(cx, "StartAt");
    let states_obj = if obj.has("States") {
        obj.object(cx, "States")
    } else {
        obj.missing(cx, "States");
        None
    };
    let states_obj = states_obj?;
    if states_obj.map.is_empty() {
        cx.err(&states_obj.ptr, "must contain at least one state");
    }
    cx.graphs
        .push(GraphInfo::collect(obj.ptr.clone(), start_at, &states_obj));

    cx.assigned.push(jsonata::assigned_names(states_obj.map));
    let mut states =
        IndexMap::with_capacity_and_hasher(states_obj.map.len(), StateHasher::default());
    let mut complete = true;
    for (name, value) in states_obj.map {
        let at = states_obj.at(name);
        let chars = name.chars().count();
        if chars == 0 {
            cx.err(&at, "a state name must not be empty");
        } else if chars > MAX_STATE_NAME_CHARS {
            cx.err(
                &at,
                format!(
                    "state name is {chars} characters long; the limit is {MAX_STATE_NAME_CHARS}"
                ),
            );
        }
        match Obj::from_value(cx, value, at).and_then(|o| states::state(cx, name, &o)) {
            Some(state) => {
                states.insert(name.clone(), state);
            }
            None => complete = false,
        }
    }
    cx.assigned.pop();
    if !complete || states.is_empty() {
        return None;
    }
    Some(Graph {
        start_at: start_at?.to_owned(),
        states,
    })
}

/// The instant of an RFC 3339 timestamp (`2016-03-14T01:59:00Z`), in epoch milliseconds.
pub(crate) fn timestamp_millis(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}
