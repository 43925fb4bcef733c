//! Git repositories linked with CreateRepository, through the `git` command line (see
//! ARCHITECTURE.md for why the CLI and not a library): a bare repository Baryon keeps under
//! `<data-dir>/repositories/<provider>/<owner>/<name>.git` (created by CreateRepository; users
//! clone it and push to it), or — when the provider is mapped to a git base URL — a mirror of
//! `<base><name>.git` fetched into `<data-dir>/repositories/.mirrors/`.
//!
//! Every command runs with a fixed argument vector (no shell), a timeout, `GIT_TERMINAL_PROMPT=0`
//! and no user or system configuration; remote URLs (which may carry credentials) never appear
//! in errors or logs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use baryon_model::proton::RepositoryProvider;

/// Git failures.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// `git` could not be started.
    #[error("git could not be run: {0}")]
    Spawn(String),
    /// A git command failed.
    #[error("git {command} failed: {stderr}")]
    Failed {
        /// The subcommand.
        command: String,
        /// What git said (never contains a remote URL).
        stderr: String,
    },
    /// A git command took too long.
    #[error("git {0} did not finish in time")]
    Timeout(String),
    /// A repository name that can't be a path.
    #[error("'{0}' is not a repository name Baryon can store (owner/name)")]
    InvalidName(String),
}

/// Where linked repositories live.
#[derive(Debug, Clone)]
pub struct Repositories {
    root: PathBuf,
    /// Provider (`GITHUB`, `GITHUB_ENTERPRISE`, `BITBUCKET`) → git base URL, e.g.
    /// `https://git.example.com/`; unmapped providers use local bare repositories.
    remotes: BTreeMap<String, String>,
}

/// How long one git command may take.
const TIMEOUT: Duration = Duration::from_mins(2);

impl Repositories {
    /// Repositories under `root` (`<data-dir>/repositories`), with the given remote mapping.
    pub fn new(root: impl Into<PathBuf>, remotes: BTreeMap<String, String>) -> Self {
        Self {
            root: root.into(),
            remotes,
        }
    }

    /// Whether a provider's repositories are remote (mapped to a base URL).
    pub fn is_remote(&self, provider: &RepositoryProvider) -> bool {
        self.remotes.contains_key(provider.as_str())
    }

    fn relative(provider: &RepositoryProvider, name: &str) -> Result<PathBuf, GitError> {
        let invalid = || GitError::InvalidName(name.to_owned());
        let (owner, repo) = name.split_once('/').ok_or_else(invalid)?;
        for part in [owner, repo] {
            if part.is_empty()
                || part.starts_with('.')
                || !part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            {
                return Err(invalid());
            }
        }
        Ok(PathBuf::from(provider.as_str().to_ascii_lowercase())
            .join(owner)
            .join(format!("{repo}.git")))
    }

    /// The local git directory of a repository: the bare repository itself, or the mirror of a
    /// remote one.
    pub fn dir(&self, provider: &RepositoryProvider, name: &str) -> Result<PathBuf, GitError> {
        let rel = Self::relative(provider, name)?;
        Ok(if self.is_remote(provider) {
            self.root.join(".mirrors").join(rel)
        } else {
            self.root.join(rel)
        })
    }

