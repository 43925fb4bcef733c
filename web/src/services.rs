//! Services: list, detail (spec, pipeline, instances), and service instance detail.

use baryon_model::proton::{
    CancelServiceInstanceDeploymentInput, DeleteServiceInput, GetServiceInput,
    GetServiceInstanceInput, GetServiceTemplateVersionInput, ListDeploymentsInput,
    ListServiceInstanceOutputsInput, ListServiceInstancesInput, ListServicesInput,
    UpdateServiceInput, ops,
};
use baryon_model::spec::{Spec, parse_spec, validate_spec};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api::{ApiError, call};
use crate::sync::{ServiceSync, SyncBlockers};
use crate::ui::{
    Deployments, Empty, ErrorBox, Facts, Head, Pager, Status, Tags, act, confirm, effect, fetch,
    in_progress, list, load, memo, outputs_table, param, poll_while, show, when,
};
use crate::upgrade::{Target, Upgrade};

/// `/services`.
#[component]
pub fn ServiceList() -> impl IntoView {
    let tokens = RwSignal::new(vec![None::<String>]);
    let page = fetch::<ops::ListServices>(move || {
        let next_token = tokens.with(|t| t.last().cloned().flatten());
        ListServicesInput {
            next_token,
            max_results: Some(20),
        }
    });
    let next = Signal::derive(move || page.get().and_then(Result::ok).and_then(|p| p.next_token));
    view! {
        <Head title="Services">
            <a href="/templates/service">"Service templates"</a>
            <a class="button" href="/services/new">"Create service"</a>
        </Head>
        {list(page, &["Name", "Template", "Status", "Created"], "No services yet.", |p| {
            p.services.into_iter().map(|s| view! {
                <tr>
                    <td><a href=format!("/services/{}", s.name)>{s.name.clone()}</a></td>
                    <td><a href=format!("/templates/service/{}", s.template_name)>{s.template_name.clone()}</a></td>
                    <td><Status status=s.status.as_str().to_owned() /></td>
                    <td>{when(s.created_at)}</td>
                </tr>
            }.into_any()).collect()
        })}
        <Pager tokens=tokens next=next />
    }
}

