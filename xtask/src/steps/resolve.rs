//! Resolve: the dependency set of every platform this host is not, by uv's resolver run for
//! the target (markers evaluated for it, backtracking on conflicts), then every pinned wheel
//! fetched in one `pip download --no-deps` per platform. What uv does not check is checked
//! here: each chosen distribution's `Requires-Python` against the target's Python (a misfit
//! is excluded and the set resolved again), and a dependency that has only an sdist for the
//! target is built into a `py3-none-any` wheel when it is pure Python, never compiled for
//! another platform. Every platform is resolved before any fails, so one error lists them all.
//!
//! Owns `<stage>/resolved/<platform>/` (the wheels of each platform, the plugins' excluded)
//! and `<stage>/pure-wheels/` (wheels built from pure sdists, shared by all platforms).
//! Never writes to the repository or the output folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use pep440_rs::Version;

use super::build::{wheel_metadata, wheel_requires_python};
use super::exec::Exec;
use crate::manifest::{normalize_name, Platform};
use crate::ops::cmd::Cmd;
use crate::ops::fs::{create_dir, file_names, rename, write_atomic};
use crate::python::platform::{expand_tags, python_admits, resolver_target, wheel_fits, ResolverTarget, TargetOs};

/// How often a platform is resolved again after excluding distributions whose
/// Requires-Python does not admit its Python.
const MAX_ROUNDS: usize = 8;

/// uv's targets for the other operating systems, asked whether a package that has no wheel
/// for the target has wheels elsewhere (then it probably does not support the target).
const OTHER_SYSTEMS: &[(TargetOs, &str)] = &[
    (TargetOs::Linux, "x86_64-manylinux_2_28"),
    (TargetOs::Windows, "x86_64-pc-windows-msvc"),
    (TargetOs::Macos, "aarch64-apple-darwin"),
];

/// The folder with the resolved public wheels of `platform`.
pub fn resolved_dir(stage: &Path, platform: &str) -> PathBuf {
    stage.join("resolved").join(platform)
}

pub fn resolve(exec: &Exec, platforms: &[String], requirements: &[String]) -> Result<()> {
    let mut failures = Vec::new();
    for name in platforms {
        let target = exec
            .ws
            .manifest
            .platform(name)
            .with_context(|| format!("platform {name} is not in the manifest"))?;
        if let Err(e) = resolve_platform(exec, target, requirements) {
            failures.push(format!("{name}: {e:#}"));
        }
    }
    if !failures.is_empty() {
        bail!(
            "the dependencies cannot be collected for {} platform(s):\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
    Ok(())
}

/// Before anything is built: resolve every platform collected by download from the plugins'
/// declared metadata (static stand-ins, `name @ file://`, with the planned versions and sibling
/// pins) and the public requirements, so that a conflict is reported for every platform at
/// once before a single plugin is built. An index out of reach is not a problem here (the
/// resolution after the build says what is wrong); only a proven conflict is.
pub fn check(exec: &Exec) -> Result<Vec<String>> {
    let platforms: Vec<&crate::plan::PlannedPlatform> = exec
        .plan
        .platforms
        .iter()
        .filter(|p| p.strategy == crate::plan::WheelhouseStrategy::Download)
        .collect();
    if platforms.is_empty() {
        return Ok(Vec::new());
    }
    let work = exec.stage.join("resolve-check");
    let versions: BTreeMap<&str, &str> = exec
        .plan
        .plugins
        .iter()
        .map(|p| (p.normalized_name.as_str(), p.version.as_str()))
        .collect();
    let mut roots = Vec::new();
    for p in &exec.plan.plugins {
        let mut deps = Vec::new();
        for dep in &p.dependencies {
            let Ok(req) = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(dep) else {
                continue;
            };
            let name = normalize_name(req.name.as_ref());
            if name == p.normalized_name {
                continue;
            }
            deps.push(match versions.get(name.as_str()) {
                Some(version) => match dep.split_once(';') {
                    Some((_, marker)) => format!("{name}=={version}; {}", marker.trim()),
                    None => format!("{name}=={version}"),
                },
                None => dep.clone(),
            });
        }
        let quoted: Vec<String> = deps.iter().map(serde_json::to_string).collect::<Result<_, _>>()?;
        let dir = work.join(&p.normalized_name);
        create_dir(&dir)?;
        write_atomic(
            &dir.join("pyproject.toml"),
            format!(
                "[project]\nname = {}\nversion = {}\ndependencies = [{}]\n",
                serde_json::to_string(&p.normalized_name)?,
                serde_json::to_string(&p.version)?,
                quoted.join(", ")
            )
            .as_bytes(),
        )?;
        roots.push(format!("{} @ {}", p.normalized_name, file_url(&dir)));
    }
    roots.extend(exec.plan.public_requirements.iter().cloned());
    let mut problems = Vec::new();
    for planned in platforms {
        let target = exec
            .ws
            .manifest
            .platform(&planned.name)
            .with_context(|| format!("platform {} is not in the manifest", planned.name))?;
        let resolver = resolver_target(target).map_err(anyhow::Error::msg)?;
        let dir = work.join("platforms").join(&target.name);
        create_dir(&dir)?;
        write_atomic(&dir.join("requirements.in"), roots.join("\n").as_bytes())?;
        write_atomic(&dir.join("constraints.txt"), b"")?;
        let outcome = compile(exec, &resolver, target, &dir, &dir, true).and_then(|r| match r {
            Ok(_) => Ok(Ok(())),
            Err(_) => compile(exec, &resolver, target, &dir, &dir, false).map(|r| r.map(|_| ())),
        });
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(conflict)) => problems.push(format!(
                "{}: {}",
                target.name,
                explain_conflict(&conflict, target, &resolver)
            )),
            Err(e) => crate::ops::ui::progress!(
                "    could not check the dependencies for {} before building ({}); they are resolved after the build",
                target.name,
                e.to_string().lines().next().unwrap_or_default()
            ),
        }
    }
    Ok(problems)
}

