//! Bundles for a platform other than the host, built here: markers evaluated for the target,
//! target wheels downloaded, pure sdists built once, and every gap named together.

mod common;

use common::*;

fn bundle_files(repo: &Repo, archive: &str) -> Vec<String> {
    let (_keep, top) = unpack(&repo.in_dist(archive));
    list_dir(&top)
}

#[test]
fn windows_and_linux_bundles_from_one_host_follow_the_target_markers() {
    let repo = Repo::examples();
    let run = repo.xtask(&["nightly", "--build-number", BUILD_NUMBER]);
    run.assert_code(0);
    let windows = bundle_files(&repo, &format!("acme-plugins-{NIGHTLY}-windows.zip"));
    let linux = bundle_files(&repo, &format!("acme-plugins-{NIGHTLY}-linux.tar.bz2"));
    // acme-plugin-console: colorama on Windows only, ptyprocess everywhere else.
    assert!(
        windows.contains(&"colorama-0.4.6-py3-none-any.whl".to_string()),
        "{windows:?}"
    );
    assert!(!windows.iter().any(|f| f.starts_with("ptyprocess")), "{windows:?}");
    assert!(
        linux.contains(&"ptyprocess-0.7.0-py3-none-any.whl".to_string()),
        "{linux:?}"
    );
    assert!(!linux.iter().any(|f| f.starts_with("colorama")), "{linux:?}");
    for f in [
        "install.ps1",
        "requirements.txt",
        "manifest.json",
        "tabulate-0.9.0-py3-none-any.whl",
    ] {
        assert!(windows.contains(&f.to_string()), "{f} in {windows:?}");
    }
    let verify = repo.xtask(&[
        "verify",
        &repo
            .in_dist(&format!("acme-plugins-{NIGHTLY}-windows.zip"))
            .to_string_lossy(),
    ]);
    verify.assert_code(0);
    assert!(
        verify.stdout.contains("wheel tags: 7 of 7 fit windows"),
        "{}",
        verify.stdout
    );
}

#[test]
fn a_pure_sdist_only_dependency_becomes_a_wheel_for_the_target() {
    let repo = Repo::bare_examples();
    repo.add_reports_dependencies(&["puresdist>=1.0"]);
    repo.commit("fixture: an sdist-only dependency");
    repo.xtask(&["nightly", "--platform", "windows", "--build-number", BUILD_NUMBER])
        .assert_code(0);
    let windows = bundle_files(&repo, &format!("acme-plugins-{NIGHTLY}-windows.zip"));
    assert!(
        windows.contains(&"puresdist-1.0-py3-none-any.whl".to_string()),
        "{windows:?}"
    );
}

#[test]
fn an_extra_asked_by_one_plugin_is_collected_for_the_target() {
    let repo = Repo::bare_examples();
    // reports asks for extrapkg, console for extrapkg[socks] (which needs socksdep).
    repo.add_reports_dependencies(&["extrapkg>=1.0"]);
    let console = "plugins/acme-plugin-console/pyproject.toml";
    repo.write(
        console,
        &repo.read(console).replace(
            "\"acme-plugin-base==1.4.*,>=1.4.0\",",
            "\"acme-plugin-base==1.4.*,>=1.4.0\",\n    \"extrapkg[socks]>=1.0\",",
        ),
    );
    repo.commit("fixture: an extra");
    repo.xtask(&["nightly", "--build-number", BUILD_NUMBER]).assert_code(0);
    let windows = bundle_files(&repo, &format!("acme-plugins-{NIGHTLY}-windows.zip"));
    let linux = bundle_files(&repo, &format!("acme-plugins-{NIGHTLY}-linux.tar.bz2"));
    for files in [&windows, &linux] {
        assert!(
            files.contains(&"extrapkg-1.0-py3-none-any.whl".to_string()),
            "{files:?}"
        );
        assert!(
            files.contains(&"socksdep-1.0-py3-none-any.whl".to_string()),
            "the extra's dependency: {files:?}"
        );
    }
    let verify = repo.xtask(&[
        "verify",
        &repo
            .in_dist(&format!("acme-plugins-{NIGHTLY}-windows.zip"))
            .to_string_lossy(),
    ]);
    verify.assert_code(0);
}
