//! Checks of single values (release names, tag and archive-name templates, paths and globs,
//! URLs without credentials, requirements) and the small text helpers they share (`render`,
//! `normalize_name`, `first_line`).

use std::path::Path;
use std::str::FromStr;

use anyhow::Result;
use toml::Spanned;

use super::source::{Problems, Source};

/// The valid PEP 508 requirements of a list; each invalid one is a problem at its place.
pub fn requirement_list(list: Vec<Spanned<String>>, src: &Source, problems: &mut Problems) -> Vec<String> {
    list.into_iter()
        .filter_map(
            |r| match pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(r.get_ref()) {
                Ok(_)
                    if r.get_ref()
                        .split_whitespace()
                        .any(|w| check_url_credentials(w).is_err()) =>
                {
                    problems.push(
                        src.at_spanned(&r),
                        "a requirement's URL holds a password, which would show in plans, logs and bundles: \
                         publish the file on an index or find-links folder whose URL takes its credentials \
                         from environment variables (\"https://user:${INDEX_TOKEN}@host/simple\")",
                    );
                    None
                }
                Ok(_) => Some(r.into_inner()),
                Err(e) => {
                    problems.push(
                        src.at_spanned(&r),
                        format!("not a PEP 508 requirement: {}", first_line(&e.to_string())),
                    );
                    None
                }
            },
        )
        .collect()
}

/// A release name names archives and folders on every system: a portable file name.
pub fn check_release_name(name: &str) -> Result<(), String> {
    let portable = name.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
    if name.is_empty() || !portable || name.starts_with(['-', '.']) || name.len() > 100 {
        return Err(format!(
            "release name {name:?} must be a portable file name (it names archives): letters, digits, \
             `.`, `_`, `+` and `-`, not starting with `-` or `.`, at most 100 characters"
        ));
    }
    Ok(())
}

/// A file or folder name that every system and tool takes: no path separators or characters
/// Windows refuses, no leading `-` (an option to many tools) or `.` (hidden), at most 100
/// characters.
pub fn check_portable_name(name: &str) -> Result<(), String> {
    let bad = name
        .chars()
        .find(|c| c.is_control() || ['/', '\\', ':', '*', '?', '"', '<', '>', '|'].contains(c));
    if name.is_empty() || bad.is_some() || name.starts_with(['-', '.']) || name.len() > 100 {
        return Err(format!(
            "{name:?} is not a portable file name: no `/ \\ : * ? \" < > |` or control characters, \
             not starting with `-` or `.`, at most 100 characters"
        ));
    }
    Ok(())
}

/// What a plugin's tag template may name.
pub const TAG_PLACEHOLDERS: &[&str] = &["name", "id", "version"];

/// A tag template must name the version, and what it renders to must be a tag git takes
/// (`git check-ref-format` rules).
pub fn check_tag_template(template: &str, rendered: &str) -> Result<(), String> {
    if !template.contains("{version}") {
        return Err(format!(
            "tag template {template:?} has no {{version}}: every release would get the same tag"
        ));
    }
    let problem = if rendered.starts_with('-') {
        Some("starts with `-`")
    } else if rendered.contains("..") {
        Some("contains `..`")
    } else if rendered.contains("@{") {
        Some("contains `@{`")
    } else if rendered.contains("//") {
        Some("contains `//`")
    } else if rendered
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\".contains(c))
    {
        Some("contains a space, a control character or one of `~ ^ : ? * [ \\`")
    } else if rendered.ends_with(['/', '.']) || rendered.ends_with(".lock") || rendered == "@" {
        Some("ends with `/`, `.` or `.lock`")
    } else if rendered.split('/').any(|c| c.starts_with('.') || c.is_empty()) {
        Some("has a path component that is empty or starts with `.`")
    } else {
        None
    };
    match problem {
        Some(why) => Err(format!(
            "tag template {template:?} gives tags such as {rendered:?}, which git refuses: it {why}"
        )),
        None => Ok(()),
    }
}

