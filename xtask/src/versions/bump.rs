//! Bump levels (`major`, `minor`, `patch`, `alpha`, `beta`, `rc`, `post`, `dev`, `release`, or
//! an explicit version): the next version of a unit, what a bump skips, and the `.dev0` that
//! starts development after a release.

use pep440_rs::{Prerelease, PrereleaseKind, Version};

use super::pep440::parse;

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
    use std::str::FromStr;

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
}
