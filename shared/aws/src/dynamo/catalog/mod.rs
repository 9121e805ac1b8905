//! The [`Catalog`] on the one table, with the semantics of the in-memory reference
//! (`stepwise_engine::memory_catalog`).
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `SM#<name>` | `SM` | `record` (JSON [`StateMachineRecord`]) or `record_z`, `revision`, `latest_version`, `alias_writes` |
//! | `SM#<name>` | `V#<number:010>` | `record` (JSON [`VersionRecord`]) or `record_z` |
//! | `SM#<name>` | `ALIAS#<alias>` | `record` (JSON [`AliasRecord`]) |
//! | `SMS` | `<name>` | none: the listing index |
//! | `EX#<arn>` | `ORIGIN` | `record` (JSON [`ExecutionOrigin`]) |
//!
//! Listing state machines queries the fixed partition `SMS`, whose sort keys are the
//! names, so a page is one `Query` in name order plus one `GetItem` per name, rather than
//! a `Scan` of every execution item in the table. The index item is written in the same
//! transaction as the state machine; one left behind by an interrupted delete names no
//! state machine and is skipped. One partition holds every name: it is read only by
//! `ListStateMachines`, far below a partition's 3,000 reads per second.
//!
//! Executions are listed through the sparse index [`names::BY_STATE_MACHINE`], newest
//! first; page tokens are the `gsi1sk` of the last execution returned, from which the
//! whole `ExclusiveStartKey` is rebuilt. Within one millisecond the index orders
//! executions by ARN descending where the in-memory store orders them ascending.

