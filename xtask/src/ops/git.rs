//! git, through the runner. Queries only read; `export` checks a commit out into a clone
//! outside the working tree; the writes (commit, tag, push, and their undoing) are named as
//! such.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::cmd::{Cmd, Runner};

pub struct Git<'a> {
    runner: &'a Runner,
    program: PathBuf,
    root: PathBuf,
}

impl<'a> Git<'a> {
    pub fn new(runner: &'a Runner, program: PathBuf, root: &Path) -> Git<'a> {
        Git {
            runner,
            program,
            root: root.to_path_buf(),
        }
    }

    fn cmd(&self, purpose: &str) -> Cmd {
        Cmd::new(&self.program, purpose)
            .cwd(&self.root)
            .args(["-c", "core.quotepath=off", "-c", "color.ui=never"])
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
    }

    fn read(&self, purpose: &str, args: &[&str]) -> Result<String> {
        let out = self.runner.read(&self.cmd(purpose).args(args))?;
        Ok(out.stdout_text().trim_end().to_string())
    }

    /// Full sha of HEAD; a clear error in a repository without commits.
    pub fn head(&self) -> Result<String> {
        let (ok, out) =
            self.runner.probe(
                &self
                    .cmd("read HEAD")
                    .args(["rev-parse", "--verify", "-q", "HEAD^{commit}"]),
            )?;
        if !ok {
            bail!(
                "{} has no commits yet: commit the plugins and the manifest first",
                self.root.display()
            );
        }
        Ok(out.stdout_text().trim().to_string())
    }

    /// Committer time of a commit, seconds since the epoch.
    pub fn commit_time(&self, commit: &str) -> Result<i64> {
        let text = self.read("read the commit time", &["show", "-s", "--format=%ct", commit])?;
        text.trim()
            .parse()
            .with_context(|| format!("git printed an unexpected commit time {text:?}"))
    }

    /// `git status --porcelain` lines for the given paths (tracked changes and untracked files,
    /// ignored files excluded).
    pub fn status(&self, paths: &[String]) -> Result<Vec<String>> {
        let mut args = vec!["status", "--porcelain=v1", "--untracked-files=all", "--"];
        args.extend(paths.iter().map(|p| pathspec(p)));
        let text = self.read("check for uncommitted changes", &args)?;
        Ok(text.lines().map(str::to_string).filter(|l| !l.is_empty()).collect())
    }

    /// Files of `commit` below `paths` (relative to the root).
    pub fn tracked_files(&self, commit: &str, paths: &[String]) -> Result<std::collections::BTreeSet<String>> {
        let mut args = vec!["ls-tree", "-r", "-z", "--name-only", commit, "--"];
        args.extend(paths.iter().map(|p| pathspec(p)));
        let out = self
            .runner
            .read(&self.cmd("list the committed files").args(&args).unlogged_stdout())?;
        Ok(out
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect())
    }

    /// The checked-out branch, or `None` when HEAD is detached.
    pub fn current_branch(&self) -> Result<Option<String>> {
        let (ok, out) =
            self.runner.probe(
                &self
                    .cmd("read the current branch")
                    .args(["symbolic-ref", "-q", "--short", "HEAD"]),
            )?;
        Ok(ok.then(|| out.stdout_text().trim().to_string()))
    }

    /// The upstream of the current branch and how many of its commits HEAD lacks, from what
    /// git already knows (no fetch). `None` without an upstream.
    pub fn behind_upstream(&self) -> Result<Option<(String, u64)>> {
        let (ok, out) = self.runner.probe(&self.cmd("read the upstream").args([
            "rev-parse",
            "--abbrev-ref",
            "--symbolic-full-name",
            "@{upstream}",
        ]))?;
        if !ok {
            return Ok(None);
        }
        let upstream = out.stdout_text().trim().to_string();
        let count = self.read(
            "compare with the upstream",
            &["rev-list", "--count", "HEAD..@{upstream}"],
        )?;
        Ok(Some((upstream, count.trim().parse().unwrap_or(0))))
    }

    /// `git fetch` the remote of the current branch's upstream (when there is one).
    pub fn fetch_upstream(&self) -> Result<()> {
        let (ok, out) = self.runner.probe(&self.cmd("read the upstream").args([
            "rev-parse",
            "--abbrev-ref",
            "--symbolic-full-name",
            "@{upstream}",
        ]))?;
        if let Some((remote, _)) = ok
            .then(|| out.stdout_text())
            .as_deref()
            .and_then(|u| u.trim().split_once('/'))
        {
            self.runner
                .read(&self.cmd(&format!("fetch {remote}")).args(["fetch", "--quiet", remote]))?;
        }
        Ok(())
    }

    /// Whether git has a committer identity (user.name and user.email).
    pub fn has_identity(&self) -> Result<bool> {
        let (ok, _) = self
            .runner
            .probe(&self.cmd("check the git identity").args(["var", "GIT_COMMITTER_IDENT"]))?;
        Ok(ok)
    }

    /// Commit exactly `files` (whatever else is staged stays out), dated `time` (author and
    /// committer); returns the new HEAD.
    pub fn commit_only(&self, message: &str, files: &[String], time: u64) -> Result<String> {
        let mut args = vec!["commit", "-q", "-m", message, "--only", "--"];
        args.extend(files.iter().map(String::as_str));
        let date = format!("@{time} +0000");
        self.runner.run(
            &self
                .cmd("commit the release")
                .env("GIT_AUTHOR_DATE", &date)
                .env("GIT_COMMITTER_DATE", &date)
                .args(&args),
        )?;
        self.head()
    }

    /// Create an annotated tag (GPG-signed with `sign`) on HEAD.
    pub fn tag(&self, name: &str, message: &str, sign: bool) -> Result<()> {
        self.tag_at(name, message, sign, "HEAD")
    }

    /// Create an annotated tag (GPG-signed with `sign`) on `commit`.
    pub fn tag_at(&self, name: &str, message: &str, sign: bool, commit: &str) -> Result<()> {
        let kind = if sign { "-s" } else { "-a" };
        self.runner.run(&self.cmd(&format!("create the tag {name}")).args([
            "tag",
            kind,
            "--cleanup=whitespace",
            name,
            "-m",
            message,
            commit,
        ]))?;
        Ok(())
    }

    /// The commit a tag points at, if the tag exists.
    pub fn tag_target(&self, name: &str) -> Result<Option<String>> {
        let reference = format!("refs/tags/{name}^{{commit}}");
        let (ok, out) =
            self.runner.probe(
                &self
                    .cmd("look up a tag")
                    .args(["rev-parse", "--verify", "-q", &reference]),
            )?;
        Ok(ok.then(|| out.stdout_text().trim().to_string()))
    }

    /// A commit's parents and message.
    pub fn parents_and_message(&self, commit: &str) -> Result<(Vec<String>, String)> {
        let text = self.read("read a commit", &["show", "-s", "--format=%P%n%B", commit])?;
        let (parents, message) = text.split_once('\n').unwrap_or((&text, ""));
        Ok((
            parents.split_whitespace().map(str::to_string).collect(),
            message.to_string(),
        ))
    }

    pub fn delete_tag(&self, name: &str) -> Result<()> {
        self.runner
            .run(&self.cmd(&format!("delete the tag {name}")).args(["tag", "-d", name]))?;
        Ok(())
    }

    /// Undo a commit on `branch`: move the branch back to `previous` (only if it is still at
    /// `expected`) and put the index entries of `files` back as they were.
    pub fn undo_commit(&self, branch: &str, previous: &str, expected: &str, files: &[String]) -> Result<()> {
        let reference = format!("refs/heads/{branch}");
        self.runner.run(&self.cmd("undo the release commit").args([
            "update-ref",
            "-m",
            "xtask release: roll back",
            &reference,
            previous,
            expected,
        ]))?;
        self.reset_index(previous, files)
    }

    /// Set the index entries of `files` to what `commit` holds (the working tree is left).
    pub fn reset_index(&self, commit: &str, files: &[String]) -> Result<()> {
        let mut args = vec!["reset", "-q", commit, "--"];
        args.extend(files.iter().map(String::as_str));
        self.runner.run(&self.cmd("restore the index").args(&args))?;
        Ok(())
    }

    /// In the build clone `clone` (made by [`Git::export`]): replace the folder `path` with its
    /// files at `commit` (files added since are gone, files removed since are back).
    pub fn checkout_folder_in(&self, clone: &Path, commit: &str, path: &str) -> Result<()> {
        if path.trim_matches(['.', '/']).is_empty() {
            bail!("cannot check the repository's root folder out of another commit in the build clone");
        }
        let folder = clone.join(path);
        if folder.exists() {
            std::fs::remove_dir_all(&folder).with_context(|| format!("cannot empty {}", folder.display()))?;
        }
        self.runner.read(
            &self
                .cmd(&format!(
                    "check {path} out as released ({})",
                    &commit[..commit.len().min(12)]
                ))
                .cwd(clone)
                .env("GIT_DIR", clone.join(".git"))
                .env("GIT_WORK_TREE", clone)
                .args(["checkout", "--quiet", commit, "--", path]),
        )?;
        Ok(())
    }

    /// The top folder of the working tree.
    pub fn toplevel(&self) -> Result<PathBuf> {
        Ok(PathBuf::from(
            self.read("find the repository's top folder", &["rev-parse", "--show-toplevel"])?
                .trim(),
        ))
    }

    /// The repository's git folder (`.git`, shared by all its worktrees), absolute.
    pub fn git_dir(&self) -> Result<PathBuf> {
        let dir = self.read(
            "find the git folder",
            &["rev-parse", "--path-format=absolute", "--git-common-dir"],
        )?;
        Ok(PathBuf::from(dir.trim()))
    }

    /// `git push --atomic REMOTE REFS...`: all refs or none.
    pub fn push_atomic(&self, remote: &str, refs: &[String]) -> Result<()> {
        let mut args = vec!["push", "--atomic", "--porcelain", remote];
        args.extend(refs.iter().map(String::as_str));
        self.runner
            .run(&self.cmd(&format!("push the release to {remote}")).args(&args))?;
        Ok(())
    }

    /// Whether `remote` would accept an atomic push of HEAD to `branch` and to new `tags`, as
    /// the release will push them (`git push --dry-run`, which changes nothing): `None`, or
    /// what git says against it.
    pub fn push_refused(&self, remote: &str, branch: &str, tags: &[String]) -> Result<Option<String>> {
        let mut args = vec![
            "push".to_string(),
            "--dry-run".into(),
            "--atomic".into(),
            "--porcelain".into(),
            remote.into(),
            format!("HEAD:refs/heads/{branch}"),
        ];
        args.extend(tags.iter().map(|t| format!("HEAD:refs/tags/{t}")));
        let (ok, out) = self
            .runner
            .probe(&self.cmd(&format!("check that {remote} accepts the push")).args(&args))?;
        if ok {
            return Ok(None);
        }
        let said: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .chain(String::from_utf8_lossy(&out.stderr).lines())
            .filter(|l| l.starts_with('!') || l.starts_with("error:") || l.starts_with("fatal:"))
            .map(|l| l.trim().to_string())
            .collect();
        Ok(Some(said.join("; ")))
    }

    /// Tags reachable from HEAD (the history of the checked-out branch).
    pub fn tags_merged(&self) -> Result<Vec<String>> {
        let text = self.read("list the tags of this branch", &["tag", "--list", "--merged", "HEAD"])?;
        Ok(text.lines().map(str::to_string).filter(|l| !l.is_empty()).collect())
    }

    /// The URL a push to a remote goes to, if one of that name is configured.
    pub fn remote_push_url(&self, name: &str) -> Result<Option<String>> {
        let (ok, out) = self.runner.probe(
            &self
                .cmd("look up the remote")
                .args(["remote", "get-url", "--push", name]),
        )?;
        Ok(ok.then(|| out.stdout_text().trim().to_string()))
    }

    /// The folders of every worktree of the repository, and this worktree's own git folder
    /// (`.git/worktrees/<name>` in a linked worktree, else the common one).
    pub fn worktrees(&self) -> Result<(Vec<PathBuf>, PathBuf)> {
        let list = self.read("list the worktrees", &["worktree", "list", "--porcelain"])?;
        let trees = list
            .lines()
            .filter_map(|l| l.strip_prefix("worktree "))
            .map(PathBuf::from)
            .collect();
        let own = self.read("find this worktree's git folder", &["rev-parse", "--absolute-git-dir"])?;
        Ok((trees, PathBuf::from(own.trim())))
    }

    /// The tags `remote` has (`git ls-remote --tags`, which changes nothing); `None` when it
    /// cannot be reached.
    pub fn remote_tags(&self, remote: &str) -> Result<Option<std::collections::BTreeSet<String>>> {
        let (ok, out) = self
            .runner
            .probe(
                &self
                    .cmd(&format!("list the tags of {remote}"))
                    .args(["ls-remote", "--tags", "--refs", remote]),
            )?;
        Ok(ok.then(|| {
            out.stdout_text()
                .lines()
                .filter_map(|l| l.split_once("refs/tags/").map(|(_, tag)| tag.trim().to_string()))
                .collect()
        }))
    }

    /// Whether a remote of that name is configured.
    pub fn has_remote(&self, name: &str) -> Result<bool> {
        let (ok, _) = self
            .runner
            .probe(&self.cmd("look up the remote").args(["remote", "get-url", name]))?;
        Ok(ok)
    }

    /// Commits in `since..HEAD` (all of HEAD's history without `since`) that touch `path`.
    pub fn commits_touching(&self, since: Option<&str>, path: &str) -> Result<u64> {
        let range = since.map_or("HEAD".to_string(), |t| format!("{t}..HEAD"));
        let text = self.read("count commits", &["rev-list", "--count", &range, "--", pathspec(path)])?;
        Ok(text.trim().parse().unwrap_or(0))
    }

    /// Files below `path` that differ between `since` and HEAD (every committed file without `since`).
    pub fn files_changed(&self, since: Option<&str>, path: &str) -> Result<Vec<String>> {
        let text = match since {
            Some(tag) => self.read(
                "list changed files",
                &["diff", "--name-only", tag, "HEAD", "--", pathspec(path)],
            )?,
            None => self.read(
                "list files",
                &["ls-tree", "-r", "--name-only", "HEAD", "--", pathspec(path)],
            )?,
        };
        Ok(text.lines().map(str::to_string).filter(|l| !l.is_empty()).collect())
    }

    /// The tags that point at `commit` (directly or through an annotated tag).
    pub fn tags_at(&self, commit: &str) -> Result<Vec<String>> {
        let text = self.read(
            "list the tags of this commit",
            &["tag", "--list", "--points-at", commit],
        )?;
        Ok(text.lines().map(str::to_string).filter(|l| !l.is_empty()).collect())
    }

    /// The text of `path` (relative to the root) at `rev`, if it exists there.
    pub fn file_at(&self, rev: &str, path: &str) -> Result<Option<String>> {
        let spec = format!("{rev}:{path}");
        let (ok, out) = self
            .runner
            .probe(&self.cmd("read a file as committed").args(["show", &spec]))?;
        Ok(ok.then(|| out.stdout_text().to_string()))
    }

    /// The lightweight tags (refs to a commit, not to a tag object).
    pub fn lightweight_tags(&self) -> Result<std::collections::BTreeSet<String>> {
        let text = self.read(
            "list the kinds of the tags",
            &["for-each-ref", "--format=%(objecttype) %(refname:strip=2)", "refs/tags"],
        )?;
        Ok(text
            .lines()
            .filter_map(|l| l.strip_prefix("commit "))
            .map(str::to_string)
            .collect())
    }

    /// Every tag name.
    pub fn tags(&self) -> Result<Vec<String>> {
        let text = self.read("list tags", &["tag", "--list"])?;
        Ok(text.lines().map(str::to_string).filter(|l| !l.is_empty()).collect())
    }

    /// Whether `path` (relative to the root) is ignored by git.
    pub fn is_ignored(&self, path: &str) -> Result<bool> {
        let (ok, _) =
            self.runner.probe(
                &self
                    .cmd("check .gitignore")
                    .args(["check-ignore", "-q", "--no-index", path]),
            )?;
        Ok(ok)
    }

    /// Check `commit` out into `dest`, a new clone sharing this repository's objects, so that
    /// build backends that ask git which files belong to a package (setuptools-scm,
    /// hatch-vcs, setuptools' git file finders) see what they see in a maintainer's clone.
    /// Sparse: the files at the root and the folders `paths`. Nothing of the user's
    /// repository changes (no worktree entry, no config, no refs); no hooks run; files come
    /// as committed on every system (no CRLF conversion by a Windows git's autocrlf; an `eol`
    /// in .gitattributes still applies), so builds are the same everywhere.
    pub fn export(&self, commit: &str, paths: &[String], dest: &Path) -> Result<()> {
        let dest_text = dest.to_string_lossy().into_owned();
        let root = self.root.to_string_lossy().into_owned();
        let no_hooks = if cfg!(windows) { "NUL" } else { "/dev/null" };
        let hooks = format!("core.hooksPath={no_hooks}");
        self.runner.read(
            &self
                .cmd("clone the repository for the build (sharing its objects)")
                .args([
                    "clone",
                    "--quiet",
                    "--shared",
                    "--no-checkout",
                    "--template=",
                    "-c",
                    "core.autocrlf=false",
                    "-c",
                    "core.eol=lf",
                    "-c",
                    &hooks,
                    "--",
                    &root,
                    &dest_text,
                ]),
        )?;
        let in_clone = |purpose: &str| {
            self.cmd(purpose)
                .cwd(dest)
                .args(["-c", &hooks])
                .env("GIT_DIR", dest.join(".git"))
                .env("GIT_WORK_TREE", dest)
        };
        if !paths.iter().any(|p| p.is_empty() || p == ".") {
            let mut args = vec!["sparse-checkout", "set", "--cone", "--"];
            args.extend(paths.iter().map(String::as_str));
            self.runner
                .read(&in_clone("limit the build clone to the plugin folders").args(&args))?;
        }
        self.runner
            .read(&in_clone("check out the commit to build").args(["checkout", "--quiet", "--detach", commit]))?;
        Ok(())
    }
}

/// A folder relative to the repository root as a pathspec: the root (`""`) is `.`.
fn pathspec(path: &str) -> &str {
    if path.is_empty() {
        "."
    } else {
        path
    }
}
