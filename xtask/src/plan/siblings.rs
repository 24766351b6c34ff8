//! The siblings a partial release does not release ship as they were released. A plugin of a
//! unit this release leaves alone, at a version a tag of that unit records, whose build copy
//! this release does not change (no stamp edit), is built as its release built it: its folder
//! as of the tagged commit (later, unreleased commits are not shipped under the released
//! version) and that release's time (the tagged commit's time: a release commit is dated with
//! its build time, and a release that commits nothing is built at the time of the commit its
//! tags mark). Builds being reproducible, its sdist and wheel in the bundles are the released
//! ones, byte for byte. Plugins whose build reads git's history (setuptools-scm and the like),
//! whose metadata file changed since the tag (their requirements are checked as HEAD has them)
//! or that nest in another plugin's folder are built as committed. Reads only.

use std::collections::BTreeMap;

use anyhow::Result;
use pep440_rs::Version;

use super::types::{FolderAt, Released, Step};
use super::versions::Versions;
use crate::manifest::workspace::Workspace;
use crate::ops::git::Git;
use crate::python::plugins::{folder_holds, reads_git_history, Plugin};
use crate::versions::units;

/// Mark the builds (and the export) of the siblings a release ships as released.
pub fn ship_siblings_as_released(
    ws: &Workspace,
    git: &Git,
    plugins: &[Plugin],
    current: &BTreeMap<String, Version>,
    versions: &Versions,
    steps: &mut [Step],
) -> Result<()> {
    let Some(released_now) = &versions.released else {
        return Ok(()); // not a release
    };
    let stamped: Vec<&String> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Stamp { plugin, edits } if !edits.is_empty() => Some(plugin),
            _ => None,
        })
        .collect();
    let tags = git.tags()?;
    let mut marks: BTreeMap<String, (String, Released)> = BTreeMap::new();
    for unit in units::units(&ws.manifest, plugins) {
        if unit.members.iter().any(|m| released_now.contains_key(m)) {
            continue;
        }
        let tag = units::tag_name(&ws.manifest, &unit, &current[&unit.members[0]].to_string());
        if !tags.contains(&tag) {
            continue;
        }
        let Some(commit) = git.tag_target(&tag)? else { continue };
        let epoch = git.commit_time(&commit)?.max(0) as u64;
        for member in &unit.members {
            let Some(p) = plugins.iter().find(|p| &p.normalized == member) else {
                continue;
            };
            let nests = plugins
                .iter()
                .any(|o| o.dir != p.dir && (folder_holds(&p.dir, &o.dir) || folder_holds(&o.dir, &p.dir)));
            // Its requirements as checked against this release's versions are HEAD's: built
            // from the tag, they must be the same.
            let metadata_changed = git.files_changed(Some(&commit), &p.dir)?.iter().any(|f| {
                ["pyproject.toml", "setup.py", "setup.cfg"]
                    .iter()
                    .any(|m| *f == p.path(m))
            });

            let kept = stamped.contains(&member)
                || metadata_changed
                || p.prefix().is_empty()
                || nests
                || reads_git_history(&ws.root.join(&p.dir))
                || git.tracked_files(&commit, std::slice::from_ref(&p.dir))?.is_empty();
            if !kept {
                let released = Released {
                    tag: tag.clone(),
                    commit: commit.clone(),
                    epoch,
                };
                marks.insert(member.clone(), (p.dir.clone(), released));
            }
        }
    }
    for step in steps.iter_mut() {
        match step {
            Step::ExportSources { released, .. } => {
                *released = marks
                    .values()
                    .map(|(path, r)| FolderAt {
                        path: path.clone(),
                        commit: r.commit.clone(),
                    })
                    .collect();
            }
            Step::Build { plugin, released, .. } => *released = marks.get(plugin).map(|(_, r)| r.clone()),
            _ => {}
        }
    }
    Ok(())
}
