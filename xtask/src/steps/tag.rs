//! Tag: an annotated (or GPG-signed) tag for a release unit, its message the release notes.

use anyhow::Result;

use super::{Exec, Report, Undo};

pub fn tag(exec: &Exec, name: &str, message: &str, sign: bool, report: &mut Report) -> Result<Undo> {
    exec.git.tag(name, message, sign)?;
    report.tags.push(name.to_string());
    Ok(Undo::DeleteTag(name.to_string()))
}
