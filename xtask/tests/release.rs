//! `cargo xtask release`: dry run, the build-commit-tag-deliver transaction, saved plans,
//! a forced failure at every step of the transaction, the lock, and the checks before.

mod common;

use std::collections::BTreeMap;

use std::fs;
use std::process::Command;

use common::*;

/// The examples, committed, with a git identity for the release commit.
fn release_repo() -> Repo {
    let repo = Repo::examples();
    repo.git(&["config", "user.name", "Release Bot"]);
    repo.git(&["config", "user.email", "release-bot@example.com"]);
    repo
}

/// What a failed or dry run must leave as it was: HEAD, tags, working tree, output folder.
#[derive(PartialEq)]
struct RepoState {
    head: String,
    tags: String,
    tree: Vec<(String, Vec<u8>)>,
    dist: Vec<String>,
}

fn state(repo: &Repo) -> RepoState {
    RepoState {
        head: repo.git(&["rev-parse", "HEAD"]),
        tags: repo.git(&["tag", "--list"]),
        tree: repo.snapshot(),
        dist: list_dir(&repo.path().join("dist")),
    }
}

const RELEASE: &[&str] = &["release", "minor", "--platform", "linux", "--execute"];

#[test]
fn a_dry_run_shows_the_plan_and_changes_nothing() {
    let repo = release_repo();
    let before = state(&repo);
    let run = repo.xtask(&["release", "minor", "--platform", "linux"]);
    run.assert_code(0);
    for expected in [
        "Release plan for acme-plugins 1.5.0",
        "acme-plugin-legacy           2.1.3 -> 2.2.0",
        "create the annotated tag v1.5.0",
        "create the annotated tag acme-plugin-legacy-v2.2.0",
        "write acme-plugins-1.5.0-linux.tar.bz2",
        "-version = \"1.4.0\"\n+version = \"1.5.0\"",
        "dry run: all checks pass, nothing was changed",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stdout
        );
    }
    assert!(state(&repo) == before);

    // With --json, the same plan as one document: only JSON on stdout.
    let plan = repo
        .xtask(&["release", "minor", "--platform", "linux", "--json"])
        .assert_code(0)
        .json();
    assert_matches_schema(&plan, "plan");
    assert_eq!((&plan["kind"], &plan["version"]), (&"release".into(), &"1.5.0".into()));
    assert!(state(&repo) == before);
}

