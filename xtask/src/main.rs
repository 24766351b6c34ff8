//! `cargo xtask`: release automation for the Python plugins of this repository.
//! Parses arguments, opens the workspace, dispatches to one task. Nothing else.

mod error;

mod manifest;
mod ops;
mod plan;
#[cfg(test)]
mod proptests;
mod python;
mod steps;
mod tasks;
mod versions;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::error::{exit, exit_code};
use crate::manifest::workspace::Workspace;
use crate::plan::{Mode, PlanOptions};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Release automation for the Python plugins in this repository",
    version
)]
struct Cli {
    /// The manifest to use (default: release-config.toml in this or a parent folder).
    #[arg(long, global = true, value_name = "PATH")]
    manifest: Option<PathBuf>,
    /// Print every program call.
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    verbose: bool,
    /// Print no step progress and no summary; errors, warnings and requested output stay.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Run at most N independent steps at once: plugin builds, platform collections
    /// (default: the number of cores; 1 runs every step in turn).
    #[arg(short, long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Neither reuse nor keep built plugins and archives, and give pip and uv no cache.
    #[arg(long, global = true)]
    no_cache: bool,
    /// Use the committed lock (locks/pylock.<platform>.toml) as it is: refuse to run when it
    /// no longer fits the manifest and the plugins' requirements.
    #[arg(long, global = true)]
    locked: bool,
    /// Ask no package index: the committed lock must fit and the wheel store hold its files
    /// (implies --locked); `status` skips the upload index.
    #[arg(long, global = true)]
    offline: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show what `nightly` would do: versions, file edits, builds, artifacts; check everything.
    Plan {
        #[command(flatten)]
        nightly: NightlyArgs,
        /// Print the plan as JSON (xtask/docs/plan-json.md; schema xtask/docs/schema/plan.schema.json).
        #[arg(long)]
        json: bool,
    },
    /// Build offline bundles of a dev version of every plugin from HEAD into the output folder.
    Nightly {
        #[command(flatten)]
        nightly: NightlyArgs,
        /// Print the plan and the results as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Build the offline bundles of the release HEAD is tagged with, at the versions committed
    /// there (no version change, no commit, no tag): one platform per machine in CI.
    Bundle {
        #[command(flatten)]
        parts: PartArgs,
        /// Only show the plan and run the checks.
        #[arg(long)]
        dry_run: bool,
        /// Print the plan (with --dry-run) or the plan and the results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Resolve every platform's public dependencies and write the repository's locks
    /// (locks/pylock.<platform>.toml, PEP 751), keeping locked versions that still fit.
    Lock {
        /// Resolve every package to its newest fitting version.
        #[arg(long)]
        upgrade: bool,
        /// Move only this package to its newest fitting version (repeatable).
        #[arg(long, value_name = "NAME")]
        upgrade_package: Vec<String>,
        /// Show what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Compute the next versions; show old -> new, tags, release notes and file diffs.
    /// Writes only with --execute.
    Bump {
        /// major, minor, patch, alpha, beta, rc, post, dev, release, or an explicit version.
        #[arg(value_name = "LEVEL|VERSION")]
        level: String,
        #[command(flatten)]
        selection: SelectionArgs,
        /// Write the changes (default: show them only).
        #[arg(long)]
        execute: bool,
        /// Print what the bump does as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Release: a dry run showing the plan unless --execute; then build, commit, tag and
    /// deliver as one transaction.
    Release(ReleaseArgs),
    /// Publish the bundles of the release HEAD is tagged with from the output folder (after
    /// `merge`, or `bundle` on one machine): copy them to the release folder, upload the
    /// released sdists and wheels.
    Publish {
        /// Copy the set to this folder (default: RELEASE_DIR, or [publish] release-dir).
        #[arg(long, value_name = "DIR")]
        release_dir: Option<String>,
        /// Only check and show what would be published.
        #[arg(long)]
        dry_run: bool,
    },
    /// Where every plugin stands since its last release (version, tag, changes, changelog).
    Status {
        /// Exit 3 when a plugin changed since its release but its changelog says nothing.
        #[arg(long)]
        check: bool,
        /// Print the status as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check bundles: checksums, signature, safe entries, manifest.json, wheel tags,
    /// dependencies for the platform, and on a matching host an offline install.
    Verify {
        /// Archives (.tar.bz2, .tar.gz, .tar.zst, .zip) or unpacked bundle folders.
        #[arg(value_name = "ARCHIVE|FOLDER", required = true)]
        targets: Vec<PathBuf>,
        /// Print one JSON report instead of the text (keys documented in xtask/docs/commands.md).
        #[arg(long)]
        json: bool,
        /// Refuse an archive without a signature by a key of `[release] signers` (always so
        /// with `[release] sign-artifacts = true`).
        #[arg(long)]
        require_signature: bool,
    },
    /// Join the bundles built on several machines (`nightly --platform P` each) into one set in
    /// the output folder: checksums checked, one run, every platform; SHA256SUMS written anew.
    Merge {
        /// Folders holding the archives and their .sha256 files.
        #[arg(value_name = "FOLDER", required = true)]
        folders: Vec<PathBuf>,
        /// Where to write the set (default: the manifest's output folder).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Accept a set without the sources bundle.
        #[arg(long)]
        no_sources: bool,
    },
    /// Write the CI files of [ci] providers: the GitHub Actions workflows
    /// (.github/workflows/nightly.yml and release.yml) and the GitLab CI nightly pipeline
    /// (.gitlab-ci.yml), which build each platform's bundle on a runner of that platform, merge
    /// and verify them, and (release.yml, on a release tag) publish them.
    Ci {
        /// Only check that the committed workflows are what the manifest generates.
        #[arg(long)]
        check: bool,
    },
    /// Pack a folder the way bundles are packed (reproducible, parallel bzip2); used by
    /// scripts/bench-bundle.sh.
    Archive {
        /// tar.bz2, tar.gz, tar.zst or zip.
        #[arg(long, default_value = "tar.bz2")]
        format: String,
        /// Timestamp of every entry (default: SOURCE_DATE_EPOCH, else 0).
        #[arg(long)]
        mtime: Option<u64>,
        /// The folder to pack.
        source: PathBuf,
        /// The archive to write (its top-level folder is named after it).
        dest: PathBuf,
    },
    /// Write a first release-config.toml for this repository: detects the plugin folders,
    /// version files, lockstep groups, placeholder versions, tag formats, changelogs and
    /// platforms, and prints what it detected, guessed and wants checked. Never overwrites.
    Init {
        /// Print the manifest instead of writing it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print a completion script for SHELL (bash, zsh, fish, elvish, powershell) that completes
    /// the command `xtask`: use it with `alias xtask='cargo xtask'`.
    Completions { shell: clap_complete::Shell },
    /// Print changelog sections of versions FROM < V <= TO, newest first.
    Changelog {
        /// Only this plugin (repeatable; default: all).
        #[arg(long = "plugin", value_name = "NAME")]
        plugins: Vec<String>,
        /// Versions after this one.
        #[arg(long, value_name = "VERSION")]
        from: Option<String>,
        /// Versions up to and including this one.
        #[arg(long, value_name = "VERSION")]
        to: Option<String>,
    },
}

#[derive(Args)]
struct ReleaseArgs {
    /// major, minor, patch, alpha, beta, rc, post, dev, release, or an explicit version.
    #[arg(value_name = "LEVEL|VERSION")]
    level: Option<String>,
    #[command(flatten)]
    selection: SelectionArgs,
    /// Build only this platform's bundle (repeatable; default: every platform).
    #[arg(long = "platform", value_name = "NAME")]
    platforms: Vec<String>,
    /// Make the release (default: show what it would do).
    #[arg(long)]
    execute: bool,
    /// Write the plan to FILE.
    #[arg(long, value_name = "FILE")]
    save_plan: Option<PathBuf>,
    /// Execute this saved plan instead of making a new one (it fixes the selection,
    /// platforms, sources and release folder).
    #[arg(
        long = "plan",
        value_name = "FILE",
        conflicts_with_all = ["level", "plugins", "groups", "platforms", "no_sources", "release_dir", "save_plan"]
    )]
    plan_file: Option<PathBuf>,
    /// Copy the artifacts to this folder too (default: RELEASE_DIR, or [publish] release-dir).
    #[arg(long, value_name = "DIR")]
    release_dir: Option<String>,
    /// Leave out the sources bundle (every plugin's sdist), which is made by default.
    #[arg(long)]
    no_sources: bool,
    /// `git fetch` the upstream first, so the "behind its upstream" check is current.
    #[arg(long)]
    fetch: bool,
    /// Finish a release that was interrupted (killed, or a publishing step failed), from
    /// its journal: the rest of its steps when its built outputs are intact, else undo it.
    #[arg(long, conflicts_with_all = ["level", "execute", "plan_file", "save_plan"])]
    resume: bool,
    /// With --resume: record this publishing step (push, copy, upload) as done by hand
    /// instead of running it (repeatable).
    #[arg(long, value_enum, value_name = "STEP", requires = "resume")]
    skip: Vec<SkipStep>,
    /// Undo a release that was interrupted before it started publishing, from its journal.
    #[arg(long, conflicts_with_all = ["level", "execute", "plan_file", "save_plan", "resume"])]
    roll_back: bool,
    /// Print the plan (dry run) or the plan and results as JSON.
    #[arg(long)]
    json: bool,
}

/// A publishing step a maintainer did by hand (`release --resume --skip`).
#[derive(Clone, Copy, clap::ValueEnum)]
enum SkipStep {
    Push,
    Copy,
    Upload,
}

impl ReleaseArgs {
    fn options(self) -> tasks::release::ReleaseOptions {
        tasks::release::ReleaseOptions {
            level: self.level,
            selection: self.selection.selection(),
            platforms: self.platforms,
            execute: self.execute,
            save_plan: self.save_plan,
            plan_file: self.plan_file,
            release_dir: self.release_dir.or_else(release_dir_from_env),
            no_sources: self.no_sources,
            fetch: self.fetch,
            resume: self.resume,
            skip: self
                .skip
                .iter()
                .map(|s| match s {
                    SkipStep::Push => "push",
                    SkipStep::Copy => "copy_to_release_dir",
                    SkipStep::Upload => "upload",
                })
                .map(str::to_string)
                .collect(),
            roll_back: self.roll_back,
            json: self.json,
        }
    }
}

/// Which release units a bump or release takes (default: all).
#[derive(Args)]
struct SelectionArgs {
    /// Only this plugin that is in no group (repeatable; default: every unit).
    #[arg(long = "plugin", value_name = "NAME")]
    plugins: Vec<String>,
    /// Only this lockstep group (repeatable).
    #[arg(long = "group", value_name = "NAME")]
    groups: Vec<String>,
}

impl SelectionArgs {
    fn selection(self) -> versions::units::Selection {
        versions::units::Selection {
            plugins: self.plugins,
            groups: self.groups,
        }
    }
}

#[derive(Args)]
struct NightlyArgs {
    /// Build number (default: from CI variables, see [nightly] in the manifest; else 0).
    #[arg(long, value_name = "N")]
    build_number: Option<u64>,
    /// Then upload the plugins' sdists and wheels to the development index of
    /// [nightly.upload] (files it has are skipped).
    #[arg(long)]
    upload: bool,
    #[command(flatten)]
    parts: PartArgs,
}

/// Which bundles a nightly or a bundle run makes, and whether it signs them.
#[derive(Args)]
struct PartArgs {
    /// Build only this platform (repeatable; default: every platform in the manifest).
    #[arg(long = "platform", value_name = "NAME")]
    platforms: Vec<String>,
    /// Leave out the sources bundle (every plugin's sdist), which is made by default.
    #[arg(long)]
    no_sources: bool,
    /// Sign nothing even with [release] sign-artifacts (for a part that `merge` signs).
    #[arg(long)]
    no_sign: bool,
    /// Write the set into DIR (relative to the repository root, ignored by git) instead of
    /// [release] output: a CI job's part, kept apart from the other platforms' parts.
    #[arg(long, value_name = "DIR")]
    output: Option<PathBuf>,
}

impl NightlyArgs {
    fn options(self) -> PlanOptions {
        self.parts.options(Mode::Nightly {
            build_number: self.build_number,
            upload: self.upload,
        })
    }
}

impl PartArgs {
    /// `--output DIR` in place of `[release] output`.
    fn set_output(&self, ws: &mut Workspace) {
        if let Some(dir) = &self.output {
            ws.manifest.release.output = dir.clone();
        }
    }

    fn options(self, mode: Mode) -> PlanOptions {
        PlanOptions {
            mode,
            platforms: self.platforms,
            release_dir: None,
            no_sources: self.no_sources,
            no_sign: self.no_sign,
        }
    }
}

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv.get(1).is_some_and(|a| a == ops::supervise::ARG) {
        return ExitCode::from(ops::supervise::run(&argv[2..]).clamp(0, 255) as u8);
    }
    if argv.get(1).is_some_and(|a| a == "__satisfies") {
        let mut input = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut input);
        print!("{}", versions::satisfies_lines(&input));
        return ExitCode::SUCCESS;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { exit::OK });
        }
    };
    ops::ui::set_quiet(cli.quiet);
    ops::ui::set_plain(cli.verbose);
    let Some((name, dry_run)) = workspace_use(&cli.command) else {
        return run_without_workspace(cli.command);
    };
    let result = Workspace::open(cli.manifest.as_deref(), name, dry_run, cli.verbose)
        .map(|ws| ws.with_run_options(cli.jobs.map(usize::from), cli.no_cache, cli.locked, cli.offline))
        .and_then(|ws| dispatch(ws, cli.command));
    finish(result)
}

