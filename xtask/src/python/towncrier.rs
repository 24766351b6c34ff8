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
    /// The fragments folder (of the first section), relative to the plugin folder.
    pub directory: String,
    /// The fragments folder of every section (`[[tool.towncrier.section]]`).
    pub directories: Vec<String>,
    /// The fragment types, as fragment file names spell them (`123.feature.md`).
    pub types: Vec<String>,
    /// Names (lowercase globs) towncrier never takes for fragments.
    pub ignored: Vec<String>,
    /// Its sections have a title (`title_format` is not `false`).
    pub titled: bool,
}

/// The towncrier configuration of the plugin in `dir` with this `pyproject.toml` text, if any,
/// read as towncrier 26.9 reads it: `towncrier.toml` first, then `[tool.towncrier]` of
/// pyproject.toml; the fragments folder `directory`, else `package_dir/package/newsfragments`
/// (`package` falling back to `[project] name`), per section; the types of
/// `[tool.towncrier.fragment.*]`, else of `[[tool.towncrier.type]]` (`directory`, else the
/// lowercased `name`), else towncrier's own.
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
    let project_name = pyproject
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|d| d.get("project")?.get("name")?.as_str().map(str::to_string));
    let base = match string("directory") {
        Some(directory) => (directory, String::new()),
        None => {
            let package = string("package").or(project_name).unwrap_or_default();
            let package_dir = string("package_dir").unwrap_or_else(|| ".".into());
            (join(&[&package_dir, &package]), "newsfragments".to_string())
        }
    };
    let sections: Vec<String> = match table.get("section").and_then(|s| s.as_array()) {
        Some(sections) if !sections.is_empty() => sections
            .iter()
            .map(|s| s.get("path").and_then(|p| p.as_str()).unwrap_or_default().to_string())
            .collect(),
        _ => vec![String::new()],
    };
    let directories: Vec<String> = sections.iter().map(|s| join(&[&base.0, s, &base.1])).collect();
    let array_types: Vec<String> = table
        .get("type")
        .and_then(|t| t.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    let directory = t.get("directory").and_then(|d| d.as_str()).map(str::to_string);
                    directory.or_else(|| t.get("name")?.as_str().map(str::to_lowercase))
                })
                .collect()
        })
        .unwrap_or_default();
    let types = match table.get("fragment").and_then(|f| f.as_table()) {
        Some(fragment) if !fragment.is_empty() => fragment.keys().cloned().collect(),
        _ if !array_types.is_empty() => array_types,
        _ => DEFAULT_TYPES.iter().map(|t| t.to_string()).collect(),
    };
    let mut ignored: Vec<String> = [".gitignore", ".gitkeep", ".keep", "readme", "readme.md", "readme.rst"]
        .map(String::from)
        .to_vec();
    if let Some(template) = string("template") {
        ignored.push(template.rsplit('/').next().unwrap_or_default().to_lowercase());
    }
    if let Some(extra) = table.get("ignore").and_then(|i| i.as_array()) {
        ignored.extend(extra.iter().filter_map(|i| i.as_str()).map(str::to_lowercase));
    }
    Some(Towncrier {
        config: config.to_string(),
        filename: string("filename").unwrap_or_else(|| "NEWS.rst".into()),
        directory: directories[0].clone(),
        directories,
        types,
        ignored,
        titled: table.get("title_format").and_then(|t| t.as_bool()) != Some(false),
    })
}

/// Path parts joined with `/`, empty and `.` parts left out.
fn join(parts: &[&str]) -> String {
    let parts: Vec<&str> = parts
        .iter()
        .flat_map(|p| p.split('/'))
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    parts.join("/")
}

