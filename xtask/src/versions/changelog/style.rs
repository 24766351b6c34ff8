//! How a changelog names its sections: the heading templates of the manifest
//! (`[versioning] changelog-heading`, `changelog-unreleased`; Keep a Changelog by default) and
//! what a heading line names. Imports nothing of the manifest, which resolves into it.

use pep440_rs::Version;

/// How a changelog names its sections: heading templates with `{version}` (and optionally
/// `{date}`) for releases, and the heading of the unreleased section; in Markdown, whole
/// heading lines (`## [{version}] - {date}`), in reStructuredText the titles' text (the
/// adornment is the file's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    pub heading: String,
    pub unreleased: String,
    pub format: Format,
    /// Sections are the headings (or titles) that name a version or say `Unreleased`, at the
    /// level of the first such; a new one copies the wording of the newest (see
    /// [`Style::by_version`]).
    pub by_version: bool,
}

/// The markup of a changelog file, by its name: `.rst` is reStructuredText, anything else
/// Markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Markdown,
    Rst,
}

impl Format {
    pub fn of(file: &str) -> Format {
        match file.to_ascii_lowercase().ends_with(".rst") {
            true => Format::Rst,
            false => Format::Markdown,
        }
    }
}

impl Default for Style {
    fn default() -> Style {
        Style {
            heading: "## [{version}] - {date}".into(),
            unreleased: "## [Unreleased]".into(),
            format: Format::Markdown,
            by_version: false,
        }
    }
}

impl Style {
    /// The reStructuredText default: version titles are those that name a version
    /// (`4.3.4 (2026-11-02)`, `v4.3.4`, `Version 4.3.4`, `acme 4.3.4 (date)`), the unreleased
    /// one names `Unreleased`; a new title copies the newest version title's wording.
    pub fn rst_default() -> Style {
        Style::by_version(Format::Rst)
    }

    /// Sections found by the version their heading names, whatever its wording and level:
    /// the reStructuredText default, and towncrier's news files (`# acme 1.2.0 (2026-01-02)`).
    pub fn by_version(format: Format) -> Style {
        Style {
            heading: match format {
                Format::Rst => "{version} ({date})".into(),
                Format::Markdown => "## {version} ({date})".into(),
            },
            unreleased: "Unreleased".into(),
            format,
            by_version: true,
        }
    }

    /// The style of the changelog `file` from the manifest's templates (Markdown templates
    /// do not apply to an .rst file and the reverse: such a file takes its format's default).
    pub fn for_file(file: &str, heading: Option<&str>, unreleased: Option<&str>) -> Result<Style, String> {
        let format = Format::of(file);
        let fits = |t: &&str| (heading_level(t).is_some() || t.starts_with('#')) == (format == Format::Markdown);
        let (heading, unreleased) = (heading.filter(fits), unreleased.filter(fits));
        match format {
            Format::Markdown => {
                let default = Style::default();
                let h = heading.unwrap_or(&default.heading);
                let u = unreleased.map_or_else(
                    // A custom heading's unreleased section defaults to `Unreleased` at its level.
                    || match h.find(' ') {
                        Some(i) if heading.is_some() => format!("{} Unreleased", &h[..i]),
                        _ => default.unreleased.clone(),
                    },
                    str::to_string,
                );
                Style::new(h, &u)
            }
            Format::Rst => {
                let default = Style::rst_default();
                let h = heading.unwrap_or(&default.heading);
                check_placeholders(h)?;
                let u = unreleased.unwrap_or(&default.unreleased);
                if u.contains('{') {
                    return Err(format!("{u:?} takes no placeholders"));
                }
                Ok(Style {
                    heading: h.to_string(),
                    unreleased: u.to_string(),
                    format,
                    by_version: heading.is_none() && unreleased.is_none(),
                })
            }
        }
    }

    /// A style from the manifest's templates; what is wrong with them otherwise.
    pub fn new(heading: &str, unreleased: &str) -> Result<Style, String> {
        let level = heading_level(heading).ok_or_else(|| {
            format!("{heading:?} is not a Markdown heading: start it with one to six `#` and a space")
        })?;
        check_placeholders(heading)?;
        if heading_level(unreleased) != Some(level) {
            return Err(format!(
                "{unreleased:?} must be a heading of the same level as {heading:?} ({} `#`)",
                level
            ));
        }
        if unreleased.contains('{') {
            return Err(format!("{unreleased:?} takes no placeholders"));
        }
        Ok(Style {
            heading: heading.to_string(),
            unreleased: unreleased.to_string(),
            format: Format::Markdown,
            by_version: false,
        })
    }

    pub(super) fn level(&self) -> usize {
        heading_level(&self.heading).unwrap_or(2)
    }

    /// The unreleased heading as messages show it.
    pub fn unreleased_shown(&self) -> String {
        if self.format == Format::Rst {
            return format!("`{}` (a title like the version titles)", self.unreleased);
        }
        if *self == Style::default() {
            "`## [Unreleased]` (or `## Unreleased`)".to_string()
        } else {
            format!("`{}`", self.unreleased)
        }
    }

