//! The repository's lock of one platform: a PEP 751 `pylock.<platform>.toml` as uv writes it
//! (`uv pip compile --format pylock.toml` for the platform's target), the plugins' stand-ins
//! taken out, with a `[tool.xtask]` table that records what it was resolved from: the
//! platform's resolver target, every requirement of the plugins and `[public]`, and the
//! package sources. A lock whose record is the current one, and whose packages meet the
//! requirements, is used as it is, with no index asked.

use std::collections::BTreeSet;

use anyhow::{bail, Context, Result};

/// The folder of the repository's locks, beside `release-config.toml`.
pub const LOCKS_DIR: &str = "locks";

/// The lock file of a platform: `locks/pylock.<platform>.toml` (PEP 751 names).
pub fn lock_path(platform: &str) -> String {
    format!("{LOCKS_DIR}/pylock.{platform}.toml")
}

/// One locked file: its name, where it comes from (a URL, or a path for find-links folders)
/// and its sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedFile {
    pub name: String,
    pub url: String,
    pub sha256: String,
}

/// One locked package: the wheels uv found for the target, and its sdist when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    pub marker: Option<String>,
    pub wheels: Vec<LockedFile>,
    pub sdist: Option<LockedFile>,
}

/// A platform's lock: its text (kept as written) and what was read from it.
#[derive(Debug, Clone)]
pub struct Lock {
    pub text: String,
    pub packages: Vec<LockedPackage>,
    /// `[tool.xtask] target`: the resolver target and Python it was resolved for.
    pub target: String,
    /// `[tool.xtask] requirements`: what it was resolved from, sorted.
    pub requirements: Vec<String>,
    /// `[tool.xtask] sources`: the manifest's `[public]` index and find-links locations it was
    /// resolved from, without logins.
    pub sources: Vec<String>,
}

impl Lock {
    /// Read a lock written by [`Lock::from_uv`] (`what` names it in errors).
    pub fn parse(text: &str, what: &str) -> Result<Lock> {
        let doc: toml::Table = text
            .parse()
            .with_context(|| format!("{what} is not valid TOML: restore it from git or run `cargo xtask lock`"))?;
        let tool = doc.get("tool").and_then(|t| t.get("xtask"));
        let target = tool
            .and_then(|t| t.get("target"))
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_string();
        let strings = |key: &str| -> Vec<String> {
            tool.and_then(|t| t.get(key))
                .and_then(|r| r.as_array())
                .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        };
        let (requirements, sources) = (strings("requirements"), strings("sources"));
        Ok(Lock {
            text: text.to_string(),
            packages: packages(&doc, what)?,
            target,
            requirements,
            sources,
        })
    }

