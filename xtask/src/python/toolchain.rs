//! Finding the programs a run needs (git, Python with pip and venv) and the managed venv of
//! pinned build tools under the work folder. Every missing tool is reported in one error.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::manifest::Manifest;
use crate::ops::cmd::{Cmd, Runner};
use crate::ops::fs::{hex, write_atomic};
use crate::python::platform::normalize_machine;

const MIN_PYTHON: (u32, u32) = (3, 9);
const PYTHON_CANDIDATES: &[&str] = &["python3", "python", "py"];
/// Bumped when the layout of the managed venv changes, so old ones are not reused.
const VENV_LAYOUT: &str = "2";

#[derive(Debug, Clone)]
pub struct Python {
    pub path: PathBuf,
    pub version: String,
    /// `3.11`
    pub major_minor: String,
    /// `cpython`, `pypy`
    pub implementation: String,
    /// `linux`, `win32`, `darwin`
    pub sys_platform: String,
    /// normalized: `x86_64`, `aarch64`
    pub machine: String,
    /// Linux: `glibc` or `musl` (empty elsewhere).
    pub libc: String,
}

#[derive(Debug, Clone)]
pub struct Tools {
    pub git: PathBuf,
    pub python: Python,
}

#[derive(Deserialize)]
struct Probe {
    version: String,
    major: u32,
    minor: u32,
    implementation: String,
    sys_platform: String,
    machine: String,
    #[serde(default)]
    libc: String,
    pip: bool,
    venv: bool,
}

const PROBE: &str = "import importlib.util as u, json, platform, sys
print(json.dumps({'version': platform.python_version(), 'major': sys.version_info[0], 'minor': sys.version_info[1],
  'implementation': sys.implementation.name, 'sys_platform': sys.platform, 'machine': platform.machine(),
  'libc': (platform.libc_ver()[0] or 'musl') if sys.platform == 'linux' else '',
  'pip': u.find_spec('pip') is not None, 'venv': u.find_spec('venv') is not None and u.find_spec('ensurepip') is not None}))";

/// Find git and a suitable Python; one error lists everything missing and how to get it.
pub fn find(runner: &Runner, manifest: &Manifest) -> Result<Tools, Vec<String>> {
    let mut problems = Vec::new();
    let git = which::which("git").ok();
    if git.is_none() {
        problems.push("git: not found on PATH. Install git (Debian/Ubuntu: `apt-get install git`, Windows: `winget install Git.Git`).".to_string());
    }
    let python = match find_python(runner, manifest) {
        Ok(p) => Some(p),
        Err(e) => {
            problems.extend(e);
            None
        }
    };
    match (git, python) {
        (Some(git), Some(python)) if problems.is_empty() => Ok(Tools { git, python }),
        _ => Err(problems),
    }
}

const INSTALL_PYTHON: &str = "Install Python 3.9 or newer with pip and venv (Debian/Ubuntu: `apt-get install python3 python3-venv python3-pip`; \
                              Windows: `winget install Python.Python.3.11`)";

/// The Python to use: `XTASK_PYTHON`, else `[python] interpreter`, else the first of the usual
/// names on PATH. Not yet checked to run.
pub fn python_path(manifest: &Manifest) -> Result<PathBuf, String> {
    let configured = std::env::var("XTASK_PYTHON")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| manifest.python.interpreter.clone());
    match &configured {
        Some(name) => which::which(name).map_err(|_| {
            format!("python: {name:?} (from XTASK_PYTHON or [python] interpreter) was not found. {INSTALL_PYTHON}, or fix the setting.")
        }),
        None => PYTHON_CANDIDATES.iter().find_map(|c| which::which(c).ok()).ok_or_else(|| {
            format!("python: none of {} found on PATH. {INSTALL_PYTHON}, or set [python] interpreter in the manifest.", PYTHON_CANDIDATES.join(", "))
        }),
    }
}

