//! The publishing phase: push, copy to the release folder, upload to an index (releases), or
//! the dev upload of a nightly; what each plugin delivers.

use std::path::Path;

use anyhow::Result;

use super::types::{Mode, Plan, PlanOptions, Step};
use super::versions::Versions;
use crate::manifest::workspace::Workspace;
use crate::manifest::Upload;
use crate::ops::git::Git;
use crate::python::index::{files_on_index, is_dist_of, project_of, upload_refusal, versions_on_index};
use crate::python::plugins::Plugin;
use crate::python::toolchain;
use crate::versions::units::PlannedUnit;

/// The steps after the build: deliver the outputs into place, then the nightly's dev upload,
/// or the release's push, copy and upload (`branch` is the release's branch).
pub fn delivery_steps(
    ws: &Workspace,
    opts: &PlanOptions,
    plugins: &[Plugin],
    versions: &Versions,
    branch: Option<&str>,
    deliver: Vec<String>,
    problems: &mut Vec<String>,
) -> Vec<Step> {
    let released = delivered_plugins(opts, plugins, &versions.units);
    let dists_of: Vec<String> = released
        .iter()
        .map(|p| format!("{}-{}", p.replace('-', "_"), versions.new_versions[p]))
        .collect();
    let mut steps = vec![Step::Deliver {
        files: deliver.clone(),
        dists_of: dists_of.clone(),
    }];
    steps.extend(nightly_upload(ws, opts, &released, &dists_of, problems));
    if let (Mode::Release { .. }, Some(branch)) = (&opts.mode, branch) {
        steps.extend(publish_steps(
            ws,
            opts,
            branch,
            &versions.units,
            &released,
            &dists_of,
            deliver,
            problems,
        ));
    }
    steps
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

/// What the steps after delivery (the point of no return) need from the world, checked before
/// anything is built or changed: the remote accepts the push of the branch and of the new tags,
/// the upload repository takes the credentials and its index holds no file of a version being
/// released, the release folder can be written and holds no file of the same name. Contacts the remote and the index (`python`
/// reads it); changes nothing.
pub fn check_publishing(ws: &Workspace, plan: &Plan, git: &Git, python: &Path) -> Result<Vec<String>> {
    let mut problems = check_version_line(ws, plan, git)?;
    for step in &plan.steps {
        match step {
            Step::Push { remote, branch, tags } => {
                if let Some(said) = git.push_refused(remote, branch, tags)? {
                    problems.push(format!(
                        "{remote} would refuse the push of {branch} and {}: {said}. Pull or fetch first, \
                         or release another version",
                        tags.join(", ")
                    ));
                }
            }
            // An unset `${VAR}` in its URLs is a problem of the plan already.
            Step::Upload { upload, .. }
                if [&upload.repository_url, &upload.index_url]
                    .iter()
                    .any(|u| !toolchain::unset_env_refs(u).is_empty()) => {}
            Step::Upload { upload, plugins } => {
                problems.extend(check_index(ws, python, upload, plugins));
                if let Some(why) = upload_refusal(&ws.runner, python, &upload.repository_url)? {
                    problems.push(format!(
                        "the upload repository {} would not take the upload: {why}",
                        upload.repository_url
                    ));
                }
            }
            Step::CopyToReleaseDir { dir, files, dists_of } => {
                problems.extend(check_release_dir(ws, dir, files, dists_of))
            }
            _ => {}
        }
    }
    Ok(problems)
}

/// The tags the released units' current versions come from are on the remote: a tag only
/// this clone has (a stray local tag, a release never pushed) would silently move the version
/// line. Checked when the release pushes (the remote then holds every released tag) and the
/// remote answers.
fn check_version_line(ws: &Workspace, plan: &Plan, git: &Git) -> Result<Vec<String>> {
    let Some(remote) = plan.steps.iter().find_map(|s| match s {
        Step::Push { remote, .. } => Some(remote.as_str()),
        _ => None,
    }) else {
        return Ok(Vec::new());
    };
    if plan.units.is_empty() {
        return Ok(Vec::new());
    }
    let local = git.tags()?;
    let from: Vec<(String, &PlannedUnit)> = plan
        .units
        .iter()
        .map(|u| {
            let unit = crate::versions::units::Unit {
                name: u.name.clone(),
                group: u.group,
                members: u.members.clone(),
            };
            (
                crate::versions::units::tag_name(&ws.manifest, &unit, &u.current_version),
                u,
            )
        })
        .filter(|(tag, _)| local.contains(tag))
        .collect();
    if from.is_empty() {
        return Ok(Vec::new());
    }
    let Some(on_remote) = git.remote_tags(remote)? else {
        return Ok(Vec::new()); // unreachable: the push check says so when the release pushes
    };
    Ok(from
        .into_iter()
        .filter(|(tag, _)| !on_remote.contains(tag))
        .map(|(tag, u)| {
            format!(
                "{}: its current version {} comes from the tag {tag}, which {remote} does not have: if it marks a \
                 published release, push it (`git push {remote} {tag}`); if it is a stray local tag, delete it \
                 (`git tag -d {tag}`) so the version line goes on from the last published release",
                u.name, u.current_version
            )
        })
        .collect())
}

/// A version being released has no file on the upload index yet.
fn check_index(ws: &Workspace, python: &Path, upload: &Upload, prefixes: &[String]) -> Vec<String> {
    let projects: Vec<String> = prefixes.iter().map(|p| project_of(p)).collect();
    let on_index = match files_on_index(&ws.runner, python, &upload.index_url, &projects) {
        Ok(files) => files,
        Err(e) => {
            let said = format!("{e:#}");
            let last = said.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
            return vec![format!(
                "the upload index {} cannot be read ({last}): check [publish.upload] index-url and the network",
                upload.index_url
            )];
        }
    };
    let mut problems: Vec<String> = prefixes
        .iter()
        .filter_map(|prefix| {
            let found: Vec<&str> = on_index
                .keys()
                .filter(|f| is_dist_of(f, prefix))
                .map(String::as_str)
                .collect();
            (!found.is_empty()).then(|| {
                format!(
                    "the index {} already has {} of {prefix}: a version is uploaded once; release another version",
                    upload.index_url,
                    found.join(", ")
                )
            })
        })
        .collect();
    // The version line never goes back behind what was published.
    for prefix in prefixes {
        let project = project_of(prefix);
        let Some(new) = prefix
            .rsplit_once('-')
            .and_then(|(_, v)| crate::versions::parse(v).ok())
        else {
            continue;
        };
        let newest = versions_on_index(on_index.keys(), &project).into_iter().max();
        if let Some(newest) = newest.filter(|v| *v > new) {
            problems.push(format!(
                "the index {} has {project} {newest}, newer than the {new} this release makes: the version line \
                 here is behind what was published (a release tag missing from this clone? `git fetch --tags`); \
                 release a version above {newest}",
                upload.index_url
            ));
        }
    }
    problems
}

/// The release folder can be made and written, and holds no file the release would write.
fn check_release_dir(ws: &Workspace, dir: &str, files: &[String], dists_of: &[String]) -> Vec<String> {
    let path = ws.root.join(dir);
    let existing = path.ancestors().find(|a| a.exists()).unwrap_or(&path);
    if !existing.is_dir() {
        return vec![format!(
            "the release folder {dir}: {} is not a folder",
            existing.display()
        )];
    }
    if let Err(e) = tempfile::Builder::new()
        .prefix(".xtask-write-check")
        .tempfile_in(existing)
    {
        return vec![format!(
            "the release folder {dir} cannot be written ({} refuses a new file: {e})",
            existing.display()
        )];
    }
    let Ok(names) = crate::ops::fs::file_names(&path) else {
        return Vec::new();
    };
    let clashing: Vec<&String> = names
        .iter()
        .filter(|n| files.contains(n) || dists_of.iter().any(|p| is_dist_of(n, p)))
        .collect();
    if clashing.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "the release folder {dir} already holds {}: move them away or release another version",
            clashing.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
        )]
    }
}
