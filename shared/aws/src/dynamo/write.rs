//! A commit as DynamoDB writes: which items, under which conditions.
//!
//! Kept apart from the client calls so the shape of every transaction is unit-tested
//! without a server.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use stepwise_core::interp::Outcome;
use stepwise_engine::store::{self, Commit, Redrive};
use stepwise_engine::{ExecutionRecord, ExecutionStatus, HistoryItem};

use super::errors::from_build;
use super::items::{self, Item};
use super::keys;
use super::large;

/// One conditional write, independent of whether it goes out alone or in a transaction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Write {
    Put(PutWrite),
    Update {
        key: Item,
        expression: String,
        /// Over the same `names` and `values` as the update.
        condition: Option<&'static str>,
        names: HashMap<String, String>,
        values: HashMap<String, AttributeValue>,
    },
    /// A condition on an item the transaction does not write.
    Check {
        key: Item,
        condition: Condition,
    },
}

/// A put, which may also go out alone as a `PutItem`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PutWrite {
    pub(crate) item: Item,
    pub(crate) condition: Option<Condition>,
}

impl PutWrite {
    pub(crate) fn new(item: Item, condition: Option<Condition>) -> Self {
        Self { item, condition }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    pub(crate) expression: &'static str,
    pub(crate) names: HashMap<String, String>,
    pub(crate) values: HashMap<String, AttributeValue>,
}

impl Condition {
    /// The item must not exist yet.
    pub(crate) fn absent() -> Self {
        Self {
            expression: "attribute_not_exists(#pk)",
            names: HashMap::from([("#pk".to_owned(), keys::PK.to_owned())]),
            values: HashMap::new(),
        }
    }

    /// The item exists.
    pub(crate) fn present() -> Self {
        Self {
            expression: "attribute_exists(#pk)",
            names: HashMap::from([("#pk".to_owned(), keys::PK.to_owned())]),
            values: HashMap::new(),
        }
    }

    /// The execution header says it is still running (`status` is a reserved word).
    pub(crate) fn running() -> Self {
        Self {
            expression: "#status = :running",
            names: HashMap::from([("#status".to_owned(), items::STATUS.to_owned())]),
            values: HashMap::from([(
                ":running".to_owned(),
                items::s(ExecutionStatus::Running.as_str()),
            )]),
        }
    }

    /// The header ended unsuccessfully after `redrives` redrives (a header written before
    /// redrive existed has no count: none).
    pub(crate) fn redrivable(redrives: u32) -> Self {
        let expression = match redrives {
            0 => "#status IN (:failed, :timed_out, :aborted) AND (attribute_not_exists(#redrives) OR #redrives = :redrives)",
            _ => "#status IN (:failed, :timed_out, :aborted) AND #redrives = :redrives",
        };
        let status = |s: ExecutionStatus| items::s(s.as_str());
        Self {
            expression,
            names: HashMap::from([
                ("#status".to_owned(), items::STATUS.to_owned()),
                ("#redrives".to_owned(), items::REDRIVES.to_owned()),
            ]),
            values: HashMap::from([
                (":failed".to_owned(), status(ExecutionStatus::Failed)),
                (":timed_out".to_owned(), status(ExecutionStatus::TimedOut)),
                (":aborted".to_owned(), status(ExecutionStatus::Aborted)),
                (":redrives".to_owned(), items::n(redrives)),
            ]),
        }
    }
}

/// How the commit's frame write is guarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameGuard {
    /// The new version's log item must not exist: every commit after the first. Versions
    /// are dense and the committer read the one before as the latest, so this is the
    /// lock (of two commits over the same version, one writes the item first).
    Next,
    /// The root's first version, written with the header that guards it.
    Creation,
}

