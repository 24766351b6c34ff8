//! Lock: before anything is built, one resolution per platform by uv for its target (the
//! host included), from the plugins' declared requirements (static stand-ins, `name @
//! file://`, with the planned versions and sibling pins) and `[public]`. The repository's
//! lock (`locks/pylock.<platform>.toml`, as committed) is used as it is when it was resolved
//! from the same requirements for the same target: no index is asked. Otherwise uv resolves
//! again, preferring the locked versions; `--locked` (and `--offline`) refuse instead, naming
//! what changed. Every platform is resolved before a conflict is reported, so one error lists
//! them all.
//!
//! Owns `<stage>/locks/` (the lock each platform uses in this run) and `<stage>/lock-work/`;
//! writes the repository's `locks/` only for `cargo xtask lock`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result};

use super::exec::Exec;
use super::uv::{explain_conflict, file_url, run_uv, uv_compile};
use crate::manifest::workspace::Workspace;
use crate::manifest::{first_line, normalize_name, Manifest, Platform};
use crate::ops::fs::{create_dir, write_atomic};
use crate::ops::git::Git;
use crate::plan::Plan;
use crate::python::lockfile::{lock_path, Lock};
use crate::python::platform::{resolver_target, ResolverTarget};
use crate::python::requires_python::{patch_floor, python_admits};

/// How a run treats the repository's lock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LockUse {
    /// `nightly`, `release`, `bundle`: the committed lock when it fits, else resolve again.
    #[default]
    Prefer,
    /// `--locked` / `--offline`: the committed lock must fit.
    Require,
    /// `cargo xtask lock`: resolve (keeping locked versions unless upgraded) and write.
    Write {
        upgrade: bool,
        upgrade_packages: Vec<String>,
    },
}

impl LockUse {
    /// `cargo xtask lock --upgrade` or `--upgrade-package`: the committed lock is a
    /// preference, not the answer.
    fn upgrades(&self) -> bool {
        matches!(self, LockUse::Write { upgrade, upgrade_packages } if *upgrade || !upgrade_packages.is_empty())
    }
}

/// What settling the locks found: problems that stop the run, and notes for the user.
#[derive(Debug, Default)]
pub struct Settled {
    pub problems: Vec<String>,
    /// Per platform: the lock used (or written).
    pub locks: Vec<(String, Lock)>,
}

/// The lock a platform uses in this run, written by [`settle`].
pub fn stage_lock(stage: &Path, platform: &str) -> PathBuf {
    stage.join("locks").join(format!("pylock.{platform}.toml"))
}

/// Before a run builds anything: every platform's lock settled for this run (`--locked` and
/// `--offline` require the committed one); the problems that stop it.
pub fn settle_for_run(exec: &Exec) -> Result<Vec<String>> {
    let how = if exec.ws.locked {
        LockUse::Require
    } else {
        LockUse::Prefer
    };
    Ok(settle(exec, &how)?.problems)
}

/// Settle every platform uv can resolve for: use, check or make its lock (see the module).
pub fn settle(exec: &Exec, how: &LockUse) -> Result<Settled> {
    let settled = settle_platforms(exec, how);
    // A fetch or resolution a Ctrl-C cut short is no problem of the lock, whatever it said.
    if crate::ops::signals::interrupted() {
        anyhow::bail!("interrupted (Ctrl-C or SIGTERM) while settling the locks; nothing was built or written");
    }
    settled
}

