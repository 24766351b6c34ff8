//! The bill of materials of a bundle: `sbom.cdx.json`, CycloneDX 1.6 JSON. Every package of
//! the bundle (plugins and public packages) is a component with its purl
//! (`pkg:pypi/name@version`), the sha256 of each of its files, its license (METADATA's
//! `License-Expression`, else its `License` line or license classifiers), and the dependency
//! edges its wheel's `Requires-Dist` draws to the other packages of the bundle (requirements
//! of extras left out). The release itself is the described component; its serial number and
//! timestamp come from the release, so a rebuild writes the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use anyhow::Result;
use serde_json::{json, Value};

use super::build::wheel_header_values;
use crate::manifest::normalize_name;
use crate::ops::fs::write_atomic;

pub const SBOM_FILE: &str = "sbom.cdx.json";

/// One file of the bundle, as the SBOM needs it.
pub struct Packaged<'a> {
    pub file: &'a str,
    pub name: &'a str,
    pub version: &'a str,
    pub sha256: &'a str,
    pub origin: &'a str,
}

/// What the SBOM describes: the release and where it comes from.
pub struct Described<'a> {
    pub release: &'a str,
    pub version: &'a str,
    pub platform: &'a str,
    pub commit: &'a str,
    pub epoch: i64,
}

/// The purl of a PyPI package: its name normalized (PEP 503, as the purl spec asks).
pub fn purl(name: &str, version: &str) -> String {
    format!("pkg:pypi/{}@{version}", normalize_name(name))
}

/// Write `sbom.cdx.json` into the bundle folder `dir` holding `files`.
pub fn write(dir: &Path, what: &Described, files: &[Packaged]) -> Result<()> {
    let mut by_package: BTreeMap<(String, &str), Vec<&Packaged>> = BTreeMap::new();
    for f in files {
        by_package
            .entry((normalize_name(f.name), f.version))
            .or_default()
            .push(f);
    }
    let in_bundle: BTreeMap<&str, String> = by_package
        .keys()
        .map(|(name, version)| (name.as_str(), purl(name, version)))
        .collect();
    let mut components = Vec::new();
    let mut dependencies = Vec::new();
    let release_ref = format!("release:{}@{}", what.release, what.version);
    let mut plugins = Vec::new();
    for ((name, version), packaged) in &by_package {
        let wheel = packaged
            .iter()
            .find(|f| f.file.ends_with(".whl"))
            .map(|f| dir.join(f.file));
        let (licenses, requires) = match &wheel {
            Some(w) => (licenses(w)?, wheel_header_values(w, "Requires-Dist")?),
            None => (Vec::new(), Vec::new()),
        };
        let bom_ref = purl(name, version);
        let origin = packaged[0].origin;
        if origin == "private" {
            plugins.push(bom_ref.clone());
        }
        let mut component = json!({
            "type": "library",
            "bom-ref": bom_ref,
            "name": name,
            "version": version,
            "purl": bom_ref,
            "hashes": packaged.iter().map(|f| json!({"alg": "SHA-256", "content": f.sha256})).collect::<Vec<_>>(),
            "properties": packaged
                .iter()
                .map(|f| json!({"name": "xtask:file", "value": f.file}))
                .chain([json!({"name": "xtask:origin", "value": origin})])
                .collect::<Vec<_>>(),
        });
        if !licenses.is_empty() {
            component["licenses"] = Value::Array(licenses);
        }
        components.push(component);
        let depends: BTreeSet<&String> = requires
            .iter()
            .filter_map(|r| pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(r).ok())
            .filter(|r| r.marker.evaluate_extras(&[]))
            .filter_map(|r| in_bundle.get(normalize_name(r.name.as_ref()).as_str()))
            .filter(|r| **r != bom_ref)
            .collect();
        dependencies.push(json!({"ref": bom_ref, "dependsOn": depends}));
    }
    dependencies.push(json!({"ref": release_ref, "dependsOn": plugins}));
    let sbom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial_number(what, files),
        "version": 1,
        "metadata": {
            "timestamp": crate::ops::clock::iso_timestamp(what.epoch),
            "tools": {"components": [{
                "type": "application",
                "name": "xtask",
                "version": env!("CARGO_PKG_VERSION"),
                "description": "cargo xtask release automation",
            }]},
            "component": {
                "type": "application",
                "bom-ref": release_ref,
                "name": what.release,
                "version": what.version,
            },
            "properties": [
                {"name": "xtask:platform", "value": what.platform},
                {"name": "xtask:commit", "value": what.commit},
            ],
        },
        "components": components,
        "dependencies": dependencies,
    });
    write_atomic(
        &dir.join(SBOM_FILE),
        (serde_json::to_string_pretty(&sbom)? + "\n").as_bytes(),
    )
}

