//! The last check, on a host that matches the bundle's platform: install it offline into a
//! fresh venv and import every plugin.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::bundle_manifest::{BundleManifest, ManifestFile};
use super::report::Log;
use crate::manifest::workspace::Workspace;
use crate::manifest::{normalize_name, Platform};
use crate::ops::cmd::Cmd;
use crate::python::toolchain;

/// This host's tools, or why there are none.
pub type Host = std::result::Result<toolchain::Tools, String>;

/// This host's tools when the bundle is to be installed here for real, else why not: no
/// usable Python, a host of another platform, or problems found already.
pub fn offline_install_tools<'h>(
    host: &'h Host,
    platform: &Platform,
    problems: &[String],
) -> std::result::Result<&'h toolchain::Tools, String> {
    match host {
        Err(missing) => Err(format!("no usable Python here: {missing}")),
        Ok(tools) if crate::plan::check_native(platform, &tools.python).is_err() => {
            Err(format!("this host is not a {} host", platform.name))
        }
        Ok(_) if !problems.is_empty() => Err("the checks above failed".to_string()),
        Ok(tools) => Ok(tools),
    }
}

/// Install the bundle offline into a fresh venv and import every plugin whose import is
/// verified (`[plugin.NAME] verify-import`); plugins' wheels without a module are a problem.
pub fn install_plugins_offline(
    ws: &Workspace,
    tools: &toolchain::Tools,
    dir: &Path,
    manifest: &BundleManifest,
    log: &mut Log,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let (imported, skipped): (Vec<&ManifestFile>, Vec<&ManifestFile>) = manifest
        .files
        .iter()
        .filter(|f| f.origin == "private" && f.file.ends_with(".whl"))
        .partition(|f| ws.manifest.verify_import(&normalize_name(&f.name)));
    let modules = plugin_modules(dir, &imported)?;
    if modules.is_empty() && !imported.is_empty() {
        problems.push(format!(
            "the plugins' wheels ({}) hold no importable module or package",
            imported.iter().map(|f| f.file.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    let failed = install_and_import(ws, &tools.python.path, dir, &modules, log)?;
    if failed.is_empty() {
        log.say(format!(
            "installed offline into a fresh venv and imported: {}",
            modules.join(", ")
        ));
    } else {
        log.say(format!(
            "installed offline into a fresh venv; {} of {} import(s) failed",
            failed.len(),
            modules.len()
        ));
    }
    problems.extend(failed);
    if !skipped.is_empty() {
        log.say(format!(
            "not imported ([plugin.NAME] verify-import = false): {}",
            skipped.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(problems)
}

/// Top-level import names of the plugins' wheels.
/// What to import to load the given wheels: each outermost regular package (a folder with
/// `__init__.py`, also below namespace folders: `acme/plugins/foo` → `acme.plugins.foo`) and
/// each module outside any package.
pub fn plugin_modules(dir: &Path, wheels: &[&ManifestFile]) -> Result<Vec<String>> {
    let mut modules = BTreeSet::new();
    for f in wheels {
        let zip = zip::ZipArchive::new(std::fs::File::open(dir.join(&f.file))?)?;
        let files: Vec<String> = zip
            .file_names()
            .filter_map(Result::ok)
            .filter(|n| n.ends_with(".py"))
            .filter(|n| {
                let top = n.split('/').next().unwrap_or("");
                !top.ends_with(".dist-info") && !top.ends_with(".data")
            })
            .map(|n| n.into_owned())
            .collect();
        let packages: BTreeSet<&str> = files.iter().filter_map(|n| n.strip_suffix("/__init__.py")).collect();
        for name in &files {
            let parts: Vec<&str> = name.trim_end_matches(".py").split('/').collect();
            // The outermost folder on the way down that is a regular package, else the module.
            let package = (1..parts.len()).find(|i| packages.contains(parts[..*i].join("/").as_str()));
            let dotted = match package {
                Some(i) => parts[..i].join("."),
                None if parts.last() == Some(&"__init__") => continue,
                None => parts.join("."),
            };
            if dotted
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
            {
                modules.insert(dotted);
            }
        }
    }
    Ok(modules.into_iter().collect())
}

/// Install the bundle offline into a fresh venv and import every plugin, each on its own so
/// that every failing import is named. Both run in a throwaway HOME, XDG folders and TMPDIR
/// and, where the system allows it (`unshare -rn` on Linux), with no network at all.
pub fn install_and_import(
    ws: &Workspace,
    python: &Path,
    dir: &Path,
    modules: &[String],
    log: &mut Log,
) -> Result<Vec<String>> {
    let sandbox = Sandbox::new(ws)?;
    let venv = tempfile::tempdir().context("cannot create a temporary folder")?;
    ws.runner.read(
        &Cmd::new(python, "create a fresh venv to install the bundle into")
            .args(["-m", "venv"])
            .arg(venv.path()),
    )?;
    let venv_python = if cfg!(windows) {
        venv.path().join("Scripts/python.exe")
    } else {
        venv.path().join("bin/python")
    };
    ws.runner.read(
        &sandbox
            .cmd(
                &venv_python,
                "install the bundle offline (pip --no-index --require-hashes)",
            )
            .isolated_pip()
            .args(["-m", "pip", "install", "--no-index", "--find-links"])
            .arg(dir)
            .args(["--require-hashes", "-r"])
            .arg(dir.join("requirements.txt")),
    )?;
    let (ok, out) = ws.runner.probe(
        &sandbox
            .cmd(&venv_python, "import every plugin")
            .args(["-c", IMPORT_EACH])
            .args(modules),
    )?;
    log.say(format!("install and import: {}", sandbox.describe()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut problems: Vec<String> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix(IMPORT_FAILED))
        .map(|failure| format!("import of {failure}"))
        .collect();
    if !ok && problems.is_empty() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        problems.push(format!(
            "importing the plugins failed: {}",
            stderr.lines().last().unwrap_or("(no output)")
        ));
    }
    Ok(problems)
}

const IMPORT_FAILED: &str = "import failed: ";

/// Import each module named on the command line on its own; print every failure.
const IMPORT_EACH: &str = r#"
import importlib, sys
failed = 0
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except BaseException as e:
        failed += 1
        print(f"import failed: {name}: {type(e).__name__}: {e}", flush=True)
sys.exit(1 if failed else 0)
"#;

/// Where the bundle's code runs during `verify`: a HOME, XDG folders and TMPDIR of its own,
/// removed afterwards, and a network namespace with no network when one can be made.
struct Sandbox {
    dir: tempfile::TempDir,
    /// `unshare`, when it can make a user and network namespace here.
    unshare: Option<PathBuf>,
}

impl Sandbox {
    fn new(ws: &Workspace) -> Result<Sandbox> {
        let dir = tempfile::tempdir().context("cannot create a temporary folder")?;
        for sub in ["home", "config", "cache", "data", "state", "tmp"] {
            std::fs::create_dir(dir.path().join(sub))?;
        }
        let unshare = match which::which("unshare") {
            Ok(unshare) if cfg!(target_os = "linux") => {
                let probe = Cmd::new(&unshare, "check that a network namespace can be made").args(["-rn", "true"]);
                matches!(ws.runner.probe(&probe), Ok((true, _))).then_some(unshare)
            }
            _ => None,
        };
        Ok(Sandbox { dir, unshare })
    }

    /// `program` run in the sandbox.
    fn cmd(&self, program: &Path, purpose: &str) -> Cmd {
        let cmd = match &self.unshare {
            Some(unshare) => Cmd::new(unshare, purpose).arg("-rn").arg(program),
            None => Cmd::new(program, purpose),
        };
        let at = |sub: &str| self.dir.path().join(sub);
        cmd.env("HOME", at("home"))
            .env("USERPROFILE", at("home"))
            .env("XDG_CONFIG_HOME", at("config"))
            .env("XDG_CACHE_HOME", at("cache"))
            .env("XDG_DATA_HOME", at("data"))
            .env("XDG_STATE_HOME", at("state"))
            .env("TMPDIR", at("tmp"))
            .env("TEMP", at("tmp"))
            .env("TMP", at("tmp"))
    }

    fn describe(&self) -> &'static str {
        match self.unshare {
            Some(_) => "throwaway HOME, XDG folders and TMPDIR; no network (unshare -rn)",
            None => "throwaway HOME, XDG folders and TMPDIR; the network stays open (no unshare -rn here)",
        }
    }
}
