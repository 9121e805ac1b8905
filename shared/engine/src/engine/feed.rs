//! A Distributed Map's items read a page at a time (see `stepwise_core::interp::Feed`).
//!
//! The Map's commit opens its join with the first page's children and the feed, and
//! sends `ReadPage` for page 1. Each `ReadPage` message reads its page, writes the page's
//! children (chunked as any fan-out, see `fan_out`), records the page in the join
//! ([`Store::feed_join`], conditional on the join still waiting for that page: that write
//! is the page's commit point), and starts the page's children that may start. Only the
//! message that made it sends the next `ReadPage`, or, after the last page, a `ChildDone` probe that
//! decides the join (its children may all have ended while pages were read). The Map's
//! frame is not touched meanwhile: its children report to the join at its version.
//!
//! A message redelivered before the commit point does the page again, writing nothing
//! twice (every child write is conditional); one redelivered after it finds the join
//! past its page and sends the next message again, as a frame's redelivered message
//! sends its commit's outbox again. A first delivery finding its page recorded is a copy
//! and is dropped.

use stepwise_core::entropy::Entropy;
use stepwise_core::interp::{self, Env, ExecutionInfo};
use tracing::{debug, warn};

use super::{Engine, Handled};
use crate::clock::Clock;
use crate::error::Result;
use crate::fan_out;
use crate::ids::FrameId;
use crate::message::{Message, MessageKind};
use crate::queue::Queue;
use crate::records::JoinRecord;
use crate::store::{Store, Written};
use crate::tasks::TaskInvoker;
use crate::transition;

/// The `ChildDone` index of the probe the last page sends: no child has it.
pub(crate) const PROBE_INDEX: u32 = u32::MAX;

/// A page is read for a Map waiting on its children: no history, no state entered.
fn page_env<'a>(
    now: i64,
    info: &'a ExecutionInfo,
    entropy: &'a mut dyn Entropy,
    items_per_page: u32,
) -> Env<'a> {
    Env {
        now,
        execution: info,
        entropy,
        first_event_id: 0,
        record_history: false,
        max_transitions: 1,
        task_token_prefix: None,
        items_per_page: Some(items_per_page),
    }
}

impl<S: Store, Q: Queue, T: TaskInvoker, C: Clock> Engine<S, Q, T, C> {
    pub(super) async fn read_page(
        &self,
        message: Message,
        page: u64,
        receive_count: u32,
        now: i64,
    ) -> Result<Handled> {
        let (execution, join, frame) = match self.open_join_of(&message).await? {
            Ok(open) => open,
            Err(reason) => return Ok(Handled::Ignored(reason)),
        };
        let Some(parent) = frame.filter(|f| f.version == message.version) else {
            return Ok(Handled::Ignored("stale version"));
        };
        // Only a message delivered again can be the one that recorded its page and died
        // before sending what follows; a first delivery finding its page recorded is a
        // copy (a duplicate, a recheck) and goes no further, so copies never multiply.
        let redelivered = receive_count > 1;
        let feed = match &join.feed {
            Some(feed) if feed.page == page => feed.clone(),
            // This page was recorded; the message that did it may have died before
            // sending what follows.
            Some(_) | None
                if redelivered && join.feed.as_ref().is_none_or(|f| f.page == page + 1) =>
            {
                // Its children may not all have been started either: the last page's
                // (or more, which is harmless: a started child ignores another `Run`).
                let known = u32::try_from(join.children_known()).unwrap_or(u32::MAX);
                let first = known.saturating_sub(self.config.items_per_page);
                let page = (first, known - first);
                self.start_page(&message.execution, &join, page, known - first, now)
                    .await?;
                return self.after_page(&message, &join, now, true).await;
            }
            _ => return Ok(Handled::Ignored("page read before")),
        };
        let definition = self.definition(&execution.definition_hash).await?;
        let mut entropy = self.entropy();
        let frame = &parent.frame;
        // The environment holds the entropy (not `Send`): one per call, none across the
        // read's await.
        let request = interp::next_page_request(
            &definition,
            frame,
            &feed,
            &mut page_env(
                now,
                &execution.info,
                &mut entropy,
                self.config.items_per_page,
            ),
        );
        let answer = match request {
            Ok(request) => self.tasks.invoke(&message.execution, &request).await,
            Err(failure) => Err(failure),
        };
        let mut update = join.clone();
        let mut started = (0, 0, 0);
        let read = interp::map_page(
            &definition,
            frame,
            &feed,
            answer,
            &mut page_env(
                now,
                &execution.info,
                &mut entropy,
                self.config.items_per_page,
            ),
        );
        match read {
            Ok(read) => {
                let first = u32::try_from(feed.children).unwrap_or(u32::MAX);
                let added = read.children.len() as u32;
                update.total = first.saturating_add(added);
                update.feed = read.next;
                if let Some(tolerance) = update.tolerance.as_mut() {
                    tolerance.total_items += read.items;
                }
                let records = transition::child_records(
                    &join,
                    first,
                    read.children,
                    &read.items_per_child,
                    parent.next_event_id,
                );
                debug!(execution_id = %message.execution, page, items = read.items, children = added, "page read");
                // The first chunk here, the others in `OpenChildren` messages (sent
                // before the commit point: a crash after it would lose them), so no
                // message writes more than a chunk and none holds up the messages
                // handled beside it. A `Run` for a child whose chunk is not written yet
                // comes back a second later.
                let chunks = fan_out::split(&message.execution, join.clone(), records);
                // Each `OpenChildren` message starts its own children that may start.
                let written = chunks.children.len() as u32;
                self.store
                    .add_children(&message.execution, join.clone(), chunks.children)
                    .await?;
                self.send(chunks.continuations, now).await?;
                started = (first, added, written);
            }
            Err(failure) => {
                warn!(execution_id = %message.execution, page, error = ?failure.error, "page not read");
                update.feed = None;
                update.feed_failure = Some(failure);
            }
        }
        match self
            .store
            .feed_join(&message.execution, page, &update)
            .await?
        {
            Written::Done => {
                let (first, added, written) = started;
                self.start_page(&message.execution, &update, (first, added), written, now)
                    .await?;
                self.after_page(&message, &update, now, false).await
            }
            Written::Conflict => Ok(Handled::Ignored("page read by another message")),
        }
    }

