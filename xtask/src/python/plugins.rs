//! Discovering plugins: expanding the manifest's paths, reading each plugin's metadata from
//! pyproject.toml, setup.cfg or setup.py (statically: setup.py is parsed, never run), and
//! finding its version files. Every problem of every plugin is reported at once. Reads only.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result};
use pep440_rs::Version;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::version_files::{find_version_files, glob_below};
use crate::manifest::{first_line, line_col, normalize_name, Manifest};
use crate::ops::cmd::{Cmd, Runner};
use crate::versions::files;

pub use super::version_files::{relative, VersionFile};

const READ_SETUP_PY: &str = include_str!("read_setup.py");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// PEP 621 metadata in pyproject.toml.
    Pyproject,
    /// Declarative setuptools metadata in setup.cfg.
    SetupCfg,
    /// Legacy setup.py.
    SetupPy,
}

#[derive(Debug, Clone)]
pub struct Plugin {
    pub name: String,
    pub normalized: String,
    /// Relative to the repository root, `/`-separated.
    pub dir: String,
    pub layout: Layout,
    pub version: Version,
    pub summary: String,
    pub keywords: Vec<String>,
    pub license: Option<String>,
    /// Declared runtime requirements, as written.
    pub dependencies: Vec<String>,
    /// Where each requirement literal (runtime and optional) stands, for rewriting pins.
    pub requirement_places: Vec<RequirementPlace>,
    pub build_requires: Vec<String>,
    pub version_files: Vec<VersionFile>,
    /// The metadata fields the static reading cannot read exactly (`version`, `dependencies`:
    /// computed in setup.py, `dynamic` in pyproject.toml): the build backend's metadata is
    /// asked for them (`plan::metadata`).
    pub inexact: Vec<String>,
    /// Globs (paths in the wheel) of committed package files the build backend leaves out by
    /// design (excluded packages and paths): never "missing" from the wheel.
    pub left_out: Vec<String>,
    /// towncrier's configuration, when the plugin compiles its changelog from fragments.
    pub towncrier: Option<super::towncrier::Towncrier>,
}

/// A requirement string at a byte offset of a file (relative to the plugin folder).
#[derive(Debug, Clone)]
pub struct RequirementPlace {
    pub file: String,
    pub offset: usize,
    pub text: String,
    /// The extra (`[project.optional-dependencies]` key) it belongs to; None for runtime
    /// dependencies (and wherever the extra is not known).
    pub extra: Option<String>,
}

#[derive(Default)]
struct Fields {
    name: Option<String>,
    summary: Option<String>,
    keywords: Vec<String>,
    license: Option<String>,
    dependencies: Option<(Vec<String>, String)>,
    places: Vec<RequirementPlace>,
    /// See [`Plugin::inexact`].
    inexact: Vec<String>,
}

/// Find and read every plugin the manifest names. `python` reads setup.py/setup.cfg files.
pub fn discover(
    root: &Path,
    manifest: &Manifest,
    runner: &Runner,
    python: Option<&Path>,
) -> Result<Vec<Plugin>, Vec<String>> {
    let mut problems = Vec::new();
    let dirs = expand_paths(root, manifest, &mut problems);

    // setup.py / setup.cfg are read by one Python call for all plugins.
    let legacy: Vec<&PathBuf> = dirs
        .iter()
        .filter(|d| d.join("setup.py").is_file() || d.join("setup.cfg").is_file())
        .collect();
    let mut legacy_meta: BTreeMap<PathBuf, SetupMeta> = BTreeMap::new();
    if !legacy.is_empty() {
        match python {
            None => problems
                .push("cannot read setup.py/setup.cfg metadata without Python (see the missing tools above)".into()),
            Some(py) => match read_setup_files(runner, py, &legacy) {
                Ok(map) => legacy_meta = map,
                Err(e) => problems.push(format!("{e:#}")),
            },
        }
    }

    let legacy_unread = !legacy.is_empty() && legacy_meta.is_empty();
    let mut plugins = Vec::new();
    for dir in &dirs {
        let rel = relative(root, dir);
        let needs_python = !dir.join("pyproject.toml").is_file() && legacy.contains(&dir);
        if needs_python && legacy_unread {
            continue; // already reported: setup.py/setup.cfg could not be read
        }
        match read_plugin(dir, &rel, manifest, legacy_meta.remove(dir)) {
            Ok(p) => plugins.push(p),
            Err(mut e) => problems.append(&mut e),
        }
    }

    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for p in &plugins {
        if let Some(other) = seen.insert(&p.normalized, &p.dir) {
            problems.push(format!(
                "{} and {other} both declare the name {:?}: plugin names must be unique",
                p.dir, p.name
            ));
        }
    }
    // With a plugin path or a plugin that could not be read, a [plugin.NAME] may well name
    // that plugin: one error per root cause.
    let incomplete = !problems.is_empty();
    for (name, o) in manifest.plugin_overrides.iter().filter(|_| !incomplete) {
        if !plugins.iter().any(|p| &p.normalized == name) {
            problems.push(format!(
                "{}: [plugin.{name}] names no discovered plugin ({})",
                o.at,
                names(&plugins)
            ));
        }
    }
    if problems.is_empty() {
        Ok(plugins)
    } else {
        Err(problems)
    }
}

