//! `cargo xtask ci [--check]`: the GitHub Actions workflow that spreads the nightly over one
//! machine per platform, generated from the manifest. A plan job checks everything and fixes
//! the time of the run; one job per platform, on a runner of that platform, builds its bundle
//! natively with `nightly --platform P`; one merge job joins them with `merge`, verifies them
//! and keeps them as the run's artifact. `--check` fails when the committed file differs.

use std::fmt::Write as _;

use anyhow::Result;

use crate::config::Platform;
use crate::error::precheck_failed;
use crate::ops::fs::write_atomic;
use crate::platform::{tag_arch, TargetOs};
use crate::workspace::Workspace;

pub const NIGHTLY_WORKFLOW: &str = ".github/workflows/nightly.yml";

// Actions pinned by commit (the tag they were taken from is in the comment).
const CHECKOUT: &str = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2";
const SETUP_PYTHON: &str = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0";
const UPLOAD: &str = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2";
const DOWNLOAD: &str = "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0";

pub fn run(ws: &Workspace, check: bool) -> Result<()> {
    let wanted = [(NIGHTLY_WORKFLOW, nightly_workflow(ws)?)];
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
        crate::ui::summary!("{} is up to date", NIGHTLY_WORKFLOW);
        return Ok(());
    }
    for (file, text) in &wanted {
        let path = ws.root.join(file);
        if let Some(dir) = path.parent() {
            crate::ops::fs::create_dir(dir)?;
        }
        write_atomic(&path, text.as_bytes())?;
        crate::ui::summary!("wrote {file}");
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

fn nightly_workflow(ws: &Workspace) -> Result<String> {
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
        return Err(precheck_failed("cannot generate the CI workflow", problems));
    }
    let python = platforms
        .iter()
        .find(|p| p.os == TargetOs::Linux)
        .map_or("3.x", |p| p.python.as_str());
    let parts: Vec<String> = platforms.iter().map(|p| format!("parts/bundle-{}", p.name)).collect();
    let output = ws.manifest.release.output.to_string_lossy().replace('\\', "/");
    let sign = if ws.manifest.release.sign_artifacts {
        "      - name: Import the signing key\n        env:\n          GPG_PRIVATE_KEY: ${{ secrets.GPG_PRIVATE_KEY }}\n        run: printf '%s\\n' \"$GPG_PRIVATE_KEY\" | gpg --batch --import\n"
    } else {
        ""
    };
    let manifest = ws.manifest_shown();
    Ok(format!(
        r#"# Generated by `cargo xtask ci` from {manifest}: edit the manifest and run it again.
# `cargo xtask ci --check` fails when this file is out of date.
name: nightly

on:
  schedule:
    - cron: "17 3 * * *"
  workflow_dispatch:

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
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    outputs:
      epoch: ${{{{ steps.epoch.outputs.epoch }}}}
    steps:
{setup}      - name: Fix the time of this run for every job
        id: epoch
        run: echo "epoch=$(date +%s)" >> "$GITHUB_OUTPUT"
      - run: cargo xtask plan

  bundle:
    name: Bundle ${{{{ matrix.platform }}}}
    needs: plan
    runs-on: ${{{{ matrix.runner }}}}
    permissions:
      contents: read
    strategy:
      fail-fast: true
      matrix:
        include:
{matrix}    env:
      SOURCE_DATE_EPOCH: ${{{{ needs.plan.outputs.epoch }}}}
      XTASK_PLATFORM: ${{{{ matrix.platform }}}}
      XTASK_OPTIONS: ${{{{ matrix.options }}}}
    steps:
{setup_matrix}      - run: cargo xtask nightly --platform "$XTASK_PLATFORM" $XTASK_OPTIONS
      - uses: {UPLOAD}
        with:
          name: bundle-${{{{ matrix.platform }}}}
          path: {output}/
          if-no-files-found: error

  merge:
    name: Merge, verify and keep
    needs: [plan, bundle]
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    env:
      SOURCE_DATE_EPOCH: ${{{{ needs.plan.outputs.epoch }}}}
    steps:
{setup}      - uses: {DOWNLOAD}
        with:
          path: parts
{sign}      - run: cargo xtask merge {parts}
      - name: Verify every archive SHA256SUMS lists
        working-directory: {output}
        run: cargo xtask verify $(awk '{{print $2}}' SHA256SUMS)
      - uses: {UPLOAD}
        with:
          name: nightly
          path: {output}/
          if-no-files-found: error
"#,
        parts = parts.join(" "),
        setup = setup(&format!("\"{python}\"")),
        setup_matrix = setup("${{ matrix.python }}"),
    ))
}

/// The first steps of every job: the repository (without credentials left behind) and Python.
fn setup(python: &str) -> String {
    format!(
        "      - uses: {CHECKOUT}\n        with:\n          persist-credentials: false\n      - uses: {SETUP_PYTHON}\n        with:\n          python-version: {python}\n"
    )
}