fn find_python(runner: &Runner, manifest: &Manifest) -> Result<Python, Vec<String>> {
    let install = INSTALL_PYTHON;
    let path = python_path(manifest).map_err(|e| vec![e])?;
    let out = runner
        .read(&Cmd::new(&path, "ask Python for its version").args(["-I", "-c", PROBE]))
        .map_err(|e| vec![format!("python: {} does not run: {e}", path.display())])?;
    let probe: Probe = serde_json::from_slice(&out.stdout)
        .map_err(|e| vec![format!("python: {} printed unexpected output ({e})", path.display())])?;
    let mut problems = Vec::new();
    if (probe.major, probe.minor) < MIN_PYTHON {
        problems.push(format!(
            "python: {} is Python {}, older than 3.9. {install}.",
            path.display(),
            probe.version
        ));
    }
    if !probe.pip {
        problems.push(format!(
            "pip: {} has no pip. Install it (Debian/Ubuntu: `apt-get install python3-pip`, elsewhere: `{} -m ensurepip`).",
            path.display(),
            path.display()
        ));
    }
    if !probe.venv {
        problems.push(format!(
            "venv: {} cannot create virtual environments. Install the venv module (Debian/Ubuntu: `apt-get install python3-venv`).",
            path.display()
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Python {
        path,
        major_minor: format!("{}.{}", probe.major, probe.minor),
        version: probe.version,
        implementation: probe.implementation,
        sys_platform: probe.sys_platform,
        machine: normalize_machine(&probe.machine),
        libc: probe.libc,
    })
}

/// What [`IndexArgs::pip_env`] sets with `--offline`.
const PIP_NO_INDEX: &str = "PIP_NO_INDEX";

/// Where pip looks for packages, from the manifest only. URLs may hold `${VAR}` references
/// (for credentials); they are expanded only when pip is called, so plans never hold secrets.
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
pub struct IndexArgs {
    pub index_url: String,
    pub extra_index_urls: Vec<String>,
    /// URLs, or paths relative to the repository root.
    pub find_links: Vec<String>,
    /// `--offline`: pip and uv are told to ask no index. Not part of the plan's JSON: it
    /// changes where files may come from, not what is built.
    #[serde(skip)]
    pub offline: bool,
}

impl IndexArgs {
    /// The index settings for pip, as environment variables with `${VAR}`s expanded: never on
    /// a command line, which every local user can read in `/proc/PID/cmdline`. Relative
    /// find-links paths are taken from `root`.
    pub fn pip_env(&self, root: &Path) -> Result<Vec<(String, String)>> {
        if self.offline {
            return Ok(vec![(PIP_NO_INDEX.to_string(), "1".to_string())]);
        }
        let mut env = vec![("PIP_INDEX_URL".to_string(), expand_env(&self.index_url)?)];
        if !self.extra_index_urls.is_empty() {
            env.push((
                "PIP_EXTRA_INDEX_URL".to_string(),
                expand_all(&self.extra_index_urls)?.join(" "),
            ));
        }
        if !self.find_links.is_empty() {
            env.push(("PIP_FIND_LINKS".to_string(), self.find_links(root)?.join(" ")));
        }
        Ok(env)
    }

    /// The same settings for uv (`UV_DEFAULT_INDEX`, `UV_INDEX`, `UV_FIND_LINKS`).
    pub fn uv_env(&self, root: &Path) -> Result<Vec<(String, String)>> {
        if self.offline {
            return Ok(vec![("UV_OFFLINE".to_string(), "1".to_string())]);
        }
        let mut env = vec![("UV_DEFAULT_INDEX".to_string(), expand_env(&self.index_url)?)];
        if !self.extra_index_urls.is_empty() {
            env.push(("UV_INDEX".to_string(), expand_all(&self.extra_index_urls)?.join(" ")));
        }
        if !self.find_links.is_empty() {
            env.push(("UV_FIND_LINKS".to_string(), self.find_links(root)?.join(",")));
        }
        Ok(env)
    }

    /// The index URLs with `${VAR}`s expanded (credentials included): for the file fetcher,
    /// through its environment only.
    pub fn expanded_urls(&self) -> Result<Vec<String>> {
        let mut urls = vec![expand_env(&self.index_url)?];
        urls.extend(expand_all(&self.extra_index_urls)?);
        Ok(urls)
    }

    fn find_links(&self, root: &Path) -> Result<Vec<String>> {
        self.find_links
            .iter()
            .map(|f| {
                let f = expand_env(f)?;
                Ok(if f.contains("://") {
                    f
                } else {
                    root.join(f).to_string_lossy().into_owned()
                })
            })
            .collect()
    }
}

fn expand_all(urls: &[String]) -> Result<Vec<String>> {
    urls.iter().map(|u| expand_env(u)).collect()
}

/// The `${VAR}` references of `text` whose variable is unset or empty.
pub fn unset_env_refs(text: &str) -> Vec<String> {
    env_refs(text)
        .into_iter()
        .filter(|v| std::env::var_os(v).is_none_or(|s| s.is_empty()))
        .collect()
}

/// Names of the `${VAR}` references in `text`.
pub fn env_refs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else { break };
        out.push(rest[start + 2..start + len].to_string());
        rest = &rest[start + len + 1..];
    }
    out
}

/// Replace `${VAR}` with the variable's value; an unset variable is a failed check (exit 3)
/// naming it.
pub fn expand_env(text: &str) -> Result<String> {
    let mut out = text.to_string();
    for var in env_refs(text) {
        let Some(value) = std::env::var(&var).ok().filter(|v| !v.is_empty()) else {
            return Err(crate::error::precheck_failed(
                "a setting needs an environment variable",
                vec![format!(
                    "environment variable {var} is not set (it is used in the package index settings)"
                )],
            ));
        };
        crate::ops::cmd::register_secret(&value);
        out = out.replace(&format!("${{{var}}}"), &value);
    }
    Ok(out)
}

