//! Records ↔ DynamoDB items.
//!
//! Payloads travel as JSON strings, never as nested DynamoDB maps: a map keeps numbers to
//! 38 digits and nests 32 levels, while JSON text keeps AWS's values exactly. The few
//! attributes outside the JSON are the ones a condition or an atomic update needs to
//! touch (`status`, `version`, a join's counters).
//!
//! A JSON attribute over [`large::PLAIN_MAX`] is stored compressed under `<name>_z`
//! (binary) instead, and a commit's history may span several items: see [`large`].

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Serialize;
use serde_json::Value;
use stepwise_engine::store::{self, Error};
use stepwise_engine::{
    ChildResult, ExecutionRecord, FrameRecord, HistoryItem, JoinKey, JoinRecord,
};

use super::keys::{self, PK, SK};
use super::large;

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) const RECORD: &str = "record";
pub(crate) const STATUS: &str = "status";
pub(crate) const STATE_MACHINE: &str = "state_machine";
pub(crate) const START_TIME: &str = "start_time";
/// The header's redrive count, beside its JSON so a redrive can be conditional on it.
pub(crate) const REDRIVES: &str = "redrives";
pub(crate) const VERSION: &str = "version";
pub(crate) const RESULT: &str = "result";
pub(crate) const EVENTS: &str = "events";
pub(crate) const DEFINITION: &str = "definition";
pub(crate) const SUCCEEDED: &str = "succeeded";
pub(crate) const FAILED: &str = "failed";
pub(crate) const FAILED_ITEMS: &str = "failed_items";
pub(crate) const CLOSED: &str = "closed";
pub(crate) const COLLECTOR: &str = "collector";
/// The page a join that reads its items a page at a time waits for (its `feed.page`),
/// beside the record so that `feed_join` can condition on it.
pub(crate) const PAGE: &str = "page";
/// A pending task's last heartbeat (epoch ms), beside the frame record.
pub(crate) const BEAT: &str = "beat";
/// A callback task's submission (JSON), beside the frame record.
pub(crate) const SUBMITTED: &str = "submitted";

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
    large::put_json(&mut item, RECORD, json(record));
    item.insert(STATUS.to_owned(), s(record.status.as_str()));
    item.insert(
        STATE_MACHINE.to_owned(),
        s(record.info.state_machine_name.clone()),
    );
    item.insert(START_TIME.to_owned(), n(record.info.start_time));
    item.insert(REDRIVES.to_owned(), n(record.info.redrive_count));
    // The keys of the sparse index that lists a state machine's executions.
    let index = crate::names::BY_STATE_MACHINE;
    item.insert(
        index.partition_key.to_owned(),
        s(record.info.state_machine_id.clone()),
    );
    item.insert(
        index.sort_key.to_owned(),
        s(super::catalog::by_state_machine_sk(record)),
    );
    item
}

/// A frame version alone in the log: a child's first version, written by its fan-out,
/// or a commit without history events.
pub(crate) fn frame_item(execution: &str, record: &FrameRecord) -> Item {
    let mut item = key(
        keys::execution_pk(execution),
        keys::log_sk(&record.id, record.version),
    );
    large::put_json(&mut item, RECORD, json(record));
    item.insert(VERSION.to_owned(), n(record.version));
    item
}

/// A frame version and the events of the commit that made it: one item, the two
/// compressed together when that saves a write unit. When they are over
/// [`large::PLAIN_MAX`] of JSON together, the frame stays in the first item with an empty
/// event list and the events follow in parts 1…, in key order.
pub(crate) fn log_items(execution: &str, record: &FrameRecord, events: &[Value]) -> Vec<Item> {
    let mut first = key(
        keys::execution_pk(execution),
        keys::log_sk(&record.id, record.version),
    );
    first.insert(VERSION.to_owned(), n(record.version));
    let (record_json, events_json) = (json(record), json(&events));
    if record_json.len() + events_json.len() <= large::PLAIN_MAX {
        large::put_pair(&mut first, (RECORD, record_json), (EVENTS, events_json));
        return vec![first];
    }
    large::put_json(&mut first, RECORD, record_json);
    first.insert(EVENTS.to_owned(), s("[]"));
    let mut items = vec![first];
    for (index, part) in large::split_events(events, large::PLAIN_MAX)
        .into_iter()
        .enumerate()
    {
        let mut item = key(
            keys::execution_pk(execution),
            keys::log_part_sk(&record.id, record.version, index + 1),
        );
        large::put_json(&mut item, EVENTS, part);
        items.push(item);
    }
    items
}

