//! `.gitlab-ci.yml`: the manifest's nightly and release pipelines for GitLab CI, the same jobs
//! as the GitHub workflows. A plan job checks everything (the nightly's also fixes the time of
//! the run in a dotenv report); one job per platform, on runners with that platform's tags,
//! builds its part natively into `dist/bundle-<platform>/` (`--output`, so that the parts'
//! artifacts never overlap); a last job takes every part through `needs`, joins them with
//! `merge`, verifies every archive and keeps the set, and for a release publishes it, in the
//! protected environment `release`. The build number is GitLab's `CI_PIPELINE_IID` (in
//! `[nightly] build-number-env` by default). Package-index `${VAR}`s and twine's credentials
//! come from CI/CD variables, which GitLab puts in every job's environment.

use std::fmt::Write as _;

use anyhow::Result;

use super::args::{locked, no_sign, output_dir};
use crate::manifest::workspace::Workspace;
use crate::manifest::Platform;
use crate::python::platform::{tag_arch, TargetOs};

pub const PIPELINE: &str = ".gitlab-ci.yml";

/// The runner tags of a platform's jobs: `[ci.gitlab] runner-tags`, else GitLab.com's hosted
/// runners for its system and architecture.
pub fn runner_tags(ws: &Workspace, p: &Platform) -> Vec<String> {
    if let Some(tags) = ws.manifest.ci.gitlab_runner_tags.get(&p.name) {
        return tags.clone();
    }
    let arch = p.tags.iter().find_map(|t| tag_arch(t)).unwrap_or("x86_64");
    let tag = match (p.os, arch) {
        (TargetOs::Windows, _) => "saas-windows-medium-amd64",
        (TargetOs::Macos, _) => "saas-macos-medium-m1",
        (_, "aarch64") => "saas-linux-small-arm64",
        _ => "saas-linux-small-amd64",
    };
    vec![tag.to_string()]
}

/// The platform whose jobs also run the plan and the merge (Linux, with bash): the first Linux
/// platform, else the first.
fn linux_platform(ws: &Workspace) -> Option<&Platform> {
    let platforms = &ws.manifest.platforms;
    platforms.iter().find(|p| p.os == TargetOs::Linux).or(platforms.first())
}

fn tags_line(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = tags.iter().map(|t| yaml_string(t)).collect();
        format!("  tags: [{}]\n", quoted.join(", "))
    }
}

/// A double-quoted YAML string.
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// The jobs that build each platform's part into `<output>/bundle-<platform>/` with
/// `cargo xtask <command>`, named `<prefix>-<platform>`; and their names and folders.
fn part_jobs(ws: &Workspace, prefix: &str, command: &str, keep: &str) -> (String, Vec<String>, Vec<String>) {
    let linux = linux_platform(ws).map(|l| l.name.clone());
    let output = output_dir(ws);
    let no_sign = no_sign(ws);
    let mut jobs = String::new();
    let mut names = Vec::new();
    let mut folders = Vec::new();
    for p in &ws.manifest.platforms {
        // The sources bundle is the Linux job's (sdists are the same everywhere).
        let sources = if Some(&p.name) == linux.as_ref() {
            ""
        } else {
            " --no-sources"
        };
        let job = format!("{prefix}-{}", p.name);
        let folder = format!("{output}/bundle-{}", p.name);
        let _ = write!(
            jobs,
            "{job}:\n  stage: bundle\n  extends: .{prefix}\n  needs: [{prefix}-plan]\n{tags}  script:\n    \
             - cargo xtask {command} --platform {name}{sources}{no_sign}{locked} --output {folder}\n  artifacts:\n    \
             paths: [{folder}/]\n    expire_in: {keep}\n\n",
            tags = tags_line(&runner_tags(ws, p)),
            name = p.name,
            locked = locked(ws, &p.name),
        );
        names.push(job);
        folders.push(folder);
    }
    (jobs, names, folders)
}

