"""nn.Module: registration, traversal, state_dict, modes, hooks, apply, repr, freezing, containers."""
import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch

import deepgrad as dg
from deepgrad import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.bn = nn.BatchNorm1d(8)
        self.fc2 = nn.Linear(8, 3)
        self.scale = nn.Parameter(dg.ones(3))
        self.note = "plain attribute"

    def forward(self, x):
        return self.fc2(self.bn(self.act(self.fc1(x)))) * self.scale


def test_registration_by_assignment():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in net.named_buffers()] == ["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "bn", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "bn", "fc2"]
    assert len(list(net.modules())) == 5
    assert net.note == "plain attribute" and "note" not in net._parameters
    assert sum(p.numel() for p in net.parameters()) == 4 * 8 + 8 + 16 + 8 * 3 + 3 + 3
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())


def test_reassignment_and_deletion():
    net = Net()
    net.fc1 = nn.Linear(4, 8, bias=False)
    assert "fc1.bias" not in dict(net.named_parameters())
    net.scale = None
    assert "scale" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="cannot assign"):
        net.fc2 = 3
    del net.act
    assert "act" not in dict(net.named_children())
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        net.missing  # noqa: B018


def test_assign_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"call super\(\)\.__init__\(\) first"):
        Bad()


def test_shared_parameter_listed_once():
    lin = nn.Linear(3, 3)
    seq = nn.Sequential(lin, nn.Tanh(), lin)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_state_dict_round_trip():
    dg.manual_seed(0)
    a, b = Net(), Net()
    a.train()
    a(dg.randn(5, 4))  # moves the running statistics
    sd = a.state_dict()
    assert list(sd) == ["scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "bn.running_mean",
                        "bn.running_var", "bn.num_batches_tracked", "fc2.weight", "fc2.bias"]
    w_before = b.fc1.weight
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.fc1.weight is w_before  # copied in place: optimizers keep their parameters
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), b.state_dict()[k].numpy())
    assert int(b.bn.num_batches_tracked.item()) == 1
    x = dg.randn(2, 4)
    a.eval()
    b.eval()
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    # numpy arrays are accepted too, and the copy is independent of the source
    b.load_state_dict({k: v.numpy().copy() for k, v in sd.items()})
    b.fc1.weight.data[0, 0] = 42.0
    assert a.fc1.weight.data[0, 0] != 42.0


def test_load_state_dict_strict_errors():
    net = Net()
    sd = net.state_dict()
    del sd["fc2.bias"]
    sd["extra.weight"] = dg.zeros(2)
    sd["fc1.weight"] = dg.zeros(8, 5)
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(sd)
    msg = str(err.value)
    assert 'Missing key(s) in state_dict: "fc2.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in msg
    assert "size mismatch for fc1.weight: copying a param with shape (8, 5) from checkpoint, " \
           "the shape in current model is (8, 4)" in msg
    sd["fc1.weight"] = dg.zeros(8, 4)
    with pytest.raises(RuntimeError, match="size mismatch"):
        net.load_state_dict({"fc1.weight": dg.zeros(1)}, strict=False)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc2.bias"] and result.unexpected_keys == ["extra.weight"]
    assert not net.fc1.weight.numpy().any()


def test_state_dict_loads_from_torch_with_same_names():
    t = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    d = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    d.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(d(dg.Tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_non_persistent_buffer_not_saved():
    m = nn.Module()
    m.register_buffer("keep", dg.zeros(2))
    m.register_buffer("tmp", dg.zeros(2), persistent=False)
    assert list(m.state_dict()) == ["keep"]
    assert len(list(m.buffers())) == 2


def test_train_eval_propagate():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(2)))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net[1].train(False)
    assert net.training and not net[1][0].training


def test_zero_grad_and_requires_grad_freezes():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    net[0].requires_grad_(False)
    out = net(dg.randn(5, 3)).sum()
    out.backward()
    assert net[0].weight.grad is None and net[0].bias.grad is None  # no grad computed for frozen layers
    assert net[2].weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert net[2].weight.grad is not None and not net[2].weight.grad.numpy().any()
    net.zero_grad()
    assert net[2].weight.grad is None
    net.requires_grad_(False)
    with pytest.raises(RuntimeError, match="does not require grad"):
        net(dg.randn(5, 3)).sum().backward()


def test_forward_hooks_and_pre_hooks_with_handles():
    lin = nn.Linear(2, 2)
    seen = []
    h1 = lin.register_forward_pre_hook(lambda m, args: seen.append(("pre", args[0].shape)))
    h2 = lin.register_forward_hook(lambda m, args, out: out * 0.0)
    y = lin(dg.randn(3, 2))
    assert seen == [("pre", (3, 2))]
    assert not y.numpy().any()  # the hook's result replaced the output
    h2.remove()
    assert lin(dg.randn(3, 2)).numpy().any()
    h1.remove()
    lin(dg.randn(3, 2))
    assert len(seen) == 2
    with lin.register_forward_pre_hook(lambda m, args: (args[0] * 0.0,)):  # replaces the input
        np.testing.assert_allclose(lin(dg.randn(1, 2)).numpy()[0], lin.bias.numpy())
    assert len(lin._forward_pre_hooks) == 0


