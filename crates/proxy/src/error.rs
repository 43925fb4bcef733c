//! `ProxyError`: the one error type of the proxy. Configuration errors are returned by
//! [`crate::Proxy::new`] and the credential loaders; request errors become a JSON response
//! `{"__type", "message"}` with the status [`ProxyError::status`] gives, like an AWS error, so
//! the console handles the proxy's refusals and the upstream's errors the same way.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Everything the proxy can refuse or fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    /// Configuration: the upstream URL is unusable.
    #[error("invalid upstream URL '{url}': {reason}")]
    InvalidUpstream {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Configuration: anything else (region, remote binding without a token, …).
    #[error("invalid proxy configuration: {0}")]
    Config(String),
    /// Credentials could not be found or read. The message never contains a secret.
    #[error("{0}")]
    Credentials(String),
    /// 401: remote binding is on and the request carries no valid login token.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the CSRF header is missing or the request is cross-origin.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the operation is not one the proxy forwards.
    #[error("{0}")]
    UnknownOperation(String),
    /// 400: a bundle's bucket or key is invalid.
    #[error("{0}")]
    Validation(String),
    /// 413: the request body is over the limit.
    #[error("{0}")]
    TooLarge(String),
    /// 501: the proxy cannot do this with its configuration (e.g. uploads without a local
    /// artifact store).
    #[error("{0}")]
    NotImplemented(String),
    /// 502: the upstream could not be reached or broke the connection.
    #[error("{0}")]
    BadGateway(String),
    /// 504: the upstream did not answer in time.
    #[error("{0}")]
    GatewayTimeout(String),
    /// 500: a failure on the proxy's side.
    #[error("{0}")]
    Internal(String),
}

impl ProxyError {
    /// The HTTP status of a request error (configuration errors are 500: they never reach a
    /// client).
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::UnknownOperation(_) => StatusCode::NOT_FOUND,
            Self::Validation(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::InvalidUpstream { .. }
            | Self::Config(_)
            | Self::Credentials(_)
            | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `__type` of the JSON error body.
    pub fn aws_type(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "UnauthorizedException",
            Self::Forbidden(_) => "ForbiddenException",
            Self::UnknownOperation(_) => "UnknownOperationException",
            Self::Validation(_) => "ValidationException",
            Self::TooLarge(_) => "RequestEntityTooLargeException",
            Self::NotImplemented(_) => "NotImplementedException",
            Self::BadGateway(_) => "BadGatewayException",
            Self::GatewayTimeout(_) => "GatewayTimeoutException",
            Self::InvalidUpstream { .. }
            | Self::Config(_)
            | Self::Credentials(_)
            | Self::Internal(_) => "InternalServerException",
        }
    }

    /// The JSON error body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "__type": self.aws_type(), "message": self.to_string() })
    }
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), self.body().to_string()).into_response();
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status() == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"baryon\""),
            );
        }
        response
    }
}

impl From<baryon_engine::artifacts::ArtifactError> for ProxyError {
    fn from(e: baryon_engine::artifacts::ArtifactError) -> Self {
        use baryon_engine::artifacts::ArtifactError;
        match e {
            ArtifactError::InvalidBucket(_) | ArtifactError::InvalidKey(_) => {
                Self::Validation(e.to_string())
            }
            ArtifactError::NotFound { .. }
            | ArtifactError::Io { .. }
            | ArtifactError::Write { .. } => Self::Internal(e.to_string()),
        }
    }
}
