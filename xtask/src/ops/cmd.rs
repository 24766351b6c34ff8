//! The one place that runs programs. Every call is logged (redacted) to the run's log file;
//! side-effecting calls honour dry-run; a failure names its purpose, shows the program's own
//! last lines and points at the full log. Never builds a shell string.

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use xshell::Shell;

pub use super::secrets::{redact, register_secret};

/// How many of a failing program's last output lines an error shows.
const TAIL_LINES: usize = 25;

/// A program call with the reason it is made (used in errors: "build sdist of ...").
#[derive(Debug, Clone)]
pub struct Cmd {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, OsString)>,
    pub env_remove: Vec<String>,
    /// Variables shown (redacted) before the program in logs and errors: settings such as
    /// the package index that go to a program through its environment.
    pub shown_env: Vec<String>,
    pub purpose: String,
    /// Whether stdout goes into the log (off for binary output such as `git archive`).
    pub log_stdout: bool,
}

impl Cmd {
    pub fn new(program: impl Into<PathBuf>, purpose: impl Into<String>) -> Cmd {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            env_remove: Vec::new(),
            shown_env: Vec::new(),
            // Shown on screen and in errors: never with credentials (a URL may carry them).
            purpose: redact(&purpose.into()),
            log_stdout: true,
        }
    }
    /// Keep stdout out of the log (binary or bulky output).
    pub fn unlogged_stdout(mut self) -> Cmd {
        self.log_stdout = false;
        self
    }
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.args.push(arg.as_ref().to_owned());
        self
    }
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Cmd {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Cmd {
        self.cwd = Some(dir.into());
        self
    }
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Cmd {
        self.env.push((key.to_string(), value.as_ref().to_owned()));
        self
    }

    /// Variables that are not worth showing (cache locations).
    pub fn env_vars(mut self, vars: impl IntoIterator<Item = (String, OsString)>) -> Cmd {
        self.env.extend(vars);
        self
    }

    /// Settings passed through the environment rather than the command line (which every
    /// local user can read), shown redacted in logs like arguments.
    pub fn envs<K: AsRef<str>, V: AsRef<OsStr>>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Cmd {
        for (k, v) in vars {
            self.shown_env.push(k.as_ref().to_string());
            self = self.env(k.as_ref(), v);
        }
        self
    }

    /// Shield pip from ambient configuration: no config files, no `PIP_*` variables except
    /// certificate and proxy settings. What pip does is decided by the manifest alone.
    pub fn isolated_pip(mut self) -> Cmd {
        const KEEP: &[&str] = &["PIP_CERT", "PIP_CLIENT_CERT", "PIP_PROXY", "PIP_TRUSTED_HOST"];
        for (key, _) in std::env::vars_os() {
            let Some(key) = key.to_str() else { continue };
            if key.starts_with("PIP_") && !KEEP.contains(&key) {
                self.env_remove.push(key.to_string());
            }
        }
        self.env("PIP_CONFIG_FILE", null_device())
            .env("PIP_NO_INPUT", "1")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
    }

    /// Shield uv from ambient configuration (`UV_*` variables, `uv.toml`, `pyproject.toml`
    /// settings) and keep it from downloading Pythons: what it resolves is decided by the
    /// manifest alone.
    pub fn isolated_uv(mut self) -> Cmd {
        for (key, _) in std::env::vars_os() {
            let Some(key) = key.to_str() else { continue };
            if key.starts_with("UV_") {
                self.env_remove.push(key.to_string());
            }
        }
        self.env("UV_NO_CONFIG", "1")
            .env("UV_PYTHON_DOWNLOADS", "never")
            .env("UV_NO_PROGRESS", "1")
    }

    /// The command line as shown to users (redacted; inline scripts summarized).
    pub fn display(&self) -> String {
        let mut s = String::new();
        for key in &self.shown_env {
            if let Some((_, v)) = self.env.iter().rev().find(|(k, _)| k == key) {
                let _ = write!(s, "{key}={} ", shell_word(&v.to_string_lossy()));
            }
        }
        s.push_str(&shell_word(&self.program.to_string_lossy()));
        for a in &self.args {
            s.push(' ');
            let a = a.to_string_lossy();
            match a.lines().count() {
                0 | 1 => s.push_str(&shell_word(&a)),
                n => s.push_str(&format!("'<{n}-line script>'")),
            }
        }
        redact(&s)
    }
}

fn null_device() -> &'static str {
    if cfg!(windows) {
        "nul"
    } else {
        "/dev/null"
    }
}

fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Output of a finished program.
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

