//! Notes: the release notes file, staged next to the archives and delivered with them.

use anyhow::Result;

use super::Exec;
use crate::ops::fs::{create_dir, write_atomic};

pub fn write(exec: &Exec, file: &str, text: &str) -> Result<()> {
    create_dir(&exec.out_dir())?;
    write_atomic(&exec.out_dir().join(file), text.as_bytes())
}
