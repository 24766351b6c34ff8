//! What a build backend leaves out of a wheel by design, as globs of paths in the wheel, so
//! that the build's completeness check never calls those files missing: setuptools packages
//! excluded from `find_packages`/`find_namespace_packages` (in setup.py, `[options.packages.find]`
//! of setup.cfg, `[tool.setuptools.packages.find]`), and hatch's `exclude` of the wheel target or
//! of every target (paths relative to the project, mapped through the wheel's `sources` and
//! `packages` as hatch maps them). Pure.

/// Globs (paths in the wheel) of what the backend leaves out by design, from the plugin's
/// `pyproject.toml` text (if any) and the package exclusions its setup.py/setup.cfg give.
pub fn left_out(pyproject: Option<&str>, setup_excludes: &[String]) -> Vec<String> {
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
        } else {
            globs.extend([
                in_wheel.to_string(),
                format!("{in_wheel}/*"),
                format!("*/{in_wheel}"),
                format!("*/{in_wheel}/*"),
            ]);
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
        let globs = super::left_out(None, &["acme.x.tests*".into(), "*.fixtures".into()]);
        assert!(matches(&globs, "acme/x/tests/test_a.py"));
        assert!(matches(&globs, "acme/x/tests/unit/__init__.py"));
        assert!(matches(&globs, "acme/y/fixtures/data.json"));
        assert!(!matches(&globs, "acme/x/core.py"));
        let pyproject = "[tool.setuptools.packages.find]\nwhere = [\"src\"]\nexclude = [\"tests\"]\n";
        let globs = super::left_out(Some(pyproject), &[]);
        assert!(matches(&globs, "tests/test_a.py"));
        assert!(!matches(&globs, "acme/tests.py"));
    }

    #[test]
    fn hatch_exclusions_are_mapped_through_sources_and_packages() {
        let pyproject =
            "[tool.hatch.build.targets.wheel]\nsources = [\"src\"]\nexclude = [\"src/acme_y/tests\", \"*.bak\"]\n";
        let globs = super::left_out(Some(pyproject), &[]);
        assert!(matches(&globs, "acme_y/tests/test_y.py"));
        assert!(matches(&globs, "acme_y/data/old.bak"));
        assert!(!matches(&globs, "acme_y/core.py"));
        let pyproject = "[tool.hatch.build.targets.wheel]\npackages = [\"src/acme_z\"]\n[tool.hatch.build]\nexclude = [\"/src/acme_z/fixtures/\"]\n";
        let globs = super::left_out(Some(pyproject), &[]);
        assert!(matches(&globs, "acme_z/fixtures/big.csv"));
        assert!(!matches(&globs, "acme_z/data.csv"));
    }
}
