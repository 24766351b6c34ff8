//! The lock of a bundle in the standard format: `pylock.toml` (PEP 751), every package of the
//! bundle locked to its files beside it (wheels, and the sdist where the bundle has one) by
//! path and sha256, for the platform's Python. `uv pip install --offline -r pylock.toml` and
//! `pip install --no-index -r pylock.toml` install from it with no network.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;

use crate::manifest::normalize_name;
use crate::ops::fs::write_atomic;

pub const PYLOCK_FILE: &str = "pylock.toml";

/// One file of the bundle: (file name, package name, version, sha256).
pub type Locked<'a> = (&'a str, &'a str, &'a str, &'a str);

/// Write `pylock.toml` into the bundle folder `dir` holding `files`; `python` is the
/// platform's series (`3.11`, `3.9.2`).
pub fn write(dir: &Path, heading: &str, python: Option<&str>, files: &[Locked]) -> Result<()> {
    // A TOML basic string: JSON's escapes are all TOML's (and DEL, which JSON leaves, escaped).
    let quote = |s: &str| {
        serde_json::Value::String(s.to_string())
            .to_string()
            .replace('\u{7f}', "\\u007F")
    };
    let mut by_package: BTreeMap<(String, &str), Vec<(&str, &str)>> = BTreeMap::new();
    for (file, name, version, sha256) in files {
        by_package
            .entry((normalize_name(name), version))
            .or_default()
            .push((file, sha256));
    }
    let mut text = format!(
        "# {heading}: every package of this bundle, locked to its files here (PEP 751).\n\
         # uv pip install --offline -r pylock.toml    or    pip install --no-index -r pylock.toml\n\
         lock-version = \"1.0\"\ncreated-by = \"xtask\"\n"
    );
    if let Some(python) = python {
        text.push_str(&format!(
            "requires-python = {}\n",
            quote(&crate::python::requires_python::series_specifier(python))
        ));
    }
    for ((name, version), files) in &by_package {
        text.push_str(&format!(
            "\n[[packages]]\nname = {}\nversion = {}\n",
            quote(name),
            quote(version)
        ));
        let entry = |(file, sha256): &(&str, &str)| {
            format!(
                "{{ name = {}, path = {}, hashes = {{ sha256 = {} }} }}",
                quote(file),
                quote(file),
                quote(sha256)
            )
        };
        let wheels: Vec<String> = files.iter().filter(|(f, _)| f.ends_with(".whl")).map(entry).collect();
        if !wheels.is_empty() {
            text.push_str(&format!("wheels = [\n    {},\n]\n", wheels.join(",\n    ")));
        }
        if let Some(sdist) = files.iter().find(|(f, _)| f.ends_with(".tar.gz")) {
            text.push_str(&format!("sdist = {}\n", entry(sdist)));
        }
    }
    write_atomic(&dir.join(PYLOCK_FILE), text.as_bytes())
}
