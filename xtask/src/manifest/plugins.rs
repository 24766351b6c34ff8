//! The `[plugins]` table and `[plugin.NAME]` overrides: plugin folders, version files (their
//! kinds, patterns and keys) and per-plugin settings.

use std::collections::BTreeMap;

use toml::Spanned;

use super::checks::{check_relative_pattern, normalize_name};
use super::model::{Changelog, Located, PluginOverride, VersionFileKind, VersionFileSpec, Versioning, PLACEHOLDERS};
use super::schema::{RawPluginOverride, RawVersionFile};
use super::source::{Problems, Source};

/// `[plugins] paths` (default `plugins/*`) and `exclude`, each a relative pattern.
pub fn resolve_plugin_paths(
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

/// `[plugin.NAME]` tables, by normalized plugin name.
pub fn resolve_plugin_overrides(
    plugin: BTreeMap<Spanned<String>, RawPluginOverride>,
    versioning: &Versioning,
    src: &Source,
    problems: &mut Problems,
) -> BTreeMap<String, PluginOverride> {
    plugin
        .into_iter()
        .map(|(name, o)| {
            let at = src.at_spanned(&name);
            let changelog = resolve_own_changelog(&name, &o, versioning, src, problems);
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
            let (id, tag) = resolve_id_and_tag(o.id, o.tag, src, problems);
            (
                normalize_name(name.get_ref()),
                PluginOverride {
                    at,
                    version_files: files,
                    id,
                    tag,
                    wheel_excludes,
                    verify_import: o.verify_import.unwrap_or(true),
                    upload: o.upload.unwrap_or(true),
                    changelog,
                },
            )
        })
        .collect()
}

/// `[plugin.NAME] changelog`, `changelog-heading`, `changelog-unreleased`: the plugin's own
/// changelog (None: as `[versioning]` says), its templates falling back to `[versioning]`'s.
fn resolve_own_changelog(
    name: &Spanned<String>,
    o: &RawPluginOverride,
    versioning: &Versioning,
    src: &Source,
    problems: &mut Problems,
) -> Option<Option<Changelog>> {
    let own = [&o.changelog_heading, &o.changelog_unreleased];
    if o.changelog.is_none() && own.iter().all(|t| t.is_none()) {
        return None;
    }
    let file = match &o.changelog {
        Some(f) => f.get_ref().clone(),
        None => versioning
            .changelog
            .as_ref()
            .map_or("CHANGELOG.md".to_string(), |c| c.file.clone()),
    };
    if file.trim().is_empty() {
        return Some(None);
    }
    let written: Vec<&String> = own.iter().filter_map(|t| t.as_ref().map(|t| t.get_ref())).collect();
    let templates = (
        o.changelog_heading
            .as_ref()
            .map(|t| t.get_ref().clone())
            .or(versioning.changelog_templates.0.clone()),
        o.changelog_unreleased
            .as_ref()
            .map(|t| t.get_ref().clone())
            .or(versioning.changelog_templates.1.clone()),
    );
    let at = own
        .iter()
        .find_map(|t| t.as_ref())
        .or(o.changelog.as_ref())
        .map_or_else(|| src.at_spanned(name), |t| src.at_spanned(t));
    let table = format!("[plugin.{}]", name.get_ref());
    Some(resolve_changelog(&file, &templates, &written, &at, &table, problems))
}

/// `[plugin.NAME] id` and `tag`: an id git takes in a tag, a tag template that names the
/// version and only known placeholders.
fn resolve_id_and_tag(
    id: Option<Spanned<String>>,
    tag: Option<Spanned<String>>,
    src: &Source,
    problems: &mut Problems,
) -> (Option<String>, Option<String>) {
    if let Some(id) = &id {
        let text = id.get_ref();
        let fits = !text.is_empty()
            && !text.contains(['{', '}', '/'])
            && super::checks::check_tag_template("{version}", &format!("x{text}x-1.2.0")).is_ok();
        if !fits {
            problems.push(
                src.at_spanned(id),
                format!(
                    "id {text:?} cannot stand in a tag: use letters, digits and `-`, `_`, `.` \
                     (git refuses spaces, `..` and `~ ^ : ? * [ \\`)"
                ),
            );
        }
    }
    if let Some(t) = &tag {
        match super::checks::check_template(t.get_ref(), super::checks::TAG_PLACEHOLDERS) {
            Err(e) => problems.push(src.at_spanned(t), e),
            Ok(()) => {
                let rendered = super::checks::render(
                    t.get_ref(),
                    &[("name", "acme-plugin-base"), ("id", "base"), ("version", "1.2.0")],
                );
                if let Err(e) = super::checks::check_tag_template(t.get_ref(), &rendered) {
                    problems.push(src.at_spanned(t), e);
                }
            }
        }
    }
    (id.map(Spanned::into_inner), tag.map(Spanned::into_inner))
}

pub fn resolve_version_files(raw: Vec<RawVersionFile>, src: &Source, problems: &mut Problems) -> Vec<VersionFileSpec> {
    raw.into_iter()
        .filter_map(|f| resolve_version_file(f, src, problems))
        .collect()
}

/// One version file: a path pattern, a kind or a text pattern, a count, a JSON key.
fn resolve_version_file(f: RawVersionFile, src: &Source, problems: &mut Problems) -> Option<VersionFileSpec> {
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
        (Some(k), None) => named_kind(k, src, problems)?,
        (None, Some(p)) => pattern_kind(p, src, problems)?,
    };
    if f.count == Some(0) {
        problems.push(at.clone(), "`count` must be at least 1");
    }
    let kind = with_key(kind, f.key, src, problems)?;
    let kind = with_mode(kind, f.mode, src, problems)?;
    Some(VersionFileSpec {
        path: f.path.into_inner(),
        kind,
        count: f.count.unwrap_or(1).max(1),
        optional: f.optional,
        at,
    })
}

