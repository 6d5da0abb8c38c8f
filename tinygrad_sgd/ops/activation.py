"""Activation functions and the (log-)softmax, computed in numerically stable forms.

The classes whose names an ``nn`` layer also has carry the suffix ``Op`` (``ReLUOp`` is the
primitive, ``nn.ReLU`` the layer); their ``grad_fn`` keeps torch's name (``ReLUBackward``)."""
import numpy as np

from ..arguments import normalize_dim
from ..autograd import Function
from .elementwise import Elementwise, keep_where


class ReLUOp(Elementwise):
    """The gradient at x = 0 is 0, as torch; a NaN passes g on."""
    rule, derivatives = "z = max(x, 0)", ("dz/dx = 1 where x > 0, else 0",)
    grad_fn_name, op_name = "ReLUBackward", "relu"

    def forward(self, x):
        out = np.maximum(x.array, 0)
        self.save_output(out)
        return out

    def backward(self, g):
        return keep_where(~(self.saved_output() <= 0), g)


class SigmoidOp(Elementwise):
    """Computed as e^(min(x,0)) / (1 + e^(−|x|)): no exponent is ever positive, so nothing
    overflows at ±1000."""
    rule, derivatives = "z = σ(x) = 1/(1+e⁻ˣ)", ("dz/dx = σ(x)·(1−σ(x)) = z·(1−z)",)
    grad_fn_name, op_name = "SigmoidBackward", "sigmoid"

    def forward(self, x):
        d = x.array
        e = np.exp(-np.abs(d))
        out = (np.where(d >= 0, 1.0, e) / (1.0 + e)).astype(d.dtype, copy=False)
        self.save_output(out)
        return out

    def backward(self, g):
        return SigmoidGrad.apply(g, self.output())


class SigmoidGrad(Elementwise):
    """The sigmoid's backward as one node (as torch's sigmoid_backward), for the incoming
    gradient g and the saved output s."""
    inputs, rule = ("g", "s"), "u = g·s·(1−s)"
    derivatives = ("du/dg = s·(1−s)", "du/ds = g·(1−2s)")
    op_name = "sigmoid_backward"

    def forward(self, g, s):
        self.save_for_backward(g, s)
        sd = s.array
        return g.array * (sd * (1 - sd))

    def backward(self, gg):
        g, s = self.saved_tensors
        return (gg * (s * (1.0 - s)) if self.needs_input_grad[0] else None,
                gg * g * (1.0 - 2.0 * s) if self.needs_input_grad[1] else None)


class TanhOp(Elementwise):
    rule, derivatives = "z = tanh(x)", ("dz/dx = 1 − tanh²(x) = 1 − z²",)
    grad_fn_name, op_name = "TanhBackward", "tanh"

    def forward(self, x):
        out = np.tanh(x.array)
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
        td = t.array
        return g.array * (1 - td * td)

    def backward(self, gg):
        g, t = self.saved_tensors
        return (gg * (1.0 - t * t) if self.needs_input_grad[0] else None,
                gg * g * t * -2.0 if self.needs_input_grad[1] else None)


class Softplus(Elementwise):
    """Computed as logaddexp(0, x): no overflow."""
    rule, derivatives = "z = ln(1 + eˣ)", ("dz/dx = σ(x)",)

    def forward(self, x):
        self.save_for_backward(x)
        return np.logaddexp(0, x.array)

    def backward(self, g):
        (x,) = self.saved_tensors
        return g * x.sigmoid()


class SoftmaxOp(Function):
    """Along ``dim``, with m = max for stability."""
    rule = "sᵢ = e^(xᵢ−m) / Σⱼ e^(xⱼ−m)"
    derivatives = ("dL/dxᵢ = sᵢ·(gᵢ − Σⱼ gⱼ·sⱼ)",)
    grad_fn_name, op_name = "SoftmaxBackward", "softmax"

    def forward(self, x, dim):
        d = x.array
        self.dim = dim = normalize_dim(dim, d.ndim, "softmax")
        if d.ndim == 0:
            out = np.ones_like(d)
        else:
            e = np.exp(d - d.max(axis=dim, keepdims=True))
            out = e / e.sum(axis=dim, keepdims=True)
        self.save_output(out)
        return out

    def backward(self, g):
        s = self.output()
        return s * (g - (g * s).sum(dim=self.dim, keepdim=True))


class LogSoftmaxOp(Function):
    """Along ``dim``, exact even for logits of 1e4 (m = max)."""
    rule = "zᵢ = xᵢ − m − ln Σⱼ e^(xⱼ−m)"
    derivatives = ("dL/dxᵢ = gᵢ − e^(zᵢ)·Σⱼ gⱼ",)
    grad_fn_name, op_name = "LogSoftmaxBackward", "log_softmax"

    def forward(self, x, dim):
        d = x.array
        self.dim = dim = normalize_dim(dim, d.ndim, "log_softmax")
        if d.ndim == 0:
            out = np.zeros_like(d)
        else:
            shifted = d - d.max(axis=dim, keepdims=True)
            out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        self.save_output(out)
        return out

    def backward(self, g):
        return g - self.output().exp() * g.sum(dim=self.dim, keepdim=True)
