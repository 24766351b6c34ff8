//! Build: each plugin's sdist (PEP 517, in the managed venv, no network) and its wheel built
//! from that sdist; then checks that the wheel's metadata carries the planned name and version
//! and that the wheel holds every committed file of its packages (data files, templates...).
//! A plugin built before from the same inputs (see [`build_inputs`]) is taken from the work
//! folder's cache instead; the checks run on it all the same. The builds of a batch run in one
//! process (`python/build_forked.py`), each logged and judged as its own `python -m build`.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use pep440_rs::Version;

use super::exec::{BuiltPlugin, Exec, Report};
use crate::manifest::normalize_name;
use crate::ops::archive::normalize_sdist;
use crate::ops::cache::Cache;
use crate::ops::cmd::Cmd;
use crate::ops::fs::{create_dir, file_names, rename, set_mtimes, sha256_file};
use crate::plan::{FolderAt, Released};

/// Check the plugin folders out of `commit` into the build copy, and the folders of
/// `released` out of their own commits.
pub fn export(exec: &Exec, commit: &str, paths: &[String], released: &[FolderAt]) -> Result<()> {
    let src = exec.src_dir();
    exec.git.export(commit, paths, &src)?;
    for folder in released {
        exec.git.checkout_folder_in(&src, &folder.commit, &folder.path)?;
    }
    Ok(())
}

/// A plugin to build: a build step's fields.
pub struct Job<'a> {
    pub plugin: &'a str,
    pub path: &'a str,
    pub version: &'a str,
    pub wheel_excludes: &'a [String],
    pub released: Option<&'a Released>,
}

/// What building one plugin gave, and how long it took.
pub struct Built {
    pub report: Report,
    pub result: Result<()>,
    pub seconds: f64,
}

/// A plugin ready to be built (or reused from the cache).
struct Prepared {
    out: PathBuf,
    source: PathBuf,
    epoch: u64,
    inputs: serde_json::Value,
    key: String,
    reused: bool,
}

/// Build one plugin (see [`build_all`]).
pub fn build(exec: &Exec, job: Job, report: &mut Report) -> Result<()> {
    let built = build_all(exec, &[job])?.remove(0);
    report.built.extend(built.report.built);
    built.result
}

/// Build plugins whose folders do not nest: each reused from the cache when built before from
/// the same inputs, the others built by one batch of `python -m build` runs, at most `--jobs`
/// at once, then each checked and stored. A plugin's failure is its own; an error here means
/// the batch as a whole failed (interrupted, or its program could not run).
pub fn build_all(exec: &Exec, jobs: &[Job]) -> Result<Vec<Built>> {
    let started = Instant::now();
    let prepared: Vec<Result<Prepared>> = jobs.iter().map(|job| prepare(exec, job)).collect();
    let prepare_seconds = started.elapsed().as_secs_f64() / jobs.len().max(1) as f64;
    let todo: Vec<(&Job, &Prepared)> = jobs
        .iter()
        .zip(&prepared)
        .filter_map(|(job, p)| p.as_ref().ok().filter(|p| !p.reused).map(|p| (job, p)))
        .collect();
    let mut ran = run_batch(exec, &todo)?.into_iter();
    // Each plugin, ready to finish or failed, and its seconds so far.
    let ready: Vec<(Result<Prepared>, f64)> = prepared
        .into_iter()
        .map(|p| match p {
            Ok(p) if !p.reused => {
                let (built, seconds) = ran.next().unwrap_or((Ok(()), 0.0));
                (built.map(|()| p), prepare_seconds + seconds)
            }
            other => (other, prepare_seconds),
        })
        .collect();
    Ok(super::exec::each(exec.ws.jobs, jobs.len(), |i| {
        let started = Instant::now();
        let mut report = Report::default();
        let result = match &ready[i].0 {
            Ok(p) => finish(exec, &jobs[i], p, &mut report),
            Err(e) => Err(anyhow::anyhow!("{e:#}")),
        };
        Built {
            report,
            result,
            seconds: ready[i].1 + started.elapsed().as_secs_f64(),
        }
    }))
}