/// The log name and dry-run mode of a command that opens the workspace; `None` for the
/// commands that need no manifest.
fn workspace_use(command: &Command) -> Option<(&'static str, bool)> {
    Some(match command {
        Command::Plan { .. } => ("plan", true),
        Command::Bump { execute, .. } => ("bump", !execute),
        Command::Changelog { .. } => ("changelog", true),
        Command::Verify { .. } => ("verify", true),
        Command::Status { .. } => ("status", true),
        Command::Merge { .. } => ("merge", false),
        Command::Publish { dry_run, .. } => ("publish", *dry_run),
        Command::Ci { check } => ("ci", *check),
        Command::Release(a) => ("release", !(a.execute || a.resume || a.roll_back)),
        Command::Nightly { .. } => ("nightly", false),
        Command::Bundle { dry_run, .. } => ("bundle", *dry_run),
        Command::Lock { .. } => ("lock", false),
        Command::Completions { .. } | Command::Archive { .. } | Command::Init { .. } => return None,
    })
}

/// The commands that need no manifest: they work anywhere, like --help.
fn run_without_workspace(command: Command) -> ExitCode {
    match command {
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "xtask", &mut std::io::stdout());
            ExitCode::from(exit::OK)
        }
        Command::Archive {
            format,
            mtime,
            source,
            dest,
        } => finish(tasks::archive::run(&format, mtime, &source, &dest)),
        Command::Init { dry_run } => finish(tasks::init::run(dry_run)),
        _ => unreachable!("every other command opens the workspace"),
    }
}