def test_apply_visits_children_first():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2)))
    order = []
    assert net.apply(lambda m: order.append(type(m).__name__)) is net
    assert order == ["Linear", "Linear", "Sequential", "Sequential"]

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)

    net.apply(init)
    assert (net[1][0].weight.numpy() == 0.5).all()


def test_repr_matches_torch():
    d = nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Dropout(0.2), nn.BatchNorm1d(500),
                      nn.Sequential(nn.Linear(500, 10, bias=False), nn.LogSoftmax(dim=1)), nn.Flatten(),
                      nn.LayerNorm(10), nn.Embedding(5, 3, padding_idx=1), nn.PReLU(3), nn.GELU(), nn.Softmax(1),
                      nn.ELU(), nn.LeakyReLU(), nn.Softplus(), nn.Identity(), nn.Unflatten(1, (2, 5)),
                      nn.CrossEntropyLoss(), nn.Bilinear(2, 3, 4), nn.Hardtanh(), nn.Sigmoid())
    t = torch.nn.Sequential(torch.nn.Linear(784, 500), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                            torch.nn.BatchNorm1d(500),
                            torch.nn.Sequential(torch.nn.Linear(500, 10, bias=False), torch.nn.LogSoftmax(dim=1)),
                            torch.nn.Flatten(), torch.nn.LayerNorm(10), torch.nn.Embedding(5, 3, padding_idx=1),
                            torch.nn.PReLU(3), torch.nn.GELU(), torch.nn.Softmax(1), torch.nn.ELU(),
                            torch.nn.LeakyReLU(), torch.nn.Softplus(), torch.nn.Identity(),
                            torch.nn.Unflatten(1, (2, 5)), torch.nn.CrossEntropyLoss(), torch.nn.Bilinear(2, 3, 4),
                            torch.nn.Hardtanh(), torch.nn.Sigmoid())
    assert repr(d) == repr(t)


def test_parameter_repr_and_defaults():
    p = nn.Parameter(dg.zeros(2))
    assert p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(dg.zeros(2), requires_grad=False).requires_grad


def test_to_moves_in_place_and_casts():
    net = Net()
    params = list(net.parameters())
    assert net.to("cpu") is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    net.double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.bn.num_batches_tracked.dtype == np.int64  # integer buffers keep their dtype
    assert net(dg.randn(3, 4, dtype=dg.float64)).dtype == np.float64
    net.to(dg.float32)
    assert all(p.dtype == np.float32 for p in params)


def test_layer_shape_error_names_the_layer():
    with pytest.raises(ValueError) as err:
        nn.Linear(784, 10)(dg.randn(2, 100))
    assert str(err.value) == ("Linear(in_features=784, out_features=10, bias=True): expected input of shape "
                              "(*, 784), got shape (2, 100)")
    with pytest.raises(ValueError, match=r"BatchNorm1d\(8.*expected input of shape \(N, C\) or \(N, C, L\) "
                                         r"with C=8, got shape \(2, 4\)"):
        nn.BatchNorm1d(8)(dg.randn(2, 4))
    with pytest.raises(ValueError, match=r"LayerNorm.*expected input of shape \(\*, 5\), got shape \(2, 4\)"):
        nn.LayerNorm(5)(dg.randn(2, 4))


def test_sequential_container():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    s = nn.Sequential(a, b)
    s.append(c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert s(dg.randn(4, 2)).shape == (4, 1)
    named = nn.Sequential(OrderedDict([("fc", a), ("act", b)]))
    assert named.fc is a and [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    del s[1]
    assert list(s) == [a, c] and list(s._modules) == ["0", "1"]
    s.insert(1, b)
    assert list(s) == [a, b, c]
    with pytest.raises(IndexError, match="Sequential: index 5 is out of range for 3 modules"):
        s[5]  # noqa: B018


def test_module_list_dict_parameter_list():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
            self.heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 4)})
            self.extra = nn.ParameterList([nn.Parameter(dg.ones(2)), dg.zeros(3)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return self.heads["b"](x)

    m = M()
    names = [n for n, _ in m.named_parameters()]
    assert "layers.2.weight" in names and "heads.b.bias" in names and "extra.1" in names
    assert len(m.layers) == 3 and len(m.heads) == 2 and len(m.extra) == 2
    assert isinstance(m.extra[1], nn.Parameter)
    m.layers.append(nn.Linear(2, 2))
    assert len(list(m.parameters())) == 4 * 2 + 2 * 2 + 2
    assert m(dg.randn(5, 2)).shape == (5, 4)
    assert list(m.heads.keys()) == ["a", "b"]


def test_deepcopy_gives_an_independent_model():
    a = Net()
    b = copy.deepcopy(a)
    assert type(b.fc1.weight) is nn.Parameter and b.fc1.weight.requires_grad
    assert b.fc1.weight is not a.fc1.weight and b.fc1.weight.data is not a.fc1.weight.data
    np.testing.assert_array_equal(a.fc1.weight.numpy(), b.fc1.weight.numpy())
    b.fc1.weight.data[...] = 0
    assert a.fc1.weight.numpy().any()
    assert list(b.state_dict()) == list(a.state_dict())
