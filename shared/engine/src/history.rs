//! Reassembling an execution's history from its commits.
//!
//! Each commit stores its own events. Frames run concurrently, so their event ids are
//! only locally ordered: a child's ids continue from its parent's at the fan-out, and the
//! join continues after the highest child's. Reading back orders the events by time,
//! then by those ids, and numbers them 1, 2, 3… as `GetExecutionHistory` does.

use serde_json::Value;

use crate::records::HistoryItem;

pub(crate) fn assemble(items: Vec<HistoryItem>) -> Vec<Value> {
    let mut events: Vec<Value> = items.into_iter().flat_map(|item| item.events).collect();
    // ISO-8601 timestamps in one format sort as strings.
    events.sort_by(|a, b| (timestamp(a), local_id(a)).cmp(&(timestamp(b), local_id(b))));
    for (i, event) in events.iter_mut().enumerate() {
        if let Some(object) = event.as_object_mut() {
            let id = i as u64 + 1;
            object.insert("id".into(), id.into());
            object.insert("previousEventId".into(), (id - 1).into());
        }
    }
    events
}

fn timestamp(event: &Value) -> &str {
    event["timestamp"].as_str().unwrap_or_default()
}

fn local_id(event: &Value) -> u64 {
    event["id"].as_u64().unwrap_or_default()
}
