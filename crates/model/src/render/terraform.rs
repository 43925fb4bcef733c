//! `rendering_engine: hcl` / `template_language: terraform`: Proton does not template `.tf`
//! files; it adds a variables file and a values file next to them, and a deployment record.
//!
//! The shapes follow what Proton commits to provisioning repositories (the compiled
//! environments and instances in `aws-samples/aws-proton-terraform-github-actions-sample`, the
//! "Terraform IaC files" page of the Proton guide) and the aws-samples templates'
//! `dev-resources/`:
//!
//! - `proton.<environment|service_instance|pipeline|component>.variables.tf`: the `variable`
//!   blocks of the namespaces the target sees.
//! - `proton.auto.tfvars.json`: their values, written like Jackson's default pretty printer
//!   (`"key" : value`, two-space indent, `{ }` for an empty object, arrays inline as
//!   `[ a, b ]`), with a final newline as in `dev-resources/proton.auto.tfvars.json`. With
//!   [`ResourceMetadata`] it ends with the `"//"` key naming the resource, as Proton's do.
//! - `.proton/deployment-metadata.json` (only with [`ResourceMetadata`]): `deploymentId`,
//!   `isResourceDeleted`, `resourceMetadata.{arn, templateArn, templateMajorVersion,
//!   templateMinorVersion, environmentArn}`, as in those repositories.
//!
//! With [`ResourceMetadata`], every `.tf` file also starts with Proton's "managed by AWS
//! Proton" comment ([`managed_header`]).

use std::fmt::Write as _;

use serde_json::Value;

use super::RenderError;
use super::context::{
    EnvironmentContext, RenderContext, RenderTarget, ResourceMetadata, Tree, service_tree,
};

/// The values file Proton writes.
pub const TFVARS_FILE: &str = "proton.auto.tfvars.json";
/// Proton's deployment record.
pub const DEPLOYMENT_METADATA_FILE: &str = ".proton/deployment-metadata.json";

/// `proton.<type>.variables.tf` for a target.
pub fn variables_file_name(target: RenderTarget) -> String {
    format!("proton.{}.variables.tf", target.terraform_type())
}

/// The comment Proton puts at the top of every `.tf` file it commits.
pub fn managed_header(arn: &str) -> String {
    format!(
        "/*\nThis file is managed by AWS Proton. Any changes made directly to this file will be \
         overwritten the next time AWS Proton performs an update.\n\nTo manage this resource, \
         see AWS Proton Resource: {arn}\n\nIf the resource is no longer accessible within AWS \
         Proton, it may have been deleted and may require manual cleanup.\n*/\n\n"
    )
}

/// The files Proton adds to a Terraform target: `(path, contents)` of the variables file,
/// `proton.auto.tfvars.json` and, with [`ResourceMetadata`], `.proton/deployment-metadata.json`.
pub fn render_terraform(ctx: &RenderContext) -> Result<Vec<(String, String)>, RenderError> {
    let header = ctx
        .resource
        .as_ref()
        .map(|r| managed_header(&r.arn))
        .unwrap_or_default();
    let mut files = vec![
        (
            variables_file_name(ctx.target),
            format!("{header}{}", variables_tf(ctx)),
        ),
        (TFVARS_FILE.to_owned(), tfvars(ctx)?),
    ];
    if let Some(resource) = &ctx.resource {
        files.push((
            DEPLOYMENT_METADATA_FILE.to_owned(),
            jackson(&deployment_metadata(resource)),
        ));
    }
    Ok(files)
}

fn missing(ctx: &RenderContext, what: &str) -> RenderError {
    RenderError::Context(format!(
        "a {} render needs {what}",
        ctx.target.terraform_type()
    ))
}

fn env_tree(env: &EnvironmentContext) -> Tree {
    Tree::object([
        ("account_id", Tree::string(&env.account_id)),
        ("name", Tree::string(&env.name)),
        ("outputs", Tree::params(&env.outputs)),
    ])
}

