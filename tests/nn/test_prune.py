"""deepgrad.nn.utils.prune against torch.nn.utils.prune on the same weights: masks chosen (no ties),
the weight_orig/weight_mask reparametrization, gradients, iterative and global pruning, remove."""
import copy

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as tprune

import deepgrad as dg
from deepgrad import nn, optim
from deepgrad.backend import cupy_module
from deepgrad.nn.utils import prune


def _pair(kind="linear", seed=0):
    torch.manual_seed(seed)
    if kind == "linear":
        t, d = torch.nn.Linear(7, 5), nn.Linear(7, 5)
    else:
        t, d = torch.nn.Conv2d(3, 6, 3), nn.Conv2d(3, 6, 3)
    d.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return t, d


def _x(kind, seed=1):
    shape = (4, 7) if kind == "linear" else (2, 3, 6, 6)
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _same_masks(t, d, names=("weight",)):
    for n in names:
        np.testing.assert_array_equal(getattr(d, n + "_mask").numpy(), getattr(t, n + "_mask").numpy(), err_msg=n)


def _same_forward_backward(t, d, kind):
    x = _x(kind)
    yt, yd = t(torch.tensor(x)), d(dg.tensor(x))
    np.testing.assert_allclose(yd.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    (yt ** 2).sum().backward()
    (yd ** 2).sum().backward()
    for (n, pt), (m, pd) in zip(t.named_parameters(), d.named_parameters()):
        assert n == m
        np.testing.assert_allclose(pd.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=n)


@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_l1_unstructured_reparametrizes_as_torch(kind):
    t, d = _pair(kind)
    weight = d.weight
    assert prune.l1_unstructured(d, "weight", amount=0.3) is d
    assert d.weight_orig is weight  # the same Parameter object (an optimizer built before keeps working)
    tprune.l1_unstructured(t, "weight", amount=0.3)
    _same_masks(t, d)
    assert list(d.state_dict()) == list(t.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert [n for n, _ in d.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in d.named_buffers()] == ["weight_mask"]
    assert d.weight_mask.dtype == np.float32 and not isinstance(d.weight, nn.Parameter)
    np.testing.assert_array_equal(d.weight.numpy(), t.weight.detach().numpy())
    assert prune.is_pruned(d) and len(d._forward_pre_hooks) == 1
    _same_forward_backward(t, d, kind)
    g = d.weight_orig.grad.numpy()
    assert np.all(g[d.weight_mask.numpy() == 0] == 0) and np.any(g != 0)  # the mask reaches weight_orig's gradient


@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_iterative_l1_prunes_a_fraction_of_the_remaining_weights(kind):
    t, d = _pair(kind)
    n = t.weight.numel()
    left = n
    for amount in (0.2, 0.2, 0.2, 3, 0.5):
        tprune.l1_unstructured(t, "weight", amount=amount)
        prune.l1_unstructured(d, "weight", amount=amount)
        _same_masks(t, d)
        left -= amount if isinstance(amount, int) else round(amount * left)
        assert int(d.weight_mask.numpy().sum()) == left
    hook, = d._forward_pre_hooks.values()
    assert isinstance(hook, prune.PruningContainer) and len(hook) == 5
    assert all(type(h) is prune.L1Unstructured for h in hook) and hook[0].amount == 0.2
    _same_forward_backward(t, d, kind)


def test_pruning_bias_with_an_int_amount_and_two_tensors_of_one_module():
    t, d = _pair("linear")
    for m, p in ((t, tprune), (d, prune)):
        p.l1_unstructured(m, "bias", amount=2)
        p.l1_unstructured(m, "weight", amount=0.5)
    _same_masks(t, d, ("weight", "bias"))
    assert list(d.state_dict()) == list(t.state_dict())
    assert len(d._forward_pre_hooks) == 2
    _same_forward_backward(t, d, "linear")


@pytest.mark.parametrize("n", [1, 2, 3, float("inf"), float("-inf"), "fro", -1])
@pytest.mark.parametrize("kind,dim", [("linear", 0), ("linear", -1), ("conv", 0), ("conv", 1), ("conv", -1)])
def test_ln_structured_matches_torch(kind, dim, n):
    if n == "fro" and kind == "conv":
        pytest.skip("torch.norm(p='fro') takes one or two dims only (deepgrad: the 2-norm over all of them)")
    t, d = _pair(kind)
    tprune.ln_structured(t, "weight", amount=0.34, n=n, dim=dim)
    prune.ln_structured(d, "weight", amount=0.34, n=n, dim=dim)
    _same_masks(t, d)
    tprune.ln_structured(t, "weight", amount=1, n=n, dim=dim)  # one more of the remaining channels
    prune.ln_structured(d, "weight", amount=1, n=n, dim=dim)
    _same_masks(t, d)
    _same_forward_backward(t, d, kind)


def test_structured_after_unstructured_and_back():
    t, d = _pair("conv")
    for m, p in ((t, tprune), (d, prune)):
        p.l1_unstructured(m, "weight", amount=0.25)
        p.ln_structured(m, "weight", amount=2, n=1, dim=0)
        p.l1_unstructured(m, "weight", amount=0.1)
    _same_masks(t, d)


def test_random_structured_prunes_whole_channels_of_the_remaining():
    dg.manual_seed(0)
    d = nn.Conv2d(3, 10, 3)
    prune.random_structured(d, "weight", amount=0.3, dim=0)
    per_channel = d.weight_mask.numpy().reshape(10, -1)
    assert set(per_channel.min(1)) <= {0.0, 1.0} and np.all(per_channel.min(1) == per_channel.max(1))
    assert int((per_channel.max(1) == 0).sum()) == 3
    prune.random_structured(d, "weight", amount=0.5, dim=0)  # half of the 7 remaining: round(3.5) = 4
    assert int((d.weight_mask.numpy().reshape(10, -1).max(1) == 0).sum()) == 7


def test_random_unstructured_sparsity_and_seed():
    masks = []
    for _ in range(2):
        dg.manual_seed(3)
        d = nn.Linear(20, 10)
        prune.random_unstructured(d, "weight", amount=0.3)
        assert int((d.weight_mask.numpy() == 0).sum()) == 60
        prune.random_unstructured(d, "weight", amount=0.5)
        assert int((d.weight_mask.numpy() == 0).sum()) == 60 + 70
        masks.append(d.weight_mask.numpy())
    np.testing.assert_array_equal(masks[0], masks[1])
    dg.manual_seed(4)
    d = nn.Linear(20, 10)
    prune.random_unstructured(d, "weight", amount=0.3)
    assert not np.array_equal(d.weight_mask.numpy(), masks[0])


def _models(seed=1):
    torch.manual_seed(seed)
    t = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.Flatten(), torch.nn.Linear(64, 10), torch.nn.ReLU(),
                            torch.nn.Linear(10, 3))
    d = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(64, 10), nn.ReLU(), nn.Linear(10, 3))
    d.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return t, d


