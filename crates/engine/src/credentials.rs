//! The key pair clients sign with: from `BARYON_ACCESS_KEY_ID` / `BARYON_SECRET_ACCESS_KEY`,
//! else from `<data-dir>/credentials`, else generated on first start and written there as an
//! AWS shared-credentials file (profile `default`, mode 0600), so that
//! `AWS_SHARED_CREDENTIALS_FILE=<data-dir>/credentials aws proton ...` just works.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// An access key pair.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id (public).
    pub access_key_id: String,
    /// The secret access key (never logged).
    pub secret_access_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .finish()
    }
}

/// Where the credentials came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The environment variables.
    Environment,
    /// An existing credentials file.
    File(PathBuf),
    /// Newly generated and written to this file.
    Generated(PathBuf),
}

/// Errors reading or writing the credentials file.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// IO on the credentials file.
    #[error("credentials file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file has no usable `[default]` key pair.
    #[error("credentials file {0} has no aws_access_key_id / aws_secret_access_key in [default]")]
    Incomplete(PathBuf),
    /// Only one of the two environment variables is set.
    #[error("set both BARYON_ACCESS_KEY_ID and BARYON_SECRET_ACCESS_KEY, or neither")]
    HalfSetEnvironment,
    /// No randomness available.
    #[error("no randomness available: {0}")]
    Random(String),
}

const ALPHANUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_string(alphabet: &[u8], len: usize) -> Result<String, CredentialsError> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| CredentialsError::Random(e.to_string()))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
        .collect())
}

/// Parses the `[default]` profile of an AWS shared-credentials file.
pub fn parse_shared_credentials(text: &str) -> Option<Credentials> {
    parse_profile(text, "default")
}

/// Parses one profile of an AWS shared-credentials file.
pub fn parse_profile(text: &str, profile: &str) -> Option<Credentials> {
    let header = format!("[{profile}]");
    let mut inside = false;
    let (mut id, mut secret) = (None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == header;
        } else if inside && let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "aws_access_key_id" => id = Some(v.trim().to_owned()),
                "aws_secret_access_key" => secret = Some(v.trim().to_owned()),
                _ => {}
            }
        }
    }
    Some(Credentials {
        access_key_id: id?,
        secret_access_key: secret?,
    })
}

/// The shared-credentials profile holding an environment account's key pair.
pub fn account_profile(account_id: &str) -> String {
    format!("account-{account_id}")
}

fn generate() -> Result<Credentials, CredentialsError> {
    Ok(Credentials {
        access_key_id: format!("AKIA{}", random_string(ALPHANUM, 16)?),
        secret_access_key: random_string(SECRET_CHARS, 40)?,
    })
}

/// Appends a profile to the credentials file (created 0600 when absent) and syncs it.
fn append_profile(
    path: &Path,
    profile: &str,
    creds: &Credentials,
    comment: &str,
) -> Result<(), CredentialsError> {
    let io = |source| CredentialsError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    write!(
        file,
        "{comment}[{profile}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        creds.access_key_id, creds.secret_access_key
    )
    .and_then(|()| file.sync_all())
    .map_err(io)
}

/// The key pairs of further accounts this engine serves (environment accounts for
/// environment account connections): profile `account-<id>` of `<data-dir>/credentials`,
/// generated and appended on first start.
pub fn load_or_create_accounts(
    data_dir: &Path,
    accounts: &[String],
) -> Result<Vec<(String, Credentials)>, CredentialsError> {
    let path = data_dir.join("credentials");
    let mut out = Vec::new();
    for account in accounts {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(CredentialsError::Io {
                    path: path.clone(),
                    source,
                });
            }
        };
        let profile = account_profile(account);
        let creds = if let Some(c) = parse_profile(&text, &profile) {
            c
        } else {
            let c = generate()?;
            append_profile(&path, &profile, &c, "")?;
            c
        };
        out.push((account.clone(), creds));
    }
    Ok(out)
}

/// Loads (or creates) the engine's key pair.
pub fn load_or_create(data_dir: &Path) -> Result<(Credentials, Source), CredentialsError> {
    match (
        std::env::var("BARYON_ACCESS_KEY_ID"),
        std::env::var("BARYON_SECRET_ACCESS_KEY"),
    ) {
        (Ok(access_key_id), Ok(secret_access_key)) => {
            return Ok((
                Credentials {
                    access_key_id,
                    secret_access_key,
                },
                Source::Environment,
            ));
        }
        (Err(_), Err(_)) => {}
        _ => return Err(CredentialsError::HalfSetEnvironment),
    }
    let path = data_dir.join("credentials");
    let io = |source| CredentialsError::Io {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let creds = parse_shared_credentials(&text)
                .ok_or_else(|| CredentialsError::Incomplete(path.clone()))?;
            return Ok((creds, Source::File(path)));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let creds = generate()?;
    let comment = format!(
        "# Written by baryon on first start. Use with AWS_SHARED_CREDENTIALS_FILE={}\n",
        path.display()
    );
    append_profile(&path, "default", &creds, &comment)?;
    Ok((creds, Source::Generated(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_profile_is_read_from_a_shared_credentials_file() {
        let text = "[other]\naws_access_key_id = X\naws_secret_access_key = Y\n[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cr3t\n";
        let c = parse_shared_credentials(text).unwrap();
        assert_eq!(c.access_key_id, "AKIAEXAMPLE");
        assert_eq!(c.secret_access_key, "s3cr3t");
    }

    #[test]
    fn the_secret_never_appears_in_debug_output() {
        let c = Credentials {
            access_key_id: "AKIA1".into(),
            secret_access_key: "topsecret".into(),
        };
        assert!(!format!("{c:?}").contains("topsecret"));
    }
}
