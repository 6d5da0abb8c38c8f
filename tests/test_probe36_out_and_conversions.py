"""Divergences found by running torch's OpInfo database (round 36), each case run on torch and
on tinygrad_sgd with the same data: the same values and dtypes (and, for writes, the same
memory afterwards), or the same exception class (ours may be a subclass, as ShapeError of
RuntimeError) and the first line of torch's message.

1. memory overlap: ``out=`` of an elementwise function (and scans, sort, diff, ...) may be an
   input itself but may not overlap one partly (``add(x[:-1], 1, out=x[1:])``, ``exp(m,
   out=m.t())``); the same for in-place ops and ``x[i] = v``; an expanded ``out`` is refused;
   memory with gaps (``x[::2]``) is not checked, as torch;
2. no NumPy RuntimeWarning where torch converts quietly (1e300 into float32 is inf), and
   linspace/logspace refuse ends their dtype can't hold, as torch (not a row of NaNs);
3. ``x.to(True)`` is ``x.to(torch.bool)``, ``x.to(1.5)`` ``x.to(torch.float64)`` (torch reads a
   number as a tensor of it), ``x.to(-1)`` a negative device index;
4. messages: ``narrow`` (method and function forms), ``clip`` (not ``clamp``), ``max``/``min``;
5. ``x.to(memory_format=channels_last)`` is a ``ToCopyBackward0`` node, as torch's.

(house: long file — one probe round's tables of cases, each run on torch and on the library.)
"""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

from test_probe35_arguments import compare_results

LIBS = {"torch": torch, "ours": tg}
pytestmark = pytest.mark.filterwarnings("ignore:An output with one or more elements was resized")


def run(fn, lib):
    """fn(lib) as ("value", [(array, dtype name), ...]) or ("raises", class, first line)."""
    try:
        out = fn(LIBS[lib])
    except Exception as e:          # noqa: BLE001  (the exception is what is compared)
        return "raises", type(e), str(e).split("\n")[0]
    return "value", [(np.asarray(o.tolist()), str(o.dtype).split(".")[-1]) if hasattr(o, "dtype")
                     else (np.asarray(o), type(o).__name__) for o in _flat(out)]


def _flat(out):
    """The tensors (and other values) of a result, nested tuples opened, None (what
    ``x[i] = v`` returns) left out."""
    if isinstance(out, (tuple, list)):
        return [o for item in out for o in _flat(item)]
    return [] if out is None else [out]


def compare(fn, message=True, values=True):
    compare_results(run(fn, "torch"), run(fn, "ours"), message, values)


# ---------------------------------------------------------------------------- 1. overlap
def floats(L, n=20, dtype=None):
    return L.tensor(np.arange(n, dtype=np.float64) / n + 0.1, dtype=dtype or L.float32)


def ints(L, n=20):
    return L.tensor(np.arange(1, n + 1))


def bools(L, n=20):
    return L.tensor(np.arange(n) % 3 == 0)


UNARY = """abs absolute acos acosh angle arccos arccosh arcsin arcsinh arctan arctanh asin
asinh atan atanh ceil conj_physical cos cosh deg2rad digamma erf erfc erfinv exp exp2 expm1
fix floor frac i0 lgamma log log10 log1p log2 logit nan_to_num neg negative rad2deg reciprocal
round rsqrt sgn sigmoid sign sin sinc sinh sqrt square tan tanh trunc msort""".split()
BINARY = """add sub subtract mul multiply div divide true_divide atan2 arctan2 copysign
floor_divide fmax fmin fmod heaviside hypot igamma igammac logaddexp logaddexp2 maximum minimum
nextafter pow remainder xlogy max min""".split()
COMPARE = """eq ne ge gt le lt greater greater_equal less less_equal not_equal logical_and
logical_or logical_xor""".split()
INTEGER = """bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift gcd
lcm""".split()


def _operands(L, name):
    """(base, [inputs as views of base], fresh extra inputs) for an elementwise function."""
    if name in COMPARE:
        base = bools(L)
        return base, [base[:8], base[10:18]]
    if name in INTEGER or name == "bitwise_not":
        base = ints(L)
        return base, [base[:8], (base[10:18] % 3) if "shift" in name else base[10:18]]
    if name == "float_power":
        base = floats(L, dtype=L.float64)
        return base, [base[:8], base[10:18]]
    base = floats(L)
    return base, [base[:8], base[10:18]]


def _arity(name):
    return 2 if name in BINARY or name in COMPARE or name in INTEGER or \
        name == "float_power" else 1


def elementwise(name, form):
    """``name`` with ``out`` overlapping its first input partly (out = base[1:9], input
    base[:8]), fully (out = the input itself), or not at all (out = base[10:18] beside an input
    base[:8]... for unary functions only); the result and the base memory after."""
    def fn(L):
        base, (a, b) = _operands(L, name)
        args = (a,) if _arity(name) == 1 else (a, b)
        out = {"partial": base[1:9], "full": a, "apart": base[10:18]}[form]
        result = getattr(L, name)(*args, out=out)
        return result, base
    return fn


ELEMENTWISE_CASES = [(f"{name} {form}", elementwise(name, form))
                     for name in UNARY + BINARY + COMPARE + INTEGER + ["bitwise_not",
                                                                       "float_power"]
                     for form in ("partial", "full")
                     ] + [(f"{name} apart", elementwise(name, "apart"))
                          for name in UNARY + ["bitwise_not"]]


def _m(L):
    return L.tensor(np.arange(1.0, 10.0, dtype=np.float32).reshape(3, 3) / 10)


def _x(L):
    return floats(L, 10)


def _with(fn):
    """fn(L, x) → (its result, x after)."""
    def run_it(L):
        x = _x(L)
        return fn(L, x), x
    return run_it


def _with_m(fn):
    def run_it(L):
        m = _m(L)
        return fn(L, m), m
    return run_it


