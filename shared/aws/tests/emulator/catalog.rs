//! The catalog contract: each scenario runs on the in-memory reference catalog and on
//! DynamoDB, checks its own expectations on both, and the two logs must be equal.

use serde_json::json;
use stepwise_engine::catalog::{
    AliasRecord, Catalog, Change, ExecutionOrigin, MachineSpec, MachineType, Page, Route,
    StateMachineRecord, VersionDeletion,
};
use stepwise_engine::memory::MemoryStore;
use stepwise_engine::store::Store;
use stepwise_engine::{ExecutionRecord, ExecutionStatus};

use crate::support::{creation, ended, unique, Fixture};

macro_rules! on_both_catalogs {
    ($tag:literal, $scenario:ident) => {{
        let Some(fixture) = Fixture::new($tag).await else {
            return;
        };
        let prefix = unique($tag);
        let memory = $scenario(&MemoryStore::default(), &prefix).await;
        let dynamo = $scenario(&fixture.store(), &prefix).await;
        assert_eq!(memory, dynamo, "memory (left) and DynamoDB (right) differ");
        fixture.clean_up().await;
    }};
}

fn machine(name: &str, revision: &str) -> StateMachineRecord {
    StateMachineRecord {
        name: name.to_owned(),
        spec: MachineSpec {
            definition: format!(
                r#"{{"StartAt":"P","States":{{"P":{{"Type":"Pass","End":true,"Comment":"{revision}"}}}}}}"#
            ),
            role_arn: "arn:aws:iam::000000000000:role/r".to_owned(),
            kind: MachineType::Standard,
            revision_id: revision.to_owned(),
        },
        description: None,
        created: 1,
        updated: 1,
    }
}

fn alias(machine: &str, name: &str, routing: &[(u64, u32)]) -> AliasRecord {
    AliasRecord {
        state_machine: machine.to_owned(),
        name: name.to_owned(),
        description: None,
        routing: routing
            .iter()
            .map(|&(version, weight)| Route { version, weight })
            .collect(),
        created: 2,
        updated: 2,
    }
}

/// Every page of a listing, following each store's own tokens.
async fn all_pages<T, F, Fut>(mut list: F) -> Vec<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Page<T>>,
{
    let mut pages = Vec::new();
    let mut token = None;
    loop {
        let page = list(token).await;
        pages.push(page.items);
        match page.next {
            Some(next) => token = Some(next),
            None => return pages,
        }
    }
}

async fn machines_lifecycle<S: Catalog>(catalog: &S, prefix: &str) -> Vec<String> {
    let mut log = Vec::new();
    let names: Vec<String> = ["c", "a", "b"]
        .iter()
        .map(|n| format!("{prefix}-{n}"))
        .collect();
    for name in &names {
        let created = catalog
            .create_state_machine(machine(name, "r1"))
            .await
            .unwrap();
        assert_eq!(created, Change::Done(machine(name, "r1")));
    }
    let again = catalog
        .create_state_machine(machine(&names[0], "other"))
        .await
        .unwrap();
    assert_eq!(again, Change::Conflict(Some(machine(&names[0], "r1"))));

    let mut updated = machine(&names[0], "r2");
    updated.description = Some("second".into());
    updated.updated = 5;
    let stale = catalog
        .update_state_machine(updated.clone(), "r0")
        .await
        .unwrap();
    assert_eq!(stale, Change::Conflict(Some(machine(&names[0], "r1"))));
    let done = catalog
        .update_state_machine(updated.clone(), "r1")
        .await
        .unwrap();
    assert_eq!(done, Change::Done(updated.clone()));
    let missing = catalog
        .update_state_machine(machine(&format!("{prefix}-none"), "r2"), "r1")
        .await
        .unwrap();
    assert_eq!(missing, Change::Missing);
    assert_eq!(
        catalog.state_machine(&names[0]).await.unwrap(),
        Some(updated)
    );

    let pages =
        all_pages(|token| async move { catalog.list_state_machines(token, 2).await.unwrap() })
            .await;
    let listed: Vec<Vec<String>> = pages
        .iter()
        .map(|p| p.iter().map(|m| m.name.clone()).collect())
        .collect();
    assert_eq!(
        listed,
        vec![
            vec![names[1].clone(), names[2].clone()],
            vec![names[0].clone()]
        ]
    );
    log.push(format!("{pages:?}"));

    assert!(catalog.delete_state_machine(&names[1]).await.unwrap());
    assert!(!catalog.delete_state_machine(&names[1]).await.unwrap());
    assert_eq!(catalog.state_machine(&names[1]).await.unwrap(), None);
    let after = catalog.list_state_machines(None, 10).await.unwrap();
    log.push(format!("{after:?}"));
    log
}

