//! Plugin families kept as real ones are, adopted with `scripts/adopt.sh` and `init` and released without hand edits
//! beyond what `init` asks to check: flit providers below a pkgutil namespace tagged
//! `providers-<id>/<version>`; a stamp-strategy family whose placeholder is `1!0+dev` and
//! whose plugins require the host application at the placeholder.

mod common;

use common::*;

const PKGUTIL: &str = "__path__ = __import__(\"pkgutil\").extend_path(__path__, __name__)\n";

/// A git repository of `files` (path, text) with a bare origin, committed on `main`.
fn family(files: &[(String, String)]) -> (Repo, tempfile::TempDir) {
    let repo = Repo::of_files("xtask-family-", files);
    let origin = repo.add_bare_origin();
    (repo, origin)
}

/// `init`, then what a test machine needs that no repository says (the local index and the
/// build backends' wheels) and the push to origin; committed.
fn init(repo: &Repo, extra: &str) -> XtaskOutput {
    let init = repo.xtask(&["init"]);
    init.assert_code(0);
    configure(repo, extra);
    init
}

/// As a new user adopts: `scripts/adopt.sh` (which copies xtask/ in and runs `cargo xtask
/// init` there; the copy keeps the sources' times, so cargo reuses what it compiled), then as
/// [`init`]; what adopt.sh and init printed is `stderr`. Outside this tool's source
/// repository (an adopted copy's own tests), [`init`].
fn adopt(repo: &Repo, extra: &str) -> XtaskOutput {
    let Some(source) = source_repository() else {
        return init(repo, extra);
    };
    let out = repo
        .command(source.join("scripts/adopt.sh"))
        .arg(repo.path())
        .env("CARGO_TARGET_DIR", cache_dir().join("adopt-target"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(repo.path().join("xtask/src/main.rs").is_file(), "{said}");
    configure(repo, extra);
    XtaskOutput {
        code: 0,
        stdout: String::new(),
        stderr: said,
    }
}

/// The local index, the backends' wheels, pushing, and `extra` in the manifest; committed
/// (with whatever adopting added) and pushed.
fn configure(repo: &Repo, extra: &str) {
    let manifest = repo.read("release-config.toml").replacen(
        "\n[plugins]",
        &format!(
            "\n[public]\nindex-url = \"{}\"\nfind-links = [\"{}\"]\n\n[publish]\npush = true\n{extra}\n[plugins]",
            index().url,
            backend_wheels().display()
        ),
        1,
    );
    repo.write("release-config.toml", &manifest);
    repo.commit("release-config.toml from init");
    repo.git(&["push", "-q", "origin", "main"]);
}

/// A nightly of the linux platform, without the sources archive.
fn nightly(repo: &Repo) -> XtaskOutput {
    repo.nightly_linux()
}

/// A nightly that passes; its output folder is cleared for what follows.
fn nightly_passes(repo: &Repo) {
    nightly(repo).assert_code(0);
    std::fs::remove_dir_all(repo.path().join("dist")).unwrap();
}

/// The one edit `init` asks for in the placeholder families: which versions of the host
/// application (`tabulate` stands in for it) the libraries need; committed and pushed.
fn set_host_versions(repo: &Repo) {
    let manifest = repo
        .read("release-config.toml")
        .replace("# tabulate = \">=X.Y,<X.Z\"", "tabulate = \">=0.9,<0.10\"");
    repo.write("release-config.toml", &manifest);
    repo.commit("the versions of the host application");
    repo.git(&["push", "-q", "origin", "main"]);
}

/// A flit provider `host-providers-<id>` at `version`, its module `host.providers.<id>`
/// below pkgutil namespace folders.
fn provider(id: &str, version: &str) -> Vec<(String, String)> {
    let dir = format!("providers/{id}");
    vec![
        (
            format!("{dir}/pyproject.toml"),
            format!(
                "[build-system]\nrequires = [\"flit_core>=3.4\"]\nbuild-backend = \"flit_core.buildapi\"\n\n\
                 [project]\nname = \"host-providers-{id}\"\nversion = \"{version}\"\ndescription = \"The {id} provider\"\n\
                 requires-python = \">=3.9\"\n\n[tool.flit.module]\nname = \"host.providers.{id}\"\n"
            ),
        ),
        (
            format!("{dir}/provider.yaml"),
            format!(
                "# What the host application reads of the provider.\npackage-name: host-providers-{id}\n\
                 name: {id}\nversions:  # newest first\n  - {version}\n  - 0.1.0\n"
            ),
        ),
        (format!("{dir}/src/host/__init__.py"), PKGUTIL.to_string()),
        (format!("{dir}/src/host/providers/__init__.py"), PKGUTIL.to_string()),
        (
            format!("{dir}/src/host/providers/{id}/__init__.py"),
            format!("\"\"\"The {id} provider.\"\"\"\n\n__version__ = \"{version}\"\n"),
        ),
        (
            format!("{dir}/CHANGELOG.md"),
            format!(
                "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- A fix of {id}.\n\n## [{version}] - 2026-11-02\n\n- Released.\n"
            ),
        ),
    ]
}

#[test]
fn providers_tagged_by_id_are_adopted_and_released_one_by_one() {
    let files: Vec<(String, String)> = [provider("sqlite", "4.3.4"), provider("http", "2.1.0")].concat();
    let (repo, origin) = family(&files);
    for tag in [
        "providers-sqlite/4.3.3",
        "providers-sqlite/4.3.4",
        "providers-http/2.1.0",
    ] {
        repo.git(&["tag", "-a", tag, "-m", "released"]);
    }
    repo.git(&["push", "-q", "origin", "--tags"]);

    let init = adopt(&repo, "");
    let manifest = repo.read("release-config.toml");
    assert!(
        manifest.contains("tag = \"providers-{id}/{version}\"") && manifest.contains("id-prefix = \"host-providers-\""),
        "{manifest}\n{}",
        init.stderr
    );
    assert!(
        manifest.contains(
            "version-files = [{ path = \"provider.yaml\", kind = \"yaml\", key = \"versions\", mode = \"prepend\" }]"
        ),
        "{manifest}"
    );
    assert!(
        init.stderr
            .contains("3 plugin release tag(s) like \"providers-{id}/{version}\": tag = \"providers-{id}/{version}\""),
        "{}",
        init.stderr
    );

    // status reads the family: each provider's last tag and version.
    let status = repo.xtask(&["status", "--json"]).assert_code(0).json();
    let rows: Vec<(String, String, String)> = status
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["version"].as_str().unwrap().to_string(),
                r["last_tag"].as_str().unwrap_or("(none)").to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "host-providers-http".into(),
                "2.1.0".into(),
                "providers-http/2.1.0".into()
            ),
            (
                "host-providers-sqlite".into(),
                "4.3.4".into(),
                "providers-sqlite/4.3.4".into()
            ),
        ]
    );
    nightly_passes(&repo);

    let run = repo.xtask(&[
        "release",
        "patch",
        "--plugin",
        "host-providers-sqlite",
        "--platform",
        "linux",
        "--no-sources",
        "--execute",
    ]);
    run.assert_code(0);
    assert_eq!(repo.git(&["tag", "--points-at", "HEAD"]), "providers-sqlite/4.3.5\n");
    assert!(
        remote_refs(origin.path()).contains("refs/tags/providers-sqlite/4.3.5 "),
        "the tag is pushed"
    );
    // Exactly the provider's two version files and its changelog change.
    let changed = repo.git(&["diff", "--name-only", "HEAD~1", "HEAD"]);
    assert_eq!(
        changed,
        "providers/sqlite/CHANGELOG.md\nproviders/sqlite/provider.yaml\nproviders/sqlite/pyproject.toml\n\
         providers/sqlite/src/host/providers/sqlite/__init__.py\n"
    );
    // The list of released versions keeps every one: the new one goes first.
    assert_eq!(
        repo.read("providers/sqlite/provider.yaml"),
        "# What the host application reads of the provider.\npackage-name: host-providers-sqlite\n\
         name: sqlite\nversions:  # newest first\n  - 4.3.5\n  - 4.3.4\n  - 0.1.0\n"
    );
    let wheel = repo.in_dist("host_providers_sqlite-4.3.5-py3-none-any.whl");
    assert!(wheel.is_file(), "{:?}", list_dir(&repo.set_dir()));
    // The wheel is what a maintainer's `python -m build` of the release commit makes.
    let theirs = maintainer_wheel(
        &repo,
        "providers/sqlite",
        "host_providers_sqlite-4.3.5-py3-none-any.whl",
    );
    assert!(wheel_files(&wheel) == theirs, "the same files, byte for byte");
}

