//! Records that approach DynamoDB's 400 KB item limit.
//!
//! Step Functions payloads go up to 256 KiB each and one item may hold several (an
//! execution's input and output, a frame's input and its pending task's parameters, a
//! commit's history events), so the store needs two tools:
//! - a JSON text over [`PLAIN_MAX`] is stored zlib-compressed in a binary attribute
//!   (`<name>_z`) instead of a string (`<name>`), and so is a smaller one when that makes
//!   the item cost fewer write units (see [`put_json`]); the rest stay readable in the
//!   console;
//! - a frame version and its commit's events share one item, compressed together when
//!   that saves a unit (see [`put_pair`]);
//! - a commit whose frame and events are over [`PLAIN_MAX`] of JSON together keeps the
//!   frame in its item and splits the events into parts of at most [`PLAIN_MAX`] of JSON,
//!   written as consecutive items in the commit's transaction.
//!
//! Also: the transaction limits (100 items, 4 MB) are checked before sending, because
//! DynamoDB reports them as validation errors that no retry can fix.

use std::io::{Read, Write as _};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use serde_json::Value;

use super::items::Item;

/// The largest JSON text stored as a plain string, and the most JSON one history part
/// holds. It leaves 50 KiB of the 400 KB (409,600-byte) item for the keys (an ARN and a
/// frame path: well under 1 KB) and the few other attributes.
pub(crate) const PLAIN_MAX: usize = 350 * 1024;

/// A compressed attribute never inflates to more than this: a corrupt or hostile item
/// must not exhaust a Lambda's memory. Far above anything the engine writes (at most a
/// few 256 KiB payloads per record).
const INFLATED_MAX: u64 = 64 * 1024 * 1024;

/// `TransactWriteItems` takes at most 100 actions…
pub(crate) const TRANSACTION_ITEMS_MAX: usize = 100;
/// …of at most 4 MB together.
pub(crate) const TRANSACTION_BYTES_MAX: usize = 4 * 1024 * 1024;

/// The name of the binary attribute holding `name` compressed.
pub(crate) fn compressed_name(name: &str) -> String {
    format!("{name}_z")
}

/// DynamoDB bills a write unit per started KB of the item (twice in a transaction).
const WRITE_UNIT_BYTES: usize = 1024;

/// What the attributes put after the JSON may add to the item: a version, a status, the
/// listing index's keys (a state machine ARN and a start time). An estimate, used only to
/// choose between plain and compressed.
const LATER_ATTRIBUTES: usize = 256;

/// Stores `json` under `name` as a string, or compressed under `<name>_z` when it is over
/// [`PLAIN_MAX`] or when compressing makes the item cost fewer write units.
///
/// The second case is the common one: a Lambda task's frame (its input, the task's
/// parameters, an outbox naming the execution ARN) and its commit's history (AWS's
/// response metadata around a small payload) are 1–2 KB of repetitive JSON each, which
/// compresses to well under 1 KB; in the commit's transaction each KB is billed twice,
/// on every transition. Items that fit one unit as they are stay plain.
///
/// Whether the result fits an item is DynamoDB's to say: a payload that does not
/// compress (random or already-compressed data) may still be too large.
pub(crate) fn put_json(item: &mut Item, name: &str, json: String) {
    let base = item_size(item) + LATER_ATTRIBUTES;
    let units = |bytes: usize| (base + bytes).div_ceil(WRITE_UNIT_BYTES);
    let plain_units = units(name.len() + json.len());
    if json.len() <= PLAIN_MAX && plain_units <= 1 {
        item.insert(name.to_owned(), AttributeValue::S(json));
        return;
    }
    let compressed = compress(json.as_bytes());
    let packed_units = units(compressed_name(name).len() + compressed.len());
    if json.len() <= PLAIN_MAX && packed_units >= plain_units {
        item.insert(name.to_owned(), AttributeValue::S(json));
    } else {
        item.insert(
            compressed_name(name),
            AttributeValue::B(Blob::new(compressed)),
        );
    }
}

/// The binary attribute holding a frame record and its commit's events compressed
/// together, as the JSON array `[record, events]`.
pub(crate) const PAIR_Z: &str = "commit_z";

