//! Plugins shaped like real ones, one per common build backend (setuptools with
//! setuptools-scm, hatchling with hatch-vcs, flit-core, poetry-core, pdm-backend), each with
//! non-Python files in its package and no MANIFEST.in: built from a git checkout, their
//! wheels hold every committed package file, in a nightly, a release and a tag rebuild alike.
//! A wheel that leaves a committed file out fails the build unless the manifest says so.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use common::*;

const SUMMARY: &str = "description = \"A fixture plugin\"\nrequires-python = \">=3.9\"\n";

/// (folder, files): one plugin per backend. Each package holds a data file that only a build
/// which sees git (or the backend's own rules) puts into the wheel.
fn backend_plugins() -> Vec<(&'static str, Vec<(String, String)>)> {
    let f = |path: &str, text: &str| (path.to_string(), text.to_string());
    vec![
        (
            "acme-scm",
            vec![
                f(
                    "pyproject.toml",
                    &format!(
                        "[build-system]\nrequires = [\"setuptools>=69\", \"setuptools-scm>=8\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
                         [project]\nname = \"acme-scm\"\nversion = \"1.0.0\"\n{SUMMARY}\n[tool.setuptools.packages.find]\nwhere = [\"src\"]\n"
                    ),
                ),
                f("src/acme_scm/__init__.py", "__version__ = \"1.0.0\"\n"),
                f("src/acme_scm/plugin_package.json", "{\"name\": \"acme-scm\"}\n"),
                f("src/acme_scm/web/index.html", "<html></html>\n"),
            ],
        ),
        (
            "acme-hatch",
            vec![
                f(
                    "pyproject.toml",
                    &format!(
                        "[build-system]\nrequires = [\"hatchling\", \"hatch-vcs\"]\nbuild-backend = \"hatchling.build\"\n\n\
                         [project]\nname = \"acme-hatch\"\ndynamic = [\"version\"]\n{SUMMARY}\n\
                         [tool.hatch.version]\npath = \"src/acme_hatch/__about__.py\"\n\n\
                         [tool.hatch.build.hooks.vcs]\nversion-file = \"src/acme_hatch/_scm_version.py\"\n"
                    ),
                ),
                f("src/acme_hatch/__init__.py", ""),
                f("src/acme_hatch/__about__.py", "__version__ = \"1.0.0\"\n"),
                f("src/acme_hatch/templates/page.html", "<p>{{ name }}</p>\n"),
                f(".gitignore", "src/acme_hatch/_scm_version.py\n"),
            ],
        ),
        (
            "acme-flit",
            vec![
                f(
                    "pyproject.toml",
                    &format!(
                        "[build-system]\nrequires = [\"flit_core>=3.4\"]\nbuild-backend = \"flit_core.buildapi\"\n\n\
                         [project]\nname = \"acme_flit\"\nversion = \"1.0.0\"\n{SUMMARY}"
                    ),
                ),
                f("acme_flit/__init__.py", ""),
                f("acme_flit/data/schema.json", "{}\n"),
            ],
        ),
        (
            "acme-poetry",
            vec![
                f(
                    "pyproject.toml",
                    &format!(
                        "[build-system]\nrequires = [\"poetry-core>=2\"]\nbuild-backend = \"poetry.core.masonry.api\"\n\n\
                         [project]\nname = \"acme-poetry\"\nversion = \"1.0.0\"\n{SUMMARY}\n\
                         [tool.poetry]\npackages = [{{ include = \"acme_poetry\", from = \"src\" }}]\n"
                    ),
                ),
                f("src/acme_poetry/__init__.py", ""),
                f("src/acme_poetry/assets/logo.svg", "<svg/>\n"),
            ],
        ),
        (
            "acme-pdm",
            vec![
                f(
                    "pyproject.toml",
                    &format!(
                        "[build-system]\nrequires = [\"pdm-backend\"]\nbuild-backend = \"pdm.backend\"\n\n\
                         [project]\nname = \"acme-pdm\"\nversion = \"1.0.0\"\n{SUMMARY}"
                    ),
                ),
                f("src/acme_pdm/__init__.py", ""),
                f("src/acme_pdm/config/defaults.toml", "level = 1\n"),
            ],
        ),
    ]
}

