"""Anomaly mode, as torch's: ``with detect_anomaly():`` each graph node remembers the line of
user code that created it, and the first backward that returns a NaN gradient raises
``RuntimeError: Function 'SqrtBackward' returned nan values in its 0th output.``, after a
warning naming that line. Only backward results are checked, and only for NaN (an infinite
gradient, or NaN/Inf in a forward result, is let through, as in torch). Off by default; then
it costs one attribute lookup per operation."""
import os
import sys
import warnings

import numpy as np

from ..errors import warn_level
from .grad_mode import _mode

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]


def is_anomaly_enabled() -> bool:
    return _mode.anomaly


def is_anomaly_check_nan_enabled() -> bool:
    return _mode.anomaly_check_nan


class detect_anomaly:
    """Context manager turning anomaly mode on inside it (with ``check_nan=False`` nodes still
    remember where they were made, but NaN gradients are not looked for); warns, as torch,
    that it slows things down."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self.prev = None
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=warn_level(2))

    def __enter__(self):
        self.prev = _mode.anomaly, _mode.anomaly_check_nan
        _mode.anomaly, _mode.anomaly_check_nan = True, self.check_nan
        return self

    def __exit__(self, *exc):
        _mode.anomaly, _mode.anomaly_check_nan = self.prev
        return False


class set_detect_anomaly:
    """Anomaly checks on or off (``mode``; with ``check_nan=False`` nothing is checked), as
    torch's: called as a function (``torch.autograd.set_detect_anomaly(True)`` at the top of a
    script) it switches at once; as a context manager the previous setting comes back on
    exit."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = _mode.anomaly, _mode.anomaly_check_nan
        _mode.anomaly, _mode.anomaly_check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _mode.anomaly, _mode.anomaly_check_nan = self.prev
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


def check_backward_outputs(node, arrays) -> None:
    """Raise torch's RuntimeError if one of the gradients ``node``'s backward returned (their
    arrays, None where there is none) holds NaN (and check_nan is on)."""
    if not _mode.anomaly_check_nan:
        return
    for i, a in enumerate(arrays):
        if a is not None and a.dtype.kind in "fc" and np.isnan(a).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               f"output.")


def warn_backward_failed(node) -> None:
    """torch's warning when a node's backward fails under the mode: where the node was made."""
    where = node.__dict__.get("created_at")   # (a plain getattr would trip on a freed node)
    warnings.warn(f"Error detected in {node.name()}. " + (
        f"Traceback of forward call that caused the error:\n  {where}" if where else
        "No forward pass information available. Enable detect anomaly during forward pass "
        "for more information."), stacklevel=warn_level(4))
