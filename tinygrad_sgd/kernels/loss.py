"""The loss primitives' reductions, summed as torch sums them.

    nll_sums   Σ −wᵢ·xᵢ and Σ wᵢ over the samples not ignored (``nll_loss``'s ``sum`` and
               ``mean``), in torch's cascade

torch's ``nll_loss`` does not sum its losses with ``sum()``: it walks the samples in order
keeping eight partial sums, a cascade. Each sample's loss is subtracted from level 0 (its
weight added to the weights' level 0); after sample b, level j is added into level j + 1 and
cleared while the low 4·(j + 1) bits of b are all 0 — b = 0 carries to the top, b = 16 one
level, b = 256 two. The result is 0 + level 0 + level 1 + ... + level 7, one after the other.
An ignored sample neither subtracts nor carries. Every step rounds in the input's dtype, so
NumPy's pairwise ``sum()`` is 1 ulp away for most batch sizes; these kernels give torch's bits.

The NumPy kernel sums level by level: the items of a level split into runs, each closed by an
item that carries on; the runs are summed side by side, one column at a time, and the closed
runs' sums are the next level's items. The compiled twin (:mod:`.compiled.loss`) walks the
samples as torch does.
"""
import numpy as np

from .backend import compiled

__all__ = ["nll_sums", "LEVELS", "LEVEL_POWER"]

LEVELS = 8             # torch's cascade_sum_num_levels
LEVEL_POWER = 4        # bits per level: max(4, ⌈log2 n⌉ / 8), 4 below n = 2^40


def level_power(n):
    """torch's ``max(4, CeilLog2(n) / 8)``."""
    return max(LEVEL_POWER, (int(n) - 1).bit_length() // LEVELS) if n > 1 else LEVEL_POWER


def carry_levels(positions, n):
    """How many levels sample ``positions[k]`` carries up after it: the number of its low
    groups of :func:`level_power` bits that are all 0 (at most LEVELS − 1; position 0 all) —
    its trailing zero bits, counted in groups."""
    lowest = positions & -positions                        # its lowest 1 bit (0 for 0)
    zeros = np.log2(np.maximum(lowest, 1)).astype(np.int64)   # (exact: a power of two)
    return np.where(positions == 0, LEVELS - 1,
                    np.minimum(zeros // level_power(n), LEVELS - 1))


def _runs_summed(items, closes, subtract):
    """The sums of the runs of ``items`` (each run ends after an item where ``closes``), each
    summed from +0 one item after the other — subtracted (level 0 of the losses) or added:
    all runs side by side in a table, one ``accumulate`` along its rows (sequential, rounding
    each step). Returns (the closed runs' sums, the open run's sum or +0)."""
    dtype = items.dtype
    run = np.concatenate(([0], np.cumsum(closes)[:-1]))          # each item's run
    count = int(run[-1]) + 1
    first = np.searchsorted(run, np.arange(count))                # each run's first item
    place = np.arange(items.size) - first[run] + 1                # (column 0: the +0 start)
    # padding that changes nothing: x − (+0) = x and x + (−0) = x, for x = ±0 too
    table = np.full((count, int(place.max()) + 1), 0.0 if subtract else -0.0, dtype)
    table[:, 0] = 0.0
    table[run, place] = items
    sums = (np.subtract if subtract else np.add).accumulate(table, axis=1)[:, -1]
    closed = int(closes.sum())
    return sums[:closed], (sums[-1] if closed < count else dtype.type(0))


# Levels with at most this many items left are walked item by item (few NumPy scalar steps)
FEW_ITEMS = 32


def _cascade(items, levels, subtract):
    """torch's cascade over ``items`` (in order) whose samples carry ``levels`` up: the
    sum 0 + level 0 + ... + level 7. Levels with many items are summed run by run
    (:func:`_runs_summed`), the last few items as torch's loop walks them."""
    dtype = items.dtype
    done, j = [], 0                          # the open sums of the levels below j
    while items.size > FEW_ITEMS and j < LEVELS - 1:
        closes = levels > j
        items, rest = _runs_summed(items, closes, subtract and j == 0)
        done.append(rest)
        levels = levels[closes]
        j += 1
    partial = [dtype.type(0)] * (LEVELS - j)  # levels j.., as torch's loop
    for item, level in zip(items, levels.tolist()):
        partial[0] = partial[0] - item if subtract and j == 0 else partial[0] + item
        for i in range(min(level, LEVELS - 1) - j):
            partial[i + 1] = partial[i + 1] + partial[i]
            partial[i] = dtype.type(0)
    total = dtype.type(0)
    for part in done + partial:
        total = total + part
    return dtype.type(total)


def nll_sums(picked, w=None, ignored=None):
    """``(Σ −wᵢ·pickedᵢ, Σ wᵢ)`` over the samples not ``ignored``, summed as torch's
    ``nll_loss`` sums them (each −wᵢ·xᵢ subtracted as ``x·w``; w None: every wᵢ 1, the
    second sum the count). 1-D arrays of one float dtype; ``ignored`` a bool array or None."""
    fast = compiled()
    if fast is not None and picked.dtype in fast.FLOATS:
        return fast.loss.nll_sums(picked, w, ignored)
    positions = np.arange(picked.size) if ignored is None else np.flatnonzero(~ignored)
    levels = carry_levels(positions, picked.size)
    kept = picked[positions]
    with np.errstate(over="ignore", invalid="ignore"):     # (inf − inf: NaN, as in torch)
        if w is None:
            return _cascade(kept, levels, True), picked.dtype.type(positions.size)
        weights = w[positions]
        return _cascade(kept * weights, levels, True), _cascade(weights, levels, False)
