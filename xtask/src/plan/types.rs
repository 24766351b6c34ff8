//! The plan as data: what a run will do (`Plan` and its `Step`s), what it was asked
//! (`Mode`, `PlanOptions`), serializable as the JSON that `plan --json` prints and
//! `release --plan FILE` runs (xtask/docs/plan-json.md).

use serde::{Deserialize, Serialize};

use crate::manifest::Upload;
use crate::ops::archive::ArchiveFormat;
use crate::python::platform::TargetOs;
use crate::python::plugins::Layout;
use crate::python::toolchain::{IndexArgs, Tools};
use crate::versions::edits::Edit;
use crate::versions::units::{PlannedUnit, Selection};
use crate::versions::Bump;

/// Version of the plan's JSON layout; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub schema_version: u32,
    pub kind: PlanKind,
    pub release: String,
    /// The release version: it names the archives.
    pub version: String,
    pub commit: String,
    /// Timestamp of every archive entry: SOURCE_DATE_EPOCH, else the commit time (releases:
    /// the time of the run, which also dates the release commit).
    pub source_date_epoch: u64,
    /// Where finished artifacts go, relative to the repository root (or absolute).
    pub output_dir: String,
    /// The folder of this run's set under the output folder (`<release>-<version>`): its
    /// archives, checksums, signatures, notes and, for releases, sdists and wheels.
    #[serde(default)]
    pub set: String,
    pub plugins: Vec<PlannedPlugin>,
    pub public_requirements: Vec<String>,
    pub index: IndexArgs,
    pub build_tools: Vec<String>,
    pub platforms: Vec<PlannedPlatform>,
    /// Release units with their versions and tags: those a release makes, or those whose tag
    /// is on the commit a `bundle` rebuilds; empty for nightlies.
    pub units: Vec<PlannedUnit>,
    /// The branch a release commits to (releases only).
    pub branch: Option<String>,
    /// sha256 of the manifest the plan was made from; a saved plan is refused if it changed.
    pub manifest_sha256: String,
    /// Release notes (releases: each unit's Unreleased section; nightlies: what is unreleased).
    pub notes: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    Nightly,
    Release,
    /// The bundles of the release HEAD is tagged with, versions as committed (`bundle`).
    Bundle,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedPlugin {
    pub name: String,
    pub normalized_name: String,
    pub path: String,
    pub layout: Layout,
    pub group: Option<String>,
    pub current_version: String,
    pub version: String,
    pub summary: String,
    pub keywords: Vec<String>,
    pub license: Option<String>,
    pub dependencies: Vec<String>,
    /// Normalized names of the other plugins this one requires.
    pub requires_plugins: Vec<String>,
    pub version_files: Vec<PlannedVersionFile>,
    /// `verify` imports it (`[plugin.NAME] verify-import`).
    #[serde(default = "yes")]
    pub verify_import: bool,
    /// Releases upload its sdist and wheel (`[plugin.NAME] upload`).
    #[serde(default = "yes")]
    pub upload: bool,
    /// The metadata fields read from its build backend, because static reading could not read
    /// them exactly (`version`, `dependencies`, ...); empty when everything was read statically.
    #[serde(default)]
    pub from_backend: Vec<String>,
}

