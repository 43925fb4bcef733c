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
        if !dir.join("HEAD").exists() {
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(|e| GitError::Spawn(e.to_string()))?;
            run(
                &dir,
                &["init", "--bare", "--quiet", "--initial-branch=main"],
                false,
            )
            .await?;
        }
        install_push_hook(&dir).await
    }

    /// The file every local repository's `post-receive` hook touches after a push: the sync
    /// worker watches it (`<data-dir>/repositories/.pushed`).
    pub fn push_trigger(&self) -> PathBuf {
        self.root.join(".pushed")
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

/// Installs (or refreshes) the `post-receive` hook of a bare repository under the root
/// (`<root>/<provider>/<owner>/<name>.git`): it touches `<root>/.pushed`, relative to the
/// repository, so no path is ever written into a shell script.
async fn install_push_hook(dir: &Path) -> Result<(), GitError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |e: std::io::Error| GitError::Spawn(format!("installing the push hook: {e}"));
    let hooks = dir.join("hooks");
    tokio::fs::create_dir_all(&hooks).await.map_err(io)?;
    let hook = hooks.join("post-receive");
    tokio::fs::write(
        &hook,
        "#!/bin/sh\n# Baryon: a push starts template and service sync at once.\ntouch ../../../.pushed 2>/dev/null || true\n",
    )
    .await
    .map_err(io)?;
    tokio::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
        .await
        .map_err(io)?;
    Ok(())
}

/// Who Baryon's commits are by.
const IDENTITY: [(&str, &str); 4] = [
    ("GIT_AUTHOR_NAME", "Baryon"),
    ("GIT_AUTHOR_EMAIL", "baryon@localhost"),
    ("GIT_COMMITTER_NAME", "Baryon"),
    ("GIT_COMMITTER_EMAIL", "baryon@localhost"),
];

impl Repositories {
    /// Proposes a change as a branch, the way Proton opens a pull request: a commit on
    /// `new_branch`, based on `base_branch` (when it exists), whose tree is the base's with
    /// `dir/` replaced by `files` (paths relative to `dir`; none removes the directory). A
    /// remote repository's branch is pushed to the remote. Idempotent: an existing
    /// `new_branch` is kept. Returns the branch's commit.
    pub async fn propose(
        &self,
        provider: &RepositoryProvider,
        name: &str,
        change: &Change<'_>,
    ) -> Result<String, GitError> {
        self.create(provider, name).await?;
        self.refresh(provider, name).await?;
        let repo = self.dir(provider, name)?;
        let commit = match branch_head(&repo, change.new_branch).await? {
            Some(existing) => existing,
            None => commit_tree(&repo, change).await?,
        };
        if let Some(base) = self.remotes.get(provider.as_str()) {
            let url = format!("{base}{name}.git");
            let refspec = format!("refs/heads/{0}:refs/heads/{0}", change.new_branch);
            run(&repo, &["push", "--quiet", &url, &refspec], true).await?;
        }
        Ok(commit)
    }
}

/// A change [`Repositories::propose`] makes.
#[derive(Debug)]
pub struct Change<'a> {
    /// The branch it is based on.
    pub base_branch: &'a str,
    /// The branch it creates.
    pub new_branch: &'a str,
    /// The directory it replaces (no leading or trailing `/`).
    pub dir: &'a str,
    /// The directory's new files (paths relative to `dir`).
    pub files: &'a [(String, Vec<u8>)],
    /// The commit message.
    pub message: &'a str,
}

async fn commit_tree(repo: &Path, change: &Change<'_>) -> Result<String, GitError> {
    let invalid = |what: &str| GitError::InvalidName(what.to_owned());
    if change.new_branch.starts_with('-') || change.new_branch.contains("..") {
        return Err(invalid(change.new_branch));
    }
    let base = branch_head(repo, change.base_branch).await?;
    let index = repo.join(format!(
        "baryon-index-{}",
        change.new_branch.replace(['/', '.'], "-")
    ));
    let index_str = index.to_string_lossy().into_owned();
    let env = [("GIT_INDEX_FILE", index_str.as_str())];
    let result = async {
        match &base {
            Some(commit) => run_with(repo, &["read-tree", commit], &env, None, false).await?,
            None => run_with(repo, &["read-tree", "--empty"], &env, None, false).await?,
        };
        let prefix = format!("{}/", change.dir);
        let listed = run_with(repo, &["ls-files", "-z", "--", &prefix], &env, None, false).await?;
        let mut info = Vec::new();
        for old in listed.split(|b| *b == 0).filter(|p| !p.is_empty()) {
            info.extend_from_slice(b"0 0000000000000000000000000000000000000000\t");
            info.extend_from_slice(old);
            info.push(0);
        }
        for (path, bytes) in change.files {
            if path
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == "..")
            {
                return Err(invalid(path));
            }
            let blob = run_with(
                repo,
                &["hash-object", "-w", "--stdin"],
                &[],
                Some(bytes),
                false,
            )
            .await?;
            let blob = String::from_utf8_lossy(&blob).trim().to_owned();
            info.extend_from_slice(format!("100644 {blob}\t{prefix}{path}").as_bytes());
            info.push(0);
        }
        run_with(
            repo,
            &["update-index", "-z", "--index-info"],
            &env,
            Some(&info),
            false,
        )
        .await?;
        let tree = run_with(repo, &["write-tree"], &env, None, false).await?;
        let tree = String::from_utf8_lossy(&tree).trim().to_owned();
        let mut args = vec!["commit-tree", tree.as_str(), "-m", change.message];
        if let Some(parent) = &base {
            args.extend(["-p", parent.as_str()]);
        }
        let commit = run_with(repo, &args, &IDENTITY, None, false).await?;
        let commit = String::from_utf8_lossy(&commit).trim().to_owned();
        let reference = format!("refs/heads/{}", change.new_branch);
        // Create-only: a concurrent run that created the branch first wins.
        run(
            repo,
            &[
                "update-ref",
                &reference,
                &commit,
                "0000000000000000000000000000000000000000",
            ],
            false,
        )
        .await?;
        Ok(commit)
    }
    .await;
    let _ = tokio::fs::remove_file(&index).await;
    match result {
        Err(GitError::Failed { command, .. }) if command == "update-ref" => {
            branch_head(repo, change.new_branch)
                .await?
                .ok_or_else(|| invalid(change.new_branch))
        }
        other => other,
    }
}

/// Runs `git <args>` in `dir`; `hide_stderr` when the output could name a remote URL.
async fn run(dir: &Path, args: &[&str], hide_stderr: bool) -> Result<Vec<u8>, GitError> {
    run_with(dir, args, &[], None, hide_stderr).await
}

/// [`run`] with extra environment variables and bytes on stdin.
async fn run_with(
    dir: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
    stdin: Option<&[u8]>,
    hide_stderr: bool,
) -> Result<Vec<u8>, GitError> {
    use tokio::io::AsyncWriteExt;
    let command = args.first().copied().unwrap_or_default().to_owned();
    let mut child = tokio::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("LC_ALL", "C")
        .envs(envs.iter().copied())
        .stdin(if stdin.is_some() {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| GitError::Spawn(e.to_string()))?;
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(bytes)
            .await
            .map_err(|e| GitError::Spawn(e.to_string()))?;
        drop(pipe);
    }
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
