//! The bill of materials in every bundle: `sbom.cdx.json`, CycloneDX 1.6 JSON, validated
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
    let forged = text.replace(&tabulate, &"0".repeat(64));
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
    assert!(
        run.stderr
            .contains("sbom.cdx.json: pkg:pypi/tabulate@0.9.0 lacks the sha256 of tabulate-0.9.0-py3-none-any.whl"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
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

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