/// A wheel's licenses as CycloneDX gives them: its `License-Expression`, else its `License`
/// line and license classifiers, each once: by SPDX id where it names one unambiguously
/// ([`spdx_id`]), else by name.
fn licenses(wheel: &Path) -> Result<Vec<Value>> {
    let expressions = wheel_header_values(wheel, "License-Expression")?;
    if let Some(expression) = expressions.into_iter().find(|e| !e.is_empty()) {
        return Ok(vec![json!({"expression": expression})]);
    }
    let mut names: Vec<String> = wheel_header_values(wheel, "License")?
        .iter()
        .filter_map(|l| super::build::license_name(l).map(str::to_string))
        .collect();
    for classifier in wheel_header_values(wheel, "Classifier")? {
        if let Some(name) = classifier.strip_prefix("License :: ") {
            names.push(name.trim_start_matches("OSI Approved :: ").to_string());
        }
    }
    let mut out: Vec<Value> = Vec::new();
    for name in names {
        let license = match spdx_id(&name) {
            Some(id) => json!({"license": {"id": id}}),
            None => json!({"license": {"name": name}}),
        };
        if !out.contains(&license) {
            out.push(license);
        }
    }
    Ok(out)
}

/// The SPDX id a `License` line or license classifier names without doubt: the line is the id
/// itself (any case), or the classifier names one license version. Only ids of the SPDX list
/// (which the CycloneDX schema checks `id` against); `Apache Software License`, `BSD License`
/// or the GPL classifiers name no version, or not whether later ones apply, so they stay names.
fn spdx_id(name: &str) -> Option<&'static str> {
    const IDS: &[&str] = &[
        "0BSD",
        "AGPL-3.0-only",
        "AGPL-3.0-or-later",
        "Apache-2.0",
        "Artistic-2.0",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "BSL-1.0",
        "CC0-1.0",
        "EPL-2.0",
        "GPL-2.0-only",
        "GPL-2.0-or-later",
        "GPL-3.0-only",
        "GPL-3.0-or-later",
        "HPND",
        "ISC",
        "LGPL-2.1-only",
        "LGPL-2.1-or-later",
        "LGPL-3.0-only",
        "LGPL-3.0-or-later",
        "MIT",
        "MIT-0",
        "MPL-2.0",
        "PSF-2.0",
        "Python-2.0",
        "Unlicense",
        "Zlib",
        "ZPL-2.1",
    ];
    const CLASSIFIERS: &[(&str, &str)] = &[
        ("MIT License", "MIT"),
        ("MIT No Attribution License (MIT-0)", "MIT-0"),
        ("ISC License (ISCL)", "ISC"),
        ("Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
        ("Python Software Foundation License", "PSF-2.0"),
        ("The Unlicense (Unlicense)", "Unlicense"),
        ("Boost Software License 1.0 (BSL-1.0)", "BSL-1.0"),
        ("zlib/libpng License", "Zlib"),
        ("Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"),
        ("Zero-Clause BSD (0BSD)", "0BSD"),
    ];
    let name = name.trim();
    IDS.iter()
        .find(|id| id.eq_ignore_ascii_case(name))
        .copied()
        .or_else(|| CLASSIFIERS.iter().find(|(c, _)| *c == name).map(|(_, id)| *id))
}

