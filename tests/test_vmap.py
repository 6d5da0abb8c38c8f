"""``func.vmap`` against ``torch.func.vmap`` (torch 2.13), table by table: values and dtypes
for in_dims / out_dims of every form (ints, negative, None, nested pytrees, prefixes),
kwargs, Python scalars, 0-d and empty outputs, nested vmaps and chunking; gradients through
a vmapped function; its composition with grad / jacrev / functional_call (per-sample
gradients); the randomness modes (the same numbers where torch's batched draw allows); and
torch's errors (class and message) for every misuse.

Each row runs the same program ``fn(L, vmap, *tensors)`` on torch and on tinygrad_sgd."""
import numpy as np
import pytest
import torch
import torch.func  # noqa: F401  (torch.func.vmap)

import tinygrad_sgd as tg
import tinygrad_sgd.func  # noqa: F401

RNG = np.random.default_rng(77)


def arr(*shape, dtype=np.float64):
    return RNG.uniform(-2.0, 2.0, shape).astype(dtype)


def _leaves(tree):
    if isinstance(tree, dict):
        return [x for k in tree for x in _leaves(tree[k])]
    if isinstance(tree, (tuple, list)):
        return [x for t in tree for x in _leaves(t)]
    return [tree]


def _assert_same(ours, theirs, what="value"):
    ol, tl = _leaves(ours), _leaves(theirs)
    assert len(ol) == len(tl), (ours, theirs)
    for i, (a, b) in enumerate(zip(ol, tl)):
        if not isinstance(b, torch.Tensor):
            assert a == b, f"{what} {i}: {a!r} != torch's {b!r}"
            continue
        assert isinstance(a, tg.Tensor), f"{what} {i}: {type(a)}"
        assert tuple(a.shape) == tuple(b.shape), f"{what} {i}: {a.shape} != {b.shape}"
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (a.dtype, b.dtype)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6,
                                   atol=1e-8, err_msg=f"{what} {i}")


def _run(L, fn, arrays, grad):
    ts = [L.tensor(a) for a in arrays]
    for i in grad:
        ts[i].requires_grad_(True)
    try:
        out = fn(L, L.func.vmap, *ts)
        grads = None
        if grad:
            total = sum((o * L.cos(L.arange(o.numel(), dtype=o.dtype).reshape(o.shape))).sum()
                        for o in _leaves(out) if isinstance(o, L.Tensor) and o.requires_grad)
            grads = L.autograd.grad(total, [ts[i] for i in grad], allow_unused=True)
        return None, out, grads
    except Exception as e:      # (compared with torch's below)
        return e, None, None


def same_as_torch(fn, arrays, grad=(), message=True):
    terr, tout, tgrads = _run(torch, fn, arrays, grad)
    oerr, oout, ograds = _run(tg, fn, arrays, grad)
    if terr is not None:
        assert oerr is not None, f"torch raised {terr!r}, we returned {oout}"
        assert isinstance(oerr, type(terr)), f"{oerr!r} is not torch's {terr!r}"
        assert not message or str(terr) in str(oerr), (str(oerr), str(terr))
        return
    if oerr is not None:
        raise AssertionError(f"torch returned {tout}, we raised") from oerr
    _assert_same(oout, tout)
    if grad:
        _assert_same(list(ograds), list(tgrads), "gradient")


# ============================================================================ 1. values, grads
def _kw(a, b=None, scale=1.0):
    return (a + b) * scale


