//! `cargo xtask release --resume` and `release --roll-back`: finish or undo a release that
//! stopped half-way (killed, power loss, a failed rollback, a failed publishing step), from
//! its journal (see `journal`). What is done is read from the repository itself (the bytes of
//! each file, HEAD, the tags, the hashes of the outputs) and checked against the journal;
//! anything that is neither "before" nor "after" the release (a file edited since, HEAD
//! moved, a tag pointing elsewhere) stops it with nothing changed. The result is the complete
//! release or the repository as it was, never anything between; a recovery that is itself
//! interrupted is run again.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::error::{input_error, precheck_failed};
use crate::manifest::workspace::Workspace;
use crate::ops::fs::{clean_dead_leftovers, move_all_into_place, replace_files, sha256_file};
use crate::ops::git::Git;
use crate::ops::git_locks;
use crate::ops::staging::Staging;
use crate::plan::Step;
use crate::python::toolchain;
use crate::steps::journal::{Journal, JournalFile, TreeFile};

/// Where the repository stands, as seen.
struct Seen {
    /// For each tree file of the journal, how many of the plan's working-tree writes it holds
    /// (0: as before the release).
    files: Vec<usize>,
    /// The commits of the plan that are made, oldest first (HEAD is the last).
    commits: Vec<String>,
    /// Tags of the release that exist (on the release commit).
    tags_made: Vec<String>,
    outputs: Vec<OutputState>,
}

#[derive(PartialEq)]
enum OutputState {
    Delivered,
    Staged,
    Lost,
}

pub fn run(
    ws: &Workspace,
    git_dir: &Path,
    roll_back: bool,
    skip: &[String],
    json: bool,
    started: Instant,
) -> Result<()> {
    let Some(mut file) = JournalFile::load(git_dir)? else {
        return Err(input_error(
            "nothing to resume or roll back: no release was interrupted (no journal in the git folder)",
        ));
    };
    let tools =
        toolchain::find(&ws.runner, &ws.manifest).map_err(|p| precheck_failed("required tools are missing", p))?;
    let git = Git::new(&ws.runner, tools.git.clone(), &ws.root);
    crate::ops::ui::progress!("{}", file.journal.describe());
    clear_dead_git_locks(ws, &git, git_dir, &file.journal)?;
    record_by_hand(&mut file, skip)?;
    if file.journal.delivered() && !roll_back {
        // Everything it built is delivered: its staging folder has nothing left to give.
        if let Some(stage) = Staging::adopt(&file.journal.stage).ok().flatten() {
            drop(stage);
        }
        return continue_publishing(ws, &tools, &git, &mut file, json, started);
    }
    if roll_back && file.journal.publishing {
        return Err(precheck_failed(
            "cannot roll back",
            vec![format!(
                "the release started publishing (push, copy to the release folder or upload), so it may be public: \
                 finish it with `cargo xtask release --resume`, or undo by hand what it published, then remove {}",
                file.path().display()
            )],
        ));
    }
    let seen = observe(ws, &git, &file.journal)?;
    for dir in leftover_dirs(ws, &file.journal) {
        clean_dead_leftovers(&dir);
    }
    let stage = match file.journal.stage.is_dir() {
        true => Staging::adopt(&file.journal.stage)?,
        false => None,
    };
    let lost = seen.outputs.iter().filter(|o| **o == OutputState::Lost).count();
    let forward = !roll_back && !file.journal.outputs.is_empty() && lost == 0;
    if !forward && !skip.is_empty() {
        return Err(input_error(
            "--skip: the interrupted release cannot be finished (it stopped before everything was built, or its \
             built outputs are gone), so it is undone: run `cargo xtask release --resume` without --skip",
        ));
    }
    let (what, result) = if forward {
        ("finished", roll_forward(ws, &git, &mut file, &seen))
    } else {
        if !roll_back {
            crate::ops::ui::progress!(
                "{}: undoing it",
                if file.journal.outputs.is_empty() {
                    "it stopped before everything was built".to_string()
                } else {
                    format!(
                        "{lost} of its built outputs are gone from {}",
                        file.journal.stage.display()
                    )
                }
            );
        }
        ("rolled back", undo(ws, &git, &file, &seen))
    };
    let done = match result {
        Ok(done) => done,
        Err(e) => {
            // The journal stays, and so do the outputs it names: run the recovery again.
            if let Some(stage) = stage {
                stage.keep();
            }
            return Err(e.context(format!(
                "the recovery stopped half-way; fix the problem and run `cargo xtask release --{}` again",
                if roll_back { "roll-back" } else { "resume" }
            )));
        }
    };
    drop(stage);
    let plan = &file.journal.plan;
    if forward && file.journal.next_step < plan.steps.len() {
        crate::ops::ui::summary!("{what} the local part: {}", done.join(", "));
        return continue_publishing(ws, &tools, &git, &mut file, json, started);
    }
    file.remove()?;
    print_recovered(plan, forward, &done, json, started)
}