fn settle_platforms(exec: &Exec, how: &LockUse) -> Result<Settled> {
    let mut settled = Settled::default();
    let mut stand_ins: Option<(Vec<String>, Vec<String>)> = None;
    let sources = package_sources(&exec.ws.manifest);
    for planned in &exec.plan.platforms {
        let target = exec
            .ws
            .manifest
            .platform(&planned.name)
            .with_context(|| format!("platform {} is not in the manifest", planned.name))?;
        let Ok(resolver) = resolver_target(target) else {
            continue; // collected by `pip wheel` on its own host, unlocked (see wheelhouse)
        };
        let (roots, requirements) = match &stand_ins {
            Some(s) => s.clone(),
            None => stand_ins.insert(stand_in_roots(exec)?).clone(),
        };
        let signature = target_signature(&resolver, target);
        let file = lock_path(&target.name);
        let committed = match committed_lock(exec, how, &file) {
            Ok(lock) => lock,
            // `cargo xtask lock` replaces a lock it cannot read (the advice runs give).
            Err(e) if matches!(how, LockUse::Write { .. }) => {
                let cause = e.root_cause().to_string();
                crate::ops::ui::progress!(
                    "    {file} cannot be read ({}): resolved anew",
                    cause.lines().next().unwrap_or_default()
                );
                None
            }
            Err(e) => {
                settled.problems.push(format!("{}: {e:#}", target.name));
                continue;
            }
        };
        let differences = |lock: &Lock| why_unfit(lock, &signature, &requirements, &sources, target);
        let fits = committed.as_ref().is_some_and(|lock| differences(lock).is_empty());
        if fits && !how.upgrades() {
            let lock = committed.clone().expect("checked above");
            match as_committed(exec, how, lock, target)? {
                AsCommitted::Used(lock) => {
                    settled.locks.push((target.name.clone(), *lock));
                    continue;
                }
                AsCommitted::Problem(problem) => {
                    settled.problems.push(problem);
                    continue;
                }
                AsCommitted::Again(why) if exec.ws.offline => {
                    settled.problems.push(format!(
                        "{}: {file}: {why}; resolving it again needs the index (run without --offline)",
                        target.name
                    ));
                    continue;
                }
                AsCommitted::Again(why) => crate::ops::ui::progress!("    {file}: {why}: resolved again"),
            }
        }
        if *how == LockUse::Require || exec.ws.offline {
            settled.problems.push(required_lock_problem(
                &target.name,
                &file,
                committed.as_ref().map(differences),
            ));
            continue;
        }
        let resolution = Resolution {
            exec,
            how,
            target,
            resolver: &resolver,
            roots: &roots,
            committed: committed.as_ref(),
            sources: &sources,
        };
        match resolution.until_fitting(&signature, &requirements)? {
            Ok(lock) => {
                if let (Some(old), LockUse::Prefer) = (&committed, how) {
                    crate::ops::ui::progress!(
                        "    {file} is out of date ({}): resolved again for this run; run `cargo xtask lock` and commit it",
                        differences(old).join("; ")
                    );
                }
                write_atomic(&stage_lock(exec.stage, &target.name), lock.text.as_bytes())?;
                settled.locks.push((target.name.clone(), lock));
            }
            Err(problem) => settled.problems.push(format!("{}: {problem}", target.name)),
        }
    }
    Ok(settled)
}

/// What became of a committed lock that fits the run ([`as_committed`]).
enum AsCommitted {
    /// Used as it is (written to the staging folder).
    Used(Box<Lock>),
    /// A problem that stops the run.
    Problem(String),
    /// `cargo xtask lock` resolves again, for this reason.
    Again(String),
}

/// A committed lock that fits the run, used as it is: its Requires-Python checks were made
/// when it was resolved for this very target, so only its files must be at hand (and for
/// `cargo xtask lock`, make a complete set; with `--offline`, wheels built from its sdists
/// too).
fn as_committed(exec: &Exec, how: &LockUse, lock: Lock, target: &Platform) -> Result<AsCommitted> {
    let checked = fetch_chosen(exec, &lock, target).and_then(|c| {
        let gaps = incomplete(exec, how, &lock, &c, target)?;
        Ok((gaps, unbuilt_offline(exec, &c, target)))
    });
    Ok(match checked {
        Ok((gaps, unbuilt)) if gaps.is_empty() && !unbuilt.is_empty() => AsCommitted::Problem(format!(
            "{}: --offline: {} {} only an sdist for this platform, and no wheel built from it is in the cache \
             (building one needs the index for its build tools): run once without --offline",
            target.name,
            unbuilt.join(", "),
            if unbuilt.len() == 1 { "has" } else { "have" }
        )),
        Ok((gaps, _)) if gaps.is_empty() => {
            write_atomic(&stage_lock(exec.stage, &target.name), lock.text.as_bytes())?;
            AsCommitted::Used(Box::new(lock))
        }
        // `cargo xtask lock` makes a lock edited by hand whole again.
        Ok((gaps, _)) => AsCommitted::Again(format!("it is not a complete set ({})", gaps.join(", "))),
        // `cargo xtask lock` resolves again from the index the manifest names now.
        Err(e) if matches!(how, LockUse::Write { .. }) => AsCommitted::Again(format!(
            "its files cannot be fetched from the URLs it records ({})",
            first_line(&format!("{e:#}"))
        )),
        Err(e) => {
            let advice = if exec.ws.offline {
                ""
            } else {
                ". The lock's files come from the URLs it records: if the index moved, run `cargo xtask lock` and commit it"
            };
            AsCommitted::Problem(format!("{}: {e:#}{advice}", target.name))
        }
    })
}

