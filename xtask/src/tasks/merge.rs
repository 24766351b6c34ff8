//! `cargo xtask merge FOLDER...`: join the bundles built on several machines (one
//! `nightly --platform P` per machine, each with its `.sha256` files) into one set in the
//! output folder, as one full run would have written it: every archive checked against its
//! `.sha256`, all of one release, version and commit, one per platform plus the sources;
//! then `SHA256SUMS` (and signatures) written anew. All problems are reported together;
//! nothing is written unless all pass, and then all files appear at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::precheck_failed;
use crate::manifest::workspace::Workspace;
use crate::ops::fs::{copy_file, file_names, move_all_into_place, sha256_file};
use crate::ops::staging::Staging;
use crate::plan::identity::{read_identity, Identity};
use crate::plan::{CHECKSUMS_FILE, NOTES_FILE};

pub struct MergeOptions {
    pub folders: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    /// Accept a set without a sources bundle.
    pub no_sources: bool,
}

pub(super) struct Found {
    pub path: PathBuf,
    pub sha256: String,
    pub identity: Identity,
}

/// The archives and release notes gathered from the given folders.
#[derive(Default)]
struct Gathered {
    /// Every archive by file name, as first found (each checked against its `.sha256`).
    archives: BTreeMap<String, Found>,
    /// The release notes: where they were first found, and their bytes.
    notes: Option<(PathBuf, Vec<u8>)>,
}

pub fn run(ws: &Workspace, opts: &MergeOptions) -> Result<()> {
    crate::steps::journal::refuse_if_interrupted(ws)?;
    let mut problems = Vec::new();
    let mut gathered = Gathered::default();
    for given in &opts.folders {
        gather_folder(given, &mut gathered, &mut problems)?;
    }
    let order = check_one_run(ws, opts, &gathered.archives, &mut problems);
    if !problems.is_empty() {
        return Err(precheck_failed("cannot merge the bundles", problems));
    }

    // Stage copies, write the checksums (and signatures), then move everything at once, into
    // the set's own folder.
    let out = set_folder(ws, opts, &gathered.archives, &order);
    let stage = Staging::create(&ws.work_dir, "merge")?;
    let files = stage_set(ws, &stage, &gathered, &order)?;
    let moves: Vec<(PathBuf, PathBuf)> = files.iter().map(|f| (stage.path().join(f), out.join(f))).collect();
    move_all_into_place(&moves).with_context(|| format!("nothing was written to {}", out.display()))?;
    print_merged(&out, &files);
    Ok(())
}

/// Gather the archives (those with a `.sha256` file) and the release notes of one given
/// folder, or of the one set inside it; a differing copy of either is a problem.
fn gather_folder(given: &Path, gathered: &mut Gathered, problems: &mut Vec<String>) -> Result<()> {
    let Ok(names) = file_names(given) else {
        problems.push(format!("{}: not a folder", given.display()));
        return Ok(());
    };
    // An output folder holds its set in a folder of its own: take that one.
    let (folder, names) = match set_inside(given, &names) {
        Some(inner) => {
            let names = file_names(&inner)?;
            (inner, names)
        }
        None => (given.to_path_buf(), names),
    };
    let folder = &folder;
    let mut any = false;
    for name in names.iter().filter(|n| names.contains(&format!("{n}.sha256"))) {
        any = true;
        let path = folder.join(name);
        match inspect(&path) {
            Err(e) => problems.push(format!("{}: {e:#}", path.display())),
            Ok(found) => match gathered.archives.get(name) {
                Some(first) if first.sha256 != found.sha256 => problems.push(format!(
                    "{name} differs between {} and {}: both cannot be the same build",
                    first.path.parent().unwrap_or(Path::new("")).display(),
                    folder.display()
                )),
                Some(_) => {}
                None => {
                    gathered.archives.insert(name.clone(), found);
                }
            },
        }
    }
    if !any {
        problems.push(format!(
            "{}: no archive with a .sha256 file (give the folders `nightly --platform P` wrote)",
            folder.display()
        ));
    }
    if let Ok(text) = std::fs::read(folder.join(NOTES_FILE)) {
        match &gathered.notes {
            Some((first, bytes)) if *bytes != text => problems.push(format!(
                "{NOTES_FILE} differs between {} and {}",
                first.display(),
                folder.display()
            )),
            Some(_) => {}
            None => gathered.notes = Some((folder.join(NOTES_FILE), text)),
        }
    }
    Ok(())
}

/// One release, version and commit; one archive per platform of the manifest, and sources.
/// The names of the archives to merge, in platform order (empty when there are none).
fn check_one_run(
    ws: &Workspace,
    opts: &MergeOptions,
    archives: &BTreeMap<String, Found>,
    problems: &mut Vec<String>,
) -> Vec<String> {
    let Some(first) = archives.values().next() else {
        return Vec::new();
    };
    check_same_build(first, archives, problems);
    one_per_platform(ws, opts, archives, problems)
}

