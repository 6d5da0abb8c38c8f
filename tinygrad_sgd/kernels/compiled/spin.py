"""The polling loop of the spinning workers (:mod:`..threads`): compiled, it holds no GIL.

It calls the C library's ``sched_yield`` every so many polls, so that another thread that wants the
core (one of OpenBLAS's, say) gets it at once, and its ``clock_gettime`` to linger a given time
(numba does not cache code that calls through a C function pointer: this one small loop is
compiled in every process, ~0.1 s.)"""
import ctypes
import ctypes.util
import time

import numba

from .served import run_job_address

__all__ = ["spin", "serve"]

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
_sched_yield = _libc.sched_yield
_sched_yield.argtypes, _sched_yield.restype = [], ctypes.c_int
_clock_gettime = _libc.clock_gettime
_clock_gettime.argtypes, _clock_gettime.restype = [ctypes.c_int, ctypes.c_void_p], ctypes.c_int
_CLOCK_MONOTONIC = time.CLOCK_MONOTONIC      # (struct timespec: two 64-bit integers here)
_run_job = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p)(run_job_address)   # (see .served)


@numba.njit(nogil=True)
def _now_ns(timespec):
    _clock_gettime(_CLOCK_MONOTONIC, timespec.ctypes)
    return timespec[0] * 1_000_000_000 + timespec[1]


@numba.njit(nogil=True)
def spin(flags, row, announce, watch, value, polls, yield_every, scratch, linger_ns=0):
    """flags[row, 1] = announce (if ≥ 0; written with the GIL let go), then poll
    flags[row, watch] until it equals value, at most ``polls`` times (yielding the core every
    ``yield_every`` polls, if > 0): True if it did — then only after ``linger_ns`` more
    nanoseconds (a pause before taking the GIL back). ``scratch``: 3 int64s of the caller's."""
    if announce >= 0:
        flags[row, 1] = announce
    for i in range(polls):
        if flags[row, watch] == value:
            if linger_ns > 0:
                t0 = _now_ns(scratch[1:])
                while _now_ns(scratch[1:]) - t0 < linger_ns:
                    pass
            return True
        scratch[0] = i          # a store that may alias flags: the load stays in the loop
        if yield_every > 0 and i % yield_every == yield_every - 1:
            _sched_yield()
    return flags[row, watch] == value


@numba.njit(nogil=True)
def serve(flags, row, announce, jobs, polls, yield_every, scratch, linger_ns):
    """A worker's wait for its next job, which runs the served ones itself (:mod:`.served`):
    flags[row, 1] = announce (the last job done, if ≥ 0; written with the GIL let go), then
    poll flags[row, 0] for job flags[row, 1] + 1. A job whose ``jobs[row]`` holds calls is run
    here, marked done in flags[row, 1], and the polling starts over; a Python job (``jobs[row,
    0] == 0``) is returned, after ``linger_ns`` nanoseconds, for the worker to run with the
    GIL. 0 after ``polls`` polls with no job; minus the job's number if a served kernel
    raised (the job is not marked done)."""
    if announce >= 0:
        flags[row, 1] = announce
    i = 0
    while i < polls:
        job = flags[row, 1] + 1
        if flags[row, 0] == job:
            if jobs[row, 0] == 0:
                if linger_ns > 0:
                    t0 = _now_ns(scratch[1:])
                    while _now_ns(scratch[1:]) - t0 < linger_ns:
                        pass
                return job
            if _run_job(jobs[row].ctypes) != 0:
                return -job         # (a kernel raised: the worker reports it with the GIL)
            flags[row, 1] = job
            i = 0
            continue
        scratch[0] = i          # a store that may alias flags: the loads stay in the loop
        if yield_every > 0 and i % yield_every == yield_every - 1:
            _sched_yield()
        i += 1
    return 0
