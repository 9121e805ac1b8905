//! StartExecution, DescribeExecution, ListExecutions, StopExecution,
//! DescribeStateMachineForExecution and RedriveExecution.

use serde_json::{json, Value};
use stepwise_engine::catalog::{ExecutionOrigin, MachineSpec, Page};
use stepwise_engine::{
    not_redrivable, Catalog, Clock, ExecutionRecord, ExecutionStatus, Queue, StartRequest, Store,
    TaskInvoker,
};

use crate::arn::MachineRef;
use crate::errors::{ApiError, Result};
use crate::protocol::{date, Input};
use crate::test_cases;
use crate::Api;

/// AWS's limits on `StopExecution`'s error and cause.
const STOP_ERROR_LIMIT: usize = 256;
const STOP_CAUSE_LIMIT: usize = 32_768;
/// AWS's limit on `RedriveExecution`'s `clientToken`.
const CLIENT_TOKEN_LIMIT: usize = 64;
/// The `statusFilter` of executions whose redrive has not started yet.
const PENDING_REDRIVE: &str = "PENDING_REDRIVE";

/// Executions read at once while filtering a listing by `redriveFilter`.
const REDRIVE_SCAN: usize = 100;

/// ListExecutions' `redriveFilter`: whether an execution was ever redriven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RedriveFilter {
    Redriven,
    NotRedriven,
}

impl RedriveFilter {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "REDRIVEN" => Some(Self::Redriven),
            "NOT_REDRIVEN" => Some(Self::NotRedriven),
            _ => None,
        }
    }

    fn keeps(self, record: &ExecutionRecord) -> bool {
        (record.info.redrive_count > 0) == (self == Self::Redriven)
    }
}

/// What a start runs: the state machine's name, the spec picked, and how it was picked.
pub(crate) struct Target {
    pub name: String,
    pub spec: MachineSpec,
    pub origin: ExecutionOrigin,
}

