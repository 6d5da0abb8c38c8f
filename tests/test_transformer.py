"""nn.MultiheadAttention, F.multi_head_attention_forward and the nn.Transformer family against
torch: torch's module is built, its state_dict copied into ours, and outputs, attention
weights and gradients w.r.t. every input and every parameter are compared (float64 tight,
float32 loose) over tables of configurations; state_dict keys, initialisation after
manual_seed, NaN rows, warnings and errors as torch's."""
import warnings

import numpy as np
import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel

import tinygrad_sgd as tg
from tinygrad_sgd import autograd, nn
from strategies import assert_same

pytestmark = [pytest.mark.filterwarnings("ignore:Support for mismatched"),  # mixed on purpose
              pytest.mark.filterwarnings("ignore:enable_nested_tensor is True"),
              pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")]
DTYPES = {"float64": (np.float64, torch.float64, 1e-9, 1e-11),
          "float32": (np.float32, torch.float32, 2e-4, 2e-5)}
E, H, L, S, N = 4, 2, 3, 5, 2


def _lib_tensor(lib, a, grad):
    t = lib.tensor(np.array(a, copy=True))
    return t.requires_grad_() if grad else t


def _pair(cls, kwargs, dtype, train=False):
    """torch's layer, and ours with torch's state_dict loaded (eval mode unless ``train``)."""
    _, tdt, _, _ = DTYPES[dtype]
    theirs = getattr(torch.nn, cls)(**kwargs(torch), dtype=tdt)
    ours = getattr(nn, cls)(**kwargs(tg), dtype=DTYPES[dtype][0])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    if not train:
        ours.eval(), theirs.eval()
    return ours, theirs


def _compare(ours, theirs, arrays, call, dtype, grad_arrays=None, second_order=False):
    """``call(lib, module, *tensors)`` → a tuple of outputs (None allowed) on both libraries;
    outputs and the gradients of Σ⟨outputs, v⟩ w.r.t. the float inputs and every parameter
    are compared (NaN where torch has NaN); with ``second_order`` also the gradient of
    ⟨first gradients, u⟩."""
    ndt, _, rtol, atol = DTYPES[dtype]
    arrays = [a.astype(ndt) if a.dtype.kind == "f" else a for a in arrays]
    grad = [a.dtype.kind == "f" for a in arrays] if grad_arrays is None else grad_arrays
    xs = [_lib_tensor(tg, a, g) for a, g in zip(arrays, grad)]
    ts = [_lib_tensor(torch, a, g) for a, g in zip(arrays, grad)]
    outs = call(tg, ours, *xs)
    if second_order:      # torch's fused CPU attention kernel has no double backward
        with sdpa_kernel(SDPBackend.MATH):
            refs = call(torch, theirs, *ts)
    else:
        refs = call(torch, theirs, *ts)
    rng = np.random.default_rng(0)
    total, ref_total = 0, 0
    for i, (o, r) in enumerate(zip(outs, refs)):
        if r is None:
            assert o is None, f"output {i}: torch gives None"
            continue
        assert_same(o, r, rtol, atol, f"output {i}")
        v = rng.standard_normal(r.shape).astype(ndt)
        total = total + (o * tg.tensor(v)).sum()
        ref_total = ref_total + (r * torch.tensor(v)).sum()
    names = [k for k, _ in theirs.named_parameters()]
    assert names == [k for k, _ in ours.named_parameters()]
    wrt = [x for x, g in zip(xs, grad) if g] + [p for _, p in ours.named_parameters()]
    twrt = [t for t, g in zip(ts, grad) if g] + [p for _, p in theirs.named_parameters()]
    what = [f"input {i}" for i, g in enumerate(grad) if g] + names
    g1 = autograd.grad(total, wrt, create_graph=second_order, allow_unused=True)
    r1 = torch.autograd.grad(ref_total, twrt, create_graph=second_order, allow_unused=True)
    for a, b, w, x in zip(g1, r1, what, wrt):
        assert_same(np.zeros(x.shape, ndt) if a is None else a,
                    np.zeros(x.shape, ndt) if b is None else b, rtol, atol,
                    f"gradient w.r.t. {w}")
    if not second_order:
        return
    us = [rng.standard_normal(x.shape).astype(ndt) for x in wrt]
    s = sum((g * tg.tensor(u)).sum() for g, u in zip(g1, us) if g is not None)
    r = sum((g * torch.tensor(u)).sum() for g, u in zip(r1, us) if g is not None)
    g2 = autograd.grad(s, wrt, allow_unused=True)
    r2 = torch.autograd.grad(r, twrt, allow_unused=True, materialize_grads=True)
    for a, b, w, x in zip(g2, r2, what, wrt):
        assert_same(np.zeros(x.shape, ndt) if a is None else a, b, rtol, atol,
                    f"second-order gradient w.r.t. {w}")


def _rand(*shape, seed=0):
    return np.random.default_rng(seed + len(shape) * 7 + sum(shape)).standard_normal(shape)


# --------------------------------------------------------------------------- MultiheadAttention
def _bool_mask(shape, seed, keep_first=True):
    """A random boolean mask (True = not allowed) that leaves every row at least one key."""
    m = np.random.default_rng(seed).random(shape) < 0.4
    if keep_first:
        m[..., 0] = False
    return m


def _float_mask(shape, seed):
    m = np.random.default_rng(seed).standard_normal(shape)
    m[_bool_mask(shape, seed + 1)] = -np.inf
    return m


CAUSAL = np.triu(np.full((L, L), -np.inf), 1)

# id: (constructor kwargs, inputs: "self" | "kv" | "cross" | "unbatched", forward mask arrays)
MHA_CASES = {
    "self": ({}, "self", {}),
    "cross": ({}, "cross", {}),
    "key_is_value": ({}, "kv", {}),
    "batch_first_self": ({"batch_first": True}, "self", {}),
    "batch_first_cross": ({"batch_first": True}, "cross", {}),
    "one_head": ({"num_heads": 1}, "cross", {}),
    "no_bias": ({"bias": False}, "cross", {}),
    "bool_mask_2d": ({}, "cross", {"attn_mask": _bool_mask((L, S), 1)}),
    "float_mask_2d": ({}, "cross", {"attn_mask": _float_mask((L, S), 2)}),
    "bool_mask_3d": ({}, "cross", {"attn_mask": _bool_mask((N * H, L, S), 3)}),
    "float_mask_3d": ({"batch_first": True}, "cross", {"attn_mask": _float_mask((N * H, L, S), 4)}),
    "bool_key_padding": ({}, "cross", {"key_padding_mask": _bool_mask((N, S), 5)}),
    "float_key_padding": ({}, "cross", {"key_padding_mask": _float_mask((N, S), 6)}),
    "both_masks_bool": ({}, "cross", {"attn_mask": _bool_mask((L, S), 7),
                                      "key_padding_mask": _bool_mask((N, S), 8)}),
    "both_masks_float": ({"batch_first": True}, "self",
                         {"attn_mask": _float_mask((L, L), 9),
                          "key_padding_mask": _float_mask((N, L), 10)}),
    "causal": ({}, "self", {"attn_mask": CAUSAL, "is_causal": True}),
    "causal_key_padding": ({}, "self", {"attn_mask": CAUSAL > 0, "is_causal": True,
                                        "key_padding_mask": _bool_mask((N, L), 11)}),
    "kdim_vdim": ({"kdim": 3, "vdim": 5}, "cross", {"key_padding_mask": _bool_mask((N, S), 12)}),
    "add_bias_kv": ({"add_bias_kv": True}, "cross", {"attn_mask": _bool_mask((L, S), 13),
                                                      "key_padding_mask": _bool_mask((N, S), 14)}),
    "add_zero_attn": ({"add_zero_attn": True}, "cross",
                      {"attn_mask": _float_mask((N * H, L, S), 15),
                       "key_padding_mask": _bool_mask((N, S), 16)}),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True, "kdim": 3, "vdim": 2},
                          "cross", {"key_padding_mask": _float_mask((N, S), 17)}),
    "unbatched": ({"batch_first": True}, "unbatched", {"key_padding_mask": _bool_mask((S,), 18)}),
    "unbatched_mask_3d": ({}, "unbatched", {"attn_mask": _bool_mask((H, L, S), 19)}),
    "dropout_in_eval": ({"dropout": 0.5}, "cross", {"attn_mask": _float_mask((L, S), 20)}),
    "fully_masked_rows": ({}, "cross", {"attn_mask": np.array([[True] * S] + [[False] * S] * 2),
                                        "key_padding_mask": np.array([[True] * S, [False] * S])}),
}