pub fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedVersionFile {
    pub path: String,
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedPlatform {
    pub name: String,
    pub tags: Vec<String>,
    pub os: TargetOs,
    pub python: String,
    pub implementation: String,
    pub abi: String,
    pub format: ArchiveFormat,
    /// File name of the bundle in the output folder.
    pub archive: String,
    /// The one top-level folder inside the archive.
    pub folder: String,
    /// How the wheelhouse is collected.
    pub strategy: WheelhouseStrategy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WheelhouseStrategy {
    /// `pip wheel` with this host's Python: the host is the target.
    Host,
    /// The dependencies resolved for the target by uv (`--python-platform`), their wheels
    /// downloaded with one `pip download --platform ...`.
    Download,
}

/// A folder of the build copy taken from another commit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FolderAt {
    pub path: String,
    pub commit: String,
}

/// The release a plugin's current version comes from: its tag, the commit the tag marks, and
/// the time it was built at (that commit's time: a release commit is dated with it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Released {
    pub tag: String,
    pub commit: String,
    pub epoch: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Copy the committed files of the plugins into the build copy; the folders of `released`
    /// as the commit of their release (siblings a partial release ships as released).
    ExportSources {
        commit: String,
        paths: Vec<String>,
        #[serde(default)]
        released: Vec<FolderAt>,
    },
    /// Write versions and sibling pins into the build copy.
    Stamp { plugin: String, edits: Vec<Edit> },
    /// Build the plugin's sdist, then its wheel from that sdist; check that the wheel holds
    /// every committed file of its packages but those `wheel_excludes` names.
    Build {
        plugin: String,
        path: String,
        version: String,
        #[serde(default)]
        wheel_excludes: Vec<String>,
        /// A plugin a partial release does not release, at a version released before: built
        /// as that release built it (its commit's files, its time), so the bytes are the
        /// released ones.
        #[serde(default)]
        released: Option<Released>,
    },
    /// Resolve the dependencies of the platforms this host is not, for each target (uv), and
    /// download their wheels; every platform is resolved before any failure is reported.
    Resolve {
        platforms: Vec<String>,
        requirements: Vec<String>,
    },
    /// Collect wheels of the private plugins and every dependency for a platform.
    Wheelhouse {
        platform: String,
        requirements: Vec<String>,
    },
    /// Pack the wheelhouse and the sdists into the platform's archive.
    Bundle {
        platform: String,
        archive: String,
        folder: String,
        format: ArchiveFormat,
    },
    /// The sources bundle: every private sdist.
    Sources { archive: String, folder: String },
    /// `<archive>.sha256` for every archive, and one `SHA256SUMS`; with `sign`, a detached
    /// ASCII-armoured GPG signature `<file>.asc` of each archive and of `SHA256SUMS`.
    Checksums {
        files: Vec<String>,
        #[serde(default)]
        sign: bool,
    },
    /// Write the release notes next to the archives (staging).
    WriteNotes { file: String, text: String },
    /// Write the bump into the working tree (all files or none).
    UpdateTree { edits: Vec<Edit> },
    /// Commit the files the bump changed.
    Commit { message: String, files: Vec<String> },
    /// Create an annotated (or signed) tag on the release commit.
    Tag { name: String, message: String, sign: bool },
    /// Move finished archives (and, for releases, the sdists and wheels of the released
    /// plugins) into the output folder, all or nothing.
    Deliver {
        files: Vec<String>,
        #[serde(default)]
        dists_of: Vec<String>,
    },
    /// `git push --atomic` of the release branch and tags (after this, nothing is undone).
    Push {
        remote: String,
        branch: String,
        tags: Vec<String>,
    },
    /// Copy the delivered files into a release folder.
    CopyToReleaseDir {
        dir: String,
        files: Vec<String>,
        #[serde(default)]
        dists_of: Vec<String>,
    },
    /// Upload the released plugins' sdists and wheels with twine; files the index already has
    /// with the same sha256 are skipped.
    Upload { upload: Upload, plugins: Vec<String> },
}

/// What kind of plan to make.
pub enum Mode {
    Nightly {
        build_number: Option<u64>,
        /// Upload the plugins' sdists and wheels to `[nightly.upload]` after delivering.
        upload: bool,
    },
    Release {
        level: Bump,
        selection: Selection,
    },
    /// Rebuild the release HEAD is tagged with: no version changes, no commit, no tag.
    Bundle,
}

pub struct PlanOptions {
    pub mode: Mode,
    pub platforms: Vec<String>,
    /// Releases: copy the artifacts here too (`--release-dir` or `RELEASE_DIR`).
    pub release_dir: Option<String>,
    /// Leave out the sources bundle (every private sdist).
    pub no_sources: bool,
    /// Sign nothing despite `sign-artifacts` (a per-platform part; `merge` signs the set).
    pub no_sign: bool,
}

/// A plan and what is needed to execute it. `problems` lists every precheck that failed.
pub struct Prepared {
    pub plan: Option<Plan>,
    pub problems: Vec<String>,
    pub tools: Option<Tools>,
}

impl PlanKind {
    pub fn of(mode: &Mode) -> PlanKind {
        match mode {
            Mode::Nightly { .. } => PlanKind::Nightly,
            Mode::Release { .. } => PlanKind::Release,
            Mode::Bundle => PlanKind::Bundle,
        }
    }
}

/// Name of the release notes file next to the archives.
pub const NOTES_FILE: &str = "RELEASE_NOTES.md";

/// The checksums of all archives, in `sha256sum` format.
pub const CHECKSUMS_FILE: &str = "SHA256SUMS";
