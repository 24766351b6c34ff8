//! Target platforms: what a pip platform tag means, which archive formats exist, and whether
//! this host can build a platform's wheelhouse natively. Pure functions; no I/O.

use serde::{Deserialize, Serialize};

use crate::ops::archive::ArchiveFormat;

/// A target platform of the bundles, as the manifest's `[platforms.NAME]` table declares it.
#[derive(Debug, Clone)]
pub struct Platform {
    pub name: String,
    pub tags: Vec<String>,
    /// Where `tags` stands in the manifest, for messages.
    pub tags_at: String,
    pub os: TargetOs,
    /// `MAJOR.MINOR`.
    pub python: String,
    /// The oldest patch release of `python` the targets run (`python = "3.9.2"`: 2), else 0.
    pub oldest_patch: u32,
    pub implementation: String,
    pub abi: String,
    pub format: ArchiveFormat,
    /// `collect = "download"`: resolve and download even on a matching host.
    pub always_download: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetOs {
    Linux,
    Windows,
    Macos,
    /// Only `any`: pure wheels, fits every OS.
    Any,
}

impl Platform {
    /// The Python series the bundle is for, as the manifest names it: `3.11`, or `3.9.2`
    /// (3.9.2 and every later 3.9 release).
    pub fn series(&self) -> String {
        match self.oldest_patch {
            0 => self.python.clone(),
            patch => format!("{}.{patch}", self.python),
        }
    }

    /// The oldest Python release of the series: `3.11.0`, `3.9.2`.
    pub fn oldest(&self) -> String {
        format!("{}.{}", self.python, self.oldest_patch)
    }
}

impl TargetOs {
    /// The `sys.platform` value Python reports on this OS.
    pub fn sys_platform(self) -> &'static str {
        match self {
            Self::Linux | Self::Any => "linux",
            Self::Windows => "win32",
            Self::Macos => "darwin",
        }
    }
}

const LINUX_ARCHES: &[&str] = &[
    "x86_64",
    "i686",
    "aarch64",
    "armv7l",
    "armv6l",
    "ppc64le",
    "ppc64",
    "s390x",
    "riscv64",
    "loongarch64",
];
const MAC_ARCHES: &[&str] = &[
    "x86_64",
    "arm64",
    "universal2",
    "universal",
    "intel",
    "fat64",
    "fat32",
    "i386",
    "ppc64",
];

/// Check the shape of a pip platform tag and say which OS it is for. Catches typos such as
/// `win_amd46` or `manylinux2014-x86_64` before pip reports "no matching distribution".
pub fn classify_tag(tag: &str) -> Result<TargetOs, String> {
    let unknown = || {
        format!(
            "unknown platform tag {tag:?}: expected a pip platform tag such as \"manylinux2014_x86_64\", \
             \"manylinux_2_28_aarch64\", \"musllinux_1_2_x86_64\", \"linux_x86_64\", \"win_amd64\", \
             \"win32\", \"win_arm64\", \"macosx_11_0_arm64\" or \"any\""
        )
    };
    let numbered = |rest: &str, arches: &[&str]| -> bool {
        // MAJOR_MINOR_ARCH, where ARCH may itself contain `_` (x86_64).
        let mut parts = rest.splitn(3, '_');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), Some(arch)) => {
                a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok() && arches.contains(&arch)
            }
            _ => false,
        }
    };
    let os = if tag == "any" {
        TargetOs::Any
    } else if matches!(tag, "win32" | "win_amd64" | "win_arm64" | "win_ia64") {
        TargetOs::Windows
    } else if let Some(arch) = tag.strip_prefix("linux_") {
        if !LINUX_ARCHES.contains(&arch) {
            return Err(unknown());
        }
        TargetOs::Linux
    } else if let Some(rest) = tag
        .strip_prefix("manylinux_")
        .or_else(|| tag.strip_prefix("musllinux_"))
    {
        if !numbered(rest, LINUX_ARCHES) {
            return Err(unknown());
        }
        TargetOs::Linux
    } else if let Some(rest) = ["manylinux1_", "manylinux2010_", "manylinux2014_"]
        .iter()
        .find_map(|p| tag.strip_prefix(p))
    {
        if !LINUX_ARCHES.contains(&rest) {
            return Err(unknown());
        }
        TargetOs::Linux
    } else if let Some(rest) = tag.strip_prefix("macosx_") {
        if !numbered(rest, MAC_ARCHES) {
            return Err(unknown());
        }
        TargetOs::Macos
    } else {
        return Err(unknown());
    };
    Ok(os)
}