/// For `cargo xtask lock` only (runs check their bundles as complete sets before delivery,
/// and a run that reuses its outputs reads no wheel): what a lock used as it is lacks or
/// holds in excess, from the requirements it records ([`super::complete::lock_gaps`]).
fn incomplete(
    exec: &Exec,
    how: &LockUse,
    lock: &Lock,
    chosen: &[super::store::Chosen],
    target: &Platform,
) -> Result<Vec<String>> {
    if !matches!(how, LockUse::Write { .. }) {
        return Ok(Vec::new());
    }
    let mut wheels = Vec::new();
    let mut sdists = Vec::new();
    for c in chosen {
        match c {
            super::store::Chosen::Wheel(_, f) => wheels.push(super::store::stored_path(exec, f)),
            super::store::Chosen::Sdist(p, _) => sdists.push((p.name.clone(), p.version.clone())),
        }
    }
    super::complete::lock_gaps(target, &wheels, &sdists, &lock.requirements)
}

/// With `--offline`: the packages a platform takes as an sdist whose wheel for it was never
/// built here (it cannot be now: pip needs an index for the sdist's build tools).
fn unbuilt_offline(exec: &Exec, chosen: &[super::store::Chosen], target: &Platform) -> Vec<String> {
    if !exec.ws.offline {
        return Vec::new();
    }
    chosen
        .iter()
        .filter_map(|c| match c {
            super::store::Chosen::Sdist(p, f) => {
                let (key, _) = super::store::sdist_wheel_key(exec, target, f);
                (!exec.ws.cache.holds("sdist-wheels", &key)).then(|| format!("{} {}", p.name, p.version))
            }
            super::store::Chosen::Wheel(..) => None,
        })
        .collect()
}

/// Why a lock does not fit a run: resolved for another target or from other requirements, or
/// (edited by hand) not meeting a requirement it records on this target. Empty when it fits.
fn why_unfit(
    lock: &Lock,
    signature: &str,
    requirements: &[String],
    sources: &[String],
    target: &Platform,
) -> Vec<String> {
    let differences = lock.differences(signature, requirements, sources);
    if !differences.is_empty() {
        return differences;
    }
    lock.unsatisfied(&crate::python::platform::marker_environment(target))
}

/// Where a lock's packages come from, as the manifest says: `[public]` index-url,
/// extra-index-urls and find-links, each without its login (`https://host/`: a login is not
/// where packages come from, and a committed lock holds none).
fn package_sources(manifest: &Manifest) -> Vec<String> {
    let public = &manifest.public;
    std::iter::once(&public.index_url)
        .chain(&public.extra_index_urls)
        .chain(&public.find_links)
        .map(|l| crate::python::lockfile::without_login(&l.value))
        .collect()
}

/// What a lock was resolved for: uv's target, the platform's Python and macOS deployment target.
fn target_signature(resolver: &ResolverTarget, target: &Platform) -> String {
    let mut s = format!("{} python {}", resolver.triple, target.series());
    if let Some(v) = &resolver.macos_deployment_target {
        s.push_str(&format!(" macos {v}"));
    }
    s
}

/// The repository's lock of a platform: as committed at the plan's commit for runs, as in
/// the working tree for `cargo xtask lock`. An unreadable lock is an error that names it (a
/// problem of the run; `cargo xtask lock` writes it anew).
fn committed_lock(exec: &Exec, how: &LockUse, file: &str) -> Result<Option<Lock>> {
    let text = if matches!(how, LockUse::Write { .. }) {
        std::fs::read_to_string(exec.ws.root.join(file)).ok()
    } else {
        exec.git.file_at(&exec.plan.commit, &format!("./{file}"))?
    };
    text.map(|t| Lock::parse(&t, file)).transpose()
}

