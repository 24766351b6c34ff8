//! `cargo xtask ci [--check]`: the GitHub Actions workflows (and with `[ci] providers`
//! naming "gitlab", the GitLab CI pipeline of `gitlab.rs`) that spread the nightly and the
//! release bundles over one machine per platform, generated from the manifest. A plan job
//! checks everything (the nightly's also fixes the time of the run); one job per platform, on
//! a runner of that platform, builds its bundle natively (`nightly --platform P`, or `bundle
//! --platform P` for the release tag); one merge job joins them with `merge`, verifies them,
//! keeps them as the run's artifact, and for a release publishes them with `publish`.
//! `--check` fails when a committed file differs.

use std::fmt::Write as _;

use anyhow::Result;

use crate::error::precheck_failed;
use crate::manifest::workspace::Workspace;
use crate::manifest::{render, Platform};
use crate::ops::fs::write_atomic;
use crate::python::platform::{tag_arch, TargetOs};
use crate::python::toolchain;

mod gitlab;

pub const NIGHTLY_WORKFLOW: &str = ".github/workflows/nightly.yml";
pub const RELEASE_WORKFLOW: &str = ".github/workflows/release.yml";

// Actions pinned by commit (the tag they were taken from is in the comment).
const CHECKOUT: &str = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2";
const SETUP_PYTHON: &str = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0";
const UPLOAD: &str = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2";
const DOWNLOAD: &str = "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0";

pub fn run(ws: &Workspace, check: bool) -> Result<()> {
    let mut wanted = Vec::new();
    if ws.manifest.ci.github {
        wanted.push((NIGHTLY_WORKFLOW, nightly_workflow(ws)?));
        wanted.push((RELEASE_WORKFLOW, release_workflow(ws)?));
    }
    if ws.manifest.ci.gitlab {
        wanted.push((gitlab::PIPELINE, gitlab::pipeline(ws)?));
    }
    if wanted.is_empty() {
        return Err(crate::error::input_error(format!(
            "[ci] providers is empty in {}: name \"github\" and/or \"gitlab\"",
            ws.manifest_shown()
        )));
    }
    if check {
        let mut problems = Vec::new();
        for (file, text) in &wanted {
            match std::fs::read_to_string(ws.root.join(file)) {
                Ok(committed) if committed == *text => {}
                Ok(_) => problems.push(format!("{file} differs from what {} generates", ws.manifest_shown())),
                Err(_) => problems.push(format!("{file} is missing")),
            }
        }
        if !problems.is_empty() {
            problems.push("run `cargo xtask ci` and commit the result; edit the manifest, not the workflow".into());
            return Err(precheck_failed("the CI workflows are out of date", problems));
        }
        let files: Vec<&str> = wanted.iter().map(|(f, _)| *f).collect();
        crate::ops::ui::summary!("{} up to date", files.join(", "));
        return Ok(());
    }
    for (file, text) in &wanted {
        let path = ws.root.join(file);
        if let Some(dir) = path.parent() {
            crate::ops::fs::create_dir(dir)?;
        }
        write_atomic(&path, text.as_bytes())?;
        crate::ops::ui::summary!("wrote {file}");
    }
    Ok(())
}

/// The GitHub-hosted runner image for a platform.
fn runner(p: &Platform) -> Result<&'static str, String> {
    let arch = p.tags.iter().find_map(|t| tag_arch(t)).unwrap_or("x86_64");
    Ok(match (p.os, arch) {
        (TargetOs::Linux, "x86_64") => "ubuntu-24.04",
        (TargetOs::Linux, "aarch64") => "ubuntu-24.04-arm",
        (TargetOs::Windows, "x86_64") => "windows-2022",
        (TargetOs::Windows, "aarch64") => "windows-11-arm",
        (TargetOs::Macos, "x86_64") => "macos-13",
        (TargetOs::Macos, "aarch64") => "macos-14",
        (os, arch) => {
            return Err(format!(
                "platform {}: GitHub has no hosted runner for {os:?} on {arch}",
                p.name
            ))
        }
    })
}

