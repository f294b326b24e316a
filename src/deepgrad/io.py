"""Safe files: ``deepgrad.save`` / ``deepgrad.load`` and the pieces other savers build on.

Arrays go into safetensors (the ``safetensors`` package, ``pip install deepgrad[io]``); the
structure around them (nested dicts and lists, numbers, strings) goes into the file's JSON
metadata.  Nothing is ever unpickled or executed.  Every write is atomic: a temporary file
in the same directory, fsync, rename, so a crash mid-write leaves the previous file intact.
Loading validates the header before allocating anything; a damaged or hostile file raises
``FormatError`` and nothing else.
"""
from __future__ import annotations

import json
import os
import struct
import tempfile
import zipfile

import numpy as np

MAX_HEADER_BYTES = 100 * 1024 * 1024
_DTYPES = {
    "F16": np.float16, "F32": np.float32, "F64": np.float64,
    "I8": np.int8, "I16": np.int16, "I32": np.int32, "I64": np.int64,
    "U8": np.uint8, "U16": np.uint16, "U32": np.uint32, "U64": np.uint64, "BOOL": np.bool_,
}
_META_KEY = "deepgrad.structure"


class FormatError(ValueError):
    """A file is not a valid deepgrad/safetensors/keras file; the message says what is wrong."""


