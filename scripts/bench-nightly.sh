#!/usr/bin/env bash
# Benchmark `cargo xtask nightly` against the hand-run procedure it replaces, in one run, on a
# fixture repository of 6 plugins whose dependencies are a real public set (BENCH_SET=default:
# 45 wheels per platform; BENCH_SET=large: 140+), served from a local mirror that sends no
# cache headers (scripts/bench-common.sh), so that runs compare and need no network after the
# first. The fixture commits its lock (`cargo xtask lock`), as a maintainer would.
#
# Prints seconds and the ratio to the seed-style procedure (Linux only: an sdist per plugin,
# `pip wheel --no-cache --find-links`, `tar cjf`) of:
#   cold      `nightly` of every platform (Linux, Windows by download) with an empty cache
#             (empty wheel store too)
#   no-change the same nightly again (same commit and build number): a CI retry
#   changed   the next nightly after a commit that changes one plugin (new build number, so
#             every plugin's version changes and every plugin is built; caches are warm)
# each the median of RUNS runs (default 3), each run in its own work folder;
# and packing the Linux bundle's folder with `cargo xtask archive`, `tar cjf` and, where
# installed, lbzip2. Targets: cold <= 0.5x seed, no-change <= 0.1x cold, changed <= 0.3x cold,
# archive <= 0.5x tar.
#
# Usage: [BENCH_SET=large] [MIRROR_CACHE=pypi] [RUNS=3] [BASELINE=<git rev>] scripts/bench-nightly.sh
#        (from anywhere; the first run of a set fills target/bench/mirror-<set>)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-common.sh
work=$(mktemp -d)
# BENCH_KEEP=1 keeps the fixture and its work folders (printed) for a closer look.
trap 'kill $server 2>/dev/null; git -C "$root" worktree remove --force "$work/baseline" 2>/dev/null || true
      if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi' EXIT
sleep 1
index="http://127.0.0.1:$port/simple/"
# No ambient pip settings (a machine's PIP_FIND_LINKS would skew what is downloaded).
for v in $(env | grep -o '^PIP_[A-Z_]*'); do unset "$v"; done
export PIP_DISABLE_PIP_VERSION_CHECK=1 SOURCE_DATE_EPOCH=1795255200
# The xtask gets the interpreter itself, as the seed procedure runs its venv's: through a
# launcher such as a pyenv shim, finding Python costs every run 0.1-0.2 s more.
XTASK_PYTHON=$(python3 -c 'import sys; print(sys.executable)')
export XTASK_PYTHON

# The fixture: 6 plugins in one lockstep group, each with package data and a share of the
# dependency set, committed.
repo="$work/repo"
names=(core api cli db web report)
deps=('"packaging", "pluggy>=1.3", "attrs"' '"pydantic>=2.5,<2.10", "httpx", "requests"'
      '"click>=8", "rich>=13", "tabulate>=0.9", "colorama; sys_platform == '"'"'win32'"'"'"'
      '"sqlalchemy>=2", "python-dateutil"' '"twisted>=24", "jinja2", "uvloop; sys_platform != '"'"'win32'"'"'", "cryptography"'
      '"pyyaml", "jinja2", "ptyprocess>=0.7; sys_platform != '"'"'win32'"'"'"')
for i in "${!names[@]}"; do
    n=${names[$i]}
    d="$repo/plugins/bench-plugin-$n"
    mkdir -p "$d/src/bench_plugin_$n/data"
    dep="${deps[$i]}"
    [ "$n" = core ] || dep="$dep, \"bench-plugin-core==1.0.0\""
    if [ "$n" = report ]; then
        for r in "${extra[@]}"; do dep="$dep, \"$r\""; done
    fi
    cat >"$d/pyproject.toml" <<EOF
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "bench-plugin-$n"
version = "1.0.0"
description = "Benchmark plugin $n"
license = "MIT"
requires-python = ">=3.9"
dependencies = [$dep]

[tool.setuptools.package-data]
"*" = ["data/*.json"]
EOF
    printf '__version__ = "1.0.0"\n' >"$d/src/bench_plugin_$n/__init__.py"
    for m in $(seq 1 20); do printf 'def f%s(x):\n    return x + %s\n' "$m" "$m" >"$d/src/bench_plugin_$n/m$m.py"; done
    printf '{"name": "%s"}\n' "$n" >"$d/src/bench_plugin_$n/data/plugin.json"
done
sed -n '/^\[platforms.linux\]/,$p' release-config.toml >"$work/platforms.toml"
cat >"$repo/release-config.toml" <<EOF
[release]
name = "bench-plugins"

[plugins]
paths = ["plugins/*"]

[groups]
core = [$(printf '"bench-plugin-%s", ' "${names[@]}" | sed 's/, $//')]

[public]
index-url = "$index"

