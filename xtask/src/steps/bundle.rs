//! Bundle: complete a platform's folder (wheels and sdists) with what an offline machine
//! needs (`manifest.json`, hash-pinned `requirements.txt`, `install.sh`, `install.ps1`, the
//! release notes), then pack it into its archive in the staging area under one top-level
//! folder. Also the sources bundle: every private sdist.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Serialize;

use super::build::wheel_metadata;
use super::exec::{Artifact, Exec, Report};
use super::sbom::{Described, Packaged, SBOM_FILE};
use crate::manifest::normalize_name;
use crate::ops::archive::write_archive;
use crate::ops::archive::ArchiveFormat;
use crate::ops::cache::Cache;
use crate::ops::fs::{
    create_dir, file_names, folder_digest_stored, link_or_copy, set_executable, sha256_stored, write_atomic,
};

pub const INSTALL_SH: &str = include_str!("install.sh");
pub const INSTALL_PS1: &str = include_str!("install.ps1");

#[derive(Serialize)]
struct BundleManifest<'a> {
    release: &'a str,
    version: &'a str,
    platform: &'a str,
    commit: &'a str,
    files: &'a [BundleFile],
    /// Every other file of the bundle but `manifest.json` itself: install scripts,
    /// `requirements.txt`, the release notes, the SBOM.
    support: Vec<SupportFile>,
    /// The bill of materials among them (CycloneDX 1.6 JSON).
    sbom: &'static str,
    /// The lock (PEP 751) among them; none in the sources bundle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pylock: Option<&'static str>,
}

#[derive(Serialize)]
struct SupportFile {
    file: String,
    sha256: String,
    size: u64,
}

#[derive(Serialize)]
struct BundleFile {
    file: String,
    name: String,
    version: String,
    sha256: String,
    size: u64,
    /// `private` (a plugin of this repository) or `public`.
    origin: &'static str,
    license: Option<String>,
}

pub fn write(
    exec: &Exec,
    platform: &str,
    archive: &str,
    folder: &str,
    format: ArchiveFormat,
    report: &mut Report,
) -> Result<()> {
    let src = exec.bundle_dir(folder);
    let files = describe_files(exec, &src)?;
    write_index(exec, &src, platform, &files)?;
    pack(exec, platform, archive, folder, format, files, report)
}

/// The sources bundle: every private sdist, with `manifest.json` and the release notes (no
/// install scripts: sdists do not install offline without their build backend).
pub fn write_sources(exec: &Exec, archive: &str, folder: &str, report: &mut Report) -> Result<()> {
    let src = exec.bundle_dir(folder);
    create_dir(&src)?;
    let private = exec.private_dir();
    for f in file_names(&private)?.into_iter().filter(|f| f.ends_with(".tar.gz")) {
        link_or_copy(&private.join(&f), &src.join(&f))?;
    }
    let files = describe_files(exec, &src)?;
    write_atomic(&src.join(crate::plan::NOTES_FILE), exec.plan.notes.as_bytes())?;
    write_sbom(exec, &src, "sources", &files)?;
    write_manifest(exec, &src, "sources", &files)?;
    pack(exec, "sources", archive, folder, ArchiveFormat::TarBz2, files, report)
}

fn pack(
    exec: &Exec,
    platform: &str,
    archive: &str,
    folder: &str,
    format: ArchiveFormat,
    files: Vec<BundleFile>,
    report: &mut Report,
) -> Result<()> {
    let out = exec.out_dir();
    create_dir(&out)?;
    let dest = out.join(archive);
    // The archive is decided by the folder's content, its name, the format and the time.
    let inputs = serde_json::json!({
        "archive": archive,
        "folder": folder,
        "format": format,
        "source_date_epoch": exec.plan.source_date_epoch,
        "content": folder_digest_stored(&exec.bundle_dir(folder))?,
    });
    let key = Cache::key("archives", &inputs);
    if exec.ws.cache.fetch("archives", &key, &out)?.is_some() {
        crate::ops::ui::progress!("    {archive}: reused, its content is the same as when it was written before");
    } else {
        write_archive(
            &exec.bundle_dir(folder),
            folder,
            &dest,
            format,
            exec.plan.source_date_epoch,
            exec.ws.cache.chunk_dir().as_deref(),
        )?;
        exec.ws
            .cache
            .store("archives", &key, std::slice::from_ref(&dest), inputs);
    }
    let (private_files, public_files): (Vec<_>, Vec<_>) = files.into_iter().partition(|f| f.origin == "private");
    let size = std::fs::metadata(&dest)
        .with_context(|| format!("cannot read {}", dest.display()))?
        .len();
    report.artifacts.push(Artifact {
        path: archive.to_string(),
        platform: platform.to_string(),
        size,
        sha256: sha256_stored(&dest)?,
        private_files: private_files.into_iter().map(|f| f.file).collect(),
        public_files: public_files.into_iter().map(|f| f.file).collect(),
    });
    Ok(())
}

