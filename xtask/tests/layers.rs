//! The layers of `xtask/src` hold (xtask/docs/internals.md): every `crate::`, `super::` and
//! `self::` path in a file names the file it reaches; no file reaches a file of a higher layer,
//! no file reaches itself through others, no file passes `MAX_FILE_LINES` lines and no function
//! `MAX_FN_LINES`. The `#[cfg(test)] mod tests { … }` block at the end of a file is not read:
//! a file's own tests may use anything.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Top-level folders and files of `xtask/src`, lowest layer first. A file may import files of
/// its own layer or of a lower one; a folder's own files form no cycle.
const LAYERS: &[(&str, &[&str])] = &[
    ("base", &["error.rs"]),
    ("ops", &["ops"]),
    ("domain", &["manifest", "versions", "python"]),
    ("plan", &["plan"]),
    ("steps", &["steps"]),
    ("tasks", &["tasks"]),
    ("entry", &["main.rs", "proptests.rs"]),
];

const MAX_FILE_LINES: usize = 800;
const MAX_FN_LINES: usize = 100;

#[test]
fn the_source_tree_keeps_its_layers_sizes_and_has_no_import_cycle() {
    // At run time: a copy of the xtask reusing a target folder keeps the compiled-in path.
    let xtask =
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    let src = xtask.join("src");
    let problems = check_tree(&src);
    assert!(
        problems.is_empty(),
        "xtask/src breaks its layout (xtask/docs/internals.md):\n{}",
        problems.join("\n")
    );
}

#[test]
fn an_upward_import_is_named_with_both_files() {
    let dir = tree(&[
        ("main.rs", "mod ops;\nmod plan;\n"),
        ("ops/mod.rs", "pub mod fs;\n"),
        ("ops/fs.rs", "use crate::plan::Plan;\npub fn write() {}\n"),
        ("plan/mod.rs", "pub struct Plan;\n"),
    ]);
    let problems = check_tree(dir.path());
    assert_eq!(
        problems,
        ["ops/fs.rs imports plan/mod.rs (`crate::plan::Plan`): layer ops may not import layer plan, which is above it"]
    );
}

#[test]
fn a_cycle_is_named_file_by_file_also_through_groups_and_super() {
    let dir = tree(&[
        ("main.rs", "mod versions;\n"),
        ("versions/mod.rs", "pub mod edits;\npub mod changelog;\n"),
        (
            "versions/edits.rs",
            "use crate::{\n    ops::fs,\n    versions::{changelog::{self, Section}},\n};\n",
        ),
        (
            "versions/changelog.rs",
            "pub fn f() { super::super::versions::edits::apply() }\n",
        ),
    ]);
    let problems = check_tree(dir.path());
    assert_eq!(
        problems,
        ["import cycle: versions/changelog.rs -> versions/edits.rs -> versions/changelog.rs"]
    );
}

#[test]
fn a_folder_front_that_uses_its_parts_while_they_use_it_is_a_cycle() {
    let dir = tree(&[
        ("main.rs", "mod steps;\n"),
        ("steps/mod.rs", "mod build;\npub use build::Built;\npub struct Exec;\n"),
        ("steps/build.rs", "use super::Exec;\npub struct Built;\n"),
    ]);
    assert_eq!(
        check_tree(dir.path()),
        ["import cycle: steps/build.rs -> steps/mod.rs -> steps/build.rs"]
    );
}

#[test]
fn tests_at_the_end_of_a_file_and_comments_are_not_imports_but_sizes_count() {
    let long_fn = format!("pub fn long() {{\n{}}}\n", "    let _ = 1;\n".repeat(MAX_FN_LINES));
    let dir = tree(&[
        ("main.rs", "mod ops;\nmod plan;\n"),
        (
            "ops/mod.rs",
            "// crate::plan::Plan is not imported here\nlet s = \"https://x\"; // crate::plan\n\n#[cfg(test)]\nmod tests {\n    use crate::plan::Plan;\n}\n",
        ),
        ("plan/mod.rs", &long_fn),
        ("plan/big.rs", &"\n".repeat(MAX_FILE_LINES + 1)),
        ("stray.rs", ""),
    ]);
    let problems = check_tree(dir.path());
    assert_eq!(
        problems,
        [
            format!(
                "plan/big.rs has {} lines: split it by meaning (at most {MAX_FILE_LINES})",
                MAX_FILE_LINES + 1
            ),
            format!(
                "plan/mod.rs:1: fn long has {} lines: split it into named phases (at most {MAX_FN_LINES})",
                MAX_FN_LINES + 2
            ),
            "stray.rs is in no layer: add its folder to LAYERS in xtask/tests/layers.rs and to xtask/docs/internals.md"
                .to_string(),
        ]
    );
}

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

