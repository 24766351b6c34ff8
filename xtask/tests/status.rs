//! `cargo xtask status`: changes since each plugin's last release tag, and `--check`.

mod common;

use common::*;

#[test]
fn status_shows_changes_since_the_last_release_and_check_wants_changelog_entries() {
    let repo = Repo::bare_examples();
    let log = "plugins/acme-plugin-legacy/CHANGELOG.md";
    repo.write(
        log,
        &repo
            .read(log)
            .replace("### Fixed\n- Values containing `=` are kept whole.\n\n", ""),
    );
    repo.commit("fixture: released");
    repo.git(&["tag", "v1.4.0"]);
    repo.git(&["tag", "acme-plugin-legacy-v2.1.3"]);

    let status = repo.xtask(&["status", "--json"]).assert_code(0).json();
    assert_matches_schema(&status, "status");
    assert_keys_documented(&status, &readme_section("## `cargo xtask status"), "status --json");
    let rows = status.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter()
            .all(|r| r["needs_release"] == false && r["commits_since_tag"] == 0),
        "{status:#}"
    );
    let legacy = |s: &serde_json::Value| {
        s.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "acme-plugin-legacy")
            .unwrap()
            .clone()
    };
    assert_eq!(legacy(&status)["last_tag"], "acme-plugin-legacy-v2.1.3");
    assert_eq!(legacy(&status)["group"], serde_json::Value::Null);
    repo.xtask(&["status", "--check"]).assert_code(0);

    // A code change without a changelog entry.
    let init = "plugins/acme-plugin-legacy/acme_plugin_legacy/__init__.py";
    repo.write(init, &(repo.read(init) + "\nLIMIT = 10\n"));
    repo.commit("legacy: a limit");
    let status = repo.xtask(&["status", "--json"]).assert_code(0).json();
    assert_matches_schema(&status, "status");
    let l = legacy(&status);
    assert_eq!(
        (l["needs_release"].as_bool(), l["commits_since_tag"].as_u64()),
        (Some(true), Some(1))
    );
    assert_eq!(l["changed_files"], serde_json::json!([init]));
    assert_eq!(l["changelog_has_entries"], false);
    let base = status
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "acme-plugin-base")
        .unwrap();
    assert_eq!(
        (base["needs_release"].as_bool(), base["group"].as_str()),
        (Some(false), Some("core"))
    );
    let human = repo.xtask(&["status"]);
    assert!(
        human.stdout.contains("acme-plugin-legacy") && human.stdout.contains("acme-plugin-legacy-v2.1.3"),
        "{}",
        human.stdout
    );
    let check = repo.xtask(&["status", "--check"]);
    check.assert_code(3);
    assert!(
        check.stderr.contains("acme-plugin-legacy changed since acme-plugin-legacy-v2.1.3 (1 file(s)) but its changelog's Unreleased section is empty"),
        "{}",
        check.stderr
    );

    // Described in the changelog: the check passes.
    repo.write(
        log,
        &repo
            .read(log)
            .replacen("## [Unreleased]\n", "## [Unreleased]\n\n### Added\n- `LIMIT`.\n", 1),
    );
    repo.commit("legacy: changelog");
    repo.xtask(&["status", "--check"]).assert_code(0);
}

#[test]
fn status_uses_the_configured_python_and_says_when_it_is_missing() {
    let repo = Repo::examples();
    let run = repo.xtask_with(&["status"], |c| {
        c.env("XTASK_PYTHON", "no-such-python3");
    });
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("python: \"no-such-python3\" (from XTASK_PYTHON or [python] interpreter) was not found")
            && run
                .stderr
                .contains("cannot read setup.py/setup.cfg metadata without Python"),
        "{}",
        run.stderr
    );
}