SPECIAL_OUT_CASES = {
    # layouts: a transposed view of the input is a partial overlap (same memory, other
    # strides), a plain view with the same strides a full one
    "exp into its transpose": _with_m(lambda L, m: L.exp(m, out=m.t())),
    "exp into a non-square transpose": _with(lambda L, x: L.exp(x[:6].view(2, 3),
                                                                out=x[:6].view(2, 3).t())),
    "add into x[:] (a view, same strides)": _with(lambda L, x: L.add(x, 1, out=x[:])),
    "add into x.view(1, 10) from x.view(1, 10)": _with(lambda L, x: L.add(x.view(1, 10), 1,
                                                                          out=x.view(1, 10))),
    "add into x.view(10, 1) from x.view(1, 10)": _with(lambda L, x: L.add(x.view(1, 10), 1,
                                                                          out=x.view(10, 1))),
    "add x[None] into x.unsqueeze(0)": _with(lambda L, x: L.add(x[None], 1, out=x.unsqueeze(0))),
    # the other operand overlapping, a broadcast one, a 0-d one
    "add other overlapping": _with(lambda L, x: L.add(L.ones(9), x[:-1], out=x[1:])),
    "add a broadcast x[:1] into x[:5]": _with(lambda L, x: L.add(x[:5], x[:1], out=x[:5])),
    "add a 0-d x[0] into x[5:]": _with(lambda L, x: L.add(x[0], x[:5], out=x[5:])),
    "add 0-d x[0] into x[0]": _with(lambda L, x: L.add(x[0], 1, out=x[0])),
    "add 0-d x[0] into x[:1]": _with(lambda L, x: L.add(x[0], 1, out=x[:1])),
    "add with alpha": _with(lambda L, x: L.sub(x[:4], x[1:5], alpha=2, out=x[2:6])),
    "div rounding_mode": _with(lambda L, x: L.div(x[:-1], 2, rounding_mode="floor", out=x[1:])),
    "pow of a number": _with(lambda L, x: L.pow(2, x[:-1], out=x[1:])),
    "pow by a number": _with(lambda L, x: L.pow(x[:-1], 2, out=x[1:])),
    "clamp numbers": _with(lambda L, x: L.clamp(x[:-1], 0.3, 0.6, out=x[1:])),
    "clip numbers": _with(lambda L, x: L.clip(x[:-1], 0.3, 0.6, out=x[1:])),
    "clamp_min number": _with(lambda L, x: L.clamp_min(x[:-1], 0.3, out=x[1:])),
    "clamp_max number": _with(lambda L, x: L.clamp_max(x[:-1], 0.3, out=x[1:])),
    "clamp a tensor bound overlapping": _with(lambda L, x: L.clamp(L.zeros(3), x[1:4],
                                                                   out=x[2:5])),
    "clamp tensor bounds apart": _with(lambda L, x: L.clamp(x[:3], x[1:4], out=x[5:8])),
    "where, the input overlapping": _with(lambda L, x: L.where(x[:5] > 0.3, x[:5], x[5:],
                                                               out=x[1:6])),
    "where into its input": _with(lambda L, x: L.where(x > 0.3, x, L.zeros(10), out=x)),
    "addcmul": _with(lambda L, x: L.addcmul(x[:4], x[4:8], x[4:8], out=x[1:5])),
    "addcmul into its input": _with(lambda L, x: L.addcmul(x, x, x, out=x)),
    "addcdiv": _with(lambda L, x: L.addcdiv(x[4:8], x[4:8], x[:4], out=x[1:5])),
    "lerp": _with(lambda L, x: L.lerp(x[:4], x[6:], 0.5, out=x[1:5])),
    "lerp into its input": _with(lambda L, x: L.lerp(x, x, 0.5, out=x)),
    "polygamma": _with(lambda L, x: L.polygamma(1, x[:-1], out=x[1:])),
    "polygamma into its input": _with(lambda L, x: L.polygamma(1, x, out=x)),
    "nan_to_num into its input": _with(lambda L, x: L.nan_to_num(x, out=x)),
    # shapes: the check comes before out is resized; an empty out shares nothing
    "neg into a longer out (resized)": _with(lambda L, x: L.neg(x[:4], out=x[2:5])),
    "exp into an empty view": _with(lambda L, x: L.exp(x[:4], out=L.zeros(0))),
    "exp of an empty view": _with(lambda L, x: L.exp(x[:0], out=x[:0])),
    # an out of another size is resized over its own storage, from where it starts
    "neg of 5 into x[:3] (grown in x's memory)": _with(lambda L, x: L.neg(L.ones(5), out=x[:3])),
    "neg of 2 into x[:3] (shrunk)": _with(lambda L, x: L.neg(L.ones(2), out=x[:3])),
    "neg of (2, 2) into x[1:4]": _with(lambda L, x: L.neg(L.ones(2, 2), out=x[1:4])),
    "add into a transposed out of 4": _with_m(lambda L, m: L.add(L.ones(3), 1, out=m[:2, :2].t())),
    "add into an empty tensor": lambda L: (lambda o: (L.add(L.ones(3), 1, out=o), o))(L.empty(0)),
    "cat into x[:2] (grown)": _with(lambda L, x: L.cat([L.ones(2), L.ones(3)], out=x[:2])),
    "zeros into x[4:6] (grown)": _with(lambda L, x: L.zeros(3, out=x[4:6])),
    # dtypes: the overlap is refused before the dtype is (abs: Found dtype Int ...)
    "abs into an int view, overlapping": _with(lambda L, x: L.abs(x[:-1], out=x.view(
        L.int32)[1:])),
    "exp into an int view, overlapping": _with(lambda L, x: L.exp(x[:-1], out=x.view(
        L.int32)[1:])),
    "exp into an int view of itself": _with(lambda L, x: L.exp(x, out=x.view(L.int32))),
    "sin into a float64 out": _with(lambda L, x: L.sin(x[:-1], out=L.zeros(9, dtype=L.float64))),
    # memory with gaps or repeats: not checked (torch: too hard), computed from the old values
    "exp into x[::2] from x[:5]": _with(lambda L, x: L.exp(x[:5], out=x[::2])),
    "exp into x[:5] from x[::2]": _with(lambda L, x: L.exp(x[::2], out=x[:5])),
    "exp into x[1::2] from x[:5]": _with(lambda L, x: L.exp(x[:5], out=x[1::2])),
    "add x[::2] and x[:5] into x[:5]": _with(lambda L, x: L.add(x[::2], x[:5], out=x[:5])),
    "exp into x[5:] from x[:5]": _with(lambda L, x: L.exp(x[:5], out=x[5:])),
    # an expanded out: several elements at one place
    "neg into an expanded out": _with(lambda L, x: L.neg(L.ones(3), out=x[:1].expand(3))),
    "sin into an expanded out of another shape": _with(lambda L, x: L.sin(
        x[:4], out=L.zeros(1).expand(3))),
    "exp into a 1-element expand": _with(lambda L, x: L.exp(x[:1], out=L.zeros(1).expand(1))),
    "cumsum into an expanded out": _with(lambda L, x: L.cumsum(x[:3], 0,
                                                               out=L.zeros(1).expand(3))),
    # max and min: elementwise form checked as add is; reductions and max(dim) as before
    "max(a, b) overlapping": _with(lambda L, x: L.max(x[:5], x[5:], out=x[1:6])),
    "max(a, b) into a": _with(lambda L, x: L.max(x[:5], x[5:], out=x[:5])),
    "max(x) into x[1]": _with(lambda L, x: L.max(x[:5], out=x[1])),
    "max(dim) into the input's first row": _with_m(lambda L, m: L.max(
        m, 0, out=(m[0], L.zeros(3, dtype=L.int64)))),
    # scans, sorts, diff, ...
    "cumsum overlapping": _with(lambda L, x: L.cumsum(x[:8], 0, out=x[1:9])),
    "cumsum into its input": _with(lambda L, x: L.cumsum(x, 0, out=x)),
    "cumprod overlapping": _with(lambda L, x: L.cumprod(x[:8], 0, out=x[1:9])),
    "cumprod into its input": _with(lambda L, x: L.cumprod(x, 0, out=x)),
    "logcumsumexp overlapping": _with(lambda L, x: L.logcumsumexp(x[:8], 0, out=x[1:9])),
    "logcumsumexp into its input": _with(lambda L, x: L.logcumsumexp(x, 0, out=x)),
    "cummax into its input": _with(lambda L, x: L.cummax(x, 0, out=(
        x, L.zeros(10, dtype=L.int64)))),
    "sort overlapping": _with(lambda L, x: L.sort(x[:8], out=(x[1:9], L.zeros(8, dtype=L.int64)))),
    "sort into its input": _with(lambda L, x: L.sort(x, descending=True, out=(
        x, L.zeros(10, dtype=L.int64)))),
    "sort into an expanded out": _with(lambda L, x: L.sort(x[:3], out=(
        L.zeros(1).expand(3), L.zeros(3, dtype=L.int64)))),
    "topk overlapping": _with(lambda L, x: L.topk(x[:8], 8, out=(x[1:9],
                                                                 L.zeros(8, dtype=L.int64)))),
    "topk into its input": _with(lambda L, x: L.topk(x, 10, out=(x, L.zeros(10, dtype=L.int64)))),
    "msort into its input": _with(lambda L, x: L.msort(x.flip(0).contiguous(), out=x)),
    "frexp overlapping": _with(lambda L, x: L.frexp(x[:8], out=(x[1:9],
                                                                L.zeros(8, dtype=L.int32)))),
    "frexp into its input": _with(lambda L, x: L.frexp(x, out=(x, L.zeros(10, dtype=L.int32)))),
    "kron overlapping": _with(lambda L, x: L.kron(x[:2], x[:2], out=x[1:5])),
    "kron into its input": _with(lambda L, x: L.kron(x, L.ones(1), out=x)),
    "renorm overlapping": _with(lambda L, x: L.renorm(x[:6].view(2, 3), 2, 0, 1.0,
                                                      out=x[1:7].view(2, 3))),
    "renorm into its input": _with_m(lambda L, m: L.renorm(m, 2, 0, 1.0, out=m)),
    "diff into its input": _with(lambda L, x: L.diff(x, out=x)),
    "diff into x[:9]": _with(lambda L, x: L.diff(x, out=x[:9])),
    "diff into x[1:]": _with(lambda L, x: L.diff(x, out=x[1:])),
    "diff apart": _with(lambda L, x: L.diff(x[:5], out=x[5:9])),
    "diff n=2 into x[:8]": _with(lambda L, x: L.diff(x, n=2, out=x[:8])),
    "diff n=0 into its input": _with(lambda L, x: L.diff(x, n=0, out=x)),
    "diff n=0 overlapping": _with(lambda L, x: L.diff(x[:9], n=0, out=x[1:])),
    "diff with prepend into its input": _with(lambda L, x: L.diff(x[:9], prepend=x[:1],
                                                                  out=x[:9])),
    "diff dim 0, row into row": _with(lambda L, x: L.diff(x.view(2, 5), dim=0,
                                                          out=x.view(2, 5)[0:1])),
    "take_along_dim into its input": _with(lambda L, x: L.take_along_dim(
        x, L.tensor(np.arange(9, -1, -1)), out=x)),
    "take_along_dim apart": _with(lambda L, x: L.take_along_dim(
        x[:5], L.tensor(np.arange(4, -1, -1)), out=x[5:])),
    "cross into its input": _with_m(lambda L, m: L.cross(m, m + 1, dim=1, out=m)),
    "linalg.cross into its input": _with_m(lambda L, m: L.linalg.cross(m, m + 1, out=m)),
    # only the first input: addmm's self, index_copy's self; scatter's src too
    "addmm, self overlapping": _with(lambda L, x: L.addmm(x[:4].view(2, 2), L.eye(2), L.eye(2),
                                                          out=x[2:6].view(2, 2))),
    "addmm into self": _with(lambda L, x: L.addmm(x[:4].view(2, 2), x[:4].view(2, 2),
                                                  x[:4].view(2, 2), out=x[:4].view(2, 2))),
    "addmv, self overlapping": _with(lambda L, x: L.addmv(x[:2], L.eye(2), L.ones(2),
                                                          out=x[1:3])),
    "addr, self overlapping": _with(lambda L, x: L.addr(x[:4].view(2, 2), L.ones(2), L.ones(2),
                                                        out=x[2:6].view(2, 2))),
    "baddbmm, self overlapping": _with(lambda L, x: L.baddbmm(
        x[:4].view(1, 2, 2), L.eye(2)[None], L.eye(2)[None], out=x[2:6].view(1, 2, 2))),
    "addbmm, self overlapping": _with(lambda L, x: L.addbmm(
        x[:4].view(2, 2), L.eye(2)[None], L.eye(2)[None], out=x[2:6].view(2, 2))),
    "index_copy, self overlapping": _with(lambda L, x: L.index_copy(
        x[:5], 0, L.tensor(np.array([0])), L.ones(1), out=x[1:6])),
    "index_copy, source overlapping": _with(lambda L, x: L.index_copy(
        L.ones(5), 0, L.tensor(np.array([0])), x[:1], out=x[:5])),
    "index_copy, source beside": _with(lambda L, x: L.index_copy(
        L.ones(5), 0, L.tensor(np.array([0])), x[:1], out=x[1:6])),
    "scatter, self overlapping": _with(lambda L, x: L.scatter(
        x[:5], 0, L.tensor(np.array([0])), L.ones(1), out=x[1:6])),
    "scatter, src overlapping": _with(lambda L, x: L.scatter(
        L.ones(5), 0, L.tensor(np.array([0])), x[:1], out=x[:5])),
    # random functions: only the refusal is compared (their values differ)
    "bernoulli overlapping": _with(lambda L, x: L.bernoulli(x[:8], out=x[1:9])),
    "normal overlapping": _with(lambda L, x: L.normal(x[:8], 1.0, out=x[1:9])),
    # no check in torch: reductions, matrix products, softmax, searchsorted, ... (where its
    # values come from reading its own writes — sum(x[:8], 0, out=x[0]) zeroes x[0] first,
    # addmm copies self into out before reading the matrices, tril writes row by row — the
    # library's come from the values before the call: not compared here)
    "amax into one of its elements": _with(lambda L, x: L.amax(x[:8], 0, out=x[0])),
    "mm overlapping": _with(lambda L, x: L.mm(x[:4].view(2, 2), x[:4].view(2, 2),
                                              out=x[1:5].view(2, 2))),
    "softmax overlapping": _with(lambda L, x: L.softmax(x[:8], 0, out=x[1:9])),
    "searchsorted overlapping": lambda L: (lambda x: (L.searchsorted(x[:8], x[10:18],
                                                                      out=x[1:9]), x))(ints(L)),
}

