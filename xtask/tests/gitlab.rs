//! The GitLab CI pipeline `cargo xtask ci` writes with `[ci] providers = ["gitlab"]`: valid
//! against GitLab's CI schema, what the manifest generates (`--check` catches a hand edit),
//! and run for real with gitlab-ci-local (shell executor, every job on this machine): the
//! merge job's set is complete, `verify` passes it, and it is byte for byte the set one
//! `cargo xtask nightly` writes for the same commit, build number and time.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const PIPELINE: &str = ".gitlab-ci.yml";

fn gitlab_repo(ci: &str) -> Repo {
    let repo = Repo::examples();
    repo.replace_ci(ci, "CI on GitLab");
    repo
}

#[test]
fn the_pipeline_is_valid_generated_from_the_manifest_and_checked() {
    let repo = gitlab_repo(
        "\n[ci]\nproviders = [\"github\", \"gitlab\"]\n\n[ci.gitlab.runner-tags]\nwindows = [\"windows\", \"shared-win\"]\n",
    );
    let run = repo.xtask(&["ci"]);
    run.assert_code(0);
    for file in [
        ".github/workflows/nightly.yml",
        ".github/workflows/release.yml",
        PIPELINE,
    ] {
        assert!(run.stdout.contains(&format!("wrote {file}")), "{}", run.stdout);
    }
    let pipeline = repo.read(PIPELINE);
    for expected in [
        "    - if: $CI_PIPELINE_SOURCE == \"schedule\" || $CI_PIPELINE_SOURCE == \"web\"\n",
        "nightly-windows:\n  stage: bundle\n  extends: .nightly\n  needs: [nightly-plan]\n  tags: [\"windows\", \"shared-win\"]\n",
        "    - cargo xtask nightly --platform windows --no-sources --output dist/bundle-windows\n",
        "  tags: [\"saas-linux-small-amd64\"]\n  script:\n    - cargo xtask nightly --platform linux --output dist/bundle-linux\n",
        "  needs: [nightly-plan, nightly-linux, nightly-windows]\n",
        "    - cargo xtask merge dist/bundle-linux dist/bundle-windows\n",
        "      dotenv: xtask-plan.env\n",
        "    - if: $CI_COMMIT_TAG =~ /^(v[0-9][^\\/]*|[^\\/]+-v[0-9][^\\/]*)$/\n",
        "    - cargo xtask bundle --platform windows --no-sources --output dist/bundle-windows\n",
        "release-publish:\n  stage: publish\n  extends: .release\n  needs: [release-linux, release-windows]\n",
        "  environment: release\n",
    ] {
        assert!(pipeline.contains(expected), "missing {expected:?} in:\n{pipeline}");
    }
    assert_builtin_schema("vendor.gitlab-ci", &[repo.path().join(PIPELINE)]);

    // The jobs' --output folders are checked like [release] output.
    let plan = repo.xtask(&["plan", "--platform", "linux", "--output", "parts/linux"]);
    plan.assert_code(3);
    assert!(
        plan.stderr
            .contains("the output folder parts/linux/ is not ignored by git"),
        "{}",
        plan.stderr
    );
    let plan = repo.xtask(&["plan", "--json", "--platform", "linux", "--output", "dist/bundle-linux"]);
    assert_eq!(plan.assert_code(0).json()["output_dir"], "dist/bundle-linux");

    repo.xtask(&["ci", "--check"]).assert_code(0);
    repo.write(PIPELINE, &pipeline.replace("expire_in: 1 month", "expire_in: 1 year"));
    let check = repo.xtask(&["ci", "--check"]);
    check.assert_code(3);
    assert!(
        check
            .stderr
            .contains(".gitlab-ci.yml differs from what release-config.toml generates"),
        "{}",
        check.stderr
    );

    // Only names it knows, and runner tags of platforms that exist.
    let manifest = repo.read("release-config.toml");
    repo.write(
        "release-config.toml",
        &manifest
            .replace(
                "providers = [\"github\", \"gitlab\"]",
                "providers = [\"gitlab\", \"jenkins\"]",
            )
            .replace("windows = [\"windows\", \"shared-win\"]", "macos = [\"mac\"]"),
    );
    let bad = repo.xtask(&["ci"]);
    bad.assert_code(2);
    assert!(bad.stderr.contains("unknown provider \"jenkins\""), "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("[ci.gitlab] runner-tags names \"macos\", which is not a platform"),
        "{}",
        bad.stderr
    );
}

/// A folder with a `cargo` that runs the xtask under test for `cargo xtask ...` (the fixture
/// repository has no xtask sources to compile) and the real cargo otherwise.
fn cargo_shim() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let shim = dir.path().join("cargo");
    fs::write(
        &shim,
        "#!/bin/sh\nif [ \"$1\" = xtask ]; then shift; exec \"$XTASK_BIN\" \"$@\"; fi\nexec \"$REAL_CARGO\" \"$@\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&shim, fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in list_dir(dir) {
        let path = dir.join(&entry);
        if entry == name {
            return Some(path);
        }
        if path.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        }
    }
    None
}

