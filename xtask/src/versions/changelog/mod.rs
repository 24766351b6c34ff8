//! Changelog files: their sections by version, promoting the unreleased section to a release
//! section, and the release notes it holds. Keep a Changelog (`## [Unreleased]`,
//! `## [1.4.0] - 2026-10-02`) by default; other styles through heading templates
//! (`[versioning] changelog-heading = "# Release {version}"`). A section runs from its heading
//! to the next heading of the same or a higher level. Pure text functions; the edit they
//! make is a `versions::edits::Edit`. This file is the folder's front and holds the sections
//! and promotion; `style` (heading templates) imports nothing of the folder, so the manifest
//! can resolve into it.

use std::ops::Range;

use pep440_rs::Version;

use crate::versions::edits::Edit;

mod kept;
pub mod rst;
pub mod style;

pub use kept::of;

use style::heading_level;
pub use style::{Format, Style};

#[derive(Debug, Clone)]
pub struct Section {
    /// `None` for the unreleased section.
    pub version: Option<Version>,
    /// The heading line, without its line ending.
    pub heading: Range<usize>,
    /// From after the heading line to the next heading of the same or a higher level (or the end).
    pub body: Range<usize>,
    pub line: usize,
    /// reStructuredText: the title's adornment (Markdown: None).
    pub adornment: Option<rst::Adornment>,
}

/// A heading of the sections' level that names no version, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub message: String,
}

/// Sections of a changelog. Headings of the sections' level that name neither the unreleased
/// section nor a version end the section before them and are skipped with a warning.
pub fn sections(text: &str, style: &Style) -> (Vec<Section>, Vec<Warning>) {
    if style.format == Format::Rst {
        return rst_sections(text, style);
    }
    let level = match style.by_version {
        false => style.level(),
        true => {
            let first = text.lines().find_map(|l| {
                let level = heading_level(l.trim_end())?;
                style.classify(l).map(|_| level)
            });
            let Some(level) = first else {
                return (Vec::new(), Vec::new());
            };
            level
        }
    };
    let mut sections: Vec<Section> = Vec::new();
    let mut warnings = Vec::new();
    let mut offset = 0;
    let mut open = false;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let Some(this_level) = heading_level(line) else {
            continue;
        };
        if this_level > level {
            continue; // a subsection (`### Added`) belongs to its section
        }
        if open {
            if let Some(last) = sections.last_mut() {
                last.body.end = start;
            }
            open = false;
        }
        if this_level < level {
            continue; // the document's title, or a part heading: ends a section, starts none
        }
        let Some(version) = style.classify(line) else {
            warnings.push(Warning {
                line: i + 1,
                message: format!("heading {line:?} names no version; skipped"),
            });
            continue;
        };
        sections.push(Section {
            version,
            heading: start..start + line.len(),
            body: start + raw.len()..text.len(),
            line: i + 1,
            adornment: None,
        });
        open = true;
    }
    (sections, warnings)
}

/// [`sections`] of a reStructuredText file: the sections are at the level of the first title
/// that names a version or the unreleased section; deeper titles belong to their section,
/// shallower ones (the document's title) end one and start none.
fn rst_sections(text: &str, style: &Style) -> (Vec<Section>, Vec<Warning>) {
    let titles = rst::titles(text);
    let Some(level) = titles
        .iter()
        .find(|t| style.classify(&t.text).is_some())
        .map(|t| t.level)
    else {
        return (Vec::new(), Vec::new());
    };
    let mut sections: Vec<Section> = Vec::new();
    let mut warnings = Vec::new();
    let mut open = false;
    for t in titles.iter().filter(|t| t.level <= level) {
        if open {
            if let Some(last) = sections.last_mut() {
                last.body.end = t.span.start;
            }
            open = false;
        }
        if t.level < level {
            continue;
        }
        let Some(version) = style.classify(&t.text) else {
            warnings.push(Warning {
                line: t.line,
                message: format!("title {:?} names no version; skipped", t.text),
            });
            continue;
        };
        sections.push(Section {
            version,
            heading: t.span.clone(),
            body: t.next..text.len(),
            line: t.line,
            adornment: Some(t.adornment),
        });
        open = true;
    }
    (sections, warnings)
}

