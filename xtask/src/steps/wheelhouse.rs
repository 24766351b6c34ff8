//! Wheelhouse: a wheel of every private plugin and of every transitive dependency for a
//! platform. On a host that is the target: `pip wheel`. For another target: the dependency
//! closure is walked here, with environment markers evaluated for the target (pip would
//! evaluate them for the host), and each dependency is downloaded as a target wheel with
//! `pip download --platform ...`; a pure-Python dependency that ships only an sdist is built
//! once into a `py3-none-any` wheel. pip runs isolated from ambient configuration, with the
//! manifest's index.

use anyhow::{bail, Context, Result};

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, Requirement, VerbatimUrl, VersionOrUrl};

use super::build::{wheel_metadata, wheel_requires};
use super::Exec;
use crate::config::normalize_name;
use crate::ops::cmd::Cmd;
use crate::ops::fs::{copy_file, create_dir, file_names, rename, sha256_file};
use crate::plan::WheelhouseStrategy;
use crate::platform::{expand_tags, marker_environment, wheel_fits};

pub fn collect(exec: &Exec, platform: &str, requirements: &[String]) -> Result<()> {
    let planned = exec
        .plan
        .platforms
        .iter()
        .find(|p| p.name == platform)
        .context("platform missing from the plan")?;
    let dir = exec.bundle_dir(&planned.folder);
    create_dir(&dir)?;
    if planned.strategy == WheelhouseStrategy::Download {
        return download(exec, platform, &dir, requirements);
    }
    exec.ws.runner.run(
        &Cmd::new(
            &exec.tools_python,
            format!("collect wheels of all dependencies for {platform} (pip wheel)"),
        )
        .isolated_pip()
        .env("SOURCE_DATE_EPOCH", exec.plan.source_date_epoch.to_string())
        .args(["-m", "pip", "wheel", "--progress-bar", "off", "--wheel-dir"])
        .arg(&dir)
        .arg("--find-links")
        .arg(exec.private_dir())
        .args(exec.plan.index.to_args(&exec.ws.root)?)
        .args(requirements),
    )?;

    // The private wheels in the bundle must be the ones just built, not same-named files
    // from an index.
    let private = exec.private_dir();
    for name in file_names(&private)? {
        let target = dir.join(&name);
        if name.ends_with(".whl") {
            if !target.is_file() {
                bail!("pip did not put {name} into the {platform} wheelhouse; see the log");
            }
            if sha256_file(&target)? != sha256_file(&private.join(&name))? {
                bail!("{name} in the {platform} wheelhouse is not the wheel built from this repository (an index has a file of the same name)");
            }
        } else {
            copy_file(&private.join(&name), &target)?;
        }
    }
    let plugin_names: Vec<&str> = exec.plan.plugins.iter().map(|p| p.normalized_name.as_str()).collect();
    for name in file_names(&dir)? {
        if let Some(dist) = name.strip_suffix(".whl").and_then(|n| n.split('-').next()) {
            if plugin_names.contains(&normalize_name(dist).as_str()) && !private.join(&name).exists() {
                bail!("{name} in the {platform} wheelhouse is another version of a plugin of this repository");
            }
        }
    }
    // Every wheel pip chose must fit the platform's tags.
    let target = exec
        .ws
        .manifest
        .platform(platform)
        .with_context(|| format!("platform {platform} is not in the manifest"))?;
    let misfits: Vec<String> = file_names(&dir)?
        .into_iter()
        .filter(|f| f.ends_with(".whl") && !wheel_fits(f, target).unwrap_or(false))
        .collect();
    // pip picked a wheel for this host (say manylinux_2_34) that the platform's tags do not
    // cover: a wheel of the same version for the platform (say manylinux_2_28) replaces it.
    let scratch = tempfile::tempdir_in(exec.stage).context("cannot create a download folder")?;
    let mut unfixed = Vec::new();
    for file in misfits {
        let meta = wheel_metadata(&dir.join(&file))?;
        let name = normalize_name(&meta.name);
        if plugin_names.contains(&name.as_str()) {
            unfixed.push(format!("{file} (a plugin, as built on this machine)"));
            continue;
        }
        let requirement = format!("{name}=={}", meta.version);
        match fetch_wheel(exec, target, &name, &requirement, scratch.path())? {
            Ok(other) => {
                rename(&scratch.path().join(&other), &dir.join(&other))?;
                std::fs::remove_file(dir.join(&file)).with_context(|| format!("cannot remove {file}"))?;
            }
            Err(reason) => unfixed.push(format!("{file} ({reason})")),
        }
    }
    if !unfixed.is_empty() {
        bail!(
            "wheels that do not fit platform {platform} ({} {}{}): {}; if such a wheel is right for it, add its platform tag to [platforms.{platform}] tags",
            target.tags.join(" "),
            target.implementation,
            target.python,
            unfixed.join(", ")
        );
    }
    Ok(())
}

