//! `baryon-proxy`: the console's signing proxy.
//!
//! The browser never holds AWS credentials. It calls the proxy on its own origin:
//!
//! | request | what happens |
//! |---|---|
//! | `POST /api/proton/<Operation>` + JSON body | awsJson 1.0 `POST /` with `X-Amz-Target: AwsProton20200720.<Operation>`, signed for `proton` |
//! | `POST /api/servicecatalog/<Operation>` + JSON body | awsJson 1.1, `AWS242ServiceCatalogService.<Operation>`, signed for `servicecatalog` |
//! | `POST /api/baryon/<Operation>` + JSON body | Baryon's own operations (`GetRenderInputs`): awsJson 1.0, `Baryon20261203.<Operation>`, signed for `proton` |
//! | `PUT /api/bundles/<bucket>/<key...>` + bytes | written to the local artifact store (`<data-dir>/buckets/<bucket>/<key>`); answers `{"s3":{"bucket","key"}}` |
//!
//! Every request passes [`guard`] first (login token when configured → 401; `x-baryon-csrf: 1`
//! and same `Origin` → 403), then the operation allow-list (the generated model's operations →
//! else 404, nothing forwarded), then the body limit (413). The signed request goes to the
//! upstream fixed in [`ProxyConfig`] (no browser input picks it: no SSRF); the upstream's status,
//! body, content type and `x-amzn-RequestId` come back unchanged.
//!
//! - [`upstream`]: services, the signed request (the `aws-sigv4` crate), the upstream URL.
//! - [`guard`]: token, CSRF and origin checks.
//! - [`credentials`]: the key pair, found the usual AWS way; never logged.
//! - [`console`]: static console files with SPA fallback and cache headers.
//! - [`error`]: [`ProxyError`], answered as `{"__type","message"}`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use baryon_engine::artifacts::ArtifactStore;
use http_body_util::{BodyExt as _, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

pub mod console;
pub mod credentials;
pub mod error;
pub mod guard;
pub mod s3;
pub mod upstream;

pub use credentials::ProxyCredentials;
pub use error::ProxyError;
pub use upstream::{Service, Upstream};

/// Default limit of a proxied API request body (Proton's own limit).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default limit of an uploaded bundle (the engine reads bundles up to this size).
pub const DEFAULT_MAX_BUNDLE_BYTES: u64 = 20 * 1024 * 1024;
/// Default time the upstream has to answer.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_mins(1);

/// How to run a proxy.
#[derive(Clone)]
pub struct ProxyConfig {
    /// The upstream endpoint, `http://host[:port][/path]`, fixed for the proxy's life.
    pub upstream: String,
    /// The region requests are signed for.
    pub region: String,
    /// The key pair requests are signed with.
    pub credentials: ProxyCredentials,
    /// Whether the proxy listens on a non-loopback address; then a login token is mandatory.
    pub bind_remote: bool,
    /// When set, every request must present it (`Authorization: Bearer` or `baryon_token`
    /// cookie).
    pub login_token: Option<String>,
    /// Largest API request body.
    pub max_body_bytes: usize,
    /// Largest uploaded bundle.
    pub max_bundle_bytes: u64,
    /// The local artifact store root (`<data-dir>/buckets`) for bundle uploads; `None` when
    /// the upstream is not a local engine.
    pub artifacts_dir: Option<PathBuf>,
    /// Without a local store: the S3-compatible store bundles are uploaded to (`https://…`,
    /// `http://…`, or `aws` for `https://s3.<region>.amazonaws.com`); `None`: uploads answer 501.
    pub bundle_store: Option<String>,
    /// Time the upstream has to send its response head.
    pub upstream_timeout: Duration,
}

impl ProxyConfig {
    /// A loopback proxy with the default limits, no login token and no artifact store.
    pub fn new(
        upstream: impl Into<String>,
        region: impl Into<String>,
        credentials: ProxyCredentials,
    ) -> Self {
        Self {
            upstream: upstream.into(),
            region: region.into(),
            credentials,
            bind_remote: false,
            login_token: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_bundle_bytes: DEFAULT_MAX_BUNDLE_BYTES,
            artifacts_dir: None,
            bundle_store: None,
            upstream_timeout: DEFAULT_UPSTREAM_TIMEOUT,
        }
    }
}

impl std::fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("upstream", &self.upstream)
            .field("region", &self.region)
            .field("credentials", &self.credentials)
            .field("bind_remote", &self.bind_remote)
            .field(
                "login_token",
                &self.login_token.as_ref().map(|_| "** redacted **"),
            )
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_bundle_bytes", &self.max_bundle_bytes)
            .field("artifacts_dir", &self.artifacts_dir)
            .field("bundle_store", &self.bundle_store)
            .field("upstream_timeout", &self.upstream_timeout)
            .finish()
    }
}

