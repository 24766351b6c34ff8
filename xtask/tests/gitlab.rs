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
    repo.append_manifest(ci, "CI on GitLab");
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
    ] {
        assert!(pipeline.contains(expected), "missing {expected:?} in:\n{pipeline}");
    }
    let schema = ci_tool("check-jsonschema")
        .args(["--builtin-schema", "vendor.gitlab-ci"])
        .arg(repo.path().join(PIPELINE))
        .output()
        .unwrap();
    assert!(
        schema.status.success(),
        "{}{}",
        String::from_utf8_lossy(&schema.stdout),
        String::from_utf8_lossy(&schema.stderr)
    );

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
    let shim = cargo_shim();
    let path = format!("{}:{}", shim.path().display(), std::env::var("PATH").unwrap());
    let real_cargo = String::from_utf8(run_ok(Command::new("which").arg("cargo")).stdout).unwrap();
    let out = repo
        .command("gitlab-ci-local")
        .args([
            "--variable",
            "CI_PIPELINE_SOURCE=schedule",
            "--variable",
            &format!("CI_PIPELINE_IID={BUILD_NUMBER}"),
            "--variable",
            &format!("SOURCE_DATE_EPOCH={EPOCH}"),
            "--shell-isolation",
        ])
        .env("PATH", &path)
        .env("XTASK_BIN", env!("CARGO_BIN_EXE_xtask"))
        .env("REAL_CARGO", real_cargo.trim())
        .output()
        .expect("gitlab-ci-local 4.60.0 and rsync are installed (scripts/install-prereqs.sh)");
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
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
