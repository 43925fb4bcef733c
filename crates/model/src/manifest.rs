//! `manifest.yaml` of a template bundle: which files make up the infrastructure and how they
//! are rendered.
//!
//! ```yaml
//! infrastructure:
//!   templates:
//!     - file: "cloudformation.yaml"
//!       rendering_engine: jinja            # jinja | hcl | codebuild
//!       template_language: cloudformation  # cloudformation (jinja) | terraform (hcl)
//! ```
//!
//! ```yaml
//! infrastructure:
//!   templates:
//!     - rendering_engine: codebuild
//!       settings:
//!         image: aws/codebuild/amazonlinux2-x86_64-standard:4.0
//!         runtimes: {nodejs: 16}
//!         provision: ["npm install", "npm run deploy"]
//!         deprovision: ["npm run destroy"]
//!         project_properties: {VpcConfig: {...}}   # optional
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, index_path, join_path, sort_diagnostics};
use crate::yaml::{self, Node, NodeValue, quote_short};

/// A parsed `manifest.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
pub struct Manifest {
    /// `infrastructure:`.
    pub infrastructure: Infrastructure,
}

/// `infrastructure:` of a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
pub struct Infrastructure {
    /// `templates:`, in order (at least one).
    pub templates: Vec<InfrastructureTemplate>,
}

/// One entry of `infrastructure.templates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct InfrastructureTemplate {
    /// `file:`, the template file (`*` for every Terraform file); `None` for CodeBuild.
    pub file: Option<String>,
    /// `rendering_engine:`.
    pub rendering_engine: RenderingEngine,
    /// `template_language:`; `None` for CodeBuild.
    pub template_language: Option<TemplateLanguage>,
    /// `settings:` of CodeBuild provisioning.
    pub settings: Option<CodeBuildSettings>,
}

/// `rendering_engine:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum RenderingEngine {
    /// Jinja, for CloudFormation templates.
    Jinja,
    /// HCL, for Terraform templates.
    Hcl,
    /// CodeBuild provisioning: commands run in an AWS CodeBuild project.
    Codebuild,
}

/// `template_language:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[serde(rename_all = "lowercase")]
pub enum TemplateLanguage {
    /// AWS CloudFormation.
    Cloudformation,
    /// Terraform.
    Terraform,
}

/// `settings:` of a CodeBuild template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct CodeBuildSettings {
    /// `image:`, the CodeBuild image; `None` for the default image.
    pub image: Option<String>,
    /// `runtimes:`, runtime name to version (`nodejs: 16`), versions as text.
    pub runtimes: BTreeMap<String, String>,
    /// `provision:`, the commands that deploy the infrastructure.
    pub provision: Vec<String>,
    /// `deprovision:`, the commands that delete it.
    pub deprovision: Vec<String>,
    /// `project_properties:`, extra CodeBuild project properties (such as `VpcConfig`), as
    /// written.
    #[cfg_attr(feature = "wasm", tsify(type = "unknown"))]
    pub project_properties: Option<serde_json::Value>,
}

impl RenderingEngine {
    /// The name as written in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jinja => "jinja",
            Self::Hcl => "hcl",
            Self::Codebuild => "codebuild",
        }
    }
}

impl TemplateLanguage {
    /// The name as written in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cloudformation => "cloudformation",
            Self::Terraform => "terraform",
        }
    }
}

/// Parses and checks a `manifest.yaml`. Every problem is reported with its position.
pub fn parse_manifest(yaml_src: &str) -> Result<Manifest, Vec<Diagnostic>> {
    let root = match yaml::parse(yaml_src) {
        Ok(root) => root,
        Err(e) => {
            return Err(vec![Diagnostic::new(
                "",
                (e.line, e.col),
                format!("invalid YAML: {}", e.message),
            )]);
        }
    };
    let mut diags = Vec::new();
    let manifest = manifest(&root, &mut diags);
    sort_diagnostics(&mut diags);
    match manifest {
        Some(m) if diags.is_empty() => Ok(m),
        _ => Err(diags),
    }
}

fn unknown_keys(node: &Node, path: &str, allowed: &[&str], diags: &mut Vec<Diagnostic>) {
    for (k, _) in node.as_map().unwrap_or(&[]) {
        if !k.as_str().is_some_and(|key| allowed.contains(&key)) {
            diags.push(Diagnostic::new(
                join_path(path, &k.key_text()),
                k.pos(),
                format!(
                    "unknown key {}; expected {}",
                    quote_short(&k.key_text()),
                    allowed.join(", ")
                ),
            ));
        }
    }
}

