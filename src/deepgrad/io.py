"""Safe files: ``deepgrad.save`` / ``deepgrad.load`` and the pieces other savers build on.

Arrays go into safetensors (the format of the ``safetensors`` package, readable by it); the
structure around them (nested dicts and lists, numbers, strings) goes into the file's JSON
metadata.  Nothing is ever unpickled or executed.  Every write is atomic: a temporary file
in the same directory, fsync, rename, so a crash mid-write leaves the previous file intact.
Loading validates the header before allocating anything; a damaged or hostile file raises
``FormatError`` and nothing else.  Files written by ``save`` also carry a SHA-256 of their
structure and every tensor (name, dtype, shape, bytes), so a flipped bit anywhere is caught
instead of loading quietly different numbers.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
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
_DIGEST_KEY = "deepgrad.sha256"
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
_NATIVE_LE = np.little_endian


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
def _little_endian_c(a):
    """``a`` as a C-contiguous little-endian array, 0-d arrays kept 0-d (np.ascontiguousarray makes them 1-d)."""
    if a.dtype.byteorder not in ("|", "<", "=") or (a.dtype.byteorder == "=" and not _NATIVE_LE):
        a = a.astype(a.dtype.newbyteorder("<"))
    return a if a.flags.c_contiguous else a.copy(order="C")


def safetensors_dumps(arrays: dict, metadata: dict | None = None) -> bytes:
    """Serialize a dict name -> numpy array (and string metadata) to safetensors bytes.

    Written here rather than by the ``safetensors`` package so the bytes are reproducible:
    the package stores the metadata in a hash map whose order changes from one process to
    the next.  Layout as the package writes it: 8-byte little-endian header length, the JSON
    header (``__metadata__`` first, space-padded to a multiple of 8 bytes), then the tensors
    sorted by item size (largest first) and name, so each is aligned to its item size.
    """
    if metadata is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError("safetensors metadata must map strings to strings")
    prepared = []
    for name, a in arrays.items():
        if not isinstance(name, str):
            raise TypeError(f"safetensors tensor names must be strings, got {name!r}")
        a = np.asarray(a)
        code = _CODES.get(a.dtype.newbyteorder("=")) if a.dtype.byteorder != "|" else _CODES.get(a.dtype)
        if code is None:
            raise TypeError(f"save: arrays of dtype {a.dtype} cannot be stored in safetensors "
                            f"(supported: {', '.join(str(d) for d in _CODES)})")
        a = _little_endian_c(a)
        prepared.append((-a.dtype.itemsize, name, code, a))
    prepared.sort(key=lambda t: (t[0], t[1]))
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    offset = 0
    for _, name, code, a in prepared:
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * (-(8 + len(raw)) % 8)
    return b"".join([struct.pack("<Q", len(raw)), raw, *(memoryview(a.reshape(-1).view(np.uint8))
                                                         for _, _, _, a in prepared)])


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
    if not isinstance(metadata, dict) or \
            not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise FormatError("safetensors: __metadata__ must map strings to strings")
    body = len(data) - 8 - n
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise FormatError(f"safetensors: entry {name!r} must have exactly dtype, shape and data_offsets")
        dt, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
        if not isinstance(dt, str) or dt not in _DTYPES:
            raise FormatError(f"safetensors: entry {name!r} has unsupported dtype {dt!r}")
        if (not isinstance(shape, list) or len(shape) > 32
                or not all(type(s) is int and 0 <= s < 2**62 for s in shape)
                or math.prod(s for s in shape if s) >= 2**62):  # numpy refuses such shapes even when empty
            raise FormatError(f"safetensors: entry {name!r} has an invalid shape {str(shape)[:80]}")
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
    arrays, metadata, _ = _parse(data)
    return arrays, metadata


def _parse(data):
    """(arrays, metadata, digest of the tensors) of a safetensors buffer, validated first."""
    header, metadata = validate_safetensors(data)
    n = struct.unpack("<Q", data[:8])[0]
    base = 8 + n
    view = memoryview(data)
    arrays = {}
    entries = []
    for name, info in header.items():
        b, e = info["data_offsets"]
        dt = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        arr = np.frombuffer(data, dtype=dt, count=(e - b) // dt.itemsize, offset=base + b)
        arrays[name] = arr.reshape(info["shape"]).astype(dt.newbyteorder("="), copy=True)
        entries.append((name, info["dtype"], info["shape"], view[base + b:base + e]))
    return arrays, metadata, entries


def _digest(structure: str, entries) -> str:
    """SHA-256 over the structure JSON and each tensor's name, dtype, shape and little-endian bytes."""
    h = hashlib.sha256(b"deepgrad-file-1\0")
    h.update(structure.encode("utf-8", "surrogatepass"))
    for name, code, shape, buf in sorted(entries, key=lambda e: e[0]):
        h.update(b"\0" + json.dumps([name, code, list(shape), len(buf)]).encode() + b"\0")
        h.update(buf)
    return h.hexdigest()


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
        from deepgrad.nn.parameter import Parameter

        info = {"key": key}
        if obj.device.type != "cpu":
            info["device"] = str(obj.device)
        if obj.requires_grad:
            info["requires_grad"] = True
        if isinstance(obj, Parameter):
            info["parameter"] = True
        return {"__tensor__": key} if len(info) == 1 else {"__tensor_info__": info}
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


