"""Anomaly mode: ``with detect_anomaly():`` the first NaN/Inf produced by an operation, in
forward or backward, raises ``FloatingPointError`` naming the op and the line of user code that
created it. Off by default; then it costs one attribute lookup per operation."""
import os
import sys

import numpy as np

from .grad_mode import _mode

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]


def is_anomaly_enabled() -> bool:
    return _mode.anomaly


class detect_anomaly:
    """Context manager turning anomaly checks on (``check_nan=True``) inside it."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self.prev = None

    def __enter__(self):
        self.prev = _mode.anomaly
        _mode.anomaly = self.check_nan
        return self

    def __exit__(self, *exc):
        _mode.anomaly = self.prev
        return False


class set_detect_anomaly:
    """Anomaly checks on or off (``mode``; with ``check_nan=False`` nothing is checked), as
    torch's: called as a function (``torch.autograd.set_detect_anomaly(True)`` at the top of a
    script) it switches at once; as a context manager the previous setting comes back on
    exit."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = _mode.anomaly
        _mode.anomaly = bool(mode) and bool(check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _mode.anomaly = self.prev
        return False


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def user_frame() -> str:
    """'file:line in function' of the innermost stack frame outside this package (walked with
    ``sys._getframe``: no source lines are read, so anomaly mode stays usable in a loop)."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if not os.path.abspath(code.co_filename).startswith(_PACKAGE_DIR):
            return f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"
        frame = frame.f_back
    return "<unknown>"


def check_finite(array, node, input_index=None, inputs=()) -> None:
    """Raise if ``array`` (the forward output of ``node`` computed from ``inputs``, or — with
    ``input_index`` — the gradient its backward returned for that input) holds NaN or Inf."""
    if array.dtype.kind not in "fc" or np.isfinite(array).all():
        return
    bad = "NaN" if np.isnan(array).any() else "Inf"
    try:
        op = f"{node.label()} ({node.name()})"
    except Exception:  # a label that needs something backward already freed
        op = node.name()
    where = node.__dict__.get("created_at")   # (a plain getattr would trip on a freed node)
    where = (f"the operation was created at {where}" if where else
             "where it was created is unknown: run the forward pass inside "
             "detect_anomaly() too")
    if input_index is not None:
        raise FloatingPointError(f"detect_anomaly: {op} returned {bad} values in its gradient "
                                 f"for input {input_index} during backward; {where}")
    for i, a in enumerate(inputs):   # the values may have come in from outside
        d = getattr(a, "array", None)
        if isinstance(d, np.ndarray) and d.dtype.kind in "fc" and not np.isfinite(d).all():
            raise FloatingPointError(
                f"detect_anomaly: {op} received NaN/Inf values in its input {i} (they "
                f"were not produced by an operation run under detect_anomaly: check "
                f"the data and the parameters); {where}")
    raise FloatingPointError(f"detect_anomaly: {op} produced {bad} values in its "
                             f"forward output; {where}")
