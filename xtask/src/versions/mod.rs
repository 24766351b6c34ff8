//! Versions and what is stamped with them. PEP 440 (`pep440`), bump levels (`bump`) and
//! nightly numbers (`nightly`) are pure and import nothing of the crate but `ops::clock`;
//! above them, release units, their tags and current versions (`units`), the formats
//! existing tags follow (`tag_families`, pure), locating version
//! text in files (`files`, YAML in `yaml`, pure), the byte-exact edits of versions and pins (`edits`) and changelogs
//! (`changelog`). May import the other domain folders (`manifest`, `python`) file by file,
//! never in a cycle, and `ops`. This file is the folder's front and re-exports only the pure
//! parts, which import nothing of the folder.

mod bump;
pub mod changelog;
pub mod edits;
pub mod files;
mod nightly;
mod pep440;
pub mod tag_families;
pub mod towncrier;
pub mod units;
mod yaml;

pub use bump::{bump, next_dev, skipped, Bump};
pub use nightly::{nightly, nightly_number};
pub use pep440::{parse, satisfies, satisfies_lines};
pub use yaml::{is_list_item as yaml_is_list_item, prepend as yaml_prepend, top_level_keys as yaml_top_level_keys};
