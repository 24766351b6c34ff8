//! What `release --execute` does after the commit and tags: an atomic push to a real (bare)
//! remote, copies into a release folder, and uploads to a real index (pypiserver on
//! 127.0.0.1), with interruption and `--resume`.

mod common;

use std::fs;
use std::process::Command;

use common::*;

const PASSWORD: &str = "upl0ad-s3cret-77a1";

/// The examples with a bare remote as `origin` (main pushed), and `extra` appended to the
/// manifest.
fn publishing_repo(extra: &str) -> (Repo, tempfile::TempDir) {
    let repo = Repo::bare_examples();
    repo.write("release-config.toml", &(repo.read("release-config.toml") + extra));
    repo.commit("fixture: publishing");
    repo.git(&["config", "user.name", "Release Bot"]);
    repo.git(&["config", "user.email", "release-bot@example.com"]);
    let remote = repo.add_bare_origin();
    (repo, remote)
}

/// The plan's upload step.
fn upload_step(plan: &serde_json::Value) -> &serde_json::Value {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "upload")
        .expect("an upload step")
}

#[test]
fn the_release_is_pushed_and_copied_to_the_release_folder() {
    let (repo, remote) = publishing_repo("\n[publish]\npush = true\n");
    let release_dir = tempfile::tempdir().unwrap();
    let run = repo.xtask_with(&["release", "minor", "--platform", "linux", "--execute"], |c| {
        c.env("RELEASE_DIR", release_dir.path());
    });
    run.assert_code(0);
    let head = repo.git(&["rev-parse", "HEAD"]);
    let refs = remote_refs(remote.path());
    assert!(refs.contains(&format!("refs/heads/main {}", head.trim())), "{refs}");
    assert!(
        refs.contains("refs/tags/v1.5.0 ") && refs.contains("refs/tags/acme-plugin-legacy-v2.2.0 "),
        "{refs}"
    );
    assert_eq!(list_dir(release_dir.path()), list_dir(&repo.set_dir()));
    assert!(!repo.path().join(".git/xtask-release-journal.json").exists());
}

#[test]
fn an_interrupted_push_is_resumed_without_repeating_anything() {
    let (repo, remote) = publishing_repo("\n[publish]\npush = true\n");
    // The remote refuses one of the refs only: an atomic push then updates none of them.
    let hook = remote.path().join("hooks/update");
    fs::write(
        &hook,
        "#!/bin/sh\nif [ \"$1\" = refs/tags/v1.5.0 ]; then echo 'remote: pushes are frozen' >&2; exit 1; fi\n",
    )
    .unwrap();
    run_ok(Command::new("chmod").arg("+x").arg(&hook));
    let remote_before = remote_refs(remote.path());

    let run = repo.xtask(&["release", "minor", "--platform", "linux", "--execute"]);
    run.assert_code(1);
    assert!(run.stderr.contains("pushes are frozen"), "{}", run.stderr);
    assert!(run.stderr.contains("cargo xtask release --resume"), "{}", run.stderr);
    // The release itself stands; nothing reached the remote.
    assert_eq!(repo.git(&["tag", "--list"]), "acme-plugin-legacy-v2.2.0\nv1.5.0\n");
    assert_eq!(
        remote_refs(remote.path()),
        remote_before,
        "neither the branch nor the other tag moved"
    );
    let commits = repo.git(&["rev-list", "--count", "HEAD"]);

    // A new release is refused until this one is finished.
    let again = repo.xtask(&["release", "patch", "--platform", "linux", "--execute"]);
    again.assert_code(3);
    assert!(
        again
            .stderr
            .contains("`cargo xtask release --resume` finishes publishing it"),
        "{}",
        again.stderr
    );

    fs::remove_file(&hook).unwrap();
    let resumed = repo.xtask(&["release", "--resume"]);
    resumed.assert_code(0);
    assert!(
        resumed
            .stderr
            .contains("build acme-plugin-base 1.5.0: done before, skipped"),
        "{}",
        resumed.stderr
    );
    assert!(
        resumed.stderr.contains("tag v1.5.0: done before, skipped"),
        "{}",
        resumed.stderr
    );
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]), commits, "no second commit");
    assert!(remote_refs(remote.path()).contains("refs/tags/v1.5.0 "));
    assert!(!repo.path().join(".git/xtask-release-journal.json").exists());
    let nothing = repo.xtask(&["release", "--resume"]);
    nothing.assert_code(2);
    assert!(nothing.stderr.contains("nothing to resume"), "{}", nothing.stderr);
}

