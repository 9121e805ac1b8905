//! ListMapRuns and DescribeMapRun: each run of a Distributed Map state, read from the
//! execution's definition and history ([`crate::map_run_history`]).

use serde_json::{json, Value};
use stepwise_core::interp::map_run;
use stepwise_engine::{Catalog, Clock, ExecutionRecord, Queue, Store, TaskInvoker};

use crate::errors::{ApiError, Result};
use crate::map_run_children::ChildItems;
use crate::map_run_history::{self as runs, Counts, MapRun};
use crate::protocol::{date, Input};
use crate::Api;

/// How many executions one `DescribeMapRun` lists at a time while looking for the one
/// its ARN names.
const SCAN_PAGE: usize = 1000;

impl<S, Q, T, C> Api<S, Q, T, C>
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    pub(crate) async fn list_map_runs(&self, input: &Input) -> Result<Value> {
        let arn = input.required("executionArn")?;
        let max = input.max_results()?;
        let skip = input.offset_token()?;
        self.arns.check_execution(arn)?;
        let (record, found) = self.map_runs_of(arn).await?;
        let total = found.len();
        let page: Vec<Value> = found
            .iter()
            .skip(skip)
            .take(max)
            .map(|(run, _)| {
                let mut item = json!({
                    "executionArn": arn,
                    "mapRunArn": self.map_run_arn(&record, run, &found),
                    "stateMachineArn": record.info.state_machine_id,
                    "startDate": date(run.start),
                });
                if let Some(stop) = run.stop {
                    item["stopDate"] = date(stop);
                }
                item
            })
            .collect();
        let mut output = json!({"mapRuns": page});
        if skip + max < total {
            output["nextToken"] = (skip + max).to_string().into();
        }
        Ok(output)
    }

    pub(crate) async fn describe_map_run(&self, input: &Input) -> Result<Value> {
        let arn = input.required("mapRunArn")?;
        let found = self.find_map_run(arn).await?;
        let items = self.items_of(&found).await?;
        Ok(describe(arn, &found, items.as_ref()))
    }

    /// The Map Run `arn` names, with its execution and Map state.
    pub(crate) async fn find_map_run(&self, arn: &str) -> Result<FoundRun> {
        let (machine, id) = self.arns.parse_map_run(arn)?;
        let missing = || ApiError::resource_missing("Map Run", arn);
        let wanted = map_run::execution_hash(id).ok_or_else(missing)?;
        // The ARN names the state machine and, in its id, a hash of the execution's ARN:
        // the executions of that state machine are looked through for it.
        let machine_arn = self.arns.machine(machine);
        let mut page = None;
        loop {
            let listed = self
                .engine
                .store()
                .list_executions(&machine_arn, None, page, SCAN_PAGE)
                .await?;
            for candidate in &listed.items {
                if map_run::fnv1a(candidate.arn().as_bytes()) != wanted {
                    continue;
                }
                let (record, found) = self.map_runs_of(candidate.arn()).await?;
                for (run, map) in &found {
                    if self.map_run_arn(&record, run, &found) == arn {
                        return Ok(FoundRun {
                            record,
                            run: run.clone(),
                            map: map.clone(),
                        });
                    }
                }
            }
            match listed.next {
                Some(next) => page = Some(next),
                None => return Err(missing()),
            }
        }
    }

    /// The execution and its Map Runs with their Map states' settings.
    async fn map_runs_of(
        &self,
        arn: &str,
    ) -> Result<(ExecutionRecord, Vec<(MapRun, runs::DistributedMap)>)> {
        let (record, text) = self.execution_with_definition(arn).await?;
        let definition: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let maps = runs::distributed_maps(&definition);
        if maps.is_empty() {
            return Ok((record, Vec::new()));
        }
        let history = self.engine.history(arn).await?;
        let found = runs::map_runs(&history, &maps)
            .into_iter()
            .filter_map(|run| Some((run.clone(), maps.get(&run.state)?.clone())))
            .collect();
        Ok((record, found))
    }

    fn map_run_arn(
        &self,
        record: &ExecutionRecord,
        run: &MapRun,
        found: &[(MapRun, runs::DistributedMap)],
    ) -> String {
        let label = found
            .iter()
            .find(|(r, _)| r.state == run.state)
            .map_or(run.state.as_str(), |(_, map)| map.label.as_str());
        map_run::map_run_arn(
            record.arn(),
            &record.info.state_machine_name,
            label,
            &run.state,
            run.entered_id,
        )
    }
}

/// A Map Run found by its ARN.
pub(crate) struct FoundRun {
    pub record: ExecutionRecord,
    pub run: MapRun,
    pub map: runs::DistributedMap,
}

/// The `DescribeMapRun` answer. `items`: the run's item count and each child's, when an
/// ItemBatcher made children of several items.
fn describe(arn: &str, found: &FoundRun, items: Option<&ChildItems>) -> Value {
    let FoundRun {
        record, run, map, ..
    } = found;
    let (counts, item_counts) = match items {
        Some(items) => (
            run.weighed(items.children, |_| 1),
            run.weighed(items.total, |i| items.of(i)),
        ),
        None => (run.counts(), run.counts()),
    };
    let mut output = json!({
        "mapRunArn": arn,
        "executionArn": record.arn(),
        "status": run.status.as_str(),
        "startDate": date(run.start),
        "maxConcurrency": map.max_concurrency,
        "toleratedFailurePercentage": map.tolerated_percentage,
        "toleratedFailureCount": map.tolerated_count,
        "itemCounts": counts_json(&item_counts),
        "executionCounts": counts_json(&counts),
        // A redrive of the execution re-runs the Map as a new run: this one is never
        // redriven.
        "redriveCount": 0,
    });
    if let Some(stop) = run.stop {
        output["stopDate"] = date(stop);
    }
    output
}

/// `MapRunItemCounts` / `MapRunExecutionCounts`. No ResultWriter writes results yet, so
/// `resultsWritten` is 0; a child's timeout is counted as its failure (its iteration
/// event does not say which error ended it).
fn counts_json(counts: &Counts) -> Value {
    json!({
        "pending": counts.pending,
        "running": counts.running,
        "succeeded": counts.succeeded,
        "failed": counts.failed,
        "timedOut": 0,
        "aborted": counts.aborted,
        "total": counts.total,
        "resultsWritten": 0,
        "failuresNotRedrivable": 0,
        "pendingRedrive": 0,
    })
}