/// A random login token: 32 bytes from the OS, hex-encoded.
pub fn generate_login_token() -> Result<String, ProxyError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ProxyError::Config(format!("no randomness for a login token: {e}")))?;
    let mut token = String::with_capacity(64);
    for b in bytes {
        use std::fmt::Write as _;
        let _ = write!(token, "{b:02x}");
    }
    Ok(token)
}

/// The HTTP(S) connector: TLS with the system's roots (or `SSL_CERT_FILE`) when an `https://`
/// upstream or bundle store is configured; plain `http://` ones need no roots (none are loaded, so a machine without CA
/// certificates can still proxy to a loopback engine).
fn connector(tls: bool) -> Result<HttpsConnector<HttpConnector>, ProxyError> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = hyper_rustls::HttpsConnectorBuilder::new();
    let builder = if tls {
        builder
            .with_provider_and_native_roots(provider)
            .map_err(|e| ProxyError::Config(format!("no trusted CA certificates: {e}")))?
    } else {
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ProxyError::Config(format!("TLS configuration: {e}")))?
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        builder.with_tls_config(config)
    };
    Ok(builder.https_or_http().enable_http1().build())
}

#[derive(Debug)]
struct Inner {
    config: ProxyConfig,
    upstream: Upstream,
    artifacts: Option<ArtifactStore>,
    bundle_store: Option<Upstream>,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// A configured proxy: cheap to clone, the state of [`router`].
#[derive(Debug, Clone)]
pub struct Proxy {
    inner: Arc<Inner>,
}

impl Proxy {
    /// Checks the configuration and builds the HTTP client.
    pub fn new(config: ProxyConfig) -> Result<Self, ProxyError> {
        let upstream = Upstream::parse(&config.upstream)?;
        if config.region.is_empty()
            || !config
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(ProxyError::Config(format!(
                "invalid region '{}'",
                config.region
            )));
        }
        match &config.login_token {
            None if config.bind_remote => {
                return Err(ProxyError::Config(
                    "a proxy reachable from the network needs a login token".to_owned(),
                ));
            }
            Some(t) if t.len() < 16 || !t.bytes().all(|b| b.is_ascii_graphic()) => {
                return Err(ProxyError::Config(
                    "the login token must be at least 16 printable ASCII characters".to_owned(),
                ));
            }
            _ => {}
        }
        let artifacts = config.artifacts_dir.clone().map(ArtifactStore::new);
        let bundle_store = match config.bundle_store.as_deref() {
            None => None,
            Some("aws") => Some(Upstream::parse(&format!(
                "https://s3.{}.amazonaws.com",
                config.region
            ))?),
            Some(url) => Some(Upstream::parse(url)?),
        };
        let tls = upstream.uri().scheme_str() == Some("https")
            || config
                .bundle_store
                .as_deref()
                .is_some_and(|s| !s.starts_with("http://"));
        let client = Client::builder(TokioExecutor::new()).build(connector(tls)?);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                upstream,
                artifacts,
                bundle_store,
                client,
            }),
        })
    }

    /// The upstream requests go to.
    pub fn upstream(&self) -> &Upstream {
        &self.inner.upstream
    }

    /// The request the proxy would send for this call, signed at `time` (exposed so tests can
    /// check what the upstream receives).
    pub fn signed_request(
        &self,
        service: Service,
        operation: &str,
        body: Bytes,
        time: SystemTime,
    ) -> Result<http::Request<Bytes>, ProxyError> {
        upstream::signed_request(
            &self.inner.upstream,
            &self.inner.config.region,
            &self.inner.config.credentials,
            service,
            operation,
            body,
            time,
        )
    }

    async fn forward(&self, service: Service, operation: &str, request: Request) -> Response {
        match self.try_forward(service, operation, request).await {
            Ok(response) => response,
            Err(e) => {
                if e.status().is_server_error() {
                    tracing::warn!(service = service.signing_name(), operation, status = e.status().as_u16(), error = %e, "proxy request failed");
                } else {
                    tracing::debug!(
                        service = service.signing_name(),
                        operation,
                        status = e.status().as_u16(),
                        error = e.aws_type(),
                        "proxy request refused"
                    );
                }
                e.into_response()
            }
        }
    }

    async fn try_forward(
        &self,
        service: Service,
        operation: &str,
        request: Request,
    ) -> Result<Response, ProxyError> {
        let config = &self.inner.config;
        let (parts, body) = request.into_parts();
        guard::check(&parts.headers, config.login_token.as_deref())?;
        let operation = service.operation(operation).ok_or_else(|| {
            ProxyError::UnknownOperation(format!(
                "{operation} is not an operation of {} that this proxy forwards",
                service.target_prefix()
            ))
        })?;
        let too_large = || {
            ProxyError::TooLarge(format!(
                "Request body exceeds the limit of {} bytes",
                config.max_body_bytes
            ))
        };
        if content_length(&parts.headers).is_some_and(|n| n > config.max_body_bytes as u64) {
            return Err(too_large());
        }
        let body = axum::body::to_bytes(body, config.max_body_bytes)
            .await
            .map_err(|_| too_large())?;
        let signed = self.signed_request(service, operation, body, SystemTime::now())?;
        let sent = tokio::time::timeout(
            config.upstream_timeout,
            self.inner.client.request(signed.map(Full::new)),
        )
        .await
        .map_err(|_| {
            ProxyError::GatewayTimeout(format!(
                "The upstream {} did not answer within {} s",
                self.inner.upstream.uri(),
                config.upstream_timeout.as_secs()
            ))
        })?
        .map_err(|e| {
            ProxyError::BadGateway(format!(
                "The upstream {} could not be reached: {e}",
                self.inner.upstream.uri()
            ))
        })?;
        let (upstream_parts, upstream_body) = sent.into_parts();
        tracing::debug!(
            service = service.signing_name(),
            operation,
            status = upstream_parts.status.as_u16(),
            "proxied"
        );
        let mut response = Response::new(Body::new(upstream_body));
        *response.status_mut() = upstream_parts.status;
        for name in [
            http::header::CONTENT_TYPE,
            http::header::CONTENT_LENGTH,
            http::HeaderName::from_static("x-amzn-requestid"),
            http::HeaderName::from_static("x-amzn-errortype"),
        ] {
            if let Some(value) = upstream_parts.headers.get(&name) {
                response.headers_mut().insert(name, value.clone());
            }
        }
        Ok(response)
    }

    async fn upload_to_s3(
        &self,
        store: &Upstream,
        bucket: &str,
        key: &str,
        data: Bytes,
    ) -> Result<Response, ProxyError> {
        let config = &self.inner.config;
        let size = data.len();
        let request = s3::signed_put(
            store,
            &config.region,
            &config.credentials,
            bucket,
            key,
            data,
            SystemTime::now(),
        )?;
        let sent = tokio::time::timeout(
            config.upstream_timeout,
            self.inner.client.request(request.map(Full::new)),
        )
        .await
        .map_err(|_| ProxyError::GatewayTimeout("The bundle store did not answer in time".into()))?
        .map_err(|e| {
            ProxyError::BadGateway(format!(
                "The bundle store {} could not be reached: {e}",
                store.uri()
            ))
        })?;
        let status = sent.status();
        if !status.is_success() {
            let body = sent
                .into_body()
                .collect()
                .await
                .map(http_body_util::Collected::to_bytes)
                .unwrap_or_default();
            return Err(ProxyError::BadGateway(format!(
                "The bundle store refused the upload ({}): {}",
                status.as_u16(),
                s3::error_summary(&body)
            )));
        }
        tracing::info!(bucket, key, size, "bundle uploaded to the S3 store");
        Ok(uploaded(bucket, key))
    }

    async fn upload(&self, bucket: &str, key: &str, request: Request) -> Response {
        match self.try_upload(bucket, key, request).await {
            Ok(response) => response,
            Err(e) => {
                if e.status().is_server_error() {
                    tracing::warn!(bucket, status = e.status().as_u16(), error = %e, "bundle upload failed");
                } else {
                    tracing::debug!(
                        bucket,
                        status = e.status().as_u16(),
                        error = e.aws_type(),
                        "bundle upload refused"
                    );
                }
                e.into_response()
            }
        }
    }

    async fn try_upload(
        &self,
        bucket: &str,
        key: &str,
        request: Request,
    ) -> Result<Response, ProxyError> {
        let config = &self.inner.config;
        let (parts, mut body) = request.into_parts();
        guard::check(&parts.headers, config.login_token.as_deref())?;
        let too_large = || {
            ProxyError::TooLarge(format!(
                "Bundle exceeds the limit of {} bytes",
                config.max_bundle_bytes
            ))
        };
        if content_length(&parts.headers).is_some_and(|n| n > config.max_bundle_bytes) {
            return Err(too_large());
        }
        let Some(artifacts) = &self.inner.artifacts else {
            let Some(store) = &self.inner.bundle_store else {
                return Err(ProxyError::NotImplemented(
                    "Bundle upload needs the embedded artifact store (baryon serve) or an S3 \
                     store (baryon proxy --bundle-store URL|aws); this proxy has neither: \
                     upload bundles to the upstream's S3 bucket instead."
                        .to_owned(),
                ));
            };
            let limit = usize::try_from(config.max_bundle_bytes).unwrap_or(usize::MAX);
            let data = axum::body::to_bytes(body, limit)
                .await
                .map_err(|_| too_large())?;
            return self.upload_to_s3(store, bucket, key, data).await;
        };
        let mut object = artifacts.create(bucket, key).await?;
        while let Some(frame) = body.frame().await {
            let frame = frame
                .map_err(|e| ProxyError::Validation(format!("The upload was interrupted: {e}")))?;
            if let Ok(data) = frame.into_data() {
                if object.written() + data.len() as u64 > config.max_bundle_bytes {
                    // Dropping `object` removes the partial file.
                    return Err(too_large());
                }
                object.write(&data).await?;
            }
        }
        let size = object.written();
        object.commit().await?;
        tracing::info!(bucket, key, size, "bundle uploaded");
        Ok(uploaded(bucket, key))
    }
}