def _mha_inputs(kind, kw, batch_first):
    kdim, vdim = kw.get("kdim") or E, kw.get("vdim") or E
    if kind == "unbatched":
        return [_rand(L, E), _rand(S, kdim, seed=1), _rand(S, vdim, seed=2)]
    if kind == "self":
        return [_rand(N, L, E) if batch_first else _rand(L, N, E)]
    shape = (lambda n, s, e: (n, s, e)) if batch_first else (lambda n, s, e: (s, n, e))
    if kind == "kv":
        return [_rand(*shape(N, L, E)), _rand(*shape(N, S, kdim), seed=1)]
    return [_rand(*shape(N, L, E)), _rand(*shape(N, S, kdim), seed=1),
            _rand(*shape(N, S, vdim), seed=2)]


def _mha_call(kind, masks, need_weights, average):
    flags = {k: v for k, v in masks.items() if not isinstance(v, np.ndarray)}

    def call(lib, mod, *ts):
        if kind == "self":
            q = k = v = ts[0]
        elif kind == "kv":
            (q, k), v = ts, ts[1]
        else:
            q, k, v = ts
        arrays = {n: lib.tensor(m) for n, m in masks.items() if isinstance(m, np.ndarray)}
        arrays = {n: m.to(q.dtype) if m.is_floating_point() else m for n, m in arrays.items()}
        return mod(q, k, v, need_weights=need_weights, average_attn_weights=average, **arrays,
                   **flags)
    return call


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)],
                         ids=["weights", "per_head_weights", "no_weights"])
