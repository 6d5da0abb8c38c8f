"""Random tensors, with torch's numbers: after ``manual_seed(s)`` the same calls as in torch
give the same values, bit for bit.

* the generator: ``manual_seed``, ``seed``, ``initial_seed``, ``get_rng_state``,
  ``set_rng_state``, ``Generator``, ``default_generator``;
* new tensors: ``rand``, ``randn``, ``randint``, ``randperm``, ``rand_like``, ``randn_like``,
  ``randint_like``, ``normal``, ``bernoulli``, ``multinomial``, ``poisson``;
* in-place fills (Tensor methods): ``uniform_``, ``normal_``, ``bernoulli_``, ``random_``,
  ``exponential_`` (and ``cauchy_``, ``geometric_``, ``log_normal_``: :mod:`.random_more`).
  As every in-place operation they move the tensor's version counter, and on a leaf that
  requires grad they are refused unless grad mode is off (``no_grad()``, as ``nn.init`` does).

Every draw goes through :mod:`tinygrad_sgd.random` (the NumPy layer, where the notes on how
torch makes each number are), from the default generator or the ``generator=`` given.

The order of the draws is torch's: its kernels walk a tensor in memory order (TensorIterator),
so a transposed or permuted view is filled as the contiguous tensor it views
(``zeros(2, 3).t().uniform_()`` is ``zeros(2, 3).uniform_().t()``), a slice with steps in
index order; and ``normal_`` of a tensor that is not contiguous takes torch's per-element
path whatever its size (:func:`walk_order`, ``serial=`` of :func:`tinygrad_sgd.random.normal`).
``rand_like(x)`` and the other ``*_like`` keep x's layout (torch's ``preserve_format``), so
they draw in x's memory order and return x's strides. Torch's strides are the NumPy array's,
except where the array may be in one of the library's own layouts (convolution, pooling and
resampling results: contiguous tensors in torch; :func:`tinygrad_sgd.creation.torch_strides`).

torch's ``normal``/``bernoulli``/``poisson`` of a tensor that requires grad give a result that
requires grad with a gradient of zero, as here (:mod:`tinygrad_sgd.ops.random`);
``bernoulli(input, p)`` with a number ``p`` has a node whose backward raises, as torch's.
"""
# house: long file — torch's random factories, their argument forms (randint's three spellings,
# layout/device checks) and the memory-order draws they share are kept on one page
import numbers
import warnings

import numpy as np

from ..errors import warn_level
from .. import random as R
from ..arguments import listed, shape_arg
from ..creation import contiguous_strides, dim_order, like_strides, made_like, torch_strides
from ..device import META, check_device
from ..dtypes import default_float
from ..meta import is_meta, like_strides as meta_strides, make
from ..kernels.layout import inverse_order
from ..memory_layout import check_layout
from ..autograd import is_grad_enabled
from ..autograd.torch_names import named
from ..ops.random import BernoulliSample, NormalSample, PoissonSample
from ..tensor import Tensor, tensor_method
from .elementwise import where
from .inplace import inplace

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "get_rng", "rand", "randn", "randint", "randperm",
           "rand_like", "randn_like", "randint_like", "normal", "bernoulli", "multinomial",
           "poisson"]

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
                  "or pass generator=", DeprecationWarning, stacklevel=warn_level(2))
    return R.default_generator


# ---------------------------------------------------------------------------- arguments
def _check_device(device, layout=None, op=None, input=None):
    """Refuse a device other than the CPU; True for the meta device (``device='meta'``, a meta
    default device, or a meta ``input`` of a ``*_like``): then nothing is drawn."""
    check_layout(layout, op)          # (the one layout: strided)
    if device is None:
        return (input is not None and is_meta(input)) or \
            (input is None and check_device(None, meta=True) is META)
    if check_device(device, meta=True) is META:
        return True
    if str(device) != "cpu":
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


# ---------------------------------------------------------------------------- draw order
def walk_order(t) -> tuple:
    """The dims of ``t`` from the outermost in memory to the innermost: the order torch's
    random kernels fill ``t`` in (TensorIterator's, from torch's strides of ``t``)."""
    return dim_order(t.shape, torch_strides(t))


def _contiguous(shape, strides) -> bool:
    """torch's ``is_contiguous()``: row-major strides (a dim of size 1 may have any)."""
    return all(st == c for n, st, c in zip(shape, strides, contiguous_strides(shape)) if n > 1)


