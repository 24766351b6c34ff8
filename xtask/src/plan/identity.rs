//! What a bundle says it is: the release, version, platform, commit and files its
//! `manifest.json` names (written by `steps/bundle.rs`), read back from an archive.

use anyhow::{Context, Result};

/// What an archive's `manifest.json` says it is, and holds.
#[derive(serde::Deserialize)]
pub struct Identity {
    pub release: String,
    pub version: String,
    pub platform: String,
    pub commit: String,
    #[serde(default)]
    pub files: Vec<BundledFile>,
}

/// A wheel or sdist in a bundle, as its `manifest.json` lists it.
#[derive(serde::Deserialize)]
pub struct BundledFile {
    pub file: String,
    pub sha256: String,
    pub origin: String,
}

/// Read a bundle's identity from the `manifest.json` of its top-level folder.
pub fn read_identity(path: &std::path::Path) -> Result<Identity> {
    let manifest = crate::ops::archive::read_entry(path, |n| {
        n.strip_suffix("/manifest.json")
            .is_some_and(|top| !top.is_empty() && !top.contains('/'))
    })?
    .context("no manifest.json in its top-level folder: not a bundle this tool wrote")?;
    serde_json::from_slice(&manifest).context("its manifest.json has no release, version, platform and commit")
}