fn files_below(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for name in list_dir(dir) {
        let path = dir.join(&name);
        assert!(path.is_file(), "{} is a file", path.display());
        out.push((name, fs::read(path).unwrap()));
    }
    out
}

#[test]
fn the_nightly_pipeline_runs_with_gitlab_ci_local_and_gives_the_nightly_set() {
    let repo = gitlab_repo("\n[ci]\nproviders = [\"gitlab\"]\n");
    repo.xtask(&["ci"]).assert_code(0);
    repo.commit("the GitLab pipeline");
    let said = run_pipeline(
        &repo,
        &[
            "CI_PIPELINE_SOURCE=schedule".into(),
            format!("CI_PIPELINE_IID={BUILD_NUMBER}"),
            format!("SOURCE_DATE_EPOCH={EPOCH}"),
        ],
        &[],
    );
    for job in ["nightly-plan", "nightly-linux", "nightly-windows", "nightly-merge"] {
        assert!(said.contains(&format!(" PASS  {job}")), "{said}");
    }
    assert!(
        said.contains("installed offline into a fresh venv and imported"),
        "{said}"
    );

    // The merge job's set (gitlab-ci-local copies the artifacts back): complete and verified.
    let set = format!("acme-plugins-{NIGHTLY}");
    let merged = files_below(&repo.path().join("dist").join(&set));
    let names: Vec<&str> = merged.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 7, "3 archives, 3 .sha256, SHA256SUMS: {names:?}");
    let archives: Vec<String> = names
        .iter()
        .filter(|n| !n.ends_with(".sha256") && **n != "SHA256SUMS")
        .map(|n| format!("dist/{set}/{n}"))
        .collect();
    let mut verify = vec!["verify"];
    verify.extend(archives.iter().map(String::as_str));
    repo.xtask(&verify).assert_code(0);

    // The time went to every job through the plan job's dotenv report.
    let env = fs::read_to_string(
        find_file(&repo.path().join(".gitlab-ci-local"), "xtask-plan.env").expect("the plan job's dotenv report"),
    )
    .unwrap();
    assert_eq!(env.trim(), format!("SOURCE_DATE_EPOCH={EPOCH}"));

    // One nightly of the same commit, build number and time writes the same bytes.
    fs::remove_dir_all(repo.path().join("dist")).unwrap();
    repo.xtask(&["nightly", "--build-number", BUILD_NUMBER]).assert_code(0);
    let single = files_below(&repo.path().join("dist").join(&set));
    assert!(single == merged, "the pipeline's set differs from one nightly's");
}

const PASSWORD: &str = "gl-upl0ad-9c2e";

/// gitlab-ci-local in the repository with the xtask under test as `cargo xtask`, the
/// environment `env` and the pipeline `variables`; what it printed, after checking it passed.
fn run_pipeline(repo: &Repo, variables: &[String], env: &[(&str, &str)]) -> String {
    let shim = cargo_shim();
    let path = format!("{}:{}", shim.path().display(), std::env::var("PATH").unwrap());
    let real_cargo = String::from_utf8(run_ok(Command::new("which").arg("cargo")).stdout).unwrap();
    let mut cmd = repo.command("gitlab-ci-local");
    for v in variables {
        cmd.args(["--variable", v]);
    }
    cmd.arg("--shell-isolation")
        .env("PATH", &path)
        .env("XTASK_BIN", env!("CARGO_BIN_EXE_xtask"))
        .env("REAL_CARGO", real_cargo.trim());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .expect("gitlab-ci-local 4.60.0 and rsync are installed (scripts/install-prereqs.sh)");
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    said
}