/// The plugin's build folder, its inputs and whether the cache holds its build; the source's
/// file times set for a build.
fn prepare(exec: &Exec, job: &Job) -> Result<Prepared> {
    let out = exec.stage.join("build").join(job.plugin);
    create_dir(&out)?;
    let source = exec.src_dir().join(job.path);
    let epoch = job.released.map_or(exec.plan.source_date_epoch, |r| r.epoch);
    let inputs = build_inputs(exec, job.plugin, job.path, job.version, epoch)?;
    let key = Cache::key("builds", &inputs);
    let reused = exec.ws.cache.fetch("builds", &key, &out)?.is_some();
    if reused {
        crate::ops::ui::progress!(
            "    {} {}: reused the sdist and wheel built from the same inputs",
            job.plugin,
            job.version
        );
    } else {
        // Backends copy file times into sdists: give every input the plan's fixed time.
        set_mtimes(&source, epoch)?;
    }
    Ok(Prepared {
        out,
        source,
        epoch,
        inputs,
        key,
        reused,
    })
}

/// The build of one plugin as a command a maintainer could run (shown in the log and in its
/// errors).
fn build_command(exec: &Exec, job: &Job, p: &Prepared) -> Cmd {
    Cmd::new(
        &exec.tools_python,
        format!("build sdist and wheel of {} (plugin {})", job.path, job.plugin),
    )
    .isolated_pip()
    .env("SOURCE_DATE_EPOCH", p.epoch.to_string())
    .args(["-m", "build", "--no-isolation", "--outdir"])
    .arg(&p.out)
    .arg(&p.source)
}

/// Run the builds of `todo` as one batch (`build_forked.py`): per build, its result as the
/// runner judges a program's, and its seconds.
fn run_batch(exec: &Exec, todo: &[(&Job, &Prepared)]) -> Result<Vec<(Result<()>, f64)>> {
    if todo.is_empty() {
        return Ok(Vec::new());
    }
    let dir = exec.stage.join("build-batch");
    create_dir(&dir)?;
    let log = |job: &Job| dir.join(format!("{}.log", job.plugin));
    let results = dir.join("results.json");
    let _ = std::fs::remove_file(&results);
    let builds = todo
        .iter()
        .map(|(job, p)| {
            Ok(serde_json::json!({
                "source": utf8(&p.source)?,
                "outdir": utf8(&p.out)?,
                "log": utf8(&log(job))?,
                "env": {"SOURCE_DATE_EPOCH": p.epoch.to_string()},
            }))
        })
        .collect::<Result<Vec<serde_json::Value>>>()?;
    // Modules the backends' hooks import, kept beside the build-tools venv (see the script).
    let learned = exec.tools_python.parent().and_then(Path::parent).map(|venv| {
        let name = venv.file_name().unwrap_or_default().to_string_lossy();
        venv.with_file_name(format!("{name}.preimports.json"))
    });
    let jobs = dir.join("jobs.json");
    let spec = serde_json::json!({
        "jobs": exec.ws.jobs,
        "builds": builds,
        "results": utf8(&results)?,
        "learned": learned.as_deref().and_then(Path::to_str),
    });
    std::fs::write(&jobs, serde_json::to_vec_pretty(&spec)?)
        .with_context(|| format!("cannot write {}", jobs.display()))?;
    // The plan's time for the batch process too: what it imports ahead sees what a build sees.
    let batch = Cmd::new(&exec.tools_python, format!("build {} plugin(s)", todo.len()))
        .isolated_pip()
        .env("SOURCE_DATE_EPOCH", exec.plan.source_date_epoch.to_string())
        .cwd(&dir)
        .args(["-c", crate::python::BUILD_FORKED, "--batch"])
        .arg(&jobs);
    if let Err(e) = exec.ws.runner.run(&batch) {
        if crate::ops::signals::interrupted() {
            bail!("interrupted (Ctrl-C or SIGTERM) while building the plugins");
        }
        return Err(e);
    }
    #[derive(serde::Deserialize)]
    struct Ran {
        code: i32,
        seconds: f64,
        /// Built again in a new interpreter (see the script).
        #[serde(default)]
        again: bool,
    }
    let ran: Vec<Ran> = match std::fs::read(&results) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| format!("{} is not valid", results.display()))?,
        Err(e) => bail!("the build batch wrote no results ({}: {e})", results.display()),
    };
    if ran.len() != todo.len() {
        bail!("the build batch gave {} results for {} builds", ran.len(), todo.len());
    }
    Ok(todo
        .iter()
        .zip(ran)
        .map(|((job, p), ran)| {
            if ran.again {
                crate::ops::ui::progress!(
                    "    {}: built again in a new interpreter (a build hook put a folder of its own on sys.path \
                     that holds a module the batch had imported ahead)",
                    job.plugin
                );
            }
            // Into the run's log (redacted) and gone from the staging folder.
            let output = std::fs::read(log(job)).unwrap_or_default();
            let _ = std::fs::remove_file(log(job));
            let judged = exec
                .ws
                .runner
                .ran_elsewhere(&build_command(exec, job, p), ran.code, output, ran.seconds)
                .map(|_| ());
            (judged, ran.seconds)
        })
        .collect())
}

