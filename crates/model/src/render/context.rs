//! The typed rendering context and the Jinja context object it serialises to.
//!
//! Built the same way by the engine (from stored resources) and the console (from a form or a
//! spec), so a preview renders exactly what a deployment renders. Inputs are the spec's inputs
//! *with schema defaults applied* ([`crate::spec::validate_spec`] and friends), put in the
//! schema's property order by [`ordered_inputs`].

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::schema::TemplateSchema;

/// Named parameter values (inputs or outputs), in a meaningful order: inputs in the schema's
/// property order, outputs as the provisioner reported them. The order is kept in Jinja
/// iteration and in `proton.auto.tfvars.json`.
pub type Params = IndexMap<String, Value>;

/// What a render is for: which namespaces exist and which bundle directory is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenderTarget {
    /// An environment (`infrastructure/`).
    Environment,
    /// A service instance (`instance_infrastructure/`).
    ServiceInstance,
    /// A service pipeline (`pipeline_infrastructure/`).
    ServicePipeline,
    /// A directly defined component (the component's own manifest and file, at the root).
    Component,
}

impl RenderTarget {
    /// The bundle directory holding this target's `manifest.yaml` and templates (empty for a
    /// component, whose files are at the root of what the caller passes).
    pub fn bundle_dir(self) -> &'static str {
        match self {
            Self::Environment => "infrastructure",
            Self::ServiceInstance => "instance_infrastructure",
            Self::ServicePipeline => "pipeline_infrastructure",
            Self::Component => "",
        }
    }

    /// The `<type>` of Proton's `proton.<type>.variables.tf`.
    pub fn terraform_type(self) -> &'static str {
        match self {
            Self::Environment => "environment",
            Self::ServiceInstance => "service_instance",
            Self::ServicePipeline => "pipeline",
            Self::Component => "component",
        }
    }
}

/// `environment.*`: an environment's name, account, inputs and outputs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EnvironmentContext {
    /// `environment.name`.
    pub name: String,
    /// `environment.account_id`: the account the environment is deployed in.
    pub account_id: String,
    /// `environment.inputs.*` (environment templates only).
    pub inputs: Params,
    /// `environment.outputs.*` (what service and component templates read).
    pub outputs: Params,
}

/// `service.*`: the service and its source repository (empty strings when it has none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceContext {
    /// `service.name`.
    pub name: String,
    /// `service.branch_name`.
    pub branch_name: String,
    /// `service.repository_connection_arn`.
    pub repository_connection_arn: String,
    /// `service.repository_id`.
    pub repository_id: String,
}

/// A service instance: `service_instance.*` in instance templates, an element of
/// `service_instances` in pipeline templates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceInstanceContext {
    /// `service_instance.name`.
    pub name: String,
    /// `service_instance.inputs.*`, with schema defaults.
    pub inputs: Params,
    /// The instance's outputs (`service_instances[i].outputs.*` in pipeline templates).
    pub outputs: Params,
    /// `service_instance.environment.*` (`name`, `account_id`, `outputs`).
    pub environment: EnvironmentContext,
    /// The attached directly defined component's outputs
    /// (`service_instance.components.default.outputs.*`); `None` when none is attached (the
    /// namespace then holds no outputs).
    pub components_default_outputs: Option<Params>,
}

/// `pipeline.*`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PipelineContext {
    /// `pipeline.inputs.*`, with schema defaults.
    pub inputs: Params,
}

/// `component.*`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ComponentContext {
    /// `component.name`.
    pub name: String,
    /// `component.inputs.*` (the component's service spec inputs).
    pub inputs: Params,
}

/// Where the rendered resource lives in Proton; used by the Terraform files Proton adds
/// (the "managed by AWS Proton" notes and `.proton/deployment-metadata.json`). Never used by
/// Jinja templates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceMetadata {
    /// The resource's ARN (environment, service instance, pipeline or component).
    pub arn: String,
    /// The template's ARN.
    pub template_arn: String,
    /// The template major version.
    pub template_major_version: String,
    /// The template minor version.
    pub template_minor_version: String,
    /// The deployment's id.
    pub deployment_id: String,
    /// The environment's ARN (service instances and components).
    pub environment_arn: Option<String>,
}