/// A release made on a maintainer's machine (which uploads it), then the release pipeline of
/// its tag: every platform rebuilt on its own job, merged, verified, and published to the same
/// index (nothing uploaded twice: the rebuilt files are the same bytes) and to a release folder.
#[test]
fn the_release_pipeline_rebuilds_the_tag_and_publishes_it() {
    let server = PackageServer::start(PASSWORD);
    let repo = gitlab_repo(&format!(
        "\n[ci]\nproviders = [\"gitlab\"]\n\n[publish.upload]\nrepository-url = \"{}/\"\nindex-url = \"{}/simple/\"\n",
        server.url, server.url
    ));
    repo.xtask(&["ci"]).assert_code(0);
    repo.commit("the GitLab pipelines");
    repo.git(&["config", "user.name", "Release Bot"]);
    repo.git(&["config", "user.email", "release-bot@example.com"]);
    let creds = [("TWINE_USERNAME", "ci"), ("TWINE_PASSWORD", PASSWORD)];
    repo.xtask_with(
        &[
            "release",
            "minor",
            "--platform",
            "linux",
            "--platform",
            "windows",
            "--execute",
        ],
        |c| {
            c.envs(creds);
        },
    )
    .assert_code(0);
    let uploaded = server.files();
    assert_eq!(uploaded.len(), 8, "{uploaded:?}");
    let delivered = files_below(&repo.set_dir());
    fs::remove_dir_all(repo.path().join("dist")).unwrap();
    let tags = repo.git(&["tag", "--points-at", "HEAD"]);
    let tag = tags
        .lines()
        .find(|t| t.starts_with('v'))
        .expect("the group's tag")
        .to_string();

    let release_dir = tempfile::tempdir().unwrap();
    let dir = release_dir.path().to_string_lossy().into_owned();
    let said = run_pipeline(
        &repo,
        &[format!("CI_COMMIT_TAG={tag}"), "CI_PIPELINE_SOURCE=push".into()],
        &[creds[0], creds[1], ("RELEASE_DIR", &dir)],
    );
    for job in ["release-plan", "release-linux", "release-windows", "release-publish"] {
        assert!(said.contains(&format!(" PASS  {job}")), "{said}");
    }
    assert!(!said.contains("nightly-plan"), "no nightly job on a tag: {said}");
    assert!(!said.contains(PASSWORD), "the password is never shown");
    assert_eq!(server.files(), uploaded, "the same files, uploaded once");
    assert!(said.contains("already on the index (same sha256), skipped"), "{said}");
    // The release folder has the set (flat); its archives are the ones the release delivered but for
    // the commit recorded in each bundle's manifest.json (see `bundle`), and its sdists and
    // wheels are byte for byte the released ones.
    let published = files_below(release_dir.path());
    let names = |files: &[(String, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&published), names(&delivered));
    for (name, bytes) in &published {
        if name.ends_with(".whl") || name.ends_with(".tar.gz") || name == "RELEASE_NOTES.md" {
            let original = &delivered.iter().find(|f| &f.0 == name).unwrap().1;
            assert!(bytes == original, "{name} differs from the released one");
        }
    }
}

/// `[ci] dev-upload-on-push`: a push to the default branch runs only the job that uploads a dev
/// build of every plugin to `[nightly.upload]`; the same push run again uploads nothing twice.
#[test]
fn pushes_to_the_default_branch_upload_a_dev_build_once() {
    let server = PackageServer::start(PASSWORD);
    let repo = gitlab_repo(&format!(
        "\n[ci]\nproviders = [\"gitlab\"]\ndev-upload-on-push = true\n\n[nightly.upload]\nrepository-url = \"{}/\"\nindex-url = \"{}/simple/\"\n",
        server.url, server.url
    ));
    repo.xtask(&["ci"]).assert_code(0);
    repo.commit("the GitLab pipelines");
    let variables = [
        "CI_PIPELINE_SOURCE=push".to_string(),
        "CI_COMMIT_BRANCH=main".into(),
        "CI_DEFAULT_BRANCH=main".into(),
        format!("CI_PIPELINE_IID={BUILD_NUMBER}"),
    ];
    let creds = [("TWINE_USERNAME", "ci"), ("TWINE_PASSWORD", PASSWORD)];
    let said = run_pipeline(&repo, &variables, &creds);
    assert!(said.contains(" PASS  dev-upload"), "{said}");
    assert!(
        !said.contains("nightly-plan") && !said.contains("release-plan"),
        "{said}"
    );
    let uploaded = server.files();
    assert_eq!(uploaded.len(), 8, "every plugin's sdist and wheel: {uploaded:?}");
    assert!(
        uploaded
            .iter()
            .all(|f| f.contains(NIGHTLY) || f.contains(LEGACY_NIGHTLY)),
        "{uploaded:?}"
    );
    assert!(!said.contains(PASSWORD));

    let again = run_pipeline(&repo, &variables, &creds);
    assert_eq!(server.files(), uploaded, "nothing uploaded twice");
    assert_eq!(
        again.matches("already on the index (same sha256), skipped").count(),
        8,
        "{again}"
    );

    // Without [nightly.upload] the key is refused, naming what is missing.
    let manifest = repo.read("release-config.toml");
    let table = format!(
        "[nightly.upload]\nrepository-url = \"{}/\"\nindex-url = \"{}/simple/\"\n",
        server.url, server.url
    );
    assert!(manifest.contains(&table));
    repo.write("release-config.toml", &manifest.replace(&table, ""));
    let run = repo.xtask(&["ci"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("[ci] dev-upload-on-push = true needs a [nightly.upload] table"),
        "{}",
        run.stderr
    );
}
