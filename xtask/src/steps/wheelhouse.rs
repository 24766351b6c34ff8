//! Wheelhouse: a wheel of every private plugin and of every transitive dependency for a
//! platform: the plugins as built here and the public wheels the `resolve` step took from the
//! platform's lock, checked to satisfy every requirement the built plugin wheels declare for
//! the target. Only a host platform uv cannot express is collected by `pip wheel`, isolated
//! from ambient configuration, with the manifest's index in its environment.

use anyhow::{bail, Context, Result};

use std::path::{Path, PathBuf};

use super::build::wheel_metadata;
use super::exec::Exec;
use super::resolve::{pip, pip_target_args};
use crate::manifest::normalize_name;
use crate::ops::fs::{create_dir, file_names, link_or_copy, rename, sha256_file};
use crate::python::platform::wheel_fits;

/// Fill a platform's bundle folder with its wheelhouse: from what the resolve step took from
/// the platform's lock, else (a host platform uv cannot express) by `pip wheel`.
pub fn collect(exec: &Exec, platform: &str, requirements: &[String]) -> Result<()> {
    let planned = exec
        .plan
        .platforms
        .iter()
        .find(|p| p.name == platform)
        .context("platform missing from the plan")?;
    let dir = exec.bundle_dir(&planned.folder);
    create_dir(&dir)?;
    if super::resolve::locked_platforms(exec.plan)
        .iter()
        .any(|p| p == platform)
    {
        return place_resolved(exec, platform, &dir);
    }
    let house = PipWheelhouse {
        exec,
        platform,
        dir,
        private: exec.private_dir(),
    };
    house.pip_wheel(requirements)?;
    house.check_plugin_files()?;
    house.replace_misfits()
}

/// A wheelhouse that `pip wheel` collects on this host: its folder, and the folder of the
/// plugins' wheels and sdists just built.
struct PipWheelhouse<'a, 'e> {
    exec: &'a Exec<'e>,
    platform: &'a str,
    dir: PathBuf,
    private: PathBuf,
}

impl PipWheelhouse<'_, '_> {
    /// The normalized names of the repository's plugins.
    fn plugin_names(&self) -> Vec<&str> {
        self.exec
            .plan
            .plugins
            .iter()
            .map(|p| p.normalized_name.as_str())
            .collect()
    }

    /// Run `pip wheel` for `requirements` into the wheelhouse, the plugins as their built wheels.
    fn pip_wheel(&self, requirements: &[String]) -> Result<()> {
        let (exec, platform, private) = (self.exec, self.platform, &self.private);
        // The plugins go to pip as the wheel files just built, not as `name==version`: pip then
        // takes them as they are and never asks an index for a plugin's name.
        let built: Vec<(String, String)> = file_names(private)?
            .into_iter()
            .filter(|f| f.ends_with(".whl"))
            .map(|f| (normalize_name(f.split('-').next().unwrap_or_default()), f))
            .collect();
        let args: Vec<std::ffi::OsString> = requirements
            .iter()
            .map(|r| {
                let name = r.split("==").next().map(normalize_name).unwrap_or_default();
                match built.iter().find(|(n, _)| *n == name && r.contains("==")) {
                    Some((_, wheel)) => private.join(wheel).into_os_string(),
                    None => r.into(),
                }
            })
            .collect();
        exec.ws.runner.run(
            &pip(
                exec,
                format!("collect wheels of all dependencies for {platform} (pip wheel)"),
            )?
            .env("SOURCE_DATE_EPOCH", exec.plan.source_date_epoch.to_string())
            .args(["wheel", "--progress-bar", "off", "--wheel-dir"])
            .arg(&self.dir)
            .args(args),
        )?;
        Ok(())
    }

    /// Make sure the plugins' wheels in the wheelhouse are the ones just built (and no other
    /// version of a plugin is there), and copy their other files (sdists) in.
    fn check_plugin_files(&self) -> Result<()> {
        let (platform, dir, private) = (self.platform, &self.dir, &self.private);
        // The private wheels in the bundle must be the ones just built.
        for name in file_names(private)? {
            let target = dir.join(&name);
            if name.ends_with(".whl") {
                if !target.is_file() {
                    bail!("pip did not put {name} into the {platform} wheelhouse; see the log");
                }
                if sha256_file(&target)? != sha256_file(&private.join(&name))? {
                    bail!("{name} in the {platform} wheelhouse is not the wheel built from this repository (an index has a file of the same name)");
                }
            } else {
                link_or_copy(&private.join(&name), &target)?;
            }
        }
        let plugin_names = self.plugin_names();
        for name in file_names(dir)? {
            if let Some(dist) = name.strip_suffix(".whl").and_then(|n| n.split('-').next()) {
                if plugin_names.contains(&normalize_name(dist).as_str()) && !private.join(&name).exists() {
                    bail!("{name} in the {platform} wheelhouse is another version of a plugin of this repository");
                }
            }
        }
        Ok(())
    }