/// A repository of `plugins` with a manifest that finds the backends in the cached folder.
fn repo_of(plugins: &[(&str, Vec<(String, String)>)], extra: &str) -> Repo {
    let dir = tempfile::Builder::new().prefix("xtask-backends-").tempdir().unwrap();
    let repo = Repo { dir };
    for (folder, files) in plugins {
        for (path, text) in files {
            repo.write(&format!("plugins/{folder}/{path}"), text);
        }
    }
    repo.write(
        "release-config.toml",
        &format!(
            "[release]\nname = \"backends\"\nbranches = [\"main\"]\n\n[plugins]\npaths = [\"plugins/*\"]\n\n\
             [public]\nindex-url = \"{}\"\nfind-links = [\"{}\"]\n\n[versioning]\nchangelog = \"\"\n\n\
             [platforms.linux]\ntags = [\"manylinux2014_x86_64\", \"manylinux_2_28_x86_64\", \"linux_x86_64\"]\npython = \"3.11\"\n{extra}",
            index().url,
            backend_wheels().display()
        ),
    );
    repo.write(".gitignore", "/target/\n/dist/\n");
    repo.git(&["init", "-q", "-b", "main"]);
    repo.commit("fixture: plugins of every common build backend");
    repo
}

/// Entries and METADATA version of every wheel in `dir`, by file name.
fn wheels(dir: &Path) -> BTreeMap<String, (Vec<String>, String)> {
    let mut out = BTreeMap::new();
    for name in list_dir(dir).into_iter().filter(|f| f.ends_with(".whl")) {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(dir.join(&name)).unwrap()).unwrap();
        let entries: Vec<String> = zip.file_names().map(|n| n.unwrap().to_string()).collect();
        let meta = entries
            .iter()
            .find(|e| e.ends_with(".dist-info/METADATA"))
            .unwrap()
            .clone();
        let mut text = String::new();
        zip.by_name(&meta).unwrap().read_to_string(&mut text).unwrap();
        let version = text
            .lines()
            .find_map(|l| l.strip_prefix("Version: "))
            .unwrap()
            .to_string();
        out.insert(name, (entries, version));
    }
    out
}

const DATA: &[(&str, &[&str])] = &[
    (
        "acme_scm-",
        &["acme_scm/plugin_package.json", "acme_scm/web/index.html"],
    ),
    ("acme_hatch-", &["acme_hatch/templates/page.html"]),
    ("acme_flit-", &["acme_flit/data/schema.json"]),
    ("acme_poetry-", &["acme_poetry/assets/logo.svg"]),
    ("acme_pdm-", &["acme_pdm/config/defaults.toml"]),
];

fn assert_complete(dir: &Path, version: &str) {
    let wheels = wheels(dir);
    assert_eq!(wheels.len(), DATA.len(), "{:?}", wheels.keys());
    for (prefix, files) in DATA {
        let (name, (entries, meta_version)) = wheels
            .iter()
            .find(|(n, _)| n.starts_with(prefix))
            .unwrap_or_else(|| panic!("a wheel {prefix}* in {:?}", wheels.keys()));
        assert_eq!(meta_version, version, "{name}");
        for f in *files {
            assert!(entries.contains(&f.to_string()), "{f} in {name}: {entries:?}");
        }
    }
}

#[test]
fn every_common_backend_builds_complete_wheels_in_nightlies_releases_and_rebuilds() {
    let repo = repo_of(&backend_plugins(), "");
    repo.nightly_linux().assert_code(0);
    let archive = list_dir(&repo.set_dir())
        .into_iter()
        .find(|f| f.ends_with(".tar.bz2"))
        .unwrap();
    let (_keep, top) = unpack(&repo.set_dir().join(&archive));
    assert_complete(&top, "1.0.1.dev20261121007");

    std::fs::remove_dir_all(repo.path().join("dist")).unwrap();
    repo.xtask(&["release", "minor", "--platform", "linux", "--no-sources", "--execute"])
        .assert_code(0);
    assert_complete(&repo.set_dir(), "1.1.0");
    // The version files of the release commit hold the new version.
    assert!(repo
        .read("plugins/acme-hatch/src/acme_hatch/__about__.py")
        .contains("\"1.1.0\""));
    assert!(repo
        .read("plugins/acme-pdm/pyproject.toml")
        .contains("version = \"1.1.0\""));
    let released = wheels(&repo.set_dir());

    std::fs::remove_dir_all(repo.path().join("dist")).unwrap();
    repo.xtask(&["bundle", "--platform", "linux", "--no-sources"])
        .assert_code(0);
    assert_complete(&repo.set_dir(), "1.1.0");
    assert_eq!(
        wheels(&repo.set_dir()).keys().collect::<Vec<_>>(),
        released.keys().collect::<Vec<_>>()
    );
}