/// A new join: its static fields as JSON, its counters as attributes.
pub(crate) fn join_item(execution: &str, record: &JoinRecord) -> Item {
    let mut item = key(keys::execution_pk(execution), keys::join_sk(&record.key));
    item.insert(RECORD.to_owned(), join_json(record));
    if let Some(feed) = &record.feed {
        item.insert(PAGE.to_owned(), n(feed.page));
    }
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
    large::put_json(&mut item, RESULT, json(result));
    item
}

/// History events without a frame version (an execution's stop or timeout, under the
/// root's key at `u64::MAX - redrives`): one item, or consecutive parts when they are
/// over [`large::PLAIN_MAX`] of JSON.
pub(crate) fn history_items(execution: &str, history: &HistoryItem) -> Vec<Item> {
    large::split_events(&history.events, large::PLAIN_MAX)
        .into_iter()
        .enumerate()
        .map(|(part, events)| {
            let mut item = key(
                keys::execution_pk(execution),
                keys::log_part_sk(&history.frame, history.version, part),
            );
            large::put_json(&mut item, EVENTS, events);
            item
        })
        .collect()
}

pub(crate) fn definition_item(hash: &str, definition: &str) -> Item {
    let mut item = key(keys::definition_pk(hash), keys::DEFINITION.to_owned());
    // Step Functions takes definitions up to 1 MB.
    large::put_json(&mut item, DEFINITION, definition.to_owned());
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

/// A JSON attribute, plain or compressed.
fn json_text(item: &Item, name: &str) -> store::Result<String> {
    large::get_json(item, name).map_err(|e| corrupt(item, format!("attribute {name} {e}")))
}

fn parse<T: DeserializeOwned>(item: &Item, name: &str) -> store::Result<T> {
    let text = json_text(item, name)?;
    serde_json::from_str(&text).map_err(|e| corrupt(item, format!("attribute {name}: {e}")))
}

pub(crate) fn execution_record(item: &Item) -> store::Result<ExecutionRecord> {
    parse(item, RECORD)
}

/// The `[record, events]` pair [`large::put_pair`] compressed, parsed as `T`.
fn pair<T: DeserializeOwned>(item: &Item) -> Option<store::Result<T>> {
    let text = large::get_pair(item)?;
    Some(
        text.map_err(|e| corrupt(item, format!("attribute {} {e}", large::PAIR_Z)))
            .and_then(|text| {
                serde_json::from_str(&text)
                    .map_err(|e| corrupt(item, format!("attribute {}: {e}", large::PAIR_Z)))
            }),
    )
}

pub(crate) fn frame_record(item: &Item) -> store::Result<FrameRecord> {
    let mut record: FrameRecord = match pair::<(FrameRecord, IgnoredAny)>(item) {
        Some(pair) => pair?.0,
        None => parse(item, RECORD)?,
    };
    record.progress.beat = number(item, BEAT)?;
    if item.contains_key(SUBMITTED) {
        record.progress.submitted = Some(parse(item, SUBMITTED)?);
    }
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
/// in-memory store has no join there either). A join's JSON is a few names and numbers:
/// it is never compressed, so `claim_join` can test `attribute_exists(record)`.
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

/// A join's fields but its counters, as its `record` attribute holds them.
pub(crate) fn join_json(record: &JoinRecord) -> AttributeValue {
    let mut fields = serde_json::to_value(record).unwrap_or_default();
    if let Some(object) = fields.as_object_mut() {
        for counter in COUNTERS {
            object.remove(counter);
        }
    }
    s(fields.to_string())
}

pub(crate) fn child_result(item: &Item) -> store::Result<ChildResult> {
    parse(item, RESULT)
}

/// The history a log item holds: a whole commit's events, or one part of them; `None`
/// for a frame version written without history.
pub(crate) fn history(item: &Item) -> store::Result<Option<HistoryItem>> {
    let sk = string(item, SK)?;
    let (frame, version, _) =
        keys::parse_log_sk(sk).ok_or_else(|| corrupt(item, "not a frame log sort key"))?;
    let events = match pair::<(IgnoredAny, Vec<Value>)>(item) {
        Some(pair) => pair?.1,
        None if item.contains_key(EVENTS) || item.contains_key(&large::compressed_name(EVENTS)) => {
            parse(item, EVENTS)?
        }
        None => return Ok(None),
    };
    Ok(Some(HistoryItem {
        frame,
        version,
        events,
    }))
}

pub(crate) fn definition(item: &Item) -> store::Result<String> {
    json_text(item, DEFINITION)
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
            feed: None,
            feed_failure: None,
            max_concurrency: None,
            paged: false,
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
        let items = history_items("arn:x", &history_record);
        assert_eq!(items.len(), 1);
        assert_eq!(history(&items[0]).unwrap(), Some(history_record));

        let item = definition_item("abc", "{}");
        assert_eq!(describe(&item), "DEF#abc/DEF");
        assert_eq!(definition(&item).unwrap(), "{}");
    }

    #[test]
    fn a_frame_version_holds_its_commits_events() {
        let record = frame(FrameId::child(&FrameId::root(), 2, 5), 7);
        let alone = frame_item("arn:x", &record);
        assert_eq!(describe(&alone), "EX#arn:x/F#0/2/5#00000000000000000007");
        assert_eq!(history(&alone).unwrap(), None, "no history written");

        let events = vec![json!({"type": "PassStateEntered"}); 3];
        let items = log_items("arn:x", &record, &events);
        assert_eq!(items.len(), 1);
        assert_eq!(describe(&items[0]), describe(&alone));
        assert_eq!(frame_record(&items[0]).unwrap(), record);
        let read = history(&items[0]).unwrap().unwrap();
        assert_eq!(
            (read.frame, read.version, read.events),
            (record.id.clone(), 7, events)
        );
        // No events is still a history (the in-memory store keeps it too).
        let empty = log_items("arn:x", &record, &[]);
        assert_eq!(
            history(&empty[0]).unwrap().unwrap().events,
            Vec::<Value>::new()
        );
    }

    #[test]
    fn a_frame_and_events_over_a_unit_are_compressed_together() {
        let mut record = frame(FrameId::root(), 4);
        record.cause = Some(format!(
            "arn:aws:states:us-east-1:000000000000:execution:sm:{}#0#3#Task",
            "e".repeat(36)
        ));
        let event = json!({"type": "TaskSucceeded", "taskSucceededEventDetails": {
            "output": "{\"ExecutedVersion\":\"$LATEST\",\"Payload\":{\"n\":5},\"StatusCode\":200}",
            "resourceType": "lambda", "resource": "invoke"}});
        let events = vec![event; 6];
        let items = log_items("arn:x", &record, &events);
        assert_eq!(items.len(), 1);
        let item = &items[0];
        assert!(item.contains_key(large::PAIR_Z), "{item:?}");
        assert!(large::item_size(item) <= 1024, "{}", large::item_size(item));
        assert_eq!(item[VERSION], n(4));
        assert_eq!(frame_record(item).unwrap(), record);
        assert_eq!(history(item).unwrap().unwrap().events, events);
    }

    #[test]
    fn a_frame_with_events_over_the_plain_limit_splits_the_events() {
        let record = frame(FrameId::root(), 2);
        let events: Vec<Value> = (0..600)
            .map(|n| json!({"type": "PassStateEntered", "n": n, "pad": noise(1024)}))
            .collect();
        let items = log_items("arn:x", &record, &events);
        assert!(items.len() >= 3, "{}", items.len());
        assert_eq!(
            describe(&items[1]),
            "EX#arn:x/F#0#00000000000000000002#0001"
        );
        assert_eq!(frame_record(&items[0]).unwrap(), record);
        let read: Vec<Value> = items
            .iter()
            .flat_map(|i| history(i).unwrap().unwrap().events)
            .collect();
        assert_eq!(read, events);
    }

    /// Text that compresses about as well as base64 or hex payloads do (2:1), not as a
    /// repeated letter does.
    fn noise(bytes: usize) -> String {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..bytes)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(b"0123456789abcdef"[(state % 16) as usize])
            })
            .collect()
    }

    #[test]
    fn a_large_execution_header_is_compressed_with_its_attributes_kept() {
        let mut record = execution("arn:x", ExecutionStatus::Succeeded);
        record.info.input = json!({"blob": noise(250 * 1024)});
        record.output = Some(json!({"blob": noise(250 * 1024)}));
        let item = execution_item(&record);
        assert!(!item.contains_key(RECORD));
        assert!(matches!(&item["record_z"], AttributeValue::B(b) if b.as_ref().len() < 300 * 1024));
        assert_eq!(item[STATUS], s("SUCCEEDED"));
        assert_eq!(item[START_TIME], n(1_700_000_000_000_i64));
        assert_eq!(execution_record(&item).unwrap(), record);
        // A small header stays readable JSON.
        let small = execution_item(&execution("arn:x", ExecutionStatus::Running));
        assert!(matches!(&small[RECORD], AttributeValue::S(_)));
    }

    #[test]
    fn a_large_frame_is_compressed_with_its_version_kept() {
        let mut record = frame(FrameId::root(), 3);
        record.frame = stepwise_core::interp::Frame::root(
            &stepwise_core::definition::parse(
                r#"{"StartAt":"T","States":{"T":{"Type":"Pass","End":true}}}"#,
            )
            .unwrap(),
            json!({"blob": noise(250 * 1024)}),
            0,
        );
        record.task = Some(stepwise_core::interp::TaskRequest {
            state: "T".to_owned(),
            resource: "arn:aws:lambda:us-east-1:000000000000:function:f".to_owned(),
            parameters: json!({"blob": noise(250 * 1024)}),
            timeout_seconds: None,
            heartbeat_seconds: None,
            credentials: None,
            attempt: 0,
            task_token: None,
        });
        let item = frame_item("arn:x", &record);
        assert!(item.contains_key("record_z") && !item.contains_key(RECORD));
        assert_eq!(item[VERSION], n(3));
        assert_eq!(frame_record(&item).unwrap(), record);
    }

    #[test]
    fn a_large_commit_is_split_into_ordered_parts() {
        let events: Vec<serde_json::Value> = (0..1000)
            .map(|n| json!({"type": "PassStateEntered", "n": n, "pad": "p".repeat(1024)}))
            .collect();
        let record = HistoryItem {
            frame: FrameId::root(),
            version: 7,
            events: events.clone(),
        };
        let items = history_items("arn:x", &record);
        assert!(items.len() >= 3, "{}", items.len());
        let sks: Vec<String> = items.iter().map(describe).collect();
        assert_eq!(sks[0], "EX#arn:x/F#0#00000000000000000007");
        assert_eq!(sks[1], "EX#arn:x/F#0#00000000000000000007#0001");
        let mut sorted = sks.clone();
        sorted.sort();
        assert_eq!(sorted, sks);
        let mut read = Vec::new();
        for item in &items {
            // Each part holds at most PLAIN_MAX of JSON (here compressed, as it saves units).
            assert!(large::get_json(item, EVENTS).unwrap().len() <= large::PLAIN_MAX);
            let part = history(item).unwrap().unwrap();
            assert_eq!((part.frame.clone(), part.version), (FrameId::root(), 7));
            read.extend(part.events);
        }
        assert_eq!(read, events);
    }

    #[test]
    fn a_lone_oversize_event_is_compressed() {
        let event = json!({"type": "PassStateExited", "output": "\"".repeat(300 * 1024)});
        let record = HistoryItem {
            frame: FrameId::root(),
            version: 2,
            events: vec![json!({"type": "PassStateEntered"}), event],
        };
        let items = history_items("arn:x", &record);
        assert_eq!(items.len(), 2);
        assert!(items[0].contains_key(EVENTS));
        assert!(items[1].contains_key("events_z"));
        let events: Vec<_> = items
            .iter()
            .flat_map(|i| history(i).unwrap().unwrap().events)
            .collect();
        assert_eq!(events, record.events);
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

        let bad_sk = key("EX#arn:x".to_owned(), "F#zz".to_owned());
        assert!(matches!(history(&bad_sk), Err(Error::Corrupt { .. })));
    }
}