/// A wheel chosen for the target: its version and file in the bundle folder.
struct Chosen {
    version: Version,
    file: String,
}

/// Collect wheels for a platform this host is not, walking the dependency closure with the
/// target's markers. Every dependency that has no suitable wheel is reported together.
fn download(exec: &Exec, platform: &str, dir: &Path, requirements: &[String]) -> Result<()> {
    let target = exec
        .ws
        .manifest
        .platform(platform)
        .with_context(|| format!("platform {platform} is not in the manifest"))?;
    let env = marker_environment(target);
    let private = exec.private_dir();
    let mut chosen: BTreeMap<String, Chosen> = BTreeMap::new();
    // Version constraints on each package, with the package that asked (None: the manifest).
    let mut wanted: BTreeMap<String, Vec<(String, Option<String>)>> = BTreeMap::new();
    // Extras asked for each package, whose conditional requirements must be collected too.
    let mut extras_of: BTreeMap<String, BTreeSet<ExtraName>> = BTreeMap::new();
    let mut gaps = Vec::new();

    // The plugins: the wheels built here, which must fit the target.
    let plugins: Vec<String> = exec.plan.plugins.iter().map(|p| p.normalized_name.clone()).collect();
    let mut queue: VecDeque<(String, Vec<ExtraName>, Option<String>)> = VecDeque::new();
    for file in file_names(&private)?.into_iter().filter(|f| f.ends_with(".whl")) {
        if !wheel_fits(&file, target).map_err(anyhow::Error::msg)? {
            gaps.push(format!(
                "{file} is built for this host only (it is not pure Python): build the {platform} bundle on a {platform} machine"
            ));
            continue;
        }
        copy_file(&private.join(&file), &dir.join(&file))?;
        let meta = wheel_metadata(&dir.join(&file))?;
        let name = normalize_name(&meta.name);
        for r in wheel_requires(&dir.join(&file))? {
            queue.push_back((r, Vec::new(), Some(name.clone())));
        }
        let version = Version::from_str(&meta.version).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        chosen.insert(name, Chosen { version, file });
    }
    for file in file_names(&private)?.into_iter().filter(|f| f.ends_with(".tar.gz")) {
        copy_file(&private.join(&file), &dir.join(&file))?;
    }
    queue.extend(
        requirements
            .iter()
            .filter(|r| !plugins.iter().any(|p| r.starts_with(&format!("{p}=="))))
            .map(|r| (r.clone(), Vec::new(), None)),
    );

    let scratch = tempfile::tempdir_in(exec.stage).context("cannot create a download folder")?;
    while let Some((text, requirer_extras, from)) = queue.pop_front() {
        let req =
            Requirement::<VerbatimUrl>::from_str(&text).map_err(|e| anyhow::anyhow!("requirement {text:?}: {e}"))?;
        if !req.evaluate_markers(&env, &requirer_extras) {
            continue;
        }
        let name = req.name.to_string();
        let spec = match &req.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(s)) => s.to_string(),
            Some(VersionOrUrl::Url(_)) => {
                gaps.push(format!(
                    "{text}: a URL requirement cannot be resolved for {platform}; require a version"
                ));
                continue;
            }
            None => String::new(),
        };
        let specs = wanted.entry(name.clone()).or_default();
        if !spec.is_empty() && !specs.contains(&(spec.clone(), from.clone())) {
            specs.push((spec, from.clone()));
        }
        let combined: Vec<String> = specs.iter().map(|(s, _)| s.clone()).collect();
        let combined = combined.join(",");
        let extras = extras_of.entry(name.clone()).or_default();
        // Insert every extra (no short-circuit), then ask whether any was new.
        let before = extras.len();
        extras.extend(req.extras.iter().cloned());
        let new_extras = extras.len() > before;
        let all_extras: Vec<ExtraName> = extras.iter().cloned().collect();
        let satisfied = |c: &Chosen| {
            VersionSpecifiers::from_str(&combined)
                .map(|s| s.contains(&c.version))
                .unwrap_or(false)
        };
        if let Some(c) = chosen.get(&name) {
            if combined.is_empty() || satisfied(c) {
                if new_extras {
                    // The same wheel, asked with more extras: collect what those add.
                    for r in wheel_requires(&dir.join(&c.file))? {
                        queue.push_back((r, all_extras.clone(), Some(name.clone())));
                    }
                }
                continue;
            }
            if plugins.contains(&name) {
                gaps.push(format!(
                    "{name} {} does not satisfy {text:?} needed on {platform}",
                    c.version
                ));
                continue;
            }
        }
        let requirement = format!("{name}{combined}");
        let file = match fetch_wheel(exec, target, &name, &requirement, scratch.path())? {
            Ok(file) => file,
            Err(why) => {
                gaps.push(format!("{requirement} for {platform}: {why}"));
                continue;
            }
        };
        if let Some(old) = chosen.remove(&name) {
            let _ = std::fs::remove_file(dir.join(&old.file));
            // What the replaced version required no longer constrains anything.
            for constraints in wanted.values_mut() {
                constraints.retain(|(_, f)| f.as_deref() != Some(name.as_str()));
            }
        }
        rename(&scratch.path().join(&file), &dir.join(&file))?;
        let meta = wheel_metadata(&dir.join(&file))?;
        for r in wheel_requires(&dir.join(&file))? {
            queue.push_back((r, all_extras.clone(), Some(name.clone())));
        }
        let version = Version::from_str(&meta.version).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        chosen.insert(name, Chosen { version, file });
    }
    if !gaps.is_empty() {
        bail!(
            "no suitable wheel for every dependency on {platform}:\n  - {}",
            gaps.join("\n  - ")
        );
    }
    Ok(())
}

