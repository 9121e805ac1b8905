//! [`SqliteStore`]: the engine's [`Store`] on SQLite rows, with `MemoryStore`'s
//! semantics. Every write runs in one transaction that checks its conditions before it
//! writes anything: a failed condition returns [`Written::Conflict`] with the database
//! as it was.

use std::path::Path;
use std::sync::Arc;

use rusqlite::{params, OptionalExtension, Transaction};
use stepwise_core::interp::Outcome;
use stepwise_engine::store::{
    self, Commit, Created, Creation, HistoryPage, LoadRequest, Loaded, Redrive, Store, Written,
};
use stepwise_engine::{
    ChildResult, ExecutionRecord, FrameId, FrameRecord, HistoryItem, JoinKey, JoinRecord, TaskNote,
};

use stepwise_engine::queue::Outgoing;

use crate::db::{Db, Options};
use crate::error::{Error, Result};
use crate::queue::Rows;

/// History items per page, as `MemoryStore` pages them.
const HISTORY_PAGE: usize = 100;

/// A [`Store`] on one SQLite file. Cheap to clone: clones share the connections.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    db: Arc<Db>,
    /// The queue lives in this store's database (see [`crate::open`]): a commit
    /// enqueues its outbox in its own transaction ([`Store::commit_sending`]).
    holds_queue: bool,
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Self> {
        Ok(Self {
            db: Db::open(path.as_ref(), options)?,
            holds_queue: false,
        })
    }

    /// A store on `db`; `holds_queue` when the engine's queue is on `db` too.
    pub(crate) fn from_db(db: Arc<Db>, holds_queue: bool) -> Self {
        Self { db, holds_queue }
    }

    pub(crate) fn db(&self) -> &Arc<Db> {
        &self.db
    }

    /// Every frame of an execution, by id (for inspection and tests).
    pub async fn frames(&self, execution: &str) -> Result<Vec<FrameRecord>> {
        let execution = execution.to_owned();
        self.db
            .read(move |tx| {
                let mut statement = tx.prepare_cached(
                    "SELECT frame, record FROM frames WHERE execution = ?1 ORDER BY frame",
                )?;
                let rows = statement.query_map([&execution], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?;
                rows.map(|row| {
                    let (frame, record) = row?;
                    decode(&format!("{execution} frame {frame}"), &record)
                })
                .collect()
            })
            .await
    }
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<String> {
    // A frame or a history item is most of a kilobyte: grown from empty, the buffer
    // was reallocated (and copied) eight times or more per record.
    let mut text = Vec::with_capacity(1024);
    serde_json::to_writer(&mut text, value).map_err(|e| Error::corrupt("(encoding)", e))?;
    String::from_utf8(text).map_err(|e| Error::corrupt("(encoding)", e))
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(key: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::corrupt(key, e))
}

/// The one `record` column a query selects, decoded; `None` when no row matches. `what`
/// names the row in a corruption error.
pub(crate) fn read_record<T: serde::de::DeserializeOwned>(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
    what: impl FnOnce() -> String,
) -> Result<Option<T>> {
    let text: Option<String> = tx
        .prepare_cached(sql)?
        .query_row(params, |r| r.get(0))
        .optional()?;
    text.map(|t| decode(&what(), &t)).transpose()
}

fn join_id(join: &JoinKey) -> String {
    join.to_string()
}

fn read_execution(tx: &Transaction<'_>, arn: &str) -> Result<Option<ExecutionRecord>> {
    read_record(
        tx,
        "SELECT record FROM executions WHERE arn = ?1",
        [arn],
        || format!("execution {arn}"),
    )
}

fn read_frame(
    tx: &Transaction<'_>,
    execution: &str,
    frame: &FrameId,
) -> Result<Option<FrameRecord>> {
    read_record(
        tx,
        "SELECT record FROM frames WHERE execution = ?1 AND frame = ?2",
        [execution, frame.as_str()],
        || format!("{execution} frame {frame}"),
    )
}

fn read_join(tx: &Transaction<'_>, execution: &str, join: &JoinKey) -> Result<Option<JoinRecord>> {
    read_record(
        tx,
        "SELECT record FROM joins WHERE execution = ?1 AND join_key = ?2",
        [execution, &join_id(join)],
        || format!("{execution} join {join}"),
    )
}

fn write_join(tx: &Transaction<'_>, execution: &str, join: &JoinRecord) -> Result<()> {
    tx.prepare_cached("UPDATE joins SET record = ?3 WHERE execution = ?1 AND join_key = ?2")?
        .execute(params![execution, join_id(&join.key), encode(join)?])?;
    Ok(())
}

fn put_execution(tx: &Transaction<'_>, record: &ExecutionRecord) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO executions (arn, running, record, state_machine, start_time, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (arn) DO UPDATE SET
            running = excluded.running, record = excluded.record, status = excluded.status",
    )?
    .execute(params![
        record.arn(),
        record.is_running(),
        encode(record)?,
        record.info.state_machine_id,
        record.info.start_time,
        record.status.as_str()
    ])?;
    Ok(())
}