/// A venv with `build` and the fixtures' build backends, from the cached wheels (no network).
fn maintainer_python() -> std::path::PathBuf {
    let dir = cache_dir().join("maintainer-venv");
    let lock = std::fs::File::create(cache_dir().join("maintainer-venv.lock")).unwrap();
    lock.lock().unwrap();
    // The newest backends of the cached wheels, as an isolated build would take them (the
    // venv's own setuptools is older).
    let wanted = "upgraded";
    if std::fs::read_to_string(dir.join(".ready")).ok().as_deref() != Some(wanted) {
        let _ = std::fs::remove_dir_all(&dir);
        run_ok(std::process::Command::new(python()).args(["-m", "venv"]).arg(&dir));
        run_ok(clean_pip(
            std::process::Command::new(dir.join("bin/python"))
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--upgrade",
                    "--no-index",
                    "--find-links",
                ])
                .arg(tool_wheels())
                .arg("--find-links")
                .arg(backend_wheels())
                .args(["build", "flit_core", "setuptools", "wheel"]),
        ));
        std::fs::write(dir.join(".ready"), wanted).unwrap();
    }
    dir.join("bin/python")
}

/// Every file of a wheel, by name, with its bytes.
fn wheel_files(wheel: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().unwrap().to_string(), bytes)
        })
        .collect()
}

