//! Release units and their versions: a lockstep group shares one version and one tag; every
//! other plugin is its own unit with its own tag. Where the current version comes from
//! depends on the strategy: the version files (`commit`) or the newest release tag (`stamp`).
//! Reads only.

use std::collections::BTreeMap;

use anyhow::Result;
use pep440_rs::Version;
use serde::{Deserialize, Serialize};

use crate::manifest::workspace::Workspace;
use crate::manifest::{normalize_name, render, Changelog, Manifest, Strategy, MANIFEST_FILE};
use crate::ops::git::Git;
use crate::python::plugins::Plugin;
use crate::versions::changelog;
use crate::versions::edits::{self, Edit, StampValues};
use crate::versions::{self, Bump};

#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    /// Group name, or the plugin's normalized name.
    pub name: String,
    pub group: bool,
    /// Normalized plugin names.
    pub members: Vec<String>,
}

/// Groups first (manifest order), then every plugin not in a group.
pub fn units(manifest: &Manifest, plugins: &[Plugin]) -> Vec<Unit> {
    let mut units: Vec<Unit> = manifest
        .groups
        .iter()
        .map(|g| Unit {
            name: g.name.clone(),
            group: true,
            members: g
                .members
                .iter()
                .map(|m| m.value.clone())
                .filter(|m| plugins.iter().any(|p| &p.normalized == m))
                .collect(),
        })
        // A group none of whose plugins exist is reported by the prechecks; it releases nothing.
        .filter(|u| !u.members.is_empty())
        .collect();
    for p in plugins {
        if !units.iter().any(|u| u.members.contains(&p.normalized)) {
            units.push(Unit {
                name: p.normalized.clone(),
                group: false,
                members: vec![p.normalized.clone()],
            });
        }
    }
    units
}

/// The tag that records `version` of `unit`.
pub fn tag_name(manifest: &Manifest, unit: &Unit, version: &str) -> String {
    if unit.group {
        render(
            &manifest.release.group_tag,
            &[
                ("group", &unit.name),
                ("version", version),
                ("release", &manifest.release.name),
            ],
        )
    } else {
        render(
            manifest.plugin_tag_template(&unit.name),
            &[
                ("name", &unit.name),
                ("id", &manifest.plugin_id(&unit.name)),
                ("version", version),
            ],
        )
    }
}

/// Units whose tags the templates do not tell apart (one tag would record two units'
/// releases, and each would read the other's versions): one problem per clash, naming the
/// template to change.
pub fn tag_clashes(manifest: &Manifest, plugins: &[Plugin]) -> Vec<String> {
    let all = units(manifest, plugins);
    let mut problems = Vec::new();
    for (i, a) in all.iter().enumerate() {
        let tag = tag_name(manifest, a, "{version}");
        let Some(b) = all[..i].iter().find(|b| tag_name(manifest, b, "{version}") == tag) else {
            continue;
        };
        let which = |u: &Unit| match (
            u.group,
            manifest.plugin_overrides.get(&u.name).and_then(|o| o.tag.as_ref()),
        ) {
            (true, _) => format!("[release] group-tag = {:?}", manifest.release.group_tag),
            (false, Some(t)) => format!("[plugin.{}] tag = {t:?}", u.name),
            (false, None) => format!("[release] tag = {:?}", manifest.release.tag),
        };
        let (wa, wb) = (which(a), which(b));
        let templates = if wa == wb { wa } else { format!("{wb} and {wa}") };
        problems.push(format!(
            "{} and {} would both be tagged {tag} ({templates}): each would read the other's \
             releases as its own. Put {{name}} or {{id}} in the template (e.g. \"providers-{{id}}/{{version}}\"), \
             or give one of them its own [plugin.NAME] tag",
            b.name, a.name
        ));
    }
    problems
}

/// The newest version recorded by a tag of `unit`, if any.
pub fn newest_tagged(manifest: &Manifest, unit: &Unit, tags: &[String]) -> Option<(Version, String)> {
    tagged_versions(manifest, unit, tags).pop()
}

