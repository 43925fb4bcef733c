//! Template bundles (`.tar.gz`), read entirely in memory — nothing is ever written to disk,
//! so no entry can land outside its directory — with limits against decompression bombs,
//! and checked the way Proton registers a version: `schema/schema.yaml` plus
//! `infrastructure/` (environment templates) or `instance_infrastructure/` and an optional
//! `pipeline_infrastructure/` (service templates), each with a valid `manifest.yaml` whose
//! template files exist.

use std::collections::BTreeMap;
use std::io::Read;

use baryon_model::manifest::{self, RenderingEngine};
use baryon_model::schema;

/// Largest compressed bundle accepted.
pub const MAX_COMPRESSED_BYTES: usize = 20 * 1024 * 1024;
/// Largest total of uncompressed file contents.
pub const MAX_UNCOMPRESSED_BYTES: u64 = 100 * 1024 * 1024;
/// Most entries (files and directories) in a bundle.
pub const MAX_ENTRIES: usize = 2_000;

/// Why a bundle cannot be registered; the message is what `statusMessage` says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BundleError(pub String);

fn err(msg: impl Into<String>) -> BundleError {
    BundleError(msg.into())
}

/// The files of a bundle, by normalized relative path (`schema/schema.yaml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bundle {
    /// File contents by path.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Which kind of template a bundle is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateKind {
    /// An environment template: `schema/` + `infrastructure/`.
    Environment,
    /// A service template: `schema/` + `instance_infrastructure/` (+ `pipeline_infrastructure/`).
    Service,
}

/// Normalizes an entry path; refuses absolute paths and any `..`.
fn normalize(raw: &str) -> Result<Option<String>, BundleError> {
    if raw.starts_with('/') || raw.contains('\\') || raw.contains('\0') {
        return Err(err(format!(
            "the bundle entry '{raw}' has an absolute or invalid path"
        )));
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(err(format!(
                    "the bundle entry '{raw}' leaves the bundle ('..')"
                )));
            }
            p => parts.push(p),
        }
    }
    Ok(if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    })
}

/// Reads a `.tar.gz` bundle into memory.
pub fn read(compressed: &[u8]) -> Result<Bundle, BundleError> {
    if compressed.len() > MAX_COMPRESSED_BYTES {
        return Err(err(format!(
            "the bundle is {} bytes; the limit is {MAX_COMPRESSED_BYTES} bytes",
            compressed.len()
        )));
    }
    let gz = flate2::read::GzDecoder::new(compressed);
    // The reader itself stops a bomb: it never yields more than the limit (+1 to detect it).
    let mut archive = tar::Archive::new(gz.take(MAX_UNCOMPRESSED_BYTES * 2));
    let mut bundle = Bundle::default();
    let mut total: u64 = 0;
    let entries = archive
        .entries()
        .map_err(|e| err(format!("the bundle is not a readable .tar.gz archive: {e}")))?;
    for (count, entry) in entries.enumerate() {
        if count >= MAX_ENTRIES {
            return Err(err(format!(
                "the bundle has more than {MAX_ENTRIES} entries"
            )));
        }
        let mut entry =
            entry.map_err(|e| err(format!("the bundle is not a readable .tar.gz archive: {e}")))?;
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let path = normalize(&raw_path)?;
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(err(format!(
                "the bundle entry '{raw_path}' is a link; links are not allowed in template bundles"
            )));
        }
        if kind.is_pax_global_extensions()
            || kind.is_pax_local_extensions()
            || kind.is_gnu_longname()
            || kind.is_gnu_longlink()
        {
            continue;
        }
        if !kind.is_file() {
            return Err(err(format!(
                "the bundle entry '{raw_path}' is not a regular file"
            )));
        }
        let Some(path) = path else { continue };
        let size = entry.header().size().unwrap_or(u64::MAX);
        total = total.saturating_add(size);
        if total > MAX_UNCOMPRESSED_BYTES {
            return Err(err(format!(
                "the bundle expands to more than {MAX_UNCOMPRESSED_BYTES} bytes"
            )));
        }
        let mut contents = Vec::with_capacity(usize::try_from(size.min(1 << 20)).unwrap_or(0));
        entry
            .by_ref()
            .take(size)
            .read_to_end(&mut contents)
            .map_err(|e| err(format!("the bundle entry '{raw_path}' cannot be read: {e}")))?;
        if bundle.files.insert(path.clone(), contents).is_some() {
            return Err(err(format!("the bundle has two entries for '{path}'")));
        }
    }
    Ok(strip_single_root(bundle))
}

/// Bundles made with `tar czf b.tar.gz v1/` have everything under one directory; look inside it.
fn strip_single_root(bundle: Bundle) -> Bundle {
    if bundle.files.contains_key("schema/schema.yaml") {
        return bundle;
    }
    let roots: std::collections::BTreeSet<&str> = bundle
        .files
        .keys()
        .filter_map(|p| p.split_once('/').map(|(r, _)| r))
        .collect();
    let all_nested = bundle.files.keys().all(|p| p.contains('/'));
    match (roots.len(), all_nested) {
        (1, true) => {
            let root = format!("{}/", roots.iter().next().copied().unwrap_or_default());
            Bundle {
                files: bundle
                    .files
                    .into_iter()
                    .map(|(p, c)| (p.strip_prefix(&root).unwrap_or(&p).to_owned(), c))
                    .collect(),
            }
        }
        _ => bundle,
    }
}

