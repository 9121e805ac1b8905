//! Writing a fan-out's child frames: each only if absent (a retried fan-out must never
//! overwrite a child that moved on), in as few requests as DynamoDB allows.

use futures::{StreamExt, TryStreamExt};
use stepwise_engine::store::{self, Written};

use super::items::Item;
use super::large::{self, TRANSACTION_BYTES_MAX, TRANSACTION_ITEMS_MAX};
use super::write::{Condition, PutWrite, Write};
use super::DynamoStore;

/// Single puts in flight when items go one by one.
const PARALLELISM: usize = 16;

/// Children per transaction. One request writes a whole chunk of children (the engine
/// sends at most 64 per message) where single puts took one round trip each, and a
/// message's duration no longer grows with its children.
const PER_TRANSACTION: usize = 64;

impl DynamoStore {
    /// Puts every item that is not in the table yet, as transactions of conditional
    /// puts; a transaction cancelled because some exist (a retried fan-out) is followed
    /// by single conditional puts of the others.
    pub(super) async fn put_absent(&self, items: Vec<Item>) -> store::Result<()> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        for item in items {
            let size = large::item_size(&item);
            let full = batch.len() >= PER_TRANSACTION.min(TRANSACTION_ITEMS_MAX)
                || bytes + size > TRANSACTION_BYTES_MAX;
            if !batch.is_empty() && full {
                self.put_batch(std::mem::take(&mut batch)).await?;
                bytes = 0;
            }
            bytes += size;
            batch.push(item);
        }
        if !batch.is_empty() {
            self.put_batch(batch).await?;
        }
        Ok(())
    }

    async fn put_batch(&self, items: Vec<Item>) -> store::Result<()> {
        let absent = |item: Item| PutWrite::new(item, Some(Condition::absent()));
        if items.len() == 1 {
            let mut items = items;
            if let Some(item) = items.pop() {
                self.put(absent(item)).await?;
            }
            return Ok(());
        }
        let writes: Vec<Write> = items.iter().cloned().map(absent).map(Write::Put).collect();
        let codes = match self.transact(&writes).await? {
            Ok(()) => return Ok(()),
            Err(codes) => codes,
        };
        // The cancellation names the items that exist: they stay as they are.
        let missing = items
            .into_iter()
            .enumerate()
            .filter(|(i, _)| codes.get(*i).is_none_or(|c| c != "ConditionalCheckFailed"))
            .map(|(_, item)| self.put(absent(item)));
        futures::stream::iter(missing)
            .buffer_unordered(PARALLELISM)
            .try_collect::<Vec<Written>>()
            .await?;
        Ok(())
    }
}
