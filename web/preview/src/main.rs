//! The worker's entry point: answers each message with [`baryon_preview::answer`].

#[cfg(target_arch = "wasm32")]
fn main() {
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen::prelude::{Closure, JsValue};

    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply = scope.clone();
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let answer = baryon_preview::answer(&e.data().as_string().unwrap_or_default());
            // Posting a string cannot fail (it is always cloneable).
            let _ = reply.post_message(&JsValue::from_str(&answer));
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    // Messages posted before the handler was set are lost: the page waits for this one.
    let _ = scope.post_message(&JsValue::from_str(baryon_preview::READY));
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("baryon-preview runs in a browser Web Worker (wasm32 only)");
}
