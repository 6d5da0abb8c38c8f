"""Kernels a spinning worker runs without ever taking the GIL: the split convolution, pooling
(with or without the relu after it, forward and backward) and weight-gradient kernels of the
tutorial CNN, and OpenBLAS's sgemm (:mod:`.blas`: a linear layer's second product), described
by numbers.

Why. A worker that runs a Python job takes the GIL, calls a Python function, reads its
closure's arrays and numba's dispatcher checks their types: a hundred or so Python objects that
the calling thread made or touched a moment before. Each one's cache line has to come over from
the other core — and a 2-vCPU virtual machine often puts its two vCPUs on core complexes that
share no L3 cache (a cache line's round trip ~380 ns instead of ~90). Measured there, a relu
over 368,640 float32s took 26 µs on one thread, 28 µs split over two through a Python job, and
14 µs as a served job — all that the worker reads is one row of numbers, then the arrays' data.

How. The caller describes the worker's part as calls: ``(kernel, array, ..., int, ...)`` with one
of the kernels of :data:`SIGNATURES`. :func:`pack` writes each as a row of int64s — the kernel's
number, then each array as its address and its shape, then the ints — after checking that
every array has the dtype and number of dims the kernel's row says, and is C-contiguous
(otherwise it returns None and the work goes to the worker as a Python job instead: never a
wrong reading of memory). The worker's poll loop (:func:`.spin.serve`) calls :func:`run_job`,
which rebuilds the arrays over the same memory (``numba.carray``) and calls the kernel — the
very function the Python path calls, so the numbers are the same. The caller keeps every array
alive until the worker says it is done.
"""
import operator

import numba
import numpy as np
from numba import literal_unroll, types
from numba.extending import intrinsic

from .blas import _sgemm
from .conv import _conv_direct_rows, _input_grad_rows, _input_grad_shared
from .conv_weight import _weight_grad_rows, _weight_grad_pooled
from .elementwise import _row_sums
from .pool import _max_pool_2x2, _max_pool_2x2_relu, _scatter_2x2, _scatter_2x2_masked

__all__ = ["SIGNATURES", "pack", "run_job", "run_job_address", "SLOTS", "MAX_CALLS"]

SLOTS = 44          # int64s a call may take (its kernel's number first)
MAX_CALLS = 12      # calls a job may hold (a row whose first number is 0 ends it sooner)

F32_4, F32_2, F32_1, F64_1, I8_4, I64_1, INT = "f32x4", "f32x2", "f32x1", "f64x1", "i8x4", \
    "i64x1", "int"
_DTYPES = {F32_4: np.float32, F32_2: np.float32, F32_1: np.float32, F64_1: np.float64,
           I8_4: np.int8, I64_1: np.int64}
_NDIM = {F32_4: 4, F32_2: 2, F32_1: 1, F64_1: 1, I8_4: 4, I64_1: 1}

# kernel → (its number in run_job, what each argument is); the numbers are run_job's branches
SIGNATURES = {
    _conv_direct_rows: (1, (F32_4, F32_4, F32_1) + (INT,) * 7 + (F32_4, F32_4, I8_4, F32_4, INT)),
    _input_grad_rows: (2, (F32_4, F32_4) + (INT,) * 7 + (F32_4,)),
    _weight_grad_rows: (3, (F32_4, F32_4) + (INT,) * 10 + (F32_4,)),
    _row_sums: (4, (F32_2, INT, INT, INT, F64_1)),
    _max_pool_2x2: (5, (F32_4, INT, INT, F32_4, I8_4)),
    _scatter_2x2: (6, (F32_4, I8_4, INT, INT, F32_4)),
    _max_pool_2x2_relu: (7, (F32_4, INT, INT, F32_4, I8_4, F32_4)),
    _scatter_2x2_masked: (8, (F32_4, F32_4, I8_4, INT, INT, F32_4)),
    _sgemm: (9, (F32_2, F32_2, F32_2, INT, INT, INT)),
    _input_grad_shared: (10, (F32_4, F32_4) + (INT,) * 5 + (I64_1, INT, F32_4)),
    _weight_grad_pooled: (11, (F32_4, F32_4, F32_4, I8_4) + (INT,) * 7 + (F32_4, F64_1)),
}


