//! Python packaging as this tool meets it: the plugins found in the repository and their
//! metadata (`plugins`), target platforms and wheel tags (`platform`), Requires-Python judged for a platform's Python series (`requires_python`), the Python interpreter
//! and the build-tools venv (`toolchain`), what a package index already holds (`index`), a tokenizer for version text in Python source
//! (`pysource`) and the files a plugin keeps its version in (`version_files`), what a backend leaves out of a wheel by design (`shipped`), and the small Python helper scripts run in that venv (`*.py`). May import
//! the other domain folders (`manifest`, `versions`) file by file, never in a cycle, and
//! `ops`; `platform` needs only the pure PEP 440 functions of `versions`, and `pysource`
//! nothing, so the manifest and the version-text finder can use them.

/// `python -m build` of a batch of plugins (`build_forked.py`), each build a child forked from
/// one process that imported `build`, its backend hooks children forked from the build: the
/// same builds, without an interpreter start and imports per build and per hook.
pub const BUILD_FORKED: &str = include_str!("build_forked.py");

pub mod index;
pub mod lockfile;
pub mod platform;
pub mod plugins;
pub mod pysource;
pub mod requires_python;
mod shipped;
pub mod toolchain;
pub mod towncrier;
mod version_files;
