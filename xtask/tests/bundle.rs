//! The release workflow run by hand: `bundle` rebuilds the release a tag marks (one platform
//! per machine), `merge` joins the parts into the set one full run writes, `verify` checks
//! it, and `publish` copies it to the release folder and uploads the released plugins to a
//! real index (pypiserver on 127.0.0.1), taking their files out of the checked bundles.

mod common;

use std::fs;
use std::process::Command;

use common::*;

const PASSWORD: &str = "bundle-upl0ad-9c1e";

const LINUX: &str = "acme-plugins-1.5.0-linux.tar.bz2";
const WINDOWS: &str = "acme-plugins-1.5.0-windows.zip";
const SOURCES: &str = "acme-plugins-1.5.0-sources.tar.bz2";
/// What a release of the examples delivers besides the archives: each plugin's sdist and wheel.
const DISTS: &[&str] = &[
    "acme_plugin_base-1.5.0-py3-none-any.whl",
    "acme_plugin_base-1.5.0.tar.gz",
    "acme_plugin_console-1.5.0-py3-none-any.whl",
    "acme_plugin_console-1.5.0.tar.gz",
    "acme_plugin_legacy-2.2.0-py3-none-any.whl",
    "acme_plugin_legacy-2.2.0.tar.gz",
    "acme_plugin_reports-1.5.0-py3-none-any.whl",
    "acme_plugin_reports-1.5.0.tar.gz",
];

