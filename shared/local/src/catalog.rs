//! The [`Catalog`] on SQLite: state machines, versions and aliases as JSON `record`
//! rows keyed by name, execution origins as columns, and `ListExecutions` over the
//! executions table's `(state_machine, start_time)` index. Each method runs in one
//! transaction, so a conditional change checks and writes atomically (the writer
//! connection is `BEGIN IMMEDIATE`: no other writer slips between check and write).
//!
//! Semantics are `MemoryStore`'s (`stepwise_engine::memory_catalog`); page tokens are
//! keyset cursors (the last key returned), opaque to callers.

use rusqlite::{params, OptionalExtension, Transaction};
use stepwise_engine::catalog::{
    split_qualifier, AliasRecord, Catalog, Change, ExecutionOrigin, Page, Route,
    StateMachineRecord, VersionDeletion, VersionRecord,
};
use stepwise_engine::{store, ExecutionRecord, ExecutionStatus};

use crate::error::{Error, Result};
use crate::store::{decode, encode, read_record, SqliteStore};

fn read_machine(tx: &Transaction<'_>, name: &str) -> Result<Option<StateMachineRecord>> {
    read_record(
        tx,
        "SELECT record FROM state_machines WHERE name = ?1",
        [name],
        || format!("state machine {name}"),
    )
}

fn read_alias(tx: &Transaction<'_>, machine: &str, name: &str) -> Result<Option<AliasRecord>> {
    read_record(
        tx,
        "SELECT record FROM aliases WHERE state_machine = ?1 AND name = ?2",
        [machine, name],
        || format!("alias {machine}:{name}"),
    )
}

/// The highest version number drawn (0 before the first publish).
fn latest_version(tx: &Transaction<'_>, machine: &str) -> Result<u64> {
    let latest: Option<i64> = tx
        .query_row(
            "SELECT latest FROM version_counters WHERE state_machine = ?1",
            [machine],
            |r| r.get(0),
        )
        .optional()?;
    Ok(latest.map_or(0, |n| n as u64))
}

fn read_version(tx: &Transaction<'_>, machine: &str, number: u64) -> Result<Option<VersionRecord>> {
    read_record(
        tx,
        "SELECT record FROM versions WHERE state_machine = ?1 AND number = ?2",
        params![machine, number as i64],
        || format!("version {machine}:{number}"),
    )
}

