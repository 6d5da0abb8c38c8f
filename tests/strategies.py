"""Shared hypothesis strategies for the test battery, and helpers that build a tinygrad_sgd Tensor
and a torch tensor from the same float64 array (torch is the oracle).

Shapes are small (sides 1..4, at most 4 dims) so that every example is cheap, and they include
0-d shapes and size-1 dims, the places where broadcasting bugs hide. Values are bounded floats;
``avoid`` keeps them away from kinks (0 for relu/abs, the bounds of clamp) where the derivative
is a matter of convention, and ``unique`` rules out ties where an index is compared.
"""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_sgd as tg
from tinygrad_sgd import autograd, tensor

MAX_DIMS = 4
MAX_SIDE = 4


# ---------------------------------------------------------------------- shapes
def shapes(min_dims=0, max_dims=MAX_DIMS, min_side=1, max_side=MAX_SIDE):
    """Array shapes, 0-d included by default; size-1 dims come up often (and first when
    shrinking)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=MAX_DIMS, max_side=MAX_SIDE):
    """Tuples of ``num_shapes`` shapes that broadcast together (different ranks, size-1 dims)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims,
                                             max_dims=max_dims, max_side=max_side
                                             ).map(lambda b: b.input_shapes)


def broadcastable_pairs(**kwargs):
    """Pairs of shapes that broadcast together."""
    return broadcastable_shapes(2, **kwargs)


@st.composite
def dims_for(draw, shape, allow_none=True, allow_tuple=True):
    """A ``dim`` argument valid for ``shape``: None, an int (maybe negative) or a tuple of
    distinct dims (each maybe negative)."""
    n = len(shape)
    span = max(n, 1)
    choices = [st.integers(-span, span - 1)]
    if allow_none:
        choices.append(st.none())
    if allow_tuple and n:
        choices.append(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)
                       .flatmap(lambda ds: st.tuples(*[st.sampled_from([d, d - n]) for d in ds])))
    return draw(st.one_of(*choices))


# ---------------------------------------------------------------------- values
def floats(lo=-3.0, hi=3.0, avoid=(), margin=0.1):
    """Finite floats in [lo, hi], at least ``margin`` away from every point in ``avoid``."""
    s = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    if avoid:
        s = s.filter(lambda v: all(abs(v - p) >= margin for p in avoid))
    return s


def arrays(shape, lo=-3.0, hi=3.0, avoid=(), margin=0.1, unique=False, dtype=np.float64):
    """float64 (by default) arrays of ``shape`` with every element drawn independently from
    :func:`floats` (no constant fill, so ties only happen when hypothesis picks them)."""
    return hnp.arrays(dtype, shape, elements=floats(lo, hi, avoid, margin), unique=unique,
                      fill=st.nothing())


def positive_arrays(shape, lo=0.1, hi=4.0):
    """Arrays for log, sqrt, fractional powers: values in [lo, hi], lo > 0."""
    return arrays(shape, lo, hi)


def distinct_arrays(shape, lo=-3.0, hi=3.0):
    """Arrays without ties, for comparing argmax/max(dim) indices with torch."""
    return arrays(shape, lo, hi, unique=True)


def bool_arrays(shape):
    return hnp.arrays(np.bool_, shape)


# ---------------------------------------------------------------------- indices
@st.composite
def basic_indices(draw, shape):
    """An index made of ints (negative too), slices with positive steps (torch has no negative
    steps), ``None`` and at most one ``Ellipsis`` — valid for ``shape``."""
    items = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "full"]))
        if kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "full":
            items.append(slice(None))
        else:
            bound = st.none() | st.integers(-n - 1, n + 1)
            items.append(slice(draw(bound), draw(bound), draw(st.none() | st.integers(1, 3))))
    if items and draw(st.booleans()):  # some consecutive items become one Ellipsis
        i = draw(st.integers(0, len(items)))
        j = draw(st.integers(i, len(items)))
        items[i:j] = [Ellipsis]
    else:                              # or trailing dims are left out
        items = items[:draw(st.integers(0, len(items)))]
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    if len(items) == 1 and draw(st.booleans()):
        return items[0]
    return tuple(items)


