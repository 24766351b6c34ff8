//! Where a plugin keeps its version: the files its build reads it from (`pyproject.toml`,
//! `setup.cfg`, `setup.py`, `__version__` in its packages), the files the manifest declares,
//! and the one version they agree on. Reading the text of one file is `versions::files`; this
//! module finds the files of a plugin folder and checks them together.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Result;
use pep440_rs::Version;

use crate::manifest::{line_col, Manifest, VersionFileKind, VersionFileSpec};
use crate::versions::files;

/// Files of a package that commonly hold `__version__`.
const DUNDER_FILES: &[&str] = &[
    "__init__.py",
    "_version.py",
    "__about__.py",
    "version.py",
    "__version__.py",
];

/// Folders next to packages that are never the plugin's own package.
const SKIP_DIRS: &[&str] = &["build", "dist", "tests", "test", "docs", "node_modules", "venv"];

#[derive(Debug, Clone)]
pub struct VersionFile {
    /// Relative to the plugin folder, `/`-separated.
    pub path: String,
    pub kind: VersionFileKind,
    /// The version text at each place it was found.
    pub found: Vec<String>,
}

/// A glob for `pattern` below `dir`, with glob characters in `dir` itself (`ci[1]`) escaped.
pub fn glob_below(dir: &Path, pattern: &str) -> String {
    format!("{}/{pattern}", glob::Pattern::escape(&dir.to_string_lossy()))
}

pub fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Auto-detected version files plus the manifest's; returns them and the one version they agree on.
pub fn find_version_files(
    dir: &Path,
    extra_detected: &[String],
    rel: &str,
    manifest: &Manifest,
    normalized: &str,
    problems: &mut Vec<String>,
) -> (Vec<VersionFile>, Option<Version>) {
    let candidates = candidates(dir, extra_detected, rel, manifest, normalized, problems);
    let (mut files, mut unreadable) = (Vec::new(), false);
    for (path, kind, spec) in candidates {
        let shown = format!("{rel}/{path}");
        let text = match fs::read(dir.join(&path)).map(String::from_utf8) {
            Ok(Ok(t)) => t,
            Ok(Err(_)) => {
                problems.push(format!("{shown}: not UTF-8 text; version files must be UTF-8"));
                continue;
            }
            Err(e) => {
                problems.push(format!("{shown}: cannot read: {e}"));
                continue;
            }
        };
        let ranges = match files::locate(&kind, &text) {
            Ok(r) => r,
            Err(e) => {
                problems.push(e.describe(&shown));
                unreadable = true;
                continue;
            }
        };
        if let Some(spec) = spec {
            if ranges.len() != spec.count {
                problems.push(count_mismatch(&shown, spec, ranges.len()));
                continue;
            }
        } else if ranges.len() > 1 {
            problems.push(format!(
                "{shown}: the version appears {} times ({}); declare this file in the manifest with the expected `count`",
                ranges.len(),
                ranges.iter().map(|r| format!("line {}", line_col(&text, r.start).0)).collect::<Vec<_>>().join(", ")
            ));
            continue;
        }
        if ranges.is_empty() {
            continue;
        }
        let found: Vec<String> = ranges.iter().map(|r| text[r.clone()].to_string()).collect();
        files.push(VersionFile { path, kind, found });
    }
    let version = agreed_version(rel, &files, unreadable, problems);
    (files, version)
}

/// The files that may hold the version: the build files and `__version__` files found, the
/// `extra_detected` ones, and the manifest's declared files (which replace a found entry for
/// the same path). A declared file that does not exist is a problem unless optional.
fn candidates<'m>(
    dir: &Path,
    extra_detected: &[String],
    rel: &str,
    manifest: &'m Manifest,
    normalized: &str,
    problems: &mut Vec<String>,
) -> Vec<(String, VersionFileKind, Option<&'m VersionFileSpec>)> {
    let mut candidates: Vec<(String, VersionFileKind, Option<&VersionFileSpec>)> = Vec::new();
    for (file, kind) in [
        ("pyproject.toml", VersionFileKind::Pyproject),
        ("setup.cfg", VersionFileKind::SetupCfg),
        ("setup.py", VersionFileKind::SetupPy),
    ] {
        if dir.join(file).is_file() {
            candidates.push((file.to_string(), kind, None));
        }
    }
    for path in dunder_files(dir, normalized) {
        candidates.push((path, VersionFileKind::Python, None));
    }
    for path in extra_detected {
        if dir.join(path).is_file() && !candidates.iter().any(|(p, _, _)| p == path) {
            candidates.push((path.clone(), VersionFileKind::Text, None));
        }
    }
    let overrides = manifest
        .plugin_overrides
        .get(normalized)
        .map(|o| o.version_files.as_slice())
        .unwrap_or_default();
    for spec in manifest.version_files.iter().chain(overrides) {
        let matched: Vec<String> = glob::glob(&glob_below(dir, &spec.path))
            .map(|paths| {
                paths
                    .filter_map(Result::ok)
                    .filter(|p| p.is_file())
                    .map(|p| relative(dir, &p))
                    .collect()
            })
            .unwrap_or_default();
        if matched.is_empty() && !spec.optional {
            problems.push(format!(
                "{rel}/{}: version file declared at {} does not exist (set `optional = true` if some plugins lack it)",
                spec.path, spec.at
            ));
        }
        for path in matched {
            // A declared file replaces the auto-detected entry for the same path; several
            // declared entries for one file all apply (say its version and a build number).
            candidates.retain(|(p, _, declared)| p != &path || declared.is_some());
            candidates.push((path, spec.kind.clone(), Some(spec)));
        }
    }
    candidates
}