/// The writes of one commit, in this order: the frame's new version with its events
/// (then the events' further parts, when large), child result, join update(s),
/// execution header.
pub(crate) fn commit_writes(commit: &Commit, guard: FrameGuard) -> Vec<Write> {
    let execution = commit.execution.as_str();
    let frame_condition = match guard {
        FrameGuard::Next => Some(Condition::absent()),
        FrameGuard::Creation => None,
    };
    let record = &commit.frame;
    // The engine's events are always the new version's own; others keep their own keys.
    let (own, other) = match &commit.history {
        Some(h) if h.frame == record.id && h.version == record.version => (Some(h), None),
        history => (None, history.as_ref()),
    };
    let mut log = match own {
        Some(history) => items::log_items(execution, record, &history.events),
        None => vec![items::frame_item(execution, record)],
    }
    .into_iter();
    let mut writes = Vec::new();
    if let Some(first) = log.next() {
        writes.push(Write::Put(PutWrite::new(first, frame_condition)));
    }
    // The further parts need no condition: the first item's holds for the transaction.
    writes.extend(log.map(|item| Write::Put(PutWrite::new(item, None))));
    if let Some(history) = other {
        writes.extend(history_writes(execution, history));
    }
    // A transaction may touch an item once, so a join's counter bump and its closing
    // are merged when a commit does both to the same join. Keyed by sort key.
    let mut joins: BTreeMap<String, JoinUpdate> = BTreeMap::new();
    if let Some(outcome) = &commit.child_result {
        writes.push(Write::Put(PutWrite::new(
            items::result_item(execution, &outcome.join, &outcome.result),
            None,
        )));
        let update = joins.entry(keys::join_sk(&outcome.join)).or_default();
        match outcome.result.outcome {
            Outcome::Succeeded(_) => update.succeeded = true,
            Outcome::Failed(_) => update.failed_items = Some(outcome.items),
        }
    }
    if let Some(join) = &commit.close_join {
        joins.entry(keys::join_sk(join)).or_default().close = true;
    }
    for (sk, update) in joins {
        writes.push(update.write(items::key(keys::execution_pk(execution), sk)));
    }
    if let Some(finish) = &commit.finish {
        writes.push(finish_write(finish));
    }
    writes
}

/// History items without a frame version (an execution's end). Unconditional: they are
/// written once, by the transaction whose header condition holds.
pub(crate) fn history_writes(execution: &str, history: &HistoryItem) -> Vec<Write> {
    items::history_items(execution, history)
        .into_iter()
        .map(|item| Write::Put(PutWrite::new(item, None)))
        .collect()
}

/// Refuses, as `TooLarge`, a transaction over DynamoDB's limits (100 items, 4 MB): it
/// answers those with a validation error that no retry would fix. Oversize single items
/// are left for DynamoDB to judge: it alone knows its exact accounting.
pub(crate) fn check_transaction(writes: &[Write]) -> store::Result<()> {
    if writes.len() > large::TRANSACTION_ITEMS_MAX {
        return Err(store::Error::TooLarge(format!(
            "a transaction of {} items (DynamoDB takes {})",
            writes.len(),
            large::TRANSACTION_ITEMS_MAX
        )));
    }
    let bytes: usize = writes.iter().map(Write::size).sum();
    if bytes > large::TRANSACTION_BYTES_MAX {
        return Err(store::Error::TooLarge(format!(
            "a transaction of {bytes} bytes in {} items (DynamoDB takes {})",
            writes.len(),
            large::TRANSACTION_BYTES_MAX
        )));
    }
    Ok(())
}

/// A redrive's writes: the root frame's commit and the header running again, only if it
/// is still the ended header the redrive read.
pub(crate) fn redrive_writes(redrive: &Redrive) -> Vec<Write> {
    let root = &redrive.root;
    let mut writes = commit_writes(root, FrameGuard::Next);
    let before = redrive.execution.info.redrive_count.saturating_sub(1);
    writes.push(Write::Put(PutWrite::new(
        items::execution_item(&redrive.execution),
        Some(Condition::redrivable(before)),
    )));
    writes
}

/// Ends the execution: the header's new content, only while it is running.
pub(crate) fn finish_write(record: &ExecutionRecord) -> Write {
    Write::Put(PutWrite::new(
        items::execution_item(record),
        Some(Condition::running()),
    ))
}

/// What one commit does to one join. No condition: a join that was never opened gets
/// counters but no `record`, and reads back as absent, as in the in-memory store.
#[derive(Debug, Default)]
struct JoinUpdate {
    succeeded: bool,
    /// A failed child, carrying this many items.
    failed_items: Option<u64>,
    close: bool,
}

