"""deepgrad.save / deepgrad.load: round trips, atomic writes, hostile files (FormatError only)."""
import json
import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import deepgrad as dg
from deepgrad.io import FormatError, _digest, atomic_write_bytes, dumps, load, loads, read_zip_members, save


def _state():
    return {
        "weight": dg.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)),
        "bias": dg.tensor([0.5, -1.0]),
        "step": 7,
        "lr": 0.001,
        "name": "adam",
        "nan": float("nan"),
        "nested": {"m": [np.ones(3, dtype=np.float64), (1, 2)], "flag": True, "none": None},
        "int_keys": {0: np.array([1, 2], dtype=np.int64)},
    }


def _same(a, b):
    if isinstance(a, dg.Tensor):
        return isinstance(b, dg.Tensor) and a.dtype == b.dtype and np.array_equal(a.numpy(), b.numpy())
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and a != a:
        return isinstance(b, float) and b != b
    return a == b and type(a) is type(b)


def test_round_trip(tmp_path):
    p = tmp_path / "s.safetensors"
    save(_state(), p)
    assert _same(_state(), load(p))


def test_plain_safetensors_file_loads(tmp_path):
    from safetensors.numpy import save_file

    save_file({"a": np.ones((2, 2), np.float32)}, str(tmp_path / "x.safetensors"))
    out = load(tmp_path / "x.safetensors")
    assert np.array_equal(out["a"].numpy(), np.ones((2, 2)))


def test_refuses_objects():
    class Foo:
        pass

    with pytest.raises(TypeError, match="cannot store a Foo"):
        dumps({"x": Foo()})


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    p = tmp_path / "f.bin"
    atomic_write_bytes(p, b"old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        atomic_write_bytes(p, b"new content")
    assert p.read_bytes() == b"old"
    assert [f.name for f in tmp_path.iterdir()] == ["f.bin"]  # no temp file left behind


def _header_file(header, body=b""):
    """A hand-made file; a structure gets a valid checksum, as an attacker would give it."""
    meta = header.get("__metadata__")
    if isinstance(meta, dict) and isinstance(meta.get("deepgrad.structure"), str) and "deepgrad.sha256" not in meta:
        meta["deepgrad.sha256"] = _digest(meta["deepgrad.structure"], [])
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + body


@pytest.mark.parametrize("data,match", [
    (b"", "too short"),
    (struct.pack("<Q", 10**12) + b"{}", "header length"),
    (_header_file({"a": {"dtype": "F32", "shape": [10**9, 10**9], "data_offsets": [0, 4]}}, b"\0" * 4), "declares"),
    (_header_file({"a": {"dtype": "object", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8), "dtype"),
    (_header_file({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4), "shape"),
    (_header_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4), "outside"),
    (_header_file({"__metadata__": {"deepgrad.structure": '{"__pickle__": "os.system"}'}}), "unknown structure"),
    (_header_file({"__metadata__": {"deepgrad.structure": '{"__tensor__": "t9"}'}}), "missing array"),
    (_header_file({"__metadata__": {"deepgrad.structure": "[" * 100000}}), "JSON|deeply"),
    (b"\x05\0\0\0\0\0\0\0{abc}", "not valid JSON"),
])
def test_hostile_files_raise_format_error(data, match):
    with pytest.raises(FormatError, match=match):
        loads(data)


_VALID = dumps(_state())


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.data())
def test_fuzz_mutated_files(data):
    """Mutated, truncated and spliced files: FormatError or exactly the original content."""
    buf = bytearray(_VALID)
    kind = data.draw(st.sampled_from(["flip", "truncate", "splice", "header"]))
    if kind == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(buf) - 1))
            buf[i] = data.draw(st.integers(0, 255))
    elif kind == "truncate":
        buf = buf[: data.draw(st.integers(0, len(buf) - 1))]
    elif kind == "splice":
        i = data.draw(st.integers(0, len(buf)))
        buf[i:i] = data.draw(st.binary(min_size=1, max_size=64))
    else:
        n = struct.unpack("<Q", bytes(buf[:8]))[0]
        buf[:8] = struct.pack("<Q", data.draw(st.sampled_from([0, 1, n - 1, n + 1, 2**63, 2**64 - 1])))
    try:
        out = loads(bytes(buf))
    except FormatError:
        return
    # a mutation that still parses may only have touched bytes of values; structure must be sane
    assert isinstance(out, dict)


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.text(max_size=20) | st.floats(allow_nan=False),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4), max_leaves=20))
def test_fuzz_hostile_structures(structure):
    """Arbitrary JSON in the structure slot never escapes as anything but FormatError."""
    header = {"__metadata__": {"deepgrad.structure": json.dumps(structure)}}
    try:
        loads(_header_file(header))
    except FormatError:
        pass


