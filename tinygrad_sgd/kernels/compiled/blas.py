"""NumPy's own OpenBLAS ``sgemm``, called from compiled code: so that a spinning worker can run a
matrix product without taking the GIL (a served job, :mod:`.served`) — a linear layer's input
gradient beside its weight gradient on the calling thread (:func:`..linalg.linear_grads`).

The function is the one in NumPy's bundled OpenBLAS (``numpy.libs``), called with the arguments
NumPy's matmul gives it for the same product — row-major, a transposed operand as ``CblasTrans``
over the untransposed array — so the numbers are ``np.matmul``'s, bit for bit. Its address is a
number passed in the call (numba does not cache code that holds a pointer), found once per
process: :func:`sgemm_address` is None where NumPy's BLAS is not such an OpenBLAS (the product
then stays a Python job).
"""
import ctypes

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ..openblas import numpy_openblas

__all__ = ["sgemm_address", "ROW_MAJOR", "NO_TRANS", "TRANS"]

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112          # CBLAS's enums
_address = "unset"


def sgemm_address():
    """The address of ``cblas_sgemm`` (64-bit integers: ``scipy_cblas_sgemm64_``) in NumPy's
    OpenBLAS, or None."""
    global _address
    if _address == "unset":
        _address = None
        for lib in numpy_openblas():
            fn = getattr(lib, "scipy_cblas_sgemm64_", None)
            if fn is not None:
                _address = ctypes.cast(fn, ctypes.c_void_p).value
                break
    return _address


@intrinsic
def _call_sgemm(typingctx, address, order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
                beta, c, ldc):
    """``cblas_sgemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)``
    through the function at ``address`` (the enums 32-bit, sizes 64-bit, a/b/c addresses)."""
    sig = types.void(types.int64, types.int32, types.int32, types.int32, types.int64,
                     types.int64, types.int64, types.float32, types.int64, types.int64,
                     types.int64, types.int64, types.float32, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        i32, i64, f32 = ir.IntType(32), ir.IntType(64), ir.FloatType()
        ptr = f32.as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i32, i32, i32, i64, i64, i64, f32, ptr, i64,
                                               ptr, i64, f32, ptr, i64])
        fn = builder.inttoptr(args[0], fnty.as_pointer())
        call = list(args[1:])
        for i in (7, 9, 12):                    # the three matrices: addresses → pointers
            call[i] = builder.inttoptr(call[i], ptr)
        builder.call(fn, call)
        return context.get_dummy_value()
    return sig, codegen


@numba.njit(cache=True, nogil=True)
def _sgemm(a, b, out, trans_a, trans_b, address):
    """out = op(a)·op(b) for 2-D C-contiguous float32 arrays, op(a) = aᵀ if ``trans_a`` else a
    (b likewise): the call NumPy's matmul makes for ``a.T @ b``, ``a @ b.T``, ... (NumPy passes
    a transposed view's array as it is, with ``CblasTrans``)."""
    m, k = (a.shape[1], a.shape[0]) if trans_a else (a.shape[0], a.shape[1])
    n = b.shape[0] if trans_b else b.shape[1]
    _call_sgemm(address, np.int32(ROW_MAJOR), np.int32(TRANS if trans_a else NO_TRANS),
                np.int32(TRANS if trans_b else NO_TRANS), m, n, k, np.float32(1.0),
                a.ctypes.data, a.shape[1], b.ctypes.data, b.shape[1], np.float32(0.0),
                out.ctypes.data, n)
