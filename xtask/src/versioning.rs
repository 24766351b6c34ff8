//! Release units and their versions: a lockstep group shares one version and one tag; every
//! other plugin is its own unit with its own tag. Where the current version comes from
//! depends on the strategy: the version files (`commit`) or the newest release tag (`stamp`).
//! Reads only.

use std::collections::BTreeMap;

use anyhow::Result;
use pep440_rs::Version;
use serde::Serialize;

use crate::config::{render, Manifest, Strategy};
use crate::ops::git::Git;
use crate::plugins::Plugin;

#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    /// Group name, or the plugin's normalized name.
    pub name: String,
    pub group: bool,
    /// Normalized plugin names.
    pub members: Vec<String>,
}

/// Groups first (manifest order), then every plugin not in a group.
pub fn units(manifest: &Manifest, plugins: &[Plugin]) -> Vec<Unit> {
    let mut units: Vec<Unit> = manifest
        .groups
        .iter()
        .map(|g| Unit {
            name: g.name.clone(),
            group: true,
            members: g
                .members
                .iter()
                .map(|m| m.value.clone())
                .filter(|m| plugins.iter().any(|p| &p.normalized == m))
                .collect(),
        })
        .collect();
    for p in plugins {
        if !units.iter().any(|u| u.members.contains(&p.normalized)) {
            units.push(Unit {
                name: p.normalized.clone(),
                group: false,
                members: vec![p.normalized.clone()],
            });
        }
    }
    units
}

/// The tag that records `version` of `unit`.
pub fn tag_name(manifest: &Manifest, unit: &Unit, version: &str) -> String {
    if unit.group {
        render(
            &manifest.release.group_tag,
            &[
                ("group", &unit.name),
                ("version", version),
                ("release", &manifest.release.name),
            ],
        )
    } else {
        render(&manifest.release.tag, &[("name", &unit.name), ("version", version)])
    }
}

/// The newest version recorded by a tag of `unit`, if any.
pub fn newest_tagged(manifest: &Manifest, unit: &Unit, tags: &[String]) -> Option<(Version, String)> {
    let marker = "\u{0}VERSION\u{0}";
    let template = tag_name(manifest, unit, marker);
    let (prefix, suffix) = template.split_once(marker)?;
    tags.iter()
        .filter_map(|t| {
            let middle = t.strip_prefix(prefix)?.strip_suffix(suffix)?;
            let v = crate::versions::parse(middle).ok()?;
            Some((v, t.clone()))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
}

/// Current version of every plugin (normalized name → version). With the `stamp` strategy
/// it is the newest release tag of the plugin's unit, or the version files' placeholder
/// while there is no tag yet.
pub fn current_versions(manifest: &Manifest, git: &Git, plugins: &[Plugin]) -> Result<BTreeMap<String, Version>> {
    let mut current: BTreeMap<String, Version> = plugins
        .iter()
        .map(|p| (p.normalized.clone(), p.version.clone()))
        .collect();
    if manifest.versioning.strategy == Strategy::Stamp {
        let tags = git.tags()?;
        for unit in units(manifest, plugins) {
            if let Some((v, _)) = newest_tagged(manifest, &unit, &tags) {
                for m in &unit.members {
                    current.insert(m.clone(), v.clone());
                }
            }
        }
    }
    Ok(current)
}
