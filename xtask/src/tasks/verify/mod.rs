//! `cargo xtask verify ARCHIVE|FOLDER...`: check a bundle before trusting it. For an archive:
//! its `.sha256` and `SHA256SUMS` entries, its `.asc` signature when present, and that no entry
//! is unsafe (absolute, `..`, links leaving the bundle, devices, duplicates). For the bundle:
//! `manifest.json` against the files, every wheel's tags against the platform, every
//! dependency (markers evaluated for the platform) present, and on a matching host a real
//! offline install into a fresh venv and an import of every plugin. Changes nothing.
//!
//! `archive` checks an archive and unpacks it, `bundle` checks a bundle folder, `install`
//! installs it offline; `report` is what is said. This file is the front: the parts never
//! import it.

mod archive;
mod bundle;
mod bundle_manifest;
mod install;
mod report;
mod wheels;

#[cfg(test)]
pub(crate) use archive::check_entries;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Result};

use self::archive::verify_one;
use self::install::Host;
use self::report::{Log, TargetReport, VerifyReport};
use crate::manifest::workspace::Workspace;
use crate::python::toolchain;

pub fn run(ws: &Workspace, targets: &[PathBuf], json: bool, require_signature: bool) -> Result<()> {
    let require_signature = require_signature || ws.manifest.release.sign_artifacts;
    if targets.is_empty() {
        bail!(crate::error::input_error(
            "name the archives or bundle folders to verify"
        ));
    }
    let started = Instant::now();
    // The tools of this host, found once: an offline install needs them, the checks do not.
    let host: Host = toolchain::find(&ws.runner, &ws.manifest).map_err(|p| p.join("; "));
    let mut failed = Vec::new();
    let mut reports = Vec::new();
    for target in targets {
        let shown = target.display().to_string();
        if !json {
            crate::ops::ui::summary!("{shown}:");
        }
        let one_started = Instant::now();
        let mut log = Log {
            json,
            lines: Vec::new(),
            sha256: None,
        };
        let problems = match verify_one(ws, &host, target, require_signature, &mut log) {
            Ok(problems) => problems,
            Err(e) => vec![format!("{e:#}")],
        };
        if !json {
            if problems.is_empty() {
                crate::ops::ui::summary!("  OK");
            }
            for p in &problems {
                crate::ops::ui::summary!("  FAIL {p}");
            }
        }
        if !problems.is_empty() {
            failed.push(format!("{shown}: {}", problems.join("; ")));
        }
        reports.push(TargetReport {
            path: shown,
            ok: problems.is_empty(),
            sha256: log.sha256,
            size: target
                .is_file()
                .then(|| std::fs::metadata(target).map(|m| m.len()))
                .transpose()?,
            checks: log.lines,
            problems,
            seconds: one_started.elapsed().as_secs_f64(),
        });
    }
    if json {
        let report = VerifyReport {
            ok: failed.is_empty(),
            targets: reports,
            seconds: started.elapsed().as_secs_f64(),
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    if failed.is_empty() {
        Ok(())
    } else {
        bail!("verification failed:\n  - {}", failed.join("\n  - "))
    }
}
