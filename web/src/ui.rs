//! Building blocks every page shares: loading/error/empty states, status badges, times,
//! polling, confirmation, key/value panels.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use baryon_model::Timestamp;
use baryon_model::proton::Operation;
use baryon_model::proton::{DeploymentSummary, ListTagsForResourceInput, Output, ops};
use baryon_model::shape::{OperationName, OperationShape};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api::{ApiError, call, call_any};

/// A loaded value as the one resource type every loader shares: the value behind `Rc<dyn Any>`.
type Erased = Result<Rc<dyn Any>, ApiError>;

/// A fetcher of [`Erased`] values.
type ErasedFetch = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = Erased>>>>;

/// A page's data loader: a [`LocalResource`] whose value is a `Result<T, ApiError>`.
///
/// Every loader is the same `LocalResource<Erased>` underneath, so Leptos' async machinery
/// (the derived signal, its scoped future, the wakers) is compiled once for the console rather
/// than once per loader: with a hundred loaders that was ~15 % of the wasm. The type `T` comes
/// back by a checked downcast in [`Loaded::get`].
pub struct Loaded<T> {
    res: LocalResource<Erased>,
    ty: PhantomData<fn() -> T>,
}

impl<T> Clone for Loaded<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Loaded<T> {}

impl<T: Clone + 'static> Loaded<T> {
    /// The value (tracked): `None` while loading.
    pub fn get(&self) -> Option<Result<T, ApiError>> {
        self.res.get().map(typed)
    }

    /// The value, untracked.
    pub fn get_untracked(&self) -> Option<Result<T, ApiError>> {
        self.res.get_untracked().map(typed)
    }

    /// Loads again.
    pub fn refetch(&self) {
        self.res.refetch();
    }
}

/// The typed value of an erased one.
fn typed<T: Clone + 'static>(value: Erased) -> Result<T, ApiError> {
    value.and_then(|v| {
        v.downcast_ref::<T>()
            .cloned()
            .ok_or_else(|| ApiError::client("loader value of another type"))
    })
}

/// A loader running `fetch` whenever a signal it reads changes (see [`Loaded`]).
pub fn load<T, Fut>(fetch: impl Fn() -> Fut + 'static) -> Loaded<T>
where
    T: 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let erased: ErasedFetch = Rc::new(move || {
        let fut = fetch();
        Box::pin(async move { fut.await.map(|v| Rc::new(v) as Rc<dyn Any>) })
    });
    Loaded {
        res: erased_resource(erased),
        ty: PhantomData,
    }
}

/// A loader of one operation's answer, asked again whenever a signal `input` reads changes.
/// Unlike `load(|| call::<Op>(…))`, no future is compiled per loader: the request and its
/// decoding are [`call_any`]'s, the same for every operation but the decoder.
pub fn fetch<Op>(input: impl Fn() -> Op::Input + 'static) -> Loaded<Op::Output>
where
    Op: OperationShape + 'static,
    Op::Op: OperationName,
    Op::Output: 'static,
{
    Loaded {
        res: erased_resource(Rc::new(move || call_any::<Op>(&input()))),
        ty: PhantomData,
    }
}

/// The one `LocalResource` instantiation behind every [`Loaded`].
fn erased_resource(fetch: ErasedFetch) -> LocalResource<Erased> {
    LocalResource::new(move || fetch())
}

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
pub fn show<T, V, F>(res: Loaded<T>, f: F) -> AnyView
where
    T: Clone + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    show_erased(
        res.res,
        Arc::new(move |v: &dyn Any| v.downcast_ref::<T>().map(|v| f(v.clone()).into_any())),
    )
}

/// A view of an erased loaded value (`None`: not the type expected).
type ErasedView = Arc<dyn Fn(&dyn Any) -> Option<AnyView> + Send + Sync>;

/// The one reactive view behind every [`show`].
fn show_erased(res: LocalResource<Erased>, f: ErasedView) -> AnyView {
    (move || match res.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Ok(v)) => f(&*v).unwrap_or_else(|| {
            let error = ApiError::client("loader value of another type");
            view! { <ErrorBox error /> }.into_any()
        }),
        Some(Err(e)) => view! { <ErrorBox error=e /> }.into_any(),
    })
    .into_any()
}

