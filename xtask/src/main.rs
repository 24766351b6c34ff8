//! `cargo xtask`: release automation for the Python plugins of this repository.
//! Parses arguments, opens the workspace, dispatches to one task. Nothing else.

mod config;
mod edits;
mod error;
mod ops;
mod plan;
mod platform;
mod plugins;
mod pysource;
mod steps;
mod tasks;
mod toolchain;
mod version_files;
mod versioning;
mod versions;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::error::{exit, exit_code};
use crate::plan::NightlyOptions;
use crate::workspace::Workspace;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Release automation for the Python plugins in this repository",
    version
)]
struct Cli {
    /// The manifest to use (default: release-config.toml in this or a parent folder).
    #[arg(long, global = true, value_name = "PATH")]
    manifest: Option<PathBuf>,
    /// Print every program call.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show what `nightly` would do: versions, file edits, builds, artifacts; check everything.
    Plan {
        #[command(flatten)]
        nightly: NightlyArgs,
        /// Print the plan as JSON (the schema is in README.md).
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
}

#[derive(Args)]
struct NightlyArgs {
    /// Build number (default: from CI variables, see [nightly] in the manifest; else 0).
    #[arg(long, value_name = "N")]
    build_number: Option<u64>,
    /// Build only this platform (repeatable; default: every platform in the manifest).
    #[arg(long = "platform", value_name = "NAME")]
    platforms: Vec<String>,
}

impl NightlyArgs {
    fn options(self) -> NightlyOptions {
        NightlyOptions {
            build_number: self.build_number,
            platforms: self.platforms,
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { exit::OK });
        }
    };
    let (name, dry_run) = match &cli.command {
        Command::Plan { .. } => ("plan", true),
        Command::Nightly { .. } => ("nightly", false),
    };
    let result =
        Workspace::open(cli.manifest.as_deref(), name, dry_run, cli.verbose).and_then(|ws| match cli.command {
            Command::Plan { nightly, json } => tasks::plan::run(&ws, &nightly.options(), json),
            Command::Nightly { nightly, json } => tasks::nightly::run(&ws, &nightly.options(), json),
        });
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(err) => {
            let mut chain = err.chain();
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
