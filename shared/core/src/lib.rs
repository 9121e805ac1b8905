//! The pure core of Stepwise (placeholder overview, completed with the interpreter).

pub mod entropy;
pub mod failure;
pub mod intrinsics;
pub mod jsonpath;
