//! Finding the version text in a file of a known kind (or by a `{version}` pattern), as byte
//! ranges. Reading and stamping use the same ranges, so a stamp changes exactly the version
//! bytes: comments, quoting, key order, encoding and CRLF line endings stay as they were.
//! Pure text functions; the caller reads and writes files.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::config::VersionFileKind;

/// Why a file could not be searched; `at` is a 1-based (line, column) when known.
#[derive(Debug)]
pub struct LocateError {
    pub at: Option<(usize, usize)>,
    pub message: String,
}

impl LocateError {
    /// `file:line:col: message`, or `file: message`.
    pub fn describe(&self, file: &str) -> String {
        match self.at {
            Some((line, col)) => format!("{file}:{line}:{col}: {}", self.message),
            None => format!("{file}: {}", self.message),
        }
    }
}

/// Byte ranges of every version string in `text`. An empty list means the file declares no
/// literal version of this kind.
pub fn locate(kind: &VersionFileKind, text: &str) -> Result<Vec<Range<usize>>, LocateError> {
    match kind {
        VersionFileKind::Pyproject => locate_pyproject(text),
        VersionFileKind::Python => Ok(locate_assignments(text, "__version__", true)),
        VersionFileKind::SetupPy => Ok(locate_assignments(text, "version", false)),
        VersionFileKind::SetupCfg => Ok(locate_setup_cfg(text)),
        VersionFileKind::Json => Ok(locate_json(text)),
        VersionFileKind::Text => locate_text(text),
        VersionFileKind::Pattern(pattern) => Ok(locate_pattern(text, pattern)),
    }
}

fn locate_pyproject(text: &str) -> Result<Vec<Range<usize>>, LocateError> {
    #[derive(Deserialize)]
    struct Doc {
        project: Option<Project>,
    }
    #[derive(Deserialize)]
    struct Project {
        version: Option<Spanned<String>>,
    }
    let doc: Doc = toml::from_str(text).map_err(|e| LocateError {
        at: e.span().map(|s| crate::config::line_col(text, s.start)),
        message: e.message().trim_end().to_string(),
    })?;
    let Some(version) = doc.project.and_then(|p| p.version) else {
        return Ok(vec![]);
    };
    let span = version.span();
    let literal = &text[span.clone()];
    let quoted = (literal.starts_with('"') || literal.starts_with('\''))
        && !literal.starts_with("\"\"\"")
        && !literal.starts_with("'''");
    let inner = span.start + 1..span.end - 1;
    if !quoted || &text[inner.clone()] != version.get_ref() {
        return Err(LocateError {
            at: Some(crate::config::line_col(text, span.start)),
            message: "[project].version must be a plain one-line string such as \"1.2.0\"".into(),
        });
    }
    Ok(vec![inner])
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `NAME = "x"` / `NAME='x'` / `NAME: str = "x"`. With `line_start`, only at the start of a
/// line (module-level assignments); otherwise anywhere (keyword arguments).
fn locate_assignments(text: &str, name: &str, line_start: bool) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find(name) {
        let start = from + pos;
        from = start + name.len();
        let before = text[..start].chars().next_back();
        let ok_before = if line_start {
            before.is_none_or(|c| c == '\n')
        } else {
            before.is_none_or(|c| !is_ident(c) && c != '.')
        };
        if !ok_before {
            continue;
        }
        let mut rest = &text[from..];
        if rest.starts_with(|c: char| is_ident(c)) {
            continue;
        }
        rest = rest.trim_start_matches([' ', '\t']);
        if line_start {
            if let Some(annotated) = rest.strip_prefix(':') {
                let eq = annotated.find('=').filter(|&i| !annotated[..i].contains('\n'));
                match eq {
                    Some(i) => rest = &annotated[i..],
                    None => continue,
                }
            }
        }
        let Some(after_eq) = rest.strip_prefix('=') else {
            continue;
        };
        if after_eq.starts_with('=') {
            continue;
        }
        let value = after_eq.trim_start_matches([' ', '\t']);
        let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let value_start = text.len() - value.len() + 1;
        let body = &text[value_start..];
        if body.starts_with(quote) {
            continue; // empty string or triple quotes: not a version literal
        }
        let Some(end) = body.find([quote, '\n']) else { continue };
        if !body[end..].starts_with(quote) {
            continue;
        }
        found.push(value_start..value_start + end);
    }
    found
}

fn locate_setup_cfg(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut section = String::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim();
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            section = trimmed[1..trimmed.len() - 1].trim().to_string();
            continue;
        }
        if section != "metadata" || content.starts_with([' ', '\t']) {
            continue;
        }
        let Some(rest) = content.strip_prefix("version") else {
            continue;
        };
        let rest_trim = rest.trim_start();
        let Some(value) = rest_trim.strip_prefix(['=', ':']) else {
            continue;
        };
        let value_trim = value.trim_start();
        let value_start = start + content.len() - value_trim.len();
        let mut value_end = value_trim.len();
        for marker in [" ;", " #", "\t;", "\t#"] {
            if let Some(i) = value_trim.find(marker) {
                value_end = value_end.min(i);
            }
        }
        let value_text = value_trim[..value_end].trim_end();
        if value_text.is_empty() || value_text.starts_with("attr:") || value_text.starts_with("file:") {
            continue;
        }
        found.push(value_start..value_start + value_text.len());
    }
    found
}

