//! PEP 440 versions: parsing with context, and the nightly (dev) versions derived from a
//! plugin's current version. Ordering is pep440_rs's, which follows PEP 440 (not SemVer).

pub mod changelog;
pub mod edits;
pub mod files;
pub mod units;

use std::str::FromStr;

use anyhow::{bail, Result};
use pep440_rs::{Operator, Prerelease, PrereleaseKind, Version, VersionSpecifier, VersionSpecifiers};

pub fn parse(text: &str) -> Result<Version, String> {
    Version::from_str(text.trim()).map_err(|e| format!("{:?} is not a PEP 440 version ({e})", text.trim()))
}

/// Whether `version` satisfies `specifiers`, exactly as `packaging` judges it with
/// `SpecifierSet.contains(version, prereleases=True)`, which is how pip checks a candidate
/// against a requirement (whether pre-releases are *chosen* is pip's and uv's selection
/// policy; once chosen, `>=0.4b0,<0.6b0` admits `0.5b0.dev0`). The one test of a version
/// against a specifier: collection, `verify`, pins and prechecks all call it. Checked against
/// `packaging` on a generated corpus (`xtask/tests/versions.rs`).
pub fn satisfies(specifiers: &VersionSpecifiers, version: &Version) -> bool {
    specifiers.iter().all(|s| specifier_contains(s, version))
}

/// One specifier, as `packaging.specifiers.Specifier.contains(v, prereleases=True)`. The
/// ordered comparisons follow packaging's `_compare_*` functions; pep440_rs differs there
/// (it refuses `0.6b0.dev1` for `<0.6b0`, and admits `1.0+local` for `>1.0a1`), and agrees on
/// the others.
fn specifier_contains(spec: &VersionSpecifier, v: &Version) -> bool {
    let target = spec.version();
    // `base_version`: epoch and release only.
    let same_base = || v.only_release().with_epoch(v.epoch()) == target.only_release().with_epoch(target.epoch());
    match spec.operator() {
        Operator::LessThan => v < target && !(!target.any_prerelease() && v.any_prerelease() && same_base()),
        Operator::GreaterThan => {
            v > target && !(!target.is_post() && v.is_post() && same_base()) && !(v.is_local() && same_base())
        }
        Operator::LessThanEqual => v.clone().without_local() <= *target,
        Operator::GreaterThanEqual => v.clone().without_local() >= *target,
        _ => spec.contains(v),
    }
}

/// For the corpus test (`xtask __satisfies`): each stdin line `VERSION<TAB>SPECIFIERS` gives
/// `true`, `false`, or `invalid` (either does not parse) on stdout.
pub fn satisfies_lines(input: &str) -> String {
    let mut out = String::new();
    for line in input.lines() {
        let (version, spec) = line.split_once('\t').unwrap_or((line, ""));
        let answer = match (Version::from_str(version), VersionSpecifiers::from_str(spec)) {
            (Ok(v), Ok(s)) => satisfies(&s, &v).to_string(),
            _ => "invalid".to_string(),
        };
        out.push_str(&answer);
        out.push('\n');
    }
    out
}

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

/// How `bump` moves a version forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bump {
    Major,
    Minor,
    Patch,
    Alpha,
    Beta,
    Rc,
    Post,
    Dev,
    /// Finish a pre-release or dev version: `1.3.0rc1` → `1.3.0`.
    Release,
    /// An exact version.
    To(Version),
}

impl std::str::FromStr for Bump {
    type Err = String;
    fn from_str(s: &str) -> Result<Bump, String> {
        Ok(match s {
            "major" => Bump::Major,
            "minor" => Bump::Minor,
            "patch" => Bump::Patch,
            "alpha" => Bump::Alpha,
            "beta" => Bump::Beta,
            "rc" => Bump::Rc,
            "post" => Bump::Post,
            "dev" => Bump::Dev,
            "release" => Bump::Release,
            other => Bump::To(parse(other).map_err(|e| {
                format!("{e}; give a level (major, minor, patch, alpha, beta, rc, post, dev, release) or a version")
            })?),
        })
    }
}