fn manifest(root: &Node, diags: &mut Vec<Diagnostic>) -> Option<Manifest> {
    if root.as_map().is_none() {
        diags.push(Diagnostic::new(
            "",
            root.pos(),
            format!(
                "expected a mapping with an \"infrastructure\" key, found {}",
                root.describe()
            ),
        ));
        return None;
    }
    unknown_keys(root, "", &["infrastructure"], diags);
    let Some((infra_key, infra)) = root.entry("infrastructure") else {
        diags.push(Diagnostic::new(
            "",
            root.pos(),
            "missing \"infrastructure\"",
        ));
        return None;
    };
    if infra.as_map().is_none() {
        diags.push(Diagnostic::new(
            "infrastructure",
            infra.pos(),
            format!(
                "expected a mapping with a \"templates\" key, found {}",
                infra.describe()
            ),
        ));
        return None;
    }
    unknown_keys(infra, "infrastructure", &["templates"], diags);
    let Some(templates) = infra.get("templates") else {
        diags.push(Diagnostic::new(
            "infrastructure",
            infra_key.pos(),
            "missing \"templates\"",
        ));
        return None;
    };
    let path = "infrastructure.templates";
    let Some(items) = templates.as_seq() else {
        diags.push(Diagnostic::new(
            path,
            templates.pos(),
            format!(
                "expected a list of templates, found {}",
                templates.describe()
            ),
        ));
        return None;
    };
    if items.is_empty() {
        diags.push(Diagnostic::new(
            path,
            templates.pos(),
            "expected at least one template",
        ));
        return None;
    }
    let parsed: Vec<Option<InfrastructureTemplate>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| template(item, &index_path(path, i), diags))
        .collect();
    let templates: Option<Vec<InfrastructureTemplate>> = parsed.into_iter().collect();
    Some(Manifest {
        infrastructure: Infrastructure {
            templates: templates?,
        },
    })
}

