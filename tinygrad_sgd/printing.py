"""Printing tensors as torch prints them: ``tensor(3.5000)``, ``tensor([1., 2.])``,
``tensor([1.0000e+10, 1.0000e+00])``, summarised with ``...`` past 1,000 elements.

The rule (torch's ``_Formatter``): look at the finite non-zero values of a float tensor. If all
are whole numbers, print them as ``1.``; use scientific notation when the largest is over 1e8,
or the largest over the smallest is over 1000 (and, for fractions, when the smallest is under
1e-4); else 4 decimals. Every element is padded to the widest one.
"""
import math
import sys
from collections import namedtuple
from dataclasses import dataclass

import numpy as np

from .dtypes import default_float
from .meta import MetaArray

__all__ = ["set_printoptions", "tensor_repr", "return_type"]


@dataclass
class _Options:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: object = None
    namespace: str = "tinygrad_sgd"    # how dtypes and sizes name their module ("torch" while
                                       # the as_torch runner runs a torch program)


OPTIONS = _Options()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """As ``torch.set_printoptions``: ``profile`` "default", "short" or "full" sets those
    presets; any other profile (torch's docs once named "long") changes nothing, as torch's."""
    presets = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
               "full": (4, math.inf, 3, 80)}
    if profile in presets:
        (OPTIONS.precision, OPTIONS.threshold, OPTIONS.edgeitems,
         OPTIONS.linewidth) = presets[profile]
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(OPTIONS, name, value)
    OPTIONS.sci_mode = sci_mode


class _Formatter:
    def __init__(self, values):
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.width = max(self.width, len(str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        magnitudes = np.abs(finite)
        lo, hi = magnitudes.min(), magnitudes.max()
        self.int_mode = bool((finite == np.ceil(finite)).all())
        with np.errstate(over="ignore"):                 # float64 extremes: inf, as torch
            ratio = hi / lo
        sci = ratio > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4)
        self.sci_mode = sci if OPTIONS.sci_mode is None else bool(OPTIONS.sci_mode)
        p = OPTIONS.precision
        for v in finite.tolist():
            if self.sci_mode:
                text = f"{v:.{p}e}"
            elif self.int_mode:
                text = f"{v:.0f}."
            else:
                text = f"{v:.{p}f}"
            self.width = max(self.width, len(text))

    def format(self, v):
        if not self.floating:
            text = str(v)
        elif self.sci_mode:
            text = f"{v:.{OPTIONS.precision}e}"
        elif self.int_mode:
            text = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            text = f"{v:.{OPTIONS.precision}f}"
        return text.rjust(self.width)


def _summarized(a):
    """The elements that will be shown (edge items of every dim) — the formatter's input."""
    e = OPTIONS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:       # (edgeitems=0: a[-0:] is all of it, as in torch's)
        return np.concatenate([a[:e], a[-e:]]) if a.shape[0] > 2 * e else a
    if not e:             # (edgeitems=0: nothing is shown but "...")
        return a[:0]
    if a.shape[0] > 2 * e:
        a = np.concatenate([a[:e], a[-e:]])
    return np.stack([_summarized(row) for row in a])


def _vector(a, indent, summarize, fmt):
    per_line = max(1, (OPTIONS.linewidth - indent) // (fmt.width + 2))
    e = OPTIONS.edgeitems
    if summarize and not e:
        items = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        items = [fmt.format(v) for v in a[:e].tolist()] + [" ..."] + \
            [fmt.format(v) for v in a[-e:].tolist()]
    else:
        items = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    e = OPTIONS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        rows = [_nested(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."] + \
            [_nested(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0] - e,
                                                                   a.shape[0])]
    else:
        rows = [_nested(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def values_str(a, indent):
    """The bracketed numbers of an array, as torch lays them out."""
    if a.size == 0:
        return "[]"
    summarize = a.size > OPTIONS.threshold
    fmt = _Formatter(_summarized(a) if summarize else a)
    return _nested(a, indent, summarize, fmt)


def tensor_repr(t, prefix=None):
    """``tensor([...], dtype=..., grad_fn=<...>)`` with torch's line breaking of suffixes; a
    Tensor subclass's (a user's ``class MyT(Tensor)``) as ``MyT([...])``, as torch's."""
    if prefix is None:
        from .nn.module import Parameter
        prefix = "tensor(" if type(t).__name__ == "Tensor" or type(t) is Parameter else \
            f"{type(t).__name__}("
    a = t.array
    indent = len(prefix)
    suffixes = []
    meta = type(a) is MetaArray       # (a meta tensor: "...", its device and size, as torch)
    if meta:
        suffixes += ["device='meta'", f"size={tuple(a.shape)}"]
    elif (a.size == 0 and a.shape != (0,)) or (a.size and not OPTIONS.edgeitems):
        suffixes.append(f"size={tuple(a.shape)}")       # (torch's, for edgeitems=0)
    default = default_float()       # torch names every dtype but the default float, int64, bool
    if a.dtype not in (default, np.int64, np.bool_) or (a.dtype != default and
                                                        (a.size == 0 or meta)):
        suffixes.append(f"dtype={OPTIONS.namespace}.{a.dtype}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name().rsplit('::', 1)[-1]}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    tangent = t.__dict__.get("_fw_grad")
    if tangent is not None:                  # a dual tensor of forward AD (autograd.forward_ad)
        suffixes.append(f"tangent={tensor_repr(tangent)}")
    body = "..." if meta else values_str(a, indent)
    out = [prefix + body]
    last = len(out[0]) - out[0].rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > OPTIONS.linewidth:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"


def return_type(name, fields):
    """A named tuple for the results of ``max(dim)``, ``sort``, ``topk``, ... that prints as
    torch's ``torch.return_types``: the type's name, then one ``field=value`` a line::

        torch.return_types.max(
        values=tensor([2., 4.]),
        indices=tensor([1, 1]))
    """
    def __repr__(self):
        items = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"{OPTIONS.namespace}.return_types.{name}(\n{items})"

    base = namedtuple(name, fields)

    def __new__(cls, *args, **kwargs):
        """As torch's: ``return_types.max((values, indices))`` (one sequence) too."""
        if len(args) == 1 and not kwargs and len(base._fields) > 1:
            args = tuple(args[0])
            if len(args) != len(base._fields):
                raise TypeError(f"{OPTIONS.namespace}.return_types.{name}() takes a "
                                f"{len(base._fields)}-sequence ({len(args)}-sequence given)")
        return base.__new__(cls, *args, **kwargs)

    caller = sys._getframe(1)          # (a class ``return_types`` there: pickle finds it)
    where = caller.f_code.co_name
    n = len(base._fields)
    return _ReturnTypeMeta(name, (base,), {
        "__slots__": (), "__repr__": __repr__, "__new__": __new__,
        "__module__": caller.f_globals["__name__"],
        "__qualname__": name if where == "<module>" else f"{where}.{name}",
        "n_fields": n, "n_sequence_fields": n, "n_unnamed_fields": 0})


class _ReturnTypeMeta(type):
    """The class prints as torch's: ``<class 'torch.return_types.max'>``."""

    def __repr__(cls):
        return f"<class '{OPTIONS.namespace}.return_types.{cls.__name__}'>"