/// Whether every version `routing` names exists.
fn versions_exist(tx: &Transaction<'_>, machine: &str, routing: &[Route]) -> Result<bool> {
    for route in routing {
        let found: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM versions WHERE state_machine = ?1 AND number = ?2",
                params![machine, route.version as i64],
                |r| r.get(0),
            )
            .optional()?;
        if found.is_none() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Turns up to `max + 1` rows `(page key, record text)` into a page of `max`: the extra
/// row only tells that there is a next page, whose token is the last key returned.
fn page_of<T: serde::de::DeserializeOwned>(
    what: &str,
    rows: Vec<(String, String)>,
    max: usize,
) -> Result<Page<T>> {
    let more = rows.len() > max;
    let mut items = Vec::with_capacity(rows.len().min(max));
    let mut last = None;
    for (key, text) in rows.into_iter().take(max) {
        items.push(decode(&format!("{what} {key}"), &text)?);
        last = Some(key);
    }
    Ok(Page {
        items,
        next: if more { last } else { None },
    })
}

/// Runs a statement whose rows are `(page key, record)`.
fn rows(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<(String, String)>> {
    let mut statement = tx.prepare(sql)?;
    let rows = statement.query_map(params, |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn bad_token(token: &str) -> Error {
    Error::corrupt(
        format!("page token {token:?}"),
        "not a token this store made",
    )
}

/// An execution listing's cursor: the last row's start time and ARN (the order is start
/// time descending, ARN ascending within one millisecond, as `MemoryStore` orders).
fn execution_cursor(start_time: i64, arn: &str) -> String {
    format!("{start_time}#{arn}")
}

fn parse_execution_cursor(token: &str) -> Result<(i64, String)> {
    let (time, arn) = token.split_once('#').ok_or_else(|| bad_token(token))?;
    Ok((time.parse().map_err(|_| bad_token(token))?, arn.to_owned()))
}

/// At most `max` (at least 1), plus the one that tells whether a next page exists.
fn limit(max: usize) -> (usize, i64) {
    let max = max.max(1);
    (max, i64::try_from(max).unwrap_or(i64::MAX - 1) + 1)
}

impl Catalog for SqliteStore {
    async fn create_state_machine(
        &self,
        record: StateMachineRecord,
    ) -> store::Result<Change<StateMachineRecord>> {
        Ok(self
            .db()
            .write(move |tx| {
                if let Some(existing) = read_machine(tx, &record.name)? {
                    return Ok(Change::Conflict(Some(existing)));
                }
                tx.execute(
                    "INSERT INTO state_machines (name, record) VALUES (?1, ?2)",
                    params![record.name, encode(&record)?],
                )?;
                Ok(Change::Done(record))
            })
            .await?)
    }

    async fn update_state_machine(
        &self,
        record: StateMachineRecord,
        expected_revision: &str,
    ) -> store::Result<Change<StateMachineRecord>> {
        let expected = expected_revision.to_owned();
        Ok(self
            .db()
            .write(move |tx| {
                let Some(current) = read_machine(tx, &record.name)? else {
                    return Ok(Change::Missing);
                };
                if current.spec.revision_id != expected {
                    return Ok(Change::Conflict(Some(current)));
                }
                tx.execute(
                    "UPDATE state_machines SET record = ?2 WHERE name = ?1",
                    params![record.name, encode(&record)?],
                )?;
                Ok(Change::Done(record))
            })
            .await?)
    }

    async fn state_machine(&self, name: &str) -> store::Result<Option<StateMachineRecord>> {
        let name = name.to_owned();
        Ok(self.db().read(move |tx| read_machine(tx, &name)).await?)
    }

    async fn list_state_machines(
        &self,
        page: Option<String>,
        max: usize,
    ) -> store::Result<Page<StateMachineRecord>> {
        let (max, fetch) = limit(max);
        Ok(self
            .db()
            .read(move |tx| {
                let found = rows(
                    tx,
                    "SELECT name, record FROM state_machines WHERE name > ?1
                     ORDER BY name LIMIT ?2",
                    params![page.unwrap_or_default(), fetch],
                )?;
                page_of("state machine", found, max)
            })
            .await?)
    }

    async fn delete_state_machine(&self, name: &str) -> store::Result<bool> {
        let name = name.to_owned();
        Ok(self
            .db()
            .write(move |tx| {
                let deleted = tx.execute("DELETE FROM state_machines WHERE name = ?1", [&name])?;
                tx.execute("DELETE FROM versions WHERE state_machine = ?1", [&name])?;
                tx.execute("DELETE FROM aliases WHERE state_machine = ?1", [&name])?;
                tx.execute(
                    "DELETE FROM version_counters WHERE state_machine = ?1",
                    [&name],
                )?;
                Ok(deleted == 1)
            })
            .await?)
    }

    async fn publish_version(
        &self,
        name: &str,
        expected_revision: Option<&str>,
        description: Option<String>,
        now: i64,
    ) -> store::Result<Change<VersionRecord>> {
        let (name, expected) = (name.to_owned(), expected_revision.map(str::to_owned));
        Ok(self
            .db()
            .write(move |tx| {
                let Some(machine) = read_machine(tx, &name)? else {
                    return Ok(Change::Missing);
                };
                if expected.is_some_and(|r| r != machine.spec.revision_id) {
                    return Ok(Change::Conflict(None));
                }
                let latest = latest_version(tx, &name)?;
                let number = latest + 1;
                let newest = read_version(tx, &name, latest)?;
                if let Some(newest) =
                    newest.filter(|v| v.spec.revision_id == machine.spec.revision_id)
                {
                    return Ok(Change::Conflict(Some(newest)));
                }
                let version = VersionRecord {
                    state_machine: name.clone(),
                    number,
                    spec: machine.spec,
                    description,
                    created: now,
                };
                tx.execute(
                    "INSERT INTO versions (state_machine, number, record) VALUES (?1, ?2, ?3)",
                    params![name, number as i64, encode(&version)?],
                )?;
                tx.execute(
                    "INSERT OR REPLACE INTO version_counters (state_machine, latest)
                     VALUES (?1, ?2)",
                    params![name, number as i64],
                )?;
                Ok(Change::Done(version))
            })
            .await?)
    }

    async fn version(&self, name: &str, number: u64) -> store::Result<Option<VersionRecord>> {
        let name = name.to_owned();
        Ok(self
            .db()
            .read(move |tx| read_version(tx, &name, number))
            .await?)
    }

    async fn list_versions(
        &self,
        name: &str,
        page: Option<String>,
        max: usize,
    ) -> store::Result<Page<VersionRecord>> {
        let name = name.to_owned();
        let (max, fetch) = limit(max);
        Ok(self
            .db()
            .read(move |tx| {
                // Newest first: the cursor is the last number returned, the next page
                // starts below it.
                let below = match &page {
                    Some(token) => token.parse::<i64>().map_err(|_| bad_token(token))?,
                    None => i64::MAX,
                };
                let found = rows(
                    tx,
                    "SELECT CAST(number AS TEXT), record FROM versions
                     WHERE state_machine = ?1 AND number < ?2 ORDER BY number DESC LIMIT ?3",
                    params![name, below, fetch],
                )?;
                page_of("version", found, max)
            })
            .await?)
    }

    async fn delete_version(&self, name: &str, number: u64) -> store::Result<VersionDeletion> {
        let name = name.to_owned();
        Ok(self
            .db()
            .write(move |tx| {
                if read_version(tx, &name, number)?.is_none() {
                    return Ok(VersionDeletion::Absent);
                }
                // The aliases are read in the writer's transaction: an alias cannot come
                // to route here between this check and the delete.
                let mut routing_here = Vec::new();
                for (alias, text) in rows(
                    tx,
                    "SELECT name, record FROM aliases WHERE state_machine = ?1 ORDER BY name",
                    [&name],
                )? {
                    let record: AliasRecord = decode(&format!("alias {name}:{alias}"), &text)?;
                    if record.routing.iter().any(|r| r.version == number) {
                        routing_here.push(alias);
                    }
                }
                if !routing_here.is_empty() {
                    return Ok(VersionDeletion::Referenced(routing_here));
                }
                tx.execute(
                    "DELETE FROM versions WHERE state_machine = ?1 AND number = ?2",
                    params![name, number as i64],
                )?;
                Ok(VersionDeletion::Deleted)
            })
            .await?)
    }

    async fn create_alias(&self, alias: AliasRecord) -> store::Result<Change<AliasRecord>> {
        Ok(self
            .db()
            .write(move |tx| {
                if read_machine(tx, &alias.state_machine)?.is_none()
                    || !versions_exist(tx, &alias.state_machine, &alias.routing)?
                {
                    return Ok(Change::Missing);
                }
                if let Some(existing) = read_alias(tx, &alias.state_machine, &alias.name)? {
                    return Ok(Change::Conflict(Some(existing)));
                }
                tx.execute(
                    "INSERT INTO aliases (state_machine, name, record) VALUES (?1, ?2, ?3)",
                    params![alias.state_machine, alias.name, encode(&alias)?],
                )?;
                Ok(Change::Done(alias))
            })
            .await?)
    }

    async fn update_alias(&self, alias: AliasRecord) -> store::Result<Change<AliasRecord>> {
        Ok(self
            .db()
            .write(move |tx| {
                if !versions_exist(tx, &alias.state_machine, &alias.routing)? {
                    return Ok(Change::Missing);
                }
                let updated = tx.execute(
                    "UPDATE aliases SET record = ?3 WHERE state_machine = ?1 AND name = ?2",
                    params![alias.state_machine, alias.name, encode(&alias)?],
                )?;
                Ok(if updated == 1 {
                    Change::Done(alias)
                } else {
                    Change::Missing
                })
            })
            .await?)
    }

    async fn alias(&self, state_machine: &str, name: &str) -> store::Result<Option<AliasRecord>> {
        let (machine, name) = (state_machine.to_owned(), name.to_owned());
        Ok(self
            .db()
            .read(move |tx| read_alias(tx, &machine, &name))
            .await?)
    }

    async fn list_aliases(
        &self,
        state_machine: &str,
        page: Option<String>,
        max: usize,
    ) -> store::Result<Page<AliasRecord>> {
        let machine = state_machine.to_owned();
        let (max, fetch) = limit(max);
        Ok(self
            .db()
            .read(move |tx| {
                let found = rows(
                    tx,
                    "SELECT name, record FROM aliases WHERE state_machine = ?1 AND name > ?2
                     ORDER BY name LIMIT ?3",
                    params![machine, page.unwrap_or_default(), fetch],
                )?;
                page_of("alias", found, max)
            })
            .await?)
    }

    async fn delete_alias(&self, state_machine: &str, name: &str) -> store::Result<bool> {
        let (machine, name) = (state_machine.to_owned(), name.to_owned());
        Ok(self
            .db()
            .write(move |tx| {
                let deleted = tx.execute(
                    "DELETE FROM aliases WHERE state_machine = ?1 AND name = ?2",
                    [&machine, &name],
                )?;
                Ok(deleted == 1)
            })
            .await?)
    }

    async fn record_origin(
        &self,
        execution_arn: &str,
        origin: ExecutionOrigin,
    ) -> store::Result<()> {
        let arn = execution_arn.to_owned();
        Ok(self
            .db()
            .write(move |tx| {
                tx.execute(
                    "INSERT OR REPLACE INTO origins (execution, version, alias) VALUES (?1, ?2, ?3)",
                    params![arn, origin.version.map(|v| v as i64), origin.alias],
                )?;
                Ok(())
            })
            .await?)
    }

    async fn origin(&self, execution_arn: &str) -> store::Result<Option<ExecutionOrigin>> {
        let arn = execution_arn.to_owned();
        Ok(self
            .db()
            .read(move |tx| {
                Ok(tx
                    .query_row(
                        "SELECT version, alias FROM origins WHERE execution = ?1",
                        [&arn],
                        |r| {
                            Ok(ExecutionOrigin {
                                version: r.get::<_, Option<i64>>(0)?.map(|v| v as u64),
                                alias: r.get(1)?,
                            })
                        },
                    )
                    .optional()?)
            })
            .await?)
    }

    async fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        page: Option<String>,
        max: usize,
    ) -> store::Result<Page<ExecutionRecord>> {
        let (machine, qualifier) = split_qualifier(state_machine_arn);
        let machine = machine.to_owned();
        // A qualifier is a version number or an alias name (`ExecutionOrigin::matches`).
        let (version, alias) = match qualifier {
            Some(q) => match q.parse::<u64>() {
                Ok(number) => (Some(number as i64), None),
                Err(_) => (None, Some(q.to_owned())),
            },
            None => (None, None),
        };
        let qualified = qualifier.is_some();
        let (max, fetch) = limit(max);
        Ok(self
            .db()
            .read(move |tx| {
                let (after_time, after_arn) = match &page {
                    Some(token) => parse_execution_cursor(token)?,
                    None => (i64::MAX, String::new()),
                };
                let mut statement = tx.prepare(
                    "SELECT e.start_time, e.arn, e.record FROM executions e
                     WHERE e.state_machine = ?1
                       AND (?2 IS NULL OR e.status = ?2)
                       AND (e.start_time < ?3 OR (e.start_time = ?3 AND e.arn > ?4))
                       AND (NOT ?5 OR EXISTS (
                            SELECT 1 FROM origins o WHERE o.execution = e.arn
                              AND (o.version = ?6 OR o.alias = ?7)))
                     ORDER BY e.start_time DESC, e.arn LIMIT ?8",
                )?;
                let found = statement
                    .query_map(
                        params![
                            machine,
                            status.map(ExecutionStatus::as_str),
                            after_time,
                            after_arn,
                            qualified,
                            version,
                            alias,
                            fetch
                        ],
                        |r| {
                            Ok((
                                execution_cursor(r.get(0)?, &r.get::<_, String>(1)?),
                                r.get::<_, String>(2)?,
                            ))
                        },
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                page_of("execution", found, max)
            })
            .await?)
    }
}
