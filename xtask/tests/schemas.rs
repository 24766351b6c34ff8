//! The JSON Schemas of the `--json` documents (xtask/docs/schema): valid schemas, strict ones, linked
//! from README.md, and a check that really fails when a document drifts from its schema.

mod common;

use std::fs;

use common::*;
use serde_json::{json, Value};

/// Every schema, by the name `assert_matches_schema` takes.
const SCHEMAS: &[&str] = &["bump", "plan", "run", "status", "verify"];

fn schema_files() -> Vec<String> {
    list_dir(&docs_dir().join("schema"))
}

fn read_schema(name: &str) -> Value {
    serde_json::from_str(&fs::read_to_string(schema_path(name)).unwrap())
        .unwrap_or_else(|e| panic!("{name}.schema.json is not JSON: {e}"))
}

#[test]
fn every_schema_is_valid_against_its_metaschema() {
    let expected: Vec<String> = SCHEMAS.iter().map(|s| format!("{s}.schema.json")).collect();
    assert_eq!(
        schema_files(),
        expected,
        "xtask/docs/schema holds exactly these schemas"
    );
    let dir = docs_dir().join("schema");
    let out = ci_tool("check-jsonschema")
        .arg("--check-metaschema")
        .args(expected.iter().map(|f| dir.join(f)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The same check refuses a schema its metaschema does not allow.
    let broken = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    fs::write(
        broken.path(),
        r#"{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "strnig"}"#,
    )
    .unwrap();
    let out = ci_tool("check-jsonschema")
        .arg("--check-metaschema")
        .arg(broken.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "a misspelt type passed the metaschema check");
}

/// Every object schema that lists properties is closed and requires them all, and every
/// property says what it is. An object dispatched on a tag (`allOf` of `if`/`then`, like the
/// steps) is closed by the schemas it dispatches to; `if` conditions are not shapes.
fn check_strict(node: &Value, at: &str, faults: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if map.get("type") == Some(&json!("object")) {
                if let Some(Value::Object(properties)) = map.get("properties") {
                    let dispatched = map
                        .get("allOf")
                        .and_then(Value::as_array)
                        .is_some_and(|all| all.iter().all(|branch| branch.get("then").is_some()));
                    if map.get("additionalProperties") != Some(&json!(false)) && !dispatched {
                        faults.push(format!("{at}: additionalProperties is not false"));
                    }
                    let mut required: Vec<&str> = map
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|r| r.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    required.sort();
                    let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
                    names.sort();
                    if required != names {
                        faults.push(format!("{at}: required {required:?} but properties {names:?}"));
                    }
                    for (name, property) in properties {
                        if property["description"].as_str().is_none_or(str::is_empty) {
                            faults.push(format!("{at}/properties/{name}: no description"));
                        }
                    }
                }
            }
            if map.contains_key("required") && !map.contains_key("type") {
                faults.push(format!("{at}: lists required properties but has no type"));
            }
            for (key, child) in map.iter().filter(|(key, _)| *key != "if") {
                check_strict(child, &format!("{at}/{key}"), faults);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_strict(child, &format!("{at}/{i}"), faults);
            }
        }
        _ => {}
    }
}

#[test]
fn every_schema_is_strict_and_described() {
    let mut faults = Vec::new();
    for name in SCHEMAS {
        let schema = read_schema(name);
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}: draft 2020-12"
        );
        for key in ["title", "description"] {
            assert!(
                schema[key].as_str().is_some_and(|s| !s.is_empty()),
                "{name}.schema.json has no {key}"
            );
        }
        check_strict(&schema, &format!("{name}.schema.json#"), &mut faults);
    }
    assert!(faults.is_empty(), "schemas that are not strict:\n{}", faults.join("\n"));
}