/// The matrix shared by both workflows: one entry per platform with its runner image, Python
/// and the options of its build (only the first Linux platform writes the sources bundle).
fn matrix(ws: &Workspace) -> Result<String> {
    let platforms = &ws.manifest.platforms;
    let mut problems = Vec::new();
    let mut matrix = String::new();
    // One job builds the sources bundle (sdists are the same everywhere); the others leave it
    // out, so merge never compares sdists built on different systems.
    let sources_by = platforms
        .iter()
        .find(|p| p.os == TargetOs::Linux)
        .or(platforms.first())
        .map(|p| p.name.as_str());
    for p in platforms {
        match runner(p) {
            Ok(image) => {
                let options = if Some(p.name.as_str()) == sources_by {
                    ""
                } else {
                    "--no-sources"
                };
                let _ = write!(
                    matrix,
                    "          - platform: {}\n            runner: {image}\n            python: \"{}\"\n            options: \"{options}\"\n",
                    p.name, p.python
                );
            }
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(precheck_failed("cannot generate the CI workflows", problems));
    }
    Ok(matrix)
}

/// The Python of the jobs that run on ubuntu: the first Linux platform's.
fn linux_python(ws: &Workspace) -> &str {
    ws.manifest
        .platforms
        .iter()
        .find(|p| p.os == TargetOs::Linux)
        .map_or("3.x", |p| p.python.as_str())
}

/// With `sign-artifacts`, the per-platform parts are not signed: only `merge` signs the set,
/// in the one job that gets the key.
fn no_sign(ws: &Workspace) -> &'static str {
    if ws.manifest.release.sign_artifacts {
        " --no-sign"
    } else {
        ""
    }
}

/// The step that imports the signing key, when artifacts are signed.
fn import_key(ws: &Workspace) -> &'static str {
    if ws.manifest.release.sign_artifacts {
        "      - name: Import the signing key\n        env:\n          GPG_PRIVATE_KEY: ${{ secrets.GPG_PRIVATE_KEY }}\n        run: printf '%s\\n' \"$GPG_PRIVATE_KEY\" | gpg --batch --import\n"
    } else {
        ""
    }
}

fn nightly_workflow(ws: &Workspace) -> Result<String> {
    let dev_upload = dev_upload(ws)?;
    let matrix = matrix(ws)?;
    let python = linux_python(ws);
    let manifest = ws.manifest_shown();
    let plan_env = job_env(ws)?;
    Ok(format!(
        r#"# Generated by `cargo xtask ci` from {manifest}: edit the manifest and run it again.
# `cargo xtask ci --check` fails when this file is out of date.
name: nightly

on:
  schedule:
    - cron: "17 3 * * *"
  workflow_dispatch:
{push}
permissions: {{}}

concurrency:
  group: nightly
  cancel-in-progress: false

defaults:
  run:
    shell: bash

jobs:
  plan:
    name: Plan and check
{not_on_push}    runs-on: ubuntu-24.04
    permissions:
      contents: read
    outputs:
      epoch: ${{{{ steps.epoch.outputs.epoch }}}}
{plan_env}    steps:
{setup}      - name: Fix the time of this run for every job
        id: epoch
        run: echo "epoch=$(date +%s)" >> "$GITHUB_OUTPUT"
      - run: cargo xtask plan{no_sign}

{bundle_job}
  merge:
    name: Merge, verify and keep
    needs: [plan, bundle]
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    env:
      SOURCE_DATE_EPOCH: ${{{{ needs.plan.outputs.epoch }}}}
    steps:
{setup}{merge_steps}{dev_upload}"#,
        setup = setup(&format!("\"{python}\"")),
        push = dev_upload.0,
        not_on_push = dev_upload.1,
        dev_upload = dev_upload.2,
        bundle_job = bundle_job(
            ws,
            &matrix,
            "",
            "      SOURCE_DATE_EPOCH: ${{ needs.plan.outputs.epoch }}\n",
            &setup("${{ matrix.python }}"),
            "nightly",
        )?,
        merge_steps = merge_steps(ws, "nightly"),
        no_sign = no_sign(ws),
    ))
}