/// Every version recorded by a tag of `unit`, oldest first, with its tag.
fn tagged_versions(manifest: &Manifest, unit: &Unit, tags: &[String]) -> Vec<(Version, String)> {
    let marker = "\u{0}VERSION\u{0}";
    let template = tag_name(manifest, unit, marker);
    let Some((prefix, suffix)) = template.split_once(marker) else {
        return Vec::new();
    };
    let mut found: Vec<(Version, String)> = tags
        .iter()
        .filter_map(|t| {
            let middle = t.strip_prefix(prefix)?.strip_suffix(suffix)?;
            let v = crate::versions::parse(middle).ok()?;
            Some((v, t.clone()))
        })
        .collect();
    found.sort();
    found
}

/// A stray tag: the unit, the tag, and what to do.
pub struct Stray {
    pub unit: String,
    pub tag: String,
    pub message: String,
}

/// Stamp strategy: units whose newest tag, the one their current version comes from, is a
/// lightweight tag while their earlier release tags are annotated (a stray tag, made by hand,
/// would make its version current and the next release skip what lies between), each with
/// what to do.
pub fn stray_tags(manifest: &Manifest, git: &Git, plugins: &[Plugin]) -> Result<Vec<Stray>> {
    if manifest.versioning.strategy != Strategy::Stamp {
        return Ok(Vec::new());
    }
    let tags = git.tags_merged()?;
    let lightweight = git.lightweight_tags()?;
    let mut problems = Vec::new();
    for unit in units(manifest, plugins) {
        let mut mine = tagged_versions(manifest, &unit, &tags);
        let Some((version, newest)) = mine.pop() else { continue };
        if !lightweight.contains(&newest) {
            continue;
        }
        if let Some((_, annotated)) = mine.iter().rev().find(|(_, t)| !lightweight.contains(t)) {
            let message = format!(
                "{}: its newest tag {newest} is lightweight, unlike its release tags before it ({annotated} is \
                 annotated): a stray tag would make {version} its current version and the next release skip \
                 the versions between. If {version} was released, make the tag annotated \
                 (`git tag -a -f -m \"Release {version}\" {newest} {newest}^{{}}`); if not, delete it \
                 (`git tag -d {newest}`)",
                unit.name
            );
            problems.push(Stray {
                unit: unit.name.clone(),
                tag: newest,
                message,
            });
        }
    }
    Ok(problems)
}

/// Current version of every plugin (normalized name → version). With the `stamp` strategy
/// it is the newest release tag of the plugin's unit; while there is none, 0.0.0 for version
/// files at the placeholder (its epoch or local label never carries into a release), else
/// what they say.
pub fn current_versions(manifest: &Manifest, git: &Git, plugins: &[Plugin]) -> Result<BTreeMap<String, Version>> {
    Ok(current_versions_and_tags(manifest, git, plugins)?.0)
}

/// [`current_versions`], and (stamp strategy) the tag each unit's current version comes from,
/// by unit name: its own newest tag, or the group tag it was last released under.
pub fn current_versions_and_tags(
    manifest: &Manifest,
    git: &Git,
    plugins: &[Plugin],
) -> Result<(BTreeMap<String, Version>, BTreeMap<String, String>)> {
    let mut from_tags = BTreeMap::new();
    let stamp = manifest.versioning.strategy == Strategy::Stamp;
    let mut current: BTreeMap<String, Version> = plugins
        .iter()
        .map(|p| {
            let version = match stamp && p.version == manifest.versioning.placeholder {
                true => Version::new([0, 0, 0]),
                false => p.version.clone(),
            };
            (p.normalized.clone(), version)
        })
        .collect();
    if stamp {
        // Only this branch's history counts: a maintenance branch is not at main's version.
        let tags = git.tags_merged()?;
        for unit in units(manifest, plugins) {
            let own = newest_tagged(manifest, &unit, &tags);
            // A plugin taken out of its group goes on from the group's releases of it.
            let plugin = plugins.iter().find(|p| !unit.group && p.normalized == unit.name);
            let released = match plugin {
                Some(p) => newest_group_release(manifest, git, p, own.as_ref().map(|(v, _)| v), &tags)?,
                None => None,
            };
            if let Some((v, tag)) = released.or(own) {
                for m in &unit.members {
                    current.insert(m.clone(), v.clone());
                }
                from_tags.insert(unit.name.clone(), tag);
            }
        }
    }
    Ok((current, from_tags))
}