def _plan(number, kinds):
    """How :func:`pack` reads a call of a kernel with these argument kinds: its number, its
    length (the kernel first), a getter of its arrays and one of its ints (each a tuple, in the
    order of the arguments), and each array's (dtype, number of dims)."""
    at = [i + 1 for i, k in enumerate(kinds) if k is not INT]
    ints = [i + 1 for i, k in enumerate(kinds) if k is INT]

    def getter(positions):
        return (lambda call: ()) if not positions else \
            (lambda call, i=positions[0]: (call[i],)) if len(positions) == 1 else \
            operator.itemgetter(*positions)
    return (number, len(kinds) + 1, getter(at), getter(ints),
            tuple((np.dtype(_DTYPES[k]), _NDIM[k]) for k in kinds if k is not INT))


_PLANS = {kernel: _plan(number, kinds) for kernel, (number, kinds) in SIGNATURES.items()}


def pack(calls, row=None):
    """The int64 row of a job of ``calls`` (each ``(kernel, *args)``), or None when one of them
    cannot be served (a kernel not in :data:`SIGNATURES`, an argument of another dtype, number of
    dims or layout, too many calls). A call's numbers: the kernel's, then each array's address
    and shape, then the ints, each in the order of the arguments; a 0 after the last call ends
    the job. ``row``: written there (an int64 row of ``MAX_CALLS * SLOTS``; partly written,
    and to be ignored, when None is returned), else in a new array. (Each kernel's arguments
    are read by a plan made once, :func:`_plan`: a job is packed on every split of the
    tutorial's step, and the loop over each argument's kind took ~10 µs a job there.)"""
    if len(calls) > MAX_CALLS:
        return None
    if row is None:
        row = np.zeros(min(len(calls) * SLOTS + 1, MAX_CALLS * SLOTS), np.int64)
    elif len(calls) < MAX_CALLS:
        row[len(calls) * SLOTS] = 0                                     # (the end)
    for c, call in enumerate(calls):
        plan = _PLANS.get(call[0])
        if plan is None or len(call) != plan[1]:
            return None
        arrays, ints = plan[2](call), plan[3](call)
        for a, (dtype, ndim) in zip(arrays, plan[4]):
            if type(a) is not np.ndarray or a.dtype != dtype or a.ndim != ndim or \
                    not a.flags.c_contiguous:
                return None
        for i in ints:
            if type(i) is not int and not isinstance(i, np.integer):
                return None
        row[c * SLOTS] = plan[0]
        _put(row, c * SLOTS + 1, arrays, ints)
    return row


@numba.njit(cache=True)
def _put(row, p, arrays, ints):
    """Each array's address and shape into ``row`` from ``p`` on, then the ints. (Compiled: a
    NumPy array's ``ctypes.data`` from Python costs ~0.7 µs, and a job has up to a dozen.)"""
    for a in literal_unroll(arrays):
        row[p] = a.ctypes.data
        for i in range(a.ndim):
            row[p + 1 + i] = a.shape[i]
        p += 1 + a.ndim
    for i in literal_unroll(ints):
        row[p] = i
        p += 1


def _pointer_to(nbtype):
    """An intrinsic that reads an int64 as a pointer to ``nbtype``."""
    @intrinsic
    def cast(typingctx, address):
        sig = types.CPointer(nbtype)(types.int64)

        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], context.get_value_type(signature.return_type))
        return sig, codegen
    return cast


_f32_ptr, _f64_ptr, _i8_ptr, _i64_ptr = (_pointer_to(t) for t in (types.float32, types.float64,
                                                                    types.int8, types.int64))


@numba.njit(cache=True, nogil=True)
def _f32x4(a, p):
    return numba.carray(_f32_ptr(a[p]), (a[p + 1], a[p + 2], a[p + 3], a[p + 4])), p + 5


@numba.njit(cache=True, nogil=True)
def _i8x4(a, p):
    return numba.carray(_i8_ptr(a[p]), (a[p + 1], a[p + 2], a[p + 3], a[p + 4])), p + 5


@numba.njit(cache=True, nogil=True)
def _f32x2(a, p):
    return numba.carray(_f32_ptr(a[p]), (a[p + 1], a[p + 2])), p + 3


@numba.njit(cache=True, nogil=True)
def _f32x1(a, p):
    return numba.carray(_f32_ptr(a[p]), (a[p + 1],)), p + 2


@numba.njit(cache=True, nogil=True)
def _f64x1(a, p):
    return numba.carray(_f64_ptr(a[p]), (a[p + 1],)), p + 2


@numba.njit(cache=True, nogil=True)
def _i64x1(a, p):
    return numba.carray(_i64_ptr(a[p]), (a[p + 1],)), p + 2