pub struct Runner {
    dry_run: bool,
    verbose: bool,
    log_path: PathBuf,
    log: Mutex<Option<File>>,
}

impl Runner {
    /// A runner that appends to `log_path` (created on first write).
    pub fn new(log_path: PathBuf, dry_run: bool, verbose: bool) -> Runner {
        Runner {
            dry_run,
            verbose,
            log_path,
            log: Mutex::new(None),
        }
    }

    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Write a line to the log (redacted).
    pub fn log(&self, line: &str) {
        self.log_block(&[line]);
    }

    /// Write lines to the log in one piece (redacted): programs running at once do not mix
    /// their output there.
    fn log_block(&self, lines: &[&str]) {
        let mut guard = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            if let Some(dir) = self.log_path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            *guard = File::create(&self.log_path).ok();
        }
        if let Some(f) = guard.as_mut() {
            for line in lines {
                let _ = writeln!(f, "{}", redact(line));
            }
        }
    }

    /// Run a program that changes something. In dry-run mode it is logged and skipped.
    pub fn run(&self, cmd: &Cmd) -> Result<Output> {
        if self.dry_run {
            self.log(&format!("[dry-run] $ {}", cmd.display()));
            return Ok(Output {
                stdout: Vec::new(),
                stderr: Vec::new(),
            });
        }
        self.exec(cmd)
    }

    /// Run a program that only reads (git queries, probes); runs in dry-run mode too.
    pub fn read(&self, cmd: &Cmd) -> Result<Output> {
        self.exec(cmd)
    }

    /// Run a program that only fills the work folder (the build-tools venv, a cache), never the
    /// repository or the output folder; runs in dry-run mode too.
    pub fn fill_work_folder(&self, cmd: &Cmd) -> Result<Output> {
        self.exec(cmd)
    }

    /// Like [`Runner::read`] but returns the exit status instead of failing on it.
    pub fn probe(&self, cmd: &Cmd) -> Result<(bool, Output)> {
        let (ok, out, _) = self.spawn(cmd)?;
        Ok((ok, out))
    }

    fn exec(&self, cmd: &Cmd) -> Result<Output> {
        let (ok, out, code) = self.spawn(cmd)?;
        self.judge(cmd, ok, out, &code)
    }

    /// The outcome of `cmd`, run elsewhere (a build of the build batch, see `steps::build`),
    /// logged as if the runner had run it, and judged as the runner judges its own calls.
    pub fn ran_elsewhere(&self, cmd: &Cmd, exit_code: i32, output: Vec<u8>, seconds: f64) -> Result<Output> {
        // A negative code is Python's for a process killed by that signal.
        let code = exit_text((exit_code >= 0).then_some(exit_code));
        let out = Output {
            stdout: output,
            stderr: Vec::new(),
        };
        self.log_call(cmd, &out, &format!("{code} ({seconds:.2} s)"));
        self.judge(cmd, exit_code == 0, out, &code)
    }

    /// `Ok(out)`, or the error of a failed call: its purpose, a full disk if that is the
    /// cause, the program's last lines, the command and the log.
    fn judge(&self, cmd: &Cmd, ok: bool, out: Output, code: &str) -> Result<Output> {
        if ok {
            return Ok(out);
        }
        let mut msg = format!("{} failed ({code})", cmd.purpose);
        // A full disk makes programs fail in many ways ("ensurepip returned non-zero"): say it,
        // from what the program said or from a disk that is (still) full.
        let said = String::from_utf8_lossy(&out.stderr) + String::from_utf8_lossy(&out.stdout);
        let temp = std::env::temp_dir();
        let folders = [cmd.cwd.as_deref(), self.log_path.parent(), Some(temp.as_path())];
        let full = folders.into_iter().flatten().find_map(full_disk).or_else(|| {
            ["No space left on device", "[Errno 28]", "ENOSPC"]
                .iter()
                .any(|s| said.contains(s))
                .then(|| "the program says so".to_string())
        });
        if let Some(full) = full {
            let _ = write!(msg, ": no space left on device ({full}); free some space and run again");
        }
        let tail = tail_lines(&out, cmd.log_stdout, TAIL_LINES);
        if !tail.is_empty() {
            let _ = write!(msg, "; last lines of its output:\n{}", indent(&redact(&tail)));
        }
        let _ = write!(
            msg,
            "\ncommand: {}\nfull log: {}",
            cmd.display(),
            self.log_path.display()
        );
        bail!(msg)
    }

    fn spawn(&self, cmd: &Cmd) -> Result<(bool, Output, String)> {
        let sh = Shell::new().context("cannot create a shell for running programs")?;
        if let Some(dir) = &cmd.cwd {
            sh.change_dir(dir);
        }
        // Through the supervisor where there is one, so that the program and everything it
        // starts die with the run (see ops::supervise).
        let (target, target_args, traced) = match super::faults::under_strace(&cmd.purpose, &cmd.program, &cmd.args) {
            Some((program, args, traced)) => (program, args, Some(traced)),
            None => (cmd.program.clone(), cmd.args.clone(), None),
        };
        let (program, args) = match std::env::current_exe() {
            Ok(me) if super::supervise::available() => {
                let mut args = vec![std::ffi::OsString::from(super::supervise::ARG), target.into()];
                args.extend(target_args);
                (me, args)
            }
            _ => (target, target_args),
        };
        let mut c = xshell::cmd!(sh, "{program} {args...}").quiet().ignore_status();
        for key in &cmd.env_remove {
            c = c.env_remove(key);
        }
        for (k, v) in &cmd.env {
            c = c.env(k, v);
        }
        let shown = format!("$ {}  # {}", cmd.display(), cmd.purpose);
        self.log(&format!("{shown}  (started)"));
        crate::ops::ui::detail(&cmd.purpose);
        if self.verbose {
            eprintln!("  $ {}", cmd.display());
        }
        let started = std::time::Instant::now();
        let out = c
            .output()
            .with_context(|| format!("{}: cannot start {}", cmd.purpose, cmd.program.display()))?;
        if let Some(traced) = traced {
            super::faults::after(traced);
        }
        let code = exit_text(out.status.code());
        let took = started.elapsed().as_secs_f64();
        let out_status = out.status.success();
        let out = Output {
            stdout: out.stdout,
            stderr: out.stderr,
        };
        self.log_call(cmd, &out, &format!("{code} ({took:.2} s)"));
        Ok((out_status, out, code))
    }

    /// The call again with its whole output, in one piece.
    fn log_call(&self, cmd: &Cmd, out: &Output, code: &str) {
        let shown = format!("$ {}  # {}", cmd.display(), cmd.purpose);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let unlogged = format!("# ({} bytes of output, not logged)", out.stdout.len());
        let mut block = vec![shown.as_str()];
        if !cmd.log_stdout {
            block.push(&unlogged);
        } else if !stdout.trim().is_empty() {
            block.push(stdout.trim_end());
        }
        if !stderr.trim().is_empty() {
            block.push(stderr.trim_end());
        }
        let ended = format!("# {code}");
        block.push(&ended);
        self.log_block(&block);
    }
}

