//! Proton rendering (feature `render`): a pure function from a template bundle's files and a
//! [`RenderContext`] to the rendered files. The engine renders before provisioning; the
//! console renders the same way for previews.
//!
//! - [`context`]: the typed context and Proton's namespaces.
//! - [`jinja`]: `rendering_engine: jinja` (CloudFormation) through minijinja, Jinja2-compatible,
//!   with Proton's filters.
//! - [`terraform`]: `rendering_engine: hcl` (Terraform): the variables, values and metadata
//!   files Proton adds.
//! - [`render_bundle`]: picks by `manifest.yaml`.
//! - [`preview`]: rendered-IaC previews (the proposed render and its line diff against the
//!   current one).

pub mod context;
pub mod jinja;
pub mod preview;
pub mod terraform;

use std::collections::BTreeMap;

use serde::Serialize;

pub use context::{
    ComponentContext, EnvironmentContext, Params, PipelineContext, RenderContext, RenderTarget,
    ResourceMetadata, ServiceContext, ServiceInstanceContext, SpecRenderOptions, Tree,
    contexts_from_spec, ordered_inputs, params_from_json,
};
pub use jinja::{DEFAULT_FUEL, render_jinja, render_jinja_value, render_jinja_with_fuel};
pub use terraform::render_terraform;

use crate::manifest::{RenderingEngine, parse_manifest};

/// Why a render failed. Messages name the file and, for template problems, the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The template does not parse.
    #[error("{file}:{line}: template syntax error: {message}")]
    Syntax {
        /// The template file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The template reads something the context does not have.
    #[error("{file}:{line}: undefined variable: {expression} is not defined for this render")]
    Undefined {
        /// The template file.
        file: String,
        /// 1-based line.
        line: usize,
        /// The expression that was undefined, as written in the template.
        expression: String,
    },
    /// Any other failure while rendering (a filter's validation, a bad operation).
    #[error("{file}:{line}: {message}")]
    Template {
        /// The template file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The template ran longer than its fuel allows.
    #[error(
        "{file}:{line}: rendering stopped: the template ran longer than allowed (does it loop \
         without end?)"
    )]
    OutOfFuel {
        /// The template file.
        file: String,
        /// 1-based line where it stopped.
        line: usize,
    },
    /// A bundle file is missing, not UTF-8, or not a valid manifest.
    #[error("{file}: {message}")]
    Bundle {
        /// The bundle file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The context lacks what the target needs.
    #[error("{0}")]
    Context(String),
}

/// The files a CodeBuild-provisioned deployment finds beside its bundle, holding the render
/// context as JSON ([`codebuild_input`]); Proton's guide names both spellings.
pub const CODEBUILD_INPUT_FILES: [&str; 2] = ["proton-input.json", "proton-inputs.json"];

/// The JSON a CodeBuild-provisioned deployment reads its inputs from: the render context's
/// Proton namespaces, pretty-printed.
pub fn codebuild_input(ctx: &RenderContext) -> String {
    serde_json::to_string_pretty(&ctx.to_jinja()).unwrap_or_default()
}

/// One rendered file: its path relative to the rendered target's directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedFile {
    /// Path, such as `cloudformation.yaml` or `.proton/deployment-metadata.json`.
    pub path: String,
    /// Contents.
    pub contents: String,
    /// The bundle file it comes from (`instance_infrastructure/cloudformation.yaml`); `None`
    /// for the files Proton adds.
    pub source: Option<String>,
    /// How it was made: `jinja` (rendered), `hcl` (copied); `None` for the files Proton adds.
    pub engine: Option<RenderingEngine>,
}

/// Renders a template bundle for `ctx.target`: reads `<dir>/manifest.yaml` (dir from
/// [`RenderTarget::bundle_dir`]; a component's files are at the root), renders each `jinja`
/// template, copies each `hcl` file (`file: "*"` is every file of the directory but the
/// manifest) and adds the Terraform files Proton adds. `files` is the bundle by path, as the
/// engine reads it. `codebuild` templates are not rendered (CodeBuild runs commands instead).
pub fn render_bundle(
    files: &BTreeMap<String, Vec<u8>>,
    ctx: &RenderContext,
) -> Result<Vec<RenderedFile>, RenderError> {
    let dir = ctx.target.bundle_dir();
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let manifest_path = format!("{prefix}manifest.yaml");
    let manifest_src = text(files, &manifest_path)?;
    let manifest = parse_manifest(manifest_src).map_err(|diags| RenderError::Bundle {
        file: manifest_path.clone(),
        message: diags
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
    })?;
    let header = ctx
        .resource
        .as_ref()
        .map(|r| terraform::managed_header(&r.arn));
    let mut out = Vec::new();
    let mut terraform = false;
    for template in &manifest.infrastructure.templates {
        match template.rendering_engine {
            RenderingEngine::Jinja => {
                let file = template.file.as_deref().unwrap_or_default();
                let path = format!("{prefix}{file}");
                let contents = render_jinja(&path, text(files, &path)?, ctx)?;
                out.push(RenderedFile {
                    path: file.to_owned(),
                    contents,
                    source: Some(path),
                    engine: Some(RenderingEngine::Jinja),
                });
            }
            RenderingEngine::Hcl => {
                terraform = true;
                let selected: Vec<&String> = match template.file.as_deref() {
                    None | Some("*") => files
                        .keys()
                        .filter(|p| p.starts_with(&prefix) && **p != manifest_path)
                        .collect(),
                    Some(file) => {
                        let path = format!("{prefix}{file}");
                        vec![
                            files
                                .get_key_value(&path)
                                .ok_or_else(|| not_found(&path))?
                                .0,
                        ]
                    }
                };
                for path in selected {
                    let rel = &path[prefix.len()..];
                    let contents = text(files, path)?;
                    let is_tf = std::path::Path::new(rel)
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("tf"));
                    let contents = match (&header, is_tf) {
                        (Some(h), true) => format!("{h}{contents}"),
                        _ => contents.to_owned(),
                    };
                    out.push(RenderedFile {
                        path: rel.to_owned(),
                        contents,
                        source: Some(path.clone()),
                        engine: Some(RenderingEngine::Hcl),
                    });
                }
            }
            RenderingEngine::Codebuild => {
                return Err(RenderError::Bundle {
                    file: manifest_path,
                    message: "codebuild templates are not rendered: CodeBuild provisioning runs \
                        the manifest's commands on the bundle as it is"
                        .into(),
                });
            }
        }
    }
    if terraform {
        for (path, contents) in render_terraform(ctx)? {
            out.push(RenderedFile {
                path,
                contents,
                source: None,
                engine: None,
            });
        }
    }
    Ok(out)
}

fn not_found(path: &str) -> RenderError {
    RenderError::Bundle {
        file: path.to_owned(),
        message: "the manifest names this file, but the bundle does not have it".into(),
    }
}

fn text<'a>(files: &'a BTreeMap<String, Vec<u8>>, path: &str) -> Result<&'a str, RenderError> {
    let bytes = files.get(path).ok_or_else(|| not_found(path))?;
    std::str::from_utf8(bytes).map_err(|e| RenderError::Bundle {
        file: path.to_owned(),
        message: format!("not UTF-8 text ({e})"),
    })
}
