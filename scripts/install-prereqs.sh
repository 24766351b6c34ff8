#!/usr/bin/env bash
# Install what `cargo xtask` and its tests need on a fresh Debian/Ubuntu machine:
# git, gpg, strace (tests), Python 3.9+ with pip and venv, and for the tests that run the
# generated GitLab pipeline: Node.js with npm, rsync and gitlab-ci-local 4.60.0 (the last
# version that runs on Node 20). Rust (cargo) must already be installed (rustup).
# Safe to run again: it installs only what is missing. Elsewhere it prints what to install.
set -euo pipefail

missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v gpg >/dev/null 2>&1 || missing+=(gnupg)   # signing releases, and the tests
command -v strace >/dev/null 2>&1 || missing+=(strace) # the tests: no credential on any command line
if ! command -v python3 >/dev/null 2>&1; then
    missing+=(python3 python3-venv python3-pip)
else
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))' || { echo "python3 is older than 3.9: install a newer Python" >&2; exit 1; }
    python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
    python3 -c 'import pip' 2>/dev/null || missing+=(python3-pip)
fi
command -v rsync >/dev/null 2>&1 || missing+=(rsync)   # gitlab-ci-local's --shell-isolation
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is missing: install Rust with rustup (https://rustup.rs)" >&2
    exit 1
fi

if [ ${#missing[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "installing: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    else
        echo "missing: ${missing[*]}; install them with your package manager (as root: apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi

# gitlab-ci-local, pinned (newer versions need Node 22).
gitlab_ci_local=4.60.0
if [ "$(gitlab-ci-local --version 2>/dev/null)" != "$gitlab_ci_local" ]; then
    echo "installing gitlab-ci-local $gitlab_ci_local from the npm registry"
    npm install --global --no-fund --no-audit --loglevel=error "gitlab-ci-local@$gitlab_ci_local" || {
        echo "cannot install gitlab-ci-local: as root, or with a writable npm prefix, run: npm install --global gitlab-ci-local@$gitlab_ci_local" >&2
        exit 1
    }
fi
echo "prerequisites present: $(git --version), $(python3 --version), $(cargo --version), gitlab-ci-local $(gitlab-ci-local --version)"
