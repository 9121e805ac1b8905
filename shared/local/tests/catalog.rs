//! The catalog contract: every scenario runs on `MemoryStore` (the reference) and on
//! `SqliteStore`, checks the expected results on each, and requires the two to agree
//! on every answer (page tokens aside: they are opaque and each store makes its own).

mod support;

use std::fmt::Debug;

use serde_json::json;
use stepwise_engine::catalog::{
    AliasRecord, Catalog, Change, ExecutionOrigin, MachineSpec, MachineType, Page, Route,
    StateMachineRecord, VersionDeletion,
};
use stepwise_engine::{Clock, Engine, ExecutionStatus, Queue, StartRequest, Store, TaskInvoker};
use support::{memory_engine, sqlite_engine, TempDb, T0};

fn machine(name: &str, revision: &str) -> StateMachineRecord {
    StateMachineRecord {
        name: name.to_owned(),
        spec: MachineSpec {
            definition: "{}".to_owned(),
            role_arn: "arn:aws:iam::1:role/r".to_owned(),
            kind: MachineType::Standard,
            revision_id: revision.to_owned(),
        },
        description: None,
        created: 1,
        updated: 1,
    }
}

fn alias(name: &str, routing: &[(u64, u32)]) -> AliasRecord {
    AliasRecord {
        state_machine: "a".into(),
        name: name.into(),
        description: Some("d".into()),
        routing: routing
            .iter()
            .map(|&(version, weight)| Route { version, weight })
            .collect(),
        created: 1,
        updated: 2,
    }
}

/// Every page of a listing, following the tokens, as the items of each page.
async fn all_pages<T, F, Fut>(mut list: F) -> Vec<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = stepwise_engine::store::Result<Page<T>>>,
{
    let mut pages = Vec::new();
    let mut token = None;
    loop {
        let page = list(token).await.expect("list");
        pages.push(page.items);
        match page.next {
            Some(next) => token = Some(next),
            None => return pages,
        }
        assert!(pages.len() < 100, "endless paging");
    }
}

/// A transcript of one scenario: each answer rendered with `Debug`, so two stores'
/// transcripts compare line by line.
#[derive(Default)]
struct Transcript(Vec<String>);

impl Transcript {
    fn note(&mut self, label: &str, value: &impl Debug) {
        self.0.push(format!("{label}: {value:?}"));
    }
}

async fn machines_and_versions<S: Catalog>(store: &S) -> Transcript {
    let mut t = Transcript::default();
    let created = store
        .create_state_machine(machine("a", "r1"))
        .await
        .expect("store call");
    assert_eq!(created, Change::Done(machine("a", "r1")));
    let again = store
        .create_state_machine(machine("a", "r9"))
        .await
        .expect("store call");
    assert_eq!(again, Change::Conflict(Some(machine("a", "r1"))));
    let stale = store
        .update_state_machine(machine("a", "r2"), "r0")
        .await
        .expect("store call");
    assert_eq!(stale, Change::Conflict(Some(machine("a", "r1"))));
    let missing = store
        .update_state_machine(machine("zz", "r2"), "r1")
        .await
        .expect("store call");
    assert_eq!(missing, Change::Missing);
    t.note("created", &(created, again, stale, missing));

    let v1 = store
        .publish_version("a", None, None, 5)
        .await
        .expect("store call");
    assert!(matches!(&v1, Change::Done(v) if v.number == 1 && v.spec.revision_id == "r1"));
    let same = store
        .publish_version("a", None, None, 6)
        .await
        .expect("store call");
    assert!(matches!(&same, Change::Conflict(Some(v)) if v.number == 1));
    let fresh = store
        .update_state_machine(machine("a", "r2"), "r1")
        .await
        .expect("store call");
    assert_eq!(fresh, Change::Done(machine("a", "r2")));
    let wrong = store.publish_version("a", Some("r1"), None, 7).await;
    assert_eq!(wrong.expect("store call"), Change::Conflict(None));
    let v2 = store
        .publish_version("a", Some("r2"), Some("second".into()), 7)
        .await
        .expect("store call");
    assert!(matches!(&v2, Change::Done(v) if v.number == 2));
    for revision in ["r3", "r4"] {
        let previous = store
            .state_machine("a")
            .await
            .expect("store call")
            .expect("store call");
        let next = machine("a", revision);
        let updated = store
            .update_state_machine(next, &previous.spec.revision_id)
            .await;
        assert!(matches!(updated.expect("store call"), Change::Done(_)));
        store
            .publish_version("a", None, None, 8)
            .await
            .expect("store call");
    }
    let pages = all_pages(|token| store.list_versions("a", token, 3)).await;
    let numbers: Vec<Vec<u64>> = pages
        .iter()
        .map(|page| page.iter().map(|v| v.number).collect())
        .collect();
    assert_eq!(numbers, [vec![4, 3, 2], vec![1]], "newest first, 3 a page");
    assert_eq!(
        store
            .version("a", 2)
            .await
            .expect("store call")
            .expect("store call")
            .description,
        Some("second".into())
    );
    assert_eq!(store.version("a", 9).await.expect("store call"), None);
    assert_eq!(
        store
            .publish_version("zz", None, None, 1)
            .await
            .expect("store call"),
        Change::Missing
    );
    t.note("versions", &(v1, same, fresh, v2, pages));

    for name in ["c", "b", "ab"] {
        store
            .create_state_machine(machine(name, "r"))
            .await
            .expect("store call");
    }
    let pages = all_pages(|token| store.list_state_machines(token, 2)).await;
    let names: Vec<Vec<&str>> = pages
        .iter()
        .map(|page| page.iter().map(|m| m.name.as_str()).collect())
        .collect();
    assert_eq!(names, [vec!["a", "ab"], vec!["b", "c"]]);
    t.note("machines", &pages);
    t
}