/// The version a project continues with after releasing `released` (`[versioning]
/// next-dev`): the next patch's `.dev0` after a final or post release (`2.3.0` → `2.3.1.dev0`),
/// the next pre-release's after a pre-release (`0.5b0` → `0.5b1.dev0`).
pub fn next_dev(released: &Version) -> Version {
    let base = released.clone().without_local();
    if let Some(pre) = base.pre() {
        return base
            .with_pre(Some(Prerelease {
                kind: pre.kind,
                number: pre.number + 1,
            }))
            .with_post(None)
            .with_dev(Some(0));
    }
    let release = base.release();
    let part = |i: usize| release.get(i).copied().unwrap_or(0);
    Version::new([part(0), part(1), part(2) + 1])
        .with_epoch(base.epoch())
        .with_dev(Some(0))
}

/// What a `major`, `minor` or `patch` bump of a pre- or dev release leaves out, said before
/// it is made: `2.3b0.dev0` with `patch` gives `2.3.1`, skipping `2.3b0` and `2.3` (which
/// `release` would give). `None` when nothing is skipped.
pub fn skipped(current: &Version, how: &Bump, next: &Version) -> Option<String> {
    let level = match how {
        Bump::Major => "major",
        Bump::Minor => "minor",
        Bump::Patch => "patch",
        _ => return None,
    };
    if !current.any_prerelease() {
        return None;
    }
    let base = current.clone().without_local();
    let finished = bump(&base, &Bump::Release).ok()?;
    let mut left_out = Vec::new();
    if base.is_pre() && base.is_dev() {
        left_out.push(base.clone().with_dev(None).to_string());
    }
    if finished != *next {
        left_out.push(finished.to_string());
    }
    if left_out.is_empty() {
        return None;
    }
    Some(format!(
        "`{level}` on {current} gives {next}, skipping {}; `release` gives {finished}",
        left_out.join(" and ")
    ))
}

/// The version after `current` for `bump`. Rules (xtask/docs/commands.md, `bump`, has the table):
/// - `major`/`minor`/`patch` step that release number and zero the ones after it; any
///   pre, post or dev part is dropped (`1.3.0b1` minor → `1.4.0`; use `release` to finish it);
/// - `alpha`/`beta`/`rc` on a final or post release start that pre-release of the next patch
///   (`1.3.0` beta → `1.3.1b1`); on a pre-release of the same kind bump its number; of a lower
///   kind switch to the new kind at 1; of a higher kind refuse; on a dev release of X start
///   X's pre-release (`1.3.0.dev2` alpha → `1.3.0a1`);
/// - `post` adds or bumps a post-release of a final release;
/// - `dev` bumps a dev number, or starts `.dev1` of the next patch (or next pre-release);
/// - `release` drops the pre and dev parts;
/// - an explicit version must be greater.
///
/// Local versions (`+abc`) are refused: they cannot be uploaded to an index.
pub fn bump(current: &Version, how: &Bump) -> Result<Version, String> {
    let base = current.clone().without_local();
    let release = base.release().to_vec();
    let part = |i: usize| release.get(i).copied().unwrap_or(0);
    let final_of = |r: Vec<u64>| Version::new(r).with_epoch(base.epoch());
    let next = match how {
        Bump::Major => final_of(vec![part(0) + 1, 0, 0]),
        Bump::Minor => final_of(vec![part(0), part(1) + 1, 0]),
        Bump::Patch => final_of(vec![part(0), part(1), part(2) + 1]),
        Bump::Alpha | Bump::Beta | Bump::Rc => {
            let kind = match how {
                Bump::Alpha => PrereleaseKind::Alpha,
                Bump::Beta => PrereleaseKind::Beta,
                _ => PrereleaseKind::Rc,
            };
            let pre = |number| Some(Prerelease { kind, number });
            match base.pre() {
                Some(p) if p.kind == kind && base.is_dev() => base.clone().with_dev(None),
                Some(p) if p.kind == kind => base.clone().with_pre(pre(p.number + 1)),
                Some(p) if p.kind < kind => base.clone().with_pre(pre(1)).with_dev(None),
                Some(p) => {
                    return Err(format!(
                        "{current} is already a {} pre-release; {how:?} would go backwards",
                        kind_name(p.kind)
                    ))
                }
                None if base.is_dev() && base.post().is_none() => base.clone().with_dev(None).with_pre(pre(1)),
                None => final_of(vec![part(0), part(1), part(2) + 1]).with_pre(pre(1)),
            }
        }
        Bump::Post => {
            if base.any_prerelease() {
                return Err(format!(
                    "{current} is a pre-release or dev version; a post-release follows a final release"
                ));
            }
            base.clone().with_post(Some(base.post().map_or(1, |n| n + 1)))
        }
        Bump::Dev => match (base.dev(), base.pre()) {
            (Some(n), _) => base.clone().with_dev(Some(n + 1)),
            (None, Some(p)) => base
                .clone()
                .with_pre(Some(Prerelease {
                    kind: p.kind,
                    number: p.number + 1,
                }))
                .with_dev(Some(1)),
            (None, None) => final_of(vec![part(0), part(1), part(2) + 1]).with_dev(Some(1)),
        },
        Bump::Release => {
            if !base.any_prerelease() {
                return Err(format!(
                    "{current} is already a final release; use patch, minor or major"
                ));
            }
            base.clone().with_pre(None).with_dev(None)
        }
        Bump::To(v) => {
            if !v.local().is_empty() {
                return Err(format!(
                    "{v} has a local part (+...), which an index refuses; give a public version"
                ));
            }
            v.clone()
        }
    };
    if next <= *current {
        return Err(format!(
            "{next} is not greater than the current version {current}; versions must go forward"
        ));
    }
    Ok(next)
}

