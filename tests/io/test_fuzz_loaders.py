"""Fuzz every loader with damaged and hostile files (issue 7).

Loaders: ``deepgrad.load``/``loads``, ``deepgrad.train.Checkpointer``, ``deepgrad.keras.models.load_model``.
Each case must raise ``FormatError`` or give back exactly the original; none may run code,
open a file for writing, hang, or allocate more than 64x the bytes the file holds (see
``fuzz_guard.py``).  Hypothesis runs derandomized, so every run tries the same files.
The CI share runs ~8,900 cases here (plus 5,000 in test_save_load.py); ``-m slow`` adds
8 times as many (~71,000).
"""
import json
import random
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import deepgrad as dg
from deepgrad.io import FormatError, _digest, dumps, loads, safetensors_dumps, safetensors_loads

from .fuzz_guard import Guard

SCALES = [pytest.param(1, id="ci"), pytest.param(8, id="slow", marks=pytest.mark.slow)]


def _settings(n):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def _same(a, b):
    if isinstance(a, dg.Tensor):
        return isinstance(b, dg.Tensor) and a.dtype == b.dtype and a.shape == b.shape and \
            a.numpy().tobytes() == b.numpy().tobytes()
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and a != a:
        return isinstance(b, float) and b != b
    return type(a) is type(b) and a == b


# -- byte-level damage, shared by every loader ------------------------------------------------------
KINDS = ["flip", "flip", "truncate", "insert", "delete", "duplicate", "fill", "length"]
PER_EXAMPLE = 4  # damaged files tried per hypothesis example (hypothesis itself costs more than a load)


def damage(original: bytes, kind: str, seed: int) -> bytes:
    """``original`` damaged in one of the ways in KINDS, the details drawn from ``seed``."""
    r = random.Random(seed)
    buf = bytearray(original)
    if kind == "flip":
        for _ in range(r.randint(1, 8)):
            i = r.randrange(len(buf))
            buf[i] = r.randrange(256) if r.random() < 0.5 else buf[i] ^ (1 << r.randrange(8))
    elif kind == "truncate":
        buf = buf[:r.randrange(len(buf))]
    elif kind == "insert":
        i = r.randint(0, len(buf))
        buf[i:i] = r.randbytes(r.randint(1, 64))
    elif kind == "delete":
        i = r.randrange(len(buf))
        del buf[i:i + r.randint(1, 64)]
    elif kind == "duplicate":
        i = r.randrange(len(buf))
        j = r.randint(i, min(len(buf), i + 256))
        buf[j:j] = buf[i:j] or b"\0"
    elif kind == "fill":
        i = r.randrange(len(buf))
        buf[i:i + r.randint(1, 32)] = bytes([r.choice([0, 0xFF, 0x20, 0x7B])]) * 32
        buf = buf[:len(original)]
    else:  # rewrite the first 8 bytes (safetensors header length; zip signature)
        n = struct.unpack("<Q", bytes(buf[:8]))[0]
        buf[:8] = struct.pack("<Q", r.choice([0, 1, 7, n - 1, n + 1, n * 2, 2**31, 2**63, 2**64 - 1]))
    if bytes(buf) == original:
        buf.append(0)
    return bytes(buf)


damages = st.tuples(st.sampled_from(KINDS), st.integers(0, 2**32 - 1))


# -- deepgrad files ------------------------------------------------------------------------------------
def _rich_state():
    rng = np.random.default_rng(0)
    return {
        "f16": rng.standard_normal((3, 2)).astype(np.float16), "f32": dg.tensor(rng.standard_normal((4, 5))),
        "f64": rng.standard_normal(3), "i8": np.arange(-3, 3, dtype=np.int8), "i16": np.arange(4, dtype=np.int16),
        "i32": np.array([[1, -2]], np.int32), "i64": np.array(7, np.int64), "u8": np.arange(5, dtype=np.uint8),
        "u16": np.arange(2, dtype=np.uint16), "u32": np.arange(3, dtype=np.uint32),
        "u64": np.array([2**64 - 1], np.uint64), "b": np.array([True, False]), "empty": np.zeros((0, 3), np.float32),
        "meta": {"step": 12, "lr": 1e-3, "name": "adam ✓", "inf": float("-inf"), "none": None, "flag": False,
                 "betas": (0.9, 0.999), "list": [1, [2, "x"], {"k": np.ones(2, np.float32)}], 3: "int key"},
    }


