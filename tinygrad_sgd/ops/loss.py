"""Loss primitives: the losses that are one node each (as torch's), because a composition of
smaller ops would be slow or would differ from torch at an edge. The public functions that
check arguments and call these are in :mod:`tinygrad_sgd.nn.functional`."""
import numpy as np

from .. import kernels
from ..autograd import Function, is_grad_enabled
from ..dtypes import result_dtype
from ..kernels import vecmath
from ..kernels.vecmath import sigmoid_array as _sigmoid, log_sigmoid_array as _log_sigmoid
from .activation import SigmoidOp, LogSigmoidOp
from .elementwise import keep_where
from .reduce import sum_dtype
from .shape import IndexAdd, scatter_along


class NllLoss(Function):
    """Negative log-likelihood of class indices t (the class dim is dim 1, or dim 0 for an
    unbatched ``(C,)`` input), then ``sum``, or ``mean`` = Σlᵢ / Σwᵢ. The per-sample weight w
    (the class weight of tᵢ, 0 for ignored targets) is a constant — None when every wᵢ is 1
    (no class weights, nothing ignored: the same numbers, fewer passes). ``ignored`` (a boolean
    array, or None): the samples whose target is ``ignore_index`` — their loss is exactly 0, as
    torch skips them, even where x holds NaN or ±∞, and so is their gradient. The adjoint of a
    gather is a scatter (IndexAdd), so the backward is differentiable again.

    The arithmetic is torch's, rounding for rounding: a gradient ``−wᵢ·gᵢ`` for ``none``, and
    ``wᵢ·(−g)`` or ``wᵢ·(−(g / Σw))`` for ``sum`` and ``mean`` (not ``g·(−wᵢ/Σw)``: 1 ulp
    apart when g is not a power of two); NaN's sign as torch's too."""
    inputs, rule = ("x",), "lᵢ = −wᵢ · x[i, tᵢ]"
    derivatives = ("dL/dx[i, c] = −wᵢ·g (÷ Σw for mean) at c = tᵢ, 0 elsewhere",)

    def forward(self, x, t, w, reduction, ignored=None, refuse_backward=None):
        d = x.array
        self.in_shape, self.reduction = d.shape, reduction
        self.refuse_backward = refuse_backward   # torch's error for its backward, if any (a
        # (C,) input with a target of shape (1,): torch's forward reads t[0], its backward not)
        self.keep_array("t", t)
        self.w, self.ignored = None if w is None else w.astype(d.dtype, copy=False), ignored
        if d.ndim == 1:
            picked = np.asarray(d[int(t)])
        else:
            picked = d[np.arange(len(t)), t]
        if reduction == "none" and d.ndim > 1:    # (−x)·w, as torch writes it
            losses = np.negative(picked) if self.w is None else np.negative(picked) * self.w
            if ignored is not None:       # +0 for the ignored, whatever x holds there
                losses = np.where(ignored, 0, losses).astype(d.dtype, copy=False)
            return np.asarray(losses)
        # torch's cascade of partial sums, not NumPy's pairwise sum (kernels.loss); an
        # unbatched (C,) input takes this way for "none" too, as in torch
        loss, self.total = kernels.loss.nll_sums(
            picked.reshape(-1), None if self.w is None else self.w.reshape(-1),
            None if ignored is None else np.asarray(ignored).reshape(-1))
        if reduction != "mean":
            return np.asarray(loss, dtype=d.dtype)
        return np.asarray(loss / self.total, dtype=d.dtype)

    def backward(self, g):
        if self.refuse_backward is not None:
            raise RuntimeError(self.refuse_backward)
        if not is_grad_enabled():         # a plain backward: the same numbers, in one array
            return self.constant(self._grad_array(g.array))
        w = None if self.w is None else self.constant(self.w)
        if self.reduction == "none" and len(self.in_shape) > 1:     # −wᵢ·gᵢ
            gi = g * (-w if w is not None else self.constant(np.asarray(-1, g.dtype)))
        else:                             # wᵢ·(−g), wᵢ·(−(g/Σw))
            grad = -(g / self.constant(np.asarray(self.total))) if self.reduction == "mean" \
                else -g
            n = () if len(self.in_shape) == 1 else (self.in_shape[0],)
            gi = grad * w if w is not None else grad.expand(n)
        if self.ignored is not None:      # exactly 0 there, even for an infinite g
            gi = keep_where(~self.ignored, gi)
        if len(self.in_shape) == 1:
            return IndexAdd.apply(gi, int(self.kept_array("t")), self.in_shape, unique=True)
        return scatter_along(gi.unsqueeze(1), self.kept_array("t")[:, None], 1, self.in_shape)

    def _grad_array(self, g):
        """The backward above as one array (no graph of it is wanted): zeros, and at each
        sample's target its gradient."""
        t = self.kept_array("t")
        if self.reduction == "none" and len(self.in_shape) > 1:
            values = g * (-self.w if self.w is not None else g.dtype.type(-1))
        else:
            grad = -(g / self.total) if self.reduction == "mean" else -g
            values = grad if self.w is None else self.w * grad
        if self.ignored is not None:
            values = np.where(self.ignored, 0, values)
        out = np.zeros(self.in_shape, g.dtype)
        if len(self.in_shape) == 1:
            out[int(t)] = values
        else:
            out[np.arange(len(t)), t] = values
        return out

    def label(self):
        return f"nll_loss(reduction={self.reduction!r})"


