//! Notes and checksums: files staged next to the archives and delivered with them.

use std::path::Path;

use anyhow::Result;

use super::Exec;
use crate::ops::cmd::{Cmd, Runner};
use crate::ops::fs::{create_dir, sha256_file, write_atomic};
use crate::plan::CHECKSUMS_FILE;

pub fn write(exec: &Exec, file: &str, text: &str) -> Result<()> {
    create_dir(&exec.out_dir())?;
    write_atomic(&exec.out_dir().join(file), text.as_bytes())
}

/// `<archive>.sha256` next to each archive and one `SHA256SUMS`, in the format `sha256sum -c`
/// reads: `<hex>  <file name>`; with `sign`, detached ASCII-armoured signatures of each.
pub fn checksums(exec: &Exec, files: &[String], sign: bool) -> Result<()> {
    write_checksums(&exec.ws.runner, &exec.out_dir(), files, sign)
}

/// [`checksums`] for the archives `files` in the folder `out`.
pub fn write_checksums(runner: &Runner, out: &Path, files: &[String], sign: bool) -> Result<()> {
    let mut all = String::new();
    for f in files {
        let line = format!("{}  {f}\n", sha256_file(&out.join(f))?);
        write_atomic(&out.join(format!("{f}.sha256")), line.as_bytes())?;
        all.push_str(&line);
    }
    write_atomic(&out.join(CHECKSUMS_FILE), all.as_bytes())?;
    if sign {
        let gpg = which::which("gpg").map_err(|_| anyhow::anyhow!("gpg is not installed"))?;
        for f in files.iter().map(String::as_str).chain([CHECKSUMS_FILE]) {
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
