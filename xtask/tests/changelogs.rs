//! Changelogs as Python projects keep them, adopted with `init` and released one plugin at a
//! time: reStructuredText files (three adornment styles, an overlined document title,
//! directives inside sections) and towncrier fragments (Markdown and RST, custom fragment
//! types); a format nothing can delimit refused before anything changes.

mod common;

use common::*;

/// The release date the tests' `SOURCE_DATE_EPOCH` gives.
const DATE: &str = "2026-11-21";

/// A setuptools plugin at 1.0.0 with `files` (paths relative to its folder).
fn plugin(name: &str, extra_pyproject: &str, files: &[(&str, &str)]) -> Vec<(String, String)> {
    let module = name.replace('-', "_");
    let mut out = vec![
        (
            format!("plugins/{name}/pyproject.toml"),
            format!(
                "[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
                 [project]\nname = \"{name}\"\nversion = \"1.0.0\"\ndescription = \"A plugin\"\n\n\
                 [tool.setuptools]\npackages = [\"{module}\"]\n{extra_pyproject}"
            ),
        ),
        (format!("plugins/{name}/{module}/__init__.py"), String::new()),
    ];
    out.extend(
        files
            .iter()
            .map(|(p, t)| (format!("plugins/{name}/{p}"), t.to_string())),
    );
    out
}

/// `docs/changelog.rst`: an overlined document title, a note, version titles underlined with
/// `-`, subsections with `.`, a directive inside the unreleased section.
const DASH: &str = "=========\nChangelog\n=========\n\n.. note::\n\n   Dates are UTC.\n\n\
                    Unreleased\n----------\n\nFixed\n.....\n\n- ``read()`` keeps the encoding.\n\n\
                    .. warning::\n\n   Python 3.8 is no longer supported.\n\n\
                    1.0.0 (2026-10-02)\n------------------\n\n- Initial version.\n";

/// `CHANGES.rst`: `Version X` titles underlined with `~` below a `=` title.
const TILDE: &str = "Changes\n=======\n\nUnreleased\n~~~~~~~~~~\n\n- Faster ``export``; see \
                     `the guide <https://example.org/guide>`_.\n\nVersion 1.0.0\n~~~~~~~~~~~~~\n\n- First.\n";

/// `HISTORY.rst`: overlined `=` version titles below a `#` document title.
const OVERLINED: &str = "#######\nHistory\n#######\n\n==========\nUnreleased\n==========\n\n\
                         - Removed :func:`old_api`.\n\n=====\n1.0.0\n=====\n\n- First.\n";

fn families() -> Vec<(String, String)> {
    let towncrier_md = "\n[tool.towncrier]\ndirectory = \"changes\"\nfilename = \"CHANGELOG.md\"\n\
                        title_format = \"## {version} ({project_date})\"\n\n\
                        [[tool.towncrier.type]]\ndirectory = \"security\"\nname = \"Security\"\nshowcontent = true\n\n\
                        [[tool.towncrier.type]]\ndirectory = \"feature\"\nname = \"Features\"\nshowcontent = true\n\n\
                        [[tool.towncrier.type]]\nname = \"Misc\"\nshowcontent = false\n";
    let towncrier_rst = "\n[tool.towncrier]\npackage = \"tc_rst\"\nfilename = \"NEWS.rst\"\n";
    [
        plugin("rst-dash", "", &[("docs/changelog.rst", DASH)]),
        plugin("rst-tilde", "", &[("CHANGES.rst", TILDE)]),
        plugin("rst-overlined", "", &[("HISTORY.rst", OVERLINED)]),
        plugin(
            "tc-md",
            towncrier_md,
            &[
                (
                    "CHANGELOG.md",
                    "# Changelog\n\n<!-- towncrier release notes start -->\n\n## 1.0.0 (2026-10-02)\n\n- First.\n",
                ),
                ("changes/12.security.md", "Tokens are masked in logs.\n"),
                ("changes/13.feature.md", "Reports can be exported as CSV.\n"),
                // An empty fragment of a type without content (its type named, not given).
                ("changes/15.misc.md", ""),
                ("changes/.gitignore", "!.gitignore\n"),
            ],
        ),
        plugin(
            "tc-rst",
            towncrier_rst,
            &[
                (
                    "NEWS.rst",
                    "News\n====\n\n.. towncrier release notes start\n\ntc-rst 1.0.0 (2026-10-02)\n\
                     =========================\n\n- First.\n",
                ),
                (
                    "tc_rst/newsfragments/7.bugfix.rst",
                    "A crash on empty input is fixed.\n",
                ),
            ],
        ),
    ]
    .concat()
}

