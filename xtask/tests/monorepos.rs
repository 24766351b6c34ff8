//! Monorepos of independently versioned plugins, shaped like two real ones: setuptools
//! plugins with `attr:` versions, `RELEASE.md` files headed `# Release X` and extras that
//! name their own plugin; hatchling plugins with `[tool.hatch.version] path` files,
//! `## Version X (date)` changelogs and `X.Yb0.devN` versions between releases. Releasing one
//! plugin changes exactly its version file and changelog, names its artifacts after it, and
//! its notes are its upcoming section only.

mod common;

use common::*;

/// A repository of `plugins` (folder, files) with the manifest `extra` appended.
fn monorepo(name: &str, plugins: &[(&str, Vec<(&str, String)>)], extra: &str) -> Repo {
    let dir = tempfile::Builder::new().prefix("xtask-monorepo-").tempdir().unwrap();
    let repo = Repo { dir };
    for (folder, files) in plugins {
        for (path, text) in files {
            repo.write(&format!("plugins/{folder}/{path}"), text);
        }
    }
    repo.write(
        "release-config.toml",
        &format!(
            "[release]\nname = \"{name}\"\nbranches = [\"main\"]\ntag = \"{{name}}-{{version}}\"\n\n\
             [plugins]\npaths = [\"plugins/*\"]\n\n\
             [public]\nindex-url = \"{}\"\nfind-links = [\"{}\"]\n\n\
             [platforms.linux]\ntags = [\"manylinux2014_x86_64\", \"manylinux_2_28_x86_64\", \"linux_x86_64\"]\npython = \"3.11\"\n\n{extra}",
            index().url,
            backend_wheels().display()
        ),
    );
    repo.write(".gitignore", "/target/\n/dist/\n");
    repo.git(&["init", "-q", "-b", "main"]);
    repo.git(&["config", "user.name", "Release Bot"]);
    repo.git(&["config", "user.email", "release-bot@example.com"]);
    repo.commit("fixture: independent plugins");
    repo
}

/// A setuptools plugin whose version is `attr: PKG.__version__`: (path, text) of its files.
fn setuptools_plugin(name: &str, version: &str, extras: &str, upcoming: &str) -> Vec<(String, String)> {
    let module = name.replace('-', "_");
    vec![
        (
            "pyproject.toml".into(),
            format!(
                "[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
                 [project]\nname = \"{name}\"\ndynamic = [\"version\"]\ndescription = \"A Kedro-style plugin\"\n\
                 requires-python = \">=3.9\"\ndependencies = []\n\n[project.optional-dependencies]\n{extras}\n\
                 [tool.setuptools.dynamic]\nversion = {{ attr = \"{module}.__version__\" }}\n\n\
                 [tool.setuptools.packages.find]\ninclude = [\"{module}*\"]\n"
            ),
        ),
        (
            format!("{module}/__init__.py"),
            format!("\"\"\"{name}.\"\"\"\n\n__version__ = \"{version}\"\n"),
        ),
        (
            "RELEASE.md".into(),
            format!("# Upcoming Release\n{upcoming}\n# Release {version}\n\n## Major features and improvements\n* The first release.\n"),
        ),
    ]
}

/// The borrowed shape `monorepo` takes.
fn layout(plugins: &[(String, Vec<(String, String)>)]) -> Vec<(&str, Vec<(&str, String)>)> {
    plugins
        .iter()
        .map(|(name, files)| {
            (
                name.as_str(),
                files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect(),
            )
        })
        .collect()
}