/// An index or find-links location: an http(s) or file URL whose credentials come only from
/// `${VAR}` (in the user-info, or as the value of a query parameter named like a credential),
/// or, where `folder_root` is given, a folder relative to it that exists. Locations reach
/// pip and uv through their environment, as space- or comma-separated lists: no spaces or
/// commas in them.
pub fn check_location(value: &str, folder_root: Option<&Path>) -> Result<(), String> {
    check_url_credentials(value)?;
    if value.chars().any(|c| c.is_whitespace() || c == ',') {
        return Err(format!(
            "{value:?} contains a space or a comma: write it without them (percent-encode them in a URL)"
        ));
    }
    let Some((scheme, rest)) = value.split_once("://") else {
        return match folder_root {
            Some(root) if value.contains("${") || root.join(value).is_dir() => Ok(()),
            Some(root) => Err(format!(
                "find-links folder {value:?} does not exist (relative to {}): create it or remove it",
                root.display()
            )),
            None => Err(format!(
                "{value:?} is not a URL: write an http(s) or file URL, e.g. \"https://pypi.org/simple\""
            )),
        };
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https" | "file") {
        return Err(format!("{value:?}: scheme {scheme:?} is not http, https or file"));
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host = authority.rsplit('@').next().unwrap_or_default();
    if scheme != "file" && host.is_empty() {
        return Err(format!("{value:?} has no host"));
    }
    let query = rest.split_once('?').map(|(_, q)| q.split('#').next().unwrap_or(q));
    for pair in query.unwrap_or_default().split('&') {
        let (key, val) = pair.split_once('=').unwrap_or((pair, ""));
        let key = key.to_ascii_lowercase();
        let secret_like = [
            "token",
            "key",
            "password",
            "passwd",
            "secret",
            "auth",
            "sig",
            "credential",
        ]
        .iter()
        .any(|w| key.contains(w));
        let from_env = val.starts_with("${") && val.ends_with('}') && val.matches("${").count() == 1;
        if secret_like && !val.is_empty() && !from_env {
            return Err(format!(
                "the query parameter {key:?} of a URL holds a credential: take it from an environment variable \
                 (\"?{key}=${{INDEX_TOKEN}}\") so that it never appears in the manifest, plans or logs"
            ));
        }
    }
    Ok(())
}

/// Credentials in URLs must come from the environment (`${VAR}`), so that the manifest and
/// plans never hold them: `https://user:${TOKEN}@host` or `https://${TOKEN}@host`.
pub fn check_url_credentials(url: &str) -> Result<(), String> {
    let Some((_, rest)) = url.split_once("://") else {
        return Ok(());
    };
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let Some(at) = authority.rfind('@') else { return Ok(()) };
    let userinfo = &authority[..at];
    let secret = match userinfo.split_once(':') {
        Some((_, password)) => password,
        None => userinfo,
    };
    let only_vars = secret.is_empty() || {
        let mut rest = secret;
        loop {
            match rest.strip_prefix("${").and_then(|r| r.split_once('}')) {
                Some((name, after)) if !name.is_empty() => rest = after,
                _ => break rest.is_empty(),
            }
        }
    };
    if only_vars {
        Ok(())
    } else {
        Err("credentials in a URL must come from environment variables, e.g. \
             \"https://user:${INDEX_TOKEN}@host/simple\" or \"https://${INDEX_TOKEN}@host/simple\", \
             so that they never appear in the manifest, plans or logs"
            .into())
    }
}

/// A template may only use the given `{placeholders}`.
pub fn check_template(template: &str, allowed: &[&str]) -> Result<(), String> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("unclosed `{{` in template {template:?}"));
        };
        let key = &rest[open + 1..open + close];
        if !allowed.contains(&key) {
            let list: Vec<String> = allowed.iter().map(|a| format!("{{{a}}}")).collect();
            return Err(format!(
                "unknown placeholder {{{key}}} in {template:?}, expected one of {}",
                list.join(", ")
            ));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(())
}

/// Fill a template checked by [`check_template`].
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (key, value) in values {
        out = out.replace(&format!("{{{key}}}"), value);
    }
    out
}

pub fn check_relative_pattern(p: &str) -> Result<(), String> {
    if p.trim().is_empty() {
        return Err("empty path".into());
    }
    if Path::new(p).is_absolute() || p.starts_with('/') || p.starts_with('\\') {
        return Err(format!("{p:?} must be relative to the repository root"));
    }
    if p.split(['/', '\\']).any(|c| c == "..") {
        return Err(format!("{p:?} must stay inside the repository (no `..`)"));
    }
    glob::Pattern::new(p).map_err(|e| format!("{p:?} is not a valid glob: {e}"))?;
    Ok(())
}

/// PEP 503 name normalization: runs of `-`, `_`, `.` become `-`, lowercase.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_sep = false;
        }
    }
    out
}

pub fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s).trim_end()
}

/// An OpenPGP key fingerprint (40 hex digits, or 64 for v5/v6 keys; spaces allowed), as gpg
/// reports it: upper case, no spaces.
pub fn check_fingerprint(text: &str) -> Result<String, String> {
    let fingerprint: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if matches!(fingerprint.len(), 40 | 64) && fingerprint.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(fingerprint)
    } else {
        Err(format!(
            "{text:?} is not a key fingerprint: give the 40 hex digits `gpg --fingerprint` shows (not a key id or an email)"
        ))
    }
}
