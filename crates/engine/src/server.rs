//! The HTTP front: `POST /` (awsJson 1.0 for Proton, 1.1 for Service Catalog, SigV4-verified),
//! `POST /service/AWS242ServiceCatalogService/operation/<Op>` (Smithy RPC v2 CBOR) and
//! `GET /health`.
//!
//! One request, one hop per layer: body (size-limited) → SigV4 → `X-Amz-Target` and content
//! type → JSON → model validation → handler → JSON response. Every response carries
//! `x-amzn-RequestId`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::cbor;
use crate::context::Cx;
use crate::credentials::Credentials;
use crate::error::ApiError;
use crate::handlers;
use crate::protocol;
use crate::servicecatalog;
use crate::sigv4::{self, SigningRequest, VerifyConfig};

/// Shared state of the HTTP front.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Handler context.
    pub cx: Cx,
    /// The key pairs requests may be signed with, each with the account it acts for.
    pub credentials: Arc<Vec<(String, Credentials)>>,
}

/// The router: `POST /` for the awsJson APIs (Proton 1.0, Service Catalog 1.1),
/// `POST /service/AWS242ServiceCatalogService/operation/<Op>` for Service Catalog over Smithy
/// RPC v2 CBOR, `GET /health`, `POST /sync` (sync webhook).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", post(aws_json))
        .route(
            "/service/{service}/operation/{operation}",
            post(rpc_v2_cbor),
        )
        .route("/health", get(health))
        .route("/sync", post(trigger_sync))
        .with_state(state)
}

async fn health() -> impl IntoResponse {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        "{\"status\":\"ok\"}",
    )
}

/// `POST /sync`: starts a template and service sync pass now — the webhook a git server calls
/// on push. It takes no input and changes nothing itself (passes are spaced at least 0.5 s
/// apart), so it needs no signature.
async fn trigger_sync(State(state): State<AppState>) -> impl IntoResponse {
    state.cx.sync_wake.notify_one();
    (
        StatusCode::ACCEPTED,
        [("content-type", "application/json")],
        "{\"status\":\"sync started\"}",
    )
}

fn status_of(e: &ApiError) -> StatusCode {
    StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn log_failure(request_id: &str, target: &str, e: &ApiError) {
    let status = e.http_status();
    if status >= 500 {
        tracing::warn!(%request_id, %target, status, error = e.aws_type(), message = %e, "request failed");
    } else {
        tracing::debug!(%request_id, %target, status, error = e.aws_type(), message = %e, "request refused");
    }
}

fn response(
    status: StatusCode,
    body: Vec<u8>,
    content_type: &'static str,
    request_id: &str,
) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    response
}

async fn aws_json(State(state): State<AppState>, request: Request) -> Response {
    let request_id = state.cx.ids.uuid();
    let (parts, body) = request.into_parts();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let content_type = if protocol::is_service_catalog(&parts.headers) {
        protocol::CONTENT_TYPE_1_1
    } else {
        protocol::CONTENT_TYPE
    };
    let (status, body) = match handle_json(&state, &parts, body).await {
        Ok(value) => {
            tracing::debug!(%request_id, %target, status = 200, "request");
            (StatusCode::OK, value.to_string())
        }
        Err(e) => {
            log_failure(&request_id, &target, &e);
            (status_of(&e), e.body().to_string())
        }
    };
    response(status, body.into_bytes(), content_type, &request_id)
}

async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, protocol::MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::RequestEntityTooLarge(format!(
                "Request body exceeds the limit of {} bytes",
                protocol::MAX_BODY_BYTES
            ))
        })
}

/// Verifies the signature for `service` and returns the context of the signer's account.
fn verify(
    state: &AppState,
    parts: &axum::http::request::Parts,
    bytes: &[u8],
    service: &str,
) -> Result<Cx, ApiError> {
    let signing = SigningRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: bytes,
    };
    let config = VerifyConfig {
        service: service.to_owned(),
        max_skew: Duration::from_mins(15),
    };
    let key = |id: &str| {
        state
            .credentials
            .iter()
            .find(|(_, c)| c.access_key_id == id)
    };
    let verified = sigv4::verify(&signing, SystemTime::now(), &config, |id| {
        key(id).map(|(_, c)| c.secret_access_key.clone())
    })?;
    Ok(match key(&verified.access_key_id) {
        Some((account, _)) => state.cx.for_account(account),
        None => state.cx.clone(),
    })
}