# -- atomic writes -------------------------------------------------------------------------
def atomic_write_bytes(path, data: bytes):
    """Write ``data`` to ``path`` atomically (temp file in the same directory, fsync, rename)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


# -- safetensors bytes -----------------------------------------------------------------------
def _safetensors_numpy():
    try:
        from safetensors import numpy as stnp  # noqa: PLC0415
    except ImportError as e:
        raise ImportError(
            "deepgrad.save/load need the 'safetensors' package: pip install 'deepgrad[io]' (or pip install safetensors)"
        ) from e
    return stnp


def safetensors_dumps(arrays: dict, metadata: dict | None = None) -> bytes:
    """Serialize a dict name -> numpy array (and string metadata) to safetensors bytes."""
    stnp = _safetensors_numpy()
    arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    return stnp.save(arrays, metadata=metadata)


def validate_safetensors(data: bytes):
    """Check a safetensors buffer completely before anything is allocated.

    Returns (header dict without metadata, metadata dict). Raises FormatError.
    """
    if len(data) < 8:
        raise FormatError(f"safetensors: file is {len(data)} bytes, too short for the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES or n > len(data) - 8:
        raise FormatError(f"safetensors: header length {n} exceeds the file ({len(data)} bytes) or the limit")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise FormatError(f"safetensors: header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise FormatError("safetensors: header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise FormatError("safetensors: __metadata__ must map strings to strings")
    body = len(data) - 8 - n
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise FormatError(f"safetensors: entry {name!r} must have exactly dtype, shape and data_offsets")
        dt, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
        if dt not in _DTYPES:
            raise FormatError(f"safetensors: entry {name!r} has unsupported dtype {dt!r}")
        if not isinstance(shape, list) or not all(type(s) is int and 0 <= s for s in shape):
            raise FormatError(f"safetensors: entry {name!r} has an invalid shape {shape!r}")
        if (not isinstance(offs, list) or len(offs) != 2 or not all(type(o) is int for o in offs)
                or not 0 <= offs[0] <= offs[1] <= body):
            raise FormatError(f"safetensors: entry {name!r} has data_offsets {offs!r} outside the {body}-byte body")
        count = 1
        for s in shape:
            count *= s
        need = count * np.dtype(_DTYPES[dt]).itemsize
        if need != offs[1] - offs[0]:
            raise FormatError(
                f"safetensors: entry {name!r} declares shape {shape} of {dt} ({need} bytes) "
                f"but spans {offs[1] - offs[0]} bytes"
            )
        spans.append((offs[0], offs[1], name))
    spans.sort()
    pos = 0
    for begin, end, name in spans:
        if begin != pos:
            raise FormatError(f"safetensors: entry {name!r} overlaps another or leaves a gap at byte {pos}")
        pos = end
    if pos != body:
        raise FormatError(f"safetensors: {body - pos} trailing bytes after the last tensor")
    return header, metadata


def safetensors_loads(data: bytes):
    """Parse safetensors bytes into (dict name -> numpy array, metadata). Raises FormatError."""
    header, metadata = validate_safetensors(data)
    n = struct.unpack("<Q", data[:8])[0]
    base = 8 + n
    arrays = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        dt = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        arr = np.frombuffer(data, dtype=dt, count=(e - b) // dt.itemsize, offset=base + b)
        arrays[name] = arr.reshape(info["shape"]).astype(dt.newbyteorder("="), copy=True)
    return arrays, metadata


def read_file_bytes(path, what="file"):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} {os.fspath(path)!r} does not exist") from None


# -- deepgrad.save / deepgrad.load --------------------------------------------------------------
def _flatten(obj, prefix, arrays):
    """Structure JSON with arrays replaced by references into ``arrays``."""
    from deepgrad.backend import as_numpy
    from deepgrad.tensor import Tensor

    if isinstance(obj, Tensor):
        key = f"t{len(arrays)}"
        arrays[key] = as_numpy(obj.data)
        return {"__tensor__": key}
    if isinstance(obj, np.ndarray) or type(obj).__module__.startswith("cupy"):
        key = f"t{len(arrays)}"
        arrays[key] = as_numpy(obj)
        return {"__ndarray__": key}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        if obj != obj or obj in (float("inf"), float("-inf")):
            return {"__float__": repr(obj)}
        return obj
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__} at {prefix or 'top'}")
            items.append([k, _flatten(v, f"{prefix}.{k}", arrays)])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        return {"__list__" if isinstance(obj, list) else "__tuple__": [_flatten(v, f"{prefix}[{i}]", arrays)
                                                                        for i, v in enumerate(obj)]}
    raise TypeError(
        f"save: cannot store a {type(obj).__name__} at {prefix or 'top'}; deepgrad files hold tensors, arrays, "
        "numbers, strings, None and dicts/lists of them"
    )


def _unflatten(node, arrays, as_tensors, depth=0):
    from deepgrad.tensor import Tensor

    if depth > 200:
        raise FormatError("deepgrad file: structure nested too deeply")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        raise FormatError("deepgrad file: bare list in structure")
    if not isinstance(node, dict) or len(node) != 1:
        raise FormatError(f"deepgrad file: unexpected structure node {str(node)[:80]!r}")
    ((tag, val),) = node.items()
    if tag in ("__tensor__", "__ndarray__"):
        if not isinstance(val, str) or val not in arrays:
            raise FormatError(f"deepgrad file: reference to missing array {str(val)[:40]!r}")
        a = arrays[val]
        return Tensor(a) if (tag == "__tensor__" and as_tensors) else a
    if tag == "__float__":
        if val not in ("nan", "inf", "-inf"):
            raise FormatError(f"deepgrad file: bad float {str(val)[:20]!r}")
        return float(val)
    if tag == "__dict__":
        if not isinstance(val, list):
            raise FormatError("deepgrad file: dict node is not a list of pairs")
        out = {}
        for pair in val:
            if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], (str, int)):
                raise FormatError("deepgrad file: malformed dict entry")
            out[pair[0]] = _unflatten(pair[1], arrays, as_tensors, depth + 1)
        return out
    if tag in ("__list__", "__tuple__"):
        if not isinstance(val, list):
            raise FormatError("deepgrad file: list node is not a list")
        items = [_unflatten(v, arrays, as_tensors, depth + 1) for v in val]
        return items if tag == "__list__" else tuple(items)
    raise FormatError(f"deepgrad file: unknown structure tag {tag[:40]!r}")


def dumps(obj) -> bytes:
    arrays = {}
    structure = _flatten(obj, "", arrays)
    return safetensors_dumps(arrays, metadata={_META_KEY: json.dumps(structure)})


def loads(data: bytes, as_tensors=True):
    arrays, metadata = safetensors_loads(data)
    if _META_KEY not in metadata:
        return {k: _unflatten({"__tensor__": k}, arrays, as_tensors) for k in arrays}  # plain safetensors file
    try:
        structure = json.loads(metadata[_META_KEY])
    except (json.JSONDecodeError, RecursionError) as e:
        raise FormatError(f"deepgrad file: structure metadata is not valid JSON ({e})") from None
    try:
        return _unflatten(structure, arrays, as_tensors)
    except RecursionError:
        raise FormatError("deepgrad file: structure nested too deeply") from None


def save(obj, path):
    """Save a state dict (or nested dicts/lists of tensors, arrays, numbers, strings) to ``path``.

    The file is safetensors with the structure in its JSON metadata; written atomically.
    """
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        raise TypeError("save: pass model.state_dict(), not the model itself (deepgrad never pickles objects)")
    atomic_write_bytes(path, dumps(obj))


def load(path, as_tensors=True):
    """Load what ``save`` wrote (or any safetensors file). Never runs code; raises FormatError."""
    return loads(read_file_bytes(path, "deepgrad.load:"), as_tensors=as_tensors)


# -- zip archives (.keras) ---------------------------------------------------------------------------
def read_zip_members(path, allowed, max_total=4 * 1024**3, max_member=2 * 1024**3):
    """Read the members named in ``allowed`` from a zip, refusing anything suspicious.

    Checks before decompressing: member names (no absolute paths, no '..', only names in
    ``allowed``), declared sizes within limits and the file's size times a generous ratio
    (no zip bombs), then reads each member with a hard cap on the bytes produced.
    """
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise FormatError(f"{os.fspath(path)!r} is not a valid zip archive ({e})") from None
    out = {}
    file_size = os.path.getsize(path)
    with zf:
        try:
            infos = zf.infolist()
        except Exception as e:  # noqa: BLE001 - any parse failure is a format error
            raise FormatError(f"zip: unreadable directory ({e})") from None
        total = 0
        names = set()
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
                raise FormatError(f"zip: member {name!r} has an unsafe path")
            if name in names:
                raise FormatError(f"zip: member {name!r} appears twice")
            names.add(name)
            if name not in allowed:
                raise FormatError(f"zip: unexpected member {name!r} (expected only {sorted(allowed)})")
            if info.file_size > max_member or info.file_size > 1000 * max(file_size, 1) + 1024 * 1024:
                raise FormatError(f"zip: member {name!r} declares {info.file_size} bytes, more than the file warrants")
            total += info.file_size
        if total > max_total:
            raise FormatError(f"zip: members declare {total} bytes in all, over the limit")
        for info in infos:
            try:
                with zf.open(info) as f:
                    data = f.read(info.file_size + 1)
            except Exception as e:  # noqa: BLE001 - corrupt streams raise many types
                raise FormatError(f"zip: member {info.filename!r} is corrupt ({type(e).__name__}: {e})") from None
            if len(data) != info.file_size:
                raise FormatError(f"zip: member {info.filename!r} is not the size it declares")
            out[info.filename] = data
    return out


def write_zip_atomic(path, members: dict):
    """Write a zip of name -> bytes atomically."""
    import io as _io

    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    atomic_write_bytes(path, buf.getvalue())


__all__ = ["FormatError", "save", "load", "dumps", "loads", "atomic_write_bytes", "safetensors_dumps",
           "safetensors_loads", "validate_safetensors", "read_zip_members", "write_zip_atomic"]
