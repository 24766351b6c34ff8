//! A run killed with SIGKILL takes every program it started with it: the build it was
//! running, and whatever that build started in turn.

mod common;

use std::fs;
use std::path::Path;
use std::process::Stdio;
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
#[derive(Debug, PartialEq)]
struct Outcome {
    head: String,
    tags: String,
    tree: Vec<(String, Vec<u8>)>,
    dist: BTreeMap<String, Vec<u8>>,
}

fn outcome(repo: &Repo) -> Outcome {
    let mut dist = BTreeMap::new();
    let out = repo.path().join("dist");
    for set in list_dir(&out) {
        for (file, bytes) in files(&out.join(&set)) {
            dist.insert(format!("{set}/{file}"), bytes);
        }
    }
    Outcome {
        head: repo.git(&["rev-parse", "HEAD"]),
        tags: repo.git(&["tag", "--list", "--format=%(refname:short) %(*objectname)"]),
        tree: repo.snapshot(),
        dist,
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
    panic!(
        "{what}: not as expected\nHEAD {} (expected {})\ntags {:?} (expected {:?})\nfiles that differ: {differ:?}",
        seen.head.trim(),
        expected.head.trim(),
        seen.tags,
        expected.tags
    );
}

fn release_repo() -> Repo {
    release_repo_of(Variant::Plain)
}

/// The release under test: as the examples are, or with `[versioning] next-dev` (a second
/// write and commit after the tags).
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Plain,
    NextDev,
}

fn release_repo_of(variant: Variant) -> Repo {
    let repo = Repo::bare_examples();
    if variant == Variant::NextDev {
        let manifest = repo.read("release-config.toml");
        repo.write(
            "release-config.toml",
            &format!("{manifest}\n[versioning]\nnext-dev = true\n"),
        );
    }
    repo.commit("fixture: example plugins");
    repo.git(&["config", "user.name", "Release Bot"]);
    repo.git(&["config", "user.email", "release-bot@example.com"]);
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

fn reference_of(variant: Variant) -> &'static Reference {
    static PLAIN: OnceLock<Reference> = OnceLock::new();
    static NEXT_DEV: OnceLock<Reference> = OnceLock::new();
    let cell = if variant == Variant::Plain { &PLAIN } else { &NEXT_DEV };
    cell.get_or_init(|| {
        let repo = release_repo_of(variant);
        let before = outcome(&repo);
        let dry: Vec<&str> = RELEASE.iter().copied().filter(|a| *a != "--execute").collect();
        let plan = repo.xtask(&[dry.as_slice(), &["--json"]].concat()).json();
        let steps = plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["step"].as_str().unwrap().to_string())
            .collect();
        repo.xtask(RELEASE).assert_code(0);
        let after = outcome(&repo);
        assert_ne!(before, after);
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
    let repo = release_repo_of(variant);
    let run = repo
        .command(env!("CARGO_BIN_EXE_xtask"))
        .args(RELEASE)
        .env("XTASK_TEST_KILL_AT", point)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
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
        let refused = repo.xtask(args);
        refused.assert_code(3);
        assert!(
            refused.stderr.contains("a release was interrupted")
                && refused.stderr.contains("`cargo xtask release --resume` finishes it"),
            "{args:?}: {}",
            refused.stderr
        );
    }
    repo
}

/// Run a recovery; it succeeds, and leaves no journal and no staging folder.
fn recover(repo: &Repo, args: &[&str]) -> XtaskOutput {
    let journal: serde_json::Value = serde_json::from_str(&repo.read(JOURNAL)).unwrap();
    let run = repo.xtask(args);
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
    let run = recover(&repo, args);
    let (expected, said) = if complete {
        (
            &reference_of(variant).after,
            "finished the interrupted release acme-plugins 1.5.0",
        )
    } else {
        (
            &reference_of(variant).before,
            "rolled back the interrupted release acme-plugins 1.5.0",
        )
    };
    assert!(run.stdout.contains(said), "{point}: {}{}", run.stdout, run.stderr);
    assert_outcome(&repo, expected, &format!("killed at {point}, then {args:?}"));
    repo
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
        let changelog = format!("plugins/acme-plugin-{plugin}/CHANGELOG.md");
        let text = repo
            .read(&changelog)
            .replacen("## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n- A fix.\n", 1);
        repo.write(&changelog, &text);
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
