//! Listing executions through the sparse index [`names::BY_STATE_MACHINE`], and each
//! execution's origin (the version or alias it was started through).

use stepwise_engine::catalog::{split_qualifier, ExecutionOrigin, Page};
use stepwise_engine::store;
use stepwise_engine::{ExecutionRecord, ExecutionStatus};

use super::{corrupt, page_of, parse, record_item};
use crate::dynamo::errors::from_sdk;
use crate::dynamo::items::{self, Item};
use crate::dynamo::keys;
use crate::dynamo::write::PutWrite;
use crate::dynamo::DynamoStore;
use crate::names;

const ORIGIN_SK: &str = "ORIGIN";
/// Executions fetched per listing `Query` beyond the page asked for: a status or
/// qualifier filter drops some, and one more tells whether a next page exists.
const EXECUTIONS_READ_AHEAD: i32 = 25;

/// The index's sort key: byte order is start order (see [`names::BY_STATE_MACHINE`]).
pub(crate) fn by_state_machine_sk(record: &ExecutionRecord) -> String {
    format!("{:020}#{}", record.info.start_time, record.info.id)
}

impl DynamoStore {
    /// Which version or alias an execution was started through.
    pub(super) async fn put_origin(
        &self,
        execution_arn: &str,
        origin: &ExecutionOrigin,
    ) -> store::Result<()> {
        let item = record_item(
            keys::execution_pk(execution_arn),
            ORIGIN_SK.to_owned(),
            origin,
        )?;
        self.put(PutWrite::new(item, None)).await.map(|_| ())
    }

    pub(super) async fn get_origin(
        &self,
        execution_arn: &str,
    ) -> store::Result<Option<ExecutionOrigin>> {
        self.catalog_get(keys::execution_pk(execution_arn), ORIGIN_SK.to_owned())
            .await?
            .map(|item| parse(&item))
            .transpose()
    }

    /// `ListExecutions`: one page, newest first, of a state machine's executions (of one
    /// version or alias when the ARN is qualified).
    pub(super) async fn executions_page(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        page: Option<String>,
        max: usize,
    ) -> store::Result<Page<ExecutionRecord>> {
        let (machine, qualifier) = split_qualifier(state_machine_arn);
        let max = max.max(1);
        let mut start = page
            .as_deref()
            .map(|token| executions_start(machine, token))
            .transpose()?;
        let mut found = Vec::new();
        // Filters apply after `Limit`: keep reading until one more than a page is found
        // (so `next` is given only when there is more) or the index ends.
        loop {
            let want = i32::try_from(max + 1 - found.len()).unwrap_or(i32::MAX / 2);
            let (items, last) = self
                .query_executions(machine, status, start, want + EXECUTIONS_READ_AHEAD)
                .await?;
            for item in &items {
                let record = items::execution_record(item)?;
                if let Some(qualifier) = qualifier {
                    let origin = self.get_origin(&record.info.id).await?;
                    if !origin.is_some_and(|o| o.matches(qualifier)) {
                        continue;
                    }
                }
                found.push((by_state_machine_sk(&record), record));
                if found.len() > max {
                    return Ok(page_of(found, max));
                }
            }
            match last {
                Some(key) => start = Some(key),
                None => return Ok(page_of(found, max)),
            }
        }
    }

    /// One page of the `by_state_machine` index, newest first.
    async fn query_executions(
        &self,
        machine: &str,
        status: Option<ExecutionStatus>,
        start: Option<Item>,
        limit: i32,
    ) -> store::Result<(Vec<Item>, Option<Item>)> {
        let index = names::BY_STATE_MACHINE;
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index.name)
            .key_condition_expression("#gpk = :machine")
            .expression_attribute_names("#gpk", index.partition_key)
            .expression_attribute_values(":machine", items::s(machine))
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(start);
        if let Some(status) = status {
            // `status` is a reserved word.
            request = request
                .filter_expression("#status = :status")
                .expression_attribute_names("#status", items::STATUS)
                .expression_attribute_values(":status", items::s(status.as_str()));
        }
        let output = request.send().await.map_err(|e| from_sdk("Query", e))?;
        Ok((output.items.unwrap_or_default(), output.last_evaluated_key))
    }
}

/// The index key a listing resumes after: rebuilt from the `gsi1sk` in the page token
/// (which ends with the execution's ARN, the table key's only variable part).
fn executions_start(machine: &str, token: &str) -> store::Result<Item> {
    let arn = token
        .split_once('#')
        .filter(|(time, arn)| time.len() == 20 && !arn.is_empty())
        .map(|(_, arn)| arn)
        .ok_or_else(|| {
            corrupt(
                "nextToken",
                format!("not an executions page token: {token}"),
            )
        })?;
    let index = names::BY_STATE_MACHINE;
    let mut key = items::key(keys::execution_pk(arn), keys::META.to_owned());
    key.insert(index.partition_key.to_owned(), items::s(machine));
    key.insert(index.sort_key.to_owned(), items::s(token));
    Ok(key)
}
