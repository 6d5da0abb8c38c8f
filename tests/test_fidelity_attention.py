"""What the attention programs (tests/torch_programs/transformer_translation.py, vit_tiny.py,
attention_zoo.py) needed, checked against torch:

* dropout draws its mask in the input's memory order, as torch's ``empty_like(x).bernoulli_()``
  does: a ``batch_first`` Transformer layer drops out the attention output transposed back
  from (L, N, E), so its mask is not the one a contiguous tensor would get;
* the layout torch gives results, which that order depends on: ``a + b`` with inputs of
  different layouts is laid out as TensorIterator lays it out (NumPy may choose another), and
  ``cat`` is contiguous (NumPy's follows its inputs), unless every input is channels-last.
"""
import numpy as np
import pytest
import torch

import tinygrad_sgd as tg


def both(make):
    """``make(m)`` for m = torch and tinygrad_sgd, each after manual_seed(0)."""
    out = []
    for m in (torch, tg):
        m.manual_seed(0)
        out.append(make(m))
    return out


def values(t):
    return np.asarray(t.detach().tolist())


# ------------------------------------------------------------------ dropout in memory order
DROPOUT_INPUTS = [
    ("contiguous", lambda m: m.randn(3, 4)),
    ("transposed", lambda m: m.randn(3, 4).t()),
    ("permuted 3-d", lambda m: m.randn(2, 3, 4).permute(2, 0, 1)),
    ("transpose(1, 0) of (L, N, E)", lambda m: m.randn(5, 2, 6).transpose(1, 0)),
    ("size-1 dims", lambda m: m.randn(2, 1, 3, 4).transpose(0, 3)),
    ("sliced columns", lambda m: m.randn(5, 6)[:, ::2]),
    ("sliced, transposed", lambda m: m.randn(6, 5)[::2].t()),
    ("expanded", lambda m: m.randn(1, 4).expand(3, 4)),
    ("flipped", lambda m: m.randn(3, 4).flip(0)),
    ("channels_last", lambda m: m.randn(2, 3, 4, 5).contiguous(memory_format=m.channels_last)),
    # a convolution's result (batch-innermost memory here, contiguous in torch) and what
    # follows it: drawn in index order, as torch's contiguous tensors
    # (in float64: the values are compared closely)
    ("conv output", lambda m: m.nn.functional.conv2d(
        m.randn(4, 2, 7, 7, dtype=m.float64), m.randn(3, 2, 3, 3, dtype=m.float64))),
    ("pooled conv output", lambda m: m.nn.functional.max_pool2d(m.nn.functional.conv2d(
        m.randn(4, 1, 8, 8, dtype=m.float64), m.randn(3, 1, 3, 3, dtype=m.float64)), 2)),
    ("flattened conv output", lambda m: m.flatten(m.nn.functional.conv2d(
        m.randn(5, 1, 6, 6, dtype=m.float64), m.randn(2, 1, 3, 3, dtype=m.float64)), 1)),
]