async fn aliases_and_deletion<S: Catalog>(store: &S) -> Transcript {
    let mut t = Transcript::default();
    let orphan = store.create_alias(alias("live", &[(1, 100)])).await;
    assert_eq!(
        orphan.expect("store call"),
        Change::Missing,
        "no state machine yet"
    );
    store
        .create_state_machine(machine("a", "r1"))
        .await
        .expect("store call");
    store
        .create_state_machine(machine("ab", "r1"))
        .await
        .expect("store call");
    store
        .publish_version("a", None, None, 1)
        .await
        .expect("store call");
    store
        .publish_version("ab", None, None, 1)
        .await
        .expect("store call");
    // A second version of `a`, for the two-way routings below.
    store
        .update_state_machine(machine("a", "r2"), "r1")
        .await
        .expect("store call");
    store
        .publish_version("a", None, None, 2)
        .await
        .expect("store call");
    for name in ["live", "beta", "canary"] {
        let made = store
            .create_alias(alias(name, &[(1, 100)]))
            .await
            .expect("store call");
        assert_eq!(made, Change::Done(alias(name, &[(1, 100)])));
    }
    let twice = store.create_alias(alias("live", &[(1, 50), (2, 50)])).await;
    assert_eq!(
        twice.expect("store call"),
        Change::Conflict(Some(alias("live", &[(1, 100)])))
    );
    let moved = store.update_alias(alias("live", &[(1, 70), (2, 30)])).await;
    assert_eq!(
        moved.expect("store call"),
        Change::Done(alias("live", &[(1, 70), (2, 30)]))
    );
    let absent = store.update_alias(alias("nope", &[(1, 100)])).await;
    assert_eq!(absent.expect("store call"), Change::Missing);
    let pages = all_pages(|token| store.list_aliases("a", token, 2)).await;
    let names: Vec<Vec<&str>> = pages
        .iter()
        .map(|page| page.iter().map(|a| a.name.as_str()).collect())
        .collect();
    assert_eq!(names, [vec!["beta", "canary"], vec!["live"]]);
    assert!(store.delete_alias("a", "beta").await.expect("store call"));
    assert!(!store.delete_alias("a", "beta").await.expect("store call"));
    assert_eq!(store.alias("a", "beta").await.expect("store call"), None);
    t.note(
        "aliases",
        &(pages, store.alias("a", "live").await.expect("store call")),
    );

    assert!(store.delete_state_machine("a").await.expect("store call"));
    assert!(!store.delete_state_machine("a").await.expect("store call"));
    assert_eq!(store.state_machine("a").await.expect("store call"), None);
    assert_eq!(store.version("a", 1).await.expect("store call"), None);
    assert_eq!(store.alias("a", "live").await.expect("store call"), None);
    assert!(
        store.version("ab", 1).await.expect("store call").is_some(),
        "a prefix survives"
    );
    // A state machine made again under the deleted name numbers its versions afresh.
    store
        .create_state_machine(machine("a", "r5"))
        .await
        .expect("store call");
    let renewed = store
        .publish_version("a", None, None, 9)
        .await
        .expect("store call");
    assert!(matches!(&renewed, Change::Done(v) if v.number == 1));
    t.note("renewed", &renewed);
    t
}

