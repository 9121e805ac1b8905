//! [`DynamoStore`]: the engine's [`Store`] on one DynamoDB table.
//!
//! Layout (string keys `pk` HASH, `sk` RANGE):
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `EX#<arn>` | `META` | `record` (JSON [`ExecutionRecord`]) or `record_z`, `status`, `state_machine`, `start_time` |
//! | `EX#<arn>` | `F#<frame>#<version:020>` | the frame log: `record` (JSON [`FrameRecord`]) and `events` (JSON array of the commit's history events, absent when it wrote none), or both compressed together in `commit_z`, or `record_z`; `version`; `beat`, `submitted` (task notes) |
//! | `EX#<arn>` | `F#<frame>#<version:020>#<part:04>` | `events`: parts 1… of a large commit's events |
//! | `EX#<arn>` | `F#0#<u64::MAX - redrives:020>` | `events`: a stop's or a timeout's event |
//! | `EX#<arn>` | `J#<parent>#<version>` | `record` (JSON of the join's static fields), `succeeded`, `failed`, `failed_items`, `closed` |
//! | `EX#<arn>` | `R#<parent>#<version>#<index:010>` | `result` (JSON [`ChildResult`]) or `result_z` |
//! | `DEF#<sha256>` | `DEF` | `definition` or `definition_z` |
//!
//! The `META` item also carries `gsi1pk`/`gsi1sk`, the keys of the index that lists a
//! state machine's executions; the catalog's items (state machines, versions, aliases,
//! execution origins) are described in [`catalog`].
//!
//! The frame log: every commit puts a new item, `F#<frame>#<version+1>`, only if it is
//! absent. Versions are dense and a commit writes the version after the one it read as
//! the latest, so the fresh key is the lock: of two commits over the same version one
//! wins, the other is a conflict. The old versions stay and are the history
//! (`GetExecutionHistory` reads the log in key order); a table TTL is the way to bound
//! them. The latest version is the last key under `F#<frame>#0` … `F#<frame>#1` (a
//! `Query`, descending, one item); a message names the version it was sent for, so
//! [`Store::load`] reads that version and the next beside `META` instead.
//!
//! Large records (see [`large`]): a JSON attribute over 350 KiB is stored zlib-compressed
//! in the binary attribute `<name>_z` instead (readers take either); a frame and events
//! over 350 KiB of JSON together keep the frame in the version's item and split the
//! events into parts, each its own item in the same transaction; parts sort right after
//! the version's item, so key order is event order. A transaction over DynamoDB's 100
//! items or 4 MB, or an item still over 400 KB compressed, is `TooLarge`.
//!
//! Requests per method: `load` one `BatchGetItem` (plus a `Query` when the message's
//! version is not the latest, or names none); `commit` one conditional `PutItem` when
//! it writes only the frame's version (with its events), else one `TransactWriteItems`
//! (a child's result and join counter, the execution's end, a closed join, or a large
//! commit's parts); `create` and `end` one `TransactWriteItems` (plus, for `create`, one
//! `PutItem` of the definition the first time this process sees it); `open_join` one
//! conditional `PutItem` of the join and the children as `add_children` writes them (a
//! later chunk's message: one `TransactWriteItems` of up to 64 conditional puts, single
//! puts of the missing ones when it is cancelled); `note_task` one `TransactWriteItems` (the note, and a
//! check that the next version does not exist); `frame` one `Query`; `history` one
//! `Query` per page (DynamoDB returns at most 1 MB per page, so a large commit spans
//! pages).

mod catalog;
mod errors;
mod fan_out;
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

/// Commits must write the version after the one they read: the frame log's lock is the
/// next key, so a gap would let a later commit skip over a version it never read.
fn check_dense(commit: &Commit) -> store::Result<()> {
    if commit.expected_version.checked_add(1) == Some(commit.frame.version) {
        return Ok(());
    }
    Err(Error::Corrupt {
        key: keys::log_sk(&commit.frame.id, commit.frame.version),
        message: format!(
            "a commit of version {} over version {}: versions are dense",
            commit.frame.version, commit.expected_version
        ),
    })
}

