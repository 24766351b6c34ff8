//! Edits: the byte-exact changes that write new versions into a plugin's version files and
//! its requirements on other plugins, computed from the files as they are, and applied to a
//! text only where the expected old text stands. Reads files; writes nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use pep440_rs::Version;
use serde::{Deserialize, Serialize};

use crate::manifest::{first_line, line_col, SiblingPins, VersionFileKind};
use crate::python::plugins::{Plugin, RequirementPlace};
use crate::versions::files;

/// One change to a file: `old` at byte `offset` becomes `new`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    /// Relative to the repository root.
    pub file: String,
    pub line: usize,
    pub offset: usize,
    pub old: String,
    pub new: String,
    pub reason: String,
}

/// The reason of an edit that removes its file (its `old` is the whole text, its `new` empty):
/// a towncrier fragment compiled into the news file.
pub const REMOVE: &str = "remove";

/// Whether the edits of one file remove it.
pub fn removes(edits: &[&Edit]) -> bool {
    edits.iter().any(|e| e.reason == REMOVE)
}

/// Values for the placeholders of version files: `{version}` (per plugin), `{date}`,
/// `{build}`, `{commit}`.
pub struct StampValues {
    pub date: String,
    pub build: String,
    pub commit: String,
}

impl StampValues {
    fn get(&self, placeholder: &str, version: &Version) -> String {
        match placeholder {
            "date" => self.date.clone(),
            "build" => self.build.clone(),
            "commit" => self.commit.clone(),
            _ => version.to_string(),
        }
    }
}

/// Edits that write `new` (and the other placeholder values) into every version file of
/// `plugin`.
pub fn version_edits(
    root: &Path,
    plugin: &Plugin,
    new: &Version,
    values: &StampValues,
) -> Result<Vec<Edit>, Vec<String>> {
    let mut problems = Vec::new();
    let mut edits = Vec::new();
    for f in &plugin.version_files {
        let shown = plugin.path(&f.path);
        let text = match std::fs::read_to_string(root.join(&plugin.dir).join(&f.path)) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{shown}: cannot read: {e}"));
                continue;
            }
        };
        let ranges = files::locate(&f.kind, &text).unwrap_or_default();
        let placeholder = f.kind.placeholder();
        for r in ranges {
            let value = values.get(placeholder, new);
            // A list of released versions keeps them: the new one goes first.
            let (new, reason) = match &f.kind {
                VersionFileKind::Yaml { prepend: true, .. } => (
                    crate::versions::yaml_prepend(&text, r.clone(), &value),
                    "version (prepended)",
                ),
                _ => (value, placeholder),
            };
            edits.push(Edit {
                file: shown.clone(),
                line: line_col(&text, r.start).0,
                offset: r.start,
                old: text[r.clone()].to_string(),
                new,
                reason: reason.to_string(),
            });
        }
    }
    finish(edits, problems)
}

/// Edits that rewrite `plugin`'s requirements on the plugins in `new_versions` by `policy`,
/// exactly where each requirement literal stands.
pub fn pin_edits(
    root: &Path,
    plugin: &Plugin,
    new_versions: &BTreeMap<String, Version>,
    policy: SiblingPins,
) -> Result<Vec<Edit>, Vec<String>> {
    let mut problems = Vec::new();
    let mut edits = Vec::new();
    let names: Vec<&str> = new_versions.keys().map(String::as_str).collect();
    // Computed requirements (from the build backend) have no place to rewrite: they are
    // checked as built (`plan::metadata::check_computed_pins`).
    let computed = plugin.inexact.iter().any(|f| f == "dependencies");
    for (req, _) in sibling_requirements(plugin, &names) {
        if !computed && !plugin.requirement_places.iter().any(|p| p.text == req) {
            problems.push(format!(
                "{}: cannot find where the requirement {req:?} is written to rewrite it; write it as a plain string without escapes",
                plugin.dir
            ));
        }
    }
    for place in &plugin.requirement_places {
        let Ok(r) = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(&place.text) else {
            continue;
        };
        let sibling = r.name.to_string();
        let Some(version) = new_versions.get(&sibling) else {
            continue;
        };
        // Never a plugin's requirement on itself (its extras naming its other extras), and
        // an unpinned sibling in an extra stays as written: pins only where they mean
        // something.
        let specified = matches!(r.version_or_url, Some(pep508_rs::VersionOrUrl::VersionSpecifier(_)));
        let why = match &place.extra {
            _ if sibling == plugin.normalized => continue,
            Some(_) if !specified => continue,
            Some(extra) => format!("pin on {sibling} (extra {extra:?}, which specifies a version)"),
            None => format!("pin on {sibling}"),
        };
        let shown = plugin.path(&place.file);
        let rewritten = pin_requirement(&place.text, version, policy).and_then(|new| {
            pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(&new)
                .map(|_| new.clone())
                .map_err(|e| {
                    format!(
                        "the rewritten requirement {new:?} is invalid: {}",
                        first_line(&e.to_string())
                    )
                })
        });
        match (
            rewritten,
            std::fs::read_to_string(root.join(&plugin.dir).join(&place.file)),
        ) {
            (Ok(new), Ok(text)) => edits.push(Edit {
                file: shown,
                line: line_col(&text, place.offset).0,
                offset: place.offset,
                old: place.text.clone(),
                new,
                reason: why,
            }),
            (Err(e), _) => problems.push(format!("{shown}: requirement {:?}: {e}", place.text)),
            (_, Err(e)) => problems.push(format!("{shown}: cannot read: {e}")),
        }
    }
    finish(edits, problems)
}

