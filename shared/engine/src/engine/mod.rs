//! The engine: start, advance, stop and describe executions over a store and a queue.

mod chain;
mod complete;
mod end;
mod feed;
mod nested;
mod open_children;
mod redrive;
mod results;
mod start;

pub use complete::Completion;
pub(crate) use nested::waits as parent_waits;
pub use redrive::{not_redrivable, Redriven, REDRIVABLE_PERIOD_MS};
pub use start::{StartRequest, Started};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use stepwise_core::definition::{self, StateMachine};
use stepwise_core::entropy::{Entropy, SplitMix64};
use stepwise_core::failure::{names, Failure, HEARTBEAT_TIMEOUT_CAUSE};
use stepwise_core::interp::{Details, Event, HistoryEvent, TaskEvent, TaskKind};
use tracing::{debug, warn};

use self::chain::{Chain, Continuation};
use crate::catalog::Catalog;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::history;
use crate::ids::{FrameId, JoinKey};
use crate::join::{self, Decision};
use crate::machines::{MachineLookup, ViaCatalog};
use crate::message::{Message, MessageKind};
use crate::queue::{Outgoing, Queue, MAX_DELAY_SECONDS};
use crate::records::{
    ExecutionRecord, ExecutionStatus, FrameRecord, JoinRecord, Submission, TaskNote,
};
use crate::store::{self, LoadRequest, Store, Written};
use crate::tasks::{Answer, NoTasks, TaskInvoker};
use crate::transition::{self, Plan, Start};

/// Where executions run: the ARN parts, and how much one invocation may do.
#[derive(Debug, Clone)]
pub struct Config {
    pub region: String,
    pub account: String,
    /// States one message may run before the frame yields to the queue (bounds a
    /// Lambda invocation's duration; an endless Pass/Choice loop still advances).
    pub max_transitions_per_message: u64,
    /// How long (ms from its start) a message's handler may go on handling the next
    /// step itself instead of sending it to the queue (see `chain.rs`); 0 never does.
    /// Keep it well under the queue's visibility timeout: a step that starts within the
    /// budget runs to its end (a task call may take long), and the queue must not deliver
    /// the message again meanwhile.
    pub chain_budget_ms: u64,
    /// Items a Distributed Map's ItemReader reads at a time (see `feed.rs`): an S3
    /// listing's page, and a few dozen chunks of children at most.
    pub items_per_page: u32,
    /// Bytes of results one Distributed Map result file holds before the next is begun
    /// (`SUCCEEDED_0.json`, `SUCCEEDED_1.json`, …; see `results.rs`). AWS splits at
    /// 5 GB; a file is gathered in memory before it is written, so less.
    pub result_file_bytes: usize,
}

impl Config {
    /// ARNs in region `local`, account `000000000000`, as `stepwise run` prints them.
    pub fn local() -> Self {
        Self {
            region: "local".to_owned(),
            account: "000000000000".to_owned(),
            max_transitions_per_message: 1000,
            chain_budget_ms: 0,
            items_per_page: 1_000,
            result_file_bytes: 64 << 20,
        }
    }

    fn execution_arn(&self, state_machine: &str, name: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:execution:{state_machine}:{name}",
            self.region, self.account
        )
    }

    fn state_machine_arn(&self, state_machine: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:stateMachine:{state_machine}",
            self.region, self.account
        )
    }
}

/// What handling one message did (for logs, metrics and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Committed a new version after this many state transitions.
    Advanced { transitions: u64 },
    /// The message had been handled before: its commit's outbox was sent again.
    Resent,
    /// Not due yet: sent again with a delay.
    Delayed,
    /// A child ended but the join still waits for others.
    Waiting,
    /// A callback task's call went through; the frame waits for its token.
    Submitted,
    /// Nothing to do: an old or superseded message, an ended execution, a closed join.
    Ignored(&'static str),
    /// Another worker committed first.
    Conflict,
}