VALUES = [
    ("sin", lambda L, v, x: v(L.sin)(x), [arr(3, 4)], (0,)),
    ("add_none", lambda L, v, x, y: v(L.add, in_dims=(0, None))(x, y), [arr(3, 4), arr(4)], (0, 1)),
    ("in_dims_1_0", lambda L, v, a, b: v(L.mv, in_dims=(2, 0))(a, b),
     [arr(2, 4, 3), arr(3, 4)], (0, 1)),
    ("negative_in_dim", lambda L, v, x: v(lambda a: a * a, in_dims=-1)(x), [arr(2, 5)], (0,)),
    ("out_dims_1", lambda L, v, x: v(lambda a: a.exp(), out_dims=1)(x), [arr(3, 2, 4)], (0,)),
    ("out_dims_neg", lambda L, v, x: v(lambda a: a.exp(), out_dims=-1)(x), [arr(3, 2, 4)], (0,)),
    ("tuple_out", lambda L, v, x: v(lambda a: (a.sum(), a * 2), out_dims=(0, 1))(x),
     [arr(3, 4)], (0,)),
    ("list_out_prefix", lambda L, v, x: v(lambda a: [a, (a * 3, a.sum())], out_dims=[1, 0])(x),
     [arr(3, 4)], (0,)),
    ("dict_out", lambda L, v, x: v(lambda a: {"u": a, "s": a.sum()}, out_dims={"s": 0, "u": 1})(x),
     [arr(3, 4)], (0,)),
    ("single_out_tuple_dims", lambda L, v, x: v(lambda a: a * 2, out_dims=(1,))(x),
     [arr(3, 4)], (0,)),
    ("dict_in", lambda L, v, w, b: v(lambda p: p["w"] * p["b"], in_dims=({"w": 0, "b": None},))(
        {"w": w, "b": b}), [arr(3, 4), arr(4)], (0, 1)),
    ("dict_in_key_order", lambda L, v, w, b: v(lambda p: p["w"] - p["b"],
                                              in_dims=({"b": 1, "w": 0},))({"w": w, "b": b}),
     [arr(3, 4), arr(4, 3)], (0, 1)),
    ("list_in", lambda L, v, x, y: v(lambda p: p[0] @ p[1], in_dims=([0, None],))([x, y]),
     [arr(3, 4), arr(4, 2)], (0, 1)),
    ("nested_prefix", lambda L, v, x, y, z: v(lambda t, c: t[0] * t[1] + c,
                                              in_dims=((None, 1), 0))((x, y), z),
     [arr(4), arr(4, 3), arr(3, 4)], (0, 1, 2)),
    ("int_broadcasts_into_tuple", lambda L, v, x, y: v(lambda t: t[0] * t[1])((x, y)),
     [arr(3, 4), arr(3, 4)], (0, 1)),
    ("kwargs_not_mapped", lambda L, v, x, y: v(_kw)(x, b=y, scale=2.0), [arr(3, 4), arr(4)],
     (0, 1)),
    ("kwargs_broadcast", lambda L, v, x, y: v(_kw)(x, b=y), [arr(3, 4), arr(3, 4)], (0, 1)),
    ("python_scalar", lambda L, v, x: v(lambda a, s: a * s, in_dims=(0, None))(x, 2.5),
     [arr(3, 4)], (0,)),
    ("none_arg", lambda L, v, x: v(lambda a, n: a if n is None else -a, in_dims=(0, None))(x, None),
     [arr(3, 4)], (0,)),
    ("zero_d_out", lambda L, v, x: v(lambda a: (a * a).sum())(x), [arr(5, 3)], (0,)),
    ("zero_d_in", lambda L, v, x: v(lambda a: a * 3)(x), [arr(5)], (0,)),
    ("empty_batch", lambda L, v, x: v(lambda a: (a.sin(), a.sum()), out_dims=(1, 0))(x),
     [arr(0, 3)], ()),
    ("int_dtype", lambda L, v, x: v(lambda a: a * 2 + 1)(x),
     [RNG.integers(-5, 5, (3, 4))], ()),
    ("promotion_0d_sample", lambda L, v, x, y: v(lambda a, b: a * b, in_dims=(0, None))(x, y),
     [arr(3), arr(4, dtype=np.float32)], (0, 1)),
    ("out_dims_none_unbatched",
     lambda L, v, x, c: v(lambda a: (a * 2, c.sum()), out_dims=(0, None))(x),
     [arr(3, 4), arr(2)], (0, 1)),
    ("out_dims_none_nan", lambda L, v, x, c: v(lambda a: (a, c / 0 * 0), out_dims=(0, None))(x),
     [arr(3, 4), arr(2)], (0,)),
    ("out_dims_none_python", lambda L, v, x: v(lambda a: (a, 3), out_dims=(0, None))(x),
     [arr(3, 4)], (0,)),
    ("nested_outer_product", lambda L, v, x, y: v(v(L.mul, in_dims=(None, 0)), in_dims=(0, None))(x, y),
     [arr(3), arr(4)], (0, 1)),
    ("nested_in_dims", lambda L, v, x: v(v(lambda a: a.sum(), in_dims=1), in_dims=2)(x),
     [arr(2, 3, 4)], (0,)),
    ("chunk_size", lambda L, v, x, y: v(lambda a, b: a @ b, in_dims=(0, None), chunk_size=2)(x, y),
     [arr(5, 4), arr(4, 3)], (0, 1)),
    ("chunk_size_big", lambda L, v, x: v(L.tanh, chunk_size=10)(x), [arr(3, 2)], (0,)),
    ("closure_requires_grad", lambda L, v, x, w: v(lambda a: (a * w).sum() + w[0])(x),
     [arr(3, 4), arr(4)], (0, 1)),
    ("functions_inside", lambda L, v, x: v(lambda a: L.softmax(a, 0) @ a.cumsum(0))(x),
     [arr(4, 5)], (0,)),
    ("unbatched_output_expanded", lambda L, v, x, c: v(lambda a: (a + 1, c), out_dims=(1, 0))(x),
     [arr(3, 4), arr(2, 2)], (0, 1)),
    ("inplace_on_sample_view_grads", lambda L, v, x: v(lambda a: a.mul_(2).sin())(x * 1),
     [arr(3, 4)], (0,)),
    ("inplace_then_input_grads", lambda L, v, x: (lambda y: (v(lambda a: a.mul_(2) * a.exp())(y), y))(x * 1),
     [arr(3, 4)], (0,)),
    ("inplace_in_dim_1", lambda L, v, x: (lambda y: (v(lambda a: a.mul_(3).sin(), in_dims=1)(y), y))(x * 1),
     [arr(3, 4)], (0,)),
    ("select_inside", lambda L, v, x: v(lambda a: a[1:] * a[0])(x), [arr(3, 4)], (0,)),
    ("top_level_vmap", lambda L, v, x: L.vmap(L.cos, in_dims=1)(x), [arr(3, 4)], (0,)),
]