/// The whole file, less surrounding white space, must be one line.
fn locate_text(text: &str) -> Result<Vec<Range<usize>>, LocateError> {
    let start = text.len() - text.trim_start().len();
    let value = text.trim();
    if value.is_empty() {
        return Ok(vec![]);
    }
    if value.contains('\n') {
        return Err(LocateError {
            at: None,
            message: "a `text` version file must hold only the version, on one line".into(),
        });
    }
    let range = start..start + value.len();
    Ok(vec![range])
}

fn locate_json(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("\"version\"") {
        let key_end = from + pos + "\"version\"".len();
        from = key_end;
        let rest = text[key_end..].trim_start();
        let Some(after_colon) = rest.strip_prefix(':') else {
            continue;
        };
        let value = after_colon.trim_start();
        if !value.starts_with('"') {
            continue;
        }
        let value_start = text.len() - value.len() + 1;
        let Some(end) = text[value_start..].find(['"', '\n']) else {
            continue;
        };
        if text[value_start + end..].starts_with('"') && end > 0 {
            found.push(value_start..value_start + end);
        }
    }
    found
}

fn locate_pattern(text: &str, pattern: &str) -> Vec<Range<usize>> {
    let (prefix, suffix) = pattern
        .split_once("{version}")
        .expect("patterns are checked when loading");
    let is_version_char = |c: char| c.is_ascii_alphanumeric() || ".!+_-".contains(c);
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find(prefix) {
        let value_start = from + pos + prefix.len();
        from = value_start.max(from + pos + 1);
        let line_end = text[value_start..].find('\n').map_or(text.len(), |i| value_start + i);
        let candidate = &text[value_start..line_end];
        let len = if suffix.is_empty() {
            let greedy = candidate.find(|c: char| !is_version_char(c)).unwrap_or(candidate.len());
            // A version ends in a letter or digit: "release v1.2.3." ends at "3".
            candidate[..greedy]
                .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .len()
        } else {
            match candidate.find(suffix) {
                Some(i) if candidate[..i].chars().all(is_version_char) => i,
                _ => continue,
            }
        };
        if len > 0 {
            found.push(value_start..value_start + len);
            from = value_start + len;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(kind: VersionFileKind, text: &str) -> Vec<String> {
        locate(&kind, text)
            .unwrap()
            .into_iter()
            .map(|r| text[r].to_string())
            .collect()
    }

    #[test]
    fn pyproject_version_only_in_project_table() {
        let text = "[tool.x]\nversion = \"9\"\n\n[project]\nname = 'a'  # c\nversion = '1.2.0' # keep\r\n";
        assert_eq!(values(VersionFileKind::Pyproject, text), ["1.2.0"]);
        assert!(values(VersionFileKind::Pyproject, "[project]\nname='a'\n").is_empty());
    }

    #[test]
    fn dunder_version_at_module_level() {
        let text =
            "__version__ = '2.1.3'\n  __version__ = \"no\"\nx.__version__ = 'no'\n__version__: str = \"2.1.3\"\r\n";
        assert_eq!(values(VersionFileKind::Python, text), ["2.1.3", "2.1.3"]);
    }

    #[test]
    fn setup_py_keyword_but_not_python_version() {
        let text = "setup(\n    name='x',\n    version = \"1.0\",\n    python_version='3',\n    __version__='n',\n)\n";
        assert_eq!(values(VersionFileKind::SetupPy, text), ["1.0"]);
        assert!(values(VersionFileKind::SetupPy, "setup(version=read_version())").is_empty());
    }

    #[test]
    fn setup_cfg_metadata_version_with_comment() {
        let text = "[options]\nversion = 0\n[metadata]\nname = x\nversion = 1.2.0 ; comment\r\n";
        assert_eq!(values(VersionFileKind::SetupCfg, text), ["1.2.0"]);
        assert!(values(VersionFileKind::SetupCfg, "[metadata]\nversion = attr: x.__version__\n").is_empty());
    }

    #[test]
    fn text_files_hold_only_the_version() {
        assert_eq!(values(VersionFileKind::Text, "\n 1.2.0 \r\n"), ["1.2.0"]);
        assert!(values(VersionFileKind::Text, "").is_empty());
        assert!(locate(&VersionFileKind::Text, "1.0\n2.0\n").is_err());
    }

    #[test]
    fn json_and_patterns() {
        let text = "{\n  // comment\n  \"version\" : \"0.0.0\",\n  \"dep\": {\"version\": \"1\"}\n}\n";
        assert_eq!(values(VersionFileKind::Json, text), ["0.0.0", "1"]);
        let p = VersionFileKind::Pattern("BUILD = \"{version}\"".into());
        assert_eq!(values(p, "BUILD = \"1.2.3\"\nBUILD = \"x y\"\n"), ["1.2.3"]);
        let p = VersionFileKind::Pattern("release v{version}".into());
        assert_eq!(values(p, "release v1.2.3.\nrelease v2"), ["1.2.3", "2"]);
    }

    #[test]
    fn replacing_keeps_every_other_byte() {
        let text = "a = 1\r\n__version__ = '1.0'  # c\r\n";
        let ranges = locate(&VersionFileKind::Python, text).unwrap();
        let mut stamped = text.to_string();
        stamped.replace_range(ranges[0].clone(), "2.0.dev1");
        assert_eq!(stamped, "a = 1\r\n__version__ = '2.0.dev1'  # c\r\n");
    }
}