/// A locked wheel whose Requires-Python does not admit the target's Python.
struct Misfit {
    /// The package's normalized name.
    package: String,
    version: String,
    constraint: String,
    reason: String,
}

/// One platform's resolution: what uv is given.
struct Resolution<'a, 'e> {
    exec: &'a Exec<'e>,
    how: &'a LockUse,
    target: &'a Platform,
    resolver: &'a ResolverTarget,
    roots: &'a [String],
    /// The repository's lock, whose versions uv keeps unless told to upgrade.
    committed: Option<&'a Lock>,
    /// [`package_sources`], recorded in the lock.
    sources: &'a [String],
}

impl Resolution<'_, '_> {
    /// Resolve until every chosen file's Requires-Python admits the platform's whole minor
    /// series (uv judges only its lower bound), fetching the chosen files into the wheel
    /// store: `Ok(lock)` (recording `signature` and `requirements`), or `Err(problem)`. Each
    /// round excludes every misfit found: with the index's `data-requires-python`, every
    /// refused version of the package at once (a round per layer of newly chosen packages);
    /// without it (plain folder indexes), that version, or at a floor on the series' first
    /// patch releases that version and every newer one. Every round excludes something more,
    /// so the rounds end, with a fitting lock or uv's conflict.
    fn until_fitting(&self, signature: &str, requirements: &[String]) -> Result<Result<Lock, String>> {
        let (exec, target) = (self.exec, self.target);
        let plugins: Vec<String> = exec.plan.plugins.iter().map(|p| p.normalized_name.clone()).collect();
        let heading = format!(
            "The lock of platform {} ({signature}): every public package of its bundle.",
            target.name
        );
        let mut constraints: Vec<String> = Vec::new();
        let mut asked = BTreeSet::new();
        loop {
            let uv_text = match self.once(&constraints)? {
                Ok(text) => text,
                Err(conflict) => return Ok(Err(explain_conflict(&conflict, target, self.resolver))),
            };
            let lock = Lock::from_uv(&uv_text, &plugins, &heading, signature, requirements, self.sources)?;
            let misfits = match fetch_chosen(exec, &lock, target).and_then(|c| misfits(exec, &c, target)) {
                Ok(m) => m,
                Err(e) => return Ok(Err(format!("{e:#}"))),
            };
            if misfits.is_empty() {
                return Ok(Ok(lock));
            }
            let new: Vec<String> = misfits
                .iter()
                .map(|m| m.package.clone())
                .filter(|p| asked.insert(p.clone()))
                .collect();
            let refused = refused_on_index(exec, &new, target);
            let before = constraints.len();
            let reasons: Vec<String> = misfits.iter().map(|m| m.reason.clone()).collect();
            for m in misfits {
                match refused.get(&m.package) {
                    Some(versions) => {
                        crate::ops::ui::progress!(
                            "    {}: {} version(s) do not install on every Python {} release (the newest, {}, requires Python {}); resolving {} again without them{}",
                            m.package,
                            versions.len(),
                            target.series(),
                            versions[0].0,
                            versions[0].1,
                            target.name,
                            patch_floor_hint(&versions[0].1, target)
                        );
                        // The misfit itself too, should the page and its METADATA disagree.
                        let mut excluded: BTreeSet<String> = versions.iter().map(|(v, _)| format!("!={v}")).collect();
                        excluded.insert(format!("!={}", m.version));
                        let excluded: Vec<String> = excluded.into_iter().collect();
                        let line = format!("{}{}", m.package, excluded.join(","));
                        if !constraints.contains(&line) {
                            constraints.push(line);
                        }
                    }
                    _ => {
                        crate::ops::ui::progress!("    {}: resolving {} again without it", m.reason, target.name);
                        if !constraints.contains(&m.constraint) {
                            constraints.push(m.constraint);
                        }
                    }
                }
            }
            if constraints.len() == before {
                // Never expected (uv honours constraints): stop rather than loop.
                return Ok(Err(format!(
                    "uv chose what was excluded ({}) again: {}",
                    constraints.join(", "),
                    reasons.join("; ")
                )));
            }
        }
    }