/// The durable engine. Cheap to share (`Arc`) between concurrent handlers.
#[derive(Debug)]
pub struct Engine<S, Q, T = NoTasks, C = SystemClock> {
    store: S,
    queue: Q,
    tasks: T,
    clock: C,
    config: Config,
    definitions: Mutex<HashMap<String, Arc<StateMachine>>>,
    /// Seeds each step's entropy (task tokens, `States.UUID`, `MathRandom`): from the OS
    /// unless [`Engine::with_seed`] made the engine replayable.
    seeds: Mutex<Option<SplitMix64>>,
    /// Where nested executions find the state machines they start (see
    /// [`Engine::with_catalog`]); without it their Task states fail with `States.Runtime`.
    machines: Option<Box<dyn MachineLookup<S>>>,
}

impl<S: Store, Q: Queue> Engine<S, Q> {
    pub fn new(store: S, queue: Q, config: Config) -> Self {
        Engine::with(store, queue, NoTasks, SystemClock, config)
    }
}

impl<S: Store + Catalog, Q: Queue, T: TaskInvoker, C: Clock> Engine<S, Q, T, C> {
    /// Runs nested executions (`states:startExecution` Task states) of the state
    /// machines, versions and aliases in the store's catalog.
    pub fn with_catalog(mut self) -> Self {
        self.machines = Some(Box::new(ViaCatalog));
        self
    }
}

impl<S: Store, Q: Queue, T: TaskInvoker, C: Clock> Engine<S, Q, T, C> {
    pub fn with(store: S, queue: Q, tasks: T, clock: C, config: Config) -> Self {
        Self {
            store,
            queue,
            tasks,
            clock,
            config,
            definitions: Mutex::new(HashMap::new()),
            seeds: Mutex::new(None),
            machines: None,
        }
    }

    /// Draws every step's entropy from `seed`, so a run that handles the same messages
    /// in the same order makes the same tokens and ids (deterministic simulation).
    pub fn with_seed(self, seed: u64) -> Self {
        Self {
            seeds: Mutex::new(Some(SplitMix64::new(seed))),
            ..self
        }
    }

