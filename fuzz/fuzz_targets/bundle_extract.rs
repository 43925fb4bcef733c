//! A template bundle as registration reads it (`bundle::read`, in memory) and checks it
//! (`Bundle::validate`). The first byte's bit 0 says whether the rest is a whole `.tar.gz`
//! (as uploaded) or a plain tar that is gzipped here first, so the fuzzer can reach tar
//! headers without fighting gzip's checksums; bit 1 picks the template kind. Bad bundles must be
//! a `BundleError`, never a panic, and no file may be placed outside the bundle's directory.
#![no_main]

use std::io::Write;

use baryon_engine::bundle::{self, TemplateKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let compressed = if flags & 1 == 0 {
        rest.to_vec()
    } else {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        if gz.write_all(rest).is_err() {
            return;
        }
        match gz.finish() {
            Ok(v) => v,
            Err(_) => return,
        }
    };
    let kind = if flags & 2 == 0 {
        TemplateKind::Environment
    } else {
        TemplateKind::Service
    };
    let Ok(read) = bundle::read(&compressed) else {
        return;
    };
    for path in read.files.keys() {
        assert!(
            !path.is_empty()
                && !path.starts_with('/')
                && path
                    .split('/')
                    .all(|part| !part.is_empty() && part != "." && part != ".."),
            "a bundle path leaves its directory: {path:?}"
        );
    }
    let _ = read.validate(kind);
});
