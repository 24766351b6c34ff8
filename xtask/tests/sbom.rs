//! What every bundle says of itself in standard formats: the bill of materials `sbom.cdx.json`
//! (CycloneDX 1.6 JSON), validated
//! against the CycloneDX schema by cyclonedx-python-lib's strict validator, declared in
//! `manifest.json`, and checked by `verify` (a tampered SBOM is refused).

mod common;

use common::*;

/// cyclonedx-python-lib with its JSON schema validation, from PyPI once and cached.
const CYCLONEDX: &[&str] = &["cyclonedx-python-lib[json-validation]==11.12.0"];

const VALIDATE: &str = "import sys\n\
from cyclonedx.schema import SchemaVersion\n\
from cyclonedx.validation.json import JsonStrictValidator\n\
error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\n\
print(error or 'valid')\n\
sys.exit(1 if error else 0)\n";

#[test]
fn every_bundle_carries_a_cyclonedx_sbom_that_verify_checks() {
    let repo = Repo::examples();
    repo.nightly_linux().assert_code(0);
    let (_unpacked, top) = repo.unpack_linux_bundle();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(top.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["sbom"], "sbom.cdx.json");
    assert!(
        manifest["support"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["file"] == "sbom.cdx.json"),
        "{manifest:#}"
    );

    // Valid CycloneDX 1.6, as its own validator says.
    let python = tool_venv("cyclonedx-venv", CYCLONEDX);
    let out = run_ok(
        std::process::Command::new(&python)
            .args(["-c", VALIDATE])
            .arg(top.join("sbom.cdx.json")),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "valid");

    // Every file of the bundle under its purl with its sha256; licenses; dependency edges.
    let sbom: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(top.join("sbom.cdx.json")).unwrap()).unwrap();
    let components = sbom["components"].as_array().unwrap();
    let component = |purl: &str| {
        components
            .iter()
            .find(|c| c["purl"] == purl)
            .unwrap_or_else(|| panic!("{purl} in {sbom:#}"))
    };
    for f in manifest["files"].as_array().unwrap() {
        let purl = format!(
            "pkg:pypi/{}@{}",
            f["name"].as_str().unwrap(),
            f["version"].as_str().unwrap()
        );
        let hashes: Vec<&str> = component(&purl)["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["content"].as_str().unwrap())
            .collect();
        assert!(hashes.contains(&f["sha256"].as_str().unwrap()), "{purl}: {hashes:?}");
    }
    assert_eq!(
        components.len(),
        manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["name"].as_str(), f["version"].as_str()))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    let reports = format!("pkg:pypi/acme-plugin-reports@{NIGHTLY}");
    let edges = sbom["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == reports.as_str())
        .expect("the edges of acme-plugin-reports");
    let depends: Vec<&str> = edges["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert!(
        depends.iter().any(|d| d.starts_with("pkg:pypi/tabulate@"))
            && depends.contains(&format!("pkg:pypi/acme-plugin-base@{NIGHTLY}").as_str()),
        "{depends:?}"
    );
    assert_eq!(sbom["metadata"]["component"]["name"], "acme-plugins");
    assert_eq!(sbom["metadata"]["timestamp"], "2026-11-21T10:00:00Z");
    assert_eq!(
        component(&reports)["licenses"],
        serde_json::json!([{"expression": "MIT"}])
    );

    // verify checks it; a tampered SBOM (its manifest.json hash made to agree) is refused.
    repo.xtask(&["verify", &top.to_string_lossy()]).assert_code(0);
    let text = std::fs::read_to_string(top.join("sbom.cdx.json")).unwrap();
    let tabulate = component_hash(&sbom, "tabulate");
    let forged = text.replace(&tabulate, &"0".repeat(64)).replacen(
        "\"dependsOn\": [\n",
        "\"dependsOn\": [\n        \"pkg:pypi/ghost@1.0\",\n",
        1,
    );
    std::fs::write(top.join("sbom.cdx.json"), &forged).unwrap();
    let listed = std::fs::read_to_string(top.join("manifest.json")).unwrap();
    let old_hash = sha256_hex(text.as_bytes());
    let listed = listed.replace(&old_hash, &sha256_hex(forged.as_bytes())).replace(
        &format!("\"size\": {}", text.len()),
        &format!("\"size\": {}", forged.len()),
    );
    std::fs::write(top.join("manifest.json"), listed).unwrap();
    let run = repo.xtask(&["verify", &top.to_string_lossy()]);
    run.assert_code(1);
    for expected in [
        "sbom.cdx.json: pkg:pypi/tabulate@0.9.0 lacks the sha256 of tabulate-0.9.0-py3-none-any.whl",
        "sbom.cdx.json: a dependency names \"pkg:pypi/ghost@1.0\", which is no component of it",
    ] {
        assert!(run.stderr.contains(expected), "{expected:?} in\n{}", run.stderr);
    }
}

