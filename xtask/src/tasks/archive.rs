//! `cargo xtask archive [--format F] [--mtime N] SOURCE DEST`: pack a folder exactly the way
//! bundles are packed (sorted entries, fixed time, owner 0, parallel bzip2), so the archive
//! writer can be measured on any folder (scripts/bench-bundle.sh).

use std::path::Path;

use anyhow::Result;

use crate::error::input_error;
use crate::ops::archive::write_archive;
use crate::ops::archive::ArchiveFormat;

pub fn run(format: &str, mtime: Option<u64>, source: &Path, dest: &Path) -> Result<()> {
    let format = ArchiveFormat::from_name(format).ok_or_else(|| {
        input_error(format!(
            "unknown format {format:?}, expected one of {}",
            ArchiveFormat::NAMES.join(", ")
        ))
    })?;
    if !source.is_dir() {
        return Err(input_error(format!("{} is not a folder", source.display())));
    }
    let mtime = match mtime {
        Some(t) => t,
        None => crate::ops::clock::source_date_epoch()?.unwrap_or(0).max(0) as u64,
    };
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    let top = name
        .strip_suffix(&format!(".{}", format.extension()))
        .unwrap_or(&name)
        .to_string();
    write_archive(source, &top, dest, format, mtime, None)
}