async fn versions_and_aliases<S: Catalog>(catalog: &S, prefix: &str) -> Vec<String> {
    let mut log = Vec::new();
    let name = format!("{prefix}-sm");
    assert_eq!(
        catalog.publish_version(&name, None, None, 3).await.unwrap(),
        Change::Missing
    );
    catalog
        .create_state_machine(machine(&name, "r1"))
        .await
        .unwrap();
    let v1 = catalog
        .publish_version(&name, Some("r1"), Some("first".into()), 3)
        .await
        .unwrap();
    let Change::Done(v1) = v1 else {
        panic!("publish: {v1:?}")
    };
    assert_eq!(v1.number, 1);
    // Publishing the same revision again makes no new version.
    let twice = catalog.publish_version(&name, None, None, 4).await.unwrap();
    assert_eq!(twice, Change::Conflict(Some(v1.clone())));
    assert_eq!(
        catalog
            .publish_version(&name, Some("r0"), None, 4)
            .await
            .unwrap(),
        Change::Conflict(None)
    );
    for revision in ["r2", "r3"] {
        let current = catalog.state_machine(&name).await.unwrap().unwrap();
        let next = machine(&name, revision);
        catalog
            .update_state_machine(next, &current.spec.revision_id)
            .await
            .unwrap();
        let published = catalog.publish_version(&name, None, None, 5).await.unwrap();
        log.push(format!("{published:?}"));
    }
    assert_eq!(catalog.version(&name, 1).await.unwrap(), Some(v1));
    assert_eq!(catalog.version(&name, 9).await.unwrap(), None);
    let pages = all_pages(|token| {
        let name = name.clone();
        async move { catalog.list_versions(&name, token, 2).await.unwrap() }
    })
    .await;
    let numbers: Vec<Vec<u64>> = pages
        .iter()
        .map(|p| p.iter().map(|v| v.number).collect())
        .collect();
    assert_eq!(numbers, vec![vec![3, 2], vec![1]]);

    let missing = catalog
        .create_alias(alias(&format!("{prefix}-none"), "live", &[(1, 100)]))
        .await
        .unwrap();
    assert_eq!(missing, Change::Missing);
    let live = alias(&name, "live", &[(1, 70), (2, 30)]);
    assert_eq!(
        catalog.create_alias(live.clone()).await.unwrap(),
        Change::Done(live.clone())
    );
    let again = catalog
        .create_alias(alias(&name, "live", &[(3, 100)]))
        .await
        .unwrap();
    assert_eq!(again, Change::Conflict(Some(live.clone())));
    let beta = alias(&name, "beta", &[(3, 100)]);
    catalog.create_alias(beta.clone()).await.unwrap();
    let moved = alias(&name, "live", &[(2, 100)]);
    assert_eq!(
        catalog.update_alias(moved.clone()).await.unwrap(),
        Change::Done(moved.clone())
    );
    assert_eq!(
        catalog
            .update_alias(alias(&name, "gone", &[(1, 100)]))
            .await
            .unwrap(),
        Change::Missing
    );
    assert_eq!(catalog.alias(&name, "live").await.unwrap(), Some(moved));
    let pages = all_pages(|token| {
        let name = name.clone();
        async move { catalog.list_aliases(&name, token, 1).await.unwrap() }
    })
    .await;
    log.push(format!("{pages:?}"));
    assert!(catalog.delete_alias(&name, "beta").await.unwrap());
    assert!(!catalog.delete_alias(&name, "beta").await.unwrap());

    // Deleting the state machine takes its versions and aliases along.
    assert!(catalog.delete_state_machine(&name).await.unwrap());
    assert_eq!(catalog.version(&name, 1).await.unwrap(), None);
    assert_eq!(catalog.alias(&name, "live").await.unwrap(), None);
    catalog
        .create_state_machine(machine(&name, "r9"))
        .await
        .unwrap();
    assert!(catalog
        .list_versions(&name, None, 10)
        .await
        .unwrap()
        .items
        .is_empty());
    log
}