/// The newest version, above `own`, of a group tag (of any group name, also one the
/// manifest no longer has) under which `plugin` was released: the manifest as tagged lists it
/// in a group or, where that manifest cannot tell (none, unreadable), its changelog as tagged
/// has a section of that version.
fn newest_group_release(
    manifest: &Manifest,
    git: &Git,
    plugin: &Plugin,
    own: Option<&Version>,
    tags: &[String],
) -> Result<Option<(Version, String)>> {
    let (group, version) = ("\u{0}GROUP\u{0}", "\u{0}VERSION\u{0}");
    let template = render(
        &manifest.release.group_tag,
        &[
            ("group", group),
            ("version", version),
            ("release", &manifest.release.name),
        ],
    );
    let mut candidates: Vec<(Version, &String)> = tags
        .iter()
        .filter_map(|t| Some((group_tag_version(&template, group, version, t)?, t)))
        .filter(|(v, _)| own.is_none_or(|own| v > own))
        .collect();
    candidates.sort();
    // The newest few: a plugin released under a group is in its latest tags.
    for (v, tag) in candidates.into_iter().rev().take(8) {
        if let Some(members) = git.file_at(tag, MANIFEST_FILE)?.and_then(|t| group_members(&t)) {
            match members.contains(&plugin.normalized) {
                true => return Ok(Some((v, tag.clone()))),
                false => continue,
            }
        }
        let Some(log) = changelog::of(manifest, plugin) else {
            continue;
        };
        let Some(text) = git.file_at(tag, &plugin.path(&log.file))? else {
            continue;
        };
        let (sections, _) = changelog::sections(&text, &log.style);
        if sections.iter().any(|s| s.version.as_ref() == Some(&v)) {
            return Ok(Some((v, tag.clone())));
        }
    }
    Ok(None)
}

/// The normalized names of the plugins in the `[groups]` of a manifest's text; None when the
/// text is not a manifest TOML can read.
fn group_members(text: &str) -> Option<std::collections::BTreeSet<String>> {
    let doc: toml::Table = toml::from_str(text).ok()?;
    let groups = match doc.get("groups") {
        None => return Some(Default::default()),
        Some(g) => g.as_table()?,
    };
    let names = groups.values().filter_map(|v| v.as_array()).flatten();
    Some(names.filter_map(|n| n.as_str()).map(normalize_name).collect())
}

/// The version of `tag` if it fits the group-tag `template` (rendered with the markers
/// `group` and `version`), the group being any text without `/`.
fn group_tag_version(template: &str, group: &str, version: &str, tag: &str) -> Option<Version> {
    let v_at = template.find(version)?;
    let text = match template.find(group) {
        None => {
            let (prefix, suffix) = template.split_once(version)?;
            tag.strip_prefix(prefix)?.strip_suffix(suffix)?
        }
        Some(g_at) => {
            let group_first = g_at < v_at;
            let (first, second) = if group_first {
                (group, version)
            } else {
                (version, group)
            };
            let (head, rest) = template.split_once(first)?;
            let (between, tail) = rest.split_once(second)?;
            let middle = tag.strip_prefix(head)?.strip_suffix(tail)?;
            if between.is_empty() {
                return None;
            }
            let (name, text) = if group_first {
                middle.rsplit_once(between)?
            } else {
                let (text, name) = middle.split_once(between)?;
                (name, text)
            };
            if name.is_empty() || name.contains('/') {
                return None;
            }
            text
        }
    };
    crate::versions::parse(text).ok()
}

