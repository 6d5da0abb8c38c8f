"""``nn.attention``: torch's ``torch.nn.attention`` package — :class:`SDPBackend` and the
:func:`sdpa_kernel` context manager that chooses which kernels ``scaled_dot_product_attention``
may use — plus the MultiheadAttention layer (:mod:`._multihead`; this was ``nn/attention.py``,
made a package so that torch's ``nn.attention`` path exists).

This library has one attention kernel, the "math" one (softmax(Q·Kᵀ·scale)·V written in ops).
On the CPU torch has two, MATH and FLASH_ATTENTION (EFFICIENT_ATTENTION, CUDNN_ATTENTION and
OVERRIDEABLE are GPU kernels). :func:`sdpa_kernel` is followed as torch's CPU dispatch follows
it, so that a program behaves as on torch:

* MATH allowed: the math kernel runs;
* only FLASH_ATTENTION of the CPU kernels: where torch's CPU flash kernel applies (4-D inputs,
  no dropout, one batch size and head count, one last dim) the math kernel runs here — the
  same function, the last bits may differ from torch's flash kernel's; where it does not apply,
  torch's warnings (UserWarning "Flash attention kernel not used because:" and the reason) and
  RuntimeError "No available kernel.  Aborting execution.";
* neither allowed: torch's RuntimeError "No viable backend for scaled_dot_product_attention
  was found. ...".
"""
import contextlib
import enum
import warnings

from ...errors import warn_level
from ._multihead import MultiheadAttention, NonDynamicallyQuantizableLinear  # noqa: F401

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]     # torch's

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.IntEnum):
    """torch's SDPBackend: the kernels of scaled_dot_product_attention (torch's values)."""
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __repr__(self):
        return f"<SDPBackend.{self.name}: {self.value}>"

    def __str__(self):
        return f"SDPBackend.{self.name}"


_ALL = (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION,
        SDPBackend.CUDNN_ATTENTION, SDPBackend.OVERRIDEABLE)
_enabled = set(_ALL)          # the kernels scaled_dot_product_attention may use now


def _backends_enabled():
    return frozenset(_enabled)


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Within the ``with`` block scaled_dot_product_attention may use only ``backends`` (one
    SDPBackend or a list of them), as torch's. ``set_priority`` orders the kernels tried; on
    the CPU (torch's and here) the order is fixed, so it changes nothing."""
    if not (isinstance(backends, (list, SDPBackend))
            and all(isinstance(b, SDPBackend) for b in
                    (backends if isinstance(backends, list) else [backends]))):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend "
                             f"instances, got {type(backends).__name__}")
    chosen = {backends} if isinstance(backends, SDPBackend) else set(backends)
    global _enabled
    saved = _enabled
    _enabled = {b for b in _ALL if b in chosen}
    try:
        yield {}
    finally:
        _enabled = saved




def _flash_reason(query, key, value, dropout_p):
    """Why torch's CPU flash kernel would not run on these inputs (None: it would)."""
    if dropout_p > 0.0:
        return "Both fused kernels do not support non-zero dropout."
    if not (query.ndim == key.ndim == value.ndim == 4):
        return ("All fused kernels requires query, key and value to be 4 dimensional, but got "
                f"Query dim: {query.ndim}, Key dim: {key.ndim}, Value dim: {value.ndim} "
                "instead.")
    q, k, v = (list(t.shape) for t in (query, key, value))
    if not (q[0] == k[0] == v[0]):
        return ("For dense inputs, both fused kernels require query, key and value to have the "
                f"same batch_size. Query.sizes(): {q}, Key.sizes(): {k}, Value.sizes(): {v} "
                "instead. To broadcast dense inputs, try using unsqueeze and expand_to before "
                "passing them into the kernel.")
    if not (q[-1] == k[-1] == v[-1]):
        return ("Flash attention requires q,k,v to have the same last dimension. Got "
                f"Query.size(-1): {q[-1]}, Key.size(-1): {k[-1]}, Value.size(-1): {v[-1]} "
                "instead.")
    return None


def flash_runs(query, key, value, attn_mask, dropout_p):
    """Whether torch's CPU flash kernel would run these inputs (its node then names the
    result): allowed, none empty, rows contiguous, a mask that takes no gradient."""
    return SDPBackend.FLASH_ATTENTION in _enabled and not (
        _flash_reason(query, key, value, dropout_p) or attn_mask is not None and
        attn_mask.requires_grad or any(t.numel() == 0 or t.shape[-1] > 1 and
                                       t.array.strides[-1] != t.dtype.itemsize
                                       for t in (query, key, value)))


def check_backend(query, key, value, dropout_p=0.0):
    """Raise (with torch's warnings) where the kernels allowed by :func:`sdpa_kernel` cannot
    run these inputs on the CPU; return quietly where one can (the math kernel then runs)."""
    enabled = _enabled
    if SDPBackend.MATH in enabled:
        return
    if SDPBackend.FLASH_ATTENTION not in enabled:
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This "
                           "is likely due to turning off both the math kernel and the fused "
                           "kernels.")
    reason = _flash_reason(query, key, value, dropout_p)
    if reason is None:
        return
    warnings.warn("Flash attention kernel not used because:", UserWarning, stacklevel=warn_level(3))
    warnings.warn(reason, UserWarning, stacklevel=warn_level(3))
    raise RuntimeError("No available kernel.  Aborting execution.")
