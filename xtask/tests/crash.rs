//! A run killed with SIGKILL takes every program it started with it: the build it was
//! running, and whatever that build started in turn.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Pids of the processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            if String::from_utf8_lossy(&cmdline).contains(marker) {
                found.push(name);
            }
        }
    }
    found
}

fn wait_for(what: &str, seconds: u64, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(seconds),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_killed_run_leaves_no_program_running() {
    let marker = format!("xtask-orphan-{}", std::process::id());
    let repo = Repo::bare_examples();
    let setup = "plugins/acme-plugin-legacy/setup.py";
    // The build hangs, and starts a program of its own first.
    repo.write(
        setup,
        &repo.read(setup).replacen(
            "from setuptools import setup\n",
            &format!(
                "from setuptools import setup\nimport subprocess, sys, time\n\
                 subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', '{marker}'])\n\
                 time.sleep(300)\n"
            ),
            1,
        ),
    );
    repo.commit("fixture: a build that hangs");
    let mut run = repo.command(env!("CARGO_BIN_EXE_xtask"));
    let mut child = run
        .args(["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the build's own program to start", 120, || {
        !processes_with(&marker).is_empty()
    });
    child.kill().unwrap(); // SIGKILL: no handler of the run gets to do anything
    child.wait().unwrap();
    // The build command and its supervisor name the staging folder of this run.
    let stage = format!("nightly-{}-", child.id());
    wait_for("every program of the killed run to end", 20, || {
        processes_with(&marker).is_empty() && processes_with(&stage).is_empty()
    });
}

// ---------------------------------------------------------------------------------------------
// A release killed at any point is finished or undone from its journal.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt as _;
use std::sync::OnceLock;

const RELEASE: &[&str] = &["release", "minor", "--platform", "linux", "--no-sources", "--execute"];
const JOURNAL: &str = ".git/xtask-release-journal.json";

/// Everything a release changes: HEAD, the tags and what they point at, every working-tree
/// file (hidden ones included), every file of the output folder.
/// With [`Variant::Publishing`]: also the origin's refs and the upload index's files.
#[derive(Debug, PartialEq)]
struct Outcome {
    head: String,
    tags: String,
    /// `git status --porcelain`: the index agrees with HEAD and the working tree.
    status: String,
    /// Lock files in the git folders (the repository's, the origin's).
    locks: Vec<String>,
    tree: Vec<(String, Vec<u8>)>,
    dist: BTreeMap<String, Vec<u8>>,
    origin: String,
    index: BTreeMap<String, Vec<u8>>,
}

fn outcome(repo: &Repo) -> Outcome {
    let mut dist = BTreeMap::new();
    let out = repo.path().join("dist");
    for set in list_dir(&out) {
        for (file, bytes) in files(&out.join(&set)) {
            dist.insert(format!("{set}/{file}"), bytes);
        }
    }
    let origin = repo.path().join(ORIGIN);
    let (origin_refs, index) = if origin.is_dir() {
        let refs = run_ok(Command::new("git").arg("-C").arg(&origin).args([
            "for-each-ref",
            "--format=%(refname) %(if)%(*objectname)%(then)%(*objectname)%(else)%(objectname)%(end)",
        ]));
        let index = files(server().packages.path())
            .into_iter()
            .filter(|(f, _)| !f.starts_with('.'))
            .collect();
        (String::from_utf8(refs.stdout).unwrap(), index)
    } else {
        (String::new(), BTreeMap::new())
    };
    let mut locks = Vec::new();
    lock_files(&repo.path().join(".git"), &mut locks);
    lock_files(&origin, &mut locks);
    Outcome {
        head: repo.git(&["rev-parse", "HEAD"]),
        tags: repo.git(&["tag", "--list", "--format=%(refname:short) %(*objectname)"]),
        status: repo.git(&["status", "--porcelain"]),
        locks,
        tree: repo.snapshot(),
        dist,
        origin: origin_refs,
        index,
    }
}

/// Lock files below `dir` but the xtask's own release lock.
fn lock_files(dir: &Path, found: &mut Vec<String>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            lock_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "lock") && !path.ends_with("xtask-release.lock") {
            found.push(path.display().to_string());
        }
    }
}

