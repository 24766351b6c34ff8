//! `cargo xtask init [--dry-run]`: write a first `release-config.toml` for a repository of
//! Python plugins. Detects the plugin folders (and a `paths` glob), their version files (JSON
//! files holding the version included), plugins sharing one version (a lockstep group), the
//! placeholder `0.0.0` pattern (the `stamp` strategy), the format of existing release tags,
//! the changelog files and their heading style, and the platforms (this host and Windows).
//! Reads the repository, runs nothing but git and (for setup.py) Python's `ast`, and writes
//! only the new manifest; never overwrites one.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::input_error;
use crate::manifest::{Manifest, MANIFEST_FILE};
use crate::ops::cmd::Runner;
use crate::ops::fs::write_atomic;
use crate::ops::git::Git;
use crate::python::plugins::{self, Plugin};

mod changelogs;
mod version_files;
use version_files::{json_entries, json_files_by_plugin, yaml_version_files, SKIP};

/// What `init` found, guessed, and wants checked.
#[derive(Default)]
struct Findings {
    detected: Vec<String>,
    guessed: Vec<String>,
    check: Vec<String>,
}

pub fn run(dry_run: bool) -> Result<()> {
    let cwd = std::env::current_dir()?;
    let git_program = which::which("git").map_err(|_| input_error("git: not found on PATH. Install git."))?;
    let root = repository_root(&cwd, &git_program);
    let manifest_path = root.join(MANIFEST_FILE);
    if manifest_path.exists() {
        return Err(input_error(format!(
            "{} exists: init never overwrites a manifest (move it away to start over)",
            manifest_path.display()
        )));
    }
    let runner = init_runner(&cwd, &root);
    let git = Git::new(&runner, git_program, &root);
    let mut found = Findings::default();

    let dirs = plugin_dirs(&root);
    if dirs.is_empty() {
        return Err(input_error(format!(
            "no Python plugin folders in {} (it, or folders up to three levels down, with pyproject.toml, setup.py or setup.cfg)",
            root.display()
        )));
    }
    let paths = paths_of(&root, &dirs);
    found.detected.push(format!(
        "{} plugin folder(s): paths = {}",
        dirs.len(),
        toml_list(&paths)
    ));

    // Read the plugins as the tool will; JSON files holding their version are declared.
    let release = release_name(&root);
    found.guessed.push(format!(
        "release name {release:?} from the repository folder: it names the archives ([release] name)"
    ));
    let json_files = json_files_by_plugin(&root, &dirs);
    let mut draft = Draft {
        release: release.clone(),
        paths: paths.clone(),
        json_entries: json_entries(&json_files, dirs.len()),
        platforms: platforms(&mut found),
        ..Draft::default()
    };
    let plugins = read_plugins(&root, &runner, &draft.render())?;
    for (rel, files) in &json_files {
        for (file, key) in files {
            found
                .detected
                .push(format!("{rel}/{file}: a JSON file holding the version at {key:?}"));
        }
    }
    detect_yaml(&mut draft, &root, &plugins, &mut found);

    let tags = git.tags().unwrap_or_default();
    detect_stamp(&mut draft, &plugins, &tags, &mut found);
    detect_tags(&mut draft, &plugins, &tags, &mut found);
    detect_groups(&mut draft, &plugins, &mut found);
    detect_changelogs(&mut draft, &root, &plugins, &mut found);

    let text = draft.render();
    check_result(&root, &runner, &git, &text, &mut found);
    if dry_run {
        print!("{text}");
    } else {
        write_atomic(&manifest_path, text.as_bytes())?;
    }
    report(&found, &manifest_path, dry_run);
    Ok(())
}

/// The top folder of the git repository around `cwd`, else `cwd` itself.
fn repository_root(cwd: &Path, git_program: &Path) -> PathBuf {
    let probe = Runner::new(std::env::temp_dir().join("xtask-init.log"), false, false);
    Git::new(&probe, git_program.to_path_buf(), cwd)
        .toplevel()
        .unwrap_or_else(|_| cwd.to_path_buf())
}

