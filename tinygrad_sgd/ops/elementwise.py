"""Elementwise primitives. Gradients are given for the broadcast shape; the graph walk
(:mod:`tinygrad_sgd.autograd.engine`) sums them back to each input's shape.

(house: long file — torch's arithmetic, max/min, clamp and where, each a small class whose
edge cases — signed zeros, NaN, ties, float16 — are written next to its formula.)"""
import numpy as np

from ..autograd import Function, is_grad_enabled
from ..autograd.torch_names import named
from ..dtypes import cast
from .. import kernels
from ..kernels.vecmath import fma, via_float64


def keep_where(mask, g):
    """``g`` where ``mask`` (an array) is true, else 0; differentiable in ``g``. The backward of
    ops that pass the gradient only in places (relu, clamp, max, x^y at y = 0) uses it: a
    where rather than ``g · mask``, so that an infinite gradient arriving at a masked-out place
    (``sqrt`` at 0 after ``relu``) gives 0, as in torch, not inf·0 = nan. ``mask`` may also be
    an array of g's float dtype, standing for ``mask ≠ 0`` (nan counts as true)."""
    return Where.apply(Function.constant(mask), g, Function.constant(np.zeros((), g.dtype)))


def divide_where(mask, numerator, denominator):
    """``numerator / denominator`` where ``mask`` (an array) is true, else 0, as
    :func:`keep_where` — but divided by 1 at the masked-out places, so that no derivative of
    it is 0·∞ = NaN there either: torch's masked backward formulas (a norm's at a zero
    vector, std's of a constant, sinc's at 0) give 0 there in forward AD and second order
    too. The values where ``mask`` holds are the plain quotient's, bit for bit."""
    one = Function.constant(np.ones((), denominator.dtype))
    safe = Where.apply(Function.constant(mask), denominator, one)
    return keep_where(mask, numerator / safe)


def tie_to_input(node, grad, i=0):
    """``grad``, made to depend on ``node``'s input ``i`` (with derivative 0) under
    ``create_graph`` when it does not already. torch's backward kernels that read x —
    hardtanh's, pooling's, reflection padding's — give a gradient that requires grad whenever
    x does, its derivative in x zeros: a further ``grad`` gives zeros, not "does not require
    grad". (The edge is the input's graph node, or the leaf itself.)"""
    edge = node._edges[i] if is_grad_enabled() and not grad.requires_grad else None
    if edge is None:
        return grad
    if isinstance(edge, Function):        # an intermediate: a stand-in of x's shape and node
        x = Function.constant(np.zeros(node.input_shapes[i], grad.dtype))
        x.requires_grad = True
        x.grad_fn = edge
    else:
        x = edge
    return grad + ZerosLike.apply(x)


class Elementwise(Function):
    elementwise = True


def integer_power(a, b):
    """x^y for integer arrays as torch computes it: a negative exponent gives 0, except for the
    bases 1 (1) and −1 (±1 by the exponent's parity), where NumPy refuses."""
    negative = b < 0
    if not np.any(negative):
        return a ** b
    out = a ** np.where(negative, 0, b).astype(b.dtype, copy=False)
    by_parity = np.where(b % 2 == 0, 1, -1)
    small = np.where(a == 1, 1, np.where(a == -1, by_parity, 0))
    return np.where(negative, small, out).astype(out.dtype, copy=False)


class Add(Elementwise):
    inputs, rule, derivatives = ("x", "y"), "z = x + y", ("dz/dx = 1", "dz/dy = 1")

    def forward(self, x, y):
        return kernels.elementwise.arithmetic(np.add, x.array, y.array)

    def backward(self, g):
        return g, g


class Sub(Elementwise):
    inputs, rule, derivatives = ("x", "y"), "z = x − y", ("dz/dx = 1", "dz/dy = −1")

    def forward(self, x, y):
        return kernels.elementwise.arithmetic(np.subtract, x.array, y.array)

    def backward(self, g):
        return g, (-g if self.needs_input_grad[1] else None)