impl Towncrier {
    /// The fragments waiting in the plugin folder `dir` (paths relative to it, sorted): the
    /// files of the fragments folders, towncrier's ignored names aside, whose name has a
    /// fragment type after its first part (`123.feature.md`, `+orphan.bugfix.rst`, `124.doc.1`).
    pub fn fragments(&self, dir: &Path) -> Vec<String> {
        let mut found = Vec::new();
        for folder in &self.directories {
            let Ok(entries) = std::fs::read_dir(dir.join(folder)) else {
                continue;
            };
            found.extend(
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|name| self.is_fragment(name))
                    .map(|name| join(&[folder, &name])),
            );
        }
        found.sort();
        found
    }

    /// Globs (paths in a wheel) of the fragments folders: fragments are never package data,
    /// wherever the folder is (`acme/newsfragments`, `src/acme/newsfragments`).
    pub fn left_out(&self) -> Vec<String> {
        let mut globs = Vec::new();
        for folder in &self.directories {
            let parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
            globs.extend((0..parts.len()).map(|i| format!("{}/*", glob::Pattern::escape(&parts[i..].join("/")))));
        }
        globs
    }

    fn is_fragment(&self, name: &str) -> bool {
        let lower = name.to_lowercase();
        let ignored = self
            .ignored
            .iter()
            .any(|i| glob::Pattern::new(i).is_ok_and(|p| p.matches(&lower)));
        !ignored && name.split('.').skip(1).any(|part| self.types.iter().any(|t| t == part))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn configuration_and_fragments() {
        let dir = tempfile::tempdir().unwrap();
        let pyproject =
            "[project]\nname = \"x\"\n\n[tool.towncrier]\ndirectory = \"changes\"\nfilename = \"CHANGELOG.md\"\n\n\
                         [[tool.towncrier.type]]\ndirectory = \"security\"\nname = \"Security\"\nshowcontent = true\n\n\
                         [[tool.towncrier.type]]\nname = \"Chores\"\n";
        let t = super::read(dir.path(), Some(pyproject)).unwrap();
        assert_eq!(
            (t.config.as_str(), t.filename.as_str(), t.directory.as_str()),
            ("pyproject.toml", "CHANGELOG.md", "changes")
        );
        assert_eq!(t.types, ["security", "chores"]);
        std::fs::create_dir(dir.path().join("changes")).unwrap();
        for name in [
            "12.security.md",
            "+abc.security.md",
            "13.feature.md",
            ".gitignore",
            "README.md",
            "4.chores",
        ] {
            std::fs::write(dir.path().join("changes").join(name), "x\n").unwrap();
        }
        assert_eq!(
            t.fragments(dir.path()),
            ["changes/+abc.security.md", "changes/12.security.md", "changes/4.chores"]
        );
        // The package's folder by default, joined as written; [project] name stands in for it.
        let t = super::read(
            dir.path(),
            Some("[tool.towncrier]\npackage = \"acme_x\"\npackage_dir = \"src\"\n"),
        )
        .unwrap();
        assert_eq!(
            (t.directory.as_str(), t.filename.as_str()),
            ("src/acme_x/newsfragments", "NEWS.rst")
        );
        assert_eq!(t.types.len(), 5);
        let t = super::read(
            dir.path(),
            Some("[project]\nname = \"acme-plugin\"\n\n[tool.towncrier]\n"),
        )
        .unwrap();
        assert_eq!(t.directory, "acme-plugin/newsfragments");
        // Sections each have their folder; `fragment` tables replace the types.
        let t = super::read(
            dir.path(),
            Some(
                "[tool.towncrier]\ndirectory = \"news\"\n[[tool.towncrier.section]]\nname = \"\"\npath = \"\"\n\
                  [[tool.towncrier.section]]\nname = \"Web\"\npath = \"web\"\n[tool.towncrier.fragment.chore]\n\
                  [[tool.towncrier.type]]\ndirectory = \"x\"\nname = \"X\"\n",
            ),
        )
        .unwrap();
        assert_eq!(t.directories, ["news", "news/web"]);
        assert_eq!(t.types, ["chore"]);
        std::fs::write(
            dir.path().join("towncrier.toml"),
            "[tool.towncrier]\nfilename = \"docs/changes.rst\"\ntitle_format = false\n",
        )
        .unwrap();
        let t = super::read(dir.path(), None).unwrap();
        assert_eq!(
            (t.config.as_str(), t.filename.as_str()),
            ("towncrier.toml", "docs/changes.rst")
        );
        assert!(!t.titled);
        assert!(super::read(tempfile::tempdir().unwrap().path(), Some("[project]\n")).is_none());
    }
}
