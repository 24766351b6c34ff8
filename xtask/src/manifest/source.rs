//! The manifest's text as messages point into it: `file:line:col` of a value, and the list of
//! problems a load collects before it fails once with all of them.

use std::fmt::Write as _;
use std::ops::Range;

use anyhow::{bail, Result};
use toml::Spanned;

pub struct Source<'a> {
    pub text: &'a str,
    pub shown: &'a str,
}

impl Source<'_> {
    /// `file:line:col` of a byte offset range (1-based line and column, in characters).
    pub fn at(&self, span: &Range<usize>) -> String {
        let (line, col) = line_col(self.text, span.start);
        format!("{}:{line}:{col}", self.shown)
    }
    pub fn at_spanned<T>(&self, v: &Spanned<T>) -> String {
        self.at(&v.span())
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..offset].chars().count() + 1;
    (line, col)
}

#[derive(Default)]
pub struct Problems(pub Vec<String>);

impl Problems {
    pub fn push(&mut self, at: String, message: impl std::fmt::Display) {
        self.0.push(format!("{at}: {message}"));
    }
    pub fn finish(self, shown: &str) -> Result<()> {
        match self.0.len() {
            0 => Ok(()),
            1 => bail!("{}", self.0[0]),
            n => {
                let mut msg = format!("{shown} has {n} problems:");
                for p in &self.0 {
                    let _ = write!(msg, "\n  - {p}");
                }
                bail!(msg)
            }
        }
    }
}
