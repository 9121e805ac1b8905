//! Aliases and version deletion: every alias write bumps the state machine's
//! [`ALIAS_WRITES`] count and checks the versions it routes to in its transaction, so a
//! version deletion (conditional on the count it read) and an alias pointing at that
//! version never both succeed.

use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};
use stepwise_engine::catalog::{AliasRecord, Catalog, Change, VersionDeletion};
use stepwise_engine::store::{self, Error};

use super::{
    alias_sk, machine_pk, number_of, parse, record_item, version_sk, ALIAS_PREFIX, ALIAS_WRITES,
    MACHINE_SK,
};
use crate::dynamo::errors::from_build;
use crate::dynamo::items;
use crate::dynamo::keys::PK;
use crate::dynamo::write::Condition;
use crate::dynamo::{DynamoStore, CONFLICT_ATTEMPTS};

impl DynamoStore {
    /// The writes every alias put goes with: the state machine must exist and its
    /// [`ALIAS_WRITES`] count is bumped, and each version routed to must exist.
    fn alias_guards(&self, alias: &AliasRecord) -> store::Result<Vec<TransactWriteItem>> {
        let pk = machine_pk(&alias.state_machine);
        let bump = Update::builder()
            .table_name(&self.table)
            .set_key(Some(items::key(pk.clone(), MACHINE_SK.to_owned())))
            .update_expression("SET #writes = if_not_exists(#writes, :zero) + :one")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#writes", ALIAS_WRITES)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":zero", items::n(0u64))
            .expression_attribute_values(":one", items::n(1u64))
            .build()
            .map_err(from_build)?;
        let mut guards = vec![TransactWriteItem::builder().update(bump).build()];
        for route in &alias.routing {
            let exists = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(items::key(pk.clone(), version_sk(route.version))))
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .build()
                .map_err(from_build)?;
            guards.push(TransactWriteItem::builder().condition_check(exists).build());
        }
        Ok(guards)
    }

    /// Every alias of a state machine.
    async fn all_aliases(&self, name: &str) -> store::Result<Vec<AliasRecord>> {
        let pk = machine_pk(name);
        let mut aliases = Vec::new();
        let mut after = None;
        loop {
            let found = self
                .query_prefix(&pk, ALIAS_PREFIX, true, after, 100)
                .await?;
            let full = found.len() == 100;
            for item in &found {
                aliases.push(parse::<AliasRecord>(item)?);
            }
            match aliases.last() {
                Some(last) if full => after = Some(alias_sk(&last.name)),
                _ => return Ok(aliases),
            }
        }
    }

    /// Deletes a version unless an alias routes to it. The alias-write count read with
    /// the aliases guards the delete: an alias written meanwhile cancels it.
    pub(super) async fn delete_unrouted_version(
        &self,
        name: &str,
        number: u64,
    ) -> store::Result<VersionDeletion> {
        let pk = machine_pk(name);
        for _ in 0..CONFLICT_ATTEMPTS {
            let Some(machine) = self.machine_item(name).await? else {
                return Ok(VersionDeletion::Absent);
            };
            if self.version(name, number).await?.is_none() {
                return Ok(VersionDeletion::Absent);
            }
            // The count first: an alias written after it moves it, and cancels the delete.
            let writes = number_of(&machine, ALIAS_WRITES)?;
            let routing_here: Vec<String> = self
                .all_aliases(name)
                .await?
                .into_iter()
                .filter(|a| a.routing.iter().any(|r| r.version == number))
                .map(|a| a.name)
                .collect();
            if !routing_here.is_empty() {
                return Ok(VersionDeletion::Referenced(routing_here));
            }
            let unchanged = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(items::key(pk.clone(), MACHINE_SK.to_owned())))
                .condition_expression(
                    "attribute_exists(#pk) AND \
                     (attribute_not_exists(#writes) OR #writes = :writes)",
                )
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#writes", ALIAS_WRITES)
                .expression_attribute_values(":writes", items::n(writes))
                .build()
                .map_err(from_build)?;
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(items::key(pk.clone(), version_sk(number))))
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .build()
                .map_err(from_build)?;
            let transaction = vec![
                TransactWriteItem::builder()
                    .condition_check(unchanged)
                    .build(),
                TransactWriteItem::builder().delete(delete).build(),
            ];
            if self.transact_items(transaction).await?.is_ok() {
                return Ok(VersionDeletion::Deleted);
            }
            // An alias was written, the version or state machine went, or a concurrent
            // transaction interfered: read again and decide anew.
        }
        Err(Error::Unavailable(format!(
            "deleting version {number} of {name}: still contended after {CONFLICT_ATTEMPTS} attempts"
        )))
    }

    /// Creates (`create`: only if absent) or replaces (only if present) an alias, with
    /// its guards in one transaction.
    pub(super) async fn put_alias(
        &self,
        alias: AliasRecord,
        create: bool,
    ) -> store::Result<Change<AliasRecord>> {
        let item = record_item(
            machine_pk(&alias.state_machine),
            alias_sk(&alias.name),
            &alias,
        )?;
        let mut writes = self.alias_guards(&alias)?;
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = if create {
            let absent = Condition::absent();
            put.condition_expression(absent.expression)
                .set_expression_attribute_names(Some(absent.names))
        } else {
            put.condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PK)
        };
        writes.push(
            TransactWriteItem::builder()
                .put(put.build().map_err(from_build)?)
                .build(),
        );
        let put_at = writes.len() - 1;
        let failed = |codes: &[String], at: usize| {
            codes.get(at).is_some_and(|c| c == "ConditionalCheckFailed")
        };
        match self.transact_items(writes).await? {
            Ok(()) => Ok(Change::Done(alias)),
            // The state machine or a version routed to is gone, or (an update) the alias.
            Err(codes) if (0..put_at).any(|at| failed(&codes, at)) => Ok(Change::Missing),
            Err(codes) if failed(&codes, put_at) && !create => Ok(Change::Missing),
            Err(codes) if failed(&codes, put_at) => {
                let existing = self.alias(&alias.state_machine, &alias.name).await?;
                Ok(Change::Conflict(existing))
            }
            // Cancelled by a concurrent transaction: the caller's retry decides anew.
            Err(codes) => Err(Error::Unavailable(format!(
                "TransactWriteItems cancelled: {}",
                codes.join(", ")
            ))),
        }
    }
}
