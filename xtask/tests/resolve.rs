//! Bundles for platforms this host is not, resolved by uv for the target: backtracking,
//! discarded versions that leave nothing behind, Requires-Python judged for the target,
//! conflicts that name their requirers, advice that fits the case, macOS and aarch64 tags
//! as pip takes them, the same answer as `pip wheel` on the host, and no credential on any
//! command line.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;

/// The example plugins with these extra `[public]` requirements and platforms, committed.
fn repo_with(requirements: &[&str], platforms: &str) -> Repo {
    let repo = Repo::bare_examples();
    let quoted: Vec<String> = requirements.iter().map(|r| format!("{r:?}")).collect();
    let manifest = repo.read("release-config.toml").replace(
        "requirements = [\"pluggy>=1.3\"]",
        &format!("requirements = [\"pluggy>=1.3\", {}]", quoted.join(", ")),
    );
    assert!(manifest.contains(&quoted.join(", ")));
    repo.write("release-config.toml", &format!("{manifest}{platforms}"));
    repo.commit("fixture: public requirements for the resolver");
    repo
}

/// `name=strategy` of every platform of a plan.
fn strategies(plan: &serde_json::Value) -> Vec<String> {
    plan["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{}={}", p["name"].as_str().unwrap(), p["strategy"].as_str().unwrap()))
        .collect()
}

/// (normalized name, version) of every wheel in a bundle.
fn wheel_set(files: &[String]) -> BTreeSet<(String, String)> {
    files
        .iter()
        .filter(|f| f.ends_with(".whl"))
        .map(|f| {
            let mut parts = f.splitn(3, '-');
            (normalize(parts.next().unwrap()), parts.next().unwrap().to_string())
        })
        .collect()
}

fn archive_of(platform: &str, ext: &str) -> String {
    format!("acme-plugins-{NIGHTLY}-{platform}.{ext}")
}

/// What uv resolves on its own, in this test, for the bundle's plugin wheels and the
/// manifest's public requirements: (name, version) pairs.
fn independent_resolution(
    bundle: &Path,
    requirements: &[&str],
    triple: &str,
    python: &str,
    macos: Option<&str>,
) -> BTreeSet<(String, String)> {
    let work = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = list_dir(bundle)
        .into_iter()
        .filter(|f| f.starts_with("acme_plugin") && f.ends_with(".whl"))
        .map(|f| {
            let name = normalize(f.split('-').next().unwrap());
            format!("{name} @ file://{}", bundle.join(&f).display())
        })
        .collect();
    lines.push("pluggy>=1.3".into());
    lines.extend(requirements.iter().map(|r| r.to_string()));
    fs::write(work.path().join("req.in"), lines.join("\n")).unwrap();
    let mut cmd = Command::new(uv_binary());
    cmd.args([
        "--color",
        "never",
        "pip",
        "compile",
        "--no-header",
        "--no-annotate",
        "--quiet",
    ])
    .args([
        "--python-platform",
        triple,
        "--python-version",
        python,
        "--only-binary",
        ":all:",
    ])
    .args(["--index-strategy", "unsafe-best-match", "--default-index", &index().url])
    .env("UV_NO_CONFIG", "1")
    .env("UV_PYTHON_DOWNLOADS", "never")
    .env("UV_CACHE_DIR", work.path().join("cache"))
    .arg(work.path().join("req.in"));
    cmd.env_remove("MACOSX_DEPLOYMENT_TARGET");
    if let Some(v) = macos {
        cmd.env("MACOSX_DEPLOYMENT_TARGET", v);
    }
    cmd.arg("--python").arg(which_python());
    let out = run_ok(&mut cmd);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            if let Some((name, version)) = l.split_once("==") {
                return Some((normalize(name.trim()), version.trim().to_string()));
            }
            let (name, url) = l.split_once(" @ ")?;
            let file = url.rsplit('/').next()?;
            Some((normalize(name.trim()), file.split('-').nth(1)?.to_string()))
        })
        .collect()
}

