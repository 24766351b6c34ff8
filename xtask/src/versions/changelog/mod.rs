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

pub mod style;

use style::heading_level;
pub use style::Style;

#[derive(Debug, Clone)]
pub struct Section {
    /// `None` for the unreleased section.
    pub version: Option<Version>,
    /// The heading line, without its line ending.
    pub heading: Range<usize>,
    /// From after the heading line to the next heading of the same or a higher level (or the end).
    pub body: Range<usize>,
    pub line: usize,
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
    let level = style.level();
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
        });
        open = true;
    }
    (sections, warnings)
}

/// The notes of a section: its body without surrounding blank lines.
pub fn notes<'a>(text: &'a str, section: &Section) -> &'a str {
    text[section.body.clone()].trim_matches(['\n', '\r', ' '])
}

/// Whether notes say nothing (blank, or only empty subsection headings).
pub fn is_empty(notes: &str) -> bool {
    notes
        .lines()
        .all(|l| l.trim().is_empty() || heading_level(l.trim_start()).is_some())
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
        if allow_empty {
            return Ok((None, String::new()));
        }
        return Err(format!(
            "{file}: no {} section: add one above the newest release with the changes of this release \
             (or set [versioning] allow-empty-changelog = true)",
            style.unreleased_shown()
        ));
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
    let edit = Edit {
        file: file.to_string(),
        line: unreleased.line,
        offset: unreleased.heading.start,
        old: heading.to_string(),
        new: format!("{heading}{newline}{newline}{}", style.render(version, date)),
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