/// The machine architecture a tag names (`x86_64`, `amd64` → `x86_64`, ...), if any.
pub fn tag_arch(tag: &str) -> Option<&'static str> {
    let arch = match tag {
        "win32" => "x86",
        "win_amd64" => "x86_64",
        "win_arm64" => "aarch64",
        "any" => return None,
        _ => {
            let known = LINUX_ARCHES
                .iter()
                .chain(MAC_ARCHES)
                .find(|a| tag.ends_with(&format!("_{a}")))?;
            match *known {
                "arm64" => "aarch64",
                a => a,
            }
        }
    };
    Some(match arch {
        "x86_64" => "x86_64",
        "aarch64" => "aarch64",
        "x86" | "i686" | "i386" => "x86",
        other => LINUX_ARCHES
            .iter()
            .chain(MAC_ARCHES)
            .copied()
            .find(|a| *a == other)
            .unwrap_or("unknown"),
    })
}

/// Normalize `platform.machine()` spellings to the names [`tag_arch`] returns.
pub fn normalize_machine(machine: &str) -> String {
    match machine.to_ascii_lowercase().as_str() {
        "amd64" | "x86_64" | "x64" => "x86_64".into(),
        "arm64" | "aarch64" => "aarch64".into(),
        "i386" | "i686" | "x86" => "x86".into(),
        other => other.into(),
    }
}

/// The PEP 508 marker environment of a target platform, so that `sys_platform == "win32"`
/// and friends are evaluated for the target, not for the host.
pub fn marker_environment(p: &Platform) -> pep508_rs::MarkerEnvironment {
    let arch = p.tags.iter().find_map(|t| tag_arch(t)).unwrap_or("x86_64");
    let (sys_platform, system, os_name, machine) = match p.os {
        TargetOs::Windows => (
            "win32",
            "Windows",
            "nt",
            if arch == "x86_64" {
                "AMD64"
            } else if arch == "aarch64" {
                "ARM64"
            } else {
                "x86"
            },
        ),
        TargetOs::Macos => (
            "darwin",
            "Darwin",
            "posix",
            if arch == "aarch64" { "arm64" } else { arch },
        ),
        TargetOs::Linux | TargetOs::Any => ("linux", "Linux", "posix", arch),
    };
    let (implementation, python_implementation) = if p.implementation == "pp" {
        ("pypy", "PyPy")
    } else {
        ("cpython", "CPython")
    };
    let full = p.oldest();
    pep508_rs::MarkerEnvironment::try_from(pep508_rs::MarkerEnvironmentBuilder {
        implementation_name: implementation,
        implementation_version: &full,
        os_name,
        platform_machine: machine,
        platform_python_implementation: python_implementation,
        platform_release: "",
        platform_system: system,
        platform_version: "",
        python_full_version: &full,
        python_version: &p.python,
        sys_platform,
    })
    .expect("MAJOR.MINOR versions are checked when loading the manifest")
}

/// `(python, abi, platform)` tag sets of a wheel file name (`a.b` fields split on dots).
pub fn wheel_tags(file: &str) -> Option<(Vec<&str>, Vec<&str>, Vec<&str>)> {
    let stem = file.strip_suffix(".whl")?;
    let mut parts = stem.rsplitn(4, '-');
    let platform = parts.next()?;
    let abi = parts.next()?;
    let python = parts.next()?;
    parts.next()?;
    Some((
        python.split('.').collect(),
        abi.split('.').collect(),
        platform.split('.').collect(),
    ))
}

