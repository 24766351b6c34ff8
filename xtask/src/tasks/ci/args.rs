//! What the jobs of both providers pass to the xtask, from the manifest.

use crate::manifest::workspace::Workspace;

/// The output folder as the manifest names it, with `/`.
pub fn output_dir(ws: &Workspace) -> String {
    ws.manifest.release.output.to_string_lossy().replace('\\', "/")
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