fn which_python() -> String {
    let out = run_ok(Command::new(python()).args(["-c", "import sys; print(sys.executable)"]));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn unpacked(repo: &Repo, archive: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    unpack(&repo.in_dist(archive))
}

const WINDOWS_REQS: &[&str] = &["richy>=10", "richy<12", "swapa", "markered[fast]"];

#[test]
fn windows_resolution_backtracks_and_keeps_nothing_of_discarded_versions() {
    let repo = repo_with(WINDOWS_REQS, "");
    repo.xtask(&["nightly", "--platform", "windows", "--build-number", BUILD_NUMBER])
        .assert_code(0);
    let archive = archive_of("windows", "zip");
    let (_keep, bundle) = unpacked(&repo, &archive);
    let files = list_dir(&bundle);
    let wheels = wheel_set(&files);
    for (name, version) in [
        ("richy", "11.2"),
        ("swapa", "1.0"),
        ("swapcore", "1.0"),
        ("markered", "1.0"),
        ("colorama", "0.4.6"),
        ("rpwheel", "2.0"),
        ("socksdep", "1.0"),
    ] {
        assert!(
            wheels.contains(&(name.to_string(), version.to_string())),
            "{name} {version} in {files:?}"
        );
    }
    assert!(
        files.contains(&"swapcore-1.0-cp311-cp311-win_amd64.whl".to_string()),
        "{files:?}"
    );
    // mdit: only the discarded richy 15 (and markered on Python >= 3.12) needs it;
    // ptyprocess: not on Windows.
    for absent in ["mdit", "ptyprocess"] {
        assert!(!wheels.iter().any(|(n, _)| n == absent), "{absent} in {files:?}");
    }
    assert_eq!(
        wheels,
        independent_resolution(&bundle, WINDOWS_REQS, "x86_64-pc-windows-msvc", "3.11", None),
        "the bundle holds exactly what uv resolves for Windows"
    );
    let verify = repo.xtask(&["verify", &repo.in_dist(&archive).to_string_lossy()]);
    verify.assert_code(0);
    assert!(verify.stdout.contains("requires-python: "), "{}", verify.stdout);
}

#[test]
fn requires_python_is_judged_for_the_target_at_collection_and_in_verify() {
    let platform = "\n[platforms.win313]\ntags = [\"win_amd64\"]\npython = \"3.13\"\n";
    let reqs = ["oldpure", "rpwheel", "rppatch"];
    let repo = repo_with(&reqs, platform);
    let run = repo.xtask(&["nightly", "--platform", "win313", "--build-number", BUILD_NUMBER]);
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("rpwheel 2.0 requires Python <3.12, not every 3.13 release"),
        "{}",
        run.stderr
    );
    let archive = archive_of("win313", "zip");
    let (_keep, bundle) = unpacked(&repo, &archive);
    let wheels = wheel_set(&list_dir(&bundle));
    for (name, version) in [("oldpure", "1.0"), ("rpwheel", "1.0"), ("rppatch", "2.0")] {
        assert!(
            wheels.contains(&(name.to_string(), version.to_string())),
            "{name} {version} in {wheels:?}"
        );
    }
    assert!(
        list_dir(&bundle).contains(&"oldpure-1.0-py3-none-any.whl".to_string()),
        "the sdist-only oldpure 1.0 was built into a pure wheel"
    );
    repo.xtask(&["verify", &repo.in_dist(&archive).to_string_lossy()])
        .assert_code(0);

    // A bundle for 3.11 legitimately holds rpwheel 2.0; declared as 3.13, verify refuses it.
    fs::remove_dir_all(repo.path().join("dist")).unwrap();
    let windows = archive_of("windows", "zip");
    repo.xtask(&["nightly", "--platform", "windows", "--build-number", BUILD_NUMBER])
        .assert_code(0);
    let manifest = repo.read("release-config.toml");
    repo.write(
        "release-config.toml",
        &manifest.replace(
            "[platforms.windows]\ntags = [\"win_amd64\"]\npython = \"3.11\"",
            "[platforms.windows]\ntags = [\"win_amd64\"]\npython = \"3.13\"",
        ),
    );
    let verify = repo.xtask(&["verify", &repo.in_dist(&windows).to_string_lossy()]);
    verify.assert_code(1);
    assert!(
        verify
            .stdout
            .contains("rpwheel-2.0-py3-none-any.whl requires Python <3.12; platform windows is Python 3.13")
            || verify
                .stderr
                .contains("rpwheel-2.0-py3-none-any.whl requires Python <3.12; platform windows is Python 3.13"),
        "{}\n{}",
        verify.stdout,
        verify.stderr
    );
}