#[test]
fn a_tag_template_without_the_plugin_is_refused_before_anything_runs() {
    let files: Vec<(String, String)> = [provider("sqlite", "4.3.4"), provider("http", "2.1.0")].concat();
    let (repo, _origin) = family(&files);
    adopt(&repo, "");
    let manifest = repo.read("release-config.toml").replacen(
        "[release]\n",
        "[release]\ntag = \"providers-sqlite/{version}\"\n",
        1,
    );
    repo.write("release-config.toml", &manifest);
    repo.commit("one tag for every provider");
    let run = repo.xtask(&[
        "release",
        "patch",
        "--plugin",
        "host-providers-sqlite",
        "--platform",
        "linux",
    ]);
    run.assert_code(3);
    assert!(
        run.stderr.contains(
            "host-providers-http and host-providers-sqlite would both be tagged providers-sqlite/{version} \
             ([release] tag = \"providers-sqlite/{version}\")"
        ),
        "{}",
        run.stderr
    );
    // A plugin of its own tag family, with an id of its own, tells them apart.
    repo.append_manifest(
        "\n[plugin.host-providers-http]\ntag = \"providers-{id}/{version}\"\nid = \"web\"\n",
        "http has its own tags",
    );
    let tag_of = |plugin: &str| {
        let plan = repo
            .xtask(&["release", "patch", "--plugin", plugin, "--platform", "linux", "--json"])
            .assert_code(0)
            .json();
        plan["units"][0]["tag"].as_str().unwrap().to_string()
    };
    assert_eq!(tag_of("host-providers-sqlite"), "providers-sqlite/4.3.5");
    assert_eq!(tag_of("host-providers-http"), "providers-web/2.1.1");
}

/// A setup.py library at the placeholder `1!0+dev` that requires the host application
/// (`tabulate` stands in for it) at the placeholder, and its `requires` (siblings) too.
fn library(name: &str, requires: &[&str]) -> Vec<(String, String)> {
    let module = name.replace('-', "_");
    let requires: String = requires.iter().map(|r| format!("\"{r}==1!0+dev\", ")).collect();
    vec![
        (
            format!("libraries/{name}/setup.py"),
            format!(
                "from setuptools import setup\n\nsetup(\n    name=\"{name}\",\n    version=\"1!0+dev\",\n    \
                 description=\"The {name} integration\",\n    packages=[\"{module}\"],\n    \
                 install_requires=[\"tabulate==1!0+dev\", {requires}],\n    python_requires=\">=3.9\",\n)\n"
            ),
        ),
        (
            format!("libraries/{name}/{module}/__init__.py"),
            format!("\"\"\"{name}.\"\"\"\n"),
        ),
        (
            format!("libraries/{name}/CHANGELOG.md"),
            "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- The first release.\n".to_string(),
        ),
    ]
}

