//! towncrier, run (pinned, in the build-tools venv) on a copy of a plugin folder: what a
//! release makes of the plugin's news fragments (the edit of its news file, the removal of
//! each fragment it compiled, and the compiled section as notes), and a nightly's draft. The
//! copy is a git repository of its own, so towncrier's `git rm` and `git add` act on it and
//! never on the repository. Changes nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pep440_rs::Version;

use crate::manifest::workspace::Workspace;
use crate::ops::cmd::Cmd;
use crate::python::plugins::Plugin;
use crate::python::toolchain;
use crate::python::towncrier::{Towncrier, TOWNCRIER};
use crate::versions::changelog::{self, Format};
use crate::versions::edits::{Edit, REMOVE};

/// The edits a release of `plugin` at `version` makes (its news file, the fragments it
/// removes) and its notes; what stands in the way otherwise.
pub fn compile(
    ws: &Workspace,
    plugin: &Plugin,
    t: &Towncrier,
    version: &Version,
    date: &str,
) -> Result<(Vec<Edit>, String), String> {
    let dir = ws.root.join(&plugin.dir);
    let news = plugin.path(&t.filename);
    let Ok(before) = std::fs::read_to_string(dir.join(&t.filename)) else {
        return Err(format!(
            "{news}: missing: towncrier compiles the fragments into it; create it (with towncrier's start line \
             `.. towncrier release notes start` in RST, `<!-- towncrier release notes start -->` in Markdown)"
        ));
    };
    if t.fragments(&dir).is_empty() && !ws.manifest.versioning.allow_empty_changelog {
        return Err(format!(
            "{}: no towncrier fragment in {}: add one describing this release, e.g. {}/123.feature{} \
             (or set [versioning] allow-empty-changelog = true)",
            plugin.dir,
            plugin.path(&t.directory),
            plugin.path(&t.directory),
            if Format::of(&t.filename) == Format::Rst {
                ".rst"
            } else {
                ".md"
            }
        ));
    }
    let run = || -> Result<(String, Vec<(String, String)>)> {
        let (scratch, copy) = copy_of(ws, plugin)?;
        let python = python(ws)?;
        let args = [
            "build",
            "--yes",
            "--version",
            &version.to_string(),
            "--date",
            date,
            "--name",
            &plugin.name,
        ];
        ws.runner
            .read(&towncrier(&python, &copy, "compile the news fragments of", plugin).args(args))?;
        let after = std::fs::read_to_string(copy.join(&t.filename)).context("towncrier wrote no news file")?;
        // towncrier writes `\n`; a file kept with `\r\n` keeps them.
        let after = match before.contains("\r\n") {
            true => after.replace("\r\n", "\n").replace('\n', "\r\n"),
            false => after,
        };
        // What towncrier removed: the fragments it compiled.
        let mut removed = Vec::new();
        for folder in &t.directories {
            for file in files_below(&dir.join(folder)) {
                let rel = format!("{}/{file}", folder.trim_end_matches('/'));
                if !copy.join(&rel).exists() {
                    let text = std::fs::read_to_string(dir.join(&rel)).with_context(|| format!("cannot read {rel}"))?;
                    removed.push((rel, text));
                }
            }
        }
        drop(scratch);
        Ok((after, removed))
    };
    let (after, removed) = run().map_err(|e| failed(&plugin.dir, &e))?;
    let (offset, old, new) = difference(&before, &after);
    let mut edits = vec![Edit {
        file: news,
        line: before[..offset].matches('\n').count() + 1,
        offset,
        old: old.to_string(),
        new: new.to_string(),
        reason: "changelog".into(),
    }];
    edits.extend(removed.into_iter().map(|(rel, text)| Edit {
        file: plugin.path(&rel),
        line: 1,
        offset: 0,
        old: text,
        new: String::new(),
        reason: REMOVE.into(),
    }));
    Ok((edits, untitled(new, t)))
}

/// towncrier's draft of the plugin's next section at `version` (its title aside): a nightly's
/// notes. Nothing is written.
pub fn draft(ws: &Workspace, plugin: &Plugin, t: &Towncrier, version: &str, date: &str) -> Result<String> {
    if t.fragments(&ws.root.join(&plugin.dir)).is_empty() {
        return Ok(String::new());
    }
    let python = python(ws)?;
    let args = [
        "build",
        "--draft",
        "--version",
        version,
        "--date",
        date,
        "--name",
        &plugin.name,
    ];
    let out = ws.runner.read(
        &towncrier(
            &python,
            &ws.root.join(&plugin.dir),
            "draft the news fragments of",
            plugin,
        )
        .args(args),
    )?;
    Ok(untitled(&out.stdout_text(), t))
}

fn towncrier(python: &Path, dir: &Path, what: &str, plugin: &Plugin) -> Cmd {
    Cmd::new(python, format!("{what} {} with towncrier", plugin.dir))
        .cwd(dir)
        .args(["-m", "towncrier"])
}

/// The build-tools venv with towncrier.
fn python(ws: &Workspace) -> Result<PathBuf> {
    let tools = toolchain::find(&ws.runner, &ws.manifest).map_err(|e| anyhow::anyhow!(e.join("; ")))?;
    let mut requirements = ws.manifest.python.build_tools.clone();
    requirements.push(TOWNCRIER.to_string());
    let index = ws.index_args().pip_env(&ws.root)?;
    toolchain::tools_venv(&ws.runner, &tools.python, &ws.work_dir, &requirements, &index)
}

