"""Random tensors, with torch's numbers: after ``manual_seed(s)`` the same calls as in torch
give the same values, bit for bit.

* the generator: ``manual_seed``, ``seed``, ``initial_seed``, ``get_rng_state``,
  ``set_rng_state``, ``Generator``, ``default_generator``;
* new tensors: ``rand``, ``randn``, ``randint``, ``randperm``, ``rand_like``, ``randn_like``,
  ``randint_like``, ``normal``, ``bernoulli``, ``multinomial``;
* in-place fills (Tensor methods): ``uniform_``, ``normal_``, ``bernoulli_``, ``random_``,
  ``exponential_``. As every in-place operation they move the tensor's version counter, and
  on a leaf that requires grad they are refused unless grad mode is off (``no_grad()``, as
  ``nn.init`` does).

Every draw goes through :mod:`tinygrad_sgd.random` (the NumPy layer, where the notes on how
torch makes each number are), from the default generator or the ``generator=`` given. Tensors
are filled in row-major order, as torch fills a contiguous tensor (torch fills a transposed or
strided *view* in its memory order — ``normal_`` element by element — which is not replayed).

torch's ``normal``/``bernoulli`` of a tensor that requires grad give a result that requires
grad with a gradient of zero; here the result is a constant (no graph).
"""
import numbers
import warnings

import numpy as np

from .. import random as R
from ..arguments import listed, shape_arg
from ..dtypes import default_float
from ..kernels.layout import in_memory_order, memory_order
from ..tensor import Tensor, tensor_method
from .inplace import inplace

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "get_rng", "rand", "randn", "randint", "randperm",
           "rand_like", "randn_like", "randint_like", "normal", "bernoulli", "multinomial"]

Generator = R.Generator
default_generator = R.default_generator


# ---------------------------------------------------------------------------- the generator
def manual_seed(seed) -> Generator:
    """Seed the default generator (every draw of the library: ``rand``, ``nn.init``, dropout,
    the DataLoader's shuffling); returns it. The same seed as ``torch.manual_seed`` gives the
    same numbers."""
    return R.manual_seed(seed)


def seed() -> int:
    """Reseed the default generator from the operating system's entropy; returns the seed."""
    return R.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return R.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state: a uint8 Tensor of 5056 bytes, laid out as torch's (so
    ``torch.set_rng_state(torch.from_numpy(state.numpy()))`` continues our stream in torch)."""
    return R.default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator from :func:`get_rng_state` (or torch's bytes)."""
    R.default_generator.set_state(new_state)


def get_rng() -> Generator:
    """Deprecated: the default generator; use :func:`manual_seed`'s result,
    ``tinygrad_sgd.default_generator`` or ``generator=`` arguments."""
    warnings.warn("tinygrad_sgd.get_rng() is deprecated: it returns the default Generator "
                  "(tinygrad_sgd.default_generator); draw with tinygrad_sgd.rand/randint/... "
                  "or pass generator=", DeprecationWarning, stacklevel=2)
    return R.default_generator


# ---------------------------------------------------------------------------- arguments
def _check_device(device):
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"device {str(device)!r} is not available: tinygrad_sgd computes on "
                           f"the CPU only")


def _make(array, requires_grad):
    return Tensor._of(array, requires_grad=requires_grad)


def _check_grad_dtype(dtype, requires_grad):
    """torch refuses requires_grad for a non-float dtype (before drawing anything)."""
    if requires_grad and np.dtype(dtype).kind != "f":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")


def _dtype(dtype, default):
    return np.dtype(default if dtype is None else dtype)


# ---------------------------------------------------------------------------- new tensors
def rand(*size, generator=None, dtype=None, requires_grad=False, device=None,
         **size_keyword) -> Tensor:
    """Uniform samples in [0, 1) (``dtype`` the default float dtype, float32, unless given):
    ``torch.rand``."""
    _check_device(device)
    shape = listed("rand", size, size_keyword, "size")
    return _make(R.rand(shape, _dtype(dtype, default_float()), generator), requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad=False, device=None,
          **size_keyword) -> Tensor:
    """Standard normal samples (``dtype`` the default float dtype, float32, unless given):
    ``torch.randn``."""
    _check_device(device)
    shape = listed("randn", size, size_keyword, "size")
    return _make(R.randn(shape, _dtype(dtype, default_float()), generator), requires_grad)


