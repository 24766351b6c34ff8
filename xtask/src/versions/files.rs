//! Finding the version text in a file of a known kind (or by a `{version}` pattern), as byte
//! ranges. Reading and stamping use the same ranges, so a stamp changes exactly the version
//! bytes: comments, quoting, key order, encoding and CRLF line endings stay as they were.
//! Pure text functions; the caller reads and writes files.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::manifest::VersionFileKind;
use crate::python::pysource;

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
        VersionFileKind::Python => Ok(pysource::module_assignments(text, "__version__")),
        VersionFileKind::SetupPy => Ok(pysource::keyword_arguments(text, "version")),
        VersionFileKind::SetupCfg => Ok(locate_setup_cfg(text)),
        VersionFileKind::Json(key) => Ok(locate_json(text, key)),
        VersionFileKind::Yaml { key, .. } => Ok(super::yaml::locate(text, key)),
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
        at: e.span().map(|s| crate::manifest::line_col(text, s.start)),
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
            at: Some(crate::manifest::line_col(text, span.start)),
            message: "[project].version must be a plain one-line string such as \"1.2.0\"".into(),
        });
    }
    Ok(vec![inner])
}

fn locate_setup_cfg(text: &str) -> Vec<Range<usize>> {
    cfg_values(text, "metadata", "version")
        .into_iter()
        .filter(|r| {
            let v = &text[r.clone()];
            !v.starts_with("attr:") && !v.starts_with("file:") && !v.contains('\n')
        })
        .collect()
}

/// Ranges of the value of `key` in `[section]` of an INI file as configparser reads it: keys
/// case-insensitive, `=` or `:`, a value on the same line or on indented continuation lines
/// (one range per non-empty line), inline comments after ` ;` or ` #` dropped.
pub fn cfg_values(text: &str, section: &str, key: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut current = String::new();
    let mut in_key = false;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        let indented = line.starts_with([' ', '\t']);
        if in_key && indented && !trimmed.is_empty() {
            if !trimmed.starts_with(['#', ';']) {
                let lead = line.len() - line.trim_start().len();
                found.push(value_range(line, start + lead, lead));
            }
            continue;
        }
        in_key = false;
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            current = trimmed[1..trimmed.len() - 1].trim().to_string();
            continue;
        }
        if current != section || indented || trimmed.starts_with(['#', ';']) {
            continue;
        }
        let Some(sep) = line.find(['=', ':']) else { continue };
        if !line[..sep].trim().eq_ignore_ascii_case(key) {
            continue;
        }
        in_key = true;
        let after = &line[sep + 1..];
        let lead = sep + 1 + (after.len() - after.trim_start().len());
        if !line[lead..].trim().is_empty() {
            found.push(value_range(line, start + lead, lead));
        }
    }
    found
}

/// The value starting at byte `lead` of `line` (at `abs` in the file), without an inline
/// comment or trailing space.
fn value_range(line: &str, abs: usize, lead: usize) -> Range<usize> {
    let value = &line[lead..];
    let mut end = value.len();
    for marker in [" ;", " #", "\t;", "\t#"] {
        if let Some(i) = value.find(marker) {
            end = end.min(i);
        }
    }
    let len = value[..end].trim_end().len();
    abs..abs + len
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

/// The string values at the dotted `key` (`version`, `plugin.version`: keys of nested objects
/// from the top-level one) of a JSON (or JSON-with-comments) file. Keys inside arrays never
/// match.
fn locate_json(text: &str, key: &str) -> Vec<Range<usize>> {
    let wanted: Vec<&str> = key.split('.').collect();
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    // Open containers: `Some(key)` for an object that is the value of `key` (the top-level
    // object has the key ""), `None` for an array or an object inside one.
    let mut stack: Vec<Option<String>> = Vec::new();
    let mut last_string: Option<Range<usize>> = None;
    // The key whose value comes next, after a ':'.
    let mut pending: Option<String> = None;
    let path_matches = |stack: &[Option<String>], last: &str| {
        stack.len() == wanted.len()
            && stack.iter().skip(1).zip(&wanted).all(|(k, w)| k.as_deref() == Some(*w))
            && wanted.last() == Some(&last)
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(bytes.len(), |e| i + 2 + e + 2);
            }
            b'"' => {
                let open = i + 1;
                let mut j = open;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                let content = open..j.min(bytes.len());
                i = j + 1;
                match pending.take() {
                    Some(k) if path_matches(&stack, &k) => found.push(content),
                    Some(_) => {}
                    None => last_string = Some(content),
                }
            }
            b':' => {
                pending = last_string.take().map(|k| text[k].to_string());
                i += 1;
            }
            b'{' => {
                let in_object = stack.last().is_none_or(|k| k.is_some());
                stack.push(match pending.take() {
                    Some(k) if in_object => Some(k),
                    _ if stack.is_empty() => Some(String::new()),
                    _ => None,
                });
                last_string = None;
                i += 1;
            }
            b'[' => {
                stack.push(None);
                pending = None;
                last_string = None;
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                pending = None;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            _ => {
                pending = None;
                last_string = None;
                i += 1;
            }
        }
    }
    found.retain(|r| !r.is_empty());
    found
}