@pytest.mark.parametrize("fn, arrays, grad", [c[1:] for c in VALUES], ids=[c[0] for c in VALUES])
def test_vmap_values_and_grads(fn, arrays, grad):
    same_as_torch(fn, arrays, grad)


def test_inplace_on_mapped_input():
    """In-place ops write through each sample's view into the input, as torch's do."""
    for L in (torch, tg):
        x = L.tensor(np.arange(12.0).reshape(3, 4))
        out = L.func.vmap(lambda a: a.mul_(2).add_(1))(x)
        np.testing.assert_array_equal(out.numpy(), np.arange(12.0).reshape(3, 4) * 2 + 1)
        np.testing.assert_array_equal(x.numpy(), out.numpy())


# ============================================================================ 2. composition
class _Net:
    @staticmethod
    def make(L):
        L.manual_seed(0)
        return L.nn.Sequential(L.nn.Linear(4, 3), L.nn.Tanh(), L.nn.Linear(3, 2))


def _per_sample_grads(L, v, xs, ys):
    model = _Net.make(L)
    params = {k: p.detach() for k, p in model.named_parameters()}

    def loss(p, x, y):
        out = L.func.functional_call(model, p, (x.unsqueeze(0),))
        return L.nn.functional.cross_entropy(out, y.unsqueeze(0))
    return v(L.func.grad(loss), in_dims=(None, 0, 0))(params, xs, ys)


