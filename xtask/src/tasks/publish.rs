//! `cargo xtask publish`: publish the bundles of the release HEAD is tagged with, as they lie
//! in the output folder (written by `merge`, or by `bundle` on one machine). This is the last
//! job of the release workflow. Every archive of `SHA256SUMS` is checked and must be of HEAD's
//! release; the released plugins' sdists (from the sources bundle) and wheels (from the
//! platform bundles) are taken out of the checked archives; then everything is copied into the
//! release folder and the sdists and wheels are uploaded. All checks run first, together.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::merge::{inspect, short, Found};
use crate::error::precheck_failed;
use crate::manifest::workspace::Workspace;
use crate::manifest::Upload;
use crate::ops::archive::read_entry;
use crate::ops::fs::{file_names, move_all_into_place, sha256_file, write_atomic};
use crate::ops::git::Git;
use crate::ops::staging::Staging;
use crate::plan::{CHECKSUMS_FILE, NOTES_FILE};
use crate::python::index::is_dist_of;
use crate::python::toolchain;
use crate::versions::units;

pub struct PublishOptions {
    /// The release folder (`--release-dir`, else `RELEASE_DIR`, else `[publish] release-dir`).
    pub release_dir: Option<String>,
    pub dry_run: bool,
}

/// What publishing will do, computed and checked before anything is written or sent.
struct PublishPlan {
    release: String,
    version: String,
    commit: String,
    /// The release tags on HEAD.
    tags: Vec<String>,
    /// Every file of the set in the output folder (archives, checksums, signatures, notes).
    files: Vec<String>,
    /// `name_version` prefixes of the released plugins.
    dists_of: Vec<String>,
    /// Those of them that are uploaded (`[plugin.NAME] upload`).
    uploaded: Vec<String>,
    /// sdists and wheels taken out of the bundles into the output folder.
    extract: Vec<Extract>,
    release_dir: Option<String>,
    upload: Option<Upload>,
}

struct Extract {
    file: String,
    /// The archive it comes from.
    from: String,
    sha256: String,
}

pub fn run(ws: &Workspace, opts: &PublishOptions) -> Result<()> {
    if !opts.dry_run {
        crate::steps::journal::refuse_if_interrupted(ws)?;
    }
    let mut problems = Vec::new();
    let tools =
        toolchain::find(&ws.runner, &ws.manifest).map_err(|p| precheck_failed("cannot publish the release", p))?;
    let git = Git::new(&ws.runner, tools.git.clone(), &ws.root);
    let head = git.head()?;
    let plugins = super::discover_plugins(ws)?;
    problems.extend(units::tag_clashes(&ws.manifest, &plugins));
    let current = units::current_versions(&ws.manifest, &git, &plugins)?;
    // Changelog problems are `bundle`'s to report; publishing needs only the units.
    let units = units::tagged_at(ws, &git, &plugins, &current, &head, &mut Vec::new())?;
    if units.is_empty() {
        problems.push(format!(
            "HEAD ({}) carries no release tag of a plugin or group at its current version: \
             check out the release tag whose bundles are in the output folder",
            short(&head)
        ));
    }

    // The set: every archive SHA256SUMS lists, checked, of HEAD's release, in the set's
    // folder (named as the release named it).
    let identity = crate::plan::release_identity(ws, &plugins, &current, Some(&units), None, &mut problems);
    let sets: Vec<String> = identity
        .iter()
        .map(|(name, version)| crate::plan::set_name(name, version))
        .collect();
    let release_name = identity.map(|(name, _)| name).unwrap_or_default();
    let set = find_set(ws, &sets);
    let output = ws.output_dir().join(&set);
    let shown = format!("{}/{set}", ws.manifest.release.output.display());
    let archives = read_checksummed(&output, &shown, &mut problems);
    let version = archives.first().map(|a| a.identity.version.clone()).unwrap_or_default();
    check_built_from_head(&archives, &head, &release_name, &version, &mut problems);
    let mut platforms: Vec<&str> = ws.manifest.platforms.iter().map(|p| p.name.as_str()).collect();
    platforms.push("sources");
    check_complete(&archives, &platforms, &shown, &mut problems);

    let (dists_of, uploaded, extract) = released_files(ws, &units, &platforms, &archives, &mut problems);
    let present = file_names(&output).unwrap_or_default();
    let extract = not_yet_extracted(extract, &present, &output, &shown, &mut problems)?;
    let (release_dir, upload) = destinations(ws, opts, &units, &mut problems);
    if !problems.is_empty() {
        return Err(precheck_failed("cannot publish the release", problems));
    }

    let plan = PublishPlan {
        release: release_name.clone(),
        version,
        commit: head,
        tags: units.iter().map(|u| u.tag.clone()).collect(),
        files: set_files(&archives, &present),
        dists_of,
        uploaded,
        extract,
        release_dir,
        upload,
    };
    print_plan(&plan, &shown);
    if opts.dry_run {
        return Ok(());
    }

    execute(ws, &tools, &plan, &output, &shown)
}