@pytest.mark.parametrize("name,make", DROPOUT_INPUTS, ids=[c[0] for c in DROPOUT_INPUTS])
@pytest.mark.parametrize("p", [0.25, 0.5])
def test_dropout_mask_follows_memory_order(name, make, p):
    def run(m):
        x = make(m).requires_grad_()
        y = m.nn.functional.dropout(x, p)
        (y * m.arange(y.numel(), dtype=y.dtype).reshape(y.shape)).sum().backward()
        return y, x.grad
    (ty, tgrad), (oy, ograd) = both(run)
    np.testing.assert_allclose(values(oy), values(ty), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(values(ograd), values(tgrad), rtol=1e-6)


def test_dropout_of_a_transposed_tensor_is_not_the_contiguous_mask():
    """The test above can fail: torch's masks for x.t() and x.t().contiguous() differ."""
    a, b = both(lambda m: m.nn.functional.dropout(m.ones(3, 4).t(), 0.5))
    c, d = both(lambda m: m.nn.functional.dropout(m.ones(3, 4).t().contiguous(), 0.5))
    assert not np.array_equal(values(a), values(c))
    np.testing.assert_array_equal(values(b), values(a))
    np.testing.assert_array_equal(values(d), values(c))


@pytest.mark.parametrize("norm_first", [False, True])
def test_batch_first_encoder_layer_in_training_is_torchs(norm_first):
    def run(m):
        layer = m.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3, batch_first=True,
                                             norm_first=norm_first)
        x = m.randn(3, 5, 8, requires_grad=True)
        y = layer(x)
        (y * m.linspace(-1, 1, 8)).sum().backward()
        return y, x.grad, layer.self_attn.in_proj_weight.grad
    theirs, ours = both(run)
    for t, o in zip(theirs, ours):
        np.testing.assert_allclose(values(o), values(t), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ result layouts
LAYOUTS = [
    ("a + b.t()", lambda m: m.randn(3, 4) + m.randn(4, 3).t()),
    ("b.t() + a", lambda m: m.randn(4, 3).t() + m.randn(3, 4)),
    ("b.t() * scalar", lambda m: m.randn(4, 3).t() * 2),
    ("transposed + broadcast", lambda m: m.randn(2, 8, 17).transpose(1, 2) + m.randn(1, 17, 8)),
    ("x + out.transpose(1, 0)", lambda m: m.randn(2, 17, 8) + m.randn(17, 2, 8).transpose(0, 1)),
    ("out.transpose(1, 0) * x", lambda m: m.randn(17, 2, 8).transpose(0, 1) * m.randn(2, 17, 8)),
    ("permuted - contiguous", lambda m: m.randn(2, 3, 4, 5).permute(0, 2, 3, 1) - m.randn(2, 4, 5, 3)),
    ("transposed / column", lambda m: m.randn(4, 3).t() / m.randn(3, 1)),
    ("channels_last + contiguous", lambda m: m.randn(2, 3, 4, 5).contiguous(
        memory_format=m.channels_last) + m.randn(2, 3, 4, 5)),
    ("cat of a transposed", lambda m: m.cat((m.zeros(2, 1, 8), m.randn(2, 8, 16).transpose(1, 2)), 1)),
    ("cat of two transposed", lambda m: m.cat((m.randn(4, 3).t(), m.randn(4, 3).t()), 0)),
    ("cat of channels_last", lambda m: m.cat([m.randn(2, 3, 4, 5).contiguous(
        memory_format=m.channels_last)] * 2, 1)),
    ("cat of mixed 4-d", lambda m: m.cat([m.randn(2, 3, 4, 5).contiguous(
        memory_format=m.channels_last), m.randn(2, 3, 4, 5)], 1)),
]


@pytest.mark.parametrize("name,make", LAYOUTS, ids=[c[0] for c in LAYOUTS])
def test_result_layout_is_torchs(name, make):
    theirs, ours = both(make)
    assert ours.stride() == theirs.stride()
    assert ours.is_contiguous() == theirs.is_contiguous()
    np.testing.assert_allclose(values(ours), values(theirs), rtol=1e-6)


def test_cat_gradients_are_torchs():
    def run(m):
        a = m.randn(2, 8, 4, requires_grad=True)
        b = m.randn(2, 1, 8, requires_grad=True)
        y = m.cat((b, a.transpose(1, 2)), dim=1)
        (y * m.arange(y.numel(), dtype=y.dtype).reshape(y.shape)).sum().backward()
        return a.grad, b.grad
    theirs, ours = both(run)
    for t, o in zip(theirs, ours):
        np.testing.assert_allclose(values(o), values(t))


# ------------------------------------------------------------------ other draws of empty_like
@pytest.mark.parametrize("name,make", DROPOUT_INPUTS, ids=[c[0] for c in DROPOUT_INPUTS])
def test_rand_like_and_alpha_dropout_follow_memory_order(name, make):
    def run(m):
        x = make(m)
        return (m.rand_like(x), m.nn.functional.alpha_dropout(x, 0.3, True),
                m.rand_like(x, dtype=m.float64))
    theirs, ours = both(run)
    for t, o in zip(theirs, ours):
        assert o.dtype == (tg.float64 if t.dtype == torch.float64 else tg.float32)
        np.testing.assert_allclose(values(o), values(t), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape", [(3, 4), (3, 5), (2, 3, 2)])
def test_randn_like_of_a_small_transposed_tensor(shape):
    """Under 16 elements torch's normal_ draws as randn does, in memory order (from 16 on,
    a non-contiguous tensor is filled another way, which the library does not copy)."""
    theirs, ours = both(lambda m: m.randn_like(m.ones(*shape).transpose(0, -1)))
    np.testing.assert_allclose(values(ours), values(theirs), rtol=1e-6)


def test_rand_like_keeps_requires_grad_and_errors():
    for m in (torch, tg):
        assert m.rand_like(m.ones(2, 3).t(), requires_grad=True).requires_grad
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            m.rand_like(m.ones(2, 3).t(), dtype=m.int64)


def _sdpa_case(q, k, v, **kw):
    def run(m):
        g = np.random.default_rng(0)
        make = (lambda shape, dtype="float32": m.tensor(g.standard_normal(shape).astype(dtype))
                if dtype[0] == "f" else m.tensor(g.integers(0, 3, shape).astype(dtype)))
        kw2 = {name: (make(*value) if isinstance(value, tuple) else value)
               for name, value in kw.items()}
        return m.nn.functional.scaled_dot_product_attention(make(*q), make(*k), make(*v), **kw2)
    return run


_SDPA = {
    "feature sizes differ": _sdpa_case(((1, 2, 3, 2),), ((1, 2, 3, 4),), ((1, 2, 3, 2),)),
    "integer inputs": _sdpa_case(((1, 2, 3, 2), "int64"), ((1, 2, 3, 2), "int64"),
                                 ((1, 2, 3, 2), "int64")),
    "dropout_p > 1": _sdpa_case(((1, 2, 3, 2),), ((1, 2, 3, 2),), ((1, 2, 3, 2),),
                                dropout_p=1.5),
    "int64 mask": _sdpa_case(((1, 2, 3, 2),), ((1, 2, 3, 2),), ((1, 2, 3, 2),),
                             attn_mask=((3, 3), "int64")),
    "float64 mask, float32 query": _sdpa_case(((1, 2, 3, 2),), ((1, 2, 3, 2),),
                                              ((1, 2, 3, 2),), attn_mask=((3, 3), "float64")),
    "a list mask": _sdpa_case(((1, 2, 3, 2),), ((1, 2, 3, 2),), ((1, 2, 3, 2),),
                              attn_mask=[[0.0] * 3] * 3),
    "gqa: key and value heads differ": _sdpa_case(((1, 4, 3, 2),), ((1, 2, 3, 2),),
                                                  ((1, 1, 3, 2),), enable_gqa=True),
    "gqa: heads that do not divide": _sdpa_case(((1, 4, 3, 2),), ((1, 3, 3, 2),),
                                                ((1, 1, 3, 2),), enable_gqa=True),
}


@pytest.mark.parametrize("name", list(_SDPA))
def test_sdpa_checks_and_gqa_as_torch(name):
    results = []
    for m in (torch, tg):
        try:
            results.append(("ok", _SDPA[name](m).detach().numpy()))
        except Exception as e:                              # noqa: BLE001 (compared)
            results.append(("error", "RuntimeError" if isinstance(e, RuntimeError)
                            else type(e).__name__))
    assert results[0][0] == results[1][0], results
    if results[0][0] == "ok":
        np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5, atol=1e-6)
    else:
        assert results[0][1] == results[1][1], results


def test_sdpa_with_an_empty_feature_dim_is_the_mean_of_values():
    """E = 0: every score is an empty sum (0) whatever torch's 1/√0, so each row is the mean of
    v — torch's result, and its gradient (a ZeroDivisionError had been raised)."""
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in ((2, 3, 0), (2, 4, 0),
                                                                     (2, 4, 5)))
    results = []
    for L in (torch, tg):
        vs = L.tensor(v, requires_grad=True)
        out = L.nn.functional.scaled_dot_product_attention(L.tensor(q), L.tensor(k), vs)
        out.sum().backward()
        results.append((out.detach().numpy(), vs.grad.numpy()))
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