/// A path the build batch is told in JSON, which holds text only.
fn utf8(path: &Path) -> Result<&str> {
    path.to_str().with_context(|| {
        format!(
            "{} is not valid UTF-8, which the build batch cannot be told: \
             keep the repository and its work folder (CARGO_TARGET_DIR) under UTF-8 paths",
            path.display()
        )
    })
}

/// After a plugin's build (or its reuse): its checks, the cache, its files into the private
/// folder and the report.
fn finish(exec: &Exec, job: &Job, p: &Prepared, report: &mut Report) -> Result<()> {
    let Job {
        plugin,
        path,
        version,
        wheel_excludes,
        released,
    } = *job;
    let out = &p.out;
    let files = file_names(out)?;
    let sdists: Vec<&String> = files.iter().filter(|f| f.ends_with(".tar.gz")).collect();
    let wheels: Vec<&String> = files.iter().filter(|f| f.ends_with(".whl")).collect();
    let (sdist, wheel) = match (sdists.as_slice(), wheels.as_slice()) {
        ([s], [w]) => ((*s).clone(), (*w).clone()),
        _ => bail!("building {path} produced {files:?}; expected one .tar.gz sdist and one .whl wheel"),
    };
    check_built_version(exec, path, plugin, version, &out.join(&wheel))?;
    let commit = released.map_or(exec.plan.commit.as_str(), |r| r.commit.as_str());
    let tracked = exec.git.tracked_files(commit, &[path.to_string()])?;
    let missing = missing_from_wheel(&out.join(&wheel), path, &tracked, wheel_excludes)?;
    if !missing.is_empty() {
        bail!(
            "{path}: the wheel {wheel} lacks {} committed file(s) of its packages: {}. \
             Declare them as package data (pyproject.toml, MANIFEST.in, or the build backend's own settings), \
             or, if leaving them out is intended, list them in [plugin.{plugin}] wheel-excludes (globs as the paths above)",
            missing.len(),
            missing.join(", ")
        );
    }
    if !p.reused {
        normalize_sdist(&out.join(&sdist), p.epoch)?;
        exec.ws.cache.store(
            "builds",
            &p.key,
            &[out.join(&sdist), out.join(&wheel)],
            p.inputs.clone(),
        );
    }
    if let Some(released) = released {
        check_as_released(exec, plugin, released, out, &[&sdist, &wheel])?;
    }
    let private = exec.private_dir();
    create_dir(&private)?;
    for f in [&sdist, &wheel] {
        rename(&out.join(f), &private.join(f))?;
    }
    report.built.push(BuiltPlugin {
        plugin: plugin.to_string(),
        version: version.to_string(),
        sdist,
        wheel,
    });
    Ok(())
}

/// The wheel carries the planned name and version, and (when the version changed) no Python
/// file of it still says the old `__version__`.
fn check_built_version(exec: &Exec, path: &str, plugin: &str, version: &str, wheel: &Path) -> Result<()> {
    let WheelMeta {
        name,
        version: built_version,
        ..
    } = wheel_metadata(wheel)?;
    let planned = Version::from_str(version).map_err(|e| anyhow::anyhow!("planned version {version}: {e}"))?;
    let built = Version::from_str(&built_version).ok();
    if normalize_name(&name) != plugin || built.as_ref() != Some(&planned) {
        bail!(
            "{path}: the built wheel says {name} {built_version}, the plan says {plugin} {version}; \
             the version is probably computed somewhere the stamp does not reach: declare that file as a version file"
        );
    }
    // A plugin whose version changed must not still carry the old one somewhere.
    let changed = exec
        .plan
        .plugins
        .iter()
        .find(|p| p.normalized_name == plugin && p.current_version != p.version);
    if let Some(current) = changed.map(|p| &p.current_version) {
        let stale = stale_versions(wheel, current)?;
        if !stale.is_empty() {
            bail!(
                "{path}: the built wheel still says __version__ = {current:?} in {}; \
                 the stamp did not reach it: declare that file in [plugin.{plugin}] version-files",
                stale.join(", ")
            );
        }
    }
    Ok(())
}