fn kind_name(kind: PrereleaseKind) -> &'static str {
    match kind {
        PrereleaseKind::Alpha => "alpha",
        PrereleaseKind::Beta => "beta",
        PrereleaseKind::Rc => "rc",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::from_str(s).unwrap()
    }

    #[test]
    fn the_next_dev_version_follows_a_release() {
        for (released, next) in [
            ("2.3.0", "2.3.1.dev0"),
            ("2.3", "2.3.1.dev0"),
            ("1.0.0.post1", "1.0.1.dev0"),
            ("0.5b0", "0.5b1.dev0"),
            ("1!2.0.0", "1!2.0.1.dev0"),
        ] {
            let got = next_dev(&v(released));
            assert_eq!(got, v(next), "{released}");
            assert!(got > v(released));
        }
    }

    #[test]
    fn bumps_of_pre_and_dev_releases_say_what_they_skip() {
        let note = |current: &str, how: Bump| skipped(&v(current), &how, &bump(&v(current), &how).unwrap());
        assert_eq!(
            note("2.3b0.dev0", Bump::Patch).unwrap(),
            "`patch` on 2.3b0.dev0 gives 2.3.1, skipping 2.3b0 and 2.3; `release` gives 2.3"
        );
        assert_eq!(
            note("1.3.0rc1", Bump::Minor).unwrap(),
            "`minor` on 1.3.0rc1 gives 1.4.0, skipping 1.3.0; `release` gives 1.3.0"
        );
        assert_eq!(
            note("1.3.0.dev2", Bump::Major).unwrap(),
            "`major` on 1.3.0.dev2 gives 2.0.0, skipping 1.3.0; `release` gives 1.3.0"
        );
        assert_eq!(note("1.3.0", Bump::Patch), None, "a final release skips nothing");
        assert_eq!(note("1.3.0b1", Bump::Beta), None, "only major, minor and patch say it");
    }

    #[test]
    fn bump_rules() {
        let table = [
            ("1.2.3", "major", "2.0.0"),
            ("1.2.3", "minor", "1.3.0"),
            ("1.2.3", "patch", "1.2.4"),
            ("1.2", "patch", "1.2.1"),
            ("1.3.0b1", "minor", "1.4.0"),
            ("1.3.0.post2", "patch", "1.3.1"),
            ("1.3.0", "alpha", "1.3.1a1"),
            ("1.3.0", "beta", "1.3.1b1"),
            ("1.3.1a1", "alpha", "1.3.1a2"),
            ("1.3.1a2", "beta", "1.3.1b1"),
            ("1.3.0b1", "beta", "1.3.0b2"),
            ("1.3.0b2", "rc", "1.3.0rc1"),
            ("1.3.0b2.dev1", "beta", "1.3.0b2"),
            ("1.3.0.dev3", "alpha", "1.3.0a1"),
            ("1.3.0rc1", "release", "1.3.0"),
            ("1.3.0.dev3", "release", "1.3.0"),
            ("1.3.0", "post", "1.3.0.post1"),
            ("1.3.0.post1", "post", "1.3.0.post2"),
            ("1.3.0", "dev", "1.3.1.dev1"),
            ("1.3.1.dev1", "dev", "1.3.1.dev2"),
            ("1.3.0b1", "dev", "1.3.0b2.dev1"),
            ("1!1.0", "minor", "1!1.1.0"),
            ("2.0.0", "2.1.0b1", "2.1.0b1"),
        ];
        for (current, how, expected) in table {
            let got = bump(&v(current), &how.parse().unwrap()).unwrap_or_else(|e| panic!("{current} {how}: {e}"));
            assert_eq!(got.to_string(), expected, "{current} {how}");
            assert!(got > v(current));
        }
        for (current, how, message) in [
            ("1.3.0rc1", "beta", "already a rc pre-release"),
            ("1.3.0", "release", "already a final release"),
            ("1.3.0b1", "post", "a post-release follows a final release"),
            ("1.3.0", "1.2.9", "is not greater than the current version 1.3.0"),
            ("1.3.0", "1.3.0", "is not greater"),
            ("1.3.0", "1.4.0+local", "local part"),
        ] {
            let err = bump(&v(current), &how.parse().unwrap()).unwrap_err();
            assert!(err.contains(message), "{current} {how}: {err}");
        }
        assert!("1.x".parse::<Bump>().unwrap_err().contains("give a level"));
    }

    /// pep440_rs normalizes and orders like Python's `packaging` (the reference), asked at
    /// test time, on a few hundred versions of every form.
    #[test]
    fn ordering_and_normalization_agree_with_packaging() {
        let mut texts = Vec::new();
        for epoch in ["", "1!"] {
            for release in ["0.9", "1", "1.0", "1.0.0", "1.2", "1.2.3", "1.10", "2.0.0.1"] {
                for pre in ["", "a1", "b2", "rc1", "alpha3", "c4", "-preview1", "B11"] {
                    for post in ["", ".post1", "-1", ".rev2"] {
                        for dev in ["", ".dev0", ".dev3"] {
                            texts.push(format!("{epoch}{release}{pre}{post}{dev}"));
                        }
                    }
                }
            }
        }
        for extra in [
            "1.0+local.1",
            "1.0+abc",
            "1.0+5",
            "1.0.0+local.1",
            "v1.2",
            "1.0.DEV1",
            "1.0RC1",
            "1.0-1",
            "1.0_a_1",
        ] {
            texts.push(extra.to_string());
        }
        // Keep the run quick: every 7th combination plus the extras is still several hundred.
        let texts: Vec<String> = texts
            .iter()
            .enumerate()
            .filter(|(i, t)| i % 7 == 0 || t.contains(['+', 'v', '_']))
            .map(|(_, t)| t.clone())
            .collect();
        assert!(texts.len() >= 200, "{}", texts.len());

        let script = "import json, sys\nfrom pip._vendor.packaging.version import Version\n\
                      texts = json.load(sys.stdin)\nvs = [Version(t) for t in texts]\n\
                      order = sorted(range(len(vs)), key=lambda i: vs[i])\n\
                      print(json.dumps({'normal': [str(v) for v in vs], 'order': order}))";
        let mut child = std::process::Command::new("python3")
            .args(["-I", "-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs");
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(serde_json::to_string(&texts).unwrap().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let expected: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

        let ours: Vec<Version> = texts.iter().map(|t| parse(t).unwrap()).collect();
        let normal: Vec<String> = ours.iter().map(ToString::to_string).collect();
        assert_eq!(serde_json::json!(normal), expected["normal"]);
        let mut order: Vec<usize> = (0..ours.len()).collect();
        order.sort_by(|a, b| ours[*a].cmp(&ours[*b]));
        assert_eq!(serde_json::json!(order), expected["order"]);
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