@pytest.mark.parametrize("case", MHA_CASES)
def test_multihead_attention_as_torch(case, need_weights, average, dtype):
    kw, kind, masks = MHA_CASES[case]
    kw = {"embed_dim": E, "num_heads": H, **kw}
    ours, theirs = _pair("MultiheadAttention", lambda lib: kw, dtype)
    arrays = _mha_inputs(kind, kw, kw.get("batch_first", False))
    _compare(ours, theirs, arrays, _mha_call(kind, masks, need_weights, average), dtype)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("case", ["self", "both_masks_bool", "add_bias_kv", "kdim_vdim"])
def test_multihead_attention_second_order(case, need_weights):
    kw, kind, masks = MHA_CASES[case]
    kw = {"embed_dim": E, "num_heads": H, **kw}
    ours, theirs = _pair("MultiheadAttention", lambda lib: kw, "float64")
    arrays = _mha_inputs(kind, kw, kw.get("batch_first", False))
    _compare(ours, theirs, arrays, _mha_call(kind, masks, need_weights, True), "float64",
             second_order=True)


@pytest.mark.parametrize("need_weights", [True, False])
def test_gradients_reach_float_masks(need_weights):
    """Float masks are added to the scores: they get gradients, as torch's."""
    ours, theirs = _pair("MultiheadAttention", lambda lib: {"embed_dim": E, "num_heads": H},
                         "float64")

    def call(lib, mod, q, k, v, am, kpm):
        return mod(q, k, v, attn_mask=am, key_padding_mask=kpm, need_weights=need_weights)
    arrays = _mha_inputs("cross", {}, False) + [_float_mask((N * H, L, S), 50),
                                                _float_mask((N, S), 51)]
    _compare(ours, theirs, arrays, call, "float64")


def test_fully_masked_rows_nan_with_weights_zeros_without():
    """torch: softmax over no key at all is NaN when the weights are computed, the output of
    scaled_dot_product_attention's zeros (then out_proj's bias) when they are not."""
    kw, kind, masks = MHA_CASES["fully_masked_rows"]
    ours, _ = _pair("MultiheadAttention", lambda lib: {"embed_dim": E, "num_heads": H}, "float64")
    arrays = _mha_inputs(kind, kw, False)
    out, w = _mha_call(kind, masks, True, True)(tg, ours, *[tg.tensor(a) for a in arrays])
    assert np.isnan(out.array[0]).all() and np.isnan(out.array[:, 0]).all()
    assert not np.isnan(out.array[1:, 1]).any() and np.isnan(w.array[0]).all()
    out, w = _mha_call(kind, masks, False, True)(tg, ours, *[tg.tensor(a) for a in arrays])
    assert w is None and not np.isnan(out.array).any()
    np.testing.assert_array_equal(out.array[0], np.broadcast_to(ours.out_proj.bias.array, (N, E)))