impl<S, Q, T, C> Api<S, Q, T, C>
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    pub(crate) async fn start_execution(&self, input: &Input) -> Result<Value> {
        let arn = input.required("stateMachineArn")?;
        let (arn, test_case) = test_cases::split(self.test_cases.as_ref(), arn)?;
        let target = self.target(arn).await?;
        if let (Some(cases), Some(case)) = (&self.test_cases, test_case) {
            test_cases::check(cases, &target.name, case)?;
        }
        let record = self.start(input, target, test_case).await?;
        Ok(json!({
            "executionArn": record.info.id,
            "startDate": date(record.info.start_time),
        }))
    }

    /// Starts `target` as a `StartExecution` or `StartSyncExecution` asks.
    pub(crate) async fn start(
        &self,
        input: &Input,
        target: Target,
        test_case: Option<&str>,
    ) -> Result<ExecutionRecord> {
        let name = input.string("name")?;
        let document = input.document("input", "InvalidExecutionInput", "{}")?;
        let mut request = StartRequest::new(&target.name, &target.spec.definition, document);
        request.name = name.map(str::to_owned);
        request.test_case = test_case.map(str::to_owned);
        let started = self.engine.start(request).await?;
        if target.origin != ExecutionOrigin::default() {
            self.engine
                .store()
                .record_origin(&started.execution_arn, target.origin)
                .await?;
        }
        Ok(self.engine.describe(&started.execution_arn).await?)
    }

    /// The state machine, version or alias a start names; an alias picks one of its
    /// versions by weight.
    pub(crate) async fn target(&self, arn: &str) -> Result<Target> {
        match self.arns.parse_machine(arn)? {
            MachineRef::Base(name) => {
                let machine = self.machine(&name, arn).await?;
                Ok(Target {
                    name,
                    spec: machine.spec,
                    origin: ExecutionOrigin::default(),
                })
            }
            MachineRef::Version(name, number) => {
                let version = self.version_record(&name, number, arn).await?;
                Ok(Target {
                    name,
                    spec: version.spec,
                    origin: ExecutionOrigin {
                        version: Some(number),
                        alias: None,
                    },
                })
            }
            MachineRef::Alias(name, alias_name) => {
                let alias = self
                    .engine
                    .store()
                    .alias(&name, &alias_name)
                    .await?
                    .ok_or_else(|| ApiError::state_machine_missing(arn))?;
                let number = alias
                    .pick(self.percent())
                    .ok_or_else(|| ApiError::state_machine_missing(arn))?;
                let version = self.version_record(&name, number, arn).await?;
                Ok(Target {
                    name,
                    spec: version.spec,
                    origin: ExecutionOrigin {
                        version: Some(number),
                        alias: Some(alias_name),
                    },
                })
            }
        }
    }

    pub(crate) async fn describe_execution(&self, input: &Input) -> Result<Value> {
        let arn = input.required("executionArn")?;
        if let Some(child) = self.describe_child_execution(arn).await? {
            return Ok(child);
        }
        self.arns.check_execution(arn)?;
        let record = self.engine.describe(arn).await?;
        let origin = self.engine.store().origin(arn).await?.unwrap_or_default();
        let mut output = json!({
            "executionArn": record.info.id,
            "stateMachineArn": record.info.state_machine_id,
            "name": record.info.name,
            "status": record.status.as_str(),
            "startDate": date(record.info.start_time),
            "input": record.info.input.to_string(),
            "inputDetails": {"included": true},
            "redriveCount": record.info.redrive_count,
        });
        if let Some(stop) = record.stop_time {
            output["stopDate"] = date(stop);
        }
        if let Some(out) = &record.output {
            output["output"] = out.to_string().into();
            output["outputDetails"] = json!({"included": true});
        }
        if let Some(failure) = &record.failure {
            if let Some(error) = &failure.error {
                output["error"] = error.clone().into();
            }
            if let Some(cause) = &failure.cause {
                output["cause"] = cause.clone().into();
            }
        }
        if let Some(at) = record.info.redrive_time {
            output["redriveDate"] = date(at);
        }
        self.add_origin(&mut output, &record, &origin);
        self.add_redrive_status(&mut output, &record);
        Ok(output)
    }

    pub(crate) async fn list_executions(&self, input: &Input) -> Result<Value> {
        let Some(arn) = input.string("stateMachineArn")? else {
            if let Some(map_run) = input.string("mapRunArn")? {
                return self.list_map_run_executions(map_run, input).await;
            }
            return Err(ApiError::missing("stateMachineArn"));
        };
        // A redrive here is immediate: no execution ever waits as PENDING_REDRIVE.
        let pending_redrive = input.string("statusFilter")? == Some(PENDING_REDRIVE);
        let status = input
            .string("statusFilter")?
            .filter(|_| !pending_redrive)
            .map(|s| {
                status_filter(s).ok_or_else(|| {
                    ApiError::validation(
                        "statusFilter",
                        "Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]",
                    )
                })
            })
            .transpose()?;
        let redrive = input
            .string("redriveFilter")?
            .map(|s| {
                RedriveFilter::parse(s).ok_or_else(|| {
                    ApiError::validation(
                        "redriveFilter",
                        "Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]",
                    )
                })
            })
            .transpose()?;
        let max = input.max_results()?;
        let page = input.string("nextToken")?.map(str::to_owned);
        // A version or alias ARN lists the executions started through it.
        let listed_arn = match self.arns.parse_machine(arn)? {
            MachineRef::Base(name) => {
                self.machine(&name, arn).await?;
                self.arns.machine(&name)
            }
            MachineRef::Version(name, number) => {
                self.version_record(&name, number, arn).await?;
                self.arns.version(&name, number)
            }
            MachineRef::Alias(name, alias) => {
                if self.engine.store().alias(&name, &alias).await?.is_none() {
                    return Err(ApiError::resource_missing("Alias", arn));
                }
                self.arns.alias(&name, &alias)
            }
        };
        if pending_redrive {
            return Ok(json!({"executions": []}));
        }
        let listed = match redrive {
            None => {
                self.engine
                    .store()
                    .list_executions(&listed_arn, status, page, max)
                    .await?
            }
            Some(filter) => {
                self.redrive_filtered(&listed_arn, status, filter, page, max)
                    .await?
            }
        };
        let mut executions = Vec::new();
        for record in &listed.items {
            let origin = self
                .engine
                .store()
                .origin(record.arn())
                .await?
                .unwrap_or_default();
            let mut item = json!({
                "executionArn": record.info.id,
                "stateMachineArn": record.info.state_machine_id,
                "name": record.info.name,
                "status": record.status.as_str(),
                "startDate": date(record.info.start_time),
                "redriveCount": record.info.redrive_count,
            });
            if let Some(stop) = record.stop_time {
                item["stopDate"] = date(stop);
            }
            if let Some(at) = record.info.redrive_time {
                item["redriveDate"] = date(at);
            }
            self.add_origin(&mut item, record, &origin);
            executions.push(item);
        }
        let mut output = json!({"executions": executions});
        if let Some(next) = listed.next {
            output["nextToken"] = next.into();
        }
        Ok(output)
    }

    /// A full page (`max`) of the executions `filter` keeps, with a token that resumes
    /// just after the last one. The catalog's tokens point after the last execution of
    /// its page and cannot be made for another, so: batches are read and filtered; when
    /// a batch holds more matches than the page has room for, it is read again only up
    /// to the last match kept, whose token is then the right one. Once the page is
    /// full, reading goes on until another match shows, so that the last page has no
    /// token (rather than one leading to an empty page).
    async fn redrive_filtered(
        &self,
        arn: &str,
        status: Option<ExecutionStatus>,
        filter: RedriveFilter,
        page: Option<String>,
        max: usize,
    ) -> Result<Page<ExecutionRecord>> {
        let store = self.engine.store();
        let max = max.max(1);
        let mut items = Vec::with_capacity(max);
        let mut token = page;
        // Where the next page starts, once this one is full.
        let mut resume: Option<String> = None;
        loop {
            let room = max - items.len();
            let batch = store
                .list_executions(arn, status, token.clone(), REDRIVE_SCAN.max(room))
                .await?;
            let matches: Vec<usize> = (0..batch.items.len())
                .filter(|&at| filter.keeps(&batch.items[at]))
                .collect();
            if resume.is_some() {
                if !matches.is_empty() {
                    return Ok(Page {
                        items,
                        next: resume,
                    });
                }
            } else if matches.len() > room {
                // `room` is at least 1 while the page is not full.
                let last_kept = matches[room - 1];
                let exact = store
                    .list_executions(arn, status, token, last_kept + 1)
                    .await?;
                items.extend(exact.items.into_iter().filter(|e| filter.keeps(e)));
                items.truncate(max);
                return Ok(Page {
                    items,
                    next: exact.next,
                });
            } else {
                items.extend(batch.items.into_iter().filter(|e| filter.keeps(e)));
                if items.len() == max {
                    // The executions after the last match of this batch are not kept:
                    // resuming after the batch skips only those.
                    resume = batch.next.clone();
                }
            }
            match batch.next {
                Some(next) => token = Some(next),
                None => return Ok(Page { items, next: None }),
            }
        }
    }

    pub(crate) async fn stop_execution(&self, input: &Input) -> Result<Value> {
        let arn = input.required("executionArn")?;
        let error = input.bounded("error", STOP_ERROR_LIMIT)?;
        let cause = input.bounded("cause", STOP_CAUSE_LIMIT)?;
        self.arns.check_execution(arn)?;
        let stopped = self
            .engine
            .stop(arn, error.map(str::to_owned), cause.map(str::to_owned))
            .await?;
        let stop = stopped.stop_time.unwrap_or_else(|| self.now());
        Ok(json!({"stopDate": date(stop)}))
    }

    /// An execution's header and the definition text it runs; an execution whose
    /// definition is gone is reported as missing.
    pub(crate) async fn execution_with_definition(
        &self,
        arn: &str,
    ) -> Result<(ExecutionRecord, String)> {
        let record = self.engine.describe(arn).await?;
        let definition = self
            .engine
            .store()
            .definition(&record.definition_hash)
            .await?
            .ok_or_else(|| ApiError::execution_missing(arn))?;
        Ok((record, definition))
    }

    pub(crate) async fn describe_state_machine_for_execution(
        &self,
        input: &Input,
    ) -> Result<Value> {
        let arn = input.required("executionArn")?;
        self.arns.check_execution(arn)?;
        let (record, definition) = self.execution_with_definition(arn).await?;
        let origin = self.engine.store().origin(arn).await?.unwrap_or_default();
        let name = &record.info.state_machine_name;
        // The role and revision of what ran: the version's when started through one,
        // otherwise the state machine's (gone if it was deleted since).
        let spec = match origin.version {
            Some(number) => self
                .engine
                .store()
                .version(name, number)
                .await?
                .map(|v| (v.spec, v.created)),
            None => self
                .engine
                .store()
                .state_machine(name)
                .await?
                .map(|m| (m.spec, m.updated)),
        };
        let (role_arn, revision, updated) = match spec {
            Some((spec, updated)) => (spec.role_arn, Some(spec.revision_id), updated),
            None => (record.info.role_arn.clone(), None, record.info.start_time),
        };
        let mut output = json!({
            "stateMachineArn": record.info.state_machine_id,
            "name": name,
            "definition": definition,
            "roleArn": role_arn,
            "updateDate": date(updated),
            "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
            "tracingConfiguration": {"enabled": false},
        });
        if let Some(revision) = revision {
            output["revisionId"] = revision.into();
        }
        Ok(output)
    }

    /// Resumes a failed, timed-out or aborted execution from where it stopped. The same
    /// `clientToken` as the execution's last redrive answers that redrive again.
    pub(crate) async fn redrive_execution(&self, input: &Input) -> Result<Value> {
        let arn = input.required("executionArn")?;
        let token = input.bounded("clientToken", CLIENT_TOKEN_LIMIT)?;
        if token.is_some_and(|t| t.is_empty() || !t.chars().all(|c| c.is_ascii_graphic())) {
            return Err(ApiError::validation(
                "clientToken",
                "Member must satisfy regular expression pattern: [!-~]+",
            ));
        }
        self.arns.check_execution(arn)?;
        let redriven = self.engine.redrive(arn, token).await?;
        Ok(json!({"redriveDate": date(redriven.redrive_date)}))
    }

    /// `redriveStatus` and, when not redrivable, `redriveStatusReason`, as
    /// `DescribeExecution` shows them.
    fn add_redrive_status(&self, output: &mut Value, record: &ExecutionRecord) {
        match not_redrivable(record, self.now()) {
            None => output["redriveStatus"] = "REDRIVABLE".into(),
            Some(reason) => {
                output["redriveStatus"] = "NOT_REDRIVABLE".into();
                output["redriveStatusReason"] = reason.into();
            }
        }
    }

    fn add_origin(&self, output: &mut Value, record: &ExecutionRecord, origin: &ExecutionOrigin) {
        let name = &record.info.state_machine_name;
        if let Some(version) = origin.version {
            output["stateMachineVersionArn"] = self.arns.version(name, version).into();
        }
        if let Some(alias) = &origin.alias {
            output["stateMachineAliasArn"] = self.arns.alias(name, alias).into();
        }
    }
}

fn status_filter(text: &str) -> Option<ExecutionStatus> {
    Some(match text {
        "RUNNING" => ExecutionStatus::Running,
        "SUCCEEDED" => ExecutionStatus::Succeeded,
        "FAILED" => ExecutionStatus::Failed,
        "TIMED_OUT" => ExecutionStatus::TimedOut,
        "ABORTED" => ExecutionStatus::Aborted,
        _ => return None,
    })
}
