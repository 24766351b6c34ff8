//! Error classes that map to stable exit codes (documented in xtask/docs/commands.md, "Exit codes").

use std::fmt;

/// Exit codes. A failure not classified here (a build, pip, git or I/O failure) exits 1.
pub mod exit {
    pub const OK: u8 = 0;
    pub const STEP_FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const PRECHECK: u8 = 3;
    pub const LOCKED: u8 = 4;
}

/// An error that carries its exit code.
#[derive(Debug)]
pub struct Classified {
    pub code: u8,
    pub message: String,
}

impl fmt::Display for Classified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Classified {}

/// The manifest (or a plugin's metadata) is wrong: exit code 2.
pub fn input_error(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Classified {
        code: exit::USAGE,
        message: message.into(),
    })
}

/// Checks before running failed: exit code 3. All problems in one message.
pub fn precheck_failed(title: &str, problems: Vec<String>) -> anyhow::Error {
    let mut message = format!("{title}:");
    for p in &problems {
        message.push_str("\n  - ");
        message.push_str(&p.replace('\n', "\n    "));
    }
    anyhow::Error::new(Classified {
        code: exit::PRECHECK,
        message,
    })
}

/// The exit code for an error returned by a task.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|e| e.downcast_ref::<Classified>())
        .map_or(exit::STEP_FAILED, |c| c.code)
}