/// How a program ended, as errors and the log say it.
fn exit_text(code: Option<i32>) -> String {
    match code {
        Some(c) => format!("exit code {c}"),
        None => "killed by a signal".to_string(),
    }
}

/// When the file system holding `dir` (or its nearest existing parent) has less than 1 MiB
/// left: what to say about it.
pub fn full_disk(dir: &Path) -> Option<String> {
    let dir = dir.ancestors().find(|d| d.is_dir())?;
    let free = free_bytes(dir)?;
    (free < 1 << 20).then(|| format!("the disk holding {} has {free} bytes free", dir.display()))
}

#[cfg(unix)]
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes into the zeroed struct it is given; the path is NUL-terminated.
    unsafe {
        let mut stat: libc::statvfs = std::mem::zeroed();
        (libc::statvfs(path.as_ptr(), &mut stat) == 0).then(|| stat.f_bavail as u64 * stat.f_frsize as u64)
    }
}

#[cfg(not(unix))]
fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

fn tail_lines(out: &Output, with_stdout: bool, n: usize) -> String {
    let stdout = if with_stdout {
        String::from_utf8_lossy(&out.stdout)
    } else {
        "".into()
    };
    let text = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purpose_never_carries_credentials() {
        let cmd = Cmd::new(
            "twine",
            "upload 2 file(s) to https://__token__:pypi-AgEIcHlwaS@upload.example/legacy/",
        );
        assert_eq!(cmd.purpose, "upload 2 file(s) to https://***@upload.example/legacy/");
    }

    #[test]
    fn shows_commands_with_quoting() {
        let c = Cmd::new("pip", "x").args(["wheel", "a b", "it's"]);
        assert_eq!(c.display(), r"pip wheel 'a b' 'it'\''s'");
        let c = Cmd::new("python", "x").args(["-c", "import a\nprint(a)\n"]);
        assert_eq!(c.display(), "python -c '<2-line script>'");
    }
}
