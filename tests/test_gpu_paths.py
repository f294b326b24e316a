"""The device paths the per-suite GPU tests do not reach: saving and loading CUDA models, checkpoints,
state_dicts across devices, gradient clipping, schedulers, summaries, gradcheck, the default device
with Keras, DataLoader(device=), plots of CUDA tensors.  Each runs on 'cuda' and compares with CPU.

They need CuPy and a GPU, or tests/cupy_emulator.py (``DEEPGRAD_TEST_CUPY_EMULATOR=1``, which
``make test`` uses for its second pass).
"""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn, optim
from deepgrad.backend import cupy_module

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")]


def _on_cuda(t):
    return type(t.data).__module__.startswith("cupy")


def _mlp(seed=0):
    dg.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.BatchNorm1d(16), nn.Linear(16, 3))


def _batch(seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((32, 6)).astype(np.float32), rng.integers(0, 3, 32)


def _train(model, opt, x, y, steps=5, sched=None, clip=None):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        if clip is not None:
            clip()
        opt.step()
        if sched is not None:
            sched.step()
        losses.append(loss.item())
    return losses


def test_training_with_clipping_and_scheduler_follows_cpu():
    xn, yn = _batch()
    runs = {}
    for dev in ("cpu", "cuda"):
        model = _mlp().to(dev)
        opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-3)
        sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=10)
        x, y = dg.tensor(xn, device=dev), dg.tensor(yn, device=dev)
        norms = []

        def clip(model=model, norms=norms):
            norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), 0.5)))
            nn.utils.clip_grad_value_(model.parameters(), 0.2)

        runs[dev] = (_train(model, opt, x, y, steps=10, sched=sched, clip=clip), norms,
                     {k: v.numpy() for k, v in model.state_dict().items()})
        assert all(_on_cuda(p) for p in model.parameters()) == (dev == "cuda")
    np.testing.assert_allclose(runs["cuda"][0], runs["cpu"][0], rtol=1e-5)
    np.testing.assert_allclose(runs["cuda"][1], runs["cpu"][1], rtol=1e-5)
    for k, v in runs["cpu"][2].items():
        np.testing.assert_allclose(runs["cuda"][2][k], v, rtol=1e-4, atol=1e-6, err_msg=k)