#[test]
fn the_schema_check_fails_when_a_document_drifts() {
    let repo = Repo::examples();
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();
    assert_matches_schema(&plan, "plan");

    // Each change, alone, must fail, and check-jsonschema's output must say where and why.
    let changed = |change: &dyn Fn(&mut Value)| {
        let mut doc = plan.clone();
        change(&mut doc);
        doc
    };
    let must_fail = |doc: &Value, schema: &str, says: &[&str]| {
        let said = check_schema(doc, schema).expect_err("a drifted document passed the schema check");
        for s in says {
            assert!(said.contains(s), "expected {s:?} in check-jsonschema's output:\n{said}");
        }
    };
    // (a) an unknown key, at the top and in a plugin
    must_fail(
        &changed(&|d| d["homepage"] = json!("https://example.com")),
        "plan",
        &["$:", "'homepage' was unexpected"],
    );
    must_fail(
        &changed(&|d| d["plugins"][0]["homepage"] = json!("https://example.com")),
        "plan",
        &["$.plugins[0]", "'homepage' was unexpected"],
    );
    // (b) a required key missing, at the top and in a plugin
    must_fail(
        &changed(&|d| {
            d.as_object_mut().unwrap().remove("manifest_sha256");
        }),
        "plan",
        &["'manifest_sha256' is a required property"],
    );
    must_fail(
        &changed(&|d| {
            d["plugins"][0].as_object_mut().unwrap().remove("license");
        }),
        "plan",
        &["$.plugins[0]", "'license' is a required property"],
    );
    // (c) a wrong type, a value outside an enum, a malformed sha256
    must_fail(
        &changed(&|d| d["source_date_epoch"] = json!(EPOCH)),
        "plan",
        &["$.source_date_epoch", "is not of type 'integer'"],
    );
    must_fail(
        &changed(&|d| d["plugins"][0]["group"] = json!(false)),
        "plan",
        &["$.plugins[0].group", "is not of type 'string', 'null'"],
    );
    must_fail(&changed(&|d| d["kind"] = json!("weekly")), "plan", &["$.kind"]);
    must_fail(
        &changed(&|d| d["manifest_sha256"] = json!("ABC123")),
        "plan",
        &["$.manifest_sha256"],
    );
    // A step checks its own fields.
    must_fail(
        &changed(&|d| d["steps"][0]["paths"] = json!("plugins")),
        "plan",
        &["$.steps[0].paths", "is not of type 'array'"],
    );
    // Nightly-like plans have no release units or branch; a bundle plan is one of them.
    must_fail(&changed(&|d| d["branch"] = json!("main")), "plan", &["$.branch"]);
    assert_matches_schema(&changed(&|d| d["kind"] = json!("bundle")), "plan");

    // The run document holds the plan through a $ref to plan.schema.json: it is resolved
    // (from the local file) and applied.
    let run = |plan: Value| {
        json!({
            "plan": plan, "commit": null, "tags": [], "artifacts": [], "built": [], "timings": [],
            "seconds": 1.5,
        })
    };
    assert_matches_schema(&run(plan.clone()), "run");
    must_fail(
        &run(changed(&|d| d["plugins"][0]["layout"] = json!("flit"))),
        "run",
        &["$.plan.plugins[0].layout"],
    );
}

