//! State machines as pictures: a [`Diagram`] built from a parsed definition, rendered as
//! a Mermaid flowchart ([`mermaid`]), Graphviz DOT ([`dot`]) or a self-contained SVG
//! ([`svg`], laid out here: no Graphviz needed).
//!
//! Parallel branches and Map processors are nested boxes, Choice rules label their
//! edges (`$.n < 3`, `And(…)`), Catch edges are dashed and labelled with their
//! `ErrorEquals`, retriers are listed in their state's box. Given an execution's history
//! ([`Statuses::from_history`]), states are coloured by how the execution went.
//!
//! Everything here is pure: text in, text out.
//!
//! ```
//! use stepwise_graph::{Diagram, Format};
//!
//! let machine = stepwise_core::definition::parse(r#"{
//!     "StartAt": "Check",
//!     "States": {
//!         "Check": {"Type": "Choice", "Default": "Done",
//!                   "Choices": [{"Variable": "$.n", "NumericLessThan": 3, "Next": "Again"}]},
//!         "Again": {"Type": "Pass", "Next": "Check"},
//!         "Done": {"Type": "Succeed"}
//!     }
//! }"#).expect("a valid definition");
//!
//! let mermaid = Format::Mermaid.render(&Diagram::new(&machine));
//! assert!(mermaid.starts_with("flowchart TD"));
//! assert!(mermaid.contains(r#"-->|"$.n #lt; 3"|"#));
//! ```

pub mod dot;
mod label;
mod layout;
pub mod mermaid;
mod model;
mod status;
pub mod svg;

#[cfg(test)]
mod fixtures;

pub use model::{Cluster, Diagram, Edge, EdgeKind, Node};
pub use status::{Status, Statuses};

/// An output format of [`Format::render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Mermaid,
    Dot,
}

impl Format {
    pub fn render(self, diagram: &Diagram) -> String {
        match self {
            Format::Svg => svg::render(diagram),
            Format::Mermaid => mermaid::render(diagram),
            Format::Dot => dot::render(diagram),
        }
    }
}

/// Fill and stroke colours of a state by status, shared by every renderer so the three
/// formats agree. No status (no history given): the neutral style.
pub(crate) fn colours(status: Option<Status>) -> (&'static str, &'static str) {
    match status {
        None => ("#ffffff", "#4a5568"),
        Some(Status::Succeeded) => ("#d4f4dd", "#2f855a"),
        Some(Status::Failed) => ("#fed7d7", "#c53030"),
        Some(Status::Caught) => ("#feebc8", "#c05621"),
        Some(Status::Running) => ("#bee3f8", "#2b6cb0"),
        Some(Status::Aborted) => ("#e2e8f0", "#718096"),
        Some(Status::NotReached) => ("#f7fafc", "#a0aec0"),
    }
}
