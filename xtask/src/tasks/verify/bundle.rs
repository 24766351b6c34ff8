//! `cargo xtask verify ARCHIVE|FOLDER...`: check a bundle before trusting it. For an archive:
//! its `.sha256` and `SHA256SUMS` entries, its `.asc` signature when present, and that no entry
//! is unsafe (absolute, `..`, links leaving the bundle, devices, duplicates). For the bundle:
//! `manifest.json` against the files, every wheel's tags against the platform, every
//! dependency (markers evaluated for the platform) present, and on a matching host a real
//! offline install into a fresh venv and an import of every plugin. Changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use pep508_rs::{Requirement, VerbatimUrl, VersionOrUrl};
use serde::Serialize;

use crate::manifest::workspace::Workspace;
use crate::manifest::{normalize_name, Platform};
use crate::ops::archive::{extract, list_entries, EntryKind};
use crate::ops::cmd::Cmd;
use crate::ops::fs::sha256_file;
use crate::python::platform::{marker_environment, wheel_fits};
use crate::python::toolchain;

pub fn run(ws: &Workspace, targets: &[PathBuf], json: bool) -> Result<()> {
    if targets.is_empty() {
        bail!(crate::error::input_error(
            "name the archives or bundle folders to verify"
        ));
    }
    let started = Instant::now();
    // The tools of this host, found once: an offline install needs them, the checks do not.
    let host: Host = toolchain::find(&ws.runner, &ws.manifest).map_err(|p| p.join("; "));
    let mut failed = Vec::new();
    let mut reports = Vec::new();
    for target in targets {
        let shown = target.display().to_string();
        if !json {
            crate::ops::ui::summary!("{shown}:");
        }
        let one_started = Instant::now();
        let mut log = Log {
            json,
            lines: Vec::new(),
            sha256: None,
        };
        let problems = match verify_one(ws, &host, target, &mut log) {
            Ok(problems) => problems,
            Err(e) => vec![format!("{e:#}")],
        };
        if !json {
            if problems.is_empty() {
                crate::ops::ui::summary!("  OK");
            }
            for p in &problems {
                crate::ops::ui::summary!("  FAIL {p}");
            }
        }
        if !problems.is_empty() {
            failed.push(format!("{shown}: {}", problems.join("; ")));
        }
        reports.push(TargetReport {
            path: shown,
            ok: problems.is_empty(),
            sha256: log.sha256,
            size: target
                .is_file()
                .then(|| std::fs::metadata(target).map(|m| m.len()))
                .transpose()?,
            checks: log.lines,
            problems,
            seconds: one_started.elapsed().as_secs_f64(),
        });
    }
    if json {
        let report = VerifyReport {
            ok: failed.is_empty(),
            targets: reports,
            seconds: started.elapsed().as_secs_f64(),
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    if failed.is_empty() {
        Ok(())
    } else {
        bail!("verification failed:\n  - {}", failed.join("\n  - "))
    }
}

/// What `verify --json` prints.
#[derive(Serialize)]
struct VerifyReport {
    ok: bool,
    targets: Vec<TargetReport>,
    seconds: f64,
}

#[derive(Serialize)]
struct TargetReport {
    path: String,
    ok: bool,
    /// Of an archive; null for a folder.
    sha256: Option<String>,
    size: Option<u64>,
    /// What was checked, one line each, as the text output shows them.
    checks: Vec<String>,
    /// Every failure; empty when `ok`.
    problems: Vec<String>,
    seconds: f64,
}

/// The lines of what was checked: printed as they come, or kept for the JSON report.
struct Log {
    json: bool,
    lines: Vec<String>,
    /// The archive's sha256, once the checksum check has computed it.
    sha256: Option<String>,
}

impl Log {
    fn say(&mut self, line: String) {
        if !self.json {
            crate::ops::ui::summary!("  {line}");
        }
        self.lines.push(line);
    }
}

/// Every problem of one archive or folder (empty when it is sound).
fn verify_one(ws: &Workspace, host: &Host, target: &Path, log: &mut Log) -> Result<Vec<String>> {
    if target.is_dir() {
        return check_bundle(ws, host, target, log);
    }
    if !target.is_file() {
        bail!("does not exist");
    }
    let mut problems = check_checksums(target, log)?;
    problems.extend(check_signature(ws, target, log)?);
    if !problems.is_empty() {
        return Ok(problems); // a damaged or replaced archive is not read further
    }
    let Ok(entries) = list_entries(target) else {
        return Ok(vec!["cannot be read: the archive is damaged or truncated".into()]);
    };
    let unsafe_entries = check_entries(&entries);
    let single_top = top_folder(&entries);
    log.say(format!(
        "{} entries, none unsafe: {}",
        entries.len(),
        if unsafe_entries.is_empty() { "yes" } else { "no" }
    ));
    problems.extend(unsafe_entries);
    if !problems.is_empty() {
        return Ok(problems); // never unpack what failed these checks
    }
    let Some(top) = single_top else {
        return Ok(vec!["a bundle holds exactly one top-level folder".into()]);
    };
    // Before anything is written: every file must be one manifest.json declares, with the
    // size it declares (from the archive's headers), so nothing undeclared is ever unpacked.
    let undeclared = check_declared(target, &top, &entries)?;
    if !undeclared.is_empty() {
        return Ok(undeclared);
    }
    let tmp = tempfile::tempdir().context("cannot create a temporary folder")?;
    extract(target, tmp.path())?;
    check_bundle(ws, host, &tmp.path().join(top), log)
}

/// The archive's file entries against what its `manifest.json` declares (names and sizes).
fn check_declared(archive: &Path, top: &str, entries: &[crate::ops::archive::EntryInfo]) -> Result<Vec<String>> {
    let manifest_name = format!("{top}/manifest.json");
    let Some(text) = crate::ops::archive::read_entry(archive, |n| n == manifest_name)? else {
        return Ok(vec!["the bundle has no manifest.json in its top-level folder".into()]);
    };
    let Ok(manifest) = serde_json::from_slice::<BundleManifest>(&text) else {
        return Ok(vec!["manifest.json is not a bundle manifest".into()]);
    };
    let declared = manifest.declared();
    let mut problems = Vec::new();
    for e in entries.iter().filter(|e| e.kind != EntryKind::Dir) {
        let inside = e.name.strip_prefix(&format!("{top}/")).unwrap_or(&e.name);
        if inside == "manifest.json" {
            continue;
        }
        match declared.get(inside) {
            None => problems.push(format!(
                "{inside} is in the archive but manifest.json does not declare it ({} bytes; not unpacked)",
                e.size
            )),
            Some(size) if *size != e.size => problems.push(format!(
                "{inside}: the archive says {} bytes, manifest.json {size} (not unpacked)",
                e.size
            )),
            Some(_) => {}
        }
    }
    Ok(problems)
}

fn check_checksums(archive: &Path, log: &mut Log) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let name = archive.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let actual = sha256_file(archive)?;
    log.sha256 = Some(actual.clone());
    let dir = archive.parent().unwrap_or(Path::new("."));
    let mut checked = 0;
    let single = dir.join(format!("{name}.sha256"));
    let mut expected: Vec<(String, String)> = Vec::new();
    if let Ok(text) = std::fs::read_to_string(&single) {
        if let Some(hash) = text.split_whitespace().next() {
            expected.push((hash.to_string(), single.display().to_string()));
        }
    }
    if let Ok(text) = std::fs::read_to_string(dir.join(crate::plan::CHECKSUMS_FILE)) {
        for line in text.lines() {
            if let Some((hash, file)) = line.split_once(char::is_whitespace) {
                if file.trim().trim_start_matches('*') == name {
                    expected.push((hash.to_string(), crate::plan::CHECKSUMS_FILE.to_string()));
                }
            }
        }
    }
    for (hash, source) in expected {
        checked += 1;
        if !hash.eq_ignore_ascii_case(&actual) {
            problems.push(format!(
                "sha256 is {actual} but {source} says {hash}: the archive is damaged or was replaced"
            ));
        }
    }
    log.say(format!(
        "sha256: {}",
        if checked == 0 {
            "no .sha256 or SHA256SUMS entry next to it (not checked)".to_string()
        } else {
            format!("checked against {checked} record(s)")
        }
    ));
    Ok(problems)
}

fn check_signature(ws: &Workspace, archive: &Path, log: &mut Log) -> Result<Vec<String>> {
    let sums = archive.with_file_name(crate::plan::CHECKSUMS_FILE);
    let mut problems = Vec::new();
    for signed in [archive.to_path_buf(), sums] {
        let asc = PathBuf::from(format!("{}.asc", signed.display()));
        if !asc.is_file() || !signed.is_file() {
            continue;
        }
        let Ok(gpg) = which::which("gpg") else {
            problems.push(format!("{} exists but gpg is not installed to check it", asc.display()));
            continue;
        };
        let (ok, out) = ws.runner.probe(
            &Cmd::new(gpg, "check the signature")
                .args(["--batch", "--verify"])
                .arg(&asc)
                .arg(&signed),
        )?;
        let shown = signed.file_name().unwrap_or_default().to_string_lossy().into_owned();
        log.say(format!("signature of {shown}: {}", if ok { "good" } else { "BAD" }));
        if !ok {
            let last = String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .to_string();
            problems.push(format!("the signature {} does not match: {last}", asc.display()));
        }
    }
    Ok(problems)
}

/// Unsafe entries: absolute paths, `..`, links leaving the archive, special files, duplicates.
pub(crate) fn check_entries(entries: &[crate::ops::archive::EntryInfo]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for e in entries {
        let name = e.name.as_str();
        let path = Path::new(name);
        if name.starts_with('/') || name.starts_with('\\') || path.is_absolute() || name.get(1..2) == Some(":") {
            problems.push(format!("entry {name:?} has an absolute path"));
        } else if path.components().any(|c| c == Component::ParentDir) {
            problems.push(format!("entry {name:?} climbs out with `..`"));
        }
        if name.contains('\\') {
            problems.push(format!("entry {name:?} has a backslash in its name"));
        }
        if let EntryKind::Other(what) = &e.kind {
            problems.push(format!(
                "entry {name:?} is a special file ({what}); bundles hold only files and folders"
            ));
        }
        if matches!(e.kind, EntryKind::Symlink | EntryKind::HardLink) {
            let target = e.link_target.clone().unwrap_or_default();
            let base = if e.kind == EntryKind::Symlink {
                path.parent().unwrap_or(Path::new(""))
            } else {
                Path::new("")
            };
            if !stays_inside(&base.join(&target)) || Path::new(&target).is_absolute() {
                problems.push(format!("link {name:?} points outside the bundle ({target:?})"));
            }
        }
        if !seen.insert(name.trim_end_matches('/').to_string()) {
            problems.push(format!("entry {name:?} appears twice"));
        }
    }
    problems
}

/// Whether a relative path, resolved lexically, stays below its start.
fn stays_inside(path: &Path) -> bool {
    let mut depth: i64 = 0;
    for c in path.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::RootDir | Component::Prefix(_) => return false,
            Component::CurDir => {}
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

fn top_folder(entries: &[crate::ops::archive::EntryInfo]) -> Option<String> {
    let tops: BTreeSet<&str> = entries.iter().map(|e| e.name.split('/').next().unwrap_or("")).collect();
    match tops.into_iter().collect::<Vec<_>>().as_slice() {
        [one] if !one.is_empty() => Some(one.to_string()),
        _ => None,
    }
}

#[derive(serde::Deserialize)]
struct BundleManifest {
    platform: String,
    files: Vec<ManifestFile>,
    /// Install scripts, requirements.txt, notes: every other file of the bundle.
    #[serde(default)]
    support: Vec<SupportFile>,
}

#[derive(serde::Deserialize)]
struct SupportFile {
    file: String,
    sha256: String,
    size: u64,
}

impl BundleManifest {
    /// Every file the bundle may hold with its declared size, `manifest.json` aside.
    fn declared(&self) -> BTreeMap<&str, u64> {
        self.files
            .iter()
            .map(|f| (f.file.as_str(), f.size))
            .chain(self.support.iter().map(|f| (f.file.as_str(), f.size)))
            .collect()
    }
}

#[derive(serde::Deserialize)]
struct ManifestFile {
    file: String,
    name: String,
    version: String,
    sha256: String,
    size: u64,
    origin: String,
}

/// This host's tools, or why there are none.
type Host = std::result::Result<toolchain::Tools, String>;

fn check_bundle(ws: &Workspace, host: &Host, dir: &Path, log: &mut Log) -> Result<Vec<String>> {
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
fn check_undeclared_and_support_files(dir: &Path, manifest: &BundleManifest) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let present: BTreeSet<String> = crate::ops::fs::file_names(dir)?
        .into_iter()
        .filter(|f| f != "manifest.json")
        .collect();
    let declared = manifest.declared();
    for f in present.iter().filter(|f| !declared.contains_key(f.as_str())) {
        problems.push(format!("{f} is in the bundle but not in manifest.json"));
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
fn hash_listed_files<'m>(
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
fn check_wheel_tags(wheels: &[&ManifestFile], platform: &Platform, log: &mut Log) -> Vec<String> {
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
fn check_requires_python(
    dir: &Path,
    wheels: &[&ManifestFile],
    platform: &Platform,
    log: &mut Log,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut too_new_or_old = 0;
    for w in wheels {
        if let Some(requires) = crate::steps::wheel_requires_python(&dir.join(&w.file))? {
            if !crate::python::platform::python_admits(&requires, &platform.python) {
                too_new_or_old += 1;
                problems.push(format!(
                    "{} requires Python {requires}; platform {} is Python {}",
                    w.file, platform.name, platform.python
                ));
            }
        }
    }
    log.say(format!(
        "requires-python: {} of {} admit Python {}",
        wheels.len() - too_new_or_old,
        wheels.len(),
        platform.python
    ));
    Ok(problems)
}

/// This host's tools when the bundle is to be installed here for real, else why not: no
/// usable Python, a host of another platform, or problems found already.
fn offline_install_tools<'h>(
    host: &'h Host,
    platform: &Platform,
    problems: &[String],
) -> std::result::Result<&'h toolchain::Tools, String> {
    match host {
        Err(missing) => Err(format!("no usable Python here: {missing}")),
        Ok(tools) if crate::plan::check_native(platform, &tools.python).is_err() => {
            Err(format!("this host is not a {} host", platform.name))
        }
        Ok(_) if !problems.is_empty() => Err("the checks above failed".to_string()),
        Ok(tools) => Ok(tools),
    }
}

/// Install the bundle offline into a fresh venv and import every plugin whose import is
/// verified (`[plugin.NAME] verify-import`); plugins' wheels without a module are a problem.
fn install_plugins_offline(
    ws: &Workspace,
    tools: &toolchain::Tools,
    dir: &Path,
    manifest: &BundleManifest,
    log: &mut Log,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let (imported, skipped): (Vec<&ManifestFile>, Vec<&ManifestFile>) = manifest
        .files
        .iter()
        .filter(|f| f.origin == "private" && f.file.ends_with(".whl"))
        .partition(|f| ws.manifest.verify_import(&normalize_name(&f.name)));
    let modules = plugin_modules(dir, &imported)?;
    if modules.is_empty() && !imported.is_empty() {
        problems.push(format!(
            "the plugins' wheels ({}) hold no importable module or package",
            imported.iter().map(|f| f.file.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    install_and_import(ws, &tools.python.path, dir, &modules)?;
    log.say(format!(
        "installed offline into a fresh venv and imported: {}",
        modules.join(", ")
    ));
    if !skipped.is_empty() {
        log.say(format!(
            "not imported ([plugin.NAME] verify-import = false): {}",
            skipped.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(problems)
}

fn check_dependencies(dir: &Path, wheels: &[&ManifestFile], platform: &Platform, log: &mut Log) -> Result<Vec<String>> {
    let env = marker_environment(platform);
    // Names and versions from the wheels themselves, not from manifest.json.
    let mut found: Vec<(String, pep440_rs::Version, Vec<String>)> = Vec::new();
    for w in wheels {
        let meta = crate::steps::wheel_metadata(&dir.join(&w.file))?;
        let version = pep440_rs::Version::from_str(&meta.version).map_err(|e| anyhow::anyhow!("{}: {e}", w.file))?;
        found.push((
            normalize_name(&meta.name),
            version,
            crate::steps::wheel_requires(&dir.join(&w.file))?,
        ));
    }
    // The extras each package is asked for, until nothing new is asked.
    let mut extras: BTreeMap<String, BTreeSet<pep508_rs::ExtraName>> = BTreeMap::new();
    loop {
        let mut changed = false;
        for (name, _, requires) in &found {
            let own = asked_extras(&extras, name);
            for line in requires {
                let Ok(req) = Requirement::<VerbatimUrl>::from_str(line) else {
                    continue;
                };
                if req.evaluate_markers(&env, &own) {
                    let entry = extras.entry(req.name.to_string()).or_default();
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
    let mut problems = Vec::new();
    let mut count = 0;
    for (name, version, requires) in &found {
        let own = asked_extras(&extras, name);
        for line in requires {
            let Ok(req) = Requirement::<VerbatimUrl>::from_str(line) else {
                continue;
            };
            if !req.evaluate_markers(&env, &own) {
                continue;
            }
            count += 1;
            let ok = found.iter().any(|(n, v, _)| {
                n == req.name.as_ref()
                    && match &req.version_or_url {
                        Some(VersionOrUrl::VersionSpecifier(spec)) => crate::versions::satisfies(spec, v),
                        _ => true,
                    }
            });
            if !ok {
                problems.push(format!(
                    "{name} {version} requires {line:?} on {}, which the bundle lacks",
                    platform.name
                ));
            }
        }
    }
    log.say(format!(
        "dependencies for {}: {count} requirement(s) checked",
        platform.name
    ));
    Ok(problems)
}

/// The extras that some requirement in the bundle asks of package `name`.
fn asked_extras(extras: &BTreeMap<String, BTreeSet<pep508_rs::ExtraName>>, name: &str) -> Vec<pep508_rs::ExtraName> {
    extras
        .get(name)
        .map(|e| e.iter().cloned().collect())
        .unwrap_or_default()
}

/// `requirements.txt` pins every file of the bundle under its package and version, with its
/// sha256, and pins nothing the bundle lacks.
fn check_requirements(dir: &Path, files: &[&ManifestFile], hashes: &BTreeMap<&str, String>) -> Result<Vec<String>> {
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

/// Top-level import names of the plugins' wheels.
/// What to import to load the given wheels: each outermost regular package (a folder with
/// `__init__.py`, also below namespace folders: `acme/plugins/foo` → `acme.plugins.foo`) and
/// each module outside any package.
fn plugin_modules(dir: &Path, wheels: &[&ManifestFile]) -> Result<Vec<String>> {
    let mut modules = BTreeSet::new();
    for f in wheels {
        let zip = zip::ZipArchive::new(std::fs::File::open(dir.join(&f.file))?)?;
        let files: Vec<String> = zip
            .file_names()
            .filter_map(Result::ok)
            .filter(|n| n.ends_with(".py"))
            .filter(|n| {
                let top = n.split('/').next().unwrap_or("");
                !top.ends_with(".dist-info") && !top.ends_with(".data")
            })
            .map(|n| n.into_owned())
            .collect();
        let packages: BTreeSet<&str> = files.iter().filter_map(|n| n.strip_suffix("/__init__.py")).collect();
        for name in &files {
            let parts: Vec<&str> = name.trim_end_matches(".py").split('/').collect();
            // The outermost folder on the way down that is a regular package, else the module.
            let package = (1..parts.len()).find(|i| packages.contains(parts[..*i].join("/").as_str()));
            let dotted = match package {
                Some(i) => parts[..i].join("."),
                None if parts.last() == Some(&"__init__") => continue,
                None => parts.join("."),
            };
            if dotted
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
            {
                modules.insert(dotted);
            }
        }
    }
    Ok(modules.into_iter().collect())
}

fn install_and_import(ws: &Workspace, python: &Path, dir: &Path, modules: &[String]) -> Result<()> {
    let venv = tempfile::tempdir().context("cannot create a temporary folder")?;
    ws.runner.read(
        &Cmd::new(python, "create a fresh venv to install the bundle into")
            .args(["-m", "venv"])
            .arg(venv.path()),
    )?;
    let venv_python = if cfg!(windows) {
        venv.path().join("Scripts/python.exe")
    } else {
        venv.path().join("bin/python")
    };
    ws.runner.read(
        &Cmd::new(
            &venv_python,
            "install the bundle offline (pip --no-index --require-hashes)",
        )
        .isolated_pip()
        .args(["-m", "pip", "install", "--no-index", "--find-links"])
        .arg(dir)
        .args(["--require-hashes", "-r"])
        .arg(dir.join("requirements.txt")),
    )?;
    let imports: Vec<String> = modules.iter().map(|m| format!("import {m}")).collect();
    ws.runner
        .read(&Cmd::new(&venv_python, "import every plugin").args(["-c", &imports.join("\n")]))?;
    Ok(())
}