def _zip(tmp_path, members, name="m.zip"):
    import zipfile

    p = tmp_path / name
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    return p


def test_zip_refuses_traversal_and_unknown_members(tmp_path):
    with pytest.raises(FormatError, match="unsafe path"):
        read_zip_members(_zip(tmp_path, {"../evil.py": b"x"}), {"config.json"})
    with pytest.raises(FormatError, match="unexpected member"):
        read_zip_members(_zip(tmp_path, {"config.json": b"{}", "payload.pkl": b"x"}), {"config.json"})


def test_zip_bomb_refused_before_decompressing(tmp_path):
    p = _zip(tmp_path, {"config.json": b"\0" * (50 * 1024 * 1024)})  # compresses ~1000:1
    with pytest.raises(FormatError, match="declares"):
        read_zip_members(p, {"config.json"}, max_member=10 * 1024 * 1024)


def test_not_a_zip(tmp_path):
    p = tmp_path / "x.keras"
    p.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(FormatError):
        read_zip_members(p, {"config.json"})


def test_zip_member_hidden_from_directory_refused(tmp_path):
    import zipfile

    p = _zip(tmp_path, {"config.json": b"{}", "model.weights.safetensors": b"w" * 100})
    data = bytearray(p.read_bytes())
    eocd = data.rindex(b"PK\x05\x06")
    with zipfile.ZipFile(p) as zf:
        first = zf.infolist()[0]
        cd_entry = 46 + len(first.filename) + len(first.extra) + len(first.comment)
    # drop the first central-directory entry: its member is still in the file, but unlisted
    start = struct.unpack("<I", data[eocd + 16:eocd + 20])[0]
    del data[start:start + cd_entry]
    eocd -= cd_entry
    data[eocd + 8:eocd + 12] = struct.pack("<HH", 1, 1)
    data[eocd + 12:eocd + 16] = struct.pack("<I", struct.unpack("<I", data[eocd + 12:eocd + 16])[0] - cd_entry)
    p.write_bytes(bytes(data))
    with zipfile.ZipFile(p) as zf:
        assert zf.namelist() == ["model.weights.safetensors"]  # zipfile itself does not notice
    with pytest.raises(FormatError, match="starts at byte|not accounted"):
        read_zip_members(p, {"config.json", "model.weights.safetensors"})


def test_zip_layouts_that_are_fine(tmp_path):
    import io as _io
    import zipfile

    class Unseekable(_io.RawIOBase):  # makes zipfile write data descriptors
        def __init__(self):
            self.buf = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.buf += b
            return len(b)

    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raw = Unseekable()
        with zipfile.ZipFile(raw, "w", compression=compression) as zf:
            zf.writestr("a", b"x" * 1000)
            with zf.open("b", "w") as f:
                f.write(b"y" * 10)
        p = tmp_path / f"d{compression}.zip"
        p.write_bytes(bytes(raw.buf))
        assert read_zip_members(p, {"a", "b"}) == {"a": b"x" * 1000, "b": b"y" * 10}
    p = _zip(tmp_path, {"a": b"1", "b": b""})
    assert read_zip_members(p, {"a", "b"}) == {"a": b"1", "b": b""}


def test_save_refuses_unsupported_dtype():
    with pytest.raises(TypeError, match="dtype complex64 cannot be stored"):
        dumps({"c": np.ones(2, np.complex64)})


def test_big_endian_arrays_round_trip():
    a = np.arange(5, dtype=">i4")
    out = loads(dumps({"a": a}), as_tensors=False)["a"]
    assert out.dtype == np.int32 and out.tolist() == [0, 1, 2, 3, 4]
