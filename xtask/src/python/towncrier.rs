//! towncrier's configuration of a plugin (`[tool.towncrier]` in its `pyproject.toml` or
//! `towncrier.toml`): the news file it compiles fragments into, the fragments folder and the
//! fragment types; and the fragments waiting there. Reads files only; towncrier itself runs
//! in the build-tools venv (`versions::towncrier`).

use std::path::Path;

/// towncrier, pinned: installed into the build-tools venv when a plugin uses it.
pub const TOWNCRIER: &str = "towncrier==26.9.0";

/// The fragment types towncrier knows when the configuration names none.
const DEFAULT_TYPES: &[&str] = &["feature", "bugfix", "doc", "removal", "misc"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Towncrier {
    /// The file holding the configuration, relative to the plugin folder.
    pub config: String,
    /// The news file, relative to the plugin folder.
    pub filename: String,
    /// The fragments folder, relative to the plugin folder.
    pub directory: String,
    /// The fragment types, as fragment file names spell them (`123.feature.md`).
    pub types: Vec<String>,
}

/// The towncrier configuration of the plugin in `dir` with this `pyproject.toml` text, if any:
/// `towncrier.toml` first (towncrier's own order), then `[tool.towncrier]` of pyproject.toml.
pub fn read(dir: &Path, pyproject: Option<&str>) -> Option<Towncrier> {
    let own = std::fs::read_to_string(dir.join("towncrier.toml")).ok();
    let (config, text) = match (&own, pyproject) {
        (Some(text), _) => ("towncrier.toml", text.as_str()),
        (None, Some(text)) if text.contains("[tool.towncrier") => ("pyproject.toml", text),
        _ => return None,
    };
    let doc: toml::Table = text.parse().ok()?;
    let table = doc.get("tool")?.get("towncrier")?;
    let string = |key: &str| table.get(key).and_then(|v| v.as_str()).map(str::to_string);
    let directory = string("directory").unwrap_or_else(|| match string("package") {
        Some(package) => {
            let base = string("package_dir").unwrap_or_else(|| ".".into());
            format!(
                "{}/{}/newsfragments",
                base.trim_end_matches('/'),
                package.replace('.', "/")
            )
            .trim_start_matches("./")
            .to_string()
        }
        None => "newsfragments".into(),
    });
    let mut types: Vec<String> = table
        .get("type")
        .and_then(|t| t.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|t| t.get("directory").and_then(|d| d.as_str()).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(fragment) = table.get("fragment").and_then(|f| f.as_table()) {
        types.extend(fragment.keys().cloned());
    }
    if types.is_empty() {
        types = DEFAULT_TYPES.iter().map(|t| t.to_string()).collect();
    }
    Some(Towncrier {
        config: config.to_string(),
        filename: string("filename").unwrap_or_else(|| "NEWS.rst".into()),
        directory,
        types,
    })
}

impl Towncrier {
    /// The fragments waiting in the plugin folder `dir` (paths relative to it, sorted): the
    /// files of the fragments folder whose name has a fragment type after its first part
    /// (`123.feature.md`, `+orphan.bugfix.rst`, `124.doc.1`).
    pub fn fragments(&self, dir: &Path) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(dir.join(&self.directory)) else {
            return Vec::new();
        };
        let mut found: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| self.is_fragment(name))
            .map(|name| format!("{}/{name}", self.directory.trim_end_matches('/')))
            .collect();
        found.sort();
        found
    }

    /// Globs (paths in a wheel) of the fragments folder: fragments are never package data,
    /// wherever the folder is (`acme/newsfragments`, `src/acme/newsfragments`).
    pub fn left_out(&self) -> Vec<String> {
        let parts: Vec<&str> = self.directory.trim_matches('/').split('/').collect();
        (0..parts.len())
            .map(|i| format!("{}/*", glob::Pattern::escape(&parts[i..].join("/"))))
            .collect()
    }

    fn is_fragment(&self, name: &str) -> bool {
        !name.starts_with('.') && name.split('.').skip(1).any(|part| self.types.iter().any(|t| t == part))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn configuration_and_fragments() {
        let dir = tempfile::tempdir().unwrap();
        let pyproject =
            "[project]\nname = \"x\"\n\n[tool.towncrier]\ndirectory = \"changes\"\nfilename = \"CHANGELOG.md\"\n\n\
                         [[tool.towncrier.type]]\ndirectory = \"security\"\nname = \"Security\"\nshowcontent = true\n";
        let t = super::read(dir.path(), Some(pyproject)).unwrap();
        assert_eq!(
            (t.config.as_str(), t.filename.as_str(), t.directory.as_str()),
            ("pyproject.toml", "CHANGELOG.md", "changes")
        );
        assert_eq!(t.types, ["security"]);
        std::fs::create_dir(dir.path().join("changes")).unwrap();
        for name in [
            "12.security.md",
            "+abc.security.md",
            "13.feature.md",
            ".gitignore",
            "template.md",
        ] {
            std::fs::write(dir.path().join("changes").join(name), "x\n").unwrap();
        }
        assert_eq!(
            t.fragments(dir.path()),
            ["changes/+abc.security.md", "changes/12.security.md"]
        );
        // The package's folder by default; towncrier.toml wins.
        let t = super::read(
            dir.path(),
            Some("[tool.towncrier]\npackage = \"acme.x\"\npackage_dir = \"src\"\n"),
        )
        .unwrap();
        assert_eq!(
            (t.directory.as_str(), t.filename.as_str()),
            ("src/acme/x/newsfragments", "NEWS.rst")
        );
        assert_eq!(t.types.len(), 5);
        std::fs::write(
            dir.path().join("towncrier.toml"),
            "[tool.towncrier]\nfilename = \"docs/changes.rst\"\n",
        )
        .unwrap();
        let t = super::read(dir.path(), None).unwrap();
        assert_eq!(
            (t.config.as_str(), t.filename.as_str()),
            ("towncrier.toml", "docs/changes.rst")
        );
        assert!(super::read(tempfile::tempdir().unwrap().path(), Some("[project]\n")).is_none());
    }
}
