//! What the user reads while a command runs: step progress on stderr, summaries on stdout.
//! `-q` silences both; errors, warnings and the outputs that are a command's result (plans,
//! diffs, status tables, `--json`) are printed with `println!`/`eprintln!` directly.

use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A progress line on stderr, unless `-q`.
macro_rules! progress {
    ($($arg:tt)*) => {
        if !$crate::ui::quiet() {
            eprintln!($($arg)*);
        }
    };
}

/// A summary line on stdout, unless `-q`.
macro_rules! summary {
    ($($arg:tt)*) => {
        if !$crate::ui::quiet() {
            println!($($arg)*);
        }
    };
}

pub(crate) use progress;
pub(crate) use summary;