@numba.njit(cache=True, nogil=True)
def run_job(job):
    """Run the calls of a job :func:`pack` wrote, one after the other."""
    for c in range(MAX_CALLS):
        a = job[c * SLOTS:(c + 1) * SLOTS]
        kernel = a[0]
        if kernel == 0:
            return
        if kernel == 1:
            xp, p = _f32x4(a, 1)
            w, p = _f32x4(a, p)
            b, p = _f32x1(a, p)
            out, p = _f32x4(a, p)
            pooled, p = _f32x4(a, p)
            choice, p = _i8x4(a, p)
            relu, p = _f32x4(a, p)
            _conv_direct_rows(xp, w, b, a[p], a[p + 1], a[p + 2], a[p + 3], a[p + 4], a[p + 5],
                              a[p + 6], out, pooled, choice, relu, a[p + 7])
        elif kernel == 2:
            gy, p = _f32x4(a, 1)
            w2, p = _f32x4(a, p)
            out, p = _f32x4(a, p)
            _input_grad_rows(gy, w2, a[p], a[p + 1], a[p + 2], a[p + 3], a[p + 4], a[p + 5],
                             a[p + 6], out)
        elif kernel == 3:
            xp, p = _f32x4(a, 1)
            gy, p = _f32x4(a, p)
            out, p = _f32x4(a, p)
            _weight_grad_rows(xp, gy, a[p], a[p + 1], a[p + 2], a[p + 3], a[p + 4], a[p + 5],
                              a[p + 6], a[p + 7], a[p + 8], a[p + 9], out)
        elif kernel == 4:
            rows, p = _f32x2(a, 1)
            sums, p = _f64x1(a, p)
            _row_sums(rows, a[p], a[p + 1], a[p + 2], sums)
        elif kernel == 5:
            x, p = _f32x4(a, 1)
            out, p = _f32x4(a, p)
            choice, p = _i8x4(a, p)
            _max_pool_2x2(x, a[p], a[p + 1], out, choice)
        elif kernel == 6:
            gy, p = _f32x4(a, 1)
            choice, p = _i8x4(a, p)
            out, p = _f32x4(a, p)
            _scatter_2x2(gy, choice, a[p], a[p + 1], out)
        elif kernel == 7:
            x, p = _f32x4(a, 1)
            out, p = _f32x4(a, p)
            choice, p = _i8x4(a, p)
            relu, p = _f32x4(a, p)
            _max_pool_2x2_relu(x, a[p], a[p + 1], out, choice, relu)
        elif kernel == 8:
            gy, p = _f32x4(a, 1)
            mask, p = _f32x4(a, p)
            choice, p = _i8x4(a, p)
            out, p = _f32x4(a, p)
            _scatter_2x2_masked(gy, mask, choice, a[p], a[p + 1], out)
        elif kernel == 9:
            x, p = _f32x2(a, 1)
            y, p = _f32x2(a, p)
            out, p = _f32x2(a, p)
            _sgemm(x, y, out, a[p], a[p + 1], a[p + 2])
        elif kernel == 10:
            gy, p = _f32x4(a, 1)
            w2, p = _f32x4(a, p)
            counter, p = _i64x1(a, p)
            out, p = _f32x4(a, p)
            _input_grad_shared(gy, w2, a[p], a[p + 1], a[p + 2], a[p + 3], a[p + 4], counter,
                               a[p + 5], out)
        elif kernel == 11:
            xp, p = _f32x4(a, 1)
            gp, p = _f32x4(a, p)
            mask, p = _f32x4(a, p)
            choice, p = _i8x4(a, p)
            out, p = _f32x4(a, p)
            bias, p = _f64x1(a, p)
            _weight_grad_pooled(xp, gp, mask, choice, a[p], a[p + 1], a[p + 2], a[p + 3],
                                a[p + 4], a[p + 5], a[p + 6], out, bias)


@numba.cfunc(types.int64(types.voidptr), cache=True)
def _run_job_at(address):
    """:func:`run_job` of the job at ``address``, as a C function: 0, or 1 if a kernel raised
    (a C function cannot pass the exception on). The poll loop calls it through its address
    (:data:`run_job_address`), so that the loop — which calls the C library and is compiled
    afresh in every process — does not compile these kernels in with it (2 s a process); this
    one is cached on disk with them."""
    try:
        run_job(numba.carray(address, (MAX_CALLS * SLOTS,), np.int64))
    except Exception:  # noqa: BLE001  (numba catches by class only)
        return 1
    return 0


run_job_address = _run_job_at.address
