//! Test harness: fixture repositories (real git), a local package index (real HTTP server,
//! real wheels), and the real xtask binary. Nothing is mocked.
//!
//! The only network access is a one-time download of the pinned build tools from the public
//! index into `target/tmp/xtask-tests/tool-wheels`, reused by every later run.

#![allow(dead_code)]

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

/// The build tools the shipped manifest's defaults install (see config.rs).
const TOOLS: &[&str] = &[
    "pip==26.3",
    "build==1.6.1",
    "setuptools==84.2.1",
    "wheel==0.48.0",
    "twine==7.0.0",
    "uv==0.13.8",
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

// ---------------------------------------------------------------------------------------------
// The local package index.

pub struct Index {
    pub url: String,
    pub dir: PathBuf,
    _server: Child,
}

/// One index per test process: the pinned build tools plus fixture "public" packages.
pub fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let tools = tool_wheels();
        let dir = tempfile::Builder::new()
            .prefix("xtask-index-")
            .tempdir()
            .unwrap()
            .keep();
        let simple = dir.join("simple");
        let add = |file: &Path| {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let project = normalize(name.split('-').next().unwrap());
            let folder = simple.join(project);
            fs::create_dir_all(&folder).unwrap();
            fs::copy(file, folder.join(&name)).unwrap();
        };
        for entry in fs::read_dir(&tools).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "whl") {
                add(&path);
            }
        }
        let fixtures = dir.join("fixtures");
        fs::create_dir_all(&fixtures).unwrap();
        for (name, version, module, body, requires) in public_fixtures() {
            add(&fake_wheel(&fixtures, name, version, module, body, requires));
        }
        // A native package with a Linux wheel only, and two that ship only an sdist: one pure
        // (builds into a py3-none-any wheel anywhere), one that claims a C extension.
        add(&fake_wheel_tagged(
            &fixtures,
            "linuxonly-native",
            "1.0",
            "linuxonly_native",
            "",
            &[],
            "cp311-cp311-manylinux2014_x86_64",
        ));
        add(&fake_sdist(&fixtures, "puresdist", "1.0", "puresdist", false));
        // A package whose extra pulls in one more dependency.
        add(&fake_wheel(
            &fixtures,
            "extrapkg",
            "1.0",
            "extrapkg",
            "",
            &["socksdep>=1; extra == \"socks\""],
        ));
        add(&fake_wheel(&fixtures, "socksdep", "1.0", "socksdep", "", &[]));
        add(&fake_sdist(&fixtures, "nativesdist", "1.0", "nativesdist", true));
        for file in resolver_fixtures(&fixtures) {
            add(&file);
        }
        let (server, url) = serve(&dir);
        Index {
            url: format!("{url}/simple/"),
            dir,
            _server: server,
        }
    })
}