    /// A fresh entropy source for one step.
    fn entropy(&self) -> SplitMix64 {
        let mut seeds = self.seeds.lock().unwrap_or_else(|e| e.into_inner());
        let seed = match seeds.as_mut() {
            Some(seeds) => seeds.next_u64(),
            None => rand::random(),
        };
        SplitMix64::new(seed)
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn queue(&self) -> &Q {
        &self.queue
    }

    pub fn clock(&self) -> &C {
        &self.clock
    }

    pub fn tasks(&self) -> &T {
        &self.tasks
    }

    /// Handles one message. `receive_count` is how many times the queue has delivered
    /// it (SQS's `ApproximateReceiveCount`). `Err` means the message should be delivered
    /// again ([`Error::is_retryable`]) or dead-lettered.
    ///
    /// A message whose commit is already the frame's current version is a redelivery:
    /// the handler that committed may have died before sending, so the outbox is sent
    /// again, marked `resent`. A `resent` copy on its first delivery that finds its own
    /// commit done does not re-send in turn: the handler that made that commit either
    /// sent its outbox or failed, and then its own message comes back with a higher
    /// receive count. Without this rule one duplicate would shadow a frame to its end.
    ///
    /// With a [`Config::chain_budget_ms`], the handler may go on to the steps after this
    /// message's (see `chain.rs`); the answer then counts the transitions of them all.
    pub async fn handle(&self, message: Message, receive_count: u32) -> Result<Handled> {
        let chain = (self.config.chain_budget_ms > 0).then(|| Chain {
            origin: message.key(),
            started: self.clock.now(),
            budget_ms: self.config.chain_budget_ms,
        });
        let mut next = None;
        let mut handled = self
            .handle_one(message, receive_count, None, chain.as_ref(), &mut next)
            .await?;
        while let Some(Continuation { message, record }) = next.take() {
            let before = match handled {
                Handled::Advanced { transitions } => transitions,
                _ => 0,
            };
            let step = self
                .handle_one(message, 1, Some(record), chain.as_ref(), &mut next)
                .await?;
            debug!(?step, "chained step");
            if let Handled::Advanced { transitions } = step {
                handled = Handled::Advanced {
                    transitions: before + transitions,
                };
            }
        }
        Ok(handled)
    }

    /// One message (or a chain's next step, whose frame version `cached` the chain has
    /// just written). A step that may continue the chain leaves its next message in
    /// `next` instead of sending it.
    async fn handle_one(
        &self,
        message: Message,
        receive_count: u32,
        cached: Option<FrameRecord>,
        chain: Option<&Chain>,
        next: &mut Option<Continuation>,
    ) -> Result<Handled> {
        let mut now = self.clock.now();
        // A chain's later step names the message the chain began with, however long it
        // took (see `chain.rs`).
        let origin = chain.filter(|_| cached.is_some()).map(|c| c.origin.clone());
        if message.due.is_some_and(|due| due > now) {
            self.send(vec![message], now).await?;
            return Ok(Handled::Delayed);
        }
        if message.kind == MessageKind::Timeout {
            return self.time_out(&message.execution, message.version).await;
        }
        if message.kind == MessageKind::ExecutionEnded {
            return self.report_to_parent(&message.execution).await;
        }
        if matches!(message.kind, MessageKind::OpenChildren { .. }) {
            return self.open_children(message, now).await;
        }
        if let MessageKind::ReadPage { page } = message.kind {
            return self.read_page(message, page, receive_count, now).await;
        }
        let parent_join = message.frame.join().map(|(join, _)| join);
        let own_join = matches!(message.kind, MessageKind::ChildDone { .. }).then(|| JoinKey {
            parent: message.frame.clone(),
            version: message.version,
        });
        let joins: Vec<JoinKey> = parent_join.iter().chain(own_join.iter()).cloned().collect();
        let loaded = self
            .store
            .load(&LoadRequest {
                execution: message.execution.clone(),
                frame: message.frame.clone(),
                joins,
                with_frame: own_join.is_none() && cached.is_none(),
                version: Some(message.version),
            })
            .await?;
        let Some(execution) = loaded.execution else {
            warn!(execution_id = %message.execution, "message for an unknown execution");
            return Ok(Handled::Ignored("unknown execution"));
        };
        if !execution.is_running() {
            // The commit that ended a nested execution promised its parent an
            // `execution_ended`: a redelivery of that commit's message sends it again.
            if nested::waits(&execution) && (!message.resent || receive_count > 1) {
                return self.resend_if_own(&message, "execution ended").await;
            }
            return Ok(Handled::Ignored("execution ended"));
        }
        let mut joins = loaded.joins.into_iter();
        let parent_join = match parent_join {
            Some(_) => match joins.next().flatten() {
                Some(join) if !join.closed => Some(join),
                _ => return Ok(Handled::Ignored("join closed")),
            },
            None => None,
        };
        // A child's end is decided on the join alone; the parent frame is read only when
        // the join is decided (most `ChildDone` messages find it still waiting).
        let decided = match &message.kind {
            MessageKind::ChildDone { failure, .. } => {
                let Some(join) = joins.next().flatten() else {
                    return Ok(Handled::Ignored("unknown join"));
                };
                match join::decide(&join, failure.as_ref()) {
                    Decision::Wait => {
                        if let MessageKind::ChildDone { index, .. } = &message.kind {
                            self.start_successor(&message, receive_count, &join, *index, now)
                                .await?;
                        }
                        return Ok(Handled::Waiting);
                    }
                    // The message that closed the join may be back because its handler
                    // died after that commit. Without a tolerance only a failure can
                    // have closed it; with one (a Distributed Map) any `ChildDone` may
                    // have found it exceeded, and the last page's probe may have found
                    // a page unread or the percentage exceeded.
                    Decision::Closed
                        if (failure.is_some() || join.tolerance.is_some())
                            && (!message.resent || receive_count > 1) =>
                    {
                        return self.resend_if_own(&message, "join closed").await;
                    }
                    Decision::Closed => return Ok(Handled::Ignored("join closed")),
                    Decision::Collect
                        if join.collector.as_ref().is_some_and(|c| *c != message.key()) =>
                    {
                        return Ok(Handled::Ignored("join collected by another message"));
                    }
                    Decision::Collect => Some(Decided::Collect(Box::new(join))),
                    Decision::Fail(failure) => Some(Decided::Fail(failure, join.key)),
                }
            }
            _ => None,
        };
        let frame = match loaded.frame.or(cached) {
            Some(frame) => Some(frame),
            None if decided.is_some() => {
                self.store.frame(&message.execution, &message.frame).await?
            }
            None => None,
        };
        let Some(mut record) = frame else {
            if let (Some(join), MessageKind::Run) = (&parent_join, &message.kind) {
                // Beyond the children written: every item is read and this child is
                // not among them, or its page is not read yet and will start it if its
                // predecessor has ended by then (`feed.rs`). Waiting here instead would
                // keep a message going round for every child of a large source.
                let index = message.frame.join().map_or(0, |(_, index)| index);
                if u64::from(index) >= join.children_known() {
                    return Ok(Handled::Ignored("no such child (yet)"));
                }
                // The join is open (checked above) but its `OpenChildren` message (or
                // its page) has not written this child yet: its predecessor ended first.
                return self.recheck(message, now).await;
            }
            warn!(execution_id = %message.execution, frame = %message.frame, "message for an unknown frame");
            return Ok(Handled::Ignored("unknown frame"));
        };
        // The caller's span around this message (if it declared a `state` field) names
        // the state from here on, so every log line of the handling carries it.
        tracing::Span::current().record("state", record.frame.state());
        if record.version != message.version {
            let redelivered = chain::made_by(&record, &message);
            if redelivered && (!message.resent || receive_count > 1) {
                debug!(execution_id = %message.execution, frame = %message.frame, "redelivered: sending the outbox again");
                self.resend(record.outbox, now).await?;
                return Ok(Handled::Resent);
            }
            return Ok(Handled::Ignored("stale version"));
        }
        let definition = self.definition(&execution.definition_hash).await?;
        let (event, close_join) = match (decided, &message.kind) {
            (Some(Decided::Fail(failure, join)), _) => (Event::ChildFailed { failure }, Some(join)),
            (Some(Decided::Collect(join)), _) => {
                let claimant = message.key();
                let claim = self
                    .store
                    .claim_join(&message.execution, &join.key, &claimant)
                    .await?;
                if claim == Written::Conflict {
                    return Ok(Handled::Ignored("join collected by another message"));
                }
                if results::writes_to_s3(&definition, &record.frame) {
                    // Its writer task reads them a page at a time.
                    let Some(next) = self.stored_results(&message.execution, &join).await? else {
                        return Ok(Handled::Waiting);
                    };
                    record.next_event_id = record.next_event_id.max(next);
                    let stored = serde_json::json!({"Version": join.key.version});
                    let event = Event::ChildrenSucceeded {
                        outputs: Vec::new(),
                        children: Vec::new(),
                        stored: Some(stored),
                    };
                    (event, None)
                } else {
                    let results = self
                        .store
                        .child_results(&message.execution, &join.key)
                        .await?;
                    let Some(collected) = join::outputs(&join, results) else {
                        return Ok(Handled::Waiting);
                    };
                    record.next_event_id = record.next_event_id.max(collected.next_event_id);
                    let (outputs, children) = (collected.outputs, collected.children);
                    let event = Event::ChildrenSucceeded {
                        outputs,
                        children,
                        stored: None,
                    };
                    (event, None)
                }
            }
            (None, MessageKind::Run) => (Event::Run, None),
            (None, MessageKind::Timer) => (Event::Timer, None),
            (None, MessageKind::Task) => {
                let Some(request) = &record.task else {
                    return Ok(Handled::Ignored("no pending task"));
                };
                let result = match nested::Pattern::of(&request.resource) {
                    // A `.sync` child's end answers its token, as a callback does.
                    Some(pattern) => {
                        self.start_nested(&message, request, pattern)
                            .await?
                            .map(|output| match request.task_token {
                                Some(_) => Answer::Submitted(output),
                                None => Answer::Result(output),
                            })
                    }
                    None if results::writes_stored(request) => self
                        .write_stored(&message.execution, &record.id, request)
                        .await?
                        .map(Answer::Result),
                    None => self.tasks.call(&message.execution, request).await,
                };
                // The call may have taken minutes: its result is recorded when it came.
                now = self.clock.now();
                match result {
                    Ok(Answer::Submitted(output)) => {
                        return self.submitted(&message, &record, output, now).await;
                    }
                    Ok(Answer::Result(output)) => (Event::TaskSucceeded { output }, None),
                    // An invoker that bounds the call by TimeoutSeconds (so the handler
                    // stops paying for the wait) reports the overrun as this error.
                    Err(failure)
                        if request.timeout_seconds.is_some()
                            && failure.error.as_deref() == Some(names::TIMEOUT) =>
                    {
                        (Event::TaskTimedOut { failure }, None)
                    }
                    Err(failure) => (Event::TaskFailed { failure }, None),
                }
            }
            (None, MessageKind::TaskTimeout) => {
                if record.task.is_none() {
                    return Ok(Handled::Ignored("no pending task"));
                }
                let failure = Failure::task_timeout();
                (Event::TaskTimedOut { failure }, None)
            }
            (None, MessageKind::Heartbeat) => {
                let Some(seconds) = record.task.as_ref().and_then(|t| t.heartbeat_seconds) else {
                    return Ok(Handled::Ignored("no pending task"));
                };
                let window = i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
                if let Some(due) = record.progress.beat.map(|b| b.saturating_add(window)) {
                    if due > now {
                        let next = Message {
                            due: Some(due),
                            resent: false,
                            ..message
                        };
                        self.send(vec![next], now).await?;
                        return Ok(Handled::Delayed);
                    }
                }
                let failure = Failure::new(names::TIMEOUT, HEARTBEAT_TIMEOUT_CAUSE);
                (Event::TaskTimedOut { failure }, None)
            }
            // A ChildDone is decided (or answered) above, a Timeout and an ExecutionEnded
            // at the top.
            (
                None,
                MessageKind::ChildDone { .. }
                | MessageKind::Timeout
                | MessageKind::ExecutionEnded
                | MessageKind::OpenChildren { .. }
                | MessageKind::ReadPage { .. },
            ) => return Ok(Handled::Ignored("nothing to do")),
        };
        self.advance(Step {
            execution: &execution,
            record: &record,
            definition: &definition,
            event,
            cause: message.key(),
            close_join,
            now,
            origin,
            chain: chain.filter(|chain| chain.open_at(now)),
            next,
        })
        .await
    }

    /// Runs the frame from `event`, commits the new version and sends its outbox.
    async fn advance(&self, step: Step<'_>) -> Result<Handled> {
        let Step {
            execution,
            record,
            definition,
            event,
            cause,
            close_join,
            now,
            origin,
            chain,
            next,
        } = step;
        let arn = execution.arn();
        let cause_key = cause.clone();
        let lead = submitted_lead(record, &event);
        let mut entropy = self.entropy();
        let Plan {
            commit,
            join,
            transitions,
        } = transition::plan(
            Start {
                definition,
                execution,
                record,
                event,
                cause,
                lead,
                close_join,
                now,
                max_transitions: self.config.max_transitions_per_message,
                items_per_page: self.config.items_per_page,
            },
            &mut entropy,
        )
        .map_err(|source| step_error(arn, &record.id, source))?;
        if let Some(fan_out) = join {
            self.fan_out(arn, fan_out, now).await?;
        }
        let outbox = outgoing(commit.frame.outbox.clone(), now);
        let mut commit = commit;
        commit.frame.origin = origin;
        // The version written is kept only when the chain will run from it.
        let written = chain
            .filter(|_| chain::continues(&outbox, &commit.frame))
            .map(|_| commit.frame.clone());
        match self.store.commit_sending(commit, outbox, now).await {
            // The winner may be this very message, delivered twice because a handler
            // outlived the visibility timeout; if that handler then failed to send, its
            // outbox rests on this copy.
            Ok((Written::Conflict, _)) => match self.store.frame(arn, &record.id).await? {
                Some(current) if current.cause.as_deref() == Some(cause_key.as_str()) => {
                    self.resend(current.outbox, now).await?;
                    Ok(Handled::Resent)
                }
                _ => Ok(Handled::Conflict),
            },
            Ok((Written::Done, unsent)) => {
                if let Some(mut outbox) = unsent {
                    if let Some(record) = written {
                        *next = chain::take_next(&mut outbox, &record)
                            .map(|message| Continuation { message, record });
                    }
                    if !outbox.is_empty() {
                        self.queue.send(outbox).await?;
                    }
                }
                Ok(Handled::Advanced { transitions })
            }
            // Retrying cannot make the write fit: fail the execution, as Step Functions
            // fails one whose data outgrows its limits, instead of leaving it running.
            Err(store::Error::TooLarge(what)) => {
                warn!(execution_id = %arn, frame = %record.id, %what, "state too large to store");
                let failure = Failure::data_limit(format!(
                    "The state of the execution exceeds the storage limit: {what}"
                ));
                self.end(arn, ExecutionStatus::Failed, failure).await?;
                Ok(Handled::Advanced { transitions: 0 })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Sends the frame's outbox again when its current version is this message's commit;
    /// else the message is ignored, for the reason `otherwise`.
    async fn resend_if_own(&self, message: &Message, otherwise: &'static str) -> Result<Handled> {
        match self.store.frame(&message.execution, &message.frame).await? {
            Some(current) if chain::made_by(&current, message) => {
                self.resend(current.outbox, self.clock.now()).await?;
                Ok(Handled::Resent)
            }
            _ => Ok(Handled::Ignored(otherwise)),
        }
    }

    /// Sends a commit's outbox again, each message marked as a copy.
    async fn resend(&self, outbox: Vec<Message>, now: i64) -> Result<()> {
        let copies = outbox.into_iter().map(|m| Message { resent: true, ..m });
        self.send(copies.collect(), now).await
    }

    /// A callback task's call went through: note it beside the frame, which keeps
    /// waiting for the token.
    async fn submitted(
        &self,
        message: &Message,
        record: &FrameRecord,
        output: Value,
        now: i64,
    ) -> Result<Handled> {
        let note = |output| TaskNote::Submitted(Submission { at: now, output });
        let (execution, frame, version) = (&message.execution, &record.id, record.version);
        let written = match self
            .store
            .note_task(execution, frame, version, note(output))
            .await
        {
            // The note only feeds `TaskSubmitted`'s output: a frame with no room left
            // beside it keeps waiting without it rather than failing the call.
            Err(store::Error::TooLarge(_)) => {
                self.store
                    .note_task(execution, frame, version, note(Value::Null))
                    .await?
            }
            other => other?,
        };
        Ok(match written {
            Written::Done => Handled::Submitted,
            // The callback came back before the call returned.
            Written::Conflict => Handled::Ignored("task ended"),
        })
    }

    pub async fn describe(&self, arn: &str) -> Result<ExecutionRecord> {
        self.store
            .execution(arn)
            .await?
            .ok_or_else(|| Error::ExecutionDoesNotExist(arn.to_owned()))
    }

    /// The whole history, in order, with AWS's event ids.
    pub async fn history(&self, arn: &str) -> Result<Vec<Value>> {
        self.describe(arn).await?;
        let mut items = Vec::new();
        let mut page = None;
        loop {
            let next = self.store.history(arn, page).await?;
            items.extend(next.items);
            match next.next {
                Some(token) => page = Some(token),
                None => break,
            }
        }
        Ok(history::assemble(items))
    }

    async fn definition(&self, hash: &str) -> Result<Arc<StateMachine>> {
        if let Some(found) = self.cached(hash) {
            return Ok(found);
        }
        let text = self
            .store
            .definition(hash)
            .await?
            .ok_or_else(|| Error::MissingDefinition(hash.to_owned()))?;
        let parsed = Arc::new(definition::parse(&text)?);
        self.remember(hash, parsed.clone());
        Ok(parsed)
    }

    fn cached(&self, hash: &str) -> Option<Arc<StateMachine>> {
        let cache = self.definitions.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(hash).cloned()
    }

    fn remember(&self, hash: &str, definition: Arc<StateMachine>) {
        let mut cache = self.definitions.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(hash.to_owned(), definition);
    }

    async fn send(&self, messages: Vec<Message>, now: i64) -> Result<()> {
        if messages.is_empty() {
            return Ok(());
        }
        self.queue.send(outgoing(messages, now)).await?;
        Ok(())
    }
}

/// Messages as the queue takes them, each with its delay from `now`.
fn outgoing(messages: Vec<Message>, now: i64) -> Vec<Outgoing> {
    messages
        .into_iter()
        .map(|message| Outgoing {
            delay_seconds: delay_seconds(message.due, now),
            message,
        })
        .collect()
}

/// One transition to run and commit.
struct Step<'a> {
    execution: &'a ExecutionRecord,
    record: &'a FrameRecord,
    definition: &'a StateMachine,
    event: Event,
    /// The key of what caused it (a message, or a callback).
    cause: String,
    close_join: Option<JoinKey>,
    now: i64,
    /// For a chain's later step: the key of the message the chain began with.
    origin: Option<String>,
    /// The chain this step may continue, while its budget lasts.
    chain: Option<&'a Chain>,
    /// Where the step leaves the message the chain handles next.
    next: &'a mut Option<Continuation>,
}

/// A callback task's `TaskSubmitted` event, recorded with the event that ends the task.
fn submitted_lead(record: &FrameRecord, event: &Event) -> Vec<(HistoryEvent, i64)> {
    let ends_task = matches!(
        event,
        Event::TaskSucceeded { .. } | Event::TaskFailed { .. } | Event::TaskTimedOut { .. }
    );
    let (Some(task), Some(submission)) = (&record.task, &record.progress.submitted) else {
        return Vec::new();
    };
    if !ends_task {
        return Vec::new();
    }
    let event = HistoryEvent::new(
        TaskKind::of(&task.resource).event_type(TaskEvent::Submitted),
        Details::TaskSubmitted {
            resource: task.resource.clone(),
            output: submission.output.clone(),
        },
    );
    vec![(event, submission.at)]
}

/// A join a `ChildDone` message has decided, before the parent frame is read.
enum Decided {
    /// Fail the Parallel or Map state with this error and close the join.
    Fail(Failure, JoinKey),
    /// Every child ended: claim the join and collect the results.
    Collect(Box<JoinRecord>),
}

/// The queue delay for a message due at `due`: whole seconds, rounded up, at most 15
/// minutes (a longer wait is re-sent when it arrives early).
fn delay_seconds(due: Option<i64>, now: i64) -> u32 {
    let Some(due) = due else { return 0 };
    let millis = due.saturating_sub(now).max(0);
    let seconds = millis.saturating_add(999) / 1000;
    u32::try_from(seconds)
        .unwrap_or(u32::MAX)
        .min(MAX_DELAY_SECONDS)
}

fn step_error(arn: &str, frame: &FrameId, source: stepwise_core::interp::Error) -> Error {
    Error::Step {
        execution: arn.to_owned(),
        frame: frame.to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_round_up_and_cap_at_fifteen_minutes() {
        assert_eq!(delay_seconds(None, 5), 0);
        assert_eq!(delay_seconds(Some(1_000), 5_000), 0);
        assert_eq!(delay_seconds(Some(5_001), 5_000), 1);
        assert_eq!(delay_seconds(Some(65_000), 5_000), 60);
        assert_eq!(delay_seconds(Some(i64::MAX), 0), 900);
    }
}
