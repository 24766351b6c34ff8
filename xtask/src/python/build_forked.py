"""`python -m build` for a batch of plugins, each hook of a build run in a child forked from a
process that imported the backend instead of a new interpreter:
`python -c BUILD_FORKED --batch JOBS.json` (JOBS.json: `jobs`, how many builds run at once;
`builds`, each a `source` folder, an `outdir`, a `log` file for its output and an `env` to
build with; `results`, where the exit code and seconds of each build are written as JSON;
`learned`, a file of modules to import before forking, kept from earlier batches).

What `build` does is unchanged (its own command line, checks, sdist then wheel from the
sdist); only where it runs differs. This process imports `build` once and forks a child per
build, which runs `python -m build --no-isolation --outdir OUTDIR SOURCE` with its output in its
log. That child imports the plugin's build backend once (unless the project brings its own,
`backend-path`; the batch process does it when every build of the batch has the same backend)
and forks a child per hook, which runs pyproject_hooks' `_in_process.py` as a new interpreter
would: same arguments, working folder, environment and first `sys.path` entry, the backend not
yet called. Modules a hook imported from the build-tools venv or the standard library (never
from a project, nor a name a project's folder holds) are imported before the next fork too, so
later hooks and builds find them loaded; they are kept in `learned` for the next batch.
Where there is no `fork` (Windows, macOS), or when a process has other threads by then, builds
and hooks run in new interpreters as usual.
"""
import importlib
import json
import os
import runpy
import subprocess
import sys
import sysconfig
import time
import traceback

# What a new interpreter's first `sys.path` entry is here (its script's folder there); entries
# a backend adds on import (poetry-core puts its vendored packages first) stay where they are.
FIRST_PATH = sys.path[0]
# pyproject_hooks' own runner (a new interpreter per hook), for when forking is not safe.
NEW_INTERPRETER = None
# Where the modules worth importing ahead live: the build-tools venv and the standard library.
LIBRARY_DIRS = tuple(
    os.path.join(os.path.realpath(p), "")
    for p in {sysconfig.get_paths()[k] for k in ("purelib", "platlib", "stdlib", "platstdlib")}
)
# The project being built (a child's), whose own modules are never imported ahead.
PROJECT = None
# Modules the hooks of this process's build imported, in the order they did.
LEARNED = []


