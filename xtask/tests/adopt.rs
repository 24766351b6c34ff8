//! `scripts/adopt.sh`: the xtask brought into an existing repository of plugins (one with a
//! Cargo workspace of its own, and PowerShell scripts whose line endings must not change),
//! `init` run there, and `cargo xtask plan` passing on the result; `--update` later.

mod common;

use std::process::Command;

use common::*;

#[test]
fn an_adopted_repository_plans_with_no_hand_edit_and_updates_in_place() {
    let Some(source) = source_repository() else { return };
    let repo = Repo::bare_examples();
    std::fs::remove_file(repo.path().join("release-config.toml")).unwrap();
    std::fs::remove_file(repo.path().join(".gitignore")).unwrap();
    // A Cargo workspace of its own, and a PowerShell script of a plugin with LF endings.
    repo.write("Cargo.toml", "[workspace]\nmembers = []\nresolver = \"2\"\n");
    repo.write("plugins/acme-plugin-base/tools/setup.ps1", "Write-Output 'lf'\n");
    repo.commit("the plugins, before adopting");
    repo.git(&["tag", "-a", "v1.4.0", "-m", "core 1.4.0"]);

    let adopt = |args: &[&str]| {
        let out = repo
            .command(source.join("scripts/adopt.sh"))
            .args(args)
            .env("CARGO_TARGET_DIR", cache_dir().join("adopt-target"))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let target = repo.path().to_string_lossy().into_owned();
    let (code, out) = adopt(&[&target]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("wrote ") && out.contains("release-config.toml"), "{out}");
    assert!(repo.path().join("xtask/src/main.rs").is_file());
    assert!(repo
        .path()
        .join("xtask/tests/fixtures/acme/release-config.toml")
        .is_file());
    assert!(
        repo.read("Cargo.toml").contains("members = [\"xtask\", ]"),
        "{}",
        repo.read("Cargo.toml")
    );
    assert!(repo
        .read(".cargo/config.toml")
        .contains("xtask = \"run --package xtask --\""));
    let attributes = repo.read(".gitattributes");
    assert!(!attributes.contains("*.ps1"), "{attributes}");
    assert!(
        attributes.contains("xtask/src/steps/install.ps1 text eol=crlf"),
        "{attributes}"
    );
    assert!(repo.read("release-config.toml").contains("group-tag = \"v{version}\""));

    repo.commit("adopt the release xtask");
    // The plugin's own script keeps its line endings in a fresh checkout.
    let clone = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("git")
            .arg("clone")
            .arg("-q")
            .arg(repo.path())
            .arg(clone.path().join("c")),
    );
    assert_eq!(
        std::fs::read(clone.path().join("c/plugins/acme-plugin-base/tools/setup.ps1")).unwrap(),
        b"Write-Output 'lf'\n"
    );
    let plan = repo
        .command("cargo")
        .args(["xtask", "plan", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .env("CARGO_TARGET_DIR", cache_dir().join("adopt-target"))
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", String::from_utf8_lossy(&plan.stderr));
    assert!(
        repo.path().join("xtask/docs/manifest.md").is_file(),
        "the reference travels"
    );

    // The xtask's own tests of its documentation and of its layers pass inside the adopted
    // copy: they read xtask/docs/ and xtask/src/ and leave the repository's own README.md,
    // plugins and workflows alone.
    let tests = repo
        .command("cargo")
        .args([
            "test",
            "--locked",
            "--test",
            "schemas",
            "--test",
            "manifest",
            "--test",
            "layers",
            "--",
            "--nocapture",
        ])
        .env("CARGO_TARGET_DIR", cache_dir().join("adopt-target"))
        .env("XTASK_TEST_CACHE", cache_dir())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&tests.stdout).into_owned() + &String::from_utf8_lossy(&tests.stderr);
    assert!(tests.status.success(), "{said}");
    assert!(said.contains("not this tool's source repository"), "{said}");
    assert!(!said.contains(" 0 passed"), "{said}");
    assert!(
        said.contains("the_source_tree_keeps_its_layers_sizes_and_has_no_import_cycle ... ok"),
        "{said}"
    );

    // Adopting twice is refused; --update replaces xtask/ and nothing else.
    let (code, out) = adopt(&[&target]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("--update"), "{out}");
    std::fs::write(repo.path().join("xtask/src/stale.rs"), "// left over\n").unwrap();
    let manifest = repo.read("release-config.toml");
    let (code, out) = adopt(&["--update", &target]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!repo.path().join("xtask/src/stale.rs").exists());
    assert_eq!(repo.read("release-config.toml"), manifest);
    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        "",
        "the update is the same version"
    );
}
