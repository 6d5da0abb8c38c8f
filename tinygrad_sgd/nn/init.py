"""Weight initialisation, ``torch.nn.init``: the same draws as torch, so that after
``manual_seed(s)`` every layer starts with torch's weights, bit for bit.

Each function fills a Tensor **in place** under ``no_grad`` (so a Parameter may be filled; the
version counter moves) and returns it. The random ones call the tensor's own fill —
``tensor.uniform_(-bound, bound)``, ``tensor.normal_(0, std)`` — with the bound or standard
deviation computed in Python floats in torch's order of operations, from the default generator
or the ``generator=`` given; the values are drawn in the tensor's dtype.

Fan-in/fan-out: for a weight of shape ``(out, in, *kernel)`` — torch's layout for Linear and
Conv — ``fan_in = in·prod(kernel)`` and ``fan_out = out·prod(kernel)``.
"""
import math
import warnings

import numpy as np

from .. import random as R
from ..autograd import no_grad
from ..creation import dim_order, like_strides, torch_strides
from ..functions.random import _contiguous
from ..random.distributions import calculate_gain, kaiming_std
from ..tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "dirac_", "sparse_",
           # torch's deprecated names (FutureWarning)
           "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]


def _tensor(tensor, fn):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{fn}: expected a Tensor (or Parameter) to fill, got "
                        f"{type(tensor).__name__}")
    return tensor


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` of a weight, as torch computes them."""
    return R.distributions.fans(tensor.shape)


def _calculate_correct_fan(tensor, mode):
    """``fan_in`` or ``fan_out`` of a weight (``mode``), as torch's kaiming initialisers."""
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of "
                         f"{['fan_in', 'fan_out']}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _no_grad_uniform_(tensor, a, b, generator=None):
    """torch's private helper: ``tensor.uniform_(a, b)`` under no_grad."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def _no_grad_normal_(tensor, mean, std, generator=None):
    """torch's private helper: ``tensor.normal_(mean, std)`` under no_grad."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def _zero_element(tensor):
    """torch's kaiming initialisers leave a tensor with no elements alone, with a warning."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    with no_grad():
        return _tensor(tensor, "uniform_").uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std²)."""
    with no_grad():
        return _tensor(tensor, "normal_").normal_(mean, std, generator=generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std²) truncated to [a, b] (torch 2.13's two samplers: redraw the
    values outside [a, b] while [a, b] holds more than 30% of the mass, else rejection
    sampling; see :func:`tinygrad_sgd.random.trunc_normal`)."""
    _tensor(tensor, "trunc_normal_")
    own, like = torch_strides(tensor), like_strides(tensor)     # the tensor, empty_like(it)
    layouts = [(dim_order(tensor.shape, st), _contiguous(tensor.shape, st)) for st in (own, like)]
    values = R.trunc_normal(tensor.shape, mean, std, a, b, tensor.dtype, generator, layouts)
    with no_grad():
        return tensor.copy_(Tensor._of(values))


def constant_(tensor, val):
    """Fill with the number ``val``."""
    with no_grad():
        return _tensor(tensor, "constant_").fill_(val)


def ones_(tensor):
    return constant_(tensor, 1.0)


def zeros_(tensor):
    with no_grad():
        return _tensor(tensor, "zeros_").zero_()


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal)."""
    if _tensor(tensor, "eye_").ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with no_grad():
        return tensor.copy_(Tensor._of(np.eye(*tensor.shape, dtype=tensor.dtype)))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot: U(−a, a) with a = √3·gain·√(2/(fan_in+fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_tensor(tensor, "xavier_uniform_"))
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot: N(0, std²) with std = gain·√(2/(fan_in+fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_tensor(tensor, "xavier_normal_"))
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He: U(−b, b) with b = √3·gain/√fan, gain = calculate_gain(nonlinearity, a).
    torch's Linear/Conv default is a=√5, giving b = 1/√fan_in."""
    if _zero_element(_tensor(tensor, "kaiming_uniform_")):
        return tensor
    bound = math.sqrt(3.0) * kaiming_std(tensor.shape, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He: N(0, std²) with std = gain/√fan."""
    if _zero_element(_tensor(tensor, "kaiming_normal_")):
        return tensor
    return normal_(tensor, 0.0, kaiming_std(tensor.shape, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix, as torch: N(0, 1) draws of shape (rows, cols) (cols = the
    other dims flattened), QR of it (of its transpose when rows < cols), Q's columns signed by
    R's diagonal, times ``gain``. The draws are torch's; the QR is NumPy's LAPACK, so the
    values agree with torch's to rounding (about 1e-6), not bit for bit."""
    if _tensor(tensor, "orthogonal_").ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = R.normal((rows, cols), 0.0, 1.0, tensor.dtype, generator)
    if flat.dtype == np.float16:    # drawn first, as torch, whose QR then refuses Half
        raise NotImplementedError("\"geqrf_cpu\" not implemented for 'Half'")
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    with no_grad():
        tensor.view(rows, cols)     # torch copies through this view: its error if there is none
        tensor.copy_(Tensor._of(np.ascontiguousarray(q).reshape(tensor.shape)))
        return tensor.mul_(gain)


def dirac_(tensor, groups=1):
    """The Dirac delta of a convolution's weight (3-, 4- or 5-D, ``(out, in, *kernel)``):
    zeros, and a 1 at the kernel's centre (⌊k/2⌋) linking output channel g·(out/groups) + d to
    input channel d, for each group g and d < min(out/groups, in) — so the convolution passes
    as many input channels through unchanged as it can."""
    if _tensor(tensor, "dirac_").ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = tensor.shape[0] // groups
    centre = tuple(k // 2 for k in tensor.shape[2:])
    values = np.zeros(tensor.shape, dtype=tensor.dtype)
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            values[(g * per_group + d, d) + centre] = 1
    with no_grad():
        return tensor.copy_(Tensor._of(values))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A sparse 2-D matrix (Martens 2010), as torch draws it: N(0, std²) everywhere (from
    ``generator``), then in each column the rows of the first ⌈sparsity·rows⌉ entries of a
    ``randperm(rows)`` (from the default generator, as torch) set to zero."""
    if _tensor(tensor, "sparse_").ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    with no_grad():
        tensor.normal_(0, std, generator=generator)
        values = tensor.detach().numpy().copy()
        for col in range(cols):
            values[R.randperm(rows)[:num_zeros], col] = 0
        return tensor.copy_(Tensor._of(values))


def _make_deprecate(meth):
    """torch's old names without the trailing underscore: the same fill, with torch's
    FutureWarning."""
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = f"Deprecated: use :func:`{new_name}`."
    deprecated_init.__name__ = deprecated_init.__qualname__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
