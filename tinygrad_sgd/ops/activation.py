"""Activation functions, computed in numerically stable forms (the (log-)softmax, along a
dim, is in :mod:`.softmax`).

The classes whose names an ``nn`` layer also has carry the suffix ``Op`` (``ReLUOp`` is the
primitive, ``nn.ReLU`` the layer); their ``grad_fn`` keeps torch's name (``ReLUBackward``)."""
import numpy as np

from .. import kernels
from ..autograd import is_grad_enabled
from ..autograd.grad_mode import _mode
from ..autograd.slices import MaskedGrad
from ..kernels.gelu import gelu, gelu_derivative, KAPPA, SQRT_2_OVER_PI, INV_SQRT_2PI
from .elementwise import Elementwise, Where, ZerosLike, keep_where, tie_to_input
from ..kernels.vecmath import (exp, fma, in_float, log_sigmoid_array, sigmoid_array,
                               sigmoid_backward_array, tanh, tanh_backward_array,
                               via_float64, log1p, opmath)
from .pool import MaxPool2dOp


def _plain_backward(node, g, x, formula):
    """A backward that records no graph, on the arrays as torch's kernel computes it: half
    precision in float32, ``formula(g, x)`` rounded once to the result's dtype."""
    d, gd = x.array, g.array
    (_, v), gv = opmath(d), gd.astype(np.float32) if d.dtype == np.float16 else gd
    return node.constant(np.asarray(formula(gv, v)).astype(np.result_type(gd, d), copy=False))


class ReLUOp(Elementwise):
    """The gradient at x = 0 is 0, as torch; a NaN passes g on. After max pooling the pooling's
    pass may have made the relu already (:class:`.pool.MaxPool2dOp`): it is taken, not made
    again — the same numbers; and backward hands pooling g with its mask not yet applied (a
    :class:`~tinygrad_sgd.autograd.slices.MaskedGrad`), which pooling's scatter applies."""
    rule, derivatives = "z = max(x, 0)", ("dz/dx = 1 where x > 0, else 0",)
    grad_fn_name, op_name = "ReLUBackward", "relu"

    def forward(self, x):
        made = x.grad_fn.relu_of_output(x.array) if type(x.grad_fn) is MaxPool2dOp else None
        out = kernels.elementwise.relu(x.array) if made is None else made
        self.save_output(out)
        return out

    def backward(self, g):
        # out = max(x, 0) is > 0, ±0 or nan, so "not out ≤ 0" is "out ≠ 0". In a plain backward
        # the output itself is the mask (keep_where reads a float mask as ≠ 0: no mask array is
        # made); a graph of the backward keeps a mask of its own (the output may change later)
        out = self.saved_output()
        if not is_grad_enabled():     # a plain backward: the kernel on the arrays, no graph
            if _mode.slice_grads and not _mode.anomaly and type(self._edges[0]) is MaxPool2dOp:
                return MaskedGrad(g.array, out)      # (applied by pooling's scatter: one pass)
            return self.constant(kernels.elementwise.keep_where(out, g.array))
        grad = keep_where(out != 0, g)
        if not grad.requires_grad:    # create_graph: d(grad)/dx = 0
            grad = grad + ZerosLike.apply(self.output())
        return grad


class SigmoidOp(Elementwise):
    """Computed as torch's kernel computes it, 1 / (1 + e^(−x)) (half precision in float32,
    rounded once): e^(−x) overflows to ∞ below x ≈ −88.7 (float32), and σ is then exactly 0,
    as torch's."""
    rule, derivatives = "z = σ(x) = 1/(1+e⁻ˣ)", ("dz/dx = σ(x)·(1−σ(x)) = z·(1−z)",)
    grad_fn_name, op_name = "SigmoidBackward", "sigmoid"

    def forward(self, x):
        out = sigmoid_array(x.array)
        self.save_output(out)
        return out

    def backward(self, g):
        return SigmoidGrad.apply(g, self.output())