#[test]
fn a_release_tag_is_bundled_per_platform_merged_verified_and_published() {
    let server = PackageServer::start(PASSWORD);
    let repo = Repo::bare_examples();
    repo.write(
        "release-config.toml",
        &(repo.read("release-config.toml")
            + &format!(
                "\n[publish.upload]\nrepository-url = \"{}/\"\nindex-url = \"{}/simple/\"\n",
                server.url, server.url
            )),
    );
    repo.commit("fixture: uploads");
    let dist = repo.path().join("dist");
    // The release's set, in a folder of its own.
    let set = dist.join("acme-plugins-1.5.0");

    // Not a release: `bundle` and `publish` refuse an untagged HEAD, before building anything.
    for args in [&["bundle"][..], &["publish", "--dry-run"][..]] {
        let run = repo.xtask(args);
        run.assert_code(3);
        assert!(
            run.stderr
                .contains("carries no release tag of a plugin or group at its current version"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert!(!dist.exists());

    // The release, made and uploaded here; what it delivered is kept aside, and the index
    // loses the files again (the workflow's `publish` puts them back).
    let release_dir = tempfile::tempdir().unwrap();
    let creds = |c: &mut Command| {
        c.env("TWINE_USERNAME", "ci")
            .env("TWINE_PASSWORD", PASSWORD)
            .env("RELEASE_DIR", release_dir.path());
    };
    // No SOURCE_DATE_EPOCH anywhere below: the release is built at the time of the run and its
    // commit dated with it; `bundle` takes the tagged commit's time, and so gets it back.
    repo.xtask_with(&["release", "minor", "--execute"], |c| {
        c.env("TWINE_USERNAME", "ci")
            .env("TWINE_PASSWORD", PASSWORD)
            .env_remove("SOURCE_DATE_EPOCH");
    })
    .assert_code(0);
    assert_ne!(repo.git(&["log", "-1", "--format=%ct"]).trim(), EPOCH, "dated now");
    assert_eq!(server.files().len(), DISTS.len());
    for f in server.files() {
        fs::remove_file(server.packages.path().join(f)).unwrap();
    }
    let released = tempfile::tempdir().unwrap();
    let released_dir = released.path().join("release");
    fs::rename(&dist, &released_dir).unwrap();
    let released = files(&released_dir.join("acme-plugins-1.5.0"));
    let tree = repo.snapshot();

    // The dry run names the tags and changes nothing.
    let dry = repo.xtask(&["bundle", "--dry-run"]);
    dry.assert_code(0);
    assert!(
        dry.stdout
            .contains("released at this commit (its tags): v1.5.0, acme-plugin-legacy-v2.2.0"),
        "{}",
        dry.stdout
    );
    let plan = repo.xtask(&["bundle", "--dry-run", "--json"]).assert_code(0).json();
    assert_matches_schema(&plan, "plan");
    assert_eq!(plan["kind"], "bundle");
    assert_eq!(
        plan["units"][0]["tag"], "v1.5.0",
        "the first tag names the run that builds"
    );
    assert!(!dist.exists());

    let no_epoch = |c: &mut Command| {
        c.env_remove("SOURCE_DATE_EPOCH");
    };
    // One machine per platform, as the release workflow runs it.
    let parts = tempfile::tempdir().unwrap();
    for (platform, options) in [("linux", &[][..]), ("windows", &["--no-sources"][..])] {
        let mut args = vec!["bundle", "--platform", platform];
        args.extend(options);
        let run = repo.xtask_with(&args, no_epoch);
        run.assert_code(0);
        assert!(
            run.stdout.contains("release acme-plugins 1.5.0 built"),
            "{}",
            run.stdout
        );
        fs::rename(&dist, parts.path().join(platform)).unwrap();
    }
    // And all on one machine.
    let run = repo.xtask_with(&["bundle", "--json"], no_epoch).assert_code(0).json();
    assert_matches_schema(&run, "run");
    assert_eq!(run["tags"], serde_json::json!([]), "bundle creates no tag");
    assert_eq!(run["artifacts"].as_array().map(Vec::len), Some(3));
    let full = files(&set);
    assert_eq!(repo.snapshot(), tree, "bundle changes no file of the repository");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");

    // The tag rebuilds exactly the sdists, wheels and notes the release delivered.
    for f in DISTS.iter().copied().chain(["RELEASE_NOTES.md"]) {
        assert!(full.get(f) == released.get(f), "{f} differs from the release's");
    }
    let mut expected: Vec<String> = [LINUX, WINDOWS, SOURCES]
        .iter()
        .flat_map(|a| [a.to_string(), format!("{a}.sha256")])
        .chain(DISTS.iter().map(|d| d.to_string()))
        .chain(["RELEASE_NOTES.md".into(), "SHA256SUMS".into()])
        .collect();
    expected.sort();
    assert_eq!(full.keys().cloned().collect::<Vec<_>>(), expected);
    assert!(
        full["RELEASE_NOTES.md"]
            .windows(b"## acme-plugin-base 1.5.0".len())
            .any(|w| w == b"## acme-plugin-base 1.5.0"),
        "the notes are the changelog sections of the release"
    );

    // A second bundle never overwrites a release artifact.
    let again = repo.xtask(&["bundle", "--platform", "linux"]);
    again.assert_code(3);
    assert!(
        again.stderr.contains(LINUX) && again.stderr.contains("already"),
        "{}",
        again.stderr
    );

    // Merged, the parts are the full run's archives, byte for byte.
    fs::remove_dir_all(&dist).unwrap();
    let (linux, windows) = (parts.path().join("linux"), parts.path().join("windows"));
    repo.xtask(&["merge", &linux.to_string_lossy(), &windows.to_string_lossy()])
        .assert_code(0);
    let merged = files(&set);
    for (name, bytes) in &merged {
        assert!(full.get(name) == Some(bytes), "{name} differs from the full run's");
    }
    assert!(!merged.keys().any(|f| f.ends_with(".whl")), "merge takes archives only");
    let archives: Vec<String> = [LINUX, WINDOWS, SOURCES]
        .iter()
        .map(|a| set.join(a).to_string_lossy().into_owned())
        .collect();
    let mut verify = vec!["verify"];
    verify.extend(archives.iter().map(String::as_str));
    repo.xtask(&verify).assert_code(0);

    // publish takes the released plugins' files out of the bundles, copies everything to the
    // release folder and uploads.
    let dry = repo.xtask_with(&["publish", "--dry-run"], creds);
    dry.assert_code(0);
    assert!(
        dry.stdout
            .contains("take acme_plugin_base-1.5.0.tar.gz out of dist/acme-plugins-1.5.0/acme-plugins-1.5.0-sources.tar.bz2")
            && dry
                .stdout
                .contains("take acme_plugin_base-1.5.0-py3-none-any.whl out of dist/acme-plugins-1.5.0/acme-plugins-1.5.0-linux.tar.bz2"),
        "{}",
        dry.stdout
    );
    assert_eq!(files(&set), merged, "a dry run writes nothing");
    assert!(server.files().is_empty());

    let run = repo.xtask_with(&["publish"], creds);
    run.assert_code(0);
    let published = files(&set);
    for f in DISTS {
        assert!(published.get(*f) == released.get(*f), "{f}: not the release's bytes");
    }
    assert_eq!(files(release_dir.path()), published, "the release folder holds the set");
    let mut uploaded: Vec<String> = DISTS.iter().map(|d| d.to_string()).collect();
    uploaded.sort();
    assert_eq!(server.files(), uploaded);
    // Again: nothing new, nothing refused (the index has the same files).
    let again = repo.xtask_with(&["publish"], creds);
    again.assert_code(0);
    assert!(
        again.stderr.contains("already on the index (same sha256), skipped"),
        "{}",
        again.stderr
    );
    assert_eq!(server.files(), uploaded);
    for r in [&dry, &run, &again] {
        assert!(
            !r.stdout.contains(PASSWORD) && !r.stderr.contains(PASSWORD),
            "the password leaked"
        );
    }

    // A damaged archive, or another commit, is refused before anything is sent.
    let mut bytes = fs::read(set.join(WINDOWS)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(set.join(WINDOWS), &bytes).unwrap();
    let damaged = repo.xtask_with(&["publish"], creds);
    damaged.assert_code(3);
    assert!(
        damaged
            .stderr
            .contains(&format!("dist/acme-plugins-1.5.0/{WINDOWS}: sha256 is")),
        "{}",
        damaged.stderr
    );
    fs::write(set.join(WINDOWS), &merged[WINDOWS]).unwrap();
    repo.write("NEWS", "after the release\n");
    repo.commit("after the release");
    let moved = repo.xtask_with(&["publish"], creds);
    moved.assert_code(3);
    assert!(moved.stderr.contains("carries no release tag"), "{}", moved.stderr);
    assert!(
        moved
            .stderr
            .contains("publish from the commit the bundles were built from"),
        "{}",
        moved.stderr
    );
}
