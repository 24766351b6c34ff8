//! `bump` and `changelog`, the two version strategies, and the checks that refuse a bump.

mod common;

use std::fs;
use std::process::Command;

use common::*;

/// The example plugins kept with placeholder versions (`0.0.0`) and the `stamp` strategy, the
/// released versions recorded by tags.
fn stamp_repo() -> Repo {
    let repo = Repo::bare_examples();
    for dir in [
        "acme-plugin-base",
        "acme-plugin-console",
        "acme-plugin-legacy",
        "acme-plugin-reports",
    ] {
        for entry in walk(&repo.path().join("plugins").join(dir)) {
            if entry.extension().is_some_and(|e| e == "md") {
                continue;
            }
            let text = fs::read_to_string(&entry).unwrap();
            let placeholder = text
                .replace("1.4.0", "0.0.0")
                .replace("1.4.*", "0.0.*")
                .replace("2.1.3", "0.0.0");
            fs::write(&entry, placeholder).unwrap();
        }
    }
    let manifest = repo.read("release-config.toml") + "\n[versioning]\nstrategy = \"stamp\"\n";
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: placeholder versions");
    repo.git(&["tag", "v1.4.0"]);
    repo.git(&["tag", "acme-plugin-legacy-v2.1.3"]);
    repo.git(&["tag", "acme-plugin-legacy-v2.0.0"]);
    repo
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn bump_shows_versions_tags_notes_and_diffs_and_writes_nothing() {
    let repo = Repo::examples();
    let before = repo.snapshot();
    let run = repo.xtask(&["bump", "minor"]);
    run.assert_code(0);
    for expected in [
        "acme-plugin-base             1.4.0 -> 1.5.0",
        "acme-plugin-legacy           2.1.3 -> 2.2.0",
        "  v1.5.0\n",
        "  acme-plugin-legacy-v2.2.0\n",
        "release notes of acme-plugin-base 1.5.0:\n    ### Added\n    - `unregister()` removes a plugin from the registry.",
        "--- a/plugins/acme-plugin-base/pyproject.toml\n+++ b/plugins/acme-plugin-base/pyproject.toml",
        "-version = \"1.4.0\"\n+version = \"1.5.0\"",
        "-        \"acme-plugin-base==1.4.*,>=1.4.0\",\n+        \"acme-plugin-base==1.5.*,>=1.5.0\",",
        "+## [1.5.0] - 2026-11-21",
        "dry run: nothing was written. Run again with --execute",
    ] {
        assert!(run.stdout.contains(expected), "missing {expected:?} in:\n{}", run.stdout);
    }
    assert!(repo.snapshot() == before, "a dry run writes nothing");
}

#[test]
fn bump_execute_changes_only_version_bytes_and_changelogs() {
    let repo = Repo::bare_examples();
    // A CRLF file with a comment and single quotes must keep all of them.
    let init = "plugins/acme-plugin-legacy/acme_plugin_legacy/__init__.py";
    repo.write(
        init,
        &repo
            .read(init)
            .replace('\n', "\r\n")
            .replace("__version__ = '2.1.3'", "__version__ = '2.1.3'  # keep me"),
    );
    repo.commit("fixture: CRLF");
    let before = repo.snapshot();

    let run = repo.xtask(&["bump", "patch", "--execute"]);
    run.assert_code(0);
    assert!(run.stdout.contains("wrote 12 file(s)"), "{}", run.stdout);
    let after = repo.snapshot();
    assert_eq!(before.len(), after.len());
    for ((path, old), (_, new)) in before.iter().zip(&after) {
        let (old, new) = (String::from_utf8_lossy(old), String::from_utf8_lossy(new));
        if path.ends_with("CHANGELOG.md") {
            // Every unit is bumped, so every changelog gets its release heading.
            let version = if path.contains("legacy") { "2.1.4" } else { "1.4.1" };
            assert_eq!(
                new,
                old.replacen(
                    "## [Unreleased]",
                    &format!("## [Unreleased]\n\n## [{version}] - 2026-11-21"),
                    1
                ),
                "{path}"
            );
            continue;
        }
        let version_file =
            path.ends_with("pyproject.toml") || path.ends_with("__init__.py") || path.ends_with("setup.py");
        let expected = if version_file {
            old.replace("2.1.3", "2.1.4")
                .replace("1.4.*,>=1.4.0", "1.4.*,>=1.4.1")
                .replace("\"1.4.0\"", "\"1.4.1\"")
        } else {
            old.to_string()
        };
        assert_eq!(new, expected, "{path}: only version text may change");
    }
    assert!(repo.read(init).contains("__version__ = '2.1.4'  # keep me\r\n"));
    // Nothing committed or tagged: that is the release's job.
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "1");
    assert_eq!(repo.git(&["tag", "--list"]), "");
}

