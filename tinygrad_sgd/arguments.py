"""Checking and normalising the arguments users pass: sizes, dims and pairs.

One place for each rule, so every op says the same thing about the same mistake:

* :func:`shape_arg` — sizes given as ``f(2, 3)`` or ``f((2, 3))``; :func:`listed` — or
  ``f(size=(2, 3))``, by the list's name, as torch's methods take them too;
* :func:`numpy_names` — NumPy's ``axis`` and ``keepdims`` for ``dim`` and ``keepdim``;
* :func:`normalize_dims` / :func:`normalize_dim` — ``dim=-1``, ``dim=(0, 2)``, checked;
* :func:`pair` — ``kernel_size=5`` or ``(5, 3)`` for the 2-D layers and functions.
"""
import functools
import operator

import numpy as np

from .errors import ShapeError

__all__ = ["shape_arg", "listed", "numpy_names", "accept_numpy_names", "normalize_dims",
           "normalize_dim", "pair", "kept_shape"]


def shape_arg(shape):
    """Sizes or dims given as ``f(2, 3)`` or ``f((2, 3))``, as a tuple of ints; a float (or a
    float tensor) is refused, not truncated (``zeros(2.5)`` is an error, as in torch)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return tuple(operator.index(s) for s in shape)
    except TypeError:
        bad = next(s for s in shape if not hasattr(type(s), "__index__") or
                   getattr(getattr(s, "dtype", None), "kind", "i") not in "iu")
        raise TypeError(f"sizes and dims must be integers, got {bad!r} "
                        f"({type(bad).__name__}) in {tuple(shape)}") from None


def listed(op, args, keywords, name):
    """Sizes or dims given as ``f(2, 3)``, ``f((2, 3))`` or — as torch's methods that take them
    one by one also accept — ``f(name=(2, 3))``, as a tuple of ints; another keyword, or the
    list given both ways, is torch's TypeError."""
    if keywords:
        other = next((k for k in keywords if k != name), None)
        if other is not None:
            raise TypeError(f"{op}() got an unexpected keyword argument {other!r}")
        if args:
            raise TypeError(f"{op}() got multiple values for argument {name!r}")
        args = (keywords[name],)
    return shape_arg(args)


# torch's argument parser takes these NumPy names of two arguments in every function and method
# that has them, but for those it writes in Python (norm, split, unique, unique_consecutive,
# Tensor.unflatten; nn.functional): tinygrad_sgd/__init__.py gives the same ones the same.
NUMPY_NAMES = {"axis": "dim", "keepdims": "keepdim"}


def numpy_names(fn):
    """``fn`` also taking ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``."""
    @functools.wraps(fn)
    def call(*args, **kwargs):
        if "axis" in kwargs or "keepdims" in kwargs:
            for alias, name in NUMPY_NAMES.items():
                if alias in kwargs:
                    if name in kwargs:      # (both: torch's parser does not know the alias)
                        raise TypeError(f"{fn.__name__}() got an unexpected keyword argument "
                                        f"{alias!r}")
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)
    call.numpy_names = True
    return call


# (the functions and methods torch writes in Python, which take no alias)
WITHOUT_NUMPY_NAMES = {"function": {"norm", "split", "unique", "unique_consecutive"},
                       "method": {"norm", "split", "unflatten", "unique", "unique_consecutive"}}


def accept_numpy_names(namespace, cls):
    """Give the functions of ``namespace`` (the package's globals) and the methods of ``cls``
    (Tensor) that have a ``dim`` or ``keepdim`` argument NumPy's names for them too
    (:func:`numpy_names`), under every name they have there."""
    import inspect
    wrapped = {}
    for place, without in ((namespace, WITHOUT_NUMPY_NAMES["function"]),
                           (vars(cls), WITHOUT_NUMPY_NAMES["method"])):
        for key, fn in list(place.items()):
            if key.startswith("_") or key in without or not callable(fn) or \
                    isinstance(fn, type) or getattr(fn, "numpy_names", False):
                continue
            try:
                parameters = inspect.signature(fn).parameters
            except (TypeError, ValueError):
                continue
            if "dim" in parameters or "keepdim" in parameters:
                if id(fn) not in wrapped:       # (one wrapper for a function and method)
                    wrapped[id(fn)] = numpy_names(fn)
                if place is namespace:
                    namespace[key] = wrapped[id(fn)]
                else:
                    setattr(cls, key, wrapped[id(fn)])


def normalize_dims(dim, ndim, op):
    """``dim`` (None, int or tuple) as a sorted tuple of non-negative axes, checked."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = [normalize_dim(d, ndim, op) for d in dims]
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: dim {dim} names the same dimension twice")
    return tuple(sorted(out)) if ndim else ()


def normalize_dim(dim, ndim, op):
    """One ``dim`` as a non-negative axis; a 0-d tensor accepts 0 and -1, as in torch."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} "
                         f"dimensions (expected in [{-n}, {n - 1}])")
    return int(dim) % n


def kept_shape(shape, dims):
    """``shape`` with every reduced axis set to 1 (the keepdim shape)."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def pair(value, name, op=None):
    """``5`` → ``(5, 5)``; ``(5, 3)`` stays; anything else is refused, naming the argument."""
    if type(value) is int:              # (the common cases first: every layer call asks)
        return value, value
    if type(value) is tuple and len(value) == 2 and type(value[0]) is int and type(value[1]) is int:
        return value
    where = f"{op}: " if op else ""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2:
        raise ValueError(f"{where}{name} must be an int or a pair of ints, got {value!r}")
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
        raise TypeError(f"{where}{name} must be an int or a pair of ints, got {value!r}")
    return int(items[0]), int(items[1])