async fn version_deletion<S: Catalog>(catalog: &S, prefix: &str) -> Vec<String> {
    let mut log = Vec::new();
    let name = format!("{prefix}-sm");
    catalog
        .create_state_machine(machine(&name, "r1"))
        .await
        .unwrap();
    for revision in 1..=3u64 {
        if revision > 1 {
            let (from, to) = (format!("r{}", revision - 1), format!("r{revision}"));
            catalog
                .update_state_machine(machine(&name, &to), &from)
                .await
                .unwrap();
        }
        let published = catalog.publish_version(&name, None, None, 3).await.unwrap();
        assert!(matches!(published, Change::Done(v) if v.number == revision));
    }
    let live = alias(&name, "live", &[(2, 100)]);
    catalog.create_alias(live.clone()).await.unwrap();
    assert_eq!(
        catalog.delete_version(&name, 2).await.unwrap(),
        VersionDeletion::Referenced(vec!["live".into()])
    );
    assert!(catalog.version(&name, 2).await.unwrap().is_some());
    assert_eq!(
        catalog.delete_version(&name, 1).await.unwrap(),
        VersionDeletion::Deleted
    );
    assert_eq!(catalog.version(&name, 1).await.unwrap(), None);
    assert_eq!(
        catalog.delete_version(&name, 1).await.unwrap(),
        VersionDeletion::Absent
    );
    assert_eq!(
        catalog
            .delete_version(&format!("{prefix}-none"), 1)
            .await
            .unwrap(),
        VersionDeletion::Absent
    );
    // A deleted version cannot be routed to.
    assert_eq!(
        catalog
            .create_alias(alias(&name, "old", &[(1, 100)]))
            .await
            .unwrap(),
        Change::Missing
    );
    assert_eq!(
        catalog
            .update_alias(alias(&name, "live", &[(1, 50), (2, 50)]))
            .await
            .unwrap(),
        Change::Missing
    );
    assert_eq!(catalog.alias(&name, "live").await.unwrap(), Some(live));
    // The newest version deleted, its number is not drawn again.
    assert_eq!(
        catalog.delete_version(&name, 3).await.unwrap(),
        VersionDeletion::Deleted
    );
    let republished = catalog.publish_version(&name, None, None, 4).await.unwrap();
    assert!(matches!(&republished, Change::Done(v) if v.number == 4));
    log.push(format!("{republished:?}"));
    let repointed = catalog
        .update_alias(alias(&name, "live", &[(4, 100)]))
        .await
        .unwrap();
    assert!(matches!(repointed, Change::Done(_)));
    assert_eq!(
        catalog.delete_version(&name, 2).await.unwrap(),
        VersionDeletion::Deleted
    );
    let left = catalog.list_versions(&name, None, 10).await.unwrap();
    let numbers: Vec<u64> = left.items.iter().map(|v| v.number).collect();
    assert_eq!(numbers, [4]);
    log
}

/// A listing: the ARN, the status filter, the page size and the pages expected (ARN suffixes).
type ListingCase = (
    String,
    Option<ExecutionStatus>,
    usize,
    Vec<Vec<&'static str>>,
);

