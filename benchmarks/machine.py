"""How far apart the machine's two cores are right now: the round trip of one cache line
between two threads, each spinning until the other has written it.

On the 2-vCPU virtual machines these benchmarks ran on, the host places the two vCPUs now on
neighbouring cores (a round trip of ~90 ns), now far apart (~450 ns: another core complex, no
shared L3) — for seconds to minutes at a time, unannounced. Far apart, every number one thread
writes and the other reads crosses between the complexes: a two-thread OpenBLAS product of
64×3200 by 3200×256 measured 640 µs near and 760-800 far, our two-thread CNN step 3.1 ms near
and 3.5 far (torch's step moves much less). The benchmarks print it beside each two-thread row
so that a reader can tell the two apart.
"""
import threading
import time

import numpy as np


def _compiled_ping_pong():
    try:
        import numba
    except ImportError:
        return None
    # tinygrad_sgd's kernels first: numba takes its CPU features for the whole process when its
    # first function compiles, and the library lets LLVM use 512-bit vectors only if it is
    # there first (kernels/compiled/__init__.py). Compiled before them, this probe left every
    # kernel of the process at 256-bit vectors: the CNN's two-thread step at batch 256 measured
    # 6.7 ms instead of 5.8 on an Intel Xeon, in the benchmark's two-thread rows only.
    from tinygrad_sgd.kernels.backend import compiled
    compiled()

    @numba.njit(nogil=True, cache=True)
    def ping_pong(line, scratch, me, n):    # line[0] counts; thread `me` moves it on when
        i = 0                               # its parity is `me`
        while i < n:
            v = line[0]
            if v % 2 == me:
                line[0] = v + 1
                i += 1
            scratch[0] = i       # a store that may alias line: the load stays in the loop
        return i
    return ping_pong


_PING_PONG = []


def core_round_trip_ns(exchanges=20_000, quiet_s=0.02):
    """Median nanoseconds of one cache line's round trip between this thread and another
    (three runs of ``exchanges``), after ``quiet_s`` of sleep so that spinning workers — ours,
    torch's OpenMP — have gone idle; None without numba."""
    if not _PING_PONG:
        _PING_PONG.append(_compiled_ping_pong())
    ping_pong = _PING_PONG[0]
    if ping_pong is None:
        return None
    ping_pong(np.ones(8, np.int64), np.zeros(8, np.int64), 1, 0)      # compiled (or loaded)
    runs = []
    for _ in range(3):
        time.sleep(quiet_s)
        line = np.zeros(8, np.int64)
        other = threading.Thread(target=ping_pong, args=(line, np.zeros(8, np.int64), 1,
                                                         exchanges))
        t0 = time.perf_counter()
        other.start()
        ping_pong(line, np.zeros(8, np.int64), 0, exchanges)
        other.join()
        runs.append((time.perf_counter() - t0) / exchanges * 1e9)
    return float(np.median(runs))
