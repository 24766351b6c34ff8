//! `cargo xtask completions SHELL`: a script that a real bash uses to complete commands and
//! options; it works outside any repository.

use std::process::Command;

/// Ask bash to complete `words` (the last one is being typed) with the generated script.
fn bash_completes(script: &str, words: &[&str]) -> String {
    let words_quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let n = words.len();
    let probe = format!(
        "source \"$1\"\nCOMP_WORDS=({})\nCOMP_CWORD={}\n_xtask xtask '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words_quoted.join(" "),
        n - 1,
        words[n - 1],
        words[n - 2],
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xtask.bash");
    std::fs::write(&path, script).unwrap();
    let out = Command::new("bash")
        .args(["-c", &probe, "bash"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn bash_completes_commands_and_options_from_the_generated_script() {
    let outside = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["completions", "bash"])
        .current_dir(outside.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let script = String::from_utf8(out.stdout).unwrap();
    assert!(
        script
            .lines()
            .any(|l| l.trim_start().starts_with("complete -F _xtask") && l.trim_end().ends_with(" xtask")),
        "registers for the command xtask:\n{script}"
    );

    assert_eq!(bash_completes(&script, &["xtask", "rel"]), "release\n");
    assert_eq!(bash_completes(&script, &["xtask", "nightly", "--pl"]), "--platform\n");
    assert_eq!(bash_completes(&script, &["xtask", "completions", "fi"]), "fish\n");

    let bad = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("possible values: bash, elvish, fish, powershell, zsh"));
}
