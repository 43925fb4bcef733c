//! The rendered-IaC preview: the CloudFormation or Terraform a create or update would apply,
//! rendered in the browser before it is requested, with a line diff against what the resource
//! is deployed with now.
//!
//! Baryon's `GetRenderInputs` (`POST /api/baryon/GetRenderInputs`) gives the bundle, schema
//! and namespaces exactly as a deployment loads them; the rendering runs in the preview worker
//! (`web/preview`, `baryon-preview_loader.js`), a separate wasm module started for each render
//! and terminated after it, so the console's own module carries no template engine. The
//! answer is read as JSON (`baryon_model::render::preview::Preview`).

use std::cell::RefCell;
use std::rc::Rc;

use baryon_model::extensions::GetRenderInputsInput;
use leptos::prelude::*;
use serde_json::Value;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::{Closure, JsValue};

use crate::api::{ApiError, baryon};
use crate::ui::{load, show};

/// The worker's entry script (Trunk's loader shim for `data-type="worker"`).
const WORKER: &str = "/baryon-preview_loader.js";

/// A worker that is terminated when dropped (a render superseded by a newer one stops).
struct Running(web_sys::Worker);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.terminate();
    }
}

fn js_error(e: &JsValue) -> ApiError {
    ApiError::client(
        e.as_string()
            .or_else(|| js_sys::JSON::stringify(e).ok().and_then(|s| s.as_string()))
            .unwrap_or_else(|| "the preview worker failed".to_owned()),
    )
}

/// What the worker posts once it listens (`baryon_preview::READY`).
const READY: &str = "ready";

/// Starts a preview worker, posts it one request once it is ready and waits for its answer.
async fn render(request: String) -> Result<Value, ApiError> {
    let worker = Running(web_sys::Worker::new(WORKER).map_err(|e| js_error(&e))?);
    // The handlers live until the answer (or until this future is dropped).
    let mut handlers = None;
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let (w, request) = (worker.0.clone(), JsValue::from_str(&request));
        let refuse = reject.clone();
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if e.data().as_string().as_deref() == Some(READY) {
                    if let Err(e) = w.post_message(&request) {
                        let _ = refuse.call1(&JsValue::NULL, &e);
                    }
                } else {
                    let _ = resolve.call1(&JsValue::NULL, &e.data());
                }
            });
        let on_error =
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                let _ = reject.call1(
                    &JsValue::NULL,
                    &JsValue::from_str(&format!("the preview worker failed: {}", e.message())),
                );
            });
        worker
            .0
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker
            .0
            .set_onerror(Some(on_error.as_ref().unchecked_ref()));
        handlers = Some((on_message, on_error));
    });
    let answer = wasm_bindgen_futures::JsFuture::from(promise).await;
    drop(handlers);
    let answer = answer.map_err(|e| js_error(&e))?;
    let answer: Value = serde_json::from_str(&answer.as_string().unwrap_or_default())
        .map_err(|e| ApiError::client(format!("the preview worker answered badly: {e}")))?;
    match answer["error"].as_str() {
        Some(message) => Err(ApiError {
            kind: "RenderError".into(),
            message: message.to_owned(),
        }),
        None => Ok(answer["preview"].clone()),
    }
}

/// A "Preview rendered IaC" button and, once pressed, the preview of `input` rendered with
/// `spec`, kept up to date as either changes (the engine is asked again only when `input`
/// changes). `input` is `None` while the form cannot say what to render yet.
#[component]
pub fn RenderPreview(
    /// What to render (`GetRenderInputs`' input).
    #[prop(into)]
    input: Signal<Option<GetRenderInputsInput>>,
    /// The spec being created or updated.
    #[prop(into)]
    spec: Signal<String>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    // The last GetRenderInputs answer, by its request.
    let cache: Rc<RefCell<Option<(String, String)>>> = Rc::default();
    let preview = load(move || {
        let request = open
            .get()
            .then(|| input.get())
            .flatten()
            .map(|i| (serde_json::to_string(&i).unwrap_or_default(), spec.get()));
        let cache = cache.clone();
        async move {
            let Some((key, spec)) = request else {
                return Ok(None);
            };
            let known = cache
                .borrow()
                .as_ref()
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v.clone());
            let inputs = if let Some(v) = known {
                v
            } else {
                let v = baryon("GetRenderInputs", key.clone()).await?;
                *cache.borrow_mut() = Some((key, v.clone()));
                v
            };
            let spec = serde_json::to_string(&spec).unwrap_or_default();
            render(format!("{{\"inputs\":{inputs},\"spec\":{spec}}}"))
                .await
                .map(Some)
        }
    });
    view! {
        <section class="preview">
            <div class="actions">
                <button type="button" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>
                    {move || if open.get() { "Hide rendered IaC" } else { "Preview rendered IaC" }}
                </button>
                <span class="muted">"What this deployment would apply, rendered in the browser, compared with what is deployed now."</span>
            </div>
            {move || open.get().then(|| show(preview, |p: Option<Value>| match p {
                None => view! { <p class="muted">"Choose a template version and a name to preview."</p> }.into_any(),
                Some(p) => files_view(&p).into_any(),
            }))}
        </section>
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The rendered files: a summary of changes, then each file (its diff, or its contents).
fn files_view(p: &Value) -> impl IntoView + use<> {
    let files = p["files"].as_array().cloned().unwrap_or_default();
    let count = |c: &str| files.iter().filter(|f| f["change"] == c).count();
    let summary = format!(
        "{} file(s): {} added, {} modified, {} unchanged, {} removed",
        files.len(),
        count("added"),
        count("modified"),
        count("unchanged"),
        count("removed")
    );
    let current_error = p["currentError"].as_str().map(|e| {
        view! { <p class="muted">"The current deployment could not be rendered (every file shows as added): " {e.to_owned()}</p> }
    });
    view! {
        <div class="preview-files">
            <p class="preview-summary">{summary}</p>
            {current_error}
            {files.iter().map(file_view).collect_view()}
        </div>
    }
}

fn file_view(f: &Value) -> impl IntoView + use<> {
    let change = text(&f["change"]);
    let body = if change == "modified" {
        let hunks = f["hunks"].as_array().cloned().unwrap_or_default();
        view! {
            <pre class="diff">
                {hunks.iter().map(|h| {
                    let n = |k: &str| h[k].as_u64().unwrap_or_default();
                    let head = format!("@@ -{},{} +{},{} @@\n", n("oldStart"), n("oldLines"), n("newStart"), n("newLines"));
                    let lines = h["lines"].as_array().cloned().unwrap_or_default();
                    view! {
                        <span class="hunk">{head}</span>
                        {lines.iter().map(|l| {
                            let (class, mark) = match l["kind"].as_str() {
                                Some("added") => ("add", "+"),
                                Some("removed") => ("del", "-"),
                                _ => ("ctx", " "),
                            };
                            view! { <span class=class>{format!("{mark}{}\n", text(&l["text"]))}</span> }
                        }).collect_view()}
                    }
                }).collect_view()}
            </pre>
        }
        .into_any()
    } else {
        view! { <pre class="rendered">{text(&f["contents"])}</pre> }.into_any()
    };
    let open = change != "unchanged";
    let badge = change.clone();
    view! {
        <details class="preview-file" open=open data-change=change>
            <summary><code>{text(&f["path"])}</code> " " <span class="badge">{badge}</span></summary>
            {body}
        </details>
    }
}