class Mul(Elementwise):
    inputs, rule, derivatives = ("x", "y"), "z = x · y", ("dz/dx = y", "dz/dy = x")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return kernels.elementwise.arithmetic(np.multiply, x.array, y.array)

    def backward(self, g):
        need_x, need_y = self.needs_input_grad[:2]
        x, y = self.saved_tensors_if(need_y, need_x)    # each read by the other's gradient
        return (g * y if need_x else None, g * x if need_y else None)


class Div(Elementwise):
    inputs, rule, derivatives = ("x", "y"), "z = x / y", ("dz/dx = 1/y", "dz/dy = −x/y²")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return kernels.elementwise.arithmetic(np.divide, x.array, y.array)

    def backward(self, g):
        need_x, need_y = self.needs_input_grad[:2]
        x, y = self.saved_tensors_if(need_y, True)      # x is read by dz/dy only
        # −g·x/y² computed as torch's −g·((x/y)/y): y·y underflows to 0 for tiny y
        return (g / y if need_x else None, -g * ((x / y) / y) if need_y else None)


class AddScaled(Elementwise):
    """x + α·y for floats with ``alpha`` ≠ 1 (``add(x, y, alpha=α)``), rounded once as
    torch's kernel computes it: a fused multiply-add (float16: in float32, α rounded to
    float16 first)."""
    inputs, rule = ("x", "y"), "z = x + α·y"
    derivatives = ("dz/dx = 1", "dz/dy = α")
    grad_fn_name, op_name = "AddBackward", "add"
    sign = 1

    def forward(self, x, y, alpha):
        self.alpha = alpha
        a, b = x.array, y.array
        half = a.dtype == np.float16
        dt = np.float32 if half else a.dtype.type
        scale = dt(np.float16(self.sign * alpha)) if half else dt(self.sign * alpha)
        shape = np.broadcast_shapes(a.shape, b.shape)
        out = fma(np.broadcast_to(b.astype(dt, copy=False), shape), np.asarray(scale, dt),
                  np.broadcast_to(a.astype(dt, copy=False), shape))
        return np.asarray(out).astype(a.dtype, copy=False)

    def backward(self, g):
        return (g if self.needs_input_grad[0] else None,
                g * (self.sign * self.alpha) if self.needs_input_grad[1] else None)


class SubScaled(AddScaled):
    """x − α·y (``sub(x, y, alpha=α)``): x + (−α)·y, one rounding."""
    rule, derivatives = "z = x − α·y", ("dz/dx = 1", "dz/dy = −α")
    grad_fn_name, op_name, sign = "SubBackward", "sub", -1


class HalfByScalar(Elementwise):
    """A float16 x times or divided by a scalar s — a number, or a 0-d tensor of another dtype
    — as torch's CPU kernels compute it: s taken in float32 (not rounded to float16 first), the
    result rounded once to float16. ``x * 0.1`` is x·0.1f rounded, not x·0.0999755859375.
    One node, torch's MulBackward0 / DivBackward0; the gradients take the same arithmetic,
    and s's (summed in float16, as torch) its own dtype."""
    inputs, rule = ("x", "s"), "z = float16(x ∘ float32(s)), ∘ the subclass's × or ÷"
    derivatives = ("dz/dx = ∂(x ∘ s)/∂x", "dz/ds = ∂(x ∘ s)/∂s, summed")
    ufunc = None

    def forward(self, x, s):
        self.save_for_backward(x, s)
        self.s_dtype = s.dtype
        with np.errstate(over="ignore"):           # (s = 1e40 is inf in float32, as torch's)
            scalar = np.float32(s.array)
        return self.ufunc(x.array.astype(np.float32), scalar).astype(np.float16)


class MulHalfByScalar(HalfByScalar):
    rule, derivatives = "z = x · s", ("dz/dx = s", "dz/ds = x")
    grad_fn_name, op_name, ufunc = "MulBackward", "mul", np.multiply

    def backward(self, g):
        need_x, need_s = self.needs_input_grad[:2]
        x, s = self.saved_tensors_if(need_s, need_x)
        return (MulHalfByScalar.apply(g, s) if need_x else None,
                (g * x).sum().to(self.s_dtype) if need_s else None)


