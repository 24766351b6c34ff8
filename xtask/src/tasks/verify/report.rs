//! What `verify` says: a line per check as it goes (or kept for `--json`), and the JSON
//! report of every target.

use serde::Serialize;

/// What `verify --json` prints.
#[derive(Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub targets: Vec<TargetReport>,
    pub seconds: f64,
}

#[derive(Serialize)]
pub struct TargetReport {
    pub path: String,
    pub ok: bool,
    /// Of an archive; null for a folder.
    pub sha256: Option<String>,
    pub size: Option<u64>,
    /// What was checked, one line each, as the text output shows them.
    pub checks: Vec<String>,
    /// Every failure; empty when `ok`.
    pub problems: Vec<String>,
    pub seconds: f64,
}

/// The lines of what was checked: printed as they come, or kept for the JSON report.
pub struct Log {
    pub json: bool,
    pub lines: Vec<String>,
    /// The archive's sha256, once the checksum check has computed it.
    pub sha256: Option<String>,
}

impl Log {
    pub fn say(&mut self, line: String) {
        if !self.json {
            crate::ops::ui::summary!("  {line}");
        }
        self.lines.push(line);
    }
}
