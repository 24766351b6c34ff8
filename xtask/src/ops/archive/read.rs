//! Reading archives: listing their entries with what their headers declare (names, kinds,
//! link targets, sizes, modes), the structure of a zip as other tools would read it, unpacking,
//! and reading one entry.

use std::fs::File;
use std::io::{self};
use std::path::Path;

use anyhow::{Context, Result};

/// One entry of an archive, as stored.
#[derive(Debug)]
pub struct EntryInfo {
    pub name: String,
    pub kind: EntryKind,
    pub link_target: Option<String>,
    /// Size as the archive's header declares it (of the unpacked file).
    pub size: u64,
    /// Permission bits, with setuid, setgid and sticky (`mode & 0o7777`).
    pub mode: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    HardLink,
    /// Devices, fifos and anything else a bundle never holds.
    Other(String),
}

/// The entries of a `.tar.bz2`, `.tar.gz` or `.zip` archive, without extracting anything.
pub fn list_entries(path: &Path) -> Result<Vec<EntryInfo>> {
    let name = path.to_string_lossy();
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    if name.ends_with(".zip") {
        let mut zip =
            zip::ZipArchive::new(file).with_context(|| format!("{} is not a valid zip archive", path.display()))?;
        let mut entries = Vec::new();
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .with_context(|| format!("{} is damaged", path.display()))?;
            let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            let mode = entry.unix_mode().unwrap_or(0);
            let kind = match mode & 0o170000 {
                0o120000 => EntryKind::Symlink,
                0o040000 => EntryKind::Dir,
                0 | 0o100000 if entry.is_dir() => EntryKind::Dir,
                0 | 0o100000 => EntryKind::File,
                other => EntryKind::Other(format!("mode {other:o}")),
            };
            // A zip symlink's target is its content.
            let link_target = if kind == EntryKind::Symlink {
                let mut target = String::new();
                io::Read::read_to_string(&mut entry, &mut target)
                    .with_context(|| format!("{} is damaged", path.display()))?;
                Some(target)
            } else {
                None
            };
            entries.push(EntryInfo {
                name,
                kind,
                link_target,
                size: entry.size(),
                mode: mode & 0o7777,
            });
        }
        return Ok(entries);
    }
    let mut archive = tar::Archive::new(tar_reader(file, path)?);
    let mut entries = Vec::new();
    for entry in archive
        .entries()
        .with_context(|| format!("{} is not a valid archive", path.display()))?
    {
        let entry = entry.with_context(|| format!("{} is damaged or truncated", path.display()))?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink,
            tar::EntryType::Link => EntryKind::HardLink,
            other => EntryKind::Other(format!("{other:?}")),
        };
        let link_target = entry
            .link_name_bytes()
            .map(|t| String::from_utf8_lossy(&t).into_owned());
        let size = entry.header().size().unwrap_or(u64::MAX);
        let mode = entry.header().mode().unwrap_or(0) & 0o7777;
        entries.push(EntryInfo {
            name,
            kind,
            link_target,
            size,
            mode,
        });
    }
    Ok(entries)
}

/// What in a zip's structure other tools would read differently from its central directory:
/// bytes before the first entry, and local headers that name another file, compression, CRC
/// or size than the central directory says. Empty for a zip this tool wrote.
pub fn zip_structure_problems(path: &Path) -> Result<Vec<String>> {
    let mut zip = zip::ZipArchive::new(File::open(path)?)
        .with_context(|| format!("{} is not a valid zip archive", path.display()))?;
    let mut file = File::open(path)?;
    let mut problems = Vec::new();
    let mut first = u64::MAX;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i)?;
        first = first.min(entry.header_start());
        let central = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let local = LocalHeader::read(&mut file, entry.header_start())
            .with_context(|| format!("entry {central:?}: no local header where the central directory says"))?;
        let shown = String::from_utf8_lossy(&local.name).into_owned();
        if local.name != entry.name_raw() {
            problems.push(format!(
                "entry {central:?}: its local header names {shown:?}, which other tools unpack instead"
            ));
        }
        // With a data descriptor (flag bit 3) or ZIP64, the local header leaves CRC and sizes out.
        let sized = local.flags & 0x8 == 0 && local.compressed_size != u32::MAX && local.size != u32::MAX;
        let method = match entry.compression() {
            zip::CompressionMethod::Stored => Some(0),
            zip::CompressionMethod::Deflated => Some(8),
            _ => None, // no other method is unpacked
        };
        if method.is_some_and(|m| m != local.method)
            || sized
                && (local.crc32 != entry.crc32()
                    || u64::from(local.compressed_size) != entry.compressed_size()
                    || u64::from(local.size) != entry.size())
        {
            problems.push(format!(
                "entry {central:?}: its local header gives another compression, CRC or size than the central directory"
            ));
        }
    }
    let before = if zip.is_empty() { zip.offset() } else { first };
    if before > 0 {
        problems.push(format!(
            "{before} byte(s) before the first entry: something was put in front of the zip"
        ));
    }
    Ok(problems)
}