/// Edits that replace the placeholder in `plugin`'s requirements on packages outside the
/// repository (`host-app==1!0+dev`) by the specifier `[versioning.requirements]` gives; a
/// requirement it gives none for is a problem naming file, line and requirement.
pub fn placeholder_requirement_edits(
    root: &Path,
    plugin: &Plugin,
    siblings: &[&str],
    placeholder: &Version,
    specifiers: &BTreeMap<String, String>,
) -> Result<Vec<Edit>, Vec<String>> {
    let mut problems = Vec::new();
    let mut edits = Vec::new();
    let written = placeholder_requirements(plugin, siblings, placeholder);
    // Requirements at the placeholder that the plugin computes (the build backend's word) have
    // no place to rewrite.
    for d in &plugin.dependencies {
        let Some(name) = at_placeholder(d, siblings, placeholder) else {
            continue;
        };
        if !written.iter().any(|(_, w)| *w == name) {
            problems.push(format!(
                "{}: {} computes the requirement {d:?} at the placeholder {placeholder} (its build backend says \
                 so): this tool can rewrite it only where it is written as a literal string",
                plugin.dir,
                plugin.layout_file()
            ));
        }
    }
    for (place, name) in written {
        let shown = plugin.path(&place.file);
        let text = std::fs::read_to_string(root.join(&plugin.dir).join(&place.file)).unwrap_or_default();
        let line = line_col(&text, place.offset).0;
        let Some(new_spec) = specifiers.get(&name) else {
            problems.push(format!(
                "{shown}:{line}: the requirement {:?} names the placeholder {placeholder}, which no release \
                 of {name} has: say which versions of {name} the plugin needs in [versioning.requirements] \
                 (e.g. {name} = \">=1.10.7,<1.11\"), and each build writes that instead",
                place.text
            ));
            continue;
        };
        match replace_specifier(&place.text, new_spec) {
            Ok(new) => edits.push(Edit {
                file: shown,
                line,
                offset: place.offset,
                old: place.text.clone(),
                new,
                reason: format!("[versioning.requirements] {name}"),
            }),
            Err(e) => problems.push(format!("{shown}:{line}: requirement {:?}: {e}", place.text)),
        }
    }
    finish(edits, problems)
}

/// `plugin`'s requirements on packages outside the repository (not `siblings`) whose
/// specifier names the placeholder, with each package's normalized name.
pub fn placeholder_requirements<'a>(
    plugin: &'a Plugin,
    siblings: &[&str],
    placeholder: &Version,
) -> Vec<(&'a RequirementPlace, String)> {
    plugin
        .requirement_places
        .iter()
        .filter_map(|place| Some((place, at_placeholder(&place.text, siblings, placeholder)?)))
        .collect()
}

/// The normalized package name of `requirement` when it is on a package outside the
/// repository (not `siblings`) and its specifier names the placeholder.
/// A requirement on a package outside the repository at the placeholder, as the stamp writes
/// it (`[versioning.requirements]`); `None` for any other requirement, or one without a
/// specifier to write (a problem the plan reports).
pub fn stamped_requirement(
    requirement: &str,
    siblings: &[&str],
    placeholder: &Version,
    specifiers: &BTreeMap<String, String>,
) -> Option<String> {
    let name = at_placeholder(requirement, siblings, placeholder)?;
    replace_specifier(requirement, specifiers.get(&name)?).ok()
}