def _in_order(shape, order, draw):
    """``draw(shape)`` made in the dims ``order`` (outermost first): ``draw`` is called with
    the permuted shape, its result transposed back."""
    if order == tuple(range(len(shape))):
        return draw(tuple(shape))
    return draw(tuple(shape[d] for d in order)).transpose(inverse_order(order))


def _new_like(input, memory_format, draw, requires_grad):
    """torch's ``empty_like(input, memory_format=...)`` filled by ``draw(shape, contiguous)``
    in its memory order: a tensor with :func:`tinygrad_sgd.creation.like_strides`."""
    strides = like_strides(input, memory_format)
    contiguous = _contiguous(input.shape, strides)
    values = _in_order(input.shape, dim_order(input.shape, strides),
                       lambda shape: draw(shape, contiguous))
    return made_like(np.asarray(values), strides, requires_grad)


def draw_like(input, draw):
    """``draw(shape)`` (an array of that shape) laid out as torch draws into
    ``empty_like(input)``: in the memory order of torch's ``input`` (:func:`walk_order` of
    :func:`tinygrad_sgd.creation.like_strides`). ``rand_like(x.t())`` is ``rand_like(x).t()``,
    and a batch_first attention output transposed back gets torch's dropout mask."""
    if input.array.flags.c_contiguous:      # (row-major whichever strides torch reads: the
        return draw(input.shape)              # common case, dropout's, without the sort)
    strides = like_strides(input)
    return _in_order(input.shape, dim_order(input.shape, strides), draw)


# ---------------------------------------------------------------------------- new tensors
def _size(op, size, size_keyword):
    """The size of ``rand``/``randn``: torch asks for one (``rand(())`` is a 0-d tensor,
    ``rand()`` an error)."""
    if not size and not size_keyword:
        raise TypeError(f"{op}() received an invalid combination of arguments - got (), but "
                        f"expected one of:\n * (tuple of ints size, *, torch.Generator "
                        f"generator, Tensor out = None, torch.dtype dtype = None, torch.layout "
                        f"layout = None, torch.device device = None, bool pin_memory = False, "
                        f"bool requires_grad = False)")
    return listed(op, size, size_keyword, "size")


def rand(*size, generator=None, dtype=None, layout=None, requires_grad=False, device=None,
         **size_keyword) -> Tensor:
    """Uniform samples in [0, 1) (``dtype`` the default float dtype, float32, unless given):
    ``torch.rand``."""
    meta = _check_device(device, layout, "rand")
    shape = _size("rand", size, size_keyword)
    if meta:                                      # (no memory, nothing drawn: as torch)
        return make(shape, _dtype(dtype, default_float()), requires_grad)
    return _make(R.rand(shape, _dtype(dtype, default_float()), generator), requires_grad)


def randn(*size, generator=None, dtype=None, layout=None, requires_grad=False, device=None,
          **size_keyword) -> Tensor:
    """Standard normal samples (``dtype`` the default float dtype, float32, unless given):
    ``torch.randn``."""
    meta = _check_device(device, layout, "randn")
    shape = _size("randn", size, size_keyword)
    if meta:                                      # (no memory, nothing drawn: as torch)
        return make(shape, _dtype(dtype, default_float()), requires_grad)
    return _make(R.randn(shape, _dtype(dtype, default_float()), generator), requires_grad)


def _int_bound(value, name, position, fn):
    """An integer bound of randint as torch's parser takes it: an int or a 0-d integer
    tensor; a float, a bool or a float tensor is refused."""
    if isinstance(value, Tensor) and value.numel() == 1 and value.dtype.kind in "iu":
        return int(value.item())
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be int, not "
                    f"{type(value).__name__}")


def _low_high_size(low, high, size, fn):
    """torch's two spellings: ``f(high, size)`` and ``f(low, high, size)``."""
    if low is None:                                   # f(high=h, size=s)
        if high is None:
            raise TypeError(f'{fn}() missing 2 required positional argument: "high", "size"')
        low = 0
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
        high = _int_bound(high, "high", 1, fn)
    elif high is None:
        low, high = 0, _int_bound(low, "high", 1, fn)
    else:
        low, high = _int_bound(low, "low", 1, fn), _int_bound(high, "high", 2, fn)
    if size is None:
        raise TypeError(f"{fn}() missing 1 required positional arguments: \"size\"")
    return low, high, size


