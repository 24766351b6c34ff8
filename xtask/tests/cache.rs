//! Speed without surprises: plugins built and platforms collected at once, built plugins and
//! archives reused from the work folder's cache, and every one of those runs giving the bytes
//! of a sequential run with no cache. The runs here have a work folder of their own (sharing
//! only the build-tools venv), so that what they reuse is what they made.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;

const RUN: &[&str] = &["nightly", "--build-number", BUILD_NUMBER];

/// A work folder of its own whose build-tools venvs are the shared ones.
fn private_target() -> tempfile::TempDir {
    let target = tempfile::tempdir().unwrap();
    let shared = cache_dir().join("cargo-target/xtask/tools");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::create_dir_all(target.path().join("xtask")).unwrap();
    std::os::unix::fs::symlink(&shared, target.path().join("xtask/tools")).unwrap();
    target
}

fn run(repo: &Repo, target: &Path, extra: &[&str]) -> XtaskOutput {
    let args: Vec<&str> = extra.iter().chain(RUN).copied().collect();
    let run = repo.xtask_with(&args, |cmd| {
        cmd.env("CARGO_TARGET_DIR", target);
    });
    run.assert_code(0);
    run
}

/// Every file under dist/ with its bytes; dist/ is emptied for the next run.
fn take_dist(repo: &Repo) -> BTreeMap<String, Vec<u8>> {
    let dist = repo.path().join("dist");
    let mut files = BTreeMap::new();
    for entry in walk(&dist) {
        let rel = entry.strip_prefix(&dist).unwrap().to_string_lossy().into_owned();
        files.insert(rel, std::fs::read(&entry).unwrap());
    }
    std::fs::remove_dir_all(&dist).unwrap();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for name in list_dir(dir) {
        let path = dir.join(name);
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn entries(target: &Path, kind: &str) -> usize {
    list_dir(&target.join("xtask/cache").join(kind))
        .into_iter()
        .filter(|n| !n.starts_with('.'))
        .count()
}

fn reused(run: &XtaskOutput) -> Vec<String> {
    run.stderr
        .lines()
        .filter(|l| l.contains("reused"))
        .map(|l| l.trim().split([' ', ':']).next().unwrap().to_string())
        .collect()
}

#[test]
fn parallel_and_cached_runs_give_the_bytes_of_a_sequential_uncached_run() {
    let repo = Repo::examples();
    let target = private_target();
    let t = target.path();

    // Sequential and with no cache: the reference, and nothing kept.
    let sequential = run(&repo, t, &["--jobs", "1", "--no-cache"]);
    let reference = take_dist(&repo);
    assert_eq!(reference.len(), 7, "{:?}", reference.keys());
    assert!(reused(&sequential).is_empty(), "{}", sequential.stderr);
    let kinds = ["builds", "archives", "runs", "wheels", "sdist-wheels", "bz2-chunks"];
    let kept = || kinds.iter().map(|k| entries(t, k)).sum::<usize>();
    assert_eq!(kept(), 0, "--no-cache keeps nothing");
    assert!(!t.join("xtask/cache/uv").exists(), "uv had no cache");

    // In parallel, with an empty cache: the same bytes; plugins built at once; entries kept.
    let cold = run(&repo, t, &["--jobs", "4"]);
    assert_eq!(take_dist(&repo), reference, "a parallel run writes the same bytes");
    assert!(reused(&cold).is_empty(), "{}", cold.stderr);
    assert_eq!(entries(t, "builds"), 4, "one entry per plugin");
    for kind in ["wheels", "runs", "bz2-chunks"] {
        assert!(entries(t, kind) > 0, "the cache keeps {kind}");
    }
    assert_eq!(entries(t, "archives"), 3, "linux, windows, sources");
    // uv's cache under the work folder (pip caches only what an index lets it cache).
    assert!(
        t.join("xtask/cache/uv").is_dir(),
        "{:?}",
        list_dir(&t.join("xtask/cache"))
    );
    // The four builds started before the first of them ended (plain progress lines).
    let lines: Vec<&str> = cold.stderr.lines().collect();
    let first_build = lines.iter().position(|l| l.contains("] build ")).unwrap();
    assert!(
        lines[first_build..first_build + 4]
            .iter()
            .all(|l| l.contains("] build ")),
        "{}",
        cold.stderr
    );

    // The log holds each build's call with its whole output in one piece, though they ran
    // at once: no other plugin's name inside a build's block.
    let logs = t.join("xtask/logs");
    let log = list_dir(&logs)
        .into_iter()
        .filter(|n| n.starts_with("nightly-"))
        .max()
        .unwrap();
    let log = std::fs::read_to_string(logs.join(log)).unwrap();
    let plugins = [
        "acme_plugin_base",
        "acme_plugin_console",
        "acme_plugin_legacy",
        "acme_plugin_reports",
    ];
    let mut blocks = 0;
    for block in log
        .split("\n$ ")
        .skip(1)
        .filter(|b| !b.lines().next().unwrap().ends_with("(started)"))
    {
        let Some(plugin) = block.lines().next().unwrap().split("(plugin ").nth(1) else {
            continue;
        };
        let own = plugin.trim_end_matches(')').replace('-', "_");
        let body = &block[..block.find("\n# exit code").unwrap()];
        assert!(body.contains(&format!("Successfully built {own}")), "{block}");
        for other in plugins.iter().filter(|p| **p != own) {
            assert!(!body.contains(other), "{own}'s block mentions {other}:\n{block}");
        }
        blocks += 1;
    }
    assert_eq!(blocks, 4, "{log}");

    // Again: the whole run is reused (same plan, locks and tools), the same bytes.
    let linux_archive = |repo: &Repo| {
        walk(&repo.path().join("dist"))
            .into_iter()
            .find(|p| p.to_string_lossy().ends_with("-linux.tar.bz2"))
            .unwrap()
    };
    let retry = run(&repo, t, &[]);
    assert!(retry.stderr.contains("its outputs are reused"), "{}", retry.stderr);
    // What a reused run delivers is a copy: changed in place, it changes nothing kept.
    std::fs::write(linux_archive(&repo), b"changed in place").unwrap();
    std::fs::remove_dir_all(repo.path().join("dist")).unwrap();
    let again = run(&repo, t, &[]);
    assert!(again.stderr.contains("its outputs are reused"), "{}", again.stderr);
    assert_eq!(take_dist(&repo), reference, "a reused run delivers the same bytes");
    // Without that run's entry: every build and archive is reused, the same bytes.
    std::fs::remove_dir_all(t.join("xtask/cache/runs")).unwrap();
    let warm = run(&repo, t, &[]);
    let dist = repo.path().join("dist");
    let delivered: BTreeMap<String, Vec<u8>> = walk(&dist)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(&dist).unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    assert_eq!(delivered, reference, "a cached run writes the same bytes");
    // What a run delivers shares its bytes with what the cache keeps of it: changed in place,
    // the kept run is found damaged by the next run, which runs again.
    std::fs::write(linux_archive(&repo), b"changed in place").unwrap();
    std::fs::rename(repo.path().join("dist"), repo.path().join("dist-moved-away")).unwrap();
    let rerun = run(&repo, t, &[]);
    assert!(rerun.stderr.contains("is damaged: removed"), "{}", rerun.stderr);
    assert!(!rerun.stderr.contains("its outputs are reused"), "{}", rerun.stderr);
    assert_eq!(take_dist(&repo), reference, "run again, the same bytes");
    std::fs::remove_dir_all(repo.path().join("dist-moved-away")).unwrap();
    let mut got = reused(&warm);
    got.sort();
    assert_eq!(
        got,
        [
            "acme-plugin-base",
            "acme-plugin-console",
            "acme-plugin-legacy",
            "acme-plugin-reports",
            &format!("acme-plugins-{NIGHTLY}-linux.tar.bz2"),
            &format!("acme-plugins-{NIGHTLY}-sources.tar.bz2"),
            &format!("acme-plugins-{NIGHTLY}-windows.zip"),
        ],
        "{}",
        warm.stderr
    );

    // A damaged entry is not taken: that plugin is built again, to the same bytes.
    let builds = t.join("xtask/cache/builds");
    let entry = list_dir(&builds)
        .into_iter()
        .map(|k| builds.join(k))
        .find(|dir| list_dir(dir).iter().any(|f| f.starts_with("acme_plugin_base")))
        .unwrap();
    let wheel = list_dir(&entry).into_iter().find(|f| f.ends_with(".whl")).unwrap();
    std::fs::write(entry.join(&wheel), b"not a wheel").unwrap();
    std::fs::remove_dir_all(t.join("xtask/cache/runs")).unwrap();
    let repaired = run(&repo, t, &[]);
    assert_eq!(take_dist(&repo), reference);
    assert!(repaired.stderr.contains("is damaged: removed"), "{}", repaired.stderr);
    assert!(!reused(&repaired).contains(&"acme-plugin-base".to_string()));

    // A change to one plugin rebuilds that plugin only (same versions: same time and build
    // number), and its archives; its wheel has the change.
    let init = "plugins/acme-plugin-console/src/acme_plugin_console/__init__.py";
    let text = repo.read(init);
    repo.write(init, &format!("{text}\nCHANGED = True\n"));
    repo.commit("console: a change");
    let changed = run(&repo, t, &[]);
    let mut got = reused(&changed);
    got.sort();
    assert_eq!(
        got,
        ["acme-plugin-base", "acme-plugin-legacy", "acme-plugin-reports"],
        "{}",
        changed.stderr
    );
    let after = take_dist(&repo);
    let (name, sources) = after
        .iter()
        .find(|(name, _)| name.ends_with("sources.tar.bz2"))
        .unwrap();
    assert_ne!(reference.get(name), Some(sources), "the console sdist in it changed");

    // Over [python] cache-max-mb: the least recently used entries go after the run.
    let manifest = repo.read("release-config.toml");
    repo.write(
        "release-config.toml",
        &manifest.replacen("[public]\n", "[python]\ncache-max-mb = 0\n\n[public]\n", 1),
    );
    repo.commit("no room for a cache");
    let pruned = run(&repo, t, &[]);
    assert!(
        pruned.stderr.contains("cache over [python] cache-max-mb: removed"),
        "{}",
        pruned.stderr
    );
    assert_eq!(kept(), 0, "every kind of entry is pruned");
}

/// A run that needs one more tool (here one more `[python] build-tools` entry) makes its venv
/// from the one it has, adding that tool, instead of from scratch; the venv it had stays.
#[test]
fn a_new_tool_extends_a_copy_of_the_build_tools_venv() {
    let repo = Repo::examples();
    let target = tempfile::tempdir().unwrap();
    let nightly = |platforms: &[&str]| {
        let mut args = vec!["nightly", "--no-sources", "--build-number", BUILD_NUMBER];
        for p in platforms {
            args.extend(["--platform", p]);
        }
        let run = repo.xtask_with(&args, |cmd| {
            cmd.env("CARGO_TARGET_DIR", target.path());
        });
        run.assert_code(0);
        std::fs::remove_dir_all(repo.path().join("dist")).unwrap();
        run.stderr
    };
    let first = nightly(&["linux"]);
    assert!(first.contains("==> creating the build-tools venv"), "{first}");
    let venvs = || {
        list_dir(&target.path().join("xtask/tools"))
            .into_iter()
            // Beside each venv (`venv-<key>`): its lock, and the modules its build hooks import.
            .filter(|n| !n.contains('.'))
            .collect::<Vec<_>>()
    };
    // The plugins' metadata is read in the manifest's build tools; the run's venv adds uv.
    assert_eq!(venvs().len(), 2, "{first}");
    let had = venvs();

    // The windows platform needs nothing more (uv resolves the host too).
    let both = nightly(&["linux", "windows"]);
    assert!(!both.contains("build-tools venv"), "{both}");
    repo.write(
        "release-config.toml",
        &repo.read("release-config.toml").replacen(
            "[public]\n",
            "[python]\nbuild-tools = [\"pip==26.3\", \"build==1.6.1\", \"setuptools==84.2.1\", \"wheel==0.48.0\", \"towncrier==26.9.0\"]\n\n[public]\n",
            1,
        ),
    );
    repo.commit("one more build tool");
    let more = nightly(&["linux"]);
    assert!(!more.contains("creating the build-tools venv"), "{more}");
    let line = more
        .lines()
        .find(|l| l.contains("==> making the build-tools venv"))
        .unwrap_or_else(|| panic!("{more}"));
    assert!(
        had.iter().any(|v| line.contains(&format!(
            " from {}, ",
            target.path().join("xtask/tools").join(v).display()
        ))),
        "{line}"
    );
    assert!(line.ends_with("adding towncrier==26.9.0"), "{line}");
    // Two new ones (the metadata's and the run's, each from one it had); those stay.
    assert_eq!(venvs().len(), 4, "the venvs it had stay as they were");
    assert!(had.iter().all(|v| venvs().contains(v)));

    let again = nightly(&["linux"]);
    assert!(!again.contains("build-tools venv"), "{again}");
}