def _op(ufunc, a, b, into=False):
    """``ufunc(a, b)`` in torch's common dtype (:func:`~tinygrad_sgd.dtypes.result_dtype`: a
    0-dim array does not widen one with dims, ``x * loss_grad`` stays x's float32 for a float64
    loss; a Python number widens nothing) — or, ``into`` (torch's in-place ``a.op_(b)``),
    rounded to a's dtype after."""
    a = np.asarray(a)
    if isinstance(b, (int, float)):
        common = a.dtype
    else:
        b = np.asarray(b)
        common = result_dtype(a, b)
        b = b.astype(common, copy=False)
    out = ufunc(a.astype(common, copy=False), b)
    return np.asarray(out).astype(a.dtype if into else common, copy=False)


class BinaryCrossEntropyWithLogits(Function):
    """``binary_cross_entropy_with_logits`` as one node (torch's), its reduction included,
    computed in torch's order: ln σ(x) = min(x, 0) − log1p(e^(−|x|)) (times (p − 1)·y + 1 with
    a ``pos_weight`` p), the loss (1 − y)·x − that, in the target's dtype (torch works in place
    in ``1 − target``), times ``weight``; then the sum or mean. Its gradients are torch's
    formulas — σ(x) − y for x (not the composition's (1 − y) − σ(−x), which loses a small
    σ(x) − y to cancellation), −x for y — times w, times g, then ÷ n for the mean, each
    rounding as torch's. ``weight`` and ``pos_weight`` are constants, as in torch."""
    inputs = ("x", "y")
    rule = "l = (1−y)·x − ((p−1)·y + 1)·ln σ(x), times w; then sum or mean"
    derivatives = ("dl/dx = ((p·y + 1 − y)·σ(x) − p·y)·w   (σ(x) − y)·w without p",
                   "dl/dy = (ln σ(−x) − p·ln σ(x))·w   −x·w without p")
    grad_fn_name = "BinaryCrossEntropyWithLogitsBackward"
    op_name = "binary_cross_entropy_with_logits"

    def forward(self, x, y, weight, pos_weight, reduction):
        self.save_for_backward(x, y)
        self.weight, self.pos_weight, self.reduction = weight, pos_weight, reduction
        xd, yd = x.array, y.array
        log_sig = _log_sigmoid(xd)
        if pos_weight is not None:      # (pos_weight − 1)·y + 1, then ln σ(x) times it
            log_weight = _op(np.add, _op(np.multiply, _op(np.subtract, pos_weight, 1), yd), 1,
                             into=True)
            log_sig = _op(np.multiply, log_sig, log_weight, into=True)
        loss = np.asarray(1 - yd).astype(yd.dtype, copy=False)     # (1 − y)·x − ln σ(x)·…
        loss = _op(np.subtract, _op(np.multiply, loss, xd, into=True), log_sig, into=True)
        if weight is not None:
            loss = _op(np.multiply, loss, weight, into=True)
        if reduction == "none":
            return loss
        if reduction == "sum":
            return np.asarray(kernels.reduce.sum(loss, None, False, loss.dtype))
        acc = sum_dtype(loss.dtype)[0]          # (torch's mean: float16 summed as float32)
        total = np.asarray(kernels.reduce.sum(loss, None, False, acc))
        return np.divide(total, np.asarray(loss.size, acc)).astype(loss.dtype)

    def backward(self, g):
        x, y = self.saved_tensors          # (each gradient reads both)
        if not is_grad_enabled():          # a plain backward: torch's in-place steps, on arrays
            return self._grad_arrays(g.array, x.array, y.array)
        w, p = (None if a is None else self.constant(np.asarray(a))
                for a in (self.weight, self.pos_weight))
        n = float(x.array.size)
        dx = dy = None
        if self.needs_input_grad[0]:      # torch's out-of-place steps (grad mode)
            sig = SigmoidOp.apply(x)
            if p is None:
                dx = sig - y
            else:
                t = p * y
                dx = (t + 1.0 - y) * sig - t
            dx = (dx if w is None else dx * w) * g
            dx = dx / n if self.reduction == "mean" else dx
        if self.needs_input_grad[1]:
            if p is None:
                dy = -x * g
            else:
                dy = (LogSigmoidOp.apply(-x) - LogSigmoidOp.apply(x) * p) * g
            dy = dy if w is None else dy * w
            dy = dy / n if self.reduction == "mean" else dy
        # (torch's engine hands each input a gradient of its own dtype)
        return (dx if dx is None or dx.dtype == x.dtype else dx.to(x.dtype),
                dy if dy is None or dy.dtype == y.dtype else dy.to(y.dtype))

    def _grad_arrays(self, g, x, y):
        """The two gradients as torch's backward makes them without grad mode: in place, each
        step rounded to the first operand's dtype; cast to x's and y's dtypes at the end."""
        w, p, n = self.weight, self.pos_weight, x.size
        dx = dy = None
        if self.needs_input_grad[0]:
            if p is None:                 # σ(x) − y
                dx = _op(np.subtract, _sigmoid(x), y, into=True)
            else:                         # (p·y + 1 − y)·σ(x) − p·y
                t = _op(np.multiply, p, y)
                dx = _op(np.subtract, _op(np.add, t, 1), y, into=True)
                dx = _op(np.subtract, _op(np.multiply, dx, _sigmoid(x), into=True), t,
                         into=True)
            if w is not None:
                dx = _op(np.multiply, dx, w, into=True)
            dx = _op(np.multiply, dx, g, into=True)
            if self.reduction == "mean":
                dx = _op(np.divide, dx, n, into=True)
            dx = self.constant(np.broadcast_to(dx, x.shape).astype(x.dtype))
        if self.needs_input_grad[1]:
            if p is None:                 # −x·g
                dy = _op(np.multiply, np.negative(x), g)
            else:                         # (ln σ(−x) − ln σ(x)·p)·g
                dy = _op(np.subtract, _log_sigmoid(-x),
                         _op(np.multiply, _log_sigmoid(x), p, into=True), into=True)
                dy = _op(np.multiply, dy, g, into=True)
            if w is not None:
                dy = _op(np.multiply, dy, w, into=True)
            if self.reduction == "mean":
                dy = _op(np.divide, dy, n, into=True)
            dy = self.constant(np.broadcast_to(dy, y.shape).astype(y.dtype))
        return dx, dy

    def label(self):
        return f"binary_cross_entropy_with_logits(reduction={self.reduction!r})"


