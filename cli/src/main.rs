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
