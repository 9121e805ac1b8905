//! A Distributed Map's children seen as executions, as AWS shows them: `ListExecutions`
//! with a `mapRunArn` lists them, `DescribeExecution` describes one by its ARN
//! (`…:execution:<machine>/<label>:<run id>-<index>`, see
//! `stepwise_core::interp::map_run::child_execution`). Nothing is stored for them: the
//! history says which children started and ended when (`MapIteration*`), and the run's
//! join in the store holds each ended child's result (input, output or error, dates) and
//! how many items each child carries.

use serde_json::{json, Value};
use stepwise_core::interp::map_run;
use stepwise_core::interp::Outcome;
use stepwise_engine::store::LoadRequest;
use stepwise_engine::{
    Catalog, ChildResult, Clock, FrameId, JoinKey, JoinRecord, Queue, Store, TaskInvoker,
};

use crate::errors::{ApiError, Result};
use crate::map_run_history::Child;
use crate::map_runs::FoundRun;
use crate::protocol::{date, Input};
use crate::Api;

/// How many items a run and each of its children hold, when an ItemBatcher grouped them.
pub(crate) struct ChildItems {
    /// Items in the run (read so far, while its ItemReader still reads pages).
    pub total: u64,
    /// Children in the run, as its join counts them: `MapStateStarted.length` counts
    /// only the first page's when the items are read a page at a time.
    pub children: u64,
    per_child: Vec<u64>,
}

impl ChildItems {
    pub fn of(&self, index: u64) -> u64 {
        self.per_child.get(index as usize).copied().unwrap_or(1)
    }
}

