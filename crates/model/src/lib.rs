//! `baryon-model`: the AWS Proton (and Service Catalog) API model, request validation and
//! Proton's domain rules, with no IO. Compiles natively and to `wasm32-unknown-unknown`.
//!
//! - [`generated`]: types, operations and constraint tables generated from the real API model
//!   by `cargo xtask codegen` (never edited by hand).
//! - [`validate`]: the AWS-style constraint validator that walks those tables.
//! - Proton domain logic: spec files, `schema.yaml`, `manifest.yaml`, ARNs, template versions.
//! - [`render`] (feature `render`): Proton's rendering of template bundles (Jinja, Terraform).

#![warn(missing_docs)]

pub mod generated;
pub mod json;
pub mod pattern;
pub mod shape;
pub mod timestamp;
pub mod validate;

// --- Proton domain logic (hand-written, IO-free) ---
pub mod arn;
pub mod diagnostic;
pub mod extensions;
pub mod manifest;
pub mod schema;
pub mod spec;
pub mod version;
pub mod yaml;
// --- end of Proton domain logic ---

pub use generated::{proton, servicecatalog};
pub use timestamp::Timestamp;

#[cfg(feature = "render")]
pub mod render;
#[cfg(feature = "wasm")]
pub mod wasm;
