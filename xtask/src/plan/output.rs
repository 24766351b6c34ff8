//! The outputs of a run: archive names, the set folder and what may already be in it,
//! checksums, signatures and release notes.

use anyhow::Result;

use super::platforms::bundle_folder;
use super::repository::check_gpg;
use super::types::{Mode, PlanOptions, PlannedPlatform, Step, CHECKSUMS_FILE, NOTES_FILE};
use super::versions::Versions;
use crate::manifest::workspace::Workspace;
use crate::ops::archive::ArchiveFormat;
use crate::ops::git::Git;
use crate::python::plugins::Plugin;
use crate::versions::changelog;
use crate::versions::units::PlannedUnit;

/// The output folder as written in the manifest.
pub fn plan_output(ws: &Workspace) -> String {
    ws.manifest.release.output.to_string_lossy().replace('\\', "/")
}

/// The notes of the run: a release's (or rebuilt release's) sections of every released
/// changelog, or a nightly's summary; `identity` is the release name and version.
pub fn notes(
    ws: &Workspace,
    opts: &PlanOptions,
    plugins: &[Plugin],
    versions: &Versions,
    (release_name, version_text): (&str, &str),
    commit: &str,
) -> String {
    match opts.mode {
        Mode::Release { .. } | Mode::Bundle => release_notes(ws, plugins, release_name, version_text, &versions.units),
        Mode::Nightly { .. } => nightly_notes(ws, plugins, versions, version_text, commit),
    }
}

/// The notes of a nightly: what each plugin's changelog says is unreleased.
fn nightly_notes(ws: &Workspace, plugins: &[Plugin], versions: &Versions, version: &str, commit: &str) -> String {
    let mut text = format!(
        "# {} {version}\n\nNightly build of commit {}.\n",
        ws.manifest.release.name,
        &commit[..commit.len().min(12)]
    );
    for p in plugins {
        let Some(log) = changelog::of(&ws.manifest, p) else {
            continue;
        };
        let v = versions
            .new_versions
            .get(&p.normalized)
            .map(ToString::to_string)
            .unwrap_or_default();
        // towncrier: its draft of the fragments waiting.
        if let Some(t) = p.towncrier.as_ref().filter(|t| t.filename == log.file) {
            match crate::versions::towncrier::draft(ws, p, t, &v, &versions.values.date) {
                Ok(notes) if !notes.is_empty() => {
                    text.push_str(&format!(
                        "\n## {} {v}\n\n{}\n",
                        p.normalized,
                        as_markdown(ws, plugins, &p.normalized, &notes)
                    ));
                }
                Ok(_) => {}
                Err(e) => eprintln!(
                    "warning: {}: towncrier's draft failed, the notes leave it out: {e:#}",
                    p.dir
                ),
            }
            continue;
        }
        let Ok(changelog) = std::fs::read_to_string(ws.root.join(p.path(&log.file))) else {
            continue;
        };
        let (sections, _) = changelog::sections(&changelog, &log.style);
        if let Some(unreleased) = sections.iter().find(|s| s.version.is_none()) {
            let notes = changelog::notes(&changelog, unreleased);
            if !changelog::is_empty(notes) {
                text.push_str(&format!(
                    "\n## {} {v}\n\n{}\n",
                    p.normalized,
                    as_markdown(ws, plugins, &p.normalized, notes)
                ));
            }
        }
    }
    text
}

/// The notes of a release: each unit's notes, per member plugin.
fn release_notes(ws: &Workspace, plugins: &[Plugin], release: &str, version: &str, units: &[PlannedUnit]) -> String {
    let mut text = format!("# {release} {version}\n");
    for u in units {
        for (plugin, notes) in &u.notes {
            text.push_str(&format!(
                "\n## {plugin} {}\n\n{}\n",
                u.version,
                as_markdown(ws, plugins, plugin, notes)
            ));
        }
    }
    text
}

