"""``tinygrad_sgd.testing``: torch's ``torch.testing`` — :func:`assert_close`,
:func:`make_tensor` and the deprecated :func:`assert_allclose`.

:func:`assert_close` follows torch's ``torch/testing/_comparison.py``: inputs are paired up
(nested sequences and mappings item by item), each pair is None/None, two booleans, two Python
(or NumPy) numbers, or two tensor-likes (our Tensors, NumPy arrays) of directly related types;
values pass where ``|actual − expected| ≤ atol + rtol·|expected|`` with torch's default
tolerances per dtype (below); the errors and messages are torch's, word for word (the dtype and
shape in them print as this library prints them).

    dtype        rtol     atol           Python number   as dtype
    float16      1e-3     1e-5           int             int64   (exact)
    float32      1.3e-6   1e-5           float           float64
    float64      1e-7     1e-7           complex         complex128
    other        0        0   (exact)

:func:`make_tensor` draws as torch's does (``uniform_`` for floats, ``randint`` for integers
and bool, torch's default range [-9, 9] / [-9, 10)), so after the same ``manual_seed`` it gives
torch's values.
"""
import cmath
import collections.abc
import contextlib
import functools
import math
import warnings

import numpy as np

from ..tensor import Tensor

__all__ = ["assert_close", "make_tensor", "assert_allclose"]


# ------------------------------------------------------------------ errors (torch's ErrorMeta)
class _ErrorMeta(Exception):
    def __init__(self, type, msg, *, id=()):
        super().__init__(msg)
        self.type, self.msg, self.id = type, msg, id

    def to_error(self, msg=None):
        if not isinstance(msg, str):
            generated = self.msg
            if self.id:
                generated += ("\n\nThe failure occurred for item "
                              f"{''.join(str([item]) for item in self.id)}")
            msg = msg(generated) if callable(msg) else generated
        return self.type(msg)


class _Unsupported(Exception):
    pass


def _precisions():
    from .. import dtypes as D
    return {D.float16: (0.001, 1e-5), D.float32: (1.3e-6, 1e-5), D.float64: (1e-7, 1e-7),
            **({D.bfloat16: (0.016, 1e-5)} if hasattr(D, "bfloat16") else {})}


def _tolerances(dtypes, rtol, atol, id, precisions=None):
    if (rtol is None) ^ (atol is None):
        raise _ErrorMeta(ValueError, "Both 'rtol' and 'atol' must be either specified or "
                         f"omitted, but got no {'rtol' if rtol is None else 'atol'}.", id=id)
    if rtol is not None:
        return rtol, atol
    table = precisions or _precisions()
    rtols, atols = zip(*[table.get(d, (0.0, 0.0)) for d in dtypes])
    return max(rtols), max(atols)