/// Name, version, hash, size, origin and license of every wheel and sdist in `dir`.
fn describe_files(exec: &Exec, dir: &std::path::Path) -> Result<Vec<BundleFile>> {
    let plugins: Vec<&str> = exec.plan.plugins.iter().map(|p| p.normalized_name.as_str()).collect();
    let mut files = Vec::new();
    for file in file_names(dir)? {
        let path = dir.join(&file);
        let (name, version, license) = if file.ends_with(".whl") {
            let meta = wheel_metadata(&path)?;
            (normalize_name(&meta.name), meta.version, meta.license)
        } else if let Some(stem) = file.strip_suffix(".tar.gz") {
            let (name, version) = stem
                .rsplit_once('-')
                .with_context(|| format!("{file}: not an sdist name"))?;
            (normalize_name(name), version.to_string(), None)
        } else {
            continue;
        };
        let origin = if plugins.contains(&name.as_str()) {
            "private"
        } else {
            "public"
        };
        let size = std::fs::metadata(&path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .len();
        files.push(BundleFile {
            file,
            name,
            version,
            sha256: sha256_stored(&path)?,
            size,
            origin,
            license,
        });
    }
    Ok(files)
}

/// `manifest.json`: release, version, platform, commit and every file with its package name,
/// version, sha256, size, origin and license.
fn write_manifest(exec: &Exec, dir: &std::path::Path, platform: &str, files: &[BundleFile]) -> Result<()> {
    let plan = exec.plan;
    let mut support = Vec::new();
    for file in file_names(dir)? {
        if file == "manifest.json" || files.iter().any(|f| f.file == file) {
            continue;
        }
        let path = dir.join(&file);
        support.push(SupportFile {
            sha256: sha256_stored(&path)?,
            size: std::fs::metadata(&path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .len(),
            file,
        });
    }
    let manifest = BundleManifest {
        release: &plan.release,
        version: &plan.version,
        platform,
        commit: &plan.commit,
        files,
        support,
        sbom: SBOM_FILE,
        pylock: (platform != "sources").then_some(super::pylock::PYLOCK_FILE),
    };
    write_atomic(
        &dir.join("manifest.json"),
        (serde_json::to_string_pretty(&manifest)? + "\n").as_bytes(),
    )
}

/// `manifest.json`, `requirements.txt` (every package pinned with the hashes of its files),
/// the install scripts and the release notes.
fn write_index(exec: &Exec, dir: &std::path::Path, platform: &str, files: &[BundleFile]) -> Result<()> {
    let plan = exec.plan;

    let mut pins: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for f in files {
        pins.entry((f.name.as_str(), f.version.as_str()))
            .or_default()
            .push(&f.sha256);
    }
    let mut requirements = format!(
        "# {} {} ({platform}): every package of this bundle, pinned with its hashes.\n\
         # pip install --no-index --find-links . --require-hashes -r requirements.txt\n",
        plan.release, plan.version
    );
    for ((name, version), hashes) in pins {
        let hashes: Vec<String> = hashes.iter().map(|h| format!("--hash=sha256:{h}")).collect();
        requirements.push_str(&format!("{name}=={version} {}\n", hashes.join(" ")));
    }
    write_atomic(&dir.join("requirements.txt"), requirements.as_bytes())?;
    let locked: Vec<super::pylock::Locked> = files
        .iter()
        .map(|f| (f.file.as_str(), f.name.as_str(), f.version.as_str(), f.sha256.as_str()))
        .collect();
    let python = plan
        .platforms
        .iter()
        .find(|p| p.name == platform)
        .map(|p| p.python.as_str());
    super::pylock::write(
        dir,
        &format!("{} {} ({platform})", plan.release, plan.version),
        python,
        &locked,
    )?;
    // Line endings as each shell needs them, whatever a checkout of this repository did.
    write_atomic(&dir.join("install.sh"), INSTALL_SH.replace("\r\n", "\n").as_bytes())?;
    set_executable(&dir.join("install.sh"))?;
    write_atomic(
        &dir.join("install.ps1"),
        INSTALL_PS1.replace("\r\n", "\n").replace('\n', "\r\n").as_bytes(),
    )?;
    write_atomic(&dir.join(crate::plan::NOTES_FILE), plan.notes.as_bytes())?;
    write_sbom(exec, dir, platform, files)?;
    // Last: it lists every other file with its hash.
    write_manifest(exec, dir, platform, files)
}

/// `sbom.cdx.json`: every package of the bundle, see [`super::sbom`].
fn write_sbom(exec: &Exec, dir: &std::path::Path, platform: &str, files: &[BundleFile]) -> Result<()> {
    let plan = exec.plan;
    let packaged: Vec<Packaged> = files
        .iter()
        .map(|f| Packaged {
            file: &f.file,
            name: &f.name,
            version: &f.version,
            sha256: &f.sha256,
            origin: f.origin,
        })
        .collect();
    let described = Described {
        release: &plan.release,
        version: &plan.version,
        platform,
        commit: &plan.commit,
        epoch: i64::try_from(plan.source_date_epoch).unwrap_or(i64::MAX),
    };
    super::sbom::write(dir, &described, &packaged)
}
