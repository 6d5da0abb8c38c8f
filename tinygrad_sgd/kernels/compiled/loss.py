"""Compiled twin of :func:`..loss.nll_sums`: torch's cascade, walked sample by sample."""
import numba
import numpy as np

from ..loss import LEVELS, level_power

__all__ = ["nll_sums"]


# no fastmath: reassociated or contracted (x·w − into one FMA), the sums would not be torch's
@numba.njit(cache=True, nogil=True)
def _nll_cascade(picked, w, weighted, ignored, any_ignored, power, out):
    """out[0] = 0 + losses' levels 0..7, out[1] the same of the weights (torch's loop)."""
    zero = picked.dtype.type(0)
    loss, weight = np.zeros(LEVELS, picked.dtype), np.zeros(LEVELS, picked.dtype)
    group = (1 << power) - 1
    for b in range(picked.shape[0]):
        if any_ignored and ignored[b]:
            continue
        if weighted:
            loss[0] -= picked[b] * w[b]
            weight[0] += w[b]
        else:
            loss[0] -= picked[b]
        for j in range(LEVELS - 1):
            if b & (group << (j * power)) != 0:
                break
            loss[j + 1] += loss[j]
            weight[j + 1] += weight[j]
            loss[j] = zero
            weight[j] = zero
    total_loss, total_weight = zero, zero
    for j in range(LEVELS):
        total_loss += loss[j]
        total_weight += weight[j]
    out[0], out[1] = total_loss, total_weight


def nll_sums(picked, w, ignored):
    """(Σ −wᵢ·xᵢ, Σ wᵢ) as :func:`..loss.nll_sums`."""
    out = np.empty(2, picked.dtype)
    any_ignored = ignored is not None
    _nll_cascade(picked, picked if w is None else w, w is not None,
                 ignored if any_ignored else np.zeros(1, bool), any_ignored,
                 level_power(picked.size), out)
    if w is None:
        count = picked.size - (int(np.count_nonzero(ignored)) if any_ignored else 0)
        return out[0], picked.dtype.type(count)
    return out[0], out[1]
