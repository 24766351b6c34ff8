//! `cargo xtask changelog [--plugin P] [--from V] [--to V]`: print the changelog sections of
//! versions V with FROM < V <= TO, newest first, per plugin. Headings that name no version
//! are skipped with a warning. Reads only.

use anyhow::Result;
use pep440_rs::Version;

use crate::error::{input_error, precheck_failed};
use crate::manifest::normalize_name;
use crate::manifest::workspace::Workspace;
use crate::versions::changelog;

pub struct ChangelogOptions {
    pub plugins: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

pub fn run(ws: &Workspace, opts: &ChangelogOptions) -> Result<()> {
    let bound = |v: &Option<String>, flag: &str| -> Result<Option<Version>> {
        v.as_deref()
            .map(|t| crate::versions::parse(t).map_err(|e| input_error(format!("{flag}: {e}"))))
            .transpose()
    };
    let (from, to) = (bound(&opts.from, "--from")?, bound(&opts.to, "--to")?);
    let found = super::discover_plugins(ws)?;
    let wanted: Vec<String> = opts.plugins.iter().map(|p| normalize_name(p)).collect();
    for name in &wanted {
        if !found.iter().any(|p| &p.normalized == name) {
            return Err(input_error(format!("--plugin {name}: no such plugin")));
        }
    }
    let selected: Vec<_> = found
        .iter()
        .filter(|p| wanted.is_empty() || wanted.contains(&p.normalized))
        .filter(|p| changelog::of(&ws.manifest, p).is_some())
        .collect();
    if selected.is_empty() {
        return Err(input_error(format!(
            "changelogs are off for {} ([versioning] or [plugin.NAME] changelog = \"\" in {})",
            if wanted.is_empty() {
                "every plugin".to_string()
            } else {
                wanted.join(", ")
            },
            ws.manifest_shown()
        )));
    }
    let mut out = String::new();
    let mut problems = Vec::new();
    for p in &selected {
        let log = changelog::of(&ws.manifest, p).expect("selected for their changelog");
        let file = p.path(&log.file);
        let Ok(text) = std::fs::read_to_string(ws.root.join(&file)) else {
            problems.push(format!("{file}: missing (the changelog of {})", p.name));
            continue;
        };
        let (sections, warnings) = changelog::sections(&text, &log.style);
        for w in warnings {
            eprintln!("warning: {file}:{}: {}", w.line, w.message);
        }
        if sections.iter().all(|s| s.version.is_none()) {
            problems.push(match changelog::undelimited(&text, &sections) {
                true => format!(
                    "{file}: no section this tool can delimit (Keep a Changelog or `changelog-heading` Markdown \
                     headings; reStructuredText titles in .rst files)"
                ),
                false => format!("{file}: no release section yet"),
            });
            continue;
        }
        let mut chosen: Vec<_> = sections
            .iter()
            .filter(|s| match &s.version {
                None => false,
                Some(v) => from.as_ref().is_none_or(|f| v > f) && to.as_ref().is_none_or(|t| v <= t),
            })
            .collect();
        chosen.sort_by(|a, b| b.version.cmp(&a.version));
        if selected.len() > 1 {
            out.push_str(&format!("# {}\n\n", p.name));
        }
        for s in chosen {
            out.push_str(&format!(
                "{}\n\n{}\n\n",
                &text[s.heading.clone()],
                changelog::notes(&text, s)
            ));
        }
    }
    print!("{out}");
    if !problems.is_empty() {
        return Err(precheck_failed("changelogs without sections", problems));
    }
    Ok(())
}
