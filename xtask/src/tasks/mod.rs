//! One module per subcommand; each owns a `run`.

pub mod archive;
pub mod bump;
pub mod changelog;
pub mod ci;
pub mod merge;
pub mod nightly;
pub mod plan;
pub mod release;
pub mod status;
pub mod verify;
