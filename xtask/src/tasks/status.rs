//! `cargo xtask status [--check] [--json]`: where every plugin stands since its last release:
//! version, last release tag, commits and changed files since it, whether its changelog's
//! Unreleased section says anything, and whether it needs a release. With `--check`, exit 3
//! when a plugin changed since its release but its changelog does not say how, a unit's
//! newest tag is a stray, or the upload index disagrees with the version line. Reads only
//! (asks the upload index, unless `--offline`).

use anyhow::Result;
use serde::Serialize;

use crate::error::precheck_failed;
use crate::manifest::workspace::Workspace;
use crate::ops::git::Git;
use crate::python::index::{files_on_index, versions_on_index};
use crate::python::plugins::Plugin;
use crate::python::toolchain;
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
    /// What its changelog says of the next release: `off`, `missing`, `undelimited` (no
    /// section this tool can find), `no-unreleased`, `empty`, `entries`, or (towncrier)
    /// `fragments` waiting to be compiled.
    changelog: String,
    /// towncrier: the fragments waiting.
    fragments: usize,
    /// Its changelog is compiled by towncrier.
    #[serde(skip)]
    towncrier: bool,
    needs_release: bool,
    /// Its unit's newest tag when that is a stray (lightweight after annotated release tags).
    stray_tag: Option<String>,
    /// With `[publish.upload]`: the newest version of it on the upload index (None: none there,
    /// not uploaded, or not asked).
    index_version: Option<String>,
    /// `last_tag` is the tag of `version` (not of an older release).
    #[serde(skip)]
    version_tagged: bool,
}

pub fn run(ws: &Workspace, check: bool, json: bool, offline: bool) -> Result<()> {
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
    let mut rows = rows(ws, &git, &found, &strays)?;
    let behind = match offline {
        true => Vec::new(),
        false => compare_with_index(ws, &mut rows),
    };
    for problem in &behind {
        eprintln!("warning: {problem}");
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print_table(&rows);
    }
    if !check {
        return Ok(());
    }
    let mut problems: Vec<String> = strays.into_iter().map(|s| s.message).chain(behind).collect();
    if rows.iter().all(|r| r.changelog == "off") {
        eprintln!(
            "note: changelogs are off ([versioning] changelog = \"\" in {}): --check has no changelog to check",
            ws.manifest_shown()
        );
    }
    problems.extend(
        rows.iter()
            .filter(|r| r.needs_release && !r.changelog_has_entries && r.changelog != "off")
            .map(|r| {
                let why = match r.changelog.as_str() {
                    "missing" => "its changelog is missing",
                    "undelimited" => "its changelog has no section this tool can delimit",
                    "no-unreleased" => "its changelog has no unreleased section",
                    _ if r.towncrier => "it has no news fragment (towncrier)",
                    _ => "its changelog's Unreleased section is empty",
                };
                format!(
                    "{} changed since {} ({} file(s)) but {why}: describe the changes",
                    r.name,
                    r.last_tag.as_deref().unwrap_or("it was created"),
                    r.changed_files.len()
                )
            }),
    );
    if !problems.is_empty() {
        return Err(precheck_failed(
            "stray tags, versions that disagree with the upload index, or changes without changelog entries",
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
            let (state, fragments) = changelog_state(ws, p);
            let has_entries = state == "entries" || state == "fragments";
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
                changelog: state.to_string(),
                fragments,
                towncrier: p.towncrier.is_some(),
                stray_tag: stray.clone(),
                index_version: None,
                version_tagged: last.as_ref()
                    == Some(&units::tag_name(
                        &ws.manifest,
                        &unit,
                        &current[&p.normalized].to_string(),
                    )),
            });
        }
    }
    Ok(rows)
}