class DivHalfByScalar(HalfByScalar):
    rule, derivatives = "z = x / s", ("dz/dx = 1/s", "dz/ds = −x/s²")
    grad_fn_name, op_name, ufunc = "DivBackward", "div", np.divide

    def backward(self, g):
        need_x, need_s = self.needs_input_grad[:2]
        x, s = self.saved_tensors_if(need_s, True)
        if not need_s:
            return DivHalfByScalar.apply(g, s), None
        q = DivHalfByScalar.apply(DivHalfByScalar.apply(x, s), s)
        return (DivHalfByScalar.apply(g, s) if need_x else None,
                (-g * q).sum().to(self.s_dtype))


class DivByCount(Elementwise):
    """``mean``'s division of a sum by the number n of its terms (a Python number). Backward
    reads nothing saved, so it may run again after the graph was freed, as torch's
    MeanBackward (the sum is kept for the drawings only)."""
    rule, derivatives = "z = x / n", ("dz/dx = 1/n",)
    op_name = "div"

    def forward(self, x, n):
        self.n = n
        self.keep_for_drawings(x)
        return kernels.elementwise.arithmetic(np.divide, x.array, np.asarray(n, x.array.dtype))

    def backward(self, g):
        return g / self.n


class Neg(Elementwise):
    rule, derivatives = "z = −x", ("dz/dx = −1",)

    def forward(self, x):
        return -x.array

    def backward(self, g):
        return -g


# the exponents torch's pow kernel computes with other operations than pow
_TORCH_POWERS = {0.5: np.sqrt, -0.5: lambda d: 1 / np.sqrt(d), 2: lambda d: d * d,
                 3: lambda d: d * d * d, -1: lambda d: 1 / d, -2: lambda d: 1 / (d * d)}


class PowScalar(Elementwise):
    """x to a constant power p (a Python number). float16 as torch's kernel: C's pow in
    float32 with p rounded to float16, then rounded ((−inf)^½ is inf there, NaN in float32).
    Under ``create_graph`` the gradient of x¹ is tied to x (its derivative is 0, as torch's
    g·1·x⁰), so that a second derivative exists."""
    rule, derivatives = "z = x^p", ("dz/dx = p·x^(p−1)",)
    op_name = "pow"

    def forward(self, x, p):
        self.save_for_backward(x)
        self.p = p
        d = x.array
        if d.dtype == np.float16:
            exponent = np.float32(np.float16(p))
            base = d.astype(np.float32)
            if not float(exponent).is_integer():   # C's pow: (−0)^½ = 0, (−inf)^½ = inf
                base = np.where((base == 0) | (base == -np.inf), np.abs(base), base)
            with np.errstate(all="ignore"):
                return np.power(base, exponent).astype(d.dtype)
        if d.dtype.kind == "f" and p in _TORCH_POWERS:  # as torch's kernel: (−inf)^½ is NaN,
            return np.asarray(_TORCH_POWERS[p](d))      # (−0)^½ is −0, 1/(x·x) rounds as torch
        if d.dtype == np.float32:     # (nearer torch's vectorized pow: see kernels.vecmath)
            return np.asarray(np.power(d, p, dtype=np.float64)).astype(np.float32)
        return np.asarray(d ** p).astype(d.dtype, copy=False)   # (bool ** True: bool)

    def backward(self, g):
        (x,) = self.saved_tensors
        p = self.p
        if p == 0:                     # exactly 0, even where g is inf (inf·0 would be NaN)
            return keep_where(np.zeros(g.shape, bool), g)
        if p == 1:
            return g + ZerosLike.apply(x) if is_grad_enabled() else g
        if p == 2 and not is_grad_enabled():        # (the fast path: x¹ is x)
            return g * (x * 2.0)
        # as torch's g·(p·x^(p−1)), x^(p−1) a node even for p = 2: the second derivative
        # of x² is then tied to x through x¹, and the third (0) is defined
        return g * (p * PowScalar.apply(x, p - 1))


