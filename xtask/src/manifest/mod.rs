//! The manifest, `release-config.toml`: its schema (`schema`), the model the rest of the
//! program sees (`model`), loading and resolving it with its defaults (`resolve`, with one file
//! per table family: `plugins`, `platforms`), value checks (`checks`), positions for messages
//! (`source`), and the workspace a command opens around it (`workspace`).
//!
//! Owns every error that points into the manifest (always `file:line:col: message`). It reads
//! one file and never looks at plugins, git or Python: discovery checks that paths exist. May
//! import `ops`, and the Platform rules of `python::platform` and the changelog style of
//! `versions::changelog::style` that it resolves into. This file is the folder's front: the
//! parts never import it.

mod checks;
mod model;
mod platforms;
mod plugins;
mod resolve;
mod schema;
mod source;
pub mod workspace;

pub use checks::{check_portable_name, first_line, normalize_name, render};
pub use model::*;
pub use resolve::MANIFEST_FILE;
pub use source::line_col;
