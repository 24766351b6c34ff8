//! Test harness: fixture repositories (real git) and the real xtask binary, here; a local
//! package index (real HTTP server, real wheels: `index`, `wheels`), a real index that accepts
//! uploads (`pypiserver`), and the checks of the documentation and schemas (`docs`). Nothing
//! is mocked.
//!
//! The only network access is a one-time download of the pinned build tools from the public
//! index into `target/tmp/xtask-tests/tool-wheels`, reused by every later run.

#![allow(dead_code)]

mod docs;
mod index;
mod pypiserver;
mod wheels;

// Each test binary uses a part of the harness.
#[allow(unused_imports)]
pub use {docs::*, index::*, pypiserver::*, wheels::*};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The build tools the shipped manifest's defaults install (see xtask/src/manifest/resolve.rs).
const TOOLS: &[&str] = &[
    "pip==26.3",
    "build==1.6.1",
    "setuptools==84.2.1",
    "wheel==0.48.0",
    "twine==7.0.0",
    "uv==0.13.8",
    "towncrier==26.9.0",
];

/// The index server the upload tests run, with htpasswd support.
const PYPISERVER: &[&str] = &["pypiserver[passlib]==2.4.2"];

/// The validators (workflow and JSON schemas, workflow lint), from PyPI once and cached.
pub const CI_TOOLS: &[&str] = &["check-jsonschema==0.39.0", "zizmor==1.32.0"];

/// Fixed commit and archive time for reproducible fixtures: 2026-11-21 10:00:00 UTC.
pub const EPOCH: &str = "1795255200";

pub const BUILD_NUMBER: &str = "7";

pub const NIGHTLY: &str = "1.4.1.dev20261121007";

pub const LEGACY_NIGHTLY: &str = "2.1.4.dev20261121007";

/// The xtask's folder. Cargo sets `CARGO_MANIFEST_DIR` when it runs the tests too; that value
/// wins over the one compiled in, which is stale when a copy of the same sources (same
/// mtimes, as `scripts/adopt.sh` copies them) reuses a target folder.
pub fn xtask_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}

pub fn workspace_root() -> PathBuf {
    xtask_dir().parent().unwrap().to_path_buf()
}

/// The example repository the tests copy: the plugins and manifest of this repository's
/// root, kept with the tests so that they pass wherever the xtask is copied.
pub fn fixture_root() -> PathBuf {
    xtask_dir().join("tests/fixtures/acme")
}

/// Shared, persistent folder for caches (tool wheels, the build-tools venv); `XTASK_TEST_CACHE`
/// names another (the adopt test shares its own with the tests it runs in the adopted copy).
pub fn cache_dir() -> PathBuf {
    let dir = std::env::var_os("XTASK_TEST_CACHE").map_or_else(
        || Path::new(env!("CARGO_TARGET_TMPDIR")).join("xtask-tests"),
        PathBuf::from,
    );
    fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn python() -> &'static str {
    "python3"
}

/// Environment for any Python/pip the tests run themselves: no ambient pip settings.
pub fn clean_pip(cmd: &mut Command) -> &mut Command {
    for (key, _) in std::env::vars() {
        if key.starts_with("PIP_") && key != "PIP_CERT" {
            cmd.env_remove(key);
        }
    }
    cmd.env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
}

pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The example plugins of this repository and its manifest, with the package index
    /// pointed at the local test index, committed on `main`.
    pub fn examples() -> Repo {
        let repo = Repo::bare_examples();
        repo.commit("fixture: example plugins");
        repo
    }

    /// Like [`Repo::examples`] but not committed yet, for fixtures that change files first.
    pub fn bare_examples() -> Repo {
        Repo::bare_examples_in(&std::env::temp_dir())
    }

    /// A git repository (folder name starting with `prefix`) of `files` (path, text) and a
    /// `.gitignore` of the build's folders, committed on `main` by "Release Bot".
    pub fn of_files(prefix: &str, files: &[(String, String)]) -> Repo {
        let dir = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
        let repo = Repo { dir };
        for (path, text) in files {
            repo.write(path, text);
        }
        repo.write(".gitignore", "/target/\n/dist/\n");
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Release Bot"]);
        repo.git(&["config", "user.email", "release-bot@example.com"]);
        repo.commit("the plugins");
        repo
    }

    /// [`Repo::bare_examples`] in a folder below `parent`.
    pub fn bare_examples_in(parent: &Path) -> Repo {
        let dir = tempfile::Builder::new()
            .prefix("xtask-repo-")
            .tempdir_in(parent)
            .unwrap();
        copy_tree(&fixture_root().join("plugins"), &dir.path().join("plugins"));
        let manifest = fs::read_to_string(fixture_root().join("release-config.toml")).unwrap();
        let manifest = manifest.replacen("[public]\n", &format!("[public]\nindex-url = \"{}\"\n", index().url), 1);
        assert!(
            manifest.contains("index-url"),
            "the shipped manifest has a [public] table"
        );
        fs::write(dir.path().join("release-config.toml"), manifest).unwrap();
        fs::write(dir.path().join(".gitignore"), "/target/\n/dist/\n").unwrap();
        let repo = Repo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    /// Append `text` (after a blank line) to the manifest and commit it as `message`.
    pub fn append_manifest(&self, text: &str, message: &str) {
        let manifest = self.read("release-config.toml");
        self.write("release-config.toml", &format!("{manifest}\n{text}"));
        self.commit(message);
    }

    /// Replace the examples' `[ci]` table with `text` (tables of its own) and commit.
    pub fn replace_ci(&self, text: &str, message: &str) {
        let manifest = self.read("release-config.toml");
        let ci = "[ci]\nproviders = [\"github\", \"gitlab\"]\n";
        assert!(manifest.contains(ci), "the examples have a [ci] table");
        self.write("release-config.toml", &manifest.replacen(ci, text.trim_start(), 1));
        self.commit(message);
    }

    /// The one set folder in `dist/` (`dist/<release>-<version>/`).
    pub fn set_dir(&self) -> PathBuf {
        let dist = self.path().join("dist");
        let sets: Vec<String> = list_dir(&dist).into_iter().filter(|d| dist.join(d).is_dir()).collect();
        assert_eq!(sets.len(), 1, "one set folder in dist/: {sets:?}");
        dist.join(&sets[0])
    }

    /// `file` in the set folder of `dist/` that holds it (else in the only set folder).
    pub fn in_dist(&self, file: &str) -> PathBuf {
        let dist = self.path().join("dist");
        for set in list_dir(&dist) {
            if dist.join(&set).join(file).exists() {
                return dist.join(set).join(file);
            }
        }
        self.set_dir().join(file)
    }

    /// A nightly of the linux platform, without the sources archive.
    pub fn nightly_linux(&self) -> XtaskOutput {
        self.xtask(NIGHTLY_LINUX)
    }

    /// The Linux bundle (`.tar.bz2`) of the set folder, unpacked: see [`unpack`].
    pub fn unpack_linux_bundle(&self) -> (tempfile::TempDir, PathBuf) {
        let names = list_dir(&self.set_dir());
        let bundle = names.iter().find(|n| n.ends_with(".tar.bz2")).expect("a linux bundle");
        unpack(&self.set_dir().join(bundle))
    }

    /// Add requirements to acme-plugin-reports' dependencies (after `tabulate>=0.9`).
    pub fn add_reports_dependencies(&self, requirements: &[&str]) {
        let file = "plugins/acme-plugin-reports/pyproject.toml";
        let added: String = requirements.iter().map(|r| format!("\n    {r:?},")).collect();
        let text = self.read(file);
        assert!(text.contains("\"tabulate>=0.9\","));
        self.write(
            file,
            &text.replace("\"tabulate>=0.9\",", &format!("\"tabulate>=0.9\",{added}")),
        );
    }

    /// Describe a change in the Unreleased section of `plugin`'s changelog (`### {kind}`,
    /// one item); not committed.
    pub fn describe_change(&self, plugin: &str, kind: &str, item: &str) {
        let log = format!("plugins/{plugin}/CHANGELOG.md");
        let text = self.read(&log);
        assert!(text.contains("## [Unreleased]\n"), "{log} has an Unreleased section");
        self.write(
            &log,
            &text.replacen(
                "## [Unreleased]\n",
                &format!("## [Unreleased]\n\n### {kind}\n- {item}\n"),
                1,
            ),
        );
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path().join(rel)).unwrap()
    }

    pub fn git(&self, args: &[&str]) -> String {
        let out = run_ok(
            Command::new("git")
                .current_dir(self.path())
                .args([
                    "-c",
                    "user.name=Fixture",
                    "-c",
                    "user.email=fixture@example.com",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .env("GIT_AUTHOR_DATE", format!("@{EPOCH} +0000"))
                .env("GIT_COMMITTER_DATE", format!("@{EPOCH} +0000")),
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A new bare repository as the remote `origin`, with `main` pushed and tracked.
    pub fn add_bare_origin(&self) -> tempfile::TempDir {
        let remote = tempfile::tempdir().unwrap();
        run_ok(
            Command::new("git")
                .args(["init", "-q", "--bare", "-b", "main"])
                .arg(remote.path()),
        );
        self.git(&["remote", "add", "origin", &remote.path().to_string_lossy()]);
        self.git(&["push", "-q", "-u", "origin", "main"]);
        remote
    }

    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// Run the xtask binary here with a reproducible, hermetic environment.
    pub fn xtask(&self, args: &[&str]) -> XtaskOutput {
        self.xtask_with(args, |_| {})
    }

    pub fn xtask_with(&self, args: &[&str], tweak: impl FnOnce(&mut Command)) -> XtaskOutput {
        let mut cmd = self.command(env!("CARGO_BIN_EXE_xtask"));
        cmd.args(args);
        tweak(&mut cmd);
        let out = cmd.output().expect("run the xtask binary");
        XtaskOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Like [`Repo::xtask_with`], under `strace`: also returns the command line of every
    /// program the run started (execve calls, unabridged), to prove what is never on one.
    pub fn xtask_traced(&self, args: &[&str], tweak: impl FnOnce(&mut Command)) -> (XtaskOutput, String) {
        let trace = tempfile::NamedTempFile::new().unwrap();
        let mut cmd = self.command("strace");
        cmd.args(["-f", "-qq", "-e", "trace=execve", "-s", "65536", "-o"])
            .arg(trace.path())
            .arg(env!("CARGO_BIN_EXE_xtask"))
            .args(args);
        tweak(&mut cmd);
        let out = cmd.output().expect("strace is installed (scripts/install-prereqs.sh)");
        let output = XtaskOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        (output, fs::read_to_string(trace.path()).unwrap())
    }

    /// `program` in the repository, with the environment every xtask run here gets.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.path())
            .env("CARGO_TARGET_DIR", cache_dir().join("cargo-target"))
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .env_remove("CI")
            .env_remove("XTASK_PYTHON");
        for var in [
            "XTASK_BUILD_NUMBER",
            "GITHUB_RUN_NUMBER",
            "CI_PIPELINE_IID",
            "BUILD_NUMBER",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    /// Every file of the working tree (outside .git, target and dist) with its bytes.
    pub fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        collect(self.path(), self.path(), &mut files);
        files.sort();
        files
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if [".git", "target", "dist"].contains(&rel.as_str()) {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            out.push((rel, fs::read(&path).unwrap()));
        }
    }
}

/// Every ref of a repository (a bare remote) with the object it names: `refs/tags/v1 <sha>`.
pub fn remote_refs(remote: &Path) -> String {
    let out = run_ok(
        Command::new("git")
            .arg("-C")
            .arg(remote)
            .args(["for-each-ref", "--format=%(refname) %(objectname)"]),
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn copy_tree(src: &Path, dest: &Path) {
    fs::create_dir_all(dest).unwrap();
    for entry in fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "__pycache__" || name.to_string_lossy().ends_with(".egg-info") {
            continue;
        }
        let target = dest.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub struct XtaskOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl XtaskOutput {
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

/// Files of a folder, sorted (empty when it does not exist).
/// A throwaway passphrase-less signing key in the GnuPG home `home`.
pub fn gpg_add_key(home: &Path) {
    gpg_add_key_for(home, "Release Bot <release-bot@example.com>");
}

/// A new key without passphrase for `user_id` in the keyring at `home`.
pub fn gpg_add_key_for(home: &Path, user_id: &str) {
    run_ok(Command::new("gpg").env("GNUPGHOME", home).args([
        "--batch",
        "--quiet",
        "--passphrase",
        "",
        "--quick-gen-key",
        user_id,
        "default",
        "default",
        "never",
    ]));
}

/// Every file of a folder (not below it) with its bytes, by name.
pub fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    list_dir(dir)
        .into_iter()
        .map(|f| {
            let bytes = fs::read(dir.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

/// The object of the plugin `name` (normalized) in a plan's JSON.
pub fn plan_plugin<'a>(plan: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    plan["plugins"]
        .as_array()
        .expect("a plan has plugins")
        .iter()
        .find(|p| p["normalized_name"] == name)
        .unwrap_or_else(|| panic!("{name} in the plan"))
}

/// Unpack a bundle (zip with Python's zipfile, tar.* with the system tar, as a user would)
/// into a temporary folder; the folder (kept alive by the TempDir) and the bundle's
/// top-level folder in it.
pub fn unpack(archive: &Path) -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    if archive.to_string_lossy().ends_with(".zip") {
        run_ok(
            Command::new(python())
                .args(["-m", "zipfile", "-e"])
                .arg(archive)
                .arg(out.path()),
        );
    } else {
        run_ok(Command::new("tar").arg("xf").arg(archive).arg("-C").arg(out.path()));
    }
    let top = out.path().join(list_dir(out.path()).remove(0));
    (out, top)
}

pub fn list_dir(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// The arguments of [`Repo::nightly_linux`].
pub const NIGHTLY_LINUX: &[&str] = &[
    "nightly",
    "--platform",
    "linux",
    "--no-sources",
    "--build-number",
    BUILD_NUMBER,
];

/// The sha256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
