//! Components (list and detail), environment account connections, account settings.

use baryon_model::proton::{
    ComponentDeploymentUpdateType, DeleteComponentInput,
    EnvironmentAccountConnectionRequesterAccountType, GetAccountSettingsInput, GetComponentInput,
    ListComponentOutputsInput, ListComponentProvisionedResourcesInput, ListComponentsInput,
    ListDeploymentsInput, ListEnvironmentAccountConnectionsInput, ListEnvironmentsInput,
    UpdateComponentInput, ops,
};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::call;
use crate::ui::{
    Deployments, Empty, ErrorBox, Facts, Head, Pager, Status, Tags, act, confirm, effect, fetch,
    in_progress, list, load, memo, outputs_table, param, poll_while, show, when,
};

/// `/components`.
#[component]
pub fn Components() -> impl IntoView {
    // `?environment=NAME` filters by environment (ListComponents' `environmentName`).
    let query = use_query_map();
    let environment = memo(move || query.with(|q| q.get("environment").filter(|e| !e.is_empty())));
    let tokens = RwSignal::new(vec![None::<String>]);
    effect(move || {
        environment.track();
        tokens.set(vec![None]);
    });
    let page = fetch::<ops::ListComponents>(move || {
        let next_token = tokens.with(|t| t.last().cloned().flatten());
        ListComponentsInput {
            environment_name: environment.get(),
            next_token,
            max_results: Some(20),
            ..Default::default()
        }
    });
    let next = Signal::derive(move || page.get().and_then(Result::ok).and_then(|p| p.next_token));
    let environments = load(|| async {
        call::<ops::ListEnvironments>(ListEnvironmentsInput {
            max_results: Some(100),
            ..Default::default()
        })
        .await
        .map(|out| {
            out.environments
                .into_iter()
                .map(|e| e.name)
                .collect::<Vec<_>>()
        })
    });
    let navigate = use_navigate();
    view! {
        <Head title="Components" />
        <div class="filters">
            <label>
                "Environment"
                <select name="environmentFilter" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    let to = if v.is_empty() { "/components".to_owned() } else { format!("/components?environment={v}") };
                    navigate(&to, NavigateOptions::default());
                }>
                    <option value="" selected=move || environment.with(Option::is_none)>"All environments"</option>
                    {move || environments.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|e| {
                        let selected = {
                            let e = e.clone();
                            move || environment.with(|f| f.as_deref() == Some(e.as_str()))
                        };
                        view! { <option value=e.clone() selected=selected>{e.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
        </div>
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
        <Pager tokens=tokens next=next />
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
    let component = fetch::<ops::GetComponent>(move || {
        tick.track();
        GetComponentInput { name: name.get() }
    });
    let outputs = fetch::<ops::ListComponentOutputs>(move || {
        tick.track();
        ListComponentOutputsInput {
            component_name: name.get(),
            deployment_id: None,
            next_token: None,
        }
    });
    let resources = fetch::<ops::ListComponentProvisionedResources>(move || {
        tick.track();
        ListComponentProvisionedResourcesInput {
            component_name: name.get(),
            next_token: None,
        }
    });
    let deployments = fetch::<ops::ListDeployments>(move || {
        tick.track();
        ListDeploymentsInput {
            component_name: Some(name.get()),
            ..Default::default()
        }
    });
    poll_while(tick, component, 2000, |c| {
        c.component
            .as_ref()
            .is_some_and(|c| in_progress(c.deployment_status.as_str()))
    });
    let navigate = use_navigate();
    let delete = act(move |(): &()| {
        let n = name.get_untracked();
        async move {
            call::<ops::DeleteComponent>(DeleteComponentInput { name: n })
                .await
                .map(|_| ())
        }
    });
    effect(move || {
        if let Some(Ok(())) = delete.value() {
            navigate("/components", NavigateOptions::default());
        }
    });
    view! {
        <Head title=move || name.get()>
            <a href="/components">"Components"</a>
            <button class="danger" on:click=move |_| {
                if confirm(&format!("Delete component {}? This tears down its infrastructure.", name.get_untracked())) {
                    delete.dispatch(());
                }
            }>"Delete"</button>
        </Head>
        {move || delete.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        {show(component, move |out| {
            let Some(c) = out.component else {
                return view! { <Empty text="No such component." /> }.into_any();
            };
            let edit = (!in_progress(c.deployment_status.as_str())).then(|| view! {
                <EditComponent
                    name=c.name.clone()
                    description=c.description.clone().unwrap_or_default()
                    on_done=Callback::new(move |()| tick.update(|t| *t = t.wrapping_add(1)))
                />
            });
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
                {edit}
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
    let page = fetch::<ops::ListEnvironmentAccountConnections>(move || {
        ListEnvironmentAccountConnectionsInput {
            requested_by: EnvironmentAccountConnectionRequesterAccountType::ManagementAccount,
            environment_name: None,
            max_results: None,
            next_token: None,
            statuses: None,
        }
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
    let settings = fetch::<ops::GetAccountSettings>(move || GetAccountSettingsInput {});
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

/// "Edit component": its description alone (`NONE`: no deployment) or, with a new template
/// file, a redeployment (`CURRENT_VERSION`). Proton does not return a component's template
/// file, so an empty one keeps the current template.
#[component]
#[allow(clippy::needless_pass_by_value)] // component props are owned
fn EditComponent(
    /// The component.
    name: String,
    /// Its description.
    description: String,
    /// Called once the update was accepted.
    on_done: Callback<()>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let about = RwSignal::new(description);
    let file = RwSignal::new(String::new());
    let redeploy = RwSignal::new(false);
    let save = act(move |input: &UpdateComponentInput| {
        let input = input.clone();
        async move { call::<ops::UpdateComponent>(input).await.map(|_| ()) }
    });
    effect(move || {
        if let Some(Ok(())) = save.value() {
            on_done.run(());
        }
    });
    view! {
        <div class="actions">
            <button type="button" on:click=move |_| open.update(|o| *o = !*o)>"Edit component"</button>
        </div>
        {move || open.get().then(|| {
            let name = name.clone();
            view! {
                <div class="panel edit-component">
                    <h2>"Edit component"</h2>
                    <label>
                        "Description"
                        <input name="componentDescription" prop:value=move || about.get() on:input=move |ev| about.set(event_target_value(&ev)) />
                    </label>
                    <label>
                        <input type="checkbox" name="redeploy" prop:checked=move || redeploy.get() on:change=move |ev| redeploy.set(event_target_checked(&ev)) />
                        " Redeploy (CURRENT_VERSION) — otherwise only the description changes (NONE)"
                    </label>
                    <label class:hidden=move || !redeploy.get()>
                        "New template file (empty: keep the current one)"
                        <textarea name="templateFile" class="mono" rows="10" prop:value=move || file.get() on:input=move |ev| file.set(event_target_value(&ev))></textarea>
                    </label>
                    {move || save.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
                    <button type="button" class="primary" disabled=move || save.pending() on:click=move |_| {
                        let again = redeploy.get_untracked();
                        let template = file.get_untracked();
                        save.dispatch(UpdateComponentInput {
                            name: name.clone(),
                            deployment_type: if again { ComponentDeploymentUpdateType::CurrentVersion } else { ComponentDeploymentUpdateType::None },
                            description: Some(about.get_untracked()),
                            template_file: (again && !template.trim().is_empty()).then_some(template),
                            client_token: None,
                            service_instance_name: None,
                            service_name: None,
                            service_spec: None,
                        });
                    }>"Update component"</button>
                </div>
            }
        })}
    }
}
