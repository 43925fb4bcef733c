//! The CodeBuild-style provisioner (`rendering_engine: codebuild`): instead of rendering IaC
//! files, it runs the manifest's `provision` (or, for a teardown, `deprovision`) commands with
//! `sh`, on this machine, in a fresh work directory holding the bundle's directory for the
//! resource and the rendered input file — as AWS Proton runs them in a CodeBuild project.
//!
//! The commands get, as on Proton, `RESOURCE_ARN` (and `DEPLOYMENT_ID`), plus
//! `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_REGION` pointing
//! at this engine, so `aws proton notify-resource-deployment-status-change --status
//! IN_PROGRESS --outputs …` reports outputs to it. Outputs also come from a
//! `proton-outputs.json` the commands leave in their directory. The exit status decides the
//! outcome; a non-zero exit fails the deployment with the log's last lines.
//!
//! Layout: `<data-dir>/codebuild/<account>/<deployment-id>/` with `workspace/` (the commands'
//! directory), `commands.sh`, `log` (stdout and stderr, kept after the deployment ends:
//! `baryon logs <deployment-id>`), `started`, `pgid` and, once the commands end, `exit`.
//!
//! The commands run detached from the engine (their own process group) and write `exit`
//! themselves, so a deployment survives an engine restart: the next poll finds the exit status.
//! A deployment whose commands run past the timeout, or that is cancelled, has its process
//! group killed. Off unless configured ([`CodeBuildConfig`]), because it runs commands.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use baryon_model::manifest::{CodeBuildSettings, RenderingEngine};
use baryon_model::proton::{Deployment, Output};

use crate::context::Cx;
use crate::credentials::Credentials;
use crate::error::ApiError;
use crate::provision::{BoxFuture, Progress, Provisioner, tears_down};

/// How CodeBuild-style provisioning runs on this engine.
#[derive(Clone)]
pub struct CodeBuildConfig {
    /// Where work directories and logs are kept (`<data-dir>/codebuild`).
    pub root: PathBuf,
    /// The URL the commands reach this engine's API at (`AWS_ENDPOINT_URL`).
    pub endpoint_url: String,
    /// The region the commands sign for.
    pub region: String,
    /// Key pairs by account: the commands of an account's deployment sign with its key pair.
    pub credentials: Vec<(String, Credentials)>,
    /// How long the commands may run.
    pub timeout: Duration,
}

