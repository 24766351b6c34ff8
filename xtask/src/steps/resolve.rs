//! Resolve: the public wheels of every platform uv resolves for (the host included), taken
//! from the wheel store exactly as the platform's lock names them (see `lock`: resolved, and
//! fetched, before anything was built). A locked package that has no wheel for the target is
//! built from its sdist (fetched by URL, never by `pip download`, which would run its setup):
//! on the target's own host as pip would; for another platform with every compiler replaced
//! by `false`, so only a pure-Python wheel (or one whose optional C speed-ups fall back) can
//! come out and nothing is compiled for the wrong platform (a Rust sdist is not even tried).
//! A built wheel is kept in the cache under the sdist's sha256 and the target. Every platform is resolved before any fails, so
//! one error lists them all.
//!
//! Owns `<stage>/resolved/<platform>/` (the public wheels of each platform). Never writes to
//! the repository or the output folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::exec::Exec;
use super::store::{choose, take, Chosen};
use super::uv::without_target_wheels;
use crate::manifest::{normalize_name, Platform};
use crate::ops::cmd::Cmd;
use crate::ops::fs::{create_dir, file_names, link_or_copy};
use crate::python::lockfile::Lock;
use crate::python::platform::{expand_tags, resolver_target, wheel_fits, TargetOs};

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