fn started(prefix: &str, machine_arn: &str, index: i64) -> ExecutionRecord {
    let arn = format!("arn:aws:states:us-east-1:000000000000:execution:sm:{prefix}-{index}");
    let mut record = creation(&arn, json!({"i": index})).execution;
    record.info.start_time = 1_700_000_000_000 + index * 1000;
    record.info.state_machine_id = machine_arn.to_owned();
    record
}

async fn executions_listed<S: Store + Catalog>(store: &S, prefix: &str) -> Vec<String> {
    let mut log = Vec::new();
    let machine_arn = format!("arn:aws:states:us-east-1:000000000000:stateMachine:{prefix}");
    let other_arn = format!("{machine_arn}-other");
    for index in 0..5 {
        let record = started(prefix, &machine_arn, index);
        let mut creation = creation(&record.info.id, json!({"i": index}));
        creation.execution = record.clone();
        if index % 2 == 0 {
            creation.root.finish = Some(ended(&record, ExecutionStatus::Succeeded));
        }
        store.create(creation).await.unwrap();
        let origin = ExecutionOrigin {
            version: Some(if index < 3 { 1 } else { 2 }),
            alias: (index == 4).then(|| "live".to_owned()),
        };
        store.record_origin(&record.info.id, origin).await.unwrap();
    }
    let other = started(&format!("{prefix}x"), &other_arn, 9);
    let mut elsewhere = creation(&other.info.id, json!({}));
    elsewhere.execution = other;
    store.create(elsewhere).await.unwrap();

    let names = |pages: &Vec<Vec<ExecutionRecord>>| -> Vec<Vec<String>> {
        pages
            .iter()
            .map(|p| {
                p.iter()
                    .map(|e| e.info.id.rsplit('-').next().unwrap().to_owned())
                    .collect()
            })
            .collect()
    };
    let cases: [ListingCase; 5] = [
        (
            machine_arn.clone(),
            None,
            2,
            vec![vec!["4", "3"], vec!["2", "1"], vec!["0"]],
        ),
        (
            machine_arn.clone(),
            Some(ExecutionStatus::Running),
            1,
            vec![vec!["3"], vec!["1"]],
        ),
        (
            format!("{machine_arn}:1"),
            None,
            2,
            vec![vec!["2", "1"], vec!["0"]],
        ),
        (format!("{machine_arn}:live"), None, 5, vec![vec!["4"]]),
        (
            format!("{machine_arn}:2"),
            Some(ExecutionStatus::Succeeded),
            5,
            vec![vec!["4"]],
        ),
    ];
    for (arn, status, max, expected) in cases {
        let pages = all_pages(|token| {
            let arn = arn.clone();
            async move {
                store
                    .list_executions(&arn, status, token, max)
                    .await
                    .unwrap()
            }
        })
        .await;
        let expected: Vec<Vec<String>> = expected
            .iter()
            .map(|p| p.iter().map(|s| (*s).to_owned()).collect())
            .collect();
        assert_eq!(names(&pages), expected, "{arn} {status:?} by {max}");
        log.push(format!("{pages:?}"));
    }
    let none = store
        .list_executions(&format!("{machine_arn}-none"), None, None, 10)
        .await
        .unwrap();
    assert_eq!(
        none,
        Page {
            items: vec![],
            next: None
        }
    );
    assert_eq!(
        store
            .origin(&started(prefix, &machine_arn, 4).info.id)
            .await
            .unwrap(),
        Some(ExecutionOrigin {
            version: Some(2),
            alias: Some("live".into())
        })
    );
    log
}

#[tokio::test]
async fn state_machines_are_created_updated_listed_and_deleted() {
    on_both_catalogs!("cat-sm", machines_lifecycle);
}

#[tokio::test]
async fn versions_are_published_once_per_revision_and_aliases_route_to_them() {
    on_both_catalogs!("cat-ver", versions_and_aliases);
}

#[tokio::test]
async fn versions_are_deleted_unless_an_alias_routes_to_them() {
    on_both_catalogs!("cat-delv", version_deletion);
}

