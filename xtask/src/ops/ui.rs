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

/// A progress line on stderr, unless `-q` (above the live step lines, on a terminal).
macro_rules! progress {
    ($($arg:tt)*) => {
        if !$crate::ops::ui::quiet() {
            $crate::ops::ui::line(&format!($($arg)*));
        }
    };
}

/// A summary line on stdout, unless `-q`; secrets and URL logins masked.
macro_rules! summary {
    ($($arg:tt)*) => {
        if !$crate::ops::ui::quiet() {
            println!("{}", $crate::ops::secrets::redact(&format!($($arg)*)));
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

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// The live lines of the steps running now (several when independent steps run at once).
static LIVE: std::sync::LazyLock<MultiProgress> = std::sync::LazyLock::new(MultiProgress::new);

std::thread_local! {
    /// The live line of the step this thread runs.
    static CURRENT: std::cell::RefCell<Option<ProgressBar>> = const { std::cell::RefCell::new(None) };
}

/// Live progress only for a person at a terminal: not with `-q` or `-v`, not when stderr is a
/// pipe or a file, not under CI, not on a dumb terminal.
pub fn interactive() -> bool {
    !quiet()
        && !PLAIN.load(Ordering::Relaxed)
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// A line on stderr, printed above the live step lines; secrets and URL logins masked.
pub fn line(text: &str) {
    let text = &super::secrets::redact(text);
    static PRINT: Mutex<()> = Mutex::new(());
    let _one_at_a_time = PRINT.lock().unwrap_or_else(|e| e.into_inner());
    if interactive() {
        LIVE.suspend(|| eprintln!("{text}"));
    } else {
        eprintln!("{text}");
    }
}

/// One step on screen: a spinner while it runs on a terminal (replaced by the plain line and
/// its duration when it ends); elsewhere the plain line, printed at once. Steps running at
/// once on several threads each have their own line.
pub struct StepLine {
    line: String,
    started: Instant,
    bar: Option<ProgressBar>,
}

pub fn step(line: String) -> StepLine {
    let bar = interactive().then(|| {
        let bar = LIVE.add(
            ProgressBar::new_spinner()
                .with_style(
                    ProgressStyle::with_template("{spinner} {prefix} {wide_msg} {elapsed}").expect("valid template"),
                )
                .with_prefix(line.clone()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        CURRENT.with(|c| *c.borrow_mut() = Some(bar.clone()));
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
            LIVE.remove(&bar);
            CURRENT.with(|c| *c.borrow_mut() = None);
            line(&format!(
                "{} ({:.1} s)",
                self.line,
                self.started.elapsed().as_secs_f64()
            ));
        }
    }
}

fn with_current(f: impl FnOnce(&ProgressBar)) {
    CURRENT.with(|c| {
        if let Some(bar) = c.borrow().as_ref() {
            f(bar);
        }
    });
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
