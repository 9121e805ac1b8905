//! Records ↔ DynamoDB items.
//!
//! Payloads travel as JSON strings, never as nested DynamoDB maps: a map keeps numbers to
//! 38 digits and nests 32 levels, while JSON text keeps AWS's values exactly. The few
//! attributes outside the JSON are the ones a condition or an atomic update needs to
//! touch (`status`, `version`, a join's counters).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::Serialize;
use stepwise_engine::store::{self, Error};
use stepwise_engine::{
    ChildResult, ExecutionRecord, FrameRecord, HistoryItem, JoinKey, JoinRecord,
};

use super::keys::{self, PK, SK};

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) const RECORD: &str = "record";
pub(crate) const STATUS: &str = "status";
pub(crate) const STATE_MACHINE: &str = "state_machine";
pub(crate) const START_TIME: &str = "start_time";
pub(crate) const VERSION: &str = "version";
pub(crate) const RESULT: &str = "result";
pub(crate) const EVENTS: &str = "events";
pub(crate) const DEFINITION: &str = "definition";
pub(crate) const SUCCEEDED: &str = "succeeded";
pub(crate) const FAILED: &str = "failed";
pub(crate) const FAILED_ITEMS: &str = "failed_items";
pub(crate) const CLOSED: &str = "closed";
pub(crate) const COLLECTOR: &str = "collector";

/// The counters a join's `record` JSON leaves out: they live in their own attributes so
/// that finishing children can `ADD` to them without reading the item.
const COUNTERS: [&str; 5] = [SUCCEEDED, FAILED, FAILED_ITEMS, CLOSED, COLLECTOR];

pub(crate) fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

pub(crate) fn n(number: impl ToString) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

pub(crate) fn key(pk: String, sk: String) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

/// `pk/sk` of an item, for error messages.
pub(crate) fn describe(item: &Item) -> String {
    let part = |name| match item.get(name) {
        Some(AttributeValue::S(text)) => text.as_str(),
        _ => "?",
    };
    format!("{}/{}", part(PK), part(SK))
}

fn json<T: Serialize>(value: &T) -> String {
    // The records are plain data with string keys: serialising them cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

pub(crate) fn execution_item(record: &ExecutionRecord) -> Item {
    let mut item = key(keys::execution_pk(record.arn()), keys::META.to_owned());
    item.insert(RECORD.to_owned(), s(json(record)));
    item.insert(STATUS.to_owned(), s(record.status.as_str()));
    item.insert(
        STATE_MACHINE.to_owned(),
        s(record.info.state_machine_name.clone()),
    );
    item.insert(START_TIME.to_owned(), n(record.info.start_time));
    item
}

pub(crate) fn frame_item(execution: &str, record: &FrameRecord) -> Item {
    let mut item = key(keys::execution_pk(execution), keys::frame_sk(&record.id));
    item.insert(RECORD.to_owned(), s(json(record)));
    item.insert(VERSION.to_owned(), n(record.version));
    item
}

/// A new join: its static fields as JSON, its counters as attributes.
pub(crate) fn join_item(execution: &str, record: &JoinRecord) -> Item {
    let mut item = key(keys::execution_pk(execution), keys::join_sk(&record.key));
    let mut fields = serde_json::to_value(record).unwrap_or_default();
    if let Some(object) = fields.as_object_mut() {
        for counter in COUNTERS {
            object.remove(counter);
        }
    }
    item.insert(RECORD.to_owned(), s(fields.to_string()));
    item.insert(SUCCEEDED.to_owned(), n(record.succeeded));
    item.insert(FAILED.to_owned(), n(record.failed));
    item.insert(FAILED_ITEMS.to_owned(), n(record.failed_items));
    item.insert(CLOSED.to_owned(), AttributeValue::Bool(record.closed));
    item
}

pub(crate) fn result_item(execution: &str, join: &JoinKey, result: &ChildResult) -> Item {
    let mut item = key(
        keys::execution_pk(execution),
        keys::result_sk(join, result.index),
    );
    item.insert(RESULT.to_owned(), s(json(result)));
    item
}

pub(crate) fn history_item(execution: &str, history: &HistoryItem) -> Item {
    let mut item = key(
        keys::execution_pk(execution),
        keys::history_sk(&history.frame, history.version),
    );
    item.insert(EVENTS.to_owned(), s(json(&history.events)));
    item
}

pub(crate) fn definition_item(hash: &str, definition: &str) -> Item {
    let mut item = key(keys::definition_pk(hash), keys::DEFINITION.to_owned());
    item.insert(DEFINITION.to_owned(), s(definition));
    item
}

fn corrupt(item: &Item, message: impl Into<String>) -> Error {
    Error::Corrupt {
        key: describe(item),
        message: message.into(),
    }
}

pub(crate) fn string<'a>(item: &'a Item, name: &str) -> store::Result<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(text)) => Ok(text),
        Some(_) => Err(corrupt(item, format!("attribute {name} is not a string"))),
        None => Err(corrupt(item, format!("attribute {name} is missing"))),
    }
}

