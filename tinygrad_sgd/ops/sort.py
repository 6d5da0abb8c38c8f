"""Sorting and selecting: sort/argsort, topk, kthvalue, median/nanmedian, mode.

Each is two ops: an index op (not differentiable) says where the values are, and a
:class:`~tinygrad_sgd.ops.reduce.Selection` picks them, so the gradient goes back to exactly
those places.

**Tie order.** Where torch's answer is defined (a stable sort keeps equal elements in their
order; median breaks ties by position; NaN is the largest value) NumPy's stable sort computes
it. Where torch's indices depend on its algorithm (its default unstable sort, topk, kthvalue
and mode with ties among the selected values), the rows with such ties replay that algorithm
element by element — libstdc++'s introsort, introselect and heap select, torch's quickselect —
so the indices, and with them the gradients, are torch's. Replaying runs at Python speed, only
for the rows that need it.
"""
import math

import numpy as np

from ..autograd import Function
from .reduce import Max, Selection


# ---------------------------------------------------------------------------- rows and keys
def rows_of(d, dim):
    """The slices along ``dim`` as the rows of a 2-D array."""
    others = math.prod(s for i, s in enumerate(d.shape) if i != dim)
    return np.moveaxis(d, dim, -1).reshape(others, d.shape[dim])


def from_rows(r, shape, dim):
    """Rows (of any length) back to ``shape``'s layout, the rows lying along ``dim``."""
    lead = tuple(s for i, s in enumerate(shape) if i != dim)
    return np.moveaxis(r.reshape(lead + r.shape[-1:]), -1, dim).astype(np.int64)


def by_rows(pick, x, dim, *options):
    """An index op's forward: ``pick(rows, *options)`` on the slices of ``x`` (a Tensor)
    along ``dim`` as the rows of a 2-D array, its (rows, k) indices put back in ``x``'s
    layout (int64); a 0-d ``x`` gives index 0."""
    d = x.array
    if d.ndim == 0:
        return np.zeros((), np.int64)
    return from_rows(pick(rows_of(d, dim), *options), d.shape, dim)


def stable_order(rows, descending=False):
    """Stable argsort of each row, NaN the largest; descending keeps equal elements in their
    order too (torch's ``sort(stable=True, descending=True)``)."""
    if not descending:
        return np.argsort(rows, axis=-1, kind="stable")
    return rows.shape[-1] - 1 - np.argsort(rows[:, ::-1], axis=-1, kind="stable")[:, ::-1]


def ties(sorted_rows):
    """(m, n−1): whether each element of sorted rows equals the next (NaNs equal each other)."""
    a, b = sorted_rows[:, :-1], sorted_rows[:, 1:]
    same = a == b
    return same | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else same


def ranked(row, descending=False):
    """``[(key, index)]`` for a replay: keys are ranks, so that ``<`` on keys is torch's
    comparator (NaN the largest, NaNs equivalent); negated for a descending comparator."""
    order = np.argsort(row, kind="stable")
    new = np.ones(row.size, np.int64)
    new[1:] = ~ties(row[order][None])[0]
    rank = np.empty(row.size, np.int64)
    rank[order] = np.cumsum(new)
    return list(zip((-rank if descending else rank).tolist(), range(row.size)))


# ---------------------------------------------------------------------------- libstdc++ replay
def _lg(n):
    return n.bit_length() - 1


def _insertion_sort(v, first, last):
    for i in range(first + 1, last):
        val = v[i]
        if val[0] < v[first][0]:
            v[first + 1:i + 1] = v[first:i]
            v[first] = val
        else:
            _linear_insert(v, i)


def _linear_insert(v, last):
    val, nxt = v[last], last - 1
    while val[0] < v[nxt][0]:
        v[last] = v[nxt]
        last, nxt = nxt, nxt - 1
    v[last] = val


