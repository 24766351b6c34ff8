//! `init`: each plugin's changelog and how it names its sections: Keep a Changelog, other
//! Markdown headings (a template from the first release heading), reStructuredText titles
//! (`.rst`, read by the version they name), or towncrier (`[tool.towncrier]`, its news file).
//! The kind most plugins keep becomes `[versioning]`'s; a plugin keeping another gets its own
//! `[plugin.NAME]` keys. Reads files only.

use std::collections::BTreeMap;
use std::path::Path;

use crate::python::plugins::Plugin;
use crate::versions::changelog::{is_date, Style};

/// Changelog files, in order of preference.
const CANDIDATES: &[&str] = &[
    "CHANGELOG.md",
    "RELEASE.md",
    "HISTORY.md",
    "CHANGES.md",
    "NEWS.md",
    "CHANGELOG.rst",
    "CHANGES.rst",
    "HISTORY.rst",
    "NEWS.rst",
    "docs/changelog.rst",
    "docs/changes.rst",
    "docs/history.rst",
    "docs/changelog.md",
];

/// How one plugin keeps its changelog: the file and (Markdown other than Keep a Changelog) its
/// heading templates.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Kept {
    pub file: String,
    pub heading: Option<String>,
    pub unreleased: Option<String>,
}

/// What `init` writes of changelogs, and what it tells.
#[derive(Default)]
pub struct Changelogs {
    /// `[versioning]`'s (None: the default, or off with `off`).
    pub default: Option<Kept>,
    /// No plugin keeps a changelog: `changelog = ""`.
    pub off: bool,
    /// Plugins (normalized names) keeping theirs otherwise; None: the plugin has none.
    pub own: BTreeMap<String, Option<Kept>>,
    pub detected: Vec<String>,
    pub guessed: Vec<String>,
    pub check: Vec<String>,
}

pub fn detect(root: &Path, plugins: &[Plugin]) -> Changelogs {
    let mut out = Changelogs::default();
    // towncrier's plugins keep their news file without a key (see `versions::changelog::of`).
    for p in plugins {
        if let Some(t) = &p.towncrier {
            out.detected.push(format!(
                "{}: towncrier fragments ({}/) compiled into {} at release",
                p.dir, t.directory, t.filename
            ));
        }
    }
    let plugins: Vec<&Plugin> = plugins.iter().filter(|p| p.towncrier.is_none()).collect();
    let towncrier_only = plugins.is_empty();
    let kept: Vec<(&Plugin, Option<Kept>)> = plugins.iter().map(|p| (*p, kept_by(root, p))).collect();
    let mut counts: BTreeMap<&Kept, usize> = BTreeMap::new();
    for k in kept.iter().filter_map(|(_, k)| k.as_ref()) {
        *counts.entry(k).or_default() += 1;
    }
    // The most common, the first plugin's on a tie.
    let most = counts.values().max().copied().unwrap_or(0);
    let Some(default) = kept
        .iter()
        .filter_map(|(_, k)| k.as_ref())
        .find(|k| counts[k] == most)
        .cloned()
    else {
        if !towncrier_only {
            out.guessed
                .push("no changelog files: changelog handling is off (changelog = \"\")".into());
            out.off = true;
        }
        return out;
    };
    out.detected
        .push(format!("changelogs: {} ({})", default.file, describe(&default)));
    for (p, k) in &kept {
        match k {
            Some(k) if *k == default => {}
            Some(k) => {
                out.detected.push(format!(
                    "{}: {} ({}): [plugin.{}] changelog = {:?}",
                    p.dir,
                    k.file,
                    describe(k),
                    p.normalized,
                    k.file
                ));
                out.own.insert(p.normalized.clone(), Some(k.clone()));
            }
            None => out.check.push(format!(
                "{} has no {}: a release of it needs one (or set [plugin.{}] changelog = \"\")",
                p.dir, default.file, p.normalized
            )),
        }
    }
    out.default = Some(default);
    out
}

fn describe(k: &Kept) -> String {
    match (&k.heading, k.file.to_ascii_lowercase().ends_with(".rst")) {
        (_, true) => "reStructuredText titles".to_string(),
        (Some(h), false) => format!("Markdown headings like {h:?}"),
        (None, false) => "Keep a Changelog".to_string(),
    }
}

/// The changelog a plugin keeps: the first file of [`CANDIDATES`] it has, with its Markdown heading style when not Keep a Changelog.
fn kept_by(root: &Path, p: &Plugin) -> Option<Kept> {
    let dir = root.join(&p.dir);
    let file = CANDIDATES.iter().find(|c| dir.join(c).is_file())?.to_string();
    let mut kept = Kept {
        file,
        heading: None,
        unreleased: None,
    };
    if kept.file.to_ascii_lowercase().ends_with(".rst") {
        return Some(kept);
    }
    let text = std::fs::read_to_string(dir.join(&kept.file)).unwrap_or_default();
    if let Some((heading, unreleased)) = heading_style(&text) {
        let style = Style::default();
        if heading != style.heading || unreleased.as_ref().is_some_and(|u| *u != style.unreleased) {
            kept.heading = Some(heading);
            kept.unreleased = unreleased;
        }
    }
    Some(kept)
}

/// The heading template of a changelog's first release section (its version and a date
/// replaced by placeholders), and the heading of an unreleased section above it.
fn heading_style(text: &str) -> Option<(String, Option<String>)> {
    let mut unreleased = None;
    for line in text.lines() {
        let hashes = line.bytes().take_while(|b| *b == b'#').count();
        if !(1..=3).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let words: Vec<&str> = line[hashes + 1..].split(' ').collect();
        let version_at = words.iter().position(|w| {
            let w = w.trim_matches(['[', ']', '(', ')', ',']).trim_start_matches(['v', 'V']);
            w.starts_with(|c: char| c.is_ascii_digit()) && crate::versions::parse(w).is_ok()
        });
        let Some(at) = version_at else {
            if hashes <= 2 && line.to_ascii_lowercase().contains("unreleased") || line.contains("Upcoming") {
                unreleased = Some(line.trim_end().to_string());
            }
            continue;
        };
        let template: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == at {
                    let bare = w.trim_matches(['[', ']', '(', ')', ',']);
                    let v = bare.trim_start_matches(['v', 'V']);
                    w.replacen(v, "{version}", 1)
                } else if is_date(w.trim_matches(['(', ')', '[', ']', ','])) {
                    w.replacen(w.trim_matches(['(', ')', '[', ']', ',']), "{date}", 1)
                } else {
                    w.to_string()
                }
            })
            .collect();
        let heading = format!("{} {}", "#".repeat(hashes), template.join(" "));
        let unreleased = unreleased.filter(|u: &String| u.bytes().take_while(|b| *b == b'#').count() == hashes);
        return Some((heading, unreleased));
    }
    None
}