/// Every archive is of the release, version and commit of the `first`.
fn check_same_build(first: &Found, archives: &BTreeMap<String, Found>, problems: &mut Vec<String>) {
    let id = &first.identity;
    for (name, f) in archives {
        let other = &f.identity;
        if (&other.release, &other.version, &other.commit) != (&id.release, &id.version, &id.commit) {
            problems.push(format!(
                "{name} is {} {} of commit {}, but {} is {} {} of commit {}: merge bundles of one run",
                other.release,
                other.version,
                short(&other.commit),
                first.path.display(),
                id.release,
                id.version,
                short(&id.commit)
            ));
        }
    }
}

/// Exactly one archive for each platform of the manifest (and the sources, unless
/// `--no-sources`), and none for another platform: their names, in the manifest's order.
fn one_per_platform(
    ws: &Workspace,
    opts: &MergeOptions,
    archives: &BTreeMap<String, Found>,
    problems: &mut Vec<String>,
) -> Vec<String> {
    let mut order: Vec<String> = Vec::new();
    let mut by_platform: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, f) in archives {
        by_platform.entry(&f.identity.platform).or_default().push(name);
    }
    let mut wanted: Vec<&str> = ws.manifest.platforms.iter().map(|p| p.name.as_str()).collect();
    if !opts.no_sources {
        wanted.push("sources");
    }
    for platform in &wanted {
        match by_platform.get(platform).map(Vec::as_slice) {
            None | Some([]) => problems.push(format!(
                "no bundle for {} among the folders{}",
                if *platform == "sources" {
                    "the sources".to_string()
                } else {
                    format!("platform {platform}")
                },
                if *platform == "sources" {
                    " (or pass --no-sources)"
                } else {
                    ""
                }
            )),
            Some([one]) => order.push(one.to_string()),
            Some(many) => problems.push(format!("several bundles for {platform}: {}", many.join(", "))),
        }
    }
    for platform in by_platform.keys().filter(|p| !wanted.contains(p) && **p != "sources") {
        problems.push(format!(
            "platform {platform:?} of {} is not in {}",
            by_platform[platform].join(", "),
            ws.manifest_shown()
        ));
    }
    order
}

/// The set's own folder in the output folder (or `--out`), named after its release and version.
fn set_folder(ws: &Workspace, opts: &MergeOptions, archives: &BTreeMap<String, Found>, order: &[String]) -> PathBuf {
    let id = &archives[&order[0]].identity;
    let set = crate::plan::set_name(&id.release, &id.version);
    opts.out.clone().unwrap_or_else(|| ws.output_dir()).join(&set)
}

/// Copy the archives into the staging folder and write their checksums (and signatures) and
/// the release notes there: the names of the files of the set.
fn stage_set(ws: &Workspace, stage: &Staging, gathered: &Gathered, order: &[String]) -> Result<Vec<String>> {
    let archives = &gathered.archives;
    for name in order {
        copy_file(&archives[name].path, &stage.path().join(name))?;
    }
    let sign = ws.manifest.release.sign_artifacts;
    let hashed: Vec<(String, String)> = order.iter().map(|n| (n.clone(), archives[n].sha256.clone())).collect();
    crate::steps::write_checksums(&ws.runner, stage.path(), &hashed, sign)?;
    let mut files: Vec<String> = order.to_vec();
    files.extend(order.iter().map(|a| format!("{a}.sha256")));
    files.push(CHECKSUMS_FILE.into());
    if sign {
        files.extend(order.iter().map(|a| format!("{a}.asc")));
        files.push(format!("{CHECKSUMS_FILE}.asc"));
    }
    if let Some((_, bytes)) = &gathered.notes {
        crate::ops::fs::write_atomic(&stage.path().join(NOTES_FILE), bytes)?;
        files.push(NOTES_FILE.into());
    }
    Ok(files)
}

/// Say where the set was merged into, and its files.
fn print_merged(out: &Path, files: &[String]) {
    crate::ops::ui::summary!("merged into {}:", out.display());
    for f in files {
        crate::ops::ui::summary!("  {f}");
    }
}

/// The one folder inside `folder` that holds a set (archives with `.sha256` files), when
/// `folder` holds none itself: an output folder as `nightly --platform P` leaves it.
fn set_inside(folder: &Path, names: &[String]) -> Option<PathBuf> {
    if names.iter().any(|n| n.ends_with(".sha256")) {
        return None;
    }
    let sets: Vec<PathBuf> = names
        .iter()
        .map(|n| folder.join(n))
        .filter(|p| p.is_dir() && file_names(p).is_ok_and(|inner| inner.iter().any(|n| n.ends_with(".sha256"))))
        .collect();
    match sets.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// Check an archive against its `.sha256` and read its identity from its `manifest.json`.
pub(super) fn inspect(path: &Path) -> Result<Found> {
    let sha256 = sha256_file(path)?;
    let record = PathBuf::from(format!("{}.sha256", path.display()));
    let expected = std::fs::read_to_string(&record).with_context(|| format!("cannot read {}", record.display()))?;
    let expected = expected.split_whitespace().next().unwrap_or_default();
    if !expected.eq_ignore_ascii_case(&sha256) {
        anyhow::bail!("sha256 is {sha256} but its .sha256 says {expected}: damaged in transfer, or replaced");
    }
    let identity = read_identity(path)?;
    Ok(Found {
        path: path.to_path_buf(),
        sha256,
        identity,
    })
}

pub(super) fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}
