//! `cargo xtask nightly` end to end: real git, Python, pip, venv and a local HTTP index.

mod common;

use std::fs;
use std::process::Command;

use common::*;

fn plugin_modules() -> [(&'static str, &'static str, &'static str); 4] {
    [
        ("acme-plugin-base", "acme_plugin_base", NIGHTLY),
        ("acme-plugin-console", "acme_plugin_console", NIGHTLY),
        ("acme-plugin-legacy", "acme_plugin_legacy", LEGACY_NIGHTLY),
        ("acme-plugin-reports", "acme_plugin_reports", NIGHTLY),
    ]
}

#[test]
fn nightly_bundle_matches_plan_installs_offline_and_leaves_the_tree_alone() {
    let repo = Repo::examples();
    let head = repo.git(&["rev-parse", "HEAD"]);
    let before = repo.snapshot();

    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();
    let archive = plan["platforms"][0]["archive"].as_str().unwrap().to_string();
    let folder = plan["platforms"][0]["folder"].as_str().unwrap().to_string();
    assert_eq!(archive, format!("acme-plugins-{NIGHTLY}-linux.tar.bz2"));

    // Ambient pip settings that would change the result if they leaked into pip.
    let decoy = tempfile::tempdir().unwrap();
    fake_wheel(decoy.path(), "pluggy", "99.0.0", "pluggy", "", &[]);
    let run = repo.xtask_with(
        &["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER],
        |cmd| {
            cmd.env("PIP_FIND_LINKS", decoy.path())
                .env("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")
                .env("PIP_PRE", "1");
        },
    );
    run.assert_code(0);
    assert!(
        run.stdout.contains(&format!("dist/acme-plugins-{NIGHTLY}/{archive}")),
        "summary names the artifact:\n{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("KiB") && run.stdout.contains("built in"),
        "summary shows size and time:\n{}",
        run.stdout
    );

    // Only the planned artifacts, checksums that `sha256sum -c` accepts, and the repository
    // is untouched.
    let sources = format!("acme-plugins-{NIGHTLY}-sources.tar.bz2");
    assert_eq!(list_dir(&repo.path().join("dist")), [format!("acme-plugins-{NIGHTLY}")]);
    assert_eq!(
        list_dir(&repo.set_dir()),
        [
            "SHA256SUMS".to_string(),
            archive.clone(),
            format!("{archive}.sha256"),
            sources.clone(),
            format!("{sources}.sha256")
        ]
    );
    let checked = run_ok(
        Command::new("sha256sum")
            .arg("-c")
            .arg("SHA256SUMS")
            .current_dir(repo.set_dir()),
    );
    assert_eq!(
        String::from_utf8_lossy(&checked.stdout),
        format!("{archive}: OK\n{sources}: OK\n")
    );
    run_ok(
        Command::new("sha256sum")
            .arg("-c")
            .arg(format!("{archive}.sha256"))
            .current_dir(repo.set_dir()),
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(repo.git(&["tag", "--list"]), "");
    assert!(repo.snapshot() == before, "the working tree changed");

    // Unpack with the system tar, like a user would.
    let unpacked = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("tar")
            .arg("xjf")
            .arg(repo.in_dist(&archive))
            .arg("-C")
            .arg(unpacked.path()),
    );
    assert_eq!(list_dir(unpacked.path()), vec![folder.clone()], "one top-level folder");
    let bundle = unpacked.path().join(&folder);
    let mut expected = Vec::new();
    for (name, _, version) in plugin_modules() {
        let dist = name.replace('-', "_");
        expected.push(format!("{dist}-{version}-py3-none-any.whl"));
        expected.push(format!("{dist}-{version}.tar.gz"));
    }
    // Linux bundle: ptyprocess (not on Windows) is in, colorama (Windows only) is not; pluggy
    // comes from the manifest's index, not the ambient PIP_FIND_LINKS.
    expected.extend(
        [
            "pluggy-1.5.0-py3-none-any.whl",
            "ptyprocess-0.7.0-py3-none-any.whl",
            "tabulate-0.9.0-py3-none-any.whl",
        ]
        .map(String::from),
    );
    expected.extend(
        [
            "RELEASE_NOTES.md",
            "install.ps1",
            "install.sh",
            "manifest.json",
            "pylock.toml",
            "requirements.txt",
            "sbom.cdx.json",
        ]
        .map(String::from),
    );
    expected.sort();
    assert_eq!(list_dir(&bundle), expected);

    // manifest.json describes every file truthfully.
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(bundle.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        (
            manifest["release"].as_str(),
            manifest["version"].as_str(),
            manifest["platform"].as_str()
        ),
        (Some("acme-plugins"), Some(NIGHTLY), Some("linux"))
    );
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(files.len(), 11);
    for f in files {
        let bytes = fs::read(bundle.join(f["file"].as_str().unwrap())).unwrap();
        assert_eq!(f["size"].as_u64().unwrap(), bytes.len() as u64);
        let sha = run_ok(Command::new("sha256sum").arg(bundle.join(f["file"].as_str().unwrap())));
        assert_eq!(
            f["sha256"].as_str().unwrap(),
            String::from_utf8_lossy(&sha.stdout).split_whitespace().next().unwrap()
        );
    }
    let base = files
        .iter()
        .find(|f| f["file"] == format!("acme_plugin_base-{NIGHTLY}-py3-none-any.whl"))
        .unwrap();
    assert_eq!(
        (base["name"].as_str(), base["origin"].as_str(), base["license"].as_str()),
        (Some("acme-plugin-base"), Some("private"), Some("MIT"))
    );
    let tabulate = files.iter().find(|f| f["name"] == "tabulate").unwrap();
    assert_eq!(
        (tabulate["version"].as_str(), tabulate["origin"].as_str()),
        (Some("0.9.0"), Some("public"))
    );
    assert!(fs::read_to_string(bundle.join("RELEASE_NOTES.md"))
        .unwrap()
        .contains("`unregister()` removes a plugin"));

    // The sources bundle holds every plugin's sdist.
    let src = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("tar")
            .arg("xjf")
            .arg(repo.in_dist(&sources))
            .arg("-C")
            .arg(src.path()),
    );
    let sdists: Vec<String> = list_dir(&src.path().join(format!("acme-plugins-{NIGHTLY}-sources")))
        .into_iter()
        .filter(|f| f.ends_with(".tar.gz"))
        .collect();
    assert_eq!(sdists.len(), 4, "{sdists:?}");

    // Archive entries are reproducible: fixed mtime, root owner.
    let bytes = fs::read(repo.in_dist(&archive)).unwrap();
    let mut tar = tar::Archive::new(bzip2::read::MultiBzDecoder::new(bytes.as_slice()));
    for entry in tar.entries().unwrap() {
        let entry = entry.unwrap();
        let h = entry.header();
        assert_eq!(h.mtime().unwrap().to_string(), EPOCH);
        assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
    }

    // Offline install with the bundle's own script (it creates the venv and checks every
    // hash), then import every plugin.
    let venvs = tempfile::tempdir().unwrap();
    let venv = venvs.path().join("env");
    run_ok(clean_pip(Command::new(bundle.join("install.sh")).arg(&venv)));
    let venv_python = venv.join("bin/python");
    let imports: Vec<String> = plugin_modules()
        .iter()
        .map(|(_, m, _)| format!("import {m}; print({m}.__version__)"))
        .collect();
    let out = run_ok(Command::new(&venv_python).args(["-c", &imports.join("\n")]));
    let versions: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let planned: Vec<String> = plugin_modules().iter().map(|(_, _, v)| v.to_string()).collect();
    assert_eq!(
        versions, planned,
        "every plugin imports and reports its nightly version"
    );

    // The versions the plan announced are the ones installed.
    let plan_versions: Vec<&str> = plan["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["version"].as_str().unwrap())
        .collect();
    assert_eq!(plan_versions, planned.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn nightly_json_reports_artifacts_with_checksums() {
    let repo = Repo::examples();
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0)
        .json();
    let nightly = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend([
            "nightly",
            "--json",
            "--platform",
            "linux",
            "--build-number",
            BUILD_NUMBER,
        ]);
        let run = repo.xtask(&all);
        run.assert_code(0);
        run
    };
    // --no-cache: every step runs (another test may have run this very plan).
    let run = nightly(&["--no-cache"]);
    let doc = run.json();
    assert_matches_schema(&plan, "plan");
    assert_matches_schema(&doc, "run");
    let docs = readme_section("## `cargo xtask nightly") + &readme_section("# Plan JSON");
    assert_keys_documented(&doc, &docs, "nightly --json");
    let artifact = &doc["artifacts"][0];
    let path = repo.path().join(artifact["path"].as_str().unwrap());
    let bytes = fs::read(&path).unwrap();
    assert_eq!(artifact["size"].as_u64().unwrap(), bytes.len() as u64);
    let out = run_ok(Command::new("sha256sum").arg(&path));
    let sha = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        artifact["sha256"].as_str().unwrap(),
        sha.split_whitespace().next().unwrap()
    );
    assert_eq!(doc["plan"]["version"], NIGHTLY);
    assert_eq!(doc["built"].as_array().unwrap().len(), 4);
    assert_eq!(
        doc["plan"], plan,
        "the plan printed before is exactly the plan that ran"
    );
    assert!(
        run.stderr.contains("==> [1/"),
        "step progress goes to stderr:\n{}",
        run.stderr
    );

    // A run of the same plan reports the same artifacts and builds when it is reused.
    nightly(&[]);
    let reused = nightly(&[]);
    assert!(reused.stderr.contains("its outputs are reused"), "{}", reused.stderr);
    let again = reused.json();
    assert_matches_schema(&again, "run");
    assert_eq!(again["artifacts"], doc["artifacts"]);
    assert_eq!(again["built"], doc["built"]);
    assert_eq!(again["plan"], plan);
    assert!(
        !run.stderr.contains(['\x1b', '\r']),
        "no live progress when stderr is not a terminal:\n{}",
        run.stderr
    );

    // -q: a successful run prints nothing at all, and still writes the same bundle.
    let quiet = repo.xtask(&["-q", "nightly", "--platform", "linux", "--build-number", BUILD_NUMBER]);
    quiet.assert_code(0);
    assert_eq!((quiet.stdout.as_str(), quiet.stderr.as_str()), ("", ""));
    assert_eq!(fs::read(&path).unwrap(), bytes, "the same bundle, byte for byte");
}

#[test]
fn a_failing_plugin_build_names_the_plugin_and_leaves_nothing_behind() {
    let repo = Repo::bare_examples();
    repo.write(
        "plugins/acme-plugin-broken/setup.py",
        "from setuptools import setup\nraise RuntimeError('boom: the compiler is missing')\nsetup(name='acme-plugin-broken', version='0.1.0', description='Broken on purpose')\n",
    );
    repo.write(
        "plugins/acme-plugin-broken/acme_plugin_broken/__init__.py",
        "__version__ = '0.1.0'\n",
    );
    repo.commit("fixture: a plugin whose build fails");
    let before = repo.snapshot();

    // -q hides progress, never the failure.
    let run = repo.xtask(&["-q", "nightly", "--platform", "linux", "--build-number", BUILD_NUMBER]);
    run.assert_code(1);
    assert!(!run.stderr.contains("==> ["), "no progress with -q:\n{}", run.stderr);
    assert!(
        run.stderr.contains("plugins/acme-plugin-broken"),
        "names the plugin:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("boom: the compiler is missing"),
        "shows the build's own last lines:\n{}",
        run.stderr
    );
    let log = run
        .stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("full log: "))
        .expect("points at the log");
    assert!(
        fs::read_to_string(log)
            .unwrap()
            .contains("boom: the compiler is missing"),
        "the log holds the full output"
    );

    assert_eq!(
        list_dir(&repo.path().join("dist")),
        Vec::<String>::new(),
        "no artifact written"
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert!(repo.snapshot() == before);
}

#[test]
fn uncommitted_changes_in_plugins_stop_the_nightly_before_it_builds() {
    let repo = Repo::examples();
    let path = "plugins/acme-plugin-base/src/acme_plugin_base/__init__.py";
    repo.write(path, &(repo.read(path) + "\nEXTRA = 1\n"));
    repo.write("plugins/acme-plugin-base/notes.txt", "untracked\n");

    let run = repo.xtask(&["nightly", "--platform", "linux"]);
    run.assert_code(3);
    assert!(run.stderr.contains(path), "{}", run.stderr);
    assert!(
        run.stderr.contains("plugins/acme-plugin-base/notes.txt"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("git stash -u"), "says what to do:\n{}", run.stderr);
    assert!(!repo.path().join("dist").exists());
}

#[test]
fn an_output_folder_git_does_not_ignore_is_refused() {
    let repo = Repo::bare_examples();
    repo.write(".gitignore", "/target/\n");
    repo.commit("fixture: dist/ not ignored");
    let run = repo.xtask(&["nightly", "--platform", "linux"]);
    run.assert_code(3);
    assert!(
        run.stderr
            .contains("the output folder dist/ is not ignored by git: add `/dist/` to .gitignore"),
        "{}",
        run.stderr
    );
}

/// A tmpfs of `size` mounted on a temporary folder, unmounted when dropped; `None` (the test
/// skipped) only where mounting is impossible and XTASK_TESTS_NO_MOUNT asks to skip.
struct TinyDisk {
    dir: tempfile::TempDir,
}

impl TinyDisk {
    fn mount(size: &str) -> Option<TinyDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status();
        if !mounted.is_ok_and(|s| s.success()) {
            // Runs wherever mounting works (as root, as in CI); skipping must be asked for.
            assert!(
                std::env::var_os("XTASK_TESTS_NO_MOUNT").is_some(),
                "cannot mount a small tmpfs (needs root); set XTASK_TESTS_NO_MOUNT=1 to skip this test"
            );
            eprintln!("SKIPPED a test on a full disk (XTASK_TESTS_NO_MOUNT)");
            return None;
        }
        Some(TinyDisk { dir })
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn a_zip_that_does_not_fit_fails_with_one_clear_message() {
    let Some(disk) = TinyDisk::mount("64k") else {
        return;
    };
    let src = tempfile::tempdir().unwrap();
    // Incompressible bytes, more than the disk holds but less than the writer buffers, so
    // that the write fails when the archive is finished.
    let mut bytes = vec![0u8; 500_000];
    let mut x: u32 = 1;
    for b in bytes.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    fs::write(src.path().join("data.bin"), &bytes).unwrap();
    let dest = disk.dir.path().join("bundle.zip");
    let run = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["archive", "--format", "zip"])
        .arg(src.path())
        .arg(&dest)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error:"), "{stderr}");
    assert!(
        !stderr.contains("ZipWriter"),
        "the zip writer's own text is not glued on: {stderr}"
    );
    assert_eq!(list_dir(disk.dir.path()), Vec::<String>::new(), "no partial archive");
}

#[test]
fn a_full_disk_leaves_no_partial_artifact() {
    let Some(disk) = TinyDisk::mount("4k") else {
        return;
    };
    let disk = &disk.dir;
    let repo = Repo::bare_examples();
    let manifest = repo.read("release-config.toml");
    let manifest = manifest.replacen(
        "name = \"acme-plugins\"\n",
        &format!("name = \"acme-plugins\"\noutput = \"{}\"\n", disk.path().display()),
        1,
    );
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: output on a tiny disk");

    let run = repo.xtask(&["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER]);
    run.assert_code(1);
    assert!(run.stderr.contains("is the disk full?"), "{}", run.stderr);
    assert_eq!(
        list_dir(disk.path()),
        Vec::<String>::new(),
        "nothing under any name on the full disk"
    );
}

#[test]
fn a_plugin_dependency_no_index_has_is_named_before_anything_is_built() {
    let repo = Repo::bare_examples();
    repo.write(
        "plugins/acme-plugin-extra/pyproject.toml",
        "[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\n\
         name = \"acme-plugin-extra\"\nversion = \"0.3.0\"\ndescription = \"Needs a package no index has\"\n\
         dependencies = [\"acme-nowhere-to-be-found>=1\"]\n",
    );
    repo.write("plugins/acme-plugin-extra/acme_plugin_extra/__init__.py", "");
    repo.commit("fixture: a plugin with an unavailable dependency");

    let run = repo.xtask(&["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER]);
    run.assert_code(3);
    assert!(
        run.stderr.contains("cannot be resolved; nothing was built")
            && run
                .stderr
                .contains("acme-nowhere-to-be-found was not found in the package registry")
            && run
                .stderr
                .contains("acme-plugin-extra==0.3.1.dev20261121007 depends on acme-nowhere-to-be-found>=1"),
        "uv's explanation names the package and the plugin that needs it:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("==> ["), "no step ran: {}", run.stderr);
    assert!(!repo.path().join("dist").exists());
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn index_credentials_never_appear_in_plans_output_or_logs() {
    const TOKEN: &str = "s3cr3t-t0ken-6f1d";
    const USER_TOKEN: &str = "fury-u53r-t0ken-91c2";
    let repo = Repo::bare_examples();
    let url = index().url.clone();
    // A password from the environment, and a token standing in for the user name.
    let with_auth = url.replacen("http://", "http://ci-bot:${XTASK_TEST_INDEX_TOKEN}@", 1);
    let token_user = url.replacen("http://", "http://${XTASK_TEST_USER_TOKEN}@", 1);
    let manifest = repo.read("release-config.toml").replace(
        &format!("index-url = \"{url}\""),
        &format!("index-url = \"{with_auth}\"\nextra-index-urls = [\"{token_user}\"]"),
    );
    assert!(manifest.contains("${XTASK_TEST_INDEX_TOKEN}"));
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: index with credentials from the environment");
    let secrets = |c: &mut Command| {
        c.env("XTASK_TEST_INDEX_TOKEN", TOKEN)
            .env("XTASK_TEST_USER_TOKEN", USER_TOKEN);
    };

    let missing = repo.xtask(&["plan", "--platform", "linux"]);
    missing.assert_code(3);
    assert!(
        missing
            .stderr
            .contains("environment variable XTASK_TEST_INDEX_TOKEN is not set"),
        "{}",
        missing.stderr
    );
    assert!(
        missing
            .stderr
            .contains("environment variable XTASK_TEST_USER_TOKEN is not set"),
        "{}",
        missing.stderr
    );

    let logs = cache_dir().join("cargo-target/xtask/logs");
    let logs_before = list_dir(&logs);
    let mut seen = String::new();
    for args in [
        &["plan", "--json", "--platform", "linux"][..],
        // --no-cache: the locked files are fetched, with the index's credentials.
        &[
            "--no-cache",
            "nightly",
            "--json",
            "--verbose",
            "--platform",
            "linux",
            "--build-number",
            BUILD_NUMBER,
        ][..],
    ] {
        let run = repo.xtask_with(args, secrets);
        run.assert_code(0);
        seen.push_str(&run.stdout);
        seen.push_str(&run.stderr);
    }
    // A failing run prints commands and pip's output.
    let base = "plugins/acme-plugin-base/pyproject.toml";
    repo.write(
        base,
        &repo
            .read(base)
            .replace("dependencies = []", "dependencies = [\"acme-absent>=1\"]"),
    );
    repo.commit("fixture: make the resolution fail");
    let failed = repo.xtask_with(&["nightly", "--verbose", "--platform", "linux"], secrets);
    failed.assert_code(3);
    assert!(
        failed.stderr.contains("http://***@127.0.0.1"),
        "URLs are shown redacted:\n{}",
        failed.stderr
    );
    seen.push_str(&failed.stdout);
    seen.push_str(&failed.stderr);
    let new_logs: Vec<String> = list_dir(&logs)
        .into_iter()
        .filter(|l| !logs_before.contains(l))
        .collect();
    assert!(!new_logs.is_empty());
    for log in new_logs {
        seen.push_str(&fs::read_to_string(logs.join(log)).unwrap_or_default());
    }
    assert!(
        seen.contains("XTASK_TEST_INDEX_TOKEN"),
        "the checked text includes the plan's index URL"
    );
    assert!(
        seen.contains("UV_INDEX=http://***@127.0.0.1"),
        "the checked text includes uv's command line, with its index settings redacted"
    );
    assert!(!seen.contains(TOKEN), "the password leaked");
    assert!(!seen.contains(USER_TOKEN), "the token in the user name leaked");
}

#[test]
fn a_plain_version_file_is_stamped_into_the_built_wheel() {
    let repo = Repo::bare_examples();
    repo.write(
        "plugins/acme-plugin-textver/pyproject.toml",
        "[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\n\
         name = \"acme-plugin-textver\"\ndynamic = [\"version\"]\ndescription = \"Version in a VERSION file\"\n\n\
         [tool.setuptools.dynamic]\nversion = { file = \"VERSION\" }\n",
    );
    repo.write("plugins/acme-plugin-textver/VERSION", "0.9.2\n");
    repo.write("plugins/acme-plugin-textver/acme_plugin_textver/__init__.py", "");
    repo.commit("fixture: a VERSION file");
    let run = repo.xtask(&[
        "nightly",
        "--json",
        "--platform",
        "linux",
        "--build-number",
        BUILD_NUMBER,
    ]);
    run.assert_code(0);
    let built = run.json()["built"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["plugin"] == "acme-plugin-textver")
        .cloned()
        .unwrap();
    assert_eq!(
        built["wheel"],
        "acme_plugin_textver-0.9.3.dev20261121007-py3-none-any.whl"
    );
    assert_eq!(
        repo.read("plugins/acme-plugin-textver/VERSION"),
        "0.9.2\n",
        "the working tree keeps its version"
    );
}

#[test]
fn a_version_file_the_stamp_missed_fails_the_build() {
    let repo = Repo::bare_examples();
    // A second copy of the version in a subpackage, which detection does not search.
    repo.write(
        "plugins/acme-plugin-base/src/acme_plugin_base/meta/__init__.py",
        "__version__ = \"1.4.0\"\n",
    );
    repo.commit("fixture: a version the stamp does not reach");
    let run = repo.xtask(&["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("still says __version__ = \"1.4.0\" in acme_plugin_base/meta/__init__.py")
            && run.stderr.contains("[plugin.acme-plugin-base] version-files"),
        "{}",
        run.stderr
    );
    assert_eq!(list_dir(&repo.path().join("dist")), Vec::<String>::new());
}

#[test]
fn two_builds_of_one_commit_are_byte_identical() {
    let repo = Repo::examples();
    let mut runs = Vec::new();
    // The second run replaces the set of the first: the same commit may rebuild its own set.
    for _ in 0..2 {
        repo.xtask(&["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER])
            .assert_code(0);
        runs.push(files(&repo.set_dir()));
    }
    assert_eq!(runs[0].len(), 5);
    assert!(runs[0] == runs[1], "every archive and checksum file is byte-identical");
}

#[test]
fn a_wheel_that_does_not_fit_the_platform_stops_the_bundle() {
    let repo = Repo::bare_examples();
    // The plugin builds a wheel for this host only (linux_x86_64), which the platform's
    // manylinux tags do not cover.
    repo.write(
        "plugins/acme-plugin-native/setup.py",
        "from setuptools import setup, Extension\nsetup(name='acme-plugin-native', version='0.1.0', description='Native code', \
         packages=['acme_plugin_native'], ext_modules=[Extension('acme_plugin_native._speed', ['acme_plugin_native/_speed.c'])])\n",
    );
    repo.write(
        "plugins/acme-plugin-native/acme_plugin_native/__init__.py",
        "__version__ = '0.1.0'\n",
    );
    repo.write(
        "plugins/acme-plugin-native/acme_plugin_native/_speed.c",
        "#include <Python.h>\nstatic struct PyModuleDef m = {PyModuleDef_HEAD_INIT, \"_speed\"};\nPyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&m); }\n",
    );
    repo.write(
        "release-config.toml",
        &repo.read("release-config.toml").replace(", \"linux_x86_64\"]", "]"),
    );
    repo.commit("fixture: a native plugin");
    let run = repo.xtask(&["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("wheels that do not fit platform linux"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "acme_plugin_native-0.1.1.dev20261121007-cp311-cp311-linux_x86_64.whl (a plugin, as built on this machine)"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(list_dir(&repo.path().join("dist")), Vec::<String>::new());

    // For Windows, built here, the same plugin is refused before anything is downloaded.
    let run = repo.xtask(&["nightly", "--platform", "windows", "--build-number", BUILD_NUMBER]);
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "is built for this host only (it is not pure Python): build the windows bundle on a windows machine"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_terminal_gets_live_progress_that_ends_in_plain_lines() {
    let repo = Repo::examples();
    // `script` runs the nightly on a pseudo-terminal and copies what it drew.
    // --no-cache: every step runs and draws its line (a run of the same plan is not reused).
    let line = format!(
        "{} --no-cache nightly --platform linux --build-number {BUILD_NUMBER}",
        env!("CARGO_BIN_EXE_xtask")
    );
    let out = repo
        .command("script")
        .args(["-qefc", &line, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(screen.contains('\x1b'), "a live line is drawn on a terminal:\n{screen}");
    let finished: Vec<&str> = screen
        .lines()
        .map(|l| l.rsplit('\r').next().unwrap_or(l))
        .filter(|l| l.contains("==> [") && l.trim_end().ends_with(" s)"))
        .collect();
    assert!(
        finished.len() >= 8 && finished.iter().any(|l| l.contains("write acme-plugins-")),
        "each step ends as a plain line with its duration:\n{screen}"
    );

    // -v prints every program call: plain lines then, even on a terminal; and under CI.
    for (line, ci) in [(line.replace(" nightly ", " -v nightly "), false), (line.clone(), true)] {
        let mut script = repo.command("script");
        script.args(["-qefc", &line, "/dev/null"]).env("TERM", "xterm");
        if ci {
            script.env("CI", "true");
        }
        let out = script.output().unwrap();
        let screen = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{screen}");
        assert!(
            !screen.contains('\x1b') && screen.contains("==> [1/") && (ci || screen.contains("  $ ")),
            "{screen}"
        );
    }
}

#[test]
fn sets_never_collide_nightlies_never_block_releases_or_mix_commits() {
    let repo = Repo::examples();
    repo.xtask(&["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0);
    let first = format!("acme-plugins-{NIGHTLY}");
    let sums = fs::read(repo.path().join("dist").join(&first).join("SHA256SUMS")).unwrap();

    // Another build number is another set; the first one's checksums stay as they were.
    repo.xtask(&["nightly", "--platform", "linux", "--build-number", "8"])
        .assert_code(0);
    assert_eq!(
        list_dir(&repo.path().join("dist")),
        [first.clone(), "acme-plugins-1.4.1.dev20261121008".to_string()]
    );
    assert_eq!(
        fs::read(repo.path().join("dist").join(&first).join("SHA256SUMS")).unwrap(),
        sums
    );

    // Part of a set rebuilt alone would drop the rest from its SHA256SUMS: refused.
    let partial = repo.xtask(&["nightly", "--platform", "windows", "--build-number", BUILD_NUMBER]);
    partial.assert_code(3);
    assert!(
        partial.stderr.contains(&format!(
            "dist/{first}/acme-plugins-{NIGHTLY}-linux.tar.bz2 is part of this set but this run does not build it"
        )),
        "{}",
        partial.stderr
    );

    // Another commit with the same build number and day would write the same names: refused.
    repo.write("NEWS", "a later change\n");
    repo.commit("a later change");
    let other = repo.xtask(&["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER]);
    other.assert_code(3);
    assert!(
        other.stderr.contains(&format!(
            "dist/{first}/acme-plugins-{NIGHTLY}-linux.tar.bz2 was built from commit"
        )) && other.stderr.contains("a set never mixes commits"),
        "{}",
        other.stderr
    );
    assert_eq!(
        fs::read(repo.path().join("dist").join(&first).join("SHA256SUMS")).unwrap(),
        sums
    );

    // The nightlies do not block a release.
    repo.xtask(&["release", "minor", "--platform", "linux", "--execute"])
        .assert_code(0);
    assert!(repo.path().join("dist/acme-plugins-1.5.0/SHA256SUMS").is_file());
    let checked = run_ok(
        Command::new("sha256sum")
            .args(["-c", "SHA256SUMS"])
            .current_dir(repo.path().join("dist/acme-plugins-1.5.0")),
    );
    assert!(String::from_utf8_lossy(&checked.stdout).contains("acme-plugins-1.5.0-linux.tar.bz2: OK"));
}
