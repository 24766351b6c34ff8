//! Tag families: which formats a repository's existing release tags follow, found by
//! matching the text before each tag's version to the plugins' names (`{name}-v{version}`) or
//! ids, their names without the first words (`providers-{id}/{version}` with the id prefix
//! `host-providers-`), and repository-wide formats (`v{version}`, `{version}`). Pure.

use std::collections::BTreeMap;

/// A tag template and the id prefix its `{id}` needs.
pub type Family = (String, Option<String>);

/// What the tags say.
#[derive(Debug, Default)]
pub struct Formats {
    /// The family most plugin tags follow, and how many tags it explains.
    pub tag: Option<(Family, usize)>,
    /// Plugins whose tags follow another family: (plugin, literal template, tags).
    pub plugin_tags: Vec<(String, String, usize)>,
    /// The repository-wide format most tags follow, and how many.
    pub group_tag: Option<(String, usize)>,
}

/// The formats of `tags`, for the plugins `names` (normalized).
pub fn detect(names: &[&str], tags: &[String]) -> Formats {
    const REPO_FORMATS: &[&str] = &["v{version}", "{version}"];
    let mut families: BTreeMap<Family, usize> = BTreeMap::new();
    let mut by_plugin: BTreeMap<&str, BTreeMap<Family, usize>> = BTreeMap::new();
    let mut repo_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for tag in tags {
        let Some(prefix) = version_prefix(tag) else { continue };
        if let Some(format) = REPO_FORMATS.iter().find(|f| f.trim_end_matches("{version}") == prefix) {
            *repo_counts.entry(format).or_default() += 1;
            continue;
        }
        for name in names {
            for family in tag_families(name, prefix) {
                *by_plugin.entry(name).or_default().entry(family.clone()).or_default() += 1;
                *families.entry(family).or_default() += 1;
            }
        }
    }
    // Most tags explained; then `{name}` over `{id}`; then the shortest ids.
    let rank = |((template, prefix), n): (&Family, &usize)| {
        (*n, template.contains("{name}"), prefix.as_ref().map_or(0, String::len))
    };
    let mut formats = Formats {
        tag: families.iter().max_by_key(|e| rank(*e)).map(|(f, n)| (f.clone(), *n)),
        group_tag: repo_counts
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(f, n)| (f.to_string(), *n)),
        ..Formats::default()
    };
    if let Some((chosen, _)) = &formats.tag {
        for (plugin, own) in &by_plugin {
            if own.contains_key(chosen) {
                continue;
            }
            // Its tags follow another family: a literal template of its own.
            let Some(((other, other_prefix), n)) = own.iter().max_by_key(|e| rank(*e)) else {
                continue;
            };
            let id = other_prefix
                .as_deref()
                .and_then(|p| plugin.strip_prefix(p))
                .unwrap_or(plugin);
            let literal = other.replace("{name}", plugin).replace("{id}", id);
            formats.plugin_tags.push((plugin.to_string(), literal, *n));
        }
    }
    formats
}

/// What comes before the version a tag ends with (`providers-sqlite/` of
/// `providers-sqlite/4.3.4`), if it ends with one.
pub fn version_prefix(tag: &str) -> Option<&str> {
    let is_version =
        |s: &str| !s.is_empty() && s.starts_with(|c: char| c.is_ascii_digit()) && crate::versions::parse(s).is_ok();
    tag.char_indices()
        .filter(|(i, c)| c.is_ascii_digit() && !tag[..*i].ends_with(|b: char| b.is_ascii_alphanumeric() || b == '.'))
        .find(|(i, _)| is_version(&tag[*i..]))
        .map(|(i, _)| &tag[..i])
        .or_else(|| {
            tag.char_indices()
                .find(|(i, _)| is_version(&tag[*i..]))
                .map(|(i, _)| &tag[..i])
        })
}

/// The tag families that give `prefix` (what precedes the version) for the plugin `name`:
/// the name itself (`{name}`), or an id, the name without its first dash-separated words
/// (`{id}`, with those words as the id prefix). Each spelled as a whole word of the prefix.
pub fn tag_families(name: &str, prefix: &str) -> Vec<(String, Option<String>)> {
    let words: Vec<&str> = name.split('-').collect();
    let mut out = Vec::new();
    for k in 0..words.len() {
        let id = words[k..].join("-");
        let Some(at) = prefix.rfind(&id) else { continue };
        let before = prefix[..at].chars().next_back();
        let after = prefix[at + id.len()..].chars().next();
        if before.is_some_and(|c| c.is_ascii_alphanumeric()) || after.is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let (placeholder, id_prefix) = match k {
            0 => ("{name}", None),
            _ => ("{id}", Some(format!("{}-", words[..k].join("-")))),
        };
        let template = format!("{}{placeholder}{}{{version}}", &prefix[..at], &prefix[at + id.len()..]);
        out.push((template, id_prefix));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn tag_families_name_the_plugin_or_its_id() {
        assert_eq!(
            super::version_prefix("providers-sqlite/4.3.4"),
            Some("providers-sqlite/")
        );
        assert_eq!(super::version_prefix("acme-plugin2-v1.2.0rc1"), Some("acme-plugin2-v"));
        assert_eq!(super::version_prefix("v2"), Some("v"));
        assert_eq!(super::version_prefix("latest"), None);
        let families = super::tag_families("host-providers-sqlite", "providers-sqlite/");
        assert_eq!(
            families,
            [
                ("{id}/{version}".to_string(), Some("host-".to_string())),
                (
                    "providers-{id}/{version}".to_string(),
                    Some("host-providers-".to_string())
                ),
            ]
        );
        assert_eq!(
            super::tag_families("acme-base", "acme-base-v"),
            [
                ("{name}-v{version}".to_string(), None),
                ("acme-{id}-v{version}".to_string(), Some("acme-".to_string()))
            ]
        );
        // A word inside another word is no id.
        assert!(super::tag_families("acme-sql", "providers-sqlite/").is_empty());
    }

    #[test]
    fn the_family_most_tags_follow_wins_and_others_get_their_own() {
        let tags: Vec<String> = [
            "providers-sqlite/4.3.4",
            "providers-sqlite/4.3.3",
            "providers-http/2.1.0",
            "core-v1.0.0",
            "v3",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let formats = super::detect(&["host-providers-sqlite", "host-providers-http", "core"], &tags);
        assert_eq!(
            formats.tag,
            Some((
                (
                    "providers-{id}/{version}".to_string(),
                    Some("host-providers-".to_string())
                ),
                3
            ))
        );
        assert_eq!(
            formats.plugin_tags,
            [("core".to_string(), "core-v{version}".to_string(), 1)]
        );
        assert_eq!(formats.group_tag, Some(("v{version}".to_string(), 1)));
    }
}