#[tokio::test]
async fn executions_are_listed_newest_first_by_status_version_and_alias() {
    on_both_catalogs!("cat-exec", executions_listed);
}

/// What the API's common calls cost in DynamoDB requests: the numbers the cost estimate
/// rests on.
#[tokio::test]
async fn catalog_calls_cost_a_fixed_number_of_requests() {
    let Some(fixture) = Fixture::new("cat-cost").await else {
        return;
    };
    let store = fixture.store();
    let prefix = unique("cost");
    let count = |what: &str| {
        let counts = fixture.counter.snapshot();
        fixture.counter.reset();
        println!("{what}: {counts:?}");
        counts
    };
    let name = format!("{prefix}-sm");
    store
        .create_state_machine(machine(&name, "r1"))
        .await
        .unwrap();
    let created = count("create_state_machine");
    assert_eq!(created.get("DynamoDB.TransactWriteItems"), Some(&1));
    assert_eq!(created.values().sum::<u64>(), 1);

    store.publish_version(&name, None, None, 1).await.unwrap();
    let published = count("publish_version (first)");
    assert_eq!(published.get("DynamoDB.GetItem"), Some(&1));
    assert_eq!(published.get("DynamoDB.TransactWriteItems"), Some(&1));

    let machine_arn = format!("arn:aws:states:us-east-1:000000000000:stateMachine:{prefix}");
    for index in 0..3 {
        let record = started(&prefix, &machine_arn, index);
        let mut creation = creation(&record.info.id, json!({}));
        creation.execution = record;
        store.create(creation).await.unwrap();
    }
    count("creates");
    let page = store
        .list_executions(&machine_arn, None, None, 2)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert!(page.next.is_some());
    let listed = count("list_executions (one page)");
    assert_eq!(listed.get("DynamoDB.Query"), Some(&1));
    assert_eq!(listed.values().sum::<u64>(), 1);

    let machines = store.list_state_machines(None, 100).await.unwrap();
    assert!(machines.items.iter().any(|m| m.name == name));
    let listing = count("list_state_machines");
    assert_eq!(listing.get("DynamoDB.Query"), Some(&1));
    assert_eq!(
        listing.get("DynamoDB.GetItem").copied(),
        Some(machines.items.len() as u64)
    );
    fixture.clean_up().await;
}

/// An alias made to route to a version and the version's deletion, racing: never both.
/// A transaction cancelled by the other is an error for its caller to retry, never a
/// success; whatever the outcome, no alias is left routing to a deleted version.
#[tokio::test]
async fn an_alias_and_the_deletion_of_its_version_never_both_win() {
    let Some(fixture) = Fixture::new("cat-race").await else {
        return;
    };
    let store = fixture.store();
    let name = format!("{}-sm", unique("cat-race"));
    store
        .create_state_machine(machine(&name, "r1"))
        .await
        .unwrap();
    for revision in 1..=4u64 {
        if revision > 1 {
            let (from, to) = (format!("r{}", revision - 1), format!("r{revision}"));
            store
                .update_state_machine(machine(&name, &to), &from)
                .await
                .unwrap();
        }
        store.publish_version(&name, None, None, 1).await.unwrap();
    }
    for number in 1..=4u64 {
        let alias_name = format!("to-{number}");
        let (created, deleted) = tokio::join!(
            store.create_alias(alias(&name, &alias_name, &[(number, 100)])),
            store.delete_version(&name, number),
        );
        let created = matches!(created, Ok(Change::Done(_)));
        let deleted = matches!(deleted, Ok(VersionDeletion::Deleted));
        assert!(!(created && deleted), "both won for version {number}");
        let alias_left = store.alias(&name, &alias_name).await.unwrap();
        let version_left = store.version(&name, number).await.unwrap();
        assert!(
            alias_left.is_none() || version_left.is_some(),
            "an alias routes to deleted version {number}"
        );
    }
    fixture.clean_up().await;
}
