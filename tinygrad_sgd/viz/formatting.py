"""Numbers and shapes as the pictures, the narration and the explorer print them."""
from __future__ import annotations

import numpy as np

__all__ = ["format_number", "format_array", "one_line", "summarize", "format_shape"]


def format_number(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v) + 0.0  # + 0.0 turns -0.0 into 0.0
    if v == 0 or 1e-4 <= abs(v) < 1e5 or not np.isfinite(v):
        return f"{v:.4f}"
    return f"{v:.3e}"


def format_array(a, max_elements=8) -> str:
    """Small arrays in full (``2.0000``, ``[1.0000, -2.0000]``, rows on separate lines);
    larger ones as ``mean …  min …  max …``."""
    a = np.asarray(a)
    if a.size <= max_elements:
        if a.ndim == 0:
            return format_number(a.item())
        if a.ndim == 1 and a.dtype.kind in "iuf":   # what array2string prints, 30x faster
            return "[" + ", ".join(format_number(v) for v in a.tolist()) + "]"
        return np.array2string(a, separator=", ", max_line_width=10_000,
                               formatter={"float_kind": format_number,
                                          "int_kind": format_number})
    return summarize(a)


def one_line(a, max_elements=8) -> str:
    """:func:`format_array` on a single line (rows of a matrix side by side)."""
    return " ".join(line.strip() for line in format_array(a, max_elements).split("\n"))


def summarize(a) -> str:
    a = np.asarray(a)
    if a.size == 0:
        return "empty"
    if a.dtype.kind == "b":
        return f"{int(a.sum())} of {a.size} true"
    x = a.astype(np.float64)
    return (f"mean {x.mean():.3g}  min {x.min():.3g}  max {x.max():.3g}")


def format_shape(shape) -> str:
    if shape is None:
        return "?"
    return "scalar" if len(shape) == 0 else str(tuple(int(s) for s in shape))

