//! The platforms phase: which platforms a run builds, how each collects its wheels (natively
//! with pip on a matching host, else by download for the target), and the public
//! requirements' checks.

use std::str::FromStr;

use anyhow::Result;

use super::types::{PlanOptions, PlannedPlatform, WheelhouseStrategy};
use crate::manifest::workspace::Workspace;
use crate::manifest::{render, Manifest, Platform};
use crate::python::platform::{tag_arch, TargetOs};
use crate::python::plugins::Plugin;
use crate::python::toolchain::{self, Tools};

/// `{os}`, `{arch}`, `{bits}` of archive names: `Windows`, `amd64`, `64`.
/// The top-level folder of a bundle, and its archive's name without the extension: `[release]
/// archive-name` for a release, version and platform (`None`: the sources bundle).
pub fn bundle_folder(manifest: &Manifest, release: &str, version: &str, platform: Option<&Platform>) -> String {
    let (name, (os, arch, bits)) = match platform {
        Some(p) => (
            p.name.as_str(),
            name_parts(p.os, p.tags.iter().find_map(|t| tag_arch(t))),
        ),
        None => ("sources", ("sources", "noarch", "0")),
    };
    render(
        &manifest.release.archive_name,
        &[
            ("release", release),
            ("version", version),
            ("platform", name),
            ("os", os),
            ("arch", arch),
            ("bits", bits),
        ],
    )
}

fn name_parts(os: TargetOs, arch: Option<&str>) -> (&'static str, &'static str, &'static str) {
    let os = match os {
        TargetOs::Windows => "Windows",
        TargetOs::Linux => "Linux",
        TargetOs::Macos => "macOS",
        TargetOs::Any => "any",
    };
    let (arch, bits) = match arch {
        Some("x86_64") => ("amd64", "64"),
        Some("aarch64") => ("arm64", "64"),
        Some("x86") => ("x86", "32"),
        Some("armv7l") | Some("armv6l") => ("arm", "32"),
        Some("ppc64le") => ("ppc64le", "64"),
        Some("s390x") => ("s390x", "64"),
        _ => ("noarch", "0"),
    };
    (os, arch, bits)
}

/// The selected platforms with their archive names and how each is collected (the host's
/// pip, or resolved for the target and downloaded).
pub fn plan_platforms(
    ws: &Workspace,
    opts: &PlanOptions,
    tools: Option<&Tools>,
    release_name: &str,
    version_text: &str,
    problems: &mut Vec<String>,
) -> Vec<PlannedPlatform> {
    let selected = select_platforms(ws, opts, problems);
    let mut platforms = Vec::new();
    for p in selected {
        let strategy = match tools {
            Some(tools) if !p.always_download && check_native(p, &tools.python).is_ok() => WheelhouseStrategy::Host,
            _ => WheelhouseStrategy::Download,
        };
        if strategy == WheelhouseStrategy::Download {
            if let Err(why) = crate::python::platform::resolver_target(p) {
                problems.push(format!("{}: {why}", p.tags_at));
            }
        }
        let folder = bundle_folder(&ws.manifest, release_name, version_text, Some(p));
        platforms.push(PlannedPlatform {
            name: p.name.clone(),
            tags: p.tags.clone(),
            os: p.os,
            python: p.series(),
            implementation: p.implementation.clone(),
            abi: p.abi.clone(),
            format: p.format,
            archive: format!("{folder}.{}", p.format.extension()),
            folder,
            strategy,
        });
    }
    platforms
}

/// Whether uv resolves the platform (a lock, public wheels from the wheel store); the others
/// are host platforms collected by `pip wheel`.
pub fn resolved_by_uv(ws: &Workspace, p: &PlannedPlatform) -> bool {
    ws.manifest
        .platform(&p.name)
        .is_some_and(|m| crate::python::platform::resolver_target(m).is_ok())
}

/// `[public]`: every `${VAR}` in its URLs is set, and no requirement names a plugin.
pub fn check_public(ws: &Workspace, plugins: &[Plugin], problems: &mut Vec<String>) {
    let public = &ws.manifest.public;
    for url in std::iter::once(&public.index_url)
        .chain(&public.extra_index_urls)
        .chain(&public.find_links)
    {
        for var in toolchain::unset_env_refs(&url.value) {
            problems.push(format!(
                "{}: environment variable {var} is not set (used as ${{{var}}}): export it",
                url.at
            ));
        }
    }
    let plugin_names: Vec<&str> = plugins.iter().map(|p| p.normalized.as_str()).collect();
    for req in &ws.manifest.public.requirements {
        if let Ok(r) = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(req) {
            if plugin_names.contains(&r.name.as_ref()) {
                problems.push(format!(
                    "{}: [public] requirement {req:?} names the plugin {}; plugins are always included, remove it",
                    ws.manifest_shown(),
                    r.name
                ));
            }
        }
    }
}

