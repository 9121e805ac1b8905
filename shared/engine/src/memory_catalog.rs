//! The catalog on the in-memory store: records kept as JSON strings under keys shaped
//! like the DynamoDB table's (`SM#<name>#META`, `SM#<name>#V#<n>`, `SM#<name>#ALIAS#<a>`,
//! `EXO#<execution arn>`), each method atomic under the store's lock.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::catalog::{
    split_qualifier, AliasRecord, Catalog, Change, ExecutionOrigin, Page, Route,
    StateMachineRecord, VersionDeletion, VersionRecord,
};
use crate::memory::MemoryStore;
use crate::records::{ExecutionRecord, ExecutionStatus};
use crate::store::{Error, Result};

type Items = HashMap<String, String>;

fn machine_key(name: &str) -> String {
    format!("SM#{name}#META")
}

fn versions_prefix(name: &str) -> String {
    format!("SM#{name}#V#")
}

/// Zero-padded so that key order is number order.
fn version_key(name: &str, number: u64) -> String {
    format!("{}{number:020}", versions_prefix(name))
}

/// The highest version number drawn (a JSON number): numbers are never reused, even
/// after the newest version is deleted.
fn latest_key(name: &str) -> String {
    format!("SM#{name}#LATEST")
}

/// Whether every version `routing` names exists.
fn versions_exist(items: &Items, name: &str, routing: &[Route]) -> bool {
    routing
        .iter()
        .all(|r| items.contains_key(&version_key(name, r.version)))
}

fn aliases_prefix(name: &str) -> String {
    format!("SM#{name}#ALIAS#")
}

fn origin_key(arn: &str) -> String {
    format!("EXO#{arn}")
}

fn read<T: DeserializeOwned>(items: &Items, key: &str) -> Result<Option<T>> {
    items
        .get(key)
        .map(|text| {
            serde_json::from_str(text).map_err(|e| Error::Corrupt {
                key: key.to_owned(),
                message: e.to_string(),
            })
        })
        .transpose()
}

fn write<T: Serialize>(items: &mut Items, key: String, value: &T) -> Result<()> {
    let text = serde_json::to_string(value).map_err(|e| Error::Corrupt {
        key: key.clone(),
        message: e.to_string(),
    })?;
    items.insert(key, text);
    Ok(())
}

/// Every record under `prefix`, in key order.
fn scan<T: DeserializeOwned>(items: &Items, prefix: &str) -> Result<Vec<(String, T)>> {
    let mut keys: Vec<&String> = items.keys().filter(|k| k.starts_with(prefix)).collect();
    keys.sort();
    keys.into_iter()
        .map(|key| {
            let record = read(items, key)?.ok_or_else(|| Error::Corrupt {
                key: key.clone(),
                message: "vanished during a scan".to_owned(),
            })?;
            Ok((key[prefix.len()..].to_owned(), record))
        })
        .collect()
}

/// Up to `max` of `sorted` (each with its page key) after the key `after`.
fn paginate<T>(sorted: Vec<(String, T)>, after: Option<String>, max: usize) -> Page<T> {
    let max = max.max(1);
    let mut rest = sorted
        .into_iter()
        .skip_while(|(key, _)| after.as_ref().is_some_and(|after| key <= after))
        .peekable();
    let mut items = Vec::new();
    let mut last = None;
    while items.len() < max {
        let Some((key, item)) = rest.next() else {
            break;
        };
        last = Some(key);
        items.push(item);
    }
    let next = rest.peek().and(last);
    Page { items, next }
}

impl Catalog for MemoryStore {
    async fn create_state_machine(
        &self,
        record: StateMachineRecord,
    ) -> Result<Change<StateMachineRecord>> {
        self.with_items(|items, _| {
            let key = machine_key(&record.name);
            if let Some(existing) = read(items, &key)? {
                return Ok(Change::Conflict(Some(existing)));
            }
            write(items, key, &record)?;
            Ok(Change::Done(record))
        })
    }

    async fn update_state_machine(
        &self,
        record: StateMachineRecord,
        expected_revision: &str,
    ) -> Result<Change<StateMachineRecord>> {
        self.with_items(|items, _| {
            let key = machine_key(&record.name);
            let Some(current) = read::<StateMachineRecord>(items, &key)? else {
                return Ok(Change::Missing);
            };
            if current.spec.revision_id != expected_revision {
                return Ok(Change::Conflict(Some(current)));
            }
            write(items, key, &record)?;
            Ok(Change::Done(record))
        })
    }

