//! Proton YAML documents: the input is `schema.yaml`, a NUL byte, then a spec file. The schema
//! and the spec are parsed alone and together (`validate_spec`, defaults applied), and the
//! second document is also read as a bundle's `manifest.yaml`. Every problem must be a
//! positioned diagnostic, never a panic.
#![no_main]

use baryon_model::{manifest, schema, spec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (first, second) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let (Ok(schema_yaml), Ok(spec_yaml)) =
        (std::str::from_utf8(first), std::str::from_utf8(second))
    else {
        return;
    };
    let _ = schema::parse_schema(schema_yaml);
    let _ = spec::parse_spec(spec_yaml);
    let _ = spec::validate_spec(schema_yaml, spec_yaml);
    let _ = manifest::parse_manifest(spec_yaml);
});