/// `urn:uuid:` of a UUID (version 5 layout) drawn from the release and its files: the same
/// bundle gets the same number.
fn serial_number(what: &Described, files: &[Packaged]) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in [what.release, what.version, what.platform, what.commit] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    for f in files {
        hash.update(f.sha256.as_bytes());
    }
    let mut b: Vec<u8> = hash.finalize()[..16].to_vec();
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn wheel_with_metadata(dir: &Path, metadata: &str) -> std::path::PathBuf {
        let path = dir.join("demo-1.0-py3-none-any.whl");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        zip.start_file("demo-1.0.dist-info/METADATA", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(metadata.as_bytes()).unwrap();
        zip.finish().unwrap();
        path
    }

    /// Real METADATA shapes: a `License` holding the whole license text (automat), setuptools'
    /// `UNKNOWN` (ptyprocess), a `License` line a classifier repeats (uvloop); SPDX ids where
    /// the line or classifier names one without doubt.
    #[test]
    fn licenses_are_names_never_a_licence_text_unknown_or_twice() {
        let dir = tempfile::tempdir().unwrap();
        let names = |metadata: &str| licenses(&wheel_with_metadata(dir.path(), metadata)).unwrap();
        let full_text = "Metadata-Version: 2.1\nName: automat\nVersion: 25.4.16\nLicense: Copyright (c) 2014\n        \
                         Rackspace\n        \n        Permission is hereby granted, free of charge, subject to\n        \
                         the following conditions:\n        \nClassifier: License :: OSI Approved :: MIT License\n\
                         License-File: LICENSE\n\nThe description.\n";
        assert_eq!(names(full_text), [json!({"license": {"id": "MIT"}})]);
        let unknown = "Metadata-Version: 2.1\nName: ptyprocess\nVersion: 0.7.0\nLicense: UNKNOWN\n\
                       Classifier: License :: OSI Approved :: ISC License (ISCL)\n\n";
        assert_eq!(names(unknown), [json!({"license": {"id": "ISC"}})]);
        let twice = "Metadata-Version: 2.1\nName: uvloop\nVersion: 0.23.0\nLicense: MIT License\n\
                     Classifier: License :: OSI Approved :: Apache Software License\n\
                     Classifier: License :: OSI Approved :: MIT License\n\n";
        assert_eq!(
            names(twice),
            [
                json!({"license": {"id": "MIT"}}),
                json!({"license": {"name": "Apache Software License"}})
            ]
        );
        let spelled = "Metadata-Version: 2.1\nName: charset-normalizer\nVersion: 3.5.3\nLicense: mit\n\
                       Classifier: License :: OSI Approved :: BSD License\n\n";
        assert_eq!(
            names(spelled),
            [
                json!({"license": {"id": "MIT"}}),
                json!({"license": {"name": "BSD License"}})
            ]
        );
        let expression = "Metadata-Version: 2.4\nName: cryptography\nVersion: 51.0.1\n\
                          License-Expression: Apache-2.0 OR BSD-3-Clause\nLicense: BSD\n\n";
        assert_eq!(names(expression), [json!({"expression": "Apache-2.0 OR BSD-3-Clause"})]);
        // The manifest's license of a file: the same judgement.
        let wheel = wheel_with_metadata(dir.path(), full_text);
        assert_eq!(super::super::build::wheel_metadata(&wheel).unwrap().license, None);
        let wheel = wheel_with_metadata(dir.path(), twice);
        assert_eq!(
            super::super::build::wheel_metadata(&wheel).unwrap().license.as_deref(),
            Some("MIT License")
        );
    }
}
