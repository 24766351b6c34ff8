//! The versions phase: the current version of every release unit, the nightly's dev
//! versions or the release's bump, groups in lockstep, and the release's name and version.

use std::collections::BTreeMap;

use anyhow::Result;
use pep440_rs::Version;

use super::types::{Mode, PlanOptions};
use crate::manifest::normalize_name;
use crate::manifest::workspace::Workspace;
use crate::ops::clock;
use crate::ops::git::Git;
use crate::python::plugins::Plugin;
use crate::versions;
use crate::versions::edits::{Edit, StampValues};
use crate::versions::units::{self, PlannedUnit};

/// The first set variable of `vars` as a build number, and where it came from.
pub fn build_number_from_env(vars: &[String], problems: &mut Vec<String>) -> (u64, String) {
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

/// Plugin → group name, after checking that groups name real plugins and share one version.
pub fn resolve_groups(ws: &Workspace, plugins: &[Plugin], problems: &mut Vec<String>) -> BTreeMap<String, String> {
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

/// What a run's versions are: each plugin's new version, and for releases the units, the
/// edits of the working tree and the next-dev edits; the values stamped into version files.
pub struct Versions {
    pub new_versions: BTreeMap<String, Version>,
    pub units: Vec<PlannedUnit>,
    pub changelog_edits: Vec<Edit>,
    pub tree_edits: Vec<Edit>,
    pub next_dev_edits: Vec<Edit>,
    pub next_dev: BTreeMap<String, Version>,
    /// Releases: the plugins being released, with their new versions.
    pub released: Option<BTreeMap<String, Version>>,
    pub nightly_number: Option<u64>,
    pub values: StampValues,
    /// Timestamp of archive entries and wheel files (`SOURCE_DATE_EPOCH` of the builds).
    pub epoch: i64,
}

impl Versions {
    /// No versions yet, stamped with `values`, built at `epoch`.
    fn new(values: StampValues, epoch: i64) -> Versions {
        Versions {
            new_versions: BTreeMap::new(),
            units: Vec::new(),
            changelog_edits: Vec::new(),
            tree_edits: Vec::new(),
            next_dev_edits: Vec::new(),
            next_dev: BTreeMap::new(),
            released: None,
            nightly_number: None,
            values,
            epoch,
        }
    }
}

/// The versions of a nightly (dev versions of the build), a release (the bump), or a rebuild
/// of a tagged release (the tagged versions).
#[allow(clippy::too_many_arguments)]
pub fn plan_versions(
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
    problems.extend(units::tag_clashes(&ws.manifest, plugins));
    let short = commit[..commit.len().min(8)].to_string();
    match &opts.mode {
        Mode::Nightly { build_number, .. } => Ok(nightly_versions(
            ws,
            plugins,
            current,
            *build_number,
            StampValues {
                date: clock::iso_date(now),
                build: String::new(),
                commit: short,
            },
            (now, epoch),
            problems,
        )),
        Mode::Release { level, selection } => {
            let values = StampValues {
                date: clock::iso_date(now),
                build: String::new(),
                commit: short,
            };
            problems.extend(
                units::stray_tags(&ws.manifest, git, plugins)?
                    .into_iter()
                    .map(|s| s.message),
            );
            let outcome = units::plan_bump(ws, git, plugins, current, level, selection, &values, problems)?;
            let mut new_versions = current.clone();
            new_versions.extend(outcome.planned.clone());
            // A release that commits nothing is built as of the commit its tags mark: `bundle`
            // of a tag builds at that commit's time and date, so it rebuilds the release byte
            // for byte.
            let (values, epoch) = if outcome.tree_edits.is_empty() {
                let tagged = git.commit_time(commit)?.max(0);
                let date = clock::iso_date(tagged);
                (StampValues { date, ..values }, tagged)
            } else {
                (values, epoch)
            };
            Ok(Versions {
                new_versions,
                released: Some(outcome.planned),
                units: outcome.units,
                changelog_edits: outcome.changelog_edits,
                tree_edits: outcome.tree_edits,
                next_dev_edits: outcome.next_dev_edits,
                next_dev: outcome.next_dev,
                ..Versions::new(values, epoch)
            })
        }
        Mode::Bundle => {
            let units = units::tagged_at(ws, git, plugins, current, commit, problems)?;
            if units.is_empty() {
                problems.push(format!(
                    "HEAD ({short}) carries no release tag of a plugin or group at its current version: \
                     check out a release tag (`git checkout <tag>`), or build untagged commits with `nightly`"
                ));
            }
            Ok(Versions {
                new_versions: current.clone(),
                units,
                // The release commit's date: every rebuild of the tag stamps the same bytes.
                ..Versions::new(
                    StampValues {
                        date: clock::iso_date(epoch),
                        build: String::new(),
                        commit: short,
                    },
                    epoch,
                )
            })
        }
    }
}

/// A nightly's dev versions: every plugin's current version with the nightly number of the
/// build (`--build-number`, else the first set `[nightly] build-number-env` variable), the
/// run's time `now`; built at `epoch`.
fn nightly_versions(
    ws: &Workspace,
    plugins: &[Plugin],
    current: &BTreeMap<String, Version>,
    build_number: Option<u64>,
    mut values: StampValues,
    (now, epoch): (i64, i64),
    problems: &mut Vec<String>,
) -> Versions {
    let (build_number, source) = match build_number {
        Some(n) => (n, "--build-number".to_string()),
        None => build_number_from_env(&ws.manifest.nightly.build_number_env, problems),
    };
    let digits = ws.manifest.nightly.build_number_digits;
    let (number, nightly_number) = match versions::nightly_number(now, build_number, digits) {
        Ok(n) => (n, Some(n)),
        Err(e) => {
            problems.push(format!(
                "build number {build_number} (from {source}) {e}: set [nightly] build-number-digits in {} \
                 to a larger width (CI run counters keep growing; 6 is a good choice)",
                ws.manifest_shown()
            ));
            (0, None)
        }
    };
    let local = ws.manifest.nightly.local_version.then(|| format!("g{}", values.commit));
    let mut new_versions = BTreeMap::new();
    for p in plugins {
        match versions::nightly(&current[&p.normalized], number, local.as_deref()) {
            Ok(v) => {
                new_versions.insert(p.normalized.clone(), v);
            }
            Err(e) => problems.push(format!("{}: {e}", p.dir)),
        }
    }
    values.build = build_number.to_string();
    Versions {
        new_versions,
        nightly_number,
        ..Versions::new(values, epoch)
    }
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