    /// One `uv pip compile --format pylock.toml` for the target with `constraints`:
    /// `Ok(lock text)`, or `Err(uv's explanation)` when no set of versions satisfies the
    /// requirements. The committed lock is uv's output file beforehand, so uv keeps its
    /// versions unless told to upgrade.
    fn once(&self, constraints: &[String]) -> Result<Result<String, String>> {
        let (exec, target) = (self.exec, self.target);
        let dir = exec.stage.join("lock-work").join(&target.name);
        create_dir(&dir)?;
        let input = dir.join("requirements.in");
        write_atomic(&input, self.roots.join("\n").as_bytes())?;
        let constraint_file = dir.join("constraints.txt");
        write_atomic(&constraint_file, constraints.join("\n").as_bytes())?;
        let output = dir.join(format!("pylock.{}.toml", target.name));
        match self.committed {
            Some(lock) => write_atomic(&output, lock.text.as_bytes())?,
            None => {
                let _ = std::fs::remove_file(&output);
            }
        }
        let mut cmd = uv_compile(exec, self.resolver, target)?
            .args(["--quiet", "--format", "pylock.toml", "--constraint"])
            .arg(&constraint_file)
            .arg("--output-file")
            .arg(&output);
        if let LockUse::Write {
            upgrade,
            upgrade_packages,
        } = self.how
        {
            if *upgrade {
                cmd = cmd.arg("--upgrade");
            }
            for p in upgrade_packages {
                cmd = cmd.args(["--upgrade-package", p]);
            }
        }
        if let Err(no_solution) = run_uv(exec, &cmd.arg(&input))? {
            return Ok(Err(no_solution));
        }
        Ok(Ok(
            std::fs::read_to_string(&output).with_context(|| format!("cannot read {}", output.display()))?
        ))
    }
}

/// The files of a lock the target takes ([`super::store::choose`]), fetched into the wheel
/// store when missing.
fn fetch_chosen(exec: &Exec, lock: &Lock, target: &Platform) -> Result<Vec<super::store::Chosen>> {
    let (chosen, without) = super::store::choose(lock, target);
    if !without.is_empty() {
        let names: Vec<String> = without.iter().map(|p| format!("{} {}", p.name, p.version)).collect();
        anyhow::bail!("the lock has no file of {} for this platform", names.join(", "));
    }
    let files: Vec<&crate::python::lockfile::LockedFile> = chosen.iter().map(|c| c.file()).collect();
    super::store::ensure(exec, &files)?;
    Ok(chosen)
}

/// Per package of `packages`: the versions whose files on the index (its PEP 503 pages'
/// `data-requires-python`) all refuse the platform's Python series, newest first, with what
/// they require. Excluded at once, a package that turned away early patch releases over many
/// versions (cryptography's `!=3.9.0,!=3.9.1`) costs one round, not one per version. An index
/// that gives no such data, or cannot be read, leaves the package to the rounds.
fn refused_on_index(
    exec: &Exec,
    packages: &[String],
    target: &Platform,
) -> BTreeMap<String, Vec<(pep440_rs::Version, String)>> {
    if packages.is_empty() {
        return BTreeMap::new();
    }
    let mut seen: BTreeMap<(String, pep440_rs::Version), Vec<Option<String>>> = BTreeMap::new();
    let index = &exec.plan.index;
    for url in std::iter::once(&index.index_url).chain(&index.extra_index_urls) {
        match crate::python::index::indexed_files(&exec.ws.runner, &exec.tools_python, url, packages) {
            Ok(files) => {
                for (file, f) in files {
                    if let Some(key) = crate::python::index::dist_version(&file) {
                        seen.entry(key).or_default().push(f.requires_python);
                    }
                }
            }
            Err(e) => crate::ops::ui::progress!(
                "    (the index pages of {} could not be read: {e:#})",
                packages.join(", ")
            ),
        }
    }
    let mut refused: BTreeMap<String, Vec<(pep440_rs::Version, String)>> = BTreeMap::new();
    for ((name, version), requires) in seen.into_iter().rev() {
        let given: Vec<&String> = requires.iter().flatten().collect();
        if !given.is_empty() && given.iter().all(|r| !python_admits(r, &target.series())) {
            refused.entry(name).or_default().push((version, given[0].clone()));
        }
    }
    refused
}