# inplace writes and x[index] = value
INPLACE_CASES = {
    "x[1:].add_(x[:-1])": _with(lambda L, x: x[1:].add_(x[:-1])),
    "x[1:] += x[:-1]": _with(lambda L, x: x[1:].__iadd__(x[:-1])),
    "x[1:] *= x[:-1]": _with(lambda L, x: x[1:].__imul__(x[:-1])),
    "x.add_(x)": _with(lambda L, x: x.add_(x)),
    "x[1:].exp_()": _with(lambda L, x: x[1:].exp_()),
    "x[:3].add_(x[0])": _with(lambda L, x: x[:3].add_(x[0])),
    "x[1:3].add_(x[0])": _with(lambda L, x: x[1:3].add_(x[0])),
    "x[1:].copy_(x[:-1])": _with(lambda L, x: x[1:].copy_(x[:-1])),
    "x[:5].copy_(x[1:6])": _with(lambda L, x: x[:5].copy_(x[1:6])),
    "x[1:].copy_(x[:-1].double())": _with(lambda L, x: x[1:].copy_(x[:-1].double())),
    "transposed view mul_ the input": _with(lambda L, x: x[:6].view(2, 3).t().mul_(
        x[:6].view(3, 2))),
    "x[:3].clamp_(min=x[1:4])": _with(lambda L, x: x[:3].clamp_(min=x[1:4])),
    "x[1:].lerp_(x[:-1], 0.5)": _with(lambda L, x: x[1:].lerp_(x[:-1], 0.5)),
    "x[:5].lerp_(zeros, x[1:6])": _with(lambda L, x: x[:5].lerp_(L.zeros(5), x[1:6])),
    "x[1:].addcmul_(x[:-1], x[:-1])": _with(lambda L, x: x[1:].addcmul_(x[:-1], x[:-1])),
    "x[1:].eq_(x[:-1])": _with(lambda L, x: x[1:].eq_(x[:-1])),
    "x[:5].atan2_(x[1:6])": _with(lambda L, x: x[:5].atan2_(x[1:6])),
    "x[:3].fill_(x[0])": _with(lambda L, x: x[:3].fill_(x[0])),
    "x[:3].masked_fill_(mask, x[0])": _with(lambda L, x: x[:3].masked_fill_(
        L.tensor(np.array([True, False, True])), x[0])),
    "x[1:].cumsum_(0)": _with(lambda L, x: x[1:].cumsum_(0)),
    "x[1:] = x[:-1]": _with(lambda L, x: x.__setitem__(slice(1, None), x[:-1])),
    "x[:] = x": _with(lambda L, x: x.__setitem__(slice(None), x)),
    "x[None, 1:] = x[:-1]": _with(lambda L, x: x.__setitem__((None, slice(1, None)), x[:-1])),
    "x[0:3] = x[0]": _with(lambda L, x: x.__setitem__(slice(0, 3), x[0])),
    "x[0:3] = x[0:1]": _with(lambda L, x: x.__setitem__(slice(0, 3), x[0:1])),
    "x[1:3] = x[0:1]": _with(lambda L, x: x.__setitem__(slice(1, 3), x[0:1])),
    "x[...] = its transpose, flat": _with(lambda L, x: x[:6].__setitem__(
        Ellipsis, x[:6].view(2, 3).t().reshape(6))),
    "m[0] = m's strided column": _with(lambda L, x: x[:6].view(2, 3).__setitem__(
        0, x[:6].view(3, 2)[:, 0])),
    "x[[1, 2, 3]] = x[:3]": _with(lambda L, x: x.__setitem__([1, 2, 3], x[:3])),
    "x[[5]] = x[:1]": _with(lambda L, x: x.__setitem__([5], x[:1])),
    "x[[0..9]] = x": _with(lambda L, x: x.__setitem__(list(range(10)), x)),
    "x[x > 0.5] = x[:5]": _with(lambda L, x: x.__setitem__(x > 0.55, x[:5])),
    "x[[1, 2]] = x[0]": _with(lambda L, x: x.__setitem__([1, 2], x[0])),
    "x[[0, 1]] = ones": _with(lambda L, x: x.__setitem__([0, 1], L.ones(2))),
    "m[0, [0, 1]] = m[1, :2]": _with(lambda L, x: x[:6].view(2, 3).__setitem__(
        (0, [0, 1]), x[:6].view(2, 3)[1, :2])),
    "x[1:][[0, 1]] = x[:2]": _with(lambda L, x: x[1:].__setitem__([0, 1], x[:2])),
    "x[5:][[0, 1]] = x[:2]": _with(lambda L, x: x[5:].__setitem__([0, 1], x[:2])),
    "x[tensor(1)] = x[2]": _with(lambda L, x: x.__setitem__(L.tensor(1), x[2])),
    "x[tensor([1])] = x[1:2]": _with(lambda L, x: x.__setitem__(L.tensor(np.array([1])),
                                                                x[1:2])),
    # in-place index writes: the source may share no memory with the tensor at all
    "x.index_put_((i,), x[:3])": _with(lambda L, x: x.index_put_((_i(L, 1, 2, 3),), x[:3])),
    "x.index_put_((i,), x)": _with(lambda L, x: x.index_put_((_i(L, *range(10)),), x)),
    "x.index_put_((i,), x[0])": _with(lambda L, x: x.index_put_((_i(L, 1, 2),), x[0])),
    "x.index_put_ accumulate": _with(lambda L, x: x.index_put_((_i(L, 1, 2),), x[:2],
                                                               accumulate=True)),
    "x.index_put_ of other values": _with(lambda L, x: x.index_put_((_i(L, 1, 2),), L.ones(2))),
    "x[1:].index_copy_(0, i, x[:2])": _with(lambda L, x: x[1:].index_copy_(0, _i(L, 0, 1),
                                                                           x[:2])),
    "x.index_copy_(0, i, x)": _with(lambda L, x: x.index_copy_(0, _i(L, *range(10)), x)),
    "m.index_copy_(0, i, m[:1])": _with(lambda L, x: x.view(2, 5).index_copy_(
        0, _i(L, 1), x.view(2, 5)[:1])),
    "x[1:].index_add_(0, i, x[:2])": _with(lambda L, x: x[1:].index_add_(0, _i(L, 0, 1), x[:2])),
    "x[:5].index_add_(0, i, x[5:7])": _with(lambda L, x: x[:5].index_add_(0, _i(L, 0, 1),
                                                                          x[5:7])),
    "x.index_add_(0, i, x)": _with(lambda L, x: x.index_add_(0, _i(L, *range(10)), x)),
    "x[1:].scatter_(0, i, x[:2])": _with(lambda L, x: x[1:].scatter_(0, _i(L, 0, 1), x[:2])),
    "x.scatter_(0, i, x)": _with(lambda L, x: x.scatter_(0, _i(L, *range(10)), x)),
    "x[:5].scatter_(0, i, x[::4])": _with(lambda L, x: x[:5].scatter_(0, _i(L, 0, 1), x[::4])),
    "x[1:].scatter_add_(0, i, x[:2])": _with(lambda L, x: x[1:].scatter_add_(0, _i(L, 0, 1),
                                                                             x[:2])),
    "x[1:].scatter_reduce_(sum)": _with(lambda L, x: x[1:].scatter_reduce_(0, _i(L, 0, 1), x[:2],
                                                                           "sum")),
    "x[1:].put_(i, x[:2])": _with(lambda L, x: x[1:].put_(_i(L, 0, 1), x[:2])),
    "x.put_(i, x)": _with(lambda L, x: x.put_(_i(L, *range(10)), x)),
    "x[1:].put_ accumulate": _with(lambda L, x: x[1:].put_(_i(L, 0, 1), x[:2], accumulate=True)),
    "x[1:].index_fill_(0, i, x[0])": _with(lambda L, x: x[1:].index_fill_(0, _i(L, 0, 1), x[0])),
    "x[5:].masked_scatter_(mask, x[:5])": _with(lambda L, x: x[5:].masked_scatter_(
        L.ones(5, dtype=L.bool), x[:5])),
}