impl std::fmt::Debug for CodeBuildConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeBuildConfig")
            .field("root", &self.root)
            .field("endpoint_url", &self.endpoint_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The CodeBuild-style provisioner.
#[derive(Debug, Clone)]
pub struct CodeBuild {
    config: CodeBuildConfig,
}

/// Why a codebuild template's deployment fails when the provisioner is off.
pub const DISABLED: &str = "This template provisions with CodeBuild (rendering_engine: codebuild), \
     which runs the manifest's commands on the Baryon engine's machine and is off; start the \
     engine with `baryon serve --codebuild` to allow it.";

/// The input file Proton's documentation names (`proton-input.json`), and the plural spelling
/// some bundles read; both are written.
/// How many lines of the log a failure message quotes.
const TAIL_LINES: usize = 15;

impl CodeBuild {
    /// A provisioner with this configuration.
    #[must_use]
    pub fn new(config: CodeBuildConfig) -> Self {
        Self { config }
    }

    fn dir(&self, cx: &Cx, d: &Deployment) -> PathBuf {
        self.config
            .root
            .join(&cx.config.account_id)
            .join(safe_name(&d.id))
    }

    async fn start_deployment(&self, cx: &Cx, d: &Deployment) -> Result<Progress, ApiError> {
        // A previous run of this step may have got as far as starting the commands.
        match self.check(cx, d).await? {
            Some(progress) => Ok(progress),
            None => self.launch(cx, d).await,
        }
    }

    async fn poll_deployment(&self, cx: &Cx, d: &Deployment) -> Result<Progress, ApiError> {
        match self.check(cx, d).await? {
            Some(progress) => Ok(progress),
            // Never started (or the work directory is gone): start now.
            None => self.launch(cx, d).await,
        }
    }

    async fn launch(&self, cx: &Cx, d: &Deployment) -> Result<Progress, ApiError> {
        let dir = self.dir(cx, d);
        let prepared = match crate::rendering::prepare(cx, d).await? {
            Ok(p) => p,
            Err(reason) => return Ok(Progress::Failed(reason)),
        };
        let settings = match codebuild_settings(&prepared) {
            Ok(s) => s,
            Err(reason) => return Ok(Progress::Failed(reason)),
        };
        let commands = if tears_down(cx, d).await? {
            &settings.deprovision
        } else {
            &settings.provision
        };
        if let Err(e) = Self::prepare_dir(&dir, &prepared, commands) {
            return Err(io_error("preparing the work directory", &dir, &e));
        }
        let Some(key) = self
            .config
            .credentials
            .iter()
            .find(|(account, _)| *account == cx.config.account_id)
            .map(|(_, c)| c)
        else {
            return Ok(Progress::Failed(format!(
                "no key pair for account {} to run the commands with",
                cx.config.account_id
            )));
        };
        let mut command = tokio::process::Command::new("sh");
        command
            .arg("-c")
            .arg("sh -e ../commands.sh >../log 2>&1; echo $? >../exit.tmp; mv ../exit.tmp ../exit")
            .current_dir(dir.join("workspace"))
            .env("RESOURCE_ARN", &d.target_arn)
            .env("DEPLOYMENT_ID", &d.id)
            .env("AWS_ENDPOINT_URL", &self.config.endpoint_url)
            .env("AWS_ACCESS_KEY_ID", &key.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &key.secret_access_key)
            .env("AWS_REGION", &self.config.region)
            .env("AWS_DEFAULT_REGION", &self.config.region)
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0);
        let child = command
            .spawn()
            .map_err(|e| io_error("starting the commands", &dir, &e))?;
        let pgid = child.id().unwrap_or_default();
        // The child is not awaited: it writes `exit` itself, and tokio reaps it.
        drop(child);
        let now = cx.clock.now().as_millis();
        std::fs::write(dir.join("pgid"), pgid.to_string())
            .and_then(|()| std::fs::write(dir.join("started"), now.to_string()))
            .map_err(|e| io_error("recording the commands", &dir, &e))?;
        tracing::info!(deployment = %d.id, pgid, "codebuild commands started");
        Ok(Progress::InProgress {
            poll_after: Duration::from_millis(100),
        })
    }

    /// A fresh work directory: the bundle's directory for the resource, the input file and the
    /// commands script.
    fn prepare_dir(
        dir: &Path,
        prepared: &crate::rendering::Prepared,
        commands: &[String],
    ) -> std::io::Result<()> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        let workspace = dir.join("workspace");
        std::fs::create_dir_all(&workspace)?;
        let prefix = if prepared.dir().is_empty() {
            String::new()
        } else {
            format!("{}/", prepared.dir())
        };
        for (path, bytes) in &prepared.files {
            let Some(rel) = path.strip_prefix(&prefix) else {
                continue;
            };
            let rel = Path::new(rel);
            // The bundle reader already refused anything else; never write outside.
            if rel.as_os_str().is_empty()
                || !rel.components().all(|c| matches!(c, Component::Normal(_)))
            {
                continue;
            }
            let target = workspace.join(rel);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(target, bytes)?;
        }
        let input = baryon_model::render::codebuild_input(&prepared.context);
        for name in baryon_model::render::CODEBUILD_INPUT_FILES {
            std::fs::write(workspace.join(name), &input)?;
        }
        let mut script = String::from("set -e\n");
        for c in commands {
            script.push_str(c);
            script.push('\n');
        }
        std::fs::write(dir.join("commands.sh"), script)?;
        Ok(())
    }

    /// Where commands already started stand; `None` when they never started.
    async fn check(&self, cx: &Cx, d: &Deployment) -> Result<Option<Progress>, ApiError> {
        let dir = self.dir(cx, d);
        match std::fs::read_to_string(dir.join("exit")) {
            Ok(code) => return self.finished(cx, d, &dir, code.trim()).await.map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("reading the exit status", &dir, &e)),
        }
        let Some(started) = std::fs::read_to_string(dir.join("started"))
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
        else {
            return Ok(None);
        };
        let elapsed = cx.clock.now().as_millis().saturating_sub(started);
        let timeout = i64::try_from(self.config.timeout.as_millis()).unwrap_or(i64::MAX);
        if elapsed > timeout {
            kill_group(&dir);
            return Ok(Some(Progress::Failed(format!(
                "the commands did not finish within {} s and were stopped{}",
                self.config.timeout.as_secs(),
                log_tail(&dir)
            ))));
        }
        // Quick commands finish quickly; long ones are looked at every 2 s.
        let poll_after = if elapsed < 5_000 {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(2)
        };
        Ok(Some(Progress::InProgress { poll_after }))
    }

    async fn finished(
        &self,
        cx: &Cx,
        d: &Deployment,
        dir: &Path,
        code: &str,
    ) -> Result<Progress, ApiError> {
        if code != "0" {
            let what = if tears_down(cx, d).await? {
                "deprovision"
            } else {
                "provision"
            };
            return Ok(Progress::Failed(format!(
                "the {what} commands failed with exit status {code}{}",
                log_tail(dir)
            )));
        }
        let mut outputs = crate::handlers::deployment::reported_outputs(cx, &d.id).await?;
        match std::fs::read(dir.join("workspace").join("proton-outputs.json")) {
            Ok(bytes) => match outputs_file(&bytes) {
                Ok(file) => merge_outputs(&mut outputs, file),
                Err(e) => {
                    return Ok(Progress::Failed(format!(
                        "the commands succeeded but proton-outputs.json can't be read: {e}"
                    )));
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("reading proton-outputs.json", dir, &e)),
        }
        // The log stays; the workspace (dependencies, build output) goes.
        if let Err(e) = std::fs::remove_dir_all(dir.join("workspace")) {
            tracing::warn!(deployment = %d.id, error = %e, "could not remove a work directory");
        }
        Ok(Progress::Succeeded(outputs))
    }
}

