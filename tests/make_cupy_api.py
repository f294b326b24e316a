"""Write tests/cupy_api_14.json: the public API of the real CuPy that tests/cupy_emulator.py allows.

Run it where the real CuPy is installed (no GPU needed: it only introspects)::

    pip install cupy-cuda13x==14.2.0     # in a scratch venv, not deepgrad's
    python tests/make_cupy_api.py         # rewrites tests/cupy_api_14.json

It lists every public name of ``cupy``, of the submodules deepgrad uses, of ``cupy.ndarray`` and of
``cupy.random.Generator`` (with the names a module's ``__getattr__`` makes on first use, such as
``cupy.random.Generator``, found in its source) and, for each function, method and class deepgrad
constructs, the parameters it takes by keyword (``inspect.signature``, else the first docstring
line of a Cython function; ``null`` where neither tells).  For each ufunc it records which of
``reduce``/``accumulate``/``reduceat``/``at`` CuPy implements (the others raise
NotImplementedError) and the dtypes ``ufunc.at`` takes, read from the messages compiled into
``cupy._core._routines_indexing``.  The emulator raises CuPy's errors for anything outside this file.
"""
from __future__ import annotations

import importlib
import inspect
import json
import keyword
import os
import re
import sys
import zlib

MODULES = ["cupy", "cupy.cuda", "cupy.cuda.runtime", "cupy.random", "cupy.linalg", "cupy.lib",
           "cupy.lib.stride_tricks", "cupyx", "cupyx.scipy", "cupyx.scipy.special"]
CONSTRUCTORS = ["cupy.RawKernel", "cupy.ElementwiseKernel", "cupy.ReductionKernel", "cupy.cuda.Device",
                "cupy.cuda.Stream"]  # the CuPy classes deepgrad constructs: their keywords


def _split_params(text):
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def _from_doc(obj):
    """Keyword parameters from a Cython docstring's first line, e.g. ``sum(self, axis=None, ...)``."""
    first = (getattr(obj, "__doc__", None) or "").strip().split("\n")[0]
    m = re.match(r"^[\w.]+\((.*)\)", first)
    if not m:
        return None
    names = []
    for p in _split_params(m.group(1).replace("\\*", "*")):
        p = p.split("=")[0].strip()
        if p in ("self", "*", ""):
            continue
        if p == "/":
            names = []  # everything before '/' is positional-only
            continue
        if p.startswith("**"):
            names.append("**")
        elif p.startswith("*"):
            names.append("*")
        else:
            names.append(p.split()[-1])
    return names


def params(obj):
    """The names ``obj`` accepts by keyword, plus '*' / '**' for *args / **kwargs; None if unknown."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return _from_doc(obj)
    names = []
    for p in sig.parameters.values():
        if p.name == "self":
            continue
        if p.kind is p.POSITIONAL_ONLY:
            continue
        names.append({p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, p.name))
    return names


def describe(value):
    import cupy

    if inspect.ismodule(value):
        return "module"
    if isinstance(value, cupy.ufunc):
        return "ufunc"
    if isinstance(value, type):
        return "type"
    if callable(value):
        return params(value)
    return "value"


def public(obj):
    return sorted(n for n in dir(obj) if not n.startswith("_"))


def lazy(mod):
    """Names a module's ``__getattr__`` makes on first use (``cupy.random.Generator``, ...)."""
    getter = vars(mod).get("__getattr__")
    if getter is None:
        return []
    names = re.findall(r"==\s*['\"](\w+)['\"]", inspect.getsource(getter))
    return sorted(n for n in set(names) | set(getattr(mod, "_submodules", ())) if not keyword.iskeyword(n))


def ufunc_methods(u):
    """Which of CuPy's ufunc methods work for ``u`` (the others raise NotImplementedError)."""
    ok = []
    for method in ("reduce", "accumulate", "reduceat"):
        try:
            getattr(u, method)(None, *([None] if method == "reduceat" else []))
        except NotImplementedError:
            continue
        except Exception:  # noqa: BLE001 - got past the name check: implemented
            pass
        ok.append(method)
    if u._scatter_op is not None:
        ok.append("at:" + u._scatter_op)
    return ok


def compiled_strings(module):
    """The string constants of a compiled Cython module (Cython 3 keeps them zlib-compressed)."""
    with open(module.__file__, "rb") as f:
        data = f.read()
    chunks = [data]
    for m in re.finditer(rb"\x78[\x01\x5e\x9c\xda]", data):
        try:
            chunks.append(zlib.decompressobj().decompress(data[m.start():m.start() + (1 << 20)]))
        except zlib.error:
            continue
    return b"\n".join(chunks).decode("latin-1")


def at_dtypes():
    """``{ufunc: (dtypes, message)}``: the dtypes CuPy's ``ufunc.at`` (its scatter kernels) accepts,
    read from the TypeError it raises for the others (cupy/_core/_routines_indexing.pyx)."""
    from cupy._core import _routines_indexing

    found, text = {}, compiled_strings(_routines_indexing)
    for m in re.finditer(r"cupy\.(\w+)\.at only supports ([\w, ]*?) as data type", text):
        found[m.group(1)] = ([t.strip() for t in m.group(2).split(",") if t.strip()], m.group(0))
    if not found:
        sys.exit("ufunc.at's dtypes not found in cupy._core._routines_indexing: update at_dtypes()")
    return found


def build():
    import cupy

    api = {"version": cupy.__version__, "modules": {}, "ufuncs": {}}
    for name in MODULES:
        mod = importlib.import_module(name)
        api["modules"][name] = {n: describe(getattr(mod, n)) for n in public(mod)}
        for n in lazy(mod):
            try:
                api["modules"][name].setdefault(n, describe(getattr(mod, n)))
            except Exception:  # noqa: BLE001 - a lazy import that needs a GPU or a library
                api["modules"][name].setdefault(n, "lazy")
    api["constructors"] = {}
    for qualname in CONSTRUCTORS:
        mod_name, cls_name = qualname.rsplit(".", 1)
        cls = getattr(importlib.import_module(mod_name), cls_name)
        sig = params(cls)
        api["constructors"][qualname] = sig if sig and sig != ["*", "**"] else _from_doc(cls)
    api["ndarray"] = {n: ("value" if not callable(getattr(cupy.ndarray, n)) or
                          type(getattr(cupy.ndarray, n)).__name__ == "getset_descriptor"
                          else params(getattr(cupy.ndarray, n))) for n in public(cupy.ndarray)}
    api["random.Generator"] = {n: params(getattr(cupy.random.Generator, n)) for n in public(cupy.random.Generator)}
    ufunc_doc = params(cupy.add)
    api["ufunc"] = {"__call__": [p for p in ufunc_doc if p not in ("x1", "x2")],
                    **{n: describe(getattr(cupy.add, n)) for n in public(cupy.ufunc)}}
    for mod_name in ("cupy", "cupyx.scipy.special"):
        mod = importlib.import_module(mod_name)
        for n in public(mod):
            u = getattr(mod, n)
            if isinstance(u, cupy.ufunc):
                api["ufuncs"][f"{mod_name}.{n}"] = {"nin": u.nin, "nout": u.nout, "methods": ufunc_methods(u)}
    for n, (dtypes, message) in at_dtypes().items():
        api["ufuncs"][f"cupy.{n}"].update(at_dtypes=dtypes, at_error=message)
    return api


if __name__ == "__main__":
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cupy_api_14.json")
    api = build()
    if not api["version"].startswith("14."):
        sys.exit(f"expected CuPy 14.x, found {api['version']}")
    with open(path, "w") as f:
        json.dump(api, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {path}: CuPy {api['version']}")
