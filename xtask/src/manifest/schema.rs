//! What `release-config.toml` may contain, as serde reads it. Strict: unknown keys are errors
//! (`deny_unknown_fields`), and every value keeps its place in the file (`Spanned`) for messages.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawManifest {
    pub release: RawRelease,
    #[serde(default)]
    pub plugins: RawPlugins,
    #[serde(default)]
    pub plugin: BTreeMap<Spanned<String>, RawPluginOverride>,
    #[serde(default)]
    pub groups: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    pub public: RawPublic,
    #[serde(default)]
    pub python: RawPython,
    #[serde(default)]
    pub nightly: RawNightly,
    #[serde(default)]
    pub versioning: RawVersioning,
    #[serde(default)]
    pub publish: RawPublish,
    pub platforms: BTreeMap<Spanned<String>, RawPlatform>,
    #[serde(default)]
    pub ci: RawCi,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCi {
    pub providers: Option<Vec<Spanned<String>>>,
    pub dev_upload_on_push: Option<Spanned<bool>>,
    #[serde(default)]
    pub gitlab: RawGitlab,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawGitlab {
    #[serde(default)]
    pub runner_tags: BTreeMap<Spanned<String>, Vec<String>>,
    pub image: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawRelease {
    pub name: Spanned<String>,
    pub output: Option<String>,
    pub version_from: Option<Spanned<String>>,
    pub archive_name: Option<Spanned<String>>,
    pub tag: Option<Spanned<String>>,
    pub group_tag: Option<Spanned<String>>,
    pub commit_message: Option<Spanned<String>>,
    #[serde(default)]
    pub branches: Vec<String>,
    #[serde(default)]
    pub sign_tags: bool,
    #[serde(default)]
    pub sign_artifacts: bool,
    #[serde(default)]
    pub signers: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPlugins {
    pub paths: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    #[serde(default)]
    pub version_files: Vec<RawVersionFile>,
    pub id_prefix: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPluginOverride {
    #[serde(default)]
    pub version_files: Vec<RawVersionFile>,
    pub id: Option<Spanned<String>>,
    pub tag: Option<Spanned<String>>,
    #[serde(default)]
    pub wheel_excludes: Vec<Spanned<String>>,
    pub verify_import: Option<bool>,
    pub upload: Option<bool>,
    pub changelog: Option<Spanned<String>>,
    pub changelog_heading: Option<Spanned<String>>,
    pub changelog_unreleased: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawVersionFile {
    pub path: Spanned<String>,
    pub kind: Option<Spanned<String>>,
    pub pattern: Option<Spanned<String>>,
    pub key: Option<Spanned<String>>,
    pub mode: Option<Spanned<String>>,
    pub count: Option<usize>,
    #[serde(default)]
    pub optional: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPublic {
    #[serde(default)]
    pub requirements: Vec<Spanned<String>>,
    pub index_url: Option<Spanned<String>>,
    #[serde(default)]
    pub extra_index_urls: Vec<Spanned<String>>,
    #[serde(default)]
    pub find_links: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPython {
    pub interpreter: Option<String>,
    pub build_tools: Option<Vec<Spanned<String>>>,
    pub cache_max_mb: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawNightly {
    pub build_number_env: Option<Vec<String>>,
    pub build_number_digits: Option<Spanned<u32>>,
    #[serde(default)]
    pub local_version: bool,
    pub upload: Option<Spanned<RawUpload>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPublish {
    #[serde(default)]
    pub push: bool,
    pub remote: Option<String>,
    pub release_dir: Option<String>,
    pub upload: Option<RawUpload>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawUpload {
    pub repository_url: Spanned<String>,
    pub index_url: Option<Spanned<String>>,
    #[serde(default)]
    pub production: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawVersioning {
    pub strategy: Option<Spanned<String>>,
    pub sibling_pins: Option<Spanned<String>>,
    pub changelog: Option<String>,
    #[serde(default)]
    pub allow_empty_changelog: bool,
    pub changelog_heading: Option<Spanned<String>>,
    pub changelog_unreleased: Option<Spanned<String>>,
    pub next_dev: Option<Spanned<bool>>,
    pub placeholder: Option<Spanned<String>>,
    #[serde(default)]
    pub requirements: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPlatform {
    pub tags: Spanned<Vec<Spanned<String>>>,
    pub python: Spanned<String>,
    pub implementation: Option<Spanned<String>>,
    pub abi: Option<Spanned<String>>,
    pub format: Option<Spanned<String>>,
    pub collect: Option<Spanned<String>>,
}
