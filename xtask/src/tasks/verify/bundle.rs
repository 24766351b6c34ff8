//! A bundle folder: its files against `manifest.json`, every wheel's tags and Requires-Python
//! against the platform, every dependency present (markers evaluated for the platform),
//! `requirements.txt` pinning every file by hash; then the offline install.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result};

use super::bundle_manifest::{BundleManifest, ManifestFile};
use super::install::{install_plugins_offline, offline_install_tools, Host};
use super::report::Log;
use super::wheels::prove_wheels;
use crate::manifest::workspace::Workspace;
use crate::manifest::{normalize_name, Platform};
use crate::ops::fs::sha256_file;
use crate::python::platform::{marker_environment, wheel_fits};

pub fn check_bundle(ws: &Workspace, host: &Host, dir: &Path, log: &mut Log) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let text = std::fs::read_to_string(dir.join("manifest.json")).context("the bundle has no manifest.json")?;
    let manifest: BundleManifest = serde_json::from_str(&text).context("manifest.json is not a bundle manifest")?;

    problems.extend(check_undeclared_and_support_files(dir, &manifest)?);
    let hashes = hash_listed_files(dir, &manifest, &mut problems)?;
    let files: Vec<&ManifestFile> = manifest
        .files
        .iter()
        .filter(|f| hashes.contains_key(f.file.as_str()))
        .collect();
    log.say(format!("manifest.json: {} file(s) listed", manifest.files.len()));
    problems.extend(check_sbom(dir, &manifest, log));
    problems.extend(check_pylock(dir, &manifest, log));
    if manifest.platform == "sources" {
        return Ok(problems);
    }
    let Some(platform) = ws.manifest.platform(&manifest.platform) else {
        problems.push(format!(
            "platform {:?} of the bundle is not in {}",
            manifest.platform,
            ws.manifest_shown()
        ));
        return Ok(problems);
    };

    let wheels: Vec<&ManifestFile> = files.iter().copied().filter(|f| f.file.ends_with(".whl")).collect();
    problems.extend(check_wheel_tags(&wheels, platform, log));
    // Before anything could run a wheel's code (the offline install below).
    problems.extend(prove_wheels(dir, &wheels, log));
    problems.extend(check_requires_python(dir, &wheels, platform, log)?);
    // Every dependency of every wheel, with markers evaluated for the platform, is present,
    // and requirements.txt pins every file by its hash.
    problems.extend(check_dependencies(dir, &wheels, platform, log)?);
    problems.extend(check_requirements(dir, &files, &hashes)?);

    // On a matching host, install it for real and import every plugin.
    match offline_install_tools(host, platform, &problems) {
        Ok(tools) => problems.extend(install_plugins_offline(ws, tools, dir, &manifest, log)?),
        Err(reason) => log.say(format!("offline install: not tried ({reason}); dependency check only")),
    }
    Ok(problems)
}

/// The manifest and the files agree: every file is declared, every support file (install
/// scripts, requirements.txt, notes) has its declared sha256 and size.
pub fn check_undeclared_and_support_files(dir: &Path, manifest: &BundleManifest) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let present: BTreeSet<String> = crate::ops::fs::file_names(dir)?
        .into_iter()
        .filter(|f| f != "manifest.json")
        .collect();
    let declared = manifest.declared();
    for f in present.iter().filter(|f| !declared.contains_key(f.as_str())) {
        problems.push(format!("{f} is in the bundle but not in manifest.json"));
    }
    let mut folded: BTreeMap<String, &str> = BTreeMap::new();
    for name in declared.keys() {
        if let Some(other) = folded.insert(name.to_lowercase(), name) {
            problems.push(format!(
                "manifest.json declares {other} and {name}, which differ only in case: one overwrites the other on Windows and macOS"
            ));
        }
    }
    for f in &manifest.support {
        let path = dir.join(&f.file);
        if f.file.contains(['/', '\\']) || f.file.starts_with('.') || !path.is_file() {
            problems.push(format!("{} is declared in manifest.json but not in the bundle", f.file));
        } else if sha256_file(&path)? != f.sha256 || std::fs::metadata(&path)?.len() != f.size {
            problems.push(format!("{} does not match its sha256 or size in manifest.json", f.file));
        }
    }
    Ok(problems)
}