/// Every problem of the tree under `src`, in a stable order.
fn check_tree(src: &Path) -> Vec<String> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "rs") {
            let rel = entry.path().strip_prefix(src).unwrap().to_path_buf();
            files.insert(rel, fs::read_to_string(entry.path()).unwrap());
        }
    }
    let modules: BTreeMap<Vec<String>, PathBuf> = files.keys().map(|f| (module_path(f), f.clone())).collect();

    let mut problems = Vec::new();
    let mut edges: BTreeMap<&PathBuf, BTreeSet<&PathBuf>> = BTreeMap::new();
    for (file, text) in &files {
        problems.extend(size_problems(file, text));
        let Some(from_layer) = layer_of(file) else {
            problems.push(format!(
                "{} is in no layer: add its folder to LAYERS in xtask/tests/layers.rs and to xtask/docs/internals.md",
                shown(file)
            ));
            continue;
        };
        let me = module_path(file);
        let code = without_tests(text);
        let children = modules.keys().filter(|m| m.len() == me.len() + 1 && m.starts_with(&me));
        let child_paths = children.flat_map(|child| child_paths(&code, child.last().unwrap()));
        for path in paths(&code).into_iter().chain(child_paths) {
            let Some(absolute) = absolute(&me, &path) else { continue };
            let Some(target) = resolve(&modules, &absolute) else {
                continue;
            };
            if target == file {
                continue;
            }
            if let Some(to_layer) = layer_of(target) {
                if to_layer > from_layer {
                    problems.push(format!(
                        "{} imports {} (`{}`): layer {} may not import layer {}, which is above it",
                        shown(file),
                        shown(target),
                        path.join("::"),
                        LAYERS[from_layer].0,
                        LAYERS[to_layer].0
                    ));
                }
            }
            edges.entry(file).or_default().insert(target);
        }
    }
    problems.extend(cycles(&edges));
    problems.sort();
    problems
}

fn shown(file: &Path) -> String {
    file.to_string_lossy().replace('\\', "/")
}

fn layer_of(file: &Path) -> Option<usize> {
    let first = file.components().next()?.as_os_str().to_str()?;
    LAYERS.iter().position(|(_, members)| members.contains(&first))
}

/// `ops/fs.rs` → `[ops, fs]`, `ops/mod.rs` → `[ops]`, `main.rs` → `[]`.
fn module_path(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && !(parts.is_empty() && stem == "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The text before the file's trailing test module, with `//` comments removed.
fn without_tests(text: &str) -> String {
    let end = text.find("#[cfg(test)]\nmod tests {").unwrap_or(text.len());
    text[..end]
        .lines()
        .map(|line| {
            let comment = line
                .match_indices("//")
                .map(|(at, _)| at)
                .find(|&at| line[..at].matches('"').count() % 2 == 0);
            &line[..comment.unwrap_or(line.len())]
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path starting with `crate::`, `super::` or `self::`, with `use` groups expanded:
/// `crate::{ops::fs, plan::{self, Plan}}` gives `crate::ops::fs`, `crate::plan`, `crate::plan::Plan`.
fn paths(text: &str) -> Vec<Vec<String>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start =
            i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':');
        let start = ["crate::", "super::", "self::"]
            .iter()
            .find(|p| bytes[i..].starts_with(p.as_bytes()));
        match start {
            Some(_) if at_word_start => {
                let mut rest = &text[i..];
                let mut group = Vec::new();
                expand(&mut rest, Vec::new(), &mut group);
                out.extend(group);
                i = text.len() - rest.len();
            }
            _ => i += 1,
        }
    }
    out
}

/// A file's own child modules are named without a prefix (`build::collect`, `pub use
/// build::Built`): each such use, as `self::child`.
fn child_paths(code: &str, child: &str) -> Vec<Vec<String>> {
    let needle = format!("{child}::");
    code.match_indices(&needle)
        .filter(|(at, _)| {
            let before = code[..*at].chars().next_back();
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        })
        .map(|_| vec!["self".to_string(), child.to_string()])
        .collect()
}

/// Read one path (or `{…}` group of paths) from `rest`, appending complete paths to `out`.
fn expand(rest: &mut &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        *rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('{') {
            *rest = after;
            loop {
                *rest = rest.trim_start();
                if let Some(after) = rest.strip_prefix('}') {
                    *rest = after;
                    return;
                }
                if let Some(after) = rest.strip_prefix(',') {
                    *rest = after;
                    continue;
                }
                let before = rest.len();
                expand(rest, path.clone(), out);
                if rest.len() == before {
                    // Not a path (e.g. `*`): skip one character.
                    *rest = &rest[rest.chars().next().map_or(0, char::len_utf8)..];
                }
            }
        }
        let ident_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if ident_len == 0 {
            if !path.is_empty() {
                out.push(path);
            }
            return;
        }
        let ident = &rest[..ident_len];
        *rest = &rest[ident_len..];
        if ident != "self" || path.is_empty() {
            path.push(ident.to_string());
        }
        match rest.strip_prefix("::") {
            Some(after) => *rest = after,
            None => {
                out.push(path);
                return;
            }
        }
    }
}

/// The path from the crate root, or `None` when it leaves the crate.
fn absolute(me: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = me.to_vec();
    let mut segments = path.iter().peekable();
    match segments.peek().map(|s| s.as_str()) {
        Some("crate") => {
            base.clear();
            segments.next();
        }
        Some("self") => {
            segments.next();
        }
        Some("super") => {
            while segments.peek().is_some_and(|s| *s == "super") {
                segments.next();
                base.pop()?;
            }
        }
        _ => return None,
    }
    base.extend(segments.cloned());
    Some(base)
}

/// The file of the longest module prefix of `path` (items of `main.rs` itself are not imports).
fn resolve<'a>(modules: &'a BTreeMap<Vec<String>, PathBuf>, path: &[String]) -> Option<&'a PathBuf> {
    (1..=path.len()).rev().find_map(|n| modules.get(&path[..n]))
}