/// glibc (or musl) version and arch of a `manylinux*`/`musllinux_*` tag, with the legacy
/// aliases (`manylinux2014` = `manylinux_2_17`).
fn linux_policy(tag: &str) -> Option<(&'static str, (u32, u32), &str)> {
    for (prefix, version) in [
        ("manylinux1_", (2, 5)),
        ("manylinux2010_", (2, 12)),
        ("manylinux2014_", (2, 17)),
    ] {
        if let Some(arch) = tag.strip_prefix(prefix) {
            return Some(("manylinux", version, arch));
        }
    }
    for family in ["manylinux", "musllinux"] {
        if let Some(rest) = tag.strip_prefix(family).and_then(|r| r.strip_prefix('_')) {
            let mut it = rest.splitn(3, '_');
            let (a, b, arch) = (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?);
            return Some((
                if family == "manylinux" {
                    "manylinux"
                } else {
                    "musllinux"
                },
                (a, b),
                arch,
            ));
        }
    }
    None
}

/// The platform tags a target accepts, as pip would list them for its own host: each
/// `manylinux_2_Y` also accepts every older glibc (down to 2.5, with the legacy `manylinux2014`,
/// `manylinux2010` and `manylinux1` names), each `musllinux_1_Y` every older musl.
pub fn expand_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |t: String| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    for tag in tags {
        push(tag.clone());
        match linux_policy(tag) {
            Some(("manylinux", (2, max), arch)) => {
                for minor in (5..=max).rev() {
                    push(format!("manylinux_2_{minor}_{arch}"));
                    for (legacy, at) in [("manylinux2014", 17), ("manylinux2010", 12), ("manylinux1", 5)] {
                        if minor == at {
                            push(format!("{legacy}_{arch}"));
                        }
                    }
                }
            }
            Some(("musllinux", (1, max), arch)) => {
                for minor in (0..=max).rev() {
                    push(format!("musllinux_1_{minor}_{arch}"));
                }
            }
            _ => {
                if let Some((version, arch)) = mac_policy(tag) {
                    for t in mac_platforms(version, arch) {
                        push(t);
                    }
                }
            }
        }
    }
    out
}

/// macOS version and arch of a `macosx_X_Y_ARCH` tag.
fn mac_policy(tag: &str) -> Option<((u32, u32), &str)> {
    let rest = tag.strip_prefix("macosx_")?;
    let mut it = rest.splitn(3, '_');
    let (major, minor, arch) = (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?);
    Some(((major, minor), arch))
}

/// The macOS platform tags an interpreter on macOS `version` and `arch` accepts, newest
/// first, as `packaging.tags.mac_platforms` lists them: every older deployment target, the
/// `universal2` (and, on x86_64, `intel`/`fat64`/`fat32`/`universal`) binary formats.
fn mac_platforms((major, minor): (u32, u32), arch: &str) -> Vec<String> {
    fn formats((major, minor): (u32, u32), arch: &str) -> Vec<&str> {
        let mut f = vec![arch];
        if arch == "x86_64" {
            if (major, minor) < (10, 4) {
                return Vec::new();
            }
            f.extend(["intel", "fat64", "fat32"]);
        }
        if arch == "arm64" || arch == "x86_64" {
            f.push("universal2");
        }
        if arch == "x86_64" {
            f.push("universal");
        }
        f
    }
    let mut out = Vec::new();
    if major == 10 {
        for m in (0..=minor).rev() {
            out.extend(formats((10, m), arch).into_iter().map(|f| format!("macosx_10_{m}_{f}")));
        }
    } else if major >= 11 {
        for v in (11..=major).rev() {
            out.extend(formats((v, 0), arch).into_iter().map(|f| format!("macosx_{v}_0_{f}")));
        }
        for m in (4..=16).rev() {
            if arch == "x86_64" {
                out.extend(formats((10, m), arch).into_iter().map(|f| format!("macosx_10_{m}_{f}")));
            } else {
                out.push(format!("macosx_10_{m}_universal2"));
            }
        }
    }
    out
}

/// How uv's resolver is told a platform (`uv pip compile --python-platform TRIPLE`, and for
/// macOS the deployment target through `MACOSX_DEPLOYMENT_TARGET`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverTarget {
    pub triple: String,
    pub macos_deployment_target: Option<String>,
}

/// glibc minor versions uv has a `--python-platform` for (`x86_64-manylinux_2_Y`).
const UV_MANYLINUX: &[u32] = &[17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40];