/// The chosen files (in the wheel store) whose Requires-Python (a wheel's METADATA, an
/// sdist's PKG-INFO) does not admit the platform's whole `X.Y` series. Their bytes are checked
/// against the lock when the `resolve` step takes them.
fn misfits(exec: &Exec, chosen: &[super::store::Chosen], target: &Platform) -> Result<Vec<Misfit>> {
    let mut misfits = Vec::new();
    for c in chosen {
        let (package, path) = (c.package(), super::store::stored_path(exec, c.file()));
        let requires = match c {
            super::store::Chosen::Wheel(..) => super::build::wheel_requires_python(&path)?,
            super::store::Chosen::Sdist(..) => super::build::sdist_requires_python(&path)?,
        };
        let Some(requires) = requires else {
            continue;
        };
        if python_admits(&requires, &target.series()) {
            continue;
        }
        misfits.push(Misfit {
            package: normalize_name(&package.name),
            version: package.version.clone(),
            // Refused only at the series' first patch releases (a floor like `!=3.9.0` or
            // `>=3.11.5`): that version and the newer ones go at once.
            constraint: if patch_floor(&requires, &target.series()).is_some() {
                format!("{}<{}", package.name, package.version)
            } else {
                format!("{}!={}", package.name, package.version)
            },
            reason: format!(
                "{} {} requires Python {requires}, not every {} release{}",
                package.name,
                package.version,
                target.series(),
                patch_floor_hint(&requires, target)
            ),
        });
    }
    Ok(misfits)
}

/// For a `Requires-Python` that turns away only the series' first patch releases
/// ([`patch_floor`]): how to say the targets run a later one.
fn patch_floor_hint(requires: &str, target: &Platform) -> String {
    match patch_floor(requires, &target.series()) {
        Some(floor) => format!(
            " (if every target runs {floor} or later, say python = \"{floor}\" in [platforms.{}])",
            target.name
        ),
        None => String::new(),
    }
}

/// Per plugin of the plan: its requirements as a resolution takes them (siblings pinned to
/// their planned versions, a requirement at the placeholder as the stamp will write it); and
/// what a lock records it was resolved from (every plugin's requirement on a public package
/// and `[public]`; the plugins' own versions are left out, so that a nightly's new dev version
/// does not make the lock stale).
fn requirements_of(manifest: &Manifest, plan: &Plan) -> (Vec<(String, Vec<String>)>, Vec<String>) {
    let versions: BTreeMap<&str, &str> = plan
        .plugins
        .iter()
        .map(|p| (p.normalized_name.as_str(), p.version.as_str()))
        .collect();
    let siblings: Vec<&str> = versions.keys().copied().collect();
    let versioning = &manifest.versioning;
    let mut recorded: Vec<String> = plan.public_requirements.clone();
    let mut plugins = Vec::new();
    for p in &plan.plugins {
        let mut deps = Vec::new();
        for dep in &p.dependencies {
            let Ok(req) = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(dep) else {
                continue;
            };
            let name = normalize_name(req.name.as_ref());
            if name == p.normalized_name {
                continue;
            }
            deps.push(match versions.get(name.as_str()) {
                Some(version) => match dep.split_once(';') {
                    Some((_, marker)) => format!("{name}=={version}; {}", marker.trim()),
                    None => format!("{name}=={version}"),
                },
                None => {
                    let dep = crate::versions::edits::stamped_requirement(
                        dep,
                        &siblings,
                        &versioning.placeholder,
                        &versioning.requirements,
                    )
                    .unwrap_or_else(|| dep.clone());
                    recorded.push(dep.clone());
                    dep
                }
            });
        }
        plugins.push((p.normalized_name.clone(), deps));
    }
    recorded.sort();
    recorded.dedup();
    (plugins, recorded)
}