def test_state_dict_moves_between_devices():
    gpu = _mlp(0).to("cuda")
    cpu = _mlp(1)
    cpu.load_state_dict(gpu.state_dict())  # CUDA tensors into a CPU model: copied to the host
    assert not any(_on_cuda(p) for p in cpu.parameters())
    for (k, a), b in zip(gpu.state_dict().items(), cpu.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    back = _mlp(2).to("cuda")
    back.load_state_dict(cpu.state_dict())  # and CPU tensors into a CUDA model
    assert all(_on_cuda(p) for p in back.parameters()) and all(_on_cuda(b) for b in back.buffers())
    x = dg.tensor(_batch()[0])
    back.eval()
    cpu.eval()
    np.testing.assert_allclose(back(x.cuda()).numpy(), cpu(x).numpy(), rtol=1e-5, atol=1e-6)


def test_save_and_load_a_cuda_model_and_optimizer(tmp_path):
    model = _mlp().to("cuda")
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    xn, yn = _batch()
    _train(model, opt, dg.tensor(xn, device="cuda"), dg.tensor(yn, device="cuda"), steps=2)
    dg.save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "m.dg")
    loaded = dg.load(tmp_path / "m.dg")
    cpu = _mlp(5)
    cpu.load_state_dict(loaded["model"])
    for (k, a), b in zip(model.state_dict().items(), cpu.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    opt2 = optim.SGD(cpu.parameters(), lr=0.1, momentum=0.9)
    opt2.load_state_dict(loaded["opt"])
    model.eval()
    cpu.eval()
    np.testing.assert_array_equal(model(dg.tensor(xn, device="cuda")).numpy(), cpu(dg.tensor(xn)).numpy())


def test_checkpointer_resumes_a_cuda_run_exactly(tmp_path):
    from deepgrad.train import Checkpointer

    xn, yn = _batch()
    x, y = dg.tensor(xn, device="cuda"), dg.tensor(yn, device="cuda")
    model = _mlp().to("cuda")
    opt = optim.Adam(model.parameters(), lr=0.01)
    _train(model, opt, x, y, steps=3)
    ck = Checkpointer(tmp_path)
    ck.save(3, model=model, optimizer=opt)
    ref = _train(model, opt, x, y, steps=3)

    model2 = _mlp(9).to("cuda")
    opt2 = optim.Adam(model2.parameters(), lr=0.01)
    assert ck.restore(model=model2, optimizer=opt2)["step"] == 3
    assert all(_on_cuda(p) for p in model2.parameters())
    assert all(_on_cuda(s) for st in opt2.state.values() for s in st.values() if isinstance(s, dg.Tensor))
    assert _train(model2, opt2, x, y, steps=3) == ref


def test_summary_gradcheck_and_penalties_on_cuda():
    from deepgrad.utils.gradcheck import gradcheck

    model = _mlp().to("cuda")
    lines = []
    dg.summary(model, (6,), device="cuda", print_fn=lines.append)
    assert any("Linear" in line for line in lines)
    x = dg.randn(3, 4, dtype="float64", device="cuda", requires_grad=True)
    w = dg.randn(5, 4, dtype="float64", device="cuda", requires_grad=True)
    assert gradcheck(lambda a, b: nn.functional.gelu(a @ b.T).sum(), (x, w))
    pen = nn.utils.l2_penalty(model)
    assert _on_cuda(pen)
    cpu = _mlp()
    np.testing.assert_allclose(pen.item(), nn.utils.l2_penalty(cpu).item(), rtol=1e-6)
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert _on_cuda(vec)
    nn.utils.vector_to_parameters(vec * 0.5, model.parameters())
    np.testing.assert_allclose(nn.utils.l2_penalty(model).item(), pen.item() * 0.25, rtol=1e-5)


def test_dataloader_places_batches_on_cuda_and_keeps_order():
    from deepgrad.data import DataLoader, TensorDataset

    xn, yn = _batch()
    ds = TensorDataset(dg.tensor(xn), dg.tensor(yn))
    dg.manual_seed(3)
    cpu = [(bx.numpy(), by.numpy()) for bx, by in DataLoader(ds, batch_size=8, shuffle=True)]
    dg.manual_seed(3)
    gpu = list(DataLoader(ds, batch_size=8, shuffle=True, device="cuda"))
    assert all(_on_cuda(bx) and _on_cuda(by) for bx, by in gpu)
    for (a, b), (c, d) in zip(cpu, gpu):
        np.testing.assert_array_equal(a, c.numpy())
        np.testing.assert_array_equal(b, d.numpy())


def test_keras_follows_the_default_device_and_saves(tmp_path):
    from deepgrad.keras import layers, models

    xn, yn = _batch()
    dg.set_default_device("cuda")
    try:
        dg.manual_seed(0)
        model = models.Sequential([layers.Input(shape=(6,)), layers.Dense(8, activation="tanh"),
                                   layers.Dense(3, activation="softmax")])
        assert all(_on_cuda(w) for w in model.weights)
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        h = model.fit(xn, yn, epochs=3, batch_size=8, verbose=0)
        assert np.all(np.isfinite(h.history["loss"]))
        pred = model.predict(xn, verbose=0)
        assert isinstance(pred, np.ndarray)
        model.save(tmp_path / "m.keras")
    finally:
        dg.set_default_device("cpu")
    loaded = models.load_model(tmp_path / "m.keras")
    assert not any(_on_cuda(w) for w in loaded.weights)
    np.testing.assert_allclose(loaded.predict(xn, verbose=0), pred, rtol=1e-5, atol=1e-6)
    for w, v in zip(model.get_weights(), loaded.get_weights()):
        assert isinstance(w, np.ndarray)
        np.testing.assert_array_equal(w, v)


def test_plots_and_confusion_matrix_take_cuda_tensors(tmp_path):
    pytest.importorskip("matplotlib")
    from deepgrad import viz

    y_true = dg.tensor(np.array([0, 1, 2, 2, 1]), device="cuda")
    y_pred = dg.tensor(np.array([0, 2, 2, 2, 1]), device="cuda")
    cm = viz.confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(np.asarray(cm), [[1, 0, 0], [0, 1, 1], [0, 0, 2]])
    viz.plot_confusion_matrix(y_true, y_pred, path=tmp_path / "cm.png")
    images = dg.rand(5, 8, 8, device="cuda")
    viz.plot_misclassified(images, y_true, y_pred, path=tmp_path / "mis.png")
    assert (tmp_path / "cm.png").stat().st_size > 0 and (tmp_path / "mis.png").stat().st_size > 0


def test_modules_follow_the_default_device():
    """As ``torch.set_default_device``: layers built without ``device=`` put their tensors there."""
    from deepgrad.keras import layers, models

    dg.set_default_device("cuda")
    try:
        mods = [nn.Linear(2, 3), nn.Bilinear(2, 2, 3), nn.Conv1d(2, 3, 3), nn.Conv2d(2, 3, 3),
                nn.ConvTranspose2d(2, 3, 3), nn.BatchNorm2d(3), nn.LayerNorm(3), nn.Embedding(5, 3), nn.PReLU()]
        keras = models.Sequential([layers.Input(shape=(8, 8, 2)), layers.Conv2D(3, 3), layers.BatchNormalization(),
                                   layers.PReLU(), layers.Flatten(), layers.Dense(4)])
    finally:
        dg.set_default_device("cpu")
    for m in mods:
        tensors = dict(m.named_parameters()) | dict(m.named_buffers())
        assert tensors and all(_on_cuda(t) for t in tensors.values()), (m, tensors.keys())
    assert all(_on_cuda(w) for w in keras.weights)
    assert not _on_cuda(nn.Linear(2, 3).weight)


def test_labels_ids_and_class_weights_on_the_wrong_device_are_named():
    import re

    logits = dg.randn(4, 3, device="cuda", requires_grad=True)
    labels = np.array([0, 1, 2, 1])
    cpu_labels = dg.tensor(labels, device="cpu")
    for f in (lambda: nn.functional.cross_entropy(logits, cpu_labels),
              lambda: nn.functional.nll_loss(logits, cpu_labels),
              lambda: nn.functional.cross_entropy(logits, labels, weight=dg.ones(3, device="cpu")),
              lambda: nn.functional.embedding(cpu_labels, dg.randn(5, 2, device="cuda")),
              lambda: nn.functional.embedding(dg.tensor(labels, device="cuda"), dg.randn(5, 2))):
        with pytest.raises(RuntimeError, match=re.escape("expected all tensors on the same device")) as e:
            f()
        assert "cpu" in str(e.value) and "cuda:0" in str(e.value)
    # host arrays and lists are taken onto the device of the input, as before
    loss = nn.functional.cross_entropy(logits, labels, weight=[1.0, 2.0, 1.0])
    ref = nn.functional.cross_entropy(logits.cpu(), labels, weight=[1.0, 2.0, 1.0])
    assert _on_cuda(loss)
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-6)
    assert _on_cuda(nn.functional.embedding([[0, 4]], dg.randn(5, 2, device="cuda")))


