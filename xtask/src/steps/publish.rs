//! Publish: after the release commit, tags and outputs exist. Push the branch and tags
//! atomically, copy the outputs into a release folder, upload the released sdists and wheels.
//! Nothing here is undone; an interrupted publish is resumed (`release --resume`).

use std::path::Path;

use anyhow::{bail, Result};

use super::exec::Exec;
use crate::manifest::workspace::Workspace;
use crate::manifest::Upload;
use crate::ops::cmd::{register_secret, Cmd};
use crate::ops::fs::{create_dir, file_names, sha256_file};
use crate::python::index::{files_on_index, is_dist_of, project_of};
use crate::python::toolchain::expand_env;

pub fn push(exec: &Exec, remote: &str, branch: &str, tags: &[String]) -> Result<()> {
    let mut refs = vec![format!("refs/heads/{branch}")];
    refs.extend(tags.iter().map(|t| format!("refs/tags/{t}")));
    exec.git.push_atomic(remote, &refs)
}

/// Copy the delivered files into `dir`, all or nothing, each under a temporary name first
/// (`.<name>.<pid>.<random>.partial`, removed by a later run if this one is killed).
/// `output` is the set's folder in the output folder.
pub fn copy_to_release_dir(
    ws: &Workspace,
    output: &Path,
    dir: &str,
    files: &[String],
    dists_of: &[String],
) -> Result<()> {
    let dir = ws.root.join(dir);
    create_dir(&dir)?;
    let names = file_names(output)?;
    let dists = names.iter().filter(|f| dists_of.iter().any(|p| is_dist_of(f, p)));
    let copies: Vec<_> = files
        .iter()
        .chain(dists)
        .map(|f| (output.join(f), dir.join(f)))
        .collect();
    crate::ops::fs::copy_all_into_place(&copies)
}

/// Upload what the index does not have yet. A file the index has with the same sha256 is
/// skipped; a different file under the same name stops the upload before anything is sent.
/// `output` is the set's folder in the output folder.
pub fn upload(ws: &Workspace, output: &Path, tools_python: &Path, upload: &Upload, plugins: &[String]) -> Result<()> {
    let output = output.to_path_buf();
    let names = file_names(&output)?;
    let mut files = Vec::new();
    for prefix in plugins {
        let found: Vec<&String> = names.iter().filter(|f| is_dist_of(f, prefix)).collect();
        if found.is_empty() {
            bail!("no sdist or wheel of {prefix} in {}", output.display());
        }
        files.extend(found.into_iter().cloned());
    }

    let projects: Vec<String> = plugins.iter().map(|p| project_of(p)).collect();
    let existing = files_on_index(&ws.runner, tools_python, &upload.index_url, &projects)?;

    let mut to_send = Vec::new();
    let mut conflicts = Vec::new();
    for f in &files {
        let local = sha256_file(&output.join(f))?;
        match existing.get(f) {
            None => to_send.push(f.clone()),
            Some(Some(remote)) if remote == &local => {
                crate::ops::ui::progress!("    {f}: already on the index (same sha256), skipped")
            }
            Some(Some(remote)) => conflicts.push(format!("{f} (index: sha256 {remote}, here: {local})")),
            Some(None) => conflicts.push(format!(
                "{f} (the index has a file of that name and gives no sha256 to compare)"
            )),
        }
    }
    if !conflicts.is_empty() {
        bail!(
            "the index already has different files under these names; nothing was uploaded: {}. \
             Release a new version instead",
            conflicts.join("; ")
        );
    }
    if to_send.is_empty() {
        return Ok(());
    }
    if let Ok(password) = std::env::var("TWINE_PASSWORD") {
        register_secret(&password);
    }
    // Credentials in the URL go to twine through its environment, not its command line.
    let (url, credentials) = split_credentials(&expand_env(&upload.repository_url)?);
    let purpose = format!(
        "upload {} file(s) to {} with twine",
        to_send.len(),
        upload.repository_url
    );
    let mut cmd = Cmd::new(tools_python, purpose).isolated_pip().args([
        "-m",
        "twine",
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
    ]);
    cmd = cmd.envs([("TWINE_REPOSITORY_URL", url)]);
    // A URL with a user and no password leaves the password to TWINE_PASSWORD.
    if let Some((user, password)) = credentials {
        cmd = cmd.env("TWINE_USERNAME", user);
        if let Some(password) = password {
            crate::ops::cmd::register_secret(&password);
            cmd = cmd.env("TWINE_PASSWORD", password);
        }
    }
    ws.runner.run(&cmd.args(to_send.iter().map(|f| output.join(f))))?;
    Ok(())
}

/// `https://user:pass@host/x` → (`https://host/x`, Some((user, Some(pass)))); a user without
/// a password has `None`.
fn split_credentials(url: &str) -> (String, Option<(String, Option<String>)>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..end].rfind('@') else {
        return (url.to_string(), None);
    };
    // As in any URL, the user-info is percent-encoded (`p%40ss` is `p@ss`).
    let (user, password) = match rest[..at].split_once(':') {
        Some((user, password)) => (user, Some(percent_decode(password))),
        None => (&rest[..at], None),
    };
    (
        format!("{scheme}://{}", &rest[at + 1..]),
        Some((percent_decode(user), password)),
    )
}

/// `%XX` escapes decoded (an invalid escape stays as written).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn credentials_leave_the_url() {
        assert_eq!(
            super::split_credentials("https://ci:t0k@h.example/legacy/"),
            (
                "https://h.example/legacy/".to_string(),
                Some(("ci".to_string(), Some("t0k".to_string())))
            )
        );
        assert_eq!(
            super::split_credentials("https://ci%2Dbot:p%40ss%zz@h.example/"),
            (
                "https://h.example/".to_string(),
                Some(("ci-bot".to_string(), Some("p@ss%zz".to_string())))
            )
        );
        assert_eq!(
            super::split_credentials("https://ci@h.example/legacy/"),
            ("https://h.example/legacy/".to_string(), Some(("ci".to_string(), None)))
        );
        assert_eq!(
            super::split_credentials("http://127.0.0.1:8080/"),
            ("http://127.0.0.1:8080/".to_string(), None)
        );
    }
}
