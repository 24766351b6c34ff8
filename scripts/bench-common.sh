# Shared by the benchmark scripts (sourced, from the repository root): a realistic public
# dependency set, downloaded from PyPI once into target/bench/mirror-<set>, served on
# 127.0.0.1 so that runs compare and need no network. BENCH_SET=default (Twisted, SQLAlchemy,
# pydantic, requests, rich, cryptography, ...: 45 wheels per platform) or BENCH_SET=large
# (that plus the scientific, web and tooling stacks: 140+ wheels per platform). The mirror
# sends no cache headers (no Cache-Control, no Last-Modified), as internal mirrors and
# proxies often do, so pip's and uv's HTTP caches cannot help; MIRROR_CACHE=pypi serves it
# with PyPI's cache lifetime instead (max-age=600). Sets reqs, extra (the large set's
# additions), mirror, port and server (the server's pid).
root=$(pwd)
reqs=("twisted>=24" "sqlalchemy>=2" "pydantic>=2.5,<2.10" "requests" "click>=8" "rich>=13"
      "jinja2" "pyyaml" "attrs" "python-dateutil" "cryptography" "colorama; sys_platform == 'win32'"
      "uvloop; sys_platform != 'win32'" "httpx" "packaging" "pluggy>=1.3"
      "tabulate>=0.9" "ptyprocess>=0.7; sys_platform != 'win32'")
extra=()
set_name=${BENCH_SET:-default}
case "$set_name" in
    default) ;;
    large) extra=("boto3" "pandas" "scipy" "matplotlib" "scikit-learn" "fastapi" "uvicorn" "django"
                  "flask" "celery" "aiohttp" "sphinx" "pytest" "grpcio" "openpyxl" "lxml" "pillow"
                  "redis" "alembic" "paramiko" "networkx" "sympy" "ipython" "pyarrow" "tqdm" "black"
                  "mypy" "typer" "marshmallow" "jsonschema" "pyzmq" "tornado" "google-auth"
                  "gunicorn; sys_platform != 'win32'" "pywin32; sys_platform == 'win32'") ;;
    *) echo "BENCH_SET must be default or large, not $set_name" >&2; exit 2 ;;
esac
reqs+=("${extra[@]}")
mirror="$root/target/bench/mirror-$set_name"
tools=(pip==26.3 build==1.6.1 setuptools==84.2.1 wheel==0.48.0 uv==0.13.8 "setuptools>=69" "setuptools>=40.8.0")

if [ ! -f "$mirror/.ready" ]; then
    echo "==> one-time download of the dependency set for linux and windows into $mirror"
    rm -rf "$mirror" && mkdir -p "$mirror/files"
    dl() { env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null python3 -m pip download -q --dest "$mirror/files" "$@"; }
    # pip evaluates markers for this host even with --platform, so each target's set is
    # resolved by uv for that target first (every 3.11.x, Windows-only dependencies), then
    # fetched pin by pin.
    python3 -m venv "$mirror/uv-venv" && "$mirror/uv-venv/bin/pip" install -q uv==0.13.8
    printf '%s\n' "${reqs[@]}" >"$mirror/reqs.in"
    pins() { # TRIPLE OUT
        UV_NO_CONFIG=1 "$mirror/uv-venv/bin/uv" pip compile -q --python-platform "$1" --python-version 3.11 \
            --only-binary :all: --no-header --no-annotate -o "$2" "$mirror/reqs.in"
    }
    pins x86_64-manylinux_2_28 "$mirror/linux.txt"
    pins x86_64-pc-windows-msvc "$mirror/windows.txt"
    # Linux wheels for the manifest's tags (up to manylinux_2_28), not this host's newest.
    dl --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
       --platform linux_x86_64 --python-version 3.11 --implementation cp --abi cp311 --abi abi3 \
       --abi none -r "$mirror/linux.txt"
    dl --only-binary=:all: "${tools[@]}"
    dl --no-deps --only-binary=:all: --platform win_amd64 --python-version 3.11 --implementation cp \
       --abi cp311 --abi abi3 --abi none -r "$mirror/windows.txt"
    python3 - "$mirror" <<'PY'
import os, re, shutil, sys
mirror = sys.argv[1]
for f in os.listdir(f"{mirror}/files"):
    name = re.split(r"-\d", f, maxsplit=1)[0]
    project = re.sub(r"[-_.]+", "-", name).lower()
    os.makedirs(f"{mirror}/simple/{project}", exist_ok=True)
    shutil.copy(f"{mirror}/files/{f}", f"{mirror}/simple/{project}/{f}")
print(f"mirror: {len(os.listdir(mirror + '/simple'))} projects")
PY
    touch "$mirror/.ready"
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# No cache headers by default (see above); MIRROR_CACHE=pypi: PyPI's max-age=600.
python3 - "$port" "$mirror" "${MIRROR_CACHE:-none}" 2>/dev/null <<'PY' &
import functools, http.server, sys
pypi = sys.argv[3] == "pypi"
class Handler(http.server.SimpleHTTPRequestHandler):
    def send_header(self, key, value):
        if key.lower() != "last-modified" or pypi:
            super().send_header(key, value)
    def end_headers(self):
        if pypi:
            super().send_header("Cache-Control", "max-age=600, public")
        super().end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), functools.partial(Handler, directory=sys.argv[2]))
server.serve_forever()
PY
server=$!