fn size_problems(file: &Path, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > MAX_FILE_LINES {
        problems.push(format!(
            "{} has {} lines: split it by meaning (at most {MAX_FILE_LINES})",
            shown(file),
            lines.len()
        ));
    }
    for (start, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let Some(name) = fn_name(trimmed) else { continue };
        if trimmed.ends_with('}') || trimmed.ends_with(';') {
            continue; // a one-line function, or one without a body
        }
        // The body ends at the first `}` at the indentation of the `fn` line.
        let Some(len) = lines[start..]
            .iter()
            .position(|l| l.len() > indent && l[..indent].trim().is_empty() && l[indent..].starts_with('}'))
            .map(|end| end + 1)
        else {
            continue;
        };
        if len > MAX_FN_LINES {
            problems.push(format!(
                "{}:{}: fn {name} has {len} lines: split it into named phases (at most {MAX_FN_LINES})",
                shown(file),
                start + 1
            ));
        }
    }
    problems
}

/// The name of the function a line starts, if it starts one.
fn fn_name(line: &str) -> Option<&str> {
    let mut rest = line;
    for qualifier in [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "const ",
        "async ",
        "unsafe ",
        "extern \"C\" ",
    ] {
        rest = rest.strip_prefix(qualifier).unwrap_or(rest);
    }
    let rest = rest.strip_prefix("fn ")?;
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    Some(&rest[..end])
}

/// One line per import cycle (a strongly connected set of files), shortest cycle shown.
fn cycles(edges: &BTreeMap<&PathBuf, BTreeSet<&PathBuf>>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut reported: BTreeSet<&PathBuf> = BTreeSet::new();
    for &start in edges.keys() {
        if reported.contains(start) {
            continue;
        }
        if let Some(cycle) = shortest_cycle(edges, start) {
            reported.extend(cycle.iter().copied());
            let names: Vec<String> = cycle.iter().chain(cycle.first()).map(|f| shown(f)).collect();
            problems.push(format!("import cycle: {}", names.join(" -> ")));
        }
    }
    problems
}

/// The shortest path from `start` back to itself (breadth first), if there is one.
fn shortest_cycle<'a>(
    edges: &BTreeMap<&'a PathBuf, BTreeSet<&'a PathBuf>>,
    start: &'a PathBuf,
) -> Option<Vec<&'a PathBuf>> {
    let mut came_from: BTreeMap<&PathBuf, &PathBuf> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &next in edges.get(node).into_iter().flatten() {
            if next == start {
                let mut cycle = vec![node];
                while let Some(&prev) = came_from.get(cycle.last().unwrap()) {
                    cycle.push(prev);
                }
                cycle.reverse();
                return Some(cycle);
            }
            if !came_from.contains_key(next) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}