/// The repository, its origin, `init` run and committed with the test index.
fn adopted() -> (Repo, tempfile::TempDir, XtaskOutput) {
    let repo = Repo::of_files("xtask-changelogs-", &families());
    for name in ["rst-dash", "rst-tilde", "rst-overlined", "tc-md", "tc-rst"] {
        repo.git(&["tag", "-a", &format!("{name}-v1.0.0"), "-m", "released"]);
    }
    let origin = repo.add_bare_origin();
    repo.git(&["push", "-q", "origin", "--tags"]);
    let init = repo.xtask(&["init"]);
    init.assert_code(0);
    let manifest = repo.read("release-config.toml").replacen(
        "\n[plugins]",
        &format!(
            "\n[public]\nindex-url = \"{}\"\n\n[publish]\npush = true\n\n[plugins]",
            index().url
        ),
        1,
    );
    repo.write("release-config.toml", &manifest);
    repo.commit("release-config.toml from init");
    repo.git(&["push", "-q", "origin", "main"]);
    (repo, origin, init)
}

fn release(repo: &Repo, plugin: &str) -> XtaskOutput {
    let run = repo.xtask(&[
        "release",
        "patch",
        "--plugin",
        plugin,
        "--platform",
        "linux",
        "--no-sources",
        "--execute",
    ]);
    run.assert_code(0);
    run
}

/// The release notes of the last release, for `plugin`: what follows its `##` heading.
fn release_notes(repo: &Repo, plugin: &str) -> String {
    let text = std::fs::read_to_string(repo.set_dir().join("RELEASE_NOTES.md")).unwrap();
    let heading = format!("## {plugin} 1.0.1\n\n");
    let at = text.find(&heading).unwrap_or_else(|| panic!("{heading:?} in\n{text}"));
    text[at + heading.len()..].trim_end().to_string()
}

/// The message of an annotated tag.
fn tag_message(repo: &Repo, tag: &str) -> String {
    repo.git(&["tag", "-l", "--format=%(contents)", tag])
        .trim_end()
        .to_string()
}