def _mismatch_msg(default_identifier, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    equality = rtol == 0 and atol == 0

    def diff_msg(kind, diff, idx, tol):
        msg = (f"{kind.title()} difference: {diff}" if idx is None
               else f"Greatest {kind} difference: {diff} at index {idx}")
        return msg + ("" if equality else f" (up to {tol} allowed)") + "\n"

    msg = f"{default_identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += f"{extra.strip()}\n"
    msg += diff_msg("absolute", abs_diff, abs_idx, atol)
    msg += diff_msg("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _scalar_msg(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg("Scalars", f"Expected {expected} but got {actual}.", abs_diff, None,
                         atol, rel_diff, None, rtol)


# ------------------------------------------------------------------ pairs
class _Pair:
    def __init__(self, actual, expected, *, id=(), **_):
        self.actual, self.expected, self.id = actual, expected, id

    def _fail(self, type, msg):
        raise _ErrorMeta(type, msg, id=self.id)


class _NonePair(_Pair):
    def __init__(self, actual, expected, **options):
        if not (actual is None or expected is None):
            raise _Unsupported
        super().__init__(actual, expected, **options)

    def compare(self):
        if not (self.actual is None and self.expected is None):
            self._fail(AssertionError, f"None mismatch: {self.actual} is not {self.expected}")


class _BooleanPair(_Pair):
    def __init__(self, actual, expected, **options):
        if not all(isinstance(x, (bool, np.bool_)) for x in (actual, expected)):
            raise _Unsupported
        super().__init__(bool(actual), bool(expected), **options)

    def compare(self):
        if self.actual is not self.expected:
            self._fail(AssertionError,
                       f"Booleans mismatch: {self.actual} is not {self.expected}")


class _NumberPair(_Pair):
    def __init__(self, actual, expected, *, id=(), rtol=None, atol=None, equal_nan=False,
                 check_dtype=False, **options):
        kinds = (int, float, complex, np.number)
        if not all(isinstance(x, kinds) for x in (actual, expected)):
            raise _Unsupported
        if isinstance(actual, bool) or isinstance(expected, bool):
            # torch: a bool paired with a number reaches NumberPair and fails inside it
            raise RuntimeError(
                f"Originating a NumberPair() at item {''.join(str([i]) for i in id)} with\n\n"
                f"{type(actual).__name__}(): {actual}\n\nand\n\n"
                f"{type(expected).__name__}(): {expected}\n\nresulted in an unexpected error.")
        actual, expected = (x.item() if isinstance(x, np.number) else x
                            for x in (actual, expected))
        super().__init__(actual, expected, id=id)
        from .. import dtypes as D
        as_dtype = {int: D.int64, float: D.float64, complex: "complex128"}
        self.rtol, self.atol = _tolerances([as_dtype[type(x)] for x in (actual, expected)],
                                           rtol, atol, id,
                                           {**_precisions(), "complex128": (1e-7, 1e-7)})
        self.equal_nan, self.check_dtype = equal_nan, check_dtype

    def compare(self):
        a, e = self.actual, self.expected
        if self.check_dtype and type(a) is not type(e):
            self._fail(AssertionError,
                       f"The (d)types do not match: {type(a)} != {type(e)}.")
        if a == e:
            return
        if self.equal_nan and cmath.isnan(a) and cmath.isnan(e):
            return
        abs_diff = abs(a - e)
        if cmath.isfinite(abs_diff) and abs_diff <= self.atol + self.rtol * abs(e):
            return
        self._fail(AssertionError, _scalar_msg(a, e, self.rtol, self.atol))


class _TensorLikePair(_Pair):
    def __init__(self, actual, expected, *, id=(), allow_subclasses=True, rtol=None,
                 atol=None, equal_nan=False, check_device=True, check_dtype=True,
                 check_layout=True, check_stride=False, **_):
        related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
        if not related or (not allow_subclasses and type(actual) is not type(expected)):
            raise _Unsupported
        actual, expected = (self._to_tensor(x) for x in (actual, expected))
        super().__init__(actual, expected, id=id)
        self.rtol, self.atol = _tolerances([actual.dtype, expected.dtype], rtol, atol, id)
        self.equal_nan, self.check_device = equal_nan, check_device
        self.check_dtype, self.check_stride = check_dtype, check_stride

    @staticmethod
    def _to_tensor(x):
        if isinstance(x, Tensor):
            return x
        from ..creation import as_tensor
        try:
            return as_tensor(x)
        except Exception:
            raise _Unsupported from None

    def _mismatch(self, name, a, e):
        self._fail(AssertionError,
                   f"The values for attribute '{name}' do not match: {a!s} != {e!s}.")

    def compare(self):
        a, e = self.actual, self.expected
        if a.shape != e.shape:
            self._mismatch("shape", a.shape, e.shape)
        if self.check_stride and a.stride() != e.stride():
            self._mismatch("stride()", a.stride(), e.stride())
        if self.check_device and a.device != e.device:
            self._mismatch("device", a.device, e.device)
        if self.check_dtype and a.dtype != e.dtype:
            self._mismatch("dtype", a.dtype, e.dtype)
        x, y = a.detach().numpy(), e.detach().numpy()
        if a.dtype != e.dtype:
            from .. import promote_types
            common = np.dtype(promote_types(a.dtype, e.dtype).name)
            x, y = x.astype(common), y.astype(common)
        self._compare_values(x, y)

    def _compare_values(self, x, y):
        rtol, atol = self.rtol, self.atol
        floating = x.dtype.kind in "fc"
        if not floating:           # torch compares integers and bools as int64
            x, y = x.astype(np.int64), y.astype(np.int64)
        with np.errstate(invalid="ignore", over="ignore"):
            matches = np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=self.equal_nan)
        if matches.all():
            return
        if x.shape == ():
            self._fail(AssertionError, _scalar_msg(x.item(), y.item(), rtol, atol))
        n = matches.size
        wrong = n - int(matches.sum())
        extra = f"Mismatched elements: {wrong} / {n} ({wrong / n:.1%})"
        xf, yf, mf = x.reshape(-1), y.reshape(-1), matches.reshape(-1)
        with np.errstate(all="ignore"):
            abs_diff = np.abs(xf - yf)
            abs_diff[mf] = 0
            # torch divides in the tensor's float dtype, integers in the default float32
            denom = np.abs(yf) if floating else np.abs(yf).astype(np.float32)
            rel_diff = (abs_diff if floating else abs_diff.astype(np.float32)) / denom
        rel_diff[mf] = 0
        ia, ir = int(np.argmax(abs_diff)), int(np.argmax(rel_diff))   # first NaN, as torch.max
        shape = matches.shape
        self._fail(AssertionError, _mismatch_msg(
            "Tensor-likes", extra, abs_diff[ia].item(),
            tuple(int(i) for i in np.unravel_index(ia, shape)), atol, rel_diff[ir].item(),
            tuple(int(i) for i in np.unravel_index(ir, shape)), rtol))