/// The units released at `commit`: those whose tag for their current version points at it,
/// each with its changelog section of that version as notes.
pub fn tagged_at(
    ws: &Workspace,
    git: &Git,
    plugins: &[Plugin],
    current: &BTreeMap<String, Version>,
    commit: &str,
    problems: &mut Vec<String>,
) -> Result<Vec<PlannedUnit>> {
    let tags = git.tags_at(commit)?;
    let mut tagged = Vec::new();
    for unit in units(&ws.manifest, plugins) {
        let version = current[&unit.members[0]].to_string();
        let tag = tag_name(&ws.manifest, &unit, &version);
        if !tags.contains(&tag) {
            continue;
        }
        let mut notes = BTreeMap::new();
        for member in &unit.members {
            let Some(p) = plugins.iter().find(|p| &p.normalized == member) else {
                continue;
            };
            let Some(log) = changelog::of(&ws.manifest, p) else {
                continue;
            };
            let path = p.path(&log.file);
            let Ok(text) = std::fs::read_to_string(ws.root.join(&path)) else {
                continue;
            };
            let (sections, _) = changelog::sections(&text, &log.style);
            match sections.iter().find(|s| s.version.as_ref() == Some(&current[member])) {
                Some(section) => {
                    notes.insert(member.clone(), changelog::notes(&text, section).to_string());
                }
                None if !ws.manifest.versioning.allow_empty_changelog => problems.push(format!(
                    "{path}: no section for {version}, the version tagged {tag}: the release notes come from it"
                )),
                None => {}
            }
        }
        tagged.push(PlannedUnit {
            name: unit.name.clone(),
            group: unit.group,
            members: unit.members.clone(),
            current_version: version.clone(),
            version,
            tag,
            notes,
        });
    }
    Ok(tagged)
}

/// A release unit with its next version, as planned.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedUnit {
    pub name: String,
    pub group: bool,
    pub members: Vec<String>,
    pub current_version: String,
    pub version: String,
    pub tag: String,
    /// Release notes per member, from its changelog's Unreleased section.
    pub notes: BTreeMap<String, String>,
}

/// Which units a bump or release takes (default: all).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub plugins: Vec<String>,
    pub groups: Vec<String>,
}

/// The next versions of the selected units and the edits that record them in the working
/// tree: version files and pins (commit strategy) and changelogs (both strategies).
pub struct BumpOutcome {
    pub units: Vec<PlannedUnit>,
    /// New versions of the bumped plugins.
    pub planned: BTreeMap<String, Version>,
    pub tree_edits: Vec<Edit>,
    /// The changelog edits among `tree_edits` (build copies need them with either strategy).
    pub changelog_edits: Vec<Edit>,
    /// With `[versioning] next-dev`: the edits that write each released plugin's next `.dev0`
    /// version into its version files, as they are after `tree_edits`; and those versions.
    pub next_dev_edits: Vec<Edit>,
    pub next_dev: BTreeMap<String, Version>,
}

/// Compute a bump; every refusal goes to `problems` (nothing is written).
#[allow(clippy::too_many_arguments)]
pub fn plan_bump(
    ws: &Workspace,
    git: &Git,
    plugins: &[Plugin],
    current: &BTreeMap<String, Version>,
    level: &Bump,
    selection: &Selection,
    values: &StampValues,
    problems: &mut Vec<String>,
) -> Result<BumpOutcome> {
    let manifest = &ws.manifest;
    let selected = select_units(manifest, plugins, selection, problems);
    let tags = git.tags()?;
    let (mut units, planned) = next_versions(manifest, &selected, current, level, &tags, problems);
    let (tree_edits, changelog_edits) = bump_edits(ws, plugins, &planned, values, &mut units, problems);

    // Plugins whose requirements are not rewritten must still accept the new versions (with
    // the stamp strategy every pin is a placeholder that each build rewrites).
    if manifest.versioning.strategy == Strategy::Commit {
        let untouched: Vec<&Plugin> = plugins
            .iter()
            .filter(|p| !planned.contains_key(&p.normalized))
            .collect();
        problems.extend(edits::pin_violations(&untouched, &planned));
    }
    let (next_dev_edits, next_dev) = if manifest.versioning.next_dev {
        next_dev_edits(ws, plugins, &planned, &tree_edits, problems)
    } else {
        (Vec::new(), BTreeMap::new())
    };
    Ok(BumpOutcome {
        units,
        planned,
        tree_edits,
        changelog_edits,
        next_dev_edits,
        next_dev,
    })
}