/// The script lines that join the parts, verify every archive of the set (and import the
/// signing key first, when the set is signed).
fn merge_script(ws: &Workspace, folders: &[String]) -> String {
    let output = output_dir(ws);
    let sign = if ws.manifest.release.sign_artifacts {
        "    - printf '%s\\n' \"$GPG_PRIVATE_KEY\" | gpg --batch --import\n"
    } else {
        ""
    };
    format!(
        "{sign}    - cargo xtask merge {folders}\n    \
         - (cd {output} && for sums in */SHA256SUMS; do cargo xtask verify $(awk -v set=\"${{sums%/*}}\" '{{print set \"/\" $2}}' \"$sums\"); done)\n",
        folders = folders.join(" "),
    )
}

/// A GitLab regular expression (RE2) matching the release tags: each group's `group-tag` and
/// the plugins' `tag`, with the version starting with a digit and names matched literally.
fn tag_regex(ws: &Workspace) -> String {
    let m = &ws.manifest;
    let escape = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c.to_string()
                } else {
                    format!("\\{c}")
                }
            })
            .collect()
    };
    // Placeholders survive escaping as their own text, then become patterns.
    let pattern = |template: &str, values: &[(&str, String)]| {
        let mut out = escape(template);
        for (key, value) in values {
            out = out.replace(&format!("\\{{{key}\\}}"), value);
        }
        out
    };
    // `/` is escaped: it would end the regular expression.
    let version = "[0-9][^\\/]*".to_string();
    let mut alternatives: Vec<String> = m
        .groups
        .iter()
        .map(|g| {
            pattern(
                &m.release.group_tag,
                &[
                    ("group", escape(&g.name)),
                    ("version", version.clone()),
                    ("release", escape(&m.release.name)),
                ],
            )
        })
        .collect();
    alternatives.push(pattern(
        &m.release.tag,
        &[("name", "[^\\/]+".into()), ("version", version)],
    ));
    alternatives.dedup();
    format!("/^({})$/", alternatives.join("|"))
}

/// With `[ci] dev-upload-on-push`: the workflow rule for pushes to the default branch, and the
/// job that builds the Linux platform's nightly there and uploads the plugins' sdists and
/// wheels to `[nightly.upload]` (the build number, `CI_PIPELINE_IID`, is unique in the project,
/// so its versions never meet a nightly's).
fn dev_upload(ws: &Workspace, linux_tags: &str) -> (String, String) {
    if !ws.manifest.ci.dev_upload_on_push {
        return (String::new(), String::new());
    }
    let rule = "$CI_PIPELINE_SOURCE == \"push\" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH";
    let platform = linux_platform(ws).map_or("linux", |p| p.name.as_str());
    let output = output_dir(ws);
    (
        format!("    - if: {rule}\n"),
        format!(
            "\n# Every push to the default branch: a dev build of every plugin, uploaded to [nightly.upload]\n\
             # (TWINE_USERNAME, TWINE_PASSWORD as masked CI/CD variables). A rerun uploads nothing twice.\n\
             dev-upload:\n  stage: bundle\n  rules:\n    - if: {rule}\n{linux_tags}  script:\n    \
             - cargo xtask nightly --platform {platform} --no-sources{no_sign}{locked} --upload --output {output}/dev-upload\n",
            no_sign = no_sign(ws),
            locked = locked(ws, platform),
        ),
    )
}

