//! The plan: everything a run will do (versions, file edits, builds, wheelhouses, archives),
//! computed before anything runs, printable as JSON, and executed step by step as printed.
//! Computing a plan only reads: the repository, the manifest, the plugins and the host.

pub mod identity;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;

use anyhow::Result;
use pep440_rs::Version;
use serde::{Deserialize, Serialize};

use crate::manifest::workspace::Workspace;
use crate::manifest::{normalize_name, render, Strategy, Upload};
use crate::ops::archive::ArchiveFormat;
use crate::ops::clock;
use crate::ops::git::Git;
use crate::python::platform::{tag_arch, TargetOs};
use crate::python::plugins::{self, Layout, Plugin};
use crate::python::toolchain::{self, IndexArgs, Tools};
use crate::versions::edits::{self, Edit, StampValues};
use crate::versions::units::{self, PlannedUnit, Selection};
use crate::versions::{self, Bump};

/// Version of the plan's JSON layout; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub schema_version: u32,
    pub kind: PlanKind,
    pub release: String,
    /// The release version: it names the archives.
    pub version: String,
    pub commit: String,
    /// Timestamp of every archive entry: SOURCE_DATE_EPOCH, else the commit time (releases:
    /// the time of the run, which also dates the release commit).
    pub source_date_epoch: u64,
    /// Where finished artifacts go, relative to the repository root (or absolute).
    pub output_dir: String,
    /// The folder of this run's set under the output folder (`<release>-<version>`): its
    /// archives, checksums, signatures, notes and, for releases, sdists and wheels.
    #[serde(default)]
    pub set: String,
    pub plugins: Vec<PlannedPlugin>,
    pub public_requirements: Vec<String>,
    pub index: IndexArgs,
    pub build_tools: Vec<String>,
    pub platforms: Vec<PlannedPlatform>,
    /// Release units with their versions and tags: those a release makes, or those whose tag
    /// is on the commit a `bundle` rebuilds; empty for nightlies.
    pub units: Vec<PlannedUnit>,
    /// The branch a release commits to (releases only).
    pub branch: Option<String>,
    /// sha256 of the manifest the plan was made from; a saved plan is refused if it changed.
    pub manifest_sha256: String,
    /// Release notes (releases: each unit's Unreleased section; nightlies: what is unreleased).
    pub notes: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    Nightly,
    Release,
    /// The bundles of the release HEAD is tagged with, versions as committed (`bundle`).
    Bundle,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedPlugin {
    pub name: String,
    pub normalized_name: String,
    pub path: String,
    pub layout: Layout,
    pub group: Option<String>,
    pub current_version: String,
    pub version: String,
    pub summary: String,
    pub keywords: Vec<String>,
    pub license: Option<String>,
    pub dependencies: Vec<String>,
    /// Normalized names of the other plugins this one requires.
    pub requires_plugins: Vec<String>,
    pub version_files: Vec<PlannedVersionFile>,
    /// `verify` imports it (`[plugin.NAME] verify-import`).
    #[serde(default = "yes")]
    pub verify_import: bool,
    /// Releases upload its sdist and wheel (`[plugin.NAME] upload`).
    #[serde(default = "yes")]
    pub upload: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedVersionFile {
    pub path: String,
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedPlatform {
    pub name: String,
    pub tags: Vec<String>,
    pub os: TargetOs,
    pub python: String,
    pub implementation: String,
    pub abi: String,
    pub format: ArchiveFormat,
    /// File name of the bundle in the output folder.
    pub archive: String,
    /// The one top-level folder inside the archive.
    pub folder: String,
    /// How the wheelhouse is collected.
    pub strategy: WheelhouseStrategy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WheelhouseStrategy {
    /// `pip wheel` with this host's Python: the host is the target.
    Host,
    /// The dependencies resolved for the target by uv (`--python-platform`), their wheels
    /// downloaded with one `pip download --platform ...`.
    Download,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Copy the committed files of the plugins into the build copy.
    ExportSources { commit: String, paths: Vec<String> },
    /// Write versions and sibling pins into the build copy.
    Stamp { plugin: String, edits: Vec<Edit> },
    /// Build the plugin's sdist, then its wheel from that sdist; check that the wheel holds
    /// every committed file of its packages but those `wheel_excludes` names.
    Build {
        plugin: String,
        path: String,
        version: String,
        #[serde(default)]
        wheel_excludes: Vec<String>,
    },
    /// Resolve the dependencies of the platforms this host is not, for each target (uv), and
    /// download their wheels; every platform is resolved before any failure is reported.
    Resolve {
        platforms: Vec<String>,
        requirements: Vec<String>,
    },
    /// Collect wheels of the private plugins and every dependency for a platform.
    Wheelhouse {
        platform: String,
        requirements: Vec<String>,
    },
    /// Pack the wheelhouse and the sdists into the platform's archive.
    Bundle {
        platform: String,
        archive: String,
        folder: String,
        format: ArchiveFormat,
    },
    /// The sources bundle: every private sdist.
    Sources { archive: String, folder: String },
    /// `<archive>.sha256` for every archive, and one `SHA256SUMS`; with `sign`, a detached
    /// ASCII-armoured GPG signature `<file>.asc` of each archive and of `SHA256SUMS`.
    Checksums {
        files: Vec<String>,
        #[serde(default)]
        sign: bool,
    },
    /// Write the release notes next to the archives (staging).
    WriteNotes { file: String, text: String },
    /// Write the bump into the working tree (all files or none).
    UpdateTree { edits: Vec<Edit> },
    /// Commit the files the bump changed.
    Commit { message: String, files: Vec<String> },
    /// Create an annotated (or signed) tag on the release commit.
    Tag { name: String, message: String, sign: bool },
    /// Move finished archives (and, for releases, the sdists and wheels of the released
    /// plugins) into the output folder, all or nothing.
    Deliver {
        files: Vec<String>,
        #[serde(default)]
        dists_of: Vec<String>,
    },
    /// `git push --atomic` of the release branch and tags (after this, nothing is undone).
    Push {
        remote: String,
        branch: String,
        tags: Vec<String>,
    },
    /// Copy the delivered files into a release folder.
    CopyToReleaseDir {
        dir: String,
        files: Vec<String>,
        #[serde(default)]
        dists_of: Vec<String>,
    },
    /// Upload the released plugins' sdists and wheels with twine; files the index already has
    /// with the same sha256 are skipped.
    Upload { upload: Upload, plugins: Vec<String> },
}

/// What kind of plan to make.
pub enum Mode {
    Nightly {
        build_number: Option<u64>,
        /// Upload the plugins' sdists and wheels to `[nightly.upload]` after delivering.
        upload: bool,
    },
    Release {
        level: Bump,
        selection: Selection,
    },
    /// Rebuild the release HEAD is tagged with: no version changes, no commit, no tag.
    Bundle,
}

pub struct PlanOptions {
    pub mode: Mode,
    pub platforms: Vec<String>,
    /// Releases: copy the artifacts here too (`--release-dir` or `RELEASE_DIR`).
    pub release_dir: Option<String>,
    /// Leave out the sources bundle (every private sdist).
    pub no_sources: bool,
    /// Sign nothing despite `sign-artifacts` (a per-platform part; `merge` signs the set).
    pub no_sign: bool,
}

/// twine, installed into the build-tools venv when the manifest uploads.
pub const TWINE: &str = "twine==7.0.0";
/// uv, the resolver for platforms this host is not, installed into the build-tools venv when
/// a platform is collected by the download strategy.
pub const UV: &str = "uv==0.13.8";

/// A plan and what is needed to execute it. `problems` lists every precheck that failed.
pub struct Prepared {
    pub plan: Option<Plan>,
    pub problems: Vec<String>,
    pub tools: Option<Tools>,
}

impl PlanKind {
    fn of(mode: &Mode) -> PlanKind {
        match mode {
            Mode::Nightly { .. } => PlanKind::Nightly,
            Mode::Release { .. } => PlanKind::Release,
            Mode::Bundle => PlanKind::Bundle,
        }
    }
}

pub fn compute(ws: &Workspace, opts: &PlanOptions) -> Result<Prepared> {
    let mut problems = Vec::new();
    let (tools, found) = discover(ws, &mut problems);
    let Some(Found { plugins, git, commit }) = found else {
        return Ok(Prepared {
            plan: None,
            problems,
            tools,
        });
    };

    check_clean_tree(ws, &git, &plugins, &mut problems)?;
    check_committed(&git, &commit, &plugins, &mut problems)?;
    let groups = resolve_groups(ws, &plugins, &mut problems);

    // Versions.
    let now = clock::now()?;
    let commit_time = git.commit_time(&commit)?;
    // Timestamp of archive entries and wheel files. A release commit is dated with it, so a
    // rebuild of its tag (`bundle`, which takes the commit time) gets it back.
    let epoch = match opts.mode {
        Mode::Release { .. } => now,
        _ => clock::source_date_epoch()?.unwrap_or(commit_time),
    }
    .max(0);
    let current = units::current_versions(&ws.manifest, &git, &plugins)?;
    let Versions {
        new_versions,
        units,
        changelog_edits,
        tree_edits,
        next_dev_edits,
        next_dev,
        released,
        nightly_number,
        values,
    } = plan_versions(ws, opts, &git, &plugins, &current, &commit, now, epoch, &mut problems)?;
    let (release_name, version_text) = release_identity(
        ws,
        &plugins,
        &new_versions,
        (!matches!(opts.mode, Mode::Nightly { .. })).then_some(units.as_slice()),
        nightly_number,
        &mut problems,
    )
    .unwrap_or_default();

    // Edits of the build copy: versions, pins, and (releases) the promoted changelogs.
    let stamp_steps = stamp_steps(
        ws,
        opts,
        &plugins,
        &new_versions,
        released.as_ref(),
        &changelog_edits,
        &values,
        &mut problems,
    );

    // Platforms.
    let platforms = plan_platforms(ws, opts, tools.as_ref(), &release_name, &version_text, &mut problems);
    check_output_dirs(ws, &git, &mut problems)?;
    check_public(ws, &plugins, &mut problems);
    let planned_plugins = planned_plugins(ws, &plugins, &groups, &current, &new_versions);

    let mut steps = collection_steps(ws, &commit, &plugins, stamp_steps, &planned_plugins, &platforms);
    let archives = archive_names(
        ws,
        opts,
        &platforms,
        &release_name,
        &version_text,
        &mut steps,
        &mut problems,
    );
    let notes = match opts.mode {
        Mode::Release { .. } | Mode::Bundle => release_notes(&release_name, &version_text, &units),
        Mode::Nightly { .. } => nightly_notes(ws, &plugins, &new_versions, &version_text, &commit),
    };
    let deliver = checksum_and_notes_steps(ws, opts, &archives, &notes, &mut steps, &mut problems)?;
    let mut branch = None;
    if matches!(opts.mode, Mode::Release { .. }) {
        steps.extend(repository_steps(
            ws,
            tree_edits,
            next_dev_edits,
            &next_dev,
            &units,
            &release_name,
            &version_text,
        ));
        branch = git.current_branch()?;
    }
    let set = set_name(&release_name, &version_text);
    check_set(ws, opts, &set, &commit, &deliver, &mut problems);
    let released = delivered_plugins(opts, &plugins, &units);
    let dists_of: Vec<String> = released
        .iter()
        .map(|p| format!("{}-{}", p.replace('-', "_"), new_versions[p]))
        .collect();
    let delivered = deliver.clone();
    steps.push(Step::Deliver {
        files: deliver,
        dists_of: dists_of.clone(),
    });
    steps.extend(nightly_upload(ws, opts, &released, &dists_of, &mut problems));
    if let (Mode::Release { .. }, Some(branch)) = (&opts.mode, &branch) {
        steps.extend(publish_steps(
            ws,
            opts,
            branch,
            &units,
            &released,
            &dists_of,
            delivered,
            &mut problems,
        ));
    }

    let build_tools = build_tools(ws, opts, &platforms, &plugins);

    let plan = Plan {
        schema_version: SCHEMA_VERSION,
        kind: PlanKind::of(&opts.mode),
        release: release_name.clone(),
        version: version_text,
        commit,
        source_date_epoch: epoch as u64,
        output_dir: ws.manifest.release.output.to_string_lossy().replace('\\', "/"),
        set,
        plugins: planned_plugins,
        public_requirements: ws.manifest.public.requirements.clone(),
        index: ws.index_args(),
        build_tools,
        platforms,
        units,
        branch,
        manifest_sha256: crate::ops::fs::sha256_file(&ws.manifest.path)?,
        notes,
        steps,
    };
    Ok(Prepared {
        plan: Some(plan),
        problems,
        tools,
    })
}

/// An upload can happen: no dev or local version to a production index, every `${VAR}` of
/// its URLs set.
pub fn check_upload(upload: &Upload, units: &[PlannedUnit], problems: &mut Vec<String>) {
    if upload.production {
        for u in units
            .iter()
            .filter(|u| u.version.contains("dev") || u.version.contains('+'))
        {
            problems.push(format!(
                "{} {} is a dev or local version; it is never uploaded to the production index {}",
                u.name, u.version, upload.repository_url
            ));
        }
    }
    for url in [&upload.repository_url, &upload.index_url] {
        for var in toolchain::unset_env_refs(url) {
            problems.push(format!(
                "environment variable {var} is not set (used as ${{{var}}} in [publish.upload])"
            ));
        }
    }
}

/// `{os}`, `{arch}`, `{bits}` of archive names: `Windows`, `amd64`, `64`.
fn name_parts(os: TargetOs, arch: Option<&str>) -> (&'static str, &'static str, &'static str) {
    let os = match os {
        TargetOs::Windows => "Windows",
        TargetOs::Linux => "Linux",
        TargetOs::Macos => "macOS",
        TargetOs::Any => "any",
    };
    let (arch, bits) = match arch {
        Some("x86_64") => ("amd64", "64"),
        Some("aarch64") => ("arm64", "64"),
        Some("x86") => ("x86", "32"),
        Some("armv7l") | Some("armv6l") => ("arm", "32"),
        Some("ppc64le") => ("ppc64le", "64"),
        Some("s390x") => ("s390x", "64"),
        _ => ("noarch", "0"),
    };
    (os, arch, bits)
}

/// The output folder as written in the manifest.
fn plan_output(ws: &Workspace) -> String {
    ws.manifest.release.output.to_string_lossy().replace('\\', "/")
}

/// Name of the release notes file next to the archives.
pub const NOTES_FILE: &str = "RELEASE_NOTES.md";
/// The checksums of all archives, in `sha256sum` format.
pub const CHECKSUMS_FILE: &str = "SHA256SUMS";

/// The notes of a nightly: what each plugin's changelog says is unreleased.
fn nightly_notes(
    ws: &Workspace,
    plugins: &[Plugin],
    versions: &BTreeMap<String, Version>,
    version: &str,
    commit: &str,
) -> String {
    let mut text = format!(
        "# {} {version}\n\nNightly build of commit {}.\n",
        ws.manifest.release.name,
        &commit[..commit.len().min(12)]
    );
    let Some(log) = &ws.manifest.versioning.changelog else {
        return text;
    };
    for p in plugins {
        let Ok(changelog) = std::fs::read_to_string(ws.root.join(&p.dir).join(log)) else {
            continue;
        };
        let (sections, _) = crate::versions::changelog::sections(&changelog, &ws.manifest.versioning.changelog_style);
        if let Some(unreleased) = sections.iter().find(|s| s.version.is_none()) {
            let notes = crate::versions::changelog::notes(&changelog, unreleased);
            if !crate::versions::changelog::is_empty(notes) {
                let v = versions.get(&p.normalized).map(ToString::to_string).unwrap_or_default();
                text.push_str(&format!(
                    "\n## {} {v}\n\n{}\n",
                    p.normalized,
                    notes.replace("\r\n", "\n")
                ));
            }
        }
    }
    text
}

/// The notes of a release: each unit's notes, per member plugin.
fn release_notes(release: &str, version: &str, units: &[PlannedUnit]) -> String {
    let mut text = format!("# {release} {version}\n");
    for u in units {
        for (plugin, notes) in &u.notes {
            text.push_str(&format!(
                "\n## {plugin} {}\n\n{}\n",
                u.version,
                notes.replace("\r\n", "\n")
            ));
        }
    }
    text
}

/// gpg must be installed and hold a secret key when `key` (a `[release]` setting) signs.
fn check_gpg(ws: &Workspace, key: &str, problems: &mut Vec<String>) -> Result<()> {
    match which::which("gpg") {
        Err(_) => problems.push(format!(
            "gpg: not found on PATH, but [release] {key} is on. Install GnuPG (Debian/Ubuntu: `apt-get install gnupg`)"
        )),
        Ok(gpg) => {
            let (ok, out) = ws
                .runner
                .probe(&crate::ops::cmd::Cmd::new(gpg, "list the GPG secret keys").args([
                    "--batch",
                    "--list-secret-keys",
                    "--with-colons",
                ]))?;
            if !ok || !out.stdout_text().lines().any(|l| l.starts_with("sec")) {
                problems.push(format!(
                    "gpg has no secret key to sign with: create or import one, or set [release] {key} = false"
                ));
            }
        }
    }
    Ok(())
}

/// Checks only a release needs: a branch in the allowed list, not behind its upstream, and a
/// git identity to commit and tag with.
pub fn check_release_preconditions(ws: &Workspace, git: &Git, problems: &mut Vec<String>) -> Result<()> {
    match git.current_branch()? {
        None => problems.push("HEAD is detached: check out the branch to release from".into()),
        Some(branch) => {
            let allowed = &ws.manifest.release.branches;
            if !allowed.is_empty() && !allowed.contains(&branch) {
                problems.push(format!(
                    "the current branch is {branch}, but releases are made from {} ([release] branches in {})",
                    allowed.join(", "),
                    ws.manifest_shown()
                ));
            }
            if let Some((upstream, behind)) = git.behind_upstream()? {
                if behind > 0 {
                    problems.push(format!(
                        "{branch} is {behind} commit(s) behind {upstream} (as of the last fetch): pull first"
                    ));
                }
            }
        }
    }
    if !git.has_identity()? {
        problems.push("git has no committer identity: set user.name and user.email (git config)".into());
    }
    if ws.manifest.release.sign_tags {
        check_gpg(ws, "sign-tags", problems)?;
    }
    if ws.manifest.publish.push && !git.has_remote(&ws.manifest.publish.remote)? {
        problems.push(format!(
            "[publish] push goes to the remote {:?}, which this repository does not have (git remote -v)",
            ws.manifest.publish.remote
        ));
    }
    if let Err(e) = crate::ops::fs::probe_writable(&ws.output_dir()) {
        problems.push(format!(
            "the output folder {} is not writable: {e}",
            ws.output_dir().display()
        ));
    }
    Ok(())
}

/// The first set variable of `vars` as a build number, and where it came from.
fn build_number_from_env(vars: &[String], problems: &mut Vec<String>) -> (u64, String) {
    for var in vars {
        if let Ok(value) = std::env::var(var) {
            if value.trim().is_empty() {
                continue;
            }
            return match value.trim().parse::<u64>() {
                Ok(n) => (n, var.clone()),
                Err(_) => {
                    problems.push(format!(
                        "{var}={value:?} is not a build number (a whole number); fix it or pass --build-number"
                    ));
                    (0, var.clone())
                }
            };
        }
    }
    (0, "the default".to_string())
}

/// Uncommitted or untracked files in plugin folders would silently be left out of (or
/// disagree with) a build of HEAD: refuse them.
fn check_clean_tree(ws: &Workspace, git: &Git, plugins: &[Plugin], problems: &mut Vec<String>) -> Result<()> {
    let mut paths: Vec<String> = plugins.iter().map(|p| p.dir.clone()).collect();
    paths.push(plugins::relative(&ws.root, &ws.manifest.path));
    let dirty = git.status(&paths)?;
    if !dirty.is_empty() {
        let shown: Vec<String> = dirty.iter().take(20).map(|l| format!("      {l}")).collect();
        let more = if dirty.len() > 20 {
            format!("\n      ... and {} more", dirty.len() - 20)
        } else {
            String::new()
        };
        problems.push(format!(
            "uncommitted changes in plugin folders or the manifest (bundles are built from the commit, HEAD):\n{}{more}\n    \
             commit or stash them (`git stash -u`), or remove untracked files",
            shown.join("\n")
        ));
    }
    Ok(())
}

/// The build copy is the commit: every plugin file the plan reads or edits must be in it
/// (a git-ignored plugin folder or version file passes the status check but is not built).
fn check_committed(git: &Git, commit: &str, plugins: &[Plugin], problems: &mut Vec<String>) -> Result<()> {
    let dirs: Vec<String> = plugins.iter().map(|p| p.dir.clone()).collect();
    let tracked = git.tracked_files(commit, &dirs)?;
    for p in plugins {
        let prefix = format!("{}/", p.dir);
        if !tracked.iter().any(|f| f.starts_with(&prefix)) {
            problems.push(format!(
                "{}: not in the commit {} (ignored by git, or never committed): commit it, or leave it out with [plugins] exclude",
                p.dir,
                &commit[..commit.len().min(12)]
            ));
            continue;
        }
        let mut needed: Vec<&str> = p.version_files.iter().map(|f| f.path.as_str()).collect();
        needed.extend(p.requirement_places.iter().map(|r| r.file.as_str()));
        needed.sort();
        needed.dedup();
        for file in needed {
            let path = format!("{prefix}{file}");
            if !tracked.contains(&path) {
                problems.push(format!(
                    "{path}: the plan edits this file but it is not in the commit (ignored by git?): commit it"
                ));
            }
        }
    }
    Ok(())
}

/// Outputs inside the repository must be ignored by git, or the run would leave the working
/// tree dirty.
fn check_output_dirs(ws: &Workspace, git: &Git, problems: &mut Vec<String>) -> Result<()> {
    for (what, dir) in [("output folder", ws.output_dir()), ("work folder", ws.work_dir.clone())] {
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
fn check_set_is_ours(ws: &Workspace, set: &str, commit: &str, files: &[String], problems: &mut Vec<String>) {
    let dir = ws.output_dir().join(set);
    let Ok(names) = crate::ops::fs::file_names(&dir) else {
        return;
    };
    let shown = format!("{}/{set}/", plan_output(ws));
    for name in names
        .iter()
        .filter(|n| ArchiveFormat::NAMES.iter().any(|e| n.ends_with(&format!(".{e}"))))
    {
        match identity::read_identity(&dir.join(name)) {
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

/// Plugin → group name, after checking that groups name real plugins and share one version.
fn resolve_groups(ws: &Workspace, plugins: &[Plugin], problems: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut member_of = BTreeMap::new();
    for g in &ws.manifest.groups {
        let mut versions: Vec<(&str, &Version)> = Vec::new();
        for m in &g.members {
            match plugins.iter().find(|p| p.normalized == m.value) {
                None => problems.push(format!(
                    "{}: group {:?} names {:?}, which is not a discovered plugin",
                    m.at, g.name, m.value
                )),
                Some(p) => {
                    if let Some(other) = member_of.insert(p.normalized.clone(), g.name.clone()) {
                        problems.push(format!(
                            "{}: {} is in both groups {other:?} and {:?}",
                            m.at, p.normalized, g.name
                        ));
                    }
                    versions.push((&p.normalized, &p.version));
                }
            }
        }
        if let Some((first_name, first)) = versions.first() {
            let differing: Vec<String> = versions
                .iter()
                .filter(|(_, v)| v != first)
                .map(|(n, v)| format!("{n} {v}"))
                .collect();
            if !differing.is_empty() {
                problems.push(format!(
                    "{}: group {:?} is released in lockstep but its versions differ: {first_name} {first}, {}; give them one version",
                    g.at,
                    g.name,
                    differing.join(", ")
                ));
            }
        }
    }
    member_of
}

/// The set folder's name is portable, and the run may write into it: a release never
/// overwrites; a nightly only replaces its own commit's set.
fn check_set(
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
fn checksum_and_notes_steps(
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

fn checksummed(archives: &[String], sign: bool) -> Vec<String> {
    let mut files = archives.to_vec();
    files.extend(archives.iter().map(|a| format!("{a}.sha256")));
    files.push(CHECKSUMS_FILE.into());
    if sign {
        files.extend(archives.iter().map(|a| format!("{a}.asc")));
        files.push(format!("{CHECKSUMS_FILE}.asc"));
    }
    files
}

/// What every plan starts from: the plugins, git and HEAD.
struct Found<'a> {
    plugins: Vec<Plugin>,
    git: Git<'a>,
    commit: String,
}

/// The tools (when all are there), and the plugins, git and HEAD (`None` when no plan can be
/// made; `problems` say why).
fn discover<'a>(ws: &'a Workspace, problems: &mut Vec<String>) -> (Option<Tools>, Option<Found<'a>>) {
    let tools = match toolchain::find(&ws.runner, &ws.manifest) {
        Ok(t) => Some(t),
        Err(mut p) => {
            problems.append(&mut p);
            None
        }
    };
    let git_program = tools
        .as_ref()
        .map(|t| t.git.clone())
        .or_else(|| which::which("git").ok());
    let python = tools.as_ref().map(|t| t.python.path.clone());
    let plugins = match plugins::discover(&ws.root, &ws.manifest, &ws.runner, python.as_deref()) {
        Ok(p) => p,
        Err(mut p) => {
            problems.append(&mut p);
            Vec::new()
        }
    };
    let Some(git_program) = git_program else {
        return (tools, None);
    };
    let git = Git::new(&ws.runner, git_program, &ws.root);
    let commit = match git.head() {
        Ok(c) => c,
        Err(e) => {
            problems.push(e.to_string());
            return (tools, None);
        }
    };
    if plugins.is_empty() {
        if problems.is_empty() {
            problems.push(format!("{}: no plugins found", ws.manifest_shown()));
        }
        return (tools, None);
    }
    (tools, Some(Found { plugins, git, commit }))
}

/// What a run's versions are: each plugin's new version, and for releases the units, the
/// edits of the working tree and the next-dev edits; the values stamped into version files.
struct Versions {
    new_versions: BTreeMap<String, Version>,
    units: Vec<PlannedUnit>,
    changelog_edits: Vec<Edit>,
    tree_edits: Vec<Edit>,
    next_dev_edits: Vec<Edit>,
    next_dev: BTreeMap<String, Version>,
    /// Releases: the plugins being released, with their new versions.
    released: Option<BTreeMap<String, Version>>,
    nightly_number: Option<u64>,
    values: StampValues,
}

/// The versions of a nightly (dev versions of the build), a release (the bump), or a rebuild
/// of a tagged release (the tagged versions).
#[allow(clippy::too_many_arguments)]
fn plan_versions(
    ws: &Workspace,
    opts: &PlanOptions,
    git: &Git,
    plugins: &[Plugin],
    current: &BTreeMap<String, Version>,
    commit: &str,
    now: i64,
    epoch: i64,
    problems: &mut Vec<String>,
) -> Result<Versions> {
    let short = commit[..commit.len().min(8)].to_string();
    let mut new_versions: BTreeMap<String, Version> = BTreeMap::new();
    let mut units = Vec::new();
    let mut changelog_edits = Vec::new();
    let mut tree_edits = Vec::new();
    let mut next_dev_edits = Vec::new();
    let mut next_dev = BTreeMap::new();
    let mut released: Option<BTreeMap<String, Version>> = None;
    let mut nightly_number = None;
    let values = match &opts.mode {
        Mode::Nightly { build_number, .. } => {
            let (build_number, source) = match build_number {
                Some(n) => (*n, "--build-number".to_string()),
                None => build_number_from_env(&ws.manifest.nightly.build_number_env, problems),
            };
            let digits = ws.manifest.nightly.build_number_digits;
            let number = match versions::nightly_number(now, build_number, digits) {
                Ok(n) => {
                    nightly_number = Some(n);
                    n
                }
                Err(e) => {
                    problems.push(format!(
                        "build number {build_number} (from {source}) {e}: set [nightly] build-number-digits in {} \
                         to a larger width (CI run counters keep growing; 6 is a good choice)",
                        ws.manifest_shown()
                    ));
                    0
                }
            };
            let local = ws.manifest.nightly.local_version.then(|| format!("g{short}"));
            for p in plugins {
                match versions::nightly(&current[&p.normalized], number, local.as_deref()) {
                    Ok(v) => {
                        new_versions.insert(p.normalized.clone(), v);
                    }
                    Err(e) => problems.push(format!("{}: {e}", p.dir)),
                }
            }
            StampValues {
                date: clock::iso_date(now),
                build: build_number.to_string(),
                commit: short,
            }
        }
        Mode::Release { level, selection } => {
            let values = StampValues {
                date: clock::iso_date(now),
                build: String::new(),
                commit: short,
            };
            let outcome = units::plan_bump(ws, git, plugins, current, level, selection, &values, problems)?;
            new_versions = current.clone();
            new_versions.extend(outcome.planned.clone());
            released = Some(outcome.planned);
            units = outcome.units;
            changelog_edits = outcome.changelog_edits;
            tree_edits = outcome.tree_edits;
            next_dev_edits = outcome.next_dev_edits;
            next_dev = outcome.next_dev;
            check_release_preconditions(ws, git, problems)?;
            values
        }
        Mode::Bundle => {
            new_versions = current.clone();
            units = units::tagged_at(ws, git, plugins, current, commit, problems)?;
            if units.is_empty() {
                problems.push(format!(
                    "HEAD ({short}) carries no release tag of a plugin or group at its current version: \
                     check out a release tag (`git checkout <tag>`), or build untagged commits with `nightly`"
                ));
            }
            StampValues {
                // The release commit's date: every rebuild of the tag stamps the same bytes.
                date: clock::iso_date(epoch),
                build: String::new(),
                commit: short,
            }
        }
    };
    Ok(Versions {
        new_versions,
        units,
        changelog_edits,
        tree_edits,
        next_dev_edits,
        next_dev,
        released,
        nightly_number,
        values,
    })
}

/// The build-tools venv's packages: the manifest's, twine when uploading, uv when a
/// platform is resolved, and every plugin's build requirements.
fn build_tools(ws: &Workspace, opts: &PlanOptions, platforms: &[PlannedPlatform], plugins: &[Plugin]) -> Vec<String> {
    let mut build_tools = ws.manifest.python.build_tools.clone();
    let uploads = match opts.mode {
        Mode::Release { .. } => ws.manifest.publish.upload.is_some(),
        Mode::Nightly { upload, .. } => upload,
        Mode::Bundle => false,
    };
    if uploads {
        build_tools.push(TWINE.to_string());
    }
    if platforms.iter().any(|p| p.strategy == WheelhouseStrategy::Download) {
        build_tools.push(UV.to_string());
    }
    for p in plugins {
        for r in &p.build_requires {
            if !build_tools.contains(r) {
                build_tools.push(r.clone());
            }
        }
    }
    build_tools
}

/// Every archive of the run (the platforms' and, unless `--no-sources`, the sources bundle,
/// whose step it adds), checked to be portable and distinct.
fn archive_names(
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
        let folder = render(
            &ws.manifest.release.archive_name,
            &[
                ("release", release_name),
                ("version", version_text),
                ("platform", "sources"),
                ("os", "sources"),
                ("arch", "noarch"),
                ("bits", "0"),
            ],
        );
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

/// One `Stamp` step per plugin: its new version, its pins on siblings, and (releases) its
/// promoted changelog, as edits of the build copy.
#[allow(clippy::too_many_arguments)]
fn stamp_steps(
    ws: &Workspace,
    opts: &PlanOptions,
    plugins: &[Plugin],
    new_versions: &BTreeMap<String, Version>,
    released: Option<&BTreeMap<String, Version>>,
    changelog_edits: &[Edit],
    values: &StampValues,
    problems: &mut Vec<String>,
) -> Vec<Step> {
    let mut stamp_steps = Vec::new();
    for p in plugins {
        let Some(new) = new_versions.get(&p.normalized) else {
            continue;
        };
        // A release builds the plugins it does not release as they are committed (commit
        // strategy): only the released ones get new pins. Placeholders (stamp strategy) and
        // nightlies get every pin stamped.
        let pin_versions = match (released, ws.manifest.versioning.strategy) {
            (Some(released), Strategy::Commit) if released.contains_key(&p.normalized) => Some(released),
            (Some(_), Strategy::Commit) => None,
            _ => Some(new_versions),
        };
        // A rebuild of a tagged release with the commit strategy builds the files as they
        // were released: versions, pins and dates are all committed.
        if matches!(opts.mode, Mode::Bundle) && ws.manifest.versioning.strategy == Strategy::Commit {
            continue;
        }
        let pins = match pin_versions {
            Some(versions) => edits::pin_edits(&ws.root, p, versions, ws.manifest.versioning.sibling_pins),
            None => Ok(Vec::new()),
        };
        match (edits::version_edits(&ws.root, p, new, values), pins) {
            (Ok(mut edits), Ok(mut pins)) => {
                edits.append(&mut pins);
                let prefix = format!("{}/", p.dir);
                edits.extend(changelog_edits.iter().filter(|e| e.file.starts_with(&prefix)).cloned());
                edits.retain(|e| e.old != e.new);
                edits.sort_by(|a, b| (&a.file, a.offset).cmp(&(&b.file, b.offset)));
                stamp_steps.push(Step::Stamp {
                    plugin: p.normalized.clone(),
                    edits,
                });
            }
            (a, b) => {
                problems.extend(a.err().unwrap_or_default());
                problems.extend(b.err().unwrap_or_default());
            }
        }
    }
    stamp_steps
}

/// The selected platforms with their archive names and how each is collected (the host's
/// pip, or resolved for the target and downloaded).
fn plan_platforms(
    ws: &Workspace,
    opts: &PlanOptions,
    tools: Option<&Tools>,
    release_name: &str,
    version_text: &str,
    problems: &mut Vec<String>,
) -> Vec<PlannedPlatform> {
    let selected = select_platforms(ws, opts, problems);
    let mut platforms = Vec::new();
    for p in selected {
        let strategy = match tools {
            Some(tools) if !p.always_download && check_native(p, &tools.python).is_ok() => WheelhouseStrategy::Host,
            _ => WheelhouseStrategy::Download,
        };
        if strategy == WheelhouseStrategy::Download {
            if let Err(why) = crate::python::platform::resolver_target(p) {
                problems.push(format!("{}: {why}", p.tags_at));
            }
        }
        let (os, arch, bits) = name_parts(p.os, p.tags.iter().find_map(|t| tag_arch(t)));
        let folder = render(
            &ws.manifest.release.archive_name,
            &[
                ("release", release_name),
                ("version", version_text),
                ("platform", &p.name),
                ("os", os),
                ("arch", arch),
                ("bits", bits),
            ],
        );
        platforms.push(PlannedPlatform {
            name: p.name.clone(),
            tags: p.tags.clone(),
            os: p.os,
            python: p.python.clone(),
            implementation: p.implementation.clone(),
            abi: p.abi.clone(),
            format: p.format,
            archive: format!("{folder}.{}", p.format.extension()),
            folder,
            strategy,
        });
    }
    platforms
}

/// `[public]`: every `${VAR}` in its URLs is set, and no requirement names a plugin.
fn check_public(ws: &Workspace, plugins: &[Plugin], problems: &mut Vec<String>) {
    let public = &ws.manifest.public;
    for url in std::iter::once(&public.index_url)
        .chain(&public.extra_index_urls)
        .chain(&public.find_links)
    {
        for var in toolchain::unset_env_refs(&url.value) {
            problems.push(format!(
                "{}: environment variable {var} is not set (used as ${{{var}}}): export it",
                url.at
            ));
        }
    }
    let plugin_names: Vec<&str> = plugins.iter().map(|p| p.normalized.as_str()).collect();
    for req in &ws.manifest.public.requirements {
        if let Ok(r) = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(req) {
            if plugin_names.contains(&r.name.as_ref()) {
                problems.push(format!(
                    "{}: [public] requirement {req:?} names the plugin {}; plugins are always included, remove it",
                    ws.manifest_shown(),
                    r.name
                ));
            }
        }
    }
}

/// Each plugin as the plan shows it: versions, group, metadata, version files.
fn planned_plugins(
    ws: &Workspace,
    plugins: &[Plugin],
    groups: &BTreeMap<String, String>,
    current: &BTreeMap<String, Version>,
    new_versions: &BTreeMap<String, Version>,
) -> Vec<PlannedPlugin> {
    let plugin_names: Vec<&str> = plugins.iter().map(|p| p.normalized.as_str()).collect();
    plugins
        .iter()
        .map(|p| PlannedPlugin {
            name: p.name.clone(),
            normalized_name: p.normalized.clone(),
            path: p.dir.clone(),
            layout: p.layout,
            group: groups.get(&p.normalized).cloned(),
            current_version: current[&p.normalized].to_string(),
            version: new_versions
                .get(&p.normalized)
                .map(ToString::to_string)
                .unwrap_or_default(),
            summary: p.summary.clone(),
            keywords: p.keywords.clone(),
            license: p.license.clone(),
            dependencies: p.dependencies.clone(),
            requires_plugins: edits::sibling_requirements(p, &plugin_names)
                .into_iter()
                .map(|(_, name)| name)
                .collect(),
            version_files: p
                .version_files
                .iter()
                .map(|f| PlannedVersionFile {
                    path: f.path.clone(),
                    kind: f.kind.name().to_string(),
                })
                .collect(),
            verify_import: ws.manifest.verify_import(&p.normalized),
            upload: ws.manifest.uploads(&p.normalized),
        })
        .collect()
}

/// Export, stamp, build every plugin, resolve the platforms collected by download, collect
/// each platform's wheelhouse and write its bundle.
fn collection_steps(
    ws: &Workspace,
    commit: &str,
    plugins: &[Plugin],
    stamp_steps: Vec<Step>,
    planned_plugins: &[PlannedPlugin],
    platforms: &[PlannedPlatform],
) -> Vec<Step> {
    let mut steps = vec![Step::ExportSources {
        commit: commit.to_string(),
        paths: plugins.iter().map(|p| p.dir.clone()).collect(),
    }];
    steps.extend(stamp_steps);
    for p in planned_plugins {
        steps.push(Step::Build {
            plugin: p.normalized_name.clone(),
            path: p.path.clone(),
            version: p.version.clone(),
            wheel_excludes: ws
                .manifest
                .plugin_overrides
                .get(&p.normalized_name)
                .map(|o| o.wheel_excludes.clone())
                .unwrap_or_default(),
        });
    }
    let mut requirements: Vec<String> = planned_plugins
        .iter()
        .map(|p| format!("{}=={}", p.normalized_name, p.version))
        .collect();
    requirements.extend(ws.manifest.public.requirements.iter().cloned());
    let resolved: Vec<String> = platforms
        .iter()
        .filter(|p| p.strategy == WheelhouseStrategy::Download)
        .map(|p| p.name.clone())
        .collect();
    if !resolved.is_empty() {
        steps.push(Step::Resolve {
            platforms: resolved,
            requirements: requirements.clone(),
        });
    }
    for p in platforms {
        steps.push(Step::Wheelhouse {
            platform: p.name.clone(),
            requirements: requirements.clone(),
        });
        steps.push(Step::Bundle {
            platform: p.name.clone(),
            archive: p.archive.clone(),
            folder: p.folder.clone(),
            format: p.format,
        });
    }
    steps
}

/// A release's changes to the repository: write the bump, commit it, tag each unit, and
/// (`next-dev`) write and commit the next development versions.
fn repository_steps(
    ws: &Workspace,
    tree_edits: Vec<Edit>,
    next_dev_edits: Vec<Edit>,
    next_dev: &BTreeMap<String, Version>,
    units: &[PlannedUnit],
    release_name: &str,
    version_text: &str,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let files: Vec<String> = edits::by_file(&tree_edits).keys().map(|f| f.to_string()).collect();
    if !tree_edits.is_empty() {
        steps.push(Step::UpdateTree { edits: tree_edits });
        let message = render(
            &ws.manifest.release.commit_message,
            &[("release", release_name), ("version", version_text)],
        );
        steps.push(Step::Commit { message, files });
    }
    for u in units {
        let mut message = format!("{} {}\n", u.name, u.version);
        for (plugin, text) in &u.notes {
            message.push_str(&format!("\n{plugin} {}:\n{text}\n", u.version));
        }
        steps.push(Step::Tag {
            name: u.tag.clone(),
            message,
            sign: ws.manifest.release.sign_tags,
        });
    }
    // `[versioning] next-dev`: the next `.dev0` versions, committed on top of the release.
    if !next_dev_edits.is_empty() {
        let files: Vec<String> = edits::by_file(&next_dev_edits).keys().map(|f| f.to_string()).collect();
        let started: Vec<String> = units
            .iter()
            .filter_map(|u| next_dev.get(&u.members[0]).map(|v| format!("{} {v}", u.name)))
            .collect();
        steps.push(Step::UpdateTree { edits: next_dev_edits });
        steps.push(Step::Commit {
            message: format!("Start development: {}", started.join(", ")),
            files,
        });
    }
    steps
}

/// A release's publishing, after delivery: push, copy to the release folder, upload.
#[allow(clippy::too_many_arguments)]
fn publish_steps(
    ws: &Workspace,
    opts: &PlanOptions,
    branch: &str,
    units: &[PlannedUnit],
    released: &[String],
    dists_of: &[String],
    delivered: Vec<String>,
    problems: &mut Vec<String>,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let publish = &ws.manifest.publish;
    if publish.push {
        let tags = units.iter().map(|u| u.tag.clone()).collect();
        steps.push(Step::Push {
            remote: publish.remote.clone(),
            branch: branch.to_string(),
            tags,
        });
    }
    if let Some(dir) = opts.release_dir.clone().or_else(|| publish.release_dir.clone()) {
        steps.push(Step::CopyToReleaseDir {
            dir,
            files: delivered,
            dists_of: dists_of.to_vec(),
        });
    }
    if let Some(upload) = &publish.upload {
        check_upload(upload, units, problems);
        let uploaded: Vec<String> = released
            .iter()
            .zip(dists_of)
            .filter(|(plugin, _)| ws.manifest.uploads(plugin))
            .map(|(_, prefix)| prefix.clone())
            .collect();
        if !uploaded.is_empty() {
            steps.push(Step::Upload {
                upload: upload.clone(),
                plugins: uploaded,
            });
        }
    }
    steps
}

/// The plugins whose sdists and wheels go into the set folder: a release's (or its rebuild's)
/// units, every plugin of a nightly that uploads, none of another nightly.
fn delivered_plugins(opts: &PlanOptions, plugins: &[Plugin], units: &[PlannedUnit]) -> Vec<String> {
    match opts.mode {
        Mode::Nightly { upload: true, .. } => plugins.iter().map(|p| p.normalized.clone()).collect(),
        _ => units.iter().flat_map(|u| u.members.clone()).collect(),
    }
}

/// `nightly --upload`: the upload of every plugin's sdist and wheel that uploads, to
/// `[nightly.upload]`, which must exist and take the versions the nightly makes.
fn nightly_upload(
    ws: &Workspace,
    opts: &PlanOptions,
    released: &[String],
    dists_of: &[String],
    problems: &mut Vec<String>,
) -> Option<Step> {
    let Mode::Nightly { upload: true, .. } = opts.mode else {
        return None;
    };
    let Some(upload) = &ws.manifest.nightly.upload else {
        problems.push(format!(
            "--upload: {} has no [nightly.upload] table naming the development index to upload to",
            ws.manifest_shown()
        ));
        return None;
    };
    // Public indexes refuse PEP 440 local versions (`+g<commit>`).
    let public = ["pypi.org", "upload.pypi.org", "test.pypi.org"];
    let host = |url: &str| {
        url.split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', ':']).next())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let refuses_local = [&upload.repository_url, &upload.index_url]
        .iter()
        .any(|u| public.contains(&host(u).as_str()));
    if ws.manifest.nightly.local_version && refuses_local {
        problems.push(format!(
            "[nightly] local-version = true gives versions like 1.2.3.dev20261121007+g<commit>, which {} refuses \
             (public indexes take no local versions): upload nightlies to a development index that takes them, \
             or set local-version = false",
            host(&upload.repository_url)
        ));
    }
    check_upload(upload, &[], problems);
    let plugins: Vec<String> = released
        .iter()
        .zip(dists_of)
        .filter(|(plugin, _)| ws.manifest.uploads(plugin))
        .map(|(_, prefix)| prefix.clone())
        .collect();
    (!plugins.is_empty()).then(|| Step::Upload {
        upload: upload.clone(),
        plugins,
    })
}

/// What names a run's set folder, archives, notes and commit message: `({release}, {version})`.
///
/// - The unit that names releases (`[release] version-from`, else the only group), when the
///   run includes it (nightlies always do): the release name and that unit's version.
/// - Else, when every plugin has one version: the release name and that version.
/// - Else a release (or its rebuild) of one unit: `<release>-<unit>` and the unit's version; of
///   several: `<release>-<unitA>-<unitB>` and `<vA>-<vB>` (units in name order). Two different
///   releases never get one name.
/// - Else a nightly of independent plugins: the release name and `dev<N>`, the nightly number.
///
/// `released` is `None` for nightlies.
pub fn release_identity(
    ws: &Workspace,
    plugins: &[Plugin],
    versions: &BTreeMap<String, Version>,
    released: Option<&[crate::versions::units::PlannedUnit]>,
    nightly_number: Option<u64>,
    problems: &mut Vec<String>,
) -> Option<(String, String)> {
    let name = &ws.manifest.release.name;
    let of_plugin = |p: &str| versions.get(p).map(ToString::to_string);
    // (unit name, its version)
    let naming: Option<(String, Option<String>)> = if let Some(from) = &ws.manifest.release.version_from {
        if let Some(g) = ws
            .manifest
            .groups
            .iter()
            .find(|g| normalize_name(&g.name) == from.value)
        {
            Some((g.name.clone(), g.members.first().and_then(|m| of_plugin(&m.value))))
        } else if plugins.iter().any(|p| p.normalized == from.value) {
            Some((from.value.clone(), of_plugin(&from.value)))
        } else {
            let groups: Vec<&str> = ws.manifest.groups.iter().map(|g| g.name.as_str()).collect();
            let names: Vec<&str> = plugins.iter().map(|p| p.normalized.as_str()).collect();
            problems.push(format!(
                "{}: version-from {:?} names neither a group nor a plugin (groups: {}; plugins: {})",
                from.at,
                from.value,
                if groups.is_empty() {
                    "none".to_string()
                } else {
                    groups.join(", ")
                },
                names.join(", ")
            ));
            return None;
        }
    } else if let [g] = ws.manifest.groups.as_slice() {
        Some((g.name.clone(), g.members.first().and_then(|m| of_plugin(&m.value))))
    } else {
        None
    };
    let included =
        |unit: &str| released.is_none_or(|units| units.iter().any(|u| normalize_name(&u.name) == normalize_name(unit)));
    if let Some((unit, version)) = &naming {
        if included(unit) {
            return version.clone().map(|v| (name.clone(), v));
        }
    }
    let mut distinct: Vec<&Version> = versions.values().collect();
    distinct.sort();
    distinct.dedup();
    if let [one] = distinct.as_slice() {
        return Some((name.clone(), one.to_string()));
    }
    match released {
        Some([]) => None,
        Some([unit]) => Some((format!("{name}-{}", unit.name), unit.version.clone())),
        Some(units) => {
            let mut units: Vec<_> = units.iter().collect();
            units.sort_by(|a, b| a.name.cmp(&b.name));
            let names: Vec<&str> = units.iter().map(|u| u.name.as_str()).collect();
            let versions: Vec<&str> = units.iter().map(|u| u.version.as_str()).collect();
            Some((format!("{name}-{}", names.join("-")), versions.join("-")))
        }
        None => nightly_number.map(|n| (name.clone(), format!("dev{n}"))),
    }
}

fn select_platforms<'a>(
    ws: &'a Workspace,
    opts: &PlanOptions,
    problems: &mut Vec<String>,
) -> Vec<&'a crate::manifest::Platform> {
    if opts.platforms.is_empty() {
        return ws.manifest.platforms.iter().collect();
    }
    let mut out = Vec::new();
    for name in &opts.platforms {
        match ws.manifest.platform(name) {
            Some(p) => {
                if !out.iter().any(|o: &&crate::manifest::Platform| o.name == p.name) {
                    out.push(p);
                }
            }
            None => {
                let known: Vec<&str> = ws.manifest.platforms.iter().map(|p| p.name.as_str()).collect();
                problems.push(format!(
                    "--platform {name}: no such platform in {} (known: {})",
                    ws.manifest_shown(),
                    known.join(", ")
                ));
            }
        }
    }
    out
}

/// Bundles are built with the host's pip, so the host must be the target.
pub fn check_native(p: &crate::manifest::Platform, host: &toolchain::Python) -> Result<(), String> {
    let host_impl = match host.implementation.as_str() {
        "cpython" => "cp",
        "pypy" => "pp",
        other => other,
    };
    let target_arch = p.tags.iter().find_map(|t| tag_arch(t));
    let mut mismatch = Vec::new();
    if p.os != TargetOs::Any && p.os.sys_platform() != host.sys_platform {
        mismatch.push(format!("OS {} (host: {})", p.os.sys_platform(), host.sys_platform));
    }
    if p.python != host.major_minor || p.implementation != host_impl {
        mismatch.push(format!(
            "{}{} (host: {host_impl}{} at {})",
            p.implementation,
            p.python,
            host.major_minor,
            host.path.display()
        ));
    }
    if let Some(arch) = target_arch {
        if arch != host.machine {
            mismatch.push(format!("architecture {arch} (host: {})", host.machine));
        }
    }
    if mismatch.is_empty() {
        return Ok(());
    }
    Err(format!(
        "platform {} cannot be built on this host: it needs {}. Bundles are built with this host's Python; \
         build it on a matching machine (or point [python] interpreter / XTASK_PYTHON at a matching Python), \
         or leave it out with --platform",
        p.name,
        mismatch.join(", ")
    ))
}

/// The plan for people: versions, edits, steps, artifacts.
pub fn render_human(plan: &Plan) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:?} plan for {} {} (commit {})",
        plan.kind,
        plan.release,
        plan.version,
        &plan.commit[..plan.commit.len().min(12)]
    );
    let _ = writeln!(s, "\nplugins:");
    for p in &plan.plugins {
        let group = p.group.as_deref().map(|g| format!(" [group {g}]")).unwrap_or_default();
        let _ = writeln!(
            s,
            "  {:<28} {} -> {}{group}   ({})",
            p.name, p.current_version, p.version, p.path
        );
    }
    if plan.kind == PlanKind::Bundle && !plan.units.is_empty() {
        let tags: Vec<&str> = plan.units.iter().map(|u| u.tag.as_str()).collect();
        let _ = writeln!(s, "\nreleased at this commit (its tags): {}", tags.join(", "));
    }
    let _ = writeln!(s, "\nsteps:");
    for step in &plan.steps {
        match step {
            Step::ExportSources { commit, paths } => {
                let _ = writeln!(
                    s,
                    "  export {} plugin folder(s) at {}",
                    paths.len(),
                    &commit[..commit.len().min(12)]
                );
            }
            Step::Stamp { plugin, edits } => {
                let _ = writeln!(s, "  stamp {plugin} (build copy only):");
                for e in edits {
                    let _ = writeln!(
                        s,
                        "      {}:{}: {:?} -> {:?}  ({})",
                        e.file, e.line, e.old, e.new, e.reason
                    );
                }
            }
            Step::Build { plugin, version, .. } => {
                let _ = writeln!(s, "  build sdist and wheel of {plugin} {version}");
            }
            Step::Resolve { platforms, .. } => {
                let _ = writeln!(
                    s,
                    "  resolve the dependencies for {} with uv, for each target, and download their wheels",
                    platforms.join(", ")
                );
            }
            Step::Wheelhouse { platform, requirements } => {
                let how = match plan.platforms.iter().find(|p| &p.name == platform).map(|p| p.strategy) {
                    Some(WheelhouseStrategy::Download) => "download target wheels",
                    _ => "pip wheel on this host",
                };
                let _ = writeln!(s, "  collect wheels for {platform} ({how}): {}", requirements.join(" "));
            }
            Step::Bundle { archive, .. } => {
                let _ = writeln!(s, "  write {archive}");
            }
            Step::Sources { archive, .. } => {
                let _ = writeln!(s, "  write {archive} (every plugin's sdist)");
            }
            Step::Checksums { files, sign } => {
                let signed = if *sign { ", signed with gpg (.asc)" } else { "" };
                let _ = writeln!(
                    s,
                    "  write {CHECKSUMS_FILE} and a .sha256 file for each of {} archive(s){signed}",
                    files.len()
                );
            }
            Step::WriteNotes { file, .. } => {
                let _ = writeln!(s, "  write {file}");
            }
            Step::UpdateTree { edits } => {
                let files = edits::by_file(edits).len();
                let _ = writeln!(s, "  write the bump into {files} file(s) of the working tree");
            }
            Step::Commit { message, files } => {
                let _ = writeln!(s, "  commit {} file(s): {message:?}", files.len());
            }
            Step::Tag { name, sign, .. } => {
                let _ = writeln!(
                    s,
                    "  create the {} tag {name}",
                    if *sign { "signed" } else { "annotated" }
                );
            }
            Step::Deliver { files, dists_of } => {
                let files: Vec<String> = files
                    .iter()
                    .cloned()
                    .chain(dists_of.iter().map(|d| format!("{d} sdist and wheel")))
                    .collect();
                let _ = writeln!(s, "  move into {}/: {}", plan.output_dir, files.join(", "));
            }
            Step::Push { remote, branch, tags } => {
                let _ = writeln!(s, "  push --atomic to {remote}: {branch} {}", tags.join(" "));
            }
            Step::CopyToReleaseDir { dir, files, dists_of } => {
                let _ = writeln!(
                    s,
                    "  copy {} file(s) to the release folder {dir}",
                    files.len() + 2 * dists_of.len()
                );
            }
            Step::Upload { upload, plugins } => {
                let _ = writeln!(
                    s,
                    "  upload the sdists and wheels of {} to {} (files it already has are skipped)",
                    plugins.join(", "),
                    crate::ops::cmd::redact(&upload.repository_url)
                );
            }
        }
    }
    s
}

/// The step as progress lines and messages name it.
pub fn describe(step: &Step) -> String {
    match step {
        Step::ExportSources { paths, .. } => format!("export {} plugin folder(s) from git", paths.len()),
        Step::Stamp { plugin, edits } => format!("stamp {plugin} ({} edit(s))", edits.len()),
        Step::Build { plugin, version, .. } => format!("build {plugin} {version}"),
        Step::Resolve { platforms, .. } => format!("resolve dependencies for {}", platforms.join(", ")),
        Step::Wheelhouse { platform, .. } => format!("collect wheels for {platform}"),
        Step::Bundle { archive, .. } => format!("write {archive}"),
        Step::Sources { archive, .. } => format!("write {archive}"),
        Step::Checksums { files, .. } => format!("checksums of {} archive(s)", files.len()),
        Step::WriteNotes { file, .. } => format!("write {file}"),
        Step::UpdateTree { edits } => format!(
            "write the bump into {} file(s)",
            crate::versions::edits::by_file(edits).len()
        ),
        Step::Commit { files, .. } => format!("commit {} file(s)", files.len()),
        Step::Tag { name, .. } => format!("tag {name}"),
        Step::Deliver { files, dists_of } => format!("deliver {} file(s)", files.len() + 2 * dists_of.len()),
        Step::Push { remote, .. } => format!("push to {remote}"),
        Step::CopyToReleaseDir { dir, .. } => format!("copy to {dir}"),
        Step::Upload { plugins, .. } => format!("upload {} plugin(s)", plugins.len()),
    }
}
