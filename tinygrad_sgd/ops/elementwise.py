"""Elementwise primitives. Gradients are given for the broadcast shape; the graph walk
(:mod:`tinygrad_sgd.autograd.engine`) sums them back to each input's shape."""
import numpy as np

from ..autograd import Function
from .. import kernels


def keep_where(mask, g):
    """``g`` where ``mask`` (an array) is true, else 0; differentiable in ``g``. The backward of
    ops that pass the gradient only in places (relu, clamp, max, x^y at y = 0) uses it: a
    where rather than ``g · mask``, so that an infinite gradient arriving at a masked-out place
    (``sqrt`` at 0 after ``relu``) gives 0, as in torch, not inf·0 = nan."""
    return Where.apply(Function.constant(mask), g, Function.constant(np.zeros((), g.dtype)))


class Elementwise(Function):
    elementwise = True


class Add(Elementwise):
    inputs, rule, derivatives = ("x", "y"), "z = x + y", ("dz/dx = 1", "dz/dy = 1")

    def forward(self, x, y):
        return x.array + y.array

    def backward(self, g):
        return g, g


class Sub(Elementwise):
    inputs, rule, derivatives = ("x", "y"), "z = x − y", ("dz/dx = 1", "dz/dy = −1")

    def forward(self, x, y):
        return x.array - y.array

    def backward(self, g):
        return g, (-g if self.needs_input_grad[1] else None)


class Mul(Elementwise):
    inputs, rule, derivatives = ("x", "y"), "z = x · y", ("dz/dx = y", "dz/dy = x")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return x.array * y.array

    def backward(self, g):
        x, y = self.saved_tensors
        return (g * y if self.needs_input_grad[0] else None,
                g * x if self.needs_input_grad[1] else None)


class Div(Elementwise):
    inputs, rule, derivatives = ("x", "y"), "z = x / y", ("dz/dx = 1/y", "dz/dy = −x/y²")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        return x.array / y.array

    def backward(self, g):
        x, y = self.saved_tensors
        return (g / y if self.needs_input_grad[0] else None,
                -g * x / (y * y) if self.needs_input_grad[1] else None)


class Neg(Elementwise):
    rule, derivatives = "z = −x", ("dz/dx = −1",)

    def forward(self, x):
        return -x.array

    def backward(self, g):
        return -g


class PowScalar(Elementwise):
    """x to a constant power p (a Python number)."""
    rule, derivatives = "z = x^p", ("dz/dx = p·x^(p−1)",)
    op_name = "pow"

    def forward(self, x, p):
        self.save_for_backward(x)
        self.p = p
        return x.array ** p

    def backward(self, g):
        (x,) = self.saved_tensors
        p = self.p
        if p == 0:
            return g * 0.0
        if p == 1:
            return g
        if p == 2:
            return g * (x * 2.0)
        return g * (p * x ** (p - 1))


class Pow(Elementwise):
    """x^y for tensors. dz/dx is taken as 0 where y = 0, as torch does, since x^0 = 1 is
    constant (even at x = 0, where the formula is 0·∞); dz/dy as 0 where x = 0 and y ≥ 0 (the
    limit of x^y·ln x there is 0)."""
    inputs, rule = ("x", "y"), "z = x^y"
    derivatives = ("dz/dx = y·x^(y−1)", "dz/dy = x^y·ln x")

    def forward(self, x, y):
        self.save_for_backward(x, y)
        out = x.array ** y.array
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
        out = np.exp(x.array)
        self.save_output(out)
        return out

    def backward(self, g):
        return g * self.output()


class Log(Elementwise):
    rule, derivatives = "z = ln x", ("dz/dx = 1/x",)

    def forward(self, x):
        self.save_for_backward(x)
        return np.log(x.array)

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


class Abs(Elementwise):
    """The gradient is 0 at x = 0 and at NaN, as torch."""
    rule, derivatives = "z = |x|", ("dz/dx = sign(x)",)

    def forward(self, x):
        self.sign = np.nan_to_num(np.asarray(np.sign(x.array)), copy=False)
        return np.abs(x.array)

    def backward(self, g):
        return g * self.constant(self.sign)


class Clamp(Elementwise):
    """torch's convention: the gradient passes at the boundary itself."""
    rule, derivatives = "z = min(max(x, lo), hi)", ("dz/dx = 1 where lo ≤ x ≤ hi, else 0",)

    def forward(self, x, lo=None, hi=None):
        d = x.array
        mask = np.ones(d.shape, dtype=bool)
        if lo is not None:
            mask &= d >= lo
        if hi is not None:
            mask &= d <= hi
        self.mask = mask
        return np.clip(d, lo, hi).astype(d.dtype, copy=False)

    def backward(self, g):
        return keep_where(self.mask, g)


class Where(Elementwise):
    """The condition (bool) is not differentiated."""
    inputs, rule = ("cond", "x", "y"), "z = x where cond, else y"
    derivatives = ("", "dz/dx = [cond]", "dz/dy = [not cond]")

    def forward(self, cond, x, y):
        self.cond = c = cond.array
        if y.array.ndim == 0 and y.array == 0 and c.dtype == bool and \
                x.array.shape == np.broadcast_shapes(c.shape, x.shape):
            return kernels.elementwise.keep_where(c, x.array.astype(np.result_type(x.array,
                                                                                 y.array),
                                                                   copy=False))
        return np.where(c, x.array, y.array)

    def backward(self, g):
        c, zero = self.constant(self.cond), self.constant(np.zeros((), g.dtype))
        return (None,
                Where.apply(c, g, zero) if self.needs_input_grad[1] else None,
                Where.apply(c, zero, g) if self.needs_input_grad[2] else None)


class Cast(Elementwise):
    rule, derivatives = "z = x converted to another float dtype", ("dz/dx = 1 (converted back)",)
    op_name = "to"
    converts_dtype = True

    def forward(self, x, dtype):
        self.in_dtype = x.dtype
        return x.array.astype(dtype)

    def backward(self, g):
        return g.to(self.in_dtype)
