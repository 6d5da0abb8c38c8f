"""The polling loop of the spinning workers (:mod:`..threads`): compiled, it holds no GIL.

It calls the C library's ``sched_yield`` every so many polls, so that another thread that wants the
core (one of OpenBLAS's, say) gets it at once. (numba does not cache code that calls through a
C function pointer: this one small loop is compiled in every process, ~0.1 s.)"""
import ctypes
import ctypes.util

import numba

__all__ = ["spin"]

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
_sched_yield = _libc.sched_yield
_sched_yield.argtypes, _sched_yield.restype = [], ctypes.c_int


@numba.njit(nogil=True)
def spin(flags, row, announce, watch, value, polls, yield_every, scratch):
    """flags[row, 1] = announce (if ≥ 0; written with the GIL let go), then poll
    flags[row, watch] until it equals value, at most ``polls`` times (yielding the core every
    ``yield_every`` polls, if > 0): True if it did."""
    if announce >= 0:
        flags[row, 1] = announce
    for i in range(polls):
        if flags[row, watch] == value:
            return True
        scratch[0] = i          # a store that may alias flags: the load stays in the loop
        if yield_every > 0 and i % yield_every == yield_every - 1:
            _sched_yield()
    return flags[row, watch] == value
