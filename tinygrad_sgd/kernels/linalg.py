"""Matrix products whose result keeps a given memory layout."""
import numpy as np

__all__ = ["matmul"]


def matmul(a, b, layout_of=None):
    """``a @ b``; if ``layout_of`` is a transposed 2-D array (Fortran order — a flattened
    convolution output, batch innermost) the result gets that layout too, computed as
    ``(bᵀ·aᵀ)ᵀ``, so the ops it flows back into (relu, pooling) read matching layouts."""
    if layout_of is not None and a.ndim == 2 and b.ndim == 2 and layout_of.ndim == 2 and \
            layout_of.flags.f_contiguous and not layout_of.flags.c_contiguous:
        return np.matmul(b.T, a.T).T
    return np.matmul(a, b)
