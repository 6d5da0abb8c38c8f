"""Finite-difference gradient checking: does backward() agree with the definition of a
derivative?  ∂f/∂xᵢ ≈ (f(x + εeᵢ) − f(x − εeᵢ)) / 2ε   (central differences, in float64)."""
import numpy as np

from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when analytic and numeric gradients disagree."""


def _outputs(result):
    """The differentiable outputs of ``fn``: one Tensor, or the float Tensors of a tuple."""
    if isinstance(result, Tensor):
        return [result]
    return [t for t in result if isinstance(t, Tensor) and t.dtype.kind == "f"]


def _contracted(fn, inputs, out_grads):
    """Σⱼ <out_grads[j], fn(inputs)[j]> in float64: one number per evaluation."""
    outs = _outputs(fn(*inputs))
    return sum(np.sum(np.asarray(o.array, dtype=np.float64) * g) for o, g in zip(outs, out_grads))


def _numeric_jacobian_row(fn, inputs, k, eps, out_grads):
    """d<out_grads, fn(inputs)>/d inputs[k], element by element (the slow, obviously right
    way)."""
    x = inputs[k]
    flat = x.array.reshape(-1)
    grad = np.zeros(flat.shape, dtype=np.float64)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        plus = _contracted(fn, inputs, out_grads)
        flat[i] = orig - eps
        minus = _contracted(fn, inputs, out_grads)
        flat[i] = orig
        grad[i] = (plus - minus) / (2 * eps)
    return grad.reshape(x.shape)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Check the gradients of ``fn(*inputs)`` against central finite differences.

    ``inputs``: a Tensor or a sequence of Tensors; those with ``requires_grad=True`` are checked.
    They are converted to float64 copies first (finite differences need the precision). A
    non-scalar output is contracted with a fixed random vector, so every output element counts.
    Returns True, or raises :class:`GradcheckError` with a report of the worst mismatch
    (or returns False when ``raise_exception=False``).
    """
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    xs = [Tensor(np.array(t.array, dtype=np.float64), requires_grad=t.requires_grad)
          if isinstance(t, Tensor) and t.dtype.kind == "f" else t for t in inputs]
    checked = [i for i, t in enumerate(xs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, nothing to check")
    outs = _outputs(fn(*xs))
    rng = np.random.default_rng(seed)
    out_grads = [rng.standard_normal(o.shape) if o.array.size > 1 else np.ones(o.shape)
                 for o in outs]
    live = [(o, g) for o, g in zip(outs, out_grads) if o.requires_grad]
    if live:
        from .autograd import backward
        backward([o for o, _ in live], [Tensor(g.astype(np.float64)) for _, g in live])
    report = []
    for k in checked:
        analytic = np.zeros(xs[k].shape) if xs[k].grad is None else xs[k].grad.array
        numeric = _numeric_jacobian_row(fn, xs, k, eps, out_grads)
        bad = ~np.isclose(analytic, numeric, atol=atol, rtol=rtol)
        if bad.any():
            err = np.abs(analytic - numeric)
            worst = np.unravel_index(int(np.argmax(np.where(bad, err, -1))), analytic.shape)
            report.append(
                f"  input {k} (shape {xs[k].shape}): {int(bad.sum())} of {bad.size} elements "
                f"differ; worst at index {tuple(int(i) for i in worst)}: "
                f"numeric {numeric[worst]:.6g} vs analytic {analytic[worst]:.6g} "
                f"(abs err {err[worst]:.3g}, atol={atol}, rtol={rtol})")
    if report:
        if raise_exception:
            raise GradcheckError("gradcheck failed: backward disagrees with finite "
                                 "differences\n" + "\n".join(report))
        return False
    return True
