//! An archive before anything in it is trusted: its checksums and signatures, entries that
//! are safe to unpack, and files that are exactly those `manifest.json` declares; only then
//! is it unpacked and checked as a bundle folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::bundle::check_bundle;
use super::bundle_manifest::BundleManifest;
use super::install::Host;
use super::report::Log;
use crate::manifest::workspace::Workspace;
use crate::ops::archive::{extract, list_entries, zip_structure_problems, ArchiveFormat, EntryKind};
use crate::ops::cmd::Cmd;
use crate::ops::fs::sha256_file;

/// Every problem of one archive or folder (empty when it is sound).
pub fn verify_one(
    ws: &Workspace,
    host: &Host,
    target: &Path,
    require_signature: bool,
    log: &mut Log,
) -> Result<Vec<String>> {
    if target.is_dir() {
        let mut problems = check_bundle(ws, host, target, log)?;
        if require_signature {
            problems.push("a folder carries no signature: verify the signed archive it came from".to_string());
        }
        return Ok(problems);
    }
    if !target.is_file() {
        bail!("does not exist");
    }
    let mut problems = check_checksums(target, log)?;
    problems.extend(check_signature(ws, target, require_signature, log)?);
    if !problems.is_empty() {
        return Ok(problems); // a damaged or replaced archive is not read further
    }
    let Ok(entries) = list_entries(target) else {
        return Ok(vec!["cannot be read: the archive is damaged or truncated".into()]);
    };
    let mut unsafe_entries = check_entries(&entries);
    if target.extension().is_some_and(|e| e == "zip") {
        match zip_structure_problems(target) {
            Ok(found) => unsafe_entries.extend(found),
            Err(e) => unsafe_entries.push(format!("cannot be read as a zip: {e:#}")),
        }
    }
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
    let undeclared = check_declared(ws, target, &top, &entries)?;
    if !undeclared.is_empty() {
        return Ok(undeclared);
    }
    let tmp = tempfile::tempdir().context("cannot create a temporary folder")?;
    extract(target, tmp.path())?;
    check_bundle(ws, host, &tmp.path().join(top), log)
}

/// The archive's file entries against what its `manifest.json` declares (names and sizes).
pub fn check_declared(
    ws: &Workspace,
    archive: &Path,
    top: &str,
    entries: &[crate::ops::archive::EntryInfo],
) -> Result<Vec<String>> {
    let manifest_name = format!("{top}/manifest.json");
    let Some(text) = crate::ops::archive::read_entry(archive, |n| n == manifest_name)? else {
        return Ok(vec!["the bundle has no manifest.json in its top-level folder".into()]);
    };
    let Ok(manifest) = serde_json::from_slice::<BundleManifest>(&text) else {
        return Ok(vec!["manifest.json is not a bundle manifest".into()]);
    };
    let declared = manifest.declared();
    let mut problems = check_names(ws, archive, top, &manifest);
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

/// The archive's name and its folder are those `[release] archive-name` gives the release,
/// version and platform its `manifest.json` says it is of: a bundle cannot pass for another.
fn check_names(ws: &Workspace, archive: &Path, top: &str, manifest: &BundleManifest) -> Vec<String> {
    let platform = match manifest.platform.as_str() {
        "sources" => None,
        name => match ws.manifest.platform(name) {
            Some(p) => Some(p),
            None => return Vec::new(), // the bundle check names the unknown platform
        },
    };
    let folder = crate::plan::bundle_folder(&ws.manifest, &manifest.release, &manifest.version, platform);
    let file = archive.file_name().unwrap_or_default().to_string_lossy();
    let mut problems = Vec::new();
    if top != folder {
        problems.push(format!(
            "its folder is {top}, but manifest.json says it is {} {} for {}, whose folder is {folder}",
            manifest.release, manifest.version, manifest.platform
        ));
    }
    if !ArchiveFormat::NAMES.iter().any(|ext| file == format!("{top}.{ext}")) {
        problems.push(format!("the archive is named {file}, but its folder is {top}"));
    }
    problems
}

pub fn check_checksums(archive: &Path, log: &mut Log) -> Result<Vec<String>> {
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

pub fn check_signature(ws: &Workspace, archive: &Path, required: bool, log: &mut Log) -> Result<Vec<String>> {
    let sums = archive.with_file_name(crate::plan::CHECKSUMS_FILE);
    let mut problems = Vec::new();
    let own = PathBuf::from(format!("{}.asc", archive.display()));
    if required && !own.is_file() {
        problems.push(format!(
            "{} is missing: the archive must be signed ([release] sign-artifacts = true in {}, or --require-signature)",
            own.display(),
            ws.manifest_shown()
        ));
    }
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
                .args(["--batch", "--status-fd", "1", "--verify"])
                .arg(&asc)
                .arg(&signed),
        )?;
        let shown = signed.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let (verdict, problem) = judge_signature(ws, ok, &out, &asc, required);
        log.say(format!("signature of {shown}: {verdict}"));
        problems.extend(problem);
    }
    Ok(problems)
}

