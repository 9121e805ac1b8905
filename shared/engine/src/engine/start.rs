//! Starting an execution: validation, the root frame's first step, and the idempotent
//! create.

use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};
use stepwise_core::definition;
use stepwise_core::failure::Failure;
use stepwise_core::interp::{
    exceeds_payload_limit, Details, Event, ExecutionInfo, Frame, HistoryEvent, Outcome,
};
use tracing::info;

use super::{step_error, Engine};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::FrameId;
use crate::message::{Message, MessageKind};
use crate::queue::Queue;
use crate::records::{ExecutionRecord, ExecutionStatus, FrameRecord, HistoryItem, ParentTask};
use crate::store::{Commit, Created, Creation, Store};
use crate::tasks::TaskInvoker;
use crate::transition::{self, Start};

/// `StartExecution`'s arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct StartRequest {
    pub state_machine: String,
    /// The ASL definition text.
    pub definition: String,
    /// The execution name; a random UUID when absent.
    pub name: Option<String>,
    pub input: Value,
    /// A mock configuration's test case (`stepwise serve --mock-config`), kept on the
    /// execution's record for its task port.
    pub test_case: Option<String>,
}

impl StartRequest {
    pub fn new(state_machine: &str, definition: &str, input: Value) -> Self {
        Self {
            state_machine: state_machine.to_owned(),
            definition: definition.to_owned(),
            name: None,
            input,
            test_case: None,
        }
    }

    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub execution_arn: String,
    pub start_date: i64,
    /// The same name and input were started before: this is that execution.
    pub existing: bool,
}

impl<S: Store, Q: Queue, T: TaskInvoker, C: Clock> Engine<S, Q, T, C> {
    /// Starts an execution and runs it as far as it goes without waiting (a workflow of
    /// Pass and Choice states ends here). Idempotent by name: the same name and input
    /// while running return the same execution.
    pub async fn start(&self, request: StartRequest) -> Result<Started> {
        // Boxed: the start's state machine is large, and callers nest it in their own
        // (a Lambda handler's future would otherwise exceed the compiler's layout depth).
        Box::pin(self.start_with(request, None)).await
    }

