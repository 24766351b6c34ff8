//! Requires-Python judged for a platform's Python series (`3.11`: every 3.11.x; `3.9.2`:
//! 3.9.2 and every later 3.9 release), as the target's own installer would on each of them.

/// Whether a distribution's `Requires-Python` admits the platform's Python `series`
/// ([`Platform::series`]): every release of it, so both its oldest (`X.Y.0`, what
/// `--python-version X.Y` means to pip and uv, or the named `X.Y.Z`) and a late `X.Y.N` must
/// satisfy it. An unparsable specifier does not admit it.
pub fn python_admits(requires_python: &str, series: &str) -> bool {
    let minor = series.splitn(3, '.').take(2).collect::<Vec<_>>().join(".");
    let oldest = match series.matches('.').count() {
        1 => format!("{series}.0"),
        _ => series.to_string(),
    };
    [oldest, format!("{minor}.99")]
        .iter()
        .all(|v| python_admits_version(requires_python, v))
}

/// The `Requires-Python` specifier of a Python `series` ([`Platform::series`]):
/// `==3.11.*`, or `>=3.9.2,==3.9.*`.
pub fn series_specifier(series: &str) -> String {
    match series.rsplit_once('.').filter(|_| series.matches('.').count() == 2) {
        Some((minor, _)) => format!(">={series},=={minor}.*"),
        None => format!("=={series}.*"),
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
    }
}