/// The values of `proton.auto.tfvars.json`, in Proton's order.
fn tfvars(ctx: &RenderContext) -> Result<String, RenderError> {
    let mut root: Vec<(&str, Tree)> = Vec::new();
    match ctx.target {
        RenderTarget::Environment => {
            let env = ctx
                .environment
                .as_ref()
                .ok_or_else(|| missing(ctx, "an environment"))?;
            root.push((
                "environment",
                Tree::object([
                    ("name", Tree::string(&env.name)),
                    ("inputs", Tree::params(&env.inputs)),
                ]),
            ));
        }
        RenderTarget::ServiceInstance => {
            let instance = ctx
                .service_instance
                .as_ref()
                .ok_or_else(|| missing(ctx, "a service instance"))?;
            let service = ctx
                .service
                .as_ref()
                .ok_or_else(|| missing(ctx, "a service"))?;
            root.push(("environment", env_tree(&instance.environment)));
            root.push(("service", tf_service(service)));
            let components = match &instance.components_default_outputs {
                Some(outputs) => Tree::object([(
                    "default",
                    Tree::object([("outputs", Tree::params(outputs))]),
                )]),
                None => Tree::object([]),
            };
            root.push((
                "service_instance",
                Tree::object([
                    ("name", Tree::string(&instance.name)),
                    ("inputs", Tree::params(&instance.inputs)),
                    ("components", components),
                ]),
            ));
        }
        RenderTarget::ServicePipeline => {
            let service = ctx
                .service
                .as_ref()
                .ok_or_else(|| missing(ctx, "a service"))?;
            let pipeline = ctx
                .pipeline
                .as_ref()
                .ok_or_else(|| missing(ctx, "a pipeline"))?;
            root.push(("service", tf_service(service)));
            let instances = ctx
                .service_instances
                .iter()
                .map(|i| {
                    Tree::object([
                        ("name", Tree::string(&i.name)),
                        ("inputs", Tree::params(&i.inputs)),
                        ("outputs", Tree::params(&i.outputs)),
                        ("environment", env_tree(&i.environment)),
                    ])
                })
                .collect();
            root.push(("service_instances", Tree::List(instances)));
            root.push((
                "pipeline",
                Tree::object([("inputs", Tree::params(&pipeline.inputs))]),
            ));
        }
        RenderTarget::Component => {
            let component = ctx
                .component
                .as_ref()
                .ok_or_else(|| missing(ctx, "a component"))?;
            if let Some(env) = &ctx.environment {
                root.push(("environment", env_tree(env)));
            }
            if let Some(service) = &ctx.service {
                root.push(("service", tf_service(service)));
            }
            if let Some(instance) = &ctx.service_instance {
                root.push((
                    "service_instance",
                    Tree::object([
                        ("name", Tree::string(&instance.name)),
                        ("inputs", Tree::params(&instance.inputs)),
                    ]),
                ));
            }
            root.push((
                "component",
                Tree::object([
                    ("name", Tree::string(&component.name)),
                    ("inputs", Tree::params(&component.inputs)),
                ]),
            ));
        }
    }
    if let Some(resource) = &ctx.resource {
        root.push(("//", Tree::string(&resource.arn)));
    }
    Ok(format!("{}\n", jackson(&Tree::object(root))))
}

/// `service` as Proton writes it in tfvars (name, then the repository).
fn tf_service(service: &super::context::ServiceContext) -> Tree {
    let Tree::Object(map) = service_tree(service) else {
        return service_tree(service);
    };
    let get = |k: &str| map.get(k).cloned().unwrap_or(Tree::Value(Value::Null));
    Tree::object([
        ("name", get("name")),
        (
            "repository_connection_arn",
            get("repository_connection_arn"),
        ),
        ("repository_id", get("repository_id")),
        ("branch_name", get("branch_name")),
    ])
}

fn deployment_metadata(r: &ResourceMetadata) -> Tree {
    let mut meta = vec![
        ("arn", Tree::string(&r.arn)),
        ("templateArn", Tree::string(&r.template_arn)),
        (
            "templateMajorVersion",
            Tree::string(&r.template_major_version),
        ),
        (
            "templateMinorVersion",
            Tree::string(&r.template_minor_version),
        ),
    ];
    if let Some(env) = &r.environment_arn {
        meta.push(("environmentArn", Tree::string(env)));
    }
    Tree::object([
        ("deploymentId", Tree::string(&r.deployment_id)),
        ("isResourceDeleted", Tree::Value(Value::Bool(false))),
        ("resourceMetadata", Tree::object(meta)),
    ])
}

