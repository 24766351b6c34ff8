//! Proofs about every wheel before any of its code can run: each file in the wheel has the
//! sha256 and size its `RECORD` gives, `RECORD` lists every file and no file that is missing,
//! and `METADATA`'s `Name` and `Version` are those of the wheel's file name and of its
//! `manifest.json` entry. pip checks none of this on install, so a wheel whose code was changed
//! after it was built (and its bundle re-hashed) would otherwise be installed and imported.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use super::bundle_manifest::ManifestFile;
use super::report::Log;
use crate::manifest::normalize_name;

/// Every problem of every wheel; says how many were proven.
pub fn prove_wheels(dir: &Path, wheels: &[&ManifestFile], log: &mut Log) -> Vec<String> {
    let mut problems = Vec::new();
    let mut proven = 0;
    for w in wheels {
        match prove_wheel(&dir.join(&w.file), w) {
            Ok(found) if found.is_empty() => proven += 1,
            Ok(found) => problems.extend(found.into_iter().map(|p| format!("{}: {p}", w.file))),
            Err(e) => problems.push(format!("{}: not a readable wheel ({e:#})", w.file)),
        }
    }
    log.say(format!(
        "wheel contents: {proven} of {} match their RECORD and the name and version manifest.json gives",
        wheels.len()
    ));
    problems
}

/// The problems of one wheel.
fn prove_wheel(path: &Path, listed: &ManifestFile) -> Result<Vec<String>> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path)?)?;
    let mut problems = Vec::new();
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()?;
    let dist_infos: BTreeSet<&str> = names
        .iter()
        .filter_map(|n| n.split_once('/').map(|(top, _)| top))
        .filter(|top| top.ends_with(".dist-info"))
        .collect();
    let [dist_info] = dist_infos.into_iter().collect::<Vec<_>>()[..] else {
        return Ok(vec!["holds no single top-level .dist-info folder".to_string()]);
    };
    let record_name = format!("{dist_info}/RECORD");
    let Some(record) = read_text(&mut zip, &record_name)? else {
        return Ok(vec![format!("has no {record_name}")]);
    };
    let record = match parse_record(&record) {
        Ok(r) => r,
        Err(e) => return Ok(vec![format!("{record_name}: {e}")]),
    };
    problems.extend(check_record(&mut zip, &record_name, &record)?);
    let metadata_name = format!("{dist_info}/METADATA");
    match read_text(&mut zip, &metadata_name)? {
        None => problems.push(format!("has no {metadata_name}")),
        Some(metadata) => problems.extend(check_identity(&metadata, listed)),
    }
    Ok(problems)
}

/// One `RECORD` line: the file's `sha256=` hash (urlsafe base64, no padding) and size, both
/// empty for `RECORD` itself.
type Record = BTreeMap<String, (Option<String>, Option<u64>)>;

/// Every file against its `RECORD` line, and every line against the files.
fn check_record(zip: &mut zip::ZipArchive<std::fs::File>, record_name: &str, record: &Record) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name()?.into_owned();
        seen.insert(name.clone());
        // RECORD cannot hash itself; its signatures (PEP 427) are not listed either.
        if name == record_name || name == format!("{record_name}.jws") || name == format!("{record_name}.p7s") {
            continue;
        }
        let Some((hash, size)) = record.get(&name) else {
            problems.push(format!("{name} is not listed in its RECORD"));
            continue;
        };
        let Some(hash) = hash else {
            problems.push(format!("{name} has no hash in its RECORD"));
            continue;
        };
        let (actual, length) = sha256_b64(&mut entry).with_context(|| format!("read {name}"))?;
        if &actual != hash || size.is_some_and(|s| s != length) {
            problems.push(format!(
                "{name} does not match its RECORD hash or size: the wheel was changed after it was built"
            ));
        }
    }
    for name in record.keys().filter(|n| !seen.contains(*n)) {
        problems.push(format!("its RECORD lists {name}, which the wheel does not hold"));
    }
    Ok(problems)
}

