//! Simple list pages: components, environment account connections, repositories, account
//! settings.

use baryon_model::proton::{
    EnvironmentAccountConnectionRequesterAccountType, GetAccountSettingsInput, ListComponentsInput,
    ListEnvironmentAccountConnectionsInput, ListRepositoriesInput, ops,
};
use leptos::prelude::*;

use crate::api::call;
use crate::ui::{Empty, Facts, Head, Status, show, when};

/// `/components`.
#[component]
pub fn Components() -> impl IntoView {
    let list = LocalResource::new(|| call::<ops::ListComponents>(ListComponentsInput::default()));
    view! {
        <Head title="Components" />
        {show(list, |out| {
            if out.components.is_empty() {
                return view! { <Empty text="No components." /> }.into_any();
            }
            view! {
                <table>
                    <thead>
                        <tr><th>"Name"</th><th>"Environment"</th><th>"Attached to"</th><th>"Deployment"</th><th>"Modified"</th></tr>
                    </thead>
                    <tbody>
                        {out.components.into_iter().map(|c| {
                            let attached = match (&c.service_name, &c.service_instance_name) {
                                (Some(s), Some(i)) => view! { <a href=format!("/services/{s}/instances/{i}")>{format!("{s} / {i}")}</a> }.into_any(),
                                _ => view! { <span class="muted">"—"</span> }.into_any(),
                            };
                            view! {
                                <tr>
                                    <td>{c.name.clone()}</td>
                                    <td><a href=format!("/environments/{}", c.environment_name)>{c.environment_name.clone()}</a></td>
                                    <td>{attached}</td>
                                    <td><Status status=c.deployment_status.as_str().to_owned() /></td>
                                    <td>{when(c.last_modified_at)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        })}
    }
}

/// `/account-connections`: the connections this (management) account was asked for.
#[component]
pub fn AccountConnections() -> impl IntoView {
    let list = LocalResource::new(|| {
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
        {show(list, |out| {
            if out.environment_account_connections.is_empty() {
                return view! { <Empty text="No environment account connections." /> }.into_any();
            }
            view! {
                <table>
                    <thead>
                        <tr><th>"Id"</th><th>"Environment"</th><th>"Environment account"</th><th>"Role"</th><th>"Status"</th><th>"Requested"</th></tr>
                    </thead>
                    <tbody>
                        {out.environment_account_connections.into_iter().map(|c| view! {
                            <tr>
                                <td class="mono">{c.id.clone()}</td>
                                <td>{c.environment_name.clone()}</td>
                                <td>{c.environment_account_id.clone()}</td>
                                <td class="mono">{c.role_arn.clone()}</td>
                                <td><Status status=c.status.as_str().to_owned() /></td>
                                <td>{when(c.requested_at)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        })}
    }
}

/// `/repositories`.
#[component]
pub fn Repositories() -> impl IntoView {
    let list =
        LocalResource::new(|| call::<ops::ListRepositories>(ListRepositoriesInput::default()));
    view! {
        <Head title="Repositories" />
        {show(list, |out| {
            if out.repositories.is_empty() {
                return view! { <Empty text="No linked repositories." /> }.into_any();
            }
            view! {
                <table>
                    <thead>
                        <tr><th>"Name"</th><th>"Provider"</th><th>"Connection"</th></tr>
                    </thead>
                    <tbody>
                        {out.repositories.into_iter().map(|r| view! {
                            <tr>
                                <td>{r.name.clone()}</td>
                                <td>{r.provider.as_str().to_owned()}</td>
                                <td class="mono">{r.connection_arn.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        })}
    }
}

/// `/settings`.
#[component]
pub fn Settings() -> impl IntoView {
    let settings =
        LocalResource::new(|| call::<ops::GetAccountSettings>(GetAccountSettingsInput {}));
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