def _i(L, *values):
    return L.tensor(np.array(values, dtype=np.int64))


@pytest.mark.parametrize("name, fn", ELEMENTWISE_CASES, ids=[c[0] for c in ELEMENTWISE_CASES])
def test_elementwise_out_overlap(name, fn):
    compare(fn)


# matrix products into an overlapping output: torch's values are what its BLAS reads of its
# own writes (an AMD EPYC's MKL path clears the output first: zeros there, the product on an
# Intel CPU); the library's come from the values before the call — only whether each refuses,
# and the dtypes and shapes, are compared
BLAS_READS_ITS_WRITES = {"addmm into self", "mm overlapping"}


@pytest.mark.parametrize("name", list(SPECIAL_OUT_CASES))
def test_out_overlap(name):
    random = name.startswith(("bernoulli", "normal"))
    if random:
        assert run(SPECIAL_OUT_CASES[name], "torch")[0] == "raises"
    compare(SPECIAL_OUT_CASES[name], values=name not in BLAS_READS_ITS_WRITES)


@pytest.mark.parametrize("name", list(INPLACE_CASES))
def test_inplace_overlap(name):
    compare(INPLACE_CASES[name])


def test_overlap_refusal_leaves_memory_alone():
    """A refused write writes nothing (the check comes before any value is computed)."""
    x = tg.arange(10.0)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        tg.add(x[:-1], 1, out=x[1:])
    np.testing.assert_array_equal(x.numpy(), np.arange(10.0))