/// The examples' changelogs rewritten as `RELEASE.md` files in the style of some real
/// repositories: `# Upcoming Release` above `# Release X` sections with `##` subsections.
fn release_md_repo() -> Repo {
    let repo = Repo::bare_examples();
    for dir in walk(&repo.path().join("plugins"))
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "CHANGELOG.md"))
    {
        let text = fs::read_to_string(&dir).unwrap();
        let mut out = String::new();
        for line in text.lines() {
            let line = if line == "# Changelog" {
                continue;
            } else if line == "## [Unreleased]" {
                "# Upcoming Release".to_string()
            } else if let Some(rest) = line.strip_prefix("## [") {
                format!("# Release {}", rest.split(']').next().unwrap())
            } else if let Some(rest) = line.strip_prefix("### ") {
                format!("## {rest}")
            } else {
                line.to_string()
            };
            out.push_str(&line);
            out.push('\n');
        }
        fs::write(dir.with_file_name("RELEASE.md"), out.trim_start()).unwrap();
        fs::remove_file(&dir).unwrap();
    }
    repo.append_manifest(
        "[versioning]\nchangelog = \"RELEASE.md\"\n\
             changelog-heading = \"# Release {version}\"\nchangelog-unreleased = \"# Upcoming Release\"\n",
        "fixture: RELEASE.md files",
    );
    repo
}