/// Publishes versions 1..=3 of `a`, one per revision `r1`..`r3`.
async fn three_versions<S: Catalog>(store: &S) {
    store
        .create_state_machine(machine("a", "r1"))
        .await
        .expect("store call");
    for revision in 1..=3 {
        if revision > 1 {
            let (from, to) = (format!("r{}", revision - 1), format!("r{revision}"));
            store
                .update_state_machine(machine("a", &to), &from)
                .await
                .expect("store call");
        }
        let published = store.publish_version("a", None, None, revision).await;
        assert!(
            matches!(published.expect("store call"), Change::Done(v) if v.number == revision as u64)
        );
    }
}

async fn version_deletion<S: Catalog>(store: &S) -> Transcript {
    let mut t = Transcript::default();
    three_versions(store).await;
    let live = alias("live", &[(2, 100)]);
    assert_eq!(
        store.create_alias(live.clone()).await.expect("store call"),
        Change::Done(live.clone())
    );
    let referenced = store.delete_version("a", 2).await.expect("store call");
    assert_eq!(referenced, VersionDeletion::Referenced(vec!["live".into()]));
    assert!(store.version("a", 2).await.expect("store call").is_some());

    let deleted = store.delete_version("a", 1).await.expect("store call");
    assert_eq!(deleted, VersionDeletion::Deleted);
    assert_eq!(store.version("a", 1).await.expect("store call"), None);
    let again = store.delete_version("a", 1).await.expect("store call");
    assert_eq!(again, VersionDeletion::Absent, "deleting twice is no error");
    let nowhere = store.delete_version("nope", 1).await.expect("store call");
    assert_eq!(nowhere, VersionDeletion::Absent);
    // A deleted version cannot be routed to.
    let to_deleted = store.create_alias(alias("old", &[(1, 100)])).await;
    assert_eq!(to_deleted.expect("store call"), Change::Missing);
    let moved = store.update_alias(alias("live", &[(1, 50), (2, 50)])).await;
    assert_eq!(moved.expect("store call"), Change::Missing);
    assert_eq!(
        store.alias("a", "live").await.expect("store call"),
        Some(live)
    );

    // The newest version deleted, its number is not given out again, even for the
    // revision it held.
    let newest = store.delete_version("a", 3).await.expect("store call");
    assert_eq!(newest, VersionDeletion::Deleted);
    let republished = store
        .publish_version("a", None, None, 4)
        .await
        .expect("store call");
    assert!(matches!(&republished, Change::Done(v) if v.number == 4 && v.spec.revision_id == "r3"));
    t.note("republished", &republished);
    let repointed = store.update_alias(alias("live", &[(4, 100)])).await;
    assert!(matches!(repointed.expect("store call"), Change::Done(_)));
    let freed = store.delete_version("a", 2).await.expect("store call");
    assert_eq!(
        freed,
        VersionDeletion::Deleted,
        "no alias routes to it any more"
    );
    let left = store
        .list_versions("a", None, 10)
        .await
        .expect("store call");
    let numbers: Vec<u64> = left.items.iter().map(|v| v.number).collect();
    assert_eq!(numbers, [4]);
    t.note("left", &left.items);
    t
}

const PASS: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
const WAIT: &str = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}"#;
const ARN: &str = "arn:aws:states:local:000000000000:stateMachine:a";

