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

/// Split Python source into tokens; comments, whitespace and line continuations are skipped.
pub fn tokenize(source: &str) -> Vec<Token> {
    let mut scanner = Scanner::new(source);
    let mut tokens = Vec::new();
    while !scanner.at_end() {
        if !scanner.skip_layout() {
            tokens.push(scanner.next_token());
        }
    }
    tokens
}

/// The tokenizer's position in the source, with the bracket depth and line bookkeeping.
struct Scanner<'a> {
    source: &'a str,
    bytes: &'a [u8],
    i: usize,
    depth: usize,
    line: usize,
    at_line_start: bool,
    continued: bool,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `source`, past a byte-order mark.
    fn new(source: &'a str) -> Self {
        Scanner {
            source,
            bytes: source.as_bytes(),
            i: source.strip_prefix('\u{feff}').map_or(0, |_| 3),
            depth: 0,
            line: 0,
            at_line_start: true,
            continued: false,
        }
    }

    /// Whether the whole source has been read.
    fn at_end(&self) -> bool {
        self.i >= self.bytes.len()
    }

    /// Skip one newline, blank, line continuation or comment; false if a token starts here.
    fn skip_layout(&mut self) -> bool {
        let bytes = self.bytes;
        let i = self.i;
        match bytes[i] {
            b'\n' => {
                self.line += 1;
                self.i += 1;
                if self.depth == 0 && !self.continued {
                    self.at_line_start = true;
                }
                self.continued = false;
            }
            b' ' | b'\t' | b'\r' | b'\x0c' => self.i += 1,
            b'\\' if bytes.get(i + 1) == Some(&b'\n') || bytes.get(i + 1) == Some(&b'\r') => {
                self.continued = true;
                self.i += 1;
            }
            b'#' => {
                while self.i < bytes.len() && bytes[self.i] != b'\n' {
                    self.i += 1;
                }
            }
            _ => return false,
        }
        true
    }

    /// Read the token that starts here: a string, a name or an operator.
    fn next_token(&mut self) -> Token {
        let c = self.bytes[self.i];
        let line_start = self.at_line_start && self.depth == 0 && is_line_begin(self.source, self.i);
        self.at_line_start = false;
        let start = self.i;
        let start_line = self.line;
        let kind = if let Some(plen) = string_prefix_len(self.bytes, self.i) {
            self.scan_string(plen)
        } else if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 {
            self.scan_name()
        } else {
            self.scan_operator(c)
        };
        let token_depth = match (&kind, c) {
            (Kind::Op, b'(' | b'[' | b'{') => self.depth - 1,
            _ => self.depth,
        };
        Token {
            kind,
            span: start..self.i,
            depth: token_depth,
            line_start,
            line: start_line,
        }
    }

    /// A string literal with a prefix of `plen` bytes; an unterminated one ends at the line
    /// end (single quotes) or at the end of the source (triple quotes).
    fn scan_string(&mut self, plen: usize) -> Kind {
        let start = self.i;
        let q = self.bytes[start + plen];
        let triple = self.bytes.get(start + plen + 1) == Some(&q) && self.bytes.get(start + plen + 2) == Some(&q);
        let open = start + plen + if triple { 3 } else { 1 };
        let (close, resume) = self.string_end(open, q, triple);
        self.i = resume.min(self.bytes.len());
        Kind::Str {
            content: open.min(close)..close.min(self.bytes.len()),
            prefix: self.source[start..start + plen].to_string(),
            triple,
        }
    }

    /// Where the content of a string opened before `open` ends, and where scanning resumes;
    /// counts the lines it spans.
    fn string_end(&mut self, open: usize, q: u8, triple: bool) -> (usize, usize) {
        let bytes = self.bytes;
        let mut j = open;
        loop {
            if j >= bytes.len() {
                return (bytes.len(), bytes.len());
            }
            let b = bytes[j];
            if b == b'\\' {
                if bytes.get(j + 1) == Some(&b'\n') {
                    self.line += 1;
                }
                j += 2;
                continue;
            }
            if b == b'\n' {
                if !triple {
                    // Unterminated: the newline ends the line as usual.
                    return (j, j);
                }
                self.line += 1;
            }
            if b == q && (!triple || (bytes.get(j + 1) == Some(&q) && bytes.get(j + 2) == Some(&q))) {
                return (j, j + if triple { 3 } else { 1 });
            }
            j += 1;
        }
    }

    /// An identifier or keyword (non-ASCII letters included).
    fn scan_name(&mut self) -> Kind {
        let bytes = self.bytes;
        while self.i < bytes.len()
            && (bytes[self.i] == b'_' || bytes[self.i].is_ascii_alphanumeric() || bytes[self.i] >= 0x80)
        {
            self.i += 1;
        }
        Kind::Name
    }

    /// Punctuation starting with byte `c`, two-character operators as one; brackets change
    /// the depth.
    fn scan_operator(&mut self, c: u8) -> Kind {
        let two = self.source.get(self.i..self.i + 2).unwrap_or("");
        self.i += if ["==", "!=", "<=", ">=", ":=", "->", "**", "//"].contains(&two) {
            2
        } else {
            c.len_utf8_of()
        };
        match c {
            b'(' | b'[' | b'{' => self.depth += 1,
            b')' | b']' | b'}' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        Kind::Op
    }
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
