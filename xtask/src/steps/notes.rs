//! Notes and checksums: files staged next to the archives and delivered with them.

use std::path::Path;

use anyhow::Result;

use super::exec::{Exec, Report};
use crate::ops::cmd::{Cmd, Runner};
use crate::ops::fs::{create_dir, sha256_file, write_atomic};
use crate::plan::CHECKSUMS_FILE;

pub fn write(exec: &Exec, file: &str, text: &str) -> Result<()> {
    create_dir(&exec.out_dir())?;
    write_atomic(&exec.out_dir().join(file), text.as_bytes())
}

/// `<archive>.sha256` next to each archive and one `SHA256SUMS`, in the format `sha256sum -c`
/// reads: `<hex>  <file name>`; with `sign`, detached ASCII-armoured signatures of each. The
/// archives were hashed when written (`report`); only others are read again.
pub fn checksums(exec: &Exec, files: &[String], sign: bool, report: &Report) -> Result<()> {
    let out = exec.out_dir();
    let mut hashed = Vec::new();
    for f in files {
        let sha256 = match report.artifacts.iter().find(|a| &a.path == f) {
            Some(a) => a.sha256.clone(),
            None => sha256_file(&out.join(f))?,
        };
        hashed.push((f.clone(), sha256));
    }
    write_checksums(&exec.ws.runner, &out, &hashed, sign)
}

/// [`checksums`] for the archives in the folder `out`, given as (file name, sha256).
pub fn write_checksums(runner: &Runner, out: &Path, files: &[(String, String)], sign: bool) -> Result<()> {
    let mut all = String::new();
    for (f, sha256) in files {
        let line = format!("{sha256}  {f}\n");
        write_atomic(&out.join(format!("{f}.sha256")), line.as_bytes())?;
        all.push_str(&line);
    }
    write_atomic(&out.join(CHECKSUMS_FILE), all.as_bytes())?;
    if sign {
        let gpg = which::which("gpg").map_err(|_| anyhow::anyhow!("gpg is not installed"))?;
        for f in files.iter().map(|(f, _)| f.as_str()).chain([CHECKSUMS_FILE]) {
            let target = out.join(f);
            runner.run(
                &Cmd::new(&gpg, format!("sign {f} with gpg"))
                    .args(["--batch", "--yes", "--armor", "--detach-sign", "--output"])
                    .arg(out.join(format!("{f}.asc")))
                    .arg(&target),
            )?;
        }
    }
    Ok(())
}