def test_global_unstructured_matches_torch_across_layers():
    t, d = _models()
    pt = [(t[0], "weight"), (t[2], "weight"), (t[4], "weight"), (t[4], "bias")]
    pd = [(d[0], "weight"), (d[2], "weight"), (d[4], "weight"), (d[4], "bias")]
    tprune.l1_unstructured(t[2], "weight", amount=0.1)  # an already pruned tensor joins with its mask
    prune.l1_unstructured(d[2], "weight", amount=0.1)
    for amount in (0.5, 30):
        tprune.global_unstructured(pt, pruning_method=tprune.L1Unstructured, amount=amount)
        assert prune.global_unstructured(pd, pruning_method=prune.L1Unstructured, amount=amount) is None
        for (mt, n), (md, _) in zip(pt, pd):
            _same_masks(mt, md, (n,))
    per_layer = [float((m.weight_mask.numpy() == 0).mean()) for m in (d[0], d[2], d[4])]
    assert len(set(per_layer)) == 3  # global: the layers end up with different sparsities
    assert list(d.state_dict()) == list(t.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)
    yt, yd = t(torch.tensor(x)), d(dg.tensor(x))
    np.testing.assert_allclose(yd.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    yt.sum().backward()
    yd.sum().backward()
    for (n, a), b in zip(t.named_parameters(), d.parameters()):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=n)


