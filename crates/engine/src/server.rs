//! The HTTP front: `POST /` (awsJson 1.0, SigV4-verified) and `GET /health`.
//!
//! One request, one hop per layer: body (size-limited) → SigV4 → `X-Amz-Target` and content
//! type → JSON → model validation → handler → JSON response. Every response carries
//! `x-amzn-RequestId`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::context::Cx;
use crate::credentials::Credentials;
use crate::error::ApiError;
use crate::handlers;
use crate::protocol;
use crate::sigv4::{self, SigningRequest, VerifyConfig};

/// Shared state of the HTTP front.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Handler context.
    pub cx: Cx,
    /// The key pairs requests may be signed with, each with the account it acts for.
    pub credentials: Arc<Vec<(String, Credentials)>>,
}

/// The router: `POST /` for the Proton API, `GET /health`, `POST /sync` (sync webhook).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", post(proton))
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

async fn proton(State(state): State<AppState>, request: Request) -> Response {
    let request_id = state.cx.ids.uuid();
    let (parts, body) = request.into_parts();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let result = handle(&state, &parts, body).await;
    let (status, body) = match result {
        Ok(value) => {
            tracing::debug!(%request_id, %target, status = 200, "request");
            (StatusCode::OK, value.to_string())
        }
        Err(e) => {
            let status = e.http_status();
            if status >= 500 {
                tracing::warn!(%request_id, %target, status, error = e.aws_type(), message = %e, "request failed");
            } else {
                tracing::debug!(%request_id, %target, status, error = e.aws_type(), message = %e, "request refused");
            }
            (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                e.body().to_string(),
            )
        }
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static(protocol::CONTENT_TYPE),
    );
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert("x-amzn-requestid", v);
    }
    response
}

async fn handle(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
) -> Result<serde_json::Value, ApiError> {
    let bytes: Bytes = axum::body::to_bytes(body, protocol::MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::RequestEntityTooLarge(format!(
                "Request body exceeds the limit of {} bytes",
                protocol::MAX_BODY_BYTES
            ))
        })?;
    let signing = SigningRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &bytes,
    };
    let config = VerifyConfig {
        service: "proton".to_owned(),
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
    let op = protocol::operation(&parts.headers)?;
    let value = protocol::body(&bytes)?;
    let cx = match key(&verified.access_key_id) {
        Some((account, _)) => state.cx.for_account(account),
        None => state.cx.clone(),
    };
    handlers::dispatch(&cx, op, value).await
}
