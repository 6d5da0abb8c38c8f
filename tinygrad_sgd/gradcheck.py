"""Finite-difference gradient checking: does backward() agree with the definition of a
derivative?  ∂f/∂xᵢ ≈ (f(x + εeᵢ) − f(x − εeᵢ)) / 2ε   (central differences, in float64)."""
import numpy as np

from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when analytic and numeric gradients disagree."""


def _numeric_jacobian_row(fn, inputs, k, eps, out_grad):
    """d<out_grad, fn(inputs)>/d inputs[k], element by element (the slow, obviously right way)."""
    x = inputs[k]
    flat = x.array.reshape(-1)
    grad = np.zeros(flat.shape, dtype=np.float64)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        plus = np.sum(np.asarray(fn(*inputs).array, dtype=np.float64) * out_grad)
        flat[i] = orig - eps
        minus = np.sum(np.asarray(fn(*inputs).array, dtype=np.float64) * out_grad)
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
    out = fn(*xs)
    rng = np.random.default_rng(seed)
    out_grad = rng.standard_normal(out.shape) if out.array.size > 1 else np.ones(out.shape)
    out.backward(Tensor(out_grad.astype(np.float64)))
    report = []
    for k in checked:
        analytic = np.zeros(xs[k].shape) if xs[k].grad is None else xs[k].grad.array
        numeric = _numeric_jacobian_row(fn, xs, k, eps, out_grad)
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