/// The first sha256 of the component named `name`.
fn component_hash(sbom: &serde_json::Value, name: &str) -> String {
    sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["hashes"][0]["content"].as_str())
        .unwrap()
        .to_string()
}

#[test]
fn every_bundle_carries_a_pylock_that_installs_with_the_network_closed() {
    let repo = Repo::examples();
    repo.nightly_linux().assert_code(0);
    let (_unpacked, top) = repo.unpack_linux_bundle();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(top.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["pylock"], "pylock.toml");
    let lock = std::fs::read_to_string(top.join("pylock.toml")).unwrap();
    assert!(
        lock.contains("lock-version = \"1.0\"\ncreated-by = \"xtask\"\nrequires-python = \"==3.11.*\"\n"),
        "{lock}"
    );
    // Every file of the bundle, by path and sha256.
    for f in manifest["files"].as_array().unwrap() {
        let entry = format!(
            "{{ name = \"{0}\", path = \"{0}\", hashes = {{ sha256 = \"{1}\" }} }}",
            f["file"].as_str().unwrap(),
            f["sha256"].as_str().unwrap()
        );
        assert!(lock.contains(&entry), "{entry} in\n{lock}");
    }

    // uv and pip install from it with no network (a network namespace of its own).
    let uv = uv_binary();
    for (installer, venv) in [("uv", "uv-venv"), ("pip", "pip-venv")] {
        let venv = top.parent().unwrap().join(venv);
        run_ok(std::process::Command::new(python()).args(["-m", "venv"]).arg(&venv));
        // pip 26.3 reads pylock.toml (experimental there); the venv's own pip may be older.
        run_ok(clean_pip(
            std::process::Command::new(venv.join("bin/python"))
                .args(["-m", "pip", "install", "--quiet", "--no-index", "--find-links"])
                .arg(tool_wheels())
                .arg("pip==26.3"),
        ));
        let mut install = std::process::Command::new("unshare");
        install.arg("-rn").current_dir(&top);
        match installer {
            "uv" => install
                .arg(&uv)
                .args(["pip", "install", "--offline", "--python"])
                .arg(venv.join("bin/python"))
                .args(["-r", "pylock.toml"]),
            _ => clean_pip(install.arg(venv.join("bin/python")).args([
                "-m",
                "pip",
                "install",
                "--no-index",
                "-r",
                "pylock.toml",
            ])),
        };
        run_ok(install.env_remove("UV_INDEX_URL").env("UV_NO_CACHE", "1"));
        let imported = run_ok(std::process::Command::new(venv.join("bin/python")).args([
            "-c",
            "import acme_plugin_reports, importlib.metadata as m; \
             print(m.version('acme-plugin-reports'), m.version('tabulate'))",
        ]));
        assert_eq!(
            String::from_utf8_lossy(&imported.stdout).trim(),
            format!("{NIGHTLY} 0.9.0"),
            "{installer}"
        );
    }

    // verify checks it: a lock naming a file the bundle lacks is refused.
    repo.xtask(&["verify", &top.to_string_lossy()]).assert_code(0);
    // A marker that would make installers skip tabulate, and a package the bundle lacks.
    let forged = lock.replace("name = \"tabulate\"\n", "name = \"tabulate\"\nmarker = \"sys_platform == 'win32'\"\n") + "\n[[packages]]\nname = \"evil\"\nversion = \"1.0\"\nwheels = [\n    { name = \"evil-1.0-py3-none-any.whl\", path = \"evil-1.0-py3-none-any.whl\", hashes = { sha256 = \"00\" } },\n]\n";
    std::fs::write(top.join("pylock.toml"), &forged).unwrap();
    let listed = std::fs::read_to_string(top.join("manifest.json")).unwrap();
    let listed = listed
        .replace(&sha256_hex(lock.as_bytes()), &sha256_hex(forged.as_bytes()))
        .replace(
            &format!("\"size\": {}", lock.len()),
            &format!("\"size\": {}", forged.len()),
        );
    std::fs::write(top.join("manifest.json"), listed).unwrap();
    let run = repo.xtask(&["verify", &top.to_string_lossy()]);
    run.assert_code(1);
    for expected in [
        "pylock.toml: locks \"evil-1.0-py3-none-any.whl\", which is not a file of the bundle",
        "pylock.toml: locks evil 1.0, which is not a package of the bundle",
        "pylock.toml: tabulate 0.9.0 has [\"marker\"]: a bundle's lock names its files only",
    ] {
        assert!(run.stderr.contains(expected), "{expected:?} in\n{}", run.stderr);
    }
}
