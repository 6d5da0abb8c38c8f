"""Floating-point sums added in torch's order, so that ``x.sum()`` and ``x.mean()`` give torch's
bits (ATen's ``cpu/SumKernel.cpp`` with the loops of ``TensorIterator``).

Why. Rounding makes addition order matter: NumPy adds pairwise, torch in a fixed cascade, and
the two disagree in the last bit of most sums — visible in every ``loss.item()`` of a mean.

How torch adds (float32 on x86: its AVX2 kernel, vectors of 8 floats — also on AVX-512 CPUs).

* ``multi_row_sum`` adds a run of items into accumulators on 4 levels: items go into level 0 in
  blocks of 2^p (p = max(4, ⌈log2 n⌉ / 4)), each block summed one after the other from 0;
  every block's sum goes into level 1, every 2^p-th block's level-1 sum into level 2, and so
  on; at the end the leftover items, then levels 1, 2 and 3 are added to level 0.
* ``row_sum`` deals a row out to 4 such accumulators in turn (item i to accumulator i mod 4),
  adds what is left over to the first, then the other three to it.
* A contiguous row of at least one vector is read as vectors (lanes side by side), summed by
  ``row_sum``; then the scalars left over, then the lanes are added from 0, one by one.
  Shorter rows go through ``row_sum`` of scalars.
* Summing over a leading dim (columns side by side): 32 columns at a time by
  ``multi_row_sum``, then 8 at a time by ``row_sum``, then one at a time.
* ``TensorIterator`` decides the loops: the reduced dims go innermost (by stride), adjacent
  dims that walk memory evenly merge, the two innermost dims are one call of the kernel, each
  result is added into its output element (outer reduced dims add up there, in order).
  Above 32,768 elements on several threads torch splits the work: a full sum into one part
  per thread (then the parts are summed), otherwise the outermost kept dim.

float16 adds in float32 (its vectors of 16 halves read as 8 floats: halves i and i + 8 added)
and rounds each result it stores; float64 uses vectors of 4. ``torch_sum`` returns None for
layouts it does not follow: those keep NumPy's pairwise sum.

(house: long file — the kernel and TensorIterator's loops around it are one replica, read
side by side with ATen's SumKernel.cpp and TensorIteratorReduce.cpp.)
"""
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .backend import compiled
from .layout import dim_order
from .threads import get_num_threads

__all__ = ["torch_sum", "GRAIN_SIZE"]

GRAIN_SIZE = 32768         # at::internal::GRAIN_SIZE: below this many elements, one thread
LEVELS = 4                 # multi_row_sum's num_levels
ILP = 4                    # row_sum's ilp_factor, and the outer sums' nrows

# dtype → (scalars in one vector, lanes of the accumulating vector, the accumulating dtype)
_VECTORS = {np.dtype(np.float16): (16, 8, np.dtype(np.float32)),
            np.dtype(np.float32): (8, 8, np.dtype(np.float32)),
            np.dtype(np.float64): (4, 4, np.dtype(np.float64))}


# ----------------------------------------------------------------------------- the kernel
def _one_by_one(items, start):
    """((start + items[0]) + items[1]) + ... over axis 0."""
    for k in range(items.shape[0]):
        start = start + items[k]
    return start


def _groups_one_by_one(items, size, zero):
    """Each run of ``size`` consecutive items (axis 0) summed one by one from 0."""
    runs = items.reshape((-1, size) + items.shape[1:])
    return _one_by_one(np.moveaxis(runs, 1, 0), zero)