    async fn state_machine(&self, name: &str) -> Result<Option<StateMachineRecord>> {
        self.with_items(|items, _| read(items, &machine_key(name)))
    }

    async fn list_state_machines(
        &self,
        page: Option<String>,
        max: usize,
    ) -> Result<Page<StateMachineRecord>> {
        self.with_items(|items, _| {
            let mut keys: Vec<&String> = items
                .keys()
                .filter(|k| k.starts_with("SM#") && k.ends_with("#META"))
                .collect();
            keys.sort();
            let mut machines = Vec::new();
            for key in keys {
                if let Some(record) = read::<StateMachineRecord>(items, key)? {
                    machines.push((record.name.clone(), record));
                }
            }
            machines.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(paginate(machines, page, max))
        })
    }

    async fn delete_state_machine(&self, name: &str) -> Result<bool> {
        self.with_items(|items, _| {
            let existed = items.remove(&machine_key(name)).is_some();
            let prefix = format!("SM#{name}#");
            items.retain(|key, _| !key.starts_with(&prefix));
            Ok(existed)
        })
    }

    async fn publish_version(
        &self,
        name: &str,
        expected_revision: Option<&str>,
        description: Option<String>,
        now: i64,
    ) -> Result<Change<VersionRecord>> {
        self.with_items(|items, _| {
            let Some(machine) = read::<StateMachineRecord>(items, &machine_key(name))? else {
                return Ok(Change::Missing);
            };
            if expected_revision.is_some_and(|r| r != machine.spec.revision_id) {
                return Ok(Change::Conflict(None));
            }
            let latest = read::<u64>(items, &latest_key(name))?.unwrap_or(0);
            let newest = read::<VersionRecord>(items, &version_key(name, latest))?;
            if let Some(newest) = newest.filter(|v| v.spec.revision_id == machine.spec.revision_id)
            {
                return Ok(Change::Conflict(Some(newest)));
            }
            let number = latest + 1;
            write(items, latest_key(name), &number)?;
            let version = VersionRecord {
                state_machine: name.to_owned(),
                number,
                spec: machine.spec,
                description,
                created: now,
            };
            write(items, version_key(name, number), &version)?;
            Ok(Change::Done(version))
        })
    }

    async fn version(&self, name: &str, number: u64) -> Result<Option<VersionRecord>> {
        self.with_items(|items, _| read(items, &version_key(name, number)))
    }

    async fn list_versions(
        &self,
        name: &str,
        page: Option<String>,
        max: usize,
    ) -> Result<Page<VersionRecord>> {
        self.with_items(|items, _| {
            let mut versions = scan::<VersionRecord>(items, &versions_prefix(name))?;
            versions.reverse();
            // Newest first: page keys must grow along the list, so count down.
            let keyed = versions
                .into_iter()
                .map(|(_, v)| (format!("{:020}", u64::MAX - v.number), v))
                .collect();
            Ok(paginate(keyed, page, max))
        })
    }

    async fn delete_version(&self, name: &str, number: u64) -> Result<VersionDeletion> {
        self.with_items(|items, _| {
            let key = version_key(name, number);
            if !items.contains_key(&key) {
                return Ok(VersionDeletion::Absent);
            }
            let routing_here: Vec<String> = scan::<AliasRecord>(items, &aliases_prefix(name))?
                .into_iter()
                .filter(|(_, a)| a.routing.iter().any(|r| r.version == number))
                .map(|(_, a)| a.name)
                .collect();
            if !routing_here.is_empty() {
                return Ok(VersionDeletion::Referenced(routing_here));
            }
            items.remove(&key);
            Ok(VersionDeletion::Deleted)
        })
    }

    async fn create_alias(&self, alias: AliasRecord) -> Result<Change<AliasRecord>> {
        self.with_items(|items, _| {
            if !items.contains_key(&machine_key(&alias.state_machine))
                || !versions_exist(items, &alias.state_machine, &alias.routing)
            {
                return Ok(Change::Missing);
            }
            let key = format!("{}{}", aliases_prefix(&alias.state_machine), alias.name);
            if let Some(existing) = read(items, &key)? {
                return Ok(Change::Conflict(Some(existing)));
            }
            write(items, key, &alias)?;
            Ok(Change::Done(alias))
        })
    }

