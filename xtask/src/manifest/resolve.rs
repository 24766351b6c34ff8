//! The manifest, `release-config.toml`: its schema, its defaults and its validation.
//!
//! Owns every error that points into the manifest (always `file:line:col: message`). It reads
//! one file and never looks at plugins, git or Python: discovery checks that paths exist.

pub mod workspace;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::ops::archive::ArchiveFormat;
use crate::python::platform::TargetOs;

pub const MANIFEST_FILE: &str = "release-config.toml";

/// `[python] cache-max-mb`: 4 GiB.
const DEFAULT_CACHE_MAX_MB: u64 = 4096;
/// Build tools installed into the managed venv unless the manifest says otherwise.
pub const DEFAULT_BUILD_TOOLS: &[&str] = &["pip==26.3", "build==1.6.1", "setuptools==84.2.1", "wheel==0.48.0"];
const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple";
const DEFAULT_ARCHIVE_NAME: &str = "{release}-{version}-{platform}";
const DEFAULT_TAG: &str = "{name}-v{version}";
const DEFAULT_GROUP_TAG: &str = "v{version}";
const DEFAULT_COMMIT_MESSAGE: &str = "Release {release} {version}";
const DEFAULT_BUILD_NUMBER_ENV: &[&str] = &[
    "XTASK_BUILD_NUMBER",
    "GITHUB_RUN_NUMBER",
    "CI_PIPELINE_IID",
    "BUILD_NUMBER",
];

