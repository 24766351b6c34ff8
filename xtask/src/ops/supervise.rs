//! Children die with the run (Linux). The runner starts every program through this binary
//! (`xtask __supervise PROGRAM ARGS...`): a small supervisor that adopts every descendant of
//! the program (child subreaper) and is sent SIGTERM by the kernel when the run dies,
//! however it dies (SIGKILL included). Then, or when the program ends, it kills every
//! descendant still alive, so no `pip`, build backend or compiler outlives the run. It keeps
//! the program in the run's process group, so a Ctrl-C from the terminal still reaches it,
//! and exits as the program did. Never used on other systems. The death signal fires when
//! the *thread* that started the supervisor ends: programs are started from the main thread.

/// The hidden first argument that makes the binary a supervisor.
pub const ARG: &str = "__supervise";

/// Whether the runner should wrap programs in a supervisor here.
pub fn available() -> bool {
    cfg!(target_os = "linux")
}

#[cfg(target_os = "linux")]
pub fn run(argv: &[std::ffi::OsString]) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    use std::sync::atomic::{AtomicBool, Ordering};

    static DYING: AtomicBool = AtomicBool::new(false);
    extern "C" fn on_term(_: libc::c_int) {
        DYING.store(true, Ordering::SeqCst);
    }
    extern "C" fn ignore(_: libc::c_int) {}

    let Some((program, args)) = argv.split_first() else {
        eprintln!("xtask {ARG}: no program given");
        return 2;
    };
    let parent = unsafe { libc::getppid() };
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
        // Handlers, not SIG_IGN: a handler does not survive exec, so the program gets the
        // default behaviour. Ctrl-C is the program's (and the run's) to act on. No
        // SA_RESTART: the death signal must interrupt the wait below.
        for (signal, handler) in [
            (libc::SIGTERM, on_term as extern "C" fn(libc::c_int)),
            (libc::SIGINT, ignore as extern "C" fn(libc::c_int)),
        ] {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as libc::sighandler_t;
            action.sa_flags = 0;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
    if unsafe { libc::getppid() } != parent {
        // The run died before the death signal was armed.
        return 1;
    }
    let child = match std::process::Command::new(program).args(args).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot start {}: {e}", program.to_string_lossy());
            return 127;
        }
    };
    let pid = child.id() as libc::pid_t;
    let mut outcome: Option<libc::c_int> = None;
    loop {
        // Once the run is dying or the program has ended, whatever is left goes: killed, and
        // polled for, as orphaned grandchildren keep arriving here.
        let cleaning = DYING.load(Ordering::SeqCst) || outcome.is_some();
        if cleaning {
            kill_descendants();
        }
        let mut status: libc::c_int = 0;
        let flags = if cleaning { libc::WNOHANG } else { 0 };
        let got = unsafe { libc::waitpid(-1, &mut status, flags) };
        if got == pid {
            outcome = Some(status);
        } else if got == 0 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        } else if got < 0 {
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => continue,
                _ => break, // ECHILD: nothing left to wait for
            }
        }
    }
    let Some(status) = outcome else { return 1 };
    let status = std::process::ExitStatus::from_raw(status);
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        _ => 1,
    }
}

#[cfg(not(target_os = "linux"))]
pub fn run(_: &[std::ffi::OsString]) -> i32 {
    eprintln!("xtask {ARG} is for Linux only");
    2
}

/// SIGKILL every process whose parent is this one (descendants are reparented here as their
/// own parents die, and the wait loop comes back for them).
#[cfg(target_os = "linux")]
fn kill_descendants() {
    let me = std::process::id().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<libc::pid_t>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`: comm may hold spaces and parentheses.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1));
        if ppid == Some(me.as_str()) {
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}