COMPOSED = [
    ("per_sample_grads", _per_sample_grads,
     [arr(5, 4, dtype=np.float32), np.array([0, 1, 1, 0, 1])], ()),
    ("vmap_grad", lambda L, v, x: v(L.func.grad(lambda a: (a.sin() * a).sum()))(x),
     [arr(3, 4)], (0,)),
    ("grad_of_vmap", lambda L, v, x: L.func.grad(lambda z: v(lambda a: (a * a).sum().exp())(z).sum())(x),
     [arr(3, 2)], (0,)),
    ("vmap_jacrev", lambda L, v, x: v(L.func.jacrev(lambda a: a.sin() * a.sum()))(x),
     [arr(3, 4)], (0,)),
    ("vmap_hessian", lambda L, v, x: v(L.func.hessian(lambda a: (a ** 3).sum()))(x),
     [arr(2, 3)], (0,)),
    ("jacrev_of_vmap", lambda L, v, x: L.func.jacrev(v(lambda a: a.cos() * a[0]))(x),
     [arr(2, 3)], ()),
    ("vmap_grad_argnums", lambda L, v, x, y: v(L.func.grad(lambda a, b: (a * b).sum(), argnums=(0, 1)))(x, y),
     [arr(3, 4), arr(3, 4)], (0, 1)),
]


@pytest.mark.parametrize("fn, arrays, grad", [c[1:] for c in COMPOSED], ids=[c[0] for c in COMPOSED])
def test_vmap_composes(fn, arrays, grad):
    same_as_torch(fn, arrays, grad)


# ============================================================================ 3. errors
ERRORS = [
    ("batch_mismatch", lambda L, v, x, y: v(L.add)(x, y), [arr(3, 4), arr(5, 4)]),
    ("batch_mismatch_dims", lambda L, v, x, y: v(L.add, in_dims=(0, 1))(x, y), [arr(3, 2), arr(2, 4)]),
    ("in_dim_too_big", lambda L, v, x: v(L.sin, in_dims=2)(x), [arr(3, 4)]),
    ("in_dim_too_small", lambda L, v, x: v(L.sin, in_dims=-3)(x), [arr(3, 4)]),
    ("in_dim_on_0d", lambda L, v, x: v(L.sin)(x), [np.array(1.0)]),
    ("in_dims_none", lambda L, v, x: v(L.sin, in_dims=None)(x), [arr(3, 4)]),
    ("in_dims_list", lambda L, v, x: v(L.add, in_dims=[0, 0])(x, x), [arr(3, 4)]),
    ("in_dims_str", lambda L, v, x: v(L.sin, in_dims="a")(x), [arr(3, 4)]),
    ("in_dims_float", lambda L, v, x: v(L.sin, in_dims=(0.5,))(x), [arr(3, 4)]),
    ("in_dims_short", lambda L, v, x: v(L.add, in_dims=(0,))(x, x), [arr(3, 4)]),
    ("in_dims_dict_keys", lambda L, v, x: v(lambda d: d["a"], in_dims=({"b": 0},))({"a": x}),
     [arr(3, 4)]),
    ("in_dims_list_vs_tuple", lambda L, v, x: v(lambda t: t[0], in_dims=([0, 0],))((x, x)),
     [arr(3, 4)]),
    ("in_dims_nested_mismatch", lambda L, v, x: v(lambda t: t, in_dims=((0, (0, 0)),))((x, (x, x, x))),
     [arr(3, 4)]),
    ("no_tensor_mapped", lambda L, v, x: v(lambda a, b: a, in_dims=(None, None))(x, x), [arr(3, 4)]),
    ("python_scalar_mapped", lambda L, v, x: v(lambda a: a * 2)(3.0), [arr(3, 4)]),
    ("none_mapped", lambda L, v, x: v(lambda a, b: a, in_dims=(0, 0))(x, None), [arr(3, 4)]),
    ("no_inputs", lambda L, v, x: v(lambda: x)(), [arr(3, 4)]),
    ("output_float", lambda L, v, x: v(lambda a: 3.0)(x), [arr(3, 4)]),
    ("output_int_in_tuple", lambda L, v, x: v(lambda a: (a, 3))(x), [arr(3, 4)]),
    ("output_none", lambda L, v, x: v(lambda a: None)(x), [arr(3, 4)]),
    ("out_dim_out_of_range", lambda L, v, x: v(lambda a: a, out_dims=2)(x), [arr(3, 4)]),
    ("out_dim_too_small", lambda L, v, x: v(lambda a: a, out_dims=-3)(x), [arr(3, 4)]),
    ("out_dims_structure", lambda L, v, x: v(lambda a: (a, a), out_dims=(0, 0, 0))(x), [arr(3, 4)]),
    ("out_dims_nested_structure", lambda L, v, x: v(lambda a: (a, a), out_dims=(0, (0,)))(x),
     [arr(3, 4)]),
    ("out_dims_list_for_tensor", lambda L, v, x: v(lambda a: a, out_dims=[0])(x), [arr(3, 4)]),
    ("out_dims_tuple_for_list", lambda L, v, x: v(lambda a: [a, a], out_dims=(0, 1))(x), [arr(3, 4)]),
    ("out_dims_str", lambda L, v, x: v(lambda a: a, out_dims="a")(x), [arr(3, 4)]),
    ("out_dims_none_batched", lambda L, v, x: v(lambda a: a, out_dims=None)(x), [arr(3, 4)]),
    ("randomness_bad", lambda L, v, x: v(L.sin, randomness="foo")(x), [arr(3, 4)]),
    ("chunk_size_zero", lambda L, v, x: v(L.sin, chunk_size=0)(x), [arr(3, 4)]),
    ("chunk_size_negative", lambda L, v, x: v(L.sin, chunk_size=-1)(x), [arr(3, 4)]),
    ("not_callable", lambda L, v, x: v(3)(x), [arr(3, 4)]),
    ("inplace_unmapped_from_mapped", lambda L, v, x, z: v(lambda a, b: a.add_(b), in_dims=(None, 0))(z, x),
     [arr(3, 4), np.zeros(4)]),
    ("inplace_on_leaf_requiring_grad", lambda L, v, x: v(lambda a: a.add_(1))(x.requires_grad_()),
     [arr(3, 4)]),
    ("random_error_rand", lambda L, v, x: v(lambda a: a + L.rand(4, dtype=L.float64))(x), [arr(3, 4)]),
    ("random_error_randn", lambda L, v, x: v(lambda a: a + L.randn(1, dtype=L.float64))(x), [arr(3, 4)]),
    ("random_error_rand_like", lambda L, v, x: v(L.rand_like)(x), [arr(3, 4)]),
    ("random_error_dropout", lambda L, v, x: v(lambda a: L.nn.functional.dropout(a, 0.5))(x),
     [arr(3, 4)]),
    ("random_error_generator", lambda L, v, x: v(lambda a: L.rand(4, generator=L.Generator().manual_seed(1)))(x),
     [arr(3, 4)]),
    ("random_error_nested", lambda L, v, x: v(v(lambda a: L.rand(1), randomness="same"))(x), [arr(3, 4)]),
]


