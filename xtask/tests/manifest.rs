//! Bad manifests: each gets one clear message naming file, line and column, exit code 2 (or 3
//! for paths checked during discovery), and nothing is written.

mod common;

use std::fs;

use common::*;

/// 1-based line and column where `needle` first occurs in the repository's manifest.
fn position(repo: &Repo, needle: &str) -> String {
    let text = repo.read("release-config.toml");
    let offset = text.find(needle).expect("needle in manifest");
    let line = text[..offset].matches('\n').count() + 1;
    let col = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("release-config.toml:{line}:{col}")
}

fn with_manifest(edit: impl FnOnce(String) -> String) -> Repo {
    let repo = Repo::bare_examples();
    let manifest = edit(repo.read("release-config.toml"));
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: manifest under test");
    repo
}

#[test]
fn unknown_key_is_named_with_line_and_column() {
    let repo = with_manifest(|m| {
        m.replacen(
            "name = \"acme-plugins\"",
            "name = \"acme-plugins\"\nverison = \"1.0\"",
            1,
        )
    });
    let run = repo.xtask(&["plan"]);
    run.assert_code(2);
    let at = position(&repo, "verison");
    assert!(
        run.stderr.contains(&format!(
            "error: {at}: unknown field `verison`, expected one of `name`, `output`"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn malformed_toml_is_located() {
    let repo = with_manifest(|m| m.replacen("[plugins]", "[plugins", 1));
    let run = repo.xtask(&["plan"]);
    run.assert_code(2);
    let at = position(&repo, "[plugins\n");
    let (file_line, col) = at.rsplit_once(':').unwrap();
    let col: usize = col.parse().unwrap();
    assert!(
        run.stderr.contains(&format!("error: {file_line}:{}:", col + 8)),
        "points just after `[plugins`:\n{}",
        run.stderr
    );
}

#[test]
fn wrong_types_and_bad_values_are_reported_together() {
    let repo = with_manifest(|m| {
        m.replacen(
            "requirements = [\"pluggy>=1.3\"]",
            "requirements = [\"pluggy>=1.3\", \"tabulate >== 2\"]",
            1,
        )
        .replacen("tags = [\"win_amd64\"]", "tags = [\"win_amd46\"]", 1)
        .replacen("format = \"zip\"", "format = \"rar\"", 1)
    });
    let run = repo.xtask(&["plan"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("release-config.toml has 3 problems"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("not a PEP 508 requirement"), "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown platform tag \"win_amd46\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("unknown archive format \"rar\", expected one of tar.bz2, tar.gz, tar.zst, zip"),
        "{}",
        run.stderr
    );
}

/// The keys of tag families, placeholders and YAML version files: each wrong value named at
/// its line, all at once.
#[test]
fn family_keys_with_wrong_values_are_reported_together() {
    let repo = with_manifest(|m| {
        m.replacen(
            "paths = [\"plugins/*\"]",
            "paths = [\"plugins/*\"]\nversion-files = [{ path = \"meta.json\", kind = \"json\", mode = \"prepend\" }]",
            1,
        ) + "\n[plugin.acme-plugin-base]\ntag = \"base-{version}\"\n\n[plugin.acme-plugin-legacy]\nid = \"leg acy\"\n\n\
             [versioning]\nplaceholder = \"1!0+dev\"\n\n[versioning.requirements]\nhost-app = \"1.10\"\n"
    });
    let run = repo.xtask(&["plan"]);
    run.assert_code(2);
    for (needle, said) in [
        ("\"prepend\" }", "mode = \"prepend\" goes with kind = \"yaml\" only"),
        (
            "acme-plugin-base]\ntag",
            "[plugin.acme-plugin-base] tag: acme-plugin-base is released with the group core under [release] group-tag",
        ),
        ("\"leg acy\"", "id \"leg acy\" cannot stand in a tag"),
        ("\"1!0+dev\"", "[versioning] placeholder needs strategy = \"stamp\""),
        ("host-app", "[versioning.requirements] needs strategy = \"stamp\""),
        ("\"1.10\"", "\"1.10\" is not a version specifier"),
    ] {
        let at = position(&repo, needle);
        assert!(
            run.stderr.contains(&format!("{at}: {said}")),
            "{at}: {said}\n{}",
            run.stderr
        );
    }
}

#[test]
fn a_plugin_path_that_does_not_exist_points_at_the_manifest_line() {
    let repo = with_manifest(|m| {
        m.replacen(
            "paths = [\"plugins/*\"]",
            "paths = [\"plugins/*\", \"extra/acme-plugin-gone\"]",
            1,
        )
    });
    let run = repo.xtask(&["plan"]);
    run.assert_code(3);
    let at = position(&repo, "\"extra/acme-plugin-gone\"");
    assert!(
        run.stderr
            .contains(&format!("{at}: plugin path \"extra/acme-plugin-gone\" does not exist")),
        "{}",
        run.stderr
    );

    // A mistyped path is one error, not also "[plugin.X] names no discovered plugin" for the
    // plugin it meant.
    let repo = with_manifest(|m| {
        m.replacen(
            "paths = [\"plugins/*\"]",
            "paths = [\"plugins/acme-plugin-[bcr]*\", \"plugins/acme-plugin-legcy\"]",
            1,
        ) + "\n[plugin.acme-plugin-legacy]\nupload = false\n"
    });
    let run = repo.xtask(&["plan"]);
    run.assert_code(3);
    let problems: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("  - ")).collect();
    assert_eq!(problems.len(), 1, "{}", run.stderr);
    assert!(
        problems[0].contains("plugin path \"plugins/acme-plugin-legcy\" does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_group_naming_an_unknown_plugin_is_reported() {
    let repo = with_manifest(|m| m.replacen("\"acme-plugin-console\"]", "\"acme-plugin-consle\"]", 1));
    let run = repo.xtask(&["plan", "--platform", "linux"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("group \"core\" names \"acme-plugin-consle\", which is not a discovered plugin"),
        "{}",
        run.stderr
    );
}

#[test]
fn no_manifest_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(dir.path())
        .arg("plan")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no release-config.toml in"), "{stderr}");
}

/// Every key the manifest accepts is documented in xtask/docs/manifest.md: the binary lists the
/// accepted keys of each table in its unknown-field error.
#[test]
fn the_docs_document_every_manifest_key() {
    let readme = std::fs::read_to_string(docs_dir().join("manifest.md")).unwrap();
    // (where to insert an unknown key, the insertion, the README section that must document
    // every key of that table)
    let cases: &[(&str, &str, &str)] = &[
        ("[release]\n", "[release]\nzzz = 1\n", "## `[release]`"),
        ("[plugins]\n", "[plugins]\nzzz = 1\n", "## `[plugins]`"),
        (
            "[plugins]\n",
            "[plugins]\nversion-files = [{ path = \"x\", zzz = 1 }]\n",
            "## `[plugins]`",
        ),
        ("[public]\n", "[public]\nzzz = 1\n", "## `[public]`"),
        (
            "[platforms.linux]\n",
            "[platforms.linux]\nzzz = 1\n",
            "## `[platforms.NAME]`",
        ),
        ("[release]\n", "[python]\nzzz = 1\n\n[release]\n", "## `[python]`"),
        ("[release]\n", "[nightly]\nzzz = 1\n\n[release]\n", "## `[nightly]`"),
        (
            "[release]\n",
            "[nightly.upload]\nrepository-url = \"u\"\nindex-url = \"i\"\nzzz = 1\n\n[release]\n",
            "## `[nightly]`",
        ),
        (
            "[release]\n",
            "[plugin.acme-plugin-base]\nzzz = 1\n\n[release]\n",
            "## `[plugin.NAME]`",
        ),
        ("[release]\n", "[publish]\nzzz = 1\n\n[release]\n", "## `[publish]`"),
        (
            "[release]\n",
            "[publish.upload]\nrepository-url = \"u\"\nindex-url = \"i\"\nzzz = 1\n\n[release]\n",
            "## `[publish]`",
        ),
        (
            "[release]\n",
            "[versioning]\nzzz = 1\n\n[release]\n",
            "## `[versioning]`",
        ),
        ("[ci]\n", "[ci]\nzzz = 1\n", "## `[ci]`"),
        ("[ci]\n", "[ci.gitlab]\nzzz = 1\n\n[ci]\n", "## `[ci]`"),
        ("[release]\n", "zzz = 1\n\n[release]\n", "# Manifest reference"),
    ];
    let mut checked = 0;
    for (anchor, insertion, heading) in cases {
        let start = readme
            .find(heading)
            .unwrap_or_else(|| panic!("xtask/docs/manifest.md has no section {heading:?}"));
        let body = &readme[start + heading.len()..];
        let level = heading.split(' ').next().unwrap();
        let end = body.find(&format!("\n{level} ")).unwrap_or(body.len());
        let section = &body[..end];

        let repo = with_manifest(|m| m.replacen(anchor, insertion, 1));
        let run = repo.xtask(&["plan"]);
        run.assert_code(2);
        // "expected `a`", "expected `a` or `b`", "expected one of `a`, `b`, ..."
        let list = run
            .stderr
            .split("unknown field `zzz`, expected ")
            .nth(1)
            .unwrap_or_else(|| panic!("no key list in:\n{}", run.stderr));
        let keys: Vec<&str> = list.lines().next().unwrap().split('`').skip(1).step_by(2).collect();
        assert!(!keys.is_empty(), "{}", run.stderr);
        for key in keys {
            let documented = if *heading == "# Manifest reference" {
                section.contains(&format!("## `[{key}"))
            } else {
                section.contains(&format!("| `{key}` |"))
            };
            assert!(
                documented,
                "xtask/docs/manifest.md section {heading:?} does not document the key {key:?}"
            );
            checked += 1;
        }
    }
    assert!(checked > 25, "checked {checked} keys");
}

#[test]
fn an_empty_group_is_reported_by_every_command_not_a_crash() {
    let repo = with_manifest(|m| m.replacen("[groups]\n", "[groups]\nempty = []\n", 1));
    let at = position(&repo, "empty = []");
    for args in [
        &["plan", "--platform", "linux"][..],
        &["bump", "minor"],
        &["release", "minor"],
    ] {
        let run = repo.xtask(args);
        run.assert_code(2);
        assert!(
            run.stderr.contains(&format!(
                "{at}: group \"empty\" lists no plugins: name its plugins or remove it"
            )),
            "{args:?}:\n{}",
            run.stderr
        );
    }
}

#[test]
fn archive_needs_no_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    std::fs::write(dir.path().join("folder/a.txt"), "a").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(dir.path())
        .args(["archive", "--format", "tar.gz", "folder", "packed.tar.gz"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = run_ok(
        std::process::Command::new("tar")
            .arg("tzf")
            .arg(dir.path().join("packed.tar.gz")),
    );
    assert_eq!(String::from_utf8_lossy(&listed.stdout), "packed/\npacked/a.txt\n");
}

#[test]
fn an_invalid_source_date_epoch_is_a_usage_error_everywhere() {
    let repo = Repo::examples();
    std::fs::create_dir(repo.path().join("folder")).unwrap();
    for args in [
        &["plan", "--platform", "linux"][..],
        &["bump", "minor"][..],
        &["archive", "folder", "target/packed.tar.bz2"][..],
    ] {
        let run = repo.xtask_with(args, |c| {
            c.env("SOURCE_DATE_EPOCH", "yesterday");
        });
        run.assert_code(2);
        assert!(
            run.stderr
                .contains("SOURCE_DATE_EPOCH=\"yesterday\" is not a number of seconds since 1970"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert!(!repo.path().join("target/packed.tar.bz2").exists());
}

#[test]
fn a_folder_that_is_not_a_python_project_is_named_once() {
    let repo = Repo::bare_examples();
    repo.write("docs/README.md", "not a plugin\n");
    let manifest =
        repo.read("release-config.toml")
            .replacen("paths = [\"plugins/*\"]", "paths = [\"plugins/*\", \"docs\"]", 1);
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: a plugin path that is no Python project");
    let run = repo.xtask(&["plan", "--platform", "linux"]);
    run.assert_code(3);
    assert!(
        run.stderr.contains("docs: matched by \"docs\"") && run.stderr.contains("has no pyproject.toml"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("does not exist"), "{}", run.stderr);
}

#[test]
fn bad_inputs_that_would_fail_later_are_refused_before_anything_runs() {
    let long = "a".repeat(300);
    let release = |line: &str| {
        let line = line.to_string();
        move |m: String| {
            m.replacen(
                "name = \"acme-plugins\"",
                &format!("name = \"acme-plugins\"\n{line}"),
                1,
            )
        }
    };
    type Edit = Box<dyn Fn(String) -> String>;
    let cases: Vec<(&str, Edit, i32, &str)> = vec![
        (
            "a 300-character release name",
            Box::new(move |m: String| m.replacen("acme-plugins", &long, 1)),
            2,
            "must be a portable file name",
        ),
        (
            "a release name like an option",
            Box::new(|m: String| m.replacen("\"acme-plugins\"", "\"-rf\"", 1)),
            2,
            "release name \"-rf\" must be a portable file name",
        ),
        (
            "a tag with a space",
            Box::new(release("group-tag = \"v {version}\"")),
            2,
            "gives tags such as \"v 1.2.0\", which git refuses: it contains a space",
        ),
        (
            "a tag like an option",
            Box::new(release("group-tag = \"-{version}\"")),
            2,
            "which git refuses: it starts with `-`",
        ),
        (
            "a tag with ..",
            Box::new(release("group-tag = \"{group}..{version}\"")),
            2,
            "which git refuses: it contains `..`",
        ),
        (
            "a tag without the version",
            Box::new(release("group-tag = \"release\"")),
            2,
            "has no {version}: every release would get the same tag",
        ),
        (
            "an empty commit message",
            Box::new(release("commit-message = \"\"")),
            2,
            "commit-message must not be empty",
        ),
        (
            "an index URL that is no URL",
            Box::new(|m: String| m.replacen("[public]\n", "[public]\nextra-index-urls = [\"not-a-url\"]\n", 1)),
            2,
            "\"not-a-url\" is not a URL",
        ),
        (
            "a token in a query string",
            Box::new(|m: String| {
                m.replacen(
                    "[public]\n",
                    "[public]\nextra-index-urls = [\"https://pkgs.example/simple?token=abc123secret\"]\n",
                    1,
                )
            }),
            2,
            "the query parameter \"token\" of a URL holds a credential",
        ),
        (
            "an empty ABI",
            Box::new(|m: String| m.replacen("python = \"3.11\"\n", "python = \"3.11\"\nabi = \"\"\n", 1)),
            2,
            "abi \"\" is not an ABI tag",
        ),
        (
            "a find-links folder that does not exist",
            Box::new(|m: String| m.replacen("[public]\n", "[public]\nfind-links = [\"../outside\"]\n", 1)),
            2,
            "find-links folder \"../outside\" does not exist",
        ),
        (
            "an output folder inside .git",
            Box::new(release("output = \".git\"")),
            2,
            "output \".git\" is inside .git",
        ),
        (
            "tag and group-tag equal",
            Box::new(release("tag = \"v{version}\"")),
            2,
            "tag and group-tag are both \"v{version}\": a plugin released alone and a group would make the same tag",
        ),
        (
            "a Python 2 platform",
            Box::new(|m: String| m.replacen("python = \"3.11\"", "python = \"2.7\"", 1)),
            2,
            "python \"2.7\": bundles are built and installed with Python 3",
        ),
        (
            "a password in a requirement's URL",
            Box::new(|m: String| {
                m.replacen(
                    "requirements = [\"pluggy>=1.3\"]",
                    "requirements = [\"pluggy>=1.3\", \"tool @ https://user:abc123secret@files.example/tool-1.0-py3-none-any.whl\"]",
                    1,
                )
            }),
            2,
            "a requirement's URL holds a password",
        ),
    ];
    for (what, edit, code, expected) in cases {
        let repo = with_manifest(edit);
        let before = repo.snapshot();
        for args in [&["plan"][..], &["nightly", "--platform", "linux"][..]] {
            let run = repo.xtask(args);
            assert_eq!(run.code, code, "{what}: exit code of {args:?}\n{}", run.stderr);
            assert!(run.stderr.contains(expected), "{what}: {expected:?} in\n{}", run.stderr);
            assert!(
                run.stderr.contains("release-config.toml"),
                "{what}: names the file\n{}",
                run.stderr
            );
            assert!(!run.stderr.contains("abc123secret"), "{what}: the token is never shown");
        }
        assert!(repo.snapshot() == before, "{what}: nothing written");
        assert!(!repo.path().join("dist").exists(), "{what}: no output");
    }
}

#[test]
fn a_manifest_that_is_not_utf8_and_plugin_names_pip_refuses_are_named() {
    let repo = Repo::examples();
    let mut bytes = repo.read("release-config.toml").into_bytes();
    let at = bytes.windows(12).position(|w| w == b"acme-plugins").unwrap();
    bytes[at + 4] = 0xE9; // a Latin-1 é
    std::fs::write(repo.path().join("release-config.toml"), bytes).unwrap();
    let run = repo.xtask(&["plan"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("release-config.toml:5:13: the manifest is not UTF-8 text: save it as UTF-8"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("create it"), "{}", run.stderr);

    for bad in ["acme-plügin", "acme/plugin"] {
        let repo = Repo::bare_examples();
        let file = "plugins/acme-plugin-base/pyproject.toml";
        repo.write(
            file,
            &repo
                .read(file)
                .replacen("name = \"acme-plugin-base\"", &format!("name = \"{bad}\""), 1),
        );
        repo.commit("fixture: a plugin name pip refuses");
        let run = repo.xtask(&["plan"]);
        assert!(
            run.stderr
                .contains(&format!("the plugin's name {bad:?} is not a valid distribution name")),
            "{}",
            run.stderr
        );
        assert_ne!(run.code, 0);
    }
}

/// The examples at this repository's root (what the README's first command releases) are the
/// tests' fixture, file for file. In a repository the xtask was copied into, the root holds
/// that repository's own plugins and this comparison does not apply.
#[test]
fn the_root_examples_are_the_test_fixture() {
    let Some(root) = source_repository() else { return };
    fn tree(dir: &std::path::Path, rel: &str, out: &mut Vec<(String, Vec<u8>)>) {
        for name in list_dir(dir) {
            if name == "__pycache__" || name.ends_with(".egg-info") {
                continue;
            }
            let path = dir.join(&name);
            let rel = format!("{rel}/{name}");
            if path.is_dir() {
                tree(&path, &rel, out);
            } else {
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    let (mut ours, mut fixture) = (Vec::new(), Vec::new());
    tree(&root.join("plugins"), "plugins", &mut ours);
    tree(&fixture_root().join("plugins"), "plugins", &mut fixture);
    let names = |files: &[(String, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&fixture), "the same files");
    for ((name, a), (_, b)) in ours.iter().zip(&fixture) {
        assert!(
            a == b,
            "{name} differs from xtask/tests/fixtures/acme/{name}: copy it there"
        );
    }
    assert_eq!(
        std::fs::read_to_string(root.join("release-config.toml")).unwrap(),
        std::fs::read_to_string(fixture_root().join("release-config.toml")).unwrap(),
        "release-config.toml differs from xtask/tests/fixtures/acme/release-config.toml"
    );
}

/// States of the repository that would make a run fail half-way are prechecks of the plan:
/// git's index locked by another (or a killed) git command, an output folder that is a file.
#[test]
fn a_locked_git_index_or_an_output_file_is_a_precheck() {
    for (what, make, expected) in [
        (
            "a locked index",
            Box::new(|repo: &Repo| fs::write(repo.path().join(".git/index.lock"), "").unwrap()) as Box<dyn Fn(&Repo)>,
            "index.lock exists: another git command is running, or one was killed",
        ),
        (
            "dist is a file",
            Box::new(|repo: &Repo| fs::write(repo.path().join("dist"), "not a folder").unwrap()),
            "dist is a file, not a folder",
        ),
    ] {
        let repo = Repo::examples();
        make(&repo);
        let before = repo.snapshot();
        let tags = repo.git(&["tag"]);
        for args in [
            &["plan"][..],
            &["release", "patch"][..],
            &["release", "patch", "--execute"][..],
        ] {
            let run = repo.xtask(args);
            assert_eq!(run.code, 3, "{what}: exit code of {args:?}\n{}", run.stderr);
            assert!(run.stderr.contains(expected), "{what}: {expected:?} in\n{}", run.stderr);
        }
        assert!(repo.snapshot() == before, "{what}: nothing written");
        assert_eq!(repo.git(&["tag"]), tags, "{what}: no tag");
    }

    // An output folder that holds the repository, a release folder nothing can be written to.
    let repo = Repo::examples();
    for (args, expected) in [
        (
            &["nightly", "--platform", "linux", "--output", "/"][..],
            "the output folder / contains the repository",
        ),
        (
            &[
                "release",
                "patch",
                "--platform",
                "linux",
                "--release-dir",
                "/proc/self",
                "--execute",
            ][..],
            "the release folder /proc/self cannot be written",
        ),
    ] {
        let run = repo.xtask(args);
        assert_eq!(run.code, 3, "{args:?}\n{}", run.stderr);
        assert!(
            run.stderr.contains(expected),
            "{args:?}: {expected:?} in\n{}",
            run.stderr
        );
    }
    assert!(!repo.path().join("dist").exists());
}

/// Every kind of bad input exits with the code `xtask/docs/commands.md` gives it ("Exit
/// codes"): 2 for a usage error or a manifest that is invalid in itself (syntax, unknown keys,
/// wrong types or values), 3 for a check that fails (something named that does not exist, an
/// unset `${VAR}`, the repository's state), 4 for a release that holds the lock.
#[test]
fn exit_codes_match_the_documented_table() {
    let docs = fs::read_to_string(xtask_dir().join("docs/commands.md")).unwrap();
    for row in [
        "| 2 | usage error, or a manifest that is invalid in itself (syntax, unknown keys, wrong types or values) |",
        "| 3 | a check before running failed:",
        "| 4 | another release holds the lock |",
    ] {
        assert!(docs.contains(row), "commands.md's exit code table has {row:?}");
    }
    type Setup = fn(&Repo);
    /// What the case is, the manifest text replaced (from, to), a setup, the command, the code.
    type Case<'a> = (&'a str, (&'a str, &'a str), Setup, &'a [&'a str], i32);
    let manifest = |from: &'static str, to: &'static str| (from, to);
    let none: Setup = |_| {};
    let dry: &[&str] = &["release", "patch", "--platform", "linux"];
    let cases: Vec<Case> = vec![
        ("TOML syntax", manifest("[release]", "[release"), none, dry, 2),
        (
            "unknown key",
            manifest("[release]\n", "[release]\ncolour = 1\n"),
            none,
            dry,
            2,
        ),
        (
            "wrong type",
            manifest("branches = [\"main\"]", "branches = \"main\""),
            none,
            dry,
            2,
        ),
        (
            "archive-name placeholder",
            manifest("[release]\n", "[release]\narchive-name = \"{release}-{nope}\"\n"),
            none,
            dry,
            2,
        ),
        (
            "tag placeholder",
            manifest("[release]\n", "[release]\ntag = \"{nmae}-{version}\"\n"),
            none,
            dry,
            2,
        ),
        (
            "tag equal to group-tag",
            manifest(
                "[release]\n",
                "[release]\ntag = \"v{version}\"\ngroup-tag = \"v{version}\"\n",
            ),
            none,
            dry,
            2,
        ),
        (
            "python 2",
            manifest("python = \"3.11\"", "python = \"2.7\""),
            none,
            dry,
            2,
        ),
        (
            "archive format",
            manifest("format = \"zip\"", "format = \"rar\""),
            none,
            dry,
            2,
        ),
        (
            "password in an index URL",
            manifest(
                "[ci]",
                "[publish.upload]\nrepository-url = \"https://ci:hunter2@pkgs.example/\"\n\
                 index-url = \"https://pkgs.example/simple/\"\n\n[ci]",
            ),
            none,
            dry,
            2,
        ),
        (
            "password in a requirement URL",
            manifest(
                "requirements = [\"pluggy>=1.3\"]",
                "requirements = [\"pluggy @ https://ci:hunter2@pkgs.example/pluggy-1.5.0-py3-none-any.whl\"]",
            ),
            none,
            dry,
            2,
        ),
        (
            "unknown option",
            manifest("", ""),
            none,
            &["release", "patch", "--frobnicate"],
            2,
        ),
        ("unknown level", manifest("", ""), none, &["release", "sideways"], 2),
        (
            "unknown platform",
            manifest("", ""),
            none,
            &["release", "patch", "--platform", "solaris"],
            3,
        ),
        (
            "unknown group member",
            manifest(
                "\"acme-plugin-console\"]",
                "\"acme-plugin-console\", \"acme-plugin-nope\"]",
            ),
            none,
            dry,
            3,
        ),
        (
            "unknown [plugin.X]",
            manifest("[public]\n", "[plugin.acme-plugin-nope]\nupload = false\n\n[public]\n"),
            none,
            dry,
            3,
        ),
        (
            "unset ${VAR}",
            manifest(
                "[ci]",
                "[publish.upload]\nrepository-url = \"https://ci:${XTASK_TEST_UNSET}@pkgs.example/\"\n\
                 index-url = \"https://pkgs.example/simple/\"\n\n[ci]",
            ),
            none,
            dry,
            3,
        ),
        (
            "uncommitted change",
            manifest("", ""),
            |repo| repo.write("plugins/acme-plugin-base/README.md", "changed\n"),
            dry,
            3,
        ),
        (
            "locked git index",
            manifest("", ""),
            |repo| fs::write(repo.path().join(".git/index.lock"), "").unwrap(),
            dry,
            3,
        ),
        (
            "output folder /",
            manifest("", ""),
            none,
            &["nightly", "--platform", "linux", "--output", "/"],
            3,
        ),
        (
            "unwritable release folder",
            manifest("", ""),
            none,
            &["release", "patch", "--platform", "linux", "--release-dir", "/proc/self"],
            3,
        ),
    ];
    let mut wrong = Vec::new();
    for (what, (from, to), setup, args, code) in cases {
        let repo = Repo::bare_examples();
        let text = repo.read("release-config.toml");
        assert!(text.contains(from), "{what}: the examples' manifest has {from:?}");
        repo.write("release-config.toml", &text.replacen(from, to, 1));
        repo.commit("fixture: a bad input");
        setup(&repo);
        let run = repo.xtask_with(args, |c| {
            c.env_remove("XTASK_TEST_UNSET");
        });
        if run.code != code || run.stderr.contains("duplicate key") {
            wrong.push(format!(
                "{what}: exit {} (documented: {code})\n{}",
                run.code, run.stderr
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "exit codes that disagree with the docs:\n{}",
        wrong.join("\n")
    );
}

/// A full disk is said as such, whatever the program that hit it printed ("ensurepip returned
/// non-zero"), and nothing is left half-written. The work folder is a 4 MiB tmpfs mounted in a
/// user and mount namespace of its own (`unshare -rm`), where the build-tools venv cannot fit.
#[test]
fn a_full_disk_is_named() {
    let repo = Repo::examples();
    let small = tempfile::tempdir().unwrap();
    let before = repo.snapshot();
    let mut run = repo.command("unshare");
    run.args([
        "-rm",
        "sh",
        "-c",
        "mount -t tmpfs -o size=4m tmpfs \"$0\" && exec \"$@\"",
    ])
    .arg(small.path())
    .arg(env!("CARGO_BIN_EXE_xtask"))
    .args(["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER])
    .env("CARGO_TARGET_DIR", small.path());
    let out = run.output().expect("unshare (util-linux) is installed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no space left on device (the disk holding ")
            && stderr.contains("free some space and run again"),
        "{stderr}"
    );
    assert!(repo.snapshot() == before, "nothing written to the working tree");
    assert!(!repo.path().join("dist").exists(), "no output folder");
}

/// Metadata static reading cannot read exactly comes from the build backend, and what the
/// backend says is checked before anything is built: a version computed in setup.py from a
/// file the release does not stamp, a sibling requirement written as an f-string (its pin
/// could not be rewritten), a pyproject.toml with no version at all. A requirement static
/// reading missed is in the plan (never a silently empty list).
#[test]
fn computed_metadata_is_checked_against_the_build_backend() {
    let setup = "plugins/acme-plugin-legacy/setup.py";
    let dry: &[&str] = &["release", "patch", "--platform", "linux"];
    // A version read from a VERSION file that says something else than __init__.py.
    let repo = Repo::bare_examples();
    repo.write(
        setup,
        &repo.read(setup).replacen(
            "version=read_version(),",
            "version=open(os.path.join(HERE, \"VERSION\")).read().strip(),",
            1,
        ),
    );
    repo.write("plugins/acme-plugin-legacy/VERSION", "2.0.0\n");
    repo.commit("fixture: a version computed from another file");
    let run = repo.xtask(dry);
    run.assert_code(3);
    assert!(
        run.stderr.contains(
            "plugins/acme-plugin-legacy: its build backend gives version 2.0.0 (setup.py computes it), but the \
             version files this tool reads and stamps give 2.1.3 (acme_plugin_legacy/__init__.py)"
        ),
        "{}",
        run.stderr
    );
    // Agreeing, it passes (and the backend's answer is cached: the second run is the same).
    repo.write("plugins/acme-plugin-legacy/VERSION", "2.1.3\n");
    repo.commit("fixture: the same version");
    repo.xtask(dry).assert_code(0);
    repo.xtask(dry).assert_code(0);

    // Requirements written as f-strings: the sibling's pin cannot be rewritten, so it must
    // accept the sibling's new version (a patch release: yes; a minor one: no); the public one
    // is in the plan.
    let repo = Repo::bare_examples();
    repo.write(
        setup,
        &repo
            .read(setup)
            .replacen(
                "    install_requires=[\n        \"acme-plugin-base==1.4.*,>=1.4.0\",\n    ],",
                "    install_requires=[f\"acme-plugin-base{PIN}\", f\"tabulate>={TAB}\"],",
                1,
            )
            .replacen("HERE = ", "PIN = \"==1.4.*,>=1.4.0\"\nTAB = \"0.9\"\nHERE = ", 1),
    );
    repo.commit("fixture: f-string requirements");
    repo.xtask(dry).assert_code(0);
    let run = repo.xtask(&["release", "minor", "--platform", "linux"]);
    run.assert_code(3);
    assert!(
        run.stderr.contains(
            "plugins/acme-plugin-legacy: setup.py computes the requirement \"acme-plugin-base==1.4.*,>=1.4.0\" on \
             the sibling plugin acme-plugin-base (so its build copy says, asked of its build backend), which \
             excludes 1.5.0, the version of acme-plugin-base this run builds"
        ),
        "{}",
        run.stderr
    );
    let plan = repo.xtask(&["plan", "--json"]).json();
    let legacy = plan_plugin(&plan, "acme-plugin-legacy").clone();
    assert!(
        legacy["dependencies"].to_string().contains("tabulate>=0.9"),
        "{}",
        legacy["dependencies"]
    );
    assert_eq!(legacy["from_backend"], serde_json::json!(["version", "dependencies"]));

    // A pyproject.toml without a version (and none dynamic): no backend builds it.
    let repo = Repo::bare_examples();
    let pyproject = "plugins/acme-plugin-base/pyproject.toml";
    repo.write(
        pyproject,
        &repo.read(pyproject).replacen("version = \"1.4.0\"\n", "", 1),
    );
    repo.commit("fixture: no version");
    let run = repo.xtask(dry);
    run.assert_code(3);
    assert!(
        run.stderr.contains(
            "plugins/acme-plugin-base/pyproject.toml: [project] has no `version` and does not list it in `dynamic`"
        ),
        "{}",
        run.stderr
    );
}

/// A tag template that cannot tell independent units apart is refused by the dry run, naming
/// the units, the key and the placeholder to add (it used to plan one tag twice and fail at
/// the second `git tag`, after the commit).
#[test]
fn a_tag_template_that_gives_two_units_one_tag_is_refused() {
    let repo = Repo::bare_examples();
    let manifest = repo
        .read("release-config.toml")
        .replacen(
            "core = [\"acme-plugin-base\", \"acme-plugin-reports\", \"acme-plugin-console\"]",
            "",
            1,
        )
        .replacen("[release]\n", "[release]\ntag = \"plugins/{version}\"\n", 1);
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: one tag for every plugin");
    let run = repo.xtask(&["release", "minor", "--platform", "linux"]);
    run.assert_code(3);
    assert!(
        run.stderr.contains(
            "acme-plugin-base and acme-plugin-console would both be tagged plugins/{version} ([release] tag = \
             \"plugins/{version}\"): each would read the other's releases as its own. Put {name} or {id} in the \
             template (e.g. \"providers-{id}/{version}\"), or give one of them its own [plugin.NAME] tag"
        ),
        "{}",
        run.stderr
    );
}
