"""Op table rows: convolution and pooling over random shapes and every argument mode.

Rows are drawn from a fixed seed (strides 1-3, paddings 0-2, dilations 1-2, groups 1 and 2,
odd sizes, bias or not, ceil_mode) plus hand-written rows for 'same'/'valid', pairs, 1-D and
unbatched inputs.  Shapes stay small so that float64 gradcheck stays fast.
"""
import warnings

import numpy as np
import torch
import torch.nn.functional as TF

import deepgrad as dg
from tests.ops.optable import OpCase

_rng = np.random.default_rng(2024)
CASES = []


def _quiet(fn, *args, **kwargs):
    """Call torch without its warning about the padded copy that 'same' with an even kernel makes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


def _pick(seq):
    return seq[int(_rng.integers(len(seq)))]


def _conv_args():
    """A random valid conv2d configuration."""
    while True:
        g = _pick([1, 1, 2])
        c, oc = g * int(_rng.integers(1, 3)), g * int(_rng.integers(1, 3))
        kh, kw = _pick([1, 2, 3, 3, 3]), _pick([1, 2, 3, 3, 3])
        s = (_pick([1, 2, 3]), _pick([1, 2, 3])) if _rng.random() < 0.3 else _pick([1, 2, 3])
        p = _pick([0, 1, 2])
        d = _pick([1, 2])
        h, w = _pick([5, 6, 7, 9]), _pick([5, 7, 8])
        if h + 2 * p >= d * (kh - 1) + 1 and w + 2 * p >= d * (kw - 1) + 1:
            return int(_rng.integers(1, 3)), c, oc, (kh, kw), s, p, d, g, (h, w)


def _conv_case(i):
    n, c, oc, k, s, p, d, g, hw = _conv_args()
    bias = _rng.random() < 0.6
    cid = f"conv2d_r{i}_c{c}o{oc}k{k[0]}{k[1]}s{s}p{p}d{d}g{g}{'_b' if bias else ''}"
    shapes = [(n, c) + hw, (oc, c // g) + k] + ([(oc,)] if bias else [])
    # 2e-5: long float32 dot products summed in another order than PyTorch's (float64 gradcheck is exact)
    return OpCase(cid, lambda *a: dg.conv2d(*a[:2], a[2] if bias else None, s, p, d, g),
                  lambda *a: TF.conv2d(*a[:2], a[2] if bias else None, s, p, d, g), shapes, rtol=2e-5)


def _convT_case(i):
    n, c, oc, k, s, p, d, g, hw = _conv_args()
    hw = (hw[0] // 2 + 1, hw[1] // 2 + 1)
    sh = s if isinstance(s, int) else s[0]
    op = int(_rng.integers(0, max(sh, d))) if _rng.random() < 0.5 else 0
    p = min(p, (d * (min(k) - 1) + (hw[0] - 1) * sh) // 2)  # keep the output non-empty
    bias = _rng.random() < 0.5
    cid = f"conv_transpose2d_r{i}_c{c}o{oc}k{k[0]}{k[1]}s{s}p{p}op{op}d{d}g{g}{'_b' if bias else ''}"
    opad = (op, 0)
    shapes = [(n, c) + hw, (c, oc // g) + k] + ([(oc,)] if bias else [])
    return OpCase(cid, lambda *a: dg.conv_transpose2d(*a[:2], a[2] if bias else None, s, p, opad, g, d),
                  lambda *a: TF.conv_transpose2d(*a[:2], a[2] if bias else None, s, p, opad, g, d), shapes,
                  rtol=2e-5)


def _pool_args():
    while True:
        k = _pick([1, 2, 2, 3, 3]) if _rng.random() < 0.7 else (_pick([1, 2, 3]), _pick([2, 3]))
        s = _pick([None, 1, 2, 3])
        ks = (k, k) if isinstance(k, int) else k
        p = _pick([0, 1]) if min(ks) >= 2 else 0
        ceil = bool(_rng.random() < 0.4)
        h, w = _pick([5, 6, 7, 9]), _pick([4, 5, 7])
        if h + 2 * p >= ks[0] and w + 2 * p >= ks[1]:
            return (int(_rng.integers(1, 3)), int(_rng.integers(1, 4)), h, w), k, s, p, ceil


def _maxpool_case(i):
    shape, k, s, p, ceil = _pool_args()
    d = _pick([1, 1, 2])
    ks = (k, k) if isinstance(k, int) else k
    if any(2 * p > d * (kk - 1) + 1 or n + 2 * p < d * (kk - 1) + 1 for kk, n in zip(ks, shape[2:])):
        d = 1
    cid = f"max_pool2d_r{i}_k{k}s{s}p{p}d{d}{'_ceil' if ceil else ''}"
    return OpCase(cid, lambda a: dg.max_pool2d(a, k, s, p, d, ceil), lambda a: TF.max_pool2d(a, k, s, p, d, ceil),
                  [shape], ["distinct"])


def _avgpool_case(i):
    shape, k, s, p, ceil = _pool_args()
    inc = bool(_rng.random() < 0.6)
    cid = f"avg_pool2d_r{i}_k{k}s{s}p{p}{'_ceil' if ceil else ''}{'' if inc else '_nopad'}"
    return OpCase(cid, lambda a: dg.avg_pool2d(a, k, s, p, ceil, inc), lambda a: TF.avg_pool2d(a, k, s, p, ceil, inc),
                  [shape])


for _i in range(14):
    CASES.append(_conv_case(_i))
for _i in range(8):
    CASES.append(_convT_case(_i))
for _i in range(10):
    CASES.append(_maxpool_case(_i))
for _i in range(8):
    CASES.append(_avgpool_case(_i))

CASES += [
    # conv2d: named modes
    OpCase("conv2d_same_even_kernel", lambda x, w: dg.conv2d(x, w, padding="same"),
           lambda x, w: _quiet(TF.conv2d, x, w, padding="same"), [(2, 3, 6, 5), (4, 3, 4, 2)]),
    OpCase("conv2d_same_dilated_groups", lambda x, w, b: dg.conv2d(x, w, b, padding="same", dilation=2, groups=2),
           lambda x, w, b: TF.conv2d(x, w, b, padding="same", dilation=2, groups=2),
           [(1, 4, 7, 7), (6, 2, 3, 3), (6,)]),
    OpCase("conv2d_valid", lambda x, w: dg.conv2d(x, w, padding="valid"),
           lambda x, w: TF.conv2d(x, w, padding="valid"), [(2, 2, 5, 6), (3, 2, 3, 3)]),
    OpCase("conv2d_tuple_args", lambda x, w: dg.conv2d(x, w, stride=(1, 2), padding=(2, 0), dilation=(2, 1)),
           lambda x, w: TF.conv2d(x, w, stride=(1, 2), padding=(2, 0), dilation=(2, 1)), [(2, 3, 6, 7), (2, 3, 3, 2)]),
    OpCase("conv2d_unbatched", lambda x, w, b: dg.conv2d(x, w, b, padding=1),
           lambda x, w, b: TF.conv2d(x, w, b, padding=1), [(3, 5, 5), (2, 3, 3, 3), (2,)]),
    OpCase("conv2d_depthwise", lambda x, w: dg.conv2d(x, w, stride=2, padding=1, groups=4),
           lambda x, w: TF.conv2d(x, w, stride=2, padding=1, groups=4), [(2, 4, 7, 7), (4, 1, 3, 3)]),
    OpCase("conv2d_lenet_like", lambda x, w, b: dg.conv2d(x, w, b, padding=2),
           lambda x, w, b: TF.conv2d(x, w, b, padding=2), [(2, 1, 8, 8), (3, 1, 5, 5), (3,)]),
    # conv1d
    OpCase("conv1d", lambda x, w, b: dg.conv1d(x, w, b, stride=2, padding=1),
           lambda x, w, b: TF.conv1d(x, w, b, stride=2, padding=1), [(2, 3, 9), (4, 3, 3), (4,)]),
    OpCase("conv1d_dilated_groups", lambda x, w: dg.conv1d(x, w, dilation=2, groups=2, padding=2),
           lambda x, w: TF.conv1d(x, w, dilation=2, groups=2, padding=2), [(2, 4, 7), (2, 2, 3)]),
    OpCase("conv1d_same", lambda x, w: dg.conv1d(x, w, padding="same"),
           lambda x, w: _quiet(TF.conv1d, x, w, padding="same"), [(1, 2, 8), (3, 2, 4)]),
    OpCase("conv1d_unbatched", lambda x, w: dg.conv1d(x, w, stride=3),
           lambda x, w: TF.conv1d(x, w, stride=3), [(2, 11), (3, 2, 2)]),
    # transposed
    OpCase("conv_transpose2d_s2_op1", lambda x, w, b: dg.conv_transpose2d(x, w, b, 2, 1, 1),
           lambda x, w, b: TF.conv_transpose2d(x, w, b, 2, 1, 1), [(2, 3, 4, 3), (3, 2, 3, 3), (2,)]),
    OpCase("conv_transpose2d_dilation_op", lambda x, w: dg.conv_transpose2d(x, w, stride=1, output_padding=1,
                                                                            dilation=2),
           lambda x, w: TF.conv_transpose2d(x, w, stride=1, output_padding=1, dilation=2), [(1, 2, 4, 4),
                                                                                           (2, 3, 2, 3)]),
    OpCase("conv_transpose1d", lambda x, w: dg.conv_transpose1d(x, w, stride=2, padding=1, output_padding=1),
           lambda x, w: TF.conv_transpose1d(x, w, stride=2, padding=1, output_padding=1), [(2, 3, 5), (3, 2, 3)]),
    # pooling: named modes
    OpCase("max_pool2d_lenet", lambda a: dg.max_pool2d(a, 2), lambda a: TF.max_pool2d(a, 2), [(2, 3, 8, 8)],
           ["distinct"]),
    OpCase("max_pool2d_unbatched_overlap", lambda a: dg.max_pool2d(a, 3, 1, 1), lambda a: TF.max_pool2d(a, 3, 1, 1),
           [(2, 5, 5)], ["distinct"]),
    OpCase("max_pool1d", lambda a: dg.max_pool1d(a, 3, 2, 1, ceil_mode=True),
           lambda a: TF.max_pool1d(a, 3, 2, 1, ceil_mode=True), [(2, 3, 8)], ["distinct"]),
    OpCase("avg_pool2d_divisor_override", lambda a: dg.avg_pool2d(a, 3, 2, 1, divisor_override=4),
           lambda a: TF.avg_pool2d(a, 3, 2, 1, divisor_override=4), [(2, 2, 7, 6)]),
    OpCase("avg_pool1d", lambda a: dg.avg_pool1d(a, 2, 1, 1), lambda a: TF.avg_pool1d(a, 2, 1, 1), [(2, 3, 7)]),
    OpCase("adaptive_avg_pool2d_uneven", lambda a: dg.adaptive_avg_pool2d(a, (3, 4)),
           lambda a: TF.adaptive_avg_pool2d(a, (3, 4)), [(2, 3, 7, 9)]),
    OpCase("adaptive_avg_pool2d_divisible", lambda a: dg.adaptive_avg_pool2d(a, 2),
           lambda a: TF.adaptive_avg_pool2d(a, 2), [(2, 3, 6, 4)]),
    OpCase("adaptive_avg_pool2d_global", lambda a: dg.adaptive_avg_pool2d(a, 1),
           lambda a: TF.adaptive_avg_pool2d(a, 1), [(2, 3, 5, 7)]),
    OpCase("adaptive_avg_pool2d_none", lambda a: dg.adaptive_avg_pool2d(a, (None, 3)),
           lambda a: TF.adaptive_avg_pool2d(a, (None, 3)), [(1, 2, 4, 5)]),
    OpCase("adaptive_avg_pool2d_upsample", lambda a: dg.adaptive_avg_pool2d(a, (5, 4)),
           lambda a: TF.adaptive_avg_pool2d(a, (5, 4)), [(1, 2, 3, 3)]),
    OpCase("global_avg_pool2d", lambda a: dg.global_avg_pool2d(a),
           lambda a: a.mean(dim=(2, 3)), [(2, 3, 4, 5)]),
    OpCase("conv2d_relu_pool_chain", lambda x, w: dg.max_pool2d(dg.conv2d(x, w, padding=1), 2),
           lambda x, w: TF.max_pool2d(TF.conv2d(x, w, padding=1), 2), [(2, 2, 6, 6), (3, 2, 3, 3)]),
]

CASES += [
    # unfold / fold (im2col / col2im as ops)
    OpCase("unfold", lambda a: dg.unfold(a, 3), lambda a: TF.unfold(a, 3), [(2, 3, 5, 6)]),
    OpCase("unfold_all_args", lambda a: dg.unfold(a, (2, 3), dilation=(2, 1), padding=1, stride=(2, 1)),
           lambda a: TF.unfold(a, (2, 3), dilation=(2, 1), padding=1, stride=(2, 1)), [(2, 2, 6, 5)]),
    OpCase("unfold_unbatched", lambda a: dg.unfold(a, 2, stride=2), lambda a: TF.unfold(a, 2, stride=2), [(3, 4, 6)]),
    OpCase("fold_overlapping", lambda a: dg.fold(a, (4, 5), 2), lambda a: TF.fold(a, (4, 5), 2), [(2, 12, 12)]),
    OpCase("fold_all_args", lambda a: dg.fold(a, (7, 6), (3, 2), dilation=(1, 2), padding=1, stride=2),
           lambda a: TF.fold(a, (7, 6), (3, 2), dilation=(1, 2), padding=1, stride=2), [(2, 12, 12)]),
    OpCase("fold_unbatched", lambda a: dg.fold(a, 4, 2, stride=2), lambda a: TF.fold(a, 4, 2, stride=2), [(8, 4)]),
    # adaptive max / 1-D adaptive pooling
    OpCase("adaptive_max_pool2d_uneven", lambda a: dg.adaptive_max_pool2d(a, (3, 4)),
           lambda a: TF.adaptive_max_pool2d(a, (3, 4)), [(2, 3, 7, 9)], ["distinct"]),
    OpCase("adaptive_max_pool2d_indices", lambda a: dg.adaptive_max_pool2d(a, (None, 2), return_indices=True)[0],
           lambda a: TF.adaptive_max_pool2d(a, (None, 2), return_indices=True)[0], [(3, 5, 5)], ["distinct"]),
    OpCase("adaptive_max_pool2d_divisible", lambda a: dg.adaptive_max_pool2d(a, (3, 2)),
           lambda a: TF.adaptive_max_pool2d(a, (3, 2)), [(2, 3, 6, 8)], ["distinct"]),
    OpCase("adaptive_max_pool2d_upsample", lambda a: dg.adaptive_max_pool2d(a, 4),
           lambda a: TF.adaptive_max_pool2d(a, 4), [(1, 2, 3, 3)], ["distinct"]),
    OpCase("adaptive_max_pool1d", lambda a: dg.adaptive_max_pool1d(a, 3), lambda a: TF.adaptive_max_pool1d(a, 3),
           [(2, 3, 8)], ["distinct"]),
    OpCase("adaptive_avg_pool1d", lambda a: dg.adaptive_avg_pool1d(a, 4), lambda a: TF.adaptive_avg_pool1d(a, 4),
           [(2, 3, 10)]),
    OpCase("adaptive_avg_pool1d_unbatched", lambda a: dg.adaptive_avg_pool1d(a, 3),
           lambda a: TF.adaptive_avg_pool1d(a, 3), [(3, 7)]),
    # interpolate / pixel shuffle
    OpCase("interpolate_nearest_size", lambda a: dg.interpolate(a, size=(5, 7)),
           lambda a: TF.interpolate(a, size=(5, 7)), [(2, 3, 3, 4)]),
    OpCase("interpolate_nearest_scale", lambda a: dg.interpolate(a, scale_factor=1.7),
           lambda a: TF.interpolate(a, scale_factor=1.7), [(2, 3, 4, 5)]),
    OpCase("interpolate_nearest_exact_down", lambda a: dg.interpolate(a, size=(3, 2), mode="nearest-exact"),
           lambda a: TF.interpolate(a, size=(3, 2), mode="nearest-exact"), [(2, 3, 5, 5)]),
    OpCase("interpolate_bilinear", lambda a: dg.interpolate(a, scale_factor=2, mode="bilinear"),
           lambda a: TF.interpolate(a, scale_factor=2, mode="bilinear"), [(2, 3, 3, 4)]),
    OpCase("interpolate_bilinear_scale_tuple", lambda a: dg.interpolate(a, scale_factor=(0.5, 2.5), mode="bilinear"),
           lambda a: TF.interpolate(a, scale_factor=(0.5, 2.5), mode="bilinear"), [(1, 2, 5, 4)]),
    OpCase("interpolate_bilinear_align_corners", lambda a: dg.interpolate(a, size=(5, 3), mode="bilinear",
                                                                           align_corners=True),
           lambda a: TF.interpolate(a, size=(5, 3), mode="bilinear", align_corners=True), [(2, 2, 3, 4)]),
    OpCase("interpolate_bicubic", lambda a: dg.interpolate(a, size=(6, 5), mode="bicubic"),
           lambda a: TF.interpolate(a, size=(6, 5), mode="bicubic"), [(1, 2, 4, 3)]),
    OpCase("interpolate_linear_1d", lambda a: dg.interpolate(a, size=9, mode="linear"),
           lambda a: TF.interpolate(a, size=9, mode="linear"), [(2, 3, 5)]),
    OpCase("interpolate_trilinear", lambda a: dg.interpolate(a, scale_factor=2, mode="trilinear", align_corners=True),
           lambda a: TF.interpolate(a, scale_factor=2, mode="trilinear", align_corners=True), [(1, 2, 2, 3, 2)]),
    # PyTorch's kernels: linear modes copy an axis whose size is unchanged; 2-D 'nearest' copies when the size
    # is unchanged and halves indices when it doubles, whatever the scale_factor (1-D/3-D 'nearest' do not)
    OpCase("interpolate_bilinear_unchanged_axis", lambda a: dg.interpolate(a, scale_factor=1.3, mode="bilinear"),
           lambda a: TF.interpolate(a, scale_factor=1.3, mode="bilinear"), [(1, 2, 6, 2)]),
    OpCase("interpolate_nearest2d_shortcuts", lambda a: dg.interpolate(a, scale_factor=(2.2, 1.2)),
           lambda a: TF.interpolate(a, scale_factor=(2.2, 1.2)), [(1, 2, 3, 3)]),
    # forward only: torch 2.13's backward of 1-D/3-D nearest halves indices where its forward did not (its
    # gradient is not its forward's); deepgrad's is, see test_cnn_semantics
    OpCase("interpolate_nearest1d_no_shortcut", lambda a: dg.interpolate(a, scale_factor=2.2),
           lambda a: TF.interpolate(a, scale_factor=2.2), [(1, 2, 3)], grad=False),
    OpCase("interpolate_area", lambda a: dg.interpolate(a, size=(3, 4), mode="area"),
           lambda a: TF.interpolate(a, size=(3, 4), mode="area"), [(2, 3, 7, 9)]),
    OpCase("interpolate_area_1d_scale", lambda a: dg.interpolate(a, scale_factor=0.5, mode="area"),
           lambda a: TF.interpolate(a, scale_factor=0.5, mode="area"), [(2, 3, 9)]),
    OpCase("pixel_shuffle", lambda a: dg.pixel_shuffle(a, 2), lambda a: TF.pixel_shuffle(a, 2), [(2, 8, 3, 2)]),
    OpCase("pixel_unshuffle", lambda a: dg.pixel_unshuffle(a, 2), lambda a: TF.pixel_unshuffle(a, 2), [(2, 2, 4, 6)]),
]

# max_unpool2d: indices from a fixed max_pool2d (input values are the table's random arrays)
_pool_src = np.random.default_rng(5).standard_normal((2, 3, 6, 7))
_, _UNPOOL_IDX = TF.max_pool2d(torch.tensor(_pool_src), 2, return_indices=True)
_UNPOOL_IDX = _UNPOOL_IDX.numpy()
_, _UNPOOL_IDX_OVERLAP = TF.max_pool2d(torch.tensor(_pool_src), 3, stride=1, padding=1, return_indices=True)
_UNPOOL_IDX_OVERLAP = _UNPOOL_IDX_OVERLAP.numpy()

CASES += [
    OpCase("max_unpool2d_output_size", lambda a: dg.max_unpool2d(a, _UNPOOL_IDX, 2, output_size=(6, 7)),
           lambda a: TF.max_unpool2d(a, torch.tensor(_UNPOOL_IDX, device=a.device), 2, output_size=(6, 7)),
           [(2, 3, 3, 3)]),
    # overlapping windows pick one input twice: written once (not summed), as torch; the gradient reads it
    # at every position, which finite differences of the overwrite do not see
    OpCase("max_unpool2d_overlapping", lambda a: dg.max_unpool2d(a, _UNPOOL_IDX_OVERLAP, 3, 1, 1, (6, 7)),
           lambda a: TF.max_unpool2d(a, torch.tensor(_UNPOOL_IDX_OVERLAP, device=a.device), 3, 1, 1, (6, 7)),
           [(2, 3, 6, 7)], gradcheck=False),
    OpCase("lp_pool2d", lambda a: dg.lp_pool2d(a, 2, 3, stride=2), lambda a: TF.lp_pool2d(a, 2, 3, stride=2),
           [(2, 3, 7, 7)], ["positive"]),
    OpCase("lp_pool2d_ceil_fractional_p", lambda a: dg.lp_pool2d(a, 1.5, (2, 3), ceil_mode=True),
           lambda a: TF.lp_pool2d(a, 1.5, (2, 3), ceil_mode=True), [(2, 2, 5, 7)], ["positive"]),
    OpCase("lp_pool1d", lambda a: dg.lp_pool1d(a, 3, 2), lambda a: TF.lp_pool1d(a, 3, 2), [(2, 3, 8)], ["positive"]),
]