/// A signature is good when gpg finds it valid and its key (or the key's primary key) is one
/// of `[release] signers`; any other key in the keyring proves nothing. With no signers, a
/// valid signature is only said to be unchecked, and refused where one is `required`.
fn judge_signature(
    ws: &Workspace,
    ok: bool,
    out: &crate::ops::cmd::Output,
    asc: &Path,
    required: bool,
) -> (&'static str, Option<String>) {
    let status = String::from_utf8_lossy(&out.stdout);
    // [GNUPG:] VALIDSIG <fingerprint> <date> <time> <expires> <version> <reserved> <algo>
    //          <hash> <class> <primary key fingerprint>
    let valid = status
        .lines()
        .find_map(|l| l.strip_prefix("[GNUPG:] VALIDSIG "))
        .map(|rest| {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let primary = fields.get(9).copied().unwrap_or_default();
            (
                fields.first().copied().unwrap_or_default().to_string(),
                primary.to_string(),
            )
        });
    let signers = &ws.manifest.release.signers;
    match valid {
        Some((key, primary)) if ok && signers.iter().any(|s| *s == key || *s == primary) => ("good", None),
        Some(_) if ok && signers.is_empty() && !required => (
            "valid, but not checked against a trusted key ([release] signers is empty)",
            None,
        ),
        Some((key, _)) if ok && signers.is_empty() => (
            "NOT TRUSTED",
            Some(format!(
                "{} is a valid signature by {key}, but [release] signers in {} names no key, so any key in the \
                 keyring would pass: add the fingerprints of the keys that sign releases",
                asc.display(),
                ws.manifest_shown()
            )),
        ),
        Some((key, _)) if ok => (
            "NOT TRUSTED",
            Some(format!(
                "{} is signed by {key}, which [release] signers in {} does not name",
                asc.display(),
                ws.manifest_shown()
            )),
        ),
        _ => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr.lines().last().unwrap_or("").to_string();
            (
                "BAD",
                Some(format!("the signature {} does not match: {last}", asc.display())),
            )
        }
    }
}

/// Unsafe entries: absolute paths, `..`, links leaving the archive, special files, setuid,
/// setgid or sticky bits, duplicates, and names that are duplicates on a case-insensitive file
/// system (Windows, macOS).
pub(crate) fn check_entries(entries: &[crate::ops::archive::EntryInfo]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let mut folded = BTreeMap::new();
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
        if e.mode & 0o7000 != 0 {
            problems.push(format!(
                "entry {name:?} has mode {:o}: setuid, setgid and sticky bits are refused",
                e.mode
            ));
        }
        let key = name.trim_end_matches('/').to_string();
        if !seen.insert(key.clone()) {
            problems.push(format!("entry {name:?} appears twice"));
        } else if let Some(other) = folded.insert(key.to_lowercase(), key) {
            problems.push(format!(
                "entries {other:?} and {name:?} differ only in case: one overwrites the other on Windows and macOS"
            ));
        }
    }
    problems
}

/// Whether a relative path, resolved lexically, stays below its start.
pub fn stays_inside(path: &Path) -> bool {
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

pub fn top_folder(entries: &[crate::ops::archive::EntryInfo]) -> Option<String> {
    let tops: BTreeSet<&str> = entries.iter().map(|e| e.name.split('/').next().unwrap_or("")).collect();
    match tops.into_iter().collect::<Vec<_>>().as_slice() {
        [one] if !one.is_empty() => Some(one.to_string()),
        _ => None,
    }
}