/// With `[ci] dev-upload-on-push`, the nightly workflow also runs on pushes to the release
/// branches (`[release] branches`, default `main`), where only its job `dev-upload` runs: the
/// Linux platform's nightly with `--upload` to `[nightly.upload]`. Being in the nightly
/// workflow, it shares its run number (the build number), so a dev build's versions never meet
/// a nightly's. The `on: push` lines, the plan job's condition, and the job.
fn dev_upload(ws: &Workspace) -> Result<(String, String, String)> {
    let m = &ws.manifest;
    let Some(upload) = m.nightly.upload.as_ref().filter(|_| m.ci.dev_upload_on_push) else {
        return Ok(Default::default());
    };
    let branches: Vec<String> = if m.release.branches.is_empty() {
        vec!["main".into()]
    } else {
        m.release.branches.clone()
    };
    let quoted: Vec<String> = branches
        .iter()
        .map(|b| format!("\"{}\"", b.replace('"', "\\\"")))
        .collect();
    let mut vars = vec!["TWINE_USERNAME".to_string(), "TWINE_PASSWORD".to_string()];
    vars.extend(toolchain::env_refs(&upload.repository_url));
    vars.extend(toolchain::env_refs(&upload.index_url));
    vars.extend(index_vars(ws)?);
    check_names(&vars)?;
    vars.sort();
    vars.dedup();
    let platform = m
        .platforms
        .iter()
        .find(|p| p.os == TargetOs::Linux)
        .map_or("linux", |p| p.name.as_str());
    let job = format!(
        "\n  dev-upload:\n    name: Upload a dev build of this push\n    if: github.event_name == 'push'\n    \
         runs-on: ubuntu-24.04\n    permissions:\n      contents: read\n    env:\n{env}    steps:\n{setup}      \
         - run: cargo xtask nightly --platform {platform} --no-sources{no_sign} --upload\n",
        env = secret_env(&vars, "      "),
        setup = setup(&format!("\"{}\"", linux_python(ws))),
        no_sign = no_sign(ws),
    );
    Ok((
        format!("  push:\n    branches: [{}]\n", quoted.join(", ")),
        "    if: github.event_name != 'push'\n".into(),
        job,
    ))
}