/// Stores a frame record and its commit's events (both JSON text) in one item: as two
/// strings, or compressed together under [`PAIR_Z`] when that costs fewer write units.
/// One stream compresses better than two: a frame and its events repeat the same ARNs,
/// state names and payloads. A Lambda task's frame and events, 2–3 KB of JSON, fit one
/// unit this way. The caller keeps the two under [`PLAIN_MAX`] together.
pub(crate) fn put_pair(item: &mut Item, record: (&str, String), events: (&str, String)) {
    let ((record_name, record), (events_name, events)) = (record, events);
    let base = item_size(item) + LATER_ATTRIBUTES;
    let units = |bytes: usize| (base + bytes).div_ceil(WRITE_UNIT_BYTES);
    let plain_units = units(record_name.len() + record.len() + events_name.len() + events.len());
    if plain_units > 1 {
        let compressed = compress(format!("[{record},{events}]").as_bytes());
        if units(PAIR_Z.len() + compressed.len()) < plain_units {
            item.insert(PAIR_Z.to_owned(), AttributeValue::B(Blob::new(compressed)));
            return;
        }
    }
    item.insert(record_name.to_owned(), AttributeValue::S(record));
    item.insert(events_name.to_owned(), AttributeValue::S(events));
}

/// The JSON array `[record, events]` that [`put_pair`] compressed, if it did.
pub(crate) fn get_pair(item: &Item) -> Option<Result<String, ReadError>> {
    match item.get(PAIR_Z)? {
        AttributeValue::B(blob) => Some(decompress(blob.as_ref())),
        _ => Some(Err(ReadError::NotBinary)),
    }
}

/// Why a stored JSON attribute could not be read back (becomes `Error::Corrupt`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ReadError {
    Missing,
    NotAString,
    NotBinary,
    Inflate(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing => f.write_str("is missing"),
            Self::NotAString => f.write_str("is not a string"),
            Self::NotBinary => f.write_str("is not binary"),
            Self::Inflate(why) => write!(f, "does not decompress: {why}"),
        }
    }
}

/// The JSON text under `name` or, compressed, under `<name>_z`: items written before
/// compression existed, and small records, have only the former.
pub(crate) fn get_json(item: &Item, name: &str) -> Result<String, ReadError> {
    match item.get(name) {
        Some(AttributeValue::S(text)) => return Ok(text.clone()),
        Some(_) => return Err(ReadError::NotAString),
        None => {}
    }
    match item.get(&compressed_name(name)) {
        Some(AttributeValue::B(blob)) => decompress(blob.as_ref()),
        Some(_) => Err(ReadError::NotBinary),
        None => Err(ReadError::Missing),
    }
}