use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};
use futures::{StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use stepwise_engine::catalog::{
    AliasRecord, Catalog, Change, ExecutionOrigin, Page, StateMachineRecord, VersionDeletion,
    VersionRecord,
};
use stepwise_engine::store::{self, Error};
use stepwise_engine::{ExecutionRecord, ExecutionStatus};

use super::errors::{cancellation_codes, cancelled_too_large, from_build, from_sdk};
use super::items::{self, Item};
use super::keys::{PK, SK};
use super::large;
use super::write::{Condition, PutWrite, Write};
use super::{DynamoStore, CONFLICT_ATTEMPTS};

mod aliases;
mod executions;

pub(crate) use executions::by_state_machine_sk;

const MACHINE_SK: &str = "SM";
const LISTING_PK: &str = "SMS";
const VERSION_PREFIX: &str = "V#";
const ALIAS_PREFIX: &str = "ALIAS#";
/// The state machine's revision id, beside the record: the condition of updates.
const REVISION: &str = "revision";
/// The highest version number drawn: versions are numbered from it, never reused.
const LATEST_VERSION: &str = "latest_version";
/// Counts the alias creations and updates: every one bumps it in its transaction, and a
/// version is deleted only while it is still the count read with the aliases, so an alias
/// made to route to the version meanwhile cancels the deletion.
const ALIAS_WRITES: &str = "alias_writes";
/// State machines read at once when listing.
const LISTING_PARALLELISM: usize = 8;

fn machine_pk(name: &str) -> String {
    format!("SM#{name}")
}

/// Ten digits: version numbers are range-read in number order.
fn version_sk(number: u64) -> String {
    format!("{VERSION_PREFIX}{number:010}")
}

fn alias_sk(name: &str) -> String {
    format!("{ALIAS_PREFIX}{name}")
}

fn corrupt(key: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Corrupt {
        key: key.into(),
        message: message.into(),
    }
}

fn record_item<T: Serialize>(pk: String, sk: String, record: &T) -> store::Result<Item> {
    let text =
        serde_json::to_string(record).map_err(|e| corrupt(format!("{pk}/{sk}"), e.to_string()))?;
    let mut item = items::key(pk, sk);
    large::put_json(&mut item, items::RECORD, text);
    Ok(item)
}

fn parse<T: DeserializeOwned>(item: &Item) -> store::Result<T> {
    let text = large::get_json(item, items::RECORD)
        .map_err(|e| corrupt(items::describe(item), format!("attribute record {e}")))?;
    serde_json::from_str(&text).map_err(|e| corrupt(items::describe(item), e.to_string()))
}

fn number_of(item: &Item, name: &str) -> store::Result<u64> {
    match item.get(name) {
        None => Ok(0),
        Some(AttributeValue::N(text)) => text
            .parse()
            .map_err(|_| corrupt(items::describe(item), format!("{name} = {text}"))),
        Some(_) => Err(corrupt(
            items::describe(item),
            format!("attribute {name} is not a number"),
        )),
    }
}

/// At most `max` (at least one) of `found`, and the page key of the last one kept when
/// more were found.
fn page_of<T>(mut found: Vec<(String, T)>, max: usize) -> Page<T> {
    let max = max.max(1);
    let next = if found.len() > max {
        found.truncate(max);
        found.last().map(|(key, _)| key.clone())
    } else {
        None
    };
    Page {
        items: found.into_iter().map(|(_, item)| item).collect(),
        next,
    }
}

fn limit(max: usize) -> i32 {
    i32::try_from(max.max(1)).unwrap_or(i32::MAX - 1) + 1
}

impl DynamoStore {
    async fn catalog_get(&self, pk: String, sk: String) -> store::Result<Option<Item>> {
        self.get(items::key(pk, sk)).await
    }

    async fn machine_item(&self, name: &str) -> store::Result<Option<Item>> {
        self.catalog_get(machine_pk(name), MACHINE_SK.to_owned())
            .await
    }

    /// Up to `limit` items of partition `pk` whose sort key starts with `prefix`, after
    /// the sort key `after`, in sort key order (descending unless `forward`).
    async fn query_prefix(
        &self,
        pk: &str,
        prefix: &str,
        forward: bool,
        after: Option<String>,
        limit: i32,
    ) -> store::Result<Vec<Item>> {
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":pk", items::s(pk));
        // DynamoDB refuses an empty string in a key condition: no prefix, no condition.
        request = if prefix.is_empty() {
            request.key_condition_expression("#pk = :pk")
        } else {
            request
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":prefix", items::s(prefix))
        };
        let output = request
            .consistent_read(true)
            .scan_index_forward(forward)
            .limit(limit)
            .set_exclusive_start_key(after.map(|sk| items::key(pk.to_owned(), sk)))
            .send()
            .await
            .map_err(|e| from_sdk("Query", e))?;
        Ok(output.items.unwrap_or_default())
    }

    async fn delete_item(&self, pk: String, sk: String) -> store::Result<bool> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(items::key(pk, sk)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| from_sdk("DeleteItem", e))?;
        Ok(output.attributes.is_some_and(|a| !a.is_empty()))
    }

    /// Draws the next version number and writes the version, in one transaction that
    /// holds only while the state machine is still at `revision` and `latest`. `false`
    /// when another publish or an update came first.
    async fn write_version(
        &self,
        version: &VersionRecord,
        revision: &str,
        latest: u64,
    ) -> store::Result<bool> {
        let bump = Update::builder()
            .table_name(&self.table)
            .set_key(Some(items::key(
                machine_pk(&version.state_machine),
                MACHINE_SK.to_owned(),
            )))
            .update_expression("SET #latest = :next")
            .condition_expression(
                "#revision = :revision AND (attribute_not_exists(#latest) OR #latest = :latest)",
            )
            .expression_attribute_names("#latest", LATEST_VERSION)
            .expression_attribute_names("#revision", REVISION)
            .expression_attribute_values(":next", items::n(version.number))
            .expression_attribute_values(":latest", items::n(latest))
            .expression_attribute_values(":revision", items::s(revision))
            .build()
            .map_err(from_build)?;
        let item = record_item(
            machine_pk(&version.state_machine),
            version_sk(version.number),
            version,
        )?;
        let guard = TransactWriteItem::builder().update(bump).build();
        match self.put_new_with(guard, item).await? {
            Ok(()) => Ok(true),
            // A failed condition or a concurrent transaction on the state machine: the
            // caller reads again and decides anew.
            Err(_) => Ok(false),
        }
    }

    /// Puts `item` (condition: absent) in one transaction with `guard`, the write or check
    /// it depends on. A cancelled transaction gives its reasons' codes (the guard's
    /// first), so each caller tells which condition failed.
    async fn put_new_with(
        &self,
        guard: TransactWriteItem,
        item: Item,
    ) -> store::Result<Result<(), Vec<String>>> {
        let absent = Condition::absent();
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(absent.expression)
            .set_expression_attribute_names(Some(absent.names))
            .build()
            .map_err(from_build)?;
        let put = TransactWriteItem::builder().put(put).build();
        self.transact_items(vec![guard, put]).await
    }

    /// Runs one transaction. A cancelled transaction gives its reasons' codes, in the
    /// order of `writes`, so each caller tells which condition failed.
    async fn transact_items(
        &self,
        writes: Vec<TransactWriteItem>,
    ) -> store::Result<Result<(), Vec<String>>> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Ok(())),
            Err(e) => match cancellation_codes(&e) {
                codes if codes.is_empty() || cancelled_too_large(&e) => {
                    Err(from_sdk("TransactWriteItems", e))
                }
                codes => Ok(Err(codes)),
            },
        }
    }
}

