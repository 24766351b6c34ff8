#!/bin/sh
# Bring the release xtask into an existing repository of Python plugins, or update a copy
# brought in earlier.
#
#   scripts/adopt.sh TARGET_REPO            copy the xtask in, then run `cargo xtask init`
#   scripts/adopt.sh --update TARGET_REPO   replace TARGET_REPO/xtask with this version
#
# It copies xtask/ (with its tests, their fixture and its reference, xtask/docs/), creates
# Cargo.toml (a workspace with the xtask) or adds "xtask" to the members of an existing
# workspace, copies Cargo.lock when the repository has none, adds the `cargo xtask` alias to
# .cargo/config.toml, and adds line-ending attributes for the xtask's own install scripts only
# (never `*.ps1`, which would rewrite the repository's own scripts). It changes nothing else
# and commits nothing.
set -eu

fail() {
    echo "adopt.sh: $*" >&2
    exit 2
}

update=no
if [ "${1:-}" = "--update" ]; then
    update=yes
    shift
fi
[ $# -eq 1 ] || fail "usage: scripts/adopt.sh [--update] TARGET_REPO"
src=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$1" ] || fail "$1 is not a folder"
target=$(cd "$1" && pwd)
[ "$target" != "$src" ] || fail "TARGET_REPO is this repository"
git -C "$target" rev-parse --git-dir >/dev/null 2>&1 || fail "$target is not a git repository"
command -v python3 >/dev/null || fail "python3 is needed (the xtask needs it too)"

# xtask/: the code, its tests and their fixture (never build output).
if [ -e "$target/xtask" ] && [ "$update" = no ]; then
    fail "$target/xtask exists: to replace it with this version, run: scripts/adopt.sh --update $target"
fi
if [ "$update" = yes ]; then
    [ -f "$target/xtask/Cargo.toml" ] || fail "$target/xtask is not an adopted xtask; run without --update"
    rm -rf "$target/xtask"
fi
mkdir -p "$target/xtask"
(cd "$src" && git ls-files -z xtask) | (cd "$src" && xargs -0 tar cf -) | (cd "$target" && tar xf -)
echo "copied xtask/ ($(cd "$src" && git rev-parse --short HEAD))"

# Cargo.toml: this workspace, or "xtask" added to the repository's own.
if [ ! -f "$target/Cargo.toml" ]; then
    cp "$src/Cargo.toml" "$target/Cargo.toml"
    echo "created Cargo.toml (a workspace of the xtask)"
else
    python3 - "$target/Cargo.toml" "$src/Cargo.toml" <<'PY'
import re, sys
path, ours = sys.argv[1], sys.argv[2]
text = open(path).read()
try:
    import tomllib
    doc = tomllib.loads(text)
except ImportError:
    doc = None
members = (doc or {}).get("workspace", {}).get("members")
if members is not None and "xtask" in members:
    print("Cargo.toml already lists xtask")
    sys.exit(0)
if "[workspace]" in text:
    new, n = re.subn(r"(\[workspace\][^\[]*?members\s*=\s*\[)", r'\1"xtask", ', text, count=1, flags=re.S)
    if n == 0:
        new = text.replace("[workspace]", '[workspace]\nmembers = ["xtask"]', 1)
else:
    new = text.rstrip("\n") + '\n\n[workspace]\nmembers = [".", "xtask"]\n'
# The xtask's crate settings come from [workspace.package].
if "[workspace.package]" not in new:
    new = new.rstrip("\n") + '\n\n[workspace.package]\nedition = "2021"\nrust-version = "1.89"\n'
open(path, "w").write(new)
print("added xtask to the workspace in Cargo.toml")
PY
fi
if [ ! -f "$target/Cargo.lock" ]; then
    cp "$src/Cargo.lock" "$target/Cargo.lock"
    echo "copied Cargo.lock"
fi

# The `cargo xtask` alias.
mkdir -p "$target/.cargo"
config="$target/.cargo/config.toml"
if [ ! -f "$config" ]; then
    cp "$src/.cargo/config.toml" "$config"
    echo "created .cargo/config.toml (the cargo xtask alias)"
elif ! grep -q '^xtask *=' "$config"; then
    if grep -q '^\[alias\]' "$config"; then
        python3 - "$config" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read().replace("[alias]", '[alias]\nxtask = "run --package xtask --"', 1)
open(path, "w").write(text)
PY
    else
        printf '\n[alias]\nxtask = "run --package xtask --"\n' >>"$config"
    fi
    echo "added the cargo xtask alias to .cargo/config.toml"
fi

# Line endings of the xtask's own install scripts only.
attributes="$target/.gitattributes"
for line in "xtask/src/steps/install.sh text eol=lf" "xtask/src/steps/install.ps1 text eol=crlf"; do
    if ! { [ -f "$attributes" ] && grep -qxF "$line" "$attributes"; }; then
        printf '%s\n' "$line" >>"$attributes"
    fi
done

# Build output stays out of git.
ignore="$target/.gitignore"
for line in "/target/" "/dist/"; do
    if ! { [ -f "$ignore" ] && grep -qxF "$line" "$ignore"; }; then
        printf '%s\n' "$line" >>"$ignore"
    fi
done

if [ "$update" = yes ]; then
    echo "updated. Next: cargo xtask plan, then commit xtask/"
    exit 0
fi
if [ -f "$target/release-config.toml" ]; then
    echo "release-config.toml exists: init skipped"
else
    (cd "$target" && cargo xtask init)
fi
cat <<EOF

Next, in $target:
  review release-config.toml (lines marked CHECK)
  git add xtask Cargo.toml Cargo.lock .cargo .gitattributes .gitignore release-config.toml
  git commit -m "Release automation: cargo xtask"
  cargo xtask plan          # what a nightly would build
  cargo xtask status        # where each plugin stands since its last release
  cargo xtask nightly       # the bundles, into dist/
Reference: $target/xtask/docs/ (commands.md, manifest.md)
Update later with: $src/scripts/adopt.sh --update $target
EOF