#[test]
fn an_epoch_placeholder_never_leaks_and_requirements_on_it_get_the_manifest_s_versions() {
    let files: Vec<(String, String)> = [library("lib-core", &[]), library("lib-extra", &["lib-core"])].concat();
    let (repo, _origin) = family(&files);
    let init = adopt(&repo, "");
    let manifest = repo.read("release-config.toml");
    assert!(
        manifest.contains("strategy = \"stamp\"\nplaceholder = \"1!0+dev\"\n")
            && manifest.contains("[versioning.requirements]\n# tabulate = \">=X.Y,<X.Z\"\n"),
        "{manifest}"
    );
    assert!(
        init.stderr.contains(
            "libraries/lib-core/setup.py: \"tabulate==1!0+dev\" requires tabulate at the placeholder: write the \
             versions it needs in [versioning.requirements] (tabulate = \">=X.Y,<X.Z\")"
        ),
        "{}",
        init.stderr
    );

    // Until the manifest says which versions, the dry run names the place.
    let plan = repo.xtask(&["plan", "--platform", "linux", "--build-number", BUILD_NUMBER]);
    plan.assert_code(3);
    assert!(
        plan.stderr.contains(
            "libraries/lib-core/setup.py:8: the requirement \"tabulate==1!0+dev\" names the placeholder 1!0+dev, \
             which no release of tabulate has"
        ),
        "{}",
        plan.stderr
    );

    // What init asked to check, and nothing else.
    set_host_versions(&repo);
    nightly(&repo).assert_code(0);
    let names = list_dir(&repo.set_dir());
    assert!(
        names.iter().all(|n| !n.contains('!') && !n.contains("dev+")),
        "{names:?}"
    );
    std::fs::remove_dir_all(repo.path().join("dist")).unwrap();

    let run = repo.xtask(&[
        "release",
        "0.26.8",
        "--plugin",
        "lib-extra",
        "--platform",
        "linux",
        "--no-sources",
        "--execute",
    ]);
    run.assert_code(0);
    assert_eq!(repo.git(&["tag", "--points-at", "HEAD"]), "lib-extra-v0.26.8\n");
    let names = list_dir(&repo.set_dir());
    assert!(names.iter().all(|n| !n.contains('!')), "{names:?}");
    let wheel = repo.in_dist("lib_extra-0.26.8-py3-none-any.whl");
    let metadata = wheel_metadata(&wheel);
    let requires: Vec<&str> = metadata.lines().filter(|l| l.starts_with("Requires-Dist:")).collect();
    assert_eq!(
        requires,
        [
            "Requires-Dist: tabulate<0.10,>=0.9",
            "Requires-Dist: lib-core==0.0.*,>=0.0.0"
        ],
        "{metadata}"
    );
    // The committed files keep the placeholder; only the changelog records the release.
    assert_eq!(
        repo.git(&["diff", "--name-only", "HEAD~1", "HEAD"]),
        "libraries/lib-extra/CHANGELOG.md\n"
    );
    // A maintainer's `python -m build` of the release commit makes the same wheel but for the
    // stamped version: the version, the requirements at the placeholder, and RECORD.
    let theirs = maintainer_wheel(&repo, "libraries/lib-extra", "lib_extra-1!0+dev-py3-none-any.whl");
    let strip = |files: std::collections::BTreeMap<String, Vec<u8>>, version: &str| {
        files
            .into_iter()
            .filter(|(name, _)| !name.ends_with(".dist-info/RECORD"))
            .map(|(name, bytes)| {
                let name = name.replace(&format!("lib_extra-{version}.dist-info"), "lib_extra.dist-info");
                let bytes = match name.ends_with("/METADATA") {
                    true => String::from_utf8(bytes)
                        .unwrap()
                        .lines()
                        .filter(|l| !l.starts_with("Version:") && !l.starts_with("Requires-Dist:"))
                        .collect::<Vec<_>>()
                        .join("\n")
                        .into_bytes(),
                    false => bytes,
                };
                (name, bytes)
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let ours = strip(wheel_files(&wheel), "0.26.8");
    assert!(ours.contains_key("lib_extra.dist-info/METADATA"), "{:?}", ours.keys());
    let theirs = strip(theirs, "1!0+dev");
    let differ: Vec<(&String, String)> = ours
        .iter()
        .filter(|(name, bytes)| theirs.get(*name) != Some(bytes))
        .map(|(name, bytes)| (name, String::from_utf8_lossy(bytes).into_owned()))
        .collect();
    assert!(
        differ.is_empty() && ours.len() == theirs.len(),
        "the same files, byte for byte: {differ:?}\ntheirs: {:?}",
        theirs
            .iter()
            .map(|(n, b)| (n, String::from_utf8_lossy(b)))
            .collect::<Vec<_>>()
    );
}

/// The files of the wheel `python -m build` makes of the plugin at `dir` in a clone of HEAD.
fn maintainer_wheel(repo: &Repo, dir: &str, wheel: &str) -> std::collections::BTreeMap<String, Vec<u8>> {
    let clone = tempfile::tempdir().unwrap();
    run_ok(
        std::process::Command::new("git")
            .args(["clone", "-q"])
            .arg(repo.path())
            .arg(clone.path().join("c")),
    );
    run_ok(
        std::process::Command::new(maintainer_python())
            .args(["-m", "build", "--wheel", "--no-isolation", "--outdir"])
            .arg(clone.path().join("out"))
            .arg(clone.path().join("c").join(dir)),
    );
    let path = clone.path().join("out").join(wheel);
    assert!(path.is_file(), "{:?}", list_dir(&clone.path().join("out")));
    wheel_files(&path)
}

/// The METADATA of a wheel.
fn wheel_metadata(wheel: &std::path::Path) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    let name = zip
        .file_names()
        .map(|n| n.unwrap().to_string())
        .find(|n| n.ends_with(".dist-info/METADATA"))
        .unwrap();
    let mut text = String::new();
    zip.by_name(&name).unwrap().read_to_string(&mut text).unwrap();
    text
}

#[test]
fn a_stray_lightweight_tag_ahead_of_the_releases_is_shown_and_refused() {
    let files: Vec<(String, String)> = [library("lib-core", &[])].concat();
    let (repo, _origin) = family(&files);
    adopt(&repo, "");
    set_host_versions(&repo);
    repo.git(&["tag", "-a", "lib-core-v2.6.0", "-m", "Release 2.6.0"]);
    repo.git(&["push", "-q", "origin", "main", "lib-core-v2.6.0"]);
    repo.write("libraries/lib-core/lib_core/extra.py", "X = 1\n");
    repo.commit("a change");
    repo.git(&["push", "-q", "origin", "main"]);
    repo.git(&["tag", "lib-core-v2.7.0", "HEAD~1"]);

    let advice = "lib-core: its newest tag lib-core-v2.7.0 is lightweight, unlike its release tags before it \
                  (lib-core-v2.6.0 is annotated): a stray tag would make 2.7.0 its current version and the next \
                  release skip the versions between. If 2.7.0 was released, make the tag annotated";
    let status = repo.xtask(&["status"]);
    status.assert_code(0);
    assert!(
        status.stderr.contains(&format!("warning: {advice}")),
        "{}",
        status.stderr
    );
    assert!(
        status.stdout.contains(" lib-core-v2.7.0 (stray?) "),
        "{}",
        status.stdout
    );
    let json = repo.xtask(&["status", "--json"]).assert_code(0).json();
    assert_eq!(json[0]["stray_tag"], "lib-core-v2.7.0");
    assert_matches_schema(&json, "status");
    repo.xtask(&["status", "--check"]).assert_code(3);
    let run = repo.xtask(&["release", "minor", "--platform", "linux"]);
    run.assert_code(3);
    assert!(run.stderr.contains(advice), "{}", run.stderr);
    assert!(run.stderr.contains("(`git tag -d lib-core-v2.7.0`)"), "{}", run.stderr);

    // Following the advice: the release continues from 2.6.0.
    repo.git(&["tag", "-d", "lib-core-v2.7.0"]);
    let plan = repo
        .xtask(&["release", "minor", "--platform", "linux", "--json"])
        .assert_code(0)
        .json();
    assert_eq!(plan["units"][0]["version"], "2.7.0");
}

#[test]
fn a_plugin_taken_out_of_its_group_goes_on_from_the_group_s_release() {
    let files: Vec<(String, String)> = [library("lib-core", &[]), library("lib-extra", &["lib-core"])].concat();
    let (repo, _origin) = family(&files);
    adopt(&repo, "");
    set_host_versions(&repo);
    let manifest = repo.read("release-config.toml");
    repo.append_manifest("[groups]\ncore = [\"lib-core\", \"lib-extra\"]\n", "one group");
    repo.git(&["push", "-q", "origin", "main"]);
    repo.xtask(&["release", "2.8.0", "--platform", "linux", "--no-sources", "--execute"])
        .assert_code(0);
    assert_eq!(repo.git(&["tag", "--points-at", "HEAD"]), "v2.8.0\n");

    // The group goes, and changelogs with it (the manifest as tagged tells the members);
    // lib-extra changes on its own.
    assert!(manifest.contains("\n[versioning]\n"), "{manifest}");
    let manifest = manifest.replacen("\n[versioning]\n", "\n[versioning]\nchangelog = \"\"\n", 1);
    repo.write("release-config.toml", &manifest);
    let log = "libraries/lib-extra/CHANGELOG.md";
    let text = repo
        .read(log)
        .replacen("## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n\n- A fix.\n", 1);
    repo.write(log, &text);
    repo.commit("lib-extra leaves the group");
    repo.git(&["push", "-q", "origin", "main"]);

    let status = repo.xtask(&["status", "--json"]).assert_code(0).json();
    let versions: Vec<(&str, &str, &str)> = status
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap(),
                r["version"].as_str().unwrap(),
                r["last_tag"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [("lib-core", "2.8.0", "v2.8.0"), ("lib-extra", "2.8.0", "v2.8.0")]
    );
    assert_eq!(
        status[1]["changed_files"],
        serde_json::json!(["libraries/lib-extra/CHANGELOG.md"])
    );
    let plan = repo
        .xtask(&[
            "release",
            "patch",
            "--plugin",
            "lib-extra",
            "--platform",
            "linux",
            "--json",
        ])
        .assert_code(0)
        .json();
    assert_eq!(plan["units"][0]["current_version"], "2.8.0");
    assert_eq!(plan["units"][0]["tag"], "lib-extra-v2.8.1");
}

/// A library as integration monorepos write them: `version=get_version()` reading its
/// `version.py` (at the placeholder), and the pin on the core library computed from it
/// (none at the placeholder, `==<version>` once stamped).
fn computed_library(name: &str, core: Option<&str>) -> Vec<(String, String)> {
    let module = name.replace('-', "_");
    let requires = match core {
        Some(core) => format!("f\"{core}{{pin}}\""),
        None => String::new(),
    };
    vec![
        (
            format!("libraries/{name}/setup.py"),
            format!(
                "from pathlib import Path\n\nfrom setuptools import setup\n\n\n\
                 def get_version():\n    version = {{}}\n    \
                 exec((Path(__file__).parent / \"{module}\" / \"version.py\").read_text(), version)\n    \
                 return version[\"__version__\"]\n\n\n\
                 ver = get_version()\n# The dev placeholder pins nothing.\npin = \"\" if ver == \"1!0+dev\" else f\"=={{ver}}\"\n\n\
                 setup(\n    name=\"{name}\",\n    version=ver,\n    description=\"The {name} integration\",\n    \
                 packages=[\"{module}\"],\n    install_requires=[\"tabulate==1!0+dev\", {requires}],\n    \
                 python_requires=\">=3.9\",\n)\n"
            ),
        ),
        (format!("libraries/{name}/{module}/__init__.py"), "from .version import __version__\n".into()),
        (format!("libraries/{name}/{module}/version.py"), "__version__ = \"1!0+dev\"\n".into()),
        (
            format!("libraries/{name}/CHANGELOG.md"),
            "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- The first release.\n".to_string(),
        ),
    ]
}

#[test]
fn pins_computed_from_the_stamped_version_are_checked_as_built() {
    let files: Vec<(String, String)> = [
        computed_library("lib-core", None),
        computed_library("lib-aws", Some("lib-core")),
        computed_library("lib-tool", None),
    ]
    .concat();
    let (repo, _origin) = family(&files);
    let init = adopt(&repo, "");
    assert!(
        init.stderr
            .contains("libraries/lib-aws: setup.py computes its requirements: `plan` asks its build backend"),
        "{}",
        init.stderr
    );
    set_host_versions(&repo);
    repo.git(&["push", "-q", "origin", "main"]);

    // Alone, lib-aws 0.26.8 would require lib-core==0.26.8, which this release does not build.
    let alone = repo.xtask(&["release", "0.26.8", "--plugin", "lib-aws", "--platform", "linux"]);
    alone.assert_code(3);
    assert!(
        alone.stderr.contains(
            "libraries/lib-aws: setup.py computes the requirement \"lib-core==0.26.8\" on the sibling plugin \
             lib-core (so its build copy says, asked of its build backend), which excludes 0.0.0, the version of \
             lib-core this run builds"
        ),
        "{}",
        alone.stderr
    );

    // Released together, the computed pin is right, and the wheel says so.
    repo.xtask(&["release", "0.26.8", "--platform", "linux", "--no-sources", "--execute"])
        .assert_code(0);
    let metadata = wheel_metadata(&repo.in_dist("lib_aws-0.26.8-py3-none-any.whl"));
    let requires: Vec<&str> = metadata.lines().filter(|l| l.starts_with("Requires-Dist:")).collect();
    assert_eq!(
        requires,
        ["Requires-Dist: tabulate<0.10,>=0.9", "Requires-Dist: lib-core==0.26.8"],
        "{metadata}"
    );

    // Then one plugin alone: lib-core cannot go (lib-aws, built at 0.26.8, pins it exactly);
    // lib-tool, which pins nothing, goes, and the bundle's siblings agree.
    let core = repo.xtask(&["release", "patch", "--plugin", "lib-core", "--platform", "linux"]);
    core.assert_code(3);
    assert!(
        core.stderr.contains(
            "libraries/lib-aws: setup.py computes the requirement \"lib-core==0.26.8\" on the sibling plugin \
             lib-core (so its build copy says, asked of its build backend), which excludes 0.26.9"
        ),
        "{}",
        core.stderr
    );
    std::fs::remove_dir_all(repo.path().join("dist")).unwrap();
    let log = "libraries/lib-tool/CHANGELOG.md";
    let text = repo
        .read(log)
        .replacen("## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n\n- A fix.\n", 1);
    repo.write(log, &text);
    repo.write("libraries/lib-tool/lib_tool/fix.py", "FIXED = True\n");
    repo.commit("a fix of lib-tool");
    repo.git(&["push", "-q", "origin", "main"]);
    let released = repo.xtask(&[
        "release",
        "patch",
        "--plugin",
        "lib-tool",
        "--platform",
        "linux",
        "--no-sources",
        "--execute",
    ]);
    released.assert_code(0);
    assert_eq!(repo.git(&["tag", "--points-at", "HEAD"]), "lib-tool-v0.26.9\n");
    let (_dir, top) = repo.unpack_linux_bundle();
    let wheels: Vec<String> = walk_names(&top)
        .into_iter()
        .filter(|n| n.starts_with("lib_") && n.ends_with(".whl"))
        .collect();
    assert_eq!(
        wheels,
        [
            "lib_aws-0.26.8-py3-none-any.whl",
            "lib_core-0.26.8-py3-none-any.whl",
            "lib_tool-0.26.9-py3-none-any.whl"
        ]
    );
}

/// The names of the files below `dir`, sorted.
fn walk_names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn files_a_backend_leaves_out_by_design_are_never_missing_but_forgotten_data_is() {
    let files: Vec<(String, String)> = vec![
        // setuptools: a namespace package below src/, its tests excluded from the packages.
        (
            "plugins/acme-x/setup.py".into(),
            "from setuptools import setup, find_namespace_packages\n\nsetup(\n    name=\"acme-x\",\n    \
             version=\"1.0.0\",\n    description=\"x\",\n    package_dir={\"\": \"src\"},\n    \
             packages=find_namespace_packages(\"src\", include=[\"acme.*\"], exclude=[\"acme.x.tests*\"]),\n)\n"
                .into(),
        ),
        (
            "plugins/acme-x/src/acme/x/__init__.py".into(),
            "__version__ = \"1.0.0\"\n".into(),
        ),
        ("plugins/acme-x/src/acme/x/tests/__init__.py".into(), String::new()),
        (
            "plugins/acme-x/src/acme/x/tests/test_x.py".into(),
            "def test():\n    pass\n".into(),
        ),
        // hatch: sources and an excluded folder.
        (
            "plugins/acme-y/pyproject.toml".into(),
            "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n\
             [project]\nname = \"acme-y\"\nversion = \"1.0.0\"\ndescription = \"y\"\n\n\
             [tool.hatch.build.targets.wheel]\nonly-include = [\"src/acme_y\"]\nsources = [\"src\"]\n\
             exclude = [\"src/acme_y/tests\"]\n"
                .into(),
        ),
        ("plugins/acme-y/src/acme_y/__init__.py".into(), String::new()),
        (
            "plugins/acme-y/src/acme_y/tests/test_y.py".into(),
            "def test():\n    pass\n".into(),
        ),
        // hatch: only one subpackage of a package shipped.
        (
            "plugins/acme-z/pyproject.toml".into(),
            "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n\
             [project]\nname = \"acme-z\"\nversion = \"1.0.0\"\ndescription = \"z\"\n\n\
             [tool.hatch.build.targets.wheel]\nonly-include = [\"src/acme_z/core\"]\nsources = [\"src\"]\n"
                .into(),
        ),
        ("plugins/acme-z/src/acme_z/__init__.py".into(), String::new()),
        ("plugins/acme-z/src/acme_z/core/__init__.py".into(), String::new()),
        ("plugins/acme-z/src/acme_z/core/schema.json".into(), "{}\n".into()),
        ("plugins/acme-z/src/acme_z/web/app.py".into(), "APP = 1\n".into()),
    ];
    let (repo, _origin) = family(&files);
    adopt(&repo, "");
    nightly(&repo).assert_code(0);
    let (_dir, top) = repo.unpack_linux_bundle();
    let wheel = walkdir::WalkDir::new(&top)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .find(|p| {
            p.file_name().unwrap().to_string_lossy().starts_with("acme_z-") && p.to_string_lossy().ends_with(".whl")
        })
        .expect("acme-z's wheel");
    let shipped: Vec<String> = wheel_files(&wheel)
        .into_keys()
        .filter(|n| !n.contains(".dist-info/"))
        .collect();
    assert_eq!(shipped, ["acme_z/core/__init__.py", "acme_z/core/schema.json"]);
    std::fs::remove_dir_all(repo.path().join("dist")).unwrap();

    // A data file nobody declared is still caught.
    repo.write("plugins/acme-x/src/acme/x/schema.json", "{}\n");
    repo.commit("a data file");
    let run = nightly(&repo);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("lacks 1 committed file(s) of its packages: acme/x/schema.json."),
        "{}",
        run.stderr
    );
}

#[test]
fn a_repository_that_is_one_plugin_is_adopted_and_released_from_its_root() {
    let files: Vec<(String, String)> = vec![
        (
            "pyproject.toml".into(),
            "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
             [project]\nname = \"acme-solo\"\nversion = \"1.2.0\"\ndescription = \"A plugin alone in its repository\"\n\n\
             [tool.setuptools.packages.find]\ninclude = [\"acme_solo*\"]\n"
                .into(),
        ),
        ("acme_solo/__init__.py".into(), "__version__ = \"1.2.0\"\n".into()),
        (
            "CHANGELOG.md".into(),
            "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- A fix.\n\n## [1.2.0] - 2026-11-02\n\n- Released.\n".into(),
        ),
    ];
    let (repo, origin) = family(&files);
    repo.git(&["tag", "-a", "acme-solo-v1.2.0", "-m", "released", "HEAD"]);
    repo.git(&["push", "-q", "origin", "acme-solo-v1.2.0"]);
    let init = adopt(&repo, "");
    assert!(
        init.stderr.contains("1 plugin folder(s): paths = [\".\"]"),
        "{}",
        init.stderr
    );
    nightly_passes(&repo);

    repo.xtask(&["release", "patch", "--platform", "linux", "--no-sources", "--execute"])
        .assert_code(0);
    assert_eq!(repo.git(&["tag", "--points-at", "HEAD"]), "acme-solo-v1.2.1\n");
    assert_eq!(
        repo.git(&["diff", "--name-only", "HEAD~1", "HEAD"]),
        "CHANGELOG.md\nacme_solo/__init__.py\npyproject.toml\n"
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert!(remote_refs(origin.path()).contains("refs/tags/acme-solo-v1.2.1 "));
    assert!(repo.in_dist("acme_solo-1.2.1-py3-none-any.whl").is_file());
}

#[test]
fn a_computed_requirement_at_the_placeholder_is_refused_naming_the_plugin() {
    let setup = "from setuptools import setup\n\nHOST = \"==1!0+dev\"\n\nsetup(\n    name=\"lib-core\",\n    \
                 version=\"1!0+dev\",\n    description=\"The core integration\",\n    packages=[\"lib_core\"],\n    \
                 install_requires=[f\"tabulate{HOST}\"],\n)\n";
    let files: Vec<(String, String)> = vec![
        ("libraries/lib-core/setup.py".into(), setup.into()),
        ("libraries/lib-core/lib_core/__init__.py".into(), String::new()),
        (
            "libraries/lib-core/CHANGELOG.md".into(),
            "# Changelog\n\n## [Unreleased]\n\n- First.\n".into(),
        ),
    ];
    let (repo, _origin) = family(&files);
    adopt(&repo, "[versioning.requirements]\ntabulate = \">=0.9,<0.10\"\n");
    let run = repo.xtask(&["plan", "--platform", "linux", "--build-number", BUILD_NUMBER]);
    run.assert_code(3);
    assert!(
        run.stderr.contains(
            "libraries/lib-core: setup.py computes the requirement \"tabulate==1!0+dev\" at the placeholder \
             1!0+dev (its build backend says so): this tool can rewrite it only where it is written as a literal \
             string"
        ),
        "{}",
        run.stderr
    );
}

/// A setuptools plugin at `version` whose package carries a `plugin.json` (JSON with comments,
/// as editors write it) holding the version too.
fn json_plugin(name: &str, version: &str) -> Vec<(String, String)> {
    let module = name.replace('-', "_");
    vec![
        (
            format!("plugins/{name}/pyproject.toml"),
            format!(
                "[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
                 [project]\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"A plugin\"\n\n\
                 [tool.setuptools.package-data]\n{module} = [\"plugin.json\"]\n"
            ),
        ),
        (format!("plugins/{name}/{module}/__init__.py"), String::new()),
        (
            format!("plugins/{name}/{module}/plugin.json"),
            format!(
                "{{\n  // shown in the host's plugin manager\n  \"name\": \"{name}\", /* its id */\n  \
                 \"version\": \"{version}\",\n  \"entry\": \"{module}:load\" // loaded on start\n}}\n"
            ),
        ),
        (
            format!("plugins/{name}/CHANGELOG.md"),
            format!("# Changelog\n\n## [Unreleased]\n\n## [{version}] - 2026-10-01\n\n- Released.\n"),
        ),
    ]
}

#[test]
fn json_version_files_with_comments_are_found_and_stamped_keeping_the_comments() {
    let plugins = [
        ("gis-tools", "1.0.0"),
        ("gis-viewer", "1.1.0"),
        ("gis-export", "2.0.3"),
        ("gis-import", "0.4.0"),
        ("gis-styles", "3.2.1"),
    ];
    let files: Vec<(String, String)> = plugins.iter().flat_map(|(n, v)| json_plugin(n, v)).collect();
    let (repo, origin) = family(&files);
    for (name, version) in plugins {
        repo.git(&["tag", "-a", &format!("{name}/v{version}"), "-m", "released"]);
    }
    repo.git(&["push", "-q", "origin", "--tags"]);
    let init = adopt(&repo, "");
    let manifest = repo.read("release-config.toml");
    for expected in [
        "tag = \"{name}/v{version}\"",
        "{ path = \"gis_viewer/plugin.json\", kind = \"json\", key = \"version\"",
    ] {
        assert!(
            manifest.contains(expected),
            "{expected:?} in\n{manifest}\n{}",
            init.stderr
        );
    }
    nightly_passes(&repo);

    let log = "plugins/gis-viewer/CHANGELOG.md";
    let text = repo
        .read(log)
        .replacen("## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n\n- A fix.\n", 1);
    repo.write(log, &text);
    repo.commit("a fix of gis-viewer");
    repo.git(&["push", "-q", "origin", "main"]);
    repo.xtask(&[
        "release",
        "patch",
        "--plugin",
        "gis-viewer",
        "--platform",
        "linux",
        "--no-sources",
        "--execute",
    ])
    .assert_code(0);
    assert!(remote_refs(origin.path()).contains("refs/tags/gis-viewer/v1.1.1 "));
    // The comments stay; only the version changes.
    assert_eq!(
        repo.read("plugins/gis-viewer/gis_viewer/plugin.json"),
        "{\n  // shown in the host's plugin manager\n  \"name\": \"gis-viewer\", /* its id */\n  \
         \"version\": \"1.1.1\",\n  \"entry\": \"gis_viewer:load\" // loaded on start\n}\n"
    );
    assert_eq!(
        repo.git(&["diff", "--name-only", "HEAD~1", "HEAD"]),
        "plugins/gis-viewer/CHANGELOG.md\nplugins/gis-viewer/gis_viewer/plugin.json\nplugins/gis-viewer/pyproject.toml\n"
    );
    let wheel = wheel_files(&repo.in_dist("gis_viewer-1.1.1-py3-none-any.whl"));
    let theirs = maintainer_wheel(&repo, "plugins/gis-viewer", "gis_viewer-1.1.1-py3-none-any.whl");
    assert!(wheel == theirs, "the same files, byte for byte");
}