    /// Starts the children of a recorded page (`page`: the first and how many) that may
    /// start: those under MaxConcurrency among the first `written` (the page's own
    /// chunk: an `OpenChildren` message starts its own), and any whose predecessor has
    /// ended. After the page is recorded, so that of a predecessor's end and the page one
    /// always sees the other: a `ChildDone` that read the join before the page was
    /// recorded followed the predecessor's commit, which this read of the results finds.
    async fn start_page(
        &self,
        execution: &str,
        join: &JoinRecord,
        (first, added): (u32, u32),
        written: u32,
        now: i64,
    ) -> Result<()> {
        let limit = join.max_concurrency.filter(|&n| n > 0).unwrap_or(u32::MAX);
        let end = first.saturating_add(written.min(added));
        let mut children: Vec<u32> = (first..end.min(limit)).collect();
        children.extend(
            self.predecessors_ended(execution, join, first, added)
                .await?,
        );
        let runs = children
            .into_iter()
            .map(|child| {
                let id = FrameId::child(&join.key.parent, join.key.version, child);
                Message::new(execution, id, 0, MessageKind::Run)
            })
            .collect();
        self.send(runs, now).await
    }

    /// A paged join's `ChildDone` for child `index`: starts its successor under
    /// MaxConcurrency if that child is written (else its page starts it, see
    /// [`Engine::start_page`]). A `ChildDone` that is itself a copy, or delivered again,
    /// sends a copy: a successor that already ran does not send its own outbox again for
    /// it, so a duplicate never runs on down the chain of successors.
    pub(super) async fn start_successor(
        &self,
        message: &Message,
        receive_count: u32,
        join: &JoinRecord,
        index: u32,
        now: i64,
    ) -> Result<()> {
        let Some(limit) = join.max_concurrency.filter(|&n| n > 0 && join.paged) else {
            return Ok(());
        };
        match index.checked_add(limit) {
            Some(next) if u64::from(next) < join.children_known() => {
                let id = FrameId::child(&join.key.parent, join.key.version, next);
                let run = Message {
                    resent: message.resent || receive_count > 1,
                    ..Message::new(&message.execution, id, 0, MessageKind::Run)
                };
                self.send(vec![run], now).await
            }
            _ => Ok(()),
        }
    }

    /// Children of this page (`first`, `added` of them) whose predecessor under
    /// MaxConcurrency has ended already: its `ChildDone` found them not written yet.
    async fn predecessors_ended(
        &self,
        execution: &str,
        join: &JoinRecord,
        first: u32,
        added: u32,
    ) -> Result<Vec<u32>> {
        let Some(limit) = join.max_concurrency.filter(|&n| n > 0) else {
            return Ok(Vec::new());
        };
        let end = first.saturating_add(added);
        if end <= limit {
            return Ok(Vec::new());
        }
        // Predecessors of this page's children: `first - limit .. end - limit`.
        let from = first.saturating_sub(limit);
        let after = from.checked_sub(1);
        let results = self
            .store
            .child_results_page(execution, &join.key, after, end - limit - from)
            .await?;
        Ok(results
            .iter()
            .map(|r| r.index + limit)
            .filter(|child| (first..end).contains(child))
            .collect())
    }

    /// What follows a recorded page: the next page's read, or the probe that decides a
    /// join whose items are all read.
    async fn after_page(
        &self,
        message: &Message,
        join: &JoinRecord,
        now: i64,
        again: bool,
    ) -> Result<Handled> {
        let kind = match &join.feed {
            Some(feed) => MessageKind::ReadPage { page: feed.page },
            None => MessageKind::ChildDone {
                index: PROBE_INDEX,
                failure: None,
            },
        };
        let next = Message {
            resent: again,
            ..Message::new(
                &message.execution,
                message.frame.clone(),
                message.version,
                kind,
            )
        };
        self.send(vec![next], now).await?;
        Ok(match again {
            true => Handled::Resent,
            false => Handled::Advanced { transitions: 0 },
        })
    }
}
