//! `cargo xtask plan`: discovery of the example plugins, the JSON plan, and prechecks.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn plan_json_describes_every_plugin_and_artifact() {
    let repo = Repo::examples();
    let before = repo.snapshot();
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();
    assert_matches_schema(&plan, "plan");

    assert_eq!(plan["schema_version"], 1);
    assert_eq!(plan["kind"], "nightly");
    assert_eq!(plan["release"], "acme-plugins");
    assert_eq!(plan["version"], NIGHTLY);
    assert_eq!(
        plan["commit"].as_str().unwrap(),
        repo.git(&["rev-parse", "HEAD"]).trim()
    );
    assert_eq!(plan["source_date_epoch"].to_string(), EPOCH);
    assert_eq!(plan["output_dir"], "dist");
    let names: Vec<&str> = plan["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["normalized_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "acme-plugin-base",
            "acme-plugin-console",
            "acme-plugin-legacy",
            "acme-plugin-reports"
        ]
    );

    let base = plan_plugin(&plan, "acme-plugin-base");
    assert_eq!(base["layout"], "pyproject");
    assert_eq!(base["group"], "core");
    assert_eq!(base["current_version"], "1.4.0");
    assert_eq!(
        base["summary"],
        "Plugin registry and shared helpers for the Acme plugin family"
    );
    assert_eq!(base["license"], "MIT");
    assert_eq!(base["keywords"], serde_json::json!(["acme", "plugins", "registry"]));
    assert_eq!(
        base["version_files"],
        serde_json::json!([{"path": "pyproject.toml", "kind": "pyproject"}, {"path": "src/acme_plugin_base/__init__.py", "kind": "python"}])
    );

    let reports = plan_plugin(&plan, "acme-plugin-reports");
    assert_eq!(
        reports["dependencies"],
        serde_json::json!(["acme-plugin-base==1.4.*,>=1.4.0", "tabulate>=0.9"])
    );
    assert_eq!(reports["requires_plugins"], serde_json::json!(["acme-plugin-base"]));
    // dynamic version: found in the package's __init__.py
    assert_eq!(
        reports["version_files"],
        serde_json::json!([{"path": "src/acme_plugin_reports/__init__.py", "kind": "python"}])
    );

    let console = plan_plugin(&plan, "acme-plugin-console");
    assert!(console["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d == "colorama>=0.4.6; sys_platform == 'win32'"));

    let legacy = plan_plugin(&plan, "acme-plugin-legacy");
    assert_eq!(legacy["layout"], "setup-py");
    assert_eq!(legacy["group"], Value::Null);
    assert_eq!(legacy["current_version"], "2.1.3");
    assert_eq!(legacy["version"], LEGACY_NIGHTLY);
    assert_eq!(legacy["summary"], "Importer for the pre-2020 Acme data format");
    assert_eq!(legacy["keywords"], serde_json::json!(["acme", "legacy", "importer"]));
    assert_eq!(
        legacy["dependencies"],
        serde_json::json!(["acme-plugin-base==1.4.*,>=1.4.0"])
    );
    assert_eq!(
        legacy["version_files"],
        serde_json::json!([{"path": "acme_plugin_legacy/__init__.py", "kind": "python"}])
    );

    // Stamp edits: versions and sibling pins, with exact old and new text.
    let steps = plan["steps"].as_array().unwrap();
    let stamp = steps
        .iter()
        .find(|s| s["step"] == "stamp" && s["plugin"] == "acme-plugin-legacy")
        .unwrap();
    let edits: Vec<(String, String, String)> = stamp["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().into(),
                e["old"].as_str().unwrap().into(),
                e["new"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        edits,
        [
            (
                "plugins/acme-plugin-legacy/acme_plugin_legacy/__init__.py".into(),
                "2.1.3".into(),
                LEGACY_NIGHTLY.into()
            ),
            (
                "plugins/acme-plugin-legacy/setup.py".into(),
                "acme-plugin-base==1.4.*,>=1.4.0".into(),
                format!("acme-plugin-base==1.4.*,>={NIGHTLY}")
            ),
        ]
    );
    let kinds: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "export_sources",
            "stamp",
            "stamp",
            "stamp",
            "stamp",
            "build",
            "build",
            "build",
            "build",
            "resolve",
            "wheelhouse",
            "bundle",
            "sources",
            "checksums",
            "deliver"
        ]
    );

    let linux = &plan["platforms"][0];
    assert_eq!(linux["name"], "linux");
    assert_eq!(linux["abi"], "cp311");
    assert_eq!(linux["format"], "tar.bz2");
    assert_eq!(linux["archive"], format!("acme-plugins-{NIGHTLY}-linux.tar.bz2"));
    assert!(repo.snapshot() == before, "plan changes nothing");
}