fn compress(bytes: &[u8]) -> Vec<u8> {
    // Level 6 (the default): JSON shrinks 3-10×; higher levels gain a few percent for
    // several times the CPU, which a Lambda pays on every commit of a large frame.
    let mut encoder = ZlibEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

fn decompress(bytes: &[u8]) -> Result<String, ReadError> {
    let mut text = String::new();
    ZlibDecoder::new(bytes)
        .take(INFLATED_MAX + 1)
        .read_to_string(&mut text)
        .map_err(|e| ReadError::Inflate(e.to_string()))?;
    if text.len() as u64 > INFLATED_MAX {
        return Err(ReadError::Inflate(format!(
            "more than {INFLATED_MAX} bytes"
        )));
    }
    Ok(text)
}

/// A commit's events as JSON arrays of at most `budget` bytes each, in order, so that
/// consecutive parts concatenate to the events. An event bigger than the budget goes
/// alone in its part (and is compressed by [`put_json`]). Always at least one part: a
/// commit with no events still writes its (empty) history item, as before splitting.
pub(crate) fn split_events(events: &[Value], budget: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::from("[");
    for event in events {
        // A `Value` has string keys only: serialising it cannot fail.
        let text = serde_json::to_string(event).unwrap_or_default();
        let empty = current.len() == 1;
        // `,` before the event and `]` after it.
        if !empty && current.len() + 1 + text.len() + 1 > budget {
            current.push(']');
            parts.push(std::mem::replace(&mut current, String::from("[")));
        } else if !empty {
            current.push(',');
        }
        current.push_str(&text);
    }
    current.push(']');
    parts.push(current);
    parts
}

/// DynamoDB's size of an item, from its documented rules (UTF-8 attribute names plus
/// values; a number at most 21 bytes), slightly over rather than under: used only to
/// refuse transactions DynamoDB would refuse anyway.
pub(crate) fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::B(blob) => blob.as_ref().len(),
        AttributeValue::N(number) => number.len().min(21) + 1,
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| n.len().min(21) + 1).sum(),
        AttributeValue::Bs(set) => set.iter().map(|b| b.as_ref().len()).sum(),
        // A variant added to the SDK later: the engine writes none.
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn small_json_stays_a_readable_string() {
        let mut item = Item::new();
        put_json(&mut item, "record", r#"{"a":1}"#.to_owned());
        assert_eq!(item["record"], AttributeValue::S(r#"{"a":1}"#.to_owned()));
        assert!(!item.contains_key("record_z"));
        assert_eq!(get_json(&item, "record").unwrap(), r#"{"a":1}"#);
    }

    #[test]
    fn large_json_is_compressed_and_reads_back() {
        let text = json!({"input": "abc".repeat(200_000), "n": 1}).to_string();
        assert!(text.len() > PLAIN_MAX);
        let mut item = Item::new();
        put_json(&mut item, "record", text.clone());
        assert!(!item.contains_key("record"));
        let AttributeValue::B(blob) = &item["record_z"] else {
            panic!("{item:?}")
        };
        assert!(blob.as_ref().len() < text.len() / 10);
        assert_eq!(get_json(&item, "record").unwrap(), text);
    }

    /// Text of 64 symbols from a fixed generator: it compresses to about 3/4, as base64
    /// payloads do.
    fn dense(bytes: usize) -> String {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        (0..bytes)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(alphabet[(state % 64) as usize])
            })
            .collect()
    }

    #[test]
    fn json_is_compressed_when_that_saves_a_write_unit() {
        // A Lambda task's history: AWS's metadata around a small payload, 1.5 KB.
        let event = json!({"type": "TaskSucceeded", "taskSucceededEventDetails": {
            "output": "{\"ExecutedVersion\":\"$LATEST\",\"Payload\":{\"n\":5},\"SdkHttpMetadata\":{\"AllHttpHeaders\":{\"Content-Length\":[\"16\"],\"Content-Type\":[\"application/json\"]},\"HttpStatusCode\":200},\"StatusCode\":200}",
            "outputDetails": {"truncated": false}, "resourceType": "lambda", "resource": "invoke"}});
        let text = serde_json::to_string(&vec![event; 4]).unwrap();
        assert!(text.len() > 1024, "{}", text.len());
        let mut item = Item::new();
        put_json(&mut item, "events", text.clone());
        assert!(!item.contains_key("events"));
        assert!(
            item_size(&item) + LATER_ATTRIBUTES <= WRITE_UNIT_BYTES,
            "{}",
            item_size(&item)
        );
        assert_eq!(get_json(&item, "events").unwrap(), text);

        // Dense text of 1.2 KB compresses, but not into fewer units: it stays readable.
        let text = dense(1200);
        let mut item = Item::new();
        put_json(&mut item, "record", text.clone());
        assert_eq!(item["record"], AttributeValue::S(text));
    }

    #[test]
    fn a_frame_and_its_events_are_compressed_together_when_that_saves_a_unit() {
        let record = json!({"id": "0", "version": 3, "input": {"n": 5},
            "outbox": [{"execution": "arn:aws:states:us-east-1:000000000000:execution:sm:e"}]})
        .to_string();
        let event = json!({"type": "TaskSucceeded", "resource": "invoke",
            "output": "{\"Payload\":{\"n\":5},\"StatusCode\":200}",
            "execution": "arn:aws:states:us-east-1:000000000000:execution:sm:e"});
        let events = serde_json::to_string(&vec![event; 8]).unwrap();
        assert!(record.len() + events.len() > WRITE_UNIT_BYTES);
        let mut item = Item::new();
        put_pair(
            &mut item,
            ("record", record.clone()),
            ("events", events.clone()),
        );
        assert!(!item.contains_key("record") && !item.contains_key("events"));
        assert!(item_size(&item) + LATER_ATTRIBUTES <= WRITE_UNIT_BYTES);
        let pair: (Value, Value) =
            serde_json::from_str(&get_pair(&item).unwrap().unwrap()).unwrap();
        assert_eq!(pair.0.to_string(), record);
        assert_eq!(pair.1.to_string(), events);

        // Small enough as they are: two readable strings.
        let mut item = Item::new();
        put_pair(
            &mut item,
            ("record", "{}".to_owned()),
            ("events", "[]".to_owned()),
        );
        assert_eq!(item["record"], AttributeValue::S("{}".to_owned()));
        assert_eq!(item["events"], AttributeValue::S("[]".to_owned()));
        assert!(get_pair(&item).is_none());

        // Dense text that compression cannot bring under a unit fewer stays plain.
        let mut item = Item::new();
        put_pair(
            &mut item,
            ("record", format!("\"{}\"", dense(1400))),
            ("events", "[]".to_owned()),
        );
        assert!(item.contains_key("record") && get_pair(&item).is_none());
    }

    #[test]
    fn json_over_the_plain_limit_is_always_compressed() {
        let over = dense(PLAIN_MAX + 1);
        let mut item = Item::new();
        put_json(&mut item, "events", over.clone());
        assert!(item.contains_key("events_z"));
        assert_eq!(get_json(&item, "events").unwrap(), over);
    }

    #[test]
    fn unreadable_attributes_are_errors_not_panics() {
        let mut item = Item::new();
        assert_eq!(get_json(&item, "record"), Err(ReadError::Missing));
        item.insert("record_z".to_owned(), AttributeValue::S("x".to_owned()));
        assert_eq!(get_json(&item, "record"), Err(ReadError::NotBinary));
        item.insert(
            "record_z".to_owned(),
            AttributeValue::B(Blob::new(b"not zlib".to_vec())),
        );
        assert!(matches!(
            get_json(&item, "record"),
            Err(ReadError::Inflate(_))
        ));
        item.insert("record".to_owned(), AttributeValue::N("1".to_owned()));
        assert_eq!(get_json(&item, "record"), Err(ReadError::NotAString));
    }

    #[test]
    fn inflating_is_bounded() {
        // 65 MiB of zeros compress to about 64 KiB: a "zip bomb" for the reader.
        let bomb = compress(&vec![b'0'; (INFLATED_MAX + 1024 * 1024) as usize]);
        assert!(bomb.len() < 1024 * 1024);
        let mut item = Item::new();
        item.insert("record_z".to_owned(), AttributeValue::B(Blob::new(bomb)));
        assert!(matches!(
            get_json(&item, "record"),
            Err(ReadError::Inflate(_))
        ));
    }

    fn events(count: usize, pad: usize) -> Vec<Value> {
        (0..count)
            .map(|n| json!({"type": "PassStateEntered", "n": n, "pad": "p".repeat(pad)}))
            .collect()
    }

    fn joined(parts: &[String]) -> Vec<Value> {
        parts
            .iter()
            .flat_map(|p| serde_json::from_str::<Vec<Value>>(p).unwrap())
            .collect()
    }

    #[test]
    fn events_that_fit_are_one_part_as_before() {
        let events = events(10, 100);
        let parts = split_events(&events, PLAIN_MAX);
        assert_eq!(parts, [serde_json::to_string(&events).unwrap()]);
        assert_eq!(split_events(&[], PLAIN_MAX), ["[]"]);
    }

    #[test]
    fn many_events_split_in_order_within_the_budget() {
        let events = events(1000, 1024);
        let whole = serde_json::to_string(&events).unwrap().len();
        let parts = split_events(&events, PLAIN_MAX);
        assert_eq!(parts.len(), whole.div_ceil(PLAIN_MAX));
        assert!(
            parts.iter().all(|p| p.len() <= PLAIN_MAX),
            "{:?}",
            parts.iter().map(String::len).collect::<Vec<_>>()
        );
        assert_eq!(joined(&parts), events);
    }

    #[test]
    fn an_oversize_event_goes_alone() {
        let mut events = events(3, 10);
        events.insert(1, json!({"type": "Big", "pad": "b".repeat(500)}));
        let parts = split_events(&events, 300);
        assert_eq!(parts.len(), 3, "{parts:?}");
        assert!(parts[1].contains("Big") && !parts[1].contains("\"n\""));
        assert_eq!(joined(&parts), events);
        // The budget is exact: a part of exactly `budget` bytes is allowed.
        let one = serde_json::to_string(&events[0]).unwrap().len();
        let parts = split_events(&events[..1], one + 2);
        assert_eq!(parts.len(), 1);
    }

    #[test]
    fn item_sizes_follow_dynamodb_rules() {
        let mut item = Item::new();
        item.insert("pk".to_owned(), AttributeValue::S("EX#a".to_owned()));
        item.insert("b_z".to_owned(), AttributeValue::B(Blob::new(vec![0; 10])));
        item.insert("n".to_owned(), AttributeValue::N("12".to_owned()));
        item.insert("c".to_owned(), AttributeValue::Bool(true));
        assert_eq!(item_size(&item), (2 + 4) + (3 + 10) + (1 + 3) + (1 + 1));
    }
}
