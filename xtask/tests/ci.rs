//! `cargo xtask ci`: the GitHub Actions workflows generated from the manifest (nightly and
//! release) are stable, valid against GitHub's workflow schema, clean under zizmor, and
//! committed up to date; `--check` catches a hand edit.

mod common;

use std::fs;

use common::*;

const WORKFLOW: &str = ".github/workflows/nightly.yml";
const RELEASE: &str = ".github/workflows/release.yml";

#[test]
fn the_workflow_is_stable_schema_valid_zizmor_clean_and_committed() {
    let repo = Repo::examples();
    let run = repo.xtask(&["ci"]);
    run.assert_code(0);
    assert!(run.stdout.contains(&format!("wrote {WORKFLOW}")), "{}", run.stdout);
    let generated = repo.read(WORKFLOW);
    let release = repo.read(RELEASE);
    for expected in [
        "    tags:\n      - 'v[0-9]*'\n      - '*-v[0-9]*'\n  workflow_dispatch:\n",
        "          ref: ${{ inputs.tag && format('refs/tags/{0}', inputs.tag) || github.ref }}\n          fetch-depth: 0\n",
        "cargo xtask bundle --dry-run --json",
        "    if: needs.plan.outputs.build == 'true'\n",
        "cargo xtask bundle --platform \"$XTASK_PLATFORM\" $XTASK_OPTIONS",
        "            options: \"--no-sources\"\n",
        "cargo xtask merge parts/bundle-linux parts/bundle-windows",
        "          name: release\n",
    ] {
        assert!(release.contains(expected), "missing {expected:?} in:\n{release}");
    }
    // The examples configure neither a release folder nor uploads: nothing to publish, no secrets.
    assert!(
        !release.contains("cargo xtask publish") && !release.contains("secrets."),
        "{release}"
    );
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
    assert_eq!(repo.read(RELEASE), release, "a second run writes the same bytes");
    // This repository's committed workflows and GitLab pipeline (an adopted copy's come from
    // its own manifest).
    assert!(run.stdout.contains("wrote .gitlab-ci.yml"), "{}", run.stdout);
    let gitlab = repo.read(".gitlab-ci.yml");
    if let Some(root) = source_repository() {
        for (file, text) in [(WORKFLOW, &generated), (RELEASE, &release), (".gitlab-ci.yml", &gitlab)] {
            assert_eq!(
                &fs::read_to_string(root.join(file)).unwrap(),
                text,
                "the committed {file} is what release-config.toml generates: run `cargo xtask ci`"
            );
        }
    }

    let path = repo.path().join(WORKFLOW);
    assert_valid_and_clean(&repo, &[WORKFLOW, RELEASE], "informational");

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
    repo.write(RELEASE, &release.replace("fetch-depth: 0", "fetch-depth: 1"));
    let run = repo.xtask(&["ci", "--check"]);
    run.assert_code(3);
    assert!(
        run.stderr.contains(&format!("{WORKFLOW} is missing"))
            && run
                .stderr
                .contains(&format!("{RELEASE} differs from what release-config.toml generates")),
        "{}",
        run.stderr
    );
}

/// Both files validate against GitHub's workflow schema, and zizmor reports nothing above
/// `quiet` severity.
fn assert_valid_and_clean(repo: &Repo, files: &[&str], quiet: &str) {
    let paths: Vec<std::path::PathBuf> = files.iter().map(|f| repo.path().join(f)).collect();
    assert_builtin_schema("vendor.github-workflows", &paths);
    let mut zizmor = ci_tool("zizmor");
    zizmor.args(["--offline", "--no-progress"]);
    if quiet != "informational" {
        zizmor.args(["--min-severity", quiet]);
    }
    let zizmor = zizmor.args(&paths).output().unwrap();
    let said = String::from_utf8_lossy(&zizmor.stdout);
    assert!(
        zizmor.status.success() && said.contains("No findings"),
        "{said}{}",
        String::from_utf8_lossy(&zizmor.stderr)
    );
}

