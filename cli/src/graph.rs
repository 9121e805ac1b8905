//! `stepwise graph`: a definition drawn as SVG, Mermaid or DOT, its states coloured by an
//! execution's history when one is given (from a Step Functions API or a saved file).

use std::process::ExitCode;

use anyhow::{bail, Context as _};
use serde_json::{json, Value};
use stepwise_graph::{Diagram, Format, Statuses};

use crate::args::{GraphArgs, GraphFormat};

pub fn graph(args: GraphArgs) -> anyhow::Result<ExitCode> {
    let text = crate::args::read_definition(&args.definition)?;
    let machine = match stepwise_core::definition::parse(&text) {
        Ok(machine) => machine,
        Err(invalid) => {
            for d in &invalid.diagnostics {
                eprintln!("{d}");
            }
            bail!(
                "{} is not a valid state machine ({} problem(s))",
                args.definition.display(),
                invalid.diagnostics.len()
            );
        }
    };
    let mut diagram = Diagram::new(&machine);
    let events = match (&args.execution, &args.history) {
        (Some(arn), _) => Some(fetch_history(arn, args.endpoint.as_deref())?),
        (None, Some(file)) => Some(read_history(file)?),
        (None, None) => None,
    };
    if let Some(events) = events {
        warn_about_unknown_states(&diagram, &events);
        let statuses = Statuses::from_history(&diagram, &events);
        diagram.colour(|state| statuses.of(state));
    }
    let format = match args.format {
        GraphFormat::Svg => Format::Svg,
        GraphFormat::Mermaid => Format::Mermaid,
        GraphFormat::Dot => Format::Dot,
    };
    let drawing = format.render(&diagram);
    match &args.output {
        Some(path) => std::fs::write(path, drawing)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{drawing}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// A history from another definition would colour nothing, silently: say so.
fn warn_about_unknown_states(diagram: &Diagram, events: &[Value]) {
    let known: Vec<&str> = diagram.nodes().iter().map(|n| n.name.as_str()).collect();
    let mut unknown: Vec<&str> = events
        .iter()
        .filter_map(|e| e["stateEnteredEventDetails"]["name"].as_str())
        .filter(|name| !known.contains(name))
        .collect();
    unknown.dedup();
    if !unknown.is_empty() {
        eprintln!(
            "warning: the history names states that are not in the definition: {}",
            unknown.join(", ")
        );
    }
}

/// The events of a saved `GetExecutionHistory` answer: `{"events": […]}`, a bare array,
/// or JSON lines (one event per line).
fn read_history(path: &std::path::Path) -> anyhow::Result<Vec<Value>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let events = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(mut answer)) => match answer.remove("events") {
            Some(Value::Array(events)) => events,
            _ => bail!(
                "{}: expected GetExecutionHistory's answer, with an \"events\" array",
                path.display()
            ),
        },
        Ok(Value::Array(events)) => events,
        Ok(_) => bail!(
            "{}: expected a JSON object or array of events",
            path.display()
        ),
        Err(_) => text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(i, line)| {
                serde_json::from_str(line)
                    .with_context(|| format!("{}:{}: not a JSON event", path.display(), i + 1))
            })
            .collect::<anyhow::Result<_>>()?,
    };
    for (i, event) in events.iter().enumerate() {
        if !event["type"].is_string() {
            bail!(
                "{}: event {} has no \"type\": not a GetExecutionHistory event",
                path.display(),
                i + 1
            );
        }
    }
    Ok(events)
}

/// Every event of the execution (all pages), in the JSON shape `GetExecutionHistory`
/// answers with, as far as the statuses read it.
fn fetch_history(arn: &str, endpoint: Option<&str>) -> anyhow::Result<Vec<Value>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(url) = endpoint {
            loader = loader.endpoint_url(url);
            // A local API (`stepwise serve`) checks no signature, but the SDK signs every
            // request: let a bare shell work without AWS settings.
            if std::env::var_os("AWS_ACCESS_KEY_ID").is_none()
                && std::env::var_os("AWS_PROFILE").is_none()
            {
                loader = loader.credentials_provider(aws_sdk_sfn::config::Credentials::new(
                    "local", "local", None, None, "stepwise",
                ));
            }
        }
        let config = loader.load().await;
        let config = if config.region().is_none() {
            aws_sdk_sfn::config::Builder::from(&config)
                .region(aws_sdk_sfn::config::Region::new("us-east-1"))
                .build()
        } else {
            aws_sdk_sfn::config::Builder::from(&config).build()
        };
        let client = aws_sdk_sfn::Client::from_conf(config);
        let mut pages = client
            .get_execution_history()
            .execution_arn(arn)
            .into_paginator()
            .items()
            .send();
        let mut events = Vec::new();
        while let Some(event) = pages.next().await {
            let event = event.map_err(aws_sdk_sfn::Error::from).with_context(|| {
                format!(
                    "GetExecutionHistory of {arn} at {}",
                    endpoint.unwrap_or("AWS")
                )
            })?;
            events.push(event_json(&event));
        }
        Ok(events)
    })
}

/// The fields of an SDK event that the statuses read, named as on the wire.
fn event_json(event: &aws_sdk_sfn::types::HistoryEvent) -> Value {
    let mut json = json!({"type": event.r#type().as_str(), "id": event.id()});
    if let Some(d) = event.state_entered_event_details() {
        json["stateEnteredEventDetails"] = json!({"name": d.name()});
    }
    if let Some(d) = event.state_exited_event_details() {
        json["stateExitedEventDetails"] = json!({"name": d.name()});
    }
    if let Some(name) = event
        .map_iteration_failed_event_details()
        .and_then(|d| d.name())
    {
        json["mapIterationFailedEventDetails"] = json!({"name": name});
    }
    if let Some(name) = event
        .map_iteration_aborted_event_details()
        .and_then(|d| d.name())
    {
        json["mapIterationAbortedEventDetails"] = json!({"name": name});
    }
    json
}