    /// A release heading for `version` on `date`.
    pub fn render(&self, version: &Version, date: &str) -> String {
        self.heading
            .replace("{version}", &version.to_string())
            .replace("{date}", date)
    }

    /// What a heading line (of this style's level) names: `Some(None)` the unreleased section,
    /// `Some(Some(v))` a release, `None` neither.
    pub(super) fn classify(&self, line: &str) -> Option<Option<Version>> {
        let line = line.trim_end();
        if line.eq_ignore_ascii_case(self.unreleased.trim_end()) {
            return Some(None);
        }
        if *self == Style::default() {
            return keep_a_changelog(line);
        }
        if self.by_version {
            let title = match self.format {
                Format::Markdown => line.trim_start_matches('#').trim_start(),
                Format::Rst => line,
            };
            return naming_a_version(title);
        }
        let text = match_template(line, &self.heading).or_else(|| {
            // The part after {version} (say ` ({date})`) is optional in a file.
            let cut = self
                .heading
                .find("{version}")
                .map(|i| &self.heading[..i + "{version}".len()])?;
            match_template(line, cut)
        })?;
        crate::versions::parse(text.trim_start_matches(['v', 'V']))
            .ok()
            .map(Some)
    }
}

/// The placeholders of a heading template: `{version}` once, `{date}` at most once, with
/// text between them, and no other.
fn check_placeholders(heading: &str) -> Result<(), String> {
    if heading.matches("{version}").count() != 1 {
        return Err(format!("{heading:?} must contain {{version}} once"));
    }
    if heading.matches("{date}").count() > 1 {
        return Err(format!("{heading:?} may contain {{date}} at most once"));
    }
    let rest = heading.replace("{version}", "").replace("{date}", "");
    if rest.contains('{') || rest.contains('}') {
        return Err(format!(
            "{heading:?}: the only placeholders are {{version}} and {{date}}"
        ));
    }
    if heading.contains("{version}{date}") || heading.contains("{date}{version}") {
        return Err(format!("{heading:?}: put some text between {{version}} and {{date}}"));
    }
    Ok(())
}

/// A title that names a version (its first word with a dot that reads as one, `v` and
/// brackets aside: `4.3.4 (2026-11-02)`, `[v4.3.4]`, `acme 4.3.4 (date)`), else one that says
/// `Unreleased`. A version wins: `1.1.0 (unreleased)` is the section of 1.1.0.
pub(super) fn naming_a_version(title: &str) -> Option<Option<Version>> {
    let words: Vec<&str> = title
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| "[]():,".contains(c)))
        .collect();
    let version = words
        .iter()
        .filter(|w| w.contains('.'))
        .find_map(|w| crate::versions::parse(w.trim_start_matches(['v', 'V'])).ok());
    match version {
        Some(v) => Some(Some(v)),
        None => words
            .iter()
            .any(|w| w.eq_ignore_ascii_case("unreleased"))
            .then_some(None),
    }
}

/// `## [1.4.0] - date`, `## 1.4.0`, `## v1.4.0 (date)`, `## Unreleased`: Keep a Changelog and
/// its common variants.
fn keep_a_changelog(line: &str) -> Option<Option<Version>> {
    let title = line.strip_prefix("## ")?;
    let name = title.trim().trim_start_matches('[');
    let name = name.split([']', ' ']).next().unwrap_or("").trim();
    if name.eq_ignore_ascii_case("unreleased") {
        return Some(None);
    }
    crate::versions::parse(name.trim_start_matches(['v', 'V']))
        .ok()
        .map(Some)
}

/// The text `{version}` stands for when `line` matches `template` (`{date}` matches anything).
fn match_template<'a>(line: &'a str, template: &str) -> Option<&'a str> {
    let mut rest = line;
    let mut version = None;
    let mut parts = template.split_inclusive('}').peekable();
    // Split into literal text and placeholders, in order.
    let mut pieces: Vec<(&str, Option<&str>)> = Vec::new();
    for part in parts.by_ref() {
        match part.find('{') {
            Some(i) => pieces.push((&part[..i], Some(&part[i..]))),
            None => pieces.push((part, None)),
        }
    }
    for (i, (literal, placeholder)) in pieces.iter().enumerate() {
        rest = rest.strip_prefix(literal)?;
        let Some(placeholder) = placeholder else { continue };
        let next_literal = pieces.get(i + 1).map(|(l, _)| *l).unwrap_or("");
        let end = if next_literal.is_empty() {
            rest.trim_end().len()
        } else {
            rest.find(next_literal)?
        };
        let value = &rest[..end];
        if value.trim().is_empty() {
            return None;
        }
        if *placeholder == "{version}" {
            if value.contains(char::is_whitespace) {
                return None;
            }
            version = Some(value);
        }
        rest = &rest[end..];
    }
    rest.trim().is_empty().then_some(version).flatten()
}

/// The level of a Markdown ATX heading (`## x` is 2), if the line is one.
pub(super) fn heading_level(line: &str) -> Option<usize> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    ((1..=6).contains(&hashes) && line[hashes..].starts_with(' ')).then_some(hashes)
}