/// `/services/:name`.
#[component]
pub fn ServiceDetail() -> impl IntoView {
    let name = param("name");
    let tick = RwSignal::new(0u32);
    let service = fetch::<ops::GetService>(move || {
        tick.track();
        GetServiceInput { name: name.get() }
    });
    let instances = fetch::<ops::ListServiceInstances>(move || {
        tick.track();
        ListServiceInstancesInput {
            service_name: Some(name.get()),
            ..Default::default()
        }
    });
    poll_while(tick, service, 2000, |s| {
        s.service.as_ref().is_some_and(|s| {
            in_progress(s.status.as_str())
                || s.pipeline
                    .as_ref()
                    .is_some_and(|p| in_progress(p.deployment_status.as_str()))
        })
    });
    let navigate = use_navigate();
    let delete = act(move |(): &()| {
        let n = name.get_untracked();
        async move { call::<ops::DeleteService>(DeleteServiceInput { name: n }).await }
    });
    effect(move || {
        if let Some(Ok(_)) = delete.value() {
            navigate("/services", NavigateOptions::default());
        }
    });
    view! {
        <Head title=move || name.get()>
            <button class="danger" on:click=move |_| {
                if confirm(&format!("Delete service {} with its instances and pipeline?", name.get_untracked())) {
                    delete.dispatch(());
                }
            }>"Delete"</button>
        </Head>
        {move || delete.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        {show(service, move |out| {
            let Some(s) = out.service else {
                return view! { <Empty text="No such service." /> }.into_any();
            };
            let arn = s.arn.clone();
            view! {
                <div class="status-line">
                    <Status status=s.status.as_str().to_owned() />
                    {s.status_message.clone().map(|m| view! { <span class="status-message">{m}</span> })}
                </div>
                <Facts rows=vec![
                    ("Template", Some(s.template_name.clone())),
                    ("Description", s.description.clone()),
                    ("Repository", s.repository_id.clone().map(|r| format!("{r} ({})", s.branch_name.clone().unwrap_or_default()))),
                    ("ARN", Some(s.arn.clone())),
                    ("Created", Some(when(s.created_at))),
                ] />
                <h2>"Pipeline"</h2>
                {match s.pipeline {
                    None => view! { <Empty text="This service has no pipeline." /> }.into_any(),
                    Some(p) => view! {
                        {(!in_progress(p.deployment_status.as_str())).then(|| view! {
                            <Upgrade
                                target=Target::Pipeline(s.name.clone())
                                template=p.template_name.clone()
                                major=p.template_major_version.clone()
                                minor=p.template_minor_version.clone()
                                spec=p.spec.clone().unwrap_or_else(|| s.spec.clone())
                                on_done=Callback::new(move |()| tick.update(|t| *t = t.wrapping_add(1)))
                            />
                        })}
                        <Facts rows=vec![
                            ("Status", Some(p.deployment_status.as_str().to_owned())),
                            ("Message", p.deployment_status_message),
                            ("Template version", Some(format!("{}.{}", p.template_major_version, p.template_minor_version))),
                            ("Last attempted", Some(when(p.last_deployment_attempted_at))),
                        ] />
                    }
                    .into_any(),
                }}
                <h2>"Spec"</h2>
                <pre class="spec">{s.spec.clone()}</pre>
                {(!in_progress(s.status.as_str())).then(|| view! {
                    <EditService
                        name=s.name.clone()
                        template=s.template_name.clone()
                        description=s.description.clone().unwrap_or_default()
                        spec=s.spec.clone()
                        on_done=Callback::new(move |()| tick.update(|t| *t = t.wrapping_add(1)))
                    />
                })}
                <Tags arn=arn />
            }
            .into_any()
        })}
        <ServiceSync name=name />
        <h2>"Instances"</h2>
        {list(instances, &["Instance", "Environment", "Template version", "Deployment"], "No instances.", |out| {
            out.service_instances.into_iter().map(|i| view! {
                <tr>
                    <td><a href=format!("/services/{}/instances/{}", i.service_name, i.name)>{i.name.clone()}</a></td>
                    <td><a href=format!("/environments/{}", i.environment_name)>{i.environment_name.clone()}</a></td>
                    <td>{format!("{}.{}", i.template_major_version, i.template_minor_version)}</td>
                    <td><Status status=i.deployment_status.as_str().to_owned() /></td>
                </tr>
            }.into_any()).collect()
        })}
    }
}

/// `/services/:name/instances/:instance`.
#[component]
pub fn InstanceDetail() -> impl IntoView {
    let service = param("name");
    let name = param("instance");
    let tick = RwSignal::new(0u32);
    let instance = fetch::<ops::GetServiceInstance>(move || {
        tick.track();
        GetServiceInstanceInput {
            service_name: service.get(),
            name: name.get(),
        }
    });
    let outputs = fetch::<ops::ListServiceInstanceOutputs>(move || {
        tick.track();
        ListServiceInstanceOutputsInput {
            service_name: service.get(),
            service_instance_name: name.get(),
            ..Default::default()
        }
    });
    let deployments = fetch::<ops::ListDeployments>(move || {
        tick.track();
        ListDeploymentsInput {
            service_name: Some(service.get()),
            service_instance_name: Some(name.get()),
            ..Default::default()
        }
    });
    poll_while(tick, instance, 2000, |i| {
        in_progress(i.service_instance.deployment_status.as_str())
    });
    let cancel = act(move |(): &()| {
        let (s, n) = (service.get_untracked(), name.get_untracked());
        async move {
            call::<ops::CancelServiceInstanceDeployment>(CancelServiceInstanceDeploymentInput {
                service_name: s,
                service_instance_name: n,
            })
            .await
        }
    });
    effect(move || {
        if let Some(Ok(_)) = cancel.value() {
            tick.update(|t| *t = t.wrapping_add(1));
        }
    });
    view! {
        <Head title=move || format!("{} / {}", service.get(), name.get())>
            <a href=move || format!("/services/{}", service.get())>"Service"</a>
            <button
                disabled=move || {
                    !instance.get().and_then(Result::ok).is_some_and(|i| {
                        in_progress(i.service_instance.deployment_status.as_str())
                    })
                }
                on:click=move |_| {
                if confirm("Cancel the deployment in progress?") {
                    cancel.dispatch(());
                }
            }>"Cancel deployment"</button>
        </Head>
        {move || cancel.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        {show(instance, move |out| {
            let i = out.service_instance;
            let arn = i.arn.clone();
            let upgrade = (!in_progress(i.deployment_status.as_str())).then(|| view! {
                <Upgrade
                    target=Target::Instance(i.service_name.clone(), i.name.clone(), i.environment_name.clone())
                    template=i.template_name.clone()
                    major=i.template_major_version.clone()
                    minor=i.template_minor_version.clone()
                    spec=i.spec.clone().unwrap_or_default()
                    on_done=Callback::new(move |()| tick.update(|t| *t = t.wrapping_add(1)))
                />
            });
            view! {
                <div class="status-line">
                    <Status status=i.deployment_status.as_str().to_owned() />
                    {i.deployment_status_message.clone().map(|m| view! { <span class="status-message">{m}</span> })}
                </div>
                {upgrade}
                <Facts rows=vec![
                    ("Environment", Some(i.environment_name.clone())),
                    ("Template", Some(format!("{} {}.{}", i.template_name, i.template_major_version, i.template_minor_version))),
                    ("ARN", Some(i.arn.clone())),
                    ("Created", Some(when(i.created_at))),
                ] />
                <h2>"Spec"</h2>
                <pre class="spec">{i.spec.unwrap_or_default()}</pre>
                <SyncBlockers service=service instance=name hide_empty=true />
                <Tags arn=arn />
            }
        })}
        <h2>"Outputs"</h2>
        {show(outputs, |o| outputs_table(o.outputs))}
        <h2>"Deployment history"</h2>
        {show(deployments, |d| view! { <Deployments rows=d.deployments /> })}
    }
}

/// The schema a service's spec is checked against: the version its first instance runs (else
/// its pipeline's), as the engine's UpdateService checks it.
async fn service_schema(name: String, template: String) -> Result<String, ApiError> {
    let instances = call::<ops::ListServiceInstances>(ListServiceInstancesInput {
        service_name: Some(name.clone()),
        ..Default::default()
    })
    .await?;
    let running = match instances.service_instances.into_iter().next() {
        Some(i) => Some((i.template_major_version, i.template_minor_version)),
        None => call::<ops::GetService>(GetServiceInput { name })
            .await?
            .service
            .and_then(|s| s.pipeline)
            .map(|p| (p.template_major_version, p.template_minor_version)),
    };
    let Some((major_version, minor_version)) = running else {
        return Ok(String::new());
    };
    Ok(
        call::<ops::GetServiceTemplateVersion>(GetServiceTemplateVersionInput {
            template_name: template,
            major_version,
            minor_version,
        })
        .await?
        .service_template_version
        .schema
        .unwrap_or_default(),
    )
}

/// "Edit service": the description and the whole `ServiceSpec` (adding or removing instances),
/// checked as typed against the schema of the version the service runs; instances the new spec
/// drops are named before UpdateService deletes them.
#[component]
#[allow(clippy::needless_pass_by_value)] // component props are owned
fn EditService(
    /// The service.
    name: String,
    /// Its template.
    template: String,
    /// Its description.
    description: String,
    /// Its spec.
    spec: String,
    /// Called once the update was accepted.
    on_done: Callback<()>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let text = RwSignal::new(spec.clone());
    let about = RwSignal::new(description);
    let schema = load({
        let (name, template) = (name.clone(), template.clone());
        move || service_schema(name.clone(), template.clone())
    });
    let diagnostics = memo(move || match schema.get() {
        Some(Ok(schema)) if !schema.is_empty() => {
            text.with(|t| validate_spec(&schema, t).diagnostics)
        }
        _ => Vec::new(),
    });
    let names = |yaml: &str| match parse_spec(yaml) {
        Ok(Spec::Service(s)) => s.instances.into_iter().map(|i| i.name).collect(),
        _ => Vec::<String>::new(),
    };
    let before = names(&spec);
    let removed = memo(move || {
        let after = text.with(|t| names(t));
        before
            .iter()
            .filter(|n| !after.contains(n))
            .cloned()
            .collect::<Vec<_>>()
    });
    let save = act(
        move |(service, description, spec): &(String, String, String)| {
            let input = UpdateServiceInput {
                name: service.clone(),
                description: Some(description.clone()),
                spec: Some(spec.clone()),
            };
            async move { call::<ops::UpdateService>(input).await.map(|_| ()) }
        },
    );
    effect(move || {
        if let Some(Ok(())) = save.value() {
            on_done.run(());
        }
    });
    view! {
        <div class="actions">
            <button type="button" on:click=move |_| open.update(|o| *o = !*o)>"Edit service"</button>
        </div>
        {move || open.get().then(|| {
            let name = name.clone();
            view! {
                <div class="panel edit-service">
                    <h2>"Edit service"</h2>
                    <label>
                        "Description"
                        <input name="serviceDescription" prop:value=move || about.get() on:input=move |ev| about.set(event_target_value(&ev)) />
                    </label>
                    <label>
                        "Spec (instances added here are created, instances left out are deleted)"
                        <textarea name="serviceSpec" class="mono" rows="14" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                    </label>
                    <div class="diagnostics">
                        {move || diagnostics.get().into_iter().map(|d| view! { <div class="field-error">{d.to_string()}</div> }).collect_view()}
                        {move || {
                            let gone = removed.get();
                            (!gone.is_empty()).then(|| view! { <div class="field-error">{format!("Deletes instance(s): {}", gone.join(", "))}</div> })
                        }}
                    </div>
                    {move || save.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
                    <button type="button" class="primary" disabled=move || !diagnostics.with(Vec::is_empty) || save.pending() on:click=move |_| {
                        let gone = removed.get_untracked();
                        if gone.is_empty() || confirm(&format!("Delete instance(s) {} with their infrastructure?", gone.join(", "))) {
                            save.dispatch((name.clone(), about.get_untracked(), text.get_untracked()));
                        }
                    }>"Update service"</button>
                </div>
            }
        })}
    }
}