// ---------------------------------------------------------------------------------------------
// What the file may contain. Strict: unknown keys are errors.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawManifest {
    release: RawRelease,
    #[serde(default)]
    plugins: RawPlugins,
    #[serde(default)]
    plugin: BTreeMap<Spanned<String>, RawPluginOverride>,
    #[serde(default)]
    groups: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    public: RawPublic,
    #[serde(default)]
    python: RawPython,
    #[serde(default)]
    nightly: RawNightly,
    #[serde(default)]
    versioning: RawVersioning,
    #[serde(default)]
    publish: RawPublish,
    platforms: BTreeMap<Spanned<String>, RawPlatform>,
    #[serde(default)]
    ci: RawCi,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCi {
    providers: Option<Vec<Spanned<String>>>,
    dev_upload_on_push: Option<Spanned<bool>>,
    #[serde(default)]
    gitlab: RawGitlab,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawGitlab {
    #[serde(default)]
    runner_tags: BTreeMap<Spanned<String>, Vec<String>>,
    image: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRelease {
    name: Spanned<String>,
    output: Option<String>,
    version_from: Option<Spanned<String>>,
    archive_name: Option<Spanned<String>>,
    tag: Option<Spanned<String>>,
    group_tag: Option<Spanned<String>>,
    commit_message: Option<Spanned<String>>,
    #[serde(default)]
    branches: Vec<String>,
    #[serde(default)]
    sign_tags: bool,
    #[serde(default)]
    sign_artifacts: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPlugins {
    paths: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    version_files: Vec<RawVersionFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPluginOverride {
    #[serde(default)]
    version_files: Vec<RawVersionFile>,
    #[serde(default)]
    wheel_excludes: Vec<Spanned<String>>,
    verify_import: Option<bool>,
    upload: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawVersionFile {
    path: Spanned<String>,
    kind: Option<Spanned<String>>,
    pattern: Option<Spanned<String>>,
    key: Option<Spanned<String>>,
    count: Option<usize>,
    #[serde(default)]
    optional: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPublic {
    #[serde(default)]
    requirements: Vec<Spanned<String>>,
    index_url: Option<Spanned<String>>,
    #[serde(default)]
    extra_index_urls: Vec<Spanned<String>>,
    #[serde(default)]
    find_links: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPython {
    interpreter: Option<String>,
    build_tools: Option<Vec<Spanned<String>>>,
    cache_max_mb: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawNightly {
    build_number_env: Option<Vec<String>>,
    build_number_digits: Option<Spanned<u32>>,
    #[serde(default)]
    local_version: bool,
    upload: Option<Spanned<RawUpload>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPublish {
    #[serde(default)]
    push: bool,
    remote: Option<String>,
    release_dir: Option<String>,
    upload: Option<RawUpload>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawUpload {
    repository_url: Spanned<String>,
    index_url: Option<Spanned<String>>,
    #[serde(default)]
    production: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawVersioning {
    strategy: Option<Spanned<String>>,
    sibling_pins: Option<Spanned<String>>,
    changelog: Option<String>,
    #[serde(default)]
    allow_empty_changelog: bool,
    changelog_heading: Option<Spanned<String>>,
    changelog_unreleased: Option<Spanned<String>>,
    next_dev: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPlatform {
    tags: Spanned<Vec<Spanned<String>>>,
    python: Spanned<String>,
    implementation: Option<Spanned<String>>,
    abi: Option<Spanned<String>>,
    format: Option<Spanned<String>>,
    collect: Option<Spanned<String>>,
}

// ---------------------------------------------------------------------------------------------
// What the rest of the program sees: validated, defaults resolved.

#[derive(Debug, Clone)]
pub struct Manifest {
    /// Absolute path of the manifest file, for messages.
    pub path: PathBuf,
    pub release: Release,
    pub plugin_paths: Vec<Located<String>>,
    pub plugin_excludes: Vec<String>,
    /// Version files every plugin has (paths relative to each plugin).
    pub version_files: Vec<VersionFileSpec>,
    /// Per-plugin settings, keyed by normalized plugin name.
    pub plugin_overrides: BTreeMap<String, PluginOverride>,
    pub groups: Vec<Group>,
    pub public: Public,
    pub python: PythonSettings,
    pub nightly: NightlySettings,
    pub versioning: Versioning,
    pub publish: Publish,
    pub platforms: Vec<Platform>,
    pub ci: Ci,
}

/// `[ci]`: which CI systems `cargo xtask ci` writes pipelines for.
#[derive(Debug, Clone)]
pub struct Ci {
    pub github: bool,
    pub gitlab: bool,
    /// `[ci.gitlab] runner-tags`: the runner tags of each platform's job, by platform name
    /// (platforms not named get the defaults of `gitlab_runner_tags`).
    pub gitlab_runner_tags: BTreeMap<String, Vec<String>>,
    /// `[ci.gitlab] image`: the pipeline's default image (Docker executors).
    pub gitlab_image: Option<String>,
    /// `[ci] dev-upload-on-push`: every push to the release branches uploads a dev build to
    /// `[nightly.upload]`.
    pub dev_upload_on_push: bool,
}

/// Where versions live between releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Version files hold the released version; a bump is written into them and committed.
    Commit,
    /// Version files hold a placeholder; versions are written only into build copies and
    /// the current version is the newest release tag.
    Stamp,
}

/// How requirements between plugins are rewritten for a new version X.Y.Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SiblingPins {
    /// `==X.Y.*,>=X.Y.Z`
    Compatible,
    /// `==X.Y.Z`
    Exact,
    /// `>=X.Y.Z`
    Minimum,
}

/// What `release` does after the release commit and tags exist.
#[derive(Debug, Clone)]
pub struct Publish {
    /// `git push --atomic` of the branch and tags.
    pub push: bool,
    pub remote: String,
    /// Copy the artifacts here (overridden by `--release-dir` and `RELEASE_DIR`).
    pub release_dir: Option<String>,
    pub upload: Option<Upload>,
}

/// A package index to upload sdists and wheels to with twine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Upload {
    /// twine's `--repository-url` (may hold `${VAR}`).
    pub repository_url: String,
    /// The PEP 503 index of that repository, to see which files it already has.
    pub index_url: String,
    /// Dev and local versions are never uploaded to a production index.
    pub production: bool,
}

#[derive(Debug, Clone)]
pub struct Versioning {
    pub strategy: Strategy,
    pub sibling_pins: SiblingPins,
    /// Changelog file relative to each plugin; `None` when disabled with `changelog = ""`.
    pub changelog: Option<String>,
    pub allow_empty_changelog: bool,
    /// How changelogs name their sections.
    pub changelog_style: crate::versions::changelog::style::Style,
    /// After a release commit, commit the next `.dev0` versions (commit strategy).
    pub next_dev: bool,
}

/// A value together with where it stands in the manifest, for later errors.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub at: String,
}

#[derive(Debug, Clone)]
pub struct Release {
    pub name: String,
    pub output: PathBuf,
    pub version_from: Option<Located<String>>,
    pub archive_name: String,
    pub tag: String,
    pub group_tag: String,
    pub commit_message: String,
    /// Branches releases may be made from; empty: any.
    pub branches: Vec<String>,
    pub sign_tags: bool,
    /// Sign every archive and `SHA256SUMS` with gpg (`<file>.asc`).
    pub sign_artifacts: bool,
}

#[derive(Debug, Clone)]
pub struct PluginOverride {
    pub at: String,
    pub version_files: Vec<VersionFileSpec>,
    /// Globs (paths as in the wheel, e.g. `acme_x/tests/*`) of committed package files the
    /// wheel is meant to leave out.
    pub wheel_excludes: Vec<String>,
    /// `verify` imports the plugin after an offline install.
    pub verify_import: bool,
    /// `[publish.upload]` uploads its sdist and wheel.
    pub upload: bool,
}

impl Manifest {
    /// `[plugin.NAME] verify-import` of a plugin (normalized name); true when not set.
    pub fn verify_import(&self, plugin: &str) -> bool {
        self.plugin_overrides.get(plugin).is_none_or(|o| o.verify_import)
    }

    /// `[plugin.NAME] upload` of a plugin (normalized name); true when not set.
    pub fn uploads(&self, plugin: &str) -> bool {
        self.plugin_overrides.get(plugin).is_none_or(|o| o.upload)
    }
}

/// Placeholders a version-file pattern may use (exactly one per pattern).
pub const PLACEHOLDERS: &[&str] = &["version", "date", "build", "commit"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionFileKind {
    Pyproject,
    SetupPy,
    SetupCfg,
    Python,
    /// A JSON file; the version is the string at this dotted key (`version`, `plugin.version`).
    Json(String),
    /// A file holding only the version (`VERSION`, `version.txt`).
    Text,
    /// A search pattern with a `{version}` placeholder.
    Pattern(String),
}

impl VersionFileKind {
    pub const NAMES: &'static [&'static str] = &["pyproject", "setup-py", "setup-cfg", "python", "json", "text"];

    /// What the located text is: `version` for every kind but patterns using another
    /// placeholder (`date`, `build`, `commit`).
    pub fn placeholder(&self) -> &str {
        match self {
            Self::Pattern(p) => PLACEHOLDERS
                .iter()
                .find(|ph| p.contains(&format!("{{{ph}}}")))
                .copied()
                .unwrap_or("version"),
            _ => "version",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Pyproject => "pyproject",
            Self::SetupPy => "setup-py",
            Self::SetupCfg => "setup-cfg",
            Self::Python => "python",
            Self::Json(_) => "json",
            Self::Text => "text",
            Self::Pattern(_) => "pattern",
        }
    }
}

#[derive(Debug, Clone)]
pub struct VersionFileSpec {
    pub path: String,
    pub kind: VersionFileKind,
    /// How many places must match; a different count is an error.
    pub count: usize,
    /// A missing file is skipped instead of reported.
    pub optional: bool,
    pub at: String,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    /// Normalized plugin names.
    pub members: Vec<Located<String>>,
    pub at: String,
}

#[derive(Debug, Clone)]
pub struct Public {
    pub requirements: Vec<String>,
    pub index_url: Located<String>,
    pub extra_index_urls: Vec<Located<String>>,
    pub find_links: Vec<Located<String>>,
}

#[derive(Debug, Clone)]
pub struct PythonSettings {
    pub interpreter: Option<String>,
    pub build_tools: Vec<String>,
    /// The work folder's cache (built plugins, archives, pip's and uv's) is pruned to this
    /// many bytes after each run.
    pub cache_max_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct NightlySettings {
    pub build_number_env: Vec<String>,
    /// Width of the build number in the dev number (`YYYYMMDD` + this many digits).
    pub build_number_digits: u32,
    pub local_version: bool,
    /// `nightly --upload` uploads the plugins' sdists and wheels here (a development index).
    pub upload: Option<Upload>,
}

/// A `[platforms.NAME]` table, resolved (defined with the platform rules it feeds).
pub use crate::python::platform::Platform;

// ---------------------------------------------------------------------------------------------

impl Manifest {
    /// Read and validate the manifest at `path`. `shown` is how messages name the file.
    pub fn load(path: &Path, shown: &str) -> Result<Manifest> {
        let bytes = std::fs::read(path).with_context(|| {
            format!("cannot read the manifest {shown}: create it (`cargo xtask init`, or see xtask/docs/manifest.md)")
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let (line, col) = line_col(&String::from_utf8_lossy(e.as_bytes()), e.utf8_error().valid_up_to());
            crate::error::input_error(format!(
                "{shown}:{line}:{col}: the manifest is not UTF-8 text: save it as UTF-8"
            ))
        })?;
        Self::parse(&text, path, shown)
    }

    pub fn parse(text: &str, path: &Path, shown: &str) -> Result<Manifest> {
        let src = Source { text, shown };
        let raw: RawManifest = toml::from_str(text).map_err(|err| {
            let at = err.span().map(|s| src.at(&s)).unwrap_or_else(|| shown.to_string());
            anyhow::anyhow!("{at}: {}", err.message().trim_end())
        })?;
        let mut problems = Problems::default();
        let manifest = resolve(raw, &src, path, &mut problems);
        problems.finish(shown)?;
        Ok(manifest)
    }

    pub fn platform(&self, name: &str) -> Option<&Platform> {
        self.platforms.iter().find(|p| p.name == name)
    }
}

struct Source<'a> {
    text: &'a str,
    shown: &'a str,
}

impl Source<'_> {
    /// `file:line:col` of a byte offset range (1-based line and column, in characters).
    fn at(&self, span: &Range<usize>) -> String {
        let (line, col) = line_col(self.text, span.start);
        format!("{}:{line}:{col}", self.shown)
    }
    fn at_spanned<T>(&self, v: &Spanned<T>) -> String {
        self.at(&v.span())
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..offset].chars().count() + 1;
    (line, col)
}

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, at: String, message: impl std::fmt::Display) {
        self.0.push(format!("{at}: {message}"));
    }
    fn finish(self, shown: &str) -> Result<()> {
        match self.0.len() {
            0 => Ok(()),
            1 => bail!("{}", self.0[0]),
            n => {
                let mut msg = format!("{shown} has {n} problems:");
                for p in &self.0 {
                    let _ = write!(msg, "\n  - {p}");
                }
                bail!(msg)
            }
        }
    }
}

fn resolve(raw: RawManifest, src: &Source, path: &Path, problems: &mut Problems) -> Manifest {
    let RawManifest {
        release,
        plugins,
        plugin,
        groups,
        public,
        python,
        nightly,
        versioning,
        publish,
        platforms,
        ci,
    } = raw;

    let release = resolve_release(release, src, problems);

    // [plugins] and [plugin.NAME]
    let (plugin_paths, plugin_excludes) = resolve_plugin_paths(plugins.paths, plugins.exclude, src, problems);
    let version_files = resolve_version_files(plugins.version_files, src, problems);
    let plugin_overrides = resolve_plugin_overrides(plugin, src, problems);

    // [groups]
    for (name, members) in &groups {
        if members.is_empty() {
            problems.push(
                src.at_spanned(name),
                format!(
                    "group {:?} lists no plugins: name its plugins or remove it",
                    name.get_ref()
                ),
            );
        }
    }
    let groups = groups
        .into_iter()
        .map(|(name, members)| Group {
            at: src.at_spanned(&name),
            name: name.into_inner(),
            members: members
                .into_iter()
                .map(|m| Located {
                    at: src.at_spanned(&m),
                    value: normalize_name(m.get_ref()),
                })
                .collect(),
        })
        .collect();

    // [public]
    let requirements = requirement_list(public.requirements, src, problems);
    let root = path.parent().unwrap_or(Path::new("."));
    let mut url = |u: Spanned<String>, folder_root: Option<&Path>| {
        if let Err(e) = check_location(u.get_ref(), folder_root) {
            problems.push(src.at_spanned(&u), e);
        }
        Located {
            at: src.at_spanned(&u),
            value: u.into_inner(),
        }
    };
    let public = Public {
        requirements,
        index_url: public.index_url.map(|u| url(u, None)).unwrap_or_else(|| Located {
            value: DEFAULT_INDEX_URL.to_string(),
            at: format!("{} (default)", src.shown),
        }),
        extra_index_urls: public.extra_index_urls.into_iter().map(|u| url(u, None)).collect(),
        find_links: public.find_links.into_iter().map(|u| url(u, Some(root))).collect(),
    };

    // [python]
    let build_tools = match python.build_tools {
        None => DEFAULT_BUILD_TOOLS.iter().map(|s| s.to_string()).collect(),
        Some(tools) => requirement_list(tools, src, problems),
    };
    let python = PythonSettings {
        interpreter: python.interpreter,
        build_tools,
        cache_max_bytes: python.cache_max_mb.unwrap_or(DEFAULT_CACHE_MAX_MB) * 1024 * 1024,
    };

    let nightly = resolve_nightly(nightly, src, problems);

    let versioning = resolve_versioning(versioning, src, problems);

    // [publish]
    let upload = publish
        .upload
        .map(|u| resolve_upload(u, "[publish.upload]", src, problems));
    let publish = Publish {
        push: publish.push,
        remote: publish.remote.unwrap_or_else(|| "origin".to_string()),
        release_dir: publish.release_dir.filter(|d| !d.trim().is_empty()),
        upload,
    };

    // [platforms.NAME]
    let platforms = platforms
        .into_iter()
        .filter_map(|(name, p)| resolve_platform(name, p, src, problems))
        .collect::<Vec<_>>();
    if platforms.is_empty() && problems.0.is_empty() {
        problems.push(
            src.shown.to_string(),
            "no [platforms.NAME] table: declare at least one target platform (see xtask/docs/manifest.md)",
        );
    }

    let ci = resolve_ci(ci, &platforms, nightly.upload.is_some(), src, problems);
    Manifest {
        path: path.to_path_buf(),
        release,
        plugin_paths,
        plugin_excludes,
        version_files,
        plugin_overrides,
        groups,
        public,
        python,
        nightly,
        versioning,
        publish,
        platforms,
        ci,
    }
}

/// `[ci]`: known providers (default GitHub only), runner tags for platforms that exist.
fn resolve_ci(ci: RawCi, platforms: &[Platform], nightly_upload: bool, src: &Source, problems: &mut Problems) -> Ci {
    let mut out = Ci {
        github: ci.providers.is_none(),
        gitlab: false,
        gitlab_runner_tags: BTreeMap::new(),
        gitlab_image: ci.gitlab.image.filter(|i| !i.trim().is_empty()),
        dev_upload_on_push: ci.dev_upload_on_push.as_ref().is_some_and(|d| *d.get_ref()),
    };
    if let Some(on) = ci.dev_upload_on_push.filter(|d| *d.get_ref()) {
        if !nightly_upload {
            problems.push(
                src.at_spanned(&on),
                "[ci] dev-upload-on-push = true needs a [nightly.upload] table: the development index to upload to",
            );
        }
    }
    for provider in ci.providers.iter().flatten() {
        match provider.get_ref().as_str() {
            "github" => out.github = true,
            "gitlab" => out.gitlab = true,
            other => problems.push(
                src.at_spanned(provider),
                format!("[ci] providers: unknown provider {other:?}; use \"github\" and/or \"gitlab\""),
            ),
        }
    }
    for (name, tags) in ci.gitlab.runner_tags {
        if !platforms.iter().any(|p| p.name == *name.get_ref()) {
            problems.push(
                src.at_spanned(&name),
                format!(
                    "[ci.gitlab] runner-tags names {:?}, which is not a platform: use a name of [platforms.NAME]",
                    name.get_ref()
                ),
            );
        }
        out.gitlab_runner_tags.insert(name.into_inner(), tags);
    }
    out
}

/// `[plugins] paths` (default `plugins/*`) and `exclude`, each a relative pattern.
fn resolve_plugin_paths(
    paths: Option<Vec<Spanned<String>>>,
    exclude: Vec<Spanned<String>>,
    src: &Source,
    problems: &mut Problems,
) -> (Vec<Located<String>>, Vec<String>) {
    let plugin_paths = match paths {
        Some(paths) => paths
            .into_iter()
            .filter_map(|p| {
                let at = src.at_spanned(&p);
                let value = p.into_inner();
                if let Err(e) = check_relative_pattern(&value) {
                    problems.push(at, e);
                    return None;
                }
                Some(Located { value, at })
            })
            .collect(),
        None => vec![Located {
            value: "plugins/*".to_string(),
            at: format!("{} (default)", src.shown),
        }],
    };
    let plugin_excludes = exclude
        .into_iter()
        .filter_map(|p| match check_relative_pattern(p.get_ref()) {
            Ok(()) => Some(p.into_inner()),
            Err(e) => {
                problems.push(src.at_spanned(&p), e);
                None
            }
        })
        .collect();
    (plugin_paths, plugin_excludes)
}

/// `[release]`: the name, templates and tags, each checked.
fn resolve_release(release: RawRelease, src: &Source, problems: &mut Problems) -> Release {
    let name = release.name.get_ref().trim().to_string();
    if let Err(e) = check_release_name(&name) {
        problems.push(src.at_spanned(&release.name), e);
    }
    let template =
        |value: Option<Spanned<String>>, default: &str, allowed: &[&str], problems: &mut Problems| match value {
            None => default.to_string(),
            Some(v) => {
                if let Err(e) = check_template(v.get_ref(), allowed) {
                    problems.push(src.at_spanned(&v), e);
                }
                v.into_inner()
            }
        };
    let archive_name = template(
        release.archive_name,
        DEFAULT_ARCHIVE_NAME,
        &["release", "version", "platform", "os", "arch", "bits"],
        problems,
    );
    for (value, sample) in [(&release.tag, "acme-plugin-base"), (&release.group_tag, "core")] {
        if let Some(v) = value {
            let rendered = render(
                v.get_ref(),
                &[
                    ("name", sample),
                    ("group", sample),
                    ("release", &name),
                    ("version", "1.2.0"),
                ],
            );
            if let Err(e) = check_tag_template(v.get_ref(), &rendered) {
                problems.push(src.at_spanned(v), e);
            }
        }
    }
    let tag = template(release.tag, DEFAULT_TAG, &["name", "version"], problems);
    let group_tag = template(
        release.group_tag,
        DEFAULT_GROUP_TAG,
        &["group", "version", "release"],
        problems,
    );
    if let Some(m) = &release.commit_message {
        if m.get_ref().trim().is_empty() {
            problems.push(
                src.at_spanned(m),
                "commit-message must not be empty: git refuses empty messages",
            );
        }
    }
    let commit_message = template(
        release.commit_message,
        DEFAULT_COMMIT_MESSAGE,
        &["release", "version"],
        problems,
    );
    Release {
        name,
        output: {
            let output = release.output.unwrap_or_else(|| "dist".to_string());
            if Path::new(&output).components().any(|c| c.as_os_str() == ".git") {
                problems.push(
                    format!("{}: [release] output", src.shown),
                    format!("output {output:?} is inside .git, git's own folder: choose a folder such as \"dist\""),
                );
            }
            PathBuf::from(output)
        },
        version_from: release.version_from.map(|v| Located {
            at: src.at_spanned(&v),
            value: normalize_name(v.get_ref()),
        }),
        archive_name,
        tag,
        group_tag,
        commit_message,
        branches: release.branches,
        sign_tags: release.sign_tags,
        sign_artifacts: release.sign_artifacts,
    }
}

/// `[plugin.NAME]` tables, by normalized plugin name.
fn resolve_plugin_overrides(
    plugin: BTreeMap<Spanned<String>, RawPluginOverride>,
    src: &Source,
    problems: &mut Problems,
) -> BTreeMap<String, PluginOverride> {
    plugin
        .into_iter()
        .map(|(name, o)| {
            let at = src.at_spanned(&name);
            let files = resolve_version_files(o.version_files, src, problems);
            let mut wheel_excludes = Vec::new();
            for glob in o.wheel_excludes {
                match glob::Pattern::new(glob.get_ref()) {
                    Ok(_) => wheel_excludes.push(glob.into_inner()),
                    Err(e) => problems.push(
                        src.at_spanned(&glob),
                        format!("wheel-excludes: {:?} is not a glob pattern ({e})", glob.get_ref()),
                    ),
                }
            }
            (
                normalize_name(name.get_ref()),
                PluginOverride {
                    at,
                    version_files: files,
                    wheel_excludes,
                    verify_import: o.verify_import.unwrap_or(true),
                    upload: o.upload.unwrap_or(true),
                },
            )
        })
        .collect()
}

/// `[versioning]`: strategy, pins, changelogs and their style, next-dev.
fn resolve_versioning(versioning: RawVersioning, src: &Source, problems: &mut Problems) -> Versioning {
    let choice = |v: Option<Spanned<String>>, allowed: &[&str], problems: &mut Problems| -> Option<String> {
        let v = v?;
        if allowed.contains(&v.get_ref().as_str()) {
            Some(v.into_inner())
        } else {
            problems.push(
                src.at_spanned(&v),
                format!("{:?} is not one of {}", v.get_ref(), allowed.join(", ")),
            );
            None
        }
    };
    let changelog_style = {
        let default = crate::versions::changelog::style::Style::default();
        let at = versioning
            .changelog_heading
            .as_ref()
            .or(versioning.changelog_unreleased.as_ref())
            .map(|v| src.at_spanned(v));
        let heading = versioning
            .changelog_heading
            .as_ref()
            .map_or(default.heading.clone(), |v| v.get_ref().clone());
        let unreleased = versioning.changelog_unreleased.as_ref().map_or_else(
            // A custom heading's unreleased section defaults to `Unreleased` at its level.
            || match heading.find(' ') {
                Some(i) if versioning.changelog_heading.is_some() => format!("{} Unreleased", &heading[..i]),
                _ => default.unreleased.clone(),
            },
            |v| v.get_ref().clone(),
        );
        match crate::versions::changelog::style::Style::new(&heading, &unreleased) {
            Ok(style) => style,
            Err(e) => {
                problems.push(at.unwrap_or_else(|| src.shown.to_string()), format!("[versioning] {e}"));
                default
            }
        }
    };
    let next_dev = match &versioning.next_dev {
        Some(v) if *v.get_ref() && versioning.strategy.as_ref().is_some_and(|s| s.get_ref() == "stamp") => {
            problems.push(
                src.at_spanned(v),
                "[versioning] next-dev needs the commit strategy: with `stamp`, version files hold a placeholder",
            );
            false
        }
        Some(v) => *v.get_ref(),
        None => false,
    };
    Versioning {
        next_dev,
        changelog_style,
        strategy: match choice(versioning.strategy, &["commit", "stamp"], problems).as_deref() {
            Some("stamp") => Strategy::Stamp,
            _ => Strategy::Commit,
        },
        sibling_pins: match choice(versioning.sibling_pins, &["compatible", "exact", "minimum"], problems).as_deref() {
            Some("exact") => SiblingPins::Exact,
            Some("minimum") => SiblingPins::Minimum,
            _ => SiblingPins::Compatible,
        },
        changelog: match versioning.changelog {
            None => Some("CHANGELOG.md".to_string()),
            Some(s) if s.trim().is_empty() => None,
            Some(s) => Some(s),
        },
        allow_empty_changelog: versioning.allow_empty_changelog,
    }
}

fn resolve_version_files(raw: Vec<RawVersionFile>, src: &Source, problems: &mut Problems) -> Vec<VersionFileSpec> {
    raw.into_iter()
        .filter_map(|f| {
            let at = src.at_spanned(&f.path);
            if let Err(e) = check_relative_pattern(f.path.get_ref()) {
                problems.push(at, e);
                return None;
            }
            let kind = match (f.kind, f.pattern) {
                (Some(_), Some(p)) => {
                    problems.push(src.at_spanned(&p), "give either `kind` or `pattern`, not both");
                    return None;
                }
                (None, None) => {
                    problems.push(
                        at,
                        format!(
                            "a version file needs `kind` (one of {}) or `pattern` (text with {{version}})",
                            VersionFileKind::NAMES.join(", ")
                        ),
                    );
                    return None;
                }
                (Some(k), None) => match k.get_ref().as_str() {
                    "pyproject" => VersionFileKind::Pyproject,
                    "setup-py" => VersionFileKind::SetupPy,
                    "setup-cfg" => VersionFileKind::SetupCfg,
                    "python" => VersionFileKind::Python,
                    "json" => VersionFileKind::Json(String::new()),
                    "text" => VersionFileKind::Text,
                    other => {
                        problems.push(
                            src.at_spanned(&k),
                            format!(
                                "unknown version file kind {other:?}, expected one of {}",
                                VersionFileKind::NAMES.join(", ")
                            ),
                        );
                        return None;
                    }
                },
                (None, Some(p)) => {
                    let text = p.get_ref();
                    let used: Vec<&str> = PLACEHOLDERS
                        .iter()
                        .copied()
                        .filter(|ph| text.contains(&format!("{{{ph}}}")))
                        .collect();
                    let total: usize = PLACEHOLDERS
                        .iter()
                        .map(|ph| text.matches(&format!("{{{ph}}}")).count())
                        .sum();
                    if used.len() != 1 || total != 1 {
                        problems.push(
                            src.at_spanned(&p),
                            "a pattern must contain exactly one placeholder: {version}, {date}, {build} or {commit}",
                        );
                        return None;
                    }
                    let placeholder = format!("{{{}}}", used[0]);
                    if text.trim() == placeholder {
                        problems.push(
                            src.at_spanned(&p),
                            format!("a pattern needs text around `{placeholder}` to find the right place"),
                        );
                        return None;
                    }
                    if used[0] != "version" && text.ends_with(&placeholder) {
                        problems.push(
                            src.at_spanned(&p),
                            format!("a pattern needs text after `{placeholder}` to know where the old value ends"),
                        );
                        return None;
                    }
                    VersionFileKind::Pattern(p.into_inner())
                }
            };
            if f.count == Some(0) {
                problems.push(at.clone(), "`count` must be at least 1");
            }
            let kind = match (kind, f.key) {
                (VersionFileKind::Json(_), None) => VersionFileKind::Json("version".into()),
                (VersionFileKind::Json(_), Some(key)) => {
                    if key.get_ref().split('.').any(str::is_empty) {
                        problems.push(
                            src.at_spanned(&key),
                            format!("key {:?} must be dotted names, e.g. \"plugin.version\"", key.get_ref()),
                        );
                        return None;
                    }
                    VersionFileKind::Json(key.into_inner())
                }
                (_, Some(key)) => {
                    problems.push(src.at_spanned(&key), "`key` goes with kind = \"json\" only");
                    return None;
                }
                (kind, None) => kind,
            };
            Some(VersionFileSpec {
                path: f.path.into_inner(),
                kind,
                count: f.count.unwrap_or(1).max(1),
                optional: f.optional,
                at,
            })
        })
        .collect()
}

/// `[nightly]`, with its upload table (never to a production index).
fn resolve_nightly(nightly: RawNightly, src: &Source, problems: &mut Problems) -> NightlySettings {
    let build_number_digits = match nightly.build_number_digits {
        None => 3,
        Some(d) => {
            if !(1..=9).contains(d.get_ref()) {
                problems.push(src.at_spanned(&d), "build-number-digits must be between 1 and 9");
            }
            *d.get_ref()
        }
    };
    let nightly_upload = nightly.upload.map(|u| {
        let span = u.span();
        let u = u.into_inner();
        if u.production {
            problems.push(
                src.at(&span),
                "[nightly.upload] production = true: nightly (dev) builds never go to a production index; \
                 name a development index here, or remove the table",
            );
        }
        resolve_upload(u, "[nightly.upload]", src, problems)
    });
    NightlySettings {
        build_number_digits,
        build_number_env: nightly
            .build_number_env
            .unwrap_or_else(|| DEFAULT_BUILD_NUMBER_ENV.iter().map(|s| s.to_string()).collect()),
        local_version: nightly.local_version,
        upload: nightly_upload,
    }
}

/// An upload table (`[publish.upload]`, `[nightly.upload]`): both URLs checked, `index-url`
/// required.
fn resolve_upload(u: RawUpload, table: &str, src: &Source, problems: &mut Problems) -> Upload {
    for url in std::iter::once(&u.repository_url).chain(u.index_url.as_ref()) {
        if let Err(e) = check_location(url.get_ref(), None) {
            problems.push(src.at_spanned(url), e);
        }
    }
    let index_url = match u.index_url {
        Some(i) => i.into_inner(),
        None => {
            problems.push(
                src.at_spanned(&u.repository_url),
                format!("{table} needs `index-url` too: the simple index of that repository, to check which files it already has"),
            );
            String::new()
        }
    };
    Upload {
        repository_url: u.repository_url.into_inner(),
        index_url,
        production: u.production,
    }
}

fn resolve_platform(name: Spanned<String>, p: RawPlatform, src: &Source, problems: &mut Problems) -> Option<Platform> {
    let name_at = src.at_spanned(&name);
    let name = name.into_inner();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        problems.push(
            name_at.clone(),
            "platform names may use letters, digits, `-` and `_` only",
        );
    }
    let before = problems.0.len();
    if p.tags.get_ref().is_empty() {
        problems.push(
            src.at_spanned(&p.tags),
            "`tags` must list at least one pip platform tag, e.g. \"win_amd64\"",
        );
    }
    let mut oses = Vec::new();
    for tag in p.tags.get_ref() {
        match crate::python::platform::classify_tag(tag.get_ref()) {
            Ok(os) => oses.push(os),
            Err(e) => problems.push(src.at_spanned(tag), e),
        }
    }
    oses.dedup();
    let os = match oses.as_slice() {
        [os] => Some(*os),
        [] => None,
        _ => {
            problems.push(
                src.at_spanned(&p.tags),
                "all tags of one platform must be for the same operating system",
            );
            None
        }
    };

    let python_at = src.at_spanned(&p.python);
    let python = p.python.into_inner();
    let mut parts = python.split('.');
    let valid_python = matches!((parts.next(), parts.next(), parts.next()),
        (Some(a), Some(b), None) if a.parse::<u8>().is_ok() && b.parse::<u8>().is_ok());
    if !valid_python {
        problems.push(
            python_at,
            format!("python {python:?} must be MAJOR.MINOR, e.g. \"3.11\""),
        );
    }
    let implementation = match p.implementation {
        None => "cp".to_string(),
        Some(i) => {
            if !["cp", "pp"].contains(&i.get_ref().as_str()) {
                problems.push(
                    src.at_spanned(&i),
                    format!(
                        "implementation {:?} must be \"cp\" (CPython) or \"pp\" (PyPy)",
                        i.get_ref()
                    ),
                );
            }
            i.into_inner()
        }
    };
    let abi = match p.abi {
        Some(a) => {
            let valid = !a.get_ref().is_empty()
                && a.get_ref()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                problems.push(
                    src.at_spanned(&a),
                    format!(
                        "abi {:?} is not an ABI tag: write one such as \"cp311\", \"abi3\" or \"none\"",
                        a.get_ref()
                    ),
                );
            }
            a.into_inner()
        }
        None => format!("{implementation}{}", python.replace('.', "")),
    };
    let format = match p.format {
        None => match os {
            Some(TargetOs::Windows) => ArchiveFormat::Zip,
            _ => ArchiveFormat::TarBz2,
        },
        Some(f) => match ArchiveFormat::from_name(f.get_ref()) {
            Some(format) => format,
            None => {
                problems.push(
                    src.at_spanned(&f),
                    format!(
                        "unknown archive format {:?}, expected one of {}",
                        f.get_ref(),
                        ArchiveFormat::NAMES.join(", ")
                    ),
                );
                ArchiveFormat::TarBz2
            }
        },
    };
    let always_download = match p.collect {
        None => false,
        Some(c) => match c.get_ref().as_str() {
            "auto" => false,
            "download" => true,
            other => {
                problems.push(
                    src.at_spanned(&c),
                    format!("collect {other:?} must be \"auto\" (pip wheel on a matching host, else download) or \"download\""),
                );
                false
            }
        },
    };
    if problems.0.len() > before {
        return None;
    }
    Some(Platform {
        name,
        tags_at: src.at_spanned(&p.tags).to_string(),
        tags: p.tags.into_inner().into_iter().map(Spanned::into_inner).collect(),
        os: os?,
        python,
        implementation,
        abi,
        format,
        always_download,
    })
}

/// The valid PEP 508 requirements of a list; each invalid one is a problem at its place.
fn requirement_list(list: Vec<Spanned<String>>, src: &Source, problems: &mut Problems) -> Vec<String> {
    list.into_iter()
        .filter_map(
            |r| match pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(r.get_ref()) {
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
fn check_release_name(name: &str) -> Result<(), String> {
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

/// A tag template must name the version, and what it renders to must be a tag git takes
/// (`git check-ref-format` rules).
fn check_tag_template(template: &str, rendered: &str) -> Result<(), String> {
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
fn check_location(value: &str, folder_root: Option<&Path>) -> Result<(), String> {
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
fn check_url_credentials(url: &str) -> Result<(), String> {
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
fn check_template(template: &str, allowed: &[&str]) -> Result<(), String> {
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

fn check_relative_pattern(p: &str) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest> {
        Manifest::parse(text, Path::new("/repo/release-config.toml"), "release-config.toml")
    }

    const MINIMAL: &str =
        "[release]\nname = \"acme\"\n\n[platforms.linux]\ntags = [\"manylinux2014_x86_64\"]\npython = \"3.11\"\n";

    #[test]
    fn minimal_manifest_gets_defaults() {
        let m = parse(MINIMAL).unwrap();
        assert_eq!(m.release.output, PathBuf::from("dist"));
        assert_eq!(m.plugin_paths[0].value, "plugins/*");
        let linux = m.platform("linux").unwrap();
        assert_eq!(linux.abi, "cp311");
        assert_eq!(linux.implementation, "cp");
        assert_eq!(linux.format, ArchiveFormat::TarBz2);
        assert_eq!(m.public.index_url.value, DEFAULT_INDEX_URL);
    }

    #[test]
    fn unknown_key_names_line_and_column() {
        let err = parse("[release]\nname = \"acme\"\nverison = \"1\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("release-config.toml:3:1: unknown field `verison`, expected one of"),
            "{err}"
        );
    }

    #[test]
    fn all_semantic_problems_reported_together() {
        let text = format!("{MINIMAL}[public]\nrequirements = [\"ok>=1\", \"bad===\"]\n[platforms.win]\ntags = [\"win_amd46\"]\npython = \"3\"\n");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("has 3 problems"), "{err}");
        assert!(
            err.contains("release-config.toml:8:26: not a PEP 508 requirement"),
            "{err}"
        );
        assert!(
            err.contains("release-config.toml:10:9: unknown platform tag \"win_amd46\""),
            "{err}"
        );
        assert!(
            err.contains("release-config.toml:11:10: python \"3\" must be MAJOR.MINOR"),
            "{err}"
        );
    }

    #[test]
    fn templates_reject_unknown_placeholders() {
        let text = MINIMAL.replace("name = \"acme\"", "name = \"acme\"\ntag = \"{nmae}-{version}\"");
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("release-config.toml:3:7: unknown placeholder {nmae}"),
            "{err}"
        );
    }

    #[test]
    fn literal_credentials_in_urls_are_refused() {
        for ok in [
            "https://pypi.org/simple",
            "https://u:${T}@h/s",
            "https://${T}@h/s",
            "https://${U}:${T}@h",
            "x/y",
        ] {
            assert!(check_url_credentials(ok).is_ok(), "{ok}");
        }
        for bad in ["https://u:hunter2@h/s", "https://tok3n@h/s", "https://u:${T}x@h"] {
            assert!(check_url_credentials(bad).is_err(), "{bad}");
        }
        let text = MINIMAL.replace(
            "[platforms.linux]",
            "[public]\nindex-url = \"https://ci:hunter2@pkgs.example/simple\"\n\n[platforms.linux]",
        );
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.starts_with("release-config.toml:5:13: credentials in a URL must come from environment variables"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn normalizes_names_like_pep_503() {
        assert_eq!(normalize_name("Acme_Plugin..Base"), "acme-plugin-base");
        assert_eq!(normalize_name("a-_-b"), "a-b");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncdé f", 8), (2, 5));
    }
}