/// A number attribute; `None` when absent.
fn number<T: std::str::FromStr>(item: &Item, name: &str) -> store::Result<Option<T>> {
    match item.get(name) {
        Some(AttributeValue::N(text)) => text
            .parse()
            .map(Some)
            .map_err(|_| corrupt(item, format!("attribute {name} is out of range: {text}"))),
        Some(_) => Err(corrupt(item, format!("attribute {name} is not a number"))),
        None => Ok(None),
    }
}

fn parse<T: DeserializeOwned>(item: &Item, name: &str) -> store::Result<T> {
    let text = string(item, name)?;
    serde_json::from_str(text).map_err(|e| corrupt(item, format!("attribute {name}: {e}")))
}

pub(crate) fn execution_record(item: &Item) -> store::Result<ExecutionRecord> {
    parse(item, RECORD)
}

pub(crate) fn frame_record(item: &Item) -> store::Result<FrameRecord> {
    let record: FrameRecord = parse(item, RECORD)?;
    // The condition tests the attribute, the engine reads the JSON: they must agree.
    let version: u64 =
        number(item, VERSION)?.ok_or_else(|| corrupt(item, "attribute version is missing"))?;
    if version != record.version {
        return Err(corrupt(
            item,
            format!("version {version} but record version {}", record.version),
        ));
    }
    Ok(record)
}

/// A join from its static JSON and its counter attributes. `None` when the item has no
/// `record`: a child's commit bumped the counters of a join that was never opened (the
/// in-memory store has no join there either).
pub(crate) fn join_record(item: &Item) -> store::Result<Option<JoinRecord>> {
    if !item.contains_key(RECORD) {
        return Ok(None);
    }
    let mut record: JoinRecord = parse(item, RECORD)?;
    // A counter is absent only if nothing ever set it: zero.
    record.succeeded = number(item, SUCCEEDED)?.unwrap_or_default();
    record.failed = number(item, FAILED)?.unwrap_or_default();
    record.failed_items = number(item, FAILED_ITEMS)?.unwrap_or_default();
    record.closed = match item.get(CLOSED) {
        Some(AttributeValue::Bool(closed)) => *closed,
        None => false,
        Some(_) => return Err(corrupt(item, "attribute closed is not a boolean")),
    };
    record.collector = match item.get(COLLECTOR) {
        Some(AttributeValue::S(collector)) => Some(collector.clone()),
        None => None,
        Some(_) => return Err(corrupt(item, "attribute collector is not a string")),
    };
    Ok(Some(record))
}

pub(crate) fn child_result(item: &Item) -> store::Result<ChildResult> {
    parse(item, RESULT)
}

pub(crate) fn history(item: &Item) -> store::Result<HistoryItem> {
    let sk = string(item, SK)?;
    let (frame, version) =
        keys::parse_history_sk(sk).ok_or_else(|| corrupt(item, "not a history sort key"))?;
    Ok(HistoryItem {
        frame,
        version,
        events: parse(item, EVENTS)?,
    })
}