impl<S, Q, T, C> Api<S, Q, T, C>
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    /// `ListExecutions` with `mapRunArn`: the run's children that started, the latest
    /// first (as AWS lists executions), each with the items it carries.
    pub(crate) async fn list_map_run_executions(&self, arn: &str, input: &Input) -> Result<Value> {
        let status = input.string("statusFilter")?;
        let max = input.max_results()?;
        let skip = input.offset_token()?;
        let found = self.find_map_run(arn).await?;
        let items = self.items_of(&found).await?;
        let mut children = found.run.children();
        children.reverse();
        let kept: Vec<_> = children
            .into_iter()
            .filter(|(_, seen)| status.is_none_or(|s| s == seen.status.as_str()))
            .collect();
        let page: Vec<Value> = kept
            .iter()
            .skip(skip)
            .take(max)
            .map(|(index, seen)| {
                let child = map_run::child_execution(arn, *index);
                let mut item = json!({
                    "executionArn": child.arn,
                    "stateMachineArn": child.state_machine_arn,
                    "name": child.name,
                    "status": seen.status.as_str(),
                    "startDate": date(seen.start),
                    "mapRunArn": arn,
                    "itemCount": items.as_ref().map_or(1, |i| i.of(*index)),
                    "redriveCount": 0,
                });
                if let Some(stop) = seen.stop {
                    item["stopDate"] = date(stop);
                }
                item
            })
            .collect();
        let mut output = json!({"executions": page});
        if skip + max < kept.len() {
            output["nextToken"] = (skip + max).to_string().into();
        }
        Ok(output)
    }

    /// `DescribeExecution` of a child execution; `None` when `arn` names none.
    pub(crate) async fn describe_child_execution(&self, arn: &str) -> Result<Option<Value>> {
        let Some((map_run_arn, index)) = map_run::parse_child_execution(arn) else {
            return Ok(None);
        };
        let missing = || ApiError::execution_missing(arn);
        let found = self
            .find_map_run(&map_run_arn)
            .await
            .map_err(|_| missing())?;
        let seen = found.run.child(index).ok_or_else(missing)?;
        let child = map_run::child_execution(&map_run_arn, index);
        let mut output = json!({
            "executionArn": child.arn,
            "stateMachineArn": child.state_machine_arn,
            "name": child.name,
            "status": seen.status.as_str(),
            "startDate": date(seen.start),
            "mapRunArn": map_run_arn,
            "redriveCount": 0,
        });
        if let Some(stop) = seen.stop {
            output["stopDate"] = date(stop);
        }
        let Some((key, _)) = self.join_record(&found).await? else {
            return Ok(Some(output));
        };
        let result = self.child_result(&found, &key, index).await?;
        let input = match &result {
            Some(result) => result.started.as_ref().map(|s| s.input.clone()),
            // Still running: its frame keeps its input from its first commit.
            None => self.running_input(&found, &key, index).await?,
        };
        if let Some(input) = input {
            output["input"] = input.to_string().into();
            output["inputDetails"] = json!({"included": true});
        }
        match result.map(|r| r.outcome) {
            Some(Outcome::Succeeded(out)) => {
                output["output"] = out.to_string().into();
                output["outputDetails"] = json!({"included": true});
            }
            Some(Outcome::Failed(failure)) => {
                if let Some(error) = failure.error {
                    output["error"] = error.into();
                }
                if let Some(cause) = failure.cause {
                    output["cause"] = cause.into();
                }
            }
            None => {}
        }
        if seen.status != Child::Running {
            output["redriveStatus"] = "NOT_REDRIVABLE".into();
        }
        Ok(Some(output))
    }

    /// The items of the run and of each child, when an ItemBatcher grouped them.
    pub(crate) async fn items_of(&self, found: &FoundRun) -> Result<Option<ChildItems>> {
        let Some((_, join)) = self.join_record(found).await? else {
            return Ok(None);
        };
        Ok(join.tolerance.map(|t| ChildItems {
            total: t.total_items,
            children: u64::from(join.total),
            per_child: t.items_per_child,
        }))
    }

    /// The run's join: opened by the commit that wrote its `MapStateStarted` event, the
    /// history's `found.run.started`-th.
    async fn join_record(&self, found: &FoundRun) -> Result<Option<(JoinKey, JoinRecord)>> {
        let Some(ordinal) = found.run.started else {
            return Ok(None);
        };
        let execution = found.record.arn();
        let store = self.engine.store();
        // Ordered as the engine orders the history it answers with: by time, then by the
        // commit's own event ids.
        let mut starts: Vec<(String, u64, FrameId, u64)> = Vec::new();
        let mut page = None;
        loop {
            let read = store.history(execution, page).await?;
            for item in read.items {
                for event in item
                    .events
                    .iter()
                    .filter(|e| e["type"] == "MapStateStarted")
                {
                    starts.push((
                        event["timestamp"].as_str().unwrap_or_default().to_owned(),
                        event["id"].as_u64().unwrap_or_default(),
                        item.frame.clone(),
                        item.version,
                    ));
                }
            }
            match read.next {
                Some(next) => page = Some(next),
                None => break,
            }
        }
        starts.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let Some((_, _, parent, version)) = starts.into_iter().nth(ordinal) else {
            return Ok(None);
        };
        let key = JoinKey { parent, version };
        let loaded = store
            .load(&LoadRequest {
                execution: execution.to_owned(),
                frame: key.parent.clone(),
                joins: vec![key.clone()],
                with_frame: false,
                version: None,
            })
            .await?;
        Ok(loaded
            .joins
            .into_iter()
            .next()
            .flatten()
            .map(|join| (key, join)))
    }

    async fn child_result(
        &self,
        found: &FoundRun,
        key: &JoinKey,
        index: u64,
    ) -> Result<Option<ChildResult>> {
        let results = self
            .engine
            .store()
            .child_results(found.record.arn(), key)
            .await?;
        Ok(results.into_iter().find(|r| u64::from(r.index) == index))
    }

    async fn running_input(
        &self,
        found: &FoundRun,
        key: &JoinKey,
        index: u64,
    ) -> Result<Option<Value>> {
        let Ok(index) = u32::try_from(index) else {
            return Ok(None);
        };
        let frame = FrameId::child(&key.parent, key.version, index);
        let record = self
            .engine
            .store()
            .frame(found.record.arn(), &frame)
            .await?;
        Ok(record
            .and_then(|r| r.parent)
            .and_then(|link| link.started)
            .map(|started| started.input))
    }
}