/// Log items per [`Store::history`] page.
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

/// A conditional `UpdateItem`'s outcome: `Conflict` when its condition did not hold.
fn conditional_update(
    result: std::result::Result<
        aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
        aws_sdk_dynamodb::error::SdkError<
            aws_sdk_dynamodb::operation::update_item::UpdateItemError,
        >,
    >,
) -> store::Result<Written> {
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

impl DynamoStore {
    /// The frame's latest version: the last key of its log (a `Query`, descending, one
    /// item), skipping the execution-level events kept under the root's key.
    async fn latest(&self, execution: &str, frame: &FrameId) -> store::Result<Option<FrameRecord>> {
        let pk = keys::execution_pk(execution);
        let (low, high) = keys::frame_versions(frame);
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#sk", keys::SK)
            .expression_attribute_values(":pk", items::s(pk.clone()))
            .expression_attribute_values(":low", items::s(low))
            .expression_attribute_values(":high", items::s(high))
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| from_sdk("Query", e))?;
        let Some(item) = output.items.and_then(|items| items.into_iter().next()) else {
            return Ok(None);
        };
        let sk = items::string(&item, keys::SK)?;
        match keys::parse_log_sk(sk) {
            Some((_, _, 0)) => items::frame_record(&item).map(Some),
            // The last part of a large commit's events: its frame is in the first item.
            Some((_, version, _)) => {
                let first = items::key(pk, keys::log_sk(frame, version));
                match self.get(first).await? {
                    Some(item) => items::frame_record(&item).map(Some),
                    None => Err(Error::Corrupt {
                        key: sk.to_owned(),
                        message: "a part of a commit without its first item".to_owned(),
                    }),
                }
            }
            None => Err(Error::Corrupt {
                key: sk.to_owned(),
                message: "not a frame log sort key".to_owned(),
            }),
        }
    }
}

impl Store for DynamoStore {
    async fn load(&self, request: &LoadRequest) -> store::Result<Loaded> {
        let pk = keys::execution_pk(&request.execution);
        let mut sks = vec![keys::META.to_owned()];
        // The message's version and the next: the next exists only if the message was
        // handled before (a redelivery) or is stale.
        let hinted = match request.version {
            Some(version) if request.with_frame => {
                let next = version.saturating_add(1);
                let hinted = (
                    keys::log_sk(&request.frame, version),
                    keys::log_sk(&request.frame, next),
                );
                sks.push(hinted.0.clone());
                sks.push(hinted.1.clone());
                Some(hinted)
            }
            _ => None,
        };
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
        // Without a version to read, the latest is a query, run beside the batch.
        let unhinted = request.with_frame && hinted.is_none();
        let (found, latest) = futures::try_join!(self.batch_get(keys), async {
            match unhinted {
                true => self.latest(&request.execution, &request.frame).await,
                false => Ok(None),
            }
        })?;
        let execution = found
            .get(keys::META)
            .map(items::execution_record)
            .transpose()?;
        let frame = match hinted {
            None => latest,
            Some((this, next)) => match (found.get(&this), found.contains_key(&next)) {
                (Some(item), false) => Some(items::frame_record(item)?),
                // Moved on: to the next version only (the engine then looks for its own
                // commit there) or further (the message is stale). Or the message is
                // older than the log's oldest item. Rare: the latest decides.
                _ => self.latest(&request.execution, &request.frame).await?,
            },
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
        self.add_children(execution, join, children).await
    }

    /// The join is there (its chunk's message read it): a conditional put of it would
    /// only be refused, one billed write per chunk.
    async fn add_children(
        &self,
        execution: &str,
        _join: JoinRecord,
        children: Vec<FrameRecord>,
    ) -> store::Result<()> {
        let children = children
            .iter()
            .map(|child| items::frame_item(execution, child))
            .collect();
        self.put_absent(children).await
    }

    /// One conditional `UpdateItem` of the join's JSON: the counters children `ADD` to
    /// are attributes of their own, untouched.
    async fn feed_join(
        &self,
        execution: &str,
        page: u64,
        update: &JoinRecord,
    ) -> store::Result<Written> {
        let next = update.feed.as_ref().map_or(page + 1, |feed| feed.page);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, items::s(keys::execution_pk(execution)))
            .key(keys::SK, items::s(keys::join_sk(&update.key)))
            .update_expression("SET #record = :record, #page = :next")
            .condition_expression("#page = :page")
            .expression_attribute_names("#record", items::RECORD)
            .expression_attribute_names("#page", items::PAGE)
            .expression_attribute_values(":record", items::join_json(update))
            .expression_attribute_values(":page", items::n(page))
            .expression_attribute_values(":next", items::n(next))
            .send()
            .await;
        conditional_update(result)
    }

