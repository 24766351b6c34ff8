#!/usr/bin/env bash
# Benchmark the bundle writer: pack the same wheelhouse (default 120 MB: already-compressed
# wheel-like data and source text, as in real bundles) with `tar cjf` and with
# `cargo xtask archive` (parallel bzip2), in the same run, and print time, peak memory and
# the ratios. Usage: scripts/bench-bundle.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-120}
cargo build --quiet --package xtask
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work/wheelhouse" "$size_mb" <<'PY'
import os, random, sys
out, size_mb = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
rng = random.Random(7)
words = [b"def", b"return", b"import", b"self", b"class", b"value", b"plugin", b"acme", b"None", b"for", b"in"]
written, n = 0, 0
while written < size_mb * 1024 * 1024:
    n += 1
    if n % 3:  # wheels: zip data, hardly compressible
        data = rng.randbytes(rng.randint(200_000, 3_000_000))
        name = f"package{n}-1.0-py3-none-any.whl"
    else:      # sdists and metadata: text
        data = b" ".join(rng.choice(words) for _ in range(rng.randint(50_000, 400_000)))
        name = f"package{n}-1.0.tar"
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    written += len(data)
print(f"wheelhouse: {n} files, {written / 1048576:.0f} MiB")
PY

python3 - "$work" <<'PY'
import os, subprocess, sys, time
work = sys.argv[1]
def measure(label, argv):
    start = time.monotonic()
    proc = subprocess.Popen(argv)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - start
    if status != 0:
        sys.exit(f"{label} failed")
    return elapsed, usage.ru_maxrss / 1024  # KiB -> MiB
tar_s, tar_mb = measure("tar cjf", ["tar", "cjf", f"{work}/tar.tar.bz2", "-C", work, "wheelhouse"])
x_s, x_mb = measure("xtask archive", ["target/debug/xtask", "archive", f"{work}/wheelhouse", f"{work}/xtask.tar.bz2"])
size = lambda p: os.path.getsize(p) / 1048576
print(f"{'':16}{'seconds':>10}{'peak MiB':>10}{'archive MiB':>13}")
print(f"{'tar cjf':16}{tar_s:10.1f}{tar_mb:10.1f}{size(f'{work}/tar.tar.bz2'):13.1f}")
print(f"{'xtask archive':16}{x_s:10.1f}{x_mb:10.1f}{size(f'{work}/xtask.tar.bz2'):13.1f}")
print(f"speed-up: {tar_s / x_s:.2f}x on {os.cpu_count()} core(s); peak memory ratio xtask/tar: {x_mb / tar_mb:.1f}")
PY
