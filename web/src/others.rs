//! Components (list and detail), environment account connections, account settings.

use baryon_model::proton::{
    EnvironmentAccountConnectionRequesterAccountType, GetAccountSettingsInput, GetComponentInput,
    ListComponentOutputsInput, ListComponentProvisionedResourcesInput, ListComponentsInput,
    ListDeploymentsInput, ListEnvironmentAccountConnectionsInput, ops,
};
use leptos::prelude::*;

use crate::api::call;
use crate::ui::{
    Deployments, Empty, Facts, Head, Status, Tags, in_progress, list, load, outputs_table, param,
    poll_while, show, when,
};

/// `/components`.
#[component]
pub fn Components() -> impl IntoView {
    let page = load(|| call::<ops::ListComponents>(ListComponentsInput::default()));
    view! {
        <Head title="Components" />
        {list(page, &["Name", "Environment", "Attached to", "Deployment", "Modified"], "No components.", |out| {
            out.components.into_iter().map(|c| view! {
                <tr>
                    <td><a href=format!("/components/{}", c.name)>{c.name.clone()}</a></td>
                    <td><a href=format!("/environments/{}", c.environment_name)>{c.environment_name.clone()}</a></td>
                    <td>{attached(c.service_name.as_deref(), c.service_instance_name.as_deref())}</td>
                    <td><Status status=c.deployment_status.as_str().to_owned() /></td>
                    <td>{when(c.last_modified_at)}</td>
                </tr>
            }.into_any()).collect()
        })}
    }
}

/// The service instance a component is attached to, as a link.
fn attached(service: Option<&str>, instance: Option<&str>) -> AnyView {
    match (service, instance) {
        (Some(s), Some(i)) => {
            view! { <a href=format!("/services/{s}/instances/{i}")>{format!("{s} / {i}")}</a> }
                .into_any()
        }
        _ => view! { <span class="muted">"— (directly defined)"</span> }.into_any(),
    }
}

/// `/components/:name`: status, the instance it is attached to, outputs, provisioned
/// resources and deployments (polled while one runs).
#[component]
pub fn ComponentDetail() -> impl IntoView {
    let name = param("name");
    let tick = RwSignal::new(0u32);
    let component = load(move || {
        tick.track();
        call::<ops::GetComponent>(GetComponentInput { name: name.get() })
    });
    let outputs = load(move || {
        tick.track();
        call::<ops::ListComponentOutputs>(ListComponentOutputsInput {
            component_name: name.get(),
            deployment_id: None,
            next_token: None,
        })
    });
    let resources = load(move || {
        tick.track();
        call::<ops::ListComponentProvisionedResources>(ListComponentProvisionedResourcesInput {
            component_name: name.get(),
            next_token: None,
        })
    });
    let deployments = load(move || {
        tick.track();
        call::<ops::ListDeployments>(ListDeploymentsInput {
            component_name: Some(name.get()),
            ..Default::default()
        })
    });
    poll_while(tick, component, 2000, |c| {
        c.component
            .as_ref()
            .is_some_and(|c| in_progress(c.deployment_status.as_str()))
    });
    view! {
        <Head title=move || name.get()>
            <a href="/components">"Components"</a>
        </Head>
        {show(component, |out| {
            let Some(c) = out.component else {
                return view! { <Empty text="No such component." /> }.into_any();
            };
            view! {
                <div class="status-line">
                    <Status status=c.deployment_status.as_str().to_owned() />
                    {c.deployment_status_message.clone().map(|m| view! { <span class="status-message">{m}</span> })}
                </div>
                <dl class="facts">
                    <dt>"Attached to"</dt>
                    <dd class="attached">{attached(c.service_name.as_deref(), c.service_instance_name.as_deref())}</dd>
                    <dt>"Environment"</dt>
                    <dd><a href=format!("/environments/{}", c.environment_name)>{c.environment_name.clone()}</a></dd>
                </dl>
                <Facts rows=vec![
                    ("Description", c.description.clone()),
                    ("ARN", Some(c.arn.clone())),
                    ("Created", Some(when(c.created_at))),
                    ("Last attempted deployment", c.last_attempted_deployment_id.clone()),
                    ("Last succeeded deployment", c.last_succeeded_deployment_id.clone()),
                ] />
                {c.service_spec.clone().map(|s| view! { <h2>"Service spec"</h2><pre class="spec">{s}</pre> })}
                <Tags arn=c.arn />
            }
            .into_any()
        })}
        <h2>"Outputs"</h2>
        {show(outputs, |o| outputs_table(o.outputs))}
        <h2>"Provisioned resources"</h2>
        {list(resources, &["Name", "Identifier", "Engine"], "No provisioned resources.", |out| {
            out.provisioned_resources.into_iter().map(|r| view! {
                <tr>
                    <td>{r.name.unwrap_or_default()}</td>
                    <td class="mono">{r.identifier.unwrap_or_default()}</td>
                    <td>{r.provisioning_engine.map(|e| e.as_str().to_owned()).unwrap_or_default()}</td>
                </tr>
            }.into_any()).collect()
        })}
        <h2>"Deployment history"</h2>
        {show(deployments, |d| view! { <Deployments rows=d.deployments /> })}
    }
}

/// `/account-connections`: the connections this (management) account was asked for.
#[component]
pub fn AccountConnections() -> impl IntoView {
    let page = load(|| {
        call::<ops::ListEnvironmentAccountConnections>(ListEnvironmentAccountConnectionsInput {
            requested_by: EnvironmentAccountConnectionRequesterAccountType::ManagementAccount,
            environment_name: None,
            max_results: None,
            next_token: None,
            statuses: None,
        })
    });
    view! {
        <Head title="Environment account connections" />
        {list(page, &["Id", "Environment", "Environment account", "Role", "Status", "Requested"], "No environment account connections.", |out| {
            out.environment_account_connections.into_iter().map(|c| view! {
                <tr>
                    <td class="mono">{c.id.clone()}</td>
                    <td>{c.environment_name.clone()}</td>
                    <td>{c.environment_account_id.clone()}</td>
                    <td class="mono">{c.role_arn.clone()}</td>
                    <td><Status status=c.status.as_str().to_owned() /></td>
                    <td>{when(c.requested_at)}</td>
                </tr>
            }.into_any()).collect()
        })}
    }
}

/// `/settings`.
#[component]
pub fn Settings() -> impl IntoView {
    let settings = load(|| call::<ops::GetAccountSettings>(GetAccountSettingsInput {}));
    view! {
        <Head title="Account settings" />
        {show(settings, |out| {
            let s = out.account_settings.unwrap_or_default();
            view! {
                <Facts rows=vec![
                    ("Pipeline service role", Some(s.pipeline_service_role_arn.unwrap_or_else(|| "not set".into()))),
                    ("Pipeline CodeBuild role", Some(s.pipeline_codebuild_role_arn.unwrap_or_else(|| "not set".into()))),
                    ("Pipeline provisioning repository", Some(s.pipeline_provisioning_repository.map_or_else(|| "not set".into(), |r| format!("{} {} ({})", r.provider.as_str(), r.name, r.branch)))),
                ] />
            }
        })}
    }
}
