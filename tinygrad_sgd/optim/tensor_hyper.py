"""Hyper-parameters given as Tensors, computed as torch computes them: a 0-d float32 tensor's
arithmetic rounds to float32 after every operation, so a Tensor ``lr`` or Tensor ``betas``
give (slightly) other numbers than the same Python floats — and torch's ``pow`` of a float32
tensor is not NumPy's float32 ``**``. Here: :func:`_torch_pow`, :func:`_num` and
:func:`_rdiv` (how NAdam, RAdam and Adamax compute with a Tensor lr or Tensor betas: their
arithmetic is written once, a 0-d tensor's value a NumPy scalar of its dtype), and Adam's step
with Tensor ``betas`` (:func:`_update_tensor_betas`, which casts the betas to the parameter's
dtype first, as torch's Adam) with the checks torch makes of such options."""
import numpy as np

from .. import kernels
from ..tensor import Tensor
from .optimizer import _lr_value, _zeros

__all__ = []


def _torch_pow(base, alpha):
    """``base ** alpha`` as torch computes it: for a Python ``base`` in double precision; for
    a NumPy float32 or float64 one (a 0-d tensor's value) as torch's ``pow`` of such a tensor
    by a Python number — ``std::pow`` in double, rounded to the dtype (NumPy's float32 ``**``
    rounds the exponent to float32 and takes powf, an ulp off now and then) — except for the
    exponents torch computes otherwise (0.5: sqrt, 2, 3, −1, −2: products and reciprocals)."""
    if not isinstance(base, np.floating):
        return base ** alpha
    one = base.dtype.type(1)
    special = {0.5: lambda: np.sqrt(base), 2.0: lambda: base * base,
               3.0: lambda: base * base * base, -1.0: lambda: one / base,
               -2.0: lambda: one / (base * base), -0.5: lambda: one / np.sqrt(base),
               1.0: lambda: base, 0.0: lambda: one}
    if alpha in special:
        return special[alpha]()
    return base.dtype.type(float(base) ** alpha)


def _num(value, dt):
    """A hyper-parameter's value as torch hands it to a kernel of dtype ``dt``: a Python number
    stays as it is (the kernel rounds it); a 0-d tensor's (a NumPy scalar) is rounded to ``dt``
    (torch's ``value=`` Tensor is read with ``.item()``, an operand 0-d tensor is cast)."""
    return float(dt(value)) if isinstance(value, np.floating) else value


def _rdiv(number, t):
    """``number / t`` as torch computes it: with a 0-d tensor ``t`` (a NumPy scalar) and a
    Python number, ``t.reciprocal() * number`` (torch's ``__rtruediv__``: two roundings);
    otherwise a plain division."""
    if isinstance(t, np.floating) and not isinstance(number, np.floating):
        return (t.dtype.type(1) / t) * number
    return number / t


def _squeeze(value):
    """torch's ``_to_scalar``: a 1-element Tensor of one or more dimensions becomes 0-d (a
    Python number stays as it is)."""
    if isinstance(value, Tensor) and value.ndim != 0 and value.numel() == 1:
        return Tensor._of(np.array(value.array.reshape(())))
    return value


def _check_tensor_options(lr, betas, foreach, capturable):
    """What torch's Adam refuses at construction: a Tensor lr or beta with ``foreach=True``
    (and not ``capturable``), and one Tensor beta beside a float."""
    if isinstance(lr, Tensor) and foreach and not capturable:
        raise ValueError("lr as a Tensor is not supported for capturable=False and "
                         "foreach=True")
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        return                      # (_pair says what is wrong)
    if isinstance(betas[0], Tensor) != isinstance(betas[1], Tensor):
        raise ValueError("betas must be either both floats or both Tensors")
    for i, beta in enumerate(betas):
        if isinstance(beta, Tensor):
            if foreach and not capturable:
                raise ValueError(f"betas[{i}] as a Tensor is not supported for "
                                 f"capturable=False and foreach=True")
            if beta.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")


def _update_tensor_betas(opt, p, g, group):
    """Adam's step (as :meth:`Adam._update`) with 0-d Tensor ``betas``: torch computes the
    bias corrections 1 − βᵗ, √(1 − β₂ᵗ), lr/(1 − β₁ᵗ) and 1 − β₂ as tensor ops in the betas'
    dtype (float32: each rounded), and the lerp weight 1 − β₁ in the parameter's dtype."""
    b1, b2 = (b.array.reshape(()).dtype.type(b.array.reshape(())) for b in group["betas"])
    one, dt = b1.dtype.type(1), p.array.dtype.type
    theta, state = p.array, opt._step_state(p, "exp_avg", "exp_avg_sq")
    step = float(state["step"])
    lr = _lr_value(group["lr"])
    weight_decay = float(group["weight_decay"])
    if weight_decay != 0 and group["decoupled_weight_decay"]:
        theta *= 1 - lr * weight_decay
    m, v = state["exp_avg"].array, state["exp_avg_sq"].array
    kernels.optim.lerp_(m, g, float(dt(1) - dt(b1)))  # weight: 1 − β₁ in θ's dtype
    v *= dt(b2)
    kernels.optim.addcmul_(v, float(one - b2), g, g)  # value: the 0-d tensor 1 − β₂, as a number
    if group["amsgrad"]:
        if "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = _zeros(p)
        v = np.maximum(state["max_exp_avg_sq"].array, v, out=state["max_exp_avg_sq"].array)
    correction1 = one - _torch_pow(b1, step)
    correction2_sqrt = np.sqrt(one - _torch_pow(b2, step))
    # lr / (1 − β₁ᵗ): a Tensor lr's is a division; a Python lr's is torch's number / tensor,
    # which is the tensor's reciprocal times the number (two roundings)
    step_size = lr / correction1 if isinstance(lr, np.floating) else \
        (one / correction1) * b1.dtype.type(lr)
    denom = kernels.optim.sqrt(v)
    denom /= dt(correction2_sqrt)
    denom += dt(float(group["eps"]))
    kernels.optim.addcdiv_(theta, -float(step_size), m, denom)
