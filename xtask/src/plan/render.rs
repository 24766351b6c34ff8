//! The plan as people read it: `plan` and the release's dry run print it, and every step has a
//! one-line description for progress lines and messages.

use std::fmt::Write as _;

use super::types::{FolderAt, Plan, PlanKind, Step, WheelhouseStrategy, CHECKSUMS_FILE};
use crate::versions::edits;

/// The plan for people: versions, edits, steps, artifacts.
pub fn render_human(plan: &Plan) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:?} plan for {} {} (commit {})",
        plan.kind,
        plan.release,
        plan.version,
        &plan.commit[..plan.commit.len().min(12)]
    );
    let _ = writeln!(s, "\nplugins:");
    for p in &plan.plugins {
        let group = p.group.as_deref().map(|g| format!(" [group {g}]")).unwrap_or_default();
        let _ = writeln!(
            s,
            "  {:<28} {} -> {}{group}   ({})",
            p.name, p.current_version, p.version, p.path
        );
    }
    if plan.kind == PlanKind::Bundle && !plan.units.is_empty() {
        let tags: Vec<&str> = plan.units.iter().map(|u| u.tag.as_str()).collect();
        let _ = writeln!(s, "\nreleased at this commit (its tags): {}", tags.join(", "));
    }
    let _ = writeln!(s, "\nsteps:");
    for step in &plan.steps {
        render_step(&mut s, plan, step);
    }
    s
}

/// The export step: the commit, and the folders taken as released.
fn render_export(s: &mut String, commit: &str, paths: &[String], released: &[FolderAt]) {
    let _ = writeln!(
        s,
        "  export {} plugin folder(s) at {}",
        paths.len(),
        &commit[..commit.len().min(12)]
    );
    for f in released {
        let _ = writeln!(
            s,
            "      {} as released, at {}",
            f.path,
            &f.commit[..f.commit.len().min(12)]
        );
    }
}

/// A stamp step: every edit of the build copy.
fn render_stamp(s: &mut String, plugin: &str, edits: &[edits::Edit]) {
    let _ = writeln!(s, "  stamp {plugin} (build copy only):");
    for e in edits {
        let _ = writeln!(
            s,
            "      {}:{}: {:?} -> {:?}  ({})",
            e.file, e.line, e.old, e.new, e.reason
        );
    }
}

/// One step of the plan, as `plan` and the dry run list it.
fn render_step(s: &mut String, plan: &Plan, step: &Step) {
    match step {
        Step::ExportSources {
            commit,
            paths,
            released,
        } => render_export(s, commit, paths, released),
        Step::Stamp { plugin, edits } => render_stamp(s, plugin, edits),
        Step::Build {
            plugin,
            version,
            released,
            ..
        } => {
            let how = released.as_ref().map_or(String::new(), |r| {
                format!(" as released (tag {}): not released now", r.tag)
            });
            let _ = writeln!(s, "  build sdist and wheel of {plugin} {version}{how}");
        }
        Step::Resolve { platforms, .. } => {
            let _ = writeln!(
                s,
                "  resolve the dependencies for {} with uv, for each target, and download their wheels",
                platforms.join(", ")
            );
        }
        Step::Wheelhouse { platform, requirements } => {
            let how = match plan.platforms.iter().find(|p| &p.name == platform).map(|p| p.strategy) {
                Some(WheelhouseStrategy::Download) => "download target wheels",
                _ => "pip wheel on this host",
            };
            let _ = writeln!(s, "  collect wheels for {platform} ({how}): {}", requirements.join(" "));
        }
        Step::Bundle { archive, .. } => {
            let _ = writeln!(s, "  write {archive}");
        }
        Step::Sources { archive, .. } => {
            let _ = writeln!(s, "  write {archive} (every plugin's sdist)");
        }
        Step::Checksums { files, sign } => {
            let signed = if *sign { ", signed with gpg (.asc)" } else { "" };
            let _ = writeln!(
                s,
                "  write {CHECKSUMS_FILE} and a .sha256 file for each of {} archive(s){signed}",
                files.len()
            );
        }
        Step::WriteNotes { file, .. } => {
            let _ = writeln!(s, "  write {file}");
        }
        Step::UpdateTree { edits } => {
            let by_file = edits::by_file(edits);
            let gone = by_file.values().filter(|e| edits::removes(e)).count();
            let files = by_file.len() - gone;
            let removed = match gone {
                0 => String::new(),
                n => format!(", remove {n} compiled news fragment(s)"),
            };
            let _ = writeln!(s, "  write the bump into {files} file(s) of the working tree{removed}");
        }
        Step::Commit { message, files } => {
            let _ = writeln!(s, "  commit {} file(s): {message:?}", files.len());
        }
        Step::Tag { name, sign, .. } => {
            let _ = writeln!(
                s,
                "  create the {} tag {name}",
                if *sign { "signed" } else { "annotated" }
            );
        }
        Step::Deliver { files, dists_of } => {
            let files: Vec<String> = files
                .iter()
                .cloned()
                .chain(dists_of.iter().map(|d| format!("{d} sdist and wheel")))
                .collect();
            let _ = writeln!(s, "  move into {}/: {}", plan.output_dir, files.join(", "));
        }
        Step::Push { remote, branch, tags } => {
            let _ = writeln!(s, "  push --atomic to {remote}: {branch} {}", tags.join(" "));
        }
        Step::CopyToReleaseDir { dir, files, dists_of } => {
            let _ = writeln!(
                s,
                "  copy {} file(s) to the release folder {dir}",
                files.len() + 2 * dists_of.len()
            );
        }
        Step::Upload { upload, plugins } => {
            let _ = writeln!(
                s,
                "  upload the sdists and wheels of {} to {} (files it already has are skipped)",
                plugins.join(", "),
                crate::ops::cmd::redact(&upload.repository_url)
            );
        }
    }
}

/// The step as progress lines and messages name it.
pub fn describe(step: &Step) -> String {
    match step {
        Step::ExportSources { paths, .. } => format!("export {} plugin folder(s) from git", paths.len()),
        Step::Stamp { plugin, edits } => format!("stamp {plugin} ({} edit(s))", edits.len()),
        Step::Build { plugin, version, .. } => format!("build {plugin} {version}"),
        Step::Resolve { platforms, .. } => format!("resolve dependencies for {}", platforms.join(", ")),
        Step::Wheelhouse { platform, .. } => format!("collect wheels for {platform}"),
        Step::Bundle { archive, .. } => format!("write {archive}"),
        Step::Sources { archive, .. } => format!("write {archive}"),
        Step::Checksums { files, .. } => format!("checksums of {} archive(s)", files.len()),
        Step::WriteNotes { file, .. } => format!("write {file}"),
        Step::UpdateTree { edits } => format!(
            "write the bump into {} file(s)",
            crate::versions::edits::by_file(edits).len()
        ),
        Step::Commit { files, .. } => format!("commit {} file(s)", files.len()),
        Step::Tag { name, .. } => format!("tag {name}"),
        Step::Deliver { files, dists_of } => format!("deliver {} file(s)", files.len() + 2 * dists_of.len()),
        Step::Push { remote, .. } => format!("push to {remote}"),
        Step::CopyToReleaseDir { dir, .. } => format!("copy to {dir}"),
        Step::Upload { plugins, .. } => format!("upload {} plugin(s)", plugins.len()),
    }
}
