//! The bundle's wheels as a complete set, as the target's installer will need it, checked
//! before anything is delivered: every requirement of every wheel reached from the plugins and
//! `[public] requirements` (markers evaluated for the target, with the extras asked for) is met
//! by a wheel there, and every public wheel is named by some requirement. The lock was
//! resolved from the plugins' declared metadata (a build backend may compute other
//! requirements), and a lock may have been edited by hand (a package taken out, or one added
//! that nothing needs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, Result};
use pep508_rs::{ExtraName, Requirement, VerbatimUrl, VersionOrUrl};

use crate::manifest::{normalize_name, Platform};
use crate::ops::fs::file_names;

/// A wheel of the bundle: its file, version and requirements (`Requires-Dist`); `opaque`
/// for a package whose requirements are not known (an sdist, unbuilt).
struct Wheel {
    file: String,
    version: Option<pep440_rs::Version>,
    requires: Vec<String>,
    opaque: bool,
}

/// Check the wheels in `dir` (see the module); `plugin_wheels` are the plugins' files there.
pub fn check(target: &Platform, dir: &Path, plugin_wheels: &[String], public: &[String]) -> Result<()> {
    let paths: Vec<PathBuf> = file_names(dir)?.into_iter().map(|f| dir.join(f)).collect();
    let wheels = read(&paths)?;
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

/// What a lock that was used as it is lacks or holds in excess, as a complete set of the
/// files a target takes from it (`files`, in the wheel store), from the requirements it
/// records: for `cargo xtask lock`, which then resolves again. An sdist's requirements are
/// not read (that needs a build): its package counts as present, and no package as stray.
pub fn lock_gaps(
    target: &Platform,
    files: &[PathBuf],
    sdists: &[(String, String)],
    requirements: &[String],
) -> Result<Vec<String>> {
    let mut wheels = read(files)?;
    for (name, version) in sdists {
        wheels.insert(
            normalize_name(name),
            Wheel {
                file: format!("{name} {version} (an sdist)"),
                version: pep440_rs::Version::from_str(version).ok(),
                requires: Vec::new(),
                opaque: true,
            },
        );
    }
    let (_, mut gaps) = unmet(&wheels, target, &[], requirements);
    if sdists.is_empty() {
        // What an unread sdist requires is unknown: nothing can be called stray then.
        gaps.extend(stray(&wheels, &[], requirements));
    }
    Ok(gaps)
}

/// Every wheel of `paths` by normalized name.
fn read(paths: &[PathBuf]) -> Result<BTreeMap<String, Wheel>> {
    let mut wheels = BTreeMap::new();
    for path in paths.iter().filter(|p| p.extension().is_some_and(|e| e == "whl")) {
        let file = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let meta = super::build::wheel_metadata(path)?;
        let requires = super::build::wheel_requires(path)?;
        let version = pep440_rs::Version::from_str(&meta.version).ok();
        wheels.insert(
            normalize_name(&meta.name),
            Wheel {
                file,
                version,
                requires,
                opaque: false,
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
        .filter(|(name, w)| !w.opaque && !plugin_wheels.contains(&w.file) && !named.contains(*name))
        .map(|(_, w)| format!("{} is required by nothing in the bundle", w.file))
        .collect()
}