/// A pinned distribution of a resolution, and who asked for it.
#[derive(Debug, Clone)]
struct Pin {
    name: String,
    version: String,
    via: String,
}

fn resolve_platform(exec: &Exec, target: &Platform, requirements: &[String]) -> Result<()> {
    let resolver = resolver_target(target).map_err(anyhow::Error::msg)?;
    let work = exec.stage.join("resolve").join(&target.name);
    let out = resolved_dir(exec.stage, &target.name);
    let pure = exec.stage.join("pure-wheels");
    for dir in [&work, &out, &pure] {
        create_dir(dir)?;
    }
    let roots = root_requirements(exec, target, requirements)?;
    write_atomic(&work.join("requirements.in"), roots.join("\n").as_bytes())?;

    let mut excluded: Vec<String> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        write_atomic(&work.join("constraints.txt"), excluded.join("\n").as_bytes())?;
        let pins = match compile(exec, &resolver, target, &work, &pure, true)? {
            Ok(pins) => pins,
            Err(binary_only) => {
                // No solution from wheels alone: with sdists allowed, either it resolves (and
                // the sdist-only pins are built or named) or it is a real conflict.
                let pins = compile(exec, &resolver, target, &work, &pure, false)?
                    .map_err(|conflict| anyhow::anyhow!("{}", explain_conflict(&conflict, target, &resolver)))?;
                build_pure_sdists(exec, &resolver, target, &work, &pure, &pins)?;
                compile(exec, &resolver, target, &work, &pure, true)?
                    .map_err(|_| anyhow::anyhow!("{}", explain_conflict(&binary_only, target, &resolver)))?
            }
        };
        download(exec, target, &work, &pure, &out, &pins)?;
        let misfits = python_misfits(target, &out, &pins)?;
        if misfits.is_empty() {
            return keep_only(&out, &pins);
        }
        for (pin, file, requires) in misfits {
            crate::ops::ui::progress!(
                "    {} {} requires Python {requires}, not {}: resolving {} again without it",
                pin.name,
                pin.version,
                target.python,
                target.name
            );
            std::fs::remove_file(out.join(&file)).with_context(|| format!("cannot remove {file}"))?;
            excluded.push(format!("{}!={}", pin.name, pin.version));
        }
    }
    bail!(
        "no set of versions whose Requires-Python admits Python {} was found after excluding {}",
        target.python,
        excluded.join(", ")
    )
}