# ---------------------------------------------------------------------------- 2. no warnings
def _f64(L, values=(1e300, -1e300, float("nan"), 1.0)):
    return L.tensor(np.array(values), dtype=L.float64)


def _fill_in(L, write, n=4, dtype=None):
    x = L.zeros(n, dtype=dtype or L.float32)
    write(L, x)
    return x


QUIET_CASES = {
    "tensor(1e300, float32)": lambda L: L.tensor([1e300, -1e300, float("nan")], dtype=L.float32),
    "tensor(1e300, float16)": lambda L: L.tensor([1e300, 1e5], dtype=L.float16),
    "tensor(float64 array, float32)": lambda L: L.tensor(np.array([1e300]), dtype=L.float32),
    "as_tensor(float64 array, float32)": lambda L: L.as_tensor(np.array([1e300]), dtype=L.float32),
    "to(float32)": lambda L: _f64(L).to(L.float32),
    "float()": lambda L: _f64(L).float(),
    "half()": lambda L: _f64(L).half(),
    "float32 to half()": lambda L: L.tensor([1e30, -1e30, 70000.0]).half(),
    "type(float32)": lambda L: _f64(L).type(L.float32),
    "type_as": lambda L: _f64(L).type_as(L.zeros(1)),
    "to(other tensor)": lambda L: _f64(L).to(L.zeros(1)),
    "from_numpy(...).float()": lambda L: L.from_numpy(np.array([1e300])).float(),
    "int64 to half": lambda L: L.tensor([100000]).half(),
    "int32 to float16": lambda L: L.tensor([100000, -100000], dtype=L.int32).to(L.float16),
    "uint8 to float16": lambda L: L.tensor([255], dtype=L.uint8).half(),
    "int64 2**62 to float32": lambda L: L.tensor([2 ** 62]).float(),
    "copy_ int64 into float16": lambda L: _fill_in(
        L, lambda L, x: x.copy_(L.tensor([100000, 5, -70000, 0])), dtype=L.float16),
    "nan to int32": lambda L: L.tensor([float("nan"), 1e300]).to(L.int32),
    "copy_ float64 into float32": lambda L: _fill_in(L, lambda L, x: x.copy_(_f64(L))),
    "copy_ float32 into float16": lambda L: _fill_in(
        L, lambda L, x: x.copy_(L.tensor([1e10, -1e10, 1.0, 2.0])), dtype=L.float16),
    "copy_ float64 into int32": lambda L: _fill_in(
        L, lambda L, x: x.copy_(_f64(L, (1e10, float("nan"), 1.0, 2.0))), dtype=L.int32),
    "x[:] = float64 tensor": lambda L: _fill_in(L, lambda L, x: x.__setitem__(slice(None),
                                                                              _f64(L))),
    "fill_(float64 0-d tensor)": lambda L: _fill_in(L, lambda L, x: x.fill_(
        L.tensor(1e300, dtype=L.float64))),
    "add_(float64 tensor)": lambda L: _fill_in(L, lambda L, x: x.add_(_f64(L))),
    "mul_(float64 tensor)": lambda L: _fill_in(L, lambda L, x: x.add_(1).mul_(_f64(L))),
    "add(..., out=float32)": lambda L: L.add(_f64(L), 0, out=L.zeros(4)),
    "mul(..., out=float16)": lambda L: L.mul(L.tensor([1e30, -1e30, 1.0]), 1,
                                             out=L.zeros(3, dtype=L.float16)),
    "cat(..., out=float32)": lambda L: L.cat([_f64(L)], out=L.zeros(4)),
    "stack(..., out=float32)": lambda L: L.stack([_f64(L)], out=L.zeros(1, 4)),
    "arange float16": lambda L: L.arange(0, 1e6, 2e5, dtype=L.float16),
    "arange float32": lambda L: L.arange(0, 1e39, 5e38, dtype=L.float32),
    "logspace float32 to inf": lambda L: L.logspace(0, 300, 3, dtype=L.float32),
    "linspace float32 -3e38..3e38": lambda L: L.linspace(-3e38, 3e38, 3, dtype=L.float32),
    "Module.half() of huge weights": lambda L: _module_half(L),
    # torch's refusals (a number written into a tensor is checked, not made inf)
    "fill_(1e300)": lambda L: _fill_in(L, lambda L, x: x.fill_(1e300)),
    "x[0] = 1e300": lambda L: _fill_in(L, lambda L, x: x.__setitem__(0, 1e300)),
    "full(1e300, float32)": lambda L: L.full((2,), 1e300, dtype=L.float32),
    "full(1e10, float16)": lambda L: L.full((2,), 1e10, dtype=L.float16),
    "full(2**70)": lambda L: L.full((2,), 2 ** 70),
    "full(-2**70)": lambda L: L.full((2,), -2 ** 70),
    "fill_(2**70)": lambda L: _fill_in(L, lambda L, x: x.fill_(2 ** 70)),
    "linspace float32 to 1e300": lambda L: L.linspace(0, 1e300, 3, dtype=L.float32),
    "linspace float32 from -1e300": lambda L: L.linspace(-1e300, 0, 3, dtype=L.float32),
    "linspace default dtype to 1e300": lambda L: L.linspace(0, 1e300, 3),
    "linspace float32 one step of 1e300": lambda L: L.linspace(1e300, 1e300, 1,
                                                               dtype=L.float32),
    "linspace float16 to 1e6": lambda L: L.linspace(0, 1e6, 3, dtype=L.float16),
    "linspace float16 to 65519": lambda L: L.linspace(0, 65519.0, 3, dtype=L.float16),
    "linspace float16 to 65504": lambda L: L.linspace(0, 65504.0, 3, dtype=L.float16),
    "linspace float32 to 3.5e38": lambda L: L.linspace(0, 3.5e38, 3, dtype=L.float32),
    "linspace int64 to 1e300": lambda L: L.linspace(0, 1e300, 3, dtype=L.int64),
    "linspace int32 to 1e10": lambda L: L.linspace(0, 1e10, 3, dtype=L.int32),
    "linspace int8 to 200": lambda L: L.linspace(0, 200, 3, dtype=L.int8),
    "linspace uint8 from -3": lambda L: L.linspace(-3, 5, 5, dtype=L.uint8),
    "linspace uint8 from -300": lambda L: L.linspace(-300, 5, 3, dtype=L.uint8),
    "linspace int8 from -2.7": lambda L: L.linspace(-2.7, 100, 4, dtype=L.int8),
    "linspace to 2**70": lambda L: L.linspace(0, 2 ** 70, 3),
    "linspace to 2**63 (fits as uint64)": lambda L: L.linspace(0, 2 ** 63, 3),
    "linspace bool": lambda L: L.linspace(0, 5, 3, dtype=L.bool),
    "linspace to nan": lambda L: L.linspace(0, float("nan"), 3, dtype=L.float32),
    "linspace from -inf": lambda L: L.linspace(float("-inf"), 0, 3, dtype=L.float16),
    "linspace 0-d tensor end 1e300": lambda L: L.linspace(
        L.tensor(0.0), L.tensor(1e300, dtype=L.float64), 3),
    "logspace float32 to 1e300": lambda L: L.logspace(0, 1e300, 3, dtype=L.float32),
    "logspace float16 to 1e6": lambda L: L.logspace(0, 1e6, 3, dtype=L.float16),
    "logspace int64 to 1e300": lambda L: L.logspace(0, 1e300, 3, dtype=L.int64),
    "logspace bool": lambda L: L.logspace(0, 1, 3, dtype=L.bool),
    "logspace to 2**70": lambda L: L.logspace(0, 2 ** 70, 3),
}