fn at_placeholder(requirement: &str, siblings: &[&str], placeholder: &Version) -> Option<String> {
    let r = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(requirement).ok()?;
    let name = r.name.to_string();
    let Some(pep508_rs::VersionOrUrl::VersionSpecifier(spec)) = &r.version_or_url else {
        return None;
    };
    (spec.iter().any(|s| s.version() == placeholder) && !siblings.contains(&name.as_str())).then_some(name)
}

fn finish(mut edits: Vec<Edit>, problems: Vec<String>) -> Result<Vec<Edit>, Vec<String>> {
    edits.sort_by(|a, b| (&a.file, a.offset).cmp(&(&b.file, b.offset)));
    edits.dedup();
    if problems.is_empty() {
        Ok(edits)
    } else {
        Err(problems)
    }
}

/// Dependencies of `plugin` on other plugins: (requirement text, normalized plugin name).
pub fn sibling_requirements(plugin: &Plugin, plugin_names: &[&str]) -> Vec<(String, String)> {
    plugin
        .dependencies
        .iter()
        .filter_map(|d| {
            let r = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(d).ok()?;
            let name = r.name.to_string();
            (plugin_names.contains(&name.as_str()) && name != plugin.normalized).then(|| (d.clone(), name))
        })
        .collect()
}

/// Requirements of plugins whose files are not rewritten that exclude a sibling's planned
/// version: one message per requirement, naming both plugins, the specifier and the version.
pub fn pin_violations(plugins: &[&Plugin], planned: &BTreeMap<String, Version>) -> Vec<String> {
    let mut problems = Vec::new();
    for plugin in plugins {
        for place in &plugin.requirement_places {
            let Ok(r) = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(&place.text) else {
                continue;
            };
            let Some(version) = planned.get(r.name.as_ref()) else {
                continue;
            };
            if let Some(pep508_rs::VersionOrUrl::VersionSpecifier(spec)) = &r.version_or_url {
                if !crate::versions::satisfies(spec, version) {
                    problems.push(format!(
                        "{} requires {} {spec} ({}/{}), which excludes its planned version {version}: \
                         release {} too, or widen the requirement",
                        plugin.normalized, r.name, plugin.dir, place.file, plugin.normalized
                    ));
                }
            }
        }
    }
    problems
}

/// Apply edits (to one file's text) where each finds its `old` text at its offset.
pub fn apply(text: &str, edits: &[&Edit]) -> Result<String, String> {
    let mut sorted: Vec<&&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| std::cmp::Reverse(e.offset));
    let mut out = text.to_string();
    for e in sorted {
        if out.get(e.offset..e.offset + e.old.len()) != Some(e.old.as_str()) {
            return Err(format!(
                "{}:{}: expected {:?} there (the file changed since the plan was made); make the plan again",
                e.file, e.line, e.old
            ));
        }
        out.replace_range(e.offset..e.offset + e.old.len(), &e.new);
    }
    Ok(out)
}

/// A unified diff (2 lines of context) of `old` → `new` for `file`.
pub fn unified_diff(file: &str, old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    diff.unified_diff()
        .context_radius(2)
        .header(&format!("a/{file}"), &format!("b/{file}"))
        .to_string()
}

/// Edits grouped by file, in file order.
pub fn by_file(edits: &[Edit]) -> BTreeMap<&str, Vec<&Edit>> {
    let mut map: BTreeMap<&str, Vec<&Edit>> = BTreeMap::new();
    for e in edits {
        map.entry(e.file.as_str()).or_default().push(e);
    }
    map
}

/// Replace the version specifier of a requirement, keeping its name, extras and markers as
/// written. `compatible`: `acme-base==1.4.*,>=1.4.0; python_version>'3'` →
/// `acme-base==1.4.*,>=1.4.1.dev5; python_version>'3'`; `exact`: `==1.4.1.dev5`; `minimum`:
/// `>=1.4.1.dev5`.
pub fn pin_requirement(req: &str, version: &Version, policy: SiblingPins) -> Result<String, String> {
    // PEP 440: specifiers carry no local label; the epoch belongs to the prefix match too.
    let public = version.clone().without_local();
    let new_spec = match policy {
        SiblingPins::Exact => format!("=={public}"),
        SiblingPins::Minimum => format!(">={public}"),
        SiblingPins::Compatible => {
            let release = version.release();
            let (major, minor) = (
                release.first().copied().unwrap_or(0),
                release.get(1).copied().unwrap_or(0),
            );
            let epoch = if version.epoch() > 0 {
                format!("{}!", version.epoch())
            } else {
                String::new()
            };
            format!("=={epoch}{major}.{minor}.*,>={public}")
        }
    };
    replace_specifier(req, &new_spec)
}