    /// Starts an execution, nested under `parent`'s Task state when given. A start from
    /// the same caller (a redelivered task message) finds the execution it made, even
    /// ended.
    pub(super) async fn start_with(
        &self,
        request: StartRequest,
        parent: Option<ParentTask>,
    ) -> Result<Started> {
        let definition = Arc::new(definition::parse(&request.definition)?);
        let hash = definition_hash(&request.definition);
        let mut entropy = self.entropy();
        let name = match request.name {
            Some(name) => validate_name(name)?,
            None => stepwise_core::entropy::uuid_v4(&mut entropy),
        };
        let now = self.clock.now();
        let arn = self.config.execution_arn(&request.state_machine, &name);
        let info = ExecutionInfo {
            id: arn.clone(),
            name,
            input: request.input.clone(),
            start_time: now,
            role_arn: format!("arn:aws:iam::{}:role/stepwise", self.config.account),
            state_machine_id: self.config.state_machine_arn(&request.state_machine),
            state_machine_name: request.state_machine.clone(),
            redrive_count: 0,
            redrive_time: None,
        };
        let execution = ExecutionRecord {
            info,
            definition_hash: hash.clone(),
            status: ExecutionStatus::Running,
            output: None,
            failure: None,
            stop_time: None,
            redrive_token: None,
            test_case: request.test_case.clone(),
            parent,
        };
        let root = FrameRecord {
            id: FrameId::root(),
            version: 0,
            frame: Frame::root(&definition, request.input.clone(), now),
            next_event_id: 1,
            outbox: Vec::new(),
            cause: None,
            origin: None,
            task: None,
            parent: None,
            progress: Default::default(),
        };
        let started = HistoryEvent::new(
            "ExecutionStarted",
            Details::ExecutionStarted {
                input: request.input.clone(),
            },
        );
        let (root, join) = if exceeds_payload_limit(&request.input) {
            (oversize_input(&execution, root, started, now), None)
        } else {
            let plan = transition::plan(
                Start {
                    definition: &definition,
                    execution: &execution,
                    record: &root,
                    event: Event::Run,
                    cause: format!("start:{arn}"),
                    lead: vec![(started, now)],
                    close_join: None,
                    now,
                    max_transitions: self.config.max_transitions_per_message,
                    items_per_page: self.config.items_per_page,
                },
                &mut entropy,
            )
            .map_err(|source| step_error(&arn, &root.id, source))?;
            let mut commit = plan.commit;
            if let Some(seconds) = definition.timeout_seconds {
                let due = now.saturating_add((seconds as i64).saturating_mul(1000));
                let timeout = Message::new(&arn, FrameId::root(), 0, MessageKind::Timeout);
                commit.frame.outbox.push(timeout.due(due));
            }
            (commit, plan.join)
        };
        if let Some(fan_out) = join {
            self.fan_out(&arn, fan_out, now).await?;
        }
        let outbox = root.frame.outbox.clone();
        let caller = execution.parent.as_ref().map(|p| p.caller.clone());
        let creation = Creation {
            execution,
            definition: request.definition,
            root,
        };
        match self.store.create(creation).await? {
            Created::Done => {
                self.remember(&hash, definition);
                info!(execution_id = %arn, "execution started");
                self.send(outbox, now).await?;
                Ok(Started {
                    execution_arn: arn,
                    start_date: now,
                    existing: false,
                })
            }
            Created::Exists(existing) => {
                let same_caller = caller.is_some()
                    && existing.parent.as_ref().map(|p| &p.caller) == caller.as_ref();
                if (!existing.is_running() && !same_caller) || existing.info.input != request.input
                {
                    return Err(Error::ExecutionAlreadyExists(arn));
                }
                // The first start may have died between its commit and its sends.
                if let Some(root) = self.store.frame(&arn, &FrameId::root()).await? {
                    if root.version == 1 {
                        self.send(root.outbox, now).await?;
                    }
                }
                Ok(Started {
                    execution_arn: arn,
                    start_date: existing.info.start_time,
                    existing: true,
                })
            }
        }
    }
}

/// An execution whose input is over the payload limit fails at once, as in Step
/// Functions.
fn oversize_input(
    execution: &ExecutionRecord,
    root: FrameRecord,
    started: HistoryEvent,
    now: i64,
) -> Commit {
    let failure = Failure::data_limit(
        "The execution input exceeds the maximum number of bytes service limit.",
    );
    let timestamp = stepwise_core::interp::iso8601(now);
    let events = vec![
        started.to_aws_json(1, 0, &timestamp),
        HistoryEvent::new("ExecutionFailed", Details::ExecutionFailed(failure.clone()))
            .to_aws_json(2, 1, &timestamp),
    ];
    Commit {
        execution: execution.arn().to_owned(),
        history: Some(HistoryItem {
            frame: root.id.clone(),
            version: 1,
            events,
        }),
        frame: FrameRecord {
            version: 1,
            next_event_id: 3,
            // A task waits for this nested execution: its end completes it.
            outbox: super::nested::waits(execution)
                .then(|| {
                    Message::new(
                        execution.arn(),
                        FrameId::root(),
                        1,
                        MessageKind::ExecutionEnded,
                    )
                })
                .into_iter()
                .collect(),
            ..root
        },
        expected_version: 0,
        child_result: None,
        finish: Some(execution.ended(
            ExecutionStatus::Failed,
            Some(&Outcome::Failed(failure)),
            now,
        )),
        close_join: None,
    }
}

pub(crate) fn definition_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Step Functions' execution name rules.
fn validate_name(name: String) -> Result<String> {
    const FORBIDDEN: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
    let valid = !name.is_empty()
        && name.chars().count() <= 80
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || FORBIDDEN.contains(c));
    if valid {
        Ok(name)
    } else {
        Err(Error::InvalidName(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_step_functions_rules() {
        assert!(validate_name("order-42_a.b".into()).is_ok());
        for bad in ["", "a b", "a/b", "a:b", "x\u{7}", &"n".repeat(81)] {
            assert!(validate_name(bad.to_owned()).is_err(), "{bad:?}");
        }
    }
}
