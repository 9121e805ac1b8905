//! `stepwise`: run and validate Amazon States Language workflows, and benchmark the
//! interpreter.

mod args;
mod bench;
mod run;
mod serve;
mod tasks;
mod validate;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Run(args) => run::run(args),
        args::Command::Validate(args) => validate::validate(args),
        args::Command::Serve(args) => serve::serve(args),
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