/// The one version the version files say; a problem if they disagree, or say none (unless one was unreadable).
fn agreed_version(rel: &str, files: &[VersionFile], unreadable: bool, problems: &mut Vec<String>) -> Option<Version> {
    if !files.iter().any(|f| f.kind.placeholder() == "version") {
        if !unreadable {
            problems.push(format!(
                "{rel}: the plugin has no version: set `version` in [project] of pyproject.toml, or `__version__ = \"X.Y.Z\"` \
                 in its package's __init__.py, or declare a version file in the manifest"
            ));
        }
        return None;
    }
    let mut parsed: Vec<(String, Version)> = Vec::new();
    for f in files.iter().filter(|f| f.kind.placeholder() == "version") {
        for text in &f.found {
            match crate::versions::parse(text) {
                Ok(v) => parsed.push((f.path.clone(), v)),
                Err(e) => problems.push(format!("{rel}/{}: {e}; write a version such as 1.2.0", f.path)),
            }
        }
    }
    let first = parsed.first().cloned();
    if let Some((first_path, first_version)) = &first {
        for (path, v) in &parsed {
            if v != first_version {
                problems.push(format!(
                    "{rel}: version files disagree: {first_path} says {first_version}, {path} says {v}; make them equal"
                ));
            }
        }
    }
    first.map(|(_, v)| v)
}

/// The problem of a declared version file whose version is found `found` times, not `spec.count`.
fn count_mismatch(shown: &str, spec: &VersionFileSpec, found: usize) -> String {
    let what = match &spec.kind {
        VersionFileKind::Pattern(p) => format!("pattern {p:?}"),
        VersionFileKind::Json(key) => format!("kind \"json\" with key {key:?}"),
        VersionFileKind::Yaml { key, .. } => format!("kind \"yaml\" with key {key:?}"),
        k => format!("kind {:?}", k.name()),
    };
    format!(
        "{shown}: {what} (declared at {}) matches {} time(s), expected {}; make it match exactly the value: \
         `pattern` is the text around one placeholder (e.g. \"VERSION = '{{version}}'\"), \
         `kind` reads a known format ({}; json takes `key`, a dotted path such as \"plugin.version\"), \
         `count` is how many times it must match",
        spec.at,
        found,
        spec.count,
        VersionFileKind::NAMES.join(", ")
    )
}

/// `__version__` files of the plugin's own top-level packages (in its folder or in `src/`,
/// also below namespace folders: without `__init__.py`, or pkgutil / pkg_resources style) and
/// of a top-level module named like
/// the plugin. Subpackages (vendored code) are not searched: their `__version__` is not the
/// plugin's.
fn dunder_files(dir: &Path, normalized: &str) -> Vec<String> {
    let module = format!("{}.py", normalized.replace('-', "_"));
    let mut found = Vec::new();
    collect_packages(dir, 0, Some(&module), &mut found);
    collect_packages(&dir.join("src"), 0, Some(&module), &mut found);
    found.sort();
    found.dedup();
    found
        .into_iter()
        .filter(|path| {
            fs::read_to_string(path)
                .is_ok_and(|t| files::locate(&VersionFileKind::Python, &t).is_ok_and(|ranges| !ranges.is_empty()))
        })
        .map(|path| relative(dir, &path))
        .collect()
}

/// Whether an `__init__.py` only declares a namespace package (pkgutil's `extend_path` or
/// pkg_resources' `declare_namespace`): a folder shared by several distributions, not the
/// plugin's package.
fn declares_namespace(init: &Path) -> bool {
    fs::read_to_string(init).is_ok_and(|t| t.contains("extend_path(") || t.contains("declare_namespace("))
}

/// Candidate `__version__` files of the packages in `dir`, descending through namespace
/// folders (without `__init__.py`, or whose `__init__.py` declares a pkgutil or pkg_resources
/// namespace; up to three levels); `module` is a top-level module name to include.
fn collect_packages(dir: &Path, depth: usize, module: Option<&str>, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if path.is_dir() {
            let identifier =
                name.chars().all(|c| c.is_alphanumeric() || c == '_') && !name.starts_with(char::is_numeric);
            if !identifier || SKIP_DIRS.contains(&name.as_str()) || (depth == 0 && name == "src") {
                continue;
            }
            let init = path.join("__init__.py");
            if init.is_file() && !declares_namespace(&init) {
                found.extend(DUNDER_FILES.iter().map(|f| path.join(f)));
            } else if depth < 3 {
                collect_packages(&path, depth + 1, None, found);
            }
        } else if module == Some(name.as_str()) {
            found.push(path);
        }
    }
}