/// Each listed file that is really there, with its sha256 (hashed once); only these are
/// read further, so a name leading out of the bundle is never opened.
pub fn hash_listed_files<'m>(
    dir: &Path,
    manifest: &'m BundleManifest,
    problems: &mut Vec<String>,
) -> Result<BTreeMap<&'m str, String>> {
    let mut hashes: BTreeMap<&str, String> = BTreeMap::new();
    for f in &manifest.files {
        if f.file.contains(['/', '\\']) || f.file.starts_with('.') {
            problems.push(format!(
                "manifest.json names {:?}, which is not a plain file name",
                f.file
            ));
            continue;
        }
        let path = dir.join(&f.file);
        if !path.is_file() {
            problems.push(format!("{} is listed in manifest.json but missing", f.file));
            continue;
        }
        let sha256 = sha256_file(&path)?;
        if sha256 != f.sha256 || std::fs::metadata(&path)?.len() != f.size {
            problems.push(format!("{} does not match its sha256 or size in manifest.json", f.file));
        }
        hashes.insert(&f.file, sha256);
    }
    Ok(hashes)
}

/// Every wheel fits the platform.
pub fn check_wheel_tags(wheels: &[&ManifestFile], platform: &Platform, log: &mut Log) -> Vec<String> {
    let mut problems = Vec::new();
    let misfits: Vec<String> = wheels
        .iter()
        .filter(|w| !wheel_fits(&w.file, platform).unwrap_or(false))
        .map(|w| w.file.clone())
        .collect();
    for m in &misfits {
        problems.push(format!(
            "{m} does not fit platform {} ({} {}{})",
            platform.name,
            platform.tags.join("."),
            platform.implementation,
            platform.python
        ));
    }
    log.say(format!(
        "wheel tags: {} of {} fit {}",
        wheels.len() - misfits.len(),
        wheels.len(),
        platform.name
    ));
    problems
}

/// Every wheel's Requires-Python admits the platform's Python (every X.Y.N).
pub fn check_requires_python(
    dir: &Path,
    wheels: &[&ManifestFile],
    platform: &Platform,
    log: &mut Log,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut too_new_or_old = 0;
    for w in wheels {
        if let Some(requires) = crate::steps::wheel_requires_python(&dir.join(&w.file))? {
            if !crate::python::requires_python::python_admits(&requires, &platform.series()) {
                too_new_or_old += 1;
                problems.push(format!(
                    "{} requires Python {requires}; platform {} is Python {}",
                    w.file,
                    platform.name,
                    platform.series()
                ));
            }
        }
    }
    log.say(format!(
        "requires-python: {} of {} admit Python {}",
        wheels.len() - too_new_or_old,
        wheels.len(),
        platform.series()
    ));
    Ok(problems)
}

pub fn check_dependencies(
    dir: &Path,
    wheels: &[&ManifestFile],
    platform: &Platform,
    log: &mut Log,
) -> Result<Vec<String>> {
    // Names and versions from the wheels themselves, not from manifest.json.
    let mut found: BTreeMap<String, crate::steps::Wheel> = BTreeMap::new();
    for w in wheels {
        let meta = crate::steps::wheel_metadata(&dir.join(&w.file))?;
        let version = pep440_rs::Version::from_str(&meta.version).map_err(|e| anyhow::anyhow!("{}: {e}", w.file))?;
        let wheel = crate::steps::Wheel {
            file: w.file.clone(),
            version: Some(version),
            requires: crate::steps::wheel_requires(&dir.join(&w.file))?,
            opaque: false,
        };
        found.insert(normalize_name(&meta.name), wheel);
    }
    let (unmet, checked) = crate::steps::unmet_requirements(&found, &marker_environment(platform), &[]);
    let problems = unmet
        .into_iter()
        .map(|(name, line)| {
            let version = found[&name]
                .version
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            format!(
                "{name} {version} requires {line:?} on {}, which the bundle lacks",
                platform.name
            )
        })
        .collect();
    log.say(format!(
        "dependencies for {}: {checked} requirement(s) checked",
        platform.name
    ));
    Ok(problems)
}