/// The plugins' own wheels (which must fit the target) by file URL, so that no index is ever
/// asked for them, and the public requirements.
fn root_requirements(exec: &Exec, target: &Platform, requirements: &[String]) -> Result<Vec<String>> {
    let private = exec.private_dir();
    let plugins: Vec<&str> = exec.plan.plugins.iter().map(|p| p.normalized_name.as_str()).collect();
    let mut roots = Vec::new();
    let mut native = Vec::new();
    for file in file_names(&private)?.into_iter().filter(|f| f.ends_with(".whl")) {
        if !wheel_fits(&file, target).map_err(anyhow::Error::msg)? {
            native.push(file);
            continue;
        }
        let meta = wheel_metadata(&private.join(&file))?;
        roots.push(format!(
            "{} @ {}",
            normalize_name(&meta.name),
            file_url(&private.join(&file))
        ));
    }
    if !native.is_empty() {
        bail!(
            "{} {} built for this host only (it is not pure Python): build the {} bundle on a {} machine",
            native.join(", "),
            if native.len() == 1 { "is" } else { "are" },
            target.name,
            target.name
        );
    }
    roots.extend(
        requirements
            .iter()
            .filter(|r| !plugins.iter().any(|p| r.starts_with(&format!("{p}=="))))
            .cloned(),
    );
    Ok(roots)
}

/// `uv pip compile` for the target. `Ok(pins)`, or `Err(uv's explanation)` when there is no
/// solution.
fn compile(
    exec: &Exec,
    resolver: &ResolverTarget,
    target: &Platform,
    work: &Path,
    pure: &Path,
    binary_only: bool,
) -> Result<Result<Vec<Pin>, String>> {
    let output = work.join(if binary_only {
        "pins.txt"
    } else {
        "pins-with-sdists.txt"
    });
    let mut cmd = uv_compile(exec, resolver, target)?
        .args(["--no-header", "--annotation-style", "line", "--quiet"])
        .arg("--constraint")
        .arg(work.join("constraints.txt"))
        .arg("--find-links")
        .arg(pure)
        .arg("--output-file")
        .arg(&output);
    if binary_only {
        cmd = cmd.args(["--only-binary", ":all:"]);
    }
    if let Err(no_solution) = run_uv(exec, &cmd.arg(work.join("requirements.in")))? {
        return Ok(Err(no_solution));
    }
    let text = std::fs::read_to_string(&output).with_context(|| format!("cannot read {}", output.display()))?;
    Ok(Ok(parse_pins(&text)))
}

/// Run uv; `Ok(Err(explanation))` when it found no solution, an error for any other failure
/// (an index out of reach, a malformed requirement), with uv's own words.
fn run_uv(exec: &Exec, cmd: &Cmd) -> Result<Result<(), String>> {
    let (ok, out) = exec.ws.runner.probe(cmd)?;
    if ok {
        return Ok(Ok(()));
    }
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    if text.contains("No solution found") {
        return Ok(Err(text));
    }
    bail!(
        "{} failed:\n{}\nfull log: {}",
        cmd.purpose,
        crate::ops::cmd::redact(text.trim_end()),
        exec.ws.runner.log_path().display()
    )
}

/// `uv pip compile` for the target, with the pinned tools venv's interpreter for any metadata
/// build, the index from the manifest (through the environment), its cache under the work
/// folder (none with `--no-cache`), and no ambient configuration or Python downloads.
fn uv_compile(exec: &Exec, resolver: &ResolverTarget, target: &Platform) -> Result<Cmd> {
    let uv = exec
        .tools_python
        .parent()
        .context("the tools venv has no bin folder")?
        .join(if cfg!(windows) { "uv.exe" } else { "uv" });
    let mut cmd = Cmd::new(
        uv,
        format!(
            "resolve the dependencies for {} with uv ({})",
            target.name, resolver.triple
        ),
    )
    .isolated_uv()
    .envs(exec.plan.index.uv_env(&exec.ws.root)?)
    .env_vars(exec.ws.tool_cache_env())
    .args(["--color", "never", "pip", "compile"]);
    if let Some(version) = &resolver.macos_deployment_target {
        cmd = cmd.env("MACOSX_DEPLOYMENT_TARGET", version);
    }
    Ok(cmd
        .arg("--python")
        .arg(&exec.tools_python)
        .args([
            "--python-platform",
            &resolver.triple,
            "--python-version",
            &target.python,
        ])
        .args([
            "--index-strategy",
            "unsafe-best-match",
            "--prerelease",
            "if-necessary-or-explicit",
        ]))
}

/// `name==version  # via a, b` lines of a compiled requirements file; direct URL lines (the
/// plugins' own wheels) are left out.
fn parse_pins(text: &str) -> Vec<Pin> {
    text.lines()
        .filter_map(|line| {
            let (req, comment) = line.split_once('#').unwrap_or((line, ""));
            let (name, version) = req.trim().split_once("==")?;
            let via: Vec<&str> = comment
                .trim()
                .strip_prefix("via ")
                .unwrap_or("")
                .split(", ")
                .map(|v| {
                    if v.starts_with("-r ") {
                        "[public] requirements"
                    } else {
                        v.trim()
                    }
                })
                .filter(|v| !v.is_empty())
                .collect();
            Some(Pin {
                name: normalize_name(name.trim()),
                version: version.trim().to_string(),
                via: via.join(", "),
            })
        })
        .collect()
}

