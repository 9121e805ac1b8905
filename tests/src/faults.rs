//! Crash points on real infrastructure:
//! - [`FailingSends`]: a queue that fails chosen sends, as a handler that dies after its
//!   commit and before its send (the dual-write case: the commit is in DynamoDB, the
//!   outbox is not on SQS);
//! - [`duplicating`]: a handler wrapper that puts a copy of every new message body back
//!   on the queue (SQS's at-least-once delivery);
//! - [`racing`]: a handler wrapper that hands each batch to two handler calls at once
//!   (two workers on the same frames).

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use futures::future::BoxFuture;
use stepwise_aws::SqsQueue;
use stepwise_engine::queue::{self, Outgoing, Queue};

/// [`SqsQueue`] whose sends numbered in `fail_at` (1-based, counting every `send` call
/// the engine makes) fail without sending anything.
#[derive(Debug)]
pub struct FailingSends {
    inner: SqsQueue,
    fail_at: Vec<u64>,
    sends: AtomicU64,
    injected: AtomicU64,
}

impl FailingSends {
    pub fn new(inner: SqsQueue, fail_at: Vec<u64>) -> Self {
        Self {
            inner,
            fail_at,
            sends: AtomicU64::new(0),
            injected: AtomicU64::new(0),
        }
    }

    /// Sends failed on purpose so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    /// Send calls so far, failed ones included.
    pub fn sends(&self) -> u64 {
        self.sends.load(Ordering::SeqCst)
    }
}

impl Queue for FailingSends {
    async fn send(&self, messages: Vec<Outgoing>) -> queue::Result<()> {
        let n = self.sends.fetch_add(1, Ordering::SeqCst) + 1;
        if self.fail_at.contains(&n) {
            self.injected.fetch_add(1, Ordering::SeqCst);
            return Err(queue::Error::Unavailable(format!(
                "injected failure of send {n} (the handler died after its commit)"
            )));
        }
        self.inner.send(messages).await
    }
}

/// Wraps `handler`: before handling a batch, sends one copy of every body not seen before
/// to `queue_url` (with `client`, outside the engine's counter). Returns the wrapper and
/// the number of copies sent so far.
pub fn duplicating<H, F>(
    handler: H,
    client: aws_sdk_sqs::Client,
    queue_url: String,
) -> (
    impl Fn(SqsEvent) -> BoxFuture<'static, SqsBatchResponse> + Send + Sync + 'static,
    Arc<AtomicU64>,
)
where
    H: Fn(SqsEvent) -> F + Send + Sync + 'static,
    F: Future<Output = SqsBatchResponse> + Send + 'static,
{
    let handler = Arc::new(handler);
    let seen: Arc<Mutex<HashSet<String>>> = Arc::default();
    let copies = Arc::new(AtomicU64::new(0));
    let counted = copies.clone();
    let wrapper = move |event: SqsEvent| {
        let handler = handler.clone();
        let seen = seen.clone();
        let copies = copies.clone();
        let client = client.clone();
        let queue_url = queue_url.clone();
        Box::pin(async move {
            let fresh: Vec<String> = {
                let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                event
                    .records
                    .iter()
                    .filter_map(|r| r.body.clone())
                    .filter(|body| seen.insert(body.clone()))
                    .collect()
            };
            for body in fresh {
                // A copy that fails to send is just one duplicate fewer.
                if client
                    .send_message()
                    .queue_url(&queue_url)
                    .message_body(body)
                    .send()
                    .await
                    .is_ok()
                {
                    copies.fetch_add(1, Ordering::SeqCst);
                }
            }
            handler(event).await
        }) as BoxFuture<'static, SqsBatchResponse>
    };
    (wrapper, counted)
}

/// Wraps `handler`: each batch goes to two handler calls at once; a record counts as
/// failed when either call failed it (so the queue redelivers it).
pub fn racing<H, F>(
    handler: H,
) -> impl Fn(SqsEvent) -> BoxFuture<'static, SqsBatchResponse> + Send + Sync + 'static
where
    H: Fn(SqsEvent) -> F + Send + Sync + 'static,
    F: Future<Output = SqsBatchResponse> + Send + 'static,
{
    let handler = Arc::new(handler);
    move |event: SqsEvent| {
        let handler = handler.clone();
        Box::pin(async move {
            let (mut a, b) = tokio::join!(handler(event.clone()), handler(event));
            for failure in b.batch_item_failures {
                if !a
                    .batch_item_failures
                    .iter()
                    .any(|f| f.item_identifier == failure.item_identifier)
                {
                    a.batch_item_failures.push(failure);
                }
            }
            a
        }) as BoxFuture<'static, SqsBatchResponse>
    }
}
