"""The random module's one hot kernel: a Bernoulli mask straight from the generator's raw
draws (``torch.empty(shape).bernoulli_(p)`` and dropout's mask).

    where_below   value where the draw's float64 uniform u is below p, else 0

torch draws one 64-bit number per element (two 32-bit MT19937 outputs, the first the high
half) and takes its low 53 bits b as ``u = b·2^-53``. ``u < p`` is decided on the integers,
with no float made: ``b·2^-53 < p`` exactly when ``b < ⌈p·2^53⌉`` (p·2^53 is exact, a power of
two times p). NumPy takes four passes (the bits, the comparison, the cast, the scaling); the
compiled twin (:mod:`.compiled.random`) one.

    mt19937_outputs   the generator's next 32-bit outputs — NumPy's MT19937 ``random_raw``,
                      whose C loop calls the generator through a pointer once per output; the
                      compiled twin runs the same recurrence on the same state memory, 2.4x
                      faster (6400 outputs, dropout's mask of 64×50: 10.7 → 4.5 µs)
"""
import math

import numpy as np

from .backend import compiled

__all__ = ["below", "where_below", "mt19937_outputs"]

LOW_21 = np.uint64((1 << 21) - 1)      # the high output's bits that are among the low 53


def limit(p):
    """⌈p·2^53⌉: a draw's low 53 bits b give ``u < p`` exactly when ``b < limit(p)``."""
    return np.uint64(math.ceil(p * 2.0 ** 53))


def below(raw, p):
    """``u < p`` (bools) for the n draws made of ``raw``, 2n 32-bit outputs (uint64)."""
    pairs = raw.reshape(-1, 2)                    # (high, low) halves of each 64-bit draw
    bits = ((pairs[:, 0] & LOW_21) << np.uint64(32)) | pairs[:, 1]
    return bits < limit(p)


def where_below(raw, p, value):
    """``value`` (a NumPy scalar of the result's dtype) where ``u < p``, else 0, for the n
    draws made of ``raw`` (2n 32-bit outputs, uint64): a 1-D array of n. (Bit for bit the
    float ``(u < p)`` cast to the dtype and multiplied by value, as torch's dropout makes its
    mask: 1·value is value and 0·value is +0 for a finite positive value.)"""
    fast = compiled()
    if fast is not None and value.dtype in fast.FLOATS:
        return fast.random.where_below(raw, limit(p), value)
    mask = below(raw, p).astype(value.dtype)
    mask *= value
    return mask


# Below this many outputs NumPy's loop is as quick as the compiled call and its lock
MIN_COMPILED_OUTPUTS = 256


def mt19937_outputs(bitgen, words, n):
    """The next ``n`` 32-bit outputs of NumPy's MT19937 bit generator ``bitgen``, as uint64:
    ``bitgen.random_raw(n)``. ``words``: its state, the 624 key words and the position as 625
    uint32 sharing bitgen's memory (NumPy's ``mt19937_state``), which the compiled twin
    advances itself, under bitgen's lock — the same outputs and the same state after."""
    fast = compiled()
    if fast is None or n < MIN_COMPILED_OUTPUTS:
        return bitgen.random_raw(n)
    with bitgen.lock:
        return fast.random.mt19937_outputs(words, n)