def _checkpoint_bytes(tmp_path):
    from deepgrad import nn, optim
    from deepgrad.train import Checkpointer, ResumableSampler

    dg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(dg.randn(2, 3)).sum().backward()
    opt.step()
    sched = optim.lr_scheduler.StepLR(opt, 3)
    path = Checkpointer(tmp_path).save(5, model=model, optimizer=opt, scheduler=sched,
                                       sampler=ResumableSampler(10, 3), epoch=1)
    return open(path, "rb").read()


@pytest.fixture(scope="module")
def deepgrad_files(tmp_path_factory):
    return [dumps(_rich_state()), dumps({}), _checkpoint_bytes(tmp_path_factory.mktemp("ck"))]


def _check_deepgrad(guard, original, data, what):
    out = guard.load(lambda: loads(data), len(data), what)
    if out is None or not out[0]:
        return
    result = out[1]
    expected = loads(original)
    if _same(expected, result):
        return
    _, meta = safetensors_loads(data)
    if not any(k.startswith("deepgrad.") for k in meta):  # both deepgrad keys renamed: a plain safetensors file
        arrays, _ = safetensors_loads(original)
        if list(result) == list(arrays) and all(result[k].numpy().tobytes() == arrays[k].tobytes() for k in arrays):
            guard.counts["plain"] = guard.counts.get("plain", 0) + 1
            return
    guard.problem("damaged file loaded as different content", what)


@pytest.mark.parametrize("scale", SCALES)
def test_fuzz_damaged_deepgrad_files(deepgrad_files, scale):
    """Random damage: FormatError, or exactly the original (the SHA-256 catches changed bytes)."""
    guard = Guard()

    @_settings(400 * scale)
    @given(damages)
    def run(how):
        for which, original in enumerate(deepgrad_files):
            for k in range(PER_EXAMPLE):
                buf = damage(original, how[0], how[1] * PER_EXAMPLE + k)
                _check_deepgrad(guard, original, buf, f"file {which} {how[0]} {how[1]}/{k}: {len(buf)} bytes")

    with guard.active():
        run()
    print(guard.report())
    guard.check()
    assert guard.counts["refused"] > 0.9 * guard.counts["cases"]


# -- hand-crafted safetensors headers (an attacker writes valid JSON and a valid checksum) ---------------
_DTYPE_POOL = ["F16", "F32", "F64", "I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64", "BOOL", "BF16", "F8_E4M3",
               "C64", "object", "O", "<f4", "", 5, None, ["F32"]]
_DIM_POOL = [0, 1, 2, 3, 4, 7, 2**31, 2**32 + 1, 2**62, 2**63, 2**64 + 1, 10**18, 10**40, -1, 1.5, "3", True, None]
_STRUCT_POOL = [
    {"__pickle__": "os.system"}, {"__reduce__": ["os.system", ["touch canary"]]}, {"__class__": "subprocess.Popen"},
    {"__tensor__": "t0"}, {"__ndarray__": "t1"}, {"__tensor__": "../t0"}, {"__tensor__": 0}, {"__float__": "nan"},
    {"__float__": "1e999999"}, {"__float__": "__import__('os')"}, {"__dict__": [["a", {"__tensor__": "t0"}]]},
    {"__dict__": [[None, 1]]}, {"__dict__": {"a": 1}}, {"__list__": "abc"}, {"__tuple__": [1, {"__tensor__": "t0"}]},
    {"__list__": [{"__list__": []}] * 50}, [1, 2], "os.system('touch canary')", 10**400, None,
]


_SHAPES = st.lists(st.sampled_from(_DIM_POOL), max_size=4) | st.sampled_from([[1] * 600, "4", None, {}])
_STRUCTURES = st.sampled_from(_STRUCT_POOL) | st.recursive(
    st.none() | st.integers() | st.text(max_size=8) | st.sampled_from(_STRUCT_POOL),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(
        ["__tensor__", "__ndarray__", "__dict__", "__list__", "__tuple__", "__float__", "x"]), c, max_size=2),
    max_leaves=8)


