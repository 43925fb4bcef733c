//! The key pair the proxy signs with, found the usual AWS way:
//!
//! 1. an explicit profile (`--profile`) reads that profile of the shared credentials file;
//! 2. else `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`);
//! 3. else the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else
//!    `~/.aws/credentials`), profile `AWS_PROFILE`, else `default`.
//!
//! (The AWS CLI lets an explicit `--profile` win over credentials in the environment; so does
//! this.) Secrets never appear in `Debug` output or in error messages.

use std::path::PathBuf;

use crate::error::ProxyError;

/// An access key pair, with an optional session token.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyCredentials {
    /// The access key id (public).
    pub access_key_id: String,
    /// The secret access key (never logged).
    pub secret_access_key: String,
    /// A session token for temporary credentials (never logged).
    pub session_token: Option<String>,
}

impl std::fmt::Debug for ProxyCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Where the credentials were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
    Environment,
    /// A profile of a shared credentials file.
    SharedFile {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
    },
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Environment => f.write_str("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"),
            Self::SharedFile { path, profile } => {
                write!(f, "{} (profile {profile})", path.display())
            }
        }
    }
}

/// Reads one profile of an AWS shared credentials file (`[name]` sections; `[profile name]`
/// is accepted too). `None` when the profile is absent or lacks the key id or the secret.
pub fn parse_profile(text: &str, profile: &str) -> Option<ProxyCredentials> {
    let mut inside = false;
    let (mut id, mut secret, mut token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let section = section.trim();
            let name = section
                .strip_prefix("profile ")
                .map_or(section, str::trim_start);
            inside = name == profile;
        } else if inside && let Some((key, value)) = line.split_once('=') {
            let value = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
            match key.trim() {
                "aws_access_key_id" => id = value,
                "aws_secret_access_key" => secret = value,
                "aws_session_token" => token = value,
                _ => {}
            }
        }
    }
    Some(ProxyCredentials {
        access_key_id: id?,
        secret_access_key: secret?,
        session_token: token,
    })
}