/// The runner of this `init`, logging to a file of its own in the work folder.
fn init_runner(cwd: &Path, root: &Path) -> Runner {
    let work_dir = crate::manifest::workspace::work_dir(cwd, root);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Runner::new(
        work_dir
            .join("logs")
            .join(format!("init-{stamp}-{}.log", std::process::id())),
        false,
        false,
    )
}

/// Every plugin at one placeholder version means the `stamp` strategy: a version whose
/// release numbers are all zero (`0.0.0`, `0.0.0.dev0`, `1!0+dev`, `0+unknown`), shared by
/// every plugin, that no tag records. Requirements on other packages written with it need
/// the versions they mean (`[versioning.requirements]`); computed requirements are asked of
/// the build backend by `plan`.
fn detect_stamp(draft: &mut Draft, plugins: &[Plugin], tags: &[String], found: &mut Findings) {
    let Some(first) = plugins.first() else { return };
    let placeholder = &first.version;
    let tagged = tags.iter().any(|t| {
        crate::versions::tag_families::version_prefix(t)
            .and_then(|prefix| crate::versions::parse(&t[prefix.len()..]).ok())
            .is_some_and(|v| &v == placeholder)
    });
    draft.stamp =
        plugins.iter().all(|p| &p.version == placeholder) && placeholder.release().iter().all(|n| *n == 0) && !tagged;
    if !draft.stamp {
        return;
    }
    found.detected.push(format!(
        "every plugin's version is the placeholder {placeholder}: the `stamp` strategy (versions come from tags)"
    ));
    if placeholder.to_string() != "0.0.0" {
        draft.placeholder = Some(placeholder.to_string());
    }
    let names: Vec<&str> = plugins.iter().map(|p| p.normalized.as_str()).collect();
    for p in plugins {
        for (place, name) in crate::versions::edits::placeholder_requirements(p, &names, placeholder) {
            found.check.push(format!(
                "{}/{}: {:?} requires {name} at the placeholder: write the versions it needs in \
                 [versioning.requirements] ({name} = \">=X.Y,<X.Z\")",
                p.dir, place.file, place.text
            ));
            if !draft.placeholder_requirements.contains(&name) {
                draft.placeholder_requirements.push(name);
            }
        }
        if p.inexact.iter().any(|f| f == "dependencies") {
            found.check.push(format!(
                "{}: {} computes its requirements: `plan` asks its build backend; a pin on a sibling plugin \
                 computed in code is never rewritten, so it must accept the sibling's version in each release \
                 (release them together, or write the pin as a literal string)",
                p.dir,
                p.layout_file()
            ));
        }
    }
}

/// YAML files holding each plugin's version, declared for every plugin (optional where some
/// lack them); a list of released versions is prepended to.
fn detect_yaml(draft: &mut Draft, root: &Path, plugins: &[Plugin], found: &mut Findings) {
    let per_plugin: Vec<Vec<(String, String, bool)>> = plugins
        .iter()
        .map(|p| yaml_version_files(&root.join(&p.dir), p))
        .collect();
    for (p, files) in plugins.iter().zip(&per_plugin) {
        for (file, key, prepend) in files {
            let what = if *prepend {
                "list of released versions"
            } else {
                "version"
            };
            found
                .detected
                .push(format!("{}/{file}: a YAML file holding the {what} at {key:?}", p.dir));
            if !draft.yaml_entries.iter().any(|(f, k, _, _)| f == file && k == key) {
                let everywhere = per_plugin
                    .iter()
                    .filter(|fs| fs.iter().any(|(f, k, _)| f == file && k == key))
                    .count();
                draft
                    .yaml_entries
                    .push((file.clone(), key.clone(), *prepend, everywhere < plugins.len()));
            }
        }
    }
}