fn names(plugins: &[Plugin]) -> String {
    let list: Vec<&str> = plugins.iter().map(|p| p.normalized.as_str()).collect();
    if list.is_empty() {
        "no plugins found".into()
    } else {
        format!("plugins: {}", list.join(", "))
    }
}

fn expand_paths(root: &Path, manifest: &Manifest, problems: &mut Vec<String>) -> Vec<PathBuf> {
    let excludes: Vec<glob::Pattern> = manifest
        .plugin_excludes
        .iter()
        .filter_map(|p| glob::Pattern::new(p).ok())
        .collect();
    let mut dirs = Vec::new();
    for entry in &manifest.plugin_paths {
        let pattern = glob_below(root, &entry.value);
        let is_glob = entry.value.contains(['*', '?', '[']);
        let matches: Vec<PathBuf> = match glob::glob(&pattern) {
            Ok(paths) => paths.filter_map(Result::ok).collect(),
            Err(e) => {
                problems.push(format!("{}: {:?} is not a valid glob: {e}", entry.at, entry.value));
                continue;
            }
        };
        let mut found = 0;
        let reported_before = problems.len();
        for path in matches {
            let rel = relative(root, &path);
            if excludes.iter().any(|x| x.matches(&rel)) {
                continue;
            }
            if !path.is_dir() {
                if !is_glob {
                    problems.push(format!("{}: plugin path {rel:?} is not a folder", entry.at));
                }
                continue;
            }
            let is_project = ["pyproject.toml", "setup.py", "setup.cfg"]
                .iter()
                .any(|f| path.join(f).is_file());
            if !is_project {
                problems.push(format!(
                    "{rel}: matched by {:?} ({}) but has no pyproject.toml, setup.py or setup.cfg; \
                     add it to [plugins] exclude or make it a Python project",
                    entry.value, entry.at
                ));
                continue;
            }
            found += 1;
            if !dirs.contains(&path) {
                dirs.push(path);
            }
        }
        // Nothing found, and nothing already said about this entry's matches.
        if found == 0 && problems.len() == reported_before {
            let what = if is_glob {
                "matches no plugin folder"
            } else {
                "does not exist"
            };
            problems.push(format!(
                "{}: plugin path {:?} {what} (paths are relative to {})",
                entry.at,
                entry.value,
                root.display()
            ));
        }
    }
    dirs.sort();
    dirs
}

#[derive(Deserialize)]
struct Pyproject {
    project: Option<PyprojectProject>,
    #[serde(rename = "build-system")]
    build_system: Option<BuildSystem>,
    tool: Option<Tool>,
}

/// `[tool.setuptools.dynamic] version = { file = ... }`: a plain-text version file.
#[derive(Deserialize)]
struct Tool {
    setuptools: Option<SetuptoolsTool>,
}

#[derive(Deserialize)]
struct SetuptoolsTool {
    dynamic: Option<SetuptoolsDynamic>,
}

#[derive(Deserialize)]
struct SetuptoolsDynamic {
    version: Option<DynamicVersion>,
}