def test_global_unstructured_with_importance_scores_and_random():
    t, d = _models()
    scores = np.arange(640.0).reshape(10, 64)[:, ::-1].copy()
    tprune.global_unstructured([(t[2], "weight"), (t[4], "weight")], tprune.L1Unstructured,
                               importance_scores={(t[2], "weight"): torch.tensor(scores)}, amount=0.1)
    prune.global_unstructured([(d[2], "weight"), (d[4], "weight")], prune.L1Unstructured,
                              importance_scores={(d[2], "weight"): dg.tensor(scores)}, amount=0.1)
    _same_masks(t[2], d[2])
    _same_masks(t[4], d[4])
    dg.manual_seed(0)
    before = int((d[2].weight_mask.numpy() == 0).sum())
    prune.global_unstructured(iter([(d[0], "weight"), (d[2], "weight")]), prune.RandomUnstructured, amount=100)
    assert int((d[0].weight_mask.numpy() == 0).sum() + (d[2].weight_mask.numpy() == 0).sum()) == before + 100


def test_importance_scores_and_custom_from_mask_and_identity():
    t, d = _pair("conv")
    scores = np.random.default_rng(0).permutation(t.weight.numel()).reshape(t.weight.shape).astype(np.float32)
    tprune.l1_unstructured(t, "weight", 20, importance_scores=torch.tensor(scores))
    prune.l1_unstructured(d, "weight", 20, importance_scores=dg.tensor(scores))
    _same_masks(t, d)
    tprune.ln_structured(t, "weight", 0.5, n=2, dim=1, importance_scores=torch.tensor(scores))
    prune.ln_structured(d, "weight", 0.5, n=2, dim=1, importance_scores=dg.tensor(scores))
    _same_masks(t, d)
    bias_mask = np.array([1, 0, 1, 1, 0, 1])
    tprune.custom_from_mask(t, "bias", torch.tensor(bias_mask))
    prune.custom_from_mask(d, "bias", dg.tensor(bias_mask))
    _same_masks(t, d, ("bias",))
    assert d.bias_mask.dtype == np.float32
    tprune.identity(t, "bias")
    prune.identity(d, "bias")
    _same_masks(t, d, ("weight", "bias"))
    _same_forward_backward(t, d, "conv")