/// The fields of a zip local file header that must agree with the central directory.
struct LocalHeader {
    flags: u16,
    method: u16,
    crc32: u32,
    compressed_size: u32,
    size: u32,
    name: Vec<u8>,
}

impl LocalHeader {
    fn read(file: &mut File, at: u64) -> Result<LocalHeader> {
        use io::{Read, Seek};
        let mut fixed = [0u8; 30];
        file.seek(io::SeekFrom::Start(at))?;
        file.read_exact(&mut fixed)?;
        let u16_at = |i: usize| u16::from_le_bytes([fixed[i], fixed[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
        anyhow::ensure!(u32_at(0) == 0x0403_4b50, "not a local file header");
        let mut name = vec![0u8; usize::from(u16_at(26))];
        file.read_exact(&mut name)?;
        Ok(LocalHeader {
            flags: u16_at(6),
            method: u16_at(8),
            crc32: u32_at(14),
            compressed_size: u32_at(18),
            size: u32_at(22),
            name,
        })
    }
}

/// Unpack an archive whose entries passed the safety checks into `dest`.
pub fn extract(path: &Path, dest: &Path) -> Result<()> {
    let name = path.to_string_lossy();
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    if name.ends_with(".zip") {
        let mut zip = zip::ZipArchive::new(file)?;
        return zip
            .extract(dest)
            .with_context(|| format!("cannot unpack {}", path.display()));
    }
    tar::Archive::new(tar_reader(file, path)?)
        .unpack(dest)
        .with_context(|| format!("cannot unpack {}", path.display()))
}

/// The bytes of the first regular file whose entry name satisfies `wanted`, without
/// unpacking anything else; None when there is none.
pub fn read_entry(path: &Path, wanted: impl Fn(&str) -> bool) -> Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut bytes = Vec::new();
    if path.to_string_lossy().ends_with(".zip") {
        let mut zip =
            zip::ZipArchive::new(file).with_context(|| format!("{} is not a valid zip archive", path.display()))?;
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .with_context(|| format!("{} is damaged", path.display()))?;
            let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            if entry.is_file() && wanted(&name) {
                entry
                    .read_to_end(&mut bytes)
                    .with_context(|| format!("{} is damaged", path.display()))?;
                return Ok(Some(bytes));
            }
        }
        return Ok(None);
    }
    let mut archive = tar::Archive::new(tar_reader(file, path)?);
    for entry in archive
        .entries()
        .with_context(|| format!("{} is not a valid archive", path.display()))?
    {
        let mut entry = entry.with_context(|| format!("{} is damaged or truncated", path.display()))?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if entry.header().entry_type() == tar::EntryType::Regular && wanted(&name) {
            entry
                .read_to_end(&mut bytes)
                .with_context(|| format!("{} is damaged or truncated", path.display()))?;
            return Ok(Some(bytes));
        }
    }
    Ok(None)
}

/// The decompressing reader of a tar archive, chosen by the file name.
fn tar_reader(file: File, path: &Path) -> Result<Box<dyn io::Read>> {
    let name = path.to_string_lossy();
    Ok(if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        Box::new(flate2::read::GzDecoder::new(io::BufReader::new(file)))
    } else if name.ends_with(".tar.zst") {
        Box::new(zstd_reader(file, path)?)
    } else if name.ends_with(".tar.bz2") {
        Box::new(bzip2::read::MultiBzDecoder::new(io::BufReader::new(file)))
    } else {
        anyhow::bail!("{}: not a .tar.bz2, .tar.gz, .tar.zst or .zip archive", path.display());
    })
}

fn zstd_reader(file: File, path: &Path) -> Result<impl io::Read> {
    ruzstd::decoding::StreamingDecoder::new(io::BufReader::new(file))
        .map_err(|e| anyhow::anyhow!("{} is not a valid zstd stream: {e}", path.display()))
}
