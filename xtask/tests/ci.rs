//! `cargo xtask ci`: the GitHub Actions workflow generated from the manifest is stable,
//! valid against GitHub's workflow schema, clean under zizmor, and committed up to date;
//! `--check` catches a hand edit.

mod common;

use std::fs;

use common::*;

const WORKFLOW: &str = ".github/workflows/nightly.yml";

#[test]
fn the_workflow_is_stable_schema_valid_zizmor_clean_and_committed() {
    let repo = Repo::examples();
    let run = repo.xtask(&["ci"]);
    run.assert_code(0);
    assert!(run.stdout.contains(&format!("wrote {WORKFLOW}")), "{}", run.stdout);
    let generated = repo.read(WORKFLOW);
    for expected in [
        "          - platform: linux\n            runner: ubuntu-24.04\n            python: \"3.11\"\n            options: \"\"\n",
        "          - platform: windows\n            runner: windows-2022\n            python: \"3.11\"\n            options: \"--no-sources\"\n",
        "cargo xtask nightly --platform \"$XTASK_PLATFORM\" $XTASK_OPTIONS",
        "cargo xtask merge parts/bundle-linux parts/bundle-windows",
        "SOURCE_DATE_EPOCH: ${{ needs.plan.outputs.epoch }}",
    ] {
        assert!(generated.contains(expected), "missing {expected:?} in:\n{generated}");
    }
    repo.xtask(&["ci"]).assert_code(0);
    assert_eq!(repo.read(WORKFLOW), generated, "a second run writes the same bytes");
    assert_eq!(
        fs::read_to_string(workspace_root().join(WORKFLOW)).unwrap(),
        generated,
        "the committed {WORKFLOW} is what release-config.toml generates: run `cargo xtask ci`"
    );

    let path = repo.path().join(WORKFLOW);
    let schema = ci_tool("check-jsonschema")
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        schema.status.success(),
        "{}{}",
        String::from_utf8_lossy(&schema.stdout),
        String::from_utf8_lossy(&schema.stderr)
    );
    let zizmor = ci_tool("zizmor")
        .args(["--offline", "--no-progress"])
        .arg(&path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&zizmor.stdout);
    assert!(
        zizmor.status.success() && said.contains("No findings"),
        "{said}{}",
        String::from_utf8_lossy(&zizmor.stderr)
    );

    // --check: up to date, then a hand edit, then a missing file.
    repo.xtask(&["ci", "--check"]).assert_code(0);
    repo.write(
        WORKFLOW,
        &generated.replace("cron: \"17 3 * * *\"", "cron: \"0 1 * * *\""),
    );
    let run = repo.xtask(&["ci", "--check"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains(&format!("{WORKFLOW} differs from what release-config.toml generates"))
            && run.stderr.contains("run `cargo xtask ci`"),
        "{}",
        run.stderr
    );
    assert!(repo.read(WORKFLOW).contains("0 1 * * *"), "--check writes nothing");
    fs::remove_file(&path).unwrap();
    let run = repo.xtask(&["ci", "--check"]);
    run.assert_code(3);
    assert!(run.stderr.contains(&format!("{WORKFLOW} is missing")), "{}", run.stderr);
}

#[test]
fn a_platform_without_a_hosted_runner_is_named() {
    let repo = Repo::bare_examples();
    let manifest = repo.read("release-config.toml");
    repo.write(
        "release-config.toml",
        &format!("{manifest}\n[platforms.power]\ntags = [\"manylinux2014_ppc64le\"]\npython = \"3.11\"\n"),
    );
    repo.commit("fixture: a platform GitHub does not host");
    let run = repo.xtask(&["ci"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("platform power: GitHub has no hosted runner for Linux on ppc64le"),
        "{}",
        run.stderr
    );
    assert!(!repo.path().join(WORKFLOW).exists());
}