def multi_row_sum(items):
    """torch's ``multi_row_sum`` over axis 0 of ``items`` (each lane on its own)."""
    size = items.shape[0]
    zero = np.zeros(items.shape[1:], items.dtype)
    power = max(4, (size - 1).bit_length() // LEVELS if size > 2 else 0)
    step = 1 << power
    blocks = size // step
    level0 = _one_by_one(items[blocks * step:], zero)           # the items left over
    if blocks == 0:
        return ((level0 + zero) + zero) + zero
    sums = _groups_one_by_one(items[:blocks * step], step, zero)  # each block's sum
    closed1 = sums.shape[0] // step                               # level 1's full groups
    level1_sums = _groups_one_by_one(sums[:closed1 * step], step, zero)
    level1 = _one_by_one(sums[closed1 * step:], zero)
    closed2 = closed1 // step
    level2_sums = _groups_one_by_one(level1_sums[:closed2 * step], step, zero)
    level2 = _one_by_one(level1_sums[closed2 * step:], zero)
    level3 = _one_by_one(level2_sums, zero)
    return ((level0 + level1) + level2) + level3


def row_sum(values):
    """torch's ``row_sum`` over axis 0: item i into accumulator i mod 4 (``multi_row_sum``),
    the leftover items into the first, then the other three added to it."""
    n = values.shape[0]
    ilp = n // ILP
    if ilp:
        parts = multi_row_sum(values[:ilp * ILP].reshape((ilp, ILP) + values.shape[1:]))
    else:
        parts = np.zeros((ILP,) + values.shape[1:], values.dtype)
    total = _one_by_one(values[ilp * ILP:], parts[0])
    for k in range(1, ILP):
        total = total + parts[k]
    return total


def _inner_rows(x, dtype):
    """vectorized_inner_sum of each row of ``x`` (rows × length, length ≥ one vector): the
    vectors through ``row_sum``, then the scalars left over, then the lanes."""
    vec, lanes, acc = _VECTORS[dtype]
    n = x.shape[1]
    whole = n // vec * vec
    v = x[:, :whole].reshape(x.shape[0], n // vec, vec // lanes, lanes).astype(acc)
    loaded = np.zeros((x.shape[0], n // vec, lanes), acc)
    for k in range(vec // lanes):          # (float16: lane i adds halves i and i + 8)
        loaded = loaded + v[:, :, k]
    lane_sums = row_sum(np.moveaxis(loaded, 1, 0))            # (rows, lanes)
    total = _one_by_one(np.moveaxis(x[:, whole:].astype(acc), 1, 0),
                        np.zeros(x.shape[0], acc))
    return _one_by_one(np.moveaxis(lane_sums, 1, 0), total)


def _outer_columns(x, dtype):
    """vectorized_outer_sum down each column of ``x`` (length × columns): groups of 4 vectors'
    lanes by ``multi_row_sum``, then one vector's by ``row_sum``, then single columns by
    ``row_sum`` (the same arithmetic per lane)."""
    lanes = _VECTORS[dtype][1]
    x = x.astype(_VECTORS[dtype][2])
    cols = x.shape[1]
    wide = cols // (ILP * lanes) * ILP * lanes
    out = np.empty(cols, x.dtype)
    if wide:
        out[:wide] = multi_row_sum(x[:, :wide])
    if cols > wide:
        out[wide:] = row_sum(x[:, wide:])
    return out


def _scalar_outer_columns(x, dtype):
    """scalar_outer_sum: columns 4 at a time by ``multi_row_sum``, the rest by ``row_sum``."""
    x = x.astype(_VECTORS[dtype][2])
    cols = x.shape[1]
    grouped = cols // ILP * ILP
    out = np.empty(cols, x.dtype)
    if grouped:
        out[:grouped] = multi_row_sum(x[:, :grouped])
    if cols > grouped:
        out[grouped:] = row_sum(x[:, grouped:])
    return out


def _loop2d(x, in_strides, reduced1, dtype):
    """cascade_sum's loop over a 2-d block ``x`` (shape (..., size1, size0), axis −1 the
    reduced dim 0; ``in_strides`` the input's byte strides of dims 0 and 1; ``reduced1``:
    dim 1 reduced too): one sum per (..., j), in the accumulating dtype."""
    vec = _VECTORS[dtype][0]
    item = dtype.itemsize
    size0, size1 = x.shape[-1], x.shape[-2]
    lead = x.shape[:-2]
    rows = x.reshape(-1, size0) if x.size else x.reshape(-1, size0)
    if in_strides[0] == item and size0 >= vec:
        out = _inner_rows(rows, dtype)
    elif in_strides[1] == item and size1 >= vec and not reduced1:
        cols = x.reshape((-1,) + x.shape[-2:])
        out = np.stack([_outer_columns(c.T, dtype) for c in cols]) if len(lead) else \
            _outer_columns(cols[0].T, dtype)
    elif in_strides[0] < in_strides[1]:
        out = row_sum(rows.T.astype(_VECTORS[dtype][2]))
    else:
        cols = x.reshape((-1,) + x.shape[-2:])
        out = np.stack([_scalar_outer_columns(c.T, dtype) for c in cols]) if len(lead) else \
            _scalar_outer_columns(cols[0].T, dtype)
    return np.asarray(out).reshape(lead + (size1,))


# ----------------------------------------------------------------------------- the loops
def _iteration(shape, in_strides, reduced):
    """TensorIterator's dims for a reduction: ``reorder_dimensions`` (reduced dims innermost,
    then by the input's strides) and ``coalesce_dimensions``. Returns (shape, input strides,
    reduced flags), innermost first."""
    ndim = len(shape)
    out_strides, step = [0] * ndim, 1
    for d in range(ndim - 1, -1, -1):               # the keepdim output, C-contiguous
        if not reduced[d]:
            out_strides[d] = step
            step *= shape[d]

    perm = dim_order(shape, out_strides, in_strides, reduced=reduced)[::-1]  # innermost first
    dims = [[shape[d], in_strides[d], out_strides[d] * 8, reduced[d]] for d in perm]
    merged = dims[:1]
    for d in dims[1:]:
        p = merged[-1]
        if p[0] == 1 or d[0] == 1 or (p[0] * p[1] == d[1] and p[0] * p[2] == d[2]):
            if p[0] == 1:
                p[1], p[2], p[3] = d[1], d[2], d[3]
            p[0] *= d[0]
        else:
            merged.append(list(d))
    return ([m[0] for m in merged], [m[1] for m in merged], [m[3] for m in merged])


def _serial(a, offset, shape, strides, reduced, dtype):
    """serial_for_each over (shape, strides) from byte ``offset`` of ``a``'s memory: the
    kernel's sums of every 2-d block, ordered as they are stored (outer dims, then dim 1),
    with the flags saying which of those dims add into one output element."""
    if len(shape) < 2:
        shape, strides, reduced = list(shape) + [1], list(strides) + [0], list(reduced) + [True]
    view = as_strided(a[offset // a.itemsize:] if offset else a,
                      shape=tuple(shape[::-1]), strides=tuple(strides[::-1]), writeable=False)
    return _loop2d(view, strides[:2], reduced[1], dtype)


def _store(results, reduced, out_dtype):
    """Add each result into its output element (from 0, rounding to the output's dtype at each
    store), in loop order: the reduced ones of ``results``' axes (innermost last) one after
    the other, the kept ones side by side. ``reduced`` flags ``results``' axes."""
    kept = [i for i, r in enumerate(reduced) if not r]
    gone = [i for i, r in enumerate(reduced) if r]
    r = np.transpose(results, kept + gone)
    kept_shape = r.shape[:len(kept)]
    r = r.reshape(kept_shape + (-1,))
    out = np.zeros(kept_shape, out_dtype)
    for k in range(r.shape[-1]):        # (float16: out + value in float32, rounded once)
        out = (out.astype(r.dtype) + r[..., k]).astype(out_dtype)
    return out, [i for i in kept]


def torch_sum(a, axis, out_dtype=None):
    """``a.sum(axis)`` (``axis``: a tuple of dims, or None for all) with torch's CPU order of
    additions, for float16/32/64 (``out_dtype``: float32 for torch's float16 ``mean``, which
    sums a float32 copy); None where this does not apply (other dtypes, empty, a layout not
    followed), for the caller to sum by NumPy. The result has the kept dims only."""
    if out_dtype is not None and np.dtype(out_dtype) != a.dtype:
        a = a.astype(out_dtype, order="K")
    dtype = a.dtype
    if dtype not in _VECTORS or a.size == 0:
        return None
    axis = tuple(range(a.ndim)) if axis is None else tuple(d % a.ndim for d in axis)
    if a.ndim == 0:
        return (np.zeros((), dtype) + a).astype(dtype)
    fast = compiled()
    if fast is not None and dtype in fast.FLOATS and a.flags.c_contiguous:
        out = _contiguous_block(fast.cascade_sum, a, axis)   # (the common cases, quickly)
        if out is not None:
            return out
    if any(st < 0 for st in a.strides):     # (torch's flip makes a copy: no negative strides)
        a = np.ascontiguousarray(a)
    reduced = [d in axis for d in range(a.ndim)]
    kept_shape = tuple(n for d, n in enumerate(a.shape) if not reduced[d])
    shape, strides, flags = _iteration(list(a.shape), list(a.strides), reduced)
    if dtype == np.float16 and len(shape) >= 2 and flags[0] and flags[1]:
        # torch's sum_out: float16 whose two inner loops both reduce goes through a float32
        # copy (its should_use_acc_buffer), rounded once at the end
        return torch_sum(a, axis, np.float32).astype(np.float16)
    base, offset = _base_buffer(a), 0  # (the kernel reads through the strides)
    if not any(flags):                 # nothing reduced (dims of size 1): 0 + x
        return (np.zeros(a.shape, dtype) + a).astype(dtype).reshape(kept_shape)
    threads = get_num_threads()
    if fast is not None and dtype in fast.FLOATS:
        out = _compiled(fast.cascade_sum, base, offset, shape, strides, flags, threads, dtype)
        if out is not None:
            return out.reshape(kept_shape)
    if a.size < GRAIN_SIZE or threads == 1:
        parts = [(offset, shape)]
    elif all(flags):
        return _two_pass(base, offset, shape, strides, threads, dtype)
    else:
        parts = _split_dims(shape, strides, flags, threads, offset, dtype)
        if parts is None:
            return None
        return _in_kept_order(_gather_parts(base, parts, strides, flags, dtype), kept_shape)
    results = _serial(base, offset, shape, strides, flags, dtype)
    out, _ = _store(results, _result_flags(flags), dtype)
    return _in_kept_order(out, kept_shape)


def _contiguous_block(twin, a, axis):
    """The compiled sums of a C-contiguous array over its trailing dims (rows; all of them: one
    row) or its leading dims (columns), without working out the iteration (every dim of size
    > 1 and under one thread's share: the iteration is then those rows or columns); else
    None."""
    nd, k = a.ndim, len(axis)
    if k == 0 or 1 in a.shape or (a.size >= GRAIN_SIZE and get_num_threads() > 1):
        return None
    dims = sorted(axis)
    if dims == list(range(nd - k, nd)):                      # trailing: rows
        return (twin.row_sums(a.reshape(-1, math.prod(a.shape[nd - k:]))) +
                a.dtype.type(0)).reshape(a.shape[:nd - k])
    if dims == list(range(k)):                               # leading: columns
        return (twin.column_sums(a.reshape(math.prod(a.shape[:k]), -1)) +
                a.dtype.type(0)).reshape(a.shape[k:])
    return None


def _compiled(twin, base, offset, shape, strides, flags, threads, dtype):
    """The compiled twin's sums where the iteration is one contiguous run (a full sum) or a
    C-contiguous matrix summed along its rows or down its columns; else None."""
    item, big = dtype.itemsize, math.prod(shape) >= GRAIN_SIZE and threads > 1
    start = offset // item
    if len(shape) == 1 and strides[0] == item:
        run = base[start:start + shape[0]]
        if not big:
            return twin.row_sums(run.reshape(1, -1)) + dtype.type(0)
        tasks = min(threads, -(-shape[0] // GRAIN_SIZE))          # two passes, as torch
        chunk = -(-shape[0] // tasks)
        slots = np.zeros(threads, dtype)
        for t in range(tasks):
            slots[t] = twin.row_sums(run[t * chunk:(t + 1) * chunk].reshape(1, -1))[0] + 0
        return twin.row_sums(slots.reshape(1, -1)) + dtype.type(0)
    if len(shape) != 2 or flags != [True, False]:
        return None
    n, m = shape
    matrix = base[start:start + n * m]
    if strides == [item, n * item]:                 # rows of n
        return twin.row_sums(matrix.reshape(m, n)) + dtype.type(0)
    if strides == [m * item, item]:                 # columns of n
        if big and any(p[1][1] < twin.LANES[dtype] < m for p in
                       _split_dims(shape, strides, flags, threads, 0, dtype)):
            return None                             # (a thread's part would be read as scalars)
        return twin.column_sums(matrix.reshape(n, m)) + dtype.type(0)
    return None


def _result_flags(flags):
    """Which axes of :func:`_serial`'s results add into one element: outer dims (outermost
    first) and dim 1."""
    if len(flags) < 2:
        return [True]
    return list(flags[:1:-1]) + [flags[1]]


def _in_kept_order(out, kept_shape):
    """The stored sums as an array of the kept dims. (The output is C-contiguous and its
    strides order the kept dims before the input's do: the iteration takes them in their own
    order, outermost first.)"""
    return out.reshape(kept_shape)


def _base_buffer(a):
    """A 1-d array over the memory ``a`` views (its strides are not negative)."""
    n = sum(s * (k - 1) for s, k in zip(a.strides, a.shape)) // a.itemsize + 1
    return as_strided(a, shape=(n,), strides=(a.itemsize,), writeable=False)


def _two_pass(base, offset, shape, strides, threads, dtype):
    """A full sum over several threads: at::parallel_for's chunks of the iteration (one per
    thread), each summed into its own slot, then the slots summed."""
    n = math.prod(shape)
    tasks = min(threads, -(-n // GRAIN_SIZE))
    chunk = -(-n // tasks)
    slots = np.zeros(threads, dtype)
    for t in range(tasks):
        b, e = t * chunk, min(n, (t + 1) * chunk)
        if b < e:
            slots[t] = _range_sum(base, offset, shape, strides, b, e, dtype)
    r = _serial(slots, 0, [threads], [dtype.itemsize], [True], dtype)
    return _store(r, [True], dtype)[0]


def _range_sum(base, offset, shape, strides, begin, end, dtype):
    """serial_for_each over positions begin..end of the iteration (every dim reduced): its 2-d
    steps (the rest of a row, then whole rows of a plane), each added into one sum."""
    values, k = [], begin
    for n in shape:
        values.append(k % n)
        k //= n
    total = np.zeros((), dtype)
    pos = begin
    while pos < end:
        step0 = min(shape[0] - values[0], end - pos)
        step1 = 1
        if step0 == shape[0] and len(shape) > 1:
            step1 = min(shape[1] - values[1], (end - pos) // shape[0])
        at = offset + sum(v * s for v, s in zip(values, strides))
        sub = [step0, step1] + [1] * (len(shape) - 2) if len(shape) > 1 else [step0]
        r = _serial(base, at, sub, strides, [True] * len(shape), dtype)
        total = _add_stored(total, r, dtype)
        pos += step0 * step1
        carry, i = step0 * step1, 0
        while carry and i < len(shape):
            carry, values[i] = divmod(values[i] + carry, shape[i])
            i += 1
    return total


def _add_stored(total, results, dtype):
    """``total`` += each of ``results`` in order, as the kernel stores them."""
    for r in np.asarray(results).reshape(-1):
        total = (total.astype(r.dtype) + r).astype(dtype)
    return total


def _split_dims(shape, strides, flags, threads, offset, dtype):
    """parallel_dim_reduction's parts: the split dim (the outermost kept dim with at least as
    many columns as threads, else the biggest), cut at at::parallel_for's chunks (rounded to
    128 bytes where the columns are adjacent): [(byte offset, shape), ...]."""
    ndim = len(shape)
    best = ndim - 1
    dim = None
    for d in range(ndim - 1, -1, -1):
        if flags[d]:
            break
        if shape[d] >= threads:
            dim = d
            break
        if shape[d] > shape[best]:
            best = d
    dim = best if dim is None else dim
    if flags[dim]:
        return None
    cols = shape[dim]
    tasks = min(threads, cols)
    chunk = -(-cols // tasks)
    per = 128 // dtype.itemsize if strides[dim] == dtype.itemsize else None
    parts = []
    for t in range(tasks):
        b, e = t * chunk, min(cols, (t + 1) * chunk)
        if b >= e:
            continue
        if per:
            b -= b % per
            if e != cols:
                e -= e % per
        if b == e:
            continue
        sub = list(shape)
        sub[dim] = e - b
        parts.append((offset + b * strides[dim], sub, dim, b, e))
    return parts


def _gather_parts(base, parts, strides, flags, dtype):
    """The sums of each part of a split, put together by the split dim."""
    dim = parts[0][2]
    pieces = []
    for off, sub, _, b, e in parts:
        results = _serial(base, off, sub, strides, flags, dtype)
        out, _ = _store(results, _result_flags(flags), dtype)
        pieces.append((b, e, out))
    # the kept dims of the result, outermost first: dim's position among them
    kept_dims = [d for d in range(len(flags) - 1, -1, -1) if not flags[d]]
    axis = kept_dims.index(dim)
    full = np.concatenate([p[2] for p in sorted(pieces, key=lambda p: p[0])], axis=axis)
    return full
