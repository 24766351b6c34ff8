//! The repository's lock (`cargo xtask lock`, `locks/pylock.<platform>.toml`): resolved by uv
//! for every platform, the host included, as the target's installer would (Requires-Python
//! over the whole minor series, wheels in the target's tag priority); a locked nightly asks
//! no index (served here by a server the test stops); `--locked` names the requirement that
//! changed; `--offline` names the files the wheel store lacks; `bundle` on a release tag ships
//! the same bytes after the index gained newer versions.

mod common;

use std::fs;

use common::*;

/// The example plugins on an index of the test's own, with these extra `[public]`
/// requirements, committed.
fn repo_on(own: &OwnIndex, requirements: &[&str]) -> Repo {
    let repo = Repo::bare_examples();
    let quoted: Vec<String> = requirements.iter().map(|r| format!("{r:?}")).collect();
    let mut manifest = repo.read("release-config.toml").replace(&index().url, &own.url);
    if !quoted.is_empty() {
        manifest = manifest.replace(
            "requirements = [\"pluggy>=1.3\"]",
            &format!("requirements = [\"pluggy>=1.3\", {}]", quoted.join(", ")),
        );
    }
    assert!(manifest.contains(&own.url) && manifest.contains(&quoted.join(", ")));
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: an index of its own");
    repo
}

/// A locked nightly of the Linux bundle alone.
const LOCKED_LINUX_NIGHTLY: &[&str] = &[
    "nightly",
    "--locked",
    "--platform",
    "linux",
    "--no-sources",
    "--build-number",
    BUILD_NUMBER,
];

