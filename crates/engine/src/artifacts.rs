//! The artifact store template versions are registered from: `source.s3 {bucket, key}` read
//! from `<data-dir>/buckets/<bucket>/<key>`. Bucket names follow S3's rules and keys are
//! checked so that no read can leave the bucket directory.

use std::path::{Path, PathBuf};

/// Why an object cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    /// The bucket name is not a valid S3 bucket name.
    #[error("'{0}' is not a valid bucket name")]
    InvalidBucket(String),
    /// The key would leave the bucket (absolute, `..`, empty segment or NUL).
    #[error("'{0}' is not a valid object key")]
    InvalidKey(String),
    /// No such object.
    #[error("the object s3://{bucket}/{key} was not found")]
    NotFound {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
    },
    /// The object could not be read.
    #[error("the object s3://{bucket}/{key} could not be read: {message}")]
    Io {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// The IO error.
        message: String,
    },
}

/// A directory of buckets.
#[derive(Debug, Clone)]
pub struct ArtifactStore {
    root: PathBuf,
}

fn valid_bucket(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
        && b.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && b.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric)
        && !b.contains("..")
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && !k.starts_with('/')
        && !k.contains('\0')
        && !k.contains('\\')
        && k.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

impl ArtifactStore {
    /// A store rooted at `root` (normally `<data-dir>/buckets`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where an object lives, after checking bucket and key.
    pub fn path(&self, bucket: &str, key: &str) -> Result<PathBuf, ArtifactError> {
        if !valid_bucket(bucket) {
            return Err(ArtifactError::InvalidBucket(bucket.to_owned()));
        }
        if !valid_key(key) {
            return Err(ArtifactError::InvalidKey(key.to_owned()));
        }
        Ok(self.root.join(bucket).join(key))
    }

    /// Reads an object.
    pub async fn get(&self, bucket: &str, key: &str) -> Result<Vec<u8>, ArtifactError> {
        let path = self.path(bucket, key)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ArtifactError::NotFound {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            }),
            Err(e) => Err(ArtifactError::Io {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                message: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_leave_the_bucket_are_refused() {
        let s = ArtifactStore::new("/data/buckets");
        for key in ["../x", "a/../../x", "/etc/passwd", "a//b", "a\\b", "./a"] {
            assert_eq!(
                s.path("bucket", key),
                Err(ArtifactError::InvalidKey(key.to_owned())),
                "{key}"
            );
        }
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        let s = ArtifactStore::new("/data/buckets");
        for b in ["", "ab", "Upper", "..", "a..b", "-ab", "ab-", "a/b"] {
            assert!(s.path(b, "k").is_err(), "{b}");
        }
        assert_eq!(
            s.path("my-templates", "env/v1.tar.gz").unwrap(),
            PathBuf::from("/data/buckets/my-templates/env/v1.tar.gz")
        );
    }
}
