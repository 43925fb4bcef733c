//! Rendered-IaC previews: what a create or update *would* apply, rendered before it is
//! requested, and a line diff against what the resource's current template version and spec
//! render to.
//!
//! The engine answers Baryon's `GetRenderInputs` extension operation with [`RenderInputs`]
//! (the bundle's text files, the schema, the namespaces it would fill from stored resources);
//! the console adds the spec being edited and [`preview`] renders both sides with the same
//! code a deployment renders with ([`context_for`] and [`super::render_bundle`]), so a preview
//! never differs from the deployment that follows it except by the deployment's id.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

use super::{RenderContext, RenderTarget, RenderedFile, ResourceMetadata, SpecRenderOptions};
use crate::diagnostic::Diagnostic;
use crate::manifest::{RenderingEngine, parse_manifest};

/// Lines of unchanged context kept around each change in a [`Hunk`].
pub const CONTEXT_LINES: usize = 3;

/// Why a spec gives no context for a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// The spec does not validate against the schema.
    #[error("{}", join(.0))]
    Invalid(Vec<Diagnostic>),
    /// The spec is valid but has no entry for the target (no such instance, no pipeline).
    #[error("the spec has nothing to render for this {}", what(*.0))]
    Missing(RenderTarget),
}

impl ContextError {
    /// The error as a deployment of `template:major.minor` reports it (a spec that does not
    /// validate names the version it was checked against).
    pub fn describe(&self, template: &str, major: &str, minor: &str) -> String {
        match self {
            Self::Invalid(_) => {
                format!("the spec is not valid for {template}:{major}.{minor}: {self}")
            }
            Self::Missing(_) => self.to_string(),
        }
    }
}

fn join(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn what(target: RenderTarget) -> &'static str {
    match target {
        RenderTarget::Environment => "environment",
        RenderTarget::ServiceInstance => "service instance",
        RenderTarget::ServicePipeline => "pipeline",
        RenderTarget::Component => "component",
    }
}

/// The context one target of a spec renders with: the environment (an environment spec), the
/// instance named `instance` (a service spec) or the pipeline. An environment context is named
/// after `opts.environment_name` (a spec does not name it). Components are built by the
/// engine from the component itself, not from a spec.
pub fn context_for(
    schema: &str,
    spec: &str,
    opts: &SpecRenderOptions,
    target: RenderTarget,
    instance: &str,
) -> Result<RenderContext, ContextError> {
    let contexts = super::contexts_from_spec(schema, spec, opts).map_err(ContextError::Invalid)?;
    let mut ctx = contexts
        .into_iter()
        .find(|c| match target {
            RenderTarget::ServiceInstance => c
                .service_instance
                .as_ref()
                .is_some_and(|i| i.name == instance),
            _ => c.target == target,
        })
        .ok_or(ContextError::Missing(target))?;
    if let Some(env) = ctx.environment.as_mut()
        && env.name.is_empty()
    {
        env.name.clone_from(&opts.environment_name);
    }
    Ok(ctx)
}

/// What a render needs besides the spec, as the engine's `GetRenderInputs` answers it for one
/// side of a preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderInputs {
    /// What is rendered.
    pub target: RenderTarget,
    /// The service instance rendered (`ServiceInstance` targets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    /// The template.
    pub template_name: String,
    /// Its major version.
    pub template_major_version: String,
    /// Its minor version.
    pub template_minor_version: String,
    /// The bundle's text files by path (files that are not UTF-8 are left out: templates are
    /// text).
    pub files: BTreeMap<String, String>,
    /// The template version's `schema.yaml`.
    pub schema: String,
    /// Names, account and outputs of resources deployed earlier.
    pub options: SpecRenderOptions,
    /// Where the resource lives in Proton (the Terraform files Proton adds name it).
    pub resource: ResourceMetadata,
    /// The spec the resource is deployed with (the current side of a preview only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
}

/// Renders `inputs` with `spec`: the files a deployment of that spec would apply.
pub fn render_inputs(inputs: &RenderInputs, spec: &str) -> Result<Vec<RenderedFile>, String> {
    let ctx = context_for(
        &inputs.schema,
        spec,
        &inputs.options,
        inputs.target,
        inputs.instance_name.as_deref().unwrap_or_default(),
    )
    .map_err(|e| {
        e.describe(
            &inputs.template_name,
            &inputs.template_major_version,
            &inputs.template_minor_version,
        )
    })?
    .with_resource(inputs.resource.clone());
    if let Some(files) = codebuild_files(inputs, &ctx) {
        return Ok(files);
    }
    let files: BTreeMap<String, Vec<u8>> = inputs
        .files
        .iter()
        .map(|(path, text)| (path.clone(), text.clone().into_bytes()))
        .collect();
    super::render_bundle(&files, &ctx).map_err(|e| e.to_string())
}

