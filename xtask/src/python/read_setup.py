"""Read static metadata of setup.py / setup.cfg projects without running them.

Called by the xtask as `python read_setup.py DIR...`; prints one JSON object per DIR (a
list). setup.py is parsed with `ast`: only literal values (or names bound once to literals at
module level, never changed in place) are read; anything computed is reported as dynamic.
"""

import ast
import configparser
import json
import os
import sys

FIELDS = ("name", "version", "description", "license", "keywords", "install_requires")


def _split_list(value):
    if isinstance(value, str):
        return [v for v in value.replace(",", " ").split() if v]
    return list(value)


def _literal_places(node):
    """Where each requirement literal of a list stands: 1-based line, UTF-8 byte column."""
    return [
        [elt.lineno, elt.col_offset, elt.end_lineno, elt.end_col_offset, elt.value]
        for elt in node.elts
        if isinstance(elt, ast.Constant) and isinstance(elt.value, str)
    ]


def _changed_names(tree, call):
    """Names whose first literal may not be what `setup()` gets: bound more than once anywhere
    (imports too), changed through an attribute or item, or used anywhere else than as a
    value of `setup()` (`REQUIRES.append(...)` under an `if`, `deps = REQUIRES`, a helper
    called with it). Returns (changed, rebound)."""
    bound, loads, changed = {}, {}, set()

    def bind(target):
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                bound[node.id] = bound.get(node.id, 0) + 1
            elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.value, ast.Name):
                changed.add(node.value.id)  # NAME[...] = ..., NAME.attr = ...

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                bind(target)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr, ast.For, ast.AsyncFor, ast.comprehension)):
            bind(node.target)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    bind(item.optional_vars)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                bind(target)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                bound[name] = bound.get(name, 0) + 1
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound[node.name] = bound.get(node.name, 0) + 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            changed.update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            loads[node.id] = loads.get(node.id, 0) + 1
    expected = {}
    for kw in call.keywords:
        if isinstance(kw.value, ast.Name):
            expected[kw.value.id] = expected.get(kw.value.id, 0) + 1
    changed.update(name for name, count in loads.items() if count > expected.get(name, 0))
    rebound = {name for name, count in bound.items() if count > 1}
    return changed | rebound, rebound


def read_setup_py(path):
    with open(path, "rb") as f:
        tree = ast.parse(f.read(), filename=path)
    names, nodes = {}, {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                names[node.targets[0].id] = ast.literal_eval(node.value)
                nodes[node.targets[0].id] = node.value
            except (ValueError, TypeError, SyntaxError, RecursionError):
                pass
    call = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name == "setup":
                call = node
                break
    if call is None:
        return {"error": "no setup(...) call found"}
    changed, rebound = _changed_names(tree, call)
    fields, dynamic, places = {}, [], []
    for kw in call.keywords:
        if kw.arg not in FIELDS:
            continue
        node = kw.value
        try:
            value = ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            if isinstance(node, ast.Name) and node.id in names and node.id not in changed:
                value, node = names[node.id], nodes[node.id]
            else:
                if isinstance(node, ast.Name) and node.id in nodes and node.id not in rebound:
                    node = nodes[node.id]  # its literal strings stand where they are all the same
                dynamic.append(kw.arg)
                if kw.arg == "install_requires" and isinstance(node, (ast.List, ast.Tuple)):
                    # The literal strings of a list that also computes some stand where they are.
                    places.extend(_literal_places(node))
                continue
        fields[kw.arg] = value
        if kw.arg == "install_requires" and isinstance(node, (ast.List, ast.Tuple)):
            places.extend(_literal_places(node))
    excludes = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in ("find_packages", "find_namespace_packages"):
                for kw in node.keywords:
                    if kw.arg == "exclude":
                        try:
                            excludes.extend(str(p) for p in ast.literal_eval(kw.value))
                        except (ValueError, TypeError, SyntaxError, RecursionError):
                            pass
    if any(kw.arg is None for kw in call.keywords):
        dynamic.append("**kwargs")
    if "keywords" in fields:
        fields["keywords"] = _split_list(fields["keywords"])
    if "install_requires" in fields:
        reqs = fields["install_requires"]
        fields["install_requires"] = [reqs] if isinstance(reqs, str) else list(reqs)
    return {"fields": fields, "dynamic": dynamic, "requirement_places": places, "package_excludes": excludes}


def read_setup_cfg(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    fields = {}
    if parser.has_section("metadata"):
        for key in ("name", "version", "description", "license", "keywords"):
            value = parser.get("metadata", key, fallback=None)
            if value is None or value.startswith(("attr:", "file:")):
                continue
            fields[key] = value.strip()
    if "keywords" in fields:
        fields["keywords"] = _split_list(fields["keywords"])
    reqs = parser.get("options", "install_requires", fallback=None)
    if reqs is not None:
        fields["install_requires"] = [r.strip() for r in reqs.splitlines() if r.strip() and not r.strip().startswith("#")]
    excludes = parser.get("options.packages.find", "exclude", fallback="")
    excludes = [e.strip() for e in excludes.replace(",", "\n").splitlines() if e.strip()]
    return {"fields": fields, "dynamic": [], "package_excludes": excludes}


def main(dirs):
    out = []
    for d in dirs:
        entry = {"dir": d}
        for key, filename, reader in (("setup_py", "setup.py", read_setup_py), ("setup_cfg", "setup.cfg", read_setup_cfg)):
            path = os.path.join(d, filename)
            if os.path.isfile(path):
                try:
                    entry[key] = reader(path)
                except Exception as exc:  # report, never crash: the xtask names the file
                    entry[key] = {"error": f"{type(exc).__name__}: {exc}"}
        out.append(entry)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