/// Packages that make a resolver earn its keep (see tests/resolve.rs):
/// - `swapa` 2.0 needs `swapcore` 2.0, which has a Linux wheel only; `swapa` 1.0 needs
///   `swapcore` 1.0, which has Windows and Linux wheels: a Windows resolution must backtrack;
/// - `richy` 15 needs `mdit`, `richy` 11.2 nothing: `richy<12` must not bring `mdit`;
/// - `oldpure` (sdist only) 2.0 and `rpwheel` 2.0 declare `Requires-Python <3.12`, their
///   1.0 nothing; `rppatch` 2.0 needs `>=3.11.4`;
/// - `reqs` 2.31 and 2.29, for conflicts;
/// - `uvl`: Linux and macOS wheels and a native sdist (a package that does not support
///   Windows);
/// - `markered`: requirements behind `sys_platform`, `platform_system`, `python_version` and
///   an extra;
/// - `macpkg`: one `macosx_10_9_universal2` wheel; `armpkg`: aarch64 and x86_64 wheels.
pub fn resolver_fixtures(dir: &Path) -> Vec<PathBuf> {
    let linux = "cp311-cp311-manylinux2014_x86_64";
    vec![
        fake_wheel(dir, "swapa", "2.0", "swapa", "", &["swapcore==2.0"]),
        fake_wheel(dir, "swapa", "1.0", "swapa", "", &["swapcore==1.0"]),
        fake_wheel_tagged(dir, "swapcore", "2.0", "swapcore", "", &[], linux),
        fake_wheel_tagged(dir, "swapcore", "1.0", "swapcore", "", &[], linux),
        fake_wheel_tagged(dir, "swapcore", "1.0", "swapcore", "", &[], "cp311-cp311-win_amd64"),
        fake_wheel(dir, "richy", "15.0", "richy", "", &["mdit>=1"]),
        fake_wheel(dir, "richy", "11.2", "richy", "", &[]),
        fake_wheel(dir, "mdit", "1.0", "mdit", "", &[]),
        fake_sdist_requiring_python(dir, "oldpure", "2.0", "oldpure", "<3.12"),
        fake_sdist(dir, "oldpure", "1.0", "oldpure", false),
        fake_wheel_meta(
            dir,
            "rpwheel",
            "2.0",
            "rpwheel",
            &[],
            "py3-none-any",
            "Requires-Python: <3.12\n",
        ),
        fake_wheel(dir, "rpwheel", "1.0", "rpwheel", "", &[]),
        fake_wheel_meta(
            dir,
            "rppatch",
            "2.0",
            "rppatch",
            &[],
            "py3-none-any",
            "Requires-Python: >=3.11.4\n",
        ),
        fake_wheel(dir, "rppatch", "1.0", "rppatch", "", &[]),
        fake_wheel(dir, "reqs", "2.31", "reqs", "", &[]),
        fake_wheel(dir, "reqs", "2.29", "reqs", "", &[]),
        fake_wheel_tagged(dir, "uvl", "0.21", "uvl", "", &[], linux),
        fake_wheel_tagged(dir, "uvl", "0.21", "uvl", "", &[], "cp311-cp311-macosx_10_9_universal2"),
        fake_sdist(dir, "uvl", "0.21", "uvl", true),
        fake_wheel(
            dir,
            "markered",
            "1.0",
            "markered",
            "",
            &[
                "colorama; sys_platform == \"win32\"",
                "ptyprocess; platform_system != \"Windows\"",
                "rpwheel; python_version < \"3.12\"",
                "mdit; python_version >= \"3.12\"",
                "socksdep; extra == \"fast\" and platform_system == \"Windows\"",
            ],
        ),
        fake_wheel_tagged(
            dir,
            "macpkg",
            "1.0",
            "macpkg",
            "",
            &[],
            "cp311-cp311-macosx_10_9_universal2",
        ),
        fake_wheel_tagged(
            dir,
            "armpkg",
            "1.0",
            "armpkg",
            "",
            &[],
            "cp311-cp311-manylinux_2_17_aarch64",
        ),
        fake_wheel_tagged(
            dir,
            "armpkg",
            "1.0",
            "armpkg",
            "",
            &[],
            "cp311-cp311-manylinux_2_17_x86_64",
        ),
    ]
}

/// (name, version, module, module source, Requires-Dist): stand-ins for the public packages
/// the example plugins use, so tests never need the public index.
pub fn public_fixtures() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
)> {
    vec![
        (
            "tabulate",
            "0.9.0",
            "tabulate",
            "def tabulate(rows, headers=(), tablefmt=''):\n    return repr(list(rows))\n",
            &[],
        ),
        (
            "ptyprocess",
            "0.7.0",
            "ptyprocess",
            "class PtyProcess:\n    pass\n",
            &[],
        ),
        ("pluggy", "1.5.0", "pluggy", "class PluginManager:\n    pass\n", &[]),
        (
            "colorama",
            "0.4.6",
            "colorama",
            "def just_fix_windows_console():\n    pass\n",
            &[],
        ),
    ]
}

