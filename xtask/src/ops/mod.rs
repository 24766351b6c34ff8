//! The only modules that run programs or write files.

pub mod ui;

pub mod archive;
pub mod cache;
pub mod clock;
pub mod cmd;
pub mod faults;
pub mod fs;
pub mod git;
pub mod lock;
pub mod signals;
pub mod supervise;