def _partition_pivot(v, first, last):
    """Median of (first+1, mid, last−1) moved to first, then Hoare's unguarded partition."""
    a, b, c = first + 1, first + (last - first) // 2, last - 1
    ka, kb, kc = v[a][0], v[b][0], v[c][0]
    if ka < kb:
        m = b if kb < kc else c if ka < kc else a
    else:
        m = a if ka < kc else c if kb < kc else b
    v[first], v[m] = v[m], v[first]
    pivot, lo, hi = v[first][0], first + 1, last
    while True:
        while v[lo][0] < pivot:
            lo += 1
        hi -= 1
        while pivot < v[hi][0]:
            hi -= 1
        if not lo < hi:
            return lo
        v[lo], v[hi] = v[hi], v[lo]
        lo += 1


def _adjust_heap(v, first, hole, length, value):
    top = second = hole
    while second < (length - 1) // 2:
        second = 2 * (second + 1)
        if v[first + second][0] < v[first + second - 1][0]:
            second -= 1
        v[first + hole] = v[first + second]
        hole = second
    if length % 2 == 0 and second == (length - 2) // 2:
        second = 2 * (second + 1)
        v[first + hole] = v[first + second - 1]
        hole = second - 1
    parent = (hole - 1) // 2
    while hole > top and v[first + parent][0] < value[0]:
        v[first + hole] = v[first + parent]
        hole, parent = parent, (parent - 1) // 2
    v[first + hole] = value


