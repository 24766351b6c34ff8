#!/usr/bin/env bash
# Install what `cargo xtask` and its tests need on a fresh Debian/Ubuntu machine:
# git, gpg, strace (tests), and Python 3.9+ with pip and venv. Rust (cargo) must already be installed (rustup).
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
if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is missing: install Rust with rustup (https://rustup.rs)" >&2
    exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
    echo "prerequisites present: $(git --version), $(python3 --version), $(cargo --version)"
    exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
    echo "missing: ${missing[*]}; install them with your package manager (as root: apt-get install ${missing[*]})" >&2
    exit 1
fi