#[test]
fn rst_and_towncrier_changelogs_are_adopted_and_released_one_by_one() {
    let (repo, _origin, init) = adopted();
    let manifest = repo.read("release-config.toml");
    for expected in [
        "[versioning]\nchangelog = \"docs/changelog.rst\"\n",
        "[plugin.rst-tilde]\n# Its changelog is kept otherwise.\nchangelog = \"CHANGES.rst\"\n",
        "[plugin.rst-overlined]\n# Its changelog is kept otherwise.\nchangelog = \"HISTORY.rst\"\n",
    ] {
        assert!(
            manifest.contains(expected),
            "{expected:?} in\n{manifest}\n{}",
            init.stderr
        );
    }
    assert!(
        !manifest.contains("[groups]") && !manifest.contains("[plugin.tc-"),
        "{manifest}"
    );
    assert!(
        init.stderr
            .contains("plugins/tc-md: towncrier fragments (changes/) compiled into CHANGELOG.md at release"),
        "{}",
        init.stderr
    );
    // Where each plugin stands, the fragments counted as changes.
    let status = repo.xtask(&["status", "--json"]).assert_code(0).json();
    let states: Vec<(String, String, u64)> = status
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["changelog"].as_str().unwrap().to_string(),
                r["fragments"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("rst-dash".to_string(), "entries".to_string(), 0),
            ("rst-overlined".into(), "entries".into(), 0),
            ("rst-tilde".into(), "entries".into(), 0),
            ("tc-md".into(), "fragments".into(), 3),
            ("tc-rst".into(), "fragments".into(), 1),
        ]
    );

    // The table: every column as wide as its longest value.
    let table = repo.xtask(&["status"]).assert_code(0).stdout.clone();
    let lines: Vec<&str> = table.lines().collect();
    let at = lines[0].find("release?").expect("a release? column");
    let changelog_at = lines[0].find("changelog").unwrap();
    for line in &lines[1..] {
        assert!(line[at..].starts_with("yes") || line[at..].starts_with("no"), "{table}");
        assert!(
            ["entries", "fragments"]
                .iter()
                .any(|s| line[changelog_at..].starts_with(s)),
            "{table}"
        );
    }

    // A nightly's notes: the unreleased sections, and towncrier's draft of the fragments.
    repo.nightly_linux().assert_code(0);
    let (_unpacked, top) = repo.unpack_linux_bundle();
    let notes = std::fs::read_to_string(top.join("RELEASE_NOTES.md")).unwrap();
    for expected in [
        "\n## tc-md 1.0.1.dev20261121007\n\n### Security\n\n- Tokens are masked in logs. (#12)\n",
        "\n## tc-rst 1.0.1.dev20261121007\n\n### Bugfixes\n\n- A crash on empty input is fixed. (#7)\n",
        "\n## rst-overlined 1.0.1.dev20261121007\n\n- Removed `old_api`.\n",
    ] {
        assert!(notes.contains(expected), "{expected:?} in\n{notes}");
    }
    assert_eq!(repo.git(&["status", "--porcelain"]), "", "a nightly compiles nothing");
    std::fs::remove_dir_all(repo.path().join("dist")).unwrap();

    // reStructuredText: a title in the file's own adornment and wording; notes exactly the section.
    release(&repo, "rst-dash");
    assert_eq!(
        repo.read("plugins/rst-dash/docs/changelog.rst"),
        DASH.replace(
            "Unreleased\n----------\n",
            &format!("Unreleased\n----------\n\n1.0.1 ({DATE})\n------------------\n")
        )
    );
    let section =
        "Fixed\n.....\n\n- ``read()`` keeps the encoding.\n\n.. warning::\n\n   Python 3.8 is no longer supported.";
    assert_eq!(
        tag_message(&repo, "rst-dash-v1.0.1"),
        format!("rst-dash 1.0.1\n\nrst-dash 1.0.1:\n{section}")
    );
    // A directive is no plain conversion: the notes keep the section as RST.
    assert_eq!(release_notes(&repo, "rst-dash"), format!("```rst\n{section}\n```"));
    std::fs::remove_dir_all(repo.path().join("dist")).unwrap();

    release(&repo, "rst-tilde");
    assert_eq!(
        repo.read("plugins/rst-tilde/CHANGES.rst"),
        TILDE.replace(
            "Unreleased\n~~~~~~~~~~\n",
            "Unreleased\n~~~~~~~~~~\n\nVersion 1.0.1\n~~~~~~~~~~~~~\n"
        )
    );
    // A plain section converts: inline literals and links.
    assert_eq!(
        release_notes(&repo, "rst-tilde"),
        "- Faster `export`; see [the guide](https://example.org/guide)."
    );
    std::fs::remove_dir_all(repo.path().join("dist")).unwrap();

    release(&repo, "rst-overlined");
    assert_eq!(
        repo.read("plugins/rst-overlined/HISTORY.rst"),
        OVERLINED.replace(
            "==========\nUnreleased\n==========\n",
            "==========\nUnreleased\n==========\n\n=====\n1.0.1\n=====\n"
        )
    );
    std::fs::remove_dir_all(repo.path().join("dist")).unwrap();

    // towncrier: the news file as towncrier itself writes it, the fragments gone.
    for (name, news, fragments) in [
        (
            "tc-md",
            "CHANGELOG.md",
            vec!["changes/12.security.md", "changes/13.feature.md", "changes/15.misc.md"],
        ),
        ("tc-rst", "NEWS.rst", vec!["tc_rst/newsfragments/7.bugfix.rst"]),
    ] {
        let theirs = towncrier_writes(&repo, name, news);
        // Killed in the tree write and resumed (tc-md); killed right after it (news file
        // written, fragments removed) and rolled back, every file as it was (tc-rst).
        let before = repo.snapshot();
        if name == "tc-md" {
            // Killed in the middle of the write: one file written, the fragments still there.
            let killed = repo.xtask_with(
                &[
                    "release",
                    "patch",
                    "--plugin",
                    name,
                    "--platform",
                    "linux",
                    "--no-sources",
                    "--execute",
                ],
                |c| {
                    c.env("XTASK_TEST_KILL_AT", "replace-1");
                },
            );
            assert_ne!(killed.code, 0, "{}", killed.stderr);
            assert!(repo.path().join("plugins/tc-md/changes/12.security.md").exists());
            let resumed = repo.xtask(&["release", "--resume"]);
            resumed.assert_code(0);
            assert!(
                format!("{}{}", resumed.stdout, resumed.stderr).contains("wrote 1 file(s), removed 3"),
                "{}",
                resumed.stderr
            );
        } else {
            killed_after_the_tree_write(&repo, name, &fragments);
            repo.xtask(&["release", "--roll-back"]).assert_code(0);
            assert!(
                repo.snapshot() == before,
                "rolled back: the fragments and the news file as they were"
            );
            assert_eq!(repo.git(&["status", "--porcelain"]), "");
            release(&repo, name);
        }
        assert_eq!(repo.read(&format!("plugins/{name}/{news}")), theirs, "{name}");
        let gone = repo.git(&["show", "--name-status", "--format=", "HEAD"]);
        for f in &fragments {
            assert!(gone.contains(&format!("D\tplugins/{name}/{f}")), "{gone}");
            assert!(!repo.path().join(format!("plugins/{name}/{f}")).exists());
        }
        assert_eq!(repo.git(&["status", "--porcelain"]), "");
        std::fs::remove_dir_all(repo.path().join("dist")).unwrap();
    }
    assert!(repo.path().join("plugins/tc-md/changes/.gitignore").is_file());
    let notes = tag_message(&repo, "tc-md-v1.0.1");
    assert_eq!(
        notes,
        "tc-md 1.0.1\n\ntc-md 1.0.1:\n### Security\n\n- Tokens are masked in logs. (#12)\n\n\
         ### Features\n\n- Reports can be exported as CSV. (#13)\n\n### Misc\n\n- #15",
        "the compiled section without its title"
    );
    let status = repo.xtask(&["status", "--json"]).assert_code(0).json();
    assert!(
        status.as_array().unwrap().iter().all(|r| r["fragments"] == 0),
        "{status:#}"
    );
}