/// The archives `SHA256SUMS` lists in the set's folder, each checked against its `.sha256`
/// and against `SHA256SUMS`; a missing `SHA256SUMS`, a bad line or a bad archive is a problem.
fn read_checksummed(output: &Path, shown: &str, problems: &mut Vec<String>) -> Vec<Found> {
    let mut archives: Vec<Found> = Vec::new();
    match std::fs::read_to_string(output.join(CHECKSUMS_FILE)) {
        Err(_) => problems.push(format!(
            "{shown}/{CHECKSUMS_FILE}: missing; put the release's bundles there first \
             (`cargo xtask merge FOLDER...`, or `cargo xtask bundle` on one machine)"
        )),
        Ok(text) => {
            for (n, line) in text.lines().enumerate() {
                let Some((sha256, name)) = line.split_once("  ") else {
                    problems.push(format!("{shown}/{CHECKSUMS_FILE}:{}: not `<sha256>  <file>`", n + 1));
                    continue;
                };
                match inspect(&output.join(name)) {
                    Ok(found) if !found.sha256.eq_ignore_ascii_case(sha256) => problems.push(format!(
                        "{shown}/{name}: sha256 is {}, but {CHECKSUMS_FILE} says {sha256}",
                        found.sha256
                    )),
                    Ok(found) => archives.push(found),
                    Err(e) => problems.push(format!("{shown}/{name}: {e:#}")),
                }
            }
        }
    }
    archives
}

/// Every archive is of HEAD's commit, of the release HEAD is tagged with, and of one version.
fn check_built_from_head(
    archives: &[Found],
    head: &str,
    release_name: &str,
    version: &str,
    problems: &mut Vec<String>,
) {
    for a in archives {
        let id = &a.identity;
        if id.commit != head || id.release != release_name || id.version != version {
            problems.push(format!(
                "{} is {} {} of commit {}, but HEAD is {}: publish from the commit the bundles were built from",
                name_of(a),
                id.release,
                id.version,
                short(&id.commit),
                short(head)
            ));
        }
    }
}

/// The set has a bundle for every platform and for the sources (unless it has no archive at
/// all, which is reported already).
fn check_complete(archives: &[Found], platforms: &[&str], shown: &str, problems: &mut Vec<String>) {
    if !archives.is_empty() {
        for wanted in platforms {
            if !archives.iter().any(|a| a.identity.platform == *wanted) {
                problems.push(format!(
                    "{shown}/{CHECKSUMS_FILE} lists no bundle for {wanted}: publish a complete set"
                ));
            }
        }
    }
}

/// What is still to be taken out of the bundles. Files already in the output folder (a
/// `bundle` on this machine delivered them) must be the same; they are not extracted again.
fn not_yet_extracted(
    extract: BTreeMap<String, Extract>,
    present: &[String],
    output: &Path,
    shown: &str,
    problems: &mut Vec<String>,
) -> Result<Vec<Extract>> {
    let mut extract: Vec<Extract> = extract.into_values().collect();
    for e in &extract {
        if present.contains(&e.file) && sha256_file(&output.join(&e.file))? != e.sha256 {
            problems.push(format!(
                "{shown}/{}: differs from the file in {}; move it away (the bundles' copy is published)",
                e.file, e.from
            ));
        }
    }
    extract.retain(|e| !present.contains(&e.file));
    Ok(extract)
}

