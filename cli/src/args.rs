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
    /// Benchmark the interpreter side by side with a peer, and print the tables.
    Bench(BenchArgs),
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
