//! Target platforms: what a pip platform tag means, which archive formats exist, and whether
//! this host can build a platform's wheelhouse natively. Pure functions; no I/O.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetOs {
    Linux,
    Windows,
    Macos,
    /// Only `any`: pure wheels, fits every OS.
    Any,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArchiveFormat {
    #[serde(rename = "tar.bz2")]
    TarBz2,
    #[serde(rename = "zip")]
    Zip,
}

impl ArchiveFormat {
    pub const NAMES: &'static [&'static str] = &["tar.bz2", "zip"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "tar.bz2" => Some(Self::TarBz2),
            "zip" => Some(Self::Zip),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::TarBz2 => "tar.bz2",
            Self::Zip => "zip",
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
