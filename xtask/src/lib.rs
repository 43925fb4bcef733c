//! Project chores behind `cargo xtask`. See `cargo xtask --help`.

pub mod bench;
pub mod codegen;
pub mod npm;
pub mod vendor;