    async fn update_alias(&self, alias: AliasRecord) -> Result<Change<AliasRecord>> {
        self.with_items(|items, _| {
            let key = format!("{}{}", aliases_prefix(&alias.state_machine), alias.name);
            if !items.contains_key(&key)
                || !versions_exist(items, &alias.state_machine, &alias.routing)
            {
                return Ok(Change::Missing);
            }
            write(items, key, &alias)?;
            Ok(Change::Done(alias))
        })
    }

    async fn alias(&self, state_machine: &str, name: &str) -> Result<Option<AliasRecord>> {
        self.with_items(|items, _| read(items, &format!("{}{name}", aliases_prefix(state_machine))))
    }

    async fn list_aliases(
        &self,
        state_machine: &str,
        page: Option<String>,
        max: usize,
    ) -> Result<Page<AliasRecord>> {
        self.with_items(|items, _| {
            let aliases = scan(items, &aliases_prefix(state_machine))?;
            Ok(paginate(aliases, page, max))
        })
    }

    async fn delete_alias(&self, state_machine: &str, name: &str) -> Result<bool> {
        self.with_items(|items, _| {
            let key = format!("{}{name}", aliases_prefix(state_machine));
            Ok(items.remove(&key).is_some())
        })
    }

    async fn record_origin(&self, execution_arn: &str, origin: ExecutionOrigin) -> Result<()> {
        self.with_items(|items, _| write(items, origin_key(execution_arn), &origin))
    }

    async fn origin(&self, execution_arn: &str) -> Result<Option<ExecutionOrigin>> {
        self.with_items(|items, _| read(items, &origin_key(execution_arn)))
    }