/// The resolver target of a platform, or why the resolver cannot express it.
pub fn resolver_target(p: &Platform) -> Result<ResolverTarget, String> {
    resolvable_interpreter(p)
        .and_then(|()| resolver_arch(p))
        .and_then(|arch| match p.os {
            TargetOs::Windows => windows_target(arch),
            TargetOs::Macos => macos_target(p, arch),
            TargetOs::Linux | TargetOs::Any => linux_target(p, arch),
        })
        .map_err(|why| format!("platform {}: {why}", p.name))
}

/// A resolver target without a macOS deployment target.
fn plain_target(triple: String) -> Result<ResolverTarget, String> {
    Ok(ResolverTarget {
        triple,
        macos_deployment_target: None,
    })
}

/// Refuses interpreters other than CPython with its default ABI, which is all uv resolves for.
fn resolvable_interpreter(p: &Platform) -> Result<(), String> {
    if p.implementation != "cp" {
        return Err(format!(
            "the resolver (uv) resolves for CPython only, not implementation {:?}: build this platform on a matching host",
            p.implementation
        ));
    }
    let default_abi = format!("cp{}", p.python.replace('.', ""));
    if p.abi != default_abi {
        return Err(format!(
            "the resolver (uv) resolves for the default ABI {default_abi:?} only, not {:?}: build this platform on a matching host",
            p.abi
        ));
    }
    Ok(())
}

/// The one machine architecture the platform's tags name (x86_64 when none and not macOS).
fn resolver_arch(p: &Platform) -> Result<&'static str, String> {
    let arches: Vec<&str> = p
        .tags
        .iter()
        .filter(|t| *t != "any")
        .filter_map(|t| tag_arch(t))
        .filter(|a| !["universal2", "universal", "intel", "fat64", "fat32"].contains(a))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    match arches.as_slice() {
        [] if p.os == TargetOs::Macos => {
            Err("name the machine architecture in a tag (macosx_X_Y_arm64 or macosx_X_Y_x86_64); universal2 wheels fit either".into())
        }
        [] => Ok("x86_64"),
        [a] => Ok(a),
        _ => Err(format!("its tags name several architectures ({}): make one platform per architecture", arches.join(", "))),
    }
}

/// The Windows triple for `arch`.
fn windows_target(arch: &str) -> Result<ResolverTarget, String> {
    match arch {
        "x86_64" => plain_target("x86_64-pc-windows-msvc".into()),
        "aarch64" => plain_target("aarch64-pc-windows-msvc".into()),
        "x86" => plain_target("i686-pc-windows-msvc".into()),
        other => Err(format!("the resolver (uv) has no Windows target for {other}")),
    }
}

/// The macOS triple for `arch`, with the newest deployment target the tags name.
fn macos_target(p: &Platform, arch: &str) -> Result<ResolverTarget, String> {
    let Some(version) = p.tags.iter().filter_map(|t| mac_policy(t)).map(|(v, _)| v).max() else {
        return Err("a macOS platform needs a macosx_X_Y_ARCH tag".into());
    };
    let triple = match arch {
        "aarch64" => "aarch64-apple-darwin",
        "x86_64" => "x86_64-apple-darwin",
        other => return Err(format!("the resolver (uv) has no macOS target for {other}")),
    };
    Ok(ResolverTarget {
        triple: triple.into(),
        macos_deployment_target: Some(format!("{}.{}", version.0, version.1)),
    })
}