def randint(low=None, high=None, size=None, *, generator=None, dtype=None, layout=None,
            requires_grad=False, device=None) -> Tensor:
    """Integers uniform in ``[low, high)`` (``low`` 0 when left out), int64 by default:
    ``torch.randint(high, size)`` or ``torch.randint(low, high, size)``."""
    meta = _check_device(device, layout, "randint")
    low, high, size = _low_high_size(low, high, size, "randint")
    dt = _dtype(dtype, np.int64)
    _check_grad_dtype(dt, requires_grad)
    if meta:
        return make(shape_arg((size,)), dt, requires_grad)
    return _make(R.randint(low, high, shape_arg((size,)), dt, generator), requires_grad)


def randperm(n, *, generator=None, dtype=None, layout=None, requires_grad=False, device=None):
    """A random permutation of ``0 .. n-1`` (int64 by default): ``torch.randperm``."""
    meta = _check_device(device, layout, "randperm")
    dt = _dtype(dtype, np.int64)
    _check_grad_dtype(dt, requires_grad)
    from .elementwise import no_shell_kernel
    no_shell_kernel("randperm", dt)
    if meta:
        return make((n,), dt, requires_grad)
    return _make(R.randperm(n, dt, generator), requires_grad)


def rand_like(input, *, dtype=None, layout=None, requires_grad=False, device=None,
              generator=None, memory_format=None):
    """``rand`` with ``input``'s shape, dtype (unless given) and layout: torch's
    ``empty_like(input).uniform_()``, drawn in the memory order of ``input`` — ``rand_like(x.t())``
    is ``rand_like(x).t()``, strides included."""
    meta = _check_device(device, layout, "rand_like", input)
    dt = _dtype(dtype, input.dtype)
    if meta:
        return make(input.shape, dt, requires_grad,
                    meta_strides(input, memory_format, "rand_like"))
    return _new_like(input, memory_format,
                     lambda shape, _: R.rand(shape, dt, generator), requires_grad)


