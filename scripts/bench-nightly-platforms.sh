#!/usr/bin/env bash
# Benchmark a two-platform nightly (Linux on this host, Windows by the download strategy) of
# the example plugins with a realistic public dependency set (Twisted, SQLAlchemy, pydantic,
# requests, rich, ...: 40-odd packages), served from a local mirror so that runs compare.
# Prints the Windows collection time over the Linux one, and, with BASELINE=<git rev>, the
# same nightly by the xtask of that revision (built in a worktree) side by side.
#
# The first run downloads the wheels for both platforms from the public index into
# target/bench/mirror-<set> (once); later runs need no network.
# Usage: scripts/bench-nightly-platforms.sh [RUNS]    (BASELINE=44746a1 to compare)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${1:-3}
. scripts/bench-common.sh
work=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$work"; git -C "$root" worktree remove --force "$work/baseline" 2>/dev/null || true' EXIT
sleep 1

# A fixture repository: the example plugins with the dependency set above.
repo="$work/repo"
mkdir -p "$repo" && cp -r plugins "$repo/"
quoted=$(printf '"%s", ' "${reqs[@]}" | sed 's/, $//')
sed -e "s|^requirements = .*|requirements = [$quoted]|" \
    -e "s|^\[public\]|[public]\nindex-url = \"http://127.0.0.1:$port/simple/\"|" release-config.toml > "$repo/release-config.toml"
printf '/target/\n/dist/\n' > "$repo/.gitignore"
git -C "$repo" init -q -b main && git -C "$repo" add -A
git -C "$repo" -c user.name=b -c user.email=b@example.com commit -qm fixture

cargo build --quiet --package xtask
binaries=("current=$root/target/debug/xtask")
if [ -n "${BASELINE:-}" ]; then
    git worktree add -q --detach "$work/baseline" "$BASELINE"
    (cd "$work/baseline" && CARGO_TARGET_DIR="$root/target/bench/baseline-target" cargo build --quiet --package xtask)
    binaries+=("baseline=$root/target/bench/baseline-target/debug/xtask")
fi

python3 - "$repo" "$runs" "${binaries[@]}" <<'PY'
import json, os, shutil, statistics, subprocess, sys, time
repo, runs, binaries = sys.argv[1], int(sys.argv[2]), [b.split("=", 1) for b in sys.argv[3:]]
env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
env.update(CARGO_TARGET_DIR=f"{repo}/target", SOURCE_DATE_EPOCH="1795255200")
results = {}
for label, binary in binaries:
    # A warm-up run creates the build-tools venv and fills pip's and uv's caches.
    for i in range(runs + 1):
        shutil.rmtree(f"{repo}/dist", ignore_errors=True)
        start = time.monotonic()
        out = subprocess.run([binary, "nightly", "--json", "--no-sources", "--build-number", str(i)],
                             cwd=repo, env=env, capture_output=True, text=True)
        total = time.monotonic() - start
        if out.returncode != 0:
            sys.exit(f"{label} nightly failed:\n{out.stderr[-3000:]}")
        if i == 0:
            continue
        timings = json.loads(out.stdout)["timings"]
        linux = sum(t["seconds"] for t in timings if t["step"] == "collect wheels for linux")
        windows = sum(t["seconds"] for t in timings
                      if t["step"] == "collect wheels for windows" or t["step"].startswith("resolve dependencies"))
        results.setdefault(label, []).append((total, linux, windows))
    wheels = sum(1 for f in subprocess.run(["tar", "tjf", next(f"{repo}/dist/{f}" for f in os.listdir(f"{repo}/dist") if f.endswith("linux.tar.bz2"))],
                                           capture_output=True, text=True).stdout.split() if f.endswith(".whl"))
    print(f"{label}: {wheels} wheels in the Linux bundle")
med = lambda xs: statistics.median(xs)
print(f"{'':10}{'nightly s':>11}{'linux s':>10}{'windows s':>11}{'windows/linux':>15}")
for label, rows in results.items():
    total, linux, windows = (med([r[i] for r in rows]) for i in range(3))
    print(f"{label:10}{total:11.1f}{linux:10.1f}{windows:11.1f}{windows / linux:15.2f}")
if "baseline" in results:
    ratio = med([r[0] for r in results["current"]]) / med([r[0] for r in results["baseline"]])
    print(f"whole nightly, current/baseline: {ratio:.2f}")
print(f"medians of {runs} run(s) after a warm-up, {os.cpu_count()} core(s)")
PY