def _module_half(L):
    layer = L.nn.Linear(2, 1)
    with L.no_grad():
        layer.weight.copy_(L.tensor([[1e30, -1e30]]))
    return layer.half().weight


@pytest.mark.parametrize("name", list(QUIET_CASES))
def test_quiet_conversions(name):
    for lib in ("torch", "ours"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run(QUIET_CASES[name], lib)
        assert [str(w.message) for w in caught] == [], lib
    compare(QUIET_CASES[name])


# ---------------------------------------------------------------------------- 3. to(number)
def _x2(L):
    return L.tensor([1.5, 2.0])


TO_CASES = {
    "to(True)": lambda L: _x2(L).to(True),
    "to(False)": lambda L: _x2(L).to(False),
    "to(1.5)": lambda L: _x2(L).to(1.5),
    "to(0.0)": lambda L: _x2(L).to(0.0),
    "int to(1.5)": lambda L: L.tensor([1, 2]).to(1.5),
    "bool to(True)": lambda L: L.tensor([True]).to(True),
    "to(np.float64(1.5))": lambda L: _x2(L).to(np.float64(1.5)),
    "to(np.float32(1.5))": lambda L: _x2(L).to(np.float32(1.5)),
    "to(np.bool_(True))": lambda L: _x2(L).to(np.bool_(True)),
    "to(True, True)": lambda L: _x2(L).to(True, True),
    "to(True, False, True)": lambda L: _x2(L).to(True, False, True),
    "to(1.5, False)": lambda L: _x2(L).to(1.5, False),
    "to(1.5, copy=True)": lambda L: _x2(L).to(1.5, copy=True),
    "to(True, memory_format=contiguous)": lambda L: _x2(L).to(
        True, memory_format=L.contiguous_format),
    "to(tensor=1.5)": lambda L: _x2(L).to(tensor=1.5),
    "to(tensor=True)": lambda L: _x2(L).to(tensor=True),
    "to(dtype=1.5)": lambda L: _x2(L).to(dtype=1.5),
    "to(dtype=True)": lambda L: _x2(L).to(dtype=True),
    "to(device=True)": lambda L: _x2(L).to(device=True),
    "to(1.5, float32)": lambda L: _x2(L).to(1.5, L.float32),
    "to('cpu', 1.5)": lambda L: _x2(L).to("cpu", 1.5),
    "to(None, True)": lambda L: _x2(L).to(None, True),
    "to(float32, 1.5)": lambda L: _x2(L).to(L.float32, 1.5),
    "to(1)": lambda L: _x2(L).to(1),
    "to(0)": lambda L: _x2(L).to(0),
    "to(-1)": lambda L: _x2(L).to(-1),
    "to(device=-1)": lambda L: _x2(L).to(device=-1),
    "to(np.int64(0))": lambda L: _x2(L).to(np.int64(0)),
    "to(np.int64(-1))": lambda L: _x2(L).to(device=np.int64(-1)),
    "to(None)": lambda L: _x2(L).to(None),
    "to([1])": lambda L: _x2(L).to([1]),
    "to(float)": lambda L: _x2(L).to(float),
    "to(bool)": lambda L: _x2(L).to(bool),
    "type(True)": lambda L: _x2(L).type(True),
    "type(1.5)": lambda L: _x2(L).type(1.5),
    "type([1])": lambda L: _x2(L).type([1]),
}


@pytest.mark.parametrize("name", list(TO_CASES))
def test_to_a_number(name):
    compare(TO_CASES[name])


@pytest.mark.parametrize("lib", ["torch", "ours"])
def test_to_a_number_keeps_the_tensor_when_nothing_changes(lib):
    L = LIBS[lib]
    x64, b = L.tensor([1.0], dtype=L.float64), L.tensor([True])
    assert x64.to(1.5) is x64 and b.to(True) is b
    assert x64.to(1.5, copy=True) is not x64


# ---------------------------------------------------------------------------- 4. messages
def _m34(L):
    return L.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4))