/// Everything one render sees. Build it with [`RenderContext::environment`],
/// [`RenderContext::service_instance`], [`RenderContext::pipeline`] or
/// [`RenderContext::component`]; [`RenderContext::to_jinja`] gives Proton's namespaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderContext {
    /// What is rendered.
    pub target: RenderTarget,
    /// The environment (of the environment itself, or the one the instance runs in).
    pub environment: Option<EnvironmentContext>,
    /// The service (service instances, pipelines, attached components).
    pub service: Option<ServiceContext>,
    /// The service instance (instance templates, attached components).
    pub service_instance: Option<ServiceInstanceContext>,
    /// Every instance of the service (pipeline templates).
    #[serde(default)]
    pub service_instances: Vec<ServiceInstanceContext>,
    /// The pipeline (pipeline templates).
    pub pipeline: Option<PipelineContext>,
    /// The component (component templates).
    pub component: Option<ComponentContext>,
    /// Proton bookkeeping for the Terraform files; `None` renders without it (as the samples'
    /// `dev-resources/` do).
    pub resource: Option<ResourceMetadata>,
}

impl RenderContext {
    fn new(target: RenderTarget) -> Self {
        Self {
            target,
            environment: None,
            service: None,
            service_instance: None,
            service_instances: Vec::new(),
            pipeline: None,
            component: None,
            resource: None,
        }
    }

    /// An environment template's context: `environment.{name, account_id, inputs}`.
    pub fn environment(environment: EnvironmentContext) -> Self {
        Self {
            environment: Some(environment),
            ..Self::new(RenderTarget::Environment)
        }
    }

    /// A service instance template's context: `environment` (the instance's environment,
    /// with its outputs), `service`, `service_instance`.
    pub fn service_instance(service: ServiceContext, instance: ServiceInstanceContext) -> Self {
        Self {
            environment: Some(instance.environment.clone()),
            service: Some(service),
            service_instance: Some(instance),
            ..Self::new(RenderTarget::ServiceInstance)
        }
    }

    /// A pipeline template's context: `service`, `pipeline`, `service_instances`.
    pub fn pipeline(
        service: ServiceContext,
        pipeline: PipelineContext,
        instances: Vec<ServiceInstanceContext>,
    ) -> Self {
        Self {
            service: Some(service),
            pipeline: Some(pipeline),
            service_instances: instances,
            ..Self::new(RenderTarget::ServicePipeline)
        }
    }

    /// A component template's context: `component`, `environment` and, when the component
    /// is attached to a service instance, `service` and `service_instance`.
    pub fn component(
        component: ComponentContext,
        environment: EnvironmentContext,
        attached_to: Option<(ServiceContext, ServiceInstanceContext)>,
    ) -> Self {
        let (service, service_instance) = attached_to.unzip();
        Self {
            component: Some(component),
            environment: Some(environment),
            service,
            service_instance,
            ..Self::new(RenderTarget::Component)
        }
    }

    /// The same context with Proton's bookkeeping for the Terraform files.
    #[must_use]
    pub fn with_resource(mut self, resource: ResourceMetadata) -> Self {
        self.resource = Some(resource);
        self
    }