#[test]
fn plan_lists_both_platforms_and_how_each_is_collected() {
    let repo = Repo::examples();
    let plan = repo
        .xtask(&["plan", "--json", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();
    assert_matches_schema(&plan, "plan");
    let platforms: Vec<(&str, &str, &str)> = plan["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["archive"].as_str().unwrap(),
                p["strategy"].as_str().unwrap(),
            )
        })
        .collect();
    let linux = format!("acme-plugins-{NIGHTLY}-linux.tar.bz2");
    let windows = format!("acme-plugins-{NIGHTLY}-windows.zip");
    // This Linux host builds Linux with its own pip, and downloads Windows wheels.
    assert_eq!(
        platforms,
        [
            ("linux", linux.as_str(), "host"),
            ("windows", windows.as_str(), "download")
        ]
    );
}

#[test]
fn plan_human_output_shows_versions_and_edits() {
    let repo = Repo::examples();
    let run = repo.xtask(&["plan", "--platform", "linux", "--build-number", BUILD_NUMBER]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains(&format!("acme-plugin-legacy           2.1.3 -> {LEGACY_NIGHTLY}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "plugins/acme-plugin-base/pyproject.toml:7: \"1.4.0\" -> \"{NIGHTLY}\""
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("write acme-plugins-{NIGHTLY}-linux.tar.bz2")),
        "{}",
        run.stdout
    );
}

#[test]
fn build_number_comes_from_ci_variables() {
    let repo = Repo::examples();
    let run = repo.xtask_with(&["plan", "--json", "--platform", "linux"], |c| {
        c.env("GITHUB_RUN_NUMBER", "42");
    });
    assert_eq!(run.assert_code(0).json()["version"], "1.4.1.dev20261121042");
    let run = repo.xtask_with(&["plan", "--platform", "linux"], |c| {
        c.env("GITHUB_RUN_NUMBER", "abc");
    });
    run.assert_code(3);
    assert!(
        run.stderr.contains("GITHUB_RUN_NUMBER=\"abc\" is not a build number"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_plugin_metadata_problem_is_reported_at_once() {
    let repo = Repo::bare_examples();
    repo.write(
        "plugins/no-version/pyproject.toml",
        "[project]\nname = \"no-version\"\ndescription = \"Lacks a version\"\n",
    );
    repo.write(
        "plugins/no-summary/pyproject.toml",
        "[project]\nname = \"no-summary\"\nversion = \"1.0\"\n",
    );
    repo.write(
        "plugins/no-name/setup.py",
        "from setuptools import setup\nsetup(version='1.0', description='Has no name')\n",
    );
    repo.write(
        "plugins/bad-toml/pyproject.toml",
        "[project]\nname = \"bad-toml\"\nversion = 1.0\n",
    );
    repo.write(
        "plugins/disagree/pyproject.toml",
        "[project]\nname = \"disagree\"\nversion = \"1.0\"\ndescription = \"x\"\n",
    );
    repo.write("plugins/disagree/disagree/__init__.py", "__version__ = \"1.1\"\n");
    repo.write(
        "plugins/dynamic-version/pyproject.toml",
        "[project]\nname = \"dynamic-version\"\ndynamic = [\"version\"]\ndescription = \"x\"\n",
    );
    repo.write(
        "plugins/dynamic-version/dynamic_version/__init__.py",
        "VERSION = (1, 0)\n",
    );
    repo.commit("fixture: broken plugins");

    let run = repo.xtask(&["plan", "--platform", "linux"]);
    run.assert_code(3);
    for expected in [
        "plugins/no-version: the plugin has no version",
        "plugins/dynamic-version/pyproject.toml: the version is dynamic (`dynamic = [\"version\"]`) but comes from no source this tool can read and stamp",
        "plugins/no-summary: the plugin has no summary: set `description` in [project] in pyproject.toml",
        "plugins/no-name: the plugin has no name: set `name` in setup() in setup.py",
        "plugins/bad-toml/pyproject.toml:3:11: invalid type: floating point `1.0`, expected a string",
        "plugins/disagree: version files disagree: pyproject.toml says 1.0, disagree/__init__.py says 1.1",
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stderr
        );
    }
}

#[test]
fn missing_tools_are_listed_together_with_how_to_install_them() {
    let repo = Repo::examples();
    let empty = tempfile::tempdir().unwrap();
    let run = repo.xtask_with(&["plan"], |c| {
        c.env("PATH", empty.path());
    });
    run.assert_code(3);
    assert!(
        run.stderr.contains("git: not found on PATH. Install git"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("python: none of python3, python, py found on PATH. Install Python 3.9"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_configured_interpreter_that_does_not_exist_is_reported() {
    let repo = Repo::examples();
    let run = repo.xtask_with(&["plan"], |c| {
        c.env("XTASK_PYTHON", "python2.5");
    });
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("python: \"python2.5\" (from XTASK_PYTHON or [python] interpreter) was not found"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_repository_without_commits_is_explained() {
    let repo = Repo::bare_examples();
    let run = repo.xtask(&["plan"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("has no commits yet: commit the plugins and the manifest first"),
        "{}",
        run.stderr
    );
}

#[test]
fn version_detection_ignores_vendored_packages_and_reads_setuptools_version_files() {
    let repo = Repo::bare_examples();
    repo.write("plugins/acme-plugin-base/src/acme_plugin_base/_vendor/__init__.py", "");
    repo.write(
        "plugins/acme-plugin-base/src/acme_plugin_base/_vendor/six/__init__.py",
        "__version__ = \"1.16.0\"\n",
    );
    repo.write(
        "plugins/acme-plugin-textver/pyproject.toml",
        "[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\n\
         name = \"acme-plugin-textver\"\ndynamic = [\"version\"]\ndescription = \"Version in a VERSION file\"\n\n\
         [tool.setuptools.dynamic]\nversion = { file = \"VERSION\" }\n",
    );
    repo.write("plugins/acme-plugin-textver/VERSION", "0.9.2\n");
    repo.write("plugins/acme-plugin-textver/acme_plugin_textver/__init__.py", "");
    repo.commit("fixture: vendored package and a VERSION file");

    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();
    let base = plan_plugin(&plan, "acme-plugin-base");
    assert_eq!(
        base["current_version"], "1.4.0",
        "the vendored six 1.16.0 is not the plugin's version"
    );
    let textver = plan_plugin(&plan, "acme-plugin-textver");
    assert_eq!(textver["current_version"], "0.9.2");
    assert_eq!(
        textver["version_files"],
        serde_json::json!([{"path": "VERSION", "kind": "text"}])
    );
}

#[test]
fn archive_names_can_carry_os_architecture_and_bits() {
    let repo = Repo::bare_examples();
    let manifest = repo
        .read("release-config.toml")
        .replacen(
            "[release]\n",
            "[release]\narchive-name = \"{release}[v{version}]({os}-{arch}-{bits})\"\n",
            1,
        )
        .replacen("python = \"3.11\"\n", "python = \"3.11\"\nformat = \"tar.gz\"\n", 1);
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: archive names with the architecture");
    let plan = repo
        .xtask(&["plan", "--json", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();
    let archives: Vec<&str> = plan["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["archive"].as_str().unwrap())
        .collect();
    assert_eq!(
        archives,
        [
            format!("acme-plugins[v{NIGHTLY}](Linux-amd64-64).tar.gz"),
            format!("acme-plugins[v{NIGHTLY}](Windows-amd64-64).zip")
        ]
    );
}

#[test]
fn two_bundles_with_one_name_are_refused() {
    let repo = Repo::bare_examples();
    let manifest = repo.read("release-config.toml").replacen(
        "[release]\n",
        "[release]\narchive-name = \"{release}-{version}-{os}\"\n",
        1,
    ) + "\n[platforms.linux-py312]\ntags = [\"manylinux2014_x86_64\"]\npython = \"3.12\"\n";
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: two Linux platforms, names without {platform}");
    let run = repo.xtask(&["plan", "--build-number", BUILD_NUMBER]);
    run.assert_code(3);
    assert!(
        run.stderr.contains(&format!(
            "release-config.toml: two bundles would be named acme-plugins-{NIGHTLY}-Linux.tar.bz2: put {{platform}} in [release] archive-name"
        )),
        "{}",
        run.stderr
    );
}