    async fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        page: Option<String>,
        max: usize,
    ) -> Result<Page<ExecutionRecord>> {
        let (machine, qualifier) = split_qualifier(state_machine_arn);
        self.with_items(|items, executions| {
            let mut keyed = Vec::new();
            for e in executions.values() {
                if e.info.state_machine_id != machine || status.is_some_and(|s| e.status != s) {
                    continue;
                }
                if let Some(qualifier) = qualifier {
                    let origin: Option<ExecutionOrigin> = read(items, &origin_key(&e.info.id))?;
                    if !origin.is_some_and(|o| o.matches(qualifier)) {
                        continue;
                    }
                }
                // Newest first: the page key counts the start time down so that it
                // grows along the list; the ARN breaks ties within one millisecond.
                let age = i64::MAX - e.info.start_time;
                keyed.push((format!("{age:020}#{}", e.info.id), e.clone()));
            }
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(paginate(keyed, page, max))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{MachineSpec, MachineType};

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

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

    #[test]
    fn creates_once_and_updates_only_at_the_revision_read() {
        block_on(async {
            let store = MemoryStore::default();
            let created = store
                .create_state_machine(machine("a", "r1"))
                .await
                .unwrap();
            assert_eq!(created, Change::Done(machine("a", "r1")));
            let again = store
                .create_state_machine(machine("a", "r9"))
                .await
                .unwrap();
            assert_eq!(again, Change::Conflict(Some(machine("a", "r1"))));
            let stale = store.update_state_machine(machine("a", "r2"), "r0").await;
            assert!(matches!(stale.unwrap(), Change::Conflict(_)));
            let fresh = store.update_state_machine(machine("a", "r2"), "r1").await;
            assert_eq!(fresh.unwrap(), Change::Done(machine("a", "r2")));
            let missing = store.update_state_machine(machine("b", "r2"), "r1").await;
            assert_eq!(missing.unwrap(), Change::Missing);
        });
    }

    #[test]
    fn lists_state_machines_by_name_a_page_at_a_time() {
        block_on(async {
            let store = MemoryStore::default();
            for name in ["c", "a", "b"] {
                store
                    .create_state_machine(machine(name, "r"))
                    .await
                    .unwrap();
            }
            let first = store.list_state_machines(None, 2).await.unwrap();
            let names: Vec<_> = first.items.iter().map(|m| m.name.as_str()).collect();
            assert_eq!(names, ["a", "b"]);
            let second = store.list_state_machines(first.next, 2).await.unwrap();
            let names: Vec<_> = second.items.iter().map(|m| m.name.as_str()).collect();
            assert_eq!((names, second.next), (vec!["c"], None));
        });
    }

    #[test]
    fn publishes_numbered_versions_once_per_revision() {
        block_on(async {
            let store = MemoryStore::default();
            store
                .create_state_machine(machine("a", "r1"))
                .await
                .unwrap();
            let v1 = store.publish_version("a", None, None, 5).await.unwrap();
            assert!(matches!(&v1, Change::Done(v) if v.number == 1));
            let same = store.publish_version("a", None, None, 6).await.unwrap();
            assert!(matches!(&same, Change::Conflict(Some(v)) if v.number == 1));
            store
                .update_state_machine(machine("a", "r2"), "r1")
                .await
                .unwrap();
            let wrong = store
                .publish_version("a", Some("r1"), None, 7)
                .await
                .unwrap();
            assert_eq!(wrong, Change::Conflict(None));
            let v2 = store
                .publish_version("a", Some("r2"), None, 7)
                .await
                .unwrap();
            assert!(matches!(&v2, Change::Done(v) if v.number == 2));
            let listed = store.list_versions("a", None, 1).await.unwrap();
            assert_eq!(listed.items[0].number, 2);
            let rest = store.list_versions("a", listed.next, 1).await.unwrap();
            assert_eq!((rest.items[0].number, rest.next), (1, None));
            assert_eq!(
                store.publish_version("zz", None, None, 1).await.unwrap(),
                Change::Missing
            );
        });
    }

    #[test]
    fn deleting_a_state_machine_removes_its_versions_and_aliases() {
        block_on(async {
            let store = MemoryStore::default();
            store
                .create_state_machine(machine("a", "r1"))
                .await
                .unwrap();
            store
                .create_state_machine(machine("ab", "r1"))
                .await
                .unwrap();
            store.publish_version("a", None, None, 1).await.unwrap();
            let alias = AliasRecord {
                state_machine: "a".into(),
                name: "live".into(),
                description: None,
                routing: vec![Route {
                    version: 1,
                    weight: 100,
                }],
                created: 1,
                updated: 1,
            };
            assert!(matches!(
                store.create_alias(alias.clone()).await.unwrap(),
                Change::Done(_)
            ));
            assert!(matches!(
                store.create_alias(alias).await.unwrap(),
                Change::Conflict(Some(_))
            ));
            assert!(store.delete_state_machine("a").await.unwrap());
            assert_eq!(store.version("a", 1).await.unwrap(), None);
            assert_eq!(store.alias("a", "live").await.unwrap(), None);
            assert!(store.state_machine("ab").await.unwrap().is_some());
            assert!(!store.delete_state_machine("a").await.unwrap());
        });
    }

    #[test]
    fn lists_a_state_machines_executions_newest_first_by_status() {
        use crate::{Config, Engine, StartRequest};
        block_on(async {
            let engine = Engine::new(
                MemoryStore::default(),
                crate::memory::MemoryQueue::default(),
                Config::local(),
            );
            let pass = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
            let wait = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}"#;
            for (machine, definition, name) in
                [("a", pass, "one"), ("a", wait, "two"), ("b", pass, "other")]
            {
                let request = StartRequest::new(machine, definition, serde_json::json!({}));
                engine.start(request.named(name)).await.unwrap();
            }
            let arn = "arn:aws:states:local:000000000000:stateMachine:a";
            let store = engine.store();
            let all = store.list_executions(arn, None, None, 10).await.unwrap();
            let mut names: Vec<_> = all.items.iter().map(|e| e.info.name.as_str()).collect();
            names.sort();
            assert_eq!(names, ["one", "two"]);
            let running = store
                .list_executions(arn, Some(ExecutionStatus::Running), None, 10)
                .await
                .unwrap();
            assert_eq!(running.items.len(), 1);
            assert_eq!(running.items[0].info.name, "two");
            let first = store.list_executions(arn, None, None, 1).await.unwrap();
            let second = store
                .list_executions(arn, None, first.next, 1)
                .await
                .unwrap();
            assert_eq!(second.next, None);
            assert!(
                first.items[0].info.start_time >= second.items[0].info.start_time,
                "newest first"
            );
            assert_ne!(first.items[0].info.name, second.items[0].info.name);

            let two = "arn:aws:states:local:000000000000:execution:a:two";
            let origin = ExecutionOrigin {
                version: Some(3),
                alias: Some("live".into()),
            };
            store.record_origin(two, origin).await.unwrap();
            for qualifier in ["3", "live"] {
                let qualified = format!("{arn}:{qualifier}");
                let listed = store.list_executions(&qualified, None, None, 10).await;
                let names: Vec<_> = listed
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|e| e.info.name)
                    .collect();
                assert_eq!(names, ["two"], "{qualified}");
            }
            let other = store
                .list_executions(&format!("{arn}:4"), None, None, 10)
                .await;
            assert!(other.unwrap().items.is_empty());
        });
    }
}