def test_functional_multi_head_attention_forward_static_kv():
    """F.multi_head_attention_forward called directly, with separate projections and static
    keys and values, as torch's."""
    g = np.random.default_rng(3)
    arrays = [g.standard_normal(s) for s in [(L, N, E), (S, N, 3), (S, N, 3), (3 * E, E),
                                             (3 * E,), (E, E), (E,), (E, E), (E, 3), (E, 3),
                                             (N * H, S + 1, E // H), (N * H, S + 1, E // H)]]

    def call(lib, _, q, k, v, w_in, b_in, w_out, b_out, wq, wk, wv, sk, sv):
        return lib.nn.functional.multi_head_attention_forward(
            q, k, v, E, H, w_in, b_in, None, None, True, 0.0, w_out, b_out,
            use_separate_proj_weight=True, q_proj_weight=wq, k_proj_weight=wk,
            v_proj_weight=wv, static_k=sk, static_v=sv, average_attn_weights=False)
    _compare(nn.Module(), torch.nn.Module(), arrays, call, "float64")


def test_dropout_while_training_drops_attention_weights():
    """Training with dropout p: each returned weight is 0 or the eval weight / (1 − p)."""
    tg.manual_seed(0)
    mha = nn.MultiheadAttention(E, H, dropout=0.5, dtype=tg.float64)
    x = tg.tensor(_rand(L, N, E))
    _, w = mha(x, x, x, average_attn_weights=False)
    mha.eval()
    _, w_eval = mha(x, x, x, average_attn_weights=False)
    kept = w.array != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(w.array[kept], 2 * w_eval.array[kept], rtol=1e-12)


@pytest.mark.parametrize("kw", [{}, {"kdim": 3, "vdim": 5}, {"add_bias_kv": True},
                                {"bias": False, "batch_first": True}],
                         ids=["packed", "kdim_vdim", "bias_kv", "no_bias"])
def test_multihead_attention_parameters_and_init_as_torch(kw):
    """Same parameter names, order, shapes and dtypes, and after manual_seed the same values
    (torch's draws: out_proj's Linear init, xavier_uniform_, xavier_normal_ for bias_k/v)."""
    for seed in (0, 5):
        tg.manual_seed(seed)
        torch.manual_seed(seed)
        ours, theirs = nn.MultiheadAttention(8, 2, **kw), torch.nn.MultiheadAttention(8, 2, **kw)
        a, b = ours.state_dict(), theirs.state_dict()
        assert list(a) == list(b)
        for k in b:
            assert_same(a[k], b[k], 1e-6, 1e-7, k)
    assert repr(ours) == repr(theirs)
    for name in ("embed_dim", "kdim", "vdim", "num_heads", "head_dim", "batch_first",
                 "dropout", "add_zero_attn", "_qkv_same_embed_dim"):
        assert getattr(ours, name) == getattr(theirs, name), name


@pytest.mark.parametrize("kpm,mask", [(True, False), (False, True), (True, True)])
@pytest.mark.parametrize("mask_dims", [2, 3])
def test_merge_masks_as_torch(kpm, mask, mask_dims):
    ours, theirs = _pair("MultiheadAttention", lambda lib: {"embed_dim": E, "num_heads": H},
                         "float64")
    k = _float_mask((N, L), 1) if kpm else None
    m = _float_mask((L, L) if mask_dims == 2 else (N * H, L, L), 2) if mask else None
    q = _rand(N, L, E)
    got, t = ours.merge_masks(*[None if a is None else tg.tensor(a) for a in (m, k, q)])
    want, t2 = theirs.merge_masks(*[None if a is None else torch.tensor(a) for a in (m, k, q)])
    assert t == t2
    assert_same(got, want)


# --------------------------------------------------------------------------- errors, warnings
def _mha(lib, **kw):
    return lib.nn.MultiheadAttention(E, H, **kw)


def _x(lib, *shape):
    return lib.tensor(_rand(*shape)).float()


ERRORS = {
    "embed_dim_zero": lambda lib: lib.nn.MultiheadAttention(0, 2),
    "heads_zero": lambda lib: lib.nn.MultiheadAttention(4, 0),
    "not_divisible": lambda lib: lib.nn.MultiheadAttention(5, 2),
    "query_1d": lambda lib: _mha(lib)(_x(lib, E), _x(lib, E), _x(lib, E)),
    "key_2d_for_3d_query": lambda lib: _mha(lib)(_x(lib, L, N, E), _x(lib, S, E), _x(lib, S, E)),
    "key_padding_mask_3d": lambda lib: _mha(lib)(
        _x(lib, L, N, E), _x(lib, S, N, E), _x(lib, S, N, E),
        key_padding_mask=lib.zeros(N, S, 1, dtype=lib.bool)),
    "key_padding_mask_wrong_length": lambda lib: _mha(lib)(
        _x(lib, L, N, E), _x(lib, S, N, E), _x(lib, S, N, E),
        key_padding_mask=lib.zeros(N, S + 1, dtype=lib.bool)),
    "key_padding_mask_wrong_batch": lambda lib: _mha(lib)(
        _x(lib, L, N, E), _x(lib, S, N, E), _x(lib, S, N, E),
        key_padding_mask=lib.zeros(N + 1, S, dtype=lib.bool)),
    "attn_mask_wrong_2d": lambda lib: _mha(lib)(
        _x(lib, L, N, E), _x(lib, S, N, E), _x(lib, S, N, E),
        attn_mask=lib.zeros(L, L, dtype=lib.bool)),
    "attn_mask_wrong_3d": lambda lib: _mha(lib)(
        _x(lib, L, N, E), _x(lib, S, N, E), _x(lib, S, N, E),
        attn_mask=lib.zeros(N, L, S, dtype=lib.bool)),
    "attn_mask_4d": lambda lib: _mha(lib)(
        _x(lib, L, N, E), _x(lib, S, N, E), _x(lib, S, N, E),
        attn_mask=lib.zeros(1, N * H, L, S, dtype=lib.bool)),
    "unbatched_attn_mask_3d": lambda lib: _mha(lib)(
        _x(lib, L, E), _x(lib, S, E), _x(lib, S, E), attn_mask=lib.zeros(N * H, L, S)),
    "int_mask": lambda lib: _mha(lib)(
        _x(lib, L, N, E), _x(lib, S, N, E), _x(lib, S, N, E),
        attn_mask=lib.zeros(L, S, dtype=lib.int64)),
    "float64_mask_float32_query": lambda lib: _mha(lib)(
        _x(lib, L, N, E), _x(lib, S, N, E), _x(lib, S, N, E),
        attn_mask=lib.zeros(L, S, dtype=lib.float64)),
    "is_causal_without_mask": lambda lib: _mha(lib)(
        _x(lib, L, N, E), _x(lib, L, N, E), _x(lib, L, N, E), is_causal=True),
    "key_value_lengths_differ": lambda lib: _mha(lib)(
        _x(lib, L, N, E), _x(lib, S, N, E), _x(lib, S + 1, N, E)),
    "wrong_embed_dim": lambda lib: _mha(lib)(
        _x(lib, L, N, E + 2), _x(lib, S, N, E + 2), _x(lib, S, N, E + 2)),
    "activation_name": lambda lib: lib.nn.TransformerEncoderLayer(4, 2, 8, activation="tanh"),
    "transformer_batch_sizes": lambda lib: lib.nn.Transformer(4, 2, 1, 1, 8)(
        _x(lib, S, N, 4), _x(lib, L, N + 1, 4)),
    "transformer_features": lambda lib: lib.nn.Transformer(4, 2, 1, 1, 8)(
        _x(lib, S, N, 4), _x(lib, L, N, 6)),
    "decoder_causal_without_mask": lambda lib: lib.nn.TransformerDecoderLayer(4, 2, 8)(
        _x(lib, L, N, 4), _x(lib, S, N, 4), tgt_is_causal=True),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_as_torch(case):
    with pytest.raises(Exception) as theirs:
        ERRORS[case](torch)
    with pytest.raises(Exception) as ours:
        ERRORS[case](tg)
    assert isinstance(ours.value, type(theirs.value)), (ours.value, theirs.value)
    words = [w for w in str(theirs.value).replace(",", " ").split() if w.isalpha() and len(w) > 4]
    assert any(w in str(ours.value) for w in words), (str(ours.value), str(theirs.value))


def test_mismatched_mask_types_warn_as_torch():
    q = _x(tg, L, N, E)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask"):
        _mha(tg)(q, q, q, key_padding_mask=tg.zeros(N, L, dtype=tg.bool),
                 attn_mask=tg.zeros(L, L))
    layer = nn.TransformerEncoderLayer(4, 2, 8)
    with pytest.warns(UserWarning, match="mismatched src_key_padding_mask and src_mask"):
        layer(q, src_mask=tg.zeros(L, L), src_key_padding_mask=tg.zeros(N, L, dtype=tg.bool))


# --------------------------------------------------------------------------- the Transformer family
def _act(lib):
    return lambda x: lib.tanh(x) * 2


LAYER = {"d_model": 4, "nhead": 2, "dim_feedforward": 6, "dropout": 0.0}
CM = Ellipsis    # stands for the causal mask of the sequence's length
# id: (class, constructor kwargs(lib), inputs "src"/"tgt+mem" and batch layout, forward kwargs)
TRANSFORMER_CASES = {
    "enc_layer": ("TransformerEncoderLayer", {}, "enc", {}),
    "enc_layer_batch_first": ("TransformerEncoderLayer", {"batch_first": True}, "enc", {}),
    "enc_layer_norm_first_gelu": ("TransformerEncoderLayer",
                                  {"norm_first": True, "activation": "gelu"}, "enc", {}),
    "enc_layer_callable_act": ("TransformerEncoderLayer", {"activation": _act}, "enc", {}),
    "enc_layer_module_act": ("TransformerEncoderLayer",
                             {"activation": lambda lib: lib.nn.GELU(approximate="tanh")}, "enc",
                             {}),
    "enc_layer_no_bias_eps": ("TransformerEncoderLayer", {"bias": False, "layer_norm_eps": 1e-3},
                              "enc", {}),
    "enc_layer_bool_masks": ("TransformerEncoderLayer", {}, "enc",
                             {"src_mask": _bool_mask((L, L), 30),
                              "src_key_padding_mask": _bool_mask((N, L), 31)}),
    "enc_layer_float_mask": ("TransformerEncoderLayer", {"batch_first": True}, "enc_bf",
                             {"src_mask": _float_mask((L, L), 32)}),
    "enc_layer_causal": ("TransformerEncoderLayer", {}, "enc",
                         {"src_mask": CM, "is_causal": True}),
    "enc_layer_dropout_eval": ("TransformerEncoderLayer", {"dropout": 0.4}, "enc",
                               {"src_key_padding_mask": _float_mask((N, L), 33)}),
    "enc_layer_unbatched": ("TransformerEncoderLayer", {"batch_first": True}, "enc1",
                            {"src_key_padding_mask": _bool_mask((L,), 34)}),
    "dec_layer": ("TransformerDecoderLayer", {}, "dec", {}),
    "dec_layer_norm_first_masks": ("TransformerDecoderLayer", {"norm_first": True}, "dec",
                                   {"tgt_mask": CM, "tgt_is_causal": True,
                                    "memory_mask": _bool_mask((L, S), 35),
                                    "tgt_key_padding_mask": _bool_mask((N, L), 36),
                                    "memory_key_padding_mask": _bool_mask((N, S), 37)}),
    "dec_layer_batch_first_gelu": ("TransformerDecoderLayer",
                                   {"batch_first": True, "activation": "gelu"}, "dec_bf",
                                   {"memory_mask": _float_mask((L, S), 38)}),
    "dec_layer_memory_causal": ("TransformerDecoderLayer", {}, "dec",
                                {"memory_mask": np.triu(np.ones((L, S), bool), 1),
                                 "memory_is_causal": True}),
    "dec_layer_unbatched": ("TransformerDecoderLayer", {}, "dec1",
                            {"memory_key_padding_mask": _bool_mask((S,), 39)}),
    "encoder": ("TransformerEncoder", "stack", "enc", {"mask": CM}),
    "encoder_batch_first_kpm": ("TransformerEncoder", "stack_bf", "enc_bf",
                                {"src_key_padding_mask": _bool_mask((N, L), 40)}),
    "encoder_bool_causal": ("TransformerEncoder", "stack", "enc",
                            {"mask": np.triu(np.ones((L, L), bool), 1)}),
    "encoder_not_causal": ("TransformerEncoder", "stack", "enc",
                           {"mask": _float_mask((L, L), 41), "is_causal": False}),
    "decoder": ("TransformerDecoder", "stack", "dec",
                {"tgt_mask": CM, "memory_key_padding_mask": _bool_mask((N, S), 42)}),
    "transformer": ("Transformer", {}, "seq2seq",
                    {"tgt_mask": CM, "src_key_padding_mask": _bool_mask((N, S), 43),
                     "memory_key_padding_mask": _bool_mask((N, S), 43)}),
    "transformer_batch_first_norm_first": ("Transformer",
                                           {"batch_first": True, "norm_first": True},
                                           "seq2seq_bf", {"src_mask": _float_mask((S, S), 44),
                                                          "memory_mask": _bool_mask((L, S), 45)}),
    "transformer_unbatched": ("Transformer", {"activation": "gelu"}, "seq2seq1",
                              {"tgt_mask": CM, "tgt_is_causal": True}),
}


def _transformer_kwargs(cls, kw):
    if cls == "Transformer":
        base = {**LAYER, "num_encoder_layers": 2, "num_decoder_layers": 1}
        return lambda lib: {**base, **{k: v(lib) if callable(v) else v for k, v in kw.items()}}
    return lambda lib: {**LAYER, **{k: v(lib) if callable(v) else v for k, v in kw.items()}}


def _stack(cls, bf, dtype):
    """torch's stack and ours from the same layer weights (the layer built by torch, copied)."""
    layer_cls = cls.replace("Transformer", "Transformer").replace("coder", "coderLayer")
    _, tdt, _, _ = DTYPES[dtype]
    t_layer = getattr(torch.nn, layer_cls)(**LAYER, batch_first=bf, dtype=tdt)
    o_layer = getattr(nn, layer_cls)(**LAYER, batch_first=bf, dtype=DTYPES[dtype][0])
    o_layer.load_state_dict(t_layer.state_dict())
    t_norm = torch.nn.LayerNorm(4, dtype=tdt)
    with torch.no_grad():
        t_norm.weight.uniform_(0.5, 1.5), t_norm.bias.uniform_(-1, 1)
    o_norm = nn.LayerNorm(4, dtype=DTYPES[dtype][0])
    o_norm.load_state_dict(t_norm.state_dict())
    theirs = getattr(torch.nn, cls)(t_layer, 2, norm=t_norm)
    ours = getattr(nn, cls)(o_layer, 2, norm=o_norm)
    with torch.no_grad():      # the copies start equal; make them differ (as after training)
        for p in theirs.layers[1].parameters():
            p.add_(0.1 * torch.randn_like(p))
    ours.load_state_dict(theirs.state_dict())
    return ours.eval(), theirs.eval()


def _seq(kind):
    src_len = S if kind.startswith("seq2seq") else L
    if kind in ("enc1",):
        return [_rand(L, 4)]
    if kind in ("enc", "enc_bf"):
        return [_rand(N, L, 4) if kind == "enc_bf" else _rand(L, N, 4)]
    if kind == "dec1":
        return [_rand(L, 4), _rand(S, 4, seed=1)]
    if kind == "dec":
        return [_rand(L, N, 4), _rand(S, N, 4, seed=1)]
    if kind == "dec_bf":
        return [_rand(N, L, 4), _rand(N, S, 4, seed=1)]
    if kind == "seq2seq1":
        return [_rand(S, 4), _rand(L, 4, seed=1)]
    if kind == "seq2seq_bf":
        return [_rand(N, src_len, 4), _rand(N, L, 4, seed=1)]
    return [_rand(src_len, N, 4), _rand(L, N, 4, seed=1)]


def _transformer_call(kind, fwd):
    def call(lib, mod, *ts):
        kw = {}
        for k, v in fwd.items():
            if v is CM:
                v = lib.nn.Transformer.generate_square_subsequent_mask(L, dtype=ts[0].dtype)
            elif isinstance(v, np.ndarray):
                v = lib.tensor(v)
                v = v.to(ts[0].dtype) if v.is_floating_point() else v
            kw[k] = v
        if kind.startswith("seq2seq"):
            return (mod(ts[0], ts[1], **kw),)
        return (mod(*ts, **kw),)
    return call


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", TRANSFORMER_CASES)
def test_transformer_family_as_torch(case, dtype):
    cls, kw, kind, fwd = TRANSFORMER_CASES[case]
    if isinstance(kw, str):
        ours, theirs = _stack(cls, kw == "stack_bf", dtype)
    else:
        ours, theirs = _pair(cls, _transformer_kwargs(cls, kw), dtype)
    _compare(ours, theirs, _seq(kind), _transformer_call(kind, fwd), dtype)


def test_transformer_with_custom_encoder_and_decoder():
    """custom_encoder/custom_decoder are used as given (and re-initialised with the rest)."""
    def kwargs(lib):
        dt = lib.float64
        enc = lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(4, 2, 6, 0.0, dtype=dt), 1)
        dec = lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(4, 2, 6, 0.0, dtype=dt), 2,
                                        norm=lib.nn.LayerNorm(4, dtype=dt))
        return {"d_model": 4, "nhead": 2, "custom_encoder": enc, "custom_decoder": dec}
    tg.manual_seed(3)
    torch.manual_seed(3)
    ours, theirs = _pair("Transformer", kwargs, "float64")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _compare(ours, theirs, _seq("seq2seq"), _transformer_call("seq2seq", {"tgt_mask": CM}),
             "float64")


@pytest.mark.parametrize("case", ["enc_layer_bool_masks", "dec_layer_norm_first_masks"])
def test_transformer_layers_second_order(case):
    cls, kw, kind, fwd = TRANSFORMER_CASES[case]
    ours, theirs = _pair(cls, _transformer_kwargs(cls, kw), "float64")
    _compare(ours, theirs, _seq(kind), _transformer_call(kind, fwd), "float64",
             second_order=True)


@pytest.mark.parametrize("kw", [{}, {"batch_first": True, "norm_first": True, "bias": False}],
                         ids=["default", "bf_norm_first_no_bias"])
def test_transformer_state_dict_and_init_as_torch(kw):
    """Keys (``encoder.layers.0.self_attn.in_proj_weight``, ...), their order and, after
    manual_seed, the values: torch's draws, in torch's order (layers deep-copied, then every
    matrix re-drawn with xavier_uniform_)."""
    tg.manual_seed(1)
    torch.manual_seed(1)
    args = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
                dim_feedforward=12, **kw)
    ours, theirs = nn.Transformer(**args), torch.nn.Transformer(**args)
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b)
    for k in b:
        assert_same(a[k], b[k], 1e-6, 1e-7, k)
    assert repr(ours.encoder.layers[0]) == repr(theirs.encoder.layers[0])
    assert repr(ours.decoder.layers[0]) == repr(theirs.decoder.layers[0])
    assert (ours.d_model, ours.nhead, ours.batch_first) == (8, 2, kw.get("batch_first", False))