class SigmoidGrad(Elementwise):
    """The sigmoid's backward as one node (as torch's sigmoid_backward), for the incoming
    gradient g and the saved output s, multiplied in torch's order, (g·(1−s))·s, each step
    in the arrays' dtype (half precision too, as torch's kernel)."""
    inputs, rule = ("g", "s"), "u = g·(1−s)·s"
    derivatives = ("du/dg = (1−s)·s", "du/ds = g·(1−2s)")
    op_name = "sigmoid_backward"

    def forward(self, g, s):
        self.save_for_backward(g, s)
        return sigmoid_backward_array(g.array, s.array)

    def backward(self, gg):
        g, s = self.saved_tensors
        return (gg * (1.0 - s) * s if self.needs_input_grad[0] else None,
                gg * g * (1.0 - 2.0 * s) if self.needs_input_grad[1] else None)


class LogSigmoidOp(Elementwise):
    """ln σ(x) as torch's kernel: min(x, 0) − log1p(e^(−|x|)) (no overflow, +0 where σ(x)
    rounds to 1). Its plain backward is torch's formula, g·(m − s·z/(1+z)) with z = e^(−|x|),
    m = 1 and s = 1 for x < 0, m = 0 and s = −1 otherwise (half precision in float32); under
    create_graph, g·σ(−x), differentiable again."""
    rule, derivatives = "z = ln σ(x)", ("dz/dx = 1 − σ(x) = σ(−x)",)
    grad_fn_name, op_name = "LogSigmoidBackward", "logsigmoid"

    def forward(self, x):
        self.save_for_backward(x)
        return log_sigmoid_array(x.array)

    def backward(self, g):
        (x,) = self.saved_tensors
        if not is_grad_enabled():
            d, gd = x.array, g.array
            f, v = opmath(d)
            z = exp(-np.abs(v)).astype(d.dtype).astype(f, copy=False)   # (torch's buffer)
            q = z / (f(1) + z)
            factor = np.where(d < 0, f(1) - q, q)        # m − s·q, exactly
            return self.constant((factor * gd.astype(f, copy=False)).astype(
                np.result_type(gd, d), copy=False))
        return g * SigmoidOp.apply(-x)


class TanhOp(Elementwise):
    """float32 computed in float64 and rounded once (:func:`tanh`: torch's bits but in 0.06%
    of elements)."""
    rule, derivatives = "z = tanh(x)", ("dz/dx = 1 − tanh²(x) = 1 − z²",)
    grad_fn_name, op_name = "TanhBackward", "tanh"

    def forward(self, x):
        out = tanh(x.array)
        self.save_output(out)
        return out

    def backward(self, g):
        return TanhGrad.apply(g, self.output())


class TanhGrad(Elementwise):
    """The tanh's backward as one node (as torch's tanh_backward), for the incoming gradient g
    and the saved output t."""
    inputs, rule = ("g", "t"), "u = g·(1−t²)"
    derivatives = ("du/dg = 1−t²", "du/dt = −2·g·t")
    op_name = "tanh_backward"

    def forward(self, g, t):
        self.save_for_backward(g, t)
        return tanh_backward_array(g.array, t.array)

    def backward(self, gg):
        g, t = self.saved_tensors
        return (gg * (1.0 - t * t) if self.needs_input_grad[0] else None,
                gg * g * t * -2.0 if self.needs_input_grad[1] else None)