/// The roots of every resolution: one stand-in project per plugin (its requirements from
/// [`requirements_of`], at its planned version) as `name @ file://`, and the `[public]`
/// requirements; and what a lock records it was resolved from.
fn stand_in_roots(exec: &Exec) -> Result<(Vec<String>, Vec<String>)> {
    let work = exec.stage.join("lock-work").join("plugins");
    let (plugins, recorded) = requirements_of(&exec.ws.manifest, exec.plan);
    let mut roots = Vec::new();
    for ((name, deps), p) in plugins.iter().zip(&exec.plan.plugins) {
        let quoted: Vec<String> = deps.iter().map(serde_json::to_string).collect::<Result<_, _>>()?;
        let dir = work.join(name);
        create_dir(&dir)?;
        write_atomic(
            &dir.join("pyproject.toml"),
            format!(
                "[project]\nname = {}\nversion = {}\ndependencies = [{}]\n",
                serde_json::to_string(name)?,
                serde_json::to_string(&p.version)?,
                quoted.join(", ")
            )
            .as_bytes(),
        )?;
        roots.push(format!("{name} @ {}", file_url(&dir)));
    }
    roots.extend(exec.plan.public_requirements.iter().cloned());
    Ok((roots, recorded))
}

/// What `--locked` says of a platform whose committed lock is missing (`None`) or does not
/// fit the run (why not).
fn required_lock_problem(platform: &str, file: &str, unfit: Option<Vec<String>>) -> String {
    match unfit {
        None => format!(
            "{platform}: {file} does not exist; run `cargo xtask lock` and commit it (or run without --locked/--offline)"
        ),
        Some(why) => format!(
            "{platform}: {file} no longer fits the manifest and the plugins' requirements ({}); run `cargo xtask lock` \
             and commit it",
            why.join("; ")
        ),
    }
}

/// With `--locked` (or `--offline`), checked with the plan's other prechecks so that one run
/// reports every problem: each platform's committed lock must exist and fit the run. Read from
/// git only: no resolver, no index (its files are checked when the run takes them).
pub fn locks_unfit(ws: &Workspace, plan: &Plan, git: &Git) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for (target, file, lock) in committed_locks(ws, plan, git)? {
        match lock {
            None => problems.push(required_lock_problem(&target.name, &file, None)),
            Some(Err(e)) => problems.push(format!("{}: {e}", target.name)),
            Some(Ok(unfit)) if !unfit.is_empty() => {
                problems.push(required_lock_problem(&target.name, &file, Some(unfit)))
            }
            Some(Ok(_)) => {}
        }
    }
    Ok(problems)
}

/// Per platform uv resolves for: the platform, its lock file, and the lock as committed at the
/// plan's commit: `None` when there is none, else why it does not fit the plan (empty when it
/// fits) or why it cannot be read.
#[allow(clippy::type_complexity)]
fn committed_locks<'m>(
    ws: &'m Workspace,
    plan: &Plan,
    git: &Git,
) -> Result<Vec<(&'m Platform, String, Option<Result<Vec<String>, String>>)>> {
    let (_, recorded) = requirements_of(&ws.manifest, plan);
    let sources = package_sources(&ws.manifest);
    let mut out = Vec::new();
    for planned in &plan.platforms {
        let Some(target) = ws.manifest.platform(&planned.name) else {
            continue;
        };
        let Ok(resolver) = resolver_target(target) else {
            continue;
        };
        let file = lock_path(&target.name);
        let lock = git.file_at(&plan.commit, &format!("./{file}"))?.map(|text| {
            Lock::parse(&text, &file)
                .map(|lock| why_unfit(&lock, &target_signature(&resolver, target), &recorded, &sources, target))
                .map_err(|e| format!("{e:#}"))
        });
        out.push((target, file, lock));
    }
    Ok(out)
}

/// Before a release: every platform whose lock is in the repository at the plan's commit must
/// have been resolved for its target from the requirements the release has (every plugin's:
/// all are built), so that the release builds from, and its tag keeps, exactly that lock.
/// Read from git only: no resolver, no index.
pub fn locks_behind(ws: &Workspace, plan: &Plan, git: &Git) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for (_, file, lock) in committed_locks(ws, plan, git)? {
        match lock {
            None => {}
            Some(Err(e)) => problems.push(e),
            Some(Ok(behind)) if !behind.is_empty() => problems.push(format!(
                "{file} does not cover this release ({}): run `cargo xtask lock`, commit it and release again, so \
                 that the tag keeps the lock the release was built with",
                behind.join("; ")
            )),
            Some(Ok(_)) => {}
        }
    }
    Ok(problems)
}
