//! The queue port: how messages reach the handlers.

use std::future::Future;

use crate::message::Message;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("queue unavailable: {0}")]
    Unavailable(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A message with the delay the queue should hold it for.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub message: Message,
    /// At most [`MAX_DELAY_SECONDS`].
    pub delay_seconds: u32,
}

/// SQS holds a message back for at most 15 minutes; longer waits are sent again.
pub const MAX_DELAY_SECONDS: u32 = 900;

pub trait Queue: Send + Sync {
    /// Sends every message or fails; a partial send is retried whole by the caller (the
    /// receivers are idempotent).
    fn send(&self, messages: Vec<Outgoing>) -> impl Future<Output = Result<()>> + Send;
}