/// A sibling built as released must come out as the released bytes: compared with every copy
/// of its files there is to compare with (in the output folder's sets, in `[publish]
/// release-dir`, the upload index's sha256). A difference stops the release before anything
/// changed.
fn check_as_released(exec: &Exec, plugin: &str, released: &Released, out: &Path, files: &[&String]) -> Result<()> {
    let ws = exec.ws;
    let mut folders: Vec<std::path::PathBuf> = file_names(&ws.output_dir())
        .unwrap_or_default()
        .into_iter()
        .map(|set| ws.output_dir().join(set))
        .filter(|d| d.is_dir())
        .collect();
    folders.extend(ws.manifest.publish.release_dir.as_ref().map(|d| ws.root.join(d)));
    let mut copies: Vec<(String, String, String)> = Vec::new();
    for folder in folders {
        for f in files {
            let copy = folder.join(f);
            if copy.is_file() {
                copies.push((f.to_string(), copy.display().to_string(), sha256_file(&copy)?));
            }
        }
    }
    if let Some(upload) = &ws.manifest.publish.upload {
        let projects = [plugin.to_string()];
        if let Ok(on_index) =
            crate::python::index::files_on_index(&ws.runner, &exec.tools_python, &upload.index_url, &projects)
        {
            for f in files {
                if let Some(Some(sha)) = on_index.get(f.as_str()) {
                    copies.push((f.to_string(), upload.index_url.clone(), sha.clone()));
                }
            }
        }
    }
    let mut differ = Vec::new();
    for (file, place, sha) in &copies {
        if sha256_file(&out.join(file))? != *sha {
            differ.push(format!("{file} (released copy: {place})"));
        }
    }
    if !differ.is_empty() {
        bail!(
            "{plugin}: built as released ({}), its files differ from the released ones: {}. Its build is not \
             reproducible here (another build backend version, or files read from outside its folder): release \
             it too (--plugin {plugin}), or check the released copies",
            released.tag,
            differ.join(", ")
        );
    }
    if !copies.is_empty() {
        crate::ops::ui::progress!(
            "    {plugin}: built as released ({}), byte for byte equal to {} released copy(ies)",
            released.tag,
            copies.len()
        );
    }
    Ok(())
}

/// Everything that decides the bytes of a plugin's sdist and wheel, as the build cache's key:
/// the staged plugin folder after stamping (its files' paths, modes and bytes) and the files
/// at the root of the build copy, the plan's time, the build-tools venv and its requirements;
/// for a build that reads git's history, the commit and the tags too.
fn build_inputs(exec: &Exec, plugin: &str, path: &str, version: &str, epoch: u64) -> Result<serde_json::Value> {
    let src = exec.src_dir();
    let source = src.join(path);
    let mut root_files = Vec::new();
    for name in file_names(&src)? {
        let file = src.join(&name);
        if file.is_file() {
            root_files.push((name, crate::ops::fs::sha256_file(&file)?));
        }
    }
    let history = crate::python::plugins::reads_git_history(&source)
        .then(|| -> Result<_> { Ok((exec.plan.commit.clone(), exec.git.tags()?)) })
        .transpose()?;
    let venv = exec
        .tools_python
        .parent()
        .and_then(Path::parent)
        .map(|v| v.join("pyvenv.cfg"));
    Ok(serde_json::json!({
        "plugin": plugin,
        "path": path,
        "version": version,
        "files": crate::ops::fs::folder_digest(&source, &[".git"])?,
        "root_files": root_files,
        "source_date_epoch": epoch,
        "build_tools": exec.plan.build_tools,
        "tools_python": exec.tools_python.to_string_lossy(),
        "pyvenv_cfg": venv.and_then(|v| std::fs::read_to_string(v).ok()),
        "git_history": history,
    }))
}

/// Extensions of files a wheel holds in compiled form (bytecode, extension modules built from
/// C, C++, Cython, Fortran, Rust or Objective-C sources): never required in it.
const COMPILED_SOURCES: &[&str] = &[
    "pyc", "c", "cc", "cpp", "cxx", "h", "hh", "hpp", "hxx", "pyx", "pxd", "pxi", "f", "f90", "for", "rs", "m", "mm",
];