fn put_history(tx: &Transaction<'_>, execution: &str, item: &HistoryItem) -> Result<()> {
    // Replaces, as `MemoryStore`'s map insert does: a key is written by one commit only.
    tx.prepare_cached("INSERT OR REPLACE INTO history (execution, frame, version, record) VALUES (?1, ?2, ?3, ?4)")?.execute(params![execution, item.frame.as_str(), item.version as i64, encode(item)?])?;
    Ok(())
}

fn is_running(tx: &Transaction<'_>, arn: &str) -> Result<bool> {
    let running: Option<bool> = tx
        .prepare_cached("SELECT running FROM executions WHERE arn = ?1")?
        .query_row([arn], |r| r.get(0))
        .optional()?;
    Ok(running == Some(true))
}

/// Applies one commit inside `tx`: every condition first, then every write, so a
/// `Conflict` leaves nothing behind (and an error rolls the transaction back).
fn apply(tx: &Transaction<'_>, commit: &Commit) -> Result<Written> {
    let execution = commit.execution.as_str();
    // Cached, as every statement of a commit: it runs once per transition.
    let stored: Option<i64> = tx
        .prepare_cached("SELECT version FROM frames WHERE execution = ?1 AND frame = ?2")?
        .query_row([execution, commit.frame.id.as_str()], |r| r.get(0))
        .optional()?;
    if stored != Some(commit.expected_version as i64) {
        return Ok(Written::Conflict);
    }
    if commit.finish.is_some() && !is_running(tx, execution)? {
        return Ok(Written::Conflict);
    }
    if let Some(finish) = &commit.finish {
        put_execution(tx, finish)?;
    }
    if let Some(outcome) = &commit.child_result {
        if let Some(mut join) = read_join(tx, execution, &outcome.join)? {
            match outcome.result.outcome {
                Outcome::Succeeded(_) => join.succeeded += 1,
                Outcome::Failed(_) => {
                    join.failed += 1;
                    join.failed_items += outcome.items;
                }
            }
            write_join(tx, execution, &join)?;
        }
        tx.prepare_cached(
            "INSERT OR REPLACE INTO child_results (execution, join_key, idx, record)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            execution,
            join_id(&outcome.join),
            outcome.result.index,
            encode(&outcome.result)?
        ])?;
    }
    if let Some(key) = &commit.close_join {
        if let Some(mut join) = read_join(tx, execution, key)? {
            join.closed = true;
            write_join(tx, execution, &join)?;
        }
    }
    if let Some(item) = &commit.history {
        put_history(tx, execution, item)?;
    }
    // The conditional write itself: the version check above and this update run in one
    // IMMEDIATE transaction, so no other writer can slip between them.
    let updated = tx
        .prepare_cached(
            "UPDATE frames SET version = ?3, record = ?4
         WHERE execution = ?1 AND frame = ?2 AND version = ?5",
        )?
        .execute(params![
            execution,
            commit.frame.id.as_str(),
            commit.frame.version as i64,
            encode(&commit.frame)?,
            commit.expected_version as i64
        ])?;
    if updated != 1 {
        return Err(Error::corrupt(
            format!("{execution} frame {}", commit.frame.id),
            "the frame changed inside its own transaction",
        ));
    }
    Ok(Written::Done)
}

/// The keyset cursor of a history page: the last key it returned.
fn history_cursor(frame: &str, version: i64) -> String {
    format!("{version}:{frame}")
}

fn parse_history_cursor(cursor: &str) -> Result<(String, i64)> {
    let bad = || {
        Error::corrupt(
            format!("history cursor {cursor:?}"),
            "not a cursor this store made",
        )
    };
    let (version, frame) = cursor.split_once(':').ok_or_else(bad)?;
    Ok((frame.to_owned(), version.parse().map_err(|_| bad())?))
}

impl Store for SqliteStore {
    async fn load(&self, request: &LoadRequest) -> store::Result<Loaded> {
        let request = request.clone();
        Ok(self
            .db
            .read(move |tx| {
                let execution = read_execution(tx, &request.execution)?;
                let frame = if request.with_frame {
                    read_frame(tx, &request.execution, &request.frame)?
                } else {
                    None
                };
                let joins = request
                    .joins
                    .iter()
                    .map(|join| read_join(tx, &request.execution, join))
                    .collect::<Result<_>>()?;
                Ok(Loaded {
                    execution,
                    frame,
                    joins,
                })
            })
            .await?)
    }

