//! Project chores behind `cargo xtask`. See `cargo xtask --help`.

pub mod codegen;
pub mod vendor;