def _low_high_size(low, high, size, fn):
    """torch's two spellings: ``f(high, size)`` and ``f(low, high, size)``."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None:
        raise TypeError(f"{fn}() missing 1 required positional arguments: \"size\"")
    return low, high, size


def randint(low, high=None, size=None, *, generator=None, dtype=None, requires_grad=False,
            device=None) -> Tensor:
    """Integers uniform in ``[low, high)`` (``low`` 0 when left out), int64 by default:
    ``torch.randint(high, size)`` or ``torch.randint(low, high, size)``."""
    _check_device(device)
    low, high, size = _low_high_size(low, high, size, "randint")
    dt = _dtype(dtype, np.int64)
    _check_grad_dtype(dt, requires_grad)
    return _make(R.randint(low, high, shape_arg((size,)), dt, generator), requires_grad)


def randperm(n, *, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 by default): ``torch.randperm``."""
    _check_device(device)
    dt = _dtype(dtype, np.int64)
    _check_grad_dtype(dt, requires_grad)
    return _make(R.randperm(n, dt, generator), requires_grad)


def draw_like(input, draw):
    """``draw(shape)`` (an array of ``input``'s shape) laid out as torch draws into
    ``empty_like(input)``: in the order of torch's ``input``'s strides. Where ``input`` is a
    view (``transpose``, ``permute``, ``t``, a slice...) of a C-contiguous tensor, its strides
    are torch's: ``rand_like(x.t())`` is ``rand_like(x).t()``, and a batch_first attention output
    transposed back gets torch's dropout mask. Elsewhere the draw is in index order, as for
    torch's contiguous tensors — which includes the library's own layouts (a convolution's
    result is an NCHW view of batch-innermost memory here, contiguous in torch) — but not a
    channels_last tensor (``x.contiguous(memory_format=torch.channels_last)``), drawn in its
    memory order as torch's."""
    a = input.array
    view = input.__dict__.get("_view")
    if view is not None and view[0].array.flags.c_contiguous or a.ndim in (4, 5) and memory_order(a) == (0,) + tuple(range(2, a.ndim)) + (1,):
        return in_memory_order(a, draw)
    return draw(input.shape)


def rand_like(input, *, dtype=None, requires_grad=False, device=None, generator=None):
    """``rand`` with ``input``'s shape and (unless given) dtype, drawn as torch's
    ``empty_like(input).uniform_()`` (:func:`draw_like`): ``rand_like(x.t())`` is
    ``rand_like(x).t()``."""
    draw = lambda shape: rand(shape, generator=generator, dtype=dtype or input.dtype,  # noqa
                              requires_grad=requires_grad, device=device).array
    return _make(draw_like(input, draw), requires_grad)