def index_for(lib, index):
    """The same index for ``lib`` (tinygrad_sgd or torch): NumPy arrays become ``lib.tensor``."""
    def conv(i):
        return lib.tensor(i) if isinstance(i, np.ndarray) else i
    return tuple(conv(i) for i in index) if isinstance(index, tuple) else conv(index)


# ---------------------------------------------------------------------- both libraries
def tg_tensor(array, requires_grad=True):
    """A tinygrad_sgd Tensor owning a copy of ``array`` (dtype kept)."""
    return tg.tensor(np.array(array, copy=True), requires_grad=requires_grad)


def torch_tensor(array, requires_grad=True):
    """A torch tensor owning a copy of ``array`` (dtype kept)."""
    return torch.tensor(np.array(array, copy=True), requires_grad=requires_grad)


def both(array, requires_grad=True):
    """``(tinygrad Tensor, torch tensor)`` built from the same array."""
    return tg_tensor(array, requires_grad), torch_tensor(array, requires_grad)


def to_numpy(t):
    """Values of a tinygrad Tensor or a torch tensor as a NumPy array."""
    if isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True)  # force: torch may hand back a lazy ZeroTensor
    return np.asarray(t.data)


def assert_same(ours, theirs, rtol=1e-6, atol=1e-9, what="value"):
    """Same shape, same dtype and values within tolerance."""
    a, b = to_numpy(ours), to_numpy(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch's {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != torch's {b.dtype}"
    if a.dtype.kind in "biu":
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def check_against_torch(fn, arrs, grad=None, rtol=1e-6, atol=1e-9, second_order=True,
                        label="op"):
    """``fn(lib, *tensors)`` on tinygrad_sgd and on torch: forward value, gradient w.r.t. each
    input with ``grad[i]`` True (default: every float input), and the gradient of
    ⟨first gradients, u⟩ (second order). float64 unless the arrays say otherwise."""
    grad = [a.dtype.kind == "f" for a in arrs] if grad is None else grad
    ours = [tg_tensor(a, g) for a, g in zip(arrs, grad)]
    theirs = [torch_tensor(a, g) for a, g in zip(arrs, grad)]
    out, ref = fn(tg, *ours), fn(torch, *theirs)
    assert_same(out, ref, rtol, atol, f"{label}: forward")
    assert out.requires_grad == ref.requires_grad, f"{label}: requires_grad"
    xs = [t for t, g in zip(ours, grad) if g]
    ts = [t for t, g in zip(theirs, grad) if g]
    if not xs:
        return
    rng = np.random.default_rng(0)
    v = rng.standard_normal(out.shape).astype(out.dtype)
    g1 = autograd.grad(out, xs, grad_outputs=tensor(v), create_graph=second_order)
    r1 = torch.autograd.grad(ref, ts, grad_outputs=torch.tensor(v), create_graph=second_order)
    for i, (a, b) in enumerate(zip(g1, r1)):
        assert_same(a, b, rtol, atol, f"{label}: gradient w.r.t. input {i}")
    if not second_order:
        return
    us = [rng.standard_normal(x.shape).astype(x.dtype) for x in xs]
    s = sum((g * tensor(u)).sum() for g, u in zip(g1, us))
    r = sum((g * torch.tensor(u)).sum() for g, u in zip(r1, us))
    zeros = [np.zeros(x.shape, x.dtype) for x in xs]
    g2 = autograd.grad(s, xs, allow_unused=True) if s.requires_grad else zeros
    r2 = (torch.autograd.grad(r, ts, allow_unused=True, materialize_grads=True)
          if r.requires_grad else zeros)
    for i, (a, b, z) in enumerate(zip(g2, r2, zeros)):
        assert_same(z if a is None else a, b, rtol, atol,
                    f"{label}: second-order gradient w.r.t. input {i}")
