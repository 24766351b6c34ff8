//! One step of a plan, handed to the module that executes its kind.

use anyhow::Result;

use super::exec::{Exec, Report, Undo};
use super::{build, bundle, commit, deliver, notes, publish, resolve, stamp, tag, wheelhouse};
use crate::plan::Step;

/// One step; what to undo it with, if it changed the repository.
pub fn run_step(exec: &Exec, step: &Step, report: &mut Report) -> Result<Option<Undo>> {
    match step {
        Step::ExportSources {
            commit,
            paths,
            released,
        } => build::export(exec, commit, paths, released).map(|_| None),
        Step::Stamp { plugin, edits } => stamp::stamp(exec, plugin, edits).map(|_| None),
        Step::Build {
            plugin,
            path,
            version,
            wheel_excludes,
            released,
        } => {
            let job = build::Job {
                plugin,
                path,
                version,
                wheel_excludes,
                released: released.as_ref(),
            };
            build::build(exec, job, report).map(|_| None)
        }
        Step::Resolve { platforms, .. } => resolve::resolve(exec, platforms).map(|_| None),
        Step::Wheelhouse { platform, requirements } => wheelhouse::collect(exec, platform, requirements).map(|_| None),
        Step::Bundle {
            platform,
            archive,
            folder,
            format,
        } => bundle::write(exec, platform, archive, folder, *format, report).map(|_| None),
        Step::Sources { archive, folder } => bundle::write_sources(exec, archive, folder, report).map(|_| None),
        Step::Checksums { files, sign } => notes::checksums(exec, files, *sign, report).map(|_| None),
        Step::WriteNotes { file, text } => notes::write(exec, file, text).map(|_| None),
        Step::UpdateTree { edits } => commit::update_tree(exec, edits, report.commit.as_deref()).map(Some),
        Step::Commit { message, files } => commit::commit(exec, message, files, report).map(Some),
        Step::Tag { name, message, sign } => tag::tag(exec, name, message, *sign, report).map(Some),
        Step::Deliver { files, dists_of } => deliver::deliver(exec, files, dists_of, report).map(|_| None),
        Step::Push { remote, branch, tags } => publish::push(exec, remote, branch, tags).map(|_| None),
        Step::CopyToReleaseDir { dir, files, dists_of } => {
            publish::copy_to_release_dir(exec.ws, &exec.set_dir(), dir, files, dists_of).map(|_| None)
        }
        Step::Upload { upload, plugins } => {
            publish::upload(exec.ws, &exec.set_dir(), &exec.tools_python, upload, plugins).map(|_| None)
        }
    }
}