/// Where to publish: the release folder (`--release-dir`, else `RELEASE_DIR`, else
/// `[publish] release-dir`) and the upload, checked; having neither is a problem.
fn destinations(
    ws: &Workspace,
    opts: &PublishOptions,
    units: &[crate::versions::units::PlannedUnit],
    problems: &mut Vec<String>,
) -> (Option<String>, Option<Upload>) {
    let upload = ws.manifest.publish.upload.clone();
    if let Some(upload) = &upload {
        crate::plan::check_upload(upload, units, problems);
    }
    let release_dir = opts
        .release_dir
        .clone()
        .or_else(|| ws.manifest.publish.release_dir.clone());
    if release_dir.is_none() && upload.is_none() {
        problems.push(format!(
            "{}: [publish] has neither release-dir nor upload, and no --release-dir or RELEASE_DIR \
             is given: there is nowhere to publish to",
            ws.manifest_shown()
        ));
    }
    (release_dir, upload)
}

/// The files of the set present in the output folder to copy to the release folder: each
/// archive with its `.sha256` and `.asc`, then `SHA256SUMS`, its signature and the notes.
fn set_files(archives: &[Found], present: &[String]) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    for a in archives {
        let name = name_of(a);
        for f in [name.clone(), format!("{name}.sha256"), format!("{name}.asc")] {
            if present.contains(&f) {
                files.push(f);
            }
        }
    }
    for f in [
        CHECKSUMS_FILE.to_string(),
        format!("{CHECKSUMS_FILE}.asc"),
        NOTES_FILE.into(),
    ] {
        if present.contains(&f) {
            files.push(f);
        }
    }
    files
}

/// Take the released sdists and wheels out of the bundles, upload them, copy the set.
fn execute(ws: &Workspace, tools: &toolchain::Tools, plan: &PublishPlan, output: &Path, shown: &str) -> Result<()> {
    crate::ops::signals::defer_interrupts();
    if !plan.extract.is_empty() {
        let stage = Staging::create(&ws.work_dir, "publish")?;
        let mut moves: Vec<(PathBuf, PathBuf)> = Vec::new();
        for e in &plan.extract {
            let archive = output.join(&e.from);
            let bytes = read_entry(&archive, |n| {
                n.rsplit_once('/')
                    .is_some_and(|(top, f)| !top.contains('/') && f == e.file)
            })?
            .with_context(|| format!("{} no longer holds {}", archive.display(), e.file))?;
            let staged = stage.path().join(&e.file);
            write_atomic(&staged, &bytes)?;
            if sha256_file(&staged)? != e.sha256 {
                anyhow::bail!("{} in {} does not match its manifest.json", e.file, e.from);
            }
            moves.push((staged, output.join(&e.file)));
        }
        move_all_into_place(&moves).with_context(|| format!("nothing was written to {shown}"))?;
        crate::ops::ui::summary!(
            "took {} sdist(s) and wheel(s) out of the bundles into {shown}/",
            moves.len()
        );
    }
    // Upload first: a release folder that cannot be written (say, on a CI runner) must not
    // keep the index from getting the release.
    if let (Some(upload), false) = (&plan.upload, plan.uploaded.is_empty()) {
        crate::ops::ui::progress!("==> upload to {}", upload.repository_url);
        let index = ws.index_args().pip_env(&ws.root)?;
        let mut requirements = ws.manifest.python.build_tools.clone();
        requirements.push(crate::plan::TWINE.to_string());
        let tools_python = toolchain::tools_venv(&ws.runner, &tools.python, &ws.work_dir, &requirements, &index)?;
        crate::steps::upload(ws, output, &tools_python, upload, &plan.uploaded)?;
        crate::ops::ui::summary!(
            "uploaded to {} (files it had already were skipped)",
            upload.repository_url
        );
    }
    if let Some(dir) = &plan.release_dir {
        crate::ops::ui::progress!("==> copy to {dir}");
        crate::steps::copy_to_release_dir(ws, output, dir, &plan.files, &plan.dists_of)?;
        crate::ops::ui::summary!(
            "copied {} file(s) and the released sdists and wheels to {dir}",
            plan.files.len()
        );
    }
    Ok(())
}

