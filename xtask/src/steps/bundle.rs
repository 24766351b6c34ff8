//! Bundle: pack a platform's folder (wheels and sdists) into its archive in the staging area,
//! under one top-level folder.

use anyhow::{Context, Result};

use super::{Artifact, Exec, Report};
use crate::ops::archive::write_archive;
use crate::ops::fs::{create_dir, file_names, sha256_file};
use crate::platform::ArchiveFormat;

pub fn write(
    exec: &Exec,
    platform: &str,
    archive: &str,
    folder: &str,
    format: ArchiveFormat,
    report: &mut Report,
) -> Result<()> {
    let src = exec.bundle_dir(folder);
    let out = exec.out_dir();
    create_dir(&out)?;
    let dest = out.join(archive);
    write_archive(&src, folder, &dest, format, exec.plan.source_date_epoch)?;

    let private: Vec<String> = exec
        .plan
        .plugins
        .iter()
        .map(|p| p.normalized_name.replace('-', "_"))
        .collect();
    let mut private_files = Vec::new();
    let mut public_files = Vec::new();
    for name in file_names(&src)? {
        let dist = name
            .split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
            .replace(['.', '-'], "_");
        if private.contains(&dist) {
            private_files.push(name);
        } else {
            public_files.push(name);
        }
    }
    private_files.sort();
    public_files.sort();
    let size = std::fs::metadata(&dest)
        .with_context(|| format!("cannot read {}", dest.display()))?
        .len();
    report.artifacts.push(Artifact {
        path: archive.to_string(),
        platform: platform.to_string(),
        size,
        sha256: sha256_file(&dest)?,
        private_files,
        public_files,
    });
    Ok(())
}
