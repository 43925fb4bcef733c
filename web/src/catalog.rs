//! Service Catalog for end users: the products they can launch, the launch form (the
//! version's CloudFormation parameters as fields, checked as the user types), and provisioned
//! products with their outputs and records, updated or terminated.

use std::collections::BTreeMap;

use baryon_model::servicecatalog::{
    AccessLevelFilter, AccessLevelFilterKey, DescribeProductInput, DescribeProvisionedProductInput,
    DescribeProvisioningParametersInput, GetProvisionedProductOutputsInput, ListRecordHistoryInput,
    ListRecordHistorySearchFilter, ProvisionProductInput, ProvisioningArtifactParameter,
    ProvisioningParameter, RecordDetail, RecordOutput, SearchProductsInput,
    SearchProvisionedProductsInput, TerminateProvisionedProductInput,
    UpdateProvisionedProductInput, UpdateProvisioningParameter, ops,
};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api::call;
use crate::form::parameter_problem;
use crate::ui::{
    Empty, ErrorBox, Facts, Head, Status, act, confirm, effect, fetch, in_progress, list, load,
    memo, param, poll_while, show, table, when,
};

/// A fresh idempotency token (`IdempotencyToken`, `ProvisionToken`, `UpdateToken`,
/// `TerminateToken`: `[a-zA-Z0-9][a-zA-Z0-9_-]*`).
pub fn token() -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (now, random) = (
        js_sys::Date::now().max(0.0) as u64,
        (js_sys::Math::random() * 4_294_967_296.0) as u64,
    );
    format!("console-{now:x}-{random:x}")
}

/// An optional text field's value: `None` when blank.
pub fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Whether a provisioned product (or record) status is still moving.
fn changing(status: &str) -> bool {
    matches!(status, "UNDER_CHANGE" | "PLAN_IN_PROGRESS" | "CREATED") || in_progress(status)
}

/// `/catalog`: the products this account can launch (in a portfolio).
#[component]
pub fn Launchable() -> impl IntoView {
    let page = fetch::<ops::SearchProducts>(SearchProductsInput::default);
    view! {
        <Head title="Products">
            <a href="/catalog/provisioned">"Provisioned products"</a>
        </Head>
        <p class="muted">"Products in a portfolio can be launched. Administrators manage them under Product administration."</p>
        {list(page, &["Product", "Owner", "Description", ""], "No products can be launched yet: a product must be in a portfolio.", |out| {
            out.product_view_summaries.unwrap_or_default().into_iter().map(|p| {
                let id = p.product_id.clone().unwrap_or_default();
                view! {
                    <tr>
                        <td>{p.name.clone().unwrap_or_default()}</td>
                        <td>{p.owner.clone().unwrap_or_default()}</td>
                        <td>{p.short_description.clone().unwrap_or_default()}</td>
                        <td class="row-actions"><a class="button" href=format!("/catalog/products/{id}/launch")>"Launch"</a></td>
                    </tr>
                }.into_any()
            }).collect()
        })}
    }
}

/// The parameters of a version as fields (`values` holds what was typed, by key). With
/// `keep_previous` (an update) an empty field keeps the provisioned product's previous value.
#[component]
fn Parameters(
    params: Vec<ProvisioningArtifactParameter>,
    values: RwSignal<BTreeMap<String, String>>,
    keep_previous: bool,
) -> impl IntoView {
    if params.is_empty() {
        return view! { <Empty text="This version has no parameters." /> }.into_any();
    }
    params
        .into_iter()
        .map(|p| {
            let key = p.parameter_key.clone().unwrap_or_default();
            let k = key.clone();
            let value = move || values.with(|v| v.get(&k).cloned().unwrap_or_default());
            let k = key.clone();
            let set = move |ev: leptos::ev::Event| {
                let v = event_target_value(&ev);
                values.update(|m| {
                    m.insert(k.clone(), v);
                });
            };
            let p2 = p.clone();
            let v2 = value.clone();
            let problem = move || parameter_problem(&p2, &v2(), keep_previous, pattern_matches);
            let allowed = p
                .parameter_constraints
                .as_ref()
                .and_then(|c| c.allowed_values.clone())
                .filter(|a| !a.is_empty());
            let input = if let Some(allowed) = allowed {
                    let first = if keep_previous { "— previous value —" } else { "— choose —" };
                    view! {
                        <select name=key.clone() prop:value=value on:change=set>
                            <option value="">{first}</option>
                            {allowed.into_iter().map(|a| view! { <option value=a.clone()>{a.clone()}</option> }).collect_view()}
                        </select>
                    }
                    .into_any()
            } else {
                    let kind = if p.is_no_echo == Some(true) { "password" } else { "text" };
                    let placeholder = if keep_previous {
                        "previous value".to_owned()
                    } else {
                        p.default_value.clone().map(|d| format!("default: {d}")).unwrap_or_default()
                    };
                    view! { <input name=key.clone() type=kind placeholder=placeholder prop:value=value on:input=set /> }.into_any()
            };
            view! {
                <div class="field">
                    <label>
                        <span class="mono">{key.clone()}</span>
                        <span class="type muted">{p.parameter_type.clone().unwrap_or_default()}</span>
                        {(!keep_previous && p.default_value.is_none()).then(|| view! { <span class="required">"*"</span> })}
                    </label>
                    {input}
                    {p.description.clone().map(|d| view! { <span class="hint">{d}</span> })}
                    <span class="field-error">{problem}</span>
                </div>
            }
            .into_any()
        })
        .collect_view()
        .into_any()
}

