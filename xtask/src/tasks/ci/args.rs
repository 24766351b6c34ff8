//! What the jobs of both providers pass to the xtask, from the manifest.

use crate::manifest::workspace::Workspace;

/// The output folder as the manifest names it, with `/`.
pub fn output_dir(ws: &Workspace) -> String {
    ws.manifest.release.output.to_string_lossy().replace('\\', "/")
}

/// ` --locked` for a platform whose lock (`locks/pylock.<platform>.toml`) is in the repository:
/// CI then builds exactly the committed lock, and a lock left stale by a requirement change
/// fails the job, naming the requirement, instead of resolving again unnoticed.
pub fn locked(ws: &Workspace, platform: &str) -> &'static str {
    if ws.root.join(crate::python::lockfile::lock_path(platform)).is_file() {
        " --locked"
    } else {
        ""
    }
}

/// With `sign-artifacts`, the per-platform parts are not signed: only `merge` signs the set,
/// in the one job that gets the key.
pub fn no_sign(ws: &Workspace) -> &'static str {
    if ws.manifest.release.sign_artifacts {
        " --no-sign"
    } else {
        ""
    }
}