#[test]
fn uploads_skip_what_the_index_has_refuse_conflicts_and_resume() {
    let server = PackageServer::start(PASSWORD);
    let extra = format!(
        "\n[publish.upload]\nrepository-url = \"{}/\"\nindex-url = \"{}/simple/\"\n",
        server.url, server.url
    );
    let (repo, _remote) = publishing_repo(&extra);
    let creds = |password: &'static str| {
        move |c: &mut Command| {
            c.env("TWINE_USERNAME", "ci").env("TWINE_PASSWORD", password);
        }
    };

    // Wrong password: refused by the checks, before anything is built; so are none.
    let release = ["release", "minor", "--platform", "linux", "--execute"];
    for password in ["wrong-password", ""] {
        let refused = repo.xtask_with(&release, |c| {
            if password.is_empty() {
                c.env_remove("TWINE_USERNAME").env_remove("TWINE_PASSWORD");
            } else {
                creds(password)(c);
            }
        });
        refused.assert_code(3);
        let said = if password.is_empty() {
            "it answers HTTP 401 Unauthorized and no credentials are set (TWINE_USERNAME and TWINE_PASSWORD"
        } else {
            "it refuses the credentials (HTTP 403 Forbidden) of user 'ci'"
        };
        assert!(
            refused.stderr.contains(&format!(
                "the upload repository {}/ would not take the upload: {said}",
                server.url
            )) && !refused.stderr.contains("==> [1/")
                && (password.is_empty() || !refused.stderr.contains(password)),
            "{}",
            refused.stderr
        );
        assert!(!repo.path().join("dist").exists(), "nothing built");
    }

    // Credentials that stop working after the checks (revoked meanwhile): the release is made,
    // the upload fails and waits for --resume.
    let plan = repo
        .xtask_with(&["release", "minor", "--platform", "linux", "--json"], creds(PASSWORD))
        .assert_code(0)
        .json();
    let upload = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["step"] == "upload")
        .unwrap()
        + 1;
    let killed = repo.xtask_with(&release, |c| {
        creds(PASSWORD)(c);
        c.env("XTASK_TEST_KILL_AT", format!("before-step-{upload}"));
    });
    assert_eq!(killed.code, -1, "killed before the upload: {}", killed.stderr);
    let run = repo.xtask_with(&["release", "--resume"], creds("wrong-password"));
    run.assert_code(1);
    assert!(
        run.stderr.contains("upload") && run.stderr.contains("--resume"),
        "{}",
        run.stderr
    );
    assert_eq!(server.files(), Vec::<String>::new());

    // Someone uploads one of the files (same bytes), and a different file under another name.
    let dist = repo.set_dir();
    let twine = |file: &std::path::Path| {
        let tools = cache_dir().join("cargo-target/xtask/tools");
        let venv = list_dir(&tools)
            .into_iter()
            .find(|d| d.starts_with("venv-") && !d.ends_with(".lock") && tools.join(d).join("bin/twine").exists())
            .expect("a tools venv with twine");
        run_ok(
            Command::new(tools.join(venv).join("bin/python"))
                .args([
                    "-m",
                    "twine",
                    "upload",
                    "--non-interactive",
                    "--disable-progress-bar",
                    "--repository-url",
                ])
                .arg(format!("{}/", server.url))
                .args(["-u", "ci", "-p", PASSWORD])
                .arg(file),
        );
    };
    twine(&dist.join("acme_plugin_base-1.5.0-py3-none-any.whl"));
    let other = tempfile::tempdir().unwrap();
    twine(&fake_wheel(
        other.path(),
        "acme-plugin-console",
        "1.5.0",
        "acme_plugin_console",
        "# forged\n",
        &[],
    ));

    let refused = repo.xtask_with(&["release", "--resume"], creds(PASSWORD));
    refused.assert_code(1);
    assert!(
        refused
            .stderr
            .contains("the index already has different files under these names; nothing was uploaded")
            && refused.stderr.contains("acme_plugin_console-1.5.0-py3-none-any.whl"),
        "{}",
        refused.stderr
    );
    assert_eq!(server.files().len(), 2, "nothing more was uploaded");

    // The conflicting file is removed from the index; resume uploads the rest, once.
    fs::remove_file(
        server
            .packages
            .path()
            .join("acme_plugin_console-1.5.0-py3-none-any.whl"),
    )
    .unwrap();
    let (resumed, trace) = repo.xtask_traced(&["release", "--resume"], creds(PASSWORD));
    resumed.assert_code(0);
    assert!(trace.contains("\"twine\", \"upload\""), "twine ran:\n{trace}");
    assert!(!trace.contains(PASSWORD), "a password on a command line:\n{trace}");
    assert!(
        resumed
            .stderr
            .contains("acme_plugin_base-1.5.0-py3-none-any.whl: already on the index (same sha256), skipped"),
        "{}",
        resumed.stderr
    );
    let mut expected: Vec<String> = list_dir(&dist)
        .into_iter()
        .filter(|f| f.starts_with("acme_plugin_"))
        .collect();
    expected.sort();
    assert_eq!(server.files(), expected);
    for run in [&run, &refused, &resumed] {
        assert!(
            !run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD),
            "the password leaked"
        );
    }
    let logs = cache_dir().join("cargo-target/xtask/logs");
    let release_logs: Vec<String> = list_dir(&logs)
        .into_iter()
        .filter(|l| l.starts_with("release-"))
        .collect();
    assert!(
        !release_logs.is_empty(),
        "the release runs wrote logs in {}",
        logs.display()
    );
    for log in release_logs {
        let text = fs::read_to_string(logs.join(&log)).unwrap_or_default();
        assert!(!text.contains(PASSWORD), "the password leaked into {log}");
    }

    // What was uploaded installs from the index.
    let venv = tempfile::tempdir().unwrap();
    run_ok(Command::new(python()).args(["-m", "venv"]).arg(venv.path()));
    run_ok(clean_pip(
        Command::new(venv.path().join("bin/python"))
            .args(["-m", "pip", "install", "--quiet", "--no-deps", "--index-url"])
            .arg(format!("{}/simple/", server.url))
            .arg("acme-plugin-base==1.5.0"),
    ));
    let out = run_ok(
        Command::new(venv.path().join("bin/python")).args(["-c", "import acme_plugin_base as b; print(b.__version__)"]),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1.5.0");
}