def test_remove_makes_the_pruning_permanent():
    t, d = _pair("linear")
    for m, p in ((t, tprune), (d, prune)):
        p.l1_unstructured(m, "weight", amount=0.4)
        p.l1_unstructured(m, "weight", amount=0.4)
    orig = d.weight_orig
    assert prune.remove(d, "weight") is d
    tprune.remove(t, "weight")
    assert list(d.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    assert d.weight is orig and isinstance(d.weight, nn.Parameter)  # the same Parameter (optimizers keep it)
    np.testing.assert_array_equal(d.weight.numpy(), t.weight.detach().numpy())
    assert not prune.is_pruned(d) and not d._forward_pre_hooks and not list(d.named_buffers())
    prune.l1_unstructured(d, "weight", amount=0.5)  # pruning again starts from a fresh mask
    assert int((d.weight_mask.numpy() == 0).sum()) == 18
    with pytest.raises(ValueError, match="Parameter 'bias' of module .*has to be pruned before"):
        prune.remove(d, "bias")


def test_training_keeps_pruned_weights_at_zero():
    t, d = _pair("linear")
    tprune.l1_unstructured(t, "weight", amount=0.5)
    prune.l1_unstructured(d, "weight", amount=0.5)
    ot = torch.optim.SGD(t.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    od = optim.SGD(d.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    x = _x("linear")
    for _ in range(3):
        for m, o, xx in ((t, ot, torch.tensor(x)), (d, od, dg.tensor(x))):
            o.zero_grad()
            (m(xx) ** 2).mean().backward()
            o.step()
    d(dg.tensor(x))  # the pre-hook recomputes weight from the updated weight_orig
    t(torch.tensor(x))
    np.testing.assert_allclose(d.weight_orig.numpy(), t.weight_orig.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(d.weight.numpy(), t.weight.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert np.all(d.weight.numpy()[d.weight_mask.numpy() == 0] == 0)


def test_state_dict_round_trip_deepcopy_and_torch_checkpoint():
    t, d = _pair("conv")
    tprune.l1_unstructured(t, "weight", amount=0.6)
    fresh = nn.Conv2d(3, 6, 3)
    prune.identity(fresh, "weight")
    fresh.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})  # a torch checkpoint
    x = _x("conv")
    np.testing.assert_allclose(fresh(dg.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    clone = copy.deepcopy(fresh)
    assert prune.is_pruned(clone) and list(clone.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    np.testing.assert_array_equal(clone(dg.tensor(x)).numpy(), fresh(dg.tensor(x)).numpy())


def test_custom_pruning_method_as_in_the_torch_tutorial():
    def foobar(p):
        class FooBar(p.BasePruningMethod):
            PRUNING_TYPE = "unstructured"

            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.view(-1)[::2] = 0
                return mask
        return FooBar

    t, d = _pair("linear")
    for _ in range(2):  # the second time acts on the entries the first one left
        foobar(tprune).apply(t, "bias")
        foobar(prune).apply(d, "bias")
    _same_masks(t, d, ("bias",))
    np.testing.assert_array_equal(d.bias_mask.numpy(), [0, 0, 0, 1, 0])


def test_methods_outside_a_module():
    w = np.array([[3.0, -1.0, 2.0], [0.5, -4.0, 0.25]], dtype=np.float32)
    for amount in (2, 0.5):
        mt, md = tprune.L1Unstructured(amount), prune.L1Unstructured(amount)
        np.testing.assert_array_equal(md.prune(dg.tensor(w)).numpy(), mt.prune(torch.tensor(w)).numpy())
        np.testing.assert_array_equal(md.compute_mask(dg.tensor(w), dg.ones(2, 3)).numpy(),
                                      mt.compute_mask(torch.tensor(w), torch.ones(2, 3)).numpy())
    mt, md = tprune.LnStructured(1, n=1, dim=1), prune.LnStructured(1, n=1, dim=1)
    np.testing.assert_array_equal(md.prune(dg.tensor(w)).numpy(), mt.prune(torch.tensor(w)).numpy())
    c = prune.PruningContainer(md)
    assert c._tensor_name is None and len(c) == 1 and list(c) == [md]


_ERRORS = [
    (lambda p, m: p.l1_unstructured(m, "weight", 1.5), ValueError, "amount=1.5 should either be a float in the range"),
    (lambda p, m: p.random_unstructured(m, "weight", -1), ValueError, "amount=-1 should either be a float"),
    (lambda p, m: p.l1_unstructured(m, "weight", "0.2"), TypeError, "Invalid type for amount: 0.2"),
    (lambda p, m: p.l1_unstructured(m, "weight", 100), ValueError,
     "amount=100 should be smaller than the number of parameters to prune=35"),
    (lambda p, m: p.l1_unstructured(m, "nope", 0.2), AttributeError, "has no attribute 'nope'"),
    (lambda p, m: p.ln_structured(m, "bias", 0.2, 2, 0), ValueError,
     "Structured pruning can only be applied to multidimensional tensors"),
    (lambda p, m: p.ln_structured(m, "weight", 0.2, 2, 2), IndexError, "Invalid index 2 for tensor of size"),
    (lambda p, m: p.random_structured(m, "weight", 0.2, 5), IndexError, "Invalid index 5"),
    (lambda p, m: p.random_structured(m, "weight", 6, 0), ValueError, "amount=6 should be smaller"),
    (lambda p, m: p.remove(m, "weight"), ValueError, "has to be pruned before pruning can be removed"),
    (lambda p, m: p.l1_unstructured(m, "weight", 0.2, importance_scores=(torch if p is tprune else dg).ones(3)),
     AssertionError, "importance_scores should have the same shape as parameter weight"),
    (lambda p, m: p.custom_from_mask(m, "weight", (torch if p is tprune else dg).ones(3)), AssertionError,
     "must match self.mask shape"),
    (lambda p, m: p.global_unstructured([(m, "weight")], p.RandomStructured, amount=0.2), TypeError,
     'Only "unstructured" PRUNING_TYPE supported'),
    (lambda p, m: p.global_unstructured(5, p.L1Unstructured, amount=0.2), TypeError, "parameters is not an Iterable"),
    (lambda p, m: p.global_unstructured([(m, "weight")], p.L1Unstructured, importance_scores=[1], amount=0.2),
     TypeError, "importance_scores must be of type dict"),
    (lambda p, m: p.BasePruningMethod(), TypeError, "abstract"),
]


@pytest.mark.parametrize("i", range(len(_ERRORS)))
def test_errors_as_torch(i):
    fn, kind, text = _ERRORS[i]
    t, d = _pair("linear")
    with pytest.raises(kind, match=text):
        fn(tprune, t)
    with pytest.raises(kind, match=text):
        fn(prune, d)


def test_errors_name_the_method():
    _, d = _pair("linear")
    with pytest.raises(ValueError, match="^L1Unstructured: amount=1.5"):
        prune.l1_unstructured(d, "weight", 1.5)
    with pytest.raises(IndexError, match=r"^LnStructured: Invalid index -3 for tensor of size \(5, 7\)"):
        prune.ln_structured(d, "weight", 0.5, 2, -3)  # torch: a bare 'tuple index out of range'
    with pytest.raises(ValueError, match="n='nuc' is not a supported norm order"):
        prune.ln_structured(d, "weight", 0.5, "nuc", 0)
    with pytest.raises(ValueError, match="amount=nan"):
        prune.l1_unstructured(d, "weight", float("nan"))
    with pytest.raises(TypeError, match="L1Unstructured: Linear.bias is NoneType, not a tensor"):
        prune.l1_unstructured(nn.Linear(2, 2, bias=False), "bias", 1)
    bn = nn.BatchNorm1d(3)
    with pytest.raises(TypeError, match="BatchNorm1d.running_mean is not a parameter"):
        prune.l1_unstructured(bn, "running_mean", 1)
    assert not prune.is_pruned(bn) and "running_mean" in bn.state_dict()

    class Flat(prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            return default_mask.reshape(-1)
    with pytest.raises(ValueError, match=r"Flat.compute_mask returned a mask of shape \(35,\) for Linear.weight"):
        Flat.apply(d, "weight")
    assert not prune.is_pruned(d)


def test_a_failed_pruning_leaves_the_module_as_it_was():
    _, d = _pair("linear")
    with pytest.raises(ValueError):
        prune.l1_unstructured(d, "weight", 100)
    assert [n for n, _ in d.named_parameters()] == ["weight", "bias"] and not prune.is_pruned(d)
    prune.l1_unstructured(d, "weight", 0.2)
    prune.l1_unstructured(d, "weight", 0.2)
    mask = d.weight_mask.numpy().copy()
    with pytest.raises(ValueError, match="prune=22"):  # 35 - 7 - 6 remaining
        prune.l1_unstructured(d, "weight", 23)
    hook, = d._forward_pre_hooks.values()  # torch drops the hook here; deepgrad keeps it as it was
    assert len(hook) == 2
    np.testing.assert_array_equal(d.weight_mask.numpy(), mask)


def test_reset_to_initial_keeps_masks_and_restores_survivors():
    dg.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    initial = copy.deepcopy(model.state_dict())
    opt = optim.SGD(model.parameters(), lr=0.5)
    x = dg.randn(10, 6)
    for _ in range(3):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    prune.l1_unstructured(model[2], "weight", amount=0.25)
    mask = model[0].weight_mask.numpy().copy()
    assert prune.reset_to_initial(model, initial) is model
    np.testing.assert_array_equal(model[0].weight_mask.numpy(), mask)
    np.testing.assert_array_equal(model[0].weight_orig.numpy(), initial["0.weight"].numpy())
    np.testing.assert_array_equal(model[0].weight.numpy(), initial["0.weight"].numpy() * mask)
    np.testing.assert_array_equal(model[2].bias.numpy(), initial["2.bias"].numpy())
    later = copy.deepcopy(model.state_dict())  # a pruned state works too (weight_orig keys)
    prune.reset_to_initial(model, later)
    with pytest.raises(KeyError, match="reset_to_initial: '0.bias' is not in the initial state"):
        prune.reset_to_initial(model, {})


gpu = pytest.mark.skipif(cupy_module() is None, reason="needs CuPy and a CUDA GPU")


@pytest.mark.gpu
@gpu
def test_pruning_on_gpu_follows_the_cpu():
    cpu, dev = _models()[1], _models()[1]
    dev.to("cuda")
    for m in (cpu, dev):
        prune.l1_unstructured(m[0], "weight", amount=0.3)
        prune.l1_unstructured(m[0], "weight", amount=0.3)
        prune.ln_structured(m[2], "weight", amount=0.3, n=2, dim=0)
        prune.global_unstructured([(m[2], "weight"), (m[4], "weight")], prune.L1Unstructured, amount=0.4)
        prune.custom_from_mask(m[4], "bias", np.array([1, 0, 1]))
    assert dev[0].weight_mask.device.type == "cuda" and dev[4].bias_mask.device.type == "cuda"
    for a, b in zip(cpu.buffers(), dev.buffers()):
        np.testing.assert_array_equal(b.numpy(), a.numpy())
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)
    yc, yg = cpu(dg.tensor(x)), dev(dg.tensor(x, device="cuda"))
    np.testing.assert_allclose(yg.numpy(), yc.numpy(), rtol=1e-4, atol=1e-5)
    yc.sum().backward()
    yg.sum().backward()
    for (n, a), b in zip(cpu.named_parameters(), dev.parameters()):
        assert b.grad.device.type == "cuda"
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=n)
    dg.manual_seed(0)
    before = int((dev[0].weight_mask.numpy() == 0).sum())
    prune.random_unstructured(dev[0], "weight", amount=0.5)
    assert int((dev[0].weight_mask.numpy() == 0).sum()) == before + round(0.5 * (36 - before))
    cols = int((dev[2].weight_mask.numpy().max(0) == 0).sum())
    prune.random_structured(dev[2], "weight", amount=2, dim=1)
    assert int((dev[2].weight_mask.numpy().max(0) == 0).sum()) == cols + 2
    initial = copy.deepcopy(cpu.state_dict())  # CPU arrays into the GPU model
    prune.reset_to_initial(dev, initial)
    assert dev[2].weight_orig.device.type == "cuda" and dev[2].weight.device.type == "cuda"
    np.testing.assert_array_equal(dev[2].weight_orig.numpy(), initial["2.weight_orig"].numpy())
    prune.remove(dev[0], "weight")
    assert isinstance(dev[0].weight, nn.Parameter) and dev[0].weight.device.type == "cuda"


@pytest.mark.gpu
@gpu
def test_a_model_pruned_on_the_cpu_moves_to_the_gpu():
    _, d = _pair("conv")
    prune.l1_unstructured(d, "weight", amount=0.5)
    x = _x("conv")
    expected = d(dg.tensor(x)).numpy()
    d.to("cuda")
    assert d.weight_orig.device.type == "cuda" and d.weight_mask.device.type == "cuda"
    y = d(dg.tensor(x, device="cuda"))  # the pre-hook recomputes weight on the GPU
    assert d.weight.device.type == "cuda"
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-4, atol=1e-5)
    y.sum().backward()
    assert np.all(d.weight_orig.grad.numpy()[d.weight_mask.numpy() == 0] == 0)