#[test]
fn a_release_plan_with_every_kind_of_step_matches_the_schema() {
    let repo = Repo::bare_examples();
    // The dry run reads the upload index (a version is uploaded once): a real one, on loopback.
    let server = PackageServer::start("schema-pw");
    let manifest = repo.read("release-config.toml")
        + &format!(
            "\n[publish]\npush = true\n\n[publish.upload]\n\
             repository-url = \"http://${{XTASK_TEST_UPLOAD_USER}}@{}/\"\n\
             index-url = \"{}/simple/\"\n",
            server.url.trim_start_matches("http://"),
            server.url
        );
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: push and upload");
    repo.git(&["config", "user.name", "Release Bot"]);
    repo.git(&["config", "user.email", "release-bot@example.com"]);
    let _remote = repo.add_bare_origin();
    let release_dir = tempfile::tempdir().unwrap();
    let plan = repo
        .xtask_with(
            &[
                "release",
                "minor",
                "--platform",
                "linux",
                "--platform",
                "windows",
                "--release-dir",
                &release_dir.path().to_string_lossy(),
                "--json",
            ],
            |c| {
                c.env("XTASK_TEST_UPLOAD_USER", "ci").env("TWINE_PASSWORD", "schema-pw");
            },
        )
        .assert_code(0)
        .json();
    assert_matches_schema(&plan, "plan");

    // Every step the schema knows was checked against a real one.
    let schema = read_schema("plan");
    let known: Vec<&str> = schema["$defs"]["step"]["properties"]["step"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let planned: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    let unchecked: Vec<&&str> = known.iter().filter(|k| !planned.contains(k)).collect();
    assert!(unchecked.is_empty(), "steps not in this plan: {unchecked:?}");
    let upload = planned.iter().position(|s| *s == "upload").unwrap();
    assert_eq!(
        plan["steps"][upload]["upload"]["repository_url"],
        format!(
            "http://${{XTASK_TEST_UPLOAD_USER}}@{}/",
            server.url.trim_start_matches("http://")
        ),
        "the plan keeps ${{VAR}} references, never their values"
    );
}

#[test]
fn the_docs_link_every_schema_where_its_document_is_described() {
    for (heading, schemas) in [
        ("# Plan JSON", &["plan"][..]),
        ("## `cargo xtask plan", &["plan"]),
        ("## `cargo xtask nightly", &["run"]),
        ("## `cargo xtask release", &["plan", "run"]),
        ("## `cargo xtask bump", &["bump"]),
        ("## `cargo xtask status", &["status"]),
        ("## `cargo xtask verify", &["verify"]),
    ] {
        let section = readme_section(heading);
        for schema in schemas {
            let link = format!("](schema/{schema}.schema.json)");
            assert!(section.contains(&link), "{heading:?} does not link {link}");
        }
    }
    let Some(root) = source_repository() else { return };
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    for file in schema_files() {
        assert!(
            readme.contains(&format!("](xtask/docs/schema/{file})")),
            "README.md does not link xtask/docs/schema/{file}"
        );
    }
}

/// Every relative link of README.md and xtask/docs/*.md names a file or folder that exists; the
/// links of xtask/docs/ stay inside xtask/, which is what an adopted copy has.
#[test]
fn every_relative_link_in_the_docs_resolves() {
    let xtask = fs::canonicalize(xtask_dir()).unwrap();
    // Links checked in xtask/docs/ and in README.md.
    let (mut in_pages, mut in_readme) = (0, 0);
    for (file, text) in doc_pages() {
        let page = file.strip_prefix(workspace_root()).unwrap().display().to_string();
        let dir = file.parent().unwrap().to_path_buf();
        let in_docs = file.starts_with(docs_dir());
        let mut in_code = false;
        for line in text.lines() {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            if in_code {
                continue;
            }
            // Not inside `inline code`.
            let line: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
            for (i, _) in line.match_indices("](") {
                let rest = &line[i + 2..];
                let Some(end) = rest.find(')') else { continue };
                let target = rest[..end].split('#').next().unwrap();
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                assert!(dir.join(target).exists(), "{page}: the link {target:?} names nothing");
                assert!(
                    !in_docs || fs::canonicalize(dir.join(target)).unwrap().starts_with(&xtask),
                    "{page}: the link {target:?} leaves xtask/, which adopted copies do not have"
                );
                *if in_docs { &mut in_pages } else { &mut in_readme } += 1;
            }
        }
    }
    assert!(in_pages >= 10, "checked {in_pages} links in xtask/docs/");
    if source_repository().is_some() {
        assert!(in_readme >= 15, "checked {in_readme} links in README.md");
    }
}

/// The README stays a five-minute read: the reference is in xtask/docs/.
#[test]
fn the_readme_stays_short() {
    let Some(root) = source_repository() else { return };
    let size = fs::metadata(root.join("README.md")).unwrap().len();
    assert!(
        size < 15_000,
        "README.md is {size} bytes; move reference text into xtask/docs/"
    );
}