def _unflatten(node, arrays, as_tensors, depth=0, place=None):
    place = place or _placer(None)
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
        return place(a, "cpu", False, False) if (tag == "__tensor__" and as_tensors) else a
    if tag == "__tensor_info__":
        if (not isinstance(val, dict) or not isinstance(val.get("key"), str) or val["key"] not in arrays
                or not set(val) <= {"key", "device", "requires_grad", "parameter"}
                or not isinstance(val.get("device", "cpu"), str)
                or not re.fullmatch(r"cpu|cuda(:[0-9]{1,3})?", val.get("device", "cpu"))
                or not all(isinstance(val.get(k, False), bool) for k in ("requires_grad", "parameter"))):
            raise FormatError(f"deepgrad file: malformed tensor entry {str(val)[:80]!r}")
        if not as_tensors:
            return arrays[val["key"]]
        return place(arrays[val["key"]], val.get("device", "cpu"), bool(val.get("requires_grad")),
                     bool(val.get("parameter")))
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
            out[pair[0]] = _unflatten(pair[1], arrays, as_tensors, depth + 1, place)
        return out
    if tag in ("__list__", "__tuple__"):
        if not isinstance(val, list):
            raise FormatError("deepgrad file: list node is not a list")
        items = [_unflatten(v, arrays, as_tensors, depth + 1, place) for v in val]
        return items if tag == "__list__" else tuple(items)
    raise FormatError(f"deepgrad file: unknown structure tag {tag[:40]!r}")


def dumps(obj) -> bytes:
    """The bytes ``save`` writes: safetensors, the structure and its SHA-256 in the metadata."""
    arrays = {}
    structure = json.dumps(_flatten(obj, "", arrays))
    entries = []
    for name, a in arrays.items():
        a = np.asarray(a)
        code = _CODES.get(a.dtype.newbyteorder("=")) if a.dtype.byteorder != "|" else _CODES.get(a.dtype)
        if code is None:
            raise TypeError(f"save: arrays of dtype {a.dtype} cannot be stored "
                            f"(supported: {', '.join(str(d) for d in _CODES)})")
        a = _little_endian_c(a)
        arrays[name] = a
        entries.append((name, code, a.shape, memoryview(a.reshape(-1).view(np.uint8))))
    metadata = {_META_KEY: structure, _DIGEST_KEY: _digest(structure, entries)}
    return safetensors_dumps(arrays, metadata=metadata)


def _placer(map_location):
    """A function (array, saved device, requires_grad, is a Parameter) -> the Tensor ``load`` returns.

    Tensors go back to the device they were saved from unless ``map_location`` says otherwise:
    a device (``'cpu'``, ``'cuda:0'``, a ``Device``), a dict from saved to wanted device names,
    or a function ``(tensor, saved device name) -> tensor``."""
    from deepgrad.backend import Device
    from deepgrad.tensor import Tensor

    if map_location is not None and not (callable(map_location) or isinstance(map_location, (str, dict, Device))):
        raise TypeError(f"deepgrad.load: map_location must be a device, a dict of device names or a function, "
                        f"got {type(map_location).__name__}")

    def place(array, saved, requires_grad, parameter):
        where = saved
        if isinstance(map_location, dict):
            where = map_location.get(saved, saved)
        elif isinstance(map_location, (str, Device)):
            where = map_location
        if callable(map_location) and not isinstance(map_location, (str, dict, Device)):
            out = map_location(Tensor(array), saved)
            out = out if isinstance(out, Tensor) else Tensor(out)
        else:
            try:
                where = Device(where)
            except (ValueError, TypeError) as e:
                raise ValueError(f"deepgrad.load: map_location: {e}") from None
            if where.type != "cpu":
                from deepgrad.backend import cupy_module

                if cupy_module() is None:
                    raise RuntimeError(f"deepgrad.load: the file holds a tensor for device {str(where)!r} but no "
                                       "CUDA GPU (CuPy) is available; pass map_location='cpu' to load it on the CPU")
            out = Tensor(array, device=where if where.type != "cpu" else None)
        if parameter:
            from deepgrad.nn.parameter import Parameter

            return Parameter(out, requires_grad=requires_grad)
        if requires_grad:
            out.requires_grad = True
        return out

    return place


