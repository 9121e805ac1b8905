//! The database layout, created and upgraded by `PRAGMA user_version` migrations.
//!
//! Records are the engine's serde JSON (`record` columns), so fields the engine adds
//! later flow through without a migration; only what a statement filters or orders on
//! is a column of its own.

use std::path::Path;

use rusqlite::Connection;

use crate::error::{Error, Result};

/// Each entry moves the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the store and the queue.
    "
    CREATE TABLE executions (
        arn     TEXT PRIMARY KEY,
        running INTEGER NOT NULL,
        record  TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE definitions (
        hash TEXT PRIMARY KEY,
        text TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE frames (
        execution TEXT NOT NULL,
        frame     TEXT NOT NULL,
        version   INTEGER NOT NULL,
        record    TEXT NOT NULL,
        PRIMARY KEY (execution, frame)
    ) WITHOUT ROWID;
    CREATE TABLE joins (
        execution TEXT NOT NULL,
        join_key  TEXT NOT NULL,
        record    TEXT NOT NULL,
        PRIMARY KEY (execution, join_key)
    ) WITHOUT ROWID;
    CREATE TABLE child_results (
        execution TEXT NOT NULL,
        join_key  TEXT NOT NULL,
        idx       INTEGER NOT NULL,
        record    TEXT NOT NULL,
        PRIMARY KEY (execution, join_key, idx)
    ) WITHOUT ROWID;
    CREATE TABLE history (
        execution TEXT NOT NULL,
        frame     TEXT NOT NULL,
        version   INTEGER NOT NULL,
        record    TEXT NOT NULL,
        PRIMARY KEY (execution, frame, version)
    ) WITHOUT ROWID;
    CREATE TABLE messages (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        body          TEXT NOT NULL,
        visible_at    INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        sent_at       INTEGER NOT NULL
    );
    CREATE INDEX messages_by_visibility ON messages (visible_at, id);
    CREATE TABLE dead_letters (
        id            INTEGER PRIMARY KEY,
        body          TEXT NOT NULL,
        receive_count INTEGER NOT NULL,
        reason        TEXT NOT NULL,
        dead_at       INTEGER NOT NULL
    );
    ",
    // 2: the catalog (state machines, versions, aliases, execution origins), and the
    // executions' columns that `ListExecutions` filters and orders on, filled from the
    // records already stored.
    "
    CREATE TABLE state_machines (
        name   TEXT PRIMARY KEY,
        record TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE versions (
        state_machine TEXT NOT NULL,
        number        INTEGER NOT NULL,
        record        TEXT NOT NULL,
        PRIMARY KEY (state_machine, number)
    ) WITHOUT ROWID;
    CREATE TABLE aliases (
        state_machine TEXT NOT NULL,
        name          TEXT NOT NULL,
        record        TEXT NOT NULL,
        PRIMARY KEY (state_machine, name)
    ) WITHOUT ROWID;
    CREATE TABLE origins (
        execution TEXT PRIMARY KEY,
        version   INTEGER,
        alias     TEXT
    ) WITHOUT ROWID;
    ALTER TABLE executions ADD COLUMN state_machine TEXT NOT NULL DEFAULT '';
    ALTER TABLE executions ADD COLUMN start_time INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE executions ADD COLUMN status TEXT NOT NULL DEFAULT '';
    UPDATE executions SET
        state_machine = json_extract(record, '$.info.state_machine_id'),
        start_time    = json_extract(record, '$.info.start_time'),
        status        = json_extract(record, '$.status');
    CREATE INDEX executions_by_machine ON executions (state_machine, start_time DESC, arn);
    ",
    // 3: each state machine's highest version number drawn, so that deleting the newest
    // version does not give its number out again.
    "
    CREATE TABLE version_counters (
        state_machine TEXT PRIMARY KEY,
        latest        INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO version_counters (state_machine, latest)
        SELECT state_machine, MAX(number) FROM versions GROUP BY state_machine;
    ",
    // 4: history rows in a rowid table, appended in commit order. Keyed by (execution,
    // frame, version) without a rowid, each commit's item (a kilobyte or more, past the
    // ~1 KB a key-ordered row keeps in its page) went to a random leaf of a tree ordered
    // by execution plus an overflow page of its own: three or four pages per commit to
    // write, journal and checkpoint. Appended, a group's items share the last pages; the
    // key stays unique in a small index.
    "
    CREATE TABLE history_rows (
        id        INTEGER PRIMARY KEY,
        execution TEXT NOT NULL,
        frame     TEXT NOT NULL,
        version   INTEGER NOT NULL,
        record    TEXT NOT NULL,
        UNIQUE (execution, frame, version)
    );
    INSERT INTO history_rows (execution, frame, version, record)
        SELECT execution, frame, version, record FROM history;
    DROP TABLE history;
    ALTER TABLE history_rows RENAME TO history;
    ",
];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`VERSION`], each step in its own transaction; refuses a
/// database written by a newer build rather than guess at its layout.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > VERSION {
        return Err(Error::NewerSchema {
            path: path.to_owned(),
            found,
            supported: VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_a_newer_schema() {
        let path = Path::new(":memory:");
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, path).unwrap();
        // Running again is a no-op (the tables exist; a second CREATE would fail).
        migrate(&mut conn, path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, VERSION);
        conn.pragma_update(None, "user_version", VERSION + 1)
            .unwrap();
        let error = migrate(&mut conn, path).unwrap_err();
        assert!(matches!(error, Error::NewerSchema { found, .. } if found == VERSION + 1));
    }

    #[test]
    fn version_4_keeps_the_history_and_its_key() {
        let path = Path::new(":memory:");
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute_batch(
            "INSERT INTO history (execution, frame, version, record) VALUES
                ('e', '0', 1, 'one'), ('e', '0', 2, 'two'), ('f', '0', 1, 'other');",
        )
        .unwrap();
        migrate(&mut conn, path).unwrap();
        let rows: Vec<(i64, String)> = conn
            .prepare(
                "SELECT version, record FROM history WHERE execution = 'e' ORDER BY frame, version",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(rows, vec![(1, "one".to_owned()), (2, "two".to_owned())]);
        // The key is still unique: a replace overwrites, it does not add a row.
        conn.execute(
            "INSERT OR REPLACE INTO history (execution, frame, version, record)
             VALUES ('e', '0', 2, 'again')",
            [],
        )
        .unwrap();
        let count: i64 = conn
            .query_row("SELECT COUNT(*) FROM history", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 3);
    }

    #[test]
    fn version_2_fills_the_listing_columns_of_existing_executions() {
        let path = Path::new(":memory:");
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        let record =
            r#"{"info":{"state_machine_id":"arn:sm","start_time":42},"status":"SUCCEEDED"}"#;
        conn.execute(
            "INSERT INTO executions (arn, running, record) VALUES ('e', 0, ?1)",
            [record],
        )
        .unwrap();
        migrate(&mut conn, path).unwrap();
        let row: (String, i64, String) = conn
            .query_row(
                "SELECT state_machine, start_time, status FROM executions WHERE arn = 'e'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(row, ("arn:sm".to_owned(), 42, "SUCCEEDED".to_owned()));
    }
}
