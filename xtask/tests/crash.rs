//! A run killed with SIGKILL takes every program it started with it: the build it was
//! running, and whatever that build started in turn.

mod common;

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