pub fn pipeline(ws: &Workspace) -> Result<String> {
    let shown = ws.manifest_shown();
    let linux_tags = linux_platform(ws)
        .map(|p| tags_line(&runner_tags(ws, p)))
        .unwrap_or_default();
    let no_sign = no_sign(ws);
    let output = output_dir(ws);
    let image = default_image(ws);
    let tags = tag_regex(ws);
    let (push_rule, dev_upload) = dev_upload(ws, &linux_tags);

    let (nightly_parts, nightly_jobs, nightly_folders) = part_jobs(ws, "nightly", "nightly", "1 week");
    let (release_parts, release_jobs, release_folders) = part_jobs(ws, "release", "bundle", "1 week");
    let publish_line = publish_line(ws);
    Ok(format!(
        r#"# Generated by `cargo xtask ci` from {shown}: edit the manifest and run it again.
# `cargo xtask ci --check` fails when this file is out of date.
#
# Two pipelines: the nightly one on schedules and when started by hand (Build > Pipelines >
# Run pipeline), and the release one when a release tag is pushed. Jobs run `cargo xtask` on
# runners with Rust, git and Python; each platform's job runs on runners with its tags
# ([ci.gitlab] runner-tags).

workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "schedule" || $CI_PIPELINE_SOURCE == "web"
    - if: $CI_COMMIT_TAG =~ {tags}
{push_rule}
stages: [plan, bundle, merge, publish]

{image}variables:
  # Versions and tags come from the history.
  GIT_DEPTH: "0"

.nightly:
  rules:
    - if: $CI_COMMIT_TAG == null && ($CI_PIPELINE_SOURCE == "schedule" || $CI_PIPELINE_SOURCE == "web")

.release:
  rules:
    - if: $CI_COMMIT_TAG =~ {tags}

nightly-plan:
  stage: plan
  extends: .nightly
{linux_tags}  script:
    - cargo xtask plan{no_sign}
    # The time of this run for every job (a dotenv report); a pipeline variable
    # SOURCE_DATE_EPOCH fixes it (a rebuild of an earlier night).
    - echo "SOURCE_DATE_EPOCH=${{SOURCE_DATE_EPOCH:-$(date +%s)}}" > xtask-plan.env
  artifacts:
    reports:
      dotenv: xtask-plan.env
    expire_in: 1 day

{nightly_parts}nightly-merge:
  stage: merge
  extends: .nightly
  needs: [nightly-plan, {nightly_needs}]
{linux_tags}  script:
{nightly_merge}  artifacts:
    name: nightly
    paths: [{output}/]
    exclude: [{output}/bundle-*/**/*]
    expire_in: 1 month

# A release: the bundles of the tagged commit (its commit time makes them the bytes the
# release made), merged, verified, kept and published. A release that made several tags runs
# once per tag; the runs give the same bytes and `publish` skips what is already published.
release-plan:
  stage: plan
  extends: .release
{linux_tags}  script:
    - cargo xtask bundle --dry-run{no_sign}

{release_parts}release-publish:
  stage: publish
  extends: .release
  needs: [{release_needs}]
  # Protect the environment and the release tags; put TWINE_USERNAME, TWINE_PASSWORD and the
  # index ${{VAR}}s in protected, masked CI/CD variables of this environment.
  environment: release
  resource_group: release
{linux_tags}  script:
{release_merge}{publish_line}  artifacts:
    name: release
    paths: [{output}/]
    exclude: [{output}/bundle-*/**/*]
    expire_in: 1 year
{dev_upload}"#,
        nightly_needs = nightly_jobs.join(", "),
        nightly_merge = merge_script(ws, &nightly_folders),
        release_needs = release_jobs.join(", "),
        release_merge = merge_script(ws, &release_folders),
    ))
}

/// The `default: image:` of every job, when `[ci.gitlab] image` names one.
fn default_image(ws: &Workspace) -> String {
    ws.manifest
        .ci
        .gitlab_image
        .as_ref()
        .map(|i| format!("default:\n  image: {}\n\n", yaml_string(i)))
        .unwrap_or_default()
}

/// The release job's publish command, when the manifest says where to publish.
fn publish_line(ws: &Workspace) -> &'static str {
    let publish = &ws.manifest.publish;
    if publish.upload.is_some() || publish.release_dir.is_some() {
        "    - cargo xtask publish\n"
    } else {
        ""
    }
}
