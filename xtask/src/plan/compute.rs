//! Computing the plan: read the repository, the manifest, the plugins and the host; check
//! everything; return the plan with every problem found. The phases are in their own files,
//! called in order from `compute`. Reads only.

use anyhow::Result;

use super::metadata::check_backend_metadata;
use super::output::{archive_names, check_output_dirs, check_set, checksum_and_notes_steps, notes, set_name};
use super::platforms::{check_public, plan_platforms};
use super::publishing::delivery_steps;
use super::repository::{check_clean_tree, check_committed, check_release_preconditions, repository_steps};
use super::siblings::ship_siblings_as_released;
use super::stamping::{collection_steps, planned_plugins, stamp_steps};
use super::types::{Mode, Plan, PlanKind, PlanOptions, PlannedPlatform, Prepared, SCHEMA_VERSION};
use super::versions::{plan_versions, release_identity, resolve_groups};
use crate::manifest::workspace::Workspace;
use crate::ops::clock;
use crate::ops::git::Git;
use crate::python::plugins::{self, Plugin};
use crate::python::toolchain::{self, Tools};
use crate::versions::units;

/// twine, installed into the build-tools venv when the manifest uploads.
pub const TWINE: &str = "twine==7.0.0";

/// uv, the resolver for platforms this host is not, installed into the build-tools venv when
/// a platform is collected by the download strategy.
pub const UV: &str = "uv==0.13.8";