/// (name, version) of every package of a lock file.
fn locked(text: &str) -> Vec<(String, String)> {
    let doc: toml::Table = text.parse().unwrap();
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_committed_lock_is_used_with_no_index_and_locked_names_what_changed() {
    let mut own = OwnIndex::start();
    let repo = repo_on(&own, &["glibcpkg; sys_platform == 'linux'", "patchfloor", "rppatch"]);
    let run = repo.xtask(&["lock"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("locks/pylock.linux.toml: ") && run.stdout.contains("wrote 2 lock file(s)"),
        "{}",
        run.stdout
    );
    let linux = repo.read("locks/pylock.linux.toml");
    let packages = locked(&linux);
    // Python 3.11 means every 3.11.x: patchfloor 3.0 and 2.0 refuse 3.11.0 (one more
    // resolution excludes both), rppatch 2.0 needs 3.11.4.
    for (name, version) in [
        ("patchfloor", "1.0"),
        ("rppatch", "1.0"),
        ("glibcpkg", "1.0"),
        ("pluggy", "1.5.0"),
    ] {
        assert!(
            packages.contains(&(name.to_string(), version.to_string())),
            "{name} {version} in {packages:?}"
        );
    }
    assert!(
        run.stderr
            .contains("patchfloor 3.0 requires Python >=3.7,!=3.11.0,!=3.11.1, not every 3.11 release"),
        "{}",
        run.stderr
    );
    assert!(
        !packages.iter().any(|(n, _)| n.starts_with("acme-plugin")),
        "{packages:?}"
    );
    assert!(
        linux.contains("[tool.xtask]") && linux.contains("\"pluggy>=1.3\"") && linux.contains("sha256 = "),
        "{linux}"
    );
    assert!(!linux.contains(repo.path().to_str().unwrap()), "no local path: {linux}");
    repo.commit("lock the dependencies");
    let again = repo.xtask(&["lock"]);
    again.assert_code(0);
    let line = again
        .stdout
        .lines()
        .find(|l| l.starts_with("locks/pylock.linux.toml: "))
        .unwrap_or_default();
    assert!(line.ends_with(" package(s), unchanged"), "{}", again.stdout);
    assert_eq!(repo.read("locks/pylock.linux.toml"), linux);

    // With the index gone, a locked nightly builds from the wheel store.
    own.stop();
    repo.xtask(LOCKED_LINUX_NIGHTLY).assert_code(0);
    let (_keep, bundle) = repo.unpack_linux_bundle();
    let files = list_dir(&bundle);
    for wheel in [
        "glibcpkg-1.0-cp311-cp311-manylinux_2_28_x86_64.whl",
        "patchfloor-1.0-py3-none-any.whl",
        "rppatch-1.0-py3-none-any.whl",
    ] {
        assert!(files.contains(&wheel.to_string()), "{wheel} in {files:?}");
    }
    assert!(
        !files.iter().any(|f| f.contains("manylinux2014")),
        "the target's installer prefers the newer glibc's wheel: {files:?}"
    );
    // A lock that fits needs no index either, and a partial set in dist/ is no concern of it.
    let offline_lock = repo.xtask(&["lock"]);
    offline_lock.assert_code(0);
    assert!(offline_lock.stdout.contains(", unchanged"), "{}", offline_lock.stdout);
    fs::remove_dir_all(repo.path().join("dist")).unwrap();

    // --offline with an empty wheel store (--no-cache: the run's own) names what is missing.
    let offline = repo.xtask(&[
        "--no-cache",
        "--offline",
        "nightly",
        "--platform",
        "linux",
        "--build-number",
        BUILD_NUMBER,
    ]);
    offline.assert_code(3);
    assert!(
        offline.stderr.contains("--offline: ")
            && offline.stderr.contains("locked file(s) are not in the wheel store")
            && offline
                .stderr
                .contains("glibcpkg-1.0-cp311-cp311-manylinux_2_28_x86_64.whl"),
        "{}",
        offline.stderr
    );

    // `lock --offline` works from the wheel store, and says what would need the index.
    let run = repo.xtask(&["--offline", "lock", "--upgrade"]);
    run.assert_code(2);
    assert!(run
        .stderr
        .contains("--upgrade and --upgrade-package resolve again, which needs the index"));
    let run = repo.xtask(&["--no-cache", "--offline", "lock"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("locks/pylock.linux.toml: its files cannot be fetched from the URLs it records (")
            && run
                .stderr
                .contains("resolving it again needs the index (run without --offline)")
            && !run.stderr.contains("resolved again"),
        "{}",
        run.stderr
    );

    // --offline in a work folder without the build-tools venv: no index is asked for its
    // tools either; the run says how to get them.
    let fresh = tempfile::tempdir().unwrap();
    let run = repo.xtask_with(
        &[
            "--offline",
            "nightly",
            "--platform",
            "linux",
            "--build-number",
            BUILD_NUMBER,
        ],
        |c| {
            c.env("CARGO_TARGET_DIR", fresh.path());
        },
    );
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("is not made yet")
            && run
                .stderr
                .contains("--offline asks no index for its tools: run once without --offline"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("Retrying"), "pip never asked: {}", run.stderr);

    // A requirement that changed: --locked refuses before building, naming it.
    let manifest = repo.read("release-config.toml");
    repo.write(
        "release-config.toml",
        &manifest.replace("\"rppatch\"]", "\"rppatch\", \"richy<12\"]"),
    );
    repo.commit("fixture: a new requirement");
    let stale = repo.xtask(&[
        "nightly",
        "--locked",
        "--platform",
        "linux",
        "--build-number",
        BUILD_NUMBER,
    ]);
    stale.assert_code(3);
    assert!(
        stale.stderr.contains("locks/pylock.linux.toml no longer fits")
            && stale.stderr.contains("requirement \"richy<12\" is new")
            && stale.stderr.contains("run `cargo xtask lock`"),
        "{}",
        stale.stderr
    );
    assert!(!stale.stderr.contains("==> ["), "nothing ran: {}", stale.stderr);
    assert!(!repo.path().join("dist").exists());
}

#[test]
fn a_conflict_on_one_platform_writes_no_lock() {
    let own = OwnIndex::start();
    // glibcpkg has Linux wheels only: Windows cannot be resolved.
    let repo = repo_on(&own, &["glibcpkg"]);
    let run = repo.xtask(&["lock"]);
    run.assert_code(3);
    assert!(
        run.stderr.contains("no lock was written")
            && run.stderr.contains("- windows: ")
            && run
                .stderr
                .contains("glibcpkg==1.0 has no wheels with a matching platform tag"),
        "{}",
        run.stderr
    );
    assert!(!repo.path().join("locks").exists(), "not even the Linux lock");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn versions_refusing_early_patch_releases_are_excluded_at_once_from_the_index_pages() {
    // Like cryptography's `!=3.9.0,!=3.9.1` on every release for years: 35 versions refuse
    // 3.11.0 and 3.11.1, more than the rounds a resolution may take one version at a time.
    // Its 1.0 needs `floordep`, whose newest version refuses them too (a second layer).
    let own = OwnIndex::start();
    let files = tempfile::tempdir().unwrap();
    let refusing = "Requires-Python: >=3.7,!=3.11.0,!=3.11.1\n";
    for major in 2..=36 {
        own.add(&fake_wheel_meta(
            files.path(),
            "manypatch",
            &format!("{major}.0"),
            "manypatch",
            &[],
            "py3-none-any",
            refusing,
        ));
    }
    own.add(&fake_wheel_meta(
        files.path(),
        "manypatch",
        "1.0",
        "manypatch",
        &["floordep"],
        "py3-none-any",
        "Requires-Python: >=3.7\n",
    ));
    own.add(&fake_wheel_meta(
        files.path(),
        "floordep",
        "2.0",
        "floordep",
        &[],
        "py3-none-any",
        refusing,
    ));
    own.add(&fake_wheel(files.path(), "floordep", "1.0", "floordep", "", &[]));
    own.write_pages();
    let repo = repo_on(&own, &["manypatch"]);
    let run = repo.xtask(&["lock"]);
    run.assert_code(0);
    for platform in ["linux", "windows"] {
        let packages = locked(&repo.read(&format!("locks/pylock.{platform}.toml")));
        for (name, version) in [("manypatch", "1.0"), ("floordep", "1.0")] {
            assert!(
                packages.contains(&(name.to_string(), version.to_string())),
                "{platform}: {name} {version} in {packages:?}"
            );
        }
    }
    let said = |text: &str| run.stderr.matches(text).count();
    assert_eq!(
        said("manypatch: 35 version(s) do not install on every Python 3.11 release (the newest, 36.0, requires Python >=3.7,!=3.11.0,!=3.11.1)"),
        2,
        "once per platform: {}",
        run.stderr
    );
    assert_eq!(
        said("floordep: 1 version(s) do not install on every"),
        2,
        "{}",
        run.stderr
    );
    assert_eq!(said("again"), 4, "two rounds more per platform: {}", run.stderr);
    assert!(
        run.stderr
            .contains("(if every target runs 3.11.2 or later, say python = \"3.11.2\" in [platforms.linux])"),
        "{}",
        run.stderr
    );

    // Taking the advice (the lock keeps its versions unless told): the newest versions, for
    // 3.11.2 and later only.
    let manifest = repo.read("release-config.toml");
    let linux = "[platforms.linux]\ntags = [\"manylinux2014_x86_64\", \"manylinux_2_28_x86_64\", \"linux_x86_64\"]\npython = \"3.11\"";
    assert!(manifest.contains(linux), "{manifest}");
    repo.write(
        "release-config.toml",
        &manifest.replace(linux, &linux.replace("\"3.11\"", "\"3.11.2\"")),
    );
    repo.commit("the Linux targets run 3.11.2 or later");
    let floor = repo.xtask(&["lock", "--upgrade-package", "manypatch"]);
    floor.assert_code(0);
    let packages = locked(&repo.read("locks/pylock.linux.toml"));
    for (name, version) in [("manypatch", "36.0"), ("pluggy", "1.5.0")] {
        assert!(
            packages.contains(&(name.to_string(), version.to_string())),
            "{name} {version} in {packages:?}"
        );
    }
    assert!(!floor.stderr.contains("linux again"), "{}", floor.stderr);
    repo.commit("lock");
    repo.xtask(LOCKED_LINUX_NIGHTLY).assert_code(0);
    let (_keep, bundle) = repo.unpack_linux_bundle();
    let pylock = fs::read_to_string(bundle.join("pylock.toml")).unwrap();
    assert!(pylock.contains("requires-python = \">=3.11.2,==3.11.*\""), "{pylock}");
    assert!(list_dir(&bundle).contains(&"manypatch-36.0-py3-none-any.whl".to_string()));
    let archive = list_dir(&repo.set_dir())
        .into_iter()
        .find(|n| n.ends_with(".tar.bz2"))
        .unwrap();
    let verify = repo.xtask(&["verify", &repo.set_dir().join(archive).to_string_lossy()]);
    verify.assert_code(0);
    assert!(verify.stdout.contains("admit Python 3.11.2"), "{}", verify.stdout);
}

#[test]
fn bundle_on_a_release_tag_ships_the_same_bytes_after_the_index_moves_on() {
    let own = OwnIndex::start();
    let repo = repo_on(&own, &[]);
    repo.xtask(&["lock"]).assert_code(0);
    repo.commit("lock the dependencies");
    // A requirement added after the lock: the release refuses before it changes anything, so
    // that its tag never holds a lock it was not built with.
    repo.add_reports_dependencies(&["rppatch"]);
    repo.commit("reports needs rppatch");
    let head = repo.git(&["rev-parse", "HEAD"]);
    let release = ["release", "minor", "--execute", "--platform", "linux", "--no-sources"];
    let refused = repo.xtask(&release);
    refused.assert_code(3);
    assert!(
        refused.stderr.contains(
            "locks/pylock.linux.toml does not cover this release (requirement \"rppatch\" is new): run `cargo xtask lock`, commit it"
        ),
        "{}",
        refused.stderr
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(repo.git(&["tag", "--list"]).trim(), "");
    assert_eq!(repo.git(&["status", "--porcelain"]).trim(), "");
    repo.xtask(&["lock"]).assert_code(0);
    repo.commit("lock rppatch");
    repo.xtask(&release).assert_code(0);
    let archive = repo
        .path()
        .join("dist/acme-plugins-1.5.0/acme-plugins-1.5.0-linux.tar.bz2");
    let (_released, released) = unpack(&archive);
    fs::remove_dir_all(repo.path().join("dist")).unwrap();
    let bundle = |args: &[&str]| {
        let mut all = vec!["bundle", "--platform", "linux", "--no-sources"];
        all.extend(args);
        repo.xtask(&all).assert_code(0);
        let bytes = fs::read(&archive).unwrap();
        fs::remove_dir_all(repo.path().join("dist")).unwrap();
        bytes
    };
    let before = bundle(&[]);

    // The index gains a newer pluggy: an upgrade would take it, the tag's lock does not.
    let newer = tempfile::tempdir().unwrap();
    own.add(&fake_wheel(newer.path(), "pluggy", "1.9.0", "pluggy", "", &[]));
    let dry = repo.xtask(&["lock", "--dry-run", "--upgrade-package", "pluggy"]);
    dry.assert_code(0);
    assert!(dry.stdout.contains("pluggy 1.5.0 -> 1.9.0"), "{}", dry.stdout);
    assert!(
        repo.git(&["status", "--porcelain"]).trim().is_empty(),
        "a dry run writes nothing"
    );

    // No cache: every file comes again from the index, as the lock names it.
    let after = bundle(&["--locked", "--no-cache"]);
    assert!(
        after == before,
        "bundle on the tag rebuilt other bytes once the index moved on"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rebuilt.tar.bz2");
    fs::write(&path, &after).unwrap();
    let (_keep, rebuilt) = unpack(&path);
    let wheels =
        |d: &std::path::Path| -> Vec<String> { list_dir(d).into_iter().filter(|f| f.ends_with(".whl")).collect() };
    assert!(wheels(&rebuilt).contains(&"pluggy-1.5.0-py3-none-any.whl".to_string()));
    assert_eq!(wheels(&rebuilt), wheels(&released), "the release's wheels");
    for wheel in wheels(&released) {
        assert!(
            fs::read(rebuilt.join(&wheel)).unwrap() == fs::read(released.join(&wheel)).unwrap(),
            "{wheel} differs"
        );
    }
}

#[test]
fn an_unchanged_nightly_is_reused_until_its_resolution_moves() {
    let own = OwnIndex::start();
    let repo = repo_on(&own, &[]);
    let nightly = || {
        let run = repo.nightly_linux();
        run.assert_code(0);
        run
    };
    let first = nightly();
    assert!(!first.stderr.contains("its outputs are reused"), "{}", first.stderr);
    let built = files(&repo.set_dir());
    let again = nightly();
    assert!(again.stderr.contains("its outputs are reused"), "{}", again.stderr);
    assert!(!again.stderr.contains("==> [1/"), "no step ran: {}", again.stderr);
    assert!(files(&repo.set_dir()) == built, "the same bytes");

    // Unlocked, the run resolves again: a newer pluggy on the index is a new run.
    let newer = tempfile::tempdir().unwrap();
    own.add(&fake_wheel(newer.path(), "pluggy", "1.9.0", "pluggy", "", &[]));
    let moved = nightly();
    assert!(!moved.stderr.contains("its outputs are reused"), "{}", moved.stderr);
    let (_keep, bundle) = repo.unpack_linux_bundle();
    assert!(
        list_dir(&bundle).contains(&"pluggy-1.9.0-py3-none-any.whl".to_string()),
        "{:?}",
        list_dir(&bundle)
    );
    // --no-cache neither takes nor keeps a run.
    let no_cache: Vec<&str> = std::iter::once("--no-cache")
        .chain(NIGHTLY_LINUX.iter().copied())
        .collect();
    let uncached = repo.xtask(&no_cache);
    uncached.assert_code(0);
    assert!(
        !uncached.stderr.contains("its outputs are reused"),
        "{}",
        uncached.stderr
    );
}

#[test]
fn an_index_that_needs_a_login_gets_it_from_the_environment_and_no_lock_keeps_it() {
    const PASSWORD: &str = "l0ck-t3st-pa55";
    let own = OwnIndex::start_with_login("ci-bot", PASSWORD);
    let repo = Repo::bare_examples();
    let with_login = own
        .url
        .replacen("http://", "http://ci-bot:${XTASK_TEST_LOCK_PASSWORD}@", 1);
    let manifest = repo.read("release-config.toml").replace(&index().url, &with_login);
    assert!(manifest.contains(&with_login));
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: an index that needs a login");
    let login = |c: &mut std::process::Command| {
        c.env("XTASK_TEST_LOCK_PASSWORD", PASSWORD);
    };
    let lock = repo.xtask_with(&["lock"], login);
    lock.assert_code(0);
    for platform in ["linux", "windows"] {
        let text = repo.read(&format!("locks/pylock.{platform}.toml"));
        assert!(
            !text.contains(PASSWORD) && !text.contains("ci-bot"),
            "a committed lock holds no login:\n{text}"
        );
        assert!(text.contains("pluggy-1.5.0-py3-none-any.whl"), "{text}");
    }
    repo.commit("lock");
    // An empty wheel store (--no-cache): every locked file is fetched, with the login.
    let nightly: Vec<&str> = std::iter::once("--no-cache")
        .chain(LOCKED_LINUX_NIGHTLY.iter().copied())
        .collect();
    let run = repo.xtask_with(&nightly, login);
    run.assert_code(0);
    let (_keep, bundle) = repo.unpack_linux_bundle();
    assert!(list_dir(&bundle).contains(&"pluggy-1.5.0-py3-none-any.whl".to_string()));
    for text in [&lock.stdout, &lock.stderr, &run.stdout, &run.stderr] {
        assert!(!text.contains(PASSWORD), "{text}");
    }
    // A wrong password is refused by the index: said, not shown.
    fs::remove_dir_all(repo.path().join("dist")).unwrap();
    let wrong = repo.xtask_with(&nightly, |c| {
        c.env("XTASK_TEST_LOCK_PASSWORD", "wr0ng-pa55");
    });
    assert_ne!(wrong.code, 0, "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("HTTP Error 401") && wrong.stderr.contains("The index refuses the login"),
        "{}",
        wrong.stderr
    );
    assert!(!wrong.stderr.contains("wr0ng-pa55"), "{}", wrong.stderr);
}

/// A lock edited by hand so that it no longer holds what it records it was resolved from (a
/// package taken out, a version changed) is refused by `--locked` before anything is built,
/// naming the requirement; without `--locked` the run resolves again and says so.
#[test]
fn a_lock_edited_by_hand_that_misses_a_requirement_is_refused_before_any_build() {
    let own = OwnIndex::start();
    let repo = repo_on(&own, &[]);
    // `plan --locked` runs the lock's checks with the others: no lock yet.
    let plan = repo.xtask(&["plan", "--locked", "--platform", "linux"]);
    plan.assert_code(3);
    assert!(
        plan.stderr
            .contains("linux: locks/pylock.linux.toml does not exist; run `cargo xtask lock` and commit it"),
        "{}",
        plan.stderr
    );
    repo.xtask(&["lock"]).assert_code(0);
    repo.commit("lock the dependencies");
    repo.xtask(&["plan", "--locked", "--platform", "linux"]).assert_code(0);
    let file = "locks/pylock.linux.toml";
    let lock = repo.read(file);
    // Without pluggy's [[packages]] block.
    let start = lock.find("[[packages]]\nname = \"pluggy\"").expect("pluggy is locked");
    let end = start + 1 + lock[start + 1..].find("\n[").expect("a table after it");
    repo.write(file, &format!("{}{}", &lock[..start], &lock[end + 1..]));
    repo.commit("fixture: pluggy taken out of the lock by hand");
    let run = repo.xtask(LOCKED_LINUX_NIGHTLY);
    run.assert_code(3);
    assert!(
        run.stderr.contains("locks/pylock.linux.toml no longer fits")
            && run
                .stderr
                .contains("requirement \"pluggy>=1.3\" has no package pluggy in it"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("==> ["), "nothing ran: {}", run.stderr);
    assert!(!repo.path().join("dist").exists());
    let plan = repo.xtask(&["plan", "--locked", "--platform", "linux"]);
    plan.assert_code(3);
    assert!(
        plan.stderr
            .contains("requirement \"pluggy>=1.3\" has no package pluggy in it"),
        "{}",
        plan.stderr
    );

    // A version changed by hand to one the requirement excludes.
    let old = lock
        .find("name = \"tabulate\"\nversion = \"0.9.0\"")
        .expect("tabulate 0.9.0 is locked");
    let edited = format!(
        "{}name = \"tabulate\"\nversion = \"0.8.0\"{}",
        &lock[..old],
        &lock[old + "name = \"tabulate\"\nversion = \"0.9.0\"".len()..]
    );
    repo.write(file, &edited);
    repo.commit("fixture: tabulate's version changed by hand");
    let run = repo.xtask(LOCKED_LINUX_NIGHTLY);
    run.assert_code(3);
    assert!(
        run.stderr.contains(
            "package tabulate 0.8.0 lists the file tabulate-0.9.0-py3-none-any.whl, which is not one of tabulate 0.8.0"
        ),
        "{}",
        run.stderr
    );
    // Its file names changed with it: the lock reads, and does not meet the requirement.
    repo.write(file, &edited.replace("tabulate-0.9.0", "tabulate-0.8.0"));
    repo.commit("fixture: tabulate's version and files changed by hand");
    let run = repo.xtask(LOCKED_LINUX_NIGHTLY);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("requirement \"tabulate>=0.9\" is not met by tabulate 0.8.0"),
        "{}",
        run.stderr
    );
    // Unlocked, the run resolves again (and the bundle gets what the requirements ask for).
    let run = repo.nightly_linux();
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("locks/pylock.linux.toml is out of date (requirement \"tabulate>=0.9\" is not met"),
        "{}",
        run.stderr
    );
    let (_keep, bundle) = repo.unpack_linux_bundle();
    assert!(list_dir(&bundle).contains(&"tabulate-0.9.0-py3-none-any.whl".to_string()));
    fs::remove_dir_all(repo.path().join("dist")).unwrap();

    // A sha256 that is a path (a hostile change): refused before anything touches the disk.
    let victim = tempfile::tempdir().unwrap();
    let precious = victim.path().join("tabulate-0.9.0-py3-none-any.whl");
    fs::write(&precious, "precious").unwrap();
    let sha = lock
        .split("tabulate-0.9.0-py3-none-any.whl\", hashes = { sha256 = \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("tabulate's sha256")
        .to_string();
    repo.write(file, &lock.replace(&sha, &victim.path().display().to_string()));
    repo.commit("fixture: a path where a hash belongs");
    let run = repo.xtask(LOCKED_LINUX_NIGHTLY);
    run.assert_code(3);
    assert!(run.stderr.contains("not 64 hex digits"), "{}", run.stderr);
    assert!(!run.stderr.contains("==> ["), "nothing ran: {}", run.stderr);
    assert_eq!(fs::read_to_string(&precious).unwrap(), "precious");
    repo.nightly_linux().assert_code(3);
    assert_eq!(fs::read_to_string(&precious).unwrap(), "precious");

    // Not TOML at all: a problem of the run (exit 3, nothing built), naming the file and line;
    // `cargo xtask lock`, which that message advises, writes it anew.
    repo.write(file, &format!("{lock}[[packages\n"));
    repo.commit("fixture: a lock cut short");
    let run = repo.xtask(LOCKED_LINUX_NIGHTLY);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("locks/pylock.linux.toml is not valid TOML: restore it from git or run `cargo xtask lock`")
            && run.stderr.contains("line "),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("==> ["), "nothing ran: {}", run.stderr);
    let rewrite = repo.xtask(&["lock"]);
    rewrite.assert_code(0);
    assert!(
        rewrite.stderr.contains("locks/pylock.linux.toml cannot be read (") && rewrite.stderr.contains("resolved anew"),
        "{}",
        rewrite.stderr
    );
    assert_eq!(repo.read(file), lock, "the same resolution as first written");
    repo.commit("lock again");

    // --offline with a damaged file in the wheel store (a work folder of its own): named with
    // the missing ones, before anything is built.
    let work = tempfile::tempdir().unwrap();
    let private = |c: &mut std::process::Command| {
        c.env("CARGO_TARGET_DIR", work.path());
    };
    repo.xtask_with(LOCKED_LINUX_NIGHTLY, private).assert_code(0);
    fs::remove_dir_all(repo.path().join("dist")).unwrap();
    let sha = |name: &str| {
        lock.split(&format!("{name}\", hashes = {{ sha256 = \""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a locked sha256")
            .to_string()
    };
    let stored = |name: &str| work.path().join("xtask/cache/wheels").join(sha(name)).join(name);
    let (damaged, gone) = ("tabulate-0.9.0-py3-none-any.whl", "pluggy-1.5.0-py3-none-any.whl");
    fs::remove_file(stored(damaged)).unwrap();
    fs::write(stored(damaged), "junk").unwrap();
    fs::remove_file(stored(gone)).unwrap();
    let offline: Vec<&str> = std::iter::once("--offline")
        .chain(LOCKED_LINUX_NIGHTLY.iter().copied())
        .collect();
    let run = repo.xtask_with(&offline, private);
    run.assert_code(3);
    assert!(
        run.stderr.contains("2 locked file(s) are not in the wheel store")
            && run.stderr.contains(&format!("{gone}, {damaged} (damaged)"))
            && !run.stderr.contains("fetched again"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("==> ["), "nothing ran: {}", run.stderr);
}

/// A lock records where its packages come from (`[public]` index-url, extra-index-urls,
/// find-links): after the index moves, `--locked` refuses the old lock naming both, and
/// `lock` resolves again from the new index. Like Cargo's checksums, a file the index now
/// serves with other bytes under a locked name is refused by `lock` until accepted with
/// `--upgrade-package`.
#[test]
fn a_moved_index_makes_the_lock_stale_and_a_replaced_file_needs_consent() {
    let mut first = OwnIndex::start();
    let repo = repo_on(&first, &[]);
    repo.xtask(&["lock"]).assert_code(0);
    repo.commit("lock the dependencies");
    let second = OwnIndex::start();
    let manifest = repo.read("release-config.toml");
    repo.write("release-config.toml", &manifest.replace(&first.url, &second.url));
    repo.commit("fixture: the index moved");
    first.stop();
    let run = repo.xtask(LOCKED_LINUX_NIGHTLY);
    run.assert_code(3);
    assert!(
        run.stderr.contains("locks/pylock.linux.toml no longer fits")
            && run
                .stderr
                .contains(&format!("the package index and find-links were [\"{}\"", first.url))
            && run.stderr.contains(&format!("now [\"{}\"", second.url)),
        "{}",
        run.stderr
    );
    // `--upgrade-package` of a name no lock holds, or that is no name: refused, like Cargo.
    let run = repo.xtask(&["lock", "--upgrade-package", "no-such-package"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("--upgrade-package no-such-package: no lock holds a package no-such-package"),
        "{}",
        run.stderr
    );
    let run = repo.xtask(&["lock", "--upgrade-package", "../etc"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("--upgrade-package \"../etc\": not a package name"),
        "{}",
        run.stderr
    );
    let relock = repo.xtask(&["lock"]);
    relock.assert_code(0);
    assert!(
        relock.stdout.contains("file(s) now from another URL") && !relock.stdout.contains("unchanged"),
        "{}",
        relock.stdout
    );
    let file = "locks/pylock.linux.toml";
    assert!(repo.read(file).contains(&second.url) && !repo.read(file).contains(&first.url));
    repo.commit("lock: the new index");

    // The index replaces tabulate 0.9.0's wheel with other bytes under the same name (its
    // files are hard links to the shared index's: replaced, never written in place).
    let name = "tabulate-0.9.0-py3-none-any.whl";
    let served = second.dir.path().join("simple/tabulate").join(name);
    fs::remove_file(&served).unwrap();
    let other = tempfile::tempdir().unwrap();
    let forged = fake_wheel(
        other.path(),
        "tabulate",
        "0.9.0",
        "tabulate",
        "def tabulate(*a, **k):\n    return ''\n",
        &[],
    );
    fs::copy(&forged, &served).unwrap();
    let locked = repo.read(file);
    // An empty wheel store (--no-cache), so the lock's files are fetched again.
    let run = repo.xtask(&["--no-cache", "lock"]);
    run.assert_code(3);
    assert!(
        run.stderr.contains(&format!(
            "locks/pylock.linux.toml: tabulate 0.9.0: the index now serves {name} with another sha256 than the lock records"
        )) && run.stderr.contains("`cargo xtask lock --upgrade-package tabulate`"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.read(file), locked, "nothing written");
    let accepted = repo.xtask(&["--no-cache", "lock", "--upgrade-package", "tabulate"]);
    accepted.assert_code(0);
    assert!(
        accepted
            .stdout
            .contains(&format!("tabulate 0.9.0: {name} has another sha256")),
        "{}",
        accepted.stdout
    );
    assert!(repo.read(file).contains(&sha256_hex(&fs::read(&forged).unwrap())));
}

/// A lock written before locks recorded their sources (no `sources` in `[tool.xtask]`) is
/// refused by `--locked`, which says why; `lock` rewrites only that record, says so, and the
/// lock comes back byte for byte as a new one would be.
#[test]
fn an_older_lock_without_its_sources_is_rewritten_with_the_same_packages() {
    let own = OwnIndex::start();
    let repo = repo_on(&own, &[]);
    repo.xtask(&["lock"]).assert_code(0);
    let file = "locks/pylock.linux.toml";
    let written = repo.read(file);
    let at = written.find("sources = [").expect("a lock records its sources");
    let end = at + written[at..].find("]\n").unwrap() + 2;
    let older = format!("{}{}", &written[..at], &written[end..]);
    assert!(!older.contains("sources") && older.contains("[tool.xtask]"), "{older}");
    repo.write(file, &older);
    repo.commit("an older lock");
    let run = repo.xtask(LOCKED_LINUX_NIGHTLY);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("it does not record where its packages come from (an older lock)"),
        "{}",
        run.stderr
    );
    let relock = repo.xtask(&["lock"]);
    relock.assert_code(0);
    assert!(
        relock.stdout.contains(&format!(
            "{file}: {} package(s), the same packages; its [tool.xtask] record rewritten",
            locked(&written).len()
        )),
        "{}",
        relock.stdout
    );
    assert_eq!(repo.read(file), written);
}

/// The bundle's wheels are checked as a complete set before anything is delivered: a lock
/// edited by hand that lost a dependency of a dependency (reached through an extra), or that
/// gained a package nothing requires, stops the run naming the wheel and the lock.
#[test]
fn a_lock_that_lost_a_dependency_or_gained_a_stray_package_ships_nothing() {
    let own = OwnIndex::start();
    let repo = repo_on(&own, &["extrapkg[socks]"]);
    repo.xtask(&["lock"]).assert_code(0);
    repo.commit("lock the dependencies");
    let file = "locks/pylock.linux.toml";
    let lock = repo.read(file);
    assert!(lock.contains("name = \"socksdep\""), "{lock}");
    // socksdep taken out: extrapkg[socks] still met, its own requirement not.
    let start = lock.find("[[packages]]\nname = \"socksdep\"").unwrap();
    let end = start + 1 + lock[start + 1..].find("\n[").unwrap();
    repo.write(file, &format!("{}{}", &lock[..start], &lock[end + 1..]));
    repo.commit("fixture: socksdep taken out by hand");
    let run = repo.xtask(LOCKED_LINUX_NIGHTLY);
    run.assert_code(1);
    assert!(
        run.stderr.contains("the wheels of linux are not a complete set: extrapkg-1.0-py3-none-any.whl requires \"socksdep>=1; extra == \\\"socks\\\"\"")
            && run.stderr.contains("the lock locks/pylock.linux.toml was changed by hand: run `cargo xtask lock`"),
        "{}",
        run.stderr
    );
    assert!(!repo.path().join("dist").exists(), "nothing delivered");

    // A package nothing requires, added with its right URL and sha256.
    let stray = "linuxonly_native-1.0-cp311-cp311-manylinux2014_x86_64.whl";
    let bytes = fs::read(own.dir.path().join("simple/linuxonly-native").join(stray)).unwrap();
    let block = format!(
        "[[packages]]\nname = \"linuxonly-native\"\nversion = \"1.0\"\nwheels = [{{ url = \"{}linuxonly-native/{stray}\", hashes = {{ sha256 = \"{}\" }} }}]\n\n",
        own.url,
        sha256_hex(&bytes)
    );
    let at = lock.find("[tool.xtask]").unwrap();
    repo.write(file, &format!("{}{block}{}", &lock[..at], &lock[at..]));
    repo.commit("fixture: a stray package added by hand");
    let run = repo.xtask(LOCKED_LINUX_NIGHTLY);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains(&format!("{stray} is required by nothing in the bundle")),
        "{}",
        run.stderr
    );
    assert!(!repo.path().join("dist").exists(), "nothing delivered");
    // `lock` makes it whole again: the stray package goes, nothing else changes.
    let relock = repo.xtask(&["lock"]);
    relock.assert_code(0);
    assert!(
        relock
            .stderr
            .contains("locks/pylock.linux.toml: it is not a complete set (")
            && relock
                .stderr
                .contains(&format!("{stray} is required by nothing in the bundle")),
        "{}",
        relock.stderr
    );
    assert!(relock.stdout.contains("-linuxonly-native 1.0"), "{}", relock.stdout);
    assert_eq!(repo.read(file), lock, "the lock as first written");
    repo.commit("lock: whole again");
    repo.xtask(LOCKED_LINUX_NIGHTLY).assert_code(0);
}

/// `--offline` with a locked package the platform takes as an sdist: its wheel is built once
/// with the index at hand and kept; before that, the offline run says so before building
/// anything (pip needs an index for the sdist's build tools).
#[test]
fn offline_needs_the_wheel_an_sdist_was_built_into_once() {
    let own = OwnIndex::start();
    let repo = repo_on(&own, &["puresdist"]);
    let work = tempfile::tempdir().unwrap();
    let private = |c: &mut std::process::Command| {
        c.env("CARGO_TARGET_DIR", work.path());
    };
    repo.xtask_with(&["lock"], private).assert_code(0);
    repo.commit("lock the dependencies");
    let offline: Vec<&str> = std::iter::once("--offline")
        .chain(LOCKED_LINUX_NIGHTLY.iter().copied())
        .collect();
    let run = repo.xtask_with(&offline, private);
    run.assert_code(3);
    assert!(
        run.stderr.contains(
            "linux: --offline: puresdist 1.0 has only an sdist for this platform, and no wheel built from it is in the cache"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("==> ["), "nothing ran: {}", run.stderr);
    repo.xtask_with(LOCKED_LINUX_NIGHTLY, private).assert_code(0);
    fs::remove_dir_all(repo.path().join("dist")).unwrap();
    let run = repo.xtask_with(&offline, private);
    run.assert_code(0);
    let (_keep, bundle) = repo.unpack_linux_bundle();
    assert!(
        list_dir(&bundle)
            .iter()
            .any(|f| f.starts_with("puresdist-1.0-") && f.ends_with(".whl")),
        "{:?}",
        list_dir(&bundle)
    );
}