    /// The Jinja context object: Proton's namespaces for this target, in a fixed order.
    ///
    /// - environment: `environment.{name, account_id, inputs}`
    /// - service instance: `environment.{name, account_id, outputs}`, `service.{name,
    ///   branch_name, repository_connection_arn, repository_id}`, `service_instance.{name,
    ///   inputs, environment.{name, account_id, outputs}, components.default.outputs}` (empty
    ///   outputs when no component is attached)
    /// - pipeline: `service`, `pipeline.inputs`, `service_instances: [{name, inputs, outputs,
    ///   environment.{name, account_id, outputs}}]`
    /// - component: `component.{name, inputs}`, `environment.{name, account_id, outputs}`,
    ///   and `service`, `service_instance` when attached.
    pub fn to_jinja(&self) -> Tree {
        let mut root = Vec::new();
        if let Some(env) = &self.environment {
            let value = if self.target == RenderTarget::Environment {
                Tree::object([
                    ("name", Tree::string(&env.name)),
                    ("account_id", Tree::string(&env.account_id)),
                    ("inputs", Tree::params(&env.inputs)),
                ])
            } else {
                env_outputs(env)
            };
            root.push(("environment", value));
        }
        if let Some(service) = &self.service {
            root.push(("service", service_tree(service)));
        }
        if let Some(instance) = &self.service_instance {
            // Without a component, its outputs are empty (not undefined), so the documented
            // `service_instance.components.default.outputs.x | default("…")` and
            // `… outputs | length > 0` work either way.
            let empty = Params::new();
            let outputs = instance
                .components_default_outputs
                .as_ref()
                .unwrap_or(&empty);
            let components = Tree::object([(
                "default",
                Tree::object([("outputs", Tree::params(outputs))]),
            )]);
            root.push((
                "service_instance",
                Tree::object([
                    ("name", Tree::string(&instance.name)),
                    ("inputs", Tree::params(&instance.inputs)),
                    ("environment", env_outputs(&instance.environment)),
                    ("components", components),
                ]),
            ));
        }
        if let Some(pipeline) = &self.pipeline {
            root.push((
                "pipeline",
                Tree::object([("inputs", Tree::params(&pipeline.inputs))]),
            ));
        }
        if self.target == RenderTarget::ServicePipeline {
            let list = self
                .service_instances
                .iter()
                .map(|i| {
                    Tree::object([
                        ("name", Tree::string(&i.name)),
                        ("inputs", Tree::params(&i.inputs)),
                        ("outputs", Tree::params(&i.outputs)),
                        ("environment", env_outputs(&i.environment)),
                    ])
                })
                .collect();
            root.push(("service_instances", Tree::List(list)));
        }
        if let Some(component) = &self.component {
            root.push((
                "component",
                Tree::object([
                    ("name", Tree::string(&component.name)),
                    ("inputs", Tree::params(&component.inputs)),
                ]),
            ));
        }
        Tree::object(root)
    }
}

/// An ordered JSON tree: objects keep their key order when serialised (serde_json's own
/// `Map` sorts keys). What [`RenderContext::to_jinja`] returns and the Terraform files are
/// written from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Tree {
    /// An object, keys in order.
    Object(IndexMap<String, Tree>),
    /// An array.
    List(Vec<Tree>),
    /// Any other JSON value (nested objects inside it are in serde_json's order).
    Value(Value),
}

impl Tree {
    /// An object from `(key, value)` pairs in order.
    pub fn object<'a>(entries: impl IntoIterator<Item = (&'a str, Tree)>) -> Tree {
        Tree::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    /// A string.
    pub fn string(s: &str) -> Tree {
        Tree::Value(Value::String(s.to_owned()))
    }

    /// An object of parameters, in their order.
    pub fn params(params: &Params) -> Tree {
        Tree::Object(
            params
                .iter()
                .map(|(k, v)| (k.clone(), Tree::Value(v.clone())))
                .collect(),
        )
    }
}

pub(crate) fn service_tree(service: &ServiceContext) -> Tree {
    Tree::object([
        ("name", Tree::string(&service.name)),
        ("branch_name", Tree::string(&service.branch_name)),
        (
            "repository_connection_arn",
            Tree::string(&service.repository_connection_arn),
        ),
        ("repository_id", Tree::string(&service.repository_id)),
    ])
}

pub(crate) fn env_outputs(env: &EnvironmentContext) -> Tree {
    Tree::object([
        ("name", Tree::string(&env.name)),
        ("account_id", Tree::string(&env.account_id)),
        ("outputs", Tree::params(&env.outputs)),
    ])
}