/// `kind = "..."`: one of the known kinds.
fn named_kind(k: Spanned<String>, src: &Source, problems: &mut Problems) -> Option<VersionFileKind> {
    Some(match k.get_ref().as_str() {
        "pyproject" => VersionFileKind::Pyproject,
        "setup-py" => VersionFileKind::SetupPy,
        "setup-cfg" => VersionFileKind::SetupCfg,
        "python" => VersionFileKind::Python,
        "json" => VersionFileKind::Json(String::new()),
        "yaml" => VersionFileKind::Yaml {
            key: String::new(),
            prepend: false,
        },
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
    })
}

/// `pattern = "..."`: text around exactly one placeholder, enough to find and end the value.
fn pattern_kind(p: Spanned<String>, src: &Source, problems: &mut Problems) -> Option<VersionFileKind> {
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
    Some(VersionFileKind::Pattern(p.into_inner()))
}

/// `key`: dotted names, for JSON and YAML files only (default `version`).
fn with_key(
    kind: VersionFileKind,
    key: Option<Spanned<String>>,
    src: &Source,
    problems: &mut Problems,
) -> Option<VersionFileKind> {
    let keyed = matches!(kind, VersionFileKind::Json(_) | VersionFileKind::Yaml { .. });
    let key = match key {
        None => "version".to_string(),
        Some(key) if !keyed => {
            problems.push(src.at_spanned(&key), "`key` goes with kind = \"json\" or \"yaml\" only");
            return None;
        }
        Some(key) => {
            if key.get_ref().split('.').any(str::is_empty) {
                problems.push(
                    src.at_spanned(&key),
                    format!("key {:?} must be dotted names, e.g. \"plugin.version\"", key.get_ref()),
                );
                return None;
            }
            key.into_inner()
        }
    };
    Some(match kind {
        VersionFileKind::Json(_) => VersionFileKind::Json(key),
        VersionFileKind::Yaml { prepend, .. } => VersionFileKind::Yaml { key, prepend },
        kind => kind,
    })
}

/// `mode`: `replace` (default) or, for YAML lists of released versions, `prepend`.
fn with_mode(
    kind: VersionFileKind,
    mode: Option<Spanned<String>>,
    src: &Source,
    problems: &mut Problems,
) -> Option<VersionFileKind> {
    let Some(mode) = mode else { return Some(kind) };
    match (kind, mode.get_ref().as_str()) {
        (kind, "replace") => Some(kind),
        (VersionFileKind::Yaml { key, .. }, "prepend") => Some(VersionFileKind::Yaml { key, prepend: true }),
        (_, "prepend") => {
            problems.push(
                src.at_spanned(&mode),
                "mode = \"prepend\" goes with kind = \"yaml\" only (a list of released versions)",
            );
            None
        }
        (_, other) => {
            problems.push(
                src.at_spanned(&mode),
                format!("mode {other:?} is not one of replace, prepend"),
            );
            None
        }
    }
}

/// The changelog `file` with the heading templates; those `written` for it (not inherited)
/// must be of the file's format (an inherited one of the other format gives way to the
/// format's default).
pub fn resolve_changelog(
    file: &str,
    templates: &(Option<String>, Option<String>),
    written: &[&String],
    at: &str,
    table: &str,
    problems: &mut Problems,
) -> Option<Changelog> {
    use crate::versions::changelog::style::{Format, Style};
    let format = Format::of(file);
    for t in written {
        let markdown = t.starts_with('#');
        if markdown && format == Format::Rst {
            problems.push(
                at.to_string(),
                format!(
                    "{table} {t:?} is a Markdown heading, but {file} is reStructuredText: write the title's text \
                     (`{{version}} ({{date}})`; its underline is the file's own)"
                ),
            );
            return None;
        }
        if !markdown && format == Format::Markdown {
            problems.push(
                at.to_string(),
                format!("{table} {t:?} is not a Markdown heading: start it with one to six `#` and a space"),
            );
            return None;
        }
    }
    match Style::for_file(file, templates.0.as_deref(), templates.1.as_deref()) {
        Ok(style) => Some(Changelog {
            file: file.to_string(),
            style,
        }),
        Err(e) => {
            problems.push(at.to_string(), format!("{table} {e}"));
            None
        }
    }
}