/// A CodeBuild-provisioned target's files: CodeBuild runs the manifest's commands on the
/// bundle directory as it is, beside the inputs files ([`super::CODEBUILD_INPUT_FILES`]), so
/// that directory is what a deployment applies. `None` for
/// templates that are rendered (or a manifest that does not read: rendering reports it).
fn codebuild_files(inputs: &RenderInputs, ctx: &RenderContext) -> Option<Vec<RenderedFile>> {
    let dir = inputs.target.bundle_dir();
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let manifest = parse_manifest(inputs.files.get(&format!("{prefix}manifest.yaml"))?).ok()?;
    let codebuild = manifest
        .infrastructure
        .templates
        .iter()
        .any(|t| t.rendering_engine == RenderingEngine::Codebuild);
    codebuild.then(|| {
        let mut files: Vec<RenderedFile> = inputs
            .files
            .iter()
            .filter_map(|(path, text)| {
                path.strip_prefix(&prefix).map(|rel| RenderedFile {
                    path: rel.to_owned(),
                    contents: text.clone(),
                    source: Some(path.clone()),
                    engine: Some(RenderingEngine::Codebuild),
                })
            })
            .collect();
        let input = super::codebuild_input(ctx);
        files.extend(super::CODEBUILD_INPUT_FILES.map(|name| RenderedFile {
            path: name.to_owned(),
            contents: input.clone(),
            source: None,
            engine: None,
        }));
        files
    })
}

/// A preview request: the proposed side (with the spec being edited) and, for an existing
/// resource, its current side (which carries its own spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewRequest {
    /// What the create or update would render with.
    pub proposed: RenderInputs,
    /// The spec being created or updated.
    pub spec: String,
    /// What the resource is deployed with now; `None` for a create.
    #[serde(default)]
    pub current: Option<RenderInputs>,
}

/// A rendered file's change from the current side to the proposed side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Only the proposed side has it (every file of a create).
    Added,
    /// Only the current side has it.
    Removed,
    /// Both have it, with different contents.
    Modified,
    /// Both have it, identical.
    Unchanged,
}

/// How a diff line reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    /// In both sides.
    Context,
    /// Only in the current side.
    Removed,
    /// Only in the proposed side.
    Added,
}

/// One line of a hunk (without its line break).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    /// Context, removed or added.
    pub kind: LineKind,
    /// The line.
    pub text: String,
}

/// A run of changes with up to [`CONTEXT_LINES`] unchanged lines around it, as in a unified
/// diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hunk {
    /// 1-based line of the current side where the hunk starts.
    pub old_start: usize,
    /// Lines of the current side in the hunk.
    pub old_lines: usize,
    /// 1-based line of the proposed side where the hunk starts.
    pub new_start: usize,
    /// Lines of the proposed side in the hunk.
    pub new_lines: usize,
    /// The lines.
    pub lines: Vec<DiffLine>,
}

/// The line diff from `old` to `new` (Myers, line by line), in hunks with `context` lines of
/// context. Equal texts give no hunks.
pub fn line_diff(old: &str, new: &str, context: usize) -> Vec<Hunk> {
    let diff = TextDiff::from_lines(old, new);
    diff.grouped_ops(context)
        .into_iter()
        .map(|group| {
            let (Some(first), Some(last)) = (group.first(), group.last()) else {
                return None;
            };
            let old_range = first.old_range().start..last.old_range().end;
            let new_range = first.new_range().start..last.new_range().end;
            let lines = group
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|change| DiffLine {
                    kind: match change.tag() {
                        ChangeTag::Equal => LineKind::Context,
                        ChangeTag::Delete => LineKind::Removed,
                        ChangeTag::Insert => LineKind::Added,
                    },
                    text: change
                        .value()
                        .trim_end_matches('\n')
                        .trim_end_matches('\r')
                        .to_owned(),
                })
                .collect();
            Some(Hunk {
                old_start: old_range.start + 1,
                old_lines: old_range.len(),
                new_start: new_range.start + 1,
                new_lines: new_range.len(),
                lines,
            })
        })
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default()
}

/// One file of a preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewFile {
    /// The rendered path (`cloudformation.yaml`, `proton.environment.variables.tf`).
    pub path: String,
    /// Its change from the current deployment.
    pub change: Change,
    /// The proposed contents (the current ones for a removed file).
    pub contents: String,
    /// The diff from the current contents (empty for an added, removed or unchanged file).
    pub hunks: Vec<Hunk>,
}

/// A rendered preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// Every file of either side, in the proposed side's order, removed files last.
    pub files: Vec<PreviewFile>,
    /// Why the current side could not be rendered (its files are then all shown as added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_error: Option<String>,
}

/// Renders the proposed side (its failure is the preview's error: it is what the deployment
/// would fail with) and the current side, and diffs them file by file.
pub fn preview(request: &PreviewRequest) -> Result<Preview, String> {
    let proposed = render_inputs(&request.proposed, &request.spec)?;
    let (current, current_error) = match &request.current {
        None => (Vec::new(), None),
        Some(side) => {
            let spec = side.spec.as_deref().unwrap_or_default();
            match render_inputs(side, spec) {
                Ok(files) => (files, None),
                Err(e) => (Vec::new(), Some(e)),
            }
        }
    };
    let mut current: BTreeMap<String, String> =
        current.into_iter().map(|f| (f.path, f.contents)).collect();
    let mut files: Vec<PreviewFile> = proposed
        .into_iter()
        .map(|f| match current.remove(&f.path) {
            None => PreviewFile {
                path: f.path,
                change: Change::Added,
                contents: f.contents,
                hunks: Vec::new(),
            },
            Some(old) => {
                let hunks = line_diff(&old, &f.contents, CONTEXT_LINES);
                PreviewFile {
                    path: f.path,
                    change: if hunks.is_empty() {
                        Change::Unchanged
                    } else {
                        Change::Modified
                    },
                    contents: f.contents,
                    hunks,
                }
            }
        })
        .collect();
    files.extend(current.into_iter().map(|(path, contents)| PreviewFile {
        path,
        change: Change::Removed,
        contents,
        hunks: Vec::new(),
    }));
    Ok(Preview {
        files,
        current_error,
    })
}