/// What a recovery that finished did, for people or as JSON.
fn print_recovered(
    plan: &crate::plan::Plan,
    forward: bool,
    done: &[String],
    json: bool,
    started: Instant,
) -> Result<()> {
    if json {
        let out = serde_json::json!({
            "recovered": if forward { "forward" } else { "back" },
            "release": plan.release,
            "version": plan.version,
            "done": done,
            "seconds": started.elapsed().as_secs_f64(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        crate::ops::ui::summary!(
            "{} the interrupted release {} {}: {}",
            if forward { "finished" } else { "rolled back" },
            plan.release,
            plan.version,
            match (done.is_empty(), forward) {
                (false, _) => done.join(", "),
                (true, true) => "everything was already done".to_string(),
                (true, false) => "nothing had changed".to_string(),
            }
        );
    }
    Ok(())
}

/// Record the publishing steps of the kinds in `skip` that are not done yet as done by hand
/// (`release --resume --skip`); every kind named must have such a step. The release counts as
/// publishing from then on (never rolled back). Saved with the next step of the recovery.
fn record_by_hand(file: &mut JournalFile, skip: &[String]) -> Result<()> {
    if skip.is_empty() {
        return Ok(());
    }
    let journal = &mut file.journal;
    journal.publishing = true;
    let first = journal.next_step.max(journal.deliver_step() + 1);
    for kind in skip {
        let found: Vec<usize> = (first..journal.plan.steps.len())
            .filter(|i| step_kind(&journal.plan.steps[*i]) == kind)
            .collect();
        if found.is_empty() {
            return Err(input_error(format!(
                "--skip {}: the interrupted release has no {} step left to do",
                kind.split('_').next().unwrap_or(kind),
                kind.replace('_', " ")
            )));
        }
        for i in found {
            if !journal.by_hand.contains(&i) {
                journal.by_hand.push(i);
            }
            crate::ops::ui::progress!(
                "recorded as done by hand: step {}/{} ({})",
                i + 1,
                journal.plan.steps.len(),
                crate::plan::describe(&journal.plan.steps[i])
            );
        }
    }
    Ok(())
}

/// A step's kind as `plan --json` names it.
fn step_kind(step: &Step) -> &'static str {
    match step {
        Step::Push { .. } => "push",
        Step::CopyToReleaseDir { .. } => "copy_to_release_dir",
        Step::Upload { .. } => "upload",
        _ => "",
    }
}

/// The steps after delivery (push, copy, upload), from the first not done (those recorded as
/// done by hand are not run).
fn continue_publishing(
    ws: &Workspace,
    tools: &toolchain::Tools,
    git: &Git,
    file: &mut JournalFile,
    json: bool,
    started: Instant,
) -> Result<()> {
    let journal = &file.journal;
    let expected = journal
        .commits
        .last()
        .cloned()
        .unwrap_or_else(|| journal.plan.commit.clone());
    let head = git.head()?;
    if head != expected {
        return Err(precheck_failed(
            "cannot resume",
            vec![format!(
                "HEAD is {} but the interrupted release left it at {}: check out that commit (or remove {} to abandon the rest)",
                &head[..12],
                &expected[..expected.len().min(12)],
                file.path().display()
            )],
        ));
    }
    let plan = journal.plan.clone();
    let report = super::execute::continue_release(ws, tools, file).with_context(|| {
        format!(
            "the release is still not fully published (log: {})",
            ws.runner.log_path().display()
        )
    })?;
    super::execute::print_result(ws, &plan, &report, json, started)
}

/// Folders where the interrupted run may have left temporary files.
fn leftover_dirs(ws: &Workspace, journal: &Journal) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = journal
        .files
        .iter()
        .filter_map(|f| ws.root.join(&f.path).parent().map(Path::to_path_buf))
        .chain(
            journal
                .outputs
                .iter()
                .filter_map(|o| o.dest.parent().map(Path::to_path_buf)),
        )
        .chain(journal.plan.steps.iter().filter_map(|s| match s {
            Step::CopyToReleaseDir { dir, .. } => Some(ws.root.join(dir)),
            _ => None,
        }))
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// How many of the `writes` of the working tree a journaled file holds (0: none, as before
/// the release), None when it holds none of them. A file the release removes is told by its
/// presence (it may be empty).
fn writes_held(ws: &Workspace, f: &TreeFile, writes: usize) -> Option<usize> {
    let read = std::fs::read(ws.root.join(&f.path));
    match (&read, f.removed) {
        (Err(_), true) => Some(writes),
        (Ok(bytes), true) => (bytes == f.old.as_bytes()).then_some(0),
        (_, false) => {
            let bytes = read.as_deref().unwrap_or_default();
            (0..=writes).rev().find(|n| bytes == f.after_write(*n).as_bytes())
        }
    }
}

/// Read where the repository stands; every inconsistency with the journal at once.
fn observe(ws: &Workspace, git: &Git, journal: &Journal) -> Result<Seen> {
    let plan = &journal.plan;
    let mut problems = Vec::new();
    if let Some(branch) = &plan.branch {
        let current = git.current_branch()?;
        if current.as_ref() != Some(branch) {
            problems.push(format!(
                "the release was made on {branch}, but {} is checked out: check out {branch}",
                current.as_deref().unwrap_or("no branch (detached HEAD)")
            ));
        }
    }
    let writes = plan
        .steps
        .iter()
        .filter(|s| matches!(s, Step::UpdateTree { .. }))
        .count();
    let mut files = Vec::new();
    for f in &journal.files {
        match writes_held(ws, f, writes) {
            Some(n) => files.push(n),
            None => {
                problems.push(format!(
                    "{} was changed since the release was interrupted: it holds neither its bytes from before the \
                     release nor the release's; put one of them back (`git checkout {} -- {}` gives the first) and run again",
                    f.path,
                    &plan.commit[..12],
                    f.path
                ));
                files.push(0);
            }
        }
    }
    let commits = match made_commits(git, journal)? {
        Some(commits) => commits,
        None => {
            problems.push(format!(
                "HEAD is {}, neither the commit the release was built from ({}) nor one it made: \
                 check out the branch as the release left it",
                &git.head()?[..12],
                &plan.commit[..12]
            ));
            Vec::new()
        }
    };
    let tag_target = commits.first().cloned().unwrap_or_else(|| plan.commit.clone());
    let mut tags_made = Vec::new();
    for step in &plan.steps {
        if let Step::Tag { name, .. } = step {
            match git.tag_target(name)? {
                None => {}
                Some(target) if target == tag_target => tags_made.push(name.clone()),
                Some(target) => problems.push(format!(
                    "the tag {name} points at {}, not at the release ({}): it was made by someone else; \
                     delete or rename it",
                    &target[..12],
                    &tag_target[..12]
                )),
            }
        }
    }
    let mut outputs = Vec::new();
    for o in &journal.outputs {
        let intact = |path: &Path| path.is_file() && sha256_file(path).is_ok_and(|h| h == o.sha256);
        outputs.push(if intact(&o.dest) {
            OutputState::Delivered
        } else if o.dest.exists() {
            problems.push(format!(
                "{} holds other bytes than the release made: move it away",
                o.dest.display()
            ));
            OutputState::Lost
        } else if intact(&o.staged) {
            OutputState::Staged
        } else {
            OutputState::Lost
        });
    }
    if !problems.is_empty() {
        return Err(precheck_failed(
            "the interrupted release cannot be finished or undone as things are; nothing was changed",
            problems,
        ));
    }
    Ok(Seen {
        files,
        commits,
        tags_made,
        outputs,
    })
}

/// Remove the lock files git left when the interrupted run was killed in the middle of a git
/// command (in the repository, and in the push remote when it is a folder on this machine),
/// and say so. Locks git may still be using (a git program runs there) or that are older than
/// the release stop the recovery, with nothing removed.
fn clear_dead_git_locks(ws: &Workspace, git: &Git, git_dir: &Path, journal: &Journal) -> Result<()> {
    let (work_trees, own) = git.worktrees()?;
    let mut folders = vec![(git_dir.to_path_buf(), work_trees.clone())];
    if own != git_dir {
        folders.push((own, work_trees));
    }
    for step in &journal.plan.steps {
        if let Step::Push { remote, .. } = step {
            if let Some(dir) = git
                .remote_push_url(remote)?
                .and_then(|url| local_git_dir(&ws.root, &url))
            {
                let work_tree = dir.parent().filter(|_| dir.ends_with(".git")).map(Path::to_path_buf);
                folders.push((dir, work_tree.into_iter().collect()));
            }
        }
    }
    let found: Vec<_> = folders
        .iter()
        .map(|(dir, work_trees)| git_locks::find(dir, work_trees, journal.started))
        .collect();
    let kept: Vec<String> = found.iter().flat_map(|l| l.kept.clone()).collect();
    if !kept.is_empty() {
        return Err(precheck_failed(
            "git lock files are in the way; nothing was changed",
            kept,
        ));
    }
    let stale: Vec<_> = found.into_iter().flat_map(|l| l.stale).collect();
    if !stale.is_empty() {
        git_locks::remove(&stale).map_err(anyhow::Error::msg)?;
        let shown: Vec<String> = stale.iter().map(|p| p.display().to_string()).collect();
        crate::ops::ui::progress!(
            "removed the lock file(s) git left when the interrupted release was killed (no git program runs there): {}",
            shown.join(", ")
        );
    }
    Ok(())
}

/// The git folder of a remote that is a folder on this machine (a path or a `file://` URL;
/// bare or not), else `None`.
fn local_git_dir(root: &Path, url: &str) -> Option<std::path::PathBuf> {
    let path = match url.strip_prefix("file://") {
        Some(path) => std::path::PathBuf::from(path),
        None if url.contains("://") => return None,
        // `host:path` (scp-like) has its colon before any slash.
        None if url.find(':').is_some_and(|c| !url[..c].contains('/') && c > 1) => return None,
        None => root.join(url),
    };
    if path.join(".git").is_dir() {
        Some(path.join(".git"))
    } else if path.join("refs").is_dir() && path.join("objects").is_dir() {
        Some(path)
    } else {
        None
    }
}

/// The plan's commits that HEAD and its parents are, oldest first; `None` when HEAD is
/// neither the commit the release was built from nor one of its own. A commit is the
/// release's when the journal recorded it, or (made just before a kill) when its parent and
/// message are the planned ones, in the plan's order.
fn made_commits(git: &Git, journal: &Journal) -> Result<Option<Vec<String>>> {
    let plan = &journal.plan;
    let messages: Vec<&str> = plan
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Commit { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    let mut chain = vec![git.head()?];
    while chain.last() != Some(&plan.commit) {
        if chain.len() > messages.len() {
            return Ok(None);
        }
        let (parents, _) = git.parents_and_message(chain.last().expect("not empty"))?;
        let [parent] = parents.as_slice() else {
            return Ok(None);
        };
        chain.push(parent.clone());
    }
    chain.pop();
    chain.reverse();
    for (commit, expected) in chain.iter().zip(&messages) {
        let (_, message) = git.parents_and_message(commit)?;
        if !journal.commits.contains(commit) && message.trim() != expected.trim() {
            return Ok(None);
        }
    }
    Ok(Some(chain))
}

/// Do what the release had not done yet of its local part, in the plan's order: write the
/// tree, commit, tag, (next-dev: write and commit again), deliver. What was done, for the
/// summary.
fn roll_forward(ws: &Workspace, git: &Git, file: &mut JournalFile, seen: &Seen) -> Result<Vec<String>> {
    let journal = file.journal.clone();
    let plan = &journal.plan;
    let mut done = Vec::new();
    let mut commits = seen.commits.clone();
    let (mut write, mut commit) = (0, 0);
    for step in &plan.steps[..journal.deliver_step()] {
        match step {
            Step::UpdateTree { .. } => {
                write += 1;
                let (gone, writes): (Vec<_>, Vec<_>) = journal
                    .files
                    .iter()
                    .zip(&seen.files)
                    .filter(|(f, held)| {
                        let removes = f.removed && write == 1;
                        **held < write && (removes || f.after_write(write) != f.after_write(write - 1))
                    })
                    .partition(|(f, _)| f.removed && write == 1);
                let writes: Vec<_> = writes
                    .into_iter()
                    .map(|(f, _)| (ws.root.join(&f.path), f.after_write(write).as_bytes().to_vec()))
                    .collect();
                let gone: Vec<_> = gone.into_iter().map(|(f, _)| ws.root.join(&f.path)).collect();
                if !writes.is_empty() || !gone.is_empty() {
                    replace_files(&writes)?;
                    crate::ops::fs::remove_files(&gone)?;
                    done.push(format!("wrote {} file(s), removed {}", writes.len(), gone.len()));
                }
            }
            Step::Commit { message, files } => {
                commit += 1;
                if commits.len() < commit {
                    let made = git.commit_only(message, files, plan.source_date_epoch)?;
                    done.push(format!("committed {}", &made[..12]));
                    commits.push(made);
                } else if !journal.commits.contains(&commits[commit - 1]) {
                    // Made by a git killed before it wrote the index: the index entries of
                    // the committed files become the commit's, as `git commit` leaves them.
                    git.reset_index(&commits[commit - 1], files)?;
                    done.push(format!(
                        "found the commit {} the release had made",
                        &commits[commit - 1][..12]
                    ));
                }
                file.journal.commits = commits.clone();
                file.save()?;
            }
            Step::Tag { name, message, sign } if !seen.tags_made.contains(name) => {
                let target = commits.first().cloned().unwrap_or_else(|| plan.commit.clone());
                git.tag_at(name, message, *sign, &target)?;
                done.push(format!("tagged {name}"));
            }
            _ => {}
        }
    }
    let moves: Vec<_> = journal
        .outputs
        .iter()
        .zip(&seen.outputs)
        .filter(|(_, state)| **state == OutputState::Staged)
        .map(|(o, _)| (o.staged.clone(), o.dest.clone()))
        .collect();
    if !moves.is_empty() {
        move_all_into_place(&moves)?;
        done.push(format!("delivered {} file(s)", moves.len()));
    }
    file.journal.next_step = journal.deliver_step() + 1;
    file.save()?;
    Ok(done)
}

/// Undo what the release did, newest first: outputs, tags, commit, tree files.
fn undo(ws: &Workspace, git: &Git, file: &JournalFile, seen: &Seen) -> Result<Vec<String>> {
    let journal = &file.journal;
    let plan = &journal.plan;
    let mut done = Vec::new();
    let delivered: Vec<_> = journal
        .outputs
        .iter()
        .zip(&seen.outputs)
        .filter(|(_, state)| **state == OutputState::Delivered)
        .map(|(o, _)| &o.dest)
        .collect();
    for dest in &delivered {
        std::fs::remove_file(dest).with_context(|| format!("cannot remove {}", dest.display()))?;
    }
    if !delivered.is_empty() {
        done.push(format!("removed {} delivered file(s)", delivered.len()));
    }
    // The set's folder goes with its files, also when the kill came before the first of
    // them was in place (only when empty: nothing else is removed).
    let mut sets: Vec<&Path> = journal.outputs.iter().filter_map(|o| o.dest.parent()).collect();
    sets.dedup();
    for set in sets {
        let _ = std::fs::remove_dir(set);
    }
    for tag in seen.tags_made.iter().rev() {
        git.delete_tag(tag)?;
        done.push(format!("deleted the tag {tag}"));
    }
    if let Some(head) = seen.commits.last() {
        let branch = plan.branch.as_deref().context("the plan names no branch")?;
        let mut files: Vec<String> = plan
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Commit { files, .. } => Some(files.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        files.sort();
        files.dedup();
        git.undo_commit(branch, &plan.commit, head, &files)?;
        let shown: Vec<&str> = seen.commits.iter().map(|c| &c[..12]).collect();
        done.push(format!("undid the commit(s) {}", shown.join(", ")));
    }
    let restores: Vec<_> = journal
        .files
        .iter()
        .zip(&seen.files)
        .filter(|(_, held)| **held > 0)
        .map(|(f, _)| (ws.root.join(&f.path), f.old.clone().into_bytes()))
        .collect();
    if !restores.is_empty() {
        replace_files(&restores)?;
        done.push(format!("restored {} file(s)", restores.len()));
    }
    Ok(done)
}