/// Whether `file` is the `__init__.py` of a namespace parent the backend does not ship: a
/// folder of which the wheel holds no file of its own but holds subfolders (flit's
/// `module = "host.providers.sqlite"` ships `host/providers/sqlite/` only, never the
/// pkgutil-style `host/__init__.py` and `host/providers/__init__.py`).
fn is_namespace_parent_init(file: &str, entries: &std::collections::BTreeSet<String>) -> bool {
    let Some(folder) = file.strip_suffix("__init__.py") else {
        return false;
    };
    let below: Vec<&str> = entries.iter().filter_map(|e| e.strip_prefix(folder)).collect();
    !below.is_empty() && below.iter().all(|rest| rest.contains('/'))
}

/// Committed files of the wheel's import packages that the wheel does not hold, as paths in
/// the wheel (`acme_x/data/plugin.json`), minus `excludes` globs and compiled leftovers.
/// A package's folder in the plugin is where most of its committed Python files are.
fn missing_from_wheel(
    wheel: &Path,
    plugin_dir: &str,
    tracked: &std::collections::BTreeSet<String>,
    excludes: &[String],
) -> Result<Vec<String>> {
    let entries = wheel_entries(wheel)?;
    let packages: std::collections::BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| e.split_once('/').map(|(top, _)| top))
        .filter(|top| !top.ends_with(".dist-info") && !top.ends_with(".data"))
        .collect();
    let prefix = crate::python::plugins::folder_prefix(plugin_dir);
    let files: Vec<&str> = tracked.iter().filter_map(|f| f.strip_prefix(&prefix)).collect();
    let patterns: Vec<glob::Pattern> = excludes.iter().filter_map(|g| glob::Pattern::new(g).ok()).collect();
    let mut missing = Vec::new();
    for package in packages {
        // Candidate roots: the folder above each committed `<root>/<package>/...` path.
        let mut roots: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for f in &files {
            let parts: Vec<&str> = f.split('/').collect();
            if let Some(i) = parts.iter().position(|p| *p == package) {
                if i + 1 < parts.len() && f.ends_with(".py") {
                    *roots.entry(parts[..i].join("/")).or_default() += 1;
                }
            }
        }
        let Some((root, _)) = roots
            .into_iter()
            .max_by_key(|(root, n)| (*n, std::cmp::Reverse(root.len())))
        else {
            continue;
        };
        let inside = if root.is_empty() {
            format!("{package}/")
        } else {
            format!("{root}/{package}/")
        };
        for f in &files {
            let Some(rest) = f.strip_prefix(&inside) else { continue };
            let in_wheel = format!("{package}/{rest}");
            let compiled = rest.split('/').any(|p| p == "__pycache__")
                || rest
                    .rsplit_once('.')
                    .is_some_and(|(_, ext)| COMPILED_SOURCES.contains(&ext.to_ascii_lowercase().as_str()));
            if compiled || entries.contains(&in_wheel) || patterns.iter().any(|p| p.matches(&in_wheel)) {
                continue;
            }
            if is_namespace_parent_init(&in_wheel, &entries) {
                continue;
            }
            missing.push(in_wheel);
        }
    }
    Ok(missing)
}

/// The file names in a wheel.
fn wheel_entries(wheel: &Path) -> Result<std::collections::BTreeSet<String>> {
    let file = std::fs::File::open(wheel).with_context(|| format!("cannot open {}", wheel.display()))?;
    let zip = zip::ZipArchive::new(file).with_context(|| format!("{} is not a valid wheel (zip)", wheel.display()))?;
    Ok(zip
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .collect())
}

/// Python files in a wheel whose module-level `__version__` is still `old`.
fn stale_versions(wheel: &Path, old: &str) -> Result<Vec<String>> {
    let file = std::fs::File::open(wheel).with_context(|| format!("cannot open {}", wheel.display()))?;
    let mut zip =
        zip::ZipArchive::new(file).with_context(|| format!("{} is not a valid wheel (zip)", wheel.display()))?;
    let old = Version::from_str(old).ok();
    let mut stale = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let Ok(name) = entry.name().map(|n| n.into_owned()) else {
            continue;
        };
        if !name.ends_with(".py") || name.contains(".dist-info/") {
            continue;
        }
        let mut text = String::new();
        if entry.read_to_string(&mut text).is_err() {
            continue;
        }
        let values = crate::python::pysource::module_assignments(&text, "__version__");
        if values.iter().any(|r| Version::from_str(&text[r.clone()]).ok() == old) {
            stale.push(name);
        }
    }
    Ok(stale)
}

/// What a wheel's `*.dist-info/METADATA` says about it.
pub struct WheelMeta {
    pub name: String,
    pub version: String,
    pub license: Option<String>,
}