fn is_version_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ".!+_-".contains(c)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Matches of `prefix{version}suffix` on one line. A prefix that starts with a word character
/// must start a word (`VERSION = ` does not match inside `OLD_VERSION = `).
fn locate_pattern(text: &str, pattern: &str) -> Vec<Range<usize>> {
    let placeholder = crate::manifest::PLACEHOLDERS
        .iter()
        .map(|p| format!("{{{p}}}"))
        .find(|p| pattern.contains(p.as_str()))
        .expect("patterns are checked when loading");
    let (prefix, suffix) = pattern.split_once(placeholder.as_str()).expect("found above");
    if placeholder != "{version}" {
        return locate_any_value(text, prefix, suffix);
    }
    let mut found = Vec::new();
    if prefix.is_empty() {
        // Anchor on the suffix and take the version characters just before it.
        for (pos, _) in text.match_indices(suffix) {
            let before = &text[..pos];
            let run = before.len() - before.trim_end_matches(is_version_char).len();
            let start = pos - run;
            if run > 0 && !text[..start].ends_with(is_word_char) {
                found.push(start..pos);
            }
        }
        return found;
    }
    let starts_with_word = prefix.starts_with(is_word_char);
    let mut from = 0;
    while let Some(pos) = text[from..].find(prefix) {
        let at = from + pos;
        from = at + prefix.len();
        if starts_with_word && text[..at].ends_with(is_word_char) {
            continue;
        }
        let value_start = at + prefix.len();
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

/// Matches of `prefix<anything on the line>suffix` (for `{date}`, `{build}`, `{commit}`,
/// whose old text may be a placeholder such as `#BUILD_DATE#`, or empty).
fn locate_any_value(text: &str, prefix: &str, suffix: &str) -> Vec<Range<usize>> {
    let starts_with_word = prefix.starts_with(is_word_char);
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find(prefix) {
        let at = from + pos;
        from = at + prefix.len().max(1);
        if starts_with_word && text[..at].ends_with(is_word_char) {
            continue;
        }
        let value_start = at + prefix.len();
        let line_end = text[value_start..].find('\n').map_or(text.len(), |i| value_start + i);
        if let Some(len) = text[value_start..line_end].find(suffix) {
            found.push(value_start..value_start + len);
            from = value_start + len + suffix.len();
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
        assert_eq!(values(VersionFileKind::SetupCfg, "[metadata]\nVersion: 2.0\n"), ["2.0"]);
        assert_eq!(
            values(VersionFileKind::SetupCfg, "[metadata]\nversion =\n    3.0\nname = x\n"),
            ["3.0"]
        );
        assert!(values(VersionFileKind::SetupCfg, "[metadata]\n# version = 9\n").is_empty());
    }

    #[test]
    fn cfg_values_read_continuation_lines() {
        let text = "[options]\ninstall_requires =\n    a>=1\n    # comment\n    b ; python_version<'3'\nzip_safe = 0\n";
        let found: Vec<&str> = cfg_values(text, "options", "install_requires")
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(found, ["a>=1", "b"]);
    }

    #[test]
    fn json_keys_are_dotted_paths_from_the_top_level_object() {
        let text = "{\n  // \"plugin\": {\"version\": \"9\"}\n  \"version\": \"0.0.0\",\n  \"plugin\": {\"name\": \"x\", \"version\": \"1.2.0\",\n    \"deps\": [{\"version\": \"3\"}]},\n  \"other\": {\"plugin\": {\"version\": \"4\"}}\n}\n";
        let json = |key: &str| values(VersionFileKind::Json(key.into()), text);
        assert_eq!(json("version"), ["0.0.0"]);
        assert_eq!(json("plugin.version"), ["1.2.0"]);
        assert_eq!(json("other.plugin.version"), ["4"]);
        assert!(json("plugin.deps.version").is_empty(), "keys inside arrays never match");
        assert!(json("name").is_empty());
    }

    #[test]
    fn text_files_hold_only_the_version() {
        assert_eq!(values(VersionFileKind::Text, "\n 1.2.0 \r\n"), ["1.2.0"]);
        assert!(values(VersionFileKind::Text, "").is_empty());
        assert!(locate(&VersionFileKind::Text, "1.0\n2.0\n").is_err());
    }

    #[test]
    fn json_and_patterns() {
        let text = "{\n  // \"version\": \"9\"\n  /* \"version\": \"8\" */\n  \"version\" : \"0.0.0\",\n  \"dep\": {\"version\": \"1\"},\n  \"v\": [\"version\", \"x\"]\n}\n";
        assert_eq!(values(VersionFileKind::Json("version".into()), text), ["0.0.0"]);
        let p = VersionFileKind::Pattern("{version} is the version".into());
        assert_eq!(
            values(p, "1.2.3 is the version, é 2.0 is the version\n"),
            ["1.2.3", "2.0"]
        );
        let p = VersionFileKind::Pattern("VERSION = \"{version}\"".into());
        assert_eq!(values(p, "OLD_VERSION = \"0.9\"\nVERSION = \"1.0\"\n"), ["1.0"]);
        let p = VersionFileKind::Pattern("BUILD = \"{version}\"".into());
        assert_eq!(values(p, "BUILD = \"1.2.3\"\nBUILD = \"x y\"\n"), ["1.2.3"]);
        let p = VersionFileKind::Pattern("release v{version}".into());
        assert_eq!(values(p, "release v1.2.3.\nrelease v2"), ["1.2.3", "2"]);
    }

    #[test]
    fn other_placeholders_match_any_old_value() {
        let p = VersionFileKind::Pattern("BUILD_DATE = '{date}'".into());
        assert_eq!(
            values(
                p,
                "BUILD_DATE = '#BUILD_DATE#'\nOLD_BUILD_DATE = 'x'\nBUILD_DATE = ''\n"
            ),
            ["#BUILD_DATE#", ""]
        );
        let p = VersionFileKind::Pattern("\"commit\": \"{commit}\"".into());
        assert_eq!(values(p, "{\"commit\": \"abc1234\"}"), ["abc1234"]);
    }

    /// Every kind, with CRLF endings, comments and unusual quoting: the real version (`4.2.0`)
    /// is found among decoys (`1.0.0` in comments, strings, other tables), and stamping
    /// changes exactly its bytes.
    #[test]
    fn round_trip_every_kind_changes_only_the_version() {
        let cases: Vec<(VersionFileKind, &str)> = vec![
            (VersionFileKind::Pyproject, "# c \"1.0.0\"\r\n[project]\r\nname='x' # 1.0.0\r\nversion = '4.2.0'  # keep\r\n[tool.x]\r\nversion = \"1.0.0\"\r\n"),
            (VersionFileKind::SetupPy, "from setuptools import setup\r\n# version='1.0.0'\r\nsetup(\r\n  name=\"x\",\r\n  version = u'4.2.0' ,\r\n  description='version=\"1.0.0\"',\r\n)\r\n"),
            (VersionFileKind::SetupCfg, "[metadata]\r\nname = x\r\n; version = 1.0.0\r\nVersion : 4.2.0 ; trailing\r\n[options]\r\nversion = 1.0.0\r\n"),
            (VersionFileKind::Python, "\u{feff}\"\"\"Docs:\r\n__version__ = '1.0.0'\"\"\"\r\n__version__: str = r'4.2.0'  # é\r\n"),
            (VersionFileKind::Json("version".into()), "{\r\n  // \"version\": \"1.0.0\"\r\n  \"version\":\t\"4.2.0\",\r\n  \"deps\": {\"version\": \"1.0.0\"}\r\n}\r\n"),
            (VersionFileKind::Text, "\r\n  4.2.0\r\n"),
            (VersionFileKind::Pattern("APP_VERSION := {version};".into()), "OLD_APP_VERSION := 1.0.0;\r\nAPP_VERSION := 4.2.0;\r\n"),
        ];
        for (kind, text) in cases {
            let ranges = locate(&kind, text).unwrap();
            assert_eq!(ranges.len(), 1, "{kind:?} finds exactly one version in {text:?}");
            assert_eq!(
                &text[ranges[0].clone()],
                "4.2.0",
                "{kind:?} finds the real version, not a decoy"
            );
            let mut stamped = text.to_string();
            stamped.replace_range(ranges[0].clone(), "4.3.0.dev7");
            assert_eq!(
                stamped,
                text.replacen("4.2.0", "4.3.0.dev7", 1),
                "{kind:?}: only the version bytes change"
            );
        }
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
