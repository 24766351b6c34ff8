//! `cargo xtask merge`: bundles built one platform at a time (as on several CI machines)
//! join into exactly the set one full run writes; anything inconsistent is refused whole.

mod common;

use std::fs;
use std::process::Command;

use common::*;

#[test]
fn per_platform_bundles_merge_into_the_set_of_one_full_run() {
    let repo = Repo::examples();
    let dist = repo.path().join("dist");
    let parts = tempfile::tempdir().unwrap();
    // As the generated workflow does: one machine also writes the sources bundle.
    for (platform, options) in [("linux", &[][..]), ("windows", &["--no-sources"][..])] {
        let mut args = vec!["nightly", "--platform", platform, "--build-number", BUILD_NUMBER];
        args.extend(options);
        repo.xtask(&args).assert_code(0);
        fs::rename(&dist, parts.path().join(platform)).unwrap();
    }
    repo.xtask(&["nightly", "--build-number", BUILD_NUMBER]).assert_code(0);
    let set = format!("acme-plugins-{NIGHTLY}");
    assert_eq!(
        list_dir(&dist),
        std::slice::from_ref(&set),
        "the set in a folder of its own"
    );
    let full = files(&dist.join(&set));
    assert!(full.contains_key("SHA256SUMS") && full.len() == 7, "{:?}", full.keys());

    // The folders as the machines left them: the output folder (linux), the set in it (windows).
    let (linux, windows) = (parts.path().join("linux"), parts.path().join("windows").join(&set));
    // --no-sources: that machine wrote its platform's bundle only.
    let zip = format!("acme-plugins-{NIGHTLY}-windows.zip");
    assert_eq!(
        list_dir(&windows),
        ["SHA256SUMS".to_string(), zip.clone(), format!("{zip}.sha256")]
    );
    assert_eq!(
        fs::read_to_string(windows.join("SHA256SUMS")).unwrap().lines().count(),
        1
    );
    // Python's tarfile reads the multi-stream bzip2 bundle whole, as GNU tar does.
    let archive = linux.join(&set).join(format!("acme-plugins-{NIGHTLY}-linux.tar.bz2"));
    let names = |out: std::process::Output| String::from_utf8(out.stdout).unwrap().lines().count();
    let by_python = run_ok(
        Command::new(python())
            .arg("-c")
            .arg("import sys, tarfile\nfor n in tarfile.open(sys.argv[1], 'r:bz2').getnames(): print(n)")
            .arg(&archive),
    );
    let by_tar = run_ok(Command::new("tar").arg("tjf").arg(&archive));
    assert_eq!(names(by_python), names(by_tar));
    let merged = parts.path().join("merged");
    let run = repo.xtask(&[
        "merge",
        &linux.to_string_lossy(),
        &windows.to_string_lossy(),
        "--out",
        &merged.to_string_lossy(),
    ]);
    run.assert_code(0);
    assert_eq!(list_dir(&merged), std::slice::from_ref(&set));
    let merged = merged.join(&set);
    assert_eq!(
        files(&merged).keys().collect::<Vec<_>>(),
        full.keys().collect::<Vec<_>>()
    );
    assert!(files(&merged) == full, "the same bytes as the full run");
    assert!(run.stdout.contains("SHA256SUMS"), "{}", run.stdout);

    // A missing platform, and a bundle of another run, are refused and nothing is written.
    let elsewhere = parts.path().join("elsewhere");
    let run = repo.xtask(&["merge", &linux.to_string_lossy(), "--out", &elsewhere.to_string_lossy()]);
    run.assert_code(3);
    assert!(run.stderr.contains("no bundle for platform windows"), "{}", run.stderr);
    assert!(!elsewhere.exists());
    let run = repo.xtask(&[
        "merge",
        &windows.to_string_lossy(),
        "--out",
        &elsewhere.to_string_lossy(),
    ]);
    run.assert_code(3);
    assert!(
        run.stderr.contains("no bundle for platform linux")
            && run
                .stderr
                .contains("no bundle for the sources among the folders (or pass --no-sources)"),
        "{}",
        run.stderr
    );
    assert!(!elsewhere.exists());

    fs::remove_dir_all(&dist).unwrap();
    repo.xtask(&["nightly", "--platform", "windows", "--build-number", "8"])
        .assert_code(0);
    let run = repo.xtask(&[
        "merge",
        &linux.to_string_lossy(),
        &dist.to_string_lossy(),
        "--out",
        &elsewhere.to_string_lossy(),
    ]);
    run.assert_code(3);
    assert!(run.stderr.contains("merge bundles of one run"), "{}", run.stderr);
    assert!(!elsewhere.exists());

    // An archive damaged in transfer is named.
    let archive = list_dir(&windows)
        .into_iter()
        .find(|f| f.ends_with("-windows.zip"))
        .unwrap();
    let mut bytes = fs::read(windows.join(&archive)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    fs::write(windows.join(&archive), &bytes).unwrap();
    let run = repo.xtask(&[
        "merge",
        &linux.to_string_lossy(),
        &windows.to_string_lossy(),
        "--out",
        &elsewhere.to_string_lossy(),
    ]);
    run.assert_code(3);
    assert!(
        run.stderr.contains(&archive) && run.stderr.contains("damaged in transfer"),
        "{}",
        run.stderr
    );
    assert!(!elsewhere.exists());
}