$(cat "$work/platforms.toml")
EOF
printf '/target/\n/dist/\n*.egg-info/\nbuild/\n' >"$repo/.gitignore"
git -C "$repo" init -q -b main && git -C "$repo" add -A
git -C "$repo" -c user.name=b -c user.email=b@example.com commit -qm fixture

cargo build --quiet --package xtask
xtask="$root/target/debug/xtask"
ms() { date +%s%3N; }  # not python3: a pyenv shim's start-up (0.1 s) would count in every figure
declare -A took

# The seed-style procedure (Linux only), with pip and build from the mirror.
python3 -m venv "$work/seed-venv"
"$work/seed-venv/bin/pip" install -q --index-url "$index" pip==26.3 build==1.6.1
seed() {
    local s="$work/seed" py="$work/seed-venv/bin/python"
    rm -rf "$s" && mkdir -p "$s/sdists" "$s/linux"
    for d in "$repo"/plugins/*; do
        PIP_INDEX_URL="$index" "$py" -m build -q --sdist --outdir "$s/sdists" "$d" >/dev/null 2>&1
    done
    "$py" -m pip wheel -q --no-cache --index-url "$index" --find-links "$s/sdists" \
        --wheel-dir "$s/linux" $(printf 'bench-plugin-%s ' "${names[@]}")
    tar cjf "$s/plugin-linux.tar.bz2" -C "$s" linux
}
echo "==> seed-style procedure (Linux only)"
start=$(ms); seed; took[seed]=$(( $(ms) - start ))

# BASELINE=<git rev>: that revision's xtask (built in a worktree) runs every xtask figure too,
# in the same fixture, interleaved with this one's, and is printed side by side.
if [ -n "${BASELINE:-}" ]; then
    git worktree add -q --detach "$work/baseline" "$BASELINE"
    (cd "$work/baseline" && CARGO_TARGET_DIR="$root/target/bench/baseline-target" cargo build --quiet --package xtask)
    baseline="$root/target/bench/baseline-target/debug/xtask"
fi

# The xtask: a warm-up run makes the build-tools venv (kept by every later work folder).
nightly() { # [--baseline] TARGET BUILD_NUMBER: its --json report into $work/last.json
    local bin="$xtask"
    if [ "$1" = --baseline ]; then bin="$baseline"; shift; fi
    rm -rf "$repo/dist"
    (cd "$repo" && CARGO_TARGET_DIR="$1" "$bin" -q nightly --json --build-number "$2" >"$work/last.json")
}
echo "==> warm-up (the build-tools venv), then the lock, committed"
nightly "$work/t0" 0
(cd "$repo" && CARGO_TARGET_DIR="$work/t0" "$xtask" -q lock >/dev/null)
git -C "$repo" add locks && git -C "$repo" -c user.name=b -c user.email=b@example.com commit -qm "lock"
if [ -n "${baseline:-}" ]; then
    mkdir -p "$work/b0/xtask" && ln -s "$work/t0/xtask/tools" "$work/b0/xtask/tools"
    nightly --baseline "$work/b0" 0
fi
# Each xtask figure is the median of RUNS runs (default 3; the host may be noisy), each in its
# own work folder: cold, the same again, then the next after a change to one plugin.
runs=${RUNS:-3}
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
cold=() nochange=() changed=() bcold=() bnochange=() bchanged=()
for k in $(seq 1 "$runs"); do
    t="$work/t$k" b="$work/b$k"
    mkdir -p "$t/xtask" && ln -s "$work/t0/xtask/tools" "$t/xtask/tools"
    echo "==> run $k of $runs: cold nightly (every platform, empty cache), the same again, the next after a change"
    start=$(ms); nightly "$t" $((10 * k + 1)); cold+=($(( $(ms) - start )))
    [ "$k" = 1 ] && cp "$repo"/dist/*/*-linux.tar.bz2 "$work/linux.tar.bz2"
    start=$(ms); nightly "$t" $((10 * k + 1)); nochange+=($(( $(ms) - start )))
    cp "$work/last.json" "$work/nochange.json"
    if [ -n "${baseline:-}" ]; then
        mkdir -p "$b/xtask" && ln -s "$work/t0/xtask/tools" "$b/xtask/tools"
        start=$(ms); nightly --baseline "$b" $((10 * k + 1)); bcold+=($(( $(ms) - start )))
        start=$(ms); nightly --baseline "$b" $((10 * k + 1)); bnochange+=($(( $(ms) - start )))
    fi
    printf 'def g%s(x):\n    return x\n' "$k" >>"$repo/plugins/bench-plugin-cli/src/bench_plugin_cli/m1.py"
    git -C "$repo" -c user.name=b -c user.email=b@example.com commit -qam "cli: change $k"
    start=$(ms); nightly "$t" $((10 * k + 2)); changed+=($(( $(ms) - start )))
    cp "$work/last.json" "$work/changed.json"
    if [ -n "${baseline:-}" ]; then
        start=$(ms); nightly --baseline "$b" $((10 * k + 2)); bchanged+=($(( $(ms) - start )))
    fi
done
took[cold]=$(median "${cold[@]}") took[nochange]=$(median "${nochange[@]}") took[changed]=$(median "${changed[@]}")
wheels=$(tar tjf "$work/linux.tar.bz2" | grep -c '\.whl$')

# Packing the Linux bundle's folder.
mkdir -p "$work/pack" && tar xjf "$work/linux.tar.bz2" -C "$work/pack"
folder=$(ls "$work/pack")
size=$(du -sm "$work/pack/$folder" | cut -f1)
echo "==> packing $folder ($size MiB)"
start=$(ms); tar cjf "$work/tar.tar.bz2" -C "$work/pack" "$folder"; took[tar]=$(( $(ms) - start ))
start=$(ms); "$xtask" archive "$work/pack/$folder" "$work/xtask.tar.bz2" >/dev/null; took[archive]=$(( $(ms) - start ))
if command -v lbzip2 >/dev/null; then
    start=$(ms); tar -I lbzip2 -cf "$work/lbzip2.tar.bz2" -C "$work/pack" "$folder"; took[lbzip2]=$(( $(ms) - start ))
fi

python3 - "$work/nochange.json" "$work/changed.json" "$wheels" "$(nproc)" "${took[seed]}" "${took[cold]}" "${took[nochange]}" "${took[changed]}" \
    "${took[tar]}" "${took[archive]}" "${took[lbzip2]:-}" "${cold[*]}" "${nochange[*]}" "${changed[*]}" \
    "${BASELINE:-}" "${bcold[*]}" "${bnochange[*]}" "${bchanged[*]}" <<'PY'
import json, sys
report, changed_report, wheels, cores = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
seed, cold, nochange, changed, tar, archive = (int(a) / 1000 for a in sys.argv[5:11])
lbzip2 = int(sys.argv[11]) / 1000 if sys.argv[11] else None
each = [" ".join(f"{int(a) / 1000:.1f}" for a in arg.split()) for arg in sys.argv[12:15]]
print(f"\n6 plugins, {wheels} wheels in the Linux bundle, {cores} core(s), a committed lock")
print(f"xtask figures: the median of {len(sys.argv[12].split())} runs (each run's seconds on the right)\n")
print(f"{'':34}{'seconds':>9}{'x seed':>9}")
for label, s, runs in [("seed-style procedure (Linux)", seed, ""), ("nightly, cold (all platforms)", cold, each[0]),
                       ("nightly, no change", nochange, each[1]), ("nightly after a one-plugin change", changed, each[2])]:
    print(f"{label:34}{s:9.1f}{s / seed:9.2f}   {runs}")
for what, path in [("no change", report), ("one-plugin change", changed_report)]:
    slowest = sorted(json.load(open(path))["timings"], key=lambda t: -t["seconds"])[:4]
    print(f"  {what}, slowest steps: " + ", ".join(f"{t['step']} {t['seconds']:.2f} s" for t in slowest))
if sys.argv[15]:
    def med(arg):
        v = sorted(int(a) / 1000 for a in arg.split())
        return v[(len(v) - 1) // 2]
    bcold, bnochange, bchanged = (med(a) for a in sys.argv[16:19])
    print(f"\nbaseline {sys.argv[15]} (the same runs, interleaved)")
    print(f"{'':34}{'seconds':>9}{'x seed':>9}{'now/then':>10}")
    for label, s, now in [("nightly, cold (all platforms)", bcold, cold), ("nightly, no change", bnochange, nochange),
                          ("nightly after a one-plugin change", bchanged, changed)]:
        print(f"{label:34}{s:9.1f}{s / seed:9.2f}{now / s:10.2f}")
    print(f"{'baseline: no change / cold':34}{bnochange / bcold:18.2f}")
    print(f"{'baseline: changed / cold':34}{bchanged / bcold:18.2f}")
print(f"\n{'packing the Linux bundle':34}{'seconds':>9}{'x tar':>9}")
rows = [("tar cjf", tar), ("cargo xtask archive", archive)] + ([("tar -I lbzip2", lbzip2)] if lbzip2 else [])
for label, s in rows:
    print(f"{label:34}{s:9.1f}{s / tar:9.2f}")
print()
for what, value, target in [("cold / seed", cold / seed, 0.5), ("no change / cold", nochange / cold, 0.1),
                            ("changed / cold", changed / cold, 0.3), ("archive / tar cjf", archive / tar, 0.5)]:
    print(f"{what:20}{value:6.2f}  target <= {target}: {'met' if value <= target else 'NOT met'}")
if lbzip2:
    print(f"{'archive / lbzip2':20}{archive / lbzip2:6.2f}")
PY
