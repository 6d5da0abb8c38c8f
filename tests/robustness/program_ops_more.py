"""More of the op surface for the random programs of test_random_programs_surface.py: the rest
of issue #11's differentiable ops — trigonometric and exponential variants, binary math
(remainder, fmod, atan2, hypot, fmax/fmin, logaddexp, copysign, lerp), activations, var/std,
median, kthvalue, cummax/cummin, logcumsumexp, norm, indexing and scatter ops, the other shape
ops and the linear-algebra products.

Each entry: (name, arity, applies(shape...), options(draw, shape...), run(L, x..., options)),
as in the main table; ``L`` is ``tinygrad_sgd`` or ``torch``. These ops get finite inputs only,
and programs that use them get no in-place edit (see the main file's docstring).
"""
import numpy as np
from hypothesis import strategies as st

GRID = [0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0]


def dim_of(draw, shape):
    return draw(st.integers(-len(shape), len(shape) - 1))


def _F(L):
    return L.nn.functional


def _unary(name, f):
    return (name, 1, None, None, lambda L, x, o: f(L, x))


def _binary(name, f, applies=None):
    return (name, 2, applies, None, lambda L, x, y, o: f(L, x, y))


def _along(draw, s):
    """A dim (non-negative) of s."""
    return dim_of(draw, s) % len(s)


def _index_along(draw, s, k, full):
    """Indices into dim k of s, shaped as s (full) or with dim k of size 1."""
    shape = s if full else s[:k] + (1,) + s[k + 1:]
    n = int(np.prod(shape))
    return np.array(draw(st.lists(st.integers(0, s[k] - 1), min_size=n, max_size=n)),
                    np.int64).reshape(shape)


def _distinct(draw, n):
    return draw(st.permutations(range(n)))[:draw(st.integers(0, n))]


def nonempty(s):
    return len(s) > 0 and 0 not in s