/// The release workflow: on a pushed release tag (or a tag given by hand), the bundles of that
/// tag built natively per platform, merged, verified, kept, and published.
fn release_workflow(ws: &Workspace) -> Result<String> {
    let manifest = &ws.manifest;
    let matrix = matrix(ws)?;
    let python = format!("\"{}\"", linux_python(ws));
    let shown = ws.manifest_shown();
    let job_env = job_env(ws)?;

    // Every tag a release makes: each group's, and any plugin's. A version starts with a digit;
    // names are matched literally.
    let mut tags: Vec<String> = manifest
        .groups
        .iter()
        .map(|g| {
            render(
                &escape_glob(&manifest.release.group_tag),
                &[
                    ("group", &escape_glob(&g.name)),
                    ("version", "[0-9]*"),
                    ("release", &escape_glob(&manifest.release.name)),
                ],
            )
        })
        .collect();
    tags.push(render(
        &escape_glob(&manifest.release.tag),
        &[("name", "*"), ("version", "[0-9]*")],
    ));
    tags.dedup();
    // Single-quoted: YAML keeps the pattern's backslashes.
    let tags: String = tags
        .iter()
        .map(|t| format!("      - '{}'\n", t.replace('\'', "''")))
        .collect();

    // Publishing: only when the manifest says where to; the set is kept as an artifact anyway.
    let publish = &manifest.publish;
    let publish_step = if publish.upload.is_some() || publish.release_dir.is_some() {
        let mut vars: Vec<String> = Vec::new();
        if let Some(upload) = &publish.upload {
            vars.extend(["TWINE_USERNAME".into(), "TWINE_PASSWORD".into()]);
            vars.extend(toolchain::env_refs(&upload.repository_url));
            vars.extend(toolchain::env_refs(&upload.index_url));
        }
        check_names(&vars)?;
        vars.sort();
        vars.dedup();
        let env = secret_env(&vars, "          ");
        let env = if env.is_empty() {
            String::new()
        } else {
            format!("        env:\n{env}")
        };
        format!("      - name: Publish\n{env}        run: cargo xtask publish\n")
    } else {
        String::new()
    };

    Ok(format!(
        r#"# Generated by `cargo xtask ci` from {shown}: edit the manifest and run it again.
# `cargo xtask ci --check` fails when this file is out of date.
name: release

on:
  push:
    tags:
{tags}  workflow_dispatch:
    inputs:
      tag:
        description: The release tag to build and publish
        required: true
        type: string

permissions: {{}}

concurrency:
  group: release-${{{{ inputs.tag || github.ref_name }}}}
  cancel-in-progress: false

defaults:
  run:
    shell: bash

jobs:
  plan:
    name: Plan and check
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    outputs:
      build: ${{{{ steps.plan.outputs.build }}}}
{job_env}    steps:
{setup}      - name: Check the release; a release with several tags is built by its first tag's run
        id: plan
        env:
          PUSHED_TAG: ${{{{ github.event_name == 'push' && github.ref_name || '' }}}}
        run: |
          cargo xtask bundle --dry-run --json{no_sign} > "$RUNNER_TEMP/plan.json"
          first=$(jq -r '.units[0].tag' "$RUNNER_TEMP/plan.json")
          if [ -n "$PUSHED_TAG" ] && [ "$PUSHED_TAG" != "$first" ]; then
            echo "::notice::$PUSHED_TAG is on the commit of $first: the run of $first builds this release"
            echo "build=false" >> "$GITHUB_OUTPUT"
          else
            echo "build=true" >> "$GITHUB_OUTPUT"
          fi

{bundle_job}
  publish:
    name: Merge, verify, keep and publish
    needs: [plan, bundle]
    runs-on: ubuntu-24.04
    environment: release
    permissions:
      contents: read
{job_env}    steps:
{setup}{merge_steps}{publish_step}"#,
        setup = setup_tag(&python),
        bundle_job = bundle_job(
            ws,
            &matrix,
            "    if: needs.plan.outputs.build == 'true'\n",
            "",
            &setup_tag("${{ matrix.python }}"),
            "bundle",
        )?,
        merge_steps = merge_steps(ws, "release"),
        no_sign = no_sign(ws),
    ))
}

/// The `env:` block of a job that runs pip (the package sources' `${VAR}`s from secrets), or
/// nothing when the sources need none.
fn job_env(ws: &Workspace) -> Result<String> {
    let secrets = secret_env(&index_vars(ws)?, "      ");
    Ok(if secrets.is_empty() {
        String::new()
    } else {
        format!("    env:\n{secrets}")
    })
}

/// The matrix job that builds each platform's bundle natively with `cargo xtask <command>
/// --platform P` and keeps its output folder as the artifact `bundle-P`.
fn bundle_job(ws: &Workspace, matrix: &str, condition: &str, env: &str, setup: &str, command: &str) -> Result<String> {
    let secrets = secret_env(&index_vars(ws)?, "      ");
    let output = output_dir(ws);
    let no_sign = no_sign(ws);
    Ok(format!(
        r#"  bundle:
    name: Bundle ${{{{ matrix.platform }}}}
    needs: plan
{condition}    runs-on: ${{{{ matrix.runner }}}}
    permissions:
      contents: read
    strategy:
      fail-fast: true
      matrix:
        include:
{matrix}    env:
{env}      XTASK_PLATFORM: ${{{{ matrix.platform }}}}
      XTASK_OPTIONS: ${{{{ matrix.options }}}}
{secrets}    steps:
{setup}      - run: cargo xtask {command} --platform "$XTASK_PLATFORM" $XTASK_OPTIONS{no_sign}
      - uses: {UPLOAD}
        with:
          name: bundle-${{{{ matrix.platform }}}}
          path: {output}/
          if-no-files-found: error
          overwrite: true
"#
    ))
}