#[test]
fn the_release_workflow_publishes_with_secrets_passed_by_name() {
    let repo = Repo::bare_examples();
    let manifest = repo
        .read("release-config.toml")
        .replacen("[release]\n", "[release]\nsign-artifacts = true\n", 1)
        .replacen(
            "[public]\n",
            "[public]\nextra-index-urls = [\"https://${MIRROR_TOKEN}@mirror.example.com/simple/\"]\n",
            1,
        );
    repo.write(
        "release-config.toml",
        &format!(
            "{manifest}\n[publish]\nrelease-dir = \"/srv/releases\"\n\n[publish.upload]\n\
             repository-url = \"https://${{INDEX_USER}}:${{INDEX_TOKEN}}@pkgs.example.com/upload/\"\n\
             index-url = \"https://pkgs.example.com/simple/\"\n"
        ),
    );
    repo.commit("fixture: uploads, signatures, a private mirror");
    repo.xtask(&["ci"]).assert_code(0);
    let release = repo.read(RELEASE);
    let nightly = repo.read(WORKFLOW);
    for expected in [
        "      - name: Publish\n        env:\n          INDEX_TOKEN: ${{ secrets.INDEX_TOKEN }}\n          \
         INDEX_USER: ${{ secrets.INDEX_USER }}\n          TWINE_PASSWORD: ${{ secrets.TWINE_PASSWORD }}\n          \
         TWINE_USERNAME: ${{ secrets.TWINE_USERNAME }}\n        run: cargo xtask publish\n",
        "GPG_PRIVATE_KEY: ${{ secrets.GPG_PRIVATE_KEY }}",
        // Only the job that has the key signs: the parts are not signed.
        "cargo xtask bundle --dry-run --json --no-sign",
        "cargo xtask bundle --platform \"$XTASK_PLATFORM\" $XTASK_OPTIONS --no-sign",
    ] {
        assert!(release.contains(expected), "missing {expected:?} in:\n{release}");
    }
    for expected in [
        "cargo xtask plan --no-sign",
        "cargo xtask nightly --platform \"$XTASK_PLATFORM\" $XTASK_OPTIONS --no-sign",
    ] {
        assert!(nightly.contains(expected), "missing {expected:?} in:\n{nightly}");
    }
    assert_eq!(
        release.matches("secrets.GPG_PRIVATE_KEY").count(),
        1,
        "the key goes to one job:\n{release}"
    );
    // pip runs in the plan and bundle jobs of both workflows, and twine's venv in publish.
    assert_eq!(
        release.matches("MIRROR_TOKEN: ${{ secrets.MIRROR_TOKEN }}").count(),
        3,
        "{release}"
    );
    assert_eq!(
        nightly.matches("MIRROR_TOKEN: ${{ secrets.MIRROR_TOKEN }}").count(),
        2,
        "{nightly}"
    );
    // zizmor suggests trusted publishing for any upload step (informational): nothing above it.
    assert_valid_and_clean(&repo, &[WORKFLOW, RELEASE], "low");
}

/// `[ci] dev-upload-on-push`: the nightly workflow also runs on pushes to the release branches,
/// where only its dev-upload job runs (sharing the workflow's run number, the build number),
/// with the upload's secrets; valid and zizmor-clean. Without it, nothing about pushes.
#[test]
fn the_nightly_workflow_uploads_a_dev_build_of_every_push() {
    let repo = Repo::examples();
    repo.replace_ci(
        "\n[ci]\ndev-upload-on-push = true\n\n[nightly.upload]\n\
         repository-url = \"https://${DEV_INDEX_TOKEN}@nexus.example/repository/dev/\"\n\
         index-url = \"https://nexus.example/repository/dev/simple/\"\n",
        "dev uploads on push",
    );
    repo.xtask(&["ci"]).assert_code(0);
    let nightly = repo.read(WORKFLOW);
    for expected in [
        "  workflow_dispatch:\n  push:\n    branches: [\"main\"]\n\npermissions: {}\n",
        "  plan:\n    name: Plan and check\n    if: github.event_name != 'push'\n",
        "  dev-upload:\n    name: Upload a dev build of this push\n    if: github.event_name == 'push'\n",
        "      DEV_INDEX_TOKEN: ${{ secrets.DEV_INDEX_TOKEN }}\n",
        "      TWINE_PASSWORD: ${{ secrets.TWINE_PASSWORD }}\n",
        "      - run: cargo xtask nightly --platform linux --no-sources --upload\n",
    ] {
        assert!(nightly.contains(expected), "missing {expected:?} in:\n{nightly}");
    }
    assert_valid_and_clean(&repo, &[WORKFLOW], "low");
    // Without the key the workflow has no push trigger (what this repository commits).
    assert!(!fs::read_to_string(workspace_root().join(WORKFLOW))
        .unwrap_or_default()
        .contains("push:"));
}

#[test]
fn a_platform_whose_lock_is_committed_is_built_locked() {
    let repo = Repo::examples();
    repo.xtask(&["lock"]).assert_code(0);
    fs::remove_file(repo.path().join("locks/pylock.linux.toml")).unwrap();
    repo.xtask(&["ci"]).assert_code(0);
    let nightly = repo.read(WORKFLOW);
    for expected in [
        "          - platform: linux\n            runner: ubuntu-24.04\n            python: \"3.11\"\n            options: \"\"\n",
        "          - platform: windows\n            runner: windows-2022\n            python: \"3.11\"\n            options: \"--no-sources --locked\"\n",
    ] {
        assert!(nightly.contains(expected), "missing {expected:?} in:\n{nightly}");
    }
    assert!(repo.read(RELEASE).contains("options: \"--no-sources --locked\""));
    let gitlab = repo.read(".gitlab-ci.yml");
    for expected in [
        "    - cargo xtask nightly --platform windows --no-sources --locked --output dist/bundle-windows\n",
        "    - cargo xtask bundle --platform windows --no-sources --locked --output dist/bundle-windows\n",
        "    - cargo xtask nightly --platform linux --output dist/bundle-linux\n",
    ] {
        assert!(gitlab.contains(expected), "missing {expected:?} in:\n{gitlab}");
    }
    assert_valid_and_clean(&repo, &[WORKFLOW, RELEASE], "informational");
    // Locking Linux too makes the committed workflows stale.
    repo.xtask(&["lock"]).assert_code(0);
    let check = repo.xtask(&["ci", "--check"]);
    check.assert_code(3);
    assert!(
        check
            .stderr
            .contains(&format!("{WORKFLOW} differs from what release-config.toml generates")),
        "{}",
        check.stderr
    );
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
