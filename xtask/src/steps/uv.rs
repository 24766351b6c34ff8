//! uv, the one resolver: `uv pip compile` for a platform's target (its triple, Python and
//! macOS deployment target), isolated from ambient configuration, with the manifest's index;
//! its "no solution" explanations made readable; which packages have wheels for a target.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::exec::Exec;
use crate::manifest::{normalize_name, Platform};
use crate::ops::cmd::Cmd;
use crate::ops::fs::write_atomic;
use crate::python::platform::ResolverTarget;

/// Run uv; `Ok(Err(explanation))` when it found no solution, an error for any other failure
/// (an index out of reach, a malformed requirement), with uv's own words.
pub(super) fn run_uv(exec: &Exec, cmd: &Cmd) -> Result<Result<(), String>> {
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
pub(super) fn uv_compile(exec: &Exec, resolver: &ResolverTarget, target: &Platform) -> Result<Cmd> {
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
            &target.series(),
        ])
        .args([
            "--index-strategy",
            "unsafe-best-match",
            "--prerelease",
            "if-necessary-or-explicit",
        ]))
}

/// Of `pins` (name, version), those that have no wheel for the uv target `triple`: asked of uv in one call
/// (`--no-deps`, PEP 751 output, which lists the wheels that fit and any sdist).
pub(super) fn without_target_wheels(
    exec: &Exec,
    resolver: &ResolverTarget,
    target: &Platform,
    work: &Path,
    pins: &[(String, String)],
    triple: &str,
) -> Result<Vec<(String, String)>> {
    let input = work.join(format!("files-{triple}.in"));
    // uv insists on PEP 751 names: pylock.<name>.toml, no dots in <name>.
    let output = work.join(format!("pylock.{}.toml", triple.replace('.', "-")));
    let lines: Vec<String> = pins.iter().map(|(n, v)| format!("{n}=={v}")).collect();
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
    Ok(pins.iter().filter(|(n, _)| !with_wheels.contains(n)).cloned().collect())
}

/// uv's "no solution" explanation, with what "you require" means here.
pub(super) fn explain_conflict(text: &str, target: &Platform, resolver: &ResolverTarget) -> String {
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
        target.series(),
        explanation.join("\n  ")
    )
}

/// A `file://` URL for a local path, as uv and pip take it in a requirement.
pub(super) fn file_url(path: &Path) -> String {
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
    fn file_urls_escape_what_a_url_cannot_hold() {
        assert_eq!(file_url(Path::new("/tmp/a b/x#1.whl")), "file:///tmp/a%20b/x%231.whl");
    }
}
