//! Kill points for the crash tests. Without the variables below this does nothing.
//!
//! With `XTASK_TEST_KILL_AT=<point>` in the environment, the run sends itself SIGKILL when it
//! reaches that point (no handler runs, nothing is cleaned up: exactly what a power loss or
//! `kill -9` leaves). Points are named where they are declared: `before-step-N` /
//! `after-step-N` (N as the progress lines count steps), `replace-K` (after K of the files a
//! working-tree write replaces), `stage-K` and `move-K` (after K of the files a delivery
//! brought next to their place, and moved into it).
//!
//! With `XTASK_TEST_KILL_IN=<purpose>|<syscalls>|<n>`, the first program run for a purpose
//! that contains `<purpose>` (`commit the release`, `create the tag v1.5.0`, `push the
//! release`, `with twine`) runs under strace, which kills it with SIGKILL as it (or a program it
//! started) enters its `n`th call of one of `<syscalls>` (counted per system call and per
//! process); the run then kills itself too: a power loss in the middle of that program, at
//! that system call. With `XTASK_TEST_TRACE_IN=<purpose>|<syscalls>|<file>` those calls are
//! written to `<file>` instead, to list the points.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Die here if the environment names this point.
pub fn point(name: &str) {
    let Some(wanted) = std::env::var_os("XTASK_TEST_KILL_AT") else {
        return;
    };
    if wanted != name {
        return;
    }
    die(name);
}

fn die(why: &str) -> ! {
    eprintln!("xtask: {why}: killing this run");
    #[cfg(unix)]
    // SAFETY: sending a signal to this process has no memory-safety preconditions.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    std::process::abort();
}

/// A program run under strace for a kill test, and where strace writes what it saw.
pub struct Traced {
    log: PathBuf,
    kill: bool,
}

/// For `XTASK_TEST_KILL_IN` / `XTASK_TEST_TRACE_IN`: the program and arguments that run
/// `program` under strace, when `purpose` is the one named (the first time only).
pub fn under_strace(purpose: &str, program: &Path, args: &[OsString]) -> Option<(PathBuf, Vec<OsString>, Traced)> {
    static USED: AtomicBool = AtomicBool::new(false);
    let (spec, kill) = match std::env::var("XTASK_TEST_KILL_IN") {
        Ok(spec) => (spec, true),
        Err(_) => (std::env::var("XTASK_TEST_TRACE_IN").ok()?, false),
    };
    let mut parts = spec.splitn(3, '|');
    let (wanted, syscalls, last) = (parts.next()?, parts.next()?, parts.next()?);
    if !purpose.contains(wanted) || USED.swap(true, Ordering::SeqCst) {
        return None;
    }
    let log = if kill {
        std::env::temp_dir().join(format!("xtask-kill-in-{}.log", std::process::id()))
    } else {
        PathBuf::from(last)
    };
    let mut strace: Vec<OsString> = ["-f", "-qq", "-o"].map(OsString::from).to_vec();
    strace.push(log.clone().into());
    strace.push(format!("--trace={syscalls}").into());
    if kill {
        strace.push(format!("--inject={syscalls}:signal=KILL:when={last}").into());
    }
    strace.push(program.into());
    strace.extend(args.iter().cloned());
    Some((PathBuf::from("strace"), strace, Traced { log, kill }))
}

/// After a program run [`under_strace`]: if strace killed it, this run dies too.
pub fn after(traced: Traced) {
    if !traced.kill {
        return;
    }
    let text = std::fs::read_to_string(&traced.log).unwrap_or_default();
    let _ = std::fs::remove_file(&traced.log);
    if text.contains("+++ killed by SIGKILL") {
        die("XTASK_TEST_KILL_IN: strace killed the program");
    }
}