    /// Creates the bare repository of a local provider (default branch `main`); nothing for a
    /// remote one. An existing repository is kept.
    pub async fn create(&self, provider: &RepositoryProvider, name: &str) -> Result<(), GitError> {
        if self.is_remote(provider) {
            return Ok(());
        }
        let dir = self.dir(provider, name)?;
        if dir.join("HEAD").exists() {
            return Ok(());
        }
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| GitError::Spawn(e.to_string()))?;
        run(
            &dir,
            &["init", "--bare", "--quiet", "--initial-branch=main"],
            false,
        )
        .await?;
        Ok(())
    }

    /// Brings a remote repository's mirror up to date (clones it the first time); nothing for
    /// a local one.
    pub async fn refresh(&self, provider: &RepositoryProvider, name: &str) -> Result<(), GitError> {
        let Some(base) = self.remotes.get(provider.as_str()) else {
            return Ok(());
        };
        let dir = self.dir(provider, name)?;
        let url = format!("{base}{name}.git");
        if dir.join("HEAD").exists() {
            run(&dir, &["fetch", "--prune", "--quiet", "origin"], true).await?;
        } else {
            let parent = dir.parent().map(Path::to_path_buf).unwrap_or_default();
            tokio::fs::create_dir_all(&parent)
                .await
                .map_err(|e| GitError::Spawn(e.to_string()))?;
            let target = dir.to_string_lossy().into_owned();
            run(
                &parent,
                &["clone", "--mirror", "--quiet", &url, &target],
                true,
            )
            .await?;
        }
        Ok(())
    }
}

/// Runs `git <args>` in `dir`; `hide_stderr` when the output could name a remote URL.
async fn run(dir: &Path, args: &[&str], hide_stderr: bool) -> Result<Vec<u8>, GitError> {
    let command = args.first().copied().unwrap_or_default().to_owned();
    let child = tokio::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| GitError::Spawn(e.to_string()))?;
    let output = tokio::time::timeout(TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| GitError::Timeout(command.clone()))?
        .map_err(|e| GitError::Spawn(e.to_string()))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(GitError::Failed {
            command,
            stderr: if hide_stderr {
                "(details withheld: they may name the remote)".to_owned()
            } else {
                String::from_utf8_lossy(&output.stderr).trim().to_owned()
            },
        })
    }
}

/// The commit a branch points at, or `None` when the branch does not exist (yet).
pub async fn branch_head(repo: &Path, branch: &str) -> Result<Option<String>, GitError> {
    if branch.starts_with('-') || branch.contains("..") {
        return Ok(None);
    }
    match run(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}^{{commit}}"),
        ],
        false,
    )
    .await
    {
        Ok(out) => Ok(Some(String::from_utf8_lossy(&out).trim().to_owned())),
        Err(GitError::Failed { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The object id of `path` at `commit` (a tree or blob), or `None` when it does not exist.
pub async fn object_at(repo: &Path, commit: &str, path: &str) -> Result<Option<String>, GitError> {
    let spec = format!("{commit}:{path}");
    match run(repo, &["rev-parse", "--verify", "--quiet", &spec], false).await {
        Ok(out) => Ok(Some(String::from_utf8_lossy(&out).trim().to_owned())),
        Err(GitError::Failed { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The names of the directories directly inside `path` at `commit` (`""` for the root).
pub async fn subdirectories(
    repo: &Path,
    commit: &str,
    path: &str,
) -> Result<Vec<String>, GitError> {
    let spec = if path.is_empty() {
        commit.to_owned()
    } else {
        format!("{commit}:{path}")
    };
    let out = match run(repo, &["ls-tree", "-z", &spec], false).await {
        Ok(out) => out,
        Err(GitError::Failed { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(out
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let text = String::from_utf8_lossy(entry);
            let (meta, name) = text.split_once('\t')?;
            meta.split(' ')
                .nth(1)
                .filter(|t| *t == "tree")
                .map(|_| name.to_owned())
        })
        .collect())
}

/// A file's contents at `commit`, or `None` when it does not exist.
pub async fn file_at(repo: &Path, commit: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
    if object_at(repo, commit, path).await?.is_none() {
        return Ok(None);
    }
    run(
        repo,
        &["cat-file", "blob", &format!("{commit}:{path}")],
        false,
    )
    .await
    .map(Some)
}

/// The tree at `path` of `commit` as a `.tar.gz` whose root is that directory.
pub async fn archive(repo: &Path, commit: &str, path: &str) -> Result<Vec<u8>, GitError> {
    run(
        repo,
        &["archive", "--format=tar.gz", &format!("{commit}:{path}")],
        false,
    )
    .await
}
