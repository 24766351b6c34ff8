//! A real package index that accepts uploads (pypiserver), for the publish tests.

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::*;

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
        // pypiserver exits when this process does (EOF on its stdin), also when the server
        // is a never-dropped static shared by a test binary's tests.
        let mut child = Command::new(&python)
            .args([
                "-c",
                "import os, runpy, sys, threading\n\
                 threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()\n\
                 sys.argv[0] = 'pypiserver'\n\
                 runpy.run_module('pypiserver', run_name='__main__', alter_sys=True)",
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
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pypiserver");
        // Keep stdin open for the life of this process by leaking the handle.
        std::mem::forget(child.stdin.take());
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
