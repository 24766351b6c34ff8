//! Property tests: the parsers and the edit engine never panic on generated input and keep
//! their invariants (manifest, versions and bumps, changelogs and promotion, the Python
//! tokenizer, edits, archive entry checks). Bounded: a few hundred cases each, pure functions.

use std::path::Path;
use std::str::FromStr;

use pep440_rs::Version;
use proptest::prelude::*;
use proptest::sample::select;

use crate::manifest::{Manifest, VersionFileKind};
use crate::ops::archive::{EntryInfo, EntryKind};
use crate::versions::changelog;
use crate::versions::edits::{apply, Edit};
use crate::versions::{self, Bump};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Any text, weighted towards the characters that matter to the parsers.
fn text(max: usize) -> impl Strategy<Value = String> {
    let special = select(vec![
        '\n', '\r', ' ', '"', '\'', '#', '=', '[', ']', '{', '}', ',', '.', '\\', '/', ':', '(', ')', 'v', '1', '0',
        'é', '\u{0}', '\t', '-', '`', '~', '_',
    ]);
    prop::collection::vec(prop_oneof![special, any::<char>(), select(vec!['a', 'b', '_'])], 0..max)
        .prop_map(|chars| chars.into_iter().collect())
}

/// PEP 440 versions of every shape: epoch, 1-4 release numbers, pre, post, dev.
fn version() -> impl Strategy<Value = Version> {
    (
        0u64..2,
        prop::collection::vec(0u64..30, 1..5),
        prop::option::of((select(vec!["a", "b", "rc"]), 0u64..4)),
        prop::option::of(0u64..3),
        prop::option::of(0u64..3),
    )
        .prop_map(|(epoch, release, pre, post, dev)| {
            let mut s = String::new();
            if epoch > 0 {
                s.push_str(&format!("{epoch}!"));
            }
            s.push_str(&release.iter().map(u64::to_string).collect::<Vec<_>>().join("."));
            if let Some((kind, n)) = pre {
                s.push_str(&format!("{kind}{n}"));
            }
            if let Some(n) = post {
                s.push_str(&format!(".post{n}"));
            }
            if let Some(n) = dev {
                s.push_str(&format!(".dev{n}"));
            }
            Version::from_str(&s).unwrap()
        })
}

fn bump() -> impl Strategy<Value = Bump> {
    prop_oneof![
        select(vec![
            Bump::Major,
            Bump::Minor,
            Bump::Patch,
            Bump::Alpha,
            Bump::Beta,
            Bump::Rc,
            Bump::Post,
            Bump::Dev,
            Bump::Release,
        ]),
        version().prop_map(Bump::To),
    ]
}

