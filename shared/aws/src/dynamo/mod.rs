//! [`DynamoStore`]: the engine's [`Store`] on one DynamoDB table.
//!
//! Layout (string keys `pk` HASH, `sk` RANGE):
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `EX#<arn>` | `META` | `record` (JSON [`ExecutionRecord`]) or `record_z`, `status`, `state_machine`, `start_time` |
//! | `EX#<arn>` | `F#<frame>` | `record` (JSON [`FrameRecord`]) or `record_z`, `version` |
//! | `EX#<arn>` | `J#<parent>#<version>` | `record` (JSON of the join's static fields), `succeeded`, `failed`, `failed_items`, `closed` |
//! | `EX#<arn>` | `R#<parent>#<version>#<index:010>` | `result` (JSON [`ChildResult`]) or `result_z` |
//! | `EX#<arn>` | `H#<frame>#<version:020>` | `events` (JSON array) or `events_z` |
//! | `EX#<arn>` | `H#<frame>#<version:020>#<part:04>` | `events`: parts 1… of a large commit |
//! | `DEF#<sha256>` | `DEF` | `definition` or `definition_z` |
//!
//! The `META` item also carries `gsi1pk`/`gsi1sk`, the keys of the index that lists a
//! state machine's executions; the catalog's items (state machines, versions, aliases,
//! execution origins) are described in [`catalog`].
//!
//! Large records (see [`large`]): a JSON attribute over 350 KiB is stored zlib-compressed
//! in the binary attribute `<name>_z` instead (readers take either), and a commit whose
//! events are over 350 KiB of JSON is split into parts, each its own item in the same
//! transaction; parts sort right after the commit's first item, so key order is event
//! order. A transaction over DynamoDB's 100 items or 4 MB, or an item still over 400 KB
//! compressed, is `TooLarge`.
//!
//! Requests per method: `load` one `BatchGetItem`; `commit` one conditional `PutItem`
//! when it writes only the frame, else one `TransactWriteItems` (however many history
//! parts it holds); `create` and `end` one `TransactWriteItems` (plus, for `create`, one
//! `PutItem` of the definition the first time this process sees it); `open_join` one
//! conditional `PutItem` per item; `history` one `Query` per page (DynamoDB returns at
//! most 1 MB per page, so a large commit spans pages).

mod catalog;
mod errors;
mod items;
mod keys;
pub(crate) mod large;
#[cfg(test)]
mod testing;
mod write;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::types::KeysAndAttributes;
use aws_sdk_dynamodb::Client;
use futures::{StreamExt, TryStreamExt};
use stepwise_engine::store::{
    self, Commit, Created, Creation, Error, HistoryPage, LoadRequest, Loaded, Redrive, Store,
    Written,
};
use stepwise_engine::{
    ChildResult, ExecutionRecord, FrameId, FrameRecord, HistoryItem, JoinKey, JoinRecord, TaskNote,
};
use tracing::debug;

use errors::{cancellation_codes, cancelled_too_large, classify, from_build, from_sdk, Cancelled};
use items::Item;
use write::{
    check_transaction, commit_writes, finish_write, history_writes, non_empty, redrive_writes,
    Condition, FrameGuard, PutWrite, Write,
};

/// Child frames written at once by [`Store::open_join`]: enough to write a 1,000-item Map
/// in well under a second, few enough not to trip a new on-demand table's throttling.
const OPEN_JOIN_PARALLELISM: usize = 16;

/// History items per [`Store::history`] page.
const HISTORY_PAGE: i32 = 100;

/// `BatchGetItem` takes at most this many keys.
const BATCH_GET_MAX: usize = 100;

/// Attempts at reading keys DynamoDB left unprocessed (throttling) before giving up.
const UNPROCESSED_ATTEMPTS: u32 = 8;

/// Attempts at a transaction that DynamoDB cancels because another transaction holds
/// one of its items (siblings of a Map finishing together all update their join).
const CONFLICT_ATTEMPTS: u32 = 6;