/// The repository is exactly `expected`; else the differences by name.
fn assert_outcome(repo: &Repo, expected: &Outcome, what: &str) {
    let seen = outcome(repo);
    if seen == *expected {
        return;
    }
    let tree = |o: &Outcome| {
        o.tree
            .iter()
            .map(|(f, b)| (f.clone(), b.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let (a, b) = (tree(&seen), tree(expected));
    let mut differ: Vec<&String> = a.keys().chain(b.keys()).filter(|f| a.get(*f) != b.get(*f)).collect();
    differ.extend(
        seen.dist
            .keys()
            .chain(expected.dist.keys())
            .filter(|f| seen.dist.get(*f) != expected.dist.get(*f)),
    );
    differ.sort();
    differ.dedup();
    let index: Vec<&String> = seen
        .index
        .keys()
        .chain(expected.index.keys())
        .filter(|f| seen.index.get(*f) != expected.index.get(*f))
        .collect();
    panic!(
        "{what}: not as expected\nHEAD {} (expected {})\ntags {:?} (expected {:?})\nstatus {:?} (expected {:?})\n\
         locks {:?}\norigin {:?} (expected {:?})\nfiles that differ: {differ:?}\non the index: {index:?}",
        seen.head.trim(),
        expected.head.trim(),
        seen.tags,
        expected.tags,
        seen.status,
        expected.status,
        seen.locks,
        seen.origin,
        expected.origin,
    );
}

fn release_repo() -> Repo {
    release_repo_of(Variant::Plain)
}

/// The release under test: as the examples are, or with `[versioning] next-dev` (a second
/// write and commit after the tags).
/// `Publishing`: pushed to a bare origin in the repository's `target/` (a path remote) and
/// uploaded to the test process's pypiserver ([`server`]), with the password twine needs in
/// the environment of every run ([`xtask`]).
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Plain,
    NextDev,
    Publishing,
}

/// Where the `Publishing` variant's origin is, in the repository (ignored, like `target/`).
const ORIGIN: &str = "target/origin.git";
const PASSWORD: &str = "kill-test-secret";

/// The upload index of the `Publishing` variant: one per test process, its files removed
/// between releases; the tests that use it hold [`publishing`].
fn server() -> &'static PackageServer {
    static SERVER: OnceLock<PackageServer> = OnceLock::new();
    SERVER.get_or_init(|| PackageServer::start(PASSWORD))
}

/// Held by a test that uploads to [`server`]; its files are removed when taken.
fn publishing() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    clear_index();
    guard
}

fn clear_index() {
    for (file, _) in files(server().packages.path()) {
        if !file.starts_with('.') {
            fs::remove_file(server().packages.path().join(file)).unwrap();
        }
    }
}

/// Run the xtask in a repository of `variant` (twine's credentials in the environment).
fn xtask(variant: Variant, repo: &Repo, args: &[&str]) -> XtaskOutput {
    repo.xtask_with(args, |c| {
        if variant == Variant::Publishing {
            c.env("TWINE_USERNAME", "ci").env("TWINE_PASSWORD", PASSWORD);
        }
    })
}

fn release_repo_of(variant: Variant) -> Repo {
    let repo = Repo::bare_examples();
    let manifest = repo.read("release-config.toml");
    match variant {
        Variant::Plain => {}
        Variant::NextDev => repo.write(
            "release-config.toml",
            &format!("{manifest}\n[versioning]\nnext-dev = true\n"),
        ),
        Variant::Publishing => repo.write(
            "release-config.toml",
            &format!(
                "{manifest}\n[publish]\npush = true\n\n[publish.upload]\nrepository-url = \"{0}/\"\n\
                 index-url = \"{0}/simple/\"\n",
                server().url
            ),
        ),
    }
    repo.commit("fixture: example plugins");
    repo.git(&["config", "user.name", "Release Bot"]);
    repo.git(&["config", "user.email", "release-bot@example.com"]);
    if variant == Variant::Publishing {
        run_ok(
            Command::new("git")
                .args(["init", "-q", "--bare", "-b", "main"])
                .arg(repo.path().join(ORIGIN)),
        );
        repo.git(&["remote", "add", "origin", ORIGIN]);
        repo.git(&["push", "-q", "-u", "origin", "main"]);
    }
    repo
}

/// The fixture before a release, after an uninterrupted one, and the kinds of its steps.
struct Reference {
    before: Outcome,
    after: Outcome,
    steps: Vec<String>,
}

fn reference() -> &'static Reference {
    reference_of(Variant::Plain)
}

