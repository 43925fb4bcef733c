//! `ApiError`: the one error type handlers return. It alone decides the AWS `__type`, the HTTP
//! status and the message a client sees.

use baryon_model::validate::ValidationErrors;

use crate::sigv4::SigV4Error;

/// Every error the Proton endpoint answers with. Variants are the model's error shapes plus the
/// protocol-level errors AWS front ends produce.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: input violates the model's constraints or a documented rule.
    #[error("{0}")]
    Validation(String),
    /// 409: the request conflicts with the resource's current state.
    #[error("{0}")]
    Conflict(String),
    /// 404: the named resource does not exist.
    #[error("{0}")]
    ResourceNotFound(String),
    /// 403: not allowed.
    #[error("{0}")]
    AccessDenied(String),
    /// 402: a quota is exhausted.
    #[error("{0}")]
    ServiceQuotaExceeded(String),
    /// 429: too many requests.
    #[error("{0}")]
    Throttling(String),
    /// 500: a failure on our side; the message never leaks internals.
    #[error("{0}")]
    InternalServer(String),
    /// 400: the body is not the JSON the operation expects.
    #[error("{0}")]
    Serialization(String),
    /// 400: `X-Amz-Target` names no operation of the service.
    #[error("{0}")]
    UnknownOperation(String),
    /// 413: the body is larger than the endpoint accepts.
    #[error("{0}")]
    RequestEntityTooLarge(String),
    /// 415 (as a 400 body): wrong content type.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 501: the operation exists in the API but this engine does not serve it yet.
    #[error("{0}")]
    NotImplemented(String),
    /// SigV4 verification failed.
    #[error("{0}")]
    Signature(SigV4Error),
    /// Service Catalog, 400: a parameter is invalid (its model's name for invalid input).
    #[error("{0}")]
    InvalidParameters(String),
    /// Service Catalog, 400: the resource does not exist (Service Catalog answers 400, not
    /// Proton's 404).
    #[error("{0}")]
    CatalogResourceNotFound(String),
    /// Service Catalog, 400: a resource with this name or token already exists.
    #[error("{0}")]
    DuplicateResource(String),
    /// Service Catalog, 400: the resource is in use (associated, provisioned).
    #[error("{0}")]
    ResourceInUse(String),
    /// Service Catalog, 400: the resource's state does not allow the operation.
    #[error("{0}")]
    InvalidState(String),
}

impl ApiError {
    /// The AWS error type written to `__type`.
    pub fn aws_type(&self) -> &'static str {
        match self {
            Self::Validation(_) => "ValidationException",
            Self::Conflict(_) => "ConflictException",
            Self::ResourceNotFound(_) | Self::CatalogResourceNotFound(_) => {
                "ResourceNotFoundException"
            }
            Self::AccessDenied(_) => "AccessDeniedException",
            Self::ServiceQuotaExceeded(_) => "ServiceQuotaExceededException",
            Self::Throttling(_) => "ThrottlingException",
            Self::InternalServer(_) => "InternalServerException",
            Self::Serialization(_) => "SerializationException",
            Self::UnknownOperation(_) => "UnknownOperationException",
            Self::RequestEntityTooLarge(_) => "RequestEntityTooLargeException",
            Self::UnsupportedMediaType(_) => "UnsupportedMediaTypeException",
            Self::NotImplemented(_) => "NotImplementedException",
            Self::Signature(e) => e.aws_type(),
            Self::InvalidParameters(_) => "InvalidParametersException",
            Self::DuplicateResource(_) => "DuplicateResourceException",
            Self::ResourceInUse(_) => "ResourceInUseException",
            Self::InvalidState(_) => "InvalidStateException",
        }
    }

    /// The HTTP status AWS uses for this error.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Validation(_)
            | Self::Serialization(_)
            | Self::UnknownOperation(_)
            | Self::UnsupportedMediaType(_)
            | Self::InvalidParameters(_)
            | Self::CatalogResourceNotFound(_)
            | Self::DuplicateResource(_)
            | Self::ResourceInUse(_)
            | Self::InvalidState(_) => 400,
            Self::ServiceQuotaExceeded(_) => 402,
            Self::AccessDenied(_) => 403,
            Self::ResourceNotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::RequestEntityTooLarge(_) => 413,
            Self::Throttling(_) => 429,
            Self::InternalServer(_) => 500,
            Self::NotImplemented(_) => 501,
            Self::Signature(e) => e.http_status(),
        }
    }

    /// The JSON body: `{"__type": ..., "message": ...}`.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "__type": self.aws_type(), "message": self.to_string() })
    }

    /// `<what> <name> not found`-style message, as Proton words it.
    pub fn not_found(what: &str, name: &str) -> Self {
        Self::ResourceNotFound(format!("The {what} {name} was not found."))
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        if e.is_serialization() {
            Self::Serialization(e.to_string())
        } else {
            Self::Validation(e.to_string())
        }
    }
}

impl From<SigV4Error> for ApiError {
    fn from(e: SigV4Error) -> Self {
        Self::Signature(e)
    }
}