/// `req` with its version specifier replaced by `new_spec`, its name, extras, spacing and
/// marker as written.
fn replace_specifier(req: &str, new_spec: &str) -> Result<String, String> {
    let name_end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .unwrap_or(req.len());
    let mut spec_start = name_end;
    let after_name = &req[name_end..];
    let trimmed = after_name.trim_start();
    if trimmed.starts_with('[') {
        let close = req[name_end..].find(']').ok_or("unclosed extras")?;
        spec_start = name_end + close + 1;
    }
    let rest = &req[spec_start..];
    if rest.trim_start().starts_with('@') {
        return Err("a URL requirement cannot be pinned to a version; require the plugin by name".into());
    }
    let spec_len = rest.find(';').unwrap_or(rest.len());
    let spec = &rest[..spec_len];
    let lead = spec.len() - spec.trim_start().len();
    let tail = spec.len() - spec.trim_end().len();
    let lead_ws = if spec.trim().is_empty() { "" } else { &spec[..lead] };
    Ok(format!(
        "{}{lead_ws}{new_spec}{}{}",
        &req[..spec_start],
        &spec[spec.len() - tail..],
        &rest[spec_len..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_keep_name_extras_and_markers() {
        let c = SiblingPins::Compatible;
        let v = Version::from_str("1.4.1.dev20261121001").unwrap();
        assert_eq!(
            pin_requirement("acme-plugin-base==1.4.*,>=1.4.0", &v, c).unwrap(),
            "acme-plugin-base==1.4.*,>=1.4.1.dev20261121001"
        );
        assert_eq!(
            pin_requirement("Acme_Base [extra] >= 1.0 ; python_version >= '3.9'", &v, c).unwrap(),
            "Acme_Base [extra] ==1.4.*,>=1.4.1.dev20261121001 ; python_version >= '3.9'"
        );
        assert_eq!(
            pin_requirement("acme-base", &v, c).unwrap(),
            "acme-base==1.4.*,>=1.4.1.dev20261121001"
        );
        assert_eq!(
            pin_requirement("acme-base;os_name=='nt'", &v, c).unwrap(),
            "acme-base==1.4.*,>=1.4.1.dev20261121001;os_name=='nt'"
        );
        assert!(pin_requirement("acme-base @ https://x/y.whl", &v, c).is_err());
        let local = Version::from_str("1.4.1.dev5+gabc123").unwrap();
        assert_eq!(
            pin_requirement("acme-base", &local, c).unwrap(),
            "acme-base==1.4.*,>=1.4.1.dev5"
        );
        let epoch = Version::from_str("1!2.0.1.dev5").unwrap();
        assert_eq!(
            pin_requirement("acme-base>=1", &epoch, c).unwrap(),
            "acme-base==1!2.0.*,>=1!2.0.1.dev5"
        );
    }

    #[test]
    fn pin_policies() {
        let v = Version::from_str("4.1.2").unwrap();
        let req = "acme-plugin-base==0.0.*,>=0.0.0";
        assert_eq!(
            pin_requirement(req, &v, SiblingPins::Compatible).unwrap(),
            "acme-plugin-base==4.1.*,>=4.1.2"
        );
        assert_eq!(
            pin_requirement(req, &v, SiblingPins::Exact).unwrap(),
            "acme-plugin-base==4.1.2"
        );
        assert_eq!(
            pin_requirement(req, &v, SiblingPins::Minimum).unwrap(),
            "acme-plugin-base>=4.1.2"
        );
    }

    #[test]
    fn apply_checks_the_old_text() {
        let edit = |offset, old: &str, new: &str| Edit {
            file: "f".into(),
            line: 1,
            offset,
            old: old.into(),
            new: new.into(),
            reason: "version".into(),
        };
        let text = "v = '1.0'\r\nw = '1.0'\r\n";
        let (a, b) = (edit(5, "1.0", "1.1.dev1"), edit(16, "1.0", "1.1.dev1"));
        assert_eq!(apply(text, &[&a, &b]).unwrap(), "v = '1.1.dev1'\r\nw = '1.1.dev1'\r\n");
        assert!(apply(text, &[&edit(4, "1.0", "2")])
            .unwrap_err()
            .contains("expected \"1.0\" there"));
    }
}