/// The reference of `variant` (with `Publishing`, taken while holding [`publishing`]).
fn reference_of(variant: Variant) -> &'static Reference {
    static REFERENCES: [OnceLock<Reference>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    REFERENCES[variant as usize].get_or_init(|| {
        let repo = release_repo_of(variant);
        let before = outcome(&repo);
        let dry: Vec<&str> = RELEASE.iter().copied().filter(|a| *a != "--execute").collect();
        let plan = xtask(variant, &repo, &[dry.as_slice(), &["--json"]].concat()).json();
        let steps = plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["step"].as_str().unwrap().to_string())
            .collect();
        xtask(variant, &repo, RELEASE).assert_code(0);
        let after = outcome(&repo);
        assert_ne!(before, after);
        assert!(after.status.is_empty() && after.locks.is_empty(), "{after:?}");
        if variant == Variant::Publishing {
            assert_eq!(
                after.index.len(),
                8,
                "sdists and wheels of four plugins: {:?}",
                after.index.keys()
            );
            clear_index();
        }
        Reference { before, after, steps }
    })
}

/// The number (as progress lines count) of the `nth` step of a kind.
fn step(kind: &str, nth: usize) -> usize {
    step_of(Variant::Plain, kind, nth)
}

fn step_of(variant: Variant, kind: &str, nth: usize) -> usize {
    let found: Vec<usize> = reference_of(variant)
        .steps
        .iter()
        .enumerate()
        .filter(|(_, k)| *k == kind)
        .map(|(i, _)| i + 1)
        .collect();
    found[nth]
}

/// A release of the fixture killed with SIGKILL at `point`; every program it ran has ended.
fn killed_at(point: &str) -> Repo {
    killed_at_of(Variant::Plain, point)
}

fn killed_at_of(variant: Variant, point: &str) -> Repo {
    killed_with(variant, "XTASK_TEST_KILL_AT", point)
}

/// A release of `variant` killed by the kill point `var=value` (see `ops/faults.rs`).
fn killed_with(variant: Variant, var: &str, point: &str) -> Repo {
    let (repo, killed) = release_with(variant, var, point);
    assert!(killed, "killed at {point}");
    repo
}

/// A release of `variant` run with the kill point `var=value`: the repository, and whether
/// the point was reached (else the release is complete). Once killed, every program the run
/// started has ended, and every command that would write refuses to run.
fn release_with(variant: Variant, var: &str, point: &str) -> (Repo, bool) {
    let repo = release_repo_of(variant);
    let mut release = repo.command(env!("CARGO_BIN_EXE_xtask"));
    release.args(RELEASE).env(var, point);
    if variant == Variant::Publishing {
        release.env("TWINE_USERNAME", "ci").env("TWINE_PASSWORD", PASSWORD);
    }
    let run = release.output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    if run.status.success() {
        return (repo, false);
    }
    assert_eq!(run.status.signal(), Some(9), "killed at {point}\n{stderr}");
    let journal: serde_json::Value = serde_json::from_str(&repo.read(JOURNAL)).unwrap();
    let stage = journal["stage"].as_str().unwrap().to_string();
    wait_for("every program of the killed run to end", 20, || {
        processes_with(&stage).is_empty()
    });
    // Until it is recovered, the interrupted release stops every command that would write.
    for args in [
        RELEASE,
        &["nightly", "--platform", "linux"],
        &["bump", "patch", "--execute"],
    ] {
        let refused = xtask(variant, &repo, args);
        refused.assert_code(3);
        assert!(
            refused.stderr.contains("a release was interrupted")
                && refused.stderr.contains("`cargo xtask release --resume` finishes"),
            "{args:?}: {}",
            refused.stderr
        );
    }
    (repo, true)
}

/// Run a recovery; it succeeds, and leaves no journal and no staging folder.
fn recover(repo: &Repo, args: &[&str]) -> XtaskOutput {
    recover_of(Variant::Plain, repo, args)
}

fn recover_of(variant: Variant, repo: &Repo, args: &[&str]) -> XtaskOutput {
    let journal: serde_json::Value = serde_json::from_str(&repo.read(JOURNAL)).unwrap();
    let run = xtask(variant, repo, args);
    run.assert_code(0);
    assert!(!repo.path().join(JOURNAL).exists(), "the journal is gone");
    let stage = journal["stage"].as_str().unwrap();
    assert!(!Path::new(stage).exists(), "the staging folder {stage} is gone");
    run
}