/// Lines a manifest is made of, valid or not, to recombine.
const MANIFEST_LINES: &[&str] = &[
    "[release]",
    "name = \"acme\"",
    "name = \"-rf\"",
    "output = \"dist\"",
    "output = \".git\"",
    "group-tag = \"{group}-v{version}\"",
    "group-tag = \"v {version}\"",
    "commit-message = \"\"",
    "[plugins]",
    "paths = [\"plugins/*\"]",
    "version-files = [{ path = \"plugin.json\", kind = \"json\", key = \"a.b\" }]",
    "[groups]",
    "core = [\"a\", \"b\"]",
    "[public]",
    "index-url = \"not a url\"",
    "index-url = \"https://u:${TOKEN}@example.com/simple/?token=x\"",
    "find-links = [\"../outside\"]",
    "requirements = [\"pluggy>=1.3\", \"x; sys_platform == 'win32'\"]",
    "[platforms.linux]",
    "tags = [\"manylinux2014_x86_64\"]",
    "python = \"3.11\"",
    "abi = \"\"",
    "[platforms.windows]",
    "format = \"zip\"",
    "collect = \"download\"",
    "[versioning]",
    "strategy = \"stamp\"",
    "strategy = 3",
    "[plugin.acme-a]",
    "verify-import = false",
    "wheel-excludes = [\"*.pyi\"]",
    "[nightly]",
    "[publish]",
    "upload = { url = \"https://example.com/legacy/\" }",
    "[[x]]",
    "= broken",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_manifest_parser_never_panics(
        lines in prop::collection::vec(prop_oneof![select(MANIFEST_LINES.to_vec()).prop_map(str::to_string), text(40)], 0..30),
    ) {
        let text = lines.join("\n");
        let _ = Manifest::parse(&text, Path::new("/nonexistent/release-config.toml"), "release-config.toml");
    }

    #[test]
    fn versions_print_and_parse_back(v in version()) {
        prop_assert_eq!(versions::parse(&v.to_string()), Ok(v.clone()));
        let _ = versions::parse(&format!("v{v}"));
    }

    #[test]
    fn version_parsing_never_panics(s in text(20)) {
        let _ = versions::parse(&s);
        let _ = Bump::from_str(&s);
    }

    #[test]
    fn a_bump_always_moves_forward(v in version(), how in bump()) {
        if let Ok(next) = versions::bump(&v, &how) {
            prop_assert!(next > v, "{} -> {}", v, next);
            prop_assert!(next.local().is_empty());
            if matches!(how, Bump::Major | Bump::Minor | Bump::Patch | Bump::Release) {
                prop_assert!(next.pre().is_none() && next.dev().is_none(), "{:?} of {} gave {}", how, v, next);
            }
        }
    }

    #[test]
    fn changelog_parsing_never_panics(s in text(200), v in version()) {
        let (sections, _) = changelog::sections(&s, &changelog::Style::default());
        for section in &sections {
            let _ = changelog::notes(&s, section);
        }
        let _ = changelog::promote(&s, "CHANGELOG.md", &changelog::Style::default(), &v, "2026-11-30", true);
        if let Ok(style) = changelog::Style::new("# Release {version} ({date})", "# Upcoming") {
            let _ = changelog::sections(&s, &style);
            let _ = changelog::promote(&s, "CHANGELOG.md", &style, &v, "2026-11-30", true);
        }
        let rst = changelog::Style::rst_default();
        for section in &changelog::sections(&s, &rst).0 {
            let _ = changelog::notes(&s, section);
        }
        let _ = changelog::promote(&s, "CHANGELOG.rst", &rst, &v, "2026-11-30", true);
        let _ = changelog::rst::to_markdown(&s);
    }

    #[test]
    fn a_changelog_is_read_and_promoted_exactly(
        unreleased in prop::collection::vec(body_line(), 0..5),
        released in prop::collection::vec(prop::collection::vec(body_line(), 0..4), 0..4),
        crlf in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut doc = format!("# Changelog{nl}{nl}## [Unreleased]{nl}");
        for line in &unreleased {
            doc.push_str(&format!("{line}{nl}"));
        }
        let count = released.len();
        for (i, body) in released.iter().enumerate() {
            doc.push_str(&format!("## [1.{}.0] - 2026-01-0{}{nl}", count - i, i + 1));
            for line in body {
                doc.push_str(&format!("{line}{nl}"));
            }
        }
        let (sections, warnings) = changelog::sections(&doc, &changelog::Style::default());
        prop_assert!(warnings.is_empty());
        prop_assert_eq!(sections.len(), count + 1);
        let joined = |lines: &[String]| lines.join(nl).trim_matches(['\n', '\r', ' ']).to_string();
        prop_assert_eq!(changelog::notes(&doc, &sections[0]), joined(&unreleased));
        for (section, body) in sections[1..].iter().zip(&released) {
            prop_assert_eq!(changelog::notes(&doc, section), joined(body));
        }

        let new = Version::from_str("9.0.0").unwrap();
        let (edit, notes) = changelog::promote(&doc, "CHANGELOG.md", &changelog::Style::default(), &new, "2026-11-30", true).unwrap();
        let edit = edit.unwrap();
        prop_assert_eq!(&notes, &joined(&unreleased));
        let promoted = apply(&doc, &[&edit]).unwrap();
        prop_assert_eq!(
            &promoted,
            &doc.replacen("## [Unreleased]", &format!("## [Unreleased]{nl}{nl}## [9.0.0] - 2026-11-30"), 1)
        );
        let (after, _) = changelog::sections(&promoted, &changelog::Style::default());
        prop_assert_eq!(after.len(), count + 2);
        prop_assert_eq!(changelog::notes(&promoted, &after[0]), "");
        prop_assert_eq!(after[1].version.clone(), Some(new));
        prop_assert_eq!(changelog::notes(&promoted, &after[1]), joined(&unreleased));
    }

    #[test]
    fn the_python_tokenizer_never_panics(s in text(200)) {
        let tokens = crate::python::pysource::tokenize(&s);
        for t in &tokens {
            let _ = t.text(&s);
        }
        for range in crate::python::pysource::module_assignments(&s, "__version__") {
            prop_assert!(s.get(range).is_some());
        }
        for range in crate::python::pysource::keyword_arguments(&s, "version") {
            prop_assert!(s.get(range).is_some());
        }
    }

    #[test]
    fn the_module_version_is_found_among_decoys(
        before in prop::collection::vec(select(PYTHON_DECOYS.to_vec()), 0..6),
        after in prop::collection::vec(select(PYTHON_DECOYS.to_vec()), 0..6),
        v in version(),
        quote in select(vec!["\"", "'"]),
    ) {
        let source = format!("{}\n__version__ = {quote}{v}{quote}\n{}\n", before.join("\n"), after.join("\n"));
        let found = crate::python::pysource::module_assignments(&source, "__version__");
        prop_assert_eq!(found.len(), 1, "{}", source);
        prop_assert_eq!(&source[found[0].clone()], v.to_string());
    }

    #[test]
    fn edits_change_exactly_their_bytes(
        doc in text(300),
        cuts in prop::collection::vec((0usize..300, 0usize..8, text(6)), 0..6),
    ) {
        // Non-overlapping ranges on character boundaries, each replaced by a new text.
        let mut edits: Vec<Edit> = Vec::new();
        let mut taken: Vec<std::ops::Range<usize>> = Vec::new();
        for (start, len, new) in cuts {
            let start = floor_char(&doc, start.min(doc.len()));
            let end = floor_char(&doc, (start + len).min(doc.len()));
            if taken.iter().any(|r| start < r.end && r.start < end || start == r.start) {
                continue;
            }
            taken.push(start..end);
            edits.push(Edit {
                file: "f".into(),
                line: 1,
                offset: start,
                old: doc[start..end].to_string(),
                new,
                reason: "test".into(),
            });
        }
        let refs: Vec<&Edit> = edits.iter().collect();
        let out = apply(&doc, &refs).unwrap();
        let mut expected = String::new();
        let mut sorted = edits.clone();
        sorted.sort_by_key(|e| e.offset);
        let mut at = 0;
        for e in &sorted {
            expected.push_str(&doc[at..e.offset]);
            expected.push_str(&e.new);
            at = e.offset + e.old.len();
        }
        expected.push_str(&doc[at..]);
        prop_assert_eq!(out, expected);
        // An edit whose old text is not where it says is refused, never applied elsewhere.
        if let Some(first) = edits.first() {
            let mut wrong = first.clone();
            wrong.old.push('\u{1F600}');
            prop_assert!(apply(&doc, &[&wrong]).is_err());
        }
    }

    #[test]
    fn a_stamped_pyproject_reads_back_its_new_version(
        old in version(),
        new in version(),
        extra in prop::sample::subsequence(TOML_DECOYS.to_vec(), 0..=TOML_DECOYS.len()),
    ) {
        let doc = format!(
            "[build-system]\nrequires = [\"setuptools\"]\n\n[project]\nname = \"x\"\nversion = \"{old}\"\n{}\n",
            extra.join("\n")
        );
        let found = crate::versions::files::locate(&VersionFileKind::Pyproject, &doc).unwrap();
        prop_assert_eq!(found.len(), 1);
        let range = found[0].clone();
        prop_assert_eq!(&doc[range.clone()], old.to_string());
        let edit = Edit {
            file: "pyproject.toml".into(),
            line: 6,
            offset: range.start,
            old: old.to_string(),
            new: new.to_string(),
            reason: "version".into(),
        };
        let stamped = apply(&doc, &[&edit]).unwrap();
        let again = crate::versions::files::locate(&VersionFileKind::Pyproject, &stamped).unwrap();
        prop_assert_eq!(&stamped[again[0].clone()], new.to_string());
        prop_assert_eq!(&stamped[..range.start], &doc[..range.start]);
        prop_assert_eq!(&stamped[range.start + new.to_string().len()..], &doc[range.end..]);
    }

    #[test]
    fn archive_entry_checks_never_pass_an_unsafe_name(
        names in prop::collection::vec(entry_name(), 1..6),
        links in prop::collection::vec(prop::option::of(entry_name()), 1..6),
    ) {
        let entries: Vec<EntryInfo> = names
            .iter()
            .zip(links.iter().cycle())
            .map(|(name, link)| EntryInfo {
                name: name.clone(),
                kind: if link.is_some() { EntryKind::Symlink } else { EntryKind::File },
                link_target: link.clone(),
                size: 1,
                mode: 0o644,
            })
            .collect();
        let problems = crate::tasks::verify::check_entries(&entries);
        for e in &entries {
            let unsafe_name = e.name.starts_with('/')
                || e.name.contains('\\')
                || e.name.split('/').any(|c| c == "..");
            if unsafe_name {
                prop_assert!(
                    problems.iter().any(|p| p.contains(&format!("{:?}", e.name))),
                    "{:?} passed: {:?}", e.name, problems
                );
            }
        }
    }
}