/// A copy of the plugin folder in the work folder, a git repository of its own with every
/// file added; the scratch folder that holds it.
fn copy_of(ws: &Workspace, plugin: &Plugin) -> Result<(tempfile::TempDir, PathBuf)> {
    let dir = ws.root.join(&plugin.dir);
    let skip = ws.copy_skips(&dir);
    let skip: Vec<&str> = skip.iter().map(String::as_str).collect();
    let scratch = tempfile::Builder::new()
        .prefix("towncrier-")
        .tempdir_in(&ws.work_dir)
        .context("cannot create a folder in the work folder")?;
    let copy = scratch.path().join("project");
    crate::ops::fs::copy_tree(&dir, &copy, &skip)?;
    let git = which::which("git").context("git is not installed")?;
    for args in [&["init", "-q"][..], &["add", "-A"][..]] {
        ws.runner.read(
            &Cmd::new(&git, "make the towncrier copy a repository")
                .cwd(&copy)
                .args(args),
        )?;
    }
    Ok((scratch, copy))
}

/// The files below `dir`, relative to it.
fn files_below(dir: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| Some(e.path().strip_prefix(dir).ok()?.to_string_lossy().replace('\\', "/")))
        .collect()
}

/// Where `after` differs from `before`, in whole lines: the offset, the text replaced and
/// its replacement (the common lines at the beginning and the end left out).
fn difference<'a>(before: &'a str, after: &'a str) -> (usize, &'a str, &'a str) {
    let same = before
        .char_indices()
        .zip(after.chars())
        .find(|((_, a), b)| a != b)
        .map_or(before.len().min(after.len()), |((i, _), _)| i);
    let prefix = before[..same].rfind('\n').map_or(0, |i| i + 1);
    let room = before.len().min(after.len()) - prefix;
    let mut suffix = 0;
    for (a, b) in before[prefix..].chars().rev().zip(after[prefix..].chars().rev()) {
        if a != b || suffix + a.len_utf8() > room {
            break;
        }
        suffix += a.len_utf8();
    }
    // The common end starts a line.
    let start = before.len() - suffix;
    if start > 0 && before.as_bytes()[start - 1] != b'\n' {
        suffix = before[start..].find('\n').map_or(0, |i| suffix - i - 1);
    }
    (
        prefix,
        &before[prefix..before.len() - suffix],
        &after[prefix..after.len() - suffix],
    )
}

/// A compiled section without its title (when towncrier gives it one), trimmed: the notes.
fn untitled(section: &str, t: &Towncrier) -> String {
    let section = section.trim_start_matches(['\n', '\r']);
    if !t.titled {
        return section.trim_matches(['\n', '\r', ' ']).to_string();
    }
    let body = match Format::of(&t.filename) {
        Format::Markdown => match section.split_once('\n') {
            Some((first, rest)) if first.starts_with('#') => rest,
            _ => section,
        },
        Format::Rst => match changelog::rst::titles(section).first() {
            Some(t) if section[..t.span.start].trim().is_empty() => &section[t.next.min(section.len())..],
            _ => section,
        },
    };
    body.trim_matches(['\n', '\r', ' ']).to_string()
}

/// A towncrier run that failed, with its last lines.
fn failed(dir: &str, e: &anyhow::Error) -> String {
    let said = format!("{e:#}");
    let last: Vec<&str> = said.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = last[last.len().saturating_sub(4)..].join(" / ");
    format!("{dir}: towncrier could not compile the news fragments: {tail}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_difference_is_the_inserted_section() {
        let before = "# Changelog\n\n<!-- start -->\n\n## 1.0.0\n";
        let after = "# Changelog\n\n<!-- start -->\n\n# x 1.1.0 (d)\n\n- New.\n\n\n## 1.0.0\n";
        let (offset, old, new) = super::difference(before, after);
        assert_eq!(old, "");
        assert_eq!(format!("{}{new}{}", &before[..offset], &before[offset..]), after);
        assert_eq!(super::difference("é\n", "é\n"), (3, "", ""));
        assert_eq!(super::difference("aé\nb\n", "aè\nb\n"), (0, "aé\n", "aè\n"));
        // A new section sharing the start of the next one's title is taken whole.
        let before = "x\n\n## 1.0.0 (a)\n- Old.\n";
        let after = "x\n\n## 1.0.1 (b)\n\n- New.\n\n\n## 1.0.0 (a)\n- Old.\n";
        let (offset, old, new) = super::difference(before, after);
        assert_eq!((offset, old, new), (3, "", "## 1.0.1 (b)\n\n- New.\n\n\n"));
    }

    #[test]
    fn notes_are_the_section_without_its_title() {
        let dir = tempfile::tempdir().unwrap();
        let read = |text: &str| crate::python::towncrier::read(dir.path(), Some(text)).unwrap();
        let md = read("[tool.towncrier]\nfilename = \"CHANGES.md\"\n");
        assert_eq!(
            super::untitled("# x 1.1.0 (d)\n\n## Features\n\n- New.\n\n\n", &md),
            "## Features\n\n- New."
        );
        let rst = read("[tool.towncrier]\n");
        assert_eq!(
            super::untitled("x 1.1.0 (d)\n===========\n\nFeatures\n--------\n\n- New.\n\n", &rst),
            "Features\n--------\n\n- New."
        );
        // Without titles (`title_format = false`), the section is all notes.
        let bare = read("[tool.towncrier]\ntitle_format = false\n");
        assert_eq!(
            super::untitled("Features\n--------\n\n- New.\n", &bare),
            "Features\n--------\n\n- New."
        );
    }
}
