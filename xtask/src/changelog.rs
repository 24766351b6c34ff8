//! Keep a Changelog files: their `## ` sections by version, promoting `## [Unreleased]` to a
//! release section, and the release notes it holds. Pure text functions.

use std::ops::Range;

use pep440_rs::Version;

use crate::edits::Edit;

#[derive(Debug, Clone)]
pub struct Section {
    /// The heading line without `## ` and line ending: `[1.4.0] - 2026-10-02`.
    pub title: String,
    /// `None` for `[Unreleased]`.
    pub version: Option<Version>,
    /// The heading line, without its line ending.
    pub heading: Range<usize>,
    /// From after the heading line to the next `## ` heading (or the end).
    pub body: Range<usize>,
    pub line: usize,
}

/// Sections of a changelog. Headings that name neither `Unreleased` nor a version are
/// skipped with a warning (`line N: ...`).
pub fn sections(text: &str) -> (Vec<Section>, Vec<String>) {
    let mut sections: Vec<Section> = Vec::new();
    let mut warnings = Vec::new();
    let mut offset = 0;
    let mut skipped_from: Option<usize> = None;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let Some(title) = line.strip_prefix("## ") else {
            continue;
        };
        if let Some(last) = sections.last_mut() {
            if skipped_from.is_none() {
                last.body.end = start;
            }
        }
        let name = title.trim().trim_start_matches('[');
        let name = name.split([']', ' ']).next().unwrap_or("").trim();
        let version = if name.eq_ignore_ascii_case("unreleased") {
            None
        } else {
            match crate::versions::parse(name.trim_start_matches(['v', 'V'])) {
                Ok(v) => Some(v),
                Err(_) => {
                    warnings.push(format!("line {}: heading {line:?} names no version; skipped", i + 1));
                    if let Some(last) = sections.last_mut() {
                        last.body.end = start;
                    }
                    skipped_from = Some(start);
                    continue;
                }
            }
        };
        skipped_from = None;
        sections.push(Section {
            title: title.trim().to_string(),
            version,
            heading: start..start + line.len(),
            body: start + raw.len()..text.len(),
            line: i + 1,
        });
    }
    (sections, warnings)
}

/// The notes of a section: its body without surrounding blank lines.
pub fn notes<'a>(text: &'a str, section: &Section) -> &'a str {
    text[section.body.clone()].trim_matches(['\n', '\r', ' '])
}

/// Whether notes say nothing (blank, or only empty `###` subsection headings).
pub fn is_empty(notes: &str) -> bool {
    notes
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with("### "))
}

/// The edit that turns `## [Unreleased]` into a release section `## [VERSION] - DATE` under a
/// fresh empty `## [Unreleased]`, and the release notes (the Unreleased body).
pub fn promote(
    text: &str,
    file: &str,
    version: &Version,
    date: &str,
    allow_empty: bool,
) -> Result<(Edit, String), String> {
    let (sections, _) = sections(text);
    let Some(unreleased) = sections.iter().find(|s| s.version.is_none()) else {
        return Err(format!(
            "{file}: no `## [Unreleased]` section: add one above the newest release with the changes of this release"
        ));
    };
    if let Some(existing) = sections.iter().find(|s| s.version.as_ref() == Some(version)) {
        return Err(format!("{file}:{}: already has a section for {version}", existing.line));
    }
    let body = notes(text, unreleased);
    if is_empty(body) && !allow_empty {
        return Err(format!(
            "{file}:{}: the [Unreleased] section is empty: describe the changes of this release \
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
        new: format!("{heading}{newline}{newline}## [{version}] - {date}"),
        reason: "changelog".into(),
    };
    Ok((edit, body.to_string()))
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
        let (sections, warnings) = sections(LOG);
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
            ["line 12: heading \"## Old stuff\" names no version; skipped"]
        );
    }

    #[test]
    fn promotion_keeps_line_endings_and_refuses_empty_sections() {
        let v = Version::from_str("1.5.0").unwrap();
        let crlf = LOG.replace('\n', "\r\n");
        let (edit, notes) = promote(&crlf, "CHANGELOG.md", &v, "2026-11-21", false).unwrap();
        assert_eq!(edit.old, "## [Unreleased]");
        assert_eq!(edit.new, "## [Unreleased]\r\n\r\n## [1.5.0] - 2026-11-21");
        assert_eq!(notes, "### Added\r\n- New report.");

        let empty = "## [Unreleased]\n\n### Added\n\n## [1.4.0] - x\n";
        let err = promote(empty, "CHANGELOG.md", &v, "d", false).unwrap_err();
        assert!(
            err.starts_with("CHANGELOG.md:1: the [Unreleased] section is empty"),
            "{err}"
        );
        assert!(promote(empty, "CHANGELOG.md", &v, "d", true).is_ok());
        assert!(promote("# none\n", "C", &v, "d", false)
            .unwrap_err()
            .contains("no `## [Unreleased]` section"));
        let old = Version::from_str("1.4.0").unwrap();
        assert!(promote(LOG, "C", &old, "d", false)
            .unwrap_err()
            .contains("already has a section for 1.4.0"));
    }
}
