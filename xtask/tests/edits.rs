//! What the plan edits in the build copy, on plugins shaped to trip naive text matching, and
//! the checks that keep the plan equal to what a build of the commit will see.

mod common;

use common::*;
use serde_json::Value;

fn edits(plan: &Value, plugin: &str) -> Vec<(String, usize, String, String)> {
    let step = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "stamp" && s["plugin"] == plugin)
        .unwrap_or_else(|| panic!("stamp step of {plugin}"));
    step["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string(),
                e["line"].as_u64().unwrap() as usize,
                e["old"].as_str().unwrap().to_string(),
                e["new"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn pins_are_rewritten_only_where_requirements_are_written() {
    let repo = Repo::bare_examples();
    repo.write(
        "plugins/acme-plugin-base-ui/pyproject.toml",
        "[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
         [project]\nname = \"acme-plugin-base-ui\"\nversion = \"0.2.0\"\n\
         description = \"UI widgets for acme-plugin-base\"\n\
         # acme-plugin-base is required below\n\
         dependencies = [\"acme-plugin-base\", \"acme-plugin-base-extras>=1\"]\n\n\
         [project.optional-dependencies]\nreports = [\"acme-plugin-reports[pdf]>=1.4; python_version >= '3.9'\"]\n",
    );
    repo.write(
        "plugins/acme-plugin-legacy/setup.py",
        &repo.read("plugins/acme-plugin-legacy/setup.py").replace(
            "    install_requires=[",
            "    # was: \"acme-plugin-base==1.4.*,>=1.4.0\" in 2025\n    install_requires=[",
        ),
    );
    repo.commit("fixture: requirement text in names, comments and extras");
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();

    assert_eq!(
        edits(&plan, "acme-plugin-base-ui"),
        [
            (
                "pyproject.toml".into(),
                7,
                "0.2.0".into(),
                "0.2.1.dev20261121007".into()
            ),
            (
                "pyproject.toml".into(),
                10,
                "acme-plugin-base".into(),
                format!("acme-plugin-base==1.4.*,>={NIGHTLY}")
            ),
            (
                "pyproject.toml".into(),
                13,
                "acme-plugin-reports[pdf]>=1.4; python_version >= '3.9'".into(),
                format!("acme-plugin-reports[pdf]==1.4.*,>={NIGHTLY}; python_version >= '3.9'")
            ),
        ]
    );
    let legacy = edits(&plan, "acme-plugin-legacy");
    let pins: Vec<usize> = legacy.iter().filter(|e| e.0 == "setup.py").map(|e| e.1).collect();
    let setup = repo.read("plugins/acme-plugin-legacy/setup.py");
    let literal_line = setup
        .lines()
        .position(|l| l.trim() == "\"acme-plugin-base==1.4.*,>=1.4.0\",")
        .unwrap()
        + 1;
    assert_eq!(
        pins,
        [literal_line],
        "only the install_requires literal, not the comment above it: {legacy:?}"
    );
}

#[test]
fn local_versions_stay_out_of_pins() {
    let repo = Repo::bare_examples();
    let manifest = repo.read("release-config.toml") + "\n[nightly]\nlocal-version = true\n";
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: local versions");
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();
    let short = &plan["commit"].as_str().unwrap()[..8];
    assert_eq!(plan["plugins"][0]["version"], format!("{NIGHTLY}+g{short}"));
    let pins: Vec<String> = edits(&plan, "acme-plugin-reports")
        .into_iter()
        .filter(|e| e.2.starts_with("acme"))
        .map(|e| e.3)
        .collect();
    assert_eq!(pins, [format!("acme-plugin-base==1.4.*,>={NIGHTLY}")]);
}

#[test]
fn ci_counters_past_the_build_number_width_are_explained() {
    let repo = Repo::examples();
    let run = repo.xtask_with(&["plan", "--platform", "linux"], |c| {
        c.env("GITHUB_RUN_NUMBER", "1234");
    });
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("build number 1234 (from GITHUB_RUN_NUMBER) does not fit in 3 digits (0-999)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("set [nightly] build-number-digits"),
        "{}",
        run.stderr
    );

    let repo = Repo::bare_examples();
    repo.write(
        "release-config.toml",
        &(repo.read("release-config.toml") + "\n[nightly]\nbuild-number-digits = 6\n"),
    );
    repo.commit("fixture: wide build numbers");
    let plan = repo
        .xtask_with(&["plan", "--json", "--platform", "linux"], |c| {
            c.env("GITHUB_RUN_NUMBER", "1234");
        })
        .assert_code(0)
        .json();
    assert_eq!(plan["version"], "1.4.1.dev20261121001234");
}

#[test]
fn ignored_plugin_folders_are_caught_before_building() {
    let repo = Repo::bare_examples();
    repo.write(".gitignore", "/target/\n/dist/\n/plugins/acme-plugin-scratch/\n");
    repo.write(
        "plugins/acme-plugin-scratch/pyproject.toml",
        "[project]\nname = \"acme-plugin-scratch\"\nversion = \"0.1.0\"\ndescription = \"Scratch\"\n",
    );
    repo.commit("fixture: an ignored plugin folder");
    let run = repo.xtask(&["plan", "--platform", "linux"]);
    run.assert_code(3);
    assert!(
        run.stderr.contains("plugins/acme-plugin-scratch: not in the commit")
            && run.stderr.contains("[plugins] exclude"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_output_folder_outside_the_repository_needs_no_gitignore() {
    let repo = Repo::bare_examples();
    let manifest = repo.read("release-config.toml").replacen(
        "name = \"acme-plugins\"\n",
        "name = \"acme-plugins\"\noutput = \"../artifacts\"\n",
        1,
    );
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: output beside the repository");
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux"])
        .assert_code(0)
        .json();
    assert_eq!(plan["output_dir"], "../artifacts");
}

#[test]
fn glob_characters_in_the_repository_path_are_taken_literally() {
    let parent = tempfile::tempdir().unwrap();
    let odd = parent.path().join("ci[1]");
    std::fs::create_dir(&odd).unwrap();
    let repo = Repo::bare_examples_in(&odd);
    repo.commit("fixture");
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux"])
        .assert_code(0)
        .json();
    assert_eq!(plan["plugins"].as_array().unwrap().len(), 4);
}

#[test]
fn namespace_package_versions_are_found() {
    let repo = Repo::bare_examples();
    repo.write(
        "plugins/acme-ns-tools/pyproject.toml",
        "[project]\nname = \"acme.ns-tools\"\nversion = \"3.0.0\"\ndescription = \"Tools in the acme namespace\"\n",
    );
    repo.write(
        "plugins/acme-ns-tools/src/acme/ns_tools/__init__.py",
        "__version__ = \"3.0.0\"\n",
    );
    repo.commit("fixture: a namespace package");
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();
    assert_eq!(edits(&plan, "acme-ns-tools").len(), 2, "both version files are stamped");
    let plugin = plan_plugin(&plan, "acme-ns-tools");
    assert_eq!(
        plugin["version_files"],
        serde_json::json!([{"path": "pyproject.toml", "kind": "pyproject"}, {"path": "src/acme/ns_tools/__init__.py", "kind": "python"}])
    );

    // Below a pkgutil-style namespace (`__init__.py` calling `extend_path`), as monorepos of
    // providers keep them: the provider's own `__version__` is found, not skipped.
    let repo = Repo::bare_examples();
    repo.write(
        "plugins/host-provider-sqlite/pyproject.toml",
        "[project]\nname = \"host-provider-sqlite\"\nversion = \"4.3.4\"\ndescription = \"A provider\"\n",
    );
    let pkgutil = "__path__ = __import__(\"pkgutil\").extend_path(__path__, __name__)\n";
    repo.write("plugins/host-provider-sqlite/src/host/__init__.py", pkgutil);
    repo.write("plugins/host-provider-sqlite/src/host/providers/__init__.py", pkgutil);
    repo.write(
        "plugins/host-provider-sqlite/src/host/providers/sqlite/__init__.py",
        "__version__ = \"4.3.4\"\n",
    );
    repo.commit("fixture: a provider below a pkgutil namespace");
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();
    let plugin = plan_plugin(&plan, "host-provider-sqlite");
    assert_eq!(
        plugin["version_files"],
        serde_json::json!([{"path": "pyproject.toml", "kind": "pyproject"}, {"path": "src/host/providers/sqlite/__init__.py", "kind": "python"}])
    );
}

#[test]
fn several_entries_for_one_json_file_all_apply_with_a_nested_key() {
    let repo = Repo::bare_examples();
    repo.write(
        "plugins/acme-plugin-base/plugin_package.json",
        "{\n  // read by the host application\n  \"name\": \"base\",\n  \"version\": \"0.0.0\",\n  \"plugin\": {\"version\": \"1.4.0\", \"build\": \"0\",\n             \"built\": \"#DATE#\"}\n}\n",
    );
    let manifest = repo.read("release-config.toml");
    repo.write(
        "release-config.toml",
        &format!(
            "{manifest}\n[plugin.acme-plugin-base]\nversion-files = [\n  \
             {{ path = \"plugin_package.json\", kind = \"json\", key = \"plugin.version\" }},\n  \
             {{ path = \"plugin_package.json\", pattern = \"\\\"build\\\": \\\"{{build}}\\\"\" }},\n  \
             {{ path = \"plugin_package.json\", pattern = \"\\\"built\\\": \\\"{{date}}\\\"\" }},\n]\n"
        ),
    );
    repo.commit("fixture: a JSON version file with the version, a build number and a date");
    let plan = repo.xtask(&["plan", "--json", "--platform", "linux", "--build-number", BUILD_NUMBER]);
    plan.assert_code(0);
    let json_edits: Vec<(String, usize, String, String)> = edits(&plan.json(), "acme-plugin-base")
        .into_iter()
        .filter(|e| e.0 == "plugin_package.json")
        .collect();
    assert_eq!(
        json_edits,
        [
            (
                "plugin_package.json".to_string(),
                5,
                "1.4.0".to_string(),
                NIGHTLY.to_string()
            ),
            (
                "plugin_package.json".to_string(),
                5,
                "0".to_string(),
                BUILD_NUMBER.to_string()
            ),
            (
                "plugin_package.json".to_string(),
                6,
                "#DATE#".to_string(),
                "2026-11-21".to_string()
            ),
        ],
        "the top-level \"version\" (0.0.0) is not the one the key names"
    );

    // A key that matches nothing names the options that exist.
    repo.write(
        "release-config.toml",
        &repo
            .read("release-config.toml")
            .replace("key = \"plugin.version\"", "key = \"plugin.release\""),
    );
    repo.commit("fixture: a key that matches nothing");
    let plan = repo.xtask(&["plan", "--platform", "linux"]);
    plan.assert_code(3);
    assert!(
        plan.stderr
            .contains("plugin_package.json: kind \"json\" with key \"plugin.release\"")
            && plan.stderr.contains("matches 0 time(s), expected 1")
            && plan.stderr.contains("`pattern` is the text around one placeholder")
            && plan.stderr.contains("json takes `key`"),
        "{}",
        plan.stderr
    );
}

#[test]
fn pins_are_rewritten_only_where_they_mean_something() {
    let repo = Repo::bare_examples();
    let file = "plugins/acme-plugin-base/pyproject.toml";
    repo.write(
        file,
        &repo.read(file).replace(
            "dependencies = []\n",
            "dependencies = []\n\n[project.optional-dependencies]\nfast = [\"ptyprocess>=0.7\"]\n\
             all = [\"acme-plugin-base[fast]\"]\ntest = [\"acme-plugin-reports\"]\n\
             docs = [\"acme-plugin-console>=1.4\"]\n",
        ),
    );
    repo.commit("fixture: extras naming the plugin itself and its siblings");
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();
    let step = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "stamp" && s["plugin"] == "acme-plugin-base")
        .unwrap()
        .clone();
    let pins: Vec<(String, String, String)> = step["edits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"].as_str().unwrap().starts_with("pin on"))
        .map(|e| {
            (
                e["old"].as_str().unwrap().to_string(),
                e["new"].as_str().unwrap().to_string(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        pins,
        [(
            "acme-plugin-console>=1.4".to_string(),
            format!("acme-plugin-console==1.4.*,>={NIGHTLY}"),
            "pin on acme-plugin-console (extra \"docs\", which specifies a version)".to_string()
        )],
        "no pin on itself, none on an unpinned sibling in an extra"
    );
    let base = plan_plugin(&plan, "acme-plugin-base");
    assert_eq!(base["requires_plugins"], serde_json::json!([]));
    repo.xtask(&["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0);
}
