//! Fixture distributions: small but real wheels and sdists, with the metadata, tags and
//! requirements a test needs.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = if matches!(c, '_' | '.') {
            '-'
        } else {
            c.to_ascii_lowercase()
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out
}

/// A minimal but valid pure-Python wheel.
pub fn fake_wheel(dir: &Path, name: &str, version: &str, module: &str, body: &str, requires: &[&str]) -> PathBuf {
    fake_wheel_tagged(dir, name, version, module, body, requires, "py3-none-any")
}

/// An sdist (PEP 517, setuptools). With `native`, its setup.py declares a C extension, so the
/// wheel it builds is specific to the host.
pub fn fake_sdist(dir: &Path, name: &str, version: &str, module: &str, native: bool) -> PathBuf {
    fake_sdist_full(dir, name, version, module, native, None)
}

/// A pure sdist whose metadata declares `Requires-Python`.
pub fn fake_sdist_requiring_python(dir: &Path, name: &str, version: &str, module: &str, python: &str) -> PathBuf {
    fake_sdist_full(dir, name, version, module, false, Some(python))
}

fn fake_sdist_full(
    dir: &Path,
    name: &str,
    version: &str,
    module: &str,
    native: bool,
    requires_python: Option<&str>,
) -> PathBuf {
    let base = format!("{name}-{version}");
    let (project_rp, info_rp) = match requires_python {
        Some(rp) => (
            format!("requires-python = \"{rp}\"\n"),
            format!("Requires-Python: {rp}\n"),
        ),
        None => (String::new(), String::new()),
    };
    let path = dir.join(format!("{base}.tar.gz"));
    let setup = if native {
        format!("from setuptools import setup, Extension\nsetup(ext_modules=[Extension('{module}._speed', ['{module}/_speed.c'])])\n")
    } else {
        "from setuptools import setup\nsetup()\n".to_string()
    };
    let files = [
        ("pyproject.toml".to_string(), format!("[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"{name}\"\nversion = \"{version}\"\n{project_rp}\n[tool.setuptools]\npackages = [\"{module}\"]\n")),
        ("PKG-INFO".to_string(), format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{info_rp}")),
        ("setup.py".to_string(), setup),
        (format!("{module}/__init__.py"), String::new()),
        (format!("{module}/_speed.c"), "#include <Python.h>\nstatic struct PyModuleDef m = {PyModuleDef_HEAD_INIT, \"_speed\"};\nPyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&m); }\n".to_string()),
    ];
    let gz = flate2::write::GzEncoder::new(fs::File::create(&path).unwrap(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (file, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, format!("{base}/{file}"), content.as_bytes())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
    path
}

/// A minimal but valid wheel with the given `python-abi-platform` tags.
pub fn fake_wheel_tagged(
    dir: &Path,
    name: &str,
    version: &str,
    module: &str,
    body: &str,
    requires: &[&str],
    tags: &str,
) -> PathBuf {
    fake_wheel_with(dir, name, version, module, body, requires, tags, "")
}

/// An empty wheel with more METADATA header lines (`headers`, each ending in a newline).
pub fn fake_wheel_meta(
    dir: &Path,
    name: &str,
    version: &str,
    module: &str,
    requires: &[&str],
    tags: &str,
    headers: &str,
) -> PathBuf {
    fake_wheel_with(dir, name, version, module, "", requires, tags, headers)
}

#[allow(clippy::too_many_arguments)]
fn fake_wheel_with(
    dir: &Path,
    name: &str,
    version: &str,
    module: &str,
    body: &str,
    requires: &[&str],
    tags: &str,
    headers: &str,
) -> PathBuf {
    let dist = name.replace('-', "_");
    let path = dir.join(format!("{dist}-{version}-{tags}.whl"));
    let info = format!("{dist}-{version}.dist-info");
    let mut metadata =
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test fixture\n{headers}");
    for r in requires {
        if let Some(extra) = r.split("extra == \"").nth(1).and_then(|e| e.split('"').next()) {
            metadata.push_str(&format!("Provides-Extra: {extra}\n"));
        }
        metadata.push_str(&format!("Requires-Dist: {r}\n"));
    }
    let files = [
        (format!("{module}/__init__.py"), body.to_string()),
        (format!("{info}/METADATA"), metadata),
        (
            format!("{info}/WHEEL"),
            format!(
                "Wheel-Version: 1.0\nGenerator: xtask-tests\nRoot-Is-Purelib: {}\nTag: {tags}\n",
                tags == "py3-none-any"
            ),
        ),
    ];
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    let mut record = String::new();
    for (file, content) in &files {
        zip.start_file(file.as_str(), options).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
        record.push_str(&format!(
            "{file},sha256={},{}\n",
            record_hash(content.as_bytes()),
            content.len()
        ));
    }
    record.push_str(&format!("{info}/RECORD,,\n"));
    zip.start_file(format!("{info}/RECORD"), options).unwrap();
    zip.write_all(record.as_bytes()).unwrap();
    zip.finish().unwrap();
    path
}

/// A file's hash as a wheel's RECORD writes it: sha256, urlsafe base64 without padding.
fn record_hash(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let digest = sha2::Sha256::digest(bytes);
    let mut out = String::new();
    for chunk in digest.chunks(3) {
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
