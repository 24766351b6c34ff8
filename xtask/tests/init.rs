//! `cargo xtask init` on repositories shaped like real ones: placeholder versions with JSON
//! version files and repository-wide tags; committed versions with `v` tags (the examples);
//! independent plugins with their own tags and `# Release X` changelogs. Each gets a
//! manifest on which `plan` passes without a hand edit.

mod common;

use common::*;

/// A git repository of `files` (path, text), committed, with `tags` on HEAD.
fn repo_of(files: &[(&str, String)], tags: &[&str]) -> Repo {
    let dir = tempfile::Builder::new().prefix("xtask-init-").tempdir().unwrap();
    let repo = Repo { dir };
    for (path, text) in files {
        repo.write(path, text);
    }
    repo.write(".gitignore", "/target/\n/dist/\n");
    repo.git(&["init", "-q", "-b", "main"]);
    repo.commit("the plugins");
    for tag in tags {
        repo.git(&["tag", "-a", tag, "-m", "released"]);
    }
    repo
}

/// Run `init`, check it wrote a manifest, commit it, and run `plan`.
fn init_and_plan(repo: &Repo) -> (XtaskOutput, String, serde_json::Value) {
    let init = repo.xtask(&["init"]);
    init.assert_code(0);
    let manifest = repo.read("release-config.toml");
    repo.commit("release-config.toml from init");
    let plan = repo.xtask(&["plan", "--platform", "linux", "--build-number", BUILD_NUMBER, "--json"]);
    plan.assert_code(0);
    (init, manifest, plan.json())
}

