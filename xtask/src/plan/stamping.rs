//! The stamping phase: the edits that stamp each plugin's version (and pins on its siblings)
//! into a build copy, and the build steps of the plugins.

use std::collections::BTreeMap;

use anyhow::Result;
use pep440_rs::Version;

use super::metadata::check_computed_pins;
use super::types::{Mode, PlanOptions, PlannedPlatform, PlannedPlugin, PlannedVersionFile, Step};
use super::versions::Versions;
use crate::manifest::workspace::Workspace;
use crate::manifest::Strategy;
use crate::python::plugins::Plugin;
use crate::python::toolchain::Tools;
use crate::versions::edits::{self};

/// One `Stamp` step per plugin: its new version, its pins on siblings, and (releases) its
/// promoted changelog, as edits of the build copy; pins a plugin computes are checked as the
/// build copy gives them.
pub fn stamp_steps(
    ws: &Workspace,
    opts: &PlanOptions,
    tools: Option<&Tools>,
    plugins: &[Plugin],
    versions: &Versions,
    problems: &mut Vec<String>,
) -> Result<Vec<Step>> {
    let Versions {
        new_versions,
        released,
        changelog_edits,
        values,
        ..
    } = versions;
    let released = released.as_ref();
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
        let mut pins = match pin_versions {
            Some(versions) => edits::pin_edits(&ws.root, p, versions, ws.manifest.versioning.sibling_pins),
            None => Ok(Vec::new()),
        };
        if ws.manifest.versioning.strategy == Strategy::Stamp {
            pins = join(pins, placeholder_edits(ws, p, plugins));
        }
        match (edits::version_edits(&ws.root, p, new, values), pins) {
            (Ok(mut edits), Ok(mut pins)) => {
                edits.append(&mut pins);
                let prefix = p.prefix();
                edits.extend(changelog_edits.iter().filter(|e| e.file.starts_with(&prefix)).cloned());
                // A removal stays, even of an empty file (an empty towncrier fragment).
                edits.retain(|e| e.old != e.new || e.reason == edits::REMOVE);
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
    check_computed_pins(ws, tools, plugins, &stamp_steps, new_versions, problems)?;
    Ok(stamp_steps)
}

/// The stamp strategy's edits of requirements on packages outside the repository written
/// with the placeholder (`[versioning.requirements]`).
fn placeholder_edits(ws: &Workspace, p: &Plugin, plugins: &[Plugin]) -> Result<Vec<edits::Edit>, Vec<String>> {
    let names: Vec<&str> = plugins.iter().map(|p| p.normalized.as_str()).collect();
    let versioning = &ws.manifest.versioning;
    edits::placeholder_requirement_edits(&ws.root, p, &names, &versioning.placeholder, &versioning.requirements)
}

/// Both edit lists, or every problem of either.
fn join<E>(a: Result<Vec<E>, Vec<String>>, b: Result<Vec<E>, Vec<String>>) -> Result<Vec<E>, Vec<String>> {
    match (a, b) {
        (Ok(mut a), Ok(b)) => {
            a.extend(b);
            Ok(a)
        }
        (a, b) => Err([a.err().unwrap_or_default(), b.err().unwrap_or_default()].concat()),
    }
}

/// Each plugin as the plan shows it: versions, group, metadata, version files.
pub fn planned_plugins(
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
            from_backend: p.inexact.clone(),
            upload: ws.manifest.uploads(&p.normalized),
        })
        .collect()
}

/// Export, stamp, build every plugin, resolve the platforms collected by download, collect
/// each platform's wheelhouse and write its bundle.
pub fn collection_steps(
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
        released: Vec::new(),
    }];
    steps.extend(stamp_steps);
    for p in planned_plugins {
        // The manifest's, and what the build backend leaves out by design.
        let mut wheel_excludes = ws
            .manifest
            .plugin_overrides
            .get(&p.normalized_name)
            .map(|o| o.wheel_excludes.clone())
            .unwrap_or_default();
        if let Some(plugin) = plugins.iter().find(|x| x.normalized == p.normalized_name) {
            wheel_excludes.extend(plugin.left_out.iter().cloned());
        }
        steps.push(Step::Build {
            plugin: p.normalized_name.clone(),
            path: p.path.clone(),
            version: p.version.clone(),
            wheel_excludes,
            released: None,
        });
    }
    let mut requirements: Vec<String> = planned_plugins
        .iter()
        .map(|p| format!("{}=={}", p.normalized_name, p.version))
        .collect();
    requirements.extend(ws.manifest.public.requirements.iter().cloned());
    // Every platform uv resolves for takes its public wheels from its lock; the others (a
    // host interpreter uv cannot express) are collected by `pip wheel` on their host.
    let resolved: Vec<String> = platforms
        .iter()
        .filter(|p| super::platforms::resolved_by_uv(ws, p))
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
