//! A `baryon serve` child process on a free loopback port, a SigV4-signing awsJson client for
//! it, template bundles for seeding, and a throwaway PostgreSQL cluster.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use bytes::Bytes;
use http_body_util::Full;
use serde_json::{Value, json};

use super::load::{self, Request};

/// The region the benchmark's engines report and its client signs for.
pub const REGION: &str = "us-east-1";

/// A free loopback port (bound, read, released).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The engine's key pair.
#[derive(Clone)]
pub struct Credentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key (never printed).
    pub secret_access_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Profile `default` of the shared-credentials file `baryon serve` writes.
    fn read(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut in_default = false;
        let (mut id, mut secret) = (None, None);
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_default = line == "[default]";
            } else if in_default && let Some((k, v)) = line.split_once('=') {
                match k.trim() {
                    "aws_access_key_id" => id = Some(v.trim().to_owned()),
                    "aws_secret_access_key" => secret = Some(v.trim().to_owned()),
                    _ => {}
                }
            }
        }
        match (id, secret) {
            (Some(access_key_id), Some(secret_access_key)) => Ok(Self {
                access_key_id,
                secret_access_key,
            }),
            _ => bail!("no [default] key pair in {}", path.display()),
        }
    }
}

/// An awsJson service as a client addresses it.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    /// `X-Amz-Target` prefix.
    pub target_prefix: &'static str,
    /// Content type.
    pub content_type: &'static str,
    /// SigV4 signing name.
    pub signing_name: &'static str,
}

/// AWS Proton: awsJson 1.0.
pub const PROTON: Service = Service {
    target_prefix: "AwsProton20200720",
    content_type: "application/x-amz-json-1.0",
    signing_name: "proton",
};

/// AWS Service Catalog: awsJson 1.1.
pub const SERVICE_CATALOG: Service = Service {
    target_prefix: "AWS242ServiceCatalogService",
    content_type: "application/x-amz-json-1.1",
    signing_name: "servicecatalog",
};

/// Builds a SigV4-signed awsJson 1.0 Proton request, as an SDK does.
pub fn signed(
    addr: SocketAddr,
    credentials: &Credentials,
    operation: &str,
    body: &Bytes,
) -> Result<Request> {
    signed_for(PROTON, addr, credentials, operation, body)
}

/// Builds a SigV4-signed awsJson request for `service`, as an SDK does.
pub fn signed_for(
    service: Service,
    addr: SocketAddr,
    credentials: &Credentials,
    operation: &str,
    body: &Bytes,
) -> Result<Request> {
    let host = addr.to_string();
    let target = format!("{}.{operation}", service.target_prefix);
    let fields = [
        ("host", host.as_str()),
        ("content-type", service.content_type),
        ("x-amz-target", target.as_str()),
    ];
    let uri = format!("http://{host}/");
    let signable = SignableRequest::new(
        "POST",
        uri.as_str(),
        fields.iter().copied(),
        SignableBody::Bytes(body),
    )?;
    let identity = aws_credential_types::Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.clone(),
        None,
        None,
        "baryon-bench",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(service.signing_name)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()?
        .into();
    let (instructions, _) = sign(signable, &params)?.into_parts();
    let mut builder = http::Request::builder().method("POST").uri(uri);
    for (name, value) in fields {
        builder = builder.header(name, value);
    }
    let mut request = builder.body(Full::new(body.clone()))?;
    instructions.apply_to_request_http1x(&mut request);
    Ok(request)
}

/// How a bench engine is started.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--database` (PostgreSQL URL); SQLite in the data dir when absent.
    pub database: Option<String>,
    /// `--codebuild`.
    pub codebuild: bool,
    /// `--console-dir`.
    pub console_dir: Option<PathBuf>,
    /// Extra environment variables of the process (the CodeBuild-style commands inherit them).
    pub env: Vec<(String, String)>,
}

/// A running `baryon serve`.
pub struct Engine {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Its own account's key pair.
    pub credentials: Credentials,
}