def test_encoder_layers_are_deep_copies_and_attributes_as_torch():
    layer = nn.TransformerEncoderLayer(4, 2, 6, batch_first=True)
    enc = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    assert [k for k in enc.state_dict() if k.endswith("in_proj_weight")] == \
        [f"layers.{i}.self_attn.in_proj_weight" for i in range(3)]
    w = [m.linear1.weight for m in enc.layers]
    assert len({id(p) for p in w + [layer.linear1.weight]}) == 4
    assert all(np.array_equal(p.array, layer.linear1.weight.array) for p in w)
    with tg.no_grad():
        w[0].add_(1.0)
    assert not np.array_equal(w[0].array, w[1].array)
    tl = torch.nn.TransformerEncoderLayer(4, 2, 6, batch_first=True)
    te = torch.nn.TransformerEncoder(tl, 3, enable_nested_tensor=False)
    for name in ("num_layers", "enable_nested_tensor", "use_nested_tensor", "mask_check"):
        assert getattr(enc, name) == getattr(te, name), name
    assert layer.activation_relu_or_gelu == tl.activation_relu_or_gelu == 1
    assert nn.TransformerEncoderLayer(4, 2, activation="gelu").activation_relu_or_gelu == 2


@pytest.mark.parametrize("kw", [{}, {"batch_first": True}, {"batch_first": True, "nhead": 1},
                                {"batch_first": True, "norm_first": True}])
