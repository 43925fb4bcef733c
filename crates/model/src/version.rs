//! Template versions (`MAJOR.MINOR`), version numbering, recommended versions and the
//! deployment-type rules of `UpdateEnvironment`, `UpdateServiceInstance` and
//! `UpdateServicePipeline`.
//!
//! Rules, as the Proton API reference states them:
//! - `CreateEnvironmentTemplateVersion` / `CreateServiceTemplateVersion`: "To create a new
//!   minor version of the template, include a `majorVersion`. To create a new major and minor
//!   version of the template, exclude `majorVersion`." See [`next_version`].
//! - The recommended version is the latest published version: the highest published minor of
//!   the highest major that has a published version. See [`recommended`].
//! - Deployment types: see [`check_version_change`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A template version, `MAJOR.MINOR`. Orders by major, then minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TemplateVersion {
    /// The major version: versions with different majors are not backward compatible.
    pub major: u32,
    /// The minor version within its major: backward compatible.
    pub minor: u32,
}

/// A malformed version number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// Not `MAJOR.MINOR`.
    #[error("{0:?} is not a template version: expected MAJOR.MINOR, such as \"1.0\"")]
    NotAVersion(String),
    /// A part is not a number without leading zeros.
    #[error("{0:?} is not a version number: expected 0 or a number without leading zeros")]
    BadPart(String),
    /// A part is too large.
    #[error("version number {0:?} is too large")]
    TooLarge(String),
}

impl TemplateVersion {
    /// A version.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// Parses `MAJOR.MINOR` (`^(0|([1-9]{1}\d*)).(0|([1-9]{1}\d*))$`, with a literal dot).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        let Some((major, minor)) = s.split_once('.') else {
            return Err(VersionError::NotAVersion(s.to_owned()));
        };
        if minor.contains('.') {
            return Err(VersionError::NotAVersion(s.to_owned()));
        }
        Ok(Self {
            major: parse_version_part(major)?,
            minor: parse_version_part(minor)?,
        })
    }
}

/// Parses one part of a version, such as a `templateMajorVersion`:
/// `^(0|([1-9]{1}\d*))$`, at most 20 characters (the API's limit), and fitting in 32 bits.
pub fn parse_version_part(s: &str) -> Result<u32, VersionError> {
    let valid = match s.as_bytes() {
        [] => false,
        [b'0'] => true,
        [first, rest @ ..] => (b'1'..=b'9').contains(first) && rest.iter().all(u8::is_ascii_digit),
    };
    if !valid {
        return Err(VersionError::BadPart(s.to_owned()));
    }
    s.parse::<u32>()
        .map_err(|_| VersionError::TooLarge(s.to_owned()))
}

impl fmt::Display for TemplateVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for TemplateVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The number of a new template version, given every existing version of the template (any
/// status) and the request's `majorVersion`.
///
/// - No major: a new major version, one above the highest existing major (`1.0` for a
///   template without versions), starting at minor `0`.
/// - A major: the next minor of that major, which must exist.
pub fn next_version(
    existing: impl IntoIterator<Item = TemplateVersion>,
    major: Option<u32>,
) -> Result<TemplateVersion, String> {
    let existing: Vec<TemplateVersion> = existing.into_iter().collect();
    match major {
        None => {
            let next = existing
                .iter()
                .map(|v| v.major)
                .max()
                .map_or(Some(1), |m| m.checked_add(1));
            next.map(|major| TemplateVersion::new(major, 0))
                .ok_or_else(|| "the template has reached the largest major version".to_owned())
        }
        Some(major) => {
            let minor = existing
                .iter()
                .filter(|v| v.major == major)
                .map(|v| v.minor)
                .max();
            match minor {
                None => Err(format!(
                    "major version {major} of the template does not exist; \
                     omit the major version to create a new major version"
                )),
                Some(minor) => minor
                    .checked_add(1)
                    .map(|minor| TemplateVersion::new(major, minor))
                    .ok_or_else(|| {
                        format!("major version {major} has reached the largest minor version")
                    }),
            }
        }
    }
}

/// The template's recommended version: the highest published minor of the highest major that
/// has a published version. `None` when nothing is published.
pub fn recommended(
    versions: impl IntoIterator<Item = (TemplateVersion, bool)>,
) -> Option<TemplateVersion> {
    versions
        .into_iter()
        .filter(|(_, published)| *published)
        .map(|(v, _)| v)
        .max()
}

/// The recommended minor version of `major`: its highest published minor. `None` when none of
/// its minors is published.
pub fn recommended_minor_for_major(
    versions: impl IntoIterator<Item = (TemplateVersion, bool)>,
    major: u32,
) -> Option<TemplateVersion> {
    versions
        .into_iter()
        .filter(|(v, published)| *published && v.major == major)
        .map(|(v, _)| v)
        .max()
}

/// The `deploymentType` of an update: how the template version may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentKind {
    /// `NONE`: no deployment; only metadata is updated.
    None,
    /// `CURRENT_VERSION`: redeploy the version in use with the new spec.
    CurrentVersion,
    /// `MINOR_VERSION`: move to another minor version of the major in use.
    MinorVersion,
    /// `MAJOR_VERSION`: move to a higher major version.
    MajorVersion,
}