/// The ready venv under `tools` made for `identity` whose requirements are the most of
/// `requirements` and none other, with those requirements.
fn venv_to_extend(tools: &Path, identity: &str, requirements: &[String]) -> Option<(PathBuf, Vec<String>)> {
    let mut best: Option<(PathBuf, Vec<String>)> = None;
    for entry in fs::read_dir(tools).ok()?.flatten() {
        let Ok(text) = fs::read_to_string(entry.path().join(".xtask-ready")) else {
            continue;
        };
        let mut lines = text.lines();
        if lines.next() != Some(identity) {
            continue;
        }
        let have: Vec<String> = lines.map(str::to_string).collect();
        if have.iter().all(|r| requirements.contains(r)) && best.as_ref().is_none_or(|(_, b)| have.len() > b.len()) {
            best = Some((entry.path(), have));
        }
    }
    best
}

/// The Python of the managed build-tools venv, created on first use (dry runs too: it is part
/// of the work folder) and reused while its requirements and base interpreter stay the same.
/// Safe against concurrent runs.
pub fn tools_venv(
    runner: &Runner,
    python: &Python,
    work_dir: &Path,
    requirements: &[String],
    index: &[(String, String)],
) -> Result<PathBuf> {
    use sha2::{Digest, Sha256};
    let mut key = Sha256::new();
    for part in [VENV_LAYOUT, &python.path.to_string_lossy(), &python.version]
        .into_iter()
        .chain(requirements.iter().map(String::as_str))
    {
        key.update(part.as_bytes());
        key.update([0]);
    }
    let key = hex(&key.finalize()[..8]);
    let tools = work_dir.join("tools");
    fs::create_dir_all(&tools).with_context(|| format!("cannot create {}", tools.display()))?;
    let dir = tools.join(format!("venv-{key}"));
    let ready = dir.join(".xtask-ready");
    let venv_python = if cfg!(windows) {
        dir.join("Scripts").join("python.exe")
    } else {
        dir.join("bin").join("python")
    };
    // What the venv was made for: the base interpreter, then one requirement per line.
    let identity = format!("python {} {}", python.path.display(), python.version);
    let wanted = format!("{identity}\n{}", requirements.join("\n"));

    let lock = fs::File::create(tools.join(format!("venv-{key}.lock"))).context("cannot create the tools venv lock")?;
    lock.lock().context("cannot lock the tools venv")?;
    if fs::read_to_string(&ready).is_ok_and(|s| s == wanted) {
        let (ok, _) = runner.probe(&Cmd::new(&venv_python, "check the build-tools venv").args(["-c", "pass"]))?;
        if ok {
            return Ok(venv_python);
        }
    }
    if index.iter().any(|(key, _)| key == PIP_NO_INDEX) {
        bail!(
            "the build-tools venv {} is not made yet (or lacks {}), and --offline asks no index for its tools: run \
             once without --offline on this machine",
            dir.display(),
            requirements.join(" ")
        );
    }
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("cannot remove the broken venv {}", dir.display()))?;
    }
    // Ready venvs never change: the one of the same interpreter with the most of these
    // requirements is copied, and pip adds the rest (twine for a release, say).
    match venv_to_extend(&tools, &identity, requirements) {
        Some((base, have)) => {
            crate::ops::ui::progress!(
                "==> making the build-tools venv {} from {}, adding {}",
                dir.display(),
                base.display(),
                requirements
                    .iter()
                    .filter(|r| !have.contains(r))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            crate::ops::fs::copy_tree(&base, &dir, &[".xtask-ready"])?;
        }
        None => {
            crate::ops::ui::progress!(
                "==> creating the build-tools venv ({}) in {}",
                requirements.join(" "),
                dir.display()
            );
            runner.fill_work_folder(
                &Cmd::new(&python.path, "create the build-tools venv")
                    .args(["-m", "venv"])
                    .arg(&dir),
            )?;
        }
    }
    runner.fill_work_folder(
        &Cmd::new(
            &venv_python,
            "install the pinned build tools into the build-tools venv (from the index in [public])",
        )
        .isolated_pip()
        .envs(index.iter().map(|(k, v)| (k, v)))
        .env_vars(crate::ops::cache::tool_cache_env(work_dir, true))
        .args(["-m", "pip", "install", "--quiet"])
        .args(requirements),
    )?;
    write_atomic(&ready, wanted.as_bytes())?;
    Ok(venv_python)
}
