"""Which strides torch's result of an op has, where the NumPy array's may not say.

The library's convolution, pooling and resampling kernels return views of memory in their own
orders (batch innermost, ...), where torch's results are contiguous; elementwise ops keep those
orders. :func:`tinygrad_sgd.creation.torch_strides` therefore reads a non-contiguous array of 3
or more dims as contiguous, unless its tensor is marked as holding torch's strides
(``_torch_strides``). ``Function.apply`` marks each result laid out as an input that holds
torch's strides (a transposed view, ``x.transpose(0, 1).relu()``), so ``rand_like`` and
dropout draw in torch's memory order, and ``stride()`` reads torch's, in grad mode or not."""
import numpy as np

__all__ = ["inherit_torch_layout", "contiguous_as_torch"]

_creation = None        # (creation's helpers, imported on first use: it imports autograd)


def _load():
    global _creation
    from ..creation import _own_layout, _steps, contiguous_strides, dim_order, torch_strides
    _creation = (_own_layout, _steps, dim_order, torch_strides, contiguous_strides)


def contiguous_as_torch(out, x):
    """``out`` (the result array of an op on the tensor ``x``) C-contiguous, as torch's CPU
    kernels that read ``x.contiguous()`` give theirs (softmax, log_softmax, layer_norm,
    instance_norm), where x's strides are torch's and not contiguous (channels-last, a
    transposed view). A result of x in one of the library's own layouts stays as it is: its
    strides read as contiguous already. Free for a contiguous result."""
    if out.flags.c_contiguous or x.array.flags.c_contiguous:
        return out
    if _creation is None:
        _load()
    if _creation[3](x) == _creation[4](x.shape):
        return out
    return np.ascontiguousarray(out)


_OWN = {}               # (shape, strides, itemsize) -> whether that layout is the library's own


def _own(a):
    """creation._own_layout(a), remembered by the layout (this runs on every op's result: a
    training step meets the same few layouts again and again)."""
    if a.ndim < 3 or a.flags.c_contiguous:
        return False
    key = (a.shape, a.strides, a.itemsize)
    own = _OWN.get(key)
    if own is None:
        if len(_OWN) > 4096:
            _OWN.clear()
        own = _OWN[key] = bool(_creation[0](a))
    return own


def inherit_torch_layout(out, args, is_view):
    """Mark ``out`` (an op's new result, ``args`` its inputs) as holding torch's strides when
    it is laid out as an input whose own NumPy strides are torch's: a view of its memory
    (``is_view``: torch's views step as NumPy's), or a result of its shape whose dims go in
    its memory order (elementwise: torch's ``empty_like`` keeps that order) — so
    ``x.transpose(0, 1).relu()`` keeps the transposed strides for ``rand_like`` and dropout,
    in grad mode or not, while results in the library's own layouts keep reading as
    contiguous. Returns ``out``."""
    a = out.array
    if a.ndim < 3 or a.flags.c_contiguous:
        return out
    if _creation is None:
        _load()
    _own_layout, _steps, dim_order, torch_strides = _creation[:4]
    if not _own(a):
        return out
    _inherit(out, args, is_view, _steps, dim_order, torch_strides)
    if not is_view and "_torch_strides" not in out.__dict__ and _unsure(args):
        out._layout_unsure = True
    return out


def _unsure(args):
    """Whether torch's layout of a new result in the library's own order is unknown here:
    torch's is contiguous when every input of 3 or more dims is contiguous in torch (a
    convolution, a pooling, an elementwise op of them), but follows an input laid out
    otherwise (channels-last: a convolution's result is channels-last too; a permuted view
    of a convolution's result: an elementwise result keeps the permutation), which the
    result's NumPy memory does not tell. Storage-level reads of such a result are refused
    (``creation.torch_geometry``)."""
    for x in args:                  # (every op's result in the library's order: kept cheap)
        d = getattr(x, "__dict__", None)
        xa = d.get("array") if d else None
        if not isinstance(xa, np.ndarray) or xa.ndim < 3 or not xa.size:
            continue
        if "_layout_unsure" in d:
            return True
        if "_view_base" not in d and "_torch_strides" not in d and (
                _own(xa) or xa.flags.c_contiguous):
            continue               # (contiguous in torch: a result in the library's own
        if _creation[3](x) != _creation[4](xa.shape):    # order, or a plain tensor)
            return True
    return False


def _inherit(out, args, is_view, _steps, dim_order, torch_strides):
    """inherit_torch_layout's search of the inputs (see there)."""
    a = out.array
    order = None
    for x in (args[:1] if is_view else args):
        xa = getattr(x, "array", None)
        if not isinstance(xa, np.ndarray) or not xa.size:
            continue
        d = x.__dict__
        if not d.get("_torch_strides") and "_view" not in d and _own(xa):
            # (cheap and common — a convolution's result: torch's strides are a contiguous
            # tensor's, which xa's are not, so nothing is marked)
            if is_view:
                return out
            continue
        if is_view:
            if not np.may_share_memory(xa, a):
                return out
        elif xa.shape != a.shape:
            continue
        else:
            order = order or dim_order(a.shape, _steps(a))
            if dim_order(xa.shape, _steps(xa)) != order:
                continue
        if torch_strides(x) == _steps(xa):
            out._torch_strides = True
        return out
    return out