/// The steps that download every platform's bundle, merge them (signing the set when
/// `sign-artifacts` is set), verify every archive and keep the set as the artifact `artifact`.
fn merge_steps(ws: &Workspace, artifact: &str) -> String {
    let parts: Vec<String> = ws
        .manifest
        .platforms
        .iter()
        .map(|p| format!("parts/bundle-{}", p.name))
        .collect();
    let output = output_dir(ws);
    format!(
        r#"      - uses: {DOWNLOAD}
        with:
          path: parts
{sign}      - run: cargo xtask merge {parts}
      - name: Verify every archive SHA256SUMS lists
        working-directory: {output}
        run: for sums in */SHA256SUMS; do cargo xtask verify $(awk -v set="${{sums%/*}}" '{{print set "/" $2}}' "$sums"); done
      - uses: {UPLOAD}
        with:
          name: {artifact}
          path: {output}/
          if-no-files-found: error
          overwrite: true
"#,
        sign = import_key(ws),
        parts = parts.join(" "),
    )
}

/// The output folder as the manifest names it, with `/`.
fn output_dir(ws: &Workspace) -> String {
    ws.manifest.release.output.to_string_lossy().replace('\\', "/")
}

/// `text` with the characters GitHub's filter patterns treat specially escaped.
fn escape_glob(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if matches!(c, '*' | '?' | '+' | '[' | ']' | '!' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The `${VAR}`s of the package sources: the jobs that run pip get them from secrets.
fn index_vars(ws: &Workspace) -> Result<Vec<String>> {
    let public = &ws.manifest.public;
    let mut vars: Vec<String> = std::iter::once(&public.index_url)
        .chain(&public.extra_index_urls)
        .chain(&public.find_links)
        .flat_map(|u| toolchain::env_refs(&u.value))
        .collect();
    vars.sort();
    vars.dedup();
    check_names(&vars)?;
    Ok(vars)
}

/// GitHub secret names: letters, digits and `_`, not starting with a digit.
fn check_names(vars: &[String]) -> Result<()> {
    let bad: Vec<String> = vars
        .iter()
        .filter(|v| {
            v.is_empty()
                || v.starts_with(|c: char| c.is_ascii_digit())
                || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .map(|v| format!("${{{v}}} cannot be passed from a GitHub secret: use letters, digits and _ only"))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(precheck_failed("cannot generate the CI workflows", bad))
    }
}

/// `VAR: ${{ secrets.VAR }}` lines at `indent`.
fn secret_env(vars: &[String], indent: &str) -> String {
    vars.iter()
        .map(|v| format!("{indent}{v}: ${{{{ secrets.{v} }}}}\n"))
        .collect()
}

/// The first steps of a release job: the tag pushed (or given), with its history and tags so
/// that versions and tags are seen, without credentials left behind; and Python.
fn setup_tag(python: &str) -> String {
    format!(
        "      - uses: {CHECKOUT}\n        with:\n          ref: ${{{{ inputs.tag && format('refs/tags/{{0}}', inputs.tag) || github.ref }}}}\n          fetch-depth: 0\n          persist-credentials: false\n      - uses: {SETUP_PYTHON}\n        with:\n          python-version: {python}\n"
    )
}

/// The first steps of every job: the repository (without credentials left behind) and Python.
fn setup(python: &str) -> String {
    format!(
        "      - uses: {CHECKOUT}\n        with:\n          persist-credentials: false\n      - uses: {SETUP_PYTHON}\n        with:\n          python-version: {python}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_patterns_match_names_literally() {
        assert_eq!(escape_glob("c++[x]!?*"), "c\\+\\+\\[x\\]\\!\\?\\*");
        assert_eq!(escape_glob("acme-v{version}"), "acme-v{version}");
    }

    #[test]
    fn only_names_a_secret_can_have_are_passed() {
        assert!(check_names(&["MIRROR_TOKEN".into(), "_X1".into()]).is_ok());
        for bad in ["1TOKEN", "MY-TOKEN", "A B", ""] {
            let err = check_names(&[bad.to_string()]).unwrap_err().to_string();
            assert!(
                err.contains(&format!("${{{bad}}} cannot be passed from a GitHub secret")),
                "{err}"
            );
        }
    }
}