def test_keras_layer_called_on_numpy_runs_where_its_weights_are():
    from deepgrad.keras import layers

    x = np.ones((2, 4), np.float32)
    dense = layers.Dense(3)
    cpu_out = dense(x)
    dense.to("cuda")
    out = dense(x)  # host input, weights on the GPU: taken there
    assert _on_cuda(out)
    np.testing.assert_allclose(out.numpy(), cpu_out.numpy(), rtol=1e-6)
    dg.set_default_device("cuda")
    try:
        fresh = layers.Dense(3)
        assert _on_cuda(fresh(x)) and _on_cuda(fresh.weights[0])
    finally:
        dg.set_default_device("cpu")


def test_is_cuda_is_cpu_get_device_as_torch():
    c, g = dg.zeros(2), dg.zeros(2, device="cuda")
    assert (c.is_cuda, c.is_cpu, c.get_device()) == (False, True, -1)
    assert (g.is_cuda, g.is_cpu, g.get_device()) == (True, False, 0)
    assert g.cpu().is_cpu and c.cuda().is_cuda


def test_a_gpu_that_does_not_exist_is_a_clear_error():
    n = dg.cuda.device_count()
    for make in (lambda: dg.zeros(2, device=f"cuda:{n}"), lambda: dg.ones(2).to(f"cuda:{n}"),
                 lambda: nn.Linear(2, 2).to(f"cuda:{n}")):
        with pytest.raises(RuntimeError, match=f"device cuda:{n}: no such CUDA device; this machine has {n}"):
            make()