def single_threaded():
    """Forking a process with other threads (a backend that started one on import, natively
    or not) can leave the child waiting forever on a lock one of them held."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        import threading

        return threading.active_count() == 1


def library_modules(names):
    """Of `names`, those loaded here from a file of the venv or the standard library."""
    found = []
    for name in names:
        path = getattr(sys.modules.get(name), "__file__", None)
        if path and os.path.realpath(path).startswith(LIBRARY_DIRS):
            found.append(name)
    return found


def shadowed(name, folders):
    """Whether a project folder holds a module or package of `name`'s top level: a hook that
    puts the folder on `sys.path` must find that one, not one imported ahead."""
    top = name.partition(".")[0]
    return any(
        os.path.exists(os.path.join(folder, top + ext)) for folder in folders for ext in (".py", "", ".pyc")
    )


def import_ahead(names, folders):
    """Import `names` (in their order) here, so that forked children find them loaded; a name
    that fails to import is left to whoever needs it."""
    for name in names:
        if name in sys.modules or shadowed(name, folders):
            continue
        try:
            importlib.import_module(name)
        except Exception:
            pass


def run_as_interpreter(body, on_exit):
    """In a forked child: `body()` as an interpreter runs a program, then `on_exit()`; exits
    with the code an interpreter would (a `SystemExit` number; another `SystemExit` value is
    printed, `raise SystemExit("message")` in a setup.py, and exits 1; an exception's
    traceback is printed and exits 1). Never returns."""
    code = 1
    try:
        body()
        code = 0
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            code = e.code or 0
        else:
            print(e.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            on_exit()
        finally:
            os._exit(code)


def forked_runner(cmd, cwd=None, extra_environ=None):
    if not single_threaded():
        return NEW_INTERPRETER(cmd, cwd=cwd, extra_environ=extra_environ)
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        before = set(sys.modules)

        def hook():
            if cwd:
                os.chdir(cwd)
            os.environ.update(extra_environ or {})
            sys.argv = list(cmd[1:])
            script_dir = os.path.dirname(os.path.abspath(cmd[1]))
            if FIRST_PATH in sys.path:
                sys.path[sys.path.index(FIRST_PATH)] = script_dir
            else:
                sys.path.insert(0, script_dir)
            runpy.run_path(cmd[1], run_name="__main__")

        def tell_learned():
            new = [n for n in sys.modules if n not in before]
            os.write(write_end, "\n".join(library_modules(new)).encode())

        run_as_interpreter(hook, tell_learned)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as learned:
        names = learned.read().decode().split()
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise subprocess.CalledProcessError(code, cmd)
    fresh = [n for n in names if n not in LEARNED]
    LEARNED.extend(fresh)
    import_ahead(fresh, [PROJECT, cwd] if cwd else [PROJECT])


def backend_of(srcdir):
    """The module of the project's build backend; None for one the project brings itself
    (`backend-path`, imported by the hook from the project's folder) or where Python cannot
    read pyproject.toml (< 3.11: the hooks import it themselves)."""
    try:
        import tomllib
    except ImportError:
        return None
    try:
        with open(os.path.join(srcdir, "pyproject.toml"), "rb") as f:
            system = tomllib.load(f).get("build-system", {})
    except (OSError, ValueError):
        system = {}
    if system.get("backend-path"):
        return None
    return system.get("build-backend", "setuptools.build_meta:__legacy__").partition(":")[0]


def preimport(module):
    """Import a build backend here, so that every forked hook finds it loaded."""
    if module:
        try:
            importlib.import_module(module)
        except Exception:
            pass  # the hook reports it, as it would without this


def build_argv(build):
    return ["--no-isolation", "--outdir", build["outdir"], build["source"]]


def build_in_child(build, backend, ahead):
    """In a forked child: `python -m build` of one plugin, its output in its log, `backend`
    and the modules `ahead` imported first (None, []: the batch process did, or the hooks
    will); exits."""

    def build_one():
        global PROJECT
        fd = os.open(build["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        os.environ.update(build["env"])
        PROJECT = build["source"]
        preimport(backend)
        import_ahead(ahead, [PROJECT])
        sys.argv = ["python -m build", *build_argv(build)]
        runpy.run_module("build", run_name="__main__", alter_sys=True)

    def keep_learned():
        with open(build["log"] + ".modules", "w") as f:
            f.write("\n".join(LEARNED))

    run_as_interpreter(build_one, keep_learned)


def in_interpreters(builds, which, results, at_once):
    """`python -m build` of `builds[i]` for each i of `which` in a new interpreter, at most
    `at_once` at a time (where this process cannot fork)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(i):
        started = time.monotonic()
        with open(builds[i]["log"], "wb") as log:
            env = dict(os.environ, **builds[i]["env"])
            argv = [sys.executable, "-m", "build", *build_argv(builds[i])]
            code = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
        results[i] = {"code": code, "seconds": time.monotonic() - started}

    with ThreadPoolExecutor(max_workers=at_once) as pool:
        list(pool.map(one, which))


def batch(jobs_file):
    with open(jobs_file) as f:
        jobs = json.load(f)
    builds, at_once = jobs["builds"], max(1, jobs["jobs"])
    sources = [b["source"] for b in builds]
    backends = [backend_of(s) for s in sources]
    results = [None] * len(builds)
    # Per backend, the modules its hooks imported, in order.
    learned = read_learned(jobs.get("learned"))
    kept = json.dumps(learned, sort_keys=True)
    forking = sys.platform == "linux" and hasattr(os, "fork")
    # The backend every build of the batch has, imported here once.
    shared = None
    if forking:
        import pyproject_hooks

        global NEW_INTERPRETER
        NEW_INTERPRETER = pyproject_hooks.default_subprocess_runner
        pyproject_hooks.default_subprocess_runner = forked_runner
        import build.__main__  # noqa: F401  (each child runs it as `python -m build`)

        if len(set(backends)) == 1 and backends[0]:
            shared = backends[0]
            preimport(shared)
            import_ahead(learned.get(shared, []), sources)
    running = {}

    def reap():
        while True:  # a build's, not a process some module imported ahead may have started
            pid, status = os.wait()
            if pid in running:
                break
        i, started = running.pop(pid)
        results[i] = {"code": os.waitstatus_to_exitcode(status), "seconds": time.monotonic() - started}
        names = read_lines(builds[i]["log"] + ".modules")
        remove(builds[i]["log"] + ".modules")
        if backends[i]:
            known = learned.setdefault(backends[i], [])
            fresh = [n for n in names if n not in known]
            known.extend(fresh)
            if backends[i] == shared:
                import_ahead(fresh, sources)

    for i, build in enumerate(builds):
        if not (forking and single_threaded()):
            while running:
                reap()
            in_interpreters(builds, range(i, len(builds)), results, at_once)
            break
        while len(running) >= at_once:
            reap()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            own = backends[i] if backends[i] != shared else None
            build_in_child(build, own, learned.get(own, []) if own else [])
        running[pid] = (i, time.monotonic())
    while running:
        reap()
    write_atomically(jobs["results"], json.dumps(results))
    if jobs.get("learned") and json.dumps(learned, sort_keys=True) != kept:
        write_atomically(jobs["learned"], json.dumps(learned, indent=1, sort_keys=True))


def read_learned(path):
    try:
        with open(path) as f:
            found = json.load(f)
    except (OSError, TypeError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: [n for n in v if isinstance(n, str)] for k, v in found.items() if isinstance(v, list)}


def read_lines(path):
    try:
        with open(path) as f:
            return f.read().split()
    except (OSError, TypeError):
        return []


def remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def write_atomically(path, text):
    """`path` holds `text` or what it held: runs sharing the build-tools venv may write at once."""
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w") as f:
        f.write(text)
    os.replace(temporary, path)


if sys.argv[1:2] == ["--batch"] and len(sys.argv) == 3:
    try:
        batch(sys.argv[2])
    except KeyboardInterrupt:
        sys.exit(130)  # Ctrl-C: the run says so
else:
    sys.exit("usage: python -c BUILD_FORKED --batch JOBS.json")
