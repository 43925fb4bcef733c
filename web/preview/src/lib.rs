//! `baryon-preview`: the console's rendered-IaC preview, in a Web Worker of its own.
//!
//! Rendering needs the model's `render` feature (minijinja and the Terraform files) — about
//! as much wasm as the rest of the console — so it is not in the console's module: the
//! console starts this worker only when a preview is opened, posts it one request and
//! terminates it after the answer. A render that runs long never blocks the page.
//!
//! The worker first posts [`READY`] (a message posted to it before its wasm has started would
//! be lost); then the protocol is one JSON string each way:
//! - request: `{"inputs": {"proposed": RenderInputs, "current": RenderInputs?}, "spec": "…"}`
//!   (the engine's `GetRenderInputs` answer and the spec being edited);
//! - answer: `{"preview": Preview}` or `{"error": "…"}` (`baryon_model::render::preview`).

use baryon_model::render::preview::{PreviewRequest, RenderInputs, preview};
use serde_json::{Value, json};

/// What the worker posts once it listens.
pub const READY: &str = "ready";

/// Answers one request (see the crate docs for both shapes). Never panics on its input.
pub fn answer(request: &str) -> String {
    match run(request) {
        Ok(preview) => json!({ "preview": preview }),
        Err(error) => json!({ "error": error }),
    }
    .to_string()
}

fn run(request: &str) -> Result<Value, String> {
    let mut message: Value = serde_json::from_str(request)
        .map_err(|e| format!("the preview request is not JSON: {e}"))?;
    let side = |v: Value| -> Result<RenderInputs, String> {
        serde_json::from_value(v).map_err(|e| format!("the render inputs do not read: {e}"))
    };
    let inputs = message["inputs"].take();
    let request = PreviewRequest {
        proposed: side(inputs["proposed"].clone())?,
        spec: message["spec"].as_str().unwrap_or_default().to_owned(),
        current: match &inputs["current"] {
            Value::Null => None,
            current => Some(side(current.clone())?),
        },
    };
    let out = preview(&request)?;
    serde_json::to_value(out).map_err(|e| e.to_string())
}