/// A plugin's notes as they go into the Markdown release notes: a reStructuredText
/// changelog's converted where that is plain (else in an `rst` fenced block).
fn as_markdown(ws: &Workspace, plugins: &[Plugin], plugin: &str, notes: &str) -> String {
    let notes = notes.replace("\r\n", "\n");
    let plugin = plugins.iter().find(|p| p.normalized == plugin);
    match plugin
        .and_then(|p| changelog::of(&ws.manifest, p))
        .map(|c| c.style.format)
    {
        Some(changelog::Format::Rst) => changelog::rst::to_markdown(&notes),
        _ => notes,
    }
}

/// Outputs inside the repository must be ignored by git, or the run would leave the working
/// tree dirty.
pub fn check_output_dirs(ws: &Workspace, git: &Git, problems: &mut Vec<String>) -> Result<()> {
    for (what, dir) in [("output folder", ws.output_dir()), ("work folder", ws.work_dir.clone())] {
        if dir != ws.root && ws.root.starts_with(&dir) {
            problems.push(format!(
                "the {what} {} contains the repository: choose a folder of its own, e.g. dist",
                dir.display()
            ));
            continue;
        }
        if dir.exists() && !dir.is_dir() {
            problems.push(format!(
                "the {what} {} is a file, not a folder: move it away or choose another folder",
                dir.display()
            ));
            continue;
        }
        if let Ok(rel) = dir.strip_prefix(&ws.root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if rel.is_empty() {
                problems.push(format!("the {what} must not be the repository root"));
                continue;
            }
            if !git.is_ignored(&format!("{rel}/x"))? {
                problems.push(format!(
                    "the {what} {rel}/ is not ignored by git: add `/{rel}/` to .gitignore"
                ));
            }
        }
    }
    Ok(())
}

/// A release never replaces artifacts of an earlier one: none of `files` may exist in the
/// output folder yet.
pub fn check_no_overwrite(ws: &Workspace, set: &str, files: &[String], problems: &mut Vec<String>) {
    let output = ws.output_dir().join(set);
    for f in files.iter().filter(|f| output.join(f).exists()) {
        problems.push(format!(
            "{}/{set}/{f} already exists (from an earlier release?): a release never overwrites artifacts; \
             move it away, or release the unit whose version names the bundles ([release] version-from)",
            plan_output(ws)
        ));
    }
}

/// The folder of a set in the output folder: `<release>-<version>` (the release name alone
/// when no version names the bundles).
pub fn set_name(release: &str, version: &str) -> String {
    if version.is_empty() {
        release.to_string()
    } else {
        format!("{release}-{version}")
    }
}

/// A nightly may replace its own set (the same commit, every archive of it rebuilt), never
/// the set of another commit, nor drop archives from a set by rebuilding part of it.
pub fn check_set_is_ours(ws: &Workspace, set: &str, commit: &str, files: &[String], problems: &mut Vec<String>) {
    let dir = ws.output_dir().join(set);
    let Ok(names) = crate::ops::fs::file_names(&dir) else {
        return;
    };
    let shown = format!("{}/{set}/", plan_output(ws));
    for name in names
        .iter()
        .filter(|n| ArchiveFormat::NAMES.iter().any(|e| n.ends_with(&format!(".{e}"))))
    {
        match super::identity::read_identity(&dir.join(name)) {
            Ok(identity) if identity.commit != commit => problems.push(format!(
                "{shown}{name} was built from commit {}, this run builds {}: a set never mixes commits; \
                 move {shown} away or use another build number",
                &identity.commit[..identity.commit.len().min(12)],
                &commit[..commit.len().min(12)]
            )),
            Ok(_) if !files.contains(name) => problems.push(format!(
                "{shown}{name} is part of this set but this run does not build it: build every platform \
                 of the set in one run (or join per-platform runs with `cargo xtask merge`), or move {shown} away"
            )),
            Ok(_) => {}
            Err(e) => problems.push(format!(
                "{shown}{name}: not a bundle of this tool ({e:#}): move {shown} away"
            )),
        }
    }
}