_BCE_EPS = float(np.float32(1e-12))  # torch's EPSILON is a float32 1e-12, also for float64


class BinaryCrossEntropy(Function):
    """torch clamps the logs at −100, so x = 0 or 1 gives a finite loss, and uses its own
    gradient formula there (ε = 10⁻¹²)."""
    inputs, rule = ("x", "y"), "lᵢ = (yᵢ−1)·max(ln(1−xᵢ), −100) − yᵢ·max(ln xᵢ, −100)"
    derivatives = ("dl/dx = (x − y) / max(x(1−x), ε)", "dl/dy = −logit(x) = ln(1−x) − ln x")
    elementwise = True

    def forward(self, x, y):
        self.save_for_backward(x, y)
        xd, yd = x.array, y.array
        # torch's kernel, term for term: ln(1−x) as log1p(−x), exact for a small x (ln of the
        # rounded 1 − 1e-7 was 1.19e-7), and its order of operations (the signs of 0)
        one = np.ones((), xd.dtype)
        log_1mx = np.maximum(np.log1p(-xd), -100)
        log_x = np.maximum(np.log(xd), -100)
        return (yd - one) * log_1mx - yd * log_x

    def backward(self, g):
        x, y = self.saved_tensors
        gx = gy = None
        if self.needs_input_grad[0]:
            gx = g * (x - y) / (x * (1.0 - x)).clamp(min=_BCE_EPS)
        if self.needs_input_grad[1]:
            gy = -x.logit() * g         # (torch's binary_cross_entropy_target_backward)
        return gx, gy


