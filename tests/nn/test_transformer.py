"""``nn.Transformer`` and the encoder/decoder stacks against PyTorch 2.13: torch's state_dict loads
as it is, outputs and every gradient (inputs and parameters) agree in float32 and float64, train
and eval, with every mask; the causal-mask helper, the ``is_causal`` hints, the nested-tensor
inference path (zeros at padded positions), initialization and errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn
from deepgrad.utils import gradcheck

torch = pytest.importorskip("torch")

_r = np.random.default_rng(0)
E = 8
PAD_SRC = np.zeros((3, 5), bool)
PAD_SRC[0, 3:] = True
PAD_TGT = np.zeros((3, 4), bool)
PAD_TGT[2, 2:] = True
CAUSAL4 = np.triu(np.full((4, 4), -np.inf, np.float32), 1)


def _pair(make):
    """The same model in torch and deepgrad (torch's state_dict loaded into ours)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # enable_nested_tensor without batch_first
        ref, ours = make(torch.nn), make(nn)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert repr(ours) == repr(ref)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def _compare(ref, ours, arrays, masks, dtype, tol):
    xs = [dg.Tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    kd = {k: dg.Tensor(v.astype(dtype) if v.dtype != bool else v) if isinstance(v, np.ndarray) else v
          for k, v in masks.items()}
    kt = {k: torch.tensor(v.astype(dtype) if v.dtype != bool else v) if isinstance(v, np.ndarray) else v
          for k, v in masks.items()}
    out, tout = ours(*xs, **kd), ref(*ts, **kt)
    assert out.shape == tuple(tout.shape) and out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=tol, atol=tol)
    g = _r.standard_normal(tout.shape).astype(dtype)
    (out * dg.Tensor(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(ours.get_parameter(name).grad.numpy(), p.grad.numpy(), rtol=tol, atol=tol,
                                   err_msg=name)


def _x(*shape):
    return _r.standard_normal(shape)


CASES = [
    ("post_norm_causal", lambda M: M.Transformer(E, 2, 2, 2, 16), [(5, 3, E), (4, 3, E)],
     dict(tgt_mask=CAUSAL4)),
    ("batch_first_padding_masks", lambda M: M.Transformer(E, 2, 1, 2, 16, batch_first=True),
     [(3, 5, E), (3, 4, E)],
     dict(src_key_padding_mask=PAD_SRC, tgt_key_padding_mask=PAD_TGT, memory_key_padding_mask=PAD_SRC,
          tgt_mask=CAUSAL4)),
    ("pre_norm_gelu_no_bias_hints", lambda M: M.Transformer(E, 2, 1, 1, 16, activation="gelu", norm_first=True,
                                                             bias=False),
     [(5, 3, E), (4, 3, E)],
     dict(tgt_mask=CAUSAL4, tgt_is_causal=True, memory_mask=np.triu(np.ones((4, 5), bool), 2),
          src_mask=_r.standard_normal((6, 5, 5)))),
    ("unbatched", lambda M: M.Transformer(E, 2, 1, 1, 16), [(5, E), (4, E)],
     dict(src_key_padding_mask=PAD_SRC[0], tgt_mask=CAUSAL4)),
    ("custom_activation_eps", lambda M: M.Transformer(E, 4, 1, 1, 12, activation=M.functional.tanh,
                                                      layer_norm_eps=1e-3), [(5, 2, E), (4, 2, E)], {}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_transformer_matches_torch_in_eval(case, dtype):
    _, make, shapes, masks = case
    ref, ours = _pair(make)
    if dtype == np.float64:
        ref, ours = ref.double(), ours.double()
    _compare(ref.eval(), ours.eval(), [_x(*s) for s in shapes], masks, dtype, 1e-5 if dtype == np.float32 else 1e-9)


def test_transformer_matches_torch_in_training_without_dropout_and_dropout_acts():
    ref, ours = _pair(lambda M: M.Transformer(E, 2, 1, 1, 16, dropout=0.0))
    _compare(ref.train(), ours.train(), [_x(5, 3, E), _x(4, 3, E)], dict(tgt_mask=CAUSAL4), np.float32, 1e-5)
    model = nn.Transformer(E, 2, 1, 1, 16, dropout=0.5, batch_first=True)
    src, tgt = dg.Tensor(_x(2, 5, E).astype(np.float32)), dg.Tensor(_x(2, 4, E).astype(np.float32))
    model.eval()
    np.testing.assert_array_equal(model(src, tgt).numpy(), model(src, tgt).numpy())
    model.train()
    assert not np.allclose(model(src, tgt).numpy(), model.eval()(src, tgt).numpy())


def test_gradcheck_float64():
    dg.manual_seed(0)
    model = nn.Transformer(4, 2, 1, 1, 6, dropout=0.0, dtype="float64")
    src = dg.Tensor(_x(3, 2, 4), requires_grad=True)
    tgt = dg.Tensor(_x(2, 2, 4), requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(2, dtype="float64")
    params = [model.encoder.layers[0].self_attn.in_proj_weight, model.decoder.layers[0].multihead_attn.out_proj.bias,
              model.decoder.norm.weight]

    def f(src, tgt, *ps):
        return (model(src, tgt, tgt_mask=mask) ** 2).sum()

    assert gradcheck(f, [src, tgt] + params)


def test_generate_square_subsequent_mask_as_torch():
    ours = nn.Transformer.generate_square_subsequent_mask(5)
    np.testing.assert_array_equal(ours.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(5).numpy())
    assert ours.dtype == np.float32
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype="float64").dtype == np.float64


def test_is_causal_hints_pass_through_the_stacks_as_torch():
    layer = nn.TransformerEncoderLayer(E, 2, 16)
    enc, dec = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False), nn.TransformerDecoder(
        nn.TransformerDecoderLayer(E, 2, 16), 2)
    x = dg.ones(5, 3, E)
    for call in (lambda: layer(x, is_causal=True), lambda: enc(x, is_causal=True),
                 lambda: dec(x, x, tgt_is_causal=True), lambda: dec(x, x, memory_is_causal=True)):
        with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
            call()
    ref, ours = _pair(lambda M: M.TransformerEncoderLayer(E, 2, 16))
    causal = np.triu(np.ones((5, 5), bool), 1)
    _compare(ref.eval(), ours.eval(), [_x(5, 3, E)], dict(src_mask=causal, is_causal=True), np.float32, 1e-5)
    ref, ours = _pair(lambda M: M.TransformerDecoder(M.TransformerDecoderLayer(E, 2, 16, batch_first=True), 2))
    _compare(ref.double().eval(), ours.double().eval(), [_x(3, 4, E), _x(3, 5, E)],
             dict(tgt_mask=CAUSAL4, tgt_is_causal=None), np.float64, 1e-9)


@pytest.mark.parametrize("norm", [False, True])
def test_encoder_inference_on_right_padded_batch_zeros_the_padding_as_torch(norm):
    make = (lambda M: M.TransformerEncoder(M.TransformerEncoderLayer(E, 2, 16, batch_first=True), 2,
                                           norm=M.LayerNorm(E) if norm else None))
    ref, ours = _pair(make)
    ref.eval(), ours.eval()
    if norm:  # torch's nested-tensor path: padded positions come out 0, then go through the final norm
        with torch.no_grad():
            ref.norm.bias.add_(0.5)
        ours.norm.bias.data[...] = ref.norm.bias.detach().numpy()
    x = _x(3, 5, E).astype(np.float32)
    pad = PAD_SRC.copy()
    pad[1, 4] = True
    with torch.no_grad():
        tout = ref(torch.tensor(x), src_key_padding_mask=torch.tensor(pad)).numpy()
    with dg.no_grad():
        out = ours(dg.Tensor(x), src_key_padding_mask=dg.Tensor(pad)).numpy()
    np.testing.assert_allclose(out, tout, rtol=1e-5, atol=1e-5)
    assert np.allclose(out[pad], 0.5 if norm else 0.0)
    # with gradients (or left padding) torch runs the ordinary path, padded positions included
    grad_out = ours(dg.Tensor(x), src_key_padding_mask=dg.Tensor(pad)).numpy()
    tgrad = ref(torch.tensor(x), src_key_padding_mask=torch.tensor(pad)).detach().numpy()
    np.testing.assert_allclose(grad_out, tgrad, rtol=1e-5, atol=1e-5)
    assert not np.allclose(grad_out[pad], 0.5 if norm else 0.0)
    left = pad[:, ::-1].copy()
    with torch.no_grad():
        tout = ref(torch.tensor(x), src_key_padding_mask=torch.tensor(left)).numpy()
    with dg.no_grad():
        out = ours(dg.Tensor(x), src_key_padding_mask=dg.Tensor(left)).numpy()
    np.testing.assert_allclose(out, tout, rtol=1e-5, atol=1e-5)


def test_use_nested_tensor_and_its_warning_as_torch():
    with pytest.warns(UserWarning, match="use_nested_tensor is False because encoder_layer.self_attn.batch_first"):
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, 2, 16), 2)
    assert enc.enable_nested_tensor and not enc.use_nested_tensor
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, 2, 16, batch_first=True), 2)
        assert enc.use_nested_tensor
        assert not nn.TransformerEncoder(nn.TransformerEncoderLayer(E, 2, 16), 2,
                                         enable_nested_tensor=False).use_nested_tensor
    with pytest.warns(UserWarning, match="encoder_layer.norm_first was True"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(E, 2, 16, batch_first=True, norm_first=True), 1)


