//! The version files `init` declares: JSON files (comments allowed) holding a plugin's version
//! at `version` or one level deeper, and YAML files holding it at a top-level key, as a scalar
//! or as the first item of a list of released versions (`mode = "prepend"`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::python::plugins::{self, Plugin};

/// Folders never searched for plugins.
pub const SKIP: &[&str] = &[
    "target",
    "node_modules",
    "venv",
    "build",
    "dist",
    "docs",
    "tests",
    "test",
    "site-packages",
    "xtask",
];
/// The JSON version files of each plugin folder that has any, by the folder's path relative
/// to the root: (path in the plugin folder, key).
pub fn json_files_by_plugin(root: &Path, dirs: &[PathBuf]) -> BTreeMap<String, Vec<(String, String)>> {
    let mut json_files: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for dir in dirs {
        let rel = plugins::relative(root, dir);
        let files = json_version_files(dir);
        if !files.is_empty() {
            json_files.insert(rel, files);
        }
    }
    json_files
}

/// The JSON version files to declare, each once: for every plugin, optional where some of the
/// `plugin_count` plugins lack them. (path, key, optional).
pub fn json_entries(
    json_files: &BTreeMap<String, Vec<(String, String)>>,
    plugin_count: usize,
) -> Vec<(String, String, bool)> {
    let mut json_entries: Vec<(String, String, bool)> = Vec::new();
    for files in json_files.values() {
        for (file, key) in files {
            if !json_entries.iter().any(|(f, k, _)| f == file && k == key) {
                let everywhere = json_files
                    .values()
                    .filter(|fs| fs.contains(&(file.clone(), key.clone())))
                    .count();
                json_entries.push((file.clone(), key.clone(), everywhere < plugin_count));
            }
        }
    }
    json_entries
}

/// JSON files of a plugin (up to two levels down) holding a PEP 440 version at `version` or
/// one level deeper (`plugin.version`): (path, key).
fn json_version_files(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in walk(dir) {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        // JSON with `//` or `/* */` comments is read too: the stamper keeps them.
        let Ok(value) =
            std::fs::read_to_string(path).map(|t| serde_json::from_str::<serde_json::Value>(&without_comments(&t)))
        else {
            continue;
        };
        let Ok(serde_json::Value::Object(top)) = value else {
            continue;
        };
        let is_version = |v: &serde_json::Value| v.as_str().is_some_and(|s| crate::versions::parse(s).is_ok());
        let key = if top.get("version").is_some_and(is_version) {
            Some("version".to_string())
        } else {
            top.iter().find_map(|(k, v)| {
                v.get("version")
                    .filter(|v| is_version(v))
                    .map(|_| format!("{k}.version"))
            })
        };
        if let Some(key) = key {
            found.push((plugins::relative(dir, path), key));
        }
    }
    found
}

/// YAML files of a plugin (up to two levels down) holding its version at a top-level key: as
/// a scalar (`version: 4.3.4`), or as the first item of a list (`versions:` then `- 4.3.4`),
/// a list of released versions a release prepends to. (path, key, prepend).
pub fn yaml_version_files(dir: &Path, plugin: &Plugin) -> Vec<(String, String, bool)> {
    let mut found = Vec::new();
    for entry in walk(dir).filter(|e| e.path().extension().is_some_and(|x| x == "yaml" || x == "yml")) {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        for key in crate::versions::yaml_top_level_keys(&text) {
            let Some(range) = crate::versions::files::locate(
                &crate::manifest::VersionFileKind::Yaml {
                    key: key.clone(),
                    prepend: false,
                },
                &text,
            )
            .ok()
            .and_then(|r| r.into_iter().next()) else {
                continue;
            };
            if crate::versions::parse(&text[range.clone()]).is_ok_and(|v| v == plugin.version) {
                let list = crate::versions::yaml_is_list_item(&text, range);
                found.push((plugins::relative(dir, entry.path()), key, list));
                break;
            }
        }
    }
    found
}

/// The files of a plugin folder, up to two levels down, outside hidden and build folders.
fn walk(dir: &Path) -> impl Iterator<Item = walkdir::DirEntry> {
    walkdir::WalkDir::new(dir)
        .max_depth(3)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.depth() == 0 || !(name.starts_with('.') || SKIP.contains(&name.as_ref()))
        })
        .flatten()
        .filter(|e| e.file_type().is_file())
}

/// JSON text with its `//` and `/* */` comments (outside strings) blanked out.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let (mut in_string, mut escaped) = (false, false);
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            (in_string, escaped) = match (c, escaped) {
                (_, true) => (true, false),
                ('\\', false) => (true, true),
                ('"', false) => (false, false),
                _ => (true, false),
            };
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                while chars.peek().is_some_and(|n| *n != '\n') {
                    chars.next();
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for n in chars.by_ref() {
                    if last == '*' && n == '/' {
                        break;
                    }
                    last = n;
                }
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_comments_are_blanked_outside_strings() {
        let text =
            "{\n  // the plugin's version\n  \"version\": \"4.3.4\", /* pinned */\n  \"url\": \"http://x//y\"\n}\n";
        let value: serde_json::Value = serde_json::from_str(&super::without_comments(text)).unwrap();
        assert_eq!(value["version"], "4.3.4");
        assert_eq!(value["url"], "http://x//y");
    }
}
