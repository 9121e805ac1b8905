//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "stepwise",
    version,
    about = "Run Amazon States Language workflows anywhere"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an execution in this process, with real waits, and print its trace and result.
    Run(RunArgs),
    /// Check a definition and list every problem with its JSON path.
    Validate(ValidateArgs),
    /// Serve the Step Functions API and run its executions, in this process, on SQLite.
    Serve(ServeArgs),
    /// Consume the start, steps and complete SQS queues with the Lambda functions'
    /// handlers, as a long-running replica (Kubernetes, ECS, a VM), configured by the same
    /// environment as the functions (STEPWISE_TABLE, STEPWISE_*_QUEUE_URL, AWS_*).
    Worker(WorkerArgs),
    /// Draw a definition as a graph (SVG, Mermaid or DOT), optionally coloured by how an
    /// execution went.
    Graph(GraphArgs),
    /// Benchmark the interpreter side by side with a peer, and print the tables.
    Bench(BenchArgs),
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Batches of the start queue handled at once (0: leave the queue to others).
    #[arg(long, default_value_t = 1)]
    pub start_concurrency: usize,
    /// Batches of the steps queue handled at once (0: leave the queue to others).
    #[arg(long, default_value_t = 4)]
    pub advance_concurrency: usize,
    /// Batches of the complete queue handled at once (0: leave the queue to others).
    #[arg(long, default_value_t = 1)]
    pub complete_concurrency: usize,
    /// Messages per receive (SQS allows 1 to 10).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub batch_size: u8,
    /// Long-poll wait of each receive, in seconds (SQS allows 0 to 20).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u8).range(0..=20))]
    pub wait_time_seconds: u8,
    /// After SIGTERM or SIGINT, how long in-flight batches may run before they are
    /// handed back to their queue. Stopping takes up to this plus the long-poll wait.
    #[arg(long, default_value_t = 30)]
    pub grace_seconds: u64,
    /// Where `/healthz` and `/metrics` are served. They expose no data beyond counts; use
    /// `0.0.0.0:<port>` in a container so the kubelet and Prometheus reach them.
    #[arg(long, default_value = "127.0.0.1:9464")]
    pub listen: std::net::SocketAddr,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The state machine definition: an ASL JSON file (or the JSON text itself).
    pub definition: PathBuf,
    #[arg(long, value_enum, default_value_t = GraphFormat::Svg)]
    pub format: GraphFormat,
    /// Write the drawing to this file instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Colour states by how this execution went, fetched with GetExecutionHistory from
    /// --endpoint (else AWS, as the environment configures it).
    #[arg(long, value_name = "ARN", conflicts_with = "history")]
    pub execution: Option<String>,
    /// The Step Functions API to ask: `stepwise serve` (http://127.0.0.1:8083), a
    /// deployment's api function, or AWS.
    #[arg(long, value_name = "URL", requires = "execution")]
    pub endpoint: Option<String>,
    /// Colour states from a GetExecutionHistory answer saved as JSON (`{"events": […]}`,
    /// an array of events, or one event per line).
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum GraphFormat {
    Svg,
    Mermaid,
    Dot,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A short smoke run (small sizes, one sample): checks the harness, not the speed.
    #[arg(long)]
    pub quick: bool,
    /// Run one section only.
    #[arg(long, value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(crate::bench::section_names()))]
    pub section: Option<String>,
    /// Also write the figures as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write the throughput-against-size plot as SVG to FILE.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Where the peer (bench/peer, with `npm ci` run in it) is. Defaults to the checkout
    /// the binary was built from.
    #[arg(long, value_name = "DIR")]
    pub peer: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The SQLite database (created if absent); executions survive restarts in it.
    #[arg(long, default_value = "stepwise.db")]
    pub db: PathBuf,
    /// The TCP port of the API.
    #[arg(long, default_value_t = 8083)]
    pub port: u16,
    /// The address to listen on. The API has no authentication: `0.0.0.0` lets anyone
    /// who can reach this machine create and run state machines.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    // With --mock-config, `StartExecution` on `…:stateMachine:<name>#<TestCase>` runs that
    // test case (as Step Functions Local does); the test case is stored with the execution.
    #[command(flatten)]
    pub tasks: crate::tasks::TaskArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The state machine definition: an ASL JSON file (or the JSON text itself).
    pub definition: PathBuf,
    /// The execution input: a JSON file, or JSON text. Defaults to `{}`.
    #[arg(long, short)]
    pub input: Option<String>,
    /// Print only the result, as one JSON object on the last line of stdout.
    #[arg(long)]
    pub json: bool,
    /// The execution name (`$$.Execution.Name`). Defaults to a random id.
    #[arg(long)]
    pub name: Option<String>,
    /// Print every history event as Step Functions' GetExecutionHistory shows it.
    #[arg(long, conflicts_with = "json")]
    pub history: bool,
    #[command(flatten)]
    pub tasks: crate::tasks::TaskArgs,
    /// The mock configuration's test case to run, under the state machine's name
    /// (--state-machine-name, else the definition file's stem: `orders.asl.json` →
    /// `orders`).
    #[arg(long, value_name = "NAME", requires = "mock_config")]
    pub test_case: Option<String>,
    /// The state machine's name (`$$.StateMachine.Name`, and its key in the mock
    /// configuration). Defaults to the definition file's stem.
    #[arg(long, value_name = "NAME")]
    pub state_machine_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The state machine definition: an ASL JSON file (or the JSON text itself).
    pub definition: PathBuf,
    /// Print the diagnostics as a JSON array.
    #[arg(long)]
    pub json: bool,
}

/// Reads a definition file; text that is not a file but looks like a JSON object is taken
/// as the definition itself, which saves a temporary file in scripts.
pub fn read_definition(arg: &std::path::Path) -> anyhow::Result<String> {
    use anyhow::Context as _;
    match std::fs::read_to_string(arg) {
        Ok(text) => Ok(text),
        Err(err) => {
            let inline = arg.to_str().filter(|s| s.trim_start().starts_with('{'));
            match inline {
                Some(text) => Ok(text.to_owned()),
                None => Err(err).with_context(|| format!("cannot read {}", arg.display())),
            }
        }
    }
}
