//! A `[platforms.NAME]` table: its pip platform tags (one operating system), Python version,
//! implementation, ABI, archive format and collection strategy.

use toml::Spanned;

use super::schema::RawPlatform;
use super::source::{Problems, Source};
use crate::ops::archive::ArchiveFormat;
use crate::python::platform::Platform;
use crate::python::platform::TargetOs;

pub fn resolve_platform(
    name: Spanned<String>,
    p: RawPlatform,
    src: &Source,
    problems: &mut Problems,
) -> Option<Platform> {
    let name_at = src.at_spanned(&name);
    let name = name.into_inner();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        problems.push(
            name_at.clone(),
            "platform names may use letters, digits, `-` and `_` only",
        );
    }
    let before = problems.0.len();
    let os = target_os(&p.tags, src, problems);
    let python_at = src.at_spanned(&p.python);
    let series = p.python.into_inner();
    check_python(&series, python_at, problems);
    let (python, oldest_patch) = match series.splitn(3, '.').collect::<Vec<_>>()[..] {
        [major, minor, patch] => (format!("{major}.{minor}"), patch.parse().unwrap_or(0)),
        _ => (series.clone(), 0),
    };
    let implementation = implementation(p.implementation, src, problems);
    let abi = abi(p.abi, &implementation, &python, src, problems);
    let format = archive_format(p.format, os, src, problems);
    let always_download = always_download(p.collect, src, problems);
    if problems.0.len() > before {
        return None;
    }
    Some(Platform {
        name,
        tags_at: src.at_spanned(&p.tags).to_string(),
        tags: p.tags.into_inner().into_iter().map(Spanned::into_inner).collect(),
        os: os?,
        python,
        oldest_patch,
        implementation,
        abi,
        format,
        always_download,
    })
}

/// The one operating system every tag of the platform is for.
fn target_os(tags: &Spanned<Vec<Spanned<String>>>, src: &Source, problems: &mut Problems) -> Option<TargetOs> {
    if tags.get_ref().is_empty() {
        problems.push(
            src.at_spanned(tags),
            "`tags` must list at least one pip platform tag, e.g. \"win_amd64\"",
        );
    }
    let mut oses = Vec::new();
    for tag in tags.get_ref() {
        match crate::python::platform::classify_tag(tag.get_ref()) {
            Ok(os) => oses.push(os),
            Err(e) => problems.push(src.at_spanned(tag), e),
        }
    }
    oses.dedup();
    match oses.as_slice() {
        [os] => Some(*os),
        [] => None,
        _ => {
            problems.push(
                src.at_spanned(tags),
                "all tags of one platform must be for the same operating system",
            );
            None
        }
    }
}

/// `python` is `MAJOR.MINOR`, or `MAJOR.MINOR.PATCH` for the oldest patch release the
/// targets run.
fn check_python(python: &str, at: String, problems: &mut Problems) {
    let parts: Vec<&str> = python.split('.').collect();
    let valid_python = (2..=3).contains(&parts.len()) && parts.iter().all(|p| p.parse::<u8>().is_ok());
    if !valid_python {
        problems.push(
            at,
            format!(
                "python {python:?} must be MAJOR.MINOR, e.g. \"3.11\", or MAJOR.MINOR.PATCH for the oldest patch release the targets run, e.g. \"3.9.2\""
            ),
        );
    } else if !python.starts_with("3.") {
        problems.push(
            at,
            format!(
                "python {python:?}: bundles are built and installed with Python 3; name a version such as \"3.11\""
            ),
        );
    }
}

/// `implementation`: `cp` (the default) or `pp`.
fn implementation(implementation: Option<Spanned<String>>, src: &Source, problems: &mut Problems) -> String {
    match implementation {
        None => "cp".to_string(),
        Some(i) => {
            if !["cp", "pp"].contains(&i.get_ref().as_str()) {
                problems.push(
                    src.at_spanned(&i),
                    format!(
                        "implementation {:?} must be \"cp\" (CPython) or \"pp\" (PyPy)",
                        i.get_ref()
                    ),
                );
            }
            i.into_inner()
        }
    }
}

/// `abi`: an ABI tag, by default the implementation's for the Python version (`cp311`).
fn abi(
    abi: Option<Spanned<String>>,
    implementation: &str,
    python: &str,
    src: &Source,
    problems: &mut Problems,
) -> String {
    match abi {
        Some(a) => {
            let valid = !a.get_ref().is_empty()
                && a.get_ref()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                problems.push(
                    src.at_spanned(&a),
                    format!(
                        "abi {:?} is not an ABI tag: write one such as \"cp311\", \"abi3\" or \"none\"",
                        a.get_ref()
                    ),
                );
            }
            a.into_inner()
        }
        None => format!("{implementation}{}", python.replace('.', "")),
    }
}

/// `format`: an archive format, by default zip for Windows and tar.bz2 elsewhere.
fn archive_format(
    format: Option<Spanned<String>>,
    os: Option<TargetOs>,
    src: &Source,
    problems: &mut Problems,
) -> ArchiveFormat {
    match format {
        None => match os {
            Some(TargetOs::Windows) => ArchiveFormat::Zip,
            _ => ArchiveFormat::TarBz2,
        },
        Some(f) => match ArchiveFormat::from_name(f.get_ref()) {
            Some(format) => format,
            None => {
                problems.push(
                    src.at_spanned(&f),
                    format!(
                        "unknown archive format {:?}, expected one of {}",
                        f.get_ref(),
                        ArchiveFormat::NAMES.join(", ")
                    ),
                );
                ArchiveFormat::TarBz2
            }
        },
    }
}

/// `collect`: `auto` (the default) or `download`.
fn always_download(collect: Option<Spanned<String>>, src: &Source, problems: &mut Problems) -> bool {
    match collect {
        None => false,
        Some(c) => match c.get_ref().as_str() {
            "auto" => false,
            "download" => true,
            other => {
                problems.push(
                    src.at_spanned(&c),
                    format!("collect {other:?} must be \"auto\" (pip wheel on a matching host, else download) or \"download\""),
                );
                false
            }
        },
    }
}