# torch's message for these names its batched tensors (shapes, leaf): the class is compared
_CLASS_ONLY = {"inplace_unmapped_from_mapped", "inplace_on_leaf_requiring_grad"}


@pytest.mark.parametrize("fn, arrays, message", [c[1:] + (c[0] not in _CLASS_ONLY,) for c in ERRORS],
                         ids=[c[0] for c in ERRORS])
def test_vmap_errors(fn, arrays, message):
    terr = _run(torch, fn, arrays, ())[0]
    assert terr is not None, "the row should make torch raise"
    same_as_torch(fn, arrays, message=message)


@pytest.mark.parametrize("outer, inner", [("same", "different"), ("different", "same"),
                                          ("same", "same")])
def test_nested_randomness(outer, inner):
    res = []
    for L in (torch, tg):
        L.manual_seed(2)
        f = L.func.vmap(L.func.vmap(lambda a: a + L.rand(1, dtype=L.float64), randomness=inner),
                        randomness=outer)
        res.append((f(L.zeros(2, 3, 1, dtype=L.float64)), L.rand(2)))
    _assert_same(res[1], res[0])


def test_cached_normal_counts_as_a_draw():
    """randn(1) after randn(1) takes the generator's cached normal: still a draw for vmap."""
    for L in (torch, tg):
        L.manual_seed(3)
        L.randn(1, dtype=L.float64)
        with pytest.raises(RuntimeError, match="randomness error mode"):
            L.func.vmap(lambda a: a + L.randn(1, dtype=L.float64))(L.zeros(2, 1,
                                                                          dtype=L.float64))