/// The pins that have no wheel for the target: pure Python ones are built into a
/// `py3-none-any` wheel in `pure` (used by the next resolution through `--find-links`); the
/// others are errors that say whether the package supports the target at all.
fn build_pure_sdists(
    exec: &Exec,
    resolver: &ResolverTarget,
    target: &Platform,
    work: &Path,
    pure: &Path,
    pins: &[Pin],
) -> Result<()> {
    let sdist_only = without_target_wheels(exec, resolver, target, work, pins, &resolver.triple)?;
    let mut problems = Vec::new();
    let mut native = Vec::new();
    for pin in sdist_only {
        let requirement = format!("{}=={}", pin.name, pin.version);
        let scratch = tempfile::Builder::new()
            .prefix("sdist-")
            .tempdir_in(work)
            .context("cannot create a download folder")?;
        exec.ws.runner.read(
            &pip(exec, format!("download the sdist of {requirement}"))?
                // `--no-binary :all:` would reach the build-dependency install too.
                .args(["download", "--no-deps", "--no-binary", &pin.name, "--dest"])
                .arg(scratch.path())
                .arg(&requirement),
        )?;
        let sdist = file_names(scratch.path())?
            .into_iter()
            .next()
            .with_context(|| format!("pip downloaded no sdist of {requirement}"))?;
        let source = native_source(&scratch.path().join(&sdist))?;
        if source.as_deref().is_some_and(is_rust) {
            native.push((pin, source.unwrap_or_default()));
            continue;
        }
        // Built with every compiler replaced by `false`: a pure package (or one whose
        // optional C speed-ups fall back) still gives a `py3-none-any` wheel; nothing is
        // compiled for the wrong platform.
        let mut build = pip(
            exec,
            format!("build a wheel of {requirement} from its sdist, without compilers"),
        )?
        .env("SOURCE_DATE_EPOCH", exec.plan.source_date_epoch.to_string());
        for compiler in ["CC", "CXX", "LDSHARED", "FC", "F77", "F90"] {
            build = build.env(compiler, "false");
        }
        let (built, _) = exec.ws.runner.probe(
            &build
                .args(["wheel", "--no-deps", "--wheel-dir"])
                .arg(scratch.path())
                .arg(scratch.path().join(&sdist)),
        )?;
        let wheels: Vec<String> = file_names(scratch.path())?
            .into_iter()
            .filter(|f| f.ends_with(".whl"))
            .collect();
        match wheels.as_slice() {
            [wheel] if built && wheel_fits(wheel, target).unwrap_or(false) => {
                rename(&scratch.path().join(wheel), &pure.join(wheel))?;
            }
            _ => match source {
                Some(source) => native.push((pin, source)),
                None => problems.push(format!(
                    "{requirement} (required by {}) has no wheel for {} and its sdist does not build into a pure-Python wheel (see the log)",
                    pin.via, target.name
                )),
            },
        }
    }
    if !native.is_empty() {
        let names: Vec<Pin> = native.iter().map(|(p, _)| p.clone()).collect();
        let mut elsewhere: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (os, triple) in OTHER_SYSTEMS.iter().filter(|(os, _)| *os != target.os) {
            let missing = without_target_wheels(exec, resolver, target, work, &names, triple)?;
            for pin in &names {
                if !missing.iter().any(|m| m.name == pin.name) {
                    elsewhere.entry(pin.name.clone()).or_default().push(os.sys_platform());
                }
            }
        }
        for (pin, source) in native {
            let sys_platform = target.os.sys_platform();
            problems.push(match elsewhere.get(&pin.name) {
                Some(systems) => format!(
                    "{} {} (required by {}) publishes wheels for {} but none for {}: it probably does not support {}. \
                     Keep it off this platform with a marker where it is required, e.g. `{}; sys_platform != \"{sys_platform}\"`, \
                     or require a version that has a {} wheel",
                    pin.name, pin.version, pin.via, systems.join(", "), target.name, target.name, pin.name, target.name
                ),
                None => format!(
                    "{} {} (required by {}) has no wheel for {} and its sdist is not pure Python ({source}): \
                     it must be compiled on {} itself, so build the {} bundle on a {} machine",
                    pin.name, pin.version, pin.via, target.name, target.name, target.name, target.name
                ),
            });
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(())
}

/// Of `pins`, those that have no wheel for the uv target `triple`: asked of uv in one call
/// (`--no-deps`, PEP 751 output, which lists the wheels that fit and any sdist).
fn without_target_wheels(
    exec: &Exec,
    resolver: &ResolverTarget,
    target: &Platform,
    work: &Path,
    pins: &[Pin],
    triple: &str,
) -> Result<Vec<Pin>> {
    let input = work.join(format!("files-{triple}.in"));
    // uv insists on PEP 751 names: pylock.<name>.toml, no dots in <name>.
    let output = work.join(format!("pylock.{}.toml", triple.replace('.', "-")));
    let lines: Vec<String> = pins.iter().map(|p| format!("{}=={}", p.name, p.version)).collect();
    write_atomic(&input, lines.join("\n").as_bytes())?;
    let other = ResolverTarget {
        triple: triple.to_string(),
        macos_deployment_target: resolver.macos_deployment_target.clone(),
    };
    let listed = run_uv(
        exec,
        &uv_compile(exec, &other, target)?
            .args(["--no-deps", "--quiet", "--format", "pylock.toml", "--output-file"])
            .arg(&output)
            .arg(&input),
    )?;
    if listed.is_err() {
        // Some pin is not available at all for that system: count none as having wheels.
        return Ok(pins.to_vec());
    }
    let lock: toml::Table = std::fs::read_to_string(&output)
        .with_context(|| format!("cannot read {}", output.display()))?
        .parse()
        .with_context(|| format!("uv wrote an unreadable {}", output.display()))?;
    let with_wheels: BTreeSet<String> = lock
        .get("packages")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
        .filter(|p| {
            p.get("wheels")
                .and_then(|w| w.as_array())
                .is_some_and(|w| !w.is_empty())
        })
        .filter_map(|p| p.get("name").and_then(|n| n.as_str()).map(normalize_name))
        .collect();
    Ok(pins
        .iter()
        .filter(|p| !with_wheels.contains(&p.name))
        .cloned()
        .collect())
}

fn is_rust(source: &str) -> bool {
    source.ends_with(".rs") || source.ends_with("/Cargo.toml")
}

/// A file in an sdist that needs a compiler (C, C++, Cython, Fortran, Rust, Objective-C).
fn native_source(sdist: &Path) -> Result<Option<String>> {
    const NATIVE: &[&str] = &[".c", ".cc", ".cpp", ".cxx", ".pyx", ".f", ".f90", ".rs", ".m", ".mm"];
    Ok(crate::ops::archive::list_entries(sdist)?
        .into_iter()
        .map(|e| e.name)
        .find(|n| NATIVE.iter().any(|ext| n.ends_with(ext)) || n.ends_with("/Cargo.toml")))
}

/// pip from the tools venv, isolated, with the manifest's index in its environment.
pub(super) fn pip(exec: &Exec, purpose: String) -> Result<Cmd> {
    Ok(Cmd::new(&exec.tools_python, purpose)
        .isolated_pip()
        .envs(exec.plan.index.pip_env(&exec.ws.root)?)
        .env_vars(exec.ws.tool_cache_env())
        .args(["-m", "pip"]))
}

/// Fetch every pinned wheel for the target in one `pip download`. Requires-Python is judged
/// afterwards ([`python_misfits`]), so pip is told to ignore it.
fn download(exec: &Exec, target: &Platform, work: &Path, pure: &Path, out: &Path, pins: &[Pin]) -> Result<()> {
    if pins.is_empty() {
        return Ok(());
    }
    let list = work.join("download.txt");
    let lines: Vec<String> = pins.iter().map(|p| format!("{}=={}", p.name, p.version)).collect();
    write_atomic(&list, lines.join("\n").as_bytes())?;
    let cmd = pip(exec, format!("download {} wheel(s) for {}", pins.len(), target.name))?
        .args(["download", "--ignore-requires-python", "--dest"])
        .arg(out)
        .arg("--find-links")
        .arg(pure)
        .args(pip_target_args(target));
    exec.ws.runner.read(&cmd.arg("--requirement").arg(&list))?;
    Ok(())
}

/// `pip download` options that fetch exactly one wheel per requirement for the target:
/// its Python, implementation, ABIs (its own, `abi3`, `none`) and every platform tag it
/// accepts (`any` included), binaries only, no dependencies.
pub(super) fn pip_target_args(target: &Platform) -> Vec<String> {
    let mut args: Vec<String> = [
        "--no-deps",
        "--only-binary=:all:",
        "--progress-bar",
        "off",
        "--python-version",
        &target.python,
        "--implementation",
        &target.implementation,
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    for abi in [target.abi.as_str(), "abi3", "none"] {
        args.extend(["--abi".to_string(), abi.to_string()]);
    }
    for tag in expand_tags(&target.tags).into_iter().chain(["any".to_string()]) {
        args.extend(["--platform".to_string(), tag]);
    }
    args
}

/// The downloaded wheels whose Requires-Python does not admit the target's Python.
fn python_misfits(target: &Platform, out: &Path, pins: &[Pin]) -> Result<Vec<(Pin, String, String)>> {
    let files = wheel_files(out)?;
    let mut misfits = Vec::new();
    for pin in pins {
        let file = files
            .get(&(pin.name.clone(), normalize_version(&pin.version)))
            .with_context(|| {
                format!(
                    "pip did not download a wheel of {}=={} for {}",
                    pin.name, pin.version, target.name
                )
            })?;
        if let Some(requires) = wheel_requires_python(&out.join(file))? {
            if !python_admits(&requires, &target.python) {
                misfits.push((pin.clone(), file.clone(), requires));
            }
        }
    }
    Ok(misfits)
}

/// Remove wheels of earlier rounds that the final pins no longer name.
fn keep_only(out: &Path, pins: &[Pin]) -> Result<()> {
    let wanted: BTreeSet<(String, String)> = pins
        .iter()
        .map(|p| (p.name.clone(), normalize_version(&p.version)))
        .collect();
    for (key, file) in wheel_files(out)? {
        if !wanted.contains(&key) {
            std::fs::remove_file(out.join(&file)).with_context(|| format!("cannot remove {file}"))?;
        }
    }
    Ok(())
}

/// Wheels in `dir` by (normalized name, normalized version).
fn wheel_files(dir: &Path) -> Result<BTreeMap<(String, String), String>> {
    let mut files = BTreeMap::new();
    for file in file_names(dir)?.into_iter().filter(|f| f.ends_with(".whl")) {
        let mut parts = file.splitn(3, '-');
        if let (Some(name), Some(version)) = (parts.next(), parts.next()) {
            files.insert((normalize_name(name), normalize_version(version)), file.clone());
        }
    }
    Ok(files)
}

fn normalize_version(v: &str) -> String {
    Version::from_str(v).map_or_else(|_| v.to_string(), |v| v.to_string())
}

/// uv's "no solution" explanation, with what "you require" means here.
fn explain_conflict(text: &str, target: &Platform, resolver: &ResolverTarget) -> String {
    let explanation: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("warning:") && !l.trim().is_empty())
        .map(|l| l.trim_start_matches("error: ").trim_start_matches("  cause: "))
        .collect();
    format!(
        "no set of versions satisfies every requirement for {} (uv, {} Python {}):\n  {}\n  \
         (\"you require\" means the plugins' own wheels and [public] requirements in the manifest; \
         \"depends on\" names the package that asks)",
        target.name,
        resolver.triple,
        target.python,
        explanation.join("\n  ")
    )
}

/// A `file://` URL for a local path, as uv and pip take it in a requirement.
fn file_url(path: &Path) -> String {
    let path = path.to_string_lossy().replace('\\', "/");
    let mut url = String::from("file://");
    if !path.starts_with('/') {
        url.push('/');
    }
    for c in path.chars() {
        match c {
            ' ' => url.push_str("%20"),
            '%' => url.push_str("%25"),
            '#' => url.push_str("%23"),
            c => url.push(c),
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_come_with_their_requirers() {
        let pins = parse_pins(
            "acme-a @ file:///tmp/a.whl  # via -r requirements.in\nrich==11.2.0  # via acme-a, -r requirements.in\nmdurl==0.1.2\n",
        );
        let got: Vec<(&str, &str, &str)> = pins
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.via.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("rich", "11.2.0", "acme-a, [public] requirements"),
                ("mdurl", "0.1.2", "")
            ]
        );
    }

    #[test]
    fn file_urls_escape_what_a_url_cannot_hold() {
        assert_eq!(file_url(Path::new("/tmp/a b/x#1.whl")), "file:///tmp/a%20b/x%231.whl");
    }
}