/// The next version of each selected unit (its tag must not exist yet), and of each plugin.
fn next_versions(
    manifest: &Manifest,
    selected: &[Unit],
    current: &BTreeMap<String, Version>,
    level: &Bump,
    tags: &[String],
    problems: &mut Vec<String>,
) -> (Vec<PlannedUnit>, BTreeMap<String, Version>) {
    let mut planned: BTreeMap<String, Version> = BTreeMap::new();
    let mut units = Vec::new();
    for unit in selected {
        let now = &current[&unit.members[0]];
        match versions::bump(now, level) {
            Ok(next) => {
                if let Some(note) = versions::skipped(now, level, &next) {
                    eprintln!("note: {}: {note}", unit.name);
                }
                let tag = tag_name(manifest, unit, &next.to_string());
                if tags.contains(&tag) {
                    problems.push(format!(
                        "{}: the tag {tag} already exists: choose another version",
                        unit.name
                    ));
                }
                for m in &unit.members {
                    planned.insert(m.clone(), next.clone());
                }
                units.push(PlannedUnit {
                    name: unit.name.clone(),
                    group: unit.group,
                    members: unit.members.clone(),
                    current_version: now.to_string(),
                    version: next.to_string(),
                    tag,
                    notes: BTreeMap::new(),
                });
            }
            Err(e) => problems.push(format!("{}: {e}", unit.name)),
        }
    }
    (units, planned)
}

/// The working-tree edits of a bump, sorted by place (version files and pins with the commit
/// strategy, changelogs with both), and the changelog edits alone; the notes go to `units`.
fn bump_edits(
    ws: &Workspace,
    plugins: &[Plugin],
    planned: &BTreeMap<String, Version>,
    values: &StampValues,
    units: &mut [PlannedUnit],
    problems: &mut Vec<String>,
) -> (Vec<Edit>, Vec<Edit>) {
    let manifest = &ws.manifest;
    let mut tree_edits = Vec::new();
    let mut changelog_edits = Vec::new();
    for p in plugins.iter().filter(|p| planned.contains_key(&p.normalized)) {
        let next = &planned[&p.normalized];
        if manifest.versioning.strategy == Strategy::Commit {
            match edits::version_edits(&ws.root, p, next, values) {
                Ok(mut e) => tree_edits.append(&mut e),
                Err(mut e) => problems.append(&mut e),
            }
            match edits::pin_edits(&ws.root, p, planned, manifest.versioning.sibling_pins) {
                Ok(mut e) => tree_edits.append(&mut e),
                Err(mut e) => problems.append(&mut e),
            }
        }
        if let Some(log) = changelog::of(manifest, p) {
            // towncrier compiles the fragments into its news file (unless the manifest sets
            // another changelog apart); other changelogs have their unreleased section promoted.
            let compiled = match p.towncrier.as_ref().filter(|t| t.filename == log.file) {
                Some(t) => super::towncrier::compile(ws, p, t, next, &values.date),
                None => promote_changelog(ws, p, &log, next, &values.date).map(|(e, n)| (e.into_iter().collect(), n)),
            };
            match compiled {
                Ok((edit, notes)) => {
                    changelog_edits.extend(edit);
                    if let Some(u) = units.iter_mut().find(|u| u.members.contains(&p.normalized)) {
                        u.notes.insert(p.normalized.clone(), notes);
                    }
                }
                Err(e) => problems.push(e),
            }
        }
    }
    tree_edits.extend(changelog_edits.iter().cloned());
    tree_edits.sort_by(|a, b| (&a.file, a.offset).cmp(&(&b.file, b.offset)));
    (tree_edits, changelog_edits)
}

/// The edit that makes the Unreleased section of `p`'s changelog `log` the section of `next`,
/// and that section's notes.
fn promote_changelog(
    ws: &Workspace,
    p: &Plugin,
    log: &Changelog,
    next: &Version,
    date: &str,
) -> Result<(Option<Edit>, String), String> {
    let manifest = &ws.manifest;
    let file = p.path(&log.file);
    let Ok(text) = std::fs::read_to_string(ws.root.join(&file)) else {
        return Err(format!(
            "{file}: missing; every released plugin needs a changelog (or set [versioning] changelog = \"\")"
        ));
    };
    changelog::promote(
        &text,
        &file,
        &log.style,
        next,
        date,
        manifest.versioning.allow_empty_changelog,
    )
}