class SoftplusOp(Elementwise):
    """With a ``threshold`` (torch's F.softplus uses 20), torch's kernel: x where βx >
    threshold, else log1p(e^(βx))/β, and the plain backward g·z/(z + 1) with z = e^(βx) (g
    where βx > threshold); half precision in float32. Without one (the logits losses),
    logaddexp(0, βx)/β, which never overflows, and never switches. Under create_graph the
    backward is g·σ(βx), differentiable again."""
    rule, derivatives = "z = ln(1 + e^(βx))/β", ("dz/dx = σ(βx)",)
    grad_fn_name, op_name = "SoftplusBackward", "softplus"

    def forward(self, x, beta=1.0, threshold=None):
        self.save_for_backward(x)
        self.beta, self.threshold = beta, threshold
        d = x.array
        if threshold is not None:
            f, v = opmath(d)
            bx = v * f(beta)
            self.over = over = bx > f(threshold)
            out = np.where(over, v, log1p(exp(bx)) / f(beta))
            return out.astype(d.dtype, copy=False)
        bx = d * beta if beta != 1 else d
        out = np.logaddexp(0, bx)
        if beta != 1:
            out /= beta
        return out.astype(d.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved_tensors
        over = getattr(self, "over", None)
        if over is not None and not is_grad_enabled():       # torch's softplus_backward
            f, v = opmath(x.array)
            gv = g.array.astype(f, copy=False) if g.array.dtype != np.float64 else g.array
            bx = v * f(self.beta)
            z = exp(bx)
            out = np.where(over, gv, gv * z / (z + f(1)))
            return self.constant(out.astype(np.result_type(g.array, x.array), copy=False))
        grad = g * (x * self.beta if self.beta != 1 else x).sigmoid()
        if over is not None and over.any():
            grad = Where.apply(self.constant(over), g, grad)
        return grad


Softplus = SoftplusOp   # the name the loss functions import


class HardtanhOp(Elementwise):
    """The gradient passes strictly inside (lo, hi): 0 at the bounds themselves, as torch's
    hardtanh (and relu6) — unlike clamp, whose gradient passes at the bounds."""
    rule, derivatives = "z = min(max(x, lo), hi)", ("dz/dx = 1 where lo < x < hi, else 0",)
    grad_fn_name, op_name = "HardtanhBackward", "hardtanh"

    def forward(self, x, lo, hi):
        d = x.array
        self.mask = (d > lo) & (d < hi)    # (NaN: 0, torch's vector loop; its scalar tail: g)
        return np.clip(d, lo, hi).astype(d.dtype, copy=False)

    def backward(self, g):
        return tie_to_input(self, keep_where(self.mask, g))   # (create_graph: as torch's)


class HardsigmoidOp(Elementwise):
    """torch's arithmetic (x/6 + 1/2 rounds otherwise), half in float; the gradient is g times
    1/6 rounded to float32, also for float64 (torch's kernel writes ``1.0f / 6.0f``)."""
    rule, derivatives = "z = min(max(x + 3, 0), 6) / 6", ("dz/dx = 1/6 where −3 < x < 3, else 0",)
    grad_fn_name, op_name, ONE_SIXTH = "HardsigmoidBackward", "hardsigmoid", 1 / np.float32(6)

    def forward(self, x):
        d = x.array
        self.mask = (d > -3) & (d < 3)
        self.save_for_backward(x)         # (for its version: an in-place edit is refused)
        f, v = opmath(d)
        return (np.clip(v + f(3), 0, 6) / f(6)).astype(d.dtype, copy=False)

    def backward(self, g):
        self.saved_tensors                # refuses x changed in place since forward, as torch
        return tie_to_input(self, keep_where(self.mask, g * self.ONE_SIXTH))


class HardswishOp(Elementwise):
    """torch's conventions at the kinks: dz/dx is 0 at x = −3 and 1 at x = 3."""
    rule = "z = x · min(max(x + 3, 0), 6) / 6"
    derivatives = ("dz/dx = 0 for x ≤ −3, x/3 + 1/2 for −3 < x < 3, 1 for x ≥ 3",)
    grad_fn_name, op_name = "HardswishBackward", "hardswish"

    def forward(self, x):
        self.save_for_backward(x)          # (half in float: x·6 overflowed float16 at 10920)
        return in_float(lambda v: v * np.clip(v + 3, 0, 6) / 6, x.array)

    def backward(self, g):
        (x,) = self.saved_tensors
        d = x.array
        middle = (d > -3) & (d < 3)
        upper = ~(middle | (d <= -3))        # x ≥ 3, and NaN: torch's last branch passes g on
        if not is_grad_enabled() and d.dtype == np.float16:     # (torch's: in float, once)
            return _plain_backward(self, g, x, lambda gv, v: np.where(
                middle, gv * (v / 3 + np.float32(0.5)), np.where(upper, gv, 0)))
        return keep_where(middle, g * (x / 3.0 + 0.5)) + keep_where(upper, g)


class MishOp(Elementwise):
    """One node, as torch's ``MishBackward``, with its kernel's arithmetic (half in float):
    z = x·tanh(ln(1 + eˣ)), and g·(t + x·σ(x)·(1 − t²)) with t = tanh(ln(1 + eˣ)). As
    x·tanh(softplus(x)) in two nodes, float16 lost small values (−17.45 gave −0, torch
    −4.8e-7), and the gradient near its zero (x ≈ −1.19) cancelled otherwise than torch's,
    by hundreds of ulps."""
    rule, derivatives = "z = x·tanh(ln(1 + eˣ))", ("dz/dx = t + x·σ(x)·(1 − t²), t = z/x",)
    grad_fn_name, op_name = "MishBackward", "mish"

    def forward(self, x):
        self.save_for_backward(x)
        return in_float(lambda v: v * tanh(log1p(exp(v))), x.array)

    def backward(self, g):
        (x,) = self.saved_tensors
        if not is_grad_enabled():
            def formula(gv, v):
                s, t = 1 / (1 + exp(-v)), tanh(log1p(exp(v)))
                return gv * (t + v * s * (1 - t * t))
            return _plain_backward(self, g, x, formula)
        s, t = x.sigmoid(), x.exp().log1p().tanh()
        return g * (t + x * s * (1 - t * t))


class SiluOp(Elementwise):
    """One node, as torch's ``SiluBackward``: the formula multiplies g once, so an infinite
    upstream gradient at x = 0 gives ±∞ (x·σ(x) as two nodes would give ∞·0 = NaN). Computed
    as torch's kernels: x / (1 + e^(−x)), and the plain backward g·σ·(1 + x·(1 − σ)) with
    σ = 1 / (1 + e^(−x)) (half precision in float32)."""
    rule, derivatives = "z = x·σ(x)", ("dz/dx = σ(x)·(1 + x·(1 − σ(x)))",)
    grad_fn_name, op_name = "SiluBackward", "silu"

    def forward(self, x):
        self.save_for_backward(x)
        return in_float(lambda v: v / (1 + exp(-v)), x.array)

    def backward(self, g):
        (x,) = self.saved_tensors
        if not is_grad_enabled():
            def formula(gv, v):
                s = 1 / (1 + exp(-v))
                return gv * s * (fma(v, 1 - s, 1) if v.dtype != np.float16 else 1 + v * (1 - s))
            return _plain_backward(self, g, x, formula)
        s = x.sigmoid()
        return g * (s * (1 + x * (1 - s)))


class EluOp(Elementwise):
    """torch's elu family as one node: elu (s = i = 1), selu (torch's α and s), celu (i = 1/α),
    computed as torch's kernels: expm1(i·x)·(α·s) for x ≤ 0 (a NaN takes the linear branch),
    x·s otherwise, and the backward g·i·(α·s)·e^(i·x), in that order (half precision in
    float32); the second derivative is torch's: the exponential branch's for x < 0 only, so 0
    at x = 0, where the first derivative is the exponential branch's (s·α·i)."""
    rule = "z = s·x if x > 0, else s·α·(e^(i·x) − 1)"
    derivatives = ("dz/dx = s if x > 0, else s·α·i·e^(i·x)",)
    grad_fn_name, op_name = "EluBackward", "elu"

    def forward(self, x, alpha, scale=1.0, input_scale=1.0):
        self.save_for_backward(x)
        self.coefficients = (alpha, scale, input_scale)
        d = x.array
        f, v = opmath(d)
        negcoef, negipt = f(alpha) * f(scale), f(input_scale)     # torch's kernel, its order
        out = np.where(v <= 0, via_float64(np.expm1, v * negipt) * negcoef, v * f(scale))
        return out.astype(d.dtype, copy=False)

    def backward(self, g):
        (x,) = self.saved_tensors
        return EluGrad.apply(g, x, *self.coefficients)


class CeluOp(EluOp):
    """celu(x, α) = elu with the exponent's input scaled by 1/α; its own node name, as torch.
    The backward scales by 1/α with α rounded to float32 first, as torch's derivative formula
    (``1.0/alpha.toFloat()``; its forward takes 1/α in double)."""
    grad_fn_name, op_name = "CeluBackward", "celu"

    def backward(self, g):
        (x,) = self.saved_tensors
        alpha, scale, _ = self.coefficients
        return EluGrad.apply(g, x, alpha, scale, 1.0 / float(np.float32(alpha)))


class EluGrad(Elementwise):
    """The elu family's backward as one node (torch's elu_backward), differentiable again."""
    inputs, rule = ("g", "x"), "u = g·s if x > 0, else g·s·α·i·e^(i·x)"
    derivatives = ("du/dg = the same factor", "du/dx = g·s·α·i²·e^(i·x) for x < 0, else 0")
    op_name = "elu_backward"

    def forward(self, g, x, alpha, scale, input_scale):
        self.save_for_backward(g, x)
        self.coefficients = (alpha, scale, input_scale)
        d = x.array
        f, v = opmath(d)
        gv = g.array.astype(f, copy=False) if g.array.dtype != np.float64 else g.array
        negcoef, negipt = f(alpha) * f(scale), f(input_scale)     # torch's kernel, its order
        out = np.where(v <= 0, gv * negipt * negcoef * exp(v * negipt), gv * f(scale))
        return out.astype(np.result_type(g.array, d), copy=False)

    def backward(self, gg):
        g, x = self.saved_tensors
        alpha, scale, input_scale = self.coefficients
        d_g = EluGrad.apply(gg, x, *self.coefficients) if self.needs_input_grad[0] else None
        d_x = None
        if self.needs_input_grad[1]:
            curve = gg * g * (x.clamp(max=0.0) * input_scale).exp() * \
                (alpha * scale * input_scale * input_scale)
            d_x = keep_where(x.array < 0, curve)
        return d_g, d_x


class GELUOp(Elementwise):
    """``approximate='none'``: Φ is the standard normal CDF (float64: W. J. Cody's rational
    approximations of erf/erfc, a few ulp in both tails; float32: a rational approximation of
    erf in float32, see kernels/gelu.py). ``'tanh'``: torch's tanh approximation
    z = ½x(1 + tanh(√(2/π)(x + 0.044715x³))). When a backward will follow, forward computes
    gelu′(x) in the same passes and keeps it (freed after backward)."""
    rule, derivatives = "z = x·Φ(x)", ("dz/dx = Φ(x) + x·φ(x)",)
    grad_fn_name, op_name = "GeluBackward", "gelu"

    def forward(self, x, approximate="none"):
        self.save_for_backward(x)
        self.approximate = approximate
        out, self.derivative = gelu(x.array, approximate, derivative=self._recording)
        return out

    def backward(self, g):
        (x,) = self.saved_tensors
        return GeluGrad.apply(g, x, self.approximate, getattr(self, "derivative", None))

    def label(self):
        return f"gelu(approximate={self.approximate!r})"


class GeluGrad(Elementwise):
    """GELU's backward as one node (as torch's gelu_backward), differentiable again: its own
    x-derivative, gelu''(x), is written with Tensor operations. ``derivative``: gelu′(x) if
    forward kept it (else computed here)."""
    inputs, rule = ("g", "x"), "u = g·gelu′(x)"
    derivatives = ("du/dg = gelu′(x)", "du/dx = g·gelu″(x)")
    op_name = "gelu_backward"

    def forward(self, g, x, approximate, derivative=None):
        self.save_for_backward(g, x)
        self.approximate = approximate
        if derivative is None:
            derivative = gelu_derivative(x.array, approximate)
        return kernels.gelu.gelu_backward(g.array, derivative)

    def backward(self, gg):
        g, x = self.saved_tensors
        return (GeluGrad.apply(gg, x, self.approximate) if self.needs_input_grad[0] else None,
                gg * g * _gelu_second(x, self.approximate) if self.needs_input_grad[1]
                else None)


def _gelu_second(x, approximate):
    """gelu''(x) with Tensor operations (so that third order works too)."""
    if approximate == "tanh":
        t = ((x + x * x * x * KAPPA) * SQRT_2_OVER_PI).tanh()
        s = 1.0 - t * t
        du = (1.0 + x * x * (3 * KAPPA)) * SQRT_2_OVER_PI
        return s * du - x * t * s * du * du + x * x * s * (3 * KAPPA * SQRT_2_OVER_PI)
    return (x * x * -0.5).exp() * (2.0 - x * x) * INV_SQRT_2PI
