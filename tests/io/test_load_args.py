"""deepgrad.save / deepgrad.load with torch.save / torch.load's arguments: file objects, map_location,
weights_only, every dtype, 0-d/empty/non-contiguous tensors, devices, requires_grad and Parameters."""
from __future__ import annotations

import io

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.backend import cupy_module
from deepgrad.io import FormatError, dumps, loads

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
          "float64"]


def test_every_dtype_and_odd_shapes_round_trip(tmp_path):
    obj = {d: dg.Tensor(np.arange(6).reshape(2, 3).astype(d)) for d in DTYPES}
    obj["zero_d"] = dg.tensor(3.5)
    obj["empty"] = dg.Tensor(np.zeros((0, 3), np.float32))
    obj["transposed"] = dg.Tensor(np.arange(12.0).reshape(3, 4)).T
    obj["strided"] = np.arange(20, dtype=np.int16)[::3]
    obj["plain"] = [1, 2.5, "x", True, None, (1, (2, None)), {"k": {3: "v"}}]
    dg.save(obj, tmp_path / "a.pt")
    back = dg.load(tmp_path / "a.pt")
    for k, v in obj.items():
        if isinstance(v, dg.Tensor):
            assert isinstance(back[k], dg.Tensor) and back[k].dtype == v.dtype and back[k].shape == v.shape, k
            np.testing.assert_array_equal(back[k].numpy(), v.numpy())
        elif isinstance(v, np.ndarray):
            assert type(back[k]) is np.ndarray and back[k].dtype == v.dtype
            np.testing.assert_array_equal(back[k], v)
        else:
            assert back[k] == v and type(back[k]) is type(v)


def test_file_objects_and_torch_keywords(tmp_path):
    buf = io.BytesIO()
    dg.save({"w": dg.ones(2, 3)}, buf)
    buf.seek(0)
    out = dg.load(buf, map_location="cpu", weights_only=True, mmap=None)
    assert out["w"].shape == (2, 3) and out["w"].device == "cpu"
    dg.save([dg.ones(2)], tmp_path / "b.pt", pickle_protocol=2, _use_new_zipfile_serialization=True)
    for where in ("cpu", dg.device("cpu"), {"cpu": "cpu"}, lambda t, loc: t * 2):
        (t,) = dg.load(tmp_path / "b.pt", map_location=where)
        assert isinstance(t, dg.Tensor)
    assert dg.load(tmp_path / "b.pt", map_location=lambda t, loc: t * 2)[0].numpy().tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="deepgrad never unpickles"):
        dg.load(tmp_path / "b.pt", pickle_module=object())
    with pytest.raises(TypeError, match="deepgrad never unpickles"):
        dg.load(tmp_path / "b.pt", encoding="latin1")
    with pytest.raises(TypeError, match="deepgrad never pickles"):
        dg.save([1], tmp_path / "c.pt", pickle_module=object())
    with pytest.raises(TypeError, match="map_location must be a device"):
        dg.load(tmp_path / "b.pt", map_location=3)
    with pytest.raises(ValueError, match="map_location: device: expected 'cpu', 'cuda'"):
        dg.load(tmp_path / "b.pt", map_location="tpu")


def test_requires_grad_and_parameters_survive_like_torch(tmp_path):
    torch = pytest.importorskip("torch")
    ours = {"p": dg.nn.Parameter(dg.randn(2)), "g": dg.randn(3, requires_grad=True), "t": dg.randn(1)}
    theirs = {"p": torch.nn.Parameter(torch.randn(2)), "g": torch.randn(3, requires_grad=True), "t": torch.randn(1)}
    dg.save(ours, tmp_path / "d.pt")
    torch.save(theirs, tmp_path / "d.pth")
    a, b = dg.load(tmp_path / "d.pt"), torch.load(tmp_path / "d.pth")
    for k in ours:
        assert a[k].requires_grad == b[k].requires_grad, k
        assert isinstance(a[k], dg.nn.Parameter) == isinstance(b[k], torch.nn.Parameter), k
        np.testing.assert_array_equal(a[k].numpy(), ours[k].numpy())
    plain = dg.load(tmp_path / "d.pt", as_tensors=False)
    assert all(type(v) is np.ndarray for v in plain.values())