/// The notes of a section: its body without surrounding blank lines.
pub fn notes<'a>(text: &'a str, section: &Section) -> &'a str {
    text[section.body.clone()].trim_matches(['\n', '\r', ' '])
}

/// Whether notes say nothing (blank, or only empty subsection headings or titles).
pub fn is_empty(notes: &str) -> bool {
    let mut rest = String::new();
    let mut offset = 0;
    for t in rst::titles(notes) {
        rest.push_str(&notes[offset..t.span.start]);
        offset = t.span.end;
    }
    rest.push_str(&notes[offset..]);
    rest.lines()
        .all(|l| l.trim().is_empty() || heading_level(l.trim_start()).is_some())
}

/// A file with no section this tool can find although headings or titles in it name
/// versions: written in another style than the one it is read with (an intro without any
/// version is a changelog not started yet).
pub fn undelimited(text: &str, sections: &[Section]) -> bool {
    let names_version = |title: &str| matches!(style::naming_a_version(title), Some(Some(_)));
    sections.is_empty()
        && (text
            .lines()
            .any(|l| heading_level(l).is_some() && names_version(l.trim_start_matches('#')))
            || rst::titles(text).iter().any(|t| names_version(&t.text)))
}

/// What to do about a changelog without the sections a release needs, in the file's own
/// syntax: a file with no section this tool can delimit names the styles it knows.
fn missing_unreleased(text: &str, file: &str, style: &Style, sections: &[Section]) -> String {
    let escape = "(or set [versioning] allow-empty-changelog = true)";
    if undelimited(text, sections) {
        return format!(
            "{file}: no section this tool can delimit: it knows Keep a Changelog Markdown (`## [1.2.0] - 2026-01-02`, \
             `## [Unreleased]`), other Markdown headings through `changelog-heading` (`# Release {{version}}`), and \
             reStructuredText titles in .rst files (`1.2.0 (2026-01-02)` underlined); set `changelog-heading` to \
             this file's headings, or `changelog = \"\"` to release without changelogs"
        );
    }
    match style.format {
        Format::Markdown => format!(
            "{file}: no {} section: add one above the newest release with the changes of this release {escape}",
            style.unreleased_shown()
        ),
        Format::Rst => {
            let adornment = sections.iter().find_map(|s| s.adornment).unwrap_or(rst::Adornment {
                char: '-',
                overline: false,
                inset: 0,
            });
            format!(
                "{file}: no `{}` section: add one above the newest release, titled as the releases are:\n\n{}\n\n\
                 with the changes of this release below it {escape}",
                style.unreleased,
                adornment.render(&style.unreleased, "\n")
            )
        }
    }
}

/// The title text of a new release section: the style's template or (the RST default) the
/// wording of the file's newest version title, with its version and date replaced.
fn release_title(text: &str, style: &Style, sections: &[Section], version: &Version, date: &str) -> String {
    if !style.by_version {
        return style.render(version, date);
    }
    let newest = sections
        .iter()
        .filter_map(|s| Some((s.version.as_ref()?, s)))
        .max_by(|a, b| a.0.cmp(b.0));
    let Some((_, s)) = newest else {
        return style.render(version, date);
    };
    let title = match style.format {
        Format::Markdown => text[s.heading.clone()].to_string(),
        Format::Rst => rst::titles(&text[s.heading.clone()])
            .pop()
            .map(|t| t.text)
            .unwrap_or_default(),
    };
    let mut words: Vec<String> = Vec::new();
    let mut replaced = false;
    for word in title.split(' ') {
        let core = word.trim_matches(|c: char| "[]():,".contains(c));
        let bare = core.trim_start_matches(['v', 'V']);
        let new = if !replaced && core.contains('.') && crate::versions::parse(bare).is_ok() {
            replaced = true;
            word.replacen(bare, &version.to_string(), 1)
        } else if is_date(core) {
            word.replacen(core, date, 1)
        } else if word.contains(|c: char| c.is_ascii_digit()) {
            // A date in another form (`January 1, 2026`) would be carried over stale.
            return style.render(version, date);
        } else {
            word.to_string()
        };
        words.push(new);
    }
    words.join(" ")
}

