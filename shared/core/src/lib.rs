//! The pure core of Stepwise (placeholder overview, completed with the interpreter).

pub mod definition;
pub mod entropy;
pub mod failure;
pub mod interp;
pub mod intrinsics;
pub mod jsonpath;