fn template(
    node: &Node,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<InfrastructureTemplate> {
    if node.as_map().is_none() {
        diags.push(Diagnostic::new(
            path,
            node.pos(),
            format!(
                "expected a template (a mapping with rendering_engine), found {}",
                node.describe()
            ),
        ));
        return None;
    }
    unknown_keys(
        node,
        path,
        &["file", "rendering_engine", "template_language", "settings"],
        diags,
    );
    let engine = match node.get("rendering_engine") {
        None => {
            diags.push(Diagnostic::new(
                path,
                node.pos(),
                "missing \"rendering_engine\" (jinja, hcl or codebuild)",
            ));
            None
        }
        Some(v) => {
            let engine = match v.as_str() {
                Some("jinja") => Some(RenderingEngine::Jinja),
                Some("hcl") => Some(RenderingEngine::Hcl),
                Some("codebuild") => Some(RenderingEngine::Codebuild),
                _ => None,
            };
            if engine.is_none() {
                diags.push(Diagnostic::new(
                    join_path(path, "rendering_engine"),
                    v.pos(),
                    format!(
                        "unknown rendering engine {}; expected jinja, hcl or codebuild",
                        describe_value(v)
                    ),
                ));
            }
            engine
        }
    };
    let language = node.entry("template_language").map(|(k, v)| {
        let language = match v.as_str() {
            Some("cloudformation") => Some(TemplateLanguage::Cloudformation),
            Some("terraform") => Some(TemplateLanguage::Terraform),
            _ => None,
        };
        if language.is_none() {
            diags.push(Diagnostic::new(
                join_path(path, "template_language"),
                v.pos(),
                format!(
                    "unknown template language {}; expected cloudformation or terraform",
                    describe_value(v)
                ),
            ));
        }
        (k, v, language)
    });
    let file = node.entry("file").map(|(k, v)| {
        let file = match v.as_str() {
            Some(f) if !f.is_empty() => Some(f.to_owned()),
            _ => {
                diags.push(Diagnostic::new(
                    join_path(path, "file"),
                    v.pos(),
                    format!("expected a file name, found {}", v.describe()),
                ));
                None
            }
        };
        (k, file)
    });
    let engine = engine?;
    match engine {
        RenderingEngine::Jinja | RenderingEngine::Hcl => {
            let (want, want_name) = if engine == RenderingEngine::Jinja {
                (TemplateLanguage::Cloudformation, "cloudformation")
            } else {
                (TemplateLanguage::Terraform, "terraform")
            };
            let file = match file {
                None => {
                    diags.push(Diagnostic::new(
                        path,
                        node.pos(),
                        format!("missing \"file\": the {} template file", engine.as_str()),
                    ));
                    None
                }
                Some((_, f)) => f,
            };
            let language = match language {
                None => {
                    diags.push(Diagnostic::new(
                        path,
                        node.pos(),
                        format!(
                            "missing \"template_language\" ({want_name} with {})",
                            engine.as_str()
                        ),
                    ));
                    None
                }
                Some((_, v, Some(l))) if l != want => {
                    diags.push(Diagnostic::new(
                        join_path(path, "template_language"),
                        v.pos(),
                        format!(
                            "rendering engine {} renders {want_name} templates, not {}",
                            engine.as_str(),
                            l.as_str()
                        ),
                    ));
                    None
                }
                Some((_, _, l)) => l,
            };
            if let Some((k, _)) = node.entry("settings") {
                diags.push(Diagnostic::new(
                    join_path(path, "settings"),
                    k.pos(),
                    format!(
                        "settings are only for rendering_engine: codebuild, not {}",
                        engine.as_str()
                    ),
                ));
            }
            let (Some(file), Some(language)) = (file, language) else {
                return None;
            };
            Some(InfrastructureTemplate {
                file: Some(file),
                rendering_engine: engine,
                template_language: Some(language),
                settings: None,
            })
        }
        RenderingEngine::Codebuild => {
            if let Some((k, _, _)) = language {
                diags.push(Diagnostic::new(
                    join_path(path, "template_language"),
                    k.pos(),
                    "template_language is not used with rendering_engine: codebuild",
                ));
            }
            if let Some((k, _)) = file {
                diags.push(Diagnostic::new(
                    join_path(path, "file"),
                    k.pos(),
                    "file is not used with rendering_engine: codebuild",
                ));
            }
            let Some((settings_key, settings)) = node.entry("settings") else {
                diags.push(Diagnostic::new(
                    path,
                    node.pos(),
                    "missing \"settings\" (with provision and deprovision \
                    commands) for rendering_engine: codebuild",
                ));
                return None;
            };
            let settings = codebuild_settings(
                settings,
                settings_key.pos(),
                &join_path(path, "settings"),
                diags,
            )?;
            Some(InfrastructureTemplate {
                file: None,
                rendering_engine: engine,
                template_language: None,
                settings: Some(settings),
            })
        }
    }
}

fn describe_value(v: &Node) -> String {
    match v.as_str() {
        Some(s) => quote_short(s),
        None => v.describe(),
    }
}

/// `key_pos` is the position of the `settings` key, where missing settings are reported.
fn codebuild_settings(
    node: &Node,
    key_pos: (usize, usize),
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<CodeBuildSettings> {
    if node.as_map().is_none() {
        diags.push(Diagnostic::new(
            path,
            node.pos(),
            format!(
                "expected a mapping with provision and deprovision, found {}",
                node.describe()
            ),
        ));
        return None;
    }
    unknown_keys(
        node,
        path,
        &[
            "image",
            "runtimes",
            "provision",
            "deprovision",
            "project_properties",
        ],
        diags,
    );
    let before = diags.len();
    let image = node.get("image").and_then(|v| match v.as_str() {
        Some(s) if !s.is_empty() => Some(s.to_owned()),
        _ => {
            diags.push(Diagnostic::new(
                join_path(path, "image"),
                v.pos(),
                format!("expected a CodeBuild image name, found {}", v.describe()),
            ));
            None
        }
    });
    let mut runtimes = BTreeMap::new();
    if let Some(v) = node.get("runtimes") {
        match v.as_map() {
            None => diags.push(Diagnostic::new(
                join_path(path, "runtimes"),
                v.pos(),
                format!(
                    "expected a mapping of runtime names to versions, found {}",
                    v.describe()
                ),
            )),
            Some(entries) => {
                for (rk, rv) in entries {
                    let rpath = join_path(&join_path(path, "runtimes"), &rk.key_text());
                    match &rv.value {
                        NodeValue::String(_) | NodeValue::Int(_) | NodeValue::Float(_) => {
                            runtimes.insert(rk.key_text(), rv.key_text());
                        }
                        _ => diags.push(Diagnostic::new(
                            rpath,
                            rv.pos(),
                            format!("expected a runtime version, found {}", rv.describe()),
                        )),
                    }
                }
            }
        }
    }
    let mut commands = |key: &str| -> Vec<String> {
        let cpath = join_path(path, key);
        let Some(v) = node.get(key) else {
            diags.push(Diagnostic::new(
                path,
                key_pos,
                format!("missing \"{key}\": the list of commands CodeBuild runs to {key}"),
            ));
            return Vec::new();
        };
        let Some(items) = v.as_seq() else {
            diags.push(Diagnostic::new(
                &cpath,
                v.pos(),
                format!("expected a list of commands, found {}", v.describe()),
            ));
            return Vec::new();
        };
        if items.is_empty() {
            diags.push(Diagnostic::new(
                &cpath,
                v.pos(),
                "expected at least one command",
            ));
        }
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let command = item.as_str().map(str::to_owned);
                if command.is_none() {
                    diags.push(Diagnostic::new(
                        index_path(&cpath, i),
                        item.pos(),
                        format!("expected a command (a string), found {}", item.describe()),
                    ));
                }
                command
            })
            .collect()
    };
    let provision = commands("provision");
    let deprovision = commands("deprovision");
    let project_properties = node.get("project_properties").map(Node::to_json);
    if diags.len() > before {
        return None;
    }
    Some(CodeBuildSettings {
        image,
        runtimes,
        provision,
        deprovision,
        project_properties,
    })
}
