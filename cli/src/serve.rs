//! `stepwise serve`: the Step Functions API and the worker that runs its executions, in
//! one process over one SQLite file, so the AWS SDKs and the `aws` CLI (with
//! `--endpoint-url`) drive workflows with no AWS account.
//!
//! ARNs name region `us-east-1` and account `000000000000`: SDK clients configured for a
//! real region accept them, and they look like the ARNs of a deployment.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use stepwise_api::{server, Api, TestCases};
use stepwise_engine::{Config, Engine, NoTasks, SystemClock, TaskInvoker};
use stepwise_local::{Options, SqliteQueue, SqliteStore, Worker, WorkerOptions};
use stepwise_local_tasks::{LocalTasks, Mocked, Stored};
use tokio::sync::watch;

use crate::args::ServeArgs;

/// The region and account every ARN this server makes names.
pub fn config() -> Config {
    Config {
        region: "us-east-1".to_owned(),
        account: "000000000000".to_owned(),
        ..Config::local()
    }
}

pub fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    // The worker and the API log through `tracing` (retries, dead letters, failed
    // requests); `RUST_LOG` (default `warn`) chooses how much reaches stderr.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
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

async fn run(args: ServeArgs) -> anyhow::Result<()> {
    // Bad task files are refused before the database is opened or created.
    let registry = args.tasks.registry()?;
    let mocks = args.tasks.mock_config()?;
    let endpoint = args.tasks.aws_endpoint()?.map(str::to_owned);
    let (store, queue) = stepwise_local::open(&args.db, Options::default(), SystemClock)
        .with_context(|| format!("cannot open the database {}", args.db.display()))?;
    let config = config();
    if !args.tasks.any() {
        // No task options: a Task state fails with `States.Runtime` naming its resource
        // (`NoTasks`) rather than hang.
        return serve_with(args, store, queue, NoTasks, None).await;
    }
    let local = LocalTasks::new(registry, endpoint.as_deref(), &config.account).await;
    let test_cases = args.tasks.mock_config.is_some().then(|| mocks.test_cases());
    let tasks = Mocked::new(Arc::new(mocks), Stored::new(store.clone()), local);
    serve_with(args, store, queue, tasks, test_cases).await
}

async fn serve_with<T: TaskInvoker + 'static>(
    args: ServeArgs,
    store: SqliteStore,
    queue: SqliteQueue<SystemClock>,
    tasks: T,
    test_cases: Option<TestCases>,
) -> anyhow::Result<()> {
    let config = config();
    // Nested executions are the engine's own: they start the state machines the API
    // created.
    let engine =
        Arc::new(Engine::with(store, queue, tasks, SystemClock, config.clone()).with_catalog());
    let mut api = Api::new(Arc::clone(&engine), &config);
    if let Some(test_cases) = test_cases {
        api = api.with_test_cases(test_cases);
    }
    let api = Arc::new(api);

    let address = SocketAddr::new(args.bind, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let bound = listener.local_addr().context("no local address")?;

    let (stop, stopped) = watch::channel(false);
    let worker = Worker::new(engine, WorkerOptions::default());
    let working = tokio::spawn({
        let stopped = stopped.clone();
        async move { worker.run(stopped).await }
    });

    println!("listening on http://{bound}");
    // Absolute, so that the line says which file whatever the working directory.
    let db = std::path::absolute(&args.db).unwrap_or_else(|_| args.db.clone());
    println!("database {}", db.display());
    if !args.bind.is_loopback() {
        eprintln!("warning: the API has no authentication and listens on {bound}");
    }

    let mut until_stop = stopped;
    // The console's GET routes beside the API's `POST /`.
    let app = server::router(api).merge(crate::console::router());
    let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
        // Either a signal or the worker's end (it only ends when told to) stops serving.
        let _ = until_stop.wait_for(|stop| *stop).await;
    });
    let signalled = async {
        shutdown_signal().await;
        let _ = stop.send(true);
    };
    let (served, ()) = tokio::join!(serving, signalled);
    served.context("the API server failed")?;
    // The worker finishes the messages in hand; an unfinished one is delivered again
    // after the next start, as after a crash.
    working.await.context("the worker panicked")?;
    println!("stopped");
    Ok(())
}

/// Ctrl-C, or SIGTERM (what `kill` and service managers send).
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
