"""Compiled twins of :mod:`..random`: MT19937's outputs drawn on NumPy's own state memory,
and a Bernoulli mask from raw draws in one pass."""
import numpy as np

from . import kernel, inline, U

__all__ = ["mt19937_outputs", "where_below"]

_N, _M = 624, 397                  # MT19937's state words, and its middle offset


@inline
def _twist(key):
    """The next 624 state words, in place (the reference ``genrand`` block regeneration):
    key[i] = key[i + M] ^ (y >> 1) ^ (A if y is odd), y = high bit of key[i] | low 31 of
    key[i + 1], indices mod 624. (Worked in uint64: every value stays below 2^32.)"""
    upper, lower, a, one = U(0x80000000), U(0x7fffffff), U(0x9908b0df), U(1)
    for i in range(_N - _M):
        y = (U(key[i]) & upper) | (U(key[i + 1]) & lower)
        key[i] = U(key[i + _M]) ^ (y >> one) ^ ((y & one) * a)
    for i in range(_N - _M, _N - 1):
        y = (U(key[i]) & upper) | (U(key[i + 1]) & lower)
        key[i] = U(key[i + _M - _N]) ^ (y >> one) ^ ((y & one) * a)
    y = (U(key[_N - 1]) & upper) | (U(key[0]) & lower)
    key[_N - 1] = U(key[_M - 1]) ^ (y >> one) ^ ((y & one) * a)


@kernel
def _mt19937_outputs(words, out):
    """out[k] = the next output: state word ``pos`` tempered (words[624] is pos; at 624 the
    block is regenerated first), for every k; pos is left where NumPy's would be."""
    total, k, pos = out.shape[0], 0, np.int64(words[_N])
    while k < total:
        if pos >= _N:
            _twist(words)
            pos = 0
        m = min(_N - pos, total - k)
        for q in range(m):
            y = U(words[pos + q])
            y ^= y >> U(11)
            y ^= (y << U(7)) & U(0x9d2c5680)
            y ^= (y << U(15)) & U(0xefc60000)
            y ^= y >> U(18)
            out[k + q] = y
        pos += m
        k += m
    words[_N] = pos


def mt19937_outputs(words, n):
    """The next ``n`` outputs of the MT19937 state ``words`` (uint64 array), advancing it."""
    out = np.empty(n, np.uint64)
    _mt19937_outputs(words, out)
    return out


@kernel
def _where_below(raw, limit, value, out):
    """out[k] = value if draw k's low 53 bits < limit else 0; draw k is raw[2k] (its high
    half, of which the low 21 bits count) and raw[2k + 1]."""
    low21, shift = U((1 << 21) - 1), U(32)
    zero = out.dtype.type(0)
    for k in range(out.shape[0]):
        b = ((raw[2 * k] & low21) << shift) | raw[2 * k + 1]
        out[k] = value if b < limit else zero


def where_below(raw, limit, value):
    """``value`` where a draw's low 53 bits are below ``limit``, else 0 (1-D, one per draw)."""
    out = np.empty(raw.shape[0] // 2, value.dtype)
    _where_below(raw, limit, value, out)
    return out
