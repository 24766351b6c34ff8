//! Tag: an annotated (or GPG-signed) tag for a release unit, its message the release notes.

use anyhow::{bail, Result};

use super::exec::{Exec, Report, Undo};

pub fn tag(exec: &Exec, name: &str, message: &str, sign: bool, report: &mut Report) -> Result<Undo> {
    // The tag goes on the commit that was built (or the release commit made from it).
    let expected = report.commit.clone().unwrap_or_else(|| exec.plan.commit.clone());
    let head = exec.git.head()?;
    if head != expected {
        bail!(
            "HEAD moved to {} during the release (expected {}): not tagging it",
            &head[..12],
            &expected[..12]
        );
    }
    exec.git.tag(name, message, sign)?;
    report.tags.push(name.to_string());
    Ok(Undo::DeleteTag(name.to_string()))
}
