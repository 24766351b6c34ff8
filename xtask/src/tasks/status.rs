//! `cargo xtask status [--check] [--json]`: where every plugin stands since its last release:
//! version, last release tag, commits and changed files since it, whether its changelog's
//! Unreleased section says anything, and whether it needs a release. With `--check`, exit 3
//! when a plugin changed since its release but its changelog does not say how, or a unit's
//! newest tag is a stray. Reads only.

use anyhow::Result;
use serde::Serialize;

use crate::error::precheck_failed;
use crate::manifest::workspace::Workspace;
use crate::ops::git::Git;
use crate::python::plugins::Plugin;
use crate::versions::changelog;
use crate::versions::units;

#[derive(Serialize)]
struct PluginStatus {
    name: String,
    path: String,
    version: String,
    group: Option<String>,
    last_tag: Option<String>,
    commits_since_tag: u64,
    changed_files: Vec<String>,
    changelog_has_entries: bool,
    needs_release: bool,
    /// Its unit's newest tag when that is a stray (lightweight after annotated release tags).
    stray_tag: Option<String>,
}

pub fn run(ws: &Workspace, check: bool, json: bool) -> Result<()> {
    let found = super::discover_plugins(ws)?;
    let git = Git::new(
        &ws.runner,
        which::which("git").map_err(|_| anyhow::anyhow!("git is not installed"))?,
        &ws.root,
    );
    git.head()?;
    let clashes = units::tag_clashes(&ws.manifest, &found);
    if !clashes.is_empty() {
        return Err(precheck_failed(
            "the tag templates do not tell the plugins apart",
            clashes,
        ));
    }
    let strays = units::stray_tags(&ws.manifest, &git, &found)?;
    for s in &strays {
        eprintln!("warning: {}", s.message);
    }
    let rows = rows(ws, &git, &found, &strays)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print_table(&rows);
    }
    if !check {
        return Ok(());
    }
    let mut problems: Vec<String> = strays.into_iter().map(|s| s.message).collect();
    if ws.manifest.versioning.changelog.is_none() {
        eprintln!(
            "note: changelogs are off ([versioning] changelog = \"\" in {}): --check has no changelog to check",
            ws.manifest_shown()
        );
    } else {
        problems.extend(
            rows.iter()
                .filter(|r| r.needs_release && !r.changelog_has_entries)
                .map(|r| {
                    format!(
                        "{} changed since {} ({} file(s)) but its changelog's Unreleased section is empty: \
                         describe the changes",
                        r.name,
                        r.last_tag.as_deref().unwrap_or("it was created"),
                        r.changed_files.len()
                    )
                }),
        );
    }
    if !problems.is_empty() {
        return Err(precheck_failed(
            "stray tags or changes without changelog entries",
            problems,
        ));
    }
    Ok(())
}

/// Where each plugin stands, unit by unit.
fn rows(ws: &Workspace, git: &Git, found: &[Plugin], strays: &[units::Stray]) -> Result<Vec<PluginStatus>> {
    let (current, from_tags) = units::current_versions_and_tags(&ws.manifest, git, found)?;
    let tags = git.tags_merged()?;
    let mut rows = Vec::new();
    for unit in units::units(&ws.manifest, found) {
        // The tag the version comes from (stamp: also a group tag a plugin left), else its own.
        let last = match from_tags.get(&unit.name) {
            Some(tag) => Some(tag.clone()),
            None => units::newest_tagged(&ws.manifest, &unit, &tags).map(|(_, t)| t),
        };
        let stray = strays.iter().find(|s| s.unit == unit.name).map(|s| s.tag.clone());
        for member in &unit.members {
            let p = found
                .iter()
                .find(|p| &p.normalized == member)
                .expect("units hold discovered plugins");
            let commits = git.commits_touching(last.as_deref(), &p.dir)?;
            let changed = git.files_changed(last.as_deref(), &p.dir)?;
            let has_entries = ws.manifest.versioning.changelog.as_ref().is_some_and(|log| {
                std::fs::read_to_string(ws.root.join(&p.dir).join(log)).is_ok_and(|text| {
                    let (sections, _) = changelog::sections(&text, &ws.manifest.versioning.changelog_style);
                    sections
                        .iter()
                        .find(|s| s.version.is_none())
                        .is_some_and(|s| !changelog::is_empty(changelog::notes(&text, s)))
                })
            });
            rows.push(PluginStatus {
                name: p.normalized.clone(),
                path: p.dir.clone(),
                version: current[&p.normalized].to_string(),
                group: unit.group.then(|| unit.name.clone()),
                needs_release: last.is_none() || !changed.is_empty(),
                last_tag: last.clone(),
                commits_since_tag: commits,
                changed_files: changed,
                changelog_has_entries: has_entries,
                stray_tag: stray.clone(),
            });
        }
    }
    Ok(rows)
}

fn print_table(rows: &[PluginStatus]) {
    println!(
        "{:<28} {:<12} {:<28} {:>7} {:>7}  {:<9} release?",
        "plugin", "version", "last tag", "commits", "files", "changelog"
    );
    for r in rows {
        let tag = match &r.stray_tag {
            Some(_) => format!("{} (stray?)", r.last_tag.as_deref().unwrap_or_default()),
            None => r.last_tag.clone().unwrap_or_else(|| "(none)".into()),
        };
        println!(
            "{:<28} {:<12} {:<28} {:>7} {:>7}  {:<9} {}",
            r.name,
            r.version,
            tag,
            r.commits_since_tag,
            r.changed_files.len(),
            if r.changelog_has_entries { "entries" } else { "empty" },
            if r.needs_release { "yes" } else { "no" }
        );
    }
}