/// Kill at `point`, recover with `args`, and expect the complete release or the state before.
fn kill_and_recover(point: &str, args: &[&str], complete: bool) -> Repo {
    kill_and_recover_of(Variant::Plain, point, args, complete)
}

fn kill_and_recover_of(variant: Variant, point: &str, args: &[&str], complete: bool) -> Repo {
    let repo = killed_at_of(variant, point);
    check_recovery(variant, &repo, point, args, complete);
    repo
}

/// Recover the killed release in `repo` with `args`; expect it complete or as before.
fn check_recovery(variant: Variant, repo: &Repo, point: &str, args: &[&str], complete: bool) {
    let run = recover_of(variant, repo, args);
    // A release that had started publishing finishes as a release does ("released ...").
    let (expected, said): (_, &[&str]) = if complete {
        (
            &reference_of(variant).after,
            &[
                "finished the interrupted release acme-plugins 1.5.0",
                "released acme-plugins 1.5.0",
            ],
        )
    } else {
        (
            &reference_of(variant).before,
            &["rolled back the interrupted release acme-plugins 1.5.0"],
        )
    };
    assert!(
        said.iter().any(|s| run.stdout.contains(s)),
        "{point}: {}{}",
        run.stdout,
        run.stderr
    );
    assert_outcome(repo, expected, &format!("killed at {point}, then {args:?}"));
}

#[test]
fn killed_before_anything_changed_the_release_is_rolled_back_or_finished() {
    // During the builds: nothing to finish with; resume undoes (there is nothing to undo).
    let repo = kill_and_recover(
        &format!("before-step-{}", step("build", 1)),
        &["release", "--resume"],
        false,
    );
    // A new release then runs as if nothing had happened.
    repo.xtask(RELEASE).assert_code(0);
    assert_outcome(&repo, &reference().after, "a release after the recovery");
    // Everything built, nothing written yet: resume finishes it.
    kill_and_recover(
        &format!("before-step-{}", step("update_tree", 0)),
        &["release", "--resume"],
        true,
    );
}

#[test]
fn killed_while_writing_the_working_tree() {
    kill_and_recover("replace-1", &["release", "--resume"], true);
    kill_and_recover("replace-6", &["release", "--roll-back"], false);
    kill_and_recover(
        &format!("after-step-{}", step("update_tree", 0)),
        &["release", "--roll-back"],
        false,
    );
}

#[test]
fn killed_between_commit_tags_and_delivery() {
    let repo = kill_and_recover(
        &format!("after-step-{}", step("commit", 0)),
        &["release", "--resume"],
        true,
    );
    // The next release goes on from the recovered one.
    for plugin in ["base", "console", "legacy", "reports"] {
        repo.describe_change(&format!("acme-plugin-{plugin}"), "Fixed", "A fix.");
    }
    repo.commit("Describe a fix");
    let next = repo.xtask(&["release", "patch", "--platform", "linux", "--no-sources", "--execute"]);
    next.assert_code(0);
    assert_eq!(
        repo.git(&["tag", "--points-at", "HEAD"]),
        "acme-plugin-legacy-v2.2.1\nv1.5.1\n"
    );
    kill_and_recover(
        &format!("before-step-{}", step("tag", 1)),
        &["release", "--roll-back"],
        false,
    );
    kill_and_recover(
        &format!("before-step-{}", step("deliver", 0)),
        &["release", "--resume"],
        true,
    );
}

#[test]
fn killed_while_delivering() {
    kill_and_recover("move-1", &["release", "--roll-back"], false);
    kill_and_recover("move-8", &["release", "--resume"], true);
    kill_and_recover(
        &format!("after-step-{}", step("deliver", 0)),
        &["release", "--resume"],
        true,
    );
}

#[test]
fn a_release_whose_outputs_are_gone_is_undone_and_a_file_edited_since_stops_recovery() {
    // The staging folder lost a built file: it cannot be finished, so resume undoes it.
    let repo = killed_at(&format!("before-step-{}", step("deliver", 0)));
    let journal: serde_json::Value = serde_json::from_str(&repo.read(JOURNAL)).unwrap();
    fs::remove_file(journal["outputs"][0]["staged"].as_str().unwrap()).unwrap();
    let run = recover(&repo, &["release", "--resume"]);
    assert!(run.stderr.contains("1 of its built outputs are gone"), "{}", run.stderr);
    assert_outcome(&repo, &reference().before, "outputs gone, then --resume");

    // A file of the release edited after the kill: neither before nor after, nothing is done.
    let repo = killed_at("replace-1");
    let edited = "plugins/acme-plugin-base/CHANGELOG.md";
    repo.write(edited, "edited by hand\n");
    let before = outcome(&repo);
    let refused = repo.xtask(&["release", "--resume"]);
    refused.assert_code(3);
    assert!(
        refused
            .stderr
            .contains(&format!("{edited} was changed since the release was interrupted")),
        "{}",
        refused.stderr
    );
    assert_outcome(&repo, &before, "a refused recovery");
    repo.git(&["checkout", "--", edited]);
    recover(&repo, &["release", "--resume"]);
    assert_outcome(&repo, &reference().after, "the file put back, then --resume");
}