/// The edits that move each released plugin's version files from the released version (as
/// the release writes them) to the next `.dev0` version.
fn next_dev_edits(
    ws: &Workspace,
    plugins: &[Plugin],
    planned: &BTreeMap<String, Version>,
    release_edits: &[Edit],
    problems: &mut Vec<String>,
) -> (Vec<Edit>, BTreeMap<String, Version>) {
    let mut edits = Vec::new();
    let mut next = BTreeMap::new();
    for p in plugins.iter().filter(|p| planned.contains_key(&p.normalized)) {
        let dev = versions::next_dev(&planned[&p.normalized]);
        // A list of released versions never holds a development version.
        let released_list = |f: &&crate::python::plugins::VersionFile| {
            matches!(f.kind, crate::manifest::VersionFileKind::Yaml { prepend: true, .. })
        };
        for f in p
            .version_files
            .iter()
            .filter(|f| f.kind.placeholder() == "version" && !released_list(f))
        {
            let file = p.path(&f.path);
            let Ok(text) = std::fs::read_to_string(ws.root.join(&file)) else {
                continue; // reported by the release's own edits
            };
            let mine: Vec<&Edit> = release_edits.iter().filter(|e| e.file == file).collect();
            let Ok(released) = edits::apply(&text, &mine) else {
                continue;
            };
            match crate::versions::files::locate(&f.kind, &released) {
                Ok(ranges) => edits.extend(ranges.into_iter().map(|r| Edit {
                    file: file.clone(),
                    line: crate::manifest::line_col(&released, r.start).0,
                    offset: r.start,
                    old: released[r].to_string(),
                    new: dev.to_string(),
                    reason: "next-dev".into(),
                })),
                Err(e) => problems.push(e.describe(&file)),
            }
        }
        next.insert(p.normalized.clone(), dev);
    }
    (edits, next)
}

/// The units a selection names (default: all).
fn select_units(
    manifest: &Manifest,
    plugins: &[Plugin],
    selection: &Selection,
    problems: &mut Vec<String>,
) -> Vec<Unit> {
    let all = units(manifest, plugins);
    if selection.plugins.is_empty() && selection.groups.is_empty() {
        return all;
    }
    let mut selected: Vec<Unit> = Vec::new();
    for g in &selection.groups {
        match all.iter().find(|u| u.group && &u.name == g) {
            Some(u) => selected.push(u.clone()),
            None => problems.push(format!(
                "--group {g}: no such group (groups: {})",
                all.iter()
                    .filter(|u| u.group)
                    .map(|u| u.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    for name in &selection.plugins {
        let name = normalize_name(name);
        match all.iter().find(|u| u.members.contains(&name)) {
            Some(u) if u.group => problems.push(format!(
                "--plugin {name}: it is released in lockstep with group {}; use --group {}",
                u.name, u.name
            )),
            Some(u) => selected.push(u.clone()),
            None => problems.push(format!(
                "--plugin {name}: no such plugin (plugins: {})",
                plugins
                    .iter()
                    .map(|p| p.normalized.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    let mut unique: Vec<Unit> = Vec::new();
    for u in selected {
        if !unique.iter().any(|seen| seen.name == u.name) {
            unique.push(u);
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    #[test]
    fn group_tags_of_any_group_are_read() {
        let (g, v) = ("\u{0}G\u{0}", "\u{0}V\u{0}");
        let version = |template: &str, tag: &str| {
            super::group_tag_version(&template.replace("{group}", g).replace("{version}", v), g, v, tag)
                .map(|v| v.to_string())
        };
        assert_eq!(version("v{version}", "v2.8.0").as_deref(), Some("2.8.0"));
        assert_eq!(version("v{version}", "acme-v2.8.0"), None);
        assert_eq!(
            version("{group}-v{version}", "core-tools-v2.8.0").as_deref(),
            Some("2.8.0")
        );
        assert_eq!(version("{group}-v{version}", "-v2.8.0"), None);
        assert_eq!(version("{group}/{version}", "a/b/2.8.0"), None);
        assert_eq!(
            version("release-{version}-{group}", "release-2.8.0-core").as_deref(),
            Some("2.8.0")
        );
    }

    #[test]
    fn group_members_come_from_the_manifest_as_tagged() {
        let members =
            super::group_members("[groups]\ncore = [\"Lib_Core\", \"lib-extra\"]\ntools = [\"t\"]\n").unwrap();
        assert_eq!(members.into_iter().collect::<Vec<_>>(), ["lib-core", "lib-extra", "t"]);
        assert_eq!(super::group_members("[release]\nname = \"x\"\n").unwrap().len(), 0);
        assert!(super::group_members("[groups\n").is_none());
    }
}
