//! What one request is billed, from its typed input and output, as AWS bills it:
//! DynamoDB on-demand units from item sizes, SQS requests in 64 KB chunks.
//!
//! Computed on the client from the items the request carries, so the figures hold on any
//! emulator (which may not report `ConsumedCapacity`). Where the client cannot know the
//! billed size (an `UpdateItem` is billed on the larger of the item before and after), the
//! figure is a lower bound and says so.

use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput;
use aws_sdk_dynamodb::operation::delete_item::{DeleteItemError, DeleteItemInput};
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemInput};
use aws_sdk_dynamodb::operation::query::{QueryInput, QueryOutput};
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsError, TransactWriteItemsInput,
};
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemInput};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::operation::send_message::SendMessageInput;
use aws_sdk_sqs::operation::send_message_batch::SendMessageBatchInput;
use aws_sdk_sqs::types::MessageAttributeValue;
use aws_smithy_runtime_api::client::interceptors::context::{Error, Input, Output};
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use std::collections::HashMap;

use crate::dynamo::large::item_size;

/// DynamoDB bills a write unit per started KB of the item.
const WRITE_UNIT_BYTES: usize = 1024;
/// … and a strongly consistent read unit per started 4 KB (half a unit when eventual).
const READ_UNIT_BYTES: usize = 4 * 1024;
/// SQS bills a request per started 64 KB chunk of its payload.
const SQS_CHUNK_BYTES: usize = 64 * 1024;

/// What a request costs before its answer is known: write units and SQS chunks come from
/// the input alone (a write refused by its condition is billed too).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Sent {
    pub(crate) write_units: u64,
    pub(crate) sqs_chunks: u64,
    /// The write carries a condition (one conditional write, however many items).
    pub(crate) conditional: bool,
    /// What the read's answer is billed on, noted until the answer comes.
    pub(crate) read: Option<ReadShape>,
}

/// How a read is billed once its items are known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ReadShape {
    pub(crate) consistent: bool,
    /// Keys asked for, each billed at least one unit (a `GetItem` of a missing item is).
    pub(crate) keys: u64,
    /// Units are summed over the items together (`Query`) rather than per item.
    pub(crate) summed: bool,
}

impl Storable for ReadShape {
    type Storer = StoreReplace<Self>;
}

fn units(bytes: usize, unit: usize) -> u64 {
    bytes.div_ceil(unit).max(1) as u64
}

fn write_units(item: &HashMap<String, AttributeValue>) -> u64 {
    units(item_size(item), WRITE_UNIT_BYTES)
}

/// A lower bound for an update: its key and the values it sets.
fn update_units(
    key: Option<&HashMap<String, AttributeValue>>,
    values: Option<&HashMap<String, AttributeValue>>,
) -> u64 {
    let bytes = key.map_or(0, item_size) + values.map_or(0, item_size);
    units(bytes, WRITE_UNIT_BYTES)
}

fn attributes_size(attributes: Option<&HashMap<String, MessageAttributeValue>>) -> usize {
    attributes.map_or(0, |attributes| {
        attributes
            .iter()
            .map(|(name, value)| {
                name.len()
                    + value.data_type().len()
                    + value.string_value().map_or(0, str::len)
                    + value.binary_value().map_or(0, |b| b.as_ref().len())
            })
            .sum()
    })
}

