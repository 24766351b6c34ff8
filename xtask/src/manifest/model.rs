//! What the rest of the program sees of the manifest: validated, defaults resolved.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A `[platforms.NAME]` table, resolved (defined with the platform rules it feeds).
pub use crate::python::platform::Platform;

#[derive(Debug, Clone)]
pub struct Manifest {
    /// Absolute path of the manifest file, for messages.
    pub path: PathBuf,
    pub release: Release,
    pub plugin_paths: Vec<Located<String>>,
    pub plugin_excludes: Vec<String>,
    /// Version files every plugin has (paths relative to each plugin).
    pub version_files: Vec<VersionFileSpec>,
    /// `[plugins] id-prefix`: stripped from a plugin's normalized name to give its `{id}`.
    pub id_prefix: Option<String>,
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

/// A plugin's changelog: its file, relative to the plugin, and how it names its sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changelog {
    pub file: String,
    pub style: crate::versions::changelog::style::Style,
}

#[derive(Debug, Clone)]
pub struct Versioning {
    pub strategy: Strategy,
    pub sibling_pins: SiblingPins,
    /// Each plugin's changelog (file relative to the plugin, and how it names its sections);
    /// `None` when disabled with `changelog = ""`. `[plugin.NAME]` may say otherwise.
    pub changelog: Option<Changelog>,
    pub allow_empty_changelog: bool,
    /// `changelog-heading` and `changelog-unreleased` as written, for the plugins whose own
    /// changelog file is set apart.
    pub changelog_templates: (Option<String>, Option<String>),
    /// After a release commit, commit the next `.dev0` versions (commit strategy).
    pub next_dev: bool,
    /// The version version files hold between releases (stamp strategy): `0.0.0` unless
    /// `[versioning] placeholder` says otherwise. A unit without a tag is at 0.0.0.
    pub placeholder: pep440_rs::Version,
    /// `[versioning.requirements]`: the specifier that replaces the placeholder in a
    /// requirement on a package outside the repository, by normalized name.
    pub requirements: BTreeMap<String, String>,
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
    /// OpenPGP fingerprints (upper-case hex, no spaces) of the keys whose signatures `verify`
    /// accepts.
    pub signers: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PluginOverride {
    pub at: String,
    pub version_files: Vec<VersionFileSpec>,
    /// `id`: the plugin's `{id}` in tag templates (else its name without `[plugins] id-prefix`).
    pub id: Option<String>,
    /// `tag`: the template of the plugin's own tags, in place of `[release] tag`.
    pub tag: Option<String>,
    /// Globs (paths as in the wheel, e.g. `acme_x/tests/*`) of committed package files the
    /// wheel is meant to leave out.
    pub wheel_excludes: Vec<String>,
    /// `verify` imports the plugin after an offline install.
    pub verify_import: bool,
    /// `[publish.upload]` uploads its sdist and wheel.
    pub upload: bool,
    /// `changelog` (and its templates): the plugin's own changelog, `Some(None)` for none.
    pub changelog: Option<Option<Changelog>>,
}

impl Manifest {
    /// The `{id}` of a plugin (normalized name) in tag templates: `[plugin.NAME] id`, else the
    /// name without `[plugins] id-prefix` (the whole name when it does not start with it).
    pub fn plugin_id(&self, plugin: &str) -> String {
        if let Some(id) = self.plugin_overrides.get(plugin).and_then(|o| o.id.clone()) {
            return id;
        }
        self.id_prefix
            .as_deref()
            .and_then(|prefix| plugin.strip_prefix(prefix))
            .filter(|rest| !rest.is_empty())
            .unwrap_or(plugin)
            .to_string()
    }

    /// The template of a plugin's own release tags: `[plugin.NAME] tag`, else `[release] tag`.
    pub fn plugin_tag_template(&self, plugin: &str) -> &str {
        self.plugin_overrides
            .get(plugin)
            .and_then(|o| o.tag.as_deref())
            .unwrap_or(&self.release.tag)
    }

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
    /// A YAML file; the version is the scalar at this dotted key, or with `prepend` the first
    /// item of the list there (released versions, newest first), before which a new version
    /// is inserted.
    Yaml {
        key: String,
        prepend: bool,
    },
    /// A file holding only the version (`VERSION`, `version.txt`).
    Text,
    /// A search pattern with a `{version}` placeholder.
    Pattern(String),
}

impl VersionFileKind {
    pub const NAMES: &'static [&'static str] =
        &["pyproject", "setup-py", "setup-cfg", "python", "json", "yaml", "text"];

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
            Self::Yaml { .. } => "yaml",
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