#[test]
fn execute_builds_commits_tags_and_delivers() {
    let repo = release_repo();
    let head = repo.git(&["rev-parse", "HEAD"]);
    let run = repo.xtask(RELEASE);
    run.assert_code(0);

    assert_eq!(repo.git(&["rev-parse", "HEAD~1"]), head, "one new commit");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "Release acme-plugins 1.5.0"
    );
    let changed = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(changed.lines().count(), 12, "{changed}");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert!(repo
        .read("plugins/acme-plugin-base/pyproject.toml")
        .contains("version = \"1.5.0\""));
    assert!(repo
        .read("plugins/acme-plugin-legacy/CHANGELOG.md")
        .contains("## [Unreleased]\n\n## [2.2.0] - 2026-11-21\n"));

    assert_eq!(repo.git(&["tag", "--list"]), "acme-plugin-legacy-v2.2.0\nv1.5.0\n");
    assert_eq!(repo.git(&["cat-file", "-t", "v1.5.0"]).trim(), "tag", "annotated");
    let message = repo.git(&["tag", "-l", "--format=%(contents)", "v1.5.0"]);
    assert!(
        message.contains("acme-plugin-base 1.5.0:\n### Added\n- `unregister()` removes a plugin"),
        "{message}"
    );
    assert_eq!(
        repo.git(&["rev-parse", "v1.5.0^{commit}"]),
        repo.git(&["rev-parse", "HEAD"])
    );

    assert_eq!(list_dir(&repo.path().join("dist")), ["acme-plugins-1.5.0"]);
    let dist = repo.set_dir();
    assert_eq!(
        list_dir(&dist),
        [
            "RELEASE_NOTES.md",
            "SHA256SUMS",
            "acme-plugins-1.5.0-linux.tar.bz2",
            "acme-plugins-1.5.0-linux.tar.bz2.sha256",
            "acme-plugins-1.5.0-sources.tar.bz2",
            "acme-plugins-1.5.0-sources.tar.bz2.sha256",
            "acme_plugin_base-1.5.0-py3-none-any.whl",
            "acme_plugin_base-1.5.0.tar.gz",
            "acme_plugin_console-1.5.0-py3-none-any.whl",
            "acme_plugin_console-1.5.0.tar.gz",
            "acme_plugin_legacy-2.2.0-py3-none-any.whl",
            "acme_plugin_legacy-2.2.0.tar.gz",
            "acme_plugin_reports-1.5.0-py3-none-any.whl",
            "acme_plugin_reports-1.5.0.tar.gz",
        ]
    );
    let notes = fs::read_to_string(dist.join("RELEASE_NOTES.md")).unwrap();
    assert!(
        notes.starts_with("# acme-plugins 1.5.0\n\n## acme-plugin-base 1.5.0\n\n### Added\n"),
        "{notes}"
    );

    // The bundle holds the release versions, and the sdists the promoted changelog.
    let out = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("tar")
            .arg("xjf")
            .arg(dist.join("acme-plugins-1.5.0-linux.tar.bz2"))
            .arg("-C")
            .arg(out.path()),
    );
    let folder = out.path().join("acme-plugins-1.5.0-linux");
    let files = list_dir(&folder);
    assert!(
        files.contains(&"acme_plugin_base-1.5.0-py3-none-any.whl".to_string()),
        "{files:?}"
    );
    assert!(
        files.contains(&"acme_plugin_legacy-2.2.0.tar.gz".to_string()),
        "{files:?}"
    );
    let sdist = run_ok(
        Command::new("tar")
            .arg("xzOf")
            .arg(folder.join("acme_plugin_legacy-2.2.0.tar.gz"))
            .arg("acme_plugin_legacy-2.2.0/CHANGELOG.md"),
    );
    assert!(String::from_utf8_lossy(&sdist.stdout).contains("## [2.2.0] - 2026-11-21"));
}