/// The answer to an upload: where the bundle is, as the Create*TemplateVersion `source` wants it.
fn uploaded(bucket: &str, key: &str) -> Response {
    let body = serde_json::json!({ "s3": { "bucket": bucket, "key": key } });
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn content_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

async fn proton(
    State(proxy): State<Proxy>,
    Path(operation): Path<String>,
    request: Request,
) -> Response {
    proxy.forward(Service::Proton, &operation, request).await
}

async fn servicecatalog(
    State(proxy): State<Proxy>,
    Path(operation): Path<String>,
    request: Request,
) -> Response {
    proxy
        .forward(Service::ServiceCatalog, &operation, request)
        .await
}

async fn baryon(
    State(proxy): State<Proxy>,
    Path(operation): Path<String>,
    request: Request,
) -> Response {
    proxy.forward(Service::Baryon, &operation, request).await
}

async fn bundles(
    State(proxy): State<Proxy>,
    Path((bucket, key)): Path<(String, String)>,
    request: Request,
) -> Response {
    proxy.upload(&bucket, &key, request).await
}

/// The proxy's routes, all under `/api/`: merge into a server's router (`baryon serve`) or
/// serve alone (`baryon proxy`).
pub fn router(proxy: Proxy) -> Router {
    Router::new()
        .route("/api/proton/{operation}", post(proton))
        .route("/api/servicecatalog/{operation}", post(servicecatalog))
        .route("/api/baryon/{operation}", post(baryon))
        .route("/api/bundles/{bucket}/{*key}", put(bundles))
        .with_state(proxy)
}