/// The SBOM `manifest.json` declares is CycloneDX 1.6 JSON naming every package of the bundle
/// by its purl with the sha256 of each of its files, and nothing else.
fn check_sbom(dir: &Path, manifest: &BundleManifest, log: &mut Log) -> Vec<String> {
    let Some(file) = &manifest.sbom else {
        log.say("SBOM: none declared (a bundle made before SBOMs)".into());
        return Vec::new();
    };
    if !manifest.support.iter().any(|s| &s.file == file) {
        return vec![format!(
            "manifest.json declares the SBOM {file} but not its sha256 among the support files"
        )];
    }
    let sbom: serde_json::Value = match std::fs::read_to_string(dir.join(file))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
    {
        Some(v) => v,
        None => return vec![format!("{file}: missing or not JSON")],
    };
    if sbom["bomFormat"] != "CycloneDX" || sbom["specVersion"] != "1.6" {
        return vec![format!("{file}: not a CycloneDX 1.6 document")];
    }
    let mut listed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut refs: BTreeSet<&str> = sbom["metadata"]["component"]["bom-ref"].as_str().into_iter().collect();
    for c in sbom["components"].as_array().into_iter().flatten() {
        refs.extend(c["bom-ref"].as_str());
        if c.get("components").is_some() {
            problems.push(format!(
                "{file}: the component {} nests components: a bundle's SBOM lists its packages flat",
                c["purl"]
            ));
        }
        let hashes = c["hashes"].as_array().into_iter().flatten();
        let purl = c["purl"].as_str().unwrap_or_default().to_string();
        listed
            .entry(purl)
            .or_default()
            .extend(hashes.filter_map(|h| h["content"].as_str().map(str::to_string)));
    }
    // Every dependency edge joins components of the document.
    for d in sbom["dependencies"].as_array().into_iter().flatten() {
        let ends = d["dependsOn"].as_array().into_iter().flatten().chain([&d["ref"]]);
        for end in ends.map(|e| e.as_str().unwrap_or_default()) {
            if !refs.contains(end) {
                problems.push(format!(
                    "{file}: a dependency names {end:?}, which is no component of it"
                ));
            }
        }
    }
    let mut expected = BTreeSet::new();
    for f in &manifest.files {
        let purl = format!("pkg:pypi/{}@{}", normalize_name(&f.name), f.version);
        match listed.get(&purl) {
            Some(hashes) if hashes.contains(&f.sha256) => {}
            Some(_) => problems.push(format!("{file}: {purl} lacks the sha256 of {}", f.file)),
            None => problems.push(format!("{file}: no component {purl} for {}", f.file)),
        }
        expected.insert(purl);
    }
    for purl in listed.keys().filter(|p| !expected.contains(*p)) {
        problems.push(format!("{file}: the component {purl:?} is not a package of the bundle"));
    }
    if problems.is_empty() {
        log.say(format!(
            "SBOM: {file} names the {} package(s) of the bundle",
            listed.len()
        ));
    }
    problems
}