NARROW_ARGS = [(2, 0, 1), (-3, 0, 1), (0, 4, 1), (0, -4, 1), (0, 3, 0), (0, 2, 2), (0, 0, -1),
               (0, 1.5, 1), (0, 0, 1.5), (1.5, 0, 1), ("a", 0, 1), (0, None, 1), (0, -3, 1),
               (0, 3, 1), (0, 0, 4), (1, 1, 2)]
MESSAGE_CASES = {
    **{f"x.narrow{a}": (lambda L, a=a: _m34(L).narrow(*a)) for a in NARROW_ARGS},
    **{f"narrow(x, {a})": (lambda L, a=a: L.narrow(_m34(L), *a)) for a in NARROW_ARGS},
    "x.narrow(0, tensor(1), 1)": lambda L: _m34(L).narrow(0, L.tensor(1), 1),
    "x.narrow(0, tensor([1]), 1)": lambda L: _m34(L).narrow(0, L.tensor(np.array([1])), 1),
    "x.narrow(0, tensor(1.5), 1)": lambda L: _m34(L).narrow(0, L.tensor(1.5), 1),
    "x.narrow(dim=0, start=0, length=1)": lambda L: _m34(L).narrow(dim=0, start=0, length=1),
    "x.narrow(0, 0)": lambda L: _m34(L).narrow(0, 0),
    "narrow(x, 0, 0)": lambda L: L.narrow(_m34(L), 0, 0),
    "narrow of a 0-d tensor": lambda L: L.tensor(1.0).narrow(0, 0, 1),
    "x.narrow_copy(2, 0, 1)": lambda L: _m34(L).narrow_copy(2, 0, 1),
    "x.narrow_copy(-3, 0, 1)": lambda L: _m34(L).narrow_copy(-3, 0, 1),
    "x.narrow_copy(0, 4, 1)": lambda L: _m34(L).narrow_copy(0, 4, 1),
    "narrow_copy(x, 0, 2, 2)": lambda L: L.narrow_copy(_m34(L), 0, 2, 2),
    "narrow_copy(x, 0, 1.5, 1)": lambda L: L.narrow_copy(_m34(L), 0, 1.5, 1),
    # clip says clip
    "clip()": lambda L: L.clip(_m34(L)),
    "x.clip()": lambda L: _m34(L).clip(),
    "clip(None, None)": lambda L: L.clip(_m34(L), None, None),
    "x.clip_()": lambda L: _m34(L).clip_(),
    "clip(x, 'a')": lambda L: L.clip(_m34(L), "a"),
    "clamp(x, 'a')": lambda L: L.clamp(_m34(L), "a"),
    "x.clip('a')": lambda L: _m34(L).clip("a"),
    "x.clamp('a')": lambda L: _m34(L).clamp("a"),
    "x.clip_('a')": lambda L: _m34(L).clip_("a"),
    "x.clamp_('a')": lambda L: _m34(L).clamp_("a"),
    "clip(x, min=[1])": lambda L: L.clip(_m34(L), min=[1]),
    "clip(x, 1, 'b')": lambda L: L.clip(_m34(L), 1, "b"),
    "x.clip(tensor, 'b')": lambda L: _m34(L).clip(L.tensor(1.0), "b"),
    "clip(x, minn=1)": lambda L: L.clip(_m34(L), minn=1),
    "x.clip(minn=1)": lambda L: _m34(L).clip(minn=1),
    "x.clip(1, 2, 3)": lambda L: _m34(L).clip(1, 2, 3),
    "clip(1.0, 0)": lambda L: L.clip(1.0, 0),
    "clamp(2, min=1)": lambda L: L.clamp(2, min=1),
    "clip(x, True)": lambda L: L.clip(_m34(L), True),
    "clip(x, tensor, 1)": lambda L: L.clip(_m34(L), L.tensor(1.0), 1),
    "clip(x, min=tensor, max=3.0)": lambda L: L.clip(_m34(L), min=L.tensor(2.0), max=3.0),
    "x.clip(2, 5)": lambda L: _m34(L).clip(2, 5),
    "x.clip_(2, 5)": lambda L: _m34(L).clip_(2, 5),
    "clip_(x, 2, 5)": lambda L: L.clip_(_m34(L), 2, 5),
    "x.clamp(0, 1, out=...)": lambda L: _m34(L).clamp(0, 1, out=L.zeros(3, 4)),
    "clip(x requiring grad, out=...)": lambda L: L.clip(
        _m34(L).requires_grad_(), 0, 1, out=L.zeros(3, 4)),
    "clip(x, 0, 2, out=int64)": lambda L: L.clip(_m34(L), 0, 2,
                                                 out=L.zeros(3, 4, dtype=L.int64)),
    # max and min
    "max(x, 2)": lambda L: L.max(_m34(L), 2),
    "max(x, -3)": lambda L: L.max(_m34(L), -3),
    "x.max(2)": lambda L: _m34(L).max(2),
    "min(x, 2)": lambda L: L.min(_m34(L), 2),
    "x.min(-3)": lambda L: _m34(L).min(-3),
    "max(0-d, 1)": lambda L: L.max(L.tensor(3.0), 1),
    "max(0-d, 0)": lambda L: L.max(L.tensor(3.0), 0),
    "max(x, 2.0)": lambda L: L.max(_m34(L), 2.0),
    "x.max(2.5)": lambda L: _m34(L).max(2.5),
    "x.min(2.5)": lambda L: _m34(L).min(2.5),
    "min(x, 2.5)": lambda L: L.min(_m34(L), 2.5),
    "max(x, 'a')": lambda L: L.max(_m34(L), "a"),
    "max(x, True)": lambda L: L.max(_m34(L), True),
    "x.max(True)": lambda L: _m34(L).max(True),
    "max(x, None)": lambda L: L.max(_m34(L), None),
    "x.max(None)": lambda L: _m34(L).max(None),
    "max(x, dim=None)": lambda L: L.max(_m34(L), dim=None),
    "x.max(dim=None)": lambda L: _m34(L).max(dim=None),
    "max(x, [1])": lambda L: L.max(_m34(L), [1]),
    "max(x, (0, 1))": lambda L: L.max(_m34(L), (0, 1)),
    "max(x, 1, 2)": lambda L: L.max(_m34(L), 1, 2),
    "max(x, 1, 'a')": lambda L: L.max(_m34(L), 1, "a"),
    "x.max(1, 2)": lambda L: _m34(L).max(1, 2),
    "x.max(1, 'a')": lambda L: _m34(L).max(1, "a"),
    "x.max(1.5, True)": lambda L: _m34(L).max(1.5, True),
    "x.max(1, True, 3)": lambda L: _m34(L).max(1, True, 3),
    "max(x, 1, True, 3)": lambda L: L.max(_m34(L), 1, True, 3),
    "max(x, dim=1.5)": lambda L: L.max(_m34(L), dim=1.5),
    "x.max(dim=1.5)": lambda L: _m34(L).max(dim=1.5),
    "max(x, keepdim=True)": lambda L: L.max(_m34(L), keepdim=True),
    "x.max(keepdim=True)": lambda L: _m34(L).max(keepdim=True),
    "max(x, dim=1, keepdim=1)": lambda L: L.max(_m34(L), dim=1, keepdim=1),
    "x.max(dim=1, keepdim='a')": lambda L: _m34(L).max(dim=1, keepdim="a"),
    "max(x, 1, keepdim=None)": lambda L: L.max(_m34(L), 1, keepdim=None),
    "max(x, y, True)": lambda L: L.max(_m34(L), _m34(L), True),
    "x.max(y, True)": lambda L: _m34(L).max(_m34(L), True),
    "max(x, other=y, dim=1)": lambda L: L.max(_m34(L), other=_m34(L), dim=1),
    "x.max(foo=1)": lambda L: _m34(L).max(foo=1),
    "max(x, foo=1)": lambda L: L.max(_m34(L), foo=1),
    "max()": lambda L: L.max(),
    "max(2.0, x)": lambda L: L.max(2.0, _m34(L)),
    "max(2, 3)": lambda L: L.max(2, 3),
    "max(x)": lambda L: L.max(_m34(L)),
    "x.max()": lambda L: _m34(L).max(),
    "max(x, 1)": lambda L: L.max(_m34(L), 1),
    "x.min(0, True)": lambda L: _m34(L).min(0, True),
    "max(input=x, dim=1)": lambda L: L.max(input=_m34(L), dim=1),
    "max(x, np.int64(1))": lambda L: L.max(_m34(L), np.int64(1)),
    "max(x, other=y)": lambda L: L.max(_m34(L), other=_m34(L) - 5),
    "x.max(other=y)": lambda L: _m34(L).max(other=_m34(L) - 5),
    "max(x, 0-d int tensor)": lambda L: L.max(_m34(L), L.tensor(5)),
    "max(x, 1, out=...)": lambda L: L.max(_m34(L), 1, out=(L.zeros(3), L.zeros(3, dtype=L.int64))),
    "max of an empty dim": lambda L: L.max(L.zeros(0, 2), 0),
    "argmax(x, 2.0)": lambda L: L.argmax(_m34(L), 2.0),
    "argmax(x, True)": lambda L: L.argmax(_m34(L), True),
}