/// An erased action function.
type ErasedActFn = Rc<dyn Fn(&Rc<dyn Any>) -> Pin<Box<dyn Future<Output = Rc<dyn Any>>>>>;

/// An action (a button's request): input `I`, result `O`. Like [`Loaded`], every action is the
/// same `Action` type underneath, so Leptos' action machinery is compiled once.
pub struct Act<I, O> {
    act: Action<Rc<dyn Any>, Rc<dyn Any>>,
    ty: PhantomData<fn(I) -> O>,
}

impl<I, O> Clone for Act<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, O> Copy for Act<I, O> {}

impl<I: 'static, O: Clone + 'static> Act<I, O> {
    /// Runs the action with `input`.
    pub fn dispatch(&self, input: I) {
        self.act.dispatch_local(Rc::new(input));
    }

    /// The latest run's result (tracked): `None` before the first one ends.
    pub fn value(&self) -> Option<O> {
        self.act
            .value()
            .get()
            .and_then(|v| v.downcast_ref::<O>().cloned())
    }

    /// Whether a run is going on (tracked).
    pub fn pending(&self) -> bool {
        self.act.pending().get()
    }
}

/// An action running `f` on each dispatched input (see [`Act`]).
pub fn act<I, O, Fut>(f: impl Fn(&I) -> Fut + 'static) -> Act<I, O>
where
    I: 'static,
    O: 'static,
    Fut: Future<Output = O> + 'static,
{
    let erased: ErasedActFn = Rc::new(move |input: &Rc<dyn Any>| {
        let fut = input.downcast_ref::<I>().map(&f);
        Box::pin(async move {
            match fut {
                Some(fut) => Rc::new(fut.await) as Rc<dyn Any>,
                None => Rc::new(()) as Rc<dyn Any>,
            }
        })
    });
    Act {
        act: erased_action(erased),
        ty: PhantomData,
    }
}

/// The one `Action` instantiation behind every [`Act`].
fn erased_action(f: ErasedActFn) -> Action<Rc<dyn Any>, Rc<dyn Any>> {
    Action::new_local(move |input: &Rc<dyn Any>| f(input))
}

/// A memo of `f` (recomputed when a signal it reads changes; readers notified only when the
/// value changes). One `Memo` closure type per value type, not one per use.
pub fn memo<T>(f: impl Fn() -> T + Send + Sync + 'static) -> Memo<T>
where
    T: PartialEq + Send + Sync + 'static,
{
    erased_memo(Arc::new(f))
}

/// The `Memo` instantiation behind every [`memo`] of a `T`.
fn erased_memo<T>(f: Arc<dyn Fn() -> T + Send + Sync>) -> Memo<T>
where
    T: PartialEq + Send + Sync + 'static,
{
    Memo::new(move |_| f())
}

/// Runs `f` now and whenever a signal it reads changes (one `Effect` type for the console).
pub fn effect(f: impl Fn() + 'static) {
    erased_effect(Box::new(f));
}

/// The one `Effect` instantiation behind every [`effect`].
fn erased_effect(f: Box<dyn Fn()>) {
    Effect::new(move |_| f());
}

/// The parameters of the current page's address (`:name` → value), provided by the shell.
#[derive(Debug, Clone, Default)]
pub struct RouteParams(pub Vec<(&'static str, String)>);

/// The address parameter `key` of the current page (empty when absent). A page is
/// re-created when its address changes, so this is read once.
pub fn param(key: &str) -> Signal<String> {
    let value = use_context::<RouteParams>()
        .and_then(|p| p.0.into_iter().find(|(k, _)| *k == key).map(|(_, v)| v))
        .unwrap_or_default();
    Signal::stored(value)
}

/// The CSS class of a status value: ok, bad, busy or neutral.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "SUCCEEDED" | "PUBLISHED" | "ACTIVE" | "CONNECTED" | "DRAFT" | "AVAILABLE" => "ok",
        s if s.contains("FAILED")
            || s.ends_with("ERROR")
            || matches!(s, "REJECTED" | "TAINTED") =>
        {
            "bad"
        }
        s if s.contains("IN_PROGRESS") || matches!(s, "PENDING" | "UNDER_CHANGE" | "CREATED") => {
            "busy"
        }
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
    effect(move || {
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
    let rows = rows
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
                    <td><Status status=d.deployment_status.as_str().to_owned() /></td>
                    <td>{when(d.created_at)}</td>
                    <td>{d.completed_at.map(when).unwrap_or_default()}</td>
                </tr>
            }
            .into_any()
        })
        .collect();
    table(
        &["Deployment", "Target", "Status", "Started", "Completed"],
        "No deployments.",
        rows,
    )
}

/// The console URL and name of what a deployment deploys.
fn deployment_target(d: &DeploymentSummary) -> (String, String) {
    if let Some(c) = &d.component_name {
        return (format!("/components/{c}"), c.clone());
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
    let tags = fetch::<ops::ListTagsForResource>(move || ListTagsForResourceInput {
        resource_arn: arn.clone(),
        ..Default::default()
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

/// A list as a table with `headers`, or the empty state `empty` when there is no row. Rows
/// are built by the caller (so this is one function, not one copy per row type).
pub fn table(headers: &'static [&'static str], empty: &'static str, rows: Vec<AnyView>) -> AnyView {
    if rows.is_empty() {
        return view! { <Empty text=empty /> }.into_any();
    }
    view! {
        <table>
            <thead>
                <tr>{headers.iter().map(|h| view! { <th>{*h}</th> }).collect_view()}</tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// A list page's body: the loader's rows (`rows` turns a loaded page into table rows) as a
/// [`table`], with the loading, error and empty states.
pub fn list<T, F>(
    res: Loaded<T>,
    headers: &'static [&'static str],
    empty: &'static str,
    rows: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> Vec<AnyView> + Send + Sync + 'static,
{
    show(res, move |v| table(headers, empty, rows(v)))
}

/// A labelled one-line text input bound to `value`, with the request problem `error` under it.
#[component]
pub fn TextField(
    /// The label.
    label: &'static str,
    /// The input's `name`.
    name: &'static str,
    /// The value edited.
    value: RwSignal<String>,
    /// The problem to show, if any.
    #[prop(into, optional)]
    error: Option<Signal<Option<String>>>,
    /// Placeholder text.
    #[prop(optional)]
    placeholder: &'static str,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input name=name placeholder=placeholder prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
            <span class="field-error">{move || error.and_then(|e| e.get())}</span>
        </label>
    }
}

/// A two-column table of a resource's outputs.
pub fn outputs_table(outputs: Vec<Output>) -> AnyView {
    if outputs.is_empty() {
        return view! { <Empty text="No outputs." /> }.into_any();
    }
    view! {
        <table class="narrow">
            <tbody>
                {outputs.into_iter().map(|o| view! {
                    <tr><td class="mono">{o.key.unwrap_or_default()}</td><td>{o.value_string.unwrap_or_default()}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The create action of a create page: calls `Op` with the request, then opens `<base>/<name>`.
pub fn create_then_open<Op>(base: &'static str) -> Act<Op::Input, Result<String, ApiError>>
where
    Op: OperationShape<Op = Operation> + 'static,
    Op::Input: Clone + HasName + 'static,
{
    let navigate = use_navigate();
    let create = act(move |input: &Op::Input| {
        let input = input.clone();
        async move {
            let name = input.name().to_owned();
            call::<Op>(input).await.map(|_| name)
        }
    });
    effect(move || {
        if let Some(Ok(n)) = create.value() {
            navigate(&format!("{base}/{n}"), NavigateOptions::default());
        }
    });
    create
}

/// A create request's resource name.
pub trait HasName {
    /// The name of the resource created.
    fn name(&self) -> &str;
}

impl HasName for baryon_model::proton::CreateEnvironmentInput {
    fn name(&self) -> &str {
        &self.name
    }
}

impl HasName for baryon_model::proton::CreateServiceInput {
    fn name(&self) -> &str {
        &self.name
    }
}