/// Billing of a request from its input.
pub(crate) fn sent(input: &Input) -> Sent {
    let mut sent = Sent::default();
    if let Some(put) = input.downcast_ref::<PutItemInput>() {
        sent.write_units = put.item().map_or(1, write_units);
        sent.conditional = put.condition_expression().is_some();
    } else if let Some(update) = input.downcast_ref::<UpdateItemInput>() {
        sent.write_units = update_units(update.key(), update.expression_attribute_values());
        sent.conditional = update.condition_expression().is_some();
    } else if let Some(delete) = input.downcast_ref::<DeleteItemInput>() {
        sent.write_units = 1;
        sent.conditional = delete.condition_expression().is_some();
    } else if let Some(transaction) = input.downcast_ref::<TransactWriteItemsInput>() {
        // Every item of a transaction is billed twice: prepare and commit.
        for item in transaction.transact_items() {
            let (units, condition) = if let Some(put) = item.put() {
                (write_units(put.item()), put.condition_expression())
            } else if let Some(update) = item.update() {
                (
                    update_units(Some(update.key()), update.expression_attribute_values()),
                    update.condition_expression(),
                )
            } else if let Some(check) = item.condition_check() {
                (write_units(check.key()), Some(check.condition_expression()))
            } else if let Some(delete) = item.delete() {
                (write_units(delete.key()), delete.condition_expression())
            } else {
                (1, None)
            };
            sent.write_units += 2 * units;
            sent.conditional |= condition.is_some();
        }
    } else if let Some(batch) = input.downcast_ref::<BatchWriteItemInput>() {
        for requests in batch.request_items().into_iter().flat_map(|m| m.values()) {
            for request in requests {
                sent.write_units += match request.put_request() {
                    Some(put) => write_units(put.item()),
                    None => 1,
                };
            }
        }
    } else if let Some(get) = input.downcast_ref::<GetItemInput>() {
        sent.read = Some(ReadShape {
            consistent: get.consistent_read() == Some(true),
            keys: 1,
            summed: false,
        });
    } else if let Some(batch) = input.downcast_ref::<BatchGetItemInput>() {
        let tables = batch.request_items().into_iter().flat_map(|m| m.values());
        let mut keys = 0;
        let mut consistent = true;
        for table in tables {
            keys += table.keys().len() as u64;
            consistent &= table.consistent_read() == Some(true);
        }
        sent.read = Some(ReadShape {
            consistent,
            keys,
            summed: false,
        });
    } else if let Some(query) = input.downcast_ref::<QueryInput>() {
        sent.read = Some(ReadShape {
            consistent: query.consistent_read() == Some(true),
            keys: 1,
            summed: true,
        });
    } else if let Some(batch) = input.downcast_ref::<SendMessageBatchInput>() {
        let bytes: usize = batch
            .entries()
            .iter()
            .map(|e| e.message_body().len() + attributes_size(e.message_attributes()))
            .sum();
        sent.sqs_chunks = units(bytes, SQS_CHUNK_BYTES);
    } else if let Some(send) = input.downcast_ref::<SendMessageInput>() {
        let bytes =
            send.message_body().map_or(0, str::len) + attributes_size(send.message_attributes());
        sent.sqs_chunks = units(bytes, SQS_CHUNK_BYTES);
    }
    sent
}

/// Read units of a read's answer, in half units (an eventually consistent read of 4 KB
/// is half a unit).
pub(crate) fn read_half_units(shape: ReadShape, output: &Output) -> u64 {
    let items: Vec<&HashMap<String, AttributeValue>> =
        if let Some(get) = output.downcast_ref::<GetItemOutput>() {
            get.item().into_iter().collect()
        } else if let Some(batch) = output.downcast_ref::<BatchGetItemOutput>() {
            batch
                .responses()
                .into_iter()
                .flat_map(|r| r.values())
                .flatten()
                .collect()
        } else if let Some(query) = output.downcast_ref::<QueryOutput>() {
            query.items().iter().collect()
        } else {
            Vec::new()
        };
    let full = if shape.summed {
        units(items.iter().map(|i| item_size(i)).sum(), READ_UNIT_BYTES)
    } else {
        let found: u64 = items
            .iter()
            .map(|i| units(item_size(i), READ_UNIT_BYTES))
            .sum();
        // Keys that found nothing still cost the minimum each.
        found + shape.keys.saturating_sub(items.len() as u64)
    };
    match shape.consistent {
        true => 2 * full,
        false => full,
    }
}

/// How a write's error answers its condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A condition did not hold (`ConditionalCheckFailed`, or a transaction cancelled
    /// with that reason).
    Condition,
    /// A transaction cancelled because another transaction held one of its items.
    Contention,
}