impl DeploymentKind {
    /// The API value: `NONE`, `CURRENT_VERSION`, `MINOR_VERSION` or `MAJOR_VERSION`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::CurrentVersion => "CURRENT_VERSION",
            Self::MinorVersion => "MINOR_VERSION",
            Self::MajorVersion => "MAJOR_VERSION",
        }
    }

    /// The kind named by an API value.
    pub fn from_api(s: &str) -> Option<Self> {
        Some(match s {
            "NONE" => Self::None,
            "CURRENT_VERSION" => Self::CurrentVersion,
            "MINOR_VERSION" => Self::MinorVersion,
            "MAJOR_VERSION" => Self::MajorVersion,
            _ => return None,
        })
    }
}

impl fmt::Display for DeploymentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_published(available: &[(TemplateVersion, bool)], v: TemplateVersion) -> Option<bool> {
    available.iter().find(|(a, _)| *a == v).map(|(_, p)| *p)
}

fn require_published(
    available: &[(TemplateVersion, bool)],
    v: TemplateVersion,
) -> Result<TemplateVersion, String> {
    match is_published(available, v) {
        Some(true) => Ok(v),
        Some(false) => Err(format!("template version {v} is not published")),
        None => Err(format!("template version {v} does not exist")),
    }
}

/// The template version an update deploys, following the `deploymentType` rules:
///
/// - `NONE`: no deployment; the version stays `current`. Version parameters are refused.
/// - `CURRENT_VERSION`: redeploys `current`. "Don't include minor or major version parameters
///   when you use this deployment-type."
/// - `MINOR_VERSION`: "the published, recommended (latest) minor version of the current major
///   version in use, by default. You can also specify a different minor version of the current
///   major version in use." A given major must be the current one; the result must be
///   published and not lower than `current`.
/// - `MAJOR_VERSION`: "the published, recommended (latest) major and minor version of the
///   current template, by default. You can also specify a different major version that's
///   higher than the major version in use and a minor version (optional)." Without a minor,
///   the recommended minor of the given major. A minor needs a major.
///
/// `available` lists every version of the template with whether it is published.
pub fn check_version_change(
    kind: DeploymentKind,
    current: TemplateVersion,
    requested_major: Option<u32>,
    requested_minor: Option<u32>,
    available: &[(TemplateVersion, bool)],
) -> Result<TemplateVersion, String> {
    let versions = available.iter().copied();
    match kind {
        DeploymentKind::None | DeploymentKind::CurrentVersion => {
            if requested_major.is_some() || requested_minor.is_some() {
                return Err(format!(
                    "don't include templateMajorVersion or templateMinorVersion \
                     with deployment type {kind}"
                ));
            }
            Ok(current)
        }
        DeploymentKind::MinorVersion => {
            let in_use = current.major;
            if let Some(major) = requested_major
                && major != in_use
            {
                return Err(format!(
                    "deployment type MINOR_VERSION stays in major version {in_use} (in use); \
                     use MAJOR_VERSION to move to major version {major}"
                ));
            }
            let target = match requested_minor {
                Some(minor) => require_published(available, TemplateVersion::new(in_use, minor))?,
                None => recommended_minor_for_major(versions, in_use).ok_or_else(|| {
                    format!("major version {in_use} has no published minor version")
                })?,
            };
            if target < current {
                return Err(format!(
                    "deployment type MINOR_VERSION can't move from version {current} down to {target}"
                ));
            }
            Ok(target)
        }
        DeploymentKind::MajorVersion => match (requested_major, requested_minor) {
            (None, Some(_)) => Err("templateMinorVersion requires templateMajorVersion \
                 with deployment type MAJOR_VERSION"
                .to_owned()),
            (None, None) => {
                let target = recommended(versions)
                    .ok_or_else(|| "the template has no published version".to_owned())?;
                if target < current {
                    return Err(format!(
                        "the recommended version {target} is lower than the version in use \
                         ({current})"
                    ));
                }
                Ok(target)
            }
            (Some(major), minor) => {
                let in_use = current.major;
                if major <= in_use {
                    return Err(format!(
                        "deployment type MAJOR_VERSION moves to a major version higher than \
                         {in_use} (in use), not {major}; use MINOR_VERSION within major \
                         version {in_use}"
                    ));
                }
                match minor {
                    Some(minor) => require_published(available, TemplateVersion::new(major, minor)),
                    None => recommended_minor_for_major(versions, major).ok_or_else(|| {
                        format!("major version {major} has no published minor version")
                    }),
                }
            }
        },
    }
}