def _originate(actual, expected, id=(), **options):
    seq, mapping = collections.abc.Sequence, collections.abc.Mapping
    if (isinstance(actual, seq) and not isinstance(actual, str)
            and isinstance(expected, seq) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise _ErrorMeta(AssertionError, "The length of the sequences mismatch: "
                             f"{len(actual)} != {len(expected)}", id=id)
        return [p for i in range(len(actual))
                for p in _originate(actual[i], expected[i], (*id, i), **options)]
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        ak, ek = set(actual.keys()), set(expected.keys())
        if ak != ek:
            raise _ErrorMeta(AssertionError, "The keys of the mappings do not match:\n"
                             f"Missing keys in the actual mapping: {sorted(ek - ak)}\n"
                             f"Additional keys in the actual mapping: {sorted(ak - ek)}", id=id)
        keys = ak
        with contextlib.suppress(Exception):
            keys = sorted(keys)
        return [p for k in keys for p in _originate(actual[k], expected[k], (*id, k), **options)]
    for pair_type in (_NonePair, _BooleanPair, _NumberPair, _TensorLikePair):
        try:
            return [pair_type(actual, expected, id=id, **options)]
        except _Unsupported:
            continue
    raise _ErrorMeta(TypeError, "No comparison pair was able to handle inputs of type "
                     f"{type(actual)} and {type(expected)}.", id=id)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless ``actual`` and ``expected`` are close (torch's rules and
    messages; see the module's docstring). ``msg``: a str replacing the message, or a
    callable taking torch's message and returning the one to raise."""
    __tracebackhide__ = True
    try:
        pairs = _originate(actual, expected, allow_subclasses=allow_subclasses, rtol=rtol,
                           atol=atol, equal_nan=equal_nan, check_device=check_device,
                           check_dtype=check_dtype, check_layout=check_layout,
                           check_stride=check_stride)
    except _ErrorMeta as meta:
        raise meta.to_error() from None
    for pair in pairs:
        try:
            pair.compare()
        except _ErrorMeta as meta:
            raise meta.to_error(msg) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated (torch's FutureWarning): :func:`assert_close` with looser defaults
    (float16 1e-3/1e-3, float32 1e-4/1e-5, float64 1e-5/1e-8), NaNs equal, dtypes not
    checked; non-tensors are made tensors (``expected`` in ``actual``'s dtype)."""
    warnings.warn(
        "`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a "
        "future release. Please use `torch.testing.assert_close()` instead. You can find "
        "detailed upgrade instructions in https://github.com/pytorch/pytorch/issues/61844.",
        FutureWarning, stacklevel=2)
    from .. import dtypes as D
    from ..creation import tensor
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        table = {D.float16: (1e-3, 1e-3), D.float32: (1e-4, 1e-5), D.float64: (1e-5, 1e-8)}
        rtol, atol = _tolerances([actual.dtype, expected.dtype], None, None, (), table)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, check_stride=False, msg=msg or None)


# ------------------------------------------------------------------ make_tensor
def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` filled with random values in [low, high), drawn as torch's
    ``make_tensor`` draws them (the same values after the same ``manual_seed``): floats
    ``uniform_`` in [-9, 9) by default, integers ``randint`` in [-9, 10), bool in {0, 1}."""
    from .. import dtypes as D
    from ..creation import empty
    from ..device import check_device
    from .. import finfo, iinfo, randint
    check_device(device)
    is_float = dtype.is_floating_point
    integral = dtype == D.bool_ or not is_float
    if getattr(dtype, "is_complex", False):
        raise NotImplementedError("make_tensor: complex dtypes are not supported here")

    def modify_low_high(low, high, lowest, highest_excl, default_low, default_high):
        low = default_low if low is None else low
        high = default_high if high is None else high
        if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
            raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and "
                             f"high={high}")
        elif low == high and is_float:
            warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or "
                          "complex types is deprecated since 2.1 and will be removed in 2.3. "
                          "Use `torch.full(...)` instead.", FutureWarning, stacklevel=3)
        elif low >= high:
            raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
        elif high < lowest or low >= highest_excl:
            raise ValueError(f"The value interval specified by `low` and `high` is [{low}, "
                             f"{high}), but {dtype} only supports [{lowest}, {highest_excl})")
        low = min(max(low, lowest), highest_excl)
        high = min(max(high, lowest), highest_excl)
        return (math.ceil(low), math.ceil(high)) if integral else (low, high)

    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually "
                         f"exclusive, but got noncontiguous={noncontiguous} and "
                         f"memory_format={memory_format}")
    if requires_grad and integral:
        raise ValueError("`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got dtype={dtype}")
    noncontiguous = noncontiguous and functools.reduce(lambda x, y: x * y, shape, 1) > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])
    if dtype == D.bool_:
        low, high = modify_low_high(low, high, 0, 2, 0, 2)
        result = randint(low, high, shape, dtype=dtype)
    elif integral:
        info = iinfo(dtype)
        low, high = modify_low_high(low, high, info.min,
                                    info.max + (1 if dtype != D.int64 else 0), -9, 10)
        result = randint(low, high, shape, dtype=dtype)
    else:
        info = finfo(dtype)
        low, high = modify_low_high(low, high, info.min, info.max, -9, 9)
        result = empty(shape, dtype=dtype)
        if high - low >= info.max:
            result = result.uniform_(low / 2, high / 2).mul_(2)
        else:
            result = result.uniform_(low, high)
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        result[result == 0] = 1 if integral else finfo(dtype).tiny
    if is_float:
        result.requires_grad = requires_grad
    return result