class Pow(Elementwise):
    """x^y for tensors. dz/dx is taken as 0 where y = 0, as torch does, since x^0 = 1 is
    constant (even at x = 0, where the formula is 0·∞); dz/dy as 0 where x = 0 and y ≥ 0 (the
    limit of x^y·ln x there is 0)."""
    inputs, rule = ("x", "y"), "z = x^y"
    derivatives = ("dz/dx = y·x^(y−1)", "dz/dy = x^y·ln x")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        a, b = x.array, y.array
        out = integer_power(a, b) if a.dtype.kind in "iu" else \
            np.asarray(np.power(a, b, dtype=np.float64)).astype(np.float32) \
            if a.dtype == b.dtype == np.float32 else a ** b      # (float32: as PowScalar)
        self.save_output(out)
        return out

    def backward(self, g):
        x, y = self.saved_tensors
        gx = gy = None
        if self.needs_input_grad[0]:
            gx = keep_where(y.array != 0, g * (y * x ** (y - 1.0)))
        if self.needs_input_grad[1]:
            zero_base = (x == 0) & (y >= 0)
            gy = g * Where.apply(zero_base, self.constant(np.zeros((), g.dtype)),
                                 self.output() * x.log())
        return gx, gy


class Exp(Elementwise):
    rule, derivatives = "z = eˣ", ("dz/dx = eˣ = z",)

    def forward(self, x):
        out = via_float64(np.exp, x.array)      # (float32: nearer torch's exp than NumPy's)
        self.save_output(out)
        return out

    def backward(self, g):
        return g * self.output()


class Log(Elementwise):
    rule, derivatives = "z = ln x", ("dz/dx = 1/x",)

    def forward(self, x):
        self.save_for_backward(x)
        return via_float64(np.log, x.array)     # (float32: nearer torch's log than NumPy's)

    def backward(self, g):
        (x,) = self.saved_tensors
        return g / x


class Sqrt(Elementwise):
    rule, derivatives = "z = √x", ("dz/dx = 1/(2√x) = 1/(2z)",)

    def forward(self, x):
        out = np.sqrt(x.array)
        self.save_output(out)
        return out

    def backward(self, g):
        return g / (self.output() * 2.0)


class ZerosLike(Elementwise):
    """0 of x's shape, with derivative 0: under ``create_graph`` it ties a gradient that does
    not vary with x (relu's mask times g) to x, so its derivative is 0, as torch's, instead of
    an error that nothing depends on x."""
    rule, derivatives = "z = 0", ("dz/dx = 0",)
    op_name = "zeros_like"

    def forward(self, x):
        return np.zeros_like(x.array)

    def backward(self, g):
        return self.constant(np.zeros(g.shape, g.dtype))


class TiedToInput(Elementwise):
    """z = y: a composite's result y (where and product nodes) given the composite's input x as
    a second input of derivative 0, so that under ``create_graph`` x's gradient is tied to x as
    that of torch's one-kernel backward (leaky_relu_backward(g, x), threshold_backward(g, x)):
    it requires grad, and its own derivative is zeros (see :func:`tie_to_input`)."""
    inputs, rule, derivatives = ("y", "x"), "z = y", ("dz/dy = 1", "dz/dx = 0")
    op_name = "alias"

    @classmethod
    def of(cls, y, x, torch_name=None):
        """y, tied to x when a graph is recorded and x takes a gradient (the node torch's
        ``torch_name``); else y itself."""
        if not (is_grad_enabled() and x.requires_grad):
            return y
        return named(cls.apply(y, x), torch_name, x) if torch_name else cls.apply(y, x)

    def forward(self, y, x):
        return y.array

    def backward(self, g):
        if not is_grad_enabled():
            return g, None
        return g, tie_to_input(self, self.constant(np.zeros((), g.dtype)), 1)


class Abs(Elementwise):
    """The gradient is g·sgn(x) with sgn(±0) = sgn(NaN) = 0, as torch (a product: an infinite
    g at 0 gives NaN there, as in torch)."""
    rule, derivatives = "z = |x|", ("dz/dx = sign(x)",)

    def forward(self, x):
        a = x.array
        self.save_for_backward(x)       # (not read, but an in-place change is refused, as torch)
        self.sign = np.subtract(a > 0, a < 0, dtype=a.dtype) if a.dtype.kind == "f" else None
        return np.abs(a)

    def backward(self, g):
        (x,) = self.saved_tensors
        grad = g * self.constant(self.sign)
        if is_grad_enabled() and not grad.requires_grad:    # create_graph: d(grad)/dx = 0
            grad = grad + ZerosLike.apply(x)
        return grad