/// Starts executions of `a` (and one of `b`) a millisecond or none apart, so that the
/// listing's order by start time and its tie-break by ARN are both exercised.
async fn executions<S, Q, T, C>(engine: &Engine<S, Q, T, C>, advance: impl Fn(i64)) -> Transcript
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    let mut t = Transcript::default();
    let starts = [
        ("a", PASS, "one", 0),
        ("a", WAIT, "two", 1),
        ("a", PASS, "three-b", 1),
        ("a", WAIT, "three-a", 0),
        ("b", PASS, "other", 0),
        ("a", WAIT, "four", 1),
    ];
    for (machine, definition, name, later) in starts {
        advance(later);
        let request = StartRequest::new(machine, definition, json!({})).named(name);
        engine.start(request).await.expect("store call");
    }
    let store = engine.store();
    let names = |pages: &[Vec<stepwise_engine::ExecutionRecord>]| -> Vec<Vec<String>> {
        pages
            .iter()
            .map(|page| page.iter().map(|e| e.info.name.clone()).collect())
            .collect()
    };
    let pages = all_pages(|token| store.list_executions(ARN, None, token, 2)).await;
    assert_eq!(
        names(&pages),
        [vec!["four", "three-a"], vec!["three-b", "two"], vec!["one"]],
        "newest first, ties by ARN"
    );
    t.note("all", &names(&pages));
    let running =
        all_pages(|token| store.list_executions(ARN, Some(ExecutionStatus::Running), token, 10))
            .await;
    assert_eq!(names(&running), [vec!["four", "three-a", "two"]]);
    t.note("running", &names(&running));
    let origin = |version, alias: Option<&str>| ExecutionOrigin {
        version,
        alias: alias.map(str::to_owned),
    };
    let two = "arn:aws:states:local:000000000000:execution:a:two";
    let four = "arn:aws:states:local:000000000000:execution:a:four";
    store
        .record_origin(two, origin(Some(3), Some("live")))
        .await
        .expect("store call");
    store
        .record_origin(four, origin(Some(4), None))
        .await
        .expect("store call");
    assert_eq!(
        store.origin(two).await.expect("store call"),
        Some(origin(Some(3), Some("live")))
    );
    assert_eq!(store.origin("arn:none").await.expect("store call"), None);
    for (qualifier, expected) in [
        ("3", vec!["two"]),
        ("live", vec!["two"]),
        ("4", vec!["four"]),
    ] {
        let qualified = format!("{ARN}:{qualifier}");
        let pages = all_pages(|token| store.list_executions(&qualified, None, token, 10)).await;
        assert_eq!(names(&pages), [expected], "{qualified}");
        t.note(qualifier, &names(&pages));
    }
    let none = store
        .list_executions(&format!("{ARN}:5"), None, None, 10)
        .await
        .expect("store call");
    assert!(none.items.is_empty() && none.next.is_none());
    let other = store
        .list_executions(
            "arn:aws:states:local:000000000000:stateMachine:b",
            None,
            None,
            10,
        )
        .await
        .expect("store call");
    t.note(
        "other",
        &other.items.iter().map(|e| &e.info.name).collect::<Vec<_>>(),
    );
    t
}

/// A test that runs `$scenario` on a fresh MemoryStore and a fresh SqliteStore and
/// expects the same transcript.
macro_rules! agrees_with_memory {
    ($test:ident, $scenario:ident) => {
        #[tokio::test]
        async fn $test() {
            let memory = memory_engine(T0);
            let db = TempDb::new("catalog");
            let sqlite = sqlite_engine(&db, T0);
            same(
                $scenario(memory.store()).await,
                $scenario(sqlite.store()).await,
            );
        }
    };
}

fn same(memory: Transcript, sqlite: Transcript) {
    assert_eq!(memory.0.len(), sqlite.0.len());
    for (m, s) in memory.0.iter().zip(&sqlite.0) {
        assert_eq!(m, s, "MemoryStore and SqliteStore disagree");
    }
}

agrees_with_memory!(
    state_machines_and_versions_agree_with_memory,
    machines_and_versions
);