/// The manifest written must load and find the same plugins, and the output folder should be
/// ignored by git; what is not so is for the user to check.
fn check_result(root: &Path, runner: &Runner, git: &Git, text: &str, found: &mut Findings) {
    let problems = match read_plugins(root, runner, text) {
        Ok(_) => Vec::new(),
        Err(e) => vec![format!("{e:#}")],
    };
    found.check.extend(problems);
    if !git.is_ignored("dist/x").unwrap_or(true) {
        found
            .check
            .push("the output folder dist/ is not ignored by git: add `/dist/` to .gitignore".into());
    }
}

/// Folders holding a Python project, at most three levels down, outside hidden and build
/// folders, and not inside another one; the root itself only when there is none below it.
fn plugin_dirs(root: &Path) -> Vec<PathBuf> {
    let is_project = |d: &Path| {
        ["pyproject.toml", "setup.py", "setup.cfg"]
            .iter()
            .any(|f| d.join(f).is_file())
    };
    let mut found: Vec<PathBuf> = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .min_depth(1)
        .max_depth(3)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.file_type().is_dir()
                && !name.starts_with('.')
                && !SKIP.contains(&name.as_ref())
                && !name.starts_with("venv")
        });
    for entry in walker.flatten() {
        let dir = entry.path();
        if is_project(dir) && !found.iter().any(|f| dir.starts_with(f)) {
            found.push(dir.to_path_buf());
        }
    }
    // A repository that is one plugin: the root itself (`paths = ["."]`).
    if found.is_empty() && is_project(root) {
        found.push(root.to_path_buf());
    }
    found
}

/// `parent/*` when the plugins are all the folders of one parent, else each path.
fn paths_of(root: &Path, dirs: &[PathBuf]) -> Vec<String> {
    let rel: Vec<String> = dirs
        .iter()
        .map(|d| plugins::relative(root, d))
        .map(|r| if r.is_empty() { ".".to_string() } else { r })
        .collect();
    let parents: Vec<&Path> = dirs.iter().filter_map(|d| d.parent()).collect();
    if let Some(parent) = parents.first() {
        let all_same = parents.iter().all(|p| p == parent) && *parent != root;
        let siblings = std::fs::read_dir(parent)
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
                    .count()
            })
            .unwrap_or(0);
        if all_same && siblings == dirs.len() && dirs.len() > 1 {
            return vec![format!("{}/*", plugins::relative(root, parent))];
        }
    }
    rel
}

/// The repository folder's name as a release name (a portable file name).
fn release_name(root: &Path) -> String {
    let name: String = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_start_matches(['-', '.']).to_string();
    if name.is_empty() {
        "plugins".into()
    } else {
        name
    }
}

/// The plugins a manifest text finds, as the tool reads them.
fn read_plugins(root: &Path, runner: &Runner, text: &str) -> Result<Vec<Plugin>> {
    let manifest = Manifest::parse(text, &root.join(MANIFEST_FILE), MANIFEST_FILE)?;
    let python = crate::python::toolchain::python_path(&manifest).ok();
    plugins::discover(root, &manifest, runner, python.as_deref())
        .map_err(|problems| crate::error::precheck_failed("the plugins cannot be read as they are", problems))
}