class Clamp(Elementwise):
    """torch's convention: the gradient passes at the boundary itself, and there the value is
    x's own (clamp(−0, min=0) is −0)."""
    rule, derivatives = "z = min(max(x, lo), hi)", ("dz/dx = 1 where lo ≤ x ≤ hi, else 0",)

    def forward(self, x, lo=None, hi=None):
        d = x.array
        mask = np.ones(d.shape, dtype=bool)
        if lo is not None:
            mask &= d >= lo
        if hi is not None:
            mask &= d <= hi
        self.mask = mask
        self.save_for_backward(x)         # (for its version: an in-place edit is refused)
        out = np.clip(d, lo, hi).astype(d.dtype, copy=False)
        if d.dtype.kind == "f" and 0 in (lo, hi):     # (NumPy gives the bound's zero)
            out = np.where(out == d, d, out)
        return out

    def backward(self, g):
        self.saved_tensors                # refuses x changed in place since forward, as torch
        return keep_where(self.mask, g)


class ClampTensor(Elementwise):
    """Tensor bounds (either may be None). As torch: a NaN anywhere gives NaN; where lo > hi
    the result is hi, and only hi gets the gradient there; at a bound the value is x's own
    (−0 stays −0 against a bound 0, as torch's scalar loop)."""
    inputs, rule = ("x", "lo", "hi"), "z = min(max(x, lo), hi)"
    derivatives = ("dz/dx = 1 where lo ≤ x ≤ hi, else 0",
                   "dz/dlo = 1 where x < lo < hi (x < lo without hi), else 0",
                   "dz/dhi = 1 where x > hi or hi < lo, else 0")
    op_name = "clamp"

    def forward(self, x, lo=None, hi=None):
        self.has = (lo is not None, hi is not None)
        self.save_for_backward(x, *[t for t in (lo, hi) if t is not None])
        out = x.array
        if lo is not None:
            out = np.where((out < lo.array) | (lo.array != lo.array), lo.array, out)
        if hi is not None:
            out = np.where((out > hi.array) | (hi.array != hi.array), hi.array, out)
        return out

    def backward(self, g):
        x, *bounds = (t.array for t in self.saved_tensors)
        lo = bounds.pop(0) if self.has[0] else None
        hi = bounds.pop(0) if self.has[1] else None
        inside = np.logical_and(True if lo is None else x >= lo, True if hi is None else x <= hi)
        below = x < lo if hi is None else (x < lo) & (lo < hi) if lo is not None else None
        above = x > hi if lo is None else (x > hi) | (hi < lo) if hi is not None else None
        need = self.needs_input_grad
        return (keep_where(inside, g) if need[0] else None,
                keep_where(below, g) if need[1] else None,
                keep_where(above, g) if need[2] else None)


class Maximum(Elementwise):
    """As torch: a tie x = y splits the gradient ½/½; a NaN on either side is the result and
    both inputs get the whole gradient. On a tie the value is x (max(0, −0) is 0), as
    torch's scalar loop (its vector loop, which takes runs of 16 float32 or 8 float64,
    gives y: torch itself differs with the size)."""
    inputs, rule = ("x", "y"), "z = max(x, y)"
    derivatives = ("dz/dx = 1 where x > y, ½ where x = y, 0 where x < y",
                   "dz/dy = 1 where y > x, ½ where x = y, 0 where y < x")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        a, b = x.array, y.array
        return np.where((a != a) | (a >= b), a, b)

    def backward(self, g):
        x, y = (t.array for t in self.saved_tensors)
        return split_at_ties(self, g, x == y, x < y, x > y)