@st.composite
def crafted_safetensors(draw):
    entries, offset, header = draw(st.integers(0, 4)), 0, {}
    for i in range(entries):
        dt = draw(st.sampled_from(_DTYPE_POOL))
        shape = draw(_SHAPES)
        size = draw(st.sampled_from([0, 1, 4, 8, 16, 24, 2**32, 2**64, -8]))
        offs = draw(st.sampled_from([[offset, offset + size], [0, size], [offset], [offset + 1, offset], "0-4",
                                     [offset, offset + size, 0], [offset * 1.0, offset + size]]))
        info = {"dtype": dt, "shape": shape, "data_offsets": offs}
        if draw(st.integers(0, 9)) == 0:
            info[draw(st.sampled_from(["extra", "__class__", "dtype "]))] = "x"
        header[draw(st.sampled_from([f"t{i}", "__metadata__", "../t", "", "t0"]))] = info
        if isinstance(size, int) and 0 <= size < 100:
            offset += size
    body = b"\x01" * draw(st.sampled_from([0, offset, offset + 1, max(offset - 1, 0), 64]))
    if draw(st.booleans()):
        structure = draw(_STRUCTURES)
        text = json.dumps(structure)
        meta = {"deepgrad.structure": text, "deepgrad.sha256": _digest(text, [])}
        if draw(st.integers(0, 3)) == 0:
            meta = {draw(st.sampled_from(["deepgrad.structure", "deepgrad.sha256", "deepgrad.x", "format"])): "1"}
        header["__metadata__"] = meta
    raw = json.dumps(header).encode()
    n = draw(st.sampled_from([len(raw)] * 6 + [len(raw) + 1, len(raw) - 1, 2**63]))
    return struct.pack("<Q", n) + raw + body


@pytest.mark.parametrize("scale", SCALES)
def test_fuzz_crafted_safetensors(scale):
    """Huge declared shapes, wrong dtypes, bad offsets, hostile structures with valid checksums."""
    guard = Guard()

    @_settings(1500 * scale)
    @given(crafted_safetensors())
    def run(data):
        out = guard.load(lambda: loads(data), len(data), f"crafted {data[:300]!r}")
        if out and out[0]:
            total = sum(a.nbytes for a in _arrays_in(out[1]))
            if total > len(data):
                guard.problem("loaded arrays larger than the file", data[:300])

    with guard.active():
        run()
    print(guard.report())
    guard.check()