impl JoinUpdate {
    fn write(self, key: Item) -> Write {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut add = Vec::new();
        if self.succeeded {
            add.push("#succeeded :one");
            names.insert("#succeeded".to_owned(), items::SUCCEEDED.to_owned());
            values.insert(":one".to_owned(), items::n(1));
        }
        if let Some(failed_items) = self.failed_items {
            add.push("#failed :one, #failed_items :items");
            names.insert("#failed".to_owned(), items::FAILED.to_owned());
            names.insert("#failed_items".to_owned(), items::FAILED_ITEMS.to_owned());
            values.insert(":one".to_owned(), items::n(1));
            values.insert(":items".to_owned(), items::n(failed_items));
        }
        let mut expression = String::new();
        if !add.is_empty() {
            expression = format!("ADD {}", add.join(", "));
        }
        if self.close {
            if !expression.is_empty() {
                expression.push(' ');
            }
            expression.push_str("SET #closed = :true");
            names.insert("#closed".to_owned(), items::CLOSED.to_owned());
            values.insert(":true".to_owned(), AttributeValue::Bool(true));
        }
        Write::Update {
            key,
            expression,
            condition: None,
            names,
            values,
        }
    }
}

/// DynamoDB rejects empty expression maps: absent instead.
pub(crate) fn non_empty<K, V>(map: HashMap<K, V>) -> Option<HashMap<K, V>> {
    (!map.is_empty()).then_some(map)
}

impl Write {
    /// About what DynamoDB counts of this write towards a transaction's 4 MB.
    fn size(&self) -> usize {
        match self {
            Write::Put(put) => large::item_size(&put.item),
            Write::Update { key, values, .. } => large::item_size(key) + large::item_size(values),
            Write::Check { key, .. } => large::item_size(key),
        }
    }