/// `2026-11-02`.
pub fn is_date(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// The edit that turns the unreleased section into a release section (a heading in the
/// style's template) under a fresh empty unreleased section, and the release notes (the
/// unreleased body). With `allow_empty`, an empty unreleased section is promoted as well, and
/// a missing one is accepted (no edit, empty notes).
pub fn promote(
    text: &str,
    file: &str,
    style: &Style,
    version: &Version,
    date: &str,
    allow_empty: bool,
) -> Result<(Option<Edit>, String), String> {
    let (sections, _) = sections(text, style);
    if let Some(existing) = sections.iter().find(|s| s.version.as_ref() == Some(version)) {
        return Err(format!("{file}:{}: already has a section for {version}", existing.line));
    }
    let Some(unreleased) = sections.iter().find(|s| s.version.is_none()) else {
        if allow_empty && !undelimited(text, &sections) {
            return Ok((None, String::new()));
        }
        return Err(missing_unreleased(text, file, style, &sections));
    };
    let body = notes(text, unreleased);
    if is_empty(body) && !allow_empty {
        return Err(format!(
            "{file}:{}: the unreleased section is empty: describe the changes of this release \
             (or set [versioning] allow-empty-changelog = true)",
            unreleased.line
        ));
    }
    let heading = &text[unreleased.heading.clone()];
    let newline = if text[unreleased.heading.end..].starts_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let title = release_title(text, style, &sections, version, date);
    let title = match unreleased.adornment {
        Some(adornment) => adornment.render(&title, newline),
        None => title,
    };
    let edit = Edit {
        file: file.to_string(),
        line: unreleased.line,
        offset: unreleased.heading.start,
        old: heading.to_string(),
        new: format!("{heading}{newline}{newline}{title}"),
        reason: "changelog".into(),
    };
    Ok((Some(edit), body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    const LOG: &str =
        "# Changelog\n\n## [Unreleased]\n\n### Added\n- New report.\n\n## [1.4.0] - 2026-10-02\n\n- Sorted.\n\n\
                       ## Old stuff\n\n- ignored\n\n## 1.3.2 - 2026-08-19\n\n- Fixed.\n";

    #[test]
    fn sections_by_version_with_warnings() {
        let (sections, warnings) = sections(LOG, &Style::default());
        let titles: Vec<(Option<String>, &str)> = sections
            .iter()
            .map(|s| (s.version.as_ref().map(ToString::to_string), notes(LOG, s)))
            .collect();
        assert_eq!(
            titles,
            [
                (None, "### Added\n- New report."),
                (Some("1.4.0".into()), "- Sorted."),
                (Some("1.3.2".into()), "- Fixed."),
            ]
        );
        assert_eq!(
            warnings,
            [Warning {
                line: 12,
                message: "heading \"## Old stuff\" names no version; skipped".into()
            }]
        );
    }

    #[test]
    fn promotion_keeps_line_endings_and_refuses_empty_sections() {
        let v = Version::from_str("1.5.0").unwrap();
        let crlf = LOG.replace('\n', "\r\n");
        let kac = Style::default();
        let (edit, notes) = promote(&crlf, "CHANGELOG.md", &kac, &v, "2026-11-21", false).unwrap();
        let edit = edit.unwrap();
        assert_eq!(edit.old, "## [Unreleased]");
        assert_eq!(edit.new, "## [Unreleased]\r\n\r\n## [1.5.0] - 2026-11-21");
        assert_eq!(notes, "### Added\r\n- New report.");

        let empty = "## [Unreleased]\n\n### Added\n\n## [1.4.0] - x\n";
        let err = promote(empty, "CHANGELOG.md", &kac, &v, "d", false).unwrap_err();
        assert!(
            err.starts_with("CHANGELOG.md:1: the unreleased section is empty"),
            "{err}"
        );
        assert!(promote(empty, "CHANGELOG.md", &kac, &v, "d", true).unwrap().0.is_some());
        assert!(promote("# none\n", "C", &kac, &v, "d", false)
            .unwrap_err()
            .contains("no `## [Unreleased]` (or `## Unreleased`) section"));
        // A missing section is accepted when empty ones are: nothing to promote, no notes.
        assert_eq!(
            promote("# none\n", "C", &kac, &v, "d", true).unwrap(),
            (None, String::new())
        );
        let old = Version::from_str("1.4.0").unwrap();
        assert!(promote(LOG, "C", &kac, &old, "d", false)
            .unwrap_err()
            .contains("already has a section for 1.4.0"));
    }

    /// A `RELEASE.md` headed `# Release X` with `##` subsections inside each release.
    const RELEASES: &str = "# Upcoming Release\n\n## Major features\n- New.\n\n## Bug fixes\n- Fixed.\n\n\
                            # Release 0.6.2\n\n## Bug fixes\n- Old fix.\n\n# Release 0.6.1\n\n- Older.\n";

    #[test]
    fn headings_of_another_style_delimit_sections_at_their_level() {
        let style = Style::new("# Release {version}", "# Upcoming Release").unwrap();
        let (found, warnings) = sections(RELEASES, &style);
        assert!(warnings.is_empty(), "{warnings:?}");
        let titles: Vec<(Option<String>, &str)> = found
            .iter()
            .map(|s| (s.version.as_ref().map(ToString::to_string), notes(RELEASES, s)))
            .collect();
        assert_eq!(
            titles,
            [
                (None, "## Major features\n- New.\n\n## Bug fixes\n- Fixed."),
                (Some("0.6.2".into()), "## Bug fixes\n- Old fix."),
                (Some("0.6.1".into()), "- Older."),
            ]
        );
        let v = Version::from_str("0.7.0").unwrap();
        let (edit, notes) = promote(RELEASES, "RELEASE.md", &style, &v, "2026-11-30", false).unwrap();
        let edit = edit.unwrap();
        assert_eq!(edit.new, "# Upcoming Release\n\n# Release 0.7.0");
        assert_eq!(notes, "## Major features\n- New.\n\n## Bug fixes\n- Fixed.");

        // Read with the default style, the same file has no section at all: never the whole file.
        let (found, _) = sections(RELEASES, &Style::default());
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_template_with_a_date_matches_headings_with_or_without_it() {
        let style = Style::new("## Version {version} ({date})", "## Unreleased").unwrap();
        let log = "## Unreleased\n\n- Next.\n\n## Version 0.4.0b0.dev0 (2026-01-02)\n\n- Dev.\n\n\
                   ## Version 0.3.1\n\n- Undated.\n\n## Versions before\n\n- skipped\n";
        let (found, warnings) = sections(log, &style);
        let versions: Vec<Option<String>> = found
            .iter()
            .map(|s| s.version.as_ref().map(ToString::to_string))
            .collect();
        assert_eq!(versions, [None, Some("0.4.0b0.dev0".into()), Some("0.3.1".into())]);
        assert_eq!(notes(log, &found[2]), "- Undated.");
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, 13);
        let v = Version::from_str("0.4.0").unwrap();
        let (edit, _) = promote(log, "CHANGELOG.md", &style, &v, "2026-11-30", false).unwrap();
        assert_eq!(edit.unwrap().new, "## Unreleased\n\n## Version 0.4.0 (2026-11-30)");
    }

    /// A `docs/changelog.rst` as Python projects keep it: an overlined document title, a note
    /// directive, version titles underlined with `-`, subsections with `.`.
    const RST: &str = "=========\nChangelog\n=========\n\n.. note::\n\n   Dates are UTC.\n\n\
                       Unreleased\n----------\n\nFixed\n.....\n\n- ``read()`` keeps the encoding.\n\n\
                       .. warning::\n\n   Drop Python 3.8.\n\n\
                       4.3.4 (2026-11-02)\n------------------\n\n- Released.\n\n\
                       4.3.3 (2026-10-01)\n------------------\n\nInitial version.\n";

    #[test]
    fn rst_sections_are_delimited_by_their_titles() {
        let style = Style::rst_default();
        let (found, warnings) = sections(RST, &style);
        assert!(warnings.is_empty(), "{warnings:?}");
        let titles: Vec<(Option<String>, &str)> = found
            .iter()
            .map(|s| (s.version.as_ref().map(ToString::to_string), notes(RST, s)))
            .collect();
        assert_eq!(
            titles,
            [
                (
                    None,
                    "Fixed\n.....\n\n- ``read()`` keeps the encoding.\n\n.. warning::\n\n   Drop Python 3.8."
                ),
                (Some("4.3.4".into()), "- Released."),
                (Some("4.3.3".into()), "Initial version."),
            ]
        );
        let v = Version::from_str("4.3.5").unwrap();
        let (edit, notes) = promote(RST, "docs/changelog.rst", &style, &v, "2026-12-02", false).unwrap();
        let promoted = crate::versions::edits::apply(RST, &[&edit.unwrap()]).unwrap();
        assert_eq!(
            promoted,
            RST.replace(
                "Unreleased\n----------\n",
                "Unreleased\n----------\n\n4.3.5 (2026-12-02)\n------------------\n"
            )
        );
        assert_eq!(notes, titles[0].1);
        // Never a Markdown heading, never the whole file: without an Unreleased title the
        // advice is an RST title.
        let without = RST.replace("Unreleased\n----------\n\n", "");
        let err = promote(&without, "docs/changelog.rst", &style, &v, "d", false).unwrap_err();
        assert!(
            err.contains("titled as the releases are:\n\nUnreleased\n----------\n"),
            "{err}"
        );
        assert!(!err.contains("##"), "{err}");
    }

    #[test]
    fn rst_titles_of_any_adornment_and_wording() {
        let style = Style::rst_default();
        // `=` overlined versions under a `#` document title, wording `Version X`.
        let log = "##########\nRelease notes\n##########\n\n==========\nUnreleased\n==========\n\n- Next.\n\n\
                   ===============\nVersion 2.0.1\n===============\n\n- Old.\n";
        let (found, _) = sections(log, &style);
        assert_eq!(found.len(), 2, "{found:?}");
        let v = Version::from_str("2.1.0").unwrap();
        let (edit, _) = promote(log, "CHANGES.rst", &style, &v, "2026-12-02", false).unwrap();
        assert_eq!(
            edit.unwrap().new,
            "==========\nUnreleased\n==========\n\n=============\nVersion 2.1.0\n============="
        );
        // `~` underlines, a project name before the version (as towncrier writes them).
        let log = "acme 1.2.0 (2026-01-02)\n~~~~~~~~~~~~~~~~~~~~~~~\n\nFeatures\n^^^^^^^^\n\n- New.\n";
        let (found, _) = sections(log, &style);
        assert_eq!(found[0].version.as_ref().map(ToString::to_string), Some("1.2.0".into()));
        assert_eq!(notes(log, &found[0]), "Features\n^^^^^^^^\n\n- New.");
        // A date of another form falls back to the template; a version title that says
        // `unreleased` is its version's.
        let log = "Unreleased\n----------\n\n- Next.\n\n1.0.0 (January 1, 2026)\n-----------------------\n";
        let (edit, _) = promote(log, "CHANGES.rst", &style, &v, "2026-12-02", false).unwrap();
        assert_eq!(
            edit.unwrap().new,
            "Unreleased\n----------\n\n2.1.0 (2026-12-02)\n------------------"
        );
        let log = "1.1.0 (unreleased)\n------------------\n\n- Next.\n";
        let (found, _) = sections(log, &style);
        assert_eq!(found[0].version.as_ref().map(ToString::to_string), Some("1.1.0".into()));
        // Titles naming versions that the style does not read: cannot be delimited; text
        // without any is a changelog not started yet.
        let err = promote(
            "1.0.0\n-----\n\n- First.\n",
            "CHANGELOG.md",
            &Style::default(),
            &v,
            "d",
            true,
        )
        .unwrap_err();
        assert!(err.contains("no section this tool can delimit"), "{err}");
        assert_eq!(
            promote("Just text.\n\nMore.\n", "NEWS.rst", &style, &v, "d", true),
            Ok((None, String::new()))
        );
    }

    #[test]
    fn templates_are_checked() {
        for (heading, unreleased, expected) in [
            ("Release {version}", "# Upcoming", "is not a Markdown heading"),
            ("## Release", "## Unreleased", "must contain {version} once"),
            ("## {version} {date} {date}", "## Unreleased", "{date} at most once"),
            ("## {version}{date}", "## Unreleased", "put some text between"),
            ("## {name} {version}", "## Unreleased", "the only placeholders"),
            ("## {version}", "# Unreleased", "same level"),
        ] {
            let err = Style::new(heading, unreleased).unwrap_err();
            assert!(err.contains(expected), "{heading:?}: {err}");
        }
    }
}