/// The text of a wheel's `*.dist-info/METADATA`, read once per run (several checks and the
/// SBOM ask for its fields; the wheels are never rewritten in place).
fn read_metadata(wheel: &Path) -> Result<String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static KNOWN: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let identity = crate::ops::fs::stored_identity(wheel)?;
    let known = KNOWN.get_or_init(Default::default);
    if let Some(text) = known.lock().expect("the metadata memo").get(&identity) {
        return Ok(text.clone());
    }
    let text = read_metadata_uncached(wheel)?;
    known.lock().expect("the metadata memo").insert(identity, text.clone());
    Ok(text)
}

fn read_metadata_uncached(wheel: &Path) -> Result<String> {
    let file = std::fs::File::open(wheel).with_context(|| format!("cannot open {}", wheel.display()))?;
    let mut zip =
        zip::ZipArchive::new(file).with_context(|| format!("{} is not a valid wheel (zip)", wheel.display()))?;
    let name = zip
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.ends_with(".dist-info/METADATA") && n.matches('/').count() == 1)
        .map(|n| n.into_owned())
        .with_context(|| format!("{} has no .dist-info/METADATA", wheel.display()))?;
    let mut text = String::new();
    zip.by_name(&name)?.read_to_string(&mut text)?;
    Ok(text)
}

/// The header fields of METADATA or PKG-INFO (up to the first empty line). A line that starts
/// with a space or a tab continues the field before it (RFC 822 folding: a `License` holding
/// the license's whole text), joined with a newline.
fn headers(text: &str) -> impl Iterator<Item = (&str, String)> {
    let mut fields: Vec<(&str, String)> = Vec::new();
    for line in text.lines().take_while(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
        } else if let Some((key, value)) = line.split_once(':') {
            fields.push((key, value.trim().to_string()));
        }
    }
    fields.into_iter().map(|(k, v)| (k, v.trim_end().to_string()))
}

/// A `License` field that names a license: one short line, not setuptools' `UNKNOWN` (some
/// projects put the license's whole text there).
pub fn license_name(value: &str) -> Option<&str> {
    let value = value.trim();
    (!value.is_empty() && !value.contains('\n') && value.len() <= 100 && !value.eq_ignore_ascii_case("UNKNOWN"))
        .then_some(value)
}

/// `Name`, `Version` and license (`License-Expression`, else a one-line `License`) from a
/// wheel's METADATA.
pub fn wheel_metadata(wheel: &Path) -> Result<WheelMeta> {
    let text = read_metadata(wheel)?;
    let header = |key: &str| headers(&text).find(|(k, _)| *k == key).map(|(_, v)| v);
    let license = header("License-Expression")
        .filter(|l| !l.is_empty())
        .or_else(|| header("License").and_then(|l| license_name(&l).map(str::to_string)));
    match (header("Name"), header("Version")) {
        (Some(name), Some(version)) => Ok(WheelMeta { name, version, license }),
        _ => bail!("{}: METADATA lacks Name or Version", wheel.display()),
    }
}

/// The `Requires-Dist` lines of a wheel's METADATA.
pub fn wheel_requires(wheel: &Path) -> Result<Vec<String>> {
    wheel_header_values(wheel, "Requires-Dist")
}

/// The values of every `key:` header of a wheel's METADATA, in order.
pub fn wheel_header_values(wheel: &Path, key: &str) -> Result<Vec<String>> {
    let text = read_metadata(wheel)?;
    Ok(headers(&text).filter(|(k, _)| *k == key).map(|(_, v)| v).collect())
}

/// The `Requires-Python` of an sdist's top-level PKG-INFO, if it has one (read from the
/// archive; nothing is run).
pub fn sdist_requires_python(sdist: &Path) -> Result<Option<String>> {
    let Some(bytes) = crate::ops::archive::read_entry(sdist, |n| {
        n.trim_start_matches("./").matches('/').count() == 1 && n.ends_with("/PKG-INFO")
    })?
    else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let found = headers(&text)
        .find(|(k, _)| *k == "Requires-Python")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty());
    Ok(found)
}

/// The `Requires-Python` of a wheel's METADATA, if it has one.
pub fn wheel_requires_python(wheel: &Path) -> Result<Option<String>> {
    let text = read_metadata(wheel)?;
    let found = headers(&text)
        .find(|(k, _)| *k == "Requires-Python")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty());
    Ok(found)
}
