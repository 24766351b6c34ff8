//! Archives. Writing bundle archives, here: streaming, reproducible (sorted entries, a top-level `manifest.json` first, fixed
//! mtime, uid/gid 0, no user names, normalized modes), and atomic (a temporary name, renamed
//! when complete); bzip2 on every core is `parallel_bzip2`. Reading them (entries, zip structure, unpacking) is `read`, which imports
//! nothing of this file.

mod parallel_bzip2;
mod read;

use parallel_bzip2::ParallelBzip2;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::ops::fs::persist;

pub use read::{extract, list_entries, read_entry, zip_structure_problems, EntryInfo, EntryKind};

/// The archive formats a bundle can be written in, by their file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArchiveFormat {
    #[serde(rename = "tar.bz2")]
    TarBz2,
    #[serde(rename = "tar.gz")]
    TarGz,
    #[serde(rename = "tar.zst")]
    TarZst,
    #[serde(rename = "zip")]
    Zip,
}

impl ArchiveFormat {
    pub const NAMES: &'static [&'static str] = &["tar.bz2", "tar.gz", "tar.zst", "zip"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "tar.bz2" => Some(Self::TarBz2),
            "tar.gz" => Some(Self::TarGz),
            "tar.zst" => Some(Self::TarZst),
            "zip" => Some(Self::Zip),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::TarBz2 => "tar.bz2",
            Self::TarGz => "tar.gz",
            Self::TarZst => "tar.zst",
            Self::Zip => "zip",
        }
    }
}

/// Pack the folder `src` into `dest` under the single top-level folder `top`.
pub fn write_archive(
    src: &Path,
    top: &str,
    dest: &Path,
    format: ArchiveFormat,
    mtime: u64,
    chunk_cache: Option<&Path>,
) -> Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", dest.file_name().unwrap_or_default().to_string_lossy()))
        .suffix(".partial")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    if crate::ops::ui::interactive() {
        let total = walkdir::WalkDir::new(src)
            .into_iter()
            .filter_map(|e| e.ok()?.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum();
        crate::ops::ui::bytes_total(total);
    }
    let written = match format {
        ArchiveFormat::TarBz2 => write_tar_bz2(src, top, tmp.as_file(), mtime, chunk_cache),
        ArchiveFormat::Zip => write_zip(src, top, tmp.as_file(), mtime),
        ArchiveFormat::TarGz => write_tar_gz(src, top, tmp.as_file(), mtime),
        ArchiveFormat::TarZst => write_tar_zst(src, top, tmp.as_file(), mtime),
    };
    written.with_context(|| format!("cannot write {} (is the disk full?)", dest.display()))?;
    persist(tmp, dest)
}

/// Write the tar stream of `src` into `out` and return `out` (for its compressor to finish).
fn tar_into<W: Write>(out: W, src: &Path, top: &str, mtime: u64) -> Result<W> {
    tar_into_cut(out, src, top, mtime, &mut |_| Ok(()))
}

/// [`tar_into`], calling `cut` on the writer before each entry.
fn tar_into_cut<W: Write>(
    out: W,
    src: &Path,
    top: &str,
    mtime: u64,
    cut: &mut dyn FnMut(&mut W) -> io::Result<()>,
) -> Result<W> {
    let mut tar = tar::Builder::new(out);
    tar.follow_symlinks(false);
    append_tree(&mut tar, src, top, mtime, cut)?;
    tar.into_inner().context("cannot finish the tar stream")
}

/// Flush a finished compressor's buffered output to disk.
fn sync(mut buffered: BufWriter<&File>) -> Result<()> {
    buffered.flush()?;
    buffered.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}

fn write_tar_bz2(src: &Path, top: &str, file: &File, mtime: u64, chunk_cache: Option<&Path>) -> Result<()> {
    let encoder = tar_into_cut(
        ParallelBzip2::with_chunk_cache(BufWriter::with_capacity(1 << 20, file), chunk_cache),
        src,
        top,
        mtime,
        &mut |w| w.cut(),
    )?;
    sync(encoder.finish().context("cannot finish the bzip2 stream")?)
}

fn write_tar_gz(src: &Path, top: &str, file: &File, mtime: u64) -> Result<()> {
    // No file name and a fixed time in the gzip header: byte-identical rebuilds.
    let gz = flate2::GzBuilder::new()
        .mtime(mtime.min(u32::MAX as u64) as u32)
        .write(BufWriter::with_capacity(1 << 20, file), flate2::Compression::best());
    let encoder = tar_into(gz, src, top, mtime)?;
    sync(encoder.finish().context("cannot finish the gzip stream")?)
}

