//! A bundle's `manifest.json` as `verify` reads it: the release, version and platform it is
//! of, every wheel and sdist with
//! its name, version, sha256 and size, and the support files (install scripts,
//! `requirements.txt`, notes).

use std::collections::BTreeMap;

#[derive(serde::Deserialize)]
pub struct BundleManifest {
    pub release: String,
    pub version: String,
    pub platform: String,
    pub files: Vec<ManifestFile>,
    /// Install scripts, requirements.txt, notes: every other file of the bundle.
    #[serde(default)]
    pub support: Vec<SupportFile>,
    /// The bill of materials among the support files (bundles made before it have none).
    #[serde(default)]
    pub sbom: Option<String>,
    /// The lock (PEP 751) among the support files (none in sources bundles and bundles made
    /// before locks).
    #[serde(default)]
    pub pylock: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct SupportFile {
    pub file: String,
    pub sha256: String,
    pub size: u64,
}

impl BundleManifest {
    /// Every file the bundle may hold with its declared size, `manifest.json` aside.
    pub fn declared(&self) -> BTreeMap<&str, u64> {
        self.files
            .iter()
            .map(|f| (f.file.as_str(), f.size))
            .chain(self.support.iter().map(|f| (f.file.as_str(), f.size)))
            .collect()
    }
}

#[derive(serde::Deserialize)]
pub struct ManifestFile {
    pub file: String,
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub size: u64,
    pub origin: String,
}