#[test]
fn a_conflict_names_its_requirers_on_every_platform_before_anything_is_built() {
    let repo = Repo::bare_examples();
    repo.add_reports_dependencies(&["reqs>=2.31"]);
    let manifest = repo.read("release-config.toml").replace(
        "requirements = [\"pluggy>=1.3\"]",
        "requirements = [\"pluggy>=1.3\", \"reqs<2.30\"]",
    );
    repo.write(
        "release-config.toml",
        &format!("{manifest}\n[platforms.mac]\ntags = [\"macosx_12_0_arm64\"]\npython = \"3.11\"\n"),
    );
    repo.commit("fixture: a conflict");
    let run = repo.xtask(&["nightly", "--build-number", BUILD_NUMBER]);
    run.assert_code(3);
    assert!(
        run.stderr.contains("cannot be resolved; nothing was built"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("==> ["), "no step ran: {}", run.stderr);
    for platform in ["- windows: ", "- mac: "] {
        assert!(run.stderr.contains(platform), "{platform} in {}", run.stderr);
    }
    assert!(
        run.stderr
            .contains("acme-plugin-reports==1.4.1.dev20261121007 depends on reqs>=2.31")
            && run.stderr.contains("you require acme-plugin-reports and reqs<2.30"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("collect wheels for"),
        "nothing collected: {}",
        run.stderr
    );
    assert_eq!(list_dir(&repo.path().join("dist")), Vec::<String>::new());
}

#[test]
fn a_native_dependency_gets_the_advice_that_fits_and_is_never_compiled() {
    let repo = Repo::bare_examples();
    let file = "plugins/acme-plugin-reports/pyproject.toml";
    repo.add_reports_dependencies(&["nativesdist>=1.0", "uvl", "puresdist>=1.0"]);
    repo.commit("fixture: native dependencies");
    let run = repo.xtask(&["nightly", "--platform", "windows", "--build-number", BUILD_NUMBER]);
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "nativesdist 1.0 (required by acme-plugin-reports) has no wheel for windows and its sdist is not pure Python"
        ) && run.stderr.contains("build the windows bundle on a windows machine"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "uvl 0.21 (required by acme-plugin-reports) publishes wheels for linux, darwin but none for windows: it probably does not support windows"
        ) && run.stderr.contains("`uvl; sys_platform != \"win32\"`"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("puresdist"),
        "the pure sdist is fine: {}",
        run.stderr
    );
    // Nothing was compiled: every sdist build ran with the compilers replaced by `false`.
    let log = run.stderr.split("(log: ").nth(1).unwrap().split(')').next().unwrap();
    let log = fs::read_to_string(log).unwrap();
    assert!(!log.contains("gcc"), "a compiler ran:\n{log}");
    assert!(log.contains("without compilers"), "{log}");

    // A dependency with wheels for Linux only and no sdist: uv names it and its requirer.
    let run = {
        repo.write(
            file,
            &repo.read(file).replace(
                "    \"nativesdist>=1.0\",\n    \"uvl\",\n",
                "    \"linuxonly-native>=1.0\",\n",
            ),
        );
        repo.commit("fixture: a Linux-only dependency");
        repo.xtask(&["nightly", "--platform", "windows", "--build-number", BUILD_NUMBER])
    };
    // Proven before building: a precheck.
    run.assert_code(3);
    assert!(run.stderr.contains("nothing was built"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("linuxonly-native==1.0 has no wheels with a matching platform tag")
            && run
                .stderr
                .contains("acme-plugin-reports==1.4.1.dev20261121007 depends on linuxonly-native"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_macos_target_older_than_every_wheel_is_told_so_and_nothing_is_compiled() {
    let platform = "\n[platforms.oldmac]\ntags = [\"macosx_10_9_x86_64\"]\npython = \"3.11\"\n";
    let repo = repo_with(&["newmac"], platform);
    let run = repo.xtask(&["nightly", "--platform", "oldmac", "--build-number", BUILD_NUMBER]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("newmac 1.0 (required by [public] requirements) has no wheel for oldmac: its macOS wheels need a newer deployment target than 10.9")
            && run.stderr.contains("Raise the platform's macosx tag"),
        "{}",
        run.stderr
    );
    assert!(!repo.path().join("dist").exists());
}

#[test]
fn macos_and_aarch64_bundles_take_the_wheels_pip_would() {
    let platforms = "\n[platforms.mac]\ntags = [\"macosx_12_0_arm64\"]\npython = \"3.11\"\n\n\
                     [platforms.arm]\ntags = [\"manylinux_2_28_aarch64\"]\npython = \"3.11\"\n";
    let reqs = [
        "macpkg; sys_platform == 'darwin'",
        "armpkg; platform_machine == 'aarch64'",
        "uvl; sys_platform == 'darwin'",
    ];
    let repo = repo_with(&reqs, platforms);
    let plan = repo.xtask(&["plan", "--json", "--platform", "mac", "--platform", "arm"]);
    plan.assert_code(0);
    repo.xtask(&[
        "nightly",
        "--platform",
        "mac",
        "--platform",
        "arm",
        "--build-number",
        BUILD_NUMBER,
    ])
    .assert_code(0);
    let mac = archive_of("mac", "tar.bz2");
    let (_keep_mac, mac_dir) = unpacked(&repo, &mac);
    let mac_files = list_dir(&mac_dir);
    for f in [
        "macpkg-1.0-cp311-cp311-macosx_10_9_universal2.whl",
        "uvl-0.21-cp311-cp311-macosx_10_9_universal2.whl",
    ] {
        assert!(mac_files.contains(&f.to_string()), "{f} in {mac_files:?}");
    }
    assert_eq!(
        wheel_set(&mac_files),
        independent_resolution(&mac_dir, &reqs, "aarch64-apple-darwin", "3.11", Some("12.0"))
    );
    let arm = archive_of("arm", "tar.bz2");
    let (_keep_arm, arm_dir) = unpacked(&repo, &arm);
    let arm_files = list_dir(&arm_dir);
    assert!(
        arm_files.contains(&"armpkg-1.0-cp311-cp311-manylinux_2_17_aarch64.whl".to_string()),
        "{arm_files:?}"
    );
    assert!(!arm_files.iter().any(|f| f.contains("x86_64")), "{arm_files:?}");
    for archive in [&mac, &arm] {
        let verify = repo.xtask(&["verify", &repo.in_dist(archive).to_string_lossy()]);
        verify.assert_code(0);
    }
}

#[test]
fn a_platform_uv_cannot_express_is_a_manifest_error() {
    let platforms = "\n[platforms.ppc]\ntags = [\"manylinux2014_ppc64le\"]\npython = \"3.11\"\n\n\
                     [platforms.pypy]\ntags = [\"win_amd64\"]\npython = \"3.10\"\nimplementation = \"pp\"\n";
    let repo = repo_with(&[], platforms);
    let plan = repo.xtask(&["plan", "--platform", "ppc", "--platform", "pypy"]);
    plan.assert_code(3);
    assert!(
        plan.stderr.contains("platform ppc: the resolver (uv) has manylinux and musllinux targets for x86_64 and aarch64 only, not ppc64le"),
        "{}",
        plan.stderr
    );
    assert!(
        plan.stderr
            .contains("platform pypy: the resolver (uv) resolves for CPython only"),
        "{}",
        plan.stderr
    );
    assert!(plan.stderr.contains("release-config.toml:"), "{}", plan.stderr);
}

#[test]
fn the_download_strategy_on_the_host_gives_what_pip_wheel_gives() {
    let reqs = [
        "richy>=10",
        "richy<12",
        "swapa",
        "markered[fast]",
        "extrapkg[socks]",
        "puresdist",
    ];
    let platforms =
        "\n[platforms.linux-dl]\ntags = [\"manylinux2014_x86_64\", \"manylinux_2_28_x86_64\", \"linux_x86_64\"]\n\
                     python = \"3.11\"\ncollect = \"download\"\n";
    let repo = repo_with(&reqs, platforms);
    let plan = repo.xtask(&["plan", "--json", "--platform", "linux", "--platform", "linux-dl"]);
    plan.assert_code(0);
    let strategies = strategies(&plan.json());
    assert_eq!(strategies, ["linux=host", "linux-dl=download"]);
    repo.xtask(&[
        "nightly",
        "--platform",
        "linux",
        "--platform",
        "linux-dl",
        "--build-number",
        BUILD_NUMBER,
    ])
    .assert_code(0);
    let (_a, host) = unpacked(&repo, &archive_of("linux", "tar.bz2"));
    let (_b, download) = unpacked(&repo, &archive_of("linux-dl", "tar.bz2"));
    let host = wheel_set(&list_dir(&host));
    assert!(host.contains(&("swapa".to_string(), "2.0".to_string())), "{host:?}");
    assert_eq!(host, wheel_set(&list_dir(&download)));
}

#[test]
fn no_credential_reaches_a_command_line() {
    const TOKEN: &str = "argv-t0ken-5e1f";
    let repo = Repo::bare_examples();
    let url = index().url.clone();
    let manifest = repo.read("release-config.toml").replace(
        &format!("index-url = \"{url}\""),
        &format!(
            "index-url = \"{}\"",
            url.replacen("http://", "http://ci:${XTASK_TEST_ARGV_TOKEN}@", 1)
        ),
    );
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: a credential in the index URL");
    // --no-cache: the wheel store is the run's own, so every locked file is fetched.
    let (run, trace) = repo.xtask_traced(&["--no-cache", "nightly", "--build-number", BUILD_NUMBER], |c| {
        c.env("XTASK_TEST_ARGV_TOKEN", TOKEN);
    });
    run.assert_code(0);
    // uv resolves every platform (the host too); the locked files are fetched by URL.
    for program in ["/bin/uv\"", "Download locked files"] {
        assert!(trace.contains(program), "{program} was run:\n{trace}");
    }
    assert!(!trace.contains(TOKEN), "a credential on a command line:\n{trace}");
}

#[test]
fn plugins_never_come_from_an_index_even_when_it_has_their_names_and_versions() {
    let repo = Repo::bare_examples();
    let impostors = repo.path().join("impostors");
    fs::create_dir_all(&impostors).unwrap();
    for (name, module, version) in [
        ("acme-plugin-base", "acme_plugin_base", NIGHTLY),
        ("acme-plugin-console", "acme_plugin_console", NIGHTLY),
        ("acme-plugin-reports", "acme_plugin_reports", NIGHTLY),
        ("acme-plugin-legacy", "acme_plugin_legacy", LEGACY_NIGHTLY),
        ("acme-plugin-base", "acme_plugin_base", "99.0"),
        ("acme-plugin-reports", "acme_plugin_reports", "99.0"),
    ] {
        fake_wheel(
            &impostors,
            name,
            version,
            module,
            "raise ImportError('impostor')\n",
            &[],
        );
    }
    let manifest =
        repo.read("release-config.toml")
            .replacen("[public]\n", "[public]\nfind-links = [\"impostors\"]\n", 1);
    repo.write("release-config.toml", &manifest);
    repo.commit("fixture: an index with the plugins' names and versions");
    let run = repo.xtask(&["nightly", "--build-number", BUILD_NUMBER]);
    run.assert_code(0);
    for (platform, ext) in [("linux", "tar.bz2"), ("windows", "zip")] {
        let (_keep, bundle) = unpacked(&repo, &archive_of(platform, ext));
        for wheel in list_dir(&bundle).into_iter().filter(|f| f.starts_with("acme_plugin")) {
            let ours = fs::read(bundle.join(&wheel)).unwrap();
            let impostor = fs::read(impostors.join(&wheel)).unwrap_or_default();
            assert_ne!(ours, impostor, "{wheel} in the {platform} bundle came from the index");
            assert!(!wheel.contains("-99.0-"), "{wheel} in the {platform} bundle");
        }
    }
    let linux = repo.in_dist(&archive_of("linux", "tar.bz2"));
    repo.xtask(&["verify", &linux.to_string_lossy()]).assert_code(0);
}

/// A musllinux platform is not this glibc host's even where OS, architecture and Python
/// agree: its wheels are resolved and downloaded for musl, never built here by `pip wheel`.
#[test]
fn a_musllinux_platform_is_never_collected_as_the_glibc_host() {
    let platforms = "\n[platforms.alpine]\ntags = [\"musllinux_1_2_x86_64\"]\npython = \"3.11\"\n";
    let repo = repo_with(&["richy>=10"], platforms);
    let plan = repo.xtask(&["plan", "--json", "--platform", "linux", "--platform", "alpine"]);
    plan.assert_code(0);
    let strategies = strategies(&plan.json());
    assert_eq!(strategies, ["linux=host", "alpine=download"]);
}

/// A setup.py that appends to its requirement list (`REQUIRES.append(...)` under an `if`, as
/// many do) computes its requirements: the backend is asked for them, so the resolution and
/// the bundle hold what the built wheel requires. One that adds a requirement only while
/// building a wheel (`"bdist_wheel" in sys.argv`) gives the backend's metadata hook another
/// answer than its build: the built wheel's requirements are checked against the bundle's
/// wheels, and the run stops before delivering anything, naming the wheel and requirement.
#[test]
fn requirements_a_setup_py_adds_are_resolved_and_a_wheel_requiring_more_stops_the_run() {
    let setup = "plugins/acme-plugin-legacy/setup.py";
    let repo = Repo::bare_examples();
    let original = repo.read(setup);
    let appending = |condition: &str| {
        original
            .replacen(
                "    install_requires=[\n        \"acme-plugin-base==1.4.*,>=1.4.0\",\n    ],",
                "    install_requires=REQUIRES,",
                1,
            )
            .replacen(
                "HERE = ",
                &format!(
                    "REQUIRES = [\"acme-plugin-base==1.4.*,>=1.4.0\"]\nif {condition}:\n    \
                     REQUIRES.append(\"colorama>=0.4.6\")\n\nHERE = "
                ),
                1,
            )
            .replacen("import os\n", "import os\nimport sys\n", 1)
    };
    let computed = appending("sys.version_info >= (3, 9)");
    assert!(computed.contains("install_requires=REQUIRES,") && computed.contains("REQUIRES.append"));
    repo.write(setup, &computed);
    repo.commit("fixture: requirements appended in setup.py");
    let plan = repo.xtask(&["plan", "--json", "--platform", "linux"]).json();
    let legacy = plan_plugin(&plan, "acme-plugin-legacy").clone();
    assert!(
        legacy["dependencies"].to_string().contains("colorama>=0.4.6"),
        "{}",
        legacy["dependencies"]
    );
    assert!(
        legacy["from_backend"].to_string().contains("dependencies"),
        "{}",
        legacy
    );
    repo.nightly_linux().assert_code(0);
    let (_tmp, bundle) = repo.unpack_linux_bundle();
    let wheels = list_dir(&bundle);
    assert!(wheels.iter().any(|w| w.starts_with("colorama-0.4.6-")), "{wheels:?}");

    // Changed through another name, or by a helper given the list: computed all the same.
    for (how, changing) in [
        ("an alias", "deps = REQUIRES\ndeps.append(\"colorama>=0.4.6\")\n"),
        (
            "a helper",
            "def add(r):\n    r.append(\"colorama>=0.4.6\")\n\nadd(REQUIRES)\n",
        ),
    ] {
        let text = appending("False").replacen("if False:\n    REQUIRES.append(\"colorama>=0.4.6\")\n", changing, 1);
        assert!(text.contains(changing) && !text.contains("REQUIRES.append"), "{text}");
        repo.write(setup, &text);
        repo.commit(&format!("fixture: requirements changed through {how}"));
        let plan = repo.xtask(&["plan", "--json", "--platform", "linux"]).json();
        let legacy = plan_plugin(&plan, "acme-plugin-legacy").clone();
        assert!(
            legacy["from_backend"].to_string().contains("dependencies")
                && legacy["dependencies"].to_string().contains("colorama>=0.4.6"),
            "{how}: {legacy}"
        );
    }

    // Added only while building a wheel: the metadata hook (dist_info) does not see it.
    fs::remove_dir_all(repo.path().join("dist")).unwrap();
    repo.write(setup, &appending("\"bdist_wheel\" in sys.argv"));
    repo.commit("fixture: a requirement added only when building a wheel");
    let run = repo.nightly_linux();
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("the public wheels of linux do not satisfy what the built plugins require: acme_plugin_legacy-")
            && run.stderr.contains("-py3-none-any.whl requires \"colorama>=0.4.6\""),
        "{}",
        run.stderr
    );
    assert!(!repo.path().join("dist").exists() || list_dir(&repo.path().join("dist")).is_empty());
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}
