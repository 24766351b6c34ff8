//! Nightly (dev) versions: the nightly number of a build (its UTC date and build number) and
//! the dev version it gives a plugin's current version.

use std::str::FromStr;

use anyhow::{bail, Result};
use pep440_rs::{Prerelease, Version};

/// The dev number of a nightly: `YYYYMMDD` followed by the build number in `digits` digits, so
/// that nightlies sort by date, then by build (a wider field only ever sorts later).
pub fn nightly_number(unix_time: i64, build_number: u64, digits: u32) -> Result<u64, String> {
    let limit = 10u64.pow(digits);
    if build_number >= limit {
        return Err(format!("does not fit in {digits} digits (0-{})", limit - 1));
    }
    let (y, m, d) = crate::ops::clock::civil_date(unix_time);
    Ok((y as u64 * 10_000 + m as u64 * 100 + d as u64) * limit + build_number)
}

/// The nightly version of a plugin currently at `current`: it sorts after `current` and before
/// the next release.
///
/// | current        | nightly                |
/// |----------------|------------------------|
/// | `1.4.0`        | `1.4.1.devN`           |
/// | `1.4.0.post2`  | `1.4.1.devN`           |
/// | `1.5.0b1`      | `1.5.0b2.devN`         |
/// | `1.5.0.dev0`   | `1.5.0.devN`           |
/// | `1.5.0rc1.dev3`| `1.5.0rc1.devN`        |
pub fn nightly(current: &Version, number: u64, local: Option<&str>) -> Result<Version> {
    let base = current.clone().without_local();
    let next = if base.is_dev() {
        base.with_dev(Some(number))
    } else if let Some(pre) = base.pre() {
        base.with_pre(Some(Prerelease {
            kind: pre.kind,
            number: pre.number + 1,
        }))
        .with_dev(Some(number))
    } else {
        let release = base.release();
        let mut parts: Vec<u64> = release
            .iter()
            .copied()
            .chain(std::iter::repeat(0))
            .take(release.len().max(3))
            .collect();
        parts.truncate(3);
        parts[2] += 1;
        Version::new(parts).with_epoch(base.epoch()).with_dev(Some(number))
    };
    let next = match local {
        Some(local) => Version::from_str(&format!("{next}+{local}"))
            .map_err(|e| anyhow::anyhow!("cannot add local version {local:?}: {e}"))?,
        None => next,
    };
    if next <= *current {
        bail!(
            "the nightly version {next} would not sort after the current version {current} \
             (a dev number from a later date or build?); set the version files to a lower dev number such as .dev0"
        );
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::from_str(s).unwrap()
    }

    #[test]
    fn nightly_numbers_carry_date_and_build() {
        assert_eq!(nightly_number(1_795_219_200 + 3600, 1, 3).unwrap(), 20_261_121_001);
        assert_eq!(nightly_number(1_795_219_200, 1234, 6).unwrap(), 20_261_121_001_234);
        assert!(nightly_number(0, 1000, 3).is_err());
        // Widening the field never makes a later nightly sort lower.
        assert!(nightly_number(1_795_219_200, 0, 6).unwrap() > nightly_number(1_795_219_200, 999, 3).unwrap());
    }

    #[test]
    fn nightlies_sort_between_current_and_next_release() {
        let n = 20_261_121_001;
        for (current, expected, next_release) in [
            ("1.4.0", "1.4.1.dev20261121001", "1.4.1"),
            ("1.4", "1.4.1.dev20261121001", "1.4.1"),
            ("1.4.0.post2", "1.4.1.dev20261121001", "1.4.1"),
            ("1.5.0b1", "1.5.0b2.dev20261121001", "1.5.0b2"),
            ("1.5.0.dev0", "1.5.0.dev20261121001", "1.5.0"),
            ("1.5.0rc1.dev3", "1.5.0rc1.dev20261121001", "1.5.0rc1"),
            ("1!2.0.0", "1!2.0.1.dev20261121001", "1!2.0.1"),
        ] {
            let got = nightly(&v(current), n, None).unwrap();
            assert_eq!(got.to_string(), expected);
            assert!(got > v(current), "{got} > {current}");
            assert!(got < v(next_release), "{got} < {next_release}");
        }
        assert_eq!(
            nightly(&v("1.4.0"), n, Some("gabc1234")).unwrap().to_string(),
            "1.4.1.dev20261121001+gabc1234"
        );
        let err = nightly(&v("1.5.0.dev20270101000"), n, None).unwrap_err().to_string();
        assert!(
            err.contains("would not sort after the current version 1.5.0.dev20270101000"),
            "{err}"
        );
    }
}