const ENVIRONMENT_INPUTS_VAR: &str = "variable \"environment\" {
  type = object({
    inputs = map(string)
    name   = string
  })
  default = null
}
";

const ENVIRONMENT_OUTPUTS_VAR: &str = "variable \"environment\" {
  type = object({
    account_id = string
    name       = string
    outputs    = map(string)
  })
  default = null
}
";

const SERVICE_VAR: &str = "variable \"service\" {
  type = object({
    name                      = string
    branch_name               = string
    repository_connection_arn = string
    repository_id             = string
  })
}
";

const SERVICE_INSTANCE_VAR: &str = "variable \"service_instance\" {
  type = object({
    name       = string
    inputs     = map(string)
    components = map(any)
  })
  default = null
}
";

const SERVICE_INSTANCES_VAR: &str = "variable \"service_instances\" {
  type = list(
    object({
      name    = string
      inputs  = map(string)
      outputs = map(string)
      environment = object({
        account_id = string
        name       = string
        outputs    = map(string)
      })
    })
  )
}
";

const PIPELINE_VAR: &str = "variable \"pipeline\" {
  type = object({
    inputs = map(string)
  })
  default = null
}
";

const COMPONENT_INSTANCE_VAR: &str = "variable \"service_instance\" {
  type = object({
    name   = string
    inputs = map(string)
  })
  default = null
}
";

const COMPONENT_VAR: &str = "variable \"component\" {
  type = object({
    name   = string
    inputs = map(string)
  })
  default = null
}
";

/// `proton.<type>.variables.tf`: blocks separated by a blank line, as Proton's.
fn variables_tf(ctx: &RenderContext) -> String {
    let blocks: Vec<&str> = match ctx.target {
        RenderTarget::Environment => vec![ENVIRONMENT_INPUTS_VAR],
        RenderTarget::ServiceInstance => {
            vec![ENVIRONMENT_OUTPUTS_VAR, SERVICE_VAR, SERVICE_INSTANCE_VAR]
        }
        RenderTarget::ServicePipeline => vec![SERVICE_INSTANCES_VAR, SERVICE_VAR, PIPELINE_VAR],
        RenderTarget::Component => {
            let mut b = vec![ENVIRONMENT_OUTPUTS_VAR];
            if ctx.service.is_some() {
                b.push(SERVICE_VAR);
            }
            if ctx.service_instance.is_some() {
                b.push(COMPONENT_INSTANCE_VAR);
            }
            b.push(COMPONENT_VAR);
            b
        }
    };
    blocks.join("\n")
}

/// JSON as Jackson's `DefaultPrettyPrinter` writes it (no final newline).
pub fn jackson(tree: &Tree) -> String {
    let mut out = String::new();
    write_tree(&mut out, tree, 0);
    out
}

fn indent(out: &mut String, level: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', 2 * level));
}

fn write_tree(out: &mut String, tree: &Tree, level: usize) {
    match tree {
        Tree::Object(map) => {
            if map.is_empty() {
                out.push_str("{ }");
                return;
            }
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, level + 1);
                json_string(out, k);
                out.push_str(" : ");
                write_tree(out, v, level + 1);
            }
            indent(out, level);
            out.push('}');
        }
        Tree::List(items) => {
            if items.is_empty() {
                out.push_str("[ ]");
                return;
            }
            out.push_str("[ ");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_tree(out, item, level);
            }
            out.push_str(" ]");
        }
        Tree::Value(v) => write_value(out, v, level),
    }
}

fn write_value(out: &mut String, v: &Value, level: usize) {
    match v {
        Value::Object(map) => {
            // Nested objects in key order, whatever serde_json's map is built with (its
            // `preserve_order` feature depends on what else is in the build).
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let tree = Tree::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), Tree::Value(v.clone())))
                    .collect(),
            );
            write_tree(out, &tree, level);
        }
        Value::Array(items) => {
            let tree = Tree::List(items.iter().cloned().map(Tree::Value).collect());
            write_tree(out, &tree, level);
        }
        Value::String(s) => json_string(out, s),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// A JSON string as Jackson escapes it: quotes, backslashes and control characters only.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
