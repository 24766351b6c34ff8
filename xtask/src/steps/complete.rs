//! The bundle's wheels as a complete set, as the target's installer will need it, checked
//! before anything is delivered: every `[public] requirement` and every requirement of every
//! wheel (markers evaluated for the target, with the extras asked for) is met by a wheel
//! there, and every public wheel is named by some requirement. The lock was
//! resolved from the plugins' declared metadata (a build backend may compute other
//! requirements), and a lock may have been edited by hand (a package taken out, or one added
//! that nothing needs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, Result};
use pep508_rs::{ExtraName, MarkerEnvironment, Requirement, VerbatimUrl, VersionOrUrl};

use crate::manifest::{normalize_name, Platform};
use crate::ops::fs::file_names;

/// A wheel of the bundle: its file, version and requirements (`Requires-Dist`); `opaque`
/// for a package whose requirements are not known (an sdist, unbuilt).
pub struct Wheel {
    pub file: String,
    pub version: Option<pep440_rs::Version>,
    pub requires: Vec<String>,
    pub opaque: bool,
}

/// Check the wheels in `dir` (see the module); `plugin_wheels` are the plugins' files there.
pub fn check(target: &Platform, dir: &Path, plugin_wheels: &[String], public: &[String]) -> Result<()> {
    let paths: Vec<PathBuf> = file_names(dir)?.into_iter().map(|f| dir.join(f)).collect();
    let wheels = read(&paths)?;
    let env = crate::python::platform::marker_environment(target);
    let mut from_others = unmet_roots(&wheels, &env, public, "[public] requirements asks for");
    let mut from_plugins = Vec::new();
    for (name, requirement) in unmet_requirements(&wheels, &env, public).0 {
        let file = &wheels[&name].file;
        let list = if plugin_wheels.contains(file) {
            &mut from_plugins
        } else {
            &mut from_others
        };
        list.push(format!("{file} requires {requirement:?}"));
    }
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
    let env = crate::python::platform::marker_environment(target);
    let mut gaps = unmet_roots(&wheels, &env, requirements, "the lock records");
    for (name, requirement) in unmet_requirements(&wheels, &env, requirements).0 {
        gaps.push(format!("{} requires {requirement:?}", wheels[&name].file));
    }
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

/// Whether a wheel of the set meets `req`.
fn met(wheels: &BTreeMap<String, Wheel>, req: &Requirement<VerbatimUrl>) -> bool {
    match (wheels.get(&normalize_name(req.name.as_ref())), &req.version_or_url) {
        (None, _) => false,
        (Some(w), Some(VersionOrUrl::VersionSpecifier(spec))) => {
            w.version.as_ref().is_some_and(|v| crate::versions::satisfies(spec, v))
        }
        (Some(_), _) => true,
    }
}

/// The `roots` that apply on the target and that no wheel meets, each after `what`.
fn unmet_roots(wheels: &BTreeMap<String, Wheel>, env: &MarkerEnvironment, roots: &[String], what: &str) -> Vec<String> {
    roots
        .iter()
        .filter(|text| parse(text).is_some_and(|r| r.marker.evaluate(env, &[]) && !met(wheels, &r)))
        .map(|text| format!("{what} {text:?}"))
        .collect()
}

/// The requirements of `wheels` that no wheel among them meets on the target, as (the
/// requiring package's name, the requirement), and how many applied. Markers are evaluated
/// with the extras `roots` and the wheels ask of each package, until nothing new is asked
/// (what `verify` checks of a bundle, and a run of the bundle it is about to deliver).
pub fn unmet_requirements(
    wheels: &BTreeMap<String, Wheel>,
    env: &MarkerEnvironment,
    roots: &[String],
) -> (Vec<(String, String)>, usize) {
    let mut asked: BTreeMap<String, BTreeSet<ExtraName>> = BTreeMap::new();
    let own = |asked: &BTreeMap<String, BTreeSet<ExtraName>>, name: &str| -> Vec<ExtraName> {
        asked.get(name).map(|e| e.iter().cloned().collect()).unwrap_or_default()
    };
    for req in roots.iter().filter_map(|t| parse(t)) {
        if req.marker.evaluate(env, &[]) {
            asked
                .entry(normalize_name(req.name.as_ref()))
                .or_default()
                .extend(req.extras);
        }
    }
    loop {
        let mut changed = false;
        for (name, wheel) in wheels {
            let extras = own(&asked, name);
            for req in wheel.requires.iter().filter_map(|t| parse(t)) {
                if req.marker.evaluate(env, &extras) {
                    let entry = asked.entry(normalize_name(req.name.as_ref())).or_default();
                    for e in req.extras {
                        changed |= entry.insert(e);
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    let (mut unmet, mut checked) = (Vec::new(), 0);
    for (name, wheel) in wheels {
        let extras = own(&asked, name);
        for text in &wheel.requires {
            let Some(req) = parse(text).filter(|r| r.marker.evaluate(env, &extras)) else {
                continue;
            };
            checked += 1;
            if !met(wheels, &req) {
                unmet.push((name.clone(), text.clone()));
            }
        }
    }
    (unmet, checked)
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