    pub(crate) fn to_transact(&self, table: &str) -> store::Result<TransactWriteItem> {
        let item = match self.clone() {
            Write::Put(PutWrite { item, condition }) => {
                let mut put = Put::builder().table_name(table).set_item(Some(item));
                if let Some(condition) = condition {
                    put = put
                        .condition_expression(condition.expression)
                        .set_expression_attribute_names(non_empty(condition.names))
                        .set_expression_attribute_values(non_empty(condition.values));
                }
                TransactWriteItem::builder()
                    .put(put.build().map_err(from_build)?)
                    .build()
            }
            Write::Update {
                key,
                expression,
                condition,
                names,
                values,
            } => {
                let update = Update::builder()
                    .table_name(table)
                    .set_key(Some(key))
                    .update_expression(expression)
                    .set_condition_expression(condition.map(str::to_owned))
                    .set_expression_attribute_names(non_empty(names))
                    .set_expression_attribute_values(non_empty(values))
                    .build()
                    .map_err(from_build)?;
                TransactWriteItem::builder().update(update).build()
            }
            Write::Check { key, condition } => {
                let check = ConditionCheck::builder()
                    .table_name(table)
                    .set_key(Some(key))
                    .condition_expression(condition.expression)
                    .set_expression_attribute_names(non_empty(condition.names))
                    .set_expression_attribute_values(non_empty(condition.values))
                    .build()
                    .map_err(from_build)?;
                TransactWriteItem::builder().condition_check(check).build()
            }
        };
        Ok(item)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use stepwise_engine::store::ChildOutcome;
    use stepwise_engine::{ChildResult, FrameId, JoinKey};

    use super::*;
    use crate::dynamo::testing::{execution, frame};

    fn commit() -> Commit {
        Commit {
            execution: "arn:x".to_owned(),
            frame: frame(FrameId::child(&FrameId::root(), 1, 2), 5),
            expected_version: 4,
            history: None,
            child_result: None,
            finish: None,
            close_join: None,
        }
    }

    fn sk(write: &Write) -> String {
        let item = match write {
            Write::Put(put) => &put.item,
            Write::Update { key, .. } | Write::Check { key, .. } => key,
        };
        items::describe(item)
    }

    fn result(index: u32, outcome: serde_json::Value) -> ChildResult {
        serde_json::from_value(json!({"index": index, "outcome": outcome})).unwrap()
    }

    #[test]
    fn a_plain_commit_is_one_put_of_a_new_version() {
        let mut plain = commit();
        plain.history = Some(HistoryItem {
            frame: plain.frame.id.clone(),
            version: 5,
            events: vec![json!({"type": "PassStateExited"})],
        });
        for commit in [commit(), plain] {
            let writes = commit_writes(&commit, FrameGuard::Next);
            assert_eq!(writes.len(), 1);
            let Write::Put(PutWrite { item, condition }) = &writes[0] else {
                panic!("{writes:?}")
            };
            assert_eq!(
                items::describe(item),
                "EX#arn:x/F#0/1/2#00000000000000000005"
            );
            assert_eq!(item[items::VERSION], items::n(5));
            assert_eq!(
                items::history(item).unwrap().map(|h| h.events),
                commit.history.map(|h| h.events)
            );
            let condition = condition.clone().unwrap();
            assert_eq!(condition.expression, "attribute_not_exists(#pk)");
        }
    }

    #[test]
    fn events_of_another_frame_or_version_keep_their_own_key() {
        let mut odd = commit();
        odd.history = Some(HistoryItem {
            frame: FrameId::root(),
            version: 9,
            events: vec![json!({"type": "PassStateExited"})],
        });
        let keys: Vec<String> = commit_writes(&odd, FrameGuard::Next)
            .iter()
            .map(sk)
            .collect();
        assert_eq!(
            keys,
            [
                "EX#arn:x/F#0/1/2#00000000000000000005",
                "EX#arn:x/F#0#00000000000000000009",
            ]
        );
    }

    #[test]
    fn a_child_result_bumps_its_join() {
        let join = JoinKey {
            parent: FrameId::root(),
            version: 1,
        };
        let mut failed = commit();
        failed.history = Some(HistoryItem {
            frame: failed.frame.id.clone(),
            version: 5,
            events: vec![json!({"type": "PassStateExited"})],
        });
        failed.child_result = Some(ChildOutcome {
            join: join.clone(),
            result: result(2, json!({"Failed": {"error": "E", "cause": "C"}})),
            items: 3,
        });
        let writes = commit_writes(&failed, FrameGuard::Next);
        let keys: Vec<String> = writes.iter().map(sk).collect();
        assert_eq!(
            keys,
            [
                "EX#arn:x/F#0/1/2#00000000000000000005",
                "EX#arn:x/R#0#1#0000000002",
                "EX#arn:x/J#0#1",
            ]
        );
        let Write::Update {
            expression, values, ..
        } = &writes[2]
        else {
            panic!("{writes:?}")
        };
        assert_eq!(expression, "ADD #failed :one, #failed_items :items");
        assert_eq!(values[":items"], items::n(3));

        let mut succeeded = commit();
        succeeded.child_result = Some(ChildOutcome {
            join,
            result: result(2, json!({"Succeeded": {"a": 1}})),
            items: 1,
        });
        let writes = commit_writes(&succeeded, FrameGuard::Next);
        let Write::Update { expression, .. } = &writes[2] else {
            panic!("{writes:?}")
        };
        assert_eq!(expression, "ADD #succeeded :one");
    }

    #[test]
    fn one_join_is_updated_once_per_transaction() {
        let join = JoinKey {
            parent: FrameId::root(),
            version: 1,
        };
        let mut both = commit();
        both.child_result = Some(ChildOutcome {
            join: join.clone(),
            result: result(0, json!({"Succeeded": null})),
            items: 1,
        });
        both.close_join = Some(join);
        let writes = commit_writes(&both, FrameGuard::Next);
        let updates: Vec<&Write> = writes
            .iter()
            .filter(|w| matches!(w, Write::Update { .. }))
            .collect();
        assert_eq!(updates.len(), 1);
        let Write::Update { expression, .. } = updates[0] else {
            unreachable!()
        };
        assert_eq!(expression, "ADD #succeeded :one SET #closed = :true");
    }

    #[test]
    fn closing_and_finishing_are_guarded() {
        let mut ending = commit();
        ending.close_join = Some(JoinKey {
            parent: ending.frame.id.clone(),
            version: 4,
        });
        ending.finish = Some(execution("arn:x", ExecutionStatus::Failed));
        let writes = commit_writes(&ending, FrameGuard::Next);
        assert_eq!(writes.len(), 3);
        let Write::Update { expression, .. } = &writes[1] else {
            panic!("{writes:?}")
        };
        assert_eq!(expression, "SET #closed = :true");
        let Write::Put(PutWrite { item, condition }) = &writes[2] else {
            panic!("{writes:?}")
        };
        assert_eq!(items::describe(item), "EX#arn:x/META");
        assert_eq!(item[items::STATUS], items::s("FAILED"));
        assert_eq!(condition.clone().unwrap().expression, "#status = :running");
    }

    #[test]
    fn a_large_history_is_several_puts_in_the_commit() {
        let mut large = commit();
        large.history = Some(HistoryItem {
            frame: large.frame.id.clone(),
            version: 5,
            events: (0..1000)
                .map(|n| json!({"type": "PassStateEntered", "n": n, "pad": "p".repeat(1024)}))
                .collect(),
        });
        let writes = commit_writes(&large, FrameGuard::Next);
        let keys: Vec<String> = writes.iter().map(sk).collect();
        assert_eq!(
            keys[..3],
            [
                "EX#arn:x/F#0/1/2#00000000000000000005",
                "EX#arn:x/F#0/1/2#00000000000000000005#0001",
                "EX#arn:x/F#0/1/2#00000000000000000005#0002",
            ]
        );
        let Write::Put(PutWrite { condition, .. }) = &writes[0] else {
            panic!("{writes:?}")
        };
        assert!(condition.is_some(), "the first item is the lock");
        assert!(writes[1..].iter().all(|w| matches!(
            w,
            Write::Put(PutWrite {
                condition: None,
                ..
            })
        )));
        assert!(check_transaction(&writes).is_ok());
    }

    #[test]
    fn transactions_over_dynamodb_limits_are_too_large() {
        let put = |bytes: usize| {
            let mut item = items::key("EX#arn:x".to_owned(), "F#0#1".to_owned());
            item.insert("events".to_owned(), items::s("e".repeat(bytes)));
            Write::Put(PutWrite::new(item, None))
        };
        let hundred: Vec<Write> = (0..100).map(|_| put(10)).collect();
        assert!(check_transaction(&hundred).is_ok());
        let more: Vec<Write> = (0..101).map(|_| put(10)).collect();
        assert!(matches!(
            check_transaction(&more),
            Err(store::Error::TooLarge(_))
        ));
        let heavy: Vec<Write> = (0..12).map(|_| put(350 * 1024)).collect();
        assert!(matches!(
            check_transaction(&heavy),
            Err(store::Error::TooLarge(_))
        ));
    }

    #[test]
    fn the_first_root_commit_has_no_frame_condition() {
        let writes = commit_writes(&commit(), FrameGuard::Creation);
        assert!(matches!(
            &writes[0],
            Write::Put(PutWrite {
                condition: None,
                ..
            })
        ));
        assert!(writes[0].to_transact("t").is_ok());
    }

    #[test]
    fn a_redrive_is_guarded_by_the_ended_header_and_the_frame_version() {
        let redrive = Redrive {
            execution: {
                let mut header = execution("arn:x", ExecutionStatus::Running);
                header.info.redrive_count = 2;
                header
            },
            root: commit(),
        };
        let writes = redrive_writes(&redrive);
        let Write::Put(PutWrite { condition, .. }) = &writes[0] else {
            panic!("the frame first: {writes:?}");
        };
        assert_eq!(
            condition.clone().unwrap().expression,
            "attribute_not_exists(#pk)"
        );
        let Some(Write::Put(PutWrite { item, condition })) = writes.last() else {
            panic!("the header last: {writes:?}");
        };
        let condition = condition.clone().unwrap();
        assert_eq!(
            condition.expression,
            "#status IN (:failed, :timed_out, :aborted) AND #redrives = :redrives"
        );
        assert_eq!(condition.values[":redrives"], items::n(1));
        assert_eq!(item[items::REDRIVES], items::n(2));
        assert!(Condition::redrivable(0)
            .expression
            .contains("attribute_not_exists(#redrives)"));
    }
}