/// A release of `plugin` killed right after it wrote the working tree: its `fragments` gone.
fn killed_after_the_tree_write(repo: &Repo, plugin: &str, fragments: &[&str]) {
    let args = [
        "release",
        "patch",
        "--plugin",
        plugin,
        "--platform",
        "linux",
        "--no-sources",
    ];
    let plan = repo.xtask(&[&args[..], &["--json"]].concat()).assert_code(0).json();
    let at = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .position(|s| s["step"] == "update_tree")
        .expect("an update_tree step")
        + 1;
    let killed = repo.xtask_with(&[&args[..], &["--execute"]].concat(), |c| {
        c.env("XTASK_TEST_KILL_AT", format!("after-step-{at}"));
    });
    assert_ne!(killed.code, 0, "{}", killed.stderr);
    for f in fragments {
        assert!(
            !repo.path().join(format!("plugins/{plugin}/{f}")).exists(),
            "{f} removed by the write"
        );
    }
}

/// What `towncrier build` writes into the news file of `plugin` at 1.0.1, run by hand in a
/// clone of HEAD (the maintainer's way).
fn towncrier_writes(repo: &Repo, plugin: &str, news: &str) -> String {
    let clone = tempfile::tempdir().unwrap();
    run_ok(
        std::process::Command::new("git")
            .args(["clone", "-q"])
            .arg(repo.path())
            .arg(clone.path().join("c")),
    );
    let dir = clone.path().join("c/plugins").join(plugin);
    run_ok(
        std::process::Command::new(towncrier_python())
            .args([
                "-m",
                "towncrier",
                "build",
                "--yes",
                "--version",
                "1.0.1",
                "--date",
                DATE,
                "--name",
                plugin,
            ])
            .current_dir(&dir),
    );
    std::fs::read_to_string(dir.join(news)).unwrap()
}