/// The manylinux or musllinux triple for `arch` from the newest glibc or musl tag.
fn linux_target(p: &Platform, arch: &str) -> Result<ResolverTarget, String> {
    if !matches!(arch, "x86_64" | "aarch64") {
        return Err(format!(
            "the resolver (uv) has manylinux and musllinux targets for x86_64 and aarch64 only, not {arch}: build this platform on a matching host"
        ));
    }
    let policies: Vec<(&str, (u32, u32))> = p
        .tags
        .iter()
        .filter_map(|t| linux_policy(t))
        .map(|(family, version, _)| (family, version))
        .collect();
    let musl = policies
        .iter()
        .filter(|(f, _)| *f == "musllinux")
        .map(|(_, v)| *v)
        .max();
    let glibc = policies
        .iter()
        .filter(|(f, _)| *f == "manylinux")
        .map(|(_, v)| *v)
        .max();
    match (glibc, musl) {
        (Some(_), Some(_)) => Err("its tags mix manylinux (glibc) and musllinux (musl): make one platform for each".into()),
        (None, Some((1, 2))) => plain_target(format!("{arch}-unknown-linux-musl")),
        (None, Some((a, b))) => Err(format!(
            "the resolver (uv) resolves musllinux for musl 1.2 only, not musllinux_{a}_{b}: use musllinux_1_2_{arch}"
        )),
        (Some((2, minor)), None) if UV_MANYLINUX.contains(&minor) => plain_target(format!("{arch}-manylinux_2_{minor}")),
        (Some((a, b)), None) => Err(format!(
            "the resolver (uv) has no target for manylinux_{a}_{b}; its newest glibc tag must be one of {}",
            UV_MANYLINUX.iter().map(|m| format!("manylinux_2_{m}")).collect::<Vec<_>>().join(", ")
        )),
        (None, None) if p.os == TargetOs::Any => plain_target(format!("{arch}-manylinux_2_17")),
        (None, None) => Err(format!(
            "a Linux platform resolved by uv needs a manylinux or musllinux tag (e.g. manylinux_2_28_{arch}) besides linux_{arch}"
        )),
    }
}

/// The target's platform tags in the order its installer prefers them (`packaging.tags`):
/// glibc, musl and macOS tags newest first (a modern `manylinux_2_Y` name before its legacy
/// alias), then the other tags (`linux_x86_64`, `win_amd64`) in manifest order.
fn preferred_platforms(p: &Platform) -> Vec<String> {
    let mut tags: Vec<(usize, String)> = expand_tags(&p.tags).into_iter().enumerate().collect();
    let key = |(i, tag): &(usize, String)| match (linux_policy(tag), mac_policy(tag)) {
        (Some((_, version, _)), _) => (
            0,
            std::cmp::Reverse(version),
            tag.starts_with("manylinux") && !tag.starts_with("manylinux_"),
            0,
        ),
        (None, Some((version, _))) => (0, std::cmp::Reverse(version), false, *i),
        (None, None) => (1, std::cmp::Reverse((0, 0)), false, *i),
    };
    tags.sort_by_key(key);
    tags.into_iter().map(|(_, t)| t).collect()
}

/// Every (python, abi, platform) tag the target accepts, most preferred first, as
/// `packaging.tags.sys_tags` lists them for CPython: its own ABI, `abi3`, `none` on each
/// platform; older `abi3`; `pyXY`/`py3` on each platform; then `any`.
pub fn tag_priority(p: &Platform) -> Vec<(String, String, String)> {
    let platforms = preferred_platforms(p);
    let (major, minor): (u32, u32) = {
        let mut it = p.python.split('.').map(|n| n.parse().unwrap_or(0));
        (it.next().unwrap_or(3), it.next().unwrap_or(0))
    };
    let own = format!("{}{major}{minor}", p.implementation);
    let mut out = Vec::new();
    let on_each = |py: &str, abi: &str, out: &mut Vec<(String, String, String)>| {
        for plat in &platforms {
            out.push((py.to_string(), abi.to_string(), plat.clone()));
        }
    };
    on_each(&own, &p.abi, &mut out);
    let cpython = p.implementation == "cp";
    if cpython {
        on_each(&own, "abi3", &mut out);
    }
    on_each(&own, "none", &mut out);
    if cpython {
        for m in (2..minor).rev() {
            on_each(&format!("cp{major}{m}"), "abi3", &mut out);
        }
    }
    let mut generic = vec![format!("py{major}{minor}"), format!("py{major}")];
    generic.extend((0..minor).rev().map(|m| format!("py{major}{m}")));
    for py in &generic {
        on_each(py, "none", &mut out);
    }
    out.push((own, "none".into(), "any".into()));
    for py in &generic {
        out.push((py.clone(), "none".into(), "any".into()));
    }
    out
}

/// The rank of a wheel for the target in `priority` ([`tag_priority`]; lower is preferred),
/// or `None` when none of its tags fits.
pub fn wheel_rank(file: &str, priority: &[(String, String, String)]) -> Option<usize> {
    let (pythons, abis, platforms) = wheel_tags(file)?;
    priority.iter().position(|(py, abi, plat)| {
        pythons.contains(&py.as_str()) && abis.contains(&abi.as_str()) && platforms.contains(&plat.as_str())
    })
}