/// The platforms whose public wheels come from their lock (the `resolve` step's).
pub fn locked_platforms(plan: &crate::plan::Plan) -> Vec<String> {
    plan.steps
        .iter()
        .find_map(|s| match s {
            crate::plan::Step::Resolve { platforms, .. } => Some(platforms.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

pub fn resolve(exec: &Exec, platforms: &[String]) -> Result<()> {
    let mut failures = Vec::new();
    for name in platforms {
        let target = exec
            .ws
            .manifest
            .platform(name)
            .with_context(|| format!("platform {name} is not in the manifest"))?;
        if let Err(e) = resolve_platform(exec, target) {
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

fn resolve_platform(exec: &Exec, target: &Platform) -> Result<()> {
    let file = super::lock::stage_lock(exec.stage, &target.name);
    let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let lock = Lock::parse(&text, &file.to_string_lossy())?;
    let out = resolved_dir(exec.stage, &target.name);
    create_dir(&out)?;
    let (chosen, without) = choose(&lock, target);
    if let Some(p) = without.first() {
        bail!("the lock has no file of {} {} for {}", p.name, p.version, target.name);
    }
    let mut sdists = Vec::new();
    for c in &chosen {
        match c {
            Chosen::Wheel(_, f) => link_or_copy(&take(exec, f)?, &out.join(&f.name))?,
            Chosen::Sdist(..) => sdists.push(c),
        }
    }
    if !sdists.is_empty() {
        build_sdists(exec, target, &out, &sdists, &chosen)?;
    }
    Ok(())
}

/// Who asks for `name`: the plugins and wheels whose requirements name it, and `[public]`.
fn requirers(exec: &Exec, chosen: &[&Chosen], out: &Path, name: &str) -> String {
    let names = |reqs: &[String]| {
        reqs.iter().any(|r| {
            <pep508_rs::Requirement<pep508_rs::VerbatimUrl> as std::str::FromStr>::from_str(r)
                .is_ok_and(|req| normalize_name(req.name.as_ref()) == name)
        })
    };
    let mut by: Vec<String> = exec
        .plan
        .plugins
        .iter()
        .filter(|p| names(&p.dependencies))
        .map(|p| p.normalized_name.clone())
        .collect();
    for c in chosen {
        if let Chosen::Wheel(p, f) = c {
            if super::build::wheel_requires(&out.join(&f.name)).is_ok_and(|r| names(&r)) {
                by.push(p.name.clone());
            }
        }
    }
    if names(&exec.plan.public_requirements) {
        by.push("[public] requirements".into());
    }
    by.join(", ")
}

/// The chosen sdists built into wheels in `out` (see the module), each kept in the cache.
fn build_sdists(exec: &Exec, target: &Platform, out: &Path, sdists: &[&Chosen], all: &[Chosen]) -> Result<()> {
    let host = exec.on_host(&target.name);
    let all: Vec<&Chosen> = all.iter().collect();
    let mut problems = Vec::new();
    let mut native = Vec::new();
    for c in sdists {
        let (package, file) = (c.package(), c.file());
        let requirement = format!("{}=={}", package.name, package.version);
        let (key, inputs) = super::store::sdist_wheel_key(exec, target, file);
        if exec.ws.cache.fetch("sdist-wheels", &key, out)?.is_some() {
            continue;
        }
        let sdist = take(exec, file)?;
        let source = native_source(&sdist)?;
        if let Some(rust) = source.as_deref().filter(|s| !host && is_rust(s)) {
            native.push((package.clone(), rust.to_string()));
            continue;
        }
        let scratch = tempfile::Builder::new()
            .prefix("sdist-")
            .tempdir_in(exec.stage)
            .context("cannot create a build folder")?;
        let mut build = pip(
            exec,
            format!(
                "build a wheel of {requirement} from its sdist{}",
                if host { "" } else { ", without compilers" }
            ),
        )?
        .env("SOURCE_DATE_EPOCH", exec.plan.source_date_epoch.to_string());
        if !host {
            // A pure package (or one whose optional C speed-ups fall back) still gives a
            // `py3-none-any` wheel; nothing is compiled for the wrong platform.
            for compiler in ["CC", "CXX", "LDSHARED", "FC", "F77", "F90"] {
                build = build.env(compiler, "false");
            }
        }
        let (built, _) = exec.ws.runner.probe(
            &build
                .args(["wheel", "--no-deps", "--wheel-dir"])
                .arg(scratch.path())
                .arg(&sdist),
        )?;
        let wheels: Vec<String> = file_names(scratch.path())?
            .into_iter()
            .filter(|f| f.ends_with(".whl"))
            .collect();
        match wheels.as_slice() {
            [wheel] if built && wheel_fits(wheel, target).unwrap_or(false) => {
                let path = scratch.path().join(wheel);
                exec.ws.cache.store("sdist-wheels", &key, std::slice::from_ref(&path), inputs);
                link_or_copy(&path, &out.join(wheel))?;
            }
            _ => match source {
                Some(source) if !host => native.push((package.clone(), source)),
                _ => problems.push(format!(
                    "{requirement} (required by {}) has no wheel for {} and its sdist does not build into a wheel for it (see the log)",
                    requirers(exec, &all, out, &package.name),
                    target.name
                )),
            },
        }
    }
    problems.extend(native_advice(exec, target, out, &all, &native)?);
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(())
}

/// What to do about each sdist that is not pure Python: keep it off the target with a marker
/// when it publishes wheels for other systems only, else build the bundle on the target.
fn native_advice(
    exec: &Exec,
    target: &Platform,
    out: &Path,
    all: &[&Chosen],
    native: &[(crate::python::lockfile::LockedPackage, String)],
) -> Result<Vec<String>> {
    if native.is_empty() {
        return Ok(Vec::new());
    }
    let resolver = resolver_target(target).map_err(anyhow::Error::msg)?;
    let work = exec.stage.join("resolve").join(&target.name);
    create_dir(&work)?;
    let pins: Vec<(String, String)> = native
        .iter()
        .map(|(p, _)| (p.name.clone(), p.version.clone()))
        .collect();
    let mut elsewhere: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (os, triple) in OTHER_SYSTEMS.iter().filter(|(os, _)| *os != target.os) {
        let missing = without_target_wheels(exec, &resolver, target, &work, &pins, triple)?;
        for (name, _) in &pins {
            if !missing.iter().any(|(m, _)| m == name) {
                elsewhere.entry(name.clone()).or_default().push(os.sys_platform());
            }
        }
    }
    // macOS: wheels for a newer deployment target than the platform's tags allow.
    let mut newer_macos: Vec<String> = Vec::new();
    if resolver.macos_deployment_target.is_some() {
        let newest = crate::python::platform::ResolverTarget {
            triple: resolver.triple.clone(),
            macos_deployment_target: Some("99.0".into()),
        };
        let missing = without_target_wheels(exec, &newest, target, &work, &pins, &resolver.triple)?;
        newer_macos = pins
            .iter()
            .filter(|(n, _)| !missing.iter().any(|(m, _)| m == n))
            .map(|(n, _)| n.clone())
            .collect();
    }
    let mut problems = Vec::new();
    for (package, source) in native {
        let sys_platform = target.os.sys_platform();
        if let Some(version) = resolver
            .macos_deployment_target
            .as_deref()
            .filter(|_| newer_macos.contains(&package.name))
        {
            let (name, v, t) = (&package.name, &package.version, &target.name);
            let via = requirers(exec, all, out, name);
            problems.push(format!(
                "{name} {v} (required by {via}) has no wheel for {t}: its macOS wheels need a newer deployment target \
                 than {version} (the newest macosx tag of [platforms.{t}]), and its sdist is not pure Python ({source}). \
                 Raise the platform's macosx tag, or require an older {name} that has wheels for macOS {version}"
            ));
            continue;
        }
        let via = requirers(exec, all, out, &package.name);
        let (name, version, t) = (&package.name, &package.version, &target.name);
        problems.push(match elsewhere.get(name) {
            Some(systems) => format!(
                "{name} {version} (required by {via}) publishes wheels for {} but none for {t}: it probably does not support {t}. \
                 Keep it off this platform with a marker where it is required, e.g. `{name}; sys_platform != \"{sys_platform}\"`, \
                 or require a version that has a {t} wheel",
                systems.join(", ")
            ),
            None => format!(
                "{name} {version} (required by {via}) has no wheel for {t} and its sdist is not pure Python ({source}): \
                 it must be compiled on {t} itself, so build the {t} bundle on a {t} machine"
            ),
        });
    }
    Ok(problems)
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

/// `pip download` options that fetch exactly one wheel per requirement for the target:
/// its Python, implementation, ABIs (its own, `abi3`, `none`) and every platform tag it
/// accepts (`any` included), binaries only, no dependencies.
pub(super) fn pip_target_args(target: &Platform) -> Vec<String> {
    let series = target.series();
    let mut args: Vec<String> = [
        "--no-deps",
        "--only-binary=:all:",
        "--progress-bar",
        "off",
        "--python-version",
        &series,
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
