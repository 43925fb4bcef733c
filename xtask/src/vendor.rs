//! `cargo xtask vendor-model --botocore DIR`: copies the Proton and Service Catalog service
//! models out of an unpacked botocore release, keeping shapes, operations and constraints and
//! dropping documentation text, so that codegen reads a small, reviewable file.
//!
//! Get the input with `pip download --no-deps botocore==<version>` and unzip the wheel.

use std::io::Read as _;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

use crate::codegen::api_dir;

const SOURCES: &[(&str, &str)] = &[
    ("proton/2020-07-20/service-2.json", "proton-2020-07-20.json"),
    (
        "servicecatalog/2015-12-10/service-2.json",
        "servicecatalog-2015-12-10.json",
    ),
];

/// Keys removed everywhere: prose, not contract.
const DROPPED: &[&str] = &[
    "documentation",
    "documentationUrl",
    "deprecatedMessage",
    "examples",
];

fn strip(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for k in DROPPED {
                map.remove(*k);
            }
            for child in map.values_mut() {
                strip(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

fn read_model(data: &Path, rel: &str) -> Result<Value> {
    let plain = data.join(rel);
    let gz = data.join(format!("{rel}.gz"));
    let text = if plain.exists() {
        std::fs::read_to_string(&plain)?
    } else {
        let mut s = String::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(&gz).with_context(|| gz.display().to_string())?,
        )
        .read_to_string(&mut s)?;
        s
    };
    Ok(serde_json::from_str(&text)?)
}

fn botocore_version(botocore: &Path) -> Result<String> {
    let init = std::fs::read_to_string(botocore.join("__init__.py"))
        .context("reading botocore/__init__.py")?;
    init.lines()
        .find_map(|l| l.strip_prefix("__version__ = "))
        .map(|v| v.trim().trim_matches(['\'', '"']).to_owned())
        .ok_or_else(|| anyhow!("no __version__ in botocore/__init__.py"))
}

/// Vendors the models from `botocore` (the package directory holding `data/`).
pub fn run(root: &Path, botocore: &Path) -> Result<()> {
    let version = botocore_version(botocore)?;
    let out = api_dir(root);
    std::fs::create_dir_all(&out)?;
    for (rel, file) in SOURCES {
        let mut model = read_model(&botocore.join("data"), rel)?;
        strip(&mut model);
        let mut text = serde_json::to_string_pretty(&model)?;
        text.push('\n');
        std::fs::write(out.join(file), text)?;
        println!("vendored {rel} -> crates/model/api/{file}");
    }
    std::fs::write(out.join("botocore-version.txt"), format!("{version}\n"))?;
    println!("botocore {version}");
    Ok(())
}