pub(crate) fn refusal(error: &Error) -> Option<Refusal> {
    if let Some(e) = error.downcast_ref::<PutItemError>() {
        return e
            .is_conditional_check_failed_exception()
            .then_some(Refusal::Condition);
    }
    if let Some(e) = error.downcast_ref::<UpdateItemError>() {
        return e
            .is_conditional_check_failed_exception()
            .then_some(Refusal::Condition);
    }
    if let Some(e) = error.downcast_ref::<DeleteItemError>() {
        return e
            .is_conditional_check_failed_exception()
            .then_some(Refusal::Condition);
    }
    if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
        error.downcast_ref::<TransactWriteItemsError>()
    {
        let codes: Vec<&str> = cancelled
            .cancellation_reasons()
            .iter()
            .filter_map(|r| r.code())
            .collect();
        if codes.contains(&"ConditionalCheckFailed") {
            return Some(Refusal::Condition);
        }
        if codes.contains(&"TransactionConflict") {
            return Some(Refusal::Contention);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

    use super::*;

    fn item(bytes: usize) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_owned(), AttributeValue::S("k".to_owned())),
            ("record".to_owned(), AttributeValue::S("x".repeat(bytes))),
        ])
    }

    #[test]
    fn a_put_is_a_unit_per_started_kilobyte() {
        let put = |bytes| {
            let input = PutItemInput::builder()
                .table_name("t")
                .set_item(Some(item(bytes)))
                .build()
                .unwrap();
            sent(&Input::erase(input))
        };
        // "pk" + "k" + "record" = 9 bytes of names and key.
        assert_eq!(put(1024 - 9).write_units, 1);
        assert_eq!(put(1024 - 8).write_units, 2);
        assert!(!put(1).conditional);
    }

    #[test]
    fn a_transaction_bills_each_item_twice() {
        let put = |bytes, condition: Option<&str>| {
            let put = Put::builder()
                .table_name("t")
                .set_item(Some(item(bytes)))
                .set_condition_expression(condition.map(str::to_owned))
                .build()
                .unwrap();
            TransactWriteItem::builder().put(put).build()
        };
        let input = TransactWriteItemsInput::builder()
            .transact_items(put(100, Some("#v = :v")))
            .transact_items(put(1500, None))
            .build()
            .unwrap();
        let sent = sent(&Input::erase(input));
        // Twice one unit, twice two units.
        assert_eq!(sent.write_units, 2 + 4);
        assert!(sent.conditional);
    }

    #[test]
    fn consistent_reads_bill_each_item_per_started_4_kb_and_missing_keys_too() {
        let shape = ReadShape {
            consistent: true,
            keys: 3,
            summed: false,
        };
        let output = BatchGetItemOutput::builder()
            .responses("t", vec![item(100), item(5000)])
            .build();
        // 1 + 2 units for the two items, 1 for the key that found nothing; in halves.
        assert_eq!(read_half_units(shape, &Output::erase(output)), 2 * 4);
        let query = QueryOutput::builder()
            .items(item(3000))
            .items(item(3000))
            .build();
        let summed = ReadShape {
            consistent: false,
            keys: 1,
            summed: true,
        };
        assert_eq!(read_half_units(summed, &Output::erase(query)), 2);
    }

    #[test]
    fn refused_conditions_are_told_from_contention() {
        use aws_sdk_dynamodb::types::error::{
            ConditionalCheckFailedException, TransactionCanceledException,
        };
        use aws_sdk_dynamodb::types::CancellationReason;

        let put = PutItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder().build(),
        );
        assert_eq!(refusal(&Error::erase(put)), Some(Refusal::Condition));
        let cancelled = |codes: &[&str]| {
            let mut exception = TransactionCanceledException::builder();
            for code in codes {
                exception = exception
                    .cancellation_reasons(CancellationReason::builder().code(*code).build());
            }
            Error::erase(TransactWriteItemsError::TransactionCanceledException(
                exception.build(),
            ))
        };
        assert_eq!(
            refusal(&cancelled(&["None", "ConditionalCheckFailed"])),
            Some(Refusal::Condition)
        );
        assert_eq!(
            refusal(&cancelled(&["TransactionConflict", "None"])),
            Some(Refusal::Contention)
        );
        assert_eq!(refusal(&cancelled(&["ValidationError"])), None);
    }

    #[test]
    fn sqs_bills_per_64_kb_chunk() {
        let input = SendMessageInput::builder()
            .queue_url("q")
            .message_body("x".repeat(64 * 1024 + 1))
            .build()
            .unwrap();
        assert_eq!(sent(&Input::erase(input)).sqs_chunks, 2);
    }
}
