"""The economies of the backward walk: gradients not made whole until they must be.

Indexing's backward, when no graph is being built, returns a :class:`SliceGrad` — the indexed
block and where it goes — instead of a tensor of zeros of the input's whole shape with the
block written in. The walk (:mod:`.engine`) adds such blocks into a gradient array of its own,
in place (:func:`add_slices`), so the T slices x[0], …, x[T−1] of a sequence (an RNN's time
steps) cost T slice-sized additions instead of T full-sized ones (work growing as T²): 4x less
time for a 2-layer LSTM over 200 steps.

relu's backward after max pooling returns a :class:`MaskedGrad` — its incoming gradient and its
mask, not yet applied — which the pooling's backward scatters with the mask applied in the same
pass (the tutorial CNN: one pass over its biggest gradients instead of two). Max pooling's
backward after a convolution whose input takes no gradient returns a :class:`ScatteredGrad`
— the scatter not yet made — which the convolution's weight gradient makes a few rows at a
time where it uses them (never the whole array).
"""
import numpy as np

from ..kernels import buffers
from ..kernels import pool as pool_kernels
from ..kernels.elementwise import keep_where
from .function import _tensor_class
from .grad_mode import _mode

__all__ = ["SliceGrad", "MaskedGrad", "ScatteredGrad", "DEFERRED", "add_slices", "welcome_slices"]


class MaskedGrad:
    """The gradient ``values`` where ``mask`` ≠ 0, +0 elsewhere (relu's backward:
    ``keep_where(out, g)``), not made yet. Relu returns one only to a max pooling node, in a walk
    that builds no graph and reports to no observer; the walk makes it whole (:meth:`dense`)
    wherever anything else would see it — a hook, a retained or asked-for gradient, a second
    gradient to add — and max pooling's backward applies the mask as it scatters."""
    __slots__ = ("values", "mask")

    def __init__(self, values, mask):
        self.values, self.mask = values, mask

    def dense(self):
        return _tensor_class()._of(keep_where(self.mask, self.values))


class ScatteredGrad:
    """Max pooling's input gradient — ``values`` (where relu's ``mask`` ≠ 0, if a mask is
    given) at each window's chosen element (``choice``, pooling geometry ``geom``), 0
    elsewhere — not made yet. Pooling returns one only to a convolution node whose input takes
    no gradient, in a walk that builds no graph and reports to no observer; the walk makes it
    whole (:meth:`dense`) wherever anything else would see it, and the convolution's weight
    gradient makes it two rows at a time in rows of its own, each thread for the filters it
    then sums (``kernels.conv.conv2d_grads``)."""
    __slots__ = ("values", "mask", "choice", "geom")

    def __init__(self, values, mask, choice, geom):
        self.values, self.mask, self.choice, self.geom = values, mask, choice, geom

    def dense(self):
        return _tensor_class()._of(pool_kernels.max_pool_scatter(self.values, self.choice,
                                                                 self.geom, mask=self.mask))


# gradients one op hands the next, made whole where anything else would see them
DEFERRED = (MaskedGrad, ScatteredGrad)


class SliceGrad:
    """A gradient that is zero except in one block — ``index``, made of ints and slices, so a
    view — which holds ``values``. Indexing's backward returns one instead of a zero-filled
    tensor when the engine says it can take them (a backward walk that builds no graph): the
    engine adds ``values`` into the input's gradient in place. So the T slices x[0], …,
    x[T−1] of a sequence (an RNN's time steps) cost T slice-sized additions, not T full-sized
    tensors of zeros added up (work growing as T²). :meth:`dense` is the whole gradient.

    Blocks of one gradient arriving one after another stay apart (``more``) until the whole
    is needed: the pieces of a split (a GPT's q, k, v cut from one product) tile the array, and
    are then just copied into place — no zeros written, nothing added."""
    __slots__ = ("index", "values", "shape", "more")

    def __init__(self, index, values, shape, more=()):
        self.index, self.values, self.shape, self.more = index, values, shape, more

    def parts(self):
        """``((index, values), ...)``: every block."""
        return ((self.index, self.values),) + self.more

    def joined(self, other):
        """Both gradients' blocks as one SliceGrad (nothing computed yet)."""
        return SliceGrad(self.index, self.values, self.shape, self.more + other.parts())

    def dense(self):
        parts = self.parts()
        dtype = np.result_type(*[v for _, v in parts])
        if len(parts) > 1 and _tiles([i for i, _ in parts], self.shape):
            out = buffers.empty(self.shape, dtype)
            for index, values in parts:
                out[index] = values
        else:
            out = buffers.zeros(self.shape, dtype)   # (reused memory: no page faults)
            out[self.index] = self.values
            for index, values in self.more:
                out[index] += values
        return _tensor_class()._of(out)

    def add_into(self, array):
        """array += self (``array`` of the full shape, the caller's own)."""
        for index, values in self.parts():
            array[index] += values
        return array


def _tiles(indices, shape):
    """True when the blocks are slices a:b of one and the same dim, every other dim whole, that
    lie side by side and cover that dim exactly (the pieces of ``split``/``chunk``)."""
    dim, spans = None, []
    for index in indices:
        index = index if type(index) is tuple else (index,)
        if len(index) > len(shape):
            return False
        cuts = [(d, s) for d, s in enumerate(index) if type(s) is not slice or s != _WHOLE]
        if len(cuts) != 1:
            return False
        d, s = cuts[0]
        if type(s) is not slice or s.step not in (None, 1) or dim not in (None, d):
            return False
        dim = d
        a, b, _ = s.indices(shape[d])
        spans.append((a, max(a, b)))
    spans.sort()
    return spans[0][0] == 0 and spans[-1][1] == shape[dim] and \
        all(left[1] == right[0] for left, right in zip(spans, spans[1:]))


_WHOLE = slice(None)


def add_slices(prev, g, owned):
    """prev + g where one of them is a :class:`SliceGrad` (or one of the :data:`DEFERRED`, made
    whole first) or ``prev`` is the walk's own: the sum made in an array of the walk's own
    (made here, by copying, the first time; ``owned`` holds the ids of those, each alive in
    ``buffers`` until popped), in place — never in an array someone else may hold."""
    if type(prev) in DEFERRED:
        prev = prev.dense()
    if type(g) in DEFERRED:
        g = g.dense()
    if type(prev) is SliceGrad:
        prev, g = g, prev
    if type(prev) is SliceGrad:          # both: kept apart until needed whole (see dense)
        if prev.shape == g.shape:
            return prev.joined(g)
        prev = prev.dense()
        owned.add(id(prev))
    elif id(prev) not in owned:
        prev = _tensor_class()._of(prev.array.copy())
        owned.add(id(prev))
    if type(g) is SliceGrad:
        g.add_into(prev.array)
    elif g.dtype == prev.dtype:
        prev.array += g.array
    else:                                # (mixed dtypes: promoted, as the plain sum)
        owned.discard(id(prev))
        return prev + g
    return prev


class welcome_slices:
    """Tell indexing's backward that it may return a :class:`SliceGrad` (a walk that builds
    no graph and reports to no observer; the walk makes them whole where one is needed)."""

    def __init__(self, on):
        self.on = on

    def __enter__(self):
        self.prev, _mode.slice_grads = _mode.slice_grads, self.on

    def __exit__(self, *exc):
        _mode.slice_grads = self.prev
