//! Executing a plan: one module per step kind (`build`, `bundle`, `commit`, `tag`, ...),
//! dispatched in plan order (`dispatch`, `execute`, `parallel`), with the release journal that
//! lets an interrupted release be finished or undone (`journal`). Steps decide what to do from
//! the plan alone; programs and file writes go through `ops`. May import `plan`, the domain
//! folders and `ops`; never `tasks`. This file is the folder's front: the parts never import it.

mod build;
pub use build::{wheel_metadata, wheel_requires, wheel_requires_python};
mod bundle;
mod commit;
mod complete;
pub use complete::{unmet_requirements, Wheel};
mod deliver;
mod dispatch;
mod exec;
mod execute;
pub mod journal;
mod lock;
pub use lock::{locks_behind, locks_unfit, settle, settle_for_run, LockUse};
mod notes;
mod parallel;
pub use notes::write_checksums;
mod publish;
mod pylock;
pub use publish::{copy_to_release_dir, upload};
mod resolve;
pub mod reuse;
mod sbom;
mod stamp;
mod store;
mod tag;
mod uv;
mod wheelhouse;
pub use exec::{prepare, Exec, Report};
pub use execute::execute;