/// Whether a wheel fits a target: some (python, abi, platform) combination of its tags is one
/// the target's interpreter accepts.
pub fn wheel_fits(file: &str, p: &Platform) -> Result<bool, String> {
    let (pythons, abis, platforms) = wheel_tags(file).ok_or_else(|| format!("{file} is not a wheel file name"))?;
    let (major, minor): (u32, u32) = {
        let mut it = p.python.split('.').map(|n| n.parse().unwrap_or(0));
        (it.next().unwrap_or(3), it.next().unwrap_or(0))
    };
    let mac = expand_tags(&p.tags);
    let platform_ok = |tag: &str| {
        tag == "any"
            || p.tags.iter().any(|t| t == tag)
            || (tag.starts_with("macosx_") && mac.iter().any(|t| t == tag))
            || match linux_policy(tag) {
                Some((family, version, arch)) => p
                    .tags
                    .iter()
                    .filter_map(|t| linux_policy(t))
                    .any(|(f, max, a)| f == family && a == arch && version <= max),
                None => false,
            }
    };
    let python_abi_ok = |py: &str, abi: &str| {
        let generic = py == format!("py{major}")
            || py
                .strip_prefix(&format!("py{major}"))
                .and_then(|m| m.parse::<u32>().ok())
                .is_some_and(|m| m <= minor);
        let own = format!("{}{major}{minor}", p.implementation);
        let older_abi3 = py
            .strip_prefix(&format!("{}{major}", p.implementation))
            .and_then(|m| m.parse::<u32>().ok())
            .is_some_and(|m| m <= minor);
        (generic && abi == "none")
            || (py == own && (abi == p.abi || abi == "none" || abi == "abi3"))
            || (older_abi3 && abi == "abi3")
    };
    Ok(platforms.iter().any(|pl| platform_ok(pl))
        && pythons.iter().any(|py| abis.iter().any(|abi| python_abi_ok(py, abi))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheels_rank_as_the_targets_installer_prefers_them() {
        let p = platform(
            &["manylinux2014_x86_64", "manylinux_2_28_x86_64", "linux_x86_64"],
            TargetOs::Linux,
        );
        let priority = tag_priority(&p);
        let rank = |f: &str| wheel_rank(f, &priority);
        let files = [
            "x-1-cp311-cp311-manylinux2014_x86_64.whl",
            "x-1-cp311-cp311-manylinux_2_28_x86_64.whl",
            "x-1-cp311-cp311-linux_x86_64.whl",
            "x-1-cp38-abi3-manylinux_2_28_x86_64.whl",
            "x-1-py3-none-any.whl",
        ];
        let mut sorted = files.to_vec();
        sorted.sort_by_key(|f| rank(f));
        assert_eq!(
            sorted,
            [
                "x-1-cp311-cp311-manylinux_2_28_x86_64.whl",
                "x-1-cp311-cp311-manylinux2014_x86_64.whl",
                "x-1-cp311-cp311-linux_x86_64.whl",
                "x-1-cp38-abi3-manylinux_2_28_x86_64.whl",
                "x-1-py3-none-any.whl",
            ]
        );
        assert_eq!(rank("x-1-cp311-cp311-win_amd64.whl"), None);
        assert_eq!(rank("x-1-cp312-cp312-manylinux_2_28_x86_64.whl"), None);
        assert!(
            rank("x-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
                < rank("x-1-cp311-cp311-manylinux_2_5_x86_64.manylinux1_x86_64.whl")
        );
    }

    #[test]
    fn classifies_real_tags_and_rejects_typos() {
        for (tag, os) in [
            ("manylinux2014_x86_64", TargetOs::Linux),
            ("manylinux_2_17_x86_64", TargetOs::Linux),
            ("musllinux_1_2_aarch64", TargetOs::Linux),
            ("linux_x86_64", TargetOs::Linux),
            ("win_amd64", TargetOs::Windows),
            ("win32", TargetOs::Windows),
            ("macosx_11_0_arm64", TargetOs::Macos),
            ("any", TargetOs::Any),
        ] {
            assert_eq!(classify_tag(tag), Ok(os), "{tag}");
        }
        for bad in [
            "win_amd46",
            "manylinux2014-x86_64",
            "manylinux_2_x86_64",
            "linux",
            "manylinux2014_x86",
            "",
        ] {
            assert!(classify_tag(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn arch_of_tags() {
        assert_eq!(tag_arch("manylinux_2_17_x86_64"), Some("x86_64"));
        assert_eq!(tag_arch("win_amd64"), Some("x86_64"));
        assert_eq!(tag_arch("macosx_11_0_arm64"), Some("aarch64"));
        assert_eq!(normalize_machine("AMD64"), "x86_64");
    }

    fn platform(tags: &[&str], os: TargetOs) -> Platform {
        Platform {
            name: "t".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            tags_at: "release-config.toml:1:1".into(),
            always_download: false,
            os,
            python: "3.11".into(),
            oldest_patch: 0,
            implementation: "cp".into(),
            abi: "cp311".into(),
            format: ArchiveFormat::TarBz2,
        }
    }

    #[test]
    fn wheels_fit_targets_by_their_compressed_tags() {
        let linux = platform(&["manylinux2014_x86_64", "manylinux_2_28_x86_64"], TargetOs::Linux);
        let windows = platform(&["win_amd64"], TargetOs::Windows);
        for (file, on_linux, on_windows) in [
            ("a-1.0-py3-none-any.whl", true, true),
            ("a-1.0-py2.py3-none-any.whl", true, true),
            (
                "pyyaml-6.0.3-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl",
                true,
                false,
            ),
            ("x-1-cp311-cp311-manylinux_2_34_x86_64.whl", false, false),
            ("x-1-cp311-cp311-manylinux_2_5_x86_64.whl", true, false),
            ("x-1-cp312-cp312-manylinux_2_17_x86_64.whl", false, false),
            ("x-1-cp38-abi3-manylinux_2_17_x86_64.whl", true, false),
            ("x-1-cp311-cp311-manylinux_2_17_aarch64.whl", false, false),
            ("x-1-cp311-cp311-win_amd64.whl", false, true),
            ("x-1-cp311-cp311-linux_x86_64.whl", false, false),
        ] {
            assert_eq!(wheel_fits(file, &linux).unwrap(), on_linux, "{file} on linux");
            assert_eq!(wheel_fits(file, &windows).unwrap(), on_windows, "{file} on windows");
        }
    }

    #[test]
    fn tags_widen_to_older_glibc_and_musl() {
        let tags = expand_tags(&["manylinux_2_28_x86_64".into(), "musllinux_1_2_x86_64".into()]);
        for t in [
            "manylinux_2_28_x86_64",
            "manylinux_2_17_x86_64",
            "manylinux2014_x86_64",
            "manylinux1_x86_64",
            "musllinux_1_0_x86_64",
        ] {
            assert!(tags.contains(&t.to_string()), "{t} in {tags:?}");
        }
        assert!(!tags.iter().any(|t| t == "manylinux_2_29_x86_64"));
        assert_eq!(tags[0], "manylinux_2_28_x86_64", "the newest first, as pip prefers");
    }

    #[test]
    fn markers_are_evaluated_for_the_target() {
        let windows = marker_environment(&platform(&["win_amd64"], TargetOs::Windows));
        let linux = marker_environment(&platform(&["manylinux2014_x86_64"], TargetOs::Linux));
        let req = |s: &str| {
            std::str::FromStr::from_str(s)
                .map(|r: pep508_rs::Requirement| r)
                .unwrap()
        };
        let colorama = req("colorama; sys_platform == 'win32'");
        let pty = req("ptyprocess; sys_platform != 'win32' and python_version >= '3.9'");
        assert!(colorama.evaluate_markers(&windows, &[]) && !colorama.evaluate_markers(&linux, &[]));
        assert!(!pty.evaluate_markers(&windows, &[]) && pty.evaluate_markers(&linux, &[]));
        assert!(req("x; platform_machine == 'AMD64' and os_name == 'nt'").evaluate_markers(&windows, &[]));
    }
}