impl Provisioner for CodeBuild {
    fn name(&self) -> &'static str {
        "codebuild"
    }

    fn start<'a>(
        &'a self,
        cx: &'a Cx,
        d: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>> {
        Box::pin(self.start_deployment(cx, d))
    }

    fn poll<'a>(
        &'a self,
        cx: &'a Cx,
        d: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>> {
        Box::pin(self.poll_deployment(cx, d))
    }

    fn cancel<'a>(
        &'a self,
        cx: &'a Cx,
        d: &'a Deployment,
    ) -> BoxFuture<'a, Result<Progress, ApiError>> {
        Box::pin(async move {
            let dir = self.dir(cx, d);
            if !dir.join("exit").exists() {
                kill_group(&dir);
            }
            Ok(Progress::Cancelled)
        })
    }
}

/// Whether a deployment's template provisions with CodeBuild.
pub fn uses_codebuild(engine: Option<RenderingEngine>) -> bool {
    engine == Some(RenderingEngine::Codebuild)
}

fn codebuild_settings(prepared: &crate::rendering::Prepared) -> Result<CodeBuildSettings, String> {
    let manifest = prepared.manifest()?;
    manifest
        .infrastructure
        .templates
        .into_iter()
        .find(|t| t.rendering_engine == RenderingEngine::Codebuild)
        .and_then(|t| t.settings)
        .ok_or_else(|| "the manifest has no codebuild template with settings".to_owned())
}

/// The log of a deployment's commands, wherever its account's directory is.
pub fn find_log(root: &Path, deployment_id: &str) -> Option<PathBuf> {
    let name = safe_name(deployment_id);
    std::fs::read_dir(root)
        .ok()?
        .filter_map(Result::ok)
        .map(|account| account.path().join(&name).join("log"))
        .find(|p| p.is_file())
}