fn versions(plan: &serde_json::Value) -> Vec<(String, String)> {
    plan["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn placeholder_versions_with_json_version_files_get_the_stamp_strategy() {
    let plugin = |name: &str| {
        let module = name.replace('-', "_");
        vec![
            (
                format!("plugins/{name}/pyproject.toml"),
                format!(
                    "[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
                     [project]\nname = \"{name}\"\nversion = \"0.0.0\"\ndescription = \"A plugin\"\n"
                ),
            ),
            (format!("plugins/{name}/{module}/__init__.py"), String::new()),
            (
                format!("plugins/{name}/{module}/plugin.json"),
                // One of them with comments (JSON with comments, as editors write it).
                if name == "gis-viewer" {
                    format!(
                        "{{\n  // shown in the host\n  \"name\": \"{name}\", /* id */\n  \"version\": \"0.0.0\"\n}}\n"
                    )
                } else {
                    format!("{{\n  \"name\": \"{name}\",\n  \"version\": \"0.0.0\"\n}}\n")
                },
            ),
        ]
    };
    let files: Vec<(String, String)> = ["gis-tools", "gis-viewer"].iter().flat_map(|n| plugin(n)).collect();
    let files: Vec<(&str, String)> = files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    let repo = repo_of(&files, &["v1.2.0"]);
    let (init, manifest, plan) = init_and_plan(&repo);
    for expected in [
        "paths = [\"plugins/*\"]",
        "group-tag = \"v{version}\"",
        "strategy = \"stamp\"",
        "all = [\"gis-tools\", \"gis-viewer\"]",
        "changelog = \"\"",
    ] {
        assert!(manifest.contains(expected), "missing {expected:?} in\n{manifest}");
    }
    // Both plugins have the JSON file at the same place inside their package folder, which
    // differs by name: each is found (and stamped) by its own entry.
    assert!(
        manifest.contains("{ path = \"gis_tools/plugin.json\", kind = \"json\", key = \"version\", optional = true }"),
        "{manifest}"
    );
    assert!(
        init.stderr.contains("a JSON file holding the version"),
        "{}",
        init.stderr
    );
    assert!(
        init.stderr.contains("guessed:") && init.stderr.contains("from the repository folder"),
        "{}",
        init.stderr
    );
    // The current version comes from the tag; the nightly is the next dev version.
    assert_eq!(
        versions(&plan),
        [
            ("gis-tools".into(), "1.2.1.dev20261121007".into()),
            ("gis-viewer".into(), "1.2.1.dev20261121007".into())
        ]
    );
    let stamped: Vec<String> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["step"] == "stamp")
        .flat_map(|s| {
            s["edits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["file"].as_str().unwrap().to_string())
        })
        .collect();
    for file in [
        "plugins/gis-tools/gis_tools/plugin.json",
        "plugins/gis-viewer/gis_viewer/plugin.json",
    ] {
        assert!(stamped.contains(&file.to_string()), "{file} in {stamped:?}");
    }
}

#[test]
fn committed_versions_with_v_tags_keep_their_groups_and_tags() {
    let repo = Repo::bare_examples();
    std::fs::remove_file(repo.path().join("release-config.toml")).unwrap();
    repo.commit("the examples without a manifest");
    repo.git(&["tag", "-a", "v1.4.0", "-m", "core 1.4.0"]);
    repo.git(&["tag", "-a", "acme-plugin-legacy-v2.1.3", "-m", "legacy 2.1.3"]);
    let (_, manifest, plan) = init_and_plan(&repo);
    for expected in [
        "tag = \"{name}-v{version}\"",
        "group-tag = \"v{version}\"",
        "core = [\"acme-plugin-base\", \"acme-plugin-console\", \"acme-plugin-reports\"]",
        "[platforms.windows]",
    ] {
        assert!(manifest.contains(expected), "missing {expected:?} in\n{manifest}");
    }
    assert!(!manifest.contains("strategy"), "{manifest}");
    let name = repo.path().file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(plan["set"].as_str().unwrap(), format!("{name}-1.4.1.dev20261121007"));
    // Refuses to overwrite.
    let again = repo.xtask(&["init"]);
    again.assert_code(2);
    assert!(
        again.stderr.contains("init never overwrites a manifest"),
        "{}",
        again.stderr
    );
}

#[test]
fn independent_plugins_get_their_tag_format_and_changelog_style() {
    let plugin = |name: &str, version: &str| {
        let module = name.replace('-', "_");
        vec![
            (
                format!("{name}/pyproject.toml"),
                format!(
                    "[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
                     [project]\nname = \"{name}\"\ndynamic = [\"version\"]\ndescription = \"A plugin\"\n\n\
                     [tool.setuptools.dynamic]\nversion = {{ attr = \"{module}.__version__\" }}\n"
                ),
            ),
            (
                format!("{name}/{module}/__init__.py"),
                format!("__version__ = \"{version}\"\n"),
            ),
            (
                format!("{name}/RELEASE.md"),
                format!("# Upcoming Release\n\n## Bug fixes\n* A fix.\n\n# Release {version}\n\n* First.\n"),
            ),
        ]
    };
    let files: Vec<(String, String)> = [("kedro-airflow", "0.11.0"), ("kedro-docker", "0.6.2")]
        .iter()
        .flat_map(|(n, v)| plugin(n, v))
        .collect();
    let files: Vec<(&str, String)> = files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    let repo = repo_of(
        &files,
        &["kedro-airflow-0.11.0", "kedro-docker-0.6.2", "kedro-docker-0.6.1"],
    );
    let (_, manifest, plan) = init_and_plan(&repo);
    for expected in [
        "paths = [\"kedro-airflow\", \"kedro-docker\"]",
        "tag = \"{name}-{version}\"",
        "changelog = \"RELEASE.md\"",
        "changelog-heading = \"# Release {version}\"",
        "changelog-unreleased = \"# Upcoming Release\"",
    ] {
        assert!(manifest.contains(expected), "missing {expected:?} in\n{manifest}");
    }
    assert!(!manifest.contains("[groups]"), "{manifest}");
    assert!(
        plan["set"].as_str().unwrap().ends_with("-dev20261121007"),
        "{}",
        plan["set"]
    );
    // A release of one of them is planned with its tag and its notes.
    let release = repo.xtask(&["release", "patch", "--plugin", "kedro-docker", "--platform", "linux"]);
    release.assert_code(0);
    assert!(release.stdout.contains("tag kedro-docker-0.6.3"), "{}", release.stdout);
    assert!(
        release.stdout.contains("+# Release 0.6.3\n+\n ## Bug fixes\n * A fix."),
        "{}",
        release.stdout
    );
}
