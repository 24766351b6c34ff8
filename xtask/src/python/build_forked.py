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
import sys

# Modules every interpreter has loaded before its program runs: never a difference between a
# forked child and a new interpreter.
AT_START = set(sys.modules)

import atexit  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import runpy  # noqa: E402
import subprocess  # noqa: E402
import sysconfig  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

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
# The file a build child creates when its build must be made again in a new interpreter.
RERUN = None


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
    puts the folder on `sys.path` must find that one, not one imported ahead. A folder without
    `__init__` (setuptools' `build/` output) is no such package: an installed one still wins."""
    import importlib.machinery

    top = name.partition(".")[0]
    suffixes = importlib.machinery.all_suffixes()
    return any(
        os.path.isfile(os.path.join(folder, top + suffix)) or os.path.isfile(os.path.join(folder, top, "__init__" + suffix))
        for folder in folders
        if folder
        for suffix in suffixes
    )


def loaded_elsewhere(names):
    """Of the top-level modules `names` (loaded here, from a file), those a new interpreter
    would find elsewhere on the `sys.path` this process has now: a backend or a setup.py that
    put a folder of its own first (poetry-core's vendored packages, a helper folder) must get
    that folder's module, not the one loaded before."""
    found = []
    for name in names:
        module = sys.modules.get(name)
        if "." in name or getattr(module, "__name__", name) != name:
            continue  # submodules follow their package; an alias (distutils) is no file's
        origin = getattr(getattr(module, "__spec__", None), "origin", None)
        if not origin or not os.path.isabs(origin):
            continue
        there = getattr(find_spec(name), "origin", None)
        if there and os.path.realpath(there) != os.path.realpath(origin):
            found.append(name)
    return found


def find_spec(name):
    """What `import name` would load if it were not loaded yet: the first finder of
    `sys.meta_path` that knows it (setuptools' finder gives `distutils` its own copy; the path
    finder reads `sys.path` as it is now)."""
    for finder in sys.meta_path:
        try:
            spec = finder.find_spec(name, None)
        except Exception:
            continue
        if spec is not None:
            return spec
    return None


def ahead_of_fork():
    """Top-level modules loaded here that a new interpreter would not have loaded at start."""
    return [n for n in list(sys.modules) if n not in AT_START and "." not in n]


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
    # Exit functions registered before the fork are another process's.
    getattr(atexit, "_clear", lambda: None)()
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
            getattr(atexit, "_run_exitfuncs", lambda: None)()
            sys.stdout.flush()
            sys.stderr.flush()
            on_exit()
        finally:
            os._exit(code)


class WatchedPath(list):
    """`sys.path` in a hook child: a list like any, that also notes every folder put on it
    (made absolute), so that folders a setup.py puts first and takes off again are known."""

    def __init__(self, entries, added):
        super().__init__(entries)
        self._added = added
        self._known = {os.path.abspath(e) for e in entries if isinstance(e, str)}

    def _note(self, entries):
        for e in entries:
            if isinstance(e, str) and os.path.abspath(e) not in self._known:
                self._added.append(os.path.abspath(e))
        return entries

    def insert(self, index, entry):
        super().insert(index, self._note([entry])[0])

    def append(self, entry):
        super().append(self._note([entry])[0])

    def extend(self, entries):
        super().extend(self._note(list(entries)))

    def __iadd__(self, entries):
        return super().__iadd__(self._note(list(entries)))

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            value = self._note(list(value))
        else:
            self._note([value])
        super().__setitem__(index, value)


# Written by a hook child whose modules loaded ahead were not those a new interpreter would
# have used: its build is made again in a new interpreter (see `batch`).
SUSPECT = "!suspect"


# Whether modules loaded here would be found elsewhere, per `sys.path` (a dozen milliseconds
# to find out: once per state of `sys.path`, which modules imported since cannot change).
CHECKED_PATHS = {}


def forked_runner(cmd, cwd=None, extra_environ=None):
    path = tuple(sys.path)
    if path not in CHECKED_PATHS:
        CHECKED_PATHS[path] = bool(loaded_elsewhere(ahead_of_fork()))
    if not single_threaded() or CHECKED_PATHS[path]:
        return NEW_INTERPRETER(cmd, cwd=cwd, extra_environ=extra_environ)
    sys.stdout.flush()
    sys.stderr.flush()
    # What the hook imported comes back in a file: a pipe could be held open by a process the
    # hook leaves running.
    fd, told = tempfile.mkstemp(prefix="xtask-hook-", suffix=".txt")
    os.close(fd)
    pid = os.fork()
    if pid == 0:
        before = set(sys.modules)
        ahead = ahead_of_fork()

        added = []
        watched = []

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
            sys.path = WatchedPath(sys.path, added)
            watched[:] = [sys.path, list(sys.path)]
            runpy.run_path(cmd[1], run_name="__main__")

        def tell_learned():
            new = [n for n in sys.modules if n not in before]
            # A folder the hook put on `sys.path` (and maybe took off again, as setuptools
            # does around a setup.py) that holds a module loaded ahead: the hook may have
            # used the wrong one.
            folders = [f for f in added if isinstance(f, str)]
            suspect = any(shadowed(n, folders) for n in ahead)
            # `sys.path` replaced, or left otherwise than the hook found it: ask the finders.
            if not suspect and (not watched or sys.path is not watched[0] or sys.path != watched[1]):
                suspect = bool(loaded_elsewhere(ahead))
            names = library_modules(new) + ([SUSPECT] if suspect else [])
            with open(told, "w") as f:
                f.write("\n".join(names))

        run_as_interpreter(hook, tell_learned)
    _, status = os.waitpid(pid, 0)
    names = read_lines(told)
    remove(told)
    if SUSPECT in names:
        # The hook put a folder first whose modules were loaded ahead from elsewhere: what it
        # made is not to be trusted; the batch builds this plugin again in a new interpreter.
        if RERUN:
            with open(RERUN, "w"):
                pass
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(75)
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
        if system.get("backend-path"):
            return None
        return system.get("build-backend", "setuptools.build_meta:__legacy__").partition(":")[0]
    except Exception:
        return None  # whatever is wrong there, `build` says it for this plugin alone


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
        global PROJECT, RERUN
        RERUN = build["log"] + ".rerun"
        fd = os.open(build["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        os.environ.update(build["env"])
        PROJECT = build["source"]
        preimport(backend)
        import_ahead(ahead, [PROJECT])
        sys.argv = ["python -m build", *build_argv(build)]
        # Run as `python -m build` runs it, not as a module imported before (which warns).
        sys.modules.pop("build.__main__", None)
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
        # Once here rather than in every build (each child inherits the answer).
        CHECKED_PATHS[tuple(sys.path)] = bool(loaded_elsewhere(ahead_of_fork()))
    running = {}
    # Builds to make again in a new interpreter (a hook found modules loaded ahead that it
    # would not have used).
    again = []
    # Each forked build's source folder as it was before (for a build made again).
    before = {}

    def reap():
        while True:  # a build's, not a process some module imported ahead may have started
            pid, status = os.wait()
            if pid in running:
                break
        i, started = running.pop(pid)
        results[i] = {"code": os.waitstatus_to_exitcode(status), "seconds": time.monotonic() - started}
        names = read_lines(builds[i]["log"] + ".modules")
        remove(builds[i]["log"] + ".modules")
        if os.path.exists(builds[i]["log"] + ".rerun"):
            remove(builds[i]["log"] + ".rerun")
            again.append(i)
            return
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
        before[i] = tree(build["source"])
        pid = os.fork()
        if pid == 0:
            own = backends[i] if backends[i] != shared else None
            build_in_child(build, own, learned.get(own, []) if own else [])
        running[pid] = (i, time.monotonic())
    while running:
        reap()
    for i in again:
        made = builds[i]["outdir"]
        for name in os.listdir(made) if os.path.isdir(made) else []:
            remove(os.path.join(made, name))
    in_interpreters(builds, [i for i in again if restored(builds[i], before[i])], results, at_once)
    for i in again:
        results[i]["again"] = True
    write_atomically(jobs["results"], json.dumps(results))
    if jobs.get("learned") and json.dumps(learned, sort_keys=True) != kept:
        try:
            write_atomically(jobs["learned"], json.dumps(learned, indent=1, sort_keys=True))
        except OSError:
            pass  # only a speed-up for the next run


def tree(folder):
    """Every file and folder under `folder`: relative path -> (size, modification time)."""
    found = {}
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(top, name)
            st = os.lstat(path)
            found[os.path.relpath(path, folder)] = (st.st_size, st.st_mtime_ns) if name in files else None
    return found


def restored(build, before):
    """The source folder of a build to make again as it was before its first try (what that
    try added removed: the egg-info a setuptools hook writes would be read back); False, with
    the reason in its log, when the try changed a file that was there."""
    import shutil

    now = tree(build["source"])
    changed = sorted(p for p, was in before.items() if was is not None and now.get(p) != was)
    if changed:
        with open(build["log"], "a") as log:
            log.write(
                "a build hook put a folder of its own on sys.path holding a module the batch had loaded "
                f"ahead, and changed {', '.join(changed)}, so it cannot be built again in a new interpreter "
                "from the folder as exported: give that module a name no installed package has\n"
            )
        return False
    for path in sorted((p for p in now if p not in before), key=len, reverse=True):
        full = os.path.join(build["source"], path)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full, ignore_errors=True)
        else:
            remove(full)
    return True


def read_learned(path):
    """The kept modules per backend; nothing when the file is missing or not what it should
    be (it is only a speed-up)."""
    try:
        with open(path) as f:
            found = json.load(f)
        return {
            k: [n for n in v if isinstance(n, str) and n.replace(".", "_").isidentifier()]
            for k, v in found.items()
            if isinstance(k, str) and isinstance(v, list)
        }
    except Exception:
        return {}


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