impl Bundle {
    fn text(&self, path: &str) -> Result<&str, BundleError> {
        let bytes = self
            .files
            .get(path)
            .ok_or_else(|| err(format!("the bundle has no {path}")))?;
        std::str::from_utf8(bytes).map_err(|_| err(format!("{path} is not UTF-8 text")))
    }

    fn check_infrastructure(&self, dir: &str) -> Result<(), BundleError> {
        let manifest_path = format!("{dir}/manifest.yaml");
        let text = self.text(&manifest_path)?;
        let manifest = manifest::parse_manifest(text).map_err(|diags| {
            let first = diags.first().map_or_else(String::new, |d| {
                format!(" at line {}, column {}: {}", d.line, d.col, d.message)
            });
            err(format!("{manifest_path} is invalid{first}"))
        })?;
        for t in &manifest.infrastructure.templates {
            if t.rendering_engine == RenderingEngine::Codebuild {
                continue;
            }
            match t.file.as_deref() {
                Some("*") => {
                    let prefix = format!("{dir}/");
                    if !self
                        .files
                        .keys()
                        .any(|p| p.starts_with(&prefix) && p != &manifest_path)
                    {
                        return Err(err(format!(
                            "{dir}/ has no template files besides manifest.yaml"
                        )));
                    }
                }
                Some(file) => {
                    let path = format!("{dir}/{file}");
                    if !self.files.contains_key(&path) {
                        return Err(err(format!(
                            "{manifest_path} names {file}, which is not in the bundle"
                        )));
                    }
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Checks the bundle for a template of `kind`; on success returns `schema.yaml`'s text.
    pub fn validate(&self, kind: TemplateKind) -> Result<String, BundleError> {
        let schema_text = self.text("schema/schema.yaml")?;
        let parsed = schema::parse_schema(schema_text).map_err(|diags| {
            let first = diags.first().map_or_else(String::new, |d| {
                format!(" at line {}, column {}: {}", d.line, d.col, d.message)
            });
            err(format!("schema/schema.yaml is invalid{first}"))
        })?;
        match kind {
            TemplateKind::Environment => {
                if !parsed.is_environment_template() {
                    return Err(err(
                        "schema/schema.yaml has no environment_input_type; it is not an environment template schema",
                    ));
                }
                self.check_infrastructure("infrastructure")?;
            }
            TemplateKind::Service => {
                if !parsed.is_service_template() {
                    return Err(err(
                        "schema/schema.yaml has no service_input_type; it is not a service template schema",
                    ));
                }
                self.check_infrastructure("instance_infrastructure")?;
                let has_pipeline = self
                    .files
                    .keys()
                    .any(|p| p.starts_with("pipeline_infrastructure/"));
                if has_pipeline {
                    self.check_infrastructure("pipeline_infrastructure")?;
                }
                if parsed.pipeline_input_type.is_some() && !has_pipeline {
                    return Err(err(
                        "schema/schema.yaml declares pipeline_input_type but the bundle has no pipeline_infrastructure/",
                    ));
                }
            }
        }
        Ok(schema_text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (path, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, path, *data).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn paths_are_normalized_and_dot_segments_dropped() {
        assert_eq!(
            normalize("./schema//schema.yaml"),
            Ok(Some("schema/schema.yaml".into()))
        );
        assert_eq!(normalize("./"), Ok(None));
    }

    #[test]
    fn parent_segments_and_absolute_paths_are_refused() {
        assert!(normalize("a/../../b").is_err());
        assert!(normalize("/etc/passwd").is_err());
    }

    #[test]
    fn a_single_top_level_directory_is_looked_into() {
        let b = read(&tar_gz(&[
            ("v1/schema/schema.yaml", b"x"),
            ("v1/infrastructure/manifest.yaml", b"y"),
        ]))
        .unwrap();
        assert_eq!(
            b.files.keys().collect::<Vec<_>>(),
            ["infrastructure/manifest.yaml", "schema/schema.yaml"]
        );
    }

    #[test]
    fn something_that_is_not_gzip_is_refused_with_a_reason() {
        let e = read(b"not a tarball").unwrap_err();
        assert!(
            e.0.starts_with("the bundle is not a readable .tar.gz archive"),
            "{e}"
        );
    }

    #[test]
    fn a_complete_environment_bundle_validates_and_yields_its_schema() {
        let schema = b"schema:\n  format:\n    openapi: \"3.0.0\"\n  environment_input_type: \"In\"\n  types:\n    In:\n      type: object\n      properties:\n        a:\n          type: string\n";
        let manifest = b"infrastructure:\n  templates:\n    - file: \"cfn.yaml\"\n      rendering_engine: jinja\n      template_language: cloudformation\n";
        let b = read(&tar_gz(&[
            ("schema/schema.yaml", schema),
            ("infrastructure/manifest.yaml", manifest),
            ("infrastructure/cfn.yaml", b"Resources: {}\n"),
        ]))
        .unwrap();
        assert_eq!(
            b.validate(TemplateKind::Environment).unwrap().as_bytes(),
            schema
        );
        assert_eq!(
            b.validate(TemplateKind::Service).unwrap_err().0,
            "schema/schema.yaml has no service_input_type; it is not a service template schema"
        );
    }
}