# ============================================================================ 4. randomness
def _draw(L, kind, a):
    if kind == "rand":
        return a + L.rand(4, dtype=a.dtype)
    if kind == "rand_f32":
        return L.rand(4)
    if kind == "randn_small":
        return a + L.randn(4, dtype=a.dtype)
    if kind == "rand_like":
        return L.rand_like(a)
    if kind == "dropout":
        return L.nn.functional.dropout(L.ones(6), 0.5)
    if kind == "bernoulli":
        return L.bernoulli(L.full((4,), 0.3, dtype=L.float64))
    if kind == "randint":
        return L.randint(0, 100, (5,))
    if kind == "uniform_":
        return a.clone().uniform_(-1, 3)
    if kind == "randn_big":
        return L.randn(20)
    raise ValueError(kind)


RANDOM = [(kind, mode, in_dim, chunk)
          for kind in ("rand", "rand_f32", "randn_small", "rand_like", "dropout", "bernoulli",
                       "randint", "uniform_", "randn_big")
          for mode in ("different", "same")
          for in_dim in (0, 1)
          for chunk in (None, 2)
          if not (mode == "different" and (kind == "randn_big"
                                            or (kind in ("rand_like", "uniform_")
                                                and in_dim == 1)))]


@pytest.mark.parametrize("kind, mode, in_dim, chunk", RANDOM)
def test_vmap_randomness_matches_torch(kind, mode, in_dim, chunk):
    """Same seed, same numbers — and the generator left where torch leaves it."""
    x = arr(3, 4) if in_dim == 0 else arr(4, 3)
    res = []
    for L in (torch, tg):
        L.manual_seed(11)
        out = L.func.vmap(lambda a: _draw(L, kind, a), in_dims=in_dim, randomness=mode,
                          chunk_size=chunk)(L.tensor(x))
        res.append((out, L.rand(3)))
    _assert_same(res[1], res[0])


@pytest.mark.parametrize("kind, in_dim", [("randn_big", 0), ("rand_like", 1), ("uniform_", 1)])
def test_vmap_different_not_bitwise(kind, in_dim):
    """Documented: here each sample draws in turn — rows differ, as torch's do, but the
    numbers are not torch's (its batched Box–Muller blocks; the memory order of a Tensor
    derived from an input mapped over dim 1, which torch fills as one block)."""
    x = tg.tensor(arr(3, 4) if in_dim == 0 else arr(4, 3))
    tg.manual_seed(5)
    out = tg.func.vmap(lambda a: _draw(tg, kind, a), in_dims=in_dim, randomness="different")(x)
    rows = out.numpy().reshape(3, -1)
    assert not np.array_equal(rows[0], rows[1]) and not np.array_equal(rows[1], rows[2])


# ============================================================================ 5. documented differences
def test_item_and_control_flow_run_per_sample():
    """torch raises RuntimeError for .item() / data-dependent control flow on a mapped Tensor;
    here they run per sample and give the per-sample values (what torch gives without vmap)."""
    x = arr(4, 3)
    for f in (lambda L, a: a * a.sum().item(), lambda L, a: a if a.sum() > 0 else -a):
        with pytest.raises(RuntimeError, match="vmap"):
            torch.func.vmap(lambda a: f(torch, a))(torch.tensor(x))
        expected = torch.stack([f(torch, torch.tensor(r)) for r in x])
        _assert_same(tg.func.vmap(lambda a: f(tg, a))(tg.tensor(x)), expected)


def test_inplace_on_unmapped_input_raises():
    """torch writes once for an unbatched value; running per sample would write B times, so
    this raises instead of giving a different number."""
    z = tg.zeros(4)
    with pytest.raises(RuntimeError, match="in_dim=None"):
        tg.func.vmap(lambda a, b: b.add_(1) + a, in_dims=(0, None))(tg.ones(3, 4), z)