@pytest.mark.parametrize("name", list(MESSAGE_CASES))
def test_messages(name):
    compare(MESSAGE_CASES[name])


def test_clip_and_clamp_keep_torchs_signature():
    import inspect
    for fn in (tg.clip, tg.clamp):
        assert list(inspect.signature(fn).parameters) == ["input", "min", "max", "out"]
    assert list(inspect.signature(tg.max).parameters) == ["input", "dim", "keepdim", "other",
                                                          "out"]


# ---------------------------------------------------------------------------- 5. node names
NODE_CASES = {
    "to(memory_format=channels_last)": lambda L, x: x.to(memory_format=L.channels_last),
    "to(float64, channels_last)": lambda L, x: x.to(L.float64, memory_format=L.channels_last),
    "to(float32, channels_last)": lambda L, x: x.to(L.float32, memory_format=L.channels_last),
    "float(memory_format=channels_last)": lambda L, x: x.float(memory_format=L.channels_last),
    "double(memory_format=channels_last)": lambda L, x: x.double(
        memory_format=L.channels_last),
    "channels_last to(contiguous_format)": lambda L, x: x.contiguous(
        memory_format=L.channels_last).to(memory_format=L.contiguous_format),
    "to(memory_format=contiguous_format)": lambda L, x: x.to(
        memory_format=L.contiguous_format),
    "contiguous(channels_last)": lambda L, x: x.contiguous(memory_format=L.channels_last),
    "to(float64)": lambda L, x: x.to(L.float64),
}


@pytest.mark.parametrize("name", list(NODE_CASES))
def test_to_memory_format_node_names(name, torch_mode):
    values = np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5)
    results = {}
    for lib, L in LIBS.items():
        x = L.tensor(values, requires_grad=True)
        y = NODE_CASES[name](L, x)
        results[lib] = (x, y, None if y.grad_fn is None else y.grad_fn.name())
        if y.grad_fn is not None:
            (y * L.tensor(values).to(y.dtype)).sum().backward()
    (tx, ty, expected), (ox, oy, got) = results["torch"], results["ours"]
    assert got == expected
    if oy.grad_fn is not None:
        assert repr(oy.grad_fn).startswith(f"<{expected} object at ")
        np.testing.assert_array_equal(ox.grad.numpy(), tx.grad.numpy())
    assert oy.stride() == ty.stride()
    assert str(oy.dtype).split(".")[-1] == str(ty.dtype).split(".")[-1]