impl Catalog for DynamoStore {
    async fn create_state_machine(
        &self,
        record: StateMachineRecord,
    ) -> store::Result<Change<StateMachineRecord>> {
        let mut item = record_item(machine_pk(&record.name), MACHINE_SK.to_owned(), &record)?;
        item.insert(REVISION.to_owned(), items::s(&record.spec.revision_id));
        let listing = items::key(LISTING_PK.to_owned(), record.name.clone());
        let writes = [
            Write::Put(PutWrite::new(item, Some(Condition::absent()))),
            Write::Put(PutWrite::new(listing, None)),
        ];
        match self.transact(&writes).await? {
            Ok(()) => Ok(Change::Done(record)),
            Err(_) => Ok(Change::Conflict(self.state_machine(&record.name).await?)),
        }
    }

    async fn update_state_machine(
        &self,
        record: StateMachineRecord,
        expected_revision: &str,
    ) -> store::Result<Change<StateMachineRecord>> {
        // An update, not a put: `latest_version` must survive it.
        let content = record_item(String::new(), String::new(), &record)?;
        let plain = content.get(items::RECORD).cloned();
        let (set, remove, value) = match plain {
            Some(text) => ("record", "record_z", text),
            None => (
                "record_z",
                "record",
                content
                    .get("record_z")
                    .cloned()
                    .ok_or_else(|| corrupt(&record.name, "record not written"))?,
            ),
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(items::key(
                machine_pk(&record.name),
                MACHINE_SK.to_owned(),
            )))
            .update_expression("SET #set = :record, #revision = :new REMOVE #remove")
            .condition_expression("attribute_exists(#pk) AND #revision = :expected")
            .expression_attribute_names("#set", set)
            .expression_attribute_names("#remove", remove)
            .expression_attribute_names("#revision", REVISION)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":record", value)
            .expression_attribute_values(":new", items::s(&record.spec.revision_id))
            .expression_attribute_values(":expected", items::s(expected_revision))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Change::Done(record)),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                match self.state_machine(&record.name).await? {
                    Some(current) => Ok(Change::Conflict(Some(current))),
                    None => Ok(Change::Missing),
                }
            }
            Err(e) => Err(from_sdk("UpdateItem", e)),
        }
    }

    async fn state_machine(&self, name: &str) -> store::Result<Option<StateMachineRecord>> {
        self.machine_item(name)
            .await?
            .map(|item| parse(&item))
            .transpose()
    }

    async fn list_state_machines(
        &self,
        page: Option<String>,
        max: usize,
    ) -> store::Result<Page<StateMachineRecord>> {
        let listed = self
            .query_prefix(LISTING_PK, "", true, page, limit(max))
            .await?;
        let names = listed
            .iter()
            .map(|item| items::string(item, SK).map(str::to_owned))
            .collect::<store::Result<Vec<_>>>()?;
        let found: Vec<Option<StateMachineRecord>> = futures::stream::iter(names.clone())
            .map(|name| async move { self.state_machine(&name).await })
            .buffered(LISTING_PARALLELISM)
            .try_collect()
            .await?;
        // An index item whose state machine is gone (a delete cut short) lists nothing.
        let machines = names
            .into_iter()
            .zip(found)
            .filter_map(|(name, record)| record.map(|r| (name, r)))
            .collect();
        Ok(page_of(machines, max))
    }

    async fn delete_state_machine(&self, name: &str) -> store::Result<bool> {
        // The state machine first: from then on nothing can be created under it, and
        // what is left of an interrupted delete is unreachable.
        let existed = self
            .delete_item(machine_pk(name), MACHINE_SK.to_owned())
            .await?;
        let pk = machine_pk(name);
        loop {
            let rest = self.query_prefix(&pk, "", true, None, 100).await?;
            if rest.is_empty() {
                break;
            }
            for item in rest {
                let sk = items::string(&item, SK)?.to_owned();
                self.delete_item(pk.clone(), sk).await?;
            }
        }
        self.delete_item(LISTING_PK.to_owned(), name.to_owned())
            .await?;
        Ok(existed)
    }

    async fn publish_version(
        &self,
        name: &str,
        expected_revision: Option<&str>,
        description: Option<String>,
        now: i64,
    ) -> store::Result<Change<VersionRecord>> {
        for _ in 0..CONFLICT_ATTEMPTS {
            let Some(item) = self.machine_item(name).await? else {
                return Ok(Change::Missing);
            };
            let machine: StateMachineRecord = parse(&item)?;
            if expected_revision.is_some_and(|r| r != machine.spec.revision_id) {
                return Ok(Change::Conflict(None));
            }
            let latest = number_of(&item, LATEST_VERSION)?;
            if latest > 0 {
                if let Some(newest) = self.version(name, latest).await? {
                    if newest.spec.revision_id == machine.spec.revision_id {
                        return Ok(Change::Conflict(Some(newest)));
                    }
                }
            }
            let revision = machine.spec.revision_id.clone();
            let version = VersionRecord {
                state_machine: name.to_owned(),
                number: latest + 1,
                spec: machine.spec,
                description: description.clone(),
                created: now,
            };
            if self.write_version(&version, &revision, latest).await? {
                return Ok(Change::Done(version));
            }
        }
        Err(Error::Unavailable(format!(
            "publishing a version of {name}: still contended after {CONFLICT_ATTEMPTS} attempts"
        )))
    }

    async fn version(&self, name: &str, number: u64) -> store::Result<Option<VersionRecord>> {
        self.catalog_get(machine_pk(name), version_sk(number))
            .await?
            .map(|item| parse(&item))
            .transpose()
    }

    async fn list_versions(
        &self,
        name: &str,
        page: Option<String>,
        max: usize,
    ) -> store::Result<Page<VersionRecord>> {
        let after = page
            .map(|token| {
                token
                    .parse::<u64>()
                    .map(version_sk)
                    .map_err(|_| corrupt("nextToken", format!("not a version number: {token}")))
            })
            .transpose()?;
        let found = self
            .query_prefix(&machine_pk(name), VERSION_PREFIX, false, after, limit(max))
            .await?;
        let versions = found
            .iter()
            .map(|item| parse::<VersionRecord>(item).map(|v| (v.number.to_string(), v)))
            .collect::<store::Result<Vec<_>>>()?;
        Ok(page_of(versions, max))
    }

    async fn delete_version(&self, name: &str, number: u64) -> store::Result<VersionDeletion> {
        self.delete_unrouted_version(name, number).await
    }

    async fn create_alias(&self, alias: AliasRecord) -> store::Result<Change<AliasRecord>> {
        self.put_alias(alias, true).await
    }

    async fn update_alias(&self, alias: AliasRecord) -> store::Result<Change<AliasRecord>> {
        self.put_alias(alias, false).await
    }

    async fn alias(&self, state_machine: &str, name: &str) -> store::Result<Option<AliasRecord>> {
        self.catalog_get(machine_pk(state_machine), alias_sk(name))
            .await?
            .map(|item| parse(&item))
            .transpose()
    }

    async fn list_aliases(
        &self,
        state_machine: &str,
        page: Option<String>,
        max: usize,
    ) -> store::Result<Page<AliasRecord>> {
        let found = self
            .query_prefix(
                &machine_pk(state_machine),
                ALIAS_PREFIX,
                true,
                page.map(|name| alias_sk(&name)),
                limit(max),
            )
            .await?;
        let aliases = found
            .iter()
            .map(|item| parse::<AliasRecord>(item).map(|a| (a.name.clone(), a)))
            .collect::<store::Result<Vec<_>>>()?;
        Ok(page_of(aliases, max))
    }

    async fn delete_alias(&self, state_machine: &str, name: &str) -> store::Result<bool> {
        self.delete_item(machine_pk(state_machine), alias_sk(name))
            .await
    }

    async fn record_origin(
        &self,
        execution_arn: &str,
        origin: ExecutionOrigin,
    ) -> store::Result<()> {
        self.put_origin(execution_arn, &origin).await
    }

    async fn origin(&self, execution_arn: &str) -> store::Result<Option<ExecutionOrigin>> {
        self.get_origin(execution_arn).await
    }

    async fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        page: Option<String>,
        max: usize,
    ) -> store::Result<Page<ExecutionRecord>> {
        self.executions_page(state_machine_arn, status, page, max)
            .await
    }
}
