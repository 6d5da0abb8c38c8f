"""What an index keeps for backward: the arrays inside it (an index tuple, a two-step one,
nested), their versions — so that an index tensor changed in place after use is refused at
backward, as torch refuses it (torch saves the index tensor) — and the repeated-place sum
(np.add.at) that scatters add with, float16 summed in float32 where torch's kernels do."""
import numpy as np

from .. import versions
from ..autograd.function import modified_inplace


def index_arrays(index):
    """The arrays inside an index (a tuple, a Staged pair, nested), for version checks."""
    if isinstance(index, np.ndarray):
        return [index]
    if isinstance(index, tuple):
        return [a for part in index for a in index_arrays(part)]
    return []


def index_versions(index):
    """The versions of the arrays inside ``index``, taken in forward by a node that keeps it
    (an index tensor's memory, shared: torch saves the index tensor itself)."""
    return [versions.version_of(a) for a in index_arrays(index)]


def check_index(node, index, saved):
    """In backward: refuse, with torch's words, an index changed in place since forward
    (``saved``: its :func:`index_versions`) — it would give the new index's gradient."""
    for a, v in zip(index_arrays(index), saved):
        now = versions.version_of(a)
        if now != v:
            raise modified_inplace(f"the index of {node.name()}", a.shape, now, v)


def add_at(target, index, values, wide=False):
    """``np.add.at(target, index, values)``: repeated places add up, in index order. ``wide``:
    a float16 target is summed in float32 and rounded once at the end, as torch's kernels with
    a float buffer do (scatter_add, scatter_reduce, index_add of a tensor of ≥ 2 dims, and
    their adjoints: 3,000 × 0.1 is 300 there, 256 when every sum is rounded to float16 — as
    torch's index_put_(accumulate=True), x[idx]'s backward and 1-d index_add still give)."""
    if wide and target.dtype == np.float16:
        acc = target.astype(np.float32)
        np.add.at(acc, index, np.asarray(values, np.float32))
        target[...] = acc
    else:
        np.add.at(target, index, values)