#[test]
fn the_next_run_removes_what_a_killed_run_left() {
    let repo = Repo::examples();
    let nightly = ["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER];
    // Killed half-way through moving its outputs into the output folder.
    let child = repo
        .command(env!("CARGO_BIN_EXE_xtask"))
        .args(nightly)
        .env("XTASK_TEST_KILL_AT", "move-2")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), Some(9), "{}", String::from_utf8_lossy(&out.stderr));
    let work = cache_dir().join("cargo-target/xtask");
    let staging = || -> Vec<String> {
        list_dir(&work)
            .into_iter()
            .filter(|d| d.starts_with(&format!("nightly-{pid}-")))
            .collect()
    };
    assert_eq!(staging().len(), 1, "the killed run's staging folder is left");
    let hidden = |dir: &Path| -> Vec<String> { list_dir(dir).into_iter().filter(|f| f.starts_with('.')).collect() };
    let set = repo.set_dir();
    assert!(
        hidden(&set).iter().any(|f| f.ends_with(".partial")),
        "{:?}",
        list_dir(&set)
    );

    repo.xtask(&nightly).assert_code(0);
    assert_eq!(staging(), Vec::<String>::new(), "the next run removed it");
    assert_eq!(hidden(&set), Vec::<String>::new(), "and the temporary files");
    assert!(set.join("SHA256SUMS").is_file());
}

#[test]
fn what_a_journal_names_survives_runs_in_other_repositories_sharing_the_work_folder() {
    // Every test repository here shares one CARGO_TARGET_DIR, as repositories on a machine with a
    // global target folder do: their runs remove dead staging folders, but not this one.
    let repo = killed_at(&format!("before-step-{}", step("update_tree", 0)));
    let other = release_repo();
    other.xtask(RELEASE).assert_code(0);
    let run = recover(&repo, &["release", "--resume"]);
    assert!(
        run.stdout.contains("finished the interrupted release"),
        "{}",
        run.stdout
    );
    assert_outcome(&repo, &reference().after, "resumed after another repository's run");
}

#[test]
fn a_release_with_a_next_dev_commit_is_finished_or_undone_as_a_whole() {
    let next_dev = Variant::NextDev;
    // The reference: the release commit (tagged), then the next-dev commit on top.
    let after = &reference_of(next_dev).after;
    assert!(after.tags.contains("v1.5.0 "), "{}", after.tags);
    let version = |o: &Outcome| {
        o.tree
            .iter()
            .find(|(f, _)| f == "plugins/acme-plugin-base/pyproject.toml")
            .map(|(_, b)| String::from_utf8_lossy(b).contains("version = \"1.5.1.dev0\""))
            .unwrap()
    };
    assert!(version(after), "the tree holds the next dev version");
    // Killed with the next-dev versions written but not committed: finished.
    kill_and_recover_of(
        next_dev,
        &format!("after-step-{}", step_of(next_dev, "update_tree", 1)),
        &["release", "--resume"],
        true,
    );
    // Killed right after the next-dev commit: undone, both commits and the tags.
    kill_and_recover_of(
        next_dev,
        &format!("after-step-{}", step_of(next_dev, "commit", 1)),
        &["release", "--roll-back"],
        false,
    );
    // Killed after the release commit, before its tags: finished, the tags on the release commit.
    kill_and_recover_of(
        next_dev,
        &format!("before-step-{}", step_of(next_dev, "tag", 0)),
        &["release", "--resume"],
        true,
    );
}