MORE_OPS = [
    _unary("sin", lambda L, x: x.sin()),
    _unary("cos", lambda L, x: x.cos()),
    _unary("atan", lambda L, x: x.atan()),
    _unary("asinh", lambda L, x: x.asinh()),
    _unary("log1p", lambda L, x: x.log1p()),
    _unary("expm1", lambda L, x: x.expm1()),
    _unary("exp2", lambda L, x: x.exp2()),
    _unary("log2", lambda L, x: x.log2()),
    _unary("rsqrt", lambda L, x: x.rsqrt()),
    _unary("reciprocal", lambda L, x: x.reciprocal()),
    _unary("square", lambda L, x: x.square()),
    _unary("trunc", lambda L, x: x.trunc()),
    _unary("frac", lambda L, x: x.frac()),
    _unary("round", lambda L, x: x.round()),
    _unary("sgn", lambda L, x: x.sgn()),
    _unary("nan_to_num", lambda L, x: x.nan_to_num()),
    _unary("elu", lambda L, x: _F(L).elu(x)),
    _unary("selu", lambda L, x: _F(L).selu(x)),
    _unary("celu", lambda L, x: _F(L).celu(x, alpha=0.5)),
    _unary("mish", lambda L, x: _F(L).mish(x)),
    _unary("hardswish", lambda L, x: _F(L).hardswish(x)),
    _unary("hardsigmoid", lambda L, x: _F(L).hardsigmoid(x)),
    _unary("logsigmoid", lambda L, x: _F(L).logsigmoid(x)),
    _unary("softsign", lambda L, x: _F(L).softsign(x)),
    _unary("softplus", lambda L, x: _F(L).softplus(x)),
    _unary("leaky_relu", lambda L, x: _F(L).leaky_relu(x, 0.1)),
    _unary("hardtanh", lambda L, x: _F(L).hardtanh(x)),
    _unary("relu6", lambda L, x: _F(L).relu6(x)),
    ("clamp_max", 1, None, lambda d, s: d(st.sampled_from(GRID)),
     lambda L, x, o: x.clamp(max=o)),
    ("softmin", 1, None, lambda d, s: dim_of(d, s or (1,)),
     lambda L, x, o: _F(L).softmin(x, o)),
    ("glu", 1, lambda s: any(n % 2 == 0 and n for n in s),
     lambda d, s: d(st.sampled_from([k for k, n in enumerate(s) if n % 2 == 0 and n])),
     lambda L, x, o: _F(L).glu(x, o)),
    ("normalize", 1, lambda s: len(s) > 0, lambda d, s: dim_of(d, s),
     lambda L, x, o: _F(L).normalize(x, dim=o)),
    # binary math
    _binary("remainder", lambda L, x, y: L.remainder(x, y)),
    _binary("fmod", lambda L, x, y: L.fmod(x, y)),
    _binary("atan2", lambda L, x, y: L.atan2(x, y)),
    _binary("hypot", lambda L, x, y: L.hypot(x, y)),
    _binary("fmax", lambda L, x, y: L.fmax(x, y)),
    _binary("fmin", lambda L, x, y: L.fmin(x, y)),
    _binary("logaddexp", lambda L, x, y: L.logaddexp(x, y)),
    _binary("copysign", lambda L, x, y: L.copysign(x, y)),
    _binary("lerp", lambda L, x, y: L.lerp(x, y, 0.25)),
    # reductions and scans
    ("var", 1, lambda s: len(s) > 0, lambda d, s: (dim_of(d, s), d(st.integers(0, 1))),
     lambda L, x, o: x.var(o[0], correction=o[1])),
    ("std", 1, lambda s: len(s) > 0, lambda d, s: (dim_of(d, s), d(st.integers(0, 1))),
     lambda L, x, o: x.std(o[0], correction=o[1])),
    ("median", 1, lambda s: len(s) > 0, lambda d, s: dim_of(d, s),
     lambda L, x, o: x.median(o)[0]),
    ("kthvalue", 1, lambda s: len(s) > 0, lambda d, s: (lambda k: (
        d(st.integers(1, max(s[k], 1))), k))(dim_of(d, s)),
     lambda L, x, o: x.kthvalue(*o)[0]),
    ("cummax", 1, lambda s: len(s) > 0, lambda d, s: dim_of(d, s),
     lambda L, x, o: x.cummax(o)[0]),
    ("cummin", 1, lambda s: len(s) > 0, lambda d, s: dim_of(d, s),
     lambda L, x, o: x.cummin(o)[0]),
    ("logcumsumexp", 1, lambda s: len(s) > 0, lambda d, s: dim_of(d, s),
     lambda L, x, o: x.logcumsumexp(o)),
    ("norm", 1, lambda s: len(s) > 0, lambda d, s: (d(st.sampled_from([1, 2])), dim_of(d, s)),
     lambda L, x, o: x.norm(*o)),
    # indexing and scattering
    ("scatter", 1, nonempty, lambda d, s: (lambda k: (k, _index_along(d, s, k, False)))(
        _along(d, s)),
     lambda L, x, o: (x + 0.5).scatter(o[0], L.tensor(o[1]), x.narrow(o[0], 0, 1))),
    ("scatter_add", 1, nonempty, lambda d, s: (lambda k: (k, _index_along(d, s, k, True)))(
        _along(d, s)), lambda L, x, o: (x + 0.5).scatter_add(o[0], L.tensor(o[1]), x)),
    ("take_along_dim", 1, nonempty, lambda d, s: (lambda k: (
        k, _index_along(d, s, k, True)))(_along(d, s)),
     lambda L, x, o: L.take_along_dim(x, L.tensor(o[1]), o[0])),
    ("index_add", 1, nonempty, lambda d, s: (lambda k: (k, d(st.lists(
        st.integers(0, s[k] - 1), max_size=4))))(_along(d, s)),
     lambda L, x, o: x.index_add(o[0], L.tensor(o[1], dtype=L.int64),
                                 x.index_select(o[0], L.tensor(o[1], dtype=L.int64)))),
    ("index_copy", 1, nonempty, lambda d, s: (lambda k: (k, _distinct(d, s[k])))(_along(d, s)),
     lambda L, x, o: x.index_copy(o[0], L.tensor(o[1], dtype=L.int64),
                                  x.index_select(o[0], L.tensor(o[1], dtype=L.int64)) + 1.0)),
    ("index_fill", 1, nonempty, lambda d, s: (lambda k: (k, d(st.lists(
        st.integers(0, s[k] - 1), max_size=3)), d(st.sampled_from(GRID))))(_along(d, s)),
     lambda L, x, o: x.index_fill(o[0], L.tensor(o[1], dtype=L.int64), o[2])),
    _unary("masked_select", lambda L, x: x.masked_select(x > 0)),
    _unary("masked_scatter", lambda L, x: x.masked_scatter(x > 0, x.reshape(-1) + 1.0)),
    ("take", 1, lambda s: int(np.prod(s)) > 0, lambda d, s: d(st.lists(
        st.integers(0, int(np.prod(s)) - 1), max_size=4)),
     lambda L, x, o: x.take(L.tensor(o, dtype=L.int64))),
    # shape
    ("rot90", 1, lambda s: len(s) >= 2, lambda d, s: d(st.sampled_from([-1, 1, 2])),
     lambda L, x, o: x.rot90(o, (0, 1))),
    ("repeat_interleave", 1, lambda s: len(s) > 0, lambda d, s: (d(st.integers(1, 2)),
                                                                 dim_of(d, s)),
     lambda L, x, o: x.repeat_interleave(*o)),
    ("tile", 1, None, lambda d, s: tuple(d(st.lists(st.integers(1, 2), min_size=1,
                                                    max_size=len(s) + 1))),
     lambda L, x, o: x.tile(o)),
    ("tensor_split", 1, lambda s: len(s) > 0, lambda d, s: (d(st.integers(1, 3)), dim_of(d, s)),
     lambda L, x, o: x.tensor_split(*o)[-1]),
    ("unfold", 1, lambda s: len(s) > 0, lambda d, s: (lambda k: (
        k, d(st.integers(1, max(s[k], 1))), d(st.integers(1, 2))))(dim_of(d, s)),
     lambda L, x, o: x.unfold(*o)),
    ("movedim", 1, lambda s: len(s) > 0, lambda d, s: (dim_of(d, s), dim_of(d, s)),
     lambda L, x, o: x.movedim(*o)),
    ("narrow", 1, lambda s: len(s) > 0 and s[0] > 0, lambda d, s: (lambda start: (
        start, d(st.integers(0, s[0] - start))))(d(st.integers(0, s[0] - 1))),
     lambda L, x, o: x.narrow(0, *o)),
    ("diag", 1, lambda s: len(s) in (1, 2), lambda d, s: d(st.integers(-1, 1)),
     lambda L, x, o: x.diag(o)),
    ("diagonal", 1, lambda s: len(s) >= 2, lambda d, s: d(st.integers(-1, 1)),
     lambda L, x, o: x.diagonal(o)),
    _unary("diag_embed", lambda L, x: x.diag_embed() if x.dim() else x),
    ("trace", 1, lambda s: len(s) == 2, None, lambda L, x, o: x.trace()),
    ("expand", 1, lambda s: 1 in s, None,
     lambda L, x, o: x.expand((2,) + tuple(2 if n == 1 else n for n in x.shape))),
    # products
    _binary("outer", lambda L, x, y: L.outer(x, y), lambda s, t: len(s) == len(t) == 1),
    _binary("dot", lambda L, x, y: L.dot(x, y), lambda s, t: len(s) == 1 and s == t),
    _binary("mv", lambda L, x, y: L.mv(x, y),
            lambda s, t: len(s) == 2 and len(t) == 1 and s[1] == t[0]),
    _binary("bmm", lambda L, x, y: L.bmm(x, y), lambda s, t: len(s) == len(t) == 3
            and s[0] == t[0] and s[2] == t[1]),
    # (torch 2.13's kron raises "view size is not compatible" for a transposed 2-D input — a
    # view inside it; ours computes it: torch's side gets contiguous copies, same values)
    _binary("kron", lambda L, x, y: L.kron(x.contiguous(), y.contiguous())
            if L.__name__ == "torch" else L.kron(x, y), lambda s, t: len(s) <= 2 and len(t) <= 2),
    _binary("einsum", lambda L, x, y: L.einsum("ij,kj->ik", x, y),
            lambda s, t: len(s) == len(t) == 2 and s[1] == t[1]),
    _binary("cdist", lambda L, x, y: L.cdist(x, y),
            lambda s, t: len(s) == len(t) == 2 and s[1] == t[1]),
    _binary("cosine_similarity", lambda L, x, y: _F(L).cosine_similarity(x, y, dim=-1),
            lambda s, t: len(s) > 0 and len(t) > 0 and s[-1] == t[-1]
            and len(s) == len(t) and s == t),
    _binary("pairwise_distance", lambda L, x, y: _F(L).pairwise_distance(x, y),
            lambda s, t: len(s) == len(t) == 2 and s == t),
]