/// The engine's store on DynamoDB. Cheap to clone (the SDK client is an `Arc`; clones
/// share what they know of stored definitions).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// Definitions known to be in the table. A definition is written once per process
    /// rather than in every `create` transaction: rewriting it in each transaction costs
    /// write units per KB of definition at every start, and concurrent starts of one state
    /// machine would cancel each other's transactions on that shared item.
    stored_definitions: Arc<Mutex<HashSet<String>>>,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            stored_definitions: Arc::default(),
        }
    }

    fn definition_stored(&self, hash: &str) -> bool {
        let stored = self
            .stored_definitions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        stored.contains(hash)
    }

    /// Writes the definition unless this process has written or read it before. The same
    /// hash always has the same text, so an unconditional put is idempotent.
    async fn store_definition(&self, hash: &str, definition: &str) -> store::Result<()> {
        if self.definition_stored(hash) {
            return Ok(());
        }
        let write = PutWrite::new(items::definition_item(hash, definition), None);
        self.put(write).await?;
        self.remember_definition(hash);
        Ok(())
    }

    fn remember_definition(&self, hash: &str) {
        let mut stored = self
            .stored_definitions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        stored.insert(hash.to_owned());
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn get(&self, key: Item) -> store::Result<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| from_sdk("GetItem", e))?;
        Ok(output.item)
    }

    /// Reads every key, consistently, retrying what DynamoDB leaves unprocessed; items by
    /// sort key (all keys share one partition or are unique anyway).
    async fn batch_get(&self, keys: Vec<Item>) -> store::Result<HashMap<String, Item>> {
        let mut found = HashMap::new();
        for chunk in keys.chunks(BATCH_GET_MAX) {
            let mut pending = Some(chunk.to_vec());
            let mut attempt = 0;
            while let Some(keys) = pending.take() {
                if attempt == UNPROCESSED_ATTEMPTS {
                    return Err(Error::Unavailable(format!(
                        "DynamoDB BatchGetItem: keys still unprocessed after {attempt} attempts"
                    )));
                }
                if attempt > 0 {
                    // Unprocessed keys mean throttling: back off before asking again.
                    tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
                }
                attempt += 1;
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(true)
                    .build()
                    .map_err(from_build)?;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| from_sdk("BatchGetItem", e))?;
                let items = output
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default();
                for item in items {
                    let sk = items::string(&item, keys::SK)?.to_owned();
                    found.insert(sk, item);
                }
                pending = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .map(|k| k.keys)
                    .filter(|k| !k.is_empty());
            }
        }
        Ok(found)
    }

    async fn put(&self, write: PutWrite) -> store::Result<Written> {
        let PutWrite { item, condition } = write;
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        if let Some(condition) = condition {
            request = request
                .condition_expression(condition.expression)
                .set_expression_attribute_names(non_empty(condition.names))
                .set_expression_attribute_values(non_empty(condition.values));
        }
        match request.send().await {
            Ok(_) => Ok(Written::Done),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(Written::Conflict)
            }
            Err(e) => Err(from_sdk("PutItem", e)),
        }
    }

    /// Sends the writes as one transaction. `Err(codes)` when it was cancelled by a
    /// failed condition: the cancellation code of each write, in order. A transaction
    /// cancelled only because another one held an item was not applied: it is sent again
    /// after a short, jittered pause.
    async fn transact(&self, writes: &[Write]) -> store::Result<Result<(), Vec<String>>> {
        check_transaction(writes)?;
        let items = writes
            .iter()
            .map(|w| w.to_transact(&self.table))
            .collect::<store::Result<Vec<_>>>()?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await
            {
                Ok(_) => return Ok(Ok(())),
                Err(e) => e,
            };
            let codes = cancellation_codes(&error);
            let cancelled = classify(&codes);
            if cancelled == Cancelled::Condition {
                debug!(?codes, "transaction cancelled by a condition");
                return Ok(Err(codes));
            }
            if cancelled_too_large(&error) {
                return Err(Error::TooLarge(format!(
                    "DynamoDB TransactWriteItems: {codes:?}: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(&error)
                )));
            }
            if cancelled != Cancelled::Contention || attempt == CONFLICT_ATTEMPTS {
                return Err(from_sdk("TransactWriteItems", error));
            }
            debug!(attempt, "transaction conflict: retrying");
            let pause = rand::random_range(5..=(10u64 << attempt));
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
    }

    async fn query_page(
        &self,
        execution: &str,
        prefix: &str,
        start: Option<String>,
        limit: Option<i32>,
    ) -> store::Result<(Vec<Item>, Option<String>)> {
        let pk = keys::execution_pk(execution);
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#sk", keys::SK)
            .expression_attribute_values(":pk", items::s(pk.clone()))
            .expression_attribute_values(":prefix", items::s(prefix))
            .consistent_read(true)
            .set_limit(limit)
            .set_exclusive_start_key(start.map(|sk| items::key(pk, sk)))
            .send()
            .await
            .map_err(|e| from_sdk("Query", e))?;
        let next = match output.last_evaluated_key {
            Some(key) => Some(items::string(&key, keys::SK)?.to_owned()),
            None => None,
        };
        Ok((output.items.unwrap_or_default(), next))
    }
}

