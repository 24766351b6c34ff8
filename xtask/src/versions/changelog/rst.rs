//! reStructuredText section titles as docutils reads them: a title line with an underline of
//! one repeated punctuation character (at least as long as the title, or 4 characters), or
//! an overline and underline of the same character and length around it; a title's level is
//! the order in which its adornment style (character, with or without overline) first
//! appears in the document. Text in indented blocks (directives, literal blocks) is never a
//! title. Pure.

use std::ops::Range;

/// The characters RST allows in section adornments.
const ADORNMENT: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// A section title of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title {
    /// The title's text, trimmed.
    pub text: String,
    /// The title's lines (overline, text, underline), without the last line's ending.
    pub span: Range<usize>,
    /// Where the line after the underline starts.
    pub next: usize,
    /// The 1-based line of the title's text.
    pub line: usize,
    pub adornment: Adornment,
    /// 1 for the first adornment style of the document, 2 for the second, ...
    pub level: usize,
}

/// How a title is adorned: its character, whether it has an overline, and (overlined titles)
/// the spaces the text is inset by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adornment {
    pub char: char,
    pub overline: bool,
    pub inset: usize,
}

impl Adornment {
    /// A title of `text` in this adornment, its lines ended by `newline` (none after the last).
    pub fn render(&self, text: &str, newline: &str) -> String {
        let width = text.chars().count() + 2 * self.inset;
        let line = self.char.to_string().repeat(width.max(1));
        let text = format!("{}{text}", " ".repeat(self.inset));
        match self.overline {
            true => format!("{line}{newline}{text}{newline}{line}"),
            false => format!("{text}{newline}{line}"),
        }
    }
}

/// The character of a line that is one punctuation character repeated (trailing blanks
/// allowed), and its length.
fn adornment_line(line: &str) -> Option<(char, usize)> {
    let line = line.trim_end();
    let first = line.chars().next()?;
    if !ADORNMENT.contains(first) || !line.chars().all(|c| c == first) {
        return None;
    }
    Some((first, line.chars().count()))
}

/// Every section title of `text`, in order, with its level.
pub fn titles(text: &str) -> Vec<Title> {
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        lines.push((offset, raw.trim_end_matches(['\n', '\r'])));
        offset += raw.len();
    }
    let blank = |i: usize| lines.get(i).is_none_or(|(_, l)| l.trim().is_empty());
    let mut styles: Vec<(char, bool)> = Vec::new();
    let mut found = Vec::new();
    let mut i = 0;
    // The line after a title may start another title, blank line or not (as docutils reads).
    let mut title_ended = 0;
    while i < lines.len() {
        let after_blank = i == 0 || blank(i - 1) || title_ended == i;
        let (start, line) = lines[i];
        // Overline, text, underline of the same character and length.
        if let (true, Some((c, width))) = (after_blank, adornment_line(line)) {
            if let (Some(&(_, title)), Some(&(end, under))) = (lines.get(i + 1), lines.get(i + 2)) {
                let text = title.trim();
                // Shorter than its text but of 4 or more: still a title (docutils warns).
                let long_enough = width >= text.chars().count() || width >= 4;
                if !text.is_empty() && adornment_line(under) == Some((c, width)) && long_enough {
                    found.push((
                        (c, true),
                        title.len() - title.trim_start().len(),
                        text,
                        start,
                        end + under.len(),
                        i + 3,
                    ));
                    i += 3;
                    title_ended = i;
                    continue;
                }
            }
        }
        // Text, then its underline.
        let text = line.trim_end();
        // A bullet (`- Fixed`) over a line of dashes is a list item, not a title.
        let bullet = ["- ", "* ", "+ ", "• "].iter().any(|b| text.starts_with(b));
        if after_blank
            && !text.is_empty()
            && !bullet
            && !line.starts_with(char::is_whitespace)
            && adornment_line(text).is_none()
        {
            if let Some(&(end, under)) = lines.get(i + 1) {
                if let Some((c, width)) = adornment_line(under) {
                    if width >= text.chars().count() || width >= 4 {
                        found.push(((c, false), 0, text, start, end + under.len(), i + 2));
                        i += 2;
                        title_ended = i;
                        continue;
                    }
                }
            }
        }
        i += 1;
    }
    found
        .into_iter()
        .map(|(style, inset, text, start, end, after)| {
            let level = match styles.iter().position(|s| *s == style) {
                Some(p) => p + 1,
                None => {
                    styles.push(style);
                    styles.len()
                }
            };
            let line = after - 1; // the text is the line before the underline
            Title {
                text: text.to_string(),
                span: start..end,
                next: lines.get(after).map_or(text_len(&lines), |(o, _)| *o),
                line,
                adornment: Adornment {
                    char: style.0,
                    overline: style.1,
                    inset,
                },
                level,
            }
        })
        .collect()
}

fn text_len(lines: &[(usize, &str)]) -> usize {
    lines.last().map_or(0, |(o, l)| o + l.len())
}

/// Notes written in RST as Markdown, where that is a plain conversion: paragraphs, bullet and
/// enumerated lists, subsection titles (as `###` headings), inline literals, roles and
/// hyperlinks. Anything else (directives, comments, literal blocks, tables, field lists) keeps
/// the notes as they are, in an `rst` fenced block.
pub fn to_markdown(notes: &str) -> String {
    if !notes.lines().all(is_plain) {
        return format!("```rst\n{}\n```", notes.trim_end());
    }
    let subtitles = titles(notes);
    let mut out = String::new();
    let mut offset = 0;
    for t in &subtitles {
        out.push_str(&inline(&notes[offset..t.span.start]));
        out.push_str(&format!("### {}", inline(&t.text)));
        offset = t.span.end;
    }
    out.push_str(&inline(&notes[offset..]));
    out
}