/// Run a command in the opened workspace.
fn dispatch(mut ws: Workspace, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Plan { nightly, json } => {
            nightly.parts.set_output(&mut ws);
            tasks::plan::run(&ws, &nightly.options(), json)
        }
        Command::Nightly { nightly, json } => {
            nightly.parts.set_output(&mut ws);
            tasks::nightly::run(&ws, &nightly.options(), json)
        }
        Command::Bundle { parts, dry_run, json } => {
            parts.set_output(&mut ws);
            let opts = parts.options(Mode::Bundle);
            if dry_run {
                tasks::plan::run(&ws, &opts, json)
            } else {
                tasks::nightly::run(&ws, &opts, json)
            }
        }
        Command::Lock {
            upgrade,
            upgrade_package,
            dry_run,
        } => tasks::lock::run(
            &ws,
            &tasks::lock::LockOptions {
                upgrade,
                upgrade_packages: upgrade_package,
                dry_run,
            },
        ),
        Command::Bump {
            level,
            selection,
            execute,
            json,
        } => {
            let level = level.parse().map_err(error::input_error)?;
            let selection = selection.selection();
            tasks::bump::run(
                &ws,
                &tasks::bump::BumpOptions {
                    level,
                    selection,
                    execute,
                    json,
                },
            )
        }
        Command::Release(args) => tasks::release::run(&ws, &args.options()),
        Command::Verify {
            targets,
            json,
            require_signature,
        } => tasks::verify::run(&ws, &targets, json, require_signature),
        Command::Status { check, json } => {
            let offline = ws.offline;
            tasks::status::run(&ws, check, json, offline)
        }
        Command::Merge {
            folders,
            out,
            no_sources,
        } => tasks::merge::run(
            &ws,
            &tasks::merge::MergeOptions {
                folders,
                out,
                no_sources,
            },
        ),
        Command::Ci { check } => tasks::ci::run(&ws, check),
        Command::Publish { release_dir, dry_run } => {
            let release_dir = release_dir.or_else(release_dir_from_env);
            tasks::publish::run(&ws, &tasks::publish::PublishOptions { release_dir, dry_run })
        }
        Command::Completions { .. } | Command::Archive { .. } | Command::Init { .. } => {
            unreachable!("run before the workspace is opened")
        }
        Command::Changelog { plugins, from, to } => {
            tasks::changelog::run(&ws, &tasks::changelog::ChangelogOptions { plugins, from, to })
        }
    }
}

/// `RELEASE_DIR`, when set and not empty.
fn release_dir_from_env() -> Option<String> {
    std::env::var("RELEASE_DIR").ok().filter(|d| !d.is_empty())
}

/// Print an error with its causes (secrets and URL logins masked); the exit code of its class.
fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(err) => {
            // Masked here too: a message may quote a URL from a file (a lock) or a program.
            let mut chain = err.chain().map(|e| ops::cmd::redact(&e.to_string()));
            if let Some(top) = chain.next() {
                eprintln!("error: {top}");
            }
            for cause in chain {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(exit_code(&err))
        }
    }
}