#[derive(Deserialize)]
struct DynamicVersion {
    file: Option<OneOrMany>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct PyprojectProject {
    name: Option<String>,
    version: Option<toml::Value>,
    description: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    license: Option<License>,
    dependencies: Option<Vec<Spanned<String>>>,
    #[serde(rename = "optional-dependencies")]
    optional_dependencies: Option<BTreeMap<String, Vec<Spanned<String>>>>,
    #[serde(default)]
    dynamic: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum License {
    Expression(String),
    Table { text: Option<String>, file: Option<String> },
}

#[derive(Deserialize)]
struct BuildSystem {
    #[serde(default)]
    requires: Vec<String>,
}

#[derive(Deserialize, Default)]
struct SetupMeta {
    setup_py: Option<SetupFile>,
    setup_cfg: Option<SetupFile>,
}

#[derive(Deserialize, Default)]
struct SetupFile {
    #[serde(default)]
    fields: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    dynamic: Vec<String>,
    /// `[line, column, end line, end column, text]` of each install_requires literal.
    #[serde(default)]
    requirement_places: Vec<(usize, usize, usize, usize, String)>,
    /// Package patterns excluded from `find_packages`/`find_namespace_packages`.
    #[serde(default)]
    package_excludes: Vec<String>,
    error: Option<String>,
}

fn read_setup_files(runner: &Runner, python: &Path, dirs: &[&PathBuf]) -> Result<BTreeMap<PathBuf, SetupMeta>> {
    let out = runner.read(
        &Cmd::new(python, "read setup.py/setup.cfg metadata")
            .args(["-I", "-c", READ_SETUP_PY])
            .args(dirs.iter().map(|d| d.as_os_str())),
    )?;
    #[derive(Deserialize)]
    struct Entry {
        dir: PathBuf,
        #[serde(flatten)]
        meta: SetupMeta,
    }
    let entries: Vec<Entry> = serde_json::from_slice(&out.stdout).with_context(|| {
        let shown: String = String::from_utf8_lossy(&out.stdout).chars().take(300).collect();
        format!(
            "the setup.py reader printed unexpected output: {shown:?}{}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .map(|l| format!(" (stderr: {l})"))
                .unwrap_or_default()
        )
    })?;
    Ok(entries.into_iter().map(|e| (e.dir, e.meta)).collect())
}

/// What `[project]` of a pyproject.toml says: name, summary, keywords, license, the
/// requirements and where each is written; and whether the version is dynamic.
fn pyproject_fields(p: PyprojectProject, text: &str) -> (Fields, bool) {
    let mut fields = Fields::default();
    let version_dynamic = p.dynamic.iter().any(|d| d == "version");
    fields.inexact = p
        .dynamic
        .iter()
        .filter(|d| ["version", "dependencies", "optional-dependencies", "requires-python"].contains(&d.as_str()))
        .cloned()
        .collect();
    fields.name = p.name;
    fields.summary = p.description;
    fields.keywords = p.keywords;
    fields.license = p.license.and_then(|l| match l {
        License::Expression(s) => Some(s),
        License::Table { text, file } => text.or(file.map(|f| format!("see {f}"))),
    });
    let optional: Vec<(Option<String>, Spanned<String>)> = p
        .optional_dependencies
        .unwrap_or_default()
        .into_iter()
        .flat_map(|(extra, reqs)| reqs.into_iter().map(move |r| (Some(extra.clone()), r)))
        .collect();
    let runtime = p.dependencies.iter().flatten().map(|r| (None, r.clone()));
    for (extra, req) in runtime.chain(optional) {
        // The span covers the quotes; the text inside must be the value as written.
        let inner = req.span().start + 1..req.span().end.saturating_sub(1);
        if text.get(inner.clone()) == Some(req.get_ref().as_str()) {
            fields.places.push(RequirementPlace {
                file: "pyproject.toml".into(),
                offset: inner.start,
                text: req.get_ref().clone(),
                extra,
            });
        }
    }
    fields.dependencies = p.dependencies.map(|d| {
        (
            d.into_iter().map(Spanned::into_inner).collect(),
            "pyproject.toml".to_string(),
        )
    });
    (fields, version_dynamic)
}

/// What the plugin's wheel leaves out by design (globs of paths in the wheel), and its
/// towncrier configuration (whose fragments are never package data).
fn left_out_by_design(
    dir: &Path,
    pyproject: Option<&str>,
    setup_excludes: &[String],
) -> (Vec<String>, Option<super::towncrier::Towncrier>) {
    // hatch's `only-include` needs the plugin's files to name what it leaves out.
    let files = match pyproject.is_some_and(|t| t.contains("only-include")) {
        true => plugin_files(dir),
        false => Vec::new(),
    };
    let mut left_out = super::shipped::left_out(pyproject, setup_excludes, &files);
    let towncrier = super::towncrier::read(dir, pyproject);
    if let Some(t) = &towncrier {
        left_out.extend(t.left_out());
    }
    (left_out, towncrier)
}

/// The files below a plugin's folder (relative, `/`-separated), without hidden folders,
/// `__pycache__` and the build's own folders.
fn plugin_files(dir: &Path) -> Vec<String> {
    let skip = |e: &walkdir::DirEntry| {
        let name = e.file_name().to_string_lossy();
        e.depth() > 0
            && e.file_type().is_dir()
            && (name.starts_with('.') || ["__pycache__", "target", "dist", "build"].contains(&name.as_ref()))
    };
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| !skip(e))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(dir).ok()?;
            Some(rel.to_string_lossy().replace('\\', "/"))
        })
        .collect()
}

