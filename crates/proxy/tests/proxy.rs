//! The proxy against a real engine over real loopback HTTP: a `baryon_engine` served on one
//! port (with a counter of the requests it receives), the proxy on another, and a plain HTTP
//! client playing the browser. One behaviour per test.
#![allow(clippy::unwrap_used)] // a panic is a test's failure report

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use baryon_engine::{EngineConfig, start};
use baryon_proxy::{Proxy, ProxyConfig, ProxyCredentials, Service, router};
use http::{HeaderMap, Method, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "baryon-proxy-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A real engine on a loopback port, counting the requests that reach it.
struct Upstream {
    addr: SocketAddr,
    credentials: ProxyCredentials,
    hits: Arc<AtomicUsize>,
    data: TempDir,
}

async fn engine() -> Upstream {
    let data = TempDir::new("engine");
    let engine = start(EngineConfig {
        data_dir: data.0.clone(),
        database_url: None,
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        environment_accounts: Vec::new(),
        git_remotes: std::collections::BTreeMap::new(),
        sync_interval: std::time::Duration::from_secs(2),
        cloudformation: None,
        codebuild: None,
    })
    .await
    .unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = engine.router.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            counter.fetch_add(1, Ordering::SeqCst);
            next.run(request)
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Upstream {
        addr,
        credentials: ProxyCredentials {
            access_key_id: engine.credentials.access_key_id.clone(),
            secret_access_key: engine.credentials.secret_access_key.clone(),
            session_token: None,
        },
        hits,
        data,
    }
}

fn config(upstream: &Upstream) -> ProxyConfig {
    let mut config = ProxyConfig::new(
        format!("http://{}", upstream.addr),
        "us-east-1",
        upstream.credentials.clone(),
    );
    config.artifacts_dir = Some(upstream.data.0.join("buckets"));
    config
}

/// The proxy on its own loopback port; returns its base URL.
async fn proxy(config: ProxyConfig) -> String {
    let app = router(Proxy::new(config).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Engine + loopback proxy with default settings.
async fn setup() -> (Upstream, String) {
    let upstream = engine().await;
    let url = proxy(config(&upstream)).await;
    (upstream, url)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

async fn send(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(request.body(Full::new(body.into())).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        text: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

const CSRF: (&str, &str) = ("x-baryon-csrf", "1");

/// A browser call: `POST /api/proton/<op>` with the CSRF header.
async fn call(proxy: &str, op: &str, body: Value) -> Answer {
    send(
        Method::POST,
        &format!("{proxy}/api/proton/{op}"),
        &[CSRF, ("content-type", "application/json")],
        body.to_string(),
    )
    .await
}

fn error(answer: &Answer) -> (StatusCode, String) {
    let v = answer.json();
    (answer.status, v["__type"].as_str().unwrap().to_owned())
}

// --- forwarding ---------------------------------------------------------------------------

#[tokio::test]
async fn a_proxied_list_environment_templates_answers_200_with_no_templates() {
    let (_upstream, proxy) = setup().await;
    let answer = call(&proxy, "ListEnvironmentTemplates", json!({})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.json(), json!({"templates": []}));
    assert_eq!(answer.headers["content-type"], "application/x-amz-json-1.0");
}

#[tokio::test]
async fn a_created_environment_template_is_read_back_through_the_proxy() {
    let (_upstream, proxy) = setup().await;
    let created = call(
        &proxy,
        "CreateEnvironmentTemplate",
        json!({"name": "vpc", "displayName": "VPC"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let got = call(&proxy, "GetEnvironmentTemplate", json!({"name": "vpc"})).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(
        got.json()["environmentTemplate"],
        created.json()["environmentTemplate"]
    );
    assert_eq!(got.json()["environmentTemplate"]["name"], "vpc");
    assert_eq!(got.json()["environmentTemplate"]["displayName"], "VPC");
}

#[tokio::test]
async fn an_upstream_aws_error_comes_back_with_its_status_type_message_and_request_id() {
    let (_upstream, proxy) = setup().await;
    let answer = call(&proxy, "GetEnvironmentTemplate", json!({"name": "missing"})).await;
    assert_eq!(
        error(&answer),
        (
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException".to_owned()
        )
    );
    assert_eq!(
        answer.json()["message"],
        "The environment template missing was not found."
    );
    let request_id = answer.headers["x-amzn-requestid"].to_str().unwrap();
    assert_eq!(request_id.len(), 36, "{request_id}");
}

#[tokio::test]
async fn an_upstream_validation_error_comes_back_unchanged() {
    let (_upstream, proxy) = setup().await;
    let answer = call(&proxy, "GetEnvironmentTemplate", json!({})).await;
    assert_eq!(
        error(&answer),
        (StatusCode::BAD_REQUEST, "ValidationException".to_owned())
    );
    assert_eq!(
        answer.json()["message"],
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
    );
}

#[tokio::test]
async fn an_operation_outside_the_allow_list_is_404_and_never_forwarded() {
    let (upstream, proxy) = setup().await;
    for op in [
        "DescribeProduct",
        "NoSuchOperation",
        "listEnvironmentTemplates",
    ] {
        let answer = call(&proxy, op, json!({})).await;
        assert_eq!(
            error(&answer),
            (
                StatusCode::NOT_FOUND,
                "UnknownOperationException".to_owned()
            ),
            "{op}"
        );
    }
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_proton_operation_is_not_forwarded_as_service_catalog() {
    let (upstream, proxy) = setup().await;
    let answer = send(
        Method::POST,
        &format!("{proxy}/api/servicecatalog/ListEnvironmentTemplates"),
        &[CSRF],
        "{}",
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_proton_operation_is_not_forwarded_as_a_baryon_operation() {
    let (upstream, proxy) = setup().await;
    let answer = send(
        Method::POST,
        &format!("{proxy}/api/baryon/ListEnvironmentTemplates"),
        &[CSRF],
        "{}",
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
}

/// A stand-in upstream that records what it receives and checks the SigV4 signature with the
/// engine's verifier for the `servicecatalog` signing name.
#[tokio::test]
async fn service_catalog_calls_are_forwarded_as_signed_awsjson_1_1() {
    use baryon_engine::sigv4::{SigningRequest, VerifyConfig, verify};
    let seen: Arc<std::sync::Mutex<Option<(HeaderMap, Bytes, String)>>> = Arc::default();
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(move |request: axum::extract::Request| {
            let record = record.clone();
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                let signing = SigningRequest {
                    method: parts.method.as_str(),
                    path: parts.uri.path(),
                    query: parts.uri.query(),
                    headers: &parts.headers,
                    body: &body,
                };
                let verified = verify(
                    &signing,
                    SystemTime::now(),
                    &VerifyConfig {
                        service: "servicecatalog".to_owned(),
                        max_skew: Duration::from_mins(15),
                    },
                    |key| (key == "AKIASC").then(|| "sc-secret".to_owned()),
                );
                let outcome = match verified {
                    Ok(v) => format!("ok {} {}", v.region, v.service),
                    Err(e) => format!("refused {e}"),
                };
                *record.lock().unwrap() = Some((parts.headers, body, outcome));
                (
                    [("content-type", "application/x-amz-json-1.1")],
                    r#"{"ProductViewDetail":{}}"#,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let proxy = proxy(ProxyConfig::new(
        format!("http://{addr}"),
        "eu-central-1",
        ProxyCredentials {
            access_key_id: "AKIASC".into(),
            secret_access_key: "sc-secret".into(),
            session_token: None,
        },
    ))
    .await;
    let answer = send(
        Method::POST,
        &format!("{proxy}/api/servicecatalog/DescribeProduct"),
        &[CSRF],
        r#"{"Id":"prod-abc"}"#,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.text, r#"{"ProductViewDetail":{}}"#);
    let (headers, body, outcome) = seen.lock().unwrap().take().unwrap();
    assert_eq!(outcome, "ok eu-central-1 servicecatalog");
    assert_eq!(headers["content-type"], "application/x-amz-json-1.1");
    assert_eq!(
        headers["x-amz-target"],
        "AWS242ServiceCatalogService.DescribeProduct"
    );
    assert_eq!(&body[..], br#"{"Id":"prod-abc"}"#);
}

#[tokio::test]
async fn an_unreachable_upstream_is_502() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let proxy = proxy(ProxyConfig::new(
        format!("http://{closed}"),
        "us-east-1",
        ProxyCredentials {
            access_key_id: "AKIAX".into(),
            secret_access_key: "x".into(),
            session_token: None,
        },
    ))
    .await;
    let answer = call(&proxy, "ListEnvironmentTemplates", json!({})).await;
    assert_eq!(
        error(&answer),
        (StatusCode::BAD_GATEWAY, "BadGatewayException".to_owned())
    );
}

// --- signatures ---------------------------------------------------------------------------

#[tokio::test]
async fn a_proxy_signature_replayed_with_a_tampered_body_is_refused_by_the_engine() {
    let upstream = engine().await;
    let proxy = Proxy::new(config(&upstream)).unwrap();
    let signed = proxy
        .signed_request(
            Service::Proton,
            "CreateEnvironmentTemplate",
            Bytes::from_static(br#"{"name":"good"}"#),
            SystemTime::now(),
        )
        .unwrap();
    let headers: Vec<(String, String)> = signed
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let url = format!("http://{}/", upstream.addr);

    let tampered = send(Method::POST, &url, &headers, r#"{"name":"evil"}"#).await;
    assert_eq!(
        error(&tampered),
        (
            StatusCode::FORBIDDEN,
            "InvalidSignatureException".to_owned()
        )
    );

    let original = send(Method::POST, &url, &headers, signed.into_body()).await;
    assert_eq!(original.status, StatusCode::OK, "{}", original.text);
    assert_eq!(original.json()["environmentTemplate"]["name"], "good");
}

// --- CSRF, origin, size -------------------------------------------------------------------

#[tokio::test]
async fn a_request_without_the_csrf_header_is_403_and_never_forwarded() {
    let (upstream, proxy) = setup().await;
    let answer = send(
        Method::POST,
        &format!("{proxy}/api/proton/ListEnvironmentTemplates"),
        &[("content-type", "application/json")],
        "{}",
    )
    .await;
    assert_eq!(
        error(&answer),
        (StatusCode::FORBIDDEN, "ForbiddenException".to_owned())
    );
    assert_eq!(
        answer.json()["message"],
        "Missing 'x-baryon-csrf: 1' header: state-changing requests must come from the console."
    );
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_cross_origin_request_is_403_and_never_forwarded() {
    let (upstream, proxy) = setup().await;
    let answer = send(
        Method::POST,
        &format!("{proxy}/api/proton/CreateEnvironmentTemplate"),
        &[CSRF, ("origin", "http://evil.example")],
        r#"{"name":"x"}"#,
    )
    .await;
    assert_eq!(
        error(&answer),
        (StatusCode::FORBIDDEN, "ForbiddenException".to_owned())
    );
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_same_origin_request_with_an_origin_header_is_forwarded() {
    let (_upstream, proxy) = setup().await;
    let answer = send(
        Method::POST,
        &format!("{proxy}/api/proton/ListEnvironmentTemplates"),
        &[CSRF, ("origin", proxy.as_str())],
        "{}",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
}

#[tokio::test]
async fn an_oversize_body_is_413_and_never_forwarded() {
    let (upstream, proxy) = setup().await;
    let big = format!(
        r#"{{"name":"x","description":"{}"}}"#,
        "a".repeat(1024 * 1024)
    );
    let answer = call(
        &proxy,
        "CreateEnvironmentTemplate",
        serde_json::from_str(&big).unwrap(),
    )
    .await;
    assert_eq!(
        error(&answer),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLargeException".to_owned()
        )
    );
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
}

// --- remote binding -----------------------------------------------------------------------

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

async fn remote_setup() -> (Upstream, String) {
    let upstream = engine().await;
    let mut config = config(&upstream);
    config.bind_remote = true;
    config.login_token = Some(TOKEN.to_owned());
    let url = proxy(config).await;
    (upstream, url)
}

#[tokio::test]
async fn with_remote_binding_a_request_without_a_token_is_401() {
    let (upstream, proxy) = remote_setup().await;
    let answer = call(&proxy, "ListEnvironmentTemplates", json!({})).await;
    assert_eq!(
        error(&answer),
        (StatusCode::UNAUTHORIZED, "UnauthorizedException".to_owned())
    );
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn with_remote_binding_a_wrong_token_is_401() {
    let (upstream, proxy) = remote_setup().await;
    let answer = send(
        Method::POST,
        &format!("{proxy}/api/proton/ListEnvironmentTemplates"),
        &[
            CSRF,
            ("authorization", "Bearer 0123456789abcdef0123456789abcdeX"),
        ],
        "{}",
    )
    .await;
    assert_eq!(
        error(&answer),
        (StatusCode::UNAUTHORIZED, "UnauthorizedException".to_owned())
    );
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn with_remote_binding_the_right_token_is_forwarded() {
    let (_upstream, proxy) = remote_setup().await;
    let bearer = format!("Bearer {TOKEN}");
    let answer = send(
        Method::POST,
        &format!("{proxy}/api/proton/ListEnvironmentTemplates"),
        &[CSRF, ("authorization", bearer.as_str())],
        "{}",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let cookie = format!("baryon_token={TOKEN}");
    let answer = send(
        Method::POST,
        &format!("{proxy}/api/proton/ListEnvironmentTemplates"),
        &[CSRF, ("cookie", cookie.as_str())],
        "{}",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
}

#[tokio::test]
async fn remote_binding_without_a_login_token_is_a_configuration_error() {
    let upstream = engine().await;
    let mut config = config(&upstream);
    config.bind_remote = true;
    assert!(Proxy::new(config).is_err());
}

// --- bundles ------------------------------------------------------------------------------

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// `tests/fixtures/templates/queue-env/v1` as a `.tar.gz` bundle.
fn bundle() -> Vec<u8> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/templates/queue-env/v1");
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    builder.append_dir_all(".", dir).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

#[tokio::test]
async fn an_uploaded_bundle_is_written_under_its_bucket_directory() {
    let (upstream, proxy) = setup().await;
    let answer = send(
        Method::PUT,
        &format!("{proxy}/api/bundles/my-templates/queue/v1.tar.gz"),
        &[CSRF, ("content-type", "application/gzip")],
        b"bundle bytes".to_vec(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        answer.json(),
        json!({"s3": {"bucket": "my-templates", "key": "queue/v1.tar.gz"}})
    );
    let buckets = upstream.data.0.join("buckets");
    let file = buckets.join("my-templates/queue/v1.tar.gz");
    assert_eq!(std::fs::read(&file).unwrap(), b"bundle bytes");
    assert_eq!(files_under(&buckets), vec![file]);
}

#[tokio::test]
async fn a_bundle_key_with_dot_dot_is_400_and_nothing_is_written() {
    let (upstream, proxy) = setup().await;
    for path in [
        "my-templates/a/../../escape",
        "my-templates/%2e%2e/escape",
        "Bad_Bucket/k",
    ] {
        let answer = send(
            Method::PUT,
            &format!("{proxy}/api/bundles/{path}"),
            &[CSRF],
            b"x".to_vec(),
        )
        .await;
        assert_eq!(
            error(&answer),
            (StatusCode::BAD_REQUEST, "ValidationException".to_owned()),
            "{path}"
        );
    }
    assert_eq!(
        files_under(&upstream.data.0.join("buckets")),
        Vec::<PathBuf>::new()
    );
    assert!(!upstream.data.0.join("escape").exists());
}

#[tokio::test]
async fn a_bundle_upload_without_the_csrf_header_is_403_and_nothing_is_written() {
    let (upstream, proxy) = setup().await;
    let answer = send(
        Method::PUT,
        &format!("{proxy}/api/bundles/my-templates/v1.tar.gz"),
        &[],
        b"x".to_vec(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        files_under(&upstream.data.0.join("buckets")),
        Vec::<PathBuf>::new()
    );
}

#[tokio::test]
async fn an_oversize_bundle_is_413_and_nothing_is_written() {
    let upstream = engine().await;
    let mut config = config(&upstream);
    config.max_bundle_bytes = 1000;
    let proxy = proxy(config).await;
    let answer = send(
        Method::PUT,
        &format!("{proxy}/api/bundles/my-templates/v1.tar.gz"),
        &[CSRF],
        vec![7u8; 1001],
    )
    .await;
    assert_eq!(
        error(&answer),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLargeException".to_owned()
        )
    );
    assert_eq!(
        files_under(&upstream.data.0.join("buckets")),
        Vec::<PathBuf>::new()
    );
}

#[tokio::test]
async fn bundle_upload_without_a_local_artifact_store_is_501() {
    let upstream = engine().await;
    let mut config = config(&upstream);
    config.artifacts_dir = None;
    let proxy = proxy(config).await;
    let answer = send(
        Method::PUT,
        &format!("{proxy}/api/bundles/my-templates/v1.tar.gz"),
        &[CSRF],
        b"x".to_vec(),
    )
    .await;
    assert_eq!(
        error(&answer),
        (
            StatusCode::NOT_IMPLEMENTED,
            "NotImplementedException".to_owned()
        )
    );
}

#[tokio::test]
async fn an_uploaded_bundle_registers_as_a_template_version() {
    let (_upstream, proxy) = setup().await;
    let uploaded = send(
        Method::PUT,
        &format!("{proxy}/api/bundles/my-templates/queue-env/v1.tar.gz"),
        &[CSRF],
        bundle(),
    )
    .await;
    assert_eq!(uploaded.status, StatusCode::OK, "{}", uploaded.text);
    let created = call(
        &proxy,
        "CreateEnvironmentTemplate",
        json!({"name": "queue"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let version = call(
        &proxy,
        "CreateEnvironmentTemplateVersion",
        json!({"templateName": "queue", "source": uploaded.json()}),
    )
    .await;
    assert_eq!(version.status, StatusCode::OK, "{}", version.text);
    let mut status = String::new();
    for _ in 0..100 {
        let got = call(
            &proxy,
            "GetEnvironmentTemplateVersion",
            json!({"templateName": "queue", "majorVersion": "1", "minorVersion": "0"}),
        )
        .await;
        status = got.json()["environmentTemplateVersion"]["status"]
            .as_str()
            .unwrap()
            .to_owned();
        if status != "REGISTRATION_IN_PROGRESS" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "DRAFT");
}

// --- secrets ------------------------------------------------------------------------------

#[tokio::test]
async fn credentials_never_appear_in_any_response_body() {
    let (upstream, proxy) = remote_setup().await;
    let secret = upstream.credentials.secret_access_key.clone();
    let key_id = upstream.credentials.access_key_id.clone();
    let bearer = format!("Bearer {TOKEN}");
    let auth = ("authorization", bearer.as_str());
    let mut answers = vec![
        call(&proxy, "ListEnvironmentTemplates", json!({})).await,
        send(
            Method::POST,
            &format!("{proxy}/api/proton/ListEnvironmentTemplates"),
            &[auth],
            "{}",
        )
        .await,
        send(
            Method::POST,
            &format!("{proxy}/api/proton/Nope"),
            &[CSRF, auth],
            "{}",
        )
        .await,
        send(
            Method::PUT,
            &format!("{proxy}/api/bundles/b/../k"),
            &[CSRF, auth],
            "x",
        )
        .await,
    ];
    for (op, body) in [
        ("ListEnvironmentTemplates", "{}"),
        ("GetEnvironmentTemplate", r#"{"name":"missing"}"#),
        ("GetEnvironmentTemplate", "not json"),
        ("CreateEnvironmentTemplate", r#"{"name":"t"}"#),
        ("ListComponents", "{}"),
    ] {
        answers.push(
            send(
                Method::POST,
                &format!("{proxy}/api/proton/{op}"),
                &[CSRF, auth],
                body,
            )
            .await,
        );
    }
    assert_eq!(answers[0].status, StatusCode::UNAUTHORIZED);
    assert_eq!(answers[4].status, StatusCode::OK);
    for answer in &answers {
        assert!(!answer.text.contains(&secret), "{}", answer.text);
        assert!(!answer.text.contains(&key_id), "{}", answer.text);
        assert!(!answer.text.contains(TOKEN), "{}", answer.text);
        for value in answer.headers.values() {
            let value = value.to_str().unwrap_or("");
            assert!(!value.contains(&secret) && !value.contains(&key_id) && !value.contains(TOKEN));
        }
    }
}

#[tokio::test]
async fn the_proxy_configuration_debug_output_hides_secrets() {
    let mut config = ProxyConfig::new(
        "http://127.0.0.1:1",
        "us-east-1",
        ProxyCredentials {
            access_key_id: "AKIAPUBLIC".into(),
            secret_access_key: "very-secret-key".into(),
            session_token: Some("very-secret-session".into()),
        },
    );
    config.login_token = Some(TOKEN.to_owned());
    let debug = format!("{config:?} {:?}", Proxy::new(config.clone()).unwrap());
    assert!(debug.contains("AKIAPUBLIC"));
    for secret in ["very-secret-key", "very-secret-session", TOKEN] {
        assert!(!debug.contains(secret), "{debug}");
    }
}