agrees_with_memory!(aliases_and_deletion_agree_with_memory, aliases_and_deletion);

agrees_with_memory!(version_deletion_agrees_with_memory, version_deletion);

#[tokio::test]
async fn execution_listings_agree_with_memory() {
    let memory = memory_engine(T0);
    let db = TempDb::new("catalog");
    let sqlite = sqlite_engine(&db, T0);
    let expected = executions(&memory, |ms| {
        memory.clock().advance_to(memory.clock().now() + ms)
    })
    .await;
    let actual = executions(&sqlite, |ms| {
        sqlite.clock().advance_to(sqlite.clock().now() + ms)
    })
    .await;
    same(expected, actual);
}

#[tokio::test]
async fn the_catalog_survives_reopening_the_file() {
    let db = TempDb::new("catalog");
    {
        let engine = sqlite_engine(&db, T0);
        let store = engine.store();
        store
            .create_state_machine(machine("a", "r1"))
            .await
            .expect("store call");
        store
            .publish_version("a", None, None, 1)
            .await
            .expect("store call");
        engine
            .start(StartRequest::new("a", PASS, json!({})).named("x"))
            .await
            .expect("store call");
    }
    let engine = sqlite_engine(&db, T0);
    let store = engine.store();
    assert_eq!(
        store.state_machine("a").await.expect("store call"),
        Some(machine("a", "r1"))
    );
    let next = store
        .publish_version("a", None, None, 2)
        .await
        .expect("store call");
    assert!(matches!(next, Change::Conflict(Some(v)) if v.number == 1));
    let listed = store
        .list_executions(ARN, None, None, 10)
        .await
        .expect("store call");
    assert_eq!(listed.items.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_and_publishes_have_one_winner() {
    let db = TempDb::new("catalog");
    let engine = std::sync::Arc::new(sqlite_engine(&db, T0));
    let mut creates = tokio::task::JoinSet::new();
    for index in 0..8 {
        let engine = std::sync::Arc::clone(&engine);
        creates.spawn(async move {
            let record = machine("race", &format!("r{index}"));
            engine.store().create_state_machine(record).await
        });
    }
    let mut done = 0;
    while let Some(result) = creates.join_next().await {
        match result.expect("task").expect("store call") {
            Change::Done(_) => done += 1,
            Change::Conflict(Some(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(done, 1, "one create wins");
    let mut publishes = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let engine = std::sync::Arc::clone(&engine);
        publishes.spawn(async move { engine.store().publish_version("race", None, None, 1).await });
    }
    let mut numbers = Vec::new();
    while let Some(result) = publishes.join_next().await {
        match result.expect("task").expect("store call") {
            Change::Done(v) => numbers.push(v.number),
            Change::Conflict(Some(v)) => assert_eq!(v.number, 1, "the one version"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(numbers, [1], "one revision, one version");
}

/// An alias made to route to a version and the version's deletion, racing: never both.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_alias_and_version_deletion_never_both_win() {
    let db = TempDb::new("catalog");
    let engine = std::sync::Arc::new(sqlite_engine(&db, T0));
    three_versions(engine.store()).await;
    for number in 1..=3u64 {
        let name = format!("to-{number}");
        let creating = {
            let engine = std::sync::Arc::clone(&engine);
            let made = alias(&name, &[(number, 100)]);
            tokio::spawn(async move { engine.store().create_alias(made).await })
        };
        let deleting = {
            let engine = std::sync::Arc::clone(&engine);
            tokio::spawn(async move { engine.store().delete_version("a", number).await })
        };
        let created = creating.await.expect("task").expect("store call");
        let deleted = deleting.await.expect("task").expect("store call");
        match (&created, &deleted) {
            (Change::Done(_), VersionDeletion::Referenced(names)) => assert_eq!(names, &[name]),
            (Change::Missing, VersionDeletion::Deleted) => {}
            other => panic!("both or neither won: {other:?}"),
        }
        let kept = engine
            .store()
            .version("a", number)
            .await
            .expect("store call");
        assert_eq!(kept.is_some(), matches!(created, Change::Done(_)));
    }
}
