//! The repository side of a plan: the tree must be clean and committed, a release needs its
//! branch, remote and signing key; the steps that write the bump, commit and tag.

use anyhow::Result;

use super::types::Step;
use super::versions::Versions;
use crate::manifest::render;
use crate::manifest::workspace::Workspace;
use crate::ops::git::Git;
use crate::python::plugins::{self, Plugin};
use crate::versions::edits::{self};

/// gpg must be installed and hold a secret key when `key` (a `[release]` setting) signs.
pub fn check_gpg(ws: &Workspace, key: &str, problems: &mut Vec<String>) -> Result<()> {
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

/// Uncommitted or untracked files in plugin folders would silently be left out of (or
/// disagree with) a build of HEAD: refuse them.
pub fn check_clean_tree(ws: &Workspace, git: &Git, plugins: &[Plugin], problems: &mut Vec<String>) -> Result<()> {
    let lock = git.git_dir()?.join("index.lock");
    if lock.exists() {
        problems.push(format!(
            "{} exists: another git command is running, or one was killed; when none is running, remove it",
            lock.display()
        ));
    }
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
pub fn check_committed(git: &Git, commit: &str, plugins: &[Plugin], problems: &mut Vec<String>) -> Result<()> {
    let dirs: Vec<String> = plugins.iter().map(|p| p.dir.clone()).collect();
    let tracked = git.tracked_files(commit, &dirs)?;
    for p in plugins {
        let prefix = p.prefix();
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

/// A release's changes to the repository: write the bump, commit it, tag each unit, and
/// (`next-dev`) write and commit the next development versions.
pub fn repository_steps(ws: &Workspace, versions: &mut Versions, release_name: &str, version_text: &str) -> Vec<Step> {
    let tree_edits = std::mem::take(&mut versions.tree_edits);
    let next_dev_edits = std::mem::take(&mut versions.next_dev_edits);
    let (next_dev, units) = (&versions.next_dev, &versions.units);
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