    /// The lock from uv's `pylock.toml` output: its header comments and the packages named
    /// `leave_out` (the plugins' stand-ins) removed, `[tool.xtask]` added.
    pub fn from_uv(
        uv_text: &str,
        leave_out: &[String],
        heading: &str,
        target: &str,
        requirements: &[String],
        sources: &[String],
    ) -> Result<Lock> {
        let mut blocks = uv_text.split("\n[[packages]]\n");
        let head: Vec<&str> = blocks
            .next()
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect();
        let mut text = format!("# {heading}\n# Written by `cargo xtask lock`; do not edit by hand.\n");
        text.push_str(head.join("\n").trim());
        text.push('\n');
        for block in blocks {
            let doc: toml::Table = format!("[[packages]]\n{block}")
                .parse()
                .context("uv wrote an unreadable pylock.toml")?;
            // Stand-ins are `directory` packages, which have no version.
            let name = doc
                .get("packages")
                .and_then(|p| p.get(0))
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str())
                .map(crate::manifest::normalize_name)
                .unwrap_or_default();
            if leave_out.contains(&name) {
                continue;
            }
            text.push_str("\n[[packages]]\n");
            text.push_str(block.trim_end());
            text.push('\n');
        }
        let quote = |s: &str| serde_json::Value::String(s.to_string()).to_string();
        text.push_str(&format!(
            "\n[tool.xtask]\ntarget = {}\nrequirements = [\n",
            quote(target)
        ));
        for r in requirements {
            text.push_str(&format!("    {},\n", quote(r)));
        }
        text.push_str("]\nsources = [\n");
        for r in sources {
            text.push_str(&format!("    {},\n", quote(r)));
        }
        text.push_str("]\n");
        let lock = Lock::parse(&text, "the lock just written")?;
        // An index that takes its token in the path (`https://host/${TOKEN}/simple/`) gives
        // file URLs that carry it: such a lock must not be written, nor committed.
        let mut files = lock.packages.iter().flat_map(|p| p.wheels.iter().chain(&p.sdist));
        if files.any(|f| crate::ops::secrets::holds_secret(after_authority(&f.url))) {
            bail!(
                "the lock would hold the value of a `${{VAR}}` of the package index settings: the index's file URLs \
                 carry it in their path (a token there); give a token as the URL's login \
                 (`https://user:${{TOKEN}}@host/...`), and a value that is no secret as written text"
            );
        }
        Ok(lock)
    }

    /// The recorded requirements that apply on a target (`env`) and that no package of the lock
    /// meets (a package taken out or changed by hand), for a message: a lock must hold what it
    /// says it was resolved from.
    pub fn unsatisfied(&self, env: &pep508_rs::MarkerEnvironment) -> Vec<String> {
        use std::str::FromStr;
        let applies = |marker: &Option<String>| {
            marker
                .as_deref()
                .is_none_or(|m| pep508_rs::MarkerTree::from_str(m).map_or(true, |tree| tree.evaluate(env, &[])))
        };
        let mut out = Vec::new();
        for text in &self.requirements {
            let Ok(req) = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(text) else {
                continue;
            };
            if !req.marker.evaluate(env, &[]) {
                continue;
            }
            let name = crate::manifest::normalize_name(req.name.as_ref());
            let held: Vec<&LockedPackage> = self
                .packages
                .iter()
                .filter(|p| p.name == name && applies(&p.marker))
                .collect();
            let fits = |p: &&LockedPackage| match (&req.version_or_url, pep440_rs::Version::from_str(&p.version)) {
                (Some(pep508_rs::VersionOrUrl::VersionSpecifier(spec)), Ok(v)) => crate::versions::satisfies(spec, &v),
                (Some(pep508_rs::VersionOrUrl::VersionSpecifier(_)), Err(_)) => false,
                _ => true,
            };
            match held.first() {
                None => out.push(format!("requirement {text:?} has no package {name} in it")),
                Some(p) if !held.iter().any(fits) => {
                    out.push(format!("requirement {text:?} is not met by {name} {}", p.version))
                }
                Some(_) => {}
            }
        }
        out
    }

    /// What changed between the requirements this lock was resolved from and `now`, for a
    /// message (`added "x>=2"`, `removed "x>=1"`), and the target when it differs.
    pub fn differences(&self, target: &str, now: &[String], sources: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        if self.target != target {
            out.push(format!("the target was {:?}, now {target:?}", self.target));
        }
        if self.sources.is_empty() {
            out.push("it does not record where its packages come from (an older lock)".to_string());
        } else if self.sources != sources {
            out.push(format!(
                "the package index and find-links were {:?}, now {sources:?}",
                self.sources
            ));
        }
        let before: BTreeSet<&String> = self.requirements.iter().collect();
        let after: BTreeSet<&String> = now.iter().collect();
        for r in after.difference(&before) {
            out.push(format!("requirement {r:?} is new"));
        }
        for r in before.difference(&after) {
            out.push(format!("requirement {r:?} is gone"));
        }
        out
    }
}