/// Runs a CloudFormation `AllowedPattern` (which must match the whole value) with the
/// browser's regular expressions; a pattern the browser cannot compile is left to the engine.
fn pattern_matches(pattern: &str, value: &str) -> bool {
    let re = js_sys::RegExp::new(&format!("^(?:{pattern})$"), "u");
    re.test(value)
}

/// The first problem of the parameter values, if any.
fn parameters_problem(
    params: &[ProvisioningArtifactParameter],
    values: &BTreeMap<String, String>,
    keep_previous: bool,
) -> Option<String> {
    params.iter().find_map(|p| {
        let key = p.parameter_key.as_deref().unwrap_or_default();
        let value = values.get(key).map_or("", String::as_str);
        parameter_problem(p, value, keep_previous, pattern_matches).map(|e| format!("{key}: {e}"))
    })
}

/// `/catalog/products/:id/launch`: choose a version (and launch path), fill in its
/// parameters, name the provisioned product and launch it.
#[component]
pub fn Launch() -> impl IntoView {
    let id = param("id");
    let product = fetch::<ops::DescribeProduct>(move || DescribeProductInput {
        id: Some(id.get()),
        ..Default::default()
    });
    let name = RwSignal::new(String::new());
    let version = RwSignal::new(String::new());
    let path = RwSignal::new(String::new());
    let values = RwSignal::new(BTreeMap::<String, String>::new());
    // The newest version that is not deprecated is chosen until the user chooses.
    effect(move || {
        if let Some(Ok(out)) = product.get()
            && version.get_untracked().is_empty()
        {
            let versions = out.provisioning_artifacts.unwrap_or_default();
            let pick = versions
                .iter()
                .rev()
                .find(|v| {
                    v.guidance
                        .as_ref()
                        .is_none_or(|g| g.as_str() != "DEPRECATED")
                })
                .or(versions.last());
            if let Some(v) = pick.and_then(|v| v.id.clone()) {
                version.set(v);
            }
        }
    });
    let parameters = load(move || {
        let (product_id, artifact, path_id) = (id.get(), version.get(), path.get());
        async move {
            if artifact.is_empty() {
                return Ok(Vec::new());
            }
            call::<ops::DescribeProvisioningParameters>(DescribeProvisioningParametersInput {
                product_id: Some(product_id),
                provisioning_artifact_id: Some(artifact),
                path_id: opt(&path_id),
                ..Default::default()
            })
            .await
            .map(|o| o.provisioning_artifact_parameters.unwrap_or_default())
        }
    });
    let problem = memo(move || {
        if name.with(|n| n.trim().is_empty()) {
            return Some("Name the provisioned product.".to_owned());
        }
        match parameters.get() {
            Some(Ok(ps)) => values.with(|v| parameters_problem(&ps, v, false)),
            _ => Some("Loading the version's parameters…".to_owned()),
        }
    });
    let navigate = use_navigate();
    let launch = act(move |(): &()| {
        let given = values.get_untracked();
        let input = ProvisionProductInput {
            product_id: Some(id.get_untracked()),
            provisioning_artifact_id: opt(&version.get_untracked()),
            path_id: opt(&path.get_untracked()),
            provisioned_product_name: name.get_untracked().trim().to_owned(),
            provisioning_parameters: Some(
                given
                    .into_iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| ProvisioningParameter {
                        key: Some(k),
                        value: Some(v),
                    })
                    .collect(),
            ),
            provision_token: token(),
            ..Default::default()
        };
        async move { call::<ops::ProvisionProduct>(input).await }
    });
    effect(move || {
        if let Some(Ok(out)) = launch.value()
            && let Some(pp) = out.record_detail.and_then(|r| r.provisioned_product_id)
        {
            navigate(
                &format!("/catalog/provisioned/{pp}"),
                NavigateOptions::default(),
            );
        }
    });
    view! {
        <Head title="Launch product">
            <a href="/catalog">"Cancel"</a>
        </Head>
        {show(product, move |out| {
            let summary = out.product_view_summary.unwrap_or_default();
            let versions = out.provisioning_artifacts.unwrap_or_default();
            let paths = out.launch_paths.unwrap_or_default();
            view! {
                <Facts rows=vec![
                    ("Product", summary.name.clone()),
                    ("Owner", summary.owner.clone()),
                    ("Description", summary.short_description.clone()),
                    ("Support", summary.support_email.clone()),
                ] />
                <form class="panel" on:submit=move |ev| {
                    ev.prevent_default();
                    if problem.get_untracked().is_none() {
                        launch.dispatch(());
                    }
                }>
                    <label>
                        "Provisioned product name"
                        <input name="provisionedProductName" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    </label>
                    <label>
                        "Version"
                        <select name="version" prop:value=move || version.get() on:change=move |ev| {
                            values.set(BTreeMap::new());
                            version.set(event_target_value(&ev));
                        }>
                            {versions.into_iter().map(|v| {
                                let id = v.id.clone().unwrap_or_default();
                                let deprecated = v.guidance.as_ref().is_some_and(|g| g.as_str() == "DEPRECATED");
                                let label = format!(
                                    "{}{}{}",
                                    v.name.clone().unwrap_or_else(|| id.clone()),
                                    v.description.clone().map(|d| format!(" — {d}")).unwrap_or_default(),
                                    if deprecated { " (deprecated)" } else { "" },
                                );
                                view! { <option value=id>{label}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    {(paths.len() > 1).then(|| view! {
                        <label>
                            "Launch path (portfolio)"
                            <select name="path" on:change=move |ev| path.set(event_target_value(&ev))>
                                <option value="">"— choose —"</option>
                                {paths.iter().map(|p| view! {
                                    <option value=p.id.clone().unwrap_or_default()>{p.name.clone().unwrap_or_default()}</option>
                                }).collect_view()}
                            </select>
                        </label>
                    })}
                    <fieldset>
                        <legend>"Parameters"</legend>
                        {show(parameters, move |ps| view! { <Parameters params=ps values=values keep_previous=false /> })}
                    </fieldset>
                    <span class="field-error">{move || problem.get()}</span>
                    {move || launch.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
                    <button type="submit" class="primary" disabled=move || problem.get().is_some() || launch.pending()>"Launch"</button>
                </form>
            }
            .into_any()
        })}
    }
}

/// `/catalog/provisioned`: every provisioned product of the account.
#[component]
pub fn ProvisionedProducts() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let page = fetch::<ops::SearchProvisionedProducts>(move || {
        tick.track();
        SearchProvisionedProductsInput {
            access_level_filter: Some(account_level()),
            ..Default::default()
        }
    });
    poll_while(tick, page, 2000, |out| {
        out.provisioned_products
            .iter()
            .flatten()
            .any(|p| p.status.as_ref().is_some_and(|s| changing(s.as_str())))
    });
    view! {
        <Head title="Provisioned products">
            <a class="button" href="/catalog">"Launch a product"</a>
        </Head>
        {list(page, &["Name", "Product", "Version", "Status", "Created"], "No provisioned products.", |out| {
            out.provisioned_products.unwrap_or_default().into_iter().map(|p| view! {
                <tr>
                    <td><a href=format!("/catalog/provisioned/{}", p.id.clone().unwrap_or_default())>{p.name.clone().unwrap_or_default()}</a></td>
                    <td>{p.product_name.clone().unwrap_or_default()}</td>
                    <td>{p.provisioning_artifact_name.clone().unwrap_or_default()}</td>
                    <td>
                        <Status status=p.status.as_ref().map(|s| s.as_str().to_owned()).unwrap_or_default() />
                        {p.status_message.clone().map(|m| view! { <div class="status-message">{m}</div> })}
                    </td>
                    <td>{p.created_time.map(when).unwrap_or_default()}</td>
                </tr>
            }.into_any()).collect()
        })}
    }
}

/// The account-wide access level (what the engine's caller may see).
fn account_level() -> AccessLevelFilter {
    AccessLevelFilter {
        key: Some(AccessLevelFilterKey::Account),
        value: Some("self".to_owned()),
    }
}

/// `/catalog/provisioned/:id`: status (polled while it changes), outputs, the record history
/// with each record's errors, update to another version or parameters, terminate.
#[component]
pub fn ProvisionedProductDetail() -> impl IntoView {
    let id = param("id");
    let tick = RwSignal::new(0u32);
    let detail = fetch::<ops::DescribeProvisionedProduct>(move || {
        tick.track();
        DescribeProvisionedProductInput {
            id: Some(id.get()),
            ..Default::default()
        }
    });
    let outputs = fetch::<ops::GetProvisionedProductOutputs>(move || {
        tick.track();
        GetProvisionedProductOutputsInput {
            provisioned_product_id: Some(id.get()),
            ..Default::default()
        }
    });
    let records = fetch::<ops::ListRecordHistory>(move || {
        tick.track();
        ListRecordHistoryInput {
            access_level_filter: Some(account_level()),
            search_filter: Some(ListRecordHistorySearchFilter {
                key: Some("provisionedproduct".to_owned()),
                value: Some(id.get()),
            }),
            ..Default::default()
        }
    });
    poll_while(tick, records, 1500, |out| {
        out.record_details
            .iter()
            .flatten()
            .any(|r| r.status.as_ref().is_some_and(|s| changing(s.as_str())))
    });
    let editing = RwSignal::new(false);
    let terminate = act(move |(): &()| {
        let input = TerminateProvisionedProductInput {
            provisioned_product_id: Some(id.get_untracked()),
            terminate_token: token(),
            ..Default::default()
        };
        async move { call::<ops::TerminateProvisionedProduct>(input).await }
    });
    effect(move || {
        if let Some(Ok(_)) = terminate.value() {
            tick.update(|t| *t = t.wrapping_add(1));
        }
    });
    view! {
        <Head title=move || match detail.get() {
            Some(Ok(out)) => out.provisioned_product_detail.and_then(|d| d.name).unwrap_or_default(),
            _ => id.get(),
        }>
            <a href="/catalog/provisioned">"Provisioned products"</a>
            <button on:click=move |_| editing.update(|e| *e = !*e)>"Update"</button>
            <button class="danger" on:click=move |_| {
                if confirm("Terminate this provisioned product and delete its stack?") {
                    terminate.dispatch(());
                }
            }>"Terminate"</button>
        </Head>
        {move || terminate.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
        {move || match detail.get() {
            None => None,
            Some(Err(e)) if e.is_not_found() => Some(view! {
                <p class="notice">"This provisioned product no longer exists: it was terminated. Its records are below."</p>
            }.into_any()),
            Some(Err(e)) => Some(view! { <ErrorBox error=e /> }.into_any()),
            Some(Ok(out)) => out.provisioned_product_detail.map(|d| view! {
                <div class="status-line">
                    <Status status=d.status.as_ref().map(|s| s.as_str().to_owned()).unwrap_or_default() />
                    {d.status_message.clone().map(|m| view! { <span class="status-message">{m}</span> })}
                </div>
                <Facts rows=vec![
                    ("Id", d.id.clone()),
                    ("ARN", d.arn.clone()),
                    ("Product", d.product_id.clone()),
                    ("Version", d.provisioning_artifact_id.clone()),
                    ("Created", d.created_time.map(when)),
                    ("Last record", d.last_record_id.clone()),
                ] />
                {move || editing.get().then(|| view! {
                    <UpdateForm
                        id=id.get_untracked()
                        product=d.product_id.clone().unwrap_or_default()
                        current=d.provisioning_artifact_id.clone().unwrap_or_default()
                        on_done=Callback::new(move |()| {
                            editing.set(false);
                            tick.update(|t| *t = t.wrapping_add(1));
                        })
                    />
                })}
            }.into_any()),
        }}
        <h2>"Outputs"</h2>
        {move || match outputs.get() {
            Some(Ok(out)) => record_outputs(out.outputs.unwrap_or_default()),
            Some(Err(e)) if e.is_not_found() => view! { <Empty text="No outputs." /> }.into_any(),
            Some(Err(e)) => view! { <ErrorBox error=e /> }.into_any(),
            None => ().into_any(),
        }}
        <h2>"Records"</h2>
        {list(records, &["Record", "Type", "Status", "Created", "Updated", "Errors"], "No records.", |out| {
            out.record_details.unwrap_or_default().into_iter().rev().map(record_row).collect()
        })}
    }
}

/// One row of the record history.
fn record_row(r: RecordDetail) -> AnyView {
    let errors = r
        .record_errors
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            format!(
                "{}: {}",
                e.code.unwrap_or_default(),
                e.description.unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    view! {
        <tr>
            <td class="mono">{r.record_id.unwrap_or_default()}</td>
            <td>{r.record_type.unwrap_or_default()}</td>
            <td><Status status=r.status.as_ref().map(|s| s.as_str().to_owned()).unwrap_or_default() /></td>
            <td>{r.created_time.map(when).unwrap_or_default()}</td>
            <td>{r.updated_time.map(when).unwrap_or_default()}</td>
            <td class="status-message record-errors">{errors}</td>
        </tr>
    }
    .into_any()
}

/// A provisioned product's (or record's) outputs.
fn record_outputs(outputs: Vec<RecordOutput>) -> AnyView {
    let rows = outputs
        .into_iter()
        .map(|o| {
            view! {
                <tr>
                    <td class="mono">{o.output_key.unwrap_or_default()}</td>
                    <td class="mono">{o.output_value.unwrap_or_default()}</td>
                    <td class="muted">{o.description.unwrap_or_default()}</td>
                </tr>
            }
            .into_any()
        })
        .collect();
    table(&["Key", "Value", "Description"], "No outputs.", rows)
}

/// Update a provisioned product: another version (or the same), parameters (empty keeps the
/// previous value).
#[component]
fn UpdateForm(
    id: String,
    product: String,
    current: String,
    on_done: Callback<()>,
) -> impl IntoView {
    let version = RwSignal::new(current);
    let values = RwSignal::new(BTreeMap::<String, String>::new());
    let product_id = product.clone();
    let versions = fetch::<ops::DescribeProduct>(move || DescribeProductInput {
        id: Some(product_id.clone()),
        ..Default::default()
    });
    let product_id = product.clone();
    let parameters = load(move || {
        let (p, v) = (product_id.clone(), version.get());
        async move {
            call::<ops::DescribeProvisioningParameters>(DescribeProvisioningParametersInput {
                product_id: Some(p),
                provisioning_artifact_id: Some(v),
                ..Default::default()
            })
            .await
            .map(|o| o.provisioning_artifact_parameters.unwrap_or_default())
        }
    });
    let problem = memo(move || match parameters.get() {
        Some(Ok(ps)) => values.with(|v| parameters_problem(&ps, v, true)),
        _ => Some("Loading the version's parameters…".to_owned()),
    });
    let update = act(move |(): &()| {
        let params: Vec<_> = match parameters.get_untracked() {
            Some(Ok(ps)) => ps,
            _ => Vec::new(),
        };
        let given = values.get_untracked();
        let input = UpdateProvisionedProductInput {
            provisioned_product_id: Some(id.clone()),
            product_id: Some(product.clone()),
            provisioning_artifact_id: Some(version.get_untracked()),
            provisioning_parameters: Some(
                params
                    .iter()
                    .filter_map(|p| p.parameter_key.clone())
                    .map(|k| match given.get(&k).filter(|v| !v.is_empty()) {
                        Some(v) => UpdateProvisioningParameter {
                            key: Some(k),
                            value: Some(v.clone()),
                            use_previous_value: None,
                        },
                        None => UpdateProvisioningParameter {
                            key: Some(k),
                            value: None,
                            use_previous_value: Some(true),
                        },
                    })
                    .collect(),
            ),
            update_token: token(),
            ..Default::default()
        };
        async move { call::<ops::UpdateProvisionedProduct>(input).await }
    });
    effect(move || {
        if let Some(Ok(_)) = update.value() {
            on_done.run(());
        }
    });
    view! {
        <h2>"Update"</h2>
        <form class="panel update-form" on:submit=move |ev| {
            ev.prevent_default();
            if problem.get_untracked().is_none() {
                update.dispatch(());
            }
        }>
            {show(versions, move |out| view! {
                <label>
                    "Version"
                    <select name="version" prop:value=move || version.get() on:change=move |ev| {
                        values.set(BTreeMap::new());
                        version.set(event_target_value(&ev));
                    }>
                        {out.provisioning_artifacts.unwrap_or_default().into_iter().map(|v| {
                            let id = v.id.clone().unwrap_or_default();
                            let label = v.name.clone().unwrap_or_else(|| id.clone());
                            view! { <option value=id>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
            })}
            <fieldset>
                <legend>"Parameters (empty: keep the previous value)"</legend>
                {show(parameters, move |ps| view! { <Parameters params=ps values=values keep_previous=true /> })}
            </fieldset>
            <span class="field-error">{move || problem.get()}</span>
            {move || update.value().and_then(Result::err).map(|e| view! { <ErrorBox error=e /> })}
            <button type="submit" class="primary" disabled=move || problem.get().is_some() || update.pending()>"Update"</button>
        </form>
    }
}