/// `METADATA`'s `Name` and `Version` against the wheel's file name and `manifest.json`.
fn check_identity(metadata: &str, listed: &ManifestFile) -> Vec<String> {
    let header = |key: &str| {
        metadata
            .lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(':')))
            .map(|v| v.trim().to_string())
    };
    let (Some(name), Some(version)) = (header("Name"), header("Version")) else {
        return vec!["its METADATA has no Name or no Version".to_string()];
    };
    let mut parts = listed.file.trim_end_matches(".whl").splitn(3, '-');
    let (file_name, file_version) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let same_version = |a: &str, b: &str| match (crate::versions::parse(a), crate::versions::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    let mut problems = Vec::new();
    for (what, claimed_name, claimed_version) in [
        ("its file name", file_name, file_version),
        ("manifest.json", listed.name.as_str(), listed.version.as_str()),
    ] {
        if normalize_name(claimed_name) != normalize_name(&name) || !same_version(claimed_version, &version) {
            problems.push(format!(
                "its METADATA says {name} {version}, but {what} says {claimed_name} {claimed_version}"
            ));
        }
    }
    problems
}

/// A member of the wheel as UTF-8 text, if the wheel has it.
fn read_text(zip: &mut zip::ZipArchive<std::fs::File>, name: &str) -> Result<Option<String>> {
    let Ok(mut entry) = zip.by_name(name) else {
        return Ok(None);
    };
    let mut text = String::new();
    entry
        .read_to_string(&mut text)
        .with_context(|| format!("{name} is not UTF-8 text"))?;
    Ok(Some(text))
}

/// `RECORD` as CSV (PEP 376): `path,sha256=HASH,size`, fields quoted when they hold a comma.
fn parse_record(text: &str) -> Result<Record, String> {
    let mut record = Record::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let fields = csv_fields(line);
        let [path, hash, size] = &fields[..] else {
            return Err(format!("line {} has {} fields, not 3", n + 1, fields.len()));
        };
        let hash = match hash.as_str() {
            "" => None,
            h => match h.strip_prefix("sha256=") {
                Some(h) => Some(h.to_string()),
                None => return Err(format!("line {}: {h:?} is not a sha256 hash", n + 1)),
            },
        };
        let size = match size.as_str() {
            "" => None,
            s => Some(
                s.parse()
                    .map_err(|_| format!("line {}: size {s:?} is not a number", n + 1))?,
            ),
        };
        if record.insert(path.clone(), (hash, size)).is_some() {
            return Err(format!("line {}: {path} is listed twice", n + 1));
        }
    }
    Ok(record)
}

/// The fields of one CSV line (`"` quotes, `""` a quote inside them).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("one field").push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

/// The sha256 of what `reader` gives, as RECORD writes it (urlsafe base64, no padding), and
/// its length.
fn sha256_b64(reader: &mut impl Read) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = [0u8; 64 * 1024];
    let mut length = 0;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        length += n as u64;
    }
    Ok((base64_urlsafe(&hasher.finalize()), length))
}

/// Urlsafe base64 without padding (RFC 4648 §5), as wheels' RECORD files write hashes.
fn base64_urlsafe(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_written_as_record_writes_them() {
        // python3 -c "import base64,hashlib; print(base64.urlsafe_b64encode(hashlib.sha256(b'x').digest()).rstrip(b'='))"
        let (hash, len) = sha256_b64(&mut &b"x"[..]).unwrap();
        assert_eq!(hash, "LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE");
        assert_eq!(len, 1);
        assert_eq!(base64_urlsafe(b""), "");
        assert_eq!(base64_urlsafe(b"f"), "Zg");
        assert_eq!(base64_urlsafe(b"fo"), "Zm8");
        assert_eq!(base64_urlsafe(b"foo"), "Zm9v");
        assert_eq!(base64_urlsafe(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn record_lines_are_csv() {
        let record = parse_record("a/b.py,sha256=abc,12\n\"c,d.py\",sha256=x,1\nx-1.dist-info/RECORD,,\n").unwrap();
        assert_eq!(record["a/b.py"], (Some("abc".to_string()), Some(12)));
        assert_eq!(record["c,d.py"], (Some("x".to_string()), Some(1)));
        assert_eq!(record["x-1.dist-info/RECORD"], (None, None));
        assert!(parse_record("a.py,md5=abc,1\n")
            .unwrap_err()
            .contains("not a sha256 hash"));
        assert!(parse_record("a.py,sha256=abc\n").unwrap_err().contains("2 fields"));
        assert!(parse_record("a.py,,\na.py,,\n").unwrap_err().contains("listed twice"));
    }
}