class MseLoss(Function):
    """One node, as torch's: Σ (x − y)², ÷ n for ``mean``, per element for ``none``."""
    inputs, rule = ("x", "y"), "L = Σ (x − y)² (÷ n)"
    derivatives = ("dL/dx = 2·(x − y)·g (÷ n)", "dL/dy = 2·(y − x)·g (÷ n)")

    def forward(self, x, y, reduction):
        self.save_for_backward(x, y)
        self.reduction = reduction
        diff = x.array - y.array
        sq = diff * diff
        if reduction == "none":
            return sq
        if reduction == "sum":
            return kernels.reduce.sum(sq, None, False, sq.dtype)
        acc = sum_dtype(sq.dtype)[0]        # (torch's mean: float16 summed as float32)
        total = kernels.reduce.sum(sq, None, False, acc)
        return np.divide(total, np.asarray(sq.size, acc)).astype(sq.dtype)

    def backward(self, g):
        x, y = self.saved_tensors
        n = x.array.size
        scale = (2.0 / n if n else float("nan")) if self.reduction == "mean" else 2.0
        # (torch's target gradient is the same kernel with the two swapped: +0 where x = y)
        return (MseLossGrad.apply(x, y, g, scale) if self.needs_input_grad[0] else None,
                MseLossGrad.apply(y, x, g, scale) if self.needs_input_grad[1] else None)

    def label(self):
        return f"mse_loss(reduction={self.reduction!r})"


class MseLossGrad(Function):
    """MSE's backward as one node (c = 2, or 2/n for ``mean``; g is a scalar or, for ``none``,
    one value per element; du/dg is summed back to g's shape by the graph walk)."""
    inputs, rule = ("x", "y", "g"), "u = (c·(x − y))·g"
    derivatives = ("du/dx = c·g", "du/dy = −c·g", "du/dg = c·(x − y)")
    op_name = "mse_loss_backward"

    def forward(self, x, y, g, scale):
        self.save_for_backward(x, y, g)
        self.scale = scale
        d = x.array - y.array     # torch's kernel: (c·(x − y))·g, c rounded to the dtype
        return np.asarray(scale, d.dtype) * d * g.array

    def backward(self, gg):
        x, y, g = self.saved_tensors
        c = self.scale
        gx = gg * g * c if (self.needs_input_grad[0] or self.needs_input_grad[1]) else None
        return (gx if self.needs_input_grad[0] else None,
                -gx if self.needs_input_grad[1] else None,
                gg * (x - y) * c if self.needs_input_grad[2] else None)


class SoftMarginLossOp(Function):
    """log(1 + e^(−y·x)) per element, y = ±1 a constant (torch's soft_margin_loss, before its
    reduction). One node, so that its second derivative is torch's formula: as log1p(exp(·)),
    autograd's u/(1+u) − u²/(1+u)² gave 1 instead of ~0 once u = e^(−y·x) passed 1e19 in
    float32 (x·y ≲ −44: 1/(1+u)² underflows)."""
    inputs, rule = ("x",), "lᵢ = ln(1 + e^(−yᵢ·xᵢ))"
    derivatives = ("dl/dx = −y·z/(1 + z),  z = e^(−y·x)",)
    op_name, elementwise = "soft_margin_loss", True

    def forward(self, x, y):
        self.save_for_backward(x)
        self.y = y                      # torch's in-place steps into a tensor of x's dtype:
        u = (-x.array * y).astype(x.array.dtype, copy=False)    # −x·y rounded to it first
        return vecmath.log1p(vecmath.exp(u))       # (the Exp and Log1p ops' own numbers)

    def backward(self, g):
        (x,) = self.saved_tensors
        return SoftMarginLossGrad.apply(x, g, self.y)


class SoftMarginLossGrad(Function):
    """soft_margin_loss's backward as one node, torch's kernel step for step:
    u = (y·z)·(−1) / (1 + z) · g, z = e^(−y·x)."""
    inputs, rule = ("x", "g"), "u = −y·z/(1 + z)·g,  z = e^(−y·x)"
    derivatives = ("du/dx = y²·z/(1 + z)²·g", "du/dg = −y·z/(1 + z)")
    op_name, elementwise = "soft_margin_loss_backward", True

    def forward(self, x, g, y):
        self.save_for_backward(x, g)
        self.y = y
        z = vecmath.exp(-y * x.array)
        u = (y * z) * np.asarray(-1, z.dtype) / (1 + z) * g.array
        return u.astype(x.array.dtype, copy=False)      # (x's dtype, as torch's grad_input)

    def backward(self, gg):
        x, g = self.saved_tensors
        y = self.y
        gx = gg_ = None
        if self.needs_input_grad[0]:             # (torch's soft_margin_loss_double_backward)
            z = (x * self.constant(-y)).exp()
            zp1 = z + 1
            gx = self.constant(y * y) * z / (zp1 * zp1) * g * gg
        if self.needs_input_grad[1]:
            gg_ = SoftMarginLossGrad.apply(x, gg, y)
        return gx, gg_