/// Orders validated inputs (the object [`crate::spec::validate_spec`] returns, defaults
/// applied) by the properties of `type_name` in `schema.yaml`, then any other keys in their
/// own order. A non-object gives no inputs.
pub fn ordered_inputs(schema: &TemplateSchema, type_name: &str, inputs: &Value) -> Params {
    let mut out = Params::new();
    let Some(map) = inputs.as_object() else {
        return out;
    };
    if let Some(s) = schema
        .type_schema(type_name)
        .and_then(|s| schema.resolve(s))
    {
        for property in &s.properties {
            if let Some(v) = map.get(&property.name) {
                out.insert(property.name.clone(), v.clone());
            }
        }
    }
    for (k, v) in map {
        if !out.contains_key(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// Parameters from a JSON object (insertion order as read); anything else gives none.
pub fn params_from_json(value: &Value) -> Params {
    value
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// What [`contexts_from_spec`] cannot read from a spec: names, the account and outputs of
/// resources deployed earlier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpecRenderOptions {
    /// The environment's name (an environment spec has none).
    pub environment_name: String,
    /// The account environments are deployed in.
    pub account_id: String,
    /// The service (service specs).
    pub service: ServiceContext,
    /// Outputs of each instance's environment.
    pub environment_outputs: Params,
    /// Outputs of each service instance (what pipeline templates read).
    pub instance_outputs: Params,
    /// Outputs of a directly defined component attached to each instance.
    pub component_outputs: Option<Params>,
}

/// The contexts a spec renders with, inputs validated against `schema.yaml` with defaults
/// applied and in schema order: one environment context for an `EnvironmentSpec`; for a
/// `ServiceSpec`, one service-instance context per instance, then a pipeline context when the
/// schema has a `pipeline_input_type`. Invalid specs give their diagnostics.
pub fn contexts_from_spec(
    schema_yaml: &str,
    spec_yaml: &str,
    opts: &SpecRenderOptions,
) -> Result<Vec<RenderContext>, Vec<crate::diagnostic::Diagnostic>> {
    let validation = crate::spec::validate_spec(schema_yaml, spec_yaml);
    if !validation.ok {
        return Err(validation.diagnostics);
    }
    let schema = crate::schema::parse_schema(schema_yaml)?;
    let inputs = &validation.inputs;
    if let (Some(t), Ok(crate::spec::Spec::Environment(_))) = (
        &schema.environment_input_type,
        crate::spec::parse_spec(spec_yaml),
    ) {
        return Ok(vec![RenderContext::environment(EnvironmentContext {
            name: opts.environment_name.clone(),
            account_id: opts.account_id.clone(),
            inputs: ordered_inputs(&schema, t, inputs),
            outputs: Params::new(),
        })]);
    }
    let instance_type = schema.service_input_type.clone().unwrap_or_default();
    let instances: Vec<ServiceInstanceContext> = inputs
        .get("instances")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|i| ServiceInstanceContext {
            name: i["name"].as_str().unwrap_or_default().to_owned(),
            inputs: ordered_inputs(&schema, &instance_type, &i["inputs"]),
            outputs: opts.instance_outputs.clone(),
            environment: EnvironmentContext {
                name: i["environment"].as_str().unwrap_or_default().to_owned(),
                account_id: opts.account_id.clone(),
                inputs: Params::new(),
                outputs: opts.environment_outputs.clone(),
            },
            components_default_outputs: opts.component_outputs.clone(),
        })
        .collect();
    let mut out: Vec<RenderContext> = instances
        .iter()
        .map(|i| RenderContext::service_instance(opts.service.clone(), i.clone()))
        .collect();
    if let Some(t) = &schema.pipeline_input_type {
        out.push(RenderContext::pipeline(
            opts.service.clone(),
            PipelineContext {
                inputs: ordered_inputs(&schema, t, &inputs["pipeline"]),
            },
            instances,
        ));
    }
    Ok(out)
}