def test_clip_grad_norm_reads_nothing_back_from_the_gpu(monkeypatch):
    """No host sync per parameter (as torch): the norm and the scaling stay on the device."""
    from deepgrad.backend import cupy_module
    from deepgrad.nn.utils import clip_grad_norm_

    m, (x, y) = _mlp().to("cuda"), _batch()
    dg.cross_entropy(m(dg.tensor(x, device="cuda")), dg.tensor(y, device="cuda")).backward()
    want = [p.grad.numpy() for p in m.parameters()]
    cp = cupy_module()
    if getattr(cp, "EMULATED", False):  # on the stand-in, any read back fails the test
        for name in ("__float__", "__bool__", "__int__", "get"):
            monkeypatch.setattr(cp.ndarray, name, lambda *a, **k: pytest.fail("read back from the GPU"))
    total = clip_grad_norm_(m.parameters(), 0.1)
    monkeypatch.undo()
    norm = np.sqrt(sum((w.astype(np.float64) ** 2).sum() for w in want))
    assert total.device.type == "cuda" and float(total.item()) == pytest.approx(norm, rel=1e-5)
    for p, w in zip(m.parameters(), want):
        np.testing.assert_allclose(p.grad.numpy(), w * 0.1 / (norm + 1e-6), rtol=1e-5, atol=1e-8)


def test_bce_checks_its_input_on_the_gpu_without_a_sync(monkeypatch):
    """As the fused cross entropy's labels: the range check runs on the device, an error is raised at
    the next host read with the CPU's message."""
    from deepgrad.backend import cupy_module

    p, y = dg.tensor([0.2, 0.9], device="cuda"), dg.tensor([0.0, 1.0], device="cuda")
    cp = cupy_module()
    if getattr(cp, "EMULATED", False):
        with monkeypatch.context() as m:
            for name in ("__float__", "__bool__", "__int__", "get"):
                m.setattr(cp.ndarray, name, lambda *a, **k: pytest.fail("read back from the GPU"))
            loss = dg.binary_cross_entropy(p, y)
    else:
        loss = dg.binary_cross_entropy(p, y)
    assert float(loss.item()) == pytest.approx(-(np.log(0.8) + np.log(0.9)) / 2, rel=1e-6)
    with pytest.raises(ValueError) as cpu:
        dg.binary_cross_entropy(dg.tensor([0.5, 1.5]), dg.tensor([0.0, 1.0]))
    dg.binary_cross_entropy(dg.tensor([0.5, 1.5], device="cuda"), dg.tensor([0.0, 1.0], device="cuda"))
    with pytest.raises(ValueError) as gpu:
        dg.cuda.synchronize()
    assert str(gpu.value) == str(cpu.value) and "probabilities in [0, 1], got values in [0.5, 1.5]" in str(gpu.value)
