//! Project chores behind `cargo xtask`. See `cargo xtask --help`.

pub mod bench;
pub mod codegen;
pub mod fuzz;
pub mod harness;
pub mod npm;
pub mod soak;
pub mod vendor;
