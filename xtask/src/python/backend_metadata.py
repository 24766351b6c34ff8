"""The core metadata a plugin's build backend gives, through its PEP 517 hook
`prepare_metadata_for_build_wheel` (`build.util.project_wheel_metadata`, not isolated: the
backend of the build-tools venv this runs in): `python backend_metadata.py OUT DIR`.

Writes {"name", "version", "requires_dist", "requires_python"} as JSON to OUT, or exits 1
with one line saying what the backend said (its own output comes before). Run on a copy of the
plugin folder: backends write `*.egg-info` and `build/` next to the project.
"""
import json
import sys


def main(out, project):
    try:
        import pyproject_hooks
        from build.util import project_wheel_metadata

        # The backend's output goes to this program's (the log; the last lines on failure).
        meta = project_wheel_metadata(project, isolated=False, runner=pyproject_hooks.default_subprocess_runner)
    except Exception as exc:  # the backend's error, named; never a traceback
        said = str(exc).strip().splitlines()
        sys.exit(f"{type(exc).__name__}: {said[-1] if said else ''}")
    data = {
        "name": meta["Name"],
        "version": meta["Version"],
        "requires_dist": meta.get_all("Requires-Dist") or [],
        "requires_python": meta.get("Requires-Python"),
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(data, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