/// The lock `manifest.json` declares (PEP 751) locks every file of the bundle under its
/// package and version by its path and sha256, and nothing else.
fn check_pylock(dir: &Path, manifest: &BundleManifest, log: &mut Log) -> Vec<String> {
    let Some(file) = &manifest.pylock else {
        return Vec::new();
    };
    if !manifest.support.iter().any(|s| &s.file == file) {
        return vec![format!(
            "manifest.json declares the lock {file} but not its sha256 among the support files"
        )];
    }
    let Some(lock) = std::fs::read_to_string(dir.join(file))
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
    else {
        return vec![format!("{file}: missing or not TOML")];
    };
    if lock.get("lock-version").and_then(|v| v.as_str()) != Some("1.0") {
        return vec![format!("{file}: not a PEP 751 lock (lock-version 1.0)")];
    }
    // (package, version) → (path, sha256) of each file it locks.
    let mut locked: BTreeMap<(String, String), BTreeSet<(String, String)>> = BTreeMap::new();
    let mut problems = Vec::new();
    for p in lock.get("packages").and_then(|p| p.as_array()).into_iter().flatten() {
        let text = |v: Option<&toml::Value>, key: &str| {
            v.and_then(|v| v.get(key))
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let key = (normalize_name(&text(Some(p), "name")), text(Some(p), "version"));
        // Files of the bundle only: no other source, and no marker that would skip one.
        let other: Vec<&String> = p
            .as_table()
            .into_iter()
            .flat_map(|t| t.keys())
            .filter(|k| !["name", "version", "wheels", "sdist"].contains(&k.as_str()))
            .collect();
        if !other.is_empty() {
            problems.push(format!(
                "{file}: {} {} has {other:?}: a bundle's lock names its files only",
                key.0, key.1
            ));
        }
        if locked.insert(key.clone(), BTreeSet::new()).is_some() {
            problems.push(format!("{file}: {} {} is locked twice", key.0, key.1));
        }
        let wheels = p.get("wheels").and_then(|w| w.as_array()).into_iter().flatten();
        for f in wheels.chain(p.get("sdist")) {
            let sha256 = text(f.get("hashes"), "sha256");
            locked
                .entry(key.clone())
                .or_default()
                .insert((text(Some(f), "path"), sha256));
        }
    }
    let mut expected = BTreeSet::new();
    let mut packages = BTreeSet::new();
    for f in &manifest.files {
        let key = (normalize_name(&f.name), f.version.clone());
        packages.insert(key.clone());
        let entry = (f.file.clone(), f.sha256.clone());
        if !locked.get(&key).is_some_and(|files| files.contains(&entry)) {
            problems.push(format!(
                "{file}: does not lock {} ({}=={}) by its sha256",
                f.file, key.0, key.1
            ));
        }
        expected.insert(entry);
    }
    for (path, _) in locked.values().flatten().filter(|e| !expected.contains(*e)) {
        problems.push(format!(
            "{file}: locks {path:?}, which is not a file of the bundle with that sha256"
        ));
    }
    for (name, version) in locked.keys().filter(|k| !packages.contains(*k)) {
        problems.push(format!(
            "{file}: locks {name} {version}, which is not a package of the bundle"
        ));
    }
    if problems.is_empty() {
        log.say(format!(
            "lock: {file} locks the {} file(s) of the bundle",
            expected.len()
        ));
    }
    problems
}

/// `requirements.txt` pins every file of the bundle under its package and version, with its
/// sha256, and pins nothing the bundle lacks.
pub fn check_requirements(dir: &Path, files: &[&ManifestFile], hashes: &BTreeMap<&str, String>) -> Result<Vec<String>> {
    let Ok(text) = std::fs::read_to_string(dir.join("requirements.txt")) else {
        return Ok(vec!["the bundle has no requirements.txt".into()]);
    };
    let mut pinned: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut words = line.split_whitespace();
        let Some((name, version)) = words.next().and_then(|p| p.split_once("==")) else {
            return Ok(vec![format!(
                "requirements.txt: {line:?} is not a `name==version --hash=...` pin"
            )]);
        };
        let pins = words
            .filter_map(|w| w.strip_prefix("--hash=sha256:").map(str::to_string))
            .collect();
        pinned.insert((normalize_name(name), version.to_string()), pins);
    }
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for f in files {
        let actual = &hashes[f.file.as_str()];
        let meta_name = if f.file.ends_with(".whl") {
            crate::steps::wheel_metadata(&dir.join(&f.file))
                .map(|m| (normalize_name(&m.name), m.version))
                .ok()
        } else {
            Some((normalize_name(&f.name), f.version.clone()))
        };
        let Some(key) = meta_name else { continue };
        seen.insert(key.clone());
        match pinned.get(&key) {
            Some(pins) if pins.contains(actual) => {}
            Some(_) => problems.push(format!("requirements.txt does not pin {} by its sha256", f.file)),
            None => problems.push(format!(
                "requirements.txt does not pin {}=={} ({})",
                key.0, key.1, f.file
            )),
        }
    }
    for (name, version) in pinned.keys().filter(|k| !seen.contains(*k)) {
        problems.push(format!(
            "requirements.txt pins {name}=={version}, which the bundle lacks"
        ));
    }
    Ok(problems)
}