/// zstd (pure Rust, about `zstd -1`): the tar stream goes through a pipe to a compressing
/// thread block by block, so memory stays bounded.
fn write_tar_zst(src: &Path, top: &str, file: &File, mtime: u64) -> Result<()> {
    let (reader, writer) = io::pipe().context("cannot create a pipe")?;
    let out = file.try_clone().context("cannot write the archive")?;
    let worker = std::thread::spawn(move || -> io::Result<()> {
        let mut buffered = BufWriter::with_capacity(1 << 20, out);
        ruzstd::encoding::compress(reader, &mut buffered, ruzstd::encoding::CompressionLevel::Fastest);
        buffered.flush()
    });
    let written = tar_into(BufWriter::with_capacity(1 << 20, writer), src, top, mtime).and_then(|mut pipe| {
        pipe.flush()?;
        Ok(())
    });
    // The pipe's write end is closed here, so the worker sees the end of the stream.
    let compressed = worker.join();
    written?;
    match compressed {
        Ok(Ok(())) => Ok(file.sync_all()?),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => anyhow::bail!("the zstd compressor stopped (is the disk full?)"),
    }
}

/// A tar stream is cut around each file of at least this size (wheels, sdists); smaller files
/// share chunks, which keeps streams few.
const CUT_BEFORE: u64 = 64 * 1024;

fn append_tree<W: Write>(
    tar: &mut tar::Builder<W>,
    src: &Path,
    top: &str,
    mtime: u64,
    cut: &mut dyn FnMut(&mut W) -> io::Result<()>,
) -> Result<()> {
    let header = |kind: tar::EntryType, mode: u32, size: u64| {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        let _ = h.set_username("");
        let _ = h.set_groupname("");
        h
    };
    let mut h = header(tar::EntryType::Directory, 0o755, 0);
    tar.append_data(&mut h, format!("{top}/"), io::empty())?;
    for entry in in_archive_order(src) {
        let entry = entry.with_context(|| format!("cannot read {}", src.display()))?;
        let rel = entry.path().strip_prefix(src).expect("below root");
        let name = format!("{top}/{}", rel.to_string_lossy().replace('\\', "/"));
        let meta = entry.metadata()?;
        if meta.is_file() && meta.len() >= CUT_BEFORE {
            let mode = if is_executable(&meta) { 0o755 } else { 0o644 };
            let mut h = header(tar::EntryType::Regular, mode, meta.len());
            append_cut_apart(tar, &mut h, &name, entry.path(), cut)?;
            crate::ops::ui::bytes_done(meta.len());
            continue;
        }
        if meta.is_dir() {
            let mut h = header(tar::EntryType::Directory, 0o755, 0);
            tar.append_data(&mut h, format!("{name}/"), io::empty())?;
        } else if meta.is_file() {
            let mode = if is_executable(&meta) { 0o755 } else { 0o644 };
            let mut h = header(tar::EntryType::Regular, mode, meta.len());
            let f = File::open(entry.path()).with_context(|| format!("cannot read {}", entry.path().display()))?;
            tar.append_data(&mut h, &name, f)?;
            crate::ops::ui::bytes_done(meta.len());
        } else {
            anyhow::bail!(
                "{} is neither a file nor a folder; bundles hold only regular files",
                entry.path().display()
            );
        }
    }
    tar.finish()?;
    Ok(())
}

/// The entries below `src` in the order an archive holds them: by name, except that a
/// top-level `manifest.json` comes first, so that a reader learns what the archive is (a
/// bundle's release, platform and commit) without decompressing the rest.
fn in_archive_order(src: &Path) -> walkdir::IntoIter {
    walkdir::WalkDir::new(src)
        .min_depth(1)
        .sort_by(|a, b| {
            let later = |e: &walkdir::DirEntry| !(e.depth() == 1 && e.file_name() == "manifest.json");
            (later(a), a.file_name()).cmp(&(later(b), b.file_name()))
        })
        .into_iter()
}