def randn_like(input, *, dtype=None, requires_grad=False, device=None, generator=None):
    """``randn`` with ``input``'s shape and (unless given) dtype, drawn as torch's
    ``empty_like(input).normal_()`` (:func:`draw_like`). (torch fills a non-contiguous float
    tensor of 16 or more elements one Box–Muller pair per element, not as ``randn``: those
    numbers differ from torch's.)"""
    draw = lambda shape: randn(shape, generator=generator, dtype=dtype or input.dtype,  # noqa
                               requires_grad=requires_grad, device=device).array
    return _make(draw_like(input, draw), requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, requires_grad=False, device=None,
                 generator=None):
    """``randint`` with ``input``'s shape and (unless given) dtype: ``randint_like(x, high)``
    or ``randint_like(x, low, high)``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, generator=generator, dtype=dtype or input.dtype,
                   requires_grad=requires_grad, device=device)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False,
           device=None) -> Tensor:
    """Normal samples, torch's four forms:

    * ``normal(mean, std, size)`` with numbers: ``size`` samples of N(mean, std²);
    * ``normal(mean_tensor, std=1.0)``: one sample per element of ``mean``,
      drawn as ``N(0, std²) + mean``;
    * ``normal(mean, std_tensor)`` / ``normal(mean_tensor, std_tensor)``: ``N(0, 1)·std +
      mean`` over the broadcast shape, in the tensors' dtype (as torch computes it)."""
    _check_device(device)
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mean_t and not std_t:
        if size is None:
            raise TypeError("normal() with a number mean and std needs a size")
        return _make(R.normal(shape_arg((size,)), mean, std, _dtype(dtype, default_float()),
                              generator), requires_grad)
    if size is not None:
        raise TypeError("normal(): size is only for a number mean and std (the tensor forms "
                        "take their shape from mean/std)")
    if std_t and not np.all(std.array >= 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if mean_t and not std_t:
        z = R.normal(mean.shape, 0.0, std, mean.dtype, generator)
        return Tensor._of(z + mean.array)
    m = mean.array if mean_t else np.asarray(mean)
    s = std.array
    dt = np.result_type(m, s) if mean_t else s.dtype
    shape = np.broadcast_shapes(np.shape(m), s.shape)
    z = R.normal(shape, 0.0, 1.0, dt, generator)
    return Tensor._of((z * s.astype(dt) + np.asarray(m).astype(dt)).astype(dt))


@tensor_method
def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """0/1 samples in ``input``'s dtype: 1 with probability ``input`` (element by element),
    or with probability ``p`` for every element when ``p`` is a number."""
    if p is None:
        return Tensor._of(R.bernoulli(input.array, generator=generator))
    return Tensor._of(R.bernoulli(p, input.shape, input.dtype, generator))


@tensor_method
def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """int64 indices drawn from the (unnormalised) probabilities in each row of ``input``
    (1-D or 2-D), with or without replacement."""
    return Tensor._of(R.multinomial(input.array, num_samples, replacement, generator))


# ---------------------------------------------------------------------------- in-place fills
def _fill(self, name, draw):
    """``self`` ← ``draw(shape, dtype)``, in place (version moved; leaves only under no_grad)."""
    def values(x):
        return Tensor._of(np.asarray(draw(x.shape, x.dtype)).astype(x.dtype, copy=False))
    return inplace(self, values, name=name)


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    """Fill with U(a, b) samples (float tensors)."""
    return _fill(self, "uniform_", lambda shape, dt: R.uniform(shape, a, b, dt, generator))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with N(mean, std²) samples (float tensors)."""
    return _fill(self, "normal_", lambda shape, dt: R.normal(shape, mean, std, dt, generator))


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1, 1 with probability ``p`` (a number, or a tensor broadcast to this
    shape: one draw per element, in ``p``'s float dtype)."""
    if isinstance(p, Tensor):
        return _fill(self, "bernoulli_",
                     lambda shape, dt: R.bernoulli(p.array, shape, dt, generator))
    return _fill(self, "bernoulli_", lambda shape, dt: R.bernoulli(p, shape, dt, generator))


def random_(self, *bounds, generator=None):
    """Fill with integers: ``random_()`` from 0 to the dtype's largest (for a float dtype,
    2**digits: 2**24 for float32), ``random_(to)`` in ``[0, to)``, ``random_(from, to)`` in
    ``[from, to)``, ``random_(from, None)`` from ``from`` to the largest."""
    if len(bounds) > 2 or not all(b is None or isinstance(b, numbers.Integral) for b in bounds) \
            or bounds == (None,):
        raise TypeError(f"random_(): expected no bounds, (to) or (from, to) as integers, got "
                        f"{bounds}")
    low, high = (None, None) if not bounds else (0, bounds[0]) if len(bounds) == 1 else bounds
    return _fill(self, "random_",
                 lambda shape, dt: R.random_fill(shape, dt, low, high, generator))


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with Exp(lambd) samples (float tensors)."""
    return _fill(self, "exponential_",
                 lambda shape, dt: R.exponential(shape, lambd, dt, generator))


for _method in (uniform_, normal_, bernoulli_, random_, exponential_):
    setattr(Tensor, _method.__name__, _method)