/// Tags of released versions (`versions::tag_families`): the format most plugin tags follow
/// as `tag` (with `[plugins] id-prefix`), a plugin whose tags follow another as its own
/// `[plugin.NAME] tag`, repository-wide tags as `group-tag`.
fn detect_tags(draft: &mut Draft, plugins: &[Plugin], tags: &[String], found: &mut Findings) {
    let names: Vec<&str> = plugins.iter().map(|p| p.normalized.as_str()).collect();
    let formats = crate::versions::tag_families::detect(&names, tags);
    if let Some(((template, id_prefix), n)) = &formats.tag {
        let ids = match id_prefix {
            Some(prefix) => format!(", {{id}} being the name without {prefix:?}: [plugins] id-prefix = {prefix:?}"),
            None => String::new(),
        };
        found.detected.push(format!(
            "{n} plugin release tag(s) like {template:?}: tag = {template:?}{ids}"
        ));
        draft.tag = Some(template.clone());
        draft.id_prefix = id_prefix.clone();
    }
    for (plugin, literal, n) in formats.plugin_tags {
        found.detected.push(format!(
            "{n} tag(s) of {plugin} like {literal:?}: [plugin.{plugin}] tag = {literal:?}"
        ));
        let lines = draft.plugin_tables.entry(plugin).or_default();
        lines.push("# Its tags follow another format.".into());
        lines.push(format!("tag = {literal:?}"));
    }
    if let Some((format, n)) = formats.group_tag {
        found.detected.push(format!(
            "{n} repository release tag(s) like {format:?}: group-tag = {format:?}"
        ));
        draft.group_tag = Some(format);
    }
    if tags.is_empty() {
        found.detected.push("no tags yet".into());
    }
}

/// Plugins that share one version (not the placeholder) are proposed as a lockstep group;
/// with the `stamp` strategy, repository-wide tags (`v1.2.0`) mean one group of all plugins.
fn detect_groups(draft: &mut Draft, plugins: &[Plugin], found: &mut Findings) {
    let mut by_version: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in plugins {
        by_version
            .entry(p.version.to_string())
            .or_default()
            .push(p.normalized.clone());
    }
    if draft.stamp {
        if draft.group_tag.is_some() && draft.tag.is_none() && plugins.len() > 1 {
            draft
                .groups
                .push(("all".into(), plugins.iter().map(|p| p.normalized.clone()).collect()));
            found
                .guessed
                .push("the release tags name no plugin: all plugins are released together as the group `all`".into());
        } else if plugins.len() > 1 {
            found.guessed.push(
                "placeholder versions say nothing about which plugins go together: each plugin is released on its own \
                 (add [groups] for plugins released in lockstep)"
                    .into(),
            );
        }
        return;
    }
    // Tags that name each plugin and none of a group: the plugins were released on their own.
    if draft.tag.is_some() && draft.group_tag.is_none() {
        found
            .detected
            .push("the release tags name each plugin: each is released on its own".into());
        return;
    }
    let shared: Vec<(String, Vec<String>)> = by_version
        .into_iter()
        .filter(|(_, members)| members.len() > 1)
        .collect();
    let many = shared.len() > 1;
    for (version, members) in shared {
        let name = if many {
            format!("v{}", version.replace('.', "-"))
        } else {
            "core".into()
        };
        found.guessed.push(format!(
            "{} share version {version}: released in lockstep as the group `{name}` (remove it if they only happen to agree)",
            members.join(", ")
        ));
        draft.groups.push((name, members));
    }
    if draft.groups.is_empty() && plugins.len() > 1 {
        found
            .detected
            .push("every plugin has its own version: each is released on its own".into());
    }
}

/// Each plugin's changelog: the kind most keep into `[versioning]`, others' into `[plugin.NAME]`.
fn detect_changelogs(draft: &mut Draft, root: &Path, plugins: &[Plugin], found: &mut Findings) {
    let logs = changelogs::detect(root, plugins);
    found.detected.extend(logs.detected);
    found.guessed.extend(logs.guessed);
    found.check.extend(logs.check);
    match logs.default {
        None if logs.off => draft.changelog = Some(String::new()),
        None => {}
        Some(k) => {
            if k.file != "CHANGELOG.md" {
                draft.changelog = Some(k.file);
            }
            draft.changelog_heading = k.heading;
            draft.changelog_unreleased = k.unreleased;
        }
    }
    for (plugin, kept) in logs.own {
        let lines = draft.plugin_tables.entry(plugin).or_default();
        lines.push("# Its changelog is kept otherwise.".into());
        match kept {
            None => lines.push("changelog = \"\"".into()),
            Some(k) => {
                lines.push(format!("changelog = {:?}", k.file));
                lines.extend(k.heading.map(|h| format!("changelog-heading = {h:?}")));
                lines.extend(k.unreleased.map(|u| format!("changelog-unreleased = {u:?}")));
            }
        }
    }
}