#[test]
fn a_recovery_that_fails_half_way_keeps_what_it_needs_and_runs_again() {
    let repo = killed_at(&format!("before-step-{}", step("update_tree", 0)));
    // The commit hook refuses: the recovery writes the files, then stops at the commit.
    let hook = repo.path().join(".git/hooks/pre-commit");
    fs::write(&hook, "#!/bin/sh\necho 'hook: not now' >&2\nexit 1\n").unwrap();
    run_ok(std::process::Command::new("chmod").arg("+x").arg(&hook));
    let journal: serde_json::Value = serde_json::from_str(&repo.read(JOURNAL)).unwrap();
    let stage = journal["stage"].as_str().unwrap().to_string();
    let failed = repo.xtask(&["release", "--resume"]);
    failed.assert_code(1);
    assert!(
        failed.stderr.contains("the recovery stopped half-way") && failed.stderr.contains("hook: not now"),
        "{}",
        failed.stderr
    );
    assert!(repo.path().join(JOURNAL).exists(), "the journal stays");
    assert!(Path::new(&stage).is_dir(), "the built outputs stay for the next try");
    fs::remove_file(&hook).unwrap();
    let run = recover(&repo, &["release", "--resume"]);
    assert!(
        run.stdout.contains("finished the interrupted release"),
        "{}",
        run.stdout
    );
    assert_outcome(&repo, &reference().after, "a recovery run again after it failed");
}

// ---------------------------------------------------------------------------------------------
// Killed inside git and twine, at every system call with which they change something: the
// kill test that found the stuck states is part of the suite. Each point is a release whose
// program for that step is killed (with the run) as it enters that call; the recovery then
// gives the complete release or the state before, with no hand step.

/// The calls at which git changes its folders: objects, refs and their locks, the index.
const GIT_CALLS: &str = "rename,renameat,renameat2,link,linkat,unlink,unlinkat,mkdir,mkdirat";
/// The calls at which twine talks to the index.
const NET_CALLS: &str = "connect,sendto,sendmsg,recvfrom";

/// The kill points inside the program run for `purpose` in a release of `variant`: (call, n)
/// such that some process of that program makes its nth call of that kind, as counted by
/// strace (per call and per process), read from a traced release. Every call on a ref, a
/// lock, the index, and every connection; of the many calls that write loose objects (each
/// leaves one more object nothing refers to) and that send or receive bytes, the first, one
/// in the middle and the last of each kind.
fn points_in(variant: Variant, purpose: &str, calls: &str) -> Vec<(String, usize)> {
    let repo = release_repo_of(variant);
    let log = repo.path().join("target/trace.log");
    fs::create_dir_all(log.parent().unwrap()).unwrap();
    let run = repo.xtask_with(RELEASE, |c| {
        c.env("XTASK_TEST_TRACE_IN", format!("{purpose}|{calls}|{}", log.display()));
        if variant == Variant::Publishing {
            c.env("TWINE_USERNAME", "ci").env("TWINE_PASSWORD", PASSWORD);
        }
    });
    run.assert_code(0);
    if variant == Variant::Publishing {
        clear_index();
    }
    // Per process and kind of call, the first path each call names.
    let mut seen: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for line in fs::read_to_string(&log).unwrap().lines() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let call = rest.trim_start().split('(').next().unwrap_or("");
        if calls.split(',').any(|c| c == call) {
            let path = rest.split('"').nth(1).unwrap_or("").to_string();
            seen.entry((pid.to_string(), call.to_string())).or_default().push(path);
        }
    }
    let mut points = std::collections::BTreeSet::new();
    for ((_, call), paths) in seen {
        let bulk = |path: &str| {
            ["sendto", "sendmsg", "recvfrom"].contains(&call.as_str())
                || (path.contains("objects/") && !path.ends_with(".lock"))
        };
        let objects: Vec<usize> = (1..=paths.len()).filter(|n| bulk(&paths[n - 1])).collect();
        let sampled = [objects.first(), objects.get(objects.len() / 2), objects.last()];
        for n in 1..=paths.len() {
            if !objects.contains(&n) || sampled.contains(&Some(&n)) {
                points.insert((call.clone(), n));
            }
        }
    }
    assert!(!points.is_empty(), "no {calls} call in {purpose:?}");
    points.into_iter().collect()
}

