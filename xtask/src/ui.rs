//! What the user reads while a command runs: step progress on stderr, summaries on stdout.
//! `-q` silences both; errors, warnings and the outputs that are a command's result (plans,
//! diffs, status tables, `--json`) are printed with `println!`/`eprintln!` directly.

use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);
static PLAIN: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Plain step lines even on a terminal (with `-v`, whose program lines would cut through a
/// live line).
pub fn set_plain(plain: bool) {
    PLAIN.store(plain, Ordering::Relaxed);
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

// ---------------------------------------------------------------------------------------------
// On a terminal: a live line per step (what runs now, bytes written, elapsed time).

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

static CURRENT: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Live progress only for a person at a terminal: not with `-q` or `-v`, not when stderr is a
/// pipe or a file, not under CI, not on a dumb terminal.
pub fn interactive() -> bool {
    !quiet()
        && !PLAIN.load(Ordering::Relaxed)
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// One step on screen: a spinner while it runs on a terminal (replaced by the plain line and
/// its duration when it ends); elsewhere the plain line, printed at once.
pub struct StepLine {
    line: String,
    started: Instant,
    bar: Option<ProgressBar>,
}

pub fn step(line: String) -> StepLine {
    let bar = interactive().then(|| {
        let bar = ProgressBar::new_spinner()
            .with_style(
                ProgressStyle::with_template("{spinner} {prefix} {wide_msg} {elapsed}").expect("valid template"),
            )
            .with_prefix(line.clone());
        bar.enable_steady_tick(Duration::from_millis(120));
        *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
        bar
    });
    if bar.is_none() {
        progress!("{line}");
    }
    StepLine {
        line,
        started: Instant::now(),
        bar,
    }
}

impl Drop for StepLine {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = None;
            eprintln!("{} ({:.1} s)", self.line, self.started.elapsed().as_secs_f64());
        }
    }
}

fn with_current(f: impl FnOnce(&ProgressBar)) {
    if let Some(bar) = CURRENT.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        f(bar);
    }
}

/// What the current step is doing now (a program's purpose), next to the step's line.
pub fn detail(what: &str) {
    with_current(|bar| bar.set_message(what.to_string()));
}

/// The current step writes `total` bytes: show a bar with bytes, rate and time left.
pub fn bytes_total(total: u64) {
    with_current(|bar| {
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
                .expect("valid template"),
        );
        bar.set_length(total);
        bar.set_position(0);
    });
}

/// `n` more bytes of the current step are done.
pub fn bytes_done(n: u64) {
    with_current(|bar| bar.inc(n));
}