fn read_plugin(dir: &Path, rel: &str, manifest: &Manifest, legacy: Option<SetupMeta>) -> Result<Plugin, Vec<String>> {
    let mut problems = Vec::new();
    let (mut layout, mut fields) = (None, Fields::default());
    let setup_excludes: Vec<String> = legacy
        .iter()
        .flat_map(|m| [&m.setup_py, &m.setup_cfg])
        .flatten()
        .flat_map(|f| f.package_excludes.iter().cloned())
        .collect();
    let mut pyproject_text = None;
    let mut build_requires = vec!["setuptools>=40.8.0".to_string()];
    let mut version_text_files = Vec::new();
    let mut version_dynamic = false;
    let pyproject_path = dir.join("pyproject.toml");
    if pyproject_path.is_file() {
        match read_pyproject(&pyproject_path, &format!("{rel}/pyproject.toml")) {
            Ok((doc, text)) => {
                if let Some(bs) = doc.build_system {
                    build_requires = bs.requires;
                }
                let file = doc.tool.and_then(|t| t.setuptools?.dynamic?.version?.file);
                version_text_files = match file {
                    Some(OneOrMany::One(f)) => vec![f],
                    Some(OneOrMany::Many(f)) => f,
                    None => Vec::new(),
                };
                if let Some(p) = doc.project {
                    layout = Some(Layout::Pyproject);
                    let static_version = p.version.is_some();
                    (fields, version_dynamic) = pyproject_fields(p, &text);
                    if !static_version && !version_dynamic {
                        problems.push(format!(
                            "{rel}/pyproject.toml: [project] has no `version` and does not list it in `dynamic`, \
                             so no build backend accepts it: write `version = \"X.Y.Z\"` there, or \
                             `dynamic = [\"version\"]` with the backend's version source"
                        ));
                    }
                }
                pyproject_text = Some(text);
            }
            Err(e) => problems.push(e),
        }
    }
    if layout.is_none() {
        (layout, fields) = setup_fields(dir, rel, legacy.unwrap_or_default(), &mut problems);
    }
    let Some(layout) = layout else {
        problems.push(format!(
            "{rel}: no [project] table in pyproject.toml and no setup.py or setup.cfg metadata"
        ));
        return Err(problems);
    };
    check_fields(rel, layout, &mut fields, &mut problems);
    let (left_out, towncrier) = left_out_by_design(dir, pyproject_text.as_deref(), &setup_excludes);
    let normalized = fields.name.as_deref().map(normalize_name).unwrap_or_default();
    let (version_files, version) =
        find_version_files(dir, &version_text_files, rel, manifest, &normalized, &mut problems);
    if version.is_none() && version_dynamic {
        if let Some(p) = problems
            .iter_mut()
            .find(|p| p.starts_with(&format!("{rel}: the plugin has no version")))
        {
            *p = format!(
                "{rel}/pyproject.toml: the version is dynamic (`dynamic = [\"version\"]`) but comes from no source \
                 this tool can read and stamp: give `__version__ = \"X.Y.Z\"` in the package's __init__.py \
                 (with [tool.setuptools.dynamic] version = {{ attr = \"PACKAGE.__version__\" }} or \
                 [tool.hatch.version] path), a version file ([tool.setuptools.dynamic] version = {{ file = \"VERSION\" }}), \
                 or declare where the version is in the manifest (`[plugins] version-files`)"
            );
        }
    }
    match (fields.name, fields.summary, version, problems.is_empty()) {
        (Some(name), Some(summary), Some(version), true) => Ok(Plugin {
            normalized,
            name,
            dir: rel.to_string(),
            layout,
            version,
            summary,
            keywords: fields.keywords,
            license: fields.license,
            dependencies: fields.dependencies.map(|(d, _)| d).unwrap_or_default(),
            requirement_places: fields.places,
            build_requires,
            version_files,
            inexact: fields.inexact,
            left_out,
            towncrier,
        }),
        _ => Err(problems),
    }
}