class Minimum(Elementwise):
    """As torch: a tie x = y splits the gradient ½/½; a NaN on either side is the result and
    both inputs get the whole gradient. On a tie the value is x (see :class:`Maximum`)."""
    inputs, rule = ("x", "y"), "z = min(x, y)"
    derivatives = ("dz/dx = 1 where x < y, ½ where x = y, 0 where x > y",
                   "dz/dy = 1 where y < x, ½ where x = y, 0 where y > x")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        a, b = x.array, y.array
        return np.where((a != a) | (a <= b), a, b)

    def backward(self, g):
        x, y = (t.array for t in self.saved_tensors)
        return split_at_ties(self, g, x == y, x > y, x < y)


def split_at_ties(node, g, tie, x_loses, y_loses):
    """max/min's backward: g to the winner, g/2 to each side of a tie, 0 to the loser."""
    shared = Where.apply(Function.constant(tie), g * 0.5, g)
    need = node.needs_input_grad
    return (keep_where(~x_loses, shared) if need[0] else None,
            keep_where(~y_loses, shared) if need[1] else None)


class Fmax(Elementwise):
    """NaN is ignored (the other value is the result and gets the gradient); on a tie, and
    when both are NaN, x gets the whole gradient, as torch."""
    inputs, rule = ("x", "y"), "z = fmax(x, y)"
    derivatives = ("dz/dx = 1 where x ≥ y or y is NaN, else 0",
                   "dz/dy = 1 where x < y or x is NaN (and y is not), else 0")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        a, b = x.array, y.array
        return np.where((a >= b) | (b != b), a, b)        # torch's: a tie gives x (−0 vs 0)

    def backward(self, g):
        x, y = (t.array for t in self.saved_tensors)
        return x_or_y(self, g, (x >= y) | (y != y))


class Fmin(Elementwise):
    """NaN is ignored (the other value is the result and gets the gradient); on a tie, and
    when both are NaN, x gets the whole gradient, as torch."""
    inputs, rule = ("x", "y"), "z = fmin(x, y)"
    derivatives = ("dz/dx = 1 where x ≤ y or y is NaN, else 0",
                   "dz/dy = 1 where x > y or x is NaN (and y is not), else 0")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        a, b = x.array, y.array
        return np.where((a <= b) | (b != b), a, b)

    def backward(self, g):
        x, y = (t.array for t in self.saved_tensors)
        return x_or_y(self, g, (x <= y) | (y != y))


def x_or_y(node, g, to_x):
    """g to x where ``to_x``, to y elsewhere (fmax/fmin's backward)."""
    need = node.needs_input_grad
    return (keep_where(to_x, g) if need[0] else None,
            keep_where(~to_x, g) if need[1] else None)


class Remainder(Elementwise):
    """Python's %: the result has the sign of y (torch's formula: fmod, then + y where the
    signs differ, so −4 % 2 is −0.0 as in torch)."""
    inputs, rule = ("x", "y"), "z = x − y·⌊x/y⌋"
    derivatives = ("dz/dx = 1", "dz/dy = −⌊x/y⌋")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        a, b = x.array, y.array
        mod = np.fmod(a, b)
        return np.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)

    def backward(self, g):
        x, y = self.saved_tensors
        return (g if self.needs_input_grad[0] else None,
                -g * x.div(y, rounding_mode="floor") if self.needs_input_grad[1] else None)


class Fmod(Elementwise):
    """C's fmod: the result has the sign of x."""
    inputs, rule = ("x", "y"), "z = x − y·trunc(x/y)"
    derivatives = ("dz/dx = 1", "dz/dy = −trunc(x/y)")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return np.fmod(x.array, y.array)

    def backward(self, g):
        x, y = self.saved_tensors
        return (g if self.needs_input_grad[0] else None,
                -g * x.div(y, rounding_mode="trunc") if self.needs_input_grad[1] else None)


def _half_by_float32(a, b):
    """A float16 ``a`` divided by a float32 scalar ``b`` (see functions.elementwise.half_scalar:
    torch's kernels divide float16 by a scalar in float32, then round once): both in float32.
    Other operands are returned as they are."""
    if a.dtype == np.float16 and b.dtype != np.float16:
        return a.astype(np.float32), b.astype(np.float32)
    return a, b


