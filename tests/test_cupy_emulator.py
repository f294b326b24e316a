"""The CPU stand-in for CuPy (tests/cupy_emulator.py) keeps CuPy's rules, so the GPU suites it runs
catch what a GPU would: these tests run on a fresh emulated module, without installing it."""
import numpy as np
import pytest

from tests import cupy_emulator


@pytest.fixture(scope="module")
def cp():
    return cupy_emulator.build()["cupy"]


def test_device_arrays_refuse_host_arrays(cp):
    a = cp.asarray(np.arange(3.0))
    host = np.ones(3)
    for f in (lambda: a + host, lambda: host * a, lambda: cp.maximum(a, host), lambda: cp.concatenate([a, host]),
              lambda: cp.where(host > 0, a, 0.0), lambda: np.add(host, a)):
        with pytest.raises(TypeError, match="Unsupported type"):
            f()
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)


def test_device_results_stay_on_the_device(cp):
    a = cp.asarray(np.arange(6.0).reshape(2, 3))
    assert type(a).__module__.startswith("cupy") and not isinstance(a, np.ndarray)
    for r in (a + 1, a * np.float32(2), a.sum(), a[0, 1], a.max(axis=0), cp.exp(a), np.sum(a), a.T, a @ a.T,
              cp.random.default_rng(0).random((2,)), cp.lib.stride_tricks.as_strided(a, (3,), (8,))):
        assert type(r) is cupy_emulator.ndarray, r
    assert a.sum().ndim == 0 and float(a.sum()) == 15.0 and a.max().item() == 5.0
    np.testing.assert_array_equal(a.get(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(cp.asnumpy(cp.exp(a)), np.exp(np.arange(6.0).reshape(2, 3)))


def test_in_place_updates_and_out_arguments(cp):
    a = cp.zeros((2, 2), dtype=np.float32)
    b = a
    a += 1
    cp.multiply(a, 3, out=a)
    a[0] = cp.asarray(np.array([5.0, 6.0], np.float32))
    cp.add.at(a, (cp.asarray(np.array([1, 1])), 0), 1.0)
    assert b is a and a.dtype == np.float32
    np.testing.assert_array_equal(a.get(), [[5, 6], [5, 3]])


def test_kernels_compiled_for_the_cpu_follow_cupys_rules(cp):
    from tests import cupy_emulator_kernels as kernels

    if kernels.compiler() is None:
        pytest.skip("needs a C++ compiler")
    x = cp.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    b = cp.asarray(np.array([10.0, 20.0, 30.0], np.float32))
    k = cp.ElementwiseKernel("T x, T b, raw T r, int32 s", "T y", "y = x * s + b + r[i % 3]", "emu_test")
    y = k(x, b, b, 2)  # b broadcast over the rows; r indexed flat; y allocated with the broadcast shape
    np.testing.assert_array_equal(y.get(), np.arange(6).reshape(2, 3) * 2 + 2 * np.array([10, 20, 30]))
    code = """
extern "C" __global__ void emu_scale(float* a, long long n, float s) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) a[i] *= s;
}"""
    raw = cp.RawKernel(code, "emu_scale")
    a = cp.asarray(np.ones(300, np.float32))
    raw((2,), (256,), (a, np.int64(300), np.float32(3)))
    np.testing.assert_array_equal(a.get(), np.full(300, 3, np.float32))
    with pytest.raises(TypeError, match="declared 'float s' .4 bytes. but given"):
        raw((2,), (256,), (a, np.int64(300), np.float64(3)))  # a GPU would read the wrong bytes
    with pytest.raises(TypeError, match="needs a device array"):
        raw((2,), (256,), (np.ones(3, np.float32), np.int64(3), np.float32(1)))
    red = cp.ReductionKernel("T x, T s", "T y", "x", "a + b", "y = a * s", "0", "emu_sum")
    assert float(red(x, np.float32(0.5)).get()) == 7.5


def test_only_cupy_14_names_and_keywords(cp):
    """tests/cupy_api_14.json (from the real CuPy 14.2.0) bounds the emulator: what CuPy lacks fails here too."""
    a = cp.asarray(np.arange(6.0).reshape(2, 3))
    assert cupy_emulator.API["version"] == "14.2.0"
    for missing, message in ((lambda: cp.nonexistent_function, "module 'cupy' has no attribute"),
                             (lambda: cp.linalg.nonexistent_function, "module 'cupy.linalg' has no attribute"),
                             (lambda: cp.random.default_rng(0).normal, "'Generator' object has no attribute 'normal'"),
                             (lambda: cp.random.default_rng(0).permutation, "has no attribute 'permutation'"),
                             (lambda: a.nonexistent_method, "'ndarray' object has no attribute"),
                             (lambda: cp.add.nonexistent_method, "ufunc' object has no attribute")):
        with pytest.raises(AttributeError, match=message):
            missing()
    with pytest.raises(TypeError, match="Wrong arguments {'where'"):
        cp.exp(a, where=a > 0)
    for call, keyword in ((lambda: cp.sum(a, where=a > 0), "where"), (lambda: a.sum(initial=0.0), "initial"),
                          (lambda: cp.clip(a, min=0.0, max=1.0), "min"),
                          (lambda: cp.argsort(a, stable=True), "stable"),
                          (lambda: cp.ElementwiseKernel("T x", "T y", "y = x", "k", options=()), None)):
        if keyword is None:
            call()  # ElementwiseKernel takes **kwargs
            continue
        with pytest.raises(TypeError, match=f"unexpected keyword argument '{keyword}'"):
            call()
    assert cp.clip(a, 0.0, 1.0).shape == (2, 3) and a.clip(min=0.0).shape == (2, 3)  # CuPy's spellings work


def test_ufunc_methods_cupy_lacks_raise_its_errors(cp):
    a = cp.asarray(np.array([3.0, 1.0, 2.0], np.float32))
    np.testing.assert_array_equal(cp.add.accumulate(a).get(), [3, 4, 6])
    assert float(cp.multiply.reduce(a)) == 6.0
    for call in (lambda: cp.maximum.accumulate(a), lambda: cp.minimum.reduce(a), lambda: cp.subtract.reduce(a),
                 lambda: np.maximum.accumulate(a), lambda: cp.multiply.at(a, cp.asarray(np.array([0])), 2.0)):
        with pytest.raises(NotImplementedError, match="is not supported yet"):
            call()
    idx = cp.asarray(np.array([0, 0]))
    cp.maximum.at(a, idx, cp.asarray(np.array([5.0, 4.0], np.float32)))
    assert float(a[0]) == 5.0
    cp.add.at(cp.zeros(3, dtype=np.int64), idx, 1)
    with pytest.raises(TypeError, match="cupy.add.at only supports int32, int64, float16, float32, float64"):
        cp.add.at(cp.zeros(3, dtype=np.int16), idx, 1)  # no 16-bit integer atomics
    with pytest.raises(TypeError, match="cupy.maximum.at only supports int32, int64, float32"):
        cp.maximum.at(cp.zeros(3, dtype=np.float16), idx, 1)
    with pytest.raises(TypeError, match="cupy.subtract.at only supports int32, uint32"):
        cp.subtract.at(cp.zeros(3, dtype=np.float32), idx, 1)
    b = cp.zeros(3, dtype=np.int16)
    cp.add.at(b, cp.asarray(np.array([True, False, True])), 1)  # a mask takes another path, any dtype
    np.testing.assert_array_equal(b.get(), [1, 0, 1])


def test_numpy_functions_on_device_arrays_resolve_in_cupy(cp):
    a = cp.asarray(np.array([[3.0, 1.0], [2.0, 5.0]]))
    assert type(np.linalg.qr(a)[0]) is cupy_emulator.ndarray and float(np.sum(a)) == 11.0
    with pytest.raises(TypeError, match="unexpected keyword argument 'where'"):
        np.sum(a, where=a > 2)
    with pytest.raises(TypeError):  # no cupy.lib.scimath: NotImplemented, so NumPy's TypeError, as with CuPy
        np.lib.scimath.logn(2, a)


def test_device_arrays_are_no_python_ints_and_wrap_bad_indices(cp):
    import operator

    n = cp.asarray(np.array(2))
    with pytest.raises(TypeError):
        operator.index(n)
    with pytest.raises(TypeError):
        list(range(5))[n]
    assert int(n) == 2 and not hasattr(cupy_emulator.ndarray, "__imatmul__")
    a = cp.asarray(np.arange(12.0).reshape(3, 4))
    np.testing.assert_array_equal(a[cp.asarray(np.array([4, -4]))].get(), a.get()[[1, 2]])  # CuPy wraps around
    np.testing.assert_array_equal(a[..., [5]].get().ravel(), [1, 5, 9])
    a[cp.asarray(np.array([3]))] = 0.0
    assert float(a[0].sum()) == 0.0
    with pytest.raises(IndexError):
        a[3]  # a plain int is checked, as in CuPy


def test_host_copies_check_dtype_and_shape(cp):
    a = cp.zeros((2, 2), dtype=np.float32)
    with pytest.raises(TypeError, match="float64 array cannot be set to float32 array"):
        a.set(np.ones((2, 2)))
    with pytest.raises(ValueError, match="Shape mismatch"):
        a.set(np.ones(4, np.float32))
    with pytest.raises(TypeError, match="cannot be obtained from float32 array"):
        a.get(out=np.empty((2, 2)))


def _xp_calls():
    """(name, keywords, where) of every ``xp.f(...)`` / ``cp.f`` / ``x.xp.f`` / ``_xp(a).f`` in src/deepgrad."""
    import ast
    import pathlib

    def is_xp(node):
        return (isinstance(node, ast.Name) and node.id in ("xp", "cp", "cupy")) or \
               (isinstance(node, ast.Attribute) and node.attr == "xp") or \
               (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("_xp", "get_array_module"))

    root = pathlib.Path(__file__).resolve().parents[1] / "src" / "deepgrad"
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        calls = {id(n.func): n for n in ast.walk(tree) if isinstance(n, ast.Call)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and is_xp(node.value) and not node.attr.startswith("__"):
                call = calls.get(id(node))
                keywords = [k.arg for k in call.keywords if k.arg] if call else []
                yield node.attr, keywords, f"{path.relative_to(root)}:{node.lineno}"


def test_src_calls_only_what_cupy_14_has():
    """A static check of the paths no GPU test runs: every ``xp.<name>`` in src/deepgrad is in CuPy
    14.2.0 and takes the keywords it is given (numpy has more: ``np.clip(min=)``, ``where=``, ...)."""
    api = cupy_emulator.API
    bad = []
    for name, keywords, where in _xp_calls():
        spec = api["modules"]["cupy"].get(name)
        if spec is None:
            bad.append(f"{where}: cupy.{name} is not in CuPy 14.2.0")
            continue
        spec = api["ufunc"]["__call__"] if spec == "ufunc" else spec
        if isinstance(spec, list) and "**" not in spec:
            bad += [f"{where}: cupy.{name}() takes no keyword {k!r}" for k in keywords if k not in spec]
    assert not bad, "\n".join(bad)
    assert sum(1 for _ in _xp_calls()) > 300  # the scan sees deepgrad's array code


def test_sorting_is_stable_and_take_wraps_as_in_cupy(cp):
    ties = np.array([1, 0] * 20)
    a = cp.asarray(ties)
    stable = np.argsort(ties, kind="stable")
    for got in (cp.argsort(a), a.argsort(), np.argsort(a)):
        np.testing.assert_array_equal(got.get(), stable)
    with pytest.raises(ValueError, match="kind can only be None or 'stable'"):
        cp.sort(a, kind="quicksort")
    with pytest.raises(ValueError, match="kind can only be None or 'stable'"):
        a.argsort(kind="heapsort")
    b = cp.asarray(np.array([10.0, 20.0, 30.0]))
    np.testing.assert_array_equal(cp.take(b, cp.asarray(np.array([4, -4]))).get(), [20.0, 30.0])
    np.testing.assert_array_equal(cp.take_along_axis(b, cp.asarray(np.array([3])), 0).get(), [10.0])