impl Store for DynamoStore {
    async fn load(&self, request: &LoadRequest) -> store::Result<Loaded> {
        let pk = keys::execution_pk(&request.execution);
        let mut sks = vec![keys::META.to_owned()];
        if request.with_frame {
            sks.push(keys::frame_sk(&request.frame));
        }
        for join in &request.joins {
            let sk = keys::join_sk(join);
            // BatchGetItem rejects a request that names one key twice.
            if !sks.contains(&sk) {
                sks.push(sk);
            }
        }
        let keys = sks
            .into_iter()
            .map(|sk| items::key(pk.clone(), sk))
            .collect();
        let found = self.batch_get(keys).await?;
        let execution = found
            .get(keys::META)
            .map(items::execution_record)
            .transpose()?;
        let frame = match request.with_frame {
            true => found
                .get(&keys::frame_sk(&request.frame))
                .map(items::frame_record)
                .transpose()?,
            false => None,
        };
        let mut joins = Vec::with_capacity(request.joins.len());
        for join in &request.joins {
            joins.push(match found.get(&keys::join_sk(join)) {
                Some(item) => items::join_record(item)?,
                None => None,
            });
        }
        Ok(Loaded {
            execution,
            frame,
            joins,
        })
    }

    async fn create(&self, creation: Creation) -> store::Result<Created> {
        let arn = creation.execution.arn().to_owned();
        let mut root = creation.root;
        // The root may end in its first step: the header is then written ended already.
        let header = root.finish.take().unwrap_or(creation.execution.clone());
        // Before the header: an execution must never exist without its definition.
        self.store_definition(&creation.execution.definition_hash, &creation.definition)
            .await?;
        let mut writes = vec![Write::Put(PutWrite::new(
            items::execution_item(&header),
            Some(Condition::absent()),
        ))];
        writes.extend(commit_writes(&root, FrameGuard::Creation));
        match self.transact(&writes).await? {
            Ok(()) => Ok(Created::Done),
            Err(codes) if codes.first().is_some_and(|c| c == "ConditionalCheckFailed") => {
                match self.execution(&arn).await? {
                    Some(existing) => Ok(Created::Exists(Box::new(existing))),
                    None => Err(Error::Unavailable(format!(
                        "execution {arn} existed at create, then vanished"
                    ))),
                }
            }
            Err(codes) => Err(Error::Unavailable(format!(
                "create {arn}: unexpected condition failure {codes:?}"
            ))),
        }
    }

    async fn open_join(
        &self,
        execution: &str,
        join: JoinRecord,
        children: Vec<FrameRecord>,
    ) -> store::Result<()> {
        // A conflict means a retried fan-out found the item there: keep it.
        let put_new = |item: Item| self.put(PutWrite::new(item, Some(Condition::absent())));
        put_new(items::join_item(execution, &join)).await?;
        futures::stream::iter(children)
            .map(|child| put_new(items::frame_item(execution, &child)))
            .buffer_unordered(OPEN_JOIN_PARALLELISM)
            .try_collect::<Vec<Written>>()
            .await?;
        Ok(())
    }

    async fn commit(&self, commit: Commit) -> store::Result<Written> {
        let writes = commit_writes(&commit, FrameGuard::Version(commit.expected_version));
        if let [Write::Put(single)] = writes.as_slice() {
            return self.put(single.clone()).await;
        }
        Ok(match self.transact(&writes).await? {
            Ok(()) => Written::Done,
            Err(_) => Written::Conflict,
        })
    }

    async fn end(&self, record: ExecutionRecord, history: HistoryItem) -> store::Result<Written> {
        let mut writes = vec![finish_write(&record)];
        writes.extend(history_writes(record.arn(), &history));
        Ok(match self.transact(&writes).await? {
            Ok(()) => Written::Done,
            Err(_) => Written::Conflict,
        })
    }

    async fn redrive(&self, redrive: Redrive) -> store::Result<Written> {
        Ok(match self.transact(&redrive_writes(&redrive)).await? {
            Ok(()) => Written::Done,
            Err(_) => Written::Conflict,
        })
    }

