//! `stepwise`: run, validate, serve, draw and benchmark Amazon States Language
//! workflows, and run the durable engine's worker.

mod args;
mod bench;
mod console;
mod graph;
mod run;
mod serve;
mod tasks;
mod validate;
mod worker;

use std::process::ExitCode;

use clap::Parser;

// The interpreter builds and drops many small JSON values per state (serde_json's `Value`
// has no arena), and the embedded worker's threads hand buffers to one another: the
// system allocator was a fifth of their instructions, which mimalloc's thread-local
// free lists cut.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Run(args) => run::run(args),
        args::Command::Validate(args) => validate::validate(args),
        args::Command::Serve(args) => serve::serve(args),
        args::Command::Worker(args) => worker::worker(args),
        args::Command::Graph(args) => graph::graph(args),
        args::Command::Bench(args) => bench::bench(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
