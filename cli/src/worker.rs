//! `stepwise worker`: the Lambda functions' handlers on long-running consumers of their
//! queues (see `stepwise_worker`), with `/healthz` and `/metrics`, until SIGTERM/SIGINT.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use stepwise_worker::{Options, Polling, Queues, Worker};

use crate::args::WorkerArgs;

pub fn worker(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    // JSON lines with timestamps: what container log collectors parse. `RUST_LOG`
    // (default `info`) chooses how much.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run(args))?;
    Ok(ExitCode::SUCCESS)
}

fn polling(concurrency: usize, args: &WorkerArgs) -> Polling {
    Polling {
        concurrency,
        batch_size: usize::from(args.batch_size),
        wait: Duration::from_secs(u64::from(args.wait_time_seconds)),
    }
}

async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let config = stepwise_aws::config::Config::from_env().await?;
    let queues = Queues::from_env();
    let options = Options {
        start: polling(args.start_concurrency, &args),
        advance: polling(args.advance_concurrency, &args),
        complete: polling(args.complete_concurrency, &args),
    };
    // Listen first: a port in use is refused before any queue is touched.
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let worker = Worker::new(&config, &queues, options).await?;
    if worker.consumed().is_empty() {
        anyhow::bail!(
            "no queue to consume: set STEPWISE_STEPS_QUEUE_URL (and STEPWISE_START_QUEUE_URL, \
             STEPWISE_COMPLETE_QUEUE_URL) with a non-zero concurrency"
        );
    }
    let consumed: Vec<String> = worker
        .consumed()
        .iter()
        .map(|(name, polling)| format!("{name}×{}", polling.concurrency))
        .collect();
    // Tests and operators read the bound address (`--listen 127.0.0.1:0` picks a port).
    eprintln!(
        "stepwise worker: consuming {}; health and metrics on http://{address}",
        consumed.join(", ")
    );
    let shutdown = worker.shutdown();
    let grace = Duration::from_secs(args.grace_seconds);
    let signals = tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            if let Err(e) = stepwise_worker::shutdown::signal().await {
                tracing::error!(error = %e, "cannot listen for signals");
                return;
            }
            tracing::info!(grace_seconds = grace.as_secs(), "stopping");
            shutdown.begin(grace);
        }
    });
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
    let http = tokio::spawn(stepwise_worker::http::serve(
        listener,
        worker.metrics(),
        shutdown.clone(),
        async move {
            let _ = stopped_rx.await;
        },
    ));
    let outcome = worker.run().await;
    signals.abort();
    let _ = stopped_tx.send(());
    http.await.context("the HTTP server panicked")??;
    outcome?;
    tracing::info!("stopped");
    Ok(())
}