#[test]
fn changelogs_in_another_style_are_read_and_promoted_in_that_style() {
    let repo = release_md_repo();
    let log = "plugins/acme-plugin-legacy/RELEASE.md";
    assert_eq!(
        repo.read(log),
        "# Upcoming Release\n\n## Fixed\n- Values containing `=` are kept whole.\n\n# Release 2.1.3\n\n\
         ## Fixed\n- Records with an empty comment field no longer abort the import.\n"
    );
    let run = repo.xtask(&["bump", "minor", "--execute"]);
    run.assert_code(0);
    // The notes are the upcoming section only, never the history below it.
    assert!(
        run.stdout.contains(
            "release notes of acme-plugin-legacy 2.2.0:\n    ## Fixed\n    - Values containing `=` are kept whole.\n"
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("no longer abort"), "{}", run.stdout);
    assert_eq!(
        repo.read(log),
        "# Upcoming Release\n\n# Release 2.2.0\n\n## Fixed\n- Values containing `=` are kept whole.\n\n\
         # Release 2.1.3\n\n## Fixed\n- Records with an empty comment field no longer abort the import.\n"
    );
    let listed = repo.xtask(&["changelog", "--plugin", "acme-plugin-legacy"]);
    listed.assert_code(0);
    assert_eq!(
        listed.stdout,
        "# Release 2.2.0\n\n## Fixed\n- Values containing `=` are kept whole.\n\n\
         # Release 2.1.3\n\n## Fixed\n- Records with an empty comment field no longer abort the import.\n\n"
    );

    // Nothing to release in the new empty section: the message names the file, line and heading.
    let again = repo.xtask(&["bump", "patch"]);
    again.assert_code(3);
    assert!(
        again
            .stderr
            .contains("plugins/acme-plugin-legacy/RELEASE.md:1: the unreleased section is empty"),
        "{}",
        again.stderr
    );
}

#[test]
fn a_missing_section_is_accepted_when_empty_ones_are_and_changelogs_can_be_off() {
    let repo = Repo::bare_examples();
    let log = "plugins/acme-plugin-legacy/CHANGELOG.md";
    repo.write(log, "# Changelog\n\nNothing here yet.\n");
    repo.commit("fixture: a changelog without sections");
    let refused = repo.xtask(&["bump", "minor"]);
    refused.assert_code(3);
    assert!(
        refused.stderr.contains(
            "plugins/acme-plugin-legacy/CHANGELOG.md: no `## [Unreleased]` (or `## Unreleased`) section: add one"
        ),
        "{}",
        refused.stderr
    );
    let manifest = repo.read("release-config.toml");
    repo.append_manifest(
        "[versioning]\nallow-empty-changelog = true\n",
        "fixture: empty changelogs allowed",
    );
    let run = repo.xtask(&["bump", "minor", "--execute"]);
    run.assert_code(0);
    assert_eq!(
        repo.read(log),
        "# Changelog\n\nNothing here yet.\n",
        "nothing to promote"
    );

    // With changelogs off, `status --check` has nothing to check.
    repo.write(
        "release-config.toml",
        &format!("{manifest}\n[versioning]\nchangelog = \"\"\n"),
    );
    repo.commit("fixture: bumped, changelogs off");
    let status = repo.xtask(&["status", "--check"]);
    status.assert_code(0);
    assert!(status.stderr.contains("changelogs are off"), "{}", status.stderr);
}

#[test]
fn a_heading_template_that_cannot_work_is_refused_with_its_place() {
    let repo = Repo::bare_examples();
    repo.append_manifest(
        "[versioning]\nchangelog-heading = \"Release {version}\"\n",
        "fixture: a heading that is not one",
    );
    let line = line_of(&repo, "changelog-heading = ");
    let run = repo.xtask(&["plan", "--platform", "linux"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(&format!(
            "release-config.toml:{line}:21: [versioning] \"Release {{version}}\" is not a Markdown heading"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn an_empty_changelog_section_refuses_the_bump() {
    let repo = Repo::bare_examples();
    let log = "plugins/acme-plugin-legacy/CHANGELOG.md";
    repo.write(
        log,
        &repo
            .read(log)
            .replace("### Fixed\n- Values containing `=` are kept whole.\n\n", ""),
    );
    repo.commit("fixture: nothing to say");
    let before = repo.snapshot();
    let run = repo.xtask(&["bump", "minor", "--execute"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("plugins/acme-plugin-legacy/CHANGELOG.md:3: the unreleased section is empty"),
        "{}",
        run.stderr
    );
    assert!(repo.snapshot() == before, "nothing written");

    let allowed = repo.read("release-config.toml") + "\n[versioning]\nallow-empty-changelog = true\n";
    repo.write("release-config.toml", &allowed);
    repo.commit("fixture: allow empty changelogs");
    repo.xtask(&["bump", "minor"]).assert_code(0);
}

#[test]
fn a_requirement_that_excludes_a_planned_version_is_refused() {
    let repo = Repo::examples();
    let before = repo.snapshot();
    let run = repo.xtask(&["bump", "minor", "--group", "core", "--execute"]);
    run.assert_code(3);
    assert!(
        run.stderr.contains(
            "acme-plugin-legacy requires acme-plugin-base ==1.4.*, >=1.4.0 (plugins/acme-plugin-legacy/setup.py), \
             which excludes its planned version 1.5.0"
        ),
        "{}",
        run.stderr
    );
    assert!(repo.snapshot() == before);
    // A patch release stays inside the pin.
    repo.xtask(&["bump", "patch", "--group", "core"]).assert_code(0);
}

#[test]
fn a_version_file_pattern_that_matches_twice_or_never_writes_nothing() {
    for (text, times) in [("release 1.4.0\nrelease 1.4.0\n", 2), ("version: 1.4.0\n", 0)] {
        let repo = Repo::bare_examples();
        repo.write("plugins/acme-plugin-base/VERSION.txt", text);
        let manifest = repo.read("release-config.toml")
            + "\n[plugin.acme-plugin-base]\nversion-files = [{ path = \"VERSION.txt\", pattern = \"release {version}\" }]\n";
        repo.write("release-config.toml", &manifest);
        repo.commit("fixture: a pattern that does not match exactly once");
        let before = repo.snapshot();
        let run = repo.xtask(&["bump", "minor", "--execute"]);
        run.assert_code(3);
        assert!(
            run.stderr
                .contains("plugins/acme-plugin-base/VERSION.txt: pattern \"release {version}\"")
                && run.stderr.contains(&format!("matches {times} time(s), expected 1")),
            "{}",
            run.stderr
        );
        assert!(repo.snapshot() == before);
    }
}

#[test]
fn versions_never_go_backwards_and_bad_versions_are_named() {
    let repo = Repo::examples();
    let run = repo.xtask(&["bump", "1.3.0", "--group", "core"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("core: 1.3.0 is not greater than the current version 1.4.0"),
        "{}",
        run.stderr
    );
    let run = repo.xtask(&["bump", "1.x"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("\"1.x\" is not a PEP 440 version"),
        "{}",
        run.stderr
    );
    let run = repo.xtask(&["bump", "minor", "--plugin", "acme-plugin-base"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("released in lockstep with group core; use --group core"),
        "{}",
        run.stderr
    );
    // Naming a plugin twice releases it once.
    let bump = repo
        .xtask(&[
            "bump",
            "minor",
            "--plugin",
            "acme-plugin-legacy",
            "--group",
            "core",
            "--plugin",
            "acme_plugin_legacy",
            "--json",
        ])
        .assert_code(0)
        .json();
    let units: Vec<&str> = bump["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(units, ["core", "acme-plugin-legacy"]);
}

#[test]
fn the_stamp_strategy_takes_versions_from_tags_and_writes_only_changelogs() {
    let repo = stamp_repo();
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();
    let versions: Vec<(String, String)> = plan["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["current_version"].as_str().unwrap().into(),
                p["version"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(versions[0], ("1.4.0".to_string(), NIGHTLY.to_string()));
    assert_eq!(versions[2], ("2.1.3".to_string(), LEGACY_NIGHTLY.to_string()));

    let run = repo.xtask(&["bump", "minor", "--json"]);
    run.assert_code(0);
    let bump = run.json();
    assert_matches_schema(&bump, "bump");
    let files: Vec<&str> = bump["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap())
        .collect();
    let mut changed = files.clone();
    changed.sort();
    changed.dedup();
    assert_eq!(
        changed,
        [
            "plugins/acme-plugin-base/CHANGELOG.md",
            "plugins/acme-plugin-console/CHANGELOG.md",
            "plugins/acme-plugin-legacy/CHANGELOG.md",
            "plugins/acme-plugin-reports/CHANGELOG.md"
        ],
        "only changelogs change in git, every one of them"
    );
    let tags: Vec<&str> = bump["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["v1.5.0", "acme-plugin-legacy-v2.2.0"]);
}

#[test]
fn both_strategies_build_the_same_wheels() {
    let commit = Repo::examples();
    let stamp = stamp_repo();
    let mut wheels = Vec::new();
    for repo in [&commit, &stamp] {
        let run = repo.xtask(&[
            "nightly",
            "--json",
            "--platform",
            "linux",
            "--build-number",
            BUILD_NUMBER,
        ]);
        run.assert_code(0);
        let archive = repo.path().join(run.json()["artifacts"][0]["path"].as_str().unwrap());
        let out = tempfile::tempdir().unwrap();
        run_ok(Command::new("tar").arg("xjf").arg(&archive).arg("-C").arg(out.path()));
        let folder = out.path().join(list_dir(out.path()).remove(0));
        let mut found: Vec<(String, Vec<u8>)> = list_dir(&folder)
            .into_iter()
            .filter(|f| f.ends_with(".whl"))
            .map(|f| (f.clone(), fs::read(folder.join(&f)).unwrap()))
            .collect();
        found.sort();
        wheels.push(found);
    }
    assert_eq!(wheels[0].len(), 7);
    let names = |w: &Vec<(String, Vec<u8>)>| w.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&wheels[0]), names(&wheels[1]));
    assert!(
        wheels[0] == wheels[1],
        "the wheels of both strategies are byte-identical"
    );
}

#[test]
fn changelog_prints_sections_between_versions_newest_first() {
    let repo = Repo::bare_examples();
    let log = "plugins/acme-plugin-base/CHANGELOG.md";
    repo.write(
        log,
        &(repo.read(log) + "\n## Someday\n\n- not a version\n\n## [1.3.0] - 2026-05-01\n\n- First.\n"),
    );
    repo.commit("fixture: more history");
    let run = repo.xtask(&[
        "changelog",
        "--plugin",
        "acme-plugin-base",
        "--from",
        "1.3.0",
        "--to",
        "1.4.0",
    ]);
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        "## [1.4.0] - 2026-10-02\n\n### Added\n- `registered()` returns plugins sorted by name.\n\n\
         ## [1.3.2] - 2026-08-19\n\n### Fixed\n- `register()` rejects empty plugin names.\n\n"
    );
    assert!(
        run.stderr.contains("heading \"## Someday\" names no version; skipped"),
        "{}",
        run.stderr
    );
    let all = repo.xtask(&["changelog", "--plugin", "acme-plugin-base"]);
    assert!(
        all.stdout.ends_with("## [1.3.0] - 2026-05-01\n\n- First.\n\n"),
        "{}",
        all.stdout
    );
}

#[test]
fn stamp_versions_come_from_the_tags_of_this_branch_only() {
    let repo = stamp_repo();
    // A release on another branch does not move this branch's version.
    repo.git(&["checkout", "-q", "-b", "next"]);
    repo.write("NEXT.txt", "next\n");
    repo.commit("work for 2.0");
    repo.git(&["tag", "v2.0.0"]);
    repo.git(&["checkout", "-q", "main"]);
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();
    assert_eq!(plan["plugins"][0]["current_version"], "1.4.0");
}

/// A release that commits nothing (placeholder versions, no changelogs) is built as of the
/// commit its tags mark, so `bundle` of the tag rebuilds every file byte for byte.
#[test]
fn a_release_that_commits_nothing_is_rebuilt_from_its_tag_byte_for_byte() {
    let repo = stamp_repo();
    let manifest = repo
        .read("release-config.toml")
        .replacen("[versioning]\n", "[versioning]\nchangelog = \"\"\n", 1);
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: no changelogs");
    let head = repo.git(&["rev-parse", "HEAD"]);
    let no_epoch = |c: &mut Command| {
        c.env_remove("SOURCE_DATE_EPOCH");
    };
    repo.xtask_with(&["release", "minor", "--platform", "linux", "--execute"], no_epoch)
        .assert_code(0);
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head, "the release made no commit");
    let set = repo.set_dir();
    let released = tempfile::tempdir().unwrap();
    fs::rename(repo.path().join("dist"), released.path().join("dist")).unwrap();
    let before = files(&released.path().join("dist").join(set.file_name().unwrap()));

    repo.xtask_with(&["bundle", "--platform", "linux"], no_epoch)
        .assert_code(0);
    let rebuilt = files(&set);
    assert_eq!(rebuilt.keys().collect::<Vec<_>>(), before.keys().collect::<Vec<_>>());
    for (name, bytes) in &before {
        assert!(rebuilt[name] == *bytes, "{name} differs from the released one");
    }
}

#[test]
fn a_partial_stamp_release_is_rebuilt_from_its_tag_byte_for_byte() {
    let repo = stamp_repo();
    let no_epoch = |c: &mut Command| {
        c.env_remove("SOURCE_DATE_EPOCH");
    };
    let args = ["--platform", "linux", "--no-sources"];
    let mut release = vec!["release", "minor", "--plugin", "acme-plugin-legacy", "--execute"];
    release.extend(args);
    repo.xtask_with(&release, no_epoch).assert_code(0);
    let dist = repo.path().join("dist");
    let released = tempfile::tempdir().unwrap();
    fs::rename(&dist, released.path().join("dist")).unwrap();

    let mut bundle = vec!["bundle", "--json"];
    bundle.extend(args);
    let run = repo.xtask_with(&bundle, no_epoch).assert_code(0).json();
    let units: Vec<&str> = run["plan"]["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["tag"].as_str().unwrap())
        .collect();
    assert_eq!(
        units,
        ["acme-plugin-legacy-v2.2.0"],
        "only the legacy plugin was released here"
    );
    // The versions come from the tags and are stamped into the build copy again.
    let versions: Vec<(&str, &str)> = run["plan"]["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    assert_eq!(
        versions,
        [
            ("acme-plugin-base", "1.4.0"),
            ("acme-plugin-console", "1.4.0"),
            ("acme-plugin-legacy", "2.2.0"),
            ("acme-plugin-reports", "1.4.0")
        ]
    );
    let rebuilt = list_dir(&repo.set_dir());
    let before = list_dir(&released.path().join("dist").join(repo.set_dir().file_name().unwrap()));
    assert_eq!(
        rebuilt, before,
        "the same files: archives, notes, the legacy plugin's dists"
    );
    for f in [
        "acme_plugin_legacy-2.2.0-py3-none-any.whl",
        "acme_plugin_legacy-2.2.0.tar.gz",
        "RELEASE_NOTES.md",
    ] {
        assert_eq!(
            fs::read(repo.set_dir().join(f)).unwrap(),
            fs::read(
                released
                    .path()
                    .join("dist")
                    .join(repo.set_dir().file_name().unwrap())
                    .join(f)
            )
            .unwrap(),
            "{f} differs from the released one"
        );
    }
}

/// The version of `packaging` the specifier semantics are checked against (what pip vendors).
const PACKAGING: &str = "packaging==25.0";

/// (version, specifier set) pairs: every operator against versions around it, pre-, post-,
/// dev- and local versions included, alone and in pairs.
fn specifier_corpus() -> Vec<(String, String)> {
    let versions = [
        "0.4b0",
        "0.5",
        "0.5b0.dev0",
        "0.5b0",
        "0.6b0",
        "0.6b0.dev1",
        "0.9",
        "1.0.dev0",
        "1.0a1",
        "1.0a1.dev1",
        "1.0b2",
        "1.0rc1",
        "1.0",
        "1.0.0",
        "1.0+local.1",
        "1.0.post1",
        "1.0.post1.dev0",
        "1.0.1",
        "1.0.1a1",
        "1.1.dev0",
        "1.1a0",
        "1.1",
        "1.1+abc",
        "2.0",
        "1!1.0",
        "1.0.0.0",
        "1.0.post1+x",
        "1.0a1+x",
        "0.5b0.post1",
    ];
    let targets = [
        "1.0",
        "1.0a1",
        "1.0.dev0",
        "1.0.post1",
        "1.1",
        "0.4b0",
        "0.6b0",
        "1.0+local.1",
        "1",
        "1.0.0",
        "1!1.0",
        "1.0rc1",
        "0.5b0.dev0",
    ];
    let operators = ["==", "!=", "<", "<=", ">", ">=", "~=", "==*", "!=*", "==="];
    let mut specs: Vec<String> = Vec::new();
    for op in operators {
        for t in targets {
            specs.push(match op {
                "==*" => format!("=={t}.*"),
                "!=*" => format!("!={t}.*"),
                _ => format!("{op}{t}"),
            });
        }
    }
    let pairs = [
        ">=0.4b0,<0.6b0",
        ">=1.0,<2",
        ">=1.0a1,<1.1",
        "~=1.0,!=1.0.1",
        "==1.*,>=1.0rc1",
        ">1.0,<1.1",
        ">=1.0.dev0,<=1.0",
        "",
    ];
    specs.extend(pairs.iter().map(|s| s.to_string()));
    let mut corpus = Vec::new();
    for v in versions {
        for s in &specs {
            corpus.push((v.to_string(), s.clone()));
        }
    }
    corpus
}

#[test]
fn specifiers_are_judged_exactly_as_packaging_judges_them() {
    let corpus = specifier_corpus();
    let input: String = corpus.iter().map(|(v, s)| format!("{v}\t{s}\n")).collect();
    let ours = {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .arg("__satisfies")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.as_bytes()).unwrap();
        drop(child.stdin.take());
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
    };
    let packaging = {
        let python = tool_venv("packaging-venv", &[PACKAGING]);
        let script = "import sys\n\
            from packaging.specifiers import SpecifierSet, InvalidSpecifier\n\
            from packaging.version import Version, InvalidVersion\n\
            for line in sys.stdin.read().splitlines():\n\
            \x20   v, _, s = line.partition('\\t')\n\
            \x20   try:\n\
            \x20       print(str(SpecifierSet(s).contains(Version(v), prereleases=True)).lower())\n\
            \x20   except (InvalidSpecifier, InvalidVersion):\n\
            \x20       print('invalid')\n";
        let mut child = Command::new(python)
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.as_bytes()).unwrap();
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let ours: Vec<&str> = ours.lines().collect();
    let theirs: Vec<&str> = packaging.lines().collect();
    assert_eq!(ours.len(), corpus.len());
    assert_eq!(theirs.len(), corpus.len());
    let differ: Vec<String> = corpus
        .iter()
        .zip(ours.iter().zip(&theirs))
        .filter(|(_, (a, b))| a != b)
        .map(|((v, s), (a, b))| format!("{v} in {s:?}: ours {a}, packaging {b}"))
        .collect();
    let judged = theirs.iter().filter(|t| **t != "invalid").count();
    assert!(judged > 2000, "the corpus judges {judged} pairs");
    assert!(
        theirs.contains(&"true") && theirs.contains(&"false"),
        "the corpus has both answers"
    );
    assert!(
        differ.is_empty(),
        "{} of {} pairs differ from packaging:\n{}",
        differ.len(),
        corpus.len(),
        differ.join("\n")
    );
}

#[test]
fn next_dev_needs_the_commit_strategy() {
    let repo = Repo::bare_examples();
    repo.append_manifest(
        "[versioning]\nstrategy = \"stamp\"\nnext-dev = true\n",
        "fixture: next-dev with placeholders",
    );
    let line = line_of(&repo, "next-dev = ");
    let run = repo.xtask(&["plan", "--platform", "linux"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(&format!(
            "release-config.toml:{line}:12: [versioning] next-dev needs the commit strategy"
        )),
        "{}",
        run.stderr
    );
}

/// The line number (from 1) of the manifest line that starts with `start`.
fn line_of(repo: &Repo, start: &str) -> usize {
    repo.read("release-config.toml")
        .lines()
        .position(|l| l.starts_with(start))
        .expect("the manifest has that line")
        + 1
}