/// Kill the release inside `purpose` at each of its points; recover each with `--resume` or,
/// every other time when `roll_back`, `--roll-back`; expect the complete release or the state
/// before. Returns how many points were reached.
fn kill_inside_everywhere(variant: Variant, purpose: &str, calls: &str, roll_back: bool) -> usize {
    let points = points_in(variant, purpose, calls);
    let mut reached = 0;
    for (i, (call, n)) in points.iter().enumerate() {
        let point = format!("{purpose}|{call}|{n}");
        let (repo, killed) = release_with(variant, "XTASK_TEST_KILL_IN", &point);
        if !killed {
            // Not every run makes as many calls as the traced one (a read may come in fewer
            // pieces): then it is simply complete.
            assert_outcome(&repo, &reference_of(variant).after, &format!("{point}, not reached"));
            if variant == Variant::Publishing {
                clear_index();
            }
            continue;
        }
        reached += 1;
        let back = roll_back && i % 2 == 1;
        let args: &[&str] = if back {
            &["release", "--roll-back"]
        } else {
            &["release", "--resume"]
        };
        check_recovery(variant, &repo, &point, args, !back);
        if variant == Variant::Publishing {
            clear_index();
        }
    }
    assert!(
        reached * 4 >= points.len() * 3,
        "{purpose}: only {reached} of {} kill points were reached",
        points.len()
    );
    reached
}

#[test]
fn killed_inside_git_commit_at_every_call() {
    let tried = kill_inside_everywhere(Variant::Plain, "commit the release", GIT_CALLS, true);
    assert!(tried >= 6, "{tried} points");
}

#[test]
fn killed_inside_git_tag_at_every_call() {
    for tag in ["v1.5.0", "acme-plugin-legacy-v2.2.0"] {
        kill_inside_everywhere(Variant::Plain, &format!("create the tag {tag}"), GIT_CALLS, true);
    }
}

#[test]
fn killed_at_every_file_of_the_delivery() {
    let outputs = reference().after.dist.len();
    for k in 1..=outputs {
        let back = k % 2 == 0;
        let args: &[&str] = if back {
            &["release", "--roll-back"]
        } else {
            &["release", "--resume"]
        };
        for point in [format!("stage-{k}"), format!("move-{k}")] {
            let repo = killed_at(&point);
            check_recovery(Variant::Plain, &repo, &point, args, !back);
            if back {
                assert!(
                    !repo.path().join("dist").read_dir().unwrap().any(|_| true),
                    "{point}: no empty set folder"
                );
            }
        }
    }
}

#[test]
fn killed_inside_git_push_and_twine_upload_at_every_call() {
    let _index = publishing();
    reference_of(Variant::Publishing);
    let push = kill_inside_everywhere(Variant::Publishing, "push the release", GIT_CALLS, false);
    let upload = kill_inside_everywhere(Variant::Publishing, "with twine", NET_CALLS, false);
    assert!(
        push >= 6 && upload >= 3,
        "{push} points in the push, {upload} in the upload"
    );
}

#[test]
fn a_publishing_step_done_by_hand_is_recorded_and_the_rest_finishes() {
    let _index = publishing();
    let variant = Variant::Publishing;
    let upload = step_of(variant, "upload", 0);
    let repo = killed_at_of(variant, &format!("before-step-{upload}"));
    // Meanwhile someone uploaded other bytes under one of the release's names.
    let expected = &reference_of(variant).after;
    let (name, _) = expected.index.iter().next().unwrap();
    fs::write(server().packages.path().join(name), "other bytes").unwrap();
    let refused = xtask(variant, &repo, &["release", "--resume"]);
    refused.assert_code(1);
    assert!(
        refused
            .stderr
            .contains("the index already has different files under these names")
            && refused.stderr.contains("the release is still not fully published"),
        "{}",
        refused.stderr
    );
    // Not a step the release has left: refused, nothing recorded.
    let wrong = xtask(variant, &repo, &["release", "--resume", "--skip", "copy"]);
    wrong.assert_code(2);
    assert!(
        wrong
            .stderr
            .contains("--skip copy: the interrupted release has no copy to release dir step left"),
        "{}",
        wrong.stderr
    );
    // The maintainer settles the index by hand (here: puts the release's files there) and
    // says so.
    for file in expected.index.keys() {
        fs::copy(repo.in_dist(file), server().packages.path().join(file)).unwrap();
    }
    let run = recover_of(variant, &repo, &["release", "--resume", "--skip", "upload"]);
    assert!(
        run.stderr
            .contains(&format!("recorded as done by hand: step {upload}/"))
            && run.stderr.contains("done by hand (release --resume --skip), not run"),
        "{}",
        run.stderr
    );
    assert_outcome(&repo, expected, "--resume --skip upload");
}