def _arrays_in(obj):
    if isinstance(obj, dg.Tensor):
        yield obj.numpy()
    elif isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _arrays_in(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _arrays_in(v)


@pytest.mark.parametrize("data", [
    b"\0" * 8,
    struct.pack("<Q", 2) + b"[]",
    struct.pack("<Q", 4) + b"null",
    struct.pack("<Q", 6) + b"\xff\xfe{}  ",
    safetensors_dumps({"a": np.zeros((1000, 1000), np.float32)})[:4096],  # cut short: declares 4 MB
    safetensors_dumps({"a": np.zeros(3, np.float32)}, metadata={"deepgrad.structure": "{}"}),  # no checksum
    safetensors_dumps({"a": np.zeros(3, np.float32)},
                      metadata={"deepgrad.structure": '{"__tensor__": "a"}', "deepgrad.sha256": "0" * 64}),
])
def test_handcrafted_safetensors_refused(data):
    guard = Guard()
    with guard.active():
        out = guard.load(lambda: loads(data), len(data), repr(data[:80]))
    guard.check()
    assert out is not None and not out[0], "should have been refused"


def test_checksum_catches_a_changed_value():
    data = bytearray(dumps({"w": np.arange(4, dtype=np.float32)}))
    data[-1] ^= 0x40  # the last byte of the tensor data
    with pytest.raises(FormatError, match="checksum"):
        loads(bytes(data))


# -- checkpoints ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", SCALES)
def test_fuzz_damaged_checkpoints(tmp_path, deepgrad_files, scale):
    """``Checkpointer.read`` of a damaged file: FormatError, or the original record."""
    from deepgrad.train import Checkpointer

    original = deepgrad_files[2]
    ckpt = Checkpointer(tmp_path)
    path = ckpt.path(5)
    expected = loads(original)
    guard = Guard()

    @_settings(100 * scale)
    @given(damages)
    def run(how):
        for k in range(PER_EXAMPLE):
            data = damage(original, how[0], how[1] * PER_EXAMPLE + k)
            with open(path, "wb") as f:
                f.write(data)
            out = guard.load(lambda: ckpt.read(path), len(data), f"checkpoint {how}/{k} damaged to {len(data)} bytes")
            if out and out[0] and not _same(expected, out[1]):
                guard.problem("damaged checkpoint read as different content", f"{how}/{k}")

    with guard.active():
        run()
    print(guard.report())
    guard.check()


# -- .keras files ----------------------------------------------------------------------------------------
try:
    from deepgrad import keras
    from deepgrad.keras.models.saving import SavingError
except ImportError:  # pragma: no cover - keras not there yet
    keras = None
    SavingError = FormatError
needs_keras = pytest.mark.skipif(keras is None, reason="deepgrad.keras is not available")


def _keras_models():
    dg.manual_seed(0)
    layers = keras.layers
    seq = keras.Sequential([layers.Input((4,)), layers.Dense(3, activation="relu"), layers.Dropout(0.1),
                            layers.Dense(2, activation="softmax")])
    seq.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    inp = layers.Input((3,))
    a = layers.Dense(4, activation="tanh")(inp)
    b = layers.Dense(4)(inp)
    out = layers.Dense(1)(layers.Add()([a, b]))
    fun = keras.Model(inp, out)
    fun.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
    return [seq, fun]


def _model_signature(model):
    from deepgrad.keras.models.saving import compile_config, model_config

    return json.dumps([model_config(model), compile_config(model)], sort_keys=True), \
        [w.tobytes() for w in model.get_weights()]


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("keras")
    files = []
    for i, model in enumerate(_keras_models()):
        path = d / f"m{i}.keras"
        model.save(path)
        files.append((_reproducible_zip(path.read_bytes()), _model_signature(model)))
    return files


def _reproducible_zip(data):
    """The same archive with fixed dates (in metadata.json and in the zip headers): the same bytes every run."""
    import io as _io

    with zipfile.ZipFile(_io.BytesIO(data)) as zf:
        members = [(info.filename, zf.read(info)) for info in zf.infolist()]
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in members:
            if name == "metadata.json":
                meta = json.loads(content)
                meta["date_saved"] = "2026-01-01@00:00:00"
                content = json.dumps(meta).encode()
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), content,
                        compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _warranted_zip(path, size):
    """The file's size plus what its members declare they hold (read_zip_members caps that)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return size + sum(max(i.file_size, 0) for i in zf.infolist())
    except Exception:  # noqa: BLE001
        return size


def _load_keras(guard, path, data, what, original_signature=None):
    from deepgrad.keras.models import load_model

    path.write_bytes(data)
    warranted = _warranted_zip(path, len(data))
    out = guard.load(lambda: load_model(path), warranted, what)
    if out and out[0] and original_signature is not None and _model_signature(out[1]) != original_signature:
        guard.problem("damaged .keras file loaded as a different model", what)
    return out




@pytest.fixture
def keras_guard(tmp_path):
    canary = tmp_path / "CANARY"
    guard = Guard(expected_errors=(FormatError, SavingError))
    yield guard, canary
    assert not canary.exists(), "a hostile file ran code"


@needs_keras
def test_keras_errors_are_format_errors(tmp_path):
    """Issue 7: a bad file raises deepgrad.io.FormatError (SavingError should subclass it)."""
    from deepgrad.keras.models import load_model

    p = tmp_path / "bad.keras"
    p.write_bytes(b"PK\x03\x04 nothing")
    with pytest.raises(FormatError):
        load_model(p)


@needs_keras
@pytest.mark.parametrize("scale", SCALES)
def test_fuzz_damaged_keras_files(tmp_path, keras_files, keras_guard, scale):
    """Random damage to a .keras zip: refused, or exactly the saved model."""
    guard, _ = keras_guard
    path = tmp_path / "x.keras"

    @_settings(300 * scale)
    @given(damages)
    def run(how):
        for which, (original, signature) in enumerate(keras_files):
            for k in range(PER_EXAMPLE // 2):
                buf = damage(original, how[0], how[1] * PER_EXAMPLE + k)
                _load_keras(guard, path, buf, f"model {which} {how}/{k}: {len(buf)} bytes", signature)

    with guard.active():
        run()
    print(guard.report())
    guard.check()


_CLASS_POOL = ["Lambda", "TFOpLambda", "os.system", "builtins.eval", "eval", "exec", "__import__", "subprocess.Popen",
               "posix.system", "Sequential", "Functional", "Model", "Dense", "InputLayer", "Add", "Layer", "object",
               "type", "__main__.Evil", "keras.src.ops.numpy.Add", "Custom>Evil", "function", "__lambda__", ""]


def _hostile_values(canary):
    cmd = f"touch {canary}"
    code = f"open({str(canary)!r}, 'w').write('pwned')"
    return [
        "os.system", "builtins.eval", cmd, f"__import__('os').system({cmd!r})", code,
        {"module": "os", "class_name": "system", "config": {"command": cmd}, "registered_name": "system"},
        {"module": "builtins", "class_name": "eval", "config": code, "registered_name": "eval"},
        {"module": "builtins", "class_name": "exec", "config": {"source": code}},
        {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA", "defaults": None, "closure": None}},
        {"class_name": "function", "config": "system", "module": "os"},
        {"class_name": "Lambda", "config": {"function": code, "name": "l"}},
        {"class_name": "Dense", "config": {"units": 3, "activation": {"module": "os", "class_name": "system",
                                                                     "config": cmd}}},
        10**12, 2**63, -1, 0, 1.5, 1e308, float("nan"), None, True, "", "../../etc/passwd", [], {}, [None, None],
        "x" * 5000, [10**6, 10**6], [None, 10**9], {"class_name": "Sequential", "config": {"layers": "all"}},
    ]


_JSON_VALUES = st.recursive(
    st.none() | st.integers() | st.floats() | st.text(max_size=10),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3), max_leaves=6)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _replace(node, path, value):
    if not path:
        return value
    node[path[0]] = _replace(node[path[0]], path[1:], value)
    return node


def _rezip(original_zip: bytes, path, members_override):
    import io as _io

    with zipfile.ZipFile(_io.BytesIO(original_zip)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members.update(members_override)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n, d in members.items():
            if d is not None:
                zf.writestr(n, d)
    return path.read_bytes()


@needs_keras
@pytest.mark.parametrize("scale", SCALES)
def test_fuzz_hostile_keras_configs(tmp_path, keras_files, keras_guard, scale):
    """Configs naming arbitrary classes, modules and functions, absurd sizes: refused or harmless."""
    guard, canary = keras_guard
    hostile = _hostile_values(canary)
    path = tmp_path / "x.keras"
    configs = []
    for original, _ in keras_files:
        import io as _io

        with zipfile.ZipFile(_io.BytesIO(original)) as zf:
            configs.append(json.loads(zf.read("config.json")))

    @_settings(1000 * scale)
    @given(st.data())
    def run(data):
        which = data.draw(st.integers(0, len(keras_files) - 1))
        config = json.loads(json.dumps(configs[which]))
        all_paths = list(_paths(config))
        class_paths = [p for p in all_paths if p and p[-1] == "class_name"]
        for _ in range(data.draw(st.integers(1, 3))):
            if data.draw(st.integers(0, 2)) == 0:
                target = data.draw(st.sampled_from(class_paths))
                value = data.draw(st.sampled_from(_CLASS_POOL))
            else:
                target = data.draw(st.sampled_from(all_paths))
                value = data.draw(st.sampled_from(hostile) | _JSON_VALUES)
            try:
                config = _replace(config, target, value)
            except (KeyError, IndexError, TypeError):
                pass
        text = json.dumps(config)
        buf = _rezip(keras_files[which][0], path, {"config.json": text.encode()})
        _load_keras(guard, path, buf, f"config {text[:400]}")

    with guard.active():
        run()
    print(guard.report())
    guard.check()


def _handcrafted_keras(tmp_path, original, canary):
    """(name, bytes) of hand-made hostile .keras files."""
    import io as _io

    def zipped(members, compression=zipfile.ZIP_DEFLATED):
        buf = _io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=compression) as zf:
            for n, d in members.items():
                zf.writestr(n, d)
        return buf.getvalue()

    with zipfile.ZipFile(_io.BytesIO(original)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])

    def dense(inputs, units):
        layers = [{"class_name": "Dense", "config": {"units": units}}]
        return json.dumps({"class_name": "Sequential", "config": {"build_input_shape": [None, inputs],
                                                                  "layers": layers}}).encode()

    header = json.dumps({"a": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 4]}}).encode()
    huge_weights = struct.pack("<Q", len(header)) + header + b"\0" * 4
    cases = [
        ("traversal", zipped({**members, "../evil.py": b"import os"})),
        ("absolute", zipped({**members, "/tmp/evil": b"x"})),
        ("windows drive", zipped({**members, "C:\\evil": b"x"})),
        ("nested traversal", zipped({**members, "a/../../b": b"x"})),
        ("pickle member", zipped({**members, "model.pkl": b"\x80\x04cos\nsystem\n."})),
        ("duplicate member", _duplicate_member(members)),
        ("zip bomb config", zipped({"config.json": b" " * (60 * 1024 * 1024)})),
        ("no config", zipped({k: v for k, v in members.items() if k != "config.json"})),
        ("config not JSON", zipped({**members, "config.json": b"\xff{"})),
        ("config deep", zipped({**members, "config.json": b"[" * 200000})),
        ("config os.system layer", zipped({**members, "config.json": json.dumps(
            _replace(json.loads(json.dumps(config)), ("config", "layers", 0, "class_name"), "os.system")).encode()})),
        ("config Lambda", zipped({**members, "config.json": json.dumps({"class_name": "Sequential", "config": {
            "layers": [{"class_name": "Lambda", "config": {"function": f"open({str(canary)!r},'w')"}}]}}).encode()})),
        ("config module class", zipped({**members, "config.json": json.dumps({
            "module": "os", "class_name": "system", "config": f"touch {canary}"}).encode()})),
        ("huge Dense", zipped({**members, "config.json": dense(10**6, 10**6)})),
        ("big Dense, tiny weights", zipped({**members, "config.json": dense(2048, 2048)})),
        ("weights huge shape", zipped({**members, "model.weights.safetensors": huge_weights})),
        ("weights wrong dtype", zipped({**members, "model.weights.safetensors": safetensors_dumps(
            {k: v.astype(np.int64) for k, v in safetensors_loads(members["model.weights.safetensors"])[0].items()})})),
        ("weights object npz", zipped({k: v for k, v in members.items() if not k.startswith("model.weights")}
                                      | {"model.weights.npz": _object_npz()})),
        ("stored not deflated", zipped(members, compression=zipfile.ZIP_STORED)),
    ]
    return cases


def _duplicate_member(members):
    import io as _io
    import warnings

    buf = _io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buf, "w") as zf:
            for n, d in members.items():
                zf.writestr(n, d)
            zf.writestr("config.json", b'{"class_name": "os.system"}')
    return buf.getvalue()


def _object_npz():
    import io as _io

    buf = _io.BytesIO()
    np.savez(buf, a=np.array([{"x": 1}, None], dtype=object))
    return buf.getvalue()


@needs_keras
def test_handcrafted_keras_files(tmp_path, keras_files, keras_guard):
    guard, canary = keras_guard
    original, signature = keras_files[0]
    path = tmp_path / "x.keras"
    loaded = []
    with guard.active():
        for name, data in _handcrafted_keras(tmp_path, original, canary):
            out = _load_keras(guard, path, data, name)
            if out and out[0]:
                loaded.append(name)
    print(guard.report(), "loaded:", loaded)
    assert set(loaded) <= {"stored not deflated", "weights wrong dtype"}, f"hostile files that loaded: {loaded}"
    guard.check()
