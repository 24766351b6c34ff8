# Shared by the benchmark scripts (sourced, from the repository root): a realistic public
# dependency set (Twisted, SQLAlchemy, pydantic, requests, rich, cryptography, ...: 43 wheels
# per platform), downloaded from PyPI once into target/bench/mirror, served on 127.0.0.1 with
# PyPI's cache lifetime so that runs compare and need no network. Sets reqs, mirror, port and
# server (the server's pid).
root=$(pwd)
reqs=("twisted>=24" "sqlalchemy>=2" "pydantic>=2.5,<2.10" "requests" "click>=8" "rich>=13"
      "jinja2" "pyyaml" "attrs" "python-dateutil" "cryptography" "colorama; sys_platform == 'win32'"
      "uvloop; sys_platform != 'win32'" "httpx" "packaging" "pluggy>=1.3"
      "tabulate>=0.9" "ptyprocess>=0.7; sys_platform != 'win32'")
mirror="$root/target/bench/mirror"
tools=(pip==26.3 build==1.6.1 setuptools==84.2.1 wheel==0.48.0 uv==0.13.8 "setuptools>=69" "setuptools>=40.8.0")

if [ ! -f "$mirror/.ready" ]; then
    echo "==> one-time download of the dependency set for linux and windows into $mirror"
    rm -rf "$mirror" && mkdir -p "$mirror/files"
    dl() { env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null python3 -m pip download -q --dest "$mirror/files" "$@"; }
    # Linux wheels for the manifest's tags (up to manylinux_2_28), not this host's newest.
    dl --only-binary=:all: --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
       --platform linux_x86_64 --python-version 3.11 --implementation cp --abi cp311 --abi abi3 \
       --abi none "${reqs[@]}" "${tools[@]}"
    # pip evaluates markers for this host even with --platform: give it the Windows set.
    win=(colorama); for r in "${reqs[@]}"; do [[ $r == *sys_platform* ]] || win+=("$r"); done
    dl --only-binary=:all: --platform win_amd64 --python-version 3.11 --implementation cp \
       --abi cp311 --abi abi3 --abi none "${win[@]}"
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
# The mirror is served with the cache lifetime PyPI gives its pages (max-age=600), so that a
# warm run is as warm as against the real index.
python3 - "$port" "$mirror" 2>/dev/null <<'PY' &
import functools, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("Cache-Control", "max-age=600, public")
        super().end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), functools.partial(Handler, directory=sys.argv[2]))
server.serve_forever()
PY
server=$!
