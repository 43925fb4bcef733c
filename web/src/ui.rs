//! Building blocks every page shares: loading/error/empty states, status badges, times,
//! polling, confirmation, key/value panels.

use std::time::Duration;

use baryon_model::Timestamp;
use baryon_model::proton::{DeploymentSummary, ListTagsForResourceInput, ops};
use leptos::prelude::*;

use crate::api::{ApiError, call};

/// What a page's data loader yields.
pub type Loaded<T> = LocalResource<Result<T, ApiError>>;

/// An AWS error, readably: `Type: message`.
#[component]
pub fn ErrorBox(
    /// The error.
    error: ApiError,
) -> impl IntoView {
    view! {
        <div class="error" role="alert">
            <strong>{error.kind}</strong>
            ": "
            {error.message}
        </div>
    }
}

/// The loading state.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="muted loading">"Loading…"</p> }
}

/// The empty state of a list.
#[component]
pub fn Empty(
    /// What to say.
    #[prop(into)]
    text: String,
) -> impl IntoView {
    view! { <p class="muted empty">{text}</p> }
}

/// Renders a loader's value with `f`, or its loading or error state.
pub fn show<T, V, F>(res: Loaded<T>, f: F) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    move || match res.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Ok(v)) => f(v).into_any(),
        Some(Err(e)) => view! { <ErrorBox error=e /> }.into_any(),
    }
}

/// The CSS class of a status value: ok, bad, busy or neutral.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "SUCCEEDED" | "PUBLISHED" | "ACTIVE" | "CONNECTED" | "DRAFT" => "ok",
        s if s.contains("FAILED") || s == "REJECTED" => "bad",
        s if s.contains("IN_PROGRESS") || s == "PENDING" => "busy",
        _ => "neutral",
    }
}

/// A status badge.
#[component]
pub fn Status(
    /// The status value.
    #[prop(into)]
    status: String,
) -> impl IntoView {
    let class = format!("badge {}", status_class(&status));
    view! { <span class=class>{status}</span> }
}

/// Whether a deployment status is still moving.
pub fn in_progress(status: &str) -> bool {
    status.contains("IN_PROGRESS") || status == "PENDING"
}

/// A timestamp as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn when(t: Timestamp) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        t.as_epoch_seconds() * 1000.0,
    ));
    let iso = String::from(date.to_iso_string());
    match iso.get(..19) {
        Some(s) => format!("{} UTC", s.replace('T', " ")),
        None => iso,
    }
}

/// Refetches `tick`-driven loaders every `ms` milliseconds while `busy` holds for the loaded
/// value. The loader must read `tick`; a disposed page stops the polling.
pub fn poll_while<T>(
    tick: RwSignal<u32>,
    res: Loaded<T>,
    ms: u64,
    busy: impl Fn(&T) -> bool + Send + Sync + 'static,
) where
    T: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(v)) = res.get()
            && busy(&v)
        {
            set_timeout(
                move || {
                    tick.try_update(|t| *t = t.wrapping_add(1));
                },
                Duration::from_millis(ms),
            );
        }
    });
}

/// Asks the user to confirm a destructive action.
pub fn confirm(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}

/// A two-column panel of labelled values; rows without a value are left out.
#[component]
pub fn Facts(
    /// Label and value of each row.
    rows: Vec<(&'static str, Option<String>)>,
) -> impl IntoView {
    view! {
        <dl class="facts">
            {rows
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| view! { <dt>{k}</dt><dd>{v}</dd> }))
                .collect_view()}
        </dl>
    }
}

/// A page heading with actions on the right.
#[component]
pub fn Head(
    /// The title.
    #[prop(into)]
    title: Signal<String>,
    /// The actions.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="head">
            <h1>{title}</h1>
            <div class="actions">{children.map(|c| c())}</div>
        </div>
    }
}

/// A table of deployments.
#[component]
pub fn Deployments(
    /// The deployments.
    rows: Vec<DeploymentSummary>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <Empty text="No deployments." /> }.into_any();
    }
    view! {
        <table>
            <thead>
                <tr>
                    <th>"Deployment"</th>
                    <th>"Target"</th>
                    <th>"Status"</th>
                    <th>"Started"</th>
                    <th>"Completed"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|d| {
                        let (href, target) = deployment_target(&d);
                        view! {
                            <tr>
                                <td class="mono">{d.id.clone()}</td>
                                <td>
                                    <a href=href>{target}</a>
                                    " "
                                    <span class="muted">{d.target_resource_type.as_str().to_owned()}</span>
                                </td>
                                <td>
                                    <Status status=d.deployment_status.as_str().to_owned() />
                                </td>
                                <td>{when(d.created_at)}</td>
                                <td>{d.completed_at.map(when).unwrap_or_default()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The console URL and name of what a deployment deploys.
fn deployment_target(d: &DeploymentSummary) -> (String, String) {
    if let Some(c) = &d.component_name {
        return ("/components".to_owned(), c.clone());
    }
    match (&d.service_name, &d.service_instance_name) {
        (Some(s), Some(i)) => (format!("/services/{s}/instances/{i}"), format!("{s} / {i}")),
        (Some(s), None) => (format!("/services/{s}"), format!("{s} (pipeline)")),
        _ => (
            format!("/environments/{}", d.environment_name),
            d.environment_name.clone(),
        ),
    }
}

/// The tags of a resource.
#[component]
pub fn Tags(
    /// The resource's ARN.
    #[prop(into)]
    arn: String,
) -> impl IntoView {
    let tags = LocalResource::new(move || {
        call::<ops::ListTagsForResource>(ListTagsForResourceInput {
            resource_arn: arn.clone(),
            ..Default::default()
        })
    });
    view! {
        <h2>"Tags"</h2>
        {show(tags, |out| {
            if out.tags.is_empty() {
                view! { <Empty text="No tags." /> }.into_any()
            } else {
                view! {
                    <table class="narrow">
                        <tbody>
                            {out
                                .tags
                                .into_iter()
                                .map(|t| view! { <tr><td class="mono">{t.key}</td><td>{t.value}</td></tr> })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }
        })}
    }
}

/// Previous/next buttons over `nextToken` pages. `tokens` holds the tokens of the pages seen
/// so far (the first page's is `None`); the last one is the current page's.
#[component]
pub fn Pager(
    /// The tokens of the pages seen so far; the last is the current page's.
    tokens: RwSignal<Vec<Option<String>>>,
    /// The next page's token, when there is one.
    next: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="pager">
            <button
                disabled=move || tokens.with(|t| t.len() <= 1)
                on:click=move |_| tokens.update(|t| {
                    t.pop();
                })
            >
                "← Previous"
            </button>
            <span class="muted">{move || format!("Page {}", tokens.with(Vec::len))}</span>
            <button
                disabled=move || next.with(Option::is_none)
                on:click=move |_| {
                    if let Some(n) = next.get() {
                        tokens.update(|t| t.push(Some(n)));
                    }
                }
            >
                "Next →"
            </button>
        </div>
    }
}