    async fn create(&self, creation: Creation) -> store::Result<Created> {
        Ok(self
            .db
            .write(move |tx| {
                let arn = creation.execution.arn().to_owned();
                if let Some(existing) = read_execution(tx, &arn)? {
                    return Ok(Created::Exists(Box::new(existing)));
                }
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO definitions (hash, text) VALUES (?1, ?2)",
                )?
                .execute(params![creation.execution_hash(), creation.definition])?;
                put_execution(tx, &creation.execution)?;
                let mut root = creation.root;
                let first = FrameRecord {
                    version: 0,
                    ..root.frame.clone()
                };
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO frames (execution, frame, version, record)
                     VALUES (?1, ?2, 0, ?3)",
                )?
                .execute(params![arn, first.id.as_str(), encode(&first)?])?;
                root.expected_version = 0;
                // The header was just written as running, so the commit applies.
                apply(tx, &root)?;
                Ok(Created::Done)
            })
            .await?)
    }

    async fn open_join(
        &self,
        execution: &str,
        join: JoinRecord,
        children: Vec<FrameRecord>,
    ) -> store::Result<()> {
        let execution = execution.to_owned();
        Ok(self
            .db
            .write(move |tx| {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO joins (execution, join_key, record) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![
                    execution,
                    join_id(&join.key),
                    encode(&join)?
                ])?;
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO frames (execution, frame, version, record)
                     VALUES (?1, ?2, ?3, ?4)",
                )?;
                for child in &children {
                    insert.execute(params![
                        execution,
                        child.id.as_str(),
                        child.version as i64,
                        encode(child)?
                    ])?;
                }
                Ok(())
            })
            .await?)
    }

    async fn feed_join(
        &self,
        execution: &str,
        page: u64,
        update: &JoinRecord,
    ) -> store::Result<Written> {
        let (execution, update) = (execution.to_owned(), update.clone());
        Ok(self
            .db
            .write(move |tx| {
                let Some(mut join) = read_join(tx, &execution, &update.key)? else {
                    return Ok(Written::Conflict);
                };
                if join.feed.as_ref().map(|f| f.page) != Some(page) {
                    return Ok(Written::Conflict);
                }
                join.total = update.total;
                join.tolerance = update.tolerance;
                join.feed = update.feed;
                join.feed_failure = update.feed_failure;
                write_join(tx, &execution, &join)?;
                Ok(Written::Done)
            })
            .await?)
    }

    async fn commit(&self, commit: Commit) -> store::Result<Written> {
        Ok(self.db.write(move |tx| apply(tx, &commit)).await?)
    }

    /// One write (and one fsync) for the commit and its outbox instead of two, when the
    /// queue shares the file. The messages are inserted only after `apply` returned
    /// `Done`, in the same savepoint, so a conflict or a failure leaves neither.
    async fn commit_sending(
        &self,
        commit: Commit,
        outbox: Vec<Outgoing>,
        now: i64,
    ) -> store::Result<(Written, Option<Vec<Outgoing>>)> {
        if !self.holds_queue || outbox.is_empty() {
            return Ok((self.commit(commit).await?, Some(outbox)));
        }
        let rows = Rows::encode(&outbox, now)?;
        let written = self
            .db
            .write(move |tx| {
                let written = apply(tx, &commit)?;
                if written == Written::Done {
                    rows.insert(tx)?;
                }
                Ok(written)
            })
            .await?;
        if written == Written::Done {
            // As `SqliteQueue::send` does: wake a worker waiting for messages.
            self.db.sent().notify_one();
        }
        Ok((written, None))
    }

    async fn end(&self, record: ExecutionRecord, history: HistoryItem) -> store::Result<Written> {
        Ok(self
            .db
            .write(move |tx| {
                if !is_running(tx, record.arn())? {
                    return Ok(Written::Conflict);
                }
                put_execution(tx, &record)?;
                put_history(tx, record.arn(), &history)?;
                Ok(Written::Done)
            })
            .await?)
    }

    async fn redrive(&self, redrive: Redrive) -> store::Result<Written> {
        Ok(self
            .db
            .write(move |tx| {
                let header = &redrive.execution;
                let ended = read_execution(tx, header.arn())?.is_some_and(|stored| {
                    stored.is_unsuccessful()
                        && stored.info.redrive_count.checked_add(1)
                            == Some(header.info.redrive_count)
                });
                if !ended {
                    return Ok(Written::Conflict);
                }
                // `apply` checks the root frame's version before it writes anything; the
                // header is written after it, so a conflict leaves both as they were.
                let written = apply(tx, &redrive.root)?;
                if written == Written::Done {
                    put_execution(tx, header)?;
                }
                Ok(written)
            })
            .await?)
    }

    async fn note_task(
        &self,
        execution: &str,
        frame: &FrameId,
        version: u64,
        note: TaskNote,
    ) -> store::Result<Written> {
        let (execution, frame) = (execution.to_owned(), frame.clone());
        Ok(self
            .db
            .write(move |tx| {
                let Some(mut record) = read_frame(tx, &execution, &frame)? else {
                    return Ok(Written::Conflict);
                };
                if record.version != version {
                    return Ok(Written::Conflict);
                }
                // The note rides in the record without a new version; the next commit
                // replaces the record and so starts the progress afresh.
                record.progress.apply(note);
                tx.prepare_cached(
                    "UPDATE frames SET record = ?3 WHERE execution = ?1 AND frame = ?2",
                )?
                .execute(params![execution, frame.as_str(), encode(&record)?])?;
                Ok(Written::Done)
            })
            .await?)
    }

    async fn claim_join(
        &self,
        execution: &str,
        join: &JoinKey,
        claimant: &str,
    ) -> store::Result<Written> {
        let (execution, key, claimant) = (execution.to_owned(), join.clone(), claimant.to_owned());
        Ok(self
            .db
            .write(move |tx| {
                let Some(mut join) = read_join(tx, &execution, &key)? else {
                    return Ok(Written::Conflict);
                };
                match &join.collector {
                    Some(collector) if *collector != claimant => Ok(Written::Conflict),
                    Some(_) => Ok(Written::Done),
                    None => {
                        join.collector = Some(claimant);
                        write_join(tx, &execution, &join)?;
                        Ok(Written::Done)
                    }
                }
            })
            .await?)
    }

    async fn child_results(
        &self,
        execution: &str,
        join: &JoinKey,
    ) -> store::Result<Vec<ChildResult>> {
        self.child_results_page(execution, join, None, u32::MAX)
            .await
    }

    async fn child_results_page(
        &self,
        execution: &str,
        join: &JoinKey,
        after: Option<u32>,
        limit: u32,
    ) -> store::Result<Vec<ChildResult>> {
        let (execution, key) = (execution.to_owned(), join_id(join));
        let after = after.map_or(-1, i64::from);
        Ok(self
            .db
            .read(move |tx| {
                let mut statement = tx.prepare_cached(
                    "SELECT idx, record FROM child_results
                     WHERE execution = ?1 AND join_key = ?2 AND idx > ?3 ORDER BY idx LIMIT ?4",
                )?;
                let rows = statement.query_map(params![execution, key, after, limit], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?;
                rows.map(|row| {
                    let (index, text) = row?;
                    decode(&format!("{execution} result {key}/{index}"), &text)
                })
                .collect()
            })
            .await?)
    }

    async fn execution(&self, arn: &str) -> store::Result<Option<ExecutionRecord>> {
        let arn = arn.to_owned();
        Ok(self.db.read(move |tx| read_execution(tx, &arn)).await?)
    }

    async fn frame(&self, execution: &str, frame: &FrameId) -> store::Result<Option<FrameRecord>> {
        let (execution, frame) = (execution.to_owned(), frame.clone());
        Ok(self
            .db
            .read(move |tx| read_frame(tx, &execution, &frame))
            .await?)
    }

    async fn definition(&self, hash: &str) -> store::Result<Option<String>> {
        let hash = hash.to_owned();
        Ok(self
            .db
            .read(move |tx| {
                Ok(tx
                    .query_row(
                        "SELECT text FROM definitions WHERE hash = ?1",
                        [&hash],
                        |r| r.get(0),
                    )
                    .optional()?)
            })
            .await?)
    }

    /// Pages in `(frame, version)` order, as `MemoryStore`'s map orders its keys (frame
    /// ids compare as bytes in both), with a keyset cursor: a page costs the same however
    /// deep into the history it starts.
    async fn history(&self, execution: &str, page: Option<String>) -> store::Result<HistoryPage> {
        let execution = execution.to_owned();
        Ok(self
            .db
            .read(move |tx| {
                let after = page.as_deref().map(parse_history_cursor).transpose()?;
                let (frame, version) = after.unwrap_or((String::new(), -1));
                let mut statement = tx.prepare_cached(
                    "SELECT frame, version, record FROM history
                     WHERE execution = ?1 AND (frame, version) > (?2, ?3)
                     ORDER BY frame, version LIMIT ?4",
                )?;
                let rows = statement.query_map(
                    params![execution, frame, version, HISTORY_PAGE as i64 + 1],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    },
                )?;
                let mut items = Vec::new();
                let mut last = None;
                let mut more = false;
                for row in rows {
                    let (frame, version, text) = row?;
                    if items.len() == HISTORY_PAGE {
                        more = true;
                        break;
                    }
                    items.push(decode::<HistoryItem>(
                        &format!("{execution} history {frame}/{version}"),
                        &text,
                    )?);
                    last = Some(history_cursor(&frame, version));
                }
                Ok(HistoryPage {
                    items,
                    next: if more { last } else { None },
                })
            })
            .await?)
    }
}
