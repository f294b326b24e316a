"""The IDX parser on hand-made files, good and corrupted."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from deepgrad.data.datasets.idx import IDXError, parse_idx, read_idx, write_idx


def test_hand_made_ubyte_file(tmp_path):
    # magic 00 00 08 03, dims 2 x 3 x 2 (big-endian uint32), then 12 bytes.
    raw = bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") + (2).to_bytes(4, "big")
    raw += bytes(range(12))
    p = tmp_path / "x-idx3-ubyte"
    p.write_bytes(raw)
    a = read_idx(p)
    assert a.dtype == np.uint8 and a.shape == (2, 3, 2)
    np.testing.assert_array_equal(a, np.arange(12, dtype=np.uint8).reshape(2, 3, 2))
    a[0, 0, 0] = 7  # writable, no read-only buffer surprises


def test_big_endian_multibyte_types_and_gzip(tmp_path):
    for dt in (np.int16, np.int32, np.float32, np.float64, np.int8):
        arr = (np.arange(24).reshape(4, 6) - 5).astype(dt)
        data = write_idx(tmp_path / "a", arr)
        assert data[2] == {np.int8: 9, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}[dt]
        assert np.frombuffer(data[4:8], ">u4")[0] == 4  # sizes are big-endian
        back = read_idx(tmp_path / "a")
        assert back.dtype == np.dtype(dt) and back.dtype.isnative
        np.testing.assert_array_equal(back, arr)
        gz = tmp_path / "a.gz"
        gz.write_bytes(gzip.compress(data))
        np.testing.assert_array_equal(read_idx(gz), arr)
    # the value bytes really are big-endian
    assert write_idx(None, np.array([1], np.int32))[-4:] == b"\x00\x00\x00\x01"


def _header(code=8, dims=(2, 2)):
    return bytes([0, 0, code, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)


@pytest.mark.parametrize("raw, match", [
    (b"\x00\x00", "too short"),
    (b"\x01\x00\x08\x01" + (1).to_bytes(4, "big") + b"\x00", "bad magic"),
    (_header(code=0x0A) + bytes(4), "unknown data type code 0x0a"),
    (bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big"), "header needs 16 bytes"),
    (_header() + bytes(3), r"shape \(2, 2\).*truncated"),
    (_header() + bytes(5), "trailing data"),
    (_header(code=0x0C) + bytes(4 * 4 - 1), "truncated"),
    (bytes([0, 0, 8, 0]), "0 dimensions"),
])
def test_corrupted_files_give_clear_errors(raw, match):
    with pytest.raises(IDXError, match=match):
        parse_idx(bytearray(raw), name="bad-file")
    with pytest.raises(ValueError, match="bad-file"):  # the message names the file
        parse_idx(bytearray(raw), name="bad-file")


def test_truncated_real_sized_header_names_the_path(tmp_path):
    p = tmp_path / "train-images-idx3-ubyte"
    p.write_bytes(_header(dims=(60000, 28, 28)) + bytes(1000))
    with pytest.raises(IDXError, match=rf"{p.name}.*\(60000, 28, 28\).*truncated"):
        read_idx(p)


def test_write_rejects_unsupported_dtype():
    with pytest.raises(IDXError, match="no IDX type code"):
        write_idx(None, np.zeros(3, np.uint16))
