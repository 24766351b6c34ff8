//! PEP 440 versions: parsing with context, and whether a version satisfies specifiers exactly
//! as Python's `packaging` judges it. Ordering is pep440_rs's, which follows PEP 440 (not
//! SemVer).

use std::str::FromStr;

use pep440_rs::{Operator, Version, VersionSpecifier, VersionSpecifiers};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