/// Serve `dir` over HTTP on 127.0.0.1 at a free port. The server exits when this process
/// does (it waits for EOF on its stdin).
fn serve(dir: &Path) -> (Child, String) {
    let script = r#"
import functools, http.server, sys, threading
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
handler = functools.partial(Quiet, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
"#;
    let mut child = Command::new(python())
        .args(["-c", script])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the local index");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().expect("the index printed its port");
    // Keep stdin open for the life of the process by leaking the handle.
    std::mem::forget(child.stdin.take());
    (child, format!("http://127.0.0.1:{port}"))
}

/// The pinned build tools as wheels, downloaded once from the public index and cached.
fn tool_wheels() -> PathBuf {
    cached_wheels("tool-wheels", TOOLS)
}

/// The build backends of the fixture plugins in tests/backends.rs (and what they need), as
/// wheels downloaded once from the public index and cached. Kept out of the shared index
/// (they bring a real `pluggy` that would replace the fixture one): tests point `find-links`
/// at this folder.
pub fn backend_wheels() -> PathBuf {
    cached_wheels(
        "backend-wheels",
        &[
            "setuptools-scm==10.3.4",
            "hatchling==1.33.0",
            "hatch-vcs==0.5.0",
            "flit-core==4.2.0",
            "poetry-core==2.5.0",
            "pdm-backend==2.5.0",
        ],
    )
}

/// Wheels of `packages` and their dependencies in the test cache folder `name`, downloaded
/// once (under a lock) and reused while the list stays the same.
fn cached_wheels(name: &str, packages: &[&str]) -> PathBuf {
    let dir = cache_dir().join(name);
    let ready = dir.join(".ready");
    let wanted = packages.join("\n");
    let lock = fs::File::create(cache_dir().join(format!("{name}.lock"))).unwrap();
    lock.lock().unwrap();
    if fs::read_to_string(&ready).is_ok_and(|s| s == wanted) {
        return dir;
    }
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    run_ok(clean_pip(
        Command::new(python())
            .args(["-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest"])
            .arg(&dir)
            .args(packages),
    ));
    fs::write(&ready, wanted).unwrap();
    dir
}

/// uv from the pinned tool wheels (no network), in a cached venv.
pub fn uv_binary() -> PathBuf {
    let dir = cache_dir().join("uv-venv");
    let ready = dir.join(".ready");
    let wheels = tool_wheels();
    let lock = fs::File::create(cache_dir().join("uv-venv.lock")).unwrap();
    lock.lock().unwrap();
    if !ready.is_file() {
        let _ = fs::remove_dir_all(&dir);
        run_ok(Command::new(python()).args(["-m", "venv"]).arg(&dir));
        run_ok(clean_pip(
            Command::new(dir.join("bin/python"))
                .args(["-m", "pip", "install", "--quiet", "--no-index", "--find-links"])
                .arg(&wheels)
                .arg(TOOLS.iter().find(|t| t.starts_with("uv==")).unwrap()),
        ));
        fs::write(&ready, "").unwrap();
    }
    dir.join("bin/uv")
}

pub fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = if matches!(c, '_' | '.') {
            '-'
        } else {
            c.to_ascii_lowercase()
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out
}

/// A minimal but valid pure-Python wheel.
pub fn fake_wheel(dir: &Path, name: &str, version: &str, module: &str, body: &str, requires: &[&str]) -> PathBuf {
    fake_wheel_tagged(dir, name, version, module, body, requires, "py3-none-any")
}

/// An sdist (PEP 517, setuptools). With `native`, its setup.py declares a C extension, so the
/// wheel it builds is specific to the host.
pub fn fake_sdist(dir: &Path, name: &str, version: &str, module: &str, native: bool) -> PathBuf {
    fake_sdist_full(dir, name, version, module, native, None)
}

/// A pure sdist whose metadata declares `Requires-Python`.
pub fn fake_sdist_requiring_python(dir: &Path, name: &str, version: &str, module: &str, python: &str) -> PathBuf {
    fake_sdist_full(dir, name, version, module, false, Some(python))
}

fn fake_sdist_full(
    dir: &Path,
    name: &str,
    version: &str,
    module: &str,
    native: bool,
    requires_python: Option<&str>,
) -> PathBuf {
    let base = format!("{name}-{version}");
    let (project_rp, info_rp) = match requires_python {
        Some(rp) => (
            format!("requires-python = \"{rp}\"\n"),
            format!("Requires-Python: {rp}\n"),
        ),
        None => (String::new(), String::new()),
    };
    let path = dir.join(format!("{base}.tar.gz"));
    let setup = if native {
        format!("from setuptools import setup, Extension\nsetup(ext_modules=[Extension('{module}._speed', ['{module}/_speed.c'])])\n")
    } else {
        "from setuptools import setup\nsetup()\n".to_string()
    };
    let files = [
        ("pyproject.toml".to_string(), format!("[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"{name}\"\nversion = \"{version}\"\n{project_rp}\n[tool.setuptools]\npackages = [\"{module}\"]\n")),
        ("PKG-INFO".to_string(), format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{info_rp}")),
        ("setup.py".to_string(), setup),
        (format!("{module}/__init__.py"), String::new()),
        (format!("{module}/_speed.c"), "#include <Python.h>\nstatic struct PyModuleDef m = {PyModuleDef_HEAD_INIT, \"_speed\"};\nPyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&m); }\n".to_string()),
    ];
    let gz = flate2::write::GzEncoder::new(fs::File::create(&path).unwrap(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (file, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, format!("{base}/{file}"), content.as_bytes())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
    path
}

/// A minimal but valid wheel with the given `python-abi-platform` tags.
pub fn fake_wheel_tagged(
    dir: &Path,
    name: &str,
    version: &str,
    module: &str,
    body: &str,
    requires: &[&str],
    tags: &str,
) -> PathBuf {
    fake_wheel_with(dir, name, version, module, body, requires, tags, "")
}

/// An empty wheel with more METADATA header lines (`headers`, each ending in a newline).
pub fn fake_wheel_meta(
    dir: &Path,
    name: &str,
    version: &str,
    module: &str,
    requires: &[&str],
    tags: &str,
    headers: &str,
) -> PathBuf {
    fake_wheel_with(dir, name, version, module, "", requires, tags, headers)
}

#[allow(clippy::too_many_arguments)]
fn fake_wheel_with(
    dir: &Path,
    name: &str,
    version: &str,
    module: &str,
    body: &str,
    requires: &[&str],
    tags: &str,
    headers: &str,
) -> PathBuf {
    let dist = name.replace('-', "_");
    let path = dir.join(format!("{dist}-{version}-{tags}.whl"));
    let info = format!("{dist}-{version}.dist-info");
    let mut metadata =
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test fixture\n{headers}");
    for r in requires {
        if let Some(extra) = r.split("extra == \"").nth(1).and_then(|e| e.split('"').next()) {
            metadata.push_str(&format!("Provides-Extra: {extra}\n"));
        }
        metadata.push_str(&format!("Requires-Dist: {r}\n"));
    }
    let files = [
        (format!("{module}/__init__.py"), body.to_string()),
        (format!("{info}/METADATA"), metadata),
        (
            format!("{info}/WHEEL"),
            format!(
                "Wheel-Version: 1.0\nGenerator: xtask-tests\nRoot-Is-Purelib: {}\nTag: {tags}\n",
                tags == "py3-none-any"
            ),
        ),
    ];
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    let mut record = String::new();
    for (file, content) in &files {
        zip.start_file(file.as_str(), options).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
        record.push_str(&format!("{file},,\n"));
    }
    record.push_str(&format!("{info}/RECORD,,\n"));
    zip.start_file(format!("{info}/RECORD"), options).unwrap();
    zip.write_all(record.as_bytes()).unwrap();
    zip.finish().unwrap();
    path
}

// ---------------------------------------------------------------------------------------------
// Fixture repositories.

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
    run_ok(Command::new("gpg").env("GNUPGHOME", home).args([
        "--batch",
        "--quiet",
        "--passphrase",
        "",
        "--quick-gen-key",
        "Release Bot <release-bot@example.com>",
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

// ---------------------------------------------------------------------------------------------
// A real package index that accepts uploads (pypiserver), for the publish tests.

/// A Python venv with pypiserver, made once from the public index and cached.
pub fn pypiserver_python() -> PathBuf {
    tool_venv("pypiserver-venv", PYPISERVER)
}

/// A venv named `name` in the test cache with `packages` installed from the public index,
/// made once (under a lock) and reused; returns its python.
pub fn tool_venv(name: &str, packages: &[&str]) -> PathBuf {
    let dir = cache_dir().join(name);
    let ready = dir.join(".ready");
    let lock = fs::File::create(cache_dir().join(format!("{name}.lock"))).unwrap();
    lock.lock().unwrap();
    let venv_python = dir.join("bin/python");
    if !ready.is_file() {
        let _ = fs::remove_dir_all(&dir);
        run_ok(Command::new(python()).args(["-m", "venv"]).arg(&dir));
        run_ok(clean_pip(
            Command::new(&venv_python)
                .args(["-m", "pip", "install", "--quiet"])
                .args(packages),
        ));
        fs::write(&ready, "").unwrap();
    }
    venv_python
}

pub struct PackageServer {
    pub url: String,
    pub packages: tempfile::TempDir,
    child: Child,
}

impl Drop for PackageServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl PackageServer {
    /// pypiserver on 127.0.0.1 at a free port; uploads need user `ci` and `password`.
    pub fn start(password: &str) -> PackageServer {
        let python = pypiserver_python();
        let packages = tempfile::tempdir().unwrap();
        let htpasswd = packages.path().join(".htpasswd");
        run_ok(
            Command::new(&python)
                .args([
                    "-c",
                    "import sys; from passlib.apache import HtpasswdFile as H; h = H(sys.argv[1], new=True); \
                     h.set_password('ci', sys.argv[2]); h.save()",
                ])
                .arg(&htpasswd)
                .arg(password),
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&python)
            .args([
                "-m",
                "pypiserver",
                "run",
                "-i",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-a",
                "update",
                "-P",
            ])
            .arg(&htpasswd)
            .args(["--disable-fallback", "--hash-algo", "sha256"])
            .arg(packages.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pypiserver");
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed().as_secs() < 30, "pypiserver did not start");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        PackageServer {
            url: format!("http://127.0.0.1:{port}"),
            packages,
            child,
        }
    }

    /// Files the server holds.
    pub fn files(&self) -> Vec<String> {
        list_dir(self.packages.path())
            .into_iter()
            .filter(|f| !f.starts_with('.'))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The JSON documents are documented: every key emitted appears in the docs.

/// The xtask's reference, `xtask/docs/`: it travels with the xtask into adopted repositories.
pub fn docs_dir() -> PathBuf {
    xtask_dir().join("docs")
}

/// The root of this tool's own source repository, or `None` (saying so) in a repository the
/// xtask was copied into: there the root's README.md, plugins, workflows and scripts are that
/// repository's own, and the checks of ours against the code do not apply.
pub fn source_repository() -> Option<PathBuf> {
    let root = workspace_root();
    if root.join("scripts/adopt.sh").is_file() {
        Some(root)
    } else {
        eprintln!(
            "not this tool's source repository (no scripts/adopt.sh at {}): nothing to check",
            root.display()
        );
        None
    }
}

/// The pages of `xtask/docs/`, and README.md in this tool's source repository, as (file,
/// text).
pub fn doc_pages() -> Vec<(PathBuf, String)> {
    let mut files: Vec<PathBuf> = list_dir(&docs_dir())
        .into_iter()
        .filter(|name| name.ends_with(".md"))
        .map(|name| docs_dir().join(name))
        .collect();
    if let Some(root) = source_repository() {
        files.insert(0, root.join("README.md"));
    }
    files
        .into_iter()
        .map(|file| {
            let text = fs::read_to_string(&file).unwrap();
            (file, text)
        })
        .collect()
}

/// The section under the heading that starts with `heading` (up to the next heading of the
/// same or a higher level), in a page of xtask/docs/ (or README.md).
pub fn readme_section(heading: &str) -> String {
    let (readme, start) = doc_pages()
        .into_iter()
        .find_map(|(_, text)| {
            let at = format!("\n{text}").find(&format!("\n{heading}"))?;
            Some((format!("\n{text}"), at))
        })
        .unwrap_or_else(|| panic!("no page of xtask/docs/ has a heading {heading:?}"));
    let level = heading.chars().take_while(|c| *c == '#').count();
    let rest = &readme[start + 1..];
    let end = rest
        .match_indices("\n#")
        .find(|(i, _)| rest[i + 1..].chars().take_while(|c| *c == '#').count() <= level)
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].to_string()
}

/// Every object key in `value` (recursively; not inside maps keyed by data, like `notes`)
/// appears in `docs` as `` `key` `` or `"key"`.
pub fn assert_keys_documented(value: &serde_json::Value, docs: &str, what: &str) {
    fn walk(v: &serde_json::Value, keys: &mut std::collections::BTreeSet<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map {
                    keys.insert(k.clone());
                    if k != "notes" {
                        walk(child, keys);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, keys)),
            _ => {}
        }
    }
    let mut keys = std::collections::BTreeSet::new();
    walk(value, &mut keys);
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !docs.contains(&format!("`{k}`")) && !docs.contains(&format!("\"{k}\"")))
        .collect();
    assert!(
        missing.is_empty(),
        "the docs do not document these keys of {what}: {missing:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The JSON documents match their schemas in xtask/docs/schema, checked by check-jsonschema.

/// `xtask/docs/schema/<schema>.schema.json`.
pub fn schema_path(schema: &str) -> PathBuf {
    docs_dir().join("schema").join(format!("{schema}.schema.json"))
}

/// `files` validate against check-jsonschema's builtin schema `builtin`
/// (`vendor.github-workflows`, `vendor.gitlab-ci`).
pub fn assert_builtin_schema(builtin: &str, files: &[PathBuf]) {
    let out = ci_tool("check-jsonschema")
        .args(["--builtin-schema", builtin])
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A program of the cached validators venv (`check-jsonschema`, `zizmor`).
pub fn ci_tool(program: &str) -> Command {
    let venv_python = tool_venv("ci-tools-venv", CI_TOOLS);
    Command::new(venv_python.parent().unwrap().join(program))
}

/// check-jsonschema's verdict on `value` against `xtask/docs/schema/<schema>.schema.json`: `Err`
/// with its output when the value does not match.
pub fn check_schema(value: &serde_json::Value, schema: &str) -> Result<(), String> {
    let schema_file = schema_path(schema);
    assert!(schema_file.is_file(), "{} does not exist", schema_file.display());
    let mut instance = tempfile::Builder::new()
        .prefix(&format!("{schema}-"))
        .suffix(".json")
        .tempfile()
        .unwrap();
    serde_json::to_writer_pretty(&mut instance, value).unwrap();
    instance.flush().unwrap();
    let out = ci_tool("check-jsonschema")
        .arg("--schemafile")
        .arg(&schema_file)
        .arg(instance.path())
        .output()
        .expect("run check-jsonschema");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(())
    } else {
        Err(said)
    }
}

/// `value` (a `--json` document) is valid against `xtask/docs/schema/<schema>.schema.json`.
pub fn assert_matches_schema(value: &serde_json::Value, schema: &str) {
    if let Err(said) = check_schema(value, schema) {
        panic!("the document does not match xtask/docs/schema/{schema}.schema.json:\n{said}\ndocument:\n{value:#}");
    }
}