def test_encoder_nested_tensor_warning_as_torch(kw):
    """torch warns (and sets use_nested_tensor=False) when its fast path could not use nested
    tensors; so do we, with its reason."""
    import warnings
    args = {"d_model": 4, "nhead": 2, "dim_feedforward": 6, **kw}
    for lib in (torch, tg):
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            enc = lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(**args), 2)
        if lib is torch:
            want, use = [str(w.message) for w in got], enc.use_nested_tensor
        else:
            assert [str(w.message) for w in got] == want and enc.use_nested_tensor == use


@pytest.mark.parametrize("dtype", [None, "float64", "bool"])
def test_generate_square_subsequent_mask_as_torch(dtype):
    ours = nn.Transformer.generate_square_subsequent_mask(
        5, dtype=None if dtype is None else getattr(tg, dtype))
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(
        5, dtype=None if dtype is None else getattr(torch, dtype))
    assert_same(ours, theirs)


def test_same_values_as_torchs_inference_fast_paths():
    """In eval mode without autograd torch takes fused "fast paths"; this library always
    computes its ordinary path. They agree wherever a query sees at least one key, and for
    TransformerEncoder at the positions that are not padding (torch's nested tensors leave
    zeros at padded positions; see the modules' docstrings)."""
    tg.manual_seed(0)
    x = _rand(N, L, 4)
    kpm = np.array([[False, False, True], [False, True, True]])
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 6, batch_first=True,
                                                            dtype=tg.float64), 2).eval()
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(
        4, 2, 6, batch_first=True, dtype=torch.float64), 2).eval()
    ours.load_state_dict(theirs.state_dict())
    mha, tmha = ours.layers[0].self_attn, theirs.layers[0].self_attn
    with torch.no_grad(), tg.no_grad():
        for kw in ({}, {"key_padding_mask": kpm}, {"attn_mask": CAUSAL > 0}):
            for nw in (True, False):
                got = mha(*[tg.tensor(x)] * 3, need_weights=nw,
                          **{k: tg.tensor(v) for k, v in kw.items()})
                want = tmha(*[torch.tensor(x)] * 3, need_weights=nw,
                            **{k: torch.tensor(v) for k, v in kw.items()})
                assert_same(got[0], want[0], 1e-9, 1e-11)
        got = ours(tg.tensor(x), src_key_padding_mask=tg.tensor(kpm))
        want = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
        assert_same(got.array[~kpm], want.numpy()[~kpm], 1e-9, 1e-11)
        assert (want.numpy()[kpm] == 0).all()


def test_reprs_of_stacks_compress_repeats_as_torch():
    reprs = []
    for L in (tg, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = L.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=3, num_decoder_layers=1,
                                 dim_feedforward=16)
        m = L.nn.ModuleList([L.nn.Linear(2, 2), L.nn.Linear(2, 2), L.nn.ReLU(),
                             L.nn.Linear(2, 2), L.nn.Linear(2, 3)])
        reprs.append((repr(t), repr(m), repr(L.nn.ModuleList()), repr(m[2:3])))
    assert reprs[0] == reprs[1]
    assert "(0-2): 3 x TransformerEncoderLayer(" in reprs[0][0]