#[test]
fn a_saved_plan_runs_exactly_and_is_refused_once_head_moves() {
    let repo = release_repo();
    repo.xtask(&[
        "release",
        "patch",
        "--platform",
        "linux",
        "--save-plan",
        "target/plan.json",
    ])
    .assert_code(0);
    let plan: serde_json::Value = serde_json::from_str(&repo.read("target/plan.json")).unwrap();
    let run = repo.xtask(&["release", "--execute", "--json", "--plan", "target/plan.json"]);
    run.assert_code(0);
    let done = run.json();
    assert_matches_schema(&plan, "plan");
    assert_matches_schema(&done, "run");
    assert_eq!(done["plan"], plan, "the executed plan is the saved one");
    let docs = readme_section("## `cargo xtask release") + &readme_section("# Plan JSON");
    assert_keys_documented(&done, &docs, "release --json");
    let planned_tags: Vec<&str> = plan["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["tag"].as_str().unwrap())
        .collect();
    assert_eq!(done["tags"], serde_json::json!(planned_tags));
    assert_eq!(repo.git(&["tag", "--list"]), "acme-plugin-legacy-v2.1.4\nv1.4.1\n");
    let archive = plan["platforms"][0]["archive"].as_str().unwrap();
    assert!(repo.in_dist(archive).is_file());

    // A plan made before another commit is refused.
    let repo = release_repo();
    repo.xtask(&[
        "release",
        "patch",
        "--platform",
        "linux",
        "--save-plan",
        "target/plan.json",
    ])
    .assert_code(0);
    repo.write("NOTES.txt", "unrelated\n");
    repo.commit("an unrelated commit");
    let before = state(&repo);
    let run = repo.xtask(&["release", "--execute", "--plan", "target/plan.json"]);
    run.assert_code(3);
    assert!(
        run.stderr.contains("but the plan was made at") && run.stderr.contains("make a new plan"),
        "{}",
        run.stderr
    );
    assert!(state(&repo) == before);
}

#[test]
fn a_failing_build_leaves_the_repository_as_it_was() {
    let repo = release_repo();
    let setup = "plugins/acme-plugin-legacy/setup.py";
    let text = repo.read(setup);
    // A setup.py that fails whatever it is asked: its computed version cannot be read from the
    // backend, which the checks say before anything is built.
    repo.write(
        setup,
        &text.replace("setup(\n", "raise SystemExit('boom: legacy setup broken')\nsetup(\n"),
    );
    repo.commit("fixture: broken setup.py");
    let before = state(&repo);
    let run = repo.xtask(RELEASE);
    run.assert_code(3);
    assert!(
        run.stderr.contains(
            "plugins/acme-plugin-legacy: its build backend cannot give its metadata (version), which setup.py computes"
        ) && run.stderr.contains("boom: legacy setup broken"),
        "{}",
        run.stderr
    );
    assert!(state(&repo) == before);

    // One that fails only when it builds the sdist: the build step fails, and nothing stays.
    repo.write(
        setup,
        &text.replace(
            "setup(\n",
            "import sys\nif 'sdist' in sys.argv:\n    raise SystemExit('boom: legacy build broken')\nsetup(\n",
        ),
    );
    repo.commit("fixture: broken build");
    let before = state(&repo);
    let run = repo.xtask(RELEASE);
    run.assert_code(1);
    assert!(run.stderr.contains("boom: legacy build broken"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the release was not made; the repository and dist/ are as they were"),
        "{}",
        run.stderr
    );
    assert!(state(&repo) == before);
}

#[test]
fn a_failing_commit_hook_rolls_the_files_back() {
    let repo = release_repo();
    let hook = repo.path().join(".git/hooks/pre-commit");
    fs::write(
        &hook,
        "#!/bin/sh\necho 'pre-commit: version bumps need review' >&2\nexit 1\n",
    )
    .unwrap();
    run_ok(Command::new("chmod").arg("+x").arg(&hook));
    let before = state(&repo);
    let run = repo.xtask(RELEASE);
    run.assert_code(1);
    assert!(
        run.stderr.contains("pre-commit: version bumps need review"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("rolled back: 12 file(s) restored"),
        "{}",
        run.stderr
    );
    assert!(state(&repo) == before);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_failing_tag_rolls_the_commit_back() {
    let repo = release_repo();
    // A tag named v1.5.0/blocker makes creating v1.5.0 fail (a ref cannot be both).
    repo.git(&["tag", "v1.5.0/blocker"]);
    let before = state(&repo);
    let run = repo.xtask(RELEASE);
    run.assert_code(1);
    assert!(run.stderr.contains("create the tag v1.5.0"), "{}", run.stderr);
    assert!(
        run.stderr.contains("commit") && run.stderr.contains("undone, 12 file(s) restored"),
        "{}",
        run.stderr
    );
    assert!(state(&repo) == before);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn a_failing_delivery_rolls_back_tags_and_commit() {
    let repo = release_repo();
    // The set's folder cannot be created: a file has its name (ignored by git). A file named
    // like the output folder itself is a precheck (tests/manifest.rs).
    repo.write("dist/acme-plugins-1.5.0", "not a folder\n");
    let before = state(&repo);
    let run = repo.xtask(RELEASE);
    run.assert_code(1);
    assert!(run.stderr.contains("deliver"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("tag acme-plugin-legacy-v2.2.0 deleted, tag v1.5.0 deleted, commit"),
        "undone newest first:\n{}",
        run.stderr
    );
    assert!(state(&repo) == before);
    assert_eq!(repo.read("dist/acme-plugins-1.5.0"), "not a folder\n");
    assert!(
        !repo.path().join(".git/xtask-release-journal.json").exists(),
        "a rolled-back release leaves no journal"
    );
    fs::remove_file(repo.path().join("dist/acme-plugins-1.5.0")).unwrap();
    repo.xtask(&["release", "minor", "--platform", "linux"]).assert_code(0);
}

#[test]
fn a_second_release_is_refused_while_the_lock_is_held_and_stale_locks_are_reclaimed() {
    let repo = release_repo();
    let lock = repo.path().join(".git/xtask-release.lock");
    // Another process holds the lock (an OS file lock) and says who it is.
    let mut holder = Command::new("python3")
        .args([
            "-c",
            "import fcntl, os, sys, time\nf = open(sys.argv[1], 'a+')\nfcntl.flock(f, fcntl.LOCK_EX)\n\
             f.truncate(0); f.write('pid=%d\\nstarted=%s\\n' % (os.getpid(), sys.argv[2])); f.flush()\n\
             print('locked', flush=True)\ntime.sleep(60)",
        ])
        .arg(&lock)
        .arg(EPOCH)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()), &mut line).unwrap();
    assert_eq!(line.trim(), "locked");
    let before = state(&repo);
    let run = repo.xtask(RELEASE);
    run.assert_code(4);
    assert!(
        run.stderr.contains(&format!(
            "another release is running in this repository (pid {}, started 2026-11-21 10:00:00 UTC)",
            holder.id()
        )),
        "{}",
        run.stderr
    );
    assert!(state(&repo) == before);

    // The holder dies without cleaning up: the OS lock goes with it, the file stays.
    let _ = holder.kill();
    let _ = holder.wait();
    assert!(fs::read_to_string(&lock).unwrap().contains("pid="));
    let run = repo.xtask(RELEASE);
    run.assert_code(0);
    assert!(
        run.stderr
            .contains(&format!("reclaiming a stale release lock left by pid {}", holder.id())),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read_to_string(&lock).unwrap(), "", "released cleanly at the end");
}

#[test]
fn a_running_release_holds_the_lock_against_a_second() {
    let repo = release_repo();
    // The first release stops in its commit hook until told to go on.
    let (marker, go) = (repo.path().join("target/hook-ran"), repo.path().join("target/go"));
    let hook = repo.path().join(".git/hooks/pre-commit");
    fs::write(
        &hook,
        format!(
            "#!/bin/sh\nmkdir -p \"$(dirname '{0}')\"\ntouch '{0}'\nwhile [ ! -e '{1}' ]; do sleep 0.1; done\n",
            marker.display(),
            go.display()
        ),
    )
    .unwrap();
    run_ok(Command::new("chmod").arg("+x").arg(&hook));
    let mut first = repo.command(env!("CARGO_BIN_EXE_xtask"));
    first
        .args(RELEASE)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut first = first.spawn().unwrap();
    let started = std::time::Instant::now();
    while !marker.exists() {
        assert!(
            started.elapsed().as_secs() < 120,
            "the first release never reached its commit"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let second = repo.xtask(&["release", "patch", "--platform", "linux", "--execute"]);
    fs::write(&go, "").unwrap();
    let status = first.wait().unwrap();
    second.assert_code(4);
    assert!(
        second.stderr.contains(&format!(
            "another release is running in this repository (pid {}",
            first.id()
        )),
        "{}",
        second.stderr
    );
    assert!(status.success(), "the first release finished");
    assert_eq!(repo.git(&["tag", "--list"]), "acme-plugin-legacy-v2.2.0\nv1.5.0\n");
}

#[test]
fn releasing_one_unit_builds_the_others_as_committed() {
    let repo = release_repo();
    let run = repo.xtask(&[
        "release",
        "patch",
        "--plugin",
        "acme-plugin-legacy",
        "--platform",
        "linux",
        "--execute",
        "--json",
    ]);
    run.assert_code(0);
    assert_eq!(repo.git(&["tag", "--list"]), "acme-plugin-legacy-v2.1.4\n");
    assert_matches_schema(&run.json(), "run");
    let changed = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        changed.lines().all(|f| f.starts_with("plugins/acme-plugin-legacy/")),
        "only legacy changes: {changed}"
    );
    let built: Vec<(String, String)> = run.json()["built"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["plugin"].as_str().unwrap().to_string(),
                b["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        built.contains(&("acme-plugin-base".into(), "1.4.0".into())),
        "{built:?}"
    );
    assert!(
        built.contains(&("acme-plugin-legacy".into(), "2.1.4".into())),
        "{built:?}"
    );
    // Only the released plugin's files are delivered besides the bundles.
    let dists: Vec<String> = list_dir(&repo.set_dir())
        .into_iter()
        .filter(|f| f.starts_with("acme_plugin_"))
        .collect();
    assert_eq!(
        dists,
        [
            "acme_plugin_legacy-2.1.4-py3-none-any.whl",
            "acme_plugin_legacy-2.1.4.tar.gz"
        ]
    );

    // The release names its set, bundles, notes and commit after what it released (core,
    // which names releases, is not part of it).
    assert_eq!(
        list_dir(&repo.path().join("dist")),
        ["acme-plugins-acme-plugin-legacy-2.1.4"]
    );
    assert!(repo
        .in_dist("acme-plugins-acme-plugin-legacy-2.1.4-linux.tar.bz2")
        .is_file());
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "Release acme-plugins-acme-plugin-legacy 2.1.4"
    );
    let notes = fs::read_to_string(repo.in_dist("RELEASE_NOTES.md")).unwrap();
    assert!(
        notes.starts_with("# acme-plugins-acme-plugin-legacy 2.1.4\n\n## acme-plugin-legacy 2.1.4\n"),
        "{notes}"
    );

    // The next release of legacy gets names of its own: nothing to move away first.
    repo.describe_change("acme-plugin-legacy", "Fixed", "More.");
    repo.commit("more legacy changes");
    let again = repo.xtask(&[
        "release",
        "patch",
        "--plugin",
        "acme-plugin-legacy",
        "--platform",
        "linux",
    ]);
    again.assert_code(0);
    assert!(
        again
            .stdout
            .contains("write acme-plugins-acme-plugin-legacy-2.1.5-linux.tar.bz2"),
        "{}",
        again.stdout
    );
}

/// A partial release ships the plugins it does not release exactly as they were released:
/// built from the commit their tag marks, at their release's time, so its bundle holds their
/// released sdists and wheels byte for byte, although a change of one of them was committed
/// since (not released, so not shipped) and the release runs days later.
#[test]
fn a_partial_release_ships_the_others_as_released() {
    let repo = release_repo();
    repo.xtask(&["release", "minor", "--platform", "linux", "--no-sources", "--execute"])
        .assert_code(0);
    let released: BTreeMap<String, Vec<u8>> = files(&repo.path().join("dist/acme-plugins-1.5.0"))
        .into_iter()
        .filter(|(f, _)| f.starts_with("acme_plugin_") && !f.starts_with("acme_plugin_legacy"))
        .collect();
    assert_eq!(released.len(), 6, "{:?}", released.keys());

    let init = "plugins/acme-plugin-base/src/acme_plugin_base/__init__.py";
    repo.write(init, &format!("{}\nUNRELEASED = True\n", repo.read(init)));
    repo.describe_change("acme-plugin-legacy", "Fixed", "A fix.");
    repo.commit("An unreleased change of base; a fix of legacy");
    let later = (EPOCH.parse::<u64>().unwrap() + 3 * 86400).to_string();
    let release = [
        "release",
        "patch",
        "--plugin",
        "acme-plugin-legacy",
        "--platform",
        "linux",
        "--no-sources",
    ];
    let dry = repo.xtask_with(&release, |c| {
        c.env("SOURCE_DATE_EPOCH", &later);
    });
    dry.assert_code(0);
    let plan = repo
        .xtask_with(&[&release[..], &["--json"]].concat(), |c| {
            c.env("SOURCE_DATE_EPOCH", &later);
        })
        .json();
    assert_matches_schema(&plan, "plan");
    let base = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "build" && s["plugin"] == "acme-plugin-base")
        .unwrap();
    assert_eq!(base["released"]["tag"], "v1.5.0");
    assert_eq!(
        base["released"]["epoch"].to_string(),
        EPOCH,
        "built at the first release's time"
    );
    for said in [
        "build sdist and wheel of acme-plugin-base 1.5.0 as released (tag v1.5.0): not released now",
        "plugins/acme-plugin-base as released, at ",
    ] {
        assert!(dry.stdout.contains(said), "{said:?} in\n{}", dry.stdout);
    }
    let execute = [&release[..], &["--execute"]].concat();
    // Rebuilt, a sibling is compared with the released copies there are (here, the first
    // release's set folder): one that differs stops the release before anything changed.
    let wheel = repo
        .path()
        .join("dist/acme-plugins-1.5.0/acme_plugin_base-1.5.0-py3-none-any.whl");
    let good = fs::read(&wheel).unwrap();
    fs::write(&wheel, b"other bytes").unwrap();
    let head = repo.git(&["rev-parse", "HEAD"]);
    let refused = repo.xtask_with(&execute, |c| {
        c.env("SOURCE_DATE_EPOCH", &later);
    });
    refused.assert_code(1);
    assert!(
        refused.stderr.contains(
            "acme-plugin-base: built as released (v1.5.0), its files differ from the released ones: \
             acme_plugin_base-1.5.0-py3-none-any.whl (released copy: "
        ),
        "{}",
        refused.stderr
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head, "nothing committed");
    fs::write(&wheel, good).unwrap();
    let run = repo.xtask_with(&execute, |c| {
        c.env("SOURCE_DATE_EPOCH", &later);
    });
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("acme-plugin-base: built as released (v1.5.0), byte for byte equal to 2 released copy(ies)"),
        "{}",
        run.stderr
    );
    let (_dir, top) = unpack(&repo.in_dist("acme-plugins-acme-plugin-legacy-2.2.1-linux.tar.bz2"));
    let mut shipped = BTreeMap::new();
    collect_files(&top, &mut shipped);
    for (name, bytes) in &released {
        let found = shipped
            .get(name)
            .unwrap_or_else(|| panic!("{name} in the bundle: {:?}", shipped.keys()));
        assert!(
            found == bytes,
            "{name}: the bundle holds other bytes than were released"
        );
    }
    let legacy = shipped
        .keys()
        .find(|f| f.starts_with("acme_plugin_legacy-2.2.1"))
        .cloned();
    assert!(
        legacy.is_some(),
        "legacy's new version is shipped: {:?}",
        shipped.keys()
    );
}

/// Every file below `dir`, by name.
fn collect_files(dir: &std::path::Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for name in list_dir(dir) {
        let path = dir.join(&name);
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.insert(name, fs::read(&path).unwrap());
        }
    }
}

#[test]
fn independent_plugins_need_no_version_from() {
    let repo = release_repo();
    // No groups: four plugins at their own versions.
    let manifest = repo.read("release-config.toml");
    let core = manifest
        .lines()
        .find(|l| l.starts_with("core = "))
        .expect("the examples have a core group")
        .to_string();
    repo.write("release-config.toml", &manifest.replace(&format!("{core}\n"), ""));
    repo.commit("fixture: independent plugins");
    // A nightly is named by its nightly number.
    let plan = repo
        .xtask(&["plan", "--platform", "linux", "--build-number", BUILD_NUMBER, "--json"])
        .assert_code(0)
        .json();
    let set = plan["set"].as_str().unwrap();
    assert!(set.starts_with("acme-plugins-dev20"), "{set}");
    assert_eq!(plan["version"].as_str().unwrap(), &set["acme-plugins-".len()..]);
    // Two releases of two plugins: two names.
    for (plugin, version) in [("acme-plugin-console", "1.4.1"), ("acme-plugin-legacy", "2.1.4")] {
        repo.xtask(&[
            "release",
            "patch",
            "--plugin",
            plugin,
            "--platform",
            "linux",
            "--no-sources",
            "--execute",
        ])
        .assert_code(0);
        assert!(repo
            .in_dist(&format!("acme-plugins-{plugin}-{version}-linux.tar.bz2"))
            .is_file());
    }
    assert_eq!(
        list_dir(&repo.path().join("dist")),
        [
            "acme-plugins-acme-plugin-console-1.4.1",
            "acme-plugins-acme-plugin-legacy-2.1.4"
        ]
    );
}

#[test]
fn a_commit_made_during_the_build_is_never_tagged_unbuilt() {
    let repo = release_repo();
    // The legacy plugin's build commits to the repository being released, like a user or
    // another job would while the release builds.
    let setup = "plugins/acme-plugin-legacy/setup.py";
    repo.write(
        setup,
        &repo.read(setup).replacen(
            "setup(\n",
            "import subprocess\nif os.environ.get('XTASK_TEST_SNEAK'):\n    subprocess.run(['git', '-C', os.environ['XTASK_TEST_SNEAK'], \
             'commit', '-q', '--allow-empty', '-m', 'sneaky'], check=True)\nsetup(\n",
            1,
        ),
    );
    repo.commit("fixture: a build that commits");
    let run = repo.xtask_with(RELEASE, |c| {
        c.env("XTASK_TEST_SNEAK", repo.path());
    });
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("during the build: nothing was changed; release again"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]).trim(), "sneaky");
    assert_eq!(repo.git(&["tag", "--list"]), "");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert_eq!(list_dir(&repo.path().join("dist")), Vec::<String>::new());
}