/// Finds the credentials (see the module documentation). `env` looks a variable up (pass
/// `|k| std::env::var(k).ok()`), so tests need not touch the process environment.
pub fn resolve(
    profile: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(ProxyCredentials, CredentialSource), ProxyError> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    if profile.is_none() {
        match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
            (Some(access_key_id), Some(secret_access_key)) => {
                return Ok((
                    ProxyCredentials {
                        access_key_id,
                        secret_access_key,
                        session_token: var("AWS_SESSION_TOKEN"),
                    },
                    CredentialSource::Environment,
                ));
            }
            (None, None) => {}
            _ => {
                return Err(ProxyError::Credentials(
                    "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither".to_owned(),
                ));
            }
        }
    }
    let profile = profile
        .map(str::to_owned)
        .or_else(|| var("AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_owned());
    let path = if let Some(p) = var("AWS_SHARED_CREDENTIALS_FILE") {
        PathBuf::from(p)
    } else {
        {
            let home = var("HOME").ok_or_else(|| {
                ProxyError::Credentials(
                    "no credentials: AWS_ACCESS_KEY_ID is not set, and neither \
                     AWS_SHARED_CREDENTIALS_FILE nor HOME is set"
                        .to_owned(),
                )
            })?;
            PathBuf::from(home).join(".aws").join("credentials")
        }
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        ProxyError::Credentials(format!(
            "no credentials: reading {} (profile {profile}): {e}",
            path.display()
        ))
    })?;
    let credentials = parse_profile(&text, &profile).ok_or_else(|| {
        ProxyError::Credentials(format!(
            "no credentials: {} has no profile [{profile}] with aws_access_key_id and \
             aws_secret_access_key",
            path.display()
        ))
    })?;
    Ok((credentials, CredentialSource::SharedFile { path, profile }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const FILE: &str = "# comment\n[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d3f\n\n[profile work]\naws_access_key_id=AKIAWORK\naws_secret_access_key=w0rk\naws_session_token = tok\n[broken]\naws_access_key_id = AKIAONLY\n";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn file(name: &str) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("baryon-proxy-creds-{name}-{}", std::process::id()));
        std::fs::write(&path, FILE).unwrap();
        path
    }

    #[test]
    fn a_named_profile_with_a_session_token_is_read() {
        let c = parse_profile(FILE, "work").unwrap();
        assert_eq!(c.access_key_id, "AKIAWORK");
        assert_eq!(c.secret_access_key, "w0rk");
        assert_eq!(c.session_token.as_deref(), Some("tok"));
    }

    #[test]
    fn a_profile_without_a_secret_is_absent() {
        assert_eq!(parse_profile(FILE, "broken"), None);
        assert_eq!(parse_profile(FILE, "missing"), None);
    }

    #[test]
    fn environment_variables_win_when_no_profile_is_named() {
        let (c, source) = resolve(
            None,
            env(&[
                ("AWS_ACCESS_KEY_ID", "AKIAENV"),
                ("AWS_SECRET_ACCESS_KEY", "envsecret"),
                ("AWS_PROFILE", "work"),
            ]),
        )
        .unwrap();
        assert_eq!(c.access_key_id, "AKIAENV");
        assert_eq!(c.session_token, None);
        assert_eq!(source, CredentialSource::Environment);
    }

    #[test]
    fn an_explicit_profile_wins_over_environment_variables() {
        let path = file("explicit");
        let (c, source) = resolve(
            Some("work"),
            env(&[
                ("AWS_ACCESS_KEY_ID", "AKIAENV"),
                ("AWS_SECRET_ACCESS_KEY", "envsecret"),
                ("AWS_SHARED_CREDENTIALS_FILE", path.to_str().unwrap()),
            ]),
        )
        .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(c.access_key_id, "AKIAWORK");
        assert_eq!(
            source,
            CredentialSource::SharedFile {
                path,
                profile: "work".to_owned()
            }
        );
    }

    #[test]
    fn aws_profile_then_default_select_the_profile() {
        let path = file("profile");
        let p = path.to_str().unwrap();
        let (c, _) = resolve(
            None,
            env(&[("AWS_SHARED_CREDENTIALS_FILE", p), ("AWS_PROFILE", "work")]),
        )
        .unwrap();
        assert_eq!(c.access_key_id, "AKIAWORK");
        let (c, _) = resolve(None, env(&[("AWS_SHARED_CREDENTIALS_FILE", p)])).unwrap();
        assert_eq!(c.access_key_id, "AKIADEFAULT");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn the_home_credentials_file_is_the_fallback() {
        let home = std::env::temp_dir().join(format!("baryon-proxy-home-{}", std::process::id()));
        std::fs::create_dir_all(home.join(".aws")).unwrap();
        std::fs::write(home.join(".aws/credentials"), FILE).unwrap();
        let (c, _) = resolve(None, env(&[("HOME", home.to_str().unwrap())])).unwrap();
        std::fs::remove_dir_all(&home).unwrap();
        assert_eq!(c.access_key_id, "AKIADEFAULT");
    }

    #[test]
    fn half_set_environment_variables_are_an_error() {
        let e = resolve(None, env(&[("AWS_ACCESS_KEY_ID", "AKIAENV")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither"
        );
    }

    #[test]
    fn a_missing_profile_is_an_error_naming_file_and_profile_without_secrets() {
        let path = file("missing");
        let e = resolve(
            Some("nope"),
            env(&[("AWS_SHARED_CREDENTIALS_FILE", path.to_str().unwrap())]),
        )
        .unwrap_err();
        std::fs::remove_file(&path).unwrap();
        let message = e.to_string();
        assert!(message.contains("[nope]"), "{message}");
        assert!(message.contains(path.to_str().unwrap()), "{message}");
        assert!(!message.contains("d3f") && !message.contains("w0rk"));
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let c = parse_profile(FILE, "work").unwrap();
        let debug = format!("{c:?}");
        assert!(debug.contains("AKIAWORK"));
        assert!(
            !debug.contains("w0rk") && !debug.contains("\"tok\""),
            "{debug}"
        );
    }
}