/// The `[[packages]]` of a lock document.
fn packages(doc: &toml::Table, what: &str) -> Result<Vec<LockedPackage>> {
    let mut out = Vec::new();
    for (i, p) in doc
        .get("packages")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .enumerate()
    {
        let field = |key: &str| p.get(key).and_then(|v| v.as_str()).map(str::to_string);
        let (Some(name), Some(version)) = (field("name"), field("version")) else {
            bail!("{what}: package {} has no name or version", i + 1);
        };
        let wheels = p
            .get("wheels")
            .and_then(|w| w.as_array())
            .into_iter()
            .flatten()
            .map(|w| file(w, &name, what))
            .collect::<Result<Vec<_>>>()?;
        let sdist = p.get("sdist").map(|s| file(s, &name, what)).transpose()?;
        if let Some(f) = wheels.iter().chain(&sdist).find(|f| !belongs(&f.name, &name, &version)) {
            bail!(
                "{what}: package {name} {version} lists the file {}, which is not one of {name} {version}: restore \
                 the lock from git or run `cargo xtask lock`",
                f.name
            );
        }
        out.push(LockedPackage {
            name: crate::manifest::normalize_name(&name),
            version,
            marker: field("marker"),
            wheels,
            sdist,
        });
    }
    Ok(out)
}

/// The file name endings of sdists uv records (PEP 625 `.tar.gz`, and the older formats).
const SDIST_SUFFIXES: &[&str] = &[
    ".tar.gz",
    ".zip",
    ".tgz",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tar.lz",
    ".tlz",
    ".tar.lzma",
    ".tar.zst",
    ".tar",
];

/// Whether a wheel (`name-version-tags.whl`, PEP 427) or sdist (`name-version.tar.gz`) file
/// name is of `package` at `version` (names normalized, versions compared as PEP 440 ones).
fn belongs(file: &str, package: &str, version: &str) -> bool {
    use std::str::FromStr;
    let (name, file_version) = if let Some(stem) = file.strip_suffix(".whl") {
        let mut parts = stem.splitn(3, '-');
        (parts.next(), parts.next())
    } else {
        let stem = SDIST_SUFFIXES
            .iter()
            .find_map(|suffix| file.strip_suffix(suffix))
            .unwrap_or(file);
        stem.rsplit_once('-').map_or((None, None), |(n, v)| (Some(n), Some(v)))
    };
    let same_version = match (
        file_version.map(pep440_rs::Version::from_str),
        pep440_rs::Version::from_str(version),
    ) {
        (Some(Ok(a)), Ok(b)) => a == b,
        _ => file_version == Some(version),
    };
    name.is_some_and(|n| crate::manifest::normalize_name(n) == crate::manifest::normalize_name(package)) && same_version
}

/// A wheel or sdist entry: `url` (or `path`), `hashes.sha256`, the name from `name` or the
/// last part of the URL.
fn file(entry: &toml::Value, package: &str, what: &str) -> Result<LockedFile> {
    let text = |key: &str| entry.get(key).and_then(|v| v.as_str());
    let url = text("url")
        .or_else(|| text("path"))
        .with_context(|| format!("{what}: a file of {package} has neither url nor path"))?;
    let sha256 = entry
        .get("hashes")
        .and_then(|h| h.get("sha256"))
        .and_then(|h| h.as_str())
        .with_context(|| format!("{what}: {url} has no sha256 hash"))?;
    // Both name a place in the wheel store (`<sha256>/<name>`): nothing but a hash and a
    // plain distribution file name may (a lock is a file of the repository, like any input).
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("{what}: the sha256 of a file of {package} is {sha256:?}, not 64 hex digits: restore the lock from git or run `cargo xtask lock`");
    }
    let name = text("name")
        .map(str::to_string)
        .unwrap_or_else(|| percent_decode(url.rsplit('/').next().unwrap_or(url)));
    // Plain ASCII names only (no separator, no drive letter, no leading dot), of a wheel or an
    // sdist in any format uv records.
    let distribution = name.ends_with(".whl") || SDIST_SUFFIXES.iter().any(|s| name.ends_with(s));
    let plain = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._+-!~".contains(&b));
    if !distribution || !plain || name.starts_with('.') {
        bail!("{what}: {url} does not name a wheel or sdist file");
    }
    if let Some((_, authority, _)) = split_url(url) {
        if authority.contains('@') {
            bail!(
                "{what}: the URL of {name} holds a login ({}): a lock holds no credentials; the index's login \
                 comes from the `${{VAR}}`s of [public] index-url",
                crate::ops::cmd::redact(url)
            );
        }
    }
    Ok(LockedFile {
        name,
        url: url.to_string(),
        sha256: sha256.to_ascii_lowercase(),
    })
}

