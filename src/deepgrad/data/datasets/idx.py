"""The IDX file format of MNIST and Fashion-MNIST, read and written with numpy alone.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim`` big-endian
uint32 sizes, then the values in row-major order, big-endian.  The type byte is 0x08
uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
"""
from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np

__all__ = ["read_idx", "parse_idx", "write_idx", "IDXError"]

_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {np.dtype(dt).newbyteorder("=") if dt.itemsize > 1 else dt: code for code, dt in _TYPES.items()}


class IDXError(ValueError):
    """An IDX file whose header or length is wrong."""


def parse_idx(buffer, name="<bytes>") -> np.ndarray:
    """Parse IDX bytes (a gzip stream is recognised and inflated) into a native-endian array.

    The array shares memory with ``buffer`` when the data is single-byte and ``buffer`` is a
    ``bytearray`` (writable, no copy).  Raises IDXError naming the file on a bad magic number,
    an unknown type code, or a byte count that does not match the sizes in the header.
    """
    if bytes(buffer[:2]) == b"\x1f\x8b":
        buffer = bytearray(gzip.decompress(bytes(buffer)))
    n = len(buffer)
    if n < 4:
        raise IDXError(f"read_idx({name}): file is {n} bytes, too short for the 4-byte IDX magic number")
    z0, z1, code, ndim = buffer[0], buffer[1], buffer[2], buffer[3]
    if z0 != 0 or z1 != 0:
        raise IDXError(f"read_idx({name}): bad magic number {bytes(buffer[:4]).hex()}: an IDX file starts with "
                       "two zero bytes (is this really an IDX file?)")
    if code not in _TYPES:
        raise IDXError(f"read_idx({name}): unknown data type code 0x{code:02x}; expected one of "
                       + ", ".join(f"0x{c:02x}" for c in _TYPES))
    if ndim == 0:
        raise IDXError(f"read_idx({name}): header says 0 dimensions")
    header = 4 + 4 * ndim
    if n < header:
        raise IDXError(f"read_idx({name}): file is {n} bytes but a {ndim}-d header needs {header} bytes")
    shape = tuple(int(d) for d in np.frombuffer(buffer, dtype=">u4", count=ndim, offset=4))
    dtype = _TYPES[code]
    expected = header + math.prod(shape) * dtype.itemsize
    if n != expected:
        raise IDXError(f"read_idx({name}): header says shape {shape} of {dtype.name} ({expected} bytes in all) "
                       f"but the file has {n} bytes ({'truncated' if n < expected else 'trailing data'})")
    arr = np.frombuffer(buffer, dtype=dtype, count=math.prod(shape), offset=header).reshape(shape)
    if dtype.itemsize > 1:
        arr = arr.astype(dtype.newbyteorder("="))
    return arr


def read_idx(path) -> np.ndarray:
    """Read an IDX file (plain or ``.gz``) into a writable native-endian numpy array."""
    path = Path(path)
    with open(path, "rb") as f:
        buf = bytearray(path.stat().st_size)
        f.readinto(buf)
    return parse_idx(buf, name=str(path))


def write_idx(path_or_none, array) -> bytes:
    """The IDX bytes of ``array``; also written to ``path_or_none`` when it is a path."""
    array = np.asarray(array)
    dt = array.dtype.newbyteorder("=") if array.dtype.itemsize > 1 else array.dtype
    if dt not in _CODES:
        raise IDXError(f"write_idx: dtype {array.dtype} has no IDX type code; use one of uint8, int8, int16, "
                       "int32, float32, float64")
    code = _CODES[dt]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    data = header + np.ascontiguousarray(array, dtype=_TYPES[code]).tobytes()
    if path_or_none is not None:
        from deepgrad.data.datasets._download import atomic_write_bytes

        atomic_write_bytes(path_or_none, data)
    return data
