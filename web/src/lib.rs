//! `baryon-console`: Baryon's web console, a Leptos (CSR) application built by Trunk.
//!
//! It calls the engine through the same-origin signing proxy (`POST /api/proton/<Op>`,
//! `PUT /api/bundles/...`) with `baryon-model`'s generated types, and validates specs in the
//! browser with the model's own validator.
//!
//! - [`form`]: schema-driven input forms and spec generation, and [`route`]: address
//!   matching (pure logic; always built).
//! - Browser only (`wasm32` with feature `ui`): `api` (the typed client), `app` (shell and
//!   routes), `ui` (shared views), `inputs` (the generated form's view), and one module per
//!   resource family: `dashboard`, `templates`, `environments`, `services`, `others`, and
//!   `wizard` (create a service), `upgrade` (update to a newer version), `preview` (rendered IaC), `sync` (repositories and git sync),
//!   `catalog` and `catalog_admin` (Service Catalog for end users and administrators).

#![warn(missing_docs)]

pub mod form;
pub mod route;

/// Declares the browser-only modules (`wasm32` with feature `ui`).
macro_rules! ui_modules {
    ($($name:ident),* $(,)?) => {
        $(
            #[cfg(all(target_arch = "wasm32", feature = "ui"))]
            pub mod $name;
        )*
    };
}

ui_modules!(
    api,
    app,
    catalog,
    catalog_admin,
    dashboard,
    environments,
    inputs,
    others,
    preview,
    services,
    sync,
    templates,
    ui,
    upgrade,
    wizard
);
