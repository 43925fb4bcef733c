//! The typed client of the signing proxy: one generic [`call`] over the generated operation
//! types (`POST /api/proton/<Operation>`), bundle uploads, and [`ApiError`].

use baryon_model::json::{DecodeError, FromJson, ToJson};
use baryon_model::proton::TemplateVersionSourceInput;
use baryon_model::shape::{OperationName, OperationShape};
use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use gloo_net::http::{Request, Response};
use serde::Deserialize;

/// The console's one error type: an AWS error as the engine (or the proxy) answered it, or a
/// failure before an answer arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ApiError {
    /// The AWS error type (`__type`, without any `namespace#` prefix), or `NetworkError` /
    /// `ClientError` for failures in the browser.
    pub kind: String,
    /// The human-readable message.
    pub message: String,
}

impl ApiError {
    fn network(e: &gloo_net::Error) -> Self {
        Self {
            kind: "NetworkError".into(),
            message: e.to_string(),
        }
    }

    pub(crate) fn client(message: impl Into<String>) -> Self {
        Self {
            kind: "ClientError".into(),
            message: message.into(),
        }
    }

    /// The error a non-2xx answer carries: AWS's `{"__type", "message"}` (also `Message`), or
    /// the status and body when the answer is not one.
    fn from_answer(status: u16, body: &str) -> Self {
        #[derive(Deserialize)]
        struct Wire {
            #[serde(rename = "__type")]
            kind: Option<String>,
            #[serde(alias = "Message")]
            message: Option<String>,
        }
        let wire: Option<Wire> = serde_json::from_str(body).ok();
        let kind = wire.as_ref().and_then(|w| w.kind.as_deref()).map_or_else(
            || format!("HTTP {status}"),
            |k| k.rsplit('#').next().unwrap_or(k).to_owned(),
        );
        let message = wire
            .and_then(|w| w.message)
            .unwrap_or_else(|| body.chars().take(300).collect());
        Self { kind, message }
    }

    /// Whether the resource asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        self.kind == "ResourceNotFoundException"
    }
}

/// The body of a 2xx answer, or the error a non-2xx one carries. Not generic, so the
/// request and response handling is compiled once, not once per operation.
async fn answer(response: Result<Response, gloo_net::Error>) -> Result<String, ApiError> {
    let response = response.map_err(|e| ApiError::network(&e))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| ApiError::network(&e))?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(ApiError::from_answer(status, &body))
    }
}

/// The generated type of an answer, through [`FromJson`] (one untyped parse, then small
/// steps per member: far less wasm than serde's visitors; see `baryon_model::json`). Never
/// inlined: one copy per output type, not one per call site.
#[inline(never)]
fn decode<T: FromJson>(body: &str) -> Result<T, ApiError> {
    baryon_model::json::parse(body)
        .and_then(T::from_json)
        .map_err(|e| unexpected(&e))
}

/// The error for an answer that is not what the operation returns.
#[inline(never)]
fn unexpected(e: &DecodeError) -> ApiError {
    ApiError::client(format!("unexpected answer from the server: {e}"))
}

/// A request's JSON body, through the generated [`ToJson`] (one copy per input type, not one
/// per call site; serialized by `Value`'s one `Serialize`).
#[inline(never)]
fn encode<T: ToJson>(input: &T) -> Result<String, ApiError> {
    serde_json::to_string(&input.to_json()).map_err(|e| ApiError::client(e.to_string()))
}

/// An answer on its way.
type Answer = Pin<Box<dyn Future<Output = Result<String, ApiError>>>>;

/// `POST /api/<service>/<operation>` with a JSON body; the answer's body. `service` is the
/// signing name (`proton`, `servicecatalog`), which is also the proxy's path segment. Boxed,
/// so a caller's future holds a pointer rather than this state machine.
fn post(service: &'static str, operation: &'static str, body: Result<String, ApiError>) -> Answer {
    Box::pin(async move {
        let request = Request::post(&format!("/api/{service}/{operation}"))
            .header("x-baryon-csrf", "1")
            .header("content-type", "application/json")
            .body(body?)
            .map_err(|e| ApiError::client(e.to_string()))?;
        answer(request.send().await).await
    })
}

/// Calls one operation (Proton or Service Catalog) through the proxy with its generated input
/// type and decodes its generated output type. Only the encoding and decoding are generic.
#[allow(clippy::needless_pass_by_value)] // callers hand their request over
pub fn call<Op>(input: Op::Input) -> impl Future<Output = Result<Op::Output, ApiError>>
where
    Op: OperationShape,
    Op::Op: OperationName,
{
    let answer = send::<Op>(&input);
    async move { decode(&answer.await?) }
}

/// The request of operation `Op` with `input`, on its way.
fn send<Op>(input: &Op::Input) -> Answer
where
    Op: OperationShape,
    Op::Op: OperationName,
{
    post(
        Op::SERVICE.signing_name,
        Op::OPERATION.operation_name(),
        encode(input),
    )
}

/// A decoded answer behind `Rc<dyn Any>` (what [`crate::ui::fetch`] loads).
pub type AnyAnswer = Pin<Box<dyn Future<Output = Result<Rc<dyn Any>, ApiError>>>>;

/// Decodes an answer as a `T` and erases it.
fn decode_any<T: FromJson + 'static>(body: &str) -> Result<Rc<dyn Any>, ApiError> {
    decode::<T>(body).map(|v| Rc::new(v) as Rc<dyn Any>)
}

/// [`call`] with its answer erased: the request future is the same non-generic one for every
/// operation, and only the decoder (a function pointer) differs.
pub fn call_any<Op>(input: &Op::Input) -> AnyAnswer
where
    Op: OperationShape,
    Op::Op: OperationName,
    Op::Output: 'static,
{
    post_then(send::<Op>(input), decode_any::<Op::Output>)
}

/// The answer, decoded by `decode`.
fn post_then(answer: Answer, decode: fn(&str) -> Result<Rc<dyn Any>, ApiError>) -> AnyAnswer {
    Box::pin(async move { decode(&answer.await?) })
}

/// Calls one of Baryon's own operations (`POST /api/baryon/<Operation>`, see
/// `baryon_model::extensions`) with a JSON body; the answer's JSON text.
pub async fn baryon(operation: &'static str, body: String) -> Result<String, ApiError> {
    post("baryon", operation, Ok(body)).await
}

/// Uploads a file to the engine's artifact store (`PUT /api/bundles/<bucket>/<key>`) and
/// returns the `source` that CreateXTemplateVersion takes (`s3://<bucket>/<key>` is the same
/// object's URL, which Service Catalog's `LoadTemplateFromURL` takes).
pub async fn upload_bundle(
    bucket: &str,
    key: &str,
    file: web_sys::File,
) -> Result<TemplateVersionSourceInput, ApiError> {
    let url = format!("/api/bundles/{bucket}/{key}");
    let response = Request::put(&url)
        .header("x-baryon-csrf", "1")
        .header("content-type", "application/octet-stream")
        .body(wasm_bindgen::JsValue::from(file))
        .map_err(|e| ApiError::client(e.to_string()))?;
    decode(&answer(response.send().await).await?)
}