def test_module_state_dict_round_trip(tmp_path):
    m = dg.nn.Sequential(dg.nn.Linear(3, 4), dg.nn.BatchNorm1d(4))
    m(dg.randn(5, 3))  # moves the running statistics
    dg.save(m.state_dict(), tmp_path / "m.pt")
    m2 = dg.nn.Sequential(dg.nn.Linear(3, 4), dg.nn.BatchNorm1d(4))
    m2.load_state_dict(dg.load(tmp_path / "m.pt", map_location="cpu", weights_only=True))
    for (k, a), (k2, b) in zip(m.state_dict().items(), m2.state_dict().items(), strict=True):
        assert k == k2 and a.dtype == b.dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_malformed_tensor_entries_are_format_errors():
    import json

    from deepgrad.io import _DIGEST_KEY, _META_KEY, _digest, safetensors_dumps

    for info in ({"key": "t0", "device": "tpu"}, {"key": "t0", "requires_grad": "yes"}, {"key": "t9"},
                 {"key": "t0", "extra": 1}, ["t0"]):
        structure = json.dumps({"__tensor_info__": info})
        arr = np.zeros(2, np.float32)
        entries = [("t0", "F32", arr.shape, memoryview(arr.view(np.uint8)))]
        data = safetensors_dumps({"t0": arr}, {_META_KEY: structure, _DIGEST_KEY: _digest(structure, entries)})
        with pytest.raises(FormatError, match="malformed tensor entry"):
            loads(data)


def test_saved_cuda_tensor_needs_a_gpu_or_map_location(monkeypatch):
    import deepgrad.backend

    data = dumps({"t": dg.ones(2)})  # a CPU tensor: loads anywhere
    assert loads(data)["t"].device == "cpu"
    import json

    from deepgrad.io import _DIGEST_KEY, _META_KEY, _digest, safetensors_dumps

    structure = json.dumps({"__tensor_info__": {"key": "t0", "device": "cuda:0"}})
    arr = np.ones(2, np.float32)
    entries = [("t0", "F32", arr.shape, memoryview(arr.view(np.uint8)))]
    data = safetensors_dumps({"t0": arr}, {_META_KEY: structure, _DIGEST_KEY: _digest(structure, entries)})
    monkeypatch.setattr(deepgrad.backend, "cupy_module", lambda: None)
    with pytest.raises(RuntimeError, match="map_location='cpu'"):
        loads(data)
    assert loads(data, map_location="cpu").device == "cpu"
    assert loads(data, map_location={"cuda:0": "cpu"}).device == "cpu"


@pytest.mark.gpu
@pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")
def test_cuda_tensors_come_back_on_their_device(tmp_path):
    obj = {"w": dg.randn(2, 3, device="cuda"), "p": dg.nn.Parameter(dg.randn(2).to("cuda")), "c": dg.ones(2)}
    dg.save(obj, tmp_path / "g.pt")
    back = dg.load(tmp_path / "g.pt")
    assert back["w"].device == "cuda:0" and back["p"].device == "cuda:0" and back["c"].device == "cpu"
    assert isinstance(back["p"], dg.nn.Parameter) and back["p"].requires_grad
    np.testing.assert_array_equal(back["w"].numpy(), obj["w"].numpy())
    moved = dg.load(tmp_path / "g.pt", map_location="cpu")
    assert moved["w"].device == "cpu" and moved["p"].device == "cpu"
    up = dg.load(tmp_path / "g.pt", map_location="cuda")
    assert up["c"].device == "cuda:0"


def test_a_torch_save_file_gets_advice_instead_of_a_header_error(tmp_path):
    torch = pytest.importorskip("torch")
    for zipped in (True, False):
        path = tmp_path / f"t{zipped}.pt"
        torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=zipped)
        with pytest.raises(FormatError, match=r"looks like a PyTorch file written by torch.save.*never unpickles.*"
                                              r"safetensors.torch.save_file"):
            dg.load(path)
    safetensors_torch = pytest.importorskip("safetensors.torch")
    safetensors_torch.save_file({"w": torch.arange(3.0)}, tmp_path / "w.safetensors")
    np.testing.assert_array_equal(dg.load(tmp_path / "w.safetensors")["w"].numpy(), [0.0, 1.0, 2.0])
