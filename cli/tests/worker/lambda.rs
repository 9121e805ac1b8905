//! A stand-in for the Lambda Invoke API (`POST /2015-03-31/functions/<name>/invocations`)
//! that answers after a delay the test sets, and counts the calls: a task whose length the
//! test controls, so a message stays in flight in a worker as long as the test needs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::routing::post;
use axum::Router;

#[derive(Debug, Default)]
struct Calls {
    started: AtomicU64,
    /// How long an invocation takes, in milliseconds, read when it arrives.
    delay_ms: AtomicU64,
}

/// The running stand-in; its server stops with the test's runtime.
#[derive(Debug, Clone)]
pub struct SlowLambda {
    calls: Arc<Calls>,
    endpoint: String,
}

impl SlowLambda {
    pub async fn start(delay: Duration) -> anyhow::Result<Self> {
        let calls = Arc::new(Calls::default());
        calls
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
        let app = Router::new()
            .route("/2015-03-31/functions/{name}/invocations", post(invoke))
            .with_state(calls.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { calls, endpoint })
    }

    /// For `AWS_ENDPOINT_URL_LAMBDA`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn set_delay(&self, delay: Duration) {
        self.calls
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Invocations received so far.
    pub fn started(&self) -> u64 {
        self.calls.started.load(Ordering::SeqCst)
    }
}

async fn invoke(State(calls): State<Arc<Calls>>, Path(name): Path<String>) -> String {
    calls.started.fetch_add(1, Ordering::SeqCst);
    let delay = calls.delay_ms.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    format!("{{\"function\": \"{name}\"}}")
}
