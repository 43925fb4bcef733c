//! The artifact store template versions are registered from: `source.s3 {bucket, key}` read
//! from `<data-dir>/buckets/<bucket>/<key>`. Bucket names follow S3's rules and keys are
//! checked so that no read or write can leave the bucket directory.
//!
//! Writes ([`ArtifactStore::create`]) go to a temporary file under `<root>/.uploads` (never a
//! bucket: bucket names start with a letter or digit) and are renamed into place on
//! [`PendingObject::commit`], so an object is either absent or complete; dropping an
//! uncommitted [`PendingObject`] removes its temporary file.

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
    /// The object could not be written.
    #[error("the object s3://{bucket}/{key} could not be written: {message}")]
    Write {
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

impl ArtifactStore {
    /// Starts writing an object: bucket and key are checked, then bytes given to
    /// [`PendingObject::write`] go to a temporary file until [`PendingObject::commit`].
    pub async fn create(&self, bucket: &str, key: &str) -> Result<PendingObject, ArtifactError> {
        let dest = self.path(bucket, key)?;
        let uploads = self.root.join(".uploads");
        let temp = uploads.join(format!("{}.part", uuid::Uuid::new_v4().simple()));
        let write_error = |e: std::io::Error| ArtifactError::Write {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            message: e.to_string(),
        };
        tokio::fs::create_dir_all(&uploads)
            .await
            .map_err(write_error)?;
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .await
            .map_err(write_error)?;
        Ok(PendingObject {
            file: Some(file),
            temp,
            dest,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            written: 0,
            committed: false,
        })
    }
}

/// An object being written (see [`ArtifactStore::create`]).
#[derive(Debug)]
pub struct PendingObject {
    file: Option<tokio::fs::File>,
    temp: PathBuf,
    dest: PathBuf,
    bucket: String,
    key: String,
    written: u64,
    committed: bool,
}

impl PendingObject {
    fn error(&self, e: &std::io::Error) -> ArtifactError {
        ArtifactError::Write {
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            message: e.to_string(),
        }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Appends bytes to the temporary file.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), ArtifactError> {
        use tokio::io::AsyncWriteExt as _;
        let Some(file) = self.file.as_mut() else {
            return Err(self.error(&std::io::Error::other("already committed")));
        };
        if let Err(e) = file.write_all(bytes).await {
            return Err(self.error(&e));
        }
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Flushes the temporary file to disk and renames it to the object's path (creating the
    /// key's directories). Returns that path.
    pub async fn commit(mut self) -> Result<PathBuf, ArtifactError> {
        if let Some(file) = self.file.take() {
            file.sync_all().await.map_err(|e| self.error(&e))?;
        }
        if let Some(parent) = self.dest.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| self.error(&e))?;
        }
        tokio::fs::rename(&self.temp, &self.dest)
            .await
            .map_err(|e| self.error(&e))?;
        self.committed = true;
        Ok(self.dest.clone())
    }
}

impl Drop for PendingObject {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: a leftover `.part` file is never read as an object.
            let _ = std::fs::remove_file(&self.temp);
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

    fn temp_root(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "baryon-artifacts-{name}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return out;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    #[tokio::test]
    async fn a_committed_object_is_readable_at_its_key() {
        let root = temp_root("commit");
        let s = ArtifactStore::new(&root);
        let mut object = s.create("my-bucket", "env/v1.tar.gz").await.unwrap();
        object.write(b"hello ").await.unwrap();
        object.write(b"world").await.unwrap();
        assert_eq!(object.written(), 11);
        let path = object.commit().await.unwrap();
        assert_eq!(path, root.join("my-bucket/env/v1.tar.gz"));
        assert_eq!(
            s.get("my-bucket", "env/v1.tar.gz").await.unwrap(),
            b"hello world"
        );
        assert_eq!(files_under(&root), vec![path]);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[tokio::test]
    async fn an_uncommitted_object_leaves_nothing_behind() {
        let root = temp_root("drop");
        let s = ArtifactStore::new(&root);
        let mut object = s.create("my-bucket", "a.tar.gz").await.unwrap();
        object.write(b"partial").await.unwrap();
        drop(object);
        assert_eq!(files_under(&root), Vec::<PathBuf>::new());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[tokio::test]
    async fn a_write_to_a_key_that_leaves_the_bucket_is_refused_before_any_file() {
        let root = temp_root("refuse");
        let s = ArtifactStore::new(&root);
        let e = s.create("my-bucket", "../escape").await.unwrap_err();
        assert_eq!(e, ArtifactError::InvalidKey("../escape".to_owned()));
        assert_eq!(files_under(&root), Vec::<PathBuf>::new());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
