"""Finite-difference gradient checking: does backward() agree with the definition of a
derivative?  ∂f/∂xᵢ ≈ (f(x + εeᵢ) − f(x − εeᵢ)) / 2ε   (central differences, in the inputs'
own dtype, as torch: give it float64 inputs — others are warned about, and usually fail).
:func:`gradgradcheck` checks second-order gradients the same way."""
import itertools
import warnings

import numpy as np

from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytic and numeric gradients disagree (a
    RuntimeError, as torch's)."""


def _outputs(result):
    """The differentiable outputs of ``fn``: its float Tensors (one, or those of a tuple; an
    integer or bool result — an argmax — has no gradient to check, as in torch)."""
    if isinstance(result, Tensor):
        result = (result,)
    return [t for t in result if isinstance(t, Tensor) and t.dtype.kind in "fc"]


def _numeric_jacobian_row(fn, inputs, k, eps, out_grads):
    """d<out_grads[j], fn(inputs)[j]>/d inputs[k] for each output j, element by element (the
    slow, obviously right way): one array of inputs[k]'s shape per output. The input is
    perturbed in place and each output's difference quotient is taken in its own dtype, as
    torch (a float32 input moved by ε = 1e-6 moves by a few of its last bits only), then
    contracted with out_grads[j] in float64."""
    x = inputs[k]
    a = x.array                        # (indexed, not flattened: a view's memory is written)
    grad = np.zeros((len(out_grads), a.size), dtype=np.float64)
    for i in range(a.size):
        at = np.unravel_index(i, a.shape)
        orig = a[at]
        a[at] = orig + eps
        plus = [o.array.copy() for o in _outputs(fn(*inputs))]     # (an output may be the input)
        a[at] = orig - eps
        minus = [o.array.copy() for o in _outputs(fn(*inputs))]
        a[at] = orig
        for j, (p, m, g) in enumerate(zip(plus, minus, out_grads)):
            quotient = (p - m) / p.dtype.type(2 * eps)
            grad[j, i] = np.sum(np.asarray(quotient, dtype=np.float64) * g)
    return [row.reshape(x.shape) for row in grad]


def _check_inputs(inputs):
    """torch's ``_check_inputs``: warn for each input that requires grad and is not float64
    (nor complex128); refuse when none requires grad."""
    checked = []
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad:
            if t.array.dtype not in (np.float64, np.complex128):
                warnings.warn(f"Input #{i} requires gradient and is not a double precision "
                              f"floating point or complex. This check will likely fail if all "
                              f"the inputs are not of double precision floating point or "
                              f"complex. ", stacklevel=3)
            checked.append(i)
    if not checked:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")
    return checked


def _analytic(fn, xs, checked, j, out_grad):
    """d<out_grad, fn(xs)[j]>/d xs[k] by backward, for each checked k (zeros where output j
    does not depend on xs[k])."""
    before = {k: xs[k].grad for k in checked}     # the caller's .grad, put back after
    for k in checked:
        xs[k].grad = None
    out = _outputs(fn(*xs))[j]
    if out.requires_grad:
        from .autograd import backward
        backward([out], [Tensor._of(out_grad.astype(out.array.dtype))])
    grads = {k: np.zeros(xs[k].shape) if xs[k].grad is None else xs[k].grad.array
             for k in checked}
    for k in checked:
        xs[k].grad = before[k]
    return grads


def _forward_ad(fn, xs, checked, j, out_grad):
    """d<out_grad, fn(xs)[j]>/d xs[k] by forward-mode AD (``autograd.forward_ad``), one
    one-hot tangent per element of each checked input: the same rows as :func:`_analytic`."""
    from .autograd import forward_ad as fw
    rows = {}
    for k in checked:
        row = np.zeros(xs[k].shape)
        for i in np.ndindex(*xs[k].shape):
            one = np.zeros(xs[k].shape, dtype=xs[k].array.dtype)
            one[i] = 1
            with fw.dual_level():
                args = list(xs)
                args[k] = fw.make_dual(xs[k], Tensor._of(one))
                tangent = fw.unpack_dual(_outputs(fn(*args))[j]).tangent
                row[i] = 0 if tangent is None else float((tangent.array * out_grad).sum())
        rows[k] = row
    return rows


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    """Check the gradients of ``fn(*inputs)`` against central finite differences.

    ``inputs``: a Tensor or a sequence of Tensors; those with ``requires_grad=True`` are checked,
    in their own dtype and in place (each element is moved by ±ε and put back), as torch: one
    that is not float64 gets torch's UserWarning (finite differences need the precision). Each
    non-scalar output is contracted with a fixed random vector of its own, so every output
    element counts, and each (output, input) pair is checked. Returns True, or raises
    :class:`GradcheckError` — its first line torch's (``Jacobian mismatch for output 0 with
    respect to input 1,``), then a report of the worst mismatch of each pair — (or returns
    False when ``raise_exception=False``).

    As torch's, every argument after ``inputs`` is keyword-only. torch's other options
    (``fast_mode``, ``nondet_tol``, ``check_undefined_grad``, ``check_batched_grad``, ...) are
    accepted; the check made is always this full, deterministic one (``fast_mode`` only
    speeds torch's up). ``check_forward_ad=True`` also checks forward-mode AD (the tangents
    of ``autograd.forward_ad``, one per input element), ``check_backward_ad=False`` skips the
    backward check (a custom Function with a ``jvp`` and no ``backward``).
    """
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    xs = inputs
    checked = _check_inputs(xs)
    outs = _outputs(fn(*xs))
    rng = np.random.default_rng(seed)
    out_grads = [rng.standard_normal(o.shape) if o.array.size > 1 else np.ones(o.shape)
                 for o in outs]
    numeric = {k: _numeric_jacobian_row(fn, xs, k, eps, out_grads) for k in checked}
    report, first = [], None
    modes = [(_analytic, "backward")] * bool(check_backward_ad) + \
        [(_forward_ad, "forward AD")] * bool(check_forward_ad)
    for (j, out_grad), (analytic_of, mode) in itertools.product(enumerate(out_grads), modes):
        analytic = analytic_of(fn, xs, checked, j, out_grad)
        for k in checked:
            bad = ~np.isclose(analytic[k], numeric[k][j], atol=atol, rtol=rtol)
            if not bad.any():
                continue
            first = first or (j, k, mode)
            a, n = analytic[k], numeric[k][j]
            err = np.abs(a - n)
            worst = np.unravel_index(int(np.argmax(np.where(bad, err, -1))), a.shape)
            which = (f"output {j}, " if len(outs) > 1 else "") + ("" if mode == "backward"
                                                                    else f"{mode}, ")
            report.append(
                f"  {which}input {k} (shape {xs[k].shape}): {int(bad.sum())} of {bad.size} "
                f"elements differ; worst at index {tuple(int(i) for i in worst)}: "
                f"numeric {n[worst]:.6g} vs analytic {a[worst]:.6g} "
                f"(abs err {err[worst]:.3g}, atol={atol}, rtol={rtol})")
    if report:
        if raise_exception:
            raise GradcheckError(f"Jacobian mismatch for output {first[0]} with respect to "
                                 f"input {first[1]},\n({first[2]} disagrees with finite "
                                 f"differences)\n" + "\n".join(report))
        return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, gen_non_contig_grad_outputs=False, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True,
                  fast_mode=False, masked=False):
    """Check second-order gradients, as torch's: the gradients of ``func(*inputs)`` —
    ``autograd.grad(outputs, inputs, grad_outputs, create_graph=True)`` — are themselves
    gradchecked, as a function of the inputs and of ``grad_outputs``. Without
    ``grad_outputs``, each is drawn as torch draws it: uniform in [-1, 1), of its output's
    shape and (floating) dtype, from the default generator. torch's other keyword options
    are accepted, as :func:`gradcheck`'s."""
    from . import autograd
    from .creation import empty
    from .dtypes import float64
    tupled_inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if grad_outputs is None:
        outputs = _outputs(func(*tupled_inputs))
        grad_outputs = tuple(
            empty(o.shape, dtype=o.dtype if o.dtype.kind == "f" else float64)
            .uniform_(-1, 1).requires_grad_() for o in outputs)
    tupled_grads = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    n_out = len(tupled_grads)
    diff_inputs = {i for i, x in enumerate(tupled_inputs)
                   if isinstance(x, Tensor) and x.requires_grad}
    diff_grads = {i for i, g in enumerate(tupled_grads) if g.requires_grad}

    def new_func(*args):
        input_args = tuple(x.requires_grad_() if i in diff_inputs else x
                           for i, x in enumerate(args[:-n_out]))
        outputs = _outputs(func(*input_args))
        grads = tuple(g.requires_grad_() if i in diff_grads else g
                      for i, g in enumerate(args[-n_out:]))
        wrt = tuple(x for i, x in enumerate(input_args) if i in diff_inputs)
        grad_inputs = autograd.grad(outputs, wrt, grads, create_graph=True, allow_unused=True)
        return tuple(g for g in grad_inputs if g is not None)

    return gradcheck(new_func, tupled_inputs + tupled_grads, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
