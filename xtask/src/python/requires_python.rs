//! Requires-Python judged for a platform's Python series (`3.11`: every 3.11.x; `3.9.2`:
//! 3.9.2 and every later 3.9 release), as the target's own installer would on each of them.

/// A series' `X.Y` and the oldest patch release it names (0 for `X.Y`).
fn split(series: &str) -> (&str, u32) {
    match series.rsplit_once('.').filter(|_| series.matches('.').count() == 2) {
        Some((minor, patch)) => (minor, patch.parse().unwrap_or(0)),
        None => (series, 0),
    }
}

/// Whether a distribution's `Requires-Python` admits the platform's Python `series`
/// ([`Platform::series`]): every release of it, so both its oldest (`X.Y.0`, what
/// `--python-version X.Y` means to pip and uv, or the named `X.Y.Z`) and a late `X.Y.N` must
/// satisfy it. An unparsable specifier does not admit it.
pub fn python_admits(requires_python: &str, series: &str) -> bool {
    let (minor, oldest) = split(series);
    [oldest, 99]
        .iter()
        .all(|patch| python_admits_version(requires_python, &format!("{minor}.{patch}")))
}

/// For a `Requires-Python` that refuses only the series' first patch releases (`!=3.9.0,!=3.9.1`
/// on `3.9`, `>=3.11.5` on `3.11`): the first release it admits (`3.9.2`), from which on it
/// admits the series; `None` when it admits the oldest release or refuses a late one.
pub fn patch_floor(requires_python: &str, series: &str) -> Option<String> {
    let (minor, oldest) = split(series);
    let admits = |patch: u32| python_admits_version(requires_python, &format!("{minor}.{patch}"));
    if admits(oldest) || !admits(99) {
        return None;
    }
    (oldest + 1..=99).find(|p| admits(*p)).map(|p| format!("{minor}.{p}"))
}

/// The `Requires-Python` specifier of a Python `series` ([`Platform::series`]):
/// `==3.11.*`, or `>=3.9.2,==3.9.*`.
pub fn series_specifier(series: &str) -> String {
    match split(series) {
        (minor, 0) => format!("=={minor}.*"),
        (minor, _) => format!(">={series},=={minor}.*"),
    }
}

/// Whether a `Requires-Python` admits the exact version `python` (`3.11.0`). An unparsable
/// specifier admits nothing.
pub fn python_admits_version(requires_python: &str, python: &str) -> bool {
    use std::str::FromStr;
    match (
        pep440_rs::VersionSpecifiers::from_str(requires_python),
        pep440_rs::Version::from_str(python),
    ) {
        (Ok(spec), Ok(v)) => crate::versions::satisfies(&spec, &v),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_admits_what_every_release_of_it_installs() {
        let cryptography = ">=3.7,!=3.9.0,!=3.9.1";
        assert!(!python_admits(cryptography, "3.9"), "3.9.0 is refused");
        assert!(python_admits(cryptography, "3.9.2"));
        assert!(!python_admits(">=3.11.5", "3.11.2"));
        assert!(python_admits(">=3.11.5", "3.11.5"));
        assert!(!python_admits("<3.11.8", "3.11.2"), "a late 3.11 is refused");
        assert_eq!(series_specifier("3.11"), "==3.11.*");
        assert_eq!(series_specifier("3.9.2"), ">=3.9.2,==3.9.*");
        assert_eq!(patch_floor(cryptography, "3.9").as_deref(), Some("3.9.2"));
        assert_eq!(patch_floor(">=3.11.5", "3.11.2").as_deref(), Some("3.11.5"));
        assert_eq!(patch_floor(cryptography, "3.9.2"), None, "admitted from the oldest on");
        assert_eq!(patch_floor("<3.11.8", "3.11"), None, "a late release is refused");
    }
}
