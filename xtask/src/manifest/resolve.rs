//! Loading the manifest: read `release-config.toml`, parse it into its schema, resolve every
//! table into the model with its defaults, and report every problem at once, each at
//! `file:line:col`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use toml::Spanned;

use super::checks::{
    check_fingerprint, check_location, check_release_name, check_tag_template, check_template, normalize_name, render,
    requirement_list, TAG_PLACEHOLDERS,
};
use super::model::{
    Ci, Group, Located, Manifest, NightlySettings, Public, Publish, PythonSettings, Release, SiblingPins, Strategy,
    Upload, Versioning,
};
use super::platforms::resolve_platform;
use super::plugins::{resolve_changelog, resolve_plugin_overrides, resolve_plugin_paths, resolve_version_files};
use super::schema::{
    RawCi, RawManifest, RawNightly, RawPlatform, RawPublic, RawPublish, RawPython, RawRelease, RawUpload, RawVersioning,
};
use super::source::{line_col, Problems, Source};
use crate::python::platform::Platform;

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
    let (plugin_paths, plugin_excludes) = resolve_plugin_paths(plugins.paths, plugins.exclude, src, problems);
    let version_files = resolve_version_files(plugins.version_files, src, problems);
    let id_prefix = plugins.id_prefix.and_then(|p| {
        if p.get_ref().trim().is_empty() {
            problems.push(src.at_spanned(&p), "id-prefix must not be empty (leave it out instead)");
            return None;
        }
        Some(p.into_inner())
    });
    let versioning = resolve_versioning(versioning, src, problems);
    let plugin_overrides = resolve_plugin_overrides(plugin, &versioning, src, problems);
    let groups = resolve_groups(groups, src, problems);
    for g in &groups {
        for m in &g.members {
            if let Some(o) = plugin_overrides.get(&m.value).filter(|o| o.tag.is_some()) {
                problems.push(
                    o.at.clone(),
                    format!(
                        "[plugin.{}] tag: {} is released with the group {} under [release] group-tag; \
                         remove the tag (or the plugin from the group)",
                        m.value, m.value, g.name
                    ),
                );
            }
        }
    }
    let public = resolve_public(public, src, path.parent().unwrap_or(Path::new(".")), problems);
    let python = resolve_python(python, src, problems);
    let nightly = resolve_nightly(nightly, src, problems);
    let publish = resolve_publish(publish, src, problems);
    let platforms = resolve_platforms(platforms, src, problems);
    let ci = resolve_ci(ci, &platforms, nightly.upload.is_some(), src, problems);
    Manifest {
        path: path.to_path_buf(),
        release,
        plugin_paths,
        plugin_excludes,
        version_files,
        id_prefix,
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

/// `[groups]`: each group names at least one plugin; members by normalized name.
fn resolve_groups(
    groups: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    src: &Source,
    problems: &mut Problems,
) -> Vec<Group> {
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
    groups
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
        .collect()
}

/// `[public]`: requirements, and package sources (find-links folders relative to `root`).
fn resolve_public(public: RawPublic, src: &Source, root: &Path, problems: &mut Problems) -> Public {
    let requirements = requirement_list(public.requirements, src, problems);
    let mut url = |u: Spanned<String>, folder_root: Option<&Path>| {
        if let Err(e) = check_location(u.get_ref(), folder_root) {
            problems.push(src.at_spanned(&u), e);
        }
        Located {
            at: src.at_spanned(&u),
            value: u.into_inner(),
        }
    };
    Public {
        requirements,
        index_url: public.index_url.map(|u| url(u, None)).unwrap_or_else(|| Located {
            value: DEFAULT_INDEX_URL.to_string(),
            at: format!("{} (default)", src.shown),
        }),
        extra_index_urls: public.extra_index_urls.into_iter().map(|u| url(u, None)).collect(),
        find_links: public.find_links.into_iter().map(|u| url(u, Some(root))).collect(),
    }
}

/// `[python]`: the interpreter, the build tools (pinned defaults) and the cache size.
fn resolve_python(python: RawPython, src: &Source, problems: &mut Problems) -> PythonSettings {
    let build_tools = match python.build_tools {
        None => DEFAULT_BUILD_TOOLS.iter().map(|s| s.to_string()).collect(),
        Some(tools) => requirement_list(tools, src, problems),
    };
    PythonSettings {
        interpreter: python.interpreter,
        build_tools,
        cache_max_bytes: python.cache_max_mb.unwrap_or(DEFAULT_CACHE_MAX_MB) * 1024 * 1024,
    }
}

/// `[publish]`: push, remote, release folder and upload.
fn resolve_publish(publish: RawPublish, src: &Source, problems: &mut Problems) -> Publish {
    let upload = publish
        .upload
        .map(|u| resolve_upload(u, "[publish.upload]", src, problems));
    Publish {
        push: publish.push,
        remote: publish.remote.unwrap_or_else(|| "origin".to_string()),
        release_dir: publish.release_dir.filter(|d| !d.trim().is_empty()),
        upload,
    }
}

/// `[platforms.NAME]`: at least one, each resolved.
fn resolve_platforms(
    platforms: BTreeMap<Spanned<String>, RawPlatform>,
    src: &Source,
    problems: &mut Problems,
) -> Vec<Platform> {
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
    platforms
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
                    ("id", "base"),
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
    let tag = template(release.tag, DEFAULT_TAG, TAG_PLACEHOLDERS, problems);
    let group_tag = template(
        release.group_tag,
        DEFAULT_GROUP_TAG,
        &["group", "version", "release"],
        problems,
    );
    if tag == group_tag {
        problems.push(
            format!("{}: [release] tag and group-tag", src.shown),
            format!(
                "tag and group-tag are both {tag:?}: a plugin released alone and a group would make the same tag; \
                 make them differ, e.g. tag = \"{{name}}-v{{version}}\""
            ),
        );
    }
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
        output: resolve_output(release.output, src, problems),
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
        signers: resolve_signers(release.signers, src, problems),
    }
}

