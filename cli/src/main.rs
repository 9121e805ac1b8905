//! `stepwise`: run, validate, serve and draw Amazon States Language workflows.

mod args;
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
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