#[test]
fn a_committed_package_file_missing_from_the_wheel_fails_the_build_unless_excluded() {
    let plain = (
        "acme-plain",
        vec![
            (
                "pyproject.toml".to_string(),
                format!(
                    "[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
                     [project]\nname = \"acme-plain\"\nversion = \"1.0.0\"\n{SUMMARY}\n\
                     [tool.setuptools]\npackages = [\"acme_plain\"]\n"
                ),
            ),
            ("acme_plain/__init__.py".to_string(), String::new()),
            ("acme_plain/data/table.csv".to_string(), "a,b\n".to_string()),
            ("tests/test_plain.py".to_string(), "def test(): pass\n".to_string()),
        ],
    );
    let repo = repo_of(std::slice::from_ref(&plain), "");
    let run = repo.xtask(&["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER]);
    run.assert_code(1);
    assert!(
        run.stderr.contains(
            "plugins/acme-plain: the wheel acme_plain-1.0.1.dev20261121007-py3-none-any.whl lacks 1 committed file(s) of its packages: acme_plain/data/table.csv"
        ) && run.stderr.contains("[plugin.acme-plain] wheel-excludes"),
        "{}",
        run.stderr
    );
    assert_eq!(list_dir(&repo.path().join("dist")), Vec::<String>::new());

    let repo = repo_of(
        &[plain],
        "\n[plugin.acme-plain]\nwheel-excludes = [\"acme_plain/data/*\"]\n",
    );
    let plan = repo.xtask(&["plan", "--json", "--platform", "linux"]);
    plan.assert_code(0);
    let build = plan.json()["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "build")
        .cloned()
        .unwrap();
    assert_eq!(build["wheel_excludes"], serde_json::json!(["acme_plain/data/*"]));
    repo.xtask(&["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0);
}

/// A flit plugin below a pkgutil namespace (`module = "host.providers.sqlite"`, as in monorepos
/// of providers): flit never ships the namespace parents' `__init__.py`, and the completeness
/// check knows it.
#[test]
fn namespace_parents_a_backend_does_not_ship_are_not_missing_files() {
    let pkgutil = "__path__ = __import__(\"pkgutil\").extend_path(__path__, __name__)\n";
    let provider = || {
        let files = vec![
            (
                "pyproject.toml".to_string(),
                format!(
                    "[build-system]\nrequires = [\"flit_core>=3.4\"]\nbuild-backend = \"flit_core.buildapi\"\n\n\
                     [project]\nname = \"host-provider-sqlite\"\nversion = \"4.3.4\"\n{SUMMARY}\n\
                     [tool.flit.module]\nname = \"host.providers.sqlite\"\n"
                ),
            ),
            ("src/host/__init__.py".to_string(), pkgutil.to_string()),
            ("src/host/providers/__init__.py".to_string(), pkgutil.to_string()),
            (
                "src/host/providers/sqlite/__init__.py".to_string(),
                "NAME = \"sqlite\"\n".to_string(),
            ),
        ];
        ("host-provider-sqlite", files)
    };
    let repo = repo_of(&[provider()], "");
    let run = repo.xtask(&["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER]);
    run.assert_code(0);
    let archive = list_dir(&repo.set_dir())
        .into_iter()
        .find(|f| f.ends_with("-linux.tar.bz2"))
        .unwrap();
    let (_dir, top) = unpack(&repo.set_dir().join(archive));
    let wheelhouse = std::fs::read_dir(&top)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.is_dir()
                && !list_dir(p)
                    .iter()
                    .filter(|f| f.starts_with("host_provider_sqlite-"))
                    .count()
                    == 0
        })
        .unwrap_or(top.clone());
    let built = wheels(&wheelhouse);
    let (entries, _) = built.values().next().expect("the plugin's wheel in the bundle");
    assert!(
        entries.contains(&"host/providers/sqlite/__init__.py".to_string()),
        "{entries:?}"
    );
    assert!(!entries.contains(&"host/__init__.py".to_string()), "{entries:?}");
}

/// The build cache and git's history: plugins whose build configuration names a build plugin
/// that reads it (setuptools-scm, hatch-vcs) are keyed on the commit and the tags too, so a new
/// tag on the same files builds them again; the others are reused.
#[test]
fn a_new_tag_builds_again_only_the_plugins_that_read_git_history() {
    let repo = repo_of(&backend_plugins(), "");
    // Each run writes to an output folder of its own, so that no run is reused as a whole
    // (the output folder is part of the plan) and every plugin's build cache is asked.
    let runs = std::cell::Cell::new(0);
    let nightly = || {
        runs.set(runs.get() + 1);
        let output = format!("dist/run-{}", runs.get());
        let run = repo.xtask(&[
            "nightly",
            "--platform",
            "linux",
            "--no-sources",
            "--build-number",
            BUILD_NUMBER,
            "--output",
            &output,
        ]);
        run.assert_code(0);
        std::fs::remove_dir_all(repo.path().join(&output)).unwrap();
        let mut reused: Vec<String> = run
            .stderr
            .lines()
            .filter(|l| l.contains("reused the sdist and wheel"))
            .map(|l| l.trim().split(' ').next().unwrap().to_string())
            .collect();
        reused.sort();
        reused
    };
    nightly();
    let all = ["acme-flit", "acme-hatch", "acme-pdm", "acme-poetry", "acme-scm"];
    assert_eq!(nightly(), all, "the same commit: every plugin reused");
    repo.git(&["tag", "unrelated-marker"]);
    assert_eq!(
        nightly(),
        ["acme-flit", "acme-pdm", "acme-poetry"],
        "a new tag: the history readers are built again"
    );
}

/// A build's hooks run in children forked from one process that imported the backend, unless
/// that process has other threads by then (forking it could leave a child waiting forever on
/// a lock another thread held): a backend that starts a thread on import gets a new
/// interpreter per hook, and its plugin builds all the same.
#[test]
fn hooks_of_a_backend_that_starts_a_thread_run_in_new_interpreters() {
    let wheels = tempfile::tempdir().unwrap();
    let imports = tempfile::tempdir().unwrap();
    let backend = |name: &str, thread: bool| {
        // Where it logs comes from the environment: the build-tools venv outlives the test.
        let body = format!(
            "import os, threading, time\nfrom setuptools.build_meta import *  # noqa: F401,F403\n\
             if os.environ.get(\"ACME_IMPORTS\"):\n    \
             with open(os.path.join(os.environ[\"ACME_IMPORTS\"], {name:?} + \".txt\"), \"a\") as f:\n        \
             f.write(str(os.getpid()) + \"\\n\")\n{}",
            if thread {
                "threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()\n"
            } else {
                ""
            }
        );
        fake_wheel(wheels.path(), name, "1.0", name, &body, &["setuptools>=69"]);
        imports.path().join(format!("{name}.txt"))
    };
    let plugin = |folder: &str, backend: &str| {
        let module = folder.replace('-', "_");
        (
            folder.to_string(),
            vec![
                (
                    "pyproject.toml".to_string(),
                    format!(
                        "[build-system]\nrequires = [\"{backend}==1.0\", \"setuptools>=69\"]\nbuild-backend = \"{backend}\"\n\n\
                         [project]\nname = \"{folder}\"\nversion = \"1.0.0\"\ndescription = \"A plugin\"\nlicense = \"MIT\"\n"
                    ),
                ),
                (format!("src/{module}/__init__.py"), "__version__ = \"1.0.0\"\n".to_string()),
            ],
        )
    };
    let (threaded, quiet) = (backend("threadingbackend", true), backend("plainbackend", false));
    let plugins = [
        plugin("acme-threads", "threadingbackend"),
        plugin("acme-quiet", "plainbackend"),
    ];
    let plugins: Vec<(&str, Vec<(String, String)>)> =
        plugins.iter().map(|(f, files)| (f.as_str(), files.clone())).collect();
    let repo = repo_of(&plugins, "");
    let manifest = repo.read("release-config.toml");
    let find_links = format!("find-links = [\"{}\"", backend_wheels().display());
    assert!(manifest.contains(&find_links));
    repo.write(
        "release-config.toml",
        &manifest.replacen(
            &find_links,
            &format!("{find_links}, \"{}\"", wheels.path().display()),
            1,
        ),
    );
    repo.commit("fixture: backends of its own");
    repo.xtask_with(NIGHTLY_LINUX, |c| {
        c.env("ACME_IMPORTS", imports.path());
    })
    .assert_code(0);
    let (_keep, top) = repo.unpack_linux_bundle();
    let built = list_dir(&top);
    for wheel in [
        "acme_threads-1.0.1.dev20261121007-py3-none-any.whl",
        "acme_quiet-1.0.1.dev20261121007-py3-none-any.whl",
    ] {
        assert!(built.iter().any(|f| f == wheel), "{built:?}");
    }
    let lines = |log: &Path| std::fs::read_to_string(log).unwrap().lines().count();
    assert_eq!(lines(&quiet), 1, "imported once, before the forks");
    assert_eq!(
        lines(&threaded),
        5,
        "imported before, then by each of the 4 hooks' interpreters"
    );

    // When every plugin has that backend, the batch process imports it once and, having a
    // thread then, builds each plugin in a new interpreter (`python -m build`, at once).
    let pyproject = "plugins/acme-quiet/pyproject.toml";
    repo.write(
        pyproject,
        &repo.read(pyproject).replace("plainbackend", "threadingbackend"),
    );
    repo.commit("acme-quiet: the threading backend too");
    std::fs::remove_file(&threaded).unwrap();
    std::fs::remove_dir_all(repo.path().join("dist")).unwrap();
    repo.xtask_with(
        &["nightly", "--platform", "linux", "--no-sources", "--build-number", "8"],
        |c| {
            c.env("ACME_IMPORTS", imports.path());
        },
    )
    .assert_code(0);
    let (_keep, top) = repo.unpack_linux_bundle();
    let built = list_dir(&top);
    for wheel in [
        "acme_threads-1.0.1.dev20261121008-py3-none-any.whl",
        "acme_quiet-1.0.1.dev20261121008-py3-none-any.whl",
    ] {
        assert!(built.iter().any(|f| f == wheel), "{built:?}");
    }
    assert_eq!(
        lines(&threaded),
        9,
        "imported by the batch process, then by each plugin's 4 hooks' interpreters"
    );
}

/// The builds of a run share one process that imports ahead what earlier hooks imported from
/// the build tools (kept beside the build-tools venv for the next run). A plugin that keeps a
/// module of the same name in its own folder (a vendored `versioneer.py` beside a plugin whose
/// build requires the installed one) still builds with its own: its wheels say what a
/// maintainer's `python -m build` would, in the first run and in the next.
#[test]
fn a_plugins_own_module_is_never_replaced_by_one_imported_ahead() {
    let wheels = tempfile::tempdir().unwrap();
    fake_wheel(
        wheels.path(),
        "acme-helper",
        "1.0",
        "acme_helper",
        "SUMMARY = \"the installed helper\"\n",
        &[],
    );
    fake_wheel(
        wheels.path(),
        "acme-tools",
        "1.0",
        "acme_tools",
        "SUMMARY = \"the installed tools\"\n",
        &[],
    );
    let plugin = |folder: &str, requires: &str, own_helper: bool| {
        let module = folder.replace('-', "_");
        let mut files = vec![
            (
                "pyproject.toml".to_string(),
                format!(
                    "[build-system]\nrequires = [\"setuptools>=69\"{requires}]\n\
                     build-backend = \"setuptools.build_meta:__legacy__\"\n\n\
                     [project]\nname = \"{folder}\"\nversion = \"1.0.0\"\ndescription = \"A plugin\"\n\
                     dynamic = [\"keywords\"]\n\
                     license = \"MIT\"\n"
                ),
            ),
            (
                "setup.py".to_string(),
                "import acme_helper\nfrom setuptools import setup\n\nsetup(keywords=[acme_helper.SUMMARY])\n"
                    .to_string(),
            ),
            (
                format!("src/{module}/__init__.py"),
                "__version__ = \"1.0.0\"\n".to_string(),
            ),
        ];
        if own_helper {
            files.push((
                "acme_helper.py".to_string(),
                "SUMMARY = \"its own helper\"\n".to_string(),
            ));
            // In the sdist too, so that the wheel built from it finds it.
            files.push(("MANIFEST.in".to_string(), "include acme_helper.py\n".to_string()));
        }
        (folder.to_string(), files)
    };
    // Built in this order, one at a time: the installed helpers are imported before the
    // vendored ones' plugins are built. The third keeps `acme_tools` in a folder its setup.py
    // puts first on `sys.path`, which no check of its folder sees: the batch finds out after
    // the hook, and builds it again in a new interpreter.
    let with_setup = |mut plugin: (String, Vec<(String, String)>), setup: &str| {
        plugin.1.retain(|(path, _)| path != "setup.py");
        plugin.1.push(("setup.py".to_string(), setup.to_string()));
        plugin
    };
    let installed = with_setup(
        plugin("acme-a-installed", ", \"acme-helper==1.0\", \"acme-tools==1.0\"", false),
        "import acme_helper, acme_tools\nfrom setuptools import setup\n\nsetup(keywords=[acme_helper.SUMMARY])\n",
    );
    let mut tools = with_setup(
        plugin("acme-c-tools", "", false),
        "import os, sys\nsys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), \"tools\"))\n\
         import acme_tools\nfrom setuptools import setup\n\nsetup(keywords=[acme_tools.SUMMARY])\n",
    );
    tools.1.push((
        "tools/acme_tools.py".to_string(),
        "SUMMARY = \"its own helper\"\n".to_string(),
    ));
    tools
        .1
        .push(("MANIFEST.in".to_string(), "include tools/acme_tools.py\n".to_string()));
    let plugins = [installed, plugin("acme-b-vendored", "", true), tools];
    let plugins: Vec<(&str, Vec<(String, String)>)> =
        plugins.iter().map(|(f, files)| (f.as_str(), files.clone())).collect();
    let repo = repo_of(&plugins, "");
    let manifest = repo.read("release-config.toml");
    let find_links = format!("find-links = [\"{}\"", backend_wheels().display());
    repo.write(
        "release-config.toml",
        &manifest.replacen(
            &find_links,
            &format!("{find_links}, \"{}\"", wheels.path().display()),
            1,
        ),
    );
    repo.commit("fixture: a helper installed for one plugin, vendored by another");
    let summaries = |build: &str| {
        // Warnings as errors, as some CI sets them: the batch itself must raise none.
        let args = [
            "nightly",
            "--platform",
            "linux",
            "--no-sources",
            "--jobs",
            "1",
            "--build-number",
            build,
        ];
        let out = repo.xtask_with(&args, |c| {
            c.env("PYTHONWARNINGS", "error::RuntimeWarning");
        });
        out.assert_code(0);
        // Only the plugin whose setup.py puts its folder first is built a second time.
        let again = |plugin: &str| {
            out.stderr
                .contains(&format!("    {plugin}: built again in a new interpreter"))
        };
        assert!(
            again("acme-c-tools") && !again("acme-a-installed") && !again("acme-b-vendored"),
            "{}",
            out.stderr
        );
        let (_keep, top) = repo.unpack_linux_bundle();
        let summary = |plugin: &str| {
            let wheel = format!("{plugin}-1.0.1.dev2026112100{build}-py3-none-any.whl");
            let mut zip = zip::ZipArchive::new(std::fs::File::open(top.join(&wheel)).unwrap()).unwrap();
            let mut text = String::new();
            zip.by_name(&format!("{plugin}-1.0.1.dev2026112100{build}.dist-info/METADATA"))
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text.lines()
                .find_map(|l| l.strip_prefix("Keywords: "))
                .unwrap_or_default()
                .to_string()
        };
        std::fs::remove_dir_all(repo.path().join("dist")).unwrap();
        (
            summary("acme_a_installed"),
            summary("acme_b_vendored"),
            summary("acme_c_tools"),
        )
    };
    let expected = (
        "the installed helper".to_string(),
        "its own helper".to_string(),
        "its own helper".to_string(),
    );
    assert_eq!(summaries("7"), expected, "the first run");
    // The run learned the helpers (this test's venv alone has `acme_tools`): the next imports
    // them ahead, before any build.
    let tools = cache_dir().join("cargo-target/xtask/tools");
    let learned: Vec<String> = list_dir(&tools)
        .into_iter()
        .filter(|n| n.ends_with(".preimports.json"))
        .map(|n| std::fs::read_to_string(tools.join(n)).unwrap())
        .filter(|text| text.contains("\"acme_tools\""))
        .collect();
    assert!(
        learned.len() == 1 && learned[0].contains("\"acme_helper\"") && learned[0].contains("\"setuptools.command.sdist\""),
        "the preimports.json beside this test's venv in {} should name acme_helper, acme_tools and setuptools' commands: {learned:?}",
        tools.display()
    );
    assert_eq!(summaries("8"), expected, "the next run, with the helper imported ahead");
}

/// Plugins whose build fails are each named with what their backend said, the command that
/// builds them as a maintainer would run it, and the log that holds their whole output; a
/// plugin that builds fine beside them does not hide them, and nothing is delivered.
#[test]
fn every_failing_build_is_named_with_its_own_output() {
    let plugin = |folder: &str, setup: &str| {
        let module = folder.replace('-', "_");
        (
            folder.to_string(),
            vec![
                (
                    "pyproject.toml".to_string(),
                    format!(
                        "[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
                         [project]\nname = \"{folder}\"\nversion = \"1.0.0\"\ndescription = \"A plugin\"\nlicense = \"MIT\"\n"
                    ),
                ),
                ("setup.py".to_string(), setup.to_string()),
                (format!("src/{module}/__init__.py"), "__version__ = \"1.0.0\"\n".to_string()),
            ],
        )
    };
    let plugins = [
        plugin(
            "acme-exits",
            "import sys\nif 'bdist_wheel' in sys.argv:\n    raise SystemExit('acme-exits: no compiler for the wheel')\n\
             from setuptools import setup\nsetup()\n",
        ),
        plugin("acme-fine", "from setuptools import setup\nsetup()\n"),
        plugin("acme-raises", "raise RuntimeError('acme-raises: setup.py is broken')\n"),
    ];
    // A pyproject.toml that `build` refuses: its own failure, not the batch's.
    let mut plugins = plugins.to_vec();
    let mut refused = plugin("acme-refused", "from setuptools import setup\nsetup()\n");
    refused.1[0].1 = refused.1[0].1.replace(
        "build-backend = \"setuptools.build_meta\"",
        "build-backend = [\"setuptools.build_meta\"]",
    );
    assert!(refused.1[0].1.contains("build-backend = ["));
    plugins.push(refused);
    let plugins: Vec<(&str, Vec<(String, String)>)> =
        plugins.iter().map(|(f, files)| (f.as_str(), files.clone())).collect();
    let repo = repo_of(&plugins, "");
    let out = repo.xtask(NIGHTLY_LINUX);
    out.assert_code(1);
    let err = &out.stderr;
    assert!(err.contains("3 steps failed"), "{err}");
    for (plugin, said) in [
        ("acme-exits", "acme-exits: no compiler for the wheel"),
        ("acme-raises", "RuntimeError: acme-raises: setup.py is broken"),
        ("acme-refused", "`build-backend` must be a string"),
    ] {
        let at = err
            .find(&format!(
                "build sdist and wheel of plugins/{plugin} (plugin {plugin}) failed (exit code 1)"
            ))
            .unwrap_or_else(|| panic!("{plugin} is not named as failed: {err}"));
        let own = &err[at..];
        let own = &own[..own[1..].find("step ").map_or(own.len(), |i| i + 1)];
        assert!(own.contains(said), "{plugin}'s own output is not shown: {own}");
        assert!(
            own.contains("-m build --no-isolation --outdir") && own.contains(&format!("plugins/{plugin}")),
            "{own}"
        );
        let log = own
            .lines()
            .find_map(|l| l.strip_prefix("full log: "))
            .unwrap_or_else(|| panic!("no log named: {own}"));
        let log = std::fs::read_to_string(log.trim()).unwrap();
        assert!(log.contains(said), "the log lacks what {plugin}'s build said");
    }
    assert!(!err.contains("acme-fine (plugin acme-fine) failed"), "{err}");
    assert!(!repo.path().join("dist").exists(), "nothing is delivered");
}