pub(crate) fn definition(item: &Item) -> store::Result<String> {
    string(item, DEFINITION).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use stepwise_core::interp::ChildrenKind;
    use stepwise_engine::{ExecutionStatus, FrameId};

    use super::*;
    use crate::dynamo::testing::{execution, frame};

    #[test]
    fn execution_headers_round_trip_with_queryable_attributes() {
        let record = execution("arn:x", ExecutionStatus::Running);
        let item = execution_item(&record);
        assert_eq!(describe(&item), "EX#arn:x/META");
        assert_eq!(item[STATUS], s("RUNNING"));
        assert_eq!(item[STATE_MACHINE], s("sm"));
        assert_eq!(item[START_TIME], n(1_700_000_000_000_i64));
        assert_eq!(execution_record(&item).unwrap(), record);
    }

    #[test]
    fn frames_round_trip_and_keep_their_version_beside() {
        let record = frame(FrameId::child(&FrameId::root(), 2, 5), 7);
        let item = frame_item("arn:x", &record);
        assert_eq!(item[VERSION], n(7));
        assert_eq!(frame_record(&item).unwrap(), record);

        let mut skewed = item.clone();
        skewed.insert(VERSION.to_owned(), n(8));
        assert!(matches!(frame_record(&skewed), Err(Error::Corrupt { .. })));
    }

    #[test]
    fn joins_keep_counters_outside_the_json() {
        let mut record = JoinRecord {
            key: JoinKey {
                parent: FrameId::root(),
                version: 3,
            },
            kind: ChildrenKind::Map,
            state: "Each".to_owned(),
            total: 20,
            tolerance: None,
            succeeded: 0,
            failed: 0,
            failed_items: 0,
            closed: false,
            collector: None,
        };
        let mut item = join_item("arn:x", &record);
        assert!(!string(&item, RECORD).unwrap().contains("succeeded"));
        assert_eq!(join_record(&item).unwrap().as_ref(), Some(&record));
        // What `ADD` and `SET` do to the stored item.
        item.insert(SUCCEEDED.to_owned(), n(4));
        item.insert(FAILED.to_owned(), n(1));
        item.insert(FAILED_ITEMS.to_owned(), n(3));
        item.insert(CLOSED.to_owned(), AttributeValue::Bool(true));
        (
            record.succeeded,
            record.failed,
            record.failed_items,
            record.closed,
        ) = (4, 1, 3, true);
        assert_eq!(join_record(&item).unwrap(), Some(record));
    }

    #[test]
    fn a_join_with_only_counters_is_absent() {
        let mut item = key("EX#arn:x".to_owned(), "J#0#1".to_owned());
        item.insert(SUCCEEDED.to_owned(), n(1));
        assert_eq!(join_record(&item).unwrap(), None);
    }

    #[test]
    fn results_history_and_definitions_round_trip() {
        let join = JoinKey {
            parent: FrameId::root(),
            version: 1,
        };
        let result: ChildResult =
            serde_json::from_value(json!({"index": 4, "outcome": {"Succeeded": [1, 2.5, "x"]}}))
                .unwrap();
        let item = result_item("arn:x", &join, &result);
        assert_eq!(describe(&item), "EX#arn:x/R#0#1#0000000004");
        assert_eq!(child_result(&item).unwrap(), result);

        let history_record = HistoryItem {
            frame: FrameId::child(&FrameId::root(), 1, 4),
            version: u64::MAX,
            events: vec![json!({"type": "ExecutionAborted", "big": 12345678901234567890u64})],
        };
        let item = history_item("arn:x", &history_record);
        assert_eq!(history(&item).unwrap(), history_record);

        let item = definition_item("abc", "{}");
        assert_eq!(describe(&item), "DEF#abc/DEF");
        assert_eq!(definition(&item).unwrap(), "{}");
    }

    #[test]
    fn unreadable_items_are_corrupt_not_panics() {
        let mut item = key("EX#arn:x".to_owned(), "META".to_owned());
        let error = execution_record(&item).unwrap_err();
        assert_eq!(
            error.to_string(),
            "corrupt store item EX#arn:x/META: attribute record is missing"
        );
        item.insert(RECORD.to_owned(), s("{not json"));
        assert!(matches!(
            execution_record(&item),
            Err(Error::Corrupt { .. })
        ));
        item.insert(RECORD.to_owned(), n(1));
        assert!(matches!(
            execution_record(&item),
            Err(Error::Corrupt { .. })
        ));

        let mut frame_item = frame_item("arn:x", &frame(FrameId::root(), 1));
        frame_item.insert(VERSION.to_owned(), n("-1"));
        assert!(matches!(
            frame_record(&frame_item),
            Err(Error::Corrupt { .. })
        ));
        frame_item.remove(VERSION);
        assert!(matches!(
            frame_record(&frame_item),
            Err(Error::Corrupt { .. })
        ));

        let bad_sk = key("EX#arn:x".to_owned(), "H#zz".to_owned());
        assert!(matches!(history(&bad_sk), Err(Error::Corrupt { .. })));
    }
}