class DivRounded(Elementwise):
    """``div(x, y, rounding_mode="trunc" | "floor")``: piecewise constant, so the gradient is
    0 (torch's convention, also at the jumps)."""
    inputs, rule = ("x", "y"), "z = trunc(x/y) or ⌊x/y⌋"
    derivatives = ("dz/dx = 0", "dz/dy = 0")
    op_name = "div"

    def forward(self, x, y, rounding_mode):
        a, b = _half_by_float32(x.array, y.array)
        if rounding_mode == "floor":
            return np.floor_divide(a, b).astype(x.array.dtype, copy=False)
        if a.dtype.kind in "iu":
            return (a - np.fmod(a, b)) // b          # exact: C's truncating division
        return np.trunc(a / b).astype(x.array.dtype, copy=False)

    def backward(self, g):
        zero = self.constant(np.zeros(g.shape, g.dtype))
        return zero, zero


class FloorDivide(Elementwise):
    """``x // y``. torch gives it no derivative: the result is marked as requiring grad, and
    backward through it raises, as in torch (``div(x, y, rounding_mode="floor")`` has the
    zero gradient)."""
    inputs, rule = ("x", "y"), "z = ⌊x/y⌋"
    derivatives = ("not implemented (as in torch)", "not implemented (as in torch)")
    op_name = "floor_divide"

    def forward(self, x, y):
        a, b = _half_by_float32(x.array, y.array)
        return np.floor_divide(a, b).astype(x.array.dtype, copy=False)

    def backward(self, g):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


class RemainderOfNumber(Remainder):
    """``number % x`` (torch's ``remainder(Scalar, Tensor)``). torch gives this overload no
    derivative: the result is marked as requiring grad, and backward through it raises, as in
    torch (``tensor(number) % x`` has the gradient −⌊n/x⌋)."""
    derivatives = ("not implemented (as in torch)", "not implemented (as in torch)")

    def backward(self, g):
        raise RuntimeError("derivative for aten::remainder is not implemented")


class Heaviside(Elementwise):
    """The step function. torch gives it no derivative: a result of inputs requiring grad
    requires grad too, and backward through it raises, naming the function that made it
    (``heaviside`` or the in-place ``heaviside_``), as in torch."""
    inputs, rule = ("x", "v"), "z = 0 if x < 0, v if x = 0, 1 if x > 0"
    derivatives = ("not implemented (as in torch)", "not implemented (as in torch)")
    op_name = "heaviside"

    def forward(self, x, values, aten="heaviside"):
        self.aten = aten
        a = x.array
        return np.where(a == 0, values.array, a > 0).astype(a.dtype)

    def backward(self, g):
        raise RuntimeError(f"derivative for aten::{self.aten} is not implemented")


class Where(Elementwise):
    """The condition (bool) is not differentiated."""
    inputs, rule = ("cond", "x", "y"), "z = x where cond, else y"
    derivatives = ("", "dz/dx = [cond]", "dz/dy = [not cond]")

    def forward(self, cond, x, y):
        self.keep_array("cond", cond.array)
        c, xa, ya = cond.array, x.array, y.array
        if ya.ndim == 0 and ya == 0 and not np.signbit(ya) and c.dtype in (np.bool_, xa.dtype) \
                and \
                (c.shape == xa.shape or xa.shape == np.broadcast_shapes(c.shape, xa.shape)):
            if ya.dtype != xa.dtype:
                xa = xa.astype(np.result_type(xa, ya), copy=False)
            return kernels.elementwise.keep_where(c, xa)
        return np.where(c, xa, ya)

    def backward(self, g):
        c, zero = self.constant(self.kept_array("cond")), self.constant(np.zeros((), g.dtype))
        return (None,
                Where.apply(c, g, zero) if self.needs_input_grad[1] else None,
                Where.apply(c, zero, g) if self.needs_input_grad[2] else None)


class Cast(Elementwise):
    rule, derivatives = "z = x converted to another float dtype", ("dz/dx = 1 (converted back)",)
    op_name = "to"
    converts_dtype = True

    def forward(self, x, dtype):
        self.in_dtype = x.dtype
        from .strided import empty_copy_steps     # (torch's result is empty_like(x))
        return empty_copy_steps(cast(x.array, dtype), x.array)

    def backward(self, g):
        return g.to(self.in_dtype)
