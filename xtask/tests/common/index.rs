//! The local package index: fixture packages (real wheels and sdists) served over real HTTP
//! on 127.0.0.1, and the pinned build tools fetched once from the public index.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use super::*;

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
        let dir = index_dir();
        let simple = dir.join("simple");
        let add = |file: &Path| {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let project = normalize(name.split('-').next().unwrap());
            let folder = simple.join(project);
            fs::create_dir_all(&folder).unwrap();
            if fs::hard_link(file, folder.join(&name)).is_err() {
                fs::copy(file, folder.join(&name)).unwrap();
            }
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

/// The shared index's folder, `xtask-index-<pid>` in the temporary folder: it lives as long
/// as this test process (a static is never dropped), so each process first removes the folders
/// of test processes that have ended.
fn index_dir() -> PathBuf {
    let tmp = std::env::temp_dir();
    for entry in fs::read_dir(&tmp).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("xtask-index-") else {
            continue;
        };
        let ended = match pid.parse::<u32>() {
            Ok(pid) => !Path::new("/proc").join(pid.to_string()).exists(),
            // The random names of older versions of these tests: ended unless recent.
            Err(_) => entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age.as_secs() > 3 * 3600)),
        };
        if ended {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    let dir = tmp.join(format!("xtask-index-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// An index of a test's own: the shared index's files (hard links) served by a server that
/// the test may stop, in a folder it may add files to.
pub struct OwnIndex {
    pub url: String,
    pub dir: tempfile::TempDir,
    server: Option<Child>,
}

impl OwnIndex {
    pub fn start() -> OwnIndex {
        OwnIndex::start_guarded(None)
    }

    /// Like [`OwnIndex::start`], but every request without HTTP basic auth of `user` and
    /// `password` is answered 401, as an internal index that needs a login answers.
    pub fn start_with_login(user: &str, password: &str) -> OwnIndex {
        OwnIndex::start_guarded(Some((user, password)))
    }

    fn start_guarded(login: Option<(&str, &str)>) -> OwnIndex {
        let dir = tempfile::Builder::new().prefix("xtask-own-index-").tempdir().unwrap();
        let simple = dir.path().join("simple");
        for project in fs::read_dir(index().dir.join("simple")).unwrap() {
            let project = project.unwrap().path();
            let folder = simple.join(project.file_name().unwrap());
            fs::create_dir_all(&folder).unwrap();
            for file in fs::read_dir(&project).unwrap() {
                let file = file.unwrap().path();
                fs::hard_link(&file, folder.join(file.file_name().unwrap())).unwrap();
            }
        }
        let (server, url) = serve_guarded(dir.path(), login);
        OwnIndex {
            url: format!("{url}/simple/"),
            dir,
            server: Some(server),
        }
    }

    /// Put a file on the index (under its project's page).
    pub fn add(&self, file: &Path) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let folder = self
            .dir
            .path()
            .join("simple")
            .join(normalize(name.split('-').next().unwrap()));
        fs::create_dir_all(&folder).unwrap();
        fs::copy(file, folder.join(&name)).unwrap();
    }

    /// Give every project a PEP 503 page (`index.html`) as real indexes serve them: each
    /// file's `#sha256=` and `data-requires-python` (read from its METADATA or PKG-INFO),
    /// instead of the bare folder listing.
    pub fn write_pages(&self) {
        let script = r#"
import hashlib, html, os, re, sys, tarfile, zipfile
root = os.path.join(sys.argv[1], "simple")
for project in os.listdir(root):
    folder = os.path.join(root, project)
    links = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name == "index.html":
            continue
        if name.endswith(".whl"):
            with zipfile.ZipFile(path) as z:
                meta = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
        else:
            with tarfile.open(path) as t:
                meta = t.extractfile(next(m for m in t.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO"))).read().decode()
        found = re.search(r"^Requires-Python: (.*)$", meta, re.M)
        attr = f' data-requires-python="{html.escape(found.group(1).strip())}"' if found else ""
        sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
        links.append(f'<a href="{name}#sha256={sha}"{attr}>{name}</a><br>')
    with open(os.path.join(folder, "index.html"), "w") as f:
        f.write("<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n")
"#;
        let status = Command::new(python())
            .args(["-c", script])
            .arg(self.dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "write the index pages");
    }

    /// Stop serving: every request from now on is refused.
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

impl Drop for OwnIndex {
    fn drop(&mut self) {
        self.stop();
    }
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
/// - `macpkg`: one `macosx_10_9_universal2` wheel; `armpkg`: aarch64 and x86_64 wheels;
/// - `glibcpkg` 1.0: a `manylinux2014` and a `manylinux_2_28` wheel (the target's installer
///   takes the newer glibc's);
/// - `newmac` 1.0: a `macosx_11_0_x86_64` wheel and a native sdist;
/// - `patchfloor` 3.0 and 2.0 declare `Requires-Python >=3.7,!=3.11.0,!=3.11.1`, 1.0 nothing.
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
        fake_wheel_tagged(
            dir,
            "newmac",
            "1.0",
            "newmac",
            "",
            &[],
            "cp311-cp311-macosx_11_0_x86_64",
        ),
        fake_sdist(dir, "newmac", "1.0", "newmac", true),
        fake_wheel_tagged(dir, "glibcpkg", "1.0", "glibcpkg", "", &[], linux),
        fake_wheel_tagged(
            dir,
            "glibcpkg",
            "1.0",
            "glibcpkg",
            "",
            &[],
            "cp311-cp311-manylinux_2_28_x86_64",
        ),
        fake_wheel_meta(
            dir,
            "patchfloor",
            "3.0",
            "patchfloor",
            &[],
            "py3-none-any",
            "Requires-Python: >=3.7,!=3.11.0,!=3.11.1\n",
        ),
        fake_wheel_meta(
            dir,
            "patchfloor",
            "2.0",
            "patchfloor",
            &[],
            "py3-none-any",
            "Requires-Python: >=3.7,!=3.11.0,!=3.11.1\n",
        ),
        fake_wheel(dir, "patchfloor", "1.0", "patchfloor", "", &[]),
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
    serve_guarded(dir, None)
}

/// Serve `dir`; with a login, only to requests that carry it (HTTP basic auth).
fn serve_guarded(dir: &Path, login: Option<(&str, &str)>) -> (Child, String) {
    let script = r#"
import base64, functools, http.server, os, sys, threading
login = os.environ.get("XTASK_TEST_LOGIN")
expected = "Basic " + base64.b64encode(login.encode()).decode() if login else None
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def send_head(self):
        if expected and self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="index"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return super().send_head()
handler = functools.partial(Quiet, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
"#;
    let mut command = Command::new(python());
    if let Some((user, password)) = login {
        command.env("XTASK_TEST_LOGIN", format!("{user}:{password}"));
    }
    let mut child = command
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
pub fn tool_wheels() -> PathBuf {
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
