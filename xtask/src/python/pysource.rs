//! A small Python tokenizer: enough to tell code from comments, strings and docstrings when
//! looking for `__version__ = "..."` or `version="..."`. Pure; byte offsets into the text.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Name,
    /// A string literal; `content` is the text between the quotes.
    Str {
        content: Range<usize>,
        prefix: String,
        triple: bool,
    },
    /// Punctuation; `==`, `:=` etc. come as one token.
    Op,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub kind: Kind,
    pub span: Range<usize>,
    /// Bracket depth before this token.
    pub depth: usize,
    /// First token of a logical line, at column 0 (module level).
    pub line_start: bool,
    /// Index of the physical line the token starts on.
    pub line: usize,
}

impl Token {
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.span.clone()]
    }
}

pub fn tokenize(source: &str) -> Vec<Token> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut i = source.strip_prefix('\u{feff}').map_or(0, |_| 3);
    let mut depth = 0usize;
    let mut line = 0usize;
    let mut at_line_start = true;
    let mut continued = false;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
                if depth == 0 && !continued {
                    at_line_start = true;
                }
                continued = false;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\x0c' => {
                i += 1;
                continue;
            }
            b'\\' if bytes.get(i + 1) == Some(&b'\n') || bytes.get(i + 1) == Some(&b'\r') => {
                continued = true;
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        let line_start = at_line_start && depth == 0 && is_line_begin(source, i);
        at_line_start = false;
        let start = i;
        let start_line = line;
        let prefix_len = string_prefix_len(bytes, i);
        let kind = if let Some(plen) = prefix_len {
            let q = bytes[i + plen];
            let triple = bytes.get(i + plen + 1) == Some(&q) && bytes.get(i + plen + 2) == Some(&q);
            let open = i + plen + if triple { 3 } else { 1 };
            let mut j = open;
            // Where the content ends, and where scanning resumes.
            let (close, resume) = loop {
                if j >= bytes.len() {
                    break (bytes.len(), bytes.len());
                }
                let b = bytes[j];
                if b == b'\\' {
                    if bytes.get(j + 1) == Some(&b'\n') {
                        line += 1;
                    }
                    j += 2;
                    continue;
                }
                if b == b'\n' {
                    if !triple {
                        // Unterminated: the newline ends the line as usual.
                        break (j, j);
                    }
                    line += 1;
                }
                if b == q && (!triple || (bytes.get(j + 1) == Some(&q) && bytes.get(j + 2) == Some(&q))) {
                    break (j, j + if triple { 3 } else { 1 });
                }
                j += 1;
            };
            i = resume.min(bytes.len());
            Kind::Str {
                content: open.min(close)..close.min(bytes.len()),
                prefix: source[start..start + plen].to_string(),
                triple,
            }
        } else if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 {
            while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric() || bytes[i] >= 0x80) {
                i += 1;
            }
            Kind::Name
        } else {
            let two = source.get(i..i + 2).unwrap_or("");
            i += if ["==", "!=", "<=", ">=", ":=", "->", "**", "//"].contains(&two) {
                2
            } else {
                c.len_utf8_of()
            };
            match c {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
            Kind::Op
        };
        let token_depth = match (&kind, c) {
            (Kind::Op, b'(' | b'[' | b'{') => depth - 1,
            _ => depth,
        };
        tokens.push(Token {
            kind,
            span: start..i,
            depth: token_depth,
            line_start,
            line: start_line,
        });
    }
    tokens
}

trait Utf8Len {
    fn len_utf8_of(self) -> usize;
}

impl Utf8Len for u8 {
    /// Length of the UTF-8 sequence starting with this byte.
    fn len_utf8_of(self) -> usize {
        match self {
            0xf0..=0xff => 4,
            0xe0..=0xef => 3,
            0xc0..=0xdf => 2,
            _ => 1,
        }
    }
}

fn is_line_begin(source: &str, i: usize) -> bool {
    i == 0 || source[..i].ends_with('\n') || (i == 3 && source.starts_with('\u{feff}'))
}