def _heap_select(v, first, middle, last):
    length = middle - first
    for parent in range((length - 2) // 2, -1, -1) if length >= 2 else ():
        _adjust_heap(v, first, parent, length, v[first + parent])
    for i in range(middle, last):
        if v[i][0] < v[first][0]:
            value, v[i] = v[i], v[first]
            _adjust_heap(v, first, 0, length, value)


def std_partial_sort(v, first, middle, last):
    _heap_select(v, first, middle, last)
    while middle - first > 1:                  # sort_heap
        middle -= 1
        value, v[middle] = v[middle], v[first]
        _adjust_heap(v, first, 0, middle - first, value)


def _introsort_loop(v, first, last, depth):
    while last - first > 16:
        if depth == 0:
            std_partial_sort(v, first, last, last)
            return
        depth -= 1
        cut = _partition_pivot(v, first, last)
        _introsort_loop(v, cut, last, depth)
        last = cut


def std_sort(v, first, last):
    """libstdc++'s ``std::sort`` on ``v[first:last]`` (not stable)."""
    if last - first < 2:
        return
    _introsort_loop(v, first, last, 2 * _lg(last - first))
    if last - first > 16:
        _insertion_sort(v, first, first + 16)
        for i in range(first + 16, last):
            _linear_insert(v, i)
    else:
        _insertion_sort(v, first, last)


def std_nth_element(v, nth, first=0, last=None):
    """libstdc++'s ``std::nth_element`` (introselect)."""
    last = len(v) if last is None else last
    if first == last or nth == last:
        return
    depth = 2 * _lg(last - first)
    while last - first > 3:
        if depth == 0:
            _heap_select(v, first, nth + 1, last)
            v[first], v[nth] = v[nth], v[first]
            return
        depth -= 1
        cut = _partition_pivot(v, first, last)
        first, last = (cut, last) if cut <= nth else (first, cut)
    _insertion_sort(v, first, last)


def torch_quick_select(v, k):
    """torch's own quickselect (Sedgewick's, in ATen's Sorting.cpp), used by kthvalue."""
    lo, hi = 0, len(v) - 1
    while hi > lo:
        if hi == lo + 1:
            if v[lo][0] > v[hi][0]:
                v[lo], v[hi] = v[hi], v[lo]
            return
        p = (lo + hi) >> 1
        v[p], v[lo + 1] = v[lo + 1], v[p]
        for a, b in ((lo + 1, hi), (lo, hi), (lo + 1, lo)):
            if v[a][0] > v[b][0]:
                v[a], v[b] = v[b], v[a]
        i, j, pivot = lo + 1, hi, v[lo][0]
        while True:
            i += 1
            while pivot > v[i][0]:
                i += 1
            j -= 1
            while v[j][0] > pivot:
                j -= 1
            if j < i:
                break
            v[i], v[j] = v[j], v[i]
        v[lo], v[j] = v[j], v[lo]
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1


# ---------------------------------------------------------------------------- index ops
class ArgSort(Function):
    """torch's CPU sort: stable (and the radix sort of long 1-d integer tensors, also stable)
    keeps ties in order; the default std::sort orders ties its own way for rows longer than
    16 (insertion sort, stable, below that), replayed where there are ties."""
    rule, differentiable = "z = the indices that sort x along dim", False

    def forward(self, x, dim, descending, stable):
        return by_rows(self.pick, x, dim, descending, stable, x.ndim == 1)

    @staticmethod
    def pick(rows, descending, stable, one_dim):
        n = rows.shape[1]
        order = stable_order(rows, descending)
        radix = one_dim and rows.dtype.kind in "iu" and not descending and n >= 32768
        if not stable and not radix and n > 16:
            for r in np.flatnonzero(ties(np.take_along_axis(rows, order, 1)).any(1)):
                v = ranked(rows[r], descending)
                std_sort(v, 0, n)
                order[r] = [i for _, i in v]
        return order


class TopKIndices(Function):
    """torch's topk: std::partial_sort when 64·k ≤ n, else std::nth_element (then std::sort
    of the first k − 1 when ``sorted``); replayed for rows with ties among the k selected (and
    for every row when the order is left unsorted, since it is then nth_element's)."""
    rule, differentiable = "z = the indices of the k largest (smallest) along dim", False

    def forward(self, x, k, dim, largest, sorted):
        return by_rows(self.pick, x, dim, k, largest, sorted)

    @staticmethod
    def pick(rows, k, largest, sorted):
        n = rows.shape[1]
        order = stable_order(rows, largest)
        partial = k * 64 <= n
        if k and (sorted or partial):
            replay = ties(np.take_along_axis(rows, order[:, :k + 1], 1)).any(1)
        else:
            replay = np.full(rows.shape[0], k > 0)
        order = order[:, :k]
        for r in np.flatnonzero(replay):
            v = ranked(rows[r], largest)
            if partial:
                std_partial_sort(v, 0, k, n)
            else:
                std_nth_element(v, k - 1)
                if sorted:
                    std_sort(v, 0, k - 1)
            order[r] = [i for _, i in v[:k]]
        return order


class KthValueIndex(Function):
    """torch's quickselect, replayed for rows where the k-th smallest value is tied."""
    rule, differentiable = "z = the index of the k-th smallest along dim", False

    def forward(self, x, k, dim):
        return by_rows(self.pick, x, dim, k)

    @staticmethod
    def pick(rows, k):
        order = stable_order(rows)
        picked = order[:, k - 1].copy()
        window = np.take_along_axis(rows, order[:, max(k - 2, 0):k + 1], 1)
        for r in np.flatnonzero(ties(window).any(1)):
            v = ranked(rows[r])
            torch_quick_select(v, k - 1)
            picked[r] = v[k - 1][1]
        return picked[:, None]


class MedianIndex(Function):
    """The lower median's index: ties are broken by position (torch's comparator), so this is
    the stable order's middle; a row holding NaN gives its first NaN (median) or the median of
    the rest (nanmedian; a row of NaNs: std::nth_element's pick among equals)."""
    rule, differentiable = "z = the index of the lower median along dim", False

    def forward(self, x, dim, ignore_nan):
        return by_rows(self.pick, x, dim, ignore_nan)

    @staticmethod
    def pick(rows, ignore_nan):
        n = rows.shape[1]
        nan = np.isnan(rows) if rows.dtype.kind == "f" else np.zeros(rows.shape, bool)
        order = stable_order(rows)
        m = n - nan.sum(1) if ignore_nan else np.full(rows.shape[0], n)
        picked = np.take_along_axis(order, np.maximum(m - 1, 0)[:, None] // 2, 1)[:, 0]
        if not ignore_nan:
            picked = np.where(nan.any(1), np.argmax(nan, 1), picked)
        for r in np.flatnonzero(m == 0):
            v = [(0, i) for i in range(n)]
            std_nth_element(v, 0)
            picked[r] = v[0][1]
        return picked[:, None]


class ModeIndex(Function):
    """torch's mode: std::sort of (value, index) by value, then the first run of the largest
    count, its last element's index. Rows of at most 16 (insertion sort: stable) without NaN
    are computed directly, as are rows of distinct values; others are replayed."""
    rule, differentiable = "z = the index of the most frequent value along dim", False

    def forward(self, x, dim):
        return by_rows(self.pick, x, dim)

    @staticmethod
    def pick(rows):
        n = rows.shape[1]
        picked = np.argmin(rows, axis=1)              # all distinct: the smallest, once
        nan = np.isnan(rows).any(1) if rows.dtype.kind == "f" else np.zeros(len(rows), bool)
        repeated = ties(np.sort(rows, axis=1)).any(1)
        if n <= 16:
            count = (rows[:, :, None] == rows[:, None, :]).sum(-1)
            top = count == count.max(1, keepdims=True)
            value = np.where(top, rows, rows.max(1, keepdims=True)).min(1, keepdims=True)
            last = n - 1 - np.argmax((rows == value)[:, ::-1], axis=1)
            picked = np.where(repeated, last, picked)
            replay = nan
        else:
            replay = nan | repeated
        for r in np.flatnonzero(replay):
            v = list(zip(rows[r].tolist(), range(n)))
            std_sort(v, 0, n)
            best, run = 0, 0
            for j in range(n):
                run += 1
                if j == n - 1 or v[j][0] != v[j + 1][0]:
                    if run > best:
                        best, picked[r] = run, v[j][1]
                    run = 0
        return picked[:, None]


# ---------------------------------------------------------------------------- value ops
class Sort(Selection):
    rule = "z = x sorted along dim"


class TopK(Selection):
    op_name, grad_fn_name = "topk", "TopkBackward"
    rule = "z = the k largest (or smallest) of x along dim"


class KthValue(Selection):
    op_name, grad_fn_name = "kthvalue", "KthvalueBackward"
    rule = "z = the k-th smallest of x along dim"


class Median(Selection):
    rule = "z = the lower median of x along dim"


class NanMedian(Selection):
    op_name, grad_fn_name = "nanmedian", "NanmedianBackward"
    rule = "z = the lower median of the non-NaN values of x along dim"


class Mode(Selection):
    rule = "z = the most frequent value of x along dim (the smallest, on equal counts)"


class MedianAll(Max):
    """Of every element: the lower median (NaN if any is NaN; of an empty tensor NaN, or the
    integer type's smallest value, as torch). The gradient is shared evenly between the
    elements equal to it, as torch's."""
    rule = "z = the lower median of all elements"
    derivatives = ("dz/dxᵢ = [xᵢ = z] / (number of ties)",)
    op_name, grad_fn_name, ignore_nan = "median", "MedianBackward", False

    def forward(self, x):
        d = x.array.reshape(-1)
        nan = np.isnan(d) if d.dtype.kind == "f" else np.zeros(d.shape, bool)
        if self.ignore_nan:
            d = d[~nan]
        if d.size == 0 or (nan.any() and not self.ignore_nan):
            out = np.asarray(np.nan if x.dtype.kind == "f" else
                             np.iinfo(x.dtype).min if x.dtype.kind == "i" else 0, x.dtype)
        else:
            out = np.asarray(np.partition(d, (d.size - 1) // 2)[(d.size - 1) // 2])
        self.save_for_backward(x)
        self.save_output(out)
        return out


class NanMedianAll(MedianAll):
    rule = "z = the lower median of the non-NaN elements"
    op_name, grad_fn_name, ignore_nan = "nanmedian", "NanmedianBackward", True


class NoDerivative(Function):
    """Values torch computes with no derivative defined (``unique``'s): the node exists, so the
    result requires grad when its input does (as torch), and backward raises torch's
    NotImplementedError naming the ATen function (``_unique2``, ``unique_dim``...)."""
    inputs, rule = ("input",), "values picked from the input (no derivative defined)"
    derivatives = ("not differentiable (as torch)",)

    def forward(self, input, values, aten_name):
        """``values``: the array computed beside the node; ``aten_name``: for the error."""
        self.aten_name = aten_name
        return values

    def backward(self, g):
        raise NotImplementedError(f"the derivative for '{self.aten_name}' is not implemented.")
