"""MultiheadAttention and the Transformer layers against PyTorch 2.13 (same weights): outputs,
attention weights, masks and every gradient; parameter names, reprs, initialization and errors."""
from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn

torch = pytest.importorskip("torch")

_r = np.random.default_rng(0)
E = 8
CAUSAL = np.triu(np.ones((5, 5), bool), 1)
PAD = np.zeros((3, 6), bool)
PAD[0, 4:] = True
PAD[2, 0] = True


def _same_weights(ours, ref):
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert repr(ours) == repr(ref)
    for name, p in ref.named_parameters():
        ours.get_parameter(name).data[...] = p.detach().numpy()


def _compare(ours, ref, arrays, kwargs_dg, kwargs_torch, weights=True):
    xs = [dg.Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = ours(*xs, **kwargs_dg), ref(*ts, **kwargs_torch)
    if isinstance(tout, tuple):
        (out, w), (tout, tw) = out, tout
        if weights and tw is not None:
            np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
        else:
            assert w is None and tw is None
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = _r.standard_normal(tout.shape).astype(np.float32)
    (out * dg.Tensor(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(ours.get_parameter(name).grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=name)


MHA = [
    ("self", dict(embed_dim=E, num_heads=2), [(5, 3, E)] * 3, {}, {}),
    ("batch_first_cross", dict(embed_dim=E, num_heads=4, batch_first=True), [(3, 5, E), (3, 6, E), (3, 6, E)], {}, {}),
    ("no_bias_per_head", dict(embed_dim=E, num_heads=2, bias=False), [(5, 3, E), (6, 3, E), (6, 3, E)],
     dict(average_attn_weights=False), {}),
    ("kdim_vdim", dict(embed_dim=E, num_heads=2, kdim=5, vdim=3), [(5, 3, E), (6, 3, 5), (6, 3, 3)], {}, {}),
    ("unbatched", dict(embed_dim=E, num_heads=2), [(5, E)] * 3, {}, {}),
    ("no_weights", dict(embed_dim=E, num_heads=2), [(5, 3, E)] * 3, dict(need_weights=False), {}),
    ("causal_bool_mask", dict(embed_dim=E, num_heads=2), [(5, 3, E)] * 3, dict(is_causal=True),
     dict(attn_mask=CAUSAL)),
    ("key_padding_mask", dict(embed_dim=E, num_heads=2, batch_first=True), [(3, 5, E), (3, 6, E), (3, 6, E)], {},
     dict(key_padding_mask=PAD)),
    ("float_3d_mask_and_padding", dict(embed_dim=E, num_heads=2), [(5, 3, E), (6, 3, E), (6, 3, E)], {},
     dict(attn_mask=_r.standard_normal((6, 5, 6)).astype(np.float32), key_padding_mask=PAD)),
    ("bias_kv_zero_attn_masks", dict(embed_dim=E, num_heads=2, add_bias_kv=True, add_zero_attn=True),
     [(5, 3, E), (6, 3, E), (6, 3, E)], {}, dict(attn_mask=np.triu(np.ones((5, 6), bool), 2), key_padding_mask=PAD)),
    ("bias_kv_batch_first_no_weights", dict(embed_dim=E, num_heads=2, add_bias_kv=True, batch_first=True, kdim=5),
     [(3, 5, E), (3, 6, 5), (3, 6, E)], dict(need_weights=False), dict(key_padding_mask=PAD)),
    ("zero_attn_unbatched_per_head", dict(embed_dim=E, num_heads=2, add_zero_attn=True, bias=False), [(5, E)] * 3,
     dict(average_attn_weights=False), dict(attn_mask=_r.standard_normal((2, 5, 5)).astype(np.float32))),
    ("bias_kv_zero_attn_causal_hint", dict(embed_dim=E, num_heads=2, add_bias_kv=True, add_zero_attn=True),
     [(5, 3, E)] * 3, dict(is_causal=True, need_weights=False), dict(attn_mask=CAUSAL)),
    # as torch: without need_weights and key_padding_mask, is_causal replaces attn_mask by the causal mask
    ("causal_hint_replaces_the_mask", dict(embed_dim=E, num_heads=2), [(5, 3, E)] * 3,
     dict(is_causal=True, need_weights=False), dict(attn_mask=np.zeros((5, 5), bool))),
]


@pytest.mark.parametrize("case", MHA, ids=[c[0] for c in MHA])
def test_multihead_attention_matches_torch(case):
    import warnings

    _, kw, shapes, call, masks = case
    ref, ours = torch.nn.MultiheadAttention(**kw), nn.MultiheadAttention(**kw)
    _same_weights(ours, ref)
    arrays = [_r.standard_normal(s).astype(np.float32) for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: mixing a float attn_mask with a bool key_padding_mask
        _compare(ours, ref, arrays, {**call, **{k: dg.Tensor(v) for k, v in masks.items()}},
                 {**call, **{k: torch.tensor(v) for k, v in masks.items()}})


TRANSFORMER = [
    ("encoder_layer", lambda M: M.TransformerEncoderLayer(E, 2, 16), [(5, 3, E)], {}),
    ("encoder_layer_prenorm_gelu", lambda M: M.TransformerEncoderLayer(E, 2, 16, activation="gelu", norm_first=True,
                                                                       batch_first=True), [(3, 5, E)], {}),
    ("encoder_layer_masks", lambda M: M.TransformerEncoderLayer(E, 2, 16), [(5, 3, E)],
     dict(src_mask=CAUSAL, src_key_padding_mask=PAD[:, :5])),
    ("encoder", lambda M: M.TransformerEncoder(M.TransformerEncoderLayer(E, 2, 16), 2, norm=M.LayerNorm(E),
                                               enable_nested_tensor=False), [(5, 3, E)], {}),
    ("decoder_layer", lambda M: M.TransformerDecoderLayer(E, 2, 16), [(5, 3, E), (4, 3, E)], {}),
    ("decoder_layer_prenorm_nobias", lambda M: M.TransformerDecoderLayer(E, 2, 16, norm_first=True, bias=False),
     [(5, 3, E), (4, 3, E)], dict(tgt_mask=CAUSAL)),
    ("decoder", lambda M: M.TransformerDecoder(M.TransformerDecoderLayer(E, 2, 16), 2), [(5, 3, E), (4, 3, E)], {}),
]


@pytest.mark.parametrize("case", TRANSFORMER, ids=[c[0] for c in TRANSFORMER])
def test_transformer_layers_match_torch_in_eval(case):
    _, make, shapes, masks = case
    ref, ours = make(torch.nn).eval(), make(nn).eval()
    _same_weights(ours, ref)
    arrays = [_r.standard_normal(s).astype(np.float32) for s in shapes]
    _compare(ours, ref, arrays, {k: dg.Tensor(v) for k, v in masks.items()},
             {k: torch.tensor(v) for k, v in masks.items()})


def test_encoder_layers_are_independent_copies_and_dropout_acts_in_training():
    layer = nn.TransformerEncoderLayer(E, 2, 16, dropout=0.5)
    enc = nn.TransformerEncoder(layer, 3)
    assert enc.layers[0] is not layer and enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    assert len(list(enc.parameters())) == 3 * len(list(layer.parameters()))
    x = dg.Tensor(_r.standard_normal((5, 2, E)).astype(np.float32))
    enc.eval()
    np.testing.assert_array_equal(enc(x).numpy(), enc(x).numpy())
    enc.train()
    assert not np.allclose(enc(x).numpy(), enc.eval()(x).numpy())


def test_multihead_attention_init_as_torch():
    mha = nn.MultiheadAttention(64, 4)
    w = mha.in_proj_weight.numpy()
    bound = np.sqrt(6.0 / (64 + 3 * 64))  # xavier_uniform over (3E, E)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert not mha.in_proj_bias.numpy().any() and not mha.out_proj.bias.numpy().any()
    assert np.abs(mha.out_proj.weight.numpy()).max() <= 1 / 8  # Linear's default U(-1/sqrt(E), 1/sqrt(E))


def test_attention_errors():
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(E, 2)
    with pytest.raises(ValueError, match=r"expected query with 8 features in the last dim, got shape \(5, 3, 6\)"):
        mha(dg.ones(5, 3, 6), dg.ones(5, 3, E), dg.ones(5, 3, E))
    with pytest.raises(ValueError, match=r"the shape of the 2D attn_mask is \(4, 4\), but should be \(5, 5\)"):
        mha(dg.ones(5, 3, E), dg.ones(5, 3, E), dg.ones(5, 3, E), attn_mask=dg.Tensor(np.zeros((4, 4), bool)))
    with pytest.raises(ValueError, match=r"expected key_padding_mask of shape \(3, 5\)"):
        mha(dg.ones(5, 3, E), dg.ones(5, 3, E), dg.ones(5, 3, E), key_padding_mask=dg.Tensor(np.zeros((3, 4), bool)))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(dg.ones(5, 3, E), dg.ones(5, 3, E), dg.ones(5, 3, E), is_causal=True)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(E, 2, activation="tanh")
    x = dg.ones(5, 3, E)
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask are supported, got int64"):
        mha(x, x, x, attn_mask=dg.Tensor(np.zeros((5, 5), np.int64)))
    with pytest.raises(RuntimeError, match=r"the shape of the 3D attn_mask is \(6, 5, 4\), but should be \(6, 5, 5\)"):
        mha(x, x, x, attn_mask=dg.zeros(6, 5, 4))
    with pytest.raises(AssertionError, match=r"expected `key_padding_mask` to be `None` or 2-D but found shape \(5,\)"):
        mha(x, x, x, key_padding_mask=dg.Tensor(np.zeros(5, bool)))
    with pytest.raises(AssertionError, match=r"query \(5, 3, 8\) and key \(5, 2, 8\) have different batch sizes"):
        mha(x, dg.ones(5, 2, E), dg.ones(5, 2, E))
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D tensor but received 4-D"):
        mha(dg.ones(1, 5, 3, E), x, x)


def test_bias_kv_init_and_gradcheck_float64():
    from deepgrad.utils import gradcheck

    big = nn.MultiheadAttention(2048, 2, add_bias_kv=True)
    assert big.bias_k.shape == (1, 1, 2048)
    assert abs(big.bias_k.numpy().std() - np.sqrt(2.0 / 4096)) < 0.002  # xavier_normal over (1, 1, E)
    assert nn.MultiheadAttention(E, 2).bias_k is None
    dg.manual_seed(0)
    mha = nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True, kdim=3, dtype="float64")
    q = dg.Tensor(_r.standard_normal((3, 2, 4)), requires_grad=True)
    k = dg.Tensor(_r.standard_normal((5, 2, 3)), requires_grad=True)
    v = dg.Tensor(_r.standard_normal((5, 2, 4)), requires_grad=True)
    pad = dg.Tensor(PAD[:2, :5])

    def f(q, k, v, *ps):
        out, w = mha(q, k, v, key_padding_mask=pad)
        return (out * out).sum() + (w * w).sum()

    assert gradcheck(f, [q, k, v] + list(mha.parameters()))


def test_a_query_that_may_attend_to_nothing_gives_zeros_in_sdpa_as_torch():
    import torch.nn.functional as TF

    import deepgrad.nn.functional as F

    q = _r.standard_normal((1, 2, 3)).astype(np.float32)
    mask = np.array([[False, False], [True, True]])  # query 0 may attend to no key
    a, t = dg.Tensor(q, requires_grad=True), torch.tensor(q, requires_grad=True)
    out = F.scaled_dot_product_attention(a, a, a, attn_mask=dg.Tensor(mask))
    tout = TF.scaled_dot_product_attention(t, t, t, attn_mask=torch.tensor(mask))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert not out.numpy()[0, 0].any()
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)
