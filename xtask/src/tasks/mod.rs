//! One module per subcommand; each owns a `run`.

pub mod nightly;
pub mod plan;