pub fn select_platforms<'a>(
    ws: &'a Workspace,
    opts: &PlanOptions,
    problems: &mut Vec<String>,
) -> Vec<&'a crate::manifest::Platform> {
    if opts.platforms.is_empty() {
        return ws.manifest.platforms.iter().collect();
    }
    let mut out = Vec::new();
    for name in &opts.platforms {
        match ws.manifest.platform(name) {
            Some(p) => {
                if !out.iter().any(|o: &&crate::manifest::Platform| o.name == p.name) {
                    out.push(p);
                }
            }
            None => {
                let known: Vec<&str> = ws.manifest.platforms.iter().map(|p| p.name.as_str()).collect();
                problems.push(format!(
                    "--platform {name}: no such platform in {} (known: {})",
                    ws.manifest_shown(),
                    known.join(", ")
                ));
            }
        }
    }
    out
}

/// Bundles are built with the host's pip, so the host must be the target.
/// The C library the Linux tags of a platform need, when they all agree: `musl` for
/// `musllinux_*` only, `glibc` for `manylinux*`/`linux_*` only.
fn target_libc(tags: &[String]) -> Option<&'static str> {
    let musl = tags.iter().any(|t| t.starts_with("musllinux"));
    let glibc = tags
        .iter()
        .any(|t| t.starts_with("manylinux") || t.starts_with("linux_"));
    match (musl, glibc) {
        (true, false) => Some("musl"),
        (false, true) => Some("glibc"),
        _ => None,
    }
}

pub fn check_native(p: &crate::manifest::Platform, host: &toolchain::Python) -> Result<(), String> {
    let host_impl = match host.implementation.as_str() {
        "cpython" => "cp",
        "pypy" => "pp",
        other => other,
    };
    let target_arch = p.tags.iter().find_map(|t| tag_arch(t));
    let mut mismatch = Vec::new();
    if p.os != TargetOs::Any && p.os.sys_platform() != host.sys_platform {
        mismatch.push(format!("OS {} (host: {})", p.os.sys_platform(), host.sys_platform));
    }
    if p.python != host.major_minor || p.implementation != host_impl {
        mismatch.push(format!(
            "{}{} (host: {host_impl}{} at {})",
            p.implementation,
            p.python,
            host.major_minor,
            host.path.display()
        ));
    }
    let host_patch: u32 = host
        .version
        .split('.')
        .nth(2)
        .map(|p| p.chars().take_while(char::is_ascii_digit).collect::<String>())
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    if p.python == host.major_minor && host_patch < p.oldest_patch {
        mismatch.push(format!("Python {} or later (host: {})", p.oldest(), host.version));
    }
    if let Some(arch) = target_arch {
        if arch != host.machine {
            mismatch.push(format!("architecture {arch} (host: {})", host.machine));
        }
    }
    // A musllinux platform is no glibc host's, nor a manylinux one a musl host's.
    if let Some(libc) = target_libc(&p.tags).filter(|l| !host.libc.is_empty() && *l != host.libc) {
        mismatch.push(format!("the C library {libc} (host: {})", host.libc));
    }
    if mismatch.is_empty() {
        return Ok(());
    }
    Err(format!(
        "platform {} cannot be built on this host: it needs {}. Bundles are built with this host's Python; \
         build it on a matching machine (or point [python] interpreter / XTASK_PYTHON at a matching Python), \
         or leave it out with --platform",
        p.name,
        mismatch.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A platform that names the oldest patch release its targets run is not this host's when
    /// this host runs an older one: what it installs may refuse that host's Python.
    #[test]
    fn a_host_older_than_the_platform_s_oldest_patch_release_is_not_its_host() {
        let platform = |oldest_patch| Platform {
            name: "linux".into(),
            tags: vec!["manylinux_2_28_x86_64".into()],
            tags_at: String::new(),
            os: TargetOs::Linux,
            python: "3.9".into(),
            oldest_patch,
            implementation: "cp".into(),
            abi: "cp39".into(),
            format: crate::ops::archive::ArchiveFormat::TarBz2,
            always_download: false,
        };
        let host = toolchain::Python {
            path: "/usr/bin/python3".into(),
            version: "3.9.1".into(),
            major_minor: "3.9".into(),
            implementation: "cpython".into(),
            sys_platform: "linux".into(),
            machine: "x86_64".into(),
            libc: "glibc".into(),
        };
        assert_eq!(check_native(&platform(0), &host), Ok(()));
        assert_eq!(check_native(&platform(1), &host), Ok(()));
        let err = check_native(&platform(2), &host).unwrap_err();
        assert!(err.contains("it needs Python 3.9.2 or later (host: 3.9.1)"), "{err}");
    }
}
