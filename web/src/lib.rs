//! `baryon-console`: Baryon's web console, a Leptos (CSR) application built by Trunk.
//!
//! It calls the engine through the same-origin signing proxy (`POST /api/proton/<Op>`,
//! `PUT /api/bundles/...`) with `baryon-model`'s generated types, and validates specs in the
//! browser with the model's own validator.
//!
//! - [`form`]: schema-driven input forms and spec generation (pure logic; always built).
//! - Browser only (`wasm32` with feature `ui`): `api` (the typed client), `app` (shell and
//!   routes), `ui` (shared views), `inputs` (the generated form's view), and one module per
//!   resource family: `dashboard`, `templates`, `environments`, `services`, `others`, and
//!   `wizard` (create a service), `upgrade` (update to a newer version).

#![warn(missing_docs)]

pub mod form;

#[cfg(all(target_arch = "wasm32", feature = "ui"))]
pub mod api;
#[cfg(all(target_arch = "wasm32", feature = "ui"))]
pub mod app;
#[cfg(all(target_arch = "wasm32", feature = "ui"))]
pub mod dashboard;
#[cfg(all(target_arch = "wasm32", feature = "ui"))]
pub mod environments;
#[cfg(all(target_arch = "wasm32", feature = "ui"))]
pub mod inputs;
#[cfg(all(target_arch = "wasm32", feature = "ui"))]
pub mod others;
#[cfg(all(target_arch = "wasm32", feature = "ui"))]
pub mod services;
#[cfg(all(target_arch = "wasm32", feature = "ui"))]
pub mod templates;
#[cfg(all(target_arch = "wasm32", feature = "ui"))]
pub mod ui;
#[cfg(all(target_arch = "wasm32", feature = "ui"))]
pub mod upgrade;
#[cfg(all(target_arch = "wasm32", feature = "ui"))]
pub mod wizard;
