//! Engine bugs the simulation has found and that are not fixed yet, recognised by their
//! exact signature so that the CI run stays green on them while any other violation
//! still fails it. Each has a regression test in `tests/simulation.rs`, `#[ignore]`d
//! until the fix lands; then delete its entry here.

use stepwise_engine::store::{LoadRequest, Store};
use stepwise_engine::JoinKey;

use super::executor::block_on;
use super::Run;

/// A bug the engine has today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KnownBug {
    /// A `child_done` carrying a child's failure fails its Parallel/Map: one commit
    /// closes the join and moves the parent on. If the worker dies after that commit and
    /// before sending its outbox, the redelivered `child_done` loads the join, finds it
    /// closed, and acknowledges ("join closed") before it reaches the redelivery check
    /// that would re-send the outbox (`Engine::handle`: `join::decide` returns
    /// `Decision::Closed` first). The parent's next message is never sent and the
    /// execution stays RUNNING forever.
    JoinFailureOutboxLost,
}

impl KnownBug {
    pub fn name(self) -> &'static str {
        match self {
            Self::JoinFailureOutboxLost => {
                "a redelivered child_done that failed its join does not re-send the outbox"
            }
        }
    }
}

/// Why a stuck execution is stuck, if it is a known bug: a frame whose last commit was
/// made by a failed child's `child_done`, closed that join, and promised messages that
/// were never sent.
pub fn classify_stuck(run: &Run, arn: &str) -> Option<KnownBug> {
    let store = run.engine.store().inner();
    let queue = run.engine.queue();
    store.frames(arn).into_iter().find_map(|frame| {
        let cause = frame.cause.as_deref()?;
        let own_join = JoinKey {
            parent: frame.id.clone(),
            version: frame.version.checked_sub(1)?,
        };
        let from_child =
            cause.starts_with(&format!("{}@{}:child:", own_join.parent, own_join.version));
        let loaded = block_on(store.load(&LoadRequest {
            execution: arn.to_owned(),
            frame: frame.id.clone(),
            joins: vec![own_join],
            with_frame: false,
        }))
        .ok()?;
        let closed = loaded.joins.first()?.as_ref()?.closed;
        let lost = frame.outbox.iter().any(|m| !queue.was_sent(m));
        (from_child && closed && lost).then_some(KnownBug::JoinFailureOutboxLost)
    })
}
