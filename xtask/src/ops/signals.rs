//! Interrupts (Ctrl-C, SIGTERM) during a run: instead of dying half-way, the run notices the
//! request between steps and stops the way a failed step does (a release rolls back).

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// From now on, SIGINT and SIGTERM only raise the flag [`interrupted`] reads.
pub fn defer_interrupts() {
    #[cfg(unix)]
    {
        extern "C" fn raise_flag(_: libc::c_int) {
            INTERRUPTED.store(true, Ordering::SeqCst);
        }
        let handler = raise_flag as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, handler);
            libc::signal(libc::SIGTERM, handler);
        }
    }
}

/// Whether an interrupt arrived since [`defer_interrupts`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