impl Engine {
    /// Starts `bin serve` on a free port and waits until `/health` answers (30 s at most).
    pub async fn start(bin: &Path, data_dir: &Path, options: &Options) -> Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        let port = free_port()?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.with_extension("log"))?;
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--region", REGION])
            .env_remove("BARYON_ACCESS_KEY_ID")
            .env_remove("BARYON_SECRET_ACCESS_KEY")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        if let Some(database) = &options.database {
            cmd.args(["--database", database]);
        }
        if options.codebuild {
            cmd.arg("--codebuild");
        }
        if let Some(dir) = &options.console_dir {
            cmd.arg("--console-dir").arg(dir);
        }
        cmd.envs(options.env.iter().map(|(k, v)| (k, v)));
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "baryon serve exited with {status}; log: {}",
                    data_dir.with_extension("log").display()
                );
            }
            let health = http::Request::get(format!("http://{addr}/health"))
                .header("host", addr.to_string())
                .body(Full::new(Bytes::new()))?;
            if let Ok((status, _)) = load::once(addr, health).await
                && status.is_success()
            {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!("baryon serve did not become healthy within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let credentials = Credentials::read(&data_dir.join("credentials"))?;
        Ok(Self {
            child,
            addr,
            data_dir: data_dir.to_owned(),
            credentials,
        })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size of the engine process, in KiB (`VmRSS` of `/proc/<pid>/status`).
    pub fn rss_kib(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS in /proc/<pid>/status")
    }

    /// Calls one operation; fails unless it answers 200.
    pub async fn call(&self, operation: &str, input: &Value) -> Result<Value> {
        call_at(PROTON, self.addr, &self.credentials, operation, input).await
    }
}

/// Calls one operation of `service` at `addr`; fails unless it answers 200.
pub async fn call_at(
    service: Service,
    addr: SocketAddr,
    credentials: &Credentials,
    operation: &str,
    input: &Value,
) -> Result<Value> {
    let body = Bytes::from(serde_json::to_vec(input)?);
    let (status, answer) = load::once(
        addr,
        signed_for(service, addr, credentials, operation, &body)?,
    )
    .await?;
    if status != http::StatusCode::OK {
        bail!(
            "{operation} answered {status}: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    Ok(serde_json::from_slice(&answer)?)
}

impl Engine {
    /// Puts a bundle into the artifact store, as an upload would; returns the `source` member.
    pub fn put_bundle(&self, key: &str, files: &[(&str, &str)]) -> Result<Value> {
        let path = self.data_dir.join("buckets/bench").join(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, tar_gz(files)?)?;
        Ok(json!({"s3": {"bucket": "bench", "key": key}}))
    }

    /// Polls a Get operation until `field` of `member` leaves the given in-progress values.
    pub async fn wait_until_not(
        &self,
        operation: &str,
        input: &Value,
        member: &str,
        field: &str,
        in_progress: &[&str],
        poll: Duration,
    ) -> Result<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.call(operation, input).await?;
            let status = got[member][field].as_str().unwrap_or_default().to_owned();
            if !in_progress.contains(&status.as_str()) {
                return Ok(status);
            }
            if Instant::now() > deadline {
                bail!("{operation}: {field} still {status} after 30 s");
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Kills the engine with SIGKILL — no shutdown of any kind — and waits for it to exit.
    pub fn kill(&mut self) -> Result<()> {
        if self.child.try_wait()?.is_none() {
            // `Child::kill` is SIGKILL on Unix.
            self.child.kill()?;
        }
        self.child.wait()?;
        Ok(())
    }

    /// Stops the engine (SIGTERM, then SIGKILL after 10 s) and waits for it.
    pub fn stop(mut self) -> Result<()> {
        self.terminate()
    }

    fn terminate(&mut self) -> Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.terminate();
    }
}

/// Registers `template`'s fixture bundle as version 1.0 and publishes it.
pub async fn publish(
    engine: &Engine,
    root: &Path,
    family: &str,
    template: &str,
    extra: &Value,
) -> Result<()> {
    let files = fixture(root, template)?;
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    publish_files(engine, family, template, &borrowed, extra).await
}

/// Uploads `files` as `template`'s bundle, registers it as version 1.0 and publishes it.
pub async fn publish_files(
    engine: &Engine,
    family: &str,
    template: &str,
    files: &[(&str, &str)],
    extra: &Value,
) -> Result<()> {
    let source = engine.put_bundle(&format!("{template}/v1.tar.gz"), files)?;
    publish_source(engine, family, template, source, extra).await
}

/// Creates environment template `name` with `files` as its published version 1.0.
pub async fn new_environment_template(
    engine: &Engine,
    name: &str,
    files: &[(&str, &str)],
) -> Result<()> {
    engine
        .call("CreateEnvironmentTemplate", &json!({"name": name}))
        .await?;
    publish_files(engine, "Environment", name, files, &json!({})).await
}

/// Registers a bundle already in the artifact store as version 1.0 and publishes it.
pub async fn publish_source(
    engine: &Engine,
    family: &str,
    template: &str,
    source: Value,
    extra: &Value,
) -> Result<()> {
    let mut input = json!({"templateName": template, "source": source});
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        input.extend(extra.clone());
    }
    engine
        .call(&format!("Create{family}TemplateVersion"), &input)
        .await?;
    let version = json!({"templateName": template, "majorVersion": "1", "minorVersion": "0"});
    let member = format!("{}TemplateVersion", lower_first(family));
    let status = engine
        .wait_until_not(
            &format!("Get{family}TemplateVersion"),
            &version,
            &member,
            "status",
            &["REGISTRATION_IN_PROGRESS"],
            Duration::from_millis(20),
        )
        .await?;
    anyhow::ensure!(status == "DRAFT", "{template} registered as {status}");
    let mut update = version;
    update["status"] = json!("PUBLISHED");
    engine
        .call(&format!("Update{family}TemplateVersion"), &update)
        .await?;
    Ok(())
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// A `.tar.gz` of the given files.
pub fn tar_gz(files: &[(&str, &str)]) -> Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (name, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, text.as_bytes())?;
    }
    Ok(tar.into_inner()?.finish()?)
}

/// The files of a fixture template version (`tests/fixtures/templates/<name>/v1`).
pub fn fixture(root: &Path, name: &str) -> Result<Vec<(String, String)>> {
    let dir = root.join("tests/fixtures/templates").join(name).join("v1");
    let mut files = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(&dir)?
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push((rel, std::fs::read_to_string(&path)?));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A throwaway PostgreSQL cluster from the system's server binaries, as the conformance
/// harness starts one (trust auth on 127.0.0.1, fsync off; as user `postgres` when root).
pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    runuser: bool,
    port: u16,
}

impl Postgres {
    /// The newest `/usr/lib/postgresql/*/bin` holding `initdb` and `pg_ctl`, if any.
    pub fn find() -> Option<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
            .collect();
        dirs.sort_by_key(|d| {
            d.parent()
                .and_then(|v| v.file_name())
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0)
        });
        dirs.pop()
    }

    /// Starts a cluster under `dir`.
    pub fn start(bin: PathBuf, dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let as_postgres = is_root();
        if as_postgres {
            Command::new("chmod").arg("777").arg(dir).status()?;
        }
        let port = free_port()?;
        let pg = Self {
            bin,
            dir: dir.to_owned(),
            runuser: as_postgres,
            port,
        };
        let data = dir.join("data");
        pg.run(
            "initdb",
            &[
                "-D",
                &data.to_string_lossy(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        )?;
        pg.run(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-l",
                &dir.join("postgres.log").to_string_lossy(),
                "-w",
                "start",
                "-o",
                &format!(
                    "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                    dir.display()
                ),
            ],
        )?;
        pg.run(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "baryon",
            ],
        )?;
        Ok(pg)
    }

    /// The database URL for `baryon serve --database`.
    pub fn url(&self) -> String {
        self.url_of("baryon")
    }

    /// The URL of database `name` of this cluster.
    pub fn url_of(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates a further, empty database and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String> {
        self.run(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                name,
            ],
        )?;
        Ok(self.url_of(name))
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.runuser {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<()> {
        let out = self
            .command(tool)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {tool}"))?;
        if !out.status.success() {
            bail!(
                "{tool} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
