//! The `baryon` binary, run as a user runs it.
#![allow(clippy::unwrap_used)] // a panic is a test's failure report

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn fixture(rel: &str) -> String {
    format!("{}/../../tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn baryon(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baryon"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_valid_spec_exits_zero_and_prints_inputs_with_defaults() {
    let schema = fixture("templates/queue-env/v1/schema/schema.yaml");
    let spec = fixture("specs/queue-env.yaml");
    let (code, out, _) = baryon(&["validate", "--schema", &schema, "--spec", &spec]);
    assert_eq!(code, 0);
    assert!(out.contains("\"retention_seconds\": 345600"), "{out}");
}

#[test]
fn an_invalid_spec_exits_one_with_file_line_col_diagnostics() {
    let schema = fixture("templates/queue-env/v1/schema/schema.yaml");
    let spec = fixture("specs/queue-env-three-errors.yaml");
    let (code, _, err) = baryon(&["validate", "--schema", &schema, "--spec", &spec]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with(&format!("{spec}:3:1: spec: ")),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!("{spec}:4:22: spec.retention_seconds: ")),
        "{err}"
    );
    assert!(
        lines[2].starts_with(&format!("{spec}:6:16: spec.alarm_email: ")),
        "{err}"
    );
}

#[test]
fn json_output_is_the_full_validation_result() {
    let schema = fixture("templates/worker-svc/v1/schema/schema.yaml");
    let spec = fixture("specs/worker-svc.yaml");
    let (code, out, _) = baryon(&["validate", "--json", "--schema", &schema, "--spec", &spec]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["inputs"]["pipeline"]["test_command"], "cargo test");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let (code, _, err) = baryon(&[
        "validate",
        "--schema",
        "/nonexistent/schema.yaml",
        "--spec",
        "x",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/schema.yaml"), "{err}");
}

#[test]
fn a_request_is_checked_against_the_api_model() {
    let (code, _, err) = baryon(&["request", "GetService", "{}"]);
    assert_eq!(code, 1);
    assert_eq!(
        err.trim(),
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
    );
    let (code, out, _) = baryon(&["request", "DescribeProduct", r#"{"Id": "prod-abc"}"#]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_manifest_with_an_unknown_engine_is_refused() {
    let dir = std::env::temp_dir().join(format!("baryon-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("manifest.yaml");
    std::fs::write(
        &file,
        "infrastructure:\n  templates:\n    - file: a.yaml\n      rendering_engine: mustache\n",
    )
    .unwrap();
    let (code, _, err) = baryon(&["manifest", file.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 1);
    assert!(err.contains(":4:"), "{err}");
}

// --- `baryon serve` and `baryon proxy` as processes ------------------------------------------

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "baryon-cli-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
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

/// A running `baryon` process, killed when dropped; its stdout lines arrive on `lines`.
struct Process {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Environment variables that would change which credentials or region a process uses.
const AWS_VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "BARYON_ACCESS_KEY_ID",
    "BARYON_SECRET_ACCESS_KEY",
];

fn spawn(cwd: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baryon"));
    command
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for var in AWS_VARS {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Process {
        child,
        lines,
        seen: Vec::new(),
    }
}

impl Process {
    /// Waits for the first stdout line starting with `prefix` and returns the rest of it.
    fn line(&mut self, prefix: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.starts_with(prefix)) {
            return line[prefix.len()..].to_owned();
        }
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_mins(1))
                .unwrap_or_else(|_| panic!("no line '{prefix}…' in {:?}", self.seen));
            self.seen.push(line.clone());
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.to_owned();
            }
        }
    }

    /// The `127.0.0.1:<port>` a started server prints.
    fn address(&mut self, prefix: &str) -> String {
        let rest = self.line(prefix);
        let url = rest.split([' ', ',']).next().unwrap();
        let port = url.rsplit(':').next().unwrap();
        format!("127.0.0.1:{port}")
    }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request over a fresh connection (`Connection: close`).
fn http(method: &str, addr: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_mins(1)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(name);
        request.push_str(": ");
        request.push_str(value);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, rest) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        let mut body = String::new();
        let mut rest = rest;
        loop {
            let (size, after) = rest.split_once("\r\n").unwrap();
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            body.push_str(&after[..size]);
            rest = &after[size + 2..];
        }
        body
    } else {
        rest.to_owned()
    };
    Answer {
        status,
        headers,
        body,
    }
}

const CSRF: (&str, &str) = ("x-baryon-csrf", "1");

/// `baryon serve` on a free loopback port with its own data dir; returns it and its address.
fn serve(dir: &TempDir, extra: &[&str]) -> (Process, String) {
    let data = dir.0.join("data");
    let mut args = vec![
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let mut process = spawn(&dir.0, &args, &[]);
    let addr = process.address("Baryon is serving the AWS Proton API at ");
    (process, addr)
}

/// The `[default]` key pair `baryon serve` wrote to its data dir.
fn serve_key_pair(dir: &TempDir) -> (String, String) {
    let text = std::fs::read_to_string(dir.0.join("data/credentials")).unwrap();
    let value = |key: &str| {
        text.lines()
            .find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == key).then(|| v.trim().to_owned())
            })
            .unwrap()
    };
    (value("aws_access_key_id"), value("aws_secret_access_key"))
}

#[test]
fn a_proxy_process_forwards_signed_requests_to_a_serve_process() {
    let dir = TempDir::new("proxy");
    let (_serve, upstream) = serve(&dir, &[]);
    let (id, secret) = serve_key_pair(&dir);
    let credentials = dir.0.join("aws-credentials");
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = AKIAWRONG\naws_secret_access_key = wrong\n\n[upstream]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
        ),
    )
    .unwrap();
    let upstream_url = format!("http://{upstream}");
    let mut proxy = spawn(
        &dir.0,
        &[
            "proxy",
            "--upstream",
            &upstream_url,
            "--listen",
            "127.0.0.1:0",
            "--profile",
            "upstream",
        ],
        &[("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap())],
    );
    let addr = proxy.address("Baryon proxy listening at ");
    assert!(
        proxy
            .line("Signing for region us-east-1 with credentials from ")
            .ends_with("(profile upstream)")
    );

    let created = http(
        "POST",
        &addr,
        "/api/proton/CreateEnvironmentTemplate",
        &[CSRF],
        r#"{"name":"through-the-proxy"}"#,
    );
    assert_eq!(created.status, 200, "{}", created.body);
    let v: serde_json::Value = serde_json::from_str(&created.body).unwrap();
    assert_eq!(v["environmentTemplate"]["name"], "through-the-proxy");

    // The template is in the serve process's engine.
    let listed = http(
        "POST",
        &upstream,
        "/api/proton/ListEnvironmentTemplates",
        &[CSRF],
        "{}",
    );
    let v: serde_json::Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(v["templates"][0]["name"], "through-the-proxy");
}

#[test]
fn a_proxy_on_a_non_loopback_address_is_refused_without_allow_remote() {
    let (code, _, err) = baryon(&[
        "proxy",
        "--upstream",
        "http://127.0.0.1:9",
        "--listen",
        "0.0.0.0:0",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0: it is not a loopback address"),
        "{err}"
    );
    assert!(err.contains("--allow-remote"), "{err}");
}

#[test]
fn a_remote_proxy_prints_a_login_token_and_requires_it() {
    let dir = TempDir::new("remote");
    let (_serve, upstream) = serve(&dir, &[]);
    let (id, secret) = serve_key_pair(&dir);
    let upstream_url = format!("http://{upstream}");
    let mut proxy = spawn(
        &dir.0,
        &[
            "proxy",
            "--upstream",
            &upstream_url,
            "--listen",
            "0.0.0.0:0",
            "--allow-remote",
        ],
        &[
            ("AWS_ACCESS_KEY_ID", id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ],
    );
    let addr = proxy.address("Baryon proxy listening at ");
    let token =
        proxy.line("Login token (send 'Authorization: Bearer <token>' or a baryon_token cookie): ");
    assert_eq!(token.len(), 64, "{token}");

    let path = "/api/proton/ListEnvironmentTemplates";
    let without = http("POST", &addr, path, &[CSRF], "{}");
    assert_eq!(without.status, 401, "{}", without.body);
    let bearer = format!("Bearer {token}");
    let with = http(
        "POST",
        &addr,
        path,
        &[CSRF, ("authorization", &bearer)],
        "{}",
    );
    assert_eq!(with.status, 200, "{}", with.body);
    assert_eq!(with.body, r#"{"templates":[]}"#);
}

#[test]
fn serve_answers_the_console_api_on_the_same_port_as_the_engine_api() {
    let dir = TempDir::new("serve-api");
    let (mut serve, addr) = serve(&dir, &[]);
    assert!(serve.line("No console files").contains("/api/"));

    let console = http(
        "POST",
        &addr,
        "/api/proton/ListEnvironmentTemplates",
        &[CSRF],
        "{}",
    );
    assert_eq!(console.status, 200, "{}", console.body);
    assert_eq!(console.body, r#"{"templates":[]}"#);
    assert!(console.header("x-amzn-requestid").is_some());

    // The raw engine API on the same port still wants SigV4.
    let raw = http(
        "POST",
        &addr,
        "/",
        &[
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "AwsProton20200720.ListEnvironmentTemplates"),
        ],
        "{}",
    );
    assert_eq!(raw.status, 403);
    assert_eq!(
        raw.body,
        r#"{"__type":"MissingAuthenticationTokenException","message":"Missing Authentication Token"}"#
    );
}

#[test]
fn serve_serves_the_console_with_spa_fallback_and_cache_headers() {
    let dir = TempDir::new("serve-console");
    let console = dir.0.join("console");
    std::fs::create_dir_all(console.join("assets")).unwrap();
    std::fs::write(
        console.join("index.html"),
        "<!doctype html><title>Baryon</title>",
    )
    .unwrap();
    std::fs::write(console.join("assets/app-0123456789abcdef.js"), "export {};").unwrap();
    let (mut serve, addr) = serve(&dir, &["--console-dir", console.to_str().unwrap()]);
    assert_eq!(
        serve.line("Console: open "),
        format!("http://{addr}/ (files from {})", console.display())
    );

    for path in [
        "/",
        "/index.html",
        "/environments/prod",
        "/services/api/instances/one",
    ] {
        let page = http("GET", &addr, path, &[], "");
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(page.body, "<!doctype html><title>Baryon</title>", "{path}");
        assert_eq!(page.header("content-type"), Some("text/html"), "{path}");
        assert_eq!(page.header("cache-control"), Some("no-cache"), "{path}");
    }
    let asset = http("GET", &addr, "/assets/app-0123456789abcdef.js", &[], "");
    assert_eq!(asset.status, 200);
    assert_eq!(asset.body, "export {};");
    assert_eq!(asset.header("content-type"), Some("text/javascript"));
    assert_eq!(
        asset.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let api = http("GET", &addr, "/api/environments", &[], "");
    assert_eq!(api.status, 404);
    assert_eq!(
        api.body,
        r#"{"__type":"UnknownOperationException","message":"No API route /api/environments"}"#
    );
}

#[test]
fn serve_on_a_non_loopback_address_requires_its_printed_login_token_on_the_console_api() {
    let dir = TempDir::new("serve-remote");
    let data = dir.0.join("data");
    let mut serve = spawn(
        &dir.0,
        &[
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &[],
    );
    let addr = serve.address("Baryon is serving the AWS Proton API at ");
    let token = serve.line(
        "Login token for the console API (send 'Authorization: Bearer <token>' or a baryon_token cookie): ",
    );
    let path = "/api/proton/ListEnvironmentTemplates";
    let without = http("POST", &addr, path, &[CSRF], "{}");
    assert_eq!(without.status, 401, "{}", without.body);
    let cookie = format!("baryon_token={token}");
    let with = http("POST", &addr, path, &[CSRF, ("cookie", &cookie)], "{}");
    assert_eq!(with.status, 200, "{}", with.body);
}