async fn handle_json(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
) -> Result<serde_json::Value, ApiError> {
    let bytes = read_body(body).await?;
    let cx = verify(state, parts, &bytes, protocol::signing_name(&parts.headers))?;
    let op = protocol::api_operation(&parts.headers)?;
    let value = protocol::body(&bytes)?;
    match op {
        protocol::Api::Proton(op) => handlers::dispatch(&cx, op, value).await,
        protocol::Api::ServiceCatalog(op) => servicecatalog::dispatch(&cx, op, value).await,
        protocol::Api::Baryon(op) => crate::extensions::dispatch(&cx, op, value).await,
    }
}

/// Smithy RPC v2 CBOR: Service Catalog's operations, answered in CBOR with the
/// `smithy-protocol` header; errors as a CBOR map of `__type` and `message`.
async fn rpc_v2_cbor(
    State(state): State<AppState>,
    Path((service, operation)): Path<(String, String)>,
    request: Request,
) -> Response {
    let request_id = state.cx.ids.uuid();
    let (parts, body) = request.into_parts();
    let target = format!("{service}.{operation}");
    let result = handle_cbor(&state, &parts, body, &service, &operation).await;
    let (status, body) = match result {
        Ok(bytes) => {
            tracing::debug!(%request_id, %target, status = 200, "request");
            (StatusCode::OK, bytes)
        }
        Err(e) => {
            log_failure(&request_id, &target, &e);
            (status_of(&e), cbor::encode_error(CATALOG_NAMESPACE, &e))
        }
    };
    let mut response = response(status, body, cbor::CONTENT_TYPE, &request_id);
    response
        .headers_mut()
        .insert("smithy-protocol", HeaderValue::from_static(cbor::PROTOCOL));
    response
}

/// The Smithy namespace of Service Catalog's shapes, which `__type` names errors in.
const CATALOG_NAMESPACE: &str = "com.amazonaws.servicecatalog";

async fn handle_cbor(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
    service: &str,
    operation: &str,
) -> Result<Vec<u8>, ApiError> {
    let bytes = read_body(body).await?;
    let cx = verify(
        state,
        parts,
        &bytes,
        baryon_model::servicecatalog::SIGNING_NAME,
    )?;
    if service != baryon_model::servicecatalog::TARGET_PREFIX {
        return Err(ApiError::UnknownOperation(format!(
            "Unknown service {service}; this endpoint serves {} over rpc-v2-cbor",
            baryon_model::servicecatalog::TARGET_PREFIX
        )));
    }
    let protocol_header = parts
        .headers
        .get("smithy-protocol")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if protocol_header != cbor::PROTOCOL {
        return Err(ApiError::Serialization(format!(
            "The smithy-protocol header must be {}, got '{protocol_header}'",
            cbor::PROTOCOL
        )));
    }
    if !bytes.is_empty() {
        let content_type = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case(cbor::CONTENT_TYPE)
        {
            return Err(ApiError::UnsupportedMediaType(format!(
                "Content-Type must be {}, got '{content_type}'",
                cbor::CONTENT_TYPE
            )));
        }
    }
    let op = baryon_model::servicecatalog::Operation::from_name(operation).ok_or_else(|| {
        ApiError::UnknownOperation(format!("Unknown operation {service}.{operation}"))
    })?;
    let value = cbor::decode(&bytes)?;
    let out = servicecatalog::dispatch(&cx, op, value).await?;
    let model = &baryon_model::servicecatalog::SERVICE;
    let shape = model.operation(operation).and_then(|o| o.output);
    Ok(cbor::encode(model, shape, &out))
}
