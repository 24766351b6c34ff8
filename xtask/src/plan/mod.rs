//! The plan: everything a run will do (versions, file edits, builds, wheelhouses, archives,
//! commits, tags, uploads), computed before anything runs, printable as JSON, and executed
//! step by step as printed. Computing a plan only reads the repository, the manifest, the
//! plugins and the host (and fills the work folder: the build-tools venv that build backends
//! are asked in, and its cache).
//!
//! `types` is the plan as data; `compute` calls the phases in order: `metadata`, `versions`,
//! `stamping`, `platforms`, `siblings`, `output`, `repository`, `publishing`; `render` prints
//! it; `identity` reads back what a written bundle says it is. May import the domain folders
//! and `ops`; never `steps` or `tasks`. This file is the folder's front: the parts never import
//! it.

mod compute;
pub mod identity;
mod metadata;
mod output;
mod platforms;
mod publishing;
mod render;
mod repository;
mod siblings;
mod stamping;
mod types;
mod versions;

pub use compute::{compute, TWINE};
pub use output::{check_no_overwrite, set_name};
pub use platforms::{bundle_folder, check_native};
pub use publishing::{check_publishing, check_upload};
pub use render::{describe, render_human};
pub use repository::check_release_preconditions;
pub use types::*;
pub use versions::release_identity;