/// This host's platform (when it is Linux, macOS or Windows on a known architecture) and
/// Windows: (name, tags, format).
fn platforms(found: &mut Findings) -> Vec<(String, Vec<String>, Option<&'static str>)> {
    let arch = std::env::consts::ARCH;
    let mut out = Vec::new();
    match (std::env::consts::OS, arch) {
        ("linux", "x86_64" | "aarch64") => out.push((
            "linux".to_string(),
            vec![
                format!("manylinux2014_{arch}"),
                format!("manylinux_2_28_{arch}"),
                format!("linux_{arch}"),
            ],
            None,
        )),
        ("macos", "aarch64") => out.push(("macos".into(), vec!["macosx_11_0_arm64".into()], None)),
        ("macos", "x86_64") => out.push(("macos".into(), vec!["macosx_10_12_x86_64".into()], None)),
        _ => {}
    }
    out.push(("windows".into(), vec!["win_amd64".into()], Some("zip")));
    let names: Vec<&str> = out.iter().map(|(n, _, _)| n.as_str()).collect();
    found.guessed.push(format!(
        "platforms {} with Python 3.11: set `python` to the version your users run",
        names.join(" and ")
    ));
    out
}

/// The manifest being assembled.
#[derive(Default, Clone)]
struct Draft {
    release: String,
    paths: Vec<String>,
    /// JSON files holding the plugins' version: (path in the plugin folder, key, optional).
    json_entries: Vec<(String, String, bool)>,
    /// YAML files holding the plugins' version: (path, key, prepend, optional).
    yaml_entries: Vec<(String, String, bool, bool)>,
    stamp: bool,
    /// `[versioning] placeholder`, when not 0.0.0.
    placeholder: Option<String>,
    /// Packages outside the repository required at the placeholder (`[versioning.requirements]`).
    placeholder_requirements: Vec<String>,
    tag: Option<String>,
    /// `[plugins] id-prefix`, when the tag family names plugins by an id.
    id_prefix: Option<String>,
    /// `[plugin.NAME]` tables: the lines of each (a tag of another family, a changelog kept
    /// otherwise), by plugin.
    plugin_tables: BTreeMap<String, Vec<String>>,
    group_tag: Option<String>,
    groups: Vec<(String, Vec<String>)>,
    changelog: Option<String>,
    changelog_heading: Option<String>,
    changelog_unreleased: Option<String>,
    platforms: Vec<(String, Vec<String>, Option<&'static str>)>,
}

impl Draft {
    /// `version-files = [...]`: the JSON and YAML files found.
    fn render_version_files(&self, s: &mut String) {
        let optional = |o: &bool| if *o { ", optional = true" } else { "" };
        let entries: Vec<String> = self
            .json_entries
            .iter()
            .map(|(path, key, o)| format!("{{ path = {path:?}, kind = \"json\", key = {key:?}{} }}", optional(o)))
            .chain(self.yaml_entries.iter().map(|(path, key, prepend, o)| {
                let mode = if *prepend { ", mode = \"prepend\"" } else { "" };
                format!(
                    "{{ path = {path:?}, kind = \"yaml\", key = {key:?}{mode}{} }}",
                    optional(o)
                )
            }))
            .collect();
        if !entries.is_empty() {
            let _ = writeln!(
                s,
                "# JSON and YAML files holding the plugins' version (stamped with the others).\nversion-files = [{}]",
                entries.join(", ")
            );
        }
    }

    fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# How `cargo xtask` releases the plugins in this repository, written by `cargo xtask init`.\n\
             # Every key is documented in xtask/docs/manifest.md; check the ones marked CHECK.\n"
        );
        let _ = writeln!(
            s,
            "[release]\n# Names the archives: <name>-<version>-<platform>.\nname = {:?}",
            self.release
        );
        if let Some(tag) = &self.tag {
            let _ = writeln!(s, "# The format of this repository's plugin tags.\ntag = {tag:?}");
        }
        if let Some(tag) = &self.group_tag {
            let _ = writeln!(
                s,
                "# The format of this repository's release tags.\ngroup-tag = {tag:?}"
            );
        }
        let _ = writeln!(s, "\n[plugins]\npaths = {}", toml_list(&self.paths));
        if let Some(prefix) = &self.id_prefix {
            let _ = writeln!(
                s,
                "# A plugin's {{id}} in tags: its name without this prefix.\nid-prefix = {prefix:?}"
            );
        }
        self.render_version_files(&mut s);
        if !self.groups.is_empty() {
            let _ = writeln!(s, "\n# CHECK: plugins released in lockstep with one version.\n[groups]");
            for (name, members) in &self.groups {
                let _ = writeln!(s, "{name} = {}", toml_list(members));
            }
        }
        for (plugin, lines) in &self.plugin_tables {
            let _ = writeln!(s, "\n[plugin.{plugin}]\n{}", lines.join("\n"));
        }
        let mut versioning = String::new();
        if self.stamp {
            let placeholder = self.placeholder.as_deref().unwrap_or("0.0.0");
            let _ = writeln!(
                versioning,
                "# Version files hold the placeholder {placeholder}; releases are recorded by tags.\nstrategy = \"stamp\""
            );
            if let Some(p) = &self.placeholder {
                let _ = writeln!(versioning, "placeholder = {p:?}");
            }
        }
        if let Some(log) = &self.changelog {
            let _ = writeln!(versioning, "changelog = {log:?}");
        }
        if let Some(heading) = &self.changelog_heading {
            let _ = writeln!(versioning, "changelog-heading = {heading:?}");
        }
        if let Some(unreleased) = &self.changelog_unreleased {
            let _ = writeln!(versioning, "changelog-unreleased = {unreleased:?}");
        }
        if !versioning.is_empty() {
            let _ = write!(s, "\n[versioning]\n{versioning}");
        }
        if !self.placeholder_requirements.is_empty() {
            let _ = writeln!(
                s,
                "\n# CHECK: the versions each package, required at the placeholder, must have.\n[versioning.requirements]"
            );
            for name in &self.placeholder_requirements {
                let _ = writeln!(s, "# {name} = \">=X.Y,<X.Z\"");
            }
        }
        for (name, tags, format) in &self.platforms {
            let _ = writeln!(
                s,
                "\n# CHECK: the Python version of the machines the bundle installs on.\n[platforms.{name}]\ntags = {}\npython = \"3.11\"",
                toml_list(tags)
            );
            if let Some(format) = format {
                let _ = writeln!(s, "format = {format:?}");
            }
        }
        s
    }
}

fn toml_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|i| format!("{i:?}")).collect::<Vec<_>>().join(", ")
    )
}

fn report(found: &Findings, path: &Path, dry_run: bool) {
    let mut out = String::new();
    for (title, lines) in [
        ("detected", &found.detected),
        ("guessed", &found.guessed),
        ("check", &found.check),
    ] {
        if !lines.is_empty() {
            let _ = writeln!(out, "{title}:");
            for l in lines {
                let _ = writeln!(out, "  - {l}");
            }
        }
    }
    if dry_run {
        let _ = writeln!(out, "dry run: nothing was written");
    } else {
        let _ = writeln!(
            out,
            "wrote {}; next: review it, commit it, then run `cargo xtask plan` (and `cargo xtask status`)",
            path.display()
        );
    }
    eprint!("{out}");
}