/// `[release] output`: the output folder, by default `dist`, never inside `.git`.
fn resolve_output(output: Option<String>, src: &Source, problems: &mut Problems) -> PathBuf {
    let output = output.unwrap_or_else(|| "dist".to_string());
    if Path::new(&output).components().any(|c| c.as_os_str() == ".git") {
        problems.push(
            format!("{}: [release] output", src.shown),
            format!("output {output:?} is inside .git, git's own folder: choose a folder such as \"dist\""),
        );
    }
    PathBuf::from(output)
}

/// `[release] signers`: key fingerprints, upper case without spaces.
fn resolve_signers(signers: Vec<Spanned<String>>, src: &Source, problems: &mut Problems) -> Vec<String> {
    signers
        .into_iter()
        .filter_map(|s| match check_fingerprint(s.get_ref()) {
            Ok(fingerprint) => Some(fingerprint),
            Err(e) => {
                problems.push(src.at_spanned(&s), e);
                None
            }
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
    let templates = (
        versioning.changelog_heading.as_ref().map(|v| v.get_ref().clone()),
        versioning.changelog_unreleased.as_ref().map(|v| v.get_ref().clone()),
    );
    let changelog = match versioning.changelog.as_deref().unwrap_or("CHANGELOG.md") {
        file if file.trim().is_empty() => None,
        file => {
            let at = versioning
                .changelog_heading
                .as_ref()
                .or(versioning.changelog_unreleased.as_ref())
                .map_or_else(|| src.shown.to_string(), |v| src.at_spanned(v));
            let written: Vec<&String> = [&templates.0, &templates.1].into_iter().flatten().collect();
            resolve_changelog(file, &templates, &written, &at, "[versioning]", problems)
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
    let (placeholder, requirements) = resolve_placeholder(&versioning, src, problems);
    Versioning {
        next_dev,
        placeholder,
        requirements,
        changelog_templates: templates.clone(),
        strategy: match choice(versioning.strategy, &["commit", "stamp"], problems).as_deref() {
            Some("stamp") => Strategy::Stamp,
            _ => Strategy::Commit,
        },
        sibling_pins: match choice(versioning.sibling_pins, &["compatible", "exact", "minimum"], problems).as_deref() {
            Some("exact") => SiblingPins::Exact,
            Some("minimum") => SiblingPins::Minimum,
            _ => SiblingPins::Compatible,
        },
        changelog,
        allow_empty_changelog: versioning.allow_empty_changelog,
    }
}

/// `[versioning] placeholder` (a PEP 440 version; only with the stamp strategy) and
/// `[versioning.requirements]` (PEP 440 specifiers, by package name).
fn resolve_placeholder(
    versioning: &RawVersioning,
    src: &Source,
    problems: &mut Problems,
) -> (pep440_rs::Version, BTreeMap<String, String>) {
    let stamp = versioning.strategy.as_ref().is_some_and(|s| s.get_ref() == "stamp");
    let mut placeholder = pep440_rs::Version::new([0, 0, 0]);
    if let Some(p) = &versioning.placeholder {
        match crate::versions::parse(p.get_ref()) {
            Ok(v) if stamp => placeholder = v,
            Ok(_) => problems.push(
                src.at_spanned(p),
                "[versioning] placeholder needs strategy = \"stamp\": with `commit`, version files hold released versions",
            ),
            Err(e) => problems.push(src.at_spanned(p), format!("placeholder {:?}: {e}", p.get_ref())),
        }
    }
    let mut requirements = BTreeMap::new();
    for (name, spec) in &versioning.requirements {
        if !stamp {
            problems.push(
                src.at_spanned(name),
                "[versioning.requirements] needs strategy = \"stamp\": it replaces the placeholder in requirements",
            );
        }
        match <pep440_rs::VersionSpecifiers as std::str::FromStr>::from_str(spec.get_ref()) {
            Ok(s) if !s.is_empty() => {
                requirements.insert(normalize_name(name.get_ref()), spec.get_ref().trim().to_string());
            }
            _ => problems.push(
                src.at_spanned(spec),
                format!(
                    "{:?} is not a version specifier: write one such as \">=1.10.7,<1.11\"",
                    spec.get_ref()
                ),
            ),
        }
    }
    (placeholder, requirements)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::checks::check_url_credentials;
    use crate::ops::archive::ArchiveFormat;

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
    fn a_platform_may_name_the_oldest_patch_release_its_targets_run() {
        let m = parse(&MINIMAL.replace("python = \"3.11\"", "python = \"3.9.2\"")).unwrap();
        let p = m.platform("linux").unwrap();
        assert_eq!((p.python.as_str(), p.oldest_patch, p.abi.as_str()), ("3.9", 2, "cp39"));
        assert_eq!((p.series(), p.oldest()), ("3.9.2".to_string(), "3.9.2".to_string()));
        let err = parse(&MINIMAL.replace("python = \"3.11\"", "python = \"3.9.2.1\""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("python \"3.9.2.1\" must be MAJOR.MINOR"), "{err}");
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
