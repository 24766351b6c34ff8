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
    if p.tags.get_ref().is_empty() {
        problems.push(
            src.at_spanned(&p.tags),
            "`tags` must list at least one pip platform tag, e.g. \"win_amd64\"",
        );
    }
    let mut oses = Vec::new();
    for tag in p.tags.get_ref() {
        match crate::python::platform::classify_tag(tag.get_ref()) {
            Ok(os) => oses.push(os),
            Err(e) => problems.push(src.at_spanned(tag), e),
        }
    }
    oses.dedup();
    let os = match oses.as_slice() {
        [os] => Some(*os),
        [] => None,
        _ => {
            problems.push(
                src.at_spanned(&p.tags),
                "all tags of one platform must be for the same operating system",
            );
            None
        }
    };

    let python_at = src.at_spanned(&p.python);
    let python = p.python.into_inner();
    let mut parts = python.split('.');
    let valid_python = matches!((parts.next(), parts.next(), parts.next()),
        (Some(a), Some(b), None) if a.parse::<u8>().is_ok() && b.parse::<u8>().is_ok());
    if !valid_python {
        problems.push(
            python_at,
            format!("python {python:?} must be MAJOR.MINOR, e.g. \"3.11\""),
        );
    }
    let implementation = match p.implementation {
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
    };
    let abi = match p.abi {
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
    };
    let format = match p.format {
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
    };
    let always_download = match p.collect {
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
    };
    if problems.0.len() > before {
        return None;
    }
    Some(Platform {
        name,
        tags_at: src.at_spanned(&p.tags).to_string(),
        tags: p.tags.into_inner().into_iter().map(Spanned::into_inner).collect(),
        os: os?,
        python,
        implementation,
        abi,
        format,
        always_download,
    })
}