/// Download the best wheel of `requirement` for the target into `dir` (only one file there at
/// a time); if the package has no wheel for it, build a pure-Python one from its sdist.
/// `Ok(Err(reason))` when neither works.
fn fetch_wheel(
    exec: &Exec,
    target: &crate::config::Platform,
    name: &str,
    requirement: &str,
    dir: &Path,
) -> Result<Result<String, String>> {
    let index = exec.plan.index.to_args(&exec.ws.root)?;
    let mut cmd = Cmd::new(
        &exec.tools_python,
        format!("download a wheel of {requirement} for {}", target.name),
    )
    .isolated_pip()
    .args([
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--progress-bar",
        "off",
        "--dest",
    ])
    .arg(dir)
    .args([
        "--python-version",
        &target.python,
        "--implementation",
        &target.implementation,
    ]);
    for abi in [target.abi.as_str(), "abi3", "none"] {
        cmd = cmd.args(["--abi", abi]);
    }
    for tag in expand_tags(&target.tags).iter().map(String::as_str).chain(["any"]) {
        cmd = cmd.args(["--platform", tag]);
    }
    let cmd = cmd.args(&index).arg(requirement);
    let before = file_names(dir)?;
    let (ok, _) = exec.ws.runner.probe(&cmd)?;
    let new: Vec<String> = file_names(dir)?
        .into_iter()
        .filter(|f| !before.contains(f) && f.ends_with(".whl"))
        .collect();
    if ok && new.len() == 1 {
        return Ok(Ok(new[0].clone()));
    }

    // No wheel for the target: a pure-Python sdist becomes a py3-none-any wheel, built here.
    // A fresh folder per build: a wheel left by an earlier build must not count as this one's.
    let scratch = tempfile::Builder::new()
        .prefix("sdist-build-")
        .tempdir_in(dir)
        .with_context(|| format!("cannot create a build folder in {}", dir.display()))?;
    let build = scratch.path();
    let (built, _) = exec.ws.runner.probe(
        &Cmd::new(
            &exec.tools_python,
            format!("build a wheel of {requirement} from its sdist"),
        )
        .isolated_pip()
        .env("SOURCE_DATE_EPOCH", exec.plan.source_date_epoch.to_string())
        .args([
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-binary",
            name,
            "--progress-bar",
            "off",
            "--wheel-dir",
        ])
        .arg(build)
        .args(&index)
        .arg(requirement),
    )?;
    let wheels: Vec<String> = file_names(build)?.into_iter().filter(|f| f.ends_with(".whl")).collect();
    if !built || wheels.len() != 1 {
        return Ok(Err(
            "no wheel for this platform on the index, and no sdist that builds (see the log)".into(),
        ));
    }
    if !wheel_fits(&wheels[0], target).unwrap_or(false) {
        return Ok(Err(format!(
            "no wheel for this platform on the index, and its sdist builds {} (not pure Python): build the bundle on a {} machine",
            wheels[0], target.name
        )));
    }
    rename(&build.join(&wheels[0]), &dir.join(&wheels[0]))?;
    Ok(Ok(wheels[0].clone()))
}