/// If a string literal starts at `i`, the length of its prefix (`u`, `rb`, ...).
fn string_prefix_len(bytes: &[u8], i: usize) -> Option<usize> {
    for plen in 0..=2 {
        let &q = bytes.get(i + plen)?;
        if q == b'"' || q == b'\'' {
            let prefix = &bytes[i..i + plen];
            let ok = prefix.iter().all(|b| b"rRuUbBfF".contains(b));
            return ok.then_some(plen);
        }
        if !bytes[i + plen].is_ascii_alphabetic() {
            return None;
        }
    }
    None
}

/// Content ranges of plain one-line string literals assigned by `NAME = "..."` (optionally
/// annotated) at module level, where the literal is the whole value.
pub fn module_assignments(source: &str, name: &str) -> Vec<Range<usize>> {
    let tokens = tokenize(source);
    let mut found = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if !(t.line_start && t.kind == Kind::Name && t.text(source) == name) {
            continue;
        }
        let mut j = i + 1;
        if tokens.get(j).is_some_and(|t| t.text(source) == ":") {
            while tokens
                .get(j)
                .is_some_and(|t| t.text(source) != "=" && t.line == tokens[i].line)
            {
                j += 1;
            }
        }
        if let Some(range) = literal_value(source, &tokens, j) {
            let next = tokens.get(j + 2);
            if next.is_none_or(|n| n.line != tokens[j + 1].line || n.text(source) == ";") {
                found.push(range);
            }
        }
    }
    found
}

/// Content ranges of keyword arguments `NAME="..."` in calls (`setup(version="1.0")`).
pub fn keyword_arguments(source: &str, name: &str) -> Vec<Range<usize>> {
    let tokens = tokenize(source);
    let mut found = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if !(t.kind == Kind::Name && t.depth > 0 && t.text(source) == name) {
            continue;
        }
        let after_separator = i > 0 && matches!(tokens[i - 1].text(source), "(" | ",");
        if !after_separator {
            continue;
        }
        if let Some(range) = literal_value(source, &tokens, i + 1) {
            if tokens.get(i + 3).is_some_and(|n| matches!(n.text(source), "," | ")")) {
                found.push(range);
            }
        }
    }
    found
}

/// If `tokens[j]` is `=` followed by a plain one-line string, that string's content range.
fn literal_value(source: &str, tokens: &[Token], j: usize) -> Option<Range<usize>> {
    if tokens.get(j)?.text(source) != "=" {
        return None;
    }
    match &tokens.get(j + 1)?.kind {
        Kind::Str {
            content,
            prefix,
            triple: false,
        } if prefix.chars().all(|c| "uUrR".contains(c)) && !content.is_empty() => Some(content.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(source: &str, ranges: Vec<Range<usize>>) -> Vec<&str> {
        ranges.into_iter().map(|r| &source[r]).collect()
    }

    #[test]
    fn module_level_assignments_only() {
        let src = "\u{feff}__version__ = u'1.0'\n\"\"\"\n__version__ = '0.1'\n\"\"\"\nif x:\n    __version__ = 'no'\n\
                   __version__: str = \"2.0\"  # c\n__version__ = '3' + x\nf(\n__version__ = 'no')\n";
        assert_eq!(values(src, module_assignments(src, "__version__")), ["1.0", "2.0"]);
    }

    #[test]
    fn keyword_arguments_ignore_comments_and_strings() {
        let src = "setup(\n    # version='0.9'\n    description='Bump version=\"2\" soon',\n    version = \"1.0\",\n\
                   python_version='3',\n    x.version='n',\n)\nversion = '9'\n";
        assert_eq!(values(src, keyword_arguments(src, "version")), ["1.0"]);
    }

    #[test]
    fn survives_unterminated_strings_and_non_ascii() {
        let src = "name = 'é\n__version__ = '1.0'\nx = \"\"\"never closed";
        assert_eq!(values(src, module_assignments(src, "__version__")), ["1.0"]);
        assert!(module_assignments("\u{1F600} = 'x'\n", "__version__").is_empty());
    }
}