    async fn note_task(
        &self,
        execution: &str,
        frame: &FrameId,
        version: u64,
        note: TaskNote,
    ) -> store::Result<Written> {
        let (name, value) = match note {
            TaskNote::Beat(at) => (items::BEAT, items::n(at)),
            TaskNote::Submitted(submission) => (
                items::SUBMITTED,
                items::s(serde_json::to_string(&submission).unwrap_or_default()),
            ),
        };
        // Beside the record, not in it: the frame's version (and its outbox, which a
        // redelivered message may still need) stays as the last commit left it.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, items::s(keys::execution_pk(execution)))
            .key(keys::SK, items::s(keys::frame_sk(frame)))
            .update_expression("SET #note = :note")
            .condition_expression("#version = :version")
            .expression_attribute_names("#note", name)
            .expression_attribute_names("#version", items::VERSION)
            .expression_attribute_values(":note", value)
            .expression_attribute_values(":version", items::n(version))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Written::Done),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(Written::Conflict)
            }
            Err(e) => Err(from_sdk("UpdateItem", e)),
        }
    }

    async fn claim_join(
        &self,
        execution: &str,
        join: &JoinKey,
        claimant: &str,
    ) -> store::Result<Written> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, items::s(keys::execution_pk(execution)))
            .key(keys::SK, items::s(keys::join_sk(join)))
            .update_expression("SET #collector = :claimant")
            .condition_expression(
                "attribute_exists(#record) AND (attribute_not_exists(#collector) OR #collector = :claimant)",
            )
            .expression_attribute_names("#collector", items::COLLECTOR)
            .expression_attribute_names("#record", items::RECORD)
            .expression_attribute_values(":claimant", items::s(claimant))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Written::Done),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(Written::Conflict)
            }
            Err(e) => Err(from_sdk("UpdateItem", e)),
        }
    }

    async fn child_results(
        &self,
        execution: &str,
        join: &JoinKey,
    ) -> store::Result<Vec<ChildResult>> {
        let prefix = keys::results_prefix(join);
        let mut results = Vec::new();
        let mut start = None;
        loop {
            let (items, next) = self.query_page(execution, &prefix, start, None).await?;
            for item in &items {
                results.push(items::child_result(item)?);
            }
            match next {
                Some(next) => start = Some(next),
                None => break,
            }
        }
        // The zero-padded index in the sort key already orders them; sorting again keeps
        // the contract even for an item written by hand.
        results.sort_by_key(|r| r.index);
        Ok(results)
    }

    async fn execution(&self, arn: &str) -> store::Result<Option<ExecutionRecord>> {
        let key = items::key(keys::execution_pk(arn), keys::META.to_owned());
        self.get(key)
            .await?
            .as_ref()
            .map(items::execution_record)
            .transpose()
    }

    async fn frame(&self, execution: &str, frame: &FrameId) -> store::Result<Option<FrameRecord>> {
        let key = items::key(keys::execution_pk(execution), keys::frame_sk(frame));
        self.get(key)
            .await?
            .as_ref()
            .map(items::frame_record)
            .transpose()
    }

    async fn definition(&self, hash: &str) -> store::Result<Option<String>> {
        let key = items::key(keys::definition_pk(hash), keys::DEFINITION.to_owned());
        let definition = self
            .get(key)
            .await?
            .as_ref()
            .map(items::definition)
            .transpose()?;
        if definition.is_some() {
            self.remember_definition(hash);
        }
        Ok(definition)
    }

    async fn history(&self, execution: &str, page: Option<String>) -> store::Result<HistoryPage> {
        if let Some(token) = &page {
            if !token.starts_with(keys::HISTORY_PREFIX) {
                return Err(Error::Corrupt {
                    key: token.clone(),
                    message: "not a history page token".to_owned(),
                });
            }
        }
        let (items, next) = self
            .query_page(execution, keys::HISTORY_PREFIX, page, Some(HISTORY_PAGE))
            .await?;
        // The parts of one commit are consecutive keys: joined again here, so a commit
        // comes back as one item unless a page ends inside it (the next page then starts
        // with its remaining parts, as another item of the same frame and version).
        let mut merged: Vec<HistoryItem> = Vec::with_capacity(items.len());
        for item in &items {
            let part = items::history(item)?;
            match merged.last_mut() {
                Some(last) if last.frame == part.frame && last.version == part.version => {
                    last.events.extend(part.events);
                }
                _ => merged.push(part),
            }
        }
        Ok(HistoryPage {
            items: merged,
            next,
        })
    }
}