#[test]
fn a_kedro_style_monorepo_releases_one_plugin_with_exactly_its_changes() {
    let plugins: Vec<(String, Vec<(String, String)>)> = [
        ("kedro-airflow", "0.11.0", "test = []\n", "\n"),
        ("kedro-docker", "0.6.2", "test = []\n", "\n## Bug fixes and other changes\n* Fixed the Dockerfile template.\n\n"),
        (
            "kedro-datasets",
            "9.6.0",
            // Extras naming the plugin itself, and an unpinned sibling in a test extra.
            "pandas-base = []\npandas = [\"kedro-datasets[pandas-base]\"]\nall = [\"kedro-datasets[pandas]\"]\ntest = [\"kedro-airflow\"]\n",
            "\n## Major features and improvements\n* Added a dataset.\n\n",
        ),
    ]
    .into_iter()
    .map(|(name, version, extras, upcoming)| (name.to_string(), setuptools_plugin(name, version, extras, upcoming)))
    .collect();
    let repo = monorepo(
        "kedro-plugins",
        &layout(&plugins),
        "[versioning]\nchangelog = \"RELEASE.md\"\nchangelog-heading = \"# Release {version}\"\n\
         changelog-unreleased = \"# Upcoming Release\"\n",
    );
    for (name, version) in [
        ("kedro-airflow", "0.11.0"),
        ("kedro-docker", "0.6.2"),
        ("kedro-datasets", "9.6.0"),
    ] {
        repo.git(&["tag", "-a", &format!("{name}-{version}"), "-m", "released"]);
    }
    let before = repo.git(&["rev-parse", "HEAD"]);

    let run = repo.xtask(&[
        "release",
        "patch",
        "--plugin",
        "kedro-docker",
        "--platform",
        "linux",
        "--no-sources",
        "--execute",
    ]);
    run.assert_code(0);
    assert_eq!(repo.git(&["rev-parse", "HEAD~1"]), before);
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "Release kedro-plugins-kedro-docker 0.6.3"
    );
    assert_eq!(repo.git(&["tag", "--points-at", "HEAD"]), "kedro-docker-0.6.3\n");
    // Exactly the version and the changelog heading change.
    let diff = repo.git(&["diff", "-U0", "HEAD~1", "HEAD"]);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| (l.starts_with('+') || l.starts_with('-')) && !l.starts_with("+++") && !l.starts_with("---"))
        .collect();
    assert_eq!(
        changed,
        [
            "+# Release 0.6.3",
            "+",
            "-__version__ = \"0.6.2\"",
            "+__version__ = \"0.6.3\"",
        ],
        "{diff}"
    );
    assert_eq!(
        repo.git(&["diff", "--name-only", "HEAD~1", "HEAD"]),
        "plugins/kedro-docker/RELEASE.md\nplugins/kedro-docker/kedro_docker/__init__.py\n"
    );
    // Its notes are the upcoming section only; its artifacts are named after it.
    let notes = std::fs::read_to_string(repo.in_dist("RELEASE_NOTES.md")).unwrap();
    assert_eq!(
        notes,
        "# kedro-plugins-kedro-docker 0.6.3\n\n## kedro-docker 0.6.3\n\n## Bug fixes and other changes\n* Fixed the Dockerfile template.\n"
    );
    let tag_message = repo.git(&["tag", "-l", "--format=%(contents)", "kedro-docker-0.6.3"]);
    assert!(!tag_message.contains("The first release"), "{tag_message}");
    assert!(repo.in_dist("kedro-plugins-kedro-docker-0.6.3-linux.tar.bz2").is_file());

    // A release of the plugin whose extras name itself rewrites none of them.
    let run = repo.xtask(&[
        "release",
        "minor",
        "--plugin",
        "kedro-datasets",
        "--platform",
        "linux",
        "--no-sources",
        "--execute",
    ]);
    run.assert_code(0);
    assert_eq!(
        repo.git(&["diff", "--name-only", "HEAD~1", "HEAD"]),
        "plugins/kedro-datasets/RELEASE.md\nplugins/kedro-datasets/kedro_datasets/__init__.py\n"
    );
    assert!(repo
        .in_dist("kedro-plugins-kedro-datasets-9.7.0-linux.tar.bz2")
        .is_file());
}

#[test]
fn a_hatch_style_monorepo_releases_from_a_dev_line_in_its_changelog_style() {
    let plugin = |name: &str, version: &str, upcoming: &str| {
        let module = name.replace('-', "_");
        (
            name.to_string(),
            vec![
                (
                    "pyproject.toml".to_string(),
                    format!(
                        "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n\
                         [project]\nname = \"{name}\"\ndynamic = [\"version\"]\ndescription = \"A hatch-style plugin\"\n\
                         requires-python = \">=3.9\"\n\n[tool.hatch.version]\npath = \"src/{module}/version.py\"\n"
                    ),
                ),
                (format!("src/{module}/__init__.py"), String::new()),
                (format!("src/{module}/version.py"), format!("__version__ = \"{version}\"\n")),
                (
                    "CHANGELOG.md".to_string(),
                    format!("# Changelog\n\n## Unreleased\n{upcoming}\n## Version 0.4.0 (2026-01-02)\n\n- The previous release.\n"),
                ),
            ],
        )
    };
    let plugins = [
        plugin("hatch-alpha", "0.5b0.dev0", "\n- A new hook.\n"),
        plugin("hatch-beta", "1.2.0", "\n"),
    ];
    let repo = monorepo(
        "hatch-plugins",
        &layout(&plugins),
        "[versioning]\nchangelog-heading = \"## Version {version} ({date})\"\n",
    );
    // `patch` would jump over the pre-release it is heading for, and says so.
    let dry = repo.xtask(&["release", "patch", "--plugin", "hatch-alpha", "--platform", "linux"]);
    dry.assert_code(0);
    assert!(
        dry.stderr
            .contains("note: hatch-alpha: `patch` on 0.5b0.dev0 gives 0.5.1, skipping 0.5b0 and 0.5"),
        "{}",
        dry.stderr
    );
    let run = repo.xtask(&[
        "release",
        "beta",
        "--plugin",
        "hatch-alpha",
        "--platform",
        "linux",
        "--no-sources",
        "--execute",
    ]);
    run.assert_code(0);
    assert_eq!(repo.git(&["tag", "--points-at", "HEAD"]), "hatch-alpha-0.5b0\n");
    assert_eq!(
        repo.git(&["diff", "--name-only", "HEAD~1", "HEAD"]),
        "plugins/hatch-alpha/CHANGELOG.md\nplugins/hatch-alpha/src/hatch_alpha/version.py\n"
    );
    assert_eq!(
        repo.read("plugins/hatch-alpha/CHANGELOG.md"),
        "# Changelog\n\n## Unreleased\n\n## Version 0.5b0 (2026-11-21)\n\n- A new hook.\n\n\
         ## Version 0.4.0 (2026-01-02)\n\n- The previous release.\n"
    );
    assert_eq!(
        repo.read("plugins/hatch-alpha/src/hatch_alpha/version.py"),
        "__version__ = \"0.5b0\"\n"
    );
    let notes = std::fs::read_to_string(repo.in_dist("RELEASE_NOTES.md")).unwrap();
    assert_eq!(
        notes,
        "# hatch-plugins-hatch-alpha 0.5b0\n\n## hatch-alpha 0.5b0\n\n- A new hook.\n"
    );
    assert!(repo.in_dist("hatch_alpha-0.5b0-py3-none-any.whl").is_file());
}