def randn_like(input, *, dtype=None, layout=None, requires_grad=False, device=None,
               generator=None, memory_format=None):
    """``randn`` with ``input``'s shape, dtype (unless given) and layout: torch's
    ``empty_like(input).normal_()``, drawn in the memory order of ``input``; where that tensor
    is not contiguous (``randn_like(x.t())``) torch takes its per-element path, as here."""
    meta = _check_device(device, layout, "randn_like", input)
    dt = _dtype(dtype, input.dtype)
    if meta:
        return make(input.shape, dt, requires_grad,
                    meta_strides(input, memory_format, "randn_like"))
    return _new_like(input, memory_format,
                     lambda shape, contiguous: R.normal(shape, 0.0, 1.0, dt, generator,
                                                        serial=not contiguous), requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, requires_grad=False,
                 device=None, generator=None, memory_format=None):
    """``randint`` with ``input``'s shape, dtype (unless given) and layout:
    ``randint_like(x, high)`` or ``randint_like(x, low, high)``, drawn in ``input``'s memory
    order (torch's ``empty_like(input).random_(low, high)``)."""
    meta = _check_device(device, layout, "randint_like", input)
    if high is None:
        low, high = 0, _int_bound(low, "high", 2, "randint_like")
    else:
        low = _int_bound(low, "low", 2, "randint_like")
        high = _int_bound(high, "high", 3, "randint_like")
    dt = _dtype(dtype, input.dtype)
    _check_grad_dtype(dt, requires_grad)
    if meta:
        return make(input.shape, dt, requires_grad,
                    meta_strides(input, memory_format, "randint_like"))
    return _new_like(input, memory_format,
                     lambda shape, _: R.randint(low, high, shape, dt, generator), requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, layout=None,
           requires_grad=False, device=None) -> Tensor:
    """Normal samples, torch's four forms:

    * ``normal(mean, std, size)`` with numbers: ``size`` samples of N(mean, std²);
    * ``normal(mean_tensor, std=1.0)``: one sample per element of ``mean``,
      drawn as ``N(0, std²) + mean``;
    * ``normal(mean, std_tensor)`` / ``normal(mean_tensor, std_tensor)``: ``N(0, 1)·std +
      mean`` over the broadcast shape, in the tensors' dtype (as torch computes it).
    The results are contiguous, drawn in index order whatever the layout of mean and std."""
    meta = _check_device(device, layout, "normal")
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mean_t and not std_t:
        if size is None:
            raise TypeError("normal() with a number mean and std needs a size")
        if meta:
            return make(shape_arg((size,)), _dtype(dtype, default_float()), requires_grad)
        return _make(R.normal(shape_arg((size,)), mean, std, _dtype(dtype, default_float()),
                              generator), requires_grad)
    if size is not None:
        raise TypeError("normal(): size is only for a number mean and std (the tensor forms "
                        "take their shape from mean/std)")
    if meta and device is not None:     # (the tensor forms draw on mean's and std's device)
        raise TypeError("normal(): device= is only for a number mean and std")
    if std_t and not np.all(std.array >= 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if mean_t and not std_t:
        z = R.normal(mean.shape, 0.0, std, mean.dtype, generator)
        return _sampled(NormalSample, z + mean.array, "NormalBackward1", mean)
    m = mean.array if mean_t else np.asarray(mean)
    s = std.array
    dt = np.result_type(m, s) if mean_t else s.dtype
    shape = np.broadcast_shapes(np.shape(m), s.shape)
    z = R.normal(shape, 0.0, 1.0, dt, generator)
    z = (z * s.astype(dt) + np.asarray(m).astype(dt)).astype(dt)
    return _sampled(NormalSample, z, "NormalBackward3", mean, std) if mean_t else \
        _sampled(NormalSample, z, "NormalBackward2", std)


def _sampled(op, sample, name, *params):
    """The drawn array as the result of ``op`` (:mod:`tinygrad_sgd.ops.random`) of the
    parameter tensors: it requires grad when one does, with derivative 0, as torch's."""
    return named(op.apply(*params, sample=sample), name)


@tensor_method
def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """0/1 samples in ``input``'s dtype: 1 with probability ``input`` (element by element),
    or with probability ``p`` for every element when ``p`` is a number. The result is
    contiguous (torch's), drawn in index order."""
    if p is None:
        return _sampled(BernoulliSample, R.bernoulli(input.array, generator=generator),
                        "BernoulliBackward0", input)
    out = Tensor._of(R.bernoulli(p, input.shape, input.dtype, generator))
    if input.requires_grad and is_grad_enabled():    # torch: a node with no derivative
        from ..ops import NoDerivative
        out = NoDerivative.apply(out, input, what="aten::bernoulli")
    return out


@tensor_method
def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """int64 indices drawn from the (unnormalised) probabilities in each row of ``input``
    (1-D or 2-D), with or without replacement. Without replacement torch draws one
    exponential per probability into ``empty_like(input)``: for a transposed ``input``
    column by column, as here."""
    transposed = input.ndim == 2 and dim_order(input.shape, like_strides(input)) == (1, 0)
    return Tensor._of(R.multinomial(input.array, num_samples, replacement, generator,
                                    transposed=transposed))


def poisson(input, generator=None) -> Tensor:
    """Poisson counts, one per rate in ``input`` (a float tensor), in its dtype:
    ``torch.poisson`` (torch's sampler, replayed draw for draw:
    :func:`tinygrad_sgd.random.distributions.poisson`)."""
    return _sampled(PoissonSample, R.poisson(input.array, generator), "PoissonBackward0", input)


# ---------------------------------------------------------------------------- in-place fills
def _fill(self, name, draw, order=None):
    """``self`` ← ``draw(shape, dtype)``, in place (version moved; leaves only under no_grad),
    drawn in ``order`` — by default :func:`walk_order`, torch's: ``draw`` is asked for the
    permuted shape and its values are transposed back."""
    torch_name = "".join(w.capitalize() for w in name[:-1].split("_")) + \
        ("Backward0" if name != "bernoulli_" else "Backward2" if order is None else "Backward1")
    order = walk_order(self) if order is None else order

    def values(x):
        drawn = _in_order(x.shape, order, lambda shape: np.asarray(draw(shape, x.dtype)))
        out = Tensor._of(drawn.astype(x.dtype, copy=False))
        if x.requires_grad and is_grad_enabled():
            # torch keeps a tensor in a graph there, with a zero gradient (UniformBackward0)
            out = named(where(Tensor._of(np.ones(x.shape, bool)), out, x), torch_name, x)
        return out
    return inplace(self, values, name=name)


def _from_to(op, args, names, defaults):
    """torch's ``(from, to)`` of ``uniform_``/``random_`` given by position or by name
    (``from`` is a Python keyword: ``x.uniform_(**{"from": 1, "to": 2})``); None marks
    one not given."""
    if len(args) > 2:
        raise TypeError(f"{op}() takes from 0 to 2 positional arguments but {len(args)} were "
                        f"given")
    given = dict(zip(("from", "to"), args))
    for key, value in names.items():
        if key not in ("from", "to"):
            raise TypeError(f"{op}() got an unexpected keyword argument '{key}'")
        if key in given:
            raise TypeError(f"{op}() got multiple values for argument '{key}'")
        given[key] = value
    return tuple(given.get(k, d) for k, d in zip(("from", "to"), defaults)), given


def _number(value):
    """A bound given as a number or a one-element tensor."""
    return value.item() if isinstance(value, Tensor) else value


def uniform_(self, *bounds, generator=None, **names):
    """Fill with U(from, to) samples (float tensors): ``uniform_(from=0, to=1)``."""
    (low, high), _ = _from_to("uniform_", bounds, names, (0.0, 1.0))
    low, high = _number(low), _number(high)
    return _fill(self, "uniform_",
                 lambda shape, dt: R.uniform(shape, low, high, dt, generator))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with N(mean, std²) samples (float tensors). A tensor that is not contiguous is
    filled element by element (torch's path for it), in its memory order."""
    serial = not _contiguous(self.shape, torch_strides(self))
    return _fill(self, "normal_",
                 lambda shape, dt: R.normal(shape, mean, std, dt, generator, serial=serial))


def _broadcast_strides(t, shape):
    """torch's strides of ``t`` expanded to ``shape`` (0 along the new and the broadcast
    dims)."""
    if t.ndim > len(shape):
        raise RuntimeError(f"expand: the number of sizes provided ({len(shape)}) must be "
                           f"greater or equal to the number of dimensions in the tensor "
                           f"({t.ndim})")
    lead = len(shape) - t.ndim
    strides = torch_strides(t)
    return (0,) * lead + tuple(0 if n == 1 and shape[lead + d] != 1 else strides[d]
                               for d, n in enumerate(t.shape))


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1, 1 with probability ``p`` (a number, or a tensor broadcast to this
    shape: one draw per element, in ``p``'s float dtype; torch walks the two together,
    ordered by this tensor's memory first, then by ``p``'s)."""
    if isinstance(p, Tensor):
        order = dim_order(self.shape, torch_strides(self), _broadcast_strides(p, self.shape))
        probs = np.broadcast_to(p.array, self.shape).transpose(order)
        return _fill(self, "bernoulli_",
                     lambda shape, dt: R.bernoulli(probs, shape, dt, generator), order)
    return _fill(self, "bernoulli_", lambda shape, dt: R.bernoulli(p, shape, dt, generator))


_RANDOM_FORMS = (set(), {"to"}, {"from", "to"})


def _random_bounds(args, names):
    """(from, to) of ``random_()``, ``random_(to)``, ``random_(from, to)`` — by position or by
    name, integers (or one-element integer tensors), ``to`` None only after a ``from`` — as
    torch's parser takes them; None, None for no bounds."""
    if len(args) == 1 and not names:                  # random_(to)
        given = {"to": args[0]}
    else:
        _, given = _from_to("random_", args, names, (None, None))
    given = {key: _number(value) for key, value in given.items()}

    def valid(key, value):
        if value is None:
            return key == "to" and "from" in given
        return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if set(given) not in _RANDOM_FORMS or not all(valid(k, v) for k, v in given.items()):
        got = ", ".join(f"{k}={type(v).__name__}" if k in names else type(v).__name__
                        for k, v in given.items())
        raise TypeError(f"random_() received an invalid combination of arguments - got "
                        f"({got}), but expected one of:\n * (*, torch.Generator generator = "
                        f"None)\n * (int from, int to, *, torch.Generator generator = None)\n"
                        f" * (int to, *, torch.Generator generator = None)")
    if not given:
        return None, None
    return given.get("from", 0), given["to"]


def random_(self, *bounds, generator=None, **names):
    """Fill with integers: ``random_()`` from 0 to the dtype's largest (for a float dtype,
    2**digits: 2**24 for float32), ``random_(to)`` in ``[0, to)``, ``random_(from, to)`` in
    ``[from, to)``, ``random_(from, None)`` from ``from`` to the largest (also by name:
    ``random_(to=5)``, ``random_(**{"from": 2, "to": 5})``)."""
    low, high = _random_bounds(bounds, names)
    return _fill(self, "random_",
                 lambda shape, dt: R.random_fill(shape, dt, low, high, generator))


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with Exp(lambd) samples (float tensors)."""
    return _fill(self, "exponential_",
                 lambda shape, dt: R.exponential(shape, lambd, dt, generator))


for _method in (uniform_, normal_, bernoulli_, random_, exponential_):
    setattr(Tensor, _method.__name__, _method)