def loads(data: bytes, as_tensors=True, map_location=None):
    """Parse what ``dumps`` produced (or any safetensors buffer). Raises FormatError."""
    place = _placer(map_location)
    arrays, metadata, entries = _parse(data)
    ours = [k for k in metadata if k.startswith("deepgrad.")]
    if not ours:  # plain safetensors file
        return {k: _unflatten({"__tensor__": k}, arrays, as_tensors, 0, place) for k in arrays}
    if sorted(ours) != sorted([_META_KEY, _DIGEST_KEY]):
        raise FormatError(f"deepgrad file: metadata keys {sorted(ours)} are not {sorted([_META_KEY, _DIGEST_KEY])}")
    structure = metadata[_META_KEY]
    if _digest(structure, entries) != metadata[_DIGEST_KEY]:
        raise FormatError("deepgrad file: checksum mismatch, the file is damaged (its SHA-256 does not match "
                          "its contents)")
    try:
        structure = json.loads(structure)
    except (json.JSONDecodeError, RecursionError) as e:
        raise FormatError(f"deepgrad file: structure metadata is not valid JSON ({e})") from None
    try:
        return _unflatten(structure, arrays, as_tensors, 0, place)
    except RecursionError:
        raise FormatError("deepgrad file: structure nested too deeply") from None


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save a state dict (or nested dicts/lists/tuples of tensors, arrays, numbers, strings) to ``f``,
    a path or a binary file object (``torch.save``'s arguments; the pickle ones must stay unset).

    The file is safetensors with the structure in its JSON metadata; a path is written atomically.
    Tensors remember their device, ``requires_grad`` and whether they are Parameters.
    """
    if pickle_module is not None:
        raise TypeError("save: deepgrad never pickles; pickle_module is not supported")
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        raise TypeError("save: pass model.state_dict(), not the model itself (deepgrad never pickles objects)")
    data = dumps(obj)
    if hasattr(f, "write"):
        f.write(data)
    else:
        atomic_write_bytes(f, data)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, as_tensors=True,
         **pickle_load_args):
    """Load what ``save`` wrote (or any safetensors file) from a path or a binary file object.

    Never runs code (``weights_only`` is always in effect; the keyword is accepted as in
    ``torch.load``).  Tensors return to the device they were saved from unless ``map_location``
    (a device, a dict of device names, or ``fn(tensor, saved_device)``) says otherwise.
    ``as_tensors=False`` gives NumPy arrays.  A damaged file raises FormatError.
    """
    if pickle_module is not None or pickle_load_args:
        raise TypeError("deepgrad.load: deepgrad never unpickles; pickle_module and pickle load arguments "
                        f"({sorted(pickle_load_args)}) are not supported")
    data = f.read() if hasattr(f, "read") else read_file_bytes(f, "deepgrad.load:")
    try:
        return loads(data, as_tensors=as_tensors, map_location=map_location)
    except FormatError:
        if data[:4] != b"PK\x03\x04" and data[:1] != b"\x80":  # neither a zip nor a pickle
            raise
    raise FormatError(
        f"deepgrad.load: {getattr(f, 'name', f)!s} looks like a PyTorch file written by torch.save (a pickle"
        f"{' in a zip' if data[:2] == b'PK' else ''}); deepgrad never unpickles. Where the model "
        "is defined in PyTorch, save its weights with `safetensors.torch.save_file(model.state_dict(), "
        "'weights.safetensors')` and load that file")


# -- zip archives (.keras) ---------------------------------------------------------------------------
def read_zip_members(path, allowed, max_total=4 * 1024**3, max_member=2 * 1024**3):
    """Read the members named in ``allowed`` from a zip, refusing anything suspicious.

    Checks before decompressing: member names (no absolute paths, no '..', only names in
    ``allowed``), declared sizes within limits and the file's size times a generous ratio
    (no zip bombs), and that the members listed in the central directory account for every
    byte before it (no member hidden from the directory, none overlapping another); then
    reads each member with a hard cap on the bytes produced (and zipfile checks its CRC-32).
    """
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise
    except Exception as e:  # noqa: BLE001 - zipfile raises many types on a damaged directory
        raise FormatError(f"{os.fspath(path)!r} is not a valid zip archive ({type(e).__name__}: {e})") from None
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
        _check_zip_layout(zf, infos)
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


def _check_zip_layout(zf, infos):
    """The local entries must tile the archive up to the central directory, in order, without gaps."""
    fp = zf.fp
    pos = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset != pos:
            raise FormatError(f"zip: member {info.filename!r} starts at byte {info.header_offset}, expected {pos} "
                              "(a member hidden from the directory, or overlapping entries)")
        try:
            fp.seek(info.header_offset)
            local = fp.read(30)
        except (OSError, ValueError) as e:
            raise FormatError(f"zip: cannot read the entry of {info.filename!r} ({e})") from None
        if len(local) != 30 or local[:4] != b"PK\x03\x04":
            raise FormatError(f"zip: member {info.filename!r} has no local header at byte {info.header_offset}")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        pos = info.header_offset + 30 + name_len + extra_len + info.compress_size
        if info.flag_bits & 0x08:  # a data descriptor follows the data: 12 or 16 bytes (+8 for zip64)
            fp.seek(pos)
            sig = fp.read(4)
            pos += (16 if sig == b"PK\x07\x08" else 12) + (8 if info.file_size >= 0xFFFFFFFF else 0)
    if pos != zf.start_dir:
        raise FormatError(f"zip: {zf.start_dir - pos} bytes between the last member and the directory are not "
                          "accounted for (a member hidden from the directory?)")


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
