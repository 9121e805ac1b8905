//! The pure core of Stepwise: Amazon States Language (ASL) as AWS Step Functions runs it.
//!
//! - [`definition`] parses and validates a definition, reporting every problem with its JSON
//!   Pointer, and compiles paths, templates and intrinsics once.
//! - [`jsonpath`] is AWS's (Jayway's) JSONPath; [`intrinsics`] the 18 `States.*` functions.
//! - [`jsonata`] is JSONata 2.x with Step Functions' additions, for JSONata states
//!   (`"QueryLanguage": "JSONata"`); expressions are parsed once, with the definition.
//! - [`interp`] is the interpreter: [`interp::step`], a pure function from (definition,
//!   frame, event, environment) to (frame', effects, history events), and
//!   [`interp::Execution`], which drives a whole execution in memory.
//!
//! Nothing here does I/O, reads a clock or draws randomness of its own: time, ids and
//! random numbers come in as arguments, so runs are reproducible and the same core serves
//! the CLI, the durable DynamoDB + SQS engine and the tests.
//!
//! ```
//! use serde_json::json;
//! use stepwise_core::definition::parse;
//! use stepwise_core::entropy::SplitMix64;
//! use stepwise_core::interp::{Execution, ExecutionInfo, Status};
//!
//! let machine = parse(r#"{
//!     "StartAt": "Greet",
//!     "States": {
//!         "Greet": {
//!             "Type": "Pass",
//!             "Parameters": {"greeting.$": "States.Format('Hello, {}!', $.name)"},
//!             "End": true
//!         }
//!     }
//! }"#).expect("a valid definition");
//!
//! let now = 1_700_000_000_000; // epoch milliseconds, supplied by the caller
//! let info = ExecutionInfo::local("hello", "run-1", json!({"name": "Ada"}), now);
//! let mut execution = Execution::start(&machine, info, false);
//! execution.run(now, &mut SplitMix64::new(1)).expect("no engine fault");
//!
//! assert_eq!(execution.status(), &Status::Succeeded(json!({"greeting": "Hello, Ada!"})));
//! ```

pub mod definition;
pub mod entropy;
pub mod failure;
pub mod interp;
pub mod intrinsics;
pub mod jsonata;
pub mod jsonpath;