#[test]
fn dev_versions_never_go_to_a_production_index() {
    let (repo, _remote) = publishing_repo(
        "\n[publish.upload]\nrepository-url = \"https://upload.pypi.example/legacy/\"\n\
         index-url = \"https://pypi.example/simple/\"\nproduction = true\n",
    );
    let before = repo.snapshot();
    let run = repo.xtask(&["release", "dev", "--platform", "linux", "--execute"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("core 1.4.1.dev1 is a dev or local version; it is never uploaded to the production index"),
        "{}",
        run.stderr
    );
    assert!(repo.snapshot() == before);
    assert_eq!(repo.git(&["tag", "--list"]), "");
}

#[test]
fn a_plugin_kept_private_is_released_but_never_uploaded() {
    let server = PackageServer::start(PASSWORD);
    let extra = format!(
        "\n[publish.upload]\nrepository-url = \"{}/\"\nindex-url = \"{}/simple/\"\n\n\
         [plugin.acme-plugin-legacy]\nupload = false\n",
        server.url, server.url
    );
    let (repo, _remote) = publishing_repo(&extra);
    let plan = repo
        .xtask_with(&["release", "minor", "--platform", "linux", "--json"], |c| {
            c.env("TWINE_USERNAME", "ci").env("TWINE_PASSWORD", PASSWORD);
        })
        .assert_code(0)
        .json();
    let upload = upload_step(&plan);
    assert_eq!(
        upload["plugins"],
        serde_json::json!([
            "acme_plugin_base-1.5.0",
            "acme_plugin_reports-1.5.0",
            "acme_plugin_console-1.5.0"
        ])
    );
    let legacy = plan_plugin(&plan, "acme-plugin-legacy");
    assert_eq!(legacy["upload"], false);
    repo.xtask_with(&["release", "minor", "--platform", "linux", "--execute"], |c| {
        c.env("TWINE_USERNAME", "ci").env("TWINE_PASSWORD", PASSWORD);
    })
    .assert_code(0);
    let uploaded = server.files();
    assert_eq!(uploaded.len(), 6, "{uploaded:?}");
    assert!(
        !uploaded.iter().any(|f| f.starts_with("acme_plugin_legacy")),
        "{uploaded:?}"
    );
    assert!(
        list_dir(&repo.set_dir()).contains(&"acme_plugin_legacy-2.2.0-py3-none-any.whl".to_string()),
        "still delivered"
    );
}

/// `nightly --upload` sends every plugin's sdist and wheel of the nightly to the development
/// index of `[nightly.upload]`, once: a second run skips what the index has. Without
/// `--upload` nothing leaves the machine.
#[test]
fn a_nightly_uploads_to_a_development_index_once() {
    let server = PackageServer::start(PASSWORD);
    let (repo, _remote) = publishing_repo(&format!(
        "\n[nightly]\nlocal-version = true\n\n[nightly.upload]\nrepository-url = \"{}/\"\nindex-url = \"{}/simple/\"\n",
        server.url, server.url
    ));
    let args = NIGHTLY_LINUX;
    let creds = |c: &mut Command| {
        c.env("TWINE_USERNAME", "ci").env("TWINE_PASSWORD", PASSWORD);
    };
    repo.xtask_with(args, creds).assert_code(0);
    assert_eq!(server.files(), Vec::<String>::new(), "no upload without --upload");
    fs::remove_dir_all(repo.path().join("dist")).unwrap();

    let with_upload: Vec<&str> = args.iter().copied().chain(["--upload"]).collect();
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux", "--upload"])
        .assert_code(0)
        .json();
    let upload = upload_step(&plan);
    assert_eq!(upload["plugins"].as_array().unwrap().len(), 4, "{upload}");
    let first = repo.xtask_with(&with_upload, creds);
    first.assert_code(0);
    let uploaded = server.files();
    assert_eq!(uploaded.len(), 8, "4 sdists and 4 wheels: {uploaded:?}");
    let commit = &repo.git(&["rev-parse", "HEAD"])[..7];
    assert!(
        uploaded
            .iter()
            .all(|f| f.contains(&format!("+g{commit}")) || f.contains(&format!("_g{commit}"))),
        "local versions are taken by this index: {uploaded:?}"
    );
    assert!(!first.stderr.contains(PASSWORD) && !first.stdout.contains(PASSWORD));
    // The set folder holds what was uploaded.
    let set = repo.set_dir();
    assert_eq!(list_dir(&set).iter().filter(|f| f.ends_with(".whl")).count(), 4);

    fs::remove_dir_all(repo.path().join("dist")).unwrap();
    let again = repo.xtask_with(&with_upload, creds);
    again.assert_code(0);
    assert_eq!(server.files(), uploaded, "nothing uploaded twice");
    assert_eq!(
        again
            .stderr
            .matches("already on the index (same sha256), skipped")
            .count(),
        8,
        "{}",
        again.stderr
    );
}

/// Nightlies never go to a production index, and local versions never to a public one; an
/// upload with nowhere to go is refused before anything is built.
#[test]
fn nightly_uploads_that_cannot_work_are_refused_before_building() {
    let repo = Repo::examples();
    let production = "\n[nightly.upload]\nrepository-url = \"https://nexus.example/repository/dev/\"\n\
                      index-url = \"https://nexus.example/repository/dev/simple/\"\nproduction = true\n";
    let run = with_manifest_text(&repo, production, &["plan", "--upload"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("[nightly.upload] production = true: nightly (dev) builds never go to a production index"),
        "{}",
        run.stderr
    );

    let public = "\n[nightly]\nlocal-version = true\n\n[nightly.upload]\n\
                  repository-url = \"https://test.pypi.org/legacy/\"\nindex-url = \"https://test.pypi.org/simple/\"\n";
    let run = with_manifest_text(&repo, public, &["nightly", "--upload", "--platform", "linux"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("which test.pypi.org refuses (public indexes take no local versions)"),
        "{}",
        run.stderr
    );
    assert!(!repo.path().join("dist").exists(), "nothing built");

    let run = repo.xtask(&["nightly", "--upload", "--platform", "linux"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("--upload: release-config.toml has no [nightly.upload] table"),
        "{}",
        run.stderr
    );
}

/// `extra` appended to the manifest (committed), `args` run, the manifest put back.
fn with_manifest_text(repo: &Repo, extra: &str, args: &[&str]) -> XtaskOutput {
    let manifest = repo.read("release-config.toml");
    repo.append_manifest(extra, "manifest for this case");
    let run = repo.xtask(args);
    repo.write("release-config.toml", &manifest);
    repo.commit("manifest back");
    run
}

/// What the steps after the point of no return need is checked by the dry run and before
/// anything is built: the remote accepts the push, the upload repository takes the
/// credentials (here: none are set) and its index has no file of a version being released,
/// the release folder can be written and holds none of the release's files.
#[test]
fn what_publishing_needs_is_checked_before_the_point_of_no_return() {
    let server = PackageServer::start(PASSWORD);
    let release_dir = tempfile::tempdir().unwrap();
    let extra = format!(
        "\n[publish]\npush = true\nrelease-dir = {:?}\n\n[publish.upload]\nrepository-url = \"{}/\"\nindex-url = \"{}/simple/\"\n",
        release_dir.path().to_str().unwrap(),
        server.url,
        server.url
    );
    let (repo, remote) = publishing_repo(&extra);
    // The remote has the release's tag already, as another tag object.
    run_ok(Command::new("git").arg("-C").arg(remote.path()).args([
        "tag",
        "-a",
        "-m",
        "made elsewhere",
        "v1.5.0",
        "main",
    ]));
    // The index has a file of a version being released.
    let other = tempfile::tempdir().unwrap();
    let forged = fake_wheel(
        other.path(),
        "acme-plugin-console",
        "1.5.0",
        "acme_plugin_console",
        "# forged\n",
        &[],
    );
    fs::copy(&forged, server.packages.path().join(forged.file_name().unwrap())).unwrap();
    // The index has a newer version of a plugin than the release makes (a tag missing here).
    let newer = fake_wheel(
        other.path(),
        "acme-plugin-reports",
        "1.7.0",
        "acme_plugin_reports",
        "# published elsewhere\n",
        &[],
    );
    fs::copy(&newer, server.packages.path().join(newer.file_name().unwrap())).unwrap();
    // The release folder holds a file of the release.
    fs::write(
        release_dir.path().join("acme-plugins-1.5.0-linux.tar.bz2"),
        "an older build",
    )
    .unwrap();
    let before = repo.snapshot();
    let tags = repo.git(&["tag"]);
    let remote_before = remote_refs(remote.path());

    // `status` shows where the index is ahead of the version line here.
    let status = repo.xtask(&["status", "--json"]);
    status.assert_code(0);
    let index_versions: Vec<(String, serde_json::Value)> = status
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_string(), r["index_version"].clone()))
        .collect();
    assert_eq!(
        index_versions,
        [
            ("acme-plugin-base".to_string(), serde_json::Value::Null),
            ("acme-plugin-reports".to_string(), "1.7.0".into()),
            ("acme-plugin-console".to_string(), "1.5.0".into()),
            ("acme-plugin-legacy".to_string(), serde_json::Value::Null),
        ]
    );
    let check = repo.xtask(&["status", "--check"]);
    check.assert_code(3);
    assert!(
        check.stderr.contains(&format!(
            "acme-plugin-reports: the upload index {}/simple/ has 1.7.0, newer than its version 1.4.0 here: a \
             release tag missing from this clone? (`git fetch --tags`); the next release must be above 1.7.0",
            server.url
        )),
        "{}",
        check.stderr
    );
    assert!(
        check.stderr.contains("acme-plugin-console: the upload index"),
        "{}",
        check.stderr
    );
    repo.xtask(&["status", "--check", "--offline"]).assert_code(0);

    for args in [
        &["release", "minor", "--platform", "linux"][..],
        &["release", "minor", "--platform", "linux", "--execute"][..],
    ] {
        let run = repo.xtask(args);
        run.assert_code(3);
        for expected in [
            "origin would refuse the push of main and v1.5.0, acme-plugin-legacy-v2.2.0",
            "already exists",
            "already has acme_plugin_console-1.5.0-py3-none-any.whl of acme_plugin_console-1.5.0",
            "already holds acme-plugins-1.5.0-linux.tar.bz2",
            "has acme-plugin-reports 1.7.0, newer than the 1.5.0 this release makes: the version line here is \
             behind what was published (a release tag missing from this clone? `git fetch --tags`); release a \
             version above 1.7.0",
            "would not take the upload: it answers HTTP 401 Unauthorized and no credentials are set",
        ] {
            assert!(
                run.stderr.contains(expected),
                "{args:?}: {expected:?} in\n{}",
                run.stderr
            );
        }
        assert!(
            !run.stderr.contains("==> [1/"),
            "{args:?}: nothing was built\n{}",
            run.stderr
        );
    }
    assert!(repo.snapshot() == before, "nothing written");
    assert_eq!(repo.git(&["tag"]), tags, "no tag");
    assert_eq!(remote_refs(remote.path()), remote_before);
    assert!(!repo.path().join("dist").exists());

    // With those out of the way, the same release goes through.
    run_ok(
        Command::new("git")
            .arg("-C")
            .arg(remote.path())
            .args(["tag", "-d", "v1.5.0"]),
    );
    fs::remove_file(server.packages.path().join(forged.file_name().unwrap())).unwrap();
    fs::remove_file(server.packages.path().join(newer.file_name().unwrap())).unwrap();
    fs::remove_file(release_dir.path().join("acme-plugins-1.5.0-linux.tar.bz2")).unwrap();
    let run = repo.xtask_with(&["release", "minor", "--platform", "linux", "--execute"], |c| {
        c.env("TWINE_USERNAME", "ci").env("TWINE_PASSWORD", PASSWORD);
    });
    run.assert_code(0);
    assert!(remote_refs(remote.path()).contains("refs/tags/v1.5.0 "));
    repo.xtask(&["status", "--check"]).assert_code(0);

    // A tagged version the index lacks (while it has the project) is shown too.
    for file in server.files() {
        if file.starts_with("acme_plugin_reports-1.5.0") {
            fs::remove_file(server.packages.path().join(file)).unwrap();
        }
    }
    let older = fake_wheel(
        other.path(),
        "acme-plugin-reports",
        "1.4.0",
        "acme_plugin_reports",
        "\n",
        &[],
    );
    fs::copy(&older, server.packages.path().join(older.file_name().unwrap())).unwrap();
    let check = repo.xtask(&["status", "--check"]);
    check.assert_code(3);
    assert!(
        check.stderr.contains(&format!(
            "acme-plugin-reports: its version 1.5.0 (tag v1.5.0) is not on the upload index {}/simple/: tagged \
             but never uploaded?",
            server.url
        )),
        "{}",
        check.stderr
    );
}

/// The version line goes on from what was published: a release whose units' current versions
/// come from tags the remote does not have (a stray local tag, a release never pushed) is
/// refused by the dry run, with the two ways out.
#[test]
fn a_current_version_from_a_tag_the_remote_lacks_is_refused() {
    let (repo, remote) = publishing_repo("\n[publish]\npush = true\n");
    repo.xtask(&["release", "minor", "--platform", "linux", "--execute"])
        .assert_code(0);
    // The remote lost one of the tags (or the release was made before pushing was set up).
    run_ok(
        Command::new("git")
            .arg("-C")
            .arg(remote.path())
            .args(["tag", "-d", "acme-plugin-legacy-v2.2.0"]),
    );
    repo.describe_change("acme-plugin-legacy", "Fixed", "A fix.");
    repo.commit("A fix");
    let dry = [
        "release",
        "patch",
        "--plugin",
        "acme-plugin-legacy",
        "--platform",
        "linux",
    ];
    let run = repo.xtask(&dry);
    run.assert_code(3);
    assert!(
        run.stderr.contains(
            "acme-plugin-legacy: its current version 2.2.0 comes from the tag acme-plugin-legacy-v2.2.0, which \
             origin does not have: if it marks a published release, push it (`git push origin \
             acme-plugin-legacy-v2.2.0`); if it is a stray local tag, delete it"
        ),
        "{}",
        run.stderr
    );
    repo.git(&["push", "-q", "origin", "acme-plugin-legacy-v2.2.0"]);
    repo.xtask(&dry).assert_code(0);
}

/// An upload repository that redirects the credential check is refused, and the redirect is
/// not followed (a followed POST redirect would send the credentials to another host).
#[test]
fn an_upload_repository_that_redirects_is_refused_without_following() {
    // A server that answers every request with a redirect to a second one, which records
    // whether anything reached it.
    let seen = tempfile::NamedTempFile::new().unwrap();
    let server = std::process::Command::new(python())
        .args([
            "-c",
            "import http.server, sys\n\
             class H(http.server.BaseHTTPRequestHandler):\n\
             \x20   def answer(self):\n\
             \x20       if self.path.startswith('/elsewhere'):\n\
             \x20           open(sys.argv[1], 'w').write(self.headers.get('Authorization') or 'reached')\n\
             \x20       self.send_response(302)\n\
             \x20       self.send_header('Location', f'http://127.0.0.1:{self.server.server_port}/elsewhere/')\n\
             \x20       self.end_headers()\n\
             \x20   do_GET = do_POST = do_HEAD = answer\n\
             \x20   def log_message(self, *a): pass\n\
             s = http.server.HTTPServer(('127.0.0.1', 0), H)\n\
             print(s.server_port, flush=True)\n\
             s.serve_forever()\n",
        ])
        .arg(seen.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut server = Kill(server);
    let mut port = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.0.stdout.as_mut().unwrap()),
        &mut port,
    )
    .unwrap();
    let url = format!("http://127.0.0.1:{}/legacy/", port.trim());
    let extra = format!(
        "\n[publish.upload]\nrepository-url = \"{url}\"\nindex-url = \"{}\"\n",
        index().url
    );
    let (repo, _remote) = publishing_repo(&extra);
    let run = repo.xtask_with(&["release", "minor", "--platform", "linux"], |c| {
        c.env("TWINE_USERNAME", "ci").env("TWINE_PASSWORD", "redirected-secret");
    });
    run.assert_code(3);
    assert!(
        run.stderr.contains(&format!(
            "the upload repository {url} would not take the upload: it redirects (HTTP 302) to http://127.0.0.1:"
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("redirected-secret"), "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(seen.path()).unwrap(),
        "",
        "the redirect was not followed"
    );
}
