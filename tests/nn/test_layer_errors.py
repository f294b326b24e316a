"""A layer given the wrong input shape names its path in the model, the expected and the actual shape."""
import pytest

import deepgrad as dg
from deepgrad import nn


def _mlp():
    return nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 10))


def test_sequential_names_the_failing_child():
    model = _mlp()
    with pytest.raises(ValueError) as info:
        model(dg.randn(32, 500))
    msg = str(info.value)
    assert msg.startswith("Sequential: model[0] Linear(in_features=784, out_features=500")
    assert "784" in msg and "(32, 500)" in msg


def test_path_to_a_deeper_child():
    model = nn.Sequential(nn.Identity(), nn.Identity(), nn.Linear(500, 10))
    with pytest.raises(ValueError) as info:
        model(dg.randn(32, 784))
    msg = str(info.value)
    assert msg.startswith("Sequential: model[2] Linear(in_features=500, out_features=10"), msg
    assert "500" in msg and "(32, 784)" in msg


def test_nested_containers_give_one_path_without_repeats():
    model = nn.Sequential(nn.Flatten(), _mlp())
    with pytest.raises(ValueError) as info:
        model(dg.randn(32, 500))
    msg = str(info.value)
    assert msg.startswith("Sequential: model[1][0] Linear(")
    assert msg.count("Sequential") == 1 and msg.count("model") == 1


def test_attribute_children_use_dotted_paths():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = _mlp()
            self.head = nn.Linear(10, 2)

        def forward(self, x):
            return self.head(self.encoder(x))

    with pytest.raises(ValueError, match=r"^Net: model\.encoder\[0\] Linear\(in_features=784") as info:
        Net()(dg.randn(4, 3))
    assert "(4, 3)" in str(info.value)


def test_a_leaf_called_alone_keeps_its_message():
    lin = nn.Linear(500, 10)
    with pytest.raises(ValueError) as info:
        lin(dg.randn(32, 784))
    assert str(info.value).startswith("Linear(in_features=500, out_features=10")
    assert "model" not in str(info.value)


def test_error_from_an_op_inside_a_custom_module_gets_the_module_named():
    class Bad(nn.Module):
        def forward(self, x):
            return x.reshape(7, 7)

    model = nn.Sequential(nn.ReLU(), Bad())
    with pytest.raises(ValueError, match=r"^Sequential: model\[1\] Bad\(\): "):
        model(dg.randn(3, 5))


def test_the_same_error_raised_twice_is_not_prefixed_twice():
    model = nn.Sequential(nn.Flatten(), _mlp())
    messages = []
    for _ in range(2):
        with pytest.raises(ValueError) as info:
            model(dg.randn(2, 5))
        messages.append(str(info.value))
    assert messages[0] == messages[1]
