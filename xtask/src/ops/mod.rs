//! Side effects, and the only modules that have them: running programs (`cmd`, one runner
//! that logs, redacts secrets and honours dry-run; `supervise`, the supervisor each program
//! runs under on Linux; `git`; `git_locks`, the locks a killed git leaves), writing files
//! (`fs`, atomic writes and staged delivery; `staging`, each run's private folder; `archive`; `cache`, the content-addressed cache;
//! `lock`), the terminal (`ui`; `secrets`, what is never shown), signals, the clock (`clock`) and the crash tests' kill points
//! (`faults`). Imports nothing of the crate but `error`: everything above may use it, it uses
//! nothing above.

pub mod archive;
pub mod cache;
pub mod clock;
pub mod cmd;
pub mod faults;
pub mod fs;
pub mod git;
pub mod git_locks;
pub mod lock;
pub mod secrets;
pub mod signals;
pub mod staging;
pub mod supervise;
pub mod ui;