/// Whether a line of RST reads the same as Markdown once its inline markup is converted: no
/// directive or comment (`..`), literal block (`::`), table, line block or field list.
fn is_plain(line: &str) -> bool {
    let t = line.trim();
    let field = t
        .strip_prefix(':')
        .and_then(|r| r.split_once(':'))
        .is_some_and(|(name, rest)| {
            !name.is_empty() && !name.contains('`') && (rest.is_empty() || rest.starts_with(' '))
        });
    let simple_table = t.contains(' ') && t.chars().all(|c| c == '=' || c == ' ') && t.starts_with('=');
    !(t == ".."
        || t.starts_with(".. ")
        || t.ends_with("::")
        || t.starts_with("+-")
        || t.starts_with("+=")
        || t.starts_with("| ")
        || field
        || simple_table)
}

/// Inline markup as Markdown: ``code`` → `code`, `text <url>`_ → [text](url),
/// :role:`text <target>` → text, :role:`text` → `text`.
fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(['`', ':']) {
        let (before, at) = rest.split_at(i);
        out.push_str(before);
        if let Some(body) = at.strip_prefix("``") {
            if let Some(end) = body.find("``") {
                out.push_str(&format!("`{}`", &body[..end]));
                rest = &body[end + 2..];
                continue;
            }
        }
        if let Some(body) = at.strip_prefix('`') {
            if let Some(end) = body.find('`') {
                let inner = &body[..end];
                let after = &body[end + 1..];
                let after = after
                    .strip_prefix("__")
                    .or_else(|| after.strip_prefix('_'))
                    .unwrap_or(after);
                match inner.rsplit_once(" <").filter(|(_, u)| u.ends_with('>')) {
                    Some((label, url)) => out.push_str(&format!("[{label}]({})", url.trim_end_matches('>'))),
                    None => out.push_str(&format!("`{inner}`")),
                }
                rest = after;
                continue;
            }
        }
        // A role: `:name:` right before a backquote.
        if let Some(body) = at.strip_prefix(':') {
            if let Some(end) = body.find(":`") {
                let name = &body[..end];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_:".contains(c)) {
                    let inner_start = &body[end + 2..];
                    if let Some(close) = inner_start.find('`') {
                        let inner = &inner_start[..close];
                        let label = inner.rsplit_once(" <").map_or(inner, |(l, _)| l);
                        out.push_str(&format!("`{}`", label.trim_start_matches('~')));
                        rest = &inner_start[close + 1..];
                        continue;
                    }
                }
            }
        }
        out.push_str(&at[..1]);
        rest = &at[1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "=========\nChangelog\n=========\n\n.. note::\n\n   Dates are UTC.\n\n\
                       Unreleased\n----------\n\n- Fixed ``x``.\n\nDetails\n.......\n\nMore.\n\n\
                       4.3.4 (2026-11-02)\n------------------\n\n- Released.\n\n  Indented\n  --------\n";

    #[test]
    fn titles_levels_and_spans() {
        let found = titles(LOG);
        let seen: Vec<(&str, usize, usize)> = found.iter().map(|t| (t.text.as_str(), t.level, t.line)).collect();
        assert_eq!(
            seen,
            [
                ("Changelog", 1, 2),
                ("Unreleased", 2, 9),
                ("Details", 3, 14),
                ("4.3.4 (2026-11-02)", 2, 19)
            ]
        );
        assert_eq!(&LOG[found[1].span.clone()], "Unreleased\n----------");
        assert_eq!(&LOG[found[0].span.clone()], "=========\nChangelog\n=========");
        assert!(LOG[found[1].next..].starts_with("\n- Fixed"));
    }

    #[test]
    fn short_underlines_and_transitions() {
        // Too short for its title and under 4 characters: ordinary text.
        assert!(titles("A longer title\n---\n").is_empty());
        // Shorter than the title but 4 or more: a title (docutils warns).
        assert_eq!(titles("A longer title\n-----\n").len(), 1);
        // A transition between paragraphs is no title.
        assert!(titles("Text.\n\n------\n\nMore.\n").is_empty());
        // A title right after another, without a blank line between.
        let found = titles("Changelog\n=========\nUnreleased\n----------\n1.0.0 (d)\n---------\n\n- y\n");
        let seen: Vec<&str> = found.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(seen, ["Changelog", "Unreleased", "1.0.0 (d)"]);
        // An overline shorter than its text but of 4 or more; a bullet over dashes is none.
        assert_eq!(titles("======\nUnreleased\n======\n").len(), 1);
        assert!(titles("- Fixed a bug\n-------------\n").is_empty());
    }

    #[test]
    fn rendering_takes_the_adornment_and_its_length() {
        let a = Adornment {
            char: '=',
            overline: true,
            inset: 1,
        };
        assert_eq!(a.render("1.0", "\n"), "=====\n 1.0\n=====");
        let a = Adornment {
            char: '-',
            overline: false,
            inset: 0,
        };
        assert_eq!(
            a.render("4.3.5 (2026-12-02)", "\r\n"),
            "4.3.5 (2026-12-02)\r\n------------------"
        );
    }

    #[test]
    fn plain_notes_become_markdown_others_stay_rst() {
        assert_eq!(
            to_markdown("- Fixed ``x`` (:issue:`12`), see `docs <https://x.org>`_.\n\nDetails\n.......\n\nMore."),
            "- Fixed `x` (`12`), see [docs](https://x.org).\n\n### Details\n\nMore."
        );
        assert_eq!(
            to_markdown("- Fixed.\n\n.. note::\n\n   Careful."),
            "```rst\n- Fixed.\n\n.. note::\n\n   Careful.\n```"
        );
    }
}
