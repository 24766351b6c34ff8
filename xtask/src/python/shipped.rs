//! What a build backend leaves out of a wheel by design, as globs of paths in the wheel, so
//! that the build's completeness check never calls those files missing: setuptools packages
//! excluded from `find_packages`/`find_namespace_packages` (in setup.py, `[options.packages.find]`
//! of setup.cfg, `[tool.setuptools.packages.find]`), and hatch's `exclude` of the wheel target or
//! of every target (paths relative to the project, mapped through the wheel's `sources` and
//! `packages` as hatch maps them); and, under hatch's `only-include`, the files of a shipped
//! top-level package outside the included paths. Pure.

/// Globs (paths in the wheel) of what the backend leaves out by design, from the plugin's
/// `pyproject.toml` text (if any), the package exclusions its setup.py/setup.cfg give, and
/// its `files` (paths relative to the plugin) for hatch's `only-include`.
pub fn left_out(pyproject: Option<&str>, setup_excludes: &[String], files: &[String]) -> Vec<String> {
    let doc: Option<toml::Table> = pyproject.and_then(|t| t.parse().ok());
    let get = |path: &[&str]| -> Option<&toml::Value> {
        let mut value = doc.as_ref()?.get(path[0])?;
        for key in &path[1..] {
            value = value.get(key)?;
        }
        Some(value)
    };
    let strings = |path: &[&str]| -> Vec<String> {
        get(path)
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let mut globs = Vec::new();
    // setuptools: dotted package patterns (fnmatch); a file belongs to its folder's package.
    for pattern in setup_excludes
        .iter()
        .cloned()
        .chain(strings(&["tool", "setuptools", "packages", "find", "exclude"]))
    {
        globs.push(format!("{}/*", pattern.replace('.', "/")));
    }
    // hatch: gitignore-style paths relative to the project, as the wheel places them.
    let wheel = ["tool", "hatch", "build", "targets", "wheel"];
    let mut prefixes: Vec<String> = match get(&[&wheel[..], &["sources"]].concat()) {
        Some(toml::Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        Some(toml::Value::Table(t)) => t
            .iter()
            .filter(|(_, to)| to.as_str() == Some(""))
            .map(|(from, _)| from.clone())
            .collect(),
        _ => Vec::new(),
    };
    // `packages = ["src/acme"]` ships `src/acme` as `acme`.
    for p in strings(&[&wheel[..], &["packages"]].concat()) {
        if let Some((parent, _)) = p.trim_end_matches('/').rsplit_once('/') {
            prefixes.push(parent.to_string());
        }
    }
    for pattern in strings(&[&wheel[..], &["exclude"]].concat())
        .into_iter()
        .chain(strings(&["tool", "hatch", "build", "exclude"]))
    {
        let pattern = pattern.trim_start_matches('/').trim_end_matches('/');
        let in_wheel = prefixes
            .iter()
            .find_map(|p| pattern.strip_prefix(&format!("{}/", p.trim_end_matches('/'))))
            .unwrap_or(pattern);
        if in_wheel.contains('/') {
            globs.extend([in_wheel.to_string(), format!("{in_wheel}/*")]);
            continue;
        }
        globs.extend([
            in_wheel.to_string(),
            format!("{in_wheel}/*"),
            format!("*/{in_wheel}"),
            format!("*/{in_wheel}/*"),
        ]);
    }
    // hatch `only-include`: of a top-level package it names a part of, the rest stays out.
    let to_wheel = |path: &str| -> String {
        let path = path.trim_start_matches('/').trim_end_matches('/');
        prefixes
            .iter()
            .find_map(|p| path.strip_prefix(&format!("{}/", p.trim_end_matches('/'))))
            .unwrap_or(path)
            .to_string()
    };
    let included: Vec<String> = strings(&[&wheel[..], &["only-include"]].concat())
        .into_iter()
        .chain(strings(&["tool", "hatch", "build", "only-include"]))
        .map(|p| to_wheel(&p))
        .collect();
    for file in files.iter().map(|f| to_wheel(f)) {
        let top = |p: &str| p.split('/').next().unwrap_or_default().to_string();
        let inside = |inc: &String| file == *inc || file.starts_with(&format!("{inc}/"));
        if included.iter().any(|inc| inc.contains('/') && top(inc) == top(&file)) && !included.iter().any(inside) {
            globs.push(glob::Pattern::escape(&file));
        }
    }
    globs
}

#[cfg(test)]
mod tests {
    fn matches(globs: &[String], path: &str) -> bool {
        globs
            .iter()
            .any(|g| glob::Pattern::new(g).is_ok_and(|p| p.matches(path)))
    }

    #[test]
    fn setuptools_package_exclusions_cover_their_files() {
        let globs = super::left_out(None, &["acme.x.tests*".into(), "*.fixtures".into()], &[]);
        assert!(matches(&globs, "acme/x/tests/test_a.py"));
        assert!(matches(&globs, "acme/x/tests/unit/__init__.py"));
        assert!(matches(&globs, "acme/y/fixtures/data.json"));
        assert!(!matches(&globs, "acme/x/core.py"));
        let pyproject = "[tool.setuptools.packages.find]\nwhere = [\"src\"]\nexclude = [\"tests\"]\n";
        let globs = super::left_out(Some(pyproject), &[], &[]);
        assert!(matches(&globs, "tests/test_a.py"));
        assert!(!matches(&globs, "acme/tests.py"));
    }

    #[test]
    fn hatch_exclusions_are_mapped_through_sources_and_packages() {
        let pyproject =
            "[tool.hatch.build.targets.wheel]\nsources = [\"src\"]\nexclude = [\"src/acme_y/tests\", \"*.bak\"]\n";
        let globs = super::left_out(Some(pyproject), &[], &[]);
        assert!(matches(&globs, "acme_y/tests/test_y.py"));
        assert!(matches(&globs, "acme_y/data/old.bak"));
        assert!(!matches(&globs, "acme_y/core.py"));
        let pyproject = "[tool.hatch.build.targets.wheel]\npackages = [\"src/acme_z\"]\n[tool.hatch.build]\nexclude = [\"/src/acme_z/fixtures/\"]\n";
        let globs = super::left_out(Some(pyproject), &[], &[]);
        assert!(matches(&globs, "acme_z/fixtures/big.csv"));
        assert!(!matches(&globs, "acme_z/data.csv"));
    }

    #[test]
    fn hatch_only_include_of_a_subpackage_leaves_the_rest_of_its_package_out() {
        let pyproject = "[tool.hatch.build.targets.wheel]\nsources = [\"src\"]\nonly-include = [\"src/acme/core\"]\n";
        let files: Vec<String> = [
            "src/acme/__init__.py",
            "src/acme/core/__init__.py",
            "src/acme/core/data/x[1].json",
            "src/acme/web/app.py",
            "tests/test_core.py",
        ]
        .map(String::from)
        .to_vec();
        let globs = super::left_out(Some(pyproject), &[], &files);
        assert!(matches(&globs, "acme/__init__.py"));
        assert!(matches(&globs, "acme/web/app.py"));
        assert!(!matches(&globs, "acme/core/__init__.py"));
        assert!(!matches(&globs, "acme/core/data/x[1].json"));
        // A whole package included: nothing of it is left out.
        let pyproject = "[tool.hatch.build.targets.wheel]\nonly-include = [\"acme\"]\n";
        let files = ["acme/__init__.py".to_string(), "acme/web/app.py".to_string()];
        assert!(super::left_out(Some(pyproject), &[], &files).is_empty());
    }
}