    /// Replace each public wheel that does not fit the platform's tags by one of the same
    /// version that does; fail naming those that cannot be replaced.
    fn replace_misfits(&self) -> Result<()> {
        let (exec, platform, dir) = (self.exec, self.platform, &self.dir);
        let plugin_names = self.plugin_names();
        // Every wheel pip chose must fit the platform's tags.
        let target = exec
            .ws
            .manifest
            .platform(platform)
            .with_context(|| format!("platform {platform} is not in the manifest"))?;
        let misfits: Vec<String> = file_names(dir)?
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
            match fetch_wheel(exec, target, &requirement, scratch.path())? {
                Ok(other) => {
                    rename(&scratch.path().join(&other), &dir.join(&other))?;
                    std::fs::remove_file(dir.join(&file)).with_context(|| format!("cannot remove {file}"))?;
                }
                Err(reason) => unfixed.push(format!("{file} ({reason})")),
            }
        }
        if !unfixed.is_empty() {
            bail!("{}", unfit(target, &unfixed));
        }
        Ok(())
    }
}

/// Fill a platform's bundle folder from what [`super::resolve`] took from its lock: the
/// plugins' wheels (which must fit the target) and sdists as built here, and the public
/// wheels.
fn place_resolved(exec: &Exec, platform: &str, dir: &Path) -> Result<()> {
    let target = exec
        .ws
        .manifest
        .platform(platform)
        .with_context(|| format!("platform {platform} is not in the manifest"))?;
    let private = exec.private_dir();
    let files = file_names(&private)?;
    let native: Vec<&String> = files
        .iter()
        .filter(|f| f.ends_with(".whl") && !wheel_fits(f, target).unwrap_or(false))
        .collect();
    let host = exec.on_host(platform);
    if !native.is_empty() && host {
        let unfixed: Vec<String> = native
            .iter()
            .map(|f| format!("{f} (a plugin, as built on this machine)"))
            .collect();
        bail!("{}", unfit(target, &unfixed));
    }
    if !native.is_empty() {
        bail!(
            "{} {} built for this host only (it is not pure Python): build the {platform} bundle on a {platform} machine",
            native.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", "),
            if native.len() == 1 { "is" } else { "are" },
        );
    }
    for file in &files {
        link_or_copy(&private.join(file), &dir.join(file))?;
    }
    let resolved = super::resolve::resolved_dir(exec.stage, platform);
    for file in file_names(&resolved)? {
        link_or_copy(&resolved.join(&file), &dir.join(&file))?;
    }
    let wheels: Vec<String> = files.into_iter().filter(|f| f.ends_with(".whl")).collect();
    super::complete::check(target, dir, &wheels, &exec.plan.public_requirements)
}

/// The error for wheels that do not fit a platform's tags, with the way out.
fn unfit(target: &crate::manifest::Platform, unfixed: &[String]) -> String {
    format!(
        "wheels that do not fit platform {platform} ({} {}{}): {}; if such a wheel is right for it, add its platform tag to [platforms.{platform}] tags",
        target.tags.join(" "),
        target.implementation,
        target.series(),
        unfixed.join(", "),
        platform = target.name
    )
}

/// Download the best wheel of `requirement` for the target into `dir` (only one file there at
/// a time). `Ok(Err(reason))` when the index has none.
fn fetch_wheel(
    exec: &Exec,
    target: &crate::manifest::Platform,
    requirement: &str,
    dir: &Path,
) -> Result<Result<String, String>> {
    let cmd = pip(exec, format!("download a wheel of {requirement} for {}", target.name))?
        .args(["download", "--dest"])
        .arg(dir)
        .args(pip_target_args(target));
    let before = file_names(dir)?;
    let (ok, _) = exec.ws.runner.probe(&cmd.arg(requirement))?;
    let new: Vec<String> = file_names(dir)?
        .into_iter()
        .filter(|f| !before.contains(f) && f.ends_with(".whl"))
        .collect();
    if ok && new.len() == 1 {
        return Ok(Ok(new[0].clone()));
    }
    Ok(Err("the index has no wheel of that version for this platform".into()))
}