/// The set folder's name is portable, and the run may write into it: a release never
/// overwrites; a nightly only replaces its own commit's set.
pub fn check_set(
    ws: &Workspace,
    opts: &PlanOptions,
    set: &str,
    commit: &str,
    deliver: &[String],
    problems: &mut Vec<String>,
) {
    if let Err(e) = crate::manifest::check_portable_name(set) {
        problems.push(format!("{}: the set folder would be {e}", ws.manifest_shown()));
    }
    if matches!(opts.mode, Mode::Release { .. } | Mode::Bundle) {
        check_no_overwrite(ws, set, deliver, problems);
    } else {
        check_set_is_ours(ws, set, commit, deliver, problems);
    }
}

/// The archives with their `.sha256` files and `SHA256SUMS` (and with `sign`, the `.asc`
/// signatures of each and of `SHA256SUMS`).
/// The steps after the archives: their checksums (and signatures), and the release notes of a
/// release or bundle. Returns the files to deliver.
pub fn checksum_and_notes_steps(
    ws: &Workspace,
    opts: &PlanOptions,
    archives: &[String],
    notes: &str,
    steps: &mut Vec<Step>,
    problems: &mut Vec<String>,
) -> Result<Vec<String>> {
    let sign = ws.manifest.release.sign_artifacts && !opts.no_sign;
    if sign {
        check_gpg(ws, "sign-artifacts", problems)?;
        if ws.manifest.release.signers.is_empty() {
            problems.push(format!(
                "{}: [release] sign-artifacts = true but [release] signers names no key: `verify` trusts \
                 no signature then; add the fingerprint of the key that signs (gpg --fingerprint)",
                ws.manifest_shown()
            ));
        }
    }
    steps.push(Step::Checksums {
        files: archives.to_vec(),
        sign,
    });
    let mut deliver = checksummed(archives, sign);
    if matches!(opts.mode, Mode::Release { .. } | Mode::Bundle) {
        steps.push(Step::WriteNotes {
            file: NOTES_FILE.into(),
            text: notes.to_string(),
        });
        deliver.push(NOTES_FILE.into());
    }
    Ok(deliver)
}

pub fn checksummed(archives: &[String], sign: bool) -> Vec<String> {
    let mut files = archives.to_vec();
    files.extend(archives.iter().map(|a| format!("{a}.sha256")));
    files.push(CHECKSUMS_FILE.into());
    if sign {
        files.extend(archives.iter().map(|a| format!("{a}.asc")));
        files.push(format!("{CHECKSUMS_FILE}.asc"));
    }
    files
}

/// Every archive of the run (the platforms' and, unless `--no-sources`, the sources bundle,
/// whose step it adds), checked to be portable and distinct.
pub fn archive_names(
    ws: &Workspace,
    opts: &PlanOptions,
    platforms: &[PlannedPlatform],
    release_name: &str,
    version_text: &str,
    steps: &mut Vec<Step>,
    problems: &mut Vec<String>,
) -> Vec<String> {
    let mut archives: Vec<String> = platforms.iter().map(|p| p.archive.clone()).collect();
    if !opts.no_sources {
        let folder = bundle_folder(&ws.manifest, release_name, version_text, None);
        let archive = format!("{folder}.tar.bz2");
        steps.push(Step::Sources {
            archive: archive.clone(),
            folder,
        });
        archives.push(archive);
    }
    for (i, name) in archives.iter().enumerate() {
        if let Err(e) = crate::manifest::check_portable_name(name) {
            problems.push(format!("{}: [release] archive-name gives {e}", ws.manifest_shown()));
        }
        if archives[..i].contains(name) {
            problems.push(format!(
                "{}: two bundles would be named {name}: put {{platform}} in [release] archive-name",
                ws.manifest_shown()
            ));
        }
    }
    archives
}
