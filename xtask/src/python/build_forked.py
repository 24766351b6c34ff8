"""`python -m build`, with each backend hook run in a child forked from this process instead of
a new interpreter: `python -c BUILD_FORKED ARGS...` takes the arguments of `python -m build`,
the source folder last.

What `build` does is unchanged (its own command line, checks, sdist then wheel from the
sdist); only its hook runner differs. This process imports the plugin's build backend once
(unless the project brings its own, `backend-path`) and forks a child per hook, which runs
pyproject_hooks' `_in_process.py` as a new interpreter would: same arguments, working folder,
environment and first `sys.path` entry, the backend not yet called. The child pays no
interpreter start and no backend import, the larger part of a small plugin's build. Where
there is no `fork` (Windows, macOS), or when this process has other threads by then, the hooks
run in new interpreters as usual.
"""
import importlib
import os
import runpy
import subprocess
import sys
import traceback

# What a new interpreter's first `sys.path` entry is here (its script's folder there); entries
# a backend adds on import (poetry-core puts its vendored packages first) stay where they are.
FIRST_PATH = sys.path[0]
# pyproject_hooks' own runner (a new interpreter per hook), for when forking is not safe.
NEW_INTERPRETER = None


def single_threaded():
    """Forking a process with other threads (a backend that started one on import, natively
    or not) can leave the child waiting forever on a lock one of them held."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        import threading

        return threading.active_count() == 1


def forked_runner(cmd, cwd=None, extra_environ=None):
    if not single_threaded():
        return NEW_INTERPRETER(cmd, cwd=cwd, extra_environ=extra_environ)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
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
            code = 0
        except SystemExit as e:
            # As an interpreter ends on it: a number is the exit code, anything else is
            # printed (`raise SystemExit("message")` in a setup.py) and exits 1.
            if e.code is None or isinstance(e.code, int):
                code = e.code or 0
            else:
                print(e.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise subprocess.CalledProcessError(code, cmd)


def preimport_backend(srcdir):
    """Import the project's build backend here, so that every forked hook finds it loaded."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11: the hooks import it themselves
        return
    try:
        with open(os.path.join(srcdir, "pyproject.toml"), "rb") as f:
            system = tomllib.load(f).get("build-system", {})
    except (OSError, ValueError):
        system = {}
    if system.get("backend-path"):
        return  # an in-tree backend: imported by the hook, from the project's folder
    backend = system.get("build-backend", "setuptools.build_meta:__legacy__")
    try:
        importlib.import_module(backend.partition(":")[0])
    except Exception:
        pass  # the hook reports it, as it would without this


def main():
    args = sys.argv[1:]
    if sys.platform == "linux" and hasattr(os, "fork"):
        import pyproject_hooks

        global NEW_INTERPRETER
        NEW_INTERPRETER = pyproject_hooks.default_subprocess_runner
        pyproject_hooks.default_subprocess_runner = forked_runner
        preimport_backend(args[-1])
    sys.argv = ["python -m build", *args]
    runpy.run_module("build", run_name="__main__", alter_sys=True)


main()
