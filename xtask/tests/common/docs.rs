//! The JSON documents and manifest keys are documented: every key emitted appears in
//! `xtask/docs/`, and every document matches its schema (check-jsonschema).

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use super::*;

/// The xtask's reference, `xtask/docs/`: it travels with the xtask into adopted repositories.
pub fn docs_dir() -> PathBuf {
    xtask_dir().join("docs")
}

/// The root of this tool's own source repository, or `None` (saying so) in a repository the
/// xtask was copied into: there the root's README.md, plugins, workflows and scripts are that
/// repository's own, and the checks of ours against the code do not apply.
pub fn source_repository() -> Option<PathBuf> {
    let root = workspace_root();
    if root.join("scripts/adopt.sh").is_file() {
        Some(root)
    } else {
        eprintln!(
            "not this tool's source repository (no scripts/adopt.sh at {}): nothing to check",
            root.display()
        );
        None
    }
}

/// The pages of `xtask/docs/`, and README.md in this tool's source repository, as (file,
/// text).
pub fn doc_pages() -> Vec<(PathBuf, String)> {
    let mut files: Vec<PathBuf> = list_dir(&docs_dir())
        .into_iter()
        .filter(|name| name.ends_with(".md"))
        .map(|name| docs_dir().join(name))
        .collect();
    if let Some(root) = source_repository() {
        files.insert(0, root.join("README.md"));
    }
    files
        .into_iter()
        .map(|file| {
            let text = fs::read_to_string(&file).unwrap();
            (file, text)
        })
        .collect()
}

/// The section under the heading that starts with `heading` (up to the next heading of the
/// same or a higher level), in a page of xtask/docs/ (or README.md).
pub fn readme_section(heading: &str) -> String {
    let (readme, start) = doc_pages()
        .into_iter()
        .find_map(|(_, text)| {
            let at = format!("\n{text}").find(&format!("\n{heading}"))?;
            Some((format!("\n{text}"), at))
        })
        .unwrap_or_else(|| panic!("no page of xtask/docs/ has a heading {heading:?}"));
    let level = heading.chars().take_while(|c| *c == '#').count();
    let rest = &readme[start + 1..];
    let end = rest
        .match_indices("\n#")
        .find(|(i, _)| rest[i + 1..].chars().take_while(|c| *c == '#').count() <= level)
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].to_string()
}

/// Every object key in `value` (recursively; not inside maps keyed by data, like `notes`)
/// appears in `docs` as `` `key` `` or `"key"`.
pub fn assert_keys_documented(value: &serde_json::Value, docs: &str, what: &str) {
    fn walk(v: &serde_json::Value, keys: &mut std::collections::BTreeSet<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map {
                    keys.insert(k.clone());
                    if k != "notes" {
                        walk(child, keys);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, keys)),
            _ => {}
        }
    }
    let mut keys = std::collections::BTreeSet::new();
    walk(value, &mut keys);
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !docs.contains(&format!("`{k}`")) && !docs.contains(&format!("\"{k}\"")))
        .collect();
    assert!(
        missing.is_empty(),
        "the docs do not document these keys of {what}: {missing:?}"
    );
}

/// `xtask/docs/schema/<schema>.schema.json`.
pub fn schema_path(schema: &str) -> PathBuf {
    docs_dir().join("schema").join(format!("{schema}.schema.json"))
}

/// `files` validate against check-jsonschema's builtin schema `builtin`
/// (`vendor.github-workflows`, `vendor.gitlab-ci`).
pub fn assert_builtin_schema(builtin: &str, files: &[PathBuf]) {
    let out = ci_tool("check-jsonschema")
        .args(["--builtin-schema", builtin])
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A program of the cached validators venv (`check-jsonschema`, `zizmor`).
pub fn ci_tool(program: &str) -> Command {
    let venv_python = tool_venv("ci-tools-venv", CI_TOOLS);
    Command::new(venv_python.parent().unwrap().join(program))
}

/// check-jsonschema's verdict on `value` against `xtask/docs/schema/<schema>.schema.json`: `Err`
/// with its output when the value does not match.
pub fn check_schema(value: &serde_json::Value, schema: &str) -> Result<(), String> {
    let schema_file = schema_path(schema);
    assert!(schema_file.is_file(), "{} does not exist", schema_file.display());
    let mut instance = tempfile::Builder::new()
        .prefix(&format!("{schema}-"))
        .suffix(".json")
        .tempfile()
        .unwrap();
    serde_json::to_writer_pretty(&mut instance, value).unwrap();
    instance.flush().unwrap();
    let out = ci_tool("check-jsonschema")
        .arg("--schemafile")
        .arg(&schema_file)
        .arg(instance.path())
        .output()
        .expect("run check-jsonschema");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(())
    } else {
        Err(said)
    }
}

/// `value` (a `--json` document) is valid against `xtask/docs/schema/<schema>.schema.json`.
pub fn assert_matches_schema(value: &serde_json::Value, schema: &str) {
    if let Err(said) = check_schema(value, schema) {
        panic!("the document does not match xtask/docs/schema/{schema}.schema.json:\n{said}\ndocument:\n{value:#}");
    }
}