pub fn compute(ws: &Workspace, opts: &PlanOptions) -> Result<Prepared> {
    let mut problems = Vec::new();
    let (tools, found) = discover(ws, &mut problems)?;
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
    let epoch = archive_epoch(opts, &git, &commit, now)?;
    let current = units::current_versions(&ws.manifest, &git, &plugins)?;
    let mut versions = plan_versions(ws, opts, &git, &plugins, &current, &commit, now, epoch, &mut problems)?;
    if matches!(opts.mode, Mode::Release { .. }) {
        check_release_preconditions(ws, &git, &mut problems)?;
    }
    let (release_name, version_text) = release_identity(
        ws,
        &plugins,
        &versions.new_versions,
        (!matches!(opts.mode, Mode::Nightly { .. })).then_some(versions.units.as_slice()),
        versions.nightly_number,
        &mut problems,
    )
    .unwrap_or_default();

    // Edits of the build copy: versions, pins, and (releases) the promoted changelogs.
    let stamp_steps = stamp_steps(ws, opts, tools.as_ref(), &plugins, &versions, &mut problems)?;

    // Platforms, builds and collections, archives, checksums and notes.
    let platforms = plan_platforms(ws, opts, tools.as_ref(), &release_name, &version_text, &mut problems);
    check_folders_and_public(ws, &git, &plugins, &mut problems)?;
    let planned_plugins = planned_plugins(ws, &plugins, &groups, &current, &versions.new_versions);
    let mut steps = collection_steps(ws, &commit, &plugins, stamp_steps, &planned_plugins, &platforms);
    ship_siblings_as_released(ws, &git, &plugins, &current, &versions, &mut steps)?;
    let archives = archive_names(
        ws,
        opts,
        &platforms,
        &release_name,
        &version_text,
        &mut steps,
        &mut problems,
    );
    let notes = notes(ws, opts, &plugins, &versions, (&release_name, &version_text), &commit);
    let deliver = checksum_and_notes_steps(ws, opts, &archives, &notes, &mut steps, &mut problems)?;

    // The repository (releases), delivery and publishing.
    let branch = match opts.mode {
        Mode::Release { .. } => {
            steps.extend(repository_steps(ws, &mut versions, &release_name, &version_text));
            git.current_branch()?
        }
        _ => None,
    };
    let set = set_name(&release_name, &version_text);
    check_set(ws, opts, &set, &commit, &deliver, &mut problems);
    steps.extend(delivery_steps(
        ws,
        opts,
        &plugins,
        &versions,
        branch.as_deref(),
        deliver,
        &mut problems,
    ));

    let plan = Plan {
        schema_version: SCHEMA_VERSION,
        kind: PlanKind::of(&opts.mode),
        release: release_name,
        version: version_text,
        commit,
        source_date_epoch: versions.epoch as u64,
        output_dir: ws.manifest.release.output.to_string_lossy().replace('\\', "/"),
        set,
        plugins: planned_plugins,
        public_requirements: ws.manifest.public.requirements.clone(),
        index: ws.index_args(),
        build_tools: build_tools(ws, opts, &platforms, &plugins),
        platforms,
        units: versions.units,
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

/// The output and work folders can be used; the public requirements are sound.
fn check_folders_and_public(ws: &Workspace, git: &Git, plugins: &[Plugin], problems: &mut Vec<String>) -> Result<()> {
    check_output_dirs(ws, git, problems)?;
    check_public(ws, plugins, problems);
    Ok(())
}

/// Timestamp of archive entries and wheel files: the time of a release (its commit is dated
/// with it, so a rebuild of its tag, which takes the commit time, gets it back), else
/// `SOURCE_DATE_EPOCH` or the commit's time.
fn archive_epoch(opts: &PlanOptions, git: &Git, commit: &str, now: i64) -> Result<i64> {
    let commit_time = git.commit_time(commit)?;
    Ok(match opts.mode {
        Mode::Release { .. } => now,
        _ => clock::source_date_epoch()?.unwrap_or(commit_time),
    }
    .max(0))
}

/// What every plan starts from: the plugins, git and HEAD.
struct Found<'a> {
    plugins: Vec<Plugin>,
    git: Git<'a>,
    commit: String,
}

/// The tools (when all are there), and the plugins (their computed metadata checked with their
/// build backends), git and HEAD (`None` when no plan can be made; `problems` say why).
fn discover<'a>(ws: &'a Workspace, problems: &mut Vec<String>) -> Result<(Option<Tools>, Option<Found<'a>>)> {
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
    let mut plugins = match plugins::discover(&ws.root, &ws.manifest, &ws.runner, python.as_deref()) {
        Ok(p) => p,
        Err(mut p) => {
            problems.append(&mut p);
            Vec::new()
        }
    };
    // What static reading cannot read exactly, from the build backends (a venv that cannot be
    // made is a failed step, exit 1, not a problem of the plan).
    check_backend_metadata(ws, tools.as_ref(), &mut plugins, problems)?;
    let Some(git_program) = git_program else {
        return Ok((tools, None));
    };
    let git = Git::new(&ws.runner, git_program, &ws.root);
    let commit = match git.head() {
        Ok(c) => c,
        Err(e) => {
            problems.push(format!("{e:#}"));
            return Ok((tools, None));
        }
    };
    if plugins.is_empty() {
        if problems.is_empty() {
            problems.push(format!("{}: no plugins found", ws.manifest_shown()));
        }
        return Ok((tools, None));
    }
    Ok((tools, Some(Found { plugins, git, commit })))
}

/// The build-tools venv's packages: the manifest's, twine when uploading, uv when a
/// platform is resolved, and every plugin's build requirements.
pub fn build_tools(
    ws: &Workspace,
    opts: &PlanOptions,
    platforms: &[PlannedPlatform],
    plugins: &[Plugin],
) -> Vec<String> {
    let mut build_tools = ws.manifest.python.build_tools.clone();
    let uploads = match opts.mode {
        Mode::Release { .. } => ws.manifest.publish.upload.is_some(),
        Mode::Nightly { upload, .. } => upload,
        Mode::Bundle => false,
    };
    if uploads {
        build_tools.push(TWINE.to_string());
    }
    // uv resolves every platform it can express, the host's included.
    if platforms.iter().any(|p| super::platforms::resolved_by_uv(ws, p)) {
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
