//! Wheelhouse: `pip wheel` of every private plugin (pinned to its built version) and every
//! public requirement, so that the folder holds a wheel of each transitive dependency. pip
//! runs isolated from ambient configuration, with the manifest's index.

use anyhow::{bail, Context, Result};

use super::Exec;
use crate::config::normalize_name;
use crate::ops::cmd::Cmd;
use crate::ops::fs::{copy_file, create_dir, file_names, sha256_file};

pub fn collect(exec: &Exec, platform: &str, requirements: &[String]) -> Result<()> {
    let planned = exec
        .plan
        .platforms
        .iter()
        .find(|p| p.name == platform)
        .context("platform missing from the plan")?;
    let dir = exec.bundle_dir(&planned.folder);
    create_dir(&dir)?;
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
    Ok(())
}