/// A large file's entry as `append_data` writes it (its header, with a long-name entry when
/// the name needs one; its bytes; the padding to 512), cut before, between header and bytes,
/// and after: its bytes then make the same chunks whatever the entry is named (a bundle's
/// folder carries the version) and whatever follows it.
fn append_cut_apart<W: Write>(
    tar: &mut tar::Builder<W>,
    h: &mut tar::Header,
    name: &str,
    path: &Path,
    cut: &mut dyn FnMut(&mut W) -> io::Result<()>,
) -> Result<()> {
    let mut headers = tar::Builder::new(Vec::new());
    headers.append_data(h, name, io::empty())?;
    let header_bytes = headers.get_ref().clone();
    let size = h.size()?;
    let out = tar.get_mut();
    cut(out)?;
    out.write_all(&header_bytes)?;
    cut(out)?;
    let mut f = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let copied = io::copy(&mut f, out)?;
    if copied != size {
        anyhow::bail!("{} changed while it was archived", path.display());
    }
    let padding = (512 - size % 512) % 512;
    out.write_all(&vec![0u8; padding as usize])?;
    cut(out)?;
    Ok(())
}

fn write_zip(src: &Path, top: &str, file: &File, mtime: u64) -> Result<()> {
    let (y, mo, d) = super::clock::civil_date(mtime as i64);
    let secs = mtime % 86_400;
    // ZIP (DOS) timestamps cover 1980-2107; clamp outside that range.
    let stamp = zip::DateTime::from_date_and_time(
        y.clamp(1980, 2107) as u16,
        mo as u8,
        d as u8,
        (secs / 3600) as u8,
        (secs / 60 % 60) as u8,
        (secs % 60) as u8,
    )
    .unwrap_or_default();
    let options = |mode: u32| {
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(stamp)
            .unix_permissions(mode)
            .system(zip::System::Unix)
            .large_file(true)
    };
    // A writer dropped unfinished (after a failure, or by `finish` failing) tries to finish the
    // archive again and prints its own message into ours; after the first write error the
    // archive is abandoned instead (it is a temporary file the caller discards).
    let mut zip = zip::ZipWriter::new(Abandonable::new(BufWriter::with_capacity(1 << 20, file)));
    fill_zip(&mut zip, src, top, &options)?;
    let mut buffered = zip.finish()?.inner;
    buffered.flush()?;
    buffered.get_ref().sync_all()?;
    Ok(())
}

/// A writer that stops writing after its first error: from then on it only counts, like a
/// file that accepts everything and keeps nothing (zip checks the positions it seeks to).
struct Abandonable<W> {
    inner: W,
    failed: bool,
    pos: u64,
    end: u64,
}

impl<W> Abandonable<W> {
    fn new(inner: W) -> Self {
        Abandonable {
            inner,
            failed: false,
            pos: 0,
            end: 0,
        }
    }

    fn moved_to(&mut self, pos: u64) -> u64 {
        self.pos = pos;
        self.end = self.end.max(pos);
        pos
    }
}

impl<W: Write> Write for Abandonable<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.failed {
            self.moved_to(self.pos + buf.len() as u64);
            return Ok(buf.len());
        }
        let written = self.inner.write(buf);
        match &written {
            Ok(n) => {
                self.moved_to(self.pos + *n as u64);
            }
            Err(_) => self.failed = true,
        }
        written
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.failed {
            return Ok(());
        }
        let flushed = self.inner.flush();
        self.failed = flushed.is_err();
        flushed
    }
}

impl<W: io::Seek> io::Seek for Abandonable<W> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        if self.failed {
            let pos = match to {
                io::SeekFrom::Start(n) => n,
                io::SeekFrom::Current(d) => self.pos.saturating_add_signed(d),
                io::SeekFrom::End(d) => self.end.saturating_add_signed(d),
            };
            return Ok(self.moved_to(pos));
        }
        match self.inner.seek(to) {
            Ok(pos) => Ok(self.moved_to(pos)),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }
}

fn fill_zip<W: Write + io::Seek>(
    zip: &mut zip::ZipWriter<W>,
    src: &Path,
    top: &str,
    options: &dyn Fn(u32) -> zip::write::SimpleFileOptions,
) -> Result<()> {
    zip.add_directory(format!("{top}/"), options(0o755))?;
    for entry in in_archive_order(src) {
        let entry = entry.with_context(|| format!("cannot read {}", src.display()))?;
        let rel = entry.path().strip_prefix(src).expect("below root");
        let name = format!("{top}/{}", rel.to_string_lossy().replace('\\', "/"));
        let meta = entry.metadata()?;
        if meta.is_dir() {
            zip.add_directory(format!("{name}/"), options(0o755))?;
        } else if meta.is_file() {
            let mut opts = options(if is_executable(&meta) { 0o755 } else { 0o644 });
            if is_compressed(&name) {
                // Deflate cannot shrink a wheel or an sdist; storing it is as small and fast.
                opts = opts.compression_method(zip::CompressionMethod::Stored);
            }
            zip.start_file(name, opts)?;
            let mut f = File::open(entry.path()).with_context(|| format!("cannot read {}", entry.path().display()))?;
            io::copy(&mut f, zip)?;
            crate::ops::ui::bytes_done(meta.len());
        } else {
            anyhow::bail!(
                "{} is neither a file nor a folder; bundles hold only regular files",
                entry.path().display()
            );
        }
    }
    Ok(())
}

