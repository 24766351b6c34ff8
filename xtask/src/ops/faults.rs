//! Kill points for the crash tests: with `XTASK_TEST_KILL_AT=<point>` in the environment, the
//! run sends itself SIGKILL when it reaches that point (no handler runs, nothing is cleaned
//! up: exactly what a power loss or `kill -9` leaves). Points are named where they are
//! declared: `before-step-N` / `after-step-N` (N as the progress lines count steps),
//! `replace-K` (after K of the files a working-tree write replaces) and `move-K` (after K of
//! the files a delivery moves into place). Without the variable this does nothing.

/// Die here if the environment names this point.
pub fn point(name: &str) {
    let Some(wanted) = std::env::var_os("XTASK_TEST_KILL_AT") else {
        return;
    };
    if wanted != name {
        return;
    }
    eprintln!("xtask: XTASK_TEST_KILL_AT={name}: killing this run");
    #[cfg(unix)]
    // SAFETY: sending a signal to this process has no memory-safety preconditions.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    std::process::abort();
}