fn body_line() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "### Added",
            "- A change.",
            "",
            "  indented",
            "#hashtag",
            "### Fixed",
            "- `code`"
        ])
        .prop_map(str::to_string),
        text(30).prop_map(|s| s.replace(['\n', '\r'], " ").trim().to_string()),
    ]
    .prop_filter("no heading of the sections' level or higher", |l| {
        !(l.starts_with("# ") || l.starts_with("## "))
    })
}

/// Python lines that hold `__version__` in ways that are not a module-level assignment.
const PYTHON_DECOYS: &[&str] = &[
    "import os",
    "# __version__ = \"9.9.9\"",
    "x = \"__version__ = '1.0'\"",
    "\"\"\"Docs.\n__version__ = \"2.0\"\n\"\"\"",
    "def f():\n    __version__ = \"0.1\"\n    return __version__",
    "y = (1,\n     2)",
    "print(__version__)",
    "__version_info__ = (1, 2)",
    "if True:\n    pass",
    "s = r'\\'__version__'",
];

const TOML_DECOYS: &[&str] = &[
    "description = \"version = '1.0'\"",
    "[tool.x]\nversion = \"0.0.0\"",
    "# version = \"5.5\"",
    "[project.urls]\nHome = \"https://x\"",
];

/// Entry names built from parts that matter to the checks.
fn entry_name() -> impl Strategy<Value = String> {
    prop::collection::vec(
        select(vec!["a", "b.whl", "..", ".", "", "\\", "c:", "/", "x\\..", "top"]),
        1..5,
    )
    .prop_map(|parts| parts.join("/"))
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
