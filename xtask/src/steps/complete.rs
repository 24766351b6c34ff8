//! The bundle's wheels as a complete set, as the target's installer will need it, checked
//! before anything is delivered: every requirement of every wheel reached from the plugins and
//! `[public] requirements` (markers evaluated for the target, with the extras asked for) is met
//! by a wheel there, and every public wheel is named by some requirement. The lock was
//! resolved from the plugins' declared metadata (a build backend may compute other
//! requirements), and a lock may have been edited by hand (a package taken out, or one added
//! that nothing needs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use anyhow::{bail, Result};
use pep508_rs::{ExtraName, Requirement, VerbatimUrl, VersionOrUrl};

use crate::manifest::{normalize_name, Platform};
use crate::ops::fs::file_names;

/// A wheel of the bundle: its file, version and requirements (`Requires-Dist`).
struct Wheel {
    file: String,
    version: Option<pep440_rs::Version>,
    requires: Vec<String>,
}

/// Check the wheels in `dir` (see the module); `plugin_wheels` are the plugins' files there.
pub fn check(target: &Platform, dir: &Path, plugin_wheels: &[String], public: &[String]) -> Result<()> {
    let wheels = read(dir)?;
    let (from_plugins, mut from_others) = unmet(&wheels, target, plugin_wheels, public);
    if !from_plugins.is_empty() {
        bail!(
            "the public wheels of {} do not satisfy what the built plugins require: {}; the resolution reads the \
             plugins' declared metadata, and their build computed other requirements: declare them in the plugin's \
             static metadata, or add them to [public] requirements",
            target.name,
            from_plugins.join(", ")
        );
    }
    from_others.extend(stray(&wheels, plugin_wheels, public));
    if !from_others.is_empty() {
        bail!(
            "the wheels of {} are not a complete set: {}; the lock {} was changed by hand: run `cargo xtask lock` \
             and commit it",
            target.name,
            from_others.join(", "),
            crate::python::lockfile::lock_path(&target.name)
        );
    }
    Ok(())
}

/// Every wheel in `dir` by normalized name.
fn read(dir: &Path) -> Result<BTreeMap<String, Wheel>> {
    let mut wheels = BTreeMap::new();
    for file in file_names(dir)?.into_iter().filter(|f| f.ends_with(".whl")) {
        let meta = super::build::wheel_metadata(&dir.join(&file))?;
        let requires = super::build::wheel_requires(&dir.join(&file))?;
        let version = pep440_rs::Version::from_str(&meta.version).ok();
        wheels.insert(
            normalize_name(&meta.name),
            Wheel {
                file,
                version,
                requires,
            },
        );
    }
    Ok(wheels)
}

fn parse(text: &str) -> Option<Requirement<VerbatimUrl>> {
    Requirement::<VerbatimUrl>::from_str(text).ok()
}

/// The requirements no wheel meets, breadth first from the plugins and `public` over
/// (package, extras asked of it): those of plugin wheels, and the others.
fn unmet(
    wheels: &BTreeMap<String, Wheel>,
    target: &Platform,
    plugin_wheels: &[String],
    public: &[String],
) -> (Vec<String>, Vec<String>) {
    let env = crate::python::platform::marker_environment(target);
    let met = |req: &Requirement<VerbatimUrl>| {
        let held = wheels.get(&normalize_name(req.name.as_ref()));
        match (held, &req.version_or_url) {
            (None, _) => false,
            (Some(w), Some(VersionOrUrl::VersionSpecifier(spec))) => {
                w.version.as_ref().is_some_and(|v| crate::versions::satisfies(spec, v))
            }
            (Some(_), _) => true,
        }
    };
    let (mut from_plugins, mut from_others) = (Vec::new(), Vec::new());
    let mut asked: BTreeMap<String, BTreeSet<ExtraName>> = BTreeMap::new();
    let mut queue: Vec<(String, Vec<ExtraName>)> = wheels
        .iter()
        .filter(|(_, w)| plugin_wheels.contains(&w.file))
        .map(|(name, _)| (name.clone(), Vec::new()))
        .collect();
    for text in public {
        let Some(req) = parse(text).filter(|r| r.marker.evaluate(&env, &[])) else {
            continue;
        };
        if !met(&req) {
            from_others.push(format!("[public] requirements asks for {text:?}"));
        }
        queue.push((normalize_name(req.name.as_ref()), req.extras.clone()));
    }
    while let Some((name, extras)) = queue.pop() {
        let Some(wheel) = wheels.get(&name) else {
            continue;
        };
        // Read again only when asked with an extra it was not asked with before.
        let seen = asked.contains_key(&name);
        let known = asked.entry(name.clone()).or_default();
        let before = known.len();
        known.extend(extras);
        if seen && known.len() == before {
            continue;
        }
        let extras: Vec<ExtraName> = known.iter().cloned().collect();
        for text in &wheel.requires {
            let Some(req) = parse(text).filter(|r| r.marker.evaluate(&env, &extras)) else {
                continue;
            };
            if !met(&req) {
                let problem = format!("{} requires {text:?}", wheel.file);
                let list = if plugin_wheels.contains(&wheel.file) {
                    &mut from_plugins
                } else {
                    &mut from_others
                };
                if !list.contains(&problem) {
                    list.push(problem);
                }
            }
            queue.push((normalize_name(req.name.as_ref()), req.extras.clone()));
        }
    }
    (from_plugins, from_others)
}

/// Public wheels no requirement names at all (markers aside, so that no marker judged here
/// otherwise than by the resolver makes a needed wheel look stray).
fn stray(wheels: &BTreeMap<String, Wheel>, plugin_wheels: &[String], public: &[String]) -> Vec<String> {
    let named: BTreeSet<String> = wheels
        .values()
        .flat_map(|w| w.requires.iter())
        .chain(public)
        .filter_map(|text| parse(text).map(|r| normalize_name(r.name.as_ref())))
        .collect();
    wheels
        .iter()
        .filter(|(name, w)| !plugin_wheels.contains(&w.file) && !named.contains(*name))
        .map(|(_, w)| format!("{} is required by nothing in the bundle", w.file))
        .collect()
}