    async fn commit(&self, commit: Commit) -> store::Result<Written> {
        check_dense(&commit)?;
        let writes = commit_writes(&commit, FrameGuard::Next);
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
        check_dense(&redrive.root)?;
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
        // Beside the version's record, not in it (its outbox, which a redelivered message
        // may still need, stays as the commit left it), and only while that version is
        // the latest: the next must not exist.
        let pk = keys::execution_pk(execution);
        let next = items::key(pk.clone(), keys::log_sk(frame, version.saturating_add(1)));
        let present = Condition::present();
        let mut names = present.names;
        names.insert("#note".to_owned(), name.to_owned());
        let writes = [
            Write::Check {
                key: next,
                condition: Condition::absent(),
            },
            Write::Update {
                key: items::key(pk, keys::log_sk(frame, version)),
                expression: "SET #note = :note".to_owned(),
                condition: Some(present.expression),
                names,
                values: HashMap::from([(":note".to_owned(), value)]),
            },
        ];
        Ok(match self.transact(&writes).await? {
            Ok(()) => Written::Done,
            Err(_) => Written::Conflict,
        })
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
        conditional_update(result)
    }

    async fn child_results(
        &self,
        execution: &str,
        join: &JoinKey,
    ) -> store::Result<Vec<ChildResult>> {
        let mut results = self
            .child_results_page(execution, join, None, u32::MAX)
            .await?;
        // The zero-padded index in the sort key already orders them; sorting again keeps
        // the contract even for an item written by hand.
        results.sort_by_key(|r| r.index);
        Ok(results)
    }

    /// One `Query` (or a few, when results are large): the page starts at the key after
    /// `after`'s.
    async fn child_results_page(
        &self,
        execution: &str,
        join: &JoinKey,
        after: Option<u32>,
        limit: u32,
    ) -> store::Result<Vec<ChildResult>> {
        let prefix = keys::results_prefix(join);
        let mut results = Vec::new();
        let mut start = after.map(|index| keys::result_sk(join, index));
        while results.len() < limit as usize {
            let left = i32::try_from(limit as usize - results.len()).unwrap_or(i32::MAX);
            let (items, next) = self
                .query_page(execution, &prefix, start, Some(left))
                .await?;
            for item in &items {
                results.push(items::child_result(item)?);
            }
            match next {
                // A page that hit DynamoDB's 1 MB cap ends early: go on from there.
                Some(next) => start = Some(next),
                None => break,
            }
        }
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
        self.latest(execution, frame).await
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
            if !token.starts_with(keys::LOG_PREFIX) {
                return Err(Error::Corrupt {
                    key: token.clone(),
                    message: "not a history page token".to_owned(),
                });
            }
        }
        let (items, next) = self
            .query_page(execution, keys::LOG_PREFIX, page, Some(HISTORY_PAGE))
            .await?;
        // The parts of one commit are consecutive keys: joined again here, so a commit
        // comes back as one item unless a page ends inside it (the next page then starts
        // with its remaining parts, as another item of the same frame and version).
        // Versions written without history (a child's first) are skipped.
        let mut merged: Vec<HistoryItem> = Vec::with_capacity(items.len());
        for item in &items {
            let Some(part) = items::history(item)? else {
                continue;
            };
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