/// A venv with towncrier from the cached tool wheels.
fn towncrier_python() -> std::path::PathBuf {
    let dir = cache_dir().join("towncrier-venv");
    let lock = std::fs::File::create(cache_dir().join("towncrier-venv.lock")).unwrap();
    lock.lock().unwrap();
    if !dir.join(".ready").is_file() {
        let _ = std::fs::remove_dir_all(&dir);
        run_ok(std::process::Command::new(python()).args(["-m", "venv"]).arg(&dir));
        run_ok(clean_pip(
            std::process::Command::new(dir.join("bin/python"))
                .args(["-m", "pip", "install", "--quiet", "--no-index", "--find-links"])
                .arg(tool_wheels())
                .arg("towncrier"),
        ));
        std::fs::write(dir.join(".ready"), "").unwrap();
    }
    dir.join("bin/python")
}

#[test]
fn a_changelog_nothing_can_delimit_is_refused_before_anything_changes() {
    let mut files = plugin(
        "acme-setext-changelog-plugin-with-a-long-name",
        "",
        &[(
            "CHANGELOG.md",
            "Changelog\n=========\n\nUnreleased\n----------\n\n- Next.\n\n1.0.0\n-----\n\n- First.\n",
        )],
    );
    files.push((
        "release-config.toml".into(),
        format!(
            "[release]\nname = \"acme\"\n\n[public]\nindex-url = \"{}\"\n\n\
             [platforms.linux]\ntags = [\"manylinux2014_x86_64\"]\npython = \"3.11\"\n",
            index().url
        ),
    ));
    let repo = Repo::of_files("xtask-changelogs-", &files);
    repo.git(&[
        "tag",
        "-a",
        "acme-setext-changelog-plugin-with-a-long-name-v1.0.0",
        "-m",
        "released",
    ]);
    let before = repo.snapshot();
    for args in [
        &["release", "patch", "--platform", "linux"][..],
        &["release", "patch", "--platform", "linux", "--execute"][..],
    ] {
        let run = repo.xtask(args);
        run.assert_code(3);
        assert!(
            run.stderr.contains(
                "plugins/acme-setext-changelog-plugin-with-a-long-name/CHANGELOG.md: no section this tool can delimit: it knows Keep a Changelog Markdown"
            ),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("reStructuredText titles in .rst files"),
            "{}",
            run.stderr
        );
    }
    assert!(repo.snapshot() == before, "nothing written");
    assert_eq!(
        repo.git(&["tag"]),
        "acme-setext-changelog-plugin-with-a-long-name-v1.0.0\n"
    );
    let status = repo.xtask(&["status", "--json"]).assert_code(0).json();
    assert_eq!(status[0]["changelog"], "undelimited");
    // A long name keeps the table in line.
    let table = repo.xtask(&["status"]).assert_code(0).stdout.clone();
    let lines: Vec<&str> = table.lines().collect();
    let at = lines[0].find("changelog").unwrap();
    assert!(lines[1][at..].starts_with("undelimited"), "{table}");
    let log = repo.xtask(&["changelog", "--plugin", "acme-setext-changelog-plugin-with-a-long-name"]);
    log.assert_code(3);
    assert!(
        log.stderr.contains(
            "plugins/acme-setext-changelog-plugin-with-a-long-name/CHANGELOG.md: no section this tool can delimit"
        ),
        "{}",
        log.stderr
    );
}
