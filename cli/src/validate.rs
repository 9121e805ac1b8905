//! `stepwise validate`.

use std::process::ExitCode;

use crate::args::ValidateArgs;

pub fn validate(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let text = crate::args::read_definition(&args.definition)?;
    let diagnostics = match stepwise_core::definition::parse(&text) {
        Ok(_) => Vec::new(),
        Err(invalid) => invalid.diagnostics,
    };
    if args.json {
        println!("{}", serde_json::to_string(&diagnostics)?);
    } else if diagnostics.is_empty() {
        println!("{}: valid", args.definition.display());
    } else {
        for d in &diagnostics {
            println!("{d}");
        }
        println!(
            "{}: {} problem(s)",
            args.definition.display(),
            diagnostics.len()
        );
    }
    Ok(if diagnostics.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
