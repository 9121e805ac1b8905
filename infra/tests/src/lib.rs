//! Static checks of Stepwise's Terraform, for machines without Terraform.
//!
//! [`Module::load`] parses every `.tf` file of a folder with `hcl-rs` (a maintained HCL
//! parser), and [`Module::eval`] evaluates an expression the way Terraform would, as far
//! as a plan without AWS can: variables take their defaults, `locals` are evaluated in
//! dependency order, `path.module` is the folder, and the handful of Terraform functions
//! the module's locals use are provided ([`functions`]). Attributes of resources that only
//! exist after an apply (ARNs, URLs) come from stubs the caller declares, so a test can
//! see *which* resource an expression points at.
//!
//! The tests in `tests/` use it to check that the module creates exactly the table, index,
//! TTL attribute, queues and environment variables the Rust code reads
//! (`stepwise_aws::names`), and run the two emulator bootstraps side by side.

pub mod functions;
mod module;

pub use module::attribute;

pub use module::{Error, Module, Result};

/// The repository's root (this crate lives in `infra/tests`).
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .components()
        .collect()
}

/// Converts a value of the evaluator to JSON, for comparisons and messages.
pub fn to_json(value: &hcl::Value) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