/// What setup.cfg, then setup.py (whose fields win), say as the setup.py reader found it; and the layout.
fn setup_fields(dir: &Path, rel: &str, setup: SetupMeta, problems: &mut Vec<String>) -> (Option<Layout>, Fields) {
    let (mut layout, mut fields) = (None, Fields::default());
    for (file, data, this_layout) in [
        ("setup.cfg", setup.setup_cfg, Layout::SetupCfg),
        ("setup.py", setup.setup_py, Layout::SetupPy),
    ] {
        let Some(data) = data else { continue };
        if let Some(err) = data.error {
            problems.push(format!("{rel}/{file}: cannot be read statically: {err}"));
            continue;
        }
        if data.dynamic.iter().any(|d| d == "name" || d == "description") {
            problems.push(format!(
                "{rel}/{file}: name and description must be literal strings (found computed: {}); \
                 they are read without running {file}",
                data.dynamic.join(", ")
            ));
        }
        let text = |k: &str| data.fields.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let list = |k: &str| {
            data.fields.get(k).and_then(|v| v.as_array()).map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect::<Vec<_>>()
            })
        };
        if text("name").is_some() || this_layout == Layout::SetupPy {
            layout = Some(this_layout);
        }
        fields.name = text("name").or(fields.name);
        fields.summary = text("description").or(fields.summary);
        fields.license = text("license").or(fields.license);
        if let Some(k) = list("keywords") {
            fields.keywords = k;
        }
        if let Some(d) = list("install_requires") {
            fields.dependencies = Some((d, file.to_string()));
        }
        // Also the literal strings of a list that computes others (the backend gives the rest).
        if !data.requirement_places.is_empty() || list("install_requires").is_some() {
            fields.places = requirement_places(dir, file, &data.requirement_places);
        }
        for d in &data.dynamic {
            let computed: &[&str] = match d.as_str() {
                "version" => &["version"],
                "install_requires" => &["dependencies"],
                "**kwargs" => &["version", "dependencies"],
                _ => &[],
            };
            for field in computed {
                if !fields.inexact.iter().any(|f| f == field) {
                    fields.inexact.push(field.to_string());
                }
            }
        }
    }
    (layout, fields)
}

/// Drop a blank name or summary; report a missing or invalid name, no summary, and invalid dependencies.
fn check_fields(rel: &str, layout: Layout, fields: &mut Fields, problems: &mut Vec<String>) {
    let metadata = metadata_file(layout);
    fields.name = fields.name.take().filter(|n| !n.trim().is_empty());
    match &fields.name {
        None => problems.push(format!("{rel}: the plugin has no name: set `name` in {metadata}")),
        // PEP 508: ASCII letters and digits, with `.`, `_`, `-` inside.
        Some(n) if !is_distribution_name(n) => problems.push(format!(
            "{rel}: the plugin's name {n:?} is not a valid distribution name (ASCII letters and digits, \
             with `.`, `_` or `-` between them): fix `name` in {metadata}"
        )),
        Some(_) => {}
    }
    fields.summary = fields.summary.take().filter(|s| !s.trim().is_empty());
    if fields.summary.is_none() {
        problems.push(format!(
            "{rel}: the plugin has no summary: set `description` in {metadata} (one line saying what the plugin does)"
        ));
    }
    if let Some((dependencies, file)) = &fields.dependencies {
        for dep in dependencies {
            if let Err(e) = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(dep) {
                problems.push(format!(
                    "{rel}/{file}: dependency {dep:?} is not a PEP 508 requirement: {}",
                    first_line(&e.to_string())
                ));
            }
        }
    }
}

