//! Which changelog a plugin keeps: `[plugin.NAME] changelog` (and its templates) when the
//! manifest sets one apart, else towncrier's news file when the plugin compiles its changelog
//! from fragments (read by the versions its headings name), else `[versioning]`'s.

use crate::manifest::{Changelog, Manifest};
use crate::python::plugins::Plugin;

use super::style::{Format, Style};

/// The changelog of `plugin`, None when changelogs are off for it.
pub fn of(manifest: &Manifest, plugin: &Plugin) -> Option<Changelog> {
    if let Some(own) = manifest
        .plugin_overrides
        .get(&plugin.normalized)
        .and_then(|o| o.changelog.as_ref())
    {
        return own.clone();
    }
    let default = manifest.versioning.changelog.as_ref()?;
    match &plugin.towncrier {
        Some(t) => Some(Changelog {
            file: t.filename.clone(),
            style: Style::by_version(Format::of(&t.filename)),
        }),
        None => Some(default.clone()),
    }
}