/// The released plugins' files: the sdist from the sources bundle, each wheel from the first
/// platform bundle (manifest order) holding it. Their `name_version` prefixes, those uploaded,
/// and what to take out of which bundle.
fn released_files(
    ws: &Workspace,
    units: &[crate::versions::units::PlannedUnit],
    platforms: &[&str],
    archives: &[Found],
    problems: &mut Vec<String>,
) -> (Vec<String>, Vec<String>, BTreeMap<String, Extract>) {
    let mut dists_of = Vec::new();
    let mut uploaded = Vec::new();
    let mut extract: BTreeMap<String, Extract> = BTreeMap::new();
    for unit in units {
        for member in &unit.members {
            let prefix = format!("{}-{}", member.replace('-', "_"), unit.version);
            dists_of.push(prefix.clone());
            if ws.manifest.uploads(member) {
                uploaded.push(prefix.clone());
            }
            let mut sdist = false;
            for platform in platforms {
                for a in archives.iter().filter(|a| a.identity.platform == *platform) {
                    for f in a.identity.files.iter().filter(|f| {
                        f.origin == "private"
                            && is_dist_of(&f.file, &prefix)
                            && (f.file.ends_with(".whl") || *platform == "sources")
                    }) {
                        sdist |= f.file.ends_with(".tar.gz");
                        match extract.get(&f.file) {
                            Some(first) if first.sha256 != f.sha256 => crate::ops::ui::progress!(
                                "note: {} holds another build of {}; the one of {} is published",
                                name_of(a),
                                f.file,
                                first.from
                            ),
                            Some(_) => {}
                            None => {
                                extract.insert(
                                    f.file.clone(),
                                    Extract {
                                        file: f.file.clone(),
                                        from: name_of(a),
                                        sha256: f.sha256.clone(),
                                    },
                                );
                            }
                        }
                    }
                }
            }
            if !archives.is_empty() && !sdist {
                problems.push(format!("no sdist of {member} {} in the sources bundle", unit.version));
            }
            if !archives.is_empty() && !extract.keys().any(|f| is_dist_of(f, &prefix) && f.ends_with(".whl")) {
                problems.push(format!("no wheel of {member} {} in the bundles", unit.version));
            }
        }
    }
    (dists_of, uploaded, extract)
}

/// The set folder to publish: the first of `sets` (named as the release names its sets) that
/// holds a `SHA256SUMS`; else the only set in the output folder, so that a set of another
/// commit is named as such; else the first of `sets`.
fn find_set(ws: &Workspace, sets: &[String]) -> String {
    let with_sums = |s: &String| ws.output_dir().join(s).join(CHECKSUMS_FILE).is_file();
    let only_set = || {
        let found: Vec<String> = file_names(&ws.output_dir())
            .unwrap_or_default()
            .into_iter()
            .filter(with_sums)
            .collect();
        (found.len() == 1).then(|| found[0].clone())
    };
    sets.iter()
        .find(|s| with_sums(s))
        .cloned()
        .or_else(only_set)
        .or_else(|| sets.first().cloned())
        .unwrap_or_default()
}

fn name_of(found: &Found) -> String {
    found
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn print_plan(plan: &PublishPlan, output: &str) {
    crate::ops::ui::summary!(
        "publish {} {} (commit {}, tags {})",
        plan.release,
        plan.version,
        short(&plan.commit),
        plan.tags.join(", ")
    );
    for e in &plan.extract {
        crate::ops::ui::summary!("  take {} out of {output}/{}", e.file, e.from);
    }
    if let Some(dir) = &plan.release_dir {
        crate::ops::ui::summary!(
            "  copy {} file(s) and the released sdists and wheels to {dir}",
            plan.files.len()
        );
    }
    if let (Some(upload), false) = (&plan.upload, plan.uploaded.is_empty()) {
        crate::ops::ui::summary!(
            "  upload the sdists and wheels of {} to {}",
            plan.uploaded.join(", "),
            upload.repository_url
        );
    }
}