/// With `[publish.upload]`, each uploaded plugin's newest release on the upload index, set in
/// `rows`; the disagreements with the version line here: the index ahead (a tag missing from
/// this clone), or the current version tagged but missing from an index that has the project
/// (tagged, never uploaded). An index that cannot be read is a warning, not a disagreement.
fn compare_with_index(ws: &Workspace, rows: &mut [PluginStatus]) -> Vec<String> {
    let Some(upload) = &ws.manifest.publish.upload else {
        return Vec::new();
    };
    let asked: Vec<String> = rows
        .iter()
        .filter(|r| ws.manifest.uploads(&r.name))
        .map(|r| r.name.clone())
        .collect();
    if asked.is_empty() {
        return Vec::new();
    }
    let files = toolchain::python_path(&ws.manifest)
        .map_err(|e| anyhow::anyhow!(e))
        .and_then(|python| files_on_index(&ws.runner, &python, &upload.index_url, &asked));
    let files = match files {
        Ok(files) => files,
        Err(e) => {
            let said = format!("{e:#}");
            let last = said.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
            eprintln!(
                "warning: the upload index {} cannot be read ({last}): versions not compared with it \
                 (--offline skips it)",
                upload.index_url
            );
            return Vec::new();
        }
    };
    let mut problems = Vec::new();
    for row in rows.iter_mut().filter(|r| asked.contains(&r.name)) {
        let published = versions_on_index(files.keys(), &row.name);
        let Some(newest) = published.iter().max() else {
            continue;
        };
        row.index_version = Some(newest.to_string());
        let Ok(current) = crate::versions::parse(&row.version) else {
            continue;
        };
        if *newest > current {
            problems.push(format!(
                "{}: the upload index {} has {newest}, newer than its version {current} here: a release tag \
                 missing from this clone? (`git fetch --tags`); the next release must be above {newest}",
                row.name, upload.index_url
            ));
        } else if let Some(tag) = row
            .last_tag
            .as_ref()
            .filter(|_| row.version_tagged && !published.contains(&current))
        {
            problems.push(format!(
                "{}: its version {current} (tag {tag}) is not on the upload index {}: tagged but never \
                 uploaded? `cargo xtask release --resume` finishes an interrupted release; else `git checkout \
                 {tag}`, `cargo xtask bundle`, `cargo xtask publish`; if the tag is a stray, delete it \
                 (`git tag -d {tag}`)",
                row.name, upload.index_url
            ));
        }
    }
    problems
}

/// What a plugin's changelog says of its next release (see [`PluginStatus::changelog`]), and
/// the towncrier fragments waiting.
fn changelog_state(ws: &Workspace, p: &Plugin) -> (&'static str, usize) {
    let Some(log) = changelog::of(&ws.manifest, p) else {
        return ("off", 0);
    };
    if let Some(t) = p.towncrier.as_ref().filter(|t| t.filename == log.file) {
        let n = t.fragments(&ws.root.join(&p.dir)).len();
        return (if n > 0 { "fragments" } else { "empty" }, n);
    }
    let Ok(text) = std::fs::read_to_string(ws.root.join(p.path(&log.file))) else {
        return ("missing", 0);
    };
    let (sections, _) = changelog::sections(&text, &log.style);
    if changelog::undelimited(&text, &sections) {
        return ("undelimited", 0);
    }
    let state = match sections.iter().find(|s| s.version.is_none()) {
        None => "no-unreleased",
        Some(s) if changelog::is_empty(changelog::notes(&text, s)) => "empty",
        Some(_) => "entries",
    };
    (state, 0)
}

fn print_table(rows: &[PluginStatus]) {
    let tags: Vec<String> = rows
        .iter()
        .map(|r| match &r.stray_tag {
            Some(_) => format!("{} (stray?)", r.last_tag.as_deref().unwrap_or_default()),
            None => r.last_tag.clone().unwrap_or_else(|| "(none)".into()),
        })
        .collect();
    // Every column as wide as its widest value: long names never push the others out of line.
    let width = |head: &str, values: &mut dyn Iterator<Item = usize>| values.chain([head.len()]).max().unwrap_or(0);
    let w_name = width("plugin", &mut rows.iter().map(|r| r.name.len()));
    let w_version = width("version", &mut rows.iter().map(|r| r.version.len()));
    let w_tag = width("last tag", &mut tags.iter().map(String::len));
    let w_log = width("changelog", &mut rows.iter().map(|r| r.changelog.len()));
    println!(
        "{:<w_name$}  {:<w_version$}  {:<w_tag$}  {:>7}  {:>5}  {:<w_log$}  release?",
        "plugin", "version", "last tag", "commits", "files", "changelog"
    );
    for (r, tag) in rows.iter().zip(&tags) {
        println!(
            "{:<w_name$}  {:<w_version$}  {:<w_tag$}  {:>7}  {:>5}  {:<w_log$}  {}",
            r.name,
            r.version,
            tag,
            r.commits_since_tag,
            r.changed_files.len(),
            r.changelog,
            if r.needs_release { "yes" } else { "no" }
        );
    }
}