/// Byte offsets of requirement literals: from the AST positions of setup.py, or by reading
/// `[options] install_requires` of setup.cfg.
fn requirement_places(
    dir: &Path,
    file: &str,
    ast_places: &[(usize, usize, usize, usize, String)],
) -> Vec<RequirementPlace> {
    let Ok(text) = fs::read_to_string(dir.join(file)) else {
        return Vec::new();
    };
    let place = |offset: usize, value: &str| RequirementPlace {
        file: file.to_string(),
        offset,
        text: value.to_string(),
        extra: None,
    };
    if file == "setup.cfg" {
        return files::cfg_values(&text, "options", "install_requires")
            .into_iter()
            .map(|r| place(r.start, &text[r]))
            .collect();
    }
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |line: usize, col: usize| line_starts.get(line.wrapping_sub(1)).map(|s| s + col);
    ast_places
        .iter()
        .filter_map(|(line, col, end_line, end_col, value)| {
            let literal = text.get(offset(*line, *col)?..offset(*end_line, *end_col)?)?;
            let start = offset(*line, *col)? + literal.find(value.as_str())?;
            Some(place(start, value))
        })
        .collect()
}

/// A name pip and the indexes take (PEP 508 `identifier`).
pub fn is_distribution_name(name: &str) -> bool {
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    ends_ok(name.chars().next())
        && ends_ok(name.chars().last())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

impl Plugin {
    /// `file` (relative to the plugin folder) relative to the repository root: a plugin at
    /// the root (`paths = ["."]`) has no folder prefix.
    pub fn path(&self, file: &str) -> String {
        format!("{}{file}", self.prefix())
    }

    /// What its files' repository paths start with: `plugins/x/`, or nothing at the root.
    pub fn prefix(&self) -> String {
        folder_prefix(&self.dir)
    }

    /// The file that holds its metadata.
    pub fn layout_file(&self) -> &'static str {
        match self.layout {
            Layout::Pyproject => "pyproject.toml",
            Layout::SetupCfg => "setup.cfg",
            Layout::SetupPy => "setup.py",
        }
    }
}

/// What the repository paths of files in the folder `dir` start with: `dir/`, or nothing for
/// the repository root (`""` or `"."`).
pub fn folder_prefix(dir: &str) -> String {
    match dir.trim_end_matches('/') {
        "" | "." => String::new(),
        dir => format!("{dir}/"),
    }
}

/// Whether the folder `inner` is `outer` or inside it (the root holds every folder).
pub fn folder_holds(outer: &str, inner: &str) -> bool {
    inner == outer.trim_end_matches('/') || inner.starts_with(&folder_prefix(outer))
}

fn metadata_file(layout: Layout) -> &'static str {
    match layout {
        Layout::Pyproject => "[project] in pyproject.toml",
        Layout::SetupCfg => "[metadata] in setup.cfg",
        Layout::SetupPy => "setup() in setup.py",
    }
}

fn read_pyproject(path: &Path, shown: &str) -> Result<(Pyproject, String), String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    let doc = toml::from_str(&text).map_err(|e| {
        let (line, col) = e.span().map(|s| line_col(&text, s.start)).unwrap_or((1, 1));
        format!("{shown}:{line}:{col}: {}", e.message().trim_end())
    })?;
    Ok((doc, text))
}

/// Words in a plugin's build configuration that name a build plugin reading git's history
/// (setuptools-scm, hatch-vcs, versioningit, dunamai, pdm's `source = "scm"`, ...): such a
/// build also depends on the commit and the tags, not only on the files.
const READS_GIT_HISTORY: &[&str] = &[
    "scm",
    "vcs",
    "versioningit",
    "dunamai",
    "dynamic-versioning",
    "git-versioning",
];

/// Whether the build of the plugin in `dir` reads git's history (see [`READS_GIT_HISTORY`]).
pub fn reads_git_history(dir: &Path) -> bool {
    let config: String = ["pyproject.toml", "setup.cfg", "setup.py"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(dir.join(f)).ok())
        .collect::<String>()
        .to_ascii_lowercase();
    READS_GIT_HISTORY.iter().any(|w| config.contains(w))
}

#[cfg(test)]
mod tests {
    use super::{folder_holds, folder_prefix};

    #[test]
    fn folders_hold_by_path_segments_and_the_root_holds_all() {
        assert!(folder_holds("plugins/a", "plugins/a"));
        assert!(folder_holds("plugins/a/", "plugins/a/sub"));
        assert!(folder_holds(".", "plugins/a"));
        assert!(folder_holds("", "plugins/a"));
        assert!(!folder_holds("plugins/a", "plugins/ab"));
        assert!(!folder_holds("plugins/a/sub", "plugins/a"));
        assert!(!folder_holds("plugins/x", ""));
        assert_eq!(folder_prefix("."), "");
        assert_eq!(folder_prefix("plugins/a/"), "plugins/a/");
    }
}