/// A deployment id as one path component (ids are UUIDs; anything else is made harmless).
fn safe_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn kill_group(dir: &Path) {
    let Some(pgid) = std::fs::read_to_string(dir.join("pgid"))
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    if let Err(e) = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL) {
        tracing::debug!(error = %e, "the commands' process group was already gone");
    }
}

fn log_tail(dir: &Path) -> String {
    let Ok(log) = std::fs::read(dir.join("log")) else {
        return String::new();
    };
    let log = String::from_utf8_lossy(&log);
    let lines: Vec<&str> = log.lines().collect();
    let tail = lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n");
    if tail.trim().is_empty() {
        String::new()
    } else {
        format!("; last lines of the log:\n{tail}")
    }
}

/// `proton-outputs.json`: `{"key": "value"}`, the AWS CDK's `--outputs-file` form
/// `{"Stack": {"key": "value"}}`, or a list of `{"key", "valueString"}` as
/// NotifyResourceDeploymentStatusChange takes; sorted by key.
fn outputs_file(bytes: &[u8]) -> Result<Vec<Output>, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = Vec::new();
    match value {
        serde_json::Value::Array(items) => {
            for item in items {
                let key = item["key"]
                    .as_str()
                    .ok_or("each output in the list needs a string \"key\"")?;
                out.push(Output {
                    key: Some(key.to_owned()),
                    value_string: item.get("valueString").map(text),
                });
            }
        }
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                if let serde_json::Value::Object(inner) = v {
                    for (k, v) in inner {
                        out.push(Output {
                            key: Some(k),
                            value_string: Some(text(&v)),
                        });
                    }
                } else {
                    out.push(Output {
                        key: Some(key),
                        value_string: Some(text(&v)),
                    });
                }
            }
        }
        _ => return Err("expected a JSON object or list".into()),
    }
    // Object members come in key order whatever serde_json's map is built with.
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// Later outputs replace earlier ones with the same key.
fn merge_outputs(into: &mut Vec<Output>, more: Vec<Output>) {
    for o in more {
        if let Some(existing) = into.iter_mut().find(|e| e.key == o.key) {
            *existing = o;
        } else {
            into.push(o);
        }
    }
}

fn io_error(what: &str, dir: &Path, e: &std::io::Error) -> ApiError {
    ApiError::InternalServer(format!("CodeBuild {what} in {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_file_reads_a_flat_object() {
        let out = outputs_file(br#"{"QueueUrl": "http://q", "Count": 3}"#).unwrap();
        assert_eq!(
            out,
            vec![
                Output {
                    key: Some("Count".into()),
                    value_string: Some("3".into())
                },
                Output {
                    key: Some("QueueUrl".into()),
                    value_string: Some("http://q".into())
                },
            ]
        );
    }

    #[test]
    fn outputs_file_reads_the_cdk_outputs_file_form() {
        let out = outputs_file(br#"{"MyStack": {"ssmParamOutput": "my-param"}}"#).unwrap();
        assert_eq!(
            out,
            vec![Output {
                key: Some("ssmParamOutput".into()),
                value_string: Some("my-param".into())
            }]
        );
    }

    #[test]
    fn outputs_file_reads_the_notify_list_form() {
        let out = outputs_file(br#"[{"key": "a", "valueString": "b"}]"#).unwrap();
        assert_eq!(
            out,
            vec![Output {
                key: Some("a".into()),
                value_string: Some("b".into())
            }]
        );
    }

    #[test]
    fn outputs_file_refuses_a_bare_string() {
        assert_eq!(
            outputs_file(br#""x""#).unwrap_err(),
            "expected a JSON object or list"
        );
    }

    #[test]
    fn later_outputs_replace_earlier_ones_with_the_same_key() {
        let mut outputs = vec![Output {
            key: Some("a".into()),
            value_string: Some("1".into()),
        }];
        merge_outputs(
            &mut outputs,
            vec![Output {
                key: Some("a".into()),
                value_string: Some("2".into()),
            }],
        );
        assert_eq!(outputs[0].value_string.as_deref(), Some("2"));
    }

    #[test]
    fn a_deployment_id_is_one_path_component() {
        assert_eq!(safe_name("../x/y"), "___x_y");
    }
}