#[test]
fn a_saved_plan_is_refused_when_the_manifest_or_branch_changed() {
    let repo = release_repo();
    repo.xtask(&[
        "release",
        "patch",
        "--platform",
        "linux",
        "--save-plan",
        "target/plan.json",
    ])
    .assert_code(0);
    let run = repo.xtask(&[
        "release",
        "--execute",
        "--plan",
        "target/plan.json",
        "--platform",
        "windows",
    ]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("'--plan <FILE>' cannot be used with '--platform <NAME>'"),
        "a saved plan fixes its platforms:\n{}",
        run.stderr
    );
    repo.write(
        "release-config.toml",
        &(repo.read("release-config.toml") + "\n# a comment\n"),
    );
    let run = repo.xtask(&["release", "--execute", "--plan", "target/plan.json"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("release-config.toml changed since the plan was made"),
        "{}",
        run.stderr
    );

    repo.git(&["checkout", "-q", "release-config.toml"]);
    repo.git(&["checkout", "-q", "-b", "elsewhere"]);
    let run = repo.xtask(&["release", "--execute", "--plan", "target/plan.json"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("the plan commits to main, but the checked-out branch is elsewhere"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.git(&["tag", "--list"]), "");

    // An artifact of the same name appeared since: a saved plan does not overwrite it either.
    repo.git(&["checkout", "-q", "main"]);
    let plan: serde_json::Value = serde_json::from_str(&repo.read("target/plan.json")).unwrap();
    let archive = format!(
        "{}/{}",
        plan["set"].as_str().unwrap(),
        plan["platforms"][0]["archive"].as_str().unwrap()
    );
    repo.write(&format!("dist/{archive}"), "an earlier release\n");
    let run = repo.xtask(&["release", "--execute", "--plan", "target/plan.json"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains(&format!("dist/{archive} already exists (from an earlier release?)")),
        "{}",
        run.stderr
    );
    assert_eq!(repo.read(&format!("dist/{archive}")), "an earlier release\n");
    assert_eq!(repo.git(&["tag", "--list"]), "");
}

#[test]
fn every_failed_check_is_reported_at_once_and_nothing_changes() {
    let repo = Repo::examples();
    assert!(
        repo.read("release-config.toml").contains("branches = [\"main\"]"),
        "the shipped manifest releases from main"
    );
    repo.git(&["config", "user.name", "Release Bot"]);
    repo.git(&["config", "user.email", "release-bot@example.com"]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.git(&["tag", "v1.5.0"]);
    let file = "plugins/acme-plugin-console/README.md";
    repo.write(file, &(repo.read(file) + "\nwork in progress\n"));
    let before = state(&repo);
    let run = repo.xtask(&["release", "minor", "--platform", "linux", "--execute"]);
    run.assert_code(3);
    for expected in [
        "the current branch is feature, but releases are made from main",
        "core: the tag v1.5.0 already exists",
        "uncommitted changes in plugin folders or the manifest",
        file,
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stderr
        );
    }
    assert!(state(&repo) == before);
}

#[test]
fn a_branch_behind_its_upstream_is_refused() {
    let repo = release_repo();
    let remote = repo.add_bare_origin();
    // Someone else pushes a commit; our clone learns of it with a fetch.
    let other = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("git")
            .args(["clone", "-q"])
            .arg(remote.path())
            .arg(other.path().join("c")),
    );
    let clone = other.path().join("c");
    fs::write(clone.join("NEWS.txt"), "news\n").unwrap();
    run_ok(Command::new("git").current_dir(&clone).args(["add", "NEWS.txt"]));
    run_ok(Command::new("git").current_dir(&clone).args([
        "-c",
        "user.name=O",
        "-c",
        "user.email=o@example.com",
        "commit",
        "-q",
        "-m",
        "news",
    ]));
    run_ok(
        Command::new("git")
            .current_dir(&clone)
            .args(["push", "-q", "origin", "main"]),
    );
    // git does not know yet: without --fetch the check uses what git knows.
    repo.xtask(&["release", "minor", "--platform", "linux"]).assert_code(0);
    let run = repo.xtask(&["release", "minor", "--platform", "linux", "--fetch"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("main is 1 commit(s) behind origin/main (as of the last fetch): pull first"),
        "{}",
        run.stderr
    );
}

#[test]
fn signed_tags_verify_and_missing_gpg_or_output_access_are_prechecks() {
    let repo = release_repo();
    repo.write(
        "release-config.toml",
        &repo
            .read("release-config.toml")
            .replacen("[release]\n", "[release]\nsign-tags = true\n", 1),
    );
    repo.commit("fixture: signed tags");

    // No gpg on PATH: refused before anything runs.
    let bin = tempfile::tempdir().unwrap();
    for tool in ["git", "python3"] {
        let path = which(tool);
        std::os::unix::fs::symlink(&path, bin.path().join(tool)).unwrap();
    }
    let run = repo.xtask_with(&["release", "minor", "--platform", "linux"], |c| {
        c.env("PATH", bin.path());
    });
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("gpg: not found on PATH, but [release] sign-tags is on"),
        "{}",
        run.stderr
    );

    // A throwaway key in a temporary GNUPGHOME signs the tags.
    let gnupg = tempfile::tempdir().unwrap();
    let empty = repo.xtask_with(&["release", "minor", "--platform", "linux"], |c| {
        c.env("GNUPGHOME", gnupg.path());
    });
    empty.assert_code(3);
    assert!(
        empty.stderr.contains("gpg has no secret key to sign with"),
        "{}",
        empty.stderr
    );
    gpg_add_key(gnupg.path());
    let run = repo.xtask_with(RELEASE, |c| {
        c.env("GNUPGHOME", gnupg.path());
    });
    run.assert_code(0);
    let verify = Command::new("git")
        .current_dir(repo.path())
        .env("GNUPGHOME", gnupg.path())
        .args(["tag", "-v", "v1.5.0"])
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    assert!(String::from_utf8_lossy(&verify.stderr).contains("Good signature from \"Release Bot"));

    // An output folder that cannot be written is a precheck too.
    let manifest =
        repo.read("release-config.toml")
            .replacen("[release]\n", "[release]\noutput = \"/proc/xtask-out\"\n", 1);
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: unwritable output");
    let run = repo.xtask_with(&["release", "patch", "--platform", "linux"], |c| {
        c.env("GNUPGHOME", gnupg.path());
    });
    run.assert_code(3);
    assert!(
        run.stderr.contains("the output folder /proc/xtask-out is not writable"),
        "{}",
        run.stderr
    );
}

/// The real program behind `tool` (not a version-manager shim).
fn which(tool: &str) -> std::path::PathBuf {
    let out = if tool == "python3" {
        run_ok(Command::new("python3").args(["-c", "import sys; print(sys.executable)"]))
    } else {
        run_ok(Command::new("sh").args(["-c", &format!("command -v {tool}")]))
    };
    std::path::PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

#[test]
fn an_interrupt_during_the_transaction_rolls_the_release_back() {
    let repo = release_repo();
    // The commit hook signals that it runs, then takes its time.
    let marker = repo.path().join("target/hook-ran");
    let hook = repo.path().join(".git/hooks/pre-commit");
    fs::write(
        &hook,
        format!(
            "#!/bin/sh\nmkdir -p \"$(dirname '{0}')\"\ntouch '{0}'\nsleep 3\n",
            marker.display()
        ),
    )
    .unwrap();
    run_ok(Command::new("chmod").arg("+x").arg(&hook));
    let before = state(&repo);

    let mut cmd = repo.command(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(RELEASE)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let started = std::time::Instant::now();
    while !marker.exists() {
        assert!(
            started.elapsed().as_secs() < 120,
            "the release never reached its commit"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    run_ok(Command::new("kill").args(["-TERM", &child.id().to_string()]));
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("interrupted (Ctrl-C or SIGTERM)"), "{stderr}");
    assert!(
        stderr.contains("rolled back:") && stderr.contains("12 file(s) restored"),
        "{stderr}"
    );
    fs::remove_file(&hook).unwrap();
    let _ = fs::remove_dir_all(repo.path().join("target"));
    assert!(state(&repo) == before, "the repository is as it was");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}