def test_transformer_init_attributes_and_custom_parts():
    dg.manual_seed(0)
    model = nn.Transformer(16, 4, 1, 1, 32, batch_first=True)
    assert (model.d_model, model.nhead, model.batch_first) == (16, 4, True)
    w = model.encoder.layers[0].self_attn.in_proj_weight.numpy()
    bound = np.sqrt(6.0 / (16 + 48))  # xavier_uniform over every parameter with more than one dim
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    w = model.decoder.layers[0].linear1.weight.numpy()
    bound = np.sqrt(6.0 / (16 + 32))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert model.encoder.layers[0].activation_relu_or_gelu == 1
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, 32, batch_first=True), 1)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(16, 4, 32, batch_first=True), 1)
    custom = nn.Transformer(16, 4, custom_encoder=enc, custom_decoder=dec, batch_first=True)
    assert custom.encoder is enc and custom.decoder is dec
    assert custom(dg.ones(2, 5, 16), dg.ones(2, 3, 16)).shape == (2, 3, 16)


def test_transformer_errors():
    model = nn.Transformer(E, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(dg.ones(5, 3, E), dg.ones(4, 2, E))
    with pytest.raises(RuntimeError, match=r"the feature number of src and tgt must be equal to d_model \(8\)"):
        model(dg.ones(5, 3, E), dg.ones(4, 3, 6))
    with pytest.raises(AssertionError, match="only bool and floating types of src_key_padding_mask"):
        model(dg.ones(5, 3, E), dg.ones(4, 3, E), src_key_padding_mask=dg.Tensor(np.zeros((3, 5), np.int64)))


@pytest.mark.gpu
def test_transformer_with_masks_on_cuda_equals_cpu():
    from deepgrad.backend import cupy_module

    if cupy_module() is None:
        pytest.skip("needs CuPy and a CUDA GPU")
    src, tgt = _x(3, 5, E).astype(np.float32), _x(3, 4, E).astype(np.float32)
    results = []
    for device in ("cpu", "cuda"):
        dg.manual_seed(0)
        model = nn.Transformer(E, 2, 1, 1, 16, batch_first=True)
        model.to(device).eval()
        s, t = dg.tensor(src, device=device, requires_grad=True), dg.tensor(tgt, device=device)
        pad = dg.tensor(PAD_SRC, device=device)
        mask = nn.Transformer.generate_square_subsequent_mask(4, device=device)
        out = model(s, t, tgt_mask=mask, src_key_padding_mask=pad, memory_key_padding_mask=pad)
        out.sum().backward()
        with dg.no_grad():  # the nested-tensor inference path of the encoder
            memory = model.encoder(s, src_key_padding_mask=pad)
        assert out.device.type == device and memory.device.type == device
        results.append((out.numpy(), s.grad.numpy(), memory.numpy(),
                        model.decoder.layers[0].multihead_attn.in_proj_weight.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)


def _no_grad_pair(ref, ours, arrays, masks):
    with torch.no_grad():
        tout = ref(*[torch.tensor(a) for a in arrays], **{k: torch.tensor(v) for k, v in masks.items()})
    with dg.no_grad():
        out = ours(*[dg.Tensor(a) for a in arrays], **{k: dg.Tensor(v) for k, v in masks.items()})
    tout, out = (tout[0], out[0]) if isinstance(tout, tuple) else (tout, out)
    np.testing.assert_allclose(out.numpy(), tout.numpy(), rtol=1e-5, atol=1e-5)  # NaN where torch has NaN
    return np.isnan(out.numpy()).any()


def test_inference_kernels_give_nan_where_nothing_may_be_attended_as_torch():
    x = _x(3, 5, E).astype(np.float32)
    pad = PAD_SRC.copy()
    pad[1] = True  # sequence 1 may attend to nothing
    masks = dict(key_padding_mask=pad)
    ref, ours = _pair(lambda M: M.MultiheadAttention(E, 2, batch_first=True))
    ref.eval(), ours.eval()
    for need_weights in (False, True):  # torch's fused kernel: NaN either way
        assert _no_grad_pair(lambda q, **k: ref(q, q, q, need_weights=need_weights, **k),
                             lambda q, **k: ours(q, q, q, need_weights=need_weights, **k), [x], masks)
    ref, ours = _pair(lambda M: M.TransformerEncoderLayer(E, 2, 16, batch_first=True))
    ref.eval(), ours.eval()
    assert _no_grad_pair(ref, ours, [x], dict(src_key_padding_mask=pad))
    ref.linear1.register_forward_hook(lambda *a: None)  # a hook: torch's ordinary path, zero attention instead
    ours.linear1.register_forward_hook(lambda *a: None)
    assert not _no_grad_pair(ref, ours, [x], dict(src_key_padding_mask=pad))