/// A URL as (scheme, authority, the rest: path, query, fragment); `None` for a path.
fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((scheme, &rest[..end], &rest[end..]))
}

/// A URL's path, query and fragment; a path as it is.
fn after_authority(url: &str) -> &str {
    split_url(url).map_or(url, |(_, _, rest)| rest)
}

/// `url` without the user-info of its authority (`https://user:${TOKEN}@host/x` ->
/// `https://host/x`); anything else as it is.
pub fn without_login(url: &str) -> String {
    match split_url(url) {
        Some((scheme, authority, rest)) => {
            let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
            format!("{scheme}://{host}{rest}")
        }
        None => url.to_string(),
    }
}

/// `%XX` escapes of a URL path segment decoded.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const UV: &str = "# This file was autogenerated by uv via the following command:\n\
#    uv pip compile --format pylock.toml -o /tmp/x/pylock.linux.toml\n\
lock-version = \"1.0\"\ncreated-by = \"uv\"\nrequires-python = \">=3.11\"\n\n\
[[packages]]\nname = \"acme-plugin-a\"\nversion = \"1.0\"\ndirectory = { path = \"/tmp/x/a\" }\n\n\
[[packages]]\nname = \"Rich\"\nversion = \"11.2\"\nmarker = \"sys_platform != 'win32'\"\n\
sdist = { url = \"http://i/simple/rich/rich-11.2.tar.gz\", hashes = { sha256 = \"ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB\" } }\n\
wheels = [{ url = \"http://i/simple/rich/rich-11.2-py3-none-any.whl\", hashes = { sha256 = \"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd\" } }]\n";

    #[test]
    fn uv_output_becomes_a_lock_without_the_plugins_and_with_its_inputs() {
        let lock = Lock::from_uv(
            UV,
            &["acme-plugin-a".into()],
            "linux",
            "t 3.11",
            &["rich>=10".into()],
            &["http://i/simple/".into()],
        )
        .unwrap();
        assert!(!lock.text.contains("acme-plugin-a"), "{}", lock.text);
        assert!(!lock.text.contains("/tmp/x"), "{}", lock.text);
        assert_eq!(lock.packages.len(), 1);
        let p = &lock.packages[0];
        assert_eq!((p.name.as_str(), p.version.as_str()), ("rich", "11.2"));
        assert_eq!(p.wheels[0].name, "rich-11.2-py3-none-any.whl");
        assert_eq!(p.sdist.as_ref().unwrap().sha256, "ab".repeat(32));
        let again = Lock::parse(&lock.text, "x").unwrap();
        assert_eq!(again.requirements, ["rich>=10"]);
        assert_eq!(again.target, "t 3.11");
        let sources = ["http://i/simple/".to_string()];
        assert!(again.differences("t 3.11", &["rich>=10".into()], &sources).is_empty());
        assert_eq!(
            again.differences("t 3.12", &["rich>=11".into()], &["http://j/simple/".into()]),
            [
                "the target was \"t 3.11\", now \"t 3.12\"",
                "the package index and find-links were [\"http://i/simple/\"], now [\"http://j/simple/\"]",
                "requirement \"rich>=11\" is new",
                "requirement \"rich>=10\" is gone"
            ]
        );
    }

    #[test]
    fn a_source_is_recorded_without_its_login() {
        assert_eq!(
            without_login("https://ci:${TOKEN}@pkgs.example/simple/?x=1"),
            "https://pkgs.example/simple/?x=1"
        );
        assert_eq!(without_login("https://${TOKEN}@h/s/a@b"), "https://h/s/a@b");
        assert_eq!(without_login("https://pypi.org/simple/"), "https://pypi.org/simple/");
        assert_eq!(without_login("vendor/wheels"), "vendor/wheels");
    }

    #[test]
    fn a_lock_whose_file_urls_carry_a_credential_is_never_written() {
        crate::ops::secrets::register_secret("tok-7f3e9a2b");
        let uv = UV.replace("http://i/simple/rich/", "http://i/tok-7f3e9a2b/simple/rich/");
        let err = Lock::from_uv(&uv, &[], "linux", "t 3.11", &[], &[]).unwrap_err();
        assert!(
            format!("{err:#}").contains("the lock would hold the value of a `${VAR}`"),
            "{err:#}"
        );
        assert!(!format!("{err:#}").contains("tok-7f3e9a2b"));
        // A value in the host (a mirror named by the environment) is where files come from.
        crate::ops::secrets::register_secret("mirror-9c1d.example");
        let uv = UV.replace("http://i/simple/rich/", "http://mirror-9c1d.example/simple/rich/");
        assert!(Lock::from_uv(&uv, &[], "linux", "t 3.11", &[], &[]).is_ok());
    }

    #[test]
    fn a_file_without_hash_or_name_is_refused() {
        let bad = "lock-version = \"1.0\"\n[[packages]]\nname = \"x\"\nversion = \"1\"\nwheels = [{ url = \"http://i/x.whl\" }]\n";
        assert!(format!("{:#}", Lock::parse(bad, "L").unwrap_err()).contains("no sha256"));
        // Hash and name make a path in the wheel store: nothing but a hash and a file name.
        let with = |url: &str, sha256: &str| {
            let text = format!(
                "[[packages]]\nname = \"x\"\nversion = \"1\"\nwheels = [{{ url = {url:?}, hashes = {{ sha256 = {sha256:?} }} }}]\n"
            );
            Lock::parse(&text, "L").map(|_| ()).map_err(|e| format!("{e:#}"))
        };
        let hash = "0123456789abcdef".repeat(4);
        assert_eq!(with("http://i/x-1-py3-none-any.whl", &hash), Ok(()));
        for bad in [
            "../../../../victim",
            "/tmp/victim",
            "a",
            &format!("{hash}0"),
            &"g".repeat(64),
        ] {
            let err = with("http://i/x-1-py3-none-any.whl", bad).unwrap_err();
            assert!(err.contains("not 64 hex digits"), "{bad}: {err}");
        }
        for bad in [
            "http://i/..",
            "http://i/x/",
            "http://i/.hidden.whl",
            "http://i/setup.py",
            "http://i/a%2F..%2Fb.whl",
        ] {
            let err = with(bad, &hash).unwrap_err();
            assert!(err.contains("does not name a wheel or sdist file"), "{bad}: {err}");
        }
        // A file of another package or version under this one's name.
        for other in [
            "http://i/evil-6.6.6-py3-none-any.whl",
            "http://i/x-2-py3-none-any.whl",
            "http://i/x-1.tar.gz.whl",
        ] {
            let err = with(other, &hash).unwrap_err();
            assert!(err.contains("which is not one of x 1"), "{other}: {err}");
        }
        assert_eq!(
            with("http://i/X-1.0-py3-none-any.whl", &hash),
            Ok(()),
            "1.0 is 1, X is x"
        );
        // Older sdist formats uv records (Twisted 17 shipped .tar.bz2), local versions.
        for fine in [
            "http://i/X-1.0.tar.bz2",
            "http://i/x-1.tgz",
            "http://i/x-1.zip",
            "http://i/x-1+local.1-py3-none-any.whl",
        ] {
            let ok = if fine.contains("+local") {
                let text = format!(
                    "[[packages]]\nname = \"x\"\nversion = \"1+local.1\"\nwheels = [{{ url = {fine:?}, hashes = {{ sha256 = {hash:?} }} }}]\n"
                );
                Lock::parse(&text, "L").map(|_| ()).map_err(|e| format!("{e:#}"))
            } else {
                with(fine, &hash)
            };
            assert_eq!(ok, Ok(()), "{fine}");
        }
        // A drive-relative name (Windows would leave the store for it).
        let err = with("http://i/C%3Ax-1-py3-none-any.whl", &hash).unwrap_err();
        assert!(err.contains("does not name a wheel or sdist file"), "{err}");
        let err = with("http://tok:s3cr3t@i/x-1-py3-none-any.whl", &hash).unwrap_err();
        assert!(
            err.contains("holds a login (http://***@i/") && !err.contains("s3cr3t"),
            "{err}"
        );
        assert_eq!(percent_decode("a%2Bb%20c.whl"), "a+b c.whl");
    }
}