/// Files that are compressed archives already (wheels, sdists).
fn is_compressed(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".whl", ".zip", ".gz", ".tgz", ".bz2", ".zst", ".xz"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Rewrite an sdist (`.tar.gz`) reproducibly, in place: every entry gets the time `mtime`,
/// owner 0 with no user names, and a normalized mode; the gzip header gets the same time. The
/// bytes of the files, their names and their order stay as the build backend wrote them.
pub fn normalize_sdist(path: &Path, mtime: u64) -> Result<()> {
    let original = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut input = tar::Archive::new(flate2::read::GzDecoder::new(original.as_slice()));
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".sdist.")
        .suffix(".partial")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let gz = flate2::GzBuilder::new()
        .mtime(mtime.min(u32::MAX as u64) as u32)
        .write(BufWriter::new(tmp.as_file()), flate2::Compression::new(9));
    let mut output = tar::Builder::new(gz);
    for entry in input
        .entries()
        .with_context(|| format!("{} is not a valid sdist", path.display()))?
    {
        let mut entry = entry.with_context(|| format!("{} is not a valid sdist", path.display()))?;
        let name = entry.path()?.into_owned();
        let kind = entry.header().entry_type();
        let executable = entry.header().mode().unwrap_or(0o644) & 0o111 != 0;
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(entry.header().size()?);
        header.set_mode(if kind.is_dir() || executable { 0o755 } else { 0o644 });
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        let _ = header.set_username("");
        let _ = header.set_groupname("");
        if kind.is_symlink() || kind.is_hard_link() {
            let target = entry.link_name()?.map(|t| t.into_owned()).unwrap_or_default();
            output.append_link(&mut header, &name, target)?;
        } else {
            output.append_data(&mut header, &name, &mut entry)?;
        }
    }
    let gz = output.into_inner()?;
    let mut buffered = gz.finish()?;
    buffered.flush()?;
    drop(buffered);
    persist(tmp, path)
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::parallel_bzip2::BZIP2_CHUNK;
    use super::*;

    #[test]
    fn tar_bz2_is_reproducible_and_rooted() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("sub")).unwrap();
        std::fs::write(src.path().join("b.whl"), b"bbb").unwrap();
        std::fs::write(src.path().join("sub/a.txt"), b"a").unwrap();
        let out = tempfile::tempdir().unwrap();
        let one = out.path().join("one.tar.bz2");
        let two = out.path().join("two.tar.bz2");
        write_archive(src.path(), "top", &one, ArchiveFormat::TarBz2, 1_700_000_000, None).unwrap();
        write_archive(src.path(), "top", &two, ArchiveFormat::TarBz2, 1_700_000_000, None).unwrap();
        let bytes = std::fs::read(&one).unwrap();
        assert_eq!(bytes, std::fs::read(&two).unwrap());
        let zst = out.path().join("one.tar.zst");
        write_archive(src.path(), "top", &zst, ArchiveFormat::TarZst, 1_700_000_000, None).unwrap();
        assert_eq!(list_entries(&zst).unwrap().len(), 4);
        let zst_again = out.path().join("again.tar.zst");
        write_archive(
            src.path(),
            "top",
            &zst_again,
            ArchiveFormat::TarZst,
            1_700_000_000,
            None,
        )
        .unwrap();
        assert_eq!(std::fs::read(&zst).unwrap(), std::fs::read(&zst_again).unwrap());
        std::fs::remove_file(&zst).unwrap();
        std::fs::remove_file(&zst_again).unwrap();
        let gz = out.path().join("one.tar.gz");
        write_archive(src.path(), "top", &gz, ArchiveFormat::TarGz, 1_700_000_000, None).unwrap();
        let mut tgz = tar::Archive::new(flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap()));
        assert_eq!(tgz.entries().unwrap().count(), 4);
        std::fs::remove_file(&gz).unwrap();

        let mut archive = tar::Archive::new(bzip2::read::MultiBzDecoder::new(bytes.as_slice()));
        let names: Vec<(String, u64, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    h.mtime().unwrap(),
                    h.uid().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("top/".into(), 1_700_000_000, 0),
                ("top/b.whl".into(), 1_700_000_000, 0),
                ("top/sub/".into(), 1_700_000_000, 0),
                ("top/sub/a.txt".into(), 1_700_000_000, 0),
            ]
        );
        let leftovers: Vec<_> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 2, "no temporary files left: {leftovers:?}");
    }

    /// A large file's entry, written apart from its header so that its bytes make chunks of
    /// their own, is byte for byte what `tar::Builder::append_data` writes, a long name (a
    /// multi-tag manylinux wheel, over tar's 100 bytes) included.
    #[test]
    fn large_entries_cut_apart_are_the_tar_crate_s_bytes() {
        let src = tempfile::tempdir().unwrap();
        let long = "aiohttp-3.14.5-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl";
        let big: Vec<u8> = (0..CUT_BEFORE as usize + 777).map(|i| (i * 31 % 253) as u8).collect();
        std::fs::write(src.path().join(long), &big).unwrap();
        std::fs::write(src.path().join("small.txt"), b"small").unwrap();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("x.tar.gz");
        write_archive(src.path(), "top", &dest, ArchiveFormat::TarGz, 1_700_000_000, None).unwrap();
        let mut written = Vec::new();
        io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(&dest).unwrap()),
            &mut written,
        )
        .unwrap();
        let mut reference = tar::Builder::new(Vec::new());
        for (name, kind, mode, data) in [
            ("top/".to_string(), tar::EntryType::Directory, 0o755, &b""[..]),
            (format!("top/{long}"), tar::EntryType::Regular, 0o644, &big[..]),
            (
                "top/small.txt".to_string(),
                tar::EntryType::Regular,
                0o644,
                &b"small"[..],
            ),
        ] {
            let mut h = tar::Header::new_ustar();
            h.set_entry_type(kind);
            h.set_mode(mode);
            h.set_size(data.len() as u64);
            h.set_mtime(1_700_000_000);
            h.set_uid(0);
            h.set_gid(0);
            h.set_username("").unwrap();
            h.set_groupname("").unwrap();
            reference.append_data(&mut h, name, data).unwrap();
        }
        assert!(written == reference.into_inner().unwrap(), "other tar bytes");
    }

    /// A bundle's manifest first, then every entry by name, in both formats.
    #[test]
    fn the_manifest_comes_first() {
        let src = tempfile::tempdir().unwrap();
        for f in ["a.whl", "manifest.json", "z.txt"] {
            std::fs::write(src.path().join(f), f).unwrap();
        }
        std::fs::create_dir(src.path().join("docs")).unwrap();
        std::fs::write(src.path().join("docs/manifest.json"), b"not the top one").unwrap();
        let out = tempfile::tempdir().unwrap();
        for format in [ArchiveFormat::TarBz2, ArchiveFormat::Zip] {
            let dest = out.path().join(format!("x.{}", format.extension()));
            write_archive(src.path(), "top", &dest, format, 1_700_000_000, None).unwrap();
            let names: Vec<String> = list_entries(&dest).unwrap().into_iter().map(|e| e.name).collect();
            assert_eq!(
                names,
                [
                    "top/",
                    "top/manifest.json",
                    "top/a.whl",
                    "top/docs/",
                    "top/docs/manifest.json",
                    "top/z.txt"
                ],
                "{format:?}"
            );
        }
    }

    /// With a chunk cache: the same bytes, each entry's chunks taken from the cache the second
    /// time, a changed entry compressed alone, a damaged cached chunk compressed again.
    #[test]
    fn cached_bzip2_chunks_give_the_same_archive() {
        let src = tempfile::tempdir().unwrap();
        let big: Vec<u8> = (0..BZIP2_CHUNK + 999).map(|i| (i * 13 % 241) as u8).collect();
        std::fs::write(src.path().join("a.whl"), &big).unwrap();
        std::fs::write(src.path().join("b.whl"), b"bbb").unwrap();
        let out = tempfile::tempdir().unwrap();
        let cache = out.path().join("chunks");
        let write_under = |top: &str, name: &str, cache: Option<&Path>| {
            let dest = out.path().join(name);
            write_archive(src.path(), top, &dest, ArchiveFormat::TarBz2, 1_700_000_000, cache).unwrap();
            std::fs::read(dest).unwrap()
        };
        let write = |name: &str, cache: Option<&Path>| write_under("top", name, cache);
        let plain = write("plain.tar.bz2", None);
        let first = write("first.tar.bz2", Some(&cache));
        let cached = || -> Vec<(std::path::PathBuf, u64)> {
            std::fs::read_dir(&cache)
                .unwrap()
                .map(|f| {
                    let f = f.unwrap();
                    (f.path(), f.metadata().unwrap().len())
                })
                .collect()
        };
        let chunks = cached().len();
        // The top folder; a.whl's header; its bytes (two chunks, the second ending with its
        // padding); the small b.whl with the tar's end.
        assert_eq!(chunks, 5);
        assert_eq!(
            write("second.tar.bz2", Some(&cache)),
            first,
            "taken from the cache: the same bytes"
        );
        assert_eq!(std::fs::read_dir(&cache).unwrap().count(), chunks);
        let mut tar = tar::Archive::new(bzip2::read::MultiBzDecoder::new(first.as_slice()));
        let names: Vec<String> = tar
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["top/", "top/a.whl", "top/b.whl"]);
        let mut back = Vec::new();
        io::Read::read_to_end(&mut bzip2::read::MultiBzDecoder::new(plain.as_slice()), &mut back).unwrap();
        let mut again = Vec::new();
        io::Read::read_to_end(&mut bzip2::read::MultiBzDecoder::new(first.as_slice()), &mut again).unwrap();
        assert!(back == again, "the same tar stream with or without the cache");
        // Another top folder (a bundle of another version): a.whl's bytes are not compressed
        // again; only the small chunks that name the folder are new.
        let before = cached();
        write_under("top-1.1", "renamed.tar.bz2", Some(&cache));
        let new: Vec<u64> = cached()
            .into_iter()
            .filter(|c| !before.contains(c))
            .map(|(_, len)| len)
            .collect();
        assert_eq!(new.len(), 3, "the folder, a.whl's header, b.whl: {new:?}");
        assert!(new.iter().all(|len| *len < 1000), "{new:?}");
        let chunks = cached().len();
        // A changed entry: one new chunk; a damaged chunk: compressed again, same bytes.
        std::fs::write(src.path().join("b.whl"), b"b2").unwrap();
        let changed = write("changed.tar.bz2", Some(&cache));
        assert_eq!(cached().len(), chunks + 1, "b.whl's chunk");
        for f in std::fs::read_dir(&cache).unwrap() {
            std::fs::write(f.unwrap().path(), b"garbage").unwrap();
        }
        assert_eq!(write("repaired.tar.bz2", Some(&cache)), changed);
    }

    #[test]
    fn a_zip_symlink_is_listed_with_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("links.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("top/ok.txt", options).unwrap();
        zip.write_all(b"fine").unwrap();
        zip.add_symlink("top/escape", "../../etc/passwd", options).unwrap();
        zip.finish().unwrap();
        let entries = list_entries(&path).unwrap();
        let link = entries.iter().find(|e| e.name == "top/escape").unwrap();
        assert_eq!(link.kind, EntryKind::Symlink);
        assert_eq!(link.link_target.as_deref(), Some("../../etc/passwd"));
        assert_eq!(
            entries.iter().find(|e| e.name == "top/ok.txt").unwrap().link_target,
            None
        );
    }

    #[test]
    fn zip_is_reproducible_and_rooted() {
        let src = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join("b.whl"), b"bbb").unwrap();
        std::fs::create_dir(src.path().join("sub")).unwrap();
        std::fs::write(src.path().join("sub/a.txt"), b"a").unwrap();
        let out = tempfile::tempdir().unwrap();
        let one = out.path().join("one.zip");
        let two = out.path().join("two.zip");
        write_archive(src.path(), "top", &one, ArchiveFormat::Zip, 1_795_255_200, None).unwrap();
        write_archive(src.path(), "top", &two, ArchiveFormat::Zip, 1_795_255_200, None).unwrap();
        assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&one).unwrap()).unwrap();
        let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
        assert_eq!(names, ["top/", "top/b.whl", "top/sub/", "top/sub/a.txt"]);
        let entry = zip.by_name("top/b.whl").unwrap();
        let t = entry.last_modified().unwrap();
        assert_eq!((t.year(), t.month(), t.day(), t.hour()), (2026, 11, 21, 10));
        assert_eq!(entry.unix_mode(), Some(0o100644));
    }
}
